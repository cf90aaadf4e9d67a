//! The CLI's one error type and its mapping to exit codes.

use std::path::PathBuf;

/// Everything a `cfcp` command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Core (API, snapshot) failure.
    #[error(transparent)]
    Core(#[from] cfcp::Error),
}

impl CliError {
    /// Exit code: 2 for bad usage or input, 1 for failures while working.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Io { .. } => 2,
            CliError::Core(e) if is_input_error(e) => 2,
            CliError::Core(_) => 1,
        }
    }

    /// A suggestion of what to do next, when there is an obvious one.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CliError::Core(cfcp::Error::Config { .. }) => {
                Some("create a token at dash.cloudflare.com → My Profile → API Tokens; `cfcp verify-token` shows what it can do")
            }
            _ => None,
        }
    }
}

fn is_input_error(e: &cfcp::Error) -> bool {
    matches!(
        e,
        cfcp::Error::JsonSyntax { .. }
            | cfcp::Error::SnapshotSchema { .. }
            | cfcp::Error::UnsupportedFormat { .. }
            | cfcp::Error::NotASnapshot { .. }
            | cfcp::Error::Config { .. }
            | cfcp::Error::InvalidDocument { .. }
            | cfcp::Error::Policy { .. }
    )
}
