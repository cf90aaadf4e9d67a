//! Reports: the result of a check run, its JSON contract (`cfcp.report/v1`) and its renderings.

pub mod diff;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
#[cfg(test)]
mod test_support;
pub mod text;

use std::io::Write as _;

use serde::{Deserialize, Serialize};

use crate::invariants::{Finding, Status};

/// The format string of version 1 of the report contract.
pub const REPORT_FORMAT_V1: &str = "cfcp.report/v1";

/// Counts over a report's findings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Checks that ran.
    pub checks: usize,
    /// PASS findings.
    pub passed: usize,
    /// FAIL findings.
    pub failed: usize,
    /// MUTED (waived) findings.
    pub muted: usize,
    /// UNKNOWN findings.
    pub unknown: usize,
    /// `passed / (passed + failed)` in percent, one decimal; muted and unknown findings are left
    /// out (neither proven good nor open). 100 when nothing was decidable.
    pub compliance_rate: f64,
}

/// The result of a check run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`REPORT_FORMAT_V1`].
    pub format: String,
    /// Counts.
    pub summary: Summary,
    /// Every finding, in engine order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// A report over `findings` from `checks` checks.
    pub fn new(checks: usize, findings: Vec<Finding>) -> Self {
        let count = |s: Status| findings.iter().filter(|f| f.status == s).count();
        let (passed, failed) = (count(Status::Pass), count(Status::Fail));
        let decided = passed + failed;
        let compliance_rate = if decided == 0 {
            100.0
        } else {
            (passed as f64 * 1000.0 / decided as f64).round() / 10.0
        };
        Report {
            format: REPORT_FORMAT_V1.to_owned(),
            summary: Summary {
                checks,
                passed,
                failed,
                muted: count(Status::Muted),
                unknown: count(Status::Unknown),
                compliance_rate,
            },
            findings,
        }
    }

    /// The FAIL findings.
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.status == Status::Fail)
    }

    /// The report as pretty JSON (the `cfcp.report/v1` contract).
    pub fn to_json_pretty(&self) -> String {
        let mut text = Vec::new();
        // Writing to a `Vec` cannot fail, and serde_json writes UTF-8.
        let _ = self.write_json_pretty(&mut text);
        String::from_utf8(text).unwrap_or_default()
    }

    /// Writes [`Report::to_json_pretty`]'s text to `out` as it goes, so that a report of millions
    /// of findings is never held as one string (it is larger than the snapshot it came from).
    ///
    /// ```
    /// let report = cfcp::invariants::run(&cfcp::snapshot::demo(), &Default::default());
    /// let mut out = Vec::new();
    /// report.write_json_pretty(&mut out).unwrap();
    /// assert_eq!(out, report.to_json_pretty().into_bytes());
    /// ```
    pub fn write_json_pretty<W: std::io::Write>(&self, out: W) -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(out);
        serde_json::to_writer_pretty(&mut out, self)?;
        out.write_all(b"\n")?;
        out.flush()
    }
}
