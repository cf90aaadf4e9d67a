//! End-to-end tests of the `cfcp` binary against the fake Cloudflare API.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use cfcp::snapshot::{Snapshot, DEMO_SNAPSHOT_JSON};
use fake_cloudflare::{FakeConfig, FakeHandle, Faults, TokenSpec};

const READ_ONLY: &[&str] = &[
    "Zone Read",
    "Zone Settings Read",
    "DNS Read",
    "Zone WAF Read",
    "Bot Management Read",
    "Cloudflare Tunnel Read",
    "Account Filter Lists Read",
    "Account Settings Read",
];

fn demo() -> Snapshot {
    Snapshot::from_json_str(DEMO_SNAPSHOT_JSON).unwrap()
}

fn start(config: FakeConfig) -> FakeHandle {
    FakeHandle::spawn_blocking_thread(config).expect("fake Cloudflare starts")
}

fn token(value: &str, permissions: &[&str]) -> TokenSpec {
    TokenSpec::with_permissions(value, permissions.iter().map(|p| p.to_string()).collect())
}

/// Runs `cfcp` with a clean environment: only the fake's address and `token`.
fn cfcp(fake: Option<&FakeHandle>, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cfcp"));
    for var in [
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_BASE_URL",
    ] {
        cmd.env_remove(var);
    }
    if let Some(fake) = fake {
        cmd.env("CLOUDFLARE_BASE_URL", fake.base_url());
    }
    if let Some(token) = token {
        cmd.env("CLOUDFLARE_API_TOKEN", token);
    }
    let output = cmd.args(args).output().expect("cfcp runs");
    // Every CLI call of this suite doubles as a leak check: the token never reaches any output.
    if let Some(token) = token {
        assert!(
            !text(&output).contains(token),
            "cfcp {args:?} printed the token:\n{}",
            text(&output)
        );
    }
    output
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn load(path: &Path) -> Snapshot {
    Snapshot::from_json_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn assert_same_content(actual: &Snapshot, expected: &Snapshot) {
    let diffs = actual.content_differences(expected);
    assert!(
        diffs.is_empty(),
        "{} differences, first: {}",
        diffs.len(),
        diffs
            .iter()
            .take(5)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn out_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("out.json")
}

#[test]
fn snapshot_of_the_fake_equals_the_demo() {
    let fake = start(FakeConfig::new(demo()));
    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    let output = cfcp(
        Some(&fake),
        Some("fake-token"),
        &["snapshot", "-o", out.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let snapshot = load(&out);
    assert_same_content(&snapshot, &demo());
    assert_eq!(snapshot.source.kind.as_str(), "api");
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(summary.contains("3 zones, 81 DNS records"), "{summary}");
    assert!(
        summary.contains(&format!("{} requests", fake.request_count())),
        "{summary}"
    );
}

#[test]
fn snapshot_to_stdout_and_by_zone() {
    let fake = start(FakeConfig::new(demo()));
    let output = cfcp(
        Some(&fake),
        Some("fake-token"),
        &["snapshot", "--zone", "acme-api.io"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let snapshot = Snapshot::from_json_slice(&output.stdout).unwrap();
    assert_eq!(snapshot.zones.len(), 1);
    assert_eq!(snapshot.zones[0].zone.name, "acme-api.io");
    assert_eq!(snapshot.zones[0], *demo().zone("acme-api.io").unwrap());
}

#[test]
fn missing_permission_becomes_gaps_not_empty_lists() {
    let without_dns: Vec<&str> = READ_ONLY
        .iter()
        .copied()
        .filter(|p| *p != "DNS Read")
        .collect();
    let fake = start(FakeConfig::new(demo()).with_token(token("no-dns-token", &without_dns)));
    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    let output = cfcp(
        Some(&fake),
        Some("no-dns-token"),
        &["snapshot", "-o", out.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let snapshot = load(&out);
    for zone in &snapshot.zones {
        assert!(zone.dns_records.is_empty() && zone.dnssec.is_none());
        for section in ["dns_records", "dnssec"] {
            let gap = snapshot
                .gaps
                .iter()
                .find(|g| {
                    g.zone.as_deref() == Some(zone.zone.name.as_str()) && g.section == section
                })
                .unwrap_or_else(|| panic!("no {section} gap for {}", zone.zone.name));
            assert_eq!(gap.reason, "403 Authentication error (code 10000)");
        }
        // Everything the token can read is still there.
        assert_eq!(
            zone.settings,
            demo().zone(&zone.zone.name).unwrap().settings
        );
    }
    assert_eq!(snapshot.gaps.len(), 6);
    assert!(String::from_utf8_lossy(&output.stderr).contains("gap: acme-shop.com dns_records: 403"));
}

#[test]
fn faults_during_a_snapshot_are_retried_to_a_complete_result() {
    let faults = Faults {
        fail_every: Some(4),
        truncate_every: Some(7),
        reset_every: Some(9),
        too_many_after: Some(12),
        too_many_for: 2,
        ..Faults::none()
    };
    let fake = start(FakeConfig::new(demo()).with_faults(faults));
    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    let output = cfcp(
        Some(&fake),
        Some("fake-token"),
        &[
            "snapshot",
            "--max-retries",
            "8",
            "--concurrency",
            "2",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_same_content(&load(&out), &demo());
    let faulted = fake.requests().iter().filter(|r| r.fault.is_some()).count();
    assert!(faulted >= 5, "only {faulted} faults injected");
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(!summary.contains("(0 retries)"), "{summary}");
}

#[test]
fn persistent_failure_names_the_section_and_writes_no_file() {
    let faults = Faults {
        fail_every: Some(1),
        ..Faults::none()
    };
    let fake = start(FakeConfig::new(demo()).with_faults(faults));
    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    let output = cfcp(
        Some(&fake),
        Some("fake-token"),
        &[
            "snapshot",
            "--max-retries",
            "1",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error:") && (stderr.contains("zones") || stderr.contains("accounts")),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file, not even a temporary one"
    );
}

#[test]
fn timeouts_fail_cleanly_after_retries() {
    let faults = Faults {
        latency: Duration::from_millis(2500),
        ..Faults::none()
    };
    let fake = start(FakeConfig::new(demo()).with_faults(faults));
    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    let output = cfcp(
        Some(&fake),
        Some("fake-token"),
        &[
            "snapshot",
            "--max-retries",
            "1",
            "--timeout",
            "1",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).to_lowercase().contains("timed out"),
        "{}",
        text(&output)
    );
    assert!(!out.exists());
}

#[test]
fn existing_output_survives_a_failed_snapshot() {
    let fake = start(FakeConfig::new(demo()).with_faults(Faults {
        fail_every: Some(1),
        ..Faults::none()
    }));
    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    std::fs::write(&out, "previous").unwrap();
    let output = cfcp(
        Some(&fake),
        Some("fake-token"),
        &[
            "snapshot",
            "--max-retries",
            "0",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
}

#[test]
fn no_credentials_is_bad_usage() {
    let output = cfcp(None, None, &["snapshot"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("CLOUDFLARE_API_TOKEN") && stderr.contains("hint:"),
        "{stderr}"
    );
}

#[test]
fn validate_accepts_the_demo() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/snapshots/demo.json");
    let output = cfcp(None, None, &["validate", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout)
        .contains("ok (cfcp.snapshot/v1; 1 accounts, 3 zones, 81 DNS records"));
}

#[test]
fn validate_names_the_json_path_of_a_corruption_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut value: serde_json::Value = serde_json::from_str(DEMO_SNAPSHOT_JSON).unwrap();
    value["zones"][2]["dns_records"][17]["ttl"] = serde_json::json!("three hundred");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let output = cfcp(None, None, &["validate", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("zones[2].dns_records[17].ttl: expected integer"),
        "{stdout}"
    );
    assert!(stdout.contains("line "), "{stdout}");

    let truncated = dir.path().join("truncated.json");
    std::fs::write(
        &truncated,
        &DEMO_SNAPSHOT_JSON[..DEMO_SNAPSHOT_JSON.len() / 3],
    )
    .unwrap();
    let output = cfcp(None, None, &["validate", truncated.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stdout).contains("not valid JSON at line"));
}

#[test]
fn verify_token_reports_modes_and_least_privilege() {
    let fake = start(FakeConfig::new(demo()).with_token(token(
        "ro-token",
        &[READ_ONLY, &["API Tokens Read"]].concat(),
    )));
    let output = cfcp(Some(&fake), Some("ro-token"), &["verify-token"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("status:   active"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("read-only checks") && l.contains("yes")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("manage DNS") && l.contains("no")),
        "{stdout}"
    );

    let output = cfcp(
        Some(&fake),
        Some("ro-token"),
        &["verify-token", "--mode", "manage-dns", "--json"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "insufficient for the mode asked for"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["status"], "active");
}

/// The token must never appear in any output or file, whatever the command and outcome.
#[test]
fn a_marker_token_never_leaks() {
    const MARKER: &str = "cfcp-marker-7f3e9a1c-SECRET-TOKEN-VALUE";
    let narrow = "cfcp-marker-narrow-0b2d-SECRET";
    let fake = start(
        FakeConfig::new(demo())
            .with_token(TokenSpec::all(MARKER))
            .with_token(token(narrow, &["Zone Read"]))
            .with_faults(Faults {
                fail_every: Some(5),
                ..Faults::none()
            }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = out_path(&dir);
    let out_narrow = dir.path().join("narrow.json");
    let runs = vec![
        cfcp(
            Some(&fake),
            Some(MARKER),
            &["snapshot", "-o", out.to_str().unwrap()],
        ),
        cfcp(
            Some(&fake),
            Some(MARKER),
            &["snapshot", "--zone", "acme-shop.com"],
        ),
        cfcp(
            Some(&fake),
            Some(narrow),
            &["snapshot", "-o", out_narrow.to_str().unwrap()],
        ),
        cfcp(Some(&fake), Some(MARKER), &["verify-token"]),
        cfcp(Some(&fake), Some(MARKER), &["verify-token", "--json"]),
        cfcp(Some(&fake), Some(narrow), &["verify-token"]),
        cfcp(
            Some(&fake),
            Some("wrong-token-but-secret-too"),
            &["snapshot"],
        ),
        cfcp(
            Some(&fake),
            Some(MARKER),
            &[
                "snapshot",
                "--max-retries",
                "0",
                "--zone",
                "no-such-zone.example",
            ],
        ),
        cfcp(
            Some(&fake),
            Some(MARKER),
            &["validate", out.to_str().unwrap()],
        ),
    ];
    assert!(runs[0].status.success(), "{}", text(&runs[0]));
    assert!(!runs[6].status.success());
    for (i, run) in runs.iter().enumerate() {
        let all = text(run);
        assert!(
            !all.contains(MARKER) && !all.contains(narrow),
            "run {i} leaked the token:\n{all}"
        );
        assert!(
            !all.contains("wrong-token-but-secret-too"),
            "run {i} leaked a rejected token"
        );
    }
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let body = std::fs::read_to_string(file.unwrap().path()).unwrap();
        assert!(!body.contains(MARKER) && !body.contains(narrow));
    }
    let log = serde_json::to_string(&fake.requests()).unwrap();
    assert!(
        !log.contains(MARKER) && !log.contains(narrow),
        "the fake's request log holds a token"
    );
}
