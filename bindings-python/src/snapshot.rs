//! `cfcp.Snapshot`: the account at one instant, shared (not copied) by everything that reads it.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::to_py;
use crate::errors::to_py_err;

/// A cfcp snapshot (`cfcp.snapshot/v1`).
#[pyclass(module = "cfcp", name = "Snapshot", frozen)]
pub struct PySnapshot {
    pub inner: Arc<cfcp::snapshot::Snapshot>,
}

impl PySnapshot {
    pub fn new(snapshot: cfcp::snapshot::Snapshot) -> Self {
        PySnapshot {
            inner: Arc::new(snapshot),
        }
    }
}

#[pymethods]
impl PySnapshot {
    /// Reads a snapshot file; parse errors raise `SnapshotError` with `.path` set to the file.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let bytes = std::fs::read(&path)?;
        let shown = path.display().to_string();
        py.allow_threads(|| cfcp::snapshot::Snapshot::from_json_slice(&bytes))
            .map(PySnapshot::new)
            .map_err(|e| to_py_err(e, Some(&shown)))
    }

    /// Parses snapshot JSON text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        let text = text.to_owned();
        py.allow_threads(|| cfcp::snapshot::Snapshot::from_json_str(&text))
            .map(PySnapshot::new)
            .map_err(|e| to_py_err(e, None))
    }

    /// The desired state Terraform describes, from a state (format 4) or `terraform show -json`
    /// of a state or a plan (the planned values): sections Terraform does not manage are gaps.
    #[staticmethod]
    #[pyo3(signature = (text, detail="terraform"))]
    fn from_terraform(py: Python<'_>, text: &str, detail: &str) -> PyResult<Self> {
        let (text, detail) = (text.to_owned(), detail.to_owned());
        py.allow_threads(move || cfcp::terraform::load_json(text.as_bytes(), &detail))
            .map(|desired| PySnapshot::new(desired.snapshot))
            .map_err(|e| to_py_err(e, None))
    }

    /// The bundled demo account (good and bad configuration), for trying cfcp without a token.
    #[staticmethod]
    fn demo() -> Self {
        PySnapshot::new(cfcp::snapshot::demo())
    }

    /// The snapshot as pretty JSON; loading it again gives an equal snapshot.
    fn to_json(&self, py: Python<'_>) -> String {
        let inner = Arc::clone(&self.inner);
        py.allow_threads(move || inner.to_json_pretty())
    }

    /// The snapshot as Python data (dicts and lists).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &*self.inner)
    }

    /// `cfcp.snapshot/v1`.
    #[getter]
    fn format(&self) -> &str {
        &self.inner.format
    }

    /// When the snapshot was taken (RFC 3339).
    #[getter]
    fn taken_at(&self) -> &str {
        self.inner.taken_at.as_str()
    }

    /// The zones, each as a dict in Cloudflare's shapes (`name`, `id`, `settings`, ...).
    #[getter]
    fn zones<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for zone in &self.inner.zones {
            list.append(to_py(py, zone)?)?;
        }
        Ok(list)
    }

    /// The zone names, in snapshot order.
    #[getter]
    fn zone_names(&self) -> Vec<String> {
        self.inner
            .zones
            .iter()
            .map(|z| z.zone.name.clone())
            .collect()
    }

    /// Sections that could not be read, and why.
    #[getter]
    fn gaps<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.gaps)
    }

    /// Counts: accounts, zones, DNS records, rulesets, rules, tunnels, lists, gaps.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.inner.stats();
        let value = serde_json::json!({
            "accounts": s.accounts, "zones": s.zones, "dns_records": s.dns_records,
            "rulesets": s.rulesets, "rules": s.rules, "tunnels": s.tunnels,
            "lists": s.lists, "gaps": s.gaps,
        });
        crate::convert::value_to_py(py, &value)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .downcast::<PySnapshot>()
            .is_ok_and(|o| *o.get().inner == *self.inner)
    }

    fn __repr__(&self) -> String {
        let s = self.inner.stats();
        format!(
            "<cfcp.Snapshot taken_at={} zones={} dns_records={} gaps={}>",
            self.inner.taken_at.as_str(),
            s.zones,
            s.dns_records,
            s.gaps
        )
    }
}
