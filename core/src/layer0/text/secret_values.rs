//! Secret values in a text: a secret written into a record, a rule or a message leaks it.
//!
//! On the original text (secrets are case-sensitive), in every voice: a Cloudflare API token or
//! Global API Key assigned to a name (or just after the word "token"), a bare 37-hex-digit Global
//! API Key, a tunnel token (base64 JSON with `a`, `t` and `s` members), cloudflared credentials, a
//! PEM private key, a JWT, well-known vendor keys, a bearer token, and a random-looking value
//! assigned to a secret-sounding name (`password=…`, `client_secret: …`).
//!
//! Public values that look random are not secrets: DKIM `p=` keys, `_amazonses` and
//! `_acme-challenge` tokens and `*-verification=` codes carry no secret-sounding name and are left
//! alone, as are placeholders (`${TOKEN}`, `<your_api_key>`) and hex digests. A finding's detail
//! says what was found and how long it is, never the value.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use regex::Regex;

use super::patterns::compile;
use super::TextFinding;
use crate::layer0::{Flag, Span};

/// A rule for secret values: id, what it is, pattern (case-sensitive, on the original text) and
/// the capture group holding the value (0 for the whole match).
struct ValueRule {
    id: &'static str,
    what: &'static str,
    pattern: &'static str,
    group: usize,
    check: fn(&str, &str) -> bool,
    /// For a pattern whose value group ends it as `{8,N}`, N: the rule runs as `{8}` and the
    /// value is extended by hand to at most N characters, because the counted repetition makes
    /// the automaton hundreds of states large, rebuilt (tens of microseconds) for new texts.
    longest_value: Option<usize>,
    /// What a text needs for the rule to match at all (see [`Clues`]): most texts lack it, and
    /// then the rule's automaton does not run over them.
    needs: Needs,
}

/// A rule's precondition, checked on [`Clues`].
#[derive(Clone, Copy)]
enum Needs {
    /// One of these lowercase words in the case-folded text.
    AnyOf(&'static [&'static str]),
    /// A run of 37 lowercase hex digits.
    HexRun,
    /// One of these words, and a run of 40 token characters (`[A-Za-z0-9_-]`).
    AnyOfWithTokenRun(&'static [&'static str]),
}

fn any_value(_: &str, _: &str) -> bool {
    true
}

/// Most specific first: a value found by one rule is not reported again by a later one.
const VALUE_RULES: &[ValueRule] = &[
    ValueRule {
        id: "secret.private_key",
        what: "a PEM private key",
        pattern: r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        group: 0,
        check: any_value,
        longest_value: None,
        needs: Needs::AnyOf(&["-----begin "]),
    },
    ValueRule {
        id: "secret.cloudflare_api_token",
        what: "a Cloudflare API token",
        pattern: r#"(?i:\b(?:cloudflare|cf)[_-]?(?:api[_-]?)?token)["']?[ \t]*(?:[:=]|=>)[ \t]*["']?([A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$)"#,
        group: 1,
        check: any_value,
        longest_value: None,
        needs: Needs::AnyOfWithTokenRun(&["token"]),
    },
    ValueRule {
        id: "secret.cloudflare_api_token",
        what: "a Cloudflare API token",
        // "my API token is …", "token for CI: …": a 40-character token shortly after the word.
        pattern: r#"(?i:\btoken\b)[^\n]{0,30}?(?:^|[^A-Za-z0-9_-])([A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$)"#,
        group: 1,
        check: mixed_case_random,
        longest_value: None,
        needs: Needs::AnyOfWithTokenRun(&["token"]),
    },
    ValueRule {
        id: "secret.cloudflare_global_api_key",
        what: "a Cloudflare Global API Key",
        pattern: r"(?:^|[^0-9A-Za-z_-])([0-9a-f]{37})(?:[^0-9A-Za-z_-]|$)",
        group: 1,
        check: any_value,
        longest_value: None,
        needs: Needs::HexRun,
    },
    ValueRule {
        id: "secret.tunnel_credentials",
        what: "a cloudflared tunnel credentials file",
        pattern: r#"(?i)"?tunnel_?secret"?[ \t]*:[ \t]*"([A-Za-z0-9+/=]{20,})""#,
        group: 1,
        check: any_value,
        longest_value: None,
        needs: Needs::AnyOf(&["tunnel"]),
    },
    ValueRule {
        id: "secret.jwt",
        what: "a JSON Web Token",
        pattern: r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        group: 0,
        check: any_value,
        longest_value: None,
        needs: Needs::AnyOf(&["eyj"]),
    },
    ValueRule {
        id: "secret.vendor_key",
        what: "a well-known vendor key (AWS, GitHub, GitLab, Slack, Stripe, Google)",
        pattern: r"\b(?:(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|glpat-[0-9A-Za-z_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|[sr]k_live_[0-9A-Za-z]{16,}|AIza[0-9A-Za-z_-]{35})\b",
        group: 0,
        check: any_value,
        longest_value: None,
        needs: Needs::AnyOf(&[
            "akia",
            "asia",
            "gh",
            "github_pat_",
            "glpat-",
            "xox",
            "k_live_",
            "aiza",
        ]),
    },
    ValueRule {
        id: "secret.bearer_token",
        what: "a bearer token",
        pattern: r"(?i:\bbearer)[ \t]+([A-Za-z0-9_\-.~+/]{20,}=*)",
        group: 1,
        check: looks_random,
        longest_value: None,
        needs: Needs::AnyOf(&["bearer"]),
    },
    ValueRule {
        id: "secret.generic",
        what: "a secret-looking value assigned to a secret name",
        pattern: r#"(?i)([a-z0-9_.-]{0,40}?(?:token|secret|passw(?:or)?d|passphrase|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?key|credentials?|x-auth-key))["']?(?:[ \t]*(?:[:=]|=>|:=)|[ \t]+is)[ \t]*["']?([^\s"'`,;<>(){}\[\]]{8,200})"#,
        group: 2,
        check: generic_secret,
        longest_value: Some(200),
        needs: Needs::AnyOf(&[
            "token",
            "secret",
            "passw",
            "passphrase",
            "pwd",
            "key",
            "credential",
        ]),
    },
];

static VALUE_REGEXES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    VALUE_RULES
        .iter()
        .map(|r| compile(&fast_pattern(r)))
        .collect()
});

/// The pattern a rule runs as: with `longest_value`, the value's `{8,N}` becomes `{8}`.
fn fast_pattern(rule: &ValueRule) -> String {
    match rule.longest_value {
        Some(n) => rule.pattern.replace(&format!("{{8,{n}}})"), "{8})"),
        None => rule.pattern.to_owned(),
    }
}

/// Whether `c` may be part of a generic secret's value (`[^\s"'`,;<>(){}\[\]]`).
fn in_generic_value(c: char) -> bool {
    !c.is_whitespace() && !"\"'`,;<>(){}[]".contains(c)
}

/// Where a value found as its first 8 characters ends when read on to at most `longest`
/// characters, as the `{8,N}` repetition would.
fn extend_value(text: &str, after_eight: usize, longest: usize) -> usize {
    let mut end = after_eight;
    for c in text[after_eight..].chars().take(longest - 8) {
        if !in_generic_value(c) {
            break;
        }
        end += c.len_utf8();
    }
    end
}

/// Adds a finding for every secret value in `text` (original, not normalised).
pub(crate) fn values(text: &str, out: &mut Vec<TextFinding>) {
    let mut found: Vec<Span> = Vec::new();
    let overlaps =
        |found: &[Span], s: Span| found.iter().any(|f| f.start < s.end && s.start < f.end);
    for span in tunnel_tokens(text) {
        found.push(span);
        out.push(value_finding(
            "secret.tunnel_token",
            "a Cloudflare Tunnel token",
            span,
        ));
    }
    let clues = Clues::of(text);
    // Each rule's own automaton, not one set of them all: most rules start with a literal that
    // the regex engine skips to, while the set's automaton has the bounded repetitions of every
    // rule at once and costs tens of nanoseconds a byte (its states are rebuilt for each new text).
    for (rule, re) in VALUE_RULES.iter().zip(VALUE_REGEXES.iter()) {
        if !clues.allow(rule.needs) {
            continue;
        }
        let mut reported = 0;
        let mut at = 0;
        // The automaton finds each match; the slower capture engine runs only on a match whose
        // value may be new (a value already reported by a more specific rule is skipped).
        while let Some(m) = re.find_at(text, at) {
            if reported == super::MAX_PER_RULE {
                break;
            }
            let end = match rule.longest_value {
                Some(n) => extend_value(text, m.end(), n),
                None => m.end(),
            };
            // Matches are never empty (every rule needs a value), so this moves on.
            at = end;
            let (value, name) = if rule.group == 0 {
                (m.range(), "")
            } else {
                // The value group ends at most one character (4 bytes) before the match and is
                // at least 8 bytes long, so it holds this byte: when a reported span does too,
                // the value overlaps it, which is all the captures would tell.
                let inside = end.saturating_sub(5);
                if found.iter().any(|f| f.start <= inside && inside < f.end) {
                    continue;
                }
                let Some(caps) = re.captures_at(text, m.start()) else {
                    continue;
                };
                let Some(value) = caps.get(rule.group) else {
                    continue;
                };
                let value_end = if rule.longest_value.is_some() {
                    end
                } else {
                    value.end()
                };
                (
                    value.start()..value_end,
                    caps.get(1).map_or("", |m| m.as_str()),
                )
            };
            let span = Span {
                start: value.start,
                end: value.end,
            };
            if overlaps(&found, span) {
                continue;
            }
            // `secret = base64encode("…")`: a function's name is not a value.
            let called = text[value.end..].starts_with('(');
            if called || !(rule.check)(name, &text[value]) {
                continue;
            }
            found.push(span);
            reported += 1;
            out.push(value_finding(rule.id, rule.what, span));
        }
    }
}

/// What a text offers the rules' preconditions: which [`Needs`] words it has (ASCII
/// case-insensitively, in one pass), whether it has a run of 37 lowercase hex digits and one of
/// 40 token characters. Checking a rule's [`Needs`] on it is a bit test instead of a pass of the
/// rule's automaton.
struct Clues {
    words: u64,
    hex_run: bool,
    token_run: bool,
}

/// Every [`Needs::AnyOf`] word, and the Kelvin sign and long s, which `(?i)` folds into `k` and
/// `s`: a text with either may spell a word in a way the ASCII search misses, and lets every
/// rule run.
static CLUE_WORDS: LazyLock<(Vec<&'static str>, AhoCorasick)> = LazyLock::new(|| {
    let mut words: Vec<&'static str> = VALUE_RULES
        .iter()
        .flat_map(|r| match r.needs {
            Needs::AnyOf(words) | Needs::AnyOfWithTokenRun(words) => words.to_vec(),
            Needs::HexRun => Vec::new(),
        })
        .chain(FOLDS_INTO_ASCII.iter().copied())
        .collect();
    words.sort_unstable();
    words.dedup();
    assert!(words.len() <= 64, "clue words fit a u64");
    let automaton = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(&words)
        .expect("clue words are plain strings");
    (words, automaton)
});

fn is_hex(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'a'..=b'f')
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

/// Whether `bytes` has a run of at least `n` bytes of a class. Looks at every `n`th byte (any
/// such run covers one) and only around those in the class.
fn has_run(bytes: &[u8], n: usize, in_class: fn(u8) -> bool) -> bool {
    let mut i = n - 1;
    while i < bytes.len() {
        if !in_class(bytes[i]) {
            i += n;
            continue;
        }
        let mut low = i;
        while low > 0 && in_class(bytes[low - 1]) {
            low -= 1;
        }
        let mut high = i + 1;
        while high < bytes.len() && in_class(bytes[high]) {
            if high + 1 - low >= n {
                return true;
            }
            high += 1;
        }
        if high - low >= n {
            return true;
        }
        // `high` is not in the class: a run after it starts at `high + 1` or later and covers
        // `high + n`.
        i = high + n;
    }
    false
}

/// Characters outside ASCII that Unicode simple case folding maps into `a`-`z`.
const FOLDS_INTO_ASCII: [&str; 2] = ["\u{212A}", "\u{017F}"];

impl Clues {
    fn of(text: &str) -> Clues {
        let (words, automaton) = &*CLUE_WORDS;
        // Leftmost matches, restarting one byte after each: every occurrence of every word is
        // seen (no word is a prefix of another, so none hides behind another at the same start),
        // and the search keeps its fast prefilter, which an overlapping search would not.
        let mut found = 0u64;
        let mut at = 0;
        while let Some(m) = automaton.find(Input::new(text).span(at..text.len())) {
            found |= 1 << m.pattern().as_usize();
            at = m.start() + 1;
        }
        if FOLDS_INTO_ASCII
            .iter()
            .filter_map(|c| words.binary_search(c).ok())
            .any(|k| found & (1 << k) != 0)
        {
            found = u64::MAX;
        }
        Clues {
            words: found,
            hex_run: has_run(text.as_bytes(), 37, is_hex),
            token_run: has_run(text.as_bytes(), 40, is_token_char),
        }
    }

    fn allow(&self, needs: Needs) -> bool {
        match needs {
            Needs::AnyOf(wanted) => self.has_any(wanted),
            Needs::HexRun => self.hex_run,
            Needs::AnyOfWithTokenRun(wanted) => self.token_run && self.has_any(wanted),
        }
    }

    fn has_any(&self, wanted: &[&str]) -> bool {
        let words = &CLUE_WORDS.0;
        wanted.iter().any(|w| {
            words
                .binary_search(w)
                .is_ok_and(|k| self.words & (1 << k) != 0)
        })
    }
}

fn value_finding(rule: &'static str, what: &str, span: Span) -> TextFinding {
    TextFinding {
        flag: Flag::SecretExfiltration,
        rule,
        span,
        detail: format!(
            "carries {what} ({} characters, not shown)",
            span.end - span.start
        ),
    }
}

/// Tunnel tokens: base64 runs from `eyJ` (`{"`) that decode to a JSON object with `a`, `t`, `s`.
fn tunnel_tokens(text: &str) -> Vec<Span> {
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-');
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("eyJ") {
        if spans.len() == super::MAX_PER_RULE {
            break;
        }
        let start = from + pos;
        let mut end = start;
        while end < bytes.len() && is_b64(bytes[end]) {
            end += 1;
        }
        if (40..=8192).contains(&(end - start)) && is_tunnel_token(&text[start..end]) {
            spans.push(Span { start, end });
        }
        from = end.max(start + 3);
    }
    spans
}

fn is_tunnel_token(run: &str) -> bool {
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let body = run.trim_end_matches('=');
    let alphabet = if body.contains(['-', '_']) {
        &alphabet::URL_SAFE
    } else {
        &alphabet::STANDARD
    };
    let Ok(decoded) = GeneralPurpose::new(alphabet, config).decode(body) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&decoded) {
        Ok(serde_json::Value::Object(map)) => ["a", "t", "s"].iter().all(|k| map.contains_key(*k)),
        _ => false,
    }
}

/// Shannon entropy in bits per byte.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Random-looking: long enough, varied characters, more than one character class.
fn looks_random(_: &str, value: &str) -> bool {
    let classes = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
        value.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    value.len() >= 12 && classes >= 2 && entropy(value) >= 3.0
}

/// Random with both cases: a token, not a hex digest (`9fceb02d…`, a commit id).
fn mixed_case_random(name: &str, value: &str) -> bool {
    value.bytes().any(|b| b.is_ascii_uppercase())
        && value.bytes().any(|b| b.is_ascii_lowercase())
        && looks_random(name, value)
}

/// Names that contain a secret word but hold something public (`token_id`, `next_token`,
/// `site-verification-token`).
const PUBLIC_NAME_PARTS: &[&str] = &[
    "verification",
    "challenge",
    "csrf",
    "xsrf",
    "site",
    "domain",
    "next",
    "page",
    "cursor",
    "continuation",
    "count",
    "type",
    "_id",
    "-id",
    "url",
    "path",
    "file",
    "length",
    "expir",
    "ttl",
    "scope",
    "name",
    "policy",
    "policies",
    "status",
    "turnstile",
];

/// Values that stand for a secret without being one.
const PLACEHOLDER_PARTS: &[&str] = &[
    "xxxx",
    "****",
    "redacted",
    "example",
    "changeme",
    "your_",
    "your-",
    "<",
    "${",
    "{{",
    "$(",
    "os.environ",
    "process.env",
    "placeholder",
    "dummy",
    "...",
];

fn generic_secret(name: &str, value: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let lower = value.to_ascii_lowercase();
    if PUBLIC_NAME_PARTS.iter().any(|p| name.contains(p))
        || PLACEHOLDER_PARTS.iter().any(|p| lower.contains(p))
        || value.starts_with(['/', '~', '.', '$', '%'])
        || lower.contains("://")
    {
        return false;
    }
    let password = name.contains("pass") || name.ends_with("pwd");
    if password {
        value.len() >= 8 && entropy(value) >= 2.5
    } else {
        looks_random(&name, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn value_rules(text: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        values(text, &mut out);
        for f in &out {
            assert!(
                !f.detail.contains(&text[f.span.start..f.span.end]),
                "detail leaks the value"
            );
        }
        out.iter().map(|f| f.rule).collect()
    }

    /// The value rules as they ran before the word prefilter and the find-then-capture loop:
    /// every rule's set member and captures on every match. The reference the fast path must
    /// agree with.
    fn values_reference(text: &str) -> Vec<TextFinding> {
        static ANY_VALUE: LazyLock<regex::RegexSet> = LazyLock::new(|| {
            super::super::patterns::compile_set(VALUE_RULES.iter().map(|r| r.pattern))
        });
        let mut out = Vec::new();
        let mut found: Vec<Span> = Vec::new();
        for span in tunnel_tokens(text) {
            found.push(span);
            out.push(value_finding(
                "secret.tunnel_token",
                "a Cloudflare Tunnel token",
                span,
            ));
        }
        static FULL: LazyLock<Vec<Regex>> =
            LazyLock::new(|| VALUE_RULES.iter().map(|r| compile(r.pattern)).collect());
        let armed = ANY_VALUE.matches(text);
        for (k, (rule, re)) in VALUE_RULES.iter().zip(FULL.iter()).enumerate() {
            if !armed.matched(k) {
                continue;
            }
            let mut reported = 0;
            for caps in re.captures_iter(text) {
                if reported == super::super::MAX_PER_RULE {
                    break;
                }
                let value = caps.get(rule.group).expect("value group");
                let span = Span {
                    start: value.start(),
                    end: value.end(),
                };
                if found
                    .iter()
                    .any(|f| f.start < span.end && span.start < f.end)
                {
                    continue;
                }
                let name = caps.get(1).map_or("", |m| m.as_str());
                let called = text[value.end()..].starts_with('(');
                if called || !(rule.check)(name, value.as_str()) {
                    continue;
                }
                found.push(span);
                reported += 1;
                out.push(value_finding(rule.id, rule.what, span));
            }
        }
        out
    }

    fn fast(text: &str) -> Vec<TextFinding> {
        let mut out = Vec::new();
        values(text, &mut out);
        out
    }

    /// One positive example for every value rule (by index in [`VALUE_RULES`]).
    const RULE_EXAMPLES: [&str; 9] = [
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl",
        "CF_API_TOKEN: \"l6XEQvCtAPlEIfhtz277bsOI_VtFJssnVltTf-Pw\"",
        "the token for CI is l6XEQvCtAPlEIfhtz277bsOI_VtFJssnVltTf-Pw.",
        "key 0123456789abcdef0123456789abcdef01234 here",
        "{\"TunnelSecret\": \"XWvZX8Xz/1T8MprbLMkJbfzIXa8xDfIKrtCHkFfLr08=\"}",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789ab",
        "Authorization: Bearer 8f3kQ9zLm2Xv7RtY1wPaB4cD",
        "db_password = 'Tr0ub4dor&3x'",
    ];

    #[test]
    fn every_rule_still_fires_on_its_own_example() {
        for (rule, example) in VALUE_RULES.iter().zip(RULE_EXAMPLES) {
            assert!(
                Clues::of(example).allow(rule.needs),
                "prefilter drops {example}"
            );
            let found = fast(example);
            assert!(
                found.iter().any(|f| f.rule == rule.id),
                "{} on {example}",
                rule.id
            );
            assert_eq!(found, values_reference(example), "{example}");
        }
        // A value inside an already reported tunnel token is skipped, as before.
        let body = r#"{"a":"a41e07c95d2b4f86be13c0d7f92e6a58","t":"6f1c9e2a-0d4b-4f7e-8c35-b19a7d62e4f0","s":"XWvZX8Xz/1T8MprbLMkJbfzIXa8xDfIKrtCHkFfLr08="}"#;
        let text = format!("tunnel secret: {}", STANDARD.encode(body));
        assert_eq!(fast(&text), values_reference(&text));
        assert_eq!(value_rules(&text), ["secret.tunnel_token"]);
        // Unicode case folding: the Kelvin sign is a `k` to the rules and to the prefilter.
        let kelvin = "api_\u{212A}ey = 'q8Zr3LmX0vT7kPw2Yb5N'";
        assert_eq!(fast(kelvin), values_reference(kelvin));
    }

    #[test]
    fn no_clue_word_hides_another() {
        let words = &CLUE_WORDS.0;
        for a in words {
            for b in words {
                assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn runs_are_found_by_sampling(text in "[0-9a-fxA_.é-]{0,120}", n in 1usize..45) {
            let by_scan = |class: fn(u8) -> bool| {
                text.as_bytes()
                    .split(|&b| !class(b))
                    .any(|run| run.len() >= n)
            };
            proptest::prop_assert_eq!(has_run(text.as_bytes(), n, is_hex), by_scan(is_hex));
            proptest::prop_assert_eq!(
                has_run(text.as_bytes(), n, is_token_char),
                by_scan(is_token_char)
            );
        }

        #[test]
        fn clues_see_every_word(prefix in "[a-z .]{0,20}", k in 0usize..64, suffix in "[a-z .]{0,20}") {
            let words = &CLUE_WORDS.0;
            let word = words[k % words.len()];
            let clues = Clues::of(&format!("{prefix}{}{suffix}", word.to_ascii_uppercase()));
            let index = words.binary_search(&word).unwrap();
            proptest::prop_assert!(clues.words & (1 << index) != 0, "{}", word);
        }
    }

    #[test]
    fn every_vendor_key_passes_the_prefilter() {
        let vendor = &VALUE_RULES[6];
        assert_eq!(vendor.id, "secret.vendor_key");
        for key in [
            "AKIAIOSFODNN7EXAMPLE",
            "ASIAIOSFODNN7EXAMPLE",
            "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789ab",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
            "glpat-aBcDeFgHiJkLmNoPqRsT",
            "xoxb-1234567890-abcdefghij",
            "sk_live_0123456789abcdefXYZ",
            "rk_live_0123456789abcdefXYZ",
            "AIzaSyA-0123456789abcdefghijklmnopqrstu",
        ] {
            assert!(Clues::of(key).allow(vendor.needs), "{key}");
            assert_eq!(value_rules(key), ["secret.vendor_key"], "{key}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_with_the_reference(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(RULE_EXAMPLES.to_vec()),
                    proptest::sample::select(vec![
                        " ", "\n", "=", ": ", "\"", "token", "secret", "password", "Bearer ",
                        "eyJ", "l6XEQvCtAPlEIfhtz277bsOI_VtFJssnVltTf-Pw", "0123456789abcdef",
                        "q8Zr3LmX0vT7kPw2Yb5N", "é", "(", "${X}", " is ", ";", "\t", ":=", "=>",
                        "api_\u{212A}ey", "`",
                        // Three of these make a value longer than the 200 characters read.
                        "Zq9Lm3Xv7RtY1wPaB4cDZq9Lm3Xv7RtY1wPaB4cDZq9Lm3Xv7RtY1wPaB4cDZq9Lm3Xv7RtY1wPaB4cD",
                    ]),
                ],
                0..10,
            )
        ) {
            let text = parts.concat();
            proptest::prop_assert_eq!(fast(&text), values_reference(&text));
        }

        #[test]
        fn long_values_agree_with_the_reference(name in "[a-z_]{0,50}(token|secret|password)", len in 1usize..260, sep in "( is |=|: |:=)") {
            let value: String = "Zq9Lm3Xv7RtY1wPa".chars().cycle().take(len).collect();
            let text = format!("{name}{sep}{value} and {name}{sep}'{value}'");
            proptest::prop_assert_eq!(fast(&text), values_reference(&text));
        }
    }

    #[test]
    fn patterns_compile() {
        assert_eq!(VALUE_REGEXES.len(), VALUE_RULES.len());
        for rule in VALUE_RULES.iter().filter(|r| r.longest_value.is_some()) {
            assert_ne!(
                fast_pattern(rule),
                rule.pattern,
                "{}: no {{8,N}} to shorten",
                rule.id
            );
        }
    }

    #[test]
    fn cloudflare_tokens_and_keys() {
        assert_eq!(
            value_rules(
                "temp for CI: CLOUDFLARE_API_TOKEN=l6XEQvCtAPlEIfhtz277bsOI_VtFJssnVltTf-Pw"
            ),
            ["secret.cloudflare_api_token"]
        );
        assert_eq!(
            value_rules("cf_api_token=d3yuZroUIC7noaYRPYq06FvPz1yHHjCn-p_vlV0k"),
            ["secret.cloudflare_api_token"]
        );
        assert_eq!(
            value_rules("X-Auth-Key: 0123456789abcdef0123456789abcdef01234"),
            ["secret.cloudflare_global_api_key"]
        );
        // A 32-hex id is not a key.
        assert!(value_rules("zone 023e105f4ecef8ad9ca31a8372d0c353").is_empty());
    }

    #[test]
    fn tunnel_token_is_recognised_by_its_members() {
        let body = r#"{"a":"a41e07c95d2b4f86be13c0d7f92e6a58","t":"6f1c9e2a-0d4b-4f7e-8c35-b19a7d62e4f0","s":"XWvZX8Xz/1T8MprbLMkJbfzIXa8xDfIKrtCHkFfLr08="}"#;
        let token = STANDARD.encode(body);
        assert_eq!(
            value_rules(&format!("tunnel secret: {token}")),
            ["secret.tunnel_token"]
        );
        let other =
            STANDARD.encode(r#"{"alg":"none","typ":"x","note":"not a tunnel token at all"}"#);
        assert!(value_rules(&other).is_empty());
    }

    #[test]
    fn other_secret_values() {
        assert_eq!(
            value_rules("-----BEGIN RSA PRIVATE KEY-----\nMIIEow"),
            ["secret.private_key"]
        );
        assert_eq!(value_rules("AKIAIOSFODNN7EXAMPLE"), ["secret.vendor_key"]);
        assert_eq!(
            value_rules("Authorization: Bearer 8f3kQ9zLm2Xv7RtY1wPaB4cD"),
            ["secret.bearer_token"]
        );
        assert_eq!(
            value_rules("client_secret = 'q8Zr3LmX0vT7kPw2Yb5N'"),
            ["secret.generic"]
        );
        assert_eq!(value_rules("db password: Tr0ub4dor&3x"), ["secret.generic"]);
        assert_eq!(
            value_rules("the db password is Tr0ub4dor&3x"),
            ["secret.generic"]
        );
        assert_eq!(
            value_rules("here is my API token l6XEQvCtAPlEIfhtz277bsOI_VtFJssnVltTf-Pw, keep it"),
            ["secret.cloudflare_api_token"]
        );
        // A git commit id after "token" is not random enough to be one.
        assert!(
            value_rules("token rotated in 9fceb02d0ae598e95dc970b74767f19372d61af8").is_empty()
        );
        assert_eq!(
            value_rules("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
            ["secret.jwt"]
        );
    }

    #[test]
    fn public_values_are_not_secrets() {
        for t in [
            "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAVbV7q54IWsXsuqhTyf5EvYPvOc6j7vfOLbmJ",
            "pmBGN/7MjnfhTKUZ06Enqq1PeGUaOkw8lGhcfwefcHU=",
            "9ihDbjYfTExAYeDs4DBUeuTo18KBzwvTEjUnSwd32-c",
            "google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ",
            "apple-domain-verification=Wk3pV9sQ2aLmT7xZ",
            "\"token_id\": \"9b2e4d713c6a4e8fa0d57f14c2b96e38\"",
            "next_token=AbCdEf0123456789XyZ",
            "password: ${DB_PASSWORD}",
            "api_key=<your_api_key>",
            "\"credentials_file\": \"/root/.cloudflared/6f1c.json\"",
            "tunnel_secret = base64encode(\"test-secret-that-is-at-least-32-bytes-long\")",
        ] {
            assert!(value_rules(t).is_empty(), "{t}");
        }
    }
}
