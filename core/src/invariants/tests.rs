use super::*;
use crate::snapshot::demo;

#[test]
fn demo_report_is_deterministic_and_counts_add_up() {
    let a = run(&demo(), &Config::default());
    let b = run(&demo(), &Config::default());
    assert_eq!(a, b);
    let s = a.summary;
    assert_eq!(s.passed + s.failed + s.muted + s.unknown, a.findings.len());
}

#[test]
fn ssl_strict_fails_on_flexible_and_passes_on_strict() {
    let report = run(
        &demo(),
        &Config {
            checks: vec!["zone_ssl_strict".into()],
            ..Config::default()
        },
    );
    let status = |zone: &str| {
        report
            .findings
            .iter()
            .find(|f| f.resource.zone.as_deref() == Some(zone))
            .map(|f| f.status)
    };
    assert_eq!(status("acme-shop.com"), Some(Status::Pass));
    assert_eq!(status("acme-internal.net"), Some(Status::Fail));
    let f = report
        .findings
        .iter()
        .find(|f| f.status == Status::Fail)
        .unwrap();
    assert!(
        f.remediation
            .api
            .starts_with("PATCH /zones/671c33b0bdcb94de9caf6dfba4345b08/settings/ssl"),
        "{}",
        f.remediation.api
    );
}

#[test]
fn a_gap_makes_the_check_unknown_never_pass() {
    let mut snapshot = demo();
    snapshot.gaps.push(crate::snapshot::Gap {
        zone: Some("acme-shop.com".into()),
        account: None,
        section: "settings".into(),
        reason: "403 Authentication error (code 10000)".into(),
    });
    snapshot.zones[0].settings.clear();
    let report = run(
        &snapshot,
        &Config {
            checks: vec!["zone_ssl_strict".into()],
            ..Config::default()
        },
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.resource.zone.as_deref() == Some("acme-shop.com"))
        .unwrap();
    assert_eq!(f.status, Status::Unknown);
    assert!(f.message.contains("403"), "{}", f.message);
}

#[test]
fn waivers_mute_until_they_expire_then_report_themselves() {
    let waiver = |expires: &str| Waiver {
        check_id: "zone_ssl_strict".into(),
        resource: "acme-internal.net".into(),
        reason: "origin migration in progress".into(),
        expires: expires.into(),
    };
    let only = |waivers| Config {
        checks: vec!["zone_ssl_strict".into()],
        waivers,
        ..Config::default()
    };
    // demo taken_at is 2026-11-01
    let live = run(&demo(), &only(vec![waiver("2026-12-31")]));
    assert!(live
        .findings
        .iter()
        .any(|f| f.status == Status::Muted && f.message.contains("origin migration")));
    assert_eq!(live.summary.muted, 1);
    let expired = run(&demo(), &only(vec![waiver("2026-10-31")]));
    assert!(expired
        .findings
        .iter()
        .any(|f| f.check_id == "cfcp_waiver_expired" && f.status == Status::Fail));
    assert!(expired
        .findings
        .iter()
        .any(|f| f.check_id == "zone_ssl_strict" && f.status == Status::Fail));
}

#[test]
fn waiver_files_parse_with_paths_in_errors() {
    let ok =
        waivers::parse(r#"[{"check_id":"a","resource":"*","reason":"r","expires":"2027-01-01"}]"#)
            .unwrap();
    assert_eq!(ok.len(), 1);
    let err = waivers::parse(r#"[{"check_id":"a","resource":"*","reason":"r","expires":"soon"}]"#)
        .unwrap_err();
    assert!(err.to_string().contains("[0].expires"), "{err}");
    let err = waivers::parse(r#"[{"check_id":"a","resource":"*"}]"#).unwrap_err();
    assert!(err.to_string().contains("missing field"), "{err}");
}

#[test]
fn zone_filter_limits_zone_checks() {
    let report = run(
        &demo(),
        &Config {
            zones: vec!["acme-api.io".into()],
            ..Config::default()
        },
    );
    assert!(report.findings.iter().all(|f| f
        .resource
        .zone
        .as_deref()
        .map_or(true, |z| z == "acme-api.io")));
}

/// Engine-level: for every zone check and every section it reads, a gap in that section makes the
/// check UNKNOWN on that zone, never PASS or FAIL.
#[test]
fn every_zone_check_is_unknown_when_any_of_its_sections_is_a_gap() {
    for check in catalog::all() {
        if !matches!(check.eval, catalog::Eval::Zone(_)) {
            continue;
        }
        for section in check.sections {
            let mut snapshot = demo();
            snapshot.gaps.push(crate::snapshot::Gap {
                zone: Some("acme-shop.com".into()),
                account: None,
                section: (*section).to_owned(),
                reason: "403 Authentication error (code 10000)".into(),
            });
            let config = Config {
                checks: vec![check.id.into()],
                zones: vec!["acme-shop.com".into()],
                ..Config::default()
            };
            let report = run(&snapshot, &config);
            assert!(!report.findings.is_empty(), "{} / {section}", check.id);
            assert!(
                report
                    .findings
                    .iter()
                    .all(|f| f.status == Status::Unknown && f.message.contains("403")),
                "{} with a {section} gap: {:?}",
                check.id,
                report.findings
            );
        }
    }
}

/// Two zones; `a.example` has two DNS-only public A records (failing `dns_record_proxied`).
fn two_unproxied_records() -> crate::snapshot::Snapshot {
    crate::snapshot::Snapshot::from_json_str(
        r#"{"format":"cfcp.snapshot/v1","taken_at":"2026-11-01T12:00:00Z","source":{"kind":"file"},
        "accounts":[],"gaps":[],"zones":[
          {"zone":{"id":"za","name":"a.example"},"dns_records":[
            {"id":"r1","name":"one.a.example","type":"A","content":"203.0.113.1","proxied":false},
            {"id":"r2","name":"two.a.example","type":"A","content":"203.0.113.2","proxied":false}]},
          {"zone":{"id":"zb","name":"b.example"},"dns_records":[
            {"id":"r3","name":"three.b.example","type":"A","content":"203.0.113.3","proxied":false}]}]}"#,
    )
    .unwrap()
}

fn find<'r>(report: &'r crate::report::Report, check: &str, id: &str) -> &'r Finding {
    report
        .findings
        .iter()
        .find(|f| f.check_id == check && f.resource.id == id)
        .unwrap_or_else(|| panic!("no {check} finding on {id}"))
}

#[test]
fn the_findings_of_a_record_share_its_names_and_zone() {
    let report = run(&two_unproxied_records(), &Config::default());
    let proxied = find(&report, "dns_record_proxied", "r1");
    let wildcard = find(&report, "dns_record_no_wildcard", "r1");
    assert_eq!(proxied.resource, wildcard.resource);
    assert_eq!(proxied.resource.name, "A one.a.example");
    assert!(std::ptr::eq(
        proxied.resource.id.as_str(),
        wildcard.resource.id.as_str()
    ));
    assert!(std::ptr::eq(
        proxied.resource.name.as_str(),
        wildcard.resource.name.as_str()
    ));
    let other = find(&report, "dns_record_proxied", "r2");
    let zone = |f: &Finding| f.resource.zone.clone().unwrap();
    assert_eq!(zone(other), "a.example");
    assert!(std::ptr::eq(zone(proxied).as_str(), zone(other).as_str()));
    assert!(Arc::ptr_eq(&proxied.compliance, &other.compliance));
    assert!(!Arc::ptr_eq(&proxied.compliance, &wildcard.compliance));
}

#[test]
fn zone_wide_fix_code_is_shared_and_per_record_code_is_not() {
    let report = run(&two_unproxied_records(), &Config::default());
    let (one, two) = (
        find(&report, "dns_record_proxied", "r1"),
        find(&report, "dns_record_proxied", "r2"),
    );
    let three = find(&report, "dns_record_proxied", "r3");
    for f in [one, two, three] {
        assert_eq!(f.status, Status::Fail);
    }
    // The Terraform names only the zone: one text per zone.
    assert!(one.remediation.terraform.contains("zone_id = \"za\""));
    assert!(std::ptr::eq(
        one.remediation.terraform.as_str(),
        two.remediation.terraform.as_str()
    ));
    assert!(three.remediation.terraform.contains("zone_id = \"zb\""));
    // The API call names the record: one text per finding.
    assert!(one
        .remediation
        .api
        .starts_with("PATCH /zones/za/dns_records/r1 "));
    assert!(two
        .remediation
        .api
        .starts_with("PATCH /zones/za/dns_records/r2 "));
    assert!(three
        .remediation
        .api
        .starts_with("PATCH /zones/zb/dns_records/r3 "));
    // A pass carries no code at all.
    let pass = find(&report, "dns_record_no_wildcard", "r1");
    assert_eq!(pass.status, Status::Pass);
    assert!(pass.remediation.terraform.is_empty() && pass.remediation.api.is_empty());
}

#[test]
fn a_finding_stays_small() {
    // Millions of findings: every 8 bytes here is 8 MB per million. Shared parts are pointers.
    assert!(
        std::mem::size_of::<Finding>() <= 224,
        "{}",
        std::mem::size_of::<Finding>()
    );
    assert!(std::mem::size_of::<Resource>() <= 72);
}
