//! The `python` step of `cargo xtask test`: the Python bindings' pytest suite and `mypy --strict`
//! on examples/python, in a venv at `target/xtask-venv` (shared with the other Python steps).
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
