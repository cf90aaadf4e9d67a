//! What a watch accumulates across cycles: the counters the metrics report and the last
//! successful cycle, against which the next one's alerts are judged.

use std::collections::BTreeMap;

use super::alerts::{alerts, Alert, AlertKind, AlertPolicy};
use super::cycle::{CycleOutcome, CycleResult};
use crate::snapshot::Timestamp;

/// The watch's memory. Holds the last successful cycle's failing keys and counts, never a
/// snapshot, so it stays small however large the account.
#[derive(Debug, Clone, Default)]
pub struct WatchState {
    /// Cycles recorded.
    pub cycles_total: u64,
    /// Failed cycles in a row (0 after a success).
    pub consecutive_failures: u32,
    /// When the last successful cycle ran.
    pub last_success: Option<Timestamp>,
    /// Errors by kind ([`super::error_kind`] labels, plus what the shell records, e.g. `webhook`).
    pub errors_total: BTreeMap<String, u64>,
    /// HTTP requests over all cycles, retries included.
    pub api_requests_total: u64,
    /// Retries over all cycles.
    pub api_retries_total: u64,
    /// Alerts raised, by kind.
    pub alerts_total: BTreeMap<AlertKind, u64>,
    /// Ticks skipped because a cycle ran longer than the interval.
    pub skipped_ticks_total: u64,
    /// The most recent cycle, successful or not.
    pub last: Option<CycleResult>,
    /// The most recent successful cycle.
    pub last_checked: Option<CycleResult>,
}

impl WatchState {
    /// Records a cycle and returns the alerts it raises ([`alerts`] against the last successful
    /// cycle). A failed cycle's [`super::CycleFailure::consecutive`] is set here.
    ///
    /// ```
    /// use cfcp::watch::{AlertKind, AlertPolicy, CycleResult, WatchState};
    /// let now = cfcp::snapshot::Timestamp::parse("2026-11-01T12:00:00Z").unwrap();
    /// let error = cfcp::Error::Config { message: "down".into() };
    /// let policy = AlertPolicy { failures_before_alert: 2, ..AlertPolicy::default() };
    /// let mut state = WatchState::default();
    /// let fail = || CycleResult::failed(&error, now.clone(), Default::default(), Default::default());
    /// assert!(state.record(fail(), &policy).is_empty());
    /// assert_eq!(state.record(fail(), &policy)[0].kind, AlertKind::SnapshotFailure);
    /// assert!(state.record(fail(), &policy).is_empty(), "once per outage");
    /// assert_eq!(state.consecutive_failures, 3);
    /// ```
    pub fn record(&mut self, mut result: CycleResult, policy: &AlertPolicy) -> Vec<Alert> {
        self.cycles_total += 1;
        self.api_requests_total = self.api_requests_total.saturating_add(result.api.requests);
        self.api_retries_total = self.api_retries_total.saturating_add(result.api.retries);
        match &mut result.outcome {
            CycleOutcome::Failed(failure) => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                failure.consecutive = self.consecutive_failures;
                *self.errors_total.entry(failure.kind.clone()).or_default() += 1;
            }
            CycleOutcome::Checked(_) => {
                self.consecutive_failures = 0;
                self.last_success = Some(result.now.clone());
            }
        }
        let raised = alerts(self.last_checked.as_ref(), &result, policy);
        for alert in &raised {
            *self.alerts_total.entry(alert.kind).or_default() += 1;
        }
        if result.observed().is_some() {
            self.last_checked = Some(result.clone());
        }
        self.last = Some(result);
        raised
    }

    /// Counts an error outside a cycle's snapshot (`webhook`, `metrics`).
    pub fn record_error(&mut self, kind: &str) {
        *self.errors_total.entry(kind.to_owned()).or_default() += 1;
    }

    /// Counts ticks skipped by a slow cycle.
    pub fn record_skipped_ticks(&mut self, ticks: u64) {
        self.skipped_ticks_total = self.skipped_ticks_total.saturating_add(ticks);
    }
}
