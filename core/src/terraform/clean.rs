//! Terraform's encoding of values, undone: dynamic attributes unwrapped, `null` ("unset") dropped.

use serde_json::{Map, Value};

/// The value with every dynamic attribute (`{"type": "string", "value": "0"}`, how the provider
/// stores a value whose type is only known at run time) replaced by its value, and every `null`
/// member or element removed: in a Terraform state `null` means "not set", which in the API's
/// shapes is an absent member. `None` when the value itself is `null`.
pub(crate) fn clean(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Object(map) if is_dynamic(&map) => {
            let mut map = map;
            map.remove("value").and_then(clean)
        }
        Value::Object(map) => Some(Value::Object(clean_map(map))),
        Value::Array(items) => Some(Value::Array(items.into_iter().filter_map(clean).collect())),
        other => Some(other),
    }
}

/// [`clean`] applied to every member of an object.
pub(crate) fn clean_map(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .filter_map(|(k, v)| clean(v).map(|v| (k, v)))
        .collect()
}

/// A dynamic attribute: exactly `type` and `value`, where `type` is a cty type (a primitive
/// type's name or a `["list", ...]`-style array). An API object that happens to have members
/// named `type` and `value` has a type that is neither.
fn is_dynamic(map: &Map<String, Value>) -> bool {
    map.len() == 2
        && map.contains_key("value")
        && match map.get("type") {
            Some(Value::String(t)) => {
                matches!(t.as_str(), "string" | "number" | "bool" | "dynamic")
            }
            Some(Value::Array(parts)) => matches!(
                parts.first().and_then(Value::as_str),
                Some("list" | "set" | "map" | "object" | "tuple")
            ),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dynamic_values_are_unwrapped_at_any_depth() {
        let v = json!({"data": {"flags": {"type": "string", "value": "0"}, "tag": "issue"},
                       "value": {"type": ["object", {"a": "number"}], "value": {"a": 1}}});
        assert_eq!(
            clean(v),
            Some(json!({"data": {"flags": "0", "tag": "issue"}, "value": {"a": 1}}))
        );
    }

    #[test]
    fn api_objects_named_type_and_value_are_kept() {
        let v = json!({"type": "A", "value": "192.0.2.1"});
        assert_eq!(clean(v.clone()), Some(v));
    }

    #[test]
    fn nulls_are_dropped_but_false_zero_and_empty_are_kept() {
        let v = json!({"comment": null, "proxied": false, "ttl": 0, "tags": [], "list": [null, 1]});
        assert_eq!(
            clean(v),
            Some(json!({"proxied": false, "ttl": 0, "tags": [], "list": [1]}))
        );
        assert_eq!(clean(json!({"type": "string", "value": null})), None);
    }
}
