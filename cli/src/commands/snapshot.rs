//! `cfcp snapshot`: read the account(s) through the API and write a snapshot.

use std::path::PathBuf;
use std::time::Duration;

use cfcp::api::{SnapshotProgress, SnapshotScope};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Outcome;

/// Arguments of `cfcp snapshot`.
#[derive(Debug, clap::Args)]
pub struct Args {
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
struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new() -> Self {
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

    fn finish(&self) {
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
