//! The crate's one error enum: what stops the server (a tool's failure is a tool error instead).

/// Why the server could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// From core: snapshot, policy, audit log or key.
    #[error(transparent)]
    Core(#[from] cfcp::Error),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A command-line value is wrong.
    #[error("{0}")]
    Usage(String),
    /// The audit log was closed: nothing may run unlogged.
    #[error("the audit log is closed; no call can run unlogged")]
    AuditClosed,
    /// A thread panicked while holding the audit log.
    #[error("the audit log's lock is poisoned")]
    AuditPoisoned,
    /// The MCP transport failed.
    #[error("MCP transport: {0}")]
    Transport(String),
}
