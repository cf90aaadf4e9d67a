//! `cfcp log ...`: the audit trail (`cfcp::audit`).
//!
//! `cfcp log verify FILE [--pubkey FILE] [--require-sealed]` prints
//! `ok: N entries, M checkpoints, head <hash>` (then notes and warnings) and exits 0, or names the
//! first bad entry (`bad entry: line L (seq S): <kind>: <what is wrong>`) and exits 1. Exit 2 when
//! the log or the public key cannot be read.

use std::path::PathBuf;

use cfcp::audit::{self, VerifyOptions};

use crate::Outcome;

/// `cfcp log` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Verify an audit log: hash chain, sequence numbers and checkpoint signatures; names the
    /// first bad entry.
    Verify(VerifyArgs),
}

/// Arguments of `cfcp log verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The audit log (JSON lines; `-` reads standard input).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The operator's public key (the `.pub` file written beside the signing key): every
    /// checkpoint must be signed by it. Without it, checkpoints are checked against the key the
    /// log itself names, which proves integrity but not who signed.
    #[arg(long, value_name = "FILE")]
    pubkey: Option<PathBuf>,
    /// Require the log to end with the seal a proper close writes: detects any truncation of a
    /// closed log (a log still being written fails).
    #[arg(long)]
    require_sealed: bool,
}

/// Runs a `cfcp log` subcommand.
pub fn run(command: Command) -> Outcome {
    match command {
        Command::Verify(args) => verify(args),
    }
}

fn verify(args: VerifyArgs) -> Outcome {
    let expected_key = match &args.pubkey {
        Some(path) => match audit::load_public_key(path) {
            Ok(key) => Some(key),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(2);
            }
        },
        None => None,
    };
    let bytes = crate::env::read_input(&args.file)?;
    let report = audit::verify_with(
        &bytes,
        &VerifyOptions {
            expected_key,
            require_sealed: args.require_sealed,
        },
    );
    let mut out = String::new();
    let code = match &report.first_problem {
        None => {
            out.push_str(&format!(
                "ok: {} entries, {} checkpoints, head {}\n",
                report.entries, report.checkpoints, report.head
            ));
            0
        }
        Some(problem) => {
            out.push_str(&format!("bad entry: {problem}\n"));
            out.push_str(&format!(
                "verified before it: {} entries, {} checkpoints\n",
                report.entries, report.checkpoints
            ));
            1
        }
    };
    match (&report.public_key, report.key_pinned) {
        (Some(key), true) => {
            out.push_str(&format!("signed by {} (the --pubkey key)\n", hex_key(key)))
        }
        (Some(key), false) => out.push_str(&format!(
            "signed by {} (the key the log names; pass --pubkey to check who signed)\n",
            hex_key(key)
        )),
        (None, _) if code == 0 && report.entries > 0 => {
            out.push_str("no checkpoint: nothing in this log is signed\n")
        }
        (None, _) => {}
    }
    if code == 0 {
        out.push_str(if report.sealed {
            "sealed: the log ends with a close seal\n"
        } else {
            "not sealed: the log is still being written, was not closed, or was truncated (--require-sealed makes this an error)\n"
        });
    }
    for w in &report.warnings {
        out.push_str(&format!("warning: line {}", w.line));
        if let Some(seq) = w.seq {
            out.push_str(&format!(" (seq {seq})"));
        }
        out.push_str(&format!(": {}\n", w.message));
    }
    crate::output::write_stdout(out.as_bytes())?;
    Ok(code)
}

fn hex_key(key: &audit::VerifyingKey) -> String {
    key.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}
