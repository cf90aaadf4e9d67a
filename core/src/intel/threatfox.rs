//! abuse.ch ThreatFox IOC export (CSV).
//!
//! Quoted columns `first_seen_utc, ioc_id, ioc_value, ioc_type, threat_type, fk_malware,
//! malware_alias, malware_printable, last_seen_utc, confidence_level, reference, tags, anonymous,
//! reporter` (separated by `", "`), under `#` comment lines; the header may be one of them. Types
//! used: `ip:port` (`1.2.3.4:443`, `[2001:db8::1]:443`), `domain`, `url`; hashes are skipped and
//! counted.

use std::net::{IpAddr, SocketAddr};

use super::csv::for_each_abuse_ch_row;
use super::{parse_domain, parse_url, FeedFormat, IndicatorValue, ParsedFeed};

const DEFAULT_COLUMNS: [&str; 14] = [
    "first_seen_utc",
    "ioc_id",
    "ioc_value",
    "ioc_type",
    "threat_type",
    "fk_malware",
    "malware_alias",
    "malware_printable",
    "last_seen_utc",
    "confidence_level",
    "reference",
    "tags",
    "anonymous",
    "reporter",
];

pub(super) fn parse(text: &str) -> ParsedFeed {
    let mut feed = ParsedFeed::new(FeedFormat::ThreatFox, text);
    for_each_abuse_ch_row(
        &mut feed,
        text,
        &DEFAULT_COLUMNS,
        "ioc_value",
        &["None"],
        |feed, line_no, line, row| {
            let (Some(value), Some(kind)) = (row.get("ioc_value"), row.get("ioc_type")) else {
                feed.error(line_no, "no ioc_value or ioc_type in this row", line);
                return;
            };
            let mut comment = format!(
                "ThreatFox {}",
                row.get("malware_printable")
                    .or(row.get("fk_malware"))
                    .unwrap_or("unknown malware")
            );
            if let Some(threat) = row.get("threat_type") {
                comment.push_str(&format!(" {threat}"));
            }
            if let Some(id) = row.get("ioc_id") {
                comment.push_str(&format!(" (ioc {id})"));
            }
            let parsed = match kind.to_ascii_lowercase().as_str() {
                "ip:port" => parse_ip_port(value).map(IndicatorValue::Ip),
                "ip" => value
                    .parse::<IpAddr>()
                    .map(IndicatorValue::Ip)
                    .map_err(|_| format!("{value:?} is not an IP address")),
                "domain" => parse_domain(value).map(IndicatorValue::Domain),
                "url" => parse_url(value).map(IndicatorValue::Url),
                other if other.ends_with("_hash") => {
                    feed.skip("file hash");
                    return;
                }
                other => {
                    feed.skip(&format!("ioc_type {other}"));
                    return;
                }
            };
            match parsed {
                Ok(v) => feed.push(v, line_no, Some(comment)),
                Err(message) => feed.error(line_no, message, line),
            }
        },
    );
    feed
}

/// `1.2.3.4:443`, `[2001:db8::1]:443`, or a bare address.
fn parse_ip_port(value: &str) -> Result<IpAddr, String> {
    value
        .parse::<SocketAddr>()
        .map(|s| s.ip())
        .or_else(|_| value.parse::<IpAddr>())
        .map_err(|_| format!("{value:?} is not an ip:port"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threatfox_export() {
        let text = r#"################################################################
# ThreatFox IOCs: CSV export                                   #
# Last updated: 2026-11-01 10:05:12 UTC                        #
################################################################
#
# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"
"2026-11-01 09:58:02", "1621001", "91.92.109.14:443", "ip:port", "botnet_cc", "win.cobalt_strike", "Agentemis", "Cobalt Strike", "", "100", "None", "CobaltStrike,cs-watermark-987654321", "0", "abuse_ch"
"2026-11-01 09:41:37", "1621000", "[2a0e:1c80:1::7]:8443", "ip:port", "botnet_cc", "elf.mirai", "Katana", "Mirai", "", "75", "None", "Mirai", "0", "ELLIO_TECH"
"2026-11-01 09:30:00", "1620999", "update-check.example-cdn.top", "domain", "payload_delivery", "win.lumma", "None", "Lumma Stealer", "", "100", "None", "Lumma", "0", "abuse_ch"
"2026-11-01 09:20:00", "1620998", "http://45.155.205.7/bins/x86", "url", "payload_delivery", "elf.mirai", "None", "Mirai", "", "100", "None", "None", "0", "abuse_ch"
"2026-11-01 09:10:00", "1620997", "0c2b8c8f0e6a6d3f7c1e2a4b5d6e7f80", "md5_hash", "payload", "win.lumma", "None", "Lumma Stealer", "", "100", "None", "None", "0", "abuse_ch"
"2026-11-01 09:00:00", "1620996", "999.1.1.1:80", "ip:port", "botnet_cc", "win.x", "None", "X", "", "50", "None", "None", "0", "abuse_ch"
"#;
        let feed = parse(text);
        let values: Vec<String> = feed
            .indicators
            .iter()
            .map(|i| i.value.to_string())
            .collect();
        assert_eq!(
            values,
            [
                "91.92.109.14",
                "2a0e:1c80:1::7",
                "update-check.example-cdn.top",
                "http://45.155.205.7/bins/x86"
            ]
        );
        assert_eq!(
            feed.indicators[0].comment.as_deref(),
            Some("ThreatFox Cobalt Strike botnet_cc (ioc 1621001)")
        );
        assert_eq!(feed.skip_reasons["file hash"], 1);
        assert_eq!(feed.errors.len(), 1);
        assert_eq!(feed.errors[0].line, 12);
    }
}
