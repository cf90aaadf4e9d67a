//! "Is it safe to delete record X?": what depends on the record, what it carries, and what the
//! findings say about it.

use super::{
    evidence, finding_evidence, risk, Ctx, DecisionOption, Evidence, Recommendation, RiskLevel,
};
use crate::invariants::Status;
use crate::snapshot::{DnsRecord, RecordType, ZoneSnapshot};

/// Checks whose failure on a record means it points at nothing: deleting it removes a risk.
const DEAD_END_CHECKS: &[&str] = &[
    "dns_record_tunnel_target_exists",
    "dns_record_dangling_third_party",
];

/// At most this many records are judged for one question.
const MAX_RECORDS: usize = 10;

/// Record names written in the question (whole tokens that are names of records in scope), and
/// record ids (32 hex characters).
fn named_records<'a>(ctx: &Ctx<'a>) -> Vec<(&'a ZoneSnapshot, &'a DnsRecord)> {
    let tokens: Vec<&str> = ctx
        .question
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ',' | '?' | '(' | ')' | '!' | ';')
        })
        .map(|t| t.trim_end_matches('.'))
        .filter(|t| !t.is_empty())
        .collect();
    let wanted_type = [
        ("cname", RecordType::Cname),
        ("aaaa", RecordType::Aaaa),
        ("mx", RecordType::Mx),
        ("txt", RecordType::Txt),
        ("ns", RecordType::Ns),
        ("srv", RecordType::Srv),
        ("caa", RecordType::Caa),
    ]
    .into_iter()
    .find(|(word, _)| tokens.iter().any(|t| t == word))
    .map(|(_, t)| t);
    let mut out = Vec::new();
    for z in &ctx.zones {
        for r in &z.dns_records {
            let by_name = tokens.iter().any(|t| t.eq_ignore_ascii_case(&r.name));
            let by_id =
                r.id.as_deref()
                    .is_some_and(|id| tokens.iter().any(|t| t.eq_ignore_ascii_case(id)));
            let type_ok = wanted_type.as_ref().map_or(true, |t| *t == r.record_type) || by_id;
            if (by_name || by_id) && type_ok {
                out.push((*z, r));
            }
        }
    }
    // The longest name written wins: "www.a.com" over "a.com" when both are records.
    let longest = out.iter().map(|(_, r)| r.name.len()).max().unwrap_or(0);
    out.retain(|(_, r)| {
        r.name.len() == longest
            || r.id
                .as_deref()
                .is_some_and(|id| ctx.question.contains(&id.to_lowercase()))
    });
    out
}

/// Why a record is sensitive (mail, validation, delegation, certificates, the apex), if it is.
fn sensitivity(z: &ZoneSnapshot, r: &DnsRecord) -> Option<String> {
    let content = r.content_str().to_lowercase();
    let name = r.name.to_lowercase();
    let apex = name == z.zone.name.to_lowercase();
    Some(match r.record_type {
        RecordType::Mx => "an MX record: mail for the domain is delivered by it".to_owned(),
        RecordType::Ns => "an NS record: it delegates a subdomain".to_owned(),
        RecordType::Caa => "a CAA record: it decides which CAs may issue certificates".to_owned(),
        RecordType::Txt if content.contains("v=spf1") => {
            "the SPF record: without it receivers cannot authenticate your mail".to_owned()
        }
        RecordType::Txt if content.contains("v=dmarc1") || name.starts_with("_dmarc.") => {
            "the DMARC record".to_owned()
        }
        RecordType::Txt | RecordType::Cname if name.contains("._domainkey.") => {
            "a DKIM key: mail signed with it stops verifying".to_owned()
        }
        RecordType::Txt if content.contains("verification") => {
            "a domain verification token: the service that placed it may re-check it".to_owned()
        }
        RecordType::A | RecordType::Aaaa | RecordType::Cname if apex => {
            "the zone apex address: the bare domain stops resolving".to_owned()
        }
        RecordType::Tlsa | RecordType::Srv | RecordType::Sshfp => {
            format!("a {} record a service relies on", r.record_type)
        }
        _ => return None,
    })
}

fn record_label(r: &DnsRecord) -> String {
    format!("{} {} → {}", r.record_type, r.name, r.content_str())
}

/// What points at the record's name: other records, tunnel ingress rules, rule expressions.
fn dependants(ctx: &Ctx<'_>, r: &DnsRecord) -> Vec<Evidence> {
    let name = r.name.to_lowercase();
    let mut out = Vec::new();
    // Only an address (A, AAAA or CNAME) is what other records, tunnels and rules reach by name.
    if !matches!(
        r.record_type,
        RecordType::A | RecordType::Aaaa | RecordType::Cname
    ) {
        return out;
    }
    for z in &ctx.snapshot.zones {
        for other in &z.dns_records {
            if std::ptr::eq(other, r) {
                continue;
            }
            let target = other
                .content_str()
                .split_whitespace()
                .last()
                .unwrap_or("")
                .trim_end_matches('.')
                .to_lowercase();
            let points = matches!(
                other.record_type,
                RecordType::Cname
                    | RecordType::Mx
                    | RecordType::Ns
                    | RecordType::Srv
                    | RecordType::Https
                    | RecordType::Svcb
            ) && target == name;
            if points {
                out.push(evidence(
                    "record",
                    Some(&z.zone.name),
                    other
                        .id
                        .get()
                        .cloned()
                        .unwrap_or_else(|| other.name.clone()),
                    format!("{} points at it", record_label(other)),
                ));
            }
        }
        for ruleset in &z.rulesets {
            for rule in &ruleset.rules {
                let expr = rule.expression.as_deref().unwrap_or("").to_lowercase();
                if expr.contains(&format!("\"{name}\"")) {
                    out.push(evidence(
                        "rule",
                        Some(&z.zone.name),
                        rule.id.get().cloned().unwrap_or_default(),
                        format!(
                            "rule {:?} names the host",
                            rule.description.as_deref().unwrap_or("")
                        ),
                    ));
                }
            }
        }
    }
    for account in &ctx.snapshot.accounts {
        for t in account.tunnels.iter().filter(|t| !t.tunnel.is_deleted()) {
            for ingress in t.ingress() {
                if ingress
                    .hostname
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case(&name))
                {
                    out.push(evidence(
                        "tunnel",
                        None,
                        t.tunnel.id.clone(),
                        format!(
                            "tunnel {} routes {name} to {}",
                            t.tunnel.name.as_deref().unwrap_or(&t.tunnel.id),
                            ingress.service.as_deref().unwrap_or("?")
                        ),
                    ));
                }
            }
        }
    }
    out
}

pub(super) fn delete_record(ctx: &Ctx<'_>, out: &mut Recommendation) {
    let records = named_records(ctx);
    if records.is_empty() {
        out.unknowns.push(
            "no DNS record named in the question exists in the zones considered: name it exactly (e.g. old-ci.example.com) or give its id".to_owned(),
        );
        out.summary =
            "No record to judge: the question names no DNS record of the snapshot.".to_owned();
        return;
    }
    let mut lines = Vec::new();
    for (z, r) in records.into_iter().take(MAX_RECORDS) {
        let zone = z.zone.name.as_str();
        let key =
            r.id.get()
                .cloned()
                .unwrap_or_else(|| format!("{}:{}", r.record_type, r.name));
        let mut ev = vec![evidence(
            "record",
            Some(zone),
            key.clone(),
            format!(
                "{}{}",
                record_label(r),
                if r.is_proxied() {
                    " (proxied: serves traffic through Cloudflare)"
                } else {
                    " (DNS only)"
                }
            ),
        )];
        let findings: Vec<_> = ctx
            .report
            .findings
            .iter()
            .filter(|f| {
                r.id.get().is_some_and(|id| *id == f.resource.id) && f.status == Status::Fail
            })
            .collect();
        let dead_end = findings
            .iter()
            .any(|f| DEAD_END_CHECKS.contains(&&*f.check_id));
        ev.extend(findings.iter().map(|f| finding_evidence(f)));
        let deps = dependants(ctx, r);
        ev.extend(deps.iter().cloned());
        let sensitive = sensitivity(z, r);
        if let Some(why) = &sensitive {
            ev.push(evidence(
                "record",
                Some(zone),
                key.clone(),
                format!("sensitive: {why}"),
            ));
        }
        let (delete_risk, recommend_delete, line) = if !deps.is_empty() {
            (
                risk(
                    RiskLevel::High,
                    format!(
                        "{} thing(s) depend on it and would break (see evidence)",
                        deps.len()
                    ),
                ),
                false,
                format!(
                    "keep {}: other records, tunnels or rules depend on it",
                    r.name
                ),
            )
        } else if dead_end {
            (
                risk(RiskLevel::Low, "it points at a deleted tunnel or a claimable third-party host: it serves nothing, and deleting it removes a takeover risk"),
                true,
                format!("delete {}: it points at nothing (see findings)", r.name),
            )
        } else if let Some(why) = &sensitive {
            (
                risk(RiskLevel::High, format!("it is {why}")),
                false,
                format!("keep {}: it is {why}", r.name),
            )
        } else if r.is_proxied() {
            (
                risk(RiskLevel::Medium, "it is proxied and may serve live traffic; per-hostname traffic is not in the analytics"),
                false,
                format!("keep {} until you confirm it gets no traffic", r.name),
            )
        } else {
            (
                risk(RiskLevel::Medium, "nothing in the account depends on it, but cfcp cannot see who outside resolves it; lower its TTL and watch before deleting"),
                true,
                format!("{} can go: nothing in the account depends on it", r.name),
            )
        };
        out.options.push(DecisionOption {
            id: format!("delete:{key}"),
            zone: Some(zone.to_owned()),
            title: format!("Delete {}", record_label(r)),
            description: "Remove the record (DELETE /zones/{zone_id}/dns_records/{id}); cfcp-mcp plans it first and routes it for approval.".to_owned(),
            evidence: ev.clone(),
            risk: delete_risk,
            recommended: recommend_delete,
        });
        out.options.push(DecisionOption {
            id: format!("keep:{key}"),
            zone: Some(zone.to_owned()),
            title: format!("Keep {}", record_label(r)),
            description: if dead_end {
                "Keep it only if you are about to recreate its target (tunnel or third-party resource).".to_owned()
            } else {
                "No change.".to_owned()
            },
            evidence: ev,
            risk: if dead_end {
                risk(RiskLevel::High, "a dangling record can be taken over or keeps routing nowhere")
            } else {
                risk(RiskLevel::None, "no change")
            },
            recommended: !recommend_delete,
        });
        lines.push(line);
    }
    out.unknowns.push(
        "per-hostname traffic: the analytics cfcp reads are per zone, so whether anyone still uses the record is unknown".to_owned(),
    );
    out.summary = format!("{}.", lines.join("; "));
}
