//! What the Python and Node columns of `cargo xtask bench bindings` share: the options, the
//! synthetic snapshot, the native Rust run each binding is compared with, and the verdict.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The binding's overhead over native Rust that fails the benchmark, in percent.
const LIMIT: f64 = 20.0;

/// `--size ZONESxRECORDS` (default 100x1000) and `--rounds N` (default 3).
pub fn options(args: &[String]) -> Result<(String, usize), String> {
    let flag = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let rounds = flag("--rounds", "3")
        .parse()
        .map_err(|_| "--rounds takes a number".to_owned())?;
    Ok((flag("--size", "100x1000"), rounds))
}

fn check_bench(root: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .args([
            "bench",
            "-q",
            "-p",
            "fake-cloudflare",
            "--bench",
            "check",
            "--",
        ])
        .args(extra);
    command
}

/// The synthetic snapshot of `size` (written by the check benchmark when missing), and the best
/// of `rounds` native Rust runs of load and check on it, in seconds.
pub fn rust_side(
    root: &Path,
    target: &Path,
    size: &str,
    rounds: usize,
) -> Result<(PathBuf, (f64, f64)), String> {
    let snapshot = target.join(format!("bench-bindings-{size}.json"));
    let shown = snapshot.display().to_string();
    if !snapshot.exists() {
        let status = check_bench(root, &["--write", size, &shown])
            .status()
            .map_err(|e| format!("write the snapshot: could not start cargo: {e}"))?;
        if !status.success() {
            return Err(format!("write the snapshot failed ({status})"));
        }
    }
    let mut rust = (f64::INFINITY, f64::INFINITY);
    for _ in 0..rounds {
        let fields = numbers(
            &mut check_bench(root, &["--child", &shown]),
            "the Rust check",
        )?;
        rust = (rust.0.min(fields[0]), rust.1.min(fields[1]));
    }
    Ok((snapshot, rust))
}

/// Prints the two rows and the overhead; `Err` when the binding adds [`LIMIT`] % or more.
/// `binding` is what the binding's script printed: load, check, convert seconds and findings.
pub fn verdict(
    name: &str,
    size: &str,
    rounds: usize,
    rust: (f64, f64),
    binding: &[f64],
) -> Result<(), String> {
    let [load, check, convert, findings] = binding else {
        return Err(format!(
            "the {name} check printed {binding:?}, not 4 numbers"
        ));
    };
    let rust_total = rust.0 + rust.1;
    let total = load + check + convert;
    let overhead = (total / rust_total - 1.0) * 100.0;
    println!("bench bindings ({name}): check on a {size} snapshot ({findings} findings), best of {rounds}");
    println!(
        "{:<10} {:>9} {:>9} {:>11} {:>9}",
        "", "load s", "check s", "convert s", "total s"
    );
    println!(
        "{:<10} {:>9.3} {:>9.3} {:>11} {:>9.3}",
        "rust", rust.0, rust.1, "-", rust_total
    );
    println!("{name:<10} {load:>9.3} {check:>9.3} {convert:>11.3} {total:>9.3}");
    println!("{name} overhead: {overhead:+.1} % (limit +{LIMIT} %)");
    if overhead >= LIMIT {
        return Err(format!(
            "the {name} binding adds {overhead:.1} % over Rust (limit {LIMIT} %)"
        ));
    }
    Ok(())
}

/// The whitespace-separated numbers of a command's last stdout line.
pub fn numbers(command: &mut Command, what: &str) -> Result<Vec<f64>, String> {
    let out = command
        .output()
        .map_err(|e| format!("{what}: could not start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    line.split_whitespace()
        .map(|n| {
            n.parse::<f64>()
                .map_err(|_| format!("{what}: unexpected output {line:?}"))
        })
        .collect()
}
