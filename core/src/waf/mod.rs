//! WAF intelligence, pure over snapshots: lint and score a zone's WAF configuration
//! ([`analyze`]), and trace what the zone's rules would do with one request ([`simulate`]).
//!
//! * [`analyze`] reads the phase entrypoint rulesets of each zone (custom rules, rate limiting
//!   rules, managed rules), parses every expression once with [`crate::rules`], and reports
//!   findings shaped like the invariant findings ([`crate::invariants::Finding`], check ids
//!   prefixed `waf_`, see [`CHECKS`]) so `cfcp check` can include them. Each zone gets a score
//!   (0–100) and a summary.
//! * [`subsumption`] decides, soundly, whether one rule's condition covers another's (used for
//!   shadowed rules) and whether a condition can match at all.
//! * [`simulate`] runs a request through the zone's rules in Cloudflare's phase order and returns
//!   the [`Trace`].
//!
//! Account-level rulesets and the bodies of managed rulesets are not part of a cfcp snapshot; the
//! analysis judges what the zone's entrypoints show and says so where it matters.
//!
//! ```
//! let analysis = cfcp::waf::analyze(&cfcp::snapshot::demo(), None);
//! let api = analysis.zone("acme-api.io").unwrap();
//! assert!(api.findings.iter().any(|f| f.check_id == "waf_managed_log_only"));
//! assert!(analysis.zone("acme-shop.com").unwrap().score > api.score);
//! ```

mod analyze;
pub mod gaps;
mod simulate;
pub mod subsumption;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::invariants::{Finding, Severity, Status};
use crate::snapshot::{Rule, RuleAction};

pub use analyze::{analyze, check, expression_errors, WafCheck, CHECKS};
pub use simulate::{lists_from_snapshot, simulate, RuleRef, Trace, TraceStep};

/// The format string of [`WafAnalysis::to_json_pretty`].
pub const FORMAT: &str = "cfcp.waf-analysis/v1";

/// Fields whose value the client chooses freely (the field or any member of it).
const CLIENT_CONTROLLED: &[&str] = &[
    "http.user_agent",
    "http.referer",
    "http.cookie",
    "http.request.cookies",
    "http.request.headers",
    "http.request.uri.query",
    "raw.http.request.uri.query",
    "http.request.uri.args",
    "raw.http.request.uri.args",
    "http.request.body",
    "http.x_forwarded_for",
    "http.request.accepted_languages",
    "http.request.method",
    "http.request.version",
];

/// Whether the client chooses `field`'s value freely: a skip or allow keyed only on such fields
/// lets anyone in.
///
/// ```
/// assert!(cfcp::waf::client_controlled("http.request.headers.names"));
/// assert!(!cfcp::waf::client_controlled("ip.src"));
/// ```
pub fn client_controlled(field: &str) -> bool {
    CLIENT_CONTROLLED.iter().any(|prefix| {
        field == *prefix
            || field
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Cloudflare Managed Ruleset.
pub const CLOUDFLARE_MANAGED: &str = "efb7b8c949ac4650a09736fc376e9aee";
/// Cloudflare OWASP Core Ruleset.
pub const OWASP_CORE: &str = "4814384a9e5d4991b9815dcfc25d2f1f";
/// Cloudflare Free Managed Ruleset.
pub const FREE_MANAGED: &str = "77454fe2d30c4220b5701f6fdfb893ba";
/// Cloudflare Exposed Credentials Check (deprecated).
pub const EXPOSED_CREDENTIALS: &str = "c2e184081120413c86c3ab7e14069605";
/// Cloudflare Sensitive Data Detection.
pub const SENSITIVE_DATA: &str = "e22d83c647c64a3eae91b71b499d988e";
/// The OWASP ruleset's anomaly-score rule, whose `score_threshold` sets the sensitivity.
pub const OWASP_ANOMALY_RULE: &str = "6179ae15870a4bb7b2d480d4843b323c";

/// A managed ruleset's name from its id (`"Cloudflare Managed Ruleset"`), or `None`.
pub fn managed_ruleset_name(id: &str) -> Option<&'static str> {
    Some(match id {
        CLOUDFLARE_MANAGED => "Cloudflare Managed Ruleset",
        OWASP_CORE => "Cloudflare OWASP Core Ruleset",
        FREE_MANAGED => "Cloudflare Free Managed Ruleset",
        EXPOSED_CREDENTIALS => "Cloudflare Exposed Credentials Check",
        SENSITIVE_DATA => "Cloudflare Sensitive Data Detection",
        _ => return None,
    })
}

/// The WAF analysis of a snapshot: one entry per zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WafAnalysis {
    /// Always [`FORMAT`].
    pub format: String,
    /// The zones analysed, in snapshot order.
    pub zones: Vec<ZoneAnalysis>,
}

/// One zone's WAF analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneAnalysis {
    /// Zone name.
    pub zone: String,
    /// Zone id.
    pub zone_id: String,
    /// Plan name as Cloudflare reports it (`"Business Website"`).
    pub plan: Option<String>,
    /// 0–100, higher is better. See [`ZoneSummary::score_parts`] for how it was earned.
    pub score: u8,
    /// Counts and what is deployed.
    pub summary: ZoneSummary,
    /// The problems found, most severe first.
    pub findings: Vec<Finding>,
}

/// What a zone has deployed, and the findings counted by severity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ZoneSummary {
    /// Findings by severity.
    pub findings: SeverityCounts,
    /// Rules in the custom-rules entrypoint (`http_request_firewall_custom`).
    pub custom_rules: usize,
    /// Of those, enabled.
    pub custom_rules_enabled: usize,
    /// The plan's limit on custom rules, when the plan is known.
    pub custom_rule_limit: Option<usize>,
    /// Managed-ruleset deployments (`execute` rules in `http_request_firewall_managed`).
    pub managed: Vec<ManagedDeployment>,
    /// Rules in the rate limiting entrypoint (`http_ratelimit`).
    pub rate_limit_rules: usize,
    /// Enabled, mitigating rate limiting rules whose expression names a login or API path.
    pub rate_limits_login_api: usize,
    /// False when the zone's rulesets could not be read (the score is then 0 and meaningless).
    pub rulesets_readable: bool,
    /// How the score was earned.
    pub score_parts: Vec<ScorePart>,
}

/// Findings counted by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Info.
    pub info: usize,
}

impl SeverityCounts {
    fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }
}

/// One managed-ruleset deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedDeployment {
    /// The managed ruleset's name, or its id when cfcp does not know it.
    pub ruleset: String,
    /// The managed ruleset's id.
    pub ruleset_id: String,
    /// The `execute` rule's id.
    pub rule_id: String,
    /// Whether the execute rule is enabled.
    pub enabled: bool,
    /// `default` (no ruleset-wide override), `log` (overridden to log), `disabled`
    /// (`overrides.enabled: false`), or the overriding action.
    pub mode: String,
    /// Enabled, not logging only, not disabled by override, not skipped by a broad skip rule.
    pub enforcing: bool,
    /// The broad skip rule that bypasses it, if any (`"description" (id)`).
    pub skipped_by: Option<String>,
    /// OWASP: the paranoia level set by category overrides (`None`: the ruleset default).
    pub paranoia_level: Option<u8>,
    /// OWASP: the anomaly-score threshold override (`None`: the ruleset default).
    pub score_threshold: Option<i64>,
}

/// One component of the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorePart {
    /// What it measures (`managed rules`, `hygiene`).
    pub name: String,
    /// Points earned.
    pub points: f64,
    /// Points available.
    pub max: f64,
    /// Why.
    pub note: String,
}

impl WafAnalysis {
    /// The analysis of one zone, by name (case-insensitive).
    pub fn zone(&self, name: &str) -> Option<&ZoneAnalysis> {
        self.zones
            .iter()
            .find(|z| z.zone.eq_ignore_ascii_case(name))
    }

    /// Every zone's findings, zone by zone, for `cfcp check` to append to its report.
    pub fn findings(&self) -> Vec<Finding> {
        self.zones
            .iter()
            .flat_map(|z| z.findings.iter().cloned())
            .collect()
    }

    /// JSON (`cfcp.waf-analysis/v1`), pretty-printed, with a trailing newline.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads the JSON [`WafAnalysis::to_json_pretty`] writes.
    pub fn from_json_str(text: &str) -> crate::Result<WafAnalysis> {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            crate::Error::InvalidDocument {
                document: "WAF analysis",
                path,
                line: inner.line(),
                column: inner.column(),
                message: inner.to_string(),
            }
        })
    }

    /// Plain text for a terminal.
    ///
    /// ```
    /// let text = cfcp::waf::analyze(&cfcp::snapshot::demo(), Some("acme-api.io")).to_text();
    /// assert!(text.starts_with("acme-api.io (Business Website): score "));
    /// assert!(text.contains("HIGH"));
    /// ```
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, zone) in self.zones.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let s = &zone.summary;
            let _ = writeln!(
                out,
                "{} ({}): score {}/100",
                zone.zone,
                zone.plan.as_deref().unwrap_or("plan unknown"),
                zone.score
            );
            let _ = writeln!(out, "  {}", summary_line(s));
            for m in &s.managed {
                let _ = writeln!(out, "  managed: {}", managed_line(m));
            }
            for part in &s.score_parts {
                let _ = writeln!(
                    out,
                    "  score: {:<14} {:>5.1}/{:<4} {}",
                    part.name, part.points, part.max, part.note
                );
            }
            if zone.findings.is_empty() {
                let _ = writeln!(out, "  no findings");
            }
            for f in &zone.findings {
                let _ = writeln!(
                    out,
                    "  {:<8} {} {} {:?} ({})",
                    f.severity.as_str().to_uppercase(),
                    f.check_id,
                    f.resource.kind,
                    f.resource.name,
                    f.resource.id
                );
                for line in f.message.lines() {
                    let _ = writeln!(out, "           {line}");
                }
                let _ = writeln!(out, "           fix: {}", f.remediation.text);
            }
        }
        out
    }

    /// Markdown: a table of zones and scores, then each zone's findings.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# WAF analysis\n\n| Zone | Plan | Score | Critical | High | Medium | Low | Info |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        for z in &self.zones {
            let c = z.summary.findings;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                md(&z.zone),
                md(z.plan.as_deref().unwrap_or("unknown")),
                z.score,
                c.critical,
                c.high,
                c.medium,
                c.low,
                c.info
            );
        }
        for z in &self.zones {
            let _ = write!(
                out,
                "\n## {} — {}/100\n\n{}\n\n",
                md(&z.zone),
                z.score,
                md(&summary_line(&z.summary))
            );
            for m in &z.summary.managed {
                let _ = writeln!(out, "- managed: {}", md(&managed_line(m)));
            }
            if !z.summary.managed.is_empty() {
                out.push('\n');
            }
            if z.findings.is_empty() {
                out.push_str("No findings.\n");
                continue;
            }
            out.push_str(
                "| Severity | Check | Resource | Finding | Fix |\n|---|---|---|---|---|\n",
            );
            for f in &z.findings {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} `{}` | {} | {} |",
                    f.severity,
                    f.check_id,
                    md(&f.resource.name),
                    md(&f.resource.id),
                    md(&f.message),
                    md(&f.remediation.text)
                );
            }
        }
        out
    }
}

fn summary_line(s: &ZoneSummary) -> String {
    if !s.rulesets_readable {
        return "rulesets could not be read".to_owned();
    }
    let c = s.findings;
    format!(
        "{} custom rules ({} enabled{}), {} managed deployments ({} enforcing), {} rate limiting rules ({} on login/API paths); findings: {} critical, {} high, {} medium, {} low, {} info",
        s.custom_rules,
        s.custom_rules_enabled,
        s.custom_rule_limit
            .map(|l| format!(", plan limit {l}"))
            .unwrap_or_default(),
        s.managed.len(),
        s.managed.iter().filter(|m| m.enforcing).count(),
        s.rate_limit_rules,
        s.rate_limits_login_api,
        c.critical,
        c.high,
        c.medium,
        c.low,
        c.info
    )
}

fn managed_line(m: &ManagedDeployment) -> String {
    let mut line = format!(
        "{} ({}) {}{}",
        m.ruleset,
        m.rule_id,
        if m.enabled { "enabled" } else { "disabled" },
        if m.enforcing {
            ", enforcing"
        } else {
            ", not enforcing"
        }
    );
    if m.mode != "default" {
        let _ = write!(line, ", mode {}", m.mode);
    }
    if let Some(pl) = m.paranoia_level {
        let _ = write!(line, ", paranoia level PL{pl}");
    }
    if let Some(t) = m.score_threshold {
        let _ = write!(line, ", score threshold {t}");
    }
    if let Some(by) = &m.skipped_by {
        let _ = write!(line, ", skipped by {by}");
    }
    line
}

fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

// ---- helpers shared by analysis and simulation ---------------------------------------------------

/// Block and the challenges: they stop the evaluation of every later rule and phase.
pub(crate) fn is_terminating(action: Option<&RuleAction>) -> bool {
    matches!(
        action,
        Some(
            RuleAction::Block
                | RuleAction::Challenge
                | RuleAction::ManagedChallenge
                | RuleAction::JsChallenge
        )
    )
}

/// What a skip rule skips (`action_parameters` of a `skip` rule).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SkipTargets {
    /// `ruleset: "current"`: the rest of the current ruleset.
    pub current: bool,
    /// Later phases.
    pub phases: Vec<String>,
    /// Rulesets (managed ruleset ids) executed later.
    pub rulesets: Vec<String>,
    /// Legacy products (`waf`, `rateLimit`, `bic`, `uaBlock`, `securityLevel`, ...).
    pub products: Vec<String>,
    /// Specific rules of rulesets (`rules: {ruleset_id: [rule ids]}`).
    pub rules: Vec<(String, Vec<String>)>,
}

impl SkipTargets {
    pub(crate) fn of(rule: &Rule) -> SkipTargets {
        let Some(params) = rule.action_parameters.get() else {
            return SkipTargets::default();
        };
        let strings = |key: &str| -> Vec<String> {
            params
                .get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let rules = params
            .get("rules")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let ids = v
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            })
                            .unwrap_or_default();
                        (k.clone(), ids)
                    })
                    .collect()
            })
            .unwrap_or_default();
        SkipTargets {
            current: params.get("ruleset").and_then(Value::as_str) == Some("current"),
            phases: strings("phases"),
            rulesets: strings("rulesets"),
            products: strings("products"),
            rules,
        }
    }

    /// Words for what is skipped (`the rest of this ruleset, phases http_ratelimit, ...`).
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.current {
            parts.push("the rest of the current ruleset".to_owned());
        }
        if !self.phases.is_empty() {
            parts.push(format!("phases {}", self.phases.join(", ")));
        }
        if !self.rulesets.is_empty() {
            let names: Vec<String> = self
                .rulesets
                .iter()
                .map(|id| managed_ruleset_name(id).map_or_else(|| id.clone(), str::to_owned))
                .collect();
            parts.push(format!("rulesets {}", names.join(", ")));
        }
        if !self.rules.is_empty() {
            let n: usize = self.rules.iter().map(|(_, ids)| ids.len()).sum();
            parts.push(format!("{n} specific managed rule(s)"));
        }
        if !self.products.is_empty() {
            parts.push(format!("products {}", self.products.join(", ")));
        }
        if parts.is_empty() {
            "nothing (no skip targets)".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

/// `"description" (id)` for messages.
pub(crate) fn rule_label(rule: &Rule) -> String {
    match (rule.description.as_deref(), rule.id.as_deref()) {
        (Some(d), Some(id)) if !d.is_empty() => format!("{d:?} ({id})"),
        (_, Some(id)) => format!("rule {id}"),
        (Some(d), None) if !d.is_empty() => format!("{d:?}"),
        _ => "a rule without id".to_owned(),
    }
}

/// Severity ordering for sorting findings, most severe first.
pub(crate) fn finding_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let rank = |f: &Finding| (f.status != Status::Fail, std::cmp::Reverse(f.severity));
    rank(a).cmp(&rank(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_targets_are_read() {
        let rule: Rule = serde_json::from_value(serde_json::json!({
            "action": "skip",
            "action_parameters": {"ruleset": "current", "phases": ["http_ratelimit"],
                "rulesets": [OWASP_CORE], "products": ["waf"], "rules": {"x": ["a", "b"]}}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let t = SkipTargets::of(&rule);
        assert!(t.current);
        assert_eq!(t.phases, vec!["http_ratelimit"]);
        assert_eq!(t.rulesets, vec![OWASP_CORE]);
        assert_eq!(t.products, vec!["waf"]);
        assert_eq!(
            t.rules,
            vec![("x".to_owned(), vec!["a".to_owned(), "b".to_owned()])]
        );
        assert_eq!(
            t.describe(),
            "the rest of the current ruleset; phases http_ratelimit; rulesets Cloudflare OWASP Core Ruleset; 2 specific managed rule(s); products waf"
        );
        let bare: Rule = serde_json::from_value(serde_json::json!({"action": "skip"}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            SkipTargets::of(&bare).describe(),
            "nothing (no skip targets)"
        );
    }

    #[test]
    fn json_round_trip_and_renderings() {
        let analysis = analyze(&crate::snapshot::demo(), None);
        assert_eq!(analysis.format, FORMAT);
        let text = analysis.to_json_pretty();
        assert!(text.contains("\"format\": \"cfcp.waf-analysis/v1\""));
        let back = WafAnalysis::from_json_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, analysis);
        assert!(WafAnalysis::from_json_str("{\"format\": 1}").is_err());

        let md = analysis.to_markdown();
        assert!(md.starts_with("# WAF analysis\n"));
        assert!(md.contains("| acme-api.io | Business Website |"));
        assert!(md.contains("`waf_skip_too_broad`"));
        let plain = analysis.to_text();
        assert!(plain.contains("acme-internal.net (Free Website): score "));
        assert!(plain.contains("fix: "));
        assert_eq!(
            analysis.findings().len(),
            analysis
                .zones
                .iter()
                .map(|z| z.findings.len())
                .sum::<usize>()
        );
    }
}
