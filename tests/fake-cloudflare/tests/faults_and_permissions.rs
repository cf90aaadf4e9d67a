//! Token permissions, every fault flag, the rate limit and the request log.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fake_cloudflare::{FakeConfig, FakeHandle, Faults, RateLimit, TokenSpec, TruncateMode};
use serde_json::json;

fn seed() -> cfcp::snapshot::Snapshot {
    fake_cloudflare::synthetic::account(2, 10, 21)
}

async fn with_faults(faults: Faults) -> FakeHandle {
    start(
        FakeConfig::new(seed())
            .with_token(TokenSpec::all(TOKEN))
            .with_faults(faults),
    )
    .await
}

/// Sends a plain GET and returns the status, or 0 when the transport failed.
async fn status_of(fake: &FakeHandle, path: &str) -> u16 {
    // A fresh client per request, so a reset or truncated connection does not affect the next.
    let c = reqwest::Client::new();
    match c
        .get(format!("{}{path}", fake.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
    {
        Ok(r) => {
            let s = r.status().as_u16();
            match r.bytes().await {
                Ok(_) => s,
                Err(_) => 0,
            }
        }
        Err(_) => 0,
    }
}

#[tokio::test]
async fn a_token_without_dns_read_is_refused_dns_but_reads_zones() {
    let narrow = TokenSpec::with_permissions(
        "zone-only",
        vec!["Zone Read".into(), "Zone Settings Read".into()],
    );
    let fake = start(FakeConfig::new(seed()).with_token(narrow)).await;
    let zones = call(&fake, Some("zone-only"), "GET", "/zones", None).await;
    assert_eq!(zones.status, 200);
    let z = zones.result()[0]["id"].as_str().unwrap().to_owned();
    for path in [
        format!("/zones/{z}/dns_records"),
        format!("/zones/{z}/dnssec"),
    ] {
        let a = call(&fake, Some("zone-only"), "GET", &path, None).await;
        assert_eq!((a.status, a.code()), (403, 10000), "{path}");
        assert_eq!(a.body["errors"][0]["message"], "Authentication error");
    }
    assert_eq!(
        call(
            &fake,
            Some("zone-only"),
            "GET",
            &format!("/zones/{z}/settings"),
            None
        )
        .await
        .status,
        200
    );
    // Read does not imply write.
    let patch = call(
        &fake,
        Some("zone-only"),
        "PATCH",
        &format!("/zones/{z}/settings/ssl"),
        Some(json!({"value":"full"})),
    )
    .await;
    assert_eq!(patch.status, 403);
    // GraphQL answers a missing permission GraphQL-style.
    let g = call(
        &fake,
        Some("zone-only"),
        "POST",
        "/graphql",
        Some(json!({"query": "{ viewer { zones { httpRequests1dGroups { count } } } }"})),
    )
    .await;
    assert_eq!(g.status, 200);
    assert!(g.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not authorized"));
    // Write implies read.
    let writer = TokenSpec::with_permissions("dns-writer", vec!["DNS Write".into()]);
    let fake = start(FakeConfig::new(seed()).with_token(writer)).await;
    let z = fake.current_snapshot().zones[0].zone.id.clone();
    assert_eq!(
        call(
            &fake,
            Some("dns-writer"),
            "GET",
            &format!("/zones/{z}/dns_records"),
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(&fake, Some("dns-writer"), "GET", "/zones", None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn seed_gaps_are_reproduced_as_403() {
    let mut s = seed();
    let zone_name = s.zones[0].zone.name.clone();
    s.gaps.push(cfcp::snapshot::Gap {
        zone: Some(zone_name),
        account: None,
        section: "rulesets".into(),
        reason: "403 Authentication error (code 10000)".into(),
    });
    let z = s.zones[0].zone.id.clone();
    let fake = start(FakeConfig::new(s).with_token(TokenSpec::all(TOKEN))).await;
    assert_eq!(
        get(&fake, &format!("/zones/{z}/rulesets")).await.status,
        403
    );
    assert_eq!(
        get(&fake, &format!("/zones/{z}/dns_records")).await.status,
        200
    );
}

#[tokio::test]
async fn too_many_after_n_for_m() {
    let limit = RateLimit {
        requests: 100,
        window: Duration::from_secs(60),
    };
    let faults = Faults {
        too_many_after: Some(2),
        too_many_for: 3,
        ..Faults::none()
    };
    let fake = start(
        FakeConfig::new(seed())
            .with_token(TokenSpec::all(TOKEN))
            .with_faults(faults)
            .with_rate_limit(limit),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let a = get(&fake, "/zones").await;
        if a.status == 429 {
            assert_eq!(a.headers["retry-after"], "1");
            assert_eq!(a.code(), 971);
            // Injected 429s do not use up the window, and still carry the headers.
            assert_eq!(a.headers["ratelimit"], "\"default\";r=98;t=60");
        }
        statuses.push(a.status);
    }
    assert_eq!(statuses, [200, 200, 429, 429, 429, 200, 200]);
    let faults: Vec<Option<String>> = fake.requests().iter().map(|r| r.fault.clone()).collect();
    assert_eq!(
        faults
            .iter()
            .filter(|f| f.as_deref() == Some("429-after"))
            .count(),
        3
    );
}

#[tokio::test]
async fn too_many_at_a_seeded_rate() {
    async fn run(seed: u64) -> Vec<u16> {
        let fake = with_faults(Faults {
            too_many_rate: Some(0.5),
            seed,
            ..Faults::none()
        })
        .await;
        let mut out = Vec::new();
        for _ in 0..40 {
            out.push(get(&fake, "/zones").await.status);
        }
        out
    }
    let a = run(42).await;
    assert_eq!(a, run(42).await, "same seed, same faults");
    let n429 = a.iter().filter(|s| **s == 429).count();
    assert!((8..=32).contains(&n429), "about half: {n429}");
    assert!(a.iter().all(|s| *s == 200 || *s == 429));
}

#[tokio::test]
async fn fail_every_nth_alternates_5xx() {
    let fake = with_faults(Faults {
        fail_every: Some(2),
        ..Faults::none()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(get(&fake, "/zones").await.status);
    }
    assert_eq!(statuses, [200, 500, 200, 502, 200, 503, 200, 500]);
    let five_hundred = {
        let _ = get(&fake, "/zones").await;
        get(&fake, "/zones").await
    };
    assert_eq!(five_hundred.status, 502);
    assert_eq!(five_hundred.headers["content-type"], "text/html");
}

#[tokio::test]
async fn latency_slows_every_answer() {
    let fake = with_faults(Faults {
        latency: Duration::from_millis(150),
        ..Faults::none()
    })
    .await;
    let t = Instant::now();
    assert_eq!(get(&fake, "/zones").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn truncated_bodies_in_both_modes() {
    let fake = with_faults(Faults {
        truncate_every: Some(2),
        ..Faults::none()
    })
    .await;
    assert_eq!(status_of(&fake, "/zones").await, 200);
    assert_eq!(
        status_of(&fake, "/zones").await,
        0,
        "connection closed mid-body"
    );
    assert_eq!(status_of(&fake, "/zones").await, 200);

    let fake = with_faults(Faults {
        truncate_every: Some(1),
        truncate_mode: TruncateMode::ShortBody,
        ..Faults::none()
    })
    .await;
    let r = reqwest::get(format!("{}/zones", fake.base_url()))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let text = r.text().await.unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "half a JSON document: {text}"
    );
    assert!(text.starts_with("{\"success\":false"));
    assert_eq!(fake.requests()[0].fault.as_deref(), Some("truncate"));
}

#[tokio::test]
async fn reset_every_nth_drops_the_connection() {
    let fake = with_faults(Faults {
        reset_every: Some(3),
        ..Faults::none()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(status_of(&fake, "/zones").await);
    }
    assert_eq!(statuses, [200, 200, 0, 200, 200, 0]);
    let log = fake.requests();
    assert_eq!(log.len(), 6);
    assert_eq!(log[2].fault.as_deref(), Some("reset"));
    assert_eq!(log[2].status, 0);
}

#[tokio::test]
async fn rate_limit_window_and_headers() {
    let limit = RateLimit {
        requests: 3,
        window: Duration::from_secs(2),
    };
    let fake = start(
        FakeConfig::new(seed())
            .with_token(TokenSpec::all(TOKEN))
            .with_rate_limit(limit),
    )
    .await;
    let a = get(&fake, "/zones").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["ratelimit"], "\"default\";r=2;t=2");
    assert_eq!(a.headers["ratelimit-policy"], "\"burst\";q=3;w=2");
    assert_eq!(get(&fake, "/zones").await.status, 200);
    // Any credential counts, including a failing one.
    assert_eq!(call(&fake, None, "GET", "/zones", None).await.status, 400);
    let limited = get(&fake, "/zones").await;
    assert_eq!((limited.status, limited.code()), (429, 971));
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry));
    assert!(limited.headers["ratelimit"]
        .to_str()
        .unwrap()
        .starts_with("\"default\";r=0;"));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(get(&fake, "/zones").await.status, 200);
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.fault.as_deref() == Some("rate-limit"))
            .count(),
        1
    );
}

#[tokio::test]
async fn faults_apply_before_authentication() {
    let fake = with_faults(Faults {
        fail_every: Some(1),
        ..Faults::none()
    })
    .await;
    assert_eq!(call(&fake, None, "GET", "/zones", None).await.status, 500);
}

#[tokio::test]
async fn the_log_records_labels_never_credentials() {
    let secret = "marker-SECRET-7f3e9a";
    let fake = start(FakeConfig::new(seed()).with_token(TokenSpec::all(secret))).await;
    for path in ["/zones", "/user/tokens/verify", "/accounts"] {
        assert_eq!(
            call(&fake, Some(secret), "GET", path, None).await.status,
            200
        );
    }
    let _ = call(&fake, Some("another-secret-value"), "GET", "/zones", None).await;
    let log = fake.requests();
    assert_eq!(fake.request_count(), 4);
    assert_eq!(log[0].credential, "token#1");
    assert_eq!(log[0].path, "/client/v4/zones");
    assert_eq!(log[3].credential, "unknown-credential");
    let via_http = reqwest::get(format!("http://{}/__fake/requests", fake.addr()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let debug = format!("{log:?}");
    for text in [via_http.as_str(), debug.as_str()] {
        assert!(
            !text.contains(secret)
                && !text.contains("another-secret-value")
                && !text.contains("Bearer")
        );
    }
    assert!(via_http.contains("token#1"));
    let cleared = reqwest::Client::new()
        .post(format!("http://{}/__fake/reset-log", fake.addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status().as_u16(), 200);
    assert_eq!(fake.request_count(), 0);
    let snap: serde_json::Value = reqwest::get(format!("http://{}/__fake/snapshot", fake.addr()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(snap["format"], "cfcp.snapshot/v1");
    assert_eq!(fake.request_count(), 0, "control endpoints are not logged");
}

#[test]
fn runs_in_the_background_for_synchronous_tests() {
    let fake = FakeHandle::spawn_blocking_thread(FakeConfig::new(seed())).expect("starts");
    let url = format!("{}/user/tokens/verify", fake.base_url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .get(url)
            .bearer_auth(fake_cloudflare::DEFAULT_TOKEN)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status.as_u16(), 200);
    assert_eq!(fake.request_count(), 1);
    fake.shutdown();
}
