//! TLS and HTTPS: SSL mode, TLS versions, HTTPS redirects, HSTS, Universal SSL.

use super::{Check, Eval};
use crate::invariants::{Evaluation, Severity, ZoneContext};

pub(super) const CHECKS: &[Check] = &[Check {
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
}];

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
