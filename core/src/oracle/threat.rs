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

/// A network as a rule or list writes it: a lone address without its `/32` or `/128`.
fn net_text(net: IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// An address range as integers, with its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    v6: bool,
    start: u128,
    end: u128,
}

fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (true, u128::from(v6)),
    }
}

fn net_span(net: IpNet) -> Span {
    let (v6, start) = ip_bits(net.network());
    let (_, end) = ip_bits(net.broadcast());
    Span { v6, start, end }
}

fn range_span(a: IpAddr, b: IpAddr) -> Option<Span> {
    let ((v6a, start), (v6b, end)) = (ip_bits(a), ip_bits(b));
    (v6a == v6b && start <= end).then_some(Span {
        v6: v6a,
        start,
        end,
    })
}

/// How `entry` relates to `query`: equal, contains (entry ⊇ query), within, overlaps.
fn span_relation(entry: Span, query: Span) -> Option<Relation> {
    if entry.v6 != query.v6 || entry.end < query.start || query.end < entry.start {
        return None;
    }
    Some(if entry == query {
        Relation::Equal
    } else if entry.start <= query.start && query.end <= entry.end {
        Relation::Contains
    } else if query.start <= entry.start && entry.end <= query.end {
        Relation::Within
    } else {
        Relation::Overlaps
    })
}

fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    IpNet::from_str(text)
        .ok()
        .or_else(|| IpAddr::from_str(text).ok().map(IpNet::from))
}

/// How a domain entry relates to the queried domain: equal, contains (a parent domain), within
/// (a subdomain).
fn domain_relation(entry: &str, query: &str) -> Option<Relation> {
    if entry == query {
        Some(Relation::Equal)
    } else if query.ends_with(&format!(".{entry}")) {
        Some(Relation::Contains)
    } else if entry.ends_with(&format!(".{query}")) {
        Some(Relation::Within)
    } else {
        None
    }
}

fn unicode_domain(text: &str) -> Option<String> {
    parse_domain(text).ok().map(|(d, _)| d)
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    unicode_domain(host)
}

fn match_intel(facets: &Facets, normalised: &str, feeds: &[IntelFeed], a: &mut ThreatAssessment) {
    let query_span = facets.net.map(net_span);
    for feed in feeds {
        for indicator in &feed.indicators {
            let relation = match &indicator.value {
                IndicatorValue::Ip(_) | IndicatorValue::Cidr(_) => {
                    match (indicator.value.net(), query_span) {
                        (Some(net), Some(q)) => span_relation(net_span(net.trunc()), q),
                        _ => None,
                    }
                }
                IndicatorValue::Asn(asn) => (facets.asn == Some(*asn)).then_some(Relation::Equal),
                IndicatorValue::Country(c) => {
                    (facets.country.as_deref() == Some(c.as_str())).then_some(Relation::Equal)
                }
                IndicatorValue::Domain(d) => match (&facets.domain, unicode_domain(d)) {
                    (Some(q), Some(entry)) => domain_relation(&entry, q),
                    _ => None,
                },
                IndicatorValue::Url(url) => {
                    if url.eq_ignore_ascii_case(normalised) {
                        Some(Relation::Equal)
                    } else {
                        match (&facets.domain, url_host(url)) {
                            (Some(q), Some(host))
                                if host == *q || host.ends_with(&format!(".{q}")) =>
                            {
                                Some(Relation::Within)
                            }
                            _ => None,
                        }
                    }
                }
            };
            if let Some(relation) = relation {
                a.intel_matches.push(IntelMatch {
                    feed: feed.name.clone(),
                    line: indicator.line,
                    entry: indicator.value.to_string(),
                    entry_kind: indicator.value.kind().to_owned(),
                    relation,
                    comment: indicator.comment.clone(),
                });
            }
        }
    }
}

fn match_lists(
    facets: &Facets,
    snapshot: &Snapshot,
    rules: &[ParsedRule],
    a: &mut ThreatAssessment,
) {
    let query_span = facets.net.map(net_span);
    for account in &snapshot.accounts {
        for list in &account.lists {
            let Some(name) = list.list.name.as_deref() else {
                continue;
            };
            let kind = list
                .list
                .kind
                .get()
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default();
            let used_by: Vec<RuleSite> = rules
                .iter()
                .filter(|r| {
                    r.filter
                        .as_ref()
                        .is_some_and(|f| f.lists().contains(&ListRef::Custom(name.to_owned())))
                })
                .map(|r| r.site.clone())
                .collect();
            for item in &list.items {
                let hostname = item
                    .extra
                    .get("hostname")
                    .and_then(|h| h.get("url_hostname"))
                    .and_then(serde_json::Value::as_str);
                let found = if let (Some(ip), Some(q)) = (item.ip.as_deref(), query_span) {
                    parse_net(ip)
                        .and_then(|net| span_relation(net_span(net.trunc()), q))
                        .map(|r| (ip.to_owned(), r))
                } else if let (Some(asn), Some(q)) = (item.asn.copied(), facets.asn) {
                    (asn == u64::from(q)).then(|| (format!("AS{asn}"), Relation::Equal))
                } else if let (Some(host), Some(q)) = (hostname, &facets.domain) {
                    let host = host.to_lowercase();
                    match host.strip_prefix("*.") {
                        Some(parent) => q
                            .ends_with(&format!(".{parent}"))
                            .then(|| (host.clone(), Relation::Contains)),
                        None => (host == *q).then(|| (host.clone(), Relation::Equal)),
                    }
                } else {
                    None
                };
                if let Some((item_text, relation)) = found {
                    a.list_matches.push(ListMatch {
                        account: account.account.id.clone(),
                        list: name.to_owned(),
                        list_kind: kind.clone(),
                        item: item_text,
                        relation,
                        comment: item.comment.get().cloned(),
                        used_by: used_by.clone(),
                    });
                }
            }
        }
    }
}

/// The comparisons of an expression with whether each sits under an odd number of `not`s.
fn comparisons<'e>(expr: &'e Expr, negated: bool, out: &mut Vec<(&'e Comparison, bool)>) {
    match expr {
        Expr::Or(items) | Expr::And(items) | Expr::Xor(items) => {
            for item in items {
                comparisons(item, negated, out);
            }
        }
        Expr::Not(inner, _) => comparisons(inner, !negated, out),
        Expr::Compare(c) => out.push((c, negated)),
        Expr::Value(_) => {}
    }
}

fn lhs_fields(value: &Value) -> Vec<&str> {
    match value {
        Value::Field { name, .. } => vec![name.as_str()],
        Value::Call { args, .. } => {
            let mut out = Vec::new();
            for arg in args {
                arg.walk(&mut |e| match e {
                    Expr::Compare(c) => out.extend(lhs_fields(&c.lhs)),
                    Expr::Value(v) => out.extend(lhs_fields(v)),
                    _ => {}
                });
            }
            out
        }
        Value::Literal(..) => Vec::new(),
    }
}

const ASN_FIELDS: &[&str] = &["ip.src.asnum", "ip.geoip.asnum"];
const COUNTRY_FIELDS: &[&str] = &["ip.src.country", "ip.geoip.country"];
const HOST_FIELDS: &[&str] = &[
    "http.host",
    "http.request.full_uri",
    "raw.http.request.full_uri",
    "http.referer",
];

/// The spans an `ip.src` condition names (an address, a set, an account list).
fn condition_spans(c: &Comparison, lists: &Lists) -> Vec<Span> {
    let mut out = Vec::new();
    match &c.rhs.value {
        Rhs::Ip(ip) => out.push(net_span(IpNet::from(*ip))),
        Rhs::Set(items) => {
            for item in items {
                match &item.value {
                    SetItem::Ip(ip) => out.push(net_span(IpNet::from(*ip))),
                    SetItem::Cidr(ip, len) => {
                        if let Ok(net) = IpNet::new(*ip, *len) {
                            out.push(net_span(net.trunc()));
                        }
                    }
                    SetItem::IpRange(x, y) => out.extend(range_span(*x, *y)),
                    _ => {}
                }
            }
        }
        Rhs::List(ListRef::Custom(name)) => {
            if let Some(items) = lists.get(name) {
                for (ip, len) in &items.ips {
                    if let Ok(net) = IpNet::new(*ip, *len) {
                        out.push(net_span(net.trunc()));
                    }
                }
            }
        }
        _ => {}
    }
    out
}

fn strongest(relations: impl Iterator<Item = Relation>) -> Option<Relation> {
    relations.min()
}

fn match_rules(facets: &Facets, rules: &[ParsedRule], lists: &Lists, a: &mut ThreatAssessment) {
    let query_span = facets.net.map(net_span);
    let facet_requests: Vec<(&[&str], Request)> = [
        facets.asn.map(|asn| {
            (
                ASN_FIELDS,
                Request {
                    asn: i64::from(asn),
                    ..Request::default()
                },
            )
        }),
        facets.country.as_ref().map(|c| {
            (
                COUNTRY_FIELDS,
                Request {
                    country: c.clone(),
                    ..Request::default()
                },
            )
        }),
        facets.domain.as_ref().map(|d| {
            (
                HOST_FIELDS,
                Request::get(d, "/").header("Referer", &format!("https://{d}/")),
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    for rule in rules {
        let Some(filter) = &rule.filter else {
            continue;
        };
        let mut atoms = Vec::new();
        comparisons(filter.expr(), false, &mut atoms);
        for (c, negated) in atoms {
            if matches!(c.op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge) {
                continue;
            }
            let fields = lhs_fields(&c.lhs);
            let plain_ip_src = matches!(&c.lhs, Value::Field { name, path, .. } if name == "ip.src" && path.is_empty());
            if let (true, Some(q)) = (plain_ip_src, query_span) {
                let found = strongest(
                    condition_spans(c, lists)
                        .into_iter()
                        .filter_map(|s| span_relation(s, q)),
                );
                if let Some(relation) = found {
                    let negated = negated ^ (c.op == CmpOp::Ne);
                    push_rule_match(a, rule, "ip.src", c, relation, negated);
                }
                continue;
            }
            for (wanted, request) in &facet_requests {
                let Some(field) = fields.iter().find(|f| wanted.contains(f)) else {
                    continue;
                };
                let mut positive = c.clone();
                let flipped = positive.op == CmpOp::Ne;
                if flipped {
                    positive.op = CmpOp::Eq;
                }
                let text = Expr::Compare(Box::new(positive)).to_string();
                let satisfied = parse_filter(&text).is_ok_and(|f| f.matches(request, lists));
                if satisfied {
                    push_rule_match(a, rule, field, c, Relation::Matches, negated ^ flipped);
                }
            }
        }
    }
}

fn push_rule_match(
    a: &mut ThreatAssessment,
    rule: &ParsedRule,
    field: &str,
    c: &Comparison,
    relation: Relation,
    negated: bool,
) {
    a.rule_matches.push(RuleMatch {
        rule: rule.site.clone(),
        field: field.to_owned(),
        condition: c.to_string(),
        relation,
        negated,
    });
}

fn record_target(content: &str) -> &str {
    // MX and CNAME content is a host name; SRV's is "weight port target".
    content
        .split_whitespace()
        .last()
        .unwrap_or("")
        .trim_end_matches('.')
}

fn match_records(facets: &Facets, zones: &[&ZoneSnapshot], a: &mut ThreatAssessment) {
    let query_span = facets.net.map(net_span);
    for z in zones {
        for record in &z.dns_records {
            let content = record.content_str();
            let relation = match (&record.record_type, query_span, &facets.domain) {
                (RecordType::A | RecordType::Aaaa, Some(q), _) => parse_net(content)
                    .and_then(|n| span_relation(q, net_span(n)))
                    .map(|_| "points_to"),
                (_, _, Some(domain)) => {
                    let name = record.name.to_lowercase();
                    let target = unicode_domain(record_target(content));
                    if matches!(
                        record.record_type,
                        RecordType::Cname | RecordType::Mx | RecordType::Ns | RecordType::Srv
                    ) && target
                        .as_deref()
                        .is_some_and(|t| t == domain || t.ends_with(&format!(".{domain}")))
                    {
                        Some("points_to")
                    } else if name == *domain {
                        Some("named")
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(relation) = relation {
                a.record_matches.push(RecordMatch {
                    zone: z.zone.name.clone(),
                    record_id: record.id.get().cloned(),
                    name: record.name.clone(),
                    record_type: record.record_type.to_string(),
                    content: content.to_owned(),
                    proxied: record.is_proxied(),
                    relation: relation.to_owned(),
                });
            }
        }
    }
}

fn match_zone_names(
    facets: &Facets,
    snapshot: &Snapshot,
    zones: &[&ZoneSnapshot],
    a: &mut ThreatAssessment,
) {
    let Some(domain) = &facets.domain else {
        return;
    };
    // Ownership is judged against every zone of the account, not just those in scope.
    a.own_zone = snapshot
        .zones
        .iter()
        .map(|z| z.zone.name.to_lowercase())
        .filter(|zone| domain == zone || domain.ends_with(&format!(".{zone}")))
        .max_by_key(String::len);
    if a.own_zone.is_some() {
        return;
    }
    for z in zones {
        if let Some(l) = lookalike_of(domain, &z.zone.name) {
            a.lookalikes.push(l);
        }
    }
}

/// The zone a host belongs to, among `zones`.
fn zone_of_host<'z>(host: &str, zones: &[&'z ZoneSnapshot]) -> Option<&'z ZoneSnapshot> {
    zones
        .iter()
        .filter(|z| {
            let name = z.zone.name.to_lowercase();
            host == name || host.ends_with(&format!(".{name}"))
        })
        .max_by_key(|z| z.zone.name.len())
        .copied()
}

fn simulate_zones(
    facets: &Facets,
    kind: IndicatorKind,
    snapshot: &Snapshot,
    zones: &[&ZoneSnapshot],
    lists: &Lists,
    a: &mut ThreatAssessment,
) {
    let mut targets: Vec<(&ZoneSnapshot, Request, String)> = Vec::new();
    match kind {
        IndicatorKind::Request | IndicatorKind::Url => {
            let Some(request) = &facets.request else {
                return;
            };
            let host = request.host.to_lowercase();
            if host.is_empty() {
                for z in zones {
                    let mut r = request.clone();
                    r.host = z.zone.name.clone();
                    targets.push((z, r, String::new()));
                }
            } else if let Some(z) = zone_of_host(&host, zones) {
                targets.push((z, request.clone(), String::new()));
            } else {
                a.unknowns.push(format!(
                    "the request's host {host} is not under any zone in scope: no zone would see it"
                ));
            }
        }
        IndicatorKind::Domain => {
            if let Some(z) = facets
                .domain
                .as_deref()
                .and_then(|d| zone_of_host(d, zones))
            {
                let domain = facets.domain.clone().unwrap_or_default();
                targets.push((z, Request::get(&domain, "/"), String::new()));
            }
        }
        IndicatorKind::Ip | IndicatorKind::Cidr | IndicatorKind::Asn | IndicatorKind::Country => {
            for z in zones {
                let mut r = Request::get(&z.zone.name, "/");
                let mut from = String::new();
                if let Some(net) = facets.net {
                    r.client_ip = Some(net.network());
                    from = format!(" from {}", net.network());
                    if kind == IndicatorKind::Cidr {
                        from.push_str(&format!(" (first address of {net})"));
                    }
                }
                if let Some(asn) = facets.asn {
                    r.asn = i64::from(asn);
                    from = format!(" from AS{asn}");
                }
                if let Some(c) = &facets.country {
                    r.country = c.clone();
                    from = format!(" from country {c}");
                }
                targets.push((z, r, from));
            }
        }
        IndicatorKind::Unknown => {}
    }
    for (z, request, from) in targets {
        let Ok(trace) = waf::simulate(snapshot, &z.zone.name, &request, lists) else {
            continue;
        };
        let mut caveats = trace.caveats.clone();
        if z.setting_str("security_level") == Some("under_attack") {
            caveats.push(
                "I'm Under Attack mode is on: browsers get an interstitial challenge before any rule runs (not simulated)".to_owned(),
            );
        }
        a.zone_outcomes.push(ZoneOutcome {
            zone: trace.zone.clone(),
            request: format!("{}{from}", request_line(&request)),
            final_action: trace.final_action.clone(),
            terminating_rule: trace.terminating_rule.clone(),
            matched_rules: trace
                .matched()
                .map(|s| {
                    let mut line = format!("{}: {}", s.rule_id, s.action);
                    if !s.note.is_empty() {
                        line.push_str(&format!(" ({})", s.note));
                    }
                    line
                })
                .collect(),
            rate_limit_counted_by: trace.rate_limit_counted_by.clone(),
            caveats,
        });
    }
    if kind == IndicatorKind::Cidr && !a.zone_outcomes.is_empty() {
        a.unknowns.push(
            "a network was simulated by its first address: rules naming only part of it may treat other addresses differently".to_owned(),
        );
    }
}

fn match_analytics(
    facets: &Facets,
    analytics: &Analytics,
    zones: &[String],
    a: &mut ThreatAssessment,
) {
    for za in &analytics.zones {
        if !zones.is_empty() && !zones.iter().any(|z| z.eq_ignore_ascii_case(&za.zone)) {
            continue;
        }
        let mut push = |figure: &str, value: &str, requests: u64, threats: Option<u64>| {
            a.analytics_matches.push(AnalyticsMatch {
                zone: za.zone.clone(),
                figure: figure.to_owned(),
                value: value.to_owned(),
                requests,
                threats,
            });
        };
        if let Some(traffic) = &za.traffic {
            if let Some(q) = facets.net.map(net_span) {
                for top in &traffic.top_ips {
                    let inside = IpAddr::from_str(top.value.trim())
                        .ok()
                        .and_then(|ip| span_relation(q, net_span(IpNet::from(ip))));
                    if inside.is_some() {
                        push("top_ips", &top.value, top.requests, None);
                    }
                }
            }
            if let Some(c) = &facets.country {
                for top in traffic
                    .top_countries
                    .iter()
                    .filter(|t| t.value.eq_ignore_ascii_case(c))
                {
                    push("top_countries", &top.value, top.requests, None);
                }
            }
            if let Some(r) = &facets.request {
                for top in traffic.top_paths.iter().filter(|t| t.value == r.path) {
                    push("top_paths", &top.value, top.requests, None);
                }
            }
        }
        if let Some(c) = &facets.country {
            if let Some((requests, threats)) = za.country_daily(c) {
                push("daily_countries", c, requests, Some(threats));
            }
        }
    }
}

/// Special-purpose IPv4 and IPv6 ranges and what they are.
const SPECIAL_RANGES: &[(&str, &str)] = &[
    ("0.0.0.0/8", "reserved (this network)"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::1/128", "loopback"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
    ("2001:db8::/32", "documentation"),
];

fn special_range(net: IpNet) -> Option<(&'static str, &'static str)> {
    let q = net_span(net);
    SPECIAL_RANGES.iter().copied().find(|(range, _)| {
        parse_net(range).is_some_and(|r| {
            matches!(
                span_relation(net_span(r), q),
                Some(Relation::Equal | Relation::Contains)
            )
        })
    })
}

fn cloudflare_range(net: IpNet) -> Option<&'static str> {
    let q = net_span(net);
    CLOUDFLARE_IPV4
        .iter()
        .chain(CLOUDFLARE_IPV6)
        .copied()
        .find(|range| parse_net(range).is_some_and(|r| span_relation(net_span(r), q).is_some()))
}

fn note_unknowns(facets: &Facets, inputs: &ThreatInputs<'_>, a: &mut ThreatAssessment) {
    match inputs.snapshot {
        None => a.unknowns.push(
            "no snapshot: the zones' lists, rules, DNS records and names, and what the zones would do with it, are unknown".to_owned(),
        ),
        Some(snapshot) => {
            for gap in &snapshot.gaps {
                let relevant = matches!(
                    gap.section.as_str(),
                    "lists" | "rulesets" | "dns_records" | "zones"
                ) && gap
                    .zone
                    .as_deref()
                    .map_or(true, |z| a.zones.iter().any(|n| n.eq_ignore_ascii_case(z)));
                if relevant {
                    a.unknowns.push(format!(
                        "the snapshot could not read {}{}: {}",
                        gap.section,
                        gap.zone
                            .as_deref()
                            .map(|z| format!(" of {z}"))
                            .unwrap_or_default(),
                        gap.reason
                    ));
                }
            }
            if let Some(now) = inputs.now {
                let hours = (now - snapshot.taken_at.to_datetime()).whole_hours();
                if hours >= 24 {
                    a.unknowns.push(format!(
                        "the snapshot is {hours} hours old ({}): lists and rules may have changed since",
                        snapshot.taken_at
                    ));
                }
            }
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

fn is_challenge(action: &str) -> bool {
    matches!(action, "managed_challenge" | "js_challenge" | "challenge")
}

fn score(facets: &Facets, inputs: &ThreatInputs<'_>, a: &mut ThreatAssessment) {
    let mut reasons = Vec::new();
    // Reputation.
    let feeds: BTreeSet<&str> = a.intel_matches.iter().map(|m| m.feed.as_str()).collect();
    if !feeds.is_empty() {
        let first = &a.intel_matches[0];
        reasons.push(reason(
            "intel_listed",
            3 + (feeds.len() as u32 - 1).min(2),
            format!(
                "listed by {} feed(s): {} (e.g. line {} of {}: {}, {}{})",
                feeds.len(),
                feeds.iter().copied().collect::<Vec<_>>().join(", "),
                first.line,
                first.feed,
                first.entry,
                first.relation,
                first
                    .comment
                    .as_deref()
                    .map(|c| format!(", {c}"))
                    .unwrap_or_default()
            ),
        ));
    } else if !inputs.intel.is_empty() && a.kind != IndicatorKind::Request {
        reasons.push(reason(
            "not_in_intel",
            0,
            format!("in none of the {} loaded feed(s)", inputs.intel.len()),
        ));
    }
    // The account's own judgement: lists used by blocking rules, rules naming it.
    let mut blocked_by: BTreeSet<String> = BTreeSet::new();
    let mut challenged_by: BTreeSet<String> = BTreeSet::new();
    let mut allowed_by: BTreeSet<String> = BTreeSet::new();
    let mut exempted_by: BTreeSet<String> = BTreeSet::new();
    for m in &a.list_matches {
        for site in m.used_by.iter().filter(|s| s.enabled) {
            let label = format!(
                "list {} ({}) used by {} rule {} on {}",
                m.list, m.item, site.action, site.rule_id, site.zone
            );
            if site.action == "block" {
                blocked_by.insert(label);
            } else if is_challenge(&site.action) {
                challenged_by.insert(label);
            } else if site.action == "skip" {
                allowed_by.insert(label);
            }
        }
    }
    for m in a.rule_matches.iter().filter(|m| m.rule.enabled) {
        let label = format!(
            "{} rule {} on {} ({:?}): {}",
            m.rule.action, m.rule.rule_id, m.rule.zone, m.rule.description, m.condition
        );
        if m.negated {
            if m.rule.action == "block" || is_challenge(&m.rule.action) {
                exempted_by.insert(label);
            }
            continue;
        }
        if m.condition.contains(" in $") && m.field == "ip.src" {
            // Already counted through the list.
            continue;
        }
        if m.rule.action == "block" {
            blocked_by.insert(label);
        } else if is_challenge(&m.rule.action) {
            challenged_by.insert(label);
        } else if m.rule.action == "skip" {
            allowed_by.insert(label);
        }
    }
    if !blocked_by.is_empty() {
        reasons.push(reason(
            "own_blocklist",
            2,
            format!(
                "the account already blocks it: {}",
                blocked_by.into_iter().collect::<Vec<_>>().join("; ")
            ),
        ));
    } else if !challenged_by.is_empty() {
        reasons.push(reason(
            "challenged_by_rule",
            1,
            format!(
                "the account challenges it: {}",
                challenged_by.into_iter().collect::<Vec<_>>().join("; ")
            ),
        ));
    }
    if !allowed_by.is_empty() {
        reasons.push(reason(
            "allowlisted",
            0,
            format!(
                "a skip rule lets it past other rules: {}",
                allowed_by.into_iter().collect::<Vec<_>>().join("; ")
            ),
        ));
    }
    if !exempted_by.is_empty() {
        reasons.push(reason(
            "exempted",
            0,
            format!(
                "a rule exempts it (its condition is negated): {}",
                exempted_by.into_iter().collect::<Vec<_>>().join("; ")
            ),
        ));
    }
    // Imitation of a zone.
    if let Some(worst) = a.lookalikes.iter().min_by_key(|l| l.technique) {
        let points = match worst.technique {
            LookalikeTechnique::Homoglyph => 4,
            LookalikeTechnique::TldSwap => 2,
            _ => 3,
        };
        reasons.push(reason(
            "lookalike_domain",
            points,
            format!(
                "imitates zone {} ({:?}): {}",
                worst.zone, worst.technique, worst.detail
            ),
        ));
    }
    // A request's content.
    let categories: BTreeSet<&str> = a
        .request_signals
        .iter()
        .map(|s| s.category.as_str())
        .collect();
    if !categories.is_empty() {
        reasons.push(reason(
            "attack_pattern",
            (2 * categories.len() as u32).min(4),
            format!(
                "the request carries {}: {}",
                categories.iter().copied().collect::<Vec<_>>().join(", "),
                a.request_signals
                    .iter()
                    .map(|s| format!("{} in {} ({:?})", s.category, s.location, s.evidence))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    }
    // Traffic.
    let seen: Vec<&AnalyticsMatch> = a
        .analytics_matches
        .iter()
        .filter(|m| m.figure != "daily_countries" && m.requests > 0)
        .collect();
    if !seen.is_empty() {
        reasons.push(reason(
            "seen_in_traffic",
            1,
            seen.iter()
                .map(|m| {
                    format!(
                        "{} requests on {} ({} {})",
                        m.requests, m.zone, m.figure, m.value
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    let threat_heavy: Vec<&AnalyticsMatch> = a
        .analytics_matches
        .iter()
        .filter(|m| {
            m.threats.is_some_and(|t| {
                m.requests >= super::analytics::MIN_REQUESTS_FOR_RATIOS / 10 && t * 10 >= m.requests
            })
        })
        .collect();
    if !threat_heavy.is_empty() {
        reasons.push(reason(
            "threat_traffic",
            1,
            threat_heavy
                .iter()
                .map(|m| {
                    format!(
                        "{} of {} requests from {} to {} were threats",
                        m.threats.unwrap_or(0),
                        m.requests,
                        m.value,
                        m.zone
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    // Context that lowers the stakes or forbids blocking (no points).
    if let Some(net) = facets.net {
        if let Some(range) = cloudflare_range(net) {
            reasons.push(reason(
                "cloudflare_range",
                0,
                format!("inside Cloudflare's own range {range}: blocking it would block Cloudflare's edge and Workers"),
            ));
        }
        if let Some((range, what)) = special_range(net) {
            reasons.push(reason(
                "special_range",
                0,
                format!("inside {range}, {what}: not a routable client on the Internet"),
            ));
        }
    }
    let origins: Vec<String> = a
        .record_matches
        .iter()
        .filter(|r| r.relation == "points_to" && matches!(r.record_type.as_str(), "A" | "AAAA"))
        .map(|r| format!("{} {} on {}", r.record_type, r.name, r.zone))
        .collect();
    if !origins.is_empty() && a.kind != IndicatorKind::Request {
        reasons.push(reason(
            "own_asset",
            0,
            format!("your DNS records point to it: {}", origins.join(", ")),
        ));
    }
    if let (Some(zone), IndicatorKind::Domain) = (&a.own_zone, a.kind) {
        reasons.push(reason(
            "own_asset",
            0,
            format!("it is zone {zone} or under it"),
        ));
    }
    let subtotal: u32 = reasons.iter().map(|r| r.points).sum();
    let allowing: Vec<&str> = a
        .zone_outcomes
        .iter()
        .filter(|o| o.final_action == "allow")
        .map(|o| o.zone.as_str())
        .collect();
    if subtotal >= 2 && !allowing.is_empty() {
        reasons.push(reason(
            "not_mitigated",
            1,
            format!("the rules of {} would let it through", allowing.join(", ")),
        ));
    }
    a.score = reasons.iter().map(|r| r.points).sum();
    a.threat_level = ThreatLevel::from_score(a.score);
    a.reasons = reasons;
}

fn has_reason(a: &ThreatAssessment, code: &str) -> bool {
    a.reasons.iter().any(|r| r.code == code)
}

fn recommend(
    facets: &Facets,
    zones: &[&ZoneSnapshot],
    rules: &[ParsedRule],
    a: &ThreatAssessment,
) -> ThreatRecommendation {
    let mut r = ThreatRecommendation {
        action: RecommendedAction::None,
        already_in_effect: false,
        summary: String::new(),
        steps: Vec::new(),
    };
    let subject = a.normalised.clone();
    if has_reason(a, "own_asset") || has_reason(a, "cloudflare_range") {
        r.action = RecommendedAction::DoNotBlock;
        r.summary = if has_reason(a, "cloudflare_range") {
            format!("Do not block {subject}: it is Cloudflare's own address space.")
        } else {
            format!("Do not block {subject}: it is the account's own (see reasons).")
        };
        if a.threat_level >= ThreatLevel::Medium {
            r.steps.push(
                "Investigate why your own asset shows hostile signs: a compromised origin or a listed shared host.".to_owned(),
            );
        }
        return r;
    }
    if !a.lookalikes.is_empty() {
        r.action = RecommendedAction::Takedown;
        let zones: Vec<&str> = a.lookalikes.iter().map(|l| l.zone.as_str()).collect();
        r.summary = format!(
            "{subject} imitates {}: it is not in your account, so no zone rule can block it; have it taken down and warn users.",
            zones.join(", ")
        );
        r.steps = vec![
            format!("Report {subject} to its registrar's and host's abuse contacts as phishing/typosquatting."),
            format!("Watch certificate transparency logs for new certificates for {subject}."),
            "Keep DMARC at p=reject on your zones so mail cannot use your exact domain.".to_owned(),
            format!("Add {subject} to mail and web filters (secure web gateway, email security)."),
        ];
        return r;
    }
    let signals = !a.request_signals.is_empty();
    r.action = match (a.threat_level, a.kind) {
        (ThreatLevel::None, _) => RecommendedAction::None,
        (ThreatLevel::Low, _) => RecommendedAction::Monitor,
        (_, IndicatorKind::Asn | IndicatorKind::Country) => RecommendedAction::Challenge,
        // A request carrying an attack payload is never legitimate: block the pattern.
        (_, IndicatorKind::Request | IndicatorKind::Url) if signals => RecommendedAction::Block,
        (ThreatLevel::Medium, IndicatorKind::Request | IndicatorKind::Url) => {
            RecommendedAction::Monitor
        }
        // Follow the account's own judgement where it already blocks the address elsewhere.
        (ThreatLevel::Medium, _) if has_reason(a, "own_blocklist") => RecommendedAction::Block,
        (ThreatLevel::Medium, _) => RecommendedAction::Challenge,
        _ => RecommendedAction::Block,
    };
    let done = |o: &ZoneOutcome| match r.action {
        RecommendedAction::Block => o.final_action == "block",
        RecommendedAction::Challenge => o.final_action == "block" || is_challenge(&o.final_action),
        _ => true,
    };
    r.already_in_effect = matches!(
        r.action,
        RecommendedAction::Block | RecommendedAction::Challenge
    ) && !a.zone_outcomes.is_empty()
        && a.zone_outcomes.iter().all(done);
    let open: Vec<&str> = a
        .zone_outcomes
        .iter()
        .filter(|o| !done(o))
        .map(|o| o.zone.as_str())
        .collect();
    r.summary = match r.action {
        RecommendedAction::None => format!("No evidence against {subject}: nothing to do."),
        RecommendedAction::Monitor => format!("Watch {subject}: some signs, not enough to act on."),
        _ if r.already_in_effect => format!(
            "{} {subject}: already in effect on every zone in scope; nothing to change.",
            verb(r.action)
        ),
        _ => format!(
            "{} {subject}{}.",
            verb(r.action),
            if open.is_empty() {
                String::new()
            } else {
                format!(" on {}", open.join(", "))
            }
        ),
    };
    if r.already_in_effect
        || !matches!(
            r.action,
            RecommendedAction::Block | RecommendedAction::Challenge
        )
    {
        return r;
    }
    let action = if r.action == RecommendedAction::Block {
        "block"
    } else {
        "managed_challenge"
    };
    let open_zones: Vec<&str> = if a.zone_outcomes.is_empty() {
        zones.iter().map(|z| z.zone.name.as_str()).collect()
    } else {
        open
    };
    let mut steps = Vec::new();
    if let Some(net) = facets
        .net
        .filter(|_| a.kind != IndicatorKind::Request || a.request_signals.is_empty())
    {
        let net = net_text(net);
        // A list that already holds it, else one that enabled rules of this action already use.
        let holding = a
            .list_matches
            .iter()
            .find(|m| matches!(m.relation, Relation::Equal | Relation::Contains))
            .map(|m| m.list.clone());
        let uses = |p: &ParsedRule, list: &str| {
            p.site.enabled
                && p.site.action == action
                && p.filter
                    .as_ref()
                    .is_some_and(|f| f.lists().contains(&ListRef::Custom(list.to_owned())))
        };
        let used = rules
            .iter()
            .filter(|p| p.site.enabled && p.site.action == action)
            .find_map(|p| {
                p.filter.as_ref().and_then(|f| {
                    f.lists().into_iter().find_map(|l| match l {
                        ListRef::Custom(name) => Some(name.clone()),
                        ListRef::Managed(_) => None,
                    })
                })
            });
        match holding.or(used) {
            Some(list) => {
                if !a.list_matches.iter().any(|m| m.list == list) {
                    steps.push(format!(
                        "Add {net} to the IP list ${list} (cfcp waf propose / threat_intel_integrate)."
                    ));
                }
                for zone in &open_zones {
                    if !rules.iter().any(|p| p.site.zone == *zone && uses(p, &list)) {
                        steps.push(format!(
                            "On {zone}, add a custom rule: expression `(ip.src in ${list})`, action {action}."
                        ));
                    }
                }
            }
            None => {
                for zone in &open_zones {
                    steps.push(format!(
                        "On {zone}, add a custom rule: expression `(ip.src in {{{net}}})`, action {action}."
                    ));
                }
            }
        }
    } else if let Some(asn) = facets.asn.filter(|_| a.kind == IndicatorKind::Asn) {
        for zone in &open_zones {
            steps.push(format!(
                "On {zone}, add a custom rule: expression `(ip.src.asnum eq {asn})`, action {action}; a whole network also carries legitimate users."
            ));
        }
    } else if let Some(country) = facets
        .country
        .as_ref()
        .filter(|_| a.kind == IndicatorKind::Country)
    {
        for zone in &open_zones {
            steps.push(format!(
                "On {zone}, add a custom rule: expression `(ip.src.country eq \"{country}\")`, action {action}; consider limiting it to sensitive paths."
            ));
        }
    }
    if let Some(request) = &facets.request {
        for signal in &a.request_signals {
            let field = match signal.location.as_str() {
                "path" => "http.request.uri.path",
                l if l.eq_ignore_ascii_case("header:user-agent") => "http.user_agent",
                _ => continue,
            };
            let needle = signal.evidence.replace('\\', "\\\\").replace('"', "\\\"");
            for zone in &open_zones {
                steps.push(format!(
                    "On {zone}, add a custom rule: expression `(lower({field}) contains \"{needle}\")`, action {action}."
                ));
            }
        }
        let payloads: BTreeSet<&str> = a
            .request_signals
            .iter()
            .filter(|s| {
                s.location != "path" && !s.location.eq_ignore_ascii_case("header:user-agent")
            })
            .map(|s| s.category.as_str())
            .collect();
        if !payloads.is_empty() {
            for zone in &open_zones {
                steps.push(format!(
                    "On {zone}, make sure the Cloudflare Managed and OWASP rulesets run in block mode (not log): they cover {} payloads.",
                    payloads.iter().copied().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        if let Some(ip) = request.client_ip {
            steps.push(format!(
                "Assess the client address on its own as well: threat_assess {ip}."
            ));
        }
    }
    if steps.is_empty() {
        steps.push(format!(
            "Create a {action} rule for {subject} on {}.",
            open_zones.join(", ")
        ));
    }
    r.steps = steps;
    r
}

fn verb(action: RecommendedAction) -> &'static str {
    match action {
        RecommendedAction::Block => "Block",
        RecommendedAction::Challenge => "Challenge",
        RecommendedAction::Monitor => "Monitor",
        RecommendedAction::DoNotBlock => "Do not block",
        RecommendedAction::Takedown => "Take down",
        RecommendedAction::None => "Nothing for",
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
#[path = "threat_tests.rs"]
mod tests;
