//! The `python` step of `cargo xtask test`: the Python bindings' pytest suite and `mypy --strict`
//! on examples/python, in a venv at `target/xtask-venv` (shared with the other Python steps); then
//! [`install_check`]: `pip install ./bindings-python` in a new venv, as a user would.
//!
//! The extension is built once, in the debug profile, so that it reuses what `cargo test` just
//! compiled. Missing python3, venv or pip fails the step with what is missing, unless
//! `CFCP_SKIP_PYTHON=1` (then a loud SKIPPED line).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Runs the step; `Err` says what failed.
pub fn test(root: &Path) -> Result<(), String> {
    if std::env::var("CFCP_SKIP_PYTHON").is_ok_and(|v| v == "1") {
        eprintln!("==> python: SKIPPED (CFCP_SKIP_PYTHON=1): the Python bindings were NOT tested");
        return Ok(());
    }
    let started = Instant::now();
    eprintln!("==> python: pytest and mypy --strict in target/xtask-venv");
    let venv = ensure_venv(root)?;
    let bin = venv.join("bin");
    let target = target_dir(root);
    run(
        "build the test helpers",
        Command::new("cargo").current_dir(root).args([
            "build",
            "-q",
            "-p",
            "fake-cloudflare",
            "--bin",
            "fake-cloudflare",
            "-p",
            "cfcp-python",
            "--example",
            "write_audit_log",
        ]),
    )?;
    run(
        "maturin develop",
        Command::new(bin.join("maturin"))
            .current_dir(root.join("bindings-python"))
            .env("VIRTUAL_ENV", &venv)
            .args(["develop", "-q"]),
    )?;
    run(
        "pytest",
        Command::new(bin.join("python"))
            .current_dir(root.join("bindings-python"))
            .env("PATH", path_with(&bin))
            .env(
                "FAKE_CLOUDFLARE_BIN",
                target.join("debug").join("fake-cloudflare"),
            )
            .env(
                "WRITE_AUDIT_LOG_BIN",
                target
                    .join("debug")
                    .join("examples")
                    .join("write_audit_log"),
            )
            .args(["-m", "pytest", "-q"]),
    )?;
    run(
        "mypy --strict examples/python",
        Command::new(bin.join("mypy"))
            .current_dir(root)
            .args(["--strict", "examples/python"]),
    )?;
    eprintln!("<== python ok in {:.1?}", started.elapsed());
    install_check(root)
}

/// What the fresh install must be able to do, run by the new venv's python outside the source
/// tree: the package is the installed one (not `bindings-python/python`), ships its typing files,
/// and checks the demo snapshot file.
const INSTALL_PROBE: &str = r#"
import os, sys
import cfcp
where = os.path.dirname(cfcp.__file__)
assert where.startswith(sys.prefix), f"cfcp imported from {where}, not the venv {sys.prefix}"
for name in ("py.typed", "__init__.pyi"):
    assert os.path.exists(os.path.join(where, name)), f"the wheel lacks {name}"
snapshot = cfcp.Snapshot.load(sys.argv[1])
report = cfcp.check(snapshot)
summary = report.summary
assert summary.checks > 0 and summary.failed == len(report.failures()) > 0, summary
print(f"{len(snapshot.zone_names)} zones, {summary.checks} checks, {summary.failed} failed")
"#;

/// `pip install ./bindings-python` into a new venv (`target/xtask-venv-install`, recreated each
/// time) and [`INSTALL_PROBE`] on the demo snapshot: what the README promises a user.
///
/// Everything a user's `pip install` does happens (build isolation, maturin from the index, the
/// wheel, its install) except the optimisation level: maturin builds in the dev profile
/// (`MATURIN_PEP517_ARGS=--profile dev`) in the workspace's target dir, where `cargo test` has
/// already built core and its dependencies in that profile: only pyo3 (configured for the new
/// interpreter) and the extension are rebuilt, about a minute. A separate target dir would cost a
/// from-scratch build of core on a fresh clone (~7 min on two busy cores), a release build ~15
/// min; `CFCP_PIP_INSTALL_RELEASE=1` runs the release build anyway.
pub fn install_check(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    eprintln!("==> python: pip install ./bindings-python in a fresh target/xtask-venv-install");
    let target = target_dir(root);
    let venv = target.join("xtask-venv-install");
    if venv.exists() {
        std::fs::remove_dir_all(&venv)
            .map_err(|e| format!("python: removing {}: {e}", venv.display()))?;
    }
    run(
        "python3 -m venv (fresh)",
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
    )?;
    let python = venv.join("bin").join("python");
    let release = std::env::var("CFCP_PIP_INSTALL_RELEASE").is_ok_and(|v| v == "1");
    let mut pip = Command::new(&python);
    pip.current_dir(root)
        .args(["-m", "pip", "install", "-q", "./bindings-python"]);
    if release {
        pip.env("CARGO_TARGET_DIR", &target);
    } else {
        pip.env("CARGO_TARGET_DIR", &target)
            .env("MATURIN_PEP517_ARGS", "--profile dev");
    }
    let pip_started = Instant::now();
    run("pip install ./bindings-python", &mut pip)?;
    let pip_time = pip_started.elapsed();
    let demo = root.join("examples").join("snapshots").join("demo.json");
    run(
        "import cfcp from the fresh install",
        Command::new(&python)
            .current_dir(&venv)
            .env_remove("PYTHONPATH")
            .arg("-c")
            .arg(INSTALL_PROBE)
            .arg(&demo),
    )?;
    eprintln!(
        "<== pip install ok in {:.1?} (pip install {:.1?}, {} profile)",
        started.elapsed(),
        pip_time,
        if release { "release" } else { "dev" }
    );
    Ok(())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// `target/xtask-venv` with maturin, pytest and mypy installed (from pip's configured index).
fn ensure_venv(root: &Path) -> Result<PathBuf, String> {
    let venv = target_dir(root).join("xtask-venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        let found = Command::new("python3").arg("--version").output();
        if !found.is_ok_and(|o| o.status.success()) {
            return Err("python: python3 is missing: install Python 3.9+ with venv and pip (or set CFCP_SKIP_PYTHON=1 to skip this step)".to_owned());
        }
        run(
            "python3 -m venv",
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
        )
        .map_err(|e| format!("{e}: the venv module (Debian: python3-venv) is missing or broken; or set CFCP_SKIP_PYTHON=1"))?;
    }
    let tools = ["maturin", "pytest", "mypy"];
    if tools.iter().all(|t| venv.join("bin").join(t).exists()) {
        return Ok(venv);
    }
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "-q"]).args(tools);
    run("pip install maturin pytest mypy", &mut pip).map_err(|e| {
        format!("{e}: pip is missing or cannot reach the package index; or set CFCP_SKIP_PYTHON=1")
    })?;
    Ok(venv)
}

fn path_with(bin: &Path) -> std::ffi::OsString {
    let mut paths = vec![bin.to_owned()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap_or_default()
}

fn run(what: &str, command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("python: {what}: could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("python: {what} failed ({status})"))
    }
}

/// `cargo xtask bench bindings [--size ZONESxRECORDS] [--rounds N]`: `check` on a synthetic
/// snapshot from Rust (the check benchmark's child) and from Python side by side, each the best
/// of N rounds; fails when the binding adds 20 % or more (conversion of the findings included).
pub fn bench(root: &Path, args: &[String]) -> Result<(), String> {
    let (size, rounds) = crate::bench_bindings::options(args)?;
    let venv = ensure_venv(root)?;
    let bin = venv.join("bin");
    run(
        "maturin develop --release",
        Command::new(bin.join("maturin"))
            .current_dir(root.join("bindings-python"))
            .env("VIRTUAL_ENV", &venv)
            .args(["develop", "--release", "-q"]),
    )?;
    let (snapshot, rust) =
        crate::bench_bindings::rust_side(root, &target_dir(root), &size, rounds)?;
    let script = root
        .join("bindings-python")
        .join("bench")
        .join("bench_check.py");
    let py = crate::bench_bindings::numbers(
        Command::new(bin.join("python"))
            .arg(&script)
            .arg(&snapshot)
            .arg(rounds.to_string()),
        "the Python check",
    )?;
    crate::bench_bindings::verdict("python", &size, rounds, rust, &py)
}
