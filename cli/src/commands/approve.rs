//! `cfcp approve PLAN_ID`: a human approves a plan `cfcp-mcp` made (route `approve`).
//!
//! Shows the plan (operations, route, flags, invariants newly failing, expiry), asks `y/N` on a
//! terminal unless `--yes`, then records the approval in an audit trail of its own (the server
//! holds its log's lock) and as `PLAN_ID.approval.json` in the plan directory, where the server
//! looks before executing. `cfcp approve --list` shows the plans waiting.
//!
//! Exit codes: 0 approved (or listed), 1 declined, expired or already approved, 2 bad input
//! (unknown plan, bad id, unreadable directory).

use std::path::{Path, PathBuf};

use cfcp::audit::{AuditLog, AuditOptions};
use cfcp::plan::{approval_file_name, plan_file_name, Approval, Plan};

use crate::error::CliError;
use crate::Outcome;

/// Arguments of `cfcp approve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan to approve (`plan-` and 16 hex digits, as cfcp-mcp answered).
    #[arg(value_name = "PLAN_ID", required_unless_present = "list")]
    plan_id: Option<String>,
    /// The server's plan directory (cfcp-mcp's `--plans-dir`; its default is `<audit log>.plans`).
    #[arg(long, value_name = "DIR", default_value = "cfcp-mcp-audit.jsonl.plans")]
    plans_dir: PathBuf,
    /// The audit log approvals are recorded in; default: `approvals.jsonl` in the plan directory.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Approve without asking (for scripts; a terminal is asked `y/N` otherwise).
    #[arg(long)]
    yes: bool,
    /// List the plans in the directory and whether each is approved, then exit.
    #[arg(long, conflicts_with = "plan_id")]
    list: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        path: path.to_owned(),
        source,
    }
}

fn load_plan(path: &Path) -> Result<Plan, CliError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        CliError::Core(cfcp::Error::InvalidDocument {
            document: "plan",
            path: path.display().to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    })
}

/// Runs `cfcp approve`.
pub fn run(args: Args) -> Outcome {
    if args.list {
        return list(&args.plans_dir);
    }
    let id = args.plan_id.clone().unwrap_or_default();
    if !Plan::is_valid_id(&id) {
        eprintln!("error: {id:?} is not a plan id (plan- and 16 hex digits)");
        return Ok(2);
    }
    let path = args.plans_dir.join(plan_file_name(&id));
    if !path.exists() {
        eprintln!(
            "error: no plan {id} in {} (executed, removed, or another --plans-dir?)",
            args.plans_dir.display()
        );
        return Ok(2);
    }
    let plan = load_plan(&path)?;
    print!("{}", cfcp::plan::describe(&plan));
    let now = time::OffsetDateTime::now_utc();
    if plan.is_expired(now) {
        eprintln!(
            "error: plan {id} expired at {}; ask the agent for a new plan",
            plan.expires_at
        );
        return Ok(1);
    }
    let approval_path = args.plans_dir.join(approval_file_name(&id));
    if approval_path.exists() {
        eprintln!("plan {id} is already approved");
        return Ok(1);
    }
    if !args.yes {
        match crate::env::ask_yes_no(&format!("Approve plan {id}?"))? {
            crate::env::Answer::Yes => {}
            crate::env::Answer::NotATerminal => {
                eprintln!("error: not a terminal: pass --yes to approve without being asked");
                return Ok(2);
            }
            crate::env::Answer::No => {
                println!("not approved");
                return Ok(1);
            }
        }
    }
    let approver = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let log_path = args
        .audit_log
        .clone()
        .unwrap_or_else(|| args.plans_dir.join("approvals.jsonl"));
    let mut key_path = log_path.clone().into_os_string();
    key_path.push(".key");
    let key = cfcp::audit::load_or_generate(Path::new(&key_path))?;
    let log = AuditLog::open(&log_path, key.key, AuditOptions::default(), now)?;
    let receipt = log.append(now, cfcp::plan::approval_record(&plan, &approver))?;
    log.close(time::OffsetDateTime::now_utc())?;
    let approval = Approval {
        plan_id: id.clone(),
        snapshot_fingerprint: plan.snapshot_fingerprint.clone(),
        approver,
        approved_at: cfcp::snapshot::Timestamp::from_datetime(now),
        audit_log: log_path.display().to_string(),
        audit_seq: receipt.seq,
    };
    let text = serde_json::to_vec_pretty(&approval).map_err(|e| CliError::Io {
        path: approval_path.clone(),
        source: std::io::Error::other(e),
    })?;
    crate::output::write_atomic(&approval_path, &text)?;
    println!(
        "approved {id} (audit log {} seq {}); the agent can now confirm it",
        log_path.display(),
        receipt.seq
    );
    Ok(0)
}

fn list(dir: &Path) -> Outcome {
    let entries = std::fs::read_dir(dir).map_err(io(dir))?;
    let mut plans: Vec<Plan> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(".json") {
            if Plan::is_valid_id(id) {
                plans.push(load_plan(&entry.path())?);
            }
        }
    }
    plans.sort_by(|a, b| a.created_at.as_str().cmp(b.created_at.as_str()));
    let now = time::OffsetDateTime::now_utc();
    if plans.is_empty() {
        println!("no plans in {}", dir.display());
    }
    for plan in plans {
        let state = if dir.join(approval_file_name(&plan.id)).exists() {
            "approved"
        } else if plan.is_expired(now) {
            "expired"
        } else if plan.routing.route == "approve" {
            "waiting for approval"
        } else {
            "no approval needed"
        };
        println!(
            "{}  {:<20}  {} {} on {}  ({} operations, expires {})",
            plan.id,
            state,
            plan.tool,
            plan.arguments["action"].as_str().unwrap_or_default(),
            plan.zone,
            plan.operations.len(),
            plan.expires_at
        );
    }
    Ok(0)
}
