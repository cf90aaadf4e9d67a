//! `cfcp::waf::gaps` on the demo snapshot: the planted coverage, proposals the engine accepts,
//! well-formed HCL (parsed back with `hcl-rs`), and proposals that, once applied, close the gaps.

use cfcp::invariants::Status;
use cfcp::snapshot::{demo, Snapshot};
use cfcp::waf::gaps::{
    gaps, ApiCall, CoverageStatus, GapPolicy, GapReport, GeoPolicy, ThreatClass, FORMAT,
};
use serde_json::{json, Value};

fn report(policy: &GapPolicy) -> GapReport {
    gaps(&demo(), None, policy)
}

fn status(report: &GapReport, zone: &str, class: ThreatClass) -> CoverageStatus {
    report
        .zones
        .iter()
        .find(|z| z.zone == zone)
        .and_then(|z| z.class(class))
        .map(|c| c.status)
        .unwrap_or_else(|| panic!("{zone} {class:?} not assessed"))
}

fn geo_policy() -> GapPolicy {
    GapPolicy {
        geo: Some(GeoPolicy {
            blocked_countries: vec!["KP".into(), "IR".into()],
            allowed_countries: vec![],
        }),
        ..GapPolicy::default()
    }
}

#[test]
fn acme_shop_is_covered_where_it_is_configured() {
    let r = report(&GapPolicy::default());
    let shop = r.zones.iter().find(|z| z.zone == "acme-shop.com").unwrap();

    let sqli = shop.class(ThreatClass::SqliXss).unwrap();
    assert_eq!(sqli.status, CoverageStatus::Covered);
    let effective: Vec<&str> = sqli
        .evidence
        .iter()
        .filter(|e| e.effective)
        .map(|e| e.reference.as_str())
        .collect();
    assert!(effective
        .iter()
        .any(|e| e.contains("b6c9b598dd2c33a82db7b4b3351a08ef")));
    assert!(effective
        .iter()
        .any(|e| e.contains("5c10edda4e78334d20078f0a6ec18b24")));
    assert!(sqli.proposals.is_empty());

    let login = shop.class(ThreatClass::CredentialStuffing).unwrap();
    assert_eq!(login.status, CoverageStatus::Covered);
    assert!(login.evidence.iter().any(|e| e.effective
        && e.reference.contains("3d7da81f2799b1bf360b42300cdc677b")
        && e.detail.contains("/api/login")));

    let bad = shop.class(ThreatClass::KnownBadIps).unwrap();
    assert_eq!(bad.status, CoverageStatus::Covered);
    assert!(bad
        .evidence
        .iter()
        .any(|e| e.effective && e.detail.contains("$acme_blocklist")));

    assert_eq!(
        shop.class(ThreatClass::Bots).unwrap().status,
        CoverageStatus::Covered
    );
    // Only the /api/login endpoint is rate limited under /api/.
    assert_eq!(
        status(&r, "acme-shop.com", ThreatClass::ApiAbuse),
        CoverageStatus::Partial
    );
}

#[test]
fn acme_api_has_the_planted_gaps() {
    let r = report(&GapPolicy::default());
    let api = r.zones.iter().find(|z| z.zone == "acme-api.io").unwrap();

    let sqli = api.class(ThreatClass::SqliXss).unwrap();
    assert_eq!(sqli.status, CoverageStatus::Gap);
    assert!(sqli
        .evidence
        .iter()
        .any(|e| !e.effective && e.detail.contains("overridden to log")));
    // The User-Agent keyed skip of the managed phase is named as a bypass.
    assert!(sqli
        .evidence
        .iter()
        .any(|e| e.reference.contains("4a12d2220e7abe37c65bae41f496ec87")
            && e.detail.contains("client controls")));
    assert!(sqli.notes.iter().any(|n| n.contains("scope the skip rule")));
    // The fix: PATCH the log-only execute rule, POST the OWASP ruleset.
    let p = &sqli.proposals[0];
    assert_eq!(p.api.len(), 2);
    assert_eq!(p.api[0].method, "PATCH");
    assert!(p.api[0]
        .path
        .ends_with("/rules/eef19cbb77b3e1d8e317bd42a0fafdc0"));
    assert_eq!(p.api[1].method, "POST");
    assert_eq!(
        p.api[1].body["action_parameters"]["id"],
        "4814384a9e5d4991b9815dcfc25d2f1f"
    );

    let abuse = api.class(ThreatClass::ApiAbuse).unwrap();
    assert_eq!(abuse.status, CoverageStatus::Gap);
    let p = &abuse.proposals[0];
    assert_eq!(p.phase.as_deref(), Some("http_ratelimit"));
    assert_eq!(
        p.rules[0]["ratelimit"]["characteristics"],
        json!(["cf.colo.id", "ip.src"])
    );
    assert_eq!(p.rules[0]["ratelimit"]["period"], 60);
    // No rate limiting entrypoint yet: the call creates it.
    assert_eq!(p.api[0].method, "PUT");
    assert!(p.api[0]
        .path
        .ends_with("/rulesets/phases/http_ratelimit/entrypoint"));

    assert_eq!(
        status(&r, "acme-api.io", ThreatClass::CredentialStuffing),
        CoverageStatus::Gap
    );
    assert_eq!(
        status(&r, "acme-api.io", ThreatClass::KnownBadIps),
        CoverageStatus::Covered
    );
    // The contradictory "/admin and /internal" rule protects neither.
    assert_eq!(
        status(&r, "acme-api.io", ThreatClass::AdminPaths),
        CoverageStatus::Gap
    );
}

#[test]
fn acme_internal_has_gaps_everywhere() {
    let r = report(&geo_policy());
    let internal = r
        .zones
        .iter()
        .find(|z| z.zone == "acme-internal.net")
        .unwrap();
    assert_eq!(internal.classes.len(), ThreatClass::ALL.len());
    for class in &internal.classes {
        assert_eq!(class.status, CoverageStatus::Gap, "{:?}", class.class);
        assert!(
            !class.proposals.is_empty(),
            "{:?} has no proposal",
            class.class
        );
    }
}

#[test]
fn every_proposed_expression_is_accepted_by_the_engine() {
    let r = report(&geo_policy());
    let mut checked = 0;
    for zone in &r.zones {
        for class in &zone.classes {
            for p in &class.proposals {
                if let Some(expression) = &p.expression {
                    cfcp::rules::parse_filter(expression)
                        .unwrap_or_else(|e| panic!("{expression}: {}", e.render(expression)));
                    checked += 1;
                }
                for rule in p.rules.iter().chain(p.api.iter().map(|c| &c.body)) {
                    for expression in expressions(rule) {
                        assert!(
                            cfcp::rules::parse_filter(&expression).is_ok(),
                            "{expression}"
                        );
                    }
                }
            }
        }
    }
    assert!(checked >= 15, "only {checked} expressions checked");
}

/// Every `expression` member anywhere in a JSON value.
fn expressions(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expression", Value::String(s)) => out.push(s.clone()),
                    _ => out.extend(expressions(v)),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| out.extend(expressions(v))),
        _ => {}
    }
    out
}

#[test]
fn every_hcl_snippet_is_well_formed_and_says_what_the_api_payload_says() {
    let r = report(&geo_policy());
    let mut parsed = 0;
    for zone in &r.zones {
        for class in &zone.classes {
            for p in &class.proposals {
                hcl::from_str::<hcl::Body>(&p.hcl)
                    .unwrap_or_else(|e| panic!("{:?}: {e}\n{}", p.title, p.hcl));
                parsed += 1;
                let value: Value = hcl::from_str::<hcl::Value>(&p.hcl)
                    .map(|v| serde_json::to_value(v).unwrap())
                    .unwrap_or_else(|e| panic!("{e}"));
                if let Some(phase) = &p.phase {
                    let rulesets = &value["resource"]["cloudflare_ruleset"];
                    let (_, resource) = rulesets.as_object().unwrap().iter().next().unwrap();
                    assert_eq!(resource["phase"], phase.as_str());
                    assert_eq!(resource["zone_id"], zone.zone_id.as_str());
                    let hcl_expressions: Vec<&Value> = resource["rules"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| &r["expression"])
                        .collect();
                    for rule in &p.rules {
                        assert!(
                            hcl_expressions.contains(&&rule["expression"]),
                            "{} not in the HCL",
                            rule["expression"]
                        );
                    }
                } else {
                    assert!(value["resource"]["cloudflare_bot_management"].is_object());
                }
            }
        }
        hcl::from_str::<hcl::Body>(&zone.terraform)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", zone.zone, zone.terraform));
    }
    assert!(parsed >= 15);
}

/// Applies API calls to a snapshot, as Cloudflare would.
fn apply(snapshot: &Snapshot, zone: &str, calls: &[ApiCall]) -> Snapshot {
    let mut doc = snapshot.to_value();
    let zones = doc["zones"].as_array_mut().unwrap();
    let z = zones
        .iter_mut()
        .find(|z| z["zone"]["name"] == zone)
        .unwrap();
    let mut created = 0;
    for call in calls {
        let parts: Vec<&str> = call.path.trim_start_matches('/').split('/').collect();
        match (call.method.as_str(), parts.as_slice()) {
            ("POST", ["zones", _, "rulesets", id, "rules"]) => {
                let rs = z["rulesets"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|r| r["id"] == *id)
                    .unwrap();
                rs["rules"].as_array_mut().unwrap().push(call.body.clone());
            }
            ("PATCH", ["zones", _, "rulesets", id, "rules", rule_id]) => {
                let rs = z["rulesets"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|r| r["id"] == *id)
                    .unwrap();
                let rule = rs["rules"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|r| r["id"] == *rule_id)
                    .unwrap();
                let mut body = call.body.clone();
                body["id"] = json!(rule_id);
                *rule = body;
            }
            ("PUT", ["zones", _, "rulesets", "phases", phase, "entrypoint"]) => {
                let rulesets = z["rulesets"].as_array_mut().unwrap();
                rulesets.retain(|r| r["phase"] != *phase);
                created += 1;
                rulesets.push(json!({"id": format!("new{created}"), "kind": "zone",
                    "phase": phase, "rules": call.body["rules"]}));
            }
            ("PUT", ["zones", _, "bot_management"]) => {
                for (k, v) in call.body.as_object().unwrap() {
                    z["bot_management"][k] = v.clone();
                }
            }
            ("POST", ["accounts", _, "rules", "lists"]) => {}
            _ => panic!("unexpected call {}", call.to_line()),
        }
    }
    Snapshot::from_json_str(&doc.to_string()).unwrap()
}

#[test]
fn applying_the_proposals_closes_the_gaps() {
    let policy = geo_policy();
    let before = report(&policy);
    let mut snapshot = demo();
    for zone in &before.zones {
        snapshot = apply(&snapshot, &zone.zone, &zone.api);
    }
    let after = gaps(&snapshot, None, &policy);
    for zone in &after.zones {
        for class in &zone.classes {
            let expected = match (zone.zone.as_str(), class.class) {
                // The Free plan gets the Free Managed Ruleset only.
                ("acme-internal.net", ThreatClass::SqliXss) => CoverageStatus::Partial,
                // The User-Agent keyed skip still bypasses the managed rules: cfcp cannot know
                // the partner's IPs, so it says to scope the skip instead of proposing a rule.
                // It skips rate limiting too.
                (
                    "acme-api.io",
                    ThreatClass::SqliXss | ThreatClass::CredentialStuffing | ThreatClass::ApiAbuse,
                ) => {
                    assert!(
                        class.notes.iter().any(|n| n.contains("skip rule")),
                        "{:?}",
                        class.notes
                    );
                    CoverageStatus::Partial
                }
                _ => CoverageStatus::Covered,
            };
            assert_eq!(
                class.status, expected,
                "{} {:?}: {}",
                zone.zone, class.class, class.summary
            );
        }
    }
}

#[test]
fn proposals_for_one_phase_do_not_overwrite_each_other() {
    let r = report(&GapPolicy::default());
    let api = r.zones.iter().find(|z| z.zone == "acme-api.io").unwrap();
    // Login and API rate limits both go to the missing http_ratelimit entrypoint: one PUT.
    let puts: Vec<&ApiCall> = api
        .api
        .iter()
        .filter(|c| c.path.ends_with("/phases/http_ratelimit/entrypoint"))
        .collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].body["rules"].as_array().unwrap().len(), 2);
    // Each proposal alone says so.
    let abuse = api.class(ThreatClass::ApiAbuse).unwrap();
    assert!(abuse.proposals[0].notes.iter().any(|n| n.contains("PUT")));
}

#[test]
fn renderings_and_findings() {
    let r = report(&geo_policy());
    let json: Value = serde_json::from_str(&r.to_json_pretty()).unwrap();
    assert_eq!(json["format"], FORMAT);
    assert_eq!(json["format"], "cfcp.waf-gaps/v1");
    assert_eq!(json["zones"].as_array().unwrap().len(), 3);
    assert_eq!(json["zones"][0]["classes"][0]["class"], "sqli_xss");
    assert_eq!(json["zones"][0]["classes"][0]["status"], "covered");
    assert_eq!(
        json["policy"]["geo"]["blocked_countries"],
        json!(["KP", "IR"])
    );

    let text = r.to_text();
    assert!(text.contains("acme-api.io (Business Website)"));
    assert!(text.contains("[GAP    ] API abuse"));
    assert!(text.contains("[COVERED] SQLi / XSS / RCE / LFI"));

    let md = r.to_markdown();
    assert!(md.starts_with("# WAF coverage gaps\n"));
    assert!(md.contains("| Threat class | Status | Summary | Evidence |"));
    assert!(
        md.contains("```hcl\nresource \"cloudflare_ruleset\"")
            || md.contains("```hcl\n# The resource owns")
    );

    let findings = r.findings();
    assert_eq!(findings.len(), 3 * ThreatClass::ALL.len());
    let ids: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.check_id.as_ref()).collect();
    for id in [
        "waf_gap_sqli_xss",
        "waf_gap_credential_stuffing",
        "waf_gap_api_abuse",
        "waf_gap_bots",
        "waf_gap_known_bad_ips",
        "waf_gap_anonymizers",
        "waf_gap_admin_paths",
        "waf_gap_geo",
    ] {
        assert!(ids.contains(id), "{id}");
    }
    assert!(findings
        .iter()
        .filter(|f| f.resource.name == "acme-internal.net")
        .all(|f| f.status == Status::Fail));
    assert_eq!(
        cfcp::waf::gaps::gap_findings(&demo(), &geo_policy()),
        findings
    );
}
