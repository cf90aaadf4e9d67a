"""The Python column of `cargo xtask bench bindings`: `check` on a snapshot file from Python.

Prints one line `load_s check_s convert_s findings` (the best of ROUNDS rounds), where convert_s
is building `report.findings` (one Finding object per finding) and reading every finding's status.
"""

from __future__ import annotations

import sys
import time

import cfcp


def main(path: str, rounds: int) -> None:
    best = [float("inf")] * 3
    findings = 0
    for _ in range(rounds):
        started = time.perf_counter()
        snapshot = cfcp.Snapshot.load(path)
        loaded = time.perf_counter()
        report = cfcp.check(snapshot)
        checked = time.perf_counter()
        statuses = [f.status for f in report.findings]
        converted = time.perf_counter()
        findings = len(statuses)
        for i, took in enumerate((loaded - started, checked - loaded, converted - checked)):
            best[i] = min(best[i], took)
        del snapshot, report, statuses
    print(f"{best[0]} {best[1]} {best[2]} {findings}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
