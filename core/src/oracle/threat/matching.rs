//! Looking an indicator's facets up: feeds, lists, rule conditions, DNS records, zone names,
//! analytics, and the WAF simulation of each zone.

use super::*;

/// How a domain entry relates to the queried domain: equal, contains (a parent domain), within
/// (a subdomain).
pub(super) fn domain_relation(entry: &str, query: &str) -> Option<Relation> {
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

pub(super) fn unicode_domain(text: &str) -> Option<String> {
    parse_domain(text).ok().map(|(d, _)| d)
}

pub(super) fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    unicode_domain(host)
}

pub(super) fn match_intel(
    facets: &Facets,
    normalised: &str,
    feeds: &[IntelFeed],
    a: &mut ThreatAssessment,
) {
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

pub(super) fn match_lists(
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
pub(super) fn comparisons<'e>(
    expr: &'e Expr,
    negated: bool,
    out: &mut Vec<(&'e Comparison, bool)>,
) {
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

pub(super) fn lhs_fields(value: &Value) -> Vec<&str> {
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

pub(super) const ASN_FIELDS: &[&str] = &["ip.src.asnum", "ip.geoip.asnum"];
pub(super) const COUNTRY_FIELDS: &[&str] = &["ip.src.country", "ip.geoip.country"];
pub(super) const HOST_FIELDS: &[&str] = &[
    "http.host",
    "http.request.full_uri",
    "raw.http.request.full_uri",
    "http.referer",
];

/// The spans an `ip.src` condition names (an address, a set, an account list).
pub(super) fn condition_spans(c: &Comparison, lists: &Lists) -> Vec<Span> {
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

pub(super) fn strongest(relations: impl Iterator<Item = Relation>) -> Option<Relation> {
    relations.min()
}

pub(super) fn match_rules(
    facets: &Facets,
    rules: &[ParsedRule],
    lists: &Lists,
    a: &mut ThreatAssessment,
) {
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

pub(super) fn push_rule_match(
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

pub(super) fn record_target(content: &str) -> &str {
    // MX and CNAME content is a host name; SRV's is "weight port target".
    content
        .split_whitespace()
        .last()
        .unwrap_or("")
        .trim_end_matches('.')
}

pub(super) fn match_records(facets: &Facets, zones: &[&ZoneSnapshot], a: &mut ThreatAssessment) {
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

pub(super) fn match_zone_names(
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
pub(super) fn zone_of_host<'z>(host: &str, zones: &[&'z ZoneSnapshot]) -> Option<&'z ZoneSnapshot> {
    zones
        .iter()
        .filter(|z| {
            let name = z.zone.name.to_lowercase();
            host == name || host.ends_with(&format!(".{name}"))
        })
        .max_by_key(|z| z.zone.name.len())
        .copied()
}

pub(super) fn simulate_zones(
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

pub(super) fn match_analytics(
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
