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
//! | [`classify`](mod@classify) | the classifier: envelope, structure, text, risk |
//! | [`tools`] | the 12 tools: actions, intents, scopes, argument shapes |
//! | [`structural`] | what a tool call does to a zone |
//! | [`query`] | what a natural-language query asks for |
//! | [`text`] | injected instructions and secrets in any string, after normalisation and decoding |
//! | [`breadth`] | whether a skip/allow condition matches broadly |
//! | [`policy`] | the router: the Cedar policy (default in `default.cedar`) → [`Decision`] |
//! | [`shadow`] | a candidate policy beside the active one; disagreements to the audit trail |
//! | [`engine`] | [`Layer0`]: classify + route (+ shadow) for one request; scoring labelled rows |
//! | [`eval`] | confusion matrix, precision/recall, the acceptance figures |
//! | [`profile`] | the classifier's stages, for the benchmark's per-stage figures |

pub mod breadth;
pub mod classification;
pub mod classify;
pub mod engine;
pub mod eval;
pub mod policy;
pub mod profile;
pub mod query;
pub mod request;
pub mod shadow;
pub mod structural;
pub mod text;
pub mod tools;

pub use classification::{Classification, Evidence, Flag, Intent, Route, Span};
pub use classify::{classify, classify_value};
pub use engine::{Layer0, Verdict};
pub use policy::{Decision, Policy};
pub use request::{Context, Request, RequestKind};
pub use shadow::{ShadowCounter, ShadowOutcome, ShadowReport};
