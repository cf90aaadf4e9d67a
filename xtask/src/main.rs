//! `cargo xtask`: everything beyond `cargo test`.
//!
//! - `cargo xtask test`: every check the project has, in the order CI runs them: formatting,
//!   clippy, the Rust tests, and the Python, Node and MCP end-to-end suites once those front ends
//!   exist. `.ci/run` runs exactly this.
//! - `cargo xtask bench snapshot [ARGS]`: the snapshot benchmark against the fake Cloudflare API.
//!
//! Dependency-free on purpose: it must build in seconds on a fresh clone.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&root, &args[1..]),
        Some("bench") => bench(&root, &args[1..]),
        _ => {
            eprintln!("usage: cargo xtask test [--no-lint]\n       cargo xtask bench snapshot [--zones N] [--records N] [--window-secs S] [--limit N]\n       cargo xtask bench check [--sizes 100x1000,1000x1000] [--rego-size 100x1000]\n       cargo xtask bench rules\n       cargo xtask bench layer0 [--rounds N] [--entries N] [--dir DIR]");
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
    // Front ends that arrive with later issues join here when their directories exist.
    if root.join("bindings-python").is_dir() {
        steps.push(Step {
            name: "python tests",
            program: "python3",
            args: vec!["-m", "pytest", "-q"],
            dir: root.join("bindings-python"),
        });
    }
    if root.join("bindings-node").is_dir() {
        steps.push(Step {
            name: "node tests",
            program: "npm",
            args: vec!["test", "--silent"],
            dir: root.join("bindings-node"),
        });
    }

    let started = Instant::now();
    for step in &steps {
        run_step(step)?;
    }
    eprintln!(
        "xtask test: all {} steps passed in {:.0?}",
        steps.len(),
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

/// Benchmarks and the package that holds each (all run as `cargo bench` targets, harness-free).
const BENCHES: &[(&str, &str)] = &[
    ("snapshot", "fake-cloudflare"),
    ("check", "fake-cloudflare"),
    ("rules", "bench-rules"),
    ("layer0", "cfcp"),
];

fn bench(root: &Path, args: &[String]) -> Result<(), String> {
    let name = args.first().map(String::as_str).unwrap_or_default();
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
