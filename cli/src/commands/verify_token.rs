//! `cfcp verify-token`: who the token is, what it can read and change, which modes it suffices for.

use cfcp::api::TokenReport;
use cfcp::permissions::{Knowledge, Mode};

use crate::Outcome;

/// Arguments of `cfcp verify-token`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The token is owned by this account (account API token) rather than a user.
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// The modes you mean to use the token for; warnings then flag anything beyond them.
    /// Repeatable: read-only-checks, manage-dns, manage-waf, manage-tunnels.
    #[arg(long = "mode", value_name = "MODE", value_parser = parse_mode)]
    modes: Vec<Mode>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::ALL
        .iter()
        .copied()
        .find(|m| m.as_str().replace(' ', "-").eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            let names: Vec<String> = Mode::ALL
                .iter()
                .map(|m| m.as_str().replace(' ', "-"))
                .collect();
            format!("unknown mode {text:?}; one of {}", names.join(", "))
        })
}

/// Exit 0 when the token is active (and suffices for the modes asked for), 1 otherwise.
pub fn run(args: Args) -> Outcome {
    let client = crate::env::client_builder()?.build()?;
    let runtime = crate::env::runtime()?;
    let report = runtime.block_on(client.verify_token(args.account.as_deref(), &args.modes))?;
    if args.json {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        crate::output::write_stdout(format!("{text}\n").as_bytes())?;
    } else {
        print_report(&report);
    }
    let active = report.status.as_deref() == Some("active");
    let sufficient = args.modes.iter().all(|m| report.analysis.suffices_for(*m));
    Ok(if active && sufficient { 0 } else { 1 })
}

fn knowledge(k: &Knowledge) -> &'static str {
    match k {
        Knowledge::Yes => "yes",
        Knowledge::No => "no",
        Knowledge::Unknown => "unknown",
    }
}

fn print_report(report: &TokenReport) {
    println!(
        "token:    {}{}",
        report.id,
        report
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    println!(
        "status:   {}",
        report.status.as_deref().unwrap_or("unknown")
    );
    if let Some(expires) = &report.expires_on {
        println!("expires:  {expires}");
    }
    if let Some(err) = &report.details_error {
        println!("details:  {err}");
    }
    if !report.analysis.granted.is_empty() {
        println!("grants:   {}", report.analysis.granted.join(", "));
    }
    println!("\nsection                read     change");
    for s in &report.analysis.sections {
        println!(
            "{:<22} {:<8} {:<8}{}",
            s.section.to_string(),
            knowledge(&s.read),
            knowledge(&s.write),
            s.detail
                .as_deref()
                .map(|d| format!(" {d}"))
                .unwrap_or_default()
        );
    }
    println!("\nmodes");
    for m in &report.analysis.modes {
        let missing = if m.missing.is_empty() {
            String::new()
        } else {
            format!(" (missing: {})", m.missing.join(", "))
        };
        println!(
            "  {:<18} {}{missing}",
            m.mode.as_str(),
            knowledge(&m.sufficient)
        );
    }
    if !report.analysis.warnings.is_empty() {
        println!("\nleast-privilege warnings");
        for w in &report.analysis.warnings {
            println!("  - {w}");
        }
    }
}
