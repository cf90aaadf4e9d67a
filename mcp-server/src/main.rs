//! `cfcp-mcp`: cfcp's MCP server. Every tool call is classified and routed by Layer0 and
//! logged to the audit trail before it runs; see the README for client configuration.

mod approval;
mod backend;
mod catalog;
mod elicit;
mod error;
mod gate;
mod http;
mod plans;
mod server;
mod setup;

use std::process::ExitCode;

use clap::Parser;

/// cfcp's MCP server (stdio, or streamable HTTP with `--http`): Cloudflare DNS, WAF, tunnels and security analysis for agents,
/// every call through Layer0 and the audit trail.
#[derive(Debug, Parser)]
#[command(name = "cfcp-mcp", version)]
pub struct Args {
    /// Serve this snapshot file (offline backend: reads answer, changes are refused). Without
    /// it the backend is the live account of CLOUDFLARE_API_TOKEN (and CLOUDFLARE_BASE_URL,
    /// CLOUDFLARE_ACCOUNT_ID).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<std::path::PathBuf>,
    /// Where plans (and `cfcp approve`'s approvals) are kept; default: `<audit log>.plans/`.
    #[arg(long, value_name = "DIR")]
    pub plans_dir: Option<std::path::PathBuf>,
    /// How long a plan stays executable, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub plan_ttl: u32,
    /// Tool groups to serve (comma-separated): cloudflare_safe, waf_intelligence, oracle_answer.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "cloudflare_safe,waf_intelligence,oracle_answer"
    )]
    pub tools: Vec<String>,
    /// Zones the agent may touch (comma-separated); default: every zone of the snapshot.
    #[arg(long, value_delimiter = ',', value_name = "ZONES")]
    pub zones: Vec<String>,
    /// The token scopes Layer0 assumes (comma-separated); default: read scopes only.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "dns:read,waf:read,tunnel:read,analytics:read,zone:read"
    )]
    pub scopes: Vec<String>,
    /// The audit log (JSON lines, hash-chained, signed checkpoints).
    #[arg(long, value_name = "FILE", default_value = "cfcp-mcp-audit.jsonl")]
    pub audit_log: std::path::PathBuf,
    /// When the audit log is fsynced: `every` line (default), `mutations` (before and after a
    /// call that changes the account, and at checkpoints: reads are batched), or every N lines.
    #[arg(long, value_name = "every|mutations|N", default_value = "every", value_parser = gate::FsyncPolicy::parse)]
    pub audit_fsync: gate::FsyncPolicy,
    /// The audit signing key (generated with mode 0600 when absent); default: beside the log.
    #[arg(long, value_name = "FILE")]
    pub audit_key: Option<std::path::PathBuf>,
    /// A Cedar policy replacing Layer0's default routing policy.
    #[arg(long, value_name = "FILE.cedar")]
    pub policy: Option<std::path::PathBuf>,
    /// Start the server in-process, list its tools, check the backend and the audit key, print
    /// a summary and exit 0 (healthy) or 1.
    #[arg(long)]
    pub self_test: bool,
    /// Serve MCP over streamable HTTP at this address (path /mcp) instead of stdio; needs a
    /// bearer token (--http-token-file or CFCP_MCP_HTTP_TOKEN). Port 0 picks a free port.
    #[arg(long, value_name = "ADDR:PORT")]
    pub http: Option<std::net::SocketAddr>,
    /// The file holding the HTTP bearer token (the server's own, never the Cloudflare token);
    /// otherwise the CFCP_MCP_HTTP_TOKEN variable.
    #[arg(long, value_name = "FILE")]
    pub http_token_file: Option<std::path::PathBuf>,
    /// Listen on a non-loopback address and accept any Host header (DNS-rebinding checks of
    /// Host are then off; Origin is still checked).
    #[arg(long)]
    pub http_allow_remote: bool,
    /// Browser origins accepted besides loopback ones (comma-separated, e.g. https://app.example.com).
    #[arg(long, value_delimiter = ',', value_name = "ORIGINS")]
    pub http_allow_origin: Vec<String>,
    /// Requests per second per HTTP client (token + address): N/s (burst 2N) or N/s:BURST.
    #[arg(long, value_name = "N/s", default_value = "20/s")]
    pub rate_limit: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cfcp-mcp: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        if args.self_test {
            setup::self_test(&args).await
        } else if args.http.is_some() {
            setup::serve_http(&args).await
        } else {
            setup::serve_stdio(&args).await
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cfcp-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}
