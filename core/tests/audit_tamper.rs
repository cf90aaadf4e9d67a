//! The audit trail against tampering, crashes, concurrency and odd input (`cfcp::audit`).
//!
//! Every test works on its own temporary files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cfcp::audit::{
    verify, verify_with, AuditLog, AuditOptions, Decision, ProblemKind, Recovery, SigningKey,
    VerifyOptions, VerifyReport,
};
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2026-11-01 12:00 UTC);

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn other_key() -> SigningKey {
    SigningKey::from_bytes(&[43; 32])
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("audit.jsonl");
    (dir, path)
}

fn options(checkpoint_every: u64) -> AuditOptions {
    AuditOptions {
        checkpoint_every,
        fsync_every: 1,
    }
}

fn decision(i: usize) -> Decision {
    Decision {
        request: json!({"kind": "tool_call", "tool": "dns_records_update",
                        "args": {"zone": "example.com", "name": format!("host{i}"), "proxied": true}}),
        classification: json!({"intent": "mutate", "flags": [], "risk": 10}),
        route: json!("allow"),
        approver: Value::Null,
    }
}

/// A closed log of `pairs` decision/outcome pairs, checkpointed every 4 records.
fn write_log(path: &Path, pairs: usize) {
    let log = AuditLog::open(path, key(), options(4), NOW).unwrap_or_else(|e| panic!("open: {e}"));
    for i in 0..pairs {
        let d = log
            .decision(NOW, decision(i))
            .unwrap_or_else(|e| panic!("{e}"));
        log.outcome(NOW, d.seq, json!({"status": "ok", "i": i}))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    log.close(NOW).unwrap_or_else(|e| panic!("close: {e}"));
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read: {e}"))
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

fn seq_of(line: &[u8]) -> u64 {
    serde_json::from_slice::<Value>(line)
        .ok()
        .and_then(|v| v["seq"].as_u64())
        .unwrap_or(0)
}

fn strict(bytes: &[u8]) -> VerifyReport {
    verify_with(
        bytes,
        &VerifyOptions {
            expected_key: Some(key().verifying_key()),
            require_sealed: true,
        },
    )
}

fn problem(report: &VerifyReport) -> (usize, Option<u64>, ProblemKind, String) {
    let p = report
        .first_problem
        .clone()
        .unwrap_or_else(|| panic!("expected a problem, got {report:?}"));
    assert!(!report.ok);
    (p.line, p.seq, p.kind, p.message)
}

#[test]
fn a_written_log_verifies() {
    let (_dir, path) = tmp();
    write_log(&path, 10);
    let bytes = read(&path);
    let report = strict(&bytes);
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.entries, 20);
    // 20 records, a checkpoint after every 4 (5), and the close seal.
    assert_eq!(report.checkpoints, 6);
    assert_eq!(report.seals, 1);
    assert!(report.sealed && report.key_pinned);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.last_seq, 26);
    // Every line is canonical JSON and chains to the one before.
    let ls = lines(&bytes);
    let mut prev = cfcp::audit::LineHash::GENESIS;
    for l in &ls {
        let v: Value = serde_json::from_slice(l).unwrap_or_default();
        assert_eq!(cfcp::audit::canonical_json(&v).as_bytes(), &l[..]);
        assert_eq!(v["prev"], json!(prev.to_hex()));
        prev = cfcp::audit::LineHash::of(l);
    }
    assert_eq!(report.head, prev);
    // Without the expected key it still verifies, but says the key is not pinned.
    let loose = verify(&bytes, None);
    assert!(loose.ok && !loose.key_pinned);
    assert_eq!(loose.public_key, Some(key().verifying_key()));
}

#[test]
fn flipping_one_byte_in_an_entry_is_detected_and_named() {
    let (_dir, path) = tmp();
    write_log(&path, 5);
    let bytes = read(&path);
    let ls = lines(&bytes);
    // Line 3 is a decision; change "host1" to "hosu1" inside its request.
    let target = 3;
    let pos = ls[target - 1]
        .windows(5)
        .position(|w| w == b"host1")
        .unwrap_or_else(|| panic!("no host1 on line {target}"));
    let mut tampered = ls.clone();
    tampered[target - 1][pos + 3] ^= 0x01;
    let report = verify(&join(&tampered), Some(&key().verifying_key()));
    let (line, seq, kind, message) = problem(&report);
    assert_eq!((line, seq, kind), (3, Some(3), ProblemKind::HashMismatch));
    assert!(message.contains("line 3 (seq 3)"), "{message}");

    // Any single-bit change before the last line fails, and names the changed line (or, for a
    // change in its `prev`, the line before it): every byte of the lines before the first
    // checkpoint, every 13th byte after (signature checks are slow in debug builds).
    let last_start = bytes.len() - ls[ls.len() - 1].len() - 1;
    let first_checkpoint = join(&ls[..4]).len();
    for at in (0..last_start).filter(|at| *at < first_checkpoint || at % 13 == 0) {
        let mut t = bytes.clone();
        t[at] ^= 0x01;
        let report = verify(&t, Some(&key().verifying_key()));
        let changed_line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let p = report
            .first_problem
            .unwrap_or_else(|| panic!("flip at byte {at} (line {changed_line}) not detected"));
        assert!(
            p.line == changed_line || p.line + 1 == changed_line,
            "flip at byte {at} on line {changed_line} reported on line {}: {}",
            p.line,
            p.message
        );
    }
    // The last line is the seal: a change in what it signs fails.
    let mut t = ls.clone();
    let last = t.len() - 1;
    let sig = t[last]
        .windows(13)
        .position(|w| w == b"\"signature\":\"")
        .unwrap_or(0)
        + 20;
    t[last][sig] ^= 0x01;
    let (_, _, kind, _) = problem(&verify(&join(&t), Some(&key().verifying_key())));
    assert!(matches!(
        kind,
        ProblemKind::BadSignature | ProblemKind::Malformed
    ));
}

#[test]
fn deleting_one_line_is_detected_and_named() {
    let (_dir, path) = tmp();
    write_log(&path, 5);
    let mut ls = lines(&read(&path));
    ls.remove(4); // seq 5
    let (line, seq, kind, message) = problem(&strict(&join(&ls)));
    assert_eq!((line, seq, kind), (5, Some(6), ProblemKind::SeqGap));
    assert!(message.contains("entry 5 is missing"), "{message}");

    // The first line.
    let mut ls = lines(&read(&path));
    ls.remove(0);
    let (line, seq, kind, _) = problem(&strict(&join(&ls)));
    assert_eq!((line, seq, kind), (1, Some(2), ProblemKind::SeqGap));
}

#[test]
fn swapping_two_lines_is_detected_and_named() {
    let (_dir, path) = tmp();
    write_log(&path, 5);
    let mut ls = lines(&read(&path));
    ls.swap(6, 7); // seq 7 and 8
    let (line, seq, kind, message) = problem(&strict(&join(&ls)));
    assert_eq!((line, seq, kind), (7, Some(8), ProblemKind::SeqGap));
    assert!(message.contains("expected seq 7"), "{message}");
    // Non-adjacent.
    let mut ls = lines(&read(&path));
    ls.swap(1, 9);
    let (line, seq, kind, _) = problem(&strict(&join(&ls)));
    assert_eq!((line, seq, kind), (2, Some(10), ProblemKind::SeqGap));
}

#[test]
fn truncating_the_log_is_detected_and_named() {
    let (_dir, path) = tmp();
    write_log(&path, 5); // 10 records; checkpoints at seq 5, 10; seal at 13
    let bytes = read(&path);
    let ls = lines(&bytes);
    assert_eq!(ls.len(), 13);

    // Cut in the middle of line 8 (before the last checkpoint): a torn line, named.
    let cut = join(&ls[..7]).len() + 30;
    let report = verify(&bytes[..cut], Some(&key().verifying_key()));
    let (line, seq, kind, _) = problem(&report);
    assert_eq!((line, seq, kind), (8, Some(8), ProblemKind::TornLine));

    // Cut at the end of line 7: line 6 and 7 are after the last surviving checkpoint (line 5).
    let cut = join(&ls[..7]);
    let (line, seq, kind, message) = problem(&strict(&cut));
    assert_eq!((line, seq, kind), (6, Some(6), ProblemKind::UnsignedTail));
    assert!(message.contains("does not end with a seal"), "{message}");
    // Without --require-sealed, the same file is reported ok with an unsigned-tail warning:
    // truncation after the last checkpoint cannot be detected then.
    let report = verify(&cut, Some(&key().verifying_key()));
    assert!(report.ok);
    assert_eq!(
        report.unsigned_tail.map(|t| (t.first_line, t.lines)),
        Some((6, 2))
    );
    assert!(report
        .warnings
        .iter()
        .any(|w| w.message.contains("not signed")));

    // Cut right after a checkpoint: not sealed.
    let (line, seq, kind, _) = problem(&strict(&join(&ls[..10])));
    assert_eq!((line, seq, kind), (10, Some(10), ProblemKind::NotSealed));

    // Cut to nothing.
    let (line, _, kind, _) = problem(&strict(b""));
    assert_eq!((line, kind), (0, ProblemKind::NotSealed));
}

#[test]
fn rewriting_the_chain_without_the_key_breaks_the_next_signature() {
    let (_dir, path) = tmp();
    write_log(&path, 5);
    let ls = lines(&read(&path));
    // Delete line 2 and recompute seq and prev of everything after it, as a forger would.
    let mut forged: Vec<Vec<u8>> = Vec::new();
    let mut prev = cfcp::audit::LineHash::GENESIS;
    for (i, l) in ls.iter().enumerate().filter(|(i, _)| *i != 1) {
        let mut v: Value = serde_json::from_slice(l).unwrap_or_default();
        let seq = forged.len() as u64 + 1;
        v["seq"] = json!(seq);
        v["prev"] = json!(prev.to_hex());
        if v["kind"] == "checkpoint" || v["kind"] == "seal" {
            v["count"] = json!(seq - 1);
            v["head"] = json!(prev.to_hex());
        }
        let text = cfcp::audit::canonical_json(&v).into_bytes();
        prev = cfcp::audit::LineHash::of(&text);
        forged.push(text);
        let _ = i;
    }
    let (line, seq, kind, _) = problem(&strict(&join(&forged)));
    assert_eq!((line, seq, kind), (4, Some(4), ProblemKind::BadSignature));
}

#[test]
fn a_wrong_public_key_is_a_key_mismatch() {
    let (_dir, path) = tmp();
    write_log(&path, 3);
    let bytes = read(&path);
    let report = verify(&bytes, Some(&other_key().verifying_key()));
    let (line, seq, kind, message) = problem(&report);
    assert_eq!((line, seq, kind), (5, Some(5), ProblemKind::KeyMismatch));
    assert!(message.contains("not the expected key"), "{message}");
    // The writer refuses to continue a log signed by another key.
    let err = AuditLog::open(&path, other_key(), options(4), NOW)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("key mismatch"), "{err}");
}

#[test]
fn a_torn_last_line_is_sealed_on_reopen_and_earlier_entries_stay_intact() {
    let (_dir, path) = tmp();
    {
        let log = AuditLog::open(&path, key(), options(4), NOW).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..3 {
            log.decision(NOW, decision(i))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        // Dropped without close: a crash.
    }
    let before = read(&path);
    let torn = br#"{"approver":null,"classification":{"intent":"mut"#;
    let mut crashed = before.clone();
    crashed.extend_from_slice(torn);
    std::fs::write(&path, &crashed).unwrap_or_else(|e| panic!("{e}"));
    let (line, seq, kind, _) = problem(&verify(&crashed, None));
    assert_eq!((line, seq, kind), (4, Some(4), ProblemKind::TornLine));

    let log = AuditLog::open(&path, key(), options(4), NOW).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        log.open_report().recovery,
        Some(Recovery::Sealed {
            line: 4,
            offset: before.len() as u64,
            length: torn.len() as u64,
            seal_seq: 4
        })
    );
    log.decision(NOW, decision(9))
        .unwrap_or_else(|e| panic!("{e}"));
    log.close(NOW).unwrap_or_else(|e| panic!("{e}"));

    let after = read(&path);
    // Nothing before the torn bytes changed; the torn bytes are still there.
    assert_eq!(&after[..before.len()], &before[..]);
    assert_eq!(&after[before.len()..before.len() + torn.len()], &torn[..]);
    let report = strict(&after);
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.entries, 4);
    assert!(report
        .warnings
        .iter()
        .any(|w| w.line == 4 && w.message.contains("torn")));

    // Changing the torn bytes afterwards is detected.
    let mut t = after.clone();
    t[before.len() + 3] ^= 0x01;
    let (line, _, kind, _) = problem(&strict(&t));
    assert_eq!((line, kind), (4, ProblemKind::TornLine));
}

#[test]
fn a_crash_while_sealing_is_sealed_again() {
    let (_dir, path) = tmp();
    {
        let log = AuditLog::open(&path, key(), options(0), NOW).unwrap_or_else(|e| panic!("{e}"));
        log.decision(NOW, decision(0))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut bytes = read(&path);
    // A torn line, its newline, and half a seal (two bad lines, the last unterminated).
    bytes.extend_from_slice(b"{\"appro\n{\"count\":1,\"he");
    std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let log = AuditLog::open(&path, key(), options(0), NOW).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        log.open_report().recovery,
        Some(Recovery::Sealed { line: 2, .. })
    ));
    log.close(NOW).unwrap_or_else(|e| panic!("{e}"));
    let report = strict(&read(&path));
    assert!(report.ok, "{:?}", report.first_problem);
}

#[test]
fn a_complete_last_line_without_its_newline_is_completed() {
    let (_dir, path) = tmp();
    {
        let log = AuditLog::open(&path, key(), options(0), NOW).unwrap_or_else(|e| panic!("{e}"));
        log.decision(NOW, decision(0))
            .unwrap_or_else(|e| panic!("{e}"));
        log.decision(NOW, decision(1))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut bytes = read(&path);
    bytes.pop();
    std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let log = AuditLog::open(&path, key(), options(0), NOW).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        log.open_report().recovery,
        Some(Recovery::CompletedLine { line: 2, seq: 2 })
    );
    log.close(NOW).unwrap_or_else(|e| panic!("{e}"));
    let report = strict(&read(&path));
    assert!(report.ok && report.entries == 2, "{report:?}");
}

#[test]
fn the_writer_refuses_a_tampered_log() {
    let (_dir, path) = tmp();
    write_log(&path, 3);
    let mut ls = lines(&read(&path));
    ls.remove(2);
    std::fs::write(&path, join(&ls)).unwrap_or_else(|e| panic!("{e}"));
    let err = AuditLog::open(&path, key(), options(4), NOW)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("line 3 (seq 4)") && err.contains("does not append to a damaged log"),
        "{err}"
    );
}

#[test]
fn a_closed_log_can_be_reopened_and_continued() {
    let (_dir, path) = tmp();
    write_log(&path, 2);
    let log = AuditLog::open(&path, key(), options(4), NOW).unwrap_or_else(|e| panic!("{e}"));
    assert!(log.open_report().verified.sealed);
    let (next, _) = log.head().unwrap_or_else(|e| panic!("{e}"));
    let r = log
        .decision(NOW, decision(7))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.seq, next);
    log.close(NOW).unwrap_or_else(|e| panic!("{e}"));
    let report = strict(&read(&path));
    assert!(
        report.ok && report.entries == 5 && report.seals == 2,
        "{report:?}"
    );
}

#[test]
fn two_threads_appending_concurrently_make_one_valid_chain() {
    let (_dir, path) = tmp();
    let log = Arc::new(
        AuditLog::open(
            &path,
            key(),
            AuditOptions {
                checkpoint_every: 7,
                fsync_every: 10,
            },
            NOW,
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for i in 0..200 {
                    let d = log
                        .decision(NOW, decision(t * 1000 + i))
                        .unwrap_or_else(|e| panic!("{e}"));
                    log.outcome(NOW, d.seq, json!({"thread": t, "i": i}))
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().is_ok());
    }
    let log = Arc::try_unwrap(log).unwrap_or_else(|_| panic!("log still shared"));
    log.close(NOW).unwrap_or_else(|e| panic!("{e}"));
    let bytes = read(&path);
    let report = strict(&bytes);
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.entries, 800);
    // Every outcome follows its decision.
    let mut decided = std::collections::HashSet::new();
    for l in lines(&bytes) {
        let v: Value = serde_json::from_slice(&l).unwrap_or_default();
        match v["kind"].as_str() {
            Some("decision") => {
                decided.insert(seq_of(&l));
            }
            Some("outcome") => {
                assert!(decided.contains(&v["decision_seq"].as_u64().unwrap_or(0)));
            }
            _ => {}
        }
    }
}

#[test]
fn a_second_writer_gets_a_clear_lock_error() {
    let (_dir, path) = tmp();
    let first = AuditLog::open(&path, key(), options(4), NOW).unwrap_or_else(|e| panic!("{e}"));
    first
        .decision(NOW, decision(0))
        .unwrap_or_else(|e| panic!("{e}"));
    // A second open takes its own OS-level lock (flock on a new open file description), exactly
    // as another process would.
    let second = AuditLog::open(&path, key(), options(4), NOW);
    match second {
        Err(cfcp::Error::AuditLocked { path: p }) => {
            assert!(p.ends_with("audit.jsonl"));
            let text = cfcp::Error::AuditLocked { path: p }.to_string();
            assert!(text.contains("locked by another writer"), "{text}");
        }
        other => panic!("expected AuditLocked, got {other:?}"),
    }
    first.close(NOW).unwrap_or_else(|e| panic!("{e}"));
    // Released on close.
    let third = AuditLog::open(&path, key(), options(4), NOW).unwrap_or_else(|e| panic!("{e}"));
    third.close(NOW).unwrap_or_else(|e| panic!("{e}"));
    assert!(strict(&read(&path)).ok);
}

#[test]
fn huge_and_odd_requests_are_logged_without_panic() {
    let (_dir, path) = tmp();
    let log = AuditLog::open(&path, key(), options(3), NOW).unwrap_or_else(|e| panic!("{e}"));
    let token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-Ab";
    let huge = "x".repeat(10 * 1024 * 1024);
    let mut deep = json!("bottom");
    // 400 levels: far past the 64 the log keeps and serde_json's 128, yet shallow enough for the
    // caller's own (recursive) clone and drop of the value on a test thread's stack.
    for _ in 0..200 {
        deep = json!({"a": [deep]});
    }
    let odd: Vec<Value> = vec![
        json!(huge),
        json!(format!("{huge} Bearer {token}")),
        deep,
        json!(null),
        json!([]),
        json!({}),
        json!({"": "", "\u{0}": "\u{7f}", "line\nbreak": "tab\there", "é😀": [1.5e300, -0.0, u64::MAX, i64::MIN]}),
        json!("\u{2028}\u{2029}\"\\"),
        json!({"Authorization": {"nested": token}, "password": [1, 2]}),
    ];
    for (i, request) in odd.into_iter().enumerate() {
        // Odd shapes in every field; the two 10 MB strings only in the request (debug builds
        // scan them slowly).
        let other = if i < 2 { json!("big") } else { request.clone() };
        log.decision(
            NOW,
            Decision {
                request,
                classification: other.clone(),
                route: other.clone(),
                approver: other,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    log.close(NOW).unwrap_or_else(|e| panic!("{e}"));
    let bytes = read(&path);
    let report = strict(&bytes);
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.entries, 9);
    // Every line reads back as JSON, and no token reached the file.
    for l in lines(&bytes) {
        assert!(serde_json::from_slice::<Value>(&l).is_ok());
    }
    let text = std::str::from_utf8(&bytes).unwrap_or_default();
    assert!(text.len() > 20_000_000 && !text.contains(token));
}

#[test]
fn verify_never_panics_on_garbage() {
    let (_dir, path) = tmp();
    write_log(&path, 3);
    let bytes = read(&path);
    let inputs: Vec<Vec<u8>> = vec![
        vec![],
        b"\n".to_vec(),
        b"\n\n\n".to_vec(),
        vec![0xff, 0xfe, b'\n'],
        b"[1,2,3]\n".to_vec(),
        b"{\"seq\":-1,\"kind\":\"decision\",\"prev\":\"\"}\n".to_vec(),
        b"{\"seq\":1,\"kind\":\"checkpoint\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n".to_vec(),
        b"{\"seq\":18446744073709551615,\"kind\":\"decision\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n".to_vec(),
        "[".repeat(100_000).into_bytes(),
        bytes.iter().rev().copied().collect(),
        [&bytes[..], &bytes[..]].concat(),
    ];
    for input in inputs {
        let report = verify(&input, Some(&key().verifying_key()));
        if !input.is_empty() {
            assert!(
                !report.ok,
                "{:?}",
                String::from_utf8_lossy(&input[..input.len().min(80)])
            );
        }
    }
}
