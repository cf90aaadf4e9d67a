//! The 12 agent tools as front ends run them: what the MCP server (and later the CLI and the
//! bindings) share, so they give identical answers.
//!
//! | module | what |
//! |---|---|
//! | [`offline`] | the tools over a snapshot: reads answer, changes are refused offline |
//! | [`page`] | cursor pagination that keeps results within a model's context |
//! | [`quarantine`] | untrusted text in results judged by Layer0 and withheld when it blocks |
//!
//! Pure like the rest of core: the caller passes the snapshot, Layer0, the context and `now`.

pub mod offline;
pub mod page;
pub mod quarantine;
