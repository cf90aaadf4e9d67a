//! `cfcp snapshot --from-terraform` and `cfcp check --terraform-plan`: Terraform's desired state
//! converted and checked without a token.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cfcp::snapshot::{Snapshot, SourceKind};
use serde_json::{json, Value};

const ZONE: &str = "0da42c8d2132a9ddaf714f9e7c920711";

fn cfcp(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cfcp"));
    for var in [
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_BASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.args(args).output().expect("cfcp runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn shared(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/terraform")
        .join(name);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: ../shared absent ({} not found)", path.display());
        None
    }
}

/// A plan for example.com: the `shop` record proxied or not, and the SSL mode.
fn plan(proxied: bool, ssl: &str) -> String {
    let resource = |address: &str, values: Value| {
        let (rtype, name) = address.split_once('.').unwrap();
        json!({"address": address, "mode": "managed", "type": rtype, "name": name, "values": values})
    };
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": [
            resource("cloudflare_zone.main", json!({"id": ZONE, "name": "example.com"})),
            resource("cloudflare_dns_record.shop", json!({"id": "r1", "zone_id": ZONE, "name": "shop",
                "type": "A", "content": "192.0.2.10", "proxied": proxied, "ttl": 1})),
            resource("cloudflare_zone_setting.ssl", json!({"zone_id": ZONE, "setting_id": "ssl", "value": ssl})),
        ]}},
        "resource_changes": [
            {"address": "cloudflare_dns_record.shop", "mode": "managed", "type": "cloudflare_dns_record", "name": "shop",
             "change": {"actions": ["update"], "before": {"proxied": true}, "after": {}, "after_unknown": {"modified_on": true}}},
            {"address": "cloudflare_dns_record.old", "mode": "managed", "type": "cloudflare_dns_record", "name": "old",
             "change": {"actions": ["delete"], "before": {"id": "r0"}, "after": null}}
        ]
    })
    .to_string()
}

fn failures(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .map(|f| {
            (
                f["check_id"].as_str().unwrap().to_owned(),
                f["resource"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_plan_that_breaks_an_invariant_fails_the_check_before_apply() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(&dir, "bad.json", &plan(false, "off"));
    let out = cfcp(&[
        "check",
        "--terraform-plan",
        bad.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "high",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Checking the planned state of Terraform plan"),
        "{err}"
    );
    assert!(
        err.contains("unevaluated: cloudflare_dns_record.shop modified_on: known only after apply"),
        "{err}"
    );
    assert!(
        err.contains("planned deletion: cloudflare_dns_record.old"),
        "{err}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed = failures(&report);
    assert!(
        failed.contains(&("zone_ssl_strict".to_owned(), "example.com".to_owned())),
        "{failed:?}"
    );
    assert!(
        failed.contains(&(
            "dns_record_proxied".to_owned(),
            "A shop.example.com".to_owned()
        )),
        "{failed:?}"
    );
    // What Terraform does not manage (DNSSEC, bots, rulesets, ...) is UNKNOWN, not a failure.
    assert!(
        report["summary"]["unknown"].as_u64().unwrap() > 10,
        "{}",
        report["summary"]
    );
    assert!(
        !failed
            .iter()
            .any(|(id, _)| id.starts_with("dnssec") || id.starts_with("bot")),
        "{failed:?}"
    );

    let good = write(&dir, "good.json", &plan(true, "strict"));
    let out = cfcp(&[
        "check",
        "--terraform-plan",
        good.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "high",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let failed = failures(&serde_json::from_slice(&out.stdout).unwrap());
    assert!(
        !failed
            .iter()
            .any(|(id, _)| id == "zone_ssl_strict" || id == "dns_record_proxied"),
        "{failed:?}"
    );
}

#[test]
fn the_text_report_of_a_plan_says_what_it_checked_first() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(&dir, "plan.json", &plan(false, "off"));
    let out = cfcp(&[
        "check",
        "--terraform-plan",
        bad.to_str().unwrap(),
        "--color",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("Checking the planned state of Terraform plan"),
        "{text}"
    );
    assert!(text.contains("zone_ssl_strict"), "{text}");
}

#[test]
fn bad_terraform_input_exits_2_saying_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = write(&dir, "plan.json", &plan(true, "strict")[..200]);
    let out = cfcp(&["check", "--terraform-plan", truncated.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not valid JSON at line 1"),
        "{}",
        stderr(&out)
    );
    let old = write(&dir, "old.tfstate", r#"{"version": 3, "modules": []}"#);
    let out = cfcp(&["snapshot", "--from-terraform", old.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("state format version 3 is not supported"),
        "{}",
        stderr(&out)
    );
    let empty = tempfile::tempdir().unwrap();
    let out = cfcp(&[
        "snapshot",
        "--from-terraform",
        empty.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no .tf file"), "{}", stderr(&out));
}

#[test]
fn snapshot_from_a_state_needs_no_token_and_lists_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let state = json!({"version": 4, "terraform_version": "1.9.0", "resources": [
        {"mode": "managed", "type": "cloudflare_dns_record", "name": "www", "instances": [{"attributes":
            {"id": "r1", "zone_id": ZONE, "name": "www.example.com", "type": "CNAME", "content": "example.com", "proxied": true}}]},
        {"mode": "managed", "type": "cloudflare_access_application", "name": "app", "instances": [{"attributes": {"id": "a"}}]},
        {"mode": "data", "type": "cloudflare_zone", "name": "z", "instances": [{"attributes": {"id": ZONE}}]}]});
    let path = write(&dir, "terraform.tfstate", &state.to_string());
    let out_path = dir.path().join("snap.json");
    let out = cfcp(&[
        "snapshot",
        "--from-terraform",
        path.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "snapshot from Terraform (terraform-state): 1 resources -> 1 zones, 1 DNS records"
        ),
        "{err}"
    );
    assert!(err.contains("unknown resource: cloudflare_access_application.app (resource type not mapped by cfcp)"), "{err}");
    assert!(err.contains("data sources skipped: 1"), "{err}");
    let snapshot = Snapshot::from_json_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(snapshot.source.kind, SourceKind::TerraformState);
    assert_eq!(snapshot.zones[0].dns_records[0].name, "www.example.com");
    assert!(
        snapshot.taken_at.to_datetime().year() >= 2026,
        "a state has no date: taken now"
    );
    assert!(snapshot.gaps.iter().any(|g| g.section == "settings"));
}

#[test]
fn snapshot_from_a_directory_of_tf_files_reads_tfvars_and_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir,
        "main.tf",
        r#"variable "zone_id" {}
resource "cloudflare_dns_record" "www" {
  zone_id = var.zone_id
  name    = "www.example.com"
  type    = "A"
  content = "192.0.2.1"
  proxied = true
}
resource "cloudflare_dns_record" "api" {
  zone_id = var.zone_id
  name    = "api.example.com"
  type    = "CNAME"
  content = cloudflare_zero_trust_tunnel_cloudflared.t.cname
}
"#,
    );
    write(&dir, "terraform.tfvars", &format!("zone_id = \"{ZONE}\"\n"));
    write(&dir, "ignored.tfvars", "zone_id = \"not-this-one\"\n");
    let out = cfcp(&["snapshot", "--from-terraform", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("(terraform-config): 2 resources -> 1 zones, 2 DNS records"),
        "{err}"
    );
    assert!(
        err.contains("unevaluated: cloudflare_dns_record.api content: references another resource (cloudflare_zero_trust_tunnel_cloudflared.t.cname), known only after apply [main.tf:9]"),
        "{err}"
    );
    let snapshot = Snapshot::from_json_slice(&out.stdout).unwrap();
    assert_eq!(snapshot.zones[0].zone.id, ZONE);
}

#[test]
fn shared_state_files_convert_and_check() {
    let Some(lists) = shared("list_expected.tfstate") else {
        return;
    };
    let out = cfcp(&["snapshot", "--from-terraform", lists.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let snapshot = Snapshot::from_json_slice(&out.stdout).unwrap();
    assert_eq!(snapshot.stats().lists, 9);
    let items: usize = snapshot.accounts[0]
        .lists
        .iter()
        .map(|l| l.items.len())
        .sum();
    assert_eq!(items, 19);

    let Some(records) = shared("dns_record_expected.tfstate") else {
        return;
    };
    let out = cfcp(&[
        "check",
        "--terraform-plan",
        records.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let err = stderr(&out);
    assert!(err.contains("Checking the Terraform state"), "{err}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["summary"]["unknown"].as_u64().unwrap() > 0);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["resource"]["name"] == "CNAME cftftest-www"));
}
