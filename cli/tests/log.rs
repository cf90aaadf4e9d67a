//! End-to-end tests of `cfcp log verify` on logs written by `cfcp::audit`.

use std::process::{Command, Output};

use cfcp::audit::{self, AuditLog, AuditOptions, Decision};
use serde_json::json;

fn cfcp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cfcp"))
        .args(args)
        .output()
        .expect("cfcp runs")
}

fn write_log(dir: &tempfile::TempDir) -> (std::path::PathBuf, std::path::PathBuf) {
    let key_path = dir.path().join("audit.key");
    let key = audit::load_or_generate(&key_path).unwrap();
    let log_path = dir.path().join("audit.jsonl");
    let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    let options = AuditOptions {
        checkpoint_every: 4,
        fsync_every: 1,
    };
    let log = AuditLog::open(&log_path, key.key, options, now).unwrap();
    for i in 0..10 {
        let decision = Decision {
            request: json!({"tool": "dns_records_list", "zone": format!("z{i}.example")}),
            classification: json!({"intent": "read"}),
            route: json!("allow"),
            approver: json!(null),
        };
        log.decision(now, decision).unwrap();
    }
    log.close(now).unwrap();
    (log_path, key.public_key_path)
}

#[test]
fn an_intact_log_verifies_and_a_flipped_byte_names_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (log, pubkey) = write_log(&dir);
    let out = cfcp(&[
        "log",
        "verify",
        log.to_str().unwrap(),
        "--pubkey",
        pubkey.to_str().unwrap(),
        "--require-sealed",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: "));

    let mut bytes = std::fs::read(&log).unwrap();
    let third_line = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0
        + 1;
    let at = bytes[third_line..].iter().position(|b| *b == b'z').unwrap() + third_line;
    bytes[at] = b'y';
    std::fs::write(&log, &bytes).unwrap();
    let out = cfcp(&["log", "verify", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("bad entry: line 3"), "{text}");
}

#[test]
fn a_deleted_line_fails_and_a_missing_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = write_log(&dir);
    let text = std::fs::read_to_string(&log).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 5)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&log, kept.join("\n") + "\n").unwrap();
    assert_eq!(
        cfcp(&["log", "verify", log.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        cfcp(&[
            "log",
            "verify",
            dir.path().join("none.jsonl").to_str().unwrap()
        ])
        .status
        .code(),
        Some(2)
    );
}
