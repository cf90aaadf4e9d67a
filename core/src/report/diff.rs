//! Comparing two reports (`cfcp check --diff OLD.json NEW.json`): which failures are new, which
//! were resolved, which are regressions.
//!
//! Findings are matched by `(check_id, resource.id)` (the n-th finding with the same pair in one
//! report matches the n-th in the other). Each pair gets one label, by its status in the old and
//! the new report (`-` = no such finding):
//!
//! | old → new | label | why |
//! |---|---|---|
//! | PASS → FAIL | **REGRESSION** | it passed and now fails |
//! | MUTED → FAIL | **REGRESSION** | the waiver no longer covers it (expired or removed) |
//! | `-` → FAIL, and the check ran in the old report | **REGRESSION** | a resource added since fails a check that was already enforced |
//! | `-` → FAIL, and the check did not run in the old report | **NEW** | a check added since (a newer cfcp, a new policy): the configuration did not get worse |
//! | UNKNOWN → FAIL | **NEW** | it could not be evaluated before, so it is not known to have got worse |
//! | FAIL or MUTED → PASS or `-` | **RESOLVED** | fixed, or the resource is gone |
//! | same status | **UNCHANGED** | |
//! | anything else (FAIL → MUTED, FAIL → UNKNOWN, PASS → UNKNOWN, `-` → PASS, PASS → `-`, ...) | **CHANGED** | the status moved without a failure appearing or going away |
//!
//! So a regression is precisely: *a FAIL in the new report whose check was already run in the old
//! report, on a resource that was not failing there (passing, waived, or not present)*.
//! [`ReportDiff::has_regressions`] is what `--diff` exits 1 on. Both reports should cover the same
//! scope (same `--zone` filter): a zone left out of the old report makes its failures look added.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::markdown::{cell, code, severity_badge};
use super::text::sanitize;
use super::Report;
use crate::invariants::{Finding, Resource, Severity, Status};

/// The format string of a serialised [`ReportDiff`].
pub const REPORT_DIFF_FORMAT_V1: &str = "cfcp.report-diff/v1";

/// How one finding changed between two reports (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Change {
    /// A FAIL on a resource that passed, was waived, or was added since, under a check that
    /// already ran.
    Regression,
    /// A FAIL from a check that did not run before, or that could not be evaluated before.
    New,
    /// A FAIL (or waived FAIL) that passes now or is gone.
    Resolved,
    /// Another status change that neither adds nor removes a failure.
    Changed,
    /// The same status.
    Unchanged,
}

impl Change {
    /// Every label, most important first.
    pub const ALL: [Change; 5] = [
        Change::Regression,
        Change::New,
        Change::Resolved,
        Change::Changed,
        Change::Unchanged,
    ];

    /// `"REGRESSION"`, `"NEW"`, `"RESOLVED"`, `"CHANGED"`, `"UNCHANGED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Regression => "REGRESSION",
            Change::New => "NEW",
            Change::Resolved => "RESOLVED",
            Change::Changed => "CHANGED",
            Change::Unchanged => "UNCHANGED",
        }
    }
}

/// One matched (or unmatched) finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffEntry {
    /// The label.
    pub change: Change,
    /// Why this label, in words (`"was PASS"`, `"new resource; the check already ran"`).
    pub reason: String,
    /// The check.
    pub check_id: String,
    /// The check's title.
    pub title: String,
    /// The check's severity.
    pub severity: Severity,
    /// The resource (from the new report when it has the finding, else from the old).
    pub resource: Resource,
    /// The status in the old report, `None` when it had no such finding.
    pub old_status: Option<Status>,
    /// The status in the new report, `None` when it has no such finding.
    pub new_status: Option<Status>,
    /// The message of the new finding (of the old one when there is no new one).
    pub message: String,
}

/// Counts per label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSummary {
    /// REGRESSION entries.
    pub regression: usize,
    /// NEW entries.
    pub new: usize,
    /// RESOLVED entries.
    pub resolved: usize,
    /// CHANGED entries.
    pub changed: usize,
    /// UNCHANGED entries.
    pub unchanged: usize,
}

impl DiffSummary {
    fn count(&mut self, change: Change) {
        match change {
            Change::Regression => self.regression += 1,
            Change::New => self.new += 1,
            Change::Resolved => self.resolved += 1,
            Change::Changed => self.changed += 1,
            Change::Unchanged => self.unchanged += 1,
        }
    }

    /// The count for one label.
    pub fn get(&self, change: Change) -> usize {
        match change {
            Change::Regression => self.regression,
            Change::New => self.new,
            Change::Resolved => self.resolved,
            Change::Changed => self.changed,
            Change::Unchanged => self.unchanged,
        }
    }
}

/// The comparison of two reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDiff {
    /// Always [`REPORT_DIFF_FORMAT_V1`].
    pub format: String,
    /// Counts per label.
    pub summary: DiffSummary,
    /// Every finding of either report: those of the new report in its order, then those only in
    /// the old report in its order.
    pub entries: Vec<DiffEntry>,
}

impl ReportDiff {
    /// True when any entry is a REGRESSION (`cfcp check --diff` exits 1).
    pub fn has_regressions(&self) -> bool {
        self.summary.regression > 0
    }

    /// The entries with this label.
    pub fn with(&self, change: Change) -> impl Iterator<Item = &DiffEntry> {
        self.entries.iter().filter(move |e| e.change == change)
    }

    /// The diff as pretty JSON (`cfcp.report-diff/v1`), ending with a newline.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn label(old: Option<Status>, new: Option<Status>, check_ran_before: bool) -> (Change, String) {
    use Status::*;
    let was = |s: Option<Status>| s.map_or("absent".to_owned(), |s| format!("was {}", s.as_str()));
    match (old, new) {
        (o, n) if o == n => (Change::Unchanged, String::new()),
        (Some(Pass), Some(Fail)) => (Change::Regression, "was PASS".to_owned()),
        (Some(Muted), Some(Fail)) => (
            Change::Regression,
            "was MUTED: the waiver no longer applies".to_owned(),
        ),
        (None, Some(Fail)) if check_ran_before => (
            Change::Regression,
            "new resource failing a check that already ran".to_owned(),
        ),
        (None, Some(Fail)) => (Change::New, "the check did not run before".to_owned()),
        (Some(Unknown), Some(Fail)) => (
            Change::New,
            "was UNKNOWN: could not be evaluated before".to_owned(),
        ),
        (Some(Fail | Muted), Some(Pass) | None) => (
            Change::Resolved,
            if new.is_none() {
                format!("{}; no longer reported", was(old))
            } else {
                format!("{}; passes now", was(old))
            },
        ),
        (o, _) => (Change::Changed, was(o)),
    }
}

type Key<'a> = (&'a str, &'a str, usize);

/// `(check_id, resource id, occurrence)` for every finding, in order.
fn keys(report: &Report) -> Vec<Key<'_>> {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    report
        .findings
        .iter()
        .map(|f| {
            let n = seen
                .entry((&*f.check_id, f.resource.id.as_str()))
                .or_insert(0);
            *n += 1;
            (&*f.check_id, f.resource.id.as_str(), *n)
        })
        .collect()
}

fn entry(
    change: Change,
    reason: String,
    f: &Finding,
    old: Option<Status>,
    new: Option<Status>,
) -> DiffEntry {
    DiffEntry {
        change,
        reason,
        check_id: f.check_id.to_string(),
        title: f.title.to_string(),
        severity: f.severity,
        resource: f.resource.clone(),
        old_status: old,
        new_status: new,
        message: f.message.clone(),
    }
}

/// Compares `old` with `new` (see the module documentation for the labels). Pure and
/// deterministic.
pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let old_keys = keys(old);
    let new_keys = keys(new);
    let old_index: HashMap<Key<'_>, usize> =
        old_keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let new_index: HashMap<Key<'_>, usize> =
        new_keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let old_checks: BTreeSet<&str> = old.findings.iter().map(|f| &*f.check_id).collect();

    let mut entries = Vec::with_capacity(new.findings.len());
    for (f, key) in new.findings.iter().zip(&new_keys) {
        let old_status = old_index.get(key).map(|&i| old.findings[i].status);
        let (change, reason) = label(old_status, Some(f.status), old_checks.contains(key.0));
        entries.push(entry(change, reason, f, old_status, Some(f.status)));
    }
    for (f, key) in old.findings.iter().zip(&old_keys) {
        if new_index.contains_key(key) {
            continue;
        }
        let (change, reason) = label(Some(f.status), None, true);
        entries.push(entry(change, reason, f, Some(f.status), None));
    }

    let mut summary = DiffSummary::default();
    for e in &entries {
        summary.count(e.change);
    }
    ReportDiff {
        format: REPORT_DIFF_FORMAT_V1.to_owned(),
        summary,
        entries,
    }
}

/// The diff as pretty JSON (`cfcp.report-diff/v1`): `{"format", "summary": {"regression", "new",
/// "resolved", "changed", "unchanged"}, "entries": [{"change", "reason", "check_id", "title",
/// "severity", "resource", "old_status", "new_status", "message"}]}`. Same as
/// [`ReportDiff::to_json_pretty`].
pub fn render_json(d: &ReportDiff) -> String {
    d.to_json_pretty()
}

fn status_str(status: Option<Status>) -> &'static str {
    status.map_or("-", Status::as_str)
}

fn summary_line(d: &ReportDiff) -> String {
    let s = &d.summary;
    format!(
        "{} regression{}, {} new, {} resolved, {} changed, {} unchanged",
        s.regression,
        if s.regression == 1 { "" } else { "s" },
        s.new,
        s.resolved,
        s.changed,
        s.unchanged
    )
}

/// How [`render_text`] lays out a diff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffTextOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// List UNCHANGED entries too.
    pub verbose: bool,
}

/// The diff for a terminal: a summary line, then the entries grouped by label (REGRESSION, NEW,
/// RESOLVED, CHANGED; UNCHANGED only when verbose). Pure; ends with a newline.
pub fn render_text(d: &ReportDiff, options: &DiffTextOptions) -> String {
    let paint = |code: &str, text: &str| {
        if options.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = format!("Diff: {}\n", summary_line(d));
    for change in Change::ALL {
        if change == Change::Unchanged && !options.verbose {
            continue;
        }
        let list: Vec<&DiffEntry> = d.with(change).collect();
        if list.is_empty() {
            continue;
        }
        let code = match change {
            Change::Regression => "1;31",
            Change::New => "33",
            Change::Resolved => "32",
            Change::Changed => "36",
            Change::Unchanged => "2",
        };
        let _ = writeln!(out, "\n{} ({})", paint(code, change.as_str()), list.len());
        for e in list {
            let _ = writeln!(
                out,
                "  {:<8} {}  {} ({}{}): {} → {}{}",
                e.severity.as_str(),
                sanitize(&e.check_id),
                sanitize(&e.resource.name),
                sanitize(&e.resource.kind),
                e.resource
                    .zone
                    .as_deref()
                    .filter(|z| *z != e.resource.name)
                    .map(|z| format!(" in {}", sanitize(z)))
                    .unwrap_or_default(),
                status_str(e.old_status),
                status_str(e.new_status),
                if e.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", sanitize(&e.reason))
                }
            );
            let _ = writeln!(
                out,
                "           {}",
                sanitize(&e.message).replace('\n', "\n           ")
            );
        }
    }
    out
}

/// The diff as Markdown for a PR/MR comment: a summary line and one table of the REGRESSION, NEW,
/// RESOLVED and CHANGED entries (in that order), capped at `max_rows` rows. Pure; ends with a
/// newline.
pub fn render_markdown(d: &ReportDiff, max_rows: usize) -> String {
    let mut out = String::from("### cfcp check: changes\n\n");
    let verdict = if d.has_regressions() {
        "❌ regressions"
    } else {
        "✅ no regressions"
    };
    let _ = writeln!(out, "**{verdict}** · {}", summary_line(d));
    let listed: Vec<&DiffEntry> = Change::ALL
        .iter()
        .filter(|c| **c != Change::Unchanged)
        .flat_map(|c| d.with(*c))
        .collect();
    if listed.is_empty() {
        out.push_str("\nNo changes in failures.\n");
        return out;
    }
    out.push_str("\n| Change | Severity | Check | Resource | Status | Finding |\n|---|---|---|---|---|---|\n");
    for e in listed.iter().take(max_rows) {
        let _ = writeln!(
            out,
            "| **{}** | {} | {} | {} | {} → {} | {} |",
            e.change.as_str(),
            severity_badge(e.severity),
            code(&e.check_id),
            cell(&e.resource.name),
            status_str(e.old_status),
            status_str(e.new_status),
            cell(&e.message)
        );
    }
    if listed.len() > max_rows {
        let _ = writeln!(out, "\n…and {} more.", listed.len() - max_rows);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{demo, empty, finding};
    use Severity::*;
    use Status::*;

    fn report(findings: Vec<Finding>) -> Report {
        Report::new(3, findings)
    }

    fn f(check: &str, name: &str, status: Status) -> Finding {
        finding(
            check,
            High,
            status,
            Some("z.com"),
            name,
            &format!("{check} on {name} is {}", status.as_str()),
        )
    }

    fn change_of(d: &ReportDiff, check: &str, name: &str) -> Change {
        d.entries
            .iter()
            .find(|e| e.check_id == check && e.resource.name == name)
            .unwrap_or_else(|| panic!("{check} {name} missing"))
            .change
    }

    #[test]
    fn labels_follow_the_table() {
        let old = report(vec![
            f("a", "pass-to-fail", Pass),
            f("a", "muted-to-fail", Muted),
            f("a", "unknown-to-fail", Unknown),
            f("a", "fail-to-pass", Fail),
            f("a", "fail-to-gone", Fail),
            f("a", "muted-to-pass", Muted),
            f("a", "fail-to-fail", Fail),
            f("a", "pass-to-pass", Pass),
            f("a", "fail-to-muted", Fail),
            f("a", "fail-to-unknown", Fail),
            f("a", "pass-to-unknown", Pass),
            f("a", "pass-to-gone", Pass),
        ]);
        let new = report(vec![
            f("a", "pass-to-fail", Fail),
            f("a", "muted-to-fail", Fail),
            f("a", "unknown-to-fail", Fail),
            f("a", "fail-to-pass", Pass),
            f("a", "muted-to-pass", Pass),
            f("a", "fail-to-fail", Fail),
            f("a", "pass-to-pass", Pass),
            f("a", "fail-to-muted", Muted),
            f("a", "fail-to-unknown", Unknown),
            f("a", "pass-to-unknown", Unknown),
            f("a", "added-resource", Fail),
            f("a", "added-passing", Pass),
            f("new_check", "pass-to-pass", Fail),
        ]);
        let d = diff(&old, &new);
        let expect = [
            ("a", "pass-to-fail", Change::Regression),
            ("a", "muted-to-fail", Change::Regression),
            ("a", "added-resource", Change::Regression),
            ("new_check", "pass-to-pass", Change::New),
            ("a", "unknown-to-fail", Change::New),
            ("a", "fail-to-pass", Change::Resolved),
            ("a", "fail-to-gone", Change::Resolved),
            ("a", "muted-to-pass", Change::Resolved),
            ("a", "fail-to-fail", Change::Unchanged),
            ("a", "pass-to-pass", Change::Unchanged),
            ("a", "fail-to-muted", Change::Changed),
            ("a", "fail-to-unknown", Change::Changed),
            ("a", "pass-to-unknown", Change::Changed),
            ("a", "pass-to-gone", Change::Changed),
            ("a", "added-passing", Change::Changed),
        ];
        for (check, name, change) in expect {
            assert_eq!(change_of(&d, check, name), change, "{check} {name}");
        }
        assert_eq!(d.entries.len(), expect.len());
        assert_eq!(
            d.summary,
            DiffSummary {
                regression: 3,
                new: 2,
                resolved: 3,
                changed: 5,
                unchanged: 2
            }
        );
        assert!(d.has_regressions());
        let gone = d
            .entries
            .iter()
            .find(|e| e.resource.name == "fail-to-gone")
            .unwrap();
        assert_eq!((gone.old_status, gone.new_status), (Some(Fail), None));
    }

    #[test]
    fn a_new_check_alone_is_not_a_regression() {
        let old = report(vec![f("a", "r", Pass)]);
        let new = report(vec![f("a", "r", Pass), f("b", "r", Fail)]);
        let d = diff(&old, &new);
        assert!(!d.has_regressions());
        assert_eq!(d.summary.new, 1);
    }

    #[test]
    fn same_report_has_no_changes_and_empty_diffs_are_fine() {
        let d = diff(&demo(), &demo());
        assert!(!d.has_regressions());
        assert_eq!(d.summary.unchanged, demo().findings.len());
        let e = diff(&empty(), &empty());
        assert!(e.entries.is_empty());
        assert!(
            render_text(&e, &DiffTextOptions::default()).starts_with("Diff: 0 regressions, 0 new")
        );
        assert!(render_markdown(&e, 10).contains("No changes in failures."));
    }

    #[test]
    fn from_empty_to_demo_every_fail_is_new() {
        let d = diff(&empty(), &demo());
        assert!(!d.has_regressions(), "no check ran before");
        assert_eq!(d.summary.new, demo().summary.failed);
        let back = diff(&demo(), &empty());
        assert_eq!(
            back.summary.resolved,
            demo().summary.failed + demo().summary.muted
        );
    }

    #[test]
    fn demo_regression_when_a_zone_gets_worse() {
        let old = demo();
        let mut new = demo();
        let i = new
            .findings
            .iter()
            .position(|f| f.status == Pass)
            .expect("the demo has a passing finding");
        new.findings[i].status = Fail;
        let new = Report::new(new.summary.checks, new.findings);
        let d = diff(&old, &new);
        assert!(d.has_regressions());
        assert_eq!(d.summary.regression, 1);
        let text = render_text(&d, &DiffTextOptions::default());
        assert!(text.contains("REGRESSION (1)"), "{text}");
        assert!(text.contains("PASS → FAIL (was PASS)"), "{text}");
        let md = render_markdown(&d, 10);
        assert!(md.contains("**❌ regressions**"), "{md}");
        assert!(md.contains("| **REGRESSION** |"));
    }

    #[test]
    fn duplicates_pair_by_occurrence() {
        let old = report(vec![f("a", "r", Pass), f("a", "r", Fail)]);
        let new = report(vec![f("a", "r", Pass), f("a", "r", Pass)]);
        let d = diff(&old, &new);
        assert_eq!(d.summary.unchanged, 1);
        assert_eq!(d.summary.resolved, 1);
    }

    #[test]
    fn json_round_trips_and_is_deterministic() {
        let d = diff(&empty(), &demo());
        let text = render_json(&d);
        assert_eq!(text, diff(&empty(), &demo()).to_json_pretty());
        let back: ReportDiff = serde_json::from_str(&text).unwrap();
        assert_eq!(back, d);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["format"], REPORT_DIFF_FORMAT_V1);
        assert!(v["entries"][0]["change"].is_string());
        assert!(v["summary"]["regression"].is_number());
    }

    #[test]
    fn text_hides_unchanged_unless_verbose_and_escapes() {
        let old = report(vec![f("a", "same", Pass), f("a", "evil\u{1b}[2J", Pass)]);
        let new = report(vec![f("a", "same", Pass), f("a", "evil\u{1b}[2J", Fail)]);
        let d = diff(&old, &new);
        let text = render_text(&d, &DiffTextOptions::default());
        assert!(!text.contains("UNCHANGED ("));
        assert!(!text.contains('\u{1b}'));
        let verbose = render_text(
            &d,
            &DiffTextOptions {
                verbose: true,
                color: true,
            },
        );
        assert!(verbose.contains("UNCHANGED"));
        assert!(verbose.contains("\x1b[1;31mREGRESSION\x1b[0m"));
        let md = render_markdown(&d, 10);
        let row = md
            .lines()
            .find(|l| l.starts_with("| **REGRESSION**"))
            .unwrap();
        assert_eq!(row.matches('|').count(), 7, "{row}");
    }

    #[test]
    fn markdown_caps_rows() {
        let new = report((0..5).map(|i| f("a", &format!("r{i}"), Fail)).collect());
        let md = render_markdown(&diff(&empty(), &new), 2);
        assert_eq!(md.matches("| **NEW** |").count(), 2);
        assert!(md.contains("…and 3 more."));
    }
}
