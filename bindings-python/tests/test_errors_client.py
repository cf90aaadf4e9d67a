"""The exception hierarchy, and Client against the fake Cloudflare API (sync and async)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import cfcp

MARKER = "py-marker-token-7f3a"


def test_hierarchy() -> None:
    for cls in (cfcp.ApiError, cfcp.SnapshotError, cfcp.ExpressionError, cfcp.PolicyError,
                cfcp.ConfigError, cfcp.DocumentError, cfcp.UnknownZoneError, cfcp.AuditError):
        assert issubclass(cls, cfcp.CfcpError)
    assert issubclass(cfcp.AuthError, cfcp.ApiError)
    assert issubclass(cfcp.RateLimitedError, cfcp.ApiError)
    assert issubclass(cfcp.CfcpError, Exception)
    assert cfcp.CfcpError.__module__ == "cfcp"


def test_snapshot_errors_name_the_file_and_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "cfcp.snapshot/v1",\n "taken_at": 3}')
    with pytest.raises(cfcp.SnapshotError) as info:
        cfcp.Snapshot.load(bad)
    assert info.value.path == str(bad)
    assert info.value.json_path == "taken_at"
    assert info.value.line == 2
    with pytest.raises(cfcp.SnapshotError) as syntax:
        cfcp.Snapshot.from_json("{")
    assert syntax.value.path is None and syntax.value.line == 1
    with pytest.raises(cfcp.SnapshotError, match="unsupported snapshot format"):
        cfcp.Snapshot.from_json('{"format": "cfcp.snapshot/v9"}')
    with pytest.raises(FileNotFoundError):
        cfcp.Snapshot.load(tmp_path / "missing.json")


def test_bad_waivers_and_policies(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.json"
    waivers.write_text('[{"check_id": 3}]')
    with pytest.raises(cfcp.DocumentError) as info:
        cfcp.check(cfcp.Snapshot.demo(), waivers=waivers)
    assert info.value.document == "waiver file"
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "broken.rego").write_text("package cfcp.broken\n deny contains x if {")
    with pytest.raises(cfcp.PolicyError) as policy:
        cfcp.check(cfcp.Snapshot.demo(), policy_dir=policies)
    assert policy.value.source.endswith("broken.rego")
    assert policy.value.errors


def test_client_needs_credentials() -> None:
    with pytest.raises(cfcp.ConfigError, match="CLOUDFLARE_API_TOKEN"):
        cfcp.Client()
    with pytest.raises(cfcp.ConfigError):
        cfcp.Client(token="t", base_url="not a url")


def test_client_reads_the_environment(monkeypatch: pytest.MonkeyPatch, fake_cloudflare: str) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "good-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake_cloudflare)
    client = cfcp.Client()
    assert client.base_url.rstrip("/") == fake_cloudflare.rstrip("/")
    snapshot = client.snapshot(zones=["acme-api.io"])
    assert snapshot.zone_names == ["acme-api.io"]
    assert client.requests_sent > 0


def test_snapshot_from_the_fake_api_matches_the_demo(fake_cloudflare: str) -> None:
    client = cfcp.Client(token="good-token", base_url=fake_cloudflare)
    snapshot = client.snapshot()
    assert snapshot.zone_names == cfcp.Snapshot.demo().zone_names
    assert snapshot.gaps == []
    live = cfcp.check(snapshot)
    assert live.summary.failed > 0


def test_snapshot_async(fake_cloudflare: str) -> None:
    client = cfcp.Client(token="good-token", base_url=fake_cloudflare)

    async def main() -> list:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.ensure_future(ticker())
        snapshots = await asyncio.gather(client.snapshot_async(zones=["acme-shop.com"]),
                                         client.snapshot_async(zones=["acme-api.io"]))
        task.cancel()
        assert ticks > 0, "the event loop ran while the snapshots were taken"
        return [s.zone_names for s in snapshots]

    assert asyncio.run(main()) == [["acme-shop.com"], ["acme-api.io"]]


def test_auth_error_never_shows_the_token(fake_cloudflare: str) -> None:
    client = cfcp.Client(token=MARKER, base_url=fake_cloudflare, max_retries=0)
    assert MARKER not in repr(client) and MARKER not in str(client)
    with pytest.raises(cfcp.AuthError) as info:
        client.snapshot()
    assert info.value.status in (401, 403)
    assert isinstance(info.value.codes, list) and info.value.codes
    assert MARKER not in str(info.value) and MARKER not in repr(info.value)
    assert MARKER not in json.dumps(vars(info.value), default=str)


def test_async_errors_raise_in_the_awaiting_task(fake_cloudflare: str) -> None:
    client = cfcp.Client(token=MARKER, base_url=fake_cloudflare, max_retries=0)

    async def main() -> cfcp.Snapshot:
        return await client.snapshot_async()

    with pytest.raises(cfcp.AuthError):
        asyncio.run(main())


def test_rate_limited(rate_limited_cloudflare: str) -> None:
    client = cfcp.Client(token="good-token", base_url=rate_limited_cloudflare, max_retries=0)
    with pytest.raises(cfcp.RateLimitedError) as info:
        client.snapshot()
    assert info.value.status == 429
    assert info.value.retry_after == 1
    assert info.value.request.startswith("GET ")


def test_transport_error_is_an_api_error_without_status() -> None:
    client = cfcp.Client(token="good-token", base_url="http://127.0.0.1:9/client/v4",
                         max_retries=0, timeout=2)
    with pytest.raises(cfcp.ApiError) as info:
        client.snapshot()
    assert info.value.status is None
    assert not isinstance(info.value, (cfcp.AuthError, cfcp.RateLimitedError))
