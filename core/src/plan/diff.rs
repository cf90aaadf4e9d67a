//! What binds a plan to the zone it was made against ([`fingerprint`]) and what it would break
//! ([`newly_failing`]).

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::invariants::{self, Status};
use crate::snapshot::{Snapshot, ZoneSnapshot};

/// An invariant that does not fail before the change and fails after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFailure {
    /// The check (`dns_origin_exposed`).
    pub check_id: String,
    /// Its severity.
    pub severity: String,
    /// What it is about (record or rule name, or the zone).
    pub resource: String,
    /// What the check found.
    pub message: String,
}

/// SHA-256 (hex) of the zone's settings, DNS records, DNSSEC, rulesets and bot management: any
/// change to what a plan reads or writes changes it.
///
/// ```
/// let snapshot = cfcp::snapshot::demo();
/// let mut changed = snapshot.zones[0].clone();
/// assert_eq!(cfcp::plan::fingerprint(&changed), cfcp::plan::fingerprint(&snapshot.zones[0]));
/// changed.dns_records.pop();
/// assert_ne!(cfcp::plan::fingerprint(&changed), cfcp::plan::fingerprint(&snapshot.zones[0]));
/// ```
pub fn fingerprint(zone: &ZoneSnapshot) -> String {
    let sections = json!({
        "zone": zone.zone.id,
        "settings": zone.settings,
        "dns_records": zone.dns_records,
        "dnssec": zone.dnssec,
        "rulesets": zone.rulesets,
        "bot_management": zone.bot_management,
    });
    hex::encode(Sha256::digest(
        crate::audit::canonical_json(&sections).as_bytes(),
    ))
}

/// `snapshot` cut to zone `zone` (accounts kept: checks read lists and tunnels), so invariants
/// run on what the plan touches.
pub fn zone_only(snapshot: &Snapshot, zone: &str) -> Snapshot {
    let mut cut = Snapshot::new(snapshot.taken_at.clone(), snapshot.source.clone());
    cut.accounts = snapshot.accounts.clone();
    cut.zones = snapshot
        .zones
        .iter()
        .filter(|z| z.zone.name.eq_ignore_ascii_case(zone))
        .cloned()
        .collect();
    cut.gaps = snapshot
        .gaps
        .iter()
        .filter(|g| {
            g.zone
                .as_deref()
                .map_or(true, |z| z.eq_ignore_ascii_case(zone))
        })
        .cloned()
        .collect();
    cut
}

/// The invariants on zone `zone` that fail in `after` and did not fail in `before` (by check
/// and resource).
pub fn newly_failing(before: &Snapshot, after: &Snapshot, zone: &str) -> Vec<NewFailure> {
    let config = invariants::Config {
        zones: vec![zone.to_owned()],
        ..Default::default()
    };
    let failing = |s: &Snapshot| {
        invariants::run(s, &config)
            .findings
            .into_iter()
            .filter(|f| f.status == Status::Fail)
            .collect::<Vec<_>>()
    };
    let old = failing(before);
    failing(after)
        .into_iter()
        .filter(|f| {
            !old.iter().any(|o| {
                o.check_id == f.check_id
                    && o.resource.kind == f.resource.kind
                    && o.resource.name == f.resource.name
            })
        })
        .map(|f| NewFailure {
            check_id: f.check_id.to_string(),
            severity: f.severity.as_str().to_owned(),
            resource: f.resource.name.to_string(),
            message: f.message,
        })
        .collect()
}
