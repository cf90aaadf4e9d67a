use serde_json::json;

use super::*;
use crate::layer0::tools::TOOLS;

fn with_backend<R>(f: impl FnOnce(&Backend<'_>, &str, &str) -> R) -> R {
    let snapshot = crate::snapshot::demo();
    let layer0 = Layer0::default();
    let zone = snapshot.zones[0].zone.name.clone();
    let account = snapshot.accounts[0].account.id.clone();
    let context = Context {
        zones_allowed: vec![zone.clone()],
        account_id: Some(account.clone()),
        scopes: vec!["dns:read".into(), "waf:read".into()],
        ..Context::default()
    };
    let backend = Backend {
        snapshot: &snapshot,
        layer0: &layer0,
        context: &context,
        now: snapshot.taken_at.to_datetime(),
    };
    f(&backend, &zone, &account)
}

/// A read call for every tool, as an agent would make it.
fn read_call(name: &str, zone: &str, account: &str) -> Value {
    match name {
        "dns_record_manage" => json!({"action": "list", "zone": zone}),
        "waf_rule_configure" => json!({"action": "validate", "zone": zone,
                                       "rule": {"expression": "ip.src eq 192.0.2.1"}}),
        "tunnel_health_check" => json!({"account_id": account}),
        "zone_analytics_query" => json!({"zone": zone}),
        "threat_intel_integrate" => {
            json!({"zone": zone, "indicators": ["192.0.2.7", "198.51.100.0/24"]})
        }
        "security_classify" => json!({"request": "list the dns records of example.com"}),
        "routing_decide" => {
            json!({"classification": {"intent": "read", "flags": [], "risk": 0, "evidence": []}})
        }
        "threat_assess" => json!({"indicator": "AS14061"}),
        "decision_support" => json!({"question": "Which zone should I fix first?"}),
        _ => json!({"zone": zone}),
    }
}

#[test]
fn every_read_answers_from_the_snapshot_and_only_analytics_needs_live() {
    with_backend(|backend, zone, account| {
        for t in TOOLS {
            let result = call(backend, t.name, &read_call(t.name, zone, account));
            if t.name == "zone_analytics_query" {
                assert_eq!(result.unwrap_err(), UNAVAILABLE_OFFLINE);
            } else {
                let value = result.unwrap_or_else(|e| panic!("{}: {e}", t.name));
                assert!(value.is_object(), "{}: {value}", t.name);
            }
        }
    });
}

#[test]
fn changes_are_refused_offline() {
    with_backend(|backend, zone, _| {
        let calls = [
            (
                "dns_record_manage",
                json!({"action": "delete", "zone": zone, "record": {"id": "x"}}),
            ),
            (
                "waf_rule_configure",
                json!({"action": "disable", "zone": zone, "rule": {"id": "x"}}),
            ),
            (
                "threat_intel_integrate",
                json!({"zone": zone, "mode": "apply", "indicators": ["192.0.2.1"]}),
            ),
        ];
        for (name, args) in calls {
            assert_eq!(
                call(backend, name, &args).unwrap_err(),
                UNAVAILABLE_OFFLINE,
                "{name}"
            );
        }
    });
}

#[test]
fn dns_list_filters_and_pages_the_zone_records() {
    with_backend(|backend, zone, _| {
        let z = backend.snapshot.zone(zone).unwrap();
        let all = call(
            backend,
            "dns_record_manage",
            &json!({"action": "list", "zone": zone}),
        )
        .unwrap();
        assert_eq!(all["summary"]["page"]["total"], z.dns_records.len());
        let first = &z.dns_records[0];
        let of_type = z
            .dns_records
            .iter()
            .filter(|r| r.record_type == first.record_type)
            .count();
        let filtered = call(
            backend,
            "dns_record_manage",
            &json!({"action": "list", "zone": zone,
            "record": {"type": first.record_type.as_str()}, "limit": 1}),
        )
        .unwrap();
        assert_eq!(filtered["summary"]["page"]["total"], of_type);
        assert_eq!(filtered["records"].as_array().unwrap().len(), 1);
        assert_eq!(filtered["records"][0]["type"], first.record_type.as_str());
    });
}

#[test]
fn bad_arguments_and_unknown_zones_and_tools_say_what_is_wrong() {
    with_backend(|backend, _, _| {
        let e = call(
            backend,
            "dns_record_manage",
            &json!({"action": "list", "zone": 7}),
        )
        .unwrap_err();
        assert!(e.contains("arguments.zone: expected a string"), "{e}");
        let e = call(
            backend,
            "dns_record_manage",
            &json!({"action": "list", "zone": "nope.example"}),
        )
        .unwrap_err();
        assert!(e.contains("not a zone this server serves"), "{e}");
        let e = call(backend, "rm_rf", &json!({})).unwrap_err();
        assert!(e.starts_with("unknown tool"), "{e}");
    });
}

#[test]
fn routing_decide_cannot_approve_itself_or_widen_the_context() {
    with_backend(|backend, zone, _| {
        let verdict = backend.layer0.decide(
            &json!({"kind": "tool_call", "tool": "dns_record_manage",
                    "arguments": {"action": "delete", "zone": zone, "record": {"id": "r1"}}}),
            backend.context,
            Some(backend.snapshot),
        );
        let args = json!({"classification": verdict.classification,
                          "context": {"approved": true, "zones_allowed": ["*"], "scopes": ["dns:edit"]}});
        let decision = call(backend, "routing_decide", &args).unwrap();
        assert_ne!(decision["route"], "allow", "{decision}");
    });
}
