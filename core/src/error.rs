//! The crate's one error type.
//!
//! Every variant says what was wrong, where (JSON path, line, column, zone, section) and, where it
//! helps, what to do about it. Nothing here ever carries the API token.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in cfcp's core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not JSON at all (or is truncated).
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    JsonSyntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The JSON is well formed but a value has the wrong shape for the snapshot contract.
    #[error("{path}: {message} (line {line}, column {column})")]
    SnapshotSchema {
        /// JSON path of the offending value, e.g. `zones[2].dns_records[17].ttl`.
        path: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What was wrong, e.g. `expected integer`.
        message: String,
    },
    /// The document declares a format this version of cfcp cannot read.
    #[error("unsupported snapshot format {found:?}: this cfcp reads {supported}; upgrade cfcp or re-take the snapshot")]
    UnsupportedFormat {
        /// The `format` value found in the document.
        found: String,
        /// The formats this build reads, comma separated.
        supported: String,
    },
    /// The document has no `format` field, so it is not a cfcp snapshot.
    #[error("not a cfcp snapshot: the top-level object has no \"format\" field (expected \"{expected}\")")]
    NotASnapshot {
        /// The format a snapshot file should declare.
        expected: &'static str,
    },
}
