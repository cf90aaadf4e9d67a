//! `cfcp tunnel route | unroute | rotate` end to end against the fake Cloudflare API: the plan
//! printed, an applied route landing before the catch-all with its proxied CNAME, the inverse,
//! validation errors, Layer0's block and approval, and a rotation whose token is shown once and
//! never reaches the audit trail.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use cfcp::snapshot::{Snapshot, DEMO_SNAPSHOT_JSON};
use fake_cloudflare::{FakeConfig, FakeHandle, Faults, TokenSpec};
use serde_json::Value;

const TOKEN: &str = "tunnel-test-token-0123456789";
const PROD: &str = "62d41457-d239-44d4-915c-ead8d787ab3f";
const ACCOUNT: &str = "d5bd6a0dc435e1bb3c3719751b5143ba";

fn start_faulty(edit: impl FnOnce(&mut Snapshot), faults: Faults) -> FakeHandle {
    let mut seed = Snapshot::from_json_str(DEMO_SNAPSHOT_JSON).unwrap();
    edit(&mut seed);
    FakeHandle::spawn_blocking_thread(
        FakeConfig::new(seed)
            .with_token(TokenSpec::all(TOKEN))
            .with_faults(faults),
    )
    .expect("fake Cloudflare starts")
}

fn start_with(edit: impl FnOnce(&mut Snapshot)) -> FakeHandle {
    start_faulty(edit, Faults::none())
}

fn start() -> FakeHandle {
    start_with(|_| {})
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
    assert!(!text(&out).contains(TOKEN), "the API token leaked");
    out
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn prod(fake: &FakeHandle) -> cfcp::snapshot::TunnelSnapshot {
    fake.current_snapshot().accounts[0]
        .tunnel(PROD)
        .unwrap()
        .clone()
}

fn records_named(fake: &FakeHandle, name: &str) -> Vec<cfcp::snapshot::DnsRecord> {
    fake.current_snapshot()
        .zones
        .iter()
        .flat_map(|z| z.dns_records.clone())
        .filter(|r| r.name == name)
        .collect()
}

fn verify_log(fake: &FakeHandle, dir: &Path, log: &str) {
    let out = cfcp(fake, dir, &["log", "verify", log]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

const ROUTE_BLOG: &[&str] = &[
    "tunnel",
    "route",
    "--tunnel",
    "acme-prod-shop",
    "--hostname",
    "blog.acme-shop.com",
    "--service",
    "http://localhost:2368",
];

fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

#[test]
fn route_prints_the_plan_and_changes_nothing_without_apply() {
    let fake = start();
    let dir = tempfile::tempdir().unwrap();
    let before = fake.current_snapshot();
    let out = cfcp(&fake, dir.path(), ROUTE_BLOG);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains(&format!(
            "PUT /accounts/{ACCOUNT}/cfd_tunnel/{PROD}/configurations"
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "create CNAME blog.acme-shop.com → {PROD}.cfargotunnel.com (proxied)"
        )),
        "{t}"
    );
    assert!(t.contains("Layer0 route: approve"), "{t}");
    assert!(t.contains("sensitive_record"), "{t}");
    assert!(
        t.contains("4. blog.acme-shop.com → http://localhost:2368"),
        "{t}"
    );
    assert!(t.contains("dry run"), "{t}");
    assert_eq!(fake.current_snapshot(), before);
}

#[test]
fn route_apply_lands_the_rule_before_the_catch_all_and_the_cname_then_unroute_removes_both() {
    let fake = start();
    let dir = tempfile::tempdir().unwrap();
    let original = prod(&fake).ingress().to_vec();
    let out = cfcp(
        &fake,
        dir.path(),
        &with(ROUTE_BLOG, &["--apply", "--yes", "--wait", "5s"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("applied 2 operation(s)"), "{t}");
    assert!(t.contains("tunnel healthy: 2 connector(s)"), "{t}");
    let ingress = prod(&fake).ingress().to_vec();
    assert_eq!(ingress.len(), original.len() + 1);
    let new = &ingress[ingress.len() - 2];
    assert_eq!(new.hostname.as_deref(), Some("blog.acme-shop.com"));
    assert_eq!(new.service.as_deref(), Some("http://localhost:2368"));
    assert!(ingress.last().unwrap().is_catch_all());
    let cname = records_named(&fake, "blog.acme-shop.com");
    assert_eq!(cname.len(), 1);
    assert_eq!(cname[0].record_type.as_str(), "CNAME");
    assert_eq!(cname[0].content_str(), format!("{PROD}.cfargotunnel.com"));
    assert!(cname[0].is_proxied());
    verify_log(&fake, dir.path(), "cfcp-tunnel-audit.jsonl");
    let audit = std::fs::read_to_string(dir.path().join("cfcp-tunnel-audit.jsonl")).unwrap();
    assert!(
        audit.contains("cfcp tunnel --yes"),
        "the approval is audited"
    );

    // Running it again finds nothing to do.
    let again = cfcp(&fake, dir.path(), &with(ROUTE_BLOG, &["--apply", "--yes"]));
    assert!(text(&again).contains("Nothing to do"), "{}", text(&again));

    let out = cfcp(
        &fake,
        dir.path(),
        &[
            "tunnel",
            "unroute",
            "--tunnel",
            PROD,
            "--hostname",
            "blog.acme-shop.com",
            "--apply",
            "--yes",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(prod(&fake).ingress(), original.as_slice());
    assert!(records_named(&fake, "blog.acme-shop.com").is_empty());
    verify_log(&fake, dir.path(), "cfcp-tunnel-audit.jsonl");
}

#[test]
fn validation_errors_say_what_and_exit_2() {
    let fake = start();
    let dir = tempfile::tempdir().unwrap();
    let before = fake.current_snapshot();
    let route = |host: &str, service: &str| {
        cfcp(
            &fake,
            dir.path(),
            &[
                "tunnel",
                "route",
                "--tunnel",
                "acme-prod-shop",
                "--hostname",
                host,
                "--service",
                service,
                "--apply",
                "--yes",
            ],
        )
    };
    for (out, want) in [
        (
            route("app.acme-shop.com", "http://localhost:1"),
            "already routed to http://localhost:8080 by ingress rule #1",
        ),
        (
            route("x.acme-shop.com", "ftp://origin"),
            "accepted forms: http://host[:port]",
        ),
        (
            route("x.example.org", "http://localhost:1"),
            "in no zone of the tunnel's account",
        ),
        (
            cfcp(
                &fake,
                dir.path(),
                &[
                    "tunnel",
                    "route",
                    "--tunnel",
                    "nope",
                    "--hostname",
                    "x.acme-shop.com",
                    "--service",
                    "hello_world",
                ],
            ),
            "known tunnels: acme-prod-shop",
        ),
    ] {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(want), "{}", text(&out));
    }
    assert_eq!(fake.current_snapshot(), before);
}

#[test]
fn an_ingress_with_its_catch_all_in_the_middle_is_refused() {
    let fake = start_with(|s| {
        let t = s.accounts[0]
            .tunnels
            .iter_mut()
            .find(|t| t.tunnel.id == PROD)
            .unwrap();
        let config = t.configuration.as_mut().unwrap().config.get_mut().unwrap();
        let rules = config.ingress.get_mut().unwrap();
        let catch_all = rules.pop().unwrap();
        rules.insert(1, catch_all);
    });
    let dir = tempfile::tempdir().unwrap();
    let out = cfcp(&fake, dir.path(), ROUTE_BLOG);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("catch-all rule (no hostname, no path) must be the last rule"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_route_outside_the_allowed_zones_is_blocked() {
    let fake = start();
    let dir = tempfile::tempdir().unwrap();
    let before = fake.current_snapshot();
    let out = cfcp(
        &fake,
        dir.path(),
        &with(ROUTE_BLOG, &["--zone", "acme-api.io", "--apply", "--yes"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("Layer0 route: block"), "{t}");
    assert!(
        t.contains("refused: Layer0 blocks this plan (block: scope_violation"),
        "{t}"
    );
    assert_eq!(fake.current_snapshot(), before);
}

#[test]
fn approval_is_declined_without_a_terminal() {
    let fake = start();
    let dir = tempfile::tempdir().unwrap();
    let before = fake.current_snapshot();
    let out = cfcp(&fake, dir.path(), &with(ROUTE_BLOG, &["--apply"]));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("not a terminal: pass --yes"), "{t}");
    assert!(t.contains("not approved: nothing was changed"), "{t}");
    assert_eq!(fake.current_snapshot(), before);
    let audit = std::fs::read_to_string(dir.path().join("cfcp-tunnel-audit.jsonl")).unwrap();
    assert!(audit.contains("approval_refused"));
    verify_log(&fake, dir.path(), "cfcp-tunnel-audit.jsonl");
}

#[test]
fn a_tunnel_without_connections_is_reported_unhealthy_after_the_wait() {
    let fake = start_with(|s| {
        let t = s.accounts[0]
            .tunnels
            .iter_mut()
            .find(|t| t.tunnel.id == PROD)
            .unwrap();
        t.connections.clear();
    });
    let dir = tempfile::tempdir().unwrap();
    let out = cfcp(
        &fake,
        dir.path(),
        &with(ROUTE_BLOG, &["--apply", "--yes", "--wait", "1s"]),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("applied 2 operation(s)"), "{t}");
    assert!(
        t.contains("tunnel not healthy after 1s: 0 connector(s)"),
        "{t}"
    );
}

#[test]
fn a_failure_after_the_first_operation_says_what_applied_and_how_to_undo_it() {
    // The configuration PUT goes through, the CNAME POST gets a 500.
    let fake = start_faulty(
        |_| {},
        Faults {
            fail_writes_after: Some(1),
            ..Faults::none()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let out = cfcp(&fake, dir.path(), &with(ROUTE_BLOG, &["--apply", "--yes"]));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("[1/2] applied: route blog.acme-shop.com"), "{t}");
    assert!(
        t.contains("[2/2] FAILED: create CNAME blog.acme-shop.com"),
        "{t}"
    );
    assert!(
        t.contains("applied 1 of 2 operations; to undo them:"),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "cfcp tunnel unroute --tunnel {PROD} --hostname blog.acme-shop.com"
        )),
        "{t}"
    );
    assert!(t.contains("run the same command again"), "{t}");
    assert!(prod(&fake)
        .ingress()
        .iter()
        .any(|r| r.hostname.as_deref() == Some("blog.acme-shop.com")));
    assert!(records_named(&fake, "blog.acme-shop.com").is_empty());
    let audit = std::fs::read_to_string(dir.path().join("cfcp-tunnel-audit.jsonl")).unwrap();
    assert!(audit.contains("\"failed\""), "the failure is audited");
    verify_log(&fake, dir.path(), "cfcp-tunnel-audit.jsonl");
}

fn token_of(fake: &FakeHandle) -> String {
    let client = cfcp::api::Client::builder()
        .base_url(fake.base_url())
        .credentials(cfcp::api::Credentials::token(TOKEN))
        .build()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(client.tunnel_token(ACCOUNT, PROD))
        .unwrap()
        .expose()
        .to_owned()
}

#[test]
fn rotation_shows_the_token_once_and_never_audits_it() {
    let fake = start();
    let dir = tempfile::tempdir().unwrap();
    let old = token_of(&fake);

    // Not a terminal and no --show-token: refused before anything changes.
    let out = cfcp(
        &fake,
        dir.path(),
        &["tunnel", "rotate", "acme-prod-shop", "--apply", "--yes"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a terminal"), "{}", text(&out));
    assert_eq!(token_of(&fake), old);

    // No --yes and no terminal: approval declined.
    let out = cfcp(
        &fake,
        dir.path(),
        &[
            "tunnel",
            "rotate",
            "acme-prod-shop",
            "--apply",
            "--show-token",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(token_of(&fake), old);

    let out = cfcp(
        &fake,
        dir.path(),
        &[
            "tunnel",
            "rotate",
            "acme-prod-shop",
            "--apply",
            "--yes",
            "--show-token",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let new = token_of(&fake);
    assert_ne!(new, old);
    assert_eq!(
        t.matches(&new).count(),
        1,
        "the token is printed exactly once: {t}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&new));
    assert!(!t.contains(&old));
    // The token is base64 of {"a","t","s"}: the secret is its `s`.
    let decoded = base64_decode(&new);
    let body: Value = serde_json::from_slice(&decoded).unwrap();
    assert_eq!(body["t"], PROD);
    let secret = body["s"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 44, "32 bytes, base64");
    let audit = std::fs::read_to_string(dir.path().join("cfcp-tunnel-audit.jsonl")).unwrap();
    assert!(!audit.contains(&new), "the token is in the audit log");
    assert!(!audit.contains(&secret), "the secret is in the audit log");
    assert!(audit.contains("replace the secret of tunnel acme-prod-shop"));
    verify_log(&fake, dir.path(), "cfcp-tunnel-audit.jsonl");
}

/// Standard base64, by hand: the test needs no extra dependency for it.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
