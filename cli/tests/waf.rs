//! End-to-end tests of `cfcp waf ...`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn cfcp(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cfcp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cfcp runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn shared() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!("CONFORMANCE SKIPPED: ../shared not found at {} — the expression corpus was not checked", path.display());
        None
    }
}

#[test]
fn validate_one_expression_renders_a_caret_and_suggestion() {
    let out = cfcp(
        &["waf", "validate", r#"http.request.uri.path contans "/x""#],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("did you mean `contains`") && text.contains("^^^^^^^"),
        "{text}"
    );
    assert_eq!(
        cfcp(&["waf", "validate", "ip.src in $cf.malware"], None)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        cfcp(
            &[
                "waf",
                "validate",
                "--value",
                r#"concat("/v2", http.request.uri.path)"#
            ],
            None
        )
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn batch_lines_map_one_to_one_and_malformed_input_exits_2() {
    let input = "{\"id\":\"a\",\"expression\":\"true\"}\n{\"id\":\"b\",\"expression\":\"http.host eq\"}\nnot json\n";
    let out = cfcp(&["waf", "validate", "--batch", "-"], Some(input));
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (lines[0]["valid"].as_bool(), lines[1]["valid"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(lines[1]["error"]["offset"].as_u64().is_some());
    assert!(lines[2]["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("input line 3"));
}

/// Acceptance: on the labelled corpus, `cfcp waf validate --batch` agrees with `expected_valid`
/// on every row where it is not null.
#[test]
fn conformance_batch_agrees_with_the_labelled_corpus() {
    let Some(shared) = shared() else { return };
    let corpus = shared.join("corpus/expressions-dev.jsonl");
    let out = cfcp(
        &["waf", "validate", "--batch", corpus.to_str().unwrap()],
        None,
    );
    let rows: Vec<Value> = std::fs::read_to_string(&corpus)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), results.len());
    let mut disagreements = Vec::new();
    for (row, result) in rows.iter().zip(&results) {
        assert_eq!(row["id"], result["id"]);
        if let Some(expected) = row["expected_valid"].as_bool() {
            if result["valid"].as_bool() != Some(expected) {
                disagreements.push(format!("{}: expected {expected}, got {result}", row["id"]));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

fn demo() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/snapshots/demo.json")
        .display()
        .to_string()
}

#[test]
fn analyze_finds_the_planted_problems() {
    let out = cfcp(&["waf", "analyze", &demo(), "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for planted in [
        "waf_skip_too_broad",
        "waf_managed_log_only",
        "waf_deprecated_field",
        "waf_condition_never_matches",
    ] {
        assert!(text.contains(planted), "missing {planted}");
    }
    let analysis: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(analysis["format"], "cfcp.waf-analysis/v1");
}

#[test]
fn simulate_prints_the_trace_and_final_action() {
    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("req.json");
    std::fs::write(&request, r#"{"method":"GET","host":"acme-shop.com","path":"/wp-login.php","client_ip":"203.0.113.9"}"#).unwrap();
    let out = cfcp(
        &[
            "waf",
            "simulate",
            &demo(),
            "--zone",
            "acme-shop.com",
            "--request",
            request.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(trace["final_action"], "block");
    let out = cfcp(
        &[
            "waf",
            "simulate",
            &demo(),
            "--zone",
            "nope.example",
            "--request",
            request.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("acme-shop.com"),
        "names the known zones"
    );
}

#[test]
fn propose_writes_api_calls_hcl_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("drop.txt");
    std::fs::write(&feed, "; Spamhaus DROP\n1.10.16.0/20 ; SBL256894\n45.155.205.0/24 ; SBL593912\ngarbage line here\n10.0.0.0/8 ; SBL1\n").unwrap();
    let out_dir = dir.path().join("out");
    let out = cfcp(
        &[
            "waf",
            "propose",
            "--intel",
            feed.to_str().unwrap(),
            "--format",
            "spamhaus-drop",
            "--snapshot",
            &demo(),
            "--zone",
            "acme-api.io",
            "--out-dir",
            out_dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a garbage line is reported: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("drop.txt:4"));
    let hcl = std::fs::read_to_string(out_dir.join("main.tf")).unwrap();
    assert!(
        hcl.contains("1.10.16.0/20")
            && hcl.contains("45.155.205.0/24")
            && !hcl.contains("10.0.0.0/8"),
        "{hcl}"
    );
    let calls: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("proposal.json")).unwrap())
            .unwrap();
    assert!(calls.as_array().unwrap().len() >= 2);
    assert!(out_dir.join("summary.md").exists());
}

#[test]
fn gaps_report_gaps_with_proposals() {
    let out = cfcp(&["waf", "gaps", &demo(), "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["format"], "cfcp.waf-gaps/v1");
    assert!(String::from_utf8_lossy(&out.stdout).contains("acme-internal.net"));
}
