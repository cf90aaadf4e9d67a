//! `cargo xtask`: everything beyond `cargo test`.
//!
//! - `cargo xtask test`: every check the project has, in the order CI runs them: formatting,
//!   clippy, the Rust tests, the MCP end-to-end suite with the official Python MCP SDK (in a venv
//!   this creates and reuses: `<target>/xtask-venv`), and the Python and Node suites once those
//!   front ends exist. `.ci/run` runs exactly this. `CFCP_SKIP_PYTHON=1` skips the Python MCP
//!   suite (loudly); without it, a missing python3/venv/pip fails the run. The suite also drives
//!   the MCP Inspector's CLI (npm-installed into `<target>/xtask-node`; `CFCP_SKIP_INSPECTOR=1`
//!   skips that part, loudly; a missing npm fails the run).
//! - `cargo xtask mcp-e2e`: only the Python MCP end-to-end suite.
//! - `cargo xtask bench snapshot [ARGS]`: the snapshot benchmark against the fake Cloudflare API.
//! - `cargo xtask bench mcp`: Layer0 + audit overhead per MCP tool call, calls/s over HTTP.
//!
//! Dependency-free on purpose: it must build in seconds on a fresh clone.

mod bench_bindings;
mod node;
mod python;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&root, &args[1..]),
        Some("bench") => bench(&root, &args[1..]),
        Some("mcp-e2e") => mcp_python(&root, true),
        _ => {
            eprintln!("usage: cargo xtask test [--no-lint]\n       cargo xtask mcp-e2e   (only the Python MCP SDK end-to-end suite)\n       cargo xtask bench snapshot [--zones N] [--records N] [--window-secs S] [--limit N]\n       cargo xtask bench check [--sizes 100x1000,1000x1000] [--rego-size 100x1000]\n       cargo xtask bench rules\n       cargo xtask bench layer0 [--rounds N] [--entries N] [--dir DIR]\n       cargo xtask bench mcp [--calls N] [--seconds S] [--clients N]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// One step of `cargo xtask test`.
struct Step {
    name: &'static str,
    program: &'static str,
    args: Vec<&'static str>,
    dir: PathBuf,
}

fn test(root: &Path, args: &[String]) -> Result<(), String> {
    let lint = !args.iter().any(|a| a == "--no-lint");
    let mut steps = Vec::new();
    if lint {
        steps.push(Step {
            name: "rustfmt",
            program: "cargo",
            args: vec!["fmt", "--all", "--check"],
            dir: root.to_owned(),
        });
        steps.push(Step {
            name: "clippy",
            program: "cargo",
            args: vec![
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            dir: root.to_owned(),
        });
    }
    steps.push(Step {
        name: "rust tests",
        program: "cargo",
        args: vec!["test", "--workspace"],
        dir: root.to_owned(),
    });

    let started = Instant::now();
    for step in &steps {
        run_step(step)?;
    }
    mcp_python(root, false)?;
    python::test(root)?;
    node::test(root)?;
    // The cargo steps, then the MCP end-to-end suite, the Python and the Node bindings' suites.
    eprintln!(
        "xtask test: all {} steps passed in {:.0?}",
        steps.len() + 3,
        started.elapsed()
    );
    Ok(())
}

fn run_step(step: &Step) -> Result<(), String> {
    eprintln!(
        "==> {}: {} {}",
        step.name,
        step.program,
        step.args.join(" ")
    );
    let started = Instant::now();
    let status = Command::new(step.program)
        .args(&step.args)
        .current_dir(&step.dir)
        .status()
        .map_err(|e| format!("{}: could not start {}: {e}", step.name, step.program))?;
    if !status.success() {
        return Err(format!("{} failed ({status})", step.name));
    }
    eprintln!("<== {} ok in {:.1?}", step.name, started.elapsed());
    Ok(())
}

/// The version of the Python MCP SDK the end-to-end suite is written against.
const MCP_SDK: &str = "mcp==2.3.0";

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

/// The venv with the Python MCP SDK: created on first use, reused after (no network then).
fn python_venv(root: &Path) -> Result<PathBuf, String> {
    let venv = target_dir(root).join("xtask-venv");
    let python = venv.join("bin").join("python");
    let missing = |what: &str| {
        format!("python MCP e2e: {what}; install python3 with venv and pip (Debian: apt-get install python3-venv python3-pip), or set CFCP_SKIP_PYTHON=1 to skip this suite")
    };
    if !python.exists() {
        let version = Command::new("python3").arg("--version").output();
        if !version.is_ok_and(|o| o.status.success()) {
            return Err(missing("python3 is not on PATH"));
        }
        eprintln!("==> python venv: python3 -m venv {}", venv.display());
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| missing(&format!("python3 -m venv: {e}")))?;
        if !made.success() || !python.exists() {
            let _ = std::fs::remove_dir_all(&venv);
            return Err(missing(
                "python3 -m venv failed (is the venv module installed?)",
            ));
        }
    }
    let want = MCP_SDK.trim_start_matches("mcp==");
    let installed = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m; import mcp; print(m.version('mcp'))",
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == want)
        .unwrap_or(false);
    if !installed {
        eprintln!("==> python venv: pip install {MCP_SDK}");
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                MCP_SDK,
            ])
            .status()
            .map_err(|e| missing(&format!("pip: {e}")))?;
        if !status.success() {
            return Err(missing(&format!("pip install {MCP_SDK} failed ({status})")));
        }
    }
    Ok(python)
}

/// The version of the MCP Inspector whose CLI mode the end-to-end suite also drives.
const INSPECTOR: &str = "@modelcontextprotocol/inspector@2.12.0";

/// The MCP Inspector's launcher, installed with npm into `<target>/xtask-node` on first use
/// (after that it runs offline). `None` when `CFCP_SKIP_INSPECTOR=1`.
fn inspector(root: &Path) -> Result<Option<PathBuf>, String> {
    if std::env::var("CFCP_SKIP_INSPECTOR").is_ok_and(|v| v == "1") {
        eprintln!("\n!!!!!!!! SKIPPED: MCP Inspector CLI e2e (CFCP_SKIP_INSPECTOR=1) !!!!!!!!\n");
        return Ok(None);
    }
    let dir = target_dir(root).join("xtask-node");
    let launcher = dir.join("node_modules/.bin/mcp-inspector");
    let want = INSPECTOR.rsplit('@').next().unwrap_or_default();
    let manifest = dir.join("node_modules/@modelcontextprotocol/inspector/package.json");
    let installed = std::fs::read_to_string(&manifest)
        .is_ok_and(|text| text.contains(&format!("\"version\": \"{want}\"")));
    if !(installed && launcher.exists()) {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        eprintln!("==> MCP Inspector: npm install {INSPECTOR}");
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
            .arg(&dir)
            .arg(INSPECTOR)
            .status()
            .map_err(|e| format!("MCP Inspector e2e: cannot run npm ({e}); install Node.js and npm, or set CFCP_SKIP_INSPECTOR=1 to skip it"))?;
        if !status.success() || !launcher.exists() {
            return Err(format!("MCP Inspector e2e: npm install {INSPECTOR} failed ({status}); set CFCP_SKIP_INSPECTOR=1 to skip it"));
        }
    }
    Ok(Some(launcher))
}

/// The MCP end-to-end suite with the official Python SDK, over stdio and streamable HTTP,
/// against the binaries `cargo test` already built in the same target dir.
fn mcp_python(root: &Path, build: bool) -> Result<(), String> {
    if std::env::var("CFCP_SKIP_PYTHON").is_ok_and(|v| v == "1") {
        eprintln!("\n!!!!!!!! SKIPPED: python MCP e2e (CFCP_SKIP_PYTHON=1): cfcp-mcp was NOT tested with the Python MCP SDK !!!!!!!!\n");
        return Ok(());
    }
    let python = python_venv(root)?;
    let inspector = inspector(root)?;
    // In `cargo xtask test` the rust tests step has just built both binaries (their integration
    // tests need them): building again with `cargo build` would unify features differently and
    // rebuild half the workspace.
    if build {
        run_step(&Step {
            name: "build cfcp-mcp and cfcp",
            program: "cargo",
            args: vec![
                "build",
                "-p",
                "cfcp-mcp",
                "-p",
                "cfcp-cli",
                "-p",
                "fake-cloudflare",
            ],
            dir: root.to_owned(),
        })?;
    }
    let bin = target_dir(root).join("debug");
    for name in ["cfcp-mcp", "cfcp", "fake-cloudflare"] {
        if !bin.join(name).exists() {
            return Err(format!("python MCP e2e: {} is missing (run `cargo test --workspace` or `cargo build -p cfcp-mcp -p cfcp-cli -p fake-cloudflare` first)", bin.join(name).display()));
        }
    }
    let started = Instant::now();
    eprintln!("==> python MCP e2e: tests/mcp-python/e2e.py");
    let status = Command::new(&python)
        .arg(root.join("tests/mcp-python/e2e.py"))
        .arg("--mcp")
        .arg(bin.join("cfcp-mcp"))
        .arg("--cfcp")
        .arg(bin.join("cfcp"))
        .arg("--snapshot")
        .arg(root.join("examples/snapshots/demo.json"))
        .arg("--fake")
        .arg(bin.join("fake-cloudflare"))
        .args(
            inspector
                .iter()
                .flat_map(|i| [std::ffi::OsStr::new("--inspector"), i.as_os_str()]),
        )
        .current_dir(root)
        .status()
        .map_err(|e| format!("python MCP e2e: could not start {}: {e}", python.display()))?;
    if !status.success() {
        return Err(format!("python MCP e2e failed ({status})"));
    }
    eprintln!("<== python MCP e2e ok in {:.1?}", started.elapsed());
    Ok(())
}

/// Benchmarks and the package that holds each (all run as `cargo bench` targets, harness-free).
const BENCHES: &[(&str, &str)] = &[
    ("snapshot", "fake-cloudflare"),
    ("check", "fake-cloudflare"),
    ("drift", "fake-cloudflare"),
    ("rules", "bench-rules"),
    ("layer0", "cfcp"),
    ("mcp", "cfcp-mcp"),
];

fn bench(root: &Path, args: &[String]) -> Result<(), String> {
    let name = args.first().map(String::as_str).unwrap_or_default();
    if name == "bindings" {
        let python = python::bench(root, &args[1..]);
        return python.and(node::bench(root, &args[1..]));
    }
    let Some((bench, package)) = BENCHES.iter().find(|(b, _)| *b == name) else {
        let names: Vec<&str> = BENCHES.iter().map(|(b, _)| *b).collect();
        return Err(format!(
            "unknown benchmark {name:?}; available: {}",
            names.join(", ")
        ));
    };
    let mut cargo_args = vec!["bench", "-p", package, "--bench", bench, "--"];
    cargo_args.extend(args[1..].iter().map(String::as_str));
    let mut command = Command::new("cargo");
    if *bench == "check" {
        // The check benchmark also measures the command people run, built the same way.
        let status = Command::new("cargo")
            .args(["build", "--release", "-p", "cfcp-cli", "--bin", "cfcp"])
            .current_dir(root)
            .status()
            .map_err(|e| format!("could not start cargo: {e}"))?;
        if !status.success() {
            return Err(format!("building cfcp failed ({status})"));
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        command.env("CFCP_BIN", target.join("release").join("cfcp"));
    }
    let status = command
        .args(&cargo_args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("benchmark failed ({status})"))
    }
}
