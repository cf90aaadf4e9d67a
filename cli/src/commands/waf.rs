//! `cfcp waf ...`: the Rules-language engine and WAF intelligence.

use std::io::BufRead;
use std::path::PathBuf;

use cfcp::intel::{self, FeedFormat, ProposeOptions, ProposedAction};
use cfcp::rules::{self, batch, ExpressionKind};
use cfcp::waf;

use super::check::load_input;
use crate::error::CliError;
use crate::Outcome;

/// Output formats of the WAF reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a terminal.
    Text,
    /// JSON (`cfcp.waf-analysis/v1`, `cfcp.waf-gaps/v1`, or the simulation trace).
    Json,
    /// For pull/merge request comments.
    Markdown,
}

/// Where the snapshot comes from (shared by the WAF subcommands).
#[derive(Debug, Clone, clap::Args)]
pub struct SnapshotInput {
    /// Snapshot file. Without it: the live account when a token is set, else the bundled demo.
    #[arg(value_name = "SNAPSHOT")]
    snapshot: Option<PathBuf>,
    /// Only this zone (by name).
    #[arg(long, value_name = "NAME")]
    zone: Option<String>,
}

impl SnapshotInput {
    fn load(&self) -> Result<cfcp::snapshot::Snapshot, CliError> {
        let zones: Vec<String> = self.zone.iter().cloned().collect();
        let input = load_input(self.snapshot.as_deref(), false, &zones)?;
        if let Some(header) = &input.header {
            eprintln!("{header}");
        }
        Ok(input.snapshot)
    }
}

/// `cfcp waf` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check that expressions parse and type-check (one expression, or JSON lines with --batch).
    Validate(ValidateArgs),
    /// Lint every rule, review managed rules and rate limits, score each zone.
    Analyze(AnalyzeArgs),
    /// Run a request through a zone's rules in Cloudflare's phase order and show the trace.
    Simulate(SimulateArgs),
    /// Turn a threat-intel feed into a Cloudflare IP list and a blocking rule (API payloads + HCL).
    Propose(ProposeArgs),
    /// Which threat classes each zone covers, and a proposed rule for every gap.
    Gaps(GapsArgs),
}

/// Arguments of `cfcp waf analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    input: SnapshotInput,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Arguments of `cfcp waf simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Snapshot file.
    #[arg(value_name = "SNAPSHOT")]
    snapshot: PathBuf,
    /// The zone whose rules run.
    #[arg(long, value_name = "NAME")]
    zone: String,
    /// The request, as JSON (`{"method","host","path","client_ip","headers",...}`; `-` reads
    /// standard input).
    #[arg(long, value_name = "REQ.json")]
    request: PathBuf,
    /// Output format (text or json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Arguments of `cfcp waf propose`.
#[derive(Debug, clap::Args)]
pub struct ProposeArgs {
    /// The feed file (`-` reads standard input).
    #[arg(long, value_name = "FILE")]
    intel: PathBuf,
    /// The feed's format: plain, spamhaus-drop, firehol, tor, feodo, threatfox, csv, stix.
    #[arg(long, value_name = "FORMAT")]
    format: FeedFormat,
    /// Snapshot to diff against and to take the zone's existing rules from. Without it: the live
    /// account when a token is set, else the bundled demo.
    #[arg(long, value_name = "SNAPSHOT")]
    snapshot: Option<PathBuf>,
    /// The zone the blocking rule is for; without it only the list is proposed.
    #[arg(long, value_name = "NAME")]
    zone: Option<String>,
    /// The list's name (`$name` in expressions); default from the feed format.
    #[arg(long, value_name = "NAME")]
    list_name: Option<String>,
    /// Use a managed challenge instead of block.
    #[arg(long)]
    challenge: bool,
    /// Write proposal.json (API calls), main.tf (HCL) and summary.md here instead of printing.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// Arguments of `cfcp waf gaps`.
#[derive(Debug, clap::Args)]
pub struct GapsArgs {
    #[command(flatten)]
    input: SnapshotInput,
    /// A gap policy (JSON: login_paths, admin_paths, api_prefixes, geo {blocked_countries,
    /// allowed_countries}).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Arguments of `cfcp waf validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The expression to check.
    #[arg(
        value_name = "EXPR",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    expression: Option<String>,
    /// Treat EXPR as a value expression (rewrite/redirect target) instead of a filter.
    #[arg(long)]
    value: bool,
    /// JSON lines `{"id","expression","kind"}` (`-` for standard input); prints one line
    /// `{"id","valid","error":{"message","offset"}}` per input line.
    #[arg(long, value_name = "FILE")]
    batch: Option<PathBuf>,
}

/// Runs a `cfcp waf` subcommand.
pub fn run(command: Command) -> Outcome {
    match command {
        Command::Validate(args) => validate(args),
        Command::Analyze(args) => analyze(args),
        Command::Simulate(args) => simulate(args),
        Command::Propose(args) => propose(args),
        Command::Gaps(args) => gaps(args),
    }
}

/// Exit 1 when any rule finding fails.
fn analyze(args: AnalyzeArgs) -> Outcome {
    let snapshot = args.input.load()?;
    let analysis = waf::analyze(&snapshot, args.input.zone.as_deref());
    let text = match args.format {
        Format::Text => analysis.to_text(),
        Format::Json => analysis.to_json_pretty(),
        Format::Markdown => analysis.to_markdown(),
    };
    crate::output::write_stdout(text.as_bytes())?;
    let failed = analysis
        .findings()
        .iter()
        .any(|f| f.status == cfcp::invariants::Status::Fail);
    Ok(i32::from(failed))
}

/// Prints the trace; exit 0 whatever the final action (it is the answer, not a failure).
fn simulate(args: SimulateArgs) -> Outcome {
    let snapshot =
        cfcp::snapshot::Snapshot::from_json_slice(&crate::env::read_input(&args.snapshot)?)?;
    let bytes = crate::env::read_input(&args.request)?;
    let request: rules::Request = serde_json::from_slice(&bytes).map_err(|e| {
        CliError::Core(cfcp::Error::InvalidDocument {
            document: "request",
            path: "$".to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    })?;
    let lists = waf::lists_from_snapshot(&snapshot);
    let trace = waf::simulate(&snapshot, &args.zone, &request, &lists)?;
    let text = match args.format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&trace).unwrap_or_default()
        ),
        _ => render_trace(&trace),
    };
    crate::output::write_stdout(text.as_bytes())?;
    Ok(0)
}

fn render_trace(trace: &waf::Trace) -> String {
    let mut out = format!("zone {}\n", trace.zone);
    for step in &trace.steps {
        let mark = match (step.matched, step.acted) {
            (true, true) => "ACT  ",
            (true, false) => "match",
            _ => "     ",
        };
        out.push_str(&format!(
            "{mark} {:<32} {:<18} {}",
            step.phase, step.action, step.description
        ));
        if !step.note.is_empty() {
            out.push_str(&format!("  ({})", step.note));
        }
        out.push('\n');
    }
    for rule in &trace.rate_limit_counted_by {
        out.push_str(&format!("counted by rate limit: {}\n", rule.description));
    }
    for caveat in &trace.caveats {
        out.push_str(&format!("note: {caveat}\n"));
    }
    out.push_str(&format!(
        "final action: {}{}\n",
        trace.final_action,
        trace
            .terminating_rule
            .as_ref()
            .map(|r| format!(" (by {})", r.description))
            .unwrap_or_default()
    ));
    out
}

/// Exit 2 when the feed had unreadable lines (the proposal is still made from the rest).
fn propose(args: ProposeArgs) -> Outcome {
    let input = load_input(args.snapshot.as_deref(), false, &[])?;
    let bytes = crate::env::read_input(&args.intel)?;
    let now = time::OffsetDateTime::now_utc();
    let feed = intel::parse_feed_bytes(args.format, &bytes, now);
    for error in feed.errors.iter().take(20) {
        eprintln!("{}:{}: {}", args.intel.display(), error.line, error.message);
    }
    if feed.errors.len() > 20 {
        eprintln!("... and {} more unreadable lines", feed.errors.len() - 20);
    }
    let normalised = intel::normalise(
        &feed.indicators,
        &input.snapshot,
        args.zone.as_deref(),
        &intel::NormaliseOptions::default(),
    );
    let mut options = ProposeOptions::new(
        args.list_name
            .clone()
            .unwrap_or_else(|| ProposeOptions::default_list_name(args.format).to_owned()),
    );
    if args.challenge {
        options.action = ProposedAction::ManagedChallenge;
    }
    let source = args
        .intel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    options.feed = Some(intel::propose::FeedSummary::of(&feed, source.as_deref()));
    let proposal = intel::propose(&normalised, &input.snapshot, args.zone.as_deref(), &options)?;
    let requests = serde_json::to_string_pretty(&proposal.requests).unwrap_or_default() + "\n";
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
                path: dir.clone(),
                source,
            })?;
            crate::output::write_atomic(&dir.join("proposal.json"), requests.as_bytes())?;
            crate::output::write_atomic(&dir.join("main.tf"), proposal.hcl.as_bytes())?;
            crate::output::write_atomic(
                &dir.join("summary.md"),
                proposal.summary_markdown.as_bytes(),
            )?;
            eprintln!(
                "wrote {}/{{proposal.json,main.tf,summary.md}}",
                dir.display()
            );
        }
        None => {
            let text = format!(
                "{}\n## API calls\n\n```json\n{requests}```\n\n## Terraform\n\n```hcl\n{}```\n",
                proposal.summary_markdown, proposal.hcl
            );
            crate::output::write_stdout(text.as_bytes())?;
        }
    }
    for warning in &proposal.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(if feed.errors.is_empty() { 0 } else { 2 })
}

/// Exit 1 when any zone has a gap.
fn gaps(args: GapsArgs) -> Outcome {
    let snapshot = args.input.load()?;
    let policy: waf::gaps::GapPolicy = match &args.policy {
        Some(path) => serde_json::from_slice(&crate::env::read_input(path)?).map_err(|e| {
            CliError::Core(cfcp::Error::InvalidDocument {
                document: "gap policy",
                path: path.display().to_string(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })
        })?,
        None => waf::gaps::GapPolicy::default(),
    };
    let report = waf::gaps::gaps(&snapshot, args.input.zone.as_deref(), &policy);
    let text = match args.format {
        Format::Text => report.to_text(),
        Format::Json => report.to_json_pretty(),
        Format::Markdown => report.to_markdown(),
    };
    crate::output::write_stdout(text.as_bytes())?;
    let has_gap = report
        .findings()
        .iter()
        .any(|f| f.status == cfcp::invariants::Status::Fail);
    Ok(i32::from(has_gap))
}

/// Exit 0 when every expression is valid, 1 when one is not, 2 when the input is malformed.
fn validate(args: ValidateArgs) -> Outcome {
    if let Some(path) = &args.batch {
        return validate_batch(path);
    }
    let expression = args.expression.unwrap_or_default();
    let kind = if args.value {
        ExpressionKind::Value
    } else {
        ExpressionKind::Filter
    };
    match rules::validate(&expression, kind) {
        Ok(()) => {
            println!("valid");
            Ok(0)
        }
        Err(e) => {
            println!("invalid: {}", e.full_message());
            println!("{}", e.render(&expression));
            Ok(1)
        }
    }
}

fn validate_batch(path: &std::path::Path) -> Outcome {
    let io = |source| CliError::Io {
        path: path.to_owned(),
        source,
    };
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(io)?,
        ))
    };
    let mut out = String::new();
    let (mut invalid, mut malformed, mut total) = (0usize, 0usize, 0usize);
    for (index, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let result = batch::validate_line(index + 1, &line);
        total += 1;
        if result.bad_input {
            malformed += 1;
        } else if !result.valid {
            invalid += 1;
        }
        out.push_str(&serde_json::to_string(&result).unwrap_or_default());
        out.push('\n');
    }
    crate::output::write_stdout(out.as_bytes())?;
    eprintln!(
        "{total} expressions: {} valid, {invalid} invalid, {malformed} malformed input lines",
        total - invalid - malformed
    );
    Ok(if malformed > 0 {
        2
    } else if invalid > 0 {
        1
    } else {
        0
    })
}
