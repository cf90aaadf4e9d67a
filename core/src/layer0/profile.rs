//! The stages of classifying one request, for profiling.
//!
//! The classifier stays pure: it knows no clock. [`crate::layer0::classify::classify_value_profiled`]
//! calls a caller's closure with the stage that has just finished, and the caller (the benchmark)
//! reads its clock there. With the no-op closure that [`crate::layer0::classify`] passes, the calls
//! compile away.

/// One stage of classification; the closure is called when it ends.
///
/// ```
/// use cfcp::layer0::profile::Stage;
/// assert_eq!(Stage::ALL.len(), Stage::COUNT);
/// assert_eq!(Stage::ALL[Stage::Normalise as usize], Stage::Normalise);
/// assert_eq!(Stage::Normalise.name(), "normalise");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Reading the request's envelope (kind, tool, arguments).
    Envelope,
    /// A tool call's structure: tool, action, scope, security meaning.
    Structural,
    /// A query's commands.
    QueryReading,
    /// Secret values in the original text.
    SecretValues,
    /// Normalising the text.
    Normalise,
    /// Finding pasted content in user text.
    ContentRanges,
    /// The one-pass set of every normalised-text pattern.
    Armed,
    /// The prompt-injection rules that the set armed.
    Injection,
    /// Requests for secrets and for sending data outside.
    SecretRequests,
    /// Finding and decoding base64/hex runs (their contents' stages count in their own stages).
    Encoded,
    /// Walking the arguments, collecting evidence, the risk score.
    Other,
}

impl Stage {
    /// How many stages there are.
    pub const COUNT: usize = 11;

    /// Every stage, in order (`Stage::ALL[s as usize] == s`).
    pub const ALL: [Stage; Stage::COUNT] = [
        Stage::Envelope,
        Stage::Structural,
        Stage::QueryReading,
        Stage::SecretValues,
        Stage::Normalise,
        Stage::ContentRanges,
        Stage::Armed,
        Stage::Injection,
        Stage::SecretRequests,
        Stage::Encoded,
        Stage::Other,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Envelope => "envelope",
            Stage::Structural => "structural",
            Stage::QueryReading => "query reading",
            Stage::SecretValues => "secret values",
            Stage::Normalise => "normalise",
            Stage::ContentRanges => "content ranges",
            Stage::Armed => "armed set",
            Stage::Injection => "injection",
            Stage::SecretRequests => "secret requests",
            Stage::Encoded => "encoded",
            Stage::Other => "other",
        }
    }
}
