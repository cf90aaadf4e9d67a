//! Watch mode, pure: what one watch cycle found ([`CycleResult`]), what accumulates across cycles
//! ([`WatchState`]), which alerts a cycle raises ([`alerts`]), the Prometheus text the metrics
//! endpoint serves ([`render_prometheus`]) and when the next cycle starts ([`Schedule`],
//! [`Backoff`]).
//!
//! The shell (`cfcp watch`) owns the clock, the network and the signals: it takes the snapshot,
//! runs the invariants, and passes the results, the request count and `now` in here. Nothing in
//! this module reads the environment or the time.
//!
//! # Alerts
//! * **New violations** ([`AlertKind::NewViolation`]): a FAIL finding at or above
//!   [`AlertPolicy::min_severity`] (default high) whose key (check id + resource type and id) was
//!   not failing in the previous *successful* cycle. The first cycle has no previous one, so it
//!   alerts on every current FAIL at or above the threshold: a watch that starts on a broken
//!   account says so once, then only reports what changes. MUTED (waived) findings never alert.
//! * **Tunnel connectivity** ([`AlertKind::TunnelConnectivity`]): a tunnel that is newly down or
//!   degraded, newly without connections while not marked inactive, or that went from healthy to
//!   inactive (its connectors left).
//! * **Snapshot failures** ([`AlertKind::SnapshotFailure`]): once per outage, when the number of
//!   consecutive failed cycles reaches [`AlertPolicy::failures_before_alert`] (default 3).
//! * **Drift** ([`AlertKind::Drift`]) and **failed remediations**
//!   ([`AlertKind::RemediationFailed`]): filled from what the shell passes in
//!   ([`CycleInput::drift_count`], [`CycleInput::remediation_failures`]); the drift itself is
//!   computed elsewhere.
//!
//! The severity threshold filters violations only: tunnel, snapshot, drift and remediation alerts
//! are operational and always sent.
//!
//! # Webhook payload (`cfcp.alert/v1`)
//! One `POST` per cycle that raised alerts, `Content-Type: application/json`:
//! ```json
//! {
//!   "format": "cfcp.alert/v1",
//!   "sent_at": "2026-11-01T12:05:00Z",
//!   "alerts": [
//!     {
//!       "kind": "new_violation",
//!       "severity": "high",
//!       "zone": "example.com",
//!       "check_id": "zone_always_use_https",
//!       "resource": {"type": "zone", "id": "023e105f4ecef8ad9ca31a8372d0c353", "name": "example.com"},
//!       "message": "Always Use HTTPS is off",
//!       "time": "2026-11-01T12:05:00Z"
//!     }
//!   ]
//! }
//! ```
//! `kind` is one of `new_violation`, `tunnel_connectivity`, `snapshot_failure`, `drift`,
//! `remediation_failed`; `severity` one of `critical`, `high`, `medium`, `low`, `info`; `zone`,
//! `check_id` and `resource` are `null` when they do not apply. Receivers must ignore members
//! they do not know.
//!
//! ```
//! use cfcp::watch::{alerts, AlertPolicy, CycleInput, CycleResult, WatchState};
//! let snapshot = cfcp::snapshot::demo();
//! let report = cfcp::invariants::run(&snapshot, &Default::default());
//! let now = cfcp::snapshot::Timestamp::parse("2026-11-01T12:00:00Z").unwrap();
//! let result = CycleResult::checked(CycleInput::new(&snapshot, &report, now));
//! let mut state = WatchState::default();
//! let raised = state.record(result, &AlertPolicy::default());
//! assert!(!raised.is_empty(), "the demo account has high-severity failures");
//! assert!(cfcp::watch::render_prometheus(&state).contains("cfcp_cycles_total 1\n"));
//! ```

mod alerts;
mod cycle;
mod metrics;
mod schedule;
mod state;

pub use alerts::{alerts, Alert, AlertBatch, AlertKind, AlertPolicy, AlertResource, ALERT_FORMAT};
pub use cycle::{
    error_kind, ApiUsage, CycleFailure, CycleInput, CycleOutcome, CycleResult, FailingFinding,
    FindingKey, Observed, TunnelHealth, ZoneCompliance,
};
pub use metrics::{escape_label_value, render_prometheus, PROMETHEUS_CONTENT_TYPE};
pub use schedule::{parse_duration, Backoff, NextCycle, Schedule};
pub use state::WatchState;
