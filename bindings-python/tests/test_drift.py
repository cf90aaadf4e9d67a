"""cfcp.drift: diff, risk, revert plan, rendering and Terraform code."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

import cfcp


def grey_clouded() -> cfcp.Snapshot:
    """The demo with one proxied record of acme-shop.com switched to DNS only."""
    data: Dict[str, Any] = cfcp.Snapshot.demo().to_dict()
    zone = next(z for z in data["zones"] if z["zone"]["name"] == "acme-shop.com")
    record = next(r for r in zone["dns_records"] if r["name"] == "api.acme-shop.com" and r["type"] == "A")
    record["proxied"] = False
    return cfcp.Snapshot.from_json(json.dumps(data))


def test_a_snapshot_has_no_drift_against_itself() -> None:
    s = cfcp.Snapshot.demo()
    drift = cfcp.drift.diff(s, s)
    assert drift["format"] == "cfcp.drift/v1"
    assert drift["items"] == []
    assert drift["compared"]["zones"] == 3
    assert cfcp.drift.render(drift).startswith("No drift")


def test_a_grey_clouded_record_is_a_high_risk_drift_and_reverts_with_one_patch() -> None:
    desired, live = cfcp.Snapshot.demo(), grey_clouded()
    drift = cfcp.drift.diff(desired, live)
    (item,) = drift["items"]
    assert item["kind"] == "dns_record"
    assert item["change"] == "changed"
    assert item["attributes"][0] == {"path": "proxied", "desired": True, "live": False}
    assert item["risk"]["level"] == "high"
    assert item["risk"]["flags"] == ["security_downgrade"]
    assert cfcp.drift.diff(desired, live, assess=False)["items"][0]["risk"]["level"] == "info"

    plan = cfcp.drift.revert(drift)
    (step,) = plan["steps"]
    assert step["operation"]["method"] == "PATCH"
    assert step["operation"]["body"]["proxied"] is True
    assert step["routing"]["route"] == "allow"
    # Outside the zones the caller may change, Layer0 blocks it.
    narrow = cfcp.drift.revert(drift, zones=["acme-api.io"])
    assert narrow["steps"][0]["routing"]["route"] == "block"

    text = cfcp.drift.render(drift)
    assert "HIGH" in text and "proxied: true -> false" in text
    assert "| high | changed |" in cfcp.drift.render(json.dumps(drift), format="markdown")


def test_terraform_code_for_an_account_and_for_a_drift() -> None:
    out = cfcp.drift.export_terraform(cfcp.Snapshot.demo(), zones=["acme-shop.com"], skip_accounts=True)
    names = [f["name"] for f in out["files"]]
    assert names == ["acme-shop.com.tf", "imports.tf"]
    imports = next(f["text"] for f in out["files"] if f["name"] == "imports.tf")
    assert imports.count("import {") == len(out["resources"])

    code = cfcp.drift.adopt(cfcp.drift.diff(cfcp.Snapshot.demo(), grey_clouded()))
    zone = next(f["text"] for f in code["files"] if f["name"] == "acme-shop.com.tf")
    assert "proxied = false" in zone
    # A changed resource is already in the state: no import block.
    assert all(f["name"] != "imports.tf" for f in code["files"])


def test_bad_input_names_the_path() -> None:
    with pytest.raises(cfcp.DocumentError) as info:
        cfcp.drift.revert({"format": "cfcp.drift/v1", "items": 3, "not_compared": [], "compared": {}})
    assert "items" in str(info.value)
    with pytest.raises(ValueError):
        cfcp.drift.render(cfcp.drift.diff(cfcp.Snapshot.demo(), cfcp.Snapshot.demo()), format="html")


STATE = {
    "version": 4,
    "terraform_version": "1.9.0",
    "resources": [
        {
            "mode": "managed",
            "type": "cloudflare_dns_record",
            "name": "api",
            "provider": 'provider["registry.terraform.io/cloudflare/cloudflare"]',
            "instances": [
                {
                    "schema_version": 0,
                    "attributes": {
                        "id": "0ee55efff3d6956f395af6c05d394ed0",
                        "zone_id": "b7413d53f51c03ab509a501d0e86d7df",
                        "name": "api.acme-shop.com",
                        "type": "A",
                        "content": "203.0.113.11",
                        "proxied": True,
                        "ttl": 1,
                    },
                }
            ],
        }
    ],
}


def test_terraform_state_is_a_desired_state() -> None:
    desired = cfcp.Snapshot.from_terraform(json.dumps(STATE), "terraform.tfstate")
    assert desired.stats["dns_records"] == 1
    # Only the record Terraform manages is compared; settings and the rest are gaps.
    assert any(g["section"] == "settings" for g in desired.gaps)
    # The zone's other records are not in the state: made outside Terraform.
    same = cfcp.drift.diff(desired, cfcp.Snapshot.demo())["items"]
    assert {i["change"] for i in same} == {"added"} and len(same) == 28
    drift = cfcp.drift.diff(desired, grey_clouded())
    changed = [i for i in drift["items"] if i["change"] == "changed"]
    assert [i["attributes"][0]["path"] for i in changed] == ["proxied"]
    with pytest.raises(cfcp.SnapshotError, match="line 1, column 29"):
        cfcp.Snapshot.from_terraform('{"version": 4, "resources": [')
