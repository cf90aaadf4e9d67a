//! Waivers: accepted failures, each with a reason and an expiry date.
//!
//! A waiver file is JSON: `[{"check_id", "resource", "reason", "expires"}]`. `resource` matches a
//! finding's resource id or name (or `*` for every resource of the check); `expires` is a date
//! (`2027-01-31`) or an RFC 3339 timestamp. A matching FAIL becomes MUTED; an expired waiver mutes
//! nothing and is itself reported, so that waivers cannot quietly outlive their reason.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Finding, Remediation, Resource, Severity, Status};
use crate::error::{Error, Result};
use crate::snapshot::Timestamp;

/// One accepted failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    /// The check it applies to.
    pub check_id: String,
    /// Resource id or name, or `*`.
    pub resource: String,
    /// Why the failure is accepted.
    pub reason: String,
    /// Last day (inclusive, UTC) or instant the waiver holds.
    pub expires: String,
}

/// Parses a waiver file (JSON array). Errors name the JSON path and line.
pub fn parse(text: &str) -> Result<Vec<Waiver>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let waivers: Vec<Waiver> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Error::InvalidDocument {
            document: "waiver file",
            path,
            line: inner.line(),
            column: inner.column(),
            message: inner.to_string(),
        }
    })?;
    for (i, w) in waivers.iter().enumerate() {
        if expiry(&w.expires).is_none() {
            return Err(Error::InvalidDocument {
                document: "waiver file",
                path: format!("[{i}].expires"),
                line: 0,
                column: 0,
                message: format!(
                    "{:?} is not a date (YYYY-MM-DD) or RFC 3339 timestamp",
                    w.expires
                ),
            });
        }
    }
    Ok(waivers)
}

/// The instant a waiver stops holding: the end of the named day, or the timestamp itself.
fn expiry(text: &str) -> Option<time::OffsetDateTime> {
    let text = text.trim();
    if let Ok(t) = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Some(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).ok()?;
    Some(date.next_day()?.midnight().assume_utc())
}

fn matches(waiver: &Waiver, finding: &Finding) -> bool {
    waiver.check_id == *finding.check_id
        && (waiver.resource == "*"
            || waiver.resource == finding.resource.id
            || waiver.resource == finding.resource.name)
}

/// Mutes the FAIL findings that a live waiver covers; returns one finding per expired waiver.
pub(crate) fn apply(waivers: &[Waiver], now: &Timestamp, findings: &mut [Finding]) -> Vec<Finding> {
    let now = now.to_datetime();
    let mut expired = Vec::new();
    for waiver in waivers {
        let live = expiry(&waiver.expires).is_some_and(|end| now < end);
        if !live {
            expired.push(Finding {
                check_id: "cfcp_waiver_expired".into(),
                title: "Waivers are current".into(),
                severity: Severity::Medium,
                status: Status::Fail,
                resource: Resource {
                    kind: "waiver".into(),
                    id: format!("{}:{}", waiver.check_id, waiver.resource).into(),
                    name: format!("waiver for {} on {}", waiver.check_id, waiver.resource).into(),
                    zone: None,
                },
                message: format!(
                    "waiver expired {} (reason given: {}); the findings it covered are reported again",
                    waiver.expires, waiver.reason
                ),
                remediation: Remediation {
                    text: "Fix the findings, or renew the waiver with a new expiry date and a current reason.".into(),
                    terraform: "".into(),
                    api: "".into(),
                },
                compliance: Arc::new(["NIST-800-53r5:CA-7".into()]),
            });
            continue;
        }
        for finding in findings
            .iter_mut()
            .filter(|f| f.status == Status::Fail && matches(waiver, f))
        {
            finding.status = Status::Muted;
            finding.message = format!(
                "{} [waived until {}: {}]",
                finding.message, waiver.expires, waiver.reason
            );
        }
    }
    expired
}
