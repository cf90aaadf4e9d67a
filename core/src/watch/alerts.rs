//! Which alerts a cycle raises compared with the one before, and their JSON payload
//! (`cfcp.alert/v1`, documented in [`super`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::cycle::{CycleOutcome, CycleResult, FindingKey, Observed, TunnelHealth};
use crate::invariants::Severity;
use crate::snapshot::Timestamp;

/// The `format` of the webhook payload.
pub const ALERT_FORMAT: &str = "cfcp.alert/v1";

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A FAIL finding that was not failing in the previous successful cycle.
    NewViolation,
    /// A tunnel newly down, degraded or without connections.
    TunnelConnectivity,
    /// The snapshot failed several cycles in a row.
    SnapshotFailure,
    /// The account drifted from the desired state (count passed in by the shell).
    Drift,
    /// A remediation failed (passed in by the shell).
    RemediationFailed,
}

impl AlertKind {
    /// Every kind, in payload order.
    pub const ALL: [AlertKind; 5] = [
        AlertKind::NewViolation,
        AlertKind::TunnelConnectivity,
        AlertKind::SnapshotFailure,
        AlertKind::Drift,
        AlertKind::RemediationFailed,
    ];

    /// The payload name (`new_violation`).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::NewViolation => "new_violation",
            AlertKind::TunnelConnectivity => "tunnel_connectivity",
            AlertKind::SnapshotFailure => "snapshot_failure",
            AlertKind::Drift => "drift",
            AlertKind::RemediationFailed => "remediation_failed",
        }
    }
}

/// The resource an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertResource {
    /// `zone`, `dns_record`, `tunnel`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Cloudflare's id.
    pub id: String,
    /// A human name.
    pub name: String,
}

/// One alert. Serialises to one element of the payload's `alerts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// How bad.
    pub severity: Severity,
    /// The zone, when it concerns one.
    pub zone: Option<String>,
    /// The invariant check, for violations.
    pub check_id: Option<String>,
    /// The resource, when there is one.
    pub resource: Option<AlertResource>,
    /// What happened, in words.
    pub message: String,
    /// When the cycle that raised it ran.
    pub time: Timestamp,
}

/// The webhook body: every alert of one cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertBatch {
    /// Always [`ALERT_FORMAT`].
    pub format: String,
    /// When the batch was made.
    pub sent_at: Timestamp,
    /// The alerts, in the order [`alerts`] raised them.
    pub alerts: Vec<Alert>,
}

impl AlertBatch {
    /// A batch of `alerts` sent at `sent_at`.
    ///
    /// ```
    /// let now = cfcp::snapshot::Timestamp::parse("2026-11-01T12:00:00Z").unwrap();
    /// let batch = cfcp::watch::AlertBatch::new(now, Vec::new());
    /// let json = serde_json::to_value(&batch).unwrap();
    /// assert_eq!(json["format"], "cfcp.alert/v1");
    /// ```
    pub fn new(sent_at: Timestamp, alerts: Vec<Alert>) -> Self {
        AlertBatch {
            format: ALERT_FORMAT.to_owned(),
            sent_at,
            alerts,
        }
    }
}

/// What is worth an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertPolicy {
    /// Violations below this severity do not alert (default high).
    pub min_severity: Severity,
    /// A snapshot-failure alert is raised when this many cycles in a row have failed (default 3,
    /// at least 1): one failed cycle after the client's own retries can be a blip.
    pub failures_before_alert: u32,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        AlertPolicy {
            min_severity: Severity::High,
            failures_before_alert: 3,
        }
    }
}

/// The alerts `current` raises. `previous` is the last cycle that *succeeded* (`None` before the
/// first): new violations and tunnel problems are judged against it, so that an outage in
/// between does not make every known violation new again. For a failed `current`, its
/// [`super::CycleFailure::consecutive`] decides (an alert exactly when it reaches
/// [`AlertPolicy::failures_before_alert`]: once per outage).
///
/// ```
/// use cfcp::watch::{alerts, AlertKind, AlertPolicy, CycleInput, CycleResult};
/// let snapshot = cfcp::snapshot::demo();
/// let report = cfcp::invariants::run(&snapshot, &Default::default());
/// let now = cfcp::snapshot::Timestamp::parse("2026-11-01T12:00:00Z").unwrap();
/// let first = CycleResult::checked(CycleInput::new(&snapshot, &report, now.clone()));
/// let second = CycleResult::checked(CycleInput::new(&snapshot, &report, now));
/// let policy = AlertPolicy::default();
/// assert!(alerts(None, &first, &policy).iter().any(|a| a.kind == AlertKind::NewViolation));
/// assert!(alerts(Some(&first), &second, &policy).is_empty(), "nothing changed");
/// ```
pub fn alerts(
    previous: Option<&CycleResult>,
    current: &CycleResult,
    policy: &AlertPolicy,
) -> Vec<Alert> {
    let time = &current.now;
    let observed = match &current.outcome {
        CycleOutcome::Failed(failure) => {
            if failure.consecutive != policy.failures_before_alert.max(1) {
                return Vec::new();
            }
            return vec![Alert {
                kind: AlertKind::SnapshotFailure,
                severity: Severity::High,
                zone: None,
                check_id: None,
                resource: None,
                message: format!(
                    "the snapshot failed {} cycles in a row ({}): {}",
                    failure.consecutive, failure.kind, failure.message
                ),
                time: time.clone(),
            }];
        }
        CycleOutcome::Checked(observed) => observed,
    };
    let before = previous.and_then(CycleResult::observed);
    let mut out = new_violations(before, observed, policy, time);
    out.extend(tunnel_alerts(before, observed, time));
    if let Some(alert) = drift_alert(before, observed, time) {
        out.push(alert);
    }
    out.extend(observed.remediation_failures.iter().map(|message| Alert {
        kind: AlertKind::RemediationFailed,
        severity: Severity::High,
        zone: None,
        check_id: None,
        resource: None,
        message: message.clone(),
        time: time.clone(),
    }));
    out
}

fn new_violations(
    before: Option<&Observed>,
    now: &Observed,
    policy: &AlertPolicy,
    time: &Timestamp,
) -> Vec<Alert> {
    let known: BTreeSet<&FindingKey> = before
        .map(|b| b.failing.iter().map(|f| &f.key).collect())
        .unwrap_or_default();
    now.failing
        .iter()
        .filter(|f| f.severity >= policy.min_severity && !known.contains(&f.key))
        .map(|f| Alert {
            kind: AlertKind::NewViolation,
            severity: f.severity,
            zone: f.zone.clone(),
            check_id: Some(f.key.check_id.clone()),
            resource: Some(AlertResource {
                kind: f.key.resource_type.clone(),
                id: f.key.resource_id.clone(),
                name: f.resource_name.clone(),
            }),
            message: f.message.clone(),
            time: time.clone(),
        })
        .collect()
}

fn tunnel_alerts(before: Option<&Observed>, now: &Observed, time: &Timestamp) -> Vec<Alert> {
    let previous: BTreeMap<&str, &TunnelHealth> = before
        .map(|b| b.tunnels.iter().map(|t| (t.id.as_str(), t)).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for tunnel in &now.tunnels {
        let was = previous.get(tunnel.id.as_str()).copied();
        let problem = match tunnel.problem() {
            Some(problem) if !was.is_some_and(|w| w.problem().is_some()) => problem,
            Some(_) => continue,
            None if tunnel.is_inactive() && was.is_some_and(TunnelHealth::is_healthy) => format!(
                "tunnel {} went from healthy to inactive: its connectors are gone",
                tunnel.name
            ),
            None => continue,
        };
        let degraded = tunnel.status.as_deref() == Some("degraded");
        out.push(Alert {
            kind: AlertKind::TunnelConnectivity,
            severity: if degraded {
                Severity::Medium
            } else {
                Severity::High
            },
            zone: None,
            check_id: None,
            resource: Some(AlertResource {
                kind: "tunnel".to_owned(),
                id: tunnel.id.clone(),
                name: tunnel.name.clone(),
            }),
            message: problem,
            time: time.clone(),
        });
    }
    out
}

fn drift_alert(before: Option<&Observed>, now: &Observed, time: &Timestamp) -> Option<Alert> {
    let was = before.map_or(0, |b| b.drift_items);
    (now.drift_items > was).then(|| Alert {
        kind: AlertKind::Drift,
        severity: Severity::Medium,
        zone: None,
        check_id: None,
        resource: None,
        message: format!(
            "{} drift item(s) between the desired state and the account (previous cycle: {was})",
            now.drift_items
        ),
        time: time.clone(),
    })
}

#[cfg(test)]
mod tests;
