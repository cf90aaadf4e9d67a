use proptest::prelude::*;

use super::*;
use crate::api::{CountryCount, DailyTraffic};
use crate::oracle::analytics::ZoneAnalytics;
use crate::snapshot::Gap;

fn demo() -> Snapshot {
    crate::snapshot::demo()
}

fn ask(question: &str, snapshot: &Snapshot) -> Recommendation {
    decision_support(question, &DecisionInputs::new(Some(snapshot)))
}

fn option<'a>(r: &'a Recommendation, id: &str) -> &'a DecisionOption {
    r.options.iter().find(|o| o.id == id).unwrap_or_else(|| {
        panic!(
            "no option {id}: {:?}",
            r.options.iter().map(|o| &o.id).collect::<Vec<_>>()
        )
    })
}

fn recommended_ids(r: &Recommendation) -> Vec<&str> {
    r.options
        .iter()
        .filter(|o| o.recommended)
        .map(|o| o.id.as_str())
        .collect()
}

fn days(zone: &str, requests: &[u64], threats: &[u64]) -> ZoneAnalytics {
    ZoneAnalytics {
        zone: zone.to_owned(),
        daily: requests
            .iter()
            .zip(threats)
            .enumerate()
            .map(|(i, (r, t))| DailyTraffic {
                date: format!("2026-10-{:02}", 25 + i),
                requests: *r,
                threats: *t,
                cached_requests: 0,
                bytes: 0,
                countries: vec![CountryCount {
                    country: "NL".into(),
                    requests: *r,
                    threats: *t,
                }],
                statuses: Vec::new(),
            })
            .collect(),
        ..ZoneAnalytics::default()
    }
}

#[test]
fn questions_are_recognised_by_their_keywords() {
    let s = demo();
    let cases = [
        (
            "Should I turn on Under Attack mode?",
            Topic::UnderAttackMode,
        ),
        ("we're getting DDoSed, what now", Topic::UnderAttackMode),
        ("Which zone should I fix first?", Topic::FixPriority),
        ("How should I prioritise the work?", Topic::FixPriority),
        ("Should I move to Full (strict) SSL?", Topic::SslStrict),
        (
            "Is it safe to delete record old-ci.acme-internal.net?",
            Topic::DeleteRecord,
        ),
        (
            "Can I remove the jenkins.acme-internal.net DNS entry?",
            Topic::DeleteRecord,
        ),
        ("Should I enable Bot Fight Mode?", Topic::BotFightMode),
        (
            "What minimum TLS version should I set?",
            Topic::MinTlsVersion,
        ),
        ("What should I do about zone_ssl_strict?", Topic::Finding),
        ("Tell me about waf_skip_rule_scope", Topic::Finding),
        ("What's the weather?", Topic::General),
        ("Is our DMARC policy strict enough?", Topic::General),
    ];
    for (question, topic) in cases {
        let r = ask(question, &s);
        assert_eq!(r.topic, topic, "{question}");
        assert_eq!(r.recognised, topic != Topic::General, "{question}");
    }
}

#[test]
fn under_attack_mode_without_analytics_turns_a_permanent_uam_off_and_leaves_others_alone() {
    let s = demo();
    let r = ask("Should I turn on Under Attack mode?", &s);
    assert_eq!(
        recommended_ids(&r),
        [
            "keep:acme-shop.com",
            "keep:acme-internal.net",
            "disable_under_attack:acme-api.io"
        ]
    );
    assert_eq!(
        r.recommended.as_deref(),
        Some("disable_under_attack:acme-api.io")
    );
    assert_eq!(r.risk.as_ref().map(|r| r.level), Some(RiskLevel::Medium));
    let disable = option(&r, "disable_under_attack:acme-api.io");
    assert!(disable
        .evidence
        .iter()
        .any(|e| e.id.starts_with("zone_security_under_attack_disabled:")
            && e.detail.starts_with("FAIL")));
    assert!(disable
        .evidence
        .iter()
        .any(|e| e.source == "setting" && e.detail == "security_level = \"under_attack\""));
    // Turning it on for the API zone would break its API clients.
    assert_eq!(option(&r, "keep:acme-api.io").risk.level, RiskLevel::High);
    assert!(r
        .unknowns
        .iter()
        .any(|u| u.contains("acme-api.io: no daily analytics")));
}

#[test]
fn under_attack_mode_follows_the_analytics() {
    let s = demo();
    let analytics = Analytics {
        since: None,
        until: None,
        zones: vec![
            // A flood on a zone without API hosts: turn it on.
            days(
                "acme-internal.net",
                &[1000, 1100, 900, 9000],
                &[10, 12, 9, 4000],
            ),
            // Threat-heavy traffic on a zone with API hosts: targeted rules, not a zone-wide challenge.
            days("acme-shop.com", &[5000, 5000], &[1200, 1300]),
            // Quiet traffic on the zone stuck in Under Attack mode: turn it off.
            days("acme-api.io", &[800, 820, 790], &[3, 2, 4]),
        ],
    };
    let r = decision_support(
        "Should I turn on I'm Under Attack mode?",
        &DecisionInputs {
            analytics: Some(&analytics),
            ..DecisionInputs::new(Some(&s))
        },
    );
    assert_eq!(
        recommended_ids(&r),
        [
            "targeted_mitigation:acme-shop.com",
            "enable_under_attack:acme-internal.net",
            "disable_under_attack:acme-api.io"
        ]
    );
    assert_eq!(
        option(&r, "disable_under_attack:acme-api.io").risk.level,
        RiskLevel::Low
    );
    let enable = option(&r, "enable_under_attack:acme-internal.net");
    assert!(enable.evidence.iter().any(|e| e.id == "request_spike"));
    assert!(enable.evidence.iter().any(|e| e.id == "threat_share"));
    assert_eq!(
        r.recommended.as_deref(),
        Some("enable_under_attack:acme-internal.net")
    );
    assert!(!r.unknowns.iter().any(|u| u.contains("no daily analytics")));
}

#[test]
fn fix_priority_ranks_zones_by_their_failing_findings() {
    let s = demo();
    let r = ask("Which zone should I fix first?", &s);
    let ids: Vec<&str> = r.options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "fix:acme-internal.net",
            "fix:acme-api.io",
            "fix:acme-shop.com",
            "fix:account"
        ]
    );
    assert_eq!(r.recommended.as_deref(), Some("fix:acme-internal.net"));
    let top = option(&r, "fix:acme-internal.net");
    assert!(top.description.contains("9 high"), "{}", top.description);
    assert!(top
        .evidence
        .iter()
        .all(|e| e.source == "finding" && e.detail.starts_with("FAIL")));
    assert!(top.evidence[0].detail.contains("(high)"));
    assert!(r.summary.starts_with("Fix acme-internal.net first"));
    assert!(r
        .unknowns
        .iter()
        .any(|u| u.contains("ranked by findings alone")));
    // Analytics are cited when given.
    let analytics = Analytics {
        since: None,
        until: None,
        zones: vec![days("acme-api.io", &[100, 200], &[0, 0])],
    };
    let with = decision_support(
        "which zone first? where to start",
        &DecisionInputs {
            analytics: Some(&analytics),
            ..DecisionInputs::new(Some(&s))
        },
    );
    assert!(option(&with, "fix:acme-api.io")
        .evidence
        .iter()
        .any(|e| e.source == "analytics" && e.detail.starts_with("300 requests")));
}

#[test]
fn full_strict_ssl_is_recommended_with_a_risk_that_depends_on_the_current_mode() {
    let s = demo();
    let r = ask("Should I move to Full (strict) SSL?", &s);
    assert_eq!(
        recommended_ids(&r),
        [
            "keep:acme-shop.com",
            "strict:acme-internal.net",
            "strict:acme-api.io"
        ]
    );
    assert_eq!(option(&r, "keep:acme-shop.com").risk.level, RiskLevel::None);
    assert_eq!(
        option(&r, "strict:acme-internal.net").risk.level,
        RiskLevel::High
    );
    assert_eq!(
        option(&r, "strict:acme-api.io").risk.level,
        RiskLevel::Medium
    );
    assert!(r.options.iter().any(|o| o.id == "full:acme-internal.net"));
    assert_eq!(r.recommended.as_deref(), Some("strict:acme-internal.net"));
    let ev = &option(&r, "strict:acme-api.io").evidence;
    assert!(ev
        .iter()
        .any(|e| e.id.starts_with("zone_ssl_strict:") && e.detail.contains("ssl is full")));
    assert!(ev
        .iter()
        .any(|e| e.id == "proxied_origins" && e.detail.contains("1 to Cloudflare Tunnels")));
    assert!(r.unknowns.iter().any(|u| u.contains("origin certificates")));
    assert!(r.unknowns.iter().any(|u| u.contains("525/526")));
}

#[test]
fn deleting_a_record_depends_on_what_points_at_it_and_what_it_carries() {
    let s = demo();
    let dead = ask("Is it safe to delete old-ci.acme-internal.net?", &s);
    assert_eq!(dead.zones, ["acme-internal.net"]);
    assert_eq!(
        dead.recommended.as_deref(),
        Some("delete:ca05db583fb1afeaff6ba30156129692")
    );
    assert_eq!(dead.risk.as_ref().map(|r| r.level), Some(RiskLevel::Low));
    assert!(option(&dead, "delete:ca05db583fb1afeaff6ba30156129692")
        .evidence
        .iter()
        .any(|e| e.id == "dns_record_tunnel_target_exists:ca05db583fb1afeaff6ba30156129692"));

    let mail = ask("Can I delete mail.acme-internal.net?", &s);
    assert_eq!(
        mail.recommended.as_deref(),
        Some("keep:0316054fc2f9cf4fabd846f4e23124fe")
    );
    let delete = option(&mail, "delete:0316054fc2f9cf4fabd846f4e23124fe");
    assert_eq!(delete.risk.level, RiskLevel::High);
    assert!(delete
        .evidence
        .iter()
        .any(|e| e.detail.starts_with("MX acme-internal.net")));

    let mx = ask("remove the MX records of acme-shop.com", &s);
    assert_eq!(
        mx.options.len(),
        6,
        "three MX records, delete and keep each"
    );
    assert!(mx
        .options
        .iter()
        .filter(|o| o.id.starts_with("delete:"))
        .all(|o| !o.recommended && o.risk.detail.contains("MX record")));

    let tunnel_host = ask("delete app.acme-shop.com?", &s);
    assert!(tunnel_host
        .recommended
        .as_deref()
        .is_some_and(|id| id.starts_with("keep:")));
    assert!(tunnel_host.options[0]
        .evidence
        .iter()
        .any(|e| e.source == "tunnel" && e.detail.contains("acme-prod-shop")));

    let unused = ask("Is it safe to delete jenkins.acme-internal.net?", &s);
    assert_eq!(
        unused.recommended.as_deref(),
        Some("delete:078f65fe9de515a6738dd10d04613fa6")
    );
    assert_eq!(
        unused.risk.as_ref().map(|r| r.level),
        Some(RiskLevel::Medium)
    );

    let none = ask("delete nothing-here.acme-shop.com", &s);
    assert!(none.options.is_empty() && none.recommended.is_none());
    assert!(none.unknowns[0].contains("no DNS record named"));
}

#[test]
fn bot_fight_mode_depends_on_plan_and_automated_clients() {
    let s = demo();
    let r = ask("Should I enable bot fight mode?", &s);
    assert_eq!(
        recommended_ids(&r),
        [
            "keep:acme-shop.com",
            "enable_bot_fight_mode:acme-internal.net",
            "configure_super_bot_fight_mode:acme-api.io"
        ]
    );
    let bfm_on_api = option(&r, "enable_bot_fight_mode:acme-api.io");
    assert_eq!(bfm_on_api.risk.level, RiskLevel::High);
    assert!(bfm_on_api
        .evidence
        .iter()
        .any(|e| e.id == "skip_rule" && e.detail.contains("Partner integration")));
    assert!(r.unknowns.iter().any(|u| u.contains("bot scores")));
}

#[test]
fn minimum_tls_goes_to_1_2_where_it_is_lower() {
    let s = demo();
    let r = ask("What minimum TLS version should I use?", &s);
    assert_eq!(
        recommended_ids(&r),
        [
            "keep:acme-shop.com",
            "min_tls_1_2:acme-internal.net",
            "keep:acme-api.io"
        ]
    );
    assert_eq!(
        r.recommended.as_deref(),
        Some("min_tls_1_2:acme-internal.net")
    );
    assert_eq!(
        option(&r, "keep:acme-internal.net").risk.level,
        RiskLevel::High
    );
    assert_eq!(
        option(&r, "min_tls_1_3:acme-shop.com").risk.level,
        RiskLevel::Medium
    );
    assert!(option(&r, "min_tls_1_2:acme-internal.net")
        .evidence
        .iter()
        .any(|e| e.detail == "min_tls_version = \"1.0\""));
}

#[test]
fn a_named_finding_gets_fix_or_waive_options() {
    let s = demo();
    let r = ask("What should I do about zone_ssl_strict?", &s);
    assert_eq!(r.recommended.as_deref(), Some("fix:zone_ssl_strict"));
    let fix = option(&r, "fix:zone_ssl_strict");
    assert_eq!(
        fix.evidence.len(),
        2,
        "acme-internal.net and acme-api.io fail"
    );
    assert_eq!(fix.risk.level, RiskLevel::Medium);
    assert_eq!(
        option(&r, "waive:zone_ssl_strict").risk.level,
        RiskLevel::High
    );

    let scoped = ask("zone_ssl_strict on acme-api.io", &s);
    assert_eq!(option(&scoped, "fix:zone_ssl_strict").evidence.len(), 1);

    let info = ask("what about zone_hotlink_protection_enabled", &s);
    assert_eq!(
        info.recommended.as_deref(),
        Some("waive:zone_hotlink_protection_enabled")
    );

    let events = Analytics {
        since: None,
        until: None,
        zones: vec![ZoneAnalytics {
            zone: "acme-api.io".into(),
            firewall_events: vec![crate::api::FirewallRuleEvents {
                rule_id: "4a12d2220e7abe37c65bae41f496ec87".into(),
                action: "skip".into(),
                source: "firewallCustom".into(),
                count: 1234,
            }],
            ..ZoneAnalytics::default()
        }],
    };
    let skip = decision_support(
        "what do I do about waf_skip_rule_scope",
        &DecisionInputs {
            analytics: Some(&events),
            ..DecisionInputs::new(Some(&s))
        },
    );
    assert!(option(&skip, "fix:waf_skip_rule_scope")
        .evidence
        .iter()
        .any(
            |e| e.id == "firewall_events:4a12d2220e7abe37c65bae41f496ec87"
                && e.detail.starts_with("1234 firewall events")
        ));

    let passing = ask("zone_paused?", &s);
    assert_eq!(passing.recommended.as_deref(), Some("keep:zone_paused"));
    assert_eq!(
        passing.risk.as_ref().map(|r| r.level),
        Some(RiskLevel::None)
    );
}

#[test]
fn an_unrecognised_question_gets_the_top_findings_labelled_as_such() {
    let s = demo();
    let r = ask("Tell me a joke about DNS", &s);
    assert_eq!((r.topic, r.recognised), (Topic::General, false));
    assert!(r.summary.contains("not recognised"));
    assert_eq!(r.options.len(), 5);
    assert!(r.options.iter().all(|o| o.id.starts_with("fix:")));
    assert!(r.options[0].evidence[0].detail.contains("(high)"));
    assert_eq!(r.recommended.as_deref(), Some(r.options[0].id.as_str()));
    let scoped = ask("anything about acme-shop.com?", &s);
    assert!(scoped
        .options
        .iter()
        .all(|o| o.zone.as_deref() == Some("acme-shop.com")));
}

#[test]
fn missing_snapshot_analytics_and_freshness_are_named() {
    let r = decision_support(
        "Should I turn on Under Attack mode?",
        &DecisionInputs::default(),
    );
    assert_eq!(r.topic, Topic::UnderAttackMode);
    assert!(r.options.is_empty() && r.recommended.is_none() && r.risk.is_none());
    assert!(r.unknowns[0].starts_with("no snapshot"));
    assert!(r.summary.starts_with("Cannot answer from evidence"));

    let mut s = demo();
    s.gaps.push(Gap {
        zone: Some("acme-api.io".into()),
        account: None,
        section: "bot_management".into(),
        reason: "403".into(),
    });
    let stale = decision_support(
        "Which zone should I fix first?",
        &DecisionInputs {
            now: Some(time::macros::datetime!(2026-11-05 12:00 UTC)),
            ..DecisionInputs::new(Some(&s))
        },
    );
    assert!(stale.unknowns.iter().any(|u| u.contains("96 hours old")));
    assert!(stale
        .unknowns
        .iter()
        .any(|u| u.contains("could not read bot_management of acme-api.io")));
}

#[test]
fn a_precomputed_report_is_used_as_given() {
    let s = demo();
    let empty = Report::new(0, Vec::new());
    let r = decision_support(
        "Which zone should I fix first?",
        &DecisionInputs {
            report: Some(&empty),
            ..DecisionInputs::new(Some(&s))
        },
    );
    assert!(r.recommended.is_none());
    assert!(r.summary.starts_with("Nothing to fix"));
}

#[test]
fn the_json_shape_is_stable() {
    let s = demo();
    let r = ask("Should I move to Full (strict) SSL?", &s);
    let value = serde_json::to_value(&r).unwrap_or_default();
    let keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "question",
            "topic",
            "recognised",
            "zones",
            "summary",
            "options",
            "recommended",
            "risk",
            "unknowns"
        ]
    );
    assert_eq!(value["topic"], "ssl_strict");
    assert_eq!(value["options"][0]["risk"]["level"], "none");
    let back: Recommendation = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, r);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_question_gets_an_answer_without_panicking(
        question in prop_oneof![
            any::<String>(),
            "(should|can|is it safe to|delete|remove|fix|which|bot|tls|ssl|strict|under attack|zone_ssl_strict| |[a-z0-9.\\-]{1,20}\\.(com|net|io)){0,8}",
        ]
    ) {
        let s = demo();
        let report = invariants::run(&s, &Config::default());
        let r = decision_support(&question, &DecisionInputs { report: Some(&report), ..DecisionInputs::new(Some(&s)) });
        if let Some(id) = &r.recommended {
            prop_assert!(r.options.iter().any(|o| &o.id == id && o.recommended));
        }
        prop_assert!(r.question.chars().count() <= MAX_ECHO_CHARS);
    }
}
