//! Threat intelligence → Cloudflare rule proposals.
//!
//! Three pure steps, each usable on its own:
//!
//! 1. **Parse** a feed ([`parse_feed`]): plain IP/CIDR lists, Spamhaus DROP (text and JSON lines),
//!    FireHOL netsets, Tor exit lists (bulk list and `exit-addresses`), abuse.ch Feodo Tracker and
//!    ThreatFox CSV, CSV with IP/CIDR/ASN/country columns, and STIX 2.1 bundles. Every parser keeps
//!    going on bad lines and reports them with their line numbers ([`ParsedFeed::errors`]).
//! 2. **Normalise** ([`normalise()`]): drop private, reserved, bogon and Cloudflare's own ranges,
//!    aggregate, fit Cloudflare's list limits, and leave out what the zone already blocks.
//! 3. **Propose** ([`propose()`]): the exact API payloads for a Cloudflare IP list and a custom rule
//!    that blocks it, the same as Terraform HCL (cloudflare provider v5), and a summary for a merge
//!    request. Nothing is applied here.
//!
//! Core does no IO and reads no clock: the caller passes the feed's text and `now`.
//!
//! ```
//! use cfcp::intel::{normalise, parse_feed, propose, FeedFormat, NormaliseOptions, ProposeOptions};
//!
//! let now = time::macros::datetime!(2026-11-01 12:00 UTC);
//! let feed = parse_feed(FeedFormat::SpamhausDrop, "; Spamhaus DROP\n1.10.16.0/20 ; SBL256894\n", now);
//! assert_eq!(feed.indicators.len(), 1);
//!
//! let snapshot = cfcp::snapshot::demo();
//! let normalised = normalise(&feed.indicators, &snapshot, Some("acme-api.io"), &NormaliseOptions::default());
//! assert_eq!(normalised.items[0].net.to_string(), "1.10.16.0/20");
//!
//! let proposal = propose(&normalised, &snapshot, Some("acme-api.io"), &ProposeOptions::new("spamhaus_drop")).unwrap();
//! assert_eq!(proposal.rule_payload["expression"], "(ip.src in $spamhaus_drop)");
//! assert!(proposal.hcl.contains("resource \"cloudflare_list\" \"spamhaus_drop\""));
//! ```

mod csv;
mod feodo;
pub mod hcl;
pub mod normalise;
mod plain;
pub mod propose;
mod spamhaus;
mod stix;
mod threatfox;
mod tor;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::Serialize;

pub use normalise::{
    normalise, DropReason, Dropped, Item, NormaliseOptions, NormaliseStats, Normalised,
    ENTERPRISE_ITEM_LIMIT, ITEM_LIMIT,
};
pub use propose::{propose, ApiRequest, Proposal, ProposeOptions, ProposedAction};

/// At most this many [`LineError`]s are kept per feed; [`ParsedFeed::error_count`] counts them all.
pub const MAX_STORED_ERRORS: usize = 1000;

/// At most this many characters of a bad line are kept in [`LineError::text`].
const MAX_ERROR_TEXT: usize = 200;

/// One indicator's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum IndicatorValue {
    /// A single address.
    Ip(IpAddr),
    /// A network (host bits may be set as the feed wrote them; [`normalise()`] truncates).
    Cidr(IpNet),
    /// An autonomous system number.
    Asn(u32),
    /// An ISO 3166-1 alpha-2 country code, upper case.
    Country(String),
    /// A domain name, lower case.
    Domain(String),
    /// A URL.
    Url(String),
}

impl IndicatorValue {
    /// The network an IP or CIDR indicator covers (`/32` or `/128` for an address).
    ///
    /// ```
    /// use cfcp::intel::IndicatorValue;
    /// let ip = IndicatorValue::Ip("192.0.2.7".parse().unwrap());
    /// assert_eq!(ip.net().unwrap().to_string(), "192.0.2.7/32");
    /// assert!(IndicatorValue::Asn(64496).net().is_none());
    /// ```
    pub fn net(&self) -> Option<IpNet> {
        match self {
            IndicatorValue::Ip(ip) => Some(IpNet::from(*ip)),
            IndicatorValue::Cidr(net) => Some(*net),
            _ => None,
        }
    }

    /// The kind's name: `ip`, `cidr`, `asn`, `country`, `domain`, `url`.
    pub fn kind(&self) -> &'static str {
        match self {
            IndicatorValue::Ip(_) => "ip",
            IndicatorValue::Cidr(_) => "cidr",
            IndicatorValue::Asn(_) => "asn",
            IndicatorValue::Country(_) => "country",
            IndicatorValue::Domain(_) => "domain",
            IndicatorValue::Url(_) => "url",
        }
    }
}

impl fmt::Display for IndicatorValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndicatorValue::Ip(ip) => ip.fmt(f),
            IndicatorValue::Cidr(net) => net.fmt(f),
            IndicatorValue::Asn(asn) => write!(f, "AS{asn}"),
            IndicatorValue::Country(c) | IndicatorValue::Domain(c) | IndicatorValue::Url(c) => {
                f.write_str(c)
            }
        }
    }
}

/// One indicator from a feed, with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indicator {
    /// What to block.
    pub value: IndicatorValue,
    /// 1-based line of the feed it came from.
    pub line: usize,
    /// What the feed says about it (`SBL256894`, `Feodo C2: QakBot (online)`), if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Indicator {
    pub(crate) fn new(value: IndicatorValue, line: usize, comment: Option<String>) -> Self {
        Indicator {
            value,
            line,
            comment: comment.filter(|c| !c.is_empty()),
        }
    }
}

/// A line the parser could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
    /// The line (at most 200 characters of it).
    pub text: String,
}

/// What a parser made of a feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedFeed {
    /// The format parsed.
    pub format: FeedFormat,
    /// The indicators found, in feed order.
    pub indicators: Vec<Indicator>,
    /// Lines that could not be used, in order (the first [`MAX_STORED_ERRORS`]).
    pub errors: Vec<LineError>,
    /// How many lines or entries were bad (`errors` keeps the first [`MAX_STORED_ERRORS`]).
    pub error_count: usize,
    /// Entries deliberately not used: expired or revoked STIX indicators, hashes, metadata, ...
    pub skipped: usize,
    /// `skipped`, by reason.
    pub skip_reasons: BTreeMap<String, usize>,
    /// Lines in the feed.
    pub lines: usize,
}

impl ParsedFeed {
    pub(crate) fn new(format: FeedFormat, text: &str) -> Self {
        ParsedFeed {
            format,
            indicators: Vec::new(),
            errors: Vec::new(),
            error_count: 0,
            skipped: 0,
            skip_reasons: BTreeMap::new(),
            lines: text.lines().count(),
        }
    }

    pub(crate) fn error(&mut self, line: usize, message: impl Into<String>, text: &str) {
        self.error_count += 1;
        if self.errors.len() < MAX_STORED_ERRORS {
            self.errors.push(LineError {
                line,
                message: message.into(),
                text: clip(text),
            });
        }
    }

    pub(crate) fn skip(&mut self, reason: &str) {
        self.skipped += 1;
        *self.skip_reasons.entry(reason.to_string()).or_default() += 1;
    }

    pub(crate) fn push(&mut self, value: IndicatorValue, line: usize, comment: Option<String>) {
        self.indicators.push(Indicator::new(value, line, comment));
    }

    /// How many indicators of each kind (`ip`, `cidr`, `asn`, ...) were found.
    pub fn counts_by_kind(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for indicator in &self.indicators {
            *out.entry(indicator.value.kind()).or_default() += 1;
        }
        out
    }
}

/// The feed formats [`parse_feed`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedFormat {
    /// One IP or CIDR per line; `#` and `;` start comments.
    Plain,
    /// Spamhaus DROP / EDROP: `1.10.16.0/20 ; SBL256894`, or the JSON-lines edition.
    SpamhausDrop,
    /// FireHOL `.netset` / `.ipset` files.
    Firehol,
    /// Tor exit lists: the bulk exit list (one IP per line) or `exit-addresses`.
    Tor,
    /// abuse.ch Feodo Tracker botnet C2 IP blocklist (CSV).
    Feodo,
    /// abuse.ch ThreatFox IOC export (CSV).
    #[serde(rename = "threatfox")]
    ThreatFox,
    /// CSV with a header naming IP, CIDR, ASN and/or country columns.
    Csv,
    /// A STIX 2.1 bundle (JSON).
    Stix,
}

impl FeedFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [FeedFormat; 8] = [
        FeedFormat::Plain,
        FeedFormat::SpamhausDrop,
        FeedFormat::Firehol,
        FeedFormat::Tor,
        FeedFormat::Feodo,
        FeedFormat::ThreatFox,
        FeedFormat::Csv,
        FeedFormat::Stix,
    ];

    /// The name the CLI uses (`spamhaus-drop`, `threatfox`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FeedFormat::Plain => "plain",
            FeedFormat::SpamhausDrop => "spamhaus-drop",
            FeedFormat::Firehol => "firehol",
            FeedFormat::Tor => "tor",
            FeedFormat::Feodo => "feodo",
            FeedFormat::ThreatFox => "threatfox",
            FeedFormat::Csv => "csv",
            FeedFormat::Stix => "stix",
        }
    }

    /// A human name for summaries (`Spamhaus DROP`).
    pub fn title(self) -> &'static str {
        match self {
            FeedFormat::Plain => "IP/CIDR list",
            FeedFormat::SpamhausDrop => "Spamhaus DROP",
            FeedFormat::Firehol => "FireHOL netset",
            FeedFormat::Tor => "Tor exit list",
            FeedFormat::Feodo => "abuse.ch Feodo Tracker",
            FeedFormat::ThreatFox => "abuse.ch ThreatFox",
            FeedFormat::Csv => "CSV",
            FeedFormat::Stix => "STIX 2.1 bundle",
        }
    }
}

impl fmt::Display for FeedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FeedFormat {
    type Err = String;

    /// Parses a CLI format name (case-insensitive; `_` and `-` are interchangeable).
    ///
    /// ```
    /// use cfcp::intel::FeedFormat;
    /// assert_eq!("spamhaus_drop".parse::<FeedFormat>(), Ok(FeedFormat::SpamhausDrop));
    /// assert!("xml".parse::<FeedFormat>().unwrap_err().contains("plain|spamhaus-drop"));
    /// ```
    fn from_str(text: &str) -> Result<Self, String> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match wanted.as_str() {
            "spamhaus" | "drop" => Some(FeedFormat::SpamhausDrop),
            "netset" | "ipset" => Some(FeedFormat::Firehol),
            "stix2" | "stix-2.1" => Some(FeedFormat::Stix),
            "thread-fox" => Some(FeedFormat::ThreatFox),
            _ => None,
        };
        alias
            .or_else(|| FeedFormat::ALL.into_iter().find(|f| f.name() == wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = FeedFormat::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown feed format {text:?}: expected one of {}",
                    names.join("|")
                )
            })
    }
}

/// Parses a feed. `now` decides which STIX indicators are still valid (`valid_from`,
/// `valid_until`); the other formats ignore it.
///
/// Bad lines never stop the parse: each is counted and reported with its line number.
///
/// ```
/// use cfcp::intel::{parse_feed, FeedFormat};
/// let now = time::macros::datetime!(2026-11-01 12:00 UTC);
/// let feed = parse_feed(FeedFormat::Plain, "# bad hosts\n45.155.205.0/24\nnot-an-ip\n185.220.101.4\n", now);
/// assert_eq!(feed.indicators.len(), 2);
/// assert_eq!((feed.errors[0].line, feed.errors[0].text.as_str()), (3, "not-an-ip"));
/// ```
pub fn parse_feed(format: FeedFormat, text: &str, now: time::OffsetDateTime) -> ParsedFeed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        FeedFormat::Plain => plain::parse(text, FeedFormat::Plain),
        FeedFormat::Firehol => plain::parse(text, FeedFormat::Firehol),
        FeedFormat::SpamhausDrop => spamhaus::parse(text),
        FeedFormat::Tor => tor::parse(text),
        FeedFormat::Feodo => feodo::parse(text),
        FeedFormat::ThreatFox => threatfox::parse(text),
        FeedFormat::Csv => csv::parse(text),
        FeedFormat::Stix => stix::parse(text, now),
    }
}

/// [`parse_feed`] on bytes: invalid UTF-8 is replaced (U+FFFD), so only the lines holding it
/// become errors.
///
/// ```
/// use cfcp::intel::{parse_feed_bytes, FeedFormat};
/// let now = time::macros::datetime!(2026-11-01 12:00 UTC);
/// let feed = parse_feed_bytes(FeedFormat::Plain, b"45.155.205.7\n\xff\xfe\n", now);
/// assert_eq!((feed.indicators.len(), feed.errors[0].line), (1, 2));
/// ```
pub fn parse_feed_bytes(format: FeedFormat, bytes: &[u8], now: time::OffsetDateTime) -> ParsedFeed {
    parse_feed(format, &String::from_utf8_lossy(bytes), now)
}

/// Keeps at most [`MAX_ERROR_TEXT`] characters of a line.
fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_TEXT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Parses an IP address or a CIDR (`192.0.2.1`, `198.51.100.0/24`, `2001:db8::/32`).
fn parse_ip_or_cidr(token: &str) -> Result<IndicatorValue, String> {
    if token.contains('/') {
        IpNet::from_str(token)
            .map(IndicatorValue::Cidr)
            .map_err(|_| format!("{token:?} is not a valid CIDR"))
    } else {
        IpAddr::from_str(token)
            .map(IndicatorValue::Ip)
            .map_err(|_| format!("{token:?} is not an IP address or CIDR"))
    }
}

/// Parses an ASN: `13335`, `AS13335`, `as13335`.
fn parse_asn(token: &str) -> Result<u32, String> {
    let digits = token
        .strip_prefix("AS")
        .or_else(|| token.strip_prefix("as"))
        .or_else(|| token.strip_prefix("As"))
        .unwrap_or(token);
    digits
        .parse::<u32>()
        .map_err(|_| format!("{token:?} is not an AS number"))
}

/// Parses a two-letter country code.
fn parse_country(token: &str) -> Result<String, String> {
    if token.len() == 2 && token.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(token.to_ascii_uppercase())
    } else {
        Err(format!("{token:?} is not a two-letter country code"))
    }
}

/// Checks a domain name loosely: labels of letters, digits, `-` and `_`, at least one dot.
fn parse_domain(token: &str) -> Result<String, String> {
    let domain = token.trim_end_matches('.').to_ascii_lowercase();
    let ok = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(domain)
    } else {
        Err(format!("{token:?} is not a domain name"))
    }
}

/// Checks a URL loosely: a scheme, `://` and a host.
fn parse_url(token: &str) -> Result<String, String> {
    match token.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
                && !rest.is_empty()
                && !token.chars().any(char::is_whitespace) =>
        {
            Ok(token.to_string())
        }
        _ => Err(format!("{token:?} is not a URL")),
    }
}

/// Lines with 1-based numbers.
fn numbered(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, line)| (i + 1, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_through_their_names() {
        for format in FeedFormat::ALL {
            assert_eq!(format.name().parse::<FeedFormat>(), Ok(format));
            let json = serde_json::to_string(&format).unwrap();
            assert_eq!(json, format!("\"{}\"", format.name()));
        }
    }

    #[test]
    fn value_parsers_accept_and_reject() {
        assert_eq!(parse_asn("AS13335"), Ok(13335));
        assert_eq!(parse_asn("64496"), Ok(64496));
        assert!(parse_asn("AS-1").is_err());
        assert_eq!(parse_country("nl"), Ok("NL".to_string()));
        assert!(parse_country("NLD").is_err());
        assert_eq!(
            parse_domain("Evil.Example.COM."),
            Ok("evil.example.com".into())
        );
        assert!(parse_domain("localhost").is_err());
        assert!(parse_domain("a..b").is_err());
        assert!(parse_url("http://x.example/a b").is_err());
        assert!(parse_url("https://x.example/gate.php").is_ok());
        assert!(matches!(
            parse_ip_or_cidr("10.0.0.0/8"),
            Ok(IndicatorValue::Cidr(_))
        ));
        assert!(parse_ip_or_cidr("10.0.0.0/33").is_err());
        assert!(parse_ip_or_cidr("300.1.1.1").is_err());
    }

    #[test]
    fn long_bad_lines_are_clipped_and_errors_capped() {
        let now = time::macros::datetime!(2026-11-01 12:00 UTC);
        let long = "x".repeat(5000);
        let feed = parse_feed(FeedFormat::Plain, &long, now);
        assert_eq!(feed.errors[0].text.chars().count(), MAX_ERROR_TEXT + 1);
        let garbage = "garbage\n".repeat(MAX_STORED_ERRORS + 10);
        let feed = parse_feed(FeedFormat::Plain, &garbage, now);
        assert_eq!(feed.errors.len(), MAX_STORED_ERRORS);
        assert_eq!(feed.error_count, MAX_STORED_ERRORS + 10);
        assert_eq!(feed.errors.last().unwrap().line, MAX_STORED_ERRORS);
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let now = time::macros::datetime!(2026-11-01 12:00 UTC);
        let feed = parse_feed(FeedFormat::Plain, "\u{feff}45.155.205.7\n", now);
        assert_eq!(feed.indicators.len(), 1);
        assert_eq!(feed.error_count, 0);
    }
}
