//! Invariants: the security and compliance checks, each a pure function over a [`Snapshot`].
//!
//! [`run`] evaluates the whole [`catalog`] on a snapshot and returns a [`Report`]: one finding per
//! check and resource (zone, DNS record, tunnel, rule, ...), each PASS, FAIL, MUTED (waived) or
//! UNKNOWN. A check whose input section is listed in the snapshot's `gaps`, or missing, reports
//! UNKNOWN, never PASS.
//!
//! ```
//! use cfcp::invariants::{run, Config, Status};
//! let report = run(&cfcp::snapshot::demo(), &Config::default());
//! assert!(report.findings.iter().any(|f| f.check_id == "zone_ssl_strict" && f.status == Status::Fail));
//! ```

pub mod catalog;
mod context;
mod engine;
pub mod rego;
mod shared;
pub mod waivers;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use context::{AccountContext, Evaluation, ZoneContext};
pub use engine::{run, run_with_policies};
pub use shared::SharedStr;
pub use waivers::Waiver;

use crate::snapshot::{Snapshot, Timestamp};

#[cfg(doc)]
use crate::report::Report;

/// How bad a failing check is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no direct risk.
    Info,
    /// Hardening.
    Low,
    /// A real weakness.
    Medium,
    /// Exploitable or exposing.
    High,
    /// Exposed now.
    Critical,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lowercase name (`"high"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a name, case-insensitively.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one check on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// The resource violates the invariant.
    Fail,
    /// The resource satisfies it.
    Pass,
    /// It fails, but a waiver accepts that.
    Muted,
    /// The snapshot cannot show either (section unreadable or missing).
    Unknown,
}

impl Status {
    /// `"FAIL"`, `"PASS"`, `"MUTED"`, `"UNKNOWN"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "FAIL",
            Status::Pass => "PASS",
            Status::Muted => "MUTED",
            Status::Unknown => "UNKNOWN",
        }
    }
}

/// What a finding is about. The engine shares its strings between the findings of a zone and of
/// a record (see [`SharedStr`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resource {
    /// `zone`, `dns_record`, `tunnel`, `ruleset`, `rule`, `account`, `list`, `waiver`, `custom`.
    #[serde(rename = "type")]
    pub kind: Text,
    /// Cloudflare's id (or a stable key when there is none).
    pub id: SharedStr,
    /// A human name: the record name, the zone name, the tunnel name.
    pub name: SharedStr,
    /// The zone it belongs to, if any.
    pub zone: Option<SharedStr>,
}

/// How to fix a failing check. Empty code for a PASS; a check's filled-in Terraform is shared by
/// its failures in a zone when it names nothing narrower than the zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// What to do, in words.
    pub text: Text,
    /// A Terraform snippet for the cloudflare provider v5.
    pub terraform: SharedStr,
    /// The API call that fixes it.
    pub api: SharedStr,
}

/// One result of one check on one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The check's id (`zone_ssl_strict`).
    pub check_id: Text,
    /// The check's title.
    pub title: Text,
    /// The check's severity.
    pub severity: Severity,
    /// The outcome.
    pub status: Status,
    /// What it is about.
    pub resource: Resource,
    /// What was found, with the evidence (values, names).
    pub message: String,
    /// How to fix it.
    pub remediation: Remediation,
    /// Compliance references (`PCI-DSS-4.0.1:4.2.1`), one list per check shared by its findings.
    #[serde(with = "shared_list")]
    pub compliance: Arc<[Text]>,
}

/// `Arc<[Text]>` as a JSON array (serde's own impl needs its `rc` feature).
mod shared_list {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Text;

    pub fn serialize<S: Serializer>(list: &Arc<[Text]>, serializer: S) -> Result<S::Ok, S::Error> {
        list.as_ref().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Arc<[Text]>, D::Error> {
        Vec::<Text>::deserialize(deserializer).map(Arc::from)
    }
}

/// Text that is usually the catalog's own (`&'static str`, no allocation per finding) and owned
/// when it comes from elsewhere (a Rego policy, a loaded report). A run over a million records
/// makes millions of findings; sharing their constant parts keeps memory and time linear in the
/// evidence, not in the catalog's prose.
pub type Text = std::borrow::Cow<'static, str>;

/// How [`run`] is configured. Everything the engine would otherwise take from the world (the
/// clock for waiver expiry) comes in here.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Only these zones (by name); empty means all.
    pub zones: Vec<String>,
    /// Only these checks (by id); empty means the whole catalog.
    pub checks: Vec<String>,
    /// Checks to leave out (by id).
    pub skip: Vec<String>,
    /// Accepted failures.
    pub waivers: Vec<Waiver>,
    /// "Now", for waiver expiry. `None` uses the snapshot's `taken_at`.
    pub now: Option<Timestamp>,
    /// Also run the WAF analysis (`waf_*` rule findings) and the threat-class gap report
    /// (`waf_gap_*`), with the same waivers and filters.
    pub include_waf: bool,
}

impl Config {
    fn selects_zone(&self, name: &str) -> bool {
        self.zones.is_empty() || self.zones.iter().any(|z| z.eq_ignore_ascii_case(name))
    }

    fn selects_check(&self, id: &str) -> bool {
        (self.checks.is_empty() || self.checks.iter().any(|c| c == id))
            && !self.skip.iter().any(|c| c == id)
    }

    fn now<'a>(&'a self, snapshot: &'a Snapshot) -> &'a Timestamp {
        self.now.as_ref().unwrap_or(&snapshot.taken_at)
    }
}

#[cfg(test)]
mod tests;
