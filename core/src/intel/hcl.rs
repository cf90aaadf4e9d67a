//! A small writer for Terraform HCL: quoted strings, identifiers, and JSON values as HCL
//! expressions. Enough for the resources [`super::propose()`] writes; not a general formatter.

use serde_json::Value;

/// A quoted HCL string: `"`, `\` and control characters escaped, and `${` / `%{` doubled so
/// Terraform does not read them as interpolation or directives.
///
/// ```
/// use cfcp::intel::hcl::string;
/// assert_eq!(string(r#"say "hi" to ${name}"#), r#""say \"hi\" to $${name}""#);
/// assert_eq!(string("ip.src in $bad_ips"), r#""ip.src in $bad_ips""#);
/// assert_eq!(string("a\nb\u{1}"), r#""a\nb\u0001""#);
/// ```
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Terraform resource name from any text: lower case, runs of other characters as `_`,
/// starting with a letter or `_`.
///
/// ```
/// assert_eq!(cfcp::intel::hcl::identifier("acme-api.io custom"), "acme_api_io_custom");
/// assert_eq!(cfcp::intel::hcl::identifier("1st"), "_1st");
/// ```
pub fn identifier(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    let mut out = trimmed.to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// An object key: bare when it is an identifier, quoted otherwise.
fn key(name: &str) -> String {
    let mut chars = name.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_string()
    } else {
        string(name)
    }
}

/// A JSON value as an HCL expression, nested objects and arrays indented by `indent` levels.
///
/// ```
/// use cfcp::intel::hcl::value;
/// let v = serde_json::json!({"status_code": 403, "X-Header": {"operation": "set"}, "list": [true, null]});
/// assert_eq!(
///     value(&v, 0),
///     "{\n  status_code = 403\n  X-Header = {\n    operation = \"set\"\n  }\n  list = [true, null]\n}"
/// );
/// ```
pub fn value(v: &Value, indent: usize) -> String {
    let pad = "  ".repeat(indent + 1);
    let close = "  ".repeat(indent);
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(items) if items.is_empty() => "[]".to_string(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let inner: Vec<String> = items.iter().map(|i| value(i, indent)).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|i| format!("{pad}{},\n", value(i, indent + 1)))
                .collect();
            format!("[\n{}{close}]", inner.concat())
        }
        Value::Object(map) if map.is_empty() => "{}".to_string(),
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{pad}{} = {}\n", key(k), value(v, indent + 1)))
                .collect();
            format!("{{\n{}{close}}}", inner.concat())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_arrays_of_objects() {
        let v = serde_json::json!([{"a": 1}, {"b": [1, 2]}]);
        assert_eq!(
            value(&v, 1),
            "[\n    {\n      a = 1\n    },\n    {\n      b = [1, 2]\n    },\n  ]"
        );
        assert_eq!(value(&serde_json::json!({}), 0), "{}");
        assert_eq!(value(&serde_json::json!([]), 0), "[]");
        assert_eq!(key("has space"), "\"has space\"");
        assert_eq!(key("X-Custom-Header"), "X-Custom-Header");
        assert_eq!(string("100%{x} %d"), "\"100%%{x} %d\"");
    }
}
