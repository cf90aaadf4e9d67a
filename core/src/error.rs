//! The crate's one error type.
//!
//! Every variant says what was wrong, where (JSON path, line, column, zone, section) and, where it
//! helps, what to do about it. Nothing here ever carries the API token.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in cfcp's core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not JSON at all (or is truncated).
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    JsonSyntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The JSON is well formed but a value has the wrong shape for the snapshot contract.
    #[error("{path}: {message} (line {line}, column {column})")]
    SnapshotSchema {
        /// JSON path of the offending value, e.g. `zones[2].dns_records[17].ttl`.
        path: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What was wrong, e.g. `expected integer`.
        message: String,
    },
    /// An input document other than a snapshot (a waiver file, a policy, a Terraform file) is
    /// malformed.
    #[error("{document}: {path}: {message}{}", if *line > 0 { format!(" (line {line}, column {column})") } else { String::new() })]
    InvalidDocument {
        /// What kind of document (`waiver file`).
        document: &'static str,
        /// JSON path of the offending value (`[2].expires`).
        path: String,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// 1-based column, 0 when unknown.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// The document declares a format this version of cfcp cannot read.
    #[error("unsupported snapshot format {found:?}: this cfcp reads {supported}; upgrade cfcp or re-take the snapshot")]
    UnsupportedFormat {
        /// The `format` value found in the document.
        found: String,
        /// The formats this build reads, comma separated.
        supported: String,
    },
    /// The document has no `format` field, so it is not a cfcp snapshot.
    #[error("not a cfcp snapshot: the top-level object has no \"format\" field (expected \"{expected}\")")]
    NotASnapshot {
        /// The format a snapshot file should declare.
        expected: &'static str,
    },

    /// A Rules-language expression Cloudflare would reject (`cfcp::rules`).
    #[error("invalid expression at byte {offset}: {message}")]
    Expression {
        /// What is wrong, with a hint when there is a likely fix.
        message: String,
        /// Byte offset where the problem starts.
        offset: usize,
        /// Byte offset just past the problem.
        span_end: usize,
    },

    /// A zone named by the caller is not in the snapshot.
    #[error("zone {zone:?} is not in the snapshot (zones: {known})")]
    UnknownZone {
        /// The name asked for.
        zone: String,
        /// The zones the snapshot has, comma separated.
        known: String,
    },

    // ---- API client (`cfcp::api`) -------------------------------------------------------------
    /// The client could not be configured: no credentials, a bad base URL, ...
    #[error("API client configuration: {message}")]
    Config {
        /// What is missing or wrong, and what to set.
        message: String,
    },
    /// Cloudflare refused the credentials or the token lacks a permission (HTTP 401/403, codes
    /// 10000, 9109, 10001, ...).
    #[error("{context}: authentication failed: {}; check that the token is valid and has the permission this section needs (`cfcp verify-token` shows what it can read)", describe(*status, errors))]
    Authentication {
        /// HTTP status.
        status: u16,
        /// Cloudflare's errors from the envelope.
        errors: Vec<ApiMessage>,
        /// The request and where in the snapshot it belongs.
        context: Box<ApiContext>,
    },
    /// The object does not exist or is not visible to this token (HTTP 404, codes 7003, 10003, 1003, ...).
    #[error("{context}: not found: {}; check the zone, account or object id", describe(*status, errors))]
    NotFound {
        /// HTTP status.
        status: u16,
        /// Cloudflare's errors from the envelope.
        errors: Vec<ApiMessage>,
        /// The request and where in the snapshot it belongs.
        context: Box<ApiContext>,
    },
    /// Cloudflare rejected the request's content (HTTP 400/409/422, codes 1004, 81057, 81058, ...).
    #[error("{context}: rejected by Cloudflare: {}; fix the request body", describe(*status, errors))]
    Validation {
        /// HTTP status.
        status: u16,
        /// Cloudflare's errors (codes and messages) from the envelope.
        errors: Vec<ApiMessage>,
        /// The request and where in the snapshot it belongs.
        context: Box<ApiContext>,
    },
    /// Still rate limited (HTTP 429) after every retry.
    #[error("{context}: rate limited by Cloudflare (HTTP 429{}); wait and retry, or lower the client's rate limit", retry_after.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    RateLimited {
        /// Seconds Cloudflare asked to wait (`Retry-After`), when it said.
        retry_after: Option<u64>,
        /// The request and where in the snapshot it belongs.
        context: Box<ApiContext>,
    },
    /// Cloudflare failed (HTTP 5xx) on every attempt.
    #[error("{context}: Cloudflare server error: {}; retry later", describe(*status, errors))]
    Server {
        /// HTTP status.
        status: u16,
        /// Cloudflare's errors from the envelope, if any.
        errors: Vec<ApiMessage>,
        /// The request and where in the snapshot it belongs.
        context: Box<ApiContext>,
    },
    /// Any other unsuccessful answer (an unexpected status, or `success: false` on a 2xx).
    #[error("{context}: request failed: {}", describe(*status, errors))]
    Api {
        /// HTTP status.
        status: u16,
        /// Cloudflare's errors from the envelope, if any.
        errors: Vec<ApiMessage>,
        /// The request and where in the snapshot it belongs.
        context: Box<ApiContext>,
    },
    /// The request did not complete: connection refused or reset, timeout, truncated body.
    #[error("{context}: transport error: {message}; check the network and the base URL")]
    Transport {
        /// What failed (never includes headers or the token).
        message: String,
        /// The request and where in the snapshot it belongs.
        context: Box<ApiContext>,
    },
    /// The response was not the JSON shape expected.
    #[error("{context}: unexpected response at {path}: {message}")]
    Decode {
        /// JSON path in the response body, e.g. `result[3].ttl`.
        path: String,
        /// What was wrong.
        message: String,
        /// The request and where in the snapshot it belongs.
        context: Box<ApiContext>,
    },
    /// The GraphQL analytics API answered with errors.
    #[error("{context}: GraphQL error: {}", messages.join("; "))]
    GraphQl {
        /// The `errors[].message` values.
        messages: Vec<String>,
        /// The request.
        context: Box<ApiContext>,
    },

    // ---- Audit trail (`cfcp::audit`) ---------------------------------------------------------
    /// A file of the audit trail (the log, the key or its `.pub`) could not be read or written.
    #[error("audit {what} {path}: {action}: {source}")]
    AuditIo {
        /// `log`, `key` or `public key`.
        what: &'static str,
        /// The file.
        path: String,
        /// What was being done (`open`, `append`, `fsync`, ...).
        action: &'static str,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Another process (or another handle in this one) holds the audit log's exclusive lock.
    #[error("audit log {path} is locked by another writer: only one process may append to it at a time; stop the other cfcp or use a different log file")]
    AuditLocked {
        /// The log file.
        path: String,
    },
    /// An audit signing or public key file is malformed or unsafe (never includes key bytes).
    #[error("audit key {path}: {message}")]
    AuditKey {
        /// The key file.
        path: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The audit log cannot be appended to: it fails verification, a write failed earlier, or an
    /// entry could not be built.
    #[error("audit log {path}: {message}")]
    AuditLog {
        /// The log file.
        path: String,
        /// What is wrong (line and sequence number where known) and what to do.
        message: String,
    },

    // ---- Layer0 (`cfcp::layer0`) --------------------------------------------------------------
    /// A Layer0 routing policy (Cedar) was refused at load: it does not parse, fails validation
    /// against the schema, or uses annotations cfcp cannot read. Nothing routes with it.
    #[error("{source_name}: {message}")]
    Policy {
        /// The policy's file name (or `default.cedar`).
        source_name: String,
        /// Cedar's message with line and column where Cedar gives them, and what to do.
        message: String,
    },
}

/// One `{code, message}` of a Cloudflare envelope's `errors` or `messages`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ApiMessage {
    /// Cloudflare's numeric code (0 when absent).
    #[serde(default)]
    pub code: i64,
    /// The message text.
    #[serde(default)]
    pub message: String,
}

/// Which request failed, and where in a snapshot it belongs. Never holds the token or headers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiContext {
    /// HTTP method.
    pub method: String,
    /// Path below the base URL, with the query string (e.g. `/zones/abc/dns_records?page=2`).
    pub path: String,
    /// Zone name, when known.
    pub zone: Option<String>,
    /// Account id, when known.
    pub account: Option<String>,
    /// Snapshot section (`dns_records`, `rulesets`, ...), when known.
    pub section: Option<String>,
}

impl std::fmt::Display for ApiContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        let mut parts = Vec::new();
        if let Some(zone) = &self.zone {
            parts.push(format!("zone {zone}"));
        }
        if let Some(account) = &self.account {
            parts.push(format!("account {account}"));
        }
        if let Some(section) = &self.section {
            parts.push(format!("section {section}"));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

fn describe(status: u16, errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        return format!("HTTP {status}");
    }
    let list: Vec<String> = errors
        .iter()
        .map(|e| format!("{} (code {})", e.message, e.code))
        .collect();
    format!("HTTP {status}: {}", list.join("; "))
}

/// Cloudflare codes that reject the credentials themselves (rather than one permission):
/// invalid or missing token, malformed header, unknown key.
const CREDENTIAL_CODES: &[i64] = &[6003, 6100, 6101, 6102, 6103, 6111, 9103, 9106, 9109, 10001];

impl Error {
    /// True when Cloudflare rejected the credentials as a whole (HTTP 401, or an invalid-token
    /// code), as opposed to a token that is valid but lacks one permission. A snapshot fails on the
    /// first and records a gap for the second.
    pub fn is_credential_failure(&self) -> bool {
        match self {
            Error::Authentication { status, errors, .. } => {
                *status == 401 || errors.iter().any(|e| CREDENTIAL_CODES.contains(&e.code))
            }
            _ => false,
        }
    }

    /// The request context of an API error.
    pub fn api_context(&self) -> Option<&ApiContext> {
        match self {
            Error::Authentication { context, .. }
            | Error::NotFound { context, .. }
            | Error::Validation { context, .. }
            | Error::RateLimited { context, .. }
            | Error::Server { context, .. }
            | Error::Api { context, .. }
            | Error::Transport { context, .. }
            | Error::Decode { context, .. }
            | Error::GraphQl { context, .. } => Some(context),
            _ => None,
        }
    }

    fn api_context_mut(&mut self) -> Option<&mut ApiContext> {
        match self {
            Error::Authentication { context, .. }
            | Error::NotFound { context, .. }
            | Error::Validation { context, .. }
            | Error::RateLimited { context, .. }
            | Error::Server { context, .. }
            | Error::Api { context, .. }
            | Error::Transport { context, .. }
            | Error::Decode { context, .. }
            | Error::GraphQl { context, .. } => Some(context),
            _ => None,
        }
    }

    /// Adds the zone, account and section to an API error (keeps values already set).
    pub fn in_section(mut self, zone: Option<&str>, account: Option<&str>, section: &str) -> Self {
        if let Some(context) = self.api_context_mut() {
            if context.zone.is_none() {
                context.zone = zone.map(str::to_owned);
            }
            if context.account.is_none() {
                context.account = account.map(str::to_owned);
            }
            if context.section.is_none() {
                context.section = Some(section.to_owned());
            }
        }
        self
    }

    /// The HTTP status of an API error answered by the server.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Authentication { status, .. }
            | Error::NotFound { status, .. }
            | Error::Validation { status, .. }
            | Error::Server { status, .. }
            | Error::Api { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Cloudflare's errors of an API error (empty for other errors).
    pub fn api_errors(&self) -> &[ApiMessage] {
        match self {
            Error::Authentication { errors, .. }
            | Error::NotFound { errors, .. }
            | Error::Validation { errors, .. }
            | Error::Server { errors, .. }
            | Error::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The reason recorded in a snapshot gap: `403 Authentication error (code 10000)`
    /// (HTTP status, Cloudflare's first error message and its code).
    pub fn gap_reason(&self) -> String {
        let status = self
            .http_status()
            .map(|s| s.to_string())
            .unwrap_or_default();
        match self.api_errors().first() {
            Some(first) => format!("{status} {} (code {})", first.message, first.code)
                .trim()
                .to_owned(),
            None => match self.http_status() {
                Some(s) => format!("{s} {}", reason_phrase(s)).trim().to_owned(),
                None => self.to_string(),
            },
        }
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
