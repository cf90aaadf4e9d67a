//! Zone settings outside TLS: security level, Under Attack mode, browser integrity check,
//! challenge passage, development mode, Always Online, Scrape Shield, IP geolocation, paused
//! zones and DNSSEC.
//!
//! The helpers at the top are shared with `tls`: a setting PASSes only on a value cfcp recognises
//! as good, FAILs on a value it recognises as bad (with the value as evidence), and is UNKNOWN
//! when the setting is missing or holds a value cfcp does not know.

use serde_json::Value;

use super::{Check, Eval};
use crate::invariants::{Evaluation, Severity, ZoneContext};
use crate::snapshot::DnssecStatus;

/// A setting's value, if the zone's settings include it.
pub(super) fn setting<'a>(ctx: &ZoneContext<'a>, id: &str) -> Option<&'a Value> {
    ctx.zone.setting(id).map(|s| &s.value)
}

/// A JSON value for a message: strings quoted, everything else as compact JSON.
pub(super) fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// The UNKNOWN message for a setting the snapshot does not have.
pub(super) fn missing(id: &str) -> String {
    format!("the zone's settings do not include `{id}`")
}

/// The UNKNOWN message for a value cfcp does not recognise.
pub(super) fn unrecognised(id: &str, value: &Value, expected: &str) -> String {
    format!(
        "`{id}` is {}, a value cfcp does not recognise (expected {expected}); cannot tell whether it is safe",
        show(value)
    )
}

/// An `"on"`/`"off"` setting that should be `want`: PASS/FAIL with the value, UNKNOWN otherwise.
pub(super) fn on_off(
    ctx: &ZoneContext<'_>,
    out: &mut Evaluation,
    id: &str,
    want_on: bool,
    what: &str,
) {
    let Some(value) = setting(ctx, id) else {
        return out.unknown(ctx.zone_resource(), missing(id));
    };
    match value.as_str() {
        Some("on") => out.verdict(
            want_on,
            ctx.zone_resource(),
            format!("{what} is on (`{id}` is \"on\")"),
        ),
        Some("off") => out.verdict(
            !want_on,
            ctx.zone_resource(),
            format!("{what} is off (`{id}` is \"off\")"),
        ),
        _ => out.unknown(
            ctx.zone_resource(),
            unrecognised(id, value, "\"on\" or \"off\""),
        ),
    }
}

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "zone_security_level_not_off",
        title: "Security level is not off or essentially off",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `security_level`. Passes for `low`, `medium`, `high` and `under_attack`; fails \
            for `off` and `essentially_off`.",
        risk: "The security level decides which visitors with a poor IP reputation are challenged. At \
            `off`/`essentially_off` known-abusive IPs (botnets, spammers, scanners) reach the site unchallenged.",
        remediation: "Set Security Level to Medium (or Low for public APIs whose clients cannot solve \
            challenges, with WAF custom rules in its place).",
        terraform: "resource \"cloudflare_zone_setting\" \"security_level\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"security_level\"\n  value      = \"medium\"\n}",
        api: "PATCH /zones/{zone_id}/settings/security_level {\"value\":\"medium\"}",
        compliance: &["PCI-DSS-4.0.1:6.4.1", "NIST-800-53r5:SC-5", "NIST-800-53r5:SC-7", "NIST-800-53r5:CM-6"],
        prowler: None,
        eval: Eval::Zone(security_level_not_off),
    },
    Check {
        id: "zone_security_under_attack_disabled",
        title: "Under Attack mode is not left on",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `security_level`. Fails when it is `under_attack`; passes for every other \
            level cfcp knows (`off`/`essentially_off` are reported by zone_security_level_not_off).",
        risk: "Under Attack mode puts a JavaScript interstitial in front of every visitor. Left on, it \
            breaks API clients, monitoring and accessibility tools, and hides the fact that the real \
            mitigation (rate limiting, WAF rules) is missing.",
        remediation: "Turn Under Attack mode off once the attack is over and keep targeted mitigation \
            (rate limiting rules, WAF custom rules, DDoS overrides) instead.",
        terraform: "resource \"cloudflare_zone_setting\" \"security_level\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"security_level\"\n  value      = \"medium\"\n}",
        api: "PATCH /zones/{zone_id}/settings/security_level {\"value\":\"medium\"}",
        compliance: &["NIST-800-53r5:CM-6", "NIST-800-53r5:SC-5"],
        prowler: Some("same: FAIL only for `under_attack`. cfcp reports a missing or unrecognised \
            security level as UNKNOWN where Prowler passes it."),
        eval: Eval::Zone(under_attack_disabled),
    },
    Check {
        id: "zone_browser_integrity_check_enabled",
        title: "Browser Integrity Check is on",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `browser_check`. Passes for `on`, fails for `off`.",
        risk: "Browser Integrity Check challenges requests with missing or abusive headers typical of \
            spam bots and crude scanners; without it they reach the origin.",
        remediation: "Turn Browser Integrity Check on (Security > Settings), with skip rules for \
            known API clients if needed.",
        terraform: "resource \"cloudflare_zone_setting\" \"browser_check\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"browser_check\"\n  value      = \"on\"\n}",
        api: "PATCH /zones/{zone_id}/settings/browser_check {\"value\":\"on\"}",
        compliance: &["ASVS-4.0.3:11.1.4", "ASVS-5.0.0:2.4.1", "NIST-800-53r5:SC-7"],
        prowler: Some("same"),
        eval: Eval::Zone(browser_check),
    },
    Check {
        id: "zone_challenge_passage_configured",
        title: "Challenge passage is at most 45 minutes",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `challenge_ttl` (seconds). Passes up to 2,700 s (45 minutes); fails above. \
            Values under 900 s (15 minutes) pass with a note: shorter is stricter, not weaker.",
        risk: "A visitor (or a bot using a solver service) that passes one challenge keeps its \
            clearance cookie for the whole passage time; long passages let one solved challenge buy \
            hours of unchallenged traffic.",
        remediation: "Set Challenge Passage to 30 minutes (between 15 and 45 minutes).",
        terraform: "resource \"cloudflare_zone_setting\" \"challenge_ttl\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"challenge_ttl\"\n  value      = 1800\n}",
        api: "PATCH /zones/{zone_id}/settings/challenge_ttl {\"value\":1800}",
        compliance: &["ASVS-4.0.3:11.1.4", "ASVS-5.0.0:2.4.1", "NIST-800-53r5:CM-6"],
        prowler: Some("differs: Prowler passes only 15-45 minutes and fails a shorter passage; cfcp \
            fails only above 45 minutes, because a shorter passage costs usability, not security \
            (it notes values under 15 minutes). Prowler fails a missing `challenge_ttl`; cfcp reports UNKNOWN."),
        eval: Eval::Zone(challenge_passage),
    },
    Check {
        id: "zone_development_mode_disabled",
        title: "Development mode is off",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `development_mode`. Passes for `off`, fails for `on` (the message gives the \
            seconds left before Cloudflare turns it off, from the zone's `development_mode`).",
        risk: "Development mode bypasses Cloudflare's cache, so every request reaches the origin: an \
            origin sized for cached traffic can be overwhelmed, and changes meant to be temporary linger.",
        remediation: "Turn development mode off when the change being tested is done.",
        terraform: "resource \"cloudflare_zone_setting\" \"development_mode\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"development_mode\"\n  value      = \"off\"\n}",
        api: "PATCH /zones/{zone_id}/settings/development_mode {\"value\":\"off\"}",
        compliance: &["NIST-800-53r5:CM-6", "NIST-800-53r5:SC-5"],
        prowler: Some("same, except that Prowler passes a missing setting and cfcp reports it UNKNOWN."),
        eval: Eval::Zone(development_mode),
    },
    Check {
        id: "zone_always_online_disabled",
        title: "Always Online is off",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `always_online`. Passes for `off`, fails for `on`.",
        risk: "Always Online serves pages archived by the Internet Archive when the origin is down. \
            Pages are archived and served without the origin's current access decisions, so removed \
            or outdated content can reappear, and the archive keeps a public copy.",
        remediation: "Turn Always Online off, or accept it explicitly with a waiver for a purely public site.",
        terraform: "resource \"cloudflare_zone_setting\" \"always_online\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"always_online\"\n  value      = \"off\"\n}",
        api: "PATCH /zones/{zone_id}/settings/always_online {\"value\":\"off\"}",
        compliance: &["NIST-800-53r5:CM-7"],
        prowler: Some("same"),
        eval: Eval::Zone(always_online),
    },
    Check {
        id: "zone_email_obfuscation_enabled",
        title: "Email address obfuscation is on",
        severity: Severity::Info,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `email_obfuscation`. Passes for `on`, fails for `off`.",
        risk: "Email addresses in proxied HTML are harvested by scrapers for spam and phishing; \
            obfuscation hides them from simple bots.",
        remediation: "Turn Email Address Obfuscation on (Scrape Shield).",
        terraform: "resource \"cloudflare_zone_setting\" \"email_obfuscation\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"email_obfuscation\"\n  value      = \"on\"\n}",
        api: "PATCH /zones/{zone_id}/settings/email_obfuscation {\"value\":\"on\"}",
        compliance: &[],
        prowler: Some("same; cfcp rates it info (no compliance framework requires it)."),
        eval: Eval::Zone(email_obfuscation),
    },
    Check {
        id: "zone_hotlink_protection_enabled",
        title: "Hotlink protection is on",
        severity: Severity::Info,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `hotlink_protection`. Passes for `on`, fails for `off`.",
        risk: "Other sites can embed the zone's images, spending its bandwidth and origin capacity.",
        remediation: "Turn Hotlink Protection on (Scrape Shield), or use a WAF rule on `http.referer` \
            for finer control.",
        terraform: "resource \"cloudflare_zone_setting\" \"hotlink_protection\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"hotlink_protection\"\n  value      = \"on\"\n}",
        api: "PATCH /zones/{zone_id}/settings/hotlink_protection {\"value\":\"on\"}",
        compliance: &[],
        prowler: Some("same; cfcp rates it info."),
        eval: Eval::Zone(hotlink_protection),
    },
    Check {
        id: "zone_ip_geolocation_enabled",
        title: "IP geolocation header is on",
        severity: Severity::Info,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `ip_geolocation`. Passes for `on` (Cloudflare adds `CF-IPCountry` to \
            requests to the origin), fails for `off`.",
        risk: "Without the country header the origin cannot log or act on the visitor's country \
            (fraud checks, geo restrictions, investigations).",
        remediation: "Turn IP Geolocation on (Network settings).",
        terraform: "resource \"cloudflare_zone_setting\" \"ip_geolocation\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"ip_geolocation\"\n  value      = \"on\"\n}",
        api: "PATCH /zones/{zone_id}/settings/ip_geolocation {\"value\":\"on\"}",
        compliance: &[],
        prowler: Some("same; cfcp rates it info."),
        eval: Eval::Zone(ip_geolocation),
    },
    Check {
        id: "zone_paused",
        title: "The zone is not paused",
        severity: Severity::High,
        resource_type: "zone",
        sections: &[],
        description: "Reads the zone's `paused` flag. Passes when false; fails when true.",
        risk: "A paused zone resolves proxied records to the origin's own addresses: no WAF, no DDoS \
            protection, no TLS at Cloudflare's edge, and the origin IPs become public.",
        remediation: "Resume the zone (Overview > Advanced actions > Resume) and rotate origin IPs if \
            they were exposed while paused.",
        terraform: "resource \"cloudflare_zone\" \"{zone_name}\" {\n  account = { id = \"{account_id}\" }\n  name    = \"{zone_name}\"\n  paused  = false\n}",
        api: "PATCH /zones/{zone_id} {\"paused\":false}",
        compliance: &["PCI-DSS-4.0.1:6.4.2", "NIST-800-53r5:SC-5", "NIST-800-53r5:SC-7"],
        prowler: None,
        eval: Eval::Zone(paused),
    },
    Check {
        id: "zone_dnssec_enabled",
        title: "DNSSEC is active",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["dnssec"],
        description: "Reads the zone's DNSSEC status. Passes for `active`. Fails for `pending` (the zone \
            is signed but the DS record is not at the registrar yet), `disabled`, `pending-disabled` \
            and `error`. A partial (CNAME setup) zone is UNKNOWN: its DNS is served elsewhere.",
        risk: "Without DNSSEC, resolvers cannot detect forged answers: cache poisoning or a hijacked \
            path can send visitors and mail to an attacker.",
        remediation: "Enable DNSSEC and add the DS record Cloudflare shows at the registrar (Cloudflare \
            Registrar does this automatically).",
        terraform: "resource \"cloudflare_zone_dnssec\" \"{zone_name}\" {\n  zone_id = \"{zone_id}\"\n  status  = \"active\"\n}\n# then add the DS record (dnssec.ds) at the registrar",
        api: "PATCH /zones/{zone_id}/dnssec {\"status\":\"active\"}",
        compliance: &["NIST-800-53r5:SC-20"],
        prowler: Some("same verdicts (only `active` passes). cfcp adds the reason: for `pending` the \
            message says the DS record is missing at the registrar; a partial zone is UNKNOWN."),
        eval: Eval::Zone(dnssec),
    },
];

fn security_level_not_off(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(value) = setting(ctx, "security_level") else {
        return out.unknown(ctx.zone_resource(), missing("security_level"));
    };
    match value.as_str() {
        Some(level @ ("off" | "essentially_off")) => out.fail(
            ctx.zone_resource(),
            format!("`security_level` is \"{level}\": visitors with a poor IP reputation are not challenged"),
        ),
        Some(level @ ("low" | "medium" | "high" | "under_attack")) => out.pass(
            ctx.zone_resource(),
            format!("`security_level` is \"{level}\""),
        ),
        _ => out.unknown(
            ctx.zone_resource(),
            unrecognised(
                "security_level",
                value,
                "off, essentially_off, low, medium, high or under_attack",
            ),
        ),
    }
}

fn under_attack_disabled(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(value) = setting(ctx, "security_level") else {
        return out.unknown(ctx.zone_resource(), missing("security_level"));
    };
    match value.as_str() {
        Some("under_attack") => out.fail(
            ctx.zone_resource(),
            "`security_level` is \"under_attack\": every visitor gets a JavaScript interstitial",
        ),
        Some(level @ ("off" | "essentially_off" | "low" | "medium" | "high")) => out.pass(
            ctx.zone_resource(),
            format!("`security_level` is \"{level}\", not under_attack"),
        ),
        _ => out.unknown(
            ctx.zone_resource(),
            unrecognised(
                "security_level",
                value,
                "off, essentially_off, low, medium, high or under_attack",
            ),
        ),
    }
}

fn browser_check(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    on_off(ctx, out, "browser_check", true, "Browser Integrity Check")
}

fn always_online(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    on_off(ctx, out, "always_online", false, "Always Online")
}

fn email_obfuscation(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    on_off(
        ctx,
        out,
        "email_obfuscation",
        true,
        "Email address obfuscation",
    )
}

fn hotlink_protection(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    on_off(ctx, out, "hotlink_protection", true, "Hotlink protection")
}

fn ip_geolocation(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    on_off(ctx, out, "ip_geolocation", true, "IP geolocation")
}

/// Challenge passage bounds, in seconds.
const CHALLENGE_TTL_MIN: u64 = 900;
const CHALLENGE_TTL_MAX: u64 = 2_700;

fn challenge_passage(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(value) = setting(ctx, "challenge_ttl") else {
        return out.unknown(ctx.zone_resource(), missing("challenge_ttl"));
    };
    let Some(ttl) = value.as_u64() else {
        return out.unknown(
            ctx.zone_resource(),
            unrecognised("challenge_ttl", value, "a number of seconds"),
        );
    };
    let minutes = |s: u64| {
        if s % 60 == 0 {
            format!("{} minutes", s / 60)
        } else {
            format!("{s} s")
        }
    };
    if ttl > CHALLENGE_TTL_MAX {
        out.fail(
            ctx.zone_resource(),
            format!(
                "`challenge_ttl` is {ttl} s ({}), longer than the recommended 45 minutes",
                minutes(ttl)
            ),
        )
    } else if ttl < CHALLENGE_TTL_MIN {
        out.pass(
            ctx.zone_resource(),
            format!(
                "`challenge_ttl` is {ttl} s ({}): stricter than the recommended 15-45 minutes (visitors are challenged more often)",
                minutes(ttl)
            ),
        )
    } else {
        out.pass(
            ctx.zone_resource(),
            format!("`challenge_ttl` is {ttl} s ({})", minutes(ttl)),
        )
    }
}

fn development_mode(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(value) = setting(ctx, "development_mode") else {
        return out.unknown(ctx.zone_resource(), missing("development_mode"));
    };
    let remaining = ctx
        .zone
        .zone
        .extra
        .get("development_mode")
        .and_then(Value::as_i64)
        .filter(|s| *s > 0)
        .map(|s| format!(" ({s} s left before Cloudflare turns it off)"))
        .unwrap_or_default();
    match value.as_str() {
        Some("on") => out.fail(
            ctx.zone_resource(),
            format!("`development_mode` is \"on\"{remaining}: the cache is bypassed"),
        ),
        Some("off") => out.pass(ctx.zone_resource(), "`development_mode` is \"off\""),
        _ => out.unknown(
            ctx.zone_resource(),
            unrecognised("development_mode", value, "\"on\" or \"off\""),
        ),
    }
}

fn paused(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let status = ctx
        .zone
        .zone
        .status
        .get()
        .map(|s| format!(", status {s}"))
        .unwrap_or_default();
    match ctx.zone.zone.paused.copied() {
        Some(true) => out.fail(
            ctx.zone_resource(),
            format!(
                "the zone is paused{status}: Cloudflare answers with origin addresses and applies no WAF or DDoS protection"
            ),
        ),
        Some(false) => out.pass(
            ctx.zone_resource(),
            format!("the zone is not paused{status}"),
        ),
        None => out.unknown(
            ctx.zone_resource(),
            "the zone object has no `paused` flag",
        ),
    }
}

fn dnssec(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    if ctx.zone.zone.zone_type.as_deref() == Some("partial") {
        return out.unknown(
            ctx.zone_resource(),
            "the zone is a partial (CNAME) setup: its authoritative DNS, and so DNSSEC, is served by another provider",
        );
    }
    let Some(dnssec) = ctx.zone.dnssec.as_ref() else {
        return out.unknown(
            ctx.zone_resource(),
            "the snapshot has no DNSSEC state for the zone",
        );
    };
    match dnssec.status.get() {
        Some(DnssecStatus::Active) => out.pass(ctx.zone_resource(), "DNSSEC status is active"),
        Some(DnssecStatus::Pending) => {
            let ds = dnssec
                .extra
                .get("ds")
                .and_then(Value::as_str)
                .map(|ds| format!(" (add: {ds})"))
                .unwrap_or_default();
            out.fail(
                ctx.zone_resource(),
                format!(
                    "DNSSEC status is pending: the zone is signed but the DS record is missing at the registrar{ds}"
                ),
            )
        }
        Some(status @ (DnssecStatus::Disabled | DnssecStatus::PendingDisabled)) => out.fail(
            ctx.zone_resource(),
            format!("DNSSEC status is {status}: answers for the zone are not signed"),
        ),
        Some(DnssecStatus::Error) => out.fail(
            ctx.zone_resource(),
            "DNSSEC status is error: Cloudflare could not sign or validate the zone's DNSSEC setup",
        ),
        Some(DnssecStatus::Other(other)) => out.unknown(
            ctx.zone_resource(),
            format!("DNSSEC status is {other:?}, a value cfcp does not recognise"),
        ),
        None => out.unknown(
            ctx.zone_resource(),
            "the zone's DNSSEC state has no `status`",
        ),
    }
}

/// Helpers for the catalog's unit tests (shared by `tls`, `waf`, `bots` and `tunnels`).
#[cfg(test)]
pub(super) mod test_support {
    pub(crate) use crate::snapshot::demo;
    pub(crate) use serde_json::json;

    use crate::invariants::{run, Config, Finding, Status};
    use crate::snapshot::{Snapshot, ZoneSnapshot};

    pub(crate) const SHOP: &str = "acme-shop.com";
    pub(crate) const INTERNAL: &str = "acme-internal.net";
    pub(crate) const API: &str = "acme-api.io";

    /// Runs one check.
    pub(crate) fn findings(s: &Snapshot, id: &str) -> Vec<Finding> {
        let report = run(
            s,
            &Config {
                checks: vec![id.into()],
                ..Config::default()
            },
        );
        assert!(
            report.findings.iter().all(|f| f.check_id == id),
            "unexpected findings from other checks"
        );
        report.findings
    }

    /// The findings of one check whose resource's zone, name or id is `resource`.
    pub(crate) fn on(s: &Snapshot, id: &str, resource: &str) -> Vec<Finding> {
        findings(s, id)
            .into_iter()
            .filter(|f| {
                f.resource.name == resource
                    || f.resource.id == resource
                    || (f.resource.kind == "zone" && f.resource.zone.as_deref() == Some(resource))
            })
            .collect()
    }

    /// Asserts that `resource` has a finding of check `id` with `status` whose message contains
    /// `needle`.
    #[track_caller]
    pub(crate) fn expect(s: &Snapshot, id: &str, resource: &str, status: Status, needle: &str) {
        let found = on(s, id, resource);
        assert!(
            found
                .iter()
                .any(|f| f.status == status && f.message.contains(needle)),
            "{id} on {resource}: expected {status:?} containing {needle:?}, got {:#?}",
            found
                .iter()
                .map(|f| (f.status, &f.resource.name, &f.message))
                .collect::<Vec<_>>()
        );
    }

    /// The zone with this name, mutably.
    pub(crate) fn zone_mut<'a>(s: &'a mut Snapshot, name: &str) -> &'a mut ZoneSnapshot {
        s.zones
            .iter_mut()
            .find(|z| z.zone.name == name)
            .unwrap_or_else(|| panic!("no zone {name}"))
    }

    /// The demo snapshot with one setting of one zone replaced (or added).
    pub(crate) fn with_setting(zone: &str, id: &str, value: serde_json::Value) -> Snapshot {
        let mut s = demo();
        set(&mut s, zone, id, value);
        s
    }

    /// Replaces (or adds) one setting.
    pub(crate) fn set(s: &mut Snapshot, zone: &str, id: &str, value: serde_json::Value) {
        let z = zone_mut(s, zone);
        match z.settings.iter_mut().find(|x| x.id == id) {
            Some(setting) => setting.value = value,
            None => z.settings.push(
                serde_json::from_value(json!({"id": id, "value": value}))
                    .unwrap_or_else(|e| panic!("{e}")),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use crate::invariants::Status;

    #[test]
    fn security_level_not_off() {
        let id = "zone_security_level_not_off";
        expect(&demo(), id, INTERNAL, Status::Fail, "essentially_off");
        expect(&demo(), id, SHOP, Status::Pass, "medium");
        let s = with_setting(INTERNAL, "security_level", json!("high"));
        expect(&s, id, INTERNAL, Status::Pass, "high");
        let s = with_setting(INTERNAL, "security_level", json!("paranoid"));
        expect(&s, id, INTERNAL, Status::Unknown, "does not recognise");
    }

    #[test]
    fn under_attack_disabled() {
        let id = "zone_security_under_attack_disabled";
        expect(&demo(), id, API, Status::Fail, "under_attack");
        expect(&demo(), id, SHOP, Status::Pass, "medium");
        let s = with_setting(API, "security_level", json!(3));
        expect(&s, id, API, Status::Unknown, "3");
    }

    #[test]
    fn browser_integrity_check() {
        let id = "zone_browser_integrity_check_enabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "\"off\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"on\"");
        let s = with_setting(SHOP, "browser_check", json!("sometimes"));
        expect(&s, id, SHOP, Status::Unknown, "sometimes");
    }

    #[test]
    fn challenge_passage() {
        let id = "zone_challenge_passage_configured";
        let s = with_setting(SHOP, "challenge_ttl", json!(3600));
        expect(&s, id, SHOP, Status::Fail, "3600 s (60 minutes)");
        expect(&demo(), id, SHOP, Status::Pass, "1800 s");
        expect(&demo(), id, API, Status::Pass, "1800 s");
        expect(&demo(), id, INTERNAL, Status::Pass, "stricter");
        let s = with_setting(API, "challenge_ttl", json!("30m"));
        expect(&s, id, API, Status::Unknown, "\"30m\"");
    }

    #[test]
    fn development_mode() {
        let id = "zone_development_mode_disabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "5400 s left");
        expect(&demo(), id, SHOP, Status::Pass, "\"off\"");
    }

    #[test]
    fn always_online() {
        let id = "zone_always_online_disabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "\"on\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"off\"");
    }

    #[test]
    fn email_obfuscation() {
        let id = "zone_email_obfuscation_enabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "\"off\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"on\"");
    }

    #[test]
    fn hotlink_protection() {
        let id = "zone_hotlink_protection_enabled";
        expect(&demo(), id, API, Status::Fail, "\"off\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"on\"");
    }

    #[test]
    fn ip_geolocation() {
        let id = "zone_ip_geolocation_enabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "\"off\"");
        expect(&demo(), id, API, Status::Pass, "\"on\"");
    }

    #[test]
    fn paused() {
        let id = "zone_paused";
        expect(&demo(), id, SHOP, Status::Pass, "not paused");
        let mut s = demo();
        zone_mut(&mut s, SHOP).zone.paused = crate::snapshot::Field::Value(true);
        expect(&s, id, SHOP, Status::Fail, "paused, status active");
        zone_mut(&mut s, SHOP).zone.paused = crate::snapshot::Field::Absent;
        expect(&s, id, SHOP, Status::Unknown, "no `paused`");
    }

    #[test]
    fn dnssec() {
        let id = "zone_dnssec_enabled";
        expect(&demo(), id, SHOP, Status::Pass, "active");
        expect(&demo(), id, INTERNAL, Status::Fail, "disabled");
        expect(
            &demo(),
            id,
            API,
            Status::Fail,
            "DS record is missing at the registrar (add: acme-api.io. 3600 IN DS 40127",
        );
        let mut s = demo();
        zone_mut(&mut s, SHOP).dnssec = None;
        expect(&s, id, SHOP, Status::Unknown, "not in the snapshot");
        let mut s = demo();
        if let Some(d) = zone_mut(&mut s, SHOP).dnssec.as_mut() {
            d.status = crate::snapshot::Field::Value("quantum".into());
        }
        expect(&s, id, SHOP, Status::Unknown, "quantum");
        let mut s = demo();
        zone_mut(&mut s, SHOP).zone.zone_type = crate::snapshot::Field::Value("partial".into());
        expect(&s, id, SHOP, Status::Unknown, "partial");
    }

    #[test]
    fn a_settings_gap_makes_every_settings_check_unknown() {
        let mut s = demo();
        s.gaps.push(crate::snapshot::Gap {
            zone: Some(SHOP.into()),
            account: None,
            section: "settings".into(),
            reason: "403 Forbidden".into(),
        });
        zone_mut(&mut s, SHOP).settings.clear();
        for id in [
            "zone_security_level_not_off",
            "zone_browser_integrity_check_enabled",
            "zone_challenge_passage_configured",
            "zone_always_online_disabled",
        ] {
            expect(&s, id, SHOP, Status::Unknown, "403");
        }
        // Without a gap, a missing setting is UNKNOWN too, never PASS.
        let mut s = demo();
        zone_mut(&mut s, SHOP).settings.clear();
        expect(
            &s,
            "zone_development_mode_disabled",
            SHOP,
            Status::Unknown,
            "do not include `development_mode`",
        );
    }
}
