//! `cargo xtask bench check`: the full invariant catalog on generated snapshots, and five checks
//! side by side with the same five written in Rego (regorus).
//!
//! For each size (default 100×1,000 and 1,000×1,000 zones × records) the snapshot is written to a
//! file and checked in a child process, so that its peak memory covers only loading and checking:
//! read the file, parse it, run every check. Reported: time, time per record (growth must be
//! linear), peak memory against the JSON size (target < 3×), and for the first size the built-in
//! five checks against the Rego five (target ≥ 20× faster).
//!
//! Flags: `--sizes 100x1000,1000x1000`, `--rego-size 100x1000`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use cfcp::invariants::{self, rego, Config};
use cfcp::snapshot::Snapshot;

/// The built-in checks that examples/policies/builtin-equivalents/ re-implements in Rego.
const REGO_EQUIVALENTS: &[&str] = &[
    "zone_ssl_strict",
    "zone_min_tls_version_secure",
    "dns_record_proxied",
    "zone_dnssec_enabled",
    "zone_tls_1_3_enabled",
];

fn memory_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn parse_size(text: &str) -> Result<(usize, usize), String> {
    let (z, r) = text
        .split_once('x')
        .ok_or(format!("bad size {text:?}, expected ZONESxRECORDS"))?;
    Ok((
        z.parse().map_err(|e| format!("{text}: {e}"))?,
        r.parse().map_err(|e| format!("{text}: {e}"))?,
    ))
}

/// Child mode: load FILE, run the catalog, print `load_s run_s findings peak_mib`.
fn child(path: &Path) -> Result<(), String> {
    let started = Instant::now();
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let snapshot = Snapshot::from_json_slice(&bytes).map_err(|e| e.to_string())?;
    drop(bytes);
    let load = started.elapsed().as_secs_f64();
    eprintln!(
        "after load: rss {:.0} MiB, peak {:.0} MiB",
        memory_mib("VmRSS:"),
        memory_mib("VmHWM:")
    );
    let started = Instant::now();
    let report = invariants::run(&snapshot, &Config::default());
    let run = started.elapsed().as_secs_f64();
    println!(
        "{load} {run} {} {} {}",
        report.findings.len(),
        report.summary.checks,
        memory_mib("VmHWM:")
    );
    Ok(())
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--five") {
        // Profiling aid: the five built-in checks only, many times, on FILE.
        let bytes =
            std::fs::read(args.get(1).ok_or("--five needs a file")?).map_err(|e| e.to_string())?;
        let snapshot = Snapshot::from_json_slice(&bytes).map_err(|e| e.to_string())?;
        let config = Config {
            checks: REGO_EQUIVALENTS.iter().map(|s| s.to_string()).collect(),
            ..Config::default()
        };
        let started = Instant::now();
        for _ in 0..20 {
            std::hint::black_box(invariants::run(&snapshot, &config));
        }
        println!("{:.2} ms per run", started.elapsed().as_secs_f64() * 50.0);
        return Ok(());
    }
    if args.first().map(String::as_str) == Some("--child") {
        return child(Path::new(args.get(1).ok_or("--child needs a file")?));
    }
    let mut sizes = vec![(100, 1000), (1000, 1000)];
    let mut rego_size = (100, 1000);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--sizes" => sizes = value.split(',').map(parse_size).collect::<Result<_, _>>()?,
            "--rego-size" => rego_size = parse_size(value)?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let dir = std::env::temp_dir().join(format!("cfcp-bench-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = run(&sizes, rego_size, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(sizes: &[(usize, usize)], rego_size: (usize, usize), dir: &Path) -> Result<(), String> {
    println!(
        "check benchmark: full catalog ({} checks)",
        invariants::catalog::all().count()
    );
    let mut per_record = Vec::new();
    for &(zones, records) in sizes {
        let path = dir.join(format!("{zones}x{records}.json"));
        let json_mib = {
            let snapshot = fake_cloudflare::synthetic::account(zones, records, 7);
            let text = snapshot.to_json_pretty();
            std::fs::write(&path, &text).map_err(|e| e.to_string())?;
            text.len() as f64 / (1024.0 * 1024.0)
        };
        let output = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
            .arg("--child")
            .arg(&path)
            .output()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!(
                "child failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let line = String::from_utf8_lossy(&output.stdout);
        let f: Vec<f64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let [load, check, findings, checks, peak] = f[..] else {
            return Err(format!("bad child output {line:?}"));
        };
        let total_records = (zones * records) as f64;
        per_record.push(check / total_records);
        println!(
            "  {zones:>5} zones x {records:>5} records: load {load:.2} s, check {check:.3} s ({:.0} ns/record, {findings} findings from {checks} checks); \
             peak memory {peak:.0} MiB = {:.2}x the {json_mib:.0} MiB JSON",
            check / total_records * 1e9,
            peak / json_mib
        );
        let _ = std::fs::remove_file(&path);
    }
    if per_record.len() >= 2 {
        println!(
            "  growth: time per record at the largest size / at the smallest = {:.2} (1.00 = linear)",
            per_record[per_record.len() - 1] / per_record[0]
        );
    }

    // Built-in vs Rego on the same five checks and the same snapshot.
    let policy_dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies/builtin-equivalents");
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(&policy_dir).map_err(|e| format!("{}: {e}", policy_dir.display()))?
    {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "rego") {
            files.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).map_err(|e| e.to_string())?,
            ));
        }
    }
    files.sort();
    let policies = rego::load_policies(&files).map_err(|e| e.to_string())?;
    let (zones, records) = rego_size;
    let snapshot = fake_cloudflare::synthetic::account(zones, records, 7);
    let config = Config {
        checks: REGO_EQUIVALENTS.iter().map(|s| s.to_string()).collect(),
        ..Config::default()
    };
    let rounds = 5;
    let started = Instant::now();
    let mut builtin_fails = 0;
    for _ in 0..rounds {
        builtin_fails = invariants::run(&snapshot, &config).failures().count();
    }
    let builtin = started.elapsed().as_secs_f64() / f64::from(rounds);
    let started = Instant::now();
    let rego_fails = policies
        .evaluate(&snapshot, rego::Limits::default())
        .map_err(|e| e.to_string())?
        .len();
    let rego_time = started.elapsed().as_secs_f64();
    println!(
        "  five checks on {zones} x {records}: built-in {:.2} ms ({builtin_fails} FAIL), Rego/regorus {:.0} ms ({rego_fails} FAIL): built-in {:.0}x faster",
        builtin * 1e3,
        rego_time * 1e3,
        rego_time / builtin
    );
    Ok(())
}
