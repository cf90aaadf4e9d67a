//! The exception hierarchy under `cfcp.CfcpError`, and the mapping of every core error to it.
//!
//! Each exception carries the core error's message and its details as attributes, so that a
//! script can branch on `err.status` or point at `err.offset` without parsing text. No variant
//! of the core error carries the API token, so neither does any exception.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3::PyTypeInfo;

create_exception!(
    cfcp,
    CfcpError,
    PyException,
    "Base class of every error cfcp raises."
);
create_exception!(
    cfcp,
    ApiError,
    CfcpError,
    "Cloudflare's API refused or failed a request (`.status`, `.codes`, `.messages`, `.request`)."
);
create_exception!(
    cfcp,
    AuthError,
    ApiError,
    "Cloudflare refused the credentials or the token lacks a permission."
);
create_exception!(
    cfcp,
    RateLimitedError,
    ApiError,
    "Still rate limited (HTTP 429) after every retry (`.retry_after`)."
);
create_exception!(
    cfcp,
    SnapshotError,
    CfcpError,
    "A snapshot could not be read (`.path`, `.json_path`, `.line`, `.column`)."
);
create_exception!(
    cfcp,
    ExpressionError,
    CfcpError,
    "A Rules-language expression Cloudflare would reject (`.offset`, `.end`)."
);
create_exception!(
    cfcp,
    PolicyError,
    CfcpError,
    "A Rego or Cedar policy was refused (`.source`, `.errors`)."
);
create_exception!(
    cfcp,
    ConfigError,
    CfcpError,
    "The client could not be configured: no credentials, a bad base URL."
);
create_exception!(
    cfcp,
    DocumentError,
    CfcpError,
    "An input document (waivers, a request, a context) is malformed (`.document`, `.path`, `.line`, `.column`)."
);
create_exception!(
    cfcp,
    UnknownZoneError,
    CfcpError,
    "A zone named by the caller is not in the snapshot (`.zone`, `.known`)."
);
create_exception!(
    cfcp,
    AuditError,
    CfcpError,
    "The audit trail could not be read or is unusable (`.path`)."
);

/// Registers the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CfcpError", py.get_type::<CfcpError>())?;
    m.add("ApiError", py.get_type::<ApiError>())?;
    m.add("AuthError", py.get_type::<AuthError>())?;
    m.add("RateLimitedError", py.get_type::<RateLimitedError>())?;
    m.add("SnapshotError", py.get_type::<SnapshotError>())?;
    m.add("ExpressionError", py.get_type::<ExpressionError>())?;
    m.add("PolicyError", py.get_type::<PolicyError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("DocumentError", py.get_type::<DocumentError>())?;
    m.add("UnknownZoneError", py.get_type::<UnknownZoneError>())?;
    m.add("AuditError", py.get_type::<AuditError>())?;
    Ok(())
}

/// An attribute value of an exception.
enum Attr {
    None,
    Int(i64),
    Str(String),
    Ints(Vec<i64>),
    Strs(Vec<String>),
}

impl Attr {
    fn opt_str(value: Option<&str>) -> Attr {
        value.map_or(Attr::None, |s| Attr::Str(s.to_owned()))
    }

    fn int(value: usize) -> Attr {
        Attr::Int(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

fn raise<T: PyTypeInfo>(message: String, attrs: Vec<(&'static str, Attr)>) -> PyErr {
    Python::with_gil(|py| {
        let err = PyErr::from_type(T::type_object(py), message);
        let value = err.value(py);
        for (name, attr) in attrs {
            let set = match attr {
                Attr::None => value.setattr(name, py.None()),
                Attr::Int(i) => value.setattr(name, i),
                Attr::Str(s) => value.setattr(name, s),
                Attr::Ints(v) => value.setattr(name, PyList::new(py, v).ok()),
                Attr::Strs(v) => value.setattr(name, PyList::new(py, v).ok()),
            };
            // Setting an attribute on a fresh exception instance cannot fail in practice; if it
            // did, the exception still carries its message.
            drop(set);
        }
        err
    })
}

/// Maps a core error to its exception. `file` is the snapshot file being read, if any.
pub fn to_py_err(err: cfcp::Error, file: Option<&str>) -> PyErr {
    use cfcp::Error as E;
    let message = err.to_string();
    match &err {
        E::JsonSyntax { line, column, .. } => raise::<SnapshotError>(
            message,
            vec![
                ("path", Attr::opt_str(file)),
                ("json_path", Attr::None),
                ("line", Attr::int(*line)),
                ("column", Attr::int(*column)),
            ],
        ),
        E::SnapshotSchema {
            path, line, column, ..
        } => raise::<SnapshotError>(
            message,
            vec![
                ("path", Attr::opt_str(file)),
                ("json_path", Attr::Str(path.clone())),
                ("line", Attr::int(*line)),
                ("column", Attr::int(*column)),
            ],
        ),
        E::UnsupportedFormat { .. } | E::NotASnapshot { .. } => raise::<SnapshotError>(
            message,
            vec![
                ("path", Attr::opt_str(file)),
                ("json_path", Attr::None),
                ("line", Attr::None),
                ("column", Attr::None),
            ],
        ),
        E::Expression {
            offset, span_end, ..
        } => raise::<ExpressionError>(
            message,
            vec![
                ("offset", Attr::int(*offset)),
                ("end", Attr::int(*span_end)),
            ],
        ),
        E::InvalidDocument { document, path, .. } if *document == "policy" => raise::<PolicyError>(
            message.clone(),
            vec![
                ("source", Attr::Str(path.clone())),
                ("errors", Attr::Strs(vec![message])),
            ],
        ),
        E::Policy { source_name, .. } => raise::<PolicyError>(
            message.clone(),
            vec![
                ("source", Attr::Str(source_name.clone())),
                ("errors", Attr::Strs(vec![message])),
            ],
        ),
        E::InvalidDocument {
            document,
            path,
            line,
            column,
            ..
        } => raise::<DocumentError>(
            message,
            vec![
                ("document", Attr::Str((*document).to_owned())),
                ("path", Attr::Str(path.clone())),
                ("line", Attr::int(*line)),
                ("column", Attr::int(*column)),
            ],
        ),
        E::UnknownZone { zone, known } => raise::<UnknownZoneError>(
            message,
            vec![
                ("zone", Attr::Str(zone.clone())),
                (
                    "known",
                    Attr::Strs(
                        known
                            .split(", ")
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    ),
                ),
            ],
        ),
        E::Config { .. } => raise::<ConfigError>(message, Vec::new()),
        E::AuditIo { path, .. }
        | E::AuditLocked { path }
        | E::AuditKey { path, .. }
        | E::AuditLog { path, .. } => {
            raise::<AuditError>(message, vec![("path", Attr::Str(path.clone()))])
        }
        _ => match err.api_context() {
            Some(context) => api_error(&err, message, context),
            None => raise::<CfcpError>(message, Vec::new()),
        },
    }
}

fn api_error(err: &cfcp::Error, message: String, context: &cfcp::error::ApiContext) -> PyErr {
    let status = err
        .http_status()
        .map_or(Attr::None, |s| Attr::Int(i64::from(s)));
    let codes = Attr::Ints(err.api_errors().iter().map(|e| e.code).collect());
    let messages = Attr::Strs(err.api_errors().iter().map(|e| e.message.clone()).collect());
    let request = Attr::Str(format!("{} {}", context.method, context.path));
    let mut attrs = vec![
        ("status", status),
        ("codes", codes),
        ("messages", messages),
        ("request", request),
        ("zone", Attr::opt_str(context.zone.as_deref())),
        ("section", Attr::opt_str(context.section.as_deref())),
    ];
    match err {
        cfcp::Error::Authentication { .. } => raise::<AuthError>(message, attrs),
        cfcp::Error::RateLimited { retry_after, .. } => {
            attrs.push((
                "retry_after",
                retry_after.map_or(Attr::None, |s| {
                    Attr::Int(i64::try_from(s).unwrap_or(i64::MAX))
                }),
            ));
            raise::<RateLimitedError>(message, attrs)
        }
        _ => raise::<ApiError>(message, attrs),
    }
}
