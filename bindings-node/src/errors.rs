//! Core errors as JS `Error`s: a `code` to branch on (`E_API`, `E_SNAPSHOT`, ...), the core
//! error's message, and its details as properties (`status`, `codes`, `path`, `offset`, ...).
//!
//! napi's own `Error` only carries a status and a message, so the JS error object is built here
//! and handed back to napi as a thrown value, which it throws as it is. No variant of the core
//! error carries the API token, so neither does any JS error.

use napi::bindgen_prelude::{JsValue, Object};
use napi::Env;
use serde_json::{json, Value};

/// Every `code` a cfcp error can carry; the `name` of each is the matching Python class name.
pub const CODES: &[(&str, &str)] = &[
    ("E_API", "ApiError"),
    ("E_AUTH", "AuthError"),
    ("E_RATE_LIMITED", "RateLimitedError"),
    ("E_SNAPSHOT", "SnapshotError"),
    ("E_EXPRESSION", "ExpressionError"),
    ("E_POLICY", "PolicyError"),
    ("E_CONFIG", "ConfigError"),
    ("E_DOCUMENT", "DocumentError"),
    ("E_UNKNOWN_ZONE", "UnknownZoneError"),
    ("E_AUDIT", "AuditError"),
    ("E_IO", "IoError"),
    ("E_CFCP", "CfcpError"),
];

/// A cfcp error before it becomes a JS object: code, message and detail properties.
#[derive(Debug)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl Failure {
    pub fn new(code: &'static str, message: impl Into<String>, details: Value) -> Self {
        Failure {
            code,
            message: message.into(),
            details,
        }
    }

    /// The generic error (`E_CFCP`) with no details.
    pub fn plain(message: impl Into<String>) -> Self {
        Failure::new("E_CFCP", message, json!({}))
    }

    /// A file that could not be read or listed.
    pub fn io(path: &std::path::Path, err: &std::io::Error) -> Self {
        let shown = path.display().to_string();
        Failure::new(
            "E_IO",
            format!("cannot read {shown}: {err}"),
            json!({ "path": shown, "kind": format!("{:?}", err.kind()) }),
        )
    }

    /// The JS error object, as the `napi::Error` that throws it unchanged.
    pub fn into_napi(self, env: &Env) -> napi::Error {
        match self.build(env) {
            Ok(err) => err,
            // Building the object can only fail while the environment tears down; the code
            // and message still reach the caller through napi's own error.
            Err(_) => napi::Error::from_reason(format!("{}: {}", self.code, self.message)),
        }
    }

    fn build(&self, env: &Env) -> napi::Result<napi::Error> {
        let mut object: Object = env.create_error(napi::Error::from_reason(&self.message))?;
        let name = CODES
            .iter()
            .find(|(code, _)| *code == self.code)
            .map_or("CfcpError", |(_, name)| name);
        object.set("code", self.code)?;
        object.set("name", name)?;
        if let Value::Object(map) = &self.details {
            for (key, value) in map {
                object.set(key, value.clone())?;
            }
        }
        Ok(napi::Error::from(object.to_unknown()))
    }
}

/// A core error as a `Failure`. `file` is the snapshot file being read, if any.
pub fn failure(err: &cfcp::Error, file: Option<&str>) -> Failure {
    use cfcp::Error as E;
    let message = err.to_string();
    match err {
        E::JsonSyntax { line, column, .. } => Failure::new(
            "E_SNAPSHOT",
            message,
            json!({"path": file, "jsonPath": null, "line": line, "column": column}),
        ),
        E::SnapshotSchema {
            path, line, column, ..
        } => Failure::new(
            "E_SNAPSHOT",
            message,
            json!({"path": file, "jsonPath": path, "line": line, "column": column}),
        ),
        E::UnsupportedFormat { .. } | E::NotASnapshot { .. } => Failure::new(
            "E_SNAPSHOT",
            message,
            json!({"path": file, "jsonPath": null, "line": null, "column": null}),
        ),
        E::Expression {
            offset, span_end, ..
        } => Failure::new(
            "E_EXPRESSION",
            message,
            json!({"offset": offset, "end": span_end}),
        ),
        E::InvalidDocument { document, path, .. } if *document == "policy" => Failure::new(
            "E_POLICY",
            message.clone(),
            json!({"source": path, "errors": [message]}),
        ),
        E::Policy { source_name, .. } => Failure::new(
            "E_POLICY",
            message.clone(),
            json!({"source": source_name, "errors": [message]}),
        ),
        E::InvalidDocument {
            document,
            path,
            line,
            column,
            ..
        } => Failure::new(
            "E_DOCUMENT",
            message,
            json!({"document": document, "path": path, "line": line, "column": column}),
        ),
        E::UnknownZone { zone, known } => {
            let known: Vec<&str> = known.split(", ").filter(|s| !s.is_empty()).collect();
            Failure::new(
                "E_UNKNOWN_ZONE",
                message,
                json!({"zone": zone, "known": known}),
            )
        }
        E::Config { .. } => Failure::new("E_CONFIG", message, json!({})),
        E::AuditIo { path, .. }
        | E::AuditLocked { path }
        | E::AuditKey { path, .. }
        | E::AuditLog { path, .. } => Failure::new("E_AUDIT", message, json!({"path": path})),
        _ => match err.api_context() {
            Some(context) => api_failure(err, message, context),
            None => Failure::new("E_CFCP", message, json!({})),
        },
    }
}

fn api_failure(err: &cfcp::Error, message: String, context: &cfcp::error::ApiContext) -> Failure {
    let codes: Vec<i64> = err.api_errors().iter().map(|e| e.code).collect();
    let messages: Vec<&str> = err
        .api_errors()
        .iter()
        .map(|e| e.message.as_str())
        .collect();
    let mut details = json!({
        "status": err.http_status(),
        "codes": codes,
        "messages": messages,
        "request": format!("{} {}", context.method, context.path),
        "zone": context.zone,
        "section": context.section,
    });
    let code = match err {
        cfcp::Error::Authentication { .. } => "E_AUTH",
        cfcp::Error::RateLimited { retry_after, .. } => {
            details["retryAfter"] = json!(retry_after);
            "E_RATE_LIMITED"
        }
        _ => "E_API",
    };
    Failure::new(code, message, details)
}

/// Shorthand: a core error, thrown as its JS error.
pub fn core_err(env: &Env, err: cfcp::Error) -> napi::Error {
    failure(&err, None).into_napi(env)
}
