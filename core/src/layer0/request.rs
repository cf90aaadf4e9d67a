//! The classifier's input: a request (tool call, natural-language query or tool output) and the
//! context it arrives in. Parsing is lenient by design: a request whose envelope is broken is
//! still a request to classify (as malformed), never an error that could fail open.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What reached the control plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// An agent calls a tool with arguments.
    ToolCall,
    /// Natural-language text from the user (which may carry pasted, untrusted content).
    Query,
    /// Content a tool returned (DNS TXT values, comments, rule descriptions, analytics): untrusted.
    ToolOutput,
}

impl RequestKind {
    /// The kind's name as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::ToolCall => "tool_call",
            RequestKind::Query => "query",
            RequestKind::ToolOutput => "tool_output",
        }
    }
}

/// One request, in the row format of `corpus/layer0-policy.md`.
///
/// ```
/// use cfcp::layer0::{Request, RequestKind};
/// let r = Request::from_value(&serde_json::json!({
///     "kind": "tool_call", "tool": "dns_record_manage",
///     "arguments": {"action": "list", "zone": "example.com"}
/// })).unwrap();
/// assert_eq!(r.kind, RequestKind::ToolCall);
/// assert_eq!(r.arguments["zone"], "example.com");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Tool call, query or tool output.
    pub kind: RequestKind,
    /// The tool called (tool_call) or that produced the output (tool_output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The tool call's arguments, any JSON shape (`null` when absent).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub arguments: Value,
    /// The query's text, or the tool output's content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Request {
    /// Reads a request from a JSON object with `kind` and `tool`/`arguments`/`text` (other
    /// members, such as a corpus row's `id`, `context` and `expected`, are ignored).
    ///
    /// The error says what is wrong with the envelope; the classifier turns it into a
    /// `malformed` flag rather than refusing to decide.
    pub fn from_value(value: &Value) -> Result<Request, String> {
        let obj = value.as_object().ok_or_else(|| {
            format!(
                "a request must be a JSON object, found {}",
                json_type(value)
            )
        })?;
        let kind = match obj.get("kind") {
            Some(Value::String(k)) => match k.as_str() {
                "tool_call" => RequestKind::ToolCall,
                "query" => RequestKind::Query,
                "tool_output" => RequestKind::ToolOutput,
                other => {
                    return Err(format!(
                        "kind: unknown request kind {other:?} (expected tool_call, query or tool_output)"
                    ))
                }
            },
            Some(other) => return Err(format!("kind: expected a string, found {}", json_type(other))),
            None => return Err("kind: missing (expected tool_call, query or tool_output)".into()),
        };
        let tool = match obj.get("tool") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(t.clone()),
            Some(other) => {
                return Err(format!(
                    "tool: expected a string, found {}",
                    json_type(other)
                ))
            }
        };
        let text = match obj.get("text") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(t.clone()),
            // A tool output may be structured: classify its JSON text.
            Some(other) if kind == RequestKind::ToolOutput => Some(other.to_string()),
            Some(other) => {
                return Err(format!(
                    "text: expected a string, found {}",
                    json_type(other)
                ))
            }
        };
        let arguments = obj.get("arguments").cloned().unwrap_or(Value::Null);
        match kind {
            RequestKind::ToolCall if tool.is_none() => Err("tool: missing for a tool_call".into()),
            RequestKind::Query if text.is_none() => Err("text: missing for a query".into()),
            RequestKind::ToolOutput if text.is_none() => {
                Err("text: missing for a tool_output".into())
            }
            _ => Ok(Request {
                kind,
                tool,
                arguments,
                text,
            }),
        }
    }
}

/// Where the request comes from and what it may touch.
///
/// The default context allows nothing (no zones, no scopes): a caller that forgets to say what
/// the agent may do gets scope violations, not silent permission.
///
/// ```
/// use cfcp::layer0::Context;
/// let c = Context::from_value(&serde_json::json!({
///     "zones_allowed": ["*"], "scopes": ["dns:read"], "approved": false
/// })).unwrap();
/// assert!(c.zone_allowed("anything.example") && c.has_scope("dns:read") && !c.has_scope("dns:edit"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Context {
    /// Zone names the agent may touch; `["*"]` means every zone.
    #[serde(default)]
    pub zones_allowed: Vec<String>,
    /// The account the agent works in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The token's scopes: `dns:read`, `dns:edit`, `waf:read`, `waf:edit`, `tunnel:read`,
    /// `tunnel:edit`, `analytics:read`, `settings:read`, `settings:edit`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether a human approved this request.
    #[serde(default)]
    pub approved: bool,
}

impl Context {
    /// Reads a context object; the error names the member with the wrong type.
    pub fn from_value(value: &Value) -> Result<Context, String> {
        serde_json::from_value(value.clone()).map_err(|e| format!("context: {e}"))
    }

    /// Whether `zone` (compared case-insensitively, trailing dot ignored) may be touched.
    pub fn zone_allowed(&self, zone: &str) -> bool {
        let zone = zone.trim_end_matches('.');
        self.zones_allowed
            .iter()
            .any(|z| z == "*" || z.trim_end_matches('.').eq_ignore_ascii_case(zone))
    }

    /// Whether the token has `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The JSON type's name, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
