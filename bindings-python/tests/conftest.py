"""Fixtures: the repository's files, the fake Cloudflare API and a signed audit log.

The Rust helpers (the fake API, the audit-log writer) are taken from FAKE_CLOUDFLARE_BIN and
WRITE_AUDIT_LOG_BIN when `cargo xtask test` built them, or built here with cargo otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
DEMO = ROOT / "examples" / "snapshots" / "demo.json"


def _binary(env: str, cargo_args: List[str], path: Path) -> Path:
    given = os.environ.get(env)
    if given:
        return Path(given)
    subprocess.run(["cargo", "build", "-q", *cargo_args], cwd=ROOT, check=True)
    return path


@pytest.fixture(scope="session")
def demo_path() -> Path:
    return DEMO


def _start_fake(*args: str) -> Iterator[str]:
    binary = _binary(
        "FAKE_CLOUDFLARE_BIN",
        ["-p", "fake-cloudflare", "--bin", "fake-cloudflare"],
        TARGET / "debug" / "fake-cloudflare",
    )
    proc = subprocess.Popen(
        [str(binary), "--snapshot", str(DEMO), "--port", "0", "--quiet",
         "--token", "good-token=all", *args],
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    prefix = "fake-cloudflare listening on "
    if not line.startswith(prefix):
        proc.kill()
        raise RuntimeError(f"fake-cloudflare did not start: {line!r}")
    try:
        yield line[len(prefix):].strip()
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def fake_cloudflare() -> Iterator[str]:
    """The fake API seeded with the demo account; yields its base URL."""
    yield from _start_fake()


@pytest.fixture(scope="session")
def rate_limited_cloudflare() -> Iterator[str]:
    """A fake API that answers every request with 429."""
    yield from _start_fake("--429-after", "0", "--429-for", "1000000")


@pytest.fixture(scope="session")
def audit_log(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path]:
    """A closed, signed audit log of ten decisions and its public key file."""
    binary = _binary(
        "WRITE_AUDIT_LOG_BIN",
        ["-p", "cfcp-python", "--example", "write_audit_log"],
        TARGET / "debug" / "examples" / "write_audit_log",
    )
    directory = tmp_path_factory.mktemp("audit")
    out = subprocess.run([str(binary), str(directory)], check=True, capture_output=True, text=True)
    log, public_key = out.stdout.split()
    return Path(log), Path(public_key)


@pytest.fixture(autouse=True)
def no_cloudflare_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide the credentials themselves."""
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_EMAIL", "CLOUDFLARE_API_KEY",
                 "CLOUDFLARE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
