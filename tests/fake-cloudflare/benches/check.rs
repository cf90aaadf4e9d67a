//! `cargo xtask bench check`: the full invariant catalog on generated snapshots, and five checks
//! side by side with the same five written in Rego (regorus).
//!
//! For each size (default 100×1,000 and 1,000×1,000 zones × records) the snapshot is written to a
//! file and checked in a child process, so that its peak memory covers only loading and checking:
//! read the file, parse it, run every check. Reported: time, time per record (growth must be
//! linear), peak memory against the JSON size (target < 3×), and for the first size the built-in
//! five checks against the Rego five (target ≥ 20× faster).
//!
//! Peak memory is the child's peak resident set size (`VmHWM` in `/proc/self/status`: what the
//! kernel saw, binary and allocator overhead included). Next to it is the high-water mark of a
//! counting global allocator (bytes requested and not yet freed): it leaves out the allocator's
//! overhead but counts capacity that was reserved and never touched (a `Vec`'s doubling). After
//! the check the child also writes the JSON report, streamed, to count its size and show that
//! writing it does not raise the peak.
//!
//! When `CFCP_BIN` names the `cfcp` binary (`cargo xtask bench check` builds it and sets it), the
//! same file also goes through the command people run, `cfcp check --format json --output FILE`,
//! and its peak resident set size (from `wait4`, binary and argument parsing included) is put
//! against the JSON size too.
//!
//! Flags: `--sizes 100x1000,1000x1000`, `--rego-size 100x1000`. Profiling aids: `--write
//! ZONESxRECORDS FILE` writes a synthetic snapshot, `--child FILE` checks one, `--findings FILE`
//! counts its findings by check and status, `--per-check FILE` times each check alone, `--five
//! FILE` times the five Rego-equivalent checks.

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

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
#[path = "common/measure.rs"]
mod measure;
use counting_alloc::{heap_mib, Counting, LIVE, PEAK};
use measure::{memory_mib, parse_size};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What the child measured, one line of numbers on its stdout.
struct Measured {
    load_s: f64,
    check_s: f64,
    findings: f64,
    checks: f64,
    peak_rss_mib: f64,
    peak_heap_mib: f64,
    report_mib: f64,
    write_s: f64,
    peak_rss_written_mib: f64,
}

impl Measured {
    fn parse(line: &str) -> Option<Measured> {
        let f: Vec<f64> = line
            .split_whitespace()
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        let [load_s, check_s, findings, checks, peak_rss_mib, peak_heap_mib, report_mib, write_s, peak_rss_written_mib] =
            f[..]
        else {
            return None;
        };
        Some(Measured {
            load_s,
            check_s,
            findings,
            checks,
            peak_rss_mib,
            peak_heap_mib,
            report_mib,
            write_s,
            peak_rss_written_mib,
        })
    }
}

/// Counts what is written to it and keeps nothing.
struct CountingSink(usize);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Child mode: load FILE, run the catalog, stream the JSON report; print the [`Measured`] line.
fn child(path: &Path) -> Result<(), String> {
    let started = Instant::now();
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let snapshot = Snapshot::from_json_slice(&bytes).map_err(|e| e.to_string())?;
    drop(bytes);
    let load = started.elapsed().as_secs_f64();
    eprintln!(
        "after load: rss {:.0} MiB, peak rss {:.0} MiB; heap {:.1} MiB, peak heap {:.1} MiB",
        memory_mib("VmRSS:"),
        memory_mib("VmHWM:"),
        heap_mib(&LIVE),
        heap_mib(&PEAK)
    );
    let started = Instant::now();
    let report = invariants::run(&snapshot, &Config::default());
    let run = started.elapsed().as_secs_f64();
    let (peak_rss, peak_heap) = (memory_mib("VmHWM:"), heap_mib(&PEAK));
    eprintln!(
        "after run: rss {:.0} MiB, peak rss {peak_rss:.0} MiB; heap {:.1} MiB, peak heap {peak_heap:.1} MiB",
        memory_mib("VmRSS:"),
        heap_mib(&LIVE),
    );
    let started = Instant::now();
    let mut sink = CountingSink(0);
    report
        .write_json_pretty(&mut sink)
        .map_err(|e| e.to_string())?;
    let write = started.elapsed().as_secs_f64();
    println!(
        "{load} {run} {} {} {peak_rss} {peak_heap} {} {write} {}",
        report.findings.len(),
        report.summary.checks,
        sink.0 as f64 / (1024.0 * 1024.0),
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
    if args.first().map(String::as_str) == Some("--per-check") {
        // Profiling aid: each check alone (with the lookups it builds) on FILE; compare two sizes
        // to find the check that does not grow linearly.
        let bytes = std::fs::read(args.get(1).ok_or("--per-check needs a file")?)
            .map_err(|e| e.to_string())?;
        let snapshot = Snapshot::from_json_slice(&bytes).map_err(|e| e.to_string())?;
        drop(bytes);
        for check in invariants::catalog::all() {
            let config = Config {
                checks: vec![check.id.to_owned()],
                ..Config::default()
            };
            let started = Instant::now();
            let n = invariants::run(&snapshot, &config).findings.len();
            println!(
                "{:45} {:8.1} ms {n}",
                check.id,
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        return Ok(());
    }
    if args.first().map(String::as_str) == Some("--findings") {
        return findings_by_check(Path::new(args.get(1).ok_or("--findings needs a file")?));
    }
    if args.first().map(String::as_str) == Some("--write") {
        // Profiling aid: write the synthetic snapshot of SIZE to FILE and stop.
        let (zones, records) = parse_size(args.get(1).ok_or("--write needs a size")?)?;
        let path = args.get(2).ok_or("--write needs a file")?;
        let text = fake_cloudflare::synthetic::account(zones, records, 7).to_json_pretty();
        return std::fs::write(path, text).map_err(|e| e.to_string());
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

/// Runs `cfcp check --format json --output DIR/report.json FILE` and returns its peak resident
/// set size in MiB (the kernel's `ru_maxrss` of that one child) and its wall time.
fn cli_peak_rss_mib(bin: &Path, snapshot: &Path, dir: &Path) -> Result<(f64, f64), String> {
    let report = dir.join("report.json");
    let started = Instant::now();
    let child = Command::new(bin)
        .args(["check", "--format", "json", "--color", "never", "--output"])
        .arg(&report)
        .arg(snapshot)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the child is ours and not waited on
    // elsewhere (std's `Child` does not reap on drop).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&report);
    if waited != pid {
        return Err(format!(
            "wait4 on {}: {}",
            bin.display(),
            std::io::Error::last_os_error()
        ));
    }
    // `cfcp check` exits 1 when findings fail; anything else is an error.
    let exited_with = libc::WEXITSTATUS(status);
    if !libc::WIFEXITED(status) || exited_with > 1 {
        return Err(format!(
            "{} check failed (status {status}); run it by hand on a --write snapshot to see why",
            bin.display()
        ));
    }
    // ru_maxrss is in KiB on Linux.
    Ok((usage.ru_maxrss as f64 / 1024.0, secs))
}

fn run(sizes: &[(usize, usize)], rego_size: (usize, usize), dir: &Path) -> Result<(), String> {
    println!(
        "check benchmark: full catalog ({} checks)",
        invariants::catalog::all().count()
    );
    // Per record at each size: load time, check time, peak memory.
    let mut per_record: Vec<(f64, f64, f64)> = Vec::new();
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
        let cli = match std::env::var_os("CFCP_BIN") {
            Some(bin) => Some(cli_peak_rss_mib(Path::new(&bin), &path, dir)?),
            None => None,
        };
        let _ = std::fs::remove_file(&path);
        if !output.status.success() {
            return Err(format!(
                "child failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let line = String::from_utf8_lossy(&output.stdout);
        let m = Measured::parse(&line).ok_or(format!("bad child output {line:?}"))?;
        let total_records = (zones * records) as f64;
        per_record.push((
            m.load_s / total_records,
            m.check_s / total_records,
            m.peak_rss_mib / total_records,
        ));
        println!(
            "  {zones:>5} zones x {records:>5} records: load {:.2} s, check {:.3} s ({:.0} ns/record, {} findings from {} checks)",
            m.load_s,
            m.check_s,
            m.check_s / total_records * 1e9,
            m.findings,
            m.checks
        );
        println!(
            "        peak memory {:.0} MiB = {:.2}x the {json_mib:.0} MiB JSON (peak RSS; heap high-water {:.0} MiB = {:.2}x)",
            m.peak_rss_mib,
            m.peak_rss_mib / json_mib,
            m.peak_heap_mib,
            m.peak_heap_mib / json_mib
        );
        println!(
            "        JSON report {:.0} MiB, written streamed in {:.2} s: peak RSS then {:.0} MiB",
            m.report_mib, m.write_s, m.peak_rss_written_mib
        );
        match cli {
            Some((peak, secs)) => println!(
                "        `cfcp check --format json --output FILE`: {secs:.2} s, peak memory {peak:.0} MiB = {:.2}x the JSON",
                peak / json_mib
            ),
            None => println!("        (set CFCP_BIN to the cfcp binary to measure the CLI too)"),
        }
    }
    if let (Some(first), Some(last)) = (per_record.first(), per_record.last()) {
        if per_record.len() >= 2 {
            println!(
                "  growth per record, largest size / smallest (1.00 = linear): load {:.2}, check {:.2}, peak memory {:.2}",
                last.0 / first.0,
                last.1 / first.1,
                last.2 / first.2
            );
        }
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

/// Profiling aid: how many findings each check makes on FILE, by status, and their average
/// message and fix-code lengths (what a finding costs beyond its fixed size).
fn findings_by_check(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let snapshot = Snapshot::from_json_slice(&bytes).map_err(|e| e.to_string())?;
    let report = invariants::run(&snapshot, &Config::default());
    let mut by: std::collections::BTreeMap<(&str, &str), (usize, usize, usize)> =
        Default::default();
    for f in &report.findings {
        let e = by.entry((&f.check_id, f.status.as_str())).or_default();
        e.0 += 1;
        e.1 += f.message.len();
        e.2 += f.remediation.terraform.len() + f.remediation.api.len();
    }
    for ((check, status), (n, message, code)) in by {
        println!(
            "{check:45} {status:8} {n:8} findings, message {:4} B, fix code {:4} B",
            message / n,
            code / n
        );
    }
    Ok(())
}
