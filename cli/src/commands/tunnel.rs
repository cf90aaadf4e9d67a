//! `cfcp tunnel route | unroute | rotate`: a public hostname routed through a Cloudflare Tunnel
//! (ingress rule + proxied CNAME), the inverse, and a tunnel-secret rotation.
//!
//! Dry run by default: the account is read, `cfcp::tunnel` plans the operations and Layer0
//! routes the plan (a tunnel ingress change needs approval; a hostname outside `--zone` is
//! blocked), and the plan is printed. With `--apply`:
//! 1. a blocked plan is refused before anything is sent;
//! 2. an approve route needs `--yes` or a `y` on a terminal (rotation always does); the approval,
//!    or its refusal, is written to the audit trail;
//! 3. each operation is logged (decision, synced) before it is sent and (outcome) after; the
//!    first failure stops the run and the report says what applied and how to undo it;
//! 4. `route` then polls the tunnel's connections until healthy or `--wait` runs out.
//!
//! `rotate` prints the new connector token once, to the terminal only (`--show-token` to print
//! it to a pipe or file anyway); the secret and the token never reach the audit trail, logs or
//! errors.
//!
//! Exit codes: 0 done (or planned), 1 refused, declined, failed or unhealthy, 2 bad input.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use cfcp::audit::{AuditLog, AuditOptions, Decision, Record};
use cfcp::layer0::{Context, Layer0};
use cfcp::snapshot::Snapshot;
use cfcp::tunnel::{self, RouteRequest, TunnelPlan, TunnelSecret, UnrouteRequest};
use serde_json::{json, Value};

use crate::error::CliError;
use crate::Outcome;

/// `cfcp tunnel` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Route a public hostname to a service through a tunnel: ingress rule + proxied CNAME.
    Route(RouteArgs),
    /// Remove a hostname's route from a tunnel, and its CNAME when it points at the tunnel.
    Unroute(UnrouteArgs),
    /// Replace a tunnel's secret and print the new connector token once (approval required).
    Rotate(RotateArgs),
}

/// What every changing subcommand shares.
#[derive(Debug, clap::Args)]
pub struct Apply {
    /// Send the operations (default: print the plan only).
    #[arg(long)]
    apply: bool,
    /// Approve without being asked when Layer0 routes the plan to a human (audited).
    #[arg(long)]
    yes: bool,
    /// The audit trail of the run (a signing key is kept beside it as FILE.key).
    #[arg(long, value_name = "FILE", default_value = "cfcp-tunnel-audit.jsonl")]
    audit_log: PathBuf,
}

/// Arguments of `cfcp tunnel route`.
#[derive(Debug, clap::Args)]
pub struct RouteArgs {
    /// The tunnel's name or UUID.
    #[arg(long, value_name = "NAME_OR_ID")]
    tunnel: String,
    /// The public hostname (`app.example.com`, `*.example.com`).
    #[arg(long, value_name = "HOST")]
    hostname: String,
    /// The origin service: http(s)://host[:port], tcp://, ssh://, rdp://, unix:/path,
    /// http_status:NNN, hello_world, bastion.
    #[arg(long, value_name = "URL")]
    service: String,
    /// Only requests whose path matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    path: Option<String>,
    /// Delete the hostname's A/AAAA records so the CNAME can be created (needs approval).
    #[arg(long)]
    replace_address_records: bool,
    /// After applying, wait this long for the tunnel's connections to be healthy (0s: don't).
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = cfcp::watch::parse_duration)]
    wait: Duration,
    /// Zones that may be changed (repeatable; default: every zone).
    #[arg(long = "zone", value_name = "NAME")]
    zones: Vec<String>,
    #[command(flatten)]
    apply: Apply,
}

/// Arguments of `cfcp tunnel unroute`.
#[derive(Debug, clap::Args)]
pub struct UnrouteArgs {
    /// The tunnel's name or UUID.
    #[arg(long, value_name = "NAME_OR_ID")]
    tunnel: String,
    /// The public hostname.
    #[arg(long, value_name = "HOST")]
    hostname: String,
    /// The rule's path regex, when it has one.
    #[arg(long, value_name = "REGEX")]
    path: Option<String>,
    /// Zones that may be changed (repeatable; default: every zone).
    #[arg(long = "zone", value_name = "NAME")]
    zones: Vec<String>,
    #[command(flatten)]
    apply: Apply,
}

/// Arguments of `cfcp tunnel rotate`.
#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    /// The tunnel's name or UUID.
    #[arg(value_name = "NAME_OR_ID")]
    tunnel: String,
    /// Print the new token even when standard output is not a terminal.
    #[arg(long)]
    show_token: bool,
    #[command(flatten)]
    apply: Apply,
}

/// Runs `cfcp tunnel …`.
pub fn run(command: Command) -> Outcome {
    let client = crate::env::client_builder()?.build()?;
    let runtime = crate::env::runtime()?;
    let snapshot = runtime.block_on(client.snapshot(
        &cfcp::api::SnapshotScope::all(),
        crate::env::now(),
        &cfcp::api::NoProgress,
    ))?;
    let layer0 = Layer0::default();
    match command {
        Command::Route(args) => {
            let request = RouteRequest {
                tunnel: args.tunnel,
                hostname: args.hostname,
                service: args.service,
                path: args.path,
                replace_address_records: args.replace_address_records,
            };
            let plan = tunnel::plan_route(&snapshot, &request)?;
            let ctx = context(&args.zones);
            let code = plan_and_apply(&client, &runtime, plan, &layer0, ctx, &args.apply)?;
            if code != 0 || !args.apply.apply || args.wait.is_zero() {
                return Ok(code);
            }
            let id = tunnel_id(&snapshot, &request.tunnel);
            runtime.block_on(wait_healthy(&client, &id, args.wait))
        }
        Command::Unroute(args) => {
            let request = UnrouteRequest {
                tunnel: args.tunnel,
                hostname: args.hostname,
                path: args.path,
            };
            let plan = tunnel::plan_unroute(&snapshot, &request)?;
            plan_and_apply(
                &client,
                &runtime,
                plan,
                &layer0,
                context(&args.zones),
                &args.apply,
            )
        }
        Command::Rotate(args) => rotate(&client, &runtime, &snapshot, &layer0, args),
    }
}

fn context(zones: &[String]) -> Context {
    Context {
        zones_allowed: if zones.is_empty() {
            vec!["*".into()]
        } else {
            zones.to_vec()
        },
        ..Context::default()
    }
}

/// (account, tunnel id) of the tunnel the request named (the plan found it, so it exists).
fn tunnel_id(snapshot: &Snapshot, name_or_id: &str) -> (String, String) {
    snapshot
        .accounts
        .iter()
        .flat_map(|a| a.tunnels.iter().map(move |t| (a, t)))
        .find(|(_, t)| {
            !t.tunnel.is_deleted()
                && (t.tunnel.id.eq_ignore_ascii_case(name_or_id)
                    || t.tunnel.name.as_deref() == Some(name_or_id))
        })
        .map(|(a, t)| (a.account.id.clone(), t.tunnel.id.clone()))
        .unwrap_or_default()
}

fn print_plan(plan: &TunnelPlan) {
    let what = match (&plan.hostname, &plan.path) {
        (Some(h), Some(p)) => format!("{} {h} (path {p:?})", plan.action),
        (Some(h), None) => format!("{} {h}", plan.action),
        _ => plan.action.clone(),
    };
    println!(
        "Tunnel plan: {what} via tunnel {} ({}): {} operation(s), Layer0 route: {}",
        plan.tunnel_name,
        plan.tunnel_id,
        plan.operations.len(),
        plan.routing.route
    );
    for (n, op) in plan.operations.iter().enumerate() {
        println!("{:>3}. {} {}  {}", n + 1, op.method, op.path, op.summary);
    }
    if !plan.routing.flags.is_empty() {
        println!(
            "     flags: {} ({})",
            plan.routing.flags.join(", "),
            plan.routing.reasons.join(", ")
        );
    }
    if plan.action != "rotate" && !plan.ingress.is_empty() {
        println!("Ingress after the change:");
        for (n, r) in plan.ingress.iter().enumerate() {
            let host = r.hostname.as_deref().unwrap_or("*");
            let path = r
                .path
                .as_deref()
                .map(|p| format!(" path {p:?}"))
                .unwrap_or_default();
            println!(
                "{:>3}. {host}{path} → {}",
                n + 1,
                r.service.as_deref().unwrap_or("?")
            );
        }
    }
    for note in &plan.notes {
        println!("note: {note}");
    }
}

fn open_log(path: &Path) -> Result<AuditLog, CliError> {
    let mut key_path = path.to_path_buf().into_os_string();
    key_path.push(".key");
    let key = cfcp::audit::load_or_generate(Path::new(&key_path))?;
    Ok(AuditLog::open(
        path,
        key.key,
        AuditOptions::default(),
        time::OffsetDateTime::now_utc(),
    )?)
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> CliError {
    move |source| CliError::Io {
        path: PathBuf::from(what),
        source,
    }
}

/// A human's yes: `--yes`, or `y` typed on a terminal. Without a terminal it is a no.
fn ask(plan: &TunnelPlan, yes: bool) -> Result<bool, CliError> {
    println!(
        "This needs approval: {} ({})",
        plan.operations
            .iter()
            .map(|o| o.summary.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        plan.routing.flags.join(", ")
    );
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("error: not a terminal: pass --yes to approve without being asked");
        return Ok(false);
    }
    print!("Approve? [y/N] ");
    std::io::stdout().flush().map_err(io("<stdout>"))?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(io("<stdin>"))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
}

fn approver(yes: bool) -> Value {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    json!({"by": who, "via": if yes { "cfcp tunnel --yes" } else { "terminal" }})
}

/// Refuses blocked plans, gets approval (always for rotation), re-routes as approved. Returns
/// the approver, or `None` when the plan must not run (the reason is printed and, for a
/// declined approval, audited).
fn clear(
    plan: &mut TunnelPlan,
    layer0: &Layer0,
    mut ctx: Context,
    apply: &Apply,
    log: &AuditLog,
) -> Result<Option<Value>, CliError> {
    if plan.routing.route == "block" {
        eprintln!(
            "refused: Layer0 blocks this plan ({}); nothing was sent",
            plan.routing.reasons.join(", ")
        );
        log.append(
            time::OffsetDateTime::now_utc(),
            other("tunnel_blocked", plan),
        )?;
        return Ok(None);
    }
    let mut approver_value = Value::Null;
    if plan.routing.route == "approve" || plan.action == "rotate" {
        if !ask(plan, apply.yes)? {
            log.append(
                time::OffsetDateTime::now_utc(),
                other("approval_refused", plan),
            )?;
            println!("not approved: nothing was changed");
            return Ok(None);
        }
        approver_value = approver(apply.yes);
        ctx.approved = true;
        tunnel::route(plan, layer0, &ctx);
        if plan.routing.route != "allow" {
            eprintln!(
                "refused: Layer0 routes the approved plan to {} ({})",
                plan.routing.route,
                plan.routing.reasons.join(", ")
            );
            return Ok(None);
        }
    }
    Ok(Some(approver_value))
}

fn other(kind: &str, plan: &TunnelPlan) -> Record {
    Record::Other {
        kind: kind.into(),
        fields: json!({
            "action": plan.action,
            "tunnel": plan.tunnel_id,
            "hostname": plan.hostname,
            "operations": plan.operations.iter().map(|o| o.summary.clone()).collect::<Vec<_>>(),
            "route": plan.routing.route,
            "flags": plan.routing.flags,
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    }
}

fn decision(plan: &TunnelPlan, n: usize, approver: &Value) -> Decision {
    let op = &plan.operations[n];
    Decision {
        request: json!({
            "kind": format!("tunnel_{}", plan.action),
            "tunnel": plan.tunnel_id,
            "hostname": plan.hostname,
            "method": op.method,
            "path": op.path,
            "body": op.body,
            "summary": op.summary,
        }),
        classification: json!({"flags": plan.routing.flags}),
        route: json!({"route": plan.routing.route, "reasons": plan.routing.reasons}),
        approver: approver.clone(),
    }
}

fn plan_and_apply(
    client: &cfcp::api::Client,
    runtime: &tokio::runtime::Runtime,
    mut plan: TunnelPlan,
    layer0: &Layer0,
    ctx: Context,
    apply: &Apply,
) -> Outcome {
    tunnel::route(&mut plan, layer0, &ctx);
    print_plan(&plan);
    if plan.operations.is_empty() {
        println!("Nothing to do: the account is already as asked.");
        return Ok(0);
    }
    if !apply.apply {
        let blocked = plan.routing.route == "block";
        eprintln!("dry run: nothing was changed; pass --apply to send these operations");
        return Ok(i32::from(blocked));
    }
    let log = open_log(&apply.audit_log)?;
    let Some(approver) = clear(&mut plan, layer0, ctx, apply, &log)? else {
        log.close(time::OffsetDateTime::now_utc())?;
        return Ok(1);
    };
    let total = plan.operations.len();
    let mut failed = None;
    for n in 0..total {
        let receipt = log.decision(
            time::OffsetDateTime::now_utc(),
            decision(&plan, n, &approver),
        )?;
        // Synced before the request goes out: the trail must show the decision even if we crash.
        log.sync()?;
        let result = runtime.block_on(client.execute_operation(&plan.operations[n]));
        let outcome = match &result {
            Ok(_) => json!({"status": "applied"}),
            Err(e) => {
                json!({"status": "failed", "http_status": e.http_status(), "error": e.to_string()})
            }
        };
        log.outcome(time::OffsetDateTime::now_utc(), receipt.seq, outcome)?;
        log.sync()?;
        match result {
            Ok(_) => eprintln!(
                "[{}/{total}] applied: {}",
                n + 1,
                plan.operations[n].summary
            ),
            Err(e) => {
                eprintln!(
                    "[{}/{total}] FAILED: {}: {e}",
                    n + 1,
                    plan.operations[n].summary
                );
                failed = Some(n);
                break;
            }
        }
    }
    log.close(time::OffsetDateTime::now_utc())?;
    if let Some(n) = failed {
        for later in &plan.operations[n + 1..] {
            eprintln!("  not attempted: {}", later.summary);
        }
        if n > 0 {
            eprintln!("applied {n} of {total} operations; to undo them:");
            for line in plan.undo(n) {
                eprintln!("  {line}");
            }
            eprintln!("or run the same command again: it plans from what the account is now and finishes the job");
        } else {
            eprintln!("nothing was applied");
        }
        return Ok(1);
    }
    println!(
        "applied {total} operation(s); audit trail: {}",
        apply.audit_log.display()
    );
    Ok(0)
}

/// Polls the tunnel's connections every second until healthy or `wait` has passed.
async fn wait_healthy(
    client: &cfcp::api::Client,
    (account, tunnel_id): &(String, String),
    wait: Duration,
) -> Outcome {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let health = match client.tunnel_connections(account, tunnel_id).await {
            Ok(connectors) => Some(tunnel::connection_health(&connectors)),
            Err(e) => {
                eprintln!("reading the tunnel's connections: {e}");
                None
            }
        };
        if let Some(h) = health.filter(|h| h.is_healthy()) {
            println!(
                "tunnel healthy: {} connector(s), {} connection(s) up",
                h.connectors, h.active
            );
            return Ok(0);
        }
        if tokio::time::Instant::now() >= deadline {
            let h = health.unwrap_or(tunnel::ConnectionHealth {
                connectors: 0,
                active: 0,
                pending_reconnect: 0,
            });
            println!(
                "tunnel not healthy after {}s: {} connector(s), {} connection(s) up, {} reconnecting; the route is in place: start cloudflared (cloudflared tunnel run) and check its logs",
                wait.as_secs(),
                h.connectors,
                h.active,
                h.pending_reconnect
            );
            return Ok(1);
        }
        tokio::time::sleep(Duration::from_secs(1).min(wait)).await;
    }
}

fn rotate(
    client: &cfcp::api::Client,
    runtime: &tokio::runtime::Runtime,
    snapshot: &Snapshot,
    layer0: &Layer0,
    args: RotateArgs,
) -> Outcome {
    let mut plan = tunnel::plan_rotate(snapshot, &args.tunnel)?;
    let ctx = context(&[]);
    tunnel::route(&mut plan, layer0, &ctx);
    print_plan(&plan);
    if !args.apply.apply {
        eprintln!("dry run: nothing was changed; pass --apply to rotate the secret");
        return Ok(0);
    }
    // Checked before rotating: a token nobody can see would leave the tunnel without connectors.
    if !std::io::stdout().is_terminal() && !args.show_token {
        eprintln!("error: standard output is not a terminal: the new token would land in a pipe or file; run it in a terminal, or pass --show-token to print it anyway. Nothing was changed");
        return Ok(2);
    }
    let log = open_log(&args.apply.audit_log)?;
    let Some(approver) = clear(&mut plan, layer0, ctx, &args.apply, &log)? else {
        log.close(time::OffsetDateTime::now_utc())?;
        return Ok(1);
    };
    let mut bytes = [0u8; 32];
    if let Err(e) = getrandom::getrandom(&mut bytes) {
        log.close(time::OffsetDateTime::now_utc())?;
        eprintln!("error: the OS random source failed ({e}); nothing was changed");
        return Ok(1);
    }
    let secret = TunnelSecret::from_bytes(&bytes);
    let receipt = log.decision(
        time::OffsetDateTime::now_utc(),
        decision(&plan, 0, &approver),
    )?;
    log.sync()?;
    let result =
        runtime.block_on(client.rotate_tunnel_secret(&plan.account_id, &plan.tunnel_id, &secret));
    drop(secret);
    let outcome = match &result {
        Ok(_) => json!({"status": "applied"}),
        Err(e) => {
            json!({"status": "failed", "http_status": e.http_status(), "error": e.to_string()})
        }
    };
    log.outcome(time::OffsetDateTime::now_utc(), receipt.seq, outcome)?;
    log.close(time::OffsetDateTime::now_utc())?;
    if let Err(e) = result {
        eprintln!(
            "FAILED: {}: {e}; the old secret is still valid",
            plan.operations[0].summary
        );
        return Ok(1);
    }
    eprintln!("[1/1] applied: {}", plan.operations[0].summary);
    match runtime.block_on(client.tunnel_token(&plan.account_id, &plan.tunnel_id)) {
        Ok(token) => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "New connector token for tunnel {} (shown once; restart every connector with `cloudflared tunnel run --token <token>`):\n{}",
                plan.tunnel_name,
                token.expose()
            )
            .map_err(io("<stdout>"))?;
            Ok(0)
        }
        Err(e) => {
            eprintln!("the secret was rotated, but the new token could not be read: {e}; get it with `cloudflared tunnel token {}`", plan.tunnel_id);
            Ok(1)
        }
    }
}
