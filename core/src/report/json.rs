//! Reading a report back from its JSON contract (`cfcp.report/v1`), e.g. for `cfcp check --diff
//! OLD.json NEW.json`. Writing is [`Report::to_json_pretty`].

use serde::Deserialize;

use super::{Report, REPORT_FORMAT_V1};
use crate::error::{Error, Result};

const DOCUMENT: &str = "report";

/// Just the `format` member, read before the rest so that another document (a snapshot, a SARIF
/// log) gets a clear "not a cfcp report" rather than a complaint about its first odd field.
#[derive(Deserialize)]
struct Envelope {
    format: Option<serde_json::Value>,
}

fn invalid(path: &str, line: usize, column: usize, message: String) -> Error {
    Error::InvalidDocument {
        document: DOCUMENT,
        path: path.to_owned(),
        line,
        column,
        message,
    }
}

impl Report {
    /// Parses a `cfcp.report/v1` JSON report.
    ///
    /// Errors are [`Error::InvalidDocument`] with `document: "report"`, the JSON path of the
    /// offending value (`findings[3].severity`), its line and column: for text that is not JSON,
    /// a document without a `format` member or with another format, and values of the wrong
    /// shape. Members the contract does not define are ignored (a newer cfcp may add some).
    pub fn from_json_str(text: &str) -> Result<Report> {
        let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\n', '\r']);
        if !trimmed.is_empty() && !trimmed.starts_with('{') {
            return Err(invalid(
                ".",
                0,
                0,
                "expected a JSON object (a cfcp report)".to_owned(),
            ));
        }
        let envelope: Envelope = serde_json::from_str(text).map_err(|e| {
            let message = if e.is_data() {
                "expected a JSON object (a cfcp report)".to_owned()
            } else {
                e.to_string()
            };
            invalid(".", e.line(), e.column(), message)
        })?;
        match envelope.format {
            None => {
                return Err(invalid(
                    "format",
                    0,
                    0,
                    format!(
                        "missing: not a cfcp report (expected \"format\": \"{REPORT_FORMAT_V1}\")"
                    ),
                ))
            }
            Some(serde_json::Value::String(f)) if f == REPORT_FORMAT_V1 => {}
            Some(other) => {
                return Err(invalid(
                    "format",
                    0,
                    0,
                    format!(
                        "unsupported report format {other}: this cfcp reads {REPORT_FORMAT_V1:?}"
                    ),
                ))
            }
        }
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            invalid(&path, inner.line(), inner.column(), inner.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{demo, empty, mixed};

    fn err(text: &str) -> (String, usize, String) {
        match Report::from_json_str(text) {
            Err(Error::InvalidDocument {
                document,
                path,
                line,
                message,
                ..
            }) => {
                assert_eq!(document, "report");
                (path, line, message)
            }
            other => panic!("expected InvalidDocument, got {other:?}"),
        }
    }

    #[test]
    fn round_trips() {
        for report in [demo(), mixed(), empty()] {
            let back = Report::from_json_str(&report.to_json_pretty()).unwrap();
            assert_eq!(back, report);
        }
    }

    #[test]
    fn rejects_other_formats_and_documents() {
        let (path, _, message) = err(r#"{"format":"cfcp.report/v2","summary":{},"findings":[]}"#);
        assert_eq!(path, "format");
        assert!(
            message.contains("cfcp.report/v2") && message.contains("cfcp.report/v1"),
            "{message}"
        );
        let (path, _, message) = err(r#"{"format":"cfcp.snapshot/v1","zones":[]}"#);
        assert_eq!(path, "format");
        assert!(message.contains("unsupported"), "{message}");
        let (path, _, message) = err(r#"{"version":"2.1.0","runs":[]}"#);
        assert_eq!(path, "format");
        assert!(message.contains("not a cfcp report"), "{message}");
        let (path, _, _) = err(r#"{"format":7}"#);
        assert_eq!(path, "format");
        let (_, _, message) = err("[1,2]");
        assert!(message.contains("JSON object"), "{message}");
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let (path, line, _) = err("{\n  \"format\": \"cfcp.report/v1\",\n  oops\n}");
        assert_eq!(path, ".");
        assert_eq!(line, 3);
        let (_, line, _) = err("");
        assert_eq!(line, 1);
    }

    #[test]
    fn shape_errors_name_the_json_path_and_line() {
        let text = mixed().to_json_pretty().replacen(
            "\"severity\": \"medium\"",
            "\"severity\": \"severe\"",
            1,
        );
        let (path, line, message) = err(&text);
        assert_eq!(path, "findings[2].severity");
        assert!(line > 1);
        assert!(message.contains("severe"), "{message}");

        let (path, _, message) = err(r#"{"format":"cfcp.report/v1","summary":{"checks":1}}"#);
        assert_eq!(path, "summary");
        assert!(message.contains("passed"), "{message}");
    }

    #[test]
    fn unknown_members_are_ignored() {
        let mut value: serde_json::Value = serde_json::from_str(&mixed().to_json_pretty()).unwrap();
        value["generated_by"] = "cfcp 9.9".into();
        value["findings"][0]["extra"] = 1.into();
        let back = Report::from_json_str(&value.to_string()).unwrap();
        assert_eq!(back, mixed());
    }
}
