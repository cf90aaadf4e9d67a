//! Conformance against real recorded Cloudflare responses.
//!
//! Reads the go-vcr cassettes and response fixtures in `../shared/cloudflare/recorded/` (beside
//! the checkout), serves them from a replay server on 127.0.0.1 (matched by method, path and the
//! recorded query), points the client at it and asserts that what the client parsed, written
//! back as JSON, equals what Cloudflare sent: no record, rule or setting lost or changed.
//!
//! When `../shared` is absent the tests say so loudly on stderr and return.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode, Uri};
use axum::response::IntoResponse;
use cfcp::api::{minimum_requests, Client, Credentials, NoProgress, SnapshotScope, ZoneFilter};
use cfcp::snapshot::Timestamp;
use serde_json::{json, Value};

const RECORDED_BASE: &str = "https://api.cloudflare.com/client/v4";

fn recorded_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/cloudflare/recorded");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "CONFORMANCE SKIPPED: ../shared not found at {} — the recorded-response conformance tests did NOT run",
            dir.display()
        );
        None
    }
}

/// One recorded answer.
#[derive(Debug, Clone)]
struct Route {
    method: String,
    path: String,
    /// Query pairs that must match (empty: any query).
    query: Vec<(String, String)>,
    status: u16,
    body: String,
    /// Where it came from, for messages.
    origin: String,
}

impl Route {
    fn result(&self) -> Value {
        serde_json::from_str::<Value>(&self.body)
            .map(|v| v["result"].clone())
            .unwrap_or(Value::Null)
    }
}

fn cassette_routes(file: &Path) -> Vec<Route> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let doc: Value = match serde_norway::from_str(&text) {
        Ok(doc) => doc,
        Err(e) => panic!("{}: not a readable cassette: {e}", file.display()),
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut routes = Vec::new();
    for (i, interaction) in doc["interactions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let url = interaction["request"]["url"].as_str().unwrap_or_default();
        let method = interaction["request"]["method"]
            .as_str()
            .unwrap_or("GET")
            .to_owned();
        let rest = url.strip_prefix(RECORDED_BASE).unwrap_or(url);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let response = &interaction["response"];
        let status = response["code"]
            .as_u64()
            .or_else(|| {
                response["status"]
                    .as_str()
                    .and_then(|s| s.split_whitespace().next()?.parse().ok())
            })
            .unwrap_or(200) as u16;
        routes.push(Route {
            method,
            path: path.to_owned(),
            query,
            status,
            body: response["body"].as_str().unwrap_or_default().to_owned(),
            origin: format!("{name} interaction {i}"),
        });
    }
    routes
}

fn fixture(dir: &Path, name: &str, method: &str, path: &str, query: &[(&str, &str)]) -> Route {
    let file = dir.join("cloudflare-go").join(name);
    Route {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        status: 200,
        body: std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
        origin: format!("cloudflare-go/{name}"),
    }
}

/// Serves `routes`; unmatched requests get a 404 envelope and are remembered.
struct Replay {
    base_url: String,
    misses: Arc<Mutex<Vec<String>>>,
}

async fn replay(routes: Vec<Route>) -> Replay {
    let routes = Arc::new(routes);
    let misses = Arc::new(Mutex::new(Vec::new()));
    let misses2 = Arc::clone(&misses);
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri| {
        let (routes, misses) = (Arc::clone(&routes), Arc::clone(&misses2));
        async move {
            let path = uri.path().trim_start_matches("/client/v4").to_owned();
            let pairs: Vec<(String, String)> = uri
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.to_owned(), v.to_owned())
                })
                .collect();
            let hit = routes
                .iter()
                .filter(|r| r.method == method.as_str() && r.path == path)
                .filter(|r| r.query.iter().all(|q| pairs.contains(q)))
                .max_by_key(|r| r.query.len());
            match hit {
                Some(r) => (StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK), r.body.clone()).into_response(),
                None => {
                    misses.lock().unwrap_or_else(|p| p.into_inner()).push(format!("{method} {uri}"));
                    let body = json!({"success": false, "errors": [{"code": 7003, "message": "not recorded"}], "result": null});
                    (StatusCode::NOT_FOUND, body.to_string()).into_response()
                }
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Replay {
        base_url: format!("http://{addr}/client/v4"),
        misses,
    }
}

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .credentials(Credentials::token("conformance-token"))
        .max_retries(0)
        .build()
        .expect("client")
}

/// Calls the typed client method for a recorded GET and returns what it parsed, as JSON.
async fn parsed(client: &Client, path: &str) -> Result<Value, String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["zones"] => j(client.zones(&ZoneFilter::default()).await),
        ["zones", z, "settings"] => j(client.zone_settings(z).await),
        ["zones", z, "settings", s] => j(client.zone_setting(z, s).await),
        ["zones", z, "dns_records"] => j(client.dns_records(z).await),
        ["zones", z, "dnssec"] => j(client.dnssec(z).await),
        ["zones", z, "bot_management"] => j(client.bot_management(z).await),
        ["zones", z, "rulesets"] => j(client.rulesets(z).await),
        ["zones", z, "rulesets", r] => j(client.ruleset(z, r).await),
        ["accounts", a, "cfd_tunnel"] => j(client.tunnels(a).await),
        ["accounts", a, "cfd_tunnel", t] => j(client.tunnel(a, t).await),
        ["accounts", a, "cfd_tunnel", t, "configurations"] => {
            j(client.tunnel_configuration(a, t).await)
        }
        ["user"] => j(client.get_value("/user", &[]).await),
        other => Err(format!(
            "no typed client method mapped for /{}",
            other.join("/")
        )),
    }
}

/// What the client parsed, written back as JSON.
fn j<T: serde::Serialize>(result: cfcp::Result<T>) -> Result<Value, String> {
    let parsed = result.map_err(|e| format!("client error: {e}"))?;
    serde_json::to_value(parsed).map_err(|e| format!("re-serializing failed: {e}"))
}

/// The ruleset *list* omits `rules`; the model writes `rules: []` for every ruleset. Accept only
/// that difference (it adds nothing and loses nothing).
fn without_added_empty_rules(parsed: &mut Value, recorded: &Value) {
    if let (Some(items), Some(rec)) = (parsed.as_array_mut(), recorded.as_array()) {
        for (item, rec) in items.iter_mut().zip(rec) {
            if rec.get("rules").is_none() && item.get("rules") == Some(&json!([])) {
                if let Some(obj) = item.as_object_mut() {
                    obj.remove("rules");
                }
            }
        }
    }
}

#[tokio::test]
async fn every_recorded_response_is_parsed_without_loss() {
    let Some(dir) = recorded_dir() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("cf-terraforming"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected the cf-terraforming cassettes in {}",
        dir.display()
    );
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in &files {
        if file.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let routes = cassette_routes(file);
        for route in routes
            .iter()
            .filter(|r| r.method == "GET" && r.status == 200)
        {
            // one server per interaction: cassettes record the same URL with different bodies
            let server = replay(vec![route.clone()]).await;
            let client = client(&server.base_url);
            let recorded = route.result();
            match parsed(&client, &route.path).await {
                Ok(mut got) => {
                    if route.path.ends_with("/rulesets") {
                        without_added_empty_rules(&mut got, &recorded);
                    }
                    if got != recorded {
                        failures.push(format!(
                            "{} ({}): parsed value differs from the recording",
                            route.origin, route.path
                        ));
                    }
                    checked += 1;
                }
                Err(e) => failures.push(format!("{} ({}): {e}", route.origin, route.path)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} recorded responses lost data:\n{}",
        failures.len(),
        checked,
        failures.join("\n")
    );
    assert!(checked >= 20, "only {checked} recorded responses checked");
    eprintln!("conformance: {checked} recorded responses parsed without loss");
}

#[tokio::test]
async fn two_page_dns_listing_and_tunnel_fixtures() {
    let Some(dir) = recorded_dir() else { return };
    let routes = vec![
        fixture(
            &dir,
            "dns_list_page_1.json",
            "GET",
            "/zones/z/dns_records",
            &[("page", "1")],
        ),
        fixture(
            &dir,
            "dns_list_page_2.json",
            "GET",
            "/zones/z/dns_records",
            &[("page", "2")],
        ),
        fixture(
            &dir,
            "tunnel_multiple_full.json",
            "GET",
            "/accounts/a/cfd_tunnel",
            &[],
        ),
        fixture(
            &dir,
            "tunnel_single_full.json",
            "GET",
            "/accounts/a/cfd_tunnel/f174e90a-fafe-4643-bbbc-4a0ed4fc8415",
            &[],
        ),
        fixture(
            &dir,
            "tunnel_configuration.json",
            "GET",
            "/accounts/a/cfd_tunnel/f174e90a-fafe-4643-bbbc-4a0ed4fc8415/configurations",
            &[],
        ),
    ];
    let server = replay(routes.clone()).await;
    let client = client(&server.base_url);

    let records =
        serde_json::to_value(client.dns_records("z").await.expect("dns pages")).unwrap_or_default();
    let mut expected = routes[0].result().as_array().cloned().unwrap_or_default();
    expected.extend(routes[1].result().as_array().cloned().unwrap_or_default());
    assert_eq!(expected.len(), 5);
    assert_eq!(
        records,
        Value::Array(expected),
        "both pages, every record, unchanged"
    );
    assert_eq!(
        client.requests_sent(),
        2,
        "page 2 is the last per total_pages: no third request"
    );

    for route in &routes[2..] {
        let got = parsed(&client, &route.path)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", route.origin));
        assert_eq!(got, route.result(), "{}", route.origin);
    }
    assert!(server.misses.lock().map(|m| m.is_empty()).unwrap_or(false));
}

#[tokio::test]
async fn snapshot_of_the_recorded_zone_keeps_everything() {
    let Some(dir) = recorded_dir() else { return };
    let cassette = |name: &str| cassette_routes(&dir.join("cf-terraforming").join(name));
    let zone_id = "0da42c8d2132a9ddaf714f9e7c920711";
    let account_id = "f037e56e89293a057740de681ac9abbe";
    let get = |routes: &[Route], path: &str| {
        routes
            .iter()
            .find(|r| r.path == path)
            .cloned()
            .unwrap_or_else(|| panic!("no recorded {path}"))
    };
    let settings = get(
        &cassette("v4_cloudflare_zone_settings_override.yaml"),
        &format!("/zones/{zone_id}/settings"),
    );
    let dns = get(
        &cassette("v5_cloudflare_dns_record.yaml"),
        &format!("/zones/{zone_id}/dns_records"),
    );
    let dnssec = get(
        &cassette("v5_cloudflare_zone_dnssec.yaml"),
        &format!("/zones/{zone_id}/dnssec"),
    );
    let bots = get(
        &cassette("v5_cloudflare_bot_management.yaml"),
        &format!("/zones/{zone_id}/bot_management"),
    );
    let rulesets = cassette("v5_cloudflare_ruleset_zone.yaml");
    let list = get(&rulesets, &format!("/zones/{zone_id}/rulesets"));
    let tunnels = get(
        &cassette("v5_cloudflare_zero_trust_tunnel_cloudflared.yaml"),
        &format!("/accounts/{account_id}/cfd_tunnel"),
    );

    // Glue the recordings do not contain, synthesised here and named as such:
    // the zone and account listings, the phase-entrypoint alias of each recorded zone ruleset,
    // and an empty rules-lists answer.
    let synthetic = |path: String, query: &[(&str, &str)], result: Value| Route {
        method: "GET".into(),
        path,
        query: query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        status: 200,
        body: json!({"success": true, "errors": [], "messages": [], "result": result,
                     "result_info": {"page": 1, "per_page": 50, "total_pages": 1}})
        .to_string(),
        origin: "synthetic glue".into(),
    };
    let zone = json!({"id": zone_id, "name": "example.com", "status": "active",
                      "account": {"id": account_id, "name": "Recorded account"}});
    let mut routes = vec![
        synthetic("/zones".into(), &[("name", "example.com")], json!([zone])),
        synthetic(
            "/accounts".into(),
            &[],
            json!([{"id": account_id, "name": "Recorded account"}]),
        ),
        synthetic(
            format!("/accounts/{account_id}/rules/lists"),
            &[],
            json!([]),
        ),
        settings.clone(),
        dns.clone(),
        dnssec.clone(),
        bots.clone(),
        list.clone(),
        tunnels.clone(),
    ];
    let mut expected_rulesets = Vec::new();
    for listed in list.result().as_array().cloned().unwrap_or_default() {
        if listed["kind"] != json!("zone") {
            continue;
        }
        let id = listed["id"].as_str().unwrap_or_default();
        let phase = listed["phase"].as_str().unwrap_or_default();
        let full = get(&rulesets, &format!("/zones/{zone_id}/rulesets/{id}"));
        expected_rulesets.push(full.result());
        let mut alias = full.clone();
        alias.path = format!("/zones/{zone_id}/rulesets/phases/{phase}/entrypoint");
        routes.push(alias);
    }
    assert!(!expected_rulesets.is_empty());

    let server = replay(routes).await;
    let client = client(&server.base_url);
    let scope = SnapshotScope {
        zones: vec!["example.com".into()],
        accounts: vec![],
    };
    let taken_at = Timestamp::parse("2026-11-01T12:00:00Z").expect("timestamp");
    let snapshot = client
        .snapshot(&scope, taken_at, &NoProgress)
        .await
        .expect("snapshot from recordings");
    let misses = server.misses.lock().map(|m| m.clone()).unwrap_or_default();
    assert!(
        misses.is_empty(),
        "requests with no recorded answer: {misses:?}"
    );
    assert!(snapshot.gaps.is_empty(), "{:?}", snapshot.gaps);

    let value = snapshot.to_value();
    let zone = &value["zones"][0];
    assert_eq!(zone["settings"], settings.result(), "every setting kept");
    assert_eq!(zone["dns_records"], dns.result(), "every DNS record kept");
    assert_eq!(zone["dnssec"], dnssec.result());
    assert_eq!(zone["bot_management"], bots.result());
    assert_eq!(
        zone["rulesets"],
        Value::Array(expected_rulesets),
        "every rule kept"
    );
    assert_eq!(
        value["accounts"][0]["tunnels"].as_array().map(Vec::len),
        tunnels.result().as_array().map(Vec::len)
    );
    for (i, tunnel) in tunnels
        .result()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        assert_eq!(
            &value["accounts"][0]["tunnels"][i]["tunnel"], tunnel,
            "tunnel {i} kept"
        );
    }
    // the recorded tunnels are all deleted: no configuration or connection requests
    assert_eq!(client.requests_sent(), minimum_requests(&snapshot, &scope));
}

// ---- request bodies against Cloudflare's request schemas ---------------------------------------

/// Every schema that `schema` may be (following `$ref` into `defs` and `anyOf`/`oneOf`/`allOf`).
fn branches<'a>(schema: &'a Value, defs: &'a Value, depth: usize) -> Vec<&'a Value> {
    if depth > 8 {
        return vec![];
    }
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        return defs
            .get(name)
            .map(|d| branches(d, defs, depth + 1))
            .unwrap_or_default();
    }
    let mut out = vec![schema];
    for key in ["anyOf", "oneOf", "allOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            out.extend(branches(sub, defs, depth + 1));
        }
    }
    out
}

/// Checks that every member of `value` is a property Cloudflare's schema knows (recursively,
/// a few levels deep); returns the unknown members' paths.
fn unknown_members(
    value: &Value,
    schema: &Value,
    defs: &Value,
    path: &str,
    depth: usize,
) -> Vec<String> {
    if depth > 4 {
        return vec![];
    }
    let options = branches(schema, defs, 0);
    match value {
        Value::Object(map) => {
            let open = options
                .iter()
                .any(|b| b.get("additionalProperties") == Some(&json!(true)))
                || options.iter().all(|b| b.get("properties").is_none());
            let mut unknown = Vec::new();
            for (key, member) in map {
                let property = options
                    .iter()
                    .find_map(|b| b.get("properties").and_then(|p| p.get(key)));
                match property {
                    Some(p) => unknown.extend(unknown_members(
                        member,
                        p,
                        defs,
                        &format!("{path}.{key}"),
                        depth + 1,
                    )),
                    None if open => {}
                    None => unknown.push(format!("{path}.{key}")),
                }
            }
            unknown
        }
        Value::Array(items) => {
            let item_schema = options.iter().find_map(|b| b.get("items"));
            match item_schema {
                Some(s) => items
                    .iter()
                    .enumerate()
                    .flat_map(|(i, item)| {
                        unknown_members(item, s, defs, &format!("{path}[{i}]"), depth + 1)
                    })
                    .collect(),
                None => vec![],
            }
        }
        _ => vec![],
    }
}

#[tokio::test]
async fn request_bodies_use_only_fields_cloudflare_accepts() {
    let Some(dir) = recorded_dir() else { return };
    let spec_file = dir.join("../openapi-requests.json");
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(&spec_file).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{}: {e}", spec_file.display()));
    let operations = &spec["operations"];

    // capture what the client sends
    let seen = Arc::new(Mutex::new(Vec::<(String, String, Value)>::new()));
    let seen2 = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: axum::body::Bytes| {
        let seen = Arc::clone(&seen2);
        async move {
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let path = uri.path().trim_start_matches("/client/v4").to_owned();
            seen.lock().unwrap_or_else(|p| p.into_inner()).push((method.to_string(), path, body));
            let result = json!({"id": "x", "name": "a.example.com", "type": "A", "value": "on", "rules": [], "config": {}});
            json!({"success": true, "errors": [], "messages": [], "result": result}).to_string()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = client(&format!("http://{addr}/client/v4"));
    let record = json!({"type": "A", "name": "www.example.com", "content": "192.0.2.1", "ttl": 1, "proxied": true, "comment": "web", "tags": ["env:prod"]});
    let rule = json!({"action": "block", "expression": "ip.src in $blocked", "description": "block list", "enabled": true, "ref": "r1"});
    let phase = cfcp::snapshot::Phase::HttpRequestFirewallCustom;
    let _ = client.create_dns_record("z", &record).await;
    let _ = client.put_dns_record("z", "r", &record).await;
    let _ = client
        .patch_dns_record("z", "r", &json!({"proxied": false, "ttl": 300}))
        .await;
    let batch = cfcp::api::DnsBatch {
        posts: vec![record.clone()],
        patches: vec![json!({"id": "r2", "proxied": true})],
        puts: vec![],
        deletes: vec![],
    }
    .delete("r3");
    let _ = client.batch_dns_records("z", &batch).await;
    let _ = client
        .patch_zone_setting("z", "min_tls_version", &json!("1.2"))
        .await;
    let _ = client.patch_dnssec("z", &json!({"status": "active"})).await;
    let _ = client
        .put_phase_entrypoint(
            "z",
            &phase,
            &json!({"description": "custom rules", "rules": [rule.clone()]}),
        )
        .await;
    let _ = client.create_rule("z", "rs", &rule).await;
    let _ = client.update_rule("z", "rs", "r", &rule).await;
    let _ = client
        .put_bot_management("z", &json!({"fight_mode": true, "enable_js": true}))
        .await;
    let ingress = json!({"ingress": [{"hostname": "app.example.com", "service": "http://localhost:8080"}, {"service": "http_status:404"}]});
    let _ = client.put_tunnel_configuration("a", "t", &ingress).await;

    let key_for = |method: &str, path: &str| -> String {
        let p: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let template = match p.as_slice() {
            ["zones", _, "dns_records"] => "/zones/{zone_id}/dns_records".to_owned(),
            ["zones", _, "dns_records", "batch"] => "/zones/{zone_id}/dns_records/batch".to_owned(),
            ["zones", _, "dns_records", _] => "/zones/{zone_id}/dns_records/{dns_record_id}".to_owned(),
            ["zones", _, "settings", _] => "/zones/{zone_id}/settings/{setting_id}".to_owned(),
            ["zones", _, "dnssec"] => "/zones/{zone_id}/dnssec".to_owned(),
            ["zones", _, "bot_management"] => "/zones/{zone_id}/bot_management".to_owned(),
            ["zones", _, "rulesets", "phases", _, "entrypoint"] => {
                "/{accounts_or_zones}/{account_or_zone_id}/rulesets/phases/{ruleset_phase}/entrypoint".to_owned()
            }
            ["zones", _, "rulesets", _, "rules"] => "/{accounts_or_zones}/{account_or_zone_id}/rulesets/{ruleset_id}/rules".to_owned(),
            ["zones", _, "rulesets", _, "rules", _] => {
                "/{accounts_or_zones}/{account_or_zone_id}/rulesets/{ruleset_id}/rules/{rule_id}".to_owned()
            }
            ["accounts", _, "cfd_tunnel", _, "configurations"] => "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations".to_owned(),
            _ => path.to_owned(),
        };
        format!("{method} {template}")
    };
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(seen.len(), 11, "every write call reached the server");
    let mut problems = Vec::new();
    for (method, path, body) in &seen {
        let key = key_for(method, path);
        let Some(operation) = operations.get(&key) else {
            problems.push(format!("{key}: not in openapi-requests.json"));
            continue;
        };
        let schema = &operation["inputSchema"];
        let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
        for unknown in unknown_members(body, schema, &defs, "body", 0) {
            problems.push(format!(
                "{key}: {unknown} is not a field Cloudflare accepts"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
