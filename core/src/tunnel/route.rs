//! [`plan_route`] and [`plan_unroute`]: a public hostname added to (or removed from) a tunnel's
//! ingress, with its proxied CNAME, as API operations in a safe order; [`route`] asks Layer0.

use serde_json::{json, Value};

use super::ingress::{normalise_host, rule_key, validate_ingress, DEFAULT_CATCH_ALL};
use super::service::{check_service, is_dns_name, ACCEPTED_FORMS};
use super::{Located, TunnelPlan};
use crate::error::{Error, Result};
use crate::layer0::{
    Classification, Context, Evidence, Flag, Intent, Layer0, Request, RequestKind,
};
use crate::plan::{Effect, Operation, Routing};
use crate::snapshot::{
    DnsRecord, Field, IngressRule, Snapshot, TunnelConfig, TunnelSnapshot, ZoneSnapshot,
};

/// What `cfcp tunnel route` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteRequest {
    /// The tunnel's name or UUID.
    pub tunnel: String,
    /// The public hostname (`app.example.com`, or `*.example.com`).
    pub hostname: String,
    /// The origin service (`http://localhost:8080`, see [`ACCEPTED_FORMS`]).
    pub service: String,
    /// A path regex the rule also matches on.
    pub path: Option<String>,
    /// Delete A/AAAA records of the hostname so the CNAME can be created (otherwise refused).
    pub replace_address_records: bool,
}

/// What `cfcp tunnel unroute` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnrouteRequest {
    /// The tunnel's name or UUID.
    pub tunnel: String,
    /// The public hostname.
    pub hostname: String,
    /// The rule's path regex, when it has one.
    pub path: Option<String>,
}

pub(crate) fn invalid(what: &'static str, path: &str, message: String) -> Error {
    Error::InvalidDocument {
        document: what,
        path: path.to_owned(),
        line: 0,
        column: 0,
        message,
    }
}

/// The CNAME target of a tunnel.
///
/// ```
/// assert_eq!(cfcp::tunnel::cname_target("62d4"), "62d4.cfargotunnel.com");
/// ```
pub fn cname_target(tunnel_id: &str) -> String {
    format!("{}.cfargotunnel.com", tunnel_id.to_ascii_lowercase())
}

/// The tunnel named (or with the UUID) `name_or_id`; deleted tunnels are refused.
pub(crate) fn find_tunnel<'a>(
    snapshot: &'a Snapshot,
    name_or_id: &str,
    what: &'static str,
) -> Result<Located<'a>> {
    let mut found = Vec::new();
    for account in &snapshot.accounts {
        for t in &account.tunnels {
            if t.tunnel.id.eq_ignore_ascii_case(name_or_id)
                || t.tunnel.name.as_deref() == Some(name_or_id)
            {
                found.push(Located {
                    account_id: &account.account.id,
                    tunnel: t,
                });
            }
        }
    }
    let live: Vec<&Located<'_>> = found
        .iter()
        .filter(|l| !l.tunnel.tunnel.is_deleted())
        .collect();
    match (live.len(), found.len()) {
        (1, _) => Ok(*live[0]),
        (0, 0) => {
            let known: Vec<String> = snapshot
                .accounts
                .iter()
                .flat_map(|a| &a.tunnels)
                .filter(|t| !t.tunnel.is_deleted())
                .map(|t| format!("{} ({})", t.tunnel.name.as_deref().unwrap_or("unnamed"), t.tunnel.id))
                .collect();
            Err(invalid(
                what,
                "tunnel",
                format!(
                    "no tunnel named or with id {name_or_id:?}; known tunnels: {}",
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                ),
            ))
        }
        (0, _) => Err(invalid(
            what,
            "tunnel",
            format!("tunnel {name_or_id:?} is deleted: create a new tunnel (cloudflared tunnel create) and route to it"),
        )),
        _ => Err(invalid(
            what,
            "tunnel",
            format!(
                "{} tunnels are named {name_or_id:?}: give the UUID instead ({})",
                live.len(),
                live.iter().map(|l| l.tunnel.tunnel.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The zone of the tunnel's account that holds `host` (the longest zone name that is a suffix).
pub(crate) fn zone_of<'a>(
    snapshot: &'a Snapshot,
    account_id: &str,
    host: &str,
) -> Option<&'a ZoneSnapshot> {
    let host = normalise_host(host);
    let bare = host.strip_prefix("*.").unwrap_or(&host).to_owned();
    snapshot
        .zones
        .iter()
        .filter(|z| {
            z.zone
                .account
                .get()
                .and_then(|a| a.id.get())
                .map_or(true, |a| a.eq_ignore_ascii_case(account_id))
        })
        .filter(|z| {
            let name = normalise_host(&z.zone.name);
            bare == name || bare.ends_with(&format!(".{name}"))
        })
        .max_by_key(|z| z.zone.name.len())
}

pub(crate) fn zone_not_found(snapshot: &Snapshot, account_id: &str, host: &str) -> String {
    let zones: Vec<&str> = snapshot
        .zones
        .iter()
        .filter(|z| {
            z.zone
                .account
                .get()
                .and_then(|a| a.id.get())
                .map_or(true, |a| a.eq_ignore_ascii_case(account_id))
        })
        .map(|z| z.zone.name.as_str())
        .collect();
    format!(
        "{host:?} is in no zone of the tunnel's account (zones: {}); add the zone to the account or pick a hostname inside one",
        if zones.is_empty() { "none".to_owned() } else { zones.join(", ") }
    )
}

/// Records of the zone with this name (normalised).
fn records_named<'a>(zone: &'a ZoneSnapshot, host: &str) -> Vec<&'a DnsRecord> {
    let host = normalise_host(host);
    zone.dns_records
        .iter()
        .filter(|r| normalise_host(&r.name) == host)
        .collect()
}

/// The tunnel's configuration with `ingress` in place of its own, as the `PUT` body wants it.
pub(crate) fn config_with(tunnel: &TunnelSnapshot, ingress: Vec<IngressRule>) -> TunnelConfig {
    let mut config = tunnel
        .configuration
        .as_ref()
        .and_then(|c| c.config.get().cloned())
        .unwrap_or(TunnelConfig {
            ingress: Field::Absent,
            extra: Default::default(),
        });
    config.ingress = Field::Value(ingress);
    config
}

fn put_config(located: &Located<'_>, config: &TunnelConfig, summary: String) -> Operation {
    let id = &located.tunnel.tunnel.id;
    Operation {
        method: "PUT".into(),
        path: format!(
            "/accounts/{}/cfd_tunnel/{id}/configurations",
            located.account_id
        ),
        body: Some(json!({ "config": config })),
        effect: Effect::PutTunnelConfig {
            tunnel_id: id.clone(),
        },
        summary,
    }
}

/// Whether `rule` matches every request a rule for `key` (host, path) would match.
fn shadows(rule: &IngressRule, key: &(String, String)) -> bool {
    let (host, path) = rule_key(rule);
    if !path.is_empty() || rule.is_catch_all() {
        return false;
    }
    host == key.0
        || host
            .strip_prefix('*')
            .is_some_and(|suffix| key.0.ends_with(suffix) && !key.0.starts_with('*'))
}

fn record_id(record: &DnsRecord) -> String {
    record.id.as_deref().unwrap_or_default().to_owned()
}

fn describe_path(path: &Option<String>) -> String {
    path.as_deref()
        .filter(|p| !p.is_empty())
        .map(|p| format!(" (path {p:?})"))
        .unwrap_or_default()
}

/// Plans routing `request.hostname` to `request.service` through the tunnel: the ingress rule
/// inserted before the catch-all (the whole list validated as cloudflared would), then the
/// proxied CNAME `<host>` → `<tunnel-id>.cfargotunnel.com` created, or repointed if a CNAME of
/// that name exists. The configuration goes first so the name never points at a tunnel that has
/// no route for it. A hostname that is already routed the same way plans nothing for the
/// ingress, so re-running after a partial apply finishes the job.
///
/// ```
/// use cfcp::tunnel::{plan_route, RouteRequest};
/// let snapshot = cfcp::snapshot::demo();
/// let plan = plan_route(&snapshot, &RouteRequest {
///     tunnel: "acme-prod-shop".into(), hostname: "blog.acme-shop.com".into(),
///     service: "http://localhost:2368".into(), ..RouteRequest::default() }).unwrap();
/// assert_eq!(plan.operations[0].method, "PUT");
/// assert_eq!(plan.operations[1].method, "POST");
/// let ingress = &plan.ingress;
/// assert_eq!(ingress[ingress.len() - 2].hostname.as_deref(), Some("blog.acme-shop.com"));
/// assert!(ingress.last().unwrap().is_catch_all());
/// ```
pub fn plan_route(snapshot: &Snapshot, request: &RouteRequest) -> Result<TunnelPlan> {
    const WHAT: &str = "tunnel route";
    let located = find_tunnel(snapshot, &request.tunnel, WHAT)?;
    let host = normalise_host(&request.hostname);
    if !is_dns_name(&host, true) {
        return Err(invalid(
            WHAT,
            "hostname",
            format!(
                "{:?} is not a DNS name (a leading \"*.\" is the only wildcard allowed)",
                request.hostname
            ),
        ));
    }
    check_service(&request.service).map_err(|m| {
        invalid(
            WHAT,
            "service",
            format!("{m}; accepted forms: {ACCEPTED_FORMS}"),
        )
    })?;
    let path = request.path.clone().filter(|p| !p.is_empty());
    if let Some(p) = &path {
        super::ingress::check_path(p).map_err(|m| invalid(WHAT, "path", m))?;
    }
    let zone = zone_of(snapshot, located.account_id, &host).ok_or_else(|| {
        invalid(
            WHAT,
            "hostname",
            zone_not_found(snapshot, located.account_id, &host),
        )
    })?;
    let tunnel = located.tunnel;
    let name = tunnel
        .tunnel
        .name
        .as_deref()
        .unwrap_or(&tunnel.tunnel.id)
        .to_owned();
    let mut plan = TunnelPlan::new("route", &located, Some(host.clone()), Some(zone));
    plan.path = path.clone();

    // Ingress.
    let mut ingress = tunnel.ingress().to_vec();
    let mut rule: IngressRule =
        serde_json::from_value(json!({"hostname": host, "service": request.service}))
            .map_err(|e| invalid(WHAT, "service", e.to_string()))?;
    if let Some(p) = &path {
        rule.path = Field::Value(p.clone());
    }
    let key = rule_key(&rule);
    match ingress.iter().position(|r| rule_key(r) == key) {
        Some(at) if ingress[at].service.as_deref() == Some(&request.service) => {
            plan.notes.push(format!(
                "{host}{} already routes to {} in tunnel {name}: the ingress is left as it is",
                describe_path(&path),
                request.service
            ));
        }
        Some(at) => {
            return Err(invalid(
                WHAT,
                "hostname",
                format!(
                    "{host}{} is already routed to {} by ingress rule #{} of tunnel {name}: unroute it first (cfcp tunnel unroute) or pick another hostname",
                    describe_path(&path),
                    ingress[at].service.as_deref().unwrap_or("?"),
                    at + 1
                ),
            ))
        }
        None => {
            if ingress.last().map_or(true, |r| !r.is_catch_all()) {
                let catch_all: IngressRule = serde_json::from_value(json!({"service": DEFAULT_CATCH_ALL}))
                    .map_err(|e| invalid(WHAT, "ingress", e.to_string()))?;
                ingress.push(catch_all);
                plan.notes.push(format!(
                    "tunnel {name} had no catch-all rule: one answering {DEFAULT_CATCH_ALL} is added last, as cloudflared requires"
                ));
            }
            // First match wins in cloudflared: the rule goes before the catch-all and before
            // any broader rule that would match its requests first.
            let at = ingress
                .iter()
                .position(|r| shadows(r, &key))
                .unwrap_or(ingress.len() - 1);
            ingress.insert(at, rule);
            validate_ingress(&ingress).map_err(|e| {
                invalid(WHAT, "ingress", format!("the tunnel's ingress would be invalid: {e}"))
            })?;
            let config = config_with(tunnel, ingress.clone());
            plan.operations.push(put_config(
                &located,
                &config,
                format!("route {host}{} to {} in tunnel {name}", describe_path(&path), request.service),
            ));
        }
    }
    plan.ingress = ingress;

    // DNS: the proxied CNAME.
    let target = cname_target(&tunnel.tunnel.id);
    let zone_id = &zone.zone.id;
    let existing = records_named(zone, &host);
    let addresses: Vec<&&DnsRecord> = existing
        .iter()
        .filter(|r| matches!(r.record_type.as_str(), "A" | "AAAA"))
        .collect();
    if !addresses.is_empty() {
        if !request.replace_address_records {
            return Err(invalid(
                WHAT,
                "hostname",
                format!(
                    "{host} has {} A/AAAA record(s) ({}): a CNAME cannot sit beside them; pass --replace-address-records to delete them (needs approval), or pick another hostname",
                    addresses.len(),
                    addresses.iter().map(|r| r.content_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        for r in &addresses {
            plan.destructive = true;
            plan.operations.push(Operation {
                method: "DELETE".into(),
                path: format!("/zones/{zone_id}/dns_records/{}", record_id(r)),
                body: None,
                effect: Effect::DeleteRecord {
                    record_id: record_id(r),
                },
                summary: format!(
                    "delete {} {host} → {} (replaced by the tunnel CNAME)",
                    r.record_type.as_str(),
                    r.content_str()
                ),
            });
        }
    }
    match existing.iter().find(|r| r.record_type.as_str() == "CNAME") {
        Some(r) if normalise_host(r.content_str()) == target && r.is_proxied() => {
            plan.notes.push(format!("{host} already points at {target}, proxied"));
        }
        Some(r) => {
            if normalise_host(r.content_str()) != target {
                plan.notes.push(format!("the CNAME {host} pointed at {}", r.content_str()));
            }
            plan.operations.push(Operation {
                method: "PATCH".into(),
                path: format!("/zones/{zone_id}/dns_records/{}", record_id(r)),
                body: Some(json!({"type": "CNAME", "name": host, "content": target, "proxied": true})),
                effect: Effect::PatchRecord {
                    record_id: record_id(r),
                },
                summary: format!("point CNAME {host} at {target} (proxied)"),
            });
        }
        None => plan.operations.push(Operation {
            method: "POST".into(),
            path: format!("/zones/{zone_id}/dns_records"),
            body: Some(json!({"type": "CNAME", "name": host, "content": target, "proxied": true, "ttl": 1})),
            effect: Effect::CreateRecord,
            summary: format!("create CNAME {host} → {target} (proxied)"),
        }),
    }
    Ok(plan)
}

/// Plans the inverse of [`plan_route`]: the ingress rule removed and then (first, in the
/// operations: the name must stop pointing at the tunnel before the route goes) the CNAME
/// deleted, but only when it points at this tunnel and no other rule of the tunnel still routes
/// the hostname.
///
/// ```
/// use cfcp::tunnel::{plan_unroute, UnrouteRequest};
/// let snapshot = cfcp::snapshot::demo();
/// let plan = plan_unroute(&snapshot, &UnrouteRequest { tunnel: "acme-prod-shop".into(),
///     hostname: "app.acme-shop.com".into(), path: None }).unwrap();
/// assert_eq!(plan.operations[0].method, "DELETE");
/// assert_eq!(plan.operations[1].method, "PUT");
/// assert!(plan.ingress.iter().all(|r| r.hostname.as_deref() != Some("app.acme-shop.com")));
/// ```
pub fn plan_unroute(snapshot: &Snapshot, request: &UnrouteRequest) -> Result<TunnelPlan> {
    const WHAT: &str = "tunnel unroute";
    let located = find_tunnel(snapshot, &request.tunnel, WHAT)?;
    let tunnel = located.tunnel;
    let name = tunnel
        .tunnel
        .name
        .as_deref()
        .unwrap_or(&tunnel.tunnel.id)
        .to_owned();
    let host = normalise_host(&request.hostname);
    let path = request.path.clone().filter(|p| !p.is_empty());
    let key = (host.clone(), path.clone().unwrap_or_default());
    let mut ingress = tunnel.ingress().to_vec();
    let zone = zone_of(snapshot, located.account_id, &host);
    let mut plan = TunnelPlan::new("unroute", &located, Some(host.clone()), zone);
    plan.path = path.clone();
    plan.destructive = true;
    let Some(at) = ingress
        .iter()
        .position(|r| !r.is_catch_all() && rule_key(r) == key)
    else {
        let routed: Vec<String> = ingress
            .iter()
            .filter(|r| !r.is_catch_all())
            .map(|r| {
                let (h, p) = rule_key(r);
                if p.is_empty() {
                    h
                } else {
                    format!("{h} (path {p:?})")
                }
            })
            .collect();
        return Err(invalid(
            WHAT,
            "hostname",
            format!(
                "tunnel {name} has no ingress rule for {host}{}; it routes: {}",
                describe_path(&path),
                if routed.is_empty() {
                    "nothing".to_owned()
                } else {
                    routed.join(", ")
                }
            ),
        ));
    };
    let removed = ingress.remove(at);
    validate_ingress(&ingress).map_err(|e| {
        invalid(
            WHAT,
            "ingress",
            format!("the tunnel's ingress would be invalid: {e}"),
        )
    })?;
    let still_routed = ingress.iter().any(|r| rule_key(r).0 == host);
    let target = cname_target(&tunnel.tunnel.id);
    match zone {
        None => plan.notes.push(format!(
            "{host} is in no zone of the snapshot: no DNS record is touched"
        )),
        Some(z) => {
            let cname = records_named(z, &host)
                .into_iter()
                .find(|r| r.record_type.as_str() == "CNAME");
            match cname {
                Some(_) if still_routed => plan.notes.push(format!(
                    "the CNAME {host} stays: another rule of tunnel {name} still routes the hostname"
                )),
                Some(r) if normalise_host(r.content_str()) == target => plan.operations.push(Operation {
                    method: "DELETE".into(),
                    path: format!("/zones/{}/dns_records/{}", z.zone.id, record_id(r)),
                    body: None,
                    effect: Effect::DeleteRecord { record_id: record_id(r) },
                    summary: format!("delete CNAME {host} → {target}"),
                }),
                Some(r) => plan.notes.push(format!(
                    "the CNAME {host} points at {}, not at this tunnel: it is left alone",
                    r.content_str()
                )),
                None => plan.notes.push(format!("{host} has no CNAME: no DNS record to delete")),
            }
        }
    }
    let config = config_with(tunnel, ingress.clone());
    plan.operations.push(put_config(
        &located,
        &config,
        format!(
            "remove the route {host}{} → {} from tunnel {name}",
            describe_path(&path),
            removed.service.as_deref().unwrap_or("?")
        ),
    ));
    plan.ingress = ingress;
    Ok(plan)
}

/// Routes a tunnel plan through Layer0 with the default policy's conditions: a tunnel ingress
/// change is security-relevant and needs approval (`sensitive_record`), removing a route or an
/// address record or rotating a secret is `destructive` (approval), and a hostname outside
/// `ctx`'s allowed zones (or in no known zone) is a `scope_violation` (blocked).
///
/// ```
/// use cfcp::layer0::{Context, Layer0};
/// use cfcp::tunnel::{plan_route, route, RouteRequest};
/// let snapshot = cfcp::snapshot::demo();
/// let mut plan = plan_route(&snapshot, &RouteRequest { tunnel: "acme-prod-shop".into(),
///     hostname: "blog.acme-shop.com".into(), service: "http://localhost:2368".into(),
///     ..RouteRequest::default() }).unwrap();
/// route(&mut plan, &Layer0::default(), &Context { zones_allowed: vec!["*".into()], ..Context::default() });
/// assert_eq!(plan.routing.route, "approve");
/// route(&mut plan, &Layer0::default(), &Context { zones_allowed: vec!["acme-api.io".into()], ..Context::default() });
/// assert_eq!(plan.routing.route, "block");
/// ```
pub fn route(plan: &mut TunnelPlan, layer0: &Layer0, ctx: &Context) {
    let tool = format!("cfcp_tunnel_{}", plan.action);
    let request = Request {
        kind: RequestKind::ToolCall,
        tool: Some(tool.clone()),
        arguments: Value::Null,
        text: None,
    };
    let mut c = Classification {
        intent: if plan.destructive {
            Intent::Destroy
        } else {
            Intent::Mutate
        },
        tool: Some(tool),
        action: Some(plan.action.clone()),
        zone: plan.zone.clone(),
        ..Classification::default()
    };
    let location = plan
        .hostname
        .clone()
        .unwrap_or_else(|| plan.tunnel_id.clone());
    let mut flag = |flag: Flag, rule: &'static str, detail: String| {
        c.flag(Evidence {
            flag,
            rule: std::borrow::Cow::Borrowed(rule),
            location: location.clone(),
            span: None,
            detail,
        })
    };
    if plan
        .operations
        .iter()
        .any(|o| matches!(o.effect, Effect::PutTunnelConfig { .. }))
    {
        flag(
            Flag::SensitiveRecord,
            "tunnel.ingress_change",
            format!("changes the ingress of tunnel {}", plan.tunnel_name),
        );
    }
    if plan.destructive && !plan.operations.is_empty() {
        flag(
            Flag::Destructive,
            "tunnel.destructive",
            match plan.action.as_str() {
                "rotate" => {
                    "connectors using the old tunnel secret can no longer connect".to_owned()
                }
                "unroute" => "removes a public route".to_owned(),
                _ => "deletes the hostname's address records".to_owned(),
            },
        );
    }
    if let Some(host) = &plan.hostname {
        match &plan.zone {
            Some(zone) if ctx.zone_allowed(zone) => {}
            Some(zone) => flag(
                Flag::ScopeViolation,
                "tunnel.zone_scope",
                format!("{host} is in {zone}, outside the allowed zones"),
            ),
            None if ctx.zones_allowed.iter().any(|z| z == "*") => {}
            None => flag(
                Flag::ScopeViolation,
                "tunnel.zone_scope",
                format!("{host} is in no known zone"),
            ),
        }
    }
    let verdict = layer0.decide_classified(c, &request, ctx);
    plan.routing = Routing::from_verdict(&verdict);
}
