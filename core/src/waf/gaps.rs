//! Rule gap identification: for each zone, which threat classes its WAF configuration covers, by
//! what, and a concrete, engine-validated rule (API payload and Terraform HCL) for every gap.
//!
//! # What counts as coverage
//!
//! Coverage is decided from the rules' syntax trees ([`crate::rules`]), never from substrings:
//!
//! * A rule **covers a path** when its expression constrains the request path
//!   (`http.request.uri.path` and its `raw.`/`uri`/`full_uri` relatives) and can match that path.
//!   Both are decided by a three-valued evaluation of the expression: comparisons that read only
//!   the fields of a probe request (path, and method for login probes) are evaluated with
//!   [`Filter::matches`]; every other comparison is *unknown*. The rule covers path `P` when the
//!   expression is not false for `P` and is false for a path no rule mentions (so `true` or
//!   `ip.src in $list` constrain no path, and `path eq "/admin" and path eq "/internal"` covers
//!   neither). A condition cfcp cannot decide from the probe (a list, a header) is assumed to hold.
//! * A rule is **zone-wide** when it is not false for a path no rule mentions.
//! * Only **enabled** rules with an **enforcing** action count (`block`, `challenge`,
//!   `managed_challenge`, `js_challenge`; `execute` for managed rulesets); `log` rules and disabled
//!   rules are listed as evidence that does not count.
//! * **Skip rules** that take a protection away are weighed by their scope: one that matches any
//!   request (`true`, `ne` on the path, ...) voids the protection; one keyed only on fields the
//!   client controls (user agent, headers, cookies, query, body, method) makes it bypassable, so
//!   the class is at most [`CoverageStatus::Partial`]; anything else (source IP, lists, path, host)
//!   is a narrow exception.
//! * Default paths ([`DEFAULT_LOGIN_PATHS`], [`DEFAULT_ADMIN_PATHS`], [`DEFAULT_API_PREFIXES`]) are
//!   guesses about the site: covering any one of them counts as covered. Paths *declared* in the
//!   [`GapPolicy`] are facts: each must be covered, else the class is partial.
//!
//! # Proposals
//!
//! Every proposal's expression is parsed with [`parse_filter`] before it is offered (an expression
//! the engine rejects is dropped and reported in the class's notes). API payloads add to the zone's
//! existing phase entrypoint (`POST .../rulesets/{id}/rules`, `PATCH .../rules/{rule_id}`) or, when
//! the phase has none, create it (`PUT .../phases/{phase}/entrypoint`). The Terraform HCL is a
//! complete `cloudflare_ruleset` for the phase (provider v5 attribute syntax): the existing rules
//! followed by the new ones, because the resource owns the whole entrypoint. Nothing is applied.
//!
//! ```
//! use cfcp::waf::gaps::{gaps, CoverageStatus, GapPolicy, ThreatClass};
//! let report = gaps(&cfcp::snapshot::demo(), Some("acme-api.io"), &GapPolicy::default());
//! let zone = &report.zones[0];
//! assert_eq!(zone.class(ThreatClass::SqliXss).unwrap().status, CoverageStatus::Gap);
//! let proposal = &zone.class(ThreatClass::ApiAbuse).unwrap().proposals[0];
//! assert!(cfcp::rules::parse_filter(proposal.expression.as_deref().unwrap()).is_ok());
//! assert!(proposal.hcl.contains("resource \"cloudflare_ruleset\""));
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::invariants::{Finding, Remediation, Resource, Severity, Status, Text};
use crate::rules::{
    parse_filter, CmpOp, Expr, Filter, ListRef, Lists, Request, Rhs, SetItem, Value as RulesValue,
};
use crate::snapshot::{AccountSnapshot, Phase, Rule, RuleAction, Ruleset, Snapshot, ZoneSnapshot};

/// The format string of [`GapReport`]'s JSON.
pub const FORMAT: &str = "cfcp.waf-gaps/v1";

// The managed ruleset ids are defined once, in `waf`.
use super::{
    CLOUDFLARE_MANAGED as CLOUDFLARE_MANAGED_RULESET,
    EXPOSED_CREDENTIALS as EXPOSED_CREDENTIALS_RULESET, FREE_MANAGED as FREE_MANAGED_RULESET,
    OWASP_ANOMALY_RULE, OWASP_CORE as OWASP_RULESET,
};

/// Login paths assumed when the policy declares none (`/api/login` is added to the usual set
/// because single-page applications post credentials there).
pub const DEFAULT_LOGIN_PATHS: &[&str] = &[
    "/login",
    "/signin",
    "/wp-login.php",
    "/user/login",
    "/api/auth",
    "/api/login",
];

/// Admin paths assumed when the policy declares none.
pub const DEFAULT_ADMIN_PATHS: &[&str] = &["/admin", "/wp-admin", "/administrator"];

/// API path prefixes assumed when the policy declares none.
pub const DEFAULT_API_PREFIXES: &[&str] = &["/api/"];

/// A path no rule mentions: a rule that matches it does not constrain the path.
const UNMENTIONED_PATH: &str = "/cfcp-probe-7f3a9c/unmentioned";

/// A country code no rule mentions (user-assigned in ISO 3166).
const UNMENTIONED_COUNTRY: &str = "ZZ";

/// What the operator declares about the zones; every member is optional.
///
/// Loads from JSON (`cfcp waf gaps --policy FILE`):
///
/// ```
/// let policy: cfcp::waf::gaps::GapPolicy = serde_json::from_str(
///     r#"{"login_paths": ["/account/login"], "geo": {"blocked_countries": ["KP"]}}"#,
/// ).unwrap();
/// assert_eq!(policy.login_paths(), vec!["/account/login".to_owned()]);
/// assert_eq!(policy.admin_paths(), vec!["/admin", "/wp-admin", "/administrator"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GapPolicy {
    /// Login paths (exact paths); `None` uses [`DEFAULT_LOGIN_PATHS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_paths: Option<Vec<String>>,
    /// Admin paths (prefixes); `None` uses [`DEFAULT_ADMIN_PATHS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_paths: Option<Vec<String>>,
    /// API path prefixes; `None` uses [`DEFAULT_API_PREFIXES`]. Use `["/"]` for a zone that is
    /// all API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_prefixes: Option<Vec<String>>,
    /// The geo policy; the geo class is checked only when it is declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo: Option<GeoPolicy>,
}

/// Which countries a zone must refuse or exclusively serve (ISO 3166-1 alpha-2, `T1` for Tor).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeoPolicy {
    /// Countries whose traffic must be blocked.
    pub blocked_countries: Vec<String>,
    /// When not empty, only these countries may reach the zone.
    pub allowed_countries: Vec<String>,
}

fn declared_or(declared: &Option<Vec<String>>, defaults: &[&str]) -> Vec<String> {
    match declared {
        Some(paths) => paths.clone(),
        None => defaults.iter().map(|p| (*p).to_owned()).collect(),
    }
}

impl GapPolicy {
    /// The login paths: declared, or [`DEFAULT_LOGIN_PATHS`].
    pub fn login_paths(&self) -> Vec<String> {
        declared_or(&self.login_paths, DEFAULT_LOGIN_PATHS)
    }

    /// The admin paths: declared, or [`DEFAULT_ADMIN_PATHS`].
    pub fn admin_paths(&self) -> Vec<String> {
        declared_or(&self.admin_paths, DEFAULT_ADMIN_PATHS)
    }

    /// The API prefixes: declared, or [`DEFAULT_API_PREFIXES`].
    pub fn api_prefixes(&self) -> Vec<String> {
        declared_or(&self.api_prefixes, DEFAULT_API_PREFIXES)
    }
}

/// A class of threat the WAF configuration should answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreatClass {
    /// SQL injection, XSS, RCE, LFI: managed and OWASP rulesets, WAF attack score rules.
    SqliXss,
    /// Credential stuffing on login paths: rate limits, leaked-credential detection.
    CredentialStuffing,
    /// API abuse: rate limits on API paths.
    ApiAbuse,
    /// Automated traffic: Bot Fight Mode, Super Bot Fight Mode, bot score rules.
    Bots,
    /// Known-bad IPs: account IP lists, `$cf.malware`, `$cf.botnetcc`.
    KnownBadIps,
    /// Anonymizers and Tor: `$cf.anonymizer`, `$cf.open_proxies`, `$cf.vpn`, country `T1`.
    Anonymizers,
    /// Admin paths reachable from anywhere.
    AdminPaths,
    /// The declared geo policy.
    Geo,
}

impl ThreatClass {
    /// Every class, in report order.
    pub const ALL: [ThreatClass; 8] = [
        ThreatClass::SqliXss,
        ThreatClass::CredentialStuffing,
        ThreatClass::ApiAbuse,
        ThreatClass::Bots,
        ThreatClass::KnownBadIps,
        ThreatClass::Anonymizers,
        ThreatClass::AdminPaths,
        ThreatClass::Geo,
    ];

    /// The short id (`sqli_xss`).
    pub fn id(self) -> &'static str {
        match self {
            ThreatClass::SqliXss => "sqli_xss",
            ThreatClass::CredentialStuffing => "credential_stuffing",
            ThreatClass::ApiAbuse => "api_abuse",
            ThreatClass::Bots => "bots",
            ThreatClass::KnownBadIps => "known_bad_ips",
            ThreatClass::Anonymizers => "anonymizers",
            ThreatClass::AdminPaths => "admin_paths",
            ThreatClass::Geo => "geo",
        }
    }

    /// The check id of its findings (`waf_gap_sqli_xss`).
    pub fn check_id(self) -> &'static str {
        match self {
            ThreatClass::SqliXss => "waf_gap_sqli_xss",
            ThreatClass::CredentialStuffing => "waf_gap_credential_stuffing",
            ThreatClass::ApiAbuse => "waf_gap_api_abuse",
            ThreatClass::Bots => "waf_gap_bots",
            ThreatClass::KnownBadIps => "waf_gap_known_bad_ips",
            ThreatClass::Anonymizers => "waf_gap_anonymizers",
            ThreatClass::AdminPaths => "waf_gap_admin_paths",
            ThreatClass::Geo => "waf_gap_geo",
        }
    }

    /// A human name.
    pub fn title(self) -> &'static str {
        match self {
            ThreatClass::SqliXss => "SQLi / XSS / RCE / LFI",
            ThreatClass::CredentialStuffing => "Credential stuffing on login paths",
            ThreatClass::ApiAbuse => "API abuse",
            ThreatClass::Bots => "Bots",
            ThreatClass::KnownBadIps => "Known-bad IPs",
            ThreatClass::Anonymizers => "Anonymizers and Tor",
            ThreatClass::AdminPaths => "Admin paths exposed",
            ThreatClass::Geo => "Geo policy",
        }
    }

    /// The title of its findings.
    pub fn finding_title(self) -> &'static str {
        match self {
            ThreatClass::SqliXss => {
                "WAF covers SQLi, XSS, RCE and LFI (managed and OWASP rules enforcing)"
            }
            ThreatClass::CredentialStuffing => {
                "Login paths are rate limited or checked for leaked credentials"
            }
            ThreatClass::ApiAbuse => "API paths are rate limited",
            ThreatClass::Bots => "Automated traffic is challenged or blocked",
            ThreatClass::KnownBadIps => "Known-bad IPs are blocked",
            ThreatClass::Anonymizers => "Tor and anonymizing proxies are challenged or blocked",
            ThreatClass::AdminPaths => "Admin paths are restricted",
            ThreatClass::Geo => "The declared geo policy is enforced",
        }
    }

    /// The severity of its gap.
    pub fn severity(self) -> Severity {
        match self {
            ThreatClass::SqliXss | ThreatClass::CredentialStuffing | ThreatClass::AdminPaths => {
                Severity::High
            }
            ThreatClass::ApiAbuse
            | ThreatClass::Bots
            | ThreatClass::KnownBadIps
            | ThreatClass::Geo => Severity::Medium,
            ThreatClass::Anonymizers => Severity::Low,
        }
    }

    fn compliance(self) -> &'static [&'static str] {
        match self {
            ThreatClass::SqliXss => &["PCI-DSS-4.0.1:6.4.2", "NIST-800-53r5:SI-4"],
            ThreatClass::CredentialStuffing => &["ASVS-4.0.3:11.1.4", "NIST-800-53r5:AC-7"],
            ThreatClass::ApiAbuse => &["NIST-800-53r5:SC-5"],
            ThreatClass::AdminPaths => &["PCI-DSS-4.0.1:1.4.2", "NIST-800-53r5:AC-3"],
            ThreatClass::KnownBadIps | ThreatClass::Anonymizers | ThreatClass::Geo => {
                &["NIST-800-53r5:SC-7"]
            }
            ThreatClass::Bots => &["NIST-800-53r5:SI-4"],
        }
    }
}

/// How well a class is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoverageStatus {
    /// Enforcing protection is in place.
    Covered,
    /// Some protection, but narrower than the class needs, bypassable, or not enforcing everywhere.
    Partial,
    /// Nothing enforces it.
    Gap,
    /// The snapshot could not read what decides it (listed in its `gaps`).
    Unknown,
}

impl CoverageStatus {
    /// `"covered"`, `"partial"`, `"gap"`, `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CoverageStatus::Covered => "covered",
            CoverageStatus::Partial => "partial",
            CoverageStatus::Gap => "gap",
            CoverageStatus::Unknown => "unknown",
        }
    }
}

/// Something the decision rests on: a rule, a setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What: `rule 3d7da81f… "Rate limit login attempts" (http_ratelimit)`,
    /// `bot_management.fight_mode`.
    pub reference: String,
    /// What it does for the class (or why it does not count).
    pub detail: String,
    /// Whether it counts towards coverage.
    pub effective: bool,
}

/// What kind of change a [`Proposal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// A rule in `http_request_firewall_custom`.
    CustomRule,
    /// A rule in `http_ratelimit`.
    RateLimitRule,
    /// An `execute` rule in `http_request_firewall_managed`.
    ManagedRules,
    /// Bot management settings (`/zones/{id}/bot_management`).
    BotManagement,
}

/// One API call of a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiCall {
    /// `POST`, `PATCH`, `PUT`.
    pub method: String,
    /// Path under `https://api.cloudflare.com/client/v4`.
    pub path: String,
    /// The JSON body.
    pub body: Value,
}

impl ApiCall {
    /// `METHOD path body` on one line.
    pub fn to_line(&self) -> String {
        format!("{} {} {}", self.method, self.path, self.body)
    }
}

/// A change that closes a gap. Not applied by cfcp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// What kind of change.
    pub kind: ProposalKind,
    /// What it does, in words.
    pub title: String,
    /// The ruleset phase, for rule proposals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The rule's expression, validated by [`parse_filter`] (rule proposals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// The rule payloads (Cloudflare API shape) this proposal adds or replaces.
    pub rules: Vec<Value>,
    /// The API calls, in order.
    pub api: Vec<ApiCall>,
    /// Terraform HCL for the cloudflare provider v5.
    pub hcl: String,
    /// Caveats: plan limits, what to review before applying.
    pub notes: Vec<String>,
    #[serde(skip)]
    edits: Vec<Edit>,
    #[serde(skip)]
    extra_hcl: Option<String>,
}

/// A change to a phase entrypoint's rule list.
#[derive(Debug, Clone, PartialEq)]
enum Edit {
    Append(Value),
    Replace(usize, Value),
}

/// How one class is covered on one zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassCoverage {
    /// The class.
    pub class: ThreatClass,
    /// Its status.
    pub status: CoverageStatus,
    /// One sentence on why.
    pub summary: String,
    /// What the decision rests on.
    pub evidence: Vec<Evidence>,
    /// Changes that would close the gap (empty when covered).
    pub proposals: Vec<Proposal>,
    /// Remarks: bypasses to fix by hand, proposals the engine rejected, assumptions.
    pub notes: Vec<String>,
}

/// The coverage of one zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneGaps {
    /// Zone name.
    pub zone: String,
    /// Zone id.
    pub zone_id: String,
    /// Plan name, when the snapshot has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// One entry per class (geo only when the policy declares one).
    pub classes: Vec<ClassCoverage>,
    /// All of the zone's proposals as one Terraform file (one `cloudflare_ruleset` per phase).
    pub terraform: String,
    /// All of the zone's proposals as API calls, in order (one `PUT` per phase that has no
    /// entrypoint yet, so proposals for the same phase do not overwrite each other).
    pub api: Vec<ApiCall>,
}

impl ZoneGaps {
    /// The coverage of one class, if it was assessed.
    pub fn class(&self, class: ThreatClass) -> Option<&ClassCoverage> {
        self.classes.iter().find(|c| c.class == class)
    }
}

/// The gap analysis of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapReport {
    /// Always [`FORMAT`].
    pub format: String,
    /// When the snapshot was taken.
    pub taken_at: String,
    /// The policy applied (as declared; defaults are not written out).
    pub policy: GapPolicy,
    /// One entry per zone.
    pub zones: Vec<ZoneGaps>,
    /// Problems with the input: an unknown zone, invalid policy paths or country codes.
    pub errors: Vec<String>,
}

/// Finds the gaps of every zone (or only `zone`, by name) of a snapshot.
///
/// Never fails: an unknown zone or an invalid policy entry is reported in
/// [`GapReport::errors`].
pub fn gaps(snapshot: &Snapshot, zone: Option<&str>, policy: &GapPolicy) -> GapReport {
    let mut errors = Vec::new();
    let clean = clean_policy(policy, &mut errors);
    let mut zones = Vec::new();
    for z in &snapshot.zones {
        if zone.is_some_and(|name| !z.zone.name.eq_ignore_ascii_case(name)) {
            continue;
        }
        zones.push(zone_gaps(snapshot, z, &clean));
    }
    if let Some(name) = zone {
        if zones.is_empty() {
            errors.push(format!("zone {name} is not in the snapshot"));
        }
    }
    GapReport {
        format: FORMAT.to_owned(),
        taken_at: snapshot.taken_at.as_str().to_owned(),
        policy: policy.clone(),
        zones,
        errors,
    }
}

/// [`gaps`] over every zone, as invariant findings (for `cfcp check`).
pub fn gap_findings(snapshot: &Snapshot, policy: &GapPolicy) -> Vec<Finding> {
    gaps(snapshot, None, policy).findings()
}

// ---------------------------------------------------------------------------------------------
// Policy validation

/// The policy after validation, with defaults resolved.
struct CleanPolicy {
    login: Vec<String>,
    login_declared: bool,
    admin: Vec<String>,
    admin_declared: bool,
    api: Vec<String>,
    api_declared: bool,
    geo: Option<GeoPolicy>,
}

fn clean_paths(what: &str, paths: Vec<String>, errors: &mut Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for path in paths {
        if !path.starts_with('/') || path.chars().any(char::is_control) {
            errors.push(format!(
                "{what} {path:?} ignored: a path must start with / and contain no control characters"
            ));
        } else if !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

fn clean_countries(what: &str, codes: &[String], errors: &mut Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in codes {
        let upper = code.trim().to_ascii_uppercase();
        if upper.len() != 2 || !upper.chars().all(|c| c.is_ascii_alphanumeric()) {
            errors.push(format!(
                "{what} {code:?} ignored: expected a two-letter ISO 3166-1 code (or T1 for Tor)"
            ));
        } else if !out.contains(&upper) {
            out.push(upper);
        }
    }
    out
}

fn clean_policy(policy: &GapPolicy, errors: &mut Vec<String>) -> CleanPolicy {
    CleanPolicy {
        login: clean_paths("login path", policy.login_paths(), errors),
        login_declared: policy.login_paths.is_some(),
        admin: clean_paths("admin path", policy.admin_paths(), errors),
        admin_declared: policy.admin_paths.is_some(),
        api: clean_paths("API prefix", policy.api_prefixes(), errors),
        api_declared: policy.api_prefixes.is_some(),
        geo: policy.geo.as_ref().map(|g| GeoPolicy {
            blocked_countries: clean_countries("blocked country", &g.blocked_countries, errors),
            allowed_countries: clean_countries("allowed country", &g.allowed_countries, errors),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// The zone's rules

/// The plan tier, which decides what a proposal may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Free,
    Pro,
    Business,
    Enterprise,
    Unknown,
}

impl Plan {
    fn of(zone: &ZoneSnapshot) -> Plan {
        let plan = zone.zone.plan.get();
        let text = plan
            .and_then(|p| p.get("legacy_id"))
            .and_then(Value::as_str)
            .or_else(|| zone.zone.plan_name())
            .unwrap_or("")
            .to_ascii_lowercase();
        if text.contains("enterprise") {
            Plan::Enterprise
        } else if text.contains("business") {
            Plan::Business
        } else if text.contains("pro") {
            Plan::Pro
        } else if text.contains("free") {
            Plan::Free
        } else {
            Plan::Unknown
        }
    }
}

/// One rule of the zone with its parsed expression.
struct RuleView<'a> {
    phase: Phase,
    index: usize,
    rule: &'a Rule,
    filter: Option<Filter>,
}

impl RuleView<'_> {
    fn id(&self) -> String {
        self.rule
            .id
            .as_deref()
            .or(self.rule.reference.as_deref())
            .map_or_else(|| format!("#{}", self.index + 1), str::to_owned)
    }

    fn reference(&self) -> String {
        let mut text = format!("rule {}", self.id());
        if let Some(description) = self.rule.description.as_deref() {
            let _ = write!(text, " {description:?}");
        }
        let _ = write!(text, " ({})", self.phase);
        text
    }

    fn action(&self) -> Option<&RuleAction> {
        self.rule.action.get()
    }

    fn action_str(&self) -> &str {
        self.action().map_or("(none)", RuleAction::as_str)
    }

    /// Enabled, with a valid expression.
    fn live(&self) -> bool {
        self.rule.is_enabled() && self.filter.is_some()
    }

    fn enforcing_action(&self) -> bool {
        is_enforcing(self.action())
    }

    fn fields(&self) -> Vec<&str> {
        self.filter
            .as_ref()
            .map(|f| f.fields().into_iter().collect())
            .unwrap_or_default()
    }

    fn params(&self) -> Option<&Map<String, Value>> {
        self.rule.action_parameters.get().and_then(Value::as_object)
    }

    /// Not restricted to particular paths.
    fn zone_wide(&self, host: &str) -> bool {
        self.filter.as_ref().is_some_and(|f| {
            eval3(f.expr(), &Probe::path(host, UNMENTIONED_PATH, None)) != Tri::False
        })
    }

    /// Constrains the path and can match `path` (with `method`, when given).
    fn covers_path(&self, host: &str, path: &str, method: Option<&str>) -> bool {
        self.filter.as_ref().is_some_and(|f| {
            eval3(f.expr(), &Probe::path(host, path, method)) != Tri::False
                && eval3(f.expr(), &Probe::path(host, UNMENTIONED_PATH, method)) == Tri::False
        })
    }

    /// Whether a rule that does not count is still worth listing as evidence: it would count if
    /// it were enabled, valid or enforcing (a `skip` or `execute` rule is not a near miss).
    fn near_miss(&self) -> bool {
        !self.rule.is_enabled() || self.filter.is_none() || self.action() == Some(&RuleAction::Log)
    }

    /// Why the rule does not count, if it does not: disabled, invalid, or a non-enforcing action.
    fn not_counting(&self) -> Option<String> {
        if !self.rule.is_enabled() {
            Some("disabled".to_owned())
        } else if self.filter.is_none() {
            Some("its expression does not parse".to_owned())
        } else if !self.enforcing_action() {
            Some(format!("action {} does not enforce", self.action_str()))
        } else {
            None
        }
    }
}

fn is_enforcing(action: Option<&RuleAction>) -> bool {
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

/// Everything the class checks need about one zone.
struct ZoneView<'a> {
    snapshot: &'a Snapshot,
    zone: &'a ZoneSnapshot,
    account: Option<&'a AccountSnapshot>,
    plan: Plan,
    rules: Vec<RuleView<'a>>,
    rulesets_unknown: bool,
    bot_management_unknown: bool,
}

impl<'a> ZoneView<'a> {
    fn new(snapshot: &'a Snapshot, zone: &'a ZoneSnapshot) -> Self {
        let mut rules = Vec::new();
        for ruleset in &zone.rulesets {
            let Some(phase) = ruleset.phase.get() else {
                continue;
            };
            for (index, rule) in ruleset.rules.iter().enumerate() {
                let filter = rule
                    .expression
                    .as_deref()
                    .and_then(|text| parse_filter(text).ok());
                rules.push(RuleView {
                    phase: phase.clone(),
                    index,
                    rule,
                    filter,
                });
            }
        }
        let unreadable = |section: &str| {
            snapshot.gaps.iter().any(|g| {
                g.section == section
                    && g.zone
                        .as_deref()
                        .map_or(true, |z| z.eq_ignore_ascii_case(&zone.zone.name))
            })
        };
        let account = zone
            .zone
            .account
            .get()
            .and_then(|a| a.id.as_deref())
            .and_then(|id| snapshot.account(id));
        ZoneView {
            snapshot,
            zone,
            account,
            plan: Plan::of(zone),
            rules,
            rulesets_unknown: unreadable("rulesets"),
            bot_management_unknown: unreadable("bot_management"),
        }
    }

    fn host(&self) -> &str {
        &self.zone.zone.name
    }

    fn in_phase(&self, phase: Phase) -> impl Iterator<Item = &RuleView<'a>> + '_ {
        self.rules.iter().filter(move |r| r.phase == phase)
    }

    /// The worst skip that takes away `target`, with evidence for bypassable and voiding skips.
    fn skipped_by(&self, target: SkipTarget<'_>, evidence: &mut Vec<Evidence>) -> SkipScope {
        let mut worst = SkipScope::Narrow;
        for rule in &self.rules {
            if !rule.live() || rule.action() != Some(&RuleAction::Skip) || !skips(rule, target) {
                continue;
            }
            let Some(filter) = &rule.filter else {
                continue;
            };
            let scope = skip_scope(filter, self.host());
            let what = target.describe();
            match scope {
                SkipScope::Everyone => evidence.push(Evidence {
                    reference: rule.reference(),
                    detail: format!("skips {what} for (nearly) every request"),
                    effective: false,
                }),
                SkipScope::Spoofable => evidence.push(Evidence {
                    reference: rule.reference(),
                    detail: format!(
                        "skips {what} on a condition the client controls ({}): anyone can bypass it",
                        filter.fields().into_iter().collect::<Vec<_>>().join(", ")
                    ),
                    effective: false,
                }),
                SkipScope::Narrow => {}
            }
            worst = worst.max(scope);
        }
        worst
    }
}

/// What a skip rule may take away.
#[derive(Clone, Copy)]
enum SkipTarget<'r> {
    /// A managed ruleset, executed by the rule at this index of the managed phase.
    Managed { ruleset: &'r str, index: usize },
    /// The rate limiting phase (the rule at this index).
    RateLimit { index: usize },
    /// The custom rule at this index.
    Custom { index: usize },
}

impl SkipTarget<'_> {
    fn describe(&self) -> &'static str {
        match self {
            SkipTarget::Managed { .. } => "the managed rules",
            SkipTarget::RateLimit { .. } => "rate limiting",
            SkipTarget::Custom { .. } => "the custom rule",
        }
    }
}

fn string_array_contains(value: Option<&Value>, wanted: &str) -> bool {
    value
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().any(|v| v.as_str() == Some(wanted)))
}

/// Does the (skip) rule take away `target`?
fn skips(rule: &RuleView<'_>, target: SkipTarget<'_>) -> bool {
    let Some(params) = rule.params() else {
        return false;
    };
    let current = params.get("ruleset").and_then(Value::as_str) == Some("current");
    match (target, &rule.phase) {
        (SkipTarget::Managed { .. }, Phase::HttpRequestFirewallCustom) => {
            string_array_contains(params.get("phases"), "http_request_firewall_managed")
        }
        (SkipTarget::Managed { ruleset, index }, Phase::HttpRequestFirewallManaged) => {
            rule.index < index
                && (current || string_array_contains(params.get("rulesets"), ruleset))
        }
        (SkipTarget::RateLimit { .. }, Phase::HttpRequestFirewallCustom) => {
            string_array_contains(params.get("phases"), "http_ratelimit")
        }
        (SkipTarget::RateLimit { index }, Phase::HttpRatelimit) => current && rule.index < index,
        (SkipTarget::Custom { index }, Phase::HttpRequestFirewallCustom) => {
            current && rule.index < index
        }
        _ => false,
    }
}

/// How broad a skip rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SkipScope {
    /// A narrow exception (source IP, list, path, host).
    Narrow,
    /// Keyed only on what the client sends: anyone can opt out.
    Spoofable,
    /// Matches (nearly) every request.
    Everyone,
}

fn skip_scope(filter: &Filter, host: &str) -> SkipScope {
    if eval3(filter.expr(), &Probe::path(host, UNMENTIONED_PATH, None)) == Tri::True {
        return SkipScope::Everyone;
    }
    let fields = filter.fields();
    if !fields.is_empty()
        && filter.lists().is_empty()
        && fields.iter().all(|f| super::client_controlled(f))
    {
        SkipScope::Spoofable
    } else {
        SkipScope::Narrow
    }
}

// ---------------------------------------------------------------------------------------------
// Three-valued evaluation

/// Kleene truth values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn of(value: bool) -> Tri {
        if value {
            Tri::True
        } else {
            Tri::False
        }
    }

    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

/// Fields the path probes know.
const PATH_FIELDS: &[&str] = &[
    "http.request.uri.path",
    "raw.http.request.uri.path",
    "http.request.uri",
    "raw.http.request.uri",
    "http.request.full_uri",
    "raw.http.request.full_uri",
    "http.request.uri.path.extension",
    "raw.http.request.uri.path.extension",
];

/// Fields the country probes know.
const COUNTRY_FIELDS: &[&str] = &["ip.src.country", "ip.geoip.country"];

/// A request of which only some fields are known; the rest are unknown.
struct Probe {
    request: Request,
    path: bool,
    method: bool,
    country: bool,
}

impl Probe {
    fn path(host: &str, path: &str, method: Option<&str>) -> Probe {
        let mut request = Request::get(host, "/");
        request.path = path.to_owned();
        if let Some(method) = method {
            request.method = method.to_owned();
        }
        Probe {
            request,
            path: true,
            method: method.is_some(),
            country: false,
        }
    }

    fn country(host: &str, country: &str, path: Option<&str>) -> Probe {
        let mut request = Request::get(host, "/");
        request.country = country.to_owned();
        if let Some(path) = path {
            request.path = path.to_owned();
        }
        Probe {
            request,
            path: path.is_some(),
            method: false,
            country: true,
        }
    }

    fn knows(&self, field: &str) -> bool {
        (self.path && PATH_FIELDS.contains(&field))
            || (self.method && field == "http.request.method")
            || (self.country && COUNTRY_FIELDS.contains(&field))
    }
}

fn eval3(expr: &Expr, probe: &Probe) -> Tri {
    match expr {
        Expr::Or(items) => {
            let mut unknown = false;
            for item in items {
                match eval3(item, probe) {
                    Tri::True => return Tri::True,
                    Tri::Unknown => unknown = true,
                    Tri::False => {}
                }
            }
            if unknown {
                Tri::Unknown
            } else {
                Tri::False
            }
        }
        Expr::And(items) => {
            let mut unknown = false;
            for item in items {
                match eval3(item, probe) {
                    Tri::False => return Tri::False,
                    Tri::Unknown => unknown = true,
                    Tri::True => {}
                }
            }
            if unknown {
                Tri::Unknown
            } else {
                Tri::True
            }
        }
        Expr::Xor(items) => {
            let mut acc = false;
            for item in items {
                match eval3(item, probe) {
                    Tri::Unknown => return Tri::Unknown,
                    Tri::True => acc = !acc,
                    Tri::False => {}
                }
            }
            Tri::of(acc)
        }
        Expr::Not(inner, _) => eval3(inner, probe).not(),
        Expr::Compare(_) | Expr::Value(_) => atom(expr, probe),
    }
}

/// A comparison or value: evaluated when it reads only known fields, unknown otherwise.
fn atom(expr: &Expr, probe: &Probe) -> Tri {
    let mut decidable = true;
    expr.walk(&mut |e| {
        let value = match e {
            Expr::Compare(c) => {
                if matches!(c.rhs.value, Rhs::List(_)) {
                    decidable = false;
                }
                &c.lhs
            }
            Expr::Value(v) => v,
            _ => return,
        };
        if let RulesValue::Field { name, .. } = value {
            if !probe.knows(name) {
                decidable = false;
            }
        }
    });
    if !decidable {
        return Tri::Unknown;
    }
    match parse_filter(&expr.to_string()) {
        Ok(filter) => Tri::of(filter.matches(&probe.request, &Lists::default())),
        Err(_) => Tri::Unknown,
    }
}

/// Comparisons and values with their polarity (true when under an even number of `not`s and no
/// `xor`).
fn atoms_with_polarity<'e>(expr: &'e Expr, positive: bool, out: &mut Vec<(&'e Expr, bool)>) {
    match expr {
        Expr::Or(items) | Expr::And(items) => {
            for item in items {
                atoms_with_polarity(item, positive, out);
            }
        }
        Expr::Xor(items) => {
            for item in items {
                atoms_with_polarity(item, false, out);
            }
        }
        Expr::Not(inner, _) => atoms_with_polarity(inner, !positive, out),
        Expr::Compare(_) | Expr::Value(_) => out.push((expr, positive)),
    }
}

fn field_name(value: &RulesValue) -> Option<&str> {
    match value {
        RulesValue::Field { name, .. } => Some(name),
        _ => None,
    }
}

/// Lists the expression requires the source IP to be in (`ip.src in $name`, not negated).
fn positive_ip_lists(filter: &Filter) -> Vec<ListRef> {
    let mut atoms = Vec::new();
    atoms_with_polarity(filter.expr(), true, &mut atoms);
    atoms
        .into_iter()
        .filter_map(|(e, positive)| match e {
            Expr::Compare(c) if positive && field_name(&c.lhs) == Some("ip.src") => {
                match &c.rhs.value {
                    Rhs::List(list) => Some(list.clone()),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

/// Whether the expression requires the source IP to be in an inline set (`ip.src in {...}`).
fn positive_ip_set(filter: &Filter) -> bool {
    let mut atoms = Vec::new();
    atoms_with_polarity(filter.expr(), true, &mut atoms);
    atoms.into_iter().any(|(e, positive)| match e {
        Expr::Compare(c) => {
            positive
                && field_name(&c.lhs) == Some("ip.src")
                && matches!(
                    (c.op, &c.rhs.value),
                    (CmpOp::In, Rhs::Set(_)) | (CmpOp::Eq, Rhs::Ip(_))
                )
        }
        _ => false,
    })
}

/// Whether the expression requires the country (or continent) to be Tor's `T1`.
fn positive_tor(filter: &Filter) -> bool {
    let mut atoms = Vec::new();
    atoms_with_polarity(filter.expr(), true, &mut atoms);
    atoms.into_iter().any(|(e, positive)| {
        let Expr::Compare(c) = e else {
            return false;
        };
        let geo = matches!(
            field_name(&c.lhs),
            Some("ip.src.country" | "ip.geoip.country" | "ip.src.continent" | "ip.geoip.continent")
        );
        let t1 = match (c.op, &c.rhs.value) {
            (CmpOp::Eq, Rhs::String(s)) => s.eq_ignore_ascii_case("T1"),
            (CmpOp::In, Rhs::Set(items)) => items
                .iter()
                .any(|i| matches!(&i.value, SetItem::String(s) if s.eq_ignore_ascii_case("T1"))),
            _ => false,
        };
        positive && geo && t1
    })
}

/// Path strings the expression compares the path with (`eq`, `contains`, `wildcard`, sets,
/// `starts_with`), for evidence and partial API coverage.
fn path_literals(filter: &Filter) -> Vec<String> {
    let mut out = Vec::new();
    filter.expr().walk(&mut |e| match e {
        Expr::Compare(c) if field_name(&c.lhs).is_some_and(|f| PATH_FIELDS.contains(&f)) => {
            match &c.rhs.value {
                Rhs::String(s) => out.push(s.clone()),
                Rhs::Set(items) => out.extend(items.iter().filter_map(|i| match &i.value {
                    SetItem::String(s) => Some(s.clone()),
                    _ => None,
                })),
                _ => {}
            }
        }
        Expr::Value(RulesValue::Call { name, args, .. })
            if name == "starts_with" || name == "ends_with" =>
        {
            let reads_path = args.first().is_some_and(|a| {
                let mut found = false;
                a.walk(&mut |x| {
                    if let Expr::Value(v) = x {
                        if field_name(v).is_some_and(|f| PATH_FIELDS.contains(&f)) {
                            found = true;
                        }
                    }
                });
                found
            });
            if let (
                true,
                Some(Expr::Value(RulesValue::Literal(crate::rules::Literal::String(s), _))),
            ) = (reads_path, args.get(1))
            {
                out.push(s.clone());
            }
        }
        _ => {}
    });
    out
}

// ---------------------------------------------------------------------------------------------
// Classes

/// What a class check produces before the proposals are rendered.
struct Assessment {
    status: CoverageStatus,
    summary: String,
    evidence: Vec<Evidence>,
    notes: Vec<String>,
    drafts: Vec<Draft>,
}

impl Assessment {
    fn new() -> Self {
        Assessment {
            status: CoverageStatus::Gap,
            summary: String::new(),
            evidence: Vec::new(),
            notes: Vec::new(),
            drafts: Vec::new(),
        }
    }
}

/// A proposal before validation and rendering.
struct Draft {
    kind: ProposalKind,
    title: String,
    /// The expression to validate (rule drafts).
    expression: Option<String>,
    /// For rule drafts: the phase and the edits.
    phase: Option<Phase>,
    edits: Vec<Edit>,
    /// For bot management drafts: the settings body.
    settings: Option<Value>,
    /// A new IP list the rule references (account id, name).
    new_list: Option<(String, String)>,
    notes: Vec<String>,
}

impl Draft {
    fn rule(
        kind: ProposalKind,
        phase: Phase,
        title: String,
        expression: String,
        rule: Value,
    ) -> Draft {
        Draft {
            kind,
            title,
            expression: Some(expression),
            phase: Some(phase),
            edits: vec![Edit::Append(rule)],
            settings: None,
            new_list: None,
            notes: Vec::new(),
        }
    }
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn string_set(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| quote(i)).collect();
    format!("{{{}}}", quoted.join(" "))
}

fn custom_rule(action: &str, expression: &str, description: &str, reference: &str) -> Value {
    json!({
        "action": action,
        "expression": expression,
        "description": description,
        "enabled": true,
        "ref": reference,
    })
}

/// Rate limit parameters the plan allows: (period, mitigation timeout).
fn ratelimit_timing(plan: Plan) -> (u64, u64) {
    match plan {
        Plan::Free => (10, 10),
        Plan::Pro => (60, 60),
        Plan::Business | Plan::Enterprise | Plan::Unknown => (60, 600),
    }
}

fn ratelimit_rule(
    expression: &str,
    description: &str,
    reference: &str,
    requests: u64,
    plan: Plan,
) -> Value {
    let (period, timeout) = ratelimit_timing(plan);
    json!({
        "action": "block",
        "expression": expression,
        "description": description,
        "enabled": true,
        "ref": reference,
        "ratelimit": {
            "characteristics": ["cf.colo.id", "ip.src"],
            "period": period,
            "requests_per_period": requests,
            "mitigation_timeout": timeout,
        },
    })
}

fn ratelimit_notes(plan: Plan) -> Vec<String> {
    let mut notes = vec![
        "counts per IP per Cloudflare data center (characteristics cf.colo.id, ip.src); tune \
         requests_per_period to the traffic you see before switching from log to block if unsure"
            .to_owned(),
    ];
    if plan == Plan::Free {
        notes.push(
            "Free plan: one rate limiting rule, 10 s period and 10 s timeout; combine proposals \
             into one rule if the zone already has one"
                .to_owned(),
        );
    }
    notes
}

struct ExecuteState<'v, 'a> {
    rule: Option<&'v RuleView<'a>>,
    /// Enabled, not overridden to log, not disabled by overrides.
    enforcing: bool,
    /// Applies to every path.
    zone_wide: bool,
    /// Worst skip taking it away.
    skip: SkipScope,
}

impl ExecuteState<'_, '_> {
    fn full(&self) -> bool {
        self.enforcing && self.zone_wide && self.skip == SkipScope::Narrow
    }

    fn some(&self) -> bool {
        self.enforcing && self.skip != SkipScope::Everyone
    }
}

/// The first enabled execute rule of `ruleset_id` in the managed phase (or the first one at all).
fn execute_state<'v, 'a>(
    view: &'v ZoneView<'a>,
    ruleset_id: &str,
    name: &str,
    evidence: &mut Vec<Evidence>,
) -> ExecuteState<'v, 'a> {
    let candidates: Vec<&RuleView<'a>> = view
        .in_phase(Phase::HttpRequestFirewallManaged)
        .filter(|r| {
            r.action() == Some(&RuleAction::Execute)
                && r.params().and_then(|p| p.get("id")).and_then(Value::as_str) == Some(ruleset_id)
        })
        .collect();
    let chosen = candidates
        .iter()
        .find(|r| r.live())
        .or(candidates.first())
        .copied();
    let Some(rule) = chosen else {
        return ExecuteState {
            rule: None,
            enforcing: false,
            zone_wide: false,
            skip: SkipScope::Narrow,
        };
    };
    let overrides = rule.params().and_then(|p| p.get("overrides"));
    let log_override = overrides
        .and_then(|o| o.get("action"))
        .and_then(Value::as_str)
        == Some("log");
    let disabled_override = overrides
        .and_then(|o| o.get("enabled"))
        .and_then(Value::as_bool)
        == Some(false);
    let anomaly_off = ruleset_id == OWASP_RULESET
        && overrides
            .and_then(|o| o.get("rules"))
            .and_then(Value::as_array)
            .is_some_and(|rules| {
                rules.iter().any(|r| {
                    r.get("id").and_then(Value::as_str) == Some(OWASP_ANOMALY_RULE)
                        && (r.get("action").and_then(Value::as_str) == Some("log")
                            || r.get("enabled").and_then(Value::as_bool) == Some(false))
                })
            });
    let mut detail = String::new();
    let enforcing = if !rule.rule.is_enabled() {
        detail = format!("{name} deployed but the execute rule is disabled");
        false
    } else if rule.filter.is_none() {
        detail = format!("{name} deployed but the expression does not parse");
        false
    } else if log_override {
        detail = format!("{name} deployed but overridden to log only: it blocks nothing");
        false
    } else if disabled_override {
        detail = format!("{name} deployed with every rule disabled by an override");
        false
    } else if anomaly_off {
        detail = format!("{name} deployed but its anomaly-score rule logs or is disabled");
        false
    } else {
        true
    };
    let zone_wide = rule.zone_wide(view.host());
    if enforcing {
        detail = if zone_wide {
            format!("{name} deployed and enforcing")
        } else {
            format!("{name} enforcing only on some paths (the execute rule's expression restricts the path)")
        };
    }
    evidence.push(Evidence {
        reference: rule.reference(),
        detail,
        effective: enforcing,
    });
    let skip = view.skipped_by(
        SkipTarget::Managed {
            ruleset: ruleset_id,
            index: rule.index,
        },
        evidence,
    );
    ExecuteState {
        rule: Some(rule),
        enforcing,
        zone_wide,
        skip,
    }
}

/// The execute rule for `ruleset_id` with overrides that stop enforcement removed.
fn fixed_execute_rule(existing: Option<&Rule>, ruleset_id: &str, description: &str) -> Value {
    let mut params = existing
        .and_then(|r| r.action_parameters.get())
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    params.insert("id".to_owned(), json!(ruleset_id));
    if let Some(Value::Object(overrides)) = params.get_mut("overrides") {
        if overrides.get("action").and_then(Value::as_str) == Some("log") {
            overrides.remove("action");
        }
        if overrides.get("enabled").and_then(Value::as_bool) == Some(false) {
            overrides.remove("enabled");
        }
        if let Some(Value::Array(rules)) = overrides.get_mut("rules") {
            for r in rules.iter_mut() {
                if r.get("id").and_then(Value::as_str) == Some(OWASP_ANOMALY_RULE) {
                    if let Value::Object(r) = r {
                        r.insert("action".to_owned(), json!("block"));
                        r.insert("enabled".to_owned(), json!(true));
                    }
                }
            }
        }
        // An override object emptied of its only member overrides nothing.
        if overrides.is_empty() {
            params.remove("overrides");
        }
    }
    if ruleset_id == OWASP_RULESET && !params.contains_key("overrides") {
        params.insert(
            "overrides".to_owned(),
            json!({"rules": [{"id": OWASP_ANOMALY_RULE, "action": "block", "score_threshold": 40}]}),
        );
    }
    let description = existing
        .and_then(|r| r.description.as_deref())
        .unwrap_or(description);
    let mut rule = json!({
        "action": "execute",
        "expression": "true",
        "description": description,
        "enabled": true,
        "action_parameters": Value::Object(params),
    });
    if let Some(reference) = existing.and_then(|r| r.reference.as_deref()) {
        rule["ref"] = json!(reference);
    }
    rule
}

fn sqli_xss(view: &ZoneView<'_>) -> Assessment {
    let mut a = Assessment::new();
    let managed = execute_state(
        view,
        CLOUDFLARE_MANAGED_RULESET,
        "Cloudflare Managed Ruleset",
        &mut a.evidence,
    );
    let owasp = execute_state(
        view,
        OWASP_RULESET,
        "Cloudflare OWASP Core Ruleset",
        &mut a.evidence,
    );
    let free = execute_state(
        view,
        FREE_MANAGED_RULESET,
        "Cloudflare Free Managed Ruleset",
        &mut a.evidence,
    );
    let mut score_full = false;
    let mut score_some = false;
    for rule in view.in_phase(Phase::HttpRequestFirewallCustom) {
        if !rule.fields().iter().any(|f| f.starts_with("cf.waf.score")) {
            continue;
        }
        if let Some(why) = rule.not_counting() {
            if rule.near_miss() {
                a.evidence.push(Evidence {
                    reference: rule.reference(),
                    detail: format!("WAF attack score rule, but {why}"),
                    effective: false,
                });
            }
            continue;
        }
        let skip = view.skipped_by(SkipTarget::Custom { index: rule.index }, &mut a.evidence);
        let zone_wide = rule.zone_wide(view.host());
        a.evidence.push(Evidence {
            reference: rule.reference(),
            detail: format!(
                "WAF attack score rule ({}){}",
                rule.action_str(),
                if zone_wide { "" } else { " on some paths only" }
            ),
            effective: skip != SkipScope::Everyone,
        });
        score_full |= zone_wide && skip == SkipScope::Narrow;
        score_some |= skip != SkipScope::Everyone;
    }
    let covered = (managed.full() && owasp.full()) || score_full;
    let some = managed.some() || owasp.some() || free.some() || score_some;
    a.status = if covered {
        CoverageStatus::Covered
    } else if some {
        CoverageStatus::Partial
    } else {
        CoverageStatus::Gap
    };
    a.summary = match a.status {
        CoverageStatus::Covered if score_full && !(managed.full() && owasp.full()) => {
            "a WAF attack score rule blocks injection and scripting attacks".to_owned()
        }
        CoverageStatus::Covered => {
            "Cloudflare Managed and OWASP Core rulesets are deployed and enforcing".to_owned()
        }
        CoverageStatus::Partial => {
            "some managed protection enforces, but not Cloudflare Managed and OWASP together, everywhere and unbypassed".to_owned()
        }
        _ => "no managed ruleset or attack score rule enforces: attacks reach the origin".to_owned(),
    };
    if covered {
        return a;
    }
    for state in [&managed, &owasp] {
        if state.rule.is_some() && state.skip != SkipScope::Narrow {
            a.notes.push(
                "scope the skip rule listed above to something the client cannot forge (an IP list, mTLS) or to the few rules that false-positive"
                    .to_owned(),
            );
            break;
        }
    }
    let mut edits = Vec::new();
    let mut what = Vec::new();
    let wanted: &[(&str, &str, &ExecuteState<'_, '_>)] = if view.plan == Plan::Free {
        &[(
            FREE_MANAGED_RULESET,
            "Cloudflare Free Managed Ruleset",
            &free,
        )]
    } else {
        &[
            (
                CLOUDFLARE_MANAGED_RULESET,
                "Cloudflare Managed Ruleset",
                &managed,
            ),
            (OWASP_RULESET, "Cloudflare OWASP Core Ruleset", &owasp),
        ]
    };
    for (id, name, state) in wanted {
        if state.enforcing && state.zone_wide {
            continue;
        }
        let value = fixed_execute_rule(state.rule.map(|r| r.rule), id, name);
        match state.rule {
            Some(rule) => {
                what.push(format!("enforce the {name} on every request"));
                edits.push(Edit::Replace(rule.index, value));
            }
            None => {
                what.push(format!("deploy the {name}"));
                edits.push(Edit::Append(value));
            }
        }
    }
    if !edits.is_empty() {
        let mut notes = vec![
            "handle false positives with targeted exceptions (skip rules on an IP list or specific managed rules), not a ruleset-wide log override"
                .to_owned(),
        ];
        if view.plan == Plan::Free {
            notes.push(
                "Free plan: the Cloudflare Managed and OWASP Core rulesets need the Pro plan or above"
                    .to_owned(),
            );
        }
        a.drafts.push(Draft {
            kind: ProposalKind::ManagedRules,
            title: capitalize(&what.join(" and ")),
            expression: Some("true".to_owned()),
            phase: Some(Phase::HttpRequestFirewallManaged),
            edits,
            settings: None,
            new_list: None,
            notes,
        });
    }
    a
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Path coverage shared by login, API and admin classes.
struct PathCoverage {
    covered: Vec<String>,
    uncovered: Vec<String>,
    bypassable: bool,
}

impl PathCoverage {
    fn status(&self, declared: bool) -> CoverageStatus {
        let status = if self.covered.is_empty() {
            CoverageStatus::Gap
        } else if self.uncovered.is_empty() || !declared {
            CoverageStatus::Covered
        } else {
            CoverageStatus::Partial
        };
        if status == CoverageStatus::Covered && self.bypassable {
            CoverageStatus::Partial
        } else {
            status
        }
    }
}

/// Which of `paths` the enforcing rules of `phase` cover (`method` for the probe).
fn path_coverage(
    view: &ZoneView<'_>,
    phase: Phase,
    paths: &[String],
    probes: &dyn Fn(&str) -> Vec<String>,
    method: Option<&str>,
    label: &str,
    evidence: &mut Vec<Evidence>,
) -> PathCoverage {
    let mut covered = Vec::new();
    let mut bypassable = false;
    let mut listed_skips = false;
    for rule in view.in_phase(phase.clone()) {
        if rule.filter.is_none() {
            continue;
        }
        let hits: Vec<&String> = paths
            .iter()
            .filter(|p| {
                probes(p)
                    .iter()
                    .any(|probe| rule.covers_path(view.host(), probe, method))
            })
            .collect();
        if hits.is_empty() {
            continue;
        }
        let hit_list = hits
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if let Some(why) = rule.not_counting() {
            if rule.near_miss() {
                evidence.push(Evidence {
                    reference: rule.reference(),
                    detail: format!("{label} {hit_list}, but {why}"),
                    effective: false,
                });
            }
            continue;
        }
        let target = if phase == Phase::HttpRatelimit {
            SkipTarget::RateLimit { index: rule.index }
        } else {
            SkipTarget::Custom { index: rule.index }
        };
        let mut skip_evidence = Vec::new();
        let skip = view.skipped_by(target, &mut skip_evidence);
        if !listed_skips || skip == SkipScope::Everyone {
            evidence.append(&mut skip_evidence);
            listed_skips = skip != SkipScope::Narrow;
        }
        evidence.push(Evidence {
            reference: rule.reference(),
            detail: format!("{label} {hit_list} ({})", rule.action_str()),
            effective: skip != SkipScope::Everyone,
        });
        if skip == SkipScope::Everyone {
            continue;
        }
        bypassable |= skip == SkipScope::Spoofable;
        for hit in hits {
            if !covered.contains(hit) {
                covered.push(hit.clone());
            }
        }
    }
    let uncovered = paths
        .iter()
        .filter(|p| !covered.contains(p))
        .cloned()
        .collect();
    PathCoverage {
        covered,
        uncovered,
        bypassable,
    }
}

fn one(path: &str) -> Vec<String> {
    vec![path.to_owned()]
}

fn credential_stuffing(view: &ZoneView<'_>, policy: &CleanPolicy) -> Assessment {
    let mut a = Assessment::new();
    let paths = &policy.login;
    let mut coverage = path_coverage(
        view,
        Phase::HttpRatelimit,
        paths,
        &one,
        Some("POST"),
        "rate limits login path",
        &mut a.evidence,
    );
    let blocked = path_coverage(
        view,
        Phase::HttpRequestFirewallCustom,
        paths,
        &one,
        Some("POST"),
        "targets login path",
        &mut a.evidence,
    );
    for path in blocked.covered {
        if !coverage.covered.contains(&path) {
            coverage.covered.push(path.clone());
            coverage.uncovered.retain(|p| *p != path);
        }
    }
    coverage.bypassable |= blocked.bypassable;
    // Leaked credentials detection, in any phase, and the (deprecated) Exposed Credentials Check.
    let mut leaked = false;
    for rule in &view.rules {
        let fields = rule.fields();
        if !fields
            .iter()
            .any(|f| f.starts_with("cf.waf.credential_check.") || *f == "cf.waf.auth_detected")
        {
            continue;
        }
        let why = rule.not_counting();
        a.evidence.push(Evidence {
            reference: rule.reference(),
            detail: match &why {
                None => format!(
                    "acts on leaked-credential detection ({})",
                    rule.action_str()
                ),
                Some(why) => format!("uses leaked-credential detection, but {why}"),
            },
            effective: why.is_none(),
        });
        leaked |= why.is_none();
    }
    let exposed = execute_state(
        view,
        EXPOSED_CREDENTIALS_RULESET,
        "Exposed Credentials Check ruleset",
        &mut Vec::new(),
    );
    if exposed.some() {
        leaked = true;
        if let Some(rule) = exposed.rule {
            a.evidence.push(Evidence {
                reference: rule.reference(),
                detail: "Exposed Credentials Check ruleset deployed (deprecated: move to leaked credentials detection)".to_owned(),
                effective: true,
            });
        }
    }
    // Leaked-credential detection answers the class on every login path at once.
    a.status = if leaked {
        CoverageStatus::Covered
    } else {
        coverage.status(policy.login_declared)
    };
    a.summary = match a.status {
        CoverageStatus::Covered if coverage.covered.is_empty() => {
            "leaked-credential detection acts on login requests".to_owned()
        }
        CoverageStatus::Covered => format!(
            "login attempts are limited on {}",
            coverage.covered.join(", ")
        ),
        CoverageStatus::Partial if coverage.bypassable => {
            "login rate limiting exists but a skip rule keyed on client-controlled fields bypasses it".to_owned()
        }
        CoverageStatus::Partial => format!(
            "login attempts are limited on {} but not on {}",
            coverage.covered.join(", "),
            coverage.uncovered.join(", ")
        ),
        _ => format!(
            "no rate limit or leaked-credential rule covers the login paths ({})",
            paths.join(", ")
        ),
    };
    if coverage.bypassable {
        a.notes.push(
            "scope the skip rule that bypasses rate limiting to an IP list or mTLS".to_owned(),
        );
    }
    if a.status == CoverageStatus::Covered || coverage.uncovered.is_empty() {
        return a;
    }
    let targets = if policy.login_declared {
        coverage.uncovered.clone()
    } else {
        paths.clone()
    };
    if targets.is_empty() {
        return a;
    }
    let path_condition = if targets.len() == 1 {
        format!("http.request.uri.path eq {}", quote(&targets[0]))
    } else {
        format!("http.request.uri.path in {}", string_set(&targets))
    };
    let expression = if view.plan == Plan::Free {
        format!("({path_condition})")
    } else {
        format!("(http.request.method eq \"POST\" and {path_condition})")
    };
    let requests = if view.plan == Plan::Free { 5 } else { 10 };
    let rule = ratelimit_rule(
        &expression,
        "cfcp: rate limit login attempts per IP",
        "cfcp_gap_credential_stuffing",
        requests,
        view.plan,
    );
    let mut draft = Draft::rule(
        ProposalKind::RateLimitRule,
        Phase::HttpRatelimit,
        format!("Rate limit login attempts on {}", targets.join(", ")),
        expression,
        rule,
    );
    draft.notes = ratelimit_notes(view.plan);
    if !policy.login_declared {
        draft.notes.push(
            "the login paths are cfcp's defaults: declare the site's real ones (login_paths) and keep only those"
                .to_owned(),
        );
    }
    if view.plan == Plan::Enterprise {
        draft.notes.push(
            "Enterprise: also act on leaked credentials (cf.waf.credential_check.username_and_password_leaked)"
                .to_owned(),
        );
    }
    a.drafts.push(draft);
    a
}

fn api_probes(prefix: &str) -> Vec<String> {
    let base = if prefix.ends_with('/') {
        prefix.to_owned()
    } else {
        format!("{prefix}/")
    };
    vec![format!("{base}cfcp-probe"), format!("{base}v1/cfcp-probe")]
}

fn api_abuse(view: &ZoneView<'_>, policy: &CleanPolicy) -> Assessment {
    let mut a = Assessment::new();
    let prefixes = &policy.api;
    let coverage = path_coverage(
        view,
        Phase::HttpRatelimit,
        prefixes,
        &api_probes,
        None,
        "rate limits API prefix",
        &mut a.evidence,
    );
    // Narrower rate limits (one endpoint under a prefix) and zone-wide ones make it partial.
    let mut narrower = false;
    for rule in view.in_phase(Phase::HttpRatelimit) {
        let Some(filter) = &rule.filter else {
            continue;
        };
        if rule.not_counting().is_some() {
            continue;
        }
        if prefixes.iter().any(|p| {
            api_probes(p)
                .iter()
                .any(|probe| rule.covers_path(view.host(), probe, None))
        }) {
            continue;
        }
        let literals: Vec<String> = path_literals(filter)
            .into_iter()
            .filter(|l| prefixes.iter().any(|p| l.starts_with(p.as_str())))
            .collect();
        if !literals.is_empty() {
            narrower = true;
            a.evidence.push(Evidence {
                reference: rule.reference(),
                detail: format!(
                    "rate limits only {} under the API prefix",
                    literals.join(", ")
                ),
                effective: true,
            });
        } else if rule.zone_wide(view.host()) {
            narrower = true;
            a.evidence.push(Evidence {
                reference: rule.reference(),
                detail: "rate limits without constraining the path (not API-specific)".to_owned(),
                effective: true,
            });
        }
    }
    let mut status = coverage.status(policy.api_declared);
    if status == CoverageStatus::Gap && narrower {
        status = CoverageStatus::Partial;
    }
    a.status = status;
    a.summary = match status {
        CoverageStatus::Covered => format!(
            "API requests are rate limited under {}",
            coverage.covered.join(", ")
        ),
        CoverageStatus::Partial if coverage.covered.is_empty() => {
            "rate limits exist but none covers the API prefix as a whole".to_owned()
        }
        CoverageStatus::Partial if coverage.bypassable => {
            "API rate limiting exists but a skip rule keyed on client-controlled fields bypasses it"
                .to_owned()
        }
        CoverageStatus::Partial => format!(
            "API requests are rate limited under {} but not under {}",
            coverage.covered.join(", "),
            coverage.uncovered.join(", ")
        ),
        _ => format!(
            "no rate limit covers the API prefixes ({})",
            prefixes.join(", ")
        ),
    };
    if status == CoverageStatus::Covered || coverage.uncovered.is_empty() {
        if coverage.bypassable {
            a.notes.push(
                "scope the skip rule that bypasses rate limiting to an IP list or mTLS".to_owned(),
            );
        }
        return a;
    }
    let targets = &coverage.uncovered;
    let conditions: Vec<String> = targets
        .iter()
        .map(|p| format!("starts_with(http.request.uri.path, {})", quote(p)))
        .collect();
    let expression = format!("({})", conditions.join(" or "));
    let requests = if view.plan == Plan::Free { 100 } else { 600 };
    let rule = ratelimit_rule(
        &expression,
        "cfcp: rate limit API requests per IP",
        "cfcp_gap_api_abuse",
        requests,
        view.plan,
    );
    let mut draft = Draft::rule(
        ProposalKind::RateLimitRule,
        Phase::HttpRatelimit,
        format!("Rate limit API requests under {}", targets.join(", ")),
        expression,
        rule,
    );
    draft.notes = ratelimit_notes(view.plan);
    if !policy.api_declared {
        draft.notes.push(
            "the API prefix is cfcp's default: declare the zone's real ones (api_prefixes; [\"/\"] when the whole zone is an API)"
                .to_owned(),
        );
    }
    a.drafts.push(draft);
    a
}

const BOT_FIELDS: &[&str] = &[
    "cf.bot_management.score",
    "cf.bot_management.verified_bot",
    "cf.client.bot",
    "cf.verified_bot_category",
    "cf.bot_management.ja3_hash",
    "cf.bot_management.ja4",
    "cf.bot_management.detection_ids",
];

fn bots(view: &ZoneView<'_>) -> Assessment {
    let mut a = Assessment::new();
    let mut full = false;
    let mut some = false;
    if let Some(bm) = &view.zone.bot_management {
        if bm.fight_mode.copied() == Some(true) {
            full = true;
            a.evidence.push(Evidence {
                reference: "bot_management.fight_mode".to_owned(),
                detail: "Bot Fight Mode is on".to_owned(),
                effective: true,
            });
        }
        for key in ["sbfm_definitely_automated", "sbfm_likely_automated"] {
            let value = bm.extra.get(key).and_then(Value::as_str);
            if let Some(value) = value {
                let enforcing = matches!(
                    value,
                    "block" | "managed_challenge" | "challenge" | "js_challenge"
                );
                if enforcing && key == "sbfm_definitely_automated" {
                    full = true;
                }
                some |= enforcing;
                a.evidence.push(Evidence {
                    reference: format!("bot_management.{key}"),
                    detail: format!("Super Bot Fight Mode: {value}"),
                    effective: enforcing,
                });
            }
        }
        if bm.enable_js.copied() == Some(true) && !full {
            a.evidence.push(Evidence {
                reference: "bot_management.enable_js".to_owned(),
                detail: "JavaScript detections are on (they feed detection, they block nothing)"
                    .to_owned(),
                effective: false,
            });
        }
    }
    for rule in view.in_phase(Phase::HttpRequestFirewallCustom) {
        let fields = rule.fields();
        let score = fields
            .iter()
            .any(|f| f.starts_with("cf.bot_management.score"));
        if !fields
            .iter()
            .any(|f| BOT_FIELDS.contains(f) || f.starts_with("cf.bot_management."))
        {
            continue;
        }
        if let Some(why) = rule.not_counting() {
            if rule.near_miss() {
                a.evidence.push(Evidence {
                    reference: rule.reference(),
                    detail: format!("bot rule, but {why}"),
                    effective: false,
                });
            }
            continue;
        }
        let skip = view.skipped_by(SkipTarget::Custom { index: rule.index }, &mut a.evidence);
        let zone_wide = rule.zone_wide(view.host());
        let counts = skip != SkipScope::Everyone;
        a.evidence.push(Evidence {
            reference: rule.reference(),
            detail: format!(
                "{} ({}){}",
                if score {
                    "acts on the bot score"
                } else {
                    "acts on bot signals"
                },
                rule.action_str(),
                if zone_wide { "" } else { " on some paths only" }
            ),
            effective: counts,
        });
        some |= counts;
        full |= counts && score && zone_wide && skip == SkipScope::Narrow;
    }
    a.status = if full {
        CoverageStatus::Covered
    } else if some {
        CoverageStatus::Partial
    } else if view.zone.bot_management.is_none() && view.bot_management_unknown {
        CoverageStatus::Unknown
    } else {
        CoverageStatus::Gap
    };
    a.summary = match a.status {
        CoverageStatus::Covered => "automated traffic is challenged or blocked".to_owned(),
        CoverageStatus::Partial => "some bot rules, but not zone-wide bot mitigation".to_owned(),
        CoverageStatus::Unknown => "bot management could not be read".to_owned(),
        _ => "Bot Fight Mode is off and no rule acts on bots".to_owned(),
    };
    if full || a.status == CoverageStatus::Unknown {
        return a;
    }
    if view.plan == Plan::Enterprise {
        let expression =
            "(cf.bot_management.score lt 30 and not cf.bot_management.verified_bot and not cf.bot_management.static_resource)"
                .to_owned();
        let rule = custom_rule(
            "managed_challenge",
            &expression,
            "cfcp: challenge likely bots (bot score below 30)",
            "cfcp_gap_bots",
        );
        let mut draft = Draft::rule(
            ProposalKind::CustomRule,
            Phase::HttpRequestFirewallCustom,
            "Challenge requests with a bot score below 30".to_owned(),
            expression,
            rule,
        );
        draft
            .notes
            .push("verified bots and static resources are exempt".to_owned());
        a.drafts.push(draft);
    } else {
        let (settings, title) = match view.plan {
            Plan::Pro => (
                json!({"sbfm_definitely_automated": "block", "sbfm_verified_bots": "allow"}),
                "Turn on Super Bot Fight Mode: block definitely automated traffic",
            ),
            Plan::Business => (
                json!({"sbfm_definitely_automated": "block", "sbfm_likely_automated": "managed_challenge", "sbfm_verified_bots": "allow"}),
                "Turn on Super Bot Fight Mode: block definitely automated, challenge likely automated traffic",
            ),
            _ => (json!({"fight_mode": true}), "Turn on Bot Fight Mode"),
        };
        a.drafts.push(Draft {
            kind: ProposalKind::BotManagement,
            title: title.to_owned(),
            expression: None,
            phase: None,
            edits: Vec::new(),
            settings: Some(settings),
            new_list: None,
            notes: vec![
                "Bot Fight Mode cannot be skipped by WAF rules: check API clients and monitors first"
                    .to_owned(),
            ],
        });
    }
    a
}

/// Enforcing custom rules selected by `select`, with the (zone-wide, bypass) verdicts.
struct RuleHits {
    full: bool,
    some: bool,
}

fn custom_hits(
    view: &ZoneView<'_>,
    a: &mut Assessment,
    select: &dyn Fn(&RuleView<'_>, &Filter) -> Option<String>,
) -> RuleHits {
    let mut hits = RuleHits {
        full: false,
        some: false,
    };
    for rule in view.in_phase(Phase::HttpRequestFirewallCustom) {
        let Some(filter) = &rule.filter else {
            continue;
        };
        let Some(what) = select(rule, filter) else {
            continue;
        };
        if let Some(why) = rule.not_counting() {
            if rule.near_miss() {
                a.evidence.push(Evidence {
                    reference: rule.reference(),
                    detail: format!("{what}, but {why}"),
                    effective: false,
                });
            }
            continue;
        }
        let skip = view.skipped_by(SkipTarget::Custom { index: rule.index }, &mut a.evidence);
        let zone_wide = rule.zone_wide(view.host());
        let counts = skip != SkipScope::Everyone;
        a.evidence.push(Evidence {
            reference: rule.reference(),
            detail: format!(
                "{what} ({}){}",
                rule.action_str(),
                if zone_wide { "" } else { " on some paths only" }
            ),
            effective: counts,
        });
        hits.some |= counts;
        hits.full |= counts && zone_wide && skip == SkipScope::Narrow;
    }
    hits
}

fn status_of(hits: &RuleHits) -> CoverageStatus {
    if hits.full {
        CoverageStatus::Covered
    } else if hits.some {
        CoverageStatus::Partial
    } else {
        CoverageStatus::Gap
    }
}

fn known_bad_ips(view: &ZoneView<'_>) -> Assessment {
    let mut a = Assessment::new();
    let account = view.account;
    let mut empty_list = false;
    let hits = custom_hits(view, &mut a, &|_, filter| {
        let lists: Vec<String> = positive_ip_lists(filter)
            .into_iter()
            .filter(|l| match l {
                ListRef::Custom(_) => true,
                ListRef::Managed(name) => name == "malware" || name == "botnetcc",
            })
            .map(|l| format!("${}", l.name()))
            .collect();
        if !lists.is_empty() {
            Some(format!(
                "matches the source IP against {}",
                lists.join(", ")
            ))
        } else if positive_ip_set(filter) {
            Some("matches the source IP against an inline set".to_owned())
        } else {
            None
        }
    });
    // A referenced account list that is empty blocks nothing.
    for rule in view.in_phase(Phase::HttpRequestFirewallCustom) {
        let (Some(filter), Some(account)) = (&rule.filter, account) else {
            continue;
        };
        if rule.not_counting().is_some() {
            continue;
        }
        for list in positive_ip_lists(filter) {
            if let ListRef::Custom(name) = &list {
                if let Some(found) = account.list(name) {
                    let items = found
                        .list
                        .num_items
                        .copied()
                        .unwrap_or(found.items.len() as u64);
                    if items == 0 && found.items.is_empty() {
                        empty_list = true;
                        a.evidence.push(Evidence {
                            reference: format!("list ${name}"),
                            detail: "the list is empty: the rule blocks nothing".to_owned(),
                            effective: false,
                        });
                    }
                }
            }
        }
    }
    let only_inline = a
        .evidence
        .iter()
        .filter(|e| e.effective)
        .all(|e| e.detail.contains("inline set"));
    a.status = status_of(&hits);
    if a.status == CoverageStatus::Covered && (empty_list || only_inline) {
        a.status = CoverageStatus::Partial;
    }
    a.summary = match a.status {
        CoverageStatus::Covered => "an IP list of known-bad addresses is blocked".to_owned(),
        CoverageStatus::Partial => {
            "some known-bad addresses are blocked, but not zone-wide from a maintained list"
                .to_owned()
        }
        _ => "no rule blocks known-bad IPs (account lists, $cf.malware, $cf.botnetcc)".to_owned(),
    };
    if a.status == CoverageStatus::Covered {
        return a;
    }
    let (expression, new_list, notes) = if view.plan == Plan::Enterprise {
        (
            "(ip.src in $cf.malware or ip.src in $cf.botnetcc)".to_owned(),
            None,
            vec!["uses Cloudflare's managed lists (Enterprise)".to_owned()],
        )
    } else if let Some(name) = blocklist_in_use(view) {
        (
            format!("(ip.src in ${name})"),
            None,
            vec![format!(
                "reuses the account list ${name}, which other zones already block"
            )],
        )
    } else {
        let account_id =
            account.map_or_else(|| "<account id>".to_owned(), |a| a.account.id.clone());
        (
            "(ip.src in $known_bad_ips)".to_owned(),
            Some((account_id, "known_bad_ips".to_owned())),
            vec!["creates the account IP list known_bad_ips: fill it from threat intelligence (cfcp waf propose --intel)".to_owned()],
        )
    };
    let rule = custom_rule(
        "block",
        &expression,
        "cfcp: block known-bad IPs",
        "cfcp_gap_known_bad_ips",
    );
    let mut draft = Draft::rule(
        ProposalKind::CustomRule,
        Phase::HttpRequestFirewallCustom,
        "Block known-bad IPs".to_owned(),
        expression,
        rule,
    );
    draft.new_list = new_list;
    draft.notes = notes;
    a.drafts.push(draft);
    a
}

/// An account IP list another zone of the snapshot blocks, to reuse.
fn blocklist_in_use(view: &ZoneView<'_>) -> Option<String> {
    let account = view.account?;
    for zone in &view.snapshot.zones {
        for ruleset in &zone.rulesets {
            if ruleset.phase.get() != Some(&Phase::HttpRequestFirewallCustom) {
                continue;
            }
            for rule in &ruleset.rules {
                if !rule.is_enabled() || !is_enforcing(rule.action.get()) {
                    continue;
                }
                let Some(filter) = rule
                    .expression
                    .as_deref()
                    .and_then(|t| parse_filter(t).ok())
                else {
                    continue;
                };
                for list in positive_ip_lists(&filter) {
                    if let ListRef::Custom(name) = list {
                        if account.list(&name).is_some() {
                            return Some(name);
                        }
                    }
                }
            }
        }
    }
    None
}

fn anonymizers(view: &ZoneView<'_>) -> Assessment {
    let mut a = Assessment::new();
    let hits = custom_hits(view, &mut a, &|_, filter| {
        let mut what: Vec<String> = positive_ip_lists(filter)
            .into_iter()
            .filter(|l| matches!(l, ListRef::Managed(n) if n == "anonymizer" || n == "open_proxies" || n == "vpn"))
            .map(|l| format!("${}", l.name()))
            .collect();
        if positive_tor(filter) {
            what.push("Tor (T1)".to_owned());
        }
        if what.is_empty() {
            None
        } else {
            Some(format!("acts on {}", what.join(", ")))
        }
    });
    a.status = status_of(&hits);
    a.summary = match a.status {
        CoverageStatus::Covered => {
            "Tor or anonymizing proxies are challenged or blocked".to_owned()
        }
        CoverageStatus::Partial => "Tor or anonymizers are handled on some paths only".to_owned(),
        _ => "no rule acts on Tor exits or anonymizing proxies".to_owned(),
    };
    if a.status == CoverageStatus::Covered {
        return a;
    }
    let expression = if view.plan == Plan::Enterprise {
        "(ip.src.country eq \"T1\" or ip.src in $cf.anonymizer or ip.src in $cf.open_proxies)"
    } else {
        "(ip.src.country eq \"T1\")"
    }
    .to_owned();
    let rule = custom_rule(
        "managed_challenge",
        &expression,
        "cfcp: challenge Tor and anonymizers",
        "cfcp_gap_anonymizers",
    );
    let mut draft = Draft::rule(
        ProposalKind::CustomRule,
        Phase::HttpRequestFirewallCustom,
        "Challenge Tor exits and anonymizing proxies".to_owned(),
        expression,
        rule,
    );
    draft.notes.push(
        "a managed challenge keeps Tor users who can solve it; use block if the site has no such users"
            .to_owned(),
    );
    if view.plan != Plan::Enterprise {
        draft.notes.push("the managed anonymizer lists ($cf.anonymizer, $cf.open_proxies, $cf.vpn) need Enterprise".to_owned());
    }
    a.drafts.push(draft);
    a
}

fn admin_paths(view: &ZoneView<'_>, policy: &CleanPolicy) -> Assessment {
    let mut a = Assessment::new();
    let paths = &policy.admin;
    let coverage = path_coverage(
        view,
        Phase::HttpRequestFirewallCustom,
        paths,
        &one,
        None,
        "restricts admin path",
        &mut a.evidence,
    );
    a.status = coverage.status(policy.admin_declared);
    a.summary = match a.status {
        CoverageStatus::Covered => format!("admin paths are restricted: {}", coverage.covered.join(", ")),
        CoverageStatus::Partial if coverage.uncovered.is_empty() => {
            "admin paths are restricted but a skip rule keyed on client-controlled fields bypasses it".to_owned()
        }
        CoverageStatus::Partial => format!(
            "{} restricted, {} open to everyone",
            coverage.covered.join(", "),
            coverage.uncovered.join(", ")
        ),
        _ => format!("no rule restricts the admin paths ({})", paths.join(", ")),
    };
    if a.status == CoverageStatus::Covered || coverage.uncovered.is_empty() {
        return a;
    }
    let mut targets: Vec<String> = if policy.admin_declared {
        coverage.uncovered.clone()
    } else {
        paths.clone()
    };
    // `/admin` already covers `/administrator`.
    let all = targets.clone();
    targets.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q.as_str())));
    let conditions: Vec<String> = targets
        .iter()
        .map(|p| {
            format!(
                "starts_with(lower(http.request.uri.path), {})",
                quote(&p.to_lowercase())
            )
        })
        .collect();
    let expression = format!("({})", conditions.join(" or "));
    let rule = custom_rule(
        "managed_challenge",
        &expression,
        "cfcp: restrict admin paths",
        "cfcp_gap_admin_paths",
    );
    let mut draft = Draft::rule(
        ProposalKind::CustomRule,
        Phase::HttpRequestFirewallCustom,
        format!("Challenge requests to {}", targets.join(", ")),
        expression,
        rule,
    );
    draft.notes.push(
        "better: allow only your staff, e.g. add `and not ip.src in $office` and use block, or put the paths behind Cloudflare Access"
            .to_owned(),
    );
    if targets.iter().any(|p| p.starts_with("/wp-admin")) {
        draft.notes.push("WordPress front ends call /wp-admin/admin-ajax.php: exempt it if the site is WordPress".to_owned());
    }
    if !policy.admin_declared {
        draft.notes.push(
            "the admin paths are cfcp's defaults: declare the site's real ones (admin_paths)"
                .to_owned(),
        );
    }
    a.drafts.push(draft);
    a
}

fn reads_country(filter: &Filter) -> bool {
    filter.fields().iter().any(|f| COUNTRY_FIELDS.contains(f))
}

fn geo(view: &ZoneView<'_>, geo: &GeoPolicy) -> Assessment {
    let mut a = Assessment::new();
    let host = view.host();
    let mut blocked_full: Vec<String> = Vec::new();
    let mut blocked_some: Vec<String> = Vec::new();
    let mut allow_full = false;
    let mut allow_some = false;
    for rule in view.in_phase(Phase::HttpRequestFirewallCustom) {
        let Some(filter) = &rule.filter else {
            continue;
        };
        if !reads_country(filter) {
            continue;
        }
        let expr = filter.expr();
        let wide: Vec<&String> = geo
            .blocked_countries
            .iter()
            .filter(|c| eval3(expr, &Probe::country(host, c, Some(UNMENTIONED_PATH))) != Tri::False)
            .collect();
        let some: Vec<&String> = geo
            .blocked_countries
            .iter()
            .filter(|c| eval3(expr, &Probe::country(host, c, None)) != Tri::False)
            .collect();
        let allowlist = !geo.allowed_countries.is_empty()
            && eval3(expr, &Probe::country(host, UNMENTIONED_COUNTRY, None)) != Tri::False
            && geo
                .allowed_countries
                .iter()
                .all(|c| eval3(expr, &Probe::country(host, c, None)) == Tri::False);
        let allowlist_wide = allowlist
            && eval3(
                expr,
                &Probe::country(host, UNMENTIONED_COUNTRY, Some(UNMENTIONED_PATH)),
            ) != Tri::False;
        if some.is_empty() && !allowlist {
            continue;
        }
        let mut what = Vec::new();
        if !some.is_empty() {
            what.push(format!(
                "refuses {}",
                some.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if allowlist {
            what.push("refuses countries outside the allowed list".to_owned());
        }
        let what = what.join("; ");
        if let Some(why) = rule.not_counting() {
            if rule.near_miss() {
                a.evidence.push(Evidence {
                    reference: rule.reference(),
                    detail: format!("{what}, but {why}"),
                    effective: false,
                });
            }
            continue;
        }
        let skip = view.skipped_by(SkipTarget::Custom { index: rule.index }, &mut a.evidence);
        let counts = skip != SkipScope::Everyone;
        let is_wide = !wide.is_empty() || allowlist_wide;
        a.evidence.push(Evidence {
            reference: rule.reference(),
            detail: format!(
                "{what} ({}){}",
                rule.action_str(),
                if is_wide { "" } else { " on some paths only" }
            ),
            effective: counts,
        });
        if !counts {
            continue;
        }
        let clean = skip == SkipScope::Narrow;
        for c in wide {
            if clean && !blocked_full.contains(c) {
                blocked_full.push(c.clone());
            }
        }
        for c in some {
            if !blocked_some.contains(c) {
                blocked_some.push(c.clone());
            }
        }
        allow_full |= allowlist_wide && clean;
        allow_some |= allowlist;
    }
    let missing: Vec<String> = geo
        .blocked_countries
        .iter()
        .filter(|c| !blocked_full.contains(c))
        .cloned()
        .collect();
    let allow_needed = !geo.allowed_countries.is_empty();
    let blocked_ok = missing.is_empty();
    let allow_ok = !allow_needed || allow_full;
    a.status = if blocked_ok && allow_ok {
        CoverageStatus::Covered
    } else if !blocked_some.is_empty()
        || allow_some
        || (!geo.blocked_countries.is_empty() && missing.len() < geo.blocked_countries.len())
        || (allow_full && !blocked_ok)
    {
        CoverageStatus::Partial
    } else {
        CoverageStatus::Gap
    };
    let mut summary = Vec::new();
    if !geo.blocked_countries.is_empty() {
        if blocked_ok {
            summary.push(format!(
                "{} refused zone-wide",
                geo.blocked_countries.join(", ")
            ));
        } else {
            summary.push(format!("not refused zone-wide: {}", missing.join(", ")));
        }
    }
    if allow_needed {
        summary.push(if allow_ok {
            "only the allowed countries get through".to_owned()
        } else {
            format!(
                "no zone-wide rule limits traffic to {}",
                geo.allowed_countries.join(", ")
            )
        });
    }
    a.summary = summary.join("; ");
    if !blocked_ok {
        let expression = if missing.len() == 1 {
            format!("(ip.src.country eq {})", quote(&missing[0]))
        } else {
            format!("(ip.src.country in {})", string_set(&missing))
        };
        let rule = custom_rule(
            "block",
            &expression,
            "cfcp: geo policy: blocked countries",
            "cfcp_gap_geo_blocked",
        );
        a.drafts.push(Draft::rule(
            ProposalKind::CustomRule,
            Phase::HttpRequestFirewallCustom,
            format!("Block traffic from {}", missing.join(", ")),
            expression,
            rule,
        ));
    }
    if !allow_ok {
        let expression = format!(
            "(not ip.src.country in {})",
            string_set(&geo.allowed_countries)
        );
        let rule = custom_rule(
            "block",
            &expression,
            "cfcp: geo policy: allowed countries only",
            "cfcp_gap_geo_allowed",
        );
        let mut draft = Draft::rule(
            ProposalKind::CustomRule,
            Phase::HttpRequestFirewallCustom,
            format!(
                "Block traffic from outside {}",
                geo.allowed_countries.join(", ")
            ),
            expression,
            rule,
        );
        draft.notes.push("this also blocks search-engine crawlers abroad: add `and not cf.client.bot` to keep verified bots".to_owned());
        a.drafts.push(draft);
    }
    a
}

// ---------------------------------------------------------------------------------------------
// Zone assembly, proposals, HCL

fn zone_gaps(snapshot: &Snapshot, zone: &ZoneSnapshot, policy: &CleanPolicy) -> ZoneGaps {
    let view = ZoneView::new(snapshot, zone);
    let mut assessed = vec![
        (ThreatClass::SqliXss, sqli_xss(&view)),
        (
            ThreatClass::CredentialStuffing,
            credential_stuffing(&view, policy),
        ),
        (ThreatClass::ApiAbuse, api_abuse(&view, policy)),
        (ThreatClass::Bots, bots(&view)),
        (ThreatClass::KnownBadIps, known_bad_ips(&view)),
        (ThreatClass::Anonymizers, anonymizers(&view)),
        (ThreatClass::AdminPaths, admin_paths(&view, policy)),
    ];
    if let Some(g) = &policy.geo {
        assessed.push((ThreatClass::Geo, geo(&view, g)));
    }
    let mut classes = Vec::new();
    for (class, mut a) in assessed {
        let rules_based = class != ThreatClass::Bots;
        if rules_based && view.rulesets_unknown && a.status != CoverageStatus::Covered {
            a.status = CoverageStatus::Unknown;
            a.summary = "the zone's rulesets could not be read".to_owned();
            a.drafts.clear();
        }
        let mut proposals = Vec::new();
        for draft in a.drafts {
            match render_draft(&view, draft) {
                Ok(p) => proposals.push(p),
                Err(note) => a.notes.push(note),
            }
        }
        classes.push(ClassCoverage {
            class,
            status: a.status,
            summary: a.summary,
            evidence: a.evidence,
            proposals,
            notes: a.notes,
        });
    }
    let (terraform, api) = combined(&view, &classes);
    ZoneGaps {
        zone: zone.zone.name.clone(),
        zone_id: zone.zone.id.clone(),
        plan: zone.zone.plan_name().map(str::to_owned),
        classes,
        terraform,
        api,
    }
}

fn render_draft(view: &ZoneView<'_>, draft: Draft) -> Result<Proposal, String> {
    if let Some(expression) = &draft.expression {
        if let Err(err) = parse_filter(expression) {
            return Err(format!(
                "proposal {:?} dropped: the engine rejects its expression {expression:?}: {}",
                draft.title, err.message
            ));
        }
    }
    for edit in &draft.edits {
        let rule = match edit {
            Edit::Append(r) | Edit::Replace(_, r) => r,
        };
        if let Some(text) = rule.get("expression").and_then(Value::as_str) {
            if let Err(err) = parse_filter(text) {
                return Err(format!(
                    "proposal {:?} dropped: the engine rejects {text:?}: {}",
                    draft.title, err.message
                ));
            }
        }
    }
    let zone_id = &view.zone.zone.id;
    let mut api = Vec::new();
    let mut hcl = String::new();
    let extra_hcl = draft
        .new_list
        .as_ref()
        .map(|(account_id, name)| list_hcl(account_id, name));
    if let Some((account_id, name)) = &draft.new_list {
        api.push(ApiCall {
            method: "POST".to_owned(),
            path: format!("/accounts/{account_id}/rules/lists"),
            body: json!({"name": name, "kind": "ip", "description": "Known-bad IPs (cfcp)"}),
        });
    }
    if let Some(extra) = &extra_hcl {
        hcl.push_str(extra);
        hcl.push('\n');
    }
    let mut notes = draft.notes;
    if let Some(phase) = &draft.phase {
        let calls = api_calls(view, phase, &draft.edits);
        if calls.iter().any(|c| c.method == "PUT") {
            notes.push(format!(
                "the PUT creates (or replaces) the whole {phase} entrypoint with these rules: to apply several proposals for this phase, use the zone's combined calls or Terraform"
            ));
        }
        api.extend(calls);
        hcl.push_str(&ruleset_hcl(view, phase, &draft.edits));
    }
    if let Some(settings) = &draft.settings {
        api.push(ApiCall {
            method: "PUT".to_owned(),
            path: format!("/zones/{zone_id}/bot_management"),
            body: settings.clone(),
        });
        hcl.push_str(&bot_management_hcl(view, settings));
    }
    let rules = draft
        .edits
        .iter()
        .map(|e| match e {
            Edit::Append(r) | Edit::Replace(_, r) => r.clone(),
        })
        .collect();
    Ok(Proposal {
        kind: draft.kind,
        title: draft.title,
        phase: draft.phase.as_ref().map(|p| p.as_str().to_owned()),
        expression: draft.expression,
        rules,
        api,
        hcl,
        notes,
        edits: draft.edits,
        extra_hcl,
    })
}

/// The API calls that make `edits` to the zone's entrypoint of `phase`: `POST`/`PATCH` on an
/// existing entrypoint, one `PUT` of the whole rule list when there is none (or a rule to replace
/// has no id).
fn api_calls(view: &ZoneView<'_>, phase: &Phase, edits: &[Edit]) -> Vec<ApiCall> {
    let zone_id = &view.zone.zone.id;
    let ruleset = view.zone.ruleset(phase);
    let put = || ApiCall {
        method: "PUT".to_owned(),
        path: format!("/zones/{zone_id}/rulesets/phases/{phase}/entrypoint"),
        body: json!({"rules": match ruleset {
            Some(r) => apply_edits(r, edits),
            None => apply_edits_to(Vec::new(), edits),
        }}),
    };
    let (Some(ruleset), Some(id)) = (ruleset, ruleset.and_then(|r| r.id.as_deref())) else {
        return vec![put()];
    };
    let mut calls = Vec::new();
    for edit in edits {
        match edit {
            Edit::Append(rule) => calls.push(ApiCall {
                method: "POST".to_owned(),
                path: format!("/zones/{zone_id}/rulesets/{id}/rules"),
                body: rule.clone(),
            }),
            Edit::Replace(index, rule) => {
                match ruleset.rules.get(*index).and_then(|r| r.id.as_deref()) {
                    Some(rule_id) => calls.push(ApiCall {
                        method: "PATCH".to_owned(),
                        path: format!("/zones/{zone_id}/rulesets/{id}/rules/{rule_id}"),
                        body: rule.clone(),
                    }),
                    None => return vec![put()],
                }
            }
        }
    }
    calls
}

/// Rule members the provider's `rules` attribute takes, in writing order.
const RULE_ATTRIBUTES: &[&str] = &[
    "ref",
    "description",
    "expression",
    "action",
    "enabled",
    "action_parameters",
    "ratelimit",
    "logging",
    "exposed_credential_check",
];

/// A rule as the provider's `rules` attribute takes it: known members only, in a fixed order.
fn provider_rule(rule: &Value) -> Value {
    let mut out = Map::new();
    for key in RULE_ATTRIBUTES {
        if let Some(value) = rule.get(*key) {
            if !value.is_null() {
                out.insert((*key).to_owned(), value.clone());
            }
        }
    }
    Value::Object(out)
}

fn existing_rules(ruleset: &Ruleset) -> Vec<Value> {
    ruleset
        .rules
        .iter()
        .map(|r| provider_rule(&serde_json::to_value(r).unwrap_or(Value::Null)))
        .collect()
}

fn apply_edits(ruleset: &Ruleset, edits: &[Edit]) -> Vec<Value> {
    apply_edits_to(existing_rules(ruleset), edits)
}

fn apply_edits_to(mut rules: Vec<Value>, edits: &[Edit]) -> Vec<Value> {
    for edit in edits {
        match edit {
            Edit::Replace(index, rule) => match rules.get_mut(*index) {
                Some(slot) => *slot = provider_rule(rule),
                None => rules.push(provider_rule(rule)),
            },
            Edit::Append(rule) => rules.push(provider_rule(rule)),
        }
    }
    rules
}

fn label(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "z_");
    }
    out
}

fn phase_label(phase: &Phase) -> &'static str {
    match phase {
        Phase::HttpRequestFirewallCustom => "waf_custom",
        Phase::HttpRequestFirewallManaged => "waf_managed",
        Phase::HttpRatelimit => "rate_limit",
        _ => "ruleset",
    }
}

fn ruleset_hcl(view: &ZoneView<'_>, phase: &Phase, edits: &[Edit]) -> String {
    let existing = view.zone.ruleset(phase);
    let rules = match existing {
        Some(r) => apply_edits(r, edits),
        None => apply_edits_to(Vec::new(), edits),
    };
    let name = existing
        .and_then(|r| r.name.as_deref())
        .unwrap_or("default");
    let mut out = String::new();
    if existing.is_some_and(|r| !r.rules.is_empty()) {
        out.push_str("# The resource owns the whole phase entrypoint: the existing rules are kept, in order.\n");
    }
    let _ = writeln!(
        out,
        "resource \"cloudflare_ruleset\" \"{}_{}\" {{",
        label(&view.zone.zone.name),
        phase_label(phase)
    );
    let _ = writeln!(out, "  zone_id = {}", hcl_string(&view.zone.zone.id));
    let _ = writeln!(out, "  name    = {}", hcl_string(name));
    let _ = writeln!(out, "  kind    = \"zone\"");
    let _ = writeln!(out, "  phase   = {}", hcl_string(phase.as_str()));
    out.push_str("  rules = ");
    hcl_value(&Value::Array(rules), 1, &mut out);
    out.push_str("\n}\n");
    out
}

fn bot_management_hcl(view: &ZoneView<'_>, settings: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "resource \"cloudflare_bot_management\" \"{}\" {{",
        label(&view.zone.zone.name)
    );
    let _ = writeln!(out, "  zone_id = {}", hcl_string(&view.zone.zone.id));
    if let Some(map) = settings.as_object() {
        for (key, value) in map {
            let _ = write!(out, "  {key} = ");
            hcl_value(value, 1, &mut out);
            out.push('\n');
        }
    }
    out.push_str("}\n");
    out
}

fn list_hcl(account_id: &str, name: &str) -> String {
    format!(
        "resource \"cloudflare_list\" \"{}\" {{\n  account_id  = {}\n  name        = {}\n  kind        = \"ip\"\n  description = \"Known-bad IPs (cfcp)\"\n}}\n",
        label(name),
        hcl_string(account_id),
        hcl_string(name)
    )
}

/// Every proposal of the zone at once: one Terraform file (one resource per phase with all edits
/// applied) and the API calls in order (lists first, then rules, then settings).
fn combined(view: &ZoneView<'_>, classes: &[ClassCoverage]) -> (String, Vec<ApiCall>) {
    let mut per_phase: BTreeMap<String, (Phase, Vec<Edit>)> = BTreeMap::new();
    let mut extra = Vec::new();
    let mut list_calls = Vec::new();
    let mut settings = Map::new();
    for proposal in classes.iter().flat_map(|c| &c.proposals) {
        if let Some(phase) = &proposal.phase {
            let entry = per_phase
                .entry(phase.clone())
                .or_insert_with(|| (Phase::from(phase.as_str()), Vec::new()));
            entry.1.extend(proposal.edits.iter().cloned());
        }
        if let Some(hcl) = &proposal.extra_hcl {
            if !extra.contains(hcl) {
                extra.push(hcl.clone());
                list_calls.extend(
                    proposal
                        .api
                        .iter()
                        .filter(|c| c.path.ends_with("/rules/lists"))
                        .cloned(),
                );
            }
        }
        if proposal.kind == ProposalKind::BotManagement {
            if let Some(Value::Object(body)) = proposal.api.last().map(|c| &c.body) {
                settings.extend(body.clone());
            }
        }
    }
    let mut out = String::new();
    let mut calls = list_calls;
    for hcl in extra {
        out.push_str(&hcl);
        out.push('\n');
    }
    for (phase, edits) in per_phase.values() {
        out.push_str(&ruleset_hcl(view, phase, edits));
        out.push('\n');
        calls.extend(api_calls(view, phase, edits));
    }
    if !settings.is_empty() {
        let body = Value::Object(settings);
        out.push_str(&bot_management_hcl(view, &body));
        calls.push(ApiCall {
            method: "PUT".to_owned(),
            path: format!("/zones/{}/bot_management", view.zone.zone.id),
            body,
        });
    }
    (out, calls)
}

/// An HCL string literal: `"`, `\` and control characters escaped, `${` and `%{` doubled so they
/// are not template sequences.
fn hcl_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hcl_key(key: &str) -> String {
    let identifier = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !matches!(key, "true" | "false" | "null");
    if identifier {
        key.to_owned()
    } else {
        hcl_string(key)
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// Writes a JSON value as an HCL expression (objects with `key = value` lines, tuples).
fn hcl_value(value: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent + 1);
    let close = "  ".repeat(indent);
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&hcl_string(s)),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) if items.iter().all(is_scalar) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                hcl_value(item, indent, out);
            }
            out.push(']');
        }
        Value::Array(items) => {
            out.push_str("[\n");
            for item in items {
                out.push_str(&pad);
                hcl_value(item, indent + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&close);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push_str("{\n");
            let width = map.keys().map(|k| hcl_key(k).len()).max().unwrap_or(0);
            for (key, item) in map {
                let key = hcl_key(key);
                let _ = write!(out, "{pad}{key:width$} = ");
                hcl_value(item, indent + 1, out);
                out.push('\n');
            }
            out.push_str(&close);
            out.push('}');
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

impl GapReport {
    /// The report as pretty-printed JSON (format [`FORMAT`]) with a trailing newline.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Counts of classes per status over all zones: (covered, partial, gap, unknown).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut counts = (0, 0, 0, 0);
        for class in self.zones.iter().flat_map(|z| &z.classes) {
            match class.status {
                CoverageStatus::Covered => counts.0 += 1,
                CoverageStatus::Partial => counts.1 += 1,
                CoverageStatus::Gap => counts.2 += 1,
                CoverageStatus::Unknown => counts.3 += 1,
            }
        }
        counts
    }

    /// A plain-text report for terminals.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let (covered, partial, gap, unknown) = self.counts();
        let _ = writeln!(
            out,
            "WAF coverage gaps (snapshot taken {}): {covered} covered, {partial} partial, {gap} gaps, {unknown} unknown",
            self.taken_at
        );
        for error in &self.errors {
            let _ = writeln!(out, "error: {error}");
        }
        for zone in &self.zones {
            let _ = writeln!(
                out,
                "\n{}{}",
                zone.zone,
                zone.plan
                    .as_deref()
                    .map_or(String::new(), |p| format!(" ({p})"))
            );
            for class in &zone.classes {
                let _ = writeln!(
                    out,
                    "  [{:<7}] {}: {}",
                    class.status.as_str().to_uppercase(),
                    class.class.title(),
                    class.summary
                );
                for e in &class.evidence {
                    let _ = writeln!(
                        out,
                        "      {} {}: {}",
                        if e.effective { "+" } else { "-" },
                        e.reference,
                        e.detail
                    );
                }
                for note in &class.notes {
                    let _ = writeln!(out, "      note: {note}");
                }
                for p in &class.proposals {
                    let _ = writeln!(out, "      proposal: {}", p.title);
                    if let Some(expression) = &p.expression {
                        let _ = writeln!(out, "        expression: {expression}");
                    }
                    for call in &p.api {
                        let _ = writeln!(out, "        api: {}", call.to_line());
                    }
                    for note in &p.notes {
                        let _ = writeln!(out, "        note: {note}");
                    }
                }
            }
        }
        out
    }

    /// A Markdown report (for merge requests): a table per zone, then proposals with their API
    /// payloads and HCL.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# WAF coverage gaps\n\n");
        let (covered, partial, gap, unknown) = self.counts();
        let _ = writeln!(
            out,
            "Snapshot taken {}: **{covered}** covered, **{partial}** partial, **{gap}** gaps, **{unknown}** unknown.\n",
            self.taken_at
        );
        for error in &self.errors {
            let _ = writeln!(out, "> **Error:** {}\n", md_cell(error));
        }
        for zone in &self.zones {
            let _ = writeln!(
                out,
                "## {}{}\n",
                zone.zone,
                zone.plan
                    .as_deref()
                    .map_or(String::new(), |p| format!(" ({p})"))
            );
            out.push_str("| Threat class | Status | Summary | Evidence |\n|---|---|---|---|\n");
            for class in &zone.classes {
                let evidence: Vec<String> = class
                    .evidence
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {}: {}",
                            if e.effective { "✔" } else { "✘" },
                            e.reference,
                            e.detail
                        )
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "| {} | **{}** | {} | {} |",
                    class.class.title(),
                    class.status.as_str(),
                    md_cell(&class.summary),
                    md_cell(&evidence.join("<br>"))
                );
            }
            out.push('\n');
            for class in &zone.classes {
                for note in &class.notes {
                    let _ = writeln!(out, "- *{}*: {}", class.class.title(), md_cell(note));
                }
                for p in &class.proposals {
                    let _ = writeln!(out, "\n### {}: {}\n", class.class.title(), p.title);
                    if let Some(expression) = &p.expression {
                        let _ = writeln!(out, "Expression: `{}`\n", expression.replace('`', "'"));
                    }
                    for note in &p.notes {
                        let _ = writeln!(out, "- {note}");
                    }
                    if !p.notes.is_empty() {
                        out.push('\n');
                    }
                    out.push_str("```http\n");
                    for call in &p.api {
                        let body = serde_json::to_string_pretty(&call.body).unwrap_or_default();
                        let _ = writeln!(out, "{} {}\n{body}", call.method, call.path);
                    }
                    out.push_str("```\n\n```hcl\n");
                    out.push_str(&p.hcl);
                    out.push_str("```\n");
                }
            }
        }
        out
    }

    /// The coverage as invariant findings: one per zone and class, check ids
    /// `waf_gap_<class>` (covered is PASS, partial and gap are FAIL, unknown is UNKNOWN).
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for zone in &self.zones {
            for class in &zone.classes {
                out.push(finding(zone, class));
            }
        }
        out
    }
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn finding(zone: &ZoneGaps, class: &ClassCoverage) -> Finding {
    let status = match class.status {
        CoverageStatus::Covered => Status::Pass,
        CoverageStatus::Partial | CoverageStatus::Gap => Status::Fail,
        CoverageStatus::Unknown => Status::Unknown,
    };
    let mut message = format!("{}: {}", class.status.as_str(), class.summary);
    let evidence: Vec<String> = class
        .evidence
        .iter()
        .map(|e| {
            format!(
                "{}{}: {}",
                if e.effective { "" } else { "(not counted) " },
                e.reference,
                e.detail
            )
        })
        .collect();
    if !evidence.is_empty() {
        let _ = write!(message, " [{}]", evidence.join("; "));
    }
    let mut text: Vec<String> = class.proposals.iter().map(|p| p.title.clone()).collect();
    text.extend(class.notes.iter().cloned());
    Finding {
        check_id: Cow::Borrowed(class.class.check_id()),
        title: Cow::Borrowed(class.class.finding_title()),
        severity: class.class.severity(),
        status,
        resource: Resource {
            kind: "zone".into(),
            id: zone.zone_id.clone().into(),
            name: zone.zone.clone().into(),
            zone: Some(zone.zone.clone().into()),
        },
        message,
        remediation: Remediation {
            text: Text::Owned(text.join(". ")),
            terraform: class
                .proposals
                .iter()
                .map(|p| p.hcl.as_str())
                .collect::<Vec<_>>()
                .join("\n")
                .into(),
            api: class
                .proposals
                .iter()
                .flat_map(|p| p.api.iter().map(ApiCall::to_line))
                .collect::<Vec<_>>()
                .join("\n")
                .into(),
        },
        compliance: class
            .class
            .compliance()
            .iter()
            .map(|c| Cow::Borrowed(*c))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot_with(plan: &str, rulesets: Value, bot: Value, gaps: Value) -> Snapshot {
        let doc = json!({
            "format": "cfcp.snapshot/v1",
            "taken_at": "2026-11-01T12:00:00Z",
            "source": {"kind": "file"},
            "accounts": [{
                "account": {"id": "acc1", "name": "Example"},
                "lists": [
                    {"list": {"id": "l1", "name": "bad_ips", "kind": "ip", "num_items": 3}, "items": []},
                    {"list": {"id": "l2", "name": "empty_list", "kind": "ip", "num_items": 0}, "items": []}
                ]
            }],
            "zones": [{
                "zone": {"id": "z1", "name": "example.com", "account": {"id": "acc1"},
                         "plan": {"name": format!("{plan} Website"), "legacy_id": plan.to_lowercase()}},
                "rulesets": rulesets,
                "bot_management": bot
            }],
            "gaps": gaps
        });
        Snapshot::from_json_str(&doc.to_string()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn snapshot(plan: &str, rulesets: Value) -> Snapshot {
        snapshot_with(plan, rulesets, Value::Null, json!([]))
    }

    fn ruleset(phase: &str, rules: Value) -> Value {
        json!({"id": format!("rs_{phase}"), "kind": "zone", "phase": phase, "rules": rules})
    }

    fn rule(id: &str, action: &str, expression: &str) -> Value {
        json!({"id": id, "action": action, "expression": expression, "enabled": true})
    }

    fn ratelimit(id: &str, action: &str, expression: &str) -> Value {
        let mut r = rule(id, action, expression);
        r["ratelimit"] = json!({"characteristics": ["cf.colo.id", "ip.src"], "period": 60,
            "requests_per_period": 10, "mitigation_timeout": 600});
        r
    }

    fn execute(id: &str, ruleset_id: &str, overrides: Value) -> Value {
        let mut params = json!({"id": ruleset_id});
        if !overrides.is_null() {
            params["overrides"] = overrides;
        }
        json!({"id": id, "action": "execute", "expression": "true", "enabled": true,
               "action_parameters": params})
    }

    fn assess(s: &Snapshot, policy: &GapPolicy, class: ThreatClass) -> ClassCoverage {
        let report = gaps(s, None, policy);
        report.zones[0]
            .class(class)
            .cloned()
            .unwrap_or_else(|| panic!("class {class:?} not assessed"))
    }

    fn status(rulesets: Value, class: ThreatClass) -> CoverageStatus {
        assess(
            &snapshot("Business", rulesets),
            &GapPolicy::default(),
            class,
        )
        .status
    }

    fn filter(text: &str) -> Filter {
        parse_filter(text).unwrap_or_else(|e| panic!("{text}: {}", e.render(text)))
    }

    fn view_rule(text: &str) -> RuleView<'static> {
        let rule: &'static Rule = Box::leak(Box::new(
            serde_json::from_value(rule("r", "block", text)).unwrap_or_else(|e| panic!("{e}")),
        ));
        RuleView {
            phase: Phase::HttpRequestFirewallCustom,
            index: 0,
            rule,
            filter: Some(filter(text)),
        }
    }

    // ---- three-valued path coverage ----------------------------------------------------------

    #[test]
    fn path_coverage_follows_the_path_operators() {
        let host = "example.com";
        for (text, path) in [
            (r#"http.request.uri.path eq "/login""#, "/login"),
            (
                r#"starts_with(http.request.uri.path, "/admin")"#,
                "/admin/users",
            ),
            (
                r#"http.request.uri.path contains "/wp-admin""#,
                "/blog/wp-admin/x",
            ),
            (
                r#"http.request.uri.path wildcard "/api/*""#,
                "/api/v1/cfcp-probe",
            ),
            (
                r#"http.request.uri.path matches "^/user/[a-z]+$""#,
                "/user/login",
            ),
            (
                r#"lower(http.request.uri.path) in {"/signin" "/login"}"#,
                "/signin",
            ),
            (
                r#"http.request.uri.path eq "/login" and ip.src in $office"#,
                "/login",
            ),
            (
                r#"http.request.uri.path eq "/login" and http.request.method eq "POST""#,
                "/login",
            ),
        ] {
            let r = view_rule(text);
            assert!(
                r.covers_path(host, path, Some("POST")),
                "{text} should cover {path}"
            );
            assert!(!r.zone_wide(host), "{text} is path-restricted");
        }
        for (text, path) in [
            ("true", "/login"),
            ("ip.src in $bad_ips", "/login"),
            (r#"not http.request.uri.path eq "/health""#, "/login"),
            (
                r#"http.request.uri.path eq "/admin" and http.request.uri.path eq "/internal""#,
                "/admin",
            ),
            (
                r#"http.request.uri.path eq "/login" and http.request.method eq "GET""#,
                "/login",
            ),
            (r#"http.request.uri.path eq "/api/login""#, "/login"),
            (r#"http.user_agent contains "/login""#, "/login"),
        ] {
            let r = view_rule(text);
            assert!(
                !r.covers_path(host, path, Some("POST")),
                "{text} must not cover {path}"
            );
        }
        assert!(view_rule("true").zone_wide(host));
        assert!(view_rule("ip.src in $bad_ips").zone_wide(host));
    }

    #[test]
    fn three_valued_logic_is_kleene() {
        let probe = Probe::path("example.com", "/login", None);
        let eval = |text: &str| eval3(filter(text).expr(), &probe);
        assert_eq!(eval(r#"http.request.uri.path eq "/login""#), Tri::True);
        assert_eq!(eval("ssl"), Tri::Unknown);
        assert_eq!(
            eval(r#"ssl or http.request.uri.path eq "/login""#),
            Tri::True
        );
        assert_eq!(eval(r#"ssl and http.request.uri.path eq "/x""#), Tri::False);
        assert_eq!(
            eval(r#"ssl xor http.request.uri.path eq "/x""#),
            Tri::Unknown
        );
        assert_eq!(
            eval(r#"http.request.uri.path eq "/login" xor http.request.uri.path eq "/x""#),
            Tri::True
        );
        assert_eq!(
            eval(r#"not (ssl and http.request.uri.path eq "/x")"#),
            Tri::True
        );
        assert_eq!(eval("true"), Tri::True);
    }

    #[test]
    fn polarity_separates_blocklists_from_allowlists() {
        let lists = |t: &str| positive_ip_lists(&filter(t));
        assert_eq!(
            lists("ip.src in $bad_ips"),
            vec![ListRef::Custom("bad_ips".into())]
        );
        assert!(lists("not ip.src in $office").is_empty());
        assert!(lists("ip.src in $a xor ssl").is_empty());
        assert_eq!(
            lists("not not ip.src in $cf.malware"),
            vec![ListRef::Managed("malware".into())]
        );
        assert!(positive_tor(&filter(r#"ip.src.country in {"T1" "KP"}"#)));
        assert!(positive_tor(&filter(r#"ip.src.continent eq "T1""#)));
        assert!(!positive_tor(&filter(r#"ip.src.country ne "T1""#)));
        assert!(!positive_tor(&filter(r#"not ip.src.country eq "T1""#)));
        assert!(positive_ip_set(&filter("ip.src in {192.0.2.0/24}")));
        assert!(!positive_ip_set(&filter("not ip.src in {192.0.2.0/24}")));
        assert!(positive_ip_set(&filter("ip.src eq 192.0.2.1")));
        assert!(!positive_ip_set(&filter("ip.src ne 192.0.2.1")));
    }

    #[test]
    fn skip_scope_is_judged_by_fields() {
        let scope = |t: &str| skip_scope(&filter(t), "example.com");
        assert_eq!(scope("true"), SkipScope::Everyone);
        assert_eq!(
            scope(r#"http.request.uri.path ne "/x""#),
            SkipScope::Everyone
        );
        assert_eq!(
            scope(r#"http.user_agent contains "Partner""#),
            SkipScope::Spoofable
        );
        assert_eq!(
            scope(r#"http.request.headers["x-key"][0] eq "k""#),
            SkipScope::Spoofable
        );
        assert_eq!(
            scope(r#"ip.src in $partners and http.user_agent contains "P""#),
            SkipScope::Narrow
        );
        assert_eq!(
            scope(r#"http.request.uri.path eq "/upload""#),
            SkipScope::Narrow
        );
        assert!(super::super::client_controlled(
            "http.request.headers.names"
        ));
        assert!(!super::super::client_controlled("http.request.headersx"));
    }

    // ---- SQLi / XSS ---------------------------------------------------------------------------

    #[test]
    fn sqli_covered_by_managed_and_owasp() {
        let rs = json!([ruleset(
            "http_request_firewall_managed",
            json!([
                execute("m", CLOUDFLARE_MANAGED_RULESET, Value::Null),
                execute(
                    "o",
                    OWASP_RULESET,
                    json!({"rules": [{"id": OWASP_ANOMALY_RULE, "action": "block", "score_threshold": 40}]})
                ),
            ])
        )]);
        let c = assess(
            &snapshot("Business", rs),
            &GapPolicy::default(),
            ThreatClass::SqliXss,
        );
        assert_eq!(c.status, CoverageStatus::Covered);
        assert!(c.proposals.is_empty());
        assert_eq!(c.evidence.iter().filter(|e| e.effective).count(), 2);
    }

    #[test]
    fn sqli_gap_partial_and_their_proposals() {
        // Nothing deployed: a gap, and the proposal deploys both rulesets.
        let c = assess(
            &snapshot("Business", json!([])),
            &GapPolicy::default(),
            ThreatClass::SqliXss,
        );
        assert_eq!(c.status, CoverageStatus::Gap);
        let p = &c.proposals[0];
        assert_eq!(p.kind, ProposalKind::ManagedRules);
        assert_eq!(p.rules.len(), 2);
        assert_eq!(p.api[0].method, "PUT");
        // Managed only: partial.
        let managed_only = json!([ruleset(
            "http_request_firewall_managed",
            json!([execute("m", CLOUDFLARE_MANAGED_RULESET, Value::Null)])
        )]);
        assert_eq!(
            status(managed_only, ThreatClass::SqliXss),
            CoverageStatus::Partial
        );
        // Overridden to log, OWASP anomaly rule logging, or disabled: nothing enforces.
        for rules in [
            json!([execute(
                "m",
                CLOUDFLARE_MANAGED_RULESET,
                json!({"action": "log"})
            )]),
            json!([execute(
                "o",
                OWASP_RULESET,
                json!({"rules": [{"id": OWASP_ANOMALY_RULE, "action": "log"}]})
            )]),
            json!([execute(
                "m",
                CLOUDFLARE_MANAGED_RULESET,
                json!({"enabled": false})
            )]),
            json!([{"id": "m", "action": "execute", "expression": "true", "enabled": false,
                    "action_parameters": {"id": CLOUDFLARE_MANAGED_RULESET}}]),
        ] {
            let c = assess(
                &snapshot(
                    "Business",
                    json!([ruleset("http_request_firewall_managed", rules)]),
                ),
                &GapPolicy::default(),
                ThreatClass::SqliXss,
            );
            assert_eq!(c.status, CoverageStatus::Gap, "{:?}", c.evidence);
            assert!(c.evidence.iter().any(|e| !e.effective));
        }
        // Log override fixed by a PATCH of the existing rule.
        let c = assess(
            &snapshot(
                "Business",
                json!([ruleset(
                    "http_request_firewall_managed",
                    json!([execute(
                        "m",
                        CLOUDFLARE_MANAGED_RULESET,
                        json!({"action": "log"})
                    )])
                )]),
            ),
            &GapPolicy::default(),
            ThreatClass::SqliXss,
        );
        let p = &c.proposals[0];
        assert_eq!(p.api[0].method, "PATCH");
        assert!(p.api[0]
            .path
            .ends_with("/rulesets/rs_http_request_firewall_managed/rules/m"));
        assert!(p.api[0].body["action_parameters"]
            .get("overrides")
            .is_none());
        assert_eq!(p.api[1].method, "POST");
    }

    #[test]
    fn sqli_skip_rules_degrade_coverage() {
        let managed = ruleset(
            "http_request_firewall_managed",
            json!([
                execute("m", CLOUDFLARE_MANAGED_RULESET, Value::Null),
                execute("o", OWASP_RULESET, Value::Null),
            ]),
        );
        let skip = |expr: &str| {
            let mut r = rule("s", "skip", expr);
            r["action_parameters"] = json!({"phases": ["http_request_firewall_managed"]});
            ruleset("http_request_firewall_custom", json!([r]))
        };
        let spoofable = json!([
            managed.clone(),
            skip(r#"http.user_agent contains "PartnerBot""#)
        ]);
        assert_eq!(
            status(spoofable, ThreatClass::SqliXss),
            CoverageStatus::Partial
        );
        let everyone = json!([managed.clone(), skip("true")]);
        assert_eq!(status(everyone, ThreatClass::SqliXss), CoverageStatus::Gap);
        let narrow = json!([managed, skip("ip.src in $partners")]);
        assert_eq!(
            status(narrow, ThreatClass::SqliXss),
            CoverageStatus::Covered
        );
    }

    #[test]
    fn sqli_covered_by_attack_score_rule_and_free_plan_proposal() {
        let rs = json!([ruleset(
            "http_request_firewall_custom",
            json!([rule("w", "block", "cf.waf.score lt 20")])
        )]);
        assert_eq!(status(rs, ThreatClass::SqliXss), CoverageStatus::Covered);
        let logged = json!([ruleset(
            "http_request_firewall_custom",
            json!([rule("w", "log", "cf.waf.score.sqli lt 20")])
        )]);
        assert_eq!(status(logged, ThreatClass::SqliXss), CoverageStatus::Gap);
        let c = assess(
            &snapshot("Free", json!([])),
            &GapPolicy::default(),
            ThreatClass::SqliXss,
        );
        let p = &c.proposals[0];
        assert_eq!(p.rules[0]["action_parameters"]["id"], FREE_MANAGED_RULESET);
    }

    // ---- credential stuffing --------------------------------------------------------------------

    #[test]
    fn credential_stuffing_covered_gap_and_partial() {
        let rl = |action: &str, expr: &str| {
            json!([ruleset(
                "http_ratelimit",
                json!([ratelimit("rl", action, expr)])
            )])
        };
        let post_login = r#"http.request.uri.path eq "/login" and http.request.method eq "POST""#;
        assert_eq!(
            status(rl("block", post_login), ThreatClass::CredentialStuffing),
            CoverageStatus::Covered
        );
        assert_eq!(
            status(rl("log", post_login), ThreatClass::CredentialStuffing),
            CoverageStatus::Gap
        );
        let get_login = r#"http.request.uri.path eq "/login" and http.request.method eq "GET""#;
        assert_eq!(
            status(rl("block", get_login), ThreatClass::CredentialStuffing),
            CoverageStatus::Gap
        );
        assert_eq!(
            status(rl("block", "true"), ThreatClass::CredentialStuffing),
            CoverageStatus::Gap
        );
        // Declared paths must all be covered.
        let policy = GapPolicy {
            login_paths: Some(vec!["/login".into(), "/account/login".into()]),
            ..GapPolicy::default()
        };
        let c = assess(
            &snapshot("Business", rl("block", post_login)),
            &policy,
            ThreatClass::CredentialStuffing,
        );
        assert_eq!(c.status, CoverageStatus::Partial);
        assert_eq!(
            c.proposals[0].expression.as_deref(),
            Some(
                r#"(http.request.method eq "POST" and http.request.uri.path eq "/account/login")"#
            )
        );
        // A skip of rate limiting on the user agent makes it bypassable.
        let mut skip = rule("s", "skip", r#"http.user_agent contains "x""#);
        skip["action_parameters"] = json!({"phases": ["http_ratelimit"]});
        let rs = json!([
            ruleset("http_request_firewall_custom", json!([skip])),
            ruleset(
                "http_ratelimit",
                json!([ratelimit("rl", "block", post_login)])
            ),
        ]);
        let c = assess(
            &snapshot("Business", rs),
            &GapPolicy::default(),
            ThreatClass::CredentialStuffing,
        );
        assert_eq!(c.status, CoverageStatus::Partial);
        assert!(!c.notes.is_empty());
    }

    #[test]
    fn credential_stuffing_leaked_credentials_and_proposal() {
        let rs = json!([ruleset(
            "http_request_firewall_custom",
            json!([rule(
                "lc",
                "managed_challenge",
                "cf.waf.credential_check.username_and_password_leaked"
            )])
        )]);
        assert_eq!(
            status(rs, ThreatClass::CredentialStuffing),
            CoverageStatus::Covered
        );
        let c = assess(
            &snapshot("Business", json!([])),
            &GapPolicy::default(),
            ThreatClass::CredentialStuffing,
        );
        assert_eq!(c.status, CoverageStatus::Gap);
        let p = &c.proposals[0];
        assert_eq!(p.kind, ProposalKind::RateLimitRule);
        let r = &p.rules[0]["ratelimit"];
        assert_eq!(r["characteristics"], json!(["cf.colo.id", "ip.src"]));
        assert_eq!(r["period"], 60);
        // The proposal, once in place, covers every default login path.
        let expr = p.expression.clone().unwrap_or_default();
        let v = view_rule(&expr);
        for path in DEFAULT_LOGIN_PATHS {
            assert!(v.covers_path("example.com", path, Some("POST")), "{path}");
        }
        // Free plan: 10 s period and timeout, no method condition.
        let c = assess(
            &snapshot("Free", json!([])),
            &GapPolicy::default(),
            ThreatClass::CredentialStuffing,
        );
        let r = &c.proposals[0].rules[0];
        assert_eq!(r["ratelimit"]["period"], 10);
        assert_eq!(r["ratelimit"]["mitigation_timeout"], 10);
        assert!(!r["expression"].as_str().unwrap_or("").contains("method"));
    }

    // ---- API abuse -----------------------------------------------------------------------------

    #[test]
    fn api_abuse_statuses() {
        let rl = |expr: &str| {
            json!([ruleset(
                "http_ratelimit",
                json!([ratelimit("rl", "block", expr)])
            )])
        };
        assert_eq!(
            status(
                rl(r#"starts_with(http.request.uri.path, "/api/")"#),
                ThreatClass::ApiAbuse
            ),
            CoverageStatus::Covered
        );
        assert_eq!(
            status(
                rl(r#"http.request.uri.path wildcard "/api/*""#),
                ThreatClass::ApiAbuse
            ),
            CoverageStatus::Covered
        );
        assert_eq!(
            status(
                rl(r#"http.request.uri.path eq "/api/login""#),
                ThreatClass::ApiAbuse
            ),
            CoverageStatus::Partial
        );
        assert_eq!(
            status(
                rl(r#"http.request.uri.path eq "/search""#),
                ThreatClass::ApiAbuse
            ),
            CoverageStatus::Gap
        );
        assert_eq!(
            status(json!([]), ThreatClass::ApiAbuse),
            CoverageStatus::Gap
        );
        // A zone that is all API declares "/".
        let policy = GapPolicy {
            api_prefixes: Some(vec!["/".into()]),
            ..GapPolicy::default()
        };
        let c = assess(
            &snapshot("Business", json!([])),
            &policy,
            ThreatClass::ApiAbuse,
        );
        assert_eq!(
            c.proposals[0].expression.as_deref(),
            Some(r#"(starts_with(http.request.uri.path, "/"))"#)
        );
    }

    // ---- bots ----------------------------------------------------------------------------------

    #[test]
    fn bots_statuses_and_plan_aware_proposals() {
        let with_bot = |plan: &str, bot: Value, rulesets: Value| {
            assess(
                &snapshot_with(plan, rulesets, bot, json!([])),
                &GapPolicy::default(),
                ThreatClass::Bots,
            )
        };
        assert_eq!(
            with_bot("Free", json!({"fight_mode": true}), json!([])).status,
            CoverageStatus::Covered
        );
        assert_eq!(
            with_bot(
                "Pro",
                json!({"fight_mode": false, "sbfm_definitely_automated": "block"}),
                json!([])
            )
            .status,
            CoverageStatus::Covered
        );
        let score = json!([ruleset(
            "http_request_firewall_custom",
            json!([rule(
                "b",
                "managed_challenge",
                "cf.bot_management.score lt 30 and not cf.bot_management.verified_bot"
            )])
        )]);
        assert_eq!(
            with_bot("Enterprise", Value::Null, score).status,
            CoverageStatus::Covered
        );
        let narrow = json!([ruleset(
            "http_request_firewall_custom",
            json!([rule(
                "b",
                "block",
                r#"cf.bot_management.score lt 30 and http.request.uri.path eq "/checkout""#
            )])
        )]);
        assert_eq!(
            with_bot("Enterprise", Value::Null, narrow).status,
            CoverageStatus::Partial
        );
        let gap = with_bot("Free", json!({"fight_mode": false}), json!([]));
        assert_eq!(gap.status, CoverageStatus::Gap);
        assert_eq!(gap.proposals[0].kind, ProposalKind::BotManagement);
        assert_eq!(gap.proposals[0].api[0].body, json!({"fight_mode": true}));
        assert!(gap.proposals[0].hcl.contains("cloudflare_bot_management"));
        let ent = with_bot("Enterprise", json!({"fight_mode": false}), json!([]));
        assert_eq!(ent.proposals[0].kind, ProposalKind::CustomRule);
        // Bot management unreadable and nothing else: unknown.
        let s = snapshot_with(
            "Pro",
            json!([]),
            Value::Null,
            json!([{"zone": "example.com", "account": null, "section": "bot_management", "reason": "403"}]),
        );
        assert_eq!(
            assess(&s, &GapPolicy::default(), ThreatClass::Bots).status,
            CoverageStatus::Unknown
        );
    }

    // ---- known-bad IPs ---------------------------------------------------------------------------

    #[test]
    fn known_bad_ips_statuses() {
        let custom = |action: &str, expr: &str| {
            json!([ruleset(
                "http_request_firewall_custom",
                json!([rule("k", action, expr)])
            )])
        };
        assert_eq!(
            status(
                custom("block", "ip.src in $bad_ips"),
                ThreatClass::KnownBadIps
            ),
            CoverageStatus::Covered
        );
        assert_eq!(
            status(
                custom("block", "ip.src in $cf.botnetcc"),
                ThreatClass::KnownBadIps
            ),
            CoverageStatus::Covered
        );
        assert_eq!(
            status(
                custom("block", "ip.src in $empty_list"),
                ThreatClass::KnownBadIps
            ),
            CoverageStatus::Partial
        );
        assert_eq!(
            status(
                custom("block", "ip.src in {198.51.100.0/24}"),
                ThreatClass::KnownBadIps
            ),
            CoverageStatus::Partial
        );
        assert_eq!(
            status(
                custom(
                    "block",
                    r#"ip.src in $bad_ips and http.request.uri.path eq "/x""#
                ),
                ThreatClass::KnownBadIps
            ),
            CoverageStatus::Partial
        );
        assert_eq!(
            status(
                custom(
                    "block",
                    r#"not ip.src in $bad_ips and http.request.uri.path eq "/x""#
                ),
                ThreatClass::KnownBadIps
            ),
            CoverageStatus::Gap
        );
        assert_eq!(
            status(
                custom("log", "ip.src in $bad_ips"),
                ThreatClass::KnownBadIps
            ),
            CoverageStatus::Gap
        );
        assert_eq!(
            status(
                custom("skip", "ip.src in $bad_ips"),
                ThreatClass::KnownBadIps
            ),
            CoverageStatus::Gap
        );
        // No list blocked anywhere: a new account list with its HCL and API call.
        let c = assess(
            &snapshot("Business", json!([])),
            &GapPolicy::default(),
            ThreatClass::KnownBadIps,
        );
        let p = &c.proposals[0];
        assert_eq!(p.expression.as_deref(), Some("(ip.src in $known_bad_ips)"));
        assert!(p.hcl.contains("resource \"cloudflare_list\""));
        assert_eq!(p.api[0].path, "/accounts/acc1/rules/lists");
        let c = assess(
            &snapshot("Enterprise", json!([])),
            &GapPolicy::default(),
            ThreatClass::KnownBadIps,
        );
        assert!(c.proposals[0]
            .expression
            .as_deref()
            .unwrap_or("")
            .contains("$cf.malware"));
    }

    // ---- anonymizers --------------------------------------------------------------------------

    #[test]
    fn anonymizers_statuses() {
        let custom = |expr: &str| {
            json!([ruleset(
                "http_request_firewall_custom",
                json!([rule("a", "managed_challenge", expr)])
            )])
        };
        assert_eq!(
            status(custom("ip.src in $cf.anonymizer"), ThreatClass::Anonymizers),
            CoverageStatus::Covered
        );
        assert_eq!(
            status(
                custom(r#"ip.src.country eq "T1""#),
                ThreatClass::Anonymizers
            ),
            CoverageStatus::Covered
        );
        assert_eq!(
            status(
                custom(r#"ip.src.country eq "T1" and http.request.uri.path eq "/login""#),
                ThreatClass::Anonymizers
            ),
            CoverageStatus::Partial
        );
        assert_eq!(
            status(
                custom(r#"ip.src.country ne "T1""#),
                ThreatClass::Anonymizers
            ),
            CoverageStatus::Gap
        );
        assert_eq!(
            status(custom("ip.src in $cf.malware"), ThreatClass::Anonymizers),
            CoverageStatus::Gap
        );
        let c = assess(
            &snapshot("Business", json!([])),
            &GapPolicy::default(),
            ThreatClass::Anonymizers,
        );
        assert_eq!(
            c.proposals[0].expression.as_deref(),
            Some(r#"(ip.src.country eq "T1")"#)
        );
    }

    // ---- admin paths ------------------------------------------------------------------------------

    #[test]
    fn admin_paths_statuses() {
        let custom = |action: &str, expr: &str| {
            json!([ruleset(
                "http_request_firewall_custom",
                json!([rule("a", action, expr)])
            )])
        };
        let office = r#"starts_with(http.request.uri.path, "/admin") and not ip.src in $office"#;
        assert_eq!(
            status(custom("block", office), ThreatClass::AdminPaths),
            CoverageStatus::Covered
        );
        assert_eq!(
            status(custom("log", office), ThreatClass::AdminPaths),
            CoverageStatus::Gap
        );
        let contradiction =
            r#"http.request.uri.path eq "/admin" and http.request.uri.path eq "/internal""#;
        assert_eq!(
            status(custom("block", contradiction), ThreatClass::AdminPaths),
            CoverageStatus::Gap
        );
        assert_eq!(
            status(
                custom("block", "ip.src in $bad_ips"),
                ThreatClass::AdminPaths
            ),
            CoverageStatus::Gap
        );
        let policy = GapPolicy {
            admin_paths: Some(vec!["/admin".into(), "/manage".into()]),
            ..GapPolicy::default()
        };
        let c = assess(
            &snapshot("Business", custom("block", office)),
            &policy,
            ThreatClass::AdminPaths,
        );
        assert_eq!(c.status, CoverageStatus::Partial);
        assert_eq!(
            c.proposals[0].expression.as_deref(),
            Some(r#"(starts_with(lower(http.request.uri.path), "/manage"))"#)
        );
        // Defaults: /administrator is left to /admin's prefix.
        let c = assess(
            &snapshot("Business", json!([])),
            &GapPolicy::default(),
            ThreatClass::AdminPaths,
        );
        let expr = c.proposals[0].expression.clone().unwrap_or_default();
        assert!(!expr.contains("/administrator"));
        let v = view_rule(&expr);
        for path in DEFAULT_ADMIN_PATHS {
            assert!(v.covers_path("example.com", path, None), "{path}");
        }
    }

    // ---- geo ------------------------------------------------------------------------------------

    #[test]
    fn geo_only_when_declared_and_statuses() {
        let s = snapshot("Business", json!([]));
        assert!(gaps(&s, None, &GapPolicy::default()).zones[0]
            .class(ThreatClass::Geo)
            .is_none());
        let policy = |blocked: &[&str], allowed: &[&str]| GapPolicy {
            geo: Some(GeoPolicy {
                blocked_countries: blocked.iter().map(|c| (*c).to_owned()).collect(),
                allowed_countries: allowed.iter().map(|c| (*c).to_owned()).collect(),
            }),
            ..GapPolicy::default()
        };
        let custom = |expr: &str| {
            snapshot(
                "Business",
                json!([ruleset(
                    "http_request_firewall_custom",
                    json!([rule("g", "block", expr)])
                )]),
            )
        };
        let geo = |s: &Snapshot, p: &GapPolicy| assess(s, p, ThreatClass::Geo);
        let blocks = custom(r#"ip.src.country in {"KP" "IR"}"#);
        assert_eq!(
            geo(&blocks, &policy(&["KP", "ir"], &[])).status,
            CoverageStatus::Covered
        );
        let partial = geo(&blocks, &policy(&["KP", "RU"], &[]));
        assert_eq!(partial.status, CoverageStatus::Partial);
        assert_eq!(
            partial.proposals[0].expression.as_deref(),
            Some(r#"(ip.src.country eq "RU")"#)
        );
        let on_path =
            custom(r#"ip.src.country eq "KP" and http.request.uri.path wildcard "/account/*""#);
        assert_eq!(
            geo(&on_path, &policy(&["KP"], &[])).status,
            CoverageStatus::Partial
        );
        assert_eq!(geo(&s, &policy(&["KP"], &[])).status, CoverageStatus::Gap);
        let allow = custom(r#"not ip.src.country in {"US" "CA"}"#);
        assert_eq!(
            geo(&allow, &policy(&[], &["US", "CA"])).status,
            CoverageStatus::Covered
        );
        // An allowlist also refuses every blocked country.
        assert_eq!(
            geo(&allow, &policy(&["KP"], &["US", "CA"])).status,
            CoverageStatus::Covered
        );
        let gap = geo(&s, &policy(&[], &["US"]));
        assert_eq!(gap.status, CoverageStatus::Gap);
        assert_eq!(
            gap.proposals[0].expression.as_deref(),
            Some(r#"(not ip.src.country in {"US"})"#)
        );
    }

    // ---- cross-cutting ----------------------------------------------------------------------------

    #[test]
    fn unreadable_rulesets_are_unknown_never_gap() {
        let s = snapshot_with(
            "Business",
            json!([]),
            json!({"fight_mode": true}),
            json!([{"zone": "example.com", "account": null, "section": "rulesets", "reason": "403"}]),
        );
        let report = gaps(&s, None, &GapPolicy::default());
        for c in &report.zones[0].classes {
            if c.class == ThreatClass::Bots {
                assert_eq!(c.status, CoverageStatus::Covered);
            } else {
                assert_eq!(c.status, CoverageStatus::Unknown, "{:?}", c.class);
                assert!(c.proposals.is_empty());
            }
        }
        assert!(report
            .findings()
            .iter()
            .any(|f| f.status == Status::Unknown));
    }

    #[test]
    fn invalid_policy_entries_and_unknown_zones_are_reported() {
        let policy = GapPolicy {
            login_paths: Some(vec!["login".into(), "/ok".into(), "/bad\n".into()]),
            geo: Some(GeoPolicy {
                blocked_countries: vec!["Korea".into()],
                allowed_countries: vec![],
            }),
            ..GapPolicy::default()
        };
        let report = gaps(
            &snapshot("Business", json!([])),
            Some("nope.example"),
            &policy,
        );
        assert!(report.zones.is_empty());
        assert_eq!(report.errors.len(), 4, "{:?}", report.errors);
        assert!(report
            .errors
            .iter()
            .any(|e| e.contains("zone nope.example")));
        assert!(serde_json::from_str::<GapPolicy>(r#"{"login_path": []}"#).is_err());
    }

    #[test]
    fn rejected_expressions_are_not_proposed() {
        let s = snapshot("Business", json!([]));
        let view = ZoneView::new(&s, &s.zones[0]);
        let draft = Draft::rule(
            ProposalKind::CustomRule,
            Phase::HttpRequestFirewallCustom,
            "bad".into(),
            "http.request.uri.path contans \"/x\"".into(),
            json!({}),
        );
        let err = render_draft(&view, draft).err().unwrap_or_default();
        assert!(err.contains("rejects"), "{err}");
        // A policy path with a quote is escaped, and the expression parses.
        let policy = GapPolicy {
            admin_paths: Some(vec!["/a\"b\\c".into()]),
            ..GapPolicy::default()
        };
        let c = assess(&s, &policy, ThreatClass::AdminPaths);
        let expr = c.proposals[0].expression.clone().unwrap_or_default();
        assert!(parse_filter(&expr).is_ok(), "{expr}");
        assert!(view_rule(&expr).covers_path("example.com", "/a\"b\\c", None));
    }

    #[test]
    fn hcl_strings_escape_templates() {
        assert_eq!(hcl_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(hcl_string("${x} %{y} $z"), r#""$${x} %%{y} $z""#);
        assert_eq!(hcl_string("a\nb\u{1}"), r#""a\nb\u0001""#);
        assert_eq!(hcl_key("X-Header"), "X-Header");
        assert_eq!(hcl_key("1abc"), "\"1abc\"");
        assert_eq!(hcl_key("a.b"), "\"a.b\"");
        assert_eq!(label("acme-shop.com"), "acme_shop_com");
        assert_eq!(label("1.example"), "z_1_example");
    }

    #[test]
    fn findings_map_statuses() {
        let report = gaps(&crate::snapshot::demo(), None, &GapPolicy::default());
        let findings = report.findings();
        assert_eq!(findings.len(), report.zones.len() * 7);
        for f in &findings {
            assert!(f.check_id.starts_with("waf_gap_"));
            assert_eq!(f.resource.kind, "zone");
        }
        let pass = findings
            .iter()
            .find(|f| f.check_id == "waf_gap_sqli_xss" && f.resource.name == "acme-shop.com");
        assert_eq!(pass.map(|f| f.status), Some(Status::Pass));
        let fail = findings
            .iter()
            .find(|f| f.check_id == "waf_gap_sqli_xss" && f.resource.name == "acme-api.io")
            .cloned()
            .unwrap_or_else(|| panic!("no finding"));
        assert_eq!(fail.status, Status::Fail);
        assert_eq!(fail.severity, Severity::High);
        assert!(fail.remediation.terraform.contains("cloudflare_ruleset"));
        assert!(fail.remediation.api.starts_with("PATCH "));
    }
}
