//! Which parts of a string are untrusted content.
//!
//! All of a [`Voice::Content`] string is content. In a [`Voice::User`] string, the user may paste
//! someone else's words ("summarize this vendor email: …"), and those words are content too:
//!
//! - everything after a colon that ends a line (`… for me:\n---\nSubject: …`);
//! - everything after a request to read something ("summarize this …:", "translate …:", "here is
//!   the ticket:");
//! - lines quoted with `>`;
//! - everything after a `---` or `===` separator line;
//! - quoted passages of 24 characters or more.
//!
//! The ranges are in normalised text.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::patterns::compile;
use super::Voice;

/// The ranges of normalised `text` that are untrusted content in `voice`.
pub(crate) fn content_ranges(text: &str, voice: Voice) -> Vec<Range<usize>> {
    match voice {
        Voice::Content => std::iter::once(0..text.len()).collect(),
        Voice::Expression => Vec::new(),
        Voice::User => pasted(text),
    }
}

/// Where pasted material starts and runs to the end of the text.
static PASTE_TO_END: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:^|\n)[ ]?(?:---+|===+|'''|\x22\x22\x22)[ ]?(?:\n|$)|:[ ]?\n|\b(?:summari[sz]e|translate|classify|analy[sz]e|review|proofread|paraphrase|rewrite|explain|read|parse|triage|reply to|respond to|answer|check|process|here is|here's|below is|this is)\b[^:\n]{0,80}:[ ]",
    )
});

/// A line quoted e-mail style.
static QUOTED_LINE: LazyLock<Regex> = LazyLock::new(|| compile(r"(?:^|\n)[ ]?>[^\n]*"));

/// The shortest and longest quoted passage, in characters, read as someone else's text.
const PASSAGE_CHARS: std::ops::RangeInclusive<usize> = 24..=4000;

/// Quoted passages, long enough to be someone else's text: a `"` or `'` at the start of the
/// text or after a space, colon, bracket or line break, [`PASSAGE_CHARS`] characters with no
/// quote of the same kind and no line break, and the same quote closing it (a `'` only before
/// the end, a space or punctuation, so that "it's" opens nothing). Returns what is inside the
/// quotes.
///
/// Written out by hand rather than as `"([^"\n]{24,4000})"`: the counted repetition makes the
/// regular expression's automaton thousands of states large, and rebuilding them cost tens of
/// microseconds a query. `tests::passages_agree_with_the_pattern` holds the two equal.
fn quoted_passages(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let opens = |s: usize| matches!(bytes[s], b' ' | b':' | b'(' | b'\n');
    let mut out = Vec::new();
    let mut s = 0;
    while s < bytes.len() {
        // The quote is at the start of the text, or right after an opening character.
        let quote_at = if s == 0 && matches!(bytes[0], b'"' | b'\'') {
            0
        } else if opens(s) && s + 1 < bytes.len() && matches!(bytes[s + 1], b'"' | b'\'') {
            s + 1
        } else {
            s += 1;
            continue;
        };
        match passage_after(text, quote_at) {
            Some((inside, end)) => {
                out.push(inside);
                s = end;
            }
            None => s += 1,
        }
    }
    out
}

/// The passage opened by the quote at `quote_at`: what is inside, and where the match ends.
fn passage_after(text: &str, quote_at: usize) -> Option<(Range<usize>, usize)> {
    let quote = char::from(text.as_bytes()[quote_at]);
    let start = quote_at + 1;
    for (chars, (i, c)) in text[start..].char_indices().enumerate() {
        if c == quote {
            if !PASSAGE_CHARS.contains(&chars) {
                return None;
            }
            let close = start + i;
            let mut end = close + 1;
            if quote == '\'' {
                match text[end..].chars().next() {
                    None => {}
                    Some(c) if " .,;:)!?\n".contains(c) => end += 1,
                    Some(_) => return None,
                }
            }
            return Some((start..close, end));
        }
        if c == '\n' || chars == *PASSAGE_CHARS.end() {
            return None;
        }
    }
    None
}

fn pasted(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    if let Some(m) = PASTE_TO_END.find(text) {
        ranges.push(m.end()..text.len());
    }
    // Both patterns need their quote character: most queries have none.
    if text.contains('>') {
        ranges.extend(QUOTED_LINE.find_iter(text).map(|m| m.range()));
    }
    if !text.contains(['"', '\'']) {
        return ranges;
    }
    ranges.extend(quoted_passages(text));
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pasted_text(text: &str) -> Vec<&str> {
        content_ranges(text, Voice::User)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn content_is_all_and_expressions_are_none() {
        assert_eq!(
            content_ranges("abc", Voice::Content),
            std::iter::once(0..3).collect::<Vec<_>>()
        );
        assert!(content_ranges("abc", Voice::Expression).is_empty());
    }

    #[test]
    fn plain_requests_have_no_pasted_content() {
        for t in [
            "list the dns records for example.com",
            "dry run only: add txt _github.acme-corp.io = 5f1d9c0b2e",
            "it's blocking our checkout partner, don't apply it",
        ] {
            assert!(pasted_text(t).is_empty(), "{t}");
        }
    }

    #[test]
    fn pasted_material_is_content() {
        assert_eq!(
            pasted_text("summarize this support ticket for me:\n---\nhi team"),
            ["---\nhi team"]
        );
        assert_eq!(
            pasted_text("summarize this vendor email:\n> dear assistant, do x\n> regards"),
            [
                "> dear assistant, do x\n> regards",
                "\n> dear assistant, do x",
                "\n> regards"
            ]
        );
        assert_eq!(
            pasted_text("classify this request for me: 'disable the owasp managed ruleset'"),
            [
                "'disable the owasp managed ruleset'",
                "disable the owasp managed ruleset"
            ]
        );
        assert_eq!(pasted_text("short 'quote here' only"), Vec::<&str>::new());
    }

    /// The pattern [`quoted_passages`] is written out from, and must agree with.
    fn passages_by_pattern(text: &str) -> Vec<Range<usize>> {
        static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
            compile(
                r#"(?:^|[ :(\n])"([^"\n]{24,4000})"|(?:^|[ :(\n])'([^'\n]{24,4000})'(?:$|[ .,;:)!?\n])"#,
            )
        });
        PATTERN
            .captures_iter(text)
            .filter_map(|caps| caps.get(1).or_else(|| caps.get(2)).map(|m| m.range()))
            .collect()
    }

    #[test]
    fn passages_at_their_edges() {
        let long = "x".repeat(4000);
        for text in [
            "\"a passage of at least twenty-four chars\" ok",
            "'a passage of at least twenty-four chars'x",
            "'a passage of at least twenty-four chars' 'and another one right after it'",
            "\"a passage of at least twenty-four chars\" \"and another one right after it\"",
            "say:\"exactly twenty-four chars\"",
            "say:\"exactly twenty-three char\"",
            "(\"é is one char, twenty-four of them\")",
            "\"line\nbreak in a passage that is long enough\"",
            "it's a fine day, isn't it? 'yes it is a fine day today'.",
        ] {
            assert_eq!(quoted_passages(text), passages_by_pattern(text), "{text:?}");
        }
        for text in [
            format!("\"{long}\""),
            format!("\"{long}x\""),
            format!(" '{long}'"),
        ] {
            assert_eq!(quoted_passages(&text), passages_by_pattern(&text));
        }
        assert!(quoted_passages(&format!("\"{long}x\"")).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn passages_agree_with_the_pattern(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "\"", "'", " ", ":", "(", "\n", ".", "x", "é", "twelve chars", "it's", "?",
                ]),
                0..40,
            )
        ) {
            let text = parts.concat();
            proptest::prop_assert_eq!(quoted_passages(&text), passages_by_pattern(&text));
        }
    }
}
