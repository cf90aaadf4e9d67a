//! Zone-setting questions: Under Attack mode, Full (strict) SSL, minimum TLS version, Bot Fight
//! Mode. Each zone in scope gets its own options, one of them recommended.

use super::{evidence, risk, Ctx, DecisionOption, Evidence, Recommendation, RiskLevel};
use crate::oracle::analytics::MIN_REQUESTS_FOR_RATIOS;
use crate::snapshot::{Phase, RecordType, RuleAction, ZoneSnapshot};

/// A threat share at or above this (with enough requests) means the zone is being attacked.
pub const ATTACK_THREAT_SHARE: f64 = 0.10;

/// The last day's requests at or above this multiple of the days before means a flood.
pub const ATTACK_SPIKE: f64 = 3.0;

fn option(
    id: &str,
    zone: &str,
    title: impl Into<String>,
    description: impl Into<String>,
    evidence: Vec<Evidence>,
    risk: super::Risk,
    recommended: bool,
) -> DecisionOption {
    DecisionOption {
        id: format!("{id}:{zone}"),
        zone: Some(zone.to_owned()),
        title: title.into(),
        description: description.into(),
        evidence,
        risk,
        recommended,
    }
}

fn setting_evidence(z: &ZoneSnapshot, id: &str) -> Evidence {
    let value = z
        .setting(id)
        .map(|s| s.value.to_string())
        .unwrap_or_else(|| "not in the snapshot".to_owned());
    evidence("setting", Some(&z.zone.name), id, format!("{id} = {value}"))
}

/// Hosts that serve machines rather than browsers: API clients cannot solve a JavaScript
/// challenge.
fn api_hosts(z: &ZoneSnapshot) -> Vec<String> {
    let mut hosts: Vec<String> = z
        .dns_records
        .iter()
        .filter(|r| r.is_proxied())
        .filter(|r| {
            let first = r.name.split('.').next().unwrap_or("").to_lowercase();
            first.starts_with("api")
                || matches!(
                    first.as_str(),
                    "graphql" | "ws" | "grpc" | "webhook" | "webhooks" | "v1" | "v2" | "mobile"
                )
                || (r.name.eq_ignore_ascii_case(&z.zone.name)
                    && z.zone.name.to_lowercase().contains("api"))
        })
        .map(|r| r.name.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Whether the analytics show an attack: `Some(true)` yes, `Some(false)` no, `None` unknown.
fn under_attack_now(ctx: &Ctx<'_>, zone: &str, ev: &mut Vec<Evidence>) -> Option<bool> {
    let za = ctx.zone_analytics(zone)?;
    let (requests, threats) = za.daily_totals().unwrap_or((za.requests().unwrap_or(0), 0));
    let share = za.threat_share();
    let spike = za.spike();
    if let Some(share) = share {
        ev.push(evidence(
            "analytics",
            Some(zone),
            "threat_share",
            format!(
                "{threats} of {requests} requests were threats ({:.1}%)",
                share * 100.0
            ),
        ));
    }
    if let Some(spike) = spike {
        ev.push(evidence(
            "analytics",
            Some(zone),
            "request_spike",
            format!("the last day had {spike:.1}× the mean daily requests of the days before"),
        ));
    }
    if let Some(top) = za.traffic.as_ref().and_then(|t| t.top_paths.first()) {
        ev.push(evidence(
            "analytics",
            Some(zone),
            "top_path",
            format!(
                "most requested path {} ({} requests)",
                top.value, top.requests
            ),
        ));
    }
    if share.is_none() && spike.is_none() {
        return None;
    }
    let enough = requests >= MIN_REQUESTS_FOR_RATIOS;
    Some(
        enough
            && (share.is_some_and(|s| s >= ATTACK_THREAT_SHARE)
                || spike.is_some_and(|s| s >= ATTACK_SPIKE)),
    )
}

pub(super) fn under_attack(ctx: &Ctx<'_>, out: &mut Recommendation) {
    let mut lines = Vec::new();
    for z in &ctx.zones {
        let name = z.zone.name.as_str();
        let level = z.setting_str("security_level");
        let on = level == Some("under_attack");
        let mut ev = vec![setting_evidence(z, "security_level")];
        ev.extend(ctx.check_evidence("zone_security_under_attack_disabled", name));
        let attack = under_attack_now(ctx, name, &mut ev);
        let apis = api_hosts(z);
        if !apis.is_empty() {
            ev.push(evidence(
                "record",
                Some(name),
                "api_hosts",
                format!("proxied API hosts: {}", apis.join(", ")),
            ));
        }
        let rate_limited = z
            .ruleset(&Phase::HttpRatelimit)
            .is_some_and(|r| r.rules.iter().any(|r| r.is_enabled()));
        ev.extend(ctx.check_evidence("zone_rate_limiting_enabled", name));
        if attack.is_none() {
            out.unknowns.push(format!(
                "{name}: no daily analytics, so whether the zone is under attack now is unknown"
            ));
        }
        let targeted = option(
            "targeted_mitigation",
            name,
            "Targeted mitigation instead of a zone-wide challenge",
            format!(
                "Challenge or rate-limit only what is attacked (paths, countries, ASNs seen in the analytics){}; keep the security level at medium or high.",
                if rate_limited { "" } else { "; the zone has no enabled rate limiting rule yet" }
            ),
            ev.clone(),
            risk(RiskLevel::Low, "legitimate users of the targeted paths may see challenges"),
            false,
        );
        let mut options = Vec::new();
        if on {
            let (rec, level_risk) = match attack {
                Some(true) => ("keep", risk(RiskLevel::High, "the analytics show an attack under way: lowering the security level lets it through")),
                Some(false) => ("disable_under_attack", risk(RiskLevel::Low, "the analytics show no attack; visitors stop waiting on the interstitial")),
                None => ("disable_under_attack", risk(RiskLevel::Medium, "without analytics cfcp cannot confirm that the attack is over")),
            };
            options.push(option(
                "disable_under_attack",
                name,
                "Turn Under Attack mode off (security level high)",
                "Set security_level to high: I'm Under Attack is meant for an attack in progress; left on, every visitor waits on a JavaScript interstitial and API clients fail.",
                ev.clone(),
                level_risk,
                rec == "disable_under_attack",
            ));
            options.push(option(
                "keep",
                name,
                "Keep Under Attack mode on",
                "Leave security_level at under_attack while the attack lasts.",
                ev.clone(),
                risk(
                    if apis.is_empty() {
                        RiskLevel::Medium
                    } else {
                        RiskLevel::High
                    },
                    if apis.is_empty() {
                        "every visitor keeps waiting on the interstitial".to_owned()
                    } else {
                        format!(
                            "API clients of {} cannot pass the JavaScript challenge",
                            apis.join(", ")
                        )
                    },
                ),
                rec == "keep",
            ));
            options.push(targeted);
            lines.push(format!(
                "{name}: Under Attack mode is on; {}",
                match attack {
                    Some(true) => "the analytics show an attack, keep it on while it lasts and add targeted rules",
                    Some(false) => "the analytics show no attack, turn it off",
                    None => "turn it off once you confirm the attack is over (no analytics to show it)",
                }
            ));
        } else {
            let (rec, keep_risk) = match attack {
                Some(true) if apis.is_empty() => (
                    "enable_under_attack",
                    risk(RiskLevel::High, "the attack continues to reach the origin"),
                ),
                Some(true) => (
                    "targeted_mitigation",
                    risk(RiskLevel::High, "the attack continues to reach the origin"),
                ),
                Some(false) => ("keep", risk(RiskLevel::None, "no attack in the analytics")),
                None => (
                    "keep",
                    risk(
                        RiskLevel::Low,
                        "without analytics an attack in progress would go unnoticed here",
                    ),
                ),
            };
            options.push(option(
                "enable_under_attack",
                name,
                "Turn Under Attack mode on",
                "Set security_level to under_attack: every visitor passes a JavaScript interstitial before reaching the zone. Turn it off when the attack ends.",
                ev.clone(),
                if apis.is_empty() {
                    risk(RiskLevel::Medium, "every visitor waits on the interstitial; non-browser clients (monitoring, webhooks) fail")
                } else {
                    risk(RiskLevel::High, format!("API clients of {} cannot pass the JavaScript challenge and will fail", apis.join(", ")))
                },
                rec == "enable_under_attack",
            ));
            let mut targeted = targeted;
            targeted.recommended = rec == "targeted_mitigation";
            options.push(targeted);
            options.push(option(
                "keep",
                name,
                format!(
                    "Keep the security level at {}",
                    level.unwrap_or("its current value")
                ),
                "No change.",
                ev,
                keep_risk,
                rec == "keep",
            ));
            lines.push(format!(
                "{name}: {}",
                match (attack, rec) {
                    (Some(true), "enable_under_attack") => "the analytics show an attack: turn Under Attack mode on until it ends",
                    (Some(true), _) => "the analytics show an attack, but the zone serves API clients: use targeted rules, not a zone-wide challenge",
                    (Some(false), _) => "no attack in the analytics: leave it off",
                    _ => "no analytics showing an attack: leave it off unless one is visible",
                }
            ));
        }
        out.options.extend(options);
    }
    out.summary = lines.join(". ");
}

pub(super) fn ssl_strict(ctx: &Ctx<'_>, out: &mut Recommendation) {
    let mut lines = Vec::new();
    for z in &ctx.zones {
        let name = z.zone.name.as_str();
        let mode = z.setting_str("ssl").unwrap_or("");
        let mut ev = vec![setting_evidence(z, "ssl")];
        ev.extend(ctx.check_evidence("zone_ssl_strict", name));
        let proxied: Vec<_> = z
            .dns_records
            .iter()
            .filter(|r| {
                r.is_proxied()
                    && matches!(
                        r.record_type,
                        RecordType::A | RecordType::Aaaa | RecordType::Cname
                    )
            })
            .collect();
        let tunnels = proxied
            .iter()
            .filter(|r| r.content_str().ends_with(".cfargotunnel.com"))
            .count();
        let origins: Vec<String> = proxied
            .iter()
            .filter(|r| !r.content_str().ends_with(".cfargotunnel.com"))
            .map(|r| format!("{} → {}", r.name, r.content_str()))
            .collect();
        ev.push(evidence(
            "record",
            Some(name),
            "proxied_origins",
            format!(
                "{} proxied record(s): {} to Cloudflare Tunnels (SSL mode does not apply to them), {} to origins{}",
                proxied.len(),
                tunnels,
                origins.len(),
                if origins.is_empty() { String::new() } else { format!(": {}", origins.iter().take(8).cloned().collect::<Vec<_>>().join(", ")) }
            ),
        ));
        if let Some(za) = ctx.zone_analytics(name) {
            for status in [525u16, 526] {
                if let Some(n) = za.status_requests(status) {
                    ev.push(evidence(
                        "analytics",
                        Some(name),
                        format!("status_{status}"),
                        format!("{n} responses with status {status}"),
                    ));
                }
            }
        }
        if mode.is_empty() {
            out.unknowns
                .push(format!("{name}: the ssl setting is not in the snapshot"));
            continue;
        }
        if mode == "strict" || mode == "origin_pull" {
            out.options.push(option(
                "keep",
                name,
                "Keep Full (strict)",
                "The zone already validates origin certificates.",
                ev,
                risk(RiskLevel::None, "no change"),
                true,
            ));
            lines.push(format!("{name} is already Full (strict)"));
            continue;
        }
        let strict_risk = if origins.is_empty() {
            risk(RiskLevel::Low, "every proxied hostname goes through a Cloudflare Tunnel, which the SSL mode does not affect")
        } else if mode == "full" {
            risk(RiskLevel::Medium, format!("origins whose certificate is self-signed, expired or not valid for the hostname start failing with 526 ({} origin record(s))", origins.len()))
        } else {
            risk(RiskLevel::High, format!("under {mode}, origins may not serve HTTPS at all: without a certificate installed first they fail with 521/525/526 ({} origin record(s))", origins.len()))
        };
        out.options.push(option(
            "strict",
            name,
            "Move to Full (strict)",
            format!(
                "First install a certificate valid for each origin hostname (a free Cloudflare Origin CA certificate will do) and check the origin answers on 443; then set ssl to strict. Today it is {mode}: {}",
                if mode == "full" { "encrypted to the origin but any certificate is accepted, so a man in the middle is not detected" } else { "traffic between Cloudflare and the origin is not protected" }
            ),
            ev.clone(),
            strict_risk,
            true,
        ));
        if mode != "full" {
            out.options.push(option(
                "full",
                name,
                "Move to Full first",
                "Encrypt to the origin without validating its certificate, as a step towards strict; it still needs HTTPS on the origin.",
                ev.clone(),
                risk(RiskLevel::Medium, "origins without HTTPS fail with 521/525; certificates are still not validated"),
                false,
            ));
        }
        out.options.push(option(
            "keep",
            name,
            format!("Keep {mode}"),
            "No change.",
            ev,
            risk(
                RiskLevel::High,
                format!("{mode} leaves the Cloudflare-to-origin leg open to interception"),
            ),
            false,
        ));
        lines.push(format!(
            "{name} ({mode}): move to Full (strict) after installing origin certificates"
        ));
    }
    out.unknowns.push(
        "whether each origin presents a valid certificate for its hostname: cfcp cannot see origin certificates".to_owned(),
    );
    if ctx.analytics.is_none() {
        out.unknowns
            .push("no analytics: current 525/526 error counts are unknown".to_owned());
    }
    out.summary = format!("{}.", lines.join("; "));
}

fn tls_rank(version: &str) -> Option<u8> {
    match version {
        "1.0" => Some(0),
        "1.1" => Some(1),
        "1.2" => Some(2),
        "1.3" => Some(3),
        _ => None,
    }
}

pub(super) fn min_tls(ctx: &Ctx<'_>, out: &mut Recommendation) {
    let mut lines = Vec::new();
    for z in &ctx.zones {
        let name = z.zone.name.as_str();
        let mut ev = vec![
            setting_evidence(z, "min_tls_version"),
            setting_evidence(z, "tls_1_3"),
        ];
        ev.extend(ctx.check_evidence("zone_min_tls_version_secure", name));
        let Some(current) = z.setting_str("min_tls_version") else {
            out.unknowns
                .push(format!("{name}: min_tls_version is not in the snapshot"));
            continue;
        };
        let rank = tls_rank(current);
        let below_12 = rank.is_some_and(|r| r < 2);
        if below_12 {
            out.options.push(option(
                "min_tls_1_2",
                name,
                "Minimum TLS 1.2",
                "Refuse TLS 1.0 and 1.1, deprecated by RFC 8996 and not allowed by PCI DSS.",
                ev.clone(),
                risk(RiskLevel::Low, "clients without TLS 1.2 (Android 4.3 and older, Internet Explorer 10 and older, Java 6) can no longer connect; they are over a decade old"),
                true,
            ));
        }
        if rank != Some(3) {
            out.options.push(option(
                "min_tls_1_3",
                name,
                "Minimum TLS 1.3",
                "Only TLS 1.3: the strongest, but some API clients, bots, monitoring tools and older corporate proxies lack it.",
                ev.clone(),
                risk(RiskLevel::Medium, "clients and integrations limited to TLS 1.2 fail; PCI DSS only needs 1.2"),
                false,
            ));
        }
        out.options.push(option(
            "keep",
            name,
            format!("Keep TLS {current}"),
            "No change.",
            ev,
            if below_12 {
                risk(RiskLevel::High, format!("TLS {current} stays open to downgrade weaknesses and fails compliance scans"))
            } else {
                risk(RiskLevel::None, "no change")
            },
            !below_12,
        ));
        lines.push(if below_12 {
            format!("{name}: raise the minimum from {current} to 1.2")
        } else {
            format!("{name}: TLS {current} is fine; keep it")
        });
        if rank.is_none() {
            out.unknowns.push(format!(
                "{name}: min_tls_version {current:?} is not a version cfcp knows"
            ));
        }
    }
    out.unknowns.push(
        "the share of clients still on TLS 1.0/1.1 is not in the analytics cfcp reads".to_owned(),
    );
    out.summary = format!("{}.", lines.join("; "));
}

fn paid_plan(z: &ZoneSnapshot) -> bool {
    z.zone.plan_name().is_some_and(|p| {
        ["pro", "business", "enterprise"]
            .iter()
            .any(|k| p.to_lowercase().contains(k))
    })
}

pub(super) fn bot_fight_mode(ctx: &Ctx<'_>, out: &mut Recommendation) {
    let mut lines = Vec::new();
    for z in &ctx.zones {
        let name = z.zone.name.as_str();
        let mut ev = Vec::new();
        ev.extend(ctx.check_evidence("zone_bot_fight_mode_enabled", name));
        ev.extend(ctx.check_evidence("bot_sbfm_definitely_automated_blocked", name));
        ev.push(evidence(
            "setting",
            Some(name),
            "plan",
            format!("plan {}", z.zone.plan_name().unwrap_or("unknown")),
        ));
        let Some(bm) = &z.bot_management else {
            out.unknowns.push(format!(
                "{name}: bot management was not read into the snapshot"
            ));
            continue;
        };
        let on = bm.fight_mode.copied() == Some(true);
        ev.push(evidence(
            "setting",
            Some(name),
            "bot_management.fight_mode",
            format!("fight_mode = {on}"),
        ));
        let apis = api_hosts(z);
        if !apis.is_empty() {
            ev.push(evidence(
                "record",
                Some(name),
                "api_hosts",
                format!("proxied API hosts: {}", apis.join(", ")),
            ));
        }
        let bot_skips: Vec<String> = z
            .ruleset(&Phase::HttpRequestFirewallCustom)
            .map(|rs| {
                rs.rules
                    .iter()
                    .filter(|r| r.is_enabled() && r.action.get() == Some(&RuleAction::Skip))
                    .filter(|r| {
                        let e = r.expression.as_deref().unwrap_or("").to_lowercase();
                        e.contains("user_agent") || e.contains("bot")
                    })
                    .map(|r| {
                        format!(
                            "{} ({})",
                            r.description.as_deref().unwrap_or(""),
                            r.id.as_deref().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        for skip in &bot_skips {
            ev.push(evidence(
                "rule",
                Some(name),
                "skip_rule",
                format!("skip rule for automated clients: {skip}"),
            ));
        }
        let paid = paid_plan(z);
        let automated_clients = !apis.is_empty() || !bot_skips.is_empty();
        if on {
            out.options.push(option(
                "keep",
                name,
                "Keep Bot Fight Mode on",
                "No change.",
                ev,
                risk(RiskLevel::None, "no change"),
                true,
            ));
            lines.push(format!("{name}: Bot Fight Mode is already on"));
            continue;
        }
        let rec = if paid {
            "configure_super_bot_fight_mode"
        } else if automated_clients {
            "keep"
        } else {
            "enable_bot_fight_mode"
        };
        out.options.push(option(
            "enable_bot_fight_mode",
            name,
            "Turn Bot Fight Mode on",
            "Challenge requests that match known bot patterns. It applies to the whole zone and cannot be skipped by WAF custom rules or Page Rules.",
            ev.clone(),
            if automated_clients {
                risk(RiskLevel::High, "it cannot be skipped: API clients and partner integrations on this zone would be challenged")
            } else {
                risk(RiskLevel::Low, "occasional challenges for automation you run yourself (uptime checks, scripts)")
            },
            rec == "enable_bot_fight_mode",
        ));
        if paid {
            out.options.push(option(
                "configure_super_bot_fight_mode",
                name,
                "Configure Super Bot Fight Mode",
                "On this plan: block definitely automated traffic, challenge likely automated, allow verified bots; exempt API paths and partners with WAF skip rules, which Super Bot Fight Mode honours.",
                ev.clone(),
                risk(RiskLevel::Low, "likely-automated but legitimate clients see challenges until exempted"),
                rec == "configure_super_bot_fight_mode",
            ));
        }
        out.options.push(option(
            "keep",
            name,
            "Leave bot protection as it is",
            "No change.",
            ev,
            risk(
                RiskLevel::Medium,
                "credential stuffing, scraping and inventory bots are not challenged",
            ),
            rec == "keep",
        ));
        lines.push(format!(
            "{name}: {}",
            match rec {
                "configure_super_bot_fight_mode" => "configure Super Bot Fight Mode (the plan has it, and it can exempt API clients)",
                "keep" => "leave Bot Fight Mode off: it cannot be skipped and the zone serves automated clients; protect sensitive paths with rules instead",
                _ => "turn Bot Fight Mode on",
            }
        ));
    }
    out.unknowns.push(
        "the share of automated traffic (bot scores) is not in the analytics cfcp reads".to_owned(),
    );
    out.summary = format!("{}.", lines.join("; "));
}
