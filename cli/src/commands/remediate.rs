//! `cfcp remediate`: put the desired state back (revert), safely.
//!
//! Without `--apply` it prints the plan: the ordered API operations, each with Layer0's route
//! (a downgrade or a delete needs approval; out-of-scope zones and mass deletes are blocked),
//! and what cfcp leaves to `terraform apply`. With `--apply` (live account only):
//! 1. the delete threshold (`--max-delete`, `--max-delete-percent`) and blocked steps refuse the
//!    whole plan before anything is sent;
//! 2. steps routed `approve` are shown and need a `y` on a terminal or `--yes`; the approval is
//!    written to the audit trail;
//! 3. every step is logged (decision) before it is sent and (outcome) after; the first failure
//!    stops the run, and the report says which steps applied, which failed, which were not tried;
//! 4. the account is read again and the drift and invariants recomputed, so the report says what
//!    is left. Running it again continues where it stopped: it plans from what the account now is.
//!
//! Exit codes: 0 nothing left to revert, 1 drift left (plan printed, refused, declined or failed),
//! 2 bad input.

use std::path::{Path, PathBuf};

use cfcp::audit::{AuditLog, AuditOptions, Decision};
use cfcp::drift::{self, RevertOptions, RevertPlan, RevertStep};
use cfcp::layer0::{Context, Layer0};
use serde_json::{json, Value};

use crate::commands::drift::Sides;
use crate::error::CliError;
use crate::Outcome;

/// Which way to remediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Direction {
    /// Change the account back to the desired state.
    Revert,
    /// Change the code: Terraform for what drifted (import blocks for what is new, `removed`
    /// blocks for what is gone), written to --output.
    Adopt,
}

/// Arguments of `cfcp remediate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    sides: Sides,
    /// Which way to remediate.
    #[arg(long, value_enum, default_value_t = Direction::Revert)]
    direction: Direction,
    /// Send the operations (default: print the plan only).
    #[arg(long)]
    apply: bool,
    /// Refuse when more than N resources would be deleted.
    #[arg(long, value_name = "N", default_value_t = RevertOptions::default().max_delete)]
    max_delete: usize,
    /// Refuse when more than P% of the compared resources would be deleted.
    #[arg(long, value_name = "P", default_value_t = RevertOptions::default().max_delete_percent)]
    max_delete_percent: f64,
    /// Approve the steps Layer0 routes to a human without asking (the approval is audited).
    #[arg(long)]
    yes: bool,
    /// Only these zones may be changed (repeatable; default: every zone of the desired state).
    #[arg(long = "zone", value_name = "NAME")]
    zones: Vec<String>,
    /// The audit trail of the run (a signing key is kept beside it as FILE.key).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "cfcp-remediate-audit.jsonl"
    )]
    audit_log: PathBuf,
    /// Print the plan and the result as JSON.
    #[arg(long)]
    json: bool,
    /// With --direction adopt: the directory to write the Terraform code into.
    #[arg(short, long, value_name = "DIR", required_if_eq("direction", "adopt"))]
    output: Option<PathBuf>,
}

/// Runs `cfcp remediate`.
pub fn run(args: Args) -> Outcome {
    if args.apply && args.sides.snapshot.is_some() {
        eprintln!("error: --apply changes the live account: drop the SNAPSHOT argument");
        return Ok(2);
    }
    let (desired, live, client) = crate::commands::drift::load_sides(&args.sides)?;
    let drift = crate::commands::drift::compute(&desired, &live);
    if args.direction == Direction::Adopt {
        if args.apply {
            eprintln!("error: --direction adopt writes code, it changes nothing: drop --apply");
            return Ok(2);
        }
        let code = cfcp::export::adopt(&drift);
        print!("{}", drift::render::text(&drift));
        if let Some(dir) = &args.output {
            crate::commands::export_terraform::write(&code, dir)?;
        }
        return Ok(i32::from(!drift.is_empty()));
    }
    let options = RevertOptions {
        max_delete: args.max_delete,
        max_delete_percent: args.max_delete_percent,
    };
    let mut plan = drift::revert(&drift, &options);
    let layer0 = Layer0::default();
    let mut ctx = Context {
        zones_allowed: if args.zones.is_empty() {
            vec!["*".into()]
        } else {
            args.zones.clone()
        },
        ..Context::default()
    };
    drift::route(&mut plan, &layer0, &ctx);
    if args.json && !args.apply {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"drift": drift, "plan": plan}))
                .unwrap_or_default()
        );
    } else {
        print_plan(&plan);
    }
    if plan.steps.is_empty() {
        return Ok(i32::from(!plan.unrevertable.is_empty()));
    }
    if !args.apply {
        eprintln!("dry run: nothing was changed; pass --apply to send these operations");
        return Ok(1);
    }
    let Some(client) = client else {
        return Ok(2);
    };
    if let Some(why) = &plan.refused {
        eprintln!("refused: {why}");
        return Ok(1);
    }
    let blocked: Vec<_> = plan
        .steps
        .iter()
        .filter(|s| s.routing.route == "block")
        .collect();
    if !blocked.is_empty() {
        for s in &blocked {
            eprintln!(
                "blocked: {} ({})",
                s.operation.summary,
                s.routing.reasons.join(", ")
            );
        }
        eprintln!(
            "refused: Layer0 blocks {} step(s); nothing was sent",
            blocked.len()
        );
        return Ok(1);
    }
    let now = time::OffsetDateTime::now_utc();
    let mut key_path = args.audit_log.clone().into_os_string();
    key_path.push(".key");
    let key = cfcp::audit::load_or_generate(Path::new(&key_path))?;
    let log = AuditLog::open(&args.audit_log, key.key, AuditOptions::default(), now)?;
    let needs_approval: Vec<usize> = (0..plan.steps.len())
        .filter(|&i| plan.steps[i].routing.route == "approve")
        .collect();
    let mut approver = Value::Null;
    if !needs_approval.is_empty() {
        if !approve(&plan, &needs_approval, args.yes)? {
            log.append(
                time::OffsetDateTime::now_utc(),
                cfcp::audit::Record::Other {
                    kind: "approval_refused".into(),
                    fields: json!({"steps": needs_approval.iter().map(|&i| plan.steps[i].operation.summary.clone()).collect::<Vec<_>>()})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                },
            )?;
            log.close(time::OffsetDateTime::now_utc())?;
            println!("not approved: nothing was changed");
            return Ok(1);
        }
        let who = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".into());
        approver =
            json!({"by": who, "via": if args.yes { "cfcp remediate --yes" } else { "terminal" }});
        // An approved request goes on to the permits; block conditions would still block it.
        ctx.approved = true;
        drift::route(&mut plan, &layer0, &ctx);
    }
    let runtime = crate::env::runtime()?;
    let result = runtime.block_on(apply_steps(&client, &plan.steps, &log, &approver));
    log.close(time::OffsetDateTime::now_utc())?;
    let applied = result?.applied;
    // Verify: read the account again and recompute drift and invariants.
    let after = crate::commands::drift::read_live(&client, Some(&desired.snapshot))?;
    let left = crate::commands::drift::compute(&desired, &after);
    let report = cfcp::invariants::run(
        &after,
        &cfcp::invariants::Config {
            now: Some(crate::env::now()),
            ..Default::default()
        },
    );
    let failing = report.failures().count();
    let complete = applied == plan.steps.len();
    println!(
        "applied {applied} of {} operations; drift left: {} resource(s); invariants failing after: {failing}; audit trail: {}",
        plan.steps.len(),
        left.items.len(),
        args.audit_log.display()
    );
    if !complete {
        println!("stopped at the first failure; run the same command again to continue: it plans from what the account is now");
    }
    if !left.is_empty() {
        print!("{}", drift::render::text(&left));
    }
    Ok(i32::from(!complete || !left.is_empty()))
}

fn print_plan(plan: &RevertPlan) {
    if plan.steps.is_empty() && plan.unrevertable.is_empty() {
        println!("Nothing to revert.");
        return;
    }
    println!(
        "Revert plan: {} operation(s), {} delete(s)",
        plan.steps.len(),
        plan.deletes
    );
    for (n, s) in plan.steps.iter().enumerate() {
        println!(
            "{:>3}. [{}] {} {}  {}",
            n + 1,
            s.routing.route,
            s.operation.method,
            s.operation.path,
            s.operation.summary
        );
        if !s.routing.flags.is_empty() {
            println!("       flags: {}", s.routing.flags.join(", "));
        }
    }
    for u in &plan.unrevertable {
        println!(
            "  left to terraform apply: {} {} ({})",
            u.kind.terraform_type(),
            u.import_id,
            u.reason
        );
    }
    if let Some(why) = &plan.refused {
        println!("refused: {why}");
    }
}

fn approve(plan: &RevertPlan, steps: &[usize], yes: bool) -> Result<bool, CliError> {
    println!("These operations need approval:");
    for &i in steps {
        let s = &plan.steps[i];
        println!("  {} ({})", s.operation.summary, s.routing.flags.join(", "));
    }
    if yes {
        return Ok(true);
    }
    match crate::env::ask_yes_no("Approve them?")? {
        crate::env::Answer::Yes => Ok(true),
        crate::env::Answer::No => Ok(false),
        crate::env::Answer::NotATerminal => {
            eprintln!("error: not a terminal: pass --yes to approve without being asked");
            Ok(false)
        }
    }
}

/// What [`apply_steps`] did.
pub(crate) struct Applied {
    /// Steps that applied, in order.
    pub applied: usize,
    /// The step that failed and why, if one did.
    pub failed: Option<String>,
}

/// Sends `steps` in order, each logged before (decision, synced) and after (outcome); stops at
/// the first failure and lists the steps not attempted.
pub(crate) async fn apply_steps(
    client: &cfcp::api::Client,
    steps: &[RevertStep],
    log: &AuditLog,
    approver: &Value,
) -> Result<Applied, CliError> {
    let total = steps.len();
    for (n, step) in steps.iter().enumerate() {
        let decision = log.decision(
            time::OffsetDateTime::now_utc(),
            Decision {
                request: json!({
                    "kind": "remediation",
                    "import_id": step.import_id,
                    "method": step.operation.method,
                    "path": step.operation.path,
                    "body": step.operation.body,
                    "summary": step.operation.summary,
                }),
                classification: json!({"flags": step.routing.flags}),
                route: json!({"route": step.routing.route, "reasons": step.routing.reasons}),
                approver: if step.routing.flags.is_empty() {
                    Value::Null
                } else {
                    approver.clone()
                },
            },
        )?;
        // Synced before the request goes out: the trail must show the decision even if we crash.
        log.sync()?;
        let result = client.execute_operation(&step.operation).await;
        let outcome = match &result {
            Ok(_) => json!({"status": "applied"}),
            Err(e) => {
                json!({"status": "failed", "http_status": e.http_status(), "error": e.to_string()})
            }
        };
        log.outcome(time::OffsetDateTime::now_utc(), decision.seq, outcome)?;
        log.sync()?;
        match result {
            Ok(_) => eprintln!("[{}/{total}] applied: {}", n + 1, step.operation.summary),
            Err(e) => {
                eprintln!(
                    "[{}/{total}] FAILED: {}: {e}",
                    n + 1,
                    step.operation.summary
                );
                for later in &steps[n + 1..] {
                    eprintln!("  not attempted: {}", later.operation.summary);
                }
                return Ok(Applied {
                    applied: n,
                    failed: Some(format!("{}: {e}", step.operation.summary)),
                });
            }
        }
    }
    Ok(Applied {
        applied: total,
        failed: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fake_cloudflare::{FakeConfig, FakeHandle, TokenSpec};

    const TOKEN: &str = "remediate-unit-token";

    fn client(fake: &FakeHandle) -> cfcp::api::Client {
        cfcp::api::Client::builder()
            .base_url(fake.base_url())
            .credentials(cfcp::api::Credentials::token(TOKEN))
            .max_retries(0)
            .build()
            .unwrap()
    }

    /// A record deleted by somebody else between planning and applying: the step fails with the
    /// API's answer, the trail shows it, and planning again from the account as it now is
    /// recreates the record instead.
    #[test]
    fn a_resource_deleted_meanwhile_fails_its_step_and_the_next_run_recreates_it() {
        let seed = cfcp::snapshot::demo();
        let fake = FakeHandle::spawn_blocking_thread(
            FakeConfig::new(seed.clone()).with_token(TokenSpec::all(TOKEN)),
        )
        .unwrap();
        let desired = crate::commands::drift::DesiredState {
            snapshot: seed.clone(),
            resources: Vec::new(),
        };
        let zone = seed.zone("acme-api.io").unwrap();
        let zone_id = zone.zone.id.clone();
        let record = zone
            .dns_records
            .iter()
            .find(|r| r.name == "origin.acme-api.io")
            .unwrap();
        let record_id = record.id.get().unwrap().clone();
        // Somebody changes the record's TTL through the API ...
        let c = client(&fake);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let patch = cfcp::plan::Operation {
            method: "PATCH".into(),
            path: format!("/zones/{zone_id}/dns_records/{record_id}"),
            body: Some(json!({"ttl": 60})),
            effect: cfcp::plan::Effect::PatchRecord {
                record_id: record_id.clone(),
            },
            summary: String::new(),
        };
        rt.block_on(c.execute_operation(&patch)).unwrap();
        let drift = crate::commands::drift::compute(&desired, &fake.current_snapshot());
        let plan = drift::revert(&drift, &RevertOptions::default());
        assert_eq!(plan.steps.len(), 1);
        // ... and before the revert runs, somebody deletes the record.
        let delete = cfcp::plan::Operation {
            method: "DELETE".into(),
            body: None,
            effect: cfcp::plan::Effect::DeleteRecord {
                record_id: record_id.clone(),
            },
            ..patch
        };
        rt.block_on(c.execute_operation(&delete)).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let key = cfcp::audit::load_or_generate(&dir.path().join("audit.jsonl.key")).unwrap();
        let now = time::OffsetDateTime::now_utc();
        let log = AuditLog::open(&path, key.key, AuditOptions::default(), now).unwrap();
        let result = rt
            .block_on(apply_steps(&c, &plan.steps, &log, &Value::Null))
            .unwrap();
        assert_eq!(result.applied, 0);
        let failed = result.failed.unwrap();
        assert!(
            failed.contains("404") || failed.to_lowercase().contains("not found"),
            "{failed}"
        );
        log.close(time::OffsetDateTime::now_utc()).unwrap();
        let trail = std::fs::read_to_string(&path).unwrap();
        assert!(trail.contains("\"status\":\"failed\""), "{trail}");

        // Planning again from what the account now is: the record is missing, so it is created.
        let drift = crate::commands::drift::compute(&desired, &fake.current_snapshot());
        let plan = drift::revert(&drift, &RevertOptions::default());
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(plan.steps[0].operation.method, "POST");
        let key = cfcp::audit::load_or_generate(&dir.path().join("audit.jsonl.key")).unwrap();
        let log = AuditLog::open(&path, key.key, AuditOptions::default(), now).unwrap();
        let result = rt
            .block_on(apply_steps(&c, &plan.steps, &log, &Value::Null))
            .unwrap();
        assert_eq!((result.applied, result.failed), (1, None));
        let left = crate::commands::drift::compute(&desired, &fake.current_snapshot());
        assert!(left.is_empty(), "{}", drift::render::text(&left));
    }
}
