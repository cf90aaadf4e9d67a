use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::audit::{verify, AuditLog, AuditOptions, SigningKey};
use crate::layer0::{Flag, Intent, RequestKind};

fn request(tool: &str) -> Request {
    Request {
        kind: RequestKind::ToolCall,
        tool: Some(tool.to_owned()),
        arguments: json!({"action": "delete", "zone": "example.com"}),
        text: None,
    }
}

fn classified(flags: &[Flag]) -> Classification {
    Classification {
        intent: Intent::Destroy,
        flags: flags.iter().copied().collect(),
        tool: Some("dns_record_manage".into()),
        zone: Some("example.com".into()),
        ..Default::default()
    }
}

/// The default policy plus a forbid that blocks every destructive request.
fn stricter() -> Policy {
    Policy::default_policy()
        .with_extension(
            r#"@id("candidate.no_deletes") @route("block") @reason("no deletes")
               forbid (principal, action, resource) when { context.flags.contains("destructive") };"#,
            "candidate.cedar",
        )
        .unwrap()
}

#[test]
fn the_shadow_never_changes_the_active_decision() {
    let active = Policy::default_policy();
    let candidate = stricter();
    let ctx = Context::default();
    for flags in [
        vec![],
        vec![Flag::Destructive],
        vec![Flag::Destructive, Flag::PromptInjection],
        vec![Flag::SensitiveRecord],
    ] {
        let c = classified(&flags);
        let r = request("dns_record_manage");
        let outcome = shadow_route(&active, &candidate, &c, &r, &ctx);
        assert_eq!(outcome.active, active.route(&c, &r, &ctx), "{flags:?}");
        assert_eq!(outcome.shadow, candidate.route(&c, &r, &ctx), "{flags:?}");
        assert_eq!(outcome.agree, outcome.active.route == outcome.shadow.route);
    }
    let outcome = shadow_route(
        &active,
        &candidate,
        &classified(&[Flag::Destructive]),
        &request("dns_record_manage"),
        &ctx,
    );
    assert!(!outcome.agree);
    assert_eq!(outcome.shadow.policies, ["candidate.no_deletes"]);
}

#[test]
fn a_disagreement_record_holds_both_decisions_and_the_evidence() {
    let c = {
        let mut c = classified(&[]);
        c.flag(crate::layer0::Evidence {
            flag: Flag::Destructive,
            rule: "dns.delete_one_record".into(),
            location: "arguments.action".into(),
            span: None,
            detail: "deletes one record".into(),
        });
        c
    };
    let r = request("dns_record_manage");
    let outcome = shadow_route(
        &Policy::default_policy(),
        &stricter(),
        &c,
        &r,
        &Context::default(),
    );
    let audit::Record::Other { kind, fields } = disagreement_record(&outcome, &r, &c) else {
        panic!("expected an Other record");
    };
    assert_eq!(kind, DISAGREEMENT_KIND);
    assert_eq!(
        fields["active"],
        serde_json::to_value(&outcome.active).unwrap()
    );
    assert_eq!(
        fields["shadow"],
        serde_json::to_value(&outcome.shadow).unwrap()
    );
    assert_eq!(fields["request"]["tool"], "dns_record_manage");
    assert_eq!(fields["classification"]["flags"], json!(["destructive"]));
    assert_eq!(
        fields["classification"]["evidence"][0]["rule"],
        "dns.delete_one_record"
    );
    let back: ShadowOutcome = serde_json::from_value(json!({
        "active": fields["active"], "shadow": fields["shadow"], "agree": false
    }))
    .unwrap();
    assert_eq!(back, outcome);
}

#[test]
fn disagreements_logged_to_an_audit_log_are_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let key = SigningKey::from_bytes(&[7; 32]);
    let public = key.verifying_key();
    let now = time::macros::datetime!(2026-11-01 12:00 UTC);
    let log = AuditLog::open(&path, key, AuditOptions::default(), now).unwrap();

    let active = Policy::default_policy();
    let candidate = stricter();
    let counter = ShadowCounter::new();
    let ctx = Context::default();
    let token = "Zx9".repeat(13) + "Q"; // 40 characters: looks like a Cloudflare API token
    let requests = [
        (
            classified(&[Flag::Destructive]),
            request("dns_record_manage"),
        ),
        (classified(&[]), request("dns_record_manage")),
        (
            classified(&[Flag::Destructive, Flag::SensitiveRecord]),
            request("dns_record_manage"),
        ),
        (
            classified(&[Flag::Destructive]),
            Request {
                kind: RequestKind::Query,
                tool: None,
                arguments: serde_json::Value::Null,
                text: Some(format!("delete the record, my token is {token}")),
            },
        ),
        (
            classified(&[Flag::PromptInjection, Flag::Destructive]),
            request("dns_record_manage"),
        ),
    ];
    let mut logged_seqs = Vec::new();
    for (c, r) in &requests {
        let outcome = shadow_route(&active, &candidate, c, r, &ctx);
        counter.record(&outcome);
        if !outcome.agree {
            let receipt = log
                .append(now, disagreement_record(&outcome, r, c))
                .unwrap();
            logged_seqs.push(receipt.seq);
        }
    }
    log.close(now).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        verify(&bytes, Some(&public)).ok,
        "the records are ordinary audit entries"
    );
    assert!(
        !String::from_utf8_lossy(&bytes).contains(&token),
        "the writer redacts the request"
    );

    // Rows 1, 3 and 4 disagree (approve -> block); row 2 has no flag and row 5 is blocked by both.
    let counts = counter.counts();
    assert_eq!((counts.routed, counts.disagreed), (5, 3));
    let report = shadow_report(&bytes);
    assert_eq!(report.disagreements, 3);
    assert_eq!(report.unreadable, 0, "{:?}", report.unreadable_lines);
    assert_eq!(
        report.pairs,
        [RoutePair {
            active: Route::Approve,
            shadow: Route::Block,
            count: 3
        }]
    );
    let destructive = report
        .flags
        .iter()
        .find(|f| f.flag == "destructive")
        .unwrap();
    assert_eq!(destructive.count, 3);
    assert_eq!(report.flags[0], *destructive, "most frequent first");
    assert_eq!(report.without_flags, 0);
    let seqs: Vec<Option<u64>> = report.examples.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        logged_seqs.iter().map(|s| Some(*s)).collect::<Vec<_>>()
    );
    assert_eq!(report.examples[0].shadow_policies, ["candidate.no_deletes"]);
    assert!(
        report.examples[2]
            .request
            .starts_with("query \"delete the record"),
        "{}",
        report.examples[2].request
    );
    // Checkpoint and seal lines are read and passed over.
    assert!(report.lines > report.disagreements);

    let text = report.to_text();
    assert!(text.contains("shadow disagreements: 3"), "{text}");
    assert!(text.contains("approve -> block"), "{text}");
    assert!(text.contains(&format!("seq {}", logged_seqs[0])), "{text}");
    assert!(text.contains("candidate.no_deletes"), "{text}");
}

#[test]
fn a_report_lists_unreadable_lines_and_never_panics() {
    let good = br#"{"active":{"route":"approve","policies":["approve.destructive"]},"classification":{"flags":["destructive"]},"kind":"shadow_disagreement","request":{"kind":"tool_call","tool":"dns_record_manage"},"seq":4,"shadow":{"route":"block"}}"#;
    let mut log = Vec::new();
    log.extend_from_slice(b"{\"kind\":\"decision\",\"seq\":1}\n");
    log.extend_from_slice(b"not json at all\n");
    log.extend_from_slice(b"[1,2,3]\n");
    log.extend_from_slice(b"\xff\xfe{\"kind\":\"shadow_disagreement\"}\n");
    log.extend_from_slice(b"{\"kind\":\"shadow_disagreement\",\"active\":{\"route\":\"sideways\"},\"shadow\":{\"route\":\"block\"}}\n");
    log.extend_from_slice(b"\n   \n");
    log.extend_from_slice(good);
    log.extend_from_slice(b"\n{\"kind\":\"shadow_disag"); // torn last line
    let report = shadow_report(&log);
    assert_eq!(report.lines, 7);
    assert_eq!(report.disagreements, 1);
    let lines: Vec<usize> = report.unreadable_lines.iter().map(|u| u.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 9]);
    assert_eq!(report.unreadable, 5);
    assert!(
        report.unreadable_lines[3].message.contains("routes"),
        "{:?}",
        report.unreadable_lines[3]
    );
    assert_eq!(report.examples[0].line, 8);
    let text = report.to_text();
    assert!(
        text.contains("unreadable lines: 5") && text.contains("line 9:"),
        "{text}"
    );

    // Many bad lines: all counted, the first few listed.
    let junk = "x\n".repeat(MAX_UNREADABLE_LISTED + 5);
    let report = shadow_report(junk.as_bytes());
    assert_eq!(report.unreadable, MAX_UNREADABLE_LISTED + 5);
    assert_eq!(report.unreadable_lines.len(), MAX_UNREADABLE_LISTED);
    assert!(report.to_text().contains("... and 5 more"));

    // Arbitrary bytes: a report, not a panic.
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let report = shadow_report(&noise);
    assert_eq!(report.disagreements, 0);
    assert_eq!(report.unreadable, report.lines);
}

#[test]
fn examples_stop_at_the_limit_but_counts_do_not() {
    let line = |seq: usize, flags: &str| {
        format!(
            r#"{{"active":{{"route":"allow"}},"classification":{{"flags":{flags}}},"kind":"shadow_disagreement","request":{{"kind":"query","text":"{}"}},"seq":{seq},"shadow":{{"route":"approve"}}}}"#,
            "word ".repeat(30)
        )
    };
    let mut log = String::new();
    for seq in 1..=MAX_EXAMPLES + 3 {
        let flags = if seq % 2 == 0 {
            r#"["destructive","destructive"]"#
        } else {
            "[]"
        };
        log.push_str(&line(seq, flags));
        log.push('\n');
    }
    let report = shadow_report(log.as_bytes());
    let n = MAX_EXAMPLES + 3;
    assert_eq!(report.disagreements, n);
    assert_eq!(report.examples.len(), MAX_EXAMPLES);
    assert_eq!(
        report.flags,
        [FlagCount {
            flag: "destructive".into(),
            count: n / 2
        }]
    );
    assert_eq!(report.without_flags, n - n / 2);
    assert!(
        report.examples[0].request.ends_with("…\""),
        "{}",
        report.examples[0].request
    );
    assert!(report.to_text().contains("(no flag)"));
}

#[test]
fn the_counter_is_exact_under_concurrency() {
    let counter = Arc::new(ShadowCounter::new());
    let agree = ShadowOutcome {
        active: Policy::default_policy().route(
            &classified(&[]),
            &request("x"),
            &Context::default(),
        ),
        shadow: Policy::default_policy().route(
            &classified(&[]),
            &request("x"),
            &Context::default(),
        ),
        agree: true,
    };
    let disagree = ShadowOutcome {
        agree: false,
        ..agree.clone()
    };
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let counter = Arc::clone(&counter);
            let (agree, disagree) = (agree.clone(), disagree.clone());
            std::thread::spawn(move || {
                for i in 0..1000 {
                    counter.record(if i % 4 == 0 { &disagree } else { &agree });
                    let now = counter.counts();
                    assert!(now.disagreed <= now.routed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        counter.counts(),
        ShadowCounts {
            routed: 4000,
            disagreed: 1000
        }
    );
}
