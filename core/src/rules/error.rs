//! Errors of the Rules-language engine: a message, a byte span, an optional hint, and a caret
//! rendering like a compiler's.

use std::fmt;

/// An expression Cloudflare would reject, and where.
///
/// `offset` and `end` are byte offsets into the expression text (`end` is exclusive and never
/// before `offset`). [`RulesError::render`] draws the line with carets under the span.
///
/// ```
/// let source = r#"http.request.uri.path contans "/admin""#;
/// let err = cfcp::rules::parse_filter(source).unwrap_err();
/// assert_eq!(err.offset, 22);
/// assert!(err.message.contains(r#"found "contans""#));
/// assert_eq!(err.help.as_deref(), Some("did you mean `contains`?"));
/// let picture = err.render(source);
/// assert_eq!(picture.lines().nth(1).unwrap().trim_start().split(' ').next(), Some("^^^^^^^"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    /// What is wrong (`expected a comparison operator after field http.host, found "contans"`).
    pub message: String,
    /// Byte offset where the problem starts.
    pub offset: usize,
    /// Byte offset just past the problem (`>= offset`).
    pub end: usize,
    /// What to do about it, when there is a likely fix (`did you mean `contains`?`).
    pub help: Option<String>,
}

impl RulesError {
    pub(crate) fn new(message: impl Into<String>, offset: usize, end: usize) -> Self {
        RulesError {
            message: message.into(),
            offset,
            end: end.max(offset),
            help: None,
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// The message with the hint appended (`...; did you mean `contains`?`): what a one-line
    /// report (such as `cfcp waf validate --batch`) shows.
    pub fn full_message(&self) -> String {
        match &self.help {
            Some(help) => format!("{}; {help}", self.message),
            None => self.message.clone(),
        }
    }

    /// Two lines: the source line holding the error (cut to a window around it when long) and
    /// carets under the offending span, followed by the message.
    ///
    /// ```
    /// let err = cfcp::rules::parse_filter("http.host eq").unwrap_err();
    /// let picture = err.render("http.host eq");
    /// let lines: Vec<&str> = picture.lines().collect();
    /// assert_eq!(lines.len(), 2);
    /// assert_eq!(lines[0], "http.host eq");
    /// assert!(lines[1].starts_with("            ^ "));
    /// ```
    pub fn render(&self, source: &str) -> String {
        const WINDOW: usize = 60;
        let offset = floor_boundary(source, self.offset.min(source.len()));
        let end = floor_boundary(source, self.end.min(source.len())).max(offset);
        let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[offset..]
            .find('\n')
            .map_or(source.len(), |i| offset + i);
        let line = &source[line_start..line_end];
        let col = offset - line_start;
        let span_end = end.min(line_end) - line_start;

        // Characters of the line, as (byte index, char), replacing control characters so the
        // caret line stays aligned.
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let col_char = chars.iter().take_while(|(i, _)| *i < col).count();
        let end_char = chars.iter().take_while(|(i, _)| *i < span_end).count();
        let first = col_char.saturating_sub(WINDOW);
        let last = (end_char.max(col_char + 1) + WINDOW).min(chars.len());
        let mut text = String::new();
        let mut carets = String::new();
        if first > 0 {
            text.push('…');
            carets.push(' ');
        }
        for (index, (_, c)) in chars.iter().enumerate().take(last).skip(first) {
            let shown = if c.is_control() && *c != '\t' {
                '␣'
            } else {
                *c
            };
            text.push(shown);
            if index < col_char {
                carets.push(if *c == '\t' { '\t' } else { ' ' });
            }
        }
        if last < chars.len() {
            text.push('…');
        }
        let width = end_char.saturating_sub(col_char).max(1);
        carets.push_str(&"^".repeat(width));
        carets.push(' ');
        carets.push_str(&self.full_message());
        format!("{text}\n{carets}")
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.full_message(), self.offset)
    }
}

impl std::error::Error for RulesError {}

impl From<RulesError> for crate::Error {
    fn from(err: RulesError) -> Self {
        crate::Error::Expression {
            message: err.full_message(),
            offset: err.offset,
            span_end: err.end,
        }
    }
}

/// Levenshtein distance between two short strings (by characters).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The candidate nearest to `word`, when it is near enough to be a plausible typo.
pub(crate) fn suggest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    if word.is_empty() || word.len() > 200 {
        return None;
    }
    let limit = (word.chars().count() / 3).clamp(1, 4);
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == word {
            continue;
        }
        let mut distance = edit_distance(&lower, candidate);
        // A candidate that extends the word (`lower` for `lowercase`, `ip.src` for `ip.sr`) is a
        // good guess even when many characters differ.
        if distance > limit && (candidate.starts_with(&lower) || lower.starts_with(candidate)) {
            distance = limit;
        }
        if distance <= limit && best.map_or(true, |(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestions() {
        assert_eq!(edit_distance("contans", "contains"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            suggest("contans", ["contains", "matches", "eq"]),
            Some("contains")
        );
        assert_eq!(suggest("lowercase", ["lower", "upper"]), Some("lower"));
        assert_eq!(suggest("zzzzzz", ["lower", "upper"]), None);
        assert_eq!(suggest("EQ", ["eq", "ne"]), Some("eq"));
    }

    #[test]
    fn render_multiline_and_long_lines() {
        let source = "ssl\nand http.host eq";
        let err = RulesError::new("expected a value", source.len(), source.len());
        let picture = err.render(source);
        assert_eq!(picture.lines().next(), Some("and http.host eq"));
        let long = format!("{}x", "a".repeat(1000));
        let err = RulesError::new("bad", 1000, 1001);
        let picture = err.render(&long);
        assert!(picture.lines().next().unwrap().chars().count() < 200);
        assert!(picture.lines().nth(1).unwrap().contains("^ bad"));
        // Offsets past the end or inside a character never panic.
        let err = RulesError::new("bad", 10_000, 20_000);
        let _ = err.render("é");
        let err = RulesError::new("bad", 1, 2);
        let _ = err.render("é");
    }
}
