//! The Rust example (core/examples/check_demo.rs) keeps working: its `run` is compiled into this
//! test and its output checked against what the crate computes independently.

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../examples/check_demo.rs"]
mod check_demo;

use cfcp::invariants::{run, Config, Severity};
use cfcp::snapshot::Snapshot;

fn output(snapshot: &Snapshot) -> (i32, String) {
    let mut out = Vec::new();
    let code = check_demo::run(snapshot, &mut out).expect("writing to a Vec cannot fail");
    (code, String::from_utf8(out).expect("UTF-8 output"))
}

#[test]
fn check_demo_summarises_the_demo_account() {
    let snapshot = cfcp::snapshot::demo();
    let report = run(&snapshot, &Config::default());
    let (code, text) = output(&snapshot);
    let s = &report.summary;
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "{} zones, {} checks: {} passed, {} failed, {} unknown ({}% compliant)",
            snapshot.zones.len(),
            s.checks,
            s.passed,
            s.failed,
            s.unknown,
            s.compliance_rate
        )
    );
    assert!(s.failed > 0, "the demo account has failures to show");
    for zone in &snapshot.zones {
        let failing = report
            .failures()
            .filter(|f| f.resource.zone.as_deref() == Some(zone.zone.name.as_str()))
            .count();
        if failing > 0 {
            let line = format!("  {}: {failing} failing", zone.zone.name);
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
    }
    let serious: Vec<_> = report
        .failures()
        .filter(|f| f.severity >= Severity::High)
        .collect();
    assert_eq!(code, i32::from(!serious.is_empty()));
    let listed: Vec<&str> = text.lines().filter(|l| l.starts_with("  [")).collect();
    assert_eq!(listed.len(), serious.len().min(5), "{text}");
    if let Some(worst) = serious.iter().map(|f| f.severity).max() {
        assert!(
            listed[0].starts_with(&format!("  [{worst}] ")),
            "the worst come first:\n{text}"
        );
    }
    assert!(text.contains("PCI DSS"), "{text}");
}

#[test]
fn check_demo_shows_where_a_waf_expression_is_wrong() {
    let (_, text) = output(&cfcp::snapshot::demo());
    let err = cfcp::rules::validate(
        check_demo::MISTYPED_EXPRESSION,
        cfcp::rules::ExpressionKind::Filter,
    )
    .expect_err("the example's expression has a typo");
    assert!(
        text.contains(&format!(
            "expression error at byte {}: {}",
            err.offset,
            err.full_message()
        )),
        "{text}"
    );
    assert_eq!(
        &check_demo::MISTYPED_EXPRESSION[err.offset..err.offset + 6],
        "contan",
        "the offset points at the typo"
    );
}

#[test]
fn check_demo_passes_an_empty_account() {
    let empty = Snapshot::from_json_str(
        r#"{"format":"cfcp.snapshot/v1","taken_at":"2026-11-01T12:00:00Z",
            "source":{"kind":"file","detail":"test"},"accounts":[],"zones":[],"gaps":[]}"#,
    )
    .unwrap();
    let (code, text) = output(&empty);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("0 zones, "), "{text}");
    assert!(!text.contains(" failing"), "{text}");
}
