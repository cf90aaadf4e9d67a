//! Plain IP/CIDR lists and FireHOL netsets: one address, network or range per line.
//!
//! `#` and `;` start comments (whole-line or trailing). Anything after the first token on a line is
//! kept as the indicator's comment. FireHOL ipsets may hold ranges (`192.0.2.1-192.0.2.9`); these
//! become the CIDRs that cover them exactly.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

use super::{numbered, parse_ip_or_cidr, FeedFormat, IndicatorValue, ParsedFeed};

pub(super) fn parse(text: &str, format: FeedFormat) -> ParsedFeed {
    let mut feed = ParsedFeed::new(format, text);
    for (line_no, line) in numbered(text) {
        let (data, trailing) = split_comment(line);
        let data = data.trim();
        if data.is_empty() {
            continue;
        }
        let (token, rest) = data
            .split_once(char::is_whitespace)
            .map_or((data, ""), |(t, r)| (t, r.trim()));
        let comment = [rest, trailing.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let comment = (!comment.is_empty()).then_some(comment);
        match parse_entry(token) {
            Ok(values) => {
                for value in values {
                    feed.push(value, line_no, comment.clone());
                }
            }
            Err(message) => feed.error(line_no, message, line),
        }
    }
    feed
}

/// Splits a line at the first `#` or `;`.
pub(super) fn split_comment(line: &str) -> (&str, &str) {
    match line.find(['#', ';']) {
        Some(at) => (&line[..at], &line[at + 1..]),
        None => (line, ""),
    }
}

/// An address, a CIDR or a range `a-b` (which gives at most 62 IPv4 or 254 IPv6 CIDRs).
pub(super) fn parse_entry(token: &str) -> Result<Vec<IndicatorValue>, String> {
    let Some((first, last)) = token.split_once('-') else {
        return parse_ip_or_cidr(token).map(|v| vec![v]);
    };
    let bad = || format!("{token:?} is not an IP address, CIDR or range");
    let first: IpAddr = first.trim().parse().map_err(|_| bad())?;
    let last: IpAddr = last.trim().parse().map_err(|_| bad())?;
    let nets: Vec<IpNet> = match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => {
            Ipv4Subnets::new(a, b, 0).map(IpNet::V4).collect()
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => {
            Ipv6Subnets::new(a, b, 0).map(IpNet::V6).collect()
        }
        _ => {
            return Err(format!(
                "{token:?}: a range must go from a lower to a higher address of the same family"
            ))
        }
    };
    Ok(nets.into_iter().map(IndicatorValue::Cidr).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(feed: &ParsedFeed) -> Vec<String> {
        feed.indicators
            .iter()
            .map(|i| i.value.to_string())
            .collect()
    }

    #[test]
    fn comments_blank_lines_and_trailing_text() {
        let text = "# header\n; other header\n\n45.155.205.0/24 # scanner\n185.220.101.4\tseen 3 times\n  2a0e:1c80::/29 ; v6\n";
        let feed = parse(text, FeedFormat::Plain);
        assert_eq!(
            strings(&feed),
            ["45.155.205.0/24", "185.220.101.4", "2a0e:1c80::/29"]
        );
        assert_eq!(feed.indicators[0].line, 4);
        assert_eq!(feed.indicators[0].comment.as_deref(), Some("scanner"));
        assert_eq!(feed.indicators[1].comment.as_deref(), Some("seen 3 times"));
        assert_eq!(feed.error_count, 0);
    }

    #[test]
    fn garbage_lines_are_counted_with_line_numbers() {
        let text = "45.155.205.7\nhello world\n999.1.1.1\n45.155.205.8/40\n91.92.109.0/24\n";
        let feed = parse(text, FeedFormat::Plain);
        assert_eq!(feed.indicators.len(), 2);
        assert_eq!(feed.error_count, 3);
        let lines: Vec<usize> = feed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert_eq!(feed.errors[0].text, "hello world");
        assert!(feed.errors[2].message.contains("not a valid CIDR"));
    }

    #[test]
    fn firehol_netset_with_ranges() {
        let text = "#\n# firehol_level1\n#\n# Maintainer      : FireHOL\n#\n5.134.128.0/19\n5.180.4.0-5.180.4.255\n31.40.156.0-31.40.156.9\n";
        let feed = parse(text, FeedFormat::Firehol);
        assert_eq!(feed.format, FeedFormat::Firehol);
        assert_eq!(
            strings(&feed),
            [
                "5.134.128.0/19",
                "5.180.4.0/24",
                "31.40.156.0/29",
                "31.40.156.8/31"
            ]
        );
        let bad = parse(
            "9.9.9.9-1.1.1.1\n1.1.1.1-2001:db8::1\n1.1.1.x-1.1.1.9\n",
            FeedFormat::Firehol,
        );
        assert_eq!(bad.error_count, 3);
        assert!(bad.errors[0].message.contains("lower to a higher"));
        let widest = parse("0.0.0.1-255.255.255.254\n", FeedFormat::Firehol);
        assert_eq!(widest.indicators.len(), 62);
    }
}
