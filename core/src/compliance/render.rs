//! Renderings of a [`ComplianceReport`]: JSON (`cfcp.compliance/v1`), text and Markdown.

use std::fmt::Write as _;

use super::{ComplianceReport, ControlResult, ControlStatus, Evidence};
use crate::invariants::Resource;

/// How many failing resources a rendering lists per check before summarising the rest.
const MAX_LISTED: usize = 10;

const CAVEAT: &str = "Evidence is the Cloudflare configuration in the snapshot only: PASS means \
    the checks that map to a control pass, not that the control is met.";

impl ComplianceReport {
    /// The report as pretty JSON (the `cfcp.compliance/v1` contract), with a final newline.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The report for a terminal: a summary line, then every control with its status, its
    /// evidence (checks, counts, failing resources) and what the snapshot cannot show.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}", self.framework.title, self.summary_line());
        let _ = writeln!(out, "{CAVEAT}");
        for control in &self.controls {
            let _ = writeln!(
                out,
                "\n{:<12} {}  {}",
                control.status.as_str(),
                control.id,
                control.title
            );
            if control.evidence.is_empty() {
                let _ = writeln!(out, "    evidence: no check maps to this control");
            }
            for evidence in &control.evidence {
                let _ = writeln!(
                    out,
                    "    {} ({}): {}",
                    evidence.check_id,
                    evidence.severity,
                    counts(evidence)
                );
                for resource in evidence.failing.iter().take(MAX_LISTED) {
                    let _ = writeln!(out, "      FAIL {}", resource_label(resource));
                }
                if evidence.failing.len() > MAX_LISTED {
                    let _ = writeln!(
                        out,
                        "      ... and {} more",
                        evidence.failing.len() - MAX_LISTED
                    );
                }
            }
            let _ = writeln!(out, "    not shown by the snapshot: {}", control.not_shown);
        }
        if !self.unknown_references.is_empty() {
            let _ = writeln!(
                out,
                "\nReferences to controls cfcp does not map: {}",
                self.unknown_references.join(", ")
            );
        }
        out
    }

    /// The report as compact Markdown (for PR/MR comments): a summary and one table row per
    /// control.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {} compliance evidence\n", self.framework.title);
        let _ = writeln!(out, "{}\n", self.summary_line());
        let _ = writeln!(out, "_{CAVEAT}_\n");
        let _ = writeln!(
            out,
            "| Control | Status | Evidence | Not shown by the snapshot |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for control in &self.controls {
            let _ = writeln!(
                out,
                "| **{}** {} | {} {} | {} | {} |",
                control.id,
                cell(&control.title),
                icon(control.status),
                control.status.as_str(),
                evidence_cell(control),
                cell(&control.not_shown)
            );
        }
        if !self.unknown_references.is_empty() {
            let _ = writeln!(
                out,
                "\nReferences to controls cfcp does not map: {}",
                self.unknown_references
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out
    }

    fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "{} controls: {} FAIL, {} PARTIAL, {} UNKNOWN, {} PASS, {} NOT_ASSESSED",
            s.controls, s.fail, s.partial, s.unknown, s.pass, s.not_assessed
        )
    }
}

fn counts(evidence: &Evidence) -> String {
    if evidence.findings() == 0 {
        return "no findings in this run".to_owned();
    }
    let mut parts = Vec::new();
    for (n, what) in [
        (evidence.failed, "failed"),
        (evidence.passed, "passed"),
        (evidence.muted, "muted"),
        (evidence.unknown, "unknown"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

fn resource_label(resource: &Resource) -> String {
    match &resource.zone {
        Some(zone) if *zone != resource.name => {
            format!("{} {} (zone {zone})", resource.kind, resource.name)
        }
        _ => format!("{} {}", resource.kind, resource.name),
    }
}

fn icon(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Fail => "❌",
        ControlStatus::Partial => "⚠️",
        ControlStatus::Unknown => "❔",
        ControlStatus::Pass => "✅",
        ControlStatus::NotAssessed => "➖",
    }
}

fn evidence_cell(control: &ControlResult) -> String {
    if control.evidence.is_empty() {
        return "no check maps here".to_owned();
    }
    control
        .evidence
        .iter()
        .map(|e| {
            let mut text = format!("`{}`: {}", e.check_id, counts(e));
            if !e.failing.is_empty() {
                let names: Vec<String> = e.failing.iter().take(5).map(|r| cell(&r.name)).collect();
                let more = e.failing.len().saturating_sub(5);
                text.push_str(&format!(
                    " ({}{})",
                    names.join(", "),
                    if more > 0 {
                        format!(", +{more}")
                    } else {
                        String::new()
                    }
                ));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Text safe in a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
