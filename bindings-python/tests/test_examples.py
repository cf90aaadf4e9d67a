"""The README's Python example and examples/python/ keep working, and type-check under mypy --strict."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import cfcp

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "python").glob("*.py"))


def readme_python_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has a ```python block under ## Python"
    return match.group(1)


def test_readme_example_runs_as_printed() -> None:
    code = readme_python_example()
    assert len(code.strip().splitlines()) == 5
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    report = cfcp.check(cfcp.Snapshot.demo())
    lines = out.stdout.splitlines()
    assert lines[0] == repr(report.summary)
    first = report.failures()[0]
    assert lines[1] == f"{first.severity} {first.check_id} {first.resource_name}"
    assert len(lines) == 4


def test_check_demo_runs_without_a_token() -> None:
    script = ROOT / "examples" / "python" / "check_demo.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    summary = cfcp.check(cfcp.Snapshot.demo()).summary
    assert out.stderr == ""
    assert f"{summary.failed} failed" in out.stdout
    assert "expression error at byte 10" in out.stdout
    # The demo account has high-severity failures on purpose.
    assert out.returncode == 1


def test_examples_type_check_strictly() -> None:
    # `cargo xtask test` installs mypy in its venv; a missing mypy is a failure, not a skip.
    beside = Path(sys.executable).parent / "mypy"
    mypy = str(beside) if beside.exists() else shutil.which("mypy")
    assert mypy is not None, "mypy is not installed: pip install mypy (cargo xtask test does)"
    out = subprocess.run([mypy, "--strict", *map(str, EXAMPLES)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
