use std::collections::BTreeSet;

use super::*;
use crate::invariants::{catalog, run, Config};
use crate::snapshot::demo;

const OWNER_TAG: (&str, &str) = (
    "examples/policies/require-owner-tag-on-exposed-records.rego",
    include_str!("../../../examples/policies/require-owner-tag-on-exposed-records.rego"),
);

/// The five built-in checks written in Rego: (built-in id, path, text).
const EQUIVALENTS: &[(&str, &str, &str)] = &[
    (
        "zone_ssl_strict",
        "examples/policies/builtin-equivalents/zone_ssl_strict.rego",
        include_str!("../../../examples/policies/builtin-equivalents/zone_ssl_strict.rego"),
    ),
    (
        "zone_min_tls_version_secure",
        "examples/policies/builtin-equivalents/zone_min_tls_version_secure.rego",
        include_str!(
            "../../../examples/policies/builtin-equivalents/zone_min_tls_version_secure.rego"
        ),
    ),
    (
        "zone_tls_1_3_enabled",
        "examples/policies/builtin-equivalents/zone_tls_1_3_enabled.rego",
        include_str!("../../../examples/policies/builtin-equivalents/zone_tls_1_3_enabled.rego"),
    ),
    (
        "zone_dnssec_enabled",
        "examples/policies/builtin-equivalents/zone_dnssec_enabled.rego",
        include_str!("../../../examples/policies/builtin-equivalents/zone_dnssec_enabled.rego"),
    ),
    (
        "dns_record_proxied",
        "examples/policies/builtin-equivalents/dns_record_proxied.rego",
        include_str!("../../../examples/policies/builtin-equivalents/dns_record_proxied.rego"),
    ),
];

fn file(path: &str, text: &str) -> (String, String) {
    (path.to_owned(), text.to_owned())
}

fn policy(body: &str) -> Vec<(String, String)> {
    vec![file("policies/test.rego", body)]
}

fn location_of(error: &Error) -> (String, usize, usize, String) {
    match error {
        Error::InvalidDocument {
            document,
            path,
            line,
            column,
            message,
        } => {
            assert_eq!(*document, "policy");
            (path.clone(), *line, *column, message.clone())
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn example_policy_loads_and_finds_unowned_exposed_records_in_the_demo() {
    let set = load_policies(&[file(OWNER_TAG.0, OWNER_TAG.1)]).unwrap();
    assert_eq!(set.packages(), vec!["data.cfcp.custom.record_ownership"]);
    let findings = set.evaluate(&demo(), Limits::default()).unwrap();
    assert!(!findings.is_empty());
    for f in &findings {
        assert_eq!(f.check_id, "dns_record_exposed_has_owner");
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(f.resource.kind, "dns_record");
        assert!(f.resource.zone.is_some());
        assert_eq!(*f.compliance, ["NIST-800-53r5:CM-8"]);
        assert!(f.remediation.api.starts_with("PATCH /zones/"));
    }
    let names: BTreeSet<&str> = findings.iter().map(|f| f.resource.name.as_str()).collect();
    // Unproxied and untagged: reported.
    assert!(names.contains("A db.acme-internal.net"), "{names:?}");
    assert!(names.contains("CNAME docs.acme-internal.net"), "{names:?}");
    // Tagged with team:..., or proxied, or not an address record: not reported.
    assert!(!names.contains("A jenkins.acme-internal.net"));
    assert!(!names.contains("A origin.acme-api.io"));
    assert!(!names.contains("A acme-shop.com"));
    assert!(!names
        .iter()
        .any(|n| n.starts_with("MX ") || n.starts_with("TXT ")));
    // Deterministic.
    assert_eq!(findings, set.evaluate(&demo(), Limits::default()).unwrap());
}

#[test]
fn builtin_equivalents_match_the_builtin_checks_on_the_demo() {
    let files: Vec<_> = EQUIVALENTS.iter().map(|(_, p, t)| file(p, t)).collect();
    let set = load_policies(&files).unwrap();
    assert_eq!(set.packages().len(), 5);
    let snapshot = demo();
    let rego = set.evaluate(&snapshot, Limits::default()).unwrap();
    let report = run(&snapshot, &Config::default());
    let mut compared = 0;
    for (id, path, _) in EQUIVALENTS {
        let rego_failing: BTreeSet<(String, String)> = rego
            .iter()
            .filter(|f| f.check_id == format!("rego_{id}"))
            .map(|f| (f.resource.kind.to_string(), f.resource.id.to_string()))
            .collect();
        if catalog::get(id).is_none() {
            eprintln!("note: built-in check {id} does not exist yet; {path} not compared");
            continue;
        }
        let builtin_failing: BTreeSet<(String, String)> = report
            .failures()
            .filter(|f| f.check_id == *id)
            .map(|f| (f.resource.kind.to_string(), f.resource.id.to_string()))
            .collect();
        assert_eq!(
            rego_failing, builtin_failing,
            "{path} and the built-in {id} disagree on the demo snapshot"
        );
        assert!(
            !builtin_failing.is_empty(),
            "{id} fails nowhere in the demo"
        );
        compared += 1;
    }
    assert!(compared >= 1);
}

#[test]
fn syntax_error_names_file_and_line() {
    let files = vec![
        file(OWNER_TAG.0, OWNER_TAG.1),
        file(
            "policies/broken.rego",
            "package cfcp.custom.broken\n\nimport rego.v1\n\ndeny contains x if {\n  x := [1, 2\n}\n",
        ),
    ];
    let error = load_policies(&files).unwrap_err();
    let (path, line, column, message) = location_of(&error);
    assert_eq!(path, "policies/broken.rego");
    assert!((6..=7).contains(&line), "line {line}: {message}");
    assert!(column > 0);
    assert!(
        error.to_string().contains("policies/broken.rego"),
        "{error}"
    );
    assert!(
        error.to_string().contains(&format!("line {line}")),
        "{error}"
    );

    // Lenient loading keeps the good file, so the caller can still report and run the rest.
    let (set, errors) = load_policies_lenient(&files);
    assert_eq!(errors.len(), 1);
    assert_eq!(set.files(), &[OWNER_TAG.0.to_owned()]);
    assert!(!set.evaluate(&demo(), Limits::default()).unwrap().is_empty());
}

#[test]
fn unknown_function_is_a_load_error_with_its_line() {
    let error = load_policies(&policy(
        "package cfcp.custom.t\n\nimport rego.v1\n\ndeny contains {\"id\": \"x\", \"severity\": \"low\", \"resource\": \"r\", \"msg\": m} if {\n  m := no_such.function(1)\n}\n",
    ))
    .unwrap_err();
    let (path, line, _, message) = location_of(&error);
    assert_eq!(path, "policies/test.rego");
    assert_eq!(line, 6, "{message}");
    assert!(message.contains("no_such.function"), "{message}");
}

#[test]
fn clock_network_environment_and_randomness_are_rejected_at_load() {
    for (call, what) in [
        ("time.now_ns()", "clock"),
        ("time.parse_rfc3339_ns(\"2026-01-01T00:00:00Z\")", "clock"),
        (
            "http.send({\"method\": \"get\", \"url\": \"https://example.com\"})",
            "network",
        ),
        ("net.lookup_ip_addr(\"example.com\")", "network"),
        ("opa.runtime()", "environment"),
        ("rand.intn(\"seed\", 10)", "random"),
        ("uuid.rfc4122(\"seed\")", "random"),
    ] {
        let text = format!(
            "package cfcp.custom.t\n\nimport rego.v1\n\n# time.now_ns() in a comment is fine\nok := \"http.send(x) in a string is fine\"\n\ndeny contains {{\"id\": \"x\", \"severity\": \"low\", \"resource\": \"r\", \"msg\": sprintf(\"%v\", [v])}} if {{\n  v := {call}\n}}\n"
        );
        let error = load_policies(&policy(&text)).unwrap_err();
        let (path, line, column, message) = location_of(&error);
        assert_eq!(path, "policies/test.rego");
        assert_eq!((line, column), (9, 8), "{call}: {message}");
        assert!(message.contains(what), "{call}: {message}");
    }
    // Without the scan, regorus itself does not know these builtins (the features are off).
    let mut engine = Engine::new();
    engine
        .add_policy(
            "t.rego".into(),
            "package t\nimport rego.v1\nx := time.now_ns()\n".into(),
        )
        .unwrap();
    assert!(compile(&mut engine, "data.t.x").is_err());
}

#[test]
fn severities_are_validated_and_name_the_policy() {
    let error = load_policies(&policy(
        "package cfcp.custom.t\n\nimport rego.v1\n\ndeny contains {\"id\": \"x\", \"severity\": \"urgent\", \"resource\": \"r\", \"msg\": \"m\"}\n",
    ))
    .unwrap()
    .evaluate(&demo(), Limits::default())
    .unwrap_err();
    let (path, _, _, message) = location_of(&error);
    assert_eq!(path, "policies/test.rego");
    assert!(message.contains("data.cfcp.custom.t"), "{message}");
    assert!(message.contains("\"urgent\""), "{message}");

    for severity in ["critical", "HIGH", "Medium", "low", "info"] {
        let findings = load_policies(&policy(&format!(
            "package cfcp.custom.t\n\nimport rego.v1\n\ndeny contains {{\"id\": \"x\", \"severity\": \"{severity}\", \"resource\": \"r\", \"msg\": \"m\"}}\n"
        )))
        .unwrap()
        .evaluate(&demo(), Limits::default())
        .unwrap();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::parse(severity).unwrap());
        assert_eq!(findings[0].resource.kind, "custom");
        assert_eq!(findings[0].resource.zone, None);
        assert_eq!(findings[0].title, "x");
    }
}

#[test]
fn malformed_deny_elements_are_errors_naming_what_is_missing() {
    for (element, expected) in [
        ("{\"severity\": \"low\", \"resource\": \"r\", \"msg\": \"m\"}", "\"id\""),
        ("{\"id\": \"x\", \"resource\": \"r\", \"msg\": \"m\"}", "\"severity\""),
        ("{\"id\": \"x\", \"severity\": \"low\", \"msg\": \"m\"}", "\"resource\""),
        ("{\"id\": \"x\", \"severity\": \"low\", \"resource\": \"r\"}", "\"msg\""),
        ("{\"id\": \"x\", \"severity\": \"low\", \"resource\": \"r\", \"msg\": 3}", "\"msg\""),
        ("{\"id\": \"x\", \"severity\": \"low\", \"resource\": \"r\", \"msg\": \"m\", \"compliance\": [1]}", "compliance"),
        ("\"just a string\"", "object"),
    ] {
        let text = format!("package cfcp.custom.t\n\nimport rego.v1\n\ndeny contains {element}\n");
        let error = load_policies(&policy(&text))
            .unwrap()
            .evaluate(&demo(), Limits::default())
            .unwrap_err();
        let (_, _, _, message) = location_of(&error);
        assert!(message.contains(expected), "{element}: {message}");
    }
    // `deny` that is not a set.
    let error = load_policies(&policy("package cfcp.custom.t\n\ndeny := true\n"))
        .unwrap()
        .evaluate(&demo(), Limits::default())
        .unwrap_err();
    assert!(error.to_string().contains("must be a set"), "{error}");
}

#[test]
fn optional_members_fill_the_finding() {
    let findings = load_policies(&policy(
        r#"package cfcp.custom.t

import rego.v1

deny contains {
	"id": "custom_check",
	"title": "A custom title",
	"severity": "high",
	"resource": "thing-1",
	"zone": "acme-shop.com",
	"msg": "bad",
	"remediation": "fix it",
	"compliance": {"NIST-800-53r5:CM-6", "PCI-DSS-4.0.1:2.2.1"},
}
"#,
    ))
    .unwrap()
    .evaluate(&demo(), Limits::default())
    .unwrap();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.title, "A custom title");
    assert_eq!(
        f.resource,
        Resource {
            kind: "custom".into(),
            id: "thing-1".into(),
            name: "thing-1".into(),
            zone: Some("acme-shop.com".into()),
        }
    );
    assert_eq!(f.remediation.text, "fix it");
    assert_eq!(*f.compliance, ["NIST-800-53r5:CM-6", "PCI-DSS-4.0.1:2.2.1"]);
}

#[test]
fn instruction_budget_stops_expensive_policies() {
    let text = "package cfcp.custom.t\n\nimport rego.v1\n\ndeny contains {\"id\": \"x\", \"severity\": \"low\", \"resource\": sprintf(\"%s/%s\", [a.id, b.id]), \"msg\": \"m\"} if {\n  some za in input.zones\n  some a in za.dns_records\n  some zb in input.zones\n  some b in zb.dns_records\n  a.content == b.content\n}\n";
    let set = load_policies(&policy(text)).unwrap();
    let error = set
        .evaluate(
            &demo(),
            Limits {
                max_instructions: 1_000,
            },
        )
        .unwrap_err();
    let (path, _, _, message) = location_of(&error);
    assert_eq!(path, "policies/test.rego");
    assert!(message.contains("1000 instructions"), "{message}");
    // With the default budget the same policy finishes.
    assert!(!set.evaluate(&demo(), Limits::default()).unwrap().is_empty());
}

#[test]
fn packages_without_deny_are_helpers_and_packages_can_span_files() {
    let files = vec![
        file(
            "lib.rego",
            "package cfcp.lib\n\nimport rego.v1\n\nbad_ssl := {\"off\", \"flexible\"}\n",
        ),
        file(
            "a.rego",
            "package cfcp.custom.ssl\n\nimport rego.v1\n\ndeny contains {\"id\": \"flexible\", \"severity\": \"high\", \"resource\": z.zone.name, \"msg\": \"m\"} if {\n  some z in input.zones\n  some s in z.settings\n  s.id == \"ssl\"\n  s.value in data.cfcp.lib.bad_ssl\n}\n",
        ),
        file(
            "b.rego",
            "package cfcp.custom.ssl\n\nimport rego.v1\n\ndeny contains {\"id\": \"always\", \"severity\": \"info\", \"resource\": \"account\", \"msg\": \"m\"}\n",
        ),
    ];
    let set = load_policies(&files).unwrap();
    assert_eq!(set.packages(), vec!["data.cfcp.custom.ssl"]);
    assert_eq!(set.files().len(), 3);
    let findings = set.evaluate(&demo(), Limits::default()).unwrap();
    let ids: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (&*f.check_id, f.resource.id.as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![("always", "account"), ("flexible", "acme-internal.net")]
    );
}

#[test]
fn empty_and_duplicate_inputs() {
    let set = load_policies(&[]).unwrap();
    assert!(set.is_empty());
    assert!(set.evaluate(&demo(), Limits::default()).unwrap().is_empty());
    let duplicate = vec![
        file(OWNER_TAG.0, OWNER_TAG.1),
        file(OWNER_TAG.0, OWNER_TAG.1),
    ];
    assert!(load_policies(&duplicate)
        .unwrap_err()
        .to_string()
        .contains("twice"));
}

#[test]
fn forbidden_builtin_scan_ignores_fields_and_strings() {
    assert!(forbidden_builtin("p", "x := input.time.now_ns\n").is_none());
    assert!(forbidden_builtin("p", "x := \"time.now_ns()\"\n").is_none());
    assert!(forbidden_builtin("p", "x := `\ntime.now_ns()`\n").is_none());
    assert!(forbidden_builtin("p", "x := timeout(1)\n").is_none());
    assert!(forbidden_builtin("p", "\n\n  x := time.now_ns ()\n").is_some());
}

#[test]
fn policy_sets_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PolicySet>();
}
