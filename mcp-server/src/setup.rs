//! Building the server from the command line, serving stdio, and `--self-test`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use cfcp::audit::{AuditLog, AuditOptions};
use cfcp::layer0::{Context, Layer0, Policy};
use cfcp::snapshot::Snapshot;
use rmcp::ServiceExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::catalog;
use crate::error::McpError;
use crate::gate::Gate;
use crate::http::{BearerToken, HttpOptions, RateLimit};
use crate::server::CfcpServer;
use crate::Args;

/// The variable holding the HTTP bearer token when no `--http-token-file` is given.
pub const HTTP_TOKEN_VAR: &str = "CFCP_MCP_HTTP_TOKEN";

fn read(path: &Path) -> Result<Vec<u8>, McpError> {
    std::fs::read(path).map_err(|source| McpError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The key file beside the log when none is given: `<log>.key`.
pub fn key_path(args: &Args) -> PathBuf {
    args.audit_key.clone().unwrap_or_else(|| {
        let mut name = args.audit_log.clone().into_os_string();
        name.push(".key");
        PathBuf::from(name)
    })
}

/// The gate the arguments describe.
pub fn build(args: &Args) -> Result<Gate, McpError> {
    let mut groups = Vec::new();
    for name in &args.tools {
        let group = catalog::group(name.trim()).ok_or_else(|| {
            McpError::Usage(format!(
                "--tools: unknown group {name:?} (cloudflare_safe, waf_intelligence, oracle_answer)"
            ))
        })?;
        groups.push(group);
    }
    let (mut snapshot, live) = match &args.snapshot {
        Some(path) => (Snapshot::from_json_slice(&read(path)?)?, None),
        None => {
            let (snapshot, live) = crate::backend::connect(args)?;
            (snapshot, Some(live))
        }
    };
    let zones: Vec<String> = if args.zones.is_empty() {
        snapshot.zones.iter().map(|z| z.zone.name.clone()).collect()
    } else {
        for zone in &args.zones {
            if snapshot.zone(zone).is_none() {
                return Err(McpError::Usage(format!(
                    "--zones: {zone:?} is not in the snapshot"
                )));
            }
        }
        args.zones.clone()
    };
    // The agent never sees a zone it may not touch, whatever Layer0 would say.
    snapshot
        .zones
        .retain(|z| zones.iter().any(|a| a.eq_ignore_ascii_case(&z.zone.name)));
    let policy = match &args.policy {
        Some(path) => Policy::from_cedar(
            &String::from_utf8_lossy(&read(path)?),
            &path.display().to_string(),
        )?,
        None => Policy::default_policy(),
    };
    let context = Context {
        zones_allowed: zones,
        account_id: snapshot.accounts.first().map(|a| a.account.id.clone()),
        scopes: args.scopes.clone(),
        ..Context::default()
    };
    let key = cfcp::audit::load_or_generate(&key_path(args))?;
    let log = AuditLog::open(
        &args.audit_log,
        key.key,
        AuditOptions {
            fsync_every: args.audit_fsync.fsync_every(),
            ..AuditOptions::default()
        },
        time::OffsetDateTime::now_utc(),
    )?;
    let gate = Gate::new(snapshot, Layer0::new(policy), context, groups, log)
        .sync_changes(args.audit_fsync == crate::gate::FsyncPolicy::Mutations);
    Ok(match live {
        Some(parts) => {
            let cut = (*gate.snapshot).clone();
            gate.with_live(parts.finish(cut))
        }
        None => gate,
    })
}

/// Serves MCP over stdin/stdout until the client goes away, then seals the audit log.
pub async fn serve_stdio(args: &Args) -> Result<ExitCode, McpError> {
    let gate = Arc::new(build(args)?);
    let server = CfcpServer::new(Arc::clone(&gate), gate.is_live());
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| McpError::Transport(e.to_string()))?;
    let quit = running.waiting().await;
    gate.close()?;
    quit.map_err(|e| McpError::Transport(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

/// The HTTP transport's options: the address, rate limit and origins from the flags, the
/// bearer token from `--http-token-file` or `CFCP_MCP_HTTP_TOKEN`.
pub fn http_options(args: &Args, bind: std::net::SocketAddr) -> Result<HttpOptions, McpError> {
    const NEED: &str = "--http needs a bearer token of its own: --http-token-file FILE or the CFCP_MCP_HTTP_TOKEN variable (generate one with `openssl rand -hex 32`; never reuse the Cloudflare token)";
    let text = match &args.http_token_file {
        Some(path) => String::from_utf8(read(path)?)
            .map_err(|_| McpError::Usage(format!("{}: not UTF-8 text", path.display())))?,
        None => std::env::var(HTTP_TOKEN_VAR).map_err(|_| McpError::Usage(NEED.into()))?,
    };
    let token = BearerToken::parse(&text).map_err(McpError::Usage)?;
    // No token passthrough: the agent's credential must never open the Cloudflare account.
    if std::env::var("CLOUDFLARE_API_TOKEN")
        .is_ok_and(|cf| token.accepts(Some(&format!("Bearer {}", cf.trim()))))
    {
        return Err(McpError::Usage(format!(
            "the HTTP bearer token is the Cloudflare API token; {NEED}"
        )));
    }
    Ok(HttpOptions {
        bind,
        token,
        allow_remote: args.http_allow_remote,
        allowed_origins: args.http_allow_origin.clone(),
        rate_limit: RateLimit::parse(&args.rate_limit).map_err(McpError::Usage)?,
    })
}

/// Serves MCP over streamable HTTP (one gate and audit writer for every session) until
/// SIGINT/SIGTERM, then seals the audit log.
pub async fn serve_http(args: &Args) -> Result<ExitCode, McpError> {
    let Some(bind) = args.http else {
        return serve_stdio(args).await;
    };
    let options = http_options(args, bind)?;
    let gate = Arc::new(build(args)?);
    crate::http::serve(gate, &options).await?;
    Ok(ExitCode::SUCCESS)
}

/// Starts the server on an in-process pipe, speaks MCP to it (initialize, tools/list, one
/// read call), checks the audit key and the log, prints a summary.
pub async fn self_test(args: &Args) -> Result<ExitCode, McpError> {
    let gate = Arc::new(build(args)?);
    let public = cfcp::audit::load_public_key(&cfcp::audit::public_key_path(&key_path(args)))?;
    let (client, server_side) = tokio::io::duplex(1 << 20);
    let server = CfcpServer::new(Arc::clone(&gate), gate.is_live());
    let expected_tools = server.tools().len();
    let handle = tokio::spawn(async move {
        match server.serve(server_side).await {
            Ok(running) => running
                .waiting()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    });
    let (read_half, mut write_half) = tokio::io::split(client);
    let mut lines = BufReader::new(read_half).lines();
    let ask = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "cfcp-mcp-self-test", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    ];
    let mut checks: Vec<(String, bool)> = Vec::new();
    let mut listed = 0;
    for message in ask {
        let text = format!("{message}\n");
        write_half
            .write_all(text.as_bytes())
            .await
            .map_err(|e| McpError::Transport(e.to_string()))?;
        if message.get("id").is_some() {
            let line = tokio::time::timeout(std::time::Duration::from_secs(10), lines.next_line())
                .await
                .map_err(|_| McpError::Transport("no answer within 10 s".into()))?
                .map_err(|e| McpError::Transport(e.to_string()))?
                .unwrap_or_default();
            let answer: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if let Some(tools) = answer["result"]["tools"].as_array() {
                listed = tools.len();
            } else {
                checks.push((
                    "initialize".into(),
                    answer["result"]["serverInfo"]["name"] == "cfcp-mcp",
                ));
            }
        }
    }
    checks.push((
        format!("tools/list: {listed} of {expected_tools} tools"),
        listed == expected_tools && listed > 0,
    ));
    // Both halves of the split pipe must go for the server to read end-of-file.
    drop(write_half);
    drop(lines);
    let stats = gate.snapshot.stats();
    checks.push((
        format!(
            "backend: {} with {} zones, {} DNS records",
            args.snapshot.as_ref().map_or_else(
                || "live account".to_owned(),
                |p| format!("snapshot {}", p.display())
            ),
            stats.zones,
            stats.dns_records
        ),
        stats.zones > 0,
    ));
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), handle).await;
    checks.push((
        "server stops when the client goes away".into(),
        matches!(stopped, Ok(Ok(Ok(())))),
    ));
    if let Some(zone) = gate.snapshot.zones.first().map(|z| z.zone.name.clone()) {
        let reply = gate.call(
            "dns_record_manage",
            json!({"action": "list", "zone": zone, "limit": 1}),
        )?;
        checks.push((
            format!("read call dns_record_manage list {zone} through Layer0 and the audit log"),
            !reply.is_error,
        ));
    }
    gate.close()?;
    let bytes = read(&args.audit_log)?;
    let report = cfcp::audit::verify(&bytes, Some(&public));
    checks.push((
        format!(
            "audit log {} verifies with key {}",
            args.audit_log.display(),
            key_path(args).display()
        ),
        report.ok,
    ));
    let ok = checks.iter().all(|(_, ok)| *ok);
    for (what, passed) in &checks {
        println!("{} {what}", if *passed { "ok  " } else { "FAIL" });
    }
    println!(
        "cfcp-mcp self-test: {}",
        if ok { "healthy" } else { "UNHEALTHY" }
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
