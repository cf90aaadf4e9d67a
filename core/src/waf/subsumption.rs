//! Sound, incomplete reasoning about rule conditions: does one condition cover another (every
//! request matching the second matches the first), can a condition ever match, does it match
//! every request?
//!
//! A parsed [`Expr`] is normalised into a [`Condition`]: negations pushed down to the atoms
//! (negation normal form), `and`/`or` kept n-ary, and every comparison turned into an *atom*: a key
//! (the printed left-hand side, `http.request.uri.path`, `lower(http.host)`) and the set of values
//! it admits:
//!
//! * strings (`eq`, `in {"a" "b"}`), prefixes (`starts_with(x, "/api/")`), substrings
//!   (`contains`);
//! * integers as inclusive ranges (`eq`, `in {80 8000..8009}`, `lt`, `ge`, ...);
//! * IP addresses, CIDRs and IP ranges as merged address ranges per family;
//! * booleans (`ssl`, `not cf.client.bot`).
//!
//! Everything else (regexes, wildcards, lists, `any(...)`, `xor`, ...) becomes an *opaque* atom
//! that only relates to itself: `X` covers `X`, `X or not X` is always true.
//!
//! A value can be *missing* (an absent IP, a map key the request lacks): every comparison on it is
//! false, so `not x in S` is true for it. The model treats "missing" as one more value that no
//! positive set contains, which keeps negated atoms exact. `x ne v` is the complement of `x eq v`
//! only for fields that are never missing (plain fields other than IPs); elsewhere it is opaque.
//!
//! Every answer is either proven or [`Verdict::Unknown`]; nothing is guessed. The cases decided
//! are the common shapes of WAF rules: the same field with set, equality, prefix, substring, range
//! or CIDR containment; conjunctions (`A` covers `A and B`); disjunctions (`A or B` covers `A`).
//!
//! ```
//! use cfcp::rules::parse_filter;
//! use cfcp::waf::subsumption::{Condition, Verdict};
//!
//! let earlier = Condition::of(parse_filter(r#"ip.src in {192.0.2.0/24} or starts_with(http.request.uri.path, "/admin")"#).unwrap().expr());
//! let later = Condition::of(parse_filter(r#"http.request.uri.path eq "/admin/users" and http.request.method eq "POST""#).unwrap().expr());
//! assert_eq!(earlier.covers(&later), Verdict::Yes);
//! assert_eq!(later.covers(&earlier), Verdict::Unknown);
//! ```

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::rules::{field_type, CmpOp, Comparison, Expr, FieldType, Literal, Rhs, SetItem, Value};

/// The answer to "does A cover B?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Proven: every request matching B matches A.
    Yes,
    /// Not proven either way (the shapes are not ones cfcp decides, or A does not cover B).
    Unknown,
}

/// How much work one [`Condition::covers`] question may take before it answers `Unknown`.
const COVER_BUDGET: usize = 4096;

/// A condition in negation normal form, ready for [`Condition::covers`],
/// [`Condition::never_matches`] and [`Condition::always_matches`].
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    node: Node,
    never: bool,
    always: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Const(bool),
    Atom(Atom),
    And(Vec<Node>),
    Or(Vec<Node>),
}

/// `key ∈ set`, or `key ∉ set` when negated (a missing value is in no set).
#[derive(Debug, Clone, PartialEq)]
struct Atom {
    key: String,
    set: ValueSet,
    negated: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum ValueSet {
    /// Exactly these strings.
    Str(BTreeSet<String>),
    /// Strings starting with this.
    Prefix(String),
    /// Strings containing this.
    Contains(String),
    /// Integers in these inclusive ranges (sorted, merged).
    Int(Vec<(i64, i64)>),
    /// Addresses in these inclusive ranges (is IPv6, low, high; sorted, merged).
    Ip(Vec<(bool, u128, u128)>),
    /// This boolean value (also used for opaque atoms: "the atom is true").
    Bool(bool),
}

impl Condition {
    /// Normalises an expression.
    pub fn of(expr: &Expr) -> Condition {
        let node = simplify(normalize(expr, false));
        Condition {
            never: never(&node),
            always: always(&node),
            node,
        }
    }

    /// Does `self` cover `other` (every request matching `other` matches `self`)?
    ///
    /// ```
    /// use cfcp::rules::parse_filter;
    /// use cfcp::waf::subsumption::{Condition, Verdict};
    /// let c = |t: &str| Condition::of(parse_filter(t).unwrap().expr());
    /// assert_eq!(c("ip.src in {10.0.0.0/8}").covers(&c("ip.src in {10.1.0.0/16 10.2.3.4}")), Verdict::Yes);
    /// assert_eq!(c("ip.src in {10.0.0.0/8}").covers(&c("ip.src in {11.0.0.0/16}")), Verdict::Unknown);
    /// assert_eq!(c(r#"http.host in {"a.com" "b.com"}"#).covers(&c(r#"http.host eq "a.com" and ssl"#)), Verdict::Yes);
    /// ```
    pub fn covers(&self, other: &Condition) -> Verdict {
        let mut budget = COVER_BUDGET;
        if self.always || other.never || covers(&self.node, &other.node, &mut budget) {
            Verdict::Yes
        } else {
            Verdict::Unknown
        }
    }

    /// True when the condition provably matches no request (`x eq "a" and x eq "b"`, `not true`,
    /// `x in {1} and not x in {1..5}`).
    pub fn never_matches(&self) -> bool {
        self.never
    }

    /// True when the condition provably matches every request (`true`, `ssl or not ssl`,
    /// `http.host ne "a" or http.host ne "b"`).
    pub fn always_matches(&self) -> bool {
        self.always
    }

    /// The keys (printed left-hand sides, or the whole text of an opaque atom) the condition tests.
    pub fn keys(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        collect_keys(&self.node, &mut out);
        out
    }

    /// Keys of which a condition covered by `self` must test at least one (unless `self` always
    /// matches or the covered condition never matches). Used to compare only conditions that
    /// could relate: a rule is checked against the earlier rules that anchor on one of its keys.
    pub fn anchor_keys(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        anchor(&self.node, &mut out);
        out
    }

    /// True when every atom of the condition is negated (it matches everything except something).
    pub fn only_negations(&self) -> bool {
        fn walk(n: &Node) -> bool {
            match n {
                Node::Const(_) => true,
                Node::Atom(a) => a.negated,
                Node::And(items) | Node::Or(items) => items.iter().all(walk),
            }
        }
        !matches!(self.node, Node::Const(_)) && walk(&self.node)
    }
}

fn collect_keys<'a>(node: &'a Node, out: &mut BTreeSet<&'a str>) {
    match node {
        Node::Const(_) => {}
        Node::Atom(a) => {
            out.insert(a.key.as_str());
        }
        Node::And(items) | Node::Or(items) => items.iter().for_each(|n| collect_keys(n, out)),
    }
}

fn anchor<'a>(node: &'a Node, out: &mut BTreeSet<&'a str>) {
    match node {
        Node::Const(_) => {}
        Node::Atom(a) => {
            out.insert(a.key.as_str());
        }
        Node::Or(items) => items.iter().for_each(|n| anchor(n, out)),
        Node::And(items) => {
            // Every conjunct must cover: one conjunct's keys suffice; take the smallest set.
            let best = items
                .iter()
                .map(|n| {
                    let mut keys = BTreeSet::new();
                    anchor(n, &mut keys);
                    keys
                })
                .filter(|k| !k.is_empty())
                .min_by_key(BTreeSet::len);
            if let Some(keys) = best {
                out.extend(keys);
            }
        }
    }
}

// ---- normalisation -------------------------------------------------------------------------------

fn normalize(expr: &Expr, negate: bool) -> Node {
    match expr {
        Expr::Or(items) | Expr::And(items) => {
            let children = items.iter().map(|e| normalize(e, negate)).collect();
            if matches!(expr, Expr::Or(_)) != negate {
                Node::Or(children)
            } else {
                Node::And(children)
            }
        }
        Expr::Not(inner, _) => normalize(inner, !negate),
        Expr::Compare(c) => Node::Atom(compare_atom(c, negate)),
        Expr::Value(Value::Literal(Literal::Bool(b), _)) => Node::Const(*b != negate),
        Expr::Value(value) => Node::Atom(value_atom(value, expr, negate)),
        Expr::Xor(_) => Node::Atom(opaque_atom(expr.to_string(), negate)),
    }
}

fn opaque_atom(text: String, negated: bool) -> Atom {
    Atom {
        key: text,
        set: ValueSet::Bool(true),
        negated,
    }
}

fn value_atom(value: &Value, expr: &Expr, negated: bool) -> Atom {
    match value {
        Value::Field { name, path, .. } if path.is_empty() => Atom {
            key: name.clone(),
            set: ValueSet::Bool(true),
            negated,
        },
        Value::Call {
            name, args, path, ..
        } if name == "starts_with" && path.is_empty() => match args.as_slice() {
            [Expr::Value(subject @ (Value::Field { .. } | Value::Call { .. })), Expr::Value(Value::Literal(Literal::String(prefix), _))] => {
                Atom {
                    key: subject.to_string(),
                    set: ValueSet::Prefix(prefix.clone()),
                    negated,
                }
            }
            _ => opaque_atom(expr.to_string(), negated),
        },
        _ => opaque_atom(expr.to_string(), negated),
    }
}

/// A plain field that always has a value (so `ne` is exactly `not eq`).
fn never_missing(lhs: &Value) -> bool {
    match lhs {
        Value::Field { name, path, .. } => {
            path.is_empty() && matches!(field_type(name), Some(t) if t != FieldType::Ip)
        }
        _ => false,
    }
}

fn compare_atom(c: &Comparison, negate: bool) -> Atom {
    let set = match (c.op, &c.rhs.value) {
        (CmpOp::Eq | CmpOp::Ne, Rhs::String(s)) => ValueSet::Str(BTreeSet::from([s.clone()])),
        (CmpOp::Eq | CmpOp::Ne, Rhs::Int(i)) => ValueSet::Int(vec![(*i, *i)]),
        (CmpOp::Eq | CmpOp::Ne, Rhs::Ip(ip)) => ValueSet::Ip(vec![ip_range(*ip, None)]),
        (CmpOp::Eq | CmpOp::Ne, Rhs::Bool(b)) => ValueSet::Bool(*b),
        (CmpOp::Lt, Rhs::Int(i)) => ValueSet::Int(int_range(i64::MIN, i.saturating_sub(1))),
        (CmpOp::Le, Rhs::Int(i)) => ValueSet::Int(int_range(i64::MIN, *i)),
        (CmpOp::Gt, Rhs::Int(i)) => ValueSet::Int(int_range(i.saturating_add(1), i64::MAX)),
        (CmpOp::Ge, Rhs::Int(i)) => ValueSet::Int(int_range(*i, i64::MAX)),
        (CmpOp::Contains, Rhs::String(s)) => ValueSet::Contains(s.clone()),
        (CmpOp::In, Rhs::Set(items)) => match set_of(items.iter().map(|i| &i.value)) {
            Some(set) => set,
            None => return opaque_atom(c.to_string(), negate),
        },
        _ => return opaque_atom(c.to_string(), negate),
    };
    let mut negated = negate;
    if c.op == CmpOp::Ne {
        if !never_missing(&c.lhs) {
            return opaque_atom(c.to_string(), negate);
        }
        negated = !negated;
    }
    Atom {
        key: c.lhs.to_string(),
        set,
        negated,
    }
}

fn int_range(lo: i64, hi: i64) -> Vec<(i64, i64)> {
    if lo <= hi {
        vec![(lo, hi)]
    } else {
        Vec::new()
    }
}

fn set_of<'a>(items: impl Iterator<Item = &'a SetItem>) -> Option<ValueSet> {
    let mut strings = BTreeSet::new();
    let mut ints = Vec::new();
    let mut ips = Vec::new();
    for item in items {
        match item {
            SetItem::String(s) => {
                strings.insert(s.clone());
            }
            SetItem::Int(i) => ints.push((*i, *i)),
            SetItem::IntRange(a, b) => ints.push(((*a).min(*b), (*a).max(*b))),
            SetItem::Ip(ip) => ips.push(ip_range(*ip, None)),
            SetItem::Cidr(ip, len) => ips.push(ip_range(*ip, Some(*len))),
            SetItem::IpRange(a, b) => {
                let (fa, la, _) = ip_range(*a, None);
                let (fb, lb, _) = ip_range(*b, None);
                if fa != fb {
                    return None;
                }
                ips.push((fa, la.min(lb), la.max(lb)));
            }
        }
    }
    match (strings.is_empty(), ints.is_empty(), ips.is_empty()) {
        (true, false, true) => Some(ValueSet::Int(merge(ints))),
        (true, true, false) => Some(ValueSet::Ip(merge_ip(ips))),
        (_, true, true) => Some(ValueSet::Str(strings)),
        _ => None,
    }
}

/// An address or network as (is IPv6, first, last).
fn ip_range(ip: IpAddr, len: Option<u8>) -> (bool, u128, u128) {
    let (v6, bits, width) = match ip {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4)), 32u32),
        IpAddr::V6(v6) => (true, u128::from(v6), 128u32),
    };
    let len = u32::from(len.unwrap_or(u8::MAX)).min(width);
    // Host bits: the low `width - len` bits.
    let host_bits = width - len;
    let host = if host_bits == 0 {
        0
    } else {
        u128::MAX >> (128 - host_bits)
    };
    (v6, bits & !host, (bits & !host) | host)
}

fn merge(mut ranges: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    ranges.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

fn merge_ip(mut ranges: Vec<(bool, u128, u128)>) -> Vec<(bool, u128, u128)> {
    ranges.sort_unstable();
    let mut out: Vec<(bool, u128, u128)> = Vec::with_capacity(ranges.len());
    for (family, lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if last.0 == family && lo <= last.2.saturating_add(1) => {
                last.2 = last.2.max(hi)
            }
            _ => out.push((family, lo, hi)),
        }
    }
    out
}

/// Flattens nested `and`/`or` and folds constants.
fn simplify(node: Node) -> Node {
    match node {
        Node::And(items) => {
            let mut out = Vec::new();
            for item in items.into_iter().map(simplify) {
                match item {
                    Node::Const(true) => {}
                    Node::Const(false) => return Node::Const(false),
                    Node::And(inner) => out.extend(inner),
                    other => out.push(other),
                }
            }
            match out.len() {
                0 => Node::Const(true),
                1 => out.pop().unwrap_or(Node::Const(true)),
                _ => Node::And(atoms_first(out)),
            }
        }
        Node::Or(items) => {
            let mut out = Vec::new();
            for item in items.into_iter().map(simplify) {
                match item {
                    Node::Const(false) => {}
                    Node::Const(true) => return Node::Const(true),
                    Node::Or(inner) => out.extend(inner),
                    other => out.push(other),
                }
            }
            match out.len() {
                0 => Node::Const(false),
                1 => out.pop().unwrap_or(Node::Const(false)),
                _ => Node::Or(atoms_first(out)),
            }
        }
        other => other,
    }
}

/// Atoms before compound children: `covers` answers most questions from the atoms alone, and
/// `all`/`any` stop at the first atom that decides.
fn atoms_first(mut items: Vec<Node>) -> Vec<Node> {
    items.sort_by_key(|n| !matches!(n, Node::Atom(_)));
    items
}

// ---- set algebra ---------------------------------------------------------------------------------

/// Is every value of `b` in `a`? (`false` when not proven.)
fn subset(b: &ValueSet, a: &ValueSet) -> bool {
    use ValueSet::*;
    match (b, a) {
        (Str(t), Str(s)) => t.is_subset(s),
        (Str(t), Prefix(p)) => t.iter().all(|v| v.starts_with(p.as_str())),
        (Str(t), Contains(c)) => t.iter().all(|v| v.contains(c.as_str())),
        (Prefix(q), Prefix(p)) => q.starts_with(p.as_str()),
        (Prefix(q), Contains(c)) => q.contains(c.as_str()),
        (Contains(d), Contains(c)) => d.contains(c.as_str()),
        (Int(t), Int(s)) => t.iter().all(|r| int_within(*r, s)),
        (Ip(t), Ip(s)) => t.iter().all(|r| ip_within(*r, s)),
        (Bool(x), Bool(y)) => x == y,
        _ => false,
    }
}

/// Do `a` and `b` share no value? (`false` when not proven.)
fn disjoint(a: &ValueSet, b: &ValueSet) -> bool {
    use ValueSet::*;
    match (a, b) {
        (Str(s), Str(t)) => s.is_disjoint(t),
        (Str(s), Prefix(p)) | (Prefix(p), Str(s)) => !s.iter().any(|v| v.starts_with(p.as_str())),
        (Str(s), Contains(c)) | (Contains(c), Str(s)) => !s.iter().any(|v| v.contains(c.as_str())),
        (Prefix(p), Prefix(q)) => !p.starts_with(q.as_str()) && !q.starts_with(p.as_str()),
        (Int(s), Int(t)) => !s
            .iter()
            .any(|(lo, hi)| t.iter().any(|(l, h)| lo <= h && l <= hi)),
        (Ip(s), Ip(t)) => !s
            .iter()
            .any(|(f, lo, hi)| t.iter().any(|(g, l, h)| f == g && lo <= h && l <= hi)),
        (Bool(x), Bool(y)) => x != y,
        _ => false,
    }
}

fn empty(set: &ValueSet) -> bool {
    match set {
        ValueSet::Str(s) => s.is_empty(),
        ValueSet::Int(r) => r.is_empty(),
        ValueSet::Ip(r) => r.is_empty(),
        _ => false,
    }
}

/// Is the range inside one of the merged, sorted ranges?
fn int_within((lo, hi): (i64, i64), ranges: &[(i64, i64)]) -> bool {
    let i = ranges.partition_point(|r| r.1 < lo);
    ranges.get(i).is_some_and(|r| r.0 <= lo && hi <= r.1)
}

fn ip_within((f, lo, hi): (bool, u128, u128), ranges: &[(bool, u128, u128)]) -> bool {
    let i = ranges.partition_point(|r| (r.0, r.2) < (f, lo));
    ranges
        .get(i)
        .is_some_and(|r| r.0 == f && r.1 <= lo && hi <= r.2)
}

/// Does atom `b` imply atom `a`?
fn implies(b: &Atom, a: &Atom) -> bool {
    if a.key != b.key {
        return false;
    }
    match (b.negated, a.negated) {
        (false, false) => subset(&b.set, &a.set),
        // b: v ∈ T (so v is present); a: v ∉ S.
        (false, true) => disjoint(&b.set, &a.set),
        // b: v ∉ T; a: v ∉ S: needs S ⊆ T.
        (true, true) => subset(&a.set, &b.set),
        (true, false) => false,
    }
}

// ---- questions -----------------------------------------------------------------------------------

fn atoms_of(items: &[Node]) -> Vec<&Atom> {
    let mut atoms: Vec<&Atom> = items
        .iter()
        .filter_map(|n| match n {
            Node::Atom(a) => Some(a),
            _ => None,
        })
        .collect();
    atoms.sort_by(|x, y| x.key.cmp(&y.key));
    atoms
}

/// Calls `f` on every pair of atoms with the same key (atoms sorted by key) until it says true.
fn any_pair_same_key(atoms: &[&Atom], f: impl Fn(&Atom, &Atom) -> bool) -> bool {
    let mut start = 0;
    while start < atoms.len() {
        let end = start
            + atoms[start..]
                .iter()
                .take_while(|a| a.key == atoms[start].key)
                .count();
        let group = &atoms[start..end];
        for (i, x) in group.iter().enumerate() {
            if group[i + 1..].iter().any(|y| f(x, y)) {
                return true;
            }
        }
        start = end;
    }
    false
}

fn never(node: &Node) -> bool {
    match node {
        Node::Const(b) => !b,
        Node::Atom(a) => !a.negated && empty(&a.set),
        Node::Or(items) => items.iter().all(never),
        Node::And(items) => {
            items.iter().any(never)
                || any_pair_same_key(&atoms_of(items), |x, y| match (x.negated, y.negated) {
                    (false, false) => disjoint(&x.set, &y.set),
                    (false, true) => subset(&x.set, &y.set),
                    (true, false) => subset(&y.set, &x.set),
                    (true, true) => false,
                })
        }
    }
}

fn always(node: &Node) -> bool {
    match node {
        Node::Const(b) => *b,
        Node::Atom(a) => a.negated && empty(&a.set),
        Node::And(items) => items.iter().all(always),
        Node::Or(items) => {
            // Two atoms that together admit every value (missing included).
            items.iter().any(always)
                || any_pair_same_key(&atoms_of(items), |x, y| match (x.negated, y.negated) {
                    (false, true) => subset(&y.set, &x.set),
                    (true, false) => subset(&x.set, &y.set),
                    (true, true) => disjoint(&x.set, &y.set),
                    (false, false) => false,
                })
        }
    }
}

fn covers(a: &Node, b: &Node, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match (a, b) {
        (Node::Const(true), _) | (_, Node::Const(false)) => true,
        (_, Node::Or(bs)) => bs.iter().all(|bi| covers(a, bi, budget)),
        (Node::And(as_), _) => as_.iter().all(|ai| covers(ai, b, budget)),
        (Node::Const(_), _) | (_, Node::Const(_)) => false,
        (Node::Atom(x), Node::Atom(y)) => implies(y, x),
        (Node::Or(as_), Node::Atom(_)) => as_.iter().any(|ai| covers(ai, b, budget)),
        (Node::Atom(_), Node::And(bs)) => bs.iter().any(|bj| covers(a, bj, budget)),
        (Node::Or(as_), Node::And(bs)) => {
            as_.iter().any(|ai| covers(ai, b, budget)) || bs.iter().any(|bj| covers(a, bj, budget))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_filter;

    fn c(text: &str) -> Condition {
        match parse_filter(text) {
            Ok(f) => Condition::of(f.expr()),
            Err(e) => panic!("{}", e.render(text)),
        }
    }

    fn yes(a: &str, b: &str) {
        assert_eq!(c(a).covers(&c(b)), Verdict::Yes, "{a}  should cover  {b}");
    }

    fn unknown(a: &str, b: &str) {
        assert_eq!(
            c(a).covers(&c(b)),
            Verdict::Unknown,
            "{a}  must not be claimed to cover  {b}"
        );
    }

    #[test]
    fn ip_ranges() {
        let v4 = |s: &str| s.parse::<IpAddr>().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            ip_range(v4("10.1.2.3"), Some(8)),
            (false, 0x0a00_0000, 0x0aff_ffff)
        );
        assert_eq!(
            ip_range(v4("10.1.2.3"), None),
            (false, 0x0a01_0203, 0x0a01_0203)
        );
        assert_eq!(ip_range(v4("10.1.2.3"), Some(0)), (false, 0, 0xffff_ffff));
        assert_eq!(ip_range(v4("::"), Some(0)), (true, 0, u128::MAX));
        assert_eq!(ip_range(v4("::1"), Some(128)), (true, 1, 1));
        assert_eq!(ip_range(v4("::1"), Some(200)), (true, 1, 1));
    }

    #[test]
    fn equality_and_sets() {
        let p = "http.request.uri.path";
        yes(&format!(r#"{p} eq "/a""#), &format!(r#"{p} eq "/a""#));
        yes(
            &format!(r#"{p} in {{"/a" "/b" "/c"}}"#),
            &format!(r#"{p} in {{"/a" "/c"}}"#),
        );
        unknown(
            &format!(r#"{p} in {{"/a" "/c"}}"#),
            &format!(r#"{p} in {{"/a" "/b"}}"#),
        );
        unknown(&format!(r#"{p} eq "/a""#), &format!(r#"{p} eq "/b""#));
        // Different fields never relate.
        unknown(r#"http.host eq "/a""#, &format!(r#"{p} eq "/a""#));
        yes(
            "ip.src.asnum in {1 2 10..20}",
            "ip.src.asnum in {12 15..18}",
        );
        unknown("ip.src.asnum in {1 2 10..20}", "ip.src.asnum in {15..21}");
        yes("cf.waf.score lt 40", "cf.waf.score le 20");
        unknown("cf.waf.score lt 20", "cf.waf.score le 20");
        yes(
            "cf.bot_management.score ge 1",
            "cf.bot_management.score in {5 30}",
        );
    }

    #[test]
    fn prefixes_and_substrings() {
        let p = "http.request.uri.path";
        yes(
            &format!(r#"starts_with({p}, "/api/")"#),
            &format!(r#"{p} in {{"/api/login" "/api/users"}}"#),
        );
        yes(
            &format!(r#"starts_with({p}, "/api/")"#),
            &format!(r#"starts_with({p}, "/api/v2/")"#),
        );
        unknown(
            &format!(r#"starts_with({p}, "/api/v2/")"#),
            &format!(r#"starts_with({p}, "/api/")"#),
        );
        yes(
            &format!(r#"{p} contains "admin""#),
            &format!(r#"starts_with({p}, "/wp-admin/")"#),
        );
        yes(
            &format!(r#"{p} contains "wp-""#),
            &format!(r#"{p} contains "/wp-login.php""#),
        );
        unknown(
            &format!(r#"{p} contains "/wp-login.php""#),
            &format!(r#"{p} contains "wp-""#),
        );
        unknown(
            &format!(r#"starts_with({p}, "/api")"#),
            &format!(r#"lower({p}) eq "/api""#),
        );
    }

    #[test]
    fn cidrs() {
        yes(
            "ip.src in {10.0.0.0/8}",
            "ip.src in {10.1.0.0/16 10.255.255.255}",
        );
        yes("ip.src in {10.0.0.0/8}", "ip.src eq 10.2.3.4");
        yes(
            "ip.src in {10.0.0.0/9 10.128.0.0/9}",
            "ip.src in {10.100.0.0/16 10.200.0.0/16 10.127.0.0..10.128.0.5}",
        );
        unknown("ip.src in {10.0.0.0/8}", "ip.src in {10.0.0.0/7}");
        yes("ip.src in {2001:db8::/32}", "ip.src in {2001:db8:1::/48}");
        unknown("ip.src in {2001:db8::/32}", "ip.src in {10.0.0.0/8}");
        yes("ip.src in {0.0.0.0/0}", "ip.src in {192.0.2.1}");
        yes(
            "not ip.src in {10.0.0.0/8}",
            "ip.src in {192.0.2.0/24} and ssl",
        );
        unknown("not ip.src in {10.0.0.0/8}", "ip.src in {10.1.0.0/16}");
        yes("not ip.src in {10.0.0.0/16}", "not ip.src in {10.0.0.0/8}");
        unknown("not ip.src in {10.0.0.0/8}", "not ip.src in {10.0.0.0/16}");
        // `ne` on an IP is false for a missing address, so it is not `not eq`.
        unknown("ip.src ne 10.0.0.1", "not ip.src eq 10.0.0.2");
    }

    #[test]
    fn conjunctions_and_disjunctions() {
        let a = r#"http.request.uri.path eq "/login""#;
        let b = r#"http.request.method eq "POST""#;
        let x = r#"ip.src.country eq "KP""#;
        yes(a, &format!("{a} and {b}"));
        yes(&format!("{a} and {b}"), &format!("{b} and {x} and {a}"));
        unknown(&format!("{a} and {b}"), a);
        yes(&format!("{a} or {x}"), a);
        yes(&format!("{a} or {x}"), &format!("{x} and {b}"));
        unknown(a, &format!("{a} or {x}"));
        yes(
            &format!("{a} or {x}"),
            &format!("({a} and {b}) or ({x} and ssl)"),
        );
        yes("true", a);
        // Negation normal form: `not (A or B)` is `not A and not B`.
        yes(&format!("not {x}"), &format!("not ({x} or {b})"));
        // Opaque atoms relate to themselves only.
        let r = r#"http.request.uri.path matches "^/v[0-9]+/""#;
        yes(r, &format!("{r} and {b}"));
        unknown(r, a);
        yes("ip.src in $bad", "ip.src in $bad and ssl");
        unknown("ip.src in $bad", "ip.src in $other");
        unknown(&format!("{a} xor {b}"), &format!("{a} and not {b} and ssl"));
    }

    #[test]
    fn never_and_always() {
        let n = |t: &str| c(t).never_matches();
        let a = |t: &str| c(t).always_matches();
        assert!(n(
            r#"http.request.uri.path eq "/admin" and http.request.uri.path eq "/internal""#
        ));
        assert!(!n(
            r#"http.request.uri.path eq "/admin" or http.request.uri.path eq "/internal""#
        ));
        assert!(n("not true"));
        assert!(n("false"));
        assert!(n("ip.src in {10.0.0.0/8} and ip.src in {11.0.0.0/8}"));
        assert!(!n("ip.src in {10.0.0.0/8} and ip.src in {10.1.0.0/16}"));
        assert!(n("ip.src in {10.1.0.0/16} and not ip.src in {10.0.0.0/8}"));
        assert!(n(r#"starts_with(http.host, "a") and http.host eq "b.com""#));
        assert!(n("cf.waf.score lt 10 and cf.waf.score gt 50"));
        assert!(n("ssl and not ssl"));
        assert!(n(
            r#"http.request.uri.path matches "x" and not http.request.uri.path matches "x""#
        ));
        assert!(!n(
            r#"http.user_agent contains "a" and http.user_agent contains "b""#
        ));

        assert!(a("true"));
        assert!(a("not false"));
        assert!(a(r#"http.host ne "a.com" or http.host ne "b.com""#));
        assert!(!a(r#"http.host ne "a.com" or http.host ne "a.com""#));
        // A missing IP makes both `ne` false.
        assert!(!a("ip.src ne 10.0.0.1 or ip.src ne 10.0.0.2"));
        assert!(a("ssl or not ssl"));
        assert!(a("ip.src in {10.0.0.0/8} or not ip.src in {10.0.0.0/16}"));
        assert!(!a("ip.src in {10.0.0.0/16} or not ip.src in {10.0.0.0/8}"));
        assert!(!a(r#"http.host eq "a""#));
    }

    #[test]
    fn keys_and_anchors() {
        let cond = c(
            r#"(http.host eq "a" and ip.src in {10.0.0.0/8} and ssl) or http.request.uri.path eq "/""#,
        );
        assert_eq!(
            cond.keys().into_iter().collect::<Vec<_>>(),
            vec!["http.host", "http.request.uri.path", "ip.src", "ssl"]
        );
        let anchors = cond.anchor_keys();
        assert!(anchors.contains("http.request.uri.path"));
        assert_eq!(anchors.len(), 2);
        assert!(c("not ip.src in {1.2.3.4}").only_negations());
        assert!(!c("ip.src in {1.2.3.4}").only_negations());
        assert!(!c("true").only_negations());
    }

    #[test]
    fn budget_bounds_work() {
        // A wide disjunction against a wide conjunction stays within the budget and answers.
        let ors: Vec<String> = (0..100)
            .map(|i| format!(r#"http.host eq "h{i}.com""#))
            .collect();
        let ands: Vec<String> = (0..100)
            .map(|i| format!(r#"http.request.uri.path ne "/p{i}""#))
            .collect();
        let a = c(&ors.join(" or "));
        let b = c(&ands.join(" and "));
        assert_eq!(a.covers(&b), Verdict::Unknown);
    }
}
