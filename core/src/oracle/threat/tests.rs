use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::api::{CountryCount, DailyTraffic, TopCount, TrafficSummary};
use crate::intel::{Indicator, IndicatorValue as Intel};
use crate::oracle::analytics::ZoneAnalytics;

fn demo() -> Snapshot {
    crate::snapshot::demo()
}

fn with_snapshot(snapshot: &Snapshot) -> ThreatInputs<'_> {
    ThreatInputs {
        snapshot: Some(snapshot),
        ..ThreatInputs::default()
    }
}

fn indicator(value: Intel, line: usize, comment: &str) -> Indicator {
    Indicator {
        value,
        line,
        comment: Some(comment.to_owned()),
    }
}

fn net(text: &str) -> IpNet {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn reason_codes(a: &ThreatAssessment) -> Vec<&str> {
    a.reasons.iter().map(|r| r.code.as_str()).collect()
}

fn outcome<'a>(a: &'a ThreatAssessment, zone: &str) -> &'a ZoneOutcome {
    a.zone_outcomes
        .iter()
        .find(|o| o.zone == zone)
        .unwrap_or_else(|| panic!("no outcome for {zone}: {:?}", a.zone_outcomes))
}

/// Every expression a step quotes in backticks must be a valid Rules expression.
fn assert_step_expressions_parse(a: &ThreatAssessment) {
    for step in &a.recommendation.steps {
        let mut parts = step.split('`');
        parts.next();
        if let Some(expression) = parts.next() {
            assert!(
                parse_filter(expression).is_ok(),
                "step expression does not parse: {expression:?} in {step:?}"
            );
        }
    }
}

fn snapshot_from(value: serde_json::Value) -> Snapshot {
    Snapshot::from_json_str(&value.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_address_on_the_blocklist_is_found_in_the_list_the_rules_and_the_simulation() {
    let s = demo();
    let a = threat_assess("198.18.7.21", &with_snapshot(&s));
    assert_eq!(
        (a.kind, a.normalised.as_str()),
        (IndicatorKind::Ip, "198.18.7.21")
    );
    let list = &a.list_matches[0];
    assert_eq!(
        (list.list.as_str(), list.relation),
        ("acme_blocklist", Relation::Equal)
    );
    assert_eq!(
        list.comment.as_deref(),
        Some("credential stuffing source, incident INC-2025-031")
    );
    let users: Vec<&str> = list.used_by.iter().map(|r| r.zone.as_str()).collect();
    assert_eq!(users, ["acme-shop.com", "acme-api.io"]);
    assert!(a
        .rule_matches
        .iter()
        .all(|m| m.field == "ip.src" && m.condition == "ip.src in $acme_blocklist" && !m.negated));
    assert_eq!(outcome(&a, "acme-shop.com").final_action, "block");
    assert_eq!(outcome(&a, "acme-api.io").final_action, "block");
    assert_eq!(outcome(&a, "acme-internal.net").final_action, "allow");
    assert!(outcome(&a, "acme-api.io")
        .caveats
        .iter()
        .any(|c| c.contains("Under Attack")));
    assert_eq!(
        reason_codes(&a),
        ["own_blocklist", "special_range", "not_mitigated"]
    );
    assert_eq!(a.score, 3);
    assert_eq!(a.threat_level, ThreatLevel::Medium);
    // The account blocks it elsewhere: block it on the zone that lets it through, with the list.
    assert_eq!(a.recommendation.action, RecommendedAction::Block);
    assert!(!a.recommendation.already_in_effect);
    assert_eq!(
        a.recommendation.steps,
        ["On acme-internal.net, add a custom rule: expression `(ip.src in $acme_blocklist)`, action block."]
    );
    assert_step_expressions_parse(&a);
}

#[test]
fn networks_relate_to_list_items_and_feed_entries() {
    let s = demo();
    let feeds = [IntelFeed::new(
        "drop",
        vec![
            indicator(Intel::Cidr(net("198.18.0.0/16")), 4, "SBL1"),
            indicator(
                Intel::Ip("198.18.64.9".parse().unwrap_or_else(|e| panic!("{e}"))),
                5,
                "bot",
            ),
            indicator(Intel::Cidr(net("198.18.64.128/25")), 6, "half"),
            indicator(Intel::Cidr(net("198.18.65.0/24")), 7, "next door"),
            indicator(Intel::Cidr(net("203.0.113.0/24")), 8, "elsewhere"),
        ],
    )];
    let inputs = ThreatInputs {
        intel: &feeds,
        ..with_snapshot(&s)
    };
    let a = threat_assess("198.18.64.0/24", &inputs);
    assert_eq!(a.kind, IndicatorKind::Cidr);
    let relations: Vec<(usize, Relation)> = a
        .intel_matches
        .iter()
        .map(|m| (m.line, m.relation))
        .collect();
    assert_eq!(
        relations,
        [
            (4, Relation::Contains),
            (5, Relation::Within),
            (6, Relation::Within)
        ]
    );
    assert_eq!(a.list_matches.len(), 1);
    assert_eq!(
        (a.list_matches[0].item.as_str(), a.list_matches[0].relation),
        ("198.18.64.0/24", Relation::Equal)
    );
    assert!(a.unknowns.iter().any(|u| u.contains("first address")));
    assert!(outcome(&a, "acme-shop.com").request.contains("198.18.64.0"));
    // A wider network contains list items: they lie within it.
    let wide = threat_assess("198.18.0.0/15", &inputs);
    assert!(wide.list_matches.len() >= 4);
    assert!(wide
        .list_matches
        .iter()
        .all(|m| m.relation == Relation::Within));
    assert!(wide
        .rule_matches
        .iter()
        .any(|m| m.relation == Relation::Within && m.rule.action == "block"));
    // Address ranges in a rule's set can overlap a network partly.
    let custom = snapshot_from(json!({
        "format": "cfcp.snapshot/v1", "taken_at": "2026-11-01T12:00:00Z",
        "source": {"kind": "file"}, "gaps": [], "accounts": [],
        "zones": [{"zone": {"id": "z1", "name": "shop.example"}, "rulesets": [
            {"id": "rs", "phase": "http_request_firewall_custom", "rules": [
                {"id": "range", "action": "block", "expression": "ip.src in {198.18.63.250..198.18.64.5 192.0.2.0/24}"}
            ]}
        ]}]
    }));
    let partial = threat_assess("198.18.64.0/24", &with_snapshot(&custom));
    assert_eq!(partial.rule_matches.len(), 1);
    assert_eq!(partial.rule_matches[0].relation, Relation::Overlaps);
}

#[test]
fn an_asn_is_found_in_rule_conditions() {
    let s = demo();
    let a = threat_assess("AS14061", &with_snapshot(&s));
    assert_eq!(a.kind, IndicatorKind::Asn);
    assert_eq!(a.rule_matches.len(), 1);
    let m = &a.rule_matches[0];
    assert_eq!(
        (
            m.rule.zone.as_str(),
            m.field.as_str(),
            m.rule.action.as_str()
        ),
        ("acme-shop.com", "ip.src.asnum", "managed_challenge")
    );
    assert_eq!(m.condition, "ip.src.asnum in {14061 16509 14618 24940}");
    // The challenge rule only covers /checkout: a request to / passes.
    assert_eq!(outcome(&a, "acme-shop.com").final_action, "allow");
    assert_eq!(reason_codes(&a), ["challenged_by_rule"]);
    assert_eq!(a.threat_level, ThreatLevel::Low);
    assert_eq!(a.recommendation.action, RecommendedAction::Monitor);
    let bare = threat_assess("64496", &with_snapshot(&s));
    assert_eq!(bare.kind, IndicatorKind::Asn);
    assert!(bare.rule_matches.is_empty());
    assert_eq!(bare.threat_level, ThreatLevel::None);
}

#[test]
fn a_country_is_found_in_rule_conditions_and_negation_is_reported() {
    let s = demo();
    let a = threat_assess("kp", &with_snapshot(&s));
    assert_eq!(
        (a.kind, a.normalised.as_str()),
        (IndicatorKind::Country, "KP")
    );
    let m = &a.rule_matches[0];
    assert_eq!(
        (m.field.as_str(), m.rule.action.as_str(), m.negated),
        ("ip.src.country", "js_challenge", false)
    );
    assert!(reason_codes(&a).contains(&"challenged_by_rule"));

    let custom = snapshot_from(json!({
        "format": "cfcp.snapshot/v1", "taken_at": "2026-11-01T12:00:00Z",
        "source": {"kind": "file"}, "gaps": [], "accounts": [],
        "zones": [{"zone": {"id": "z1", "name": "shop.example"}, "rulesets": [
            {"id": "rs", "phase": "http_request_firewall_custom", "rules": [
                {"id": "geo", "action": "block", "expression": "not ip.src.country in {\"US\" \"CA\"}", "description": "North America only"},
                {"id": "ne", "action": "block", "expression": "ip.geoip.country ne \"US\" and http.request.uri.path eq \"/admin\""}
            ]}
        ]}]
    }));
    let us = threat_assess("US", &with_snapshot(&custom));
    assert_eq!(us.rule_matches.len(), 2);
    assert!(
        us.rule_matches.iter().all(|m| m.negated),
        "{:?}",
        us.rule_matches
    );
    assert!(reason_codes(&us).contains(&"exempted"));
    assert_eq!(outcome(&us, "shop.example").final_action, "allow");
    let fr = threat_assess("FR", &with_snapshot(&custom));
    assert!(fr.rule_matches.is_empty());
    assert_eq!(outcome(&fr, "shop.example").final_action, "block");
}

#[test]
fn intel_matches_cover_every_entry_kind_and_several_feeds_raise_the_score() {
    let s = demo();
    let feeds = [
        IntelFeed::new(
            "threatfox",
            vec![
                indicator(Intel::Domain("evil.example".into()), 2, "phishing kit"),
                indicator(
                    Intel::Url("https://cdn.evil.example/gate.php".into()),
                    3,
                    "c2",
                ),
                indicator(Intel::Asn(64496), 4, "bulletproof host"),
                indicator(Intel::Country("KP".into()), 5, "sanctioned"),
            ],
        ),
        IntelFeed::new(
            "urlhaus",
            vec![indicator(
                Intel::Domain("login.evil.example".into()),
                9,
                "same kit",
            )],
        ),
    ];
    let inputs = ThreatInputs {
        intel: &feeds,
        ..with_snapshot(&s)
    };
    let a = threat_assess("login.evil.example", &inputs);
    let found: Vec<(&str, usize, Relation)> = a
        .intel_matches
        .iter()
        .map(|m| (m.feed.as_str(), m.line, m.relation))
        .collect();
    assert_eq!(
        found,
        [
            ("threatfox", 2, Relation::Contains),
            ("urlhaus", 9, Relation::Equal)
        ]
    );
    let intel = a.reasons.iter().find(|r| r.code == "intel_listed");
    assert_eq!(intel.map(|r| r.points), Some(4));
    let parent = threat_assess("evil.example", &inputs);
    assert!(parent
        .intel_matches
        .iter()
        .any(|m| m.entry_kind == "url" && m.relation == Relation::Within));
    assert!(parent
        .intel_matches
        .iter()
        .any(|m| m.feed == "urlhaus" && m.relation == Relation::Within));
    assert_eq!(threat_assess("AS64496", &inputs).intel_matches.len(), 1);
    assert_eq!(
        threat_assess("KP", &inputs).intel_matches[0]
            .comment
            .as_deref(),
        Some("sanctioned")
    );
    let clean = threat_assess("AS13335", &inputs);
    assert!(clean.intel_matches.is_empty());
    assert!(reason_codes(&clean).contains(&"not_in_intel"));
}

#[test]
fn a_listed_address_that_every_zone_lets_through_is_high_and_blocked_via_the_shared_list() {
    let s = demo();
    let feeds = [IntelFeed::new(
        "feodo",
        vec![indicator(
            Intel::Ip("45.155.205.7".parse().unwrap_or_else(|e| panic!("{e}"))),
            12,
            "QakBot C2",
        )],
    )];
    let inputs = ThreatInputs {
        intel: &feeds,
        ..with_snapshot(&s)
    };
    let a = threat_assess("45.155.205.7", &inputs);
    assert_eq!(reason_codes(&a), ["intel_listed", "not_mitigated"]);
    assert_eq!(a.threat_level, ThreatLevel::High);
    assert!(a.zone_outcomes.iter().all(|o| o.final_action == "allow"));
    assert_eq!(a.recommendation.action, RecommendedAction::Block);
    assert_eq!(
        a.recommendation.steps,
        [
            "Add 45.155.205.7 to the IP list $acme_blocklist (cfcp waf propose / threat_intel_integrate).",
            "On acme-internal.net, add a custom rule: expression `(ip.src in $acme_blocklist)`, action block.",
        ]
    );
    assert_step_expressions_parse(&a);
}

#[test]
fn your_own_origin_and_cloudflare_addresses_are_never_to_be_blocked() {
    let s = demo();
    let origin = threat_assess("203.0.113.10", &with_snapshot(&s));
    let record = &origin.record_matches[0];
    assert_eq!(
        (
            record.zone.as_str(),
            record.name.as_str(),
            record.relation.as_str()
        ),
        ("acme-shop.com", "acme-shop.com", "points_to")
    );
    assert!(reason_codes(&origin).contains(&"own_asset"));
    assert_eq!(origin.recommendation.action, RecommendedAction::DoNotBlock);
    let cloudflare = threat_assess("104.16.1.1", &with_snapshot(&s));
    assert!(reason_codes(&cloudflare).contains(&"cloudflare_range"));
    assert_eq!(
        cloudflare.recommendation.action,
        RecommendedAction::DoNotBlock
    );
    let own_host = threat_assess("login.acme-shop.com", &with_snapshot(&s));
    assert_eq!(own_host.own_zone.as_deref(), Some("acme-shop.com"));
    assert!(own_host.lookalikes.is_empty());
    assert_eq!(
        own_host.recommendation.action,
        RecommendedAction::DoNotBlock
    );
    // A domain the zone's records point at is found through them.
    let vendor = threat_assess("statuspage.io", &with_snapshot(&s));
    let names: Vec<&str> = vendor
        .record_matches
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["status.acme-shop.com", "status.acme-api.io"]);
}

#[test]
fn lookalike_domains_of_zones_are_reported_for_takedown() {
    let s = demo();
    let a = threat_assess("acme-sh0p.com", &with_snapshot(&s));
    assert_eq!(a.lookalikes.len(), 1);
    assert_eq!(
        (a.lookalikes[0].zone.as_str(), a.lookalikes[0].technique),
        ("acme-shop.com", LookalikeTechnique::Homoglyph)
    );
    assert_eq!(a.threat_level, ThreatLevel::High);
    assert_eq!(a.recommendation.action, RecommendedAction::Takedown);
    assert!(a.zone_outcomes.is_empty(), "no zone sees a foreign domain");
    let puny = threat_assess("xn--cme-shop-06g.com", &with_snapshot(&s));
    assert_eq!(puny.normalised, "аcme-shop.com");
    assert!(puny.notes.iter().any(|n| n.contains("punycode")));
    assert_eq!(puny.lookalikes[0].technique, LookalikeTechnique::Homoglyph);
    let combo = threat_assess("acme-api-login.io", &with_snapshot(&s));
    assert_eq!(combo.lookalikes[0].technique, LookalikeTechnique::Combo);
    assert_eq!(
        threat_assess("acme-internal.com", &with_snapshot(&s)).lookalikes[0].technique,
        LookalikeTechnique::TldSwap
    );

    let custom = snapshot_from(json!({
        "format": "cfcp.snapshot/v1", "taken_at": "2026-11-01T12:00:00Z",
        "source": {"kind": "file"}, "gaps": [], "accounts": [],
        "zones": [{"zone": {"id": "z1", "name": "example-login.com"}}]
    }));
    let typo = threat_assess("examp1e-login.com", &with_snapshot(&custom));
    assert_eq!(typo.lookalikes[0].technique, LookalikeTechnique::Homoglyph);
    assert!(typo
        .reasons
        .iter()
        .any(|r| r.code == "lookalike_domain" && r.detail.contains("'1' for 'l'")));
    assert!(threat_assess("example.org", &with_snapshot(&custom))
        .lookalikes
        .is_empty());
}

#[test]
fn a_request_sample_is_read_scanned_and_simulated_on_its_zone() {
    let s = demo();
    let probe = "GET /.env HTTP/1.1\nHost: acme-api.io\nUser-Agent: sqlmap/1.7";
    let a = threat_assess(probe, &with_snapshot(&s));
    assert_eq!(
        (a.kind, a.normalised.as_str()),
        (IndicatorKind::Request, "GET https://acme-api.io/.env")
    );
    let categories: Vec<&str> = a
        .request_signals
        .iter()
        .map(|s| s.category.as_str())
        .collect();
    assert_eq!(categories, ["secret_file_probe", "scanner_user_agent"]);
    assert_eq!(a.zone_outcomes.len(), 1);
    assert_eq!(outcome(&a, "acme-api.io").final_action, "allow");
    assert_eq!(reason_codes(&a), ["attack_pattern", "not_mitigated"]);
    assert_eq!(a.threat_level, ThreatLevel::High);
    assert_eq!(a.recommendation.action, RecommendedAction::Block);
    assert_eq!(
        a.recommendation.steps,
        [
            "On acme-api.io, add a custom rule: expression `(lower(http.request.uri.path) contains \"/.env\")`, action block.",
            "On acme-api.io, add a custom rule: expression `(lower(http.user_agent) contains \"sqlmap\")`, action block.",
        ]
    );
    assert_step_expressions_parse(&a);

    // The same probe against acme-shop.com is already blocked there.
    let shop = threat_assess(
        &probe.replace("acme-api.io", "acme-shop.com"),
        &with_snapshot(&s),
    );
    assert_eq!(outcome(&shop, "acme-shop.com").final_action, "block");
    assert!(shop.recommendation.already_in_effect);

    let json_request = r#"{"method": "POST", "host": "acme-shop.com", "path": "/api/login",
        "client_ip": "198.18.7.21", "headers": [["User-Agent", "curl/8.4"]]}"#;
    let j = threat_assess(json_request, &with_snapshot(&s));
    assert_eq!(j.kind, IndicatorKind::Request);
    let o = outcome(&j, "acme-shop.com");
    assert_eq!(o.final_action, "block");
    assert_eq!(
        o.terminating_rule.as_ref().map(|r| r.rule_id.as_str()),
        Some("3ca25d4de3ecfc00e0651e20d28dc8d3")
    );
    assert!(j.list_matches.iter().any(|m| m.list == "acme_blocklist"));

    let foreign = threat_assess("GET https://other.example/ HTTP/2", &with_snapshot(&s));
    assert!(foreign.zone_outcomes.is_empty());
    assert!(foreign
        .unknowns
        .iter()
        .any(|u| u.contains("not under any zone")));
    let hostless = threat_assess("GET /healthz", &with_snapshot(&s));
    assert_eq!(hostless.zone_outcomes.len(), 3);
    assert_eq!(hostless.threat_level, ThreatLevel::None);
}

#[test]
fn a_url_to_your_zone_is_a_request_not_your_asset() {
    let s = demo();
    let a = threat_assess("https://acme-api.io/wp-login.php", &with_snapshot(&s));
    assert_eq!(a.kind, IndicatorKind::Url);
    assert_eq!(a.own_zone.as_deref(), Some("acme-api.io"));
    assert!(!reason_codes(&a).contains(&"own_asset"));
    assert_eq!(a.request_signals[0].category, "cms_probe");
    assert_eq!(a.recommendation.action, RecommendedAction::Block);
}

#[test]
fn a_large_request_sample_is_read_scanned_and_counted_by_rate_limits() {
    let s = demo();
    let body = format!("user=admin%27+or+1%3D1--&{}", "pad=x&".repeat(150_000));
    let text = format!(
        "POST /api/login HTTP/1.1\nHost: acme-shop.com\nContent-Type: application/x-www-form-urlencoded\n\n{body}"
    );
    let a = threat_assess(&text, &with_snapshot(&s));
    assert_eq!(a.kind, IndicatorKind::Request);
    assert_eq!(a.indicator.chars().count(), 200);
    assert!(a
        .request_signals
        .iter()
        .any(|s| s.category == "sqli" && s.location == "body"));
    let o = outcome(&a, "acme-shop.com");
    assert_eq!(
        o.rate_limit_counted_by
            .iter()
            .map(|r| r.description.as_str())
            .collect::<Vec<_>>(),
        ["Rate limit login attempts"]
    );
}

fn analytics_for(zone: &str, ip: &str, country: &str) -> Analytics {
    Analytics {
        since: Some("2026-10-25T00:00:00Z".into()),
        until: Some("2026-11-01T00:00:00Z".into()),
        zones: vec![ZoneAnalytics {
            zone: zone.to_owned(),
            traffic: Some(TrafficSummary {
                requests: 10_000,
                statuses: Vec::new(),
                top_countries: vec![TopCount {
                    value: country.to_owned(),
                    requests: 900,
                }],
                top_ips: vec![TopCount {
                    value: ip.to_owned(),
                    requests: 420,
                }],
                top_paths: vec![TopCount {
                    value: "/login".to_owned(),
                    requests: 800,
                }],
            }),
            daily: vec![DailyTraffic {
                date: "2026-10-31".into(),
                requests: 10_000,
                threats: 600,
                cached_requests: 0,
                bytes: 0,
                countries: vec![CountryCount {
                    country: country.to_owned(),
                    requests: 900,
                    threats: 450,
                }],
                statuses: Vec::new(),
            }],
            ..ZoneAnalytics::default()
        }],
    }
}

#[test]
fn analytics_show_whether_it_reached_the_zones() {
    let s = demo();
    let analytics = analytics_for("acme-internal.net", "185.220.101.4", "RU");
    let inputs = ThreatInputs {
        analytics: Some(&analytics),
        ..with_snapshot(&s)
    };
    let ip = threat_assess("185.220.101.4", &inputs);
    assert_eq!(ip.analytics_matches.len(), 1);
    assert_eq!(
        (
            ip.analytics_matches[0].figure.as_str(),
            ip.analytics_matches[0].requests
        ),
        ("top_ips", 420)
    );
    assert_eq!(reason_codes(&ip), ["seen_in_traffic"]);
    assert_eq!(ip.threat_level, ThreatLevel::Low);
    let net = threat_assess("185.220.101.0/24", &inputs);
    assert_eq!(net.analytics_matches.len(), 1);
    let country = threat_assess("RU", &inputs);
    assert_eq!(
        reason_codes(&country),
        ["seen_in_traffic", "threat_traffic", "not_mitigated"]
    );
    assert_eq!(country.recommendation.action, RecommendedAction::Challenge);
    assert!(country.recommendation.steps[0].contains("(ip.src.country eq \"RU\")"));
    assert_step_expressions_parse(&country);
    let path = threat_assess("GET https://acme-internal.net/login", &inputs);
    assert!(path
        .analytics_matches
        .iter()
        .any(|m| m.figure == "top_paths"));
    let asn = threat_assess("AS64496", &inputs);
    assert!(asn.unknowns.iter().any(|u| u.contains("per-ASN")));
}

#[test]
fn missing_inputs_are_named_not_guessed() {
    let a = threat_assess("198.18.7.21", &ThreatInputs::default());
    assert!(a.list_matches.is_empty() && a.zone_outcomes.is_empty() && a.zones.is_empty());
    for what in ["no snapshot", "no threat-intel feeds", "no analytics"] {
        assert!(
            a.unknowns.iter().any(|u| u.starts_with(what)),
            "{what}: {:?}",
            a.unknowns
        );
    }
    assert_eq!(a.threat_level, ThreatLevel::None);
    let s = demo();
    let only = threat_assess(
        "198.18.7.21",
        &ThreatInputs {
            zone: Some("acme-internal.net"),
            ..with_snapshot(&s)
        },
    );
    assert_eq!(only.zones, ["acme-internal.net"]);
    assert!(
        only.list_matches[0].used_by.is_empty(),
        "no rule of acme-internal.net uses the list"
    );
    let missing = threat_assess(
        "198.18.7.21",
        &ThreatInputs {
            zone: Some("nope.example"),
            ..with_snapshot(&s)
        },
    );
    assert!(missing.unknowns[0].contains("\"nope.example\" is not in the snapshot"));
    let stale = threat_assess(
        "198.18.7.21",
        &ThreatInputs {
            now: Some(time::macros::datetime!(2026-11-20 12:00 UTC)),
            ..with_snapshot(&s)
        },
    );
    assert!(stale.unknowns.iter().any(|u| u.contains("hours old")));
    let mut gapped = demo();
    gapped.gaps.push(crate::snapshot::Gap {
        zone: None,
        account: Some("a".into()),
        section: "lists".into(),
        reason: "403 Authentication error (code 10000)".into(),
    });
    let g = threat_assess("198.18.7.21", &with_snapshot(&gapped));
    assert!(g
        .unknowns
        .iter()
        .any(|u| u.contains("could not read lists")));
}

#[test]
fn unrecognised_input_says_why_and_assesses_nothing() {
    let s = demo();
    for text in [
        "",
        "   ",
        "not an indicator",
        "999.1.1.1",
        "{\"nothing\": 1}",
    ] {
        let a = threat_assess(text, &with_snapshot(&s));
        assert_eq!(a.kind, IndicatorKind::Unknown, "{text}");
        assert_eq!(reason_codes(&a), ["unrecognised"]);
        assert_eq!(a.threat_level, ThreatLevel::None);
        assert!(a.recommendation.summary.starts_with("Not assessed"));
    }
}

#[test]
fn long_match_lists_are_capped_and_counted() {
    let s = demo();
    let entries: Vec<Indicator> = (0..60)
        .map(|i| indicator(Intel::Cidr(net("198.18.0.0/16")), i + 1, "dup"))
        .collect();
    let feeds = [IntelFeed::new("big", entries)];
    let a = threat_assess(
        "198.18.7.21",
        &ThreatInputs {
            intel: &feeds,
            ..with_snapshot(&s)
        },
    );
    assert_eq!(a.intel_matches.len(), MAX_MATCHES);
    assert_eq!(a.omitted.get("intel_matches"), Some(&10));
}

#[test]
fn the_json_shape_is_stable() {
    let s = demo();
    let a = threat_assess("198.18.7.21", &with_snapshot(&s));
    let value = serde_json::to_value(&a).unwrap_or_default();
    let keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "indicator",
            "kind",
            "normalised",
            "notes",
            "zones",
            "own_zone",
            "intel_matches",
            "list_matches",
            "rule_matches",
            "record_matches",
            "lookalikes",
            "request_signals",
            "analytics_matches",
            "zone_outcomes",
            "threat_level",
            "score",
            "reasons",
            "recommendation",
            "unknowns",
            "omitted"
        ]
    );
    assert_eq!(value["threat_level"], "medium");
    assert_eq!(value["kind"], "ip");
    assert_eq!(value["recommendation"]["action"], "block");
    assert_eq!(value["list_matches"][0]["relation"], "equal");
    let back: ThreatAssessment = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, a);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_text_gets_an_answer_without_panicking(text in any::<String>()) {
        let s = demo();
        let a = threat_assess(&text, &with_snapshot(&s));
        prop_assert_eq!(a.threat_level, ThreatLevel::from_score(a.score));
    }

    #[test]
    fn indicator_shaped_text_gets_an_answer(
        text in prop_oneof![
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(/[0-9]{1,2})?",
            "[0-9a-f:]{2,30}(/[0-9]{1,3})?",
            "(AS|as|ASN)?[0-9]{0,12}",
            "[a-zA-Z0-9]{1,3}",
            "[a-z0-9.\\-аеорсху0-9]{1,40}\\.[a-z]{2,5}",
            "xn--[a-z0-9\\-]{1,30}\\.com",
            "(GET|POST|PUT) (/|https?://)[ -~]{0,60}( HTTP/1.1)?(\n[A-Za-z\\-]{1,12}: [ -~]{0,30}){0,3}",
            "\\{\"(host|path|client_ip|asn|country|method)\": ?(\"[ -~]{0,20}\"|[0-9]{1,5}|null|\\[\\])\\}",
        ]
    ) {
        let s = demo();
        let a = threat_assess(&text, &with_snapshot(&s));
        prop_assert_eq!(a.threat_level, ThreatLevel::from_score(a.score));
        prop_assert!(a.intel_matches.len() <= MAX_MATCHES);
    }
}
