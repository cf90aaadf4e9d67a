//! Terraform code for what an account has: the cloudflare provider v5 resources with `import {}`
//! blocks, like cf-terraforming but in one pass and from a snapshot. [`export`] writes a whole
//! account (or the zones asked for); [`adopt`] writes only the resources a drift found, so the
//! code can take over what was changed outside it.
//!
//! Ids are written as literals (not references between resources), so every block stands on its
//! own and can be pasted into an existing configuration.
//!
//! ```
//! use cfcp::export::{export, ExportOptions};
//! let out = export(&cfcp::snapshot::demo(), &ExportOptions::default());
//! let zone = out.files.iter().find(|f| f.name == "acme-shop.com.tf").unwrap();
//! assert!(zone.text.contains("resource \"cloudflare_dns_record\""));
//! assert!(out.files.iter().any(|f| f.name == "imports.tf"));
//! assert_eq!(out.resources.len(), out.files.iter().map(|f| f.text.matches("\nresource ").count()
//!     + usize::from(f.text.starts_with("resource "))).sum::<usize>());
//! ```

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::drift::{Change, Drift, ResourceKind};
use crate::intel::hcl;
use crate::snapshot::{
    DnsRecord, ListSnapshot, Ruleset, RulesetKind, Snapshot, TunnelSnapshot, ZoneSetting,
    ZoneSnapshot,
};

/// What to export.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOptions {
    /// Only these zones (by name); empty: every zone.
    pub zones: Vec<String>,
    /// Leave out the account resources (tunnels, lists).
    pub skip_accounts: bool,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFile {
    /// File name (`example.com.tf`, `account_<id>.tf`, `imports.tf`).
    pub name: String,
    /// HCL.
    pub text: String,
}

/// One generated resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedResource {
    /// Its address (`cloudflare_dns_record.example_com_a_www`).
    pub address: String,
    /// Its import id.
    pub import_id: String,
}

/// Something that was not exported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// What (`setting ssl of example.com`, a ruleset, ...).
    pub what: String,
    /// Why.
    pub why: String,
}

/// The generated code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// Files, in a stable order.
    pub files: Vec<ExportFile>,
    /// Every resource written, with its import id.
    pub resources: Vec<ExportedResource>,
    /// What was left out.
    pub skipped: Vec<Skipped>,
}

/// What a configuration sets: computed members and nulls dropped, and a record's `settings`
/// (defaults Cloudflare fills in) left to the provider.
fn configured(map: &Map<String, Value>) -> Map<String, Value> {
    let mut set = crate::snapshot::configured_members(map);
    set.remove("settings");
    set
}

/// Builds files, keeping resource names unique.
#[derive(Default)]
struct Writer {
    files: BTreeMap<String, String>,
    imports: String,
    removed: String,
    names: HashSet<String>,
    resources: Vec<ExportedResource>,
    skipped: Vec<Skipped>,
    /// Set while writing a resource Terraform already manages (adopting a change): no import.
    managed: bool,
}

impl Writer {
    fn name(&mut self, kind: &str, wanted: &str) -> String {
        let base = hcl::identifier(wanted);
        let mut name = base.clone();
        let mut n = 2;
        while !self.names.insert(format!("{kind}.{name}")) {
            name = format!("{base}_{n}");
            n += 1;
        }
        name
    }

    /// A resource block with `attributes`, and its import block when `import_id` is given.
    fn resource(
        &mut self,
        file: &str,
        kind: ResourceKind,
        wanted: &str,
        attributes: Map<String, Value>,
        import_id: Option<String>,
        comment: Option<&str>,
    ) -> String {
        let kind = kind.terraform_type();
        let name = self.name(kind, wanted);
        let text = self.files.entry(file.to_owned()).or_default();
        if !text.is_empty() {
            text.push('\n');
        }
        if let Some(comment) = comment {
            text.push_str(&format!("# {comment}\n"));
        }
        text.push_str(&format!(
            "resource \"{kind}\" \"{name}\" {}\n",
            hcl::value(&Value::Object(attributes), 0)
        ));
        let address = format!("{kind}.{name}");
        if let Some(id) = import_id {
            if !self.managed {
                self.imports.push_str(&format!(
                    "import {{\n  to = {address}\n  id = {}\n}}\n\n",
                    hcl::string(&id)
                ));
            }
            self.resources.push(ExportedResource {
                address: address.clone(),
                import_id: id,
            });
        }
        address
    }

    fn finish(mut self) -> Export {
        if !self.imports.is_empty() {
            self.files.insert("imports.tf".into(), self.imports);
        }
        if !self.removed.is_empty() {
            self.files.insert("removed.tf".into(), self.removed);
        }
        Export {
            files: self
                .files
                .into_iter()
                .map(|(name, text)| ExportFile { name, text })
                .collect(),
            resources: self.resources,
            skipped: self.skipped,
        }
    }
}

/// The whole account (or the zones `options` names) as Terraform code with import blocks.
pub fn export(snapshot: &Snapshot, options: &ExportOptions) -> Export {
    let mut w = Writer::default();
    for zone in snapshot.zones.iter().filter(|z| {
        options.zones.is_empty()
            || options
                .zones
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&z.zone.name))
    }) {
        zone_resources(&mut w, snapshot, zone);
    }
    if !options.skip_accounts {
        for account in &snapshot.accounts {
            let file = format!("account_{}.tf", account.account.id);
            for t in account
                .tunnels
                .iter()
                .filter(|t| t.tunnel.deleted_at.get().is_none())
            {
                tunnel(&mut w, &file, &account.account.id, t, true);
            }
            for l in &account.lists {
                list(&mut w, &file, &account.account.id, l, None);
            }
        }
    }
    w.finish()
}

fn zone_resources(w: &mut Writer, snapshot: &Snapshot, zone: &ZoneSnapshot) {
    let file = format!("{}.tf", zone.zone.name);
    let name = zone.zone.name.as_str();
    let id = zone.zone.id.as_str();
    if snapshot
        .gaps
        .iter()
        .any(|g| g.zone.as_deref() == Some(name) && g.section == "zones")
    {
        w.skipped.push(Skipped {
            what: format!("zone {name}"),
            why: "the snapshot could not read it".into(),
        });
    }
    let mut attrs = Map::new();
    if let Some(account) = zone.zone.account.get().and_then(|a| a.id.get()) {
        attrs.insert("account".into(), json!({ "id": account }));
    }
    attrs.insert("name".into(), json!(name));
    if let Some(t) = zone.zone.zone_type.get() {
        attrs.insert("type".into(), json!(t));
    }
    w.resource(
        &file,
        ResourceKind::Zone,
        name,
        attrs,
        Some(id.to_owned()),
        None,
    );
    for setting in &zone.settings {
        zone_setting(w, &file, name, id, setting, None);
    }
    for record in &zone.dns_records {
        dns_record(w, &file, name, id, record, None);
    }
    if let Some(status) = zone.dnssec.as_ref().and_then(|d| d.status.get()) {
        let status = match status.as_str() {
            "active" | "pending" => "active",
            _ => "disabled",
        };
        let attrs = json!({ "zone_id": id, "status": status });
        w.resource(
            &file,
            ResourceKind::ZoneDnssec,
            &format!("{name}_dnssec"),
            attrs.as_object().cloned().unwrap_or_default(),
            Some(id.to_owned()),
            None,
        );
    }
    for rs in &zone.rulesets {
        ruleset(w, &file, name, id, rs, None);
    }
    if let Some(bots) = &zone.bot_management {
        let mut attrs = Map::new();
        attrs.insert("zone_id".into(), json!(id));
        if let Value::Object(map) = serde_json::to_value(bots).unwrap_or(Value::Null) {
            attrs.extend(configured(&map));
        }
        w.resource(
            &file,
            ResourceKind::BotManagement,
            &format!("{name}_bot_management"),
            attrs,
            Some(id.to_owned()),
            None,
        );
    }
}

fn zone_setting(
    w: &mut Writer,
    file: &str,
    zone: &str,
    zone_id: &str,
    setting: &ZoneSetting,
    comment: Option<&str>,
) -> Option<String> {
    if setting.editable.copied() == Some(false) {
        w.skipped.push(Skipped {
            what: format!("setting {} of {zone}", setting.id),
            why: "Cloudflare marks it not editable on this plan".into(),
        });
        return None;
    }
    let attrs = json!({ "zone_id": zone_id, "setting_id": setting.id, "value": setting.value });
    Some(w.resource(
        file,
        ResourceKind::ZoneSetting,
        &format!("{zone}_{}", setting.id),
        attrs.as_object().cloned().unwrap_or_default(),
        Some(format!("{zone_id}/{}", setting.id)),
        comment,
    ))
}

fn dns_record(
    w: &mut Writer,
    file: &str,
    zone: &str,
    zone_id: &str,
    record: &DnsRecord,
    comment: Option<&str>,
) -> Option<String> {
    let Some(id) = record.id.get() else {
        w.skipped.push(Skipped {
            what: format!("{} {}", record.record_type.as_str(), record.name),
            why: "the record has no id to import".into(),
        });
        return None;
    };
    let mut attrs = Map::new();
    attrs.insert("zone_id".into(), json!(zone_id));
    attrs.insert("name".into(), json!(record.name));
    attrs.insert("type".into(), json!(record.record_type.as_str()));
    let data = record
        .data
        .get()
        .map(|d| d.to_value())
        .filter(|d| !d.is_null());
    match (&data, record.content.get()) {
        // Records with structured data (CAA, SRV, ...) are configured by `data`; the content
        // Cloudflare shows is computed from it.
        (Some(data), _) => {
            attrs.insert("data".into(), data.clone());
        }
        (None, Some(content)) => {
            attrs.insert("content".into(), json!(content));
        }
        (None, None) => {}
    }
    attrs.insert("ttl".into(), json!(record.ttl.copied().unwrap_or(1)));
    if let Some(proxied) = record.proxied.copied() {
        attrs.insert("proxied".into(), json!(proxied));
    }
    if let Some(priority) = record.priority.copied() {
        attrs.insert("priority".into(), json!(priority));
    }
    if let Some(c) = record.comment.get().filter(|c| !c.is_empty()) {
        attrs.insert("comment".into(), json!(c));
    }
    if let Some(tags) = record.tags.get().filter(|t| !t.is_empty()) {
        attrs.insert("tags".into(), json!(tags));
    }
    let short = record
        .name
        .strip_suffix(zone)
        .map(|n| n.trim_end_matches('.'))
        .filter(|n| !n.is_empty())
        .unwrap_or("apex");
    Some(w.resource(
        file,
        ResourceKind::DnsRecord,
        &format!("{zone}_{}_{short}", record.record_type.as_str()),
        attrs,
        Some(format!("{zone_id}/{id}")),
        comment,
    ))
}

fn ruleset(
    w: &mut Writer,
    file: &str,
    zone: &str,
    zone_id: &str,
    rs: &Ruleset,
    comment: Option<&str>,
) -> Option<String> {
    if matches!(rs.kind.get(), Some(RulesetKind::Managed)) {
        return None;
    }
    let Some(id) = rs.id.get() else {
        w.skipped.push(Skipped {
            what: format!("a ruleset of {zone}"),
            why: "it has no id to import".into(),
        });
        return None;
    };
    let phase = rs.phase.get().map(|p| p.as_str().to_owned());
    let mut attrs = Map::new();
    attrs.insert("zone_id".into(), json!(zone_id));
    attrs.insert(
        "name".into(),
        json!(rs.name.get().cloned().unwrap_or_else(|| "default".into())),
    );
    attrs.insert(
        "kind".into(),
        json!(rs
            .kind
            .get()
            .map(|k| k.as_str().to_owned())
            .unwrap_or_else(|| "zone".into())),
    );
    if let Some(phase) = &phase {
        attrs.insert("phase".into(), json!(phase));
    }
    if let Some(d) = rs
        .extra
        .get("description")
        .filter(|d| d.as_str().is_some_and(|s| !s.is_empty()))
    {
        attrs.insert("description".into(), d.clone());
    }
    let rules: Vec<Value> = rs
        .rules
        .iter()
        .map(|rule| {
            let mut r = Map::new();
            // Cloudflare gives a rule without a `ref` its id as ref: Terraform then keeps the
            // rule (and its id) across applies.
            if let Some(reference) = rule.reference.get().or(rule.id.get()) {
                r.insert("ref".into(), json!(reference));
            }
            for (key, value) in [
                (
                    "action",
                    serde_json::to_value(&rule.action).unwrap_or(Value::Null),
                ),
                (
                    "expression",
                    serde_json::to_value(&rule.expression).unwrap_or(Value::Null),
                ),
                (
                    "description",
                    serde_json::to_value(&rule.description).unwrap_or(Value::Null),
                ),
                (
                    "enabled",
                    serde_json::to_value(&rule.enabled).unwrap_or(Value::Null),
                ),
                (
                    "action_parameters",
                    serde_json::to_value(&rule.action_parameters).unwrap_or(Value::Null),
                ),
                (
                    "ratelimit",
                    serde_json::to_value(&rule.ratelimit).unwrap_or(Value::Null),
                ),
            ] {
                if !value.is_null() && value != json!("") {
                    r.insert(key.into(), value);
                }
            }
            r.extend(configured(&rule.extra));
            Value::Object(r)
        })
        .collect();
    attrs.insert("rules".into(), Value::Array(rules));
    Some(w.resource(
        file,
        ResourceKind::Ruleset,
        &format!("{zone}_{}", phase.as_deref().unwrap_or("ruleset")),
        attrs,
        Some(format!("zones/{zone_id}/{id}")),
        comment,
    ))
}

fn tunnel(w: &mut Writer, file: &str, account: &str, t: &TunnelSnapshot, with_config: bool) {
    let name = t.tunnel.name.as_deref().unwrap_or(&t.tunnel.id);
    let mut attrs = Map::new();
    attrs.insert("account_id".into(), json!(account));
    attrs.insert("name".into(), json!(name));
    let remote = t
        .configuration
        .as_ref()
        .and_then(|c| c.config.get())
        .is_some();
    attrs.insert(
        "config_src".into(),
        json!(if remote { "cloudflare" } else { "local" }),
    );
    w.resource(
        file,
        ResourceKind::Tunnel,
        &format!("tunnel_{name}"),
        attrs,
        Some(format!("{account}/{}", t.tunnel.id)),
        None,
    );
    if with_config {
        tunnel_config(w, file, account, t, None);
    }
}

fn tunnel_config(
    w: &mut Writer,
    file: &str,
    account: &str,
    t: &TunnelSnapshot,
    comment: Option<&str>,
) {
    let Some(config) = t.configuration.as_ref().and_then(|c| c.config.get()) else {
        return;
    };
    let name = t.tunnel.name.as_deref().unwrap_or(&t.tunnel.id);
    let mut cfg = match serde_json::to_value(config).unwrap_or(Value::Null) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    cfg.retain(|_, v| !v.is_null());
    let attrs = json!({ "account_id": account, "tunnel_id": t.tunnel.id, "config": cfg });
    w.resource(
        file,
        ResourceKind::TunnelConfig,
        &format!("tunnel_{name}_config"),
        attrs.as_object().cloned().unwrap_or_default(),
        Some(format!("{account}/{}", t.tunnel.id)),
        comment,
    );
}

fn list(w: &mut Writer, file: &str, account: &str, l: &ListSnapshot, comment: Option<&str>) {
    let name = l.list.name.as_deref().unwrap_or(&l.list.id);
    let mut attrs = Map::new();
    attrs.insert("account_id".into(), json!(account));
    attrs.insert("name".into(), json!(name));
    if let Some(kind) = l.list.kind.get() {
        attrs.insert("kind".into(), json!(kind.as_str()));
    }
    if let Some(d) = l
        .list
        .extra
        .get("description")
        .filter(|d| d.as_str().is_some_and(|s| !s.is_empty()))
    {
        attrs.insert("description".into(), d.clone());
    }
    let items: Vec<Value> = l
        .items
        .iter()
        .map(|i| {
            let mut item = configured(
                &serde_json::to_value(i)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default(),
            );
            item.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "ip" | "asn" | "hostname" | "redirect" | "comment"
                )
            });
            Value::Object(item)
        })
        .collect();
    attrs.insert("items".into(), Value::Array(items));
    w.resource(
        file,
        ResourceKind::List,
        &format!("list_{name}"),
        attrs,
        Some(format!("{account}/{}", l.list.id)),
        comment,
    );
}

/// Code that adopts a drift: the live form of every added or changed resource (with an import
/// block for the added ones, which Terraform does not manage yet), and a `removed` block (or a
/// note) for each resource deleted outside Terraform, so `terraform plan` shows no changes after
/// the code is merged.
///
/// ```
/// let desired = cfcp::snapshot::demo();
/// let mut live = desired.clone();
/// let mut extra = live.zones[0].dns_records[0].clone();
/// extra.id = cfcp::snapshot::Field::Value("new-record".into());
/// extra.name = "new.acme-shop.com".into();
/// live.zones[0].dns_records.push(extra);
/// let code = cfcp::export::adopt(&cfcp::drift::diff(&desired, &live));
/// assert_eq!(code.resources.len(), 1);
/// assert!(code.resources[0].import_id.ends_with("/new-record"));
/// ```
pub fn adopt(drift: &Drift) -> Export {
    let mut w = Writer::default();
    for item in &drift.items {
        let zone = item.zone.as_deref().unwrap_or_default();
        let zone_id = item.zone_id.as_deref().unwrap_or_default();
        let account = item.account_id.as_deref().unwrap_or_default();
        let file = if item.zone.is_some() {
            format!("{zone}.tf")
        } else {
            format!("account_{account}.tf")
        };
        if item.change == Change::Removed {
            match &item.address {
                Some(address) => w.removed.push_str(&format!(
                    "# deleted outside Terraform: forget it without destroying anything\nremoved {{\n  from = {address}\n  lifecycle {{\n    destroy = false\n  }}\n}}\n\n"
                )),
                None => w.skipped.push(Skipped {
                    what: format!("{} {}", item.kind.terraform_type(), item.label),
                    why: "deleted outside Terraform: remove its block from the configuration".into(),
                }),
            }
            continue;
        }
        // Changed resources are in the state already: the block replaces the old one.
        let note = match (&item.change, &item.address) {
            (Change::Changed, Some(address)) => {
                Some(format!("replaces {address} (changed outside Terraform)"))
            }
            (Change::Changed, None) => Some(format!(
                "replaces the block for {} (changed outside Terraform)",
                item.import_id
            )),
            _ => Some("made outside Terraform".to_owned()),
        };
        w.managed = item.change == Change::Changed;
        let written = match item.kind {
            ResourceKind::DnsRecord => serde_json::from_value::<DnsRecord>(item.live.clone())
                .ok()
                .and_then(|r| dns_record(&mut w, &file, zone, zone_id, &r, note.as_deref())),
            ResourceKind::ZoneSetting => serde_json::from_value::<ZoneSetting>(item.live.clone())
                .ok()
                .and_then(|s| zone_setting(&mut w, &file, zone, zone_id, &s, note.as_deref())),
            ResourceKind::Ruleset => serde_json::from_value::<Ruleset>(item.live.clone())
                .ok()
                .and_then(|rs| ruleset(&mut w, &file, zone, zone_id, &rs, note.as_deref())),
            ResourceKind::Tunnel => {
                serde_json::from_value::<TunnelSnapshot>(json!({ "tunnel": item.live }))
                    .ok()
                    .map(|t| {
                        tunnel(&mut w, &file, account, &t, false);
                        String::new()
                    })
            }
            ResourceKind::TunnelConfig => {
                let tunnel_id = item.import_id.rsplit('/').next().unwrap_or_default();
                serde_json::from_value::<TunnelSnapshot>(json!({
                    "tunnel": { "id": tunnel_id, "name": item.label },
                    "configuration": item.live,
                }))
                .ok()
                .map(|t| {
                    tunnel_config(&mut w, &file, account, &t, note.as_deref());
                    String::new()
                })
            }
            ResourceKind::List => serde_json::from_value::<ListSnapshot>(item.live.clone())
                .ok()
                .map(|l| {
                    list(&mut w, &file, account, &l, note.as_deref());
                    String::new()
                }),
            ResourceKind::ZoneDnssec | ResourceKind::BotManagement | ResourceKind::Zone => None,
        };
        if written.is_none() {
            w.skipped.push(Skipped {
                what: format!("{} {}", item.kind.terraform_type(), item.label),
                why: "not generated for adoption: change its block by hand (the live values are in the drift report)".into(),
            });
        }
        w.managed = false;
    }
    w.finish()
}

#[cfg(test)]
mod tests;
