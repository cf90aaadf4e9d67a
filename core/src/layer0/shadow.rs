//! The shadow classifier: a candidate policy routes every request beside the active one, so a
//! policy change can be watched on real traffic before it is trusted.
//!
//! The shadow never changes the outcome: [`shadow_route`] returns both decisions and the caller
//! acts on `active` alone. Each disagreement becomes an audit record
//! ([`disagreement_record`], kind [`DISAGREEMENT_KIND`]) holding both decisions and the evidence,
//! [`ShadowCounter`] counts routed requests and disagreements for a server to expose, and
//! [`shadow_report`] summarises the disagreements of an audit log.
//!
//! ```
//! use cfcp::layer0::shadow::{disagreement_record, shadow_route};
//! use cfcp::layer0::{Classification, Context, Flag, Policy, Request, Route};
//!
//! let active = Policy::default_policy();
//! // A candidate that also blocks every destructive request.
//! let candidate = active.with_extension(
//!     r#"@id("no-deletes") @route("block") forbid (principal, action, resource)
//!        when { context.flags.contains("destructive") };"#, "candidate.cedar").unwrap();
//! let request = Request::from_value(&serde_json::json!({"kind": "tool_call", "tool": "dns_record_manage"})).unwrap();
//! let mut c = Classification::default();
//! c.flags.insert(Flag::Destructive);
//! let outcome = shadow_route(&active, &candidate, &c, &request, &Context::default());
//! assert_eq!((outcome.active.route, outcome.shadow.route, outcome.agree), (Route::Approve, Route::Block, false));
//! let record = disagreement_record(&outcome, &request, &c);
//! assert_eq!(record.kind(), "shadow_disagreement");
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Classification, Context, Decision, Policy, Request, Route};
use crate::audit;

/// The audit record kind of a disagreement.
pub const DISAGREEMENT_KIND: &str = "shadow_disagreement";

/// How many disagreements a [`ShadowReport`] shows in full.
pub const MAX_EXAMPLES: usize = 10;

/// How many unreadable lines a [`ShadowReport`] lists (the rest are counted).
pub const MAX_UNREADABLE_LISTED: usize = 20;

/// How many characters of a query or tool output an example shows.
const TEXT_PREVIEW_CHARS: usize = 60;

/// Both decisions on one request. Only `active` may be acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowOutcome {
    /// The decision of the policy in force.
    pub active: Decision,
    /// The candidate's decision, for the record only.
    pub shadow: Decision,
    /// Whether both chose the same route (the policies and reasons may still differ).
    pub agree: bool,
}

/// Routes a request with the active policy and with the candidate.
///
/// ```
/// use cfcp::layer0::shadow::shadow_route;
/// use cfcp::layer0::{Classification, Context, Policy, Request};
/// let p = Policy::default_policy();
/// let r = Request::from_value(&serde_json::json!({"kind": "query", "text": "list my zones"})).unwrap();
/// assert!(shadow_route(&p, &p, &Classification::default(), &r, &Context::default()).agree);
/// ```
pub fn shadow_route(
    active: &Policy,
    candidate: &Policy,
    c: &Classification,
    request: &Request,
    ctx: &Context,
) -> ShadowOutcome {
    let active = active.route(c, request, ctx);
    let shadow = candidate.route(c, request, ctx);
    let agree = active.route == shadow.route;
    ShadowOutcome {
        active,
        shadow,
        agree,
    }
}

/// The audit record of a disagreement: kind [`DISAGREEMENT_KIND`] with `active` and `shadow`
/// (each `{route, policies, reasons}`), the `request` and the `classification` (flags and their
/// evidence). The audit writer redacts secrets in it before it is written.
///
/// ```
/// use cfcp::audit::Record;
/// use cfcp::layer0::shadow::{disagreement_record, shadow_route};
/// use cfcp::layer0::{Classification, Context, Policy, Request};
/// let p = Policy::default_policy();
/// let r = Request::from_value(&serde_json::json!({"kind": "query", "text": "hi"})).unwrap();
/// let c = Classification::default();
/// let Record::Other { kind, fields } = disagreement_record(&shadow_route(&p, &p, &c, &r, &Context::default()), &r, &c)
/// else { unreachable!() };
/// assert_eq!((kind.as_str(), fields["active"]["route"].as_str()), ("shadow_disagreement", Some("allow")));
/// ```
pub fn disagreement_record(
    outcome: &ShadowOutcome,
    request: &Request,
    c: &Classification,
) -> audit::Record {
    let mut fields = Map::new();
    fields.insert("active".into(), to_value(&outcome.active));
    fields.insert("shadow".into(), to_value(&outcome.shadow));
    fields.insert("request".into(), to_value(request));
    fields.insert("classification".into(), to_value(c));
    audit::Record::Other {
        kind: DISAGREEMENT_KIND.into(),
        fields,
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    // These are plain structs with string keys: serialisation cannot fail, but a record that
    // says so beats a panic in the request path.
    serde_json::to_value(value)
        .unwrap_or_else(|e| Value::String(format!("[cfcp: could not serialise: {e}]")))
}

/// Thread-safe counts of routed requests and disagreements, for the MCP server to expose.
///
/// ```
/// use cfcp::layer0::shadow::{shadow_route, ShadowCounter};
/// use cfcp::layer0::{Classification, Context, Policy, Request};
/// let counter = ShadowCounter::new();
/// let p = Policy::default_policy();
/// let r = Request::from_value(&serde_json::json!({"kind": "query", "text": "hi"})).unwrap();
/// counter.record(&shadow_route(&p, &p, &Classification::default(), &r, &Context::default()));
/// assert_eq!((counter.counts().routed, counter.counts().disagreed), (1, 0));
/// ```
#[derive(Debug, Default)]
pub struct ShadowCounter {
    routed: AtomicU64,
    disagreed: AtomicU64,
}

/// A reading of a [`ShadowCounter`]. `disagreed <= routed` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShadowCounts {
    /// Requests routed by both policies.
    pub routed: u64,
    /// Those on which the routes differed.
    pub disagreed: u64,
}

impl ShadowCounter {
    /// A counter at zero.
    pub fn new() -> ShadowCounter {
        ShadowCounter::default()
    }

    /// Counts one shadowed request.
    pub fn record(&self, outcome: &ShadowOutcome) {
        // `routed` first and read last in `counts`, so a reader never sees more disagreements
        // than requests.
        self.routed.fetch_add(1, Ordering::SeqCst);
        if !outcome.agree {
            self.disagreed.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> ShadowCounts {
        let disagreed = self.disagreed.load(Ordering::SeqCst);
        let routed = self.routed.load(Ordering::SeqCst);
        ShadowCounts { routed, disagreed }
    }
}

/// A summary of the shadow disagreements in an audit log.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShadowReport {
    /// Non-empty lines read.
    pub lines: usize,
    /// Disagreement records found.
    pub disagreements: usize,
    /// Disagreements per active → shadow route pair, most frequent first.
    pub pairs: Vec<RoutePair>,
    /// Disagreements per classifier flag, most frequent first (a record counts once per flag).
    pub flags: Vec<FlagCount>,
    /// Disagreements on requests that carried no flag.
    pub without_flags: usize,
    /// The first [`MAX_EXAMPLES`] disagreements, in log order.
    pub examples: Vec<ShadowExample>,
    /// Lines that are not JSON objects, or disagreement records without readable routes.
    pub unreadable: usize,
    /// The first [`MAX_UNREADABLE_LISTED`] of them.
    pub unreadable_lines: Vec<UnreadableLine>,
}

/// How often the active policy chose one route where the shadow chose another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutePair {
    /// The active policy's route.
    pub active: Route,
    /// The shadow's route.
    pub shadow: Route,
    /// Disagreements with this pair.
    pub count: usize,
}

/// How many disagreements carried one flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagCount {
    /// The flag's name as logged.
    pub flag: String,
    /// Disagreements with it.
    pub count: usize,
}

/// One disagreement, shown in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowExample {
    /// 1-based line in the log.
    pub line: usize,
    /// The record's `seq`, when it has one.
    pub seq: Option<u64>,
    /// The active policy's route.
    pub active: Route,
    /// The shadow's route.
    pub shadow: Route,
    /// The active policy's determining policies.
    pub active_policies: Vec<String>,
    /// The shadow's determining policies.
    pub shadow_policies: Vec<String>,
    /// The classifier's flags.
    pub flags: Vec<String>,
    /// What the request was: kind and tool, or the start of its text.
    pub request: String,
}

/// A line [`shadow_report`] could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadableLine {
    /// 1-based line in the log.
    pub line: usize,
    /// Why.
    pub message: String,
}

/// The members of a log line that say what it is.
#[derive(Deserialize)]
struct LineHead {
    #[serde(default)]
    kind: Option<String>,
}

/// The members of a disagreement record the report reads.
#[derive(Deserialize)]
struct DisagreementLine {
    #[serde(default)]
    seq: Option<u64>,
    active: DecisionHead,
    shadow: DecisionHead,
    #[serde(default)]
    request: Value,
    #[serde(default)]
    classification: ClassificationHead,
}

#[derive(Deserialize)]
struct DecisionHead {
    route: Route,
    #[serde(default)]
    policies: Vec<String>,
}

#[derive(Deserialize, Default)]
struct ClassificationHead {
    #[serde(default)]
    flags: Vec<String>,
}

/// Summarises the disagreement records of an audit log's bytes. Other records, checkpoints and
/// seals are passed over; a line that is not a JSON object, or a disagreement record without
/// readable routes, is counted and listed, never a panic. It does not check the hash chain:
/// `cfcp log verify` does that.
///
/// ```
/// use cfcp::layer0::shadow::shadow_report;
/// let log = br#"{"kind":"decision","seq":1}
/// {"active":{"route":"allow","policies":["allow.read"]},"classification":{"flags":[]},"kind":"shadow_disagreement","request":{"kind":"query","text":"hi"},"seq":2,"shadow":{"route":"block","policies":[]}}
/// not json
/// "#;
/// let report = shadow_report(log);
/// assert_eq!((report.lines, report.disagreements, report.unreadable), (3, 1, 1));
/// assert_eq!(report.examples[0].seq, Some(2));
/// assert!(report.to_text().contains("allow -> block"));
/// ```
pub fn shadow_report(log: &[u8]) -> ShadowReport {
    let mut report = ShadowReport::default();
    let mut pairs: BTreeMap<(Route, Route), usize> = BTreeMap::new();
    let mut flags: BTreeMap<String, usize> = BTreeMap::new();
    for (index, raw) in log.split(|b| *b == b'\n').enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        report.lines += 1;
        let number = index + 1;
        let head: LineHead = match serde_json::from_slice(line) {
            Ok(head) => head,
            Err(e) => {
                report.unreadable(number, format!("not a JSON object: {e}"));
                continue;
            }
        };
        if head.kind.as_deref() != Some(DISAGREEMENT_KIND) {
            continue;
        }
        let record: DisagreementLine = match serde_json::from_slice(line) {
            Ok(record) => record,
            Err(e) => {
                report.unreadable(
                    number,
                    format!("a {DISAGREEMENT_KIND} record without readable routes: {e}"),
                );
                continue;
            }
        };
        report.disagreements += 1;
        *pairs
            .entry((record.active.route, record.shadow.route))
            .or_default() += 1;
        if record.classification.flags.is_empty() {
            report.without_flags += 1;
        }
        let mut seen = record.classification.flags.clone();
        seen.sort();
        seen.dedup();
        for flag in seen {
            *flags.entry(flag).or_default() += 1;
        }
        if report.examples.len() < MAX_EXAMPLES {
            report.examples.push(ShadowExample {
                line: number,
                seq: record.seq,
                active: record.active.route,
                shadow: record.shadow.route,
                active_policies: record.active.policies,
                shadow_policies: record.shadow.policies,
                flags: record.classification.flags,
                request: summarise(&record.request),
            });
        }
    }
    report.pairs = pairs
        .into_iter()
        .map(|((active, shadow), count)| RoutePair {
            active,
            shadow,
            count,
        })
        .collect();
    // Most frequent first; the BTreeMap order breaks ties, so the report is deterministic.
    report.pairs.sort_by_key(|p| std::cmp::Reverse(p.count));
    report.flags = flags
        .into_iter()
        .map(|(flag, count)| FlagCount { flag, count })
        .collect();
    report.flags.sort_by_key(|f| std::cmp::Reverse(f.count));
    report
}

impl ShadowReport {
    fn unreadable(&mut self, line: usize, message: String) {
        self.unreadable += 1;
        if self.unreadable_lines.len() < MAX_UNREADABLE_LISTED {
            self.unreadable_lines.push(UnreadableLine { line, message });
        }
    }

    /// The report as text for a terminal.
    ///
    /// ```
    /// let text = cfcp::layer0::shadow::shadow_report(b"").to_text();
    /// assert!(text.starts_with("shadow disagreements: 0 in 0 log lines"));
    /// ```
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "shadow disagreements: {} in {} log lines",
            self.disagreements, self.lines
        );
        if !self.pairs.is_empty() {
            let _ = writeln!(out, "\nactive -> shadow");
            for p in &self.pairs {
                let pair = format!("{} -> {}", p.active, p.shadow);
                let _ = writeln!(out, "  {pair:<20} {:>8}", p.count);
            }
        }
        if !self.flags.is_empty() || self.without_flags > 0 {
            let _ = writeln!(out, "\nby flag");
            for f in &self.flags {
                let _ = writeln!(out, "  {:<20} {:>8}", f.flag, f.count);
            }
            if self.without_flags > 0 {
                let _ = writeln!(out, "  {:<20} {:>8}", "(no flag)", self.without_flags);
            }
        }
        if !self.examples.is_empty() {
            let _ = writeln!(out, "\nfirst disagreements");
            for e in &self.examples {
                let at = e
                    .seq
                    .map_or_else(|| format!("line {}", e.line), |seq| format!("seq {seq}"));
                let flags = if e.flags.is_empty() {
                    "no flag".to_owned()
                } else {
                    e.flags.join(", ")
                };
                let _ = writeln!(
                    out,
                    "  {at}: {} -> {}  {}  [{flags}]  active: {}  shadow: {}",
                    e.active,
                    e.shadow,
                    e.request,
                    list_or_none(&e.active_policies),
                    list_or_none(&e.shadow_policies),
                );
            }
        }
        if self.unreadable > 0 {
            let _ = writeln!(out, "\nunreadable lines: {}", self.unreadable);
            for u in &self.unreadable_lines {
                let _ = writeln!(out, "  line {}: {}", u.line, u.message);
            }
            if self.unreadable > self.unreadable_lines.len() {
                let _ = writeln!(
                    out,
                    "  ... and {} more",
                    self.unreadable - self.unreadable_lines.len()
                );
            }
        }
        out
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

/// `tool_call dns_record_manage`, or `query "first words…"`, from a logged request.
fn summarise(request: &Value) -> String {
    let kind = request
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("request");
    let mut out = kind.to_owned();
    if let Some(tool) = request.get("tool").and_then(Value::as_str) {
        out.push(' ');
        out.push_str(tool);
    }
    if let Some(text) = request.get("text").and_then(Value::as_str) {
        let preview: String = text.chars().take(TEXT_PREVIEW_CHARS).collect();
        let ellipsis = if text.chars().nth(TEXT_PREVIEW_CHARS).is_some() {
            "…"
        } else {
            ""
        };
        let _ = write!(out, " {:?}", format!("{preview}{ellipsis}"));
    }
    out
}

#[cfg(test)]
mod tests;
