use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::layer0::{Context, Layer0};
use crate::plan::apply_to_snapshot;
use crate::snapshot::{demo, Field, Gap, Snapshot};

fn zone_of(s: &mut Snapshot, name: &str) -> usize {
    s.zones.iter().position(|z| z.zone.name == name).unwrap()
}

/// `live` with every revert step applied, zone by zone (what a successful apply leaves).
fn reverted(live: &Snapshot, plan: &RevertPlan) -> Snapshot {
    let mut after = live.clone();
    let zones: Vec<String> = after.zones.iter().map(|z| z.zone.name.clone()).collect();
    for zone in zones {
        let ops: Vec<_> = plan
            .steps
            .iter()
            .filter(|s| s.zone.as_deref() == Some(zone.as_str()))
            .map(|s| s.operation.clone())
            .collect();
        after = apply_to_snapshot(&after, &zone, &ops).unwrap();
    }
    after
}

#[test]
fn a_snapshot_has_no_drift_against_itself() {
    let s = demo();
    let drift = diff(&s, &s);
    assert!(drift.is_empty(), "{}", render::text(&drift));
    assert_eq!(drift.compared.zones, s.zones.len());
    assert!(drift.compared.resources > 80);
    assert!(drift.not_compared.is_empty());
}

#[test]
fn what_cloudflare_normalises_is_no_drift() {
    let live = demo();
    let mut desired = live.clone();
    let z = zone_of(&mut desired, "acme-shop.com");
    for r in &mut desired.zones[z].dns_records {
        // How Terraform configurations spell the same records.
        r.name = match r.name.strip_suffix(".acme-shop.com") {
            Some(relative) => relative.to_ascii_uppercase(),
            None => "@".into(),
        };
        if r.proxied.copied() == Some(true) {
            r.ttl = Field::Value(3600);
        }
        if r.record_type.as_str() == "AAAA" {
            let ip: std::net::Ipv6Addr = r.content.get().unwrap().parse().unwrap();
            let long: Vec<String> = ip.segments().iter().map(|s| format!("{s:04x}")).collect();
            r.content = Field::Value(long.join(":"));
        }
        if r.record_type.as_str() == "TXT" {
            let text = super::normalise::txt(r.content.get().unwrap());
            let (a, b) = text.split_at(text.len() / 2);
            r.content = Field::Value(format!("\"{a}\" \"{b}\""));
        }
        if matches!(r.record_type.as_str(), "CNAME" | "MX") {
            r.content = Field::Value(format!(
                "{}.",
                r.content.get().unwrap().to_ascii_uppercase()
            ));
        }
        // Ids Terraform may not know (records written by hand).
        r.id = Field::Absent;
        r.extra = Default::default();
    }
    // Rules Terraform identifies by ref, with ids Cloudflare generated and another indentation.
    for rs in &mut desired.zones[z].rulesets {
        for (i, rule) in rs.rules.iter_mut().enumerate() {
            rule.expression = Field::Value(format!("  {}\n", rule.expression.get().unwrap()));
            if i == 0 {
                rule.id = Field::Absent;
            }
            rule.extra.remove("last_updated");
            rule.extra.remove("version");
        }
    }
    // Terraform manages two settings, not all fifty.
    desired.zones[z]
        .settings
        .retain(|s| s.id == "ssl" || s.id == "min_tls_version");
    let drift = diff(&desired, &live);
    assert!(drift.is_empty(), "{}", render::text(&drift));
}

#[test]
fn record_changes_are_found_with_their_paths() {
    let desired = demo();
    let mut live = desired.clone();
    let z = zone_of(&mut live, "acme-api.io");
    let origin = live.zones[z]
        .dns_records
        .iter()
        .position(|r| r.name == "origin.acme-api.io")
        .unwrap();
    live.zones[z].dns_records[origin].content = Field::Value("192.0.2.99".into());
    live.zones[z].dns_records[origin].ttl = Field::Value(60);
    let gone = live.zones[z].dns_records.remove(0);
    let mut stray = live.zones[z].dns_records[0].clone();
    stray.id = Field::Value("stray-record".into());
    stray.name = "stray.acme-api.io".into();
    live.zones[z].dns_records.push(stray);

    let drift = diff(&desired, &live);
    let (added, removed, changed) = drift.counts();
    assert_eq!(
        (added, removed, changed),
        (1, 1, 1),
        "{}",
        render::text(&drift)
    );
    let changed = drift
        .items
        .iter()
        .find(|i| i.change == Change::Changed)
        .unwrap();
    let paths: Vec<&str> = changed.attributes.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(paths, ["content", "ttl"]);
    assert_eq!(changed.attributes[0].live, json!("192.0.2.99"));
    let removed = drift
        .items
        .iter()
        .find(|i| i.change == Change::Removed)
        .unwrap();
    assert_eq!(
        removed.import_id,
        format!(
            "cb50153d84fcbc652e02a0ab48b30165/{}",
            gone.id.get().unwrap()
        )
    );
    assert!(drift
        .items
        .iter()
        .any(|i| i.change == Change::Added && i.import_id.ends_with("/stray-record")));
}

#[test]
fn records_without_ids_match_by_content_then_by_the_only_name() {
    let live = demo();
    let mut desired = live.clone();
    let z = zone_of(&mut desired, "acme-api.io");
    for r in &mut desired.zones[z].dns_records {
        r.id = Field::Absent;
    }
    let origin = desired.zones[z]
        .dns_records
        .iter()
        .position(|r| r.name == "origin.acme-api.io")
        .unwrap();
    desired.zones[z].dns_records[origin].content = Field::Value("192.0.2.77".into());
    let drift = diff(&desired, &live);
    assert_eq!(drift.items.len(), 1, "{}", render::text(&drift));
    assert_eq!(drift.items[0].change, Change::Changed);
    assert_eq!(drift.items[0].attributes[0].path, "content");
}

#[test]
fn rule_changes_order_and_deletions_are_named_by_rule() {
    let desired = demo();
    let mut live = desired.clone();
    let z = zone_of(&mut live, "acme-shop.com");
    let rs = live.zones[z]
        .rulesets
        .iter_mut()
        .find(|r| r.phase.get().map(|p| p.as_str()) == Some("http_request_firewall_custom"))
        .unwrap();
    rs.rules.swap(0, 1);
    rs.rules[2].enabled = Field::Value(false);
    let removed = rs.rules.remove(3);
    let drift = diff(&desired, &live);
    assert_eq!(drift.items.len(), 1, "{}", render::text(&drift));
    let paths: Vec<&str> = drift.items[0]
        .attributes
        .iter()
        .map(|a| a.path.as_str())
        .collect();
    assert!(paths.iter().any(|p| p.ends_with("].enabled")), "{paths:?}");
    assert!(paths.contains(&"rules.order"), "{paths:?}");
    let label = crate::drift::compare::rule_label(&removed, 3);
    assert!(
        paths.contains(&format!("rules[{label}]").as_str()),
        "{paths:?}"
    );
}

#[test]
fn gaps_leave_sections_out_of_scope() {
    let live = demo();
    let mut desired = live.clone();
    desired.zones[0].dns_records.clear();
    desired.gaps.push(Gap {
        zone: Some(desired.zones[0].zone.id.clone()),
        account: None,
        section: "dns_records".into(),
        reason: "not managed by Terraform".into(),
    });
    let drift = diff(&desired, &live);
    assert!(drift.is_empty(), "{}", render::text(&drift));
    assert_eq!(drift.not_compared.len(), 1);
    assert_eq!(
        drift.not_compared[0].reason,
        "desired: not managed by Terraform"
    );
    // A zone Terraform does not describe is counted, not compared.
    desired.zones.remove(1);
    assert_eq!(diff(&desired, &live).compared.unmanaged_zones, 1);
}

#[test]
fn risk_comes_from_layer0_judgements_and_newly_failing_checks() {
    let desired = demo();
    let mut live = desired.clone();
    let z = zone_of(&mut live, "acme-shop.com");
    let ssl = live.zones[z]
        .settings
        .iter_mut()
        .find(|s| s.id == "ssl")
        .unwrap();
    ssl.value = json!("flexible");
    let mx = live.zones[z]
        .dns_records
        .iter_mut()
        .find(|r| r.record_type.as_str() == "MX")
        .unwrap();
    mx.comment = Field::Value("changed by hand".into());
    let mut drift = diff(&desired, &live);
    assess(&mut drift, &desired, &live);
    let ssl = drift.items.iter().find(|i| i.label == "ssl").unwrap();
    assert!(ssl.risk.level >= RiskLevel::High, "{:?}", ssl.risk);
    assert_eq!(ssl.risk.flags, ["security_downgrade"]);
    assert!(!ssl.risk.checks.is_empty(), "{:?}", ssl.risk);
    let mx = drift
        .items
        .iter()
        .find(|i| i.kind == ResourceKind::DnsRecord)
        .unwrap();
    // A comment is cosmetic, but the record routes mail.
    assert_eq!(mx.risk.level, RiskLevel::Medium, "{:?}", mx.risk);
    assert_eq!(mx.risk.flags, ["sensitive_record"]);
}

#[test]
fn a_disabled_waf_rule_is_a_downgrade() {
    let desired = demo();
    let mut live = desired.clone();
    let z = zone_of(&mut live, "acme-shop.com");
    let rule = live.zones[z].rulesets[0]
        .rules
        .iter_mut()
        .find(|r| r.enabled.copied() != Some(false))
        .unwrap();
    rule.enabled = Field::Value(false);
    let mut drift = diff(&desired, &live);
    assess(&mut drift, &desired, &live);
    assert_eq!(drift.items[0].risk.level, RiskLevel::High);
    assert!(drift.items[0].risk.reasons[0].contains("switched off"));
}

#[test]
fn revert_orders_creates_before_deletes_and_restores_the_desired_state() {
    let desired = demo();
    let mut live = desired.clone();
    let z = zone_of(&mut live, "acme-shop.com");
    // Replaced outside Terraform: the record deleted and one with new content made.
    let mut replacement = live.zones[z].dns_records.remove(3);
    replacement.id = Field::Value("replacement".into());
    replacement.content = Field::Value("203.0.113.99".into());
    live.zones[z].dns_records.push(replacement);
    live.zones[z].dns_records[0].proxied = Field::Value(false);
    live.zones[z]
        .settings
        .iter_mut()
        .find(|s| s.id == "ssl")
        .unwrap()
        .value = json!("off");
    live.zones[z].rulesets[0].rules.swap(0, 2);
    live.zones[z].rulesets[0].rules[1].enabled = Field::Value(false);
    live.zones[z].dnssec.as_mut().unwrap().status =
        Field::Value(serde_json::from_value(json!("disabled")).unwrap());

    let drift = diff(&desired, &live);
    let plan = revert(&drift, &RevertOptions::default());
    assert!(plan.unrevertable.is_empty(), "{:?}", plan.unrevertable);
    assert!(plan.refused.is_none());
    let methods: Vec<&str> = plan
        .steps
        .iter()
        .map(|s| s.operation.method.as_str())
        .collect();
    let create = methods.iter().position(|m| *m == "POST").unwrap();
    let delete = methods.iter().position(|m| *m == "DELETE").unwrap();
    assert!(create < delete, "{methods:?}");
    assert_eq!(plan.deletes, 1);
    let after = reverted(&live, &plan);
    let left = diff(&desired, &after);
    assert!(left.is_empty(), "{}", render::text(&left));
}

#[test]
fn revert_refuses_beyond_the_delete_threshold_and_routes_deletes_for_approval() {
    let desired = demo();
    let mut live = desired.clone();
    let z = zone_of(&mut live, "acme-internal.net");
    for n in 0..12 {
        let mut r = live.zones[z].dns_records[0].clone();
        r.id = Field::Value(format!("stray-{n}"));
        r.name = format!("stray{n}.acme-internal.net");
        live.zones[z].dns_records.push(r);
    }
    let drift = diff(&desired, &live);
    let plan = revert(&drift, &RevertOptions::default());
    assert_eq!(plan.deletes, 12);
    assert!(plan
        .refused
        .as_deref()
        .unwrap()
        .contains("more than the limit of 10"));
    let mut plan = revert(
        &drift,
        &RevertOptions {
            max_delete: 20,
            max_delete_percent: 100.0,
        },
    );
    assert!(plan.refused.is_none());
    let operator = Context {
        zones_allowed: vec!["*".into()],
        ..Context::default()
    };
    route(&mut plan, &Layer0::default(), &operator);
    // Twelve deletes in one go is a mass change: blocked, whatever the threshold says.
    assert!(plan.steps.iter().all(|s| s.routing.route == "block"));
    let mut few = revert(
        &diff(&desired, &{
            let mut l = live.clone();
            let keep = l.zones[z].dns_records.len() - 11;
            l.zones[z].dns_records.truncate(keep);
            l
        }),
        &RevertOptions::default(),
    );
    route(&mut few, &Layer0::default(), &operator);
    assert_eq!(few.steps.len(), 1);
    assert_eq!(few.steps[0].routing.route, "approve");
    assert!(few.steps[0]
        .routing
        .flags
        .contains(&"destructive".to_owned()));
    // Outside the operator's zones: blocked.
    let narrow = Context {
        zones_allowed: vec!["acme-shop.com".into()],
        ..Context::default()
    };
    route(&mut few, &Layer0::default(), &narrow);
    assert_eq!(few.steps[0].routing.route, "block");
}

#[test]
fn render_names_risk_paths_and_scope() {
    let desired = demo();
    let mut live = desired.clone();
    live.zones[0].dns_records[0].proxied = Field::Value(false);
    let mut drift = diff(&desired, &live);
    assess(&mut drift, &desired, &live);
    let text = render::text(&drift);
    assert!(
        text.contains("HIGH     changed  cloudflare_dns_record"),
        "{text}"
    );
    assert!(text.contains("proxied: true -> false"), "{text}");
    assert!(
        text.contains("why: grey-clouded outside Terraform"),
        "{text}"
    );
    let md = render::markdown(&drift);
    assert!(
        md.contains("| high | changed | `cloudflare_dns_record`"),
        "{md}"
    );
    let back: Drift = serde_json::from_value(serde_json::to_value(&drift).unwrap()).unwrap();
    assert_eq!(back, drift);
}

/// A random change to one of the demo's records.
#[derive(Debug, Clone)]
enum Mutation {
    Content(usize),
    Proxied(usize),
    Ttl(usize, u32),
    Delete(usize),
    Add(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0usize..25).prop_map(Mutation::Content),
        (0usize..25).prop_map(Mutation::Proxied),
        ((0usize..25), 60u32..86400).prop_map(|(i, t)| Mutation::Ttl(i, t)),
        (0usize..25).prop_map(Mutation::Delete),
        (0usize..25).prop_map(Mutation::Add),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    // Whatever is changed behind Terraform's back, diff finds drift exactly on the touched
    // records, and applying the revert leaves no drift.
    #[test]
    fn drift_finds_exactly_the_touched_records_and_revert_undoes_them(
        mutations in proptest::collection::vec(mutation(), 1..6)
    ) {
        let desired = demo();
        let mut live = desired.clone();
        let z = 1; // acme-internal.net: 25 records, no rulesets
        let mut touched = std::collections::BTreeSet::new();
        for (n, m) in mutations.iter().enumerate() {
            let records = &mut live.zones[z].dns_records;
            let at = |i: usize| i % records.len();
            match *m {
                Mutation::Content(i) => {
                    let i = at(i);
                    if records[i].record_type.as_str() == "A" {
                        records[i].content = Field::Value(format!("192.0.2.{}", 200 + n));
                    } else {
                        records[i].content = Field::Value(format!("changed-{n}.example.net"));
                    }
                    touched.insert(records[i].id.get().unwrap().clone());
                }
                Mutation::Proxied(i) => {
                    let i = at(i);
                    let was = records[i].proxied.copied().unwrap_or(false);
                    records[i].proxied = Field::Value(!was);
                    if !was {
                        // Cloudflare makes a proxied record's TTL automatic.
                        records[i].ttl = Field::Value(1);
                    }
                    touched.insert(records[i].id.get().unwrap().clone());
                }
                Mutation::Ttl(i, ttl) => {
                    let i = at(i);
                    records[i].proxied = Field::Value(false);
                    records[i].ttl = Field::Value(ttl);
                    touched.insert(records[i].id.get().unwrap().clone());
                }
                Mutation::Delete(i) => {
                    let i = at(i);
                    let gone = records.remove(i);
                    touched.insert(gone.id.get().unwrap().clone());
                }
                Mutation::Add(i) => {
                    let mut r = records[at(i)].clone();
                    let id = format!("added-{n}");
                    r.id = Field::Value(id.clone());
                    r.name = format!("added{n}.acme-internal.net");
                    records.push(r);
                    touched.insert(id);
                }
            }
        }
        // Changes that undo each other (proxied twice) are not drift.
        let differs: std::collections::BTreeSet<String> = touched
            .into_iter()
            .filter(|id| {
                let find = |s: &Snapshot| s.zones[z].dns_records.iter().find(|r| r.id.get() == Some(id)).cloned();
                find(&desired) != find(&live)
            })
            .collect();
        let drift = diff(&desired, &live);
        let found: std::collections::BTreeSet<String> = drift
            .items
            .iter()
            .map(|i| i.import_id.rsplit('/').next().unwrap().to_owned())
            .collect();
        let changed_by_ttl_only_when_proxied = differs.difference(&found).count();
        prop_assert_eq!(changed_by_ttl_only_when_proxied, 0, "{}", render::text(&drift));
        prop_assert!(found.is_subset(&differs), "{found:?} vs {differs:?}");
        let plan = revert(&drift, &RevertOptions { max_delete: 100, max_delete_percent: 100.0 });
        let after = reverted(&live, &plan);
        let left = diff(&desired, &after);
        prop_assert!(left.is_empty(), "{}", render::text(&left));
    }
}

#[test]
fn reverting_a_tunnels_ingress_or_a_mail_record_needs_approval() {
    let desired = demo();
    let mut live = desired.clone();
    let tunnel = live.accounts[0]
        .tunnels
        .iter_mut()
        .find(|t| t.configuration.is_some() && t.tunnel.deleted_at.get().is_none())
        .unwrap();
    let config = tunnel
        .configuration
        .as_mut()
        .unwrap()
        .config
        .get_mut()
        .unwrap();
    let ingress = config.ingress.get_mut().unwrap();
    ingress.insert(0, ingress[0].clone());
    ingress[0].hostname = Field::Value("exposed.acme-shop.com".into());
    let z = zone_of(&mut live, "acme-shop.com");
    let mx = live.zones[z]
        .dns_records
        .iter_mut()
        .find(|r| r.record_type.as_str() == "MX")
        .unwrap();
    mx.priority = Field::Value(99);
    let mut plan = revert(&diff(&desired, &live), &RevertOptions::default());
    let operator = Context {
        zones_allowed: vec!["*".into()],
        ..Context::default()
    };
    route(&mut plan, &Layer0::default(), &operator);
    assert_eq!(plan.steps.len(), 2, "{:?}", plan.steps);
    for step in &plan.steps {
        assert_eq!(step.routing.route, "approve", "{step:?}");
        assert!(step.routing.flags.contains(&"sensitive_record".to_owned()));
    }
    assert!(plan
        .steps
        .iter()
        .any(|s| s.operation.path.ends_with("/configurations")));
}
