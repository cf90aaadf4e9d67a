//! Log entries: the line format, canonical JSON and the hash chain (pure).
//!
//! A line is one JSON object in *cfcp canonical JSON v1* followed by `\n`. Each line's `prev` is
//! the SHA-256 of the previous line's exact bytes (without its `\n`), in lowercase hex; the first
//! line's `prev` is [`LineHash::GENESIS`] (64 zeros). Record lines (`decision`, `outcome`, or any
//! other lowercase kind) are built here; checkpoint and seal lines in [`super::checkpoint`].
//!
//! Canonical JSON v1:
//! - no whitespace outside strings;
//! - object members sorted by key, compared as UTF-8 bytes (so by code point; unlike RFC 8785,
//!   which sorts by UTF-16 code units, and which differs only for keys outside the BMP);
//! - strings written as `serde_json` writes them: `"` and `\` escaped, control characters as `\b`
//!   `\t` `\n` `\f` `\r` or `\u00xx` (lowercase hex), everything else (non-ASCII included) as is;
//! - numbers as `serde_json` writes them (integers in decimal; floats in the shortest form that
//!   reads back to the same `f64`);
//! - values nested deeper than [`MAX_DEPTH`] levels below a top-level member are replaced by the
//!   string [`ELIDED`] (so the line nests at most `MAX_DEPTH + 1` levels and every JSON reader,
//!   `serde_json`'s 128-level limit included, can read it back).
//!
//! The hash chain does not depend on canonical form (it hashes the bytes written), but the form
//! makes lines reproducible: the same record always produces the same bytes.

use std::fmt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::redact::redact;
use crate::error::{Error, Result};

/// How deep a caller's value may nest below its top-level member before it is elided.
pub const MAX_DEPTH: usize = 64;

/// What replaces a value nested deeper than [`MAX_DEPTH`].
pub const ELIDED: &str = "[cfcp: elided, nested deeper than 64 levels]";

/// Members every line has; a [`Record::Other`] may not use them, nor the checkpoint members.
pub const RESERVED_MEMBERS: &[&str] = &[
    "seq",
    "time",
    "kind",
    "prev",
    "count",
    "head",
    "signature",
    "public_key",
    "reason",
    "torn",
];

/// The SHA-256 of one line's bytes (without its `\n`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LineHash(pub [u8; 32]);

impl LineHash {
    /// The `prev` of the first line: 64 zeros.
    pub const GENESIS: LineHash = LineHash([0; 32]);

    /// Hash of a line's exact bytes (pass them without the terminating `\n`).
    pub fn of(line: &[u8]) -> LineHash {
        LineHash(Sha256::digest(line).into())
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits (either case); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<LineHash> {
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(LineHash(out))
    }
}

impl fmt::Display for LineHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for LineHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LineHash({})", self.to_hex())
    }
}

/// A decision, logged **before** the request is executed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    /// The request as received (tool call, query, tool output). Redacted when written.
    pub request: Value,
    /// The classifier's output (intent, flags, score, evidence). Redacted when written.
    pub classification: Value,
    /// The route (`"allow"`, `"approve"`, `"block"`, or an object with the reasons).
    pub route: Value,
    /// Who approved it (`null` when nobody had to).
    pub approver: Value,
}

/// What happened when a logged decision was executed, logged **after** execution.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// The `seq` of the decision this is the outcome of (returned by the writer).
    pub decision_seq: u64,
    /// The result: status, the API's answer, an error. Redacted when written.
    pub outcome: Value,
}

/// One record line's content (everything but `seq`, `time` and `prev`).
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// `"kind":"decision"`.
    Decision(Decision),
    /// `"kind":"outcome"`.
    Outcome(Outcome),
    /// Another kind (e.g. a shadow classifier's disagreement): `kind` is 1–32 characters of
    /// `[a-z0-9_]` starting with a letter, not `checkpoint` or `seal`; `fields` may not use
    /// [`RESERVED_MEMBERS`]. Redacted when written.
    Other {
        /// The line's `kind`.
        kind: String,
        /// The line's other members.
        fields: Map<String, Value>,
    },
}

impl Record {
    /// The line's `kind`.
    pub fn kind(&self) -> &str {
        match self {
            Record::Decision(_) => "decision",
            Record::Outcome(_) => "outcome",
            Record::Other { kind, .. } => kind,
        }
    }
}

/// A record whose members are already redacted and serialised, waiting for its `seq` and `prev`
/// (which only the writer knows, under its lock). Preparing outside the lock keeps the critical
/// section to a few string copies.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// `(key, canonical JSON value)`, including `kind` and `time`.
    members: Vec<(String, String)>,
    /// Bytes of the members, for sizing the line.
    size: usize,
}

impl Prepared {
    /// Redacts and serialises a record stamped with `time` (RFC 3339 text, see [`format_time`]).
    pub fn new(record: Record, time: &str) -> Result<Prepared> {
        let kind = record.kind().to_owned();
        let mut members: Vec<(String, Value)> = match record {
            Record::Decision(d) => vec![
                ("approver".into(), d.approver),
                ("classification".into(), d.classification),
                ("request".into(), d.request),
                ("route".into(), d.route),
            ],
            Record::Outcome(o) => vec![
                ("decision_seq".into(), Value::from(o.decision_seq)),
                ("outcome".into(), o.outcome),
            ],
            Record::Other { kind, fields } => {
                check_kind(&kind)?;
                if let Some(bad) = fields
                    .keys()
                    .find(|k| RESERVED_MEMBERS.contains(&k.as_str()))
                {
                    return Err(entry_error(format!(
                        "a {kind:?} record may not have a member named {bad:?}: it is reserved for the log's own fields"
                    )));
                }
                fields.into_iter().collect()
            }
        };
        members.push(("kind".into(), Value::String(kind)));
        members.push(("time".into(), Value::String(time.to_owned())));
        let mut out: Vec<(String, String)> = members
            .into_iter()
            .map(|(k, v)| {
                let v = if k == "kind" || k == "time" || k == "decision_seq" {
                    v
                } else {
                    redact(v)
                };
                (k, canonical_json(&v))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        let size = out.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
        Ok(Prepared { members: out, size })
    }

    /// The line (without `\n`) for sequence number `seq` after a line hashing to `prev`.
    pub fn line(&self, seq: u64, prev: &LineHash) -> String {
        let seq_text = seq.to_string();
        let prev_text = format!("\"{}\"", prev.to_hex());
        let mut all: Vec<(&str, &str)> = Vec::with_capacity(self.members.len() + 2);
        all.extend(self.members.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        all.push(("seq", &seq_text));
        all.push(("prev", &prev_text));
        all.sort_by(|a, b| a.0.cmp(b.0));
        let mut line = String::with_capacity(self.size + 100);
        write_object(&all, &mut line);
        line
    }
}

/// Writes `{"k":v,...}` from members already sorted and already canonical.
pub(crate) fn write_object(members: &[(&str, &str)], out: &mut String) {
    out.push('{');
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        out.push_str(v);
    }
    out.push('}');
}

fn check_kind(kind: &str) -> Result<()> {
    let mut chars = kind.chars();
    let well_formed = (1..=32).contains(&kind.len())
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(entry_error(format!(
            "record kind {kind:?} is not 1-32 characters of [a-z0-9_] starting with a letter"
        )));
    }
    if kind == "checkpoint" || kind == "seal" {
        return Err(entry_error(format!(
            "record kind {kind:?} is reserved: checkpoints and seals are written by the log itself"
        )));
    }
    Ok(())
}

fn entry_error(message: String) -> Error {
    Error::AuditLog {
        path: String::from("(entry)"),
        message,
    }
}

/// `now` in UTC as RFC 3339 (`2026-11-01T12:00:00.123456Z`), the form of every line's `time`.
///
/// Fails only for instants RFC 3339 cannot write (years before 0 or after 9999).
pub fn format_time(now: OffsetDateTime) -> Result<String> {
    now.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| entry_error(format!("time {now} cannot be written as RFC 3339: {e}")))
}

/// A value in cfcp canonical JSON v1 (see the module docs).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

/// Appends a value in cfcp canonical JSON v1 to `out`.
pub fn write_canonical(value: &Value, out: &mut String) {
    write_value(value, out, 0);
}

fn write_value(value: &Value, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH && matches!(value, Value::Array(_) | Value::Object(_)) {
        write_string(ELIDED, out);
        return;
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out, depth + 1);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(v, out, depth + 1);
            }
            out.push('}');
        }
    }
}

/// A JSON string exactly as `serde_json` writes it.
pub(crate) fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x08 => Some("\\b"),
            0x0c => Some("\\f"),
            0x00..=0x1f => None,
            _ => continue,
        };
        // `i` is at an ASCII byte, so a char boundary.
        out.push_str(&s[start..i]);
        match escape {
            Some(e) => out.push_str(e),
            None => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_match_serde_json() {
        let mut all = String::new();
        for c in (0u32..0x80).filter_map(char::from_u32) {
            all.push(c);
        }
        all.push_str("é\u{2028}😀");
        let mut out = String::new();
        write_string(&all, &mut out);
        assert_eq!(out, serde_json::to_string(&all).unwrap_or_default());
    }

    #[test]
    fn canonical_sorts_keys_and_has_no_whitespace() {
        let v = json!({"b": [1, 2.5, {"z": null, "a": true}], "a": "x", "é": 1, "Z": -0.0});
        assert_eq!(
            canonical_json(&v),
            r#"{"Z":-0.0,"a":"x","b":[1,2.5,{"a":true,"z":null}],"é":1}"#
        );
        // Reads back to the same value.
        let back: Value = serde_json::from_str(&canonical_json(&v)).unwrap_or_default();
        assert_eq!(back, v);
    }

    #[test]
    fn deep_values_are_elided_and_readable() {
        let mut v = json!("leaf");
        for _ in 0..200 {
            v = json!([v]);
        }
        let text = canonical_json(&v);
        assert!(text.contains(ELIDED));
        let line = format!("{{\"request\":{text}}}");
        assert!(serde_json::from_str::<Value>(&line).is_ok());
    }

    #[test]
    fn record_lines_are_sorted_and_chain_ready() {
        let p = Prepared::new(
            Record::Decision(Decision {
                request: json!({"tool": "dns_delete", "args": {"id": "x"}}),
                classification: json!({"intent": "destroy"}),
                route: json!("approve"),
                approver: Value::Null,
            }),
            "2026-11-01T12:00:00Z",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let line = p.line(1, &LineHash::GENESIS);
        assert_eq!(
            line,
            format!(
                "{{\"approver\":null,\"classification\":{{\"intent\":\"destroy\"}},\"kind\":\"decision\",\"prev\":\"{}\",\"request\":{{\"args\":{{\"id\":\"x\"}},\"tool\":\"dns_delete\"}},\"route\":\"approve\",\"seq\":1,\"time\":\"2026-11-01T12:00:00Z\"}}",
                "0".repeat(64)
            )
        );
    }

    #[test]
    fn other_kinds_are_checked() {
        let bad = |kind: &str, fields: Map<String, Value>| {
            Prepared::new(
                Record::Other {
                    kind: kind.into(),
                    fields,
                },
                "t",
            )
            .is_err()
        };
        assert!(bad("seal", Map::new()));
        assert!(bad("Shadow", Map::new()));
        assert!(bad("", Map::new()));
        let mut m = Map::new();
        m.insert("prev".into(), json!("x"));
        assert!(bad("shadow", m));
        assert!(!bad("shadow_disagreement", Map::new()));
    }

    #[test]
    fn hashes_round_trip_through_hex() {
        let h = LineHash::of(b"abc");
        assert_eq!(
            h.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(LineHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(LineHash::from_hex("zz"), None);
    }

    #[test]
    fn time_is_utc_rfc3339() {
        let t = time::macros::datetime!(2026-11-01 13:00:00 +01:00);
        assert_eq!(format_time(t).ok().as_deref(), Some("2026-11-01T12:00:00Z"));
    }
}
