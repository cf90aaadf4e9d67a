//! `fake-cloudflare`: serve a fake Cloudflare API seeded from a cfcp snapshot.
//!
//! The first line on stdout is always `fake-cloudflare listening on http://127.0.0.1:PORT/client/v4`;
//! requests are logged to stderr (credentials only as `token#N`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use fake_cloudflare::{
    ApiKeySpec, FakeCloudflare, FakeConfig, Faults, RateLimit, TokenSpec, TruncateMode,
};

/// Serve a stateful fake of the Cloudflare API v4 on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "fake-cloudflare", version)]
struct Args {
    /// Seed snapshot (cfcp.snapshot/v1 JSON). Without it: a synthetic account (see --synthetic).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Without --snapshot: ZONES,RECORDS of a synthetic account (default 3,20).
    #[arg(long, value_name = "ZONES,RECORDS")]
    synthetic: Option<String>,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// A bearer token: VALUE=Perm1,Perm2 or VALUE=all (repeatable). Default: fake-token=all.
    #[arg(long = "token", value_name = "VALUE=PERMS")]
    tokens: Vec<String>,
    /// An X-Auth-Email/X-Auth-Key pair with every permission: EMAIL:KEY (repeatable).
    #[arg(long = "api-key", value_name = "EMAIL:KEY")]
    api_keys: Vec<String>,
    /// Enforce N requests per SECS seconds across all credentials (429 beyond), e.g. 1200/300.
    #[arg(long, value_name = "N/SECS")]
    rate_limit: Option<String>,
    /// Requests after the Nth get 429 (Retry-After: 1) for --429-for requests.
    #[arg(long = "429-after", value_name = "N")]
    too_many_after: Option<u64>,
    /// How many requests --429-after answers with 429.
    #[arg(long = "429-for", value_name = "M", default_value_t = 1)]
    too_many_for: u64,
    /// Each request gets 429 with probability P (seeded by --seed).
    #[arg(long = "429-rate", value_name = "P")]
    too_many_rate: Option<f64>,
    /// Seed of the random faults and of --synthetic.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Every Nth request gets a 5xx (500, 502, 503 in turn).
    #[arg(long, value_name = "N")]
    fail_every: Option<u64>,
    /// Sleep this many milliseconds before every answer.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Every Nth response body is cut in half.
    #[arg(long, value_name = "N")]
    truncate_every: Option<u64>,
    /// How --truncate-every cuts: close (full Content-Length, connection closed mid-body) or
    /// short (a complete response of half the JSON).
    #[arg(long, value_name = "MODE", default_value = "close")]
    truncate_mode: String,
    /// Every Nth request's connection is reset without a response.
    #[arg(long, value_name = "N")]
    reset_every: Option<u64>,
    /// Log no requests to stderr.
    #[arg(long)]
    quiet: bool,
}

fn config(args: &Args) -> Result<FakeConfig, String> {
    let seed = match (&args.snapshot, &args.synthetic) {
        (Some(path), _) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            cfcp::snapshot::Snapshot::from_json_str(&text)
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
        (None, spec) => {
            let spec = spec.as_deref().unwrap_or("3,20");
            let (z, r) = spec
                .split_once(',')
                .ok_or("--synthetic expects ZONES,RECORDS")?;
            let z = z
                .trim()
                .parse()
                .map_err(|_| "--synthetic: bad zone count")?;
            let r = r
                .trim()
                .parse()
                .map_err(|_| "--synthetic: bad record count")?;
            fake_cloudflare::synthetic::account(z, r, args.seed)
        }
    };
    let mut cfg = FakeConfig::new(seed);
    cfg.port = args.port;
    cfg.log_to_stderr = !args.quiet;
    for t in &args.tokens {
        cfg.tokens
            .push(TokenSpec::parse(t).map_err(|e| format!("--token: {e}"))?);
    }
    for k in &args.api_keys {
        cfg.api_keys
            .push(ApiKeySpec::parse(k).map_err(|e| format!("--api-key: {e}"))?);
    }
    if let Some(r) = &args.rate_limit {
        cfg.rate_limit = Some(RateLimit::parse(r).map_err(|e| format!("--rate-limit: {e}"))?);
    }
    if let Some(p) = args.too_many_rate {
        if !(0.0..=1.0).contains(&p) {
            return Err("--429-rate must be between 0 and 1".into());
        }
    }
    let truncate_mode = match args.truncate_mode.as_str() {
        "close" => TruncateMode::CloseMidBody,
        "short" => TruncateMode::ShortBody,
        other => {
            return Err(format!(
                "--truncate-mode: expected close or short, got {other:?}"
            ))
        }
    };
    for (flag, v) in [
        ("--fail-every", args.fail_every),
        ("--truncate-every", args.truncate_every),
        ("--reset-every", args.reset_every),
    ] {
        if v == Some(0) {
            return Err(format!("{flag} must be at least 1"));
        }
    }
    cfg.faults = Faults {
        latency: Duration::from_millis(args.latency_ms),
        fail_every: args.fail_every,
        too_many_after: args.too_many_after,
        too_many_for: args.too_many_for,
        too_many_rate: args.too_many_rate,
        seed: args.seed,
        truncate_every: args.truncate_every,
        truncate_mode,
        reset_every: args.reset_every,
        fail_writes_after: None,
    };
    Ok(cfg)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fake-cloudflare: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fake-cloudflare: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let handle = match FakeCloudflare::start(cfg).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("fake-cloudflare: cannot listen: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "fake-cloudflare listening on {}", handle.base_url());
        let _ = out.flush();
        drop(out);
        let _ = tokio::signal::ctrl_c().await;
        eprintln!(
            "fake-cloudflare: {} requests served; stopping",
            handle.request_count()
        );
        handle.shutdown();
        ExitCode::SUCCESS
    })
}
