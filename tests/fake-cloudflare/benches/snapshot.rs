//! `cargo xtask bench snapshot`: snapshot a large synthetic account through the fake API under
//! Cloudflare's rate limit, and report
//!
//! - requests sent against the minimum possible (they must be equal),
//! - wall time against the rate-limit floor (the issue's `requests ÷ (limit/window)`, and the exact
//!   floor a sliding window allows), with the number of 429s the fake answered (must be 0),
//! - peak memory of the client process (the fake runs as a separate process),
//! - that the snapshot's content equals the seed.
//!
//! Flags: `--zones N` (200) `--records N` (500) `--limit N` (1200) `--window-secs S` (300)
//! `--concurrency N` (8). A small window (`--limit 120 --window-secs 30`) gives a quick run.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cfcp::api::{minimum_requests, Client, Credentials, NoProgress, SnapshotScope};
use cfcp::snapshot::Timestamp;

struct Options {
    zones: usize,
    records: usize,
    limit: u32,
    window: Duration,
    concurrency: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        zones: 200,
        records: 500,
        limit: 1200,
        window: Duration::from_secs(300),
        concurrency: 8,
    };
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--zones" => o.zones = value()?.parse().map_err(|e| format!("--zones: {e}"))?,
            "--records" => o.records = value()?.parse().map_err(|e| format!("--records: {e}"))?,
            "--limit" => o.limit = value()?.parse().map_err(|e| format!("--limit: {e}"))?,
            "--window-secs" => {
                o.window = Duration::from_secs_f64(
                    value()?
                        .parse()
                        .map_err(|e| format!("--window-secs: {e}"))?,
                )
            }
            "--concurrency" => {
                o.concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(o)
}

/// A memory figure (`VmHWM` peak, `VmRSS` current) of a process, in MiB, from /proc.
fn memory_mib(pid: &str, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets this process's peak RSS so that the next `VmHWM` reading covers only what follows.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() -> Result<(), String> {
    let o = options()?;
    eprintln!(
        "generating a synthetic account: {} zones x {} records",
        o.zones, o.records
    );
    let seed = fake_cloudflare::synthetic::account(o.zones, o.records, 42);
    let dir = std::env::temp_dir().join(format!("cfcp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let seed_path = dir.join("seed.json");
    std::fs::write(&seed_path, seed.to_json_pretty()).map_err(|e| e.to_string())?;

    let mut fake = Command::new(env!("CARGO_BIN_EXE_fake-cloudflare"))
        .arg("--snapshot")
        .arg(&seed_path)
        .arg("--rate-limit")
        .arg(format!("{}/{}", o.limit, o.window.as_secs_f64()))
        .arg("--quiet")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting fake-cloudflare: {e}"))?;
    let mut first_line = String::new();
    let stdout = fake.stdout.take().ok_or("no stdout from fake-cloudflare")?;
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .map_err(|e| e.to_string())?;
    let base_url = first_line
        .split_whitespace()
        .last()
        .ok_or("fake-cloudflare printed no URL")?
        .to_owned();

    let result = run(&o, &seed, &base_url, &fake.id().to_string());
    let _ = fake.kill();
    let _ = fake.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(
    o: &Options,
    seed: &cfcp::snapshot::Snapshot,
    base_url: &str,
    fake_pid: &str,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = Client::builder()
        .base_url(base_url)
        .credentials(Credentials::token(fake_cloudflare::DEFAULT_TOKEN))
        .rate_limit(o.limit, o.window)
        .concurrency(o.concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    let scope = SnapshotScope::all();
    let minimum = minimum_requests(seed, &scope);
    let floor_issue = minimum as f64 * o.window.as_secs_f64() / f64::from(o.limit);
    let floor_window =
        (minimum.saturating_sub(1) / u64::from(o.limit)) as f64 * o.window.as_secs_f64();
    eprintln!(
        "snapshotting through {base_url}: expecting {minimum} requests, rate-limit floor {floor_issue:.0} s \
         (sliding-window floor {floor_window:.0} s)"
    );
    let taken_at = Timestamp::parse("2026-11-29T00:00:00Z").map_err(|e| e.to_string())?;
    // The seed (needed for the content comparison) lives in this process too: measure the
    // snapshot's own cost as the peak during the snapshot above the resident size before it.
    reset_peak_memory();
    let baseline = memory_mib("self", "VmRSS:").unwrap_or(f64::NAN);
    let started = Instant::now();
    let snapshot = runtime
        .block_on(client.snapshot(&scope, taken_at, &NoProgress))
        .map_err(|e| e.to_string())?;
    let wall = started.elapsed().as_secs_f64();
    let peak = memory_mib("self", "VmHWM:").unwrap_or(f64::NAN);
    let json_mib = snapshot.to_json_pretty().len() as f64 / (1024.0 * 1024.0);

    let log: serde_json::Value = runtime
        .block_on(async {
            let url = format!(
                "{}/__fake/requests",
                base_url.trim_end_matches("/client/v4")
            );
            reqwest::get(url).await?.json().await
        })
        .map_err(|e| format!("reading the fake's request log: {e}"))?;
    let entries = log.as_array().map(Vec::as_slice).unwrap_or_default();
    let too_many = entries.iter().filter(|r| r["status"] == 429).count();
    let served = entries.len();

    let sent = client.requests_sent();
    let same = snapshot.content_differences(seed).is_empty();
    let stats = snapshot.stats();
    println!("snapshot benchmark: {} zones x {} records ({} DNS records, {} rulesets, {} tunnels, {} lists)",
        o.zones, o.records, stats.dns_records, stats.rulesets, stats.tunnels, stats.lists);
    println!("  requests sent         {sent} (minimum possible {minimum}; ratio {:.3}); fake served {served}", sent as f64 / minimum as f64);
    println!("  429 responses         {too_many}");
    println!("  retries               {}", client.retries());
    println!(
        "  wall time             {wall:.1} s; floor requests/({}/{} s) = {floor_issue:.1} s -> ratio {:.3}; sliding-window floor {floor_window:.1} s -> ratio {:.3}",
        o.limit,
        o.window.as_secs_f64(),
        wall / floor_issue,
        if floor_window > 0.0 { wall / floor_window } else { f64::NAN }
    );
    println!(
        "  peak memory           client +{:.1} MiB during the snapshot (peak {peak:.1} MiB over a {baseline:.1} MiB baseline holding the seed); \
         snapshot JSON {json_mib:.1} MiB; fake server peak {:.1} MiB",
        peak - baseline,
        memory_mib(fake_pid, "VmHWM:").unwrap_or(f64::NAN)
    );
    println!("  content equals seed   {same}");
    if sent != minimum || too_many > 0 || !same {
        return Err(
            "benchmark expectations not met (requests == minimum, no 429, same content)".into(),
        );
    }
    Ok(())
}
