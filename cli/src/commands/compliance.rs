//! `cfcp compliance`: per control of a framework, its status, the evidence and what a snapshot
//! cannot show.

use std::path::PathBuf;

use cfcp::compliance;

use super::check::{check, load_input, CheckOptions};
use crate::Outcome;

/// Output formats of `cfcp compliance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a terminal.
    Text,
    /// The `cfcp.compliance/v1` JSON contract.
    Json,
    /// For pull/merge request comments and audit notes.
    Markdown,
}

/// Arguments of `cfcp compliance`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The framework: pci-dss-4.0.1, asvs-4.0.3, asvs-5.0, nist-800-53r5.
    #[arg(long, value_name = "NAME")]
    framework: String,
    /// Snapshot file. Without it: the live account when a token is set, else the demo.
    #[arg(value_name = "SNAPSHOT", conflicts_with = "live")]
    snapshot: Option<PathBuf>,
    /// Snapshot the live account (needs CLOUDFLARE_API_TOKEN).
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    options: CheckOptions,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the result here (atomically) instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Exit 1 when any control fails, 2 for an unknown framework or bad input.
pub fn run(args: Args) -> Outcome {
    let Some(framework) = compliance::framework(&args.framework) else {
        eprintln!(
            "error: unknown framework {:?}; one of {}",
            args.framework,
            compliance::framework_names().join(", ")
        );
        return Ok(2);
    };
    let input = load_input(args.snapshot.as_deref(), args.live, &args.options.zones)?;
    let (report, policy_errors) = check(&input.snapshot, &args.options)?;
    let result = compliance::evaluate(framework, &report);
    let text = match args.format {
        Format::Text => {
            let body = result.to_text();
            match &input.header {
                Some(header) => format!("{header}\n\n{body}"),
                None => body,
            }
        }
        Format::Json => result.to_json_pretty(),
        Format::Markdown => result.to_markdown(),
    };
    if args.format != Format::Text {
        if let Some(header) = &input.header {
            eprintln!("{header}");
        }
    }
    match &args.output {
        Some(path) => crate::output::write_atomic(path, text.as_bytes())?,
        None => crate::output::write_stdout(text.as_bytes())?,
    }
    for err in &policy_errors {
        eprintln!("error: {err}");
    }
    if !policy_errors.is_empty() {
        return Ok(2);
    }
    Ok(i32::from(result.summary.fail > 0))
}
