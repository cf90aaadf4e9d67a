//! `cfcp watch`: every interval, snapshot the account, run the invariants, send alerts to a
//! webhook and update the Prometheus metrics. What a cycle means (alerts, metrics, backoff,
//! schedule) is `cfcp::watch`; this file is the shell around it: the clock, the signals, the
//! metrics listener and the loop.
//!
//! Cycles never overlap: the next one is scheduled when the previous has ended. A signal
//! (SIGTERM, SIGINT) aborts the cycle in flight while it reads — dropping a read leaves nothing
//! half done — but not a remediation (`--remediate auto-safe`), which finishes its steps so the
//! audit trail never ends between a decision and its outcome; then the metrics listener stops
//! and the process exits 0.
//!
//! With `--desired`, each cycle also computes the drift against the desired state (read again
//! every cycle) with `cfcp drift`'s code, and `--remediate` plans (and with `auto-safe` applies
//! the Layer0-allowed part of) the revert with `cfcp remediate`'s code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cfcp::api::{Client, NoProgress, SnapshotScope, Webhook};
use cfcp::drift::Drift;
use cfcp::invariants::{self, Config, Severity};
use cfcp::report::Report;
use cfcp::snapshot::Snapshot;
use cfcp::watch::{
    render_prometheus, AlertBatch, AlertPolicy, ApiUsage, CycleInput, CycleResult, Schedule,
    WatchState, PROMETHEUS_CONTENT_TYPE,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::error::CliError;
use crate::Outcome;

/// Arguments of `cfcp watch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Time between cycle starts: 30s, 5m, 1h, 1h30m.
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = cfcp::watch::parse_duration)]
    interval: Duration,
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464 (port 0 picks a free
    /// port; the address is printed).
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    metrics: Option<SocketAddr>,
    /// POST alerts (JSON, format cfcp.alert/v1) to this URL. Also read from CFCP_WEBHOOK_URL,
    /// which keeps a secret URL out of the process list.
    #[arg(
        long,
        value_name = "URL",
        env = "CFCP_WEBHOOK_URL",
        hide_env_values = true
    )]
    webhook: Option<String>,
    /// Only this zone (by name); repeatable. Default: every zone the token can see.
    #[arg(long = "zone", value_name = "NAME")]
    zones: Vec<String>,
    /// Run one cycle and exit: 1 when a FAIL at or above --alert-on exists or the cycle failed.
    #[arg(long)]
    once: bool,
    /// Alert on new violations at or above this severity (critical, high, medium, low, info).
    #[arg(long, default_value = "high", value_name = "SEVERITY", value_parser = parse_severity)]
    alert_on: Severity,
    /// Alert when this many cycles in a row have failed (once per outage).
    #[arg(long, default_value_t = 3, value_name = "N")]
    failures_before_alert: u32,
    /// Retries per API request on 408/409/429/5xx and connection errors.
    #[arg(long, default_value_t = 4, value_name = "N")]
    max_retries: u32,
    /// Client-side rate limit as REQUESTS/SECONDS (Cloudflare's is 1200/300).
    #[arg(long, default_value = "1200/300", value_name = "N/SECS", value_parser = crate::env::parse_rate)]
    rate_limit: (u32, Duration),
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    timeout: u64,
    /// Per-attempt timeout of a webhook delivery in seconds (4 attempts at most; the next cycle
    /// waits for the delivery).
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    webhook_timeout: u64,
    /// The desired state (a Terraform state or plan JSON, or a snapshot), read again every
    /// cycle: the drift against it is a metric (cfcp_drift_items) and an alert when it grows.
    #[arg(long, value_name = "STATE_OR_PLAN_JSON")]
    desired: Option<PathBuf>,
    /// With --desired: `dry-run` logs the revert plan each cycle; `auto-safe` applies the steps
    /// Layer0 allows without approval (never deletes or downgrades), each audited.
    #[arg(long, value_enum, requires = "desired", value_name = "MODE")]
    remediate: Option<RemediateMode>,
    /// The audit trail of --remediate auto-safe (a signing key is kept beside it as FILE.key).
    #[arg(long, value_name = "FILE", default_value = "cfcp-watch-audit.jsonl")]
    audit_log: PathBuf,
}

/// What `--remediate` does with drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RemediateMode {
    /// Log the revert plan; change nothing.
    DryRun,
    /// Apply the steps Layer0 routes `allow`; leave the rest for `cfcp remediate`.
    AutoSafe,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| {
        format!("unknown severity {text:?}; one of critical, high, medium, low, info")
    })
}

fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    text.trim().parse().map_err(|_| {
        format!("{text:?} is not an IP address and port, e.g. 127.0.0.1:9464 or [::1]:9464")
    })
}

/// Runs the watch until a signal (or after one cycle with `--once`).
pub fn run(args: Args) -> Outcome {
    let webhook = args
        .webhook
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|url| Webhook::new(url, Duration::from_secs(args.webhook_timeout.clamp(1, 120))))
        .transpose()?;
    let client = crate::env::client_builder()?
        .max_retries(args.max_retries)
        .rate_limit(args.rate_limit.0, args.rate_limit.1)
        .timeout(Duration::from_secs(args.timeout))
        .build()?;
    let runtime = crate::env::runtime()?;
    runtime.block_on(Watch::new(args, client, webhook).run())
}

struct Watch {
    args: Args,
    client: Client,
    webhook: Option<Webhook>,
    policy: AlertPolicy,
    state: Arc<Mutex<WatchState>>,
}

/// Why the loop stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Running,
    Signal(&'static str),
}

impl Watch {
    fn new(args: Args, client: Client, webhook: Option<Webhook>) -> Self {
        let policy = AlertPolicy {
            min_severity: args.alert_on,
            failures_before_alert: args.failures_before_alert.max(1),
        };
        Watch {
            args,
            client,
            webhook,
            policy,
            state: Arc::new(Mutex::new(WatchState::default())),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WatchState> {
        lock(&self.state)
    }

    async fn run(self) -> Outcome {
        let (stop_tx, stop) = tokio::sync::watch::channel(Stop::Running);
        // Handlers go in before anything is served, so that a signal is never the default
        // action (kill) once the metrics address has been announced.
        let signals = listen_for_signals(stop_tx.clone())?;
        let server = match self.args.metrics {
            Some(addr) => Some(self.start_metrics(addr, stop.clone()).await?),
            None => None,
        };
        eprintln!(
            "watch: every {} against {}{}{}",
            human(self.args.interval),
            self.client.base_url(),
            self.webhook
                .as_ref()
                .map(|w| format!(", alerts to {}", w.target()))
                .unwrap_or_default(),
            if self.args.once { ", once" } else { "" }
        );
        let code = self.cycles(stop.clone()).await;
        let reason = *stop.borrow();
        let _ = stop_tx.send(Stop::Signal("done"));
        signals.abort();
        if let Some(server) = server {
            let _ = server.await;
        }
        if let Stop::Signal(signal) = reason {
            eprintln!("watch: {signal}: stopped");
        }
        Ok(code)
    }

    /// The loop; returns the exit code.
    async fn cycles(&self, mut stop: tokio::sync::watch::Receiver<Stop>) -> i32 {
        let schedule = Schedule::new(self.args.interval);
        let origin = Instant::now();
        let mut number = 0u64;
        loop {
            number += 1;
            let started = Instant::now();
            let (requests_before, retries_before) =
                (self.client.requests_sent(), self.client.retries());
            let now = crate::env::now();
            let outcome = tokio::select! {
                outcome = self.take_and_check(now.clone()) => outcome,
                _ = stopped(&mut stop) => {
                    eprintln!("watch: cycle {number} aborted (a cycle only reads: nothing to undo)");
                    return 0;
                }
            };
            let duration = started.elapsed();
            let api = ApiUsage {
                requests: self.client.requests_sent().saturating_sub(requests_before),
                retries: self.client.retries().saturating_sub(retries_before),
                rate_limit_utilisation: Some(self.client.rate_limit_utilisation()),
            };
            let mut remediation_failures = Vec::new();
            let mut drift_count = None;
            if let Ok((_, _, Some(drift))) = &outcome {
                match drift {
                    Ok(drift) => {
                        drift_count = Some(drift.items.len());
                        // Not raced against signals: a remediation started is finished, so
                        // the audit trail never ends between a decision and its outcome.
                        remediation_failures = self.remediate(drift).await;
                    }
                    Err(e) => {
                        self.state().record_error("desired");
                        eprintln!("watch: {e}");
                    }
                }
            }
            let (result, failing_at_threshold) = match &outcome {
                Ok((snapshot, report, _)) => {
                    let mut input = CycleInput::new(snapshot, report, now.clone());
                    input.duration = duration;
                    input.api = api;
                    input.drift_count = drift_count;
                    input.remediation_failures = remediation_failures;
                    let at_threshold = report
                        .failures()
                        .filter(|f| f.severity >= self.args.alert_on)
                        .count();
                    (CycleResult::checked(input), at_threshold)
                }
                Err(error) => (CycleResult::failed(error, now.clone(), duration, api), 0),
            };
            drop(outcome);
            let (alerts, consecutive) = {
                let mut state = self.state();
                let alerts = state.record(result, &self.policy);
                (alerts, state.consecutive_failures)
            };
            let next = schedule.next(started - origin, Instant::now() - origin, consecutive);
            self.state().record_skipped_ticks(next.skipped_ticks);
            let wait = (origin + next.at).saturating_duration_since(Instant::now());
            self.log_cycle(number, failing_at_threshold, alerts.len(), wait);

            if !alerts.is_empty() {
                if let Some(webhook) = &self.webhook {
                    let batch = AlertBatch::new(crate::env::now(), alerts);
                    tokio::select! {
                        delivered = webhook.post_json(&batch) => if let Err(e) = delivered {
                            self.state().record_error("webhook");
                            eprintln!("watch: {} alert(s) not delivered: {e}", batch.alerts.len());
                        },
                        _ = stopped(&mut stop) => {
                            eprintln!("watch: {} alert(s) not delivered: stopping", batch.alerts.len());
                            return 0;
                        }
                    }
                }
            }
            if self.args.once {
                let failed = self.state().consecutive_failures > 0;
                return i32::from(failed || failing_at_threshold > 0);
            }
            tokio::select! {
                _ = tokio::time::sleep_until(origin + next.at) => {}
                _ = stopped(&mut stop) => return 0,
            }
        }
    }

    async fn take_and_check(
        &self,
        now: cfcp::snapshot::Timestamp,
    ) -> Result<(Snapshot, Report, Option<Result<Drift, String>>), cfcp::Error> {
        let scope = SnapshotScope {
            zones: self.args.zones.clone(),
            accounts: Vec::new(),
        };
        let snapshot = self
            .client
            .snapshot(&scope, now.clone(), &NoProgress)
            .await?;
        let config = Config {
            zones: self.args.zones.clone(),
            now: Some(now),
            ..Config::default()
        };
        let desired = self.args.desired.clone();
        // The checks are CPU work: off the runtime's threads, so /metrics keeps answering.
        tokio::task::spawn_blocking(move || {
            let report = invariants::run(&snapshot, &config);
            // Read again every cycle: a merged change to the code is the new desired state.
            let drift = desired.map(|path| {
                crate::commands::drift::read_desired(&path)
                    .and_then(|input| input.resolve(&snapshot))
                    .map(|desired| crate::commands::drift::compute(&desired, &snapshot))
                    .map_err(|e| format!("desired state {}: {e}", path.display()))
            });
            (snapshot, report, drift)
        })
        .await
        .map_err(|e| cfcp::Error::Config {
            message: format!("the invariant check did not finish: {e}"),
        })
    }

    /// `--remediate`: the revert plan of `drift`, logged (dry-run) or applied where Layer0
    /// allows it without a human (auto-safe). Returns what failed, for alerts.
    async fn remediate(&self, drift: &Drift) -> Vec<String> {
        let Some(mode) = self.args.remediate else {
            return Vec::new();
        };
        if drift.is_empty() {
            return Vec::new();
        }
        let mut plan = cfcp::drift::revert(drift, &cfcp::drift::RevertOptions::default());
        let ctx = cfcp::layer0::Context {
            zones_allowed: if self.args.zones.is_empty() {
                vec!["*".into()]
            } else {
                self.args.zones.clone()
            },
            ..Default::default()
        };
        cfcp::drift::route(&mut plan, &cfcp::layer0::Layer0::default(), &ctx);
        let (safe, held): (Vec<_>, Vec<_>) = plan
            .steps
            .iter()
            .cloned()
            .partition(|s| s.routing.route == "allow");
        eprintln!(
            "watch: drift of {} resource(s): revert plan of {} step(s), {} safe, {} need approval or are blocked (cfcp remediate){}",
            drift.items.len(),
            plan.steps.len(),
            safe.len(),
            held.len(),
            if mode == RemediateMode::DryRun { "; dry run" } else { "" }
        );
        if mode == RemediateMode::DryRun || safe.is_empty() {
            return Vec::new();
        }
        if let Some(why) = &plan.refused {
            return vec![format!("auto-safe remediation refused: {why}")];
        }
        let opened =
            cfcp::audit::load_or_generate(&key_path(&self.args.audit_log)).and_then(|key| {
                cfcp::audit::AuditLog::open(
                    &self.args.audit_log,
                    key.key,
                    cfcp::audit::AuditOptions::default(),
                    time::OffsetDateTime::now_utc(),
                )
            });
        let log = match opened {
            Ok(log) => log,
            Err(e) => {
                return vec![format!(
                    "auto-safe remediation not started: audit trail: {e}"
                )]
            }
        };
        let approver = serde_json::json!({"by": "cfcp watch --remediate auto-safe"});
        let result =
            crate::commands::remediate::apply_steps(&self.client, &safe, &log, &approver).await;
        let _ = log.close(time::OffsetDateTime::now_utc());
        match result {
            Ok(applied) => {
                eprintln!(
                    "watch: remediation applied {} of {} safe step(s)",
                    applied.applied,
                    safe.len()
                );
                applied.failed.into_iter().collect()
            }
            Err(e) => vec![format!("auto-safe remediation: {e}")],
        }
    }

    fn log_cycle(&self, number: u64, at_threshold: usize, alerts: usize, wait: Duration) {
        let state = self.state();
        let Some(last) = &state.last else { return };
        let took = format!("{:.2}s", last.duration.as_secs_f64());
        match (last.observed(), last.failure()) {
            (Some(seen), _) => {
                let (passed, failed) = seen
                    .zones
                    .iter()
                    .fold((0, 0), |(p, f), z| (p + z.passed, f + z.failed));
                let compliance = if passed + failed == 0 {
                    100.0
                } else {
                    passed as f64 * 100.0 / (passed + failed) as f64
                };
                eprintln!(
                    "watch: cycle {number} ok in {took}: {} zone(s), {} FAIL ({at_threshold} at or above {}), compliance {compliance:.1}%, {} tunnel(s) unhealthy, {alerts} alert(s), {} request(s) ({} retries); next in {}",
                    seen.zones.len(),
                    seen.failures(),
                    self.args.alert_on,
                    seen.tunnels.iter().filter(|t| !t.is_healthy() && !t.is_inactive()).count(),
                    last.api.requests,
                    last.api.retries,
                    human(wait),
                );
            }
            (None, Some(failure)) => eprintln!(
                "watch: cycle {number} failed in {took} ({}, {} in a row): {}; {alerts} alert(s); retry in {}",
                failure.kind,
                failure.consecutive,
                failure.message,
                human(wait),
            ),
            (None, None) => {}
        }
    }

    async fn start_metrics(
        &self,
        addr: SocketAddr,
        stop: tokio::sync::watch::Receiver<Stop>,
    ) -> Result<tokio::task::JoinHandle<()>, CliError> {
        if !addr.ip().is_loopback() {
            eprintln!(
                "warning: metrics on {addr} are reachable from other hosts and name your zones and tunnels; prefer 127.0.0.1"
            );
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| CliError::Io {
                path: format!("--metrics {addr}").into(),
                source,
            })?;
        let bound = listener.local_addr().map_err(|source| CliError::Io {
            path: format!("--metrics {addr}").into(),
            source,
        })?;
        eprintln!("watch: metrics at http://{bound}/metrics");
        Ok(tokio::spawn(serve_metrics(
            listener,
            self.state.clone(),
            stop,
        )))
    }
}

fn lock(state: &Mutex<WatchState>) -> std::sync::MutexGuard<'_, WatchState> {
    // A poisoned lock only means a panic mid-update of counters; they are still readable.
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Resolves once a stop has been requested.
fn key_path(log: &std::path::Path) -> PathBuf {
    let mut path = log.to_path_buf().into_os_string();
    path.push(".key");
    PathBuf::from(path)
}

async fn stopped(stop: &mut tokio::sync::watch::Receiver<Stop>) {
    let _ = stop.wait_for(|s| *s != Stop::Running).await;
}

fn listen_for_signals(
    tx: tokio::sync::watch::Sender<Stop>,
) -> Result<tokio::task::JoinHandle<()>, CliError> {
    let io = |source| CliError::Io {
        path: "signal handler".into(),
        source,
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).map_err(io)?;
        let mut int = signal(SignalKind::interrupt()).map_err(io)?;
        Ok(tokio::spawn(async move {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            let _ = tx.send(Stop::Signal(name));
        }))
    }
    #[cfg(not(unix))]
    {
        let _ = io;
        Ok(tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(Stop::Signal("Ctrl-C"));
            }
        }))
    }
}

/// `5m`, `1.5s`, `1h2m`: how long, for the log.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 {
        format!("{}h{}m", secs / 3600, secs % 3600 / 60)
    } else if secs >= 60 && secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else if secs >= 60 {
        format!("{}m{}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

// ---------------------------------------------------------------- the metrics listener

/// A request head larger than this is refused (a scrape's is a few hundred bytes).
const MAX_HEAD: usize = 8 * 1024;
/// A client that sends no full request head within this is dropped.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed unanswered, so that a flood of idle connections
/// cannot pile up tasks (a scraper needs one).
const MAX_CONNECTIONS: usize = 32;

async fn serve_metrics(
    listener: TcpListener,
    state: Arc<Mutex<WatchState>>,
    mut stop: tokio::sync::watch::Receiver<Stop>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        continue;
                    };
                    let state = state.clone();
                    tokio::spawn(async move {
                        answer(stream, state).await;
                        drop(slot);
                    });
                }
                // Out of file descriptors and the like: do not spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            _ = stopped(&mut stop) => break,
        }
    }
}

/// Answers one connection: `GET /metrics` gets the exposition, anything else 404 (400 for
/// what is not HTTP). One request per connection (`Connection: close`).
async fn answer(mut stream: TcpStream, state: Arc<Mutex<WatchState>>) {
    let head = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => head,
        _ => return,
    };
    let (status, content_type, body) = match route(&head) {
        Route::Metrics => (
            "200 OK",
            PROMETHEUS_CONTENT_TYPE,
            render_prometheus(&lock(&state)),
        ),
        Route::NotFound => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found; try GET /metrics\n".to_owned(),
        ),
        Route::BadRequest => (
            "400 Bad Request",
            "text/plain; charset=utf-8",
            "bad request\n".to_owned(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads up to the end of the request head; `None` when the client stops early or sends too
/// much.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(String::from_utf8_lossy(&buf[..end]).into_owned());
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Route {
    Metrics,
    NotFound,
    BadRequest,
}

fn route(head: &str) -> Route {
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    if !version.starts_with("HTTP/1.") {
        return Route::BadRequest;
    }
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    if method == "GET" && path == "/metrics" {
        Route::Metrics
    } else {
        Route::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_only_get_metrics() {
        assert_eq!(route("GET /metrics HTTP/1.1\r\nHost: x"), Route::Metrics);
        assert_eq!(route("GET /metrics?x=1 HTTP/1.0"), Route::Metrics);
        assert_eq!(route("POST /metrics HTTP/1.1"), Route::NotFound);
        assert_eq!(route("GET / HTTP/1.1"), Route::NotFound);
        assert_eq!(route("GET /metricsx HTTP/1.1"), Route::NotFound);
        assert_eq!(route("GET /metrics"), Route::BadRequest);
        assert_eq!(route("GET /metrics SPDY/3"), Route::BadRequest);
        assert_eq!(route(""), Route::BadRequest);
    }

    #[test]
    fn durations_for_the_log() {
        assert_eq!(human(Duration::from_secs(300)), "5m");
        assert_eq!(human(Duration::from_secs(90)), "1m30s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5s");
        assert_eq!(human(Duration::from_secs(5400)), "1h30m");
    }
}
