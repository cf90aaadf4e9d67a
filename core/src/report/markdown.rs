//! A compact Markdown rendering of a [`Report`] for pull/merge-request comments (GitHub, GitLab).
//!
//! A heading, one summary line (failures per severity, passed, muted, unknown, compliance rate),
//! a table of the FAIL findings, worst first, capped at [`MarkdownOptions::max_rows`] rows with
//! "and N more", then collapsed `<details>` blocks for UNKNOWN and MUTED findings. PASS findings
//! are only counted.
//!
//! Every value from the report is escaped for a table cell: HTML-significant characters, the pipe,
//! Markdown punctuation and `@` (no accidental mentions) become character references, and newlines
//! become `<br>`, so a hostile DNS name or TXT value cannot break the table or inject HTML.

use std::fmt::Write as _;

use super::Report;
use crate::invariants::{Finding, Severity, Status};

/// How [`render`] lays out a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// The heading (a level-3 heading). Default `cfcp check`.
    pub title: String,
    /// At most this many rows in each table (FAIL, UNKNOWN, MUTED); the rest are counted.
    pub max_rows: usize,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            title: "cfcp check".to_owned(),
            max_rows: 50,
        }
    }
}

/// An emoji and the severity's name, e.g. `🔴 critical`.
pub fn severity_badge(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🔴 critical",
        Severity::High => "🟠 high",
        Severity::Medium => "🟡 medium",
        Severity::Low => "🔵 low",
        Severity::Info => "⚪ info",
    }
}

/// `text` made safe for a Markdown table cell (see the module documentation). Backtick-quoted
/// spans (`` `min_tls_version` ``) become `<code>` elements, their contents escaped like the rest;
/// an unpaired backtick stays a literal backtick.
pub fn cell(text: &str) -> String {
    let text = text.trim();
    let paired = text.matches('`').count() % 2 == 0;
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' if paired => {
                out.push_str(if in_code { "</code>" } else { "<code>" });
                in_code = !in_code;
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '\\' => out.push_str("&#92;"),
            '`' => out.push_str("&#96;"),
            '*' => out.push_str("&#42;"),
            '_' => out.push_str("&#95;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '~' => out.push_str("&#126;"),
            '@' => out.push_str("&#64;"),
            '#' => out.push_str("&#35;"),
            '!' => out.push_str("&#33;"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A check id as inline code when it is made of safe characters, else as an escaped cell.
pub(crate) fn code(id: &str) -> String {
    let safe = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c));
    if safe {
        format!("`{id}`")
    } else {
        cell(id)
    }
}

fn resource(f: &Finding) -> String {
    let r = &f.resource;
    match r.zone.as_deref() {
        Some(zone) if zone != r.name => {
            format!("{} ({} in {})", cell(&r.name), cell(&r.kind), cell(zone))
        }
        _ => format!("{} ({})", cell(&r.name), cell(&r.kind)),
    }
}

fn more(out: &mut String, total: usize, shown: usize, what: &str) {
    if total > shown {
        let _ = writeln!(out, "\n…and {} more {what}.", total - shown);
    }
}

/// Renders `report` as Markdown. Pure; the output ends with a newline.
pub fn render(report: &Report, options: &MarkdownOptions) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", cell(&options.title));

    let per_severity: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|&sev| {
            let n = report.failures().filter(|f| f.severity == sev).count();
            (n > 0).then(|| format!("{n} {sev}"))
        })
        .collect();
    let failed = if per_severity.is_empty() {
        "**0 failed**".to_owned()
    } else {
        format!("**{} failed** ({})", s.failed, per_severity.join(", "))
    };
    let _ = writeln!(
        out,
        "{failed} · {} passed · {} muted · {} unknown · compliance **{:.1}%** · {} checks",
        s.passed, s.muted, s.unknown, s.compliance_rate, s.checks
    );

    let mut failures: Vec<&Finding> = report.failures().collect();
    failures.sort_by_key(|f| std::cmp::Reverse(f.severity));
    if failures.is_empty() {
        out.push_str("\nNo failing checks.\n");
    } else {
        out.push_str("\n| Severity | Check | Resource | Finding |\n|---|---|---|---|\n");
        for f in failures.iter().take(options.max_rows) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                severity_badge(f.severity),
                code(&f.check_id),
                resource(f),
                cell(&f.message)
            );
        }
        more(
            &mut out,
            failures.len(),
            options.max_rows.min(failures.len()),
            "failures",
        );
    }

    for (status, summary, column) in [
        (Status::Unknown, "could not be evaluated", "Why"),
        (Status::Muted, "waived", "Finding and waiver"),
    ] {
        let list: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.status == status)
            .collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n<details><summary>{} {} ({summary})</summary>\n\n| Check | Resource | {column} |\n|---|---|---|",
            list.len(),
            status.as_str().to_lowercase()
        );
        for f in list.iter().take(options.max_rows) {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                code(&f.check_id),
                resource(f),
                cell(&f.message)
            );
        }
        more(
            &mut out,
            list.len(),
            options.max_rows.min(list.len()),
            "findings",
        );
        out.push_str("\n</details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{demo, empty, finding, mixed};

    #[test]
    fn demo_summary_and_table() {
        let md = render(&demo(), &MarkdownOptions::default());
        assert!(md.starts_with("### cfcp check\n\n**"), "{md}");
        assert!(md.contains("compliance **"));
        assert!(md.contains("| Severity | Check | Resource | Finding |"));
        assert!(md.contains("| 🟠 high | `zone_ssl_strict` | acme-internal.net (zone) | ssl is flexible, not strict |"), "{md}");
    }

    #[test]
    fn mixed_orders_by_severity_and_collapses_unknown_and_muted() {
        let md = render(&mixed(), &MarkdownOptions::default());
        assert!(md.contains("**4 failed** (1 critical, 2 high, 1 medium) · 1 passed · 1 muted · 1 unknown · compliance **20.0%** · 4 checks"), "{md}");
        let crit = md.find("🔴 critical").unwrap();
        let high = md.find("🟠 high").unwrap();
        let medium = md.find("🟡 medium").unwrap();
        assert!(crit < high && high < medium);
        assert!(
            md.contains("db.bad.net (dns&#95;record in bad.net)"),
            "{md}"
        );
        assert!(md.contains("<details><summary>1 unknown (could not be evaluated)</summary>"));
        assert!(md.contains("<details><summary>1 muted (waived)</summary>"));
        assert!(
            md.contains("&#91;waived until 2099-01-01: legacy clients&#93;"),
            "{md}"
        );
        assert_eq!(md.matches("</details>").count(), 2);
        assert!(!md.contains("ssl is strict"), "PASS is only counted");
    }

    #[test]
    fn caps_rows() {
        let findings: Vec<_> = (0..7)
            .map(|i| {
                finding(
                    "c",
                    Severity::Low,
                    Status::Fail,
                    Some("z.com"),
                    &format!("r{i}.z.com"),
                    "m",
                )
            })
            .collect();
        let md = render(
            &Report::new(1, findings),
            &MarkdownOptions {
                max_rows: 3,
                ..MarkdownOptions::default()
            },
        );
        assert_eq!(md.matches("| 🔵 low |").count(), 3);
        assert!(md.contains("…and 4 more failures."));
    }

    #[test]
    fn escapes_cells() {
        assert_eq!(cell("a|b"), "a&#124;b");
        assert_eq!(
            cell("line1\nline2\r\nline3\rline4"),
            "line1<br>line2<br>line3<br>line4"
        );
        assert_eq!(
            cell("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(
            cell("@octocat *bold* [l](u) \\| ~s~ #1 `"),
            "&#64;octocat &#42;bold&#42; &#91;l&#93;(u) &#92;&#124; &#126;s&#126; &#35;1 &#96;"
        );
        assert_eq!(
            cell("`min_tls_version` is \"1.0\" and `a|<b>`"),
            "<code>min&#95;tls&#95;version</code> is &quot;1.0&quot; and <code>a&#124;&lt;b&gt;</code>"
        );
        assert_eq!(cell("a\u{1b}[31mb"), "a [31mb".replace('[', "&#91;"));
        let report = Report::new(
            1,
            vec![finding(
                "x`|y",
                Severity::High,
                Status::Fail,
                Some("z.com"),
                "a|b.z.com",
                "TXT \"v=spf1 |\"\nnext",
            )],
        );
        let md = render(&report, &MarkdownOptions::default());
        let row = md.lines().find(|l| l.starts_with("| 🟠")).unwrap();
        // Exactly five pipes: the row has four cells.
        assert_eq!(row.matches('|').count(), 5, "{row}");
        assert!(row.contains("x&#96;&#124;y"));
    }

    #[test]
    fn empty_report() {
        let md = render(&empty(), &MarkdownOptions::default());
        assert!(
            md.contains(
                "**0 failed** · 0 passed · 0 muted · 0 unknown · compliance **100.0%** · 0 checks"
            ),
            "{md}"
        );
        assert!(md.contains("No failing checks."));
        assert!(!md.contains("<details>"));
    }

    #[test]
    fn deterministic() {
        let o = MarkdownOptions::default();
        assert_eq!(render(&demo(), &o), render(&demo(), &o));
    }
}
