//! Layer0: pre-execution classification and routing of agent requests.
//!
//! Before cfcp executes anything an agent asks for, Layer0 decides what the request is
//! ([`Classification`]: intent, flags with evidence, risk) and what may happen to it
//! ([`Route`]: allow, approve, block). It is deterministic, offline and pure: no model, no clock,
//! no IO. The MCP server logs every decision to the audit trail ([`crate::audit`]) before it
//! executes anything.
//!
//! | module | what |
//! |---|---|
//! | [`request`] | the input: [`Request`] and [`Context`], parsed leniently |
//! | [`classification`] | the output: [`Flag`], [`Intent`], [`Evidence`], [`Classification`], [`Route`] |

pub mod classification;
pub mod request;
pub mod text;

pub use classification::{Classification, Evidence, Flag, Intent, Route, Span};
pub use request::{Context, Request, RequestKind};
