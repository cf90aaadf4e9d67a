//! `cfcp.drift`: drift between a desired and a live snapshot, its revert plan, and Terraform code
//! (`export_terraform` for a whole account, `adopt` for a drift). Dicts in the shapes of the
//! `cfcp.drift/v1` report; the work runs with the GIL released.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::convert::{document, to_py};
use crate::errors::to_py_err;
use crate::snapshot::PySnapshot;

fn read_drift(obj: &Bound<'_, PyAny>) -> PyResult<cfcp::drift::Drift> {
    cfcp::drift::Drift::from_value(document(obj, "drift")?).map_err(|e| to_py_err(e, None))
}

/// The drift of `live` against `desired` (a `cfcp.drift/v1` dict), with each item's risk unless
/// `assess=False`.
#[pyfunction]
#[pyo3(signature = (desired, live, *, assess=true))]
pub fn drift_diff<'py>(
    py: Python<'py>,
    desired: PyRef<'py, PySnapshot>,
    live: PyRef<'py, PySnapshot>,
    assess: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (desired, live) = (Arc::clone(&desired.inner), Arc::clone(&live.inner));
    let drift = py.allow_threads(move || {
        let mut drift = cfcp::drift::diff(&desired, &live);
        if assess {
            cfcp::drift::assess(&mut drift, &desired, &live);
        }
        drift
    });
    to_py(py, &drift)
}

/// The ordered API operations that revert `drift` (a dict from `diff`), each routed by Layer0
/// for an operator allowed on `zones` (default: all), with the delete threshold checked.
#[pyfunction]
#[pyo3(signature = (drift, *, max_delete=10, max_delete_percent=25.0, zones=None))]
pub fn drift_revert<'py>(
    py: Python<'py>,
    drift: &Bound<'py, PyAny>,
    max_delete: usize,
    max_delete_percent: f64,
    zones: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyAny>> {
    let drift = read_drift(drift)?;
    let options = cfcp::drift::RevertOptions {
        max_delete,
        max_delete_percent,
    };
    let mut plan = cfcp::drift::revert(&drift, &options);
    let ctx = cfcp::layer0::Context {
        zones_allowed: zones.unwrap_or_else(|| vec!["*".into()]),
        ..Default::default()
    };
    cfcp::drift::route(&mut plan, &cfcp::layer0::Layer0::default(), &ctx);
    to_py(py, &plan)
}

/// `drift` for people: `format` is `text` or `markdown`.
#[pyfunction]
#[pyo3(signature = (drift, format="text"))]
pub fn drift_render(drift: &Bound<'_, PyAny>, format: &str) -> PyResult<String> {
    let drift = read_drift(drift)?;
    match format {
        "text" => Ok(cfcp::drift::render::text(&drift)),
        "markdown" => Ok(cfcp::drift::render::markdown(&drift)),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "unknown format {other:?}: text or markdown"
        ))),
    }
}

/// Terraform code (provider v5) that adopts `drift`: `{"files": [{"name", "text"}], "resources",
/// "skipped"}`.
#[pyfunction]
pub fn drift_adopt<'py>(py: Python<'py>, drift: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let drift = read_drift(drift)?;
    to_py(py, &cfcp::export::adopt(&drift))
}

/// The account (or `zones`) as Terraform code (provider v5) with import blocks.
#[pyfunction]
#[pyo3(signature = (snapshot, *, zones=None, skip_accounts=false))]
pub fn export_terraform<'py>(
    py: Python<'py>,
    snapshot: PyRef<'py, PySnapshot>,
    zones: Option<Vec<String>>,
    skip_accounts: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let snapshot = Arc::clone(&snapshot.inner);
    let options = cfcp::export::ExportOptions {
        zones: zones.unwrap_or_default(),
        skip_accounts,
    };
    let export = py.allow_threads(move || cfcp::export::export(&snapshot, &options));
    to_py(py, &export)
}
