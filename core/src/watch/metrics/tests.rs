use std::time::Duration;

use super::*;
use crate::invariants;
use crate::snapshot::demo;
use crate::watch::{
    AlertPolicy, ApiUsage, CycleInput, CycleOutcome, CycleResult, TunnelHealth, WatchState,
};

#[path = "exposition_parser.rs"]
mod exposition_parser;
use exposition_parser::parse;

const REQUIRED: &[(&str, &str)] = &[
    ("cfcp_invariant_compliance_ratio", "gauge"),
    ("cfcp_findings", "gauge"),
    ("cfcp_drift_items", "gauge"),
    ("cfcp_api_requests_total", "counter"),
    ("cfcp_api_rate_limit_utilisation", "gauge"),
    ("cfcp_tunnel_healthy", "gauge"),
    ("cfcp_last_success_timestamp_seconds", "gauge"),
    ("cfcp_consecutive_failures", "gauge"),
    ("cfcp_errors_total", "counter"),
    ("cfcp_cycles_total", "counter"),
    ("cfcp_cycle_duration_seconds", "gauge"),
];

fn now() -> Timestamp {
    Timestamp::parse("2026-11-01T12:00:00.5Z").unwrap()
}

fn watched() -> (WatchState, crate::report::Report) {
    let snapshot = demo();
    let report = invariants::run(&snapshot, &Default::default());
    let mut input = CycleInput::new(&snapshot, &report, now());
    input.api = ApiUsage {
        requests: 42,
        retries: 3,
        rate_limit_utilisation: Some(0.035),
    };
    input.duration = Duration::from_millis(1500);
    input.drift_count = Some(2);
    let mut state = WatchState::default();
    state.record(CycleResult::checked(input), &AlertPolicy::default());
    (state, report)
}

#[test]
fn every_line_parses_and_every_required_family_is_declared() {
    for state in [WatchState::default(), watched().0] {
        let text = render_prometheus(&state);
        let parsed = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        for (name, kind) in REQUIRED {
            assert_eq!(
                parsed.types.get(*name).map(String::as_str),
                Some(*kind),
                "{name}"
            );
            assert!(parsed.help.contains_key(*name), "{name}");
        }
    }
}

#[test]
fn values_follow_the_state() {
    let (mut state, report) = watched();
    let parsed = parse(&render_prometheus(&state)).unwrap();
    for severity in Severity::ALL {
        for status in [Status::Fail, Status::Pass, Status::Muted, Status::Unknown] {
            let expected = report
                .findings
                .iter()
                .filter(|f| f.severity == severity && f.status == status)
                .count();
            let got = parsed.value(
                "cfcp_findings",
                &[("severity", severity.as_str()), ("status", status.as_str())],
            );
            assert_eq!(got, Some(expected as f64), "{severity} {status:?}");
        }
    }
    let seen = state
        .last_checked
        .as_ref()
        .unwrap()
        .observed()
        .unwrap()
        .clone();
    for zone in &seen.zones {
        let got = parsed.value("cfcp_invariant_compliance_ratio", &[("zone", &zone.zone)]);
        assert_eq!(got, Some(zone.ratio()));
    }
    for tunnel in &seen.tunnels {
        let got = parsed.value(
            "cfcp_tunnel_healthy",
            &[("tunnel", &tunnel.name), ("tunnel_id", &tunnel.id)],
        );
        assert_eq!(got, Some(if tunnel.is_healthy() { 1.0 } else { 0.0 }));
    }
    assert!(seen.tunnels.iter().any(TunnelHealth::is_healthy));
    assert!(!seen.tunnels.iter().all(TunnelHealth::is_healthy));
    assert_eq!(parsed.value("cfcp_api_requests_total", &[]), Some(42.0));
    assert_eq!(
        parsed.value("cfcp_api_rate_limit_utilisation", &[]),
        Some(0.035)
    );
    assert_eq!(parsed.value("cfcp_cycle_duration_seconds", &[]), Some(1.5));
    assert_eq!(parsed.value("cfcp_drift_items", &[]), Some(2.0));
    assert_eq!(parsed.value("cfcp_cycles_total", &[]), Some(1.0));
    assert_eq!(parsed.value("cfcp_consecutive_failures", &[]), Some(0.0));
    let epoch = time::macros::datetime!(2026-11-01 12:00:00.5 UTC).unix_timestamp() as f64 + 0.5;
    assert_eq!(
        parsed.value("cfcp_last_success_timestamp_seconds", &[]),
        Some(epoch)
    );
    assert_eq!(
        parsed.value("cfcp_alerts_total", &[("kind", "drift")]),
        Some(1.0)
    );

    let error = crate::Error::Config {
        message: "x".into(),
    };
    for _ in 0..2 {
        state.record(
            CycleResult::failed(
                &error,
                now(),
                Duration::from_millis(250),
                ApiUsage {
                    requests: 5,
                    retries: 2,
                    rate_limit_utilisation: None,
                },
            ),
            &AlertPolicy::default(),
        );
    }
    state.record_error("webhook");
    let parsed = parse(&render_prometheus(&state)).unwrap();
    assert_eq!(parsed.value("cfcp_consecutive_failures", &[]), Some(2.0));
    assert_eq!(
        parsed.value("cfcp_errors_total", &[("kind", "config")]),
        Some(2.0)
    );
    assert_eq!(
        parsed.value("cfcp_errors_total", &[("kind", "webhook")]),
        Some(1.0)
    );
    assert_eq!(parsed.value("cfcp_api_requests_total", &[]), Some(52.0));
    assert_eq!(parsed.value("cfcp_api_retries_total", &[]), Some(7.0));
    assert_eq!(parsed.value("cfcp_cycles_total", &[]), Some(3.0));
    assert_eq!(parsed.value("cfcp_cycle_duration_seconds", &[]), Some(0.25));
    // The last success's gauges stay while the API is out.
    assert_eq!(parsed.value("cfcp_drift_items", &[]), Some(2.0));
    assert_eq!(
        parsed.value("cfcp_last_success_timestamp_seconds", &[]),
        Some(epoch)
    );
}

#[test]
fn label_values_are_escaped_and_read_back() {
    let (mut state, _) = watched();
    let nasty = "tun\"nel\\one\nline two";
    if let Some(CycleOutcome::Checked(seen)) = state.last_checked.as_mut().map(|c| &mut c.outcome) {
        seen.tunnels[0].name = nasty.to_owned();
        seen.zones[0].zone = "zone with \"quotes\"".to_owned();
    }
    state.record_error("kind\\with\"escapes\"");
    let text = render_prometheus(&state);
    assert!(
        text.contains(r#"tunnel="tun\"nel\\one\nline two""#),
        "{text}"
    );
    let parsed = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed
        .samples
        .iter()
        .any(|s| s.name == "cfcp_tunnel_healthy" && s.labels["tunnel"] == nasty));
    assert!(parsed
        .value(
            "cfcp_invariant_compliance_ratio",
            &[("zone", "zone with \"quotes\"")]
        )
        .is_some());
    assert_eq!(
        parsed.value("cfcp_errors_total", &[("kind", "kind\\with\"escapes\"")]),
        Some(1.0)
    );
}

#[test]
fn the_strict_parser_rejects_what_prometheus_rejects() {
    let ok = "# HELP a_total x\n# TYPE a_total counter\na_total{k=\"v\"} 1\n";
    assert!(parse(ok).is_ok());
    for bad in [
        "a_total 1\n",
        "# HELP a x\n# TYPE a gauge\na{k=\"v} 1\n",
        "# HELP a x\n# TYPE a gauge\na{k=\"\\t\"} 1\n",
        "# HELP a x\n# TYPE a gauge\na one\n",
        "# HELP a x\n# TYPE a gauge\na 1",
        "# HELP a x\n# TYPE a nonsense\na 1\n",
        "# HELP a x\n# TYPE a gauge\na 1\n# HELP b y\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n",
        "# HELP a x\n# TYPE a gauge\na 1\na 2\n",
    ] {
        assert!(parse(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn non_finite_values_use_go_spelling() {
    assert_eq!(value(f64::INFINITY), "+Inf");
    assert_eq!(value(f64::NEG_INFINITY), "-Inf");
    assert_eq!(value(f64::NAN), "NaN");
    assert_eq!(value(0.25), "0.25");
    assert_eq!(value(3.0), "3");
}
