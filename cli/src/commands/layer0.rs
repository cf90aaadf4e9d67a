//! `cfcp layer0 ...`: Layer0's classifier and router from the command line (`cfcp::layer0`).
//!
//! - `cfcp layer0 classify [JSON | -]` prints the classification and the route as JSON.
//! - `cfcp layer0 eval FILE.jsonl [--results FILE]` scores labelled rows: confusion matrix,
//!   per-route and per-flag precision/recall, misrouted ids, and a last line
//!   `accuracy=… block_recall=… false_block_rate=…`.
//! - `cfcp layer0 shadow-report LOG` summarises a shadow policy's disagreements in an audit log.
//!
//! `--policy FILE.cedar` replaces the default policy, `--extend-policy FILE.cedar` adds to it; a
//! policy that fails to parse or validate stops the command (exit 2) with Cedar's message rather
//! than routing with a policy nobody wrote.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use cfcp::layer0::engine::evaluate_rows;
use cfcp::layer0::policy::Policy;
use cfcp::layer0::shadow::shadow_report;
use cfcp::layer0::{Context, Layer0};
use cfcp::snapshot::Snapshot;

use crate::error::CliError;
use crate::Outcome;

/// `cfcp layer0` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Classify and route one request; prints {classification, decision} as JSON.
    Classify(ClassifyArgs),
    /// Score Layer0 on labelled rows (the format of corpus/layer0-dev.jsonl).
    Eval(EvalArgs),
    /// Summarise the shadow policy's disagreements recorded in an audit log.
    ShadowReport(ShadowArgs),
}

/// Which policy routes.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// A Cedar policy file that replaces the default policy.
    #[arg(long, value_name = "FILE.cedar", conflicts_with = "extend_policy")]
    policy: Option<PathBuf>,
    /// A Cedar policy file added to the default policy (e.g. an extra forbid).
    #[arg(long, value_name = "FILE.cedar")]
    extend_policy: Option<PathBuf>,
    /// A candidate Cedar policy to run in the shadow of the active one (its decisions are
    /// compared, never used).
    #[arg(long, value_name = "FILE.cedar")]
    shadow: Option<PathBuf>,
}

/// Arguments of `cfcp layer0 classify`.
#[derive(Debug, clap::Args)]
pub struct ClassifyArgs {
    /// The request as JSON (`{"kind": "tool_call", "tool": ..., "arguments": ...}`, a query or a
    /// tool output; a `context` member is used as the context), or `-` to read standard input.
    #[arg(value_name = "JSON", default_value = "-")]
    request: String,
    /// The context as JSON or a file: zones_allowed, account_id, scopes, approved. Default: the
    /// request's own `context` member, else nothing allowed.
    #[arg(long, value_name = "JSON|FILE")]
    context: Option<String>,
    /// A snapshot to judge the request against (e.g. whether a record is proxied now).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// Arguments of `cfcp layer0 eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Labelled rows, one JSON object per line.
    #[arg(value_name = "FILE.jsonl")]
    file: PathBuf,
    /// Also write one line per row: {"id","expected","route","flags"}.
    #[arg(long, value_name = "FILE")]
    results: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// Arguments of `cfcp layer0 shadow-report`.
#[derive(Debug, clap::Args)]
pub struct ShadowArgs {
    /// The audit log (JSON lines; `-` reads standard input).
    #[arg(value_name = "LOG")]
    log: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `cfcp layer0` subcommand.
pub fn run(command: Command) -> Outcome {
    match command {
        Command::Classify(args) => classify(args),
        Command::Eval(args) => eval(args),
        Command::ShadowReport(args) => shadow(args),
    }
}

fn read_text(path: &Path) -> Result<String, CliError> {
    let bytes = crate::env::read_input(path)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn load_layer0(args: &PolicyArgs) -> Result<Layer0, CliError> {
    let policy = match (&args.policy, &args.extend_policy) {
        (Some(path), _) => Policy::from_cedar(&read_text(path)?, &path.display().to_string())?,
        (None, Some(path)) => Policy::default_policy()
            .with_extension(&read_text(path)?, &path.display().to_string())?,
        (None, None) => Policy::default_policy(),
    };
    let layer0 = Layer0::new(policy);
    Ok(match &args.shadow {
        Some(path) => layer0.with_shadow(Policy::from_cedar(
            &read_text(path)?,
            &path.display().to_string(),
        )?),
        None => layer0,
    })
}

fn classify(args: ClassifyArgs) -> Outcome {
    let layer0 = load_layer0(&args.policy)?;
    let bytes = if args.request == "-" {
        crate::env::read_input(Path::new("-"))?
    } else {
        args.request.clone().into_bytes()
    };
    let context = match &args.context {
        Some(text) => {
            let text = if Path::new(text).is_file() {
                read_text(Path::new(text))?
            } else {
                text.clone()
            };
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| cfcp::Error::InvalidDocument {
                    document: "layer0 context",
                    path: String::new(),
                    line: e.line(),
                    column: e.column(),
                    message: e.to_string(),
                })?;
            Some(
                Context::from_value(&value).map_err(|message| cfcp::Error::InvalidDocument {
                    document: "layer0 context",
                    path: String::new(),
                    line: 0,
                    column: 0,
                    message,
                })?,
            )
        }
        None => None,
    };
    let context = context.unwrap_or_else(|| {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("context").and_then(|c| Context::from_value(c).ok()))
            .unwrap_or_default()
    });
    let snapshot = match &args.snapshot {
        Some(path) => Some(Snapshot::from_json_str(&read_text(path)?)?),
        None => None,
    };
    let verdict = layer0.decide_bytes(&bytes, &context, snapshot.as_ref());
    let json = serde_json::to_string_pretty(&verdict).expect("a verdict serialises");
    println!("{json}");
    Ok(0)
}

fn eval(args: EvalArgs) -> Outcome {
    let layer0 = load_layer0(&args.policy)?;
    let text = read_text(&args.file)?;
    let (report, results) = evaluate_rows(&text, &layer0, None)?;
    if let Some(path) = &args.results {
        let mut out = String::new();
        for r in &results {
            out.push_str(&serde_json::to_string(r).expect("a row result serialises"));
            out.push('\n');
        }
        std::fs::write(path, out).map_err(|source| CliError::Io {
            path: path.clone(),
            source,
        })?;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(report.render().as_bytes());
    Ok(0)
}

fn shadow(args: ShadowArgs) -> Outcome {
    let bytes = crate::env::read_input(&args.log)?;
    let report = shadow_report(&bytes);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("a shadow report serialises")
        );
    } else {
        print!("{}", report.to_text());
    }
    Ok(0)
}
