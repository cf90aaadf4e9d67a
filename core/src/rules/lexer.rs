//! The lexer: bytes to tokens with byte offsets.
//!
//! It is driven by the parser one token at a time (`token_at`), because the Rules language is
//! context sensitive: after a comparison operator `2001:db8::/32` or `198.51.100.3..198.51.100.7`
//! is one literal, where elsewhere `:` and `.` would be errors. [`value_word_at`] scans such a
//! literal; [`token_at`] scans everything else.

use super::error::RulesError;

/// One token: its kind and the byte span it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

/// Token kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A name: a field (`http.request.uri.path`), a function (`lower`) or a keyword (`and`, `eq`).
    Ident,
    /// An integer literal (general context only: function arguments, `[0]`).
    Int(i64),
    /// A quoted string; the payload is the byte range of its content, undecoded.
    Quoted {
        content_start: usize,
        content_end: usize,
    },
    /// A raw string `r#"..."#`; the payload is the byte range of its content.
    Raw {
        content_start: usize,
        content_end: usize,
    },
    /// A list reference `$name` or `$cf.name`; the span includes the `$`.
    List,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Star,
    /// `!`
    Bang,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `^^`
    XorXor,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    /// `~`
    Tilde,
    Eof,
}

impl Token {
    /// The token's text.
    pub fn text<'s>(&self, source: &'s str) -> &'s str {
        &source[self.start..self.end]
    }
}

/// How a token is named in an error message: `"contans"`, `` `(` ``, `the end of the expression`.
pub(crate) fn describe(token: &Token, source: &str) -> String {
    match token.kind {
        Tok::Eof => "the end of the expression".to_owned(),
        Tok::Quoted { .. } | Tok::Raw { .. } => {
            format!("the string {}", shorten(token.text(source)))
        }
        Tok::Ident | Tok::Int(_) | Tok::List => format!("\"{}\"", shorten(token.text(source))),
        _ => format!("`{}`", token.text(source)),
    }
}

/// Cuts long text for messages, and escapes control characters (`\n`, `\t`, ...) so that a
/// message stays on one line.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::with_capacity(text.len().min(4 * MAX + 3));
    for (i, c) in text.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Skips whitespace (spaces, tabs, newlines, carriage returns) from `pos`.
pub(crate) fn skip_ws(source: &str, mut pos: usize) -> usize {
    let bytes = source.as_bytes();
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t' | b'\n' | b'\r') {
        pos += 1;
    }
    pos
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Bytes that continue a name (`[A-Za-z0-9_]`), as a table: names are most of an expression's
/// text, and one load per byte beats three range tests.
const IDENT_CONTINUE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    table
};

#[inline]
fn is_ident_continue(b: u8) -> bool {
    IDENT_CONTINUE[usize::from(b)]
}

/// Characters of a bare literal after a comparison operator or inside `{...}`: integers, ranges,
/// IPv4 and IPv6 addresses, CIDRs (and, for error messages, stray words).
pub(crate) fn is_value_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-')
}

/// The bare literal starting at `pos` (after whitespace): its span. Empty when none starts there.
pub(crate) fn value_word_at(source: &str, pos: usize) -> (usize, usize) {
    let start = skip_ws(source, pos);
    let bytes = source.as_bytes();
    let mut end = start;
    while end < bytes.len() && is_value_word_byte(bytes[end]) {
        end += 1;
    }
    (start, end)
}

/// Is a raw string starting at `pos` (`r"` or `r#...#"`)?
pub(crate) fn raw_string_starts(bytes: &[u8], pos: usize) -> bool {
    if bytes.get(pos) != Some(&b'r') {
        return false;
    }
    let mut i = pos + 1;
    while bytes.get(i) == Some(&b'#') {
        i += 1;
    }
    bytes.get(i) == Some(&b'"')
}

/// Scans the token starting at `pos` (after whitespace).
pub(crate) fn token_at(source: &str, pos: usize) -> Result<Token, RulesError> {
    let bytes = source.as_bytes();
    let start = skip_ws(source, pos);
    let Some(&b) = bytes.get(start) else {
        return Ok(Token {
            kind: Tok::Eof,
            start,
            end: start,
        });
    };
    let next = bytes.get(start + 1).copied();
    let simple = |kind: Tok, len: usize| {
        Ok(Token {
            kind,
            start,
            end: start + len,
        })
    };
    match b {
        b'(' => simple(Tok::LParen, 1),
        b')' => simple(Tok::RParen, 1),
        b'[' => simple(Tok::LBracket, 1),
        b']' => simple(Tok::RBracket, 1),
        b'{' => simple(Tok::LBrace, 1),
        b'}' => simple(Tok::RBrace, 1),
        b',' => simple(Tok::Comma, 1),
        b'*' => simple(Tok::Star, 1),
        b'~' => simple(Tok::Tilde, 1),
        b'!' if next == Some(b'=') => simple(Tok::NotEq, 2),
        b'!' => simple(Tok::Bang, 1),
        b'&' if next == Some(b'&') => simple(Tok::AndAnd, 2),
        b'|' if next == Some(b'|') => simple(Tok::OrOr, 2),
        b'^' if next == Some(b'^') => simple(Tok::XorXor, 2),
        b'=' if next == Some(b'=') && bytes.get(start + 2) != Some(&b'=') => simple(Tok::EqEq, 2),
        b'<' if next == Some(b'=') => simple(Tok::Le, 2),
        b'<' => simple(Tok::Lt, 1),
        b'>' if next == Some(b'=') => simple(Tok::Ge, 2),
        b'>' => simple(Tok::Gt, 1),
        b'"' => quoted_string(source, start),
        b'r' if raw_string_starts(bytes, start) => raw_string(source, start),
        b'$' => list_name(source, start),
        b'-' | b'0'..=b'9' => number(source, start),
        _ if is_ident_start(b) => {
            let mut end = start + 1;
            loop {
                end += bytes[end..]
                    .iter()
                    .position(|b| !is_ident_continue(*b))
                    .unwrap_or(bytes.len() - end);
                // Dotted names: `http.request.uri.path`, `cf.response.1xxx_code`.
                if bytes.get(end) == Some(&b'.')
                    && bytes.get(end + 1).is_some_and(|c| is_ident_continue(*c))
                {
                    end += 1;
                    continue;
                }
                break;
            }
            simple(Tok::Ident, end - start)
        }
        _ => Err(no_token(source, start)),
    }
}

/// Why no token starts at `start`; kept out of line so that lexing stays small.
#[cold]
#[inline(never)]
fn no_token(source: &str, start: usize) -> RulesError {
    let bytes = source.as_bytes();
    let next = bytes.get(start + 1).copied();
    match bytes[start] {
        b'=' if next == Some(b'=') => RulesError::new("`===` is not an operator", start, start + 3)
            .with_help("did you mean `==` (or `eq`)?"),
        b'=' => RulesError::new("`=` is not an operator", start, start + 1)
            .with_help("did you mean `==` (or `eq`)?"),
        b'&' => RulesError::new("`&` is not an operator", start, start + 1)
            .with_help("did you mean `&&` (or `and`)?"),
        b'|' => RulesError::new("`|` is not an operator", start, start + 1)
            .with_help("did you mean `||` (or `or`)?"),
        b'^' => RulesError::new("`^` is not an operator", start, start + 1)
            .with_help("did you mean `^^` (or `xor`)?"),
        0 => RulesError::new(
            format!("NUL byte at byte {start}: an expression cannot contain NUL characters"),
            start,
            start + 1,
        ),
        _ => {
            let c = source[start..].chars().next().unwrap_or('?');
            let message = if c.is_control() {
                format!("unexpected control character U+{:04X}", c as u32)
            } else {
                format!("unexpected character `{c}`")
            };
            RulesError::new(message, start, start + c.len_utf8())
        }
    }
}

fn number(source: &str, start: usize) -> Result<Token, RulesError> {
    let bytes = source.as_bytes();
    let mut end = start + 1;
    while end < bytes.len() && is_value_word_byte(bytes[end]) && bytes[end] != b'-' {
        end += 1;
    }
    let text = &source[start..end];
    if text == "-" {
        return Err(RulesError::new("unexpected character `-`", start, end));
    }
    match text.parse::<i64>() {
        Ok(value) => Ok(Token {
            kind: Tok::Int(value),
            start,
            end,
        }),
        Err(_)
            if text
                .trim_start_matches('-')
                .bytes()
                .all(|c| c.is_ascii_digit()) =>
        {
            Err(RulesError::new(
                format!("integer {} does not fit in 64 bits", shorten(text)),
                start,
                end,
            ))
        }
        Err(_) => Err(RulesError::new(
            format!("unexpected \"{}\": expected an integer here", shorten(text)),
            start,
            end,
        )),
    }
}

fn quoted_string(source: &str, start: usize) -> Result<Token, RulesError> {
    let bytes = source.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                return Ok(Token {
                    kind: Tok::Quoted {
                        content_start: start + 1,
                        content_end: i,
                    },
                    start,
                    end: i + 1,
                })
            }
            b'\\' => i += 2,
            0 => {
                return Err(RulesError::new(
                    format!("NUL byte at byte {i}: an expression cannot contain NUL characters"),
                    i,
                    i + 1,
                ))
            }
            _ => i += 1,
        }
    }
    Err(RulesError::new(
        "unterminated string: no closing `\"`",
        start,
        source.len(),
    ))
}

fn raw_string(source: &str, start: usize) -> Result<Token, RulesError> {
    let bytes = source.as_bytes();
    let mut i = start + 1;
    let mut hashes = 0usize;
    while bytes.get(i) == Some(&b'#') {
        hashes += 1;
        i += 1;
    }
    if hashes > 255 {
        return Err(RulesError::new(
            format!("a raw string may use at most 255 `#`, found {hashes}"),
            start,
            i,
        ));
    }
    let content_start = i + 1; // after the opening quote
    let mut j = content_start;
    while j < bytes.len() {
        if bytes[j] == 0 {
            return Err(RulesError::new(
                format!("NUL byte at byte {j}: an expression cannot contain NUL characters"),
                j,
                j + 1,
            ));
        }
        if bytes[j] == b'"'
            && bytes.len() >= j + 1 + hashes
            && bytes[j + 1..j + 1 + hashes].iter().all(|c| *c == b'#')
        {
            return Ok(Token {
                kind: Tok::Raw {
                    content_start,
                    content_end: j,
                },
                start,
                end: j + 1 + hashes,
            });
        }
        j += 1;
    }
    Err(RulesError::new(
        format!(
            "unterminated raw string: no closing `\"{}`",
            "#".repeat(hashes)
        ),
        start,
        source.len(),
    ))
}

fn list_name(source: &str, start: usize) -> Result<Token, RulesError> {
    let bytes = source.as_bytes();
    let mut end = start + 1;
    while end < bytes.len() && (is_ident_continue(bytes[end]) || bytes[end] == b'.') {
        end += 1;
    }
    // Let a trailing `.` belong to what follows.
    while end > start + 1 && bytes[end - 1] == b'.' {
        end -= 1;
    }
    if end == start + 1 {
        return Err(RulesError::new(
            "expected a list name after `$`",
            start,
            start + 1,
        ));
    }
    Ok(Token {
        kind: Tok::List,
        start,
        end,
    })
}

/// Decodes a quoted string's content with the basic escapes: `\"`, `\\` and `\xHH`.
pub(crate) fn decode_basic(source: &str, start: usize, end: usize) -> Result<String, RulesError> {
    let content = &source[start..end];
    if !content.contains('\\') {
        return Ok(content.to_owned());
    }
    let bytes = content.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let at = start + i;
        match bytes.get(i + 1) {
            Some(b'"') => out.push(b'"'),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = content.get(i + 2..i + 4).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(value) if hex.len() == 2 && hex.bytes().all(|c| c.is_ascii_hexdigit()) => {
                        out.push(value);
                        i += 4;
                        continue;
                    }
                    _ => {
                        return Err(RulesError::new(
                            "`\\x` must be followed by two hexadecimal digits",
                            at,
                            (at + 4).min(end),
                        ))
                    }
                }
            }
            other => {
                let shown = match other {
                    Some(c) if c.is_ascii_graphic() => format!("`\\{}`", *c as char),
                    _ => "`\\`".to_owned(),
                };
                return Err(RulesError::new(
                    format!("unknown escape {shown} in a string"),
                    at,
                    (at + 2).min(end),
                )
                .with_help(
                    "strings know only \\\" \\\\ and \\xHH; for a backslash write \\\\, or use a raw string r\"...\"",
                ));
            }
        }
        i += 2;
    }
    String::from_utf8(out).map_err(|_| {
        RulesError::new(
            "the \\x escapes of this string do not form valid UTF-8",
            start.saturating_sub(1),
            end + 1,
        )
    })
}

/// Decodes a quoted string that is a regular expression: only `\"` is an escape of the string;
/// every other backslash sequence is kept for the regex engine (`"\.php$"` is the regex `\.php$`).
pub(crate) fn decode_regex(source: &str, start: usize, end: usize) -> String {
    let content = &source[start..end];
    if !content.contains("\\\"") {
        return content.to_owned();
    }
    let mut out = String::with_capacity(content.len());
    let mut chars = content.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('"') => out.push('"'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Tok> {
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            let token = token_at(source, pos).unwrap();
            pos = token.end;
            let done = token.kind == Tok::Eof;
            out.push(token.kind);
            if done {
                return out;
            }
        }
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("a.b && !c || d ^^ e == != < <= > >= ~ ( ) [ ] { } , * -5 7"),
            vec![
                Tok::Ident,
                Tok::AndAnd,
                Tok::Bang,
                Tok::Ident,
                Tok::OrOr,
                Tok::Ident,
                Tok::XorXor,
                Tok::Ident,
                Tok::EqEq,
                Tok::NotEq,
                Tok::Lt,
                Tok::Le,
                Tok::Gt,
                Tok::Ge,
                Tok::Tilde,
                Tok::LParen,
                Tok::RParen,
                Tok::LBracket,
                Tok::RBracket,
                Tok::LBrace,
                Tok::RBrace,
                Tok::Comma,
                Tok::Star,
                Tok::Int(-5),
                Tok::Int(7),
                Tok::Eof
            ]
        );
        let t = token_at("cf.response.1xxx_code", 0).unwrap();
        assert_eq!(t.end, 21);
        let t = token_at("  $cf.open_proxies)", 0).unwrap();
        assert_eq!((t.kind, t.start, t.end), (Tok::List, 2, 18));
    }

    #[test]
    fn strings() {
        let s = r##""a\"b" r#"x"y"# r"z""##;
        let t = token_at(s, 0).unwrap();
        assert_eq!(t.end, 6);
        let t2 = token_at(s, t.end).unwrap();
        assert_eq!(t2.text(s), r##"r#"x"y"#"##);
        let t3 = token_at(s, t2.end).unwrap();
        assert_eq!(t3.text(s), r#"r"z""#);
        assert_eq!(decode_basic(r#"a\"b\\c\x41"#, 0, 11).unwrap(), "a\"b\\cA");
        assert!(decode_basic(r"a\qb", 0, 4).is_err());
        assert!(decode_basic(r"\x4", 0, 3).is_err());
        assert!(decode_basic(r"\xff", 0, 4).is_err());
        assert_eq!(decode_regex(r#"a\"b\.c\\"#, 0, 9), r#"a"b\.c\\"#);
        assert!(token_at("\"abc", 0).is_err());
        assert!(token_at("r#\"abc\"", 0).is_err());
        assert!(token_at("\"a\0\"", 0).is_err());
    }

    #[test]
    fn errors() {
        assert!(token_at("===", 0).unwrap_err().help.unwrap().contains("=="));
        assert!(token_at("=", 0).is_err());
        assert!(token_at("\0", 0).unwrap_err().message.contains("NUL"));
        assert!(token_at("99999999999999999999", 0).is_err());
        assert!(token_at("1m", 0).is_err());
        assert!(token_at("é", 0).unwrap_err().end == 2);
    }
}
