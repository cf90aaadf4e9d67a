//! The WAF analysis on the demo snapshot finds the planted problems and ranks the zones; the
//! simulation traces hand-written cases of skip, execute, log and block correctly; a zone with
//! 1,000 custom rules is analysed with the right shadowing results.

use cfcp::invariants::{Finding, Severity, Status};
use cfcp::rules::{Lists, Request};
use cfcp::snapshot::{demo, Snapshot};
use cfcp::waf::{analyze, lists_from_snapshot, simulate, Trace, ZoneAnalysis};
use serde_json::{json, Value};

const SHOP: &str = "acme-shop.com";
const API: &str = "acme-api.io";
const INTERNAL: &str = "acme-internal.net";

fn zone<'a>(analysis: &'a cfcp::waf::WafAnalysis, name: &str) -> &'a ZoneAnalysis {
    analysis
        .zone(name)
        .unwrap_or_else(|| panic!("no analysis for {name}"))
}

fn find<'a>(z: &'a ZoneAnalysis, check: &str, resource_id: &str) -> &'a Finding {
    z.findings
        .iter()
        .find(|f| f.check_id == check && f.resource.id == resource_id)
        .unwrap_or_else(|| {
            panic!(
                "{}: no {check} on {resource_id}; findings: {:#?}",
                z.zone,
                z.findings
                    .iter()
                    .map(|f| format!("{} {} {}", f.check_id, f.resource.id, f.message))
                    .collect::<Vec<_>>()
            )
        })
}

#[test]
fn the_planted_problems_of_acme_api_are_found() {
    let analysis = analyze(&demo(), None);
    let api = zone(&analysis, API);
    let managed_rule = "eef19cbb77b3e1d8e317bd42a0fafdc0";

    let f = find(api, "waf_managed_log_only", managed_rule);
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.message.contains("Cloudflare Managed Ruleset"),
        "{}",
        f.message
    );

    let f = find(
        api,
        "waf_skip_too_broad",
        "4a12d2220e7abe37c65bae41f496ec87",
    );
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.message.contains("client-controlled http.user_agent"),
        "{}",
        f.message
    );
    assert!(f
        .message
        .contains("phases http_ratelimit, http_request_firewall_managed"));
    assert!(
        f.message.contains("logging of the skip is off"),
        "{}",
        f.message
    );

    let f = find(api, "waf_managed_skipped", managed_rule);
    assert!(f.message.contains("Partner integration"), "{}", f.message);

    let f = find(
        api,
        "waf_deprecated_field",
        "9e0da5892ef4c3fadefb0c21de8c25e7",
    );
    assert!(f.message.contains("cf.threat_score"));
    assert!(f.message.contains("always 0"));

    let f = find(
        api,
        "waf_condition_never_matches",
        "bf5591bd5c99fd3534c70bdffdf78252",
    );
    assert!(f.message.contains("can never match"));

    find(api, "waf_rule_disabled", "f58b6eb63fe3a8cae86dce317d4e569f");
    find(api, "waf_rule_log_only", "c812848344a8695ff534def64e9fda82");
    find(api, "waf_ratelimit_missing", &demo_zone_id(API));
    find(api, "waf_owasp_not_deployed", &demo_zone_id(API));
    // Business plan: `matches` is allowed, and the pattern is cheap.
    assert!(!api
        .findings
        .iter()
        .any(|f| f.check_id == "waf_regex_not_on_plan" || f.check_id == "waf_regex_costly"));

    let m = &api.summary.managed;
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].mode, "log");
    assert!(!m[0].enforcing);
    assert!(m[0]
        .skipped_by
        .as_deref()
        .is_some_and(|s| s.contains("4a12d2220e7abe37c65bae41f496ec87")));
}

fn demo_zone_id(name: &str) -> String {
    demo()
        .zone(name)
        .map(|z| z.zone.id.clone())
        .unwrap_or_default()
}

#[test]
fn acme_internal_has_no_waf_and_acme_shop_is_clean() {
    let analysis = analyze(&demo(), None);
    let internal = zone(&analysis, INTERNAL);
    let id = demo_zone_id(INTERNAL);
    let f = find(internal, "waf_managed_not_deployed", &id);
    assert!(f.message.contains("needs a Pro plan"), "{}", f.message);
    assert!(f.remediation.terraform.contains("cloudflare_ruleset"));
    find(internal, "waf_owasp_not_deployed", &id);
    find(internal, "waf_ratelimit_missing", &id);
    assert_eq!(internal.summary.custom_rules, 0);

    let shop = zone(&analysis, SHOP);
    let serious: Vec<&Finding> = shop
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
    // The one planted nit: a log-only custom rule.
    find(
        shop,
        "waf_rule_log_only",
        "e433022efe360120233595d8329a1c7d",
    );
    assert_eq!(shop.summary.managed.len(), 2);
    assert!(shop.summary.managed.iter().all(|m| m.enforcing));
    let owasp = &shop.summary.managed[1];
    assert_eq!(
        (owasp.paranoia_level, owasp.score_threshold),
        (Some(2), Some(40))
    );
    assert_eq!(shop.summary.rate_limits_login_api, 1);
}

#[test]
fn scores_rank_the_zones() {
    let analysis = analyze(&demo(), None);
    let (shop, api, internal) = (
        zone(&analysis, SHOP).score,
        zone(&analysis, API).score,
        zone(&analysis, INTERNAL).score,
    );
    assert!(shop > api && api > internal, "{shop} > {api} > {internal}");
    assert!(shop >= 90, "{shop}");
    for z in &analysis.zones {
        let sum: f64 = z.summary.score_parts.iter().map(|p| p.points).sum();
        assert_eq!(z.score, sum.round() as u8, "{}", z.zone);
    }
}

#[test]
fn findings_are_shaped_like_invariant_findings() {
    let analysis = analyze(&demo(), None);
    let all = analysis.findings();
    assert!(!all.is_empty());
    for f in &all {
        assert!(f.check_id.starts_with("waf_"), "{}", f.check_id);
        assert_eq!(f.status, Status::Fail);
        assert!(matches!(f.resource.kind.as_ref(), "rule" | "zone"));
        assert!(f.resource.zone.is_some());
        assert!(!f.remediation.text.is_empty());
        assert!(!f.compliance.is_empty(), "{}", f.check_id);
        for r in f.compliance.iter() {
            assert!(cfcp::compliance::control_for_reference(r).is_some(), "{r}");
        }
        if f.resource.kind == "rule" {
            assert!(!f.resource.name.is_empty());
        }
    }
    // Findings come most severe first within a zone.
    for z in &analysis.zones {
        let severities: Vec<Severity> = z.findings.iter().map(|f| f.severity).collect();
        let mut sorted = severities.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(severities, sorted, "{}", z.zone);
    }
    // They serialize as a report's findings do.
    let value = serde_json::to_value(&all[0]).unwrap_or(Value::Null);
    for key in [
        "check_id",
        "title",
        "severity",
        "status",
        "resource",
        "message",
        "remediation",
        "compliance",
    ] {
        assert!(value.get(key).is_some(), "{key}");
    }
}

// ---- simulation --------------------------------------------------------------------------------

const CF_MANAGED: &str = "efb7b8c949ac4650a09736fc376e9aee";
const OWASP: &str = "4814384a9e5d4991b9815dcfc25d2f1f";

fn sim_snapshot() -> Snapshot {
    let value = json!({
        "format": "cfcp.snapshot/v1", "taken_at": "2026-11-01T12:00:00Z",
        "source": {"kind": "file"}, "gaps": [],
        "accounts": [{"account": {"id": "a1"}, "lists": [
            {"list": {"id": "l1", "name": "partners", "kind": "ip"}, "items": [{"ip": "192.0.2.0/24"}]}
        ]}],
        "zones": [{"zone": {"id": "z1", "name": "sim.example", "plan": {"name": "Enterprise Website"}}, "rulesets": [
            {"id": "custom", "phase": "http_request_firewall_custom", "rules": [
                {"id": "off", "action": "block", "expression": "true", "enabled": false},
                {"id": "partner", "action": "skip", "expression": "ip.src in $partners",
                 "action_parameters": {"phases": ["http_request_firewall_managed"]}},
                {"id": "api_log", "action": "log", "expression": "starts_with(http.request.uri.path, \"/api/\")"},
                {"id": "health", "action": "skip", "expression": "http.request.uri.path eq \"/healthz\"",
                 "action_parameters": {"ruleset": "current"}},
                {"id": "admin", "action": "block", "expression": "http.request.uri.path contains \"/admin\""},
                {"id": "kp", "action": "managed_challenge", "expression": "ip.src.country eq \"KP\""}
            ]},
            {"id": "rl", "phase": "http_ratelimit", "rules": [
                {"id": "login", "action": "block", "expression": "http.request.uri.path eq \"/login\" and http.request.method eq \"POST\"",
                 "ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": 60, "requests_per_period": 5, "mitigation_timeout": 600}}
            ]},
            {"id": "managed", "phase": "http_request_firewall_managed", "rules": [
                {"id": "legacy", "action": "skip", "expression": "http.host eq \"legacy.example\"",
                 "action_parameters": {"rulesets": [OWASP]}},
                {"id": "cf", "action": "execute", "expression": "true",
                 "action_parameters": {"id": CF_MANAGED, "overrides": {"action": "log"}}},
                {"id": "owasp", "action": "execute", "expression": "true",
                 "action_parameters": {"id": OWASP, "overrides": {"rules": [{"id": "6179ae15870a4bb7b2d480d4843b323c", "score_threshold": 40}]}}}
            ]}
        ]}]
    });
    Snapshot::from_json_str(&value.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

fn run(request: &Request) -> Trace {
    let s = sim_snapshot();
    simulate(&s, "sim.example", request, &lists_from_snapshot(&s)).unwrap_or_else(|e| panic!("{e}"))
}

fn req(path: &str, ip: &str) -> Request {
    let mut r = Request::get("sim.example", path);
    r.client_ip = Some(ip.parse().unwrap_or_else(|e| panic!("{e}")));
    r
}

fn ids(trace: &Trace) -> Vec<&str> {
    trace.steps.iter().map(|s| s.rule_id.as_str()).collect()
}

#[test]
fn block_stops_everything() {
    let t = run(&req("/admin/users", "198.51.100.1"));
    assert_eq!(t.final_action, "block");
    let term = t
        .terminating_rule
        .clone()
        .unwrap_or_else(|| panic!("no terminating rule"));
    assert_eq!(
        (term.phase.as_str(), term.rule_id.as_str()),
        ("http_request_firewall_custom", "admin")
    );
    // Nothing after the block is evaluated: no rate limiting, no managed rules.
    assert_eq!(
        ids(&t),
        vec!["off", "partner", "api_log", "health", "admin"]
    );
    let off = t.step("off").cloned().unwrap_or_else(|| panic!("no step"));
    assert!(!off.matched && off.note == "disabled");
    let admin = t
        .step("admin")
        .cloned()
        .unwrap_or_else(|| panic!("no step"));
    assert!(admin.matched && admin.acted && admin.action == "block");
    assert!(t.caveats.is_empty());
}

#[test]
fn log_continues_and_managed_rulesets_execute_with_overrides() {
    let t = run(&req("/api/orders", "198.51.100.1"));
    assert_eq!(t.final_action, "allow");
    assert!(t.terminating_rule.is_none());
    let log = t
        .step("api_log")
        .cloned()
        .unwrap_or_else(|| panic!("no step"));
    assert!(log.matched && log.acted && log.note.contains("evaluation continues"));
    let cf = t.step("cf").cloned().unwrap_or_else(|| panic!("no step"));
    assert!(cf.matched && cf.acted);
    assert!(
        cf.note
            .contains("executes Cloudflare Managed Ruleset (rules not in snapshot)"),
        "{}",
        cf.note
    );
    assert!(cf.note.contains("overridden to log"), "{}", cf.note);
    let owasp = t
        .step("owasp")
        .cloned()
        .unwrap_or_else(|| panic!("no step"));
    assert!(
        owasp.acted && owasp.note.contains("1 category/rule override(s)"),
        "{}",
        owasp.note
    );
    assert_eq!(t.caveats.len(), 2);
    assert!(t.caveats[0].contains("log mode"));
    assert!(t.caveats[1].contains("may still act"));
    assert_eq!(
        ids(&t),
        vec![
            "off", "partner", "api_log", "health", "admin", "kp", "login", "legacy", "cf", "owasp"
        ]
    );
}

#[test]
fn skip_of_a_phase_does_not_skip_custom_rules() {
    // A partner IP skips the managed phase, not the rest of the custom rules.
    let t = run(&req("/admin", "192.0.2.10"));
    assert_eq!(t.final_action, "block");
    let partner = t
        .step("partner")
        .cloned()
        .unwrap_or_else(|| panic!("no step"));
    assert!(partner.matched && partner.acted);
    assert!(partner
        .note
        .contains("phases http_request_firewall_managed"));

    let t = run(&req("/api/x", "192.0.2.10"));
    assert_eq!(t.final_action, "allow");
    for id in ["legacy", "cf", "owasp"] {
        let s = t
            .step(id)
            .cloned()
            .unwrap_or_else(|| panic!("no step {id}"));
        assert!(!s.matched && !s.acted, "{s:?}");
        assert!(
            s.note.contains(
                "not evaluated: phase http_request_firewall_managed skipped by rule partner"
            ),
            "{}",
            s.note
        );
    }
    assert!(t.caveats.is_empty());
}

#[test]
fn skip_current_ruleset_skips_the_rest_of_it_only() {
    let mut r = req("/healthz", "198.51.100.1");
    r.country = "KP".to_owned();
    let t = run(&r);
    let health = t
        .step("health")
        .cloned()
        .unwrap_or_else(|| panic!("no step"));
    assert!(
        health.matched && health.acted && health.note.contains("the rest of the current ruleset")
    );
    for id in ["admin", "kp"] {
        let s = t
            .step(id)
            .cloned()
            .unwrap_or_else(|| panic!("no step {id}"));
        assert!(
            !s.matched
                && s.note
                    .contains("rest of the ruleset was skipped by rule health"),
            "{}",
            s.note
        );
    }
    // The managed phase still runs.
    assert!(t.step("cf").is_some_and(|s| s.acted));
    assert_eq!(t.final_action, "allow");

    // Without the skip, the country rule challenges.
    let mut r = req("/", "198.51.100.1");
    r.country = "KP".to_owned();
    let t = run(&r);
    assert_eq!(t.final_action, "managed_challenge");
    assert_eq!(t.terminating_rule.map(|r| r.rule_id), Some("kp".to_owned()));
}

#[test]
fn skip_of_a_managed_ruleset_and_rate_limit_counting() {
    let mut r = Request::get("legacy.example", "/");
    r.client_ip = Some("198.51.100.1".parse().unwrap_or_else(|e| panic!("{e}")));
    let t = run(&r);
    let owasp = t
        .step("owasp")
        .cloned()
        .unwrap_or_else(|| panic!("no step"));
    assert!(owasp.matched && !owasp.acted);
    assert!(
        owasp
            .note
            .contains("Cloudflare OWASP Core Ruleset not executed: skipped by rule legacy"),
        "{}",
        owasp.note
    );
    assert!(t.step("cf").is_some_and(|s| s.acted));

    let mut r = req("/login", "198.51.100.1");
    r.method = "POST".to_owned();
    let t = run(&r);
    assert_eq!(t.final_action, "allow");
    assert_eq!(t.rate_limit_counted_by.len(), 1);
    assert_eq!(t.rate_limit_counted_by[0].rule_id, "login");
    let login = t
        .step("login")
        .cloned()
        .unwrap_or_else(|| panic!("no step"));
    assert!(login.matched && !login.acted);
    assert!(
        login
            .note
            .contains("5 requests per 60 s per cf.colo.id + ip.src"),
        "{}",
        login.note
    );
    assert!(login.note.contains("block for 600 s"), "{}", login.note);
}

#[test]
fn demo_partner_user_agent_bypasses_managed_rules_and_rate_limits() {
    let s = demo();
    let r = Request::get(API, "/v1/users/1").header("User-Agent", "AcmePartnerBot/2.0");
    let t = simulate(&s, API, &r, &lists_from_snapshot(&s)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.final_action, "allow");
    let skip = t
        .step("4a12d2220e7abe37c65bae41f496ec87")
        .cloned()
        .unwrap_or_else(|| panic!("no step"));
    assert!(skip.matched && skip.acted);
    let managed = t
        .step("eef19cbb77b3e1d8e317bd42a0fafdc0")
        .cloned()
        .unwrap_or_else(|| panic!("no step"));
    assert!(
        !managed.matched && managed.note.contains("skipped by"),
        "{}",
        managed.note
    );
    assert!(t.caveats.is_empty());
    assert!(simulate(&s, "missing.example", &r, &Lists::default()).is_err());
}

// ---- scale -------------------------------------------------------------------------------------

/// 1,000 custom rules: blocks of single IPs and /24s, path rules with prefixes and sets, a few
/// exact duplicates and rules shadowed by an earlier broader rule. Checks what is found (not how
/// fast: see the closing note for the measured time).
#[test]
fn a_thousand_rules_are_analysed_with_the_right_results() {
    let mut rules = Vec::new();
    let mut expect_shadowed = Vec::new();
    let mut expect_duplicate = Vec::new();
    for i in 0..1000u32 {
        let id = format!("r{i}");
        let (expression, action) = match i % 10 {
            // A /24 per block of ten.
            0 => (
                format!("ip.src in {{10.{}.{}.0/24}}", i / 256 % 256, i % 256),
                "block",
            ),
            // An address inside the /24 of rule i - 1: shadowed.
            1 => {
                expect_shadowed.push(id.clone());
                (
                    format!(
                        "ip.src in {{10.{}.{}.7}} and http.request.method eq \"POST\"",
                        (i - 1) / 256 % 256,
                        (i - 1) % 256
                    ),
                    "block",
                )
            }
            2 => (
                format!("starts_with(http.request.uri.path, \"/p{i}/\")"),
                "managed_challenge",
            ),
            // Inside rule i - 1's prefix: shadowed.
            3 => {
                expect_shadowed.push(id.clone());
                (
                    format!(
                        "http.request.uri.path in {{\"/p{}/a\" \"/p{}/b\"}}",
                        i - 1,
                        i - 1
                    ),
                    "block",
                )
            }
            // Unrelated: an address outside every /24 of the 10.x blocks.
            4 => (
                format!("ip.src eq 172.16.{}.{}", i / 256 % 256, i % 256),
                "block",
            ),
            // A copy of rule i - 1.
            5 => {
                expect_duplicate.push(id.clone());
                (
                    format!("ip.src eq 172.16.{}.{}", (i - 1) / 256 % 256, (i - 1) % 256),
                    "block",
                )
            }
            6 => (format!("http.host eq \"h{i}.example\" and ssl"), "log"),
            7 => (
                format!("ip.src.asnum in {{{} {}}}", 64_000 + i, 65_000 + i),
                "block",
            ),
            // Not covered: a different ASN.
            8 => (format!("ip.src.asnum eq {}", 63_000 + i), "block"),
            _ => (
                format!("http.user_agent contains \"bot-{i}-\" and cf.waf.score lt 20"),
                "block",
            ),
        };
        rules.push(json!({"id": id, "action": action, "expression": expression}));
    }
    let value = json!({
        "format": "cfcp.snapshot/v1", "taken_at": "2026-11-01T12:00:00Z",
        "source": {"kind": "file"}, "gaps": [], "accounts": [],
        "zones": [{"zone": {"id": "z1", "name": "big.example", "plan": {"name": "Enterprise Website"}}, "rulesets": [
            {"id": "custom", "phase": "http_request_firewall_custom", "rules": rules}
        ]}]
    });
    let s = Snapshot::from_json_str(&value.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let analysis = analyze(&s, None);
    let z = zone(&analysis, "big.example");
    let found = |check: &str| -> Vec<String> {
        let mut ids: Vec<String> = z
            .findings
            .iter()
            .filter(|f| f.check_id == check)
            .map(|f| f.resource.id.to_string())
            .collect();
        ids.sort();
        ids
    };
    expect_shadowed.sort();
    expect_duplicate.sort();
    assert_eq!(found("waf_rule_shadowed"), expect_shadowed);
    assert_eq!(found("waf_duplicate_rule"), expect_duplicate);
    assert_eq!(found("waf_rule_log_only").len(), 100);
    assert!(found("waf_rules_over_plan_limit").is_empty());
    assert_eq!(z.summary.custom_rules, 1000);
}
