//! The parser: precedence climbing over the logical operators (`not` > `and` > `xor` > `or`),
//! recursive descent below them. It builds the syntax tree only; types are checked by `check`.
//!
//! Recursion happens only at `(`, `not` and function calls, and each of those counts against the
//! nesting limit, so no input can overflow the stack.

use std::net::IpAddr;

use super::ast::{
    CmpOp, Comparison, Expr, IndexOp, ListRef, Literal, Rhs, SetItem, Span, Spanned, Value,
};
use super::error::{suggest, RulesError};
use super::fields::{field_type, FIELDS};
use super::functions::{function, FUNCTIONS};
use super::lexer::{
    decode_basic, decode_regex, describe, raw_string_starts, shorten, skip_ws, token_at,
    value_word_at, Tok, Token,
};
use super::MANAGED_LISTS;

/// English comparison operators (and `strict`, which starts `strict wildcard`).
const OPERATOR_WORDS: &[&str] = &[
    "eq", "ne", "lt", "le", "gt", "ge", "contains", "matches", "wildcard", "strict", "in",
];

/// Words that can never start an operand.
pub(crate) const RESERVED: &[&str] = &[
    "and", "or", "xor", "eq", "ne", "lt", "le", "gt", "ge", "contains", "matches", "wildcard", "in",
];

pub(crate) struct Parser<'s> {
    src: &'s str,
    pos: usize,
    depth: usize,
    max_depth: usize,
    cache: Option<(usize, Token)>,
    /// What was just read before an operand is expected (`and`, `not`, `(`), for messages.
    after: Option<After>,
}

/// What was just read before an operand, kept as spans and described only when an error needs it.
#[derive(Clone, Copy)]
enum After {
    /// A token (`and`, `not`, `(`), by span.
    Token(usize, usize),
    /// The opening parenthesis of a call to the function whose name has this span.
    CallOpen(usize, usize),
    /// A comma between the arguments of the function whose name has this span.
    Comma(usize, usize),
}

/// A logical operator between operands.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Logic {
    Or,
    Xor,
    And,
}

/// The logical operator a token is (`or`, `||`, ...).
pub(crate) fn logic_of(token: &Token, src: &str) -> Option<Logic> {
    match token.kind {
        Tok::OrOr => Some(Logic::Or),
        Tok::XorXor => Some(Logic::Xor),
        Tok::AndAnd => Some(Logic::And),
        Tok::Ident => match token.text(src) {
            "or" => Some(Logic::Or),
            "xor" => Some(Logic::Xor),
            "and" => Some(Logic::And),
            _ => None,
        },
        _ => None,
    }
}

/// The comparison operator a token starts (`strict` starts `strict wildcard`).
pub(crate) fn comparison_operator(token: &Token, src: &str) -> Option<CmpOp> {
    Some(match token.kind {
        Tok::EqEq => CmpOp::Eq,
        Tok::NotEq => CmpOp::Ne,
        Tok::Lt => CmpOp::Lt,
        Tok::Le => CmpOp::Le,
        Tok::Gt => CmpOp::Gt,
        Tok::Ge => CmpOp::Ge,
        Tok::Tilde => CmpOp::Matches,
        Tok::Ident => match token.text(src) {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "lt" => CmpOp::Lt,
            "le" => CmpOp::Le,
            "gt" => CmpOp::Gt,
            "ge" => CmpOp::Ge,
            "contains" => CmpOp::Contains,
            "matches" => CmpOp::Matches,
            "wildcard" => CmpOp::Wildcard,
            "strict" => CmpOp::StrictWildcard,
            "in" => CmpOp::In,
            _ => return None,
        },
        _ => return None,
    })
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str, max_depth: usize) -> Self {
        Parser {
            src,
            pos: 0,
            depth: 0,
            max_depth,
            cache: None,
            after: None,
        }
    }

    /// Parses the whole text as one expression.
    pub(crate) fn parse(mut self) -> Result<Expr, RulesError> {
        let expr = self.parse_logic()?;
        let token = self.peek()?;
        match token.kind {
            Tok::Eof => Ok(expr),
            Tok::RParen => Err(RulesError::new(
                "unmatched `)`: there is no `(` for it to close",
                token.start,
                token.end,
            )),
            _ => Err(RulesError::new(
                format!(
                    "expected `and`, `or` or `xor` between conditions, found {}",
                    describe(&token, self.src)
                ),
                token.start,
                token.end,
            )
            .with_help_opt(self.operator_hint(&token))),
        }
    }

    fn peek(&mut self) -> Result<Token, RulesError> {
        if let Some((pos, token)) = &self.cache {
            if *pos == self.pos {
                return Ok(*token);
            }
        }
        let token = token_at(self.src, self.pos)?;
        self.cache = Some((self.pos, token));
        Ok(token)
    }

    fn bump(&mut self, token: &Token) {
        self.pos = token.end;
    }

    fn text(&self, token: &Token) -> &'s str {
        &self.src[token.start..token.end]
    }

    fn enter(&mut self, token: &Token) -> Result<(), RulesError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(RulesError::new(
                format!(
                    "the expression nests more than {} levels deep (parentheses, `not` and function calls)",
                    self.max_depth
                ),
                token.start,
                token.end,
            )
            .with_help("flatten it: `a and (b and c)` is the same as `a and b and c`"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn logic_of(&self, token: &Token) -> Option<Logic> {
        logic_of(token, self.src)
    }

    /// A sequence of operands joined by `and`, `xor` and `or` at one nesting level, read in a loop
    /// and grouped by precedence without recursion, so each level of parentheses costs few stack
    /// frames.
    fn parse_logic(&mut self) -> Result<Expr, RulesError> {
        let first = self.parse_unary()?;
        // A lone operand (a whole simple expression, most groups) needs no operand vectors.
        let token = self.peek()?;
        if self.logic_of(&token).is_none() {
            return Ok(first);
        }
        let mut groups = Groups::default();
        let mut current = first;
        loop {
            let token = self.peek()?;
            let Some(op) = self.logic_of(&token) else {
                break;
            };
            self.bump(&token);
            self.set_after(&token);
            groups.push(current, op);
            current = self.parse_unary()?;
        }
        Ok(groups.finish(current))
    }

    fn set_after(&mut self, token: &Token) {
        self.after = Some(After::Token(token.start, token.end));
    }

    /// `not`/`!` prefixes (read in a loop, each counting one nesting level) and a comparison.
    fn parse_unary(&mut self) -> Result<Expr, RulesError> {
        let mut nots = Vec::new();
        loop {
            let token = self.peek()?;
            let is_not =
                token.kind == Tok::Bang || (token.kind == Tok::Ident && self.text(&token) == "not");
            if !is_not {
                break;
            }
            self.enter(&token)?;
            self.bump(&token);
            self.set_after(&token);
            nots.push(Span::new(token.start, token.end));
        }
        let mut expr = self.parse_comparison()?;
        while let Some(span) = nots.pop() {
            self.leave();
            expr = Expr::Not(Box::new(expr), span);
        }
        Ok(expr)
    }

    fn parse_comparison(&mut self) -> Result<Expr, RulesError> {
        let token = self.peek()?;
        if token.kind == Tok::LParen {
            return self.parse_group(token);
        }
        let lhs = self.parse_value()?;
        self.after = None;
        self.parse_comparison_rest(lhs)
    }

    fn parse_group(&mut self, open: Token) -> Result<Expr, RulesError> {
        self.enter(&open)?;
        self.bump(&open);
        self.after = Some(After::Token(open.start, open.end));
        let inner = self.parse_logic()?;
        let close = self.peek()?;
        if close.kind != Tok::RParen {
            return Err(self.unclosed_group(&open, &close));
        }
        self.bump(&close);
        self.leave();
        let next = self.peek()?;
        if self.comparison_operator(&next).is_some() {
            return Err(RulesError::new(
                "a parenthesized condition cannot be compared: the left of a comparison is a field or a function call",
                next.start,
                next.end,
            ));
        }
        Ok(inner)
    }

    #[cold]
    #[inline(never)]
    fn unclosed_group(&self, open: &Token, close: &Token) -> RulesError {
        RulesError::new(
            format!(
                "expected `)` to close the `(` at byte {}, found {}",
                open.start,
                describe(close, self.src)
            ),
            close.start,
            close.end,
        )
        .with_help_opt(self.operator_hint(close))
    }

    fn parse_comparison_rest(&mut self, lhs: Value) -> Result<Expr, RulesError> {
        let token = self.peek()?;
        let Some(op) = self.comparison_operator(&token) else {
            if self.ends_operand(&token) {
                return Ok(Expr::Value(lhs));
            }
            return Err(self.expected_operator(&lhs, &token));
        };
        let mut op_end = token.end;
        self.bump(&token);
        if op == CmpOp::StrictWildcard {
            let second = self.peek()?;
            if second.kind != Tok::Ident || self.text(&second) != "wildcard" {
                return Err(RulesError::new(
                    format!(
                        "expected `wildcard` after `strict`, found {}",
                        describe(&second, self.src)
                    ),
                    second.start,
                    second.end,
                ));
            }
            op_end = second.end;
            self.bump(&second);
        }
        let op_span = Span::new(token.start, op_end);
        if let Value::Literal(..) = lhs {
            return Err(RulesError::new(
                "the left-hand side of a comparison must be a field or a function call, not a literal",
                lhs.span().start,
                lhs.span().end,
            ));
        }
        let rhs = self.parse_rhs(op, op_span, &lhs)?;
        Ok(Expr::Compare(Box::new(Comparison {
            lhs,
            op,
            op_span,
            rhs,
        })))
    }

    fn comparison_operator(&self, token: &Token) -> Option<CmpOp> {
        comparison_operator(token, self.src)
    }

    /// Tokens that may follow a complete operand.
    fn ends_operand(&self, token: &Token) -> bool {
        matches!(token.kind, Tok::Eof | Tok::RParen | Tok::Comma) || self.logic_of(token).is_some()
    }

    fn expected_operator(&self, lhs: &Value, token: &Token) -> RulesError {
        let what = match lhs {
            Value::Field { .. } => format!("field {}", shorten(&lhs.to_string())),
            Value::Call { name, .. } => format!("{name}(...)"),
            Value::Literal(literal, _) => format!("the literal {}", shorten(&literal.to_string())),
        };
        RulesError::new(
            format!(
                "expected a comparison operator after {what}, found {}",
                describe(token, self.src)
            ),
            token.start,
            token.end,
        )
        .with_help_opt(self.operator_hint(token).or_else(|| match token.kind {
            Tok::Quoted { .. } | Tok::Raw { .. } | Tok::Int(_) => {
                Some("put an operator such as `eq` before the value".to_owned())
            }
            _ => None,
        }))
    }

    /// A hint when a word stands where an operator should: a misspelt operator, an uppercase
    /// one, or a function used as an operator (`ends_with`).
    fn operator_hint(&self, token: &Token) -> Option<String> {
        if token.kind != Tok::Ident {
            return None;
        }
        let word = self.text(token);
        if function(word).is_some() {
            return Some(format!(
                "`{word}` is a function, not an operator: write {word}(<field>, <value>)"
            ));
        }
        let lower = word.to_ascii_lowercase();
        if OPERATOR_WORDS.contains(&lower.as_str())
            || ["and", "or", "xor", "not"].contains(&lower.as_str())
        {
            return Some(format!("operators are lowercase: write `{lower}`"));
        }
        let candidates = OPERATOR_WORDS
            .iter()
            .copied()
            .chain(["and", "or", "xor"])
            .filter(|c| *c != "strict");
        suggest(word, candidates).map(|s| format!("did you mean `{s}`?"))
    }

    fn expected_operand(&self, token: &Token) -> RulesError {
        let found = describe(token, self.src);
        let after = self.after.map(|after| match after {
            After::Token(start, end) => format!("`{}`", &self.src[start..end]),
            After::CallOpen(start, end) => format!("`{}(`", &self.src[start..end]),
            After::Comma(start, end) => format!("`,` in {}()", &self.src[start..end]),
        });
        let message = match after {
            Some(after) => format!("expected a condition after {after}, found {found}"),
            None => format!("expected a field, a function call, `not` or `(`, found {found}"),
        };
        RulesError::new(message, token.start, token.end)
    }

    /// A field, a function call or a literal, with its indexes.
    fn parse_value(&mut self) -> Result<Value, RulesError> {
        let token = self.peek()?;
        match token.kind {
            Tok::Ident => {
                let name = self.text(&token);
                match name {
                    "true" | "false" => {
                        self.bump(&token);
                        return Ok(Value::Literal(
                            Literal::Bool(name == "true"),
                            Span::new(token.start, token.end),
                        ));
                    }
                    _ if RESERVED.contains(&name) => return Err(self.expected_operand(&token)),
                    _ => {}
                }
                let after = skip_ws(self.src, token.end);
                if self.src.as_bytes().get(after) == Some(&b'(') {
                    return self.parse_call(&token);
                }
                self.bump(&token);
                let path = self.parse_path()?;
                Ok(Value::Field {
                    name: name.to_owned(),
                    path,
                    span: Span::new(token.start, token.end),
                })
            }
            Tok::Int(value) => {
                self.bump(&token);
                Ok(Value::Literal(
                    Literal::Int(value),
                    Span::new(token.start, token.end),
                ))
            }
            Tok::Quoted { .. } | Tok::Raw { .. } => {
                self.bump(&token);
                let text = self.string_value(&token)?;
                Ok(Value::Literal(
                    Literal::String(text),
                    Span::new(token.start, token.end),
                ))
            }
            Tok::List => Err(RulesError::new(
                "a list can only follow `in` (`ip.src in $name`)",
                token.start,
                token.end,
            )),
            _ => Err(self.expected_operand(&token)),
        }
    }

    fn string_value(&self, token: &Token) -> Result<String, RulesError> {
        match token.kind {
            Tok::Quoted {
                content_start,
                content_end,
            } => decode_basic(self.src, content_start, content_end),
            Tok::Raw {
                content_start,
                content_end,
            } => Ok(self.src[content_start..content_end].to_owned()),
            _ => unreachable!("string_value on a non-string token"),
        }
    }

    fn parse_call(&mut self, name_token: &Token) -> Result<Value, RulesError> {
        let name = self.text(name_token);
        if function(name).is_none() {
            let mut err = RulesError::new(
                format!("unknown function `{name}`"),
                name_token.start,
                name_token.end,
            );
            if let Some(s) = suggest(name, FUNCTIONS.iter().map(|f| f.name)) {
                err = err.with_help(format!("did you mean `{s}`?"));
            }
            return Err(err);
        }
        // A call costs more stack than a parenthesis (here and in checking and evaluation), so it
        // counts two levels.
        self.enter(name_token)?;
        self.enter(name_token)?;
        self.bump(name_token);
        let open = self.peek()?;
        self.bump(&open);
        let mut args = Vec::new();
        let close = loop {
            let token = self.peek()?;
            if token.kind == Tok::RParen && args.is_empty() {
                self.bump(&token);
                break token;
            }
            self.after = Some(After::CallOpen(name_token.start, name_token.end));
            args.push(self.parse_logic()?);
            let token = self.peek()?;
            match token.kind {
                Tok::Comma => {
                    self.bump(&token);
                    self.after = Some(After::Comma(name_token.start, name_token.end));
                }
                Tok::RParen => {
                    self.bump(&token);
                    break token;
                }
                _ => {
                    return Err(RulesError::new(
                        format!(
                            "expected `,` or `)` in the call to {name}(), found {}",
                            describe(&token, self.src)
                        ),
                        token.start,
                        token.end,
                    )
                    .with_help_opt(self.operator_hint(&token)))
                }
            }
        };
        self.leave();
        self.leave();
        let path = self.parse_path()?;
        Ok(Value::Call {
            name: name.to_owned(),
            args,
            path,
            span: Span::new(name_token.start, close.end),
        })
    }

    fn parse_path(&mut self) -> Result<Vec<Spanned<IndexOp>>, RulesError> {
        let mut path = Vec::new();
        loop {
            let open = self.peek()?;
            if open.kind != Tok::LBracket {
                return Ok(path);
            }
            self.bump(&open);
            let inner = self.peek()?;
            let index = match inner.kind {
                Tok::Star => IndexOp::Each,
                Tok::Int(i) => match u32::try_from(i) {
                    Ok(i) => IndexOp::Element(i),
                    Err(_) => {
                        return Err(RulesError::new(
                            format!("array index {i} is out of range: indexes start at 0"),
                            inner.start,
                            inner.end,
                        ))
                    }
                },
                Tok::Quoted { .. } | Tok::Raw { .. } => IndexOp::Key(self.string_value(&inner)?),
                _ => {
                    return Err(RulesError::new(
                        format!(
                            "expected `*`, an index or a \"key\" inside `[...]`, found {}",
                            describe(&inner, self.src)
                        ),
                        inner.start,
                        inner.end,
                    ))
                }
            };
            self.bump(&inner);
            let close = self.peek()?;
            if close.kind != Tok::RBracket {
                return Err(RulesError::new(
                    format!("expected `]`, found {}", describe(&close, self.src)),
                    close.start,
                    close.end,
                ));
            }
            self.bump(&close);
            path.push(Spanned {
                value: index,
                span: Span::new(open.start, close.end),
            });
        }
    }

    fn next_is_string(&self) -> bool {
        let at = skip_ws(self.src, self.pos);
        let bytes = self.src.as_bytes();
        bytes.get(at) == Some(&b'"') || raw_string_starts(bytes, at)
    }

    fn parse_rhs(
        &mut self,
        op: CmpOp,
        op_span: Span,
        lhs: &Value,
    ) -> Result<Spanned<Rhs>, RulesError> {
        let op_name = &self.src[op_span.start..op_span.end];
        let spanned = |value, token: &Token| Spanned {
            value,
            span: Span::new(token.start, token.end),
        };
        match op {
            CmpOp::In => {
                let at = skip_ws(self.src, self.pos);
                if matches!(self.src.as_bytes().get(at), Some(b'{' | b'$')) {
                    let token = self.peek()?;
                    if token.kind == Tok::LBrace {
                        return self.parse_set(&token);
                    }
                    self.bump(&token);
                    let list = self.list_ref(&token)?;
                    return Ok(spanned(Rhs::List(list), &token));
                }
                let (start, end) = value_word_at(self.src, self.pos);
                if end > start {
                    let word = &self.src[start..end];
                    return Err(RulesError::new(
                        format!(
                            "expected a set `{{...}}` or a list `$name` after `in`, found \"{}\"",
                            shorten(word)
                        ),
                        start,
                        end,
                    )
                    .with_help(format!("put the values in braces: {{{}}}", shorten(word))));
                }
                let token = self.peek()?;
                Err(RulesError::new(
                    format!(
                        "expected a set `{{...}}` or a list `$name` after `in`, found {}",
                        describe(&token, self.src)
                    ),
                    token.start,
                    token.end,
                ))
            }
            CmpOp::Matches => {
                if !self.next_is_string() {
                    return Err(self.expected_string(op_name, "a regular expression string"));
                }
                let token = self.peek()?;
                self.bump(&token);
                let pattern = match token.kind {
                    Tok::Quoted {
                        content_start,
                        content_end,
                    } => decode_regex(self.src, content_start, content_end),
                    _ => self.string_value(&token)?,
                };
                Ok(spanned(Rhs::Regex(pattern), &token))
            }
            CmpOp::Contains | CmpOp::Wildcard | CmpOp::StrictWildcard => {
                if !self.next_is_string() {
                    return Err(self.expected_string(op_name, "a string"));
                }
                let token = self.peek()?;
                self.bump(&token);
                Ok(spanned(Rhs::String(self.string_value(&token)?), &token))
            }
            CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                if self.next_is_string() {
                    let token = self.peek()?;
                    self.bump(&token);
                    return Ok(spanned(Rhs::String(self.string_value(&token)?), &token));
                }
                let (start, end) = value_word_at(self.src, self.pos);
                if start == end {
                    let token = self.peek()?;
                    let mut err = RulesError::new(
                        format!(
                            "expected a value after `{op_name}`, found {}",
                            describe(&token, self.src)
                        ),
                        token.start,
                        token.end,
                    );
                    if matches!(token.kind, Tok::LBrace | Tok::List) {
                        err = err.with_help(format!("sets and lists need `in`, not `{op_name}`"));
                    }
                    return Err(err);
                }
                let word = parse_word(self.src, start, end)?;
                self.pos = end;
                let value = match word {
                    Word::Int(i) => Rhs::Int(i),
                    Word::Ip(ip) => Rhs::Ip(ip),
                    Word::Bool(b) => Rhs::Bool(b),
                    Word::Cidr(..) => {
                        let field = lhs.to_string();
                        return Err(RulesError::new(
                            format!("a CIDR range cannot be compared with `{op_name}`"),
                            start,
                            end,
                        )
                        .with_help(format!(
                            "test membership with `in`: {} in {{{}}}",
                            shorten(&field),
                            &self.src[start..end]
                        )));
                    }
                    Word::IntRange(..) | Word::IpRange(..) => {
                        return Err(RulesError::new(
                            format!("a range cannot be compared with `{op_name}`: ranges go in a set, `in {{a..b}}`"),
                            start,
                            end,
                        ))
                    }
                };
                Ok(Spanned {
                    value,
                    span: Span::new(start, end),
                })
            }
        }
    }

    fn expected_string(&mut self, op_name: &str, what: &str) -> RulesError {
        let (start, end) = value_word_at(self.src, self.pos);
        if end > start {
            let word = &self.src[start..end];
            return RulesError::new(
                format!(
                    "expected {what} after `{op_name}`, found \"{}\"",
                    shorten(word)
                ),
                start,
                end,
            )
            .with_help(format!("strings are quoted: \"{}\"", shorten(word)));
        }
        match self.peek() {
            Ok(token) => RulesError::new(
                format!(
                    "expected {what} after `{op_name}`, found {}",
                    describe(&token, self.src)
                ),
                token.start,
                token.end,
            ),
            Err(err) => err,
        }
    }

    fn list_ref(&self, token: &Token) -> Result<ListRef, RulesError> {
        let name = &self.src[token.start + 1..token.end];
        if let Some(managed) = name.strip_prefix("cf.") {
            if MANAGED_LISTS.contains(&managed) {
                return Ok(ListRef::Managed(managed.to_owned()));
            }
            let mut err = RulesError::new(
                format!(
                    "unknown managed list `${name}`; Cloudflare's managed lists are {}",
                    MANAGED_LISTS
                        .iter()
                        .map(|l| format!("$cf.{l}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                token.start,
                token.end,
            );
            if let Some(s) = suggest(managed, MANAGED_LISTS.iter().copied()) {
                err = err.with_help(format!("did you mean `$cf.{s}`?"));
            }
            return Err(err);
        }
        let valid = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            let fixed: String = name
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            return Err(RulesError::new(
                format!("invalid list name `${name}`: list names use only lowercase letters, digits and `_`"),
                token.start,
                token.end,
            )
            .with_help(format!("did you mean `${fixed}`?")));
        }
        Ok(ListRef::Custom(name.to_owned()))
    }

    fn parse_set(&mut self, open: &Token) -> Result<Spanned<Rhs>, RulesError> {
        self.bump(open);
        let mut items = Vec::new();
        loop {
            let at = skip_ws(self.src, self.pos);
            let bytes = self.src.as_bytes();
            match bytes.get(at) {
                None => {
                    return Err(RulesError::new(
                        "unterminated set: expected `}`",
                        open.start,
                        self.src.len(),
                    ))
                }
                Some(b'}') => {
                    self.pos = at + 1;
                    if items.is_empty() {
                        return Err(RulesError::new("empty set `{}`", open.start, at + 1)
                            .with_help("a set needs at least one value"));
                    }
                    return Ok(Spanned {
                        value: Rhs::Set(items),
                        span: Span::new(open.start, at + 1),
                    });
                }
                Some(b',') => {
                    return Err(RulesError::new(
                        "set elements are separated by spaces, not commas",
                        at,
                        at + 1,
                    )
                    .with_help("write {\"a\" \"b\"}"))
                }
                _ => {}
            }
            if self.next_is_string() {
                let token = self.peek()?;
                self.bump(&token);
                let text = self.string_value(&token)?;
                items.push(Spanned {
                    value: SetItem::String(text),
                    span: Span::new(token.start, token.end),
                });
                continue;
            }
            let (start, end) = value_word_at(self.src, self.pos);
            if start == end {
                let token = self.peek()?;
                return Err(RulesError::new(
                    format!(
                        "expected a value or `}}` in the set, found {}",
                        describe(&token, self.src)
                    ),
                    token.start,
                    token.end,
                ));
            }
            let item = match parse_word(self.src, start, end)? {
                Word::Int(i) => SetItem::Int(i),
                Word::IntRange(a, b) => SetItem::IntRange(a, b),
                Word::Ip(ip) => SetItem::Ip(ip),
                Word::IpRange(a, b) => SetItem::IpRange(a, b),
                Word::Cidr(ip, len) => SetItem::Cidr(ip, len),
                Word::Bool(_) => {
                    return Err(RulesError::new("a set cannot hold Booleans", start, end))
                }
            };
            self.pos = end;
            items.push(Spanned {
                value: item,
                span: Span::new(start, end),
            });
        }
    }
}

/// The open groups of `a op b op c ...` while it is read left to right: `and` binds tighter than
/// `xor`, which binds tighter than `or`. An operand joins the `and` group; `xor` closes the `and`
/// group into the `xor` group, `or` closes both into the `or` group. Operands that already are of
/// a group's operator (from parentheses) are flattened into it, so `a and (b and c)` is one
/// `And` of three. Each group's vector is the tree's own, so grouping costs no copies.
#[derive(Default)]
struct Groups {
    and: Vec<Expr>,
    xor: Vec<Expr>,
    or: Vec<Expr>,
}

impl Groups {
    /// `operand` followed by `op`.
    fn push(&mut self, operand: Expr, op: Logic) {
        match op {
            Logic::And => add(&mut self.and, Logic::And, operand),
            Logic::Xor => {
                let and = close(&mut self.and, Logic::And, operand);
                add(&mut self.xor, Logic::Xor, and);
            }
            Logic::Or => {
                let and = close(&mut self.and, Logic::And, operand);
                let xor = close(&mut self.xor, Logic::Xor, and);
                add(&mut self.or, Logic::Or, xor);
            }
        }
    }

    /// The whole sequence, `last` being its last operand.
    fn finish(mut self, last: Expr) -> Expr {
        let and = close(&mut self.and, Logic::And, last);
        let xor = close(&mut self.xor, Logic::Xor, and);
        close(&mut self.or, Logic::Or, xor)
    }
}

/// Adds an operand to a group of `level`, flattening one of the same operator.
fn add(group: &mut Vec<Expr>, level: Logic, operand: Expr) {
    if group.capacity() == 0 {
        group.reserve(4);
    }
    match (level, operand) {
        (Logic::Or, Expr::Or(inner))
        | (Logic::Xor, Expr::Xor(inner))
        | (Logic::And, Expr::And(inner)) => group.extend(inner),
        (_, operand) => group.push(operand),
    }
}

/// Closes a group with its last operand: the operand alone when the group is empty (a group of
/// one is not flattened, as it stands for itself).
fn close(group: &mut Vec<Expr>, level: Logic, last: Expr) -> Expr {
    if group.is_empty() {
        return last;
    }
    add(group, level, last);
    let items = std::mem::take(group);
    match level {
        Logic::Or => Expr::Or(items),
        Logic::Xor => Expr::Xor(items),
        Logic::And => Expr::And(items),
    }
}

/// A bare literal after an operator or in a set.
pub(crate) enum Word {
    Int(i64),
    IntRange(i64, i64),
    Ip(IpAddr),
    IpRange(IpAddr, IpAddr),
    Cidr(IpAddr, u8),
    Bool(bool),
}

fn parse_int(text: &str) -> Option<Result<i64, ()>> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse::<i64>().map_err(|_| ()))
}

pub(crate) fn parse_word(src: &str, start: usize, end: usize) -> Result<Word, RulesError> {
    let text = &src[start..end];
    let err = |message: String| RulesError::new(message, start, end);
    let int = |part: &str| -> Result<Option<i64>, RulesError> {
        match parse_int(part) {
            Some(Ok(i)) => Ok(Some(i)),
            Some(Err(())) => Err(err(format!(
                "integer {} does not fit in 64 bits",
                shorten(part)
            ))),
            None => Ok(None),
        }
    };
    // Plain byte scans: words are short, and a substring search would cost more to set up.
    let bytes = text.as_bytes();
    let range = bytes
        .windows(2)
        .position(|w| w == b"..")
        .map(|at| (&text[..at], &text[at + 2..]));
    let cidr = bytes
        .iter()
        .position(|b| *b == b'/')
        .map(|at| (&text[..at], &text[at + 1..]));
    if let Some((a, b)) = range {
        if let (Some(x), Some(y)) = (int(a)?, int(b)?) {
            if x > y {
                return Err(err(format!("range {text} starts after it ends")));
            }
            return Ok(Word::IntRange(x, y));
        }
        if let (Ok(x), Ok(y)) = (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
            if x.is_ipv4() != y.is_ipv4() {
                return Err(err(format!("range {text} mixes IPv4 and IPv6")));
            }
            if x > y {
                return Err(err(format!("range {text} starts after it ends")));
            }
            return Ok(Word::IpRange(x, y));
        }
        return Err(err(format!(
            "`{}` is not a valid range: write `1..100` or `192.0.2.1..192.0.2.9`",
            shorten(text)
        )));
    }
    if let Some((address, prefix)) = cidr {
        let Ok(ip) = address.parse::<IpAddr>() else {
            return Err(err(format!(
                "`{}` is not a valid IP address in a CIDR",
                shorten(address)
            )));
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        return match prefix.parse::<u8>() {
            Ok(len) if len <= max => Ok(Word::Cidr(ip, len)),
            _ => Err(err(format!(
                "CIDR prefix length `/{}` is out of range for {} (0–{max})",
                shorten(prefix),
                if ip.is_ipv4() { "IPv4" } else { "IPv6" }
            ))),
        };
    }
    if let Some(i) = int(text)? {
        return Ok(Word::Int(i));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(Word::Ip(ip));
    }
    match text {
        "true" => return Ok(Word::Bool(true)),
        "false" => return Ok(Word::Bool(false)),
        _ => {}
    }
    if field_type(text).is_some() {
        return Err(err(format!(
            "the right-hand side of a comparison must be a literal value, but `{text}` is a field"
        ))
        .with_help("Cloudflare compares a field only with literal values"));
    }
    if text
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'-')
    {
        return Err(err(format!(
            "expected a value, found the bare word \"{}\"",
            shorten(text)
        ))
        .with_help(format!("strings are quoted: \"{}\"", shorten(text))));
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(err(format!(
            "`{}` is not a valid IP address",
            shorten(text)
        )));
    }
    let near_field = suggest(text, FIELDS.iter().map(|(name, _)| *name));
    Err(err(format!(
        "`{}` is not a valid integer, IP address, CIDR or range",
        shorten(text)
    ))
    .with_help_opt(
        near_field.map(|_| "Cloudflare compares a field only with literal values".to_owned()),
    ))
}
