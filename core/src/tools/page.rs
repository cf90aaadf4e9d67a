//! Cursor pagination for tool results, so a list never outgrows a model's context.
//!
//! A cursor is opaque to the caller (`o:<offset>`) but stateless for us: a server restart does
//! not invalidate it, and a cursor that does not parse is a clear error, never a silent restart.

use serde_json::{json, Value};

/// The page size when the caller gives none.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest page a caller may ask for.
pub const MAX_LIMIT: usize = 200;

/// One page of `items`: the items, how many there are in all, and where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// How many items there are in all.
    pub total: usize,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page's bookkeeping as JSON (`total`, `returned`, `next_cursor`), for a result's summary.
    pub fn summary(&self) -> Value {
        json!({"total": self.total, "returned": self.items.len(), "next_cursor": self.next_cursor})
    }
}

/// Reads `cursor` and `limit` from a tool call's arguments and cuts `items` to one page.
///
/// ```
/// use cfcp::tools::page::paginate;
/// let args = serde_json::json!({"limit": 2});
/// let first = paginate((0..5).collect::<Vec<_>>(), &args).unwrap();
/// assert_eq!((first.items.clone(), first.total), (vec![0, 1], 5));
/// let args = serde_json::json!({"limit": 2, "cursor": first.next_cursor});
/// assert_eq!(paginate((0..5).collect::<Vec<_>>(), &args).unwrap().items, vec![2, 3]);
/// assert!(paginate(vec![1], &serde_json::json!({"cursor": "nonsense"})).is_err());
/// ```
pub fn paginate<T>(items: Vec<T>, arguments: &Value) -> Result<Page<T>, String> {
    let limit = match arguments.get("limit") {
        None | Some(Value::Null) => DEFAULT_LIMIT,
        Some(v) => match v.as_u64() {
            Some(n) if (1..=MAX_LIMIT as u64).contains(&n) => n as usize,
            _ => {
                return Err(format!(
                    "arguments.limit: expected an integer from 1 to {MAX_LIMIT}, found {v}"
                ))
            }
        },
    };
    let offset = match arguments.get("cursor") {
        None | Some(Value::Null) => 0,
        Some(Value::String(c)) => parse_cursor(c).ok_or_else(|| {
            format!("arguments.cursor: {c:?} is not a cursor this server returned; omit it to start from the first page")
        })?,
        Some(other) => return Err(format!("arguments.cursor: expected a string, found {other}")),
    };
    let total = items.len();
    if offset > total {
        return Err(format!(
            "arguments.cursor: points past the end ({offset} of {total} items); the list changed, start again without a cursor"
        ));
    }
    let items: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let end = offset + items.len();
    Ok(Page {
        next_cursor: (end < total).then(|| format!("o:{end}")),
        items,
        total,
    })
}

fn parse_cursor(cursor: &str) -> Option<usize> {
    cursor.strip_prefix("o:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_item_once_in_order() {
        let items: Vec<u32> = (0..123).collect();
        let mut seen = Vec::new();
        let mut args = json!({"limit": 50});
        loop {
            let page = paginate(items.clone(), &args).unwrap();
            assert_eq!(page.total, 123);
            seen.extend(page.items);
            match page.next_cursor {
                Some(c) => args["cursor"] = json!(c),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn bad_limits_and_cursors_are_errors_naming_the_argument() {
        for args in [
            json!({"limit": 0}),
            json!({"limit": MAX_LIMIT + 1}),
            json!({"limit": "10"}),
        ] {
            assert!(paginate(vec![1], &args)
                .unwrap_err()
                .starts_with("arguments.limit"));
        }
        for args in [
            json!({"cursor": 5}),
            json!({"cursor": "o:9"}),
            json!({"cursor": "x"}),
        ] {
            assert!(paginate(vec![1], &args)
                .unwrap_err()
                .starts_with("arguments.cursor"));
        }
    }

    #[test]
    fn default_limit_applies_and_last_page_has_no_cursor() {
        let page = paginate((0..DEFAULT_LIMIT + 1).collect::<Vec<_>>(), &json!({})).unwrap();
        assert_eq!(page.items.len(), DEFAULT_LIMIT);
        assert_eq!(page.next_cursor.as_deref(), Some("o:50"));
        let page = paginate(vec![1, 2], &json!({})).unwrap();
        assert_eq!(page.next_cursor, None);
    }
}
