//! The direct path: a filter of the common shapes compiled straight from its text, in one pass.
//!
//! Most rules are comparisons of plain fields with literals and sets, joined by `and`, `or`,
//! `xor` and `not`. For those, [`compile`] reads the text once, checks types as it goes and
//! builds the compiled [`Node`]s with the same leaf constructors [`Node::compile`] uses, without
//! building the syntax tree: [`Filter`](super::Filter) builds that from the text only when asked
//! for it (printing, introspection, analysis). Evaluation, the common use of a parsed filter,
//! never needs it.
//!
//! Anything else (function calls, indexes, lists, value expressions) and anything invalid gives
//! `None`: the full path (parser, checker, [`Node::compile`]) then decides, and explains errors.
//! So this path only has to be right about what it accepts: it accepts only what the full path
//! accepts, and builds what the full path would build from it. The tests hold it to that on the
//! corpus and on generated expressions.

use super::ast::{CmpOp, SetItem};
use super::check::check_wildcard;
use super::compiled::{slot, Node, Slot};
use super::fields::FieldType;
use super::lexer::{
    decode_basic, decode_regex, raw_string_starts, skip_ws, token_at, value_word_at, Tok, Token,
};
use super::parser::{comparison_operator, logic_of, parse_word, Groups, Word, RESERVED};
use super::pattern::Patterns;

/// Compiles a filter of the common shapes; `None` when the full path must decide. `text` has
/// passed the preflight checks (length, NUL, empty).
pub(crate) fn compile(text: &str, max_depth: usize) -> Option<(Node, Patterns)> {
    let mut direct = Direct {
        src: text,
        pos: 0,
        depth: 0,
        max_depth,
        cache: None,
        patterns: Patterns::default(),
    };
    let node = direct.logic()?;
    if direct.peek()?.kind != Tok::Eof {
        return None;
    }
    Some((node, direct.patterns))
}

struct Direct<'s> {
    src: &'s str,
    pos: usize,
    /// Parentheses and `not`s open, counted as the parser counts them.
    depth: usize,
    max_depth: usize,
    /// The token at a position, so that looking at the next token twice lexes it once.
    cache: Option<(usize, Token)>,
    patterns: Patterns,
}

impl<'s> Direct<'s> {
    fn peek(&mut self) -> Option<Token> {
        if let Some((pos, token)) = self.cache {
            if pos == self.pos {
                return Some(token);
            }
        }
        let token = token_at(self.src, self.pos).ok()?;
        self.cache = Some((self.pos, token));
        Some(token)
    }

    fn text(&self, token: &Token) -> &'s str {
        token.text(self.src)
    }

    /// One more level of nesting; `None` past the limit (the full path reports it).
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= self.max_depth).then_some(())
    }

    /// Operands joined by `and`, `xor`, `or`, grouped by precedence as the parser groups them.
    fn logic(&mut self) -> Option<Node> {
        let mut groups = Groups::default();
        let mut current = self.unary()?;
        loop {
            let token = self.peek()?;
            let Some(op) = logic_of(&token, self.src) else {
                return Some(groups.finish(current));
            };
            self.pos = token.end;
            groups.push(current, op);
            current = self.unary()?;
        }
    }

    /// `not`/`!` prefixes and an operand.
    fn unary(&mut self) -> Option<Node> {
        let mut nots = 0;
        loop {
            let token = self.peek()?;
            let is_not =
                token.kind == Tok::Bang || (token.kind == Tok::Ident && self.text(&token) == "not");
            if !is_not {
                break;
            }
            self.enter()?;
            self.pos = token.end;
            nots += 1;
        }
        let mut node = self.operand()?;
        for _ in 0..nots {
            node = Node::Not(Box::new(node));
        }
        self.depth -= nots;
        Some(node)
    }

    /// A parenthesized group, `true`/`false`, a Boolean field, or a comparison of a field.
    fn operand(&mut self) -> Option<Node> {
        let token = self.peek()?;
        match token.kind {
            Tok::LParen => {
                self.enter()?;
                self.pos = token.end;
                let inner = self.logic()?;
                let close = self.peek()?;
                if close.kind != Tok::RParen {
                    return None;
                }
                self.pos = close.end;
                self.depth -= 1;
                // `(...) eq ...` is an error.
                let next = self.peek()?;
                if comparison_operator(&next, self.src).is_some() {
                    return None;
                }
                Some(inner)
            }
            Tok::Ident => {
                let name = self.text(&token);
                let literal = match name {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ if RESERVED.contains(&name) => return None,
                    _ => None,
                };
                // A call is the full path's.
                if literal.is_none()
                    && self.src.as_bytes().get(skip_ws(self.src, token.end)) == Some(&b'(')
                {
                    return None;
                }
                self.pos = token.end;
                let next = self.peek()?;
                let op = comparison_operator(&next, self.src);
                let ends = matches!(next.kind, Tok::Eof | Tok::RParen)
                    || logic_of(&next, self.src).is_some();
                if let Some(b) = literal {
                    // A literal stands alone; comparing one is an error.
                    return ends.then_some(Node::Const(b));
                }
                let (slot, ty) = slot(name)?;
                match op {
                    Some(op) => {
                        self.pos = next.end;
                        self.comparison(slot, ty, op)
                    }
                    // A field alone is a condition when it is a Boolean (an index `[` is the full
                    // path's).
                    None if ends && ty == FieldType::Bool => Some(Node::Bool(slot)),
                    None => None,
                }
            }
            _ => None,
        }
    }

    /// The rest of `field op ...` after the operator.
    fn comparison(&mut self, slot: Slot, ty: FieldType, op: CmpOp) -> Option<Node> {
        if op == CmpOp::StrictWildcard {
            let second = self.peek()?;
            if second.kind != Tok::Ident || self.text(&second) != "wildcard" {
                return None;
            }
            self.pos = second.end;
        }
        match (ty, op) {
            (FieldType::String | FieldType::Bytes, CmpOp::Matches) => {
                let token = self.string_token()?;
                let pattern = match token.kind {
                    Tok::Quoted {
                        content_start,
                        content_end,
                    } => decode_regex(self.src, content_start, content_end),
                    _ => self.string(&token)?,
                };
                let index = self.patterns.add_match(&pattern).ok()?;
                Some(Node::str_matches(slot, Some(index)))
            }
            (FieldType::String | FieldType::Bytes, CmpOp::In) => {
                let mut strings = Vec::new();
                self.set(|item| match item {
                    Item::String(s) => {
                        strings.push(s.into_boxed_str());
                        Some(())
                    }
                    Item::Word(_) => None,
                })?;
                Some(Node::str_in(slot, strings))
            }
            (FieldType::String | FieldType::Bytes, _) => {
                let token = self.string_token()?;
                let text = self.string(&token)?;
                if matches!(op, CmpOp::Wildcard | CmpOp::StrictWildcard) {
                    check_wildcard(&text).ok()?;
                }
                Some(Node::str_compare(slot, op, text.into_boxed_str()))
            }
            (FieldType::Int, CmpOp::In) => {
                let mut ranges = Vec::new();
                self.set(|item| match item {
                    Item::Word(Word::Int(i)) => {
                        ranges.push((i, i));
                        Some(())
                    }
                    Item::Word(Word::IntRange(a, b)) => {
                        ranges.push((a, b));
                        Some(())
                    }
                    _ => None,
                })?;
                Some(Node::int_in(slot, ranges))
            }
            (
                FieldType::Int,
                CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge,
            ) => match self.word()? {
                Word::Int(i) => Some(Node::int_compare(slot, op, i)),
                _ => None,
            },
            (FieldType::Ip, CmpOp::In) => {
                let mut items = Vec::new();
                self.set(|item| {
                    items.push(match item {
                        Item::Word(Word::Ip(ip)) => SetItem::Ip(ip),
                        Item::Word(Word::IpRange(a, b)) => SetItem::IpRange(a, b),
                        Item::Word(Word::Cidr(ip, len)) => SetItem::Cidr(ip, len),
                        _ => return None,
                    });
                    Some(())
                })?;
                Some(Node::ip_in(slot, &items))
            }
            (FieldType::Ip, CmpOp::Eq | CmpOp::Ne) => match self.word()? {
                Word::Ip(ip) => Some(Node::ip_compare(slot, op, ip)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Is a quoted or raw string next?
    fn next_is_string(&self) -> bool {
        let at = skip_ws(self.src, self.pos);
        let bytes = self.src.as_bytes();
        bytes.get(at) == Some(&b'"') || raw_string_starts(bytes, at)
    }

    /// The string token next, consumed.
    fn string_token(&mut self) -> Option<Token> {
        if !self.next_is_string() {
            return None;
        }
        let token = self.peek()?;
        self.pos = token.end;
        Some(token)
    }

    /// A string token's value: quoted strings decoded, raw strings as written.
    fn string(&self, token: &Token) -> Option<String> {
        match token.kind {
            Tok::Quoted {
                content_start,
                content_end,
            } => decode_basic(self.src, content_start, content_end).ok(),
            Tok::Raw {
                content_start,
                content_end,
            } => Some(self.src[content_start..content_end].to_owned()),
            _ => None,
        }
    }

    /// A bare literal (integer, IP address, ...) after a comparison operator, consumed; a string
    /// there is `None` (for the fields this path compares with words, a type error).
    fn word(&mut self) -> Option<Word> {
        if self.next_is_string() {
            return None;
        }
        let (start, end) = value_word_at(self.src, self.pos);
        if start == end {
            return None;
        }
        let word = parse_word(self.src, start, end).ok()?;
        self.pos = end;
        Some(word)
    }

    /// A set `{...}` after `in`, each item given to `item` (which refuses with `None`). A list
    /// (`$name`) is the full path's.
    fn set(&mut self, mut item: impl FnMut(Item) -> Option<()>) -> Option<()> {
        let open = skip_ws(self.src, self.pos);
        if self.src.as_bytes().get(open) != Some(&b'{') {
            return None;
        }
        self.pos = open + 1;
        let mut empty = true;
        loop {
            let at = skip_ws(self.src, self.pos);
            match self.src.as_bytes().get(at) {
                None | Some(b',') => return None,
                Some(b'}') => {
                    self.pos = at + 1;
                    return (!empty).then_some(());
                }
                _ => {}
            }
            empty = false;
            if self.next_is_string() {
                let token = self.peek()?;
                self.pos = token.end;
                item(Item::String(self.string(&token)?))?;
                continue;
            }
            let (start, end) = value_word_at(self.src, self.pos);
            if start == end {
                return None;
            }
            let word = parse_word(self.src, start, end).ok()?;
            if let Word::Bool(_) = word {
                return None;
            }
            self.pos = end;
            item(Item::Word(word))?;
        }
    }
}

/// An item of a set.
enum Item {
    String(String),
    Word(Word),
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rules::{parse_kind, preflight, ExpressionKind, ParseOptions};

    /// What the full path builds from a text, when it accepts it.
    fn full(text: &str) -> Option<(Node, Patterns)> {
        let (expr, patterns) =
            parse_kind(text, ExpressionKind::Filter, &ParseOptions::default()).ok()?;
        Some((Node::compile(&expr, &patterns), patterns))
    }

    /// The direct path's verdict agrees with the full path's.
    pub(crate) fn agrees(text: &str) -> Result<bool, String> {
        let options = ParseOptions::default();
        // The direct path runs after the preflight (length, NUL, empty), as in `parse_filter`.
        if preflight(text, &options).is_err() {
            return Ok(false);
        }
        let Some((node, patterns)) = compile(text, options.max_depth) else {
            return Ok(false);
        };
        let Some((expected, expected_patterns)) = full(text) else {
            return Err(format!(
                "the direct path accepts {text:?}, the full path rejects it"
            ));
        };
        if node != expected {
            return Err(format!("{text:?}: direct {node:?}\nfull {expected:?}"));
        }
        if patterns.texts() != expected_patterns.texts() {
            return Err(format!("{text:?}: patterns differ"));
        }
        Ok(true)
    }

    #[test]
    fn common_shapes_take_the_direct_path() {
        for text in [
            r#"http.request.uri.path eq "/login" and ip.src in {192.0.2.0/24 2001:db8::/32}"#,
            r#"not (http.host eq "a" or http.host in {"b" "c"}) xor ssl"#,
            r#"cf.bot_management.score lt 30 && !cf.bot_management.verified_bot || cf.waf.score in {1..20 99}"#,
            r#"http.request.uri.path matches "^/api/" and http.user_agent matches r"(?i)curl/\d""#,
            r#"http.host strict wildcard "*.example.com" or http.host wildcard "A*""#,
            r#"ip.src ne 192.0.2.1 and ip.geoip.country in {"CN" "RU"} and true"#,
            "((ssl))",
        ] {
            assert_eq!(agrees(text), Ok(true), "{text}");
        }
    }

    #[test]
    fn everything_else_goes_to_the_full_path() {
        for text in [
            r#"lower(http.host) eq "a""#,
            r#"http.request.headers["x"][0] eq "a""#,
            "ip.src in $office",
            r#"http.host eq 1"#,
            r#"cf.waf.score eq "1""#,
            r#"ip.src lt 1.2.3.4"#,
            r#"ssl eq true"#,
            r#"http.host"#,
            r#"http.host eq "a" eq "b""#,
            r#"(ssl) eq true"#,
            r#"true eq true"#,
            r#"http.host in {}"#,
            r#"http.host in {"a", "b"}"#,
            r#"http.host matches "(""#,
            r#"http.host wildcard "a**""#,
            r#"http.host eq "\q""#,
            r#"unknown.field eq "a""#,
            r#"http.host eq "a" and"#,
            r#"((ssl)"#,
            r#"ssl)"#,
            r#"http.request.uri.args.names eq "a""#,
        ] {
            assert_eq!(agrees(text), Ok(false), "{text}");
        }
    }

    /// Every filter of the expression corpus in ../shared: the direct path agrees with the full
    /// path, and takes most valid filters.
    #[test]
    fn direct_path_agrees_on_the_corpus() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/corpus/expressions-dev.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!(
                "SKIPPED: ../shared absent ({} not readable)",
                path.display()
            );
            return;
        };
        let (mut direct, mut valid) = (0, 0);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            if row["kind"] == "value" {
                continue;
            }
            let expression = row["expression"].as_str().unwrap();
            valid += usize::from(full(expression).is_some());
            direct += usize::from(agrees(expression).unwrap());
        }
        assert!(
            direct * 2 > valid,
            "direct path took {direct} of {valid} valid filters"
        );
    }

    #[test]
    fn nesting_past_the_limit_goes_to_the_full_path() {
        let deep = format!("{}ssl{}", "(".repeat(300), ")".repeat(300));
        assert!(compile(&deep, ParseOptions::default().max_depth).is_none());
        let nots = format!("{}ssl", "not ".repeat(300));
        assert!(compile(&nots, ParseOptions::default().max_depth).is_none());
        let ok = format!("{}ssl{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(agrees(&ok), Ok(true));
    }
}
