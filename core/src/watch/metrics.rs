//! The Prometheus text exposition format (0.0.4) of a [`WatchState`].
//!
//! Gauges describe the last successful cycle (compliance, findings, drift, tunnels) or the last
//! cycle of any outcome (duration, rate-limit utilisation); counters accumulate over the watch.
//! Every family has `# HELP` and `# TYPE`, label values are escaped (`\\`, `\"`, `\n`), and
//! series whose label values are known in advance (severities, statuses, alert kinds) are
//! always present, zero included, so that a query never sees them appear and vanish.

use std::fmt::Write as _;

use super::alerts::AlertKind;
use super::cycle::Observed;
use super::state::WatchState;
use crate::invariants::{Severity, Status};
use crate::snapshot::Timestamp;

/// The `Content-Type` of [`render_prometheus`]'s text.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Renders `state` as Prometheus text (format 0.0.4).
///
/// ```
/// let text = cfcp::watch::render_prometheus(&cfcp::watch::WatchState::default());
/// assert!(text.contains("# TYPE cfcp_cycles_total counter\ncfcp_cycles_total 0\n"));
/// ```
pub fn render_prometheus(state: &WatchState) -> String {
    let mut out = Exposition::default();
    let checked = state.last_checked.as_ref().and_then(|c| c.observed());
    let empty = Observed::default();
    let seen = checked.unwrap_or(&empty);

    out.family(
        "cfcp_invariant_compliance_ratio",
        "Share of decided findings (PASS and FAIL) that pass, per zone, in the last successful cycle.",
        "gauge",
    );
    for zone in &seen.zones {
        out.sample(
            "cfcp_invariant_compliance_ratio",
            &[("zone", &zone.zone)],
            zone.ratio(),
        );
    }

    out.family(
        "cfcp_findings",
        "Findings of the last successful cycle by severity and status.",
        "gauge",
    );
    for severity in Severity::ALL {
        for status in [Status::Fail, Status::Pass, Status::Muted, Status::Unknown] {
            let count = seen.findings.get(&(severity, status)).copied().unwrap_or(0);
            out.sample(
                "cfcp_findings",
                &[("severity", severity.as_str()), ("status", status.as_str())],
                count as f64,
            );
        }
    }

    out.family(
        "cfcp_drift_items",
        "Drift items between the desired state and the account in the last successful cycle (0 when no desired state is watched).",
        "gauge",
    );
    out.sample("cfcp_drift_items", &[], seen.drift_items as f64);

    out.family(
        "cfcp_snapshot_gaps",
        "Sections the last successful snapshot could not read.",
        "gauge",
    );
    out.sample("cfcp_snapshot_gaps", &[], seen.gaps as f64);

    out.family(
        "cfcp_tunnel_healthy",
        "1 when the tunnel is healthy with at least one edge connection, else 0 (last successful cycle).",
        "gauge",
    );
    for tunnel in &seen.tunnels {
        out.sample(
            "cfcp_tunnel_healthy",
            &[("tunnel", &tunnel.name), ("tunnel_id", &tunnel.id)],
            if tunnel.is_healthy() { 1.0 } else { 0.0 },
        );
    }

    out.family(
        "cfcp_api_requests_total",
        "HTTP requests to the Cloudflare API, retries included.",
        "counter",
    );
    out.sample(
        "cfcp_api_requests_total",
        &[],
        state.api_requests_total as f64,
    );

    out.family(
        "cfcp_api_retries_total",
        "Retried Cloudflare API requests (408, 409, 429, 5xx, connection failures).",
        "counter",
    );
    out.sample(
        "cfcp_api_retries_total",
        &[],
        state.api_retries_total as f64,
    );

    out.family(
        "cfcp_api_rate_limit_utilisation",
        "Share of the client's rate-limit window in use at the end of the last cycle (0 to 1).",
        "gauge",
    );
    if let Some(used) = state
        .last
        .as_ref()
        .and_then(|c| c.api.rate_limit_utilisation)
    {
        out.sample("cfcp_api_rate_limit_utilisation", &[], used);
    }

    out.family(
        "cfcp_last_success_timestamp_seconds",
        "Unix time of the last successful cycle (0 before the first).",
        "gauge",
    );
    out.sample(
        "cfcp_last_success_timestamp_seconds",
        &[],
        state.last_success.as_ref().map_or(0.0, unix_seconds),
    );

    out.family(
        "cfcp_consecutive_failures",
        "Failed cycles in a row (0 after a success).",
        "gauge",
    );
    out.sample(
        "cfcp_consecutive_failures",
        &[],
        f64::from(state.consecutive_failures),
    );

    out.family("cfcp_errors_total", "Errors by kind.", "counter");
    for (kind, count) in &state.errors_total {
        out.sample("cfcp_errors_total", &[("kind", kind)], *count as f64);
    }

    out.family("cfcp_alerts_total", "Alerts raised, by kind.", "counter");
    for kind in AlertKind::ALL {
        let count = state.alerts_total.get(&kind).copied().unwrap_or(0);
        out.sample(
            "cfcp_alerts_total",
            &[("kind", kind.as_str())],
            count as f64,
        );
    }

    out.family("cfcp_cycles_total", "Watch cycles run.", "counter");
    out.sample("cfcp_cycles_total", &[], state.cycles_total as f64);

    out.family(
        "cfcp_skipped_ticks_total",
        "Interval ticks skipped because a cycle ran longer than the interval.",
        "counter",
    );
    out.sample(
        "cfcp_skipped_ticks_total",
        &[],
        state.skipped_ticks_total as f64,
    );

    out.family(
        "cfcp_cycle_duration_seconds",
        "Duration of the last cycle.",
        "gauge",
    );
    if let Some(last) = &state.last {
        out.sample(
            "cfcp_cycle_duration_seconds",
            &[],
            last.duration.as_secs_f64(),
        );
    }
    out.0
}

fn unix_seconds(at: &Timestamp) -> f64 {
    let t = at.to_datetime();
    t.unix_timestamp() as f64 + f64::from(t.nanosecond()) / 1e9
}

/// Escapes a label value: backslash, double quote and line feed.
///
/// ```
/// assert_eq!(cfcp::watch::escape_label_value("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
/// ```
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Go's float formatting as Prometheus parses it: `+Inf`, `-Inf`, `NaN`.
fn value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{v}")
    }
}

#[derive(Default)]
struct Exposition(String);

impl Exposition {
    fn family(&mut self, name: &str, help: &str, kind: &str) {
        // Writing to a String cannot fail.
        let _ = writeln!(self.0, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], v: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (label, text)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{label}=\"{}\"", escape_label_value(text));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {}", value(v));
    }
}

#[cfg(test)]
mod tests;
