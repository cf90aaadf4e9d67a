//! abuse.ch Feodo Tracker botnet C2 IP blocklist (CSV).
//!
//! Columns `first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware`, quoted, with `#`
//! comment lines around them. The header may be a comment (`# "first_seen_utc","dst_ip",...`) or a
//! plain line; without one the documented column order is assumed.

use std::net::IpAddr;

use super::csv::for_each_abuse_ch_row;
use super::{FeedFormat, IndicatorValue, ParsedFeed};

const DEFAULT_COLUMNS: [&str; 6] = [
    "first_seen_utc",
    "dst_ip",
    "dst_port",
    "c2_status",
    "last_online",
    "malware",
];

pub(super) fn parse(text: &str) -> ParsedFeed {
    let mut feed = ParsedFeed::new(FeedFormat::Feodo, text);
    for_each_abuse_ch_row(
        &mut feed,
        text,
        &DEFAULT_COLUMNS,
        "dst_ip",
        &[],
        |feed, line_no, line, row| {
            let Some(ip) = row.get("dst_ip") else {
                feed.error(line_no, "no dst_ip value in this row", line);
                return;
            };
            let Ok(ip) = ip.parse::<IpAddr>() else {
                feed.error(line_no, format!("dst_ip {ip:?} is not an IP address"), line);
                return;
            };
            let mut comment = format!(
                "Feodo C2 {}",
                row.get("malware").unwrap_or("unknown malware")
            );
            if let Some(port) = row.get("dst_port") {
                comment.push_str(&format!(" port {port}"));
            }
            if let Some(status) = row.get("c2_status") {
                comment.push_str(&format!(" ({status})"));
            }
            feed.push(IndicatorValue::Ip(ip), line_no, Some(comment));
        },
    );
    feed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feodo_csv_with_commented_header() {
        let text = r#"################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #
# Last updated: 2026-11-01 09:41:07 UTC                        #
################################################################
#
# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2025-12-02 14:52:11","50.16.16.211","443","online","2026-10-31","QakBot"
"2026-01-19 08:01:40","162.243.103.246","8080","offline","2026-09-02","Emotet"
"2026-02-03 10:00:00","not-an-ip","443","online","2026-10-31","Pikabot"
"2026-02-03 10:00:00","1.2.3.4
# Number of entries: 4
"#;
        let feed = parse(text);
        assert_eq!(feed.indicators.len(), 2);
        assert_eq!(feed.indicators[0].value.to_string(), "50.16.16.211");
        assert_eq!(feed.indicators[0].line, 7);
        assert_eq!(
            feed.indicators[0].comment.as_deref(),
            Some("Feodo C2 QakBot port 443 (online)")
        );
        let lines: Vec<usize> = feed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [9, 10]);
    }

    #[test]
    fn plain_header_in_another_order() {
        let text = "malware,dst_ip\nDridex,45.155.205.7\n";
        let feed = parse(text);
        assert_eq!(feed.indicators.len(), 1);
        assert_eq!(
            feed.indicators[0].comment.as_deref(),
            Some("Feodo C2 Dridex")
        );
    }
}
