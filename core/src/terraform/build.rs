//! Resource instances → snapshot: each Cloudflare resource type (provider v5, and the common v4
//! names and shapes) mapped into the API shapes of [`crate::snapshot`].

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::clean::{clean, clean_map};
use super::origin_request::{rename_keys, to_camel};
use super::{Desired, ResourceAddr, ResourceRef, SnapshotItem, Unevaluated};
use crate::error::{Error, Result};
use crate::snapshot::{
    Account, AccountSnapshot, BotManagement, DnsRecord, Dnssec, Field, Gap, ListItem, ListSnapshot,
    RulesList, Ruleset, Snapshot, Source, SourceKind, Timestamp, Tunnel, TunnelConfiguration,
    TunnelSnapshot, Zone, ZoneSetting, ZoneSnapshot,
};

/// One resource instance as read from the input.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub address: String,
    pub resource_type: String,
    pub name: String,
    /// The provider (`registry.terraform.io/cloudflare/cloudflare`), when the input says.
    pub provider: String,
    pub attributes: Map<String, Value>,
    /// Top-level attributes whose value is not known, and why.
    pub unknown: BTreeMap<String, String>,
    /// The `.tf` file and line of the resource block (HCL input).
    pub file: Option<String>,
    pub line: Option<usize>,
}

impl Instance {
    pub fn new(
        address: String,
        resource_type: &str,
        name: &str,
        provider: &str,
        attributes: Map<String, Value>,
    ) -> Self {
        Instance {
            address,
            resource_type: resource_type.to_owned(),
            name: name.to_owned(),
            provider: provider.to_owned(),
            attributes,
            unknown: BTreeMap::new(),
            file: None,
            line: None,
        }
    }
}

/// Everything read from the input, before mapping.
pub(crate) struct Input {
    pub kind: SourceKind,
    pub detail: String,
    /// When the input says when it was made (a plan's `timestamp`).
    pub taken_at: Option<String>,
    pub source_extra: Map<String, Value>,
    pub instances: Vec<Instance>,
    pub unknown_resources: Vec<ResourceAddr>,
    pub unevaluated: Vec<Unevaluated>,
    pub planned_deletions: Vec<ResourceAddr>,
    pub data_sources_skipped: usize,
    pub notes: Vec<String>,
}

impl Input {
    pub fn new(kind: SourceKind, detail: &str, source_extra: Map<String, Value>) -> Self {
        Input {
            kind,
            detail: detail.to_owned(),
            taken_at: None,
            source_extra,
            instances: Vec::new(),
            unknown_resources: Vec::new(),
            unevaluated: Vec::new(),
            planned_deletions: Vec::new(),
            data_sources_skipped: 0,
            notes: Vec::new(),
        }
    }
}

/// The resource types cfcp maps, by what they become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zone,
    ZoneSetting,
    ZoneSettingsOverride,
    DnsRecord,
    Dnssec,
    Ruleset,
    BotManagement,
    List,
    ListItem,
    Tunnel,
    TunnelConfig,
}

/// Whether cfcp maps this resource type into the snapshot.
pub(crate) fn is_mapped(resource_type: &str) -> bool {
    kind_of(resource_type).is_some()
}

fn kind_of(resource_type: &str) -> Option<Kind> {
    Some(match resource_type {
        "cloudflare_zone" => Kind::Zone,
        "cloudflare_zone_setting" => Kind::ZoneSetting,
        "cloudflare_zone_settings_override" => Kind::ZoneSettingsOverride,
        "cloudflare_dns_record" | "cloudflare_record" => Kind::DnsRecord,
        "cloudflare_zone_dnssec" => Kind::Dnssec,
        "cloudflare_ruleset" => Kind::Ruleset,
        "cloudflare_bot_management" => Kind::BotManagement,
        "cloudflare_list" => Kind::List,
        "cloudflare_list_item" => Kind::ListItem,
        "cloudflare_zero_trust_tunnel_cloudflared" | "cloudflare_tunnel" => Kind::Tunnel,
        "cloudflare_zero_trust_tunnel_cloudflared_config" | "cloudflare_tunnel_config" => {
            Kind::TunnelConfig
        }
        _ => return None,
    })
}

/// The zone sections and the resource types that describe them (for gap reasons).
const ZONE_SECTIONS: &[(&str, &str)] = &[
    (
        "settings",
        "cloudflare_zone_setting or cloudflare_zone_settings_override",
    ),
    ("dns_records", "cloudflare_dns_record"),
    ("dnssec", "cloudflare_zone_dnssec"),
    ("rulesets", "cloudflare_ruleset"),
    ("bot_management", "cloudflare_bot_management"),
];

/// Attributes that are secrets: never copied into a snapshot.
const SECRETS: &[&str] = &[
    "secret",
    "tunnel_secret",
    "tunnel_token",
    "token",
    "credentials_file",
];

#[derive(Default)]
struct ZoneAcc {
    id: String,
    zone: Option<Map<String, Value>>,
    account_id: Option<String>,
    settings: Vec<ZoneSetting>,
    setting_owner: HashMap<String, String>,
    records: Vec<DnsRecord>,
    dnssec: Option<(String, Dnssec)>,
    rulesets: Vec<(String, Ruleset)>,
    bot: Option<(String, BotManagement)>,
    managed: Vec<&'static str>,
}

#[derive(Default)]
struct AccountAcc {
    id: String,
    tunnels: Vec<TunnelSnapshot>,
    configured: usize,
    lists: Vec<ListSnapshot>,
    rulesets: Vec<Value>,
    managed: Vec<&'static str>,
}

struct Builder {
    document: &'static str,
    zones: Vec<ZoneAcc>,
    zone_index: HashMap<String, usize>,
    accounts: Vec<AccountAcc>,
    account_index: HashMap<String, usize>,
    resources: Vec<ResourceRef>,
    unknown_resources: Vec<ResourceAddr>,
    unevaluated: Vec<Unevaluated>,
    notes: Vec<String>,
}

/// Maps the instances into a snapshot with its gaps, and the lists of what was not mapped.
pub(crate) fn build(input: Input) -> Result<Desired> {
    let document = match input.kind {
        SourceKind::TerraformPlan => "Terraform plan",
        SourceKind::TerraformState => "Terraform state",
        _ => "Terraform configuration",
    };
    let mut b = Builder {
        document,
        zones: Vec::new(),
        zone_index: HashMap::new(),
        accounts: Vec::new(),
        account_index: HashMap::new(),
        resources: Vec::new(),
        unknown_resources: input.unknown_resources,
        unevaluated: input.unevaluated,
        notes: input.notes,
    };
    // Zones first (their names make record names whole), children after their parents.
    let mut ordered: Vec<(u8, Kind, Instance)> = Vec::new();
    for inst in input.instances {
        match kind_of(&inst.resource_type) {
            Some(kind) => {
                let rank = match kind {
                    Kind::Zone => 0,
                    Kind::ListItem | Kind::TunnelConfig => 2,
                    _ => 1,
                };
                ordered.push((rank, kind, inst));
            }
            None => {
                let why = if !inst.resource_type.starts_with("cloudflare_") {
                    match provider_name(&inst.provider) {
                        Some(p) => format!("not a Cloudflare resource (provider {p})"),
                        None => "not a Cloudflare resource".to_owned(),
                    }
                } else {
                    "resource type not mapped by cfcp".to_owned()
                };
                b.unknown_resources.push(ResourceAddr {
                    resource_type: inst.resource_type,
                    name: inst.name,
                    address: inst.address,
                    why,
                });
            }
        }
    }
    ordered.sort_by_key(|(rank, _, _)| *rank);
    for (_, kind, mut inst) in ordered {
        inst.attributes = clean_map(std::mem::take(&mut inst.attributes));
        match kind {
            Kind::Zone => b.zone(inst)?,
            Kind::ZoneSetting => b.zone_setting(inst)?,
            Kind::ZoneSettingsOverride => b.zone_settings_override(inst)?,
            Kind::DnsRecord => b.dns_record(inst)?,
            Kind::Dnssec => b.dnssec(inst)?,
            Kind::Ruleset => b.ruleset(inst)?,
            Kind::BotManagement => b.bot_management(inst)?,
            Kind::List => b.list(inst)?,
            Kind::ListItem => b.list_item(inst)?,
            Kind::Tunnel => b.tunnel(inst)?,
            Kind::TunnelConfig => b.tunnel_config(inst)?,
        }
    }
    let taken_at = input
        .taken_at
        .and_then(|t| Timestamp::parse(&t).ok())
        .unwrap_or_else(|| Timestamp::from_datetime(time::OffsetDateTime::UNIX_EPOCH));
    let source = Source {
        kind: input.kind,
        detail: Field::Value(input.detail),
        extra: input.source_extra,
    };
    let mut snapshot = Snapshot::new(taken_at, source);
    b.finish(&mut snapshot)?;
    Ok(Desired {
        snapshot,
        resources: b.resources,
        unknown_resources: b.unknown_resources,
        unevaluated: b.unevaluated,
        planned_deletions: input.planned_deletions,
        data_sources_skipped: input.data_sources_skipped,
        notes: b.notes,
    })
}

/// `registry.terraform.io/hashicorp/aws` out of `provider["registry.terraform.io/hashicorp/aws"]`.
fn provider_name(provider: &str) -> Option<&str> {
    if provider.is_empty() {
        return None;
    }
    Some(
        provider
            .split_once("provider[\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map_or(provider, |(name, _)| name),
    )
}

/// A string attribute (numbers are accepted as their text: some ids are numeric).
fn text(attrs: &Map<String, Value>, key: &str) -> Option<String> {
    match attrs.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// v4 nested blocks are lists of one object; the API has the object.
fn single(value: Value) -> Value {
    match value {
        Value::Array(mut items) if items.len() == 1 && items[0].is_object() => items.remove(0),
        other => other,
    }
}

/// `www` in `example.com` → `www.example.com`; `@` → `example.com`; names already whole are kept.
pub(crate) fn fqdn(name: &str, zone: &str) -> String {
    let name = name.trim_end_matches('.');
    let lower = name.to_ascii_lowercase();
    let zone_lower = zone.to_ascii_lowercase();
    if name == "@" || name.is_empty() {
        zone.to_owned()
    } else if lower == zone_lower || lower.ends_with(&format!(".{zone_lower}")) {
        name.to_owned()
    } else {
        format!("{name}.{zone}")
    }
}

impl Builder {
    fn typed<T: DeserializeOwned>(&self, value: Value, address: &str) -> Result<T> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            Error::InvalidDocument {
                document: self.document,
                path: if path == "." || path.is_empty() {
                    address.to_owned()
                } else {
                    format!("{address}.{path}")
                },
                line: 0,
                column: 0,
                message: format!(
                    "{inner}; the attribute does not have the shape Cloudflare's API gives it"
                ),
            }
        })
    }

    /// A key attribute's value, or `None` after recording why the resource is skipped.
    fn required(&mut self, inst: &Instance, keys: &[&str]) -> Option<String> {
        if let Some(v) = keys.iter().find_map(|k| text(&inst.attributes, k)) {
            return Some(v);
        }
        let key = keys[0];
        let reason = keys
            .iter()
            .find_map(|k| inst.unknown.get(*k))
            .cloned()
            .unwrap_or_else(|| "absent".to_owned());
        let why = format!("{reason}; the resource is skipped (cfcp needs {key} to place it)");
        // The input may have listed the attribute already (a plan's unknowns, HCL): say more there.
        let listed = keys.iter().find_map(|k| {
            self.unevaluated
                .iter()
                .position(|u| u.address == inst.address && u.attribute == *k)
        });
        match listed {
            Some(i) => self.unevaluated[i].why = why,
            None => self.unevaluated.push(Unevaluated {
                address: inst.address.clone(),
                attribute: key.to_owned(),
                why,
                file: inst.file.clone(),
                line: inst.line,
            }),
        }
        None
    }

    fn zone_acc(&mut self, zone_id: &str) -> &mut ZoneAcc {
        let index = match self.zone_index.get(zone_id) {
            Some(i) => *i,
            None => {
                self.zones.push(ZoneAcc {
                    id: zone_id.to_owned(),
                    ..ZoneAcc::default()
                });
                self.zone_index
                    .insert(zone_id.to_owned(), self.zones.len() - 1);
                self.zones.len() - 1
            }
        };
        &mut self.zones[index]
    }

    fn account_acc(&mut self, account_id: &str) -> &mut AccountAcc {
        let index = match self.account_index.get(account_id) {
            Some(i) => *i,
            None => {
                self.accounts.push(AccountAcc {
                    id: account_id.to_owned(),
                    ..AccountAcc::default()
                });
                self.account_index
                    .insert(account_id.to_owned(), self.accounts.len() - 1);
                self.accounts.len() - 1
            }
        };
        &mut self.accounts[index]
    }

    fn zone_name(&self, zone_id: &str) -> Option<String> {
        let acc = &self.zones[*self.zone_index.get(zone_id)?];
        acc.zone.as_ref().and_then(|z| text(z, "name"))
    }

    fn record(&mut self, inst: &Instance, item: SnapshotItem, import_id: Option<String>) {
        self.resources.push(ResourceRef {
            address: inst.address.clone(),
            resource_type: inst.resource_type.clone(),
            item,
            import_id,
        });
    }

    fn zone(&mut self, inst: Instance) -> Result<()> {
        let id = match text(&inst.attributes, "id").or_else(|| text(&inst.attributes, "zone_id")) {
            Some(id) => id,
            // A zone Terraform creates: its name stands in for the id it does not have yet.
            None => {
                let Some(name) = self.required(&inst, &["name", "zone"]) else {
                    return Ok(());
                };
                self.notes.push(format!(
                    "{}: the zone's id is not known yet; it is identified by its name {name:?}",
                    inst.address
                ));
                name
            }
        };
        let mut z = inst.attributes.clone();
        // v4: `zone` is the name, `account_id` the account, `plan` the legacy id.
        if let Some(name) = z.remove("zone") {
            z.entry("name").or_insert(name);
        }
        let account_id = text(&z, "account_id").or_else(|| {
            z.get("account")
                .and_then(|a| a.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        if let Some(account) = z.remove("account_id") {
            z.insert("account".to_owned(), json!({ "id": account }));
        }
        if let Some(Value::String(plan)) = z.get("plan").cloned() {
            z.insert("plan".to_owned(), json!({"legacy_id": plan}));
        }
        z.remove("jump_start");
        z.remove("zone_id");
        z.insert("id".to_owned(), Value::String(id.clone()));
        if !z.contains_key("name") {
            let reason = inst
                .unknown
                .get("name")
                .cloned()
                .unwrap_or_else(|| "absent".to_owned());
            self.unevaluated.push(Unevaluated {
                address: inst.address.clone(),
                attribute: "name".to_owned(),
                why: format!("{reason}; the zone is named by its id"),
                file: inst.file.clone(),
                line: inst.line,
            });
        }
        let acc = self.zone_acc(&id);
        if acc.zone.is_some() {
            self.notes.push(format!(
                "zone {id} is described by more than one cloudflare_zone; the last ({}) is kept",
                inst.address
            ));
        }
        let acc = self.zone_acc(&id);
        acc.zone = Some(z);
        if account_id.is_some() {
            acc.account_id = account_id.clone();
        }
        if let Some(account) = &account_id {
            self.account_acc(account);
        }
        self.record(
            &inst,
            SnapshotItem {
                zone_id: Some(id.clone()),
                account_id: None,
                section: "zone".to_owned(),
                key: id.clone(),
            },
            Some(id),
        );
        Ok(())
    }

    fn add_setting(&mut self, inst: &Instance, zone_id: &str, setting: ZoneSetting) {
        let id = setting.id.clone();
        let acc = self.zone_acc(zone_id);
        mark(&mut acc.managed, "settings");
        let previous = acc.setting_owner.insert(id.clone(), inst.address.clone());
        match acc.settings.iter_mut().find(|s| s.id == id) {
            Some(existing) => *existing = setting,
            None => acc.settings.push(setting),
        }
        if let Some(previous) = previous.filter(|p| *p != inst.address) {
            self.notes.push(format!(
                "zone {zone_id}: setting {id} is set by both {previous} and {}; the last is kept",
                inst.address
            ));
        }
    }

    fn zone_setting(&mut self, inst: Instance) -> Result<()> {
        let Some(zone_id) = self.required(&inst, &["zone_id"]) else {
            return Ok(());
        };
        let Some(setting_id) = self.required(&inst, &["setting_id"]) else {
            return Ok(());
        };
        let mut s = inst.attributes.clone();
        s.remove("zone_id");
        s.remove("setting_id");
        s.insert("id".to_owned(), Value::String(setting_id.clone()));
        if !s.contains_key("value") {
            self.required(&inst, &["value"]);
            return Ok(());
        }
        let setting: ZoneSetting = self.typed(Value::Object(s), &inst.address)?;
        self.add_setting(&inst, &zone_id, setting);
        self.record(
            &inst,
            SnapshotItem {
                zone_id: Some(zone_id.clone()),
                account_id: None,
                section: "settings".to_owned(),
                key: setting_id.clone(),
            },
            Some(format!("{zone_id}/{setting_id}")),
        );
        Ok(())
    }

    /// v4: one resource holding every setting in `settings[0]`.
    fn zone_settings_override(&mut self, inst: Instance) -> Result<()> {
        let Some(zone_id) = self.required(&inst, &["zone_id"]) else {
            return Ok(());
        };
        let settings = match inst.attributes.get("settings").cloned().map(single) {
            Some(Value::Object(s)) => s,
            _ => Map::new(),
        };
        let mut count = 0;
        for (key, value) in settings {
            let Some(value) = v4_setting_value(&key, value) else {
                continue;
            };
            let id = if key == "zero_rtt" {
                "0rtt".to_owned()
            } else {
                key
            };
            let setting: ZoneSetting =
                self.typed(json!({"id": id, "value": value}), &inst.address)?;
            self.add_setting(&inst, &zone_id, setting);
            self.record(
                &inst,
                SnapshotItem {
                    zone_id: Some(zone_id.clone()),
                    account_id: None,
                    section: "settings".to_owned(),
                    key: id,
                },
                Some(zone_id.clone()),
            );
            count += 1;
        }
        if count == 0 {
            self.notes.push(format!(
                "{}: sets no zone setting (its `settings` is empty in the input)",
                inst.address
            ));
        }
        Ok(())
    }

    fn dns_record(&mut self, inst: Instance) -> Result<()> {
        let Some(zone_id) = self.required(&inst, &["zone_id"]) else {
            return Ok(());
        };
        let Some(name) = self.required(&inst, &["hostname", "name"]) else {
            return Ok(());
        };
        let Some(record_type) = self.required(&inst, &["type"]) else {
            return Ok(());
        };
        let mut r = inst.attributes.clone();
        for key in [
            "zone_id",
            "zone_name",
            "hostname",
            "allow_overwrite",
            "timeouts",
        ] {
            r.remove(key);
        }
        // v4: `value` is the content.
        if let Some(value) = r.remove("value") {
            r.entry("content").or_insert(value);
        }
        if let Some(data) = r.remove("data").map(single) {
            let data = match data {
                Value::Object(mut d) if record_type == "CAA" => {
                    // The API's CAA flags are a number; the provider stores them as text.
                    if let Some(flags) = d.get("flags").and_then(Value::as_str) {
                        if let Ok(n) = flags.parse::<u64>() {
                            d.insert("flags".to_owned(), json!(n));
                        }
                    }
                    Value::Object(d)
                }
                Value::Array(items) if items.is_empty() => Value::Null,
                other => other,
            };
            if !data.is_null() {
                r.insert("data".to_owned(), data);
            }
        }
        let name = match self.zone_name(&zone_id) {
            Some(zone) => fqdn(&name, &zone),
            None => name,
        };
        r.insert("name".to_owned(), Value::String(name.clone()));
        let record: DnsRecord = self.typed(Value::Object(r), &inst.address)?;
        let (key, import_id) = match record.id.as_deref() {
            Some(id) => (id.to_owned(), Some(format!("{zone_id}/{id}"))),
            None => (
                format!("{record_type} {name} {}", record.content_str()),
                None,
            ),
        };
        let acc = self.zone_acc(&zone_id);
        mark(&mut acc.managed, "dns_records");
        acc.records.push(record);
        self.record(
            &inst,
            SnapshotItem {
                zone_id: Some(zone_id),
                account_id: None,
                section: "dns_records".to_owned(),
                key,
            },
            import_id,
        );
        Ok(())
    }

    fn dnssec(&mut self, inst: Instance) -> Result<()> {
        let Some(zone_id) = self.required(&inst, &["zone_id"]) else {
            return Ok(());
        };
        let mut d = inst.attributes.clone();
        d.remove("zone_id");
        d.remove("id");
        let dnssec: Dnssec = self.typed(Value::Object(d), &inst.address)?;
        let acc = self.zone_acc(&zone_id);
        mark(&mut acc.managed, "dnssec");
        if let Some((previous, _)) = acc.dnssec.replace((inst.address.clone(), dnssec)) {
            self.notes.push(format!(
                "zone {zone_id}: DNSSEC is set by both {previous} and {}; the last is kept",
                inst.address
            ));
        }
        self.record(
            &inst,
            SnapshotItem {
                zone_id: Some(zone_id.clone()),
                account_id: None,
                section: "dnssec".to_owned(),
                key: "dnssec".to_owned(),
            },
            Some(zone_id),
        );
        Ok(())
    }

    fn ruleset(&mut self, inst: Instance) -> Result<()> {
        let zone_id = text(&inst.attributes, "zone_id");
        let account_id = text(&inst.attributes, "account_id");
        if zone_id.is_none() && account_id.is_none() {
            self.required(&inst, &["zone_id", "account_id"]);
            return Ok(());
        }
        let mut r = inst.attributes.clone();
        r.remove("zone_id");
        r.remove("account_id");
        if let Some(Value::Array(rules)) = r.remove("rules") {
            let rules: Vec<Value> = rules.into_iter().map(v4_rule).collect();
            r.insert("rules".to_owned(), Value::Array(rules));
        }
        let ruleset: Ruleset = self.typed(Value::Object(r.clone()), &inst.address)?;
        let id = ruleset.id.as_deref().map(str::to_owned);
        let entrypoint = matches!(
            ruleset.kind.get().map(|k| k.as_str()),
            Some("zone" | "root")
        );
        let phase = ruleset.phase.get().map(|p| p.to_string());
        let key = match (&phase, &id) {
            (Some(phase), _) if entrypoint => phase.clone(),
            (_, Some(id)) => id.clone(),
            _ => text(&r, "name").unwrap_or_else(|| inst.address.clone()),
        };
        if let Some(zone_id) = zone_id {
            let acc = self.zone_acc(&zone_id);
            mark(&mut acc.managed, "rulesets");
            let same = acc.rulesets.iter().position(|(_, existing)| {
                entrypoint && existing.phase == ruleset.phase && existing.kind == ruleset.kind
            });
            let previous = match same {
                Some(i) => {
                    Some(std::mem::replace(&mut acc.rulesets[i], (inst.address.clone(), ruleset)).0)
                }
                None => {
                    acc.rulesets.push((inst.address.clone(), ruleset));
                    None
                }
            };
            if let Some(previous) = previous {
                self.notes.push(format!(
                    "zone {zone_id}: the {key} entrypoint is set by both {previous} and {}; the last is kept",
                    inst.address
                ));
            }
            let import_id = id.map(|id| format!("zones/{zone_id}/{id}"));
            self.record(
                &inst,
                SnapshotItem {
                    zone_id: Some(zone_id),
                    account_id: None,
                    section: "rulesets".to_owned(),
                    key,
                },
                import_id,
            );
        } else if let Some(account_id) = account_id {
            let acc = self.account_acc(&account_id);
            mark(&mut acc.managed, "rulesets");
            acc.rulesets.push(Value::Object(r));
            let import_id = id.map(|id| format!("accounts/{account_id}/{id}"));
            self.record(
                &inst,
                SnapshotItem {
                    zone_id: None,
                    account_id: Some(account_id),
                    section: "rulesets".to_owned(),
                    key,
                },
                import_id,
            );
        }
        Ok(())
    }

    fn bot_management(&mut self, inst: Instance) -> Result<()> {
        let Some(zone_id) = self.required(&inst, &["zone_id"]) else {
            return Ok(());
        };
        let mut b = inst.attributes.clone();
        b.remove("zone_id");
        b.remove("id");
        let bot: BotManagement = self.typed(Value::Object(b), &inst.address)?;
        let acc = self.zone_acc(&zone_id);
        mark(&mut acc.managed, "bot_management");
        if let Some((previous, _)) = acc.bot.replace((inst.address.clone(), bot)) {
            self.notes.push(format!(
                "zone {zone_id}: bot management is set by both {previous} and {}; the last is kept",
                inst.address
            ));
        }
        self.record(
            &inst,
            SnapshotItem {
                zone_id: Some(zone_id.clone()),
                account_id: None,
                section: "bot_management".to_owned(),
                key: "bot_management".to_owned(),
            },
            Some(zone_id),
        );
        Ok(())
    }

    fn list(&mut self, inst: Instance) -> Result<()> {
        let Some(account_id) = self.required(&inst, &["account_id"]) else {
            return Ok(());
        };
        let mut l = inst.attributes.clone();
        l.remove("account_id");
        let items = l.remove("items").or_else(|| l.remove("item"));
        let id = match text(&l, "id") {
            Some(id) => id,
            None => {
                let Some(name) = self.required(&inst, &["name"]) else {
                    return Ok(());
                };
                self.notes.push(format!(
                    "{}: the list's id is not known yet; it is identified by its name {name:?}",
                    inst.address
                ));
                l.insert("id".to_owned(), Value::String(name.clone()));
                name
            }
        };
        let list: RulesList = self.typed(Value::Object(l), &inst.address)?;
        let items = match items {
            Some(Value::Array(items)) => items.into_iter().map(list_item).collect(),
            _ => Vec::new(),
        };
        let items: Vec<ListItem> =
            self.typed(Value::Array(items), &format!("{}.items", inst.address))?;
        let acc = self.account_acc(&account_id);
        mark(&mut acc.managed, "lists");
        acc.lists.push(ListSnapshot {
            list,
            items,
            extra: Map::new(),
        });
        self.record(
            &inst,
            SnapshotItem {
                zone_id: None,
                account_id: Some(account_id.clone()),
                section: "lists".to_owned(),
                key: id.clone(),
            },
            Some(format!("{account_id}/{id}")),
        );
        Ok(())
    }

    fn list_item(&mut self, inst: Instance) -> Result<()> {
        let Some(account_id) = self.required(&inst, &["account_id"]) else {
            return Ok(());
        };
        let Some(list_id) = self.required(&inst, &["list_id"]) else {
            return Ok(());
        };
        let mut i = inst.attributes.clone();
        i.remove("account_id");
        i.remove("list_id");
        let item: ListItem = self.typed(list_item(Value::Object(i)), &inst.address)?;
        let key = item
            .id
            .as_deref()
            .map(str::to_owned)
            .or_else(|| item.ip.as_deref().map(str::to_owned))
            .or_else(|| item.asn.copied().map(|a| a.to_string()))
            .unwrap_or_else(|| inst.address.clone());
        let import_id = item
            .id
            .as_deref()
            .map(|id| format!("{account_id}/{list_id}/{id}"));
        let acc = self.account_acc(&account_id);
        mark(&mut acc.managed, "lists");
        let created = match acc.lists.iter_mut().find(|l| l.list.id == list_id) {
            Some(list) => {
                list.items.push(item);
                false
            }
            None => {
                acc.lists.push(ListSnapshot {
                    list: RulesList {
                        id: list_id.clone(),
                        name: Field::Absent,
                        kind: Field::Absent,
                        num_items: Field::Absent,
                        extra: Map::new(),
                    },
                    items: vec![item],
                    extra: Map::new(),
                });
                true
            }
        };
        if created {
            self.notes.push(format!(
                "list {list_id} has items in Terraform ({}) but is not itself a cloudflare_list there",
                inst.address
            ));
        }
        self.record(
            &inst,
            SnapshotItem {
                zone_id: None,
                account_id: Some(account_id),
                section: "list_items".to_owned(),
                key: format!("{list_id}/{key}"),
            },
            import_id,
        );
        Ok(())
    }

    fn tunnel(&mut self, inst: Instance) -> Result<()> {
        let Some(account_id) = self.required(&inst, &["account_id"]) else {
            return Ok(());
        };
        let mut t = inst.attributes.clone();
        t.remove("account_id");
        t.remove("cname");
        for secret in SECRETS {
            t.remove(*secret);
        }
        let id = match text(&t, "id") {
            Some(id) => id,
            None => {
                let Some(name) = self.required(&inst, &["name"]) else {
                    return Ok(());
                };
                self.notes.push(format!(
                    "{}: the tunnel's id is not known yet; it is identified by its name {name:?}",
                    inst.address
                ));
                t.insert("id".to_owned(), Value::String(name.clone()));
                name
            }
        };
        let tunnel: Tunnel = self.typed(Value::Object(t), &inst.address)?;
        let acc = self.account_acc(&account_id);
        mark(&mut acc.managed, "tunnels");
        match acc.tunnels.iter_mut().find(|s| s.tunnel.id == id) {
            Some(existing) => existing.tunnel = tunnel,
            None => acc.tunnels.push(TunnelSnapshot {
                tunnel,
                configuration: None,
                connections: Vec::new(),
                extra: Map::new(),
            }),
        }
        self.record(
            &inst,
            SnapshotItem {
                zone_id: None,
                account_id: Some(account_id.clone()),
                section: "tunnels".to_owned(),
                key: id.clone(),
            },
            Some(format!("{account_id}/{id}")),
        );
        Ok(())
    }

    fn tunnel_config(&mut self, inst: Instance) -> Result<()> {
        let Some(account_id) = self.required(&inst, &["account_id"]) else {
            return Ok(());
        };
        let Some(tunnel_id) = self.required(&inst, &["tunnel_id"]) else {
            return Ok(());
        };
        let mut c = inst.attributes.clone();
        c.remove("account_id");
        c.remove("id");
        if let Some(config) = c.remove("config") {
            c.insert("config".to_owned(), api_tunnel_config(config));
        }
        c.insert("tunnel_id".to_owned(), Value::String(tunnel_id.clone()));
        let configuration: TunnelConfiguration = self.typed(Value::Object(c), &inst.address)?;
        let acc = self.account_acc(&account_id);
        mark(&mut acc.managed, "tunnel_configuration");
        acc.configured += 1;
        let created = match acc.tunnels.iter_mut().find(|t| t.tunnel.id == tunnel_id) {
            Some(t) => {
                t.configuration = Some(configuration);
                false
            }
            None => {
                acc.tunnels.push(TunnelSnapshot {
                    tunnel: Tunnel {
                        id: tunnel_id.clone(),
                        name: Field::Absent,
                        status: Field::Absent,
                        deleted_at: Field::Absent,
                        extra: Map::new(),
                    },
                    configuration: Some(configuration),
                    connections: Vec::new(),
                    extra: Map::new(),
                });
                true
            }
        };
        if created {
            self.notes.push(format!(
                "tunnel {tunnel_id} has a configuration in Terraform ({}) but is not itself a tunnel resource there",
                inst.address
            ));
        }
        self.record(
            &inst,
            SnapshotItem {
                zone_id: None,
                account_id: Some(account_id.clone()),
                section: "tunnel_configuration".to_owned(),
                key: tunnel_id.clone(),
            },
            Some(format!("{account_id}/{tunnel_id}")),
        );
        Ok(())
    }

    /// Assembles zones and accounts, and records a gap for every section Terraform leaves out.
    fn finish(&mut self, snapshot: &mut Snapshot) -> Result<()> {
        for acc in std::mem::take(&mut self.zones) {
            let mut zone_map = acc.zone.unwrap_or_default();
            let name = match text(&zone_map, "name") {
                Some(name) => name,
                None => {
                    self.notes.push(format!(
                        "zone {}: no cloudflare_zone describes it, so it is named by its id (drift matches zones by id)",
                        acc.id
                    ));
                    acc.id.clone()
                }
            };
            zone_map.insert("id".to_owned(), Value::String(acc.id.clone()));
            zone_map.insert("name".to_owned(), Value::String(name.clone()));
            if let Some(account) = &acc.account_id {
                zone_map
                    .entry("account")
                    .or_insert_with(|| json!({"id": account}));
            }
            let zone: Zone = self.typed(Value::Object(zone_map), &format!("zone {}", acc.id))?;
            for (section, resource) in ZONE_SECTIONS {
                if !acc.managed.contains(section) {
                    snapshot.gaps.push(Gap {
                        zone: Some(name.clone()),
                        account: None,
                        section: (*section).to_owned(),
                        reason: format!("not managed by Terraform (no {resource} for this zone)"),
                    });
                }
            }
            snapshot.zones.push(ZoneSnapshot {
                zone,
                settings: acc.settings,
                dns_records: acc.records,
                dnssec: acc.dnssec.map(|(_, d)| d),
                rulesets: acc.rulesets.into_iter().map(|(_, r)| r).collect(),
                bot_management: acc.bot.map(|(_, b)| b),
                extra: Map::new(),
            });
        }
        for acc in std::mem::take(&mut self.accounts) {
            let mut gaps = Vec::new();
            if acc.tunnels.is_empty() {
                gaps.push(("tunnels", "not managed by Terraform (no cloudflare_zero_trust_tunnel_cloudflared for this account)"));
            }
            if acc.configured == 0 {
                gaps.push(("tunnel_configuration", "not managed by Terraform (no cloudflare_zero_trust_tunnel_cloudflared_config for this account)"));
            }
            gaps.push((
                "tunnel_connections",
                "live state: Terraform does not describe tunnel connections",
            ));
            if !acc.managed.contains(&"lists") {
                gaps.push((
                    "lists",
                    "not managed by Terraform (no cloudflare_list for this account)",
                ));
            }
            for (section, reason) in gaps {
                snapshot.gaps.push(Gap {
                    zone: None,
                    account: Some(acc.id.clone()),
                    section: section.to_owned(),
                    reason: reason.to_owned(),
                });
            }
            let mut extra = Map::new();
            if !acc.rulesets.is_empty() {
                // The snapshot contract has no account rulesets yet; kept so nothing is lost.
                extra.insert("rulesets".to_owned(), Value::Array(acc.rulesets));
            }
            snapshot.accounts.push(AccountSnapshot {
                account: Account {
                    id: acc.id,
                    name: Field::Absent,
                    extra: Map::new(),
                },
                tunnels: acc.tunnels,
                lists: acc.lists,
                extra,
            });
        }
        Ok(())
    }
}

fn mark(managed: &mut Vec<&'static str>, section: &'static str) {
    if !managed.contains(&section) {
        managed.push(section);
    }
}

/// A v4 `settings` member as the API's value; `None` for the empty values v4 stores for settings
/// it does not set.
fn v4_setting_value(key: &str, value: Value) -> Option<Value> {
    let value = single(value);
    match &value {
        Value::String(s) if s.is_empty() => return None,
        Value::Array(items) if items.is_empty() => return None,
        _ => {}
    }
    Some(match key {
        // v4 flattens the API's `{"strict_transport_security": {...}}`.
        "security_header" => match value {
            Value::Object(hsts) if !hsts.contains_key("strict_transport_security") => {
                json!({"strict_transport_security": hsts})
            }
            other => other,
        },
        _ => value,
    })
}

/// Members of a rule's `action_parameters` (and below) that are lists in the API; v4 blocks that
/// are not in here are single objects.
const LIST_MEMBERS: &[&str] = &[
    "rules",
    "categories",
    "cookie_fields",
    "request_fields",
    "response_fields",
    "transformed_request_fields",
    "phases",
    "products",
    "rulesets",
    "status_code_ttl",
    "characteristics",
    "list",
    "algorithms",
    "origin_error_page_passthru",
];

/// A v4 rule (blocks as lists of one object, headers as a list with names, skipped rules as
/// comma-separated text) in the API's shape. v5 rules pass through unchanged.
fn v4_rule(rule: Value) -> Value {
    let Value::Object(mut rule) = rule else {
        return rule;
    };
    let is_v4 = rule.get("action_parameters").is_some_and(Value::is_array)
        || rule.get("ratelimit").is_some_and(Value::is_array)
        || rule.get("logging").is_some_and(Value::is_array);
    if !is_v4 {
        return Value::Object(rule);
    }
    for key in [
        "action_parameters",
        "ratelimit",
        "logging",
        "exposed_credential_check",
    ] {
        match rule.remove(key).map(single) {
            Some(Value::Array(items)) if items.is_empty() => {}
            Some(v) => {
                rule.insert(key.to_owned(), collapse_blocks(v));
            }
            None => {}
        }
    }
    Value::Object(rule)
}

fn collapse_blocks(value: Value) -> Value {
    let Value::Object(map) = value else {
        return value;
    };
    let mut out = Map::new();
    for (key, v) in map {
        let v = match (key.as_str(), v) {
            ("headers", Value::Array(headers)) => {
                let mut named = Map::new();
                for h in headers {
                    if let Value::Object(mut h) = h {
                        if let Some(Value::String(name)) = h.remove("name") {
                            named.insert(name, Value::Object(h));
                        }
                    }
                }
                Value::Object(named)
            }
            // `rules = { "<ruleset id>" = "<rule id>,<rule id>" }` in v4.
            ("rules", Value::Object(by_ruleset)) => Value::Object(
                by_ruleset
                    .into_iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => (
                            k,
                            Value::Array(s.split(',').map(|id| json!(id.trim())).collect()),
                        ),
                        other => (k, other),
                    })
                    .collect(),
            ),
            (k, Value::Array(items)) if LIST_MEMBERS.contains(&k) => {
                Value::Array(items.into_iter().map(collapse_blocks).collect())
            }
            (_, Value::Array(items)) if items.iter().all(Value::is_object) => match items.len() {
                0 => continue,
                1 => collapse_blocks(single(Value::Array(items))),
                _ => Value::Array(items.into_iter().map(collapse_blocks).collect()),
            },
            (_, v) => collapse_blocks(v),
        };
        out.insert(key, v);
    }
    Value::Object(out)
}

/// A list item (v5 `items[]`, v4 `item` block or `cloudflare_list_item`) in the API's shape.
fn list_item(item: Value) -> Value {
    let Value::Object(mut item) = item else {
        return item;
    };
    // v4 `item { value { ip = ... } comment = ... }`.
    if let Some(Value::Object(value)) = item.remove("value").map(single) {
        for (k, v) in value {
            item.insert(k, v);
        }
    }
    for key in ["hostname", "redirect"] {
        if let Some(v) = item.remove(key).map(single) {
            if matches!(&v, Value::Array(a) if a.is_empty()) {
                continue;
            }
            item.insert(key.to_owned(), v4_switches(v));
        }
    }
    Value::Object(item)
}

/// v4 redirect options are `"enabled"`/`"disabled"`; the API's are booleans.
fn v4_switches(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match v.as_str() {
                    Some("enabled") => (k, Value::Bool(true)),
                    Some("disabled") => (k, Value::Bool(false)),
                    _ => (k, v),
                })
                .collect(),
        ),
        other => other,
    }
}

/// A tunnel's `config` (v5 object or v4 block) in the API's shape: `ingress` with
/// `originRequest`, `warp-routing`.
fn api_tunnel_config(config: Value) -> Value {
    let Value::Object(c) = single(config) else {
        return Value::Null;
    };
    let mut out = Map::new();
    for (key, value) in c {
        match key.as_str() {
            "ingress" | "ingress_rule" => {
                let rules = match value {
                    Value::Array(rules) => rules.into_iter().map(api_ingress_rule).collect(),
                    _ => Vec::new(),
                };
                out.insert("ingress".to_owned(), Value::Array(rules));
            }
            "origin_request" => {
                out.insert("originRequest".to_owned(), api_origin_request(value));
            }
            "warp_routing" => {
                out.insert("warp-routing".to_owned(), single(value));
            }
            _ => {
                out.insert(key, value);
            }
        }
    }
    Value::Object(out)
}

fn api_ingress_rule(rule: Value) -> Value {
    let Value::Object(rule) = rule else {
        return rule;
    };
    Value::Object(
        rule.into_iter()
            .map(|(k, v)| match k.as_str() {
                "origin_request" => ("originRequest".to_owned(), api_origin_request(v)),
                _ => (k, v),
            })
            .collect(),
    )
}

fn api_origin_request(value: Value) -> Value {
    let value = match single(value) {
        Value::Object(mut m) => {
            // v4 `access` is a block too.
            if let Some(access) = m.remove("access") {
                m.insert("access".to_owned(), single(access));
            }
            Value::Object(m)
        }
        other => other,
    };
    clean(rename_keys(value, to_camel)).unwrap_or(Value::Null)
}
