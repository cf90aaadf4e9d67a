//! JUnit XML rendering of a [`Report`], for CI systems that show test results (GitLab, Jenkins,
//! Azure DevOps, GitHub test-reporter actions).
//!
//! One `<testsuite>` per zone (in report order; account-level findings last, in a suite named
//! `account`), one `<testcase>` per check × resource, named `<check_id> <resource name>` with
//! `classname="cfcp.<check_id>"` so viewers can also group by check:
//!
//! * PASS: an empty test case;
//! * FAIL: `<failure message="<message>" type="<severity>">` with the evidence, the resource and
//!   the remediation (text, Terraform, API call) as its body;
//! * UNKNOWN: `<skipped message="UNKNOWN: <why>"/>`;
//! * MUTED: `<skipped message="waived: <message>"/>`.
//!
//! No timings or timestamps (core has no clock; output is deterministic). Text is escaped for XML
//! 1.0: `& < > " '` as entities; in attributes also tab, newline and carriage return as character
//! references (so parsers do not normalise them away); characters XML 1.0 forbids (most C0
//! controls, U+FFFE, U+FFFF) and C1 controls are written as visible `\u{..}` escapes.

use std::fmt::Write as _;

use super::text::by_zone;
use super::Report;
use crate::invariants::{Finding, Status};

/// How [`render`] names things.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JunitOptions {
    /// The `name` of the `<testsuites>` element.
    pub name: String,
}

impl Default for JunitOptions {
    fn default() -> Self {
        JunitOptions {
            name: "cfcp".to_owned(),
        }
    }
}

/// Replaces characters XML 1.0 cannot carry (or should not) with a visible escape.
fn push_char_data(out: &mut String, c: char, attribute: bool) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' if attribute => out.push_str("&quot;"),
        '\'' if attribute => out.push_str("&apos;"),
        '\t' if attribute => out.push_str("&#9;"),
        '\n' if attribute => out.push_str("&#10;"),
        '\r' if attribute => out.push_str("&#13;"),
        '\t' | '\n' => out.push(c),
        // A bare CR in text would be normalised to LF by the parser; keep it visible.
        '\r' => out.push_str("&#13;"),
        c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.extend(c.escape_unicode()),
        c => out.push(c),
    }
}

/// `text` escaped for an XML attribute value (inside double quotes).
pub(crate) fn escape_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_char_data(&mut out, c, true);
    }
    out
}

/// `text` escaped for XML character data.
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_char_data(&mut out, c, false);
    }
    out
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
}

impl Counts {
    fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            c.tests += 1;
            match f.status {
                Status::Fail => c.failures += 1,
                Status::Unknown | Status::Muted => c.skipped += 1,
                Status::Pass => {}
            }
        }
        c
    }

    fn attributes(&self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\"",
            self.tests, self.failures, self.skipped
        )
    }
}

fn failure_body(f: &Finding) -> String {
    let r = &f.resource;
    let mut body = format!(
        "{}\n\nresource: {} {} (id {})",
        f.message, r.kind, r.name, r.id
    );
    if let Some(zone) = &r.zone {
        let _ = write!(body, " in zone {zone}");
    }
    let _ = write!(body, "\nseverity: {}", f.severity);
    if !f.remediation.text.trim().is_empty() {
        let _ = write!(body, "\n\nfix: {}", f.remediation.text);
    }
    if !f.remediation.terraform.trim().is_empty() {
        let _ = write!(body, "\n\nterraform:\n{}", f.remediation.terraform);
    }
    if !f.remediation.api.trim().is_empty() {
        let _ = write!(body, "\n\napi: {}", f.remediation.api);
    }
    if !f.compliance.is_empty() {
        let _ = write!(body, "\n\ncompliance: {}", f.compliance.join(", "));
    }
    body
}

fn write_testcase(out: &mut String, f: &Finding) {
    let name = format!("{} {}", f.check_id, f.resource.name);
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"cfcp.{}\"",
        escape_attr(&name),
        escape_attr(&f.check_id)
    );
    match f.status {
        Status::Pass => out.push_str("/>\n"),
        Status::Fail => {
            let _ = write!(
                out,
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                escape_attr(&f.message),
                f.severity.as_str(),
                escape_text(&failure_body(f))
            );
        }
        Status::Unknown | Status::Muted => {
            let message = if f.status == Status::Unknown {
                format!("UNKNOWN: {}", f.message)
            } else {
                format!("waived: {}", f.message)
            };
            let _ = write!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape_attr(&message)
            );
        }
    }
}

/// Renders `report` as JUnit XML. Pure; the output ends with a newline.
pub fn render(report: &Report, options: &JunitOptions) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" {}>",
        escape_attr(&options.name),
        Counts::of(&report.findings).attributes()
    );
    for (zone, findings) in by_zone(report) {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" {}>",
            escape_attr(zone),
            Counts::of(findings.iter().copied()).attributes()
        );
        for f in findings {
            write_testcase(&mut out, f);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invariants::Severity;
    use crate::report::test_support::{demo, empty, finding, mixed};

    #[test]
    fn demo_has_a_suite_per_zone_and_a_case_per_finding() {
        let report = demo();
        let xml = render(&report, &JunitOptions::default());
        assert!(xml
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cfcp\""));
        assert_eq!(xml.matches("<testcase ").count(), report.findings.len());
        assert!(xml.contains("<testsuite name=\"acme-internal.net\""));
        assert!(xml.contains(
            "<testcase name=\"zone_ssl_strict acme-internal.net\" classname=\"cfcp.zone_ssl_strict\">"
        ));
        assert!(xml.contains("<failure message=\"ssl is flexible, not strict\" type=\"high\">"));
        assert!(xml.contains("fix: Install a certificate"));
        assert_eq!(
            xml.matches("<failure ").count(),
            report.summary.failed,
            "{xml}"
        );
        assert!(xml.ends_with("</testsuites>\n"));
    }

    #[test]
    fn statuses_and_counts() {
        let xml = render(&mixed(), &JunitOptions::default());
        assert!(xml.contains(
            "<testsuites name=\"cfcp\" tests=\"7\" failures=\"4\" errors=\"0\" skipped=\"2\">"
        ));
        assert!(xml.contains(
            "<testsuite name=\"bad.net\" tests=\"4\" failures=\"3\" errors=\"0\" skipped=\"1\">"
        ));
        assert!(xml.contains("<testsuite name=\"account\" tests=\"1\" failures=\"1\""));
        assert!(xml.contains(
            "<testcase name=\"zone_ssl_strict good.com\" classname=\"cfcp.zone_ssl_strict\"/>"
        ));
        assert!(xml.contains("<skipped message=\"UNKNOWN: cannot evaluate: dnssec of bad.net is not in the snapshot\"/>"));
        assert!(xml.contains(
            "<skipped message=\"waived: hsts off [waived until 2099-01-01: legacy clients]\"/>"
        ));
        assert!(xml.contains("type=\"critical\""));
        // The account suite comes last.
        assert!(xml.find("name=\"account\"").unwrap() > xml.find("name=\"bad.net\"").unwrap());
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_attr("a\"b'c<d>&e\nf\tg\rh"),
            "a&quot;b&apos;c&lt;d&gt;&amp;e&#10;f&#9;g&#13;h"
        );
        assert_eq!(escape_text("a\"b<c>&d\ne\tf"), "a\"b&lt;c&gt;&amp;d\ne\tf");
        assert_eq!(
            escape_text("x\u{0}y\u{1b}z\u{7f}\u{85}\u{FFFF}"),
            "x\\u{0}y\\u{1b}z\\u{7f}\\u{85}\\u{ffff}"
        );
        assert_eq!(escape_text("]]>"), "]]&gt;");
        assert_eq!(escape_text("ünïcödé ✓"), "ünïcödé ✓");
    }

    #[test]
    fn hostile_values_stay_inside_their_attributes() {
        let report = Report::new(
            1,
            vec![finding(
                "c\"><evil/>",
                Severity::Low,
                Status::Fail,
                Some("z\".com"),
                "<r>&\u{1}",
                "msg with \"quotes\" and </failure> and \u{8}",
            )],
        );
        let xml = render(&report, &JunitOptions { name: "n&m".into() });
        assert!(!xml.contains("<evil/>") && !xml.contains("<r>"));
        assert_eq!(xml.matches("</failure>").count(), 1);
        assert!(xml.contains("name=\"n&amp;m\""));
        assert!(xml.contains("classname=\"cfcp.c&quot;&gt;&lt;evil/&gt;\""));
        assert!(!xml.chars().any(|c| c.is_control() && c != '\n'));
    }

    #[test]
    fn empty_report_is_an_empty_suite_list() {
        let xml = render(&empty(), &JunitOptions::default());
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cfcp\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">\n</testsuites>\n"
        );
    }

    #[test]
    fn deterministic() {
        let o = JunitOptions::default();
        assert_eq!(render(&demo(), &o), render(&demo(), &o));
    }
}
