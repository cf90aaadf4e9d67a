//! Cloudflare's response envelope and the errors the fake answers with.
//!
//! Every API response is `{"success","errors":[{"code","message"}],"messages":[],"result"}` (plus
//! `result_info` on paginated lists), exactly as `api.cloudflare.com/client/v4` sends it.

use serde_json::{json, Map, Value};

/// Error codes the fake uses, named after what Cloudflare means by them.
pub mod codes {
    /// `Authentication error`: a token that lacks the permission (HTTP 403).
    pub const AUTHENTICATION_ERROR: u32 = 10000;
    /// `Invalid API Token` on the verify endpoints for an unknown token (HTTP 401).
    pub const INVALID_API_TOKEN: u32 = 1000;
    /// `Invalid access token`: an unknown bearer token (HTTP 403).
    pub const INVALID_ACCESS_TOKEN: u32 = 9109;
    /// `Unknown X-Auth-Key or X-Auth-Email` (HTTP 403).
    pub const UNKNOWN_API_KEY: u32 = 9103;
    /// `Missing X-Auth-Key, X-Auth-Email or Authorization headers` (HTTP 400).
    pub const MISSING_AUTH: u32 = 9106;
    /// `Invalid request headers` with an `error_chain` (HTTP 400).
    pub const INVALID_HEADERS: u32 = 6003;
    /// `Invalid format for Authorization header` (in the 6003 chain).
    pub const INVALID_AUTHORIZATION_FORMAT: u32 = 6111;
    /// `Missing "Authorization" header` (verify endpoint called with an API key).
    pub const MISSING_AUTHORIZATION_HEADER: u32 = 1001;
    /// `No route for that URI` (HTTP 404).
    pub const NO_ROUTE: u32 = 7000;
    /// `Method X not available for that URI.` (HTTP 405).
    pub const METHOD_NOT_ALLOWED: u32 = 7001;
    /// `Could not route to /..., perhaps your object identifier is invalid?` (HTTP 404 / 400).
    pub const COULD_NOT_ROUTE: u32 = 7003;
    /// Rulesets: `could not find entrypoint ruleset in the X phase` and other not-found (HTTP 404).
    pub const RULESET_NOT_FOUND: u32 = 10003;
    /// Rulesets: request validation failed (HTTP 400), with `source.pointer`.
    pub const RULESET_VALIDATION: u32 = 20021;
    /// Please wait and consider throttling your request speed (HTTP 429).
    pub const RATE_LIMITED: u32 = 971;
    /// DNS: `DNS Validation Error` (HTTP 400), details in `error_chain` (9000 range).
    pub const DNS_VALIDATION: u32 = 1004;
    /// DNS: `Record does not exist.` (HTTP 404).
    pub const RECORD_NOT_FOUND: u32 = 81044;
    /// DNS: `An A, AAAA, or CNAME record with that host already exists.` (HTTP 400).
    pub const CNAME_CONFLICT: u32 = 81053;
    /// DNS: `Record already exists.` (HTTP 400).
    pub const RECORD_EXISTS: u32 = 81057;
    /// DNS: `An identical record already exists.` (HTTP 400).
    pub const IDENTICAL_RECORD: u32 = 81058;
    /// Settings: `Unrecognized zone setting name` (HTTP 400).
    pub const UNKNOWN_SETTING: u32 = 1006;
    /// Settings: `Invalid value for zone setting X` (HTTP 400).
    pub const INVALID_SETTING_VALUE: u32 = 1007;
    /// Settings: `This setting is not editable on this zone` (HTTP 400).
    pub const SETTING_NOT_EDITABLE: u32 = 1008;
    /// Malformed JSON body (HTTP 400).
    pub const INVALID_BODY: u32 = 9207;
    /// Generic request validation (DNSSEC, bot management, lists, tunnels) (HTTP 400).
    pub const VALIDATION: u32 = 1001;
    /// Tunnels: tunnel or configuration not found (HTTP 404).
    pub const TUNNEL_NOT_FOUND: u32 = 1003;
    /// Tunnels: ingress rules invalid (HTTP 400).
    pub const TUNNEL_CONFIG_INVALID: u32 = 1056;
    /// Lists: list not found (HTTP 404).
    pub const LIST_NOT_FOUND: u32 = 10001;
    /// Lists: invalid list item (HTTP 400).
    pub const LIST_ITEM_INVALID: u32 = 10021;
    /// Injected 500: `An unknown error has occurred`.
    pub const INTERNAL: u32 = 10002;
    /// Injected 503: `Service temporarily unavailable`.
    pub const UNAVAILABLE: u32 = 10013;
}

/// One entry of `errors`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorItem {
    /// Cloudflare's numeric code.
    pub code: u32,
    /// Cloudflare's message.
    pub message: String,
    /// Nested errors (`error_chain`), as Cloudflare sends for DNS and header errors.
    pub chain: Vec<ErrorItem>,
    /// JSON pointer into the request body (`source.pointer`), as the rulesets API sends.
    pub pointer: Option<String>,
}

impl ErrorItem {
    /// An error with no chain or pointer.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        ErrorItem {
            code,
            message: message.into(),
            chain: Vec::new(),
            pointer: None,
        }
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("code".into(), json!(self.code));
        m.insert("message".into(), json!(self.message));
        if !self.chain.is_empty() {
            let chain: Vec<Value> = self.chain.iter().map(ErrorItem::to_value).collect();
            m.insert("error_chain".into(), Value::Array(chain));
        }
        if let Some(p) = &self.pointer {
            m.insert("source".into(), json!({ "pointer": p }));
        }
        Value::Object(m)
    }
}

/// An API error: an HTTP status and Cloudflare's `errors` array.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The `errors` entries.
    pub errors: Vec<ErrorItem>,
    /// Extra response headers (`Retry-After`).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// One error with this status, code and message.
    pub fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            errors: vec![ErrorItem::new(code, message)],
            headers: Vec::new(),
        }
    }

    /// Adds an `error_chain` entry to the first error.
    pub fn chain(mut self, code: u32, message: impl Into<String>) -> Self {
        if let Some(first) = self.errors.first_mut() {
            first.chain.push(ErrorItem::new(code, message));
        }
        self
    }

    /// Sets `source.pointer` on the first error.
    pub fn pointer(mut self, pointer: impl Into<String>) -> Self {
        if let Some(first) = self.errors.first_mut() {
            first.pointer = Some(pointer.into());
        }
        self
    }

    /// Adds a second top-level error.
    pub fn and(mut self, code: u32, message: impl Into<String>) -> Self {
        self.errors.push(ErrorItem::new(code, message));
        self
    }

    /// 403 `Authentication error` (missing permission).
    pub fn forbidden() -> Self {
        ApiError::new(403, codes::AUTHENTICATION_ERROR, "Authentication error")
    }

    /// 404 `No route for that URI`.
    pub fn no_route() -> Self {
        ApiError::new(404, codes::NO_ROUTE, "No route for that URI")
    }

    /// `Could not route to {path}, perhaps your object identifier is invalid?`: 400 when the id
    /// is malformed (with a 7000 entry, as Cloudflare sends), 404 when it is well-formed but unknown.
    pub fn could_not_route(path: &str, malformed: bool) -> Self {
        let message =
            format!("Could not route to {path}, perhaps your object identifier is invalid?");
        if malformed {
            ApiError::new(400, codes::COULD_NOT_ROUTE, message)
                .and(codes::NO_ROUTE, "No route for that URI")
        } else {
            ApiError::new(404, codes::COULD_NOT_ROUTE, message)
        }
    }

    /// 400 `DNS Validation Error` with one 9000-range entry in `error_chain`.
    pub fn dns_validation(code: u32, message: impl Into<String>) -> Self {
        ApiError::new(400, codes::DNS_VALIDATION, "DNS Validation Error").chain(code, message)
    }

    /// 400 for a body that is not JSON or not the JSON shape expected.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        ApiError::new(400, codes::INVALID_BODY, message)
    }

    /// 400 ruleset validation error pointing at a member of the body.
    pub fn ruleset_validation(pointer: &str, message: impl Into<String>) -> Self {
        ApiError::new(400, codes::RULESET_VALIDATION, message).pointer(pointer)
    }

    /// The `errors` array as JSON.
    pub fn errors_value(&self) -> Value {
        Value::Array(self.errors.iter().map(ErrorItem::to_value).collect())
    }

    /// The full envelope as JSON.
    pub fn body(&self) -> Value {
        json!({
            "success": false,
            "errors": self.errors_value(),
            "messages": [],
            "result": null,
        })
    }
}

/// A successful result: what goes in `result`, and `result_info` when the endpoint paginates.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiOk {
    /// `result`.
    pub result: Value,
    /// `result_info`, if any.
    pub result_info: Option<Value>,
    /// `messages`, usually empty.
    pub messages: Vec<Value>,
    /// HTTP status (200 normally).
    pub status: u16,
    /// Send `result` as the whole body, without the envelope (GraphQL).
    pub raw: bool,
}

impl ApiOk {
    /// A 200 with this result.
    pub fn new(result: Value) -> Self {
        ApiOk {
            result,
            result_info: None,
            messages: Vec::new(),
            status: 200,
            raw: false,
        }
    }

    /// A 200 with this result and `result_info`.
    pub fn paged(result: Value, result_info: Value) -> Self {
        ApiOk {
            result_info: Some(result_info),
            ..ApiOk::new(result)
        }
    }

    /// A 200 whose body is `body` as is (no envelope).
    pub fn raw(body: Value) -> Self {
        ApiOk {
            raw: true,
            ..ApiOk::new(body)
        }
    }

    /// The full envelope as JSON.
    pub fn body(&self) -> Value {
        if self.raw {
            return self.result.clone();
        }
        let mut m = Map::new();
        m.insert("success".into(), Value::Bool(true));
        m.insert("errors".into(), Value::Array(Vec::new()));
        m.insert("messages".into(), Value::Array(self.messages.clone()));
        m.insert("result".into(), self.result.clone());
        if let Some(info) = &self.result_info {
            m.insert("result_info".into(), info.clone());
        }
        Value::Object(m)
    }
}

/// What a handler returns.
pub type ApiResult = Result<ApiOk, ApiError>;
