//! [`decision_support`]: a structured recommendation for an operator's question.
//!
//! The question is matched by keywords to a [`Topic`]: Under Attack mode, which zone to fix first,
//! moving to Full (strict) SSL, deleting a DNS record, Bot Fight Mode, the minimum TLS version, or
//! one finding (named by its check id). Each topic reads the snapshot's settings, records, rules
//! and invariant findings, and the analytics when given, and answers with options: each with its
//! evidence (finding ids `check_id:resource_id`, settings, analytics figures), its risk, and
//! whether it is recommended. What the inputs cannot show is listed in
//! [`Recommendation::unknowns`], never guessed. A question that matches no topic gets the top open
//! findings by severity, labelled as such (`recognised: false`).

mod records;
mod settings;

use serde::{Deserialize, Serialize};

use super::analytics::Analytics;
use crate::invariants::{self, catalog, Config, Finding, Severity, Status};
use crate::report::Report;
use crate::snapshot::{Snapshot, Timestamp, ZoneSnapshot};

/// At most this many characters of the question are echoed back.
const MAX_ECHO_CHARS: usize = 500;

/// At most this many findings are cited as evidence for one option.
const MAX_FINDINGS_CITED: usize = 8;

/// Options offered for an unrecognised question.
const GENERAL_OPTIONS: usize = 5;

/// What [`decision_support`] may consult. Only the snapshot is needed for a grounded answer;
/// what is missing is named in [`Recommendation::unknowns`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DecisionInputs<'a> {
    /// The account's snapshot.
    pub snapshot: Option<&'a Snapshot>,
    /// The invariant report of that snapshot; computed from it (built-in checks and the WAF
    /// analysis) when `None`.
    pub report: Option<&'a Report>,
    /// Analytics of the zones.
    pub analytics: Option<&'a Analytics>,
    /// "Now", for waiver expiry and the snapshot's age; the snapshot's `taken_at` when `None`.
    pub now: Option<time::OffsetDateTime>,
}

impl<'a> DecisionInputs<'a> {
    /// Inputs with a snapshot only.
    ///
    /// ```
    /// let inputs = cfcp::oracle::DecisionInputs::new(None);
    /// let r = cfcp::oracle::decision_support("Should I enable Bot Fight Mode?", &inputs);
    /// assert!(r.recommended.is_none() && r.unknowns[0].starts_with("no snapshot"));
    /// ```
    pub fn new(snapshot: Option<&'a Snapshot>) -> Self {
        DecisionInputs {
            snapshot,
            ..DecisionInputs::default()
        }
    }
}

/// What a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Turning I'm Under Attack mode on or off.
    UnderAttackMode,
    /// Which zone to fix first.
    FixPriority,
    /// Moving to Full (strict) SSL.
    SslStrict,
    /// Whether a DNS record can be deleted.
    DeleteRecord,
    /// Bot Fight Mode / Super Bot Fight Mode.
    BotFightMode,
    /// The minimum TLS version.
    MinTlsVersion,
    /// What to do about one finding (a check id).
    Finding,
    /// Not recognised: the top open findings by severity.
    General,
}

/// How risky an option is. Ordered: `None < Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    /// Nothing can break.
    None,
    /// Unlikely to break anything.
    Low,
    /// May break something; check first.
    Medium,
    /// Likely to break something or to leave a serious exposure.
    High,
}

/// The risk of taking an option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    /// The level.
    pub level: RiskLevel,
    /// What could go wrong.
    pub detail: String,
}

fn risk(level: RiskLevel, detail: impl Into<String>) -> Risk {
    Risk {
        level,
        detail: detail.into(),
    }
}

/// One piece of evidence behind an option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `finding`, `setting`, `analytics`, `record`, `rule`, `tunnel`, `gap`.
    pub source: String,
    /// The zone, when it belongs to one.
    pub zone: Option<String>,
    /// A stable id: a finding's `check_id:resource_id`, a setting's id, an analytics figure's
    /// name, a record's or rule's id.
    pub id: String,
    /// What it shows.
    pub detail: String,
}

fn evidence(
    source: &str,
    zone: Option<&str>,
    id: impl Into<String>,
    detail: impl Into<String>,
) -> Evidence {
    Evidence {
        source: source.to_owned(),
        zone: zone.map(str::to_owned),
        id: id.into(),
        detail: detail.into(),
    }
}

/// The id of a finding as evidence cites it: `check_id:resource_id`.
pub(crate) fn finding_id(f: &Finding) -> String {
    format!("{}:{}", f.check_id, f.resource.id)
}

fn finding_evidence(f: &Finding) -> Evidence {
    evidence(
        "finding",
        f.resource.zone.as_deref(),
        finding_id(f),
        format!(
            "{} {} ({}): {}",
            f.status.as_str(),
            f.check_id,
            f.severity,
            f.message
        ),
    )
}

/// One option of a [`Recommendation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionOption {
    /// A stable id, `verb:subject` (`enable_under_attack:acme-api.io`, `fix:acme-internal.net`).
    pub id: String,
    /// The zone it concerns, if one.
    pub zone: Option<String>,
    /// A short title.
    pub title: String,
    /// What it means and what it involves.
    pub description: String,
    /// Why: findings, settings, analytics figures, records, rules.
    pub evidence: Vec<Evidence>,
    /// The risk of taking it.
    pub risk: Risk,
    /// Whether it is the recommended option (one per zone for per-zone topics).
    pub recommended: bool,
}

/// The result of [`decision_support`] (MCP `decision_support` structured content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The question as asked (at most 500 characters).
    pub question: String,
    /// What it was taken to be about.
    pub topic: Topic,
    /// False when no topic matched and the answer is the generic top findings.
    pub recognised: bool,
    /// The zones considered.
    pub zones: Vec<String>,
    /// The answer in a few sentences.
    pub summary: String,
    /// The options, recommended ones first within each zone.
    pub options: Vec<DecisionOption>,
    /// The id of the most important recommended option.
    pub recommended: Option<String>,
    /// Its risk.
    pub risk: Option<Risk>,
    /// What the inputs cannot show.
    pub unknowns: Vec<String>,
}

/// What the topic handlers share.
pub(crate) struct Ctx<'a> {
    pub question: String,
    pub snapshot: &'a Snapshot,
    pub report: std::borrow::Cow<'a, Report>,
    pub analytics: Option<&'a Analytics>,
    /// Zones named in the question, or every zone.
    pub zones: Vec<&'a ZoneSnapshot>,
}

impl<'a> Ctx<'a> {
    /// Findings of a zone (or of the account when `zone` is `None`) for a check.
    pub fn findings(&self, check_id: &str, zone: Option<&str>) -> Vec<&Finding> {
        self.report
            .findings
            .iter()
            .filter(|f| f.check_id == check_id)
            .filter(|f| match zone {
                Some(z) => f
                    .resource
                    .zone
                    .as_deref()
                    .is_some_and(|fz| fz.eq_ignore_ascii_case(z)),
                None => true,
            })
            .collect()
    }

    /// Evidence from a check's findings on a zone (failing and unknown first).
    pub fn check_evidence(&self, check_id: &str, zone: &str) -> Vec<Evidence> {
        let mut found = self.findings(check_id, Some(zone));
        found.sort_by_key(|f| f.status);
        found
            .into_iter()
            .take(MAX_FINDINGS_CITED)
            .map(finding_evidence)
            .collect()
    }

    pub fn zone_analytics(&self, zone: &str) -> Option<&'a super::analytics::ZoneAnalytics> {
        self.analytics.and_then(|a| a.zone(zone))
    }
}

/// Answers a question with a structured recommendation grounded in the snapshot's findings,
/// settings and records and in the analytics. Pure; any text gives an answer.
///
/// ```
/// use cfcp::oracle::{decision_support, DecisionInputs, Topic};
/// let snapshot = cfcp::snapshot::demo();
/// let r = decision_support("Should I move acme-api.io to Full (strict) SSL?", &DecisionInputs::new(Some(&snapshot)));
/// assert_eq!(r.topic, Topic::SslStrict);
/// assert_eq!(r.recommended.as_deref(), Some("strict:acme-api.io"));
/// assert!(r.unknowns.iter().any(|u| u.contains("origin")));
///
/// let r = decision_support("what's for lunch?", &DecisionInputs::new(Some(&snapshot)));
/// assert!(!r.recognised && !r.options.is_empty());
/// ```
pub fn decision_support(question: &str, inputs: &DecisionInputs<'_>) -> Recommendation {
    let echo: String = question.chars().take(MAX_ECHO_CHARS).collect();
    let lower = normalise_question(question);
    let check_ids = named_checks(&lower, inputs.report);
    let topic = recognise(&lower, !check_ids.is_empty());
    let mut out = Recommendation {
        question: echo,
        topic,
        recognised: topic != Topic::General,
        zones: Vec::new(),
        summary: String::new(),
        options: Vec::new(),
        recommended: None,
        risk: None,
        unknowns: Vec::new(),
    };
    let Some(snapshot) = inputs.snapshot else {
        out.unknowns.push(
            "no snapshot: the zones' settings, records, rules and findings are unknown; load one (cfcp snapshot, or the MCP server's --snapshot) to get a grounded answer".to_owned(),
        );
        out.summary = format!(
            "Cannot answer from evidence: {} questions need the account's snapshot.",
            topic_name(topic)
        );
        return out;
    };
    let report = match inputs.report {
        Some(r) => std::borrow::Cow::Borrowed(r),
        None => std::borrow::Cow::Owned(invariants::run(
            snapshot,
            &Config {
                include_waf: true,
                now: inputs.now.map(Timestamp::from_datetime),
                ..Config::default()
            },
        )),
    };
    let named = zones_named(&lower, snapshot);
    let ctx = Ctx {
        question: lower.clone(),
        snapshot,
        report,
        analytics: inputs.analytics,
        zones: if named.is_empty() {
            snapshot.zones.iter().collect()
        } else {
            named
        },
    };
    out.zones = ctx.zones.iter().map(|z| z.zone.name.clone()).collect();
    match topic {
        Topic::UnderAttackMode => settings::under_attack(&ctx, &mut out),
        Topic::SslStrict => settings::ssl_strict(&ctx, &mut out),
        Topic::MinTlsVersion => settings::min_tls(&ctx, &mut out),
        Topic::BotFightMode => settings::bot_fight_mode(&ctx, &mut out),
        Topic::DeleteRecord => records::delete_record(&ctx, &mut out),
        Topic::FixPriority => fix_priority(&ctx, &mut out),
        Topic::Finding => finding(&ctx, &check_ids, &mut out),
        Topic::General => general(&ctx, &mut out),
    }
    common_unknowns(&ctx, inputs, &mut out);
    finish(&mut out);
    out
}

fn topic_name(topic: Topic) -> &'static str {
    match topic {
        Topic::UnderAttackMode => "Under Attack mode",
        Topic::FixPriority => "fix-priority",
        Topic::SslStrict => "SSL mode",
        Topic::DeleteRecord => "record deletion",
        Topic::BotFightMode => "bot protection",
        Topic::MinTlsVersion => "minimum TLS version",
        Topic::Finding => "finding",
        Topic::General => "these",
    }
}

/// Lower case, curly quotes straightened, runs of whitespace collapsed.
fn normalise_question(question: &str) -> String {
    let mapped: String = question
        .chars()
        .take(10_000)
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        })
        .collect();
    mapped
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn has_any(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

/// Check ids (catalog or report) written in the question.
fn named_checks(lower: &str, report: Option<&Report>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for token in lower.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if token.len() < 5 || !token.contains('_') {
            continue;
        }
        let known = catalog::get(token).is_some()
            || crate::waf::CHECKS.iter().any(|c| c.id == token)
            || token.starts_with("waf_gap_")
            || report.is_some_and(|r| r.findings.iter().any(|f| f.check_id == token));
        if known && !ids.iter().any(|i| i == token) {
            ids.push(token.to_owned());
        }
    }
    ids
}

fn recognise(lower: &str, names_a_check: bool) -> Topic {
    let deleting = has_any(
        lower,
        &[
            "delete",
            "remove",
            "get rid of",
            "clean up",
            "drop the",
            "safe to drop",
        ],
    );
    if names_a_check && !deleting {
        return Topic::Finding;
    }
    if deleting
        && has_any(
            lower,
            &[
                "record",
                "dns",
                "cname",
                " mx",
                "txt",
                "hostname",
                "subdomain",
                ".",
            ],
        )
    {
        return Topic::DeleteRecord;
    }
    if has_any(
        lower,
        &[
            "under attack",
            "under-attack",
            "uam",
            "ddos",
            "being attacked",
            "attack mode",
            "security level",
            "security_level",
        ],
    ) {
        return Topic::UnderAttackMode;
    }
    if has_any(
        lower,
        &[
            "min tls",
            "minimum tls",
            "min_tls",
            "tls version",
            "tls 1.0",
            "tls 1.1",
            "tls 1.3",
            "tls1.",
            "tlsv1",
        ],
    ) {
        return Topic::MinTlsVersion;
    }
    let strict_ssl =
        lower.contains("strict") && has_any(lower, &["ssl", "full", "https", "origin"]);
    if strict_ssl
        || has_any(
            lower,
            &[
                "ssl mode",
                "ssl/tls mode",
                "flexible ssl",
                "encryption mode",
                "origin certificate",
                "full ssl",
                "ssl to full",
            ],
        )
    {
        return Topic::SslStrict;
    }
    if has_any(
        lower,
        &[
            "bot fight",
            "bot management",
            "super bot",
            "sbfm",
            "bots",
            "bot protection",
            "scraper",
            "crawler",
        ],
    ) {
        return Topic::BotFightMode;
    }
    if has_any(
        lower,
        &[
            "fix first",
            "first fix",
            "priorit",
            "which zone",
            "worst zone",
            "most urgent",
            "where to start",
            "where should i start",
            "start with",
            "most at risk",
        ],
    ) {
        return Topic::FixPriority;
    }
    if names_a_check {
        return Topic::Finding;
    }
    Topic::General
}

/// Zones whose name appears in the question (a record name under a zone names it too).
fn zones_named<'a>(lower: &str, snapshot: &'a Snapshot) -> Vec<&'a ZoneSnapshot> {
    snapshot
        .zones
        .iter()
        .filter(|z| lower.contains(&z.zone.name.to_lowercase()))
        .collect()
}

fn severity_weight(s: Severity) -> u64 {
    match s {
        Severity::Critical => 10,
        Severity::High => 5,
        Severity::Medium => 2,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

fn fix_priority(ctx: &Ctx<'_>, out: &mut Recommendation) {
    struct Rank<'r> {
        zone: Option<String>,
        counts: [usize; 5],
        weight: u64,
        unknown: usize,
        requests: Option<u64>,
        worst: Vec<&'r Finding>,
    }
    let mut ranks: Vec<Rank<'_>> = Vec::new();
    let mut subjects: Vec<Option<String>> = ctx
        .zones
        .iter()
        .map(|z| Some(z.zone.name.clone()))
        .collect();
    if ctx.zones.len() == ctx.snapshot.zones.len() {
        subjects.push(None);
    }
    for subject in subjects {
        let mine: Vec<&Finding> = ctx
            .report
            .findings
            .iter()
            .filter(|f| match &subject {
                Some(z) => f
                    .resource
                    .zone
                    .as_deref()
                    .is_some_and(|fz| fz.eq_ignore_ascii_case(z)),
                None => f.resource.zone.is_none(),
            })
            .collect();
        let mut failing: Vec<&Finding> = mine
            .iter()
            .copied()
            .filter(|f| f.status == Status::Fail)
            .collect();
        if subject.is_none() && failing.is_empty() {
            continue;
        }
        failing.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let mut counts = [0usize; 5];
        for f in &failing {
            counts[Severity::ALL
                .iter()
                .position(|s| *s == f.severity)
                .unwrap_or(4)] += 1;
        }
        ranks.push(Rank {
            requests: subject
                .as_deref()
                .and_then(|z| ctx.zone_analytics(z))
                .and_then(|a| a.requests()),
            zone: subject,
            counts,
            weight: failing.iter().map(|f| severity_weight(f.severity)).sum(),
            unknown: mine.iter().filter(|f| f.status == Status::Unknown).count(),
            worst: failing.into_iter().take(MAX_FINDINGS_CITED).collect(),
        });
    }
    ranks.sort_by(|a, b| {
        (b.counts[0], b.weight, b.counts[1], b.requests.unwrap_or(0)).cmp(&(
            a.counts[0],
            a.weight,
            a.counts[1],
            a.requests.unwrap_or(0),
        ))
    });
    for (i, r) in ranks.iter().enumerate() {
        let name = r.zone.clone().unwrap_or_else(|| "account".to_owned());
        let mut ev: Vec<Evidence> = r.worst.iter().map(|f| finding_evidence(f)).collect();
        if let Some(requests) = r.requests {
            ev.push(evidence(
                "analytics",
                r.zone.as_deref(),
                "requests",
                format!("{requests} requests in the analytics range"),
            ));
        }
        let open = format!(
            "{} critical, {} high, {} medium, {} low, {} info failing (weighted {}); {} undecided",
            r.counts[0], r.counts[1], r.counts[2], r.counts[3], r.counts[4], r.weight, r.unknown
        );
        out.options.push(DecisionOption {
            id: format!("fix:{name}"),
            zone: r.zone.clone(),
            title: format!("Fix {name} {}", if i == 0 { "first" } else { "next" }),
            description: format!(
                "Rank {}: {open}. Ranked by critical findings, then the severity-weighted total (critical 10, high 5, medium 2, low 1), then high findings, then traffic.",
                i + 1
            ),
            evidence: ev,
            risk: risk(
                RiskLevel::Low,
                "configuration fixes; each finding's remediation names its own side effects (SSL mode and TLS changes can cut off old clients or origins)",
            ),
            recommended: i == 0 && r.weight > 0,
        });
    }
    out.summary = match ranks.first() {
        Some(top) if top.weight > 0 => format!(
            "Fix {} first: it has the most serious open findings ({} critical, {} high, weighted {}).",
            top.zone.as_deref().unwrap_or("the account"),
            top.counts[0],
            top.counts[1],
            top.weight
        ),
        _ => "Nothing to fix: no check fails on the zones considered.".to_owned(),
    };
    if ctx.analytics.is_none() {
        out.unknowns.push(
            "no analytics: traffic per zone is unknown, so zones are ranked by findings alone"
                .to_owned(),
        );
    }
}

/// Rough risk of applying a check's fix: the few fixes that can break traffic.
fn fix_risk(check_id: &str) -> Risk {
    match check_id {
        "zone_ssl_strict" => risk(RiskLevel::Medium, "origins without a valid certificate for their hostname start failing with 526"),
        "zone_min_tls_version_secure" => risk(RiskLevel::Low, "clients without TLS 1.2 (over a decade old) can no longer connect"),
        "zone_security_under_attack_disabled" => risk(RiskLevel::Medium, "if an attack is under way, lowering the security level lets it reach the origin"),
        "dns_record_proxied" | "dns_record_origin_exposed" => risk(RiskLevel::Medium, "proxying or removing a record changes how clients reach the service; non-HTTP services (mail, SSH, VPN) cannot be proxied"),
        "zone_hsts_enabled" | "zone_hsts_preload" => risk(RiskLevel::Medium, "HSTS is cached by browsers: every subdomain must serve HTTPS for the whole max-age"),
        "zone_bot_fight_mode_enabled" => risk(RiskLevel::Medium, "Bot Fight Mode cannot be skipped and may challenge API clients and partner integrations"),
        "zone_dmarc_policy_enforced" | "zone_spf_all_strict" => risk(RiskLevel::Medium, "legitimate senders not covered by SPF/DKIM will have their mail rejected"),
        _ => risk(RiskLevel::Low, "a configuration change following the check's remediation"),
    }
}

fn finding(ctx: &Ctx<'_>, check_ids: &[String], out: &mut Recommendation) {
    let zone_filter: Option<Vec<String>> =
        (ctx.zones.len() < ctx.snapshot.zones.len()).then(|| {
            ctx.zones
                .iter()
                .map(|z| z.zone.name.to_lowercase())
                .collect()
        });
    let in_scope = |f: &&Finding| match (&zone_filter, &f.resource.zone) {
        (None, _) => true,
        (Some(zones), Some(z)) => zones.contains(&z.to_lowercase()),
        (Some(_), None) => false,
    };
    let mut summaries = Vec::new();
    for check_id in check_ids {
        let all: Vec<&Finding> = ctx
            .findings(check_id, None)
            .into_iter()
            .filter(in_scope)
            .collect();
        let failing: Vec<&Finding> = all
            .iter()
            .copied()
            .filter(|f| f.status == Status::Fail)
            .collect();
        let unknown = all.iter().filter(|f| f.status == Status::Unknown).count();
        let muted = all.iter().filter(|f| f.status == Status::Muted).count();
        let meta = catalog::get(check_id);
        let title = meta
            .map(|c| c.title)
            .or_else(|| all.first().map(|f| &*f.title))
            .unwrap_or(check_id);
        let severity = failing
            .iter()
            .map(|f| f.severity)
            .max()
            .or_else(|| meta.map(|c| c.severity));
        let mut ev: Vec<Evidence> = failing
            .iter()
            .take(MAX_FINDINGS_CITED)
            .map(|f| finding_evidence(f))
            .collect();
        // How often a rule acts tells whether fixing it changes anything in practice.
        for f in failing.iter().filter(|f| f.resource.kind == "rule") {
            let zone = f.resource.zone.as_deref().unwrap_or("");
            if let Some(za) = ctx
                .zone_analytics(zone)
                .filter(|za| !za.firewall_events.is_empty())
            {
                ev.push(evidence(
                    "analytics",
                    Some(zone),
                    format!("firewall_events:{}", f.resource.id),
                    format!(
                        "{} firewall events for rule {} in the analytics range",
                        za.rule_events(&f.resource.id),
                        f.resource.id
                    ),
                ));
            }
        }
        if unknown > 0 {
            out.unknowns.push(format!("{check_id}: {unknown} resource(s) could not be decided (a section the check reads is missing from the snapshot)"));
        }
        if all.is_empty() {
            out.unknowns.push(format!(
                "{check_id}: no finding in the report for the zones considered"
            ));
            continue;
        }
        if failing.is_empty() {
            out.options.push(DecisionOption {
                id: format!("keep:{check_id}"),
                zone: None,
                title: format!("Nothing to do for {check_id}"),
                description: format!(
                    "{title}: no failing resource ({} checked, {muted} waived).",
                    all.len()
                ),
                evidence: all.iter().take(3).map(|f| finding_evidence(f)).collect(),
                risk: risk(RiskLevel::None, "no change"),
                recommended: true,
            });
            summaries.push(format!("{check_id} passes everywhere considered"));
            continue;
        }
        let remediation = failing[0].remediation.text.to_string();
        let fix = fix_risk(check_id);
        let severity = severity.unwrap_or(Severity::Medium);
        let worth_fixing = severity >= Severity::Low;
        out.options.push(DecisionOption {
            id: format!("fix:{check_id}"),
            zone: None,
            title: format!("Fix {check_id} on {} resource(s)", failing.len()),
            description: format!(
                "{title}. {remediation} Terraform and API calls are in each finding's remediation.{}",
                meta.map(|c| format!(" Why it matters: {}", c.risk)).unwrap_or_default()
            ),
            evidence: ev.clone(),
            risk: fix,
            recommended: worth_fixing,
        });
        out.options.push(DecisionOption {
            id: format!("waive:{check_id}"),
            zone: None,
            title: format!("Waive {check_id} with a reason and an expiry"),
            description: "Accept the failure for now: add a waiver (check id, resource, reason, expiry) so reports mute it until it expires.".to_owned(),
            evidence: ev.clone(),
            risk: risk(
                if severity >= Severity::High { RiskLevel::High } else if severity >= Severity::Medium { RiskLevel::Medium } else { RiskLevel::Low },
                format!("the {severity} exposure stays open until the waiver expires"),
            ),
            recommended: !worth_fixing,
        });
        summaries.push(format!(
            "{check_id} fails on {} resource(s) (worst severity {severity}): {}",
            failing.len(),
            if worth_fixing {
                "fix it"
            } else {
                "informational: waive or fix when convenient"
            }
        ));
    }
    out.summary = if summaries.is_empty() {
        "The check named has no finding for the zones considered.".to_owned()
    } else {
        format!("{}.", summaries.join("; "))
    };
}

fn general(ctx: &Ctx<'_>, out: &mut Recommendation) {
    let zones: Vec<String> = ctx
        .zones
        .iter()
        .map(|z| z.zone.name.to_lowercase())
        .collect();
    let scoped = ctx.zones.len() < ctx.snapshot.zones.len();
    let mut failing: Vec<&Finding> = ctx
        .report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .filter(|f| {
            !scoped
                || f.resource
                    .zone
                    .as_deref()
                    .is_some_and(|z| zones.contains(&z.to_lowercase()))
        })
        .collect();
    failing.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for (i, f) in failing.iter().take(GENERAL_OPTIONS).enumerate() {
        out.options.push(DecisionOption {
            id: format!("fix:{}", finding_id(f)),
            zone: f.resource.zone.as_deref().map(str::to_owned),
            title: format!("Fix {} on {}", f.check_id, f.resource.name),
            description: format!("{}: {} {}", f.title, f.message, f.remediation.text),
            evidence: vec![finding_evidence(f)],
            risk: fix_risk(&f.check_id),
            recommended: i == 0,
        });
    }
    out.summary = format!(
        "The question was not recognised as one of: Under Attack mode, which zone to fix first, Full (strict) SSL, deleting a record, Bot Fight Mode, minimum TLS version, or a finding by check id. Instead, here are the top {} of {} open findings by severity.",
        failing.len().min(GENERAL_OPTIONS),
        failing.len()
    );
}

fn common_unknowns(ctx: &Ctx<'_>, inputs: &DecisionInputs<'_>, out: &mut Recommendation) {
    let unknowns = super::snapshot_unknowns(
        ctx.snapshot,
        &out.zones,
        None,
        inputs.now,
        " (checks reading it are UNKNOWN)",
        "the account may have changed since",
    );
    out.unknowns.extend(unknowns);
    if ctx.zones.is_empty() {
        out.unknowns.push("the snapshot has no zones".to_owned());
    }
}

fn finish(out: &mut Recommendation) {
    // Recommended options first within each zone, keeping the topic's zone order.
    let mut zones: Vec<Option<String>> = Vec::new();
    for o in &out.options {
        if !zones.contains(&o.zone) {
            zones.push(o.zone.clone());
        }
    }
    let mut ordered = Vec::with_capacity(out.options.len());
    for zone in &zones {
        let (mut rec, rest): (Vec<_>, Vec<_>) = out
            .options
            .iter()
            .filter(|o| &o.zone == zone)
            .cloned()
            .partition(|o| o.recommended);
        ordered.append(&mut rec);
        ordered.extend(rest);
    }
    out.options = ordered;
    let top = out
        .options
        .iter()
        .filter(|o| o.recommended)
        .max_by_key(|o| {
            (
                priority(o),
                std::cmp::Reverse(out.options.iter().position(|x| x.id == o.id)),
            )
        });
    out.recommended = top.map(|o| o.id.clone());
    out.risk = top.map(|o| o.risk.clone());
    out.unknowns.dedup();
}

/// Among recommended options (one per zone), the one that changes something matters most, and
/// among those the riskier situation first.
fn priority(o: &DecisionOption) -> (bool, RiskLevel) {
    (!o.id.starts_with("keep:"), o.risk.level)
}

#[cfg(test)]
mod tests;
