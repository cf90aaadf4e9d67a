//! [`SharedStr`]: text that many findings hold at once, stored once.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An immutable string that clones by bumping a reference count.
///
/// A run over a million DNS records makes millions of findings: every finding of a zone names the
/// same zone, every check of a record names the same record, and the failures of one check in
/// one zone often carry the same Terraform. Sharing that text keeps a finding at a fixed size
/// plus its own message. Compares, hashes, orders, prints and serializes as the string it holds.
///
/// ```
/// use cfcp::invariants::SharedStr;
/// let zone = SharedStr::from("example.com");
/// let again = zone.clone(); // no copy of the text
/// assert_eq!(again, "example.com");
/// assert_eq!(serde_json::to_string(&again).unwrap(), r#""example.com""#);
/// assert_eq!(again.len(), 11);
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for SharedStr {
    fn default() -> Self {
        SharedStr(Arc::from(""))
    }
}

impl Deref for SharedStr {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> Self {
        SharedStr(Arc::from(text))
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> Self {
        SharedStr(Arc::from(text))
    }
}

impl From<&String> for SharedStr {
    fn from(text: &String) -> Self {
        SharedStr(Arc::from(text.as_str()))
    }
}

impl From<SharedStr> for String {
    fn from(text: SharedStr) -> Self {
        text.0.as_ref().to_owned()
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == &*other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SharedStr::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_allocation() {
        let a = SharedStr::from(String::from("zone0001.example"));
        let b = a.clone();
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(Arc::strong_count(&a.0), 2);
    }

    #[test]
    fn behaves_like_the_string_it_holds() {
        let text = SharedStr::from("b.example");
        assert_eq!(text, "b.example");
        assert_eq!("b.example", text);
        assert_eq!(text, String::from("b.example"));
        assert_eq!(String::from("b.example"), text);
        let earlier = SharedStr::from("a");
        assert!(earlier < text);
        assert_eq!(format!("{text} {text:?}"), "b.example \"b.example\"");
        assert_eq!(String::from(text.clone()), "b.example");
        assert!(text.ends_with(".example"));
        assert_eq!(SharedStr::default(), "");
        let set: std::collections::HashSet<SharedStr> = [text.clone()].into();
        assert!(set.contains("b.example"));
        let back: SharedStr = serde_json::from_str(&serde_json::to_string(&text).unwrap()).unwrap();
        assert_eq!(back, text);
        assert!(serde_json::from_str::<SharedStr>("1").is_err());
    }
}
