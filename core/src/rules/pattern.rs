//! Regular expressions as Cloudflare runs them: `matches` and `regex_replace` patterns.
//!
//! Cloudflare's fields are byte strings and its engine (wirefilter, on the `regex` crate) builds
//! every regex over bytes with Unicode *off*: `.` is one byte, `\w` and `(?i)` are ASCII, and a
//! pattern turns Unicode on itself with `(?u)` (Cloudflare's own example is
//! `(?u)\p{Hangul}+`). cfcp does the same, under [`REGEX_SIZE_LIMIT`] and
//! [`REGEX_DFA_SIZE_LIMIT`].
//!
//! Most real `matches` patterns stand for a few plain texts, perhaps anchored: `^/api/`,
//! `\.php$`, `^(www|store|blog)\.example\.com`, `^/articles/200[7-8]/$`. A [`Pattern`]
//! recognises those while validating, lists the texts (at most [`MAX_LITERALS`]) and tests them
//! with `starts_with`, `ends_with`, `==` or `contains`, which gives the same answers as the
//! regex without building one: building a regex costs tens of microseconds, more than parsing
//! the rest of an expression many times over.

use regex::bytes::{Regex, RegexBuilder};

use super::{REGEX_DFA_SIZE_LIMIT, REGEX_SIZE_LIMIT};

/// A compiled `matches` pattern.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    /// A pattern that stands for a few plain texts: the texts, and where one must sit.
    Literals {
        texts: Box<[Box<str>]>,
        anchor: Anchor,
    },
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
        match literals(pattern) {
            Some((texts, anchor)) => Ok(Pattern::Literals {
                texts: texts.into_iter().map(String::into_boxed_str).collect(),
                anchor,
            }),
            None => compile(pattern).map(Pattern::Regex),
        }
    }

    /// Does the pattern match somewhere in `text`?
    #[inline(always)]
    pub(crate) fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Literals { texts, anchor } => match anchor {
                Anchor::None => texts.iter().any(|t| contains(text, t)),
                Anchor::Start => texts.iter().any(|t| text.starts_with(&**t)),
                Anchor::End => texts.iter().any(|t| text.ends_with(&**t)),
                Anchor::Both => texts.iter().any(|t| text == &**t),
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

/// Does `haystack` contain `needle`? A short haystack is scanned directly: the standard
/// library's substring search prepares its needle on every call, which costs more than the whole
/// scan of a header or path; a long one (a body) gets that search's linear-time guarantee.
#[inline]
pub(crate) fn contains(haystack: &str, needle: &str) -> bool {
    const SHORT: usize = 256;
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else {
        return true;
    };
    if h.len() > SHORT {
        return haystack.contains(needle);
    }
    if h.len() < n.len() {
        return false;
    }
    let last_start = h.len() - n.len();
    h[..=last_start]
        .iter()
        .enumerate()
        .any(|(i, &b)| b == first && &h[i + 1..i + n.len()] == rest)
}

/// The most texts a pattern may stand for to be matched as texts.
pub(crate) const MAX_LITERALS: usize = 64;

/// The texts a pattern stands for and where they must sit, for a pattern made of: an optional
/// `^`; characters that are not metacharacters, or are escaped ASCII punctuation (`\.`, `\/`);
/// groups `(a|b|c)` or `(?:a|b)` of such alternatives (not nested); classes of ASCII letters and
/// digits and their ranges (`[7-8]`, `[a-cx]`); an optional `$`. `None` for anything else
/// (repetition, `.`, flags, escapes such as `\d` or `\x41`, nested groups, a top-level `|`) and
/// for patterns standing for more than [`MAX_LITERALS`] texts; those go to the regex engine.
///
/// Such a pattern is always a valid regex, and it matches exactly where one of its texts occurs
/// (anchored as written): without `(?m)`, `^` and `$` are the start and end of the haystack; a
/// group or class matches one of its alternatives, whatever the regex engine's preference among
/// them; and a UTF-8 text is found in UTF-8 haystack bytes exactly where it is found as a
/// substring. With Unicode off, class ranges are byte ranges, the same as these ASCII ones.
fn literals(pattern: &str) -> Option<(Vec<String>, Anchor)> {
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
    let mut texts = vec![String::with_capacity(body.len())];
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                let alternatives = group(&mut chars)?;
                texts = product(&texts, &alternatives)?;
            }
            c => {
                let choices = unit(c, &mut chars)?;
                texts = append(texts, &choices)?;
            }
        }
    }
    let anchor = match (start, end) {
        (false, false) => Anchor::None,
        (true, false) => Anchor::Start,
        (false, true) => Anchor::End,
        (true, true) => Anchor::Both,
    };
    Some((texts, anchor))
}

/// The characters one unit outside a group stands for: a literal character, an escaped
/// punctuation character, or a class.
fn unit(c: char, chars: &mut std::str::Chars<'_>) -> Option<Vec<char>> {
    match c {
        '\\' => match chars.next() {
            Some(e) if e.is_ascii_punctuation() && e != '<' && e != '>' => Some(vec![e]),
            _ => None,
        },
        '[' => class(chars),
        '.' | '+' | '*' | '?' | '(' | ')' | '|' | ']' | '{' | '}' | '^' | '$' => None,
        c => Some(vec![c]),
    }
}

/// A class after its `[`: ASCII letters and digits and ranges of one kind (`0-9`, `a-f`).
fn class(chars: &mut std::str::Chars<'_>) -> Option<Vec<char>> {
    let mut members = Vec::new();
    loop {
        let c = chars.next()?;
        if c == ']' && !members.is_empty() {
            return Some(members);
        }
        if !c.is_ascii_alphanumeric() {
            return None;
        }
        let mut lookahead = chars.clone();
        if lookahead.next() == Some('-') {
            if let Some(last) = lookahead.next().filter(char::is_ascii_alphanumeric) {
                let same_kind = (c.is_ascii_digit() && last.is_ascii_digit())
                    || (c.is_ascii_lowercase() && last.is_ascii_lowercase())
                    || (c.is_ascii_uppercase() && last.is_ascii_uppercase());
                if !same_kind || c > last {
                    return None;
                }
                members.extend(c..=last);
                *chars = lookahead;
                continue;
            }
        }
        members.push(c);
    }
}

/// A group after its `(`: `?:` perhaps, then alternatives of units separated by `|`, then `)`.
fn group(chars: &mut std::str::Chars<'_>) -> Option<Vec<String>> {
    let mut lookahead = chars.clone();
    if lookahead.next() == Some('?') {
        if lookahead.next() != Some(':') {
            return None;
        }
        *chars = lookahead;
    }
    let mut alternatives = Vec::new();
    let mut current = vec![String::new()];
    loop {
        match chars.next()? {
            ')' => {
                alternatives.append(&mut current);
                return (alternatives.len() <= MAX_LITERALS).then_some(alternatives);
            }
            '|' => {
                alternatives.append(&mut current);
                current = vec![String::new()];
            }
            c => current = append(current, &unit(c, chars)?)?,
        }
    }
}

/// Every text followed by every choice of character.
fn append(mut texts: Vec<String>, choices: &[char]) -> Option<Vec<String>> {
    if let [c] = choices {
        texts.iter_mut().for_each(|t| t.push(*c));
        return Some(texts);
    }
    if texts.len() * choices.len() > MAX_LITERALS {
        return None;
    }
    Some(
        texts
            .iter()
            .flat_map(|t| {
                choices.iter().map(move |c| {
                    let mut t = t.clone();
                    t.push(*c);
                    t
                })
            })
            .collect(),
    )
}

/// Every text followed by every alternative.
fn product(texts: &[String], alternatives: &[String]) -> Option<Vec<String>> {
    if texts.len() * alternatives.len() > MAX_LITERALS {
        return None;
    }
    Some(
        texts
            .iter()
            .flat_map(|t| alternatives.iter().map(move |a| format!("{t}{a}")))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn texts(pattern: &str) -> Option<(Vec<&'static str>, Anchor)> {
        literals(pattern).map(|(texts, anchor)| {
            let texts = texts
                .into_iter()
                .map(|t| &*Box::leak(t.into_boxed_str()))
                .collect();
            (texts, anchor)
        })
    }

    #[test]
    fn patterns_standing_for_a_few_texts_become_texts() {
        let cases: [(&str, &[&str], Anchor); 16] = [
            ("^/api/", &["/api/"], Anchor::Start),
            (r"\.php$", &[".php"], Anchor::End),
            (r"^/api/login\.aspx$", &["/api/login.aspx"], Anchor::Both),
            ("a\"b", &["a\"b"], Anchor::None),
            (r"price\$", &["price$"], Anchor::None),
            (r"a\\$", &[r"a\"], Anchor::End),
            ("wp-admin #1 & ~x", &["wp-admin #1 & ~x"], Anchor::None),
            ("", &[""], Anchor::None),
            ("^$", &[""], Anchor::Both),
            ("é/ü", &["é/ü"], Anchor::None),
            (
                r"^(www|store)\.example\.com",
                &["www.example.com", "store.example.com"],
                Anchor::Start,
            ),
            (
                "^/articles/200[7-8]/$",
                &["/articles/2007/", "/articles/2008/"],
                Anchor::Both,
            ),
            (r"/x\.(?:xml|src)$", &["/x.xml", "/x.src"], Anchor::End),
            ("[ab][1-2]", &["a1", "a2", "b1", "b2"], Anchor::None),
            ("a(|b)", &["a", "ab"], Anchor::None),
            ("()", &[""], Anchor::None),
        ];
        for (pattern, expected, anchor) in cases {
            assert_eq!(
                texts(pattern),
                Some((expected.to_vec(), anchor)),
                "{pattern}"
            );
        }
        for pattern in [
            "a.b",
            "a+",
            "(a)+",
            "(a|b)*",
            "a{2}",
            "a|b",
            r"\d",
            r"\x41",
            r"\<",
            "a^",
            "$a",
            r"a\",
            "(?i)a",
            "(?P<n>a)",
            "((a))",
            "(a",
            "a)",
            "[^a]",
            "[a-Z]",
            "[9-0]",
            "[a-]",
            "[]a]",
            "[.]",
            "[é]",
            "[a",
            // More than MAX_LITERALS texts.
            "[a-z][a-z]",
        ] {
            assert_eq!(texts(pattern), None, "{pattern}");
        }
    }

    /// The texts shortcut answers exactly as the regex engine does.
    #[test]
    fn texts_agree_with_the_regex_engine() {
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
            r"^(www|store|blog)\.example\.com",
            "^/articles/200[7-8]/$",
            r"/autodiscover\.(xml|src)$",
            "(comment|conversation|event|poll)/create",
            "a(|b)c",
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
            "store.example.com/a",
            "blog.example.co",
            "/articles/2008/",
            "/articles/2009/",
            "/a/autodiscover.xml",
            "/autodiscover.xmlx",
            "/poll/create?x",
            "/polls/create",
            "ac",
            "abc",
            "abbc",
        ];
        for pattern in patterns {
            let fast = Pattern::new(pattern).unwrap();
            assert!(matches!(fast, Pattern::Literals { .. }), "{pattern}");
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

    #[test]
    fn short_and_long_haystacks_are_searched_alike() {
        let long = format!("{}needle", "x".repeat(300));
        for (haystack, needle) in [
            ("abc", ""),
            ("", "a"),
            ("abc", "abc"),
            ("abc", "abcd"),
            ("aab", "ab"),
            ("xyz", "yz"),
            (long.as_str(), "needle"),
            (long.as_str(), "needles"),
        ] {
            assert_eq!(
                contains(haystack, needle),
                haystack.contains(needle),
                "{needle}"
            );
        }
    }

    /// A piece of a pattern of the shapes the texts shortcut takes: the pattern text, and the
    /// texts it stands for.
    fn piece() -> impl Strategy<Value = (String, Vec<String>)> {
        let text = "[^\\x00]{0,3}".prop_map(|t| (regex::escape(&t), vec![t]));
        let class = prop::sample::select(vec![
            ("[ab]", vec!["a", "b"]),
            ("[0-2]", vec!["0", "1", "2"]),
            ("[X-Zq]", vec!["X", "Y", "Z", "q"]),
        ])
        .prop_map(|(p, t)| (p.to_owned(), t.into_iter().map(String::from).collect()));
        let group = prop::collection::vec("[^\\x00]{0,3}", 1..4).prop_map(|alternatives| {
            let escaped: Vec<String> = alternatives.iter().map(|a| regex::escape(a)).collect();
            (format!("({})", escaped.join("|")), alternatives)
        });
        prop_oneof![text, class, group]
    }

    proptest! {
        /// Patterns of texts, classes and groups, perhaps anchored, match exactly where the
        /// regex does, on haystacks that contain their texts and on others.
        #[test]
        fn texts_match_as_the_regex_does(
            pieces in prop::collection::vec(piece(), 0..4),
            haystack in "[^\\x00]{0,16}",
            start in any::<bool>(),
            end in any::<bool>(),
        ) {
            let mut pattern = String::from(if start { "^" } else { "" });
            let mut texts = vec![String::new()];
            for (piece, alternatives) in &pieces {
                pattern.push_str(piece);
                texts = texts
                    .iter()
                    .flat_map(|t| alternatives.iter().map(move |a| format!("{t}{a}")))
                    .collect();
            }
            if end {
                pattern.push('$');
            }
            let fast = Pattern::new(&pattern).unwrap();
            prop_assert!(matches!(fast, Pattern::Literals { .. }), "{}", pattern);
            let regex = compile(&pattern).unwrap();
            let text = texts.first().cloned().unwrap_or_default();
            for haystack in [
                haystack.clone(),
                format!("{haystack}{text}"),
                format!("{text}{haystack}"),
                text.clone(),
            ] {
                prop_assert_eq!(
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
