//! DNS records: proxying, origin exposure, internal addresses, wildcards, dangling and
//! takeover-prone targets, Cloudflare Tunnel targets, CAA.
//!
//! cfcp does no DNS lookups (core is pure): "dangling" is judged from what the snapshot shows — a
//! target inside one of the snapshot's zones that has no record there, a tunnel that is not in
//! the account — and from the target's syntax. Names are compared case-insensitively without a
//! trailing dot.

use std::net::IpAddr;

use super::email::{is_spf, txt_text};
use super::{Check, Eval};
use crate::invariants::{Evaluation, Severity, ZoneContext};
use crate::snapshot::{DnsRecord, RawJson, RecordType, ZoneSnapshot};

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "dns_record_cname_target_valid",
        title: "CNAME, MX, NS and SRV targets are valid host names that exist",
        severity: Severity::High,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "For every CNAME, MX, NS and SRV record, checks the target: not empty, not an \
            IP address, a syntactically valid host name (labels of 1-63 letters, digits, `-` or \
            `_`, at most 253 characters, at least two labels), not a reserved or placeholder name \
            (localhost, example.com/net/org, .example, .invalid, .test, .local, .internal, \
            home.arpa) unless it is inside one of the snapshot's zones, not the record's own name. A target inside one of the snapshot's zones \
            must exist there (a record of that name, a covering wildcard or an NS delegation). \
            A null MX or SRV target `.` passes. External targets pass on syntax: cfcp does not \
            resolve them.",
        risk: "A CNAME to a name that does not exist is dangling: whoever registers or claims the \
            target controls the subdomain (subdomain takeover). A dangling MX or NS lets mail or \
            a whole delegated subtree be captured.",
        remediation: "Delete records whose target was decommissioned, or point them at the \
            current host.",
        terraform: "# Remove the resource for the dangling record (or fix its content):\nresource \"cloudflare_dns_record\" \"fixed\" {\n  zone_id = \"{zone_id}\"\n  name    = \"<record name>\"\n  type    = \"CNAME\"\n  ttl     = 1\n  proxied = true\n  content = \"<existing host name>\"\n}",
        api: "DELETE /zones/{zone_id}/dns_records/{resource_id}",
        compliance: &[
            "ASVS-4.0.3:10.3.3",
            "PCI-DSS-4.0.1:12.5.1",
            "NIST-800-53r5:CM-8",
            "NIST-800-53r5:SC-20",
        ],
        prowler: Some("differs: Prowler resolves each CNAME/MX/NS/SRV target live and fails \
            when resolution fails. cfcp never does network IO in a check, so it fails what it can \
            prove from configuration (invalid syntax, IP literals, placeholders, self-reference, \
            targets inside the snapshot's own zones with no record) and passes external targets \
            on syntax. Takeover-prone third-party targets are dns_record_dangling_third_party."),
        eval: Eval::Zone(cname_target_valid),
    },
    Check {
        id: "dns_record_no_internal_ip",
        title: "A and AAAA records do not publish internal addresses",
        severity: Severity::Medium,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "Parses the address of every A and AAAA record. Fails for addresses that are \
            not public unicast: private (10/8, 172.16/12, 192.168/16), loopback, link-local \
            (169.254/16, fe80::/10), CGNAT shared space (100.64/10), this-network (0/8), \
            multicast, reserved (240/4), unspecified (::), IPv6 unique local (fc00::/7), \
            site-local and IPv4-mapped forms of these. Documentation ranges (192.0.2/24, \
            198.51.100/24, 203.0.113/24, 2001:db8::/32) pass. Content that is not an address is \
            UNKNOWN.",
        risk: "Internal addresses in public DNS map the internal network for attackers and enable \
            DNS-rebinding-style attacks against internal services.",
        remediation: "Move internal names to a private (split-horizon) zone or Cloudflare Zero \
            Trust private DNS, and delete them from the public zone.",
        terraform: "# Delete the resource that publishes the internal address, or move it to a private resolver.\n# cloudflare_dns_record with name \"<record name>\" and an internal content: remove.",
        api: "DELETE /zones/{zone_id}/dns_records/{resource_id}",
        compliance: &[
            "PCI-DSS-4.0.1:1.4.5",
            "NIST-800-53r5:SC-7",
            "NIST-800-53r5:CM-6",
        ],
        prowler: Some("differs: Prowler uses Python's is_private, which also flags the \
            documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) and \
            misses CGNAT 100.64/10; cfcp passes the former and fails the latter, and reports \
            content that is not an address as UNKNOWN instead of PASS. Severity medium instead \
            of high: the address discloses topology but exposes no service by itself."),
        eval: Eval::Zone(no_internal_ip),
    },
    Check {
        id: "dns_record_no_wildcard",
        title: "No wildcard A, AAAA, CNAME, MX or SRV records",
        severity: Severity::Medium,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "Fails for every A, AAAA, CNAME, MX and SRV record whose first label is `*`; \
            passes for the others. The message says whether the wildcard is proxied.",
        risk: "A wildcard makes every possible subdomain resolve: hidden services become \
            reachable under guessable names, an unproxied wildcard exposes the origin under any \
            name, and a wildcard CNAME or MX extends a takeover or mail capture to every name.",
        remediation: "Replace the wildcard with explicit records for the names in use; if it must \
            stay, proxy it and make the origin reject unknown Host headers.",
        terraform: "# Replace the wildcard with explicit records:\nresource \"cloudflare_dns_record\" \"www\" {\n  zone_id = \"{zone_id}\"\n  name    = \"www.{zone_name}\"\n  type    = \"A\"\n  ttl     = 1\n  proxied = true\n  content = \"<origin address>\"\n}",
        api: "DELETE /zones/{zone_id}/dns_records/{resource_id}",
        compliance: &[
            "PCI-DSS-4.0.1:2.2.4",
            "NIST-800-53r5:CM-7",
            "NIST-800-53r5:SC-7",
        ],
        prowler: Some("same: the same record types and the same `*.` test; cfcp adds the proxy \
            state to the message."),
        eval: Eval::Zone(no_wildcard),
    },
    Check {
        id: "dns_record_proxied",
        title: "Web-facing A, AAAA and CNAME records are proxied",
        severity: Severity::Medium,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "For every A, AAAA and CNAME record Cloudflare can proxy (proxiable not \
            false, address not internal): passes when proxied. Records that must stay DNS-only \
            pass with the reason: names with an `_` label (service and verification names), \
            targets of the zone's MX and SRV records, hosts with SSHFP records or TLSA records \
            for a port other than 443 (SSH, SMTP: Cloudflare proxies HTTP only), and CNAMEs to \
            email-provider hosts (SendGrid, Mailgun, SES, Mailchimp, Postmark, SparkPost link \
            and authentication names). Other DNS-only records fail.",
        risk: "A DNS-only record publishes the origin address: traffic bypasses the WAF, DDoS \
            protection, rate limits and bot management and can attack the origin directly.",
        remediation: "Turn on the proxy (orange cloud) and make the origin accept HTTP(S) only \
            from Cloudflare (Authenticated Origin Pulls or a Cloudflare Tunnel).",
        terraform: "resource \"cloudflare_dns_record\" \"proxied\" {\n  zone_id = \"{zone_id}\"\n  name    = \"<record name>\"\n  type    = \"A\"\n  ttl     = 1\n  proxied = true\n  content = \"<origin address>\"\n}",
        api: "PATCH /zones/{zone_id}/dns_records/{resource_id} {\"proxied\":true}",
        compliance: &[
            "PCI-DSS-4.0.1:6.4.2",
            "ASVS-4.0.3:1.14.1",
            "NIST-800-53r5:SC-7",
            "NIST-800-53r5:SC-5",
        ],
        prowler: Some("differs: Prowler fails every unproxied A/AAAA/CNAME. cfcp skips records \
            Cloudflare marks not proxiable and internal addresses (dns_record_no_internal_ip \
            reports those), and passes records that cannot work proxied (mail hosts named by MX, \
            SRV targets, SSH/SMTP hosts with SSHFP/TLSA, `_` names, email-provider CNAMEs), \
            saying why, so the failures left are the ones to fix."),
        eval: Eval::Zone(proxied),
    },
    Check {
        id: "dns_record_origin_exposed",
        title: "No DNS-only record reveals the address of a proxied origin",
        severity: Severity::High,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "Collects the addresses of proxied A/AAAA records in every zone of the \
            snapshot. Fails for a DNS-only A/AAAA record with one of those addresses, an \
            HTTPS/SVCB record whose ipv4hint/ipv6hint lists one, and an SPF record whose \
            ip4:/ip6: names one as a single host. Passes for other DNS-only A/AAAA records and \
            HTTPS/SVCB records with hints.",
        risk: "The proxy only protects an origin whose address is secret. Publishing it under \
            another name (mail., origin., direct.) lets attackers skip Cloudflare and hit the \
            origin directly, bypassing WAF and DDoS protection.",
        remediation: "Proxy the revealing record, move it to a different address (e.g. a separate \
            mail server), or remove it; then rotate the origin address if it has been public and \
            firewall the origin to Cloudflare's ranges or use a Tunnel.",
        terraform: "resource \"cloudflare_dns_record\" \"revealing\" {\n  zone_id = \"{zone_id}\"\n  name    = \"<record name>\"\n  type    = \"A\"\n  ttl     = 1\n  proxied = true\n  content = \"<origin address>\"\n}",
        api: "PATCH /zones/{zone_id}/dns_records/{resource_id} {\"proxied\":true}",
        compliance: &[
            "PCI-DSS-4.0.1:1.4.5",
            "PCI-DSS-4.0.1:6.4.2",
            "ASVS-4.0.3:1.14.1",
            "NIST-800-53r5:SC-7",
            "NIST-800-53r5:SC-5",
        ],
        prowler: None,
        eval: Eval::Zone(origin_exposed),
    },
    Check {
        id: "dns_record_tunnel_target_exists",
        title: "CNAMEs to Cloudflare Tunnels point at live tunnels of the zone's account",
        severity: Severity::Medium,
        resource_type: "dns_record",
        sections: &["dns_records", "tunnels"],
        description: "For every CNAME to `<uuid>.cfargotunnel.com`: passes when the snapshot's \
            accounts hold a tunnel with that id, not deleted, in the zone's account. Fails when \
            the target is not a tunnel id, the tunnel is deleted, missing from the zone's \
            account, or belongs to another account. UNKNOWN when the snapshot has no accounts, \
            the zone's account is not in it, or its tunnels could not be read (a `tunnels` gap).",
        risk: "A hostname routed to a deleted or unknown tunnel serves Cloudflare error 1033 \
            instead of the application, and stale routes hide which services are really \
            published.",
        remediation: "Point the CNAME at the tunnel that now serves the hostname (or recreate the \
            route with `cloudflared tunnel route dns`), or delete the record.",
        terraform: "resource \"cloudflare_dns_record\" \"tunnel\" {\n  zone_id = \"{zone_id}\"\n  name    = \"<record name>\"\n  type    = \"CNAME\"\n  ttl     = 1\n  proxied = true\n  content = \"${cloudflare_zero_trust_tunnel_cloudflared.<tunnel>.id}.cfargotunnel.com\"\n}",
        api: "PATCH /zones/{zone_id}/dns_records/{resource_id} {\"content\":\"<tunnel id>.cfargotunnel.com\"}",
        compliance: &[
            "ASVS-4.0.3:10.3.3",
            "PCI-DSS-4.0.1:12.5.1",
            "NIST-800-53r5:CM-8",
        ],
        prowler: None,
        eval: Eval::Zone(tunnel_target_exists),
    },
    Check {
        id: "dns_record_dangling_third_party",
        title: "No CNAME points at a takeover-prone third-party service",
        severity: Severity::Medium,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "Heuristic. Fails for every CNAME whose target is under a suffix of a \
            service where anyone can claim a deleted resource's name (Azure App Service, Cloud \
            Services, Traffic Manager, Blob storage, CDN and API Management, AWS S3 website and \
            Elastic Beanstalk, GitHub Pages, GitLab Pages, Heroku, Bitbucket, Shopify, Surge, \
            Ghost, Pantheon, Read the Docs, Help Scout, Unbounce, Zendesk, WordPress.com, \
            Tumblr). Proxied or not: Cloudflare forwards to whoever owns the target. cfcp \
            cannot see whether the resource still exists, so each failure is a prompt to \
            confirm it. Other CNAMEs pass.",
        risk: "When the resource behind the target is deleted and the record stays, anyone can \
            create a resource with the same name and serve content, set cookies and receive \
            credentials on the subdomain.",
        remediation: "Confirm the resource exists and is owned by you (and protect it from \
            deletion); delete the record as part of decommissioning the resource. Prefer \
            provider features that bind custom domains with a verification TXT record.",
        terraform: "# Remove the cloudflare_dns_record resource when the third-party resource is decommissioned.",
        api: "DELETE /zones/{zone_id}/dns_records/{resource_id}",
        compliance: &[
            "ASVS-4.0.3:10.3.3",
            "PCI-DSS-4.0.1:12.5.1",
            "NIST-800-53r5:CM-8",
        ],
        prowler: None,
        eval: Eval::Zone(dangling_third_party),
    },
    Check {
        id: "zone_record_caa_exists",
        title: "The zone apex has a CAA record that restricts issuance",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["dns_records"],
        description: "Looks for CAA records at the zone apex (CAs look up the name and then its \
            parents, so the apex covers the whole zone). Passes when one has the `issue` or \
            `issuewild` tag; fails when there is no CAA or only other tags (iodef).",
        risk: "Without CAA any public CA may issue certificates for the domain, so a CA tricked \
            by a validation attack can mint a certificate for a man-in-the-middle.",
        remediation: "Add `issue` records for the CAs you use (including those Cloudflare uses for \
            Universal SSL), `issuewild` for wildcards, and an `iodef` contact.",
        terraform: "resource \"cloudflare_dns_record\" \"caa_issue\" {\n  zone_id = \"{zone_id}\"\n  name    = \"{zone_name}\"\n  type    = \"CAA\"\n  ttl     = 1\n  data = {\n    flags = 0\n    tag   = \"issue\"\n    value = \"letsencrypt.org\"\n  }\n}",
        api: "POST /zones/{zone_id}/dns_records {\"type\":\"CAA\",\"name\":\"{zone_name}\",\"ttl\":1,\"data\":{\"flags\":0,\"tag\":\"issue\",\"value\":\"letsencrypt.org\"}}",
        compliance: &[
            "PCI-DSS-4.0.1:4.2.1",
            "NIST-800-53r5:SC-17",
            "NIST-800-53r5:CM-6",
        ],
        prowler: Some("same test (issue or issuewild present); cfcp requires the record at the \
            apex, where it covers every name, while Prowler accepts a CAA anywhere in the zone."),
        eval: Eval::Zone(caa_exists),
    },
    Check {
        id: "zone_caa_issuers_restricted",
        title: "CAA names the allowed CAs and a contact for violations",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["dns_records"],
        description: "Reads the apex CAA records. Passes when there is at least one `issue` tag \
            (a CA domain, or `;` to forbid issuance, which is a deliberate deny) and an `iodef` \
            contact (mailto: or https:). `issuewild` is optional: without it `issue` also governs \
            wildcard certificates (RFC 8659). Fails without CAA, with only `issuewild` (non-\
            wildcard issuance unrestricted), or without `iodef`.",
        risk: "With only some tags, either some certificate types are unrestricted or CAs have no \
            way to report refused requests, so mis-issuance attempts go unnoticed.",
        remediation: "Publish `0 issue \"<ca>\"` per CA used, `0 issuewild \"<ca>\"` or `0 \
            issuewild \";\"`, and `0 iodef \"mailto:security@<zone>\"`.",
        terraform: "resource \"cloudflare_dns_record\" \"caa_iodef\" {\n  zone_id = \"{zone_id}\"\n  name    = \"{zone_name}\"\n  type    = \"CAA\"\n  ttl     = 1\n  data = {\n    flags = 0\n    tag   = \"iodef\"\n    value = \"mailto:security@{zone_name}\"\n  }\n}",
        api: "POST /zones/{zone_id}/dns_records {\"type\":\"CAA\",\"name\":\"{zone_name}\",\"ttl\":1,\"data\":{\"flags\":0,\"tag\":\"iodef\",\"value\":\"mailto:security@{zone_name}\"}}",
        compliance: &[
            "PCI-DSS-4.0.1:4.2.1",
            "NIST-800-53r5:SC-17",
            "NIST-800-53r5:SI-4",
        ],
        prowler: None,
        eval: Eval::Zone(caa_issuers_restricted),
    },
];

/// A name normalised for comparison: trimmed, lowercase, no trailing dot.
pub(super) fn fqdn(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn is_wildcard(name: &str) -> bool {
    name.trim_start().starts_with("*.") || name.trim() == "*"
}

fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

/// Why an address is not a public unicast address, if it is not.
fn internal_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(match o {
                [0, ..] => "this-network/unspecified (0.0.0.0/8)",
                [10, ..] => "private (10.0.0.0/8, RFC 1918)",
                [100, b, ..] if b & 0xc0 == 64 => "CGNAT shared space (100.64.0.0/10, RFC 6598)",
                [127, ..] => "loopback (127.0.0.0/8)",
                [169, 254, ..] => "link-local (169.254.0.0/16)",
                [172, b, ..] if b & 0xf0 == 16 => "private (172.16.0.0/12, RFC 1918)",
                [192, 168, ..] => "private (192.168.0.0/16, RFC 1918)",
                [a, ..] if a & 0xf0 == 224 => "multicast (224.0.0.0/4)",
                [a, ..] if a >= 240 => "reserved (240.0.0.0/4)",
                _ => return None,
            })
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_range(IpAddr::V4(v4)).map(|_| "IPv4-mapped internal address");
            }
            let first = v6.segments()[0];
            Some(if v6.is_unspecified() {
                "unspecified (::)"
            } else if v6.is_loopback() {
                "loopback (::1)"
            } else if first & 0xfe00 == 0xfc00 {
                "unique local (fc00::/7)"
            } else if first & 0xffc0 == 0xfe80 {
                "link-local (fe80::/10)"
            } else if first & 0xffc0 == 0xfec0 {
                "site-local (fec0::/10, deprecated)"
            } else if first & 0xff00 == 0xff00 {
                "multicast (ff00::/8)"
            } else {
                return None;
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Target validation

/// The host name a CNAME, MX, NS or SRV record points at.
fn target_of(record: &DnsRecord) -> Option<String> {
    let content = record.content_str().trim();
    match record.record_type {
        RecordType::Cname | RecordType::Ns => Some(content.to_owned()),
        RecordType::Mx => {
            // Cloudflare keeps the priority apart; tolerate `10 host` too.
            let mut words = content.split_whitespace();
            let (first, second) = (words.next(), words.next());
            Some(match (first, second) {
                (Some(p), Some(host)) if p.parse::<u16>().is_ok() => host.to_owned(),
                _ => content.to_owned(),
            })
        }
        RecordType::Srv => Some(
            record
                .data
                .get()
                .and_then(|d| d.get("target"))
                .and_then(|t| t.as_str().map(str::to_owned))
                .unwrap_or_else(|| {
                    content
                        .split_whitespace()
                        .last()
                        .unwrap_or_default()
                        .to_owned()
                }),
        ),
        _ => None,
    }
}

const RESERVED_SUFFIXES: &[&str] = &[
    "localhost",
    "example",
    "invalid",
    "test",
    "local",
    "internal",
    "home.arpa",
    "example.com",
    "example.net",
    "example.org",
];

fn is_under(name: &str, suffix: &str) -> bool {
    name == suffix
        || (name.len() > suffix.len()
            && name.ends_with(suffix)
            && name.as_bytes()[name.len() - suffix.len() - 1] == b'.')
}

/// Syntax of a host name used as a target; `Err` says what is wrong.
fn check_host_name(target: &str) -> Result<(), String> {
    if target.is_empty() {
        return Err("empty target".into());
    }
    if parse_ip(target).is_some() {
        return Err(format!(
            "target `{target}` is an IP address, not a host name"
        ));
    }
    if target.len() > 253 {
        return Err(format!(
            "target is {} characters long (max 253)",
            target.len()
        ));
    }
    let labels: Vec<&str> = target.split('.').collect();
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("target `{target}` has an empty or over-long label"));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(format!(
                "target `{target}`: label `{label}` is not a valid host name label"
            ));
        }
    }
    if labels.len() < 2 {
        return Err(format!("target `{target}` is a single label"));
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!("target `{target}` has a numeric top-level label"));
    }
    Ok(())
}

/// A reserved or placeholder name (RFC 2606, RFC 6761, RFC 6762, `.internal`) that never
/// resolves in public DNS; `Err` says which.
fn check_not_reserved(target: &str) -> Result<(), String> {
    match RESERVED_SUFFIXES.iter().find(|s| is_under(target, s)) {
        Some(reserved) => Err(format!(
            "target `{target}` is under the reserved/placeholder name `{reserved}` and never \
             resolves publicly"
        )),
        None => Ok(()),
    }
}

fn zone_has_gap(ctx: &ZoneContext<'_>, zone: &ZoneSnapshot, section: &str) -> bool {
    ctx.snapshot.gaps.iter().any(|g| {
        g.section == section
            && g.zone
                .as_deref()
                .is_some_and(|z| fqdn(z) == fqdn(&zone.zone.name))
    })
}

/// The snapshot zone that holds `name`, if any (longest suffix).
fn owning_zone<'a>(ctx: &ZoneContext<'a>, name: &str) -> Option<&'a ZoneSnapshot> {
    let mut candidate = name;
    loop {
        if let Some(zone) = ctx.index.zones_by_name().get(candidate) {
            return Some(zone);
        }
        candidate = candidate.split_once('.')?.1;
    }
}

fn has_records(ctx: &ZoneContext<'_>, name: &str) -> bool {
    ctx.index.records_named(name).next().is_some()
}

/// Whether `target`, inside the snapshot zone `zone`, resolves to something the zone publishes.
fn exists_in_zone(ctx: &ZoneContext<'_>, zone: &ZoneSnapshot, target: &str) -> Option<String> {
    if has_records(ctx, target) {
        return Some(format!("has records in zone {}", zone.zone.name));
    }
    let apex = fqdn(&zone.zone.name);
    let mut name = target;
    while name != apex {
        // An NS delegation at or above the target hands it to other servers.
        let delegated = ctx
            .index
            .records_named(name)
            .any(|(z, r)| std::ptr::eq(z, zone) && r.record_type == RecordType::Ns);
        if delegated {
            return Some(format!("is delegated by NS at {name}"));
        }
        let Some((_, parent)) = name.split_once('.') else {
            break;
        };
        if has_records(ctx, &format!("*.{parent}")) {
            return Some(format!("is covered by the wildcard *.{parent}"));
        }
        name = parent;
    }
    None
}

fn cname_target_valid(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    for record in &ctx.zone.dns_records {
        let Some(raw) = target_of(record) else {
            continue;
        };
        let resource = ctx.record_resource(record);
        let kind = record.record_type.to_string();
        let raw = raw.trim();
        if raw == "." {
            match record.record_type {
                RecordType::Mx => out.pass(resource, "null MX (`.`): the name accepts no mail"),
                RecordType::Srv => out.pass(resource, "SRV target `.`: the service is not offered"),
                _ => out.fail(resource, format!("{kind} target is the root `.`")),
            }
            continue;
        }
        let target = fqdn(raw);
        if let Err(why) = check_host_name(&target) {
            out.fail(resource, why);
            continue;
        }
        if target == fqdn(&record.name) {
            out.fail(resource, format!("{kind} {target} points at itself"));
            continue;
        }
        match owning_zone(ctx, &target) {
            Some(zone) if zone_has_gap(ctx, zone, "dns_records") => out.pass(
                resource,
                format!(
                    "target {target} is in zone {}, whose records could not be read; syntax valid",
                    zone.zone.name
                ),
            ),
            Some(zone) => match exists_in_zone(ctx, zone, &target) {
                Some(how) => out.pass(resource, format!("target {target} {how}")),
                None => out.fail(
                    resource,
                    format!(
                        "dangling: target {target} is in zone {} of this snapshot, which has no \
                         record, wildcard or delegation for it",
                        zone.zone.name
                    ),
                ),
            },
            None => match check_not_reserved(&target) {
                Err(why) => out.fail(resource, why),
                Ok(()) => out.pass(
                    resource,
                    format!(
                        "target {target} is a valid external host name (not resolved: cfcp does \
                         no DNS lookups)"
                    ),
                ),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses and wildcards

fn no_internal_ip(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    for record in &ctx.zone.dns_records {
        let expected_v4 = match record.record_type {
            RecordType::A => true,
            RecordType::Aaaa => false,
            _ => continue,
        };
        let content = record.content_str();
        let resource = ctx.record_resource(record);
        match parse_ip(content) {
            Some(ip) if ip.is_ipv4() == expected_v4 => match internal_range(ip) {
                Some(range) => out.fail(
                    resource,
                    format!(
                        "{} {} publishes {ip}, a {range} address",
                        record.record_type, record.name
                    ),
                ),
                None => out.pass(resource, format!("{ip} is a public address")),
            },
            _ => out.unknown(
                resource,
                format!(
                    "content `{content}` is not an IPv{} address",
                    if expected_v4 { 4 } else { 6 }
                ),
            ),
        }
    }
}

fn no_wildcard(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    for record in &ctx.zone.dns_records {
        if !matches!(
            record.record_type,
            RecordType::A | RecordType::Aaaa | RecordType::Cname | RecordType::Mx | RecordType::Srv
        ) {
            continue;
        }
        let resource = ctx.record_resource(record);
        if is_wildcard(&record.name) {
            let proxy = if record.is_proxied() {
                "proxied"
            } else {
                "DNS-only: any name reaches the target directly"
            };
            out.fail(
                resource,
                format!(
                    "wildcard {} {} -> {} ({proxy})",
                    record.record_type,
                    record.name,
                    record.content_str()
                ),
            );
        } else {
            out.pass(resource, "not a wildcard");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Proxying and origin exposure

/// Suffixes of email-provider hosts whose link-tracking and authentication CNAMEs must stay
/// DNS-only.
const EMAIL_PROVIDER_SUFFIXES: &[&str] = &[
    "sendgrid.net",
    "mailgun.org",
    "amazonses.com",
    "mcsv.net",
    "mandrillapp.com",
    "mtasv.net",
    "postmarkapp.com",
    "sparkpostmail.com",
    "domainkey.outlook.com",
    "onmicrosoft.com",
];

/// Names of the zone that must stay DNS-only, with why.
fn dns_only_names(zone: &ZoneSnapshot) -> Vec<(String, String)> {
    let mut names = Vec::new();
    for record in &zone.dns_records {
        match record.record_type {
            RecordType::Mx | RecordType::Srv => {
                if let Some(target) = target_of(record) {
                    names.push((
                        fqdn(&target),
                        format!("{} target of {}", record.record_type, record.name),
                    ));
                }
            }
            RecordType::Sshfp => names.push((
                fqdn(&record.name),
                "SSH host (has SSHFP): Cloudflare proxies HTTP(S) only".into(),
            )),
            RecordType::Tlsa => {
                // _<port>._<proto>.<host>
                let name = fqdn(&record.name);
                let mut parts = name.splitn(3, '.');
                if let (Some(port), Some(_), Some(host)) =
                    (parts.next(), parts.next(), parts.next())
                {
                    let port = port.trim_start_matches('_');
                    if port != "443" && port.parse::<u16>().is_ok() {
                        names.push((
                            host.to_owned(),
                            format!(
                                "serves port {port} (TLSA {name}): Cloudflare proxies HTTP(S) only"
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    names
}

fn proxied(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let dns_only = dns_only_names(ctx.zone);
    for record in &ctx.zone.dns_records {
        if !matches!(
            record.record_type,
            RecordType::A | RecordType::Aaaa | RecordType::Cname
        ) || record.proxiable.copied() == Some(false)
        {
            continue;
        }
        if parse_ip(record.content_str()).is_some_and(|ip| internal_range(ip).is_some()) {
            continue;
        }
        let resource = ctx.record_resource(record);
        if record.is_proxied() {
            out.pass(resource, "proxied");
            continue;
        }
        let name = fqdn(&record.name);
        let target = fqdn(record.content_str());
        let reason = if name.split('.').any(|l| l.starts_with('_')) {
            Some("a service/verification name (label starting with `_`)".to_owned())
        } else if let Some((_, why)) = dns_only.iter().find(|(n, _)| *n == name) {
            Some(why.clone())
        } else if record.record_type == RecordType::Cname {
            EMAIL_PROVIDER_SUFFIXES
                .iter()
                .find(|s| is_under(&target, s))
                .map(|s| format!("an email-provider name (CNAME to {s})"))
        } else {
            None
        };
        match reason {
            Some(why) => out.pass(resource, format!("DNS-only by necessity: {why}")),
            None => out.fail(
                resource,
                format!(
                    "DNS-only: {} resolves straight to {}, bypassing Cloudflare's proxy",
                    record.name,
                    record.content_str()
                ),
            ),
        }
    }
}

/// The proxied records (as `name (zone)`) that have `ip`, if any.
fn proxied_with(ctx: &ZoneContext<'_>, ip: &IpAddr) -> Option<String> {
    // The index keeps each list sorted and deduplicated: quote the first five, count the rest.
    // Shared origins can have thousands of proxied names; formatting them all per record would
    // make the check quadratic.
    let records = ctx.index.proxied_addresses().get(ip)?;
    let names: Vec<String> = records
        .iter()
        .take(5)
        .map(|(z, r)| {
            if std::ptr::eq(*z, ctx.zone) {
                r.name.clone()
            } else {
                format!("{} (zone {})", r.name, z.zone.name)
            }
        })
        .collect();
    let mut text = names.join(", ");
    let more = records.len().saturating_sub(5);
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    Some(text)
}

/// `ipv4hint=` / `ipv6hint=` addresses of an HTTPS or SVCB record.
fn svcb_hints(record: &DnsRecord) -> Vec<IpAddr> {
    let params = record
        .data
        .get()
        .and_then(|d| d.get("value"))
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| record.content_str().to_owned());
    params
        .split_whitespace()
        .filter_map(|p| {
            let (key, value) = p.split_once('=')?;
            let key = key.to_ascii_lowercase();
            (key == "ipv4hint" || key == "ipv6hint").then_some(value)
        })
        .flat_map(|v| v.trim_matches('"').split(','))
        .filter_map(parse_ip)
        .collect()
}

/// Single-host `ip4:`/`ip6:` addresses of an SPF record.
fn spf_hosts(text: &str) -> Vec<IpAddr> {
    text.split_whitespace()
        .filter_map(|term| {
            let term = term.trim_start_matches(['+', '-', '~', '?']);
            let (kind, value) = term.split_once(':')?;
            let (address, len) = match value.split_once('/') {
                Some((a, l)) => (a, Some(l)),
                None => (value, None),
            };
            let ip = parse_ip(address)?;
            let full = match (kind.to_ascii_lowercase().as_str(), &ip) {
                ("ip4", IpAddr::V4(_)) => "32",
                ("ip6", IpAddr::V6(_)) => "128",
                _ => return None,
            };
            len.map_or(true, |l| l == full).then_some(ip)
        })
        .collect()
}

fn origin_exposed(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    for record in &ctx.zone.dns_records {
        let resource = ctx.record_resource(record);
        match record.record_type {
            RecordType::A | RecordType::Aaaa if !record.is_proxied() => {
                let Some(ip) = parse_ip(record.content_str()) else {
                    continue;
                };
                match proxied_with(ctx, &ip) {
                    Some(names) => out.fail(
                        resource,
                        format!(
                            "DNS-only {} {} publishes {ip}, the origin behind proxied {names}",
                            record.record_type, record.name
                        ),
                    ),
                    None => out.pass(
                        resource,
                        format!("{ip} is not the address of any proxied record"),
                    ),
                }
            }
            RecordType::Https | RecordType::Svcb => {
                let hints = svcb_hints(record);
                if hints.is_empty() {
                    continue;
                }
                let leaks: Vec<String> = hints
                    .iter()
                    .filter_map(|ip| proxied_with(ctx, ip).map(|n| format!("{ip} (proxied {n})")))
                    .collect();
                if leaks.is_empty() {
                    out.pass(resource, "address hints are not proxied origins");
                } else {
                    out.fail(
                        resource,
                        format!(
                            "{} {} address hints reveal origins: {}",
                            record.record_type,
                            record.name,
                            leaks.join(", ")
                        ),
                    );
                }
            }
            RecordType::Txt => {
                let text = txt_text(record.content_str());
                if !is_spf(&text) {
                    continue;
                }
                let leaks: Vec<String> = spf_hosts(&text)
                    .iter()
                    .filter_map(|ip| proxied_with(ctx, ip).map(|n| format!("{ip} (proxied {n})")))
                    .collect();
                if !leaks.is_empty() {
                    out.fail(
                        resource,
                        format!(
                            "SPF at {} lists origin addresses: {}",
                            record.name,
                            leaks.join(", ")
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tunnels

/// The tunnel id of a `<uuid>.cfargotunnel.com` target; `Err` when the first label is no uuid.
fn tunnel_id(target: &str) -> Option<Result<String, String>> {
    let target = fqdn(target);
    let id = target.strip_suffix(".cfargotunnel.com")?;
    let is_uuid = id.len() == 36
        && id.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    Some(if is_uuid {
        Ok(id.to_owned())
    } else {
        Err(id.to_owned())
    })
}

fn tunnel_target_exists(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let zone_account = ctx
        .zone
        .zone
        .account
        .get()
        .and_then(|a| a.id.get())
        .cloned();
    for record in &ctx.zone.dns_records {
        if record.record_type != RecordType::Cname {
            continue;
        }
        let Some(id) = tunnel_id(record.content_str()) else {
            continue;
        };
        let resource = ctx.record_resource(record);
        let id = match id {
            Ok(id) => id,
            Err(label) => {
                out.fail(
                    resource,
                    format!(
                        "`{label}` in {} is not a tunnel id (uuid)",
                        record.content_str()
                    ),
                );
                continue;
            }
        };
        let gap = ctx.snapshot.gaps.iter().find(|g| {
            g.section == "tunnels"
                && (g.account.is_none() || g.account == zone_account)
                && g.zone
                    .as_deref()
                    .map_or(true, |z| fqdn(z) == fqdn(&ctx.zone.zone.name))
        });
        if let Some(gap) = gap {
            out.unknown(
                resource,
                format!(
                    "cannot verify tunnel {id}: tunnels of account {} could not be read ({})",
                    gap.account.as_deref().unwrap_or("?"),
                    gap.reason
                ),
            );
            continue;
        }
        if ctx.snapshot.accounts.is_empty() {
            out.unknown(
                resource,
                format!("cannot verify tunnel {id}: the snapshot has no accounts section"),
            );
            continue;
        }
        match ctx.index.tunnels().get(id.as_str()) {
            Some((account, tunnel)) => {
                let name = tunnel.tunnel.name.get().cloned().unwrap_or_default();
                if tunnel.tunnel.is_deleted() {
                    out.fail(
                        resource,
                        format!(
                            "tunnel {name} ({id}) was deleted at {}",
                            tunnel.tunnel.deleted_at.as_deref().unwrap_or("?")
                        ),
                    );
                } else if zone_account
                    .as_deref()
                    .is_some_and(|z| z != account.account.id)
                {
                    out.fail(
                        resource,
                        format!(
                            "tunnel {name} ({id}) belongs to account {}, the zone to account {}: \
                             Cloudflare does not route across accounts",
                            account.account.id,
                            zone_account.as_deref().unwrap_or("?")
                        ),
                    );
                } else {
                    let status = tunnel
                        .tunnel
                        .status
                        .get()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "unknown".into());
                    out.pass(
                        resource,
                        format!("routes to tunnel {name} ({id}), status {status}"),
                    );
                }
            }
            None => {
                let known = ctx
                    .snapshot
                    .accounts
                    .iter()
                    .any(|a| Some(&a.account.id) == zone_account.as_ref());
                match &zone_account {
                    Some(account) if !known => out.unknown(
                        resource,
                        format!(
                            "cannot verify tunnel {id}: the zone's account {account} is not in the snapshot"
                        ),
                    ),
                    _ => out.fail(
                        resource,
                        format!(
                            "no tunnel {id} in account {}: the hostname routes nowhere",
                            zone_account.as_deref().unwrap_or("(the snapshot's accounts)")
                        ),
                    ),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Takeover-prone targets

/// Suffixes of services where a deleted resource's name can be claimed by someone else.
const TAKEOVER_PRONE: &[(&str, &str)] = &[
    ("azurewebsites.net", "Azure App Service"),
    ("cloudapp.net", "Azure Cloud Services"),
    ("cloudapp.azure.com", "Azure public IP DNS label"),
    ("trafficmanager.net", "Azure Traffic Manager"),
    ("blob.core.windows.net", "Azure Blob storage"),
    ("azureedge.net", "Azure CDN"),
    ("azure-api.net", "Azure API Management"),
    ("azurecontainer.io", "Azure Container Instances"),
    ("elasticbeanstalk.com", "AWS Elastic Beanstalk"),
    ("github.io", "GitHub Pages"),
    ("gitlab.io", "GitLab Pages"),
    ("herokuapp.com", "Heroku"),
    ("herokudns.com", "Heroku"),
    ("bitbucket.io", "Bitbucket"),
    ("myshopify.com", "Shopify"),
    ("surge.sh", "Surge"),
    ("ghost.io", "Ghost"),
    ("pantheonsite.io", "Pantheon"),
    ("readthedocs.io", "Read the Docs"),
    ("helpscoutdocs.com", "Help Scout"),
    ("unbouncepages.com", "Unbounce"),
    ("zendesk.com", "Zendesk"),
    ("wordpress.com", "WordPress.com"),
    ("domains.tumblr.com", "Tumblr"),
];

fn takeover_service(target: &str) -> Option<&'static str> {
    if let Some((_, service)) = TAKEOVER_PRONE.iter().find(|(s, _)| is_under(target, s)) {
        return Some(service);
    }
    // S3: <bucket>.s3.amazonaws.com, <bucket>.s3-website-<region>.amazonaws.com,
    // <bucket>.s3-website.<region>.amazonaws.com, <bucket>.s3.<region>.amazonaws.com.
    if is_under(target, "amazonaws.com")
        && target
            .split('.')
            .skip(1)
            .any(|l| l == "s3" || l.starts_with("s3-website") || l.starts_with("s3-"))
    {
        return Some("AWS S3");
    }
    None
}

fn dangling_third_party(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    for record in &ctx.zone.dns_records {
        if record.record_type != RecordType::Cname {
            continue;
        }
        let target = fqdn(record.content_str());
        let resource = ctx.record_resource(record);
        match takeover_service(&target) {
            Some(service) => out.fail(
                resource,
                format!(
                    "{} -> {target}, a {service} host name: anyone can claim it once the \
                     resource is deleted ({}); confirm the resource exists and is yours",
                    record.name,
                    if record.is_proxied() {
                        "proxied, which does not prevent it"
                    } else {
                        "DNS-only"
                    }
                ),
            ),
            None => out.pass(
                resource,
                format!("{target} is not a known takeover-prone service"),
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CAA

/// `(tag, value)` of a CAA record, from `data` or from `content` (`0 issue "ca.example"`).
fn caa_of(record: &DnsRecord) -> Option<(String, String)> {
    if record.record_type != RecordType::Caa {
        return None;
    }
    if let Some(data) = record.data.get().map(RawJson::to_value) {
        if let (Some(tag), Some(value)) = (
            data.get("tag").and_then(|t| t.as_str()),
            data.get("value").and_then(|v| v.as_str()),
        ) {
            return Some((tag.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let mut words = record.content_str().splitn(3, char::is_whitespace);
    let _flags = words.next()?;
    let tag = words.next()?.to_ascii_lowercase();
    let value = words
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_owned();
    Some((tag, value))
}

fn apex_caa(ctx: &ZoneContext<'_>) -> Vec<(String, String)> {
    let apex = fqdn(&ctx.zone.zone.name);
    ctx.zone
        .dns_records
        .iter()
        .filter(|r| fqdn(&r.name) == apex)
        .filter_map(caa_of)
        .collect()
}

fn show_caa(caa: &[(String, String)]) -> String {
    caa.iter()
        .map(|(t, v)| format!("{t} \"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn caa_exists(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let caa = apex_caa(ctx);
    let apex = fqdn(&ctx.zone.zone.name);
    if caa.is_empty() {
        out.fail(
            ctx.zone_resource(),
            format!("no CAA record at {apex}: any CA may issue"),
        );
    } else if caa.iter().any(|(t, _)| t == "issue" || t == "issuewild") {
        out.pass(
            ctx.zone_resource(),
            format!("CAA at {apex}: {}", show_caa(&caa)),
        );
    } else {
        out.fail(
            ctx.zone_resource(),
            format!(
                "CAA at {apex} has no issue/issuewild tag: {}",
                show_caa(&caa)
            ),
        );
    }
}

fn caa_issuers_restricted(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let caa = apex_caa(ctx);
    let apex = fqdn(&ctx.zone.zone.name);
    if caa.is_empty() {
        out.fail(ctx.zone_resource(), format!("no CAA record at {apex}"));
        return;
    }
    let issue: Vec<&str> = caa
        .iter()
        .filter(|(t, _)| t == "issue")
        .map(|(_, v)| v.as_str())
        .collect();
    let iodef: Vec<&str> = caa
        .iter()
        .filter(|(t, _)| t == "iodef")
        .map(|(_, v)| v.as_str())
        .filter(|v| {
            let v = v.to_ascii_lowercase();
            v.starts_with("mailto:") || v.starts_with("https:") || v.starts_with("http:")
        })
        .collect();
    let mut problems = Vec::new();
    if issue.is_empty() {
        problems.push("no `issue` tag, so non-wildcard issuance is unrestricted".to_owned());
    }
    if iodef.is_empty() {
        problems.push("no `iodef` contact (mailto: or https:) for refused requests".to_owned());
    }
    if problems.is_empty() {
        let deny = issue.iter().all(|v| v.trim_start().starts_with(';'));
        out.pass(
            ctx.zone_resource(),
            format!(
                "{}; CAA: {}",
                if deny {
                    "issuance deliberately forbidden (`issue \";\"`)"
                } else {
                    "issuers restricted with a contact"
                },
                show_caa(&caa)
            ),
        );
    } else {
        out.fail(
            ctx.zone_resource(),
            format!("{}; CAA: {}", problems.join("; "), show_caa(&caa)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invariants::{run, Config, Finding, Status};
    use crate::snapshot::{demo, Snapshot};
    use serde_json::{json, Value};

    const ACCOUNT: &str = "d5bd6a0dc435e1bb3c3719751b5143ba";
    const TUNNEL: &str = "62d41457-d239-44d4-915c-ead8d787ab3f";

    /// `(type, name, content, proxied)`.
    type Rec<'a> = (&'a str, &'a str, &'a str, bool);

    fn record_json(i: usize, (t, n, c, p): &Rec<'_>) -> Value {
        json!({"id": format!("rec{i}"), "type": t, "name": n, "content": c, "proxied": p,
               "proxiable": matches!(*t, "A" | "AAAA" | "CNAME"), "ttl": 1})
    }

    /// One zone `example.org` of account ACCOUNT, with `records`, and that account with `tunnels`
    /// (`(id, deleted)`); `accounts: false` leaves the accounts section empty.
    fn snapshot(records: &[Rec<'_>], tunnels: &[(&str, bool)], accounts: bool) -> Snapshot {
        let records: Vec<Value> = records
            .iter()
            .enumerate()
            .map(|(i, r)| record_json(i, r))
            .collect();
        let tunnels: Vec<Value> = tunnels
            .iter()
            .map(|(id, deleted)| {
                json!({"tunnel": {"id": id, "name": "t", "status": if *deleted {"inactive"} else {"healthy"},
                       "deleted_at": if *deleted { json!("2025-09-30T15:47:12Z") } else { Value::Null }}})
            })
            .collect();
        let accounts = if accounts {
            json!([{"account": {"id": ACCOUNT, "name": "Acme"}, "tunnels": tunnels}])
        } else {
            json!([])
        };
        let value = json!({
            "format": "cfcp.snapshot/v1",
            "taken_at": "2026-11-01T12:00:00Z",
            "source": {"kind": "file"},
            "accounts": accounts,
            "zones": [{
                "zone": {"id": "0123456789abcdef0123456789abcdef", "name": "example.org",
                         "account": {"id": ACCOUNT, "name": "Acme"}},
                "settings": [],
                "dns_records": records
            }],
            "gaps": []
        });
        Snapshot::from_json_str(&value.to_string()).expect("test snapshot")
    }

    fn zone(records: &[Rec<'_>]) -> Snapshot {
        snapshot(records, &[], true)
    }

    fn findings(snapshot: &Snapshot, check: &str) -> Vec<Finding> {
        run(
            snapshot,
            &Config {
                checks: vec![check.into()],
                ..Config::default()
            },
        )
        .findings
    }

    fn assert_status(snapshot: &Snapshot, check: &str, name: &str, want: Status) -> String {
        let all = findings(snapshot, check);
        let f = all
            .iter()
            .find(|f| f.resource.name == name)
            .unwrap_or_else(|| panic!("{check}: no finding on {name}: {all:#?}"));
        assert_eq!(f.status, want, "{check} on {name}: {}", f.message);
        f.message.clone()
    }

    fn fails(snapshot: &Snapshot, check: &str) -> usize {
        findings(snapshot, check)
            .iter()
            .filter(|f| f.status == Status::Fail)
            .count()
    }

    #[test]
    fn cname_target_valid() {
        let s = zone(&[
            ("A", "app.example.org", "192.0.2.1", true),
            ("CNAME", "www.example.org", "app.example.org", true),
            ("CNAME", "ext.example.org", "shop.vendor-saas.io.", false),
            ("CNAME", "wild.example.org", "x.w.example.org", false),
            ("A", "*.w.example.org", "192.0.2.9", false),
            ("CNAME", "del.example.org", "host.dev.example.org", false),
            ("NS", "dev.example.org", "ns1.dns.example.com", false),
            ("MX", "example.org", ".", false),
            ("CNAME", "gone.example.org", "old.example.org", false),
            ("CNAME", "ip.example.org", "192.0.2.7", false),
            ("CNAME", "lh.example.org", "localhost", false),
            ("CNAME", "ph.example.org", "placeholder.example.com", false),
            ("CNAME", "self.example.org", "self.example.org", false),
            ("CNAME", "bad.example.org", "a..b.example.io", false),
            ("CNAME", "empty.example.org", "", false),
            ("MX", "mail.example.org", "mx.missing.example.org", false),
        ]);
        let check = "dns_record_cname_target_valid";
        for name in [
            "CNAME www.example.org",
            "CNAME ext.example.org",
            "CNAME wild.example.org",
            "CNAME del.example.org",
            "MX example.org",
        ] {
            assert_status(&s, check, name, Status::Pass);
        }
        for (name, evidence) in [
            ("CNAME gone.example.org", "dangling: target old.example.org"),
            ("CNAME ip.example.org", "IP address"),
            ("CNAME lh.example.org", "single label"),
            ("CNAME ph.example.org", "`example.com`"),
            ("CNAME self.example.org", "itself"),
            ("CNAME bad.example.org", "empty or over-long label"),
            ("CNAME empty.example.org", "empty target"),
            ("MX mail.example.org", "mx.missing.example.org"),
        ] {
            let m = assert_status(&s, check, name, Status::Fail);
            assert!(m.contains(evidence), "{name}: {m}");
        }
    }

    #[test]
    fn no_internal_ip() {
        let check = "dns_record_no_internal_ip";
        let public = [
            "192.0.2.1",
            "198.51.100.20",
            "203.0.113.5",
            "1.1.1.1",
            "100.128.0.1",
        ];
        let public6 = ["2001:db8::1", "2606:4700::1111"];
        let internal = [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
        ];
        let internal6 = [
            "::",
            "::1",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.1",
        ];
        let mut recs: Vec<(String, String, String)> = Vec::new();
        for (i, ip) in public.iter().chain(internal.iter()).enumerate() {
            recs.push(("A".into(), format!("h{i}.example.org"), (*ip).into()));
        }
        for (i, ip) in public6.iter().chain(internal6.iter()).enumerate() {
            recs.push(("AAAA".into(), format!("v{i}.example.org"), (*ip).into()));
        }
        recs.push(("A".into(), "junk.example.org".into(), "not-an-ip".into()));
        recs.push(("A".into(), "v6in4.example.org".into(), "2001:db8::1".into()));
        let borrowed: Vec<Rec<'_>> = recs
            .iter()
            .map(|(t, n, c)| (t.as_str(), n.as_str(), c.as_str(), false))
            .collect();
        let s = zone(&borrowed);
        for (i, ip) in public.iter().enumerate() {
            assert_status(&s, check, &format!("A h{i}.example.org"), Status::Pass);
            let _ = ip;
        }
        for (i, ip) in internal.iter().enumerate() {
            let m = assert_status(
                &s,
                check,
                &format!("A h{}.example.org", i + public.len()),
                Status::Fail,
            );
            assert!(m.contains(ip), "{m}");
        }
        for i in 0..public6.len() {
            assert_status(&s, check, &format!("AAAA v{i}.example.org"), Status::Pass);
        }
        for i in 0..internal6.len() {
            assert_status(
                &s,
                check,
                &format!("AAAA v{}.example.org", i + public6.len()),
                Status::Fail,
            );
        }
        assert_status(&s, check, "A junk.example.org", Status::Unknown);
        assert_status(&s, check, "A v6in4.example.org", Status::Unknown);
    }

    #[test]
    fn no_wildcard() {
        let s = zone(&[
            ("A", "*.example.org", "192.0.2.1", false),
            ("A", "www.example.org", "192.0.2.1", true),
            ("TXT", "*.example.org", "hello", false),
        ]);
        let m = assert_status(
            &s,
            "dns_record_no_wildcard",
            "A *.example.org",
            Status::Fail,
        );
        assert!(m.contains("192.0.2.1") && m.contains("DNS-only"), "{m}");
        assert_status(
            &s,
            "dns_record_no_wildcard",
            "A www.example.org",
            Status::Pass,
        );
        assert!(findings(&s, "dns_record_no_wildcard")
            .iter()
            .all(|f| f.resource.name != "TXT *.example.org"));
    }

    #[test]
    fn proxied() {
        let s = zone(&[
            ("A", "www.example.org", "192.0.2.1", true),
            ("A", "legacy.example.org", "192.0.2.2", false),
            ("A", "mail.example.org", "192.0.2.3", false),
            ("MX", "example.org", "mail.example.org", false),
            ("A", "ssh.example.org", "192.0.2.4", false),
            ("SSHFP", "ssh.example.org", "4 2 abcd", false),
            ("A", "smtp.example.org", "192.0.2.5", false),
            ("TLSA", "_25._tcp.smtp.example.org", "3 1 1 abcd", false),
            ("CNAME", "em123.example.org", "u1.wl.sendgrid.net", false),
            (
                "CNAME",
                "_acme-challenge.example.org",
                "x.acme.example.net",
                false,
            ),
            ("A", "db.example.org", "10.0.0.1", false),
            ("TXT", "example.org", "v=spf1 -all", false),
        ]);
        let check = "dns_record_proxied";
        assert_status(&s, check, "A www.example.org", Status::Pass);
        let m = assert_status(&s, check, "A legacy.example.org", Status::Fail);
        assert!(m.contains("192.0.2.2"), "{m}");
        for (name, why) in [
            ("A mail.example.org", "MX target"),
            ("A ssh.example.org", "SSHFP"),
            ("A smtp.example.org", "port 25"),
            ("CNAME em123.example.org", "sendgrid.net"),
            ("CNAME _acme-challenge.example.org", "`_`"),
        ] {
            let m = assert_status(&s, check, name, Status::Pass);
            assert!(m.contains(why), "{name}: {m}");
        }
        let all = findings(&s, check);
        assert!(
            all.iter()
                .all(|f| f.resource.name != "A db.example.org"
                    && f.resource.name != "TXT example.org")
        );
    }

    #[test]
    fn origin_exposed() {
        let s = zone(&[
            ("A", "www.example.org", "192.0.2.1", true),
            ("AAAA", "www.example.org", "2001:db8::1", true),
            ("A", "origin.example.org", "192.0.2.1", false),
            ("AAAA", "origin6.example.org", "2001:DB8:0::1", false),
            ("A", "other.example.org", "192.0.2.99", false),
            (
                "HTTPS",
                "www.example.org",
                "1 . alpn=\"h2\" ipv4hint=\"192.0.2.1\"",
                false,
            ),
            (
                "HTTPS",
                "api.example.org",
                "1 . alpn=h2 ipv4hint=192.0.2.50",
                false,
            ),
            (
                "TXT",
                "example.org",
                "\"v=spf1 ip4:192.0.2.1 ip4:192.0.2.0/24 -all\"",
                false,
            ),
        ]);
        let check = "dns_record_origin_exposed";
        let m = assert_status(&s, check, "A origin.example.org", Status::Fail);
        assert!(
            m.contains("192.0.2.1") && m.contains("www.example.org"),
            "{m}"
        );
        assert_status(&s, check, "AAAA origin6.example.org", Status::Fail);
        assert_status(&s, check, "HTTPS www.example.org", Status::Fail);
        let m = assert_status(&s, check, "TXT example.org", Status::Fail);
        assert!(m.contains("192.0.2.1 (proxied"), "{m}");
        assert_status(&s, check, "A other.example.org", Status::Pass);
        assert_status(&s, check, "HTTPS api.example.org", Status::Pass);
        assert!(findings(&s, check)
            .iter()
            .all(|f| f.resource.name != "A www.example.org"));
    }

    #[test]
    fn origin_exposed_across_zones() {
        // The demo: mail.acme-internal.net (DNS-only) shares 198.51.100.20 with the proxied apex.
        let demo = demo();
        let m = assert_status(
            &demo,
            "dns_record_origin_exposed",
            "A mail.acme-internal.net",
            Status::Fail,
        );
        assert!(m.contains("198.51.100.20"), "{m}");
        // Across zones: move the proxied twin to another zone.
        let mut s = demo.clone();
        let api = s
            .zones
            .iter()
            .position(|z| z.zone.name == "acme-api.io")
            .unwrap();
        let shop = s
            .zones
            .iter()
            .position(|z| z.zone.name == "acme-shop.com")
            .unwrap();
        let mut leak = s.zones[api]
            .dns_records
            .iter()
            .find(|r| r.name == "origin.acme-api.io")
            .unwrap()
            .clone();
        leak.name = "old-origin.acme-shop.com".into();
        leak.content = crate::snapshot::Field::Value("203.0.113.11".into());
        s.zones[shop].dns_records.push(leak);
        let m = assert_status(
            &s,
            "dns_record_origin_exposed",
            "A old-origin.acme-shop.com",
            Status::Fail,
        );
        assert!(m.contains("api.acme-shop.com"), "{m}");
    }

    #[test]
    fn tunnel_target_exists() {
        let bad = "f7652681-c19c-4d79-bfb1-646ce0a167c6";
        let gone = "563a835e-109c-437b-9563-5d72172875aa";
        let recs = [
            (
                "CNAME",
                "app.example.org",
                "62d41457-d239-44d4-915c-ead8d787ab3f.cfargotunnel.com",
                true,
            ),
            (
                "CNAME",
                "old.example.org",
                "f7652681-c19c-4d79-bfb1-646ce0a167c6.cfargotunnel.com",
                true,
            ),
            (
                "CNAME",
                "legacy.example.org",
                "563a835e-109c-437b-9563-5d72172875aa.cfargotunnel.com.",
                true,
            ),
            (
                "CNAME",
                "typo.example.org",
                "not-a-uuid.cfargotunnel.com",
                true,
            ),
        ];
        let s = snapshot(&recs, &[(TUNNEL, false), (gone, true)], true);
        let check = "dns_record_tunnel_target_exists";
        assert_status(&s, check, "CNAME app.example.org", Status::Pass);
        let m = assert_status(&s, check, "CNAME old.example.org", Status::Fail);
        assert!(m.contains(bad), "{m}");
        let m = assert_status(&s, check, "CNAME legacy.example.org", Status::Fail);
        assert!(m.contains("deleted"), "{m}");
        assert_status(&s, check, "CNAME typo.example.org", Status::Fail);

        let no_accounts = snapshot(&recs, &[], false);
        let m = assert_status(
            &no_accounts,
            check,
            "CNAME app.example.org",
            Status::Unknown,
        );
        assert!(m.contains("no accounts"), "{m}");

        let mut gap = snapshot(&recs, &[(TUNNEL, false)], true);
        gap.gaps.push(crate::snapshot::Gap {
            zone: None,
            account: Some(ACCOUNT.into()),
            section: "tunnels".into(),
            reason: "403 Forbidden".into(),
        });
        let m = assert_status(&gap, check, "CNAME old.example.org", Status::Unknown);
        assert!(m.contains("403"), "{m}");
    }

    #[test]
    fn dangling_third_party() {
        let s = zone(&[
            ("CNAME", "docs.example.org", "acme.github.io", false),
            (
                "CNAME",
                "promo.example.org",
                "acme-promo.azurewebsites.net",
                true,
            ),
            (
                "CNAME",
                "files.example.org",
                "acme-files.s3-website-eu-west-1.amazonaws.com",
                false,
            ),
            ("CNAME", "www.example.org", "example.org", true),
            ("CNAME", "status.example.org", "acme.statuspage.io", false),
        ]);
        let check = "dns_record_dangling_third_party";
        let m = assert_status(&s, check, "CNAME docs.example.org", Status::Fail);
        assert!(m.contains("GitHub Pages"), "{m}");
        let m = assert_status(&s, check, "CNAME promo.example.org", Status::Fail);
        assert!(m.contains("proxied"), "{m}");
        assert_status(&s, check, "CNAME files.example.org", Status::Fail);
        assert_status(&s, check, "CNAME www.example.org", Status::Pass);
        assert_status(&s, check, "CNAME status.example.org", Status::Pass);
    }

    fn caa(tag: &str, value: &str) -> String {
        format!("0 {tag} \"{value}\"")
    }

    #[test]
    fn caa_exists() {
        let issue = caa("issue", "letsencrypt.org");
        let pass = zone(&[("CAA", "example.org", &issue, false)]);
        assert_status(&pass, "zone_record_caa_exists", "example.org", Status::Pass);
        let iodef = caa("iodef", "mailto:sec@example.org");
        let only_iodef = zone(&[("CAA", "example.org", &iodef, false)]);
        let m = assert_status(
            &only_iodef,
            "zone_record_caa_exists",
            "example.org",
            Status::Fail,
        );
        assert!(m.contains("iodef"), "{m}");
        let sub_only = zone(&[("CAA", "www.example.org", &issue, false)]);
        assert_status(
            &sub_only,
            "zone_record_caa_exists",
            "example.org",
            Status::Fail,
        );
    }

    #[test]
    fn caa_issuers_restricted() {
        let check = "zone_caa_issuers_restricted";
        let (issue, deny, wild, iodef) = (
            caa("issue", "letsencrypt.org"),
            caa("issue", ";"),
            caa("issuewild", ";"),
            caa("iodef", "mailto:sec@example.org"),
        );
        let pass = zone(&[
            ("CAA", "example.org", &issue, false),
            ("CAA", "example.org", &iodef, false),
        ]);
        assert_status(&pass, check, "example.org", Status::Pass);
        let denied = zone(&[
            ("CAA", "example.org", &deny, false),
            ("CAA", "example.org", &iodef, false),
        ]);
        let m = assert_status(&denied, check, "example.org", Status::Pass);
        assert!(m.contains("deliberately"), "{m}");
        let no_iodef = zone(&[("CAA", "example.org", &issue, false)]);
        let m = assert_status(&no_iodef, check, "example.org", Status::Fail);
        assert!(m.contains("iodef"), "{m}");
        let wild_only = zone(&[
            ("CAA", "example.org", &wild, false),
            ("CAA", "example.org", &iodef, false),
        ]);
        let m = assert_status(&wild_only, check, "example.org", Status::Fail);
        assert!(m.contains("no `issue`"), "{m}");
    }

    #[test]
    fn dns_records_gap_is_unknown() {
        let mut s = zone(&[("A", "www.example.org", "192.0.2.1", false)]);
        s.gaps.push(crate::snapshot::Gap {
            zone: Some("example.org".into()),
            account: None,
            section: "dns_records".into(),
            reason: "403 Forbidden".into(),
        });
        for check in CHECKS {
            let all = findings(&s, check.id);
            assert!(
                !all.is_empty() && all.iter().all(|f| f.status == Status::Unknown),
                "{}: {all:#?}",
                check.id
            );
        }
    }

    #[test]
    fn garbage_content_never_panics() {
        let garbage = [
            "",
            ".",
            "..",
            "*",
            "\"",
            "é.ü",
            "1.2.3",
            "::::",
            "0 issue",
            "0",
            "a b c d e",
            "ipv4hint=,,, ipv6hint=\"",
            "v=spf1 ip4:/ ip6:: ip4",
            "-.cfargotunnel.com",
        ];
        let mut recs: Vec<Rec<'_>> = Vec::new();
        for t in [
            "A", "AAAA", "CNAME", "MX", "NS", "SRV", "CAA", "HTTPS", "SVCB", "TXT", "TLSA", "SSHFP",
        ] {
            for g in garbage {
                recs.push((t, "x.example.org", g, false));
                recs.push((t, g, g, true));
            }
        }
        let s = zone(&recs);
        let report = run(&s, &Config::default());
        assert!(!report.findings.is_empty());
    }

    #[test]
    fn demo_fail_counts() {
        let demo = demo();
        assert_eq!(fails(&demo, "dns_record_no_internal_ip"), 6);
        assert_eq!(fails(&demo, "dns_record_no_wildcard"), 1);
        assert_eq!(fails(&demo, "dns_record_origin_exposed"), 3);
        assert_eq!(fails(&demo, "dns_record_tunnel_target_exists"), 2);
        assert_eq!(fails(&demo, "dns_record_dangling_third_party"), 2);
        assert_eq!(fails(&demo, "zone_record_caa_exists"), 1);
        assert_eq!(fails(&demo, "zone_caa_issuers_restricted"), 2);
        let m = assert_status(
            &demo,
            "dns_record_tunnel_target_exists",
            "CNAME legacy-app.acme-internal.net",
            Status::Fail,
        );
        assert!(m.contains("deleted"), "{m}");
        assert_status(
            &demo,
            "dns_record_proxied",
            "A bastion.acme-shop.com",
            Status::Pass,
        );
        assert_status(
            &demo,
            "dns_record_proxied",
            "A jenkins.acme-internal.net",
            Status::Fail,
        );
    }
}
