//! One watch cycle: the numbers and keys the alerts and metrics need, boiled down from a snapshot
//! and its report so that the state kept between cycles stays small (failing keys, counts), not a
//! whole account.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::Error;
use crate::invariants::{Finding, Severity, Status};
use crate::report::Report;
use crate::snapshot::{Snapshot, Timestamp, TunnelSnapshot, TunnelStatus};

/// What identifies a finding across cycles: the check and the resource it is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingKey {
    /// The check's id (`zone_ssl_strict`).
    pub check_id: String,
    /// The resource's type (`zone`, `dns_record`, `tunnel`, ...).
    pub resource_type: String,
    /// The resource's id.
    pub resource_id: String,
}

impl FindingKey {
    /// The key of `finding`.
    ///
    /// ```
    /// let report = cfcp::invariants::run(&cfcp::snapshot::demo(), &Default::default());
    /// let key = cfcp::watch::FindingKey::of(&report.findings[0]);
    /// assert_eq!(key.check_id, report.findings[0].check_id);
    /// ```
    pub fn of(finding: &Finding) -> Self {
        FindingKey {
            check_id: finding.check_id.to_string(),
            resource_type: finding.resource.kind.to_string(),
            resource_id: finding.resource.id.to_string(),
        }
    }
}

/// A FAIL finding, as much of it as an alert needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailingFinding {
    /// Check and resource.
    pub key: FindingKey,
    /// The check's severity.
    pub severity: Severity,
    /// The zone the resource belongs to, if any.
    pub zone: Option<String>,
    /// The resource's human name.
    pub resource_name: String,
    /// What was found.
    pub message: String,
}

/// PASS and FAIL counts of one zone's findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneCompliance {
    /// Zone name.
    pub zone: String,
    /// PASS findings.
    pub passed: usize,
    /// FAIL findings.
    pub failed: usize,
}

impl ZoneCompliance {
    /// `passed / (passed + failed)`, as the report's compliance rate leaves out MUTED and
    /// UNKNOWN; 1 when nothing was decidable (nothing is known to be wrong).
    ///
    /// ```
    /// let z = cfcp::watch::ZoneCompliance { zone: "a.com".into(), passed: 3, failed: 1 };
    /// assert_eq!(z.ratio(), 0.75);
    /// ```
    pub fn ratio(&self) -> f64 {
        let decided = self.passed + self.failed;
        if decided == 0 {
            1.0
        } else {
            self.passed as f64 / decided as f64
        }
    }
}

/// A tunnel's health as one snapshot showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelHealth {
    /// Tunnel UUID.
    pub id: String,
    /// Tunnel name (the id when it has none).
    pub name: String,
    /// `healthy`, `degraded`, `down`, `inactive`, something newer, or `None` when not reported.
    pub status: Option<String>,
    /// Connectors (cloudflared instances).
    pub connectors: usize,
    /// Edge connections over all connectors.
    pub connections: usize,
}

impl TunnelHealth {
    /// The health of a (not deleted) tunnel of a snapshot.
    pub fn of(tunnel: &TunnelSnapshot) -> Self {
        let id = tunnel.tunnel.id.clone();
        TunnelHealth {
            name: tunnel
                .tunnel
                .name
                .get()
                .cloned()
                .unwrap_or_else(|| id.clone()),
            id,
            status: tunnel.tunnel.status.get().map(|s| s.as_str().to_owned()),
            connectors: tunnel.connections.len(),
            connections: tunnel
                .connections
                .iter()
                .map(|c| c.conns.get().map_or(0, Vec::len))
                .sum(),
        }
    }

    fn status_is(&self, status: TunnelStatus) -> bool {
        self.status.as_deref() == Some(status.as_str())
    }

    /// Healthy and connected: what `cfcp_tunnel_healthy` reports as 1.
    ///
    /// ```
    /// let t = cfcp::watch::TunnelHealth { id: "t".into(), name: "t".into(),
    ///     status: Some("healthy".into()), connectors: 1, connections: 4 };
    /// assert!(t.is_healthy() && t.problem().is_none());
    /// ```
    pub fn is_healthy(&self) -> bool {
        self.status_is(TunnelStatus::Healthy) && self.connections > 0
    }

    /// Whether the tunnel is marked inactive (never connected, or no connectors).
    pub fn is_inactive(&self) -> bool {
        self.status_is(TunnelStatus::Inactive)
    }

    /// A connectivity problem, in words: down, degraded, or not inactive yet without connections.
    /// An inactive tunnel is not a problem by itself (it may simply be unused); losing its
    /// connectors is, and [`super::alerts`] sees that as a change from healthy.
    pub fn problem(&self) -> Option<String> {
        if self.status_is(TunnelStatus::Down) || self.status_is(TunnelStatus::Degraded) {
            let status = self.status.as_deref().unwrap_or_default();
            return Some(format!(
                "tunnel {} is {status} ({} connector(s), {} connection(s))",
                self.name, self.connectors, self.connections
            ));
        }
        if self.connections == 0 && !self.is_inactive() && self.status.is_some() {
            return Some(format!(
                "tunnel {} has no edge connections (status {})",
                self.name,
                self.status.as_deref().unwrap_or_default()
            ));
        }
        None
    }
}

/// What a successful cycle observed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    /// Per zone of the snapshot, PASS and FAIL counts (zone order of the snapshot).
    pub zones: Vec<ZoneCompliance>,
    /// Findings by severity and status (every pair present, zero included).
    pub findings: BTreeMap<(Severity, Status), usize>,
    /// Every FAIL finding, sorted by key.
    pub failing: Vec<FailingFinding>,
    /// Tunnels that are not deleted, in snapshot order.
    pub tunnels: Vec<TunnelHealth>,
    /// Sections the snapshot could not read.
    pub gaps: usize,
    /// Drift items between the desired state and this snapshot; 0 when no desired state is
    /// watched (the shell computes drift and passes the count).
    pub drift_items: usize,
    /// Remediations that failed this cycle, in words (filled by the shell when it remediates).
    pub remediation_failures: Vec<String>,
}

impl Observed {
    /// FAIL findings at or above `severity`.
    pub fn failures_at_or_above(&self, severity: Severity) -> usize {
        self.failing
            .iter()
            .filter(|f| f.severity >= severity)
            .count()
    }

    /// FAIL findings in all.
    pub fn failures(&self) -> usize {
        self.failing.len()
    }
}

/// Why a cycle failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleFailure {
    /// A short label for `cfcp_errors_total{kind}` (see [`error_kind`]).
    pub kind: String,
    /// The error, in words (never holding a credential: core errors do not).
    pub message: String,
    /// Failed cycles in a row, this one included ([`super::WatchState::record`] counts them;
    /// 1 until then).
    pub consecutive: u32,
}

impl CycleFailure {
    /// The failure `error` describes.
    pub fn from_error(error: &Error) -> Self {
        CycleFailure {
            kind: error_kind(error).to_owned(),
            message: error.to_string(),
            consecutive: 1,
        }
    }
}

/// How a cycle ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CycleOutcome {
    /// The snapshot was taken and checked.
    Checked(Observed),
    /// The snapshot (or the check) failed.
    Failed(CycleFailure),
}

/// What a cycle cost in API terms, as the client reports it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ApiUsage {
    /// HTTP requests this cycle made, retries included ([`crate::api::Client::requests_sent`]
    /// after minus before).
    pub requests: u64,
    /// Of those, retries ([`crate::api::Client::retries`] after minus before).
    pub retries: u64,
    /// The client's rate-limit utilisation at the end of the cycle (0–1), when known
    /// ([`crate::api::Client::rate_limit_utilisation`]).
    pub rate_limit_utilisation: Option<f64>,
}

/// What one cycle did and found.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleResult {
    /// When the cycle ran (the shell's clock).
    pub now: Timestamp,
    /// How long it took.
    pub duration: Duration,
    /// Requests, retries and rate-limit use.
    pub api: ApiUsage,
    /// Checked or failed.
    pub outcome: CycleOutcome,
}

/// Everything a successful cycle passes in.
#[derive(Debug, Clone)]
pub struct CycleInput<'a> {
    /// The snapshot taken.
    pub snapshot: &'a Snapshot,
    /// Its invariant report.
    pub report: &'a Report,
    /// When the cycle ran.
    pub now: Timestamp,
    /// How long it took.
    pub duration: Duration,
    /// Requests, retries and rate-limit use.
    pub api: ApiUsage,
    /// Drift items against the desired state, when one is watched.
    pub drift_count: Option<usize>,
    /// Failed remediations, in words.
    pub remediation_failures: Vec<String>,
}

impl<'a> CycleInput<'a> {
    /// An input with no duration, requests, drift or remediation recorded.
    pub fn new(snapshot: &'a Snapshot, report: &'a Report, now: Timestamp) -> Self {
        CycleInput {
            snapshot,
            report,
            now,
            duration: Duration::ZERO,
            api: ApiUsage::default(),
            drift_count: None,
            remediation_failures: Vec::new(),
        }
    }
}

impl CycleResult {
    /// The result of a cycle whose snapshot was taken and checked.
    ///
    /// ```
    /// use cfcp::watch::{CycleInput, CycleOutcome, CycleResult};
    /// let snapshot = cfcp::snapshot::demo();
    /// let report = cfcp::invariants::run(&snapshot, &Default::default());
    /// let now = cfcp::snapshot::Timestamp::parse("2026-11-01T12:00:00Z").unwrap();
    /// let result = CycleResult::checked(CycleInput::new(&snapshot, &report, now));
    /// let CycleOutcome::Checked(seen) = &result.outcome else { unreachable!() };
    /// assert_eq!(seen.failures(), report.summary.failed);
    /// ```
    pub fn checked(input: CycleInput<'_>) -> Self {
        let mut zones: Vec<ZoneCompliance> = input
            .snapshot
            .zones
            .iter()
            .map(|z| ZoneCompliance {
                zone: z.zone.name.clone(),
                passed: 0,
                failed: 0,
            })
            .collect();
        let mut zone_index: BTreeMap<String, usize> = zones
            .iter()
            .enumerate()
            .map(|(i, z)| (z.zone.clone(), i))
            .collect();
        let mut findings = BTreeMap::new();
        for severity in Severity::ALL {
            for status in [Status::Fail, Status::Pass, Status::Muted, Status::Unknown] {
                findings.insert((severity, status), 0usize);
            }
        }
        let mut failing = Vec::new();
        for f in &input.report.findings {
            *findings.entry((f.severity, f.status)).or_default() += 1;
            if let Some(zone) = &f.resource.zone {
                if matches!(f.status, Status::Pass | Status::Fail) {
                    let i = *zone_index.entry(zone.to_string()).or_insert_with(|| {
                        zones.push(ZoneCompliance {
                            zone: zone.to_string(),
                            passed: 0,
                            failed: 0,
                        });
                        zones.len() - 1
                    });
                    if f.status == Status::Pass {
                        zones[i].passed += 1;
                    } else {
                        zones[i].failed += 1;
                    }
                }
            }
            if f.status == Status::Fail {
                failing.push(FailingFinding {
                    key: FindingKey::of(f),
                    severity: f.severity,
                    zone: f.resource.zone.as_ref().map(|z| z.to_string()),
                    resource_name: f.resource.name.to_string(),
                    message: f.message.clone(),
                });
            }
        }
        failing.sort_by(|a, b| a.key.cmp(&b.key));
        let tunnels = input
            .snapshot
            .accounts
            .iter()
            .flat_map(|a| &a.tunnels)
            .filter(|t| !t.tunnel.is_deleted())
            .map(TunnelHealth::of)
            .collect();
        CycleResult {
            now: input.now,
            duration: input.duration,
            api: input.api,
            outcome: CycleOutcome::Checked(Observed {
                zones,
                findings,
                failing,
                tunnels,
                gaps: input.snapshot.gaps.len(),
                drift_items: input.drift_count.unwrap_or(0),
                remediation_failures: input.remediation_failures,
            }),
        }
    }

    /// The result of a cycle that failed with `error`.
    ///
    /// ```
    /// let error = cfcp::Error::Config { message: "no token".into() };
    /// let now = cfcp::snapshot::Timestamp::parse("2026-11-01T12:00:00Z").unwrap();
    /// let result = cfcp::watch::CycleResult::failed(&error, now, Default::default(), Default::default());
    /// assert!(result.observed().is_none());
    /// ```
    pub fn failed(error: &Error, now: Timestamp, duration: Duration, api: ApiUsage) -> Self {
        CycleResult {
            now,
            duration,
            api,
            outcome: CycleOutcome::Failed(CycleFailure::from_error(error)),
        }
    }

    /// What the cycle observed, when it succeeded.
    pub fn observed(&self) -> Option<&Observed> {
        match &self.outcome {
            CycleOutcome::Checked(observed) => Some(observed),
            CycleOutcome::Failed(_) => None,
        }
    }

    /// The failure, when it failed.
    pub fn failure(&self) -> Option<&CycleFailure> {
        match &self.outcome {
            CycleOutcome::Checked(_) => None,
            CycleOutcome::Failed(failure) => Some(failure),
        }
    }
}

/// A short, stable label for an error, for `cfcp_errors_total{kind}`.
///
/// ```
/// let e = cfcp::Error::Config { message: "x".into() };
/// assert_eq!(cfcp::watch::error_kind(&e), "config");
/// ```
pub fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::Authentication { .. } => "authentication",
        Error::NotFound { .. } => "not_found",
        Error::Validation { .. } => "validation",
        Error::RateLimited { .. } => "rate_limited",
        Error::Server { .. } => "server",
        Error::Api { .. } => "api",
        Error::Transport { .. } => "transport",
        Error::Decode { .. } => "decode",
        Error::GraphQl { .. } => "graphql",
        Error::Config { .. } => "config",
        Error::JsonSyntax { .. }
        | Error::SnapshotSchema { .. }
        | Error::UnsupportedFormat { .. }
        | Error::NotASnapshot { .. }
        | Error::InvalidDocument { .. } => "input",
        _ => "other",
    }
}

#[cfg(test)]
mod tests;
