//! Client tests against small HTTP servers started on 127.0.0.1 inside each test.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::*;
use crate::permissions::{AnalysisSource, Knowledge, Mode, ProbeOutcome, Section};
use crate::snapshot::Timestamp;

const TOKEN: &str = "cfcp-test-MARKER-token-0123456789";

/// A request as the test server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: HashMap<String, String>,
    authorization: Option<String>,
    auth_email: Option<String>,
    body: Value,
}

/// What the handler answers.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn ok(result: Value) -> Reply {
    Reply {
        status: 200,
        headers: vec![],
        body: json!({"success": true, "errors": [], "messages": [], "result": result}).to_string(),
    }
}

fn ok_info(result: Value, info: Value) -> Reply {
    Reply {
        status: 200,
        headers: vec![],
        body: json!({"success": true, "errors": [], "messages": [], "result": result, "result_info": info}).to_string(),
    }
}

fn fail(status: u16, code: i64, message: &str) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}).to_string(),
    }
}

/// Serves the page of `items` asked for by `page`/`per_page` (per_page capped at `cap`).
fn paged(items: &[Value], seen: &Seen, cap: usize) -> Reply {
    let per_page: usize = seen
        .query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(20)
        .min(cap)
        .max(1);
    let page: usize = seen
        .query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let chunk: Vec<Value> = items
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    let total_pages = items.len().div_ceil(per_page);
    ok_info(
        Value::Array(chunk.clone()),
        json!({"page": page, "per_page": per_page, "count": chunk.len(), "total_count": items.len(), "total_pages": total_pages}),
    )
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

struct TestServer {
    base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    in_flight_max: Arc<Mutex<(usize, usize)>>,
}

impl TestServer {
    async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with_delay(handler, Duration::ZERO).await
    }

    async fn start_with_delay(
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
        delay: Duration,
    ) -> Self {
        let handler: Handler = Arc::new(handler);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let in_flight_max = Arc::new(Mutex::new((0usize, 0usize)));
        let (seen2, flight2) = (Arc::clone(&seen), Arc::clone(&in_flight_max));
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (handler, seen, flight) = (
                    Arc::clone(&handler),
                    Arc::clone(&seen2),
                    Arc::clone(&flight2),
                );
                async move {
                    {
                        let mut f = flight.lock().unwrap();
                        f.0 += 1;
                        f.1 = f.1.max(f.0);
                    }
                    let query = uri
                        .query()
                        .unwrap_or("")
                        .split('&')
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            let (k, v) = p.split_once('=').unwrap_or((p, ""));
                            (k.to_owned(), v.replace("%40", "@"))
                        })
                        .collect();
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    let request = Seen {
                        method: method.to_string(),
                        path: uri.path().trim_start_matches("/client/v4").to_owned(),
                        query,
                        authorization: header("authorization"),
                        auth_email: header("x-auth-email"),
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    };
                    seen.lock().unwrap().push(request.clone());
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let reply = handler(&request);
                    flight.lock().unwrap().0 -= 1;
                    let mut response: Response =
                        (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
                    for (name, value) in reply.headers {
                        response.headers_mut().insert(name, value.parse().unwrap());
                    }
                    response
                        .headers_mut()
                        .insert("content-type", "application/json".parse().unwrap());
                    response
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            base_url: format!("http://{addr}/client/v4"),
            seen,
            in_flight_max,
        }
    }

    fn client(&self) -> ClientBuilder {
        Client::builder()
            .base_url(&self.base_url)
            .credentials(Credentials::token(TOKEN))
            .backoff(Duration::from_millis(1), Duration::from_millis(5))
            .jitter_seed(7)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }
}

fn taken_at() -> Timestamp {
    Timestamp::parse("2026-11-01T12:00:00Z").unwrap()
}

// ---- basics -----------------------------------------------------------------------------------

#[tokio::test]
async fn sends_bearer_token_and_parses_results() {
    let server = TestServer::start(|s| match s.path.as_str() {
        "/zones/z1" => ok(
            json!({"id": "z1", "name": "example.com", "status": "active", "new_field": {"x": 1}}),
        ),
        _ => fail(404, 7003, "Could not route"),
    })
    .await;
    let client = server.client().build().unwrap();
    let zone = client.zone("z1").await.unwrap();
    assert_eq!(zone.name, "example.com");
    assert_eq!(zone.extra.get("new_field"), Some(&json!({"x": 1})));
    let seen = server.seen();
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(client.requests_sent(), 1);
    assert_eq!(client.retries(), 0);

    let err = client.zone("nope").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("GET /zones/nope"), "{text}");
    assert!(text.contains("Could not route (code 7003)"), "{text}");
    assert!(!text.contains(TOKEN) && !format!("{err:?}").contains(TOKEN));
    assert!(!format!("{client:?}").contains(TOKEN), "{client:?}");
}

#[tokio::test]
async fn global_key_uses_email_and_key_headers() {
    let server = TestServer::start(|_| ok(json!([]))).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(Credentials::Key {
            email: "ops@example.com".into(),
            key: Secret::new("k"),
        })
        .build()
        .unwrap();
    client.accounts().await.unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].auth_email.as_deref(), Some("ops@example.com"));
    assert!(seen[0].authorization.is_none());
}

#[tokio::test]
async fn builder_reads_the_lookup_and_validates() {
    let lookup = |n: &str| match n {
        "CLOUDFLARE_API_TOKEN" => Some(TOKEN.to_owned()),
        "CLOUDFLARE_BASE_URL" => Some("http://127.0.0.1:9/client/v4/".to_owned()),
        _ => None,
    };
    let client = Client::builder()
        .from_lookup(lookup)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9/client/v4");
    assert_eq!(
        Client::builder()
            .credentials(Credentials::token("t"))
            .build()
            .unwrap()
            .base_url(),
        DEFAULT_BASE_URL
    );
    assert!(Client::builder().build().is_err(), "no credentials");
    let bad = Client::builder()
        .credentials(Credentials::token("t"))
        .base_url("ftp://x")
        .build();
    assert!(matches!(bad, Err(Error::Config { .. })));
    let zero = Client::builder()
        .credentials(Credentials::token("t"))
        .concurrency(0)
        .build();
    assert!(matches!(zero, Err(Error::Config { .. })));
    let err = Client::builder().from_lookup(|_| None).unwrap_err();
    assert!(err.to_string().contains("CLOUDFLARE_API_TOKEN"));
}

// ---- pagination -------------------------------------------------------------------------------

#[tokio::test]
async fn page_walk_uses_the_largest_page_and_stops_on_total_pages() {
    let records: Vec<Value> = (0..7).map(|i| json!({"id": format!("r{i}"), "name": format!("h{i}.example.com"), "type": "A", "content": "192.0.2.1", "ttl": 1})).collect();
    let server = TestServer::start(move |s| paged(&records, s, 3)).await;
    let client = server.client().build().unwrap();
    let got = client.dns_records("z1").await.unwrap();
    assert_eq!(got.len(), 7);
    let seen = server.seen();
    assert_eq!(
        seen.len(),
        3,
        "3 pages of 3 (server cap), no extra empty page"
    );
    assert_eq!(
        seen[0].query.get("per_page").map(String::as_str),
        Some("5000")
    );
    assert_eq!(seen[2].query.get("page").map(String::as_str), Some("3"));
}

#[tokio::test]
async fn page_walk_without_total_pages_stops_on_a_short_page() {
    let server = TestServer::start(|s| {
        let page: usize = s
            .query
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let n = if page == 1 { 50 } else { 10 };
        let zones: Vec<Value> = (0..n)
            .map(|i| json!({"id": format!("z{page}-{i}"), "name": format!("{page}-{i}.example")}))
            .collect();
        ok(Value::Array(zones))
    })
    .await;
    let client = server.client().build().unwrap();
    assert_eq!(
        client.zones(&ZoneFilter::default()).await.unwrap().len(),
        60
    );
    assert_eq!(client.requests_sent(), 2);
}

#[tokio::test]
async fn cursor_walk_follows_cursors_after() {
    let server = TestServer::start(|s| {
        let cursor = s.query.get("cursor").cloned();
        assert_eq!(s.query.get("per_page").map(String::as_str), Some("500"));
        match cursor.as_deref() {
            None => ok_info(
                json!([{"id": "i1", "ip": "192.0.2.1"}, {"id": "i2", "ip": "192.0.2.2"}]),
                json!({"cursors": {"after": "c2"}}),
            ),
            Some("c2") => ok_info(
                json!([{"id": "i3", "ip": "192.0.2.3"}]),
                json!({"cursors": {"before": "c1"}}),
            ),
            Some(other) => panic!("unexpected cursor {other}"),
        }
    })
    .await;
    let client = server.client().build().unwrap();
    let items = client.list_items("a1", "l1").await.unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(client.requests_sent(), 2);
}

// ---- retries ----------------------------------------------------------------------------------

fn flaky(
    fail_first: usize,
    failure: impl Fn() -> Reply + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Reply + Send + Sync {
    let n = Mutex::new(0usize);
    move |_| {
        let mut n = n.lock().unwrap();
        *n += 1;
        if *n <= fail_first {
            failure()
        } else {
            ok(json!({"id": "z1", "name": "example.com", "type": "A"}))
        }
    }
}

#[tokio::test]
async fn retries_5xx_408_409_then_succeeds() {
    for status in [500, 502, 503, 408, 409] {
        let server = TestServer::start(flaky(2, move || fail(status, 0, "boom"))).await;
        let client = server.client().build().unwrap();
        client.zone("z1").await.unwrap();
        assert_eq!(
            (client.requests_sent(), client.retries()),
            (3, 2),
            "status {status}"
        );
    }
}

#[tokio::test]
async fn gives_up_after_max_retries() {
    let server = TestServer::start(|_| fail(503, 0, "unavailable")).await;
    let client = server.client().max_retries(2).build().unwrap();
    let err = client.zone("z1").await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 503, .. }), "{err:?}");
    assert_eq!((client.requests_sent(), client.retries()), (3, 2));
}

#[tokio::test]
async fn does_not_retry_client_errors() {
    let server = TestServer::start(|_| fail(400, 1004, "DNS Validation Error")).await;
    let client = server.client().build().unwrap();
    let err = client
        .create_dns_record("z1", &json!({"type": "A", "name": "x", "content": "nope"}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    assert!(err.to_string().contains("DNS Validation Error (code 1004)"));
    assert_eq!(client.requests_sent(), 1);
}

#[tokio::test]
async fn honours_retry_after_on_429_and_retries_posts_on_429_only() {
    let server = TestServer::start(flaky(1, || Reply {
        status: 429,
        headers: vec![("retry-after", "0.2".to_owned())],
        body: json!({"success": false, "errors": [{"code": 971, "message": "Please wait"}]})
            .to_string(),
    }))
    .await;
    let client = server.client().build().unwrap();
    let start = std::time::Instant::now();
    client
        .create_dns_record(
            "z1",
            &json!({"type": "A", "name": "a", "content": "192.0.2.1"}),
        )
        .await
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(200),
        "waited {:?}",
        start.elapsed()
    );
    assert_eq!((client.requests_sent(), client.retries()), (2, 1));

    // a POST that got a 5xx may have been processed: not retried
    let server = TestServer::start(flaky(1, || fail(500, 0, "oops"))).await;
    let client = server.client().build().unwrap();
    let err = client
        .create_dns_record("z1", &json!({"type": "A"}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server { .. }));
    assert_eq!(client.requests_sent(), 1);
}

#[tokio::test]
async fn persistent_429_reports_retry_after() {
    let server = TestServer::start(|_| Reply {
        status: 429,
        headers: vec![("retry-after", "0".to_owned())],
        body: "{}".to_owned(),
    })
    .await;
    let client = server.client().max_retries(1).build().unwrap();
    let err = client.zone("z1").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::RateLimited {
                retry_after: Some(0),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn truncated_bodies_are_retried() {
    let server = TestServer::start(flaky(2, || Reply {
        status: 200,
        headers: vec![],
        body: r#"{"success":true,"result":{"id":"z1","na"#.to_owned(),
    }))
    .await;
    let client = server.client().build().unwrap();
    assert_eq!(client.zone("z1").await.unwrap().name, "example.com");
    assert_eq!(client.retries(), 2);
}

#[tokio::test]
async fn connection_refused_is_retried_then_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}/client/v4"))
        .credentials(Credentials::token(TOKEN))
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .max_retries(2)
        .build()
        .unwrap();
    // even a POST is retried: the connection was never made
    let err = client
        .create_dns_record("z1", &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!((client.requests_sent(), client.retries()), (3, 2));
    let text = err.to_string();
    assert!(
        text.contains("POST /zones/z1/dns_records") && !text.contains(TOKEN),
        "{text}"
    );
}

#[tokio::test]
async fn timeouts_are_transport_errors() {
    let server = TestServer::start_with_delay(|_| ok(json!({})), Duration::from_millis(500)).await;
    let client = server
        .client()
        .timeout(Duration::from_millis(50))
        .max_retries(1)
        .build()
        .unwrap();
    let err = client.zone("z1").await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(client.requests_sent(), 2);
}

#[tokio::test]
async fn decode_errors_name_the_path_and_request() {
    let server =
        TestServer::start(|_| ok(json!([{"name": "a", "type": "A", "ttl": "auto"}]))).await;
    let client = server.client().build().unwrap();
    let err = client.dns_records("z1").await.unwrap_err();
    match &err {
        Error::Decode { path, context, .. } => {
            assert_eq!(path, "result[0].ttl");
            assert!(context
                .path
                .starts_with("/zones/z1/dns_records?page=1&per_page=5000"));
        }
        other => panic!("{other:?}"),
    }
}

// ---- limits -----------------------------------------------------------------------------------

#[tokio::test]
async fn concurrency_limit_bounds_requests_in_flight() {
    let server = TestServer::start_with_delay(
        |_| ok(json!({"id": "z", "name": "n"})),
        Duration::from_millis(30),
    )
    .await;
    let client = server.client().concurrency(3).build().unwrap();
    let calls = (0..12).map(|_| {
        let c = client.clone();
        async move { c.zone("z").await }
    });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    let max = server.in_flight_max.lock().unwrap().1;
    assert!((2..=3).contains(&max), "max in flight {max}");
    assert_eq!(client.requests_sent(), 12);
}

#[tokio::test]
async fn rate_limit_spaces_request_starts() {
    let server = TestServer::start(|_| ok(json!({"id": "z", "name": "n"}))).await;
    let client = server
        .client()
        .rate_limit(2, Duration::from_millis(200))
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    for _ in 0..5 {
        client.zone("z").await.unwrap();
    }
    // starts at 0, 0, 200, 200, 400 ms
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn ratelimit_header_with_nothing_left_pauses_the_next_start() {
    let server = TestServer::start(|_| Reply {
        status: 200,
        headers: vec![("ratelimit", r#""default";r=0;t=1"#.to_owned())],
        body: json!({"success": true, "errors": [], "result": {"id": "z", "name": "n"}})
            .to_string(),
    })
    .await;
    let client = server.client().build().unwrap();
    let start = std::time::Instant::now();
    client.zone("z").await.unwrap();
    client.zone("z").await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
}

// ---- GraphQL ----------------------------------------------------------------------------------

#[tokio::test]
async fn graphql_sends_query_and_variables_and_maps_errors() {
    let server = TestServer::start(|s| {
        assert_eq!(s.method, "POST");
        let query = s.body.get("query").and_then(Value::as_str).unwrap_or_default();
        if query.contains("firewallEventsAdaptiveGroups") {
            assert_eq!(s.body.pointer("/variables/zoneTag"), Some(&json!("z1")));
            Reply {
                status: 200,
                headers: vec![],
                body: json!({"data": {"viewer": {"zones": [{"events": [
                    {"count": 12, "dimensions": {"ruleId": "r1", "action": "block", "source": "firewallCustom"}}]}]}}, "errors": null}).to_string(),
            }
        } else {
            Reply { status: 200, headers: vec![], body: json!({"data": null, "errors": [{"message": "unknown field"}]}).to_string() }
        }
    })
    .await;
    let client = server.client().build().unwrap();
    let range = TimeRange {
        since: taken_at(),
        until: Timestamp::parse("2026-11-02T12:00:00Z").unwrap(),
    };
    let events = client
        .firewall_events_by_rule("z1", &range, 50)
        .await
        .unwrap();
    assert_eq!(
        events,
        vec![FirewallRuleEvents {
            rule_id: "r1".into(),
            action: "block".into(),
            source: "firewallCustom".into(),
            count: 12
        }]
    );
    let err = client.dns_analytics("z1", &range).await.unwrap_err();
    assert!(
        matches!(&err, Error::GraphQl { messages, .. } if messages[0] == "unknown field"),
        "{err:?}"
    );
}

// ---- a small account for snapshots ------------------------------------------------------------

struct Account1 {
    deny_bots_on: &'static str,
    fail_dns_on: Option<&'static str>,
}

fn account_handler(cfg: Account1) -> impl Fn(&Seen) -> Reply + Send + Sync {
    move |s: &Seen| {
        let parts: Vec<&str> = s.path.trim_start_matches('/').split('/').collect();
        let zones = [
            json!({"id": "z1", "name": "example.com", "status": "active", "account": {"id": "acc1", "name": "Acme"}, "plan": {"name": "Pro Website"}}),
            json!({"id": "z2", "name": "example.org", "status": "active", "account": {"id": "acc1", "name": "Acme"}, "plan": {"name": "Free Website"}}),
        ];
        match parts.as_slice() {
            ["accounts"] => paged(
                &[json!({"id": "acc1", "name": "Acme", "type": "standard"})],
                s,
                50,
            ),
            ["zones"] => {
                let filtered: Vec<Value> = zones
                    .iter()
                    .filter(|z| s.query.get("name").map_or(true, |n| z["name"] == json!(n)))
                    .cloned()
                    .collect();
                paged(&filtered, s, 50)
            }
            ["zones", z, "settings"] => ok(json!([
                {"id": "ssl", "value": "strict", "editable": true, "modified_on": null},
                {"id": "min_tls_version", "value": if *z == "z1" { "1.2" } else { "1.0" }, "editable": true}
            ])),
            ["zones", z, "dns_records"] => {
                if cfg.fail_dns_on == Some(*z) {
                    return fail(500, 0, "internal");
                }
                let recs: Vec<Value> = (0..3)
                    .map(|i| json!({"id": format!("{z}r{i}"), "name": format!("h{i}.example.com"), "type": if i == 2 { "CAA" } else { "A" }, "content": "192.0.2.1", "ttl": 1, "proxied": i == 0}))
                    .collect();
                paged(&recs, s, 5000)
            }
            ["zones", "z1", "dnssec"] => ok(json!({"status": "active", "algorithm": "13"})),
            ["zones", _, "dnssec"] => fail(404, 1001, "DNSSEC is not available on this plan"),
            ["zones", _, "rulesets"] => ok(json!([
                {"id": "rs1", "name": "default", "kind": "zone", "phase": "http_request_firewall_custom", "version": "3"},
                {"id": "rs2", "name": "default", "kind": "zone", "phase": "http_ratelimit", "version": "1"},
                {"id": "efb7b8c949ac4650a09736fc376e9aee", "name": "Cloudflare Managed Ruleset", "kind": "managed", "phase": "http_request_firewall_managed"}
            ])),
            ["zones", _, "rulesets", "phases", phase, "entrypoint"] => ok(json!({
                "id": format!("ep-{phase}"), "kind": "zone", "phase": phase, "version": "3",
                "rules": [{"id": "rule1", "action": "block", "expression": "ip.src eq 192.0.2.9", "enabled": true}]
            })),
            ["zones", z, "bot_management"] if *z == cfg.deny_bots_on => {
                fail(403, 10000, "Authentication error")
            }
            ["zones", _, "bot_management"] => ok(json!({"fight_mode": true, "enable_js": true})),
            ["accounts", "acc1", "cfd_tunnel"] => paged(
                &[
                    json!({"id": "t1", "name": "remote", "status": "healthy", "remote_config": true, "deleted_at": null}),
                    json!({"id": "t2", "name": "local", "status": "down", "remote_config": false, "deleted_at": null}),
                    json!({"id": "t3", "name": "gone", "status": "inactive", "remote_config": true, "deleted_at": "2025-01-01T00:00:00Z"}),
                ],
                s,
                1000,
            ),
            ["accounts", "acc1", "cfd_tunnel", "t1", "configurations"] => ok(json!({
                "tunnel_id": "t1", "version": 2,
                "config": {"ingress": [{"hostname": "app.example.com", "service": "http://localhost:8080"}, {"service": "http_status:404"}]}
            })),
            ["accounts", "acc1", "cfd_tunnel", t, "connections"] if *t != "t3" => ok(
                json!([{"id": format!("c-{t}"), "conns": [{"colo_name": "DFW", "is_pending_reconnect": false}]}]),
            ),
            ["accounts", "acc1", "rules", "lists"] => {
                ok(json!([{"id": "l1", "name": "blocked", "kind": "ip", "num_items": 2}]))
            }
            ["accounts", "acc1", "rules", "lists", "l1", "items"] => ok_info(
                json!([{"id": "i1", "ip": "192.0.2.9"}, {"id": "i2", "ip": "198.51.100.0/24"}]),
                json!({"cursors": {}}),
            ),
            _ => fail(404, 7003, &format!("no route for {} {}", s.method, s.path)),
        }
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl SnapshotProgress for Recorder {
    fn zones_found(&self, n: usize) {
        self.0.lock().unwrap().push(format!("zones:{n}"));
    }
    fn zone_done(&self, name: &str) {
        self.0.lock().unwrap().push(format!("zone:{name}"));
    }
    fn account_done(&self, id: &str) {
        self.0.lock().unwrap().push(format!("account:{id}"));
    }
}

#[tokio::test]
async fn snapshot_reads_everything_with_the_minimum_requests() {
    let server = TestServer::start(account_handler(Account1 {
        deny_bots_on: "z2",
        fail_dns_on: None,
    }))
    .await;
    let client = server.client().build().unwrap();
    let progress = Recorder::default();
    let scope = SnapshotScope::all();
    let snap = client
        .snapshot(&scope, taken_at(), &progress)
        .await
        .unwrap();

    assert_eq!(
        snap.zones
            .iter()
            .map(|z| z.zone.name.as_str())
            .collect::<Vec<_>>(),
        ["example.com", "example.org"]
    );
    let z1 = &snap.zones[0];
    assert_eq!(z1.settings.len(), 2);
    assert_eq!(z1.dns_records.len(), 3);
    assert!(z1.dnssec.is_some());
    assert_eq!(
        z1.rulesets.len(),
        2,
        "only kind=zone rulesets, one entrypoint GET each"
    );
    assert_eq!(z1.rulesets[0].rules.len(), 1);
    assert!(z1.bot_management.is_some());
    let z2 = &snap.zones[1];
    assert!(z2.bot_management.is_none() && z2.dnssec.is_none());

    let gaps: Vec<(Option<&str>, &str, &str)> = snap
        .gaps
        .iter()
        .map(|g| (g.zone.as_deref(), g.section.as_str(), g.reason.as_str()))
        .collect();
    assert_eq!(
        gaps,
        vec![
            (
                Some("example.org"),
                "dnssec",
                "404 DNSSEC is not available on this plan (code 1001)"
            ),
            (
                Some("example.org"),
                "bot_management",
                "403 Authentication error (code 10000)"
            ),
        ]
    );

    let account = &snap.accounts[0];
    assert_eq!(account.account.id, "acc1");
    assert_eq!(account.tunnels.len(), 3);
    assert_eq!(account.tunnels[0].ingress().len(), 2);
    assert!(
        account.tunnels[1].configuration.is_none(),
        "locally configured: no config GET"
    );
    assert_eq!(account.tunnels[1].connections.len(), 1);
    assert!(
        account.tunnels[2].configuration.is_none() && account.tunnels[2].connections.is_empty(),
        "deleted"
    );
    assert_eq!(account.lists[0].items.len(), 2);

    assert_eq!(client.requests_sent(), minimum_requests(&snap, &scope));
    // accounts 1 + zones 1 + 2 zones × (settings, dns, dnssec, rulesets list, 2 entrypoints, bots)
    // + tunnels 1 + t1 config + t1/t2 connections + lists 1 + items 1
    assert_eq!(client.requests_sent(), 1 + 1 + 2 * 7 + 1 + 1 + 2 + 1 + 1);
    assert_eq!(server.count("/accounts/acc1/cfd_tunnel/t3/connections"), 0);
    assert_eq!(
        server.count("/accounts/acc1/cfd_tunnel/t2/configurations"),
        0
    );

    let events = progress.0.lock().unwrap().clone();
    assert_eq!(events[0], "zones:2");
    assert!(
        events.contains(&"zone:example.org".to_owned())
            && events.contains(&"account:acc1".to_owned())
    );

    // the token appears nowhere in the snapshot
    assert!(!snap.to_json_pretty().contains(TOKEN));
    // and the snapshot is a valid v1 document
    assert_eq!(
        crate::snapshot::Snapshot::from_json_str(&snap.to_json_pretty()).unwrap(),
        snap
    );
}

#[tokio::test]
async fn snapshot_of_named_zones_uses_the_name_filter() {
    let server = TestServer::start(account_handler(Account1 {
        deny_bots_on: "none",
        fail_dns_on: None,
    }))
    .await;
    let client = server.client().build().unwrap();
    let scope = SnapshotScope {
        zones: vec!["example.org".into()],
        accounts: vec![],
    };
    let snap = client
        .snapshot(&scope, taken_at(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(snap.zones.len(), 1);
    assert_eq!(snap.zones[0].zone.id, "z2");
    assert_eq!(snap.accounts.len(), 1, "the owning account");
    assert_eq!(client.requests_sent(), minimum_requests(&snap, &scope));
    let zone_calls: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/zones")
        .collect();
    assert_eq!(zone_calls.len(), 1);
    assert_eq!(
        zone_calls[0].query.get("name").map(String::as_str),
        Some("example.org")
    );

    let missing = SnapshotScope {
        zones: vec!["nope.example".into()],
        accounts: vec![],
    };
    let err = client
        .snapshot(&missing, taken_at(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.example"), "{err}");
}

#[tokio::test]
async fn snapshot_fails_naming_zone_and_section_on_persistent_errors() {
    let server = TestServer::start(account_handler(Account1 {
        deny_bots_on: "none",
        fail_dns_on: Some("z2"),
    }))
    .await;
    let client = server.client().max_retries(2).build().unwrap();
    let err = client
        .snapshot(&SnapshotScope::all(), taken_at(), &NoProgress)
        .await
        .unwrap_err();
    let context = err.api_context().cloned().unwrap_or_default();
    assert_eq!(context.zone.as_deref(), Some("example.org"));
    assert_eq!(context.section.as_deref(), Some("dns_records"));
    let text = err.to_string();
    assert!(
        text.contains("zone example.org") && text.contains("section dns_records"),
        "{text}"
    );
    assert_eq!(server.count("/zones/z2/dns_records"), 3, "retried twice");
}

#[tokio::test]
async fn snapshot_without_account_permission_records_a_gap_and_uses_zone_owners() {
    let inner = account_handler(Account1 {
        deny_bots_on: "none",
        fail_dns_on: None,
    });
    let server = TestServer::start(move |s| {
        if s.path == "/accounts" || s.path.starts_with("/accounts/acc1/rules") {
            fail(403, 10000, "Authentication error")
        } else {
            inner(s)
        }
    })
    .await;
    let client = server.client().build().unwrap();
    let snap = client
        .snapshot(&SnapshotScope::all(), taken_at(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(snap.accounts.len(), 1);
    assert_eq!(snap.accounts[0].account.name.as_deref(), Some("Acme"));
    let sections: Vec<(&str, Option<&str>)> = snap
        .gaps
        .iter()
        .filter(|g| g.zone.is_none())
        .map(|g| (g.section.as_str(), g.account.as_deref()))
        .collect();
    assert_eq!(sections, vec![("accounts", None), ("lists", Some("acc1"))]);
    assert!(snap.accounts[0].lists.is_empty());
    assert_eq!(
        client.requests_sent(),
        minimum_requests(&snap, &SnapshotScope::all())
    );
}

#[tokio::test]
async fn invalid_token_fails_instead_of_gapping() {
    let server = TestServer::start(|_| fail(401, 1000, "Invalid API Token")).await;
    let client = server.client().build().unwrap();
    let err = client
        .snapshot(&SnapshotScope::all(), taken_at(), &NoProgress)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Authentication { status: 401, .. }),
        "{err:?}"
    );
}

// ---- verify-token -----------------------------------------------------------------------------

fn token_handler(details_readable: bool) -> impl Fn(&Seen) -> Reply + Send + Sync {
    let inner = account_handler(Account1 {
        deny_bots_on: "z1",
        fail_dns_on: None,
    });
    move |s: &Seen| match s.path.as_str() {
        "/user/tokens/verify" => {
            ok(json!({"id": "tok1", "status": "active", "expires_on": "2027-01-01T00:00:00Z"}))
        }
        "/user/tokens/tok1" if details_readable => ok(json!({
            "id": "tok1", "name": "cfcp read", "status": "active",
            "policies": [
                {"id": "p1", "effect": "allow", "resources": {"com.cloudflare.api.account.zone.z1": "*"},
                 "permission_groups": [{"id": "g1", "name": "Zone Read"}, {"id": "g2", "name": "DNS Write"}]}
            ]
        })),
        "/user/tokens/tok1" => fail(403, 9109, "Unauthorized to access requested resource"),
        _ => inner(s),
    }
}

#[tokio::test]
async fn verify_token_analyses_policies() {
    let server = TestServer::start(token_handler(true)).await;
    let client = server.client().build().unwrap();
    let report = client
        .verify_token(None, &[Mode::ReadOnlyChecks])
        .await
        .unwrap();
    assert_eq!(report.id, "tok1");
    assert_eq!(report.name.as_deref(), Some("cfcp read"));
    assert_eq!(report.analysis.source, AnalysisSource::Policies);
    assert!(report.analysis.suffices_for(Mode::ManageDns));
    assert!(!report.analysis.suffices_for(Mode::ReadOnlyChecks));
    assert!(
        report
            .analysis
            .warnings
            .iter()
            .any(|w| w.contains("DNS Write")),
        "{:?}",
        report.analysis.warnings
    );
    assert!(report.probes.is_empty());
    assert!(!format!("{report:?}").contains(TOKEN));
}

#[tokio::test]
async fn verify_token_falls_back_to_probes() {
    let server = TestServer::start(token_handler(false)).await;
    let client = server.client().build().unwrap();
    let report = client.verify_token(None, &[]).await.unwrap();
    assert!(report.policies.is_none());
    let why = report.details_error.clone().unwrap_or_default();
    assert!(
        why.starts_with("403 Unauthorized to access requested resource (code 9109)"),
        "{why}"
    );
    assert_eq!(report.analysis.source, AnalysisSource::Probes);
    let outcome = |section| {
        report
            .probes
            .iter()
            .find(|p| p.section == section)
            .map(|p| p.outcome.clone())
    };
    assert_eq!(outcome(Section::Zones), Some(ProbeOutcome::Readable));
    assert_eq!(
        outcome(Section::BotManagement),
        Some(ProbeOutcome::Denied(
            "403 Authentication error (code 10000)".into()
        ))
    );
    assert_eq!(
        report.analysis.section(Section::DnsRecords).map(|s| s.read),
        Some(Knowledge::Yes)
    );
    assert!(!report.analysis.suffices_for(Mode::ReadOnlyChecks));
    // one cheap GET per permission, after verify + details
    assert_eq!(client.requests_sent(), 2 + 8);
}

#[tokio::test]
async fn verify_token_refuses_global_keys() {
    let client = Client::builder()
        .credentials(Credentials::Key {
            email: "a@b.c".into(),
            key: Secret::new("k"),
        })
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    assert!(matches!(
        client.verify_token(None, &[]).await,
        Err(Error::Config { .. })
    ));
    assert_eq!(client.requests_sent(), 0);
}

// ---- request bodies ---------------------------------------------------------------------------

#[tokio::test]
async fn write_bodies_use_cloudflares_field_names() {
    let server = TestServer::start(|s| match (s.method.as_str(), s.path.as_str()) {
        ("POST", "/zones/z1/dns_records/batch") => ok(json!({"deletes": [{"id": "r1", "name": "a.example.com", "type": "A"}], "posts": []})),
        ("PATCH", "/zones/z1/settings/ssl") => ok(json!({"id": "ssl", "value": s.body["value"].clone()})),
        ("PUT", "/accounts/a1/cfd_tunnel/t1/configurations") => ok(json!({"tunnel_id": "t1", "config": s.body["config"].clone()})),
        ("PATCH", "/zones/z1/rulesets/rs1/rules/r1") | ("POST", "/zones/z1/rulesets/rs1/rules") | ("DELETE", "/zones/z1/rulesets/rs1/rules/r1") => {
            ok(json!({"id": "rs1", "kind": "zone", "phase": "http_request_firewall_custom", "rules": []}))
        }
        ("PUT", "/zones/z1/rulesets/phases/http_request_firewall_custom/entrypoint") => ok(json!({"id": "rs1", "rules": s.body["rules"].clone()})),
        ("PATCH", "/zones/z1/dnssec") => ok(json!({"status": s.body["status"].clone()})),
        ("PUT", "/zones/z1/bot_management") => ok(s.body.clone()),
        ("DELETE", "/zones/z1/dns_records/r1") => ok(json!({"id": "r1"})),
        _ => fail(404, 7003, "no route"),
    })
    .await;
    let client = server.client().build().unwrap();
    let batch = DnsBatch::default().delete("r1");
    let result = client.batch_dns_records("z1", &batch).await.unwrap();
    assert_eq!(result.deletes.len(), 1);
    assert_eq!(
        client
            .patch_zone_setting("z1", "ssl", &json!("strict"))
            .await
            .unwrap()
            .value,
        json!("strict")
    );
    let cfg = client
        .put_tunnel_configuration(
            "a1",
            "t1",
            &json!({"ingress": [{"service": "http_status:404"}]}),
        )
        .await
        .unwrap();
    assert_eq!(
        cfg.config.get().and_then(|c| c.ingress.get()).map(Vec::len),
        Some(1)
    );
    let phase = crate::snapshot::Phase::HttpRequestFirewallCustom;
    client
        .put_phase_entrypoint(
            "z1",
            &phase,
            &json!({"rules": [{"action": "block", "expression": "true"}]}),
        )
        .await
        .unwrap();
    client
        .create_rule("z1", "rs1", &json!({"action": "log", "expression": "true"}))
        .await
        .unwrap();
    client
        .update_rule("z1", "rs1", "r1", &json!({"enabled": false}))
        .await
        .unwrap();
    client.delete_rule("z1", "rs1", "r1").await.unwrap();
    client
        .patch_dnssec("z1", &json!({"status": "active"}))
        .await
        .unwrap();
    client
        .put_bot_management("z1", &json!({"fight_mode": true}))
        .await
        .unwrap();
    assert_eq!(
        client.delete_dns_record("z1", "r1").await.unwrap(),
        json!({"id": "r1"})
    );
    let seen = server.seen();
    assert_eq!(seen[0].body, json!({"deletes": [{"id": "r1"}]}));
    assert_eq!(seen[1].body, json!({"value": "strict"}));
    assert_eq!(
        seen[2].body,
        json!({"config": {"ingress": [{"service": "http_status:404"}]}})
    );
    assert!(seen
        .iter()
        .all(|s| s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")[..])));
}

#[test]
fn client_and_snapshot_future_are_send() {
    fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync_clone::<Client>();
    let client = Client::builder()
        .credentials(Credentials::token("t"))
        .build()
        .unwrap();
    let scope = SnapshotScope::all();
    let future = client.snapshot(&scope, taken_at(), &NoProgress);
    send(&future);
    let verify = client.verify_token(None, &[]);
    send(&verify);
}
