//! Checks a Cloudflare account with the `cfcp` crate directly: no token, no network.
//!
//! ```sh
//! cargo run -p cfcp --example check_demo                  # the demo account bundled in cfcp
//! cargo run -p cfcp --example check_demo -- snapshot.json # a snapshot taken with `cfcp snapshot`
//! ```
//!
//! It runs the invariant catalog, prints a summary, the failures per zone and the worst findings,
//! maps the result onto PCI DSS 4.0.1, and validates a WAF expression the way Cloudflare would
//! (with the byte offset of the mistake). Exits 1 when a high or critical check fails, like a CI
//! gate would.
//!
//! The work is in [`run`], which writes to any `Write`, so the test suite
//! (core/tests/examples.rs) runs this very code and keeps it working.

use std::collections::BTreeMap;
use std::io::Write;

use cfcp::invariants::{self, Config, Severity};
use cfcp::rules::{self, ExpressionKind};
use cfcp::snapshot::Snapshot;

/// A condition with a typo (`contans`), to show what validation says and where.
pub const MISTYPED_EXPRESSION: &str = r#"http.host contans "example.com""#;

/// At most this many of the worst failures are listed.
const WORST: usize = 5;

/// Checks `snapshot`, writes the summary to `out`, and returns the exit code: 1 when a check of
/// high or critical severity fails, else 0.
pub fn run(snapshot: &Snapshot, out: &mut dyn Write) -> std::io::Result<i32> {
    // Config::default(): the whole catalog, every zone, no waivers, "now" = the snapshot's time.
    let report = invariants::run(snapshot, &Config::default());
    let s = &report.summary;
    writeln!(
        out,
        "{} zones, {} checks: {} passed, {} failed, {} unknown ({}% compliant)",
        snapshot.zones.len(),
        s.checks,
        s.passed,
        s.failed,
        s.unknown,
        s.compliance_rate
    )?;

    let mut by_zone: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in report.failures() {
        let zone = finding.resource.zone.as_deref().unwrap_or("account");
        *by_zone.entry(zone).or_default() += 1;
    }
    for (zone, count) in &by_zone {
        writeln!(out, "  {zone}: {count} failing")?;
    }

    let mut serious: Vec<_> = report
        .failures()
        .filter(|f| f.severity >= Severity::High)
        .collect();
    serious.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in serious.iter().take(WORST) {
        writeln!(
            out,
            "  [{}] {} on {}: {}",
            f.severity, f.check_id, f.resource.name, f.message
        )?;
    }

    if let Some(pci) = cfcp::compliance::framework("pci-dss-4.0.1") {
        let result = cfcp::compliance::evaluate(pci, &report);
        let c = &result.summary;
        writeln!(
            out,
            "{}: {} controls: {} pass, {} fail, {} partial, {} not assessed",
            pci.title, c.controls, c.pass, c.fail, c.partial, c.not_assessed
        )?;
    }

    match rules::validate(MISTYPED_EXPRESSION, ExpressionKind::Filter) {
        Ok(()) => writeln!(out, "expression accepted: {MISTYPED_EXPRESSION}")?,
        Err(err) => writeln!(
            out,
            "expression error at byte {}: {}",
            err.offset,
            err.full_message()
        )?,
    }
    Ok(i32::from(!serious.is_empty()))
}

fn main() {
    let snapshot = match std::env::args_os().nth(1) {
        Some(path) => {
            let loaded = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| Snapshot::from_json_slice(&bytes).map_err(|e| e.to_string()));
            match loaded {
                Ok(snapshot) => snapshot,
                Err(err) => {
                    eprintln!("{}: {err}", path.to_string_lossy());
                    std::process::exit(2);
                }
            }
        }
        None => cfcp::snapshot::demo(),
    };
    let mut stdout = std::io::stdout().lock();
    match run(&snapshot, &mut stdout) {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            eprintln!("writing the summary: {err}");
            std::process::exit(2);
        }
    }
}
