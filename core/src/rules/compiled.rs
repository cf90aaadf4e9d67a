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
//!
//! Nodes are built here from a checked tree ([`Node::compile`]) or by `direct` straight from the
//! text; both go through the same leaf constructors ([`Node::str_compare`], ...). `program`
//! flattens them for evaluation; [`Node::eval`] evaluates what stays a subtree there (`xor`).

use std::net::IpAddr;
use std::sync::OnceLock;

use super::ast::{CmpOp, Comparison, Expr, Literal, Rhs, SetItem, Value};
use super::eval::{wildcard_match_tokens, wildcard_tokens, Context, Source, WildcardToken};
use super::fields::{field_id, FieldType, FIELDS};
use super::pattern::{contains, Anchor, Pattern, Patterns};
use super::prepared::Fields;

/// A compiled filter node; evaluating it gives what `Context::truth` gives for its expression.
///
/// `repr(u8)` puts the variant in a byte of its own: without it the variant hides in a niche of
/// a field (a vector's capacity), and every dispatch first decodes it.
#[derive(Debug, Clone, PartialEq)]
#[repr(u8)]
pub(crate) enum Node {
    /// `true` / `false`, or a comparison that can never hold.
    Const(bool),
    /// `a and b and ...`.
    And(Vec<Node>),
    /// `a or b or ...`.
    Or(Vec<Node>),
    /// `a xor b xor ...`.
    Xor(Vec<Node>),
    /// `not a`, where `a` is a compiled node (always a Boolean).
    Not(Box<Node>),
    /// A Boolean field on its own (`ssl`).
    Bool(Slot),
    /// A String or Bytes field `eq` a string (the most common test, one dispatch less).
    StrEq(Slot, Box<str>),
    /// A String or Bytes field against a constant.
    Str(Slot, StrTest),
    /// An Int field against a constant.
    Int(Slot, IntTest),
    /// An IP field against a constant.
    Ip(Slot, IpTest),
    /// Anything else, run by the tree-walking evaluator.
    Tree(Box<Expr>),
}

/// A scalar field resolved for evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Slot {
    /// The field's name, for a request that sets it by name in `fields`.
    name: &'static str,
    source: Source,
}

/// A test of a string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StrTest {
    /// `ne` a string.
    Ne(Box<str>),
    /// `lt`, `le`, `gt`, `ge` against a string.
    Order(CmpOp, Box<str>),
    /// `contains`.
    Contains(Box<str>),
    /// `matches` a pattern standing for texts the value must start with (one of them).
    Prefix(Vec<Box<str>>),
    /// `matches` a pattern standing for texts the value must end with (one of them).
    Suffix(Vec<Box<str>>),
    /// `matches` a pattern standing for texts the value must contain (one of them).
    Infix(Vec<Box<str>>),
    /// `matches`: the index of the pattern in the filter's [`Patterns`] (`None` when the
    /// checker compiled none for it: never matches).
    Matches(Option<usize>),
    /// `wildcard` and `strict wildcard`.
    Wildcard {
        tokens: Box<[WildcardToken]>,
        case_sensitive: bool,
    },
    /// `in {...}`: the set's strings, sorted by length, then bytes (binary search).
    In(Vec<Box<str>>),
}

/// A test of an integer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IntTest {
    /// `eq`, `ne`, `lt`, `le`, `gt`, `ge` against an integer.
    Order(CmpOp, i64),
    /// `in {...}`: inclusive ranges (a single value is a one-value range), sorted and merged.
    In(Vec<(i64, i64)>),
}

/// A test of an IP address.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IpTest {
    /// `eq`.
    Eq(IpAddr),
    /// `ne`.
    Ne(IpAddr),
    /// `in {...}`: addresses, ranges and CIDRs as inclusive ranges per family, sorted and
    /// merged.
    In {
        v4: Vec<(u32, u32)>,
        v6: Vec<(u128, u128)>,
    },
}

impl Node {
    /// Compiles a type-checked filter expression whose regexes are in `patterns`.
    pub(crate) fn compile(expr: &Expr, patterns: &Patterns) -> Node {
        let all = |items: &[Expr]| -> Vec<Node> {
            items.iter().map(|e| Node::compile(e, patterns)).collect()
        };
        match expr {
            Expr::And(items) => Node::And(all(items)),
            Expr::Or(items) => Node::Or(all(items)),
            Expr::Xor(items) => Node::Xor(all(items)),
            Expr::Not(inner, _) => match Node::compile(inner, patterns) {
                // `not` of a value that may be an array is not a plain negation.
                Node::Tree(_) => tree_node(expr),
                node => Node::Not(Box::new(node)),
            },
            Expr::Value(Value::Literal(Literal::Bool(b), _)) => Node::Const(*b),
            Expr::Value(Value::Field { name, path, .. }) if path.is_empty() => match slot(name) {
                Some((slot, FieldType::Bool)) => Node::Bool(slot),
                _ => tree_node(expr),
            },
            Expr::Compare(c) => compare(c, patterns).unwrap_or_else(|| tree_node(expr)),
            Expr::Value(_) => tree_node(expr),
        }
    }

    /// Does the node hold for the request whose fields `fields` gives?
    pub(crate) fn eval<F: Fields>(&self, fields: &F, ctx: &Context<'_>) -> bool {
        match self {
            Node::And(items) => items.iter().all(|n| n.eval_inline(fields, ctx)),
            Node::Or(items) => items.iter().any(|n| n.eval_inline(fields, ctx)),
            Node::Xor(items) => {
                items.iter().filter(|n| n.eval_inline(fields, ctx)).count() % 2 == 1
            }
            Node::Not(inner) => !inner.eval_inline(fields, ctx),
            leaf => leaf.leaf(fields, ctx),
        }
    }

    /// [`Node::eval`] with a comparison evaluated in place: most operands of `and`/`or`/`not`
    /// are comparisons, and a call per comparison costs more than the comparison.
    #[inline(always)]
    fn eval_inline<F: Fields>(&self, fields: &F, ctx: &Context<'_>) -> bool {
        match self {
            Node::And(_) | Node::Or(_) | Node::Xor(_) | Node::Not(_) => self.eval(fields, ctx),
            leaf => leaf.leaf(fields, ctx),
        }
    }

    /// Evaluates a node that is not `and`, `or`, `xor` or `not` in place (any other by
    /// [`Node::eval`]).
    #[inline(always)]
    pub(crate) fn leaf<F: Fields>(&self, fields: &F, ctx: &Context<'_>) -> bool {
        match self {
            Node::Const(b) => *b,
            Node::And(_) | Node::Or(_) | Node::Xor(_) | Node::Not(_) => self.eval(fields, ctx),
            Node::Bool(slot) => fields.is_true(slot.name, slot.source),
            Node::StrEq(slot, r) => fields.str_holds(slot.name, slot.source, |s| s == &**r),
            Node::Str(slot, test) => {
                fields.str_holds(slot.name, slot.source, |s| test.holds(s, ctx.patterns))
            }
            Node::Int(slot, test) => fields
                .int(slot.name, slot.source)
                .is_some_and(|v| test.holds(v)),
            Node::Ip(slot, test) => fields
                .ip(slot.name, slot.source)
                .is_some_and(|ip| test.holds(ip)),
            Node::Tree(expr) => tree(expr, ctx),
        }
    }
}

fn tree_node(expr: &Expr) -> Node {
    Node::Tree(Box::new(expr.clone()))
}

/// The tree-walking evaluator, kept out of line so that the compiled nodes' frames stay small.
#[cold]
#[inline(never)]
fn tree(expr: &Expr, ctx: &Context<'_>) -> bool {
    ctx.truth(expr)
}

/// The slot of a plain scalar field, with its type; `None` for unknown fields, arrays and maps.
pub(crate) fn slot(name: &str) -> Option<(Slot, FieldType)> {
    static SOURCES: OnceLock<Box<[Option<Source>]>> = OnceLock::new();
    let id = field_id(name)?;
    let (name, ty) = FIELDS[id];
    let sources = SOURCES.get_or_init(|| {
        FIELDS
            .iter()
            .map(|(name, ty)| Source::of(name, *ty))
            .collect()
    });
    let source = sources[id]?;
    Some((Slot { name, source }, ty))
}

impl Node {
    /// `field op "text"` for a String or Bytes field and any string operator but `matches` and
    /// `in`.
    pub(crate) fn str_compare(slot: Slot, op: CmpOp, text: Box<str>) -> Node {
        Node::Str(
            slot,
            match op {
                CmpOp::Eq => return Node::StrEq(slot, text),
                CmpOp::Ne => StrTest::Ne(text),
                CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => StrTest::Order(op, text),
                CmpOp::Contains => StrTest::Contains(text),
                CmpOp::Wildcard | CmpOp::StrictWildcard => {
                    let case_sensitive = op == CmpOp::StrictWildcard;
                    StrTest::Wildcard {
                        tokens: wildcard_tokens(&text, case_sensitive).into(),
                        case_sensitive,
                    }
                }
                CmpOp::Matches | CmpOp::In => return Node::Const(false),
            },
        )
    }

    /// `field in {"a" "b" ...}` for a String or Bytes field.
    pub(crate) fn str_in(slot: Slot, mut strings: Vec<Box<str>>) -> Node {
        strings.sort_unstable_by(|a, b| by_length(a, b));
        strings.dedup();
        Node::Str(slot, StrTest::In(strings))
    }

    /// `field matches "..."`, the pattern being at `index` in `patterns`. A pattern that stands
    /// for a few texts becomes the test of those texts (`^/api/` is a prefix test), which saves
    /// looking the pattern up at each evaluation.
    pub(crate) fn str_matches(slot: Slot, patterns: &Patterns, index: Option<usize>) -> Node {
        let Some(Pattern::Literals { texts, anchor }) = index.and_then(|i| patterns.by_index(i))
        else {
            return Node::Str(slot, StrTest::Matches(index));
        };
        let texts = texts.to_vec();
        match (anchor, texts.len()) {
            (Anchor::Both, 1) => Node::StrEq(slot, texts.into_iter().next().unwrap_or_default()),
            (Anchor::Both, _) => Node::str_in(slot, texts),
            (Anchor::None, 1) => Node::Str(
                slot,
                StrTest::Contains(texts.into_iter().next().unwrap_or_default()),
            ),
            (Anchor::None, _) => Node::Str(slot, StrTest::Infix(texts)),
            (Anchor::Start, _) => Node::Str(slot, StrTest::Prefix(texts)),
            (Anchor::End, _) => Node::Str(slot, StrTest::Suffix(texts)),
        }
    }

    /// `field op 42` for an Int field.
    pub(crate) fn int_compare(slot: Slot, op: CmpOp, value: i64) -> Node {
        match op {
            CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                Node::Int(slot, IntTest::Order(op, value))
            }
            _ => Node::Const(false),
        }
    }

    /// `field in {1 2..5 ...}` for an Int field: the items as inclusive ranges.
    pub(crate) fn int_in(slot: Slot, ranges: Vec<(i64, i64)>) -> Node {
        Node::Int(slot, IntTest::In(merged(ranges)))
    }

    /// `field eq 192.0.2.1` / `field ne ...` for an IP field.
    pub(crate) fn ip_compare(slot: Slot, op: CmpOp, ip: IpAddr) -> Node {
        match op {
            CmpOp::Eq => Node::Ip(slot, IpTest::Eq(ip)),
            CmpOp::Ne => Node::Ip(slot, IpTest::Ne(ip)),
            _ => Node::Const(false),
        }
    }

    /// `field in {192.0.2.1 10.0.0.0/8 ...}` for an IP field.
    pub(crate) fn ip_in<'a>(slot: Slot, items: impl IntoIterator<Item = &'a SetItem>) -> Node {
        Node::Ip(slot, ip_set(items))
    }

    /// [`Node::ip_in`] with the items already added to `ranges`.
    pub(crate) fn ip_ranges(slot: Slot, ranges: IpRanges) -> Node {
        Node::Ip(slot, ip_test(ranges))
    }
}

/// Compiles `field op constant`; `None` when it is not of a compiled shape.
fn compare(c: &Comparison, patterns: &Patterns) -> Option<Node> {
    let Value::Field { name, path, .. } = &c.lhs else {
        return None;
    };
    if !path.is_empty() {
        return None;
    }
    let (slot, ty) = slot(name)?;
    let rhs = &c.rhs.value;
    Some(match (ty, c.op, rhs) {
        (FieldType::String | FieldType::Bytes, op, Rhs::String(s)) => {
            Node::str_compare(slot, op, s.as_str().into())
        }
        (FieldType::String | FieldType::Bytes, CmpOp::Matches, Rhs::Regex(p)) => {
            Node::str_matches(slot, patterns, patterns.match_index(p))
        }
        (FieldType::String | FieldType::Bytes, CmpOp::In, Rhs::Set(items)) => Node::str_in(
            slot,
            items
                .iter()
                .filter_map(|i| match &i.value {
                    SetItem::String(s) => Some(s.as_str().into()),
                    _ => None,
                })
                .collect(),
        ),
        (FieldType::Int, op, Rhs::Int(r)) => Node::int_compare(slot, op, *r),
        (FieldType::Int, CmpOp::In, Rhs::Set(items)) => Node::int_in(
            slot,
            items
                .iter()
                .filter_map(|i| match i.value {
                    SetItem::Int(v) => Some((v, v)),
                    SetItem::IntRange(a, b) => Some((a, b)),
                    _ => None,
                })
                .collect(),
        ),
        (FieldType::Ip, op @ (CmpOp::Eq | CmpOp::Ne), Rhs::Ip(ip)) => {
            Node::ip_compare(slot, op, *ip)
        }
        (FieldType::Ip, CmpOp::In, Rhs::Set(items)) => {
            Node::ip_in(slot, items.iter().map(|i| &i.value))
        }
        _ => return None,
    })
}

/// An IP set being built: its items as inclusive ranges per family.
#[derive(Default)]
pub(crate) struct IpRanges {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl IpRanges {
    /// Adds an item with the meaning `eval::ip_in` gives it (a String or Int item holds nothing).
    pub(crate) fn add(&mut self, item: &SetItem) {
        let (a, b) = match *item {
            SetItem::Ip(ip) => (ip, ip),
            SetItem::IpRange(a, b) => (a, b),
            SetItem::Cidr(IpAddr::V4(n), len) => {
                let host = u32::MAX.checked_shr(u32::from(len.min(32))).unwrap_or(0);
                let low = u32::from(n) & !host;
                self.v4.push((low, low | host));
                return;
            }
            SetItem::Cidr(IpAddr::V6(n), len) => {
                let host = u128::MAX.checked_shr(u32::from(len.min(128))).unwrap_or(0);
                let low = u128::from(n) & !host;
                self.v6.push((low, low | host));
                return;
            }
            SetItem::String(_) | SetItem::Int(_) | SetItem::IntRange(..) => return,
        };
        // A range holds addresses of its start's family from the start up to the end; an IPv4
        // start with an IPv6 end (which the parser rejects) would hold every IPv4 address from
        // the start on, and an IPv6 start with an IPv4 end nothing, as `IpAddr`'s order says.
        match (a, b) {
            (IpAddr::V4(a), IpAddr::V4(b)) => self.v4.push((u32::from(a), u32::from(b))),
            (IpAddr::V4(a), IpAddr::V6(_)) => self.v4.push((u32::from(a), u32::MAX)),
            (IpAddr::V6(a), IpAddr::V6(b)) => self.v6.push((u128::from(a), u128::from(b))),
            (IpAddr::V6(_), IpAddr::V4(_)) => {}
        }
    }
}

/// An IP set's test.
fn ip_set<'a>(items: impl IntoIterator<Item = &'a SetItem>) -> IpTest {
    let mut ranges = IpRanges::default();
    items.into_iter().for_each(|item| ranges.add(item));
    ip_test(ranges)
}

fn ip_test(ranges: IpRanges) -> IpTest {
    IpTest::In {
        v4: merged(ranges.v4),
        v6: merged(ranges.v6),
    }
}

/// Inclusive ranges sorted and merged in place where they overlap or touch, so that a value is in
/// the set when the last range starting at or below it reaches it. Empty ranges (start after end)
/// hold nothing and are dropped.
fn merged<T: Copy + Ord + Successor>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.retain(|(a, b)| a <= b);
    ranges.sort_unstable();
    let mut kept = 0;
    for i in 0..ranges.len() {
        let (a, b) = ranges[i];
        if kept > 0 {
            let end = &mut ranges[kept - 1].1;
            // Overlapping or adjacent (`end + 1 >= a`; nothing follows the maximum).
            let touches = match end.succ() {
                Some(next) => a <= next,
                None => true,
            };
            if touches {
                *end = (*end).max(b);
                continue;
            }
        }
        ranges[kept] = (a, b);
        kept += 1;
    }
    ranges.truncate(kept);
    ranges
}

/// Is `v` in sorted, merged inclusive ranges?
#[inline]
fn in_ranges<T: Copy + Ord>(ranges: &[(T, T)], v: T) -> bool {
    let after = ranges.partition_point(|(a, _)| *a <= v);
    after > 0 && v <= ranges[after - 1].1
}

/// The next value, `None` at the maximum.
trait Successor: Sized {
    fn succ(self) -> Option<Self>;
}

impl Successor for i64 {
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
}

impl Successor for u32 {
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
}

impl Successor for u128 {
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
}

/// Strings ordered by length first: a set of strings sorted so is searched mostly by comparing
/// lengths, and compares bytes only with strings of the searched one's length.
#[inline]
fn by_length(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

impl StrTest {
    // In the evaluation loop itself: a call costs as much as the test.
    #[inline(always)]
    fn holds(&self, s: &str, patterns: &Patterns) -> bool {
        match self {
            StrTest::Ne(r) => s != &**r,
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
            StrTest::Contains(r) => contains(s, r),
            StrTest::Prefix(texts) => texts.iter().any(|t| s.starts_with(&**t)),
            StrTest::Suffix(texts) => texts.iter().any(|t| s.ends_with(&**t)),
            StrTest::Infix(texts) => texts.iter().any(|t| contains(s, t)),
            StrTest::Matches(index) => index
                .and_then(|i| patterns.by_index(i))
                .is_some_and(|p| p.is_match(s)),
            StrTest::Wildcard {
                tokens,
                case_sensitive,
            } => wildcard_match_tokens(tokens, s, *case_sensitive),
            StrTest::In(set) => set.binary_search_by(|item| by_length(item, s)).is_ok(),
        }
    }
}

impl IntTest {
    // In the evaluation loop itself: a call costs as much as the test.
    #[inline(always)]
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
            IntTest::In(ranges) => in_ranges(ranges, v),
        }
    }
}

impl IpTest {
    // In the evaluation loop itself: a call costs as much as the test.
    #[inline(always)]
    fn holds(&self, ip: IpAddr) -> bool {
        match self {
            IpTest::Eq(r) => ip == *r,
            IpTest::Ne(r) => ip != *r,
            IpTest::In { v4, v6 } => match ip {
                IpAddr::V4(a) => in_ranges(v4, u32::from(a)),
                IpAddr::V6(a) => in_ranges(v6, u128::from(a)),
            },
        }
    }
}
