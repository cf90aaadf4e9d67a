//! The declarative services file: which hostname goes to which origin service, per tunnel, as
//! a desired state that `cfcp drift` and `cfcp remediate` compare with the live account the way
//! they compare Terraform's.
//!
//! ```yaml
//! tunnels:
//!   acme-prod-shop:                       # tunnel name or UUID
//!     app.acme-shop.com: http://localhost:8080
//!     api.acme-shop.com:
//!       service: http://localhost:9000
//!       path: ^/v1/                       # optional path regex
//! ```
//!
//! JSON with the same shape works too. For each tunnel the file names, the desired ingress is the
//! file's rules in the file's order (a rule's live `originRequest` is kept), then the tunnel's
//! catch-all; every hostname has a proxied CNAME to the tunnel, and the tunnel's other CNAMEs are
//! gone. Tunnels the file does not name are left as they are.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::ingress::{normalise_host, rule_key, validate_ingress, DEFAULT_CATCH_ALL};
use super::route::{cname_target, config_with, find_tunnel, invalid, zone_not_found, zone_of};
use super::service::{check_service, ACCEPTED_FORMS};
use crate::error::{Error, Result};
use crate::snapshot::{DnsRecord, Field, IngressRule, Snapshot, TunnelConfiguration};

const WHAT: &str = "services file";

/// One hostname's service in a services file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRule {
    /// The public hostname.
    pub hostname: String,
    /// The origin service.
    pub service: String,
    /// The path regex, if any.
    pub path: Option<String>,
}

/// A services file, read: tunnels in file order, each with its rules in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServicesFile {
    /// `(tunnel name or id, rules)`.
    pub tunnels: Vec<(String, Vec<ServiceRule>)>,
}

fn rule_from(hostname: &str, value: &Value, at: &str) -> Result<ServiceRule> {
    let (service, path) = match value {
        Value::String(s) => (s.clone(), None),
        Value::Object(m) => {
            if let Some(k) = m.keys().find(|k| !matches!(k.as_str(), "service" | "path")) {
                return Err(invalid(
                    WHAT,
                    at,
                    format!("unknown member {k:?}: a rule has `service` and an optional `path`"),
                ));
            }
            let service = m
                .get("service")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(WHAT, at, "`service` is missing or not a string".into()))?;
            let path = match m.get("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(p.clone()),
                Some(_) => {
                    return Err(invalid(
                        WHAT,
                        at,
                        "`path` must be a string (a regular expression)".into(),
                    ))
                }
            };
            (service.to_owned(), path)
        }
        _ => {
            return Err(invalid(
                WHAT,
                at,
                "expected a service URL or {service, path}".into(),
            ))
        }
    };
    check_service(&service)
        .map_err(|m| invalid(WHAT, at, format!("{m}; accepted forms: {ACCEPTED_FORMS}")))?;
    Ok(ServiceRule {
        hostname: normalise_host(hostname),
        service,
        path: path.filter(|p| !p.is_empty()),
    })
}

impl ServicesFile {
    /// Reads a services file (YAML or JSON).
    ///
    /// ```
    /// let file = cfcp::tunnel::ServicesFile::parse("tunnels:\n  t1:\n    a.example.com: http://localhost:80\n").unwrap();
    /// assert_eq!(file.tunnels[0].1[0].service, "http://localhost:80");
    /// assert!(cfcp::tunnel::ServicesFile::parse("tunnels:\n  t1:\n    a.example.com: ftp://x\n").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<ServicesFile> {
        let value: Value = serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            Error::InvalidDocument {
                document: WHAT,
                path: String::new(),
                line,
                column,
                message: format!("not valid YAML or JSON: {e}"),
            }
        })?;
        let tunnels = value
            .get("tunnels")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                invalid(
                    WHAT,
                    "tunnels",
                    "expected `tunnels:` mapping tunnel names to {hostname: service}".into(),
                )
            })?;
        let mut file = ServicesFile::default();
        for (tunnel, hosts) in tunnels {
            let at = format!("tunnels.{tunnel}");
            let hosts = hosts.as_object().ok_or_else(|| {
                invalid(
                    WHAT,
                    &at,
                    "expected a mapping of hostnames to services".into(),
                )
            })?;
            let mut rules = Vec::new();
            for (host, v) in hosts {
                let at = format!("{at}.{host}");
                match v {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            rules.push(rule_from(host, item, &format!("{at}[{i}]"))?);
                        }
                    }
                    _ => rules.push(rule_from(host, v, &at)?),
                }
            }
            file.tunnels.push((tunnel.clone(), rules));
        }
        Ok(file)
    }

    /// `live` with each named tunnel's ingress and CNAMEs as the file says (see the module docs).
    ///
    /// ```
    /// let live = cfcp::snapshot::demo();
    /// let file = cfcp::tunnel::ServicesFile::parse("tunnels:\n  acme-prod-shop:\n    app.acme-shop.com: http://localhost:8080\n").unwrap();
    /// let desired = file.desired(&live).unwrap();
    /// let drift = cfcp::drift::diff(&desired, &live);
    /// // admin. and grafana. are no longer wanted: the ingress changes and their CNAMEs go.
    /// assert!(drift.items.iter().any(|i| i.label.contains("acme-prod-shop")));
    /// ```
    pub fn desired(&self, live: &Snapshot) -> Result<Snapshot> {
        let mut desired = live.clone();
        let mut claimed: BTreeMap<String, String> = BTreeMap::new();
        for (tunnel, rules) in &self.tunnels {
            let at = format!("tunnels.{tunnel}");
            let located = find_tunnel(live, tunnel, WHAT).map_err(|e| match e {
                Error::InvalidDocument { message, .. } => invalid(WHAT, &at, message),
                other => other,
            })?;
            let account_id = located.account_id.to_owned();
            let tunnel_id = located.tunnel.tunnel.id.clone();
            let live_ingress = located.tunnel.ingress();
            let mut ingress = Vec::with_capacity(rules.len() + 1);
            for r in rules {
                let mut v = json!({"hostname": r.hostname, "service": r.service});
                if let Some(p) = &r.path {
                    v["path"] = json!(p);
                }
                let mut rule: IngressRule =
                    serde_json::from_value(v).map_err(|e| invalid(WHAT, &at, e.to_string()))?;
                if let Some(old) = live_ingress.iter().find(|o| rule_key(o) == rule_key(&rule)) {
                    rule.extra = old.extra.clone();
                }
                ingress.push(rule);
            }
            let catch_all = match live_ingress.last() {
                Some(last) if last.is_catch_all() => last.clone(),
                _ => serde_json::from_value(json!({"service": DEFAULT_CATCH_ALL}))
                    .map_err(|e| invalid(WHAT, &at, e.to_string()))?,
            };
            ingress.push(catch_all);
            validate_ingress(&ingress).map_err(|e| invalid(WHAT, &at, e.to_string()))?;
            let config = config_with(located.tunnel, ingress);
            let mut configuration =
                located
                    .tunnel
                    .configuration
                    .clone()
                    .unwrap_or(TunnelConfiguration {
                        tunnel_id: Field::Value(tunnel_id.clone()),
                        version: Field::Absent,
                        config: Field::Absent,
                        extra: Map::new(),
                    });
            configuration.config = Field::Value(config);
            if let Some(t) = desired
                .accounts
                .iter_mut()
                .filter(|a| a.account.id == account_id)
                .flat_map(|a| a.tunnels.iter_mut())
                .find(|t| t.tunnel.id == tunnel_id)
            {
                t.configuration = Some(configuration);
            }

            // DNS: the tunnel's CNAMEs are exactly the file's hostnames.
            let target = cname_target(&tunnel_id);
            let mut hosts: Vec<&str> = rules.iter().map(|r| r.hostname.as_str()).collect();
            hosts.dedup();
            for host in &hosts {
                if let Some(other) = claimed.insert((*host).to_owned(), tunnel.clone()) {
                    if other != *tunnel {
                        return Err(invalid(WHAT, &format!("{at}.{host}"), format!("{host} is also routed by tunnel {other}: a hostname has one CNAME, so one tunnel")));
                    }
                }
            }
            for z in desired.zones.iter_mut() {
                let in_account = z
                    .zone
                    .account
                    .get()
                    .and_then(|a| a.id.get())
                    .map_or(true, |a| a.eq_ignore_ascii_case(&account_id));
                if in_account {
                    z.dns_records.retain(|r| {
                        !(r.record_type.as_str() == "CNAME"
                            && normalise_host(r.content_str()) == target
                            && !hosts.contains(&normalise_host(&r.name).as_str()))
                    });
                }
            }
            for host in &hosts {
                let here = format!("{at}.{host}");
                let zone_name = zone_of(live, &account_id, host)
                    .map(|z| z.zone.name.clone())
                    .ok_or_else(|| invalid(WHAT, &here, zone_not_found(live, &account_id, host)))?;
                let Some(zone) = desired.zones.iter_mut().find(|z| z.zone.name == zone_name) else {
                    continue;
                };
                let named: Vec<usize> = (0..zone.dns_records.len())
                    .filter(|&i| normalise_host(&zone.dns_records[i].name) == *host)
                    .collect();
                if let Some(&i) = named
                    .iter()
                    .find(|&&i| matches!(zone.dns_records[i].record_type.as_str(), "A" | "AAAA"))
                {
                    return Err(invalid(WHAT, &here, format!(
                        "{host} has an {} record ({}): a CNAME cannot sit beside it; delete it first (or `cfcp tunnel route --replace-address-records`)",
                        zone.dns_records[i].record_type.as_str(),
                        zone.dns_records[i].content_str()
                    )));
                }
                match named
                    .iter()
                    .find(|&&i| zone.dns_records[i].record_type.as_str() == "CNAME")
                {
                    Some(&i) => {
                        let r = &mut zone.dns_records[i];
                        r.content = Field::Value(target.clone());
                        r.proxied = Field::Value(true);
                    }
                    None => {
                        let record: DnsRecord = serde_json::from_value(json!({
                            "type": "CNAME", "name": host, "content": target, "proxied": true, "ttl": 1
                        }))
                        .map_err(|e| invalid(WHAT, &here, e.to_string()))?;
                        zone.dns_records.push(record);
                    }
                }
            }
        }
        Ok(desired)
    }
}

/// Whether `text` looks like a services file (a YAML or JSON mapping with a `tunnels` member
/// and none of a snapshot's or Terraform's top-level members), so a front end can tell it from
/// the other desired-state formats before reading the live account it needs.
///
/// ```
/// assert!(cfcp::tunnel::is_services_file("tunnels:\n  t: {}\n"));
/// assert!(!cfcp::tunnel::is_services_file(r#"{"format": "cfcp.snapshot/v1", "tunnels": {}}"#));
/// assert!(!cfcp::tunnel::is_services_file(r#"{"version": 4, "resources": []}"#));
/// ```
pub fn is_services_file(text: &str) -> bool {
    serde_norway::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .is_some_and(|m| {
            m.contains_key("tunnels")
                && !["format", "version", "resources", "values", "planned_values"]
                    .iter()
                    .any(|k| m.contains_key(*k))
        })
}

/// `live` with the tunnels' ingress and CNAMEs as the services file `text` says: the desired
/// state `cfcp drift --desired services.yaml` compares with `live`.
///
/// ```
/// let live = cfcp::snapshot::demo();
/// let same = "tunnels:\n  acme-prod-shop:\n    app.acme-shop.com: http://localhost:8080\n    admin.acme-shop.com: http://10.0.1.20:3000\n    grafana.acme-shop.com: https://10.0.1.30:3000\n";
/// let desired = cfcp::tunnel::desired_from_services(&live, same).unwrap();
/// assert!(cfcp::drift::diff(&desired, &live).is_empty());
/// ```
pub fn desired_from_services(live: &Snapshot, text: &str) -> Result<Snapshot> {
    ServicesFile::parse(text)?.desired(live)
}
