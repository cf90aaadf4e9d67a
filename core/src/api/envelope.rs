//! Cloudflare's response envelope and the mapping of unsuccessful answers to typed errors.
//!
//! Every v4 answer is `{success, errors:[{code,message}], messages, result, result_info}`. This
//! module is pure: bytes and a status in, a typed result or a [`crate::Error`] out.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

use crate::error::{ApiContext, ApiMessage, Error, Result};

/// Codes Cloudflare uses for authentication / authorization failures.
pub const AUTH_CODES: &[i64] = &[10000, 10001, 9109, 9103, 9106, 6003, 6103, 6111];
/// Codes Cloudflare uses for "no such object".
pub const NOT_FOUND_CODES: &[i64] = &[7003, 7000, 10003, 1003, 81044, 1001];

/// `result_info` of a list answer. Every member is optional: endpoints differ.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ResultInfo {
    /// 1-based page number.
    #[serde(default)]
    pub page: Option<u64>,
    /// Page size the server used.
    #[serde(default)]
    pub per_page: Option<u64>,
    /// Items on this page.
    #[serde(default)]
    pub count: Option<u64>,
    /// Items over all pages.
    #[serde(default)]
    pub total_count: Option<u64>,
    /// Number of pages.
    #[serde(default)]
    pub total_pages: Option<u64>,
    /// Next-page cursor (rulesets list).
    #[serde(default)]
    pub cursor: Option<String>,
    /// Cursors (list items): `after` is the next page.
    #[serde(default)]
    pub cursors: Option<Cursors>,
}

/// `result_info.cursors`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Cursors {
    /// Cursor of the next page, absent on the last.
    #[serde(default)]
    pub after: Option<String>,
    /// Cursor of the previous page.
    #[serde(default)]
    pub before: Option<String>,
}

/// A decoded successful envelope.
#[derive(Debug)]
pub struct Envelope<T> {
    /// `result`, or `None` when absent or null.
    pub result: Option<T>,
    /// `result_info`, when present and well formed.
    pub result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct RawEnvelope<T> {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    errors: Option<Vec<LenientMessage>>,
    #[serde(default = "none")]
    result: Option<T>,
    #[serde(default)]
    result_info: Option<serde_json::Value>,
}

fn none<T>() -> Option<T> {
    None
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    #[serde(default)]
    errors: Option<Vec<LenientMessage>>,
}

/// An error entry that never fails to decode (codes are sometimes strings).
#[derive(Deserialize)]
struct LenientMessage {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<serde_json::Value>,
}

impl From<LenientMessage> for ApiMessage {
    fn from(m: LenientMessage) -> Self {
        let code = match m.code {
            Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(0),
            Some(serde_json::Value::String(s)) => s.trim().parse().unwrap_or(0),
            _ => 0,
        };
        let message = match m.message {
            Some(serde_json::Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        ApiMessage { code, message }
    }
}

/// The `errors` of an envelope, leniently (empty when the body is not an envelope).
pub fn envelope_errors(body: &[u8]) -> Vec<ApiMessage> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .and_then(|e| e.errors)
        .map(|errors| errors.into_iter().map(ApiMessage::from).collect())
        .unwrap_or_default()
}

/// Maps an unsuccessful answer to the error variant that says what happened.
pub fn classify(
    status: u16,
    errors: Vec<ApiMessage>,
    retry_after: Option<u64>,
    context: ApiContext,
) -> Error {
    let context = Box::new(context);
    let has = |codes: &[i64]| errors.iter().any(|e| codes.contains(&e.code));
    match status {
        401 | 403 => Error::Authentication {
            status,
            errors,
            context,
        },
        404 => Error::NotFound {
            status,
            errors,
            context,
        },
        429 => Error::RateLimited {
            retry_after,
            context,
        },
        500..=599 => Error::Server {
            status,
            errors,
            context,
        },
        _ if has(AUTH_CODES) => Error::Authentication {
            status,
            errors,
            context,
        },
        _ if has(NOT_FOUND_CODES) => Error::NotFound {
            status,
            errors,
            context,
        },
        400 | 409 | 422 => Error::Validation {
            status,
            errors,
            context,
        },
        200..=299 if !errors.is_empty() => Error::Validation {
            status,
            errors,
            context,
        },
        _ => Error::Api {
            status,
            errors,
            context,
        },
    }
}

/// Decodes a response: a typed envelope for a 2xx with `success` not false, else the error.
///
/// A body cut short (JSON ends early) is a [`Error::Transport`] error, which the client retries;
/// a body of the wrong shape is an [`Error::Decode`] error naming the JSON path.
pub fn decode<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    retry_after: Option<u64>,
    context: &ApiContext,
) -> Result<Envelope<T>> {
    if !(200..300).contains(&status) {
        return Err(classify(
            status,
            envelope_errors(body),
            retry_after,
            context.clone(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let raw: RawEnvelope<T> = match serde_path_to_error::deserialize(&mut de) {
        Ok(raw) => raw,
        Err(e) => return Err(decode_error(e, context)),
    };
    if let Err(e) = de.end() {
        return Err(Error::Decode {
            path: "$".to_owned(),
            message: format!("trailing data after the JSON document: {e}"),
            context: Box::new(context.clone()),
        });
    }
    if raw.success == Some(false) {
        let errors = raw
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(ApiMessage::from)
            .collect();
        return Err(classify(status, errors, retry_after, context.clone()));
    }
    let result_info = raw
        .result_info
        .and_then(|v| serde_json::from_value::<ResultInfo>(v).ok());
    Ok(Envelope {
        result: raw.result,
        result_info,
    })
}

/// Decodes a body that is not an envelope (GraphQL), with the same truncation and path rules.
pub fn decode_plain<T: DeserializeOwned>(body: &[u8], context: &ApiContext) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| decode_error(e, context))
}

/// Checks that a body is complete JSON (for answers whose content is not needed).
pub fn check_complete(body: &[u8], context: &ApiContext) -> Result<()> {
    if body.is_empty() {
        return Ok(());
    }
    decode_plain::<IgnoredAny>(body, context).map(|_| ())
}

fn decode_error(e: serde_path_to_error::Error<serde_json::Error>, context: &ApiContext) -> Error {
    let path = match e.path().to_string() {
        p if p.is_empty() || p == "." => "$".to_owned(),
        p => p,
    };
    let inner = e.into_inner();
    if inner.is_eof() {
        return Error::Transport {
            message: format!("truncated response body (JSON ends early at {path})"),
            context: Box::new(context.clone()),
        };
    }
    let message = match inner.to_string().rfind(" at line ") {
        Some(at) => inner.to_string()[..at].to_owned(),
        None => inner.to_string(),
    };
    Error::Decode {
        path,
        message,
        context: Box::new(context.clone()),
    }
}

/// Turns a missing `result` into a decode error.
pub fn required<T>(envelope: Envelope<T>, context: &ApiContext) -> Result<T> {
    envelope.result.ok_or_else(|| Error::Decode {
        path: "result".to_owned(),
        message: "missing or null; expected the requested object".to_owned(),
        context: Box::new(context.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::DnsRecord;

    fn ctx() -> ApiContext {
        ApiContext {
            method: "GET".into(),
            path: "/zones/z1/dns_records?page=1".into(),
            ..ApiContext::default()
        }
    }

    #[test]
    fn decodes_result_and_result_info() {
        let body = br#"{"success":true,"errors":[],"messages":[],
            "result":[{"name":"a.example.com","type":"A","content":"192.0.2.1","ttl":1}],
            "result_info":{"page":1,"per_page":5000,"count":1,"total_count":1,"total_pages":1}}"#;
        let env: Envelope<Vec<DnsRecord>> = decode(200, body, None, &ctx()).unwrap();
        assert_eq!(env.result.unwrap().len(), 1);
        let info = env.result_info.unwrap();
        assert_eq!(
            (info.page, info.per_page, info.total_pages),
            (Some(1), Some(5000), Some(1))
        );
    }

    #[test]
    fn cursors_are_read() {
        let body = br#"{"success":true,"errors":[],"result":[],"result_info":{"cursors":{"after":"abc"}}}"#;
        let env: Envelope<Vec<serde_json::Value>> = decode(200, body, None, &ctx()).unwrap();
        let info = env.result_info.unwrap();
        assert_eq!(info.cursors.unwrap().after.as_deref(), Some("abc"));
        let body = br#"{"success":true,"errors":[],"result":[],"result_info":{"cursor":"n2"}}"#;
        let env: Envelope<Vec<serde_json::Value>> = decode(200, body, None, &ctx()).unwrap();
        assert_eq!(env.result_info.unwrap().cursor.as_deref(), Some("n2"));
    }

    #[test]
    fn maps_statuses_and_codes_to_variants() {
        let err = |status: u16, body: &str| {
            decode::<serde_json::Value>(status, body.as_bytes(), Some(7), &ctx()).unwrap_err()
        };
        let auth =
            r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#;
        let e = err(403, auth);
        assert!(
            matches!(e, Error::Authentication { status: 403, .. }),
            "{e:?}"
        );
        assert_eq!(e.gap_reason(), "403 Authentication error (code 10000)");
        assert!(matches!(err(401, "{}"), Error::Authentication { .. }));
        assert!(matches!(
            err(
                400,
                r#"{"success":false,"errors":[{"code":9109,"message":"Unauthorized"}]}"#
            ),
            Error::Authentication { .. }
        ));
        let nf = r#"{"success":false,"errors":[{"code":7003,"message":"Could not route"}]}"#;
        assert!(matches!(err(404, nf), Error::NotFound { .. }));
        assert!(matches!(err(400, nf), Error::NotFound { .. }));
        let dup = r#"{"success":false,"errors":[{"code":81058,"message":"An identical record already exists."}]}"#;
        let e = err(400, dup);
        assert!(matches!(e, Error::Validation { status: 400, .. }), "{e:?}");
        assert!(
            e.to_string()
                .contains("An identical record already exists. (code 81058)"),
            "{e}"
        );
        assert!(
            e.to_string().contains("GET /zones/z1/dns_records?page=1"),
            "{e}"
        );
        assert!(matches!(
            err(429, "{}"),
            Error::RateLimited {
                retry_after: Some(7),
                ..
            }
        ));
        assert!(matches!(
            err(502, "<html>bad gateway</html>"),
            Error::Server { status: 502, .. }
        ));
        assert!(matches!(err(418, "{}"), Error::Api { status: 418, .. }));
        // success:false on a 200 is still an error
        let e = err(
            200,
            r#"{"success":false,"errors":[{"code":1004,"message":"DNS Validation Error"}],"result":null}"#,
        );
        assert!(matches!(e, Error::Validation { status: 200, .. }), "{e:?}");
    }

    #[test]
    fn gap_reason_without_envelope_uses_the_status_phrase() {
        let e = decode::<serde_json::Value>(403, b"forbidden", None, &ctx()).unwrap_err();
        assert_eq!(e.gap_reason(), "403 Forbidden");
    }

    #[test]
    fn decode_errors_name_the_json_path() {
        let body = br#"{"success":true,"errors":[],"result":[{"name":"a","type":"A"},{"name":"b","type":"A","ttl":"x"}]}"#;
        let e = decode::<Vec<DnsRecord>>(200, body, None, &ctx()).unwrap_err();
        match e {
            Error::Decode { path, message, .. } => {
                assert_eq!(path, "result[1].ttl");
                assert!(message.contains("invalid type"), "{message}");
            }
            other => panic!("expected decode error, got {other:?}"),
        }
    }

    #[test]
    fn truncated_body_is_a_transport_error() {
        let body = br#"{"success":true,"errors":[],"result":[{"name":"a","ty"#;
        let e = decode::<Vec<DnsRecord>>(200, body, None, &ctx()).unwrap_err();
        assert!(matches!(e, Error::Transport { .. }), "{e:?}");
        assert!(e.to_string().contains("truncated"), "{e}");
    }

    #[test]
    fn missing_result_is_reported_by_required() {
        let env: Envelope<serde_json::Value> = decode(
            200,
            br#"{"success":true,"errors":[],"messages":[]}"#,
            None,
            &ctx(),
        )
        .unwrap();
        let e = required(env, &ctx()).unwrap_err();
        assert!(e.to_string().contains("result"), "{e}");
    }

    #[test]
    fn string_codes_are_tolerated() {
        let errors =
            envelope_errors(br#"{"errors":[{"code":"10000","message":"Authentication error"}]}"#);
        assert_eq!(
            errors,
            vec![ApiMessage {
                code: 10000,
                message: "Authentication error".into()
            }]
        );
    }
}
