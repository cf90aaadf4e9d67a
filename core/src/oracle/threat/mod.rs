//! [`threat_assess`]: what one indicator means for the account.
//!
//! The indicator is detected ([`parse_indicator`]) and broken into facets: an address or network,
//! an AS number, a country, a domain, a request. Each facet is looked up where it can appear:
//!
//! * the loaded threat-intel feeds (equal, containing, contained or overlapping entries);
//! * the account's rules lists (IP, ASN and hostname items) and which rules use those lists;
//! * the conditions of every rule of the zones (`ip.src in {...}`, `ip.src.country in {...}`,
//!   `ip.src.asnum eq ...`, `http.host eq ...`), each condition judged on its own with the Rules
//!   engine, and whether it sits under a `not`;
//! * the zones' DNS records (an address that is your origin, a domain your records point to);
//! * the zones' names (a lookalike of a zone is phishing or typosquatting);
//! * the analytics (top client IPs, countries and paths; threats per country);
//! * a request sample's own content ([`request_signals`]).
//!
//! Then a request from it is run through each zone's WAF phases ([`crate::waf::simulate`]). The
//! threat level is the sum of the points of the [`Reason`]s (every reason says why it counts), and
//! the recommendation follows from the level, the kind and what the zones already do.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::analytics::Analytics;
use super::indicator::{parse_domain, parse_indicator, request_line, IndicatorKind, ParsedValue};
use super::lookalike::{lookalike_of, Lookalike, LookalikeTechnique};
use super::signals::{request_signals, RequestSignal};
use crate::intel::normalise::{CLOUDFLARE_IPV4, CLOUDFLARE_IPV6};
use crate::intel::{Indicator, IndicatorValue};
use crate::rules::{
    parse_filter, CmpOp, Comparison, Expr, Filter, ListRef, Lists, Request, Rhs, SetItem, Value,
};
use crate::snapshot::{RecordType, Snapshot, ZoneSnapshot};
use crate::waf::{self, RuleRef};

mod matching;
mod net;
mod verdict;

use matching::*;
use net::*;
use verdict::*;

/// At most this many entries are kept in each list of matches; the rest are counted in
/// [`ThreatAssessment::omitted`].
pub const MAX_MATCHES: usize = 50;

/// At most this many characters of the indicator are echoed back.
const MAX_ECHO_CHARS: usize = 200;

/// A threat-intel feed loaded by the caller: its name and parsed indicators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntelFeed {
    /// A name to cite (`spamhaus_drop`, `feodo.csv`).
    pub name: String,
    /// The feed's indicators ([`crate::intel::parse_feed`]).
    pub indicators: Vec<Indicator>,
}

impl IntelFeed {
    /// A feed with this name and these indicators.
    ///
    /// ```
    /// use cfcp::intel::{parse_feed, FeedFormat};
    /// let now = time::macros::datetime!(2026-11-01 12:00 UTC);
    /// let parsed = parse_feed(FeedFormat::Plain, "45.155.205.0/24\n", now);
    /// let feed = cfcp::oracle::IntelFeed::new("blocklist.txt", parsed.indicators);
    /// let inputs = cfcp::oracle::ThreatInputs { intel: std::slice::from_ref(&feed), ..Default::default() };
    /// let a = cfcp::oracle::threat_assess("45.155.205.7", &inputs);
    /// assert_eq!(a.intel_matches[0].feed, "blocklist.txt");
    /// ```
    pub fn new(name: impl Into<String>, indicators: Vec<Indicator>) -> Self {
        IntelFeed {
            name: name.into(),
            indicators,
        }
    }
}

/// What [`threat_assess`] may consult. Everything is optional: what is missing is named in
/// [`ThreatAssessment::unknowns`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreatInputs<'a> {
    /// The account's snapshot: lists, rules, records, zone names, and the WAF simulation.
    pub snapshot: Option<&'a Snapshot>,
    /// Loaded threat-intel feeds.
    pub intel: &'a [IntelFeed],
    /// Analytics of the zones.
    pub analytics: Option<&'a Analytics>,
    /// Only this zone (by name); all zones when `None`.
    pub zone: Option<&'a str>,
    /// "Now", to say how old the snapshot is; not used when `None`.
    pub now: Option<time::OffsetDateTime>,
}

/// How threatening an indicator is. Ordered: `None < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThreatLevel {
    /// No evidence against it.
    None,
    /// Worth watching.
    Low,
    /// Hostile signs: challenge it.
    Medium,
    /// Hostile: block it.
    High,
    /// Hostile from several independent sources, or hostile and reaching you now.
    Critical,
}

impl ThreatLevel {
    /// The level for a score (the sum of the reasons' points): 0 none, 1 low, 2–3 medium, 4–5
    /// high, 6 and more critical.
    ///
    /// ```
    /// use cfcp::oracle::ThreatLevel;
    /// assert_eq!(ThreatLevel::from_score(3), ThreatLevel::Medium);
    /// assert_eq!(ThreatLevel::from_score(9), ThreatLevel::Critical);
    /// ```
    pub fn from_score(score: u32) -> Self {
        match score {
            0 => ThreatLevel::None,
            1 => ThreatLevel::Low,
            2..=3 => ThreatLevel::Medium,
            4..=5 => ThreatLevel::High,
            _ => ThreatLevel::Critical,
        }
    }
}

/// How a matched entry relates to the indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The same address, network, number, code or name.
    Equal,
    /// The entry covers the indicator (a network holding the address, a parent domain).
    Contains,
    /// The entry lies inside the indicator (an address inside the network, a subdomain).
    Within,
    /// The networks share some addresses.
    Overlaps,
    /// The indicator satisfies the rule's condition (judged by the Rules engine).
    Matches,
}

/// A feed entry that matches the indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntelMatch {
    /// The feed's name.
    pub feed: String,
    /// 1-based line of the entry in the feed.
    pub line: usize,
    /// The entry (`185.220.101.0/24`, `AS64496`).
    pub entry: String,
    /// The entry's kind (`ip`, `cidr`, `asn`, `country`, `domain`, `url`).
    pub entry_kind: String,
    /// How it relates.
    pub relation: Relation,
    /// What the feed says about it.
    pub comment: Option<String>,
}

/// A rule, where it lives and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSite {
    /// The zone.
    pub zone: String,
    /// The phase (`http_request_firewall_custom`).
    pub phase: String,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's description.
    pub description: String,
    /// Its action (`block`, `skip`, ...).
    pub action: String,
    /// Whether it is enabled.
    pub enabled: bool,
}

/// A list item that matches the indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMatch {
    /// The account id.
    pub account: String,
    /// The list's name (`$name` in expressions).
    pub list: String,
    /// `ip`, `asn`, `hostname`.
    pub list_kind: String,
    /// The item (`198.18.64.0/24`, `AS64496`, `*.example.com`).
    pub item: String,
    /// How it relates.
    pub relation: Relation,
    /// The item's comment.
    pub comment: Option<String>,
    /// The rules (of the zones in scope) whose expression uses the list.
    pub used_by: Vec<RuleSite>,
}

/// A rule condition that the indicator satisfies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleMatch {
    /// The rule.
    pub rule: RuleSite,
    /// The field compared (`ip.src`, `ip.src.country`).
    pub field: String,
    /// The condition, printed canonically (`ip.src.country in {"KP" "IR"}`).
    pub condition: String,
    /// How the indicator relates to the condition's values.
    pub relation: Relation,
    /// True when the condition sits under `not`: the rule then excludes the indicator.
    pub negated: bool,
}

/// A DNS record that involves the indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMatch {
    /// The zone.
    pub zone: String,
    /// The record's id.
    pub record_id: Option<String>,
    /// The record's name.
    pub name: String,
    /// Its type.
    pub record_type: String,
    /// Its content.
    pub content: String,
    /// Whether it is proxied.
    pub proxied: bool,
    /// `points_to`: the record's content is (or is inside) the indicator, e.g. your origin
    /// address; `named`: the record's name is the indicator or under it.
    pub relation: String,
}

/// A figure of the analytics that involves the indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsMatch {
    /// The zone.
    pub zone: String,
    /// `top_ips`, `top_countries`, `daily_countries`, `top_paths`.
    pub figure: String,
    /// The value counted (the IP, country or path).
    pub value: String,
    /// Requests.
    pub requests: u64,
    /// Threats, where the figure has them.
    pub threats: Option<u64>,
}

/// What one zone would do with a request from (or like) the indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneOutcome {
    /// The zone.
    pub zone: String,
    /// The request simulated (`GET https://acme-shop.com/` from 198.51.100.7).
    pub request: String,
    /// `allow`, `block`, `managed_challenge`, ...
    pub final_action: String,
    /// The rule that decided, if any.
    pub terminating_rule: Option<RuleRef>,
    /// Rules that matched, as `rule_id: action (note)`.
    pub matched_rules: Vec<String>,
    /// Rate limiting rules that would count it.
    pub rate_limit_counted_by: Vec<RuleRef>,
    /// What the simulation cannot decide.
    pub caveats: Vec<String>,
}

/// One reason for the threat level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// A stable code: `intel_listed`, `own_blocklist`, `challenged_by_rule`, `lookalike_domain`,
    /// `attack_pattern`, `seen_in_traffic`, `threat_traffic`, `not_mitigated`, and, with no
    /// points, `own_asset`, `cloudflare_range`, `special_range`, `allowlisted`, `exempted`,
    /// `not_in_intel`, `unrecognised`.
    pub code: String,
    /// Points added to the score.
    pub points: u32,
    /// The evidence, in words.
    pub detail: String,
}

/// What to do about the indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendedAction {
    /// Nothing.
    None,
    /// Watch it; no rule yet.
    Monitor,
    /// Managed challenge.
    Challenge,
    /// Block.
    Block,
    /// Never block it: it is yours or Cloudflare's.
    DoNotBlock,
    /// A domain imitating yours: report it, watch it, warn users; it cannot be blocked at your
    /// zone.
    Takedown,
}

/// The recommendation of a [`ThreatAssessment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatRecommendation {
    /// The action.
    pub action: RecommendedAction,
    /// True when every zone in scope already does it (so there is nothing to change).
    pub already_in_effect: bool,
    /// One sentence.
    pub summary: String,
    /// Concrete steps (list additions, rule expressions), in order.
    pub steps: Vec<String>,
}

/// The result of [`threat_assess`] (MCP `threat_assess` structured content).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreatAssessment {
    /// The indicator as given (at most 200 characters).
    pub indicator: String,
    /// Its kind.
    pub kind: IndicatorKind,
    /// Its normalised form (empty when unknown).
    pub normalised: String,
    /// How it was read.
    pub notes: Vec<String>,
    /// The zones considered.
    pub zones: Vec<String>,
    /// The zone the indicator belongs to, when it is a zone or under one.
    pub own_zone: Option<String>,
    /// Feed entries that match.
    pub intel_matches: Vec<IntelMatch>,
    /// List items that match.
    pub list_matches: Vec<ListMatch>,
    /// Rule conditions it satisfies.
    pub rule_matches: Vec<RuleMatch>,
    /// DNS records involving it.
    pub record_matches: Vec<RecordMatch>,
    /// Zones it imitates.
    pub lookalikes: Vec<Lookalike>,
    /// Attack signals of a request sample.
    pub request_signals: Vec<RequestSignal>,
    /// Analytics figures involving it.
    pub analytics_matches: Vec<AnalyticsMatch>,
    /// What each zone would do with a request from it.
    pub zone_outcomes: Vec<ZoneOutcome>,
    /// The level.
    pub threat_level: ThreatLevel,
    /// The sum of the reasons' points.
    pub score: u32,
    /// Why, one entry per piece of evidence.
    pub reasons: Vec<Reason>,
    /// What to do.
    pub recommendation: ThreatRecommendation,
    /// What could not be known (missing inputs, gaps, simulation limits).
    pub unknowns: Vec<String>,
    /// Matches left out of each list above (by list name) beyond [`MAX_MATCHES`].
    pub omitted: BTreeMap<String, usize>,
}

/// The parts of an indicator that can be looked up.
#[derive(Debug, Default)]
struct Facets {
    net: Option<IpNet>,
    asn: Option<u32>,
    country: Option<String>,
    domain: Option<String>,
    request: Option<Request>,
}

impl Facets {
    fn of(value: &ParsedValue) -> Facets {
        let mut f = Facets::default();
        match value {
            ParsedValue::Ip(ip) => f.net = Some(IpNet::from(*ip)),
            ParsedValue::Cidr(net) => f.net = Some(*net),
            ParsedValue::Asn(asn) => f.asn = Some(*asn),
            ParsedValue::Country(c) => f.country = Some(c.clone()),
            ParsedValue::Domain(d) => f.domain = Some(d.clone()),
            ParsedValue::Request(r) => {
                f.net = r.client_ip.map(IpNet::from);
                f.asn = u32::try_from(r.asn).ok().filter(|a| *a > 0);
                f.country = Some(r.country.to_ascii_uppercase()).filter(|c| !c.is_empty());
                if let Ok(ip) = IpAddr::from_str(&r.host) {
                    f.net = f.net.or(Some(IpNet::from(ip)));
                } else if let Ok((domain, _)) = parse_domain(&r.host) {
                    f.domain = Some(domain);
                }
                f.request = Some((**r).clone());
            }
            ParsedValue::Unknown(_) => {}
        }
        f
    }
}

/// A rule of a zone in scope with its parsed condition.
struct ParsedRule {
    site: RuleSite,
    filter: Option<Filter>,
}

/// Assesses an indicator: an IP, CIDR, ASN, country code, domain, URL or request sample (an
/// HTTP request line or a JSON request as `cfcp waf simulate` takes it). Pure: it reads only
/// its arguments, and any text gives an answer (an unrecognised one says so).
///
/// ```
/// use cfcp::oracle::{threat_assess, ThreatInputs, ThreatLevel, RecommendedAction};
/// let snapshot = cfcp::snapshot::demo();
/// let inputs = ThreatInputs { snapshot: Some(&snapshot), ..ThreatInputs::default() };
/// let a = threat_assess("198.18.7.21", &inputs);
/// assert!(a.list_matches.iter().any(|m| m.list == "acme_blocklist"));
/// assert!(a.zone_outcomes.iter().any(|o| o.zone == "acme-shop.com" && o.final_action == "block"));
/// assert!(a.threat_level >= ThreatLevel::Medium);
///
/// let phish = threat_assess("acme-sh0p.com", &inputs);
/// assert_eq!(phish.recommendation.action, RecommendedAction::Takedown);
/// ```
pub fn threat_assess(indicator: &str, inputs: &ThreatInputs<'_>) -> ThreatAssessment {
    let parsed = parse_indicator(indicator);
    let facets = Facets::of(&parsed.value);
    let mut a = ThreatAssessment {
        indicator: indicator.chars().take(MAX_ECHO_CHARS).collect(),
        kind: parsed.kind,
        normalised: parsed.normalised.clone(),
        notes: parsed.notes.clone(),
        zones: Vec::new(),
        own_zone: None,
        intel_matches: Vec::new(),
        list_matches: Vec::new(),
        rule_matches: Vec::new(),
        record_matches: Vec::new(),
        lookalikes: Vec::new(),
        request_signals: Vec::new(),
        analytics_matches: Vec::new(),
        zone_outcomes: Vec::new(),
        threat_level: ThreatLevel::None,
        score: 0,
        reasons: Vec::new(),
        recommendation: ThreatRecommendation {
            action: RecommendedAction::None,
            already_in_effect: false,
            summary: String::new(),
            steps: Vec::new(),
        },
        unknowns: Vec::new(),
        omitted: BTreeMap::new(),
    };
    if let ParsedValue::Unknown(why) = &parsed.value {
        a.reasons.push(reason("unrecognised", 0, why.clone()));
        a.recommendation.summary = format!(
            "Not assessed: {why}. Give an IP, CIDR, ASN (AS64496), country code, domain, URL or HTTP request."
        );
        return a;
    }

    let zones = zones_in_scope(inputs, &mut a);
    a.zones = zones.iter().map(|z| z.zone.name.clone()).collect();
    let lists = inputs
        .snapshot
        .map(waf::lists_from_snapshot)
        .unwrap_or_default();
    let rules = parse_rules(&zones);

    match_intel(&facets, &parsed.normalised, inputs.intel, &mut a);
    if let Some(snapshot) = inputs.snapshot {
        match_lists(&facets, snapshot, &rules, &mut a);
        match_rules(&facets, &rules, &lists, &mut a);
        match_records(&facets, &zones, &mut a);
        match_zone_names(&facets, snapshot, &zones, &mut a);
        simulate_zones(&facets, parsed.kind, snapshot, &zones, &lists, &mut a);
    }
    if let Some(request) = &facets.request {
        a.request_signals = request_signals(request);
    }
    if let Some(analytics) = inputs.analytics {
        match_analytics(&facets, analytics, &a.zones.clone(), &mut a);
    }
    note_unknowns(&facets, inputs, &mut a);
    score(&facets, inputs, &mut a);
    a.recommendation = recommend(&facets, &zones, &rules, &a);
    cap(&mut a);
    a
}

fn reason(code: &str, points: u32, detail: impl Into<String>) -> Reason {
    Reason {
        code: code.to_owned(),
        points,
        detail: detail.into(),
    }
}

fn zones_in_scope<'s>(
    inputs: &ThreatInputs<'s>,
    a: &mut ThreatAssessment,
) -> Vec<&'s ZoneSnapshot> {
    let Some(snapshot) = inputs.snapshot else {
        return Vec::new();
    };
    match inputs.zone {
        None => snapshot.zones.iter().collect(),
        Some(name) => match snapshot.zone(name) {
            Some(z) => vec![z],
            None => {
                a.unknowns.push(format!(
                    "zone {name:?} is not in the snapshot (it has: {})",
                    snapshot
                        .zones
                        .iter()
                        .map(|z| z.zone.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                Vec::new()
            }
        },
    }
}

fn parse_rules(zones: &[&ZoneSnapshot]) -> Vec<ParsedRule> {
    let mut out = Vec::new();
    for z in zones {
        for ruleset in &z.rulesets {
            let phase = ruleset
                .phase
                .get()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            for rule in &ruleset.rules {
                out.push(ParsedRule {
                    site: RuleSite {
                        zone: z.zone.name.clone(),
                        phase: phase.clone(),
                        rule_id: rule.id.get().cloned().unwrap_or_default(),
                        description: rule.description.get().cloned().unwrap_or_default(),
                        action: rule
                            .action
                            .get()
                            .map(|a| a.as_str().to_owned())
                            .unwrap_or_default(),
                        enabled: rule.is_enabled(),
                    },
                    filter: rule
                        .expression
                        .as_deref()
                        .and_then(|e| parse_filter(e).ok()),
                });
            }
        }
    }
    out
}

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Relation::Equal => "equal",
            Relation::Contains => "contains",
            Relation::Within => "within",
            Relation::Overlaps => "overlaps",
            Relation::Matches => "matches",
        })
    }
}

fn note_unknowns(facets: &Facets, inputs: &ThreatInputs<'_>, a: &mut ThreatAssessment) {
    match inputs.snapshot {
        None => a.unknowns.push(
            "no snapshot: the zones' lists, rules, DNS records and names, and what the zones would do with it, are unknown".to_owned(),
        ),
        Some(snapshot) => {
            let unknowns = super::snapshot_unknowns(
                snapshot,
                &a.zones,
                Some(&["lists", "rulesets", "dns_records", "zones"]),
                inputs.now,
                "",
                "lists and rules may have changed since",
            );
            a.unknowns.extend(unknowns);
        }
    }
    if inputs.intel.is_empty() {
        a.unknowns
            .push("no threat-intel feeds loaded: its reputation is unknown".to_owned());
    }
    match inputs.analytics {
        None => a
            .unknowns
            .push("no analytics: whether it reached the zones is unknown".to_owned()),
        Some(_) => {
            if facets.asn.is_some() && facets.net.is_none() {
                a.unknowns.push(
                    "the analytics carry no per-ASN breakdown: its traffic is unknown".to_owned(),
                );
            }
            if facets.domain.is_some() && facets.request.is_none() {
                a.unknowns.push(
                    "the analytics carry no per-referrer or per-host breakdown for this domain"
                        .to_owned(),
                );
            }
        }
    }
}

fn cap(a: &mut ThreatAssessment) {
    fn keep<T>(name: &str, items: &mut Vec<T>, omitted: &mut BTreeMap<String, usize>) {
        if items.len() > MAX_MATCHES {
            omitted.insert(name.to_owned(), items.len() - MAX_MATCHES);
            items.truncate(MAX_MATCHES);
        }
    }
    keep("intel_matches", &mut a.intel_matches, &mut a.omitted);
    keep("list_matches", &mut a.list_matches, &mut a.omitted);
    keep("rule_matches", &mut a.rule_matches, &mut a.omitted);
    keep("record_matches", &mut a.record_matches, &mut a.omitted);
    keep(
        "analytics_matches",
        &mut a.analytics_matches,
        &mut a.omitted,
    );
    keep("zone_outcomes", &mut a.zone_outcomes, &mut a.omitted);
}

#[cfg(test)]
mod tests;
