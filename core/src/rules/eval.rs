//! The evaluator: does a filter match a request?
//!
//! Values follow Cloudflare's semantics: a field the request does not carry takes its type's
//! default (empty string, 0, false, empty array or map; an absent IP is a *missing* value); a
//! missing value (an absent map key, an index past the end, an absent IP) makes every comparison
//! on it false and propagates through functions.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::ast::{
    CmpOp, Comparison, Expr, IndexOp, ListRef, Literal, Rhs, SetItem, Spanned, Value,
};
use super::fields::{field_type, FieldType};
use super::pattern::Patterns;

/// A runtime value of a field or a function result.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// `Boolean`.
    Bool(bool),
    /// `Int`.
    Int(i64),
    /// `String` and `Bytes`.
    String(String),
    /// `IP`.
    Ip(IpAddr),
    /// `Array<T>`.
    Array(Vec<FieldValue>),
    /// `Map<T>`, in insertion order.
    Map(Vec<(String, FieldValue)>),
}

/// An HTTP request as the Rules language sees it.
///
/// Derived fields come from the basic ones: `http.request.full_uri` from scheme, host, path and
/// query; `http.user_agent`, `http.referer`, `http.x_forwarded_for` and `http.cookie` from the
/// headers; `ssl` from the scheme. Any field can also be set by name in `fields` (which wins over
/// everything else). Fields neither modelled nor set take Cloudflare's defaults: empty string,
/// 0, false, empty array or map.
///
/// Deserializes from JSON with every member optional:
///
/// ```
/// let request: cfcp::rules::Request = serde_json::from_str(r#"{
///     "method": "POST", "host": "example.com", "path": "/login",
///     "headers": [["User-Agent", "curl/8.0"]], "client_ip": "203.0.113.7",
///     "fields": {"cf.bot_management.ja3_hash": "abc"}
/// }"#).unwrap();
/// let filter = cfcp::rules::parse_filter(
///     r#"http.request.method eq "POST" and http.user_agent contains "curl" and ip.src in {203.0.113.0/24}"#,
/// ).unwrap();
/// assert!(filter.matches(&request, &cfcp::rules::Lists::default()));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Request {
    /// HTTP method, uppercase (`GET`).
    pub method: String,
    /// `https` or `http` (drives `ssl` and `cf.edge.server_port`).
    pub scheme: String,
    /// Host name.
    pub host: String,
    /// URI path (`/`).
    pub path: String,
    /// Query string without the `?`.
    pub query: String,
    /// Request headers in order, names as sent (lookups are case-insensitive).
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: String,
    /// Form fields of the body; when empty and the body is `application/x-www-form-urlencoded`,
    /// they are parsed from `body`.
    pub body_form: Vec<(String, String)>,
    /// Client IP (`ip.src`); absent is a missing value.
    pub client_ip: Option<IpAddr>,
    /// ISO 3166-1 alpha-2 country (`ip.src.country`).
    pub country: String,
    /// Continent code (`ip.src.continent`; `T1` is Tor).
    pub continent: String,
    /// AS number (`ip.src.asnum`).
    pub asn: i64,
    /// Bot score 1–99, low is a bot (`cf.bot_management.score`); 0 when not scored.
    pub bot_score: i64,
    /// Verified bot (`cf.bot_management.verified_bot`, `cf.client.bot`).
    pub verified_bot: bool,
    /// WAF attack score 1–99, low is an attack (`cf.waf.score`); 100 when not scored.
    pub waf_score: i64,
    /// SQLi attack score (`cf.waf.score.sqli`); 100 when not scored.
    pub waf_score_sqli: i64,
    /// XSS attack score (`cf.waf.score.xss`); 100 when not scored.
    pub waf_score_xss: i64,
    /// RCE attack score (`cf.waf.score.rce`); 100 when not scored.
    pub waf_score_rce: i64,
    /// Legacy threat score (`cf.threat_score`), always 0 today.
    pub threat_score: i64,
    /// TLS version (`cf.tls_version`, e.g. `TLSv1.3`; empty over plain HTTP).
    pub tls_version: String,
    /// HTTP version (`http.request.version`, e.g. `HTTP/2`).
    pub http_version: String,
    /// UNIX time in seconds (`http.request.timestamp.sec`).
    pub timestamp_sec: i64,
    /// Response status (`http.response.code`), for response-phase and rate-limit expressions.
    pub response_code: i64,
    /// Any field by name (`"cf.bot_management.ja3_hash": "..."`), as JSON; wins over the rest.
    pub fields: BTreeMap<String, serde_json::Value>,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            method: "GET".to_owned(),
            scheme: "https".to_owned(),
            host: String::new(),
            path: "/".to_owned(),
            query: String::new(),
            headers: Vec::new(),
            body: String::new(),
            body_form: Vec::new(),
            client_ip: None,
            country: String::new(),
            continent: String::new(),
            asn: 0,
            bot_score: 0,
            verified_bot: false,
            waf_score: 100,
            waf_score_sqli: 100,
            waf_score_xss: 100,
            waf_score_rce: 100,
            threat_score: 0,
            tls_version: "TLSv1.3".to_owned(),
            http_version: "HTTP/2".to_owned(),
            timestamp_sec: 0,
            response_code: 0,
            fields: BTreeMap::new(),
        }
    }
}

impl Request {
    /// A `GET https://{host}{path_and_query}` request.
    ///
    /// ```
    /// let r = cfcp::rules::Request::get("example.com", "/search?q=x");
    /// assert_eq!((r.path.as_str(), r.query.as_str()), ("/search", "q=x"));
    /// ```
    pub fn get(host: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Request {
            host: host.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            ..Request::default()
        }
    }

    /// Adds a header (builder style).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn first_header_ref<'a>(&'a self, name: &'a str) -> &'a str {
        self.header_values(name).next().unwrap_or("")
    }

    /// Every value of a header joined with `separator`, borrowed when there is at most one.
    fn joined<'a>(&'a self, name: &'a str, separator: &str) -> Cow<'a, str> {
        let mut values = self.header_values(name);
        match (values.next(), values.next()) {
            (None, _) => Cow::Borrowed(""),
            (Some(one), None) => Cow::Borrowed(one),
            (Some(a), Some(b)) => {
                let mut out = format!("{a}{separator}{b}");
                for v in values {
                    out.push_str(separator);
                    out.push_str(v);
                }
                Cow::Owned(out)
            }
        }
    }

    fn uri(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    fn form(&self) -> Vec<(String, String)> {
        if !self.body_form.is_empty() {
            return self.body_form.clone();
        }
        let urlencoded = self.header_values("content-type").any(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        if urlencoded {
            split_pairs(&self.body, '&')
        } else {
            Vec::new()
        }
    }

    /// The value of a field for this request, `None` when it is missing.
    ///
    /// ```
    /// use cfcp::rules::{FieldValue, Request};
    /// let r = Request::get("example.com", "/a.PHP").header("Accept", "text/html");
    /// assert_eq!(r.field("http.request.uri.path.extension"), Some(FieldValue::String("php".into())));
    /// assert_eq!(r.field("cf.bot_management.ja3_hash"), Some(FieldValue::String(String::new())));
    /// assert_eq!(r.field("ip.src"), None);
    /// ```
    pub fn field(&self, name: &str) -> Option<FieldValue> {
        let ty = field_type(name)?;
        if let Some(json) = self.fields.get(name) {
            return from_json(json, ty);
        }
        if let Some(source) = Source::of(name, ty) {
            return self.source(source).map(Scalar::into_value);
        }
        use FieldValue as V;
        let strings =
            |items: Vec<String>| Some(V::Array(items.into_iter().map(V::String).collect()));
        let multimap = |pairs: Vec<(String, String)>| Some(V::Map(group(pairs)));
        match name {
            "http.request.uri.args" | "raw.http.request.uri.args" => {
                multimap(split_pairs(&self.query, '&'))
            }
            "http.request.uri.args.names" | "raw.http.request.uri.args.names" => strings(
                split_pairs(&self.query, '&')
                    .into_iter()
                    .map(|(n, _)| n)
                    .collect(),
            ),
            "http.request.uri.args.values" | "raw.http.request.uri.args.values" => strings(
                split_pairs(&self.query, '&')
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
            ),
            "http.request.headers" => multimap(
                self.headers
                    .iter()
                    .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                    .collect(),
            ),
            "http.request.headers.names" => {
                strings(self.headers.iter().map(|(n, _)| n.clone()).collect())
            }
            "http.request.headers.values" => {
                strings(self.headers.iter().map(|(_, v)| v.clone()).collect())
            }
            "http.request.cookies" => {
                let text = self.header_values("cookie").collect::<Vec<_>>().join("; ");
                let pairs = text
                    .split(';')
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| {
                        let (n, v) = p.trim().split_once('=').unwrap_or((p.trim(), ""));
                        (percent_decode(n, false), v.to_owned())
                    })
                    .collect();
                multimap(pairs)
            }
            "http.request.body.form" => multimap(self.form()),
            "http.request.body.form.names" => {
                strings(self.form().into_iter().map(|(n, _)| n).collect())
            }
            "http.request.body.form.values" => {
                strings(self.form().into_iter().map(|(_, v)| v).collect())
            }
            _ => default_of(ty),
        }
    }

    /// The value of a scalar field, borrowed from the request where it can be (`None` when
    /// missing). `name` is the field's name, for the `fields` override.
    #[inline]
    pub(crate) fn scalar(&self, name: &str, source: Source) -> Option<Scalar<'_>> {
        if !self.fields.is_empty() {
            if let Some(json) = self.fields.get(name) {
                return overridden(json, source);
            }
        }
        self.source(source)
    }

    /// The value of a scalar field's source, without the `fields` override.
    #[inline]
    pub(crate) fn source(&self, source: Source) -> Option<Scalar<'_>> {
        use Cow::{Borrowed, Owned};
        use Scalar::{Bool, Int, Str};
        let https = || self.scheme.eq_ignore_ascii_case("https");
        Some(match source {
            Source::Method => Str(Borrowed(&self.method)),
            Source::Host => Str(Borrowed(&self.host)),
            Source::Path => Str(Borrowed(&self.path)),
            Source::Query => Str(Borrowed(&self.query)),
            Source::Uri => Str(if self.query.is_empty() {
                Borrowed(&self.path)
            } else {
                Owned(self.uri())
            }),
            Source::FullUri => Str(Owned(format!(
                "{}://{}{}",
                self.scheme,
                self.host,
                self.uri()
            ))),
            Source::Extension | Source::RawExtension => {
                let raw = source == Source::RawExtension;
                let last = self.path.rsplit('/').next().unwrap_or("");
                let ext = last.rsplit_once('.').map_or("", |(_, e)| e);
                Str(if raw || !ext.bytes().any(|b| b.is_ascii_uppercase()) {
                    Borrowed(ext)
                } else {
                    Owned(ext.to_ascii_lowercase())
                })
            }
            Source::UserAgent => Str(Borrowed(self.first_header_ref("user-agent"))),
            Source::Referer => Str(Borrowed(self.first_header_ref("referer"))),
            Source::XForwardedFor => Str(self.joined("x-forwarded-for", ", ")),
            Source::Cookie => Str(self.joined("cookie", "; ")),
            Source::HttpVersion => Str(Borrowed(&self.http_version)),
            Source::Timestamp => Int(self.timestamp_sec),
            Source::BodyRaw => Str(Borrowed(&self.body)),
            Source::BodySize => Int(self.body.len() as i64),
            Source::BodyMime => {
                let ct = self.first_header_ref("content-type");
                Str(Borrowed(ct.split(';').next().unwrap_or("").trim()))
            }
            Source::ResponseCode => Int(self.response_code),
            Source::ClientIp => Scalar::Ip(self.client_ip?),
            Source::Country => Str(Borrowed(&self.country)),
            Source::Continent => Str(Borrowed(&self.continent)),
            Source::Asn => Int(self.asn),
            Source::Ssl => Bool(https()),
            Source::ServerPort => Int(if https() { 443 } else { 80 }),
            Source::BotScore => Int(self.bot_score),
            Source::VerifiedBot => Bool(self.verified_bot),
            Source::WafScore => Int(self.waf_score),
            Source::WafScoreSqli => Int(self.waf_score_sqli),
            Source::WafScoreXss => Int(self.waf_score_xss),
            Source::WafScoreRce => Int(self.waf_score_rce),
            Source::ThreatScore => Int(self.threat_score),
            Source::TlsVersion => Str(Borrowed(&self.tls_version)),
            Source::DefaultBool => Bool(false),
            Source::DefaultInt => Int(0),
            Source::DefaultString => Str(Borrowed("")),
            Source::DefaultBytes => Str(Borrowed("")),
            Source::MissingIp => return None,
        })
    }
}

/// Where a scalar field's value comes from in a [`Request`] (resolved from the name once, so
/// that evaluation does not compare names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Source {
    Method,
    Host,
    Path,
    Query,
    Uri,
    FullUri,
    Extension,
    RawExtension,
    UserAgent,
    Referer,
    XForwardedFor,
    Cookie,
    HttpVersion,
    Timestamp,
    BodyRaw,
    BodySize,
    BodyMime,
    ResponseCode,
    ClientIp,
    Country,
    Continent,
    Asn,
    Ssl,
    ServerPort,
    BotScore,
    VerifiedBot,
    WafScore,
    WafScoreSqli,
    WafScoreXss,
    WafScoreRce,
    ThreatScore,
    TlsVersion,
    /// A Boolean field the request does not model: false.
    DefaultBool,
    /// An Int field the request does not model: 0.
    DefaultInt,
    /// A String field the request does not model: empty.
    DefaultString,
    /// A Bytes field the request does not model: empty.
    DefaultBytes,
    /// An IP field the request does not model: missing.
    MissingIp,
}

impl Source {
    /// Every source, in discriminant order (`ALL[s as usize] == s`).
    pub(crate) const ALL: [Source; Source::MissingIp as usize + 1] = [
        Source::Method,
        Source::Host,
        Source::Path,
        Source::Query,
        Source::Uri,
        Source::FullUri,
        Source::Extension,
        Source::RawExtension,
        Source::UserAgent,
        Source::Referer,
        Source::XForwardedFor,
        Source::Cookie,
        Source::HttpVersion,
        Source::Timestamp,
        Source::BodyRaw,
        Source::BodySize,
        Source::BodyMime,
        Source::ResponseCode,
        Source::ClientIp,
        Source::Country,
        Source::Continent,
        Source::Asn,
        Source::Ssl,
        Source::ServerPort,
        Source::BotScore,
        Source::VerifiedBot,
        Source::WafScore,
        Source::WafScoreSqli,
        Source::WafScoreXss,
        Source::WafScoreRce,
        Source::ThreatScore,
        Source::TlsVersion,
        Source::DefaultBool,
        Source::DefaultInt,
        Source::DefaultString,
        Source::DefaultBytes,
        Source::MissingIp,
    ];

    /// The source of the scalar field `name` of type `ty`; `None` for arrays and maps.
    pub(crate) fn of(name: &str, ty: FieldType) -> Option<Source> {
        Some(match name {
            "http.request.method" => Source::Method,
            "http.host" => Source::Host,
            "http.request.uri.path" | "raw.http.request.uri.path" => Source::Path,
            "http.request.uri.query" | "raw.http.request.uri.query" => Source::Query,
            "http.request.uri" | "raw.http.request.uri" => Source::Uri,
            "http.request.full_uri" | "raw.http.request.full_uri" => Source::FullUri,
            "http.request.uri.path.extension" => Source::Extension,
            "raw.http.request.uri.path.extension" => Source::RawExtension,
            "http.user_agent" => Source::UserAgent,
            "http.referer" => Source::Referer,
            "http.x_forwarded_for" => Source::XForwardedFor,
            "http.cookie" => Source::Cookie,
            "http.request.version" => Source::HttpVersion,
            "http.request.timestamp.sec" => Source::Timestamp,
            "http.request.body.raw" => Source::BodyRaw,
            "http.request.body.size" => Source::BodySize,
            "http.request.body.mime" => Source::BodyMime,
            "http.response.code" => Source::ResponseCode,
            "ip.src" => Source::ClientIp,
            "ip.src.country" | "ip.geoip.country" => Source::Country,
            "ip.src.continent" | "ip.geoip.continent" => Source::Continent,
            "ip.src.asnum" | "ip.geoip.asnum" => Source::Asn,
            "ssl" => Source::Ssl,
            "cf.edge.server_port" => Source::ServerPort,
            "cf.bot_management.score" => Source::BotScore,
            "cf.bot_management.verified_bot" | "cf.client.bot" => Source::VerifiedBot,
            "cf.waf.score" => Source::WafScore,
            "cf.waf.score.sqli" => Source::WafScoreSqli,
            "cf.waf.score.xss" => Source::WafScoreXss,
            "cf.waf.score.rce" => Source::WafScoreRce,
            "cf.threat_score" => Source::ThreatScore,
            "cf.tls_version" => Source::TlsVersion,
            _ => match ty {
                FieldType::Bool => Source::DefaultBool,
                FieldType::Int => Source::DefaultInt,
                FieldType::String => Source::DefaultString,
                FieldType::Bytes => Source::DefaultBytes,
                FieldType::Ip => Source::MissingIp,
                FieldType::Array(_) | FieldType::Map(_) => return None,
            },
        })
    }

    /// The type of the values this source gives.
    fn field_type(self) -> FieldType {
        match self {
            Source::Timestamp
            | Source::BodySize
            | Source::ResponseCode
            | Source::Asn
            | Source::ServerPort
            | Source::BotScore
            | Source::WafScore
            | Source::WafScoreSqli
            | Source::WafScoreXss
            | Source::WafScoreRce
            | Source::ThreatScore
            | Source::DefaultInt => FieldType::Int,
            Source::Ssl | Source::VerifiedBot | Source::DefaultBool => FieldType::Bool,
            Source::ClientIp | Source::MissingIp => FieldType::Ip,
            Source::DefaultBytes => FieldType::Bytes,
            _ => FieldType::String,
        }
    }
}

/// A scalar field value, borrowed from the request where possible.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
    Ip(IpAddr),
}

impl Scalar<'_> {
    fn into_value(self) -> FieldValue {
        match self {
            Scalar::Bool(b) => FieldValue::Bool(b),
            Scalar::Int(i) => FieldValue::Int(i),
            Scalar::Str(s) => FieldValue::String(s.into_owned()),
            Scalar::Ip(ip) => FieldValue::Ip(ip),
        }
    }

    fn from_value(value: FieldValue) -> Option<Self> {
        Some(match value {
            FieldValue::Bool(b) => Scalar::Bool(b),
            FieldValue::Int(i) => Scalar::Int(i),
            FieldValue::String(s) => Scalar::Str(Cow::Owned(s)),
            FieldValue::Ip(ip) => Scalar::Ip(ip),
            FieldValue::Array(_) | FieldValue::Map(_) => return None,
        })
    }
}

#[cold]
#[inline(never)]
pub(crate) fn overridden(json: &serde_json::Value, source: Source) -> Option<Scalar<'static>> {
    from_json(json, source.field_type()).and_then(Scalar::from_value)
}

fn default_of(ty: FieldType) -> Option<FieldValue> {
    Some(match ty {
        FieldType::Bool => FieldValue::Bool(false),
        FieldType::Int => FieldValue::Int(0),
        FieldType::String | FieldType::Bytes => FieldValue::String(String::new()),
        FieldType::Ip => return None,
        FieldType::Array(_) => FieldValue::Array(Vec::new()),
        FieldType::Map(_) => FieldValue::Map(Vec::new()),
    })
}

fn from_json(json: &serde_json::Value, ty: FieldType) -> Option<FieldValue> {
    use serde_json::Value as J;
    Some(match (ty, json) {
        (_, J::Null) => return None,
        (FieldType::Bool, J::Bool(b)) => FieldValue::Bool(*b),
        (FieldType::Int, J::Number(n)) => FieldValue::Int(n.as_i64()?),
        (FieldType::String | FieldType::Bytes, J::String(s)) => FieldValue::String(s.clone()),
        (FieldType::Ip, J::String(s)) => FieldValue::Ip(s.parse().ok()?),
        (FieldType::Array(inner), J::Array(items)) => {
            FieldValue::Array(items.iter().filter_map(|i| from_json(i, *inner)).collect())
        }
        (FieldType::Map(inner), J::Object(map)) => FieldValue::Map(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), from_json(v, *inner)?)))
                .collect(),
        ),
        _ => return None,
    })
}

fn split_pairs(text: &str, separator: char) -> Vec<(String, String)> {
    text.split(separator)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (n.to_owned(), v.to_owned())
        })
        .collect()
}

fn group(pairs: Vec<(String, String)>) -> Vec<(String, FieldValue)> {
    let mut out: Vec<(String, FieldValue)> = Vec::new();
    for (name, value) in pairs {
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, FieldValue::Array(values))) => values.push(FieldValue::String(value)),
            _ => out.push((name, FieldValue::Array(vec![FieldValue::String(value)]))),
        }
    }
    out
}

/// Named lists that `$name` resolves to: account lists and Cloudflare's managed lists
/// (`cf.open_proxies`, ...). A list the expression names but `Lists` lacks matches nothing.
///
/// ```
/// use cfcp::rules::{parse_filter, Lists, Request};
/// let mut lists = Lists::default();
/// lists.add_ips("office", &["192.0.2.0/24", "2001:db8::/32"]).unwrap();
/// let filter = parse_filter("ip.src in $office").unwrap();
/// let mut request = Request::default();
/// request.client_ip = Some("192.0.2.9".parse().unwrap());
/// assert!(filter.matches(&request, &lists));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lists {
    lists: BTreeMap<String, ListItems>,
}

/// The items of one list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListItems {
    /// IP addresses and networks, as (address, prefix length).
    pub ips: Vec<(IpAddr, u8)>,
    /// AS numbers.
    pub asns: Vec<i64>,
    /// Host names; `*.example.com` matches every subdomain of example.com.
    pub hostnames: Vec<String>,
}

impl Lists {
    /// Sets a list's items (`name` without `$`; managed lists as `cf.open_proxies`).
    pub fn insert(&mut self, name: &str, items: ListItems) {
        self.lists.insert(name.to_owned(), items);
    }

    /// The items of a list.
    pub fn get(&self, name: &str) -> Option<&ListItems> {
        self.lists.get(name)
    }

    /// Adds IPs or CIDRs (`192.0.2.1`, `192.0.2.0/24`) to a list, creating it.
    pub fn add_ips(&mut self, name: &str, items: &[&str]) -> Result<(), String> {
        let list = self.lists.entry(name.to_owned()).or_default();
        for item in items {
            let (address, len) = match item.split_once('/') {
                Some((a, l)) => (a, Some(l)),
                None => (*item, None),
            };
            let ip: IpAddr = address
                .parse()
                .map_err(|_| format!("not an IP address: {item}"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = match len {
                Some(l) => l
                    .parse::<u8>()
                    .ok()
                    .filter(|l| *l <= max)
                    .ok_or_else(|| format!("bad prefix: {item}"))?,
                None => max,
            };
            list.ips.push((ip, len));
        }
        Ok(())
    }
}

/// Is `ip` inside `network/len`?
pub(crate) fn in_cidr(ip: IpAddr, network: IpAddr, len: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len.min(32)))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len.min(128)))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn ip_in_range(ip: IpAddr, a: IpAddr, b: IpAddr) -> bool {
    ip.is_ipv4() == a.is_ipv4() && a <= ip && ip <= b
}

/// Whole-value wildcard match: `*` matches any run of characters, `\*` and `\\` are literal.
pub(crate) fn wildcard_match(pattern: &str, text: &str, case_sensitive: bool) -> bool {
    wildcard_match_tokens(
        &wildcard_tokens(pattern, case_sensitive),
        text,
        case_sensitive,
    )
}

/// One element of a wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WildcardToken {
    /// `*`: any run of characters.
    Star,
    /// A literal character (lowercased when the match is case-insensitive).
    Char(char),
}

fn fold(c: char, case_sensitive: bool) -> char {
    if case_sensitive {
        c
    } else {
        c.to_ascii_lowercase()
    }
}

/// Tokenises a wildcard pattern: `*` is a star, `\*` and `\\` are literal.
pub(crate) fn wildcard_tokens(pattern: &str, case_sensitive: bool) -> Vec<WildcardToken> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => WildcardToken::Star,
            '\\' => WildcardToken::Char(fold(chars.next().unwrap_or('\\'), case_sensitive)),
            c => WildcardToken::Char(fold(c, case_sensitive)),
        });
    }
    tokens
}

/// Matches a whole text against a tokenised wildcard pattern.
pub(crate) fn wildcard_match_tokens(
    tokens: &[WildcardToken],
    text: &str,
    case_sensitive: bool,
) -> bool {
    let next_char = |t: usize| text[t..].chars().next();
    // Iterative matching with backtracking to the last star: O(len(text) * len(pattern)).
    // `t` is a byte offset, always on a character boundary.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(c) = next_char(t) {
        match tokens.get(p) {
            Some(WildcardToken::Char(pc)) if *pc == fold(c, case_sensitive) => {
                p += 1;
                t += c.len_utf8();
            }
            Some(WildcardToken::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    let st = st + next_char(st).map_or(1, char::len_utf8);
                    p = sp + 1;
                    t = st;
                    star = Some((sp, st));
                }
                None => return false,
            },
        }
    }
    tokens
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|token| *token == WildcardToken::Star)
}

/// What evaluation runs against.
pub(crate) struct Context<'a> {
    pub request: &'a Request,
    pub lists: &'a Lists,
    pub patterns: &'a Patterns,
}

/// A value, or one value per array element (after `[*]`).
enum Ev {
    One(FieldValue),
    Each(Vec<FieldValue>),
}

impl Context<'_> {
    pub(crate) fn truth(&self, expr: &Expr) -> bool {
        matches!(self.expr(expr), Some(Ev::One(FieldValue::Bool(true))))
    }

    pub(crate) fn value_of(&self, expr: &Expr) -> Option<FieldValue> {
        match self.expr(expr)? {
            Ev::One(v) => Some(v),
            Ev::Each(vs) => Some(FieldValue::Array(vs)),
        }
    }

    fn expr(&self, expr: &Expr) -> Option<Ev> {
        let bool = |b| Some(Ev::One(FieldValue::Bool(b)));
        match expr {
            Expr::Or(items) => bool(items.iter().any(|e| self.truth(e))),
            Expr::And(items) => bool(items.iter().all(|e| self.truth(e))),
            Expr::Xor(items) => bool(items.iter().filter(|e| self.truth(e)).count() % 2 == 1),
            Expr::Not(inner, _) => match self.expr(inner) {
                Some(Ev::One(FieldValue::Bool(b))) => bool(!b),
                Some(Ev::One(FieldValue::Array(items))) | Some(Ev::Each(items)) => {
                    Some(Ev::One(FieldValue::Array(
                        items
                            .into_iter()
                            .map(|v| FieldValue::Bool(v != FieldValue::Bool(true)))
                            .collect(),
                    )))
                }
                _ => bool(true),
            },
            Expr::Compare(c) => match self.value(&c.lhs) {
                None => bool(false),
                Some(Ev::One(v)) => bool(self.compare(&v, c)),
                Some(Ev::Each(vs)) => Some(Ev::One(FieldValue::Array(
                    vs.iter()
                        .map(|v| FieldValue::Bool(self.compare(v, c)))
                        .collect(),
                ))),
            },
            Expr::Value(v) => self.value(v),
        }
    }

    fn value(&self, value: &Value) -> Option<Ev> {
        match value {
            Value::Field { name, path, .. } => {
                let v = self.request.field(name)?;
                apply_path(Ev::One(v), path)
            }
            Value::Call {
                name, args, path, ..
            } => {
                let v = self.call(name, args)?;
                apply_path(Ev::One(v), path)
            }
            Value::Literal(literal, _) => Some(Ev::One(match literal {
                Literal::Bool(b) => FieldValue::Bool(*b),
                Literal::Int(i) => FieldValue::Int(*i),
                Literal::String(s) => FieldValue::String(s.clone()),
            })),
        }
    }

    fn call(&self, name: &str, args: &[Expr]) -> Option<FieldValue> {
        if matches!(name, "any" | "all") {
            let items = match self.expr(args.first()?)? {
                Ev::One(FieldValue::Array(items)) | Ev::Each(items) => items,
                Ev::One(_) => return None,
            };
            let truth = |v: &FieldValue| *v == FieldValue::Bool(true);
            return Some(FieldValue::Bool(if name == "any" {
                items.iter().any(truth)
            } else {
                items.iter().all(truth)
            }));
        }
        let mut evaluated = Vec::with_capacity(args.len());
        for arg in args {
            evaluated.push(self.expr(arg)?);
        }
        let mut rest = Vec::with_capacity(args.len());
        for ev in evaluated.iter().skip(1) {
            match ev {
                Ev::One(v) => rest.push(v.clone()),
                Ev::Each(_) => return None,
            }
        }
        match evaluated.into_iter().next() {
            Some(Ev::Each(items)) => Some(FieldValue::Array(
                items
                    .into_iter()
                    .filter_map(|item| {
                        let mut all = vec![item];
                        all.extend(rest.iter().cloned());
                        self.apply(name, &all)
                    })
                    .collect(),
            )),
            Some(Ev::One(first)) => {
                let mut all = vec![first];
                all.extend(rest);
                self.apply(name, &all)
            }
            None => self.apply(name, &[]),
        }
    }

    fn apply(&self, name: &str, args: &[FieldValue]) -> Option<FieldValue> {
        use FieldValue as V;
        let string = |i: usize| match args.get(i) {
            Some(V::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let int = |i: usize| match args.get(i) {
            Some(V::Int(v)) => Some(*v),
            _ => None,
        };
        Some(match name {
            "lower" => V::String(string(0)?.to_ascii_lowercase()),
            "upper" => V::String(string(0)?.to_ascii_uppercase()),
            "len" => match args.first()? {
                V::String(s) => V::Int(s.len() as i64),
                V::Array(items) => V::Int(items.len() as i64),
                _ => return None,
            },
            "concat" => match args.first()? {
                V::Array(_) => {
                    let mut out = Vec::new();
                    for arg in args {
                        if let V::Array(items) = arg {
                            out.extend(items.iter().cloned());
                        }
                    }
                    V::Array(out)
                }
                _ => {
                    let mut out = String::new();
                    for i in 0..args.len() {
                        out.push_str(string(i)?);
                    }
                    V::String(out)
                }
            },
            "starts_with" => V::Bool(string(0)?.starts_with(string(1)?)),
            "ends_with" => V::Bool(string(0)?.ends_with(string(1)?)),
            "url_decode" => {
                let options = string(1).unwrap_or("");
                let unicode = options.contains('u');
                let mut text = percent_decode(string(0)?, unicode);
                if options.contains('r') {
                    for _ in 0..16 {
                        let next = percent_decode(&text, unicode);
                        if next == text {
                            break;
                        }
                        text = next;
                    }
                }
                V::String(text)
            }
            "decode_base64" => {
                V::String(String::from_utf8_lossy(&base64_decode(string(0)?)?).into_owned())
            }
            "encode_base64" => {
                let flags = string(1).unwrap_or("");
                V::String(base64_encode(
                    string(0)?.as_bytes(),
                    flags.contains('u'),
                    flags.contains('p'),
                ))
            }
            "lookup_json_string" | "lookup_json_integer" => {
                let mut json: serde_json::Value = serde_json::from_str(string(0)?).ok()?;
                for key in &args[1..] {
                    json = match key {
                        V::String(k) => json.get(k.as_str())?.clone(),
                        V::Int(i) => json.get(usize::try_from(*i).ok()?)?.clone(),
                        _ => return None,
                    };
                }
                if name == "lookup_json_string" {
                    V::String(json.as_str()?.to_owned())
                } else {
                    V::Int(json.as_i64()?)
                }
            }
            "remove_bytes" => {
                let remove = string(1)?;
                V::String(
                    string(0)?
                        .chars()
                        .filter(|c| !remove.contains(*c))
                        .collect(),
                )
            }
            "remove_query_args" => {
                let names: Vec<&str> = (1..args.len()).filter_map(string).collect();
                let kept: Vec<&str> = string(0)?
                    .split('&')
                    .filter(|p| !names.contains(&p.split('=').next().unwrap_or("")))
                    .collect();
                V::String(kept.join("&"))
            }
            "split" => {
                let limit = usize::try_from(int(2)?).ok()?.max(1);
                V::Array(
                    string(0)?
                        .splitn(limit, string(1)?)
                        .map(|s| V::String(s.to_owned()))
                        .collect(),
                )
            }
            "join" => {
                let V::Array(items) = args.first()? else {
                    return None;
                };
                let parts: Vec<&str> = items
                    .iter()
                    .filter_map(|i| {
                        if let V::String(s) = i {
                            Some(s.as_str())
                        } else {
                            None
                        }
                    })
                    .collect();
                V::String(parts.join(string(1)?))
            }
            "substring" => {
                let bytes = string(0)?.as_bytes();
                let len = bytes.len() as i64;
                let clamp = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) } as usize;
                let start = clamp(int(1)?);
                let end = int(2).map_or(bytes.len(), clamp);
                V::String(if start < end {
                    String::from_utf8_lossy(&bytes[start..end]).into_owned()
                } else {
                    String::new()
                })
            }
            "to_string" => V::String(match args.first()? {
                V::Int(i) => i.to_string(),
                V::Bool(b) => b.to_string(),
                V::Ip(ip) => ip.to_string(),
                _ => return None,
            }),
            "regex_replace" => {
                let regex = self.patterns.for_replace(string(1)?)?;
                let replaced = regex.replacen(string(0)?.as_bytes(), 1, string(2)?.as_bytes());
                V::String(String::from_utf8_lossy(&replaced).into_owned())
            }
            "wildcard_replace" => {
                let case_sensitive = string(3).is_some_and(|f| f.contains('s'));
                V::String(wildcard_replace(
                    string(0)?,
                    string(1)?,
                    string(2)?,
                    case_sensitive,
                ))
            }
            "cidr" | "cidr6" => {
                let V::Ip(ip) = args.first()? else {
                    return None;
                };
                let (v4, v6) = if name == "cidr" {
                    (int(1)?, int(2)?)
                } else {
                    (32, int(1)?)
                };
                V::Ip(mask(*ip, if ip.is_ipv4() { v4 } else { v6 }))
            }
            // cfcp holds no keys and no randomness: HMAC validation never succeeds, and uuidv4()
            // and sha256() have no value.
            "is_timed_hmac_valid_v0" => V::Bool(false),
            _ => return None,
        })
    }

    fn compare(&self, value: &FieldValue, c: &Comparison) -> bool {
        use FieldValue as V;
        let rhs = &c.rhs.value;
        match (value, c.op, rhs) {
            (V::String(s), CmpOp::Eq, Rhs::String(r)) => s == r,
            (V::String(s), CmpOp::Ne, Rhs::String(r)) => s != r,
            (V::String(s), CmpOp::Lt, Rhs::String(r)) => s < r,
            (V::String(s), CmpOp::Le, Rhs::String(r)) => s <= r,
            (V::String(s), CmpOp::Gt, Rhs::String(r)) => s > r,
            (V::String(s), CmpOp::Ge, Rhs::String(r)) => s >= r,
            (V::String(s), CmpOp::Contains, Rhs::String(r)) => s.contains(r.as_str()),
            (V::String(s), CmpOp::Matches, Rhs::Regex(p)) => {
                self.patterns.for_match(p).is_some_and(|re| re.is_match(s))
            }
            (V::String(s), CmpOp::Wildcard, Rhs::String(p)) => wildcard_match(p, s, false),
            (V::String(s), CmpOp::StrictWildcard, Rhs::String(p)) => wildcard_match(p, s, true),
            (V::String(s), CmpOp::In, Rhs::Set(items)) => {
                items.iter().any(|i| i.value == SetItem::String(s.clone()))
            }
            (V::String(s), CmpOp::In, Rhs::List(list)) => self
                .list(list)
                .is_some_and(|l| l.hostnames.iter().any(|h| hostname_match(h, s))),
            (V::Int(v), op, Rhs::Int(r)) => match op {
                CmpOp::Eq => v == r,
                CmpOp::Ne => v != r,
                CmpOp::Lt => v < r,
                CmpOp::Le => v <= r,
                CmpOp::Gt => v > r,
                CmpOp::Ge => v >= r,
                _ => false,
            },
            (V::Int(v), CmpOp::In, Rhs::Set(items)) => items.iter().any(|i| int_in(&i.value, *v)),
            (V::Int(v), CmpOp::In, Rhs::List(list)) => {
                self.list(list).is_some_and(|l| l.asns.contains(v))
            }
            (V::Ip(ip), CmpOp::Eq, Rhs::Ip(r)) => ip == r,
            (V::Ip(ip), CmpOp::Ne, Rhs::Ip(r)) => ip != r,
            (V::Ip(ip), CmpOp::In, Rhs::Set(items)) => items.iter().any(|i| ip_in(&i.value, *ip)),
            (V::Ip(ip), CmpOp::In, Rhs::List(list)) => self
                .list(list)
                .is_some_and(|l| l.ips.iter().any(|(n, len)| in_cidr(*ip, *n, *len))),
            _ => false,
        }
    }

    fn list(&self, list: &ListRef) -> Option<&ListItems> {
        self.lists.get(&list.name())
    }
}

fn int_in(item: &SetItem, v: i64) -> bool {
    match item {
        SetItem::Int(i) => *i == v,
        SetItem::IntRange(a, b) => *a <= v && v <= *b,
        _ => false,
    }
}

pub(crate) fn ip_in(item: &SetItem, ip: IpAddr) -> bool {
    match item {
        SetItem::Ip(i) => *i == ip,
        SetItem::IpRange(a, b) => ip_in_range(ip, *a, *b),
        SetItem::Cidr(n, len) => in_cidr(ip, *n, *len),
        _ => false,
    }
}

fn hostname_match(pattern: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(base) => host.ends_with(&format!(".{base}")) || host == base,
        None => host == pattern,
    }
}

fn apply_path(mut ev: Ev, path: &[Spanned<IndexOp>]) -> Option<Ev> {
    fn index(v: FieldValue, op: &IndexOp) -> Option<FieldValue> {
        match (v, op) {
            (FieldValue::Array(mut items), IndexOp::Element(i)) => {
                let i = *i as usize;
                (i < items.len()).then(|| items.swap_remove(i))
            }
            (FieldValue::Map(entries), IndexOp::Key(k)) => entries
                .into_iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v),
            _ => None,
        }
    }
    for op in path {
        ev = match (ev, &op.value) {
            (Ev::One(FieldValue::Array(items)), IndexOp::Each) => Ev::Each(items),
            (Ev::One(FieldValue::Map(entries)), IndexOp::Each) => {
                Ev::Each(entries.into_iter().map(|(_, v)| v).collect())
            }
            (Ev::One(v), op) => Ev::One(index(v, op)?),
            (Ev::Each(items), op) => {
                Ev::Each(items.into_iter().filter_map(|v| index(v, op)).collect())
            }
        };
    }
    Some(ev)
}

fn mask(ip: IpAddr, bits: i64) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let bits = bits.clamp(0, 32) as u32;
            let m = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            IpAddr::V4((u32::from(a) & m).into())
        }
        IpAddr::V6(a) => {
            let bits = bits.clamp(0, 128) as u32;
            let m = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            IpAddr::V6((u128::from(a) & m).into())
        }
    }
}

/// Percent-decoding (`%20` and `+` are spaces; `%uXXXX` too when `unicode`).
fn percent_decode(text: &str, unicode: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let hex = |b: &[u8]| {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| u32::from_str_radix(s, 16).ok())
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if unicode
                && matches!(bytes.get(i + 1), Some(b'u' | b'U'))
                && i + 6 <= bytes.len() =>
            {
                match hex(&bytes[i + 2..i + 6]).and_then(char::from_u32) {
                    Some(c) => {
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        i += 6;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'%' if i + 3 <= bytes.len() => match hex(&bytes[i + 1..i + 3]) {
                Some(v) if bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit() => {
                    out.push(v as u8);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn base64_encode(bytes: &[u8], url_safe: bool, pad: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            let mut c = B64[((n >> (18 - 6 * i)) & 63) as usize];
            if url_safe {
                c = match c {
                    b'+' => b'-',
                    b'/' => b'_',
                    c => c,
                };
            }
            out.push(c as char);
        }
        if pad {
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    out
}

fn wildcard_replace(
    source: &str,
    pattern: &str,
    replacement: &str,
    case_sensitive: bool,
) -> String {
    let mut regex = String::from(if case_sensitive { "^" } else { "(?i)^" });
    let mut chars = pattern.chars();
    let mut literal = String::new();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                regex.push_str(&regex::escape(&literal));
                literal.clear();
                regex.push_str("(.*?)");
            }
            '\\' => literal.push(chars.next().unwrap_or('\\')),
            c => literal.push(c),
        }
    }
    regex.push_str(&regex::escape(&literal));
    regex.push('$');
    match Regex::new(&regex) {
        Ok(re) if re.is_match(source) => re.replacen(source, 1, replacement).into_owned(),
        _ => source.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match(
            "https://example.com/a/*",
            "https://example.com/a/",
            false
        ));
        assert!(wildcard_match(
            "*.example.com/*/page.html",
            "http://sub.example.com/folder/page.html",
            false
        ));
        assert!(!wildcard_match(
            "*.example.com/*/page.html",
            "https://example.com/ab/page.html",
            false
        ));
        assert!(wildcard_match("*.Example.com", "www.example.COM", false));
        assert!(!wildcard_match("*.Example.com", "www.example.com", true));
        assert!(wildcard_match(r"a\*b", "a*b", true));
        assert!(!wildcard_match(r"a\*b", "axb", true));
        assert!(wildcard_match("*", "", true));
        assert!(!wildcard_match("a", "", true));
    }

    #[test]
    fn helpers() {
        assert_eq!(percent_decode("John%20Doe+x", false), "John Doe x");
        assert_eq!(percent_decode("%2520", false), "%20");
        assert_eq!(percent_decode("%u2601", true), "☁");
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(base64_decode("MTIzYWJj").unwrap(), b"123abc");
        assert_eq!(
            base64_encode(b"hello world", false, false),
            "aGVsbG8gd29ybGQ"
        );
        assert_eq!(
            base64_encode(b"hello world", false, true),
            "aGVsbG8gd29ybGQ="
        );
        assert!(in_cidr(
            "10.1.2.3".parse().unwrap(),
            "10.0.0.0".parse().unwrap(),
            8
        ));
        assert!(!in_cidr(
            "11.1.2.3".parse().unwrap(),
            "10.0.0.0".parse().unwrap(),
            8
        ));
        assert!(in_cidr(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::".parse().unwrap(),
            32
        ));
        assert!(in_cidr(
            "1.2.3.4".parse().unwrap(),
            "0.0.0.0".parse().unwrap(),
            0
        ));
        assert_eq!(
            mask("113.10.0.2".parse().unwrap(), 24),
            "113.10.0.0".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            wildcard_replace(
                "https://apps.example.com/calendar/admin?expand=true",
                "https://*.example.com/*/*",
                "https://example.com/${1}/${2}/${3}",
                false
            ),
            "https://example.com/apps/calendar/admin?expand=true"
        );
        assert_eq!(
            wildcard_replace("/Apps/calendar", "/apps/*", "/${1}", true),
            "/Apps/calendar"
        );
        assert!(hostname_match("*.example.com", "a.b.example.com"));
        assert!(!hostname_match("example.com", "a.example.com"));
    }
}
