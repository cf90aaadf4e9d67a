use std::collections::BTreeSet;

use super::*;
use crate::invariants::{run, Config, Remediation};
use crate::snapshot::demo;

#[test]
fn every_reference_used_by_a_check_names_a_control_in_the_tables() {
    let mut missing = Vec::new();
    for check in catalog::all() {
        for reference in check.compliance {
            if control_for_reference(reference).is_none() {
                missing.push(format!("{} -> {reference}", check.id));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "compliance references with no control in core/src/compliance (add the control with its \
         real id and title, or fix the reference):\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_framework_has_documented_unique_controls() {
    assert_eq!(
        framework_names(),
        vec!["pci-dss-4.0.1", "asvs-4.0.3", "asvs-5.0", "nist-800-53r5"]
    );
    for framework in frameworks() {
        assert!(
            framework.controls.len() >= 5,
            "{} has too few controls",
            framework.name
        );
        let mut seen = BTreeSet::new();
        for control in framework.controls {
            assert!(
                seen.insert(control.id),
                "{}: duplicate {}",
                framework.name,
                control.id
            );
            assert!(
                control.title.len() >= 10,
                "{}: {}",
                framework.name,
                control.id
            );
            assert!(
                control.not_shown.len() >= 20,
                "{}: {} says nothing about what the snapshot cannot show",
                framework.name,
                control.id
            );
            assert!(!control.title.contains("  "), "{}", control.id);
            assert!(!control.not_shown.contains("  "), "{}", control.id);
            let reference = framework.reference(control.id);
            let (f, c) = control_for_reference(&reference).unwrap();
            assert_eq!((f.name, c.id), (framework.name, control.id));
        }
    }
}

#[test]
fn frameworks_are_found_by_name_or_prefix() {
    assert_eq!(framework("pci-dss-4.0.1").unwrap().name, "pci-dss-4.0.1");
    assert_eq!(framework("PCI-DSS-4.0.1").unwrap().name, "pci-dss-4.0.1");
    assert_eq!(framework("asvs-5.0").unwrap().name, "asvs-5.0");
    assert_eq!(framework("asvs-5.0.0").unwrap().name, "asvs-5.0");
    assert_eq!(framework(" NIST-800-53r5 ").unwrap().name, "nist-800-53r5");
    assert!(framework("iso-27001").is_none());
    assert!(control_for_reference("PCI-DSS-4.0.1:99.9").is_none());
    assert!(control_for_reference("no colon").is_none());
}

#[test]
fn demo_pci_report_fails_4_2_1_on_the_bad_zones() {
    let report = run(&demo(), &Config::default());
    let result = evaluate(framework("pci-dss-4.0.1").unwrap(), &report);
    assert_eq!(result.format, COMPLIANCE_FORMAT_V1);
    assert_eq!(result.controls.len(), result.summary.controls);
    let s = result.summary;
    assert_eq!(
        s.pass + s.fail + s.partial + s.unknown + s.not_assessed,
        s.controls
    );

    let control = result.controls.iter().find(|c| c.id == "4.2.1").unwrap();
    assert_eq!(control.status, ControlStatus::Fail);
    let ssl = control
        .evidence
        .iter()
        .find(|e| e.check_id == "zone_ssl_strict")
        .unwrap();
    let failing: BTreeSet<&str> = ssl.failing.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        failing,
        BTreeSet::from(["acme-internal.net", "acme-api.io"])
    );
    assert_eq!((ssl.passed, ssl.failed), (1, 2));
    assert!(control.not_shown.contains("PAN"));

    // Controls no check maps to are listed, not assessed, with what the snapshot cannot show.
    let logs = result.controls.iter().find(|c| c.id == "10.2.1").unwrap();
    if logs.evidence.is_empty() {
        assert_eq!(logs.status, ControlStatus::NotAssessed);
    }

    // Every framework evaluates, and its references in the demo findings are all known.
    for framework in frameworks() {
        let result = evaluate(framework, &report);
        assert!(
            result.unknown_references.is_empty(),
            "{}: {:?}",
            framework.name,
            result.unknown_references
        );
        assert_eq!(result, evaluate(framework, &report), "deterministic");
    }
}

fn finding(check_id: &str, status: Status, resource: &str, compliance: &[&str]) -> Finding {
    Finding {
        check_id: check_id.to_owned().into(),
        title: format!("title of {check_id}").into(),
        severity: Severity::Medium,
        status,
        resource: Resource {
            kind: "custom".into(),
            id: resource.into(),
            name: resource.into(),
            zone: Some("example.com".into()),
        },
        message: "m".into(),
        remediation: Remediation {
            text: "".into(),
            terraform: "".into(),
            api: "".into(),
        },
        compliance: compliance.iter().map(|c| (*c).to_owned().into()).collect(),
    }
}

#[test]
fn control_status_follows_the_evidence() {
    use ControlStatus::*;
    use Status::{Fail as F, Muted as M, Pass as P, Unknown as U};
    let reference = "NIST-800-53r5:SI-10";
    for (statuses, expected) in [
        (vec![P, P], Pass),
        (vec![P, F], Fail),
        (vec![F, U, M], Fail),
        (vec![P, U], Partial),
        (vec![P, M], Partial),
        (vec![M], Partial),
        (vec![U, U], Unknown),
        (vec![], NotAssessed),
    ] {
        let findings: Vec<Finding> = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| finding("custom_si10", *s, &format!("r{i}"), &[reference]))
            .collect();
        let report = Report::new(1, findings);
        let result = evaluate(framework("nist-800-53r5").unwrap(), &report);
        let control = result.controls.iter().find(|c| c.id == "SI-10").unwrap();
        assert_eq!(control.status, expected, "{statuses:?}");
    }
}

#[test]
fn custom_findings_count_and_unknown_references_are_reported() {
    let report = Report::new(
        1,
        vec![
            finding(
                "custom_a",
                Status::Fail,
                "thing",
                &["PCI-DSS-4.0.1:1.4.5", "PCI-DSS-4.0.1:9.9.9"],
            ),
            finding("custom_a", Status::Fail, "thing", &["PCI-DSS-4.0.1:1.4.5"]),
            finding("custom_a", Status::Pass, "other", &["PCI-DSS-4.0.1:1.4.5"]),
            finding("custom_b", Status::Pass, "x", &["NIST-800-53r5:SC-7"]),
        ],
    );
    let result = evaluate(framework("pci-dss-4.0.1").unwrap(), &report);
    let control = result.controls.iter().find(|c| c.id == "1.4.5").unwrap();
    assert_eq!(control.status, ControlStatus::Fail);
    let custom = control
        .evidence
        .iter()
        .find(|e| e.check_id == "custom_a")
        .unwrap();
    assert_eq!((custom.failed, custom.passed), (2, 1));
    assert_eq!(custom.failing.len(), 1, "the same resource is listed once");
    assert_eq!(result.unknown_references, vec!["PCI-DSS-4.0.1:9.9.9"]);
    // Only this framework's references are considered.
    assert!(!result
        .unknown_references
        .iter()
        .any(|r| r.starts_with("NIST")));
}

#[test]
fn renderings_carry_status_evidence_and_not_shown() {
    let report = run(&demo(), &Config::default());
    let result = evaluate(framework("pci-dss-4.0.1").unwrap(), &report);

    let json: serde_json::Value = serde_json::from_str(&result.to_json_pretty()).unwrap();
    assert_eq!(json["format"], "cfcp.compliance/v1");
    assert_eq!(json["framework"]["name"], "pci-dss-4.0.1");
    let control = json["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "4.2.1")
        .unwrap();
    assert_eq!(control["status"], "FAIL");
    assert!(control["not_shown"].as_str().unwrap().len() > 20);
    assert!(control["evidence"][0]["failing"][0]["type"].is_string());
    let back: ComplianceReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, result);

    let text = result.to_text();
    assert!(text.starts_with("PCI DSS v4.0.1: "), "{text}");
    assert!(text.contains("FAIL         4.2.1"), "{text}");
    assert!(
        text.contains("zone_ssl_strict (high): 2 failed, 1 passed"),
        "{text}"
    );
    assert!(text.contains("FAIL zone acme-internal.net"), "{text}");
    assert!(text.contains("not shown by the snapshot:"), "{text}");

    let markdown = result.to_markdown();
    assert!(markdown.contains("| Control | Status | Evidence | Not shown by the snapshot |"));
    assert!(markdown.contains("| **4.2.1** "), "{markdown}");
    assert!(
        markdown.contains("`zone_ssl_strict`: 2 failed, 1 passed"),
        "{markdown}"
    );
    for line in markdown.lines().filter(|l| l.starts_with("| **")) {
        assert_eq!(line.matches(" | ").count(), 3, "{line}");
    }
}

#[test]
fn an_empty_report_assesses_nothing() {
    let report = Report::new(0, Vec::new());
    for framework in frameworks() {
        let result = evaluate(framework, &report);
        assert_eq!(result.summary.not_assessed, result.summary.controls);
        assert!(result.to_text().contains("NOT_ASSESSED"));
    }
}
