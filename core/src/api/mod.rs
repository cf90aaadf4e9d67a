//! The Cloudflare API client: the only module of cfcp that does network IO.
//!
//! * **Auth**: an API token (`Authorization: Bearer`) or a global key (`X-Auth-Email` +
//!   `X-Auth-Key`), see [`Credentials`]. The token is an [`ApiToken`]: it never shows in `Debug`
//!   output, errors, logs or snapshots.
//! * **Envelope and errors**: every answer is decoded from Cloudflare's envelope; failures become
//!   typed [`crate::Error`] variants (`Authentication`, `NotFound`, `Validation`, `RateLimited`,
//!   `Server`, `Transport`, `Decode`) carrying the request's method and path and, inside a
//!   snapshot, the zone or account and the section.
//! * **Pagination**: page-based with the largest page each endpoint accepts, stopping as soon as
//!   the answer proves it was the last page; cursor-based for rulesets and list items
//!   ([`pagination`]).
//! * **Retries**: 408, 409, 429, 5xx, connection errors, timeouts and truncated bodies, with
//!   exponential backoff and full jitter, honouring `Retry-After` ([`retry`]).
//! * **Rate limiting**: one sliding-window limiter (default 1,200 requests per 300 s; see
//!   [`limiter`] for why a window and not a token bucket) and one concurrency limit (default 8),
//!   shared by every clone of the [`Client`]. Retries count against both.
//! * **Snapshots**: [`Client::snapshot`] reads whole accounts with the fewest requests possible;
//!   [`minimum_requests`] says how many that is.
//!
//! ```no_run
//! # async fn demo() -> cfcp::Result<()> {
//! use cfcp::api::{Client, NoProgress, SnapshotScope};
//! use cfcp::snapshot::Timestamp;
//! let client = Client::builder()
//!     .from_lookup(|name| std::env::var(name).ok())?
//!     .build()?;
//! let taken_at = Timestamp::parse("2026-11-01T12:00:00Z").map_err(|m| cfcp::Error::Config { message: m })?;
//! let snapshot = client.snapshot(&SnapshotScope::default(), taken_at, &NoProgress).await?;
//! println!("{} zones in {} requests", snapshot.zones.len(), client.requests_sent());
//! # Ok(()) }
//! ```

mod auth;
mod endpoints;
pub mod envelope;
mod execute;
mod graphql;
pub mod limiter;
pub mod pagination;
pub mod retry;
mod snapshot;
mod token;
mod webhook;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

pub use auth::{
    ApiToken, Credentials, Secret, ENV_API_KEY, ENV_API_TOKEN, ENV_BASE_URL, ENV_EMAIL,
};
pub use endpoints::{DnsBatch, DnsBatchResult, TokenStatus, ZoneFilter};
pub use envelope::{Cursors, Envelope, ResultInfo};
pub use execute::{Applied, ExecutionReport, Failed};
pub use graphql::{
    CountryCount, DailyTraffic, DnsAnalytics, DnsResponseCodeCount, FirewallRuleEvents,
    GraphQlError, StatusCount, TimeRange, TopCount, TrafficSummary,
};
pub use limiter::{parse_ratelimit, RateLimit, RatelimitHeader};
pub use retry::{parse_retry_after, RetryPolicy};
pub use snapshot::{minimum_requests, NoProgress, SnapshotProgress, SnapshotScope};
pub use token::{TokenKind, TokenReport};
pub use webhook::{Delivery, Webhook, DEFAULT_WEBHOOK_TIMEOUT};

use crate::error::{ApiContext, Error, Result};
use limiter::Limiter;
use retry::{Jitter, Reach};

/// Cloudflare's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";
/// Default number of requests in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The Cloudflare API client. Cheap to clone; clones share the limiter, the concurrency limit
/// and the counters.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    credentials: Credentials,
    retry: RetryPolicy,
    limiter: Limiter,
    semaphore: Semaphore,
    concurrency: usize,
    requests_sent: AtomicU64,
    retries: AtomicU64,
    jitter: Mutex<Jitter>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("credentials", &self.inner.credentials)
            .field("retry", &self.inner.retry)
            .field("rate_limit", &self.inner.limiter.limit())
            .field("concurrency", &self.inner.concurrency)
            .finish()
    }
}

/// Builds a [`Client`].
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    credentials: Option<Credentials>,
    retry: RetryPolicy,
    rate_limit: RateLimit,
    concurrency: Option<usize>,
    timeout: Option<Duration>,
    jitter_seed: Option<u64>,
}

impl ClientBuilder {
    /// Reads credentials (`CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`)
    /// and `CLOUDFLARE_BASE_URL` through `lookup`; the CLI passes `|n| std::env::var(n).ok()`.
    /// Values already set on the builder are kept.
    pub fn from_lookup(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        if self.base_url.is_none() {
            self.base_url = lookup(ENV_BASE_URL).filter(|u| !u.trim().is_empty());
        }
        if self.credentials.is_none() {
            self.credentials = Some(Credentials::from_lookup(lookup)?);
        }
        Ok(self)
    }

    /// The API base URL (default [`DEFAULT_BASE_URL`]).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Retries after the first attempt (default 4).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// Backoff base and cap (default 0.5 s doubling to 8 s). Tests use milliseconds.
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.retry.base = base;
        self.retry.cap = cap.max(base);
        self
    }

    /// Seeds the jitter generator, for reproducible retry timing.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// At most `requests` request starts in any `window` (default 1,200 per 300 s).
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.rate_limit = RateLimit { requests, window };
        self
    }

    /// Requests in flight at once (default 8).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n);
        self
    }

    /// Per-request timeout (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Builds the client; fails on missing credentials, a bad base URL or zero limits.
    pub fn build(self) -> Result<Client> {
        let credentials = self.credentials.ok_or_else(|| Error::Config {
            message: format!(
                "no credentials: call .credentials(..) or .from_lookup(..) and set {ENV_API_TOKEN}"
            ),
        })?;
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let concurrency = self.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if concurrency == 0 {
            return Err(Error::Config {
                message: "concurrency must be at least 1".to_owned(),
            });
        }
        if self.rate_limit.requests == 0 || self.rate_limit.window.is_zero() {
            return Err(Error::Config {
                message: "rate limit must allow at least 1 request per non-zero window".to_owned(),
            });
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("cfcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config {
                message: format!("cannot set up the HTTP client: {}", error_chain(&e)),
            })?;
        let jitter = self
            .jitter_seed
            .map_or_else(Jitter::from_entropy, Jitter::seeded);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                credentials,
                retry: self.retry,
                limiter: Limiter::new(self.rate_limit),
                semaphore: Semaphore::new(concurrency),
                concurrency,
                requests_sent: AtomicU64::new(0),
                retries: AtomicU64::new(0),
                jitter: Mutex::new(jitter),
            }),
        })
    }
}

fn normalize_base_url(url: &str) -> Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed).map_err(|e| Error::Config {
        message: format!(
            "base URL {trimmed:?} is not a URL ({e}); expected e.g. {DEFAULT_BASE_URL}"
        ),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::Config {
            message: format!(
                "base URL {trimmed:?} must be an http(s) URL with a host, e.g. {DEFAULT_BASE_URL}"
            ),
        });
    }
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some() {
        return Err(Error::Config {
            message: "base URL must not contain credentials or a query string".to_owned(),
        });
    }
    Ok(trimmed.to_owned())
}

/// The message of an error and its sources, without any URL.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn describe_reqwest(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "reading the response body failed"
    } else {
        "request failed"
    };
    let error = error.without_url();
    format!("{kind}: {}", error_chain(&error))
}

/// A raw answer: status, body and the headers the client acts on.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub retry_after: Option<Duration>,
}

/// One logical request (retried as one).
#[derive(Debug)]
pub(crate) struct Call {
    pub method: Method,
    /// Path below the base URL, with the query string.
    pub path: String,
    pub body: Option<Vec<u8>>,
    pub idempotent: bool,
}

impl Call {
    pub(crate) fn get(path: String) -> Self {
        Call {
            method: Method::GET,
            path,
            body: None,
            idempotent: true,
        }
    }

    pub(crate) fn with_body(
        method: Method,
        path: String,
        body: &(impl serde::Serialize + ?Sized),
    ) -> Result<Self> {
        let idempotent = method != Method::POST;
        let body = serde_json::to_vec(body).map_err(|e| Error::Config {
            message: format!("{method} {path}: the request body cannot be written as JSON: {e}"),
        })?;
        Ok(Call {
            method,
            path,
            body: Some(body),
            idempotent,
        })
    }

    pub(crate) fn context(&self) -> ApiContext {
        ApiContext {
            method: self.method.to_string(),
            path: self.path.clone(),
            ..ApiContext::default()
        }
    }
}

impl Client {
    /// A builder with the defaults (Cloudflare's base URL, 4 retries, 1,200 req / 300 s, 8 at once).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// HTTP attempts made so far by this client and its clones, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.inner.requests_sent.load(Ordering::Relaxed)
    }

    /// Retries made so far (attempts beyond the first of each request).
    pub fn retries(&self) -> u64 {
        self.inner.retries.load(Ordering::Relaxed)
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// The rate limit in force.
    pub fn rate_limit(&self) -> RateLimit {
        self.inner.limiter.limit()
    }

    /// Share of the rate limit in use now: request starts in the last window over the
    /// requests the window allows (0 to 1). `cfcp watch` reports it as a metric.
    pub fn rate_limit_utilisation(&self) -> f64 {
        self.inner.limiter.utilisation()
    }

    fn next_jitter(&self) -> f64 {
        self.inner
            .jitter
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_unit()
    }

    /// One HTTP attempt: waits for a concurrency slot and the limiter, sends, reads the body.
    async fn attempt(&self, call: &Call) -> Result<RawResponse, (Error, Reach)> {
        let context = || Box::new(call.context());
        let _permit = self.inner.semaphore.acquire().await.map_err(|_| {
            (
                Error::Transport {
                    message: "client is shutting down".to_owned(),
                    context: context(),
                },
                Reach::NotSent,
            )
        })?;
        self.inner.limiter.acquire().await;
        self.inner.requests_sent.fetch_add(1, Ordering::Relaxed);
        let url = format!("{}{}", self.inner.base_url, call.path);
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url)
            .header(reqwest::header::ACCEPT, "application/json");
        request = self.inner.credentials.apply(request);
        if let Some(body) = &call.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let reach = if e.is_connect() {
                    Reach::NotSent
                } else {
                    Reach::MaybeSent
                };
                return Err((
                    Error::Transport {
                        message: describe_reqwest(e),
                        context: context(),
                    },
                    reach,
                ));
            }
        };
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
        let retry_after = header("retry-after").and_then(parse_retry_after);
        if let Some(ratelimit) = header("ratelimit").and_then(parse_ratelimit) {
            let in_flight = self.inner.concurrency - self.inner.semaphore.available_permits();
            self.inner.limiter.observe(ratelimit, in_flight);
        }
        let body = response.bytes().await.map_err(|e| {
            (
                Error::Transport {
                    message: describe_reqwest(e),
                    context: context(),
                },
                Reach::MaybeSent,
            )
        })?;
        Ok(RawResponse {
            status,
            body: body.to_vec(),
            retry_after,
        })
    }

    /// Sends `call`, retrying per the policy, and decodes the answer with `parse`.
    pub(crate) async fn execute<T>(
        &self,
        call: Call,
        parse: impl Fn(&RawResponse, &ApiContext) -> Result<T>,
    ) -> Result<T> {
        let context = call.context();
        let policy = self.inner.retry;
        let mut retry = 0u32;
        loop {
            let (error, reach, retry_after) = match self.attempt(&call).await {
                Ok(raw) => match parse(&raw, &context) {
                    Ok(value) => return Ok(value),
                    Err(e) => (e, Reach::MaybeSent, raw.retry_after),
                },
                Err((e, reach)) => (e, reach, None),
            };
            if retry >= policy.max_retries || !retry::is_retryable(&error, call.idempotent, reach) {
                return Err(error);
            }
            let delay = policy.delay(retry, self.next_jitter(), retry_after);
            if matches!(error, Error::RateLimited { .. }) {
                // Cloudflare's limit is per token: every task must wait, not just this one.
                self.inner
                    .limiter
                    .pause_until(tokio::time::Instant::now() + delay);
            }
            self.inner.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }

    /// Sends `call` and decodes Cloudflare's envelope.
    pub(crate) async fn envelope<T: DeserializeOwned>(&self, call: Call) -> Result<Envelope<T>> {
        self.execute(call, |raw, context| {
            let secs = raw.retry_after.map(|d| d.as_secs());
            envelope::decode::<T>(raw.status, &raw.body, secs, context)
        })
        .await
    }

    /// Sends `call` and returns its (required) `result`.
    pub(crate) async fn result<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let context = call.context();
        let envelope = self.envelope::<T>(call).await?;
        envelope::required(envelope, &context)
    }

    /// Walks a page-based listing: `page=1,2,…` with `per_page`, extra `query` pairs appended.
    pub(crate) async fn pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        per_page: u32,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut page = 1u64;
        loop {
            let mut q: Vec<(&str, String)> =
                query.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
            q.push(("page", page.to_string()));
            q.push(("per_page", per_page.to_string()));
            let call = Call::get(with_query(path, &q));
            let envelope = self.envelope::<Vec<T>>(call).await?;
            let got = envelope.result.unwrap_or_default();
            let last =
                pagination::is_last_page(page, per_page, got.len(), envelope.result_info.as_ref());
            items.extend(got);
            if last || page >= pagination::MAX_PAGES {
                return Ok(items);
            }
            page += 1;
        }
    }

    /// Walks a cursor-based listing (`cursor=` from `result_info.cursor(s)`).
    pub(crate) async fn cursor_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        per_page: Option<u32>,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..pagination::MAX_PAGES {
            let mut q: Vec<(&str, String)> = Vec::new();
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            if let Some(p) = per_page {
                q.push(("per_page", p.to_string()));
            }
            let envelope = self
                .envelope::<Vec<T>>(Call::get(with_query(path, &q)))
                .await?;
            let got = envelope.result.unwrap_or_default();
            let next = pagination::next_cursor(
                envelope.result_info.as_ref(),
                got.len(),
                cursor.as_deref(),
            );
            items.extend(got);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(items)
    }
}

/// Percent-encodes a path segment or query component (RFC 3986 unreserved characters pass).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `path?k=v&…` with encoded values (just `path` when `query` is empty).
pub(crate) fn with_query(path: &str, query: &[(&str, String)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests;
