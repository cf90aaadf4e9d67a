"""Snapshot loading and saving, and check() with its Report, Finding and Summary objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cfcp


def test_load_from_json_and_to_json_round_trip(demo_path: Path) -> None:
    loaded = cfcp.Snapshot.load(demo_path)
    assert loaded.format == "cfcp.snapshot/v1"
    again = cfcp.Snapshot.from_json(loaded.to_json())
    assert again == loaded
    assert json.loads(loaded.to_json()) == json.loads(demo_path.read_text())
    assert loaded.to_dict() == json.loads(demo_path.read_text())


def test_zones_are_dicts_in_cloudflares_shapes(demo_path: Path) -> None:
    snapshot = cfcp.Snapshot.load(demo_path)
    expected = [z["zone"]["name"] for z in json.loads(demo_path.read_text())["zones"]]
    assert [z["zone"]["name"] for z in snapshot.zones] == expected
    assert snapshot.zone_names == expected
    assert snapshot.stats["zones"] == len(expected)
    assert snapshot.gaps == []


def test_demo_is_the_example_file(demo_path: Path) -> None:
    assert cfcp.Snapshot.demo() == cfcp.Snapshot.load(demo_path)


def test_check_gives_findings_with_attributes() -> None:
    report = cfcp.check(cfcp.Snapshot.demo())
    summary = report.summary
    findings = report.findings
    assert len(findings) == len(report) == summary.passed + summary.failed + summary.muted + summary.unknown
    assert summary.failed == len(report.failures()) > 0
    assert summary.compliance_rate == round(100 * summary.passed / (summary.passed + summary.failed), 1)
    as_json = json.loads(report.to_json())
    assert as_json == report.to_dict()
    for finding, row in zip(findings, as_json["findings"]):
        assert finding.check_id == row["check_id"]
        assert finding.status == row["status"]
        assert finding.severity == row["severity"]
        assert finding.message == row["message"]
        assert finding.resource == row["resource"]
        assert finding.resource_name == row["resource"]["name"]
        assert finding.zone == row["resource"]["zone"]
        assert finding.remediation == row["remediation"]
        assert finding.compliance == row["compliance"]
        assert finding.to_dict() == row
    assert {f.status for f in report.failures()} == {"FAIL"}


def test_report_renderings() -> None:
    report = cfcp.check(cfcp.Snapshot.demo())
    sarif = json.loads(report.to_sarif(artifact_uri="examples/snapshots/demo.json"))
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"examples/snapshots/demo.json"}
    assert report.to_junit().startswith("<?xml")
    assert "cfcp check" in report.to_markdown()
    assert report.to_markdown(title="nightly").count("nightly") >= 1
    gitlab = json.loads(report.to_gitlab(artifact_path="demo.json"))
    assert len(gitlab) == report.summary.failed + report.summary.unknown or len(gitlab) == report.summary.failed
    assert all(issue["location"]["path"] == "demo.json" for issue in gitlab)
    failed = report.failures()[0]
    assert failed.check_id in report.to_text()


def test_check_filters_zones_and_applies_waivers(tmp_path: Path) -> None:
    snapshot = cfcp.Snapshot.demo()
    only = cfcp.check(snapshot, zones=["acme-api.io"])
    assert {f.zone for f in only.findings} <= {"acme-api.io", None}
    target = cfcp.check(snapshot).failures()[0]
    waivers = tmp_path / "waivers.json"
    waivers.write_text(json.dumps([{
        "check_id": target.check_id,
        "resource": target.resource_id,
        "reason": "accepted in a test",
        "expires": "2999-01-01",
    }]))
    waived = cfcp.check(snapshot, waivers=waivers)
    assert waived.summary.muted >= 1
    assert waived.summary.failed < cfcp.check(snapshot).summary.failed


def test_check_runs_rego_policies_from_a_directory() -> None:
    policies = Path(__file__).resolve().parents[2] / "examples" / "policies"
    with_policies = cfcp.check(cfcp.Snapshot.demo(), policy_dir=policies)
    plain = cfcp.check(cfcp.Snapshot.demo())
    assert len(with_policies.findings) > len(plain.findings)


def test_compliance_from_a_snapshot_or_a_report() -> None:
    snapshot = cfcp.Snapshot.demo()
    assert "pci-dss-4.0.1" in cfcp.frameworks()
    from_snapshot = cfcp.compliance(snapshot, "pci-dss-4.0.1")
    from_report = cfcp.compliance(cfcp.check(snapshot), "pci-dss-4.0.1")
    assert from_snapshot["summary"] == from_report["summary"]
    assert from_snapshot["controls"]
    with pytest.raises(cfcp.CfcpError, match="unknown framework"):
        cfcp.compliance(snapshot, "sox")
    with pytest.raises(TypeError):
        cfcp.compliance("demo.json", "pci-dss-4.0.1")  # type: ignore[arg-type]
