//! Acceptance tests of `cfcp watch` against the fake Cloudflare API, a loopback webhook receiver
//! and the metrics endpoint.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cfcp::snapshot::{Snapshot, DEMO_SNAPSHOT_JSON};
use fake_cloudflare::{FakeConfig, FakeHandle, Faults, TokenSpec};
use serde_json::Value;

#[path = "../../core/src/watch/metrics/exposition_parser.rs"]
mod exposition_parser;

/// A token that must never show up in any output, metric or webhook body.
const TOKEN: &str = "watch-marker-t0k3n-5e1f";

fn demo() -> Snapshot {
    Snapshot::from_json_str(DEMO_SNAPSHOT_JSON).unwrap()
}

fn start(config: FakeConfig) -> FakeHandle {
    FakeHandle::spawn_blocking_thread(config.with_token(TokenSpec::all(TOKEN)))
        .expect("fake Cloudflare starts")
}

/// A loopback webhook receiver: answers 200 to every POST and hands the bodies over.
struct Receiver {
    url: String,
    bodies: mpsc::Receiver<String>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/cfcp", listener.local_addr().unwrap());
        let (tx, bodies) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                if let Some(body) = read_request(&mut stream) {
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    );
                    if tx.send(body).is_err() {
                        return;
                    }
                }
            }
        });
        Receiver { url, bodies }
    }

    /// Batches until one satisfies `found`, within `timeout`.
    fn wait_for(&self, timeout: Duration, found: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(body) = self.bodies.recv_timeout(left) else {
                break;
            };
            assert!(!body.contains(TOKEN), "the token reached the webhook");
            let batch: Value = serde_json::from_str(&body).expect("the webhook body is JSON");
            assert_eq!(batch["format"], "cfcp.alert/v1", "{batch}");
            if found(&batch) {
                return batch;
            }
            seen.push(batch);
        }
        panic!("no matching webhook batch within {timeout:?}; got {seen:#?}");
    }
}

/// Reads one HTTP request (head and Content-Length body); returns the body.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        assert!(head.starts_with("POST /hooks/cfcp HTTP/1.1"), "{head}");
        let lower = head.to_ascii_lowercase();
        assert!(
            !lower.contains("authorization:") && !lower.contains("x-auth-"),
            "{head}"
        );
        let length: usize = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buf.len() >= end + 4 + length {
            return Some(String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).to_string());
        }
    }
}

/// A running `cfcp watch` with its stderr collected line by line.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Arc<Mutex<String>>,
}

impl Watch {
    fn spawn(fake: &FakeHandle, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cfcp"))
            .env_remove("CLOUDFLARE_EMAIL")
            .env_remove("CLOUDFLARE_API_KEY")
            .env_remove("CFCP_WEBHOOK_URL")
            .env("CLOUDFLARE_BASE_URL", fake.base_url())
            .env("CLOUDFLARE_API_TOKEN", TOKEN)
            .arg("watch")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cfcp runs");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        let log = Arc::new(Mutex::new(String::new()));
        let all = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                all.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        Watch { child, lines, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The first stderr line satisfying `found`, within `timeout`.
    fn wait_line(&self, timeout: Duration, found: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if found(&line) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!(
            "no matching line within {timeout:?}; stderr:\n{}",
            self.log()
        );
    }

    fn metrics_addr(&self) -> SocketAddr {
        let line = self.wait_line(Duration::from_secs(30), |l| {
            l.contains("metrics at http://")
        });
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.strip_suffix("/metrics"))
            .unwrap_or_else(|| panic!("{line}"));
        addr.parse().unwrap()
    }

    fn terminate(mut self) -> (ExitStatus, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread drain the last lines.
                std::thread::sleep(Duration::from_millis(100));
                let log = self.log();
                assert!(!log.contains(TOKEN), "the token reached stderr");
                return (status, log);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("cfcp watch did not stop on SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` over plain HTTP/1.1: (status, head, body).
fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

fn metrics(addr: SocketAddr) -> exposition_parser::Exposition {
    let (status, head, body) = get(addr, "/metrics");
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    assert!(!body.contains(TOKEN));
    exposition_parser::parse(&body).unwrap_or_else(|e| panic!("invalid exposition: {e}\n{body}"))
}

fn alerts(batch: &Value) -> &Vec<Value> {
    batch["alerts"].as_array().expect("alerts is an array")
}

/// Changes a zone setting through the fake's API, behind the watch's back.
fn patch_setting(fake: &FakeHandle, zone_id: &str, setting: &str, value: &str) {
    let client = cfcp::api::Client::builder()
        .base_url(fake.base_url())
        .credentials(
            cfcp::api::Credentials::from_lookup(|n| {
                (n == "CLOUDFLARE_API_TOKEN").then(|| TOKEN.to_owned())
            })
            .unwrap(),
        )
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(client.patch_zone_setting(zone_id, setting, &Value::from(value)))
        .expect("the fake accepts the change");
}

#[test]
fn alerts_a_planted_violation_serves_metrics_and_stops_on_sigterm() {
    let fake = start(FakeConfig::new(demo()));
    let receiver = Receiver::start();
    let watch = Watch::spawn(
        &fake,
        &[
            "--interval",
            "1s",
            "--metrics",
            "127.0.0.1:0",
            "--webhook",
            &receiver.url,
        ],
    );
    let addr = watch.metrics_addr();
    let shop = demo()
        .zones
        .iter()
        .find(|z| z.zone.name == "acme-shop.com")
        .unwrap()
        .zone
        .id
        .clone();
    let is_planted = |a: &Value| {
        a["kind"] == "new_violation"
            && a["check_id"] == "zone_ssl_strict"
            && a["zone"] == "acme-shop.com"
    };

    // The first cycle reports what is already failing at or above high, and not the setting
    // that is still fine.
    let first = receiver.wait_for(Duration::from_secs(60), |_| true);
    assert!(!alerts(&first).is_empty());
    assert!(alerts(&first).iter().all(|a| a["severity"] == "high"
        || a["severity"] == "critical"
        || a["kind"] != "new_violation"));
    assert!(!alerts(&first).iter().any(is_planted), "{first:#}");
    watch.wait_line(Duration::from_secs(30), |l| {
        l.starts_with("watch: cycle 1 ok")
    });

    patch_setting(&fake, &shop, "ssl", "off");
    let batch = receiver.wait_for(Duration::from_secs(60), |b| {
        alerts(b).iter().any(is_planted)
    });
    let alert = alerts(&batch).iter().find(|a| is_planted(a)).unwrap();
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["resource"]["type"], "zone");
    assert_eq!(alert["resource"]["id"], shop.as_str());
    assert!(alert["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        alerts(&batch).len(),
        1,
        "only the planted violation is new: {batch:#}"
    );

    let parsed = metrics(addr);
    for family in [
        "cfcp_invariant_compliance_ratio",
        "cfcp_findings",
        "cfcp_drift_items",
        "cfcp_api_requests_total",
        "cfcp_api_rate_limit_utilisation",
        "cfcp_tunnel_healthy",
        "cfcp_last_success_timestamp_seconds",
        "cfcp_consecutive_failures",
        "cfcp_errors_total",
        "cfcp_cycles_total",
        "cfcp_cycle_duration_seconds",
    ] {
        assert!(parsed.types.contains_key(family), "{family} missing");
    }
    assert!(parsed.value("cfcp_cycles_total", &[]).unwrap() >= 2.0);
    assert_eq!(parsed.value("cfcp_consecutive_failures", &[]), Some(0.0));
    let requests = parsed.value("cfcp_api_requests_total", &[]).unwrap();
    assert!(requests > 0.0 && requests <= fake.request_count() as f64);
    let ratio = parsed
        .value(
            "cfcp_invariant_compliance_ratio",
            &[("zone", "acme-shop.com")],
        )
        .unwrap();
    assert!(ratio > 0.0 && ratio < 1.0, "{ratio}");
    let utilisation = parsed
        .value("cfcp_api_rate_limit_utilisation", &[])
        .unwrap();
    assert!(utilisation > 0.0 && utilisation <= 1.0, "{utilisation}");
    assert!(
        parsed
            .value("cfcp_last_success_timestamp_seconds", &[])
            .unwrap()
            > 1.7e9
    );
    assert_eq!(
        parsed.value(
            "cfcp_tunnel_healthy",
            &[
                ("tunnel", "acme-prod-shop"),
                ("tunnel_id", &tunnel_id("acme-prod-shop"))
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        parsed.value(
            "cfcp_tunnel_healthy",
            &[
                ("tunnel", "acme-internal-tools"),
                ("tunnel_id", &tunnel_id("acme-internal-tools"))
            ]
        ),
        Some(0.0)
    );
    assert_eq!(get(addr, "/").0, 404);
    assert_eq!(get(addr, "/metrics/extra").0, 404);

    let (status, log) = watch.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("watch: SIGTERM: stopped"), "{log}");
    assert!(
        TcpStream::connect(addr).is_err(),
        "the metrics listener is closed"
    );
}

fn tunnel_id(name: &str) -> String {
    demo()
        .accounts
        .iter()
        .flat_map(|a| &a.tunnels)
        .find(|t| t.tunnel.name.as_deref() == Some(name))
        .unwrap()
        .tunnel
        .id
        .clone()
}

#[test]
fn an_api_outage_raises_the_failure_metric_and_alerts_once() {
    let fake = start(FakeConfig::new(demo()).with_faults(Faults {
        fail_every: Some(1),
        ..Faults::none()
    }));
    let receiver = Receiver::start();
    let watch = Watch::spawn(
        &fake,
        &[
            "--interval",
            "1s",
            "--max-retries",
            "0",
            "--failures-before-alert",
            "2",
            "--metrics",
            "127.0.0.1:0",
            "--webhook",
            &receiver.url,
        ],
    );
    let addr = watch.metrics_addr();
    let deadline = Instant::now() + Duration::from_secs(60);
    let parsed = loop {
        let parsed = metrics(addr);
        if parsed.value("cfcp_consecutive_failures", &[]).unwrap() >= 3.0 {
            break parsed;
        }
        assert!(
            Instant::now() < deadline,
            "failures did not rise:\n{}",
            watch.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let failures = parsed.value("cfcp_consecutive_failures", &[]).unwrap();
    assert_eq!(parsed.value("cfcp_cycles_total", &[]), Some(failures));
    assert_eq!(
        parsed.value("cfcp_errors_total", &[("kind", "server")]),
        Some(failures)
    );
    assert_eq!(
        parsed.value("cfcp_last_success_timestamp_seconds", &[]),
        Some(0.0)
    );
    let batch = receiver.wait_for(Duration::from_secs(30), |_| true);
    assert_eq!(alerts(&batch).len(), 1, "{batch:#}");
    assert_eq!(alerts(&batch)[0]["kind"], "snapshot_failure");
    assert!(alerts(&batch)[0]["message"]
        .as_str()
        .unwrap()
        .contains("2 cycles in a row"));
    assert!(
        receiver
            .bodies
            .recv_timeout(Duration::from_secs(2))
            .is_err(),
        "one alert per outage"
    );
    watch.wait_line(Duration::from_secs(5), |l| {
        l.contains("failed in") && l.contains("(server, ")
    });

    let (status, log) = watch.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
}

fn run_once(fake: &FakeHandle, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cfcp"))
        .env_remove("CLOUDFLARE_EMAIL")
        .env_remove("CLOUDFLARE_API_KEY")
        .env_remove("CFCP_WEBHOOK_URL")
        .env("CLOUDFLARE_BASE_URL", fake.base_url())
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .arg("watch")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!text.contains(TOKEN));
    (output.status.code(), text)
}

#[test]
fn once_runs_one_cycle_and_exits_by_the_threshold() {
    let fake = start(FakeConfig::new(demo()));
    let (code, text) = run_once(&fake, &["--once"]);
    assert_eq!(code, Some(1), "the demo has high failures:\n{text}");
    assert_eq!(text.matches("watch: cycle ").count(), 1, "{text}");
    assert!(text.contains("watch: cycle 1 ok"), "{text}");

    // acme-shop.com is the well-configured zone of the demo: nothing failing at critical.
    let report = cfcp::invariants::run(
        &demo(),
        &cfcp::invariants::Config {
            zones: vec!["acme-shop.com".into()],
            now: Some(cfcp::snapshot::Timestamp::from_datetime(
                time::OffsetDateTime::now_utc(),
            )),
            ..Default::default()
        },
    );
    let critical = report
        .failures()
        .any(|f| f.severity == cfcp::invariants::Severity::Critical);
    let (code, text) = run_once(
        &fake,
        &[
            "--once",
            "--zone",
            "acme-shop.com",
            "--alert-on",
            "critical",
        ],
    );
    assert_eq!(code, Some(i32::from(critical)), "{text}");

    let down = start(FakeConfig::new(demo()).with_faults(Faults {
        fail_every: Some(1),
        ..Faults::none()
    }));
    let (code, text) = run_once(&down, &["--once", "--max-retries", "0"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("failed in"), "{text}");
}

#[test]
fn bad_usage_exits_2() {
    let fake = start(FakeConfig::new(demo()));
    for args in [
        &["--interval", "5"][..],
        &["--interval", "0s"],
        &["--metrics", "localhost"],
        &["--alert-on", "severe"],
        &["--webhook", "ftp://example.com/x", "--once"],
    ] {
        let (code, text) = run_once(&fake, args);
        assert_eq!(code, Some(2), "{args:?}: {text}");
    }
    assert_eq!(fake.request_count(), 0, "nothing was sent");
}

#[test]
fn a_slow_cycle_skips_ticks_and_sigterm_aborts_the_cycle_in_flight() {
    // Every answer takes 600 ms, so a cycle (zones, then each zone's sections) outlasts the
    // 1 s interval.
    let fake = start(FakeConfig::new(demo()).with_faults(Faults {
        latency: Duration::from_millis(600),
        ..Faults::none()
    }));
    let watch = Watch::spawn(&fake, &["--interval", "1s", "--metrics", "127.0.0.1:0"]);
    let addr = watch.metrics_addr();
    watch.wait_line(Duration::from_secs(60), |l| {
        l.starts_with("watch: cycle 1 ok")
    });
    let after_first = Instant::now();
    let parsed = metrics(addr);
    let took = parsed.value("cfcp_cycle_duration_seconds", &[]).unwrap();
    assert!(took > 1.0, "{took}");
    let skipped = parsed.value("cfcp_skipped_ticks_total", &[]).unwrap();
    assert!(
        skipped >= took.floor(),
        "{skipped} ticks skipped in a {took} s cycle"
    );
    // The next cycle starts on the next tick (within 1 s) and runs for more than 1.2 s: 1.1 s
    // after the first ended, the second is in flight, and /metrics still answers.
    std::thread::sleep(Duration::from_millis(1100).saturating_sub(after_first.elapsed()));
    assert_eq!(metrics(addr).value("cfcp_cycles_total", &[]), Some(1.0));
    let signalled = Instant::now();
    let (status, log) = watch.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        signalled.elapsed() < Duration::from_millis(1500),
        "stopping took {:?}",
        signalled.elapsed()
    );
    assert!(log.contains("watch: cycle 2 aborted"), "{log}");
    assert!(!log.contains("watch: cycle 2 ok"), "{log}");
}

#[test]
fn an_unreachable_webhook_is_counted_and_the_watch_goes_on() {
    let fake = start(FakeConfig::new(demo()));
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/secret-path", closed.local_addr().unwrap());
    drop(closed);
    let watch = Watch::spawn(
        &fake,
        &[
            "--interval",
            "1s",
            "--metrics",
            "127.0.0.1:0",
            "--webhook",
            &url,
            "--webhook-timeout",
            "1",
        ],
    );
    let addr = watch.metrics_addr();
    let line = watch.wait_line(Duration::from_secs(60), |l| l.contains("not delivered"));
    assert!(!line.contains("secret-path"), "{line}");
    watch.wait_line(Duration::from_secs(30), |l| {
        l.starts_with("watch: cycle 2 ok")
    });
    let parsed = metrics(addr);
    assert_eq!(
        parsed.value("cfcp_errors_total", &[("kind", "webhook")]),
        Some(1.0)
    );
    assert_eq!(parsed.value("cfcp_consecutive_failures", &[]), Some(0.0));
    let (status, log) = watch.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
}

#[test]
fn drift_against_the_desired_state_alerts_and_auto_safe_reverts_it() {
    let fake = start(FakeConfig::new(demo()));
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let desired = dir.path().join("desired.json");
    std::fs::write(&desired, fake.current_snapshot().to_json_pretty()).unwrap();
    let audit = dir.path().join("watch-audit.jsonl");
    let watch = Watch::spawn(
        &fake,
        &[
            "--interval",
            "1s",
            "--metrics",
            "127.0.0.1:0",
            "--webhook",
            &receiver.url,
            "--desired",
            desired.to_str().unwrap(),
            "--remediate",
            "auto-safe",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
    );
    let addr = watch.metrics_addr();
    watch.wait_line(Duration::from_secs(30), |l| {
        l.starts_with("watch: cycle 1 ok")
    });
    assert_eq!(metrics(addr).value("cfcp_drift_items", &[]), Some(0.0));
    let shop = demo().zone("acme-shop.com").unwrap().zone.id.clone();

    // Somebody weakens TLS in the dashboard: drift, alerted, and put back without a human
    // (restoring a stronger setting is a step Layer0 allows).
    patch_setting(&fake, &shop, "ssl", "off");
    let batch = receiver.wait_for(Duration::from_secs(60), |b| {
        alerts(b).iter().any(|a| a["kind"] == "drift")
    });
    assert!(
        alerts(&batch)
            .iter()
            .any(|a| a["check_id"] == "zone_ssl_strict"),
        "{batch:#}"
    );
    watch.wait_line(Duration::from_secs(30), |l| {
        l.contains("remediation applied 1 of 1 safe step(s)")
    });
    let ssl = |s: &Snapshot| {
        s.zone("acme-shop.com")
            .unwrap()
            .settings
            .iter()
            .find(|x| x.id == "ssl")
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(ssl(&fake.current_snapshot()), ssl(&demo()));
    watch.wait_line(Duration::from_secs(30), |l| {
        l.contains("ok") && l.starts_with("watch: cycle")
    });
    let (status, log) = watch.terminate();
    assert!(status.success(), "{log}");
    assert!(log.contains("revert plan of 1 step(s), 1 safe"), "{log}");
    let verify = Command::new(env!("CARGO_BIN_EXE_cfcp"))
        .args(["log", "verify", audit.to_str().unwrap(), "--require-sealed"])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
