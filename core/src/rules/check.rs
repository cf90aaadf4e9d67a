//! The type checker: field and function names, argument types, operator and value types, `[*]`
//! placement, value-only functions, and regular expressions compiled under the size limits.

use super::ast::{
    CmpOp, Comparison, Expr, IndexOp, ListRef, Literal, Rhs, SetItem, Span, Spanned, Value,
};
use super::error::{suggest, RulesError};
use super::fields::{field_type, Type, FIELDS};
use super::functions::{function, FunctionContext, FUNCTIONS};
use super::lexer::shorten;
use super::pattern::Patterns;
use super::ExpressionKind;

/// A checked value's type. `each` marks a value behind `[*]`: one value per array element, which
/// makes the comparison or function around it run element by element.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ty {
    pub ty: Type,
    pub each: bool,
}

impl Ty {
    fn one(ty: Type) -> Ty {
        Ty { ty, each: false }
    }

    fn describe(&self) -> String {
        if self.each {
            format!("{} (one per element, because of `[*]`)", self.ty)
        } else {
            self.ty.to_string()
        }
    }
}

/// What checking gives besides the type: the compiled regular expressions.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    pub patterns: Patterns,
}

pub(crate) struct Checker {
    kind: ExpressionKind,
    checked: Checked,
    /// `regex_replace` / `wildcard_replace` calls seen (each may appear once, not nested).
    replace_calls: Vec<(&'static str, Span)>,
    replace_depth: usize,
}

fn err(message: impl Into<String>, span: Span) -> RulesError {
    RulesError::new(message, span.start, span.end)
}

/// Checks a wildcard pattern: no `**`, and `\` only before `*` or `\`.
pub(crate) fn check_wildcard(pattern: &str) -> Result<(), String> {
    let mut chars = pattern.chars().peekable();
    let mut previous_star = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('*') | Some('\\') => previous_star = false,
                Some(other) => {
                    return Err(format!(
                        "invalid escape `\\{other}` in a wildcard pattern: only `\\*` and `\\\\` are escapes"
                    ))
                }
                None => return Err("a wildcard pattern cannot end with a lone `\\`".to_owned()),
            },
            '*' => {
                if previous_star {
                    return Err("`**` is not allowed in a wildcard pattern: one `*` already matches any text".to_owned());
                }
                previous_star = true;
            }
            _ => previous_star = false,
        }
    }
    Ok(())
}

impl Checker {
    pub(crate) fn new(kind: ExpressionKind) -> Self {
        Checker {
            kind,
            checked: Checked::default(),
            replace_calls: Vec::new(),
            replace_depth: 0,
        }
    }

    /// Checks the root of an expression of this checker's kind.
    pub(crate) fn check_root(mut self, expr: &Expr) -> Result<Checked, RulesError> {
        let ty = self.expr(expr)?;
        let span = expr.span();
        match self.kind {
            ExpressionKind::Filter => {
                if ty == Ty::one(Type::Bool) {
                    return Ok(self.checked);
                }
                if ty.each || ty.ty == Type::Array(Box::new(Type::Bool)) {
                    return Err(err(
                        "this condition gives one result per array element (because of `[*]`), not one true or false",
                        span,
                    )
                    .with_help(format!("wrap it in any(...) or all(...): any({})", shorten(&expr.to_string()))));
                }
                let help = match &ty.ty {
                    Type::String | Type::Bytes => Some(format!(
                        "compare it with a value: {} eq \"...\"",
                        shorten(&expr.to_string())
                    )),
                    Type::Int => Some(format!(
                        "compare it with a value: {} eq 1",
                        shorten(&expr.to_string())
                    )),
                    _ => None,
                };
                Err(err(
                    format!(
                        "a filter expression must be a condition (Boolean), but this is {}",
                        a_type(&ty)
                    ),
                    span,
                )
                .with_help_opt(help))
            }
            ExpressionKind::Value => {
                if !ty.each && ty.ty.is_stringy() {
                    return Ok(self.checked);
                }
                let help = match &ty.ty {
                    Type::Int | Type::Bool | Type::Ip if !ty.each => Some(format!(
                        "convert it with to_string({})",
                        shorten(&expr.to_string())
                    )),
                    Type::Array(_) | Type::Map(_) => Some(
                        "index it (`[0]`, `[\"key\"]`) or join its elements with join(...)"
                            .to_owned(),
                    ),
                    _ => None,
                };
                Err(err(
                    format!(
                        "a value expression must give a String, but this is {}",
                        a_type(&ty)
                    ),
                    span,
                )
                .with_help_opt(help))
            }
        }
    }

    fn expr(&mut self, expr: &Expr) -> Result<Ty, RulesError> {
        match expr {
            Expr::Or(items) | Expr::Xor(items) | Expr::And(items) => {
                let op = match expr {
                    Expr::Or(_) => "or",
                    Expr::Xor(_) => "xor",
                    _ => "and",
                };
                for item in items {
                    let ty = self.expr(item)?;
                    if ty == Ty::one(Type::Bool) {
                        continue;
                    }
                    if ty.each || ty.ty == Type::Array(Box::new(Type::Bool)) {
                        return Err(err(
                            format!("`{op}` needs one true or false on each side, but this gives one per array element (`[*]`)"),
                            item.span(),
                        )
                        .with_help("wrap it in any(...) or all(...)"));
                    }
                    return Err(err(
                        format!(
                            "`{op}` needs conditions on both sides, but this is {}",
                            a_type(&ty)
                        ),
                        item.span(),
                    )
                    .with_help_opt(compare_hint(item, &ty)));
                }
                Ok(Ty::one(Type::Bool))
            }
            Expr::Not(inner, _) => {
                let ty = self.expr(inner)?;
                match (&ty.ty, ty.each) {
                    (Type::Bool, false) => Ok(ty),
                    (Type::Bool, true) => Ok(Ty::one(Type::Array(Box::new(Type::Bool)))),
                    (Type::Array(element), false) if **element == Type::Bool => Ok(ty),
                    _ => Err(err(
                        format!("`not` needs a condition, but this is {}", a_type(&ty)),
                        inner.span(),
                    )
                    .with_help_opt(compare_hint(inner, &ty))),
                }
            }
            Expr::Compare(comparison) => self.comparison(comparison),
            Expr::Value(value) => self.value(value),
        }
    }

    fn value(&mut self, value: &Value) -> Result<Ty, RulesError> {
        match value {
            Value::Field { name, path, span } => {
                let Some(field) = field_type(name) else {
                    return Err(unknown_field(name, *span));
                };
                self.path(Ty::one(field.to_type()), path, name)
            }
            Value::Call {
                name,
                args,
                path,
                span,
            } => {
                let ty = self.call(name, args, *span)?;
                self.path(ty, path, name)
            }
            Value::Literal(literal, _) => Ok(Ty::one(match literal {
                Literal::Bool(_) => Type::Bool,
                Literal::Int(_) => Type::Int,
                Literal::String(_) => Type::String,
            })),
        }
    }

    fn path(
        &mut self,
        mut ty: Ty,
        path: &[Spanned<IndexOp>],
        name: &str,
    ) -> Result<Ty, RulesError> {
        for index in path {
            let inner = match (&index.value, &ty.ty) {
                (IndexOp::Each, _) if ty.each => {
                    return Err(err(
                        "`[*]` is already applied here: a value can be unpacked once",
                        index.span,
                    ))
                }
                (IndexOp::Each, Type::Array(inner) | Type::Map(inner)) => {
                    ty = Ty {
                        ty: (**inner).clone(),
                        each: true,
                    };
                    continue;
                }
                (IndexOp::Element(_), Type::Array(inner)) => (**inner).clone(),
                (IndexOp::Key(_), Type::Map(inner)) => (**inner).clone(),
                (IndexOp::Element(_), Type::Map(_)) => {
                    return Err(err(
                        format!(
                            "{name} is a {}: index it with a key in quotes, such as [\"name\"]",
                            ty.ty
                        ),
                        index.span,
                    ))
                }
                (IndexOp::Key(_), Type::Array(_)) => {
                    return Err(err(
                        format!(
                            "{name} is an {}: index it with a number such as [0], or [*]",
                            ty.ty
                        ),
                        index.span,
                    ))
                }
                _ => {
                    return Err(err(
                        format!(
                            "{name} is {}, which cannot be indexed",
                            a_type(&Ty::one(ty.ty.clone()))
                        ),
                        index.span,
                    ))
                }
            };
            ty.ty = inner;
        }
        Ok(ty)
    }

    fn comparison(&mut self, c: &Comparison) -> Result<Ty, RulesError> {
        let lhs = self.value(&c.lhs)?;
        // Described only when an error needs it: formatting it for every comparison is costly.
        let what = Described(&c.lhs);
        let op = c.op.as_str();
        let rhs_span = c.rhs.span;
        let result = if lhs.each {
            Ty::one(Type::Array(Box::new(Type::Bool)))
        } else {
            Ty::one(Type::Bool)
        };
        match &lhs.ty {
            Type::Array(_) => {
                return Err(err(
                    format!("{what} is an {}, which operators cannot compare directly", lhs.ty),
                    c.lhs.span(),
                )
                .with_help(format!(
                    "compare one element ({what}[0] {op} ...) or each element inside any(...) or all(...): any({what}[*] {op} ...)"
                )))
            }
            Type::Map(_) => {
                return Err(err(
                    format!("{what} is a {}, which operators cannot compare directly", lhs.ty),
                    c.lhs.span(),
                )
                .with_help(format!("index it with a key: {what}[\"name\"]")))
            }
            Type::Bool => {
                return Err(err(
                    format!("{what} is a Boolean: it is a condition on its own and takes no `{op}`"),
                    c.op_span,
                )
                .with_help(format!("write `{what}` or `not {what}`")))
            }
            _ => {}
        }
        let rhs = &c.rhs.value;
        let mismatch = |expected: &str| {
            err(
                format!(
                    "{what} is {}, so `{op}` needs {expected}, found {}",
                    a_type(&Ty::one(lhs.ty.clone())),
                    describe_rhs(rhs)
                ),
                rhs_span,
            )
        };
        let unsupported = |works_on: &str| {
            err(
                format!(
                    "`{op}` does not apply to {what}, which is {}; `{op}` works on {works_on}",
                    a_type(&Ty::one(lhs.ty.clone()))
                ),
                c.op_span,
            )
        };
        match (&lhs.ty, c.op) {
            // Strings.
            (t, CmpOp::Matches) if t.is_stringy() => {
                let Rhs::Regex(pattern) = rhs else {
                    return Err(mismatch("a regular expression string"));
                };
                self.checked
                    .patterns
                    .add_match(pattern)
                    .map_err(|m| err(m, rhs_span))?;
            }
            (t, CmpOp::Wildcard | CmpOp::StrictWildcard) if t.is_stringy() => {
                let Rhs::String(pattern) = rhs else {
                    return Err(mismatch("a quoted string"));
                };
                check_wildcard(pattern).map_err(|m| err(m, rhs_span))?;
            }
            (t, CmpOp::In) if t.is_stringy() => match rhs {
                Rhs::Set(items) => set_of(items, "strings", |i| matches!(i, SetItem::String(_)))?,
                Rhs::List(ListRef::Custom(_)) => {}
                Rhs::List(list @ ListRef::Managed(_)) => {
                    return Err(managed_list_error(list, &what.to_string(), rhs_span))
                }
                _ => return Err(mismatch("a set of strings or a list")),
            },
            (t, _) if t.is_stringy() => {
                if !matches!(rhs, Rhs::String(_)) {
                    let mut e = mismatch("a quoted string");
                    if let Rhs::Int(i) = rhs {
                        e = e.with_help(format!("write \"{i}\""));
                    }
                    return Err(e);
                }
            }
            // Integers.
            (
                Type::Int,
                CmpOp::Contains | CmpOp::Matches | CmpOp::Wildcard | CmpOp::StrictWildcard,
            ) => return Err(unsupported("strings")),
            (Type::Int, CmpOp::In) => match rhs {
                Rhs::Set(items) => set_of(items, "integers and integer ranges", |i| {
                    matches!(i, SetItem::Int(_) | SetItem::IntRange(..))
                })?,
                Rhs::List(ListRef::Custom(_)) => {}
                Rhs::List(list @ ListRef::Managed(_)) => {
                    return Err(managed_list_error(list, &what.to_string(), rhs_span))
                }
                _ => return Err(mismatch("a set of integers or a list")),
            },
            (Type::Int, _) => {
                if !matches!(rhs, Rhs::Int(_)) {
                    let mut e = mismatch("an integer");
                    if let Rhs::String(s) = rhs {
                        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
                        if !digits.is_empty() {
                            e = e.with_help(format!("integers are not quoted: write {digits}"));
                        }
                    }
                    return Err(e);
                }
            }
            // IP addresses.
            (Type::Ip, CmpOp::Eq | CmpOp::Ne) => {
                if !matches!(rhs, Rhs::Ip(_)) {
                    let mut e = mismatch("an IP address such as 192.0.2.1");
                    if let Rhs::String(s) = rhs {
                        if s.parse::<std::net::IpAddr>().is_ok() {
                            e = e.with_help(format!("IP addresses are not quoted: write {s}"));
                        }
                    }
                    return Err(e);
                }
            }
            (Type::Ip, CmpOp::In) => match rhs {
                Rhs::Set(items) => set_of(items, "IP addresses, ranges and CIDRs", |i| {
                    matches!(i, SetItem::Ip(_) | SetItem::IpRange(..) | SetItem::Cidr(..))
                })?,
                Rhs::List(_) => {}
                _ => return Err(mismatch("a set of IP addresses or a list")),
            },
            (Type::Ip, _) => {
                return Err(unsupported(
                    "strings and integers; IP addresses take eq, ne and in",
                ))
            }
            _ => return Err(unsupported("strings, integers and IP addresses")),
        }
        Ok(result)
    }

    fn call(&mut self, name: &str, args: &[Expr], span: Span) -> Result<Ty, RulesError> {
        // The parser only builds calls of known functions; a hand-built tree may not.
        let Some(function) = function(name) else {
            return Err(err(format!("unknown function {name}()"), span));
        };
        match (function.context, self.kind) {
            (FunctionContext::Unavailable, _) => {
                return Err(err(
                    format!("{name}() exists only in Magic Firewall rules, not in HTTP rules"),
                    span,
                ))
            }
            (FunctionContext::ValueOnly, ExpressionKind::Filter) => {
                return Err(err(
                    format!(
                        "{name}() is only allowed in rewrite and redirect (value) expressions, not in filter expressions"
                    ),
                    span,
                ))
            }
            _ => {}
        }
        let is_replace = matches!(name, "regex_replace" | "wildcard_replace");
        if is_replace {
            if self.replace_depth > 0 {
                return Err(err(
                    "regex_replace() and wildcard_replace() cannot be nested in one another",
                    span,
                ));
            }
            if let Some((other, _)) = self.replace_calls.iter().find(|(n, _)| *n == name) {
                return Err(err(
                    format!("{other}() can be used only once in an expression"),
                    span,
                ));
            }
            self.replace_calls.push((function.name, span));
            self.replace_depth += 1;
        }
        let mut tys = Vec::with_capacity(args.len());
        for (i, arg) in args.iter().enumerate() {
            let ty = self.expr(arg)?;
            if ty.each && i > 0 {
                return Err(err(
                    "`[*]` can only be used in the first argument of a function",
                    arg.span(),
                ));
            }
            tys.push(ty);
        }
        if is_replace {
            self.replace_depth -= 1;
        }
        let sig = Sig {
            name,
            signature: function.signature,
            args,
            tys: &tys,
            span,
        };
        let each = tys.first().is_some_and(|t| t.each);
        let ret = self.signature(&sig)?;
        if each && !matches!(name, "any" | "all") {
            return Ok(Ty::one(Type::Array(Box::new(ret))));
        }
        Ok(Ty::one(ret))
    }

    fn signature(&mut self, sig: &Sig<'_>) -> Result<Type, RulesError> {
        let n = sig.args.len();
        Ok(match sig.name {
            "any" | "all" => {
                sig.arity(1, 1)?;
                let ty = &sig.tys[0];
                let ok = (ty.each && ty.ty == Type::Bool)
                    || (!ty.each && ty.ty == Type::Array(Box::new(Type::Bool)));
                if !ok {
                    return Err(err(
                        format!(
                            "{}() takes a condition over an array's elements, such as {}(http.request.headers.names[*] == \"x\"); found {}",
                            sig.name,
                            sig.name,
                            a_type(ty)
                        ),
                        sig.args[0].span(),
                    ));
                }
                Type::Bool
            }
            "lower" | "upper" => {
                sig.arity(1, 1)?;
                sig.stringy(0)?;
                Type::String
            }
            "len" => {
                sig.arity(1, 1)?;
                if !(sig.tys[0].ty.is_stringy() || matches!(sig.tys[0].ty, Type::Array(_))) {
                    return Err(sig.wrong(0, "a String, Bytes or an Array"));
                }
                Type::Int
            }
            "concat" => {
                sig.arity(1, usize::MAX)?;
                if sig.tys.iter().all(|t| t.ty.is_stringy()) {
                    Type::String
                } else if let Type::Array(first) = &sig.tys[0].ty {
                    for i in 1..n {
                        if sig.tys[i].ty != Type::Array(first.clone()) {
                            return Err(sig.wrong(i, &format!("an {}", sig.tys[0].ty)));
                        }
                    }
                    sig.tys[0].ty.clone()
                } else {
                    let bad = sig.tys.iter().position(|t| !t.ty.is_stringy()).unwrap_or(0);
                    return Err(sig.wrong(bad, "a String or Bytes (or every argument an Array)"));
                }
            }
            "starts_with" | "ends_with" => {
                sig.arity(2, 2)?;
                sig.stringy(0)?;
                sig.not_literal(0)?;
                sig.stringy(1)?;
                Type::Bool
            }
            "url_decode" => {
                sig.arity(1, 2)?;
                sig.stringy(0)?;
                sig.not_literal(0)?;
                if n == 2 {
                    let options = sig.string_literal(1)?;
                    if !options.chars().all(|c| matches!(c, 'r' | 'u')) {
                        return Err(err(
                            format!("url_decode() options are `r` (recursive) and `u` (Unicode), found \"{}\"", shorten(&options)),
                            sig.args[1].span(),
                        ));
                    }
                }
                Type::String
            }
            "decode_base64" => {
                sig.arity(1, 1)?;
                sig.stringy(0)?;
                sig.not_literal(0)?;
                Type::String
            }
            "encode_base64" => {
                sig.arity(1, 2)?;
                sig.stringy(0)?;
                if n == 2 {
                    let flags = sig.string_literal(1)?;
                    if !flags.chars().all(|c| matches!(c, 'u' | 'p')) {
                        return Err(err(
                            format!("encode_base64() flags are `u` (URL-safe) and `p` (padding), found \"{}\"", shorten(&flags)),
                            sig.args[1].span(),
                        ));
                    }
                }
                Type::String
            }
            "sha256" => {
                sig.arity(1, 1)?;
                sig.stringy(0)?;
                Type::Bytes
            }
            "lookup_json_string" | "lookup_json_integer" => {
                sig.arity(2, usize::MAX)?;
                sig.stringy(0)?;
                for i in 1..n {
                    if !(sig.tys[i].ty.is_stringy() || sig.tys[i].ty == Type::Int) {
                        return Err(sig.wrong(i, "a String key or an Int index"));
                    }
                }
                if sig.name == "lookup_json_string" {
                    Type::String
                } else {
                    Type::Int
                }
            }
            "remove_bytes" => {
                sig.arity(2, 2)?;
                sig.stringy(0)?;
                sig.stringy(1)?;
                Type::Bytes
            }
            "remove_query_args" => {
                sig.arity(2, usize::MAX)?;
                let is_query_field = matches!(
                    &sig.args[0],
                    Expr::Value(Value::Field { name, path, .. })
                        if path.is_empty() && (name == "http.request.uri.query" || name == "raw.http.request.uri.query")
                );
                if !is_query_field {
                    return Err(err(
                        "the first argument of remove_query_args() must be the field http.request.uri.query or raw.http.request.uri.query",
                        sig.args[0].span(),
                    ));
                }
                for i in 1..n {
                    sig.string_literal(i)?;
                }
                Type::String
            }
            "split" => {
                sig.arity(3, 3)?;
                sig.stringy(0)?;
                if sig.string_literal(1)?.is_empty() {
                    return Err(err(
                        "the separator of split() cannot be empty",
                        sig.args[1].span(),
                    ));
                }
                sig.int_literal(2, 1, 128)?;
                Type::Array(Box::new(Type::String))
            }
            "join" => {
                sig.arity(2, 2)?;
                if !matches!(&sig.tys[0].ty, Type::Array(inner) if inner.is_stringy())
                    || sig.tys[0].each
                {
                    return Err(sig.wrong(0, "an Array<String>"));
                }
                sig.stringy(1)?;
                Type::String
            }
            "substring" => {
                sig.arity(2, 3)?;
                sig.stringy(0)?;
                for i in 1..n {
                    sig.int(i)?;
                }
                Type::String
            }
            "to_string" => {
                sig.arity(1, 1)?;
                if !matches!(sig.tys[0].ty, Type::Int | Type::Bool | Type::Ip) {
                    return Err(sig.wrong(0, "an Int, a Boolean or an IP address"));
                }
                Type::String
            }
            "uuidv4" => {
                sig.arity(1, 1)?;
                sig.stringy(0)?;
                Type::String
            }
            "regex_replace" => {
                sig.arity(3, 3)?;
                sig.stringy(0)?;
                let pattern = sig.string_literal(1)?;
                self.checked
                    .patterns
                    .add_replace(&pattern)
                    .map_err(|m| err(m, sig.args[1].span()))?;
                sig.stringy(2)?;
                Type::String
            }
            "wildcard_replace" => {
                sig.arity(3, 4)?;
                sig.stringy(0)?;
                sig.not_literal(0)?;
                let pattern = sig.string_literal(1)?;
                check_wildcard(&pattern).map_err(|m| err(m, sig.args[1].span()))?;
                sig.stringy(2)?;
                if n == 4 {
                    let flags = sig.string_literal(3)?;
                    if !flags.chars().all(|c| c == 's') {
                        return Err(err(
                            format!("the only wildcard_replace() flag is `s` (case-sensitive), found \"{}\"", shorten(&flags)),
                            sig.args[3].span(),
                        ));
                    }
                }
                Type::String
            }
            "cidr" => {
                sig.arity(3, 3)?;
                sig.ip(0)?;
                sig.int_literal(1, 1, 32)?;
                sig.int_literal(2, 1, 128)?;
                Type::Ip
            }
            "cidr6" => {
                sig.arity(2, 2)?;
                sig.ip(0)?;
                sig.int_literal(1, 1, 128)?;
                Type::Ip
            }
            "is_timed_hmac_valid_v0" => {
                sig.arity(4, 6)?;
                sig.string_literal(0)?;
                sig.stringy(1)?;
                sig.int_literal(2, 0, i64::MAX)?;
                sig.int(3)?;
                if n >= 5 {
                    sig.int_literal(4, 0, i64::MAX)?;
                }
                if n == 6 {
                    let flags = sig.string_literal(5)?;
                    if flags != "s" {
                        return Err(err(
                            format!("the only is_timed_hmac_valid_v0() flag is \"s\" (URL-safe Base64), found \"{}\"", shorten(&flags)),
                            sig.args[5].span(),
                        ));
                    }
                }
                Type::Bool
            }
            other => unreachable!("function {other} has no signature"),
        })
    }
}

/// A call being checked.
struct Sig<'a> {
    name: &'a str,
    signature: &'static str,
    args: &'a [Expr],
    tys: &'a [Ty],
    span: Span,
}

impl Sig<'_> {
    fn arity(&self, min: usize, max: usize) -> Result<(), RulesError> {
        let n = self.args.len();
        if n >= min && n <= max {
            return Ok(());
        }
        let expected = if min == max {
            format!("{min} argument{}", if min == 1 { "" } else { "s" })
        } else if max == usize::MAX {
            format!("at least {min} arguments")
        } else {
            format!("{min} to {max} arguments")
        };
        Err(err(
            format!("{}() takes {expected}, found {n}", self.name),
            self.span,
        )
        .with_help(format!("the signature is {}", self.signature)))
    }

    fn wrong(&self, i: usize, expected: &str) -> RulesError {
        err(
            format!(
                "argument {} of {}() must be {expected}, found {}",
                i + 1,
                self.name,
                a_type(&self.tys[i])
            ),
            self.args[i].span(),
        )
        .with_help(format!("the signature is {}", self.signature))
    }

    fn stringy(&self, i: usize) -> Result<(), RulesError> {
        if self.tys[i].ty.is_stringy() {
            Ok(())
        } else {
            Err(self.wrong(i, "a String"))
        }
    }

    fn int(&self, i: usize) -> Result<(), RulesError> {
        if self.tys[i].ty == Type::Int {
            Ok(())
        } else {
            Err(self.wrong(i, "an Int"))
        }
    }

    fn ip(&self, i: usize) -> Result<(), RulesError> {
        if self.tys[i].ty == Type::Ip {
            Ok(())
        } else {
            Err(self.wrong(i, "an IP address field"))
        }
    }

    fn not_literal(&self, i: usize) -> Result<(), RulesError> {
        if let Expr::Value(Value::Literal(..)) = &self.args[i] {
            return Err(err(
                format!(
                    "argument {} of {}() must be a field or a function result, not a literal",
                    i + 1,
                    self.name
                ),
                self.args[i].span(),
            ));
        }
        Ok(())
    }

    fn string_literal(&self, i: usize) -> Result<String, RulesError> {
        match &self.args[i] {
            Expr::Value(Value::Literal(Literal::String(s), _)) => Ok(s.clone()),
            other => Err(err(
                format!(
                    "argument {} of {}() must be a literal string",
                    i + 1,
                    self.name
                ),
                other.span(),
            )
            .with_help(format!("the signature is {}", self.signature))),
        }
    }

    fn int_literal(&self, i: usize, min: i64, max: i64) -> Result<i64, RulesError> {
        match &self.args[i] {
            Expr::Value(Value::Literal(Literal::Int(v), span)) => {
                if *v < min || *v > max {
                    return Err(err(
                        format!(
                            "argument {} of {}() must be between {min} and {max}, found {v}",
                            i + 1,
                            self.name
                        ),
                        *span,
                    ));
                }
                Ok(*v)
            }
            other => Err(err(
                format!(
                    "argument {} of {}() must be a literal integer",
                    i + 1,
                    self.name
                ),
                other.span(),
            )
            .with_help(format!("the signature is {}", self.signature))),
        }
    }
}

fn a_type(ty: &Ty) -> String {
    let text = ty.describe();
    let article = match text.chars().next() {
        Some('A' | 'I') => "an",
        _ => "a",
    };
    format!("{article} {text}")
}

fn describe_rhs(rhs: &Rhs) -> &'static str {
    match rhs {
        Rhs::String(_) => "a string",
        Rhs::Int(_) => "an integer",
        Rhs::Ip(_) => "an IP address",
        Rhs::Bool(_) => "a Boolean",
        Rhs::Regex(_) => "a regular expression",
        Rhs::Set(_) => "a set",
        Rhs::List(_) => "a list",
    }
}

fn compare_hint(expr: &Expr, ty: &Ty) -> Option<String> {
    let text = shorten(&expr.to_string());
    match ty.ty {
        Type::String | Type::Bytes if !ty.each => {
            Some(format!("compare it with a value: {text} eq \"...\""))
        }
        Type::Int if !ty.each => Some(format!("compare it with a value: {text} eq 1")),
        _ => None,
    }
}

fn set_of(
    items: &[Spanned<SetItem>],
    what: &str,
    allowed: impl Fn(&SetItem) -> bool,
) -> Result<(), RulesError> {
    for item in items {
        if !allowed(&item.value) {
            let found = match &item.value {
                SetItem::String(_) => "a string",
                SetItem::Int(_) => "an integer",
                SetItem::IntRange(..) => "an integer range",
                SetItem::Ip(_) => "an IP address",
                SetItem::IpRange(..) => "an IP range",
                SetItem::Cidr(..) => "a CIDR",
            };
            return Err(err(
                format!("this set must hold only {what}, found {found}"),
                item.span,
            ));
        }
    }
    Ok(())
}

/// A value as error messages name it (shortened), formatted only when displayed.
struct Described<'a>(&'a Value);

impl std::fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&shorten(&self.0.to_string()))
    }
}

fn managed_list_error(list: &ListRef, what: &str, span: Span) -> RulesError {
    err(
        format!(
            "${} is a managed IP list: it can only be tested with an IP field such as ip.src, not {what}",
            list.name()
        ),
        span,
    )
}

fn unknown_field(name: &str, span: Span) -> RulesError {
    let mut e = err(format!("unknown field `{name}`"), span);
    if function(name).is_some() {
        return e.with_help(format!("`{name}` is a function: call it, {name}(...)"));
    }
    if let Some(s) = suggest(name, FIELDS.iter().map(|(n, _)| *n)) {
        e = e.with_help(format!("did you mean `{s}`?"));
    } else if let Some(s) = suggest(name, FUNCTIONS.iter().map(|f| f.name)) {
        e = e.with_help(format!("did you mean the function `{s}(...)`?"));
    }
    e
}
