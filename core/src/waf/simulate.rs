//! What a zone's rules would do with one request: a [`Trace`] through Cloudflare's phases.
//!
//! Phases run in Cloudflare's order for the WAF: `http_request_firewall_custom` →
//! `http_ratelimit` → `http_request_firewall_managed`. Within a phase the entrypoint's rules run
//! in order:
//!
//! * `skip` (non-terminating): `ruleset: "current"` skips the rest of the current ruleset, `phases`
//!   skips later phases, `rulesets` skips the execution of those (managed) rulesets, `rules`
//!   skips individual managed rules, `products` skips legacy products (noted, not modelled);
//! * `execute`: the snapshot holds no managed rule bodies, so the step records that the ruleset
//!   runs (with its overrides: an action override such as `log`, `enabled: false`) and the trace
//!   carries a caveat that one of its rules could still act;
//! * `log` (non-terminating): recorded, evaluation goes on;
//! * `block`, `challenge`, `managed_challenge`, `js_challenge` (terminating): evaluation stops.
//!
//! Rate limiting rules that match are reported as counting the request; their action applies
//! only once the rate is exceeded, and counters are not modelled. Account-level rulesets, which a
//! snapshot does not hold, are not run.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{is_terminating, managed_ruleset_name, rule_label, SkipTargets};
use crate::error::Result;
use crate::rules::{parse_filter, ListItems, Lists, Request};
use crate::snapshot::{Phase, Rule, RuleAction, Ruleset, Snapshot};

/// A rule, as a trace names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// The phase (`http_request_firewall_custom`).
    pub phase: String,
    /// The entrypoint ruleset's id.
    pub ruleset_id: String,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's description.
    pub description: String,
}

/// One rule's part in a [`Trace`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    /// The phase.
    pub phase: String,
    /// The entrypoint ruleset's id.
    pub ruleset_id: String,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's description.
    pub description: String,
    /// The rule's expression as written.
    pub expression: String,
    /// Whether the expression matched the request (false when not evaluated).
    pub matched: bool,
    /// Whether the rule's action took effect (a skip skipped, a log logged, a block blocked, an
    /// execute ran its ruleset).
    pub acted: bool,
    /// The rule's action (`block`, `skip`, ...).
    pub action: String,
    /// What happened and why (`disabled`, `skipped by ...`, `executes ... (rules not in
    /// snapshot)`); empty when there is nothing to add.
    pub note: String,
}

/// The result of [`simulate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The zone.
    pub zone: String,
    /// Every rule of the three phases, in evaluation order, until a terminating action.
    pub steps: Vec<TraceStep>,
    /// `allow` when no terminating rule acted, else its action (`block`, `managed_challenge`).
    pub final_action: String,
    /// The rule whose action ended the evaluation.
    pub terminating_rule: Option<RuleRef>,
    /// Rate limiting rules that would count the request.
    pub rate_limit_counted_by: Vec<RuleRef>,
    /// What the trace cannot decide (a managed ruleset ran whose rules are not in the snapshot).
    pub caveats: Vec<String>,
}

impl Trace {
    /// The steps whose rule matched.
    pub fn matched(&self) -> impl Iterator<Item = &TraceStep> {
        self.steps.iter().filter(|s| s.matched)
    }

    /// The step of a rule, by id.
    pub fn step(&self, rule_id: &str) -> Option<&TraceStep> {
        self.steps.iter().find(|s| s.rule_id == rule_id)
    }
}

/// The account lists of a snapshot as [`Lists`] for evaluating `$name`: IP lists from the items'
/// `ip`, ASN lists from `asn`, hostname lists from `hostname.url_hostname`. Unparseable items
/// are left out.
///
/// ```
/// let lists = cfcp::waf::lists_from_snapshot(&cfcp::snapshot::demo());
/// assert_eq!(lists.get("acme_blocklist").map(|l| l.ips.len()), Some(6));
/// ```
pub fn lists_from_snapshot(snapshot: &Snapshot) -> Lists {
    let mut lists = Lists::default();
    for account in &snapshot.accounts {
        for list in &account.lists {
            let Some(name) = list.list.name.as_deref() else {
                continue;
            };
            let mut items: ListItems = lists.get(name).cloned().unwrap_or_default();
            for item in &list.items {
                if let Some(net) = item.ip.as_deref().and_then(parse_net) {
                    items.ips.push(net);
                }
                if let Some(asn) = item.asn.copied().and_then(|a| i64::try_from(a).ok()) {
                    items.asns.push(asn);
                }
                if let Some(host) = item
                    .extra
                    .get("hostname")
                    .and_then(|h| h.get("url_hostname"))
                    .and_then(Value::as_str)
                {
                    items.hostnames.push(host.to_owned());
                }
            }
            lists.insert(name, items);
        }
    }
    lists
}

fn parse_net(text: &str) -> Option<(std::net::IpAddr, u8)> {
    let (address, len) = match text.trim().split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text.trim(), None),
    };
    let ip: std::net::IpAddr = address.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max)?,
        None => max,
    };
    Some((ip, len))
}

const PHASES: [Phase; 3] = [
    Phase::HttpRequestFirewallCustom,
    Phase::HttpRatelimit,
    Phase::HttpRequestFirewallManaged,
];

#[derive(Default)]
struct Skips {
    /// Phase → the skip rule's label.
    phases: Vec<(String, String)>,
    /// Ruleset id → the skip rule's label.
    rulesets: Vec<(String, String)>,
    /// (ruleset id, rule ids) → the skip rule's label.
    rules: Vec<(String, Vec<String>, String)>,
}

impl Skips {
    fn phase(&self, phase: &str) -> Option<&str> {
        self.phases
            .iter()
            .find(|(p, _)| p == phase)
            .map(|(_, by)| by.as_str())
    }

    fn ruleset(&self, id: &str) -> Option<&str> {
        self.rulesets
            .iter()
            .find(|(r, _)| r == id)
            .map(|(_, by)| by.as_str())
    }
}

/// Runs `request` through the WAF phases of `zone` (by name) and returns the trace.
///
/// Errors when the snapshot has no such zone.
///
/// ```
/// use cfcp::rules::Request;
/// let snapshot = cfcp::snapshot::demo();
/// let lists = cfcp::waf::lists_from_snapshot(&snapshot);
/// let mut request = Request::get("acme-shop.com", "/");
/// request.client_ip = Some("198.18.7.21".parse().unwrap()); // on acme_blocklist
/// let trace = cfcp::waf::simulate(&snapshot, "acme-shop.com", &request, &lists).unwrap();
/// assert_eq!(trace.final_action, "block");
/// assert_eq!(trace.terminating_rule.unwrap().description, "Block IPs on the acme_blocklist");
/// ```
pub fn simulate(
    snapshot: &Snapshot,
    zone: &str,
    request: &Request,
    lists: &Lists,
) -> Result<Trace> {
    let z = snapshot.zone_or_unknown(zone)?;
    let mut trace = Trace {
        zone: z.zone.name.clone(),
        steps: Vec::new(),
        final_action: "allow".to_owned(),
        terminating_rule: None,
        rate_limit_counted_by: Vec::new(),
        caveats: Vec::new(),
    };
    let mut skips = Skips::default();
    for phase in PHASES {
        let Some(ruleset) = z.ruleset(&phase) else {
            continue;
        };
        if run_phase(&phase, ruleset, request, lists, &mut skips, &mut trace) {
            break;
        }
    }
    Ok(trace)
}

fn step(phase: &Phase, ruleset: &Ruleset, rule: &Rule) -> TraceStep {
    TraceStep {
        phase: phase.to_string(),
        ruleset_id: ruleset.id.get().cloned().unwrap_or_default(),
        rule_id: rule.id.get().cloned().unwrap_or_default(),
        description: rule.description.get().cloned().unwrap_or_default(),
        expression: rule.expression.get().cloned().unwrap_or_default(),
        matched: false,
        acted: false,
        action: rule
            .action
            .get()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        note: String::new(),
    }
}

fn rule_ref(step: &TraceStep) -> RuleRef {
    RuleRef {
        phase: step.phase.clone(),
        ruleset_id: step.ruleset_id.clone(),
        rule_id: step.rule_id.clone(),
        description: step.description.clone(),
    }
}

/// Runs one phase; returns true when a terminating action ended the evaluation.
fn run_phase(
    phase: &Phase,
    ruleset: &Ruleset,
    request: &Request,
    lists: &Lists,
    skips: &mut Skips,
    trace: &mut Trace,
) -> bool {
    let phase_skipped_by = skips.phase(phase.as_str()).map(str::to_owned);
    let mut rest_skipped_by: Option<String> = None;
    for rule in &ruleset.rules {
        let mut s = step(phase, ruleset, rule);
        if let Some(by) = &phase_skipped_by {
            s.note = format!("not evaluated: phase {phase} skipped by {by}");
            trace.steps.push(s);
            continue;
        }
        if let Some(by) = &rest_skipped_by {
            s.note = format!("not evaluated: the rest of the ruleset was skipped by {by}");
            trace.steps.push(s);
            continue;
        }
        if !rule.is_enabled() {
            s.note = "disabled".to_owned();
            trace.steps.push(s);
            continue;
        }
        let filter = match rule.expression.as_deref().map(parse_filter) {
            Some(Ok(filter)) => filter,
            Some(Err(err)) => {
                s.note = format!(
                    "not evaluated: the expression does not parse: {}",
                    err.full_message()
                );
                trace.steps.push(s);
                continue;
            }
            None => {
                s.note = "not evaluated: the rule has no expression".to_owned();
                trace.steps.push(s);
                continue;
            }
        };
        s.matched = filter.matches(request, lists);
        if !s.matched {
            trace.steps.push(s);
            continue;
        }
        let action = rule.action.get();
        if *phase == Phase::HttpRatelimit {
            s.note = rate_limit_note(rule);
            trace.rate_limit_counted_by.push(rule_ref(&s));
            trace.steps.push(s);
            continue;
        }
        match action {
            Some(RuleAction::Skip) => {
                let targets = SkipTargets::of(rule);
                let by = rule_label(rule);
                s.acted = true;
                s.note = format!("skips {}", targets.describe());
                if !targets.products.is_empty() {
                    s.note.push_str(" (legacy products are not modelled)");
                }
                if targets.current {
                    rest_skipped_by = Some(by.clone());
                }
                for p in targets.phases {
                    skips.phases.push((p, by.clone()));
                }
                for r in targets.rulesets {
                    skips.rulesets.push((r, by.clone()));
                }
                for (r, ids) in targets.rules {
                    skips.rules.push((r, ids, by.clone()));
                }
            }
            Some(RuleAction::Log) => {
                s.acted = true;
                s.note = "logged; evaluation continues".to_owned();
            }
            Some(RuleAction::Execute) => execute(rule, skips, &mut s, trace),
            a if is_terminating(a) => {
                s.acted = true;
                s.note = "terminating: evaluation stops".to_owned();
                trace.final_action = s.action.clone();
                trace.terminating_rule = Some(rule_ref(&s));
                trace.steps.push(s);
                return true;
            }
            other => {
                s.note = format!(
                    "action {} is not simulated",
                    other.map_or("(none)", RuleAction::as_str)
                );
            }
        }
        trace.steps.push(s);
    }
    false
}

fn execute(rule: &Rule, skips: &Skips, s: &mut TraceStep, trace: &mut Trace) {
    let params = rule.action_parameters.get();
    let target = params
        .and_then(|p| p.get("id"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let name =
        managed_ruleset_name(target).map_or_else(|| format!("ruleset {target}"), |n| n.to_owned());
    if let Some(by) = skips.ruleset(target) {
        s.note = format!("{name} not executed: skipped by {by}");
        return;
    }
    s.acted = true;
    let overrides = params.and_then(|p| p.get("overrides"));
    let disabled = overrides
        .and_then(|o| o.get("enabled"))
        .and_then(Value::as_bool)
        == Some(false);
    let action = overrides
        .and_then(|o| o.get("action"))
        .and_then(Value::as_str);
    let mut note = format!("executes {name} (rules not in snapshot)");
    if disabled {
        note.push_str("; overrides.enabled false: every rule is disabled, nothing runs");
    } else if let Some(action) = action {
        note.push_str(&format!("; every rule's action overridden to {action}"));
    }
    let mut n_overrides = 0;
    for key in ["categories", "rules"] {
        n_overrides += overrides
            .and_then(|o| o.get(key))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
    }
    if n_overrides > 0 {
        note.push_str(&format!("; {n_overrides} category/rule override(s)"));
    }
    for (ruleset, ids, by) in &skips.rules {
        if ruleset == target {
            note.push_str(&format!("; {} of its rules skipped by {by}", ids.len()));
        }
    }
    s.note = note;
    if !disabled {
        trace.caveats.push(match action {
            Some("log") => format!("{name} ran in log mode: its matches are logged, not acted on"),
            Some(a) => format!(
                "{name} ran with every rule's action set to {a}: one of its rules may still {a} this request (managed rules are not in the snapshot)"
            ),
            None => format!(
                "{name} ran: one of its rules may still act on this request (managed rules are not in the snapshot)"
            ),
        });
    }
}

fn rate_limit_note(rule: &Rule) -> String {
    let rl = rule.ratelimit.get();
    let num = |key: &str| {
        rl.and_then(|r| r.get(key))
            .and_then(Value::as_i64)
            .map_or_else(|| "?".to_owned(), |n| n.to_string())
    };
    let characteristics: Vec<&str> = rl
        .and_then(|r| r.get("characteristics"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    format!(
        "counts this request towards {} requests per {} s per {}; once exceeded: {} for {} s (counters are not modelled)",
        num("requests_per_period"),
        num("period"),
        if characteristics.is_empty() {
            "(no characteristics)".to_owned()
        } else {
            characteristics.join(" + ")
        },
        rule.action.get().map_or("(none)", RuleAction::as_str),
        num("mitigation_timeout")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(rulesets: Value, lists: Value) -> Snapshot {
        let value = json!({
            "format": "cfcp.snapshot/v1", "taken_at": "2026-11-01T12:00:00Z",
            "source": {"kind": "file"}, "gaps": [],
            "accounts": [{"account": {"id": "a1"}, "lists": lists}],
            "zones": [{"zone": {"id": "z1", "name": "t.example"}, "rulesets": rulesets}]
        });
        Snapshot::from_json_str(&value.to_string()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn lists_are_built_from_account_lists() {
        let s = snapshot(
            json!([]),
            json!([
                {"list": {"id": "l1", "name": "ips", "kind": "ip"}, "items": [
                    {"ip": "192.0.2.0/24"}, {"ip": "2001:db8::1"}, {"ip": "not-an-ip"}, {"ip": "10.0.0.0/33"}]},
                {"list": {"id": "l2", "name": "asns", "kind": "asn"}, "items": [{"asn": 64500}]},
                {"list": {"id": "l3", "name": "hosts", "kind": "hostname"}, "items": [{"hostname": {"url_hostname": "*.example.com"}}]},
                {"list": {"id": "l4"}, "items": [{"ip": "192.0.2.1"}]}
            ]),
        );
        let lists = lists_from_snapshot(&s);
        let ips = lists.get("ips").map(|l| l.ips.clone()).unwrap_or_default();
        assert_eq!(
            ips,
            vec![
                ("192.0.2.0".parse().unwrap_or_else(|e| panic!("{e}")), 24),
                ("2001:db8::1".parse().unwrap_or_else(|e| panic!("{e}")), 128)
            ]
        );
        assert_eq!(lists.get("asns").map(|l| l.asns.clone()), Some(vec![64500]));
        assert_eq!(
            lists.get("hosts").map(|l| l.hostnames.clone()),
            Some(vec!["*.example.com".to_owned()])
        );
    }

    #[test]
    fn unknown_zone_is_an_error() {
        let s = snapshot(json!([]), json!([]));
        let err = simulate(&s, "nope.example", &Request::default(), &Lists::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("\"nope.example\"") && err.contains("t.example"),
            "{err}"
        );
    }

    #[test]
    fn bad_expressions_and_unknown_actions_do_not_stop_the_trace() {
        let s = snapshot(
            json!([{"id": "rs", "phase": "http_request_firewall_custom", "rules": [
                {"id": "bad", "action": "block", "expression": "http.host eq"},
                {"id": "none", "action": "block"},
                {"id": "odd", "action": "frobnicate", "expression": "true"},
                {"id": "blk", "action": "block", "expression": "true"}
            ]}]),
            json!([]),
        );
        let t = simulate(&s, "t.example", &Request::default(), &Lists::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let bad = t.step("bad").cloned().unwrap_or_else(|| panic!("no step"));
        assert!(
            !bad.matched && bad.note.contains("does not parse"),
            "{bad:?}"
        );
        assert!(t
            .step("none")
            .is_some_and(|s| s.note.contains("no expression")));
        assert!(t
            .step("odd")
            .is_some_and(|s| s.matched && !s.acted && s.note.contains("not simulated")));
        assert_eq!(t.final_action, "block");
    }
}
