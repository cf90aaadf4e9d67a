//! Tor exit lists.
//!
//! * The bulk exit list: one address per line (`#` comments allowed).
//! * `exit-addresses` (TorDNSEL): records of `ExitNode <fingerprint>`, `Published <date> <time>`,
//!   `LastStatus <date> <time>` and one or more `ExitAddress <ip> <date> <time>` lines.
//!
//! The format is decided per line: a line starting with a known keyword is `exit-addresses`,
//! anything else must be an address.

use std::net::IpAddr;

use super::plain::split_comment;
use super::{numbered, FeedFormat, IndicatorValue, ParsedFeed};

pub(super) fn parse(text: &str) -> ParsedFeed {
    let mut feed = ParsedFeed::new(FeedFormat::Tor, text);
    let mut fingerprint: Option<String> = None;
    for (line_no, line) in numbered(text) {
        let (data, _) = split_comment(line);
        let mut words = data.split_whitespace();
        let Some(first) = words.next() else {
            continue;
        };
        match first {
            "ExitNode" => match words.next() {
                Some(fp) if fp.len() == 40 && fp.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    fingerprint = Some(fp.to_ascii_uppercase());
                }
                _ => {
                    fingerprint = None;
                    feed.error(line_no, "ExitNode needs a 40-hex-digit fingerprint", line);
                }
            },
            "Published" | "LastStatus" => {}
            "ExitAddress" => match words.next().map(str::parse::<IpAddr>) {
                Some(Ok(ip)) => {
                    let comment = match &fingerprint {
                        Some(fp) => format!("Tor exit {fp}"),
                        None => "Tor exit".to_string(),
                    };
                    feed.push(IndicatorValue::Ip(ip), line_no, Some(comment));
                }
                _ => feed.error(line_no, "ExitAddress needs an IP address", line),
            },
            token => match token.parse::<IpAddr>() {
                Ok(ip) if words.next().is_none() => {
                    feed.push(IndicatorValue::Ip(ip), line_no, Some("Tor exit".into()))
                }
                _ => feed.error(
                    line_no,
                    format!("expected an exit address or an exit-addresses keyword (ExitNode, Published, LastStatus, ExitAddress), found {token:?}"),
                    line,
                ),
            },
        }
    }
    feed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_exit_list() {
        let feed = parse("185.220.101.4\n185.220.101.5\n2001:67c:e60:c0c:192:42:116:16\nbogus\n");
        assert_eq!(feed.indicators.len(), 3);
        assert_eq!(feed.errors[0].line, 4);
    }

    #[test]
    fn exit_addresses() {
        let text = "ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E\nPublished 2026-10-31 20:04:23\nLastStatus 2026-11-01 01:00:00\nExitAddress 162.247.74.201 2026-11-01 01:06:40\nExitNode 00fe9b1b2b4b4a1d8c0b4b2d5d9d7e1a2b3c4d5e\nPublished 2026-10-31 21:14:53\nLastStatus 2026-11-01 02:00:00\nExitAddress 185.220.101.33 2026-11-01 02:11:09\nExitAddress 185.220.101.34 2026-11-01 02:11:09\nExitAddress not-an-ip 2026-11-01 02:11:09\nExitNode short\n";
        let feed = parse(text);
        assert_eq!(feed.indicators.len(), 3);
        assert_eq!(feed.indicators[0].line, 4);
        assert_eq!(
            feed.indicators[0].comment.as_deref(),
            Some("Tor exit 0011BD2485AD45D984EC4159C88FC066E5E3300E")
        );
        assert_eq!(
            feed.indicators[2].comment.as_deref(),
            Some("Tor exit 00FE9B1B2B4B4A1D8C0B4B2D5D9D7E1A2B3C4D5E")
        );
        let lines: Vec<usize> = feed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [10, 11]);
    }
}
