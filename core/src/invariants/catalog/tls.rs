//! TLS and HTTPS: SSL mode, TLS versions, cipher suites, 0-RTT, HTTPS redirects and rewrites,
//! HSTS, Universal SSL.

use serde_json::Value;

use super::zone_settings::{missing, on_off, setting, show, unrecognised};
use super::{Check, Eval};
use crate::invariants::{Evaluation, Severity, ZoneContext};

/// One year: the HSTS max-age ASVS 5.0 (3.4.1) and the HSTS preload list ask for.
const HSTS_MIN_MAX_AGE: u64 = 31_536_000;

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "zone_ssl_strict",
        title: "SSL/TLS encryption mode is Full (strict)",
        severity: Severity::High,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads the zone's `ssl` setting. Passes for `strict` (and `origin_pull`, Cloudflare's \
            strict mode with authenticated origin pulls); fails for `off`, `flexible` and `full`.",
        risk: "With `flexible` the hop from Cloudflare to the origin is plain HTTP; with `full` the origin's \
            certificate is not validated, so anyone on the path can impersonate the origin.",
        remediation: "Install a certificate the origin can present (a Cloudflare Origin CA certificate works), \
            then set SSL/TLS encryption mode to Full (strict).",
        terraform: "resource \"cloudflare_zone_setting\" \"ssl\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"ssl\"\n  value      = \"strict\"\n}",
        api: "PATCH /zones/{zone_id}/settings/ssl {\"value\":\"strict\"}",
        compliance: &["PCI-DSS-4.0.1:4.2.1", "ASVS-4.0.3:9.2.1", "ASVS-5.0.0:12.3.1", "NIST-800-53r5:SC-8", "NIST-800-53r5:SC-8(1)"],
        prowler: Some("same: Prowler also requires `strict` (and accepts `origin_pull`)."),
        eval: Eval::Zone(ssl_strict),
    },
    Check {
        id: "zone_min_tls_version_secure",
        title: "Minimum TLS version is 1.2 or higher",
        severity: Severity::High,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `min_tls_version`. Passes for `1.2` and `1.3`; fails for `1.0` and `1.1`; \
            any other value is UNKNOWN.",
        risk: "TLS 1.0 and 1.1 are deprecated (RFC 8996): they rely on SHA-1 and CBC constructions with \
            known attacks (BEAST, POODLE-style padding oracles) and let a downgrade expose traffic. PCI DSS \
            no longer accepts them as strong cryptography.",
        remediation: "Set Minimum TLS Version to 1.2 (SSL/TLS > Edge Certificates).",
        terraform: "resource \"cloudflare_zone_setting\" \"min_tls_version\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"min_tls_version\"\n  value      = \"1.2\"\n}",
        api: "PATCH /zones/{zone_id}/settings/min_tls_version {\"value\":\"1.2\"}",
        compliance: &["PCI-DSS-4.0.1:4.2.1", "ASVS-4.0.3:9.1.3", "ASVS-5.0.0:12.1.1", "NIST-800-53r5:SC-8", "NIST-800-53r5:SC-13"],
        prowler: Some("same threshold (1.2). Prowler parses the value as a float and fails anything it \
            cannot parse; cfcp reports an unrecognised value as UNKNOWN with the value."),
        eval: Eval::Zone(min_tls_version),
    },
    Check {
        id: "zone_tls_1_3_enabled",
        title: "TLS 1.3 is enabled",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `tls_1_3`. Passes for `on` and `zrt` (TLS 1.3 with 0-RTT); fails for `off`.",
        risk: "Without TLS 1.3, clients negotiate TLS 1.2 at best: slower handshakes and cipher-suite \
            negotiation that still admits weaker options; TLS 1.3 only has AEAD suites with forward secrecy.",
        remediation: "Turn TLS 1.3 on (SSL/TLS > Edge Certificates).",
        terraform: "resource \"cloudflare_zone_setting\" \"tls_1_3\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"tls_1_3\"\n  value      = \"on\"\n}",
        api: "PATCH /zones/{zone_id}/settings/tls_1_3 {\"value\":\"on\"}",
        compliance: &["ASVS-4.0.3:9.1.3", "ASVS-5.0.0:12.1.1", "NIST-800-53r5:SC-8", "NIST-800-53r5:SC-13"],
        prowler: Some("same (`on` and `zrt` pass). cfcp reports a missing or unrecognised value as UNKNOWN; \
            0-RTT itself is judged separately by zone_tls_0rtt_disabled."),
        eval: Eval::Zone(tls_1_3),
    },
    Check {
        id: "zone_https_redirect_enabled",
        title: "Always Use HTTPS is on",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `always_use_https`. Passes for `on` (every http:// request is redirected to \
            https://); fails for `off`.",
        risk: "Visitors who type or follow an http:// link use plain HTTP: credentials, cookies without \
            `Secure` and page content travel unencrypted and can be altered in transit.",
        remediation: "Turn Always Use HTTPS on (SSL/TLS > Edge Certificates), then enable HSTS.",
        terraform: "resource \"cloudflare_zone_setting\" \"always_use_https\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"always_use_https\"\n  value      = \"on\"\n}",
        api: "PATCH /zones/{zone_id}/settings/always_use_https {\"value\":\"on\"}",
        compliance: &["PCI-DSS-4.0.1:4.2.1", "ASVS-4.0.3:9.1.1", "ASVS-5.0.0:12.2.1", "NIST-800-53r5:SC-8"],
        prowler: Some("same"),
        eval: Eval::Zone(https_redirect),
    },
    Check {
        id: "zone_automatic_https_rewrites_enabled",
        title: "Automatic HTTPS Rewrites is on",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `automatic_https_rewrites`. Passes for `on`; fails for `off`.",
        risk: "Pages served over HTTPS that reference http:// resources are mixed content: browsers block \
            them or load them unencrypted, where they can be read or replaced.",
        remediation: "Turn Automatic HTTPS Rewrites on, and fix http:// links at the source.",
        terraform: "resource \"cloudflare_zone_setting\" \"automatic_https_rewrites\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"automatic_https_rewrites\"\n  value      = \"on\"\n}",
        api: "PATCH /zones/{zone_id}/settings/automatic_https_rewrites {\"value\":\"on\"}",
        compliance: &["ASVS-4.0.3:9.1.1", "ASVS-5.0.0:12.2.1", "NIST-800-53r5:SC-8"],
        prowler: Some("same"),
        eval: Eval::Zone(automatic_https_rewrites),
    },
    Check {
        id: "zone_hsts_enabled",
        title: "HSTS is on for a year, with subdomains and nosniff",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `security_header.strict_transport_security`. Passes when `enabled` is true, \
            `max_age` is at least 31,536,000 s (one year), `include_subdomains` is true and `nosniff` \
            (X-Content-Type-Options, sent by the same setting) is true. Each shortfall is named.",
        risk: "Without HSTS a visitor's first request (or any after the policy expires) can be downgraded \
            to HTTP and intercepted (SSL stripping); without includeSubDomains a sibling host can set \
            cookies for the domain over HTTP. Without nosniff browsers may execute uploaded content as script.",
        remediation: "Enable HSTS with a max-age of 12 months, include subdomains (after checking that every \
            subdomain serves HTTPS) and No-Sniff.",
        terraform: "resource \"cloudflare_zone_setting\" \"security_header\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"security_header\"\n  value = {\n    strict_transport_security = {\n      enabled            = true\n      max_age            = 31536000\n      include_subdomains = true\n      nosniff            = true\n      preload            = false\n    }\n  }\n}",
        api: "PATCH /zones/{zone_id}/settings/security_header {\"value\":{\"strict_transport_security\":{\"enabled\":true,\"max_age\":31536000,\"include_subdomains\":true,\"nosniff\":true}}}",
        compliance: &["ASVS-4.0.3:14.4.5", "ASVS-4.0.3:14.4.4", "ASVS-5.0.0:3.4.1", "NIST-800-53r5:SC-8"],
        prowler: Some("differs: Prowler requires max-age of 6 months (15,768,000 s) and includeSubDomains; \
            cfcp requires one year, as ASVS 5.0 (3.4.1) and the HSTS preload list do, and also nosniff, \
            which Cloudflare configures in the same setting. Missing or malformed settings are UNKNOWN, not FAIL."),
        eval: Eval::Zone(hsts),
    },
    Check {
        id: "zone_hsts_preload",
        title: "HSTS is eligible for browser preload lists",
        severity: Severity::Info,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `security_header.strict_transport_security`. Passes when HSTS is enabled with \
            `preload`, `include_subdomains` and a max-age of at least one year (what hstspreload.org \
            requires); fails otherwise.",
        risk: "Without preload, a browser's very first visit is still unprotected by HSTS.",
        remediation: "Once HSTS with subdomains has run without problems, set Preload and submit the \
            domain at hstspreload.org. Preload is hard to undo: every subdomain must serve HTTPS.",
        terraform: "resource \"cloudflare_zone_setting\" \"security_header\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"security_header\"\n  value = {\n    strict_transport_security = {\n      enabled            = true\n      max_age            = 31536000\n      include_subdomains = true\n      nosniff            = true\n      preload            = true\n    }\n  }\n}",
        api: "PATCH /zones/{zone_id}/settings/security_header {\"value\":{\"strict_transport_security\":{\"enabled\":true,\"max_age\":31536000,\"include_subdomains\":true,\"nosniff\":true,\"preload\":true}}}",
        compliance: &[],
        prowler: None,
        eval: Eval::Zone(hsts_preload),
    },
    Check {
        id: "zone_universal_ssl_enabled",
        title: "The zone has an edge certificate (Universal SSL)",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["settings"],
        description: "Universal SSL's own switch (`GET /zones/{id}/ssl/universal/settings`) is not part \
            of a cfcp snapshot, so the check derives what it can: with `ssl` = `off` the zone serves no \
            HTTPS at the edge (FAIL); otherwise it reports UNKNOWN and says the snapshot does not include \
            /ssl/universal/settings.",
        risk: "Without an edge certificate Cloudflare cannot serve the zone over HTTPS: visitors get \
            certificate errors or plain HTTP.",
        remediation: "Enable Universal SSL (SSL/TLS > Edge Certificates), or order an Advanced certificate, \
            and set the SSL mode to Full (strict).",
        terraform: "# Universal SSL is toggled through the API (no dedicated v5 resource);\n# the SSL mode:\nresource \"cloudflare_zone_setting\" \"ssl\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"ssl\"\n  value      = \"strict\"\n}",
        api: "PATCH /zones/{zone_id}/ssl/universal/settings {\"enabled\":true}",
        compliance: &["PCI-DSS-4.0.1:4.2.1", "ASVS-4.0.3:9.2.1", "ASVS-5.0.0:12.2.2", "NIST-800-53r5:SC-8", "NIST-800-53r5:SC-17"],
        prowler: Some("differs: Prowler reads /ssl/universal/settings `enabled`. A cfcp snapshot does not \
            include that endpoint, so cfcp fails only what the settings prove (`ssl` off: no HTTPS at the \
            edge) and otherwise reports UNKNOWN rather than guessing."),
        eval: Eval::Zone(universal_ssl),
    },
    Check {
        id: "zone_tls_0rtt_disabled",
        title: "TLS 0-RTT (early data) is off",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `0rtt` and `tls_1_3`. Passes when `0rtt` is `off` and `tls_1_3` is not `zrt` \
            (the older value for TLS 1.3 with 0-RTT); fails otherwise.",
        risk: "0-RTT early data can be replayed by anyone who captured it: a replayed request reaches the \
            origin again. Cloudflare only sends idempotent-looking GETs as early data and marks them with \
            `Cf-0rtt-Unique`, but an application that changes state on GET is exposed.",
        remediation: "Turn 0-RTT Connection Resumption off unless the origin is known to be replay-safe.",
        terraform: "resource \"cloudflare_zone_setting\" \"zero_rtt\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"0rtt\"\n  value      = \"off\"\n}",
        api: "PATCH /zones/{zone_id}/settings/0rtt {\"value\":\"off\"}",
        compliance: &["NIST-800-53r5:SC-23"],
        prowler: None,
        eval: Eval::Zone(zero_rtt),
    },
    Check {
        id: "zone_opportunistic_encryption_enabled",
        title: "Opportunistic Encryption is on",
        severity: Severity::Info,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `opportunistic_encryption`. Passes for `on`; fails for `off`.",
        risk: "Browsers that support it can use an encrypted connection (HTTP/2 over TLS via Alt-Svc) for \
            http:// URLs; without it those requests stay plain text. It is no substitute for Always Use HTTPS.",
        remediation: "Turn Opportunistic Encryption on.",
        terraform: "resource \"cloudflare_zone_setting\" \"opportunistic_encryption\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"opportunistic_encryption\"\n  value      = \"on\"\n}",
        api: "PATCH /zones/{zone_id}/settings/opportunistic_encryption {\"value\":\"on\"}",
        compliance: &["NIST-800-53r5:SC-8"],
        prowler: None,
        eval: Eval::Zone(opportunistic_encryption),
    },
    Check {
        id: "zone_ciphers_modern",
        title: "Edge cipher suites are modern (AEAD with forward secrecy)",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["settings"],
        description: "Reads `ciphers`. An empty list means Cloudflare's defaults and passes. A custom list \
            passes when every suite uses ECDHE/DHE key exchange (or is a TLS 1.3 AEAD suite) and an AEAD \
            cipher (GCM, CHACHA20-POLY1305, CCM); it fails naming each CBC-mode, SHA-1, static-RSA \
            (no forward secrecy), 3DES or RC4 suite.",
        risk: "CBC suites with SHA-1 HMAC are subject to padding-oracle and Lucky13-style attacks; suites \
            without forward secrecy let a stolen key decrypt recorded traffic; 3DES and RC4 are broken.",
        remediation: "Remove the weak suites from the custom cipher list, or clear the list to use \
            Cloudflare's defaults (set Minimum TLS 1.2 too).",
        terraform: "resource \"cloudflare_zone_setting\" \"ciphers\" {\n  zone_id    = \"{zone_id}\"\n  setting_id = \"ciphers\"\n  value      = [\"ECDHE-ECDSA-AES128-GCM-SHA256\", \"ECDHE-ECDSA-CHACHA20-POLY1305\", \"ECDHE-RSA-AES128-GCM-SHA256\", \"ECDHE-RSA-CHACHA20-POLY1305\", \"ECDHE-ECDSA-AES256-GCM-SHA384\", \"ECDHE-RSA-AES256-GCM-SHA384\"]\n}",
        api: "PATCH /zones/{zone_id}/settings/ciphers {\"value\":[\"ECDHE-ECDSA-AES128-GCM-SHA256\",\"ECDHE-ECDSA-CHACHA20-POLY1305\",\"ECDHE-RSA-AES128-GCM-SHA256\",\"ECDHE-RSA-CHACHA20-POLY1305\",\"ECDHE-ECDSA-AES256-GCM-SHA384\",\"ECDHE-RSA-AES256-GCM-SHA384\"]}",
        compliance: &["PCI-DSS-4.0.1:4.2.1", "ASVS-4.0.3:9.1.2", "ASVS-5.0.0:12.1.2", "NIST-800-53r5:SC-8", "NIST-800-53r5:SC-13"],
        prowler: None,
        eval: Eval::Zone(ciphers),
    },
];

fn ssl_strict(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    match ctx.zone.setting_str("ssl") {
        Some(mode @ ("strict" | "origin_pull")) => {
            out.pass(ctx.zone_resource(), format!("ssl is {mode}"))
        }
        Some(mode) => out.fail(ctx.zone_resource(), format!("ssl is {mode}, not strict")),
        None => out.unknown(
            ctx.zone_resource(),
            "the zone's settings do not include `ssl`",
        ),
    }
}

fn min_tls_version(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(value) = setting(ctx, "min_tls_version") else {
        return out.unknown(ctx.zone_resource(), missing("min_tls_version"));
    };
    match value.as_str() {
        Some(v @ ("1.2" | "1.3")) => {
            out.pass(ctx.zone_resource(), format!("`min_tls_version` is \"{v}\""))
        }
        Some(v @ ("1.0" | "1.1")) => out.fail(
            ctx.zone_resource(),
            format!(
                "`min_tls_version` is \"{v}\": clients can still connect with TLS {v}, below 1.2"
            ),
        ),
        _ => out.unknown(
            ctx.zone_resource(),
            unrecognised(
                "min_tls_version",
                value,
                "\"1.0\", \"1.1\", \"1.2\" or \"1.3\"",
            ),
        ),
    }
}

fn tls_1_3(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(value) = setting(ctx, "tls_1_3") else {
        return out.unknown(ctx.zone_resource(), missing("tls_1_3"));
    };
    match value.as_str() {
        Some("on") => out.pass(ctx.zone_resource(), "`tls_1_3` is \"on\""),
        Some("zrt") => out.pass(
            ctx.zone_resource(),
            "`tls_1_3` is \"zrt\" (TLS 1.3 with 0-RTT)",
        ),
        Some("off") => out.fail(
            ctx.zone_resource(),
            "`tls_1_3` is \"off\": clients cannot negotiate TLS 1.3",
        ),
        _ => out.unknown(
            ctx.zone_resource(),
            unrecognised("tls_1_3", value, "\"on\", \"zrt\" or \"off\""),
        ),
    }
}

fn https_redirect(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    on_off(ctx, out, "always_use_https", true, "Always Use HTTPS")
}

fn automatic_https_rewrites(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    on_off(
        ctx,
        out,
        "automatic_https_rewrites",
        true,
        "Automatic HTTPS Rewrites",
    )
}

fn opportunistic_encryption(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    on_off(
        ctx,
        out,
        "opportunistic_encryption",
        true,
        "Opportunistic Encryption",
    )
}

/// The HSTS part of `security_header`, as read from the snapshot.
struct Hsts {
    enabled: bool,
    max_age: u64,
    include_subdomains: bool,
    preload: bool,
    nosniff: bool,
}

/// Reads `security_header.strict_transport_security`; `Err` is the UNKNOWN message.
fn read_hsts(ctx: &ZoneContext<'_>) -> Result<Hsts, String> {
    let value = setting(ctx, "security_header").ok_or_else(|| missing("security_header"))?;
    let sts = value
        .get("strict_transport_security")
        .filter(|v| v.is_object())
        .ok_or_else(|| {
            format!(
                "`security_header` is {}, which has no `strict_transport_security` object",
                show(value)
            )
        })?;
    let flag = |name: &str| -> Result<bool, String> {
        match sts.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(format!(
                "`security_header.strict_transport_security.{name}` is {}, not a boolean",
                show(other)
            )),
        }
    };
    let max_age = match sts.get("max_age") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_u64().ok_or_else(|| {
            format!(
                "`security_header.strict_transport_security.max_age` is {}, not a number of seconds",
                show(v)
            )
        })?,
    };
    Ok(Hsts {
        enabled: flag("enabled")?,
        max_age,
        include_subdomains: flag("include_subdomains")?,
        preload: flag("preload")?,
        nosniff: flag("nosniff")?,
    })
}

fn hsts(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let hsts = match read_hsts(ctx) {
        Ok(h) => h,
        Err(why) => return out.unknown(ctx.zone_resource(), why),
    };
    if !hsts.enabled {
        return out.fail(
            ctx.zone_resource(),
            "HSTS is off (`strict_transport_security.enabled` is false)",
        );
    }
    let mut problems = Vec::new();
    if hsts.max_age < HSTS_MIN_MAX_AGE {
        problems.push(format!(
            "max_age is {} s, under one year ({HSTS_MIN_MAX_AGE} s)",
            hsts.max_age
        ));
    }
    if !hsts.include_subdomains {
        problems.push("include_subdomains is false".to_owned());
    }
    if !hsts.nosniff {
        problems.push("nosniff is false".to_owned());
    }
    if problems.is_empty() {
        out.pass(
            ctx.zone_resource(),
            format!(
                "HSTS is on with max_age {} s, include_subdomains and nosniff",
                hsts.max_age
            ),
        )
    } else {
        out.fail(
            ctx.zone_resource(),
            format!("HSTS is on but {}", problems.join(", ")),
        )
    }
}

fn hsts_preload(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let hsts = match read_hsts(ctx) {
        Ok(h) => h,
        Err(why) => return out.unknown(ctx.zone_resource(), why),
    };
    let mut missing = Vec::new();
    if !hsts.enabled {
        missing.push("HSTS is off".to_owned());
    }
    if !hsts.preload {
        missing.push("preload is false".to_owned());
    }
    if !hsts.include_subdomains {
        missing.push("include_subdomains is false".to_owned());
    }
    if hsts.max_age < HSTS_MIN_MAX_AGE {
        missing.push(format!("max_age is {} s (needs one year)", hsts.max_age));
    }
    if missing.is_empty() {
        out.pass(
            ctx.zone_resource(),
            format!(
                "HSTS is preload-eligible: preload, include_subdomains, max_age {} s",
                hsts.max_age
            ),
        )
    } else {
        out.fail(
            ctx.zone_resource(),
            format!("not preload-eligible: {}", missing.join(", ")),
        )
    }
}

fn universal_ssl(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    const NOT_IN_SNAPSHOT: &str = "the snapshot does not include /ssl/universal/settings";
    match ctx.zone.setting_str("ssl") {
        Some("off") => out.fail(
            ctx.zone_resource(),
            "`ssl` is \"off\": the zone serves no HTTPS at Cloudflare's edge, so it has no edge certificate in use",
        ),
        Some(mode) => out.unknown(
            ctx.zone_resource(),
            format!(
                "{NOT_IN_SNAPSHOT}; `ssl` is \"{mode}\", which needs an edge certificate (Universal SSL or an advanced or custom one), but which one cannot be told"
            ),
        ),
        None => out.unknown(
            ctx.zone_resource(),
            format!("{NOT_IN_SNAPSHOT}, and the zone's settings do not include `ssl`"),
        ),
    }
}

fn zero_rtt(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let zrt = ctx.zone.setting_str("tls_1_3") == Some("zrt");
    let Some(value) = setting(ctx, "0rtt") else {
        return if zrt {
            out.fail(
                ctx.zone_resource(),
                "`tls_1_3` is \"zrt\": TLS 1.3 with 0-RTT early data",
            )
        } else {
            out.unknown(ctx.zone_resource(), missing("0rtt"))
        };
    };
    match (value.as_str(), zrt) {
        (Some("on"), _) => out.fail(
            ctx.zone_resource(),
            "`0rtt` is \"on\": early data can be replayed to the origin",
        ),
        (Some("off"), true) => out.fail(
            ctx.zone_resource(),
            "`0rtt` is \"off\" but `tls_1_3` is \"zrt\" (TLS 1.3 with 0-RTT)",
        ),
        (Some("off"), false) => out.pass(ctx.zone_resource(), "`0rtt` is \"off\""),
        _ => out.unknown(
            ctx.zone_resource(),
            unrecognised("0rtt", value, "\"on\" or \"off\""),
        ),
    }
}

/// Why a cipher suite (OpenSSL name, as Cloudflare lists them) is weak; empty when it is modern.
fn cipher_weaknesses(name: &str) -> Vec<&'static str> {
    let n = name.to_ascii_uppercase();
    let mut why = Vec::new();
    if n.contains("RC4") || n.contains("3DES") || n.contains("DES-CBC") || n.contains("NULL") {
        why.push("broken cipher");
    }
    let tls13 = n.starts_with("AEAD-") || n.starts_with("TLS_");
    if !(tls13 || n.starts_with("ECDHE-") || n.starts_with("DHE-")) {
        why.push("no forward secrecy");
    }
    if !(n.contains("GCM") || n.contains("CHACHA20") || n.contains("CCM")) {
        why.push("CBC mode");
    }
    if n.ends_with("-SHA") {
        why.push("SHA-1 MAC");
    }
    why
}

fn ciphers(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(value) = setting(ctx, "ciphers") else {
        return out.unknown(ctx.zone_resource(), missing("ciphers"));
    };
    let Some(list) = value.as_array() else {
        return out.unknown(
            ctx.zone_resource(),
            unrecognised("ciphers", value, "a list of cipher suite names"),
        );
    };
    if list.is_empty() {
        return out.pass(
            ctx.zone_resource(),
            "`ciphers` is empty: Cloudflare's default cipher suites are used",
        );
    }
    let mut weak = Vec::new();
    for item in list {
        let Some(name) = item.as_str() else {
            return out.unknown(
                ctx.zone_resource(),
                format!("`ciphers` contains {}, not a suite name", show(item)),
            );
        };
        let why = cipher_weaknesses(name);
        if !why.is_empty() {
            weak.push(format!("{name} ({})", why.join(", ")));
        }
    }
    if weak.is_empty() {
        out.pass(
            ctx.zone_resource(),
            format!(
                "all {} custom cipher suites are AEAD with forward secrecy",
                list.len()
            ),
        )
    } else {
        out.fail(
            ctx.zone_resource(),
            format!(
                "{} of {} custom cipher suites are weak: {}",
                weak.len(),
                list.len(),
                weak.join("; ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::zone_settings::test_support::*;
    use crate::invariants::Status;

    #[test]
    fn ssl_strict_unknown_values_never_panic() {
        let s = with_setting(SHOP, "ssl", json!("quantum"));
        expect(&s, "zone_ssl_strict", SHOP, Status::Fail, "quantum");
        expect(&demo(), "zone_ssl_strict", SHOP, Status::Pass, "strict");
        expect(&demo(), "zone_ssl_strict", API, Status::Fail, "full");
    }

    #[test]
    fn min_tls_version() {
        let id = "zone_min_tls_version_secure";
        expect(&demo(), id, INTERNAL, Status::Fail, "\"1.0\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"1.2\"");
        let s = with_setting(SHOP, "min_tls_version", json!("1.3"));
        expect(&s, id, SHOP, Status::Pass, "\"1.3\"");
        let s = with_setting(SHOP, "min_tls_version", json!("1.1"));
        expect(&s, id, SHOP, Status::Fail, "\"1.1\"");
        let s = with_setting(SHOP, "min_tls_version", json!("quantum"));
        expect(&s, id, SHOP, Status::Unknown, "\"quantum\"");
        let s = with_setting(SHOP, "min_tls_version", json!(1.2));
        expect(&s, id, SHOP, Status::Unknown, "1.2");
    }

    #[test]
    fn tls_1_3() {
        let id = "zone_tls_1_3_enabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "\"off\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"on\"");
        let s = with_setting(INTERNAL, "tls_1_3", json!("zrt"));
        expect(&s, id, INTERNAL, Status::Pass, "zrt");
        let s = with_setting(INTERNAL, "tls_1_3", json!(null));
        expect(&s, id, INTERNAL, Status::Unknown, "null");
    }

    #[test]
    fn https_redirect() {
        let id = "zone_https_redirect_enabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "\"off\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"on\"");
    }

    #[test]
    fn automatic_https_rewrites() {
        let id = "zone_automatic_https_rewrites_enabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "\"off\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"on\"");
    }

    #[test]
    fn hsts() {
        let id = "zone_hsts_enabled";
        expect(&demo(), id, SHOP, Status::Pass, "max_age 31536000");
        expect(&demo(), id, INTERNAL, Status::Fail, "HSTS is off");
        expect(
            &demo(),
            id,
            API,
            Status::Fail,
            "max_age is 86400 s, under one year (31536000 s), include_subdomains is false",
        );
        let s = with_setting(
            SHOP,
            "security_header",
            json!({"strict_transport_security": {"enabled": true, "max_age": 31536000, "include_subdomains": true, "nosniff": false}}),
        );
        expect(&s, id, SHOP, Status::Fail, "nosniff is false");
        let s = with_setting(SHOP, "security_header", json!("on"));
        expect(
            &s,
            id,
            SHOP,
            Status::Unknown,
            "no `strict_transport_security`",
        );
        let s = with_setting(
            SHOP,
            "security_header",
            json!({"strict_transport_security": {"enabled": "yes"}}),
        );
        expect(&s, id, SHOP, Status::Unknown, "not a boolean");
        let s = with_setting(
            SHOP,
            "security_header",
            json!({"strict_transport_security": {"enabled": true, "max_age": -1}}),
        );
        expect(&s, id, SHOP, Status::Unknown, "not a number");
    }

    #[test]
    fn hsts_preload() {
        let id = "zone_hsts_preload";
        expect(&demo(), id, SHOP, Status::Pass, "preload-eligible");
        expect(&demo(), id, API, Status::Fail, "preload is false");
    }

    #[test]
    fn universal_ssl() {
        let id = "zone_universal_ssl_enabled";
        expect(
            &demo(),
            id,
            SHOP,
            Status::Unknown,
            "does not include /ssl/universal/settings",
        );
        let s = with_setting(SHOP, "ssl", json!("off"));
        expect(&s, id, SHOP, Status::Fail, "no HTTPS");
        // Nothing in the snapshot can prove it is on: never PASS.
        assert!(findings(&demo(), id)
            .iter()
            .all(|f| f.status != Status::Pass));
    }

    #[test]
    fn zero_rtt() {
        let id = "zone_tls_0rtt_disabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "`0rtt` is \"on\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"off\"");
        let mut s = with_setting(SHOP, "tls_1_3", json!("zrt"));
        expect(&s, id, SHOP, Status::Fail, "zrt");
        zone_mut(&mut s, SHOP).settings.retain(|x| x.id != "0rtt");
        expect(&s, id, SHOP, Status::Fail, "zrt");
        let s = with_setting(SHOP, "0rtt", json!(true));
        expect(&s, id, SHOP, Status::Unknown, "true");
    }

    #[test]
    fn opportunistic_encryption() {
        let id = "zone_opportunistic_encryption_enabled";
        expect(&demo(), id, INTERNAL, Status::Fail, "\"off\"");
        expect(&demo(), id, SHOP, Status::Pass, "\"on\"");
    }

    #[test]
    fn ciphers() {
        let id = "zone_ciphers_modern";
        expect(
            &demo(),
            id,
            INTERNAL,
            Status::Fail,
            "3 of 4 custom cipher suites are weak: ECDHE-RSA-AES128-SHA (CBC mode, SHA-1 MAC); AES128-SHA (no forward secrecy, CBC mode, SHA-1 MAC)",
        );
        expect(&demo(), id, SHOP, Status::Pass, "all 6");
        expect(&demo(), id, API, Status::Pass, "default cipher suites");
        let s = with_setting(API, "ciphers", json!("ECDHE"));
        expect(&s, id, API, Status::Unknown, "list of cipher suite names");
        let s = with_setting(API, "ciphers", json!([1]));
        expect(&s, id, API, Status::Unknown, "not a suite name");
        let s = with_setting(
            API,
            "ciphers",
            json!(["AEAD-AES128-GCM-SHA256", "DES-CBC3-SHA"]),
        );
        expect(&s, id, API, Status::Fail, "DES-CBC3-SHA (broken cipher");
    }
}
