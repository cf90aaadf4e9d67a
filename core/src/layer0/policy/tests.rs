use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use super::*;
use crate::layer0::{Flag, Intent, RequestKind};

fn tool_call(tool: &str) -> Request {
    Request {
        kind: RequestKind::ToolCall,
        tool: Some(tool.to_owned()),
        arguments: Value::Null,
        text: None,
    }
}

fn classified(tool: &str, intent: Intent, flags: &[Flag]) -> Classification {
    Classification {
        intent,
        flags: flags.iter().copied().collect(),
        tool: Some(tool.to_owned()),
        zone: Some("example.com".into()),
        ..Default::default()
    }
}

fn ctx(approved: bool) -> Context {
    Context {
        zones_allowed: vec!["example.com".into()],
        account_id: Some("3f9c2a71b6d04e58a1c7e2094d6b8f13".into()),
        scopes: vec!["dns:edit".into()],
        approved,
    }
}

fn route_flags(policy: &Policy, flags: &[Flag], approved: bool) -> Decision {
    let c = classified("dns_record_manage", Intent::Mutate, flags);
    policy.route(&c, &tool_call("dns_record_manage"), &ctx(approved))
}

fn failed_closed(d: &Decision) -> bool {
    d.reasons.iter().any(|r| r.contains("failing closed"))
}

fn policy_message(err: Error) -> (String, String) {
    match err {
        Error::Policy {
            source_name,
            message,
        } => (source_name, message),
        other => panic!("expected Error::Policy, got {other:?}"),
    }
}

#[test]
fn default_policy_loads_in_source_order() {
    let p = Policy::default_policy();
    let ids = p.policy_ids();
    // Every flag has its rule, in the order the flags are listed by the policy document.
    let flag_rules: Vec<String> = Flag::ALL
        .iter()
        .map(|f| {
            let tier = if f.blocks() { "block" } else { "approve" };
            format!("{tier}.{f}")
        })
        .collect();
    let listed: Vec<String> = ids
        .iter()
        .filter(|id| flag_rules.contains(id))
        .cloned()
        .collect();
    assert_eq!(listed, flag_rules);
    assert_eq!(p.sources(), [DEFAULT_SOURCE_NAME]);
    assert!(ids.iter().any(|id| id == "approve.threat_intel_apply"));
    let permits = ids.iter().filter(|id| id.starts_with("allow.")).count();
    assert!(permits >= 2, "{ids:?}");
}

#[test]
fn policy_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Policy>();
    let p = Policy::default_policy();
    let handle = std::thread::spawn(move || route_flags(&p, &[Flag::Malformed], false).route);
    assert_eq!(handle.join().unwrap(), Route::Block);
}

#[test]
fn each_flag_routes_by_its_tier() {
    let p = Policy::default_policy();
    for flag in Flag::ALL {
        let d = route_flags(&p, &[flag], false);
        let expected = if flag.blocks() {
            Route::Block
        } else {
            Route::Approve
        };
        assert_eq!(d.route, expected, "{flag}: {d:?}");
        assert_eq!(d.policies, [format!("{expected}.{flag}")], "{flag}");
        assert_eq!(d.reasons, [format!("{expected}: {flag}")], "{flag}");
    }
}

#[test]
fn approval_lifts_approve_flags_but_not_block_flags() {
    let p = Policy::default_policy();
    for flag in Flag::ALL {
        let d = route_flags(&p, &[flag], true);
        if flag.blocks() {
            assert_eq!(d.route, Route::Block, "{flag} approved: {d:?}");
        } else {
            assert_eq!(d.route, Route::Allow, "{flag} approved: {d:?}");
            assert!(
                d.policies.iter().all(|id| id.starts_with("allow.")),
                "{d:?}"
            );
        }
    }
    let d = route_flags(&p, &[Flag::Destructive, Flag::MassChange], true);
    assert_eq!(d.route, Route::Block);
    assert_eq!(d.policies, ["block.mass_change"]);
}

#[test]
fn block_wins_over_approve_and_lists_only_block_policies_in_order() {
    let p = Policy::default_policy();
    let d = route_flags(
        &p,
        &[
            Flag::SensitiveRecord,
            Flag::Malformed,
            Flag::PromptInjection,
            Flag::SecurityDowngrade,
        ],
        false,
    );
    assert_eq!(d.route, Route::Block);
    assert_eq!(d.policies, ["block.prompt_injection", "block.malformed"]);
    assert_eq!(d.reasons, ["block: prompt_injection", "block: malformed"]);

    let d = route_flags(&p, &[Flag::SensitiveRecord, Flag::Destructive], false);
    assert_eq!(d.route, Route::Approve);
    assert_eq!(
        d.policies,
        ["approve.destructive", "approve.sensitive_record"]
    );
}

#[test]
fn reads_dry_runs_and_unflagged_changes_are_allowed() {
    let p = Policy::default_policy();
    let read = classified("waf_config_analyze", Intent::Read, &[]);
    let d = p.route(&read, &tool_call("waf_config_analyze"), &ctx(false));
    assert_eq!(
        (d.route, d.policies),
        (Route::Allow, vec!["allow.read".into()])
    );

    let mut dry = classified("dns_record_manage", Intent::Destroy, &[]);
    dry.dry_run = true;
    let d = p.route(&dry, &tool_call("dns_record_manage"), &ctx(false));
    assert_eq!(d.route, Route::Allow);
    assert!(d.policies.contains(&"allow.dry_run".to_string()), "{d:?}");

    let change = classified("waf_rule_configure", Intent::Mutate, &[]);
    let d = p.route(&change, &tool_call("waf_rule_configure"), &ctx(false));
    assert_eq!(
        (d.route, d.policies),
        (Route::Allow, vec!["allow.change".into()])
    );
}

#[test]
fn threat_intel_apply_needs_approval_unless_approved_or_dry_run() {
    let p = Policy::default_policy();
    let tool = "threat_intel_integrate";
    let request = tool_call(tool);
    let mut c = classified(tool, Intent::Mutate, &[]);
    c.mode = Some("apply".into());
    let d = p.route(&c, &request, &ctx(false));
    assert_eq!(d.route, Route::Approve);
    assert_eq!(d.policies, ["approve.threat_intel_apply"]);
    assert_eq!(p.route(&c, &request, &ctx(true)).route, Route::Allow);

    let mut dry = c.clone();
    dry.dry_run = true;
    assert_eq!(p.route(&dry, &request, &ctx(false)).route, Route::Allow);

    let mut propose = c.clone();
    propose.mode = Some("propose".into());
    assert_eq!(p.route(&propose, &request, &ctx(false)).route, Route::Allow);

    // The tool name comes from the request when the classification has none.
    let mut untold = c.clone();
    untold.tool = None;
    assert_eq!(
        p.route(&untold, &request, &ctx(false)).route,
        Route::Approve
    );

    // A query that asks to apply a feed; another tool's `mode` argument is not the feed's.
    let query = Request {
        kind: RequestKind::Query,
        tool: None,
        arguments: Value::Null,
        text: Some("apply the feed".into()),
    };
    let mut asked = c.clone();
    asked.tool = None;
    assert_eq!(p.route(&asked, &query, &ctx(false)).route, Route::Approve);
    let mut other = c.clone();
    other.tool = Some("zone_analytics_query".into());
    assert_eq!(
        p.route(&other, &tool_call("zone_analytics_query"), &ctx(false))
            .route,
        Route::Allow
    );
}

#[test]
fn an_unknown_tool_still_evaluates() {
    let p = Policy::default_policy();
    let odd_names = [
        "execute_shell".to_string(),
        "DNS_Record_Manage".to_string(),
        "quote\"and\\backslash\u{200b}\u{0}".to_string(),
        "x".repeat(100_000),
    ];
    for name in &odd_names {
        let mut c = classified(name, Intent::Mutate, &[]);
        c.zone = Some(name.clone());
        c.action = Some(name.clone());
        let d = p.route(&c, &tool_call(name), &Context::default());
        assert!(!failed_closed(&d), "{d:?}");
        assert_eq!(d.route, Route::Allow, "the router trusts the flags: {d:?}");

        c.flags.insert(Flag::UnknownTool);
        let d = p.route(&c, &tool_call(name), &Context::default());
        assert_eq!(
            (d.route, d.policies),
            (Route::Block, vec!["block.unknown_tool".into()])
        );
    }
    // A query has no tool and no zone: it is put to the policy against the account.
    let query = Request {
        kind: RequestKind::Query,
        tool: None,
        arguments: Value::Null,
        text: Some("hello".into()),
    };
    let d = p.route(&Classification::default(), &query, &Context::default());
    assert_eq!(d.route, Route::Allow);
    assert!(!failed_closed(&d));
}

#[test]
fn a_policy_without_a_matching_permit_fails_closed() {
    let p = Policy::from_cedar(
        r#"@id("reads") permit (principal, action == Action::"read", resource);"#,
        "reads.cedar",
    )
    .unwrap();
    let read = classified("zone_analytics_query", Intent::Read, &[]);
    assert_eq!(
        p.route(&read, &tool_call("zone_analytics_query"), &ctx(false))
            .route,
        Route::Allow
    );
    let d = route_flags(&p, &[], false);
    assert_eq!(d.route, Route::Block);
    assert!(d.policies.is_empty());
    assert!(
        failed_closed(&d) && d.reasons[0].contains("no permit"),
        "{d:?}"
    );

    let only_forbids = Policy::from_cedar(
        r#"@route("approve") forbid (principal, action, resource) when { context.risk > 90 };"#,
        "forbids.cedar",
    )
    .unwrap();
    assert_eq!(only_forbids.policy_ids(), ["forbids.cedar#1"]);
    let d = route_flags(&only_forbids, &[], false);
    assert_eq!(d.route, Route::Block);
    assert!(failed_closed(&d), "{d:?}");
}

#[test]
fn a_policy_that_cannot_be_evaluated_fails_closed() {
    // Valid against the schema, but overflows for risk >= 2: Cedar would skip the forbid and
    // let the permit allow the request.
    let p = Policy::from_cedar(
        r#"@id("overflow") @route("approve") forbid (principal, action, resource)
             when { context.risk * 4611686018427387904 > 0 };
           @id("all") permit (principal, action, resource);"#,
        "overflow.cedar",
    )
    .unwrap();
    let mut c = classified("dns_record_manage", Intent::Mutate, &[]);
    c.risk = 0;
    let request = tool_call("dns_record_manage");
    assert_eq!(p.route(&c, &request, &ctx(false)).route, Route::Allow);
    c.risk = 50;
    let d = p.route(&c, &request, &ctx(false));
    assert_eq!(d.route, Route::Block);
    assert_eq!(d.policies, ["overflow"]);
    assert!(
        failed_closed(&d) && d.reasons[0].contains("could not be evaluated"),
        "{d:?}"
    );
}

#[test]
fn an_extension_adds_a_forbid_to_the_default() {
    let base = Policy::default_policy();
    let p = base
        .with_extension(
            r#"// Production zones need a human for every change.
               @id("site.prod_changes") @route("approve") @reason("change to a production zone")
               forbid (principal, action in [Action::"mutate", Action::"destroy"], resource == Zone::"example.com")
               unless { context.approved };
               @id("site.no_purge") @route("block")
               forbid (principal, action, resource) when { context.tool == "cache_purge" };"#,
            "site.cedar",
        )
        .unwrap();
    assert_eq!(p.sources(), [DEFAULT_SOURCE_NAME, "site.cedar"]);
    assert_eq!(
        &p.policy_ids()[..base.policy_ids().len()],
        base.policy_ids()
    );

    let d = route_flags(&p, &[], false);
    assert_eq!(d.route, Route::Approve);
    assert_eq!(d.policies, ["site.prod_changes"]);
    assert_eq!(d.reasons, ["approve: change to a production zone"]);
    assert_eq!(route_flags(&p, &[], true).route, Route::Allow);
    // The default's rules still apply, and come first.
    let d = route_flags(&p, &[Flag::Destructive], false);
    assert_eq!(d.policies, ["approve.destructive", "site.prod_changes"]);

    let purge = classified("cache_purge", Intent::Mutate, &[]);
    let d = p.route(&purge, &tool_call("cache_purge"), &ctx(true));
    assert_eq!(
        (d.route, d.reasons),
        (Route::Block, vec!["block: site.no_purge".into()])
    );
    // The base policy is unchanged.
    assert_eq!(
        base.route(&purge, &tool_call("cache_purge"), &ctx(true))
            .route,
        Route::Allow
    );
}

#[test]
fn an_extension_cannot_reuse_an_id() {
    let err = Policy::default_policy()
        .with_extension(
            r#"@id("block.malformed") @route("block") forbid (principal, action, resource);"#,
            "dup.cedar",
        )
        .unwrap_err();
    let (source, message) = policy_message(err);
    assert_eq!(source, "dup.cedar");
    assert!(
        message.contains("\"block.malformed\"") && message.contains("already used"),
        "{message}"
    );

    let err = Policy::from_cedar(
        r#"@id("a") permit (principal, action, resource);
           @id("a") permit (principal, action, resource);"#,
        "twice.cedar",
    )
    .unwrap_err();
    let (_, message) = policy_message(err);
    assert!(message.contains("line 2"), "{message}");
}

#[test]
fn a_syntax_error_is_refused_with_cedars_message_and_position() {
    let text = "@id(\"ok\") permit (principal, action, resource);\n\npermit (principal, action resource);\n";
    let cedar_message = cedar::PolicySet::from_str(text).unwrap_err().to_string();
    let err = Policy::from_cedar(text, "broken.cedar").unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("broken.cedar: "), "{shown}");
    let (source, message) = policy_message(err);
    assert_eq!(source, "broken.cedar");
    assert!(
        message.contains(&cedar_message),
        "{message} lacks {cedar_message}"
    );
    assert!(message.contains("line 3, column"), "{message}");
    assert!(message.contains("fix the Cedar syntax"), "{message}");
}

#[test]
fn a_policy_that_fails_validation_is_refused_with_cedars_message() {
    let text = "@id(\"ok\") permit (principal, action, resource);\n@route(\"block\")\nforbid (principal, action, resource)\n  when { context.flags.contains(\"x\") && context.risky };\n";
    let schema = schema().unwrap();
    let set = cedar::PolicySet::from_str(text).unwrap();
    let validation = cedar::Validator::new(schema).validate(&set, cedar::ValidationMode::Strict);
    let cedar_messages: Vec<String> = validation
        .validation_errors()
        .map(|e| e.to_string())
        .collect();
    assert!(!cedar_messages.is_empty(), "Cedar rejects the policy");
    let (source, message) = policy_message(Policy::from_cedar(text, "typo.cedar").unwrap_err());
    assert_eq!(source, "typo.cedar");
    for cedar_message in &cedar_messages {
        // Cedar names the policy by its id; ours are renamed, so compare past the id.
        let tail = cedar_message
            .split_once("`, ")
            .map_or(cedar_message.as_str(), |(_, t)| t);
        assert!(message.contains(tail), "{message} lacks {tail}");
    }
    assert!(
        message.contains("risky") && message.contains("line 4, column"),
        "{message}"
    );

    // Wrong types, unknown entity types and actions fail the same way.
    for bad in [
        r#"permit (principal, action, resource) when { context.risk == "high" };"#,
        r#"permit (principal == User::"alice", action, resource);"#,
        r#"permit (principal, action == Action::"delete_zone", resource);"#,
    ] {
        let (_, message) = policy_message(Policy::from_cedar(bad, "bad.cedar").unwrap_err());
        assert!(message.contains("fails validation"), "{bad}: {message}");
    }
}

#[test]
fn annotations_cfcp_cannot_read_are_refused() {
    let cases = [
        (
            r#"@route("maybe") forbid (principal, action, resource);"#,
            "@route(\"maybe\")",
        ),
        (
            r#"@route("block") permit (principal, action, resource);"#,
            "@route(\"block\")",
        ),
        (
            r#"@route("allow") forbid (principal, action, resource);"#,
            "@route(\"allow\")",
        ),
        (r#"forbid (principal, action, resource);"#, "needs @route"),
        (
            r#"@rout("block") forbid (principal, action, resource);"#,
            "@rout",
        ),
        (
            r#"@id("") permit (principal, action, resource);"#,
            "@id is empty",
        ),
    ];
    for (text, expected) in cases {
        let (_, message) = policy_message(Policy::from_cedar(text, "a.cedar").unwrap_err());
        assert!(message.contains(expected), "{text}: {message}");
        assert!(message.contains("line 1, column 1"), "{text}: {message}");
    }
}

#[test]
fn templates_and_empty_policies_are_refused() {
    let (_, message) = policy_message(
        Policy::from_cedar(
            "permit (principal == ?principal, action, resource);",
            "t.cedar",
        )
        .unwrap_err(),
    );
    assert!(message.contains("template"), "{message}");
    for empty in ["", "// nothing but a comment\n"] {
        let (_, message) = policy_message(Policy::from_cedar(empty, "e.cedar").unwrap_err());
        assert!(message.contains("no policy"), "{message}");
    }
    assert!(Policy::default_policy()
        .with_extension("", "e.cedar")
        .is_err());
}

#[test]
fn line_column_counts_characters_from_one() {
    let text = "ab\ncé\u{1F600}x";
    assert_eq!(line_column(text, 0), (1, 1));
    assert_eq!(line_column(text, 3), (2, 1));
    let x = text.find('x').unwrap();
    assert_eq!(line_column(text, x), (2, 4));
    // Inside a multi-byte character, and past the end: clamped, no panic.
    assert_eq!(line_column(text, x - 1), (2, 3));
    assert_eq!(line_column(text, 10_000).0, 2);
}

// ---- the default policy against the corpus ----------------------------------------------------

/// `shared/corpus/<name>` beside the checkout (or any ancestor of it).
fn shared_corpus(name: &str) -> Option<PathBuf> {
    let found = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared").join("corpus").join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!(
            "SKIPPED: ../shared absent (no shared/corpus/{name} beside {}): the default policy was NOT checked against the corpus",
            env!("CARGO_MANIFEST_DIR")
        );
    }
    found
}

/// A classification that holds exactly the row's labelled flags, with the facts the policy
/// reads taken from the row's arguments.
fn labelled_classification(row: &Value) -> Classification {
    let args = &row["arguments"];
    let operation = args.get("action").and_then(Value::as_str);
    let intent = match operation {
        Some("delete") => Intent::Destroy,
        None | Some("list" | "get" | "validate" | "simulate") => Intent::Read,
        Some(_) => Intent::Mutate,
    };
    Classification {
        intent,
        flags: row["expected"]["flags"]
            .as_array()
            .expect("expected.flags")
            .iter()
            .map(|f| f.as_str().expect("flag name").parse().expect("known flag"))
            .collect(),
        tool: row["tool"].as_str().map(str::to_owned),
        action: operation.map(str::to_owned),
        zone: args.get("zone").and_then(Value::as_str).map(str::to_owned),
        dry_run: args.get("dry_run") == Some(&Value::Bool(true)),
        mode: args
            .get("mode")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| query_mode(row)),
        ..Default::default()
    }
}

/// The feed mode a query names in so many words ("... (mode apply)"): the classifier's job to
/// report, stated here so the policy can be tested on its own.
fn query_mode(row: &Value) -> Option<String> {
    let text = row["text"].as_str()?.to_lowercase();
    ["mode apply", "mode=apply", "mode: apply"]
        .iter()
        .any(|p| text.contains(p))
        .then(|| "apply".to_owned())
}

#[test]
fn default_policy_routes_every_corpus_row_from_its_labelled_flags() {
    let Some(path) = shared_corpus("layer0-dev.jsonl") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("readable corpus");
    let policy = Policy::default_policy();
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Value = serde_json::from_str(line).expect("corpus row is JSON");
        let request = Request::from_value(&row).unwrap_or_else(|_| Request {
            kind: RequestKind::ToolCall,
            tool: row["tool"].as_str().map(str::to_owned),
            arguments: row["arguments"].clone(),
            text: None,
        });
        let context = Context::from_value(&row["context"]).expect("corpus context");
        let expected: Route = row["expected"]["route"].as_str().unwrap().parse().unwrap();
        let d = policy.route(&labelled_classification(&row), &request, &context);
        if d.route != expected || failed_closed(&d) {
            wrong.push(format!("{}: expected {expected}, got {d:?}", row["id"]));
        }
        rows += 1;
    }
    eprintln!(
        "layer0 default policy: {} of {rows} corpus rows routed as labelled",
        rows - wrong.len()
    );
    assert_eq!(rows, 230, "the corpus README promises 230 rows");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Percentiles of a sample, in microseconds.
fn micros(samples: &mut [std::time::Duration], q: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 * q) as usize).min(samples.len() - 1);
    samples[i].as_secs_f64() * 1e6
}

/// `cargo test --release -p cfcp --lib layer0::policy -- --ignored --nocapture route_latency`
///
/// Cold: a decision Cedar has to make (first sight of an input). Warm: one the policy has
/// made before. The budget applies to both.
#[test]
#[ignore = "timing: run in release on a quiet machine"]
fn route_latency() {
    let policy = Policy::default_policy();
    let flag_sets: [&[Flag]; 5] = [
        &[],
        &[Flag::Destructive, Flag::SensitiveRecord],
        &[
            Flag::PromptInjection,
            Flag::SecretExfiltration,
            Flag::SecurityDowngrade,
        ],
        &[Flag::UnknownTool],
        &[Flag::SecurityDowngrade],
    ];
    let cases: Vec<(Classification, Request, Context)> = flag_sets
        .iter()
        .enumerate()
        .flat_map(|(i, flags)| {
            [Intent::Read, Intent::Mutate, Intent::Destroy]
                .into_iter()
                .map(move |intent| {
                    let tool = format!("tool_{i}");
                    (
                        classified(&tool, intent, flags),
                        tool_call(&tool),
                        ctx(i % 2 == 0),
                    )
                })
        })
        .collect();
    let rounds = 2_000;
    let mut cold = Vec::with_capacity(rounds * cases.len());
    let mut warm = Vec::with_capacity(rounds * cases.len());
    for _ in 0..rounds {
        for (c, r, x) in &cases {
            let start = Instant::now();
            let d = policy.inner.decide(&Input::new(c, r, x));
            cold.push(start.elapsed());
            std::hint::black_box(d);
            let start = Instant::now();
            let d = policy.route(c, r, x);
            warm.push(start.elapsed());
            std::hint::black_box(d);
        }
    }
    let (cold50, cold99) = (micros(&mut cold, 0.5), micros(&mut cold, 0.99));
    let (warm50, warm99) = (micros(&mut warm, 0.5), micros(&mut warm, 0.99));
    eprintln!(
        "route latency over {} calls each: cold (Cedar) p50 {cold50:.1} µs, p99 {cold99:.1} µs; warm (remembered) p50 {warm50:.2} µs, p99 {warm99:.2} µs",
        cold.len()
    );
    assert!(cold99 < 50.0 && warm99 < 50.0, "over the 50 µs budget");
}

#[test]
fn built_requests_conform_to_the_schema() {
    let p = Policy::default_policy();
    let schema = schema().unwrap();
    let mut odd = classified("x\"\u{0}", Intent::Read, &Flag::ALL);
    odd.risk = u8::MAX;
    odd.mode = Some("apply".into());
    odd.action = Some("delete".into());
    odd.dry_run = true;
    for intent in [Intent::Read, Intent::Mutate, Intent::Destroy] {
        for zone in [Some("example.com".to_string()), None, Some(String::new())] {
            for account in [Some("3f9c".to_string()), None] {
                for base in [classified("dns_record_manage", intent, &[]), odd.clone()] {
                    let c = Classification {
                        intent,
                        zone: zone.clone(),
                        ..base
                    };
                    let x = Context {
                        account_id: account.clone(),
                        ..ctx(true)
                    };
                    for r in [
                        tool_call("t"),
                        Request {
                            kind: RequestKind::Query,
                            tool: None,
                            arguments: Value::Null,
                            text: Some("q".into()),
                        },
                    ] {
                        let input = Input::new(&c, &r, &x);
                        if let Err(e) = p.inner.cedar_request(&input, Some(&schema)) {
                            panic!("{c:?} {x:?}: {e}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_remembered_decision_is_the_one_cedar_gives() {
    let p = Policy::default_policy()
        .with_extension(
            r#"@id("zone") @route("approve") forbid (principal, action, resource == Zone::"shop.example.com")
             when { context.risk > 10 && context.operation == "create" && context.account like "3f*" }
             unless { context.approved };"#,
            "memo.cedar",
        )
        .unwrap();
    let base = classified("dns_record_manage", Intent::Mutate, &[]);
    let request = tool_call("dns_record_manage");
    // Each variant changes one thing Cedar is given; each must be decided on its own.
    let mut variants: Vec<(Classification, Context)> = vec![(base.clone(), ctx(false))];
    let mut v = base.clone();
    v.zone = Some("shop.example.com".into());
    v.risk = 20;
    v.action = Some("create".into());
    variants.push((v.clone(), ctx(false)));
    variants.push((v.clone(), ctx(true)));
    let mut other_account = ctx(false);
    other_account.account_id = Some("9".into());
    variants.push((v.clone(), other_account));
    let mut w = v.clone();
    w.risk = 5;
    variants.push((w, ctx(false)));
    let mut w = v.clone();
    w.action = Some("update".into());
    variants.push((w, ctx(false)));
    let mut w = v.clone();
    w.flags.insert(Flag::Destructive);
    variants.push((w.clone(), ctx(false)));
    w.flags.insert(Flag::Malformed);
    variants.push((w, ctx(false)));
    let mut w = v.clone();
    w.intent = Intent::Read;
    variants.push((w, ctx(false)));
    let mut w = v.clone();
    w.dry_run = true;
    variants.push((w, ctx(false)));
    let mut w = v.clone();
    w.tool = Some("threat_intel_integrate".into());
    w.mode = Some("apply".into());
    variants.push((w.clone(), ctx(false)));
    w.mode = Some("propose".into());
    variants.push((w, ctx(false)));

    let fresh: Vec<Decision> = variants
        .iter()
        .map(|(c, x)| p.inner.decide(&Input::new(c, &request, x)))
        .collect();
    for round in 0..3 {
        for ((c, x), expected) in variants.iter().zip(&fresh) {
            assert_eq!(
                &p.route(c, &request, x),
                expected,
                "round {round}: {c:?} {x:?}"
            );
        }
    }
    let routes: std::collections::BTreeSet<Route> = fresh.iter().map(|d| d.route).collect();
    assert_eq!(routes.len(), 3, "the variants reach every route: {fresh:?}");

    // Keys differ for every variant; a huge input is not remembered but still routed.
    let keys: std::collections::HashSet<String> = variants
        .iter()
        .map(|(c, x)| Input::new(c, &request, x).key().unwrap())
        .collect();
    assert_eq!(keys.len(), variants.len());
    let mut huge = base.clone();
    huge.tool = Some("t".repeat(MEMO_MAX_KEY_BYTES));
    assert!(Input::new(&huge, &request, &ctx(false)).key().is_none());
    assert_eq!(p.route(&huge, &request, &ctx(false)).route, Route::Allow);
}

#[test]
fn the_memo_starts_over_when_full() {
    let p = Policy::from_cedar(r#"permit (principal, action, resource);"#, "all.cedar").unwrap();
    let request = tool_call("t");
    for i in 0..MEMO_CAPACITY + 10 {
        let c = classified(&format!("tool{i}"), Intent::Read, &[]);
        assert_eq!(p.route(&c, &request, &ctx(false)).route, Route::Allow);
    }
    let held = p.inner.memo.decisions.read().unwrap().len();
    assert!((10..=MEMO_CAPACITY).contains(&held), "{held}");
}
