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

/// A quoted passage, long enough to be someone else's text.
static QUOTED_PASSAGE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r#"(?:^|[ :(\n])"([^"\n]{24,4000})"|(?:^|[ :(\n])'([^'\n]{24,4000})'(?:$|[ .,;:)!?\n])"#,
    )
});

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
    for caps in QUOTED_PASSAGE.captures_iter(text) {
        if let Some(m) = caps.get(1).or_else(|| caps.get(2)) {
            ranges.push(m.range());
        }
    }
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
}
