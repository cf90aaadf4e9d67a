//! The snapshot model: what a Cloudflare account looked like at one instant.
//!
//! A snapshot is a public JSON contract (`cfcp.snapshot/v1`). It keeps Cloudflare's own field names
//! and shapes, keeps every member the model does not know (so load → save gives an equal JSON value),
//! and records what could not be read in [`Snapshot::gaps`] instead of pretending it is empty.
//!
//! ```
//! use cfcp::snapshot::Snapshot;
//! let err = Snapshot::from_json_str(r#"{"format":"cfcp.snapshot/v1","taken_at":"2026-11-01T12:00:00Z",
//!   "source":{"kind":"file"},"accounts":[],"zones":[{"zone":{"id":"z","name":"a.com"},
//!   "dns_records":[{"name":"a.com","type":"A","ttl":"300"}]}],"gaps":[]}"#).unwrap_err();
//! assert!(err.to_string().starts_with("zones[0].dns_records[0].ttl: expected integer"));
//! ```

mod account;
mod demo;
mod diff;
mod field;
mod open_enum;
mod raw;
mod zone;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use account::*;
pub use demo::{demo, DEMO_SNAPSHOT_JSON};
pub use diff::{content_differences, Difference};
pub use field::Field;
pub use raw::{RawJson, RawMembers};
pub use zone::*;

use crate::error::{Error, Result};

/// The format string of version 1 of the snapshot contract.
pub const FORMAT_V1: &str = "cfcp.snapshot/v1";

/// Formats this build can read (newest first). Later versions must keep reading v1.
pub const SUPPORTED_FORMATS: &[&str] = &[FORMAT_V1];

/// A snapshot of one or more Cloudflare accounts and zones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`FORMAT_V1`] for snapshots this build writes.
    pub format: String,
    /// When the snapshot was taken (RFC 3339, UTC).
    pub taken_at: Timestamp,
    /// Where the data came from.
    pub source: Source,
    /// Accounts with their tunnels and lists.
    #[serde(default)]
    pub accounts: Vec<AccountSnapshot>,
    /// Zones with settings, DNS, DNSSEC, rulesets and bot management.
    #[serde(default)]
    pub zones: Vec<ZoneSnapshot>,
    /// Sections that could not be read, and why.
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Members Cloudflare computes (ids, timestamps, derived flags) in the objects it returns: never
/// configuration, so never sent back, written as Terraform or compared as drift.
pub const COMPUTED_MEMBERS: &[&str] = &[
    "id",
    "created_on",
    "created_at",
    "modified_on",
    "last_updated",
    "meta",
    "version",
    "zone_id",
    "zone_name",
    "proxiable",
    "locked",
    "editable",
    "comment_modified_on",
    "tags_modified_on",
    "using_latest_model",
    "stale_zone_configuration",
    "categories",
];

/// `map` without [`COMPUTED_MEMBERS`] and `null`s: what a configuration sets.
///
/// ```
/// let map = serde_json::json!({"id": "r1", "proxied": true, "comment": null, "modified_on": "x"});
/// let set = cfcp::snapshot::configured_members(map.as_object().unwrap());
/// assert_eq!(serde_json::Value::Object(set), serde_json::json!({"proxied": true}));
/// ```
pub fn configured_members(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(k, v)| !COMPUTED_MEMBERS.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// An RFC 3339 timestamp, kept exactly as written so it round-trips.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    /// Formats `at` as RFC 3339 in UTC.
    pub fn from_datetime(at: time::OffsetDateTime) -> Self {
        let utc = at.to_offset(time::UtcOffset::UTC);
        // Formatting a valid OffsetDateTime as RFC 3339 only fails for years beyond 9999.
        let text = utc
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| "9999-12-31T23:59:59Z".to_owned());
        Timestamp(text)
    }

    /// Parses an RFC 3339 timestamp.
    pub fn parse(text: &str) -> Result<Self, String> {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(|_| Timestamp(text.to_owned()))
            .map_err(|e| format!("expected an RFC 3339 timestamp like 2026-11-01T12:00:00Z: {e}"))
    }

    /// The timestamp as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instant it denotes.
    pub fn to_datetime(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::parse(&self.0, &time::format_description::well_known::Rfc3339)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a snapshot's data came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// `api`, `terraform-state`, `terraform-plan` or `file`.
    pub kind: SourceKind,
    /// Free text: the API base URL, the state file path, ...
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub detail: Field<String>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

open_enum::open_enum! {
    /// Kind of snapshot source.
    pub enum SourceKind {
        /// Read from Cloudflare's API.
        Api = "api",
        /// Derived from a Terraform state file.
        TerraformState = "terraform-state",
        /// Derived from a Terraform plan.
        TerraformPlan = "terraform-plan",
        /// Written by hand or by another tool.
        File = "file",
    }
}

/// A section that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Zone name, when the section belongs to a zone.
    pub zone: Option<String>,
    /// Account id, when the section belongs to an account.
    pub account: Option<String>,
    /// The section: `zones`, `settings`, `dns_records`, `dnssec`, `rulesets`, `bot_management`,
    /// `tunnels`, `lists`, ...
    pub section: String,
    /// Why, e.g. `403 Authentication error (code 10000)`.
    pub reason: String,
}

/// Counts of what a snapshot holds, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SnapshotStats {
    /// Accounts.
    pub accounts: usize,
    /// Zones.
    pub zones: usize,
    /// DNS records over all zones.
    pub dns_records: usize,
    /// Rulesets over all zones.
    pub rulesets: usize,
    /// Rules over all rulesets.
    pub rules: usize,
    /// Tunnels over all accounts.
    pub tunnels: usize,
    /// Lists over all accounts.
    pub lists: usize,
    /// Unreadable sections.
    pub gaps: usize,
}

impl Snapshot {
    /// An empty snapshot taken at `taken_at` from `source`.
    pub fn new(taken_at: Timestamp, source: Source) -> Self {
        Snapshot {
            format: FORMAT_V1.to_owned(),
            taken_at,
            source,
            accounts: Vec::new(),
            zones: Vec::new(),
            gaps: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Reads a snapshot from JSON text.
    ///
    /// Errors name the JSON path, line and column of the first problem; an unknown `format` is
    /// reported as such before any other check.
    pub fn from_json_str(text: &str) -> Result<Self> {
        check_format(text)?;
        let mut de = serde_json::Deserializer::from_str(text);
        let snapshot: Snapshot = serde_path_to_error::deserialize(&mut de).map_err(schema_error)?;
        de.end().map_err(syntax_error)?;
        Ok(snapshot)
    }

    /// Reads a snapshot from JSON bytes (see [`Snapshot::from_json_str`]).
    pub fn from_json_slice(bytes: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(bytes).map_err(|e| Error::JsonSyntax {
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            column: 1,
            message: format!("not UTF-8 text: {e}"),
        })?;
        Self::from_json_str(text)
    }

    /// Writes the snapshot as pretty-printed JSON with a trailing newline.
    pub fn to_json_pretty(&self) -> String {
        // Serializing these types cannot fail: every map key is a string.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The snapshot as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Counts of what the snapshot holds.
    pub fn stats(&self) -> SnapshotStats {
        let rulesets = self.zones.iter().flat_map(|z| &z.rulesets);
        SnapshotStats {
            accounts: self.accounts.len(),
            zones: self.zones.len(),
            dns_records: self.zones.iter().map(|z| z.dns_records.len()).sum(),
            rulesets: self.zones.iter().map(|z| z.rulesets.len()).sum(),
            rules: rulesets.map(|r| r.rules.len()).sum(),
            tunnels: self.accounts.iter().map(|a| a.tunnels.len()).sum(),
            lists: self.accounts.iter().map(|a| a.lists.len()).sum(),
            gaps: self.gaps.len(),
        }
    }

    /// The zone with this name (case-insensitive), or [`crate::Error::UnknownZone`] naming the
    /// zones there are.
    ///
    /// ```
    /// let demo = cfcp::snapshot::demo();
    /// let first = demo.zones[0].zone.name.clone();
    /// assert!(demo.zone_or_unknown(&first.to_uppercase()).is_ok());
    /// let err = demo.zone_or_unknown("nope.example").unwrap_err().to_string();
    /// assert!(err.contains(&first), "{err}");
    /// ```
    pub fn zone_or_unknown(&self, name: &str) -> crate::Result<&ZoneSnapshot> {
        self.zone(name).ok_or_else(|| crate::Error::UnknownZone {
            zone: name.to_owned(),
            known: self
                .zones
                .iter()
                .map(|z| z.zone.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The zone with this name.
    pub fn zone(&self, name: &str) -> Option<&ZoneSnapshot> {
        self.zones
            .iter()
            .find(|z| z.zone.name.eq_ignore_ascii_case(name))
    }

    /// The account with this id.
    pub fn account(&self, id: &str) -> Option<&AccountSnapshot> {
        self.accounts.iter().find(|a| a.account.id == id)
    }

    /// Where this snapshot's content (everything but `taken_at` and `source`) differs from
    /// `other`'s; empty when they describe the same account state.
    pub fn content_differences(&self, other: &Snapshot) -> Vec<Difference> {
        content_differences(self, other)
    }
}

fn check_format(text: &str) -> Result<()> {
    #[derive(Deserialize)]
    struct Probe {
        format: Option<Value>,
    }
    let not_an_object = |line, column| {
        Error::SnapshotSchema {
        path: "$".to_owned(),
        line,
        column,
        message: "expected a JSON object with \"format\", \"taken_at\", \"source\", \"accounts\", \"zones\" and \"gaps\"".to_owned(),
    }
    };
    // Serde would also accept a JSON array for a struct; a snapshot is only ever an object.
    let body = text.trim_start();
    if !body.is_empty() && !body.starts_with('{') {
        let skipped = &text[..text.len() - body.len()];
        let line = 1 + skipped.matches('\n').count();
        let column = 1 + skipped.len() - skipped.rfind('\n').map_or(0, |i| i + 1);
        return Err(not_an_object(line, column));
    }
    let probe: Probe = match serde_json::from_str(text) {
        Ok(probe) => probe,
        Err(e) if e.is_data() => return Err(not_an_object(e.line(), e.column())),
        Err(e) => return Err(syntax_error(e)),
    };
    match probe.format {
        None => Err(Error::NotASnapshot {
            expected: FORMAT_V1,
        }),
        Some(Value::String(f)) if SUPPORTED_FORMATS.contains(&f.as_str()) => Ok(()),
        Some(Value::String(found)) => Err(Error::UnsupportedFormat {
            found,
            supported: SUPPORTED_FORMATS.join(", "),
        }),
        Some(other) => Err(Error::UnsupportedFormat {
            found: other.to_string(),
            supported: SUPPORTED_FORMATS.join(", "),
        }),
    }
}

fn syntax_error(e: serde_json::Error) -> Error {
    Error::JsonSyntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    }
}

fn schema_error(e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = match e.path().to_string() {
        p if p == "." || p.is_empty() => "$".to_owned(),
        p => p,
    };
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return syntax_error(inner);
    }
    Error::SnapshotSchema {
        path,
        line: inner.line(),
        column: inner.column(),
        message: plain_message(&strip_position(&inner.to_string())),
    }
}

/// serde_json appends " at line L column C"; we report the position separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Puts the expectation first, in JSON's terms rather than Rust's (`expected integer`, not `u32`).
fn plain_message(message: &str) -> String {
    let Some(at) = message.find(", expected ") else {
        return message.to_owned();
    };
    let (found, expected) = (&message[..at], &message[at + ", expected ".len()..]);
    let expected = match expected {
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" => "integer".to_owned(),
        "a boolean" => "boolean".to_owned(),
        "a string" => "string".to_owned(),
        "a sequence" => "array".to_owned(),
        other if other.starts_with("struct ") || other == "a map" => "object".to_owned(),
        other => other.to_owned(),
    };
    let found = found.strip_prefix("invalid type: ").unwrap_or(found);
    format!("expected {expected}, found {found}")
}

#[cfg(test)]
mod tests;
