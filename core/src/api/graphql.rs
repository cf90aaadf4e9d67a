//! GraphQL analytics (`POST /graphql`): traffic, threats, firewall events per rule, DNS.
//!
//! Errors come back as `{"data": null, "errors": [{"message": …}]}` with HTTP 200; they become
//! [`crate::Error::GraphQl`]. The time range is always the caller's: core reads no clock.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{envelope, Call, Client};
use crate::error::{ApiContext, Error, Result};
use crate::snapshot::Timestamp;

/// A time range `[since, until)` given by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeRange {
    /// Start (inclusive).
    pub since: Timestamp,
    /// End (exclusive for adaptive datasets; the end date is included for daily groups).
    pub until: Timestamp,
}

impl TimeRange {
    fn dates(&self) -> (String, String) {
        (
            self.since.to_datetime().date().to_string(),
            self.until.to_datetime().date().to_string(),
        )
    }
}

/// One entry of a GraphQL `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphQlError {
    /// The message.
    #[serde(default)]
    pub message: String,
}

#[derive(Deserialize)]
struct GraphQlResponse {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphQlError>>,
}

/// Requests per country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryCount {
    /// ISO country code (`clientCountryName`).
    pub country: String,
    /// Requests.
    pub requests: u64,
    /// Threats.
    pub threats: u64,
}

/// Requests per edge response status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCount {
    /// HTTP status.
    pub status: u16,
    /// Requests.
    pub requests: u64,
}

/// One day of `httpRequests1dGroups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyTraffic {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Requests.
    pub requests: u64,
    /// Threats (requests Cloudflare classified as threats).
    pub threats: u64,
    /// Cached requests.
    pub cached_requests: u64,
    /// Bytes served.
    pub bytes: u64,
    /// Per-country counts.
    pub countries: Vec<CountryCount>,
    /// Per-status counts.
    pub statuses: Vec<StatusCount>,
}

/// A value and how often it occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopCount {
    /// The country code, client IP or path.
    pub value: String,
    /// Requests.
    pub requests: u64,
}

/// `httpRequestsAdaptiveGroups` over a range: totals and top values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficSummary {
    /// Requests in the range (sampled counts as Cloudflare reports them).
    pub requests: u64,
    /// Requests per edge status, most frequent first.
    pub statuses: Vec<StatusCount>,
    /// Top client countries.
    pub top_countries: Vec<TopCount>,
    /// Top client IPs.
    pub top_ips: Vec<TopCount>,
    /// Top request paths.
    pub top_paths: Vec<TopCount>,
}

/// Firewall events grouped by rule and action (`firewallEventsAdaptiveGroups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRuleEvents {
    /// The rule id.
    pub rule_id: String,
    /// The action taken (`block`, `managed_challenge`, `log`, ...).
    pub action: String,
    /// Which product matched (`firewallCustom`, `firewallManaged`, `ratelimit`, ...).
    pub source: String,
    /// Events.
    pub count: u64,
}

/// DNS analytics summary (`dnsAnalyticsAdaptiveGroups`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DnsAnalytics {
    /// DNS queries in the range.
    pub queries: u64,
    /// Mean processing time in microseconds, weighted by queries.
    pub avg_processing_time_us: Option<f64>,
    /// Queries per response code.
    pub response_codes: Vec<DnsResponseCodeCount>,
}

/// Queries per DNS response code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsResponseCodeCount {
    /// `NOERROR`, `NXDOMAIN`, ...
    pub code: String,
    /// Queries.
    pub queries: u64,
}

const HTTP_DAILY: &str = "query ($zoneTag: string, $since: Date, $until: Date) {
  viewer { zones(filter: {zoneTag: $zoneTag}) {
    days: httpRequests1dGroups(limit: 1000, filter: {date_geq: $since, date_leq: $until}, orderBy: [date_ASC]) {
      dimensions { date }
      sum { requests threats cachedRequests bytes
            countryMap { clientCountryName requests threats }
            responseStatusMap { edgeResponseStatus requests } }
    }
  } }
}";

const HTTP_ADAPTIVE: &str = "query ($zoneTag: string, $since: Time, $until: Time, $top: uint64) {
  viewer { zones(filter: {zoneTag: $zoneTag}) {
    total: httpRequestsAdaptiveGroups(limit: 1, filter: {datetime_geq: $since, datetime_lt: $until}) { count }
    statuses: httpRequestsAdaptiveGroups(limit: 100, filter: {datetime_geq: $since, datetime_lt: $until}, orderBy: [count_DESC]) { count dimensions { edgeResponseStatus } }
    countries: httpRequestsAdaptiveGroups(limit: $top, filter: {datetime_geq: $since, datetime_lt: $until}, orderBy: [count_DESC]) { count dimensions { clientCountryName } }
    ips: httpRequestsAdaptiveGroups(limit: $top, filter: {datetime_geq: $since, datetime_lt: $until}, orderBy: [count_DESC]) { count dimensions { clientIP } }
    paths: httpRequestsAdaptiveGroups(limit: $top, filter: {datetime_geq: $since, datetime_lt: $until}, orderBy: [count_DESC]) { count dimensions { clientRequestPath } }
  } }
}";

const FIREWALL_BY_RULE: &str = "query ($zoneTag: string, $since: Time, $until: Time, $limit: uint64) {
  viewer { zones(filter: {zoneTag: $zoneTag}) {
    events: firewallEventsAdaptiveGroups(limit: $limit, filter: {datetime_geq: $since, datetime_lt: $until}, orderBy: [count_DESC]) {
      count dimensions { ruleId action source }
    }
  } }
}";

const DNS_ANALYTICS: &str = "query ($zoneTag: string, $since: Time, $until: Time) {
  viewer { zones(filter: {zoneTag: $zoneTag}) {
    codes: dnsAnalyticsAdaptiveGroups(limit: 100, filter: {datetime_geq: $since, datetime_lt: $until}, orderBy: [count_DESC]) {
      count avg { processingTimeUs } dimensions { responseCode }
    }
  } }
}";

fn u(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn rows<'a>(data: &'a Value, alias: &str) -> &'a [Value] {
    data.pointer("/viewer/zones/0")
        .and_then(|z| z.get(alias))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn top(rows: &[Value], dimension: &str) -> Vec<TopCount> {
    rows.iter()
        .map(|r| TopCount {
            value: r
                .get("dimensions")
                .map(|d| s(d, dimension))
                .unwrap_or_default(),
            requests: u(r, "count"),
        })
        .collect()
}

/// Parses a GraphQL answer: `data`, or the errors as [`Error::GraphQl`].
pub(crate) fn parse_graphql(
    status: u16,
    body: &[u8],
    retry_after: Option<u64>,
    context: &ApiContext,
) -> Result<Value> {
    if !(200..300).contains(&status) {
        let mut errors = envelope::envelope_errors(body);
        if errors.is_empty() {
            if let Ok(GraphQlResponse {
                errors: Some(gql), ..
            }) = serde_json::from_slice(body)
            {
                errors = gql
                    .into_iter()
                    .map(|e| crate::error::ApiMessage {
                        code: 0,
                        message: e.message,
                    })
                    .collect();
            }
        }
        return Err(envelope::classify(
            status,
            errors,
            retry_after,
            context.clone(),
        ));
    }
    let response: GraphQlResponse = envelope::decode_plain(body, context)?;
    let errors = response.errors.unwrap_or_default();
    if !errors.is_empty() {
        return Err(Error::GraphQl {
            messages: errors.into_iter().map(|e| e.message).collect(),
            context: Box::new(context.clone()),
        });
    }
    match response.data {
        Some(data) if !data.is_null() => Ok(data),
        _ => Err(Error::GraphQl {
            messages: vec!["the answer has neither data nor errors".to_owned()],
            context: Box::new(context.clone()),
        }),
    }
}

impl Client {
    /// `POST /graphql` with `{query, variables}`; returns `data`. Retried like a GET (queries
    /// change nothing).
    pub async fn graphql(&self, query: &str, variables: Value) -> Result<Value> {
        let body = json!({ "query": query, "variables": variables });
        let mut call = Call::with_body(Method::POST, "/graphql".to_owned(), &body)?;
        call.idempotent = true;
        self.execute(call, |raw, context| {
            parse_graphql(
                raw.status,
                &raw.body,
                raw.retry_after.map(|d| d.as_secs()),
                context,
            )
        })
        .await
    }

    /// Daily traffic (`httpRequests1dGroups`): requests, threats, countries and statuses per day.
    pub async fn http_requests_daily(
        &self,
        zone_id: &str,
        range: &TimeRange,
    ) -> Result<Vec<DailyTraffic>> {
        let (since, until) = range.dates();
        let data = self
            .graphql(
                HTTP_DAILY,
                json!({"zoneTag": zone_id, "since": since, "until": until}),
            )
            .await?;
        Ok(rows(&data, "days")
            .iter()
            .map(|day| {
                let sum = day.get("sum").cloned().unwrap_or(Value::Null);
                let list = |key: &str| {
                    sum.get(key)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                };
                DailyTraffic {
                    date: day
                        .get("dimensions")
                        .map(|d| s(d, "date"))
                        .unwrap_or_default(),
                    requests: u(&sum, "requests"),
                    threats: u(&sum, "threats"),
                    cached_requests: u(&sum, "cachedRequests"),
                    bytes: u(&sum, "bytes"),
                    countries: list("countryMap")
                        .iter()
                        .map(|c| CountryCount {
                            country: s(c, "clientCountryName"),
                            requests: u(c, "requests"),
                            threats: u(c, "threats"),
                        })
                        .collect(),
                    statuses: list("responseStatusMap")
                        .iter()
                        .map(|c| StatusCount {
                            status: u16::try_from(u(c, "edgeResponseStatus")).unwrap_or(0),
                            requests: u(c, "requests"),
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// Traffic over a range (`httpRequestsAdaptiveGroups`): total, statuses and the `top` most
    /// frequent countries, client IPs and paths.
    pub async fn http_traffic(
        &self,
        zone_id: &str,
        range: &TimeRange,
        top_n: u32,
    ) -> Result<TrafficSummary> {
        let vars = json!({"zoneTag": zone_id, "since": range.since.as_str(), "until": range.until.as_str(), "top": top_n});
        let data = self.graphql(HTTP_ADAPTIVE, vars).await?;
        Ok(TrafficSummary {
            requests: rows(&data, "total").iter().map(|r| u(r, "count")).sum(),
            statuses: rows(&data, "statuses")
                .iter()
                .map(|r| StatusCount {
                    status: r
                        .get("dimensions")
                        .map(|d| u(d, "edgeResponseStatus"))
                        .and_then(|v| u16::try_from(v).ok())
                        .unwrap_or(0),
                    requests: u(r, "count"),
                })
                .collect(),
            top_countries: top(rows(&data, "countries"), "clientCountryName"),
            top_ips: top(rows(&data, "ips"), "clientIP"),
            top_paths: top(rows(&data, "paths"), "clientRequestPath"),
        })
    }

    /// Firewall events grouped by rule id and action (`firewallEventsAdaptiveGroups`), most
    /// frequent first: how often each rule fired.
    pub async fn firewall_events_by_rule(
        &self,
        zone_id: &str,
        range: &TimeRange,
        limit: u32,
    ) -> Result<Vec<FirewallRuleEvents>> {
        let vars = json!({"zoneTag": zone_id, "since": range.since.as_str(), "until": range.until.as_str(), "limit": limit});
        let data = self.graphql(FIREWALL_BY_RULE, vars).await?;
        Ok(rows(&data, "events")
            .iter()
            .map(|r| {
                let d = r.get("dimensions").cloned().unwrap_or(Value::Null);
                FirewallRuleEvents {
                    rule_id: s(&d, "ruleId"),
                    action: s(&d, "action"),
                    source: s(&d, "source"),
                    count: u(r, "count"),
                }
            })
            .collect())
    }

    /// DNS analytics (`dnsAnalyticsAdaptiveGroups`): query count, mean processing time and
    /// queries per response code.
    pub async fn dns_analytics(&self, zone_id: &str, range: &TimeRange) -> Result<DnsAnalytics> {
        let vars = json!({"zoneTag": zone_id, "since": range.since.as_str(), "until": range.until.as_str()});
        let data = self.graphql(DNS_ANALYTICS, vars).await?;
        let codes = rows(&data, "codes");
        let queries: u64 = codes.iter().map(|r| u(r, "count")).sum();
        let weighted: f64 = codes
            .iter()
            .filter_map(|r| {
                let t = r.pointer("/avg/processingTimeUs").and_then(Value::as_f64)?;
                Some(t * u(r, "count") as f64)
            })
            .sum();
        Ok(DnsAnalytics {
            queries,
            avg_processing_time_us: (queries > 0).then(|| weighted / queries as f64),
            response_codes: codes
                .iter()
                .map(|r| DnsResponseCodeCount {
                    code: r
                        .get("dimensions")
                        .map(|d| s(d, "responseCode"))
                        .unwrap_or_default(),
                    queries: u(r, "count"),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ApiContext {
        ApiContext {
            method: "POST".into(),
            path: "/graphql".into(),
            ..ApiContext::default()
        }
    }

    #[test]
    fn graphql_errors_become_errors() {
        let body =
            br#"{"data":null,"errors":[{"message":"zone not authorized","path":["viewer"]}]}"#;
        let e = parse_graphql(200, body, None, &ctx()).unwrap_err();
        assert!(
            matches!(&e, Error::GraphQl { messages, .. } if messages == &["zone not authorized"]),
            "{e:?}"
        );
        assert!(e.to_string().contains("POST /graphql"), "{e}");
        let e = parse_graphql(200, br#"{"data":null}"#, None, &ctx()).unwrap_err();
        assert!(matches!(e, Error::GraphQl { .. }));
        let e = parse_graphql(
            403,
            br#"{"errors":[{"code":10000,"message":"Authentication error"}]}"#,
            None,
            &ctx(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Authentication { .. }));
    }

    #[test]
    fn data_is_returned_and_rows_extracted() {
        let body = br#"{"data":{"viewer":{"zones":[{"ips":[{"count":5,"dimensions":{"clientIP":"192.0.2.1"}}]}]}},"errors":null}"#;
        let data = parse_graphql(200, body, None, &ctx()).unwrap();
        assert_eq!(
            top(rows(&data, "ips"), "clientIP"),
            vec![TopCount {
                value: "192.0.2.1".into(),
                requests: 5
            }]
        );
        assert!(rows(&data, "missing").is_empty());
    }
}
