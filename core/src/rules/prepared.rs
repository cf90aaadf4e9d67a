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
    values: Box<[Option<Scalar<'r>>]>,
    /// Scalar fields the request sets by name (`Request::fields`), which win over `values`.
    overrides: Vec<(&'static str, Option<Scalar<'static>>)>,
}

impl Request {
    /// Works out every scalar field of the request once, for
    /// [`Filter::matches_prepared`](super::Filter::matches_prepared).
    pub fn prepare(&self) -> PreparedRequest<'_> {
        let values = Source::ALL.iter().map(|s| self.source(*s)).collect();
        let overrides = self
            .fields
            .iter()
            .filter_map(|(name, json)| {
                let (name, ty) = field_entry(name)?;
                let source = Source::of(name, ty)?;
                Some((name, overridden(json, source)))
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

impl PreparedRequest<'_> {
    /// The stored value of a field: its override when the request sets it by name, else its
    /// source's.
    #[inline]
    fn stored(&self, name: &'static str, source: Source) -> Option<&Scalar<'_>> {
        if !self.overrides.is_empty() {
            if let Some(value) = self.overridden(name) {
                return value.as_ref();
            }
        }
        self.values.get(source as usize).and_then(Option::as_ref)
    }

    #[cold]
    #[inline(never)]
    fn overridden(&self, name: &str) -> Option<&Option<Scalar<'static>>> {
        self.overrides
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value)
    }
}

impl Fields for PreparedRequest<'_> {
    #[inline]
    fn scalar(&self, name: &'static str, source: Source) -> Option<Scalar<'_>> {
        self.stored(name, source).map(Scalar::reborrow)
    }

    #[inline]
    fn is_true(&self, name: &'static str, source: Source) -> bool {
        matches!(self.stored(name, source), Some(Scalar::Bool(true)))
    }

    #[inline]
    fn int(&self, name: &'static str, source: Source) -> Option<i64> {
        match self.stored(name, source) {
            Some(Scalar::Int(v)) => Some(*v),
            _ => None,
        }
    }

    #[inline]
    fn ip(&self, name: &'static str, source: Source) -> Option<IpAddr> {
        match self.stored(name, source) {
            Some(Scalar::Ip(ip)) => Some(*ip),
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
            Some(Scalar::Str(s)) => test(s),
            _ => false,
        }
    }
}

impl Scalar<'_> {
    /// The same value, borrowing a string instead of copying it.
    #[inline]
    pub(crate) fn reborrow(&self) -> Scalar<'_> {
        match self {
            Scalar::Bool(b) => Scalar::Bool(*b),
            Scalar::Int(i) => Scalar::Int(*i),
            Scalar::Str(s) => Scalar::Str(Cow::Borrowed(s)),
            Scalar::Ip(ip) => Scalar::Ip(*ip),
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
