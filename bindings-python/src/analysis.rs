//! The module-level functions: `check`, `compliance`, and the `waf`, `layer0` and `audit`
//! functions (re-exported under `cfcp.waf`, `cfcp.layer0`, `cfcp.audit` by the Python package).
//! Each reads what it is given (files, Python data), calls one core function and converts the
//! result; the work itself runs with the GIL released.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cfcp::invariants::{self, rego, waivers, Config};
use cfcp::layer0::{Context, Layer0, Policy};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::convert::{document, to_py, value_to_py};
use crate::errors::{to_py_err, CfcpError, PolicyError};
use crate::report::PyReport;
use crate::snapshot::PySnapshot;

fn core_err(err: cfcp::Error) -> PyErr {
    to_py_err(err, None)
}

/// The `.rego` files of a directory, in name order, as (file name, text).
fn read_policies(dir: &Path) -> PyResult<Vec<(String, String)>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rego"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| Ok((p.display().to_string(), std::fs::read_to_string(&p)?)))
        .collect()
}

fn policy_error(errors: Vec<cfcp::Error>) -> PyErr {
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let source = errors
        .iter()
        .find_map(|e| match e {
            cfcp::Error::InvalidDocument { path, .. } => Some(path.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let err = PolicyError::new_err(messages.join("\n"));
    Python::with_gil(|py| {
        let value = err.value(py);
        drop(value.setattr("source", source));
        drop(value.setattr("errors", messages));
    });
    err
}

fn run_check(
    py: Python<'_>,
    snapshot: &PySnapshot,
    policy_dir: Option<PathBuf>,
    waivers_path: Option<PathBuf>,
    zones: Option<Vec<String>>,
    include_waf: bool,
) -> PyResult<cfcp::report::Report> {
    let mut config = Config {
        zones: zones.unwrap_or_default(),
        now: Some(crate::now()),
        include_waf,
        ..Config::default()
    };
    if let Some(path) = &waivers_path {
        let text = std::fs::read_to_string(path)?;
        config.waivers = waivers::parse(&text).map_err(core_err)?;
    }
    let policies = match &policy_dir {
        Some(dir) => Some(read_policies(dir)?),
        None => None,
    };
    let snapshot = Arc::clone(&snapshot.inner);
    let (report, errors) = py.allow_threads(move || match policies {
        None => (invariants::run(&snapshot, &config), Vec::new()),
        Some(files) => {
            let (set, mut errors) = rego::load_policies_lenient(&files);
            let (report, eval_errors) =
                invariants::run_with_policies(&snapshot, &config, &set, rego::Limits::default());
            errors.extend(eval_errors);
            (report, errors)
        }
    });
    // A policy nobody can run must not pass silently: the caller fixes it or drops policy_dir.
    if !errors.is_empty() {
        return Err(policy_error(errors));
    }
    Ok(report)
}

/// Runs the check catalog (and the Rego policies of `policy_dir`) on a snapshot.
#[pyfunction]
#[pyo3(signature = (snapshot, policy_dir=None, waivers=None, *, zones=None, include_waf=false))]
pub fn check(
    py: Python<'_>,
    snapshot: PyRef<'_, PySnapshot>,
    policy_dir: Option<PathBuf>,
    waivers: Option<PathBuf>,
    zones: Option<Vec<String>>,
    include_waf: bool,
) -> PyResult<PyReport> {
    let report = run_check(py, &snapshot, policy_dir, waivers, zones, include_waf)?;
    Ok(PyReport {
        inner: Arc::new(report),
    })
}

/// Per control of a framework (`pci-dss-4.0.1`, `asvs-5.0`, ...): status, evidence and what a
/// snapshot cannot show. `source` is a Snapshot (checked first) or a Report.
#[pyfunction]
#[pyo3(signature = (source, framework, policy_dir=None, waivers=None))]
pub fn compliance<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    framework: &str,
    policy_dir: Option<PathBuf>,
    waivers: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let Some(framework) = cfcp::compliance::framework(framework) else {
        return Err(CfcpError::new_err(format!(
            "unknown framework {framework:?}; one of {}",
            cfcp::compliance::framework_names().join(", ")
        )));
    };
    let report = if let Ok(report) = source.downcast::<PyReport>() {
        Arc::clone(&report.get().inner)
    } else if let Ok(snapshot) = source.downcast::<PySnapshot>() {
        let snapshot = snapshot.borrow();
        Arc::new(run_check(py, &snapshot, policy_dir, waivers, None, false)?)
    } else {
        return Err(PyTypeError::new_err(
            "compliance() takes a cfcp.Snapshot or a cfcp.Report",
        ));
    };
    let result = py.allow_threads(move || cfcp::compliance::evaluate(framework, &report));
    to_py(py, &result)
}

/// The compliance frameworks cfcp knows.
#[pyfunction]
pub fn frameworks() -> Vec<&'static str> {
    cfcp::compliance::framework_names()
}

/// Checks a Rules-language expression as Cloudflare would; raises `ExpressionError` (with the
/// byte `.offset`) when it would be rejected.
#[pyfunction]
#[pyo3(signature = (expression, kind="filter"))]
pub fn waf_validate(expression: &str, kind: &str) -> PyResult<()> {
    let kind = match kind {
        "filter" => cfcp::rules::ExpressionKind::Filter,
        "value" => cfcp::rules::ExpressionKind::Value,
        other => {
            return Err(PyTypeError::new_err(format!(
                "kind must be \"filter\" or \"value\", not {other:?}"
            )))
        }
    };
    cfcp::rules::validate(expression, kind).map_err(|e| {
        let help = e.help.clone();
        let err = core_err(cfcp::Error::from(e));
        Python::with_gil(|py| drop(err.value(py).setattr("help", help)));
        err
    })
}

/// The WAF analysis of every zone (or one): deployments, rule findings, scores.
#[pyfunction]
#[pyo3(signature = (snapshot, zone=None))]
pub fn waf_analyze<'py>(
    py: Python<'py>,
    snapshot: PyRef<'py, PySnapshot>,
    zone: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let snapshot = Arc::clone(&snapshot.inner);
    let analysis = py.allow_threads(move || cfcp::waf::analyze(&snapshot, zone.as_deref()));
    to_py(py, &analysis)
}

/// Which of a zone's rules a request would meet, in Cloudflare's order, and the final action.
/// `request` is a dict (or JSON text) of request fields (`http.host`, `ip.src`, ...).
#[pyfunction]
pub fn waf_simulate<'py>(
    py: Python<'py>,
    snapshot: PyRef<'py, PySnapshot>,
    zone: &str,
    request: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let value = document(request, "request")?;
    let request: cfcp::rules::Request = serde_json::from_value(value).map_err(|e| {
        core_err(cfcp::Error::InvalidDocument {
            document: "request",
            path: "$".to_owned(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })
    })?;
    let snapshot = Arc::clone(&snapshot.inner);
    let zone = zone.to_owned();
    let trace = py
        .allow_threads(move || {
            let lists = cfcp::waf::lists_from_snapshot(&snapshot);
            cfcp::waf::simulate(&snapshot, &zone, &request, &lists)
        })
        .map_err(core_err)?;
    to_py(py, &trace)
}

/// A rule proposal from a threat-intel feed: a list, its items and a custom rule, as API
/// payloads and as Terraform (`hcl`), with a Markdown summary. `format` is the feed's format
/// (`plain`, `spamhaus-drop`, `firehol`, `stix`, `threatfox`, ...).
#[pyfunction]
#[pyo3(signature = (feed_text, format, snapshot=None, zone=None, *, list_name=None, challenge=false))]
pub fn waf_propose<'py>(
    py: Python<'py>,
    feed_text: &str,
    format: &str,
    snapshot: Option<PyRef<'py, PySnapshot>>,
    zone: Option<String>,
    list_name: Option<String>,
    challenge: bool,
) -> PyResult<Bound<'py, PyAny>> {
    use cfcp::intel::{self, FeedFormat, ProposeOptions, ProposedAction};
    let format: FeedFormat = format.parse().map_err(|message| {
        core_err(cfcp::Error::InvalidDocument {
            document: "feed format",
            path: String::new(),
            line: 0,
            column: 0,
            message,
        })
    })?;
    let now = crate::now();
    let snapshot = match snapshot {
        Some(s) => Arc::clone(&s.inner),
        None => Arc::new(empty_snapshot(now.clone())),
    };
    let text = feed_text.to_owned();
    let (proposal, feed_errors) = py.allow_threads(move || {
        let feed = intel::parse_feed(format, &text, now.to_datetime());
        let normalised = intel::normalise(
            &feed.indicators,
            &snapshot,
            zone.as_deref(),
            &intel::NormaliseOptions::default(),
        );
        let mut options = ProposeOptions::new(
            list_name.unwrap_or_else(|| ProposeOptions::default_list_name(format).to_owned()),
        );
        if challenge {
            options.action = ProposedAction::ManagedChallenge;
        }
        options.feed = Some(intel::propose::FeedSummary::of(&feed, None));
        let errors: Vec<serde_json::Value> = feed
            .errors
            .iter()
            .map(|e| serde_json::json!({"line": e.line, "message": e.message}))
            .collect();
        (
            intel::propose(&normalised, &snapshot, zone.as_deref(), &options),
            errors,
        )
    });
    let proposal = proposal.map_err(core_err)?;
    let mut value = serde_json::to_value(&proposal)
        .map_err(|e| PyTypeError::new_err(format!("cfcp could not convert a proposal: {e}")))?;
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "feed_errors".to_owned(),
            serde_json::Value::Array(feed_errors),
        );
    }
    value_to_py(py, &value)
}

/// A snapshot of nothing, for proposals made without an account to place them in.
fn empty_snapshot(now: cfcp::snapshot::Timestamp) -> cfcp::snapshot::Snapshot {
    cfcp::snapshot::Snapshot::new(
        now,
        cfcp::snapshot::Source {
            kind: cfcp::snapshot::SourceKind::File,
            detail: Default::default(),
            extra: Default::default(),
        },
    )
}

fn layer0_inputs(
    request: &Bound<'_, PyAny>,
    context: Option<&Bound<'_, PyAny>>,
) -> PyResult<(serde_json::Value, Context)> {
    let request = document(request, "layer0 request")?;
    let context_value = match context {
        Some(c) if !c.is_none() => Some(document(c, "layer0 context")?),
        // Like the CLI: a request may carry its own context.
        _ => request.get("context").cloned(),
    };
    let context = match context_value {
        Some(value) => Context::from_value(&value).map_err(|message| {
            core_err(cfcp::Error::InvalidDocument {
                document: "layer0 context",
                path: String::new(),
                line: 0,
                column: 0,
                message,
            })
        })?,
        None => Context::default(),
    };
    Ok((request, context))
}

/// Layer0's classification of an agent request (a tool call or a query): intent, flags, risk and
/// evidence. `context` is a dict (or JSON text) of the session's context.
#[pyfunction]
#[pyo3(signature = (request, context=None, snapshot=None))]
pub fn layer0_classify<'py>(
    py: Python<'py>,
    request: &Bound<'py, PyAny>,
    context: Option<&Bound<'py, PyAny>>,
    snapshot: Option<PyRef<'py, PySnapshot>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (request, context) = layer0_inputs(request, context)?;
    let request = cfcp::layer0::Request::from_value(&request).map_err(|message| {
        core_err(cfcp::Error::InvalidDocument {
            document: "layer0 request",
            path: String::new(),
            line: 0,
            column: 0,
            message,
        })
    })?;
    let snapshot = snapshot.map(|s| Arc::clone(&s.inner));
    let classification =
        py.allow_threads(move || cfcp::layer0::classify(&request, &context, snapshot.as_deref()));
    to_py(py, &classification)
}

/// Layer0's verdict on an agent request: the classification and the policy's decision
/// (`route`: `allow`, `approve` or `block`). `policy` (Cedar text) replaces the default policy,
/// `extend_policy` adds to it; a policy that does not validate raises `PolicyError`.
#[pyfunction]
#[pyo3(signature = (request, context=None, snapshot=None, *, policy=None, extend_policy=None))]
pub fn layer0_route<'py>(
    py: Python<'py>,
    request: &Bound<'py, PyAny>,
    context: Option<&Bound<'py, PyAny>>,
    snapshot: Option<PyRef<'py, PySnapshot>>,
    policy: Option<String>,
    extend_policy: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let (request, context) = layer0_inputs(request, context)?;
    let policy = match (policy, extend_policy) {
        (Some(text), _) => Policy::from_cedar(&text, "policy").map_err(core_err)?,
        (None, Some(text)) => Policy::default_policy()
            .with_extension(&text, "extend_policy")
            .map_err(core_err)?,
        (None, None) => Policy::default_policy(),
    };
    let snapshot = snapshot.map(|s| Arc::clone(&s.inner));
    let verdict = py
        .allow_threads(move || Layer0::new(policy).decide(&request, &context, snapshot.as_deref()));
    let mut value = serde_json::to_value(&verdict)
        .map_err(|e| PyTypeError::new_err(format!("cfcp could not convert a verdict: {e}")))?;
    if let (Some(map), Ok(route)) = (value.as_object_mut(), serde_json::to_value(verdict.route())) {
        map.insert("route".to_owned(), route);
    }
    value_to_py(py, &value)
}

/// Verifies an audit log's hash chain and signed checkpoints. A bad log is a result
/// (`ok` false, `problem` set), not an exception; an unreadable file or key raises.
#[pyfunction]
#[pyo3(signature = (path, pubkey=None, *, require_sealed=false))]
pub fn audit_verify<'py>(
    py: Python<'py>,
    path: PathBuf,
    pubkey: Option<PathBuf>,
    require_sealed: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let expected_key = match &pubkey {
        Some(path) => Some(cfcp::audit::load_public_key(path).map_err(core_err)?),
        None => None,
    };
    let bytes = std::fs::read(&path)?;
    let report = py.allow_threads(move || {
        cfcp::audit::verify_with(
            &bytes,
            &cfcp::audit::VerifyOptions {
                expected_key,
                require_sealed,
            },
        )
    });
    let hex = |key: &cfcp::audit::VerifyingKey| -> String {
        key.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
    };
    let warnings: Vec<serde_json::Value> = report
        .warnings
        .iter()
        .map(|w| serde_json::json!({"line": w.line, "seq": w.seq, "message": w.message}))
        .collect();
    let value = serde_json::json!({
        "ok": report.ok,
        "entries": report.entries,
        "checkpoints": report.checkpoints,
        "seals": report.seals,
        "head": report.head.to_hex(),
        "last_seq": report.last_seq,
        "signed_through": report.signed_through,
        "public_key": report.public_key.as_ref().map(hex),
        "key_pinned": report.key_pinned,
        "sealed": report.sealed,
        "problem": report.first_problem.as_ref().map(ToString::to_string),
        "warnings": warnings,
    });
    value_to_py(py, &value)
}
