//! `cfcp drift` and `cfcp remediate` end to end against the fake Cloudflare API: records and a
//! WAF rule changed behind Terraform's back are found exactly, reverted with approval, the
//! invariants pass again and the audit trail verifies; a failure mid-way is reported step by step
//! and a re-run finishes the job.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use cfcp::api::{Client, Credentials};
use cfcp::plan::{Effect, Operation};
use cfcp::snapshot::{Snapshot, DEMO_SNAPSHOT_JSON};
use fake_cloudflare::{FakeConfig, FakeHandle, Faults, TokenSpec};
use serde_json::{json, Value};

const TOKEN: &str = "drift-test-token-0123456789";
const ZONE: &str = "acme-shop.com";
const ZONE_ID: &str = "b7413d53f51c03ab509a501d0e86d7df";

fn start(faults: Faults) -> FakeHandle {
    let seed = Snapshot::from_json_str(DEMO_SNAPSHOT_JSON).unwrap();
    FakeHandle::spawn_blocking_thread(
        FakeConfig::new(seed)
            .with_token(TokenSpec::all(TOKEN))
            .with_faults(faults),
    )
    .expect("fake Cloudflare starts")
}

fn cfcp(fake: &FakeHandle, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cfcp"));
    for var in ["CLOUDFLARE_EMAIL", "CLOUDFLARE_API_KEY"] {
        cmd.env_remove(var);
    }
    let out = cmd
        .current_dir(dir)
        .env("CLOUDFLARE_BASE_URL", fake.base_url())
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .args(args)
        .output()
        .expect("cfcp runs");
    assert!(!text(&out).contains(TOKEN), "the token leaked");
    out
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn client(fake: &FakeHandle) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .credentials(Credentials::token(TOKEN))
        .max_retries(0)
        .build()
        .unwrap()
}

fn op(method: &str, path: String, body: Option<Value>) -> Operation {
    Operation {
        method: method.into(),
        path,
        body,
        effect: Effect::CreateRecord,
        summary: String::new(),
    }
}

/// What somebody does in the dashboard: a record grey-clouded, one deleted, one added, a WAF
/// rule switched off. Returns the ids involved.
fn change_behind_terraforms_back(fake: &FakeHandle) -> (String, String, String) {
    let live = fake.current_snapshot();
    let zone = live.zone(ZONE).unwrap();
    let api = zone
        .dns_records
        .iter()
        .find(|r| r.name == "api.acme-shop.com" && r.record_type.as_str() == "A")
        .unwrap();
    let api_id = api.id.get().unwrap().clone();
    let deleted = zone
        .dns_records
        .iter()
        .find(|r| r.name.starts_with("blog.") || r.name.starts_with("shop."))
        .or_else(|| {
            zone.dns_records
                .iter()
                .rev()
                .find(|r| r.record_type.as_str() == "A" && r.proxied.copied() == Some(false))
        })
        .unwrap();
    let deleted_id = deleted.id.get().unwrap().clone();
    let rs = zone
        .rulesets
        .iter()
        .find(|r| r.phase.get().map(|p| p.as_str()) == Some("http_request_firewall_custom"))
        .unwrap();
    let rule = rs
        .rules
        .iter()
        .find(|r| {
            r.enabled.copied() != Some(false) && r.action.get().map(|a| a.as_str()) == Some("block")
        })
        .unwrap();
    let rule_id = rule.id.get().unwrap().clone();
    let ruleset_id = rs.id.get().unwrap().clone();
    let c = client(fake);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for o in [
            op("PATCH", format!("/zones/{ZONE_ID}/dns_records/{api_id}"), Some(json!({"proxied": false}))),
            op("DELETE", format!("/zones/{ZONE_ID}/dns_records/{deleted_id}"), None),
            op("POST", format!("/zones/{ZONE_ID}/dns_records"), Some(json!({"type": "A", "name": "shadow-it.acme-shop.com", "content": "192.0.2.200", "ttl": 300}))),
            op("PATCH", format!("/zones/{ZONE_ID}/rulesets/{ruleset_id}/rules/{rule_id}"), Some(json!({"enabled": false}))),
        ] {
            c.execute_operation(&o).await.unwrap_or_else(|e| panic!("{} {}: {e}", o.method, o.path));
        }
    });
    (api_id, deleted_id, rule_id)
}

fn drift_json(fake: &FakeHandle, dir: &Path) -> Value {
    let out = cfcp(
        fake,
        dir,
        &[
            "drift",
            "--desired",
            "terraform.tfstate",
            "--live",
            "--format",
            "json",
        ],
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

fn failures(snapshot: &Snapshot) -> usize {
    cfcp::invariants::run(snapshot, &Default::default())
        .failures()
        .count()
}

#[test]
fn drift_finds_exactly_the_changes_and_remediate_reverts_them_with_approval() {
    let fake = start(Faults::none());
    let dir = tempfile::tempdir().unwrap();
    // The desired state: what Terraform last applied (the account before the changes).
    let desired = fake.current_snapshot();
    // What Terraform last applied: a state (format 4, provider v5 types) of the account as it was.
    let state = cfcp::terraform::to_state(&desired);
    std::fs::write(dir.path().join("terraform.tfstate"), state.to_string()).unwrap();
    let failing_before = failures(&desired);
    let out = cfcp(
        &fake,
        dir.path(),
        &["drift", "--desired", "terraform.tfstate", "--live"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).starts_with("No drift"), "{}", text(&out));

    let (api_id, deleted_id, rule_id) = change_behind_terraforms_back(&fake);
    let drift = drift_json(&fake, dir.path());
    let items = drift["items"].as_array().unwrap();
    let summary: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["change"].as_str().unwrap().to_owned(),
                i["import_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(items.len(), 4, "{summary:?}");
    let find = |change: &str, id_part: &str| {
        items
            .iter()
            .find(|i| i["change"] == change && i["import_id"].as_str().unwrap().contains(id_part))
            .unwrap_or_else(|| panic!("no {change} item for {id_part}: {summary:?}"))
    };
    // Terraform's names for what drifted.
    assert!(
        items
            .iter()
            .filter(|i| i["change"] != "added")
            .all(|i| i["address"]
                .as_str()
                .is_some_and(|a| a.starts_with("cloudflare_"))),
        "{drift:#}"
    );
    let api = find("changed", &api_id);
    assert_eq!(api["attributes"][0]["path"], "proxied");
    assert_eq!(api["risk"]["level"], "high");
    find("removed", &deleted_id);
    let added = items.iter().find(|i| i["change"] == "added").unwrap();
    assert_eq!(added["label"], "A shadow-it.acme-shop.com");
    let rules = items.iter().find(|i| i["kind"] == "ruleset").unwrap();
    assert!(rules["attributes"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("].enabled"));
    assert_eq!(rules["risk"]["flags"], json!(["security_downgrade"]));
    let _ = rule_id;

    // Dry run: the plan, nothing sent.
    fake.reset_log();
    let out = cfcp(
        &fake,
        dir.path(),
        &["remediate", "--desired", "terraform.tfstate", "--live"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let plan = text(&out);
    assert!(
        plan.contains("Revert plan: 4 operation(s), 1 delete(s)"),
        "{plan}"
    );
    assert!(plan.contains("[approve] DELETE"), "{plan}");
    assert!(
        fake.requests().iter().all(|r| r.method == "GET"),
        "a dry run wrote"
    );

    // --apply without a terminal and without --yes: the delete needs a human; nothing is sent.
    let out = cfcp(
        &fake,
        dir.path(),
        &[
            "remediate",
            "--desired",
            "terraform.tfstate",
            "--live",
            "--apply",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("not approved: nothing was changed"),
        "{}",
        text(&out)
    );
    assert!(fake.requests().iter().all(|r| r.method == "GET"));

    // Approved: every operation lands, nothing is left, the invariants are back.
    let out = cfcp(
        &fake,
        dir.path(),
        &[
            "remediate",
            "--desired",
            "terraform.tfstate",
            "--live",
            "--apply",
            "--yes",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("applied 4 of 4 operations; drift left: 0 resource(s)"),
        "{}",
        text(&out)
    );
    let after = fake.current_snapshot();
    assert_eq!(failures(&after), failing_before);
    assert!(drift_json(&fake, dir.path())["items"]
        .as_array()
        .unwrap()
        .is_empty());

    // The trail: a decision and an outcome per operation, the approval named, the chain intact.
    let log = std::fs::read_to_string(dir.path().join("cfcp-remediate-audit.jsonl")).unwrap();
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"kind\":\"decision\""))
            .count(),
        4,
        "{log}"
    );
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"kind\":\"outcome\""))
            .count(),
        4
    );
    assert!(log.contains("cfcp remediate --yes"));
    assert!(
        log.contains("approval_refused"),
        "the declined run is on record"
    );
    let out = cfcp(
        &fake,
        dir.path(),
        &[
            "log",
            "verify",
            "cfcp-remediate-audit.jsonl",
            "--require-sealed",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_failure_mid_way_is_reported_step_by_step_and_a_rerun_finishes() {
    // The 4 writes of the dashboard changes succeed; the revert's second write fails.
    let fake = start(Faults {
        fail_writes_after: Some(5),
        ..Faults::none()
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("desired.json"),
        fake.current_snapshot().to_json_pretty(),
    )
    .unwrap();
    change_behind_terraforms_back(&fake);
    let out = cfcp(
        &fake,
        dir.path(),
        &[
            "remediate",
            "--desired",
            "desired.json",
            "--live",
            "--apply",
            "--yes",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("[1/4] applied"), "{report}");
    assert!(report.contains("[2/4] FAILED"), "{report}");
    assert_eq!(report.matches("not attempted:").count(), 2, "{report}");
    assert!(
        report.contains("applied 1 of 4 operations; drift left: 3 resource(s)"),
        "{report}"
    );
    assert!(
        report.contains("run the same command again to continue"),
        "{report}"
    );
    let out = cfcp(
        &fake,
        dir.path(),
        &[
            "log",
            "verify",
            "cfcp-remediate-audit.jsonl",
            "--require-sealed",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The API is healthy again (a fake holding the account as the failure left it): the same
    // command plans only what is still drifted and finishes.
    let healthy = FakeHandle::spawn_blocking_thread(
        FakeConfig::new(fake.current_snapshot()).with_token(TokenSpec::all(TOKEN)),
    )
    .unwrap();
    let args = [
        "remediate",
        "--desired",
        "desired.json",
        "--live",
        "--apply",
        "--yes",
    ];
    let out = cfcp(&healthy, dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("applied 3 of 3 operations; drift left: 0 resource(s)"),
        "{}",
        text(&out)
    );
    let verify = [
        "log",
        "verify",
        "cfcp-remediate-audit.jsonl",
        "--require-sealed",
    ];
    let out = cfcp(&healthy, dir.path(), &verify);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn remediate_refuses_beyond_the_delete_threshold_before_sending_anything() {
    let fake = start(Faults::none());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("desired.json"),
        fake.current_snapshot().to_json_pretty(),
    )
    .unwrap();
    change_behind_terraforms_back(&fake);
    fake.reset_log();
    let out = cfcp(
        &fake,
        dir.path(),
        &[
            "remediate",
            "--desired",
            "desired.json",
            "--live",
            "--apply",
            "--yes",
            "--max-delete",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out)
            .contains("refused: the revert would delete 1 resources, more than the limit of 0"),
        "{}",
        text(&out)
    );
    assert!(fake.requests().iter().all(|r| r.method == "GET"));
}

fn cfcp_offline(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cfcp"))
        .current_dir(dir)
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CLOUDFLARE_EMAIL")
        .env_remove("CLOUDFLARE_API_KEY")
        .stdin(Stdio::null())
        .args(args)
        .output()
        .expect("cfcp runs")
}

#[test]
fn export_terraform_writes_every_resource_with_an_import_block() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("demo.json"), DEMO_SNAPSHOT_JSON).unwrap();
    let out = cfcp_offline(dir.path(), &["export-terraform", "demo.json", "-o", "tf"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let imports = std::fs::read_to_string(dir.path().join("tf/imports.tf")).unwrap();
    let shop = std::fs::read_to_string(dir.path().join("tf/acme-shop.com.tf")).unwrap();
    let resources: usize = std::fs::read_dir(dir.path().join("tf"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .map(|t| t.lines().filter(|l| l.starts_with("resource \"")).count())
        .sum();
    assert_eq!(imports.matches("import {").count(), resources);
    assert!(
        text(&out).contains(&format!(
            "wrote {resources} resources ({resources} import blocks)"
        )),
        "{}",
        text(&out)
    );
    assert!(shop.contains(
        "resource \"cloudflare_ruleset\" \"acme_shop_com_http_request_firewall_custom\""
    ));
    assert!(imports.contains("id = \"zones/b7413d53f51c03ab509a501d0e86d7df/"));
}

#[test]
fn remediate_adopt_writes_code_for_the_drift_only() {
    let dir = tempfile::tempdir().unwrap();
    let desired = Snapshot::from_json_str(DEMO_SNAPSHOT_JSON).unwrap();
    let mut live = desired.clone();
    let mut extra = live.zones[0].dns_records[0].clone();
    extra.id = cfcp::snapshot::Field::Value("made-in-dashboard".into());
    extra.name = "dash.acme-shop.com".into();
    live.zones[0].dns_records.push(extra);
    std::fs::write(dir.path().join("desired.json"), desired.to_json_pretty()).unwrap();
    std::fs::write(dir.path().join("live.json"), live.to_json_pretty()).unwrap();
    let out = cfcp_offline(
        dir.path(),
        &[
            "remediate",
            "--desired",
            "desired.json",
            "live.json",
            "--direction",
            "adopt",
            "-o",
            "adopt",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let imports = std::fs::read_to_string(dir.path().join("adopt/imports.tf")).unwrap();
    assert_eq!(imports.matches("import {").count(), 1, "{imports}");
    assert!(imports.contains("/made-in-dashboard\""));
    let zone = std::fs::read_to_string(dir.path().join("adopt/acme-shop.com.tf")).unwrap();
    assert!(zone.contains("name = \"dash.acme-shop.com\""), "{zone}");
    assert_eq!(zone.matches("resource \"").count(), 1);
}

#[test]
fn a_services_file_is_a_desired_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("live.json"), DEMO_SNAPSHOT_JSON).unwrap();
    // The demo's acme-prod-shop tunnel as it is, but without the admin route.
    std::fs::write(
        dir.path().join("services.yaml"),
        "tunnels:\n  acme-prod-shop:\n    app.acme-shop.com: http://localhost:8080\n    grafana.acme-shop.com: https://10.0.1.30:3000\n",
    )
    .unwrap();
    let out = cfcp_offline(
        dir.path(),
        &[
            "drift",
            "--desired",
            "services.yaml",
            "live.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let drift: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = drift["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"tunnel_config"), "{drift:#}");
    let out = cfcp_offline(
        dir.path(),
        &["remediate", "--desired", "services.yaml", "live.json"],
    );
    assert!(text(&out).contains("/configurations"), "{}", text(&out));
    assert!(text(&out).contains("[approve] PUT"), "{}", text(&out));
}

#[test]
fn rate_limited_writes_are_retried_and_the_revert_completes() {
    // How many requests the revert's snapshot makes, measured on a twin of the account.
    let twin = start(Faults::none());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("desired.json"),
        twin.current_snapshot().to_json_pretty(),
    )
    .unwrap();
    change_behind_terraforms_back(&twin);
    let before = twin.request_count();
    let out = cfcp(
        &twin,
        dir.path(),
        &["drift", "--desired", "desired.json", "--live"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let snapshot_requests = (twin.request_count() - before) as u64;

    // The same account, where the revert's second write meets two 429s (Retry-After: 1).
    let fake = start(Faults {
        too_many_after: Some(4 + snapshot_requests + 1),
        too_many_for: 2,
        ..Faults::none()
    });
    change_behind_terraforms_back(&fake);
    let args = [
        "remediate",
        "--desired",
        "desired.json",
        "--live",
        "--apply",
        "--yes",
    ];
    let out = cfcp(&fake, dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("applied 4 of 4 operations; drift left: 0 resource(s)"),
        "{}",
        text(&out)
    );
    let limited: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(limited.len(), 2, "{limited:?}");
    assert!(
        limited.iter().all(|r| !r.starts_with("GET ")),
        "{limited:?}"
    );
}
