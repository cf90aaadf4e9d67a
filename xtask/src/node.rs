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
    let (size, rounds) = crate::bench_bindings::options(args)?;
    let dir = prepare(root)?;
    run(
        "build the extension",
        Command::new("node")
            .current_dir(&dir)
            .arg(dir.join("scripts").join("ensure-built.mjs")),
    )?;
    let (snapshot, rust) =
        crate::bench_bindings::rust_side(root, &target_dir(root), &size, rounds)?;
    let node = crate::bench_bindings::numbers(
        Command::new("node")
            .arg(dir.join("bench").join("bench_check.mjs"))
            .arg(&snapshot)
            .arg(rounds.to_string()),
        "the Node check",
    )?;
    crate::bench_bindings::verdict("node", &size, rounds, rust, &node)
}
