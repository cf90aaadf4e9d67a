//! Synthetic accounts for benchmarks and large tests: realistic, deterministic, fast to build.

use cfcp::snapshot::{DnsRecord, Field, RecordType, Snapshot};
use serde_json::{json, Map, Value};

use crate::util::SplitMix;

/// The bulk settings every synthetic zone has (id, value, editable).
fn settings(rng: &mut SplitMix) -> Vec<Value> {
    let on_off = |rng: &mut SplitMix| if rng.below(2) == 0 { "on" } else { "off" };
    let mut s: Vec<(&str, Value, bool)> = vec![
        ("0rtt", json!(on_off(rng)), true),
        ("advanced_ddos", json!("on"), false),
        ("always_online", json!(on_off(rng)), true),
        ("always_use_https", json!(on_off(rng)), true),
        ("automatic_https_rewrites", json!(on_off(rng)), true),
        ("brotli", json!("on"), true),
        ("browser_cache_ttl", json!(14400), true),
        ("browser_check", json!(on_off(rng)), true),
        ("cache_level", json!("aggressive"), true),
        ("challenge_ttl", json!(1800), true),
        ("ciphers", json!([]), true),
        ("cname_flattening", json!("flatten_at_root"), false),
        ("development_mode", json!("off"), true),
        ("early_hints", json!(on_off(rng)), true),
        ("email_obfuscation", json!(on_off(rng)), true),
        ("h2_prioritization", json!("off"), false),
        ("hotlink_protection", json!(on_off(rng)), true),
        ("http2", json!("on"), true),
        ("http3", json!(on_off(rng)), true),
        ("ip_geolocation", json!("on"), true),
        ("ipv6", json!("on"), true),
        ("max_upload", json!(100), true),
        (
            "min_tls_version",
            json!(["1.0", "1.1", "1.2", "1.3"][rng.below(4) as usize]),
            true,
        ),
        ("mirage", json!("off"), false),
        ("opportunistic_encryption", json!(on_off(rng)), true),
        ("opportunistic_onion", json!("on"), true),
        ("orange_to_orange", json!("off"), false),
        ("origin_error_page_pass_thru", json!("off"), false),
        ("polish", json!("off"), false),
        ("prefetch_preload", json!("off"), false),
        ("privacy_pass", json!("on"), true),
        ("proxy_read_timeout", json!("100"), false),
        ("pseudo_ipv4", json!("off"), true),
        ("rocket_loader", json!(on_off(rng)), true),
        (
            "security_header",
            json!({"strict_transport_security": {"enabled": rng.below(2) == 0, "max_age": 15552000, "include_subdomains": true, "preload": false, "nosniff": true}}),
            true,
        ),
        (
            "security_level",
            json!(["low", "medium", "high", "essentially_off"][rng.below(4) as usize]),
            true,
        ),
        ("server_side_exclude", json!("on"), true),
        (
            "ssl",
            json!(["off", "flexible", "full", "strict"][rng.below(4) as usize]),
            true,
        ),
        ("tls_1_3", json!("on"), true),
        ("tls_client_auth", json!("off"), true),
        ("waf", json!("off"), false),
        ("websockets", json!("on"), true),
    ];
    s.drain(..)
        .map(|(id, value, editable)| {
            json!({"id": id, "value": value, "editable": editable, "modified_on": "2026-01-01T00:00:00.000000Z"})
        })
        .collect()
}

fn record(rng: &mut SplitMix, zone: &str, i: usize) -> DnsRecord {
    let id = rng.hex32();
    let ts = "2026-01-01T00:00:00.000000Z";
    let (rtype, content, priority, data): (&str, String, Option<u16>, Option<Value>) = match i % 12
    {
        0..=3 => (
            "A",
            format!("198.51.{}.{}", (i / 250) % 256, 1 + i % 250),
            None,
            None,
        ),
        4 | 5 => (
            "AAAA",
            format!("2001:db8:{:x}::{:x}", i / 65536, i % 65536 + 1),
            None,
            None,
        ),
        6 => ("CNAME", format!("origin{}.example.net", i % 7), None, None),
        7 => (
            "TXT",
            format!("\"v=spf1 include:_spf.example.net ~all {i}\""),
            None,
            None,
        ),
        8 => (
            "MX",
            format!("mx{}.{zone}", i % 3),
            Some(10 + (i % 5) as u16 * 10),
            None,
        ),
        9 => (
            "CAA",
            "0 issue \"letsencrypt.org\"".into(),
            None,
            Some(json!({"flags": 0, "tag": "issue", "value": "letsencrypt.org"})),
        ),
        10 => (
            "SRV",
            format!("5 {} sip.{zone}", 5000 + i % 100),
            Some(10),
            Some(
                json!({"priority": 10, "weight": 5, "port": 5000 + i % 100, "target": format!("sip.{zone}")}),
            ),
        ),
        _ => (
            "HTTPS",
            "1 . alpn=\"h3,h2\"".into(),
            None,
            Some(json!({"priority": 1, "target": ".", "value": "alpn=\"h3,h2\""})),
        ),
    };
    let name = match rtype {
        "MX" | "CAA" => zone.to_owned(),
        "SRV" => format!("_sip{i}._tcp.{zone}"),
        _ => format!("host{i}.{zone}"),
    };
    let proxiable = matches!(rtype, "A" | "AAAA" | "CNAME");
    let proxied = proxiable && rng.below(3) != 0;
    let ttl = if proxied {
        1
    } else {
        [60, 300, 3600, 86400][rng.below(4) as usize]
    };
    let mut extra = Map::new();
    extra.insert("settings".into(), json!({}));
    extra.insert(
        "meta".into(),
        json!({"auto_added": false, "managed_by_apps": false, "managed_by_argo_tunnel": false}),
    );
    extra.insert("created_on".into(), json!(ts));
    extra.insert("modified_on".into(), json!(ts));
    let opt = |v: Option<Value>| v.map_or(Field::Absent, |v| Field::Value(v.into()));
    DnsRecord {
        id: Field::Value(id),
        name,
        record_type: RecordType::from(rtype),
        content: Field::Value(content),
        proxied: Field::Value(proxied),
        proxiable: Field::Value(proxiable),
        ttl: Field::Value(ttl),
        priority: priority.map_or(Field::Absent, Field::Value),
        data: opt(data),
        comment: if i % 10 == 0 {
            Field::Value(format!("record {i}"))
        } else {
            Field::Null
        },
        tags: Field::Value(Vec::new()),
        extra: extra.into(),
    }
}

fn rulesets(rng: &mut SplitMix, zone: &str) -> Vec<Value> {
    let ts = "2026-01-01T00:00:00.000000Z";
    let mut rule = |action: &str, expression: String, description: &str, extra: Value| {
        let id = rng.hex32();
        let mut r = json!({
            "id": id, "version": "1", "action": action, "expression": expression,
            "description": description, "last_updated": ts, "ref": id, "enabled": true,
        });
        if let (Some(o), Value::Object(e)) = (r.as_object_mut(), extra) {
            o.extend(e);
        }
        r
    };
    let custom = vec![
        rule("block", "(ip.src in $blocklist)".into(), "Block listed IPs", Value::Null),
        rule(
            "managed_challenge",
            format!("(http.host eq \"{zone}\" and http.request.uri.path contains \"/login\" and cf.threat_score gt 10)"),
            "Challenge risky logins",
            Value::Null,
        ),
        rule(
            "skip",
            "(http.request.uri.path eq \"/healthz\")".into(),
            "Let the uptime monitor through",
            json!({"action_parameters": {"ruleset": "current"}, "logging": {"enabled": true}}),
        ),
    ];
    let managed = vec![
        rule(
            "execute",
            "true".into(),
            "Cloudflare Managed Ruleset",
            json!({"action_parameters": {"id": "efb7b8c949ac4650a09736fc376e9aee"}}),
        ),
        rule(
            "execute",
            "true".into(),
            "Cloudflare OWASP Core Ruleset",
            json!({"action_parameters": {"id": "4814384a9e5d4991b9815dcfc25d2f1f", "overrides": {"rules": [{"id": "6179ae15870a4bb7b2d480d4843b323c", "score_threshold": 40}]}}}),
        ),
    ];
    let ratelimit = vec![rule(
        "block",
        "(http.request.uri.path contains \"/api/\")".into(),
        "Rate limit the API",
        json!({"ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": 60, "requests_per_period": 100, "mitigation_timeout": 600}}),
    )];
    [
        ("http_request_firewall_custom", "firewall_custom", custom),
        ("http_request_firewall_managed", "firewall_managed", managed),
        ("http_ratelimit", "rate_limit", ratelimit),
    ]
    .into_iter()
    .map(|(phase, source, rules)| {
        json!({
            "id": rng.hex32(), "name": "default", "description": "", "source": source, "kind": "zone",
            "version": format!("{}", 1 + rng.below(9)), "rules": rules, "last_updated": ts, "phase": phase,
        })
    })
    .collect()
}

/// A synthetic account: `zones` zones with `records_per_zone` DNS records each, ~40 settings,
/// three entrypoint rulesets (custom, managed, rate limiting), DNSSEC and bot management per zone,
/// plus one account with three tunnels (configurations and connections) and an IP list.
/// The same arguments always give the same snapshot.
pub fn account(zones: usize, records_per_zone: usize, seed: u64) -> Snapshot {
    let mut rng = SplitMix::new(seed);
    let account_id = rng.hex32();
    let account_name = format!("Synthetic Account {seed}");
    let ts = "2026-01-01T00:00:00.000000Z";
    let mut zone_values = Vec::with_capacity(zones);
    let mut all_records = Vec::with_capacity(zones);
    for z in 0..zones {
        let name = format!("zone{z:04}-s{seed}.example");
        let id = rng.hex32();
        let enterprise = z % 10 == 0;
        let zone = json!({
            "id": id, "name": name, "status": "active", "paused": false, "type": "full",
            "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": null, "original_registrar": null, "original_dnshost": null,
            "modified_on": ts, "created_on": ts, "activated_on": ts,
            "meta": {"step": 2, "custom_certificate_quota": 0, "page_rule_quota": 3, "phishing_detected": false},
            "owner": {"id": null, "type": "organization", "email": null},
            "account": {"id": account_id, "name": account_name},
            "tenant": {"id": null, "name": null}, "tenant_unit": {"id": null},
            "permissions": ["#zone:read", "#dns_records:edit"],
            "plan": if enterprise {
                json!({"id": "94f3b7b768b0458b56d2cac4fe5ec0f9", "name": "Enterprise Website", "price": 0, "currency": "USD", "frequency": "", "is_subscribed": true, "can_subscribe": false, "legacy_id": "enterprise", "legacy_discount": false, "externally_managed": false})
            } else {
                json!({"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website", "price": 0, "currency": "USD", "frequency": "", "is_subscribed": false, "can_subscribe": false, "legacy_id": "free", "legacy_discount": false, "externally_managed": false})
            },
        });
        let records: Vec<DnsRecord> = (0..records_per_zone)
            .map(|i| record(&mut rng, &name, i))
            .collect();
        let dnssec = if z % 3 == 0 {
            json!({"status": "active", "algorithm": "13", "digest_type": "2", "digest_algorithm": "SHA256",
                   "digest": "14D14E8D2B307281E0E61C6C76F96DCEF440193321DD76ACB614349D17A0EF7F",
                   "ds": format!("{name}. 3600 IN DS 2371 13 2 14D14E8D2B307281E0E61C6C76F96DCEF440193321DD76ACB614349D17A0EF7F"),
                   "flags": 257, "key_tag": 2371, "key_type": "ECDSAP256SHA256", "modified_on": ts,
                   "public_key": "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
                   "dnssec_multi_signer": false, "dnssec_presigned": false, "dnssec_use_nsec3": false})
        } else {
            json!({"status": "disabled", "algorithm": null, "digest": null, "digest_algorithm": null, "digest_type": null,
                   "ds": null, "flags": null, "key_tag": null, "key_type": null, "modified_on": null, "public_key": null,
                   "dnssec_multi_signer": false, "dnssec_presigned": false, "dnssec_use_nsec3": false})
        };
        let bot = json!({"enable_js": rng.below(2) == 0, "fight_mode": rng.below(2) == 0, "using_latest_model": true,
                         "ai_bots_protection": "disabled", "is_robots_txt_managed": false});
        all_records.push(records);
        zone_values.push(json!({
            "zone": zone,
            "settings": settings(&mut rng),
            "dns_records": [],
            "dnssec": dnssec,
            "rulesets": rulesets(&mut rng, &name),
            "bot_management": bot,
        }));
    }
    let tunnels: Vec<Value> = (0..3)
        .map(|t| {
            let tid = rng.uuid();
            let client = rng.uuid();
            let conns: Vec<Value> = ["FRA", "AMS"]
                .iter()
                .map(|colo| json!({"colo_name": colo, "id": rng.uuid(), "is_pending_reconnect": false,
                                   "origin_ip": "203.0.113.40", "opened_at": ts, "client_id": client, "client_version": "2025.10.1"}))
                .collect();
            let tunnel = json!({"id": tid, "account_tag": account_id, "name": format!("synthetic-tunnel-{t}"),
                                "status": if t == 2 { "inactive" } else { "healthy" }, "created_at": ts, "deleted_at": null,
                                "connections": if t == 2 { json!([]) } else { Value::Array(conns.clone()) },
                                "conns_active_at": ts, "conns_inactive_at": null, "tun_type": "cfd_tunnel",
                                "metadata": {}, "remote_config": true, "config_src": "cloudflare"});
            let first_zone = zone_values.first().and_then(|z| z["zone"]["name"].as_str()).unwrap_or("example.com").to_owned();
            let configuration = json!({"tunnel_id": tid, "version": 1 + t, "source": "cloudflare", "created_at": ts,
                "config": {"ingress": [
                    {"hostname": format!("app{t}.{first_zone}"), "service": "http://localhost:8080", "originRequest": {}},
                    {"hostname": format!("ssh{t}.{first_zone}"), "service": "ssh://localhost:22", "originRequest": {}},
                    {"service": "http_status:404"}
                ], "warp-routing": {"enabled": false}}});
            let connectors = if t == 2 {
                json!([])
            } else {
                json!([{"id": client, "features": ["ha-origin"], "version": "2025.10.1", "arch": "linux_amd64",
                        "config_version": 1 + t, "run_at": ts, "conns": conns}])
            };
            json!({"tunnel": tunnel, "configuration": configuration, "connections": connectors})
        })
        .collect();
    let items: Vec<Value> = (0..20)
        .map(|i| json!({"id": rng.hex32(), "ip": format!("198.18.{i}.0/24"), "comment": format!("abusive range {i}"),
                        "created_on": ts, "modified_on": ts}))
        .collect();
    let list = json!({"list": {"id": rng.hex32(), "name": "blocklist", "description": "Synthetic block list", "kind": "ip",
                               "num_items": items.len(), "num_referencing_filters": 0, "created_on": ts, "modified_on": ts},
                      "items": items});
    let snapshot = json!({
        "format": "cfcp.snapshot/v1",
        "taken_at": "2026-01-01T00:00:00Z",
        "source": {"kind": "file", "detail": format!("fake_cloudflare::synthetic::account({zones}, {records_per_zone}, {seed})")},
        "accounts": [{
            "account": {"id": account_id, "name": account_name, "type": "standard",
                        "settings": {"enforce_twofactor": false}, "created_on": ts},
            "tunnels": tunnels,
            "lists": [list],
        }],
        "zones": zone_values,
        "gaps": [],
    });
    // The values above always fit the snapshot model; an error here is a bug in this module.
    let mut snapshot: Snapshot = serde_json::from_value(snapshot)
        .unwrap_or_else(|e| panic!("synthetic snapshot does not fit the model: {e}"));
    // DNS records are built typed: deserializing 100,000 of them through the model is slow.
    for (zone, records) in snapshot.zones.iter_mut().zip(all_records) {
        zone.dns_records = records;
    }
    snapshot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_complete() {
        let a = account(3, 40, 7);
        let b = account(3, 40, 7);
        assert_eq!(a, b);
        assert_eq!(a.zones.len(), 3);
        assert_eq!(a.zones[0].dns_records.len(), 40);
        assert!(a.zones[0].settings.len() >= 40);
        assert_eq!(a.zones[0].rulesets.len(), 3);
        assert_eq!(a.accounts[0].tunnels.len(), 3);
        assert_eq!(a.accounts[0].lists[0].items.len(), 20);
        let types: std::collections::HashSet<&str> = a.zones[0]
            .dns_records
            .iter()
            .map(|r| r.record_type.as_str())
            .collect();
        assert!(types.len() >= 8, "{types:?}");
        assert_ne!(account(1, 1, 1), account(1, 1, 2));
    }
}
