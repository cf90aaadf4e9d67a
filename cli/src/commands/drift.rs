//! `cfcp drift`: where the account differs from its desired state (a Terraform state or plan, or
//! a snapshot), with each difference's risk. Exit 0 no drift, 1 drift, 2 bad input.

use std::path::{Path, PathBuf};

use cfcp::drift::{self, Drift};
use cfcp::snapshot::Snapshot;

use crate::error::CliError;
use crate::Outcome;

/// Output formats of `cfcp drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a terminal, riskiest first.
    Text,
    /// The `cfcp.drift/v1` JSON contract.
    Json,
    /// A table for merge-request comments.
    Markdown,
}

/// Where the desired and the live state come from: shared by `drift` and `remediate`.
#[derive(Debug, Clone, clap::Args)]
pub struct Sides {
    /// The desired state: a Terraform state (format 4), `terraform show -json` of a state or a
    /// plan, a directory of `.tf` files, a services file (`tunnels:` hostname → service), or a
    /// cfcp snapshot.
    #[arg(long, value_name = "STATE_OR_PLAN_JSON")]
    pub desired: PathBuf,
    /// The live state as a snapshot file. Without it (or with --live) the account is read through
    /// the API (needs CLOUDFLARE_API_TOKEN), limited to the zones the desired state describes.
    #[arg(value_name = "SNAPSHOT", conflicts_with = "live")]
    pub snapshot: Option<PathBuf>,
    /// Read the live account through the API.
    #[arg(long)]
    pub live: bool,
}

/// Arguments of `cfcp drift`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    sides: Sides,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report here (atomically) instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// The desired state: a snapshot, with the Terraform addresses of its resources when it came
/// from Terraform.
pub(crate) struct DesiredState {
    pub snapshot: Snapshot,
    pub resources: Vec<cfcp::terraform::ResourceRef>,
}

/// What `--desired` names, before the live side is read: a services file (`tunnels:` hostname →
/// service) describes the account relative to what it is now, so it needs the live snapshot.
pub(crate) enum DesiredInput {
    /// A snapshot, or Terraform's view.
    Ready(Box<DesiredState>),
    /// A services file's text.
    Services(String),
}

impl DesiredInput {
    /// What to read live: the zones and accounts the desired state describes (`None`: all).
    pub(crate) fn scope(&self) -> Option<&Snapshot> {
        match self {
            DesiredInput::Ready(d) => Some(&d.snapshot),
            DesiredInput::Services(_) => None,
        }
    }

    /// The desired state, given the live one.
    pub(crate) fn resolve(self, live: &Snapshot) -> Result<DesiredState, CliError> {
        match self {
            DesiredInput::Ready(d) => Ok(*d),
            DesiredInput::Services(text) => Ok(DesiredState {
                snapshot: cfcp::tunnel::desired_from_services(live, &text)?,
                resources: Vec::new(),
            }),
        }
    }
}

/// Reads `--desired`: a cfcp snapshot, a services file, or whatever Terraform wrote (a state,
/// `terraform show -json` of a state or plan, or a directory of `.tf` files).
pub(crate) fn read_desired(path: &Path) -> Result<DesiredInput, CliError> {
    if !path.is_dir() {
        let bytes = crate::env::read_input(path)?;
        let is_snapshot = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_owned))
            .is_some_and(|f| f.starts_with("cfcp.snapshot/"));
        if is_snapshot {
            return Ok(DesiredInput::Ready(Box::new(DesiredState {
                snapshot: Snapshot::from_json_slice(&bytes)?,
                resources: Vec::new(),
            })));
        }
        let text = String::from_utf8_lossy(&bytes);
        if cfcp::tunnel::is_services_file(&text) {
            return Ok(DesiredInput::Services(text.into_owned()));
        }
    }
    let desired = crate::commands::snapshot::load_terraform(path)?;
    Ok(DesiredInput::Ready(Box::new(DesiredState {
        snapshot: desired.snapshot,
        resources: desired.resources,
    })))
}

/// Both sides: the desired state and the live one (a file, or the API limited to what the desired
/// state describes), with the client when the API was read.
pub(crate) fn load_sides(
    sides: &Sides,
) -> Result<(DesiredState, Snapshot, Option<cfcp::api::Client>), CliError> {
    let input = read_desired(&sides.desired)?;
    let (live, client) = match &sides.snapshot {
        Some(path) => (
            Snapshot::from_json_slice(&crate::env::read_input(path)?)?,
            None,
        ),
        None => {
            let client = crate::env::client_builder()?.build()?;
            let live = read_live(&client, input.scope())?;
            (live, Some(client))
        }
    };
    let desired = input.resolve(&live)?;
    Ok((desired, live, client))
}

/// Snapshots the zones and accounts `desired` describes (everything when `None`).
pub(crate) fn read_live(
    client: &cfcp::api::Client,
    desired: Option<&Snapshot>,
) -> Result<Snapshot, CliError> {
    let scope = cfcp::api::SnapshotScope {
        zones: Vec::new(),
        accounts: desired
            .map(|d| d.accounts.iter().map(|a| a.account.id.clone()).collect())
            .unwrap_or_default(),
    };
    let runtime = crate::env::runtime()?;
    // Reading a large account takes a while: a progress bar on a terminal, as `cfcp snapshot`.
    let progress = crate::commands::snapshot::Progress::new();
    let result = runtime.block_on(client.snapshot(&scope, crate::env::now(), &progress));
    progress.finish();
    let mut live = result?;
    // Terraform may know a zone only by id: keep the zones it describes, by id or name.
    if let Some(desired) = desired.filter(|d| !d.zones.is_empty()) {
        live.zones.retain(|z| {
            desired
                .zones
                .iter()
                .any(|d| d.zone.id == z.zone.id || d.zone.name.eq_ignore_ascii_case(&z.zone.name))
        });
    }
    Ok(live)
}

/// Runs `cfcp drift`.
pub fn run(args: Args) -> Outcome {
    let (desired, live, _) = load_sides(&args.sides)?;
    let drift = compute(&desired, &live);
    let text = render(&drift, args.format);
    match &args.output {
        Some(path) => crate::output::write_atomic(path, text.as_bytes())?,
        None => crate::output::write_stdout(text.as_bytes())?,
    }
    Ok(i32::from(!drift.is_empty()))
}

/// Diff, risk, and Terraform's names for the drifted resources.
pub(crate) fn compute(desired: &DesiredState, live: &Snapshot) -> Drift {
    let mut drift = drift::diff(&desired.snapshot, live);
    drift::assess(&mut drift, &desired.snapshot, live);
    drift::name_by_terraform(&mut drift, &desired.resources);
    drift
}

fn render(drift: &Drift, format: Format) -> String {
    match format {
        Format::Text => drift::render::text(drift),
        Format::Markdown => drift::render::markdown(drift),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(drift).unwrap_or_default();
            text.push('\n');
            text
        }
    }
}
