//! Python bindings for cfcp: `import cfcp`.
//!
//! A thin translation layer: Python values in, one core call, Python objects out. Everything the
//! core must not do (read files, the environment, the clock) happens here, as in the CLI; the
//! logic stays in the core so that the CLI, the MCP server and the bindings answer alike.
//! The native module is `cfcp._native`; `python/cfcp/__init__.py` re-exports it.

mod analysis;
mod client;
mod convert;
mod drift;
mod errors;
mod report;
mod snapshot;

use pyo3::prelude::*;

/// "Now", for waiver expiry and snapshot timestamps (the core takes it as an argument).
fn now() -> cfcp::snapshot::Timestamp {
    cfcp::snapshot::Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<snapshot::PySnapshot>()?;
    m.add_class::<report::PyReport>()?;
    m.add_class::<report::PyFinding>()?;
    m.add_class::<report::PySummary>()?;
    m.add_class::<client::PyClient>()?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(analysis::check, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::compliance, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::frameworks, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::waf_validate, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::waf_analyze, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::waf_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::waf_propose, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::layer0_classify, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::layer0_route, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::audit_verify, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_diff, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_revert, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_render, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_adopt, m)?)?;
    m.add_function(wrap_pyfunction!(drift::export_terraform, m)?)?;
    Ok(())
}
