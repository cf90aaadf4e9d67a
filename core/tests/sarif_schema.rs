//! The SARIF output validates against the official SARIF 2.1.0 JSON schema (OASIS, errata 01),
//! vendored in `tests/data/sarif-schema-2.1.0.json` (the network is closed in tests).

use cfcp::invariants::{run, Config, Finding, Remediation, Resource, Severity, Status, Waiver};
use cfcp::report::sarif::{self, SarifOptions};
use cfcp::report::Report;
use serde_json::Value;

const SCHEMA: &str = include_str!("data/sarif-schema-2.1.0.json");

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the vendored schema is JSON");
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn errors(validator: &jsonschema::Validator, log: &Value) -> Vec<String> {
    validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn options() -> SarifOptions {
    SarifOptions {
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        information_uri: Some("https://example.com/cfcp".to_owned()),
        artifact_uri: Some("examples/snapshots/demo.json".to_owned()),
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("SARIF output is JSON")
}

#[test]
fn demo_report_sarif_validates() {
    let report = run(&cfcp::snapshot::demo(), &Config::default());
    assert!(report.failures().count() > 0, "the demo has failures");
    let log = parse(&sarif::render(&report, &options()));
    let errs = errors(&validator(), &log);
    assert!(errs.is_empty(), "{errs:#?}");
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn live_mode_without_artifact_and_every_status_validates() {
    // Waive one failure (MUTED → suppression), make a section unreadable (UNKNOWN → review),
    // and add an expired waiver (an account-level finding without a zone).
    let mut snapshot = cfcp::snapshot::demo();
    snapshot.gaps.push(cfcp::snapshot::Gap {
        zone: Some("acme-shop.com".into()),
        account: None,
        section: "settings".into(),
        reason: "403 Authentication error (code 10000)".into(),
    });
    let config = Config {
        waivers: vec![
            Waiver {
                check_id: "zone_ssl_strict".into(),
                resource: "acme-api.io".into(),
                reason: "origin certificate rollout".into(),
                expires: "2999-01-01".into(),
            },
            Waiver {
                check_id: "zone_ssl_strict".into(),
                resource: "gone.example".into(),
                reason: "old".into(),
                expires: "2000-01-01".into(),
            },
        ],
        ..Config::default()
    };
    let report = run(&snapshot, &config);
    for status in [Status::Fail, Status::Muted, Status::Unknown] {
        assert!(
            report.findings.iter().any(|f| f.status == status),
            "no {status:?} finding to exercise"
        );
    }
    let log = parse(&sarif::render(
        &report,
        &SarifOptions {
            tool_version: "0.1.0".into(),
            ..SarifOptions::default()
        },
    ));
    let errs = errors(&validator(), &log);
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn empty_and_hostile_reports_validate() {
    let hostile = Finding {
        check_id: "custom/policy \"x\"".into(),
        title: "<script>alert(1)</script>".into(),
        severity: Severity::Critical,
        status: Status::Fail,
        resource: Resource {
            kind: "dns_record".into(),
            id: "id with spaces\u{0}".into(),
            name: "ü.example\n\u{1b}[31m".into(),
            zone: Some("zone with space.example".into()),
        },
        message: "TXT \"v=spf1 %{garbage}\" \\ |".into(),
        remediation: Remediation {
            text: "".into(),
            terraform: "".into(),
            api: "".into(),
        },
        compliance: vec![].into(),
    };
    let validator = validator();
    for report in [Report::new(0, vec![]), Report::new(1, vec![hostile])] {
        for opts in [options(), SarifOptions::default()] {
            let log = parse(&sarif::render(&report, &opts));
            let errs = errors(&validator, &log);
            assert!(errs.is_empty(), "{errs:#?}");
        }
    }
}

#[test]
fn the_schema_rejects_broken_sarif() {
    let report = run(&cfcp::snapshot::demo(), &Config::default());
    let good = parse(&sarif::render(&report, &options()));
    let validator = validator();

    let mut no_version = good.clone();
    no_version.as_object_mut().unwrap().remove("version");
    assert!(!errors(&validator, &no_version).is_empty());

    let mut bad_level = good.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!errors(&validator, &bad_level).is_empty());

    let mut bad_line = good.clone();
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!errors(&validator, &bad_line).is_empty());

    // Formats are checked too (draft-04 knows `uri`; `uri-reference` came with draft-06, so the
    // artifact URIs are checked by cfcp's own unit tests).
    let mut bad_uri = good.clone();
    bad_uri["$schema"] = "not a uri".into();
    assert!(!errors(&validator, &bad_uri).is_empty());

    let mut unknown_member = good;
    unknown_member["runs"][0]["results"][0]["severity"] = "high".into();
    assert!(!errors(&validator, &unknown_member).is_empty());
}
