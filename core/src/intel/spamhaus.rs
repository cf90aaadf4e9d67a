//! Spamhaus DROP / EDROP / DROPv6, in both editions.
//!
//! * Text: `1.10.16.0/20 ; SBL256894`, with `;` comment lines at the top.
//! * JSON lines: `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}`, ending with
//!   `{"type":"metadata","timestamp":...,"size":...,"records":N,...}`. When the metadata declares
//!   more records than the file holds, the file was cut short and that is reported as an error.
//!
//! Both editions may be mixed line by line (the parser decides per line).

use serde_json::Value;

use super::plain::split_comment;
use super::{numbered, parse_ip_or_cidr, FeedFormat, IndicatorValue, ParsedFeed};

pub(super) fn parse(text: &str) -> ParsedFeed {
    let mut feed = ParsedFeed::new(FeedFormat::SpamhausDrop, text);
    let mut records = 0usize;
    let mut declared: Option<(usize, u64)> = None;
    for (line_no, line) in numbered(text) {
        let trimmed = line.trim();
        if trimmed.starts_with('{') {
            records += 1;
            match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Object(object)) => {
                    if object.get("type").and_then(Value::as_str) == Some("metadata") {
                        records -= 1;
                        feed.skip("metadata");
                        if let Some(n) = object.get("records").and_then(Value::as_u64) {
                            declared = Some((line_no, n));
                        }
                        continue;
                    }
                    let Some(cidr) = object.get("cidr").and_then(Value::as_str) else {
                        feed.error(line_no, "JSON record without a \"cidr\" string", line);
                        continue;
                    };
                    let comment = object
                        .get("sblid")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    push_cidr(&mut feed, cidr, line_no, comment, line);
                }
                Ok(_) => feed.error(line_no, "expected a JSON object", line),
                Err(e) => feed.error(line_no, format!("invalid JSON: {e}"), line),
            }
            continue;
        }
        let (data, comment) = split_comment(line);
        let data = data.trim();
        if data.is_empty() {
            continue;
        }
        records += 1;
        let comment = comment.trim();
        let comment = (!comment.is_empty()).then(|| comment.to_string());
        if data.contains(char::is_whitespace) {
            feed.error(
                line_no,
                "expected `CIDR ; SBL id`, found more than one token before the `;`",
                line,
            );
            continue;
        }
        push_cidr(&mut feed, data, line_no, comment, line);
    }
    if let Some((line_no, declared)) = declared {
        if (records as u64) < declared {
            feed.error(
                line_no,
                format!("the metadata declares {declared} records but the file holds {records}: it looks truncated; download it again"),
                "",
            );
        }
    }
    feed
}

fn push_cidr(
    feed: &mut ParsedFeed,
    cidr: &str,
    line_no: usize,
    comment: Option<String>,
    line: &str,
) {
    match parse_ip_or_cidr(cidr.trim()) {
        Ok(value @ (IndicatorValue::Cidr(_) | IndicatorValue::Ip(_))) => {
            feed.push(value, line_no, comment)
        }
        Ok(_) => feed.error(line_no, "expected a CIDR", line),
        Err(message) => feed.error(line_no, message, line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_edition() {
        let text = "; Spamhaus DROP List 2026/11/01 - (c) 2026 The Spamhaus Project SLU\n; Last-Modified: Sun, 01 Nov 2026 08:11:27 GMT\n; Expires: Sun, 01 Nov 2026 10:23:10 GMT\n1.10.16.0/20 ; SBL256894\n1.19.0.0/16 ; SBL434604\nbroken line ; SBL1\n";
        let feed = parse(text);
        assert_eq!(feed.indicators.len(), 2);
        assert_eq!(feed.indicators[0].value.to_string(), "1.10.16.0/20");
        assert_eq!(feed.indicators[0].comment.as_deref(), Some("SBL256894"));
        assert_eq!(feed.indicators[1].line, 5);
        assert_eq!(feed.error_count, 1);
        assert_eq!(feed.errors[0].line, 6);
    }

    #[test]
    fn json_lines_edition_with_metadata() {
        let text = r#"{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}
{"cidr":"2a06:5280::/29","sblid":"SBL620310","rir":"ripencc"}
{"cidr":"nope","sblid":"SBL1","rir":"arin"}
{"sblid":"SBL2"}
{"cidr": 
{"type":"metadata","timestamp":1793520000,"size":420,"records":5,"copyright":"(c) 2026 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}
"#;
        let feed = parse(text);
        assert_eq!(feed.indicators.len(), 2);
        assert_eq!(feed.indicators[1].comment.as_deref(), Some("SBL620310"));
        assert_eq!(feed.skipped, 1);
        assert_eq!(feed.skip_reasons["metadata"], 1);
        let lines: Vec<usize> = feed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5]);
    }

    #[test]
    fn truncated_json_edition_is_reported() {
        let text = "{\"cidr\":\"1.10.16.0/20\",\"sblid\":\"SBL256894\",\"rir\":\"apnic\"}\n{\"type\":\"metadata\",\"timestamp\":1793520000,\"size\":420,\"records\":1500}\n";
        let feed = parse(text);
        assert_eq!(feed.indicators.len(), 1);
        assert_eq!(feed.error_count, 1);
        assert!(feed.errors[0].message.contains("declares 1500 records"));
    }
}
