//! Helpers shared by the fake's integration tests.
#![allow(dead_code)]

use fake_cloudflare::{FakeCloudflare, FakeConfig, FakeHandle, TokenSpec};
use serde_json::Value;

/// The token every helper sends unless told otherwise.
pub const TOKEN: &str = "test-token-3b1f0c2a";

/// A fake seeded with a small synthetic account and [`TOKEN`] holding every permission.
pub async fn start_small() -> FakeHandle {
    start(
        FakeConfig::new(fake_cloudflare::synthetic::account(3, 30, 11))
            .with_token(TokenSpec::all(TOKEN)),
    )
    .await
}

/// Starts a fake or fails the test.
pub async fn start(config: FakeConfig) -> FakeHandle {
    FakeCloudflare::start(config)
        .await
        .expect("the fake starts")
}

/// A plain client (no retries).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().build().expect("client")
}

/// An answer: status, headers and the JSON body (Null when it was not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn result(&self) -> &Value {
        &self.body["result"]
    }

    pub fn code(&self) -> i64 {
        self.body["errors"][0]["code"].as_i64().unwrap_or(-1)
    }
}

/// Sends a request with `token` (when given) and an optional JSON body.
pub async fn call(
    fake: &FakeHandle,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let url = format!("{}{path}", fake.base_url());
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("the request is answered");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(fake: &FakeHandle, path: &str) -> Answer {
    call(fake, Some(TOKEN), "GET", path, None).await
}

pub async fn send(fake: &FakeHandle, method: &str, path: &str, body: Value) -> Answer {
    call(fake, Some(TOKEN), method, path, Some(body)).await
}

/// The first zone's id.
pub async fn first_zone(fake: &FakeHandle) -> String {
    get(fake, "/zones").await.result()[0]["id"]
        .as_str()
        .expect("a zone")
        .to_owned()
}

/// Reads the whole account through the API the way a client takes a snapshot (largest pages,
/// entrypoints of the phases the rulesets list names) and returns it as snapshot JSON.
pub async fn snapshot_through_api(fake: &FakeHandle, seed_head: &Value) -> Value {
    async fn pages(fake: &FakeHandle, path: &str, per_page: usize) -> Vec<Value> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        for page in 1.. {
            let a = get(fake, &format!("{path}{sep}per_page={per_page}&page={page}")).await;
            assert_eq!(a.status, 200, "{path}: {}", a.body);
            let items = a.result().as_array().cloned().unwrap_or_default();
            let total_pages = a.body["result_info"]["total_pages"].as_u64().unwrap_or(0);
            let n = items.len();
            out.extend(items);
            if n == 0 || page as u64 >= total_pages {
                break;
            }
        }
        out
    }
    async fn cursor(fake: &FakeHandle, path: &str, per_page: usize) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cur: Option<String> = None;
        loop {
            let q = match &cur {
                Some(c) => format!("{path}?per_page={per_page}&cursor={c}"),
                None => format!("{path}?per_page={per_page}"),
            };
            let a = get(fake, &q).await;
            assert_eq!(a.status, 200, "{q}: {}", a.body);
            out.extend(a.result().as_array().cloned().unwrap_or_default());
            let next = a.body["result_info"]["cursors"]["after"]
                .as_str()
                .or_else(|| a.body["result_info"]["cursor"].as_str())
                .map(str::to_owned);
            match next {
                Some(n) => cur = Some(n),
                None => break,
            }
        }
        out
    }
    let mut accounts = Vec::new();
    for account in pages(fake, "/accounts", 50).await {
        let id = account["id"].as_str().unwrap().to_owned();
        let mut tunnels = Vec::new();
        for tunnel in pages(fake, &format!("/accounts/{id}/cfd_tunnel"), 1000).await {
            let tid = tunnel["id"].as_str().unwrap().to_owned();
            let conf = get(
                fake,
                &format!("/accounts/{id}/cfd_tunnel/{tid}/configurations"),
            )
            .await;
            let configuration = if conf.status == 404 {
                Value::Null
            } else {
                conf.result().clone()
            };
            let connections = get(
                fake,
                &format!("/accounts/{id}/cfd_tunnel/{tid}/connections"),
            )
            .await
            .result()
            .clone();
            tunnels.push(serde_json::json!({"tunnel": tunnel, "configuration": configuration, "connections": connections}));
        }
        let mut lists = Vec::new();
        for list in get(fake, &format!("/accounts/{id}/rules/lists"))
            .await
            .result()
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let lid = list["id"].as_str().unwrap().to_owned();
            let items = cursor(
                fake,
                &format!("/accounts/{id}/rules/lists/{lid}/items"),
                500,
            )
            .await;
            lists.push(serde_json::json!({"list": list, "items": items}));
        }
        accounts.push(serde_json::json!({"account": account, "tunnels": tunnels, "lists": lists}));
    }
    let mut zones = Vec::new();
    for zone in pages(fake, "/zones", 50).await {
        let z = zone["id"].as_str().unwrap().to_owned();
        let settings = get(fake, &format!("/zones/{z}/settings"))
            .await
            .result()
            .clone();
        let records = pages(fake, &format!("/zones/{z}/dns_records"), 5000).await;
        let dnssec = get(fake, &format!("/zones/{z}/dnssec"))
            .await
            .result()
            .clone();
        let mut rulesets = Vec::new();
        for summary in cursor(fake, &format!("/zones/{z}/rulesets"), 50).await {
            if summary["kind"] != "zone" {
                continue;
            }
            let phase = summary["phase"].as_str().unwrap();
            rulesets.push(
                get(
                    fake,
                    &format!("/zones/{z}/rulesets/phases/{phase}/entrypoint"),
                )
                .await
                .result()
                .clone(),
            );
        }
        let bot = get(fake, &format!("/zones/{z}/bot_management"))
            .await
            .result()
            .clone();
        zones.push(
            serde_json::json!({"zone": zone, "settings": settings, "dns_records": records,
            "dnssec": dnssec, "rulesets": rulesets, "bot_management": bot}),
        );
    }
    let mut snap = seed_head.clone();
    snap["accounts"] = Value::Array(accounts);
    snap["zones"] = Value::Array(zones);
    snap
}
