//! `Report`: a check run's result. Findings are plain JS objects, made when asked for (by
//! `cfcp.js`, from the columns of `columns.rs`).

use std::sync::Arc;

use cfcp::report::{self, Report as CoreReport};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::columns::{columns, detail, FindingColumns, FindingDetail};
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

    /// The findings (or only the FAIL ones) as columns; `cfcp.js` wraps each row in a `Finding`
    /// for `report.findings` and `report.failures()`.
    #[napi(js_name = "_findingColumns", skip_typescript)]
    pub fn finding_columns(&self, only_failures: bool) -> FindingColumns {
        columns(&self.inner.findings, only_failures)
    }

    /// The message, resource, remediation and references of finding `index`.
    #[napi(js_name = "_findingDetail", skip_typescript)]
    pub fn finding_detail(&self, env: Env, index: u32) -> Result<FindingDetail> {
        match self.inner.findings.get(index as usize) {
            Some(f) => Ok(detail(f)),
            None => {
                Err(crate::errors::Failure::plain(format!("no finding {index}")).into_napi(&env))
            }
        }
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
