//! The fake's mutable account state, kept as the JSON objects Cloudflare returns.
//!
//! Objects are stored exactly as the seed snapshot holds them, so reading them back through the API
//! gives the seed again; writes edit these objects the way Cloudflare would.

use std::collections::{HashMap, HashSet};

use cfcp::snapshot::Snapshot;
use serde_json::{Map, Value};

/// One zone and its sections.
#[derive(Debug, Clone)]
pub struct ZoneState {
    /// Zone id.
    pub id: String,
    /// Zone name.
    pub name: String,
    /// The zone object.
    pub zone: Value,
    /// Setting objects.
    pub settings: Vec<Value>,
    /// DNS record objects.
    pub dns_records: Vec<Value>,
    /// DNSSEC object or `null`.
    pub dnssec: Value,
    /// Entrypoint rulesets (with rules).
    pub rulesets: Vec<Value>,
    /// Bot management object or `null`.
    pub bot_management: Value,
    /// Other members of the zone snapshot.
    pub extra: Map<String, Value>,
}

impl ZoneState {
    /// The zone's account id, if the zone object names one.
    pub fn account_id(&self) -> Option<&str> {
        self.zone.get("account")?.get("id")?.as_str()
    }

    /// The plan name (`Enterprise Website`, ...).
    pub fn plan_name(&self) -> &str {
        self.zone
            .get("plan")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Whether the zone is on an Enterprise plan (TTLs down to 30 s).
    pub fn is_enterprise(&self) -> bool {
        self.plan_name().to_ascii_lowercase().contains("enterprise")
    }

    /// Index of the record with this id.
    pub fn record_index(&self, id: &str) -> Option<usize> {
        self.dns_records
            .iter()
            .position(|r| r.get("id").and_then(Value::as_str) == Some(id))
    }

    /// Index of the entrypoint ruleset of `phase`.
    pub fn entrypoint_index(&self, phase: &str) -> Option<usize> {
        self.rulesets
            .iter()
            .position(|r| r.get("phase").and_then(Value::as_str) == Some(phase))
    }

    /// Index of the ruleset with this id.
    pub fn ruleset_index(&self, id: &str) -> Option<usize> {
        self.rulesets
            .iter()
            .position(|r| r.get("id").and_then(Value::as_str) == Some(id))
    }
}

/// A tunnel with its configuration and connectors.
#[derive(Debug, Clone)]
pub struct TunnelState {
    /// The `cfd_tunnel` object.
    pub tunnel: Value,
    /// Configuration or `null`.
    pub configuration: Value,
    /// Connector objects.
    pub connections: Vec<Value>,
    /// The tunnel secret (base64) once rotated; before that one derived from the id. Never in
    /// snapshots: Cloudflare does not return it either.
    pub secret: Option<String>,
    /// Other members.
    pub extra: Map<String, Value>,
}

impl TunnelState {
    /// Tunnel id.
    pub fn id(&self) -> &str {
        self.tunnel.get("id").and_then(Value::as_str).unwrap_or("")
    }
}

/// A rules list with its items.
#[derive(Debug, Clone)]
pub struct ListState {
    /// The list object.
    pub list: Value,
    /// Item objects.
    pub items: Vec<Value>,
    /// Other members.
    pub extra: Map<String, Value>,
}

impl ListState {
    /// List id.
    pub fn id(&self) -> &str {
        self.list.get("id").and_then(Value::as_str).unwrap_or("")
    }
}

/// One account and its sections.
#[derive(Debug, Clone)]
pub struct AccountState {
    /// Account id.
    pub id: String,
    /// The account object.
    pub account: Value,
    /// Tunnels.
    pub tunnels: Vec<TunnelState>,
    /// Rules lists.
    pub lists: Vec<ListState>,
    /// Other members.
    pub extra: Map<String, Value>,
}

/// The whole state.
#[derive(Debug, Clone)]
pub struct State {
    /// Top-level members other than `accounts` and `zones` (format, taken_at, source, gaps, ...).
    pub head: Map<String, Value>,
    /// Accounts in seed order.
    pub accounts: Vec<AccountState>,
    /// Zones in seed order.
    pub zones: Vec<ZoneState>,
    /// Zone id → index in `zones`.
    pub zone_index: HashMap<String, usize>,
    /// Sections the seed could not read (from its `gaps`): `(zone name or account id, section)`.
    /// The fake answers 403 for them so a client snapshot reproduces the gaps.
    pub forbidden: HashSet<(String, String)>,
    /// Rules-list bulk operations, by id.
    pub operations: HashMap<String, Value>,
}

fn take_array(m: &mut Map<String, Value>, key: &str) -> Vec<Value> {
    match m.remove(key) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

fn take_object(m: Value) -> Map<String, Value> {
    match m {
        Value::Object(o) => o,
        _ => Map::new(),
    }
}

impl State {
    /// The state a seed snapshot describes.
    pub fn from_snapshot(seed: &Snapshot) -> State {
        let mut head = take_object(seed.to_value());
        let accounts = take_array(&mut head, "accounts")
            .into_iter()
            .map(|a| {
                let mut a = take_object(a);
                let account = a.remove("account").unwrap_or(Value::Null);
                let id = account
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let tunnels = take_array(&mut a, "tunnels")
                    .into_iter()
                    .map(|t| {
                        let mut t = take_object(t);
                        TunnelState {
                            tunnel: t.remove("tunnel").unwrap_or(Value::Null),
                            configuration: t.remove("configuration").unwrap_or(Value::Null),
                            connections: take_array(&mut t, "connections"),
                            secret: None,
                            extra: t,
                        }
                    })
                    .collect();
                let lists = take_array(&mut a, "lists")
                    .into_iter()
                    .map(|l| {
                        let mut l = take_object(l);
                        ListState {
                            list: l.remove("list").unwrap_or(Value::Null),
                            items: take_array(&mut l, "items"),
                            extra: l,
                        }
                    })
                    .collect();
                AccountState {
                    id,
                    account,
                    tunnels,
                    lists,
                    extra: a,
                }
            })
            .collect();
        let zones: Vec<ZoneState> = take_array(&mut head, "zones")
            .into_iter()
            .map(|z| {
                let mut z = take_object(z);
                let zone = z.remove("zone").unwrap_or(Value::Null);
                ZoneState {
                    id: zone
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    name: zone
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    zone,
                    settings: take_array(&mut z, "settings"),
                    dns_records: take_array(&mut z, "dns_records"),
                    dnssec: z.remove("dnssec").unwrap_or(Value::Null),
                    rulesets: take_array(&mut z, "rulesets"),
                    bot_management: z.remove("bot_management").unwrap_or(Value::Null),
                    extra: z,
                }
            })
            .collect();
        let zone_index = zones
            .iter()
            .enumerate()
            .map(|(i, z)| (z.id.clone(), i))
            .collect();
        let mut forbidden = HashSet::new();
        for gap in &seed.gaps {
            let owner = gap
                .zone
                .clone()
                .or_else(|| gap.account.clone())
                .unwrap_or_default();
            forbidden.insert((owner, gap.section.clone()));
        }
        State {
            head,
            accounts,
            zones,
            zone_index,
            forbidden,
            operations: HashMap::new(),
        }
    }

    /// The state as a JSON snapshot value.
    pub fn to_value(&self) -> Value {
        let mut top = self.head.clone();
        let accounts: Vec<Value> = self
            .accounts
            .iter()
            .map(|a| {
                let mut m = Map::new();
                m.insert("account".into(), a.account.clone());
                let tunnels = a
                    .tunnels
                    .iter()
                    .map(|t| {
                        let mut tm = Map::new();
                        tm.insert("tunnel".into(), t.tunnel.clone());
                        tm.insert("configuration".into(), t.configuration.clone());
                        tm.insert("connections".into(), Value::Array(t.connections.clone()));
                        tm.extend(t.extra.clone());
                        Value::Object(tm)
                    })
                    .collect();
                m.insert("tunnels".into(), Value::Array(tunnels));
                let lists = a
                    .lists
                    .iter()
                    .map(|l| {
                        let mut lm = Map::new();
                        lm.insert("list".into(), l.list.clone());
                        lm.insert("items".into(), Value::Array(l.items.clone()));
                        lm.extend(l.extra.clone());
                        Value::Object(lm)
                    })
                    .collect();
                m.insert("lists".into(), Value::Array(lists));
                m.extend(a.extra.clone());
                Value::Object(m)
            })
            .collect();
        let zones: Vec<Value> = self
            .zones
            .iter()
            .map(|z| {
                let mut m = Map::new();
                m.insert("zone".into(), z.zone.clone());
                m.insert("settings".into(), Value::Array(z.settings.clone()));
                m.insert("dns_records".into(), Value::Array(z.dns_records.clone()));
                m.insert("dnssec".into(), z.dnssec.clone());
                m.insert("rulesets".into(), Value::Array(z.rulesets.clone()));
                m.insert("bot_management".into(), z.bot_management.clone());
                m.extend(z.extra.clone());
                Value::Object(m)
            })
            .collect();
        top.insert("accounts".into(), Value::Array(accounts));
        top.insert("zones".into(), Value::Array(zones));
        Value::Object(top)
    }

    /// The state as a cfcp snapshot.
    pub fn to_snapshot(&self) -> Result<Snapshot, String> {
        serde_json::from_value(self.to_value()).map_err(|e| e.to_string())
    }

    /// The zone with this id.
    pub fn zone(&self, id: &str) -> Option<&ZoneState> {
        self.zone_index.get(id).and_then(|i| self.zones.get(*i))
    }

    /// The zone with this id, mutably.
    pub fn zone_mut(&mut self, id: &str) -> Option<&mut ZoneState> {
        let i = *self.zone_index.get(id)?;
        self.zones.get_mut(i)
    }

    /// The account with this id.
    pub fn account(&self, id: &str) -> Option<&AccountState> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// The account with this id, mutably.
    pub fn account_mut(&mut self, id: &str) -> Option<&mut AccountState> {
        self.accounts.iter_mut().find(|a| a.id == id)
    }

    /// Whether the seed recorded `section` of this zone (by name) or account (by id) as unreadable.
    pub fn is_forbidden(&self, owner: &str, section: &str) -> bool {
        !self.forbidden.is_empty()
            && self
                .forbidden
                .contains(&(owner.to_owned(), section.to_owned()))
    }
}
