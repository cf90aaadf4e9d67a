//! The bundled demo account (`examples/snapshots/demo.json`), compiled into the library so every
//! front end can run without a token.

use super::Snapshot;

/// The demo snapshot's JSON text: 1 account, 3 zones with a mix of good and bad configuration.
pub const DEMO_SNAPSHOT_JSON: &str = include_str!("../../../examples/snapshots/demo.json");

/// The demo snapshot, parsed.
///
/// ```
/// let demo = cfcp::snapshot::demo();
/// assert_eq!(demo.stats().zones, 3);
/// ```
pub fn demo() -> Snapshot {
    // The file is checked by a test on every build, so this cannot fail in a released binary; fall
    // back to an empty snapshot rather than panic if someone edits it badly.
    Snapshot::from_json_str(DEMO_SNAPSHOT_JSON).unwrap_or_else(|_| {
        Snapshot::new(
            super::Timestamp::from_datetime(time::OffsetDateTime::UNIX_EPOCH),
            super::Source {
                kind: super::SourceKind::File,
                detail: super::Field::Absent,
                extra: Default::default(),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_loads_and_round_trips() {
        let snapshot = Snapshot::from_json_str(DEMO_SNAPSHOT_JSON)
            .expect("demo.json must be a valid snapshot");
        let original: serde_json::Value = serde_json::from_str(DEMO_SNAPSHOT_JSON).unwrap();
        assert_eq!(snapshot.to_value(), original);
    }

    #[test]
    fn demo_is_rich_enough_for_the_checks() {
        let stats = demo().stats();
        assert_eq!(stats.zones, 3);
        assert!(stats.dns_records >= 60, "{stats:?}");
        assert!(
            stats.tunnels >= 2 && stats.lists >= 1 && stats.rulesets >= 3,
            "{stats:?}"
        );
        let types: std::collections::BTreeSet<_> = demo()
            .zones
            .iter()
            .flat_map(|z| &z.dns_records)
            .map(|r| r.record_type.to_string())
            .collect();
        assert!(types.len() >= 10, "{types:?}");
    }
}
