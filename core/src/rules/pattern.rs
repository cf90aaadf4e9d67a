//! Regular expressions as Cloudflare runs them: `matches` and `regex_replace` patterns.
//!
//! Cloudflare's fields are byte strings and its engine (wirefilter, on the `regex` crate) builds
//! every regex over bytes with Unicode *off*: `.` is one byte, `\w` and `(?i)` are ASCII, and a
//! pattern turns Unicode on itself with `(?u)` (Cloudflare's own example is
//! `(?u)\p{Hangul}+`). cfcp does the same, under [`REGEX_SIZE_LIMIT`] and
//! [`REGEX_DFA_SIZE_LIMIT`].
//!
//! Most real `matches` patterns are a plain text, perhaps anchored (`^/api/`, `\.php$`). A
//! [`Pattern`] recognises those while validating and tests them with `starts_with`,
//! `ends_with`, `==` or `contains`, which gives the same answers as the regex without building
//! one: building a regex costs tens of microseconds, more than parsing the rest of an
//! expression many times over.

use regex::bytes::{Regex, RegexBuilder};

use super::{REGEX_DFA_SIZE_LIMIT, REGEX_SIZE_LIMIT};

/// A compiled `matches` pattern.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    /// A pattern without metacharacters: the text it matches and where it must sit.
    Literal { text: Box<str>, anchor: Anchor },
    /// Anything else, compiled by the `regex` crate.
    Regex(Regex),
}

/// Where the text of a literal pattern must sit in the haystack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// Anywhere (`abc`).
    None,
    /// At the start (`^abc`).
    Start,
    /// At the end (`abc$`).
    End,
    /// The whole haystack (`^abc$`).
    Both,
}

impl Pattern {
    /// Validates and compiles `pattern`; the error is a message for the user.
    pub(crate) fn new(pattern: &str) -> Result<Pattern, String> {
        match literal(pattern) {
            Some((text, anchor)) => Ok(Pattern::Literal {
                text: text.into(),
                anchor,
            }),
            None => compile(pattern).map(Pattern::Regex),
        }
    }

    /// Does the pattern match somewhere in `text`?
    #[inline]
    pub(crate) fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Literal { text: lit, anchor } => match anchor {
                Anchor::None => text.contains(&**lit),
                Anchor::Start => text.starts_with(&**lit),
                Anchor::End => text.ends_with(&**lit),
                Anchor::Both => text == &**lit,
            },
            Pattern::Regex(regex) => regex.is_match(text.as_bytes()),
        }
    }
}

/// The regular expressions of one expression, each compiled once however often it is written.
///
/// Expressions hold few patterns (most none), so a vector searched by text beats a map.
#[derive(Debug, Clone, Default)]
pub(crate) struct Patterns {
    matches: Vec<(Box<str>, Pattern)>,
    replace: Vec<(Box<str>, Regex)>,
}

impl Patterns {
    /// Compiles a `matches` pattern unless already there; gives its index.
    pub(crate) fn add_match(&mut self, pattern: &str) -> Result<usize, String> {
        if let Some(i) = self.matches.iter().position(|(p, _)| **p == *pattern) {
            return Ok(i);
        }
        let compiled = Pattern::new(pattern)?;
        self.matches.push((pattern.into(), compiled));
        Ok(self.matches.len() - 1)
    }

    /// Compiles a `regex_replace` pattern unless already there.
    pub(crate) fn add_replace(&mut self, pattern: &str) -> Result<(), String> {
        if !self.replace.iter().any(|(p, _)| **p == *pattern) {
            let compiled = compile(pattern)?;
            self.replace.push((pattern.into(), compiled));
        }
        Ok(())
    }

    /// The index of a `matches` pattern.
    pub(crate) fn match_index(&self, pattern: &str) -> Option<usize> {
        self.matches.iter().position(|(p, _)| **p == *pattern)
    }

    /// The `matches` pattern at `index`.
    #[inline]
    pub(crate) fn by_index(&self, index: usize) -> Option<&Pattern> {
        self.matches.get(index).map(|(_, p)| p)
    }

    /// The compiled `matches` pattern for a text.
    pub(crate) fn for_match(&self, pattern: &str) -> Option<&Pattern> {
        self.match_index(pattern).and_then(|i| self.by_index(i))
    }

    /// The texts of the `matches` patterns, in order.
    #[cfg(test)]
    pub(crate) fn texts(&self) -> Vec<&str> {
        self.matches.iter().map(|(p, _)| &**p).collect()
    }

    /// The compiled `regex_replace` pattern for a text.
    pub(crate) fn for_replace(&self, pattern: &str) -> Option<&Regex> {
        self.replace
            .iter()
            .find(|(p, _)| **p == *pattern)
            .map(|(_, r)| r)
    }
}

/// Compiles a regex with Cloudflare's settings (bytes, Unicode off, size limits).
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "the regular expression is too large once compiled (over {limit} bytes); simplify it or split it"
            ),
            other => {
                // The regex crate's syntax errors span several lines; keep the last (the reason).
                let text = other.to_string();
                let reason = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim()
                    .trim_start_matches("error: ")
                    .to_owned();
                format!("invalid regular expression: {reason}")
            }
        })
}

/// The text and anchoring of a pattern that is plain text: an optional `^`, characters that are
/// not metacharacters or are escaped ASCII punctuation (`\.`, `\/`), an optional `$`. `None` for
/// anything else (classes, groups, repetition, `.`, flags, escapes such as `\d` or `\x41`), which
/// goes to the regex engine.
///
/// Such a pattern is always a valid regex, and the regex matches exactly where the text occurs
/// (anchored as written): without `(?m)`, `^` and `$` are the start and end of the haystack, and
/// a UTF-8 text is found in UTF-8 haystack bytes exactly where it is found as a substring.
fn literal(pattern: &str) -> Option<(String, Anchor)> {
    let (body, start) = match pattern.strip_prefix('^') {
        Some(rest) => (rest, true),
        None => (pattern, false),
    };
    // A trailing `$` anchors unless it is escaped (`\$`): count the backslashes before it.
    let (body, end) = match body.strip_suffix('$') {
        Some(rest) if rest.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 0 => {
            (rest, true)
        }
        _ => (body, false),
    };
    let mut text = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() && e != '<' && e != '>' => text.push(e),
                _ => return None,
            },
            '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => {
                return None
            }
            c => text.push(c),
        }
    }
    let anchor = match (start, end) {
        (false, false) => Anchor::None,
        (true, false) => Anchor::Start,
        (false, true) => Anchor::End,
        (true, true) => Anchor::Both,
    };
    Some((text, anchor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_patterns_become_literals() {
        let cases = [
            ("^/api/", "/api/", Anchor::Start),
            (r"\.php$", ".php", Anchor::End),
            (r"^/api/login\.aspx$", "/api/login.aspx", Anchor::Both),
            ("a\"b", "a\"b", Anchor::None),
            (r"price\$", "price$", Anchor::None),
            (r"a\\$", r"a\", Anchor::End),
            ("wp-admin #1 & ~x", "wp-admin #1 & ~x", Anchor::None),
            ("", "", Anchor::None),
            ("^$", "", Anchor::Both),
            ("é/ü", "é/ü", Anchor::None),
        ];
        for (pattern, text, anchor) in cases {
            assert_eq!(
                literal(pattern),
                Some((text.to_owned(), anchor)),
                "{pattern}"
            );
        }
        for pattern in [
            "a.b", "a+", "(a)", "[ab]", "a{2}", "a|b", r"\d", r"\x41", r"\<", "a^", "$a", r"a\",
            "(?i)a",
        ] {
            assert_eq!(literal(pattern), None, "{pattern}");
        }
    }

    /// The literal shortcut answers exactly as the regex engine does.
    #[test]
    fn literals_agree_with_the_regex_engine() {
        let patterns = [
            "^/api/",
            r"\.php$",
            r"^/api/login\.aspx$",
            "a\"b",
            r"price\$",
            r"a\\$",
            "",
            "^$",
            "^",
            "$",
            "é",
            r"\/x\-y",
        ];
        let haystacks = [
            "",
            "/api/",
            "/api/x",
            "x/api/",
            "index.php",
            "index.php5",
            "/api/login.aspx",
            "/api/loginXaspx",
            "a\"b",
            "price$",
            r"a\",
            "café",
            "/x-y",
        ];
        for pattern in patterns {
            let fast = Pattern::new(pattern).unwrap();
            assert!(matches!(fast, Pattern::Literal { .. }), "{pattern}");
            let regex = compile(pattern).unwrap();
            for haystack in haystacks {
                assert_eq!(
                    fast.is_match(haystack),
                    regex.is_match(haystack.as_bytes()),
                    "{pattern:?} on {haystack:?}"
                );
            }
        }
    }

    proptest::proptest! {
        /// Any text, escaped as the `regex` crate escapes it and perhaps anchored, is a literal
        /// pattern that matches exactly where the regex does.
        #[test]
        fn escaped_text_matches_as_the_regex_does(
            text in "[^\\x00]{0,8}",
            haystack in "[^\\x00]{0,16}",
            start in proptest::bool::ANY,
            end in proptest::bool::ANY,
        ) {
            let pattern = format!(
                "{}{}{}",
                if start { "^" } else { "" },
                regex::escape(&text),
                if end { "$" } else { "" }
            );
            let fast = Pattern::new(&pattern).unwrap();
            proptest::prop_assert!(matches!(fast, Pattern::Literal { .. }), "{}", pattern);
            let regex = compile(&pattern).unwrap();
            // Often a haystack that contains the text, else the check would rarely see a match.
            for haystack in [haystack.clone(), format!("{haystack}{text}"), format!("{text}{haystack}"), text.clone()] {
                proptest::prop_assert_eq!(
                    fast.is_match(&haystack),
                    regex.is_match(haystack.as_bytes()),
                    "{:?} on {:?}", pattern, haystack
                );
            }
        }
    }

    #[test]
    fn unicode_is_off_unless_the_pattern_asks() {
        let dot = Pattern::new("^.$").unwrap();
        assert!(dot.is_match("a"));
        // One byte, as at Cloudflare: "é" is two.
        assert!(!dot.is_match("é"));
        assert!(Pattern::new("(?u)^.$").unwrap().is_match("é"));
        assert!(!Pattern::new(r"^\w+$").unwrap().is_match("café"));
        assert!(Pattern::new(r"(?u)\p{Hangul}+").unwrap().is_match("한국어"));
        assert!(Pattern::new(r"\p{Hangul}").is_err());
        assert!(Pattern::new("(")
            .unwrap_err()
            .starts_with("invalid regular expression"));
    }
}
