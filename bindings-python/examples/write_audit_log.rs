//! Writes a small signed audit log for the Python tests of `cfcp.audit.verify`:
//! `write_audit_log DIR` creates `DIR/audit.jsonl` (ten decisions, a checkpoint every four,
//! closed with a seal) and `DIR/audit.key` with its `.pub`, and prints the two paths.
//!
//! Python cannot write the log itself (the writer is the core's designated shell part), so the
//! fixture runs this.

use cfcp::audit::{self, AuditLog, AuditOptions, Decision};
use serde_json::json;

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: write_audit_log DIR");
        return std::process::ExitCode::from(2);
    };
    match write(&dir) {
        Ok((log, public_key)) => {
            println!("{}\n{}", log.display(), public_key.display());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("write_audit_log: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn write(dir: &std::path::Path) -> cfcp::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let key = audit::load_or_generate(&dir.join("audit.key"))?;
    let log_path = dir.join("audit.jsonl");
    let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    let options = AuditOptions {
        checkpoint_every: 4,
        fsync_every: 1,
    };
    let log = AuditLog::open(&log_path, key.key, options, now)?;
    for i in 0..10 {
        let decision = Decision {
            request: json!({"tool": "dns_records_list", "zone": format!("z{i}.example")}),
            classification: json!({"intent": "read"}),
            route: json!("allow"),
            approver: json!(null),
        };
        log.decision(now, decision)?;
    }
    log.close(now)?;
    Ok((log_path, key.public_key_path))
}
