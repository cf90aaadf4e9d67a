//! The Cloudflare Rules language: parse, type-check, print and evaluate expressions.
//!
//! # Design
//!
//! * **Lexer** (`lexer`): bytes to tokens with byte offsets. It is driven by the parser one token
//!   at a time because the language is context sensitive: after a comparison operator
//!   `2001:db8::/32` and `198.51.100.3..198.51.100.7` are single literals.
//! * **Parser** (`parser`): precedence climbing over `not` > `and` > `xor` > `or` (and `!`, `&&`,
//!   `^^`, `||`), recursive descent below. Logical operators are n-ary and flattened, so the tree
//!   stays shallow however long the expression; recursion happens only at `(`, `not` and function
//!   calls, and is capped at [`MAX_NESTING_DEPTH`], so no input overflows the stack.
//! * **Type checker** (`check`): every field against the scheme in [`FIELDS`] (generated from
//!   Cloudflare's field reference), every function against its documented signature
//!   ([`FUNCTIONS`]), operators against operand types, `[*]` placement (a comparison over `[*]`
//!   yields one result per element and must sit inside `any()`/`all()`), value-only functions,
//!   regular expressions compiled as Cloudflare does (bytes, Unicode off unless `(?u)`) under
//!   size limits; patterns that stand for a few plain texts are matched as texts (`pattern`).
//! * **Printer**: `Display` on the tree prints one canonical text (English operators, minimal
//!   parentheses); parsing it gives an equal tree.
//! * **Evaluator** (`eval`): the tree-walking evaluator, which defines the semantics.
//!   [`Filter::matches`] runs a compiled form: fields resolved to where a [`Request`] keeps them
//!   and constants prepared (`compiled`), `and`/`or`/`not` flattened into tests with true and
//!   false exits (`program`); the tests check it agrees with the tree walker.
//!   [`Filter::matches_prepared`] reads fields from a [`PreparedRequest`], worked out once per
//!   request for a whole ruleset (`prepared`). `$lists` resolve through [`Lists`].
//! * **Direct path** (`direct`): filters of the common shapes (plain fields compared with
//!   literals and sets, `and`/`or`/`not`) are checked and compiled in one pass over the text,
//!   without the tree, which [`Filter::expr`] builds from the text on first use. Anything else
//!   takes the full path (parser, checker, compiler), which also explains every error.
//!
//! Errors ([`RulesError`]) carry a message, a byte span, a hint when a likely fix exists (the
//! nearest field, operator or function name), and render with carets like a compiler's.
//!
//! ```
//! use cfcp::rules::{parse_filter, Lists, Request};
//!
//! let filter = parse_filter(
//!     r#"http.request.uri.path eq "/login" && not ip.src in {192.0.2.0/24} || cf.waf.score < 20"#,
//! ).unwrap();
//! assert_eq!(
//!     filter.to_string(),
//!     r#"http.request.uri.path eq "/login" and not ip.src in {192.0.2.0/24} or cf.waf.score lt 20"#,
//! );
//! let mut request = Request::get("example.com", "/login");
//! request.client_ip = Some("198.51.100.1".parse().unwrap());
//! assert!(filter.matches(&request, &Lists::default()));
//!
//! let err = parse_filter(r#"http.request.uri.path contans "/admin""#).unwrap_err();
//! assert_eq!(
//!     err.message,
//!     r#"expected a comparison operator after field http.request.uri.path, found "contans""#,
//! );
//! ```

mod ast;
pub mod batch;
mod check;
mod compiled;
mod direct;
mod error;
mod eval;
mod fields;
mod functions;
mod lexer;
mod parser;
mod pattern;
mod prepared;
mod program;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use ast::{
    CmpOp, Comparison, Expr, IndexOp, ListRef, Literal, Rhs, SetItem, Span, Spanned, Value,
};
pub use error::RulesError;
pub use eval::{FieldValue, ListItems, Lists, Request};
pub use fields::{deprecated_replacement, field_type, FieldType, Type, DEPRECATED_FIELDS, FIELDS};
pub use functions::{function, Function, FunctionContext, FUNCTIONS};
pub use prepared::PreparedRequest;

use pattern::Patterns;

/// Cloudflare's limit on the length of an expression, in characters.
pub const MAX_EXPRESSION_LENGTH: usize = 4096;

/// How deep parentheses, `not` and function calls may nest (a function call counts two levels).
/// Cloudflare publishes no figure; real expressions stay far below it, and it keeps parsing,
/// checking and evaluation within a 2 MiB thread stack even in debug builds.
pub const MAX_NESTING_DEPTH: usize = 256;

/// Size limit for one compiled regular expression (the `regex` crate's `size_limit`).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Size limit for a regular expression's lazy DFA cache (the `regex` crate's `dfa_size_limit`).
pub const REGEX_DFA_SIZE_LIMIT: usize = 2 << 20;

/// Cloudflare's managed IP lists, referenced as `$cf.<name>`.
pub const MANAGED_LISTS: &[&str] = &["open_proxies", "anonymizer", "vpn", "malware", "botnetcc"];

/// Which kind of expression a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ExpressionKind {
    /// A filter: a rule's condition, which must be true or false.
    #[default]
    Filter,
    /// A value: a rewrite or redirect target, which must give a String.
    Value,
}

/// Limits for parsing; [`ParseOptions::default`] is Cloudflare's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Longest expression accepted, in characters.
    pub max_length: usize,
    /// Deepest nesting of parentheses, `not` and function calls.
    pub max_depth: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_length: MAX_EXPRESSION_LENGTH,
            max_depth: MAX_NESTING_DEPTH,
        }
    }
}

/// A type-checked filter expression (a rule's condition).
///
/// Equality compares the trees, not the text: `a && b` equals `a and b`.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The syntax tree; for a filter compiled straight from its text (`direct`), built from
    /// `source` on first use.
    expr: OnceLock<Expr>,
    /// The text and nesting limit to build `expr` from, when it is not built yet.
    source: Option<(Box<str>, usize)>,
    patterns: Patterns,
    /// What [`Filter::matches`] runs: the tree with fields resolved and constants prepared,
    /// flattened.
    program: program::Program,
}

/// A type-checked value expression (a rewrite or redirect target).
#[derive(Debug, Clone)]
pub struct ValueExpr {
    expr: Expr,
    patterns: Patterns,
}

/// Parses and type-checks a filter expression under Cloudflare's limits.
///
/// ```
/// let filter = cfcp::rules::parse_filter(r#"any(http.request.headers["accept"][*] == "application/json")"#).unwrap();
/// assert!(!filter.uses_regex());
/// let err = cfcp::rules::parse_filter(r#"http.request.headers.names[*] == "x""#).unwrap_err();
/// assert!(err.help.unwrap().contains("any("));
/// ```
pub fn parse_filter(text: &str) -> Result<Filter, RulesError> {
    parse_filter_with(text, &ParseOptions::default())
}

/// [`parse_filter`] with explicit limits.
///
/// ```
/// use cfcp::rules::{parse_filter_with, ParseOptions};
/// let long = vec!["ssl"; 2000].join(" or ");
/// assert!(cfcp::rules::parse_filter(&long).is_err());
/// let options = ParseOptions { max_length: usize::MAX, ..ParseOptions::default() };
/// assert!(parse_filter_with(&long, &options).is_ok());
/// ```
pub fn parse_filter_with(text: &str, options: &ParseOptions) -> Result<Filter, RulesError> {
    if let Some((program, patterns)) = direct(text, options) {
        return Ok(Filter {
            expr: OnceLock::new(),
            source: Some((text.into(), options.max_depth)),
            patterns,
            program,
        });
    }
    let (expr, patterns) = parse_kind(text, ExpressionKind::Filter, options)?;
    let program = program::Program::from_node(compiled::Node::compile(&expr, &patterns));
    Ok(Filter {
        expr: OnceLock::from(expr),
        source: None,
        patterns,
        program,
    })
}

/// Parses a filter given as bytes, reporting invalid UTF-8 with the offset of the first bad byte.
///
/// ```
/// let err = cfcp::rules::parse_filter_bytes(b"http.host eq \"\xff\"").unwrap_err();
/// assert_eq!(err.offset, 14);
/// assert!(err.message.contains("UTF-8"));
/// ```
pub fn parse_filter_bytes(bytes: &[u8]) -> Result<Filter, RulesError> {
    parse_filter(utf8(bytes)?)
}

/// Parses and type-checks a value expression (rewrite or redirect target) under Cloudflare's
/// limits. Value-only functions (`regex_replace`, `wildcard_replace`, `to_string`, ...) are
/// allowed here.
///
/// ```
/// let value = cfcp::rules::parse_value(r#"regex_replace(http.request.uri.path, "^/old/(.*)$", "/new/${1}")"#).unwrap();
/// assert!(value.uses_regex());
/// assert!(cfcp::rules::parse_filter(r#"regex_replace(http.host, "a", "b") eq "x""#).is_err());
/// ```
pub fn parse_value(text: &str) -> Result<ValueExpr, RulesError> {
    parse_value_with(text, &ParseOptions::default())
}

/// [`parse_value`] with explicit limits.
pub fn parse_value_with(text: &str, options: &ParseOptions) -> Result<ValueExpr, RulesError> {
    let (expr, patterns) = parse_kind(text, ExpressionKind::Value, options)?;
    Ok(ValueExpr { expr, patterns })
}

/// Validates an expression of the given kind.
///
/// ```
/// use cfcp::rules::{validate, ExpressionKind};
/// assert!(validate("true", ExpressionKind::Filter).is_ok());
/// assert!(validate("ip.src in $Bad_List", ExpressionKind::Filter).is_err());
/// ```
pub fn validate(expression: &str, kind: ExpressionKind) -> Result<(), RulesError> {
    let options = ParseOptions::default();
    if kind == ExpressionKind::Filter && direct(expression, &options).is_some() {
        return Ok(());
    }
    parse_kind(expression, kind, &options).map(|_| ())
}

/// One expression's verdict, as `cfcp waf validate --batch` prints it.
///
/// ```
/// use cfcp::rules::{ExpressionKind, ValidationResult};
/// let ok = ValidationResult::of("ssl", ExpressionKind::Filter);
/// assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"valid":true}"#);
/// let bad = ValidationResult::of("not", ExpressionKind::Filter);
/// assert_eq!(bad.error.unwrap().offset, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationResult {
    /// Whether Cloudflare would accept the expression.
    pub valid: bool,
    /// Why not, when it would not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ValidationError>,
}

/// The error of a [`ValidationResult`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    /// The message, with the hint appended.
    pub message: String,
    /// Byte offset in the expression.
    pub offset: usize,
}

impl ValidationResult {
    /// Validates `expression` as `kind`.
    pub fn of(expression: &str, kind: ExpressionKind) -> Self {
        match validate(expression, kind) {
            Ok(()) => ValidationResult {
                valid: true,
                error: None,
            },
            Err(err) => ValidationResult {
                valid: false,
                error: Some(ValidationError {
                    message: err.full_message(),
                    offset: err.offset,
                }),
            },
        }
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, RulesError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        RulesError::new(
            format!("invalid UTF-8 at byte {at}: an expression must be UTF-8 text"),
            at,
            at + e.error_len().unwrap_or(1),
        )
    })
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn preflight(text: &str, options: &ParseOptions) -> Result<(), RulesError> {
    if text.len() > options.max_length {
        let count = text.chars().count();
        if count > options.max_length {
            let at = text
                .char_indices()
                .nth(options.max_length)
                .map_or(text.len(), |(i, _)| i);
            return Err(RulesError::new(
                format!(
                    "the expression is {} characters long; Cloudflare accepts at most {}",
                    thousands(count),
                    thousands(options.max_length)
                ),
                at,
                text.len(),
            )
            .with_help("split the rule, or move long value sets into a list ($name)"));
        }
    }
    if let Some(at) = text.find('\0') {
        return Err(RulesError::new(
            format!("NUL byte at byte {at}: an expression cannot contain NUL characters"),
            at,
            at + 1,
        ));
    }
    if text.trim().is_empty() {
        return Err(RulesError::new("the expression is empty", 0, text.len()));
    }
    Ok(())
}

/// The direct path (`direct`) for a filter within the length limit; `None` when the full path
/// must decide.
fn direct(text: &str, options: &ParseOptions) -> Option<(program::Program, Patterns)> {
    if text.len() > options.max_length {
        return None;
    }
    direct::compile(text, options.max_depth)
}

/// The full path: preflight, parse, check.
fn parse_kind(
    text: &str,
    kind: ExpressionKind,
    options: &ParseOptions,
) -> Result<(Expr, Patterns), RulesError> {
    preflight(text, options)?;
    let expr = parser::Parser::new(text, options.max_depth).parse()?;
    let checked = check::Checker::new(kind).check_root(&expr)?;
    Ok((expr, checked.patterns))
}

/// What filters and value expressions share.
macro_rules! expression_api {
    ($t:ident, $parse:ident) => {
        impl $t {
            /// True when the expression uses regular expressions (`matches`, `~`,
            /// `regex_replace`), which Cloudflare allows only on Business and Enterprise plans.
            pub fn uses_regex(&self) -> bool {
                let mut found = false;
                self.expr().walk(&mut |e| match e {
                    Expr::Compare(c) if c.op == CmpOp::Matches => found = true,
                    _ => {}
                });
                found || self.functions().contains("regex_replace")
            }

            /// The fields the expression reads.
            pub fn fields(&self) -> BTreeSet<&str> {
                let mut out = BTreeSet::new();
                self.expr().walk(&mut |e| {
                    let value = match e {
                        Expr::Compare(c) => &c.lhs,
                        Expr::Value(v) => v,
                        _ => return,
                    };
                    if let Value::Field { name, .. } = value {
                        out.insert(name.as_str());
                    }
                });
                out
            }

            /// The functions the expression calls.
            pub fn functions(&self) -> BTreeSet<&str> {
                let mut out = BTreeSet::new();
                self.expr().walk(&mut |e| {
                    let value = match e {
                        Expr::Compare(c) => &c.lhs,
                        Expr::Value(v) => v,
                        _ => return,
                    };
                    if let Value::Call { name, .. } = value {
                        out.insert(name.as_str());
                    }
                });
                out
            }

            /// Deprecated fields the expression reads, with their replacements.
            pub fn deprecated_fields(&self) -> Vec<(&str, &'static str)> {
                self.fields()
                    .into_iter()
                    .filter_map(|f| deprecated_replacement(f).map(|r| (f, r)))
                    .collect()
            }

            /// The lists (`$name`, `$cf.name`) the expression references.
            pub fn lists(&self) -> BTreeSet<&ListRef> {
                let mut out = BTreeSet::new();
                self.expr().walk(&mut |e| {
                    if let Expr::Compare(c) = e {
                        if let Rhs::List(list) = &c.rhs.value {
                            out.insert(list);
                        }
                    }
                });
                out
            }

            fn context<'a>(&'a self, request: &'a Request, lists: &'a Lists) -> eval::Context<'a> {
                eval::Context {
                    request,
                    lists,
                    patterns: &self.patterns,
                }
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.expr() == other.expr()
            }
        }

        impl fmt::Display for $t {
            /// The canonical text: English operators, minimal parentheses.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.expr().fmt(f)
            }
        }

        impl FromStr for $t {
            type Err = RulesError;

            fn from_str(text: &str) -> Result<Self, RulesError> {
                $parse(text)
            }
        }
    };
}

expression_api!(Filter, parse_filter);
expression_api!(ValueExpr, parse_value);

impl Filter {
    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        self.expr.get_or_init(|| {
            let (text, max_depth) = self
                .source
                .as_ref()
                .expect("a filter without its tree keeps its text");
            // `direct` accepts only what the parser accepts (its tests hold it to that).
            parser::Parser::new(text, *max_depth)
                .parse()
                .expect("cfcp bug: the direct path accepted a filter the parser rejects")
        })
    }

    /// Does the request match? `$lists` resolve through `lists` (a list it lacks matches
    /// nothing).
    ///
    /// ```
    /// use cfcp::rules::{parse_filter, Lists, Request};
    /// let filter = parse_filter(r#"any(lower(http.request.headers.names[*])[*] == "x-api-key")"#).unwrap();
    /// let request = Request::get("example.com", "/").header("X-API-Key", "k");
    /// assert!(filter.matches(&request, &Lists::default()));
    /// assert!(!filter.matches(&Request::default(), &Lists::default()));
    /// ```
    pub fn matches(&self, request: &Request, lists: &Lists) -> bool {
        self.program.eval(request, &self.context(request, lists))
    }

    /// [`Filter::matches`] against a [`PreparedRequest`], whose fields are worked out once for
    /// every filter run against it (a ruleset, a simulation); same answers, faster.
    ///
    /// ```
    /// use cfcp::rules::{parse_filter, Lists, Request};
    /// let request = Request::get("example.com", "/admin").header("Cookie", "session=1");
    /// let prepared = request.prepare();
    /// let rules = ["http.cookie contains \"session\"", "starts_with(http.request.uri.path, \"/admin\")"];
    /// for rule in rules {
    ///     assert!(parse_filter(rule).unwrap().matches_prepared(&prepared, &Lists::default()));
    /// }
    /// ```
    pub fn matches_prepared(&self, request: &PreparedRequest<'_>, lists: &Lists) -> bool {
        self.program
            .eval(request, &self.context(request.request(), lists))
    }

    /// [`Filter::matches`] by the tree-walking evaluator alone (the reference semantics).
    #[cfg(test)]
    pub(crate) fn matches_by_tree(&self, request: &Request, lists: &Lists) -> bool {
        self.context(request, lists).truth(self.expr())
    }
}

impl ValueExpr {
    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The value for a request, `None` when it is missing (an absent map key, an out-of-range
    /// index) or cannot be computed by cfcp (`uuidv4()`, `sha256()`).
    ///
    /// ```
    /// use cfcp::rules::{parse_value, Lists, Request};
    /// let value = parse_value(r#"concat("https://example.com", lower(http.request.uri.path))"#).unwrap();
    /// let request = Request::get("x", "/A/B");
    /// assert_eq!(value.evaluate(&request, &Lists::default()).as_deref(), Some("https://example.com/a/b"));
    /// ```
    pub fn evaluate(&self, request: &Request, lists: &Lists) -> Option<String> {
        match self.context(request, lists).value_of(&self.expr)? {
            FieldValue::String(s) => Some(s),
            _ => None,
        }
    }
}
