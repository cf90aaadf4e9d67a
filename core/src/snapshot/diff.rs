//! Content comparison of two snapshots, for tests and for "did anything change" questions.
//!
//! This is deliberately structural (JSON path by JSON path); the semantic drift engine lives in
//! `drift`.

use serde_json::Value;

use super::Snapshot;

/// One place where two snapshots' contents differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// JSON path, e.g. `zones[1].dns_records[3].ttl`.
    pub path: String,
    /// The value on the left (`None`: absent).
    pub left: Option<Value>,
    /// The value on the right (`None`: absent).
    pub right: Option<Value>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<Value>| {
            v.as_ref()
                .map_or("(absent)".to_owned(), |v| truncate(&v.to_string()))
        };
        write!(
            f,
            "{}: {} != {}",
            self.path,
            show(&self.left),
            show(&self.right)
        )
    }
}

fn truncate(text: &str) -> String {
    if text.len() <= 120 {
        return text.to_owned();
    }
    let mut end = 117;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Differences in everything but `taken_at` and `source`.
///
/// ```
/// use cfcp::snapshot::{Snapshot, Source, SourceKind, Timestamp, content_differences};
/// let source = Source { kind: SourceKind::File, detail: Default::default(), extra: Default::default() };
/// let a = Snapshot::new(Timestamp::parse("2026-01-01T00:00:00Z").unwrap(), source.clone());
/// let b = Snapshot::new(Timestamp::parse("2026-02-01T00:00:00Z").unwrap(), source);
/// assert!(content_differences(&a, &b).is_empty());
/// ```
pub fn content_differences(left: &Snapshot, right: &Snapshot) -> Vec<Difference> {
    let strip = |s: &Snapshot| {
        let mut v = s.to_value();
        if let Some(o) = v.as_object_mut() {
            o.remove("taken_at");
            o.remove("source");
        }
        v
    };
    let mut out = Vec::new();
    walk(String::new(), &strip(left), &strip(right), &mut out);
    out
}

fn walk(path: String, left: &Value, right: &Value, out: &mut Vec<Difference>) {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            for (key, lv) in l {
                let child = join(&path, key);
                match r.get(key) {
                    Some(rv) => walk(child, lv, rv, out),
                    None => out.push(Difference {
                        path: child,
                        left: Some(lv.clone()),
                        right: None,
                    }),
                }
            }
            for (key, rv) in r {
                if !l.contains_key(key) {
                    out.push(Difference {
                        path: join(&path, key),
                        left: None,
                        right: Some(rv.clone()),
                    });
                }
            }
        }
        (Value::Array(l), Value::Array(r)) => {
            for i in 0..l.len().max(r.len()) {
                let child = format!("{path}[{i}]");
                match (l.get(i), r.get(i)) {
                    (Some(lv), Some(rv)) => walk(child, lv, rv, out),
                    (lv, rv) => out.push(Difference {
                        path: child,
                        left: lv.cloned(),
                        right: rv.cloned(),
                    }),
                }
            }
        }
        (l, r) if l == r => {}
        (l, r) => out.push(Difference {
            path: if path.is_empty() {
                "$".to_owned()
            } else {
                path
            },
            left: Some(l.clone()),
            right: Some(r.clone()),
        }),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}
