//! Cloudflare Tunnels: ingress configuration (catch-all, DNS routes, origin TLS), health, and the
//! connectors (cloudflared) running them. Account-level checks; deleted tunnels are skipped.
//!
//! Ingress checks read the remote configuration (`config_src: cloudflare`). A locally configured
//! tunnel keeps its ingress in cloudflared's config file, which a snapshot cannot show: UNKNOWN.

use std::collections::HashMap;

use serde_json::Value;

use super::{Check, Eval};
use crate::invariants::{AccountContext, Evaluation, Resource, Severity};
use crate::snapshot::{IngressRule, RecordType, TunnelSnapshot, TunnelStatus};

const TF_CONFIG: &str = "resource \"cloudflare_zero_trust_tunnel_cloudflared_config\" \"{resource_name}\" {\n  account_id = \"{account_id}\"\n  tunnel_id  = \"{resource_id}\"\n  config = {\n    ingress = [\n      {\n        hostname = \"app.example.com\"\n        service  = \"https://localhost:8443\"\n        origin_request = { no_tls_verify = false, origin_server_name = \"app.internal\" }\n      },\n      { service = \"http_status:404\" },\n    ]\n  }\n}";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "tunnel_ingress_has_catch_all",
        title: "A tunnel's last ingress rule is a catch-all",
        severity: Severity::Medium,
        resource_type: "tunnel",
        sections: &["tunnels", "tunnel_configuration"],
        description: "For every tunnel with a remote configuration: passes when the last ingress rule \
            has no hostname (or `*`) and no path (e.g. `service: http_status:404`); fails otherwise, \
            naming the last rule.",
        risk: "cloudflared rejects an ingress list without a final catch-all: connectors keep running \
            the previous configuration, so the change that was meant to apply (a new route, a removed \
            service) silently does not.",
        remediation: "Append `{ service = \"http_status:404\" }` as the last ingress rule.",
        terraform: TF_CONFIG,
        api: "PUT /accounts/{account_id}/cfd_tunnel/{resource_id}/configurations {\"config\":{\"ingress\":[...existing rules..., {\"service\":\"http_status:404\"}]}}",
        compliance: &["NIST-800-53r5:CM-6", "NIST-800-53r5:AC-4", "NIST-800-53r5:SC-7"],
        prowler: None,
        eval: Eval::Account(catch_all),
    },
    Check {
        id: "tunnel_ingress_hostname_routed",
        title: "Every tunnel ingress hostname has a DNS route to that tunnel",
        severity: Severity::Medium,
        resource_type: "tunnel",
        sections: &["tunnels", "tunnel_configuration"],
        description: "For every hostname in a tunnel's remote ingress: passes when the snapshot has a \
            CNAME `<hostname>` (or a covering wildcard) → `<tunnel-id>.cfargotunnel.com`; fails when the \
            hostname's zone is in the snapshot but has no such record (or points elsewhere); UNKNOWN \
            when no zone of the snapshot covers the hostname or its DNS records could not be read. One \
            finding per hostname (resource name `tunnel: hostname`).",
        risk: "An ingress rule without a DNS route is dead configuration: the service is unreachable, \
            or reachable some other way than intended, and whoever later creates the record (or takes \
            over the name) decides where it goes.",
        remediation: "Create a proxied CNAME from the hostname to `<tunnel-id>.cfargotunnel.com` \
            (`cloudflared tunnel route dns`), or remove the ingress rule.",
        terraform: "resource \"cloudflare_dns_record\" \"tunnel_route\" {\n  zone_id = \"<zone id of the hostname>\"\n  name    = \"<hostname>\"\n  type    = \"CNAME\"\n  content = \"{resource_id}.cfargotunnel.com\"\n  proxied = true\n  ttl     = 1\n}",
        api: "POST /zones/<zone id of the hostname>/dns_records {\"type\":\"CNAME\",\"name\":\"<hostname>\",\"content\":\"{resource_id}.cfargotunnel.com\",\"proxied\":true}",
        compliance: &["NIST-800-53r5:CM-6", "NIST-800-53r5:SC-7"],
        prowler: None,
        eval: Eval::Account(hostname_routed),
    },
    Check {
        id: "tunnel_healthy",
        title: "Tunnels that carry traffic are healthy",
        severity: Severity::Medium,
        resource_type: "tunnel",
        sections: &["tunnels", "tunnel_connections"],
        description: "Reads each tunnel's `status`. Passes for `healthy`; fails for `degraded` and \
            `down`; for `inactive`, fails when a DNS record of the snapshot routes to the tunnel \
            (those hostnames are dead) and passes otherwise. Deleted tunnels are skipped.",
        risk: "A degraded tunnel has lost connections (no redundancy left); a down or inactive tunnel \
            that DNS still routes to serves errors for its hostnames.",
        remediation: "Restart or redeploy the tunnel's connectors (run at least two cloudflared \
            replicas); remove DNS routes to tunnels that are retired.",
        terraform: "# connectors are run outside Terraform (cloudflared); DNS routes to a retired tunnel:\n# remove the cloudflare_dns_record resources pointing at {resource_id}.cfargotunnel.com",
        api: "GET /accounts/{account_id}/cfd_tunnel/{resource_id}/connections (to see which connectors are missing)",
        compliance: &["NIST-800-53r5:SI-4", "NIST-800-53r5:SC-5"],
        prowler: None,
        eval: Eval::Account(healthy),
    },
    Check {
        id: "tunnel_origin_tls_verified",
        title: "Tunnels verify their origins' TLS certificates",
        severity: Severity::Medium,
        resource_type: "tunnel",
        sections: &["tunnels", "tunnel_configuration"],
        description: "For every tunnel with a remote configuration: fails when an ingress rule with an \
            `https://` service has `originRequest.noTLSVerify` true (set on the rule, or inherited \
            from the configuration's top-level `originRequest`); passes otherwise.",
        risk: "With noTLSVerify, cloudflared accepts any certificate from the origin: anyone who can \
            reach the path between connector and origin can impersonate the service and read its traffic.",
        remediation: "Give the origin a certificate cloudflared can validate (set `originServerName` \
            and `caPool` for a private CA) and remove noTLSVerify.",
        terraform: TF_CONFIG,
        api: "PUT /accounts/{account_id}/cfd_tunnel/{resource_id}/configurations {\"config\":{\"ingress\":[{\"hostname\":\"...\",\"service\":\"https://...\",\"originRequest\":{\"noTLSVerify\":false,\"originServerName\":\"...\"}}, ..., {\"service\":\"http_status:404\"}]}}",
        compliance: &["PCI-DSS-4.0.1:4.2.1", "ASVS-4.0.3:9.2.1", "ASVS-5.0.0:12.3.2", "NIST-800-53r5:SC-8", "NIST-800-53r5:SC-23"],
        prowler: None,
        eval: Eval::Account(origin_tls_verified),
    },
    Check {
        id: "tunnel_connector_config_current",
        title: "Tunnel connectors run the current configuration",
        severity: Severity::Low,
        resource_type: "tunnel",
        sections: &["tunnels", "tunnel_configuration", "tunnel_connections"],
        description: "For every tunnel with a remote configuration and connectors: fails when a \
            connector's `config_version` is below the configuration's `version`, naming the connector; \
            passes otherwise.",
        risk: "A connector on an older configuration version did not apply the latest change (often \
            because cloudflared rejected it, e.g. a missing catch-all, or is too old): it serves \
            routes the dashboard no longer shows.",
        remediation: "Check the connector's logs for the rejected configuration, fix it, and restart or \
            upgrade the connector.",
        terraform: TF_CONFIG,
        api: "GET /accounts/{account_id}/cfd_tunnel/{resource_id}/configurations (compare with the connector's config_version)",
        compliance: &["NIST-800-53r5:CM-2", "NIST-800-53r5:CM-6"],
        prowler: None,
        eval: Eval::Account(connector_config_current),
    },
    Check {
        id: "tunnel_connector_version_current",
        title: "Tunnel connectors run a cloudflared release less than a year old",
        severity: Severity::Low,
        resource_type: "tunnel",
        sections: &["tunnels", "tunnel_connections"],
        description: "cloudflared versions are `YEAR.MONTH.PATCH`. For every tunnel's connectors, \
            compares the release month with the snapshot's `taken_at` (not the clock): fails when a \
            connector is more than 12 months older; passes otherwise. Unparseable versions are UNKNOWN.",
        risk: "Cloudflare supports cloudflared releases for about a year; older connectors miss \
            security fixes and may stop connecting when the edge drops old protocol versions.",
        remediation: "Upgrade cloudflared on the connector hosts (package manager, container image or \
            `cloudflared update`).",
        terraform: "# cloudflared runs outside Terraform: upgrade the package or image on the connector hosts",
        api: "GET /accounts/{account_id}/cfd_tunnel/{resource_id}/connections (each connector's version)",
        compliance: &["PCI-DSS-4.0.1:6.3.3", "NIST-800-53r5:SI-2"],
        prowler: None,
        eval: Eval::Account(connector_version_current),
    },
];

fn live<'a>(ctx: &AccountContext<'a>) -> impl Iterator<Item = &'a TunnelSnapshot> {
    ctx.account
        .tunnels
        .iter()
        .filter(|t| !t.tunnel.is_deleted())
}

fn name(t: &TunnelSnapshot) -> String {
    t.tunnel
        .name
        .get()
        .cloned()
        .unwrap_or_else(|| t.tunnel.id.clone())
}

/// The tunnel's remote ingress rules; `Err` is why the snapshot cannot show them.
fn remote_ingress(t: &TunnelSnapshot) -> Result<&[IngressRule], String> {
    match &t.configuration {
        Some(c) => c
            .config
            .get()
            .and_then(|c| c.ingress.get())
            .map(Vec::as_slice)
            .ok_or_else(|| {
                format!(
                    "the configuration of tunnel {} has no ingress rules",
                    name(t)
                )
            }),
        None => {
            let local = t.tunnel.extra.get("config_src").and_then(Value::as_str) == Some("local")
                || t.tunnel.extra.get("remote_config").and_then(Value::as_bool) == Some(false);
            Err(if local {
                format!(
                    "tunnel {} is configured locally: its ingress rules are in cloudflared's config file, not in the snapshot",
                    name(t)
                )
            } else {
                format!(
                    "the snapshot has no remote configuration for tunnel {}",
                    name(t)
                )
            })
        }
    }
}

/// DNS records (by name) that CNAME to each tunnel, keyed by lowercase tunnel id.
fn routes<'a>(ctx: &AccountContext<'a>) -> HashMap<String, Vec<&'a str>> {
    let mut map: HashMap<String, Vec<&'a str>> = HashMap::new();
    for zone in &ctx.snapshot.zones {
        for r in &zone.dns_records {
            if r.record_type != RecordType::Cname {
                continue;
            }
            if let Some(id) = tunnel_target(r.content_str()) {
                map.entry(id).or_default().push(r.name.as_str());
            }
        }
    }
    map
}

/// The tunnel id of a `<uuid>.cfargotunnel.com` target.
fn tunnel_target(content: &str) -> Option<String> {
    let c = content.trim_end_matches('.').to_ascii_lowercase();
    c.strip_suffix(".cfargotunnel.com")
        .filter(|id| !id.is_empty() && !id.contains('.'))
        .map(str::to_owned)
}

fn catch_all(ctx: &AccountContext<'_>, out: &mut Evaluation) {
    for t in live(ctx) {
        let resource = ctx.tunnel_resource(t);
        match remote_ingress(t) {
            Err(why) => out.unknown(resource, why),
            Ok([]) => out.fail(
                resource,
                format!(
                    "tunnel {} has an empty ingress list, so no catch-all",
                    name(t)
                ),
            ),
            Ok(rules) => {
                let last = &rules[rules.len() - 1];
                if last.is_catch_all() {
                    out.pass(
                        resource,
                        format!(
                            "tunnel {}: the last of {} ingress rules is a catch-all (service {})",
                            name(t),
                            rules.len(),
                            last.service.as_deref().unwrap_or("none")
                        ),
                    )
                } else {
                    out.fail(
                        resource,
                        format!(
                            "tunnel {}: the last of {} ingress rules matches hostname {}{} (service {}), not every request",
                            name(t),
                            rules.len(),
                            last.hostname.as_deref().unwrap_or("*"),
                            last.path
                                .as_deref()
                                .map(|p| format!(" path {p}"))
                                .unwrap_or_default(),
                            last.service.as_deref().unwrap_or("none")
                        ),
                    )
                }
            }
        }
    }
}

fn hostname_resource(ctx: &AccountContext<'_>, t: &TunnelSnapshot, host: &str) -> Resource {
    let mut r = ctx.tunnel_resource(t);
    r.name = format!("{}: {host}", r.name).into();
    r
}

fn hostname_routed(ctx: &AccountContext<'_>, out: &mut Evaluation) {
    for t in live(ctx) {
        let rules = match remote_ingress(t) {
            Ok(rules) => rules,
            Err(why) => {
                out.unknown(ctx.tunnel_resource(t), why);
                continue;
            }
        };
        let target = format!("{}.cfargotunnel.com", t.tunnel.id.to_ascii_lowercase());
        for host in rules
            .iter()
            .filter_map(|r| r.hostname.as_deref())
            .filter(|h| !h.is_empty() && *h != "*")
        {
            let resource = hostname_resource(ctx, t, host);
            let key = host.trim_end_matches('.').to_ascii_lowercase();
            let wildcard = key.split_once('.').map(|(_, parent)| format!("*.{parent}"));
            let records: Vec<_> = std::iter::once(key.as_str())
                .chain(wildcard.as_deref())
                .flat_map(|n| ctx.index.records_named(n))
                .collect();
            let to_us = records.iter().find(|(_, r)| {
                r.record_type == RecordType::Cname
                    && r.content_str().trim_end_matches('.').to_ascii_lowercase() == target
            });
            if let Some((_, r)) = to_us {
                out.pass(
                    resource,
                    format!(
                        "{host}: {} CNAME {target}{}",
                        r.name,
                        if r.is_proxied() { " (proxied)" } else { "" }
                    ),
                );
                continue;
            }
            if !records.is_empty() {
                out.fail(
                    resource,
                    format!(
                        "{host} is in tunnel {}'s ingress, but its DNS record(s) point elsewhere: {}",
                        name(t),
                        records
                            .iter()
                            .map(|(_, r)| format!("{} {} {}", r.name, r.record_type, r.content_str()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                continue;
            }
            let zone = ctx
                .snapshot
                .zones
                .iter()
                .filter(|z| {
                    let zn = z.zone.name.to_ascii_lowercase();
                    key == zn || key.ends_with(&format!(".{zn}"))
                })
                .max_by_key(|z| z.zone.name.len());
            match zone {
                None => out.unknown(
                    resource,
                    format!(
                        "{host} is in tunnel {}'s ingress, but no zone of the snapshot covers it",
                        name(t)
                    ),
                ),
                Some(z) => {
                    let gap = ctx.snapshot.gaps.iter().find(|g| {
                        g.section == "dns_records" && g.zone.as_deref() == Some(&z.zone.name)
                    });
                    match gap {
                        Some(g) => out.unknown(
                            resource,
                            format!(
                                "{host}: the DNS records of {} could not be read ({})",
                                z.zone.name, g.reason
                            ),
                        ),
                        None => out.fail(
                            resource,
                            format!(
                                "{host} is in tunnel {}'s ingress, but zone {} has no DNS record for it (expected CNAME {target})",
                                name(t),
                                z.zone.name
                            ),
                        ),
                    }
                }
            }
        }
    }
}

fn healthy(ctx: &AccountContext<'_>, out: &mut Evaluation) {
    let routes = routes(ctx);
    for t in live(ctx) {
        let resource = ctx.tunnel_resource(t);
        let routed = routes
            .get(&t.tunnel.id.to_ascii_lowercase())
            .map_or(&[][..], Vec::as_slice);
        let conns: Vec<_> = t
            .connections
            .iter()
            .flat_map(|c| c.conns.get().map_or(&[][..], Vec::as_slice))
            .collect();
        let pending = conns
            .iter()
            .filter(|c| c.is_pending_reconnect.copied() == Some(true))
            .count();
        let detail = format!(
            "{} connector(s), {} connection(s){}",
            t.connections.len(),
            conns.len(),
            if pending > 0 {
                format!(", {pending} pending reconnect")
            } else {
                String::new()
            }
        );
        match t.tunnel.status.get() {
            Some(TunnelStatus::Healthy) => out.pass(
                resource,
                format!("tunnel {} is healthy ({detail})", name(t)),
            ),
            Some(status @ (TunnelStatus::Degraded | TunnelStatus::Down)) => out.fail(
                resource,
                format!("tunnel {} is {status} ({detail})", name(t)),
            ),
            Some(TunnelStatus::Inactive) if !routed.is_empty() => out.fail(
                resource,
                format!(
                    "tunnel {} is inactive but DNS routes to it: {}",
                    name(t),
                    routed.join(", ")
                ),
            ),
            Some(TunnelStatus::Inactive) => out.pass(
                resource,
                format!(
                    "tunnel {} is inactive and no DNS record of the snapshot routes to it",
                    name(t)
                ),
            ),
            Some(TunnelStatus::Other(other)) => out.unknown(
                resource,
                format!(
                    "tunnel {} has status {other:?}, which cfcp does not recognise",
                    name(t)
                ),
            ),
            None => out.unknown(resource, format!("tunnel {} has no status", name(t))),
        }
    }
}

fn origin_tls_verified(ctx: &AccountContext<'_>, out: &mut Evaluation) {
    for t in live(ctx) {
        let resource = ctx.tunnel_resource(t);
        let rules = match remote_ingress(t) {
            Ok(rules) => rules,
            Err(why) => {
                out.unknown(resource, why);
                continue;
            }
        };
        let no_verify = |v: Option<&Value>| {
            v.and_then(|o| o.get("noTLSVerify"))
                .and_then(Value::as_bool)
        };
        let top = no_verify(
            t.configuration
                .as_ref()
                .and_then(|c| c.config.get())
                .and_then(|c| c.extra.get("originRequest")),
        )
        .unwrap_or(false);
        let mut https = 0;
        let mut unverified = Vec::new();
        for rule in rules {
            let service = rule.service.as_deref().unwrap_or("");
            if !service.to_ascii_lowercase().starts_with("https://") {
                continue;
            }
            https += 1;
            let own = no_verify(rule.extra.get("originRequest"));
            if own.unwrap_or(top) {
                unverified.push(format!(
                    "{} → {service}{}",
                    rule.hostname.as_deref().unwrap_or("*"),
                    if own.is_none() {
                        " (inherited from the top-level originRequest)"
                    } else {
                        ""
                    }
                ));
            }
        }
        if unverified.is_empty() {
            out.pass(
                resource,
                format!(
                    "tunnel {}: {https} https origin(s), none with noTLSVerify",
                    name(t)
                ),
            )
        } else {
            out.fail(
                resource,
                format!(
                    "tunnel {} does not verify the origin certificate (noTLSVerify) for: {}",
                    name(t),
                    unverified.join(", ")
                ),
            )
        }
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn connector_config_current(ctx: &AccountContext<'_>, out: &mut Evaluation) {
    for t in live(ctx) {
        let Some(version) = t.configuration.as_ref().and_then(|c| c.version.copied()) else {
            continue;
        };
        if t.connections.is_empty() {
            continue;
        }
        let resource = ctx.tunnel_resource(t);
        let mut stale = Vec::new();
        let mut unknown = 0;
        for c in &t.connections {
            match c.extra.get("config_version").and_then(Value::as_i64) {
                Some(v) if v < version => stale.push(format!(
                    "connector {} at config_version {v}",
                    short(c.id.as_deref().unwrap_or("?"))
                )),
                Some(_) => {}
                None => unknown += 1,
            }
        }
        if !stale.is_empty() {
            out.fail(
                resource,
                format!(
                    "tunnel {} configuration is at version {version}, but {}",
                    name(t),
                    stale.join(", ")
                ),
            )
        } else if unknown == t.connections.len() {
            out.unknown(
                resource,
                format!("tunnel {}: no connector reports a config_version", name(t)),
            )
        } else {
            out.pass(
                resource,
                format!(
                    "tunnel {}: all connectors run configuration version {version}",
                    name(t)
                ),
            )
        }
    }
}

/// `(year, month)` of a cloudflared version `YYYY.M.P`.
fn release_month(version: &str) -> Option<(i32, u8)> {
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    ((2017..=9999).contains(&year) && (1..=12).contains(&month)).then_some((year, month))
}

fn connector_version_current(ctx: &AccountContext<'_>, out: &mut Evaluation) {
    let taken = ctx.snapshot.taken_at.to_datetime();
    let now = i64::from(taken.year()) * 12 + i64::from(u8::from(taken.month()));
    for t in live(ctx) {
        // Connector versions: the connections endpoint; older snapshots only have the tunnel's
        // own `connections[].client_version`.
        let mut versions: Vec<(String, String)> = t
            .connections
            .iter()
            .filter_map(|c| {
                let v = c.extra.get("version").and_then(Value::as_str)?;
                Some((
                    short(c.id.as_deref().unwrap_or("?")).to_owned(),
                    v.to_owned(),
                ))
            })
            .collect();
        if versions.is_empty() {
            if let Some(conns) = t.tunnel.extra.get("connections").and_then(Value::as_array) {
                for c in conns {
                    if let Some(v) = c.get("client_version").and_then(Value::as_str) {
                        let id = c.get("client_id").and_then(Value::as_str).unwrap_or("?");
                        let id = short(id).to_owned();
                        if !versions.contains(&(id.clone(), v.to_owned())) {
                            versions.push((id, v.to_owned()));
                        }
                    }
                }
            }
        }
        if versions.is_empty() {
            continue;
        }
        let resource = ctx.tunnel_resource(t);
        let mut old = Vec::new();
        let mut unparsed = Vec::new();
        for (id, v) in &versions {
            match release_month(v) {
                Some((y, m)) => {
                    let age = now - (i64::from(y) * 12 + i64::from(m));
                    if age > 12 {
                        old.push(format!("connector {id} runs {v} ({age} months old)"));
                    }
                }
                None => unparsed.push(format!("connector {id} reports version {v:?}")),
            }
        }
        let at = ctx.snapshot.taken_at.as_str();
        if !old.is_empty() {
            out.fail(
                resource,
                format!("tunnel {} at {at}: {}", name(t), old.join(", ")),
            )
        } else if !unparsed.is_empty() {
            out.unknown(
                resource,
                format!("tunnel {}: cannot date {}", name(t), unparsed.join(", ")),
            )
        } else {
            let mut list: Vec<&str> = versions.iter().map(|(_, v)| v.as_str()).collect();
            list.dedup();
            out.pass(
                resource,
                format!(
                    "tunnel {}: connectors run {} (within 12 months of {at})",
                    name(t),
                    list.join(", ")
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::zone_settings::test_support::*;
    use super::*;
    use crate::invariants::Status;
    use crate::snapshot::{Field, Snapshot};

    const SHOP_TUNNEL: &str = "acme-prod-shop";
    const TOOLS_TUNNEL: &str = "acme-internal-tools";

    fn tunnel_mut<'a>(s: &'a mut Snapshot, name: &str) -> &'a mut TunnelSnapshot {
        s.accounts
            .iter_mut()
            .flat_map(|a| a.tunnels.iter_mut())
            .find(|t| t.tunnel.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no tunnel {name}"))
    }

    fn ingress_mut<'a>(s: &'a mut Snapshot, name: &str) -> &'a mut Vec<IngressRule> {
        tunnel_mut(s, name)
            .configuration
            .as_mut()
            .and_then(|c| c.config.get_mut())
            .and_then(|c| c.ingress.get_mut())
            .unwrap_or_else(|| panic!("no ingress"))
    }

    #[test]
    fn catch_all() {
        let id = "tunnel_ingress_has_catch_all";
        expect(
            &demo(),
            id,
            SHOP_TUNNEL,
            Status::Pass,
            "service http_status:404",
        );
        expect(
            &demo(),
            id,
            TOOLS_TUNNEL,
            Status::Fail,
            "matches hostname reports.acme-api.io (service http://10.20.0.42:8000)",
        );
        // Deleted tunnels are skipped.
        assert!(on(&demo(), id, "acme-legacy-app").is_empty());
        let mut s = demo();
        tunnel_mut(&mut s, SHOP_TUNNEL).configuration = None;
        tunnel_mut(&mut s, SHOP_TUNNEL)
            .tunnel
            .extra
            .insert("config_src".into(), json!("local"));
        expect(&s, id, SHOP_TUNNEL, Status::Unknown, "configured locally");
        let mut s = demo();
        ingress_mut(&mut s, SHOP_TUNNEL).clear();
        expect(&s, id, SHOP_TUNNEL, Status::Fail, "empty ingress list");
    }

    #[test]
    fn hostname_routed() {
        let id = "tunnel_ingress_hostname_routed";
        expect(
            &demo(),
            id,
            "acme-prod-shop: app.acme-shop.com",
            Status::Pass,
            "CNAME 62d41457-d239-44d4-915c-ead8d787ab3f.cfargotunnel.com (proxied)",
        );
        expect(
            &demo(),
            id,
            "acme-internal-tools: reports.acme-api.io",
            Status::Fail,
            "zone acme-api.io has no DNS record for it",
        );
        let mut s = demo();
        ingress_mut(&mut s, SHOP_TUNNEL)[0].hostname = Field::Value("app.elsewhere.org".into());
        expect(
            &s,
            id,
            "acme-prod-shop: app.elsewhere.org",
            Status::Unknown,
            "no zone of the snapshot covers it",
        );
        // A record that points somewhere else.
        let mut s = demo();
        ingress_mut(&mut s, SHOP_TUNNEL)[0].hostname = Field::Value("acme-shop.com".into());
        expect(
            &s,
            id,
            "acme-prod-shop: acme-shop.com",
            Status::Fail,
            "point elsewhere",
        );
        // A dns_records gap makes it UNKNOWN.
        let mut s = demo();
        s.gaps.push(crate::snapshot::Gap {
            zone: Some(API.into()),
            account: None,
            section: "dns_records".into(),
            reason: "403 Forbidden".into(),
        });
        expect(
            &s,
            id,
            "acme-internal-tools: reports.acme-api.io",
            Status::Unknown,
            "403",
        );
    }

    #[test]
    fn healthy() {
        let id = "tunnel_healthy";
        expect(
            &demo(),
            id,
            SHOP_TUNNEL,
            Status::Pass,
            "healthy (2 connector(s), 8 connection(s))",
        );
        expect(
            &demo(),
            id,
            TOOLS_TUNNEL,
            Status::Fail,
            "degraded (1 connector(s), 2 connection(s), 1 pending reconnect)",
        );
        let mut s = demo();
        tunnel_mut(&mut s, SHOP_TUNNEL).tunnel.status = Field::Value(TunnelStatus::Inactive);
        expect(
            &s,
            id,
            SHOP_TUNNEL,
            Status::Fail,
            "inactive but DNS routes to it: app.acme-shop.com",
        );
        let mut s = demo();
        let t = tunnel_mut(&mut s, SHOP_TUNNEL);
        t.tunnel.id = "00000000-0000-0000-0000-000000000000".into();
        t.tunnel.status = Field::Value(TunnelStatus::Inactive);
        expect(&s, id, SHOP_TUNNEL, Status::Pass, "no DNS record");
        tunnel_mut(&mut s, SHOP_TUNNEL).tunnel.status = Field::Value("hibernating".into());
        expect(&s, id, SHOP_TUNNEL, Status::Unknown, "hibernating");
    }

    #[test]
    fn origin_tls_verified() {
        let id = "tunnel_origin_tls_verified";
        expect(
            &demo(),
            id,
            SHOP_TUNNEL,
            Status::Fail,
            "grafana.acme-shop.com → https://10.0.1.30:3000",
        );
        expect(&demo(), id, TOOLS_TUNNEL, Status::Pass, "0 https origin(s)");
        let mut s = demo();
        ingress_mut(&mut s, SHOP_TUNNEL)[2]
            .extra
            .remove("originRequest");
        expect(&s, id, SHOP_TUNNEL, Status::Pass, "1 https origin(s), none");
        // Inherited from the top-level originRequest.
        if let Some(c) = tunnel_mut(&mut s, SHOP_TUNNEL)
            .configuration
            .as_mut()
            .and_then(|c| c.config.get_mut())
        {
            c.extra
                .insert("originRequest".into(), json!({"noTLSVerify": true}));
        }
        expect(&s, id, SHOP_TUNNEL, Status::Fail, "inherited");
    }

    #[test]
    fn connector_config_current() {
        let id = "tunnel_connector_config_current";
        expect(
            &demo(),
            id,
            TOOLS_TUNNEL,
            Status::Fail,
            "version 3, but connector 4a4abeae at config_version 2",
        );
        expect(&demo(), id, SHOP_TUNNEL, Status::Pass, "version 7");
    }

    #[test]
    fn connector_version_current() {
        let id = "tunnel_connector_version_current";
        // taken_at 2026-11-01: 2024.2.1 is 33 months old, 2026.10.0 is one.
        expect(
            &demo(),
            id,
            TOOLS_TUNNEL,
            Status::Fail,
            "runs 2024.2.1 (33 months old)",
        );
        let mut s = demo();
        expect(&s, id, SHOP_TUNNEL, Status::Pass, "2026.10.0");
        for c in &mut tunnel_mut(&mut s, SHOP_TUNNEL).connections {
            c.extra.insert("version".into(), json!("DEV"));
        }
        expect(&s, id, SHOP_TUNNEL, Status::Unknown, "\"DEV\"");
        // Fallback to the tunnel's connections[].client_version.
        let mut s = demo();
        tunnel_mut(&mut s, TOOLS_TUNNEL).connections.clear();
        expect(
            &s,
            id,
            TOOLS_TUNNEL,
            Status::Fail,
            "connector 4a4abeae runs 2024.2.1",
        );
        assert_eq!(release_month("2024.2.1"), Some((2024, 2)));
        assert_eq!(release_month("garbage"), None);
        assert_eq!(release_month("2024.13.0"), None);
    }

    #[test]
    fn a_tunnels_gap_makes_tunnel_checks_unknown() {
        let mut s = demo();
        let account = s.accounts[0].account.id.clone();
        s.gaps.push(crate::snapshot::Gap {
            zone: None,
            account: Some(account.clone()),
            section: "tunnels".into(),
            reason: "403 Forbidden".into(),
        });
        s.accounts[0].tunnels.clear();
        for id in [
            "tunnel_ingress_has_catch_all",
            "tunnel_ingress_hostname_routed",
            "tunnel_healthy",
            "tunnel_origin_tls_verified",
            "tunnel_connector_config_current",
            "tunnel_connector_version_current",
        ] {
            expect(&s, id, &account, Status::Unknown, "403");
        }
    }
}
