//! What a check sees: the zone or account it runs on, the whole snapshot, and indexes built once
//! per run so that no check has to scan the snapshot again.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::net::IpAddr;

use super::{Resource, SharedStr, Status, Text};
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
    /// Every record with a hash of its lowercase name, ordered by hash (then snapshot order):
    /// 24 bytes a record where a map of lists cost over 100, built by sorting integers, and
    /// read by binary search.
    records_by_name: OnceCell<Vec<(u64, &'a ZoneSnapshot, &'a DnsRecord)>>,
    proxied_addresses: OnceCell<HashMap<IpAddr, ZoneRecords<'a>>>,
    zones_by_name: OnceCell<HashMap<Cow<'a, str>, &'a ZoneSnapshot>>,
}

/// FNV-1a of `bytes`: fixed (a run is deterministic) and cheap; equal hashes are compared by
/// name anyway.
fn name_hash(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The bytes of `text` in ASCII lowercase, without allocating.
fn lowercase_bytes(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes().map(|b| b.to_ascii_lowercase())
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

    /// The DNS records, across zones, whose lowercase name is `name`, in snapshot order.
    pub fn records_named<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = (&'a ZoneSnapshot, &'a DnsRecord)> + 's {
        let records = self.records_by_name.get_or_init(|| {
            let snapshot: &'a Snapshot = self.snapshot;
            let count = snapshot.zones.iter().map(|z| z.dns_records.len()).sum();
            let mut records = Vec::with_capacity(count);
            for zone in &snapshot.zones {
                records.extend(
                    zone.dns_records
                        .iter()
                        .map(|record| (name_hash(lowercase_bytes(&record.name)), zone, record)),
                );
            }
            // Stable: records of one name stay in snapshot order.
            records.sort_by_key(|(hash, _, _)| *hash);
            records
        });
        let hash = name_hash(name.bytes());
        let start = records.partition_point(|(h, _, _)| *h < hash);
        records[start..]
            .iter()
            .take_while(move |(h, _, _)| *h == hash)
            .filter(move |(_, _, r)| lowercase_bytes(&r.name).eq(name.bytes()))
            .map(|(_, zone, record)| (*zone, *record))
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
    /// The zone's name and id, shared by all its findings.
    zone_name: SharedStr,
    zone_id: SharedStr,
    /// Each record's `(id, name)` once some check has named it, by position in `dns_records`:
    /// the zone's checks then share them instead of each formatting its own.
    records: RefCell<Vec<Option<(SharedStr, SharedStr)>>>,
}

impl<'a> ZoneContext<'a> {
    /// The view of `zone`, one per zone and run: every check of the zone shares its strings.
    pub(crate) fn new(
        snapshot: &'a Snapshot,
        zone: &'a ZoneSnapshot,
        index: &'a SnapshotIndex<'a>,
    ) -> Self {
        ZoneContext {
            snapshot,
            zone,
            index,
            zone_name: SharedStr::from(&zone.zone.name),
            zone_id: SharedStr::from(&zone.zone.id),
            records: RefCell::new(Vec::new()),
        }
    }

    /// The zone's name, shared.
    pub fn zone_name(&self) -> &SharedStr {
        &self.zone_name
    }

    /// The zone as a finding's resource.
    pub fn zone_resource(&self) -> Resource {
        Resource {
            kind: Text::Borrowed("zone"),
            id: self.zone_id.clone(),
            name: self.zone_name.clone(),
            zone: Some(self.zone_name.clone()),
        }
    }

    /// A DNS record of this zone as a finding's resource.
    pub fn record_resource(&self, record: &DnsRecord) -> Resource {
        let (id, name) = match self.record_position(record) {
            Some(at) => {
                let mut records = self.records.borrow_mut();
                if records.is_empty() {
                    records.resize(self.zone.dns_records.len(), None);
                }
                records[at]
                    .get_or_insert_with(|| record_names(record))
                    .clone()
            }
            None => record_names(record),
        };
        Resource {
            kind: Text::Borrowed("dns_record"),
            id,
            name,
            zone: Some(self.zone_name.clone()),
        }
    }

    /// Where `record` is in this zone's records, if it is one of them.
    fn record_position(&self, record: &DnsRecord) -> Option<usize> {
        let size = std::mem::size_of::<DnsRecord>();
        let offset = (record as *const DnsRecord as usize)
            .checked_sub(self.zone.dns_records.as_ptr() as usize)?;
        let at = offset / size;
        (offset % size == 0 && at < self.zone.dns_records.len()).then_some(at)
    }

    /// A ruleset of this zone as a finding's resource.
    pub fn ruleset_resource(&self, ruleset: &Ruleset) -> Resource {
        let phase = ruleset
            .phase
            .get()
            .map(|p| p.to_string())
            .unwrap_or_default();
        Resource {
            kind: Text::Borrowed("ruleset"),
            id: ruleset.id.as_deref().unwrap_or(&phase).into(),
            name: ruleset.name.as_deref().unwrap_or(&phase).into(),
            zone: Some(self.zone_name.clone()),
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
            kind: Text::Borrowed("rule"),
            id: match rule.id.get() {
                Some(id) => id.into(),
                None => format!("{}#{position}", ruleset.id.as_deref().unwrap_or("")).into(),
            },
            name: match rule.description.get().filter(|d| !d.is_empty()) {
                Some(description) => description.into(),
                None => format!(
                    "rule {position} of {}",
                    ruleset
                        .phase
                        .get()
                        .map(|p| p.to_string())
                        .unwrap_or_default()
                )
                .into(),
            },
            zone: Some(self.zone_name.clone()),
        }
    }
}

/// A record's finding id (Cloudflare's, or type and name when it has none) and name.
fn record_names(record: &DnsRecord) -> (SharedStr, SharedStr) {
    let kind = record.record_type.as_str();
    let mut name = String::with_capacity(kind.len() + 1 + record.name.len());
    name.push_str(kind);
    name.push(' ');
    name.push_str(&record.name);
    let name = SharedStr::from(name);
    let id = match record.id.get() {
        Some(id) => SharedStr::from(id),
        None => name.clone(),
    };
    (id, name)
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
        let account = &self.account.account;
        Resource {
            kind: Text::Borrowed("account"),
            id: account.id.as_str().into(),
            name: account.name.as_deref().unwrap_or(&account.id).into(),
            zone: None,
        }
    }

    /// A tunnel as a finding's resource.
    pub fn tunnel_resource(&self, tunnel: &TunnelSnapshot) -> Resource {
        let tunnel = &tunnel.tunnel;
        Resource {
            kind: Text::Borrowed("tunnel"),
            id: tunnel.id.as_str().into(),
            name: tunnel.name.as_deref().unwrap_or(&tunnel.id).into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot::from_json_str(
            r#"{"format":"cfcp.snapshot/v1","taken_at":"2026-11-01T12:00:00Z","source":{"kind":"file"},
            "accounts":[],"gaps":[],"zones":[
              {"zone":{"id":"za","name":"a.example"},"dns_records":[
                {"id":"1","name":"WWW.a.example","type":"A","content":"203.0.113.1"},
                {"id":"2","name":"mail.a.example","type":"A","content":"203.0.113.2"},
                {"id":"3","name":"www.a.example","type":"AAAA","content":"2001:db8::1"}]},
              {"zone":{"id":"zb","name":"b.example"},"dns_records":[
                {"id":"4","name":"www.a.example","type":"NS","content":"ns.b.example"}]}]}"#,
        )
        .unwrap()
    }

    fn ids(index: &SnapshotIndex<'_>, name: &str) -> Vec<String> {
        index
            .records_named(name)
            .map(|(zone, record)| format!("{}:{}", zone.zone.id, record.id.as_deref().unwrap()))
            .collect()
    }

    #[test]
    fn records_by_lowercase_name_in_snapshot_order() {
        let snapshot = snapshot();
        let index = SnapshotIndex::build(&snapshot);
        assert_eq!(ids(&index, "www.a.example"), ["za:1", "za:3", "zb:4"]);
        assert_eq!(ids(&index, "mail.a.example"), ["za:2"]);
        assert!(ids(&index, "nope.a.example").is_empty());
        assert!(ids(&index, "").is_empty());
        // Names are lowercased; the name asked for is taken as given (callers lowercase it).
        assert!(ids(&index, "WWW.a.example").is_empty());
    }

    #[test]
    fn a_zone_names_each_record_once_for_all_its_checks() {
        let snapshot = snapshot();
        let index = SnapshotIndex::build(&snapshot);
        let zone = &snapshot.zones[0];
        let ctx = ZoneContext::new(&snapshot, zone, &index);
        let (a, b) = (
            ctx.record_resource(&zone.dns_records[1]),
            ctx.record_resource(&zone.dns_records[1]),
        );
        assert_eq!(a.name, "A mail.a.example");
        assert!(std::ptr::eq(a.id.as_str(), b.id.as_str()));
        assert!(std::ptr::eq(a.name.as_str(), b.name.as_str()));
        // A record of another zone is named too, just not remembered.
        let other = &snapshot.zones[1].dns_records[0];
        let (c, d) = (ctx.record_resource(other), ctx.record_resource(other));
        assert_eq!((c.id.as_str(), c.name.as_str()), ("4", "NS www.a.example"));
        assert!(!std::ptr::eq(c.name.as_str(), d.name.as_str()));
        assert_eq!(c.zone.as_deref(), Some("a.example"));
    }
}
