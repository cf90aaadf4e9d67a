//! Oracle helpers: pure answers to an operator's (or an agent's) security questions, grounded in
//! the snapshot, its invariant findings, loaded threat intel and analytics.
//!
//! * [`threat_assess`]: what one indicator (IP, CIDR, ASN, country, domain, URL, request sample)
//!   means for the account: intel matches, the account's lists and rules that name it, records
//!   and zones it involves or imitates, what each zone would do with it, a [`ThreatLevel`] with
//!   reasons, and a recommendation.
//! * [`decision_support`]: a structured [`Recommendation`] for a question ("should I turn on
//!   Under Attack mode?", "which zone should I fix first?"): options with evidence and risk, the
//!   recommended option, and what is unknown.
//!
//! Both are pure: the caller passes the snapshot, intel, analytics and `now`; nothing here reads
//! the network, files or the clock. Their results are serde-serialisable with stable field names
//! (the MCP tools `threat_assess` and `decision_support` return them as structured content).
//!
//! ```
//! use cfcp::oracle::{decision_support, threat_assess, DecisionInputs, ThreatInputs};
//! let snapshot = cfcp::snapshot::demo();
//! let a = threat_assess("AS14061", &ThreatInputs { snapshot: Some(&snapshot), ..Default::default() });
//! assert!(a.rule_matches.iter().any(|m| m.field == "ip.src.asnum"));
//! let r = decision_support("Which zone should I fix first?", &DecisionInputs::new(Some(&snapshot)));
//! assert_eq!(r.recommended.as_deref(), Some("fix:acme-internal.net"));
//! ```

pub mod analytics;
pub mod decision;
mod indicator;
mod lookalike;
mod signals;
pub mod threat;

pub use analytics::{Analytics, ZoneAnalytics};
pub use decision::{
    decision_support, DecisionInputs, DecisionOption, Evidence, Recommendation, Risk, Topic,
};
pub use indicator::{
    is_country_code, parse_indicator, IndicatorKind, ParsedIndicator, ParsedValue,
};
pub use lookalike::{lookalike_of, skeleton, Lookalike, LookalikeTechnique};
pub use signals::{request_signals, RequestSignal};
pub use threat::{
    threat_assess, AnalyticsMatch, IntelFeed, IntelMatch, ListMatch, Reason, RecommendedAction,
    RecordMatch, Relation, RuleMatch, RuleSite, ThreatAssessment, ThreatInputs, ThreatLevel,
    ThreatRecommendation, ZoneOutcome,
};

/// What a snapshot cannot tell about `zones`: each gap in one of `sections` (every section when
/// `None`) that concerns them, followed by `gap_note`, and the snapshot's age when it is a day or
/// older, followed by `stale_note`. Shared by both helpers so their "unknowns" read alike.
pub(crate) fn snapshot_unknowns(
    snapshot: &crate::snapshot::Snapshot,
    zones: &[String],
    sections: Option<&[&str]>,
    now: Option<time::OffsetDateTime>,
    gap_note: &str,
    stale_note: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    for gap in &snapshot.gaps {
        let section_relevant = sections.map_or(true, |s| s.contains(&gap.section.as_str()));
        let zone_relevant = gap
            .zone
            .as_deref()
            .map_or(true, |z| zones.iter().any(|n| n.eq_ignore_ascii_case(z)));
        if section_relevant && zone_relevant {
            let of = gap
                .zone
                .as_deref()
                .map(|z| format!(" of {z}"))
                .unwrap_or_default();
            out.push(format!(
                "the snapshot could not read {}{of}: {}{gap_note}",
                gap.section, gap.reason
            ));
        }
    }
    if let Some(now) = now {
        let hours = (now - snapshot.taken_at.to_datetime()).whole_hours();
        if hours >= 24 {
            out.push(format!(
                "the snapshot is {hours} hours old ({}): {stale_note}",
                snapshot.taken_at
            ));
        }
    }
    out
}
