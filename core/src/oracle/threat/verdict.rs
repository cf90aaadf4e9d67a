//! From the matches to a verdict: the reasons and their points, the threat level, and the
//! recommendation with concrete steps.

use super::*;

/// Threats of at least a tenth of a country's requests count only from this many requests on:
/// a handful of requests says nothing.
const MIN_COUNTED_REQUESTS: u64 = 10;

pub(super) fn is_challenge(action: &str) -> bool {
    matches!(action, "managed_challenge" | "js_challenge" | "challenge")
}

pub(super) fn score(facets: &Facets, inputs: &ThreatInputs<'_>, a: &mut ThreatAssessment) {
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
                m.requests >= MIN_COUNTED_REQUESTS && t.saturating_mul(10) >= m.requests
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

pub(super) fn has_reason(a: &ThreatAssessment, code: &str) -> bool {
    a.reasons.iter().any(|r| r.code == code)
}

pub(super) fn recommend(
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

pub(super) fn verb(action: RecommendedAction) -> &'static str {
    match action {
        RecommendedAction::Block => "Block",
        RecommendedAction::Challenge => "Challenge",
        RecommendedAction::Monitor => "Monitor",
        RecommendedAction::DoNotBlock => "Do not block",
        RecommendedAction::Takedown => "Take down",
        RecommendedAction::None => "Nothing for",
    }
}
