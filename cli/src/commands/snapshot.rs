//! `cfcp snapshot`: read the account(s) through the API and write a snapshot; or, with
//! `--from-terraform`, convert what Terraform says the account should be (a state, a plan, or a
//! directory of `.tf` files) into one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cfcp::api::{SnapshotProgress, SnapshotScope};
use cfcp::terraform::Desired;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::CliError;
use crate::Outcome;

/// Arguments of `cfcp snapshot`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Convert Terraform's desired state instead of reading the API (no token needed): a state
    /// file, `terraform show -json` of a state or plan, a `.tf` file, or a directory of `.tf` files
    /// (with its `terraform.tfvars` and `*.auto.tfvars`).
    #[arg(long, value_name = "STATE_OR_PLAN_JSON_OR_TF_DIR", conflicts_with_all = ["zones", "accounts"])]
    from_terraform: Option<PathBuf>,
    /// Only this zone (by name); repeatable. Default: every zone the token can see.
    #[arg(long = "zone", value_name = "NAME")]
    zones: Vec<String>,
    /// Only this account (by id); repeatable. Default: every account the token can see, or the
    /// accounts owning the named zones.
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// Write the snapshot here (atomically) instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Retries per request on 408/409/429/5xx and connection errors.
    #[arg(long, default_value_t = 4, value_name = "N")]
    max_retries: u32,
    /// Concurrent requests.
    #[arg(long, default_value_t = 8, value_name = "N")]
    concurrency: usize,
    /// Client-side rate limit as REQUESTS/SECONDS (Cloudflare's is 1200/300).
    #[arg(long, default_value = "1200/300", value_name = "N/SECS", value_parser = crate::env::parse_rate)]
    rate_limit: (u32, Duration),
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    timeout: u64,
}

/// Takes the snapshot; writes it only once complete.
pub fn run(args: Args) -> Outcome {
    if let Some(path) = &args.from_terraform {
        return from_terraform(path, args.output.as_deref());
    }
    let client = crate::env::client_builder()?
        .max_retries(args.max_retries)
        .concurrency(args.concurrency)
        .rate_limit(args.rate_limit.0, args.rate_limit.1)
        .timeout(Duration::from_secs(args.timeout))
        .build()?;
    let scope = SnapshotScope {
        zones: args.zones,
        accounts: args.accounts,
    };
    let progress = Progress::new();
    let runtime = crate::env::runtime()?;
    let result = runtime.block_on(client.snapshot(&scope, crate::env::now(), &progress));
    progress.finish();
    let snapshot = result?;

    let text = snapshot.to_json_pretty();
    match &args.output {
        Some(path) => crate::output::write_atomic(path, text.as_bytes())?,
        None => crate::output::write_stdout(text.as_bytes())?,
    }
    let s = snapshot.stats();
    eprintln!(
        "snapshot: {} zones, {} DNS records, {} rulesets ({} rules), {} tunnels, {} lists, {} requests ({} retries), {} gaps{}",
        s.zones,
        s.dns_records,
        s.rulesets,
        s.rules,
        s.tunnels,
        s.lists,
        client.requests_sent(),
        client.retries(),
        s.gaps,
        args.output.as_ref().map(|p| format!(" -> {}", p.display())).unwrap_or_default()
    );
    for gap in &snapshot.gaps {
        let place = gap
            .zone
            .as_deref()
            .or(gap.account.as_deref())
            .unwrap_or("account");
        eprintln!("gap: {place} {}: {}", gap.section, gap.reason);
    }
    Ok(0)
}

/// A progress bar on stderr; indicatif draws nothing when stderr is not a terminal.
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub(crate) fn new() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message("reading zones");
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl SnapshotProgress for Progress {
    fn zones_found(&self, count: usize) {
        self.bar.inc_length(count as u64);
    }
    fn accounts_found(&self, count: usize) {
        self.bar.inc_length(count as u64);
    }
    fn zone_done(&self, name: &str) {
        self.bar.set_message(name.to_owned());
        self.bar.inc(1);
    }
    fn account_done(&self, id: &str) {
        self.bar.set_message(format!("account {id}"));
        self.bar.inc(1);
    }
}

fn from_terraform(path: &Path, output: Option<&Path>) -> Outcome {
    let desired = load_terraform(path)?;
    let text = desired.snapshot.to_json_pretty();
    match output {
        Some(out) => crate::output::write_atomic(out, text.as_bytes())?,
        None => crate::output::write_stdout(text.as_bytes())?,
    }
    let s = desired.snapshot.stats();
    eprintln!(
        "snapshot from Terraform ({}): {} resources -> {} zones, {} DNS records, {} rulesets ({} rules), {} tunnels, {} lists, {} gaps{}",
        desired.snapshot.source.kind,
        desired.resources.len(),
        s.zones,
        s.dns_records,
        s.rulesets,
        s.rules,
        s.tunnels,
        s.lists,
        s.gaps,
        output.map(|p| format!(" -> {}", p.display())).unwrap_or_default()
    );
    print_terraform_remarks(&desired);
    Ok(0)
}

/// Reads Terraform's desired state: a directory or `.tf` file as HCL, anything else as JSON.
/// `taken_at` is now when the input does not say (a state has no date).
pub(crate) fn load_terraform(path: &Path) -> Result<Desired, CliError> {
    let io = |source| CliError::Io {
        path: path.to_owned(),
        source,
    };
    let mut desired = if path.is_dir() {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                name.ends_with(".tf")
                    || name == "terraform.tfvars"
                    || name.ends_with(".auto.tfvars")
            })
            .collect();
        paths.sort();
        if !paths
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "tf"))
        {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no .tf file in this directory; pass a state file, `terraform show -json` output, or a directory of .tf files",
            )));
        }
        cfcp::terraform::load_hcl(&read_texts(&paths)?)?
    } else if path.extension().is_some_and(|e| e == "tf") {
        cfcp::terraform::load_hcl(&read_texts(&[path.to_owned()])?)?
    } else {
        let bytes = crate::env::read_input(path)?;
        cfcp::terraform::load_json(&bytes, &path.display().to_string())?
    };
    if desired.snapshot.taken_at.to_datetime() == time::OffsetDateTime::UNIX_EPOCH {
        desired.snapshot.taken_at = crate::env::now();
    }
    Ok(desired)
}

fn read_texts(paths: &[PathBuf]) -> Result<Vec<(String, String)>, CliError> {
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|source| CliError::Io {
                path: p.clone(),
                source,
            })?;
            let name = p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Ok((name, text))
        })
        .collect()
}

/// What the conversion could not do, on stderr: unknown resources, unevaluated values, notes.
pub(crate) fn print_terraform_remarks(desired: &Desired) {
    for r in &desired.unknown_resources {
        eprintln!("unknown resource: {} ({})", r.address, r.why);
    }
    for u in &desired.unevaluated {
        let place = match (&u.file, u.line) {
            (Some(file), Some(line)) => format!(" [{file}:{line}]"),
            (Some(file), None) => format!(" [{file}]"),
            _ => String::new(),
        };
        eprintln!(
            "unevaluated: {} {}: {}{place}",
            u.address, u.attribute, u.why
        );
    }
    for r in &desired.planned_deletions {
        eprintln!("planned deletion: {}", r.address);
    }
    if desired.data_sources_skipped > 0 {
        eprintln!(
            "data sources skipped: {} (they describe nothing Terraform manages)",
            desired.data_sources_skipped
        );
    }
    for note in &desired.notes {
        eprintln!("note: {note}");
    }
}
