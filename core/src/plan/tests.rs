use serde_json::{json, Value};

use super::*;
use crate::snapshot::demo;
use crate::Error;

const SHOP: &str = "acme-shop.com";
const INTERNAL: &str = "acme-internal.net";

fn plan(snapshot: &Snapshot, tool: &str, arguments: Value, nonce: Option<&str>) -> Result<Plan> {
    Plan::new(
        snapshot,
        PlanRequest {
            tool,
            arguments: &arguments,
            routing: Routing::default(),
            now: snapshot.taken_at.to_datetime(),
            ttl: DEFAULT_TTL,
            nonce,
        },
    )
}

fn zone_of<'a>(snapshot: &'a Snapshot, name: &str) -> &'a crate::snapshot::ZoneSnapshot {
    snapshot.zone(name).unwrap()
}

#[test]
fn dns_create_posts_an_absolute_name_and_applies() {
    let snapshot = demo();
    let p = plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "create", "zone": SHOP, "confirm": "ignored",
               "record": {"type": "A", "name": "launch", "content": "192.0.2.7", "proxied": true, "bogus": 1}}),
        None,
    )
    .unwrap();
    let zone = zone_of(&snapshot, SHOP);
    assert_eq!(p.zone_id, zone.zone.id);
    assert!(p.arguments.get("confirm").is_none());
    let op = &p.operations[0];
    assert_eq!(op.method, "POST");
    assert_eq!(op.path, format!("/zones/{}/dns_records", zone.zone.id));
    let body = op.body.as_ref().unwrap();
    assert_eq!(body["name"], "launch.acme-shop.com");
    assert!(body.get("bogus").is_none(), "only record members are sent");
    let after = apply_to_snapshot(&snapshot, SHOP, &p.operations).unwrap();
    let added = zone_of(&after, SHOP)
        .dns_records
        .iter()
        .find(|r| r.name == "launch.acme-shop.com")
        .expect("the record is in the planned snapshot");
    assert_eq!(added.content_str(), "192.0.2.7");
    assert_eq!(p.snapshot_fingerprint, fingerprint(zone));
    assert_ne!(fingerprint(zone_of(&after, SHOP)), p.snapshot_fingerprint);
}

#[test]
fn records_adds_one_operation_per_record() {
    let snapshot = demo();
    let p = plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "create", "zone": SHOP,
               "record": {"type": "A", "name": "a1", "content": "192.0.2.1"},
               "records": [{"type": "A", "name": "a2", "content": "192.0.2.2"}]}),
        None,
    )
    .unwrap();
    assert_eq!(p.operations.len(), 2);
    assert_eq!(
        p.operations[1].body.as_ref().unwrap()["name"],
        "a2.acme-shop.com"
    );
    let missing = plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "create", "zone": SHOP,
               "record": {"type": "A", "name": "a1", "content": "192.0.2.1"},
               "records": [{"type": "A", "name": "a2"}]}),
        None,
    )
    .unwrap_err();
    assert!(
        missing.to_string().contains("arguments.records[0].content"),
        "{missing}"
    );
}

#[test]
fn unproxying_a_serving_record_newly_fails_an_invariant() {
    let snapshot = demo();
    let record = zone_of(&snapshot, SHOP)
        .dns_records
        .iter()
        .find(|r| r.name == "api.acme-shop.com" && r.is_proxied())
        .unwrap();
    let id = record.id.get().unwrap().clone();
    let p = plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "update", "zone": SHOP, "record": {"id": id, "proxied": false}}),
        None,
    )
    .unwrap();
    assert_eq!(p.operations[0].method, "PATCH");
    assert!(p.operations[0].path.ends_with(&id));
    assert_eq!(p.operations[0].body, Some(json!({"proxied": false})));
    assert!(
        p.invariants_newly_failing
            .iter()
            .any(|f| f.check_id == "dns_record_proxied" && f.resource == "A api.acme-shop.com"),
        "{:?}",
        p.invariants_newly_failing
    );
    // Proxying it again changes nothing that fails.
    let same = plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "update", "zone": SHOP, "record": {"id": id, "proxied": true}}),
        None,
    )
    .unwrap();
    assert!(same.invariants_newly_failing.is_empty());
}

#[test]
fn records_are_found_by_id_or_unambiguous_name() {
    let snapshot = demo();
    let unknown = plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "delete", "zone": SHOP, "record": {"id": "nope"}}),
        None,
    )
    .unwrap_err();
    assert!(
        unknown.to_string().contains("arguments.record.id"),
        "{unknown}"
    );
    let ambiguous = plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "delete", "zone": SHOP, "record": {"name": "api"}}),
        None,
    )
    .unwrap_err();
    assert!(
        ambiguous.to_string().contains("give the record's `id`"),
        "{ambiguous}"
    );
    let by_name = plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "delete", "zone": SHOP, "record": {"name": "api", "type": "AAAA"}}),
        None,
    )
    .unwrap();
    assert_eq!(by_name.operations[0].method, "DELETE");
    let after = apply_to_snapshot(&snapshot, SHOP, &by_name.operations).unwrap();
    assert_eq!(
        zone_of(&after, SHOP).dns_records.len() + 1,
        zone_of(&snapshot, SHOP).dns_records.len()
    );
    let zone = plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "create", "zone": "elsewhere.org", "record": {"type": "A", "name": "x", "content": "192.0.2.1"}}),
        None,
    )
    .unwrap_err();
    assert!(matches!(zone, Error::UnknownZone { .. }), "{zone}");
}

#[test]
fn waf_disable_patches_the_rule_with_its_action_and_expression() {
    let snapshot = demo();
    let zone = zone_of(&snapshot, SHOP);
    let ruleset = zone
        .rulesets
        .iter()
        .find(|r| r.phase.get() == Some(&crate::snapshot::Phase::HttpRequestFirewallCustom))
        .unwrap();
    let rule = ruleset.rules.iter().find(|r| r.is_enabled()).unwrap();
    let rule_id = rule.id.get().unwrap().clone();
    let p = plan(
        &snapshot,
        "waf_rule_configure",
        json!({"action": "disable", "zone": SHOP, "rule": {"id": rule_id}}),
        None,
    )
    .unwrap();
    let op = &p.operations[0];
    assert_eq!(op.method, "PATCH");
    assert_eq!(
        op.path,
        format!(
            "/zones/{}/rulesets/{}/rules/{rule_id}",
            zone.zone.id,
            ruleset.id.get().unwrap()
        )
    );
    let body = op.body.as_ref().unwrap();
    assert_eq!(body["enabled"], false);
    assert_eq!(
        body["expression"].as_str(),
        rule.expression.get().map(String::as_str)
    );
    let after = apply_to_snapshot(&snapshot, SHOP, &p.operations).unwrap();
    let disabled = zone_of(&after, SHOP)
        .rulesets
        .iter()
        .flat_map(|r| &r.rules)
        .find(|r| r.id.get() == Some(&rule_id))
        .unwrap();
    assert!(!disabled.is_enabled());
}

#[test]
fn waf_expressions_are_validated_with_their_offset() {
    let snapshot = demo();
    let err = plan(
        &snapshot,
        "waf_rule_configure",
        json!({"action": "create", "zone": SHOP,
               "rule": {"expression": "http.host eq \"a\" and ip.src in", "action": "block"}}),
        None,
    )
    .unwrap_err();
    match err {
        Error::Expression { offset, .. } => assert!(offset > 0),
        other => panic!("expected an expression error, got {other}"),
    }
}

#[test]
fn waf_create_without_an_entrypoint_puts_one() {
    let snapshot = demo();
    assert!(zone_of(&snapshot, INTERNAL)
        .ruleset(&crate::snapshot::Phase::HttpRequestFirewallCustom)
        .is_none());
    let p = plan(
        &snapshot,
        "waf_rule_configure",
        json!({"action": "create", "zone": INTERNAL,
               "rule": {"expression": "ip.src eq 192.0.2.1", "action": "block", "description": "one"}}),
        None,
    )
    .unwrap();
    assert_eq!(p.operations[0].method, "PUT");
    assert!(p.operations[0]
        .path
        .ends_with("/rulesets/phases/http_request_firewall_custom/entrypoint"));
    let after = apply_to_snapshot(&snapshot, INTERNAL, &p.operations).unwrap();
    let rs = zone_of(&after, INTERNAL)
        .ruleset(&crate::snapshot::Phase::HttpRequestFirewallCustom)
        .expect("the entrypoint exists after the plan");
    assert_eq!(rs.rules.len(), 1);
    assert_eq!(rs.rules[0].expression.get().unwrap(), "ip.src eq 192.0.2.1");
}

#[test]
fn ids_are_deterministic_and_plans_expire() {
    let snapshot = demo();
    let call = json!({"action": "create", "zone": SHOP,
                      "record": {"type": "TXT", "name": "t", "content": "hello"}});
    let a = plan(&snapshot, "dns_record_manage", call.clone(), None).unwrap();
    let b = plan(&snapshot, "dns_record_manage", call.clone(), None).unwrap();
    let c = plan(&snapshot, "dns_record_manage", call, Some("n1")).unwrap();
    assert_eq!(a.id, b.id);
    assert_ne!(a.id, c.id);
    assert!(Plan::is_valid_id(&a.id));
    let now = snapshot.taken_at.to_datetime();
    assert!(!a.is_expired(now));
    assert!(!a.is_expired(now + DEFAULT_TTL - time::Duration::seconds(1)));
    assert!(a.is_expired(now + DEFAULT_TTL));
    let round: Plan = serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
    assert_eq!(round, a);
}

#[test]
fn reads_have_no_plan() {
    let snapshot = demo();
    assert!(plan(
        &snapshot,
        "dns_record_manage",
        json!({"action": "list", "zone": SHOP}),
        None
    )
    .is_err());
    assert!(plan(
        &snapshot,
        "zone_analytics_query",
        json!({"zone": SHOP}),
        None
    )
    .is_err());
    assert!(!is_mutation("waf_rule_configure", "simulate"));
}
