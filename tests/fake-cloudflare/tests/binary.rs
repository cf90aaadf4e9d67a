//! The `fake-cloudflare` binary: its first stdout line, flags, and a stderr log without secrets.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_fake-cloudflare");

#[test]
fn prints_its_url_first_and_logs_labels_not_tokens() {
    let marker = "cfcp-marker-token-94c1d0";
    let demo =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/snapshots/demo.json");
    let mut cmd = Command::new(BIN);
    if demo.exists() {
        cmd.arg("--snapshot").arg(&demo);
    } else {
        cmd.args(["--synthetic", "2,5"]);
    }
    let mut child = cmd
        .args([
            "--token",
            &format!("{marker}=Zone Read,DNS Read"),
            "--rate-limit",
            "1200/300",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first
        .trim_end()
        .strip_prefix("fake-cloudflare listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/client/v4"),
        "{url}"
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (zones, settings) = rt.block_on(async {
        let c = reqwest::Client::new();
        let zones = c
            .get(format!("{url}/zones"))
            .bearer_auth(marker)
            .send()
            .await
            .unwrap();
        assert_eq!(
            zones.headers()["ratelimit-policy"],
            "\"burst\";q=1200;w=300"
        );
        let body: serde_json::Value = zones.json().await.unwrap();
        let z = body["result"][0]["id"].as_str().unwrap().to_owned();
        let settings = c
            .get(format!("{url}/zones/{z}/settings"))
            .bearer_auth(marker)
            .send()
            .await
            .unwrap();
        (body, settings.status().as_u16())
    });
    assert!(zones["result"].as_array().is_some_and(|z| !z.is_empty()));
    assert_eq!(settings, 403, "the token has no Zone Settings Read");

    child.kill().unwrap();
    let _ = child.wait();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(err.contains("GET /client/v4/zones -> 200 token#1"), "{err}");
    assert!(err.contains("-> 403 token#1"), "{err}");
    assert!(!err.contains(marker) && !rest.contains(marker) && !first.contains(marker));
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        vec!["--token", "x=Not A Permission"],
        vec!["--rate-limit", "lots"],
        vec!["--snapshot", "/no/such/file.json"],
        vec!["--fail-every", "0"],
        vec!["--truncate-mode", "sideways"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
}
