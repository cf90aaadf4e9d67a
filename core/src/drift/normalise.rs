//! What Cloudflare treats as the same value, so the same configuration never shows drift.
//!
//! Terraform writes what the user typed (`@`, `www`, `ttl = 1`, `"v=spf1 …"` in quotes,
//! `2001:DB8::0001`); the API answers in its own canonical forms (FQDNs, lower case, one string,
//! `2001:db8::1`). Both sides go through these functions before they are compared.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Value;

/// A record name as a lower-case FQDN without the trailing dot: `@` is the zone apex and a name
/// that does not end in the zone's name is relative to it.
///
/// ```
/// use cfcp::drift::normalise::record_name;
/// assert_eq!(record_name("@", "Example.com"), "example.com");
/// assert_eq!(record_name("WWW", "example.com"), "www.example.com");
/// assert_eq!(record_name("www.example.com.", "example.com"), "www.example.com");
/// assert_eq!(record_name("www.example.com", ""), "www.example.com");
/// ```
pub fn record_name(name: &str, zone: &str) -> String {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let zone = zone.trim().trim_end_matches('.').to_ascii_lowercase();
    if zone.is_empty() {
        return if name == "@" { String::new() } else { name };
    }
    if name == "@" || name.is_empty() {
        return zone;
    }
    if name == zone || name.ends_with(&format!(".{zone}")) {
        name
    } else {
        format!("{name}.{zone}")
    }
}

/// A record's content in the form Cloudflare stores, by record type: IP addresses in canonical
/// form, host names lower case without the trailing dot, TXT without the DNS quoting (split
/// strings joined), CAA values unquoted.
///
/// ```
/// use cfcp::drift::normalise::record_content;
/// assert_eq!(record_content("AAAA", "2001:DB8:0:0::0001", "example.com"), "2001:db8::1");
/// assert_eq!(record_content("CNAME", "Origin.Example.net.", "example.com"), "origin.example.net");
/// assert_eq!(record_content("CNAME", "@", "example.com"), "example.com");
/// assert_eq!(record_content("TXT", r#""v=spf1 " "-all""#, "example.com"), "v=spf1 -all");
/// assert_eq!(record_content("TXT", "v=spf1 -all", "example.com"), "v=spf1 -all");
/// assert_eq!(record_content("CAA", r#"0 issue "ca.example""#, "example.com"), "0 issue ca.example");
/// ```
pub fn record_content(record_type: &str, content: &str, zone: &str) -> String {
    let content = content.trim();
    match record_type.to_ascii_uppercase().as_str() {
        "A" => content
            .parse::<Ipv4Addr>()
            .map(|ip| ip.to_string())
            .unwrap_or_else(|_| content.to_owned()),
        "AAAA" => content
            .parse::<Ipv6Addr>()
            .map(|ip| ip.to_string())
            .unwrap_or_else(|_| content.to_ascii_lowercase()),
        "CNAME" | "NS" | "PTR" | "MX" | "DNAME" => host(content, zone),
        "TXT" | "SPF" => txt(content),
        "CAA" => content
            .split_whitespace()
            .map(|w| w.trim_matches('"'))
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        "SRV" | "HTTPS" | "SVCB" | "URI" => content
            .split_whitespace()
            .map(|w| {
                w.trim_end_matches('.')
                    .trim_matches('"')
                    .to_ascii_lowercase()
            })
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        _ => content.to_owned(),
    }
}

fn host(content: &str, zone: &str) -> String {
    if content == "@" {
        return zone.trim_end_matches('.').to_ascii_lowercase();
    }
    content.trim_end_matches('.').to_ascii_lowercase()
}

/// TXT content without DNS quoting: `"a" "b"` is `ab` (RFC 1035 character-strings, joined the
/// way resolvers and Cloudflare's UI present them), `\"` inside quotes is `"`. Text that is not
/// a sequence of quoted strings is kept as it is.
///
/// ```
/// use cfcp::drift::normalise::txt;
/// assert_eq!(txt(r#""say \"hi\"""#), r#"say "hi""#);
/// assert_eq!(txt(r#""a" "b""#), "ab");
/// assert_eq!(txt(r#"plain "quoted" word"#), r#"plain "quoted" word"#);
/// ```
pub fn txt(content: &str) -> String {
    let trimmed = content.trim();
    if !trimmed.starts_with('"') {
        return trimmed.to_owned();
    }
    let mut out = String::with_capacity(trimmed.len());
    let mut chars = trimmed.chars();
    loop {
        // Between strings: only whitespace, then an opening quote or the end.
        match chars.by_ref().find(|c| !c.is_whitespace()) {
            None => return out,
            Some('"') => {}
            Some(_) => return trimmed.to_owned(),
        }
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => out.push(escaped),
                    None => return trimmed.to_owned(),
                },
                '"' => {
                    closed = true;
                    break;
                }
                c => out.push(c),
            }
        }
        if !closed {
            return trimmed.to_owned();
        }
    }
}

/// A TTL as Cloudflare applies it: a proxied record's TTL is always automatic (1), whatever was
/// asked for.
///
/// ```
/// use cfcp::drift::normalise::ttl;
/// assert_eq!(ttl(3600, true), 1);
/// assert_eq!(ttl(3600, false), 3600);
/// ```
pub fn ttl(ttl: u32, proxied: bool) -> u32 {
    if proxied {
        1
    } else {
        ttl
    }
}

/// A rule expression with runs of white space collapsed: Cloudflare stores what was sent, but
/// heredocs and editors change indentation and line ends without changing the rule.
///
/// ```
/// use cfcp::drift::normalise::expression;
/// assert_eq!(expression("(ip.src eq 192.0.2.1)\n  and\thttp.host eq \"a\" "),
///            "(ip.src eq 192.0.2.1) and http.host eq \"a\"");
/// ```
pub fn expression(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `live` is what `desired` asks for. Members `desired` does not set (absent or `null`)
/// are computed or defaulted by Cloudflare and not compared; numbers and numeric strings are
/// equal when they print the same (`"0"` and `0` in a CAA record's flags), strings compare with
/// surrounding white space trimmed.
///
/// ```
/// use cfcp::drift::normalise::satisfies;
/// use serde_json::json;
/// assert!(satisfies(&json!({"flags": "0", "tag": "issue"}), &json!({"flags": 0, "tag": "issue", "value": "x"})));
/// assert!(!satisfies(&json!({"tag": "issue"}), &json!({"tag": "issuewild"})));
/// assert!(satisfies(&json!(null), &json!("anything")));
/// ```
pub fn satisfies(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Null, _) => true,
        (Value::Object(d), Value::Object(l)) => d
            .iter()
            .all(|(k, dv)| dv.is_null() || satisfies(dv, l.get(k).unwrap_or(&Value::Null))),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(dv, lv)| satisfies(dv, lv))
        }
        (Value::String(d), Value::String(l)) => d.trim() == l.trim(),
        (Value::Number(d), Value::String(s)) | (Value::String(s), Value::Number(d)) => {
            s.trim() == d.to_string()
        }
        (Value::Number(d), Value::Number(l)) => d.as_f64() == l.as_f64(),
        (d, l) => d == l,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn names_relative_absolute_and_apex_agree() {
        for name in [
            "api",
            "API.example.com",
            "api.example.com.",
            "Api.Example.Com.",
        ] {
            assert_eq!(
                record_name(name, "example.com"),
                "api.example.com",
                "{name}"
            );
        }
        // A name that merely ends with the zone's text is still relative.
        assert_eq!(
            record_name("notexample.com", "example.com"),
            "notexample.com.example.com"
        );
    }

    #[test]
    fn ipv6_and_ipv4_canonical_forms() {
        assert_eq!(
            record_content("AAAA", "2001:0db8:0000:0000:0000:0000:0000:0001", ""),
            "2001:db8::1"
        );
        assert_eq!(record_content("A", " 192.0.2.1 ", ""), "192.0.2.1");
        // Not an address: kept, so the difference still shows.
        assert_eq!(record_content("A", "not-an-ip", ""), "not-an-ip");
    }

    #[test]
    fn a_lone_quote_is_not_a_word() {
        // Found by the proptest below: `"` alone trimmed to an empty word made a leading space.
        assert_eq!(record_content("CAA", "\" \u{fbd3}", ""), "\u{fbd3}");
        assert_eq!(record_content("SRV", "10 \" 5 x.", ""), "10 5 x");
    }

    #[test]
    fn txt_keeps_unbalanced_or_mixed_text() {
        assert_eq!(txt(r#""unterminated"#), r#""unterminated"#);
        assert_eq!(txt(r#""a" b"#), r#""a" b"#);
        assert_eq!(txt(r#""""#), "");
        assert_eq!(txt(r#""a\"#), r#""a\"#);
    }

    #[test]
    fn satisfies_compares_arrays_in_order_and_numbers_loosely() {
        assert!(satisfies(&json!([1, "2"]), &json!(["1", 2])));
        assert!(!satisfies(&json!([1, 2]), &json!([2, 1])));
        assert!(!satisfies(&json!([1]), &json!([1, 2])));
        assert!(!satisfies(&json!({"a": 1}), &json!({})));
        assert!(satisfies(&json!({"a": null}), &json!({})));
        assert!(!satisfies(&json!(true), &json!("true")));
    }

    proptest! {
        // Quoting any text as one or several TXT strings and reading it back gives the text.
        #[test]
        fn txt_unquotes_what_quoting_produced(text in "[ -~]{0,300}", cut in 0usize..300) {
            let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
            let at = text.char_indices().map(|(i, _)| i).find(|i| *i >= cut).unwrap_or(text.len());
            let split = format!("{} {}", quote(&text[..at]), quote(&text[at..]));
            prop_assert_eq!(txt(&quote(&text)), text.clone());
            prop_assert_eq!(txt(&split), text);
        }

        // Normalising is idempotent and never panics (not for TXT: content that is itself a
        // quoted string is one level of quoting, by design).
        #[test]
        fn normalising_twice_changes_nothing(kind in "(A|AAAA|CNAME|CAA|MX|SRV|X)", content in "\\PC{0,80}", zone in "[a-z]{1,8}\\.(com|net)") {
            let once = record_content(&kind, &content, &zone);
            prop_assert_eq!(record_content(&kind, &once, &zone), once.clone());
            let name = record_name(&content, &zone);
            prop_assert_eq!(record_name(&name, &zone), name);
        }

        #[test]
        fn any_ipv6_spelling_matches_its_canonical_form(bits in any::<u128>()) {
            let ip = Ipv6Addr::from(bits);
            let long = ip.segments().iter().map(|s| format!("{s:04X}")).collect::<Vec<_>>().join(":");
            prop_assert_eq!(record_content("AAAA", &long, ""), ip.to_string());
        }
    }
}
