//! [`Field`]: a JSON member that may be absent, `null`, or a value.
//!
//! Cloudflare distinguishes "not sent" from `null` (a record's `comment: null`), and a snapshot must
//! round-trip to an equal JSON value, so `Option<T>` is not enough: it would turn one into the other.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A member that may be absent, explicitly `null`, or hold a value.
///
/// Use it with `#[serde(default, skip_serializing_if = "Field::is_absent")]`.
///
/// ```
/// use cfcp::snapshot::Field;
/// let ttl: Field<u32> = Field::Value(300);
/// assert_eq!(ttl.get(), Some(&300));
/// assert!(Field::<u32>::Null.get().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Field<T> {
    /// The member was not in the object.
    #[default]
    Absent,
    /// The member was `null`.
    Null,
    /// The member had a value.
    Value(T),
}

impl<T> Field<T> {
    /// True when the member was not in the object (used to skip it when serializing).
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    /// The value, if there is one.
    pub fn get(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            Field::Absent | Field::Null => None,
        }
    }

    /// Mutable access to the value, if there is one.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        match self {
            Field::Value(v) => Some(v),
            Field::Absent | Field::Null => None,
        }
    }
}

impl<T: Copy> Field<T> {
    /// The value by copy, if there is one.
    pub fn copied(&self) -> Option<T> {
        self.get().copied()
    }
}

impl Field<String> {
    /// The value as `&str`, if there is one.
    pub fn as_deref(&self) -> Option<&str> {
        self.get().map(String::as_str)
    }
}

impl<T> From<Option<T>> for Field<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Field::Null, Field::Value)
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Value(v) => v.serialize(serializer),
            Field::Absent | Field::Null => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Field::from)
    }
}
