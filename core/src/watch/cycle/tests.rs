use super::*;
use crate::invariants::{self, Severity, Status};
use crate::snapshot::{demo, Snapshot, Timestamp};

fn now() -> Timestamp {
    Timestamp::parse("2026-11-01T12:00:00Z").unwrap()
}

fn checked(snapshot: &Snapshot) -> (Report, CycleResult) {
    let report = invariants::run(snapshot, &Default::default());
    let result = CycleResult::checked(CycleInput::new(snapshot, &report, now()));
    (report, result)
}

#[test]
fn counts_follow_the_report() {
    let snapshot = demo();
    let (report, result) = checked(&snapshot);
    let seen = result.observed().unwrap();
    for severity in Severity::ALL {
        for status in [Status::Fail, Status::Pass, Status::Muted, Status::Unknown] {
            let expected = report
                .findings
                .iter()
                .filter(|f| f.severity == severity && f.status == status)
                .count();
            assert_eq!(
                seen.findings[&(severity, status)],
                expected,
                "{severity} {status:?}"
            );
        }
    }
    assert_eq!(seen.failures(), report.summary.failed);
    let high = report
        .failures()
        .filter(|f| f.severity >= Severity::High)
        .count();
    assert_eq!(seen.failures_at_or_above(Severity::High), high);
    let keys: Vec<&FindingKey> = seen.failing.iter().map(|f| &f.key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "failing findings are sorted by key");
}

#[test]
fn zone_compliance_per_zone() {
    let snapshot = demo();
    let (report, result) = checked(&snapshot);
    let seen = result.observed().unwrap();
    let names: Vec<&str> = snapshot
        .zones
        .iter()
        .map(|z| z.zone.name.as_str())
        .collect();
    let got: Vec<&str> = seen.zones.iter().map(|z| z.zone.as_str()).collect();
    assert_eq!(got, names);
    for zone in &seen.zones {
        let of = |s: Status| {
            report
                .findings
                .iter()
                .filter(|f| f.status == s && f.resource.zone.as_deref() == Some(zone.zone.as_str()))
                .count()
        };
        assert_eq!(
            (zone.passed, zone.failed),
            (of(Status::Pass), of(Status::Fail))
        );
        assert!(zone.ratio() > 0.0 && zone.ratio() < 1.0, "{zone:?}");
    }
    let nothing = ZoneCompliance {
        zone: "x".into(),
        passed: 0,
        failed: 0,
    };
    assert_eq!(nothing.ratio(), 1.0);
}

#[test]
fn tunnels_and_their_problems() {
    let snapshot = demo();
    let (_, result) = checked(&snapshot);
    let seen = result.observed().unwrap();
    let by_name = |n: &str| seen.tunnels.iter().find(|t| t.name == n).unwrap();
    let shop = by_name("acme-prod-shop");
    assert!(shop.is_healthy() && shop.problem().is_none());
    let tools = by_name("acme-internal-tools");
    assert!(!tools.is_healthy());
    assert!(tools.problem().unwrap().contains("degraded"));
    assert_eq!(
        seen.tunnels.len(),
        2,
        "the deleted acme-legacy-app is left out"
    );
    let inactive = TunnelHealth {
        id: "t".into(),
        name: "t".into(),
        status: Some("inactive".into()),
        connectors: 0,
        connections: 0,
    };
    assert!(inactive.is_inactive() && !inactive.is_healthy() && inactive.problem().is_none());
    let lost = TunnelHealth {
        id: "t".into(),
        name: "t".into(),
        status: Some("healthy".into()),
        connectors: 1,
        connections: 0,
    };
    assert!(!lost.is_healthy());
    assert!(lost.problem().unwrap().contains("no edge connections"));
}

#[test]
fn deleted_tunnels_are_left_out() {
    let mut snapshot = demo();
    let id = snapshot.accounts[0].tunnels[0].tunnel.id.clone();
    let listed = |s: &Snapshot| {
        let (_, result) = checked(s);
        result
            .observed()
            .unwrap()
            .tunnels
            .iter()
            .any(|t| t.id == id)
    };
    assert!(listed(&snapshot));
    snapshot.accounts[0].tunnels[0].tunnel.deleted_at =
        crate::snapshot::Field::Value("2026-10-01T00:00:00Z".into());
    assert!(!listed(&snapshot));
}

#[test]
fn failed_cycle_keeps_the_error_kind() {
    let error = crate::Error::Transport {
        message: "connection refused".into(),
        context: Box::default(),
    };
    let result = CycleResult::failed(
        &error,
        now(),
        Duration::from_millis(5),
        ApiUsage {
            requests: 3,
            retries: 1,
            rate_limit_utilisation: Some(0.5),
        },
    );
    let failure = result.failure().unwrap();
    assert_eq!(failure.kind, "transport");
    assert!(failure.message.contains("connection refused"));
    assert_eq!(failure.consecutive, 1);
    assert!(result.observed().is_none());
    assert_eq!((result.api.requests, result.api.retries), (3, 1));
}

#[test]
fn drift_and_remediation_seams_pass_through() {
    let snapshot = demo();
    let report = invariants::run(&snapshot, &Default::default());
    let mut input = CycleInput::new(&snapshot, &report, now());
    input.drift_count = Some(7);
    input.remediation_failures = vec!["PATCH ssl: HTTP 500".into()];
    let result = CycleResult::checked(input);
    let seen = result.observed().unwrap();
    assert_eq!(seen.drift_items, 7);
    assert_eq!(seen.remediation_failures.len(), 1);
}
