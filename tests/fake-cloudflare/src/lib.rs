//! A faithful, stateful fake of the Cloudflare API v4 (`/client/v4`) for cfcp's tests and
//! benchmarks.
//!
//! It serves, on 127.0.0.1, every endpoint cfcp's client uses, with Cloudflare's envelope,
//! pagination rules, error codes and per-token permissions; it is seeded from a cfcp snapshot and
//! writes change what later reads return. Faults (429 storms, 5xx, latency, truncated bodies,
//! connection resets) and a sliding-window rate limit are injected on demand. Every request is
//! logged with a credential label (`token#1`), never the credential itself.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use fake_cloudflare::{FakeCloudflare, FakeConfig, TokenSpec};
//! let seed = fake_cloudflare::synthetic::account(2, 10, 1);
//! let fake = FakeCloudflare::start(FakeConfig::new(seed).with_token(TokenSpec::all("t0k3n"))).await?;
//! println!("CLOUDFLARE_BASE_URL={}", fake.base_url());
//! assert_eq!(fake.request_count(), 0);
//! fake.shutdown();
//! # Ok(()) }
//! ```

pub mod api;
pub mod auth;
pub mod config;
pub mod envelope;
pub mod graphql;
pub mod server;
pub mod state;
pub mod synthetic;
pub mod util;
pub mod validate;

pub use config::{
    ApiKeySpec, FakeConfig, Faults, RateLimit, Scope, TokenSpec, TruncateMode, DEFAULT_TOKEN,
    PERMISSIONS,
};
pub use envelope::{codes, ApiError};
pub use server::{FakeCloudflare, FakeHandle, RequestLogEntry, BASE_PATH};
