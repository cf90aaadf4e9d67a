"""Check the bundled demo account with cfcp's Python bindings: no token needed.

Run: python examples/python/check_demo.py [SNAPSHOT.json]
With a snapshot file it checks that instead; exits 1 when a high or critical check fails.
"""

from __future__ import annotations

import sys
from typing import Dict, List

import cfcp


def main(argv: List[str]) -> int:
    snapshot = cfcp.Snapshot.load(argv[1]) if len(argv) > 1 else cfcp.Snapshot.demo()
    report = cfcp.check(snapshot)
    summary = report.summary
    print(f"{len(snapshot.zone_names)} zones, {summary.checks} checks: "
          f"{summary.passed} passed, {summary.failed} failed, {summary.unknown} unknown "
          f"({summary.compliance_rate}% compliant)")

    by_zone: Dict[str, int] = {}
    for finding in report.failures():
        by_zone[finding.zone or "account"] = by_zone.get(finding.zone or "account", 0) + 1
    for zone, count in sorted(by_zone.items()):
        print(f"  {zone}: {count} failing")

    serious = [f for f in report.failures() if f.severity in ("critical", "high")]
    for finding in serious[:5]:
        print(f"  [{finding.severity}] {finding.check_id} on {finding.resource_name}: {finding.message}")

    pci = cfcp.compliance(report, "pci-dss-4.0.1")
    print(f"PCI DSS 4.0.1: {pci['summary']}")

    try:
        cfcp.waf.validate('http.host contans "example.com"')
    except cfcp.ExpressionError as err:
        print(f"expression error at byte {err.offset}: {err}")
    return 1 if serious else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
