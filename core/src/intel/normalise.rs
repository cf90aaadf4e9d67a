//! Normalise a feed's indicators into items for a Cloudflare IP list.
//!
//! In order:
//!
//! 1. Keep IP and CIDR indicators (others are counted in [`NormaliseStats::non_ip`]); truncate
//!    host bits.
//! 2. Fit Cloudflare's prefix limits for IP list items (IPv4 `/8`–`/32`, IPv6 `/4`–`/64`):
//!    * an indicator **wider than IPv4 `/8` or IPv6 `/4` is rejected** ([`DropReason::TooWide`]):
//!      a feed that asks to block a sixteenth of the Internet is almost certainly wrong, and
//!      splitting it would quietly propose hundreds of `/8`s;
//!    * an IPv6 indicator **longer than `/64` is widened to its `/64`** (counted in
//!      [`NormaliseStats::widened`]): Cloudflare stores nothing longer, and one host in a `/64` is
//!      in practice one customer.
//! 3. Drop what must never be blocked: private, loopback, link-local, multicast, documentation,
//!    CGNAT, benchmarking and other reserved (bogon) ranges, anything outside IPv6 global unicast
//!    (`2000::/3`), Cloudflare's own published ranges ([`CLOUDFLARE_IPV4`], [`CLOUDFLARE_IPV6`])
//!    and the caller's allowlist ([`NormaliseOptions::allow`]). An indicator inside such a range
//!    is dropped; one that contains such a range is kept with the range cut out (and the cut is
//!    recorded in [`Normalised::dropped`]).
//! 4. Aggregate: overlapping and adjacent networks merge (two `/25`s become a `/24`), in
//!    O(n log n) over integer intervals. Aggregates wider than the prefix limits (two adjacent
//!    `/8`s) are written as `/8`s (IPv6: `/4`s).
//! 5. Leave out what is already covered: an item inside an IP list, inline set or address that an
//!    enabled `block` rule of the zone's custom rules matches on `ip.src` alone (the whole
//!    expression, or one operand of a top-level `or`). With no zone, every zone of the account
//!    counts. Items only partly covered are kept whole.
//! 6. Respect the item limit: 10,000 list items across all of an account's lists
//!    ([`ITEM_LIMIT`]; [`ENTERPRISE_ITEM_LIMIT`] when a zone of the account is on an Enterprise
//!    plan), less the items the account's lists already hold. When there are more items, the
//!    widest networks are kept and the rest counted in [`Normalised::truncated`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Subnets, Ipv6Net, Ipv6Subnets};
use serde::Serialize;

use super::Indicator;
use crate::rules::{parse_filter, CmpOp, Expr, ListRef, Rhs, SetItem, Value};
use crate::snapshot::{AccountSnapshot, Phase, RuleAction, Snapshot, ZoneSnapshot};

/// List items allowed across all of an account's lists (every plan but Enterprise).
pub const ITEM_LIMIT: usize = 10_000;

/// List items allowed across all of an account's lists on Enterprise.
pub const ENTERPRISE_ITEM_LIMIT: usize = 500_000;

/// Widest IPv4 prefix Cloudflare accepts in an IP list.
pub const IPV4_MIN_PREFIX: u8 = 8;

/// Widest IPv6 prefix Cloudflare accepts in an IP list.
pub const IPV6_MIN_PREFIX: u8 = 4;

/// Longest IPv6 prefix Cloudflare accepts in an IP list.
pub const IPV6_MAX_PREFIX: u8 = 64;

/// Cloudflare's IPv4 ranges as published at <https://www.cloudflare.com/ips-v4> (also
/// `GET /client/v4/ips`); list as of 2025–2026, unchanged since 2023. Blocking them would block
/// Cloudflare itself (Workers subrequests, health checks, other proxied zones).
pub const CLOUDFLARE_IPV4: &[&str] = &[
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
];

/// Cloudflare's IPv6 ranges as published at <https://www.cloudflare.com/ips-v6>; same date as
/// [`CLOUDFLARE_IPV4`].
pub const CLOUDFLARE_IPV6: &[&str] = &[
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
];

/// Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries, RFC 1918, 6598, 5737,
/// 3849, 9637), most specific reason first.
const SPECIAL_RANGES: &[(&str, DropReason)] = &[
    ("0.0.0.0/8", DropReason::Reserved),
    ("10.0.0.0/8", DropReason::Private),
    ("100.64.0.0/10", DropReason::Cgnat),
    ("127.0.0.0/8", DropReason::Loopback),
    ("169.254.0.0/16", DropReason::LinkLocal),
    ("172.16.0.0/12", DropReason::Private),
    ("192.0.0.0/24", DropReason::Reserved),
    ("192.0.2.0/24", DropReason::Documentation),
    ("192.88.99.0/24", DropReason::Reserved),
    ("192.168.0.0/16", DropReason::Private),
    ("198.18.0.0/15", DropReason::Benchmarking),
    ("198.51.100.0/24", DropReason::Documentation),
    ("203.0.113.0/24", DropReason::Documentation),
    ("224.0.0.0/4", DropReason::Multicast),
    ("240.0.0.0/4", DropReason::Reserved),
    ("::1/128", DropReason::Loopback),
    ("::ffff:0:0/96", DropReason::Reserved),
    ("fc00::/7", DropReason::Private),
    ("fe80::/10", DropReason::LinkLocal),
    ("ff00::/8", DropReason::Multicast),
    ("2001:db8::/32", DropReason::Documentation),
    ("3fff::/20", DropReason::Documentation),
    ("2001:2::/48", DropReason::Benchmarking),
    ("2001:10::/28", DropReason::Reserved),
    ("2001:20::/28", DropReason::Reserved),
    // Everything outside 2000::/3 is not global unicast.
    ("::/3", DropReason::NotGlobalUnicast),
    ("4000::/2", DropReason::NotGlobalUnicast),
    ("8000::/1", DropReason::NotGlobalUnicast),
];

/// Why a network was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// RFC 1918 private space or IPv6 unique local addresses.
    Private,
    /// Loopback.
    Loopback,
    /// Link-local.
    LinkLocal,
    /// Multicast.
    Multicast,
    /// Documentation ranges (TEST-NET, `2001:db8::/32`, `3fff::/20`).
    Documentation,
    /// Carrier-grade NAT (`100.64.0.0/10`).
    Cgnat,
    /// Benchmarking (`198.18.0.0/15`, `2001:2::/48`).
    Benchmarking,
    /// Reserved or special-purpose (`0.0.0.0/8`, `240.0.0.0/4`, IETF assignments, ...).
    Reserved,
    /// IPv6 outside global unicast `2000::/3`.
    NotGlobalUnicast,
    /// One of Cloudflare's own ranges.
    Cloudflare,
    /// In the caller's allowlist.
    Allowlisted,
    /// Wider than Cloudflare accepts (IPv4 `/8`, IPv6 `/4`).
    TooWide,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Private => "private address space",
            DropReason::Loopback => "loopback",
            DropReason::LinkLocal => "link-local",
            DropReason::Multicast => "multicast",
            DropReason::Documentation => "documentation range (not routable)",
            DropReason::Cgnat => "carrier-grade NAT (100.64.0.0/10)",
            DropReason::Benchmarking => "benchmarking range",
            DropReason::Reserved => "reserved / special-purpose",
            DropReason::NotGlobalUnicast => "outside IPv6 global unicast (2000::/3)",
            DropReason::Cloudflare => "Cloudflare's own range",
            DropReason::Allowlisted => "allowlisted",
            DropReason::TooWide => "wider than Cloudflare lists accept (IPv4 /8, IPv6 /4)",
        })
    }
}

/// A network left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// What was left out: the indicator, or the part of it cut out.
    pub net: IpNet,
    /// Why.
    pub reason: DropReason,
    /// The feed line of the indicator.
    pub line: usize,
    /// True when only this part of a wider indicator was cut out (the rest is kept).
    pub partial: bool,
}

/// One item for the IP list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The network (`/32` and `/128` print as networks; use [`Item::ip_text`] for the API).
    pub net: IpNet,
    /// How many feed indicators it covers (more than one when aggregated).
    pub sources: usize,
    /// The first feed line it came from.
    pub line: usize,
    /// The first indicator's comment.
    pub comment: Option<String>,
}

impl Item {
    /// The text Cloudflare's list API takes: a bare address for `/32` and `/128`, else the CIDR.
    ///
    /// ```
    /// use cfcp::intel::Item;
    /// let item = Item { net: "45.155.205.7/32".parse().unwrap(), sources: 1, line: 1, comment: None };
    /// assert_eq!(item.ip_text(), "45.155.205.7");
    /// ```
    pub fn ip_text(&self) -> String {
        if self.net.prefix_len() == self.net.max_prefix_len() {
            self.net.addr().to_string()
        } else {
            self.net.to_string()
        }
    }
}

/// Options for [`normalise`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormaliseOptions {
    /// Item budget; `None` derives it from the plan and the account's existing lists.
    pub max_items: Option<usize>,
    /// Networks never to block (your offices, partners, monitoring). Compared one by one with
    /// each indicator, so keep it short. IPv6 entries longer than `/64` protect their whole `/64`.
    pub allow: Vec<IpNet>,
}

/// Counts from [`normalise`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NormaliseStats {
    /// Indicators given.
    pub indicators: usize,
    /// Of which IP addresses or CIDRs.
    pub ip_indicators: usize,
    /// Indicators that are not IPs, by kind (`domain`, `url`, `asn`, `country`).
    pub non_ip: BTreeMap<&'static str, usize>,
    /// IP indicators rejected as wider than Cloudflare accepts.
    pub too_wide: usize,
    /// IPv6 indicators longer than `/64` widened to their `/64`.
    pub widened: usize,
    /// IP indicators dropped whole (special-purpose, Cloudflare, allowlisted).
    pub excluded: usize,
    /// IP indicators kept with a special-purpose, Cloudflare or allowlisted range cut out.
    pub trimmed: usize,
    /// Networks that went into aggregation.
    pub aggregated_from: usize,
    /// Networks that came out of it.
    pub aggregated_to: usize,
    /// Networks already blocked by the zone (left out).
    pub covered: usize,
    /// Networks left out because of the item limit.
    pub truncated: usize,
    /// The item budget applied.
    pub item_limit: usize,
    /// Items proposed.
    pub items: usize,
    /// IPv4 addresses the items cover.
    pub ipv4_addresses: u64,
    /// IPv6 `/64`s the items cover (saturating).
    pub ipv6_64s: u64,
}

/// What [`normalise`] made of the indicators.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Normalised {
    /// The items to propose: IPv4 first, then IPv6, each by address.
    pub items: Vec<Item>,
    /// What was dropped or cut out, and why.
    pub dropped: Vec<Dropped>,
    /// Networks left out because the zone already blocks them.
    pub covered: usize,
    /// Networks left out because of the item limit.
    pub truncated: usize,
    /// Where already-blocked networks were looked for (`$acme_blocklist (rule "…")`).
    pub covered_by: Vec<String>,
    /// Counts.
    pub stats: NormaliseStats,
}

impl Normalised {
    /// The items' networks.
    pub fn nets(&self) -> Vec<IpNet> {
        self.items.iter().map(|i| i.net).collect()
    }
}

struct Candidate<'a> {
    net: IpNet,
    line: usize,
    comment: Option<&'a str>,
}

/// Normalises indicators for an IP list on `zone` (or the account, with `None`). See the module
/// documentation for the steps.
///
/// ```
/// use cfcp::intel::{normalise, Indicator, IndicatorValue, NormaliseOptions};
/// let indicators: Vec<Indicator> = ["45.155.205.0/25", "45.155.205.128/25", "10.1.2.3", "104.16.1.1"]
///     .iter()
///     .enumerate()
///     .map(|(i, t)| Indicator { value: IndicatorValue::Cidr(t.parse().unwrap_or_else(|_| format!("{t}/32").parse().unwrap())), line: i + 1, comment: None })
///     .collect();
/// let out = normalise(&indicators, &cfcp::snapshot::demo(), None, &NormaliseOptions::default());
/// assert_eq!(out.nets(), ["45.155.205.0/24".parse().unwrap()]);
/// assert_eq!(out.dropped.len(), 2); // private, Cloudflare
/// ```
pub fn normalise(
    indicators: &[Indicator],
    snapshot: &Snapshot,
    zone: Option<&str>,
    options: &NormaliseOptions,
) -> Normalised {
    let mut out = Normalised::default();
    let mut stats = NormaliseStats {
        indicators: indicators.len(),
        ..NormaliseStats::default()
    };
    let exclusions = exclusions(&options.allow);

    let mut candidates = Vec::with_capacity(indicators.len());
    for indicator in indicators {
        let Some(net) = indicator.value.net() else {
            *stats.non_ip.entry(indicator.value.kind()).or_default() += 1;
            continue;
        };
        stats.ip_indicators += 1;
        let mut net = net.trunc();
        let too_wide = match net {
            IpNet::V4(n) => n.prefix_len() < IPV4_MIN_PREFIX,
            IpNet::V6(n) => n.prefix_len() < IPV6_MIN_PREFIX,
        };
        if too_wide {
            stats.too_wide += 1;
            out.dropped.push(Dropped {
                net,
                reason: DropReason::TooWide,
                line: indicator.line,
                partial: false,
            });
            continue;
        }
        if let IpNet::V6(n) = net {
            if n.prefix_len() > IPV6_MAX_PREFIX {
                net = widen_v6(n);
                stats.widened += 1;
            }
        }
        if let Some((_, reason)) = exclusions.iter().find(|(e, _)| e.contains(&net)) {
            stats.excluded += 1;
            out.dropped.push(Dropped {
                net,
                reason: *reason,
                line: indicator.line,
                partial: false,
            });
            continue;
        }
        let mut trimmed = false;
        for (excluded, reason) in exclusions.iter().filter(|(e, _)| net.contains(e)) {
            trimmed = true;
            out.dropped.push(Dropped {
                net: *excluded,
                reason: *reason,
                line: indicator.line,
                partial: true,
            });
        }
        stats.trimmed += usize::from(trimmed);
        candidates.push(Candidate {
            net,
            line: indicator.line,
            comment: indicator.comment.as_deref(),
        });
    }
    stats.aggregated_from = candidates.len();

    let excluded_nets: Vec<IpNet> = exclusions.iter().map(|(n, _)| *n).collect();
    let mut nets = aggregate_excluding(candidates.iter().map(|c| c.net), &excluded_nets);
    stats.aggregated_to = nets.len();

    let (covered_nets, covered_by) = already_blocked(snapshot, zone);
    out.covered_by = covered_by;
    if !covered_nets.is_empty() {
        let covered = Intervals::from_nets(covered_nets.iter().copied());
        nets.retain(|net| !covered.contains(net));
        stats.covered = stats.aggregated_to - nets.len();
    }

    let limit = options
        .max_items
        .unwrap_or_else(|| item_budget(snapshot, zone));
    stats.item_limit = limit;
    if nets.len() > limit {
        stats.truncated = nets.len() - limit;
        // Most host bits first (the widest networks), then by address.
        nets.sort_by_key(|n| {
            (
                std::cmp::Reverse(n.max_prefix_len() - n.prefix_len()),
                sort_key(n),
            )
        });
        nets.truncate(limit);
        nets.sort_by_key(sort_key);
    }

    out.items = provenance(nets, &candidates);
    for item in &out.items {
        match item.net {
            IpNet::V4(n) => {
                stats.ipv4_addresses = stats
                    .ipv4_addresses
                    .saturating_add(1u64 << (32 - n.prefix_len()))
            }
            IpNet::V6(n) => {
                stats.ipv6_64s = stats.ipv6_64s.saturating_add(
                    1u64.checked_shl(u32::from(64 - n.prefix_len()))
                        .unwrap_or(u64::MAX),
                )
            }
        }
    }
    stats.items = out.items.len();
    out.covered = stats.covered;
    out.truncated = stats.truncated;
    out.stats = stats;
    out
}

/// The special-purpose ranges, Cloudflare's ranges and the allowlist, in lookup order.
fn exclusions(allow: &[IpNet]) -> Vec<(IpNet, DropReason)> {
    let mut out: Vec<(IpNet, DropReason)> = SPECIAL_RANGES
        .iter()
        .filter_map(|(text, reason)| text.parse().ok().map(|n| (n, *reason)))
        .collect();
    out.extend(
        CLOUDFLARE_IPV4
            .iter()
            .chain(CLOUDFLARE_IPV6)
            .filter_map(|text| text.parse().ok().map(|n| (n, DropReason::Cloudflare))),
    );
    out.extend(allow.iter().map(|net| {
        let net = match net.trunc() {
            IpNet::V6(n) if n.prefix_len() > IPV6_MAX_PREFIX => widen_v6(n),
            other => other,
        };
        (net, DropReason::Allowlisted)
    }));
    out
}

fn widen_v6(net: Ipv6Net) -> IpNet {
    Ipv6Net::new(net.addr(), IPV6_MAX_PREFIX)
        .map(|n| IpNet::V6(n.trunc()))
        .unwrap_or(IpNet::V6(net))
}

fn sort_key(net: &IpNet) -> (u8, u128, u8) {
    match net {
        IpNet::V4(n) => (4, u128::from(u32::from(n.network())), n.prefix_len()),
        IpNet::V6(n) => (6, u128::from(n.network()), n.prefix_len()),
    }
}

/// Sorted, merged, non-overlapping inclusive intervals per family.
#[derive(Debug, Default)]
struct Intervals {
    v4: Vec<(u128, u128)>,
    v6: Vec<(u128, u128)>,
}

fn bounds(net: &IpNet) -> (bool, u128, u128) {
    match net {
        IpNet::V4(n) => (
            true,
            u128::from(u32::from(n.network())),
            u128::from(u32::from(n.broadcast())),
        ),
        IpNet::V6(n) => (false, u128::from(n.network()), u128::from(n.broadcast())),
    }
}

impl Intervals {
    fn from_nets(nets: impl Iterator<Item = IpNet>) -> Self {
        let mut out = Intervals::default();
        for net in nets {
            let (v4, start, end) = bounds(&net);
            if v4 { &mut out.v4 } else { &mut out.v6 }.push((start, end));
        }
        merge(&mut out.v4);
        merge(&mut out.v6);
        out
    }

    fn contains(&self, net: &IpNet) -> bool {
        let (v4, start, end) = bounds(net);
        let list = if v4 { &self.v4 } else { &self.v6 };
        let i = list.partition_point(|(s, _)| *s <= start);
        i > 0 && list[i - 1].1 >= end
    }
}

/// Sorts and merges overlapping or adjacent intervals in place.
fn merge(list: &mut Vec<(u128, u128)>) {
    list.sort_unstable();
    let mut merged: Vec<(u128, u128)> = Vec::with_capacity(list.len());
    for &(start, end) in list.iter() {
        match merged.last_mut() {
            Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    *list = merged;
}

/// `list` minus `cut` (both sorted and merged).
fn subtract(list: &[(u128, u128)], cut: &[(u128, u128)]) -> Vec<(u128, u128)> {
    let mut out = Vec::with_capacity(list.len());
    let mut j = 0;
    for &(start, end) in list {
        let mut start = start;
        while j < cut.len() && cut[j].1 < start {
            j += 1;
        }
        let mut k = j;
        let mut alive = true;
        while k < cut.len() && cut[k].0 <= end {
            let (cs, ce) = cut[k];
            if cs > start {
                out.push((start, cs - 1));
            }
            if ce >= end {
                alive = false;
                break;
            }
            start = start.max(ce + 1);
            k += 1;
        }
        if alive {
            out.push((start, end));
        }
    }
    out
}

/// Aggregates networks (merging overlaps and neighbours), cuts out `excluded`, and writes the
/// result as the fewest CIDRs no wider than IPv4 `/8` or IPv6 `/4`. O(n log n).
///
/// ```
/// use cfcp::intel::normalise::aggregate_excluding;
/// let nets = ["45.155.205.0/25", "45.155.205.128/25", "45.155.206.0/24"].map(|t| t.parse().unwrap());
/// let out = aggregate_excluding(nets.into_iter(), &[]);
/// let out: Vec<String> = out.iter().map(|n| n.to_string()).collect();
/// assert_eq!(out, ["45.155.205.0/24", "45.155.206.0/24"]);
/// ```
pub fn aggregate_excluding(nets: impl Iterator<Item = IpNet>, excluded: &[IpNet]) -> Vec<IpNet> {
    let list = Intervals::from_nets(nets);
    let cut = Intervals::from_nets(excluded.iter().copied());
    let mut out = Vec::new();
    for (start, end) in subtract(&list.v4, &cut.v4) {
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) else {
            continue;
        };
        out.extend(
            Ipv4Subnets::new(Ipv4Addr::from(start), Ipv4Addr::from(end), IPV4_MIN_PREFIX)
                .map(IpNet::V4),
        );
    }
    for (start, end) in subtract(&list.v6, &cut.v6) {
        out.extend(
            Ipv6Subnets::new(Ipv6Addr::from(start), Ipv6Addr::from(end), IPV6_MIN_PREFIX)
                .map(IpNet::V6),
        );
    }
    out
}

/// Attaches to each net the indicators whose first address it holds.
fn provenance(nets: Vec<IpNet>, candidates: &[Candidate<'_>]) -> Vec<Item> {
    let mut items: Vec<Item> = nets
        .into_iter()
        .map(|net| Item {
            net,
            sources: 0,
            line: usize::MAX,
            comment: None,
        })
        .collect();
    let starts: Vec<(u8, u128)> = items
        .iter()
        .map(|i| {
            let (a, b, _) = sort_key(&i.net);
            (a, b)
        })
        .collect();
    for candidate in candidates {
        let (family, start, _) = sort_key(&candidate.net);
        let i = starts.partition_point(|s| *s <= (family, start));
        if i == 0 {
            continue;
        }
        let item = &mut items[i - 1];
        let (v4, _, end) = bounds(&item.net);
        if v4 != (family == 4) || start > end {
            continue;
        }
        item.sources += 1;
        if candidate.line < item.line {
            item.line = candidate.line;
            item.comment = candidate.comment.map(str::to_string);
        }
    }
    for item in &mut items {
        if item.line == usize::MAX {
            item.line = 0;
        }
    }
    items
}

/// The account a zone belongs to, or the snapshot's only account.
pub(crate) fn resolve_account<'a>(
    snapshot: &'a Snapshot,
    zone: Option<&ZoneSnapshot>,
) -> Option<&'a AccountSnapshot> {
    match zone
        .and_then(|z| z.zone.account.get())
        .and_then(|a| a.id.as_deref())
    {
        Some(id) => snapshot.account(id),
        None if snapshot.accounts.len() == 1 => snapshot.accounts.first(),
        None => None,
    }
}

/// The zones whose custom rules count: the named one, or every zone of the account.
fn zones_in_scope<'a>(snapshot: &'a Snapshot, zone: Option<&str>) -> Vec<&'a ZoneSnapshot> {
    match zone {
        Some(name) => snapshot.zone(name).into_iter().collect(),
        None => {
            let account = resolve_account(snapshot, None).map(|a| a.account.id.as_str());
            snapshot
                .zones
                .iter()
                .filter(|z| {
                    account.is_none()
                        || z.zone.account.get().and_then(|a| a.id.as_deref()) == account
                })
                .collect()
        }
    }
}

/// Item budget: the plan's limit less the items the account's lists already hold.
fn item_budget(snapshot: &Snapshot, zone: Option<&str>) -> usize {
    let zones = zones_in_scope(snapshot, zone);
    let enterprise = zones.iter().any(|z| {
        z.zone
            .plan_name()
            .is_some_and(|p| p.to_ascii_lowercase().contains("enterprise"))
    });
    let limit = if enterprise {
        ENTERPRISE_ITEM_LIMIT
    } else {
        ITEM_LIMIT
    };
    let account = resolve_account(snapshot, zones.first().copied());
    let used: usize = account.map_or(0, |a| {
        a.lists
            .iter()
            .map(|l| {
                let reported = l.list.num_items.copied().unwrap_or(0);
                usize::try_from(reported)
                    .unwrap_or(usize::MAX)
                    .max(l.items.len())
            })
            .fold(0usize, usize::saturating_add)
    });
    limit.saturating_sub(used)
}

/// Networks the zone's enabled custom `block` rules already block on `ip.src` alone, and a
/// description of where they were found.
pub(crate) fn already_blocked(
    snapshot: &Snapshot,
    zone: Option<&str>,
) -> (Vec<IpNet>, Vec<String>) {
    let zones = zones_in_scope(snapshot, zone);
    let account = resolve_account(snapshot, zones.first().copied());
    let mut nets = Vec::new();
    let mut sources = Vec::new();
    for z in zones {
        let Some(ruleset) = z.ruleset(&Phase::HttpRequestFirewallCustom) else {
            continue;
        };
        for rule in &ruleset.rules {
            if !rule.is_enabled() || rule.action.get() != Some(&RuleAction::Block) {
                continue;
            }
            let Some(Ok(filter)) = rule.expression.as_deref().map(parse_filter) else {
                continue;
            };
            let terms: Vec<&Expr> = match filter.expr() {
                Expr::Or(items) => items.iter().collect(),
                other => vec![other],
            };
            let what = rule
                .description
                .as_deref()
                .or(rule.id.as_deref())
                .unwrap_or("unnamed rule");
            for term in terms {
                let Expr::Compare(c) = term else { continue };
                let Value::Field { name, path, .. } = &c.lhs else {
                    continue;
                };
                if name != "ip.src" || !path.is_empty() {
                    continue;
                }
                match (&c.op, &c.rhs.value) {
                    (CmpOp::In, Rhs::List(ListRef::Custom(list))) => {
                        let Some(list_snapshot) = account.and_then(|a| a.list(list)) else {
                            continue;
                        };
                        nets.extend(list_snapshot.items.iter().filter_map(|item| {
                            let text = item.ip.as_deref()?;
                            text.parse::<IpNet>()
                                .ok()
                                .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
                        }));
                        sources.push(format!("${list} (rule \"{what}\" on {})", z.zone.name));
                    }
                    (CmpOp::In, Rhs::Set(items)) => {
                        for item in items {
                            match &item.value {
                                SetItem::Ip(ip) => nets.push(IpNet::from(*ip)),
                                SetItem::Cidr(ip, len) => nets.extend(IpNet::new(*ip, *len).ok()),
                                SetItem::IpRange(IpAddr::V4(a), IpAddr::V4(b)) => {
                                    nets.extend(Ipv4Subnets::new(*a, *b, 0).map(IpNet::V4))
                                }
                                SetItem::IpRange(IpAddr::V6(a), IpAddr::V6(b)) => {
                                    nets.extend(Ipv6Subnets::new(*a, *b, 0).map(IpNet::V6))
                                }
                                _ => {}
                            }
                        }
                        sources.push(format!("inline set (rule \"{what}\" on {})", z.zone.name));
                    }
                    (CmpOp::Eq, Rhs::Ip(ip)) => {
                        nets.push(IpNet::from(*ip));
                        sources.push(format!("address (rule \"{what}\" on {})", z.zone.name));
                    }
                    _ => {}
                }
            }
        }
    }
    (nets, sources)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::IndicatorValue;

    fn indicators(texts: &[&str]) -> Vec<Indicator> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let value = if t.contains('/') {
                    IndicatorValue::Cidr(t.parse().unwrap())
                } else {
                    IndicatorValue::Ip(t.parse().unwrap())
                };
                Indicator {
                    value,
                    line: i + 1,
                    comment: Some(format!("entry {}", i + 1)),
                }
            })
            .collect()
    }

    fn empty_snapshot() -> Snapshot {
        Snapshot::from_json_str(
            r#"{"format":"cfcp.snapshot/v1","taken_at":"2026-11-01T12:00:00Z","source":{"kind":"file","detail":"test"},"accounts":[],"zones":[],"gaps":[]}"#,
        )
        .unwrap()
    }

    fn run(texts: &[&str]) -> Normalised {
        normalise(
            &indicators(texts),
            &empty_snapshot(),
            None,
            &NormaliseOptions::default(),
        )
    }

    fn strings(n: &Normalised) -> Vec<String> {
        n.items.iter().map(|i| i.net.to_string()).collect()
    }

    #[test]
    fn embedded_ranges_all_parse() {
        assert_eq!(
            exclusions(&[]).len(),
            SPECIAL_RANGES.len() + CLOUDFLARE_IPV4.len() + CLOUDFLARE_IPV6.len()
        );
    }

    #[test]
    fn special_purpose_and_cloudflare_ranges_are_dropped() {
        let out = run(&[
            "10.1.2.3",
            "172.20.0.0/16",
            "192.168.1.0/24",
            "127.0.0.1",
            "169.254.169.254",
            "224.0.0.251",
            "192.0.2.10",
            "198.51.100.0/24",
            "203.0.113.7",
            "100.64.1.1",
            "198.18.0.1",
            "240.1.2.3",
            "255.255.255.255",
            "0.1.2.3",
            "104.16.132.229",
            "2606:4700::6810:84e5",
            "::1",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "2001:db8::1",
            "3fff::1",
            "64:ff9b::1.2.3.4",
            "45.155.205.7",
        ]);
        assert_eq!(strings(&out), ["45.155.205.7/32"]);
        assert_eq!(out.stats.excluded, 23);
        let reasons: Vec<DropReason> = out.dropped.iter().map(|d| d.reason).collect();
        assert_eq!(reasons[0], DropReason::Private);
        assert_eq!(reasons[3], DropReason::Loopback);
        assert_eq!(reasons[6], DropReason::Documentation);
        assert_eq!(reasons[9], DropReason::Cgnat);
        assert_eq!(reasons[14], DropReason::Cloudflare);
        assert_eq!(reasons[15], DropReason::Cloudflare);
        assert_eq!(reasons[22], DropReason::NotGlobalUnicast);
        assert!(out.dropped.iter().all(|d| !d.partial));
    }

    #[test]
    fn a_wide_indicator_has_reserved_parts_cut_out() {
        // 100.0.0.0/8 holds CGNAT 100.64.0.0/10; 104.0.0.0/8 holds Cloudflare ranges.
        let out = run(&["100.0.0.0/8", "104.0.0.0/8"]);
        let nets = out.nets();
        assert!(nets.contains(&"100.0.0.0/10".parse().unwrap()));
        assert!(nets.contains(&"100.128.0.0/9".parse().unwrap()));
        assert!(!nets
            .iter()
            .any(|n| n.contains(&"100.64.0.1".parse::<IpAddr>().unwrap())));
        assert!(!nets
            .iter()
            .any(|n| n.contains(&"104.16.0.1".parse::<IpAddr>().unwrap())));
        assert!(!nets
            .iter()
            .any(|n| n.contains(&"104.27.255.255".parse::<IpAddr>().unwrap())));
        assert!(nets
            .iter()
            .any(|n| n.contains(&"104.28.0.0".parse::<IpAddr>().unwrap())));
        assert_eq!(out.stats.trimmed, 2);
        let partial: Vec<String> = out
            .dropped
            .iter()
            .filter(|d| d.partial)
            .map(|d| format!("{} {:?}", d.net, d.reason))
            .collect();
        assert_eq!(
            partial,
            [
                "100.64.0.0/10 Cgnat",
                "104.16.0.0/13 Cloudflare",
                "104.24.0.0/14 Cloudflare"
            ]
        );
    }

    #[test]
    fn aggregation_merges_neighbours_and_overlaps() {
        let out = run(&[
            "45.155.205.0/25",
            "45.155.205.128/25",
            "91.92.109.0/24",
            "91.92.109.77",
            "2a0e:1c80:1::/48",
            "2a0e:1c80::/48",
        ]);
        assert_eq!(
            strings(&out),
            ["45.155.205.0/24", "91.92.109.0/24", "2a0e:1c80::/47"]
        );
        assert_eq!(out.stats.aggregated_from, 6);
        assert_eq!(out.stats.aggregated_to, 3);
        assert_eq!(out.items[0].sources, 2);
        assert_eq!(out.items[0].line, 1);
        assert_eq!(out.items[0].comment.as_deref(), Some("entry 1"));
        assert_eq!(out.items[1].sources, 2);
        assert_eq!(out.stats.ipv4_addresses, 512);
    }

    #[test]
    fn prefix_limits() {
        let out = run(&[
            "5.0.0.0/7",
            "6.0.0.0/8",
            "7.0.0.0/8",
            "2a0e::/3",
            "2a0e:1c80:1:2::77",
        ]);
        // /7 rejected; two adjacent /8 stay two /8s; v6 /3 rejected; /128 widened to /64.
        assert_eq!(
            strings(&out),
            ["6.0.0.0/8", "7.0.0.0/8", "2a0e:1c80:1:2::/64"]
        );
        assert_eq!(out.stats.too_wide, 2);
        assert_eq!(out.stats.widened, 1);
        assert_eq!(out.dropped[0].reason, DropReason::TooWide);
        assert_eq!(out.items[2].ip_text(), "2a0e:1c80:1:2::/64");
    }

    #[test]
    fn allowlist_and_non_ip_indicators() {
        let mut list = indicators(&["45.155.205.0/24", "91.92.109.7"]);
        list.push(Indicator {
            value: IndicatorValue::Domain("bad.example.net".into()),
            line: 9,
            comment: None,
        });
        let out = normalise(
            &list,
            &empty_snapshot(),
            None,
            &NormaliseOptions {
                allow: vec![
                    "45.155.205.128/25".parse().unwrap(),
                    "91.92.109.7/32".parse().unwrap(),
                ],
                ..NormaliseOptions::default()
            },
        );
        assert_eq!(strings(&out), ["45.155.205.0/25"]);
        assert_eq!(out.stats.non_ip["domain"], 1);
        assert_eq!(out.stats.excluded, 1);
        assert_eq!(out.stats.trimmed, 1);
    }

    #[test]
    fn truncation_keeps_the_widest() {
        let out = normalise(
            &indicators(&["45.155.205.7", "91.92.0.0/16", "185.220.101.0/24"]),
            &empty_snapshot(),
            None,
            &NormaliseOptions {
                max_items: Some(2),
                ..NormaliseOptions::default()
            },
        );
        assert_eq!(strings(&out), ["91.92.0.0/16", "185.220.101.0/24"]);
        assert_eq!(out.truncated, 1);
        assert_eq!(out.stats.item_limit, 2);
    }

    #[test]
    fn item_budget_subtracts_existing_items() {
        let demo = crate::snapshot::demo();
        // The demo account's one list holds 6 items; its zones are on Free/Pro/Business.
        assert_eq!(item_budget(&demo, Some("acme-api.io")), ITEM_LIMIT - 6);
        let out = normalise(
            &indicators(&["45.155.205.7"]),
            &demo,
            None,
            &NormaliseOptions::default(),
        );
        assert_eq!(out.stats.item_limit, ITEM_LIMIT - 6);
    }

    #[test]
    fn enterprise_plans_get_the_larger_budget() {
        let mut demo = crate::snapshot::demo();
        let zone = demo
            .zones
            .iter_mut()
            .find(|z| z.zone.name == "acme-api.io")
            .unwrap();
        zone.zone.plan = crate::snapshot::Field::Value(
            serde_json::json!({"id": "enterprise", "name": "Enterprise Website"}),
        );
        assert_eq!(
            item_budget(&demo, Some("acme-api.io")),
            ENTERPRISE_ITEM_LIMIT - 6
        );
        assert_eq!(item_budget(&demo, Some("acme-shop.com")), ITEM_LIMIT - 6);
        assert_eq!(item_budget(&demo, None), ENTERPRISE_ITEM_LIMIT - 6);
    }

    #[test]
    fn inline_sets_and_single_addresses_count_as_covered_only_when_alone() {
        let mut demo = crate::snapshot::demo();
        let zone = demo
            .zones
            .iter_mut()
            .find(|z| z.zone.name == "acme-api.io")
            .unwrap();
        let rules = &mut zone.rulesets[0].rules;
        rules[0].expression = crate::snapshot::Field::Value(
            "ip.src in {45.155.205.0/24 91.92.109.1..91.92.109.20} or ip.src eq 185.220.101.4"
                .into(),
        );
        // Narrowed by a path: does not block the address everywhere.
        rules[3].expression = crate::snapshot::Field::Value(
            r#"ip.src in {194.26.29.0/24} and http.request.uri.path eq "/admin""#.into(),
        );
        rules[3].enabled = crate::snapshot::Field::Value(true);
        let (nets, sources) = already_blocked(&demo, Some("acme-api.io"));
        let nets: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
        assert!(nets.contains(&"45.155.205.0/24".to_string()));
        assert!(nets.contains(&"91.92.109.16/30".to_string()));
        assert!(nets.contains(&"185.220.101.4/32".to_string()));
        assert!(!nets.iter().any(|n| n.starts_with("194.26.29.")));
        assert_eq!(sources.len(), 2);
        let out = normalise(
            &indicators(&[
                "45.155.205.7",
                "91.92.109.16/30",
                "185.220.101.4",
                "194.26.29.0/24",
            ]),
            &demo,
            Some("acme-api.io"),
            &NormaliseOptions::default(),
        );
        assert_eq!(strings(&out), ["194.26.29.0/24"]);
        assert_eq!(out.covered, 3);
    }

    #[test]
    fn subtract_edges() {
        assert_eq!(subtract(&[(0, 10)], &[(0, 10)]), []);
        assert_eq!(subtract(&[(0, 10)], &[(3, 4)]), [(0, 2), (5, 10)]);
        assert_eq!(
            subtract(&[(0, 10), (20, 30)], &[(5, 25)]),
            [(0, 4), (26, 30)]
        );
        assert_eq!(subtract(&[(5, 6)], &[(0, 1), (8, 9)]), [(5, 6)]);
        assert_eq!(
            subtract(&[(0, u128::MAX)], &[(1, 1), (u128::MAX, u128::MAX)]),
            [(0, 0), (2, u128::MAX - 1)]
        );
    }
}
