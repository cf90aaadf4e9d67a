"""cfcp.waf, cfcp.layer0 and cfcp.audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

import cfcp

DATA = Path(__file__).resolve().parents[2] / "core" / "tests" / "data"

DELETE_MX: Dict[str, Any] = {
    "kind": "tool_call",
    "tool": "dns_record_manage",
    "arguments": {"action": "delete", "zone": "example.com",
                  "record": {"id": "1", "type": "MX", "name": "example.com"}},
}
LIST_RECORDS: Dict[str, Any] = {
    "kind": "tool_call",
    "tool": "dns_record_manage",
    "arguments": {"action": "list", "zone": "example.com"},
}
CONTEXT: Dict[str, Any] = {"zones_allowed": ["example.com"], "scopes": ["dns:read", "dns:edit"]}


def test_validate_accepts_good_expressions() -> None:
    assert cfcp.waf.validate('http.host eq "example.com"') is None
    assert cfcp.waf.validate('lower(http.host)', kind="value") is None


def test_validate_raises_with_the_offset() -> None:
    expression = 'http.host contans "x"'
    with pytest.raises(cfcp.ExpressionError) as info:
        cfcp.waf.validate(expression)
    assert expression[info.value.offset:info.value.end] == "contans"
    assert info.value.help is not None and "contains" in info.value.help
    assert "contans" in str(info.value)
    with pytest.raises(TypeError):
        cfcp.waf.validate("true", kind="regex")


def test_analyze_covers_every_zone_or_one() -> None:
    snapshot = cfcp.Snapshot.demo()
    analysis = cfcp.waf.analyze(snapshot)
    assert [z["zone"] for z in analysis["zones"]] == snapshot.zone_names
    one = cfcp.waf.analyze(snapshot, zone="acme-api.io")
    assert [z["zone"] for z in one["zones"]] == ["acme-api.io"]


def test_simulate_traces_a_request() -> None:
    snapshot = cfcp.Snapshot.demo()
    request = {"method": "GET", "host": "acme-shop.com", "path": "/", "client_ip": "198.51.100.7"}
    trace = cfcp.waf.simulate(snapshot, "acme-shop.com", request)
    assert trace["zone"] == "acme-shop.com"
    assert isinstance(trace["steps"], list) and trace["final_action"]
    import json
    assert cfcp.waf.simulate(snapshot, "acme-shop.com", json.dumps(request)) == trace
    with pytest.raises(cfcp.UnknownZoneError) as info:
        cfcp.waf.simulate(snapshot, "nope.example", request)
    assert info.value.zone == "nope.example"
    assert "acme-shop.com" in info.value.known
    with pytest.raises(cfcp.DocumentError) as bad:
        cfcp.waf.simulate(snapshot, "acme-shop.com", {"client_ip": "not an ip"})
    assert bad.value.document == "request"


def test_propose_from_feed_text() -> None:
    feed = (DATA / "intel" / "spamhaus_drop.txt").read_text()
    proposal = cfcp.waf.propose(feed, "spamhaus-drop")
    assert proposal["items_payload"], proposal
    assert "resource" in proposal["hcl"]
    assert proposal["summary_markdown"]
    placed = cfcp.waf.propose(feed, "spamhaus-drop", cfcp.Snapshot.demo(), "acme-shop.com",
                              list_name="drop_test", challenge=True)
    assert placed["list_name"] == "drop_test"
    assert placed["zone_name"] == "acme-shop.com"
    assert placed["rule_payload"]["action"] == "managed_challenge"
    with pytest.raises(cfcp.DocumentError):
        cfcp.waf.propose(feed, "xml")


def test_layer0_classify_and_route() -> None:
    classification = cfcp.layer0.classify(DELETE_MX, CONTEXT)
    assert classification["intent"] == "destroy"
    assert cfcp.layer0.classify(LIST_RECORDS, CONTEXT)["intent"] == "read"
    verdict = cfcp.layer0.route(DELETE_MX, CONTEXT)
    assert verdict["route"] == verdict["decision"]["route"] == "approve"
    assert cfcp.layer0.route(LIST_RECORDS, CONTEXT)["route"] == "allow"
    # A request may carry its own context, as on the command line.
    assert cfcp.layer0.route({**LIST_RECORDS, "context": CONTEXT})["route"] == "allow"


def test_layer0_custom_policy_and_errors() -> None:
    block_all = '@route("block")\nforbid(principal, action, resource);\n'
    verdict = cfcp.layer0.route(LIST_RECORDS, CONTEXT, extend_policy=block_all)
    assert verdict["route"] == "block"
    with pytest.raises(cfcp.PolicyError) as info:
        cfcp.layer0.route(LIST_RECORDS, CONTEXT, policy="permit(principal, action")
    assert info.value.source == "policy"
    with pytest.raises(cfcp.DocumentError):
        cfcp.layer0.classify("{not json")
    with pytest.raises(cfcp.DocumentError):
        cfcp.layer0.classify({"kind": "teleport"})


def test_audit_verify_good_and_tampered(audit_log: Tuple[Path, Path], tmp_path: Path) -> None:
    log, public_key = audit_log
    report = cfcp.audit.verify(log, public_key, require_sealed=True)
    assert report["ok"] and report["problem"] is None
    assert report["entries"] == 10
    assert report["checkpoints"] >= 3 and report["sealed"] and report["key_pinned"]
    assert len(report["head"]) == 64
    lines = log.read_bytes().splitlines(keepends=True)
    tampered = tmp_path / "tampered.jsonl"
    index = next(i for i, line in enumerate(lines) if b"z3.example" in line)
    lines[index] = lines[index].replace(b"z3.example", b"z9.example")
    tampered.write_bytes(b"".join(lines))
    bad = cfcp.audit.verify(tampered)
    assert not bad["ok"] and f"line {index + 1}" in bad["problem"]
    with pytest.raises(FileNotFoundError):
        cfcp.audit.verify(tmp_path / "missing.jsonl")
    garbage_key = tmp_path / "garbage.pub"
    garbage_key.write_text("not a key")
    with pytest.raises(cfcp.AuditError) as info:
        cfcp.audit.verify(log, garbage_key)
    assert info.value.path.endswith("garbage.pub")
