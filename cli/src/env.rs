//! Everything the CLI takes from its surroundings: environment variables, files, the clock.

use std::io::Read;
use std::path::Path;

use crate::error::CliError;

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>, CliError> {
    let io = |source| CliError::Io {
        path: path.to_owned(),
        source,
    };
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(io)?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(io)
}

/// The current time, as the core's timestamp type.
pub fn now() -> cfcp::snapshot::Timestamp {
    cfcp::snapshot::Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

/// A client builder configured from the process environment (credentials, `CLOUDFLARE_BASE_URL`).
pub fn client_builder() -> Result<cfcp::api::ClientBuilder, CliError> {
    Ok(cfcp::api::Client::builder().from_lookup(|name| std::env::var(name).ok())?)
}

/// The async runtime the API client runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            path: "tokio runtime".into(),
            source,
        })
}

/// Parses `REQUESTS/SECONDS`, e.g. `1200/300`.
pub fn parse_rate(text: &str) -> Result<(u32, std::time::Duration), String> {
    let (n, secs) = text
        .split_once('/')
        .ok_or("expected REQUESTS/SECONDS, e.g. 1200/300")?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a request count"))?;
    let secs: f64 = secs
        .trim()
        .parse()
        .map_err(|_| format!("{secs:?} is not a number of seconds"))?;
    if n == 0 || !(secs > 0.0 && secs.is_finite()) {
        return Err("both the request count and the window must be positive".into());
    }
    Ok((n, std::time::Duration::from_secs_f64(secs)))
}

/// True when the environment holds Cloudflare credentials (a token, or an email and key).
pub fn has_credentials() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    set("CLOUDFLARE_API_TOKEN") || (set("CLOUDFLARE_EMAIL") && set("CLOUDFLARE_API_KEY"))
}

/// A human's answer to a y/N question on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `y` or `yes`.
    Yes,
    /// Anything else.
    No,
    /// Standard input is not a terminal: nobody to ask (pass `--yes` instead).
    NotATerminal,
}

/// Asks `question [y/N]` on the terminal; only `y`/`yes` approves.
pub fn ask_yes_no(question: &str) -> Result<Answer, CliError> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(Answer::NotATerminal);
    }
    let io = |path: &str| {
        let path = std::path::PathBuf::from(path);
        move |source| CliError::Io { path, source }
    };
    print!("{question} [y/N] ");
    std::io::stdout().flush().map_err(io("<stdout>"))?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(io("<stdin>"))?;
    Ok(if matches!(answer.trim(), "y" | "Y" | "yes" | "YES") {
        Answer::Yes
    } else {
        Answer::No
    })
}
