//! The direct path: a filter of the common shapes compiled straight from its text, in one pass.
//!
//! Most rules are comparisons of plain fields with literals and sets, joined by `and`, `or` and
//! `not`. For those, [`compile`] reads the text once, checks types as it goes and builds the
//! [`Program`] directly, its comparisons made by the same leaf constructors [`Node::compile`]
//! uses, without building the syntax tree: [`Filter`](super::Filter) builds that from the text
//! only when asked for it (printing, introspection, analysis). Evaluation, the common use of a
//! parsed filter, never needs it.
//!
//! Anything else (function calls, indexes, lists, `xor`) and anything invalid gives `None`: the
//! full path (parser, checker, [`Node::compile`], [`Program::from_node`]) then decides, and
//! explains errors. So this path only has to be right about what it accepts: it accepts only what
//! the full path accepts, and builds what the full path would build from it. The tests hold it to
//! that on the corpus and on generated expressions.

use super::ast::{CmpOp, SetItem};
use super::check::check_wildcard;
use super::compiled::{slot, IpRanges, Node, Slot};
use super::fields::FieldType;
use super::lexer::{
    decode_basic, decode_regex, raw_string_starts, skip_ws, token_at, value_word_at, Tok, Token,
};
use super::parser::{comparison_operator, logic_of, parse_word, Logic, Word};
use super::pattern::Patterns;
use super::program::{Builder, Fragment, Program, Sequence};

/// Compiles a filter of the common shapes; `None` when the full path must decide. `text` is
/// within the length limit; the other preflight checks need not have run, as this path accepts
/// no empty text and no NUL (the lexer refuses NUL wherever it stands).
pub(crate) fn compile(text: &str, max_depth: usize) -> Option<(Program, Patterns)> {
    let mut direct = Direct {
        src: text,
        pos: 0,
        depth: 0,
        max_depth,
        cache: None,
        patterns: Patterns::default(),
        builder: Builder::default(),
    };
    let fragment = direct.logic()?;
    if direct.peek()?.kind != Tok::Eof {
        return None;
    }
    Some((direct.builder.finish(fragment), direct.patterns))
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
    builder: Builder,
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

    /// Operands joined by `and` and `or`, `and` binding tighter (`xor` is the full path's).
    fn logic(&mut self) -> Option<Fragment> {
        let mut sequence = Sequence::default();
        let mut current = self.unary()?;
        loop {
            let token = self.peek()?;
            let and_ = match logic_of(&token, self.src) {
                None => return Some(sequence.finish(&mut self.builder, current)),
                Some(Logic::And) => true,
                Some(Logic::Or) => false,
                Some(Logic::Xor) => return None,
            };
            self.pos = token.end;
            sequence.push(&mut self.builder, current, and_);
            current = self.unary()?;
        }
    }

    /// `not`/`!` prefixes and an operand.
    fn unary(&mut self) -> Option<Fragment> {
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
        let mut fragment = self.operand()?;
        for _ in 0..nots {
            fragment = self.builder.not(fragment);
        }
        self.depth -= nots;
        Some(fragment)
    }

    /// A parenthesized group, `true`/`false`, a Boolean field, or a comparison of a field.
    fn operand(&mut self) -> Option<Fragment> {
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
                // Reserved words (`and`, `eq`, ...) are no field's name, so `slot` refuses them.
                let literal = match name {
                    "true" => Some(true),
                    "false" => Some(false),
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
                    return ends.then_some(Fragment::Const(b));
                }
                let (slot, ty) = slot(name)?;
                let node = match op {
                    Some(op) => {
                        self.pos = next.end;
                        self.comparison(slot, ty, op)?
                    }
                    // A field alone is a condition when it is a Boolean (an index `[` is the full
                    // path's).
                    None if ends && ty == FieldType::Bool => Node::Bool(slot),
                    None => return None,
                };
                Some(self.builder.test(node))
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
                Some(Node::str_matches(slot, &self.patterns, Some(index)))
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
                let mut ranges = IpRanges::default();
                self.set(|item| {
                    ranges.add(&match item {
                        Item::Word(Word::Ip(ip)) => SetItem::Ip(ip),
                        Item::Word(Word::IpRange(a, b)) => SetItem::IpRange(a, b),
                        Item::Word(Word::Cidr(ip, len)) => SetItem::Cidr(ip, len),
                        _ => return None,
                    });
                    Some(())
                })?;
                Some(Node::ip_ranges(slot, ranges))
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
    use crate::rules::{parse_kind, ExpressionKind, ParseOptions};

    /// What the full path builds from a text, when it accepts it.
    fn full(text: &str) -> Option<(Program, Patterns)> {
        let (expr, patterns) =
            parse_kind(text, ExpressionKind::Filter, &ParseOptions::default()).ok()?;
        Some((
            Program::from_node(Node::compile(&expr, &patterns)),
            patterns,
        ))
    }

    /// The direct path's verdict agrees with the full path's.
    pub(crate) fn agrees(text: &str) -> Result<bool, String> {
        let options = ParseOptions::default();
        // The direct path runs on texts within the length limit, as in `parse_filter`.
        if text.len() > options.max_length {
            return Ok(false);
        }
        let Some((program, patterns)) = compile(text, options.max_depth) else {
            return Ok(false);
        };
        let Some((expected, expected_patterns)) = full(text) else {
            return Err(format!(
                "the direct path accepts {text:?}, the full path rejects it"
            ));
        };
        if program != expected {
            return Err(format!("{text:?}: direct {program:?}\nfull {expected:?}"));
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
            r#"not (http.host eq "a" or http.host in {"b" "c"}) and ssl"#,
            r#"cf.bot_management.score lt 30 && !cf.bot_management.verified_bot || cf.waf.score in {1..20 99}"#,
            r#"http.request.uri.path matches "^/api/" and http.user_agent matches r"(?i)curl/\d""#,
            r#"http.host strict wildcard "*.example.com" or http.host wildcard "A*""#,
            r#"ip.src ne 192.0.2.1 and ip.geoip.country in {"CN" "RU"} and true"#,
            "((ssl))",
            "true and ssl or false",
            "ssl and (false and cf.client.bot) or not (true or ssl)",
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
            "ssl xor cf.client.bot",
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
            let is_valid = full(expression).is_some();
            let is_direct = agrees(expression).unwrap();
            if is_valid && !is_direct {
                eprintln!("full path: {} {expression}", row["id"]);
            }
            valid += usize::from(is_valid);
            direct += usize::from(is_direct);
        }
        eprintln!("direct path: {direct} of {valid} valid filters");
        assert!(
            direct * 2 > valid,
            "direct path took {direct} of {valid} valid filters"
        );
    }

    #[test]
    fn empty_texts_and_nul_bytes_go_to_the_full_path() {
        for text in [
            "",
            "  \n",
            "ssl\0",
            "\0ssl",
            "ssl and\0ssl",
            "http.host eq \"a\0\"",
            "http.host eq r#\"a\0\"#",
            "cf.waf.score eq 1\0",
            "http.host in {\"a\"\0}",
            "ip.src in {1.2.3.4\0}",
        ] {
            assert!(compile(text, 256).is_none(), "{text:?}");
        }
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
