//! The compiled form of a filter that [`Filter::matches`](super::Filter::matches) runs.
//!
//! Built once after type checking: every plain scalar field is resolved to where a [`Request`]
//! keeps it ([`Source`]), and every constant is prepared for its operator (the regex in place,
//! the wildcard pattern tokenised, a set split to the one item type the field can equal), so
//! evaluating a comparison touches no map, compares no field names and allocates nothing for the
//! fields a request stores as they are.
//!
//! Only what has a plain equivalent is compiled: `and`/`or`/`xor`/`not`, `true`/`false`, a
//! Boolean field on its own, and a comparison of a scalar field (no index) with a literal or an
//! inline set. Everything else (functions, indexes, arrays, maps, lists) stays a [`Node::Tree`]
//! and runs on the tree-walking evaluator in `eval`, which defines the semantics; the tests check
//! that both agree on every expression they parse.

use std::net::IpAddr;

use regex::Regex;

use super::ast::{CmpOp, Comparison, Expr, Literal, Rhs, SetItem, Value};
use super::eval::{
    ip_in, wildcard_match_tokens, wildcard_tokens, Context, Scalar, Source, WildcardToken,
};
use super::fields::field_entry;
use super::Request;

/// A compiled filter node; evaluating it gives what `Context::truth` gives for its expression.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// `true` / `false`, or a comparison that can never hold.
    Const(bool),
    /// `a and b and ...`.
    And(Box<[Node]>),
    /// `a or b or ...`.
    Or(Box<[Node]>),
    /// `a xor b xor ...`.
    Xor(Box<[Node]>),
    /// `not a`, where `a` is a compiled node (always a Boolean).
    Not(Box<Node>),
    /// A Boolean field on its own (`ssl`).
    Bool(Slot),
    /// A String or Bytes field against a constant.
    Str(Slot, StrTest),
    /// An Int field against a constant.
    Int(Slot, IntTest),
    /// An IP field against a constant.
    Ip(Slot, IpTest),
    /// Anything else, run by the tree-walking evaluator.
    Tree(Expr),
}

/// A scalar field resolved for evaluation.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// The field's name, for a request that sets it by name in `fields`.
    name: &'static str,
    source: Source,
}

/// A test of a string.
#[derive(Debug, Clone)]
pub(crate) enum StrTest {
    /// `eq`, `ne`, `lt`, `le`, `gt`, `ge` against a string.
    Order(CmpOp, Box<str>),
    /// `contains`.
    Contains(Box<str>),
    /// `matches` (`None` when the checker compiled no regex for it: never matches).
    Matches(Option<Regex>),
    /// `wildcard` and `strict wildcard`.
    Wildcard {
        tokens: Box<[WildcardToken]>,
        case_sensitive: bool,
    },
    /// `in {...}`: the set's strings, sorted (binary search).
    In(Box<[Box<str>]>),
}

/// A test of an integer.
#[derive(Debug, Clone)]
pub(crate) enum IntTest {
    /// `eq`, `ne`, `lt`, `le`, `gt`, `ge` against an integer.
    Order(CmpOp, i64),
    /// `in {...}`: inclusive ranges (a single value is a one-value range).
    In(Box<[(i64, i64)]>),
}

/// A test of an IP address.
#[derive(Debug, Clone)]
pub(crate) enum IpTest {
    /// `eq`.
    Eq(IpAddr),
    /// `ne`.
    Ne(IpAddr),
    /// `in {...}`: addresses, ranges and CIDRs.
    In(Box<[SetItem]>),
}

impl Node {
    /// Compiles a type-checked filter expression; `regex` gives the compiled regex of a pattern.
    pub(crate) fn compile<'r>(expr: &Expr, regex: &impl Fn(&str) -> Option<&'r Regex>) -> Node {
        let all = |items: &[Expr]| -> Box<[Node]> {
            items.iter().map(|e| Node::compile(e, regex)).collect()
        };
        match expr {
            Expr::And(items) => Node::And(all(items)),
            Expr::Or(items) => Node::Or(all(items)),
            Expr::Xor(items) => Node::Xor(all(items)),
            Expr::Not(inner, _) => match Node::compile(inner, regex) {
                // `not` of a value that may be an array is not a plain negation.
                Node::Tree(_) => Node::Tree(expr.clone()),
                node => Node::Not(Box::new(node)),
            },
            Expr::Value(Value::Literal(Literal::Bool(b), _)) => Node::Const(*b),
            Expr::Value(Value::Field { name, path, .. }) if path.is_empty() => match slot(name) {
                Some((slot, super::FieldType::Bool)) => Node::Bool(slot),
                _ => Node::Tree(expr.clone()),
            },
            Expr::Compare(c) => compare(c, regex).unwrap_or_else(|| Node::Tree(expr.clone())),
            Expr::Value(_) => Node::Tree(expr.clone()),
        }
    }

    /// Does the node hold for the request?
    pub(crate) fn eval(&self, request: &Request, ctx: &Context<'_>) -> bool {
        match self {
            Node::Const(b) => *b,
            Node::And(items) => items.iter().all(|n| n.eval(request, ctx)),
            Node::Or(items) => items.iter().any(|n| n.eval(request, ctx)),
            Node::Xor(items) => items.iter().filter(|n| n.eval(request, ctx)).count() % 2 == 1,
            Node::Not(inner) => !inner.eval(request, ctx),
            Node::Bool(slot) => matches!(slot.get(request), Some(Scalar::Bool(true))),
            Node::Str(slot, test) => match slot.get(request) {
                Some(Scalar::Str(s)) => test.holds(&s),
                _ => false,
            },
            Node::Int(slot, test) => match slot.get(request) {
                Some(Scalar::Int(v)) => test.holds(v),
                _ => false,
            },
            Node::Ip(slot, test) => match slot.get(request) {
                Some(Scalar::Ip(ip)) => test.holds(ip),
                _ => false,
            },
            Node::Tree(expr) => tree(expr, ctx),
        }
    }
}

/// The tree-walking evaluator, kept out of line so that the compiled nodes' frames stay small.
#[cold]
#[inline(never)]
fn tree(expr: &Expr, ctx: &Context<'_>) -> bool {
    ctx.truth(expr)
}

impl Slot {
    #[inline]
    fn get<'a>(&self, request: &'a Request) -> Option<Scalar<'a>> {
        request.scalar(self.name, self.source)
    }
}

/// The slot of a plain scalar field, with its type.
fn slot(name: &str) -> Option<(Slot, super::FieldType)> {
    let (name, ty) = field_entry(name)?;
    let source = Source::of(name, ty)?;
    Some((Slot { name, source }, ty))
}

/// Compiles `field op constant`; `None` when it is not of a compiled shape.
fn compare<'r>(c: &Comparison, regex: &impl Fn(&str) -> Option<&'r Regex>) -> Option<Node> {
    use super::FieldType as T;
    let Value::Field { name, path, .. } = &c.lhs else {
        return None;
    };
    if !path.is_empty() {
        return None;
    }
    let (slot, ty) = slot(name)?;
    let rhs = &c.rhs.value;
    Some(match (ty, c.op, rhs) {
        (T::String | T::Bytes, op, Rhs::String(s)) => Node::Str(
            slot,
            match op {
                CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                    StrTest::Order(op, s.as_str().into())
                }
                CmpOp::Contains => StrTest::Contains(s.as_str().into()),
                CmpOp::Wildcard | CmpOp::StrictWildcard => {
                    let case_sensitive = op == CmpOp::StrictWildcard;
                    StrTest::Wildcard {
                        tokens: wildcard_tokens(s, case_sensitive).into(),
                        case_sensitive,
                    }
                }
                CmpOp::Matches | CmpOp::In => return Some(Node::Const(false)),
            },
        ),
        (T::String | T::Bytes, CmpOp::Matches, Rhs::Regex(p)) => {
            Node::Str(slot, StrTest::Matches(regex(p).cloned()))
        }
        (T::String | T::Bytes, CmpOp::In, Rhs::Set(items)) => {
            let mut strings: Vec<Box<str>> = items
                .iter()
                .filter_map(|i| match &i.value {
                    SetItem::String(s) => Some(s.as_str().into()),
                    _ => None,
                })
                .collect();
            strings.sort_unstable();
            strings.dedup();
            Node::Str(slot, StrTest::In(strings.into()))
        }
        (T::Int, op, Rhs::Int(r)) => match op {
            CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                Node::Int(slot, IntTest::Order(op, *r))
            }
            _ => Node::Const(false),
        },
        (T::Int, CmpOp::In, Rhs::Set(items)) => Node::Int(
            slot,
            IntTest::In(
                items
                    .iter()
                    .filter_map(|i| match i.value {
                        SetItem::Int(v) => Some((v, v)),
                        SetItem::IntRange(a, b) => Some((a, b)),
                        _ => None,
                    })
                    .collect(),
            ),
        ),
        (T::Ip, CmpOp::Eq, Rhs::Ip(ip)) => Node::Ip(slot, IpTest::Eq(*ip)),
        (T::Ip, CmpOp::Ne, Rhs::Ip(ip)) => Node::Ip(slot, IpTest::Ne(*ip)),
        (T::Ip, CmpOp::In, Rhs::Set(items)) => Node::Ip(
            slot,
            IpTest::In(items.iter().map(|i| i.value.clone()).collect()),
        ),
        _ => return None,
    })
}

impl StrTest {
    fn holds(&self, s: &str) -> bool {
        match self {
            StrTest::Order(op, r) => {
                let r: &str = r;
                match op {
                    CmpOp::Eq => s == r,
                    CmpOp::Ne => s != r,
                    CmpOp::Lt => s < r,
                    CmpOp::Le => s <= r,
                    CmpOp::Gt => s > r,
                    CmpOp::Ge => s >= r,
                    _ => false,
                }
            }
            StrTest::Contains(r) => s.contains(&**r),
            StrTest::Matches(regex) => regex.as_ref().is_some_and(|re| re.is_match(s)),
            StrTest::Wildcard {
                tokens,
                case_sensitive,
            } => wildcard_match_tokens(tokens, s, *case_sensitive),
            StrTest::In(set) => set.binary_search_by(|item| (**item).cmp(s)).is_ok(),
        }
    }
}

impl IntTest {
    fn holds(&self, v: i64) -> bool {
        match self {
            IntTest::Order(op, r) => match op {
                CmpOp::Eq => v == *r,
                CmpOp::Ne => v != *r,
                CmpOp::Lt => v < *r,
                CmpOp::Le => v <= *r,
                CmpOp::Gt => v > *r,
                CmpOp::Ge => v >= *r,
                _ => false,
            },
            IntTest::In(ranges) => ranges.iter().any(|(a, b)| *a <= v && v <= *b),
        }
    }
}

impl IpTest {
    fn holds(&self, ip: IpAddr) -> bool {
        match self {
            IpTest::Eq(r) => ip == *r,
            IpTest::Ne(r) => ip != *r,
            IpTest::In(items) => items.iter().any(|i| ip_in(i, ip)),
        }
    }
}
