//! What an indicator is: detect its kind (IP, CIDR, ASN, country, domain, URL, request sample)
//! from free text and normalise it.
//!
//! Detection is lenient about wrapping (quotes, brackets around IPv6, `AS`/`ASN` prefixes, a
//! `country:` prefix, a trailing dot) and strict about content: `300.1.1.1` is not an IP and
//! `ZZ` is not a country. Anything it cannot read is [`IndicatorKind::Unknown`], never a panic.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::lookalike::punycode_decode;
use crate::rules::Request;

/// Indicators longer than this many bytes are not read (a request sample with a large body fits).
pub const MAX_INDICATOR_BYTES: usize = 1 << 20;

/// The kind of an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// One IPv4 or IPv6 address.
    Ip,
    /// A network.
    Cidr,
    /// An autonomous system number.
    Asn,
    /// An ISO 3166-1 alpha-2 country code (or Cloudflare's `T1` for Tor, `XX` for unknown).
    Country,
    /// A domain name.
    Domain,
    /// A URL: assessed as a `GET` request to it and as its host's domain.
    Url,
    /// A request sample: an HTTP request line (with optional headers and body) or a JSON request
    /// as `cfcp waf simulate` takes it.
    Request,
    /// Not recognised.
    Unknown,
}

impl IndicatorKind {
    /// The name used in JSON (`ip`, `cidr`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ip => "ip",
            IndicatorKind::Cidr => "cidr",
            IndicatorKind::Asn => "asn",
            IndicatorKind::Country => "country",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
            IndicatorKind::Request => "request",
            IndicatorKind::Unknown => "unknown",
        }
    }
}

/// A detected indicator's value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedValue {
    /// An address.
    Ip(IpAddr),
    /// A network, host bits cleared.
    Cidr(IpNet),
    /// An AS number.
    Asn(u32),
    /// A country code, upper case.
    Country(String),
    /// A domain, lower case, Unicode form (punycode labels decoded).
    Domain(String),
    /// A URL or request sample as a request; `host` is lower case.
    Request(Box<Request>),
    /// Why it was not recognised.
    Unknown(String),
}

/// What [`parse_indicator`] made of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedIndicator {
    /// The kind.
    pub kind: IndicatorKind,
    /// The value.
    pub value: ParsedValue,
    /// The normalised text (`198.51.100.0/24`, `AS64496`, `NL`, `example.com`, `GET
    /// https://host/path`).
    pub normalised: String,
    /// How the text was read, where that is not obvious (`host bits cleared`, `a bare number is
    /// read as an AS number`).
    pub notes: Vec<String>,
}

impl ParsedIndicator {
    fn new(kind: IndicatorKind, value: ParsedValue, normalised: String) -> Self {
        ParsedIndicator {
            kind,
            value,
            normalised,
            notes: Vec::new(),
        }
    }

    fn unknown(why: impl Into<String>) -> Self {
        let why = why.into();
        ParsedIndicator::new(
            IndicatorKind::Unknown,
            ParsedValue::Unknown(why),
            String::new(),
        )
    }

    fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// ISO 3166-1 alpha-2 codes officially assigned.
const ISO_COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Codes Cloudflare uses in `ip.src.country` beyond ISO 3166-1: Tor and unknown.
const CLOUDFLARE_COUNTRIES: &[&str] = &["T1", "XX"];

/// HTTP methods a request line may start with.
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "PROPFIND",
];

/// Members of a JSON request (`cfcp::rules::Request`); an object with none of them is no request.
const REQUEST_MEMBERS: &[&str] = &[
    "method",
    "scheme",
    "host",
    "path",
    "query",
    "headers",
    "body",
    "body_form",
    "client_ip",
    "country",
    "continent",
    "asn",
    "bot_score",
    "verified_bot",
    "waf_score",
    "fields",
];

/// True for a code [`parse_indicator`] reads as a country (`NL`, `T1`), upper case expected.
///
/// ```
/// assert!(cfcp::oracle::is_country_code("NL"));
/// assert!(cfcp::oracle::is_country_code("T1")); // Cloudflare's code for Tor
/// assert!(!cfcp::oracle::is_country_code("ZZ") && !cfcp::oracle::is_country_code("nl"));
/// ```
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2
        && (CLOUDFLARE_COUNTRIES.contains(&code) || ISO_COUNTRIES.split(' ').any(|c| c == code))
}

/// Detects and normalises an indicator.
///
/// ```
/// use cfcp::oracle::{parse_indicator, IndicatorKind};
/// let p = parse_indicator("198.51.100.77/24");
/// assert_eq!((p.kind, p.normalised.as_str()), (IndicatorKind::Cidr, "198.51.100.0/24"));
/// assert_eq!(parse_indicator("as64496").normalised, "AS64496");
/// assert_eq!(parse_indicator("nl").kind, IndicatorKind::Country);
/// assert_eq!(parse_indicator("GET /login?next=/ HTTP/1.1").kind, IndicatorKind::Request);
/// assert_eq!(parse_indicator("not an indicator").kind, IndicatorKind::Unknown);
/// ```
pub fn parse_indicator(text: &str) -> ParsedIndicator {
    if text.len() > MAX_INDICATOR_BYTES {
        return ParsedIndicator::unknown(format!(
            "the indicator is {} bytes long; at most {MAX_INDICATOR_BYTES} are read",
            text.len()
        ));
    }
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return ParsedIndicator::unknown("the indicator is empty");
    }
    if trimmed.starts_with('{') {
        return parse_json_request(trimmed);
    }
    if let Some(parsed) = parse_request_text(trimmed) {
        return parsed;
    }
    // One token from here on: a request sample is the only multi-word form.
    let mut notes = Vec::new();
    let cleaned: String = trimmed.chars().filter(|c| !is_invisible(*c)).collect();
    if cleaned.len() != trimmed.len() {
        notes.push("invisible characters (zero-width, soft hyphen) were removed".to_owned());
    }
    let token = strip_quotes(cleaned.trim());
    let mut parsed = parse_token(token);
    notes.append(&mut parsed.notes);
    parsed.notes = notes;
    parsed
}

fn parse_token(token: &str) -> ParsedIndicator {
    if token.is_empty() {
        return ParsedIndicator::unknown("the indicator is empty");
    }
    if token.chars().any(char::is_whitespace) {
        if let Some(asn) = parse_asn_prefixed(&token.split_whitespace().collect::<String>()) {
            return asn;
        }
        return ParsedIndicator::unknown(
            "more than one word, and not an HTTP request line: expected one IP, CIDR, ASN, country, domain or URL",
        );
    }
    if let Some(parsed) = parse_ip(token) {
        return parsed;
    }
    if token.contains('/') && !token.contains("://") {
        if let Ok(net) = IpNet::from_str(token) {
            return cidr(net, token);
        }
    }
    if let Some(parsed) = parse_asn_prefixed(token) {
        return parsed;
    }
    if token.bytes().all(|b| b.is_ascii_digit()) {
        return match token.parse::<u32>() {
            Ok(asn) => asn_indicator(asn)
                .note("a bare number is read as an AS number (write AS64496 to be explicit)"),
            Err(_) => ParsedIndicator::unknown(format!(
                "{token:?} is a number too large for an AS number (at most 4294967295)"
            )),
        };
    }
    if let Some(parsed) = parse_country(token) {
        return parsed;
    }
    if token.contains("://") {
        return parse_url(token);
    }
    if let Some((host, rest)) = token.split_once('/') {
        if IpAddr::from_str(host).is_ok()
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_digit())
        {
            return ParsedIndicator::unknown(format!(
                "{token:?} is not a valid CIDR (prefix too long)"
            ));
        }
        if parse_domain(host).is_ok() || IpAddr::from_str(host).is_ok() {
            return parse_url(&format!("https://{token}")).note("no scheme: read as an https URL");
        }
    }
    let (token, wildcard) = match token.strip_prefix("*.") {
        Some(rest) => (rest, true),
        None => (token, false),
    };
    match parse_domain(token) {
        Ok((domain, domain_notes)) => {
            let mut parsed = ParsedIndicator::new(
                IndicatorKind::Domain,
                ParsedValue::Domain(domain.clone()),
                domain,
            );
            parsed.notes = domain_notes;
            if wildcard {
                parsed = parsed.note("the leading \"*.\" was dropped: assessed as the domain");
            }
            parsed
        }
        Err(why) => ParsedIndicator::unknown(why),
    }
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{00ad}' | '\u{180e}'
    )
}

fn strip_quotes(token: &str) -> &str {
    for (open, close) in [('"', '"'), ('\'', '\''), ('`', '`'), ('<', '>')] {
        if let Some(inner) = token.strip_prefix(open).and_then(|t| t.strip_suffix(close)) {
            return inner.trim();
        }
    }
    token
}

fn parse_ip(token: &str) -> Option<ParsedIndicator> {
    let (ip, note) = if let Ok(ip) = IpAddr::from_str(token) {
        (ip, None)
    } else if let Some(inner) = token.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        (IpAddr::from_str(inner).ok()?, None)
    } else if let Ok(socket) = SocketAddr::from_str(token) {
        (socket.ip(), Some(format!("port {} ignored", socket.port())))
    } else {
        return None;
    };
    let mut parsed = ip_indicator(ip);
    if let IpAddr::V6(v6) = ip {
        if let Some(v4) = v6.to_ipv4_mapped() {
            parsed = ip_indicator(IpAddr::V4(v4))
                .note(format!("IPv4-mapped IPv6 address {v6} read as {v4}"));
        }
    }
    if let Some(note) = note {
        parsed = parsed.note(note);
    }
    Some(parsed)
}

fn ip_indicator(ip: IpAddr) -> ParsedIndicator {
    ParsedIndicator::new(IndicatorKind::Ip, ParsedValue::Ip(ip), ip.to_string())
}

fn cidr(net: IpNet, written: &str) -> ParsedIndicator {
    let trunc = net.trunc();
    if trunc.prefix_len() == trunc.max_prefix_len() {
        return ip_indicator(trunc.addr()).note(format!(
            "{written} is a single address: assessed as {}",
            trunc.addr()
        ));
    }
    let parsed = ParsedIndicator::new(
        IndicatorKind::Cidr,
        ParsedValue::Cidr(trunc),
        trunc.to_string(),
    );
    if trunc != net {
        parsed.note(format!(
            "host bits cleared: {written} is the network {trunc}"
        ))
    } else {
        parsed
    }
}

fn asn_indicator(asn: u32) -> ParsedIndicator {
    ParsedIndicator::new(
        IndicatorKind::Asn,
        ParsedValue::Asn(asn),
        format!("AS{asn}"),
    )
}

/// `AS64496`, `ASN64496`, `asn:64496`, `AS 64496` (spaces removed by the caller).
fn parse_asn_prefixed(token: &str) -> Option<ParsedIndicator> {
    let lower = token.to_ascii_lowercase();
    let digits = lower
        .strip_prefix("asn")
        .or_else(|| lower.strip_prefix("as"))?;
    let digits = digits.trim_start_matches([':', '-', '=', '#']);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match digits.parse::<u32>() {
        Ok(asn) => asn_indicator(asn),
        Err(_) => ParsedIndicator::unknown(format!(
            "{token:?} is too large for an AS number (at most AS4294967295)"
        )),
    })
}

fn parse_country(token: &str) -> Option<ParsedIndicator> {
    let lower = token.to_ascii_lowercase();
    let code = ["country:", "country=", "cc:", "geo:"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower)
        .trim();
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let upper = code.to_ascii_uppercase();
    if !is_country_code(&upper) {
        return (code.len() != lower.len()).then(|| {
            ParsedIndicator::unknown(format!("{upper:?} is not an ISO 3166-1 country code"))
        });
    }
    let parsed = ParsedIndicator::new(
        IndicatorKind::Country,
        ParsedValue::Country(upper.clone()),
        upper.clone(),
    );
    Some(match upper.as_str() {
        "T1" => parsed.note("T1 is Cloudflare's country code for Tor exit nodes"),
        "XX" => parsed.note("XX is Cloudflare's country code for an unknown country"),
        _ => parsed,
    })
}

/// A domain name: Unicode or punycode labels of letters, digits, `-` and `_`, at least two
/// labels, a top-level label that is not all digits. Returns the lower-case Unicode form.
pub(crate) fn parse_domain(token: &str) -> Result<(String, Vec<String>), String> {
    let mut notes = Vec::new();
    let token = token.strip_suffix('.').unwrap_or(token);
    if token.len() > 253 {
        return Err(format!(
            "{} bytes is too long for a domain name (at most 253)",
            token.len()
        ));
    }
    let lower = token.to_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "{token:?} is not an IP, CIDR, ASN, country code, domain, URL or request"
        ));
    }
    let mut out = Vec::with_capacity(labels.len());
    for label in &labels {
        let ok_chars = label
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if label.is_empty() || label.len() > 63 || !ok_chars {
            return Err(format!(
                "{token:?} is not a domain name (bad label {label:?})"
            ));
        }
        match label.strip_prefix("xn--") {
            Some(encoded) => match punycode_decode(encoded) {
                Some(decoded) => {
                    notes.push(format!("punycode label {label} is {decoded:?}"));
                    out.push(decoded.to_lowercase());
                }
                None => return Err(format!("{label:?} is not valid punycode")),
            },
            None => out.push((*label).to_owned()),
        }
    }
    let tld = labels.last().copied().unwrap_or("");
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{token:?} looks like an IP address but is not a valid one"
        ));
    }
    Ok((out.join("."), notes))
}

fn parse_url(token: &str) -> ParsedIndicator {
    let Some((scheme, rest)) = token.split_once("://") else {
        return ParsedIndicator::unknown(format!("{token:?} is not a URL"));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return ParsedIndicator::unknown(format!(
            "{token:?}: only http and https URLs are assessed"
        ));
    }
    let (authority, path_and_query) = match rest.find(['/', '?', '#']) {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host_port.starts_with('[') {
        host_port
            .split_once(']')
            .map_or(host_port, |(h, _)| &h[1..])
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    let host = match (IpAddr::from_str(host), parse_domain(host)) {
        (Ok(ip), _) => ip.to_string(),
        (_, Ok((domain, _))) => domain,
        (_, Err(why)) => return ParsedIndicator::unknown(format!("the URL's host: {why}")),
    };
    let path_and_query = path_and_query.split('#').next().unwrap_or("/");
    let path_and_query = if path_and_query.starts_with('/') {
        path_and_query.to_owned()
    } else {
        format!("/{path_and_query}")
    };
    let mut request = Request::get(&host, &path_and_query);
    request.scheme = scheme.clone();
    let normalised = format!("{scheme}://{host}{path_and_query}");
    let mut parsed = ParsedIndicator::new(
        IndicatorKind::Url,
        ParsedValue::Request(Box::new(request)),
        normalised,
    );
    if authority.contains('@') {
        parsed = parsed
            .note("the URL has user information before \"@\": the real host is what follows it");
    }
    parsed
}

/// An HTTP request line, optionally followed by header lines and a body after a blank line.
fn parse_request_text(text: &str) -> Option<ParsedIndicator> {
    let mut lines = text.lines();
    let first = lines.next()?.trim();
    let mut words = first.split_whitespace();
    let method = words.next()?.to_ascii_uppercase();
    let target = words.next()?;
    if !METHODS.contains(&method.as_str()) {
        return None;
    }
    let mut request = Request {
        method: method.clone(),
        ..Request::default()
    };
    let mut notes = Vec::new();
    let path_and_query = if target.contains("://") {
        match parse_url(target) {
            ParsedIndicator {
                value: ParsedValue::Request(r),
                ..
            } => {
                request.scheme = r.scheme.clone();
                request.host = r.host.clone();
                request.path = r.path.clone();
                request.query = r.query.clone();
                None
            }
            other => {
                return Some(ParsedIndicator::unknown(format!(
                    "request line target: {}",
                    unknown_reason(&other)
                )))
            }
        }
    } else if target.starts_with('/') || target == "*" {
        Some(target)
    } else {
        return Some(ParsedIndicator::unknown(format!(
            "request line target {target:?} is neither a path nor an http(s) URL"
        )));
    };
    if let Some(target) = path_and_query {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        request.path = path.to_owned();
        request.query = query.to_owned();
    }
    if let Some(version) = words.next() {
        request.http_version = version.to_owned();
    }
    let mut body = Vec::new();
    let mut in_body = false;
    for line in lines {
        if in_body {
            body.push(line);
            continue;
        }
        if line.trim().is_empty() {
            in_body = true;
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() && !name.contains(' ') => {
                let (name, value) = (name.trim(), value.trim());
                if name.eq_ignore_ascii_case("host") && request.host.is_empty() {
                    request.host = value
                        .split(':')
                        .next()
                        .unwrap_or(value)
                        .to_ascii_lowercase();
                }
                request.headers.push((name.to_owned(), value.to_owned()));
            }
            _ => notes.push(format!("line {line:?} is not a header: ignored")),
        }
    }
    request.body = body.join("\n");
    let normalised = request_line(&request);
    let mut parsed = ParsedIndicator::new(
        IndicatorKind::Request,
        ParsedValue::Request(Box::new(request)),
        normalised,
    );
    parsed.notes = notes;
    Some(parsed)
}

fn unknown_reason(parsed: &ParsedIndicator) -> String {
    match &parsed.value {
        ParsedValue::Unknown(why) => why.clone(),
        _ => "not readable".to_owned(),
    }
}

fn parse_json_request(text: &str) -> ParsedIndicator {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return ParsedIndicator::unknown(format!("JSON that does not parse: {e}")),
    };
    let known = value
        .as_object()
        .is_some_and(|o| o.keys().any(|k| REQUEST_MEMBERS.contains(&k.as_str())));
    if !known {
        return ParsedIndicator::unknown(format!(
            "a JSON object without any request member ({})",
            REQUEST_MEMBERS.join(", ")
        ));
    }
    match serde_json::from_value::<Request>(value) {
        Ok(mut request) => {
            request.host = request.host.trim().trim_end_matches('.').to_lowercase();
            let normalised = request_line(&request);
            ParsedIndicator::new(
                IndicatorKind::Request,
                ParsedValue::Request(Box::new(request)),
                normalised,
            )
        }
        Err(e) => ParsedIndicator::unknown(format!("a JSON request that does not fit: {e}")),
    }
}

/// `GET https://host/path?query` (host left out when unknown).
pub(crate) fn request_line(request: &Request) -> String {
    let query = if request.query.is_empty() {
        String::new()
    } else {
        format!("?{}", request.query)
    };
    if request.host.is_empty() {
        format!("{} {}{query}", request.method, request.path)
    } else {
        format!(
            "{} {}://{}{}{query}",
            request.method, request.scheme, request.host, request.path
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> (IndicatorKind, String) {
        let p = parse_indicator(text);
        (p.kind, p.normalised)
    }

    #[test]
    fn the_country_table_is_iso_3166_1() {
        assert_eq!(ISO_COUNTRIES.split(' ').count(), 249);
        assert!(is_country_code("NL") && is_country_code("T1") && !is_country_code("ZZ"));
    }

    #[test]
    fn addresses_and_networks() {
        assert_eq!(
            kind(" 203.0.113.9 "),
            (IndicatorKind::Ip, "203.0.113.9".into())
        );
        assert_eq!(
            kind("[2001:DB8::1]"),
            (IndicatorKind::Ip, "2001:db8::1".into())
        );
        assert_eq!(
            kind("\"192.0.2.1\""),
            (IndicatorKind::Ip, "192.0.2.1".into())
        );
        let mapped = parse_indicator("::ffff:198.51.100.4");
        assert_eq!(mapped.normalised, "198.51.100.4");
        assert!(mapped.notes[0].contains("IPv4-mapped"));
        let port = parse_indicator("198.51.100.4:8443");
        assert_eq!(port.normalised, "198.51.100.4");
        assert!(port.notes[0].contains("8443"));
        let net = parse_indicator("2001:db8:bad::1/48");
        assert_eq!(
            (net.kind, net.normalised.as_str()),
            (IndicatorKind::Cidr, "2001:db8:bad::/48")
        );
        assert!(net.notes[0].contains("host bits"));
        assert_eq!(
            kind("192.0.2.9/32"),
            (IndicatorKind::Ip, "192.0.2.9".into())
        );
        assert_eq!(kind("300.1.1.1").0, IndicatorKind::Unknown);
        assert_eq!(kind("10.0.0.0/33").0, IndicatorKind::Unknown);
    }

    #[test]
    fn asns_and_countries() {
        for text in ["AS64496", "as64496", "ASN64496", "asn:64496", "AS 64496"] {
            assert_eq!(kind(text), (IndicatorKind::Asn, "AS64496".into()), "{text}");
        }
        let bare = parse_indicator("64496");
        assert_eq!(bare.normalised, "AS64496");
        assert!(bare.notes[0].contains("bare number"));
        assert_eq!(kind("99999999999").0, IndicatorKind::Unknown);
        assert_eq!(kind("ru"), (IndicatorKind::Country, "RU".into()));
        assert_eq!(kind("country:kp"), (IndicatorKind::Country, "KP".into()));
        assert!(parse_indicator("T1").notes[0].contains("Tor"));
        assert_eq!(kind("country:ZZ").0, IndicatorKind::Unknown);
        assert_eq!(kind("ZZ").0, IndicatorKind::Unknown);
    }

    #[test]
    fn domains_urls_and_requests() {
        assert_eq!(
            kind("Login.Example.COM."),
            (IndicatorKind::Domain, "login.example.com".into())
        );
        assert_eq!(
            kind("*.example.com"),
            (IndicatorKind::Domain, "example.com".into())
        );
        let puny = parse_indicator("xn--acme-shp-5ng.com");
        assert_eq!(puny.kind, IndicatorKind::Domain);
        assert!(puny.notes[0].contains("punycode"), "{:?}", puny.notes);
        let zw = parse_indicator("acme\u{200b}-shop.com");
        assert_eq!(zw.normalised, "acme-shop.com");
        assert!(zw.notes[0].contains("invisible"));
        assert_eq!(
            kind("https://User@Evil.Example:8443/a/b?c=d#frag"),
            (IndicatorKind::Url, "https://evil.example/a/b?c=d".into())
        );
        assert_eq!(
            kind("evil.example/gate.php"),
            (IndicatorKind::Url, "https://evil.example/gate.php".into())
        );
        assert_eq!(kind("ftp://x.example/").0, IndicatorKind::Unknown);
        let req = parse_indicator(
            "post /api/login?x=1 HTTP/1.1\nHost: Acme-Shop.com:443\nUser-Agent: sqlmap/1.7\n\nuser=a'--",
        );
        assert_eq!(req.kind, IndicatorKind::Request);
        assert_eq!(req.normalised, "POST https://acme-shop.com/api/login?x=1");
        match req.value {
            ParsedValue::Request(r) => {
                assert_eq!(r.body, "user=a'--");
                assert_eq!(r.headers.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        let json = parse_indicator(
            r#"{"host": "Acme-API.io", "path": "/v1", "client_ip": "198.18.7.21"}"#,
        );
        assert_eq!(json.normalised, "GET https://acme-api.io/v1");
        assert_eq!(kind(r#"{"nothing": 1}"#).0, IndicatorKind::Unknown);
        assert_eq!(kind(r#"{"client_ip": "nope"}"#).0, IndicatorKind::Unknown);
        assert_eq!(kind("{not json").0, IndicatorKind::Unknown);
        assert_eq!(kind("GET nothing").0, IndicatorKind::Unknown);
        assert_eq!(kind("two words").0, IndicatorKind::Unknown);
        assert_eq!(kind("").0, IndicatorKind::Unknown);
        assert_eq!(kind("localhost").0, IndicatorKind::Unknown);
    }

    #[test]
    fn oversized_input_is_refused_not_read() {
        let big = "a".repeat(MAX_INDICATOR_BYTES + 1);
        let p = parse_indicator(&big);
        assert_eq!(p.kind, IndicatorKind::Unknown);
        assert!(matches!(p.value, ParsedValue::Unknown(ref why) if why.contains("bytes long")));
    }
}
