//! `Report`: a check run's result. Findings are plain JS objects, made when asked for.

use std::sync::Arc;

use cfcp::report::{self, Report as CoreReport};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::snapshot::json_of;

/// The result of `check`.
#[napi]
pub struct Report {
    pub(crate) inner: Arc<CoreReport>,
}

/// Counts over a report's findings.
#[napi(object)]
pub struct Summary {
    pub checks: u32,
    pub passed: u32,
    pub failed: u32,
    pub muted: u32,
    pub unknown: u32,
    pub compliance_rate: f64,
}

/// The resource a finding is about.
#[napi(object)]
pub struct FindingResource {
    /// `zone`, `dns_record`, `tunnel`, ...
    #[napi(js_name = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
    pub zone: Option<String>,
}

/// How to fix a finding.
#[napi(object)]
pub struct Remediation {
    pub text: String,
    /// A Terraform snippet (empty when there is none).
    pub terraform: String,
    /// The API call that fixes it (empty when there is none).
    pub api: String,
}

/// One result of one check on one resource.
#[napi(object)]
pub struct Finding {
    pub check_id: String,
    pub title: String,
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub severity: String,
    /// `PASS`, `FAIL`, `MUTED` or `UNKNOWN`.
    pub status: String,
    pub message: String,
    pub resource: FindingResource,
    pub remediation: Remediation,
    /// Compliance references (`PCI-DSS-4.0.1:4.2.1`).
    pub compliance: Vec<String>,
}

fn finding_of(f: &cfcp::invariants::Finding) -> Finding {
    Finding {
        check_id: f.check_id.to_string(),
        title: f.title.to_string(),
        severity: f.severity.as_str().to_owned(),
        status: f.status.as_str().to_owned(),
        message: f.message.to_string(),
        resource: FindingResource {
            kind: f.resource.kind.to_string(),
            id: f.resource.id.to_string(),
            name: f.resource.name.to_string(),
            zone: f.resource.zone.as_deref().map(str::to_owned),
        },
        remediation: Remediation {
            text: f.remediation.text.to_string(),
            terraform: f.remediation.terraform.to_string(),
            api: f.remediation.api.to_string(),
        },
        compliance: f.compliance.iter().map(|c| c.to_string()).collect(),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How the Markdown summary is cut.
#[napi(object)]
#[derive(Default)]
pub struct MarkdownOptions {
    pub title: Option<String>,
    /// Rows per table (default 50).
    pub max_rows: Option<u32>,
}

#[napi]
impl Report {
    /// `cfcp.report/v1`.
    #[napi(getter)]
    pub fn format(&self) -> String {
        self.inner.format.clone()
    }

    /// Counts: checks, passed, failed, muted, unknown, complianceRate.
    #[napi(getter)]
    pub fn summary(&self) -> Summary {
        let s = &self.inner.summary;
        Summary {
            checks: count(s.checks),
            passed: count(s.passed),
            failed: count(s.failed),
            muted: count(s.muted),
            unknown: count(s.unknown),
            compliance_rate: s.compliance_rate,
        }
    }

    /// Every finding, in engine order (a new array on each access).
    #[napi(getter)]
    pub fn findings(&self) -> Vec<Finding> {
        self.inner.findings.iter().map(finding_of).collect()
    }

    /// The FAIL findings.
    #[napi]
    pub fn failures(&self) -> Vec<Finding> {
        self.inner
            .findings
            .iter()
            .filter(|f| f.status == cfcp::invariants::Status::Fail)
            .map(finding_of)
            .collect()
    }

    /// The number of findings.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        count(self.inner.findings.len())
    }

    /// The `cfcp.report/v1` JSON text.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json_pretty()
    }

    /// The report as JS data (the `cfcp.report/v1` contract: snake_case members).
    #[napi(ts_return_type = "Record<string, any>")]
    pub fn to_object(&self, env: Env) -> Result<Value> {
        json_of(&env, &*self.inner)
    }

    /// SARIF 2.1.0 text; results point at `artifactUri` (the snapshot file) when given.
    #[napi]
    pub fn to_sarif(&self, artifact_uri: Option<String>) -> String {
        let options = report::sarif::SarifOptions {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            information_uri: None,
            artifact_uri,
        };
        report::sarif::render(&self.inner, &options)
    }

    /// JUnit XML text (one test case per finding).
    #[napi]
    pub fn to_junit(&self) -> String {
        report::junit::render(&self.inner, &Default::default())
    }

    /// A Markdown summary (tables of FAIL, UNKNOWN and MUTED findings).
    #[napi]
    pub fn to_markdown(&self, options: Option<MarkdownOptions>) -> String {
        let given = options.unwrap_or_default();
        let mut options = report::markdown::MarkdownOptions {
            max_rows: given.max_rows.map_or(50, |n| n as usize),
            ..Default::default()
        };
        if let Some(title) = given.title {
            options.title = title;
        }
        report::markdown::render(&self.inner, &options)
    }

    /// GitLab Code Quality JSON text.
    #[napi]
    pub fn to_gitlab(&self, artifact_path: Option<String>) -> String {
        report::gitlab::render(
            &self.inner,
            &report::gitlab::GitlabOptions { artifact_path },
        )
    }

    /// The human-readable text `cfcp check` prints.
    #[napi]
    pub fn to_text(&self, verbose: Option<bool>) -> String {
        let options = report::text::TextOptions {
            verbose: verbose.unwrap_or(false),
            ..Default::default()
        };
        report::text::render(&self.inner, &options)
    }

    /// `<cfcp.Report checks=... failed=... complianceRate=...>`.
    #[napi(js_name = "toString")]
    pub fn to_display(&self) -> String {
        let s = &self.inner.summary;
        format!(
            "<cfcp.Report checks={} passed={} failed={} muted={} unknown={} complianceRate={}>",
            s.checks, s.passed, s.failed, s.muted, s.unknown, s.compliance_rate
        )
    }
}
