//! Batch validation: JSON lines in, JSON lines out (`cfcp waf validate --batch`, and any front end
//! that validates many expressions).
//!
//! Input lines are `{"id", "expression", "kind": "filter" | "value"}` (`kind` defaults to filter);
//! each gives one output line `{"id", "valid", "error": {"message", "offset"}}`. A line that is not
//! such an object still gives an output line, with `valid: false` and a message naming the input
//! line, so outputs and inputs stay in step.
//!
//! ```
//! use cfcp::rules::batch::validate_line;
//! let out = validate_line(1, r#"{"id":"a","expression":"http.host eq \"example.com\""}"#);
//! assert!(out.valid && out.id == serde_json::json!("a"));
//! let out = validate_line(2, r#"{"id":"b","expression":"http.host eq"}"#);
//! assert!(!out.valid);
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ExpressionKind, ValidationError, ValidationResult};

/// One input line.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchInput {
    /// Echoed back (any JSON value; `null` when absent).
    #[serde(default)]
    pub id: Value,
    /// The expression.
    pub expression: String,
    /// Filter or value.
    #[serde(default)]
    pub kind: ExpressionKind,
}

/// One output line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchOutput {
    /// The input's id.
    pub id: Value,
    /// Whether Cloudflare would accept the expression.
    pub valid: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ValidationError>,
    /// True when the input line itself was malformed (not a validation verdict).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bad_input: bool,
}

/// Validates one input line (`line` is its 1-based number, used in messages about bad input).
pub fn validate_line(line: usize, text: &str) -> BatchOutput {
    match serde_json::from_str::<BatchInput>(text) {
        Ok(input) => {
            let ValidationResult { valid, error } =
                ValidationResult::of(&input.expression, input.kind);
            BatchOutput {
                id: input.id,
                valid,
                error,
                bad_input: false,
            }
        }
        Err(e) => {
            let id = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("id").cloned())
                .unwrap_or(Value::Null);
            BatchOutput {
                id,
                valid: false,
                error: Some(ValidationError {
                    message: format!(
                        "input line {line}: expected {{\"id\", \"expression\", \"kind\": \"filter\"|\"value\"}}: {e}"
                    ),
                    offset: 0,
                }),
                bad_input: true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_invalid_value_and_malformed_lines() {
        assert!(validate_line(1, r#"{"id":1,"expression":"true"}"#).valid);
        let bad = validate_line(
            2,
            r#"{"id":"x","expression":"http.request.uri.path contans \"/a\""}"#,
        );
        assert!(!bad.valid && !bad.bad_input);
        assert!(bad.error.unwrap().message.contains("contains"));
        let value = validate_line(
            3,
            r#"{"id":"v","expression":"concat(\"/new\", http.request.uri.path)","kind":"value"}"#,
        );
        assert!(value.valid, "{value:?}");
        let as_filter = validate_line(
            4,
            r#"{"id":"v","expression":"concat(\"/new\", http.request.uri.path)"}"#,
        );
        assert!(!as_filter.valid);
        let garbage = validate_line(5, r#"{"id":"g","expr":"true"}"#);
        assert!(garbage.bad_input && garbage.id == serde_json::json!("g"));
        assert!(garbage.error.unwrap().message.starts_with("input line 5"));
        assert!(validate_line(6, "not json").bad_input);
    }
}
