//! GitLab Code Quality rendering of a [`Report`] (`artifacts:reports:codequality`), shown in
//! merge-request widgets and pipeline tabs.
//!
//! A JSON array of GitLab's documented subset of the Code Climate issue format:
//! `{description, check_name, fingerprint, severity, location: {path, lines: {begin}}}`.
//!
//! * **FAIL** findings become issues. GitLab has five severities (`info`, `minor`, `major`,
//!   `critical`, `blocker`) and cfcp five, so they map in order: critical → `blocker`, high →
//!   `critical`, medium → `major`, low → `minor`, info → `info`. cfcp's critical means "exposed
//!   now", which is what GitLab's `blocker` is for.
//! * **UNKNOWN** findings become `info` issues whose description starts with `UNKNOWN:`, so a
//!   coverage gap shows up in the merge request instead of passing silently.
//! * **MUTED** (waived) and **PASS** findings are left out: Code Quality has no notion of a
//!   suppressed issue, and a waived finding is accepted.
//!
//! `location.path` is [`GitlabOptions::artifact_path`] (the snapshot file, relative to the
//! repository) or, when there is none, `cloudflare/<zone>`; `lines.begin` is 1. The fingerprint is
//! the same FNV-1a hash of check id and resource id as SARIF's (`sarif::fingerprint`), with `#n`
//! appended for the n-th repeat of a pair, so fingerprints are unique within a report and stable
//! across runs (GitLab compares them between the source and target branch).

use serde::Serialize;

use super::sarif::{artifact_for, fingerprint};
use super::Report;
use crate::invariants::{Severity, Status};

/// Where [`render`] says issues are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitlabOptions {
    /// The snapshot file the issues point at. `None` (a live account): `cloudflare/<zone>`.
    pub artifact_path: Option<String>,
}

/// GitLab's severity for a cfcp severity.
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

/// Renders `report` as a GitLab Code Quality report (pretty JSON, ends with a newline). Pure.
pub fn render(report: &Report, options: &GitlabOptions) -> String {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let issues: Vec<Issue> = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Unknown))
        .map(|f| {
            let r = &f.resource;
            let base = fingerprint(&f.check_id, &r.id);
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let fingerprint = if *n == 1 { base } else { format!("{base}#{n}") };
            let (prefix, sev) = match f.status {
                Status::Unknown => ("UNKNOWN: ", "info"),
                _ => ("", severity(f.severity)),
            };
            Issue {
                description: format!("{prefix}{}: {} ({} {})", f.title, f.message, r.kind, r.name),
                check_name: f.check_id.to_string(),
                fingerprint,
                severity: sev,
                location: Location {
                    path: artifact_for(f, options.artifact_path.as_deref()),
                    lines: Lines { begin: 1 },
                },
            }
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invariants::Status;
    use crate::report::test_support::{demo, empty, finding, mixed};
    use serde_json::Value;

    fn issues(report: &Report, options: &GitlabOptions) -> Vec<Value> {
        serde_json::from_str::<Vec<Value>>(&render(report, options)).unwrap()
    }

    #[test]
    fn demo_failures_are_issues_at_the_snapshot() {
        let options = GitlabOptions {
            artifact_path: Some("examples/snapshots/demo.json".into()),
        };
        let report = demo();
        let list = issues(&report, &options);
        let expected = report
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Unknown))
            .count();
        assert_eq!(list.len(), expected);
        let ssl = list
            .iter()
            .find(|i| {
                i["check_name"] == "zone_ssl_strict"
                    && i["description"]
                        .as_str()
                        .unwrap()
                        .contains("acme-internal.net")
            })
            .unwrap();
        assert_eq!(ssl["severity"], "critical");
        assert_eq!(ssl["location"]["path"], "examples/snapshots/demo.json");
        assert_eq!(ssl["location"]["lines"]["begin"], 1);
        assert_eq!(ssl["fingerprint"], "bbf677e9e80f8b08");
        for issue in &list {
            let keys: Vec<&String> = issue.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                [
                    "description",
                    "check_name",
                    "fingerprint",
                    "severity",
                    "location"
                ]
            );
        }
    }

    #[test]
    fn severities_unknown_and_muted() {
        let list = issues(&mixed(), &GitlabOptions::default());
        let sev = |check: &str| {
            list.iter()
                .find(|i| i["check_name"] == check)
                .map(|i| i["severity"].clone())
        };
        assert_eq!(sev("dns_record_no_internal_ip"), Some("blocker".into()));
        assert_eq!(sev("zone_ssl_strict"), Some("critical".into()));
        assert_eq!(sev("dns_record_proxied"), Some("major".into()));
        assert_eq!(sev("zone_dnssec_enabled"), Some("info".into()));
        assert!(list
            .iter()
            .any(|i| i["description"].as_str().unwrap().starts_with("UNKNOWN: ")));
        assert_eq!(sev("zone_hsts_enabled"), None, "MUTED is left out");
        assert_eq!(list.len(), 5);
        let tunnel = list
            .iter()
            .find(|i| i["check_name"] == "tunnel_healthy")
            .unwrap();
        assert_eq!(tunnel["location"]["path"], "cloudflare/account");
        let proxied = list
            .iter()
            .find(|i| i["check_name"] == "dns_record_proxied")
            .unwrap();
        assert_eq!(proxied["location"]["path"], "cloudflare/bad.net");
    }

    #[test]
    fn fingerprints_are_unique() {
        let twice = finding(
            "c",
            Severity::Low,
            Status::Fail,
            Some("z.com"),
            "r.z.com",
            "m",
        );
        let report = Report::new(1, vec![twice.clone(), twice]);
        let list = issues(&report, &GitlabOptions::default());
        assert_ne!(list[0]["fingerprint"], list[1]["fingerprint"]);
        assert!(list[1]["fingerprint"].as_str().unwrap().ends_with("#2"));
    }

    #[test]
    fn text_is_json_escaped() {
        let report = Report::new(
            1,
            vec![finding(
                "c",
                Severity::Low,
                Status::Fail,
                Some("z.com"),
                "\"q\"\n\u{0}",
                "a\\b",
            )],
        );
        let list = issues(&report, &GitlabOptions::default());
        assert!(list[0]["description"]
            .as_str()
            .unwrap()
            .contains("\"q\"\n\u{0}"));
    }

    #[test]
    fn empty_report_is_an_empty_array() {
        assert_eq!(render(&empty(), &GitlabOptions::default()), "[]\n");
    }

    #[test]
    fn deterministic() {
        let o = GitlabOptions::default();
        assert_eq!(render(&demo(), &o), render(&demo(), &o));
    }
}
