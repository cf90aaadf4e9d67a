//! The classifier: structure first, then text.
//!
//! 1. The envelope: a request that cannot be read is `malformed` (never an error: Layer0 must
//!    decide about everything it is given).
//! 2. Structure: a tool call's tool, action, arguments, scope and security meaning
//!    ([`super::structural`]); a query's commands ([`super::query`]).
//! 3. Text: every string that reaches the model or the API is scanned for injected instructions
//!    and secrets, with the voice of where it came from ([`super::text`]).
//! 4. Risk: a score that only grows with the flags.

use std::borrow::Cow;

use serde_json::Value;

use super::classification::{Classification, Evidence, Flag, Intent};
use super::profile::Stage;
use super::query::classify_query;
use super::request::{Context, Request, RequestKind};
use super::structural::classify_tool_call;
use super::text::{scan_with, Voice};
use crate::snapshot::Snapshot;

/// A single string longer than this is malformed: no cfcp argument needs it (a TXT record holds
/// 2,048 characters, an expression 4,096; feeds this large go through `cfcp waf propose`).
pub const MAX_STRING_BYTES: usize = 1 << 20;
/// All strings of one request together.
pub const MAX_REQUEST_BYTES: usize = 4 << 20;

/// Classifies a request.
///
/// ```
/// use cfcp::layer0::{classify, Context, Flag, Intent, Request};
/// let request = Request::from_value(&serde_json::json!({
///     "kind": "tool_call", "tool": "dns_record_manage",
///     "arguments": {"action": "delete", "zone": "example.com",
///                   "record": {"id": "1", "type": "MX", "name": "example.com"}}
/// })).unwrap();
/// let context = Context { zones_allowed: vec!["example.com".into()],
///                         scopes: vec!["dns:edit".into()], ..Context::default() };
/// let c = classify(&request, &context, None);
/// assert_eq!(c.intent, Intent::Destroy);
/// assert!(c.has(Flag::Destructive) && c.has(Flag::SensitiveRecord));
/// ```
pub fn classify(request: &Request, ctx: &Context, snapshot: Option<&Snapshot>) -> Classification {
    classify_with(request, ctx, snapshot, &mut |_| {})
}

fn classify_with<L: FnMut(Stage) + ?Sized>(
    request: &Request,
    ctx: &Context,
    snapshot: Option<&Snapshot>,
    lap: &mut L,
) -> Classification {
    let mut out = Classification::default();
    match request.kind {
        RequestKind::ToolCall => {
            classify_tool_call(request, ctx, snapshot, &mut out);
            lap(Stage::Structural);
        }
        RequestKind::Query => {
            let text = request.text.as_deref().unwrap_or_default();
            if text.len() > MAX_STRING_BYTES {
                out.flag(too_large("text", text.len()));
            } else {
                classify_query(text, ctx, &mut out);
            }
            lap(Stage::QueryReading);
        }
        RequestKind::ToolOutput => {
            out.tool = request.tool.clone();
            let text = request.text.as_deref().unwrap_or_default();
            if text.len() > MAX_REQUEST_BYTES {
                out.flag(too_large("text", text.len()));
            }
        }
    }
    scan_strings(request, &mut out, lap);
    out.risk = risk(&out);
    lap(Stage::Other);
    out
}

/// Classifies a request given as JSON, as it arrives: a request whose envelope cannot be read
/// is classified `malformed` with the reason as evidence.
///
/// ```
/// use cfcp::layer0::{classify_value, Context, Flag};
/// let c = classify_value(&serde_json::json!({"kind": "telepathy"}), &Context::default(), None);
/// assert!(c.has(Flag::Malformed));
/// ```
pub fn classify_value(value: &Value, ctx: &Context, snapshot: Option<&Snapshot>) -> Classification {
    classify_value_with(value, ctx, snapshot, &mut |_| {})
}

/// [`classify_value`], calling `lap` as each [`Stage`] ends: the benchmark reads its clock there
/// to say where the time goes. The classification is exactly that of [`classify_value`].
///
/// ```
/// use cfcp::layer0::{classify::classify_value_profiled, classify_value, Context};
/// use cfcp::layer0::profile::Stage;
/// let request = serde_json::json!({"kind": "query", "text": "list dns records for example.com"});
/// let mut stages = Vec::new();
/// let c = classify_value_profiled(&request, &Context::default(), None, &mut |s| stages.push(s));
/// assert_eq!(c, classify_value(&request, &Context::default(), None));
/// assert_eq!(stages.first(), Some(&Stage::Envelope));
/// assert!(stages.contains(&Stage::QueryReading) && stages.contains(&Stage::Normalise));
/// ```
pub fn classify_value_profiled(
    value: &Value,
    ctx: &Context,
    snapshot: Option<&Snapshot>,
    lap: &mut dyn FnMut(Stage),
) -> Classification {
    classify_value_with(value, ctx, snapshot, lap)
}

fn classify_value_with<L: FnMut(Stage) + ?Sized>(
    value: &Value,
    ctx: &Context,
    snapshot: Option<&Snapshot>,
    lap: &mut L,
) -> Classification {
    let request = Request::from_value(value);
    lap(Stage::Envelope);
    classify_envelope(&request, ctx, snapshot, lap)
}

/// Classifies a request whose envelope has been read: a broken envelope is malformed.
/// [`crate::layer0::Layer0::decide`] reads the envelope once for classifying and routing.
pub(crate) fn classify_envelope<L: FnMut(Stage) + ?Sized>(
    request: &Result<Request, String>,
    ctx: &Context,
    snapshot: Option<&Snapshot>,
    lap: &mut L,
) -> Classification {
    match request {
        Ok(request) => classify_with(request, ctx, snapshot, lap),
        Err(message) => {
            let mut out = Classification::default();
            out.flag(Evidence {
                flag: Flag::Malformed,
                rule: Cow::Borrowed("request.envelope"),
                location: "request".into(),
                span: None,
                detail: message.clone(),
            });
            out.risk = risk(&out);
            out
        }
    }
}

fn too_large(location: &str, len: usize) -> Evidence {
    Evidence {
        flag: Flag::Malformed,
        rule: Cow::Borrowed("request.too_large"),
        location: location.into(),
        span: None,
        detail: format!("{len} bytes, over the limit of {MAX_STRING_BYTES} bytes for one string"),
    }
}

/// Scans every string of the request for injected instructions and secrets, each in the voice
/// of where it came from, and enforces the size and depth limits.
fn scan_strings<L: FnMut(Stage) + ?Sized>(
    request: &Request,
    out: &mut Classification,
    lap: &mut L,
) {
    let mut found = Vec::new();
    if let Some(text) = request.text.as_deref() {
        let voice = match request.kind {
            RequestKind::Query => Voice::User,
            _ => Voice::Content,
        };
        if text.len() <= MAX_REQUEST_BYTES {
            found.extend(
                scan_with(text, voice, lap)
                    .into_iter()
                    .map(|f| f.evidence("text")),
            );
        }
    }
    let mut total = 0usize;
    let mut oversized = Vec::new();
    let too_deep = visit_strings(&request.arguments, &mut |path, key, s| {
        lap(Stage::Other);
        total += s.len();
        if s.len() > MAX_STRING_BYTES {
            oversized.push((path.to_owned(), s.len()));
            return;
        }
        let voice =
            if path.starts_with("arguments.question") || path.starts_with("arguments.request") {
                Voice::User
            } else if key == "expression" {
                Voice::Expression
            } else {
                Voice::Content
            };
        found.extend(
            scan_with(s, voice, &mut *lap)
                .into_iter()
                .map(|f| f.evidence(path)),
        );
    });
    for evidence in found {
        out.flag(evidence);
    }
    for (path, len) in oversized {
        out.flag(too_large(&path, len));
    }
    if let Some(path) = too_deep {
        out.flag(Evidence {
            flag: Flag::Malformed,
            rule: Cow::Borrowed("request.too_deep"),
            location: path,
            span: None,
            detail: format!("arguments nested deeper than {MAX_DEPTH} levels"),
        });
    }
    if total > MAX_REQUEST_BYTES {
        out.flag(Evidence {
            flag: Flag::Malformed,
            rule: Cow::Borrowed("request.too_large"),
            location: "arguments".into(),
            span: None,
            detail: format!(
                "{total} bytes of strings in all, over the limit of {MAX_REQUEST_BYTES}"
            ),
        });
    }
}

/// Arguments nested deeper than this are malformed (and not descended into).
pub const MAX_DEPTH: usize = 64;

/// Calls `f(path, key, string)` for every string leaf of `value` within [`MAX_DEPTH`] levels,
/// depth-first, without recursion (arguments built in code rather than parsed may be nested
/// arbitrarily deep). Returns the path of the first value that was too deep, if any.
pub(crate) fn visit_strings(value: &Value, f: &mut dyn FnMut(&str, &str, &str)) -> Option<String> {
    let mut too_deep = None;
    let mut stack: Vec<(String, String, usize, &Value)> =
        vec![("arguments".into(), String::new(), 0, value)];
    while let Some((path, key, depth, v)) = stack.pop() {
        if depth > MAX_DEPTH && (v.is_array() || v.is_object()) {
            too_deep.get_or_insert(path);
            continue;
        }
        match v {
            Value::String(s) => f(&path, &key, s),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((format!("{path}[{i}]"), key.clone(), depth + 1, item));
                }
            }
            Value::Object(map) => {
                for (k, item) in map.iter().rev() {
                    stack.push((format!("{path}.{k}"), k.clone(), depth + 1, item));
                }
            }
            _ => {}
        }
    }
    too_deep
}

/// 0–100: the worst flag's weight, plus a little for every further flag, plus the intent's base.
fn risk(c: &Classification) -> u8 {
    let weight = |f: &Flag| -> u32 {
        match f {
            Flag::PromptInjection | Flag::SecretExfiltration => 95,
            Flag::MassChange => 90,
            Flag::ScopeViolation => 85,
            Flag::UnknownTool => 75,
            Flag::Malformed => 70,
            Flag::SecurityDowngrade => 60,
            Flag::Destructive => 55,
            Flag::SensitiveRecord => 45,
        }
    };
    let base = match c.intent {
        Intent::Read => 5,
        Intent::Mutate => 20,
        Intent::Destroy => 30,
    };
    let worst = c.flags.iter().map(weight).max().unwrap_or(base);
    let extra = 2 * c.flags.len().saturating_sub(1) as u32;
    (worst + extra).min(100) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn broken_envelopes_are_malformed_not_errors() {
        for v in [
            json!(null),
            json!([1]),
            json!({"kind": 3}),
            json!({"kind": "tool_call"}),
            json!({"kind": "query", "text": 7}),
        ] {
            let c = classify_value(&v, &Context::default(), None);
            assert!(c.has(Flag::Malformed), "{v}");
            assert!(c.risk >= 70);
        }
    }

    #[test]
    fn oversized_strings_are_malformed() {
        let big = "a".repeat(MAX_STRING_BYTES + 1);
        let c = classify_value(
            &json!({"kind": "tool_call", "tool": "threat_assess", "arguments": {"indicator": big}}),
            &Context::default(),
            None,
        );
        assert!(c.has(Flag::Malformed));
        assert!(c
            .evidence
            .iter()
            .any(|e| e.location == "arguments.indicator"));
    }

    #[test]
    fn deeply_nested_arguments_do_not_overflow_the_stack() {
        let mut v = json!("leaf");
        for _ in 0..100_000 {
            v = Value::Array(vec![v]);
        }
        let request = Request {
            kind: RequestKind::ToolCall,
            tool: Some("threat_assess".into()),
            arguments: v,
            text: None,
        };
        let c = classify(&request, &Context::default(), None);
        assert!(c.has(Flag::Malformed));
        // Dropping a deep Value recurses in serde_json; leak it to keep the test about us.
        std::mem::forget(request);
    }

    #[test]
    fn risk_grows_with_flags() {
        let mut c = Classification::default();
        let r0 = risk(&c);
        c.flags.insert(Flag::SensitiveRecord);
        let r1 = risk(&c);
        c.flags.insert(Flag::Destructive);
        let r2 = risk(&c);
        c.flags.insert(Flag::PromptInjection);
        let r3 = risk(&c);
        assert!(r0 < r1 && r1 < r2 && r2 < r3 && r3 <= 100);
    }
}
