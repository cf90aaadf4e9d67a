//! Hand-made findings and reports for the renderers' unit tests.

use super::Report;
use crate::invariants::{Finding, Remediation, Resource, Severity, Status};

/// A finding with the given essentials; the rest filled with plausible values.
pub(crate) fn finding(
    check_id: &str,
    severity: Severity,
    status: Status,
    zone: Option<&str>,
    name: &str,
    message: &str,
) -> Finding {
    Finding {
        check_id: check_id.to_owned().into(),
        title: format!("Title of {check_id}").into(),
        severity,
        status,
        resource: Resource {
            kind: if zone.is_some_and(|z| z == name) {
                "zone".into()
            } else if zone.is_some() {
                "dns_record".into()
            } else {
                "tunnel".into()
            },
            id: format!("id-{name}").into(),
            name: name.into(),
            zone: zone.map(Into::into),
        },
        message: message.to_owned(),
        remediation: Remediation {
            text: format!("Fix {check_id}.").into(),
            terraform: format!("resource \"x\" \"{check_id}\" {{}}").into(),
            api: format!("PATCH /{check_id}").into(),
        },
        compliance: vec!["PCI-DSS-4.0.1:4.2.1".into(), "NIST-800-53r5:SC-8".into()].into(),
    }
}

/// A report with every status, two zones and an account-level finding, in engine-like order.
pub(crate) fn mixed() -> Report {
    use Severity::*;
    use Status::*;
    Report::new(
        4,
        vec![
            finding(
                "zone_ssl_strict",
                High,
                Pass,
                Some("good.com"),
                "good.com",
                "ssl is strict",
            ),
            finding(
                "zone_ssl_strict",
                High,
                Fail,
                Some("bad.net"),
                "bad.net",
                "ssl is flexible, not strict",
            ),
            finding(
                "dns_record_proxied",
                Medium,
                Fail,
                Some("bad.net"),
                "www.bad.net",
                "A record not proxied",
            ),
            finding(
                "dns_record_no_internal_ip",
                Critical,
                Fail,
                Some("bad.net"),
                "db.bad.net",
                "points at 10.0.0.5",
            ),
            finding(
                "zone_dnssec_enabled",
                Low,
                Unknown,
                Some("bad.net"),
                "bad.net",
                "cannot evaluate: dnssec of bad.net is not in the snapshot",
            ),
            finding(
                "zone_hsts_enabled",
                Medium,
                Muted,
                Some("good.com"),
                "good.com",
                "hsts off [waived until 2099-01-01: legacy clients]",
            ),
            finding(
                "tunnel_healthy",
                High,
                Fail,
                None,
                "office-tunnel",
                "tunnel is down",
            ),
        ],
    )
}

/// A report over an account with no zones and no findings.
pub(crate) fn empty() -> Report {
    Report::new(0, Vec::new())
}

/// The demo snapshot's report.
pub(crate) fn demo() -> Report {
    crate::invariants::run(&crate::snapshot::demo(), &Default::default())
}
