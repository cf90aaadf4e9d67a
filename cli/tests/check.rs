//! End-to-end tests of `cfcp check`, the main job.

use std::path::PathBuf;
use std::process::{Command, Output};

use cfcp::snapshot::{Snapshot, DEMO_SNAPSHOT_JSON};
use fake_cloudflare::{FakeConfig, FakeHandle};
use serde_json::Value;

fn cfcp(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cfcp"));
    for var in [
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_BASE_URL",
        "NO_COLOR",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied())
        .args(args)
        .output()
        .expect("cfcp runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn demo_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/snapshots/demo.json")
}

#[test]
fn without_input_or_token_it_checks_the_demo_and_says_so_first() {
    let out = cfcp(&[], &["check", "--color", "never"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the demo has findings: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("Checking the bundled demo snapshot"),
        "{text}"
    );
    for expected in [
        "acme-internal.net",
        "zone_ssl_strict",
        "compliance rate",
        "fix:",
    ] {
        assert!(text.contains(expected), "missing {expected:?}");
    }
    assert!(!text.contains("\u{1b}["), "no colour when asked for none");
}

#[test]
fn json_report_follows_the_contract() {
    let out = cfcp(&[], &["check", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["format"], "cfcp.report/v1");
    let s = &report["summary"];
    let total = ["passed", "failed", "muted", "unknown"]
        .iter()
        .map(|k| s[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(total as usize, report["findings"].as_array().unwrap().len());
    assert!(s["checks"].as_u64().unwrap() >= 45);
    let f = &report["findings"][0];
    for key in [
        "check_id",
        "title",
        "severity",
        "status",
        "resource",
        "message",
        "remediation",
        "compliance",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}");
    }
    assert!(stderr(&out).starts_with("Checking the bundled demo snapshot"));
}

#[test]
fn fail_on_sets_the_exit_code() {
    let demo = demo_path();
    let demo = demo.to_str().unwrap();
    assert_eq!(
        cfcp(&[], &["check", demo, "--fail-on", "critical"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        cfcp(&[], &["check", demo, "--fail-on", "high"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        cfcp(&[], &["check", demo, "--fail-on", "none"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        cfcp(&[], &["check", demo, "--fail-on", "severe"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn every_format_renders() {
    let demo = demo_path();
    for format in ["text", "json", "sarif", "junit", "markdown", "gitlab"] {
        let out = cfcp(&[], &["check", demo.to_str().unwrap(), "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        assert!(out.stdout.len() > 1000, "{format} output is too small");
    }
    let sarif: Value = serde_json::from_slice(
        &cfcp(&[], &["check", demo.to_str().unwrap(), "--format", "sarif"]).stdout,
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn diff_labels_a_regression_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let out = cfcp(
        &[],
        &[
            "check",
            demo_path().to_str().unwrap(),
            "--format",
            "json",
            "-o",
            old.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let mut changed: Value = serde_json::from_str(DEMO_SNAPSHOT_JSON).unwrap();
    for setting in changed["zones"][0]["settings"].as_array_mut().unwrap() {
        if setting["id"] == "ssl" {
            setting["value"] = "flexible".into();
        }
    }
    let new = write(&dir, "new.json", &changed.to_string());
    let out = cfcp(
        &[],
        &[
            "check",
            "--diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--color",
            "never",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("REGRESSION"), "{}", stdout(&out));
    assert!(stdout(&out).contains("zone_ssl_strict"));

    let same = cfcp(
        &[],
        &[
            "check",
            "--diff",
            old.to_str().unwrap(),
            demo_path().to_str().unwrap(),
        ],
    );
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
}

#[test]
fn waivers_mute_findings() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = write(
        &dir,
        "waivers.json",
        r#"[{"check_id":"zone_ssl_strict","resource":"acme-internal.net","reason":"origin migration","expires":"2099-01-01"}]"#,
    );
    let out = cfcp(
        &[],
        &[
            "check",
            demo_path().to_str().unwrap(),
            "--format",
            "json",
            "--waivers",
            waivers.to_str().unwrap(),
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let muted: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "MUTED")
        .collect();
    assert_eq!(muted.len(), 1);
    assert_eq!(muted[0]["check_id"], "zone_ssl_strict");

    let bad = write(
        &dir,
        "bad.json",
        r#"[{"check_id":"x","resource":"*","reason":"r","expires":"someday"}]"#,
    );
    let out = cfcp(&[], &["check", "--waivers", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[0].expires"), "{}", stderr(&out));
}

#[test]
fn custom_policies_add_findings_and_a_broken_one_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir,
        "good.rego",
        "package cfcp.custom.names\n\ndeny contains {\"id\": \"zone_name_has_acme\", \"severity\": \"low\", \"resource\": z.zone.id, \"msg\": \"acme zone\"} if {\n  some z in input.zones\n  contains(z.zone.name, \"acme\")\n}\n",
    );
    let out = cfcp(
        &[],
        &[
            "check",
            "--format",
            "json",
            "--policy",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let custom = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check_id"] == "zone_name_has_acme")
        .count();
    assert_eq!(custom, 3);

    write(
        &dir,
        "broken.rego",
        "package cfcp.custom.broken\n\ndeny contains x if {\n  x := \n}\n",
    );
    let out = cfcp(
        &[],
        &[
            "check",
            "--format",
            "json",
            "--policy",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("broken.rego") && err.contains("line"), "{err}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check_id"] == "zone_ssl_strict"),
        "built-ins still ran"
    );
}

#[test]
fn with_a_token_and_no_input_it_checks_the_live_account() {
    let fake = FakeHandle::spawn_blocking_thread(FakeConfig::new(
        Snapshot::from_json_str(DEMO_SNAPSHOT_JSON).unwrap(),
    ))
    .unwrap();
    let url = fake.base_url();
    let out = cfcp(
        &[
            ("CLOUDFLARE_API_TOKEN", "fake-token"),
            ("CLOUDFLARE_BASE_URL", url.as_str()),
        ],
        &["check", "--color", "never", "--zone", "acme-api.io"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("Checking the live account at"),
        "{text}"
    );
    assert!(
        text.contains("acme-api.io") && !text.contains("acme-internal.net  "),
        "{text}"
    );
    assert!(!text.contains("fake-token"));
}

#[test]
fn compliance_maps_findings_to_controls() {
    let out = cfcp(
        &[],
        &[
            "compliance",
            "--framework",
            "pci-dss-4.0.1",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the demo fails controls: {}",
        stderr(&out)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["format"], "cfcp.compliance/v1");
    let controls = result["controls"].as_array().unwrap();
    let tls = controls
        .iter()
        .find(|c| c["id"] == "4.2.1")
        .expect("PCI DSS 4.2.1 is mapped");
    assert_eq!(tls["status"], "FAIL");
    for framework in ["asvs-4.0.3", "asvs-5.0", "nist-800-53r5"] {
        let out = cfcp(
            &[],
            &[
                "compliance",
                "--framework",
                framework,
                "--format",
                "markdown",
            ],
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{framework}: {}",
            stderr(&out)
        );
        assert!(!out.stdout.is_empty());
    }
    let out = cfcp(&[], &["compliance", "--framework", "iso-27001"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pci-dss-4.0.1"));
}

#[test]
fn waf_flag_adds_rule_analysis_and_gap_findings_under_the_same_waivers() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = write(
        &dir,
        "w.json",
        r#"[{"check_id":"waf_skip_too_broad","resource":"*","reason":"partner contract","expires":"2099-01-01"}]"#,
    );
    let out = cfcp(
        &[],
        &[
            "check",
            "--waf",
            "--format",
            "json",
            "--waivers",
            waivers.to_str().unwrap(),
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let status_of = |id: &str| {
        findings
            .iter()
            .filter(|f| f["check_id"] == id)
            .map(|f| f["status"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(status_of("waf_skip_too_broad"), vec!["MUTED"]);
    assert!(status_of("waf_gap_sqli_xss").contains(&"FAIL".to_owned()));
    let without: Value =
        serde_json::from_slice(&cfcp(&[], &["check", "--format", "json"]).stdout).unwrap();
    assert!(!without["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["check_id"] == "waf_skip_too_broad"));
}
