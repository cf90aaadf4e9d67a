//! [`name_by_terraform`]: gives drift items the Terraform address of the resource they came from,
//! so reports, `adopt`'s `removed {}` blocks and reviewers speak Terraform's language.

use serde_json::Value;

use super::{Drift, DriftItem, ResourceKind};
use crate::terraform::ResourceRef;

/// The sections the loader names for a kind (`tunnel_configuration` is a tunnel's config).
fn sections(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::Zone => &["zone"],
        ResourceKind::ZoneSetting => &["settings"],
        ResourceKind::DnsRecord => &["dns_records"],
        ResourceKind::ZoneDnssec => &["dnssec"],
        ResourceKind::Ruleset => &["rulesets"],
        ResourceKind::BotManagement => &["bot_management"],
        ResourceKind::Tunnel => &["tunnels"],
        ResourceKind::TunnelConfig => &["tunnel_configuration"],
        ResourceKind::List => &["lists"],
    }
}

/// The keys an item may be known by in the loader's [`crate::terraform::SnapshotItem`]: the
/// desired side's id, the last segment of the import id, the label, a ruleset's phase.
fn keys(item: &DriftItem) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    if let Some(id) = item.desired.get("id").and_then(Value::as_str) {
        keys.push(id.to_owned());
    }
    if let Some(last) = item.import_id.rsplit('/').next() {
        keys.push(last.to_owned());
    }
    keys.push(item.label.clone());
    if let Some(phase) = item.desired.get("phase").and_then(Value::as_str) {
        keys.push(phase.to_owned());
    }
    keys
}

/// Sets [`DriftItem::address`] for every item a Terraform resource describes.
///
/// ```
/// let snapshot = cfcp::snapshot::demo();
/// let state = cfcp::terraform::to_state(&snapshot);
/// let desired = cfcp::terraform::load_json(state.to_string().as_bytes(), "state").unwrap();
/// let mut live = snapshot.clone();
/// live.zones[0].dns_records[0].ttl = cfcp::snapshot::Field::Value(60);
/// live.zones[0].dns_records[0].proxied = cfcp::snapshot::Field::Value(false);
/// let mut drift = cfcp::drift::diff(&desired.snapshot, &live);
/// cfcp::drift::name_by_terraform(&mut drift, &desired.resources);
/// assert!(drift.items[0].address.as_deref().unwrap().starts_with("cloudflare_dns_record."));
/// ```
pub fn name_by_terraform(drift: &mut Drift, resources: &[ResourceRef]) {
    for item in &mut drift.items {
        let by_import = resources.iter().find(|r| {
            r.import_id.as_deref() == Some(item.import_id.as_str())
                && sections(item.kind).contains(&r.item.section.as_str())
        });
        let found = by_import.or_else(|| {
            let keys = keys(item);
            resources.iter().find(|r| {
                sections(item.kind).contains(&r.item.section.as_str())
                    && (r.item.zone_id.is_none() || r.item.zone_id == item.zone_id)
                    && (r.item.account_id.is_none() || r.item.account_id == item.account_id)
                    && keys.contains(&r.item.key)
            })
        });
        if let Some(r) = found {
            item.address = Some(r.address.clone());
        }
    }
}
