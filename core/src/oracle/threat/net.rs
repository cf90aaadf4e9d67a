//! Address arithmetic: networks as integer spans, how two spans relate, and the ranges that
//! must never be blocked (special-purpose and Cloudflare's own).

use super::*;

/// A network as a rule or list writes it: a lone address without its `/32` or `/128`.
pub(super) fn net_text(net: IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// An address range as integers, with its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    v6: bool,
    start: u128,
    end: u128,
}

pub(super) fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (true, u128::from(v6)),
    }
}

pub(super) fn net_span(net: IpNet) -> Span {
    let (v6, start) = ip_bits(net.network());
    let (_, end) = ip_bits(net.broadcast());
    Span { v6, start, end }
}

pub(super) fn range_span(a: IpAddr, b: IpAddr) -> Option<Span> {
    let ((v6a, start), (v6b, end)) = (ip_bits(a), ip_bits(b));
    (v6a == v6b && start <= end).then_some(Span {
        v6: v6a,
        start,
        end,
    })
}

/// How `entry` relates to `query`: equal, contains (entry ⊇ query), within, overlaps.
pub(super) fn span_relation(entry: Span, query: Span) -> Option<Relation> {
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

pub(super) fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    IpNet::from_str(text)
        .ok()
        .or_else(|| IpAddr::from_str(text).ok().map(IpNet::from))
}

/// Special-purpose IPv4 and IPv6 ranges and what they are.
pub(super) const SPECIAL_RANGES: &[(&str, &str)] = &[
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

pub(super) fn special_range(net: IpNet) -> Option<(&'static str, &'static str)> {
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

pub(super) fn cloudflare_range(net: IpNet) -> Option<&'static str> {
    let q = net_span(net);
    CLOUDFLARE_IPV4
        .iter()
        .chain(CLOUDFLARE_IPV6)
        .copied()
        .find(|range| parse_net(range).is_some_and(|r| span_relation(net_span(r), q).is_some()))
}
