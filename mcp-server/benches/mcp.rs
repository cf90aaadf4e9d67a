//! `cargo xtask bench mcp`: what Layer0 and the audit trail add to a tool call, and how many
//! calls per second cfcp-mcp answers over streamable HTTP.
//!
//! 1. In process: the same read-only call (`dns_record_manage list`, 10 records) answered by the
//!    offline backend directly and through the steps of the server's gate (`src/gate.rs`: Layer0
//!    classify + route, the decision appended to the audit log before the call, the result
//!    scanned for injected text, the outcome appended after; the gate itself cannot be linked
//!    here since it holds the live backend, which needs the binary's `Args`), and, to show where
//!    the time goes, Layer0 and the quarantine scan without the audit log. Calls alternate so
//!    all see the same machine state.
//! 2. Over HTTP: the binary on 127.0.0.1, N clients with their own MCP sessions calling the same
//!    tool for S seconds.
//!
//! Options: `--calls N` (in-process calls per side, default 5000), `--seconds S` (HTTP run,
//! default 5), `--clients N` (default 4).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cfcp::layer0::{Context, Layer0};
use serde_json::{json, Value};

const TOKEN: &str = "bench-token-0123456789abcdef";

fn option(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn in_process(calls: u64, dir: &std::path::Path) {
    let snapshot = cfcp::snapshot::demo();
    let zone = snapshot.zones[0].zone.name.clone();
    let context = Context {
        zones_allowed: snapshot.zones.iter().map(|z| z.zone.name.clone()).collect(),
        account_id: Some(snapshot.accounts[0].account.id.clone()),
        scopes: vec!["dns:read".into(), "waf:read".into()],
        ..Context::default()
    };
    let key = cfcp::audit::load_or_generate(&dir.join("bench.key")).expect("audit key");
    let log = cfcp::audit::AuditLog::open(
        dir.join("bench-audit.jsonl"),
        key.key,
        cfcp::audit::AuditOptions::default(),
        time::OffsetDateTime::now_utc(),
    )
    .expect("audit log");
    // The gate keeps its log behind a lock shared by every session: so does this.
    let log = std::sync::Mutex::new(log);
    let layer0 = Layer0::default();
    let arguments = json!({"action": "list", "zone": zone, "limit": 10});
    let bare_call = || {
        let backend = cfcp::tools::offline::Backend {
            snapshot: &snapshot,
            layer0: &layer0,
            context: &context,
            now: time::OffsetDateTime::now_utc(),
        };
        cfcp::tools::offline::call(&backend, "dns_record_manage", &arguments).expect("bare call")
    };
    let gated_call = || {
        let request =
            json!({"kind": "tool_call", "tool": "dns_record_manage", "arguments": arguments});
        let verdict = layer0.decide(&request, &context, Some(&snapshot));
        assert_eq!(verdict.route(), cfcp::layer0::Route::Allow);
        let receipt = log
            .lock()
            .expect("log lock")
            .decision(
                time::OffsetDateTime::now_utc(),
                cfcp::audit::Decision {
                    request: request.clone(),
                    classification: serde_json::to_value(&verdict.classification)
                        .unwrap_or(Value::Null),
                    route: json!({"route": verdict.route().as_str(), "policies": verdict.decision.policies,
                                  "reasons": verdict.decision.reasons}),
                    approver: Value::Null,
                },
            )
            .expect("decision logged");
        let mut content = bare_call();
        let withheld = cfcp::tools::quarantine::quarantine(
            &mut content,
            "dns_record_manage",
            &layer0,
            &context,
        );
        let outcome = json!({"status": "ok", "is_error": false, "quarantined": withheld.len()});
        log.lock()
            .expect("log lock")
            .outcome(time::OffsetDateTime::now_utc(), receipt.seq, outcome)
            .expect("outcome logged");
        content
    };
    // Where the time goes: Layer0's decision and the quarantine scan without the audit log.
    let layer0_call = || {
        let request =
            json!({"kind": "tool_call", "tool": "dns_record_manage", "arguments": arguments});
        let verdict = layer0.decide(&request, &context, Some(&snapshot));
        assert_eq!(verdict.route(), cfcp::layer0::Route::Allow);
        let mut content = bare_call();
        cfcp::tools::quarantine::quarantine(&mut content, "dns_record_manage", &layer0, &context);
        content
    };
    for _ in 0..100 {
        bare_call();
        layer0_call();
        gated_call();
    }
    let (mut bare, mut layered, mut gated) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..calls {
        let t = Instant::now();
        std::hint::black_box(bare_call());
        bare.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(layer0_call());
        layered.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(gated_call());
        gated.push(t.elapsed());
    }
    log.into_inner()
        .expect("log lock")
        .close(time::OffsetDateTime::now_utc())
        .expect("seal the audit log");
    bare.sort();
    layered.sort();
    gated.sort();
    let row = |name: &str, d: &[Duration]| {
        println!(
            "  {name:<28} p50 {:>8.1} µs   p99 {:>8.1} µs   max {:>8.1} µs",
            micros(percentile(d, 50.0)),
            micros(percentile(d, 99.0)),
            micros(*d.last().unwrap_or(&Duration::ZERO))
        );
    };
    println!("in-process, dns_record_manage list (10 records), {calls} calls each:");
    row("offline backend only", &bare);
    row("+ Layer0 (no audit log)", &layered);
    row("through the gate (+ audit)", &gated);
    println!(
        "  (the audit log as cfcp-mcp writes it: two lines per call, fsync after each, in {})",
        dir.display()
    );
    let added50 = micros(percentile(&gated, 50.0)) - micros(percentile(&bare, 50.0));
    let added99 = micros(percentile(&gated, 99.0)) - micros(percentile(&bare, 99.0));
    println!(
        "  Layer0 + audit added: p50 {added50:.1} µs, p99 {added99:.1} µs (target: p99 under 1000 µs: {})",
        if added99 < 1000.0 { "met" } else { "MISSED" }
    );
}

fn answer(body: &str, id: u64) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return Some(v);
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|m| m["id"] == id)
}

async fn session(http: &reqwest::Client, url: &str) -> String {
    let init = http
        .post(url)
        .bearer_auth(TOKEN)
        .header("Accept", "application/json, text/event-stream")
        .json(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "cfcp-mcp-bench", "version": "0"}}}),
        )
        .send()
        .await
        .expect("initialize");
    let id = init.headers()["mcp-session-id"]
        .to_str()
        .expect("session id")
        .to_owned();
    let _ = init.text().await;
    http.post(url)
        .bearer_auth(TOKEN)
        .header("Accept", "application/json, text/event-stream")
        .header("Mcp-Session-Id", &id)
        .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .send()
        .await
        .expect("initialized");
    id
}

fn over_http(seconds: u64, clients: u64, dir: &std::path::Path) {
    let snapshot = cfcp::snapshot::demo();
    let zone = snapshot.zones[0].zone.name.clone();
    std::fs::write(dir.join("snapshot.json"), snapshot.to_value().to_string()).expect("snapshot");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cfcp-mcp"))
        .arg("--snapshot")
        .arg(dir.join("snapshot.json"))
        .arg("--audit-log")
        .arg(dir.join("http-audit.jsonl"))
        .args(["--http", "127.0.0.1:0", "--rate-limit", "1000000/s"])
        .env("CFCP_MCP_HTTP_TOKEN", TOKEN)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cfcp-mcp");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("cfcp-mcp printed its address")
            .expect("stderr");
        if let Some(rest) = line.split("streamable HTTP at ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (count, mut latencies) = runtime.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let url = url.clone();
            let zone = zone.clone();
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                let session_id = session(&http, &url).await;
                let mut latencies = Vec::new();
                let mut id = 1;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let body = http
                        .post(&url)
                        .bearer_auth(TOKEN)
                        .header("Accept", "application/json, text/event-stream")
                        .header("Mcp-Session-Id", &session_id)
                        .json(
                            &json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
                            "name": "dns_record_manage",
                            "arguments": {"action": "list", "zone": zone, "limit": 10}}}),
                        )
                        .send()
                        .await
                        .expect("call")
                        .text()
                        .await
                        .expect("body");
                    let reply = answer(&body, id).expect("an answer");
                    assert!(reply["result"]["isError"] != true, "{reply}");
                    latencies.push(t.elapsed());
                    id += 1;
                }
                latencies
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("client"));
        }
        (all.len(), all)
    });
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    latencies.sort();
    println!(
        "streamable HTTP, dns_record_manage list (10 records), {clients} clients, {seconds} s:"
    );
    println!(
        "  {:.0} calls/s ({count} calls); latency p50 {:.2} ms, p99 {:.2} ms",
        count as f64 / seconds as f64,
        micros(percentile(&latencies, 50.0)) / 1000.0,
        micros(percentile(&latencies, 99.0)) / 1000.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; our options come after `--`.
    let dir = tempfile::tempdir().expect("temp dir");
    in_process(option(&args, "--calls", 5000), dir.path());
    over_http(
        option(&args, "--seconds", 5).max(1),
        option(&args, "--clients", 4).max(1),
        dir.path(),
    );
}
