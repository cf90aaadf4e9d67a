//! Audit-trail figures: appends per second with fsync batching, and `verify` over a large log.
//!
//! ```text
//! cargo run --release -p cfcp --example audit_bench            # 1,000,000 entries
//! CFCP_AUDIT_BENCH_ENTRIES=100000 cargo run --release -p cfcp --example audit_bench
//! CFCP_AUDIT_BENCH_DIR=/some/disk cargo run --release -p cfcp --example audit_bench
//! ```
//!
//! Files go to a temporary directory (under `CFCP_AUDIT_BENCH_DIR` when set; fsync figures mean
//! nothing on tmpfs) and are removed at the end.

use std::time::{Duration, Instant};

use cfcp::audit::{verify, AuditLog, AuditOptions, Decision, SigningKey};
use serde_json::json;
use time::OffsetDateTime;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let entries: u64 = std::env::var("CFCP_AUDIT_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = match std::env::var_os("CFCP_AUDIT_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base)?,
        None => tempfile::tempdir()?,
    };
    let key = SigningKey::from_bytes(&[9; 32]);
    let now = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(1_793_534_400);
    let decision = |i: u64| Decision {
        request: json!({"kind": "tool_call", "tool": "dns_records_update",
                        "args": {"zone": "example.com", "name": format!("host{i}.example.com"),
                                 "type": "A", "content": "192.0.2.1", "proxied": true}}),
        classification: json!({"intent": "mutate", "flags": [], "risk": 12}),
        route: json!("allow"),
        approver: json!(null),
    };

    println!("audit appends (decision entries of ~400 bytes, checkpoint every 1,000):");
    for (batch, count, seconds) in [
        (1u64, 20_000u64, 5.0f64),
        (10, 50_000, 5.0),
        (100, 200_000, 5.0),
    ] {
        let path = dir.path().join(format!("append-{batch}.jsonl"));
        let log = AuditLog::open(
            &path,
            key.clone(),
            AuditOptions {
                checkpoint_every: 1000,
                fsync_every: batch,
            },
            now,
        )?;
        let start = Instant::now();
        let mut n = 0;
        while n < count && start.elapsed().as_secs_f64() < seconds {
            log.decision(now, decision(n))?;
            n += 1;
        }
        log.close(now)?;
        let elapsed = start.elapsed().as_secs_f64();
        println!(
            "  fsync every {batch:>3}: {:>9.0} appends/s ({n} in {elapsed:.2} s)",
            n as f64 / elapsed
        );
        std::fs::remove_file(&path)?;
    }

    let path = dir.path().join("big.jsonl");
    let start = Instant::now();
    {
        let log = AuditLog::open(
            &path,
            key.clone(),
            AuditOptions {
                checkpoint_every: 1000,
                fsync_every: 0,
            },
            now,
        )?;
        for i in 0..entries {
            log.decision(now, decision(i))?;
        }
        log.close(now)?;
    }
    let bytes = std::fs::read(&path)?;
    println!(
        "generated {entries} entries ({:.1} MB) in {:.2} s (no fsync but at checkpoints)",
        bytes.len() as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let report = verify(&bytes, Some(&key.verifying_key()));
        best = best.min(start.elapsed().as_secs_f64());
        assert!(report.ok && report.entries == entries);
    }
    println!(
        "verify: {best:.3} s for {entries} entries ({:.0} entries/s, {:.0} MB/s), best of 3",
        entries as f64 / best,
        bytes.len() as f64 / 1e6 / best
    );
    let start = Instant::now();
    let log = AuditLog::open(&path, key, AuditOptions::default(), now)?;
    println!(
        "open (read + verify + lock) of that log: {:.3} s",
        start.elapsed().as_secs_f64()
    );
    drop(log);
    Ok(())
}
