//! STIX 2.1 bundles: `indicator` objects with STIX patterns.
//!
//! Used:
//!
//! * comparisons `ipv4-addr:value`, `ipv6-addr:value` (addresses or CIDRs), `domain-name:value`,
//!   `url:value` and `autonomous-system:number`, with `=`, `IN (...)` and `ISSUBSET`;
//! * combined with `OR`, inside one observation (`[a OR b]`) or across observations
//!   (`[a] OR [b]`), with parentheses.
//!
//! An indicator is skipped (and counted, by reason) when it is `revoked`, its `pattern_type` is
//! not `stix`, `now` is before `valid_from` or at/after `valid_until`. Comparisons on other
//! observables (file hashes, ...) are skipped and counted; the rest of an `OR` pattern is kept.
//! Patterns that narrow an observable (`AND`, `NOT`, `!=`, `FOLLOWEDBY`, `WITHIN`, `REPEATS`,
//! `START`/`STOP`) cannot be expressed as an IP list and are reported as errors.
//!
//! JSON has no line numbers once parsed, so an indicator's line is where its `id` first appears
//! in the text. The input may be a bundle, a bare array of objects, or one indicator.

use std::collections::HashMap;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{parse_domain, parse_ip_or_cidr, parse_url, FeedFormat, IndicatorValue, ParsedFeed};

pub(super) fn parse(text: &str, now: OffsetDateTime) -> ParsedFeed {
    let mut feed = ParsedFeed::new(FeedFormat::Stix, text);
    let root: Value = match serde_json::from_str(text) {
        Ok(root) => root,
        Err(e) => {
            let line = e.line().max(1);
            let text_line = text.lines().nth(line - 1).unwrap_or("");
            feed.error(
                line,
                format!("not a STIX bundle: invalid JSON: {e}"),
                text_line,
            );
            return feed;
        }
    };
    let objects: Vec<&Value> = match &root {
        Value::Object(map) => match map.get("objects") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ if map.get("type").and_then(Value::as_str) == Some("indicator") => vec![&root],
            _ => {
                feed.error(1, "not a STIX bundle: no \"objects\" array", "");
                return feed;
            }
        },
        Value::Array(items) => items.iter().collect(),
        _ => {
            feed.error(1, "not a STIX bundle: expected a JSON object", "");
            return feed;
        }
    };
    let lines = id_lines(text);
    for object in objects {
        if object.get("type").and_then(Value::as_str) != Some("indicator") {
            continue;
        }
        let id = object.get("id").and_then(Value::as_str).unwrap_or("");
        let line = lines.get(id).copied().unwrap_or(1);
        indicator(&mut feed, object, id, line, now);
    }
    feed
}

fn indicator(feed: &mut ParsedFeed, object: &Value, id: &str, line: usize, now: OffsetDateTime) {
    if object.get("revoked").and_then(Value::as_bool) == Some(true) {
        feed.skip("revoked");
        return;
    }
    // STIX 2.0 indicators have no pattern_type; their patterns are STIX patterns.
    match object.get("pattern_type").and_then(Value::as_str) {
        None | Some("stix") => {}
        Some(other) => {
            feed.skip(&format!("pattern_type {other}"));
            return;
        }
    }
    for (member, expired_if_before) in [("valid_from", false), ("valid_until", true)] {
        let Some(stamp) = object.get(member).and_then(Value::as_str) else {
            continue;
        };
        let Ok(at) = OffsetDateTime::parse(stamp, &Rfc3339) else {
            feed.error(
                line,
                format!("{id}: {member} {stamp:?} is not an RFC 3339 timestamp"),
                id,
            );
            return;
        };
        if expired_if_before && now >= at {
            feed.skip("expired (valid_until)");
            return;
        }
        if !expired_if_before && now < at {
            feed.skip("not yet valid (valid_from)");
            return;
        }
    }
    let Some(pattern) = object.get("pattern").and_then(Value::as_str) else {
        feed.error(line, format!("{id}: indicator without a pattern"), id);
        return;
    };
    let comparisons = match parse_pattern(pattern) {
        Ok(c) => c,
        Err(message) => {
            feed.error(line, format!("{id}: {message}"), pattern);
            return;
        }
    };
    let comment = object
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(id)
        .to_string();
    for (path, literal) in comparisons {
        let value = match (path.as_str(), &literal) {
            ("ipv4-addr:value" | "ipv6-addr:value", Literal::Str(s)) => parse_ip_or_cidr(s),
            ("domain-name:value", Literal::Str(s)) => parse_domain(s).map(IndicatorValue::Domain),
            ("url:value", Literal::Str(s)) => parse_url(s).map(IndicatorValue::Url),
            ("autonomous-system:number", Literal::Num(n)) => u32::try_from(*n)
                .map(IndicatorValue::Asn)
                .map_err(|_| format!("{n} is not an AS number")),
            (
                "ipv4-addr:value"
                | "ipv6-addr:value"
                | "domain-name:value"
                | "url:value"
                | "autonomous-system:number",
                _,
            ) => Err(format!("{path} compared with a value of the wrong type")),
            _ => {
                feed.skip(&format!("unsupported observable {path}"));
                continue;
            }
        };
        match value {
            Ok(value) => feed.push(value, line, Some(comment.clone())),
            Err(message) => feed.error(line, format!("{id}: {message}"), pattern),
        }
    }
}

/// The line on which each `"indicator--..."` string first appears.
fn id_lines(text: &str) -> HashMap<&str, usize> {
    let mut out = HashMap::new();
    let mut line = 1;
    let mut counted = 0;
    for (at, _) in text.match_indices("\"indicator--") {
        line += text[counted..at].bytes().filter(|b| *b == b'\n').count();
        counted = at;
        let rest = &text[at + 1..];
        if let Some(end) = rest.find('"') {
            out.entry(&rest[..end]).or_insert(line);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Num(i64),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    LParen,
    RParen,
    Comma,
    Str(String),
    Num(i64),
    Op(String),
    Word(String),
}

fn tokenize(pattern: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = pattern.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '[' => out.push(Token::Open),
            ']' => out.push(Token::Close),
            '(' => out.push(Token::LParen),
            ')' => out.push(Token::RParen),
            ',' => out.push(Token::Comma),
            '\'' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, e)) => s.push(e),
                            None => return Err("unterminated string in pattern".into()),
                        },
                        Some((_, '\'')) => break,
                        Some((_, ch)) => s.push(ch),
                        None => return Err("unterminated string in pattern".into()),
                    }
                }
                out.push(Token::Str(s));
            }
            '=' | '!' | '<' | '>' => {
                let mut op = c.to_string();
                if let Some((_, '=')) = chars.peek() {
                    chars.next();
                    op.push('=');
                }
                out.push(Token::Op(op));
            }
            '-' | '0'..='9'
                if out
                    .last()
                    .is_some_and(|t| matches!(t, Token::Op(_) | Token::LParen | Token::Comma)) =>
            {
                let mut s = c.to_string();
                while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                    s.push(d);
                    chars.next();
                }
                out.push(Token::Num(
                    s.parse()
                        .map_err(|_| format!("bad number {s:?} in pattern"))?,
                ));
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => {
                let mut s = c.to_string();
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_alphanumeric() || matches!(d, '_' | '-' | ':' | '.') {
                        s.push(d);
                        chars.next();
                    } else if d == '\'' && s.ends_with('.') {
                        // `file:hashes.'SHA-256'`: a quoted path step.
                        chars.next();
                        s.push('\'');
                        for (_, e) in chars.by_ref() {
                            s.push(e);
                            if e == '\'' {
                                break;
                            }
                        }
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(s));
            }
            other => return Err(format!("unexpected {other:?} at byte {at} of the pattern")),
        }
    }
    Ok(out)
}

/// Parses a pattern into the comparisons it ORs together.
fn parse_pattern(pattern: &str) -> Result<Vec<(String, Literal)>, String> {
    let tokens = tokenize(pattern)?;
    let mut parser = Parser { tokens, at: 0 };
    let mut out = Vec::new();
    parser.pattern(&mut out, 0)?;
    if let Some(token) = parser.peek() {
        return Err(parser.unexpected(token));
    }
    if out.is_empty() {
        return Err("empty pattern".into());
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn unexpected(&self, token: &Token) -> String {
        match token {
            Token::Word(w) if is_unsupported_keyword(w) => format!(
                "unsupported STIX pattern: `{w}` narrows what matches, which an IP list cannot express; only comparisons combined with OR are used"
            ),
            Token::Op(op) if op != "=" => format!(
                "unsupported STIX pattern: operator `{op}`; only `=`, `IN` and `ISSUBSET` are used"
            ),
            other => format!("malformed STIX pattern near {other:?}"),
        }
    }

    /// observation (OR observation)*
    fn pattern(&mut self, out: &mut Vec<(String, Literal)>, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("STIX pattern nested too deeply".into());
        }
        loop {
            match self.next() {
                Some(Token::Open) => {
                    self.comparisons(out, depth + 1)?;
                    match self.next() {
                        Some(Token::Close) => {}
                        Some(t) => return Err(self.unexpected(&t)),
                        None => return Err("missing `]` in STIX pattern".into()),
                    }
                }
                Some(Token::LParen) => {
                    self.pattern(out, depth + 1)?;
                    match self.next() {
                        Some(Token::RParen) => {}
                        Some(t) => return Err(self.unexpected(&t)),
                        None => return Err("missing `)` in STIX pattern".into()),
                    }
                }
                Some(t) => return Err(self.unexpected(&t)),
                None => return Err("STIX pattern ends too early".into()),
            }
            match self.peek() {
                Some(Token::Word(w)) if w == "OR" => {
                    self.at += 1;
                }
                _ => return Ok(()),
            }
        }
    }

    /// comparison (OR comparison)*, inside `[...]`
    fn comparisons(
        &mut self,
        out: &mut Vec<(String, Literal)>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("STIX pattern nested too deeply".into());
        }
        loop {
            match self.next() {
                Some(Token::LParen) => {
                    self.comparisons(out, depth + 1)?;
                    match self.next() {
                        Some(Token::RParen) => {}
                        Some(t) => return Err(self.unexpected(&t)),
                        None => return Err("missing `)` in STIX pattern".into()),
                    }
                }
                Some(Token::Word(path)) if path.contains(':') => self.comparison(path, out)?,
                Some(t) => return Err(self.unexpected(&t)),
                None => return Err("STIX pattern ends too early".into()),
            }
            match self.peek() {
                Some(Token::Word(w)) if w == "OR" => {
                    self.at += 1;
                }
                _ => return Ok(()),
            }
        }
    }

    fn comparison(&mut self, path: String, out: &mut Vec<(String, Literal)>) -> Result<(), String> {
        match self.next() {
            Some(Token::Op(op)) if op == "=" => match self.next() {
                Some(Token::Str(s)) => out.push((path, Literal::Str(s))),
                Some(Token::Num(n)) => out.push((path, Literal::Num(n))),
                Some(t) => return Err(self.unexpected(&t)),
                None => return Err("STIX pattern ends too early".into()),
            },
            Some(Token::Word(w)) if w == "ISSUBSET" => match self.next() {
                Some(Token::Str(s)) => out.push((path, Literal::Str(s))),
                Some(t) => return Err(self.unexpected(&t)),
                None => return Err("STIX pattern ends too early".into()),
            },
            Some(Token::Word(w)) if w == "IN" => {
                if self.next() != Some(Token::LParen) {
                    return Err("expected `(` after IN".into());
                }
                loop {
                    match self.next() {
                        Some(Token::Str(s)) => out.push((path.clone(), Literal::Str(s))),
                        Some(Token::Num(n)) => out.push((path.clone(), Literal::Num(n))),
                        Some(t) => return Err(self.unexpected(&t)),
                        None => return Err("STIX pattern ends too early".into()),
                    }
                    match self.next() {
                        Some(Token::Comma) => {}
                        Some(Token::RParen) => break,
                        Some(t) => return Err(self.unexpected(&t)),
                        None => return Err("missing `)` in STIX pattern".into()),
                    }
                }
            }
            Some(t) => return Err(self.unexpected(&t)),
            None => return Err("STIX pattern ends too early".into()),
        }
        Ok(())
    }
}

fn is_unsupported_keyword(word: &str) -> bool {
    matches!(
        word,
        "AND"
            | "NOT"
            | "FOLLOWEDBY"
            | "WITHIN"
            | "REPEATS"
            | "START"
            | "STOP"
            | "LIKE"
            | "MATCHES"
            | "ISSUPERSET"
            | "EXISTS"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pattern: &str) -> Result<Vec<String>, String> {
        parse_pattern(pattern).map(|c| {
            c.into_iter()
                .map(|(p, l)| match l {
                    Literal::Str(s) => format!("{p}={s}"),
                    Literal::Num(n) => format!("{p}={n}"),
                })
                .collect()
        })
    }

    #[test]
    fn patterns_combined_with_or() {
        assert_eq!(
            values("[ipv4-addr:value = '198.51.100.1']").unwrap(),
            ["ipv4-addr:value=198.51.100.1"]
        );
        assert_eq!(
            values("[ipv4-addr:value = '45.155.205.0/24' OR ipv6-addr:value = '2a0e:1c80::/29'] OR ([domain-name:value = 'bad.example.net'])").unwrap(),
            [
                "ipv4-addr:value=45.155.205.0/24",
                "ipv6-addr:value=2a0e:1c80::/29",
                "domain-name:value=bad.example.net"
            ]
        );
        assert_eq!(
            values("[ipv4-addr:value IN ('1.10.16.1', '1.10.16.2') OR autonomous-system:number = 64496]").unwrap(),
            [
                "ipv4-addr:value=1.10.16.1",
                "ipv4-addr:value=1.10.16.2",
                "autonomous-system:number=64496"
            ]
        );
        assert_eq!(
            values("[ipv4-addr:value ISSUBSET '91.92.109.0/24']").unwrap(),
            ["ipv4-addr:value=91.92.109.0/24"]
        );
        assert_eq!(
            values(r"[url:value = 'http://x.example/it\'s']").unwrap(),
            ["url:value=http://x.example/it's"]
        );
        assert_eq!(
            values("[file:hashes.'SHA-256' = 'abc']").unwrap(),
            ["file:hashes.'SHA-256'=abc"]
        );
    }

    #[test]
    fn inputs_other_than_a_bundle() {
        let now = time::macros::datetime!(2026-11-01 12:00 UTC);
        let one = r#"{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '91.92.109.14']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}"#;
        assert_eq!(parse(one, now).indicators.len(), 1);
        let array = format!("[{one},\n{{\"type\":\"indicator\",\"id\":\"indicator--2\",\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\",\"valid_from\":\"yesterday\"}}]");
        let feed = parse(&array, now);
        assert_eq!(feed.indicators.len(), 1);
        assert_eq!(feed.error_count, 1);
        assert_eq!(feed.errors[0].line, 2);
        assert!(feed.errors[0].message.contains("not an RFC 3339 timestamp"));
        let feed = parse("{\"type\": \"bundle\",\n  \"objects\": [1, 2", now);
        assert_eq!(feed.errors[0].line, 2);
        assert!(parse("{\"type\": \"bundle\"}", now).errors[0]
            .message
            .contains("no \"objects\""));
        assert_eq!(parse("42", now).error_count, 1);
    }

    #[test]
    fn narrowing_patterns_are_rejected() {
        for pattern in [
            "[ipv4-addr:value = '1.2.3.4' AND network-traffic:dst_port = 443]",
            "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']",
            "[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS",
            "[ipv4-addr:value != '1.2.3.4']",
            "[NOT ipv4-addr:value = '1.2.3.4']",
            "[ipv4-addr:value = '1.2.3.4'",
            "ipv4-addr:value = '1.2.3.4'",
            "[ipv4-addr:value = 'open",
            "",
            &"(".repeat(1000),
        ] {
            assert!(values(pattern).is_err(), "{pattern}");
        }
        assert!(values("[ipv4-addr:value = '1.2.3.4' AND x:y = 1]")
            .unwrap_err()
            .contains("`AND` narrows"));
    }
}
