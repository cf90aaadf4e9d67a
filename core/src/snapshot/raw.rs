//! JSON kept as compact text rather than a tree of `serde_json::Value`s: [`RawMembers`] for the
//! members of a DNS record that cfcp does not model, [`RawJson`] for its structured `data`.
//!
//! An account holds millions of DNS records and each carries a few members cfcp never reads
//! (`meta`, `settings`, `created_on`, ...). As a `Map<String, Value>` they cost over a kilobyte per
//! record (an index map, a boxed key and a 72-byte value per member, more for nested objects); as
//! text they cost their compact JSON length. They are parsed back only when written out or asked
//! for. Both write back exactly the JSON a `Value` would, so snapshots keep their bytes.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Unknown members of an object as compact JSON object text (`{"meta":{...},"created_on":"..."}`),
/// empty when there are none. Written back member by member, in the order they were read, so a
/// snapshot still round-trips to the same JSON.
///
/// ```
/// use cfcp::snapshot::RawMembers;
/// use serde_json::json;
/// let mut extra = RawMembers::default();
/// assert!(extra.is_empty());
/// extra.insert("meta", json!({"auto_added": false}));
/// assert_eq!(extra.get("meta"), Some(json!({"auto_added": false})));
/// assert_eq!(extra.as_json(), r#"{"meta":{"auto_added":false}}"#);
/// ```
#[derive(Clone, Default)]
pub struct RawMembers(Box<str>);

impl RawMembers {
    /// No members.
    pub fn new() -> Self {
        RawMembers::default()
    }

    /// True when there are no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The members as a compact JSON object (`{}` when there are none).
    pub fn as_json(&self) -> &str {
        if self.0.is_empty() {
            "{}"
        } else {
            &self.0
        }
    }

    /// The members as a map, in their original order.
    pub fn to_map(&self) -> Map<String, Value> {
        if self.0.is_empty() {
            return Map::new();
        }
        // The text was written by `serde_json` from valid JSON, so it always parses.
        serde_json::from_str(&self.0).unwrap_or_default()
    }

    /// The member named `key`, parsed.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.to_map().remove(key)
    }

    /// Sets a member (keeping its position if it exists) and returns the previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let mut map = self.to_map();
        let previous = map.insert(key.into(), value);
        *self = RawMembers::from(map);
        previous
    }
}

impl From<Map<String, Value>> for RawMembers {
    fn from(map: Map<String, Value>) -> Self {
        if map.is_empty() {
            return RawMembers::default();
        }
        // Serializing a map of JSON values cannot fail.
        RawMembers(serde_json::to_string(&map).unwrap_or_default().into())
    }
}

impl From<RawMembers> for Map<String, Value> {
    fn from(members: RawMembers) -> Self {
        members.to_map()
    }
}

impl IntoIterator for RawMembers {
    type Item = (String, Value);
    type IntoIter = serde_json::map::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.to_map().into_iter()
    }
}

/// Equal when they hold the same members, in any order (as `Map` equality is).
impl PartialEq for RawMembers {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 || self.to_map() == other.to_map()
    }
}

impl fmt::Debug for RawMembers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawMembers({})", self.as_json())
    }
}

impl Serialize for RawMembers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let map = self.to_map();
        let mut out = serializer.serialize_map(Some(map.len()))?;
        for (key, value) in &map {
            out.serialize_entry(key, value)?;
        }
        out.end()
    }
}

impl<'de> Deserialize<'de> for RawMembers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// One JSON value as compact text (`{"flags":0,"tag":"issue","value":"ca.example"}`).
///
/// ```
/// use cfcp::snapshot::RawJson;
/// use serde_json::json;
/// let data = RawJson::from(json!({"tag": "issue", "flags": 0}));
/// assert_eq!(data.get("tag"), Some(json!("issue")));
/// assert_eq!(data.as_json(), r#"{"tag":"issue","flags":0}"#);
/// assert_eq!(data.to_value(), json!({"tag": "issue", "flags": 0}));
/// ```
#[derive(Clone)]
pub struct RawJson(Box<str>);

impl RawJson {
    /// The value as compact JSON text.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// The value, parsed.
    pub fn to_value(&self) -> Value {
        // The text was written by `serde_json` from valid JSON, so it always parses.
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The member `key` when the value is an object that has it (the last one if repeated, as
    /// parsing into a `Value` keeps). Only that member is built; the others are skipped.
    pub fn get(&self, key: &str) -> Option<Value> {
        let mut de = serde_json::Deserializer::from_str(&self.0);
        de::Deserializer::deserialize_any(&mut de, MemberVisitor { key }).unwrap_or(None)
    }
}

/// Finds one member of an object, skipping the rest without building them.
struct MemberVisitor<'k> {
    key: &'k str,
}

impl<'de> Visitor<'de> for MemberVisitor<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.key {
                found = Some(map.next_value()?);
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }
}

impl From<Value> for RawJson {
    fn from(value: Value) -> Self {
        RawJson(value.to_string().into_boxed_str())
    }
}

/// Equal when they hold the same JSON value (objects in any member order, as `Value` equality is).
impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 || self.to_value() == other.to_value()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.0)
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        with_scratch(|out| {
            Compact::value(out).deserialize(deserializer)?;
            boxed_text(out).map(RawJson)
        })
    }
}

thread_local! {
    /// Where values are written before being copied out at their exact size: growing each
    /// record's own buffer would leave a trail of freed fragments on the heap.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with an empty scratch buffer (a fresh one if the thread's is in use).
fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut out) => {
            out.clear();
            let result = f(&mut out);
            if out.capacity() > 1 << 20 {
                // One huge value should not pin a megabyte per thread for good.
                *out = Vec::new();
            }
            result
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// The JSON text in `out`, in an allocation of exactly its size.
fn boxed_text<E: de::Error>(out: &[u8]) -> Result<Box<str>, E> {
    std::str::from_utf8(out).map(Box::from).map_err(E::custom)
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = RawMembers;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMembers, A::Error> {
        with_scratch(|out| {
            while map.next_key_seed(Compact::key(out))?.is_some() {
                out.push(b':');
                map.next_value_seed(Compact::value(out))?;
            }
            if out.is_empty() {
                return Ok(RawMembers::default());
            }
            out[0] = b'{';
            out.push(b'}');
            boxed_text(out).map(RawMembers)
        })
    }
}

/// Writes the value it deserializes as compact JSON into `out`, without building a `Value`.
/// A key is written with a leading `,` (the first one's becomes the object's `{`).
struct Compact<'o> {
    out: &'o mut Vec<u8>,
    key: bool,
}

impl<'o> Compact<'o> {
    fn key(out: &'o mut Vec<u8>) -> Self {
        Compact { out, key: true }
    }

    fn value(out: &'o mut Vec<u8>) -> Self {
        Compact { out, key: false }
    }

    fn scalar<T: Serialize + ?Sized, E: de::Error>(self, value: &T) -> Result<(), E> {
        serde_json::to_writer(&mut *self.out, value).map_err(E::custom)
    }
}

impl<'de> DeserializeSeed<'de> for Compact<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.key {
            self.out.push(b',');
            deserializer.deserialize_str(self)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Compact<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.scalar(&v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(&v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(&v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // Through `Value`, as the `Map` this replaces did: non-finite numbers become `null`.
        self.scalar(&Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.scalar(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.out.push(b'[');
        let mut first = true;
        loop {
            let at = self.out.len();
            if !first {
                self.out.push(b',');
            }
            if seq.next_element_seed(Compact::value(self.out))?.is_none() {
                self.out.truncate(at);
                break;
            }
            first = false;
        }
        self.out.push(b']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let start = self.out.len();
        while map.next_key_seed(Compact::key(self.out))?.is_some() {
            self.out.push(b':');
            map.next_value_seed(Compact::value(self.out))?;
        }
        if self.out.len() == start {
            self.out.extend_from_slice(b"{}");
        } else {
            self.out[start] = b'{';
            self.out.push(b'}');
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Object {
        known: u32,
        #[serde(flatten)]
        extra: RawMembers,
    }

    const ODD: &str = r#"{"known":1,"z":{"b":[1,-2,3.5,1e300,"\u00e9\n\"",null,true,{}],"a":[]},"a":"x","big":18446744073709551615,"neg":-9223372036854775808,"f":1.0}"#;

    #[test]
    fn round_trips_unknown_members_in_order_and_exactly() {
        let object: Object = serde_json::from_str(ODD).unwrap();
        assert_eq!(object.known, 1);
        let expected: Value = serde_json::from_str(ODD).unwrap();
        let written = serde_json::to_string(&object).unwrap();
        assert_eq!(written, serde_json::to_string(&expected).unwrap());
        assert_eq!(
            serde_json::to_string_pretty(&object).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
    }

    #[test]
    fn is_as_small_as_its_compact_text() {
        let object: Object = serde_json::from_str(ODD).unwrap();
        let all: Map<String, Value> = serde_json::from_str(ODD).unwrap();
        let unknown: Map<String, Value> = all.into_iter().filter(|(k, _)| k != "known").collect();
        assert_eq!(object.extra.as_json(), Value::Object(unknown).to_string());
        let none: Object = serde_json::from_str(r#"{"known":2}"#).unwrap();
        assert!(none.extra.is_empty());
        assert_eq!(none.extra.as_json(), "{}");
        assert_eq!(serde_json::to_string(&none).unwrap(), r#"{"known":2}"#);
    }

    #[test]
    fn reads_from_a_value_too() {
        let value: Value = serde_json::from_str(ODD).unwrap();
        let object = Object::deserialize(&value).unwrap();
        assert_eq!(serde_json::to_value(&object).unwrap(), value);
    }

    #[test]
    fn lookups_and_edits() {
        let mut members = RawMembers::from(
            json!({"a": 1, "b": {"c": [true]}})
                .as_object()
                .cloned()
                .unwrap(),
        );
        assert_eq!(members.get("b"), Some(json!({"c": [true]})));
        assert_eq!(members.get("zz"), None);
        assert_eq!(members.insert("a", json!(2)), Some(json!(1)));
        assert_eq!(members.as_json(), r#"{"a":2,"b":{"c":[true]}}"#);
        let keys: Vec<String> = members.clone().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b"]);
        let reordered = RawMembers::from(
            json!({"b": {"c": [true]}, "a": 2})
                .as_object()
                .cloned()
                .unwrap(),
        );
        assert_eq!(members, reordered);
        assert_ne!(members, RawMembers::new());
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct WithData {
        #[serde(default, skip_serializing_if = "crate::snapshot::Field::is_absent")]
        data: crate::snapshot::Field<RawJson>,
    }

    #[test]
    fn raw_json_keeps_absent_null_and_any_value() {
        for text in [
            r#"{}"#,
            r#"{"data":null}"#,
            r#"{"data":{"z":1,"a":[2.5,"x",{}]}}"#,
            r#"{"data":"text"}"#,
            r#"{"data":[]}"#,
        ] {
            let with: WithData = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&with).unwrap(), text);
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                serde_json::to_string_pretty(&with).unwrap(),
                serde_json::to_string_pretty(&value).unwrap()
            );
        }
        let with: WithData = serde_json::from_str(r#"{"data":{"tag":"issue"}}"#).unwrap();
        let data = with.data.get().unwrap();
        assert_eq!(data.get("tag"), Some(json!("issue")));
        assert_eq!(data.get("value"), None);
        assert_eq!(RawJson::from(json!([1])).get("tag"), None);
        assert_eq!(RawJson::from(json!("tag")).get("tag"), None);
        let repeated: WithData =
            serde_json::from_str(r#"{"data":{"t\u0061g":1,"x":[{"tag":0}],"tag":2}}"#).unwrap();
        assert_eq!(repeated.data.get().unwrap().get("tag"), Some(json!(2)));
        assert_eq!(*data, RawJson::from(json!({"tag": "issue"})));
    }

    #[test]
    fn bad_json_in_a_member_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<Object>(r#"{"known":1,"x":[1,}"#).is_err());
        assert!(serde_json::from_str::<Object>(r#"{"known":1,"x":"\ud800"}"#).is_err());
    }
}
