//! `cfcp.Client`: takes snapshots through Cloudflare's API.
//!
//! The binding reads the environment (as the CLI does); the core only sees a lookup function.
//! The token lives in the core's secret type: it is in no repr, str or exception.

use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::to_py_err;
use crate::snapshot::PySnapshot;

/// The runtime every client's requests run on, made on first use and shared: one per process
/// rather than one per call keeps connection pools warm.
fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    Ok(RUNTIME.get_or_init(|| built))
}

/// A Cloudflare API client.
#[pyclass(module = "cfcp", name = "Client", frozen)]
pub struct PyClient {
    inner: Arc<cfcp::api::Client>,
}

#[pymethods]
impl PyClient {
    /// `token` and `base_url` default to `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_EMAIL` +
    /// `CLOUDFLARE_API_KEY`) and `CLOUDFLARE_BASE_URL`, as the CLI reads them.
    #[new]
    #[pyo3(signature = (token=None, base_url=None, *, max_retries=None, concurrency=None, timeout=None))]
    fn new(
        token: Option<String>,
        base_url: Option<String>,
        max_retries: Option<u32>,
        concurrency: Option<usize>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let mut builder = cfcp::api::Client::builder();
        if let Some(token) = token {
            builder = builder.credentials(cfcp::api::Credentials::token(token));
        }
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        builder = builder
            .from_lookup(|name| std::env::var(name).ok())
            .map_err(|e| to_py_err(e, None))?;
        if let Some(n) = max_retries {
            builder = builder.max_retries(n);
        }
        if let Some(n) = concurrency {
            builder = builder.concurrency(n);
        }
        if let Some(secs) = timeout {
            let timeout = std::time::Duration::try_from_secs_f64(secs).map_err(|_| {
                to_py_err(
                    cfcp::Error::Config {
                        message: format!(
                            "timeout must be a positive number of seconds, not {secs}"
                        ),
                    },
                    None,
                )
            })?;
            builder = builder.timeout(timeout);
        }
        let client = builder.build().map_err(|e| to_py_err(e, None))?;
        Ok(PyClient {
            inner: Arc::new(client),
        })
    }

    /// The API base URL requests go to.
    #[getter]
    fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// Requests sent so far (retries included).
    #[getter]
    fn requests_sent(&self) -> u64 {
        self.inner.requests_sent()
    }

    /// Takes a snapshot of the account(s) the token can see, or of the named zones only.
    /// Releases the GIL while it waits on the network.
    #[pyo3(signature = (zones=None, accounts=None))]
    fn snapshot(
        &self,
        py: Python<'_>,
        zones: Option<Vec<String>>,
        accounts: Option<Vec<String>>,
    ) -> PyResult<PySnapshot> {
        let scope = cfcp::api::SnapshotScope {
            zones: zones.unwrap_or_default(),
            accounts: accounts.unwrap_or_default(),
        };
        let client = Arc::clone(&self.inner);
        let runtime = runtime()?;
        let now = crate::now();
        py.allow_threads(move || {
            runtime.block_on(client.snapshot(&scope, now, &cfcp::api::NoProgress))
        })
        .map(PySnapshot::new)
        .map_err(|e| to_py_err(e, None))
    }

    /// `await client.snapshot_async(...)`: the same as `snapshot`, run in the event loop's
    /// default executor so the loop keeps running while the snapshot is taken.
    #[pyo3(signature = (zones=None, accounts=None))]
    fn snapshot_async<'py>(
        slf: &Bound<'py, Self>,
        zones: Option<Vec<String>>,
        accounts: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
        let method = slf.getattr("snapshot")?;
        let args = PyTuple::new(
            py,
            [
                py.None().into_bound(py),
                method,
                zones.into_pyobject(py)?.into_any(),
                accounts.into_pyobject(py)?.into_any(),
            ],
        )?;
        event_loop.call_method1("run_in_executor", args)
    }

    fn __repr__(&self) -> String {
        format!("<cfcp.Client base_url={:?}>", self.inner.base_url())
    }
}
