//! `cfcp waf ...`: the Rules-language engine and WAF intelligence.

use std::io::BufRead;
use std::path::PathBuf;

use cfcp::rules::{self, batch, ExpressionKind};

use crate::error::CliError;
use crate::Outcome;

/// `cfcp waf` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check that expressions parse and type-check (one expression, or JSON lines with --batch).
    Validate(ValidateArgs),
}

/// Arguments of `cfcp waf validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The expression to check.
    #[arg(
        value_name = "EXPR",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    expression: Option<String>,
    /// Treat EXPR as a value expression (rewrite/redirect target) instead of a filter.
    #[arg(long)]
    value: bool,
    /// JSON lines `{"id","expression","kind"}` (`-` for standard input); prints one line
    /// `{"id","valid","error":{"message","offset"}}` per input line.
    #[arg(long, value_name = "FILE")]
    batch: Option<PathBuf>,
}

/// Runs a `cfcp waf` subcommand.
pub fn run(command: Command) -> Outcome {
    match command {
        Command::Validate(args) => validate(args),
    }
}

/// Exit 0 when every expression is valid, 1 when one is not, 2 when the input is malformed.
fn validate(args: ValidateArgs) -> Outcome {
    if let Some(path) = &args.batch {
        return validate_batch(path);
    }
    let expression = args.expression.unwrap_or_default();
    let kind = if args.value {
        ExpressionKind::Value
    } else {
        ExpressionKind::Filter
    };
    match rules::validate(&expression, kind) {
        Ok(()) => {
            println!("valid");
            Ok(0)
        }
        Err(e) => {
            println!("invalid: {}", e.full_message());
            println!("{}", e.render(&expression));
            Ok(1)
        }
    }
}

fn validate_batch(path: &std::path::Path) -> Outcome {
    let io = |source| CliError::Io {
        path: path.to_owned(),
        source,
    };
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(io)?,
        ))
    };
    let mut out = String::new();
    let (mut invalid, mut malformed, mut total) = (0usize, 0usize, 0usize);
    for (index, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let result = batch::validate_line(index + 1, &line);
        total += 1;
        if result.bad_input {
            malformed += 1;
        } else if !result.valid {
            invalid += 1;
        }
        out.push_str(&serde_json::to_string(&result).unwrap_or_default());
        out.push('\n');
    }
    crate::output::write_stdout(out.as_bytes())?;
    eprintln!(
        "{total} expressions: {} valid, {invalid} invalid, {malformed} malformed input lines",
        total - invalid - malformed
    );
    Ok(if malformed > 0 {
        2
    } else if invalid > 0 {
        1
    } else {
        0
    })
}
