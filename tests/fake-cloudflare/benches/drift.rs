//! `cargo xtask bench drift`: `cfcp::drift::diff` on generated accounts with 1% of the records
//! drifted (a third changed, a third deleted, a third added outside Terraform), at growing sizes
//! (default 10×1,000, 100×1,000 and 1,000×1,000 zones × records) to show growth is linear.
//!
//! Reported per size: the diff's time (best of `--rounds`, default 3) and per record, the drift
//! found (it must equal the drift planted), the diff's own peak heap (a counting global
//! allocator's high-water mark above what the two snapshots hold) and the process's peak
//! resident set size, then `assess` (risk: Layer0 judgements and the invariants on both sides)
//! and `revert` (the operations) once.
//!
//! Flags: `--sizes 10x1000,100x1000,1000x1000`, `--rounds N`.

use std::sync::atomic::Ordering;
use std::time::Instant;

use cfcp::drift::{self, Change, RevertOptions};
use cfcp::snapshot::{Field, Snapshot};

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
#[path = "common/measure.rs"]
mod measure;
use counting_alloc::{heap_mib, Counting, LIVE, PEAK};
use measure::{memory_mib, parse_size};

#[global_allocator]
static GLOBAL: Counting = Counting;

const MIB: f64 = 1024.0 * 1024.0;

/// `desired` with 1% of its records drifted; returns the live snapshot and how many of each
/// change were planted.
fn drifted(desired: &Snapshot) -> (Snapshot, [usize; 3]) {
    let mut live = desired.clone();
    let mut planted = [0usize; 3];
    let mut n = 0usize;
    for zone in &mut live.zones {
        let mut remove = Vec::new();
        let mut add = Vec::new();
        for (i, record) in zone.dns_records.iter_mut().enumerate() {
            n += 1;
            // Every 100th record, in turn changed, deleted, or joined by a new one.
            if n % 100 != 0 {
                continue;
            }
            match (n / 100) % 3 {
                0 => {
                    record.comment = Field::Value(format!("edited in the dashboard {n}"));
                    record.ttl = Field::Value(120);
                    record.proxied = Field::Value(false);
                    planted[2] += 1;
                }
                1 => {
                    remove.push(i);
                    planted[1] += 1;
                }
                _ => {
                    let mut extra = record.clone();
                    extra.id = Field::Value(format!("added-{n:08}"));
                    extra.name = format!("added-{n}.{}", zone.zone.name);
                    add.push(extra);
                    planted[0] += 1;
                }
            }
        }
        for i in remove.into_iter().rev() {
            zone.dns_records.remove(i);
        }
        zone.dns_records.extend(add);
    }
    (live, planted)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sizes = vec![(10, 1000), (100, 1000), (1000, 1000)];
    let mut rounds = 3usize;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--sizes" => {
                let list = it.next().ok_or("--sizes needs a value")?;
                sizes = list.split(',').map(parse_size).collect::<Result<_, _>>()?;
            }
            "--rounds" => {
                rounds = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--rounds needs a number")?;
            }
            "--bench" => {}
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    println!("drift: diff of desired vs live with 1% of the records drifted (best of {rounds})");
    let mut per_record = Vec::new();
    for (zones, records) in sizes {
        let desired = fake_cloudflare::synthetic::account(zones, records, 7);
        let (live, planted) = drifted(&desired);
        let total = (zones * records) as f64;
        let mut best = f64::INFINITY;
        let mut heap_peak = 0.0f64;
        let mut found = None;
        for _ in 0..rounds.max(1) {
            let before = LIVE.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let start = Instant::now();
            let drift = drift::diff(&desired, &live);
            best = best.min(start.elapsed().as_secs_f64());
            heap_peak = heap_peak.max(heap_mib(&PEAK) - before as f64 / MIB);
            found = Some(drift);
        }
        let mut drift = found.expect("one round ran");
        let (added, removed, changed) = drift.counts();
        let exact = [added, removed, changed] == planted
            && drift
                .items
                .iter()
                .all(|i| i.kind == drift::ResourceKind::DnsRecord);
        let start = Instant::now();
        drift::assess(&mut drift, &desired, &live);
        let assess_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let plan = drift::revert(
            &drift,
            &RevertOptions {
                max_delete: usize::MAX,
                max_delete_percent: 100.0,
            },
        );
        let revert_s = start.elapsed().as_secs_f64();
        let downgrades = drift
            .items
            .iter()
            .filter(|i| {
                i.change == Change::Changed
                    && i.risk.flags.iter().any(|f| f == "security_downgrade")
            })
            .count();
        println!(
            "  {zones:>5} x {records:<5} ({:>9} records): diff {:>8.3} s ({:.0} ns/record), diff peak heap {:>6.1} MiB; \
             found {added} added, {removed} removed, {changed} changed ({}); \
             assess {assess_s:.2} s ({downgrades} downgrades); revert {revert_s:.3} s ({} operations); peak RSS {:.0} MiB",
            zones * records,
            best,
            best * 1e9 / total,
            heap_peak,
            if exact { "exactly the planted drift" } else { "NOT the planted drift" },
            plan.steps.len(),
            memory_mib("VmHWM:"),
        );
        if !exact {
            return Err(format!(
                "planted {planted:?} (added, removed, changed), found {:?}",
                drift.counts()
            ));
        }
        per_record.push((zones * records, best / total));
    }
    if let (Some(first), Some(last)) = (per_record.first(), per_record.last()) {
        println!(
            "  growth: {:.2}x the time per record from {} to {} records (1.00 = linear)",
            last.1 / first.1,
            first.0,
            last.0
        );
    }
    Ok(())
}
