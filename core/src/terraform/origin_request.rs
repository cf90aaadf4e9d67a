//! A tunnel's `originRequest`: the provider writes its members in snake_case
//! (`connect_timeout`, `no_tls_verify`), the API and cloudflared in camelCase (`connectTimeout`,
//! `noTLSVerify`).

use serde_json::{Map, Value};

/// Members whose camelCase is not the plain conversion.
const IRREGULAR: &[(&str, &str)] = &[("no_tls_verify", "noTLSVerify")];

/// The API's name of a provider member (`keep_alive_timeout` → `keepAliveTimeout`).
pub(crate) fn to_camel(snake: &str) -> String {
    if let Some((_, camel)) = IRREGULAR.iter().find(|(s, _)| *s == snake) {
        return (*camel).to_owned();
    }
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The provider's name of an API member (`keepAliveTimeout` → `keep_alive_timeout`).
pub(crate) fn to_snake(camel: &str) -> String {
    if let Some((snake, _)) = IRREGULAR.iter().find(|(_, c)| *c == camel) {
        return (*snake).to_owned();
    }
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Renames the keys of an object and of the objects nested in it (`access`, `ip_rules`).
pub(crate) fn rename_keys(value: Value, rename: fn(&str) -> String) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (rename(&k), rename_keys(v, rename)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| rename_keys(v, rename)).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_convert_both_ways() {
        for (snake, camel) in [
            ("connect_timeout", "connectTimeout"),
            ("no_tls_verify", "noTLSVerify"),
            ("http2_origin", "http2Origin"),
            ("aud_tag", "audTag"),
            ("ca_pool", "caPool"),
        ] {
            assert_eq!(to_camel(snake), camel);
            assert_eq!(to_snake(camel), snake);
        }
    }
}
