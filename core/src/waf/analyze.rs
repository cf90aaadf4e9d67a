//! The WAF analysis: lint every rule of a zone's custom, rate limiting and managed entrypoints,
//! judge the managed-ruleset deployments and rate limiting, and score the zone.
//!
//! Every expression is parsed once. Shadowing compares a rule only with the earlier terminating
//! rules that test one of its keys (see [`Condition::anchor_keys`]), so a zone with a thousand
//! rules is analysed in milliseconds.
//!
//! # Score
//!
//! 80 points for protection layers in force, 20 for hygiene:
//!
//! | part | points | full marks when |
//! |---|---:|---|
//! | managed rules | 30 | the Cloudflare Managed Ruleset is deployed, enabled, not logging, not skipped by a broad skip rule (Free Managed Ruleset only: 70 %; skipped: 50 %; log or disabled by override: 25 %) |
//! | OWASP | 15 | the OWASP Core Ruleset is deployed and blocks at threshold 40 or lower (threshold 60: 60 %; anomaly rule logging or off: 25 %; skipped: 50 %) |
//! | custom rules | 15 | at least one enabled block/challenge custom rule that can match |
//! | rate limiting | 20 | a sane rate limiting rule covers login or API paths (not sane: 60 %; rate limits elsewhere only: 50 %; phase skipped by a broad skip rule: half) |
//! | hygiene | 20 | no rule-level findings; each costs critical 10, high 5, medium 3, low 1, info 0 |

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::subsumption::{Condition, Verdict};
use super::{
    finding_order, is_terminating, managed_ruleset_name, rule_label, ManagedDeployment, ScorePart,
    SkipTargets, WafAnalysis, ZoneAnalysis, ZoneSummary, CLOUDFLARE_MANAGED, FORMAT, FREE_MANAGED,
    OWASP_ANOMALY_RULE, OWASP_CORE,
};
use crate::invariants::{Finding, Remediation, Resource, Severity, Status, Text};
use crate::rules::{parse_filter, CmpOp, Expr, Filter, Rhs, RulesError};
use crate::snapshot::{Phase, Rule, RuleAction, Ruleset, Snapshot, ZoneSnapshot};

/// One WAF check: its id, title, default severity, remediation and compliance references.
#[derive(Debug)]
pub struct WafCheck {
    /// Stable id, prefixed `waf_`.
    pub id: &'static str,
    /// The desired state, in one line.
    pub title: &'static str,
    /// Default severity (a finding may carry another where the message says why).
    pub severity: Severity,
    /// True for checks about a missing or weakened protection layer (scored as coverage), false
    /// for rule-level lint (scored as hygiene).
    pub layer: bool,
    /// How to fix it, in words.
    pub remediation: &'static str,
    /// Compliance references (`FRAMEWORK:requirement`), all present in [`crate::compliance`].
    pub compliance: &'static [&'static str],
}

const WAF_REFS: &[&str] = &[
    "PCI-DSS-4.0.1:6.4.2",
    "NIST-800-53r5:SC-7",
    "NIST-800-53r5:SI-4",
];
const CONFIG_REFS: &[&str] = &["NIST-800-53r5:CM-6", "PCI-DSS-4.0.1:6.4.2"];
const RATE_REFS: &[&str] = &[
    "NIST-800-53r5:SC-5",
    "NIST-800-53r5:SC-7",
    "PCI-DSS-4.0.1:6.4.2",
];

/// Every WAF check, in report order.
pub const CHECKS: &[WafCheck] = &[
    WafCheck {
        id: "waf_rulesets_unreadable",
        title: "The zone's rulesets can be read",
        severity: Severity::Info,
        layer: false,
        remediation: "Give the token Zone WAF Read (and Firewall Services Read) and take the snapshot again.",
        compliance: &[],
    },
    WafCheck {
        id: "waf_expression_invalid",
        title: "Every rule expression is valid",
        severity: Severity::High,
        layer: false,
        remediation: "Fix the expression where the caret points; `cfcp waf validate EXPR` checks it before you deploy.",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_deprecated_field",
        title: "Rules use no deprecated fields",
        severity: Severity::Medium,
        layer: false,
        remediation: "Replace the deprecated field with its successor (cf.threat_score → cf.waf.score or cf.bot_management.score; ip.geoip.* → ip.src.*).",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_condition_never_matches",
        title: "Every rule's condition can match",
        severity: Severity::Medium,
        layer: false,
        remediation: "Rewrite the condition: a field cannot equal two different values at once (use `in {...}` or `or`).",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_condition_always_true",
        title: "No custom rule matches every request by accident",
        severity: Severity::Medium,
        layer: false,
        remediation: "Narrow the condition (`x ne a or x ne b` is always true; did you mean `and`, or `not x in {a b}`?).",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_duplicate_rule",
        title: "No rule repeats an earlier one",
        severity: Severity::Low,
        layer: false,
        remediation: "Delete the later copy; it never acts differently from the first.",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_rule_shadowed",
        title: "No rule is made unreachable by an earlier terminating rule",
        severity: Severity::Medium,
        layer: false,
        remediation: "Reorder the rules (specific before general) or merge them; as written the later rule never acts.",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_skip_too_broad",
        title: "Skip rules are scoped to something a client cannot forge",
        severity: Severity::High,
        layer: false,
        remediation: "Scope the skip to the partner's IP list (`ip.src in $partner_ips`), mTLS (`cf.tls_client_auth.cert_verified`) or a verified bot category, plus the paths it needs, and skip only the rules that false-positive.",
        compliance: WAF_REFS,
    },
    WafCheck {
        id: "waf_rule_disabled",
        title: "Security rules are not left disabled",
        severity: Severity::Low,
        layer: false,
        remediation: "Enable the rule, or delete it if it is no longer wanted; a disabled rule protects nothing and suggests an unfinished incident.",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_rule_log_only",
        title: "Rules act rather than only log",
        severity: Severity::Info,
        layer: false,
        remediation: "Once the rule has been watched long enough, change its action to block or managed_challenge.",
        compliance: &["NIST-800-53r5:SI-4"],
    },
    WafCheck {
        id: "waf_regex_costly",
        title: "Regular expressions are cheap to evaluate",
        severity: Severity::Low,
        layer: false,
        remediation: "Avoid nested quantifiers such as `(a+)+` and very long alternations; prefer `in {...}`, `starts_with()` or `wildcard`.",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_regex_not_on_plan",
        title: "Rules use only operators the zone's plan allows",
        severity: Severity::Medium,
        layer: false,
        remediation: "The `matches` operator needs a Business or Enterprise plan: rewrite with `wildcard`, `starts_with()`, `ends_with()`, `contains` or `in {...}`, or upgrade the plan.",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_rules_over_plan_limit",
        title: "The custom rules fit the plan's quota",
        severity: Severity::Medium,
        layer: false,
        remediation: "Merge rules (sets and lists instead of one rule per value) or upgrade the plan; Cloudflare refuses rules beyond the quota (Free 5, Pro 20, Business 100, Enterprise 1,000).",
        compliance: CONFIG_REFS,
    },
    WafCheck {
        id: "waf_managed_not_deployed",
        title: "The Cloudflare Managed Ruleset is deployed",
        severity: Severity::High,
        layer: true,
        remediation: "Deploy the Cloudflare Managed Ruleset (Pro plan and above) with an execute rule in http_request_firewall_managed; PUT on the entrypoint replaces its rules, so include the existing ones.",
        compliance: WAF_REFS,
    },
    WafCheck {
        id: "waf_owasp_not_deployed",
        title: "The Cloudflare OWASP Core Ruleset is deployed",
        severity: Severity::Medium,
        layer: true,
        remediation: "Deploy the Cloudflare OWASP Core Ruleset (Pro plan and above) with score threshold 40 (Medium) and the block action; tune with paranoia level and exceptions.",
        compliance: WAF_REFS,
    },
    WafCheck {
        id: "waf_managed_log_only",
        title: "Managed rulesets are not overridden to log only",
        severity: Severity::High,
        layer: true,
        remediation: "Remove the ruleset-wide `log` override once false positives are handled with targeted exceptions (narrow skip rules or per-rule overrides).",
        compliance: WAF_REFS,
    },
    WafCheck {
        id: "waf_managed_disabled_by_override",
        title: "Managed rulesets are not switched off by an override",
        severity: Severity::High,
        layer: true,
        remediation: "Remove `overrides.enabled: false` from the execute rule; disable only the individual rules that misfire.",
        compliance: WAF_REFS,
    },
    WafCheck {
        id: "waf_managed_skipped",
        title: "Managed rulesets are not bypassed by a broad skip rule",
        severity: Severity::High,
        layer: true,
        remediation: "Narrow the skip rule that bypasses the managed rules (trusted IP list, mTLS, specific paths) or skip only the managed rules that false-positive.",
        compliance: WAF_REFS,
    },
    WafCheck {
        id: "waf_owasp_threshold",
        title: "The OWASP Core Ruleset blocks at Medium sensitivity or higher",
        severity: Severity::Medium,
        layer: true,
        remediation: "Override rule 6179ae15870a4bb7b2d480d4843b323c with action block (or managed_challenge) and score_threshold 40 (Medium) or 25 (High).",
        compliance: WAF_REFS,
    },
    WafCheck {
        id: "waf_owasp_paranoia",
        title: "The OWASP Core Ruleset runs at a useful paranoia level",
        severity: Severity::Info,
        layer: true,
        remediation: "Enable at least paranoia level 1 and consider PL2 (disable only the paranoia-level-3 and paranoia-level-4 categories).",
        compliance: WAF_REFS,
    },
    WafCheck {
        id: "waf_ratelimit_missing",
        title: "Login and API paths are rate limited",
        severity: Severity::Medium,
        layer: true,
        remediation: "Add a rate limiting rule for the login and API paths (characteristics cf.colo.id and ip.src, period 60 s, a per-IP budget, mitigation timeout 600 s).",
        compliance: RATE_REFS,
    },
    WafCheck {
        id: "waf_ratelimit_misconfigured",
        title: "Rate limiting rules are well formed",
        severity: Severity::Medium,
        layer: false,
        remediation: "Use a period Cloudflare supports (10, 60, 120, 300, 600 or 3600 s), include cf.colo.id in the characteristics, set requests_per_period above 0 and a mitigation_timeout for block.",
        compliance: RATE_REFS,
    },
];

/// The check with this id.
pub fn check(id: &str) -> Option<&'static WafCheck> {
    CHECKS.iter().find(|c| c.id == id)
}

/// The rules of a ruleset whose expression Cloudflare would reject, with the error (a missing
/// expression is reported as an error at offset 0).
///
/// ```
/// let ruleset: cfcp::snapshot::Ruleset = serde_json::from_value(serde_json::json!({
///     "rules": [{"id": "a", "expression": "ssl"}, {"id": "b", "expression": "http.host contans \"x\""}]
/// })).unwrap();
/// let errors = cfcp::waf::expression_errors(&ruleset);
/// assert_eq!(errors.len(), 1);
/// assert_eq!(errors[0].0.id.as_deref(), Some("b"));
/// ```
pub fn expression_errors(ruleset: &Ruleset) -> Vec<(&Rule, RulesError)> {
    ruleset
        .rules
        .iter()
        .filter_map(|rule| match parse_rule(rule) {
            Err(e) => Some((rule, e)),
            Ok(_) => None,
        })
        .collect()
}

fn parse_rule(rule: &Rule) -> Result<Filter, RulesError> {
    match rule.expression.as_deref() {
        Some(text) => parse_filter(text),
        None => Err(RulesError {
            message: "the rule has no expression".to_owned(),
            offset: 0,
            end: 0,
            help: None,
        }),
    }
}

/// Analyses every zone of the snapshot, or only `zone` (by name, case-insensitive).
pub fn analyze(snapshot: &Snapshot, zone: Option<&str>) -> WafAnalysis {
    WafAnalysis {
        format: FORMAT.to_owned(),
        zones: snapshot
            .zones
            .iter()
            .filter(|z| zone.map_or(true, |n| z.zone.name.eq_ignore_ascii_case(n)))
            .map(|z| analyze_zone(snapshot, z))
            .collect(),
    }
}

// ---- plan ----------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Free,
    Pro,
    Business,
    Enterprise,
}

impl Plan {
    fn of(name: Option<&str>) -> Option<Plan> {
        let name = name?.to_ascii_lowercase();
        if name.contains("enterprise") {
            Some(Plan::Enterprise)
        } else if name.contains("business") {
            Some(Plan::Business)
        } else if name.contains("pro") {
            Some(Plan::Pro)
        } else if name.contains("free") {
            Some(Plan::Free)
        } else {
            None
        }
    }

    /// Custom rules per zone (Cloudflare's WAF custom rules availability table).
    fn custom_rule_limit(self) -> usize {
        match self {
            Plan::Free => 5,
            Plan::Pro => 20,
            Plan::Business => 100,
            Plan::Enterprise => 1000,
        }
    }

    fn allows_regex(self) -> bool {
        matches!(self, Plan::Business | Plan::Enterprise)
    }
}

// ---- per-zone state ------------------------------------------------------------------------------

struct Parsed<'a> {
    ruleset: &'a Ruleset,
    rule: &'a Rule,
    position: usize,
    filter: Result<Filter, RulesError>,
    cond: Option<Condition>,
}

impl Parsed<'_> {
    fn enabled(&self) -> bool {
        self.rule.is_enabled()
    }

    fn action(&self) -> Option<&RuleAction> {
        self.rule.action.get()
    }

    fn action_name(&self) -> &str {
        self.action().map_or("(none)", RuleAction::as_str)
    }

    fn text(&self) -> &str {
        self.rule.expression.as_deref().unwrap_or("")
    }
}

fn parse_ruleset(ruleset: Option<&Ruleset>) -> Vec<Parsed<'_>> {
    let Some(ruleset) = ruleset else {
        return Vec::new();
    };
    ruleset
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let filter = parse_rule(rule);
            let cond = filter.as_ref().ok().map(|f| Condition::of(f.expr()));
            Parsed {
                ruleset,
                rule,
                position: i + 1,
                filter,
                cond,
            }
        })
        .collect()
}

struct Out<'z> {
    zone: &'z ZoneSnapshot,
    findings: Vec<Finding>,
}

impl Out<'_> {
    fn zone_resource(&self) -> Resource {
        Resource {
            kind: "zone".into(),
            id: self.zone.zone.id.clone().into(),
            name: self.zone.zone.name.clone().into(),
            zone: Some(self.zone.zone.name.clone().into()),
        }
    }

    fn rule_resource(&self, p: &Parsed<'_>) -> Resource {
        let phase = p
            .ruleset
            .phase
            .get()
            .map(|ph| ph.to_string())
            .unwrap_or_default();
        Resource {
            kind: "rule".into(),
            id: p
                .rule
                .id
                .get()
                .cloned()
                .unwrap_or_else(|| {
                    format!("{}#{}", p.ruleset.id.as_deref().unwrap_or(""), p.position)
                })
                .into(),
            name: p
                .rule
                .description
                .get()
                .filter(|d| !d.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("rule {} of {phase}", p.position))
                .into(),
            zone: Some(self.zone.zone.name.clone().into()),
        }
    }

    /// `PATCH` of one rule, with the body given.
    fn patch(&self, p: &Parsed<'_>, body: &Value) -> String {
        format!(
            "PATCH /zones/{}/rulesets/{}/rules/{} {}",
            self.zone.zone.id,
            p.ruleset.id.as_deref().unwrap_or("<ruleset id>"),
            p.rule.id.as_deref().unwrap_or("<rule id>"),
            body
        )
    }

    /// The rule's current body with some members replaced, for a `PATCH`.
    fn patched(&self, p: &Parsed<'_>, changes: &[(&str, Value)]) -> String {
        let mut body = serde_json::json!({
            "action": p.action_name(),
            "expression": p.text(),
            "description": p.rule.description.as_deref().unwrap_or(""),
            "enabled": p.enabled(),
        });
        if let Some(params) = p.rule.action_parameters.get() {
            body["action_parameters"] = params.clone();
        }
        if let Some(rl) = p.rule.ratelimit.get() {
            body["ratelimit"] = rl.clone();
        }
        for (key, value) in changes {
            body[*key] = value.clone();
        }
        self.patch(p, &body)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: &'static str,
        severity: Option<Severity>,
        status: Status,
        resource: Resource,
        message: String,
        api: String,
        terraform: String,
    ) {
        let Some(check) = check(id) else {
            return;
        };
        self.findings.push(Finding {
            check_id: Text::Borrowed(check.id),
            title: Text::Borrowed(check.title),
            severity: severity.unwrap_or(check.severity),
            status,
            resource,
            message,
            remediation: Remediation {
                text: Text::Borrowed(check.remediation),
                terraform: terraform.into(),
                api: api.into(),
            },
            compliance: check
                .compliance
                .iter()
                .map(|c| Text::Borrowed(*c))
                .collect(),
        });
    }

    fn fail(&mut self, id: &'static str, resource: Resource, message: String, api: String) {
        self.push(
            id,
            None,
            Status::Fail,
            resource,
            message,
            api,
            String::new(),
        );
    }
}

fn rulesets_gap<'a>(snapshot: &'a Snapshot, zone: &ZoneSnapshot) -> Option<&'a str> {
    snapshot
        .gaps
        .iter()
        .find(|g| {
            g.section == "rulesets"
                && g.zone
                    .as_deref()
                    .is_some_and(|z| z.eq_ignore_ascii_case(&zone.zone.name))
        })
        .map(|g| g.reason.as_str())
}

fn analyze_zone(snapshot: &Snapshot, zone: &ZoneSnapshot) -> ZoneAnalysis {
    let plan_name = zone.zone.plan_name().map(str::to_owned);
    let plan = Plan::of(plan_name.as_deref());
    let mut out = Out {
        zone,
        findings: Vec::new(),
    };
    let mut summary = ZoneSummary {
        custom_rule_limit: plan.map(Plan::custom_rule_limit),
        rulesets_readable: true,
        ..ZoneSummary::default()
    };

    if let Some(reason) = rulesets_gap(snapshot, zone) {
        let resource = out.zone_resource();
        out.push(
            "waf_rulesets_unreadable",
            None,
            Status::Unknown,
            resource,
            format!(
                "cannot analyse the WAF: rulesets of {} could not be read ({reason})",
                zone.zone.name
            ),
            String::new(),
            String::new(),
        );
        summary.rulesets_readable = false;
        summary.findings.add(Severity::Info);
        return ZoneAnalysis {
            zone: zone.zone.name.clone(),
            zone_id: zone.zone.id.clone(),
            plan: plan_name,
            score: 0,
            summary,
            findings: out.findings,
        };
    }

    let custom = parse_ruleset(zone.ruleset(&Phase::HttpRequestFirewallCustom));
    let ratelimit = parse_ruleset(zone.ruleset(&Phase::HttpRatelimit));
    let managed = parse_ruleset(zone.ruleset(&Phase::HttpRequestFirewallManaged));
    summary.custom_rules = custom.len();
    summary.custom_rules_enabled = custom.iter().filter(|p| p.enabled()).count();
    summary.rate_limit_rules = ratelimit.len();

    for (list, phase) in [
        (&custom, Phase::HttpRequestFirewallCustom),
        (&ratelimit, Phase::HttpRatelimit),
        (&managed, Phase::HttpRequestFirewallManaged),
    ] {
        lint(&mut out, list, &phase, plan);
    }
    let custom_dups = duplicates(&mut out, &custom);
    duplicates(&mut out, &ratelimit);
    duplicates(&mut out, &managed);
    shadowing(&mut out, &custom, &custom_dups);
    plan_limit(&mut out, &custom, plan);

    let broad_skips = skip_rules(&mut out, &custom, &managed);
    let (managed_part, owasp_part) =
        managed_rules(&mut out, &managed, &broad_skips, plan, &mut summary);
    let rate_part = rate_limits(&mut out, &ratelimit, &broad_skips, &mut summary);
    let custom_part = custom_layer(&custom);

    let rule_level: f64 = out
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && check(&f.check_id).is_some_and(|c| !c.layer))
        .map(|f| match f.severity {
            Severity::Critical => 10.0,
            Severity::High => 5.0,
            Severity::Medium => 3.0,
            Severity::Low => 1.0,
            Severity::Info => 0.0,
        })
        .sum::<f64>()
        + 0.0; // an empty f64 sum is -0.0
    let hygiene = ScorePart {
        name: "hygiene".to_owned(),
        points: (20.0 - rule_level).max(0.0),
        max: 20.0,
        note: format!("20 minus {rule_level} for rule-level findings"),
    };
    summary.score_parts = vec![managed_part, owasp_part, custom_part, rate_part, hygiene];
    let total: f64 = summary.score_parts.iter().map(|p| p.points).sum();
    let score = total.round().clamp(0.0, 100.0) as u8;

    out.findings.sort_by(finding_order);
    for f in &out.findings {
        summary.findings.add(f.severity);
    }
    ZoneAnalysis {
        zone: zone.zone.name.clone(),
        zone_id: zone.zone.id.clone(),
        plan: plan_name,
        score,
        summary,
        findings: out.findings,
    }
}

// ---- rule lint -----------------------------------------------------------------------------------

fn lint(out: &mut Out<'_>, list: &[Parsed<'_>], phase: &Phase, plan: Option<Plan>) {
    for p in list {
        let resource = out.rule_resource(p);
        let label = rule_label(p.rule);
        let filter = match &p.filter {
            Ok(filter) => filter,
            Err(err) => {
                let message = if p.rule.expression.get().is_none() {
                    format!("{label} in {phase} has no expression")
                } else {
                    format!(
                        "{label} in {phase}: Cloudflare would reject the expression: {}\n{}",
                        err.full_message(),
                        err.render(p.text())
                    )
                };
                let api = out.patched(p, &[("expression", Value::from("<fixed expression>"))]);
                out.fail("waf_expression_invalid", resource, message, api);
                continue;
            }
        };

        let deprecated = filter.deprecated_fields();
        if !deprecated.is_empty() {
            let list: Vec<String> = deprecated
                .iter()
                .map(|(field, replacement)| format!("{field} (use {replacement})"))
                .collect();
            let mut message = format!(
                "{label} in {phase} reads deprecated field(s): {}",
                list.join("; ")
            );
            if deprecated.iter().any(|(f, _)| *f == "cf.threat_score")
                && !p.text().contains("cf.threat_score eq 0")
            {
                message.push_str("; cf.threat_score is always 0 today, so a condition on a positive threat score never matches");
            }
            let api = out.patched(
                p,
                &[(
                    "expression",
                    Value::from(replace_deprecated(p.text(), &deprecated)),
                )],
            );
            out.fail("waf_deprecated_field", resource.clone(), message, api);
        }

        if let Some(cond) = &p.cond {
            let is_execute = p.action() == Some(&RuleAction::Execute);
            if p.enabled() && cond.never_matches() {
                let api = out.patched(
                    p,
                    &[("expression", Value::from("<a condition that can match>"))],
                );
                out.fail(
                    "waf_condition_never_matches",
                    resource.clone(),
                    format!(
                        "{label} in {phase} can never match: `{}` is contradictory, so its {} never happens",
                        filter,
                        p.action_name()
                    ),
                    api,
                );
            } else if p.enabled()
                && *phase == Phase::HttpRequestFirewallCustom
                && !is_execute
                && p.action() != Some(&RuleAction::Skip)
                && cond.always_matches()
            {
                let severity = if is_terminating(p.action()) {
                    Severity::High
                } else {
                    Severity::Low
                };
                let api = out.patched(p, &[("expression", Value::from("<a narrower condition>"))]);
                out.push(
                    "waf_condition_always_true",
                    Some(severity),
                    Status::Fail,
                    resource.clone(),
                    format!(
                        "{label} in {phase} matches every request (`{filter}`): its action {} applies to all traffic",
                        p.action_name()
                    ),
                    api,
                    String::new(),
                );
            }
        }

        if !p.enabled() {
            let protective = is_terminating(p.action())
                || matches!(p.action(), Some(RuleAction::Execute))
                || *phase == Phase::HttpRatelimit;
            let severity = if *phase == Phase::HttpRequestFirewallManaged
                && p.action() == Some(&RuleAction::Execute)
            {
                Severity::High
            } else if protective {
                Severity::Low
            } else {
                Severity::Info
            };
            let api = out.patched(p, &[("enabled", Value::Bool(true))]);
            out.push(
                "waf_rule_disabled",
                Some(severity),
                Status::Fail,
                resource.clone(),
                format!(
                    "{label} in {phase} is disabled (action {})",
                    p.action_name()
                ),
                api,
                String::new(),
            );
        } else if p.action() == Some(&RuleAction::Log) {
            let (severity, mut message) = if *phase == Phase::HttpRatelimit {
                (
                    Severity::Low,
                    format!("{label} in {phase} only logs: the rate limit is measured but never enforced"),
                )
            } else {
                (
                    Severity::Info,
                    format!("{label} in {phase} only logs matching requests; it blocks nothing"),
                )
            };
            if *phase == Phase::HttpRequestFirewallCustom
                && plan.is_some_and(|pl| pl != Plan::Enterprise)
            {
                message.push_str(
                    " (Cloudflare offers the Log action in custom rules on Enterprise plans only)",
                );
            }
            let api = out.patched(p, &[("action", Value::from("managed_challenge"))]);
            out.push(
                "waf_rule_log_only",
                Some(severity),
                Status::Fail,
                resource.clone(),
                message,
                api,
                String::new(),
            );
        }

        if filter.uses_regex() {
            if let Some(plan) = plan.filter(|pl| !pl.allows_regex()) {
                let api = out.patched(
                    p,
                    &[(
                        "expression",
                        Value::from("<the expression without matches>"),
                    )],
                );
                out.fail(
                    "waf_regex_not_on_plan",
                    resource.clone(),
                    format!(
                        "{label} in {phase} uses the `matches` operator, which Cloudflare allows only on Business and Enterprise plans (this zone: {plan:?})"
                    ),
                    api,
                );
            }
            for pattern in regexes(filter.expr()) {
                if let Some(why) = regex_cost(pattern) {
                    out.fail(
                        "waf_regex_costly",
                        resource.clone(),
                        format!("{label} in {phase}: the regular expression {pattern:?} is costly: {why}"),
                        String::new(),
                    );
                }
            }
        }
    }
}

fn replace_deprecated(text: &str, deprecated: &[(&str, &'static str)]) -> String {
    let mut text = text.to_owned();
    for (field, replacement) in deprecated {
        // The replacement text may be prose ("cf.waf.score (WAF attack score) or ..."): keep its
        // first word, which is the field.
        let new = replacement.split_whitespace().next().unwrap_or(replacement);
        text = text.replace(field, new);
    }
    text
}

fn regexes(expr: &Expr) -> Vec<&str> {
    let mut out = Vec::new();
    expr.walk(&mut |e| {
        if let Expr::Compare(c) = e {
            if let (CmpOp::Matches, Rhs::Regex(pattern)) = (c.op, &c.rhs.value) {
                out.push(pattern.as_str());
            }
        }
    });
    out
}

/// Why a regex is costly: a quantified group that itself contains an unbounded quantifier
/// (`(a+)+`, `(.*x)*`), or a very long alternation.
pub(crate) fn regex_cost(pattern: &str) -> Option<String> {
    const MAX_ALTERNATIVES: usize = 50;
    let chars: Vec<char> = pattern.chars().collect();
    // One frame per open group: does it contain an unbounded quantifier?
    let mut stack: Vec<bool> = vec![false];
    let mut alternatives = 0usize;
    let mut nested = false;
    let mut i = 0;
    let unbounded_at = |i: usize| -> (bool, usize) {
        match chars.get(i) {
            Some('*') | Some('+') => (true, 1),
            Some('{') => {
                let close = chars[i..].iter().position(|c| *c == '}');
                match close {
                    Some(len) => {
                        let body: String = chars[i + 1..i + len].iter().collect();
                        let unbounded = body.ends_with(',')
                            || body
                                .split_once(',')
                                .and_then(|(_, hi)| hi.trim().parse::<u32>().ok())
                                .is_some_and(|hi| hi >= 100);
                        (unbounded, len + 1)
                    }
                    None => (false, 1),
                }
            }
            _ => (false, 0),
        }
    };
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 2;
                let (unbounded, len) = unbounded_at(i);
                if unbounded {
                    if let Some(top) = stack.last_mut() {
                        *top = true;
                    }
                }
                i += len;
            }
            '[' => {
                // Skip the class: `[]...]` and `[^]...]` start with a literal `]`.
                let mut j = i + 1;
                if chars.get(j) == Some(&'^') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    if chars[j] == '\\' {
                        j += 1;
                    }
                    j += 1;
                }
                i = j + 1;
                let (unbounded, len) = unbounded_at(i);
                if unbounded {
                    if let Some(top) = stack.last_mut() {
                        *top = true;
                    }
                }
                i += len;
            }
            '(' => {
                stack.push(false);
                i += 1;
            }
            ')' => {
                let inner = if stack.len() > 1 {
                    stack.pop().unwrap_or(false)
                } else {
                    false
                };
                i += 1;
                let (unbounded, len) = unbounded_at(i);
                if unbounded && inner {
                    nested = true;
                }
                if let Some(top) = stack.last_mut() {
                    *top |= inner || unbounded;
                }
                i += len;
            }
            '|' => {
                alternatives += 1;
                i += 1;
            }
            _ => {
                i += 1;
                let (unbounded, len) = unbounded_at(i);
                if unbounded {
                    if let Some(top) = stack.last_mut() {
                        *top = true;
                    }
                }
                i += len;
            }
        }
    }
    if nested {
        Some(
            "a repeated group contains an unbounded quantifier (nested quantifiers, as in `(a+)+`)"
                .to_owned(),
        )
    } else if alternatives + 1 > MAX_ALTERNATIVES {
        Some(format!(
            "{} alternatives; a set (`in {{...}}`) or a list is cheaper and clearer",
            alternatives + 1
        ))
    } else {
        None
    }
}

/// Reports later rules identical (action, parameters and expression tree) to an earlier enabled
/// one, and returns their positions in `list`.
fn duplicates(out: &mut Out<'_>, list: &[Parsed<'_>]) -> HashSet<usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut found = HashSet::new();
    for (i, p) in list.iter().enumerate() {
        let Ok(filter) = &p.filter else {
            continue;
        };
        if !p.enabled() {
            continue;
        }
        let key = format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            p.action_name(),
            p.rule
                .action_parameters
                .get()
                .map(Value::to_string)
                .unwrap_or_default(),
            p.rule
                .ratelimit
                .get()
                .map(Value::to_string)
                .unwrap_or_default(),
            filter
        );
        match seen.get(&key) {
            Some(first) => {
                let first = &list[*first];
                let resource = out.rule_resource(p);
                let phase = p
                    .ruleset
                    .phase
                    .get()
                    .map(|ph| ph.to_string())
                    .unwrap_or_default();
                let api = format!(
                    "DELETE /zones/{}/rulesets/{}/rules/{}",
                    out.zone.zone.id,
                    p.ruleset.id.as_deref().unwrap_or("<ruleset id>"),
                    p.rule.id.as_deref().unwrap_or("<rule id>")
                );
                out.fail(
                    "waf_duplicate_rule",
                    resource,
                    format!(
                        "{} in {phase} repeats {} (same action {} and condition `{filter}`)",
                        rule_label(p.rule),
                        rule_label(first.rule),
                        p.action_name()
                    ),
                    api,
                );
                found.insert(i);
            }
            None => {
                seen.insert(key, i);
            }
        }
    }
    found
}

/// A rule that stops the evaluation of later rules of its ruleset when it matches.
fn stops_ruleset(p: &Parsed<'_>) -> bool {
    p.enabled()
        && (is_terminating(p.action())
            || (p.action() == Some(&RuleAction::Skip) && SkipTargets::of(p.rule).current))
}

fn shadowing(out: &mut Out<'_>, list: &[Parsed<'_>], duplicates: &HashSet<usize>) {
    // Earlier stopping rules, indexed by anchor key; always-matching ones apart.
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut always: Vec<usize> = Vec::new();
    let mut candidates: Vec<usize> = Vec::new();
    for (j, later) in list.iter().enumerate() {
        if let Some(cond) = later.cond.as_ref().filter(|_| later.enabled()) {
            if !cond.never_matches() && !duplicates.contains(&j) {
                candidates.clear();
                candidates.extend(always.iter().copied());
                for key in cond.keys() {
                    if let Some(ids) = by_key.get(key) {
                        candidates.extend(ids.iter().copied());
                    }
                }
                candidates.sort_unstable();
                candidates.dedup();
                let coverer = candidates.iter().copied().find(|&i| {
                    list[i]
                        .cond
                        .as_ref()
                        .is_some_and(|c| c.covers(cond) == Verdict::Yes)
                });
                if let Some(i) = coverer {
                    report_shadow(out, &list[i], later);
                }
            }
        }
        if stops_ruleset(later) {
            if let Some(cond) = &later.cond {
                if cond.always_matches() {
                    always.push(j);
                } else {
                    for key in cond.anchor_keys() {
                        by_key.entry(key).or_default().push(j);
                    }
                }
            }
        }
    }
}

fn report_shadow(out: &mut Out<'_>, earlier: &Parsed<'_>, later: &Parsed<'_>) {
    let how = if earlier.action() == Some(&RuleAction::Skip) {
        "skips the rest of the ruleset".to_owned()
    } else if matches!(earlier.action(), Some(RuleAction::Block)) {
        "blocks".to_owned()
    } else {
        format!(
            "issues a {} (a request that passes it is accepted without evaluating later rules)",
            earlier.action_name()
        )
    };
    let resource = out.rule_resource(later);
    let message = format!(
        "{} (rule {}, {}) never acts: the earlier rule {} (rule {}) {how} for every request it matches (`{}` covers `{}`)",
        rule_label(later.rule),
        later.position,
        later.action_name(),
        rule_label(earlier.rule),
        earlier.position,
        earlier.text(),
        later.text()
    );
    out.fail("waf_rule_shadowed", resource, message, String::new());
}

fn plan_limit(out: &mut Out<'_>, custom: &[Parsed<'_>], plan: Option<Plan>) {
    let Some(plan) = plan else {
        return;
    };
    let limit = plan.custom_rule_limit();
    if custom.len() <= limit {
        return;
    }
    let first_over = &custom[limit];
    let resource = out.rule_resource(first_over);
    out.fail(
        "waf_rules_over_plan_limit",
        resource,
        format!(
            "http_request_firewall_custom holds {} rules; the {plan:?} plan allows {limit}. Rule {} ({}) and the {} after it exceed the quota",
            custom.len(),
            limit + 1,
            rule_label(first_over.rule),
            custom.len() - limit - 1
        ),
        String::new(),
    );
}

// ---- skip rules ----------------------------------------------------------------------------------

/// Client-controlled fields: anyone can send any value.
fn is_spoofable(field: &str) -> bool {
    const EXACT: &[&str] = &[
        "http.user_agent",
        "http.referer",
        "http.cookie",
        "http.x_forwarded_for",
        "http.request.accepted_languages",
        "http.request.uri.query",
        "raw.http.request.uri.query",
    ];
    const PREFIXES: &[&str] = &[
        "http.request.headers",
        "http.request.cookies",
        "http.request.body.",
        "http.request.uri.args",
        "raw.http.request.uri.args",
        "raw.http.request.headers",
    ];
    EXACT.contains(&field) || PREFIXES.iter().any(|p| field.starts_with(p))
}

/// Why a condition is too broad to skip security on, if it is.
fn breadth(p: &Parsed<'_>) -> Option<String> {
    let (Ok(filter), Some(cond)) = (&p.filter, &p.cond) else {
        return None;
    };
    if cond.always_matches() {
        return Some("matches every request".to_owned());
    }
    let fields = filter.fields();
    if !fields.is_empty() && fields.iter().all(|f| is_spoofable(f)) {
        let names: Vec<&str> = fields.into_iter().collect();
        return Some(format!(
            "depends only on client-controlled {} (anyone can send it)",
            names.join(", ")
        ));
    }
    if cond.only_negations() {
        return Some(
            "matches every request except the ones it names (only negated conditions)".to_owned(),
        );
    }
    None
}

struct BroadSkip {
    /// `http_request_firewall_custom` or `http_request_firewall_managed`.
    managed_phase: bool,
    /// Position in its list.
    index: usize,
    label: String,
    targets: SkipTargets,
}

fn skip_rules(out: &mut Out<'_>, custom: &[Parsed<'_>], managed: &[Parsed<'_>]) -> Vec<BroadSkip> {
    let mut broad = Vec::new();
    for (list, managed_phase) in [(custom, false), (managed, true)] {
        for (index, p) in list.iter().enumerate() {
            if !p.enabled() || p.action() != Some(&RuleAction::Skip) {
                continue;
            }
            let Some(why) = breadth(p) else {
                continue;
            };
            let targets = SkipTargets::of(p.rule);
            let skips_security = targets
                .phases
                .iter()
                .any(|ph| ph == "http_request_firewall_managed" || ph == "http_ratelimit")
                || !targets.rulesets.is_empty()
                || !targets.rules.is_empty()
                || (managed_phase && targets.current);
            let severity = if skips_security {
                Severity::High
            } else {
                Severity::Medium
            };
            let logging_off = p
                .rule
                .extra
                .get("logging")
                .and_then(|l| l.get("enabled"))
                .and_then(Value::as_bool)
                == Some(false);
            let phase = if managed_phase {
                "http_request_firewall_managed"
            } else {
                "http_request_firewall_custom"
            };
            let resource = out.rule_resource(p);
            let api = out.patched(
                p,
                &[(
                    "expression",
                    Value::from(format!("(ip.src in $trusted_partners) and ({})", p.text())),
                )],
            );
            out.push(
                "waf_skip_too_broad",
                Some(severity),
                Status::Fail,
                resource,
                format!(
                    "{} in {phase} skips {} on a condition that {why}: `{}`{}",
                    rule_label(p.rule),
                    targets.describe(),
                    p.text(),
                    if logging_off {
                        "; logging of the skip is off, so the bypass leaves no trace"
                    } else {
                        ""
                    }
                ),
                api,
                String::new(),
            );
            broad.push(BroadSkip {
                managed_phase,
                index,
                label: rule_label(p.rule),
                targets,
            });
        }
    }
    broad
}

// ---- managed rules -------------------------------------------------------------------------------

fn overrides(rule: &Rule) -> Option<&Value> {
    rule.action_parameters
        .get()
        .and_then(|p| p.get("overrides"))
}

fn execute_target(rule: &Rule) -> Option<&str> {
    rule.action_parameters
        .get()
        .and_then(|p| p.get("id"))
        .and_then(Value::as_str)
}

const TF_MANAGED: &str = "resource \"cloudflare_ruleset\" \"waf_managed\" {\n  zone_id = \"{zone_id}\"\n  name    = \"default\"\n  kind    = \"zone\"\n  phase   = \"http_request_firewall_managed\"\n  rules = [\n    {\n      action            = \"execute\"\n      expression        = \"true\"\n      description       = \"Cloudflare Managed Ruleset\"\n      action_parameters = { id = \"efb7b8c949ac4650a09736fc376e9aee\" }\n    },\n    {\n      action      = \"execute\"\n      expression  = \"true\"\n      description = \"Cloudflare OWASP Core Ruleset\"\n      action_parameters = {\n        id = \"4814384a9e5d4991b9815dcfc25d2f1f\"\n        overrides = {\n          rules = [{ id = \"6179ae15870a4bb7b2d480d4843b323c\", action = \"block\", score_threshold = 40 }]\n        }\n      }\n    },\n  ]\n}\n";

fn managed_rules(
    out: &mut Out<'_>,
    managed: &[Parsed<'_>],
    skips: &[BroadSkip],
    plan: Option<Plan>,
    summary: &mut ZoneSummary,
) -> (ScorePart, ScorePart) {
    let mut best_managed: (f64, String) =
        (0.0, "no Cloudflare Managed Ruleset deployment".to_owned());
    let mut best_owasp: (f64, String) = (0.0, "no OWASP Core Ruleset deployment".to_owned());
    for (index, p) in managed.iter().enumerate() {
        if p.action() != Some(&RuleAction::Execute) {
            continue;
        }
        let Some(target) = execute_target(p.rule) else {
            continue;
        };
        let name = managed_ruleset_name(target).map_or_else(|| target.to_owned(), str::to_owned);
        let ov = overrides(p.rule);
        let mode = match ov {
            Some(o) if o.get("enabled").and_then(Value::as_bool) == Some(false) => {
                "disabled".to_owned()
            }
            Some(o) => o
                .get("action")
                .and_then(Value::as_str)
                .map_or_else(|| "default".to_owned(), str::to_owned),
            None => "default".to_owned(),
        };
        let skipped_by = skips
            .iter()
            .find(|s| {
                let t = &s.targets;
                if s.managed_phase {
                    s.index < index && (t.current || t.rulesets.iter().any(|r| r == target))
                } else {
                    t.phases
                        .iter()
                        .any(|ph| ph == "http_request_firewall_managed")
                        || t.rulesets.iter().any(|r| r == target)
                }
            })
            .map(|s| s.label.clone());
        let label = rule_label(p.rule);
        let resource = out.rule_resource(p);

        if p.enabled() && mode == "log" {
            let api = out.patched(
                p,
                &[("action_parameters", serde_json::json!({"id": target}))],
            );
            out.fail(
                "waf_managed_log_only",
                resource.clone(),
                format!(
                    "{label} deploys the {name} with overrides.action \"log\": every managed rule only logs, attacks reach the origin"
                ),
                api,
            );
        }
        if p.enabled() && mode == "disabled" {
            let api = out.patched(
                p,
                &[("action_parameters", serde_json::json!({"id": target}))],
            );
            out.fail(
                "waf_managed_disabled_by_override",
                resource.clone(),
                format!("{label} deploys the {name} with overrides.enabled false: none of its rules runs"),
                api,
            );
        }
        if let (true, Some(by)) = (p.enabled(), &skipped_by) {
            out.fail(
                "waf_managed_skipped",
                resource.clone(),
                format!("the {name} deployed by {label} is skipped by the broad skip rule {by}"),
                String::new(),
            );
        }

        let mut factor: f64 = if !p.enabled() {
            0.0
        } else if mode == "log" || mode == "disabled" {
            0.25
        } else {
            1.0
        };
        let mut paranoia = None;
        let mut threshold = None;
        let mut notes = vec![format!("{name}: mode {mode}")];
        if target == OWASP_CORE {
            let categories = ov
                .and_then(|o| o.get("categories"))
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let disabled_levels: Vec<u8> = categories
                .iter()
                .filter(|c| c.get("enabled").and_then(Value::as_bool) == Some(false))
                .filter_map(|c| c.get("category").and_then(Value::as_str))
                .filter_map(|c| c.strip_prefix("paranoia-level-"))
                .filter_map(|n| n.parse::<u8>().ok())
                .collect();
            paranoia = disabled_levels.iter().min().map(|n| n.saturating_sub(1));
            let anomaly = ov
                .and_then(|o| o.get("rules"))
                .and_then(Value::as_array)
                .and_then(|rules| {
                    rules
                        .iter()
                        .find(|r| r.get("id").and_then(Value::as_str) == Some(OWASP_ANOMALY_RULE))
                });
            threshold = anomaly
                .and_then(|a| a.get("score_threshold"))
                .and_then(Value::as_i64);
            let anomaly_action = anomaly
                .and_then(|a| a.get("action"))
                .and_then(Value::as_str);
            let anomaly_off = anomaly
                .and_then(|a| a.get("enabled"))
                .and_then(Value::as_bool)
                == Some(false);
            let api_threshold = out.patched(
                p,
                &[(
                    "action_parameters",
                    serde_json::json!({"id": OWASP_CORE, "overrides": {"rules": [{"id": OWASP_ANOMALY_RULE, "action": "block", "score_threshold": 40}]}}),
                )],
            );
            if p.enabled() && mode != "log" && mode != "disabled" {
                if anomaly_action == Some("log") || anomaly_off {
                    out.fail(
                        "waf_owasp_threshold",
                        resource.clone(),
                        format!(
                            "{label}: the OWASP anomaly-score rule ({OWASP_ANOMALY_RULE}) is {}, so the OWASP ruleset never acts",
                            if anomaly_off { "disabled" } else { "set to log" }
                        ),
                        api_threshold.clone(),
                    );
                    factor = factor.min(0.25);
                } else if let Some(t) = threshold.filter(|t| *t >= 60) {
                    out.fail(
                        "waf_owasp_threshold",
                        resource.clone(),
                        format!(
                            "{label}: the OWASP score threshold is {t} (Low sensitivity): only requests matching many rules at once are stopped (Medium is 40, High 25)"
                        ),
                        api_threshold,
                    );
                    factor = factor.min(0.6);
                }
                match paranoia {
                    Some(0) => {
                        out.push(
                            "waf_owasp_paranoia",
                            Some(Severity::Medium),
                            Status::Fail,
                            resource.clone(),
                            format!("{label}: every paranoia level of the OWASP ruleset is disabled (paranoia-level-1 off), so it detects nothing"),
                            String::new(),
                            String::new(),
                        );
                        factor = factor.min(0.25);
                    }
                    Some(1) => out.push(
                        "waf_owasp_paranoia",
                        None,
                        Status::Fail,
                        resource.clone(),
                        format!("{label}: the OWASP ruleset runs at paranoia level 1, the fewest detections (PL2 adds stricter rules)"),
                        String::new(),
                        String::new(),
                    ),
                    _ => {}
                }
            }
            if let Some(pl) = paranoia {
                notes.push(format!("PL{pl}"));
            }
            if let Some(t) = threshold {
                notes.push(format!("threshold {t}"));
            }
        }
        if skipped_by.is_some() {
            factor = factor.min(0.5);
            notes.push("skipped by a broad skip rule".to_owned());
        }
        if target == FREE_MANAGED {
            factor *= 0.7;
        }
        let enforcing = p.enabled() && factor >= 0.99;
        summary.managed.push(ManagedDeployment {
            ruleset: name,
            ruleset_id: target.to_owned(),
            rule_id: p.rule.id.get().cloned().unwrap_or_default(),
            enabled: p.enabled(),
            mode,
            enforcing,
            skipped_by,
            paranoia_level: paranoia,
            score_threshold: threshold,
        });
        let note = notes.join(", ");
        if (target == CLOUDFLARE_MANAGED || target == FREE_MANAGED) && factor > best_managed.0 {
            best_managed = (factor, note);
        } else if target == OWASP_CORE && factor > best_owasp.0 {
            best_owasp = (factor, note);
        }
    }

    let deployed = |id: &str| {
        managed.iter().any(|p| {
            p.enabled()
                && p.action() == Some(&RuleAction::Execute)
                && execute_target(p.rule) == Some(id)
        })
    };
    let tf = TF_MANAGED.replace("{zone_id}", &out.zone.zone.id);
    let on_free = plan == Some(Plan::Free);
    if !deployed(CLOUDFLARE_MANAGED) {
        let free = deployed(FREE_MANAGED);
        let message = format!(
            "no enabled execute rule of the Cloudflare Managed Ruleset ({CLOUDFLARE_MANAGED}) in the zone's http_request_firewall_managed entrypoint{}{}",
            if free { "; only the Free Managed Ruleset runs" } else { "" },
            if on_free { " (the Cloudflare Managed Ruleset needs a Pro plan or above)" } else { "" }
        );
        let api = format!(
            "PUT /zones/{}/rulesets/phases/http_request_firewall_managed/entrypoint {{\"rules\":[{{\"action\":\"execute\",\"expression\":\"true\",\"action_parameters\":{{\"id\":\"{CLOUDFLARE_MANAGED}\"}}}}]}}",
            out.zone.zone.id
        );
        let resource = out.zone_resource();
        out.push(
            "waf_managed_not_deployed",
            Some(if free {
                Severity::Medium
            } else {
                Severity::High
            }),
            Status::Fail,
            resource,
            message,
            api,
            tf.clone(),
        );
    }
    if !deployed(OWASP_CORE) {
        let api = format!(
            "PUT /zones/{}/rulesets/phases/http_request_firewall_managed/entrypoint {{\"rules\":[{{\"action\":\"execute\",\"expression\":\"true\",\"action_parameters\":{{\"id\":\"{OWASP_CORE}\",\"overrides\":{{\"rules\":[{{\"id\":\"{OWASP_ANOMALY_RULE}\",\"action\":\"block\",\"score_threshold\":40}}]}}}}}}]}}",
            out.zone.zone.id
        );
        let resource = out.zone_resource();
        out.push(
            "waf_owasp_not_deployed",
            None,
            Status::Fail,
            resource,
            format!(
                "no enabled execute rule of the Cloudflare OWASP Core Ruleset ({OWASP_CORE}) in http_request_firewall_managed{}",
                if on_free { " (it needs a Pro plan or above)" } else { "" }
            ),
            api,
            tf,
        );
    }
    (
        ScorePart {
            name: "managed rules".to_owned(),
            points: 30.0 * best_managed.0,
            max: 30.0,
            note: best_managed.1,
        },
        ScorePart {
            name: "OWASP".to_owned(),
            points: 15.0 * best_owasp.0,
            max: 15.0,
            note: best_owasp.1,
        },
    )
}

// ---- rate limiting -------------------------------------------------------------------------------

const LOGIN_API_MARKERS: &[&str] = &[
    "/login",
    "/signin",
    "/sign-in",
    "/auth",
    "/api",
    "/wp-login.php",
    "/session",
    "/token",
];
const PERIODS: &[i64] = &[10, 60, 120, 300, 600, 3600];

fn ratelimit_issues(p: &Parsed<'_>) -> Vec<String> {
    let Some(rl) = p.rule.ratelimit.get() else {
        return vec!["no ratelimit parameters".to_owned()];
    };
    let mut issues = Vec::new();
    match rl.get("period").and_then(Value::as_i64) {
        Some(period) if PERIODS.contains(&period) => {}
        Some(period) => issues.push(format!(
            "period {period} s is not one Cloudflare supports (10, 60, 120, 300, 600, 3600)"
        )),
        None => issues.push("no period".to_owned()),
    }
    let characteristics: Vec<&str> = rl
        .get("characteristics")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !characteristics.contains(&"cf.colo.id") {
        issues.push(format!(
            "characteristics [{}] lack cf.colo.id, which Cloudflare requires",
            characteristics.join(", ")
        ));
    }
    let requests = rl.get("requests_per_period").and_then(Value::as_i64);
    let score = rl.get("score_per_period").and_then(Value::as_i64);
    if requests.map_or(true, |r| r <= 0) && score.map_or(true, |s| s <= 0) {
        issues.push(match requests {
            Some(r) => format!("requests_per_period is {r}; it must be above 0"),
            None => "no requests_per_period".to_owned(),
        });
    }
    if p.action() == Some(&RuleAction::Block)
        && rl
            .get("mitigation_timeout")
            .and_then(Value::as_i64)
            .is_none()
    {
        issues.push("no mitigation_timeout for the block action".to_owned());
    }
    issues
}

fn rate_limits(
    out: &mut Out<'_>,
    ratelimit: &[Parsed<'_>],
    skips: &[BroadSkip],
    summary: &mut ZoneSummary,
) -> ScorePart {
    let mut covered_sane = 0usize;
    let mut covered = 0usize;
    let mut mitigating = 0usize;
    for p in ratelimit {
        if !p.enabled() {
            continue;
        }
        let issues = ratelimit_issues(p);
        if !issues.is_empty() {
            let resource = out.rule_resource(p);
            let api = out.patched(
                p,
                &[(
                    "ratelimit",
                    serde_json::json!({"characteristics": ["cf.colo.id", "ip.src"], "period": 60, "requests_per_period": 100, "mitigation_timeout": 600}),
                )],
            );
            out.fail(
                "waf_ratelimit_misconfigured",
                resource,
                format!("{}: {}", rule_label(p.rule), issues.join("; ")),
                api,
            );
        }
        if p.action() == Some(&RuleAction::Log) {
            continue;
        }
        mitigating += 1;
        let text = p.text().to_ascii_lowercase();
        if LOGIN_API_MARKERS.iter().any(|m| text.contains(m)) {
            covered += 1;
            if issues.is_empty() {
                covered_sane += 1;
            }
        }
    }
    summary.rate_limits_login_api = covered;
    if covered == 0 {
        let resource = out.zone_resource();
        let api = format!(
            "PUT /zones/{}/rulesets/phases/http_ratelimit/entrypoint {{\"rules\":[{{\"action\":\"block\",\"expression\":\"(http.request.uri.path in {{\\\"/login\\\" \\\"/api/login\\\"}}) or starts_with(http.request.uri.path, \\\"/api/\\\")\",\"description\":\"Rate limit login and API\",\"ratelimit\":{{\"characteristics\":[\"cf.colo.id\",\"ip.src\"],\"period\":60,\"requests_per_period\":100,\"mitigation_timeout\":600}}}}]}}",
            out.zone.zone.id
        );
        let tf = format!(
            "resource \"cloudflare_ruleset\" \"rate_limit\" {{\n  zone_id = \"{}\"\n  name    = \"default\"\n  kind    = \"zone\"\n  phase   = \"http_ratelimit\"\n  rules = [{{\n    action      = \"block\"\n    expression  = \"(http.request.uri.path in {{\\\"/login\\\" \\\"/api/login\\\"}}) or starts_with(http.request.uri.path, \\\"/api/\\\")\"\n    description = \"Rate limit login and API\"\n    ratelimit = {{\n      characteristics     = [\"cf.colo.id\", \"ip.src\"]\n      period              = 60\n      requests_per_period = 100\n      mitigation_timeout  = 600\n    }}\n  }}]\n}}\n",
            out.zone.zone.id
        );
        out.push(
            "waf_ratelimit_missing",
            None,
            Status::Fail,
            resource,
            if ratelimit.is_empty() {
                "no rate limiting rules: login and API paths are limited only by the origin's capacity".to_owned()
            } else {
                format!(
                    "none of the {} rate limiting rule(s) ({mitigating} enabled and mitigating) covers a login or API path",
                    ratelimit.len()
                )
            },
            api,
            tf,
        );
    }
    let mut factor: f64 = if covered_sane > 0 {
        1.0
    } else if covered > 0 {
        0.6
    } else if mitigating > 0 {
        0.5
    } else {
        0.0
    };
    let skipped = skips
        .iter()
        .any(|s| !s.managed_phase && s.targets.phases.iter().any(|ph| ph == "http_ratelimit"));
    if skipped {
        factor *= 0.5;
    }
    ScorePart {
        name: "rate limiting".to_owned(),
        points: 20.0 * factor,
        max: 20.0,
        note: format!(
            "{covered} on login/API paths ({covered_sane} sane), {mitigating} mitigating in total{}",
            if skipped { "; phase skipped by a broad skip rule" } else { "" }
        ),
    }
}

fn custom_layer(custom: &[Parsed<'_>]) -> ScorePart {
    let active = custom
        .iter()
        .filter(|p| {
            p.enabled()
                && is_terminating(p.action())
                && p.cond.as_ref().is_some_and(|c| !c.never_matches())
        })
        .count();
    ScorePart {
        name: "custom rules".to_owned(),
        points: if active > 0 { 15.0 } else { 0.0 },
        max: 15.0,
        note: format!("{active} enabled block/challenge rule(s) that can match"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Snapshot;
    use serde_json::json;

    /// A snapshot with one zone on `plan` holding the given entrypoints (`(phase, rules)`).
    pub(crate) fn zone_with(plan: &str, rulesets: &[(&str, Value)]) -> Snapshot {
        let rulesets: Vec<Value> = rulesets
            .iter()
            .enumerate()
            .map(|(i, (phase, rules))| json!({"id": format!("rs{i}"), "kind": "zone", "phase": phase, "rules": rules}))
            .collect();
        let value = json!({
            "format": "cfcp.snapshot/v1", "taken_at": "2026-11-01T12:00:00Z",
            "source": {"kind": "file"}, "accounts": [], "gaps": [],
            "zones": [{"zone": {"id": "z1", "name": "t.example", "plan": {"name": plan}}, "rulesets": rulesets}]
        });
        Snapshot::from_json_str(&value.to_string()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn custom(plan: &str, rules: Value) -> ZoneAnalysis {
        let s = zone_with(plan, &[("http_request_firewall_custom", rules)]);
        analyze(&s, None).zones.remove(0)
    }

    fn ids(z: &ZoneAnalysis, check: &str) -> Vec<String> {
        z.findings
            .iter()
            .filter(|f| f.check_id == check)
            .map(|f| f.resource.id.to_string())
            .collect()
    }

    fn message<'a>(z: &'a ZoneAnalysis, check: &str) -> &'a str {
        z.findings
            .iter()
            .find(|f| f.check_id == check)
            .map_or("", |f| f.message.as_str())
    }

    #[test]
    fn every_compliance_reference_names_a_control() {
        for c in CHECKS {
            assert!(c.id.starts_with("waf_"));
            for r in c.compliance {
                assert!(
                    crate::compliance::control_for_reference(r).is_some(),
                    "{}: unknown reference {r}",
                    c.id
                );
            }
        }
        let mut seen = HashSet::new();
        assert!(
            CHECKS.iter().all(|c| seen.insert(c.id)),
            "duplicate check id"
        );
        // No clash with the invariant catalog.
        for c in CHECKS {
            assert!(
                crate::invariants::catalog::get(c.id).is_none(),
                "{} clashes",
                c.id
            );
        }
    }

    #[test]
    fn invalid_expressions_render_a_caret() {
        let z = custom(
            "Enterprise Website",
            json!([
                {"id": "r1", "action": "block", "expression": "http.request.uri.path contans \"/admin\"", "description": "typo"},
                {"id": "r2", "action": "block"}
            ]),
        );
        assert_eq!(ids(&z, "waf_expression_invalid"), vec!["r1", "r2"]);
        let m = message(&z, "waf_expression_invalid");
        assert!(m.contains("did you mean `contains`?"), "{m}");
        assert!(m.contains("\n                      ^^^^^^^"), "{m}");
        assert!(z
            .findings
            .iter()
            .any(|f| f.message.contains("has no expression")));
        let f = &z.findings[0];
        assert_eq!(f.resource.kind, "rule");
        assert_eq!(f.resource.zone.as_deref(), Some("t.example"));
        assert!(f
            .remediation
            .api
            .starts_with("PATCH /zones/z1/rulesets/rs0/rules/"));
    }

    #[test]
    fn contradictions_and_tautologies() {
        let z = custom(
            "Enterprise Website",
            json!([
                {"id": "never", "action": "block", "expression": "http.host eq \"a\" and http.host eq \"b\""},
                {"id": "never2", "action": "block", "expression": "not true"},
                {"id": "always", "action": "block", "expression": "http.host ne \"a\" or http.host ne \"b\""},
                {"id": "always_log", "action": "log", "expression": "ssl or not ssl"},
                {"id": "fine", "action": "block", "expression": "http.host eq \"c\""},
                {"id": "off", "action": "block", "expression": "false", "enabled": false}
            ]),
        );
        assert_eq!(
            ids(&z, "waf_condition_never_matches"),
            vec!["never", "never2"]
        );
        assert_eq!(
            ids(&z, "waf_condition_always_true"),
            vec!["always", "always_log"]
        );
        let sev: Vec<Severity> = z
            .findings
            .iter()
            .filter(|f| f.check_id == "waf_condition_always_true")
            .map(|f| f.severity)
            .collect();
        assert!(sev.contains(&Severity::High) && sev.contains(&Severity::Low));
        // An always-true block shadows everything after it that is not already reported.
        assert_eq!(ids(&z, "waf_rule_shadowed"), vec!["always_log", "fine"]);
    }

    #[test]
    fn execute_true_is_not_a_tautology_finding() {
        let s = zone_with(
            "Pro Website",
            &[(
                "http_request_firewall_managed",
                json!([
                    {"id": "m", "action": "execute", "expression": "true", "action_parameters": {"id": CLOUDFLARE_MANAGED}}
                ]),
            )],
        );
        let z = analyze(&s, None).zones.remove(0);
        assert!(ids(&z, "waf_condition_always_true").is_empty());
        assert!(ids(&z, "waf_managed_not_deployed").is_empty());
        assert_eq!(ids(&z, "waf_owasp_not_deployed"), vec!["z1"]);
        assert!(z.summary.managed[0].enforcing);
    }

    #[test]
    fn duplicates_and_shadowing() {
        let z = custom(
            "Enterprise Website",
            json!([
                {"id": "a", "action": "block", "expression": "ip.src in {10.0.0.0/8}"},
                {"id": "b", "action": "log", "expression": "ip.src in {10.1.0.0/16} and http.request.method eq \"POST\""},
                {"id": "c", "action": "block", "expression": "(ip.src in {10.0.0.0/8})"},
                {"id": "d", "action": "block", "expression": "ip.src in {11.0.0.0/8}"},
                {"id": "e", "action": "managed_challenge", "expression": "starts_with(http.request.uri.path, \"/admin\")"},
                {"id": "f", "action": "block", "expression": "http.request.uri.path in {\"/admin/a\" \"/admin/b\"} or starts_with(http.request.uri.path, \"/admin/x\")"},
                {"id": "g", "action": "block", "expression": "http.request.uri.path in {\"/admin/a\" \"/other\"}"},
                {"id": "h", "action": "skip", "expression": "http.host eq \"x.example\"", "action_parameters": {"ruleset": "current"}},
                {"id": "i", "action": "block", "expression": "http.host eq \"x.example\" and ssl"},
                {"id": "j", "action": "block", "expression": "ip.src in {10.0.0.0/8}", "enabled": false}
            ]),
        );
        assert_eq!(ids(&z, "waf_duplicate_rule"), vec!["c"]);
        assert_eq!(ids(&z, "waf_rule_shadowed"), vec!["b", "f", "i"]);
        let m = z
            .findings
            .iter()
            .find(|f| f.resource.id == "f" && f.check_id == "waf_rule_shadowed")
            .map(|f| f.message.clone())
            .unwrap_or_default();
        assert!(m.contains("issues a managed_challenge"), "{m}");
        assert!(m.contains("(rule 5)"), "{m}");
        let m = z
            .findings
            .iter()
            .find(|f| f.resource.id == "i" && f.check_id == "waf_rule_shadowed")
            .map(|f| f.message.clone())
            .unwrap_or_default();
        assert!(m.contains("skips the rest of the ruleset"), "{m}");
    }

    #[test]
    fn disabled_log_and_deprecated() {
        let z = custom(
            "Pro Website",
            json!([
                {"id": "d", "action": "block", "expression": "ip.geoip.country eq \"KP\"", "enabled": false},
                {"id": "t", "action": "managed_challenge", "expression": "cf.threat_score gt 30"},
                {"id": "l", "action": "log", "expression": "http.host eq \"a\""}
            ]),
        );
        assert_eq!(ids(&z, "waf_rule_disabled"), vec!["d"]);
        assert_eq!(ids(&z, "waf_rule_log_only"), vec!["l"]);
        assert!(message(&z, "waf_rule_log_only").contains("Enterprise plans only"));
        let deprecated: HashSet<String> = ids(&z, "waf_deprecated_field").into_iter().collect();
        assert_eq!(deprecated, HashSet::from(["t".to_owned(), "d".to_owned()]));
        let t = z
            .findings
            .iter()
            .find(|f| f.check_id == "waf_deprecated_field" && f.resource.id == "t")
            .cloned();
        let t = t.unwrap_or_else(|| panic!("no threat score finding"));
        assert!(t.message.contains("always 0"), "{}", t.message);
        assert!(
            t.remediation.api.contains("cf.waf.score gt 30"),
            "{}",
            t.remediation.api
        );
    }

    #[test]
    fn regex_rules_by_plan_and_cost() {
        let rules = json!([
            {"id": "r", "action": "block", "expression": "http.request.uri.path matches \"^/v[0-9]+/users$\""},
            {"id": "n", "action": "block", "expression": "http.request.uri.path matches \"^(a+)+$\""}
        ]);
        let pro = custom("Pro Website", rules.clone());
        assert_eq!(ids(&pro, "waf_regex_not_on_plan"), vec!["r", "n"]);
        let biz = custom("Business Website", rules);
        assert!(ids(&biz, "waf_regex_not_on_plan").is_empty());
        assert_eq!(ids(&biz, "waf_regex_costly"), vec!["n"]);
    }

    #[test]
    fn regex_cost_heuristics() {
        assert!(regex_cost("^(a+)+$").is_some());
        assert!(regex_cost("(.*a){2,}").is_some());
        assert!(regex_cost("((ab)*c)*").is_some());
        assert!(regex_cost("(\\w+\\s?)*$").is_some());
        assert!(regex_cost("^/v[0-9]+/users/[0-9]+$").is_none());
        assert!(regex_cost("(ab)+").is_none());
        assert!(regex_cost("[(a+)]+").is_none());
        assert!(regex_cost("\\(a+\\)+").is_none());
        let alts: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
        assert!(regex_cost(&alts.join("|")).is_some_and(|w| w.contains("60 alternatives")));
        // Odd input never panics.
        for p in [
            "(", ")", "[", "a{", "a{2,", "\\", "((((", "))))+", "[]", "[^]]*",
        ] {
            let _ = regex_cost(p);
        }
    }

    #[test]
    fn plan_quota() {
        let rules: Vec<Value> = (0..7)
            .map(|i| json!({"id": format!("r{i}"), "action": "block", "expression": format!("http.host eq \"h{i}\"")}))
            .collect();
        let z = custom("Free Website", Value::from(rules.clone()));
        assert_eq!(ids(&z, "waf_rules_over_plan_limit"), vec!["r5"]);
        assert!(
            message(&z, "waf_rules_over_plan_limit").contains("7 rules; the Free plan allows 5")
        );
        assert_eq!(z.summary.custom_rule_limit, Some(5));
        let z = custom("Pro Website", Value::from(rules));
        assert!(ids(&z, "waf_rules_over_plan_limit").is_empty());
    }

    #[test]
    fn skip_rules_and_managed_skips() {
        let s = zone_with(
            "Business Website",
            &[
                (
                    "http_request_firewall_custom",
                    json!([
                        {"id": "ua", "action": "skip", "expression": "http.user_agent contains \"Partner\"", "action_parameters": {"phases": ["http_request_firewall_managed"]}},
                        {"id": "ok", "action": "skip", "expression": "ip.src in $partners and starts_with(http.request.uri.path, \"/api/\")", "action_parameters": {"phases": ["http_request_firewall_managed"]}},
                        {"id": "neg", "action": "skip", "expression": "not ip.src in {192.0.2.0/24}", "action_parameters": {"ruleset": "current"}}
                    ]),
                ),
                (
                    "http_request_firewall_managed",
                    json!([
                        {"id": "all", "action": "skip", "expression": "true", "action_parameters": {"rulesets": [OWASP_CORE]}},
                        {"id": "cf", "action": "execute", "expression": "true", "action_parameters": {"id": CLOUDFLARE_MANAGED}},
                        {"id": "ow", "action": "execute", "expression": "true", "action_parameters": {"id": OWASP_CORE}}
                    ]),
                ),
            ],
        );
        let z = analyze(&s, None).zones.remove(0);
        assert_eq!(ids(&z, "waf_skip_too_broad"), vec!["ua", "all", "neg"]);
        let sev = |id: &str| {
            z.findings
                .iter()
                .find(|f| f.resource.id == id && f.check_id == "waf_skip_too_broad")
                .map(|f| f.severity)
        };
        assert_eq!(sev("ua"), Some(Severity::High));
        assert_eq!(sev("neg"), Some(Severity::Medium));
        assert!(message(&z, "waf_skip_too_broad").contains("client-controlled http.user_agent"));
        assert_eq!(ids(&z, "waf_managed_skipped"), vec!["cf", "ow"]);
        assert!(z
            .summary
            .managed
            .iter()
            .all(|m| !m.enforcing && m.skipped_by.is_some()));
    }

    #[test]
    fn owasp_settings() {
        let deploy = |overrides: Value| {
            let s = zone_with(
                "Pro Website",
                &[(
                    "http_request_firewall_managed",
                    json!([
                        {"id": "cf", "action": "execute", "expression": "true", "action_parameters": {"id": CLOUDFLARE_MANAGED}},
                        {"id": "ow", "action": "execute", "expression": "true", "action_parameters": {"id": OWASP_CORE, "overrides": overrides}}
                    ]),
                )],
            );
            analyze(&s, None).zones.remove(0)
        };
        let z = deploy(
            json!({"rules": [{"id": OWASP_ANOMALY_RULE, "score_threshold": 60, "action": "block"}]}),
        );
        assert!(message(&z, "waf_owasp_threshold").contains("threshold is 60 (Low sensitivity)"));
        let z = deploy(json!({"rules": [{"id": OWASP_ANOMALY_RULE, "action": "log"}]}));
        assert!(message(&z, "waf_owasp_threshold").contains("set to log"));
        let z = deploy(
            json!({"categories": [{"category": "paranoia-level-2", "enabled": false}, {"category": "paranoia-level-3", "enabled": false}]}),
        );
        assert_eq!(z.summary.managed[1].paranoia_level, Some(1));
        assert!(message(&z, "waf_owasp_paranoia").contains("paranoia level 1"));
        let z = deploy(json!({"categories": [{"category": "paranoia-level-1", "enabled": false}]}));
        assert_eq!(
            z.findings
                .iter()
                .find(|f| f.check_id == "waf_owasp_paranoia")
                .map(|f| f.severity),
            Some(Severity::Medium)
        );
        let z = deploy(
            json!({"rules": [{"id": OWASP_ANOMALY_RULE, "score_threshold": 25, "action": "block"}], "categories": [{"category": "paranoia-level-4", "enabled": false}]}),
        );
        assert!(
            !z.findings
                .iter()
                .any(|f| f.check_id.starts_with("waf_owasp")
                    || f.check_id.starts_with("waf_managed")),
            "{:?}",
            z.findings
        );
        assert_eq!(z.summary.managed[1].score_threshold, Some(25));
        assert_eq!(z.summary.managed[1].paranoia_level, Some(3));
        let z = deploy(json!({"enabled": false}));
        assert_eq!(ids(&z, "waf_managed_disabled_by_override"), vec!["ow"]);
    }

    #[test]
    fn rate_limit_rules() {
        let s = zone_with(
            "Pro Website",
            &[(
                "http_ratelimit",
                json!([
                    {"id": "bad", "action": "block", "expression": "http.request.uri.path eq \"/api/login\"",
                     "ratelimit": {"characteristics": ["ip.src"], "period": 30, "requests_per_period": 0}},
                    {"id": "log", "action": "log", "expression": "starts_with(http.request.uri.path, \"/api/\")",
                     "ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": 60, "requests_per_period": 10, "mitigation_timeout": 60}}
                ]),
            )],
        );
        let z = analyze(&s, None).zones.remove(0);
        assert_eq!(ids(&z, "waf_ratelimit_misconfigured"), vec!["bad"]);
        let m = message(&z, "waf_ratelimit_misconfigured");
        for part in [
            "period 30 s",
            "lack cf.colo.id",
            "requests_per_period is 0",
            "no mitigation_timeout",
        ] {
            assert!(m.contains(part), "{m}");
        }
        assert_eq!(ids(&z, "waf_rule_log_only"), vec!["log"]);
        assert!(ids(&z, "waf_ratelimit_missing").is_empty());
        assert_eq!(z.summary.rate_limits_login_api, 1);
        let rate = z
            .summary
            .score_parts
            .iter()
            .find(|p| p.name == "rate limiting")
            .map(|p| p.points);
        assert_eq!(rate, Some(12.0));
        let s = zone_with(
            "Pro Website",
            &[(
                "http_ratelimit",
                json!([
                    {"id": "x", "action": "block", "expression": "http.request.uri.path eq \"/search\"",
                     "ratelimit": {"characteristics": ["cf.colo.id"], "period": 60, "requests_per_period": 10, "mitigation_timeout": 60}}
                ]),
            )],
        );
        let z = analyze(&s, None).zones.remove(0);
        assert!(
            message(&z, "waf_ratelimit_missing").contains("none of the 1 rate limiting rule(s)")
        );
    }

    #[test]
    fn unreadable_rulesets_are_unknown() {
        let mut s = zone_with("Pro Website", &[]);
        s.gaps.push(crate::snapshot::Gap {
            zone: Some("t.example".into()),
            account: None,
            section: "rulesets".into(),
            reason: "403 Forbidden".into(),
        });
        let z = analyze(&s, None).zones.remove(0);
        assert_eq!(z.findings.len(), 1);
        assert_eq!(z.findings[0].status, Status::Unknown);
        assert!(z.findings[0].message.contains("403 Forbidden"));
        assert!(!z.summary.rulesets_readable);
        assert_eq!(z.score, 0);
    }

    #[test]
    fn zone_filter() {
        let demo = crate::snapshot::demo();
        assert_eq!(analyze(&demo, Some("ACME-API.IO")).zones.len(), 1);
        assert!(analyze(&demo, Some("nope.example")).zones.is_empty());
        assert_eq!(analyze(&demo, None).zones.len(), demo.zones.len());
    }

    #[test]
    fn expression_errors_helper() {
        let s = zone_with(
            "Pro Website",
            &[(
                "http_request_firewall_custom",
                json!([
                    {"id": "ok", "action": "block", "expression": "ssl"},
                    {"id": "bad", "action": "block", "expression": "ssl and"}
                ]),
            )],
        );
        let rs = &s.zones[0].rulesets[0];
        let errors = expression_errors(rs);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0.id.as_deref(), Some("bad"));
        assert_eq!(errors[0].1.offset, 7);
    }
}
