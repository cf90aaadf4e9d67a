//! The terminal rendering of a [`Report`]: grouped by zone, worst first, with a summary.
//!
//! Layout:
//!
//! * an optional header line ([`TextOptions::header`]), printed first;
//! * one block per zone, in report order, with account-level findings (no zone) last under
//!   `account`. Within a block: FAIL findings by severity (critical first), then UNKNOWN, then
//!   MUTED; PASS findings are counted in the block's heading and listed only with
//!   [`TextOptions::verbose`];
//! * each FAIL shows severity, check id, title, resource, the message (the evidence) and the
//!   remediation text (once for consecutive failures of the same check); the Terraform snippet and
//!   the API call only when verbose;
//! * a summary: checks, passed, failed, muted, unknown, compliance rate and FAIL per severity.
//!
//! Colour is ANSI escape codes, only when [`TextOptions::color`] is set (the front end decides,
//! typically by whether stdout is a terminal). Text from the snapshot (record names, TXT contents,
//! messages) is printed with control characters and bidirectional overrides escaped, so a hostile
//! record cannot move the cursor or recolour the terminal.

use std::fmt::Write as _;

use super::Report;
use crate::invariants::{Finding, Severity, Status};

/// How [`render`] lays out a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// List PASS findings too, and show the Terraform and API remediation of each FAIL.
    pub verbose: bool,
    /// A line printed first (e.g. "Checking the bundled demo snapshot (no CLOUDFLARE_API_TOKEN
    /// set)").
    pub header: Option<String>,
}

/// The group name of findings that belong to no zone (account-level resources).
pub const ACCOUNT_GROUP: &str = "account";

/// Findings grouped by zone: zones in order of first appearance, then [`ACCOUNT_GROUP`] for the
/// findings without a zone. Within a group, findings keep report order.
pub(crate) fn by_zone(report: &Report) -> Vec<(&str, Vec<&Finding>)> {
    let mut groups: Vec<(&str, Vec<&Finding>)> = Vec::new();
    let mut account: Vec<&Finding> = Vec::new();
    for finding in &report.findings {
        match finding.resource.zone.as_deref() {
            None => account.push(finding),
            Some(zone) => match groups.iter_mut().find(|(name, _)| *name == zone) {
                Some((_, list)) => list.push(finding),
                None => groups.push((zone, vec![finding])),
            },
        }
    }
    if !account.is_empty() {
        groups.push((ACCOUNT_GROUP, account));
    }
    groups
}

/// Display rank of a status within a zone block: FAIL, UNKNOWN, MUTED, PASS.
fn status_rank(status: Status) -> u8 {
    match status {
        Status::Fail => 0,
        Status::Unknown => 1,
        Status::Muted => 2,
        Status::Pass => 3,
    }
}

/// `text` with control characters (other than newline and tab) and bidirectional-override
/// characters written as `\u{..}` escapes, so untrusted text cannot drive a terminal.
pub(crate) fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if (c.is_control() && c != '\n' && c != '\t') || bidi {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn severity(&self, severity: Severity, text: &str) -> String {
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "34",
            Severity::Info => "2",
        };
        self.wrap(code, text)
    }

    fn status(&self, status: Status, text: &str) -> String {
        let code = match status {
            Status::Fail => "1;31",
            Status::Pass => "32",
            Status::Muted => "2",
            Status::Unknown => "35",
        };
        self.wrap(code, text)
    }

    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
}

/// Indents every line after the first of `text` by `indent` spaces.
fn hang(text: &str, indent: usize) -> String {
    let pad = format!("\n{}", " ".repeat(indent));
    text.trim_end().replace('\n', &pad)
}

/// Renders `report` for a terminal. Pure; the output ends with a newline.
pub fn render(report: &Report, options: &TextOptions) -> String {
    let paint = Paint { on: options.color };
    let mut out = String::new();
    if let Some(header) = &options.header {
        let _ = writeln!(out, "{}", paint.bold(&sanitize(header)));
        out.push('\n');
    }

    let groups = by_zone(report);
    if groups.is_empty() {
        out.push_str("No findings: the snapshot has no zones or accounts the checks apply to.\n\n");
    }
    for (zone, findings) in groups {
        let count = |s: Status| findings.iter().filter(|f| f.status == s).count();
        let (failed, unknown, muted, passed) = (
            count(Status::Fail),
            count(Status::Unknown),
            count(Status::Muted),
            count(Status::Pass),
        );
        let _ = writeln!(
            out,
            "{}  {}",
            paint.bold(&sanitize(zone)),
            paint.dim(&format!(
                "{failed} failed, {unknown} unknown, {muted} muted, {passed} passed"
            ))
        );

        let mut shown: Vec<&Finding> = findings
            .iter()
            .copied()
            .filter(|f| options.verbose || f.status != Status::Pass)
            .collect();
        // Stable: report order is kept among equals.
        shown.sort_by_key(|f| (status_rank(f.status), std::cmp::Reverse(f.severity)));
        // The fix is the same for every finding of a check: consecutive failures of one check
        // show it once (unless verbose, where the Terraform and API call differ per resource).
        let mut previous: Option<&str> = None;
        for finding in shown {
            let repeat = previous == Some(&*finding.check_id);
            write_finding(
                &mut out,
                finding,
                options,
                &paint,
                !repeat || options.verbose,
            );
            previous = (finding.status == Status::Fail).then_some(&*finding.check_id);
        }
        out.push('\n');
    }

    write_summary(&mut out, report, &paint);
    out
}

fn write_finding(
    out: &mut String,
    f: &Finding,
    options: &TextOptions,
    paint: &Paint,
    show_fix: bool,
) {
    const INDENT: usize = 6;
    let pad = " ".repeat(INDENT);
    let status = paint.status(f.status, &format!("{:<7}", f.status.as_str()));
    let severity = paint.severity(f.severity, &format!("{:<8}", f.severity.as_str()));
    let _ = writeln!(
        out,
        "  {status} {severity} {}  {}",
        paint.bold(&sanitize(&f.check_id)),
        sanitize(&f.title)
    );
    let _ = writeln!(
        out,
        "{pad}{} {} ({})",
        paint.dim("resource:"),
        sanitize(&f.resource.name),
        sanitize(&f.resource.kind)
    );
    let _ = writeln!(out, "{pad}{}", hang(&sanitize(&f.message), INDENT));
    if f.status != Status::Fail || !show_fix {
        return;
    }
    if !f.remediation.text.is_empty() {
        let _ = writeln!(
            out,
            "{pad}{} {}",
            paint.dim("fix:"),
            hang(&sanitize(&f.remediation.text), INDENT + 5)
        );
    }
    if options.verbose {
        for (label, text) in [
            ("terraform:", &f.remediation.terraform),
            ("api:", &f.remediation.api),
        ] {
            if text.trim().is_empty() {
                continue;
            }
            let _ = writeln!(out, "{pad}{}", paint.dim(label));
            let _ = writeln!(out, "{pad}  {}", hang(&sanitize(text), INDENT + 2));
        }
    }
}

fn write_summary(out: &mut String, report: &Report, paint: &Paint) {
    let s = &report.summary;
    let _ = writeln!(out, "{}", paint.bold("Summary"));
    let _ = writeln!(
        out,
        "  {} checks, {} findings: {} passed, {} failed, {} muted, {} unknown",
        s.checks,
        report.findings.len(),
        paint.status(Status::Pass, &s.passed.to_string()),
        paint.status(Status::Fail, &s.failed.to_string()),
        s.muted,
        s.unknown
    );
    let _ = writeln!(
        out,
        "  compliance rate {:.1}% (passed / (passed + failed))",
        s.compliance_rate
    );
    let per: Vec<String> = Severity::ALL
        .iter()
        .map(|&sev| {
            let n = report
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail && f.severity == sev)
                .count();
            let text = format!("{n} {sev}");
            if n > 0 {
                paint.severity(sev, &text)
            } else {
                text
            }
        })
        .collect();
    let _ = writeln!(out, "  failed by severity: {}", per.join(", "));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{demo, empty, finding, mixed};

    fn plain() -> TextOptions {
        TextOptions::default()
    }

    #[test]
    fn header_comes_first_and_summary_last() {
        let options = TextOptions {
            header: Some("Checking the bundled demo snapshot (no CLOUDFLARE_API_TOKEN set)".into()),
            ..plain()
        };
        let text = render(&demo(), &options);
        assert!(
            text.starts_with("Checking the bundled demo snapshot"),
            "{text}"
        );
        let summary = text.find("Summary").unwrap();
        assert!(text[summary..].contains("compliance rate"));
        assert!(text[summary..].contains("failed by severity: "));
    }

    #[test]
    fn demo_report_names_the_bad_zone_and_its_fix() {
        let text = render(&demo(), &plain());
        assert!(text.contains("acme-internal.net"), "{text}");
        assert!(text.contains("zone_ssl_strict"), "{text}");
        assert!(text.contains("ssl is flexible, not strict"), "{text}");
        assert!(text.contains("fix: Install a certificate"), "{text}");
        assert!(!text.contains('\x1b'), "no colour unless asked");
        assert!(!text.contains("terraform:"), "terraform only when verbose");
    }

    #[test]
    fn groups_by_zone_account_last_and_orders_fail_unknown_muted() {
        let text = render(&mixed(), &plain());
        let pos = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle} missing in\n{text}"))
        };
        // Zone order of first appearance, account last.
        assert!(pos("good.com  ") < pos("bad.net  "));
        assert!(pos("bad.net  ") < pos("\naccount  "));
        // Within bad.net: critical FAIL, high FAIL, medium FAIL, then UNKNOWN.
        let crit = pos("dns_record_no_internal_ip");
        let high = pos("ssl is flexible");
        let medium = pos("dns_record_proxied");
        let unknown = pos("UNKNOWN");
        assert!(crit < high && high < medium && medium < unknown, "{text}");
        // good.com: the MUTED one is listed, the PASS one is only counted.
        assert!(text.contains("MUTED"));
        assert!(!text.contains("ssl is strict"));
        assert!(
            text.contains("good.com  0 failed, 0 unknown, 1 muted, 1 passed"),
            "{text}"
        );
        // The account-level tunnel finding.
        assert!(pos("tunnel_healthy") > pos("\naccount  "));
        assert!(
            text.contains("failed by severity: 1 critical, 2 high, 1 medium, 0 low, 0 info"),
            "{text}"
        );
    }

    #[test]
    fn the_fix_is_shown_once_for_consecutive_failures_of_a_check() {
        let report = Report::new(
            1,
            (0..3)
                .map(|i| {
                    finding(
                        "dns_record_proxied",
                        Severity::Medium,
                        Status::Fail,
                        Some("z.com"),
                        &format!("r{i}.z.com"),
                        "not proxied",
                    )
                })
                .collect(),
        );
        let text = render(&report, &plain());
        assert_eq!(
            text.matches("fix: Fix dns_record_proxied.").count(),
            1,
            "{text}"
        );
        let verbose = render(
            &report,
            &TextOptions {
                verbose: true,
                ..plain()
            },
        );
        assert_eq!(verbose.matches("fix: ").count(), 3);
    }

    #[test]
    fn verbose_lists_pass_and_terraform_and_api() {
        let text = render(
            &mixed(),
            &TextOptions {
                verbose: true,
                ..plain()
            },
        );
        assert!(text.contains("ssl is strict"));
        assert!(text.contains("terraform:"));
        assert!(text.contains("PATCH /zone_ssl_strict"));
    }

    #[test]
    fn colour_only_when_asked() {
        let text = render(
            &mixed(),
            &TextOptions {
                color: true,
                ..plain()
            },
        );
        assert!(text.contains("\x1b[1;31m"));
        assert!(text.contains("\x1b[0m"));
    }

    #[test]
    fn empty_report_says_so() {
        let text = render(&empty(), &plain());
        assert!(text.contains("No findings"), "{text}");
        assert!(text.contains("0 checks, 0 findings: 0 passed, 0 failed, 0 muted, 0 unknown"));
        assert!(text.contains("compliance rate 100.0%"));
    }

    #[test]
    fn hostile_text_cannot_drive_the_terminal() {
        let report = Report::new(
            1,
            vec![finding(
                "dns_record_proxied",
                Severity::High,
                Status::Fail,
                Some("z.com"),
                "evil\x1b[2J.z.com",
                "TXT \"\x1b]0;pwned\x07\" and \u{202E}txt.exe\r\nsecond line",
            )],
        );
        let text = render(&report, &plain());
        assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\r'));
        assert!(!text.contains('\u{202E}'));
        assert!(text.contains("evil\\u{1b}[2J.z.com"), "{text}");
        // A newline in a message stays a line break, indented under the finding.
        assert!(text.contains("\n      second line"), "{text}");
    }

    #[test]
    fn deterministic() {
        let options = TextOptions {
            verbose: true,
            color: true,
            header: Some("h".into()),
        };
        assert_eq!(render(&demo(), &options), render(&demo(), &options));
    }
}
