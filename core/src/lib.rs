//! cfcp: a Cloudflare control plane.
//!
//! Everything works on [`snapshot::Snapshot`]s: what a Cloudflare account looked like at one instant.
//! The API client (`api`, the only module that does IO) takes snapshots; everything else is a pure
//! function over them.
//!
//! ```
//! let text = r#"{"format":"cfcp.snapshot/v1","taken_at":"2026-11-01T12:00:00Z",
//!                "source":{"kind":"file","detail":"example"},
//!                "accounts":[],"zones":[],"gaps":[]}"#;
//! let snapshot = cfcp::snapshot::Snapshot::from_json_str(text).unwrap();
//! assert_eq!(snapshot.stats().zones, 0);
//! ```

pub mod api;
pub mod audit;
pub mod compliance;
pub mod drift;
pub mod error;
pub mod export;
pub mod intel;
pub mod invariants;
pub mod layer0;
pub mod oracle;
pub mod permissions;
pub mod plan;
pub mod report;
pub mod rules;
pub mod snapshot;
pub mod terraform;
pub mod tools;
pub mod tunnel;
pub mod waf;
pub mod watch;

pub use error::{Error, Result};
