use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::invariants::{self, Severity};
use crate::snapshot::{demo, Snapshot, Timestamp, TunnelStatus};
use crate::watch::{CycleInput, Observed, WatchState};

fn at(minute: u32) -> Timestamp {
    Timestamp::parse(&format!("2026-11-01T12:{minute:02}:00Z")).unwrap()
}

fn cycle(snapshot: &Snapshot, minute: u32) -> CycleResult {
    let report = invariants::run(snapshot, &Default::default());
    CycleResult::checked(CycleInput::new(snapshot, &report, at(minute)))
}

fn with_setting(zone: &str, id: &str, value: Value) -> Snapshot {
    let mut s = demo();
    let z = s.zones.iter_mut().find(|z| z.zone.name == zone).unwrap();
    z.settings.iter_mut().find(|x| x.id == id).unwrap().value = value;
    s
}

fn keys(alerts: &[Alert]) -> BTreeSet<(String, String)> {
    alerts
        .iter()
        .filter(|a| a.kind == AlertKind::NewViolation)
        .map(|a| {
            (
                a.check_id.clone().unwrap(),
                a.resource.as_ref().unwrap().id.clone(),
            )
        })
        .collect()
}

fn observed(tunnels: Vec<TunnelHealth>, drift_items: usize) -> CycleResult {
    CycleResult {
        now: at(0),
        duration: Duration::ZERO,
        api: Default::default(),
        outcome: CycleOutcome::Checked(Observed {
            tunnels,
            drift_items,
            ..Observed::default()
        }),
    }
}

fn tunnel(status: &str, connections: usize) -> TunnelHealth {
    TunnelHealth {
        id: "6f1b".into(),
        name: "edge".into(),
        status: Some(status.into()),
        connectors: usize::from(connections > 0),
        connections,
    }
}

#[test]
fn first_cycle_alerts_on_every_fail_at_or_above_the_threshold() {
    let snapshot = demo();
    let report = invariants::run(&snapshot, &Default::default());
    let first = cycle(&snapshot, 0);
    for min_severity in [Severity::Critical, Severity::High, Severity::Low] {
        let policy = AlertPolicy {
            min_severity,
            ..AlertPolicy::default()
        };
        let raised = alerts(None, &first, &policy);
        let expected: BTreeSet<(String, String)> = report
            .failures()
            .filter(|f| f.severity >= min_severity)
            .map(|f| (f.check_id.to_string(), f.resource.id.to_string()))
            .collect();
        assert_eq!(keys(&raised), expected, "{min_severity}");
        assert!(raised
            .iter()
            .filter(|a| a.kind == AlertKind::NewViolation)
            .all(|a| a.severity >= min_severity && a.time == at(0)));
    }
}

#[test]
fn an_unchanged_account_raises_nothing() {
    let snapshot = demo();
    let first = cycle(&snapshot, 0);
    let second = cycle(&snapshot, 5);
    assert_eq!(
        alerts(Some(&first), &second, &AlertPolicy::default()),
        vec![]
    );
}

#[test]
fn a_planted_violation_alerts_once_by_check_and_resource() {
    let first = cycle(&demo(), 0);
    let broken = with_setting("acme-shop.com", "ssl", json!("off"));
    let second = cycle(&broken, 5);
    let raised = alerts(Some(&first), &second, &AlertPolicy::default());
    let shop = &broken
        .zones
        .iter()
        .find(|z| z.zone.name == "acme-shop.com")
        .unwrap()
        .zone;
    assert_eq!(
        keys(&raised),
        BTreeSet::from([("zone_ssl_strict".to_owned(), shop.id.clone())])
    );
    let alert = &raised[0];
    assert_eq!(alert.zone.as_deref(), Some("acme-shop.com"));
    assert_eq!(alert.severity, Severity::High);
    assert!(alert.message.contains("off"), "{}", alert.message);
    let third = cycle(&broken, 10);
    assert!(alerts(Some(&second), &third, &AlertPolicy::default()).is_empty());
    // Fixed, then broken again: new again.
    let fixed = cycle(&demo(), 15);
    let again = cycle(&broken, 20);
    assert_eq!(
        keys(&alerts(Some(&fixed), &again, &AlertPolicy::default())).len(),
        1
    );
}

#[test]
fn violations_below_the_threshold_stay_quiet() {
    let first = cycle(&demo(), 0);
    // zone_https_redirect_enabled is medium.
    let broken = cycle(
        &with_setting("acme-shop.com", "always_use_https", json!("off")),
        5,
    );
    assert!(keys(&alerts(Some(&first), &broken, &AlertPolicy::default())).is_empty());
    let medium = AlertPolicy {
        min_severity: Severity::Medium,
        ..AlertPolicy::default()
    };
    let raised = keys(&alerts(Some(&first), &broken, &medium));
    assert_eq!(raised.len(), 1);
    assert_eq!(
        raised.iter().next().unwrap().0,
        "zone_https_redirect_enabled"
    );
}

#[test]
fn snapshot_failures_alert_once_per_outage_at_the_threshold() {
    let policy = AlertPolicy {
        failures_before_alert: 3,
        ..AlertPolicy::default()
    };
    let error = crate::Error::Config {
        message: "unreachable".into(),
    };
    let failed = || CycleResult::failed(&error, at(1), Duration::ZERO, Default::default());
    let mut state = WatchState::default();
    state.record(cycle(&demo(), 0), &policy);
    let mut raised_at = Vec::new();
    for n in 1..=5 {
        if !state.record(failed(), &policy).is_empty() {
            raised_at.push(n);
        }
    }
    assert_eq!(raised_at, vec![3]);
    // Recovery with the same findings: nothing is new.
    assert!(state.record(cycle(&demo(), 9), &policy).is_empty());
    assert_eq!(state.consecutive_failures, 0);
    // A second outage alerts again.
    let second: Vec<_> = (0..3)
        .flat_map(|_| state.record(failed(), &policy))
        .collect();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].kind, AlertKind::SnapshotFailure);
    assert!(
        second[0].message.contains("3 cycles in a row"),
        "{}",
        second[0].message
    );
    assert!(second[0].message.contains("unreachable"));
}

#[test]
fn tunnel_connectivity_alerts_on_change_only() {
    let policy = AlertPolicy::default();
    let healthy = observed(vec![tunnel("healthy", 4)], 0);
    let down = observed(vec![tunnel("down", 0)], 0);
    let degraded = observed(vec![tunnel("degraded", 1)], 0);
    let inactive = observed(vec![tunnel("inactive", 0)], 0);
    let unconnected = observed(vec![tunnel("healthy", 0)], 0);

    let raised = alerts(Some(&healthy), &down, &policy);
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].kind, AlertKind::TunnelConnectivity);
    assert_eq!(raised[0].severity, Severity::High);
    assert_eq!(raised[0].resource.as_ref().unwrap().kind, "tunnel");
    assert!(raised[0].message.contains("down"));

    assert!(alerts(Some(&down), &down, &policy).is_empty());
    assert!(
        alerts(Some(&down), &degraded, &policy).is_empty(),
        "still a problem"
    );
    assert_eq!(
        alerts(Some(&healthy), &degraded, &policy)[0].severity,
        Severity::Medium
    );
    assert_eq!(alerts(Some(&healthy), &unconnected, &policy).len(), 1);
    assert!(alerts(Some(&healthy), &inactive, &policy)[0]
        .message
        .contains("healthy to inactive"));
    assert!(
        alerts(None, &inactive, &policy).is_empty(),
        "an unused tunnel"
    );
    assert!(alerts(Some(&inactive), &inactive, &policy).is_empty());
    assert_eq!(alerts(None, &down, &policy).len(), 1, "first cycle");
    assert!(alerts(Some(&down), &healthy, &policy).is_empty());
}

#[test]
fn the_demo_degraded_tunnel_alerts_on_the_first_cycle() {
    let snapshot = demo();
    let raised = alerts(None, &cycle(&snapshot, 0), &AlertPolicy::default());
    let tunnels: Vec<_> = raised
        .iter()
        .filter(|a| a.kind == AlertKind::TunnelConnectivity)
        .collect();
    let expected = snapshot
        .accounts
        .iter()
        .flat_map(|a| &a.tunnels)
        .filter(|t| {
            matches!(
                t.tunnel.status.get(),
                Some(TunnelStatus::Degraded | TunnelStatus::Down)
            )
        })
        .count();
    assert!(expected > 0);
    assert_eq!(tunnels.len(), expected);
}

#[test]
fn drift_alerts_when_it_grows() {
    let policy = AlertPolicy::default();
    let none = observed(vec![], 0);
    let three = observed(vec![], 3);
    let five = observed(vec![], 5);
    let raised = alerts(Some(&none), &three, &policy);
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].kind, AlertKind::Drift);
    assert!(raised[0].message.starts_with("3 drift item(s)"));
    assert!(alerts(Some(&three), &three, &policy).is_empty());
    assert_eq!(alerts(Some(&three), &five, &policy).len(), 1);
    assert!(alerts(Some(&five), &three, &policy).is_empty());
}

#[test]
fn failed_remediations_always_alert() {
    let mut current = observed(vec![], 0);
    if let CycleOutcome::Checked(o) = &mut current.outcome {
        o.remediation_failures = vec!["PATCH /zones/z/settings/ssl: HTTP 500".into()];
    }
    let raised = alerts(Some(&current.clone()), &current, &AlertPolicy::default());
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].kind, AlertKind::RemediationFailed);
    assert!(raised[0].message.contains("HTTP 500"));
}

#[test]
fn payload_is_the_documented_json() {
    let first = cycle(&demo(), 0);
    let broken = with_setting("acme-shop.com", "ssl", json!("off"));
    let raised = alerts(Some(&first), &cycle(&broken, 5), &AlertPolicy::default());
    let batch = AlertBatch::new(at(6), raised);
    let value = serde_json::to_value(&batch).unwrap();
    let shop = &broken
        .zones
        .iter()
        .find(|z| z.zone.name == "acme-shop.com")
        .unwrap()
        .zone;
    assert_eq!(
        value,
        json!({
            "format": "cfcp.alert/v1",
            "sent_at": "2026-11-01T12:06:00Z",
            "alerts": [{
                "kind": "new_violation",
                "severity": "high",
                "zone": "acme-shop.com",
                "check_id": "zone_ssl_strict",
                "resource": {"type": "zone", "id": shop.id, "name": "acme-shop.com"},
                "message": batch.alerts[0].message,
                "time": "2026-11-01T12:05:00Z"
            }]
        })
    );
    let back: AlertBatch = serde_json::from_value(value).unwrap();
    assert_eq!(back, batch);
    let failure = Alert {
        kind: AlertKind::SnapshotFailure,
        severity: Severity::High,
        zone: None,
        check_id: None,
        resource: None,
        message: "m".into(),
        time: at(1),
    };
    let v = serde_json::to_value(&failure).unwrap();
    assert_eq!(v["kind"], "snapshot_failure");
    assert!(v["zone"].is_null() && v["check_id"].is_null() && v["resource"].is_null());
    for kind in AlertKind::ALL {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
}
