//! `cfcp export-terraform [SNAPSHOT] -o DIR`: an account (or some zones) as Terraform code for
//! the cloudflare provider v5, with `import {}` blocks, so `terraform plan` takes it over without
//! changes. Without SNAPSHOT: the live account when a token is set, else the bundled demo.

use std::path::{Path, PathBuf};

use cfcp::export::{self, Export, ExportOptions};

use crate::Outcome;

/// Arguments of `cfcp export-terraform`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot to export. Without it: the live account (with a token), else the demo.
    #[arg(value_name = "SNAPSHOT", conflicts_with = "live")]
    snapshot: Option<PathBuf>,
    /// Read the live account through the API.
    #[arg(long)]
    live: bool,
    /// Directory to write the .tf files into (created if missing).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Only this zone (by name); repeatable.
    #[arg(long = "zone", value_name = "NAME")]
    zones: Vec<String>,
    /// Leave out the account resources (tunnels, lists).
    #[arg(long)]
    skip_accounts: bool,
}

/// Writes every file of `export` into `dir` (atomically each) and prints a summary.
pub(crate) fn write(export: &Export, dir: &Path) -> Result<(), crate::error::CliError> {
    std::fs::create_dir_all(dir).map_err(|source| crate::error::CliError::Io {
        path: dir.to_owned(),
        source,
    })?;
    for file in &export.files {
        crate::output::write_atomic(&dir.join(&file.name), file.text.as_bytes())?;
    }
    eprintln!(
        "wrote {} resources ({} import blocks) in {} files to {}",
        export.resources.len(),
        export
            .files
            .iter()
            .find(|f| f.name == "imports.tf")
            .map_or(0, |f| f.text.matches("import {").count()),
        export.files.len(),
        dir.display()
    );
    for s in &export.skipped {
        eprintln!("  skipped {}: {}", s.what, s.why);
    }
    Ok(())
}

/// Runs `cfcp export-terraform`.
pub fn run(args: Args) -> Outcome {
    let input =
        crate::commands::check::load_input(args.snapshot.as_deref(), args.live, &args.zones)?;
    if let Some(header) = &input.header {
        eprintln!("{header}");
    }
    let options = ExportOptions {
        zones: args.zones.clone(),
        skip_accounts: args.skip_accounts,
    };
    let out = export::export(&input.snapshot, &options);
    write(&out, &args.output)?;
    eprintln!(
        "next: terraform init && terraform plan (the imports make it a no-op when nothing drifted)"
    );
    Ok(0)
}
