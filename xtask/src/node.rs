//! The `node` step of `cargo xtask test` (the Node binding's `node --test` suite, the GitHub
//! Action's test and `tsc --noEmit` on examples/node, all through `npm test` in bindings-node) and
//! the Node column of `cargo xtask bench bindings`.
//!
//! `npm ci` runs when node_modules is missing or older than package-lock.json; `npm test`'s
//! pretest builds the extension (`napi build --platform --release`, a no-op when up to date).
//! Missing node or npm fails the step with what is missing, unless `CFCP_SKIP_NODE=1` (then a loud
//! SKIPPED line).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Runs the step; `Err` says what failed.
pub fn test(root: &Path) -> Result<(), String> {
    if std::env::var("CFCP_SKIP_NODE").is_ok_and(|v| v == "1") {
        eprintln!("\n!!!!!!!! SKIPPED: node (CFCP_SKIP_NODE=1): the Node binding and the GitHub Action were NOT tested !!!!!!!!\n");
        return Ok(());
    }
    let started = Instant::now();
    eprintln!("==> node: npm test in bindings-node (node --test, the action's test, tsc --noEmit)");
    let dir = prepare(root)?;
    let target = target_dir(root);
    let mut npm = Command::new("npm");
    npm.current_dir(&dir).args(["test", "--silent"]);
    // The Rust helpers `cargo test --workspace` has just built; the suite builds them otherwise.
    let fake = target.join("debug").join("fake-cloudflare");
    if fake.exists() {
        npm.env("FAKE_CLOUDFLARE_BIN", fake);
    }
    let audit = target
        .join("debug")
        .join("examples")
        .join("write_audit_log");
    if audit.exists() {
        npm.env("WRITE_AUDIT_LOG_BIN", audit);
    }
    run("npm test", &mut npm)?;
    eprintln!("<== node ok in {:.1?}", started.elapsed());
    Ok(())
}

/// bindings-node with its dev tools installed; fails when node or npm is missing.
fn prepare(root: &Path) -> Result<PathBuf, String> {
    for tool in ["node", "npm"] {
        let found = Command::new(tool).arg("--version").output();
        if !found.is_ok_and(|o| o.status.success()) {
            return Err(format!("node: {tool} is missing: install Node.js 20+ with npm (Debian: apt-get install nodejs npm), or set CFCP_SKIP_NODE=1 to skip this step"));
        }
    }
    let dir = root.join("bindings-node");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified(&dir.join("node_modules").join(".package-lock.json"));
    let locked = modified(&dir.join("package-lock.json"));
    if installed.is_none() || installed < locked {
        run(
            "npm ci",
            Command::new("npm").current_dir(&dir).args([
                "ci",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ]),
        )
        .map_err(|e| {
            format!("{e}: npm cannot reach the package registry? or set CFCP_SKIP_NODE=1")
        })?;
    }
    Ok(dir)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

fn run(what: &str, command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("node: {what}: could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("node: {what} failed ({status})"))
    }
}

/// The Node column of `cargo xtask bench bindings [--size ZONESxRECORDS] [--rounds N]`: `check`
/// on the same synthetic snapshot from Rust (the check benchmark's child) and from Node, each the
/// best of N rounds; fails when the binding adds 20 % or more (conversion of the findings to JS
/// objects included).
pub fn bench(root: &Path, args: &[String]) -> Result<(), String> {
    let flag = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let size = flag("--size", "100x1000");
    let rounds: usize = flag("--rounds", "3")
        .parse()
        .map_err(|_| "--rounds takes a number".to_owned())?;
    let dir = prepare(root)?;
    run(
        "build the extension",
        Command::new("node")
            .current_dir(&dir)
            .arg(dir.join("scripts").join("ensure-built.mjs")),
    )?;
    let snapshot = target_dir(root).join(format!("bench-bindings-{size}.json"));
    let shown = snapshot.display().to_string();
    let check_bench = |extra: &[&str]| {
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
    };
    if !snapshot.exists() {
        run(
            "write the snapshot",
            &mut check_bench(&["--write", &size, &shown]),
        )?;
    }
    let mut rust = (f64::INFINITY, f64::INFINITY);
    for _ in 0..rounds {
        let fields = numbers(&mut check_bench(&["--child", &shown]), "the Rust check")?;
        rust = (rust.0.min(fields[0]), rust.1.min(fields[1]));
    }
    let node = numbers(
        Command::new("node")
            .arg(dir.join("bench").join("bench_check.mjs"))
            .arg(&snapshot)
            .arg(rounds.to_string()),
        "the Node check",
    )?;
    let rust_total = rust.0 + rust.1;
    let node_total = node[0] + node[1] + node[2];
    let overhead = (node_total / rust_total - 1.0) * 100.0;
    println!(
        "bench bindings (node): check on a {size} snapshot ({} findings), best of {rounds}",
        node[3]
    );
    println!(
        "{:<10} {:>9} {:>9} {:>11} {:>9}",
        "", "load s", "check s", "convert s", "total s"
    );
    println!(
        "{:<10} {:>9.3} {:>9.3} {:>11} {:>9.3}",
        "rust", rust.0, rust.1, "-", rust_total
    );
    println!(
        "{:<10} {:>9.3} {:>9.3} {:>11.3} {:>9.3}",
        "node", node[0], node[1], node[2], node_total
    );
    println!("node overhead: {overhead:+.1} % (limit +20 %)");
    if overhead >= 20.0 {
        return Err(format!(
            "the Node binding adds {overhead:.1} % over Rust (limit 20 %)"
        ));
    }
    Ok(())
}

/// The whitespace-separated numbers of a command's last stdout line.
fn numbers(command: &mut Command, what: &str) -> Result<Vec<f64>, String> {
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
