//! `cfcp approve`: a human's approval of a cfcp-mcp plan, recorded in the plan directory and an
//! audit log; never given without `--yes` or a terminal's `y`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use cfcp::plan::{approval_file_name, plan_file_name, Approval, Plan, PlanRequest, Routing};
use serde_json::json;

fn plan(dir: &Path, now: time::OffsetDateTime, name: &str) -> Plan {
    let snapshot = cfcp::snapshot::demo();
    let arguments = json!({"action": "update", "zone": "acme-shop.com",
        "record": {"id": "0ee55efff3d6956f395af6c05d394ed0", "proxied": false, "comment": name}});
    let plan = Plan::new(
        &snapshot,
        PlanRequest {
            tool: "dns_record_manage",
            arguments: &arguments,
            routing: Routing {
                route: "approve".into(),
                flags: vec!["security_downgrade".into()],
                reasons: vec!["approve.security_downgrade".into()],
            },
            now,
            ttl: cfcp::plan::DEFAULT_TTL,
            nonce: Some(name),
        },
    )
    .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join(plan_file_name(&plan.id)),
        serde_json::to_vec(&plan).unwrap(),
    )
    .unwrap();
    plan
}

fn approve(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cfcp"))
        .arg("approve")
        .args(args)
        .arg("--plans-dir")
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[test]
fn approval_is_recorded_in_the_plan_directory_and_an_audit_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plans");
    let p = plan(&dir, now(), "a");
    let out = approve(&[&p.id, "--yes"], &dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("PATCH /zones/") && shown.contains("dns_record_proxied"),
        "{shown}"
    );
    let approval: Approval =
        serde_json::from_slice(&std::fs::read(dir.join(approval_file_name(&p.id))).unwrap())
            .unwrap();
    assert_eq!(approval.plan_id, p.id);
    assert_eq!(approval.snapshot_fingerprint, p.snapshot_fingerprint);
    let log = std::fs::read(dir.join("approvals.jsonl")).unwrap();
    let key = cfcp::audit::load_public_key(&cfcp::audit::public_key_path(
        &dir.join("approvals.jsonl.key"),
    ))
    .unwrap();
    assert!(cfcp::audit::verify(&log, Some(&key)).ok);
    let line = String::from_utf8(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["seq"] == approval.audit_seq)
        .unwrap();
    assert_eq!(line["kind"], "approval");
    assert_eq!(line["plan_id"], p.id.as_str());
    let again = approve(&[&p.id, "--yes"], &dir);
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn without_yes_or_a_terminal_nothing_is_approved() {
    let tmp = tempfile::tempdir().unwrap();
    let p = plan(tmp.path(), now(), "b");
    let out = approve(&[&p.id], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert!(!tmp.path().join(approval_file_name(&p.id)).exists());
}

#[test]
fn expired_unknown_and_malformed_plans_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let old = plan(tmp.path(), now() - time::Duration::hours(1), "c");
    assert_eq!(
        approve(&[&old.id, "--yes"], tmp.path()).status.code(),
        Some(1)
    );
    assert!(!tmp.path().join(approval_file_name(&old.id)).exists());
    let unknown = approve(&["plan-0000000000000000", "--yes"], tmp.path());
    assert_eq!(unknown.status.code(), Some(2));
    let malformed = approve(&["../../etc/passwd", "--yes"], tmp.path());
    assert_eq!(malformed.status.code(), Some(2));
}

#[test]
fn list_shows_every_plan_and_its_state() {
    let tmp = tempfile::tempdir().unwrap();
    let waiting = plan(tmp.path(), now(), "d");
    let old = plan(tmp.path(), now() - time::Duration::hours(1), "e");
    let approved = plan(tmp.path(), now(), "f");
    assert_eq!(
        approve(&[&approved.id, "--yes"], tmp.path()).status.code(),
        Some(0)
    );
    let out = approve(&["--list"], tmp.path());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let state = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} listed: {text}"))
            .to_owned()
    };
    assert!(state(&waiting.id).contains("waiting for approval"));
    assert!(state(&old.id).contains("expired"));
    assert!(state(&approved.id).contains("approved"));
}
