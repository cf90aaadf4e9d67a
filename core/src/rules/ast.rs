//! The syntax tree and its printer.
//!
//! Logical operators are n-ary and flattened (`a and (b and c)` is one `And` of three), which is
//! sound because `and`, `or` and `xor` are associative, keeps the tree shallow however long the
//! expression, and gives every expression one canonical printed form: `Display` prints English
//! operators, single spaces and only the parentheses precedence needs, and parsing that text gives
//! back an equal tree.

use std::fmt;
use std::net::IpAddr;

/// A byte range in the expression text.
///
/// Spans locate errors; they never take part in comparing trees: two trees are equal when they
/// say the same thing, wherever it was written (so `Span`'s `PartialEq` is always true).
#[derive(Debug, Clone, Copy, Default, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// Byte just past the end.
    pub end: usize,
}

impl PartialEq for Span {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub(crate) fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A value with the span it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

/// An expression: a logical combination of comparisons and values.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `a or b or ...` (at least two operands, none of them an `Or`).
    Or(Vec<Expr>),
    /// `a xor b xor ...` (at least two operands, none of them a `Xor`).
    Xor(Vec<Expr>),
    /// `a and b and ...` (at least two operands, none of them an `And`).
    And(Vec<Expr>),
    /// `not a`.
    Not(Box<Expr>, Span),
    /// `lhs op rhs`.
    Compare(Box<Comparison>),
    /// A value on its own: a boolean field (`ssl`), a function call (`starts_with(...)`,
    /// `any(...)`), a literal (`true`), or, in value expressions and function arguments, any
    /// value.
    Value(Value),
}

/// `lhs op rhs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The field or function call compared.
    pub lhs: Value,
    /// The operator.
    pub op: CmpOp,
    /// Where the operator was written.
    pub op_span: Span,
    /// The literal, set, regex or list compared with.
    pub rhs: Spanned<Rhs>,
}

/// A value: a field, a function call or a literal, with indexes (`[0]`, `["key"]`, `[*]`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A field, `http.request.headers["accept"][*]`.
    Field {
        /// The field's name.
        name: String,
        /// Indexes applied to it, in order.
        path: Vec<Spanned<IndexOp>>,
        /// Where the name was written.
        span: Span,
    },
    /// A function call, `lower(http.host)`, `lower(x[*])[*]`.
    Call {
        /// The function's name.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
        /// Indexes applied to the result.
        path: Vec<Spanned<IndexOp>>,
        /// From the name to the closing parenthesis.
        span: Span,
    },
    /// A literal (function arguments, `true`, `false`).
    Literal(Literal, Span),
}

/// An index applied to an array or a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexOp {
    /// `[0]`: an array element.
    Element(u32),
    /// `["key"]`: a map entry.
    Key(String),
    /// `[*]`: every element (the comparison or function around it runs once per element).
    Each,
}

/// A literal value in a function argument or on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string (decoded).
    String(String),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `eq`, `==`.
    Eq,
    /// `ne`, `!=`.
    Ne,
    /// `lt`, `<`.
    Lt,
    /// `le`, `<=`.
    Le,
    /// `gt`, `>`.
    Gt,
    /// `ge`, `>=`.
    Ge,
    /// `contains`.
    Contains,
    /// `matches`, `~`.
    Matches,
    /// `wildcard` (case-insensitive).
    Wildcard,
    /// `strict wildcard` (case-sensitive).
    StrictWildcard,
    /// `in`.
    In,
}

impl CmpOp {
    /// The English notation (`eq`, `strict wildcard`).
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Contains => "contains",
            CmpOp::Matches => "matches",
            CmpOp::Wildcard => "wildcard",
            CmpOp::StrictWildcard => "strict wildcard",
            CmpOp::In => "in",
        }
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// A string (decoded), for `eq`, `contains`, `wildcard`, ...
    String(String),
    /// An integer.
    Int(i64),
    /// An IP address.
    Ip(IpAddr),
    /// `true` / `false`.
    Bool(bool),
    /// A regular expression (the pattern the regex engine sees), for `matches`.
    Regex(String),
    /// An inline set `{...}`, for `in`.
    Set(Vec<Spanned<SetItem>>),
    /// A list `$name` / `$cf.name`, for `in`.
    List(ListRef),
}

/// An element of an inline set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetItem {
    /// `"text"`.
    String(String),
    /// `42`.
    Int(i64),
    /// `8000..8009` (inclusive).
    IntRange(i64, i64),
    /// `192.0.2.1`.
    Ip(IpAddr),
    /// `198.51.100.3..198.51.100.7` (inclusive).
    IpRange(IpAddr, IpAddr),
    /// `192.0.2.0/24`.
    Cidr(IpAddr, u8),
}

/// A list reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ListRef {
    /// `$name`: an account list.
    Custom(String),
    /// `$cf.name`: a Cloudflare managed list (the name is without `cf.`).
    Managed(String),
}

impl ListRef {
    /// The name as written after `$` (`office_network`, `cf.open_proxies`).
    pub fn name(&self) -> String {
        match self {
            ListRef::Custom(name) => name.clone(),
            ListRef::Managed(name) => format!("cf.{name}"),
        }
    }
}

impl Expr {
    /// The span the expression covers.
    pub fn span(&self) -> Span {
        match self {
            Expr::Or(items) | Expr::Xor(items) | Expr::And(items) => items
                .iter()
                .map(Expr::span)
                .reduce(Span::to)
                .unwrap_or_default(),
            Expr::Not(inner, span) => span.to(inner.span()),
            Expr::Compare(c) => c.lhs.span().to(c.rhs.span),
            Expr::Value(v) => v.span(),
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Or(_) => 1,
            Expr::Xor(_) => 2,
            Expr::And(_) => 3,
            Expr::Not(..) => 4,
            Expr::Compare(_) | Expr::Value(_) => 5,
        }
    }

    /// Visits this expression and every expression below it (function arguments included).
    pub fn walk<'e>(&'e self, visit: &mut dyn FnMut(&'e Expr)) {
        visit(self);
        match self {
            Expr::Or(items) | Expr::Xor(items) | Expr::And(items) => {
                items.iter().for_each(|e| e.walk(visit))
            }
            Expr::Not(inner, _) => inner.walk(visit),
            Expr::Compare(c) => c.lhs.walk_args(visit),
            Expr::Value(v) => v.walk_args(visit),
        }
    }
}

impl Value {
    /// The span of the value, indexes included.
    pub fn span(&self) -> Span {
        match self {
            Value::Field { path, span, .. } | Value::Call { path, span, .. } => {
                path.last().map_or(*span, |index| span.to(index.span))
            }
            Value::Literal(_, span) => *span,
        }
    }

    fn walk_args<'e>(&'e self, visit: &mut dyn FnMut(&'e Expr)) {
        if let Value::Call { args, .. } = self {
            args.iter().for_each(|arg| arg.walk(visit));
        }
    }
}

/// Writes `text` as a quoted string literal: `"` and `\` escaped, control characters as `\xHH`.
pub(crate) fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c if (c as u32) < 0x20 || c == '\x7f' => write!(f, "\\x{:02x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// Writes a regex: quoted when the quoted form reads back to the same pattern, raw otherwise.
fn write_regex(f: &mut fmt::Formatter<'_>, pattern: &str) -> fmt::Result {
    if regex_quotable(pattern) {
        return write!(f, "\"{pattern}\"");
    }
    // A raw string with one more `#` than any run of `#` following a `"` in the pattern.
    let mut hashes = 1;
    let bytes = pattern.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'"' {
            let run = bytes[i + 1..].iter().take_while(|c| **c == b'#').count();
            hashes = hashes.max(run + 1);
        }
    }
    let fence = "#".repeat(hashes);
    write!(f, "r{fence}\"{pattern}\"{fence}")
}

/// True when `"pattern"` decodes (regex escaping) back to `pattern`: no `"`, no control
/// characters, and backslashes pair up without one escaping the closing quote.
fn regex_quotable(pattern: &str) -> bool {
    if pattern.contains('"') || pattern.chars().any(|c| (c as u32) < 0x20 || c == '\x7f') {
        return false;
    }
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.next().is_none() {
            return false;
        }
    }
    true
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (items, op) = match self {
            Expr::Or(items) => (items, "or"),
            Expr::Xor(items) => (items, "xor"),
            Expr::And(items) => (items, "and"),
            Expr::Not(inner, _) => {
                f.write_str("not ")?;
                return if inner.precedence() < 4 {
                    write!(f, "({inner})")
                } else {
                    write!(f, "{inner}")
                };
            }
            Expr::Compare(c) => return write!(f, "{c}"),
            Expr::Value(v) => return write!(f, "{v}"),
        };
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                write!(f, " {op} ")?;
            }
            if item.precedence() <= self.precedence() {
                write!(f, "({item})")?;
            } else {
                write!(f, "{item}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.lhs, self.op.as_str(), self.rhs.value)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = match self {
            Value::Field { name, path, .. } => {
                f.write_str(name)?;
                path
            }
            Value::Call {
                name, args, path, ..
            } => {
                write!(f, "{name}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")?;
                path
            }
            Value::Literal(literal, _) => return write!(f, "{literal}"),
        };
        for index in path {
            write!(f, "{}", index.value)?;
        }
        Ok(())
    }
}

impl fmt::Display for IndexOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexOp::Element(i) => write!(f, "[{i}]"),
            IndexOp::Key(key) => {
                f.write_str("[")?;
                write_quoted(f, key)?;
                f.write_str("]")
            }
            IndexOp::Each => f.write_str("[*]"),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::String(s) => write_quoted(f, s),
        }
    }
}

impl fmt::Display for Rhs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::String(s) => write_quoted(f, s),
            Rhs::Int(i) => write!(f, "{i}"),
            Rhs::Ip(ip) => write!(f, "{ip}"),
            Rhs::Bool(b) => write!(f, "{b}"),
            Rhs::Regex(pattern) => write_regex(f, pattern),
            Rhs::Set(items) => {
                f.write_str("{")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{}", item.value)?;
                }
                f.write_str("}")
            }
            Rhs::List(list) => write!(f, "${}", list.name()),
        }
    }
}

impl fmt::Display for SetItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetItem::String(s) => write_quoted(f, s),
            SetItem::Int(i) => write!(f, "{i}"),
            SetItem::IntRange(a, b) => write!(f, "{a}..{b}"),
            SetItem::Ip(ip) => write!(f, "{ip}"),
            SetItem::IpRange(a, b) => write!(f, "{a}..{b}"),
            SetItem::Cidr(ip, len) => write!(f, "{ip}/{len}"),
        }
    }
}
