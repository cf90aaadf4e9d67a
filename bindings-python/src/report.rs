//! `cfcp.Report`, `cfcp.Finding`, `cfcp.Summary`: a check run's result as Python objects.
//!
//! A report of a large account holds hundreds of thousands of findings; each `Finding` object is
//! a handle on the shared report (an `Arc` and an index), so building the list copies no strings
//! and attributes are read on access.

use std::sync::Arc;

use cfcp::invariants::Finding;
use cfcp::report::{self, Report};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::to_py;

/// The result of `cfcp.check`.
#[pyclass(module = "cfcp", name = "Report", frozen)]
pub struct PyReport {
    pub inner: Arc<Report>,
}

/// Counts over a report's findings.
#[pyclass(module = "cfcp", name = "Summary", frozen, get_all)]
pub struct PySummary {
    checks: usize,
    passed: usize,
    failed: usize,
    muted: usize,
    unknown: usize,
    compliance_rate: f64,
}

/// One result of one check on one resource.
#[pyclass(module = "cfcp", name = "Finding", frozen)]
pub struct PyFinding {
    report: Arc<Report>,
    index: usize,
}

impl PyFinding {
    fn finding(&self) -> &Finding {
        &self.report.findings[self.index]
    }
}

fn findings_of(
    py: Python<'_>,
    report: &Arc<Report>,
    keep: impl Fn(&Finding) -> bool,
) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for (index, finding) in report.findings.iter().enumerate() {
        if keep(finding) {
            let handle = PyFinding {
                report: Arc::clone(report),
                index,
            };
            list.append(Bound::new(py, handle)?)?;
        }
    }
    Ok(list.unbind())
}

#[pymethods]
impl PyReport {
    /// `cfcp.report/v1`.
    #[getter]
    fn format(&self) -> &str {
        &self.inner.format
    }

    /// Counts: checks, passed, failed, muted, unknown, compliance_rate.
    #[getter]
    fn summary(&self) -> PySummary {
        let s = &self.inner.summary;
        PySummary {
            checks: s.checks,
            passed: s.passed,
            failed: s.failed,
            muted: s.muted,
            unknown: s.unknown,
            compliance_rate: s.compliance_rate,
        }
    }

    /// Every finding, in engine order.
    #[getter]
    fn findings(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        findings_of(py, &self.inner, |_| true)
    }

    /// The FAIL findings.
    fn failures(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        findings_of(py, &self.inner, |f| {
            f.status == cfcp::invariants::Status::Fail
        })
    }

    /// The `cfcp.report/v1` JSON text.
    fn to_json(&self, py: Python<'_>) -> String {
        let inner = Arc::clone(&self.inner);
        py.allow_threads(move || inner.to_json_pretty())
    }

    /// The report as Python data (the `cfcp.report/v1` contract as dicts and lists).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &*self.inner)
    }

    /// SARIF 2.1.0 text; results point at `artifact_uri` (the snapshot file) when given.
    #[pyo3(signature = (artifact_uri=None))]
    fn to_sarif(&self, py: Python<'_>, artifact_uri: Option<String>) -> String {
        let options = report::sarif::SarifOptions {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            information_uri: None,
            artifact_uri,
        };
        let inner = Arc::clone(&self.inner);
        py.allow_threads(move || report::sarif::render(&inner, &options))
    }

    /// JUnit XML text (one test case per finding).
    fn to_junit(&self) -> String {
        report::junit::render(&self.inner, &Default::default())
    }

    /// A Markdown summary (tables of FAIL, UNKNOWN and MUTED findings).
    #[pyo3(signature = (title=None, max_rows=50))]
    fn to_markdown(&self, title: Option<String>, max_rows: usize) -> String {
        let mut options = report::markdown::MarkdownOptions {
            max_rows,
            ..Default::default()
        };
        if let Some(title) = title {
            options.title = title;
        }
        report::markdown::render(&self.inner, &options)
    }

    /// GitLab Code Quality JSON text.
    #[pyo3(signature = (artifact_path=None))]
    fn to_gitlab(&self, artifact_path: Option<String>) -> String {
        report::gitlab::render(
            &self.inner,
            &report::gitlab::GitlabOptions { artifact_path },
        )
    }

    /// The human-readable text `cfcp check` prints.
    #[pyo3(signature = (verbose=false))]
    fn to_text(&self, verbose: bool) -> String {
        let options = report::text::TextOptions {
            verbose,
            ..Default::default()
        };
        report::text::render(&self.inner, &options)
    }

    fn __len__(&self) -> usize {
        self.inner.findings.len()
    }

    fn __repr__(&self) -> String {
        let s = &self.inner.summary;
        format!(
            "<cfcp.Report checks={} passed={} failed={} muted={} unknown={} compliance_rate={}>",
            s.checks, s.passed, s.failed, s.muted, s.unknown, s.compliance_rate
        )
    }
}

#[pymethods]
impl PySummary {
    fn __repr__(&self) -> String {
        format!(
            "Summary(checks={}, passed={}, failed={}, muted={}, unknown={}, compliance_rate={})",
            self.checks, self.passed, self.failed, self.muted, self.unknown, self.compliance_rate
        )
    }
}

#[pymethods]
impl PyFinding {
    /// The check's id (`zone_ssl_strict`).
    #[getter]
    fn check_id(&self) -> &str {
        &self.finding().check_id
    }

    /// The check's title.
    #[getter]
    fn title(&self) -> &str {
        &self.finding().title
    }

    /// `critical`, `high`, `medium`, `low` or `info`.
    #[getter]
    fn severity(&self) -> &'static str {
        self.finding().severity.as_str()
    }

    /// `PASS`, `FAIL`, `MUTED` or `UNKNOWN`.
    #[getter]
    fn status(&self) -> &'static str {
        self.finding().status.as_str()
    }

    /// What was found, with the evidence.
    #[getter]
    fn message(&self) -> &str {
        &self.finding().message
    }

    /// The resource's kind (`zone`, `dns_record`, `tunnel`, ...).
    #[getter]
    fn resource_type(&self) -> &str {
        &self.finding().resource.kind
    }

    /// Cloudflare's id of the resource.
    #[getter]
    fn resource_id(&self) -> &str {
        &self.finding().resource.id
    }

    /// A human name of the resource.
    #[getter]
    fn resource_name(&self) -> &str {
        &self.finding().resource.name
    }

    /// The zone the resource belongs to, if any.
    #[getter]
    fn zone(&self) -> Option<&str> {
        self.finding().resource.zone.as_deref()
    }

    /// The resource as a dict: `type`, `id`, `name`, `zone`.
    #[getter]
    fn resource<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.finding().resource)
    }

    /// How to fix it, as a dict: `text`, `terraform`, `api`.
    #[getter]
    fn remediation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.finding().remediation)
    }

    /// Compliance references (`PCI-DSS-4.0.1:4.2.1`).
    #[getter]
    fn compliance(&self) -> Vec<String> {
        self.finding()
            .compliance
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    /// The finding as a dict (its `cfcp.report/v1` shape).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.finding())
    }

    fn __repr__(&self) -> String {
        let f = self.finding();
        format!(
            "<cfcp.Finding {} {} {} {}>",
            f.status.as_str(),
            f.severity.as_str(),
            f.check_id,
            f.resource.name
        )
    }
}
