//! The HTTP server: connection handling, fault injection, rate limiting, the request log and the
//! `/__fake/...` control endpoints.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode};
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};

use crate::api;
use crate::auth::Credentials;
use crate::config::{FakeConfig, Faults, RateLimit, TruncateMode};
use crate::envelope::{codes, ApiError};
use crate::state::State;

/// The API's base path.
pub const BASE_PATH: &str = "/client/v4";

/// Largest request body accepted (bigger bodies get a 413).
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// One logged request. Credentials appear only as a label (`token#1`), never as a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestLogEntry {
    /// 1-based sequence number among API requests.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path, including `/client/v4`.
    pub path: String,
    /// Query string (without `?`), empty when none.
    pub query: String,
    /// HTTP status sent (0 when the connection was reset without a response).
    pub status: u16,
    /// Which credential was presented: `token#N`, `api-key#N`, `anonymous`, `unknown-credential`.
    pub credential: String,
    /// The injected fault, if any: `reset`, `429-after`, `429-rate`, `rate-limit`, `5xx`,
    /// `truncate`.
    pub fault: Option<String>,
    /// Milliseconds from the server's start to the request's arrival.
    pub at_ms: u64,
}

/// Sliding-window limiter.
#[derive(Debug)]
struct Limiter {
    limit: RateLimit,
    hits: VecDeque<Instant>,
}

impl Limiter {
    /// Admits a request now: `Ok((remaining, reset_secs))` or `Err(retry_after_secs)`.
    fn admit(&mut self, now: Instant) -> Result<(u32, u64), u64> {
        let window = self.limit.window;
        while self
            .hits
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            self.hits.pop_front();
        }
        let until_free = |hits: &VecDeque<Instant>| {
            hits.front()
                .map(|t| {
                    (window.saturating_sub(now.duration_since(*t)))
                        .as_secs_f64()
                        .ceil() as u64
                })
                .unwrap_or(window.as_secs())
                .max(1)
        };
        if self.hits.len() >= self.limit.requests as usize {
            return Err(until_free(&self.hits));
        }
        self.hits.push_back(now);
        let remaining = self.limit.requests - self.hits.len() as u32;
        Ok((remaining, until_free(&self.hits)))
    }

    /// The headers' view now, without admitting a request: `(remaining, reset_secs)`.
    fn peek(&mut self, now: Instant) -> (u32, u64) {
        let window = self.limit.window;
        while self
            .hits
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            self.hits.pop_front();
        }
        let reset = self
            .hits
            .front()
            .map(|t| {
                (window.saturating_sub(now.duration_since(*t)))
                    .as_secs_f64()
                    .ceil() as u64
            })
            .unwrap_or(window.as_secs())
            .max(1);
        (
            self.limit.requests.saturating_sub(self.hits.len() as u32),
            reset,
        )
    }
}

/// Shared server state.
pub(crate) struct App {
    pub creds: Credentials,
    pub state: Mutex<State>,
    pub log: Mutex<Vec<RequestLogEntry>>,
    counter: AtomicU64,
    writes: AtomicU64,
    faults: Faults,
    rng: Mutex<rand::rngs::StdRng>,
    limiter: Option<Mutex<Limiter>>,
    log_to_stderr: bool,
    started: Instant,
}

/// Locks a mutex, recovering the data if a previous holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl App {
    pub(crate) fn new(config: &FakeConfig) -> App {
        App {
            creds: Credentials {
                tokens: config.effective_tokens(),
                api_keys: config.api_keys.clone(),
            },
            state: Mutex::new(State::from_snapshot(&config.seed)),
            log: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            faults: config.faults.clone(),
            rng: Mutex::new(rand::rngs::StdRng::seed_from_u64(config.faults.seed)),
            limiter: config.rate_limit.map(|limit| {
                Mutex::new(Limiter {
                    limit,
                    hits: VecDeque::new(),
                })
            }),
            log_to_stderr: config.log_to_stderr,
            started: Instant::now(),
        }
    }

    fn record(&self, entry: RequestLogEntry) {
        if self.log_to_stderr {
            let q = if entry.query.is_empty() {
                String::new()
            } else {
                format!("?{}", entry.query)
            };
            let fault = entry
                .fault
                .as_deref()
                .map(|f| format!(" fault={f}"))
                .unwrap_or_default();
            eprintln!(
                "fake-cloudflare: #{} {} {}{} -> {} {}{}",
                entry.seq, entry.method, entry.path, q, entry.status, entry.credential, fault
            );
        }
        lock(&self.log).push(entry);
    }
}

/// Per-connection control: a handler asks for the connection to be reset.
#[derive(Default)]
struct ConnControl {
    reset: Notify,
}

fn json_response(status: u16, body: &Value) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

fn error_response(e: &ApiError) -> Response<Body> {
    let mut resp = json_response(e.status, &e.body());
    for (name, value) in &e.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            resp.headers_mut().insert(*name, v);
        }
    }
    resp
}

fn too_many(retry_after: u64) -> ApiError {
    let mut e = ApiError::new(
        429,
        codes::RATE_LIMITED,
        "Please wait and consider throttling your request speed",
    );
    e.headers.push(("retry-after", retry_after.to_string()));
    e
}

fn server_error(n: u64, every: u64) -> Response<Body> {
    match (n / every) % 3 {
        1 => error_response(&ApiError::new(
            500,
            codes::INTERNAL,
            "An unknown error has occurred",
        )),
        2 => {
            let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";
            let mut resp = Response::new(Body::from(html));
            *resp.status_mut() = StatusCode::BAD_GATEWAY;
            resp.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html"));
            resp
        }
        _ => error_response(&ApiError::new(
            503,
            codes::UNAVAILABLE,
            "Service temporarily unavailable",
        )),
    }
}

/// Cuts a response body in half, as `mode` says.
async fn truncate(resp: Response<Body>, mode: TruncateMode) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    let full = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = full.slice(..full.len() / 2);
    parts.headers.remove("content-length");
    match mode {
        TruncateMode::ShortBody => {
            parts
                .headers
                .insert("content-length", HeaderValue::from(half.len()));
            Response::from_parts(parts, Body::from(half))
        }
        TruncateMode::CloseMidBody => {
            parts
                .headers
                .insert("content-length", HeaderValue::from(full.len()));
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "truncated by fake-cloudflare",
                )),
            ];
            Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
        }
    }
}

async fn serve_request(
    app: Arc<App>,
    ctl: Arc<ConnControl>,
    req: Request<hyper::body::Incoming>,
) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    if let Some(control) = path.strip_prefix("/__fake/") {
        return control_endpoint(&app, &method, control);
    }
    let n = app.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let at_ms = app.started.elapsed().as_millis() as u64;
    let f = &app.faults;
    let mut entry = RequestLogEntry {
        seq: n,
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        status: 0,
        credential: "anonymous".into(),
        fault: None,
        at_ms,
    };
    // The credential label is known before faults apply; compute it cheaply.
    entry.credential = app.creds.authenticate(req.headers(), false).0.label();

    if !f.latency.is_zero() {
        tokio::time::sleep(f.latency).await;
    }
    if f.reset_every.is_some_and(|k| k > 0 && n % k == 0) {
        entry.fault = Some("reset".into());
        app.record(entry);
        ctl.reset.notify_one();
        return std::future::pending::<Response<Body>>().await;
    }
    let mut injected: Option<(Response<Body>, &str)> = None;
    if let Some(after) = f.too_many_after {
        if n > after && n <= after.saturating_add(f.too_many_for.max(1)) {
            injected = Some((error_response(&too_many(1)), "429-after"));
        }
    }
    if injected.is_none() {
        if let Some(p) = f.too_many_rate {
            if lock(&app.rng).gen_bool(p.clamp(0.0, 1.0)) {
                injected = Some((error_response(&too_many(1)), "429-rate"));
            }
        }
    }
    if let Some(after) = f.fail_writes_after {
        if method != Method::GET && !path.ends_with("/graphql") {
            let w = app.writes.fetch_add(1, Ordering::SeqCst) + 1;
            if w > after && injected.is_none() {
                injected = Some((server_error(1, 1), "write-fail"));
            }
        }
    }
    if injected.is_none() {
        if let Some(k) = f.fail_every.filter(|k| *k > 0 && n % *k == 0) {
            injected = Some((server_error(n, k), "5xx"));
        }
    }
    let mut resp = match injected {
        Some((mut resp, fault)) => {
            entry.fault = Some(fault.into());
            if let Some(l) = &app.limiter {
                let mut l = lock(l);
                let (remaining, reset) = l.peek(Instant::now());
                add_ratelimit_headers(&mut resp, l.limit, remaining, reset);
            }
            resp
        }
        None => {
            let admitted = app.limiter.as_ref().map(|l| lock(l).admit(Instant::now()));
            match admitted {
                Some(Err(retry_after)) => {
                    entry.fault = Some("rate-limit".into());
                    let mut resp = error_response(&too_many(retry_after));
                    if let Some(l) = &app.limiter {
                        add_ratelimit_headers(&mut resp, lock(l).limit, 0, retry_after);
                    }
                    resp
                }
                other => {
                    let mut resp = api_response(&app, req, &path, &query, &mut entry).await;
                    if let (Some(Ok((remaining, reset))), Some(l)) = (other, &app.limiter) {
                        add_ratelimit_headers(&mut resp, lock(l).limit, remaining, reset);
                    }
                    resp
                }
            }
        }
    };
    resp.headers_mut().insert(
        "cf-ray",
        HeaderValue::from_str(&format!(
            "{:016x}-FAKE",
            crate::util::fnv(&format!("{n}{at_ms}"))
        ))
        .unwrap_or(HeaderValue::from_static("0-FAKE")),
    );
    if f.truncate_every.is_some_and(|k| k > 0 && n % k == 0) {
        entry.fault = Some(
            entry
                .fault
                .map_or("truncate".into(), |x| format!("{x}+truncate")),
        );
        resp = truncate(resp, f.truncate_mode).await;
    }
    entry.status = resp.status().as_u16();
    app.record(entry);
    resp
}

fn add_ratelimit_headers(resp: &mut Response<Body>, limit: RateLimit, remaining: u32, reset: u64) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("\"default\";r={remaining};t={reset}")) {
        h.insert("ratelimit", v);
    }
    let policy = format!(
        "\"burst\";q={};w={}",
        limit.requests,
        limit.window.as_secs().max(1)
    );
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert("ratelimit-policy", v);
    }
}

async fn api_response(
    app: &App,
    req: Request<hyper::body::Incoming>,
    path: &str,
    query: &str,
    entry: &mut RequestLogEntry,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(Body::new(body), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error_response(&ApiError::new(
                413,
                codes::INVALID_BODY,
                "Request body is too large or unreadable",
            ))
        }
    };
    let Some(sub) = path
        .strip_prefix(BASE_PATH)
        .filter(|s| s.is_empty() || s.starts_with('/'))
    else {
        return error_response(&ApiError::no_route());
    };
    let request = api::Request {
        method: &parts.method,
        path: sub,
        query: api::parse_query(Some(query)),
        headers: &parts.headers,
        body: &body,
    };
    let (presented, result) = {
        let mut state = lock(&app.state);
        api::handle(&mut state, &app.creds, &request)
    };
    entry.credential = presented.label();
    match result {
        Ok(ok) => json_response(ok.status, &ok.body()),
        Err(e) => error_response(&e),
    }
}

fn control_endpoint(app: &App, method: &Method, path: &str) -> Response<Body> {
    match (method.clone(), path) {
        (Method::GET, "requests") => {
            let log = lock(&app.log).clone();
            json_response(200, &serde_json::to_value(log).unwrap_or(Value::Null))
        }
        (Method::POST, "reset-log") => {
            lock(&app.log).clear();
            json_response(200, &json!({"cleared": true}))
        }
        (Method::GET, "snapshot") => {
            let snap = lock(&app.state).to_value();
            json_response(200, &snap)
        }
        _ => error_response(&ApiError::no_route()),
    }
}

async fn serve_connection(app: Arc<App>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    // A duplicate of the socket lets a reset close it with SO_LINGER 0 (an RST, like a dropped
    // connection) after hyper's handle is gone.
    let dup = stream
        .into_std()
        .and_then(|s| s.try_clone().map(|d| (s, d)))
        .and_then(|(s, d)| TcpStream::from_std(s).map(|s| (s, d)));
    let (stream, dup) = match dup {
        Ok(pair) => pair,
        Err(_) => return,
    };
    let ctl = Arc::new(ConnControl::default());
    let svc_ctl = ctl.clone();
    let service = hyper::service::service_fn(move |req| {
        let app = app.clone();
        let ctl = svc_ctl.clone();
        async move { Ok::<_, std::convert::Infallible>(serve_request(app, ctl, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = ctl.reset.notified() => {
            let _ = socket2::SockRef::from(&dup).set_linger(Some(Duration::ZERO));
        }
    }
    drop(dup);
}

/// Starts the fake Cloudflare API.
pub struct FakeCloudflare;

impl FakeCloudflare {
    /// Binds 127.0.0.1 (the configured port, or any free one) and serves until
    /// [`FakeHandle::shutdown`] or the handle is dropped. Must run inside a Tokio runtime.
    pub async fn start(config: FakeConfig) -> anyhow::Result<FakeHandle> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App::new(&config));
        let (tx, mut rx) = oneshot::channel::<()>();
        let server_app = app.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => {
                            tokio::spawn(serve_connection(server_app.clone(), stream));
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    },
                }
            }
        });
        Ok(FakeHandle {
            addr,
            app,
            shutdown: Some(tx),
            runtime: None,
        })
    }

    /// Starts the fake on a runtime of its own (two worker threads), for synchronous tests.
    pub fn start_in_background(config: FakeConfig) -> anyhow::Result<FakeHandle> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-cloudflare")
            .enable_all()
            .build()?;
        let mut handle = runtime.block_on(FakeCloudflare::start(config))?;
        handle.runtime = Some(runtime);
        Ok(handle)
    }
}

/// A running fake.
pub struct FakeHandle {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: Option<oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for FakeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeHandle")
            .field("addr", &self.addr)
            .finish()
    }
}

impl FakeHandle {
    /// Same as [`FakeCloudflare::start_in_background`]: a fake on its own runtime threads.
    pub fn spawn_blocking_thread(config: FakeConfig) -> anyhow::Result<FakeHandle> {
        FakeCloudflare::start_in_background(config)
    }

    /// `http://127.0.0.1:PORT/client/v4` (the value for `CLOUDFLARE_BASE_URL`).
    pub fn base_url(&self) -> String {
        format!("http://{}{BASE_PATH}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every API request so far (not `/__fake/...`), in arrival order.
    pub fn requests(&self) -> Vec<RequestLogEntry> {
        lock(&self.app.log).clone()
    }

    /// How many API requests were logged.
    pub fn request_count(&self) -> usize {
        lock(&self.app.log).len()
    }

    /// Clears the request log (the fault counter keeps counting).
    pub fn reset_log(&self) {
        lock(&self.app.log).clear();
    }

    /// The current state as a cfcp snapshot (seed plus every write since).
    pub fn current_snapshot(&self) -> cfcp::snapshot::Snapshot {
        let state = lock(&self.app.state);
        match state.to_snapshot() {
            Ok(s) => s,
            // Writes are validated, so this does not happen; fall back to an empty snapshot.
            Err(_) => crate::config::FakeConfig::empty().seed,
        }
    }

    /// The current state as snapshot JSON.
    pub fn current_snapshot_value(&self) -> Value {
        lock(&self.app.state).to_value()
    }

    /// Stops accepting connections (and stops the fake's own runtime, if it has one).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for FakeHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_slides() {
        let mut l = Limiter {
            limit: RateLimit {
                requests: 2,
                window: Duration::from_secs(10),
            },
            hits: VecDeque::new(),
        };
        let t0 = Instant::now();
        assert_eq!(l.admit(t0), Ok((1, 10)));
        assert_eq!(l.admit(t0 + Duration::from_secs(1)).map(|x| x.0), Ok(0));
        assert_eq!(l.admit(t0 + Duration::from_secs(2)), Err(8));
        assert_eq!(l.peek(t0 + Duration::from_secs(3)), (0, 7));
        assert!(l.admit(t0 + Duration::from_secs(10)).is_ok());
        assert_eq!(l.peek(t0 + Duration::from_secs(30)), (2, 10));
    }
}
