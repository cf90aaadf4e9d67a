//! Compliance maps: which framework controls the findings of a check run are evidence for.
//!
//! Four frameworks are mapped: `pci-dss-4.0.1`, `asvs-4.0.3`, `asvs-5.0` (ASVS 5.0.0) and
//! `nist-800-53r5`. Each has a table of [`Control`]s: the real requirement id, a short title, and
//! what a Cloudflare snapshot cannot show about it. Only controls for which Cloudflare
//! configuration is relevant evidence are listed.
//!
//! The mapping itself is not here: it is each check's own `compliance` list
//! (`"PCI-DSS-4.0.1:4.2.1"`, see [`crate::invariants::catalog::Check::compliance`]) and, for
//! custom Rego findings, their `compliance` member. [`evaluate`] groups a [`Report`]'s findings
//! by the controls they reference.
//!
//! # Control status
//!
//! | status | when |
//! |---|---|
//! | `FAIL` | at least one evidence finding fails |
//! | `PASS` | every evidence finding passes (and there is at least one) |
//! | `PARTIAL` | nothing fails and something passes, but some evidence is UNKNOWN (its section could not be read) or MUTED (a waived failure) |
//! | `UNKNOWN` | there are evidence findings, but none passes or fails (all UNKNOWN or MUTED) |
//! | `NOT_ASSESSED` | no finding of this run references the control (no check maps to it, or the checks that do found nothing to look at) |
//!
//! A `PASS` says the configuration cfcp can see agrees with the control, never that the control is
//! met: each control's `not_shown` says what else an assessor needs.
//!
//! ```
//! use cfcp::compliance::{evaluate, framework, ControlStatus};
//! use cfcp::invariants::{run, Config};
//! let report = run(&cfcp::snapshot::demo(), &Config::default());
//! let pci = framework("pci-dss-4.0.1").unwrap();
//! let result = evaluate(pci, &report);
//! let control = result.controls.iter().find(|c| c.id == "4.2.1").unwrap();
//! assert_eq!(control.status, ControlStatus::Fail);
//! ```

mod asvs_4_0_3;
mod asvs_5_0_0;
mod nist_800_53r5;
mod pci_dss_4_0_1;
mod render;

use serde::{Deserialize, Serialize};

use crate::invariants::{catalog, Finding, Resource, Severity, Status};
use crate::report::Report;

/// The format string of version 1 of the compliance report contract.
pub const COMPLIANCE_FORMAT_V1: &str = "cfcp.compliance/v1";

/// A compliance framework and its controls.
#[derive(Debug)]
pub struct Framework {
    /// The name used on the command line (`pci-dss-4.0.1`).
    pub name: &'static str,
    /// The prefix of references to it in checks (`PCI-DSS-4.0.1` in `PCI-DSS-4.0.1:4.2.1`).
    pub reference_prefix: &'static str,
    /// A human title (`PCI DSS v4.0.1`).
    pub title: &'static str,
    /// Its controls, in the framework's order.
    pub controls: &'static [Control],
}

/// One control (requirement) of a framework.
#[derive(Debug)]
pub struct Control {
    /// The framework's id (`4.2.1`, `12.1.1`, `SC-8(1)`).
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// What a Cloudflare snapshot cannot show about this control.
    pub not_shown: &'static str,
}

static FRAMEWORKS: [&Framework; 4] = [
    &pci_dss_4_0_1::FRAMEWORK,
    &asvs_4_0_3::FRAMEWORK,
    &asvs_5_0_0::FRAMEWORK,
    &nist_800_53r5::FRAMEWORK,
];

/// Every mapped framework.
pub fn frameworks() -> impl Iterator<Item = &'static Framework> {
    FRAMEWORKS.iter().copied()
}

/// The command-line names of the frameworks (`pci-dss-4.0.1`, ...).
pub fn framework_names() -> Vec<&'static str> {
    frameworks().map(|f| f.name).collect()
}

/// The framework called `name`: its command-line name (`asvs-5.0`) or reference prefix
/// (`ASVS-5.0.0`), case-insensitively; `asvs-5.0.0` is accepted too.
pub fn framework(name: &str) -> Option<&'static Framework> {
    let name = name.trim();
    frameworks().find(|f| {
        f.name.eq_ignore_ascii_case(name)
            || f.reference_prefix.eq_ignore_ascii_case(name)
            || (f.name == "asvs-5.0" && name.eq_ignore_ascii_case("asvs-5.0.0"))
    })
}

/// The framework and control a reference (`NIST-800-53r5:SC-8(1)`) names, if it is in the tables.
pub fn control_for_reference(reference: &str) -> Option<(&'static Framework, &'static Control)> {
    let (prefix, id) = reference.split_once(':')?;
    let framework = frameworks().find(|f| f.reference_prefix == prefix)?;
    let control = framework.control(id)?;
    Some((framework, control))
}

impl Framework {
    /// The control with this id.
    pub fn control(&self, id: &str) -> Option<&'static Control> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// The reference string checks use for one of its controls (`PCI-DSS-4.0.1:4.2.1`).
    pub fn reference(&self, control_id: &str) -> String {
        format!("{}:{control_id}", self.reference_prefix)
    }
}

/// How a control fares on the evidence; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ControlStatus {
    /// An evidence finding fails.
    Fail,
    /// Nothing fails, something passes, some evidence is unknown or waived.
    Partial,
    /// Evidence exists but none of it passes or fails.
    Unknown,
    /// Every evidence finding passes.
    Pass,
    /// No evidence in this run.
    NotAssessed,
}

impl ControlStatus {
    /// `"FAIL"`, `"PARTIAL"`, `"UNKNOWN"`, `"PASS"`, `"NOT_ASSESSED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Fail => "FAIL",
            ControlStatus::Partial => "PARTIAL",
            ControlStatus::Unknown => "UNKNOWN",
            ControlStatus::Pass => "PASS",
            ControlStatus::NotAssessed => "NOT_ASSESSED",
        }
    }

    fn from_counts(passed: usize, failed: usize, muted: usize, unknown: usize) -> Self {
        if failed > 0 {
            ControlStatus::Fail
        } else if passed > 0 && muted + unknown == 0 {
            ControlStatus::Pass
        } else if passed > 0 || muted > 0 {
            ControlStatus::Partial
        } else if unknown > 0 {
            ControlStatus::Unknown
        } else {
            ControlStatus::NotAssessed
        }
    }
}

/// The result of [`evaluate`]: the `cfcp.compliance/v1` contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceReport {
    /// Always [`COMPLIANCE_FORMAT_V1`].
    pub format: String,
    /// Which framework.
    pub framework: FrameworkInfo,
    /// Counts of controls by status.
    pub summary: ComplianceSummary,
    /// Every control of the framework, in the framework's order.
    pub controls: Vec<ControlResult>,
    /// References to this framework found in the findings that name no control in cfcp's table
    /// (a custom policy's typo, or a control cfcp does not map), so none is dropped silently.
    pub unknown_references: Vec<String>,
}

/// The framework a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkInfo {
    /// Command-line name (`pci-dss-4.0.1`).
    pub name: String,
    /// Human title (`PCI DSS v4.0.1`).
    pub title: String,
}

/// Controls by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ComplianceSummary {
    /// Controls in the table.
    pub controls: usize,
    /// PASS controls.
    pub pass: usize,
    /// FAIL controls.
    pub fail: usize,
    /// PARTIAL controls.
    pub partial: usize,
    /// UNKNOWN controls.
    pub unknown: usize,
    /// NOT_ASSESSED controls.
    pub not_assessed: usize,
}

/// One control's status and evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlResult {
    /// The control's id (`4.2.1`).
    pub id: String,
    /// Its short title.
    pub title: String,
    /// Its status on the evidence.
    pub status: ControlStatus,
    /// One entry per check that maps to the control (built-in checks in catalog order, then
    /// custom checks in report order).
    pub evidence: Vec<Evidence>,
    /// What the snapshot cannot show about the control.
    pub not_shown: String,
}

/// What one check contributes to a control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The check's id.
    pub check_id: String,
    /// The check's title.
    pub title: String,
    /// The check's severity.
    pub severity: Severity,
    /// PASS findings.
    pub passed: usize,
    /// FAIL findings.
    pub failed: usize,
    /// MUTED (waived) findings.
    pub muted: usize,
    /// UNKNOWN findings.
    pub unknown: usize,
    /// The resources of the FAIL findings.
    pub failing: Vec<Resource>,
}

impl Evidence {
    fn findings(&self) -> usize {
        self.passed + self.failed + self.muted + self.unknown
    }
}

/// Groups `report`'s findings by the controls of `framework` their compliance references name.
/// Pure and deterministic.
pub fn evaluate(framework: &Framework, report: &Report) -> ComplianceReport {
    let prefix = format!("{}:", framework.reference_prefix);
    let mut controls = Vec::with_capacity(framework.controls.len());
    let mut summary = ComplianceSummary {
        controls: framework.controls.len(),
        ..ComplianceSummary::default()
    };

    for control in framework.controls {
        let reference = framework.reference(control.id);
        let references = |refs: &[crate::invariants::Text]| refs.iter().any(|r| *r == reference);

        // The checks mapped to this control: the catalog's (even if they found nothing), then
        // any other check id whose findings reference it (custom policies).
        let mut evidence: Vec<Evidence> = catalog::all()
            .filter(|c| c.compliance.contains(&reference.as_str()))
            .map(|c| Evidence {
                check_id: c.id.to_owned(),
                title: c.title.to_owned(),
                severity: c.severity,
                passed: 0,
                failed: 0,
                muted: 0,
                unknown: 0,
                failing: Vec::new(),
            })
            .collect();
        for finding in report.findings.iter().filter(|f| references(&f.compliance)) {
            let index = match evidence.iter().position(|e| e.check_id == finding.check_id) {
                Some(index) => index,
                None => {
                    evidence.push(new_evidence(finding));
                    evidence.len() - 1
                }
            };
            add(&mut evidence[index], finding);
        }

        let total = |pick: fn(&Evidence) -> usize| evidence.iter().map(pick).sum::<usize>();
        let status = ControlStatus::from_counts(
            total(|e| e.passed),
            total(|e| e.failed),
            total(|e| e.muted),
            total(|e| e.unknown),
        );
        match status {
            ControlStatus::Pass => summary.pass += 1,
            ControlStatus::Fail => summary.fail += 1,
            ControlStatus::Partial => summary.partial += 1,
            ControlStatus::Unknown => summary.unknown += 1,
            ControlStatus::NotAssessed => summary.not_assessed += 1,
        }
        controls.push(ControlResult {
            id: control.id.to_owned(),
            title: control.title.to_owned(),
            status,
            evidence,
            not_shown: control.not_shown.to_owned(),
        });
    }

    let mut unknown_references: Vec<String> = report
        .findings
        .iter()
        .flat_map(|f| f.compliance.iter())
        .filter_map(|r| r.strip_prefix(&prefix).map(|id| (r, id)))
        .filter(|(_, id)| framework.control(id).is_none())
        .map(|(r, _)| r.to_string())
        .collect();
    unknown_references.sort();
    unknown_references.dedup();

    ComplianceReport {
        format: COMPLIANCE_FORMAT_V1.to_owned(),
        framework: FrameworkInfo {
            name: framework.name.to_owned(),
            title: framework.title.to_owned(),
        },
        summary,
        controls,
        unknown_references,
    }
}

fn new_evidence(finding: &Finding) -> Evidence {
    Evidence {
        check_id: finding.check_id.to_string(),
        title: finding.title.to_string(),
        severity: finding.severity,
        passed: 0,
        failed: 0,
        muted: 0,
        unknown: 0,
        failing: Vec::new(),
    }
}

fn add(evidence: &mut Evidence, finding: &Finding) {
    match finding.status {
        Status::Pass => evidence.passed += 1,
        Status::Fail => {
            evidence.failed += 1;
            if !evidence.failing.contains(&finding.resource) {
                evidence.failing.push(finding.resource.clone());
            }
        }
        Status::Muted => evidence.muted += 1,
        Status::Unknown => evidence.unknown += 1,
    }
}

#[cfg(test)]
mod tests;
