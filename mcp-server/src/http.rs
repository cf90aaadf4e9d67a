//! Streamable HTTP: rmcp's `StreamableHttpService` behind a guard that answers, in this order,
//! 403 for a `Host` or `Origin` that a DNS-rebinding page would send, 429 when a client's token
//! bucket is empty, 401 without the server's own bearer token. Every session shares one
//! [`Gate`], so Layer0 and the single audit-log writer see every call of every client.
//!
//! The guard's decisions ([`HostRule`], [`origin_allowed`], [`TokenBucket`], [`RateLimit`]) are
//! pure and take the clock as an argument; only [`serve`] touches sockets and signals.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;

use crate::error::McpError;
use crate::gate::Gate;
use crate::server::CfcpServer;

/// The path the MCP endpoint is served at.
pub const MCP_PATH: &str = "/mcp";

/// The shortest bearer token the server accepts: anything shorter can be guessed.
pub const MIN_TOKEN_LEN: usize = 16;

/// How long shutdown waits for open connections (SSE streams) before sealing the log anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The server's own bearer token (never the Cloudflare token). Its `Debug` hides it.
#[derive(Clone)]
pub struct BearerToken(Arc<str>);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(***)")
    }
}

impl BearerToken {
    /// A token from a file's or a variable's text (surrounding whitespace dropped).
    ///
    /// ```ignore
    /// assert!(BearerToken::parse("  0123456789abcdef0123\n").is_ok());
    /// assert!(BearerToken::parse("short").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<BearerToken, String> {
        let token = text.trim();
        if token.len() < MIN_TOKEN_LEN {
            return Err(format!(
                "the HTTP bearer token must be at least {MIN_TOKEN_LEN} characters (e.g. `openssl rand -hex 32`)"
            ));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the HTTP bearer token must not contain whitespace".into());
        }
        Ok(BearerToken(token.into()))
    }

    /// Whether an `Authorization` header value carries this token; the comparison takes the
    /// same time wherever the first differing byte is.
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        let Some((scheme, presented)) = value.split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer")
            && bool::from(presented.trim().as_bytes().ct_eq(self.0.as_bytes()))
    }
}

/// Which `Host` headers are accepted: the bound loopback authority, or any when remote
/// clients were allowed explicitly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRule {
    /// `localhost`, `127.0.0.1` or `[::1]` with this port.
    Loopback(u16),
    /// Any host (`--http-allow-remote`).
    Any,
}

impl HostRule {
    /// Whether a `Host` header value passes.
    ///
    /// ```ignore
    /// let rule = HostRule::Loopback(8787);
    /// assert!(rule.allows("localhost:8787") && !rule.allows("evil.example:8787"));
    /// ```
    pub fn allows(&self, host: &str) -> bool {
        let HostRule::Loopback(port) = self else {
            return true;
        };
        let (name, given_port) = split_authority(host);
        let port_ok = match given_port {
            Some(p) => p == *port,
            None => *port == 80,
        };
        port_ok && is_loopback_name(name)
    }
}

/// `host[:port]` with IPv6 in brackets; `None` port when absent or unreadable as a number.
fn split_authority(authority: &str) -> (&str, Option<u16>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, tail)) => (ip, tail.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((name, port)) => match port.parse() {
            Ok(p) => (name, Some(p)),
            Err(_) => (authority, Some(0)),
        },
        None => (authority, None),
    }
}

fn is_loopback_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "::1"
}

/// Whether an `Origin` header passes: absent, a loopback origin (http or https, any port), or
/// one listed with `--http-allow-origin` (compared without case and trailing slash).
///
/// ```ignore
/// assert!(origin_allowed(None, &[]));
/// assert!(origin_allowed(Some("http://localhost:6274"), &[]));
/// assert!(!origin_allowed(Some("https://evil.example"), &[]));
/// ```
pub fn origin_allowed(origin: Option<&str>, listed: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let normal = origin.trim().trim_end_matches('/');
    if listed
        .iter()
        .any(|l| l.trim().trim_end_matches('/').eq_ignore_ascii_case(normal))
    {
        return true;
    }
    let Some(authority) = normal
        .strip_prefix("http://")
        .or_else(|| normal.strip_prefix("https://"))
    else {
        return false;
    };
    if authority.contains(['/', '@', '?', '#']) {
        return false;
    }
    let (name, _) = split_authority(authority);
    is_loopback_name(name)
}

/// Requests per second and the burst a client may spend at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Refill rate (tokens per second).
    pub per_second: f64,
    /// Bucket size.
    pub burst: f64,
}

impl RateLimit {
    /// Reads `N/s` (burst 2×N) or `N/s:B` (burst B).
    ///
    /// ```ignore
    /// assert_eq!(RateLimit::parse("20/s").unwrap(), RateLimit { per_second: 20.0, burst: 40.0 });
    /// ```
    pub fn parse(text: &str) -> Result<RateLimit, String> {
        let bad = || format!("--rate-limit: {text:?} is not N/s or N/s:BURST (e.g. 20/s)");
        let (rate, burst) = match text.split_once(':') {
            Some((r, b)) => (r, Some(b)),
            None => (text, None),
        };
        let per_second: f64 = rate
            .trim()
            .strip_suffix("/s")
            .ok_or_else(bad)?
            .trim()
            .parse()
            .map_err(|_| bad())?;
        if !(per_second.is_finite() && per_second > 0.0) {
            return Err(bad());
        }
        let burst = match burst {
            Some(b) => b.trim().parse::<f64>().map_err(|_| bad())?,
            None => (per_second * 2.0).max(1.0),
        };
        if !(burst.is_finite() && burst >= 1.0) {
            return Err(bad());
        }
        Ok(RateLimit { per_second, burst })
    }
}

/// A token bucket: starts full, refills continuously.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenBucket {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn full(limit: RateLimit, now: Instant) -> TokenBucket {
        TokenBucket {
            tokens: limit.burst,
            last: now,
        }
    }

    /// Takes one token, or says how long until one is there.
    pub fn take(&mut self, limit: RateLimit, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * limit.per_second).min(limit.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / limit.per_second,
            ))
        }
    }

    fn is_full(&self, limit: RateLimit, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens + elapsed * limit.per_second >= limit.burst
    }
}

/// Above this many clients, buckets that refilled completely are forgotten.
const MAX_BUCKETS: usize = 4096;

/// One bucket per client: whether it presented the right token, and its address. A client
/// guessing tokens shares its address's one "unauthenticated" bucket, so guessing is slowed too.
#[derive(Debug)]
pub struct ClientLimits {
    limit: RateLimit,
    buckets: HashMap<(bool, std::net::IpAddr), TokenBucket>,
}

impl ClientLimits {
    /// No client seen yet.
    pub fn new(limit: RateLimit) -> ClientLimits {
        ClientLimits {
            limit,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token from the client's bucket (`Err`: retry after this long).
    pub fn take(
        &mut self,
        authenticated: bool,
        ip: std::net::IpAddr,
        now: Instant,
    ) -> Result<(), Duration> {
        if self.buckets.len() >= MAX_BUCKETS {
            let limit = self.limit;
            self.buckets.retain(|_, b| !b.is_full(limit, now));
        }
        let limit = self.limit;
        self.buckets
            .entry((authenticated, ip))
            .or_insert_with(|| TokenBucket::full(limit, now))
            .take(limit, now)
    }
}

/// What the HTTP transport was told on the command line.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Where to listen (port 0: any free port, printed at start).
    pub bind: SocketAddr,
    /// The server's bearer token.
    pub token: BearerToken,
    /// Listen on a non-loopback address and accept any `Host`.
    pub allow_remote: bool,
    /// Browser origins accepted besides the loopback ones.
    pub allowed_origins: Vec<String>,
    /// Per-client request rate.
    pub rate_limit: RateLimit,
}

struct Guard {
    token: BearerToken,
    hosts: HostRule,
    origins: Vec<String>,
    limits: Mutex<ClientLimits>,
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

async fn guard(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = text(header::HOST).unwrap_or_default();
    if !guard.hosts.allows(host) {
        return refuse(
            StatusCode::FORBIDDEN,
            &format!("cfcp-mcp: Host {host:?} is not this server's loopback address (a DNS-rebinding page would send it); connect to the address cfcp-mcp printed at start"),
        );
    }
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    if !origin_allowed(origin, &guard.origins) {
        return refuse(
            StatusCode::FORBIDDEN,
            &format!("cfcp-mcp: Origin {:?} is not allowed (loopback origins are; add others with --http-allow-origin)", origin.unwrap_or_default()),
        );
    }
    let authorization = text(header::AUTHORIZATION);
    let authenticated = guard.token.accepts(authorization);
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let limited = guard
        .limits
        .lock()
        .map(|mut l| l.take(authenticated, ip, Instant::now()))
        .unwrap_or(Ok(()));
    if let Err(wait) = limited {
        let mut response = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "cfcp-mcp: rate limit exceeded (see --rate-limit); retry after the Retry-After seconds",
        );
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&seconds.to_string()).unwrap_or(HeaderValue::from_static("1")),
        );
        return response;
    }
    if !authenticated {
        let challenge = if authorization.is_some() {
            "Bearer realm=\"cfcp-mcp\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"cfcp-mcp\""
        };
        let mut response = refuse(
            StatusCode::UNAUTHORIZED,
            "cfcp-mcp: missing or wrong bearer token (Authorization: Bearer <the token of --http-token-file or CFCP_MCP_HTTP_TOKEN>)",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
        return response;
    }
    next.run(request).await
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Serves MCP over streamable HTTP at `http://<bind>/mcp` until SIGINT/SIGTERM, then stops the
/// sessions, waits briefly for open connections and seals the audit log.
pub async fn serve(gate: Arc<Gate>, options: &HttpOptions) -> Result<(), McpError> {
    if !options.bind.ip().is_loopback() && !options.allow_remote {
        return Err(McpError::Usage(format!(
            "--http {}: not a loopback address; pass --http-allow-remote to listen there (clients then reach the server from other machines; keep the token secret and put TLS in front)",
            options.bind
        )));
    }
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .map_err(|e| McpError::Transport(format!("cannot listen on {}: {e}", options.bind)))?;
    let local = listener
        .local_addr()
        .map_err(|e| McpError::Transport(e.to_string()))?;
    let stop = CancellationToken::new();
    let mut config = StreamableHttpServerConfig::default().with_cancellation_token(stop.clone());
    if options.allow_remote {
        config = config.disable_allowed_hosts();
    }
    let factory_gate = Arc::clone(&gate);
    let live = gate.is_live();
    let service = StreamableHttpService::new(
        move || Ok(CfcpServer::new(Arc::clone(&factory_gate), live)),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let guard_state = Arc::new(Guard {
        token: options.token.clone(),
        hosts: if options.allow_remote {
            HostRule::Any
        } else {
            HostRule::Loopback(local.port())
        },
        origins: options.allowed_origins.clone(),
        limits: Mutex::new(ClientLimits::new(options.rate_limit)),
    });
    let app = axum::Router::new()
        .route_service(MCP_PATH, service)
        .fallback(|| async { refuse(StatusCode::NOT_FOUND, "cfcp-mcp: the MCP endpoint is /mcp") })
        .layer(axum::middleware::from_fn_with_state(guard_state, guard));
    eprintln!("cfcp-mcp: serving MCP over streamable HTTP at http://{local}{MCP_PATH}");
    let shutdown = stop.clone();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    // An SSE answer goes out in several small writes; with Nagle's algorithm each call waits
    // for the client's delayed ACK (~40 ms).
    .tcp_nodelay(true)
    .with_graceful_shutdown(async move {
        tokio::select! {
            _ = shutdown_signal() => {},
            _ = shutdown.cancelled() => {},
        }
        // Ends every session (and its SSE streams) so the connections can close.
        shutdown.cancel();
    });
    let mut running = tokio::spawn(async move { server.await });
    let finished = tokio::select! {
        early = &mut running => Some(early),
        _ = stop.cancelled() => tokio::time::timeout(SHUTDOWN_GRACE, running).await.ok(),
    };
    gate.close()?;
    eprintln!("cfcp-mcp: stopped; audit log sealed");
    match finished {
        Some(Ok(Err(e))) => Err(McpError::Transport(e.to_string())),
        Some(Err(e)) => Err(McpError::Transport(e.to_string())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
