//! Masking secrets before they reach the audit log (pure).
//!
//! An audit log cannot be edited afterwards without breaking its chain, so a secret written to it
//! stays there: everything the writer logs goes through [`redact`] (callers may redact earlier;
//! redacting twice changes nothing). Masked:
//!
//! - the value of any object member whose name, lowercased and without `-`/`_`, is
//!   `authorization`, `cookie`, `password`, `passwd` or ends in `token`, `secret`, `password`,
//!   `apikey`, `authkey` or `privatekey` (`Authorization`, `X-Auth-Key`, `api_key`,
//!   `tunnel_token`, `client_secret`; not `token_id`);
//! - inside any string: a run of exactly 40 characters of `[A-Za-z0-9_-]` (a Cloudflare API
//!   token), a run of exactly 37 hex digits (a Global API Key, `X-Auth-Key`), and a base64 run
//!   that decodes to a JSON object with `a`, `t` and `s` members (a Cloudflare Tunnel token).
//!   A run is a maximal sequence of `[A-Za-z0-9_-]` (for tunnel tokens, of base64 characters).
//!
//! Time is linear in the size of the value; values nested deeper than
//! [`super::entry::MAX_DEPTH`] are left alone here (the canonical writer elides them).

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use serde_json::Value;

use super::entry::MAX_DEPTH;

/// What replaces the value of a secret-named member.
pub const REDACTED: &str = "[redacted]";
/// What replaces a Cloudflare API token inside a string.
pub const REDACTED_API_TOKEN: &str = "[redacted:cloudflare-api-token]";
/// What replaces a Global API Key inside a string.
pub const REDACTED_API_KEY: &str = "[redacted:cloudflare-api-key]";
/// What replaces a tunnel token inside a string.
pub const REDACTED_TUNNEL_TOKEN: &str = "[redacted:cloudflare-tunnel-token]";

/// Masks secrets in a JSON value (see the module docs).
pub fn redact(value: Value) -> Value {
    redact_at(value, 0)
}

fn redact_at(value: Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return value;
    }
    match value {
        Value::String(s) => Value::String(redact_str(&s).unwrap_or(s)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| redact_at(v, depth + 1)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    if is_secret_name(&k) && !v.is_null() {
                        (k, Value::String(REDACTED.into()))
                    } else {
                        let v = redact_at(v, depth + 1);
                        (k, v)
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

/// True for member names whose values are secrets (see the module docs).
pub fn is_secret_name(name: &str) -> bool {
    let norm: String = name
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    matches!(
        norm.as_str(),
        "authorization" | "cookie" | "password" | "passwd"
    ) || [
        "token",
        "secret",
        "password",
        "apikey",
        "authkey",
        "privatekey",
    ]
    .iter()
    .any(|end| norm.ends_with(end))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_base64_byte(b: u8) -> bool {
    is_token_byte(b) || b == b'+' || b == b'/' || b == b'='
}

/// The string with secrets masked, or `None` when it has none.
pub fn redact_str(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    // (start, end, replacement), in order, not overlapping.
    let mut spans: Vec<(usize, usize, &'static str)> = Vec::new();

    // Tunnel tokens: base64 runs starting with `eyJ` (`{"`) that decode to {"a","t","s"}.
    let mut i = 0;
    while i < bytes.len() {
        if !is_base64_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_base64_byte(bytes[i]) {
            i += 1;
        }
        let run = &s[start..i];
        // The run may start with text glued to it (`token=eyJ...`): look for `eyJ` inside.
        if let Some(at) = run.find("eyJ") {
            if is_tunnel_token(&run[at..]) {
                spans.push((start + at, i, REDACTED_TUNNEL_TOKEN));
            }
        }
    }

    // API tokens and Global API Keys: maximal runs of [A-Za-z0-9_-].
    let mut i = 0;
    let mut k = 0; // index into the tunnel spans, to skip runs inside them
    let tunnel = spans.clone();
    while i < bytes.len() {
        if !is_token_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_token_byte(bytes[i]) {
            i += 1;
        }
        while k < tunnel.len() && tunnel[k].1 <= start {
            k += 1;
        }
        if k < tunnel.len() && tunnel[k].0 < i {
            continue; // overlaps a tunnel token already masked
        }
        let len = i - start;
        if len == 40 {
            spans.push((start, i, REDACTED_API_TOKEN));
        } else if len == 37 && bytes[start..i].iter().all(u8::is_ascii_hexdigit) {
            spans.push((start, i, REDACTED_API_KEY));
        }
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort_by_key(|s| s.0);
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (start, end, replacement) in spans {
        if start < at {
            continue;
        }
        // Span ends are ASCII-run boundaries, so char boundaries.
        out.push_str(&s[at..start]);
        out.push_str(replacement);
        at = end;
    }
    out.push_str(&s[at..]);
    Some(out)
}

fn is_tunnel_token(text: &str) -> bool {
    // A tunnel token is ~180+ characters; anything much shorter cannot hold a, t and s.
    if text.len() < 40 || text.len() > 8192 {
        return false;
    }
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let trimmed = text.trim_end_matches('=');
    let decoded = if trimmed.contains(['-', '_']) {
        GeneralPurpose::new(&alphabet::URL_SAFE, config).decode(trimmed)
    } else {
        GeneralPurpose::new(&alphabet::STANDARD, config).decode(trimmed)
    };
    let Ok(decoded) = decoded else {
        return false;
    };
    match serde_json::from_slice::<Value>(&decoded) {
        Ok(Value::Object(map)) => ["a", "t", "s"].iter().all(|k| map.contains_key(*k)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TOKEN: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-Ab";
    const KEY: &str = "0123456789abcdef0123456789abcdef01234";

    fn tunnel_token() -> String {
        let body = r#"{"a":"0123456789abcdef0123456789abcdef","t":"f3a8c9d2-1111-2222-3333-444455556666","s":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="}"#;
        base64::engine::general_purpose::STANDARD.encode(body)
    }

    #[test]
    fn masks_members_by_name() {
        let v = redact(json!({
            "Authorization": "Bearer x",
            "X-Auth-Key": "k",
            "api_key": "k",
            "tunnel_token": "t",
            "client_secret": "s",
            "password": 1,
            "token_id": "keep",
            "nested": [{"secret": {"deep": true}}],
            "token": null
        }));
        assert_eq!(v["Authorization"], json!(REDACTED));
        assert_eq!(v["X-Auth-Key"], json!(REDACTED));
        assert_eq!(v["api_key"], json!(REDACTED));
        assert_eq!(v["tunnel_token"], json!(REDACTED));
        assert_eq!(v["client_secret"], json!(REDACTED));
        assert_eq!(v["password"], json!(REDACTED));
        assert_eq!(v["token_id"], json!("keep"));
        assert_eq!(v["nested"][0]["secret"], json!(REDACTED));
        assert_eq!(v["token"], Value::Null);
    }

    #[test]
    fn masks_tokens_inside_strings() {
        let text = format!("curl -H 'Authorization: Bearer {TOKEN}' -H 'X-Auth-Key: {KEY}'");
        let out = redact_str(&text).unwrap_or_default();
        assert!(!out.contains(TOKEN) && !out.contains(KEY), "{out}");
        assert!(out.contains(REDACTED_API_TOKEN) && out.contains(REDACTED_API_KEY));
        // 41 or 39 characters, 36 or 38 hex digits, 32-hex zone ids: not secrets.
        for keep in [
            format!("{TOKEN}x"),
            TOKEN[1..].to_owned(),
            KEY[1..].to_owned(),
            format!("{KEY}0"),
            "023e105f4ecef8ad9ca31a8372d0c353".to_owned(),
        ] {
            assert_eq!(redact_str(&keep), None, "{keep}");
        }
        // 37 characters that are not all hex: not a key.
        assert_eq!(redact_str(&format!("{}z", &KEY[1..])), None);
    }

    #[test]
    fn masks_tunnel_tokens() {
        let t = tunnel_token();
        let out =
            redact_str(&format!("cloudflared tunnel run --token {t} now")).unwrap_or_default();
        assert_eq!(
            out,
            format!("cloudflared tunnel run --token {REDACTED_TUNNEL_TOKEN} now")
        );
        let out = redact_str(&format!("TUNNEL_TOKEN={t}")).unwrap_or_default();
        assert_eq!(out, format!("TUNNEL_TOKEN={REDACTED_TUNNEL_TOKEN}"));
        // Other base64 JSON is kept.
        let other = base64::engine::general_purpose::STANDARD
            .encode(r#"{"alg":"HS256","typ":"JWT","padding":"xxxxxxxxxxxxxxxx"}"#);
        assert_eq!(redact_str(&other), None);
    }

    #[test]
    fn is_idempotent_and_total() {
        let v =
            json!({"q": format!("{TOKEN} {KEY} {}", tunnel_token()), "n": 1.5, "b": [true, null]});
        let once = redact(v);
        assert_eq!(redact(once.clone()), once);
        // Odd input: huge strings, non-ASCII around tokens.
        let big = "é".repeat(1_000_000) + TOKEN + "é";
        let out = redact_str(&big).unwrap_or_default();
        assert!(out.ends_with(&format!("{REDACTED_API_TOKEN}é")));
    }
}
