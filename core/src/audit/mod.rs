//! The audit trail ("preboot logger"): a tamper-evident, append-only log of every decision,
//! written **before** the request is executed, and of its outcome after.
//!
//! # The file
//!
//! JSON lines, one entry per line, each in cfcp canonical JSON v1 (sorted keys, no whitespace;
//! see [`entry`]). Every line has `seq` (1, 2, 3, ... with no gaps), `time` (RFC 3339, UTC, from
//! the caller: core reads no clock), `kind` and `prev`, the SHA-256 (hex) of the previous line's
//! exact bytes without its newline (64 zeros for the first line):
//!
//! ```text
//! {"approver":null,"classification":{..},"kind":"decision","prev":"00..00","request":{..},"route":"allow","seq":1,"time":"2026-11-01T12:00:00Z"}
//! {"decision_seq":1,"kind":"outcome","outcome":{..},"prev":"5e1f..","seq":2,"time":"2026-11-01T12:00:00.2Z"}
//! {"count":2,"head":"9ac0..","kind":"checkpoint","prev":"9ac0..","public_key":"d75a..","seq":3,"signature":"e5564300..","time":".."}
//! {"count":3,"head":"..","kind":"seal","prev":"..","public_key":"..","reason":"close","seq":4,"signature":"..","time":".."}
//! ```
//!
//! - `decision` and `outcome` (and other lowercase kinds, for later producers) are *records*.
//!   Every caller-supplied value is passed through [`redact`] before it is written.
//! - `checkpoint` lines, written every N records and on close, sign the line count and head
//!   hash with Ed25519 ([`checkpoint`]); `seal` lines are checkpoints that mark a proper close
//!   (`"reason":"close"`) or seal off bytes torn by a crash.
//!
//! # The parts
//!
//! | module | what | pure? |
//! |---|---|---|
//! | [`entry`] | records, canonical JSON, line hashes | yes |
//! | [`redact`] | masking tokens, keys and secret-named members | yes |
//! | [`checkpoint`] | signed checkpoint and seal lines | yes |
//! | [`verify`] | verification of a log's bytes: names the first bad entry | yes |
//! | [`writer`] | [`AuditLog`]: append, fsync batching, locks, torn-line recovery | no (designated shell) |
//! | [`key`] | the signing key file: load, or generate with mode 0600 | no (designated shell) |
//!
//! # What it guarantees, and what it cannot
//!
//! Verification detects any edit, deletion, insertion or reordering of lines up to the last
//! checkpoint, any re-signing with another key when the expected public key is given, and, for a
//! log that must be sealed (`--require-sealed`), any truncation. It cannot detect truncation at a
//! line boundary after the last surviving checkpoint of a log that is not required to be sealed,
//! nor forgery of the unsigned tail by someone who can write the file; see [`verify`] for the full
//! table.
//!
//! ```
//! use cfcp::audit::{verify, AuditLog, AuditOptions, Decision, SigningKey};
//! use serde_json::json;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("audit.jsonl");
//! let key = SigningKey::from_bytes(&[1; 32]);
//! let public = key.verifying_key();
//! let now = time::macros::datetime!(2026-11-01 12:00 UTC);
//!
//! let log = AuditLog::open(&path, key, AuditOptions::default(), now).unwrap();
//! let d = log
//!     .decision(now, Decision {
//!         request: json!({"tool": "dns_list", "args": {"zone": "example.com"}}),
//!         classification: json!({"intent": "read", "flags": []}),
//!         route: json!("allow"),
//!         approver: json!(null),
//!     })
//!     .unwrap();
//! // ... execute the request ...
//! log.outcome(now, d.seq, json!({"status": "ok"})).unwrap();
//! log.close(now).unwrap();
//!
//! let report = verify(&std::fs::read(&path).unwrap(), Some(&public));
//! assert!(report.ok && report.sealed);
//! assert_eq!((report.entries, report.checkpoints), (2, 1));
//! ```

pub mod checkpoint;
pub mod entry;
pub mod key;
pub mod redact;
pub mod verify;
pub mod writer;

pub use checkpoint::{signing_message, TornBytes};
pub use entry::{canonical_json, format_time, Decision, LineHash, Outcome, Record};
pub use key::{load_or_generate, load_public_key, load_signing_key, public_key_path, LoadedKey};
pub use redact::redact;
pub use verify::{
    verify, verify_with, Problem, ProblemKind, TornTail, UnsignedTail, VerifyOptions, VerifyReport,
    Warning,
};
pub use writer::{AuditLog, AuditOptions, OpenReport, Receipt, Recovery};

/// Re-exported so callers and front ends use the same key types as the log.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
