//! `POST /graphql`: the analytics datasets cfcp reads, answered with deterministic synthetic data
//! shaped like Cloudflare's GraphQL responses (`{"data":{"viewer":{"zones":[...]}},"errors":null}`).
//!
//! The fake does not parse GraphQL: it finds the zone tags (in `variables` or the query text) and
//! the dataset names (with their aliases) in the query, and returns every field cfcp may select.
//! Extra fields are harmless to a client that decodes what it asked for.

use serde_json::{json, Value};

use crate::auth::{Credentials, Principal};
use crate::envelope::{ApiOk, ApiResult};
use crate::state::{State, ZoneState};
use crate::util::{fnv, SplitMix};

/// The datasets the fake answers.
pub const DATASETS: &[&str] = &[
    "httpRequests1dGroups",
    "httpRequestsAdaptiveGroups",
    "firewallEventsAdaptiveGroups",
    "dnsAnalyticsAdaptiveGroups",
];

/// Zones per query Cloudflare allows.
pub const MAX_ZONES: usize = 10;

fn gql_error(message: impl Into<String>, code: &str) -> ApiResult {
    Ok(ApiOk::raw(json!({
        "data": null,
        "errors": [{"message": message.into(), "path": null, "extensions": {"code": code}}],
    })))
}

/// Handles a GraphQL request body.
pub fn handle(state: &State, creds: &Credentials, who: &Principal, body: &[u8]) -> ApiResult {
    if !creds.allows(who, "Analytics Read") {
        return gql_error("not authorized for that account", "authz");
    }
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return gql_error("failed to parse the request body as JSON", "bad_request");
    };
    let Some(query) = req.get("query").and_then(Value::as_str) else {
        return gql_error("the request has no query", "bad_request");
    };
    let variables = req.get("variables").cloned().unwrap_or(Value::Null);

    let fields = dataset_fields(query);
    if fields.is_empty() {
        let name = first_unknown_field(query).unwrap_or_else(|| "query".to_owned());
        return gql_error(
            format!("unknown field \"{name}\" on type \"zone\""),
            "unknown_field",
        );
    }

    let mut tags = Vec::new();
    collect_strings(&variables, &mut tags);
    tags.extend(hex_tokens(query));
    let mut zones: Vec<&ZoneState> = Vec::new();
    for t in tags {
        if let Some(z) = state.zone(&t) {
            if !zones.iter().any(|x| x.id == z.id) {
                zones.push(z);
            }
        }
    }
    if zones.len() > MAX_ZONES {
        return gql_error(
            format!(
                "a maximum of {MAX_ZONES} zones can be queried at once, got {}",
                zones.len()
            ),
            "limit",
        );
    }
    let zone_values: Vec<Value> = zones
        .iter()
        .map(|z| {
            let mut m = serde_json::Map::new();
            for (key, dataset) in &fields {
                m.insert(key.clone(), rows(z, dataset, key));
            }
            Value::Object(m)
        })
        .collect();
    Ok(ApiOk::raw(
        json!({"data": {"viewer": {"zones": zone_values}}, "errors": null}),
    ))
}

/// `(alias or dataset name, dataset)` for each dataset the query selects, in order.
pub fn dataset_fields(query: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (pos, word) in identifiers(query) {
        if !DATASETS.contains(&word) {
            continue;
        }
        let before = query[..pos].trim_end();
        let key = match before.strip_suffix(':') {
            Some(rest) => identifiers(rest)
                .last()
                .map_or_else(|| word.to_owned(), |(_, w)| (*w).to_owned()),
            None => word.to_owned(),
        };
        if !out.iter().any(|(k, _): &(String, String)| *k == key) {
            out.push((key, word.to_owned()));
        }
    }
    out
}

fn identifiers(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let ident = c.is_ascii_alphanumeric() || c == '_';
        match (ident, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// The first field selected inside `zones(...) { ... }`, for the unknown-field error.
fn first_unknown_field(query: &str) -> Option<String> {
    let at = query.find("zones")?;
    let rest = &query[at..];
    let brace = rest.find('{')?;
    identifiers(&rest[brace..])
        .first()
        .map(|(_, w)| (*w).to_owned())
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

fn hex_tokens(text: &str) -> Vec<String> {
    identifiers(text)
        .into_iter()
        .filter(|(_, w)| crate::util::is_hex32(w))
        .map(|(_, w)| w.to_owned())
        .collect()
}

const COUNTRIES: &[&str] = &["US", "DE", "GB", "FR", "NL", "JP", "BR", "IN", "CN", "RU"];
const PATHS: &[&str] = &[
    "/",
    "/login",
    "/api/v1/cart",
    "/wp-login.php",
    "/search",
    "/static/app.js",
];
const STATUSES: &[u64] = &[200, 200, 200, 301, 304, 403, 404, 429, 500];

fn rows(zone: &ZoneState, dataset: &str, key: &str) -> Value {
    let mut rng = SplitMix::new(fnv(&format!("{}|{dataset}|{key}", zone.id)));
    let rows: Vec<Value> = match dataset {
        "httpRequests1dGroups" => (1..=7)
            .map(|day| {
                let requests = 20_000 + rng.below(80_000);
                let cached = requests * (30 + rng.below(50)) / 100;
                let threats = rng.below(requests / 50 + 1);
                let status_map: Vec<Value> = [200u64, 301, 403, 404, 500]
                    .iter()
                    .map(|s| json!({"edgeResponseStatus": s, "requests": rng.below(requests / 5 + 1)}))
                    .collect();
                let country_map: Vec<Value> = COUNTRIES[..5]
                    .iter()
                    .map(|c| json!({"clientCountryName": c, "requests": rng.below(requests / 4 + 1), "threats": rng.below(threats + 1)}))
                    .collect();
                json!({
                    "dimensions": {"date": format!("2026-01-{day:02}")},
                    "sum": {
                        "requests": requests, "cachedRequests": cached,
                        "bytes": requests * 15_000, "cachedBytes": cached * 15_000,
                        "threats": threats, "pageViews": requests / 3,
                        "responseStatusMap": status_map, "countryMap": country_map,
                    },
                    "uniq": {"uniques": requests / 7},
                })
            })
            .collect(),
        "httpRequestsAdaptiveGroups" => (0..12)
            .map(|i| {
                let status = STATUSES[rng.below(STATUSES.len() as u64) as usize];
                json!({
                    "count": 50 + rng.below(5_000),
                    "dimensions": {
                        "clientCountryName": COUNTRIES[rng.below(COUNTRIES.len() as u64) as usize],
                        "clientIP": format!("198.51.100.{}", 1 + rng.below(250)),
                        "clientRequestPath": PATHS[rng.below(PATHS.len() as u64) as usize],
                        "clientRequestHTTPHost": zone.name,
                        "edgeResponseStatus": status,
                        "datetimeHour": format!("2026-01-07T{:02}:00:00Z", i % 24),
                    },
                    "sum": {"edgeResponseBytes": 10_000 + rng.below(10_000_000), "visits": rng.below(1_000)},
                    "avg": {"sampleInterval": 1},
                })
            })
            .collect(),
        "firewallEventsAdaptiveGroups" => {
            let mut out = Vec::new();
            for rs in &zone.rulesets {
                let source = match rs.get("phase").and_then(Value::as_str) {
                    Some("http_request_firewall_managed") => "firewallManaged",
                    Some("http_ratelimit") => "ratelimit",
                    _ => "firewallCustom",
                };
                let rs_id = rs.get("id").cloned().unwrap_or(Value::Null);
                for rule in rs.get("rules").and_then(Value::as_array).into_iter().flatten() {
                    let action = match rule.get("action").and_then(Value::as_str) {
                        Some("execute") => "block",
                        Some(a) => a,
                        None => "log",
                    };
                    out.push(json!({
                        "count": rng.below(2_000),
                        "dimensions": {
                            "ruleId": rule.get("id").cloned().unwrap_or(Value::Null),
                            "rulesetId": rs_id,
                            "action": action,
                            "source": source,
                            "description": rule.get("description").cloned().unwrap_or(json!("")),
                        },
                    }));
                }
            }
            out
        }
        _ => {
            let names: Vec<&str> = zone
                .dns_records
                .iter()
                .filter_map(|r| r.get("name").and_then(Value::as_str))
                .take(6)
                .collect();
            let names = if names.is_empty() { vec![zone.name.as_str()] } else { names };
            names
                .iter()
                .flat_map(|n| {
                    [("A", "NOERROR"), ("AAAA", "NOERROR"), ("TXT", "NXDOMAIN")].map(|(t, rc)| (n.to_string(), t, rc))
                })
                .map(|(name, qtype, rcode)| {
                    let avg = 200 + rng.below(2_000);
                    json!({
                        "count": rng.below(50_000),
                        "dimensions": {"queryName": name, "queryType": qtype, "responseCode": rcode, "coloName": "FRA"},
                        "avg": {"processingTimeUs": avg},
                        "quantiles": {"processingTimeUsP50": avg * 8 / 10, "processingTimeUsP90": avg * 2, "processingTimeUsP99": avg * 5},
                    })
                })
                .collect()
        }
    };
    Value::Array(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_datasets_and_aliases() {
        let q = "query($z: string) { viewer { zones(filter: {zoneTag: $z}) { daily: httpRequests1dGroups(limit: 7) { sum { requests } } firewallEventsAdaptiveGroups(limit: 10) { count } } } }";
        let f = dataset_fields(q);
        assert_eq!(
            f,
            vec![
                ("daily".to_owned(), "httpRequests1dGroups".to_owned()),
                (
                    "firewallEventsAdaptiveGroups".to_owned(),
                    "firewallEventsAdaptiveGroups".to_owned()
                )
            ]
        );
        assert!(dataset_fields("{ viewer { zones { bogusGroups { count } } } }").is_empty());
        assert_eq!(
            first_unknown_field("{ viewer { zones { bogusGroups { count } } } }").as_deref(),
            Some("bogusGroups")
        );
    }
}
