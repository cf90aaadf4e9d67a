//! `cfcp validate FILE...`: is this a well-formed snapshot?

use std::path::PathBuf;

use cfcp::snapshot::Snapshot;

use crate::error::CliError;
use crate::Outcome;

/// Arguments of `cfcp validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot files to check (`-` reads standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Checks every file; exit 2 when any is not a valid snapshot.
pub fn run(args: Args) -> Outcome {
    let mut bad = 0;
    for path in &args.files {
        match check(path) {
            Ok(snapshot) => {
                let s = snapshot.stats();
                println!(
                    "{}: ok ({}; {} accounts, {} zones, {} DNS records, {} rulesets, {} tunnels, {} lists, {} gaps)",
                    path.display(),
                    snapshot.format,
                    s.accounts,
                    s.zones,
                    s.dns_records,
                    s.rulesets,
                    s.tunnels,
                    s.lists,
                    s.gaps
                );
            }
            Err(err) => {
                bad += 1;
                println!("{}: error: {err}", path.display());
            }
        }
    }
    Ok(if bad == 0 { 0 } else { 2 })
}

fn check(path: &std::path::Path) -> Result<Snapshot, CliError> {
    let bytes = crate::env::read_input(path)?;
    Ok(Snapshot::from_json_slice(&bytes)?)
}
