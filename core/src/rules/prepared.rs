//! A request prepared for evaluating many filters against it.
//!
//! [`Filter::matches`](super::Filter::matches) works out each field it reads from the
//! [`Request`]: scanning the headers for `http.user_agent`, formatting `http.request.full_uri`,
//! joining `Cookie` headers. Run against one request, a ruleset reads the same fields again and
//! again; a [`PreparedRequest`] works out every scalar field once, and
//! [`Filter::matches_prepared`](super::Filter::matches_prepared) then reads a field with an
//! index. (This is what wirefilter's `ExecutionContext` is: values set once, filters run
//! against it.)

use std::borrow::Cow;
use std::net::IpAddr;

use super::eval::{overridden, Scalar, Source};
use super::fields::field_entry;
use super::Request;

/// Every scalar field of one [`Request`], worked out once.
///
/// ```
/// use cfcp::rules::{parse_filter, Lists, Request};
/// let request = Request::get("example.com", "/login").header("User-Agent", "curl/8.0");
/// let prepared = request.prepare();
/// let lists = Lists::default();
/// for text in [r#"http.user_agent contains "curl""#, r#"http.request.full_uri eq "https://example.com/login""#] {
///     let filter = parse_filter(text).unwrap();
///     assert!(filter.matches_prepared(&prepared, &lists));
///     assert_eq!(filter.matches_prepared(&prepared, &lists), filter.matches(&request, &lists));
/// }
/// ```
#[derive(Debug, Clone)]
pub struct PreparedRequest<'r> {
    request: &'r Request,
    /// The value of each [`Source`], by discriminant.
    values: Box<[Value<'r>; Source::ALL.len()]>,
    /// Scalar fields the request sets by name (`Request::fields`), which win over `values`.
    overrides: Vec<(&'static str, Value<'static>)>,
}

/// A stored field value. Unlike [`Scalar`] (whose `Cow` hides its tag in a string's capacity),
/// its tag is plain, so that reading a value is one load and one compare.
#[derive(Debug, Clone, PartialEq)]
enum Value<'r> {
    Missing,
    Bool(bool),
    Int(i64),
    Ip(IpAddr),
    Str(&'r str),
    Owned(Box<str>),
}

impl<'r> From<Option<Scalar<'r>>> for Value<'r> {
    fn from(value: Option<Scalar<'r>>) -> Self {
        match value {
            None => Value::Missing,
            Some(Scalar::Bool(b)) => Value::Bool(b),
            Some(Scalar::Int(i)) => Value::Int(i),
            Some(Scalar::Ip(ip)) => Value::Ip(ip),
            Some(Scalar::Str(Cow::Borrowed(s))) => Value::Str(s),
            Some(Scalar::Str(Cow::Owned(s))) => Value::Owned(s.into_boxed_str()),
        }
    }
}

impl Value<'_> {
    fn scalar(&self) -> Option<Scalar<'_>> {
        Some(match self {
            Value::Missing => return None,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Int(i) => Scalar::Int(*i),
            Value::Ip(ip) => Scalar::Ip(*ip),
            Value::Str(s) => Scalar::Str(Cow::Borrowed(s)),
            Value::Owned(s) => Scalar::Str(Cow::Borrowed(s)),
        })
    }
}

impl Request {
    /// Works out every scalar field of the request once, for
    /// [`Filter::matches_prepared`](super::Filter::matches_prepared).
    pub fn prepare(&self) -> PreparedRequest<'_> {
        let values = Box::new(Source::ALL.map(|s| Value::from(self.source(s))));
        let overrides = self
            .fields
            .iter()
            .filter_map(|(name, json)| {
                let (name, ty) = field_entry(name)?;
                let source = Source::of(name, ty)?;
                Some((name, Value::from(overridden(json, source))))
            })
            .collect();
        PreparedRequest {
            request: self,
            values,
            overrides,
        }
    }
}

impl<'r> PreparedRequest<'r> {
    /// The request this was prepared from.
    pub fn request(&self) -> &'r Request {
        self.request
    }

    /// The stored value of a field: its override when the request sets it by name, else its
    /// source's.
    #[inline]
    fn stored(&self, name: &'static str, source: Source) -> &Value<'_> {
        if !self.overrides.is_empty() {
            if let Some(value) = self.overridden(name) {
                return value;
            }
        }
        &self.values[source as usize]
    }

    #[cold]
    #[inline(never)]
    fn overridden(&self, name: &str) -> Option<&Value<'static>> {
        self.overrides
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value)
    }
}

/// Where the compiled evaluator reads scalar fields: a [`Request`] (worked out on each read)
/// or a [`PreparedRequest`] (worked out once). What only the tree-walking evaluator handles
/// reads the request itself.
///
/// Each read names the field (for `Request::fields` overrides) and its [`Source`]; a value of
/// another type than asked for reads as missing.
pub(crate) trait Fields {
    /// The value of the scalar field `name`, which comes from `source`; `None` when missing.
    fn scalar(&self, name: &'static str, source: Source) -> Option<Scalar<'_>>;

    /// Is the Boolean field true?
    #[inline]
    fn is_true(&self, name: &'static str, source: Source) -> bool {
        matches!(self.scalar(name, source), Some(Scalar::Bool(true)))
    }

    /// The Int field's value.
    #[inline]
    fn int(&self, name: &'static str, source: Source) -> Option<i64> {
        match self.scalar(name, source) {
            Some(Scalar::Int(v)) => Some(v),
            _ => None,
        }
    }

    /// The IP field's value.
    #[inline]
    fn ip(&self, name: &'static str, source: Source) -> Option<IpAddr> {
        match self.scalar(name, source) {
            Some(Scalar::Ip(ip)) => Some(ip),
            _ => None,
        }
    }

    /// Does `test` hold for the String or Bytes field's value (false when missing)?
    #[inline]
    fn str_holds(
        &self,
        name: &'static str,
        source: Source,
        test: impl FnOnce(&str) -> bool,
    ) -> bool {
        match self.scalar(name, source) {
            Some(Scalar::Str(s)) => test(&s),
            _ => false,
        }
    }
}

impl Fields for Request {
    #[inline]
    fn scalar(&self, name: &'static str, source: Source) -> Option<Scalar<'_>> {
        Request::scalar(self, name, source)
    }
}

impl Fields for PreparedRequest<'_> {
    #[inline]
    fn scalar(&self, name: &'static str, source: Source) -> Option<Scalar<'_>> {
        self.stored(name, source).scalar()
    }

    #[inline]
    fn is_true(&self, name: &'static str, source: Source) -> bool {
        matches!(self.stored(name, source), Value::Bool(true))
    }

    #[inline]
    fn int(&self, name: &'static str, source: Source) -> Option<i64> {
        match self.stored(name, source) {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    #[inline]
    fn ip(&self, name: &'static str, source: Source) -> Option<IpAddr> {
        match self.stored(name, source) {
            Value::Ip(ip) => Some(*ip),
            _ => None,
        }
    }

    #[inline]
    fn str_holds(
        &self,
        name: &'static str,
        source: Source,
        test: impl FnOnce(&str) -> bool,
    ) -> bool {
        match self.stored(name, source) {
            Value::Str(s) => test(s),
            Value::Owned(s) => test(s),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_listed_in_discriminant_order() {
        for (i, source) in Source::ALL.iter().enumerate() {
            assert_eq!(*source as usize, i, "{source:?}");
        }
    }

    #[test]
    fn prepared_values_equal_the_request_values() {
        let mut request = Request::get("Example.com", "/a/B.PHP?x=1")
            .header("Cookie", "a=1")
            .header("cookie", "b=2")
            .header("X-Forwarded-For", "192.0.2.1")
            .header("Content-Type", "text/html; charset=utf-8");
        request.client_ip = "2001:db8::1".parse().ok();
        request
            .fields
            .insert("http.host".into(), serde_json::json!("override.example"));
        request
            .fields
            .insert("cf.waf.score".into(), serde_json::json!("not an int"));
        let prepared = request.prepare();
        for &(name, ty) in super::super::FIELDS {
            let Some(source) = Source::of(name, ty) else {
                continue;
            };
            assert_eq!(
                Fields::scalar(&prepared, name, source),
                Fields::scalar(&request, name, source),
                "{name}"
            );
        }
        assert_eq!(
            Fields::scalar(&prepared, "http.host", Source::Host),
            Some(Scalar::Str("override.example".into()))
        );
    }
}
