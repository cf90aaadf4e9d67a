//! `Client`: takes snapshots through Cloudflare's API, off the JS thread.
//!
//! The binding reads the environment (as the CLI does); the core only sees a lookup function.
//! The token lives in the core's secret type, inside the native object: JS never sees it again,
//! so no `toString`, `util.inspect` or error can show it.

use std::sync::{Arc, OnceLock};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::errors::{core_err, failure, Failure};
use crate::snapshot::Snapshot;

/// The runtime every client's requests run on, made on first use and shared: one per process
/// rather than one per call keeps connection pools warm.
fn runtime() -> std::result::Result<&'static tokio::runtime::Runtime, Failure> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::plain(format!("cannot start the async runtime: {e}")))?;
    Ok(RUNTIME.get_or_init(|| built))
}

/// How to reach Cloudflare. Unset members come from the environment, as the CLI reads it:
/// `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`), `CLOUDFLARE_BASE_URL`.
#[napi(object)]
#[derive(Default)]
pub struct ClientOptions {
    pub token: Option<String>,
    pub base_url: Option<String>,
    pub max_retries: Option<u32>,
    pub concurrency: Option<u32>,
    /// Per-request timeout in seconds.
    pub timeout: Option<f64>,
}

/// What a snapshot covers: every zone and account the token can see unless narrowed.
#[napi(object)]
#[derive(Default)]
pub struct SnapshotOptions {
    pub zones: Option<Vec<String>>,
    pub accounts: Option<Vec<String>>,
}

/// A Cloudflare API client.
#[napi]
pub struct Client {
    inner: Arc<cfcp::api::Client>,
}

#[napi]
impl Client {
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<ClientOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        let mut builder = cfcp::api::Client::builder();
        if let Some(token) = options.token {
            builder = builder.credentials(cfcp::api::Credentials::token(token));
        }
        if let Some(url) = options.base_url {
            builder = builder.base_url(url);
        }
        builder = builder
            .from_lookup(|name| std::env::var(name).ok())
            .map_err(|e| core_err(&env, e))?;
        if let Some(n) = options.max_retries {
            builder = builder.max_retries(n);
        }
        if let Some(n) = options.concurrency {
            builder = builder.concurrency(n as usize);
        }
        if let Some(secs) = options.timeout {
            let timeout = std::time::Duration::try_from_secs_f64(secs).map_err(|_| {
                core_err(
                    &env,
                    cfcp::Error::Config {
                        message: format!(
                            "timeout must be a positive number of seconds, not {secs}"
                        ),
                    },
                )
            })?;
            builder = builder.timeout(timeout);
        }
        let client = builder.build().map_err(|e| core_err(&env, e))?;
        Ok(Client {
            inner: Arc::new(client),
        })
    }

    /// The API base URL requests go to.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// Requests sent so far (retries included).
    #[napi(getter)]
    pub fn requests_sent(&self) -> f64 {
        self.inner.requests_sent() as f64
    }

    /// Takes a snapshot of the account(s) the token can see, or of the named zones only. The
    /// requests run on a worker thread; the Promise settles with a `Snapshot` or a cfcp error.
    #[napi(ts_return_type = "Promise<Snapshot>")]
    pub fn snapshot(&self, options: Option<SnapshotOptions>) -> AsyncTask<SnapshotTask> {
        let options = options.unwrap_or_default();
        AsyncTask::new(SnapshotTask {
            client: Arc::clone(&self.inner),
            scope: cfcp::api::SnapshotScope {
                zones: options.zones.unwrap_or_default(),
                accounts: options.accounts.unwrap_or_default(),
            },
            failure: None,
        })
    }

    /// `<cfcp.Client baseUrl="...">` (never the token).
    #[napi(js_name = "toString")]
    pub fn to_display(&self) -> String {
        format!("<cfcp.Client baseUrl={:?}>", self.inner.base_url())
    }
}

/// `client.snapshot()` on the libuv thread pool. A failure is kept as a `Failure` until the
/// task settles on the JS thread, where it becomes the JS error object.
pub struct SnapshotTask {
    client: Arc<cfcp::api::Client>,
    scope: cfcp::api::SnapshotScope,
    failure: Option<Failure>,
}

impl Task for SnapshotTask {
    type Output = cfcp::snapshot::Snapshot;
    type JsValue = Snapshot;

    fn compute(&mut self) -> Result<Self::Output> {
        let outcome = runtime().and_then(|runtime| {
            runtime
                .block_on(
                    self.client
                        .snapshot(&self.scope, crate::now(), &cfcp::api::NoProgress),
                )
                .map_err(|e| failure(&e, None))
        });
        outcome.map_err(|f| {
            let reason = f.message.clone();
            self.failure = Some(f);
            Error::from_reason(reason)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Snapshot::new(output))
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Self::JsValue> {
        Err(match self.failure.take() {
            Some(f) => f.into_napi(&env),
            None => err,
        })
    }
}
