//! `cfcp check`: the main job. Runs the invariant catalog (and custom Rego policies) on a snapshot
//! file, the live account, or — with neither and no token — the bundled demo snapshot.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use cfcp::invariants::{self, rego, waivers, Config, Severity};
use cfcp::report::{self, Report};
use cfcp::snapshot::Snapshot;

use crate::error::CliError;
use crate::Outcome;

/// Output formats of `cfcp check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a terminal: grouped by zone and severity, with a summary.
    Text,
    /// The `cfcp.report/v1` JSON contract.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML, one test case per check and resource.
    Junit,
    /// A compact table for pull/merge request comments.
    Markdown,
    /// GitLab Code Quality JSON.
    Gitlab,
}

/// Arguments of `cfcp check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot file to check. Without it: the live account when a token is set, else the demo.
    #[arg(value_name = "SNAPSHOT", conflicts_with_all = ["live", "diff"])]
    snapshot: Option<PathBuf>,
    /// Snapshot the live account (needs CLOUDFLARE_API_TOKEN) and check it.
    #[arg(long)]
    live: bool,
    /// Check the state a Terraform plan would leave (`terraform show -json plan.out`), before it
    /// is applied; sections Terraform does not manage are UNKNOWN.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["snapshot", "live", "diff"])]
    terraform_plan: Option<PathBuf>,
    #[command(flatten)]
    options: CheckOptions,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 only when a FAIL at or above this severity exists (critical, high, medium, low,
    /// info), or never with `none`. Default: any FAIL.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_fail_on)]
    fail_on: Option<FailOn>,
    /// Write the report here (atomically) instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Compare two reports (or snapshots): label findings NEW, RESOLVED, REGRESSION, UNCHANGED;
    /// exit 1 on a regression.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    diff: Option<Vec<PathBuf>>,
    /// Text format: list passing findings and remediation code too.
    #[arg(short, long)]
    verbose: bool,
    /// Colour in text output: auto (when stdout is a terminal), always, never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
}

/// `--fail-on`: a severity, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Fail on a FAIL at or above this severity.
    AtLeast(Severity),
    /// Never fail because of findings.
    Never,
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    if text.eq_ignore_ascii_case("none") || text.eq_ignore_ascii_case("never") {
        return Ok(FailOn::Never);
    }
    Severity::parse(text).map(FailOn::AtLeast).ok_or_else(|| {
        format!("unknown severity {text:?}; one of critical, high, medium, low, info, none")
    })
}

/// Where the snapshot came from, for the report header and SARIF locations.
pub(crate) struct Input {
    pub snapshot: Snapshot,
    pub header: Option<String>,
    /// The file findings point at in SARIF and GitLab output; `None` when live (each result then
    /// points at `cloudflare/<zone>`).
    artifact: Option<String>,
}

/// Runs the checks; exit 1 when findings reach `--fail-on`, 2 on bad input.
pub fn run(args: Args) -> Outcome {
    if let Some(files) = &args.diff {
        return diff(&args, &files[0], &files[1]);
    }
    let input = match &args.terraform_plan {
        Some(path) => terraform_input(path)?,
        None => load_input(args.snapshot.as_deref(), args.live, &args.options.zones)?,
    };
    let (report, policy_errors) = check(&input.snapshot, &args.options)?;
    emit(&args, &report, &input)?;
    for err in &policy_errors {
        eprintln!("error: {err}");
    }
    if !policy_errors.is_empty() {
        eprintln!("the built-in checks ran; fix the policies above for the custom ones to run");
        return Ok(2);
    }
    Ok(exit_for(&report, args.fail_on))
}

fn exit_for(report: &Report, fail_on: Option<FailOn>) -> i32 {
    let threshold = match fail_on {
        Some(FailOn::Never) => return 0,
        Some(FailOn::AtLeast(s)) => s,
        None => Severity::Info,
    };
    i32::from(report.failures().any(|f| f.severity >= threshold))
}

pub(crate) fn load_input(
    snapshot: Option<&Path>,
    live: bool,
    zones: &[String],
) -> Result<Input, CliError> {
    if let Some(path) = snapshot {
        let snapshot = Snapshot::from_json_slice(&crate::env::read_input(path)?)?;
        return Ok(Input {
            snapshot,
            header: None,
            artifact: Some(path.display().to_string()),
        });
    }
    let has_credentials = crate::env::has_credentials();
    if live || has_credentials {
        let client = crate::env::client_builder()?.build()?;
        let scope = cfcp::api::SnapshotScope {
            zones: zones.to_vec(),
            accounts: Vec::new(),
        };
        let runtime = crate::env::runtime()?;
        let snapshot =
            runtime.block_on(client.snapshot(&scope, crate::env::now(), &cfcp::api::NoProgress))?;
        let header = format!(
            "Checking the live account at {} ({} requests)",
            client.base_url(),
            client.requests_sent()
        );
        return Ok(Input {
            snapshot,
            header: Some(header),
            artifact: None,
        });
    }
    Ok(Input {
        snapshot: cfcp::snapshot::demo(),
        header: Some(
            "Checking the bundled demo snapshot (no CLOUDFLARE_API_TOKEN set; pass a snapshot file or set a token to check your account)"
                .to_owned(),
        ),
        artifact: Some("examples/snapshots/demo.json".to_owned()),
    })
}

/// The planned state of a Terraform plan (or a state, or `.tf` files), with what Terraform leaves
/// unknown on stderr.
fn terraform_input(path: &Path) -> Result<Input, CliError> {
    let desired = super::snapshot::load_terraform(path)?;
    super::snapshot::print_terraform_remarks(&desired);
    let what = match desired.snapshot.source.kind {
        cfcp::snapshot::SourceKind::TerraformPlan => "the planned state of Terraform plan",
        cfcp::snapshot::SourceKind::TerraformState => "the Terraform state",
        _ => "the Terraform configuration",
    };
    let header = format!(
        "Checking {what} {} ({} resources; {} sections Terraform does not manage are UNKNOWN)",
        path.display(),
        desired.resources.len(),
        desired.snapshot.gaps.len()
    );
    Ok(Input {
        snapshot: desired.snapshot,
        header: Some(header),
        artifact: Some(path.display().to_string()),
    })
}

/// Built-in checks plus custom policies; policy errors are returned, not fatal.
pub(crate) fn check(
    snapshot: &Snapshot,
    args: &CheckOptions,
) -> Result<(Report, Vec<cfcp::Error>), CliError> {
    let mut config = Config {
        zones: args.zones.clone(),
        now: Some(crate::env::now()),
        include_waf: args.waf,
        ..Config::default()
    };
    if let Some(path) = &args.waivers {
        let text = String::from_utf8_lossy(&crate::env::read_input(path)?).into_owned();
        config.waivers = waivers::parse(&text)?;
    }
    let Some(dir) = &args.policy else {
        return Ok((invariants::run(snapshot, &config), Vec::new()));
    };
    let (policies, mut errors) = rego::load_policies_lenient(&read_policies(dir)?);
    let (report, eval_errors) =
        invariants::run_with_policies(snapshot, &config, &policies, rego::Limits::default());
    errors.extend(eval_errors);
    Ok((report, errors))
}

/// What selects and adjusts the findings: shared by `check` and `compliance`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CheckOptions {
    /// Only this zone (by name); repeatable.
    #[arg(long = "zone", value_name = "NAME")]
    pub zones: Vec<String>,
    /// Load custom invariants from the `.rego` files in this directory.
    #[arg(long, value_name = "DIR")]
    pub policy: Option<PathBuf>,
    /// Waivers (JSON: [{check_id, resource, reason, expires}]).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Also report the WAF analysis (rule lint, managed rules, rate limits) and threat-class gaps.
    #[arg(long)]
    pub waf: bool,
}

fn read_policies(dir: &Path) -> Result<Vec<(String, String)>, CliError> {
    let io = |source| CliError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rego"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|source| CliError::Io {
                path: p.clone(),
                source,
            })?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}

fn color(args: &Args) -> bool {
    match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

fn emit(args: &Args, report: &Report, input: &Input) -> Result<(), CliError> {
    if args.format != Format::Text {
        if let Some(header) = &input.header {
            eprintln!("{header}");
        }
    }
    // JSON and SARIF stream into the output: a report of a large account is bigger than the
    // snapshot it came from, and holding it as one string would double the peak memory.
    let text = match args.format {
        Format::Json => return write_output(args, |out| report.write_json_pretty(out)),
        Format::Sarif => {
            let options = report::sarif::SarifOptions {
                tool_version: env!("CARGO_PKG_VERSION").to_owned(),
                information_uri: None,
                artifact_uri: input.artifact.clone(),
            };
            return write_output(args, |out| report::sarif::write(report, &options, out));
        }
        Format::Text => report::text::render(
            report,
            &report::text::TextOptions {
                color: color(args),
                verbose: args.verbose,
                header: input.header.clone(),
            },
        ),
        Format::Junit => report::junit::render(report, &report::junit::JunitOptions::default()),
        Format::Markdown => {
            report::markdown::render(report, &report::markdown::MarkdownOptions::default())
        }
        Format::Gitlab => report::gitlab::render(
            report,
            &report::gitlab::GitlabOptions {
                artifact_path: input.artifact.clone(),
            },
        ),
    };
    write_output(args, |out| out.write_all(text.as_bytes()))
}

/// Streams the output to `--output` (atomically) or standard output.
fn write_output(
    args: &Args,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    match &args.output {
        Some(path) => crate::output::write_atomic_with(path, write),
        None => crate::output::write_stdout_with(write),
    }
}

/// Loads a report, or runs the checks on a snapshot.
fn report_of(path: &Path, args: &Args) -> Result<Report, CliError> {
    let bytes = crate::env::read_input(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let is_snapshot = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("format")
                .and_then(|f| f.as_str())
                .map(|f| f.starts_with("cfcp.snapshot/"))
        })
        .unwrap_or(false);
    if is_snapshot {
        let snapshot = Snapshot::from_json_str(&text)?;
        return Ok(check(&snapshot, &args.options)?.0);
    }
    Ok(Report::from_json_str(&text)?)
}

fn diff(args: &Args, old: &Path, new: &Path) -> Outcome {
    let (old, new) = (report_of(old, args)?, report_of(new, args)?);
    let diff = report::diff::diff(&old, &new);
    let text = match args.format {
        Format::Json => report::diff::render_json(&diff),
        Format::Markdown => report::diff::render_markdown(&diff, 50),
        _ => report::diff::render_text(
            &diff,
            &report::diff::DiffTextOptions {
                color: color(args),
                verbose: args.verbose,
            },
        ),
    };
    match &args.output {
        Some(path) => crate::output::write_atomic(path, text.as_bytes())?,
        None => crate::output::write_stdout(text.as_bytes())?,
    }
    Ok(i32::from(diff.has_regressions()))
}
