//! `cfcp`: the command people and CI run.
//!
//! Front end only: parse arguments, read the environment, files and clock, call `cfcp` (core),
//! print. No logic of its own lives here.
//!
//! Exit codes: 0 success; 1 findings or a failure talking to Cloudflare; 2 bad usage or bad input.

mod commands;
mod env;
mod error;
mod output;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// cfcp: a Cloudflare control plane.
#[derive(Debug, Parser)]
#[command(name = "cfcp", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 success, 1 findings or failure, 2 bad usage or bad input.\n\
Credentials: CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY; CLOUDFLARE_BASE_URL overrides the API address."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Approve a plan cfcp-mcp made (a change Layer0 routes to a human), or list the plans.
    Approve(commands::approve::Args),
    /// Check a snapshot (or the live account, or the bundled demo) against the invariant catalog.
    Check(commands::check::Args),
    /// Per control of a compliance framework: status, evidence, and what the snapshot cannot show.
    Compliance(commands::compliance::Args),
    /// Where the account differs from its desired state (Terraform state or plan, or a snapshot).
    Drift(commands::drift::Args),
    /// Write an account (or zones) as Terraform code (provider v5) with import blocks.
    ExportTerraform(commands::export_terraform::Args),
    /// Layer0: classify and route agent requests, score the classifier, read shadow reports.
    #[command(subcommand)]
    Layer0(commands::layer0::Command),
    /// The audit trail: verify a log's hash chain and signed checkpoints.
    #[command(subcommand)]
    Log(commands::log::Command),
    /// Revert drift: plan (default) or apply the operations that restore the desired state.
    Remediate(commands::remediate::Args),
    /// Take a snapshot of the account(s) the token can see.
    Snapshot(commands::snapshot::Args),
    /// Show who the token is, what it can read and change, and which cfcp modes it suffices for.
    VerifyToken(commands::verify_token::Args),
    /// WAF intelligence: validate expressions, analyze rules, simulate requests, propose rules.
    #[command(subcommand)]
    Waf(commands::waf::Command),
    /// Watch the account: every interval snapshot, check, alert to a webhook, serve metrics.
    Watch(commands::watch::Args),
    /// Cloudflare Tunnel: route a hostname to a service (ingress + CNAME), unroute, rotate the secret.
    #[command(subcommand)]
    Tunnel(commands::tunnel::Command),
    /// Check that snapshot files are well formed; prints each error with its JSON path.
    Validate(commands::validate::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Approve(args) => commands::approve::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Compliance(args) => commands::compliance::run(args),
        Command::Drift(args) => commands::drift::run(args),
        Command::ExportTerraform(args) => commands::export_terraform::run(args),
        Command::Layer0(command) => commands::layer0::run(command),
        Command::Log(command) => commands::log::run(command),
        Command::Remediate(args) => commands::remediate::run(args),
        Command::Snapshot(args) => commands::snapshot::run(args),
        Command::Tunnel(command) => commands::tunnel::run(command),
        Command::VerifyToken(args) => commands::verify_token::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Waf(command) => commands::waf::run(command),
        Command::Watch(args) => commands::watch::run(args),
    };
    let code = match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
            err.exit_code()
        }
    };
    std::process::exit(code);
}

/// What a command returns on success: the process exit code (0, or 1 when it found problems).
type Outcome = Result<i32, CliError>;
