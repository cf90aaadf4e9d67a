//! [`Layer0`]: classify, route, and shadow-route one request. The one entry point every front
//! end (CLI, MCP server, bindings) uses, so they cannot drift apart.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use super::classification::{Classification, Evidence, Flag, Route};
use super::classify::classify_envelope;
use super::eval::{EvalReport, Outcome};
use super::policy::{Decision, Policy};
use super::request::{Context, Request, RequestKind};
use super::shadow::{shadow_route, ShadowOutcome};
use crate::snapshot::Snapshot;
use crate::{Error, Result};

/// The active policy and, optionally, a candidate running in its shadow.
#[derive(Clone)]
pub struct Layer0 {
    policy: Policy,
    shadow: Option<Policy>,
}

/// What Layer0 decided about one request.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The classifier's output.
    pub classification: Classification,
    /// The active policy's decision: this is the outcome.
    pub decision: Decision,
    /// The shadow policy's decision beside it, when a shadow runs (never changes the outcome).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadow: Option<ShadowOutcome>,
}

impl Verdict {
    /// The route the request takes.
    pub fn route(&self) -> Route {
        self.decision.route
    }
}

impl Default for Layer0 {
    fn default() -> Self {
        Layer0::new(Policy::default_policy())
    }
}

impl Layer0 {
    /// Layer0 with `policy` active and no shadow.
    pub fn new(policy: Policy) -> Layer0 {
        Layer0 {
            policy,
            shadow: None,
        }
    }

    /// Runs `candidate` in the shadow of the active policy.
    pub fn with_shadow(mut self, candidate: Policy) -> Layer0 {
        self.shadow = Some(candidate);
        self
    }

    /// The active policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Classifies and routes a request given as JSON (a request whose envelope cannot be read is
    /// classified malformed and blocked, never an error).
    ///
    /// ```
    /// use cfcp::layer0::{Context, Layer0, Route};
    /// let layer0 = Layer0::default();
    /// let ctx = Context { zones_allowed: vec!["example.com".into()],
    ///                     scopes: vec!["dns:read".into()], ..Context::default() };
    /// let list = serde_json::json!({"kind": "tool_call", "tool": "dns_record_manage",
    ///                               "arguments": {"action": "list", "zone": "example.com"}});
    /// assert_eq!(layer0.decide(&list, &ctx, None).route(), Route::Allow);
    /// let unknown = serde_json::json!({"kind": "tool_call", "tool": "rm_rf", "arguments": {}});
    /// assert_eq!(layer0.decide(&unknown, &ctx, None).route(), Route::Block);
    /// ```
    pub fn decide(&self, request: &Value, ctx: &Context, snapshot: Option<&Snapshot>) -> Verdict {
        let parsed = Request::from_value(request);
        let classification = classify_envelope(&parsed, ctx, snapshot, &mut |_| {});
        let parsed = parsed.unwrap_or(Request {
            kind: RequestKind::ToolCall,
            tool: None,
            arguments: Value::Null,
            text: None,
        });
        self.decide_classified(classification, &parsed, ctx)
    }

    /// Classifies and routes raw bytes as they arrived: invalid UTF-8 is replaced (and the
    /// request still judged), text that is not JSON is malformed with the parser's message.
    ///
    /// ```
    /// use cfcp::layer0::{Context, Flag, Layer0, Route};
    /// let v = Layer0::default().decide_bytes(b"{\"kind\": \"query\", \"text\": \"hi\xff\"}", &Context::default(), None);
    /// assert_eq!(v.route(), Route::Allow);
    /// let v = Layer0::default().decide_bytes(b"{not json", &Context::default(), None);
    /// assert!(v.classification.has(Flag::Malformed));
    /// assert_eq!(v.route(), Route::Block);
    /// ```
    pub fn decide_bytes(
        &self,
        bytes: &[u8],
        ctx: &Context,
        snapshot: Option<&Snapshot>,
    ) -> Verdict {
        let text = String::from_utf8_lossy(bytes);
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => self.decide(&value, ctx, snapshot),
            Err(e) => {
                let mut classification = Classification::default();
                classification.flag(Evidence {
                    flag: Flag::Malformed,
                    rule: Cow::Borrowed("request.not_json"),
                    location: "request".into(),
                    span: None,
                    detail: format!("not JSON: {e}"),
                });
                classification.risk = 70;
                let request = Request {
                    kind: RequestKind::ToolCall,
                    tool: None,
                    arguments: Value::Null,
                    text: None,
                };
                self.decide_classified(classification, &request, ctx)
            }
        }
    }

    /// Routes an already classified request.
    pub fn decide_classified(
        &self,
        classification: Classification,
        request: &Request,
        ctx: &Context,
    ) -> Verdict {
        match &self.shadow {
            Some(candidate) => {
                let outcome = shadow_route(&self.policy, candidate, &classification, request, ctx);
                Verdict {
                    decision: outcome.active.clone(),
                    classification,
                    shadow: Some(outcome),
                }
            }
            None => {
                let decision = self.policy.route(&classification, request, ctx);
                Verdict {
                    classification,
                    decision,
                    shadow: None,
                }
            }
        }
    }
}

/// One scored row: what `cfcp layer0 eval --results` writes per line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowResult {
    /// The row's id.
    pub id: String,
    /// The labelled route.
    pub expected: Route,
    /// The route Layer0 gave.
    pub route: Route,
    /// The flags Layer0 raised.
    pub flags: Vec<String>,
}

/// Classifies and routes every row of a labelled JSONL file (the format of
/// `corpus/layer0-dev.jsonl`: the request, its `context` and `expected.route`/`expected.flags`)
/// and scores the result.
///
/// A line that is not JSON, or has no `id`, `context` or `expected.route`, is an error naming
/// the line: a scoring file must be exact.
///
/// ```
/// use cfcp::layer0::{engine::evaluate_rows, Layer0};
/// let rows = r#"{"id":"r1","kind":"query","text":"list dns records for example.com","context":{"zones_allowed":["example.com"],"scopes":["dns:read"]},"expected":{"route":"allow","flags":[]}}"#;
/// let (report, results) = evaluate_rows(rows, &Layer0::default(), None).unwrap();
/// assert_eq!(report.accuracy(), 1.0);
/// assert_eq!(results[0].id, "r1");
/// ```
pub fn evaluate_rows(
    jsonl: &str,
    layer0: &Layer0,
    snapshot: Option<&Snapshot>,
) -> Result<(EvalReport, Vec<RowResult>)> {
    let mut outcomes = Vec::new();
    let mut results = Vec::new();
    for (index, line) in jsonl.lines().enumerate() {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |path: &str, message: String| Error::InvalidDocument {
            document: "layer0 rows",
            path: path.to_owned(),
            line: line_no,
            column: 0,
            message,
        };
        let row: Value =
            serde_json::from_str(line).map_err(|e| bad("", format!("not JSON: {e}")))?;
        let id = row["id"]
            .as_str()
            .ok_or_else(|| bad("id", "missing (every row needs an id)".into()))?
            .to_owned();
        let ctx = match row.get("context") {
            None | Some(Value::Null) => Context::default(),
            Some(v) => Context::from_value(v).map_err(|m| bad("context", m))?,
        };
        let expected: Route = row["expected"]["route"]
            .as_str()
            .ok_or_else(|| bad("expected.route", "missing".into()))?
            .parse()
            .map_err(|m: String| bad("expected.route", m))?;
        let expected_flags = row["expected"]["flags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f.as_str().unwrap_or_default().parse())
                    .collect::<std::result::Result<_, _>>()
            })
            .transpose()
            .map_err(|m: String| bad("expected.flags", m))?
            .unwrap_or_default();
        let verdict = layer0.decide(&row, &ctx, snapshot);
        results.push(RowResult {
            id: id.clone(),
            expected,
            route: verdict.route(),
            flags: verdict
                .classification
                .flags
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect(),
        });
        outcomes.push(Outcome {
            id,
            expected,
            expected_flags,
            route: verdict.route(),
            flags: verdict.classification.flags,
        });
    }
    Ok((EvalReport::score(&outcomes), results))
}
