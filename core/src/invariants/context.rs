//! What a check sees: the zone or account it runs on, the whole snapshot, and indexes built once
//! per run so that no check has to scan the snapshot again.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::net::IpAddr;

use super::{Resource, Status};
use crate::snapshot::{
    AccountSnapshot, DnsRecord, RecordType, Rule, Ruleset, Snapshot, TunnelSnapshot, ZoneSnapshot,
};

/// DNS records of the snapshot with their zones.
pub type ZoneRecords<'a> = Vec<(&'a ZoneSnapshot, &'a DnsRecord)>;

/// Lookups shared by every check of a run. Each is built on first use, so a run of a few checks
/// pays only for the lookups those checks need.
#[derive(Debug)]
pub struct SnapshotIndex<'a> {
    snapshot: &'a Snapshot,
    tunnels: OnceCell<HashMap<Cow<'a, str>, (&'a AccountSnapshot, &'a TunnelSnapshot)>>,
    records_by_name: OnceCell<HashMap<Cow<'a, str>, ZoneRecords<'a>>>,
    proxied_addresses: OnceCell<HashMap<IpAddr, ZoneRecords<'a>>>,
    zones_by_name: OnceCell<HashMap<Cow<'a, str>, &'a ZoneSnapshot>>,
}

/// `text` in lowercase, borrowed when it already is.
fn lowercase(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

impl<'a> SnapshotIndex<'a> {
    /// An index over `snapshot`; nothing is computed yet.
    pub fn build(snapshot: &'a Snapshot) -> Self {
        SnapshotIndex {
            snapshot,
            tunnels: OnceCell::new(),
            records_by_name: OnceCell::new(),
            proxied_addresses: OnceCell::new(),
            zones_by_name: OnceCell::new(),
        }
    }

    /// Tunnels by lowercase id, with their account.
    pub fn tunnels(&self) -> &HashMap<Cow<'a, str>, (&'a AccountSnapshot, &'a TunnelSnapshot)> {
        self.tunnels.get_or_init(|| {
            let snapshot: &'a Snapshot = self.snapshot;
            let mut map = HashMap::new();
            for account in &snapshot.accounts {
                for tunnel in &account.tunnels {
                    map.insert(lowercase(&tunnel.tunnel.id), (account, tunnel));
                }
            }
            map
        })
    }

    /// DNS records by lowercase name, across zones.
    pub fn records_by_name(&self) -> &HashMap<Cow<'a, str>, ZoneRecords<'a>> {
        self.records_by_name.get_or_init(|| {
            let snapshot: &'a Snapshot = self.snapshot;
            let count = snapshot.zones.iter().map(|z| z.dns_records.len()).sum();
            let mut map: HashMap<Cow<'a, str>, Vec<_>> = HashMap::with_capacity(count);
            for zone in &snapshot.zones {
                for record in &zone.dns_records {
                    map.entry(lowercase(&record.name))
                        .or_default()
                        .push((zone, record));
                }
            }
            map
        })
    }

    /// Addresses of proxied A/AAAA records, across zones: an unproxied record with one of these
    /// addresses reveals the origin behind the proxy. Each list is sorted by record name, then zone
    /// name, without duplicates, so that messages can quote the first few in O(1).
    pub fn proxied_addresses(&self) -> &HashMap<IpAddr, ZoneRecords<'a>> {
        self.proxied_addresses.get_or_init(|| {
            let snapshot: &'a Snapshot = self.snapshot;
            let mut map: HashMap<IpAddr, Vec<_>> = HashMap::new();
            for zone in &snapshot.zones {
                for record in &zone.dns_records {
                    if record.is_proxied()
                        && matches!(record.record_type, RecordType::A | RecordType::Aaaa)
                    {
                        if let Ok(ip) = record.content_str().trim().parse::<IpAddr>() {
                            map.entry(ip).or_default().push((zone, record));
                        }
                    }
                }
            }
            for records in map.values_mut() {
                records.sort_by(|(za, ra), (zb, rb)| {
                    (&ra.name, &za.zone.name).cmp(&(&rb.name, &zb.zone.name))
                });
                records.dedup_by(|(za, ra), (zb, rb)| {
                    ra.name == rb.name && za.zone.name == zb.zone.name
                });
            }
            map
        })
    }

    /// Zones by lowercase name (without a trailing dot).
    pub fn zones_by_name(&self) -> &HashMap<Cow<'a, str>, &'a ZoneSnapshot> {
        self.zones_by_name.get_or_init(|| {
            let snapshot: &'a Snapshot = self.snapshot;
            snapshot
                .zones
                .iter()
                .map(|zone| (lowercase(zone.zone.name.trim_end_matches('.')), zone))
                .collect()
        })
    }
}

/// A zone-level check's view.
#[derive(Debug)]
pub struct ZoneContext<'a> {
    /// The whole snapshot.
    pub snapshot: &'a Snapshot,
    /// The zone being checked.
    pub zone: &'a ZoneSnapshot,
    /// Shared lookups.
    pub index: &'a SnapshotIndex<'a>,
}

impl ZoneContext<'_> {
    /// The zone as a finding's resource.
    pub fn zone_resource(&self) -> Resource {
        Resource {
            kind: "zone".to_owned(),
            id: self.zone.zone.id.clone(),
            name: self.zone.zone.name.clone(),
            zone: Some(self.zone.zone.name.clone()),
        }
    }

    /// A DNS record of this zone as a finding's resource.
    pub fn record_resource(&self, record: &DnsRecord) -> Resource {
        Resource {
            kind: "dns_record".to_owned(),
            id: record
                .id
                .get()
                .cloned()
                .unwrap_or_else(|| format!("{} {}", record.record_type, record.name)),
            name: format!("{} {}", record.record_type, record.name),
            zone: Some(self.zone.zone.name.clone()),
        }
    }

    /// A ruleset of this zone as a finding's resource.
    pub fn ruleset_resource(&self, ruleset: &Ruleset) -> Resource {
        let phase = ruleset
            .phase
            .get()
            .map(|p| p.to_string())
            .unwrap_or_default();
        Resource {
            kind: "ruleset".to_owned(),
            id: ruleset.id.get().cloned().unwrap_or_else(|| phase.clone()),
            name: ruleset.name.get().cloned().unwrap_or(phase),
            zone: Some(self.zone.zone.name.clone()),
        }
    }

    /// A rule of one of this zone's rulesets as a finding's resource.
    pub fn rule_resource(&self, ruleset: &Ruleset, rule: &Rule) -> Resource {
        let position = ruleset
            .rules
            .iter()
            .position(|r| std::ptr::eq(r, rule))
            .map_or(0, |p| p + 1);
        Resource {
            kind: "rule".to_owned(),
            id: rule
                .id
                .get()
                .cloned()
                .unwrap_or_else(|| format!("{}#{position}", ruleset.id.as_deref().unwrap_or(""))),
            name: rule
                .description
                .get()
                .filter(|d| !d.is_empty())
                .cloned()
                .unwrap_or_else(|| {
                    format!(
                        "rule {position} of {}",
                        ruleset
                            .phase
                            .get()
                            .map(|p| p.to_string())
                            .unwrap_or_default()
                    )
                }),
            zone: Some(self.zone.zone.name.clone()),
        }
    }
}

/// An account-level check's view.
#[derive(Debug)]
pub struct AccountContext<'a> {
    /// The whole snapshot.
    pub snapshot: &'a Snapshot,
    /// The account being checked.
    pub account: &'a AccountSnapshot,
    /// Shared lookups.
    pub index: &'a SnapshotIndex<'a>,
}

impl AccountContext<'_> {
    /// The account as a finding's resource.
    pub fn account_resource(&self) -> Resource {
        Resource {
            kind: "account".to_owned(),
            id: self.account.account.id.clone(),
            name: self
                .account
                .account
                .name
                .get()
                .cloned()
                .unwrap_or_else(|| self.account.account.id.clone()),
            zone: None,
        }
    }

    /// A tunnel as a finding's resource.
    pub fn tunnel_resource(&self, tunnel: &TunnelSnapshot) -> Resource {
        Resource {
            kind: "tunnel".to_owned(),
            id: tunnel.tunnel.id.clone(),
            name: tunnel
                .tunnel
                .name
                .get()
                .cloned()
                .unwrap_or_else(|| tunnel.tunnel.id.clone()),
            zone: None,
        }
    }
}

/// Where a check puts its results: one call per resource it looked at.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub(crate) results: Vec<(Status, Resource, String)>,
}

impl Evaluation {
    /// The resource satisfies the invariant.
    pub fn pass(&mut self, resource: Resource, message: impl Into<String>) {
        self.results.push((Status::Pass, resource, message.into()));
    }

    /// The resource violates it; `message` gives the evidence.
    pub fn fail(&mut self, resource: Resource, message: impl Into<String>) {
        self.results.push((Status::Fail, resource, message.into()));
    }

    /// The snapshot cannot show either; `message` says what is missing.
    pub fn unknown(&mut self, resource: Resource, message: impl Into<String>) {
        self.results
            .push((Status::Unknown, resource, message.into()));
    }

    /// A pass or a fail.
    pub fn verdict(&mut self, ok: bool, resource: Resource, message: impl Into<String>) {
        if ok {
            self.pass(resource, message)
        } else {
            self.fail(resource, message)
        }
    }
}
