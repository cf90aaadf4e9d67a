//! Email authentication published in DNS: SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489),
//! MX and null MX (RFC 7505).
//!
//! Everything here reads the zone's DNS records only. TXT content is normalised first: Cloudflare
//! returns it quoted (`"v=spf1 ..."`) or unquoted, and long values split into several quoted
//! strings (`"v=spf1 " "include:..."`), which DNS concatenates without a separator.

use std::collections::{BTreeMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::dns::fqdn;
use super::{Check, Eval};
use crate::invariants::{Evaluation, Severity, ZoneContext};
use crate::snapshot::{DnsRecord, RecordType, ZoneSnapshot};

/// Compliance references shared by the email-authentication checks: anti-phishing (PCI DSS
/// 5.4.1), spam protection (NIST SI-8) and secure configuration (CM-6).
const EMAIL_AUTH: &[&str] = &[
    "PCI-DSS-4.0.1:5.4.1",
    "NIST-800-53r5:SI-8",
    "NIST-800-53r5:CM-6",
];

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "zone_record_spf_exists",
        title: "The zone apex publishes an SPF record",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["dns_records"],
        description: "Looks for a TXT record at the zone apex whose text (quotes and string splits \
            removed) starts with `v=spf1`. Passes when there is at least one; its syntax, \
            uniqueness, lookup count and `all` qualifier are judged by the zone_spf_* checks.",
        risk: "Without SPF, receivers cannot tell which servers may send mail as the domain, so \
            anyone can spoof it in phishing mail and DMARC has one mechanism fewer to align on.",
        remediation: "Publish one TXT record at the apex listing the services that send mail for \
            the domain and ending in `-all` (or `~all` while DMARC enforces). A domain that sends \
            no mail publishes `v=spf1 -all`.",
        terraform: "resource \"cloudflare_dns_record\" \"spf\" {\n  zone_id = \"{zone_id}\"\n  name    = \"{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=spf1 include:_spf.example-provider.net -all\\\"\"\n}",
        api: "POST /zones/{zone_id}/dns_records {\"type\":\"TXT\",\"name\":\"{zone_name}\",\"content\":\"\\\"v=spf1 include:_spf.example-provider.net -all\\\"\",\"ttl\":1}",
        compliance: EMAIL_AUTH,
        prowler: Some("differs: Prowler's check also fails unless the record ends in `-all` and \
            accepts a v=spf1 TXT at any name in the zone. cfcp requires it at the apex (where \
            receivers look for the envelope domain) and reports the qualifier separately in \
            zone_spf_all_strict, which also accepts `~all` (recommended with an enforcing DMARC \
            policy because `-all` can reject forwarded mail before DMARC is evaluated)."),
        eval: Eval::Zone(spf_exists),
    },
    Check {
        id: "zone_record_dkim_exists",
        title: "The zone publishes a DKIM key",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["dns_records"],
        description: "Looks for DKIM selectors: TXT records at `<selector>._domainkey.<name>` \
            carrying `v=DKIM1` or a `p=` key tag, and CNAMEs at such names (a selector delegated \
            to a mail provider). Passes when at least one selector has a non-empty key of \
            base64 characters or is delegated; an empty `p=` is a revoked key and does not count.",
        risk: "Without DKIM, receivers cannot verify that mail came from an authorised sender and \
            was not modified; DMARC then rests on SPF alone, which breaks on forwarding.",
        remediation: "Enable DKIM signing at each mail provider and publish the selector record it \
            gives you (a TXT with the public key, or the provider's CNAME).",
        terraform: "resource \"cloudflare_dns_record\" \"dkim\" {\n  zone_id = \"{zone_id}\"\n  name    = \"selector1._domainkey.{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=DKIM1; k=rsa; p=<public key from your mail provider>\\\"\"\n}",
        api: "POST /zones/{zone_id}/dns_records {\"type\":\"TXT\",\"name\":\"selector1._domainkey.{zone_name}\",\"content\":\"\\\"v=DKIM1; k=rsa; p=<public key>\\\"\",\"ttl\":1}",
        compliance: EMAIL_AUTH,
        prowler: Some("differs: Prowler requires `v=DKIM1` and decodes the key as DER. cfcp also \
            accepts the common `k=rsa; p=...` form without a version tag (RFC 6376 makes `v=` \
            optional) and selectors delegated by CNAME (SendGrid, Microsoft 365, SES), which \
            Prowler misses; it checks the key is non-empty base64 text but does not parse the \
            key itself."),
        eval: Eval::Zone(dkim_exists),
    },
    Check {
        id: "zone_record_dmarc_exists",
        title: "The zone publishes exactly one valid DMARC record",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["dns_records"],
        description: "Looks for TXT records at `_dmarc.<zone>` starting with `v=DMARC1`. Passes \
            when there is exactly one and it has a valid `p=` tag (none, quarantine or reject). \
            Two or more DMARC records, or one without a valid policy, fail: receivers then apply \
            no DMARC at all (RFC 7489 section 6.6.3). Enforcement is zone_dmarc_policy_enforced.",
        risk: "Without DMARC, receivers have no policy for mail that fails SPF and DKIM alignment \
            and the domain gets no reports about who sends as it, so spoofing goes unnoticed.",
        remediation: "Publish one TXT record at `_dmarc.<zone>` such as `v=DMARC1; p=quarantine; \
            rua=mailto:dmarc@<zone>`; start with p=none only while reading the reports.",
        terraform: "resource \"cloudflare_dns_record\" \"dmarc\" {\n  zone_id = \"{zone_id}\"\n  name    = \"_dmarc.{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{zone_name}\\\"\"\n}",
        api: "POST /zones/{zone_id}/dns_records {\"type\":\"TXT\",\"name\":\"_dmarc.{zone_name}\",\"content\":\"\\\"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{zone_name}\\\"\",\"ttl\":1}",
        compliance: EMAIL_AUTH,
        prowler: Some("differs: Prowler's check also fails `p=none`; cfcp reports enforcement \
            separately (zone_dmarc_policy_enforced) so that a monitoring-phase record is not \
            reported as missing. cfcp requires the record exactly at `_dmarc.<zone>` (Prowler \
            accepts any name starting with `_dmarc`) and fails duplicate or policy-less records, \
            which receivers ignore."),
        eval: Eval::Zone(dmarc_exists),
    },
    Check {
        id: "zone_spf_syntax_valid",
        title: "Every SPF record parses and does not authorise everyone",
        severity: Severity::Medium,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "Parses every `v=spf1` TXT record of the zone by RFC 7208: mechanisms all, \
            include, a, mx, ptr, ip4, ip6 and exists with optional qualifiers (+ - ~ ?), CIDR \
            lengths, the redirect= and exp= modifiers (at most once each), domain specs with \
            macros. Fails on any term a receiver would reject with a permerror, and on `+all` \
            (or a bare `all`), which authorises every host on the internet. Passes otherwise.",
        risk: "A syntax error makes receivers return permerror: SPF protects nothing and DMARC \
            fails for legitimate mail. `+all` lets anyone send as the domain with an SPF pass.",
        remediation: "Fix the reported term (typos such as `ipv4:`, `include` without a domain, \
            bad CIDR lengths) and end the record in `-all` or `~all`.",
        terraform: "resource \"cloudflare_dns_record\" \"spf\" {\n  zone_id = \"{zone_id}\"\n  name    = \"{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=spf1 include:_spf.example-provider.net -all\\\"\"\n}",
        api: "PATCH /zones/{zone_id}/dns_records/{resource_id} {\"content\":\"\\\"v=spf1 include:_spf.example-provider.net -all\\\"\"}",
        compliance: EMAIL_AUTH,
        prowler: None,
        eval: Eval::Zone(spf_syntax_valid),
    },
    Check {
        id: "zone_spf_single_record",
        title: "A name has at most one SPF record",
        severity: Severity::Medium,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "Groups the zone's `v=spf1` TXT records by name. Fails on each record at a \
            name that has more than one (RFC 7208 section 4.5: receivers then return permerror); \
            passes when a name has exactly one.",
        risk: "With two SPF records at a name, SPF evaluates to permerror for every message: \
            legitimate mail fails DMARC's SPF leg and spoofed mail is not rejected by SPF.",
        remediation: "Merge the records into one: keep one `v=spf1`, combine the mechanisms, end \
            with a single `-all` or `~all`, and delete the other record.",
        terraform: "# Keep one record per name; remove the duplicate resource and merge its mechanisms:\nresource \"cloudflare_dns_record\" \"spf\" {\n  zone_id = \"{zone_id}\"\n  name    = \"{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=spf1 include:provider-a.example include:provider-b.example -all\\\"\"\n}",
        api: "DELETE /zones/{zone_id}/dns_records/{resource_id} (after merging its mechanisms into the remaining SPF record)",
        compliance: EMAIL_AUTH,
        prowler: None,
        eval: Eval::Zone(spf_single_record),
    },
    Check {
        id: "zone_spf_lookup_limit",
        title: "SPF evaluation stays within 10 DNS lookups",
        severity: Severity::Medium,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "Counts the DNS-querying terms of each SPF record (include, a, mx, ptr, \
            exists, redirect), following include: and redirect= into names whose records are in \
            this snapshot. Includes of names outside the snapshot count as one lookup each and \
            are not expanded, so the real count can only be higher. Fails above 10 (RFC 7208 \
            section 4.6.4) or on an include loop; passes otherwise.",
        risk: "Above 10 lookups receivers return permerror: SPF fails for all mail, including \
            legitimate mail, and stops protecting the domain.",
        remediation: "Replace include: chains with ip4:/ip6: ranges where the provider publishes \
            them, drop unused includes and `ptr`, or use a subdomain per sending service.",
        terraform: "resource \"cloudflare_dns_record\" \"spf\" {\n  zone_id = \"{zone_id}\"\n  name    = \"{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=spf1 ip4:192.0.2.0/24 include:_spf.example-provider.net -all\\\"\"\n}",
        api: "PATCH /zones/{zone_id}/dns_records/{resource_id} {\"content\":\"\\\"v=spf1 ip4:192.0.2.0/24 include:_spf.example-provider.net -all\\\"\"}",
        compliance: EMAIL_AUTH,
        prowler: None,
        eval: Eval::Zone(spf_lookup_limit),
    },
    Check {
        id: "zone_spf_all_strict",
        title: "SPF ends by failing unlisted senders (-all or ~all)",
        severity: Severity::High,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "Finds the first `all` mechanism of each SPF record (later terms are never \
            evaluated). Passes for `-all` (fail) and `~all` (softfail). Fails for `+all` or a \
            bare `all` (anyone may send), `?all` (neutral) and a record with neither `all` nor \
            `redirect=` (unlisted senders get neutral). A redirect= is followed into this \
            snapshot; a redirect elsewhere passes with a note that it was not verified.",
        risk: "With `+all`, `?all` or no `all`, mail from any server is not failed by SPF, so \
            spoofed mail passes or is treated as neutral.",
        remediation: "End the record in `-all` (or `~all` while an enforcing DMARC policy does the \
            rejecting).",
        terraform: "resource \"cloudflare_dns_record\" \"spf\" {\n  zone_id = \"{zone_id}\"\n  name    = \"{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=spf1 include:_spf.example-provider.net -all\\\"\"\n}",
        api: "PATCH /zones/{zone_id}/dns_records/{resource_id} {\"content\":\"\\\"v=spf1 include:_spf.example-provider.net -all\\\"\"}",
        compliance: EMAIL_AUTH,
        prowler: None,
        eval: Eval::Zone(spf_all_strict),
    },
    Check {
        id: "zone_dmarc_policy_enforced",
        title: "DMARC policy quarantines or rejects",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["dns_records"],
        description: "Reads the `p=` tag of the zone's DMARC record. Passes for `quarantine` and \
            `reject`; fails for `none`, for `pct=0` (enforcement on no message), and when the zone \
            has no usable DMARC record.",
        risk: "With `p=none` receivers deliver mail that fails authentication as usual: DMARC \
            reports on spoofing but does not stop it.",
        remediation: "After the aggregate reports show all legitimate senders aligned, move to \
            `p=quarantine` and then `p=reject`.",
        terraform: "resource \"cloudflare_dns_record\" \"dmarc\" {\n  zone_id = \"{zone_id}\"\n  name    = \"_dmarc.{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{zone_name}\\\"\"\n}",
        api: "PATCH /zones/{zone_id}/dns_records/<id of the _dmarc TXT record> {\"content\":\"\\\"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{zone_name}\\\"\"}",
        compliance: EMAIL_AUTH,
        prowler: Some("covers the enforcement half of Prowler's zone_record_dmarc_exists \
            (p=quarantine or p=reject), as its own check; cfcp also fails `pct=0`."),
        eval: Eval::Zone(dmarc_policy_enforced),
    },
    Check {
        id: "zone_dmarc_reporting",
        title: "DMARC asks for aggregate reports by email",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["dns_records"],
        description: "Reads the `rua=` tag of the zone's DMARC record. Passes when it lists at \
            least one `mailto:` address; fails when the tag is missing, has no mailto: URI, or \
            the zone has no usable DMARC record.",
        risk: "Without aggregate reports nobody sees who sends mail as the domain: spoofing \
            campaigns and misconfigured legitimate senders go unnoticed, and moving to an \
            enforcing policy is guesswork.",
        remediation: "Add `rua=mailto:<mailbox>` to the DMARC record. A mailbox in another domain \
            must publish an authorisation record (`<zone>._report._dmarc.<that domain>`).",
        terraform: "resource \"cloudflare_dns_record\" \"dmarc\" {\n  zone_id = \"{zone_id}\"\n  name    = \"_dmarc.{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{zone_name}\\\"\"\n}",
        api: "PATCH /zones/{zone_id}/dns_records/<id of the _dmarc TXT record> {\"content\":\"\\\"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{zone_name}\\\"\"}",
        compliance: &[
            "PCI-DSS-4.0.1:5.4.1",
            "NIST-800-53r5:SI-4",
            "NIST-800-53r5:SI-8",
        ],
        prowler: None,
        eval: Eval::Zone(dmarc_reporting),
    },
    Check {
        id: "zone_dmarc_subdomain_policy",
        title: "DMARC protects subdomains at least as strictly as the domain",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["dns_records"],
        description: "Reads `sp=` (subdomain policy) and `p=` of the zone's DMARC record. The \
            effective subdomain policy is `sp` when present, else `p`. Passes when it is \
            quarantine or reject and not weaker than `p`; fails for `sp=none`, for `sp` weaker \
            than `p`, for no `sp` with `p=none`, and when there is no usable DMARC record.",
        risk: "An attacker who cannot spoof the domain itself spoofs any subdomain \
            (billing.<zone>), which receivers then treat with the weaker policy.",
        remediation: "Remove `sp=` to inherit `p=`, or set it to `quarantine` or `reject`.",
        terraform: "resource \"cloudflare_dns_record\" \"dmarc\" {\n  zone_id = \"{zone_id}\"\n  name    = \"_dmarc.{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc-reports@{zone_name}\\\"\"\n}",
        api: "PATCH /zones/{zone_id}/dns_records/<id of the _dmarc TXT record> {\"content\":\"\\\"v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc-reports@{zone_name}\\\"\"}",
        compliance: EMAIL_AUTH,
        prowler: None,
        eval: Eval::Zone(dmarc_subdomain_policy),
    },
    Check {
        id: "zone_mx_has_spf",
        title: "Every name that receives mail publishes SPF",
        severity: Severity::Medium,
        resource_type: "dns_record",
        sections: &["dns_records"],
        description: "For each name of the zone with MX records (a null MX `0 .` excepted), looks \
            for a `v=spf1` TXT record at the same name. Passes when there is one; fails on the \
            name's first MX record otherwise.",
        risk: "A name that receives mail is a mail domain people trust; without SPF anyone can \
            send as it.",
        remediation: "Publish an SPF record at the name listing its senders, or `v=spf1 -all` if \
            it only receives.",
        terraform: "resource \"cloudflare_dns_record\" \"spf_mail_name\" {\n  zone_id = \"{zone_id}\"\n  name    = \"<name with the MX records>\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=spf1 -all\\\"\"\n}",
        api: "POST /zones/{zone_id}/dns_records {\"type\":\"TXT\",\"name\":\"<name with the MX records>\",\"content\":\"\\\"v=spf1 -all\\\"\",\"ttl\":1}",
        compliance: EMAIL_AUTH,
        prowler: None,
        eval: Eval::Zone(mx_has_spf),
    },
    Check {
        id: "zone_null_mx_or_spf_for_non_mail",
        title: "A zone without mail servers says so (null MX or SPF)",
        severity: Severity::Low,
        resource_type: "zone",
        sections: &["dns_records"],
        description: "A zone whose apex has no MX records (or only a null MX) is treated as a \
            domain that receives no mail. Passes when it publishes a null MX (`0 .`, RFC 7505) \
            or an SPF record at the apex, or when the apex has real MX records. Fails when the \
            apex has neither MX nor SPF, and when a null MX is mixed with other MX records \
            (RFC 7505 section 3: a null MX must be the only MX).",
        risk: "Parked and web-only domains are favourite spoofing targets: with nothing published, \
            receivers cannot tell that no mail should ever come from or go to them.",
        remediation: "For a domain that never sends or receives mail publish `v=spf1 -all`, a \
            null MX `0 .` and `v=DMARC1; p=reject` at `_dmarc`.",
        terraform: "resource \"cloudflare_dns_record\" \"null_mx\" {\n  zone_id  = \"{zone_id}\"\n  name     = \"{zone_name}\"\n  type     = \"MX\"\n  priority = 0\n  ttl      = 1\n  content  = \".\"\n}\n\nresource \"cloudflare_dns_record\" \"spf_no_mail\" {\n  zone_id = \"{zone_id}\"\n  name    = \"{zone_name}\"\n  type    = \"TXT\"\n  ttl     = 1\n  content = \"\\\"v=spf1 -all\\\"\"\n}",
        api: "POST /zones/{zone_id}/dns_records {\"type\":\"MX\",\"name\":\"{zone_name}\",\"content\":\".\",\"priority\":0,\"ttl\":1}",
        compliance: EMAIL_AUTH,
        prowler: None,
        eval: Eval::Zone(null_mx_or_spf),
    },
];

// ---------------------------------------------------------------------------------------------
// TXT text

/// The text of a TXT record: quoted strings unquoted (with `\"` and `\\` escapes) and
/// concatenated without a separator; unquoted content is returned trimmed. Never fails: an
/// unterminated quote keeps what was read.
pub(super) fn txt_text(raw: &str) -> String {
    let s = raw.trim();
    if !s.starts_with('"') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            if !c.is_whitespace() {
                // Text between quoted strings: keep it, as a resolver would see a separate string.
                out.push(c);
            }
            continue;
        }
        loop {
            match chars.next() {
                None => return out,
                Some('"') => break,
                Some('\\') => {
                    if let Some(escaped) = chars.next() {
                        out.push(escaped);
                    }
                }
                Some(other) => out.push(other),
            }
        }
    }
    out
}

/// The record's TXT text when it is a TXT record.
fn txt_of(record: &DnsRecord) -> Option<String> {
    (record.record_type == RecordType::Txt).then(|| txt_text(record.content_str()))
}

/// True when `text` is an SPF record: `v=spf1` followed by a space or the end.
pub(super) fn is_spf(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 6
        && bytes[..6].eq_ignore_ascii_case(b"v=spf1")
        && bytes.get(6).map_or(true, |b| *b == b' ' || *b == b'\t')
}

/// The zone's SPF records with their text, in snapshot order.
fn spf_records(zone: &ZoneSnapshot) -> Vec<(&DnsRecord, String)> {
    zone.dns_records
        .iter()
        .filter_map(|r| txt_of(r).filter(|t| is_spf(t)).map(|t| (r, t)))
        .collect()
}

fn quote(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("`{cut}…`")
    } else {
        format!("`{text}`")
    }
}

// ---------------------------------------------------------------------------------------------
// SPF parsing (RFC 7208 section 4.6 and 5)

/// One SPF mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mechanism {
    All,
    Include(String),
    A(Option<String>),
    Mx(Option<String>),
    Ptr(Option<String>),
    Ip4,
    Ip6,
    Exists(String),
}

impl Mechanism {
    fn queries_dns(&self) -> bool {
        !matches!(self, Mechanism::All | Mechanism::Ip4 | Mechanism::Ip6)
    }
}

/// One parsed term.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Mechanism {
        qualifier: char,
        mechanism: Mechanism,
        raw: String,
    },
    Redirect(String),
    Exp,
    Unknown,
}

/// A parsed SPF record: its terms and every syntax error found.
#[derive(Debug, Default)]
struct Spf {
    terms: Vec<Term>,
    errors: Vec<String>,
}

impl Spf {
    /// The first `all` mechanism's qualifier, if any.
    fn all_qualifier(&self) -> Option<char> {
        self.terms.iter().find_map(|t| match t {
            Term::Mechanism {
                qualifier,
                mechanism: Mechanism::All,
                ..
            } => Some(*qualifier),
            _ => None,
        })
    }

    fn redirect(&self) -> Option<&str> {
        self.terms.iter().find_map(|t| match t {
            Term::Redirect(target) => Some(target.as_str()),
            _ => None,
        })
    }
}

fn parse_spf(text: &str) -> Spf {
    let mut spf = Spf::default();
    let mut words = text.split_whitespace();
    match words.next() {
        Some(v) if v.eq_ignore_ascii_case("v=spf1") => {}
        other => {
            spf.errors.push(format!(
                "does not start with `v=spf1` (found `{}`)",
                other.unwrap_or("")
            ));
            return spf;
        }
    }
    let (mut redirects, mut exps) = (0, 0);
    for word in words {
        match parse_term(word) {
            Ok(term) => {
                match &term {
                    Term::Redirect(_) => redirects += 1,
                    Term::Exp => exps += 1,
                    _ => {}
                }
                spf.terms.push(term);
            }
            Err(why) => spf.errors.push(format!("`{word}`: {why}")),
        }
    }
    if redirects > 1 {
        spf.errors.push(format!(
            "`redirect=` appears {redirects} times (at most once)"
        ));
    }
    if exps > 1 {
        spf.errors
            .push(format!("`exp=` appears {exps} times (at most once)"));
    }
    spf
}

fn parse_term(word: &str) -> Result<Term, String> {
    // A modifier is `name=value` where the name comes before any ':' or '/'.
    let name_end = word.find(['=', ':', '/']).unwrap_or(word.len());
    if word[name_end..].starts_with('=') {
        let (name, value) = (&word[..name_end], &word[name_end + 1..]);
        if name.starts_with(['+', '-', '~', '?']) {
            return Err("a modifier cannot have a qualifier".into());
        }
        if !is_modifier_name(name) {
            return Err(format!("`{name}` is not a valid modifier name"));
        }
        return match name.to_ascii_lowercase().as_str() {
            "redirect" => {
                check_domain_spec(value)?;
                Ok(Term::Redirect(value.to_ascii_lowercase()))
            }
            "exp" => {
                check_domain_spec(value)?;
                Ok(Term::Exp)
            }
            // RFC 7208 section 6: unknown modifiers are ignored.
            _ => {
                check_macro_string(value)?;
                Ok(Term::Unknown)
            }
        };
    }
    let (qualifier, rest) = match word.chars().next() {
        Some(q @ ('+' | '-' | '~' | '?')) => (q, &word[1..]),
        _ => ('+', word),
    };
    let split = rest.find([':', '/']).unwrap_or(rest.len());
    let (name, arg) = (&rest[..split], &rest[split..]);
    let mechanism = match name.to_ascii_lowercase().as_str() {
        "all" => {
            if !arg.is_empty() {
                return Err("`all` takes no argument".into());
            }
            Mechanism::All
        }
        "include" => Mechanism::Include(required_domain(arg, "include")?),
        "exists" => Mechanism::Exists(required_domain(arg, "exists")?),
        "a" => Mechanism::A(optional_domain_with_cidr(arg)?),
        "mx" => Mechanism::Mx(optional_domain_with_cidr(arg)?),
        "ptr" => {
            let domain = match arg.strip_prefix(':') {
                Some(d) => {
                    check_domain_spec(d)?;
                    Some(d.to_ascii_lowercase())
                }
                None if arg.is_empty() => None,
                None => return Err("`ptr` takes no CIDR length".into()),
            };
            Mechanism::Ptr(domain)
        }
        "ip4" => {
            let value = arg
                .strip_prefix(':')
                .ok_or("`ip4` needs `:address[/length]`")?;
            check_network::<Ipv4Addr>(value, 32)?;
            Mechanism::Ip4
        }
        "ip6" => {
            let value = arg
                .strip_prefix(':')
                .ok_or("`ip6` needs `:address[/length]`")?;
            check_network::<Ipv6Addr>(value, 128)?;
            Mechanism::Ip6
        }
        "" => return Err("empty mechanism".into()),
        other => return Err(format!("unknown mechanism `{other}`")),
    };
    Ok(Term::Mechanism {
        qualifier,
        mechanism,
        raw: word.to_owned(),
    })
}

fn is_modifier_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn required_domain(arg: &str, mechanism: &str) -> Result<String, String> {
    let domain = arg
        .strip_prefix(':')
        .ok_or_else(|| format!("`{mechanism}` needs `:domain`"))?;
    check_domain_spec(domain)?;
    Ok(domain.to_ascii_lowercase())
}

/// `[:domain-spec][/ip4-cidr][//ip6-cidr]` for `a` and `mx`.
fn optional_domain_with_cidr(arg: &str) -> Result<Option<String>, String> {
    let (domain, cidr) = match arg.strip_prefix(':') {
        Some(rest) => {
            let at = rest.find('/').unwrap_or(rest.len());
            (Some(&rest[..at]), &rest[at..])
        }
        None => (None, arg),
    };
    if let Some(d) = domain {
        check_domain_spec(d)?;
    }
    if !cidr.is_empty() {
        let (v4, v6) = match cidr.split_once("//") {
            Some((v4, v6)) => (v4, Some(v6)),
            None => (cidr, None),
        };
        if !v4.is_empty() {
            let len = v4.strip_prefix('/').ok_or("bad CIDR length")?;
            check_prefix_len(len, 32)?;
        }
        if let Some(len) = v6 {
            check_prefix_len(len, 128)?;
        }
    }
    Ok(domain.map(str::to_ascii_lowercase))
}

fn check_prefix_len(len: &str, max: u8) -> Result<(), String> {
    match len.parse::<u8>() {
        Ok(n) if n <= max && !len.starts_with('+') && (len == "0" || !len.starts_with('0')) => {
            Ok(())
        }
        _ => Err(format!(
            "CIDR length `{len}` is not a number from 0 to {max}"
        )),
    }
}

fn check_network<T: std::str::FromStr>(value: &str, max: u8) -> Result<(), String> {
    let (address, len) = match value.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (value, None),
    };
    if address.parse::<T>().is_err() {
        return Err(format!(
            "`{address}` is not an IPv{} address",
            if max == 32 { 4 } else { 6 }
        ));
    }
    match len {
        Some(l) => check_prefix_len(l, max),
        None => Ok(()),
    }
}

/// A domain-spec: a macro-string that, without macros, is a host name of at least two labels.
fn check_domain_spec(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Err("empty domain".into());
    }
    check_macro_string(spec)?;
    if spec.contains('%') {
        return Ok(());
    }
    let name = spec.strip_suffix('.').unwrap_or(spec);
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(format!("`{spec}` is not a valid domain name"));
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!("`{spec}` is not a domain name (numeric top label)"));
    }
    Ok(())
}

/// RFC 7208 section 7.1 macro syntax: `%{letter[digits][r][delimiters]}`, `%%`, `%_`, `%-`.
fn check_macro_string(spec: &str) -> Result<(), String> {
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if !c.is_ascii_graphic() {
            return Err(format!("`{spec}` contains a character SPF does not allow"));
        }
        if c != '%' {
            continue;
        }
        match chars.next() {
            Some('%' | '_' | '-') => {}
            Some('{') => {
                let body: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let mut b = body.chars();
                let letter_ok = b
                    .next()
                    .is_some_and(|l| "slodiphcrtvSLODIPHCRTV".contains(l));
                let rest: String = b.collect();
                let digits_end = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                let tail = rest[digits_end..]
                    .strip_prefix(['r', 'R'])
                    .unwrap_or(&rest[digits_end..]);
                let delimiters_ok = tail.chars().all(|d| ".-+,/_=".contains(d));
                if !letter_ok || !delimiters_ok {
                    return Err(format!("bad macro `%{{{body}}}`"));
                }
            }
            _ => return Err(format!("`{spec}` has a `%` that is not a macro")),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SPF checks

fn spf_exists(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let apex = fqdn(&ctx.zone.zone.name);
    let at_apex: Vec<String> = spf_records(ctx.zone)
        .into_iter()
        .filter(|(r, _)| fqdn(&r.name) == apex)
        .map(|(_, t)| quote(&t))
        .collect();
    if at_apex.is_empty() {
        out.fail(
            ctx.zone_resource(),
            format!("no TXT record starting with `v=spf1` at {apex}"),
        );
    } else {
        out.pass(
            ctx.zone_resource(),
            format!("SPF at {apex}: {}", at_apex.join(", ")),
        );
    }
}

fn spf_syntax_valid(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    for (record, text) in spf_records(ctx.zone) {
        let spf = parse_spf(&text);
        let mut problems = spf.errors.clone();
        if spf.all_qualifier() == Some('+') {
            problems.push(
                "`+all` (or a bare `all`) authorises every host on the internet to send".into(),
            );
        }
        if problems.is_empty() {
            out.pass(
                ctx.record_resource(record),
                format!("valid SPF, {} terms: {}", spf.terms.len(), quote(&text)),
            );
        } else {
            out.fail(
                ctx.record_resource(record),
                format!("{}; record: {}", problems.join("; "), quote(&text)),
            );
        }
    }
}

fn spf_single_record(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let mut by_name: BTreeMap<String, Vec<(&DnsRecord, String)>> = BTreeMap::new();
    let records = spf_records(ctx.zone);
    for (record, text) in &records {
        by_name
            .entry(fqdn(&record.name))
            .or_default()
            .push((record, text.clone()));
    }
    // Report in snapshot order.
    for (record, text) in &records {
        let Some(group) = by_name.get(&fqdn(&record.name)) else {
            continue;
        };
        if group.len() == 1 {
            out.pass(
                ctx.record_resource(record),
                format!("the only SPF record at {}", fqdn(&record.name)),
            );
        } else {
            let others: Vec<String> = group
                .iter()
                .filter(|(r, _)| !std::ptr::eq(*r, *record))
                .map(|(_, t)| quote(t))
                .collect();
            out.fail(
                ctx.record_resource(record),
                format!(
                    "{} SPF records at {} (receivers return permerror): this one {}, also {}",
                    group.len(),
                    fqdn(&record.name),
                    quote(text),
                    others.join(", ")
                ),
            );
        }
    }
}

/// The lookups of one SPF record, following includes and redirects into the snapshot.
#[derive(Default)]
struct LookupCount {
    count: usize,
    external: Vec<String>,
    expanded: Vec<String>,
    loops: Vec<String>,
}

fn count_lookups(ctx: &ZoneContext<'_>, name: &str, text: &str, tally: &mut LookupCount) {
    let mut path = vec![fqdn(name)];
    count_into(ctx, text, tally, &mut path);
}

fn count_into(ctx: &ZoneContext<'_>, text: &str, tally: &mut LookupCount, path: &mut Vec<String>) {
    let spf = parse_spf(text);
    let has_all = spf.all_qualifier().is_some();
    let mut follow: Vec<String> = Vec::new();
    for term in &spf.terms {
        match term {
            Term::Mechanism { mechanism, .. } if mechanism.queries_dns() => {
                tally.count += 1;
                if let Mechanism::Include(target) = mechanism {
                    follow.push(target.clone());
                }
            }
            Term::Redirect(target) if !has_all => {
                tally.count += 1;
                follow.push(target.clone());
            }
            _ => {}
        }
    }
    for target in follow {
        let target = fqdn(&target);
        if path.contains(&target) {
            tally
                .loops
                .push(format!("{} -> {target}", path.join(" -> ")));
            continue;
        }
        let nested: Vec<String> = ctx
            .index
            .records_named(&target)
            .filter_map(|(_, r)| txt_of(r).filter(|t| is_spf(t)))
            .collect();
        match nested.first() {
            Some(nested_text) if !target.contains('%') => {
                tally.expanded.push(target.clone());
                path.push(target);
                count_into(ctx, nested_text, tally, path);
                path.pop();
            }
            _ => tally.external.push(target),
        }
    }
}

fn spf_lookup_limit(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    for (record, text) in spf_records(ctx.zone) {
        let mut tally = LookupCount::default();
        count_lookups(ctx, &record.name, &text, &mut tally);
        let mut message = format!("{} DNS-querying terms", tally.count);
        if !tally.expanded.is_empty() {
            message.push_str(&format!(
                "; expanded from this snapshot: {}",
                tally.expanded.join(", ")
            ));
        }
        if !tally.external.is_empty() {
            message.push_str(&format!(
                "; external includes/redirects counted as 1 each and not expanded (the real count \
                 may be higher): {}",
                tally.external.join(", ")
            ));
        }
        if !tally.loops.is_empty() {
            out.fail(
                ctx.record_resource(record),
                format!("include loop {}; {message}", tally.loops.join(", ")),
            );
        } else if tally.count > 10 {
            out.fail(
                ctx.record_resource(record),
                format!("{message}: more than the limit of 10 (permerror)"),
            );
        } else {
            out.pass(ctx.record_resource(record), format!("{message} (limit 10)"));
        }
    }
}

fn spf_all_strict(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    for (record, text) in spf_records(ctx.zone) {
        let (ok, why) = all_verdict(ctx, &fqdn(&record.name), &text, 0);
        out.verdict(
            ok,
            ctx.record_resource(record),
            format!("{why}: {}", quote(&text)),
        );
    }
}

fn all_verdict(ctx: &ZoneContext<'_>, name: &str, text: &str, depth: usize) -> (bool, String) {
    let spf = parse_spf(text);
    match spf.all_qualifier() {
        Some('-') => (true, "ends in `-all` (fail)".into()),
        Some('~') => (true, "ends in `~all` (softfail)".into()),
        Some('?') => (
            false,
            "`?all` (neutral): unlisted senders are not failed".into(),
        ),
        Some(_) => (false, "`+all`: every host on the internet may send".into()),
        None => match spf.redirect() {
            None => (
                false,
                "no `all` and no `redirect=`: unlisted senders get neutral".into(),
            ),
            Some(target) => {
                let target = fqdn(target);
                let nested = ctx
                    .index
                    .records_named(&target)
                    .find_map(|(_, r)| txt_of(r).filter(|t| is_spf(t)));
                match nested {
                    Some(nested) if depth < 10 && target != name => {
                        let (ok, why) = all_verdict(ctx, &target, &nested, depth + 1);
                        (ok, format!("redirect={target}, whose record {why}"))
                    }
                    _ => (
                        true,
                        format!(
                            "policy delegated by redirect={target} (outside this snapshot, not \
                             verified)"
                        ),
                    ),
                }
            }
        },
    }
}

// ---------------------------------------------------------------------------------------------
// DKIM

fn dkim_exists(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let mut usable = Vec::new();
    let mut unusable = Vec::new();
    for record in &ctx.zone.dns_records {
        let name = fqdn(&record.name);
        let labels: Vec<&str> = name.split('.').collect();
        if !labels
            .iter()
            .skip(1)
            .any(|l| l.eq_ignore_ascii_case("_domainkey"))
        {
            continue;
        }
        match record.record_type {
            RecordType::Cname => usable.push(format!(
                "{name} delegated by CNAME to {}",
                record.content_str()
            )),
            RecordType::Txt => {
                let text = txt_text(record.content_str());
                let tags = tag_list(&text);
                let version = tags.iter().find(|(k, _)| k == "v").map(|(_, v)| v.as_str());
                let key = tags.iter().find(|(k, _)| k == "p").map(|(_, v)| v.as_str());
                match (version, key) {
                    (_, Some(key)) => {
                        let key: String = key.chars().filter(|c| !c.is_whitespace()).collect();
                        if key.is_empty() {
                            unusable.push(format!("{name}: empty p= (revoked key)"));
                        } else if !key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
                        {
                            unusable.push(format!("{name}: p= is not base64 text"));
                        } else {
                            usable.push(format!("{name} ({} base64 characters)", key.len()));
                        }
                    }
                    (Some(v), None) if v.eq_ignore_ascii_case("DKIM1") => {
                        unusable.push(format!("{name}: v=DKIM1 without a p= key"));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if !usable.is_empty() {
        out.pass(
            ctx.zone_resource(),
            format!("DKIM selectors: {}", usable.join(", ")),
        );
    } else if !unusable.is_empty() {
        out.fail(
            ctx.zone_resource(),
            format!("no usable DKIM key: {}", unusable.join("; ")),
        );
    } else {
        out.fail(
            ctx.zone_resource(),
            format!(
                "no DKIM record (TXT with v=DKIM1/p= or CNAME) at any <selector>._domainkey name of {}",
                fqdn(&ctx.zone.zone.name)
            ),
        );
    }
}

/// `k=v; k=v` tags (DKIM, DMARC): keys lowercased, values trimmed; empty parts skipped.
fn tag_list(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter_map(|part| {
            let (k, v) = part.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// DMARC

/// The zone's DMARC state.
enum Dmarc {
    /// No `v=DMARC1` TXT at `_dmarc.<zone>`; the other TXT texts found there.
    Missing(Vec<String>),
    /// More than one: receivers apply none.
    Several(Vec<String>),
    /// One record without a valid `p=`.
    NoPolicy(String),
    /// One usable record.
    Record {
        text: String,
        tags: Vec<(String, String)>,
        policy: u8,
    },
}

impl Dmarc {
    fn of(zone: &ZoneSnapshot) -> Dmarc {
        let name = format!("_dmarc.{}", fqdn(&zone.zone.name));
        let texts: Vec<String> = zone
            .dns_records
            .iter()
            .filter(|r| fqdn(&r.name) == name)
            .filter_map(txt_of)
            .collect();
        let (dmarc, other): (Vec<String>, Vec<String>) = texts.into_iter().partition(|t| {
            t.split(';').next().is_some_and(|first| {
                first
                    .trim()
                    .replace(' ', "")
                    .eq_ignore_ascii_case("v=DMARC1")
            })
        });
        match dmarc.len() {
            0 => Dmarc::Missing(other),
            1 => {
                let text = dmarc.into_iter().next().unwrap_or_default();
                let tags = tag_list(&text);
                match tags
                    .iter()
                    .find(|(k, _)| k == "p")
                    .and_then(|(_, v)| policy_rank(v))
                {
                    Some(policy) => Dmarc::Record { text, tags, policy },
                    None => Dmarc::NoPolicy(text),
                }
            }
            _ => Dmarc::Several(dmarc),
        }
    }

    /// Why there is no usable record (for the checks that read one).
    fn unusable(&self, zone: &str) -> Option<String> {
        match self {
            Dmarc::Missing(_) => Some(format!(
                "no DMARC record at _dmarc.{zone} (see zone_record_dmarc_exists)"
            )),
            Dmarc::Several(texts) => Some(format!(
                "{} DMARC records at _dmarc.{zone}, so receivers apply none",
                texts.len()
            )),
            Dmarc::NoPolicy(text) => Some(format!(
                "the DMARC record has no valid p= tag, so receivers ignore it: {}",
                quote(text)
            )),
            Dmarc::Record { .. } => None,
        }
    }
}

/// none < quarantine < reject.
fn policy_rank(value: &str) -> Option<u8> {
    match value.trim().to_ascii_lowercase().as_str() {
        "none" => Some(0),
        "quarantine" => Some(1),
        "reject" => Some(2),
        _ => None,
    }
}

const POLICY_NAMES: [&str; 3] = ["none", "quarantine", "reject"];

fn policy_name(rank: u8) -> &'static str {
    POLICY_NAMES.get(usize::from(rank)).copied().unwrap_or("?")
}

fn dmarc_exists(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let zone = fqdn(&ctx.zone.zone.name);
    match Dmarc::of(ctx.zone) {
        Dmarc::Missing(other) if !other.is_empty() => {
            let texts: Vec<String> = other.iter().map(|t| quote(t)).collect();
            out.fail(
                ctx.zone_resource(),
                format!(
                    "no record starting with v=DMARC1 at _dmarc.{zone}; TXT found there: {}",
                    texts.join(", ")
                ),
            )
        }
        Dmarc::Record { text, .. } => out.pass(
            ctx.zone_resource(),
            format!("DMARC at _dmarc.{zone}: {}", quote(&text)),
        ),
        Dmarc::Missing(_) => out.fail(
            ctx.zone_resource(),
            format!("no TXT record starting with v=DMARC1 at _dmarc.{zone}"),
        ),
        other => {
            let why = other.unusable(&zone).unwrap_or_default();
            let detail = match &other {
                Dmarc::Several(texts) => format!(
                    ": {}",
                    texts
                        .iter()
                        .map(|t| quote(t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => String::new(),
            };
            out.fail(ctx.zone_resource(), format!("{why}{detail}"))
        }
    }
}

fn dmarc_policy_enforced(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let zone = fqdn(&ctx.zone.zone.name);
    let dmarc = Dmarc::of(ctx.zone);
    let Dmarc::Record { text, tags, policy } = &dmarc else {
        out.fail(
            ctx.zone_resource(),
            dmarc.unusable(&zone).unwrap_or_default(),
        );
        return;
    };
    let pct = tags
        .iter()
        .find(|(k, _)| k == "pct")
        .map(|(_, v)| v.as_str());
    if *policy == 0 {
        out.fail(
            ctx.zone_resource(),
            format!("p=none only monitors: {}", quote(text)),
        );
    } else if pct.is_some_and(|p| p.parse::<u32>() == Ok(0)) {
        out.fail(
            ctx.zone_resource(),
            format!(
                "p={} but pct=0 applies it to no message: {}",
                policy_name(*policy),
                quote(text)
            ),
        );
    } else {
        let partial = match pct {
            Some(p) if p != "100" => format!(" (pct={p}: only part of failing mail)"),
            _ => String::new(),
        };
        out.pass(
            ctx.zone_resource(),
            format!("p={}{partial}: {}", policy_name(*policy), quote(text)),
        );
    }
}

fn dmarc_reporting(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let zone = fqdn(&ctx.zone.zone.name);
    let dmarc = Dmarc::of(ctx.zone);
    let Dmarc::Record { text, tags, .. } = &dmarc else {
        out.fail(
            ctx.zone_resource(),
            dmarc.unusable(&zone).unwrap_or_default(),
        );
        return;
    };
    match tags
        .iter()
        .find(|(k, _)| k == "rua")
        .map(|(_, v)| v.as_str())
    {
        None => out.fail(
            ctx.zone_resource(),
            format!("no rua= tag, so no aggregate reports: {}", quote(text)),
        ),
        Some(rua) => {
            let mailto: Vec<&str> = rua
                .split(',')
                .map(str::trim)
                .filter(|u| {
                    u.len() > 7
                        && u.get(..7)
                            .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
                })
                .collect();
            if mailto.is_empty() {
                out.fail(
                    ctx.zone_resource(),
                    format!("rua={rua} has no mailto: address"),
                );
            } else {
                out.pass(
                    ctx.zone_resource(),
                    format!("aggregate reports to {}", mailto.join(", ")),
                );
            }
        }
    }
}

fn dmarc_subdomain_policy(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let zone = fqdn(&ctx.zone.zone.name);
    let dmarc = Dmarc::of(ctx.zone);
    let Dmarc::Record { text, tags, policy } = &dmarc else {
        out.fail(
            ctx.zone_resource(),
            dmarc.unusable(&zone).unwrap_or_default(),
        );
        return;
    };
    let sp = tags
        .iter()
        .find(|(k, _)| k == "sp")
        .map(|(_, v)| v.as_str());
    let p = policy_name(*policy);
    match sp {
        None if *policy >= 1 => out.pass(
            ctx.zone_resource(),
            format!("no sp=, so subdomains inherit p={p}"),
        ),
        None => out.fail(
            ctx.zone_resource(),
            format!(
                "no sp= and p=none: subdomains are not protected: {}",
                quote(text)
            ),
        ),
        Some(sp) => match policy_rank(sp) {
            None => out.fail(
                ctx.zone_resource(),
                format!("sp={sp} is not none, quarantine or reject: {}", quote(text)),
            ),
            Some(rank) if rank < *policy => out.fail(
                ctx.zone_resource(),
                format!("sp={sp} is weaker than p={p}: {}", quote(text)),
            ),
            Some(0) => out.fail(
                ctx.zone_resource(),
                format!("sp=none: subdomains are not protected: {}", quote(text)),
            ),
            Some(_) => out.pass(ctx.zone_resource(), format!("sp={sp} (p={p})")),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// MX

fn is_null_mx(record: &DnsRecord) -> bool {
    matches!(record.content_str().trim(), "." | "")
}

fn mx_has_spf(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let spf_names: HashSet<String> = spf_records(ctx.zone)
        .into_iter()
        .map(|(r, _)| fqdn(&r.name))
        .collect();
    let mut seen = HashSet::new();
    for record in &ctx.zone.dns_records {
        if record.record_type != RecordType::Mx || is_null_mx(record) {
            continue;
        }
        let name = fqdn(&record.name);
        if !seen.insert(name.clone()) {
            continue;
        }
        if spf_names.contains(&name) {
            out.pass(
                ctx.record_resource(record),
                format!(
                    "{name} receives mail (MX {}) and publishes SPF",
                    record.content_str()
                ),
            );
        } else {
            out.fail(
                ctx.record_resource(record),
                format!(
                    "{name} receives mail (MX {}) but has no v=spf1 TXT record",
                    record.content_str()
                ),
            );
        }
    }
}

fn null_mx_or_spf(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let apex = fqdn(&ctx.zone.zone.name);
    let mx: Vec<&DnsRecord> = ctx
        .zone
        .dns_records
        .iter()
        .filter(|r| r.record_type == RecordType::Mx && fqdn(&r.name) == apex)
        .collect();
    let null = mx.iter().filter(|r| is_null_mx(r)).count();
    let real: Vec<&str> = mx
        .iter()
        .filter(|r| !is_null_mx(r))
        .map(|r| r.content_str())
        .collect();
    let spf = spf_records(ctx.zone)
        .into_iter()
        .find(|(r, _)| fqdn(&r.name) == apex)
        .map(|(_, t)| t);
    if null > 0 && !real.is_empty() {
        out.fail(
            ctx.zone_resource(),
            format!(
                "a null MX is mixed with other MX records ({}): RFC 7505 requires it to be the only one",
                real.join(", ")
            ),
        );
    } else if !real.is_empty() {
        out.pass(
            ctx.zone_resource(),
            format!("{apex} receives mail (MX {})", real.join(", ")),
        );
    } else if null > 0 {
        out.pass(
            ctx.zone_resource(),
            format!("{apex} publishes a null MX: it accepts no mail"),
        );
    } else if let Some(spf) = spf {
        out.pass(
            ctx.zone_resource(),
            format!("{apex} has no MX but publishes SPF: {}", quote(&spf)),
        );
    } else {
        out.fail(
            ctx.zone_resource(),
            format!(
                "{apex} has no MX, no null MX and no SPF: nothing tells receivers that it sends no mail"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invariants::{run, Config, Status};
    use crate::snapshot::{demo, Snapshot};
    use serde_json::{json, Value};

    /// A snapshot with one zone `example.org` holding `records` (each `[type, name, content]`).
    fn zone_with(records: &[(&str, &str, &str)]) -> Snapshot {
        let records: Vec<Value> = records
            .iter()
            .enumerate()
            .map(|(i, (t, n, c))| {
                json!({"id": format!("rec{i}"), "type": t, "name": n, "content": c,
                       "proxied": false, "ttl": 1})
            })
            .collect();
        let value = json!({
            "format": "cfcp.snapshot/v1",
            "taken_at": "2026-11-01T12:00:00Z",
            "source": {"kind": "file"},
            "accounts": [],
            "zones": [{
                "zone": {"id": "0123456789abcdef0123456789abcdef", "name": "example.org"},
                "settings": [],
                "dns_records": records
            }],
            "gaps": []
        });
        Snapshot::from_json_str(&value.to_string()).expect("test snapshot")
    }

    fn run_one(snapshot: &Snapshot, check: &str) -> Vec<crate::invariants::Finding> {
        run(
            snapshot,
            &Config {
                checks: vec![check.into()],
                ..Config::default()
            },
        )
        .findings
    }

    /// The status of `check` on the resource named `name` (`zone` name or `TYPE name`).
    fn status(snapshot: &Snapshot, check: &str, name: &str) -> (Status, String) {
        let findings = run_one(snapshot, check);
        let f = findings
            .iter()
            .find(|f| f.resource.name == name)
            .unwrap_or_else(|| panic!("{check}: no finding on {name}: {findings:#?}"));
        (f.status, f.message.clone())
    }

    fn assert_status(snapshot: &Snapshot, check: &str, name: &str, want: Status) -> String {
        let (got, message) = status(snapshot, check, name);
        assert_eq!(got, want, "{check} on {name}: {message}");
        message
    }

    const APEX_SPF: (&str, &str, &str) = (
        "TXT",
        "example.org",
        "v=spf1 include:_spf.mail.example -all",
    );
    const DMARC_OK: (&str, &str, &str) = (
        "TXT",
        "_dmarc.example.org",
        "\"v=DMARC1; p=reject; rua=mailto:d@example.org\"",
    );

    #[test]
    fn txt_text_unquotes_and_joins() {
        assert_eq!(txt_text("\"v=spf1 \" \"-all\""), "v=spf1 -all");
        assert_eq!(txt_text("  v=spf1 -all "), "v=spf1 -all");
        assert_eq!(txt_text("\"a\\\"b\""), "a\"b");
        assert_eq!(txt_text("\"unterminated"), "unterminated");
        assert_eq!(txt_text("\"\""), "");
        assert!(is_spf("V=SPF1 -all") && is_spf("v=spf1") && !is_spf("v=spf10 -all"));
    }

    #[test]
    fn garbage_txt_never_panics() {
        let garbage = [
            "",
            "\"",
            "\"\\",
            "v=spf1",
            "v=spf1 %",
            "v=spf1 %{",
            "v=spf1 include:%{zz}",
            "v=spf1 ip4:999.1.1.1/77 ip6:::/200 a/99 mx//300 a:/ mx:",
            "v=spf1 =x ==",
            "v=spf1 redirect= exp= redirect=a.b",
            "v=spf1 \u{1F600} ünïcödé -all",
            "v=DMARC1",
            "v=DMARC1; p",
            "v=DMARC1;;;=;p=;sp=☃",
            "p=",
            "v=DKIM1; p=\u{0}",
            "\"v=spf1 \" garbage \"-all",
            "v=spf1 ptr/24 all:x all/0 +-all",
        ];
        let mut records: Vec<(&str, &str, &str)> =
            garbage.iter().map(|g| ("TXT", "example.org", *g)).collect();
        records.extend(garbage.iter().map(|g| ("TXT", "_dmarc.example.org", *g)));
        records.extend(
            garbage
                .iter()
                .map(|g| ("TXT", "s._domainkey.example.org", *g)),
        );
        records.push(("MX", "example.org", ""));
        let snapshot = zone_with(&records);
        let report = run(&snapshot, &Config::default());
        assert!(!report.findings.is_empty());
        for text in garbage {
            let spf = parse_spf(text);
            let _ = spf.all_qualifier();
            let _ = tag_list(text);
        }
    }

    #[test]
    fn dns_records_gap_is_unknown() {
        let mut snapshot = zone_with(&[APEX_SPF]);
        snapshot.gaps.push(crate::snapshot::Gap {
            zone: Some("example.org".into()),
            account: None,
            section: "dns_records".into(),
            reason: "403 Forbidden".into(),
        });
        for check in CHECKS {
            let findings = run_one(&snapshot, check.id);
            assert!(
                !findings.is_empty() && findings.iter().all(|f| f.status == Status::Unknown),
                "{}: {findings:#?}",
                check.id
            );
        }
    }

    #[test]
    fn spf_exists() {
        let pass = zone_with(&[("TXT", "example.org", "\"v=spf1 \" \"-all\"")]);
        assert_status(&pass, "zone_record_spf_exists", "example.org", Status::Pass);
        let fail = zone_with(&[
            ("TXT", "example.org", "google-site-verification=abc"),
            ("TXT", "sub.example.org", "v=spf1 -all"),
        ]);
        let m = assert_status(&fail, "zone_record_spf_exists", "example.org", Status::Fail);
        assert!(m.contains("example.org"), "{m}");
    }

    #[test]
    fn spf_syntax() {
        let ok = zone_with(&[(
            "TXT",
            "example.org",
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.org/24//64 ptr \
             exists:%{i}._spf.%{d} include:_spf.google.com ~all exp=explain.%{d2} x-custom=1",
        )]);
        assert_status(
            &ok,
            "zone_spf_syntax_valid",
            "TXT example.org",
            Status::Pass,
        );
        for (bad, evidence) in [
            ("v=spf1 ipv4:192.0.2.1 -all", "unknown mechanism `ipv4`"),
            ("v=spf1 ip4:192.0.2.300 -all", "192.0.2.300"),
            ("v=spf1 include: -all", "empty domain"),
            ("v=spf1 a/33 -all", "CIDR length `33`"),
            (
                "v=spf1 redirect=a.example redirect=b.example",
                "at most once",
            ),
            ("v=spf1 include:mailgun.org +all", "+all"),
            ("v=spf1 mx all", "+all"),
            ("v=spf1 include:foo -all:x", "takes no argument"),
        ] {
            let fail = zone_with(&[("TXT", "example.org", bad)]);
            let m = assert_status(
                &fail,
                "zone_spf_syntax_valid",
                "TXT example.org",
                Status::Fail,
            );
            assert!(m.contains(evidence), "{bad}: {m}");
        }
    }

    #[test]
    fn spf_single() {
        let pass = zone_with(&[APEX_SPF, ("TXT", "example.org", "MS=ms123")]);
        assert_status(
            &pass,
            "zone_spf_single_record",
            "TXT example.org",
            Status::Pass,
        );
        let fail = zone_with(&[APEX_SPF, ("TXT", "example.org", "\"v=spf1 +all\"")]);
        let findings = run_one(&fail, "zone_spf_single_record");
        assert_eq!(findings.len(), 2);
        assert!(findings.iter().all(|f| f.status == Status::Fail
            && f.resource.name == "TXT example.org"
            && f.message.starts_with("2 SPF records")));
        assert_eq!(findings[0].resource.id, "rec0");
        assert_eq!(findings[1].resource.id, "rec1");
    }

    #[test]
    fn spf_lookups() {
        let pass = zone_with(&[
            (
                "TXT",
                "example.org",
                "v=spf1 include:_spf.example.org include:ext.example.net -all",
            ),
            ("TXT", "_spf.example.org", "v=spf1 a mx ip4:192.0.2.1 ~all"),
        ]);
        let m = assert_status(
            &pass,
            "zone_spf_lookup_limit",
            "TXT example.org",
            Status::Pass,
        );
        assert!(m.starts_with("4 DNS-querying terms"), "{m}");
        assert!(
            m.contains("counted as 1 each") && m.contains("ext.example.net"),
            "{m}"
        );

        let many = "v=spf1 a mx ptr exists:x.example.net include:a.example.net \
                    include:b.example.net include:c.example.net include:_n.example.org ~all";
        let fail = zone_with(&[
            ("TXT", "example.org", many),
            (
                "TXT",
                "_n.example.org",
                "v=spf1 include:d.example.net include:e.example.net a -all",
            ),
        ]);
        let m = assert_status(
            &fail,
            "zone_spf_lookup_limit",
            "TXT example.org",
            Status::Fail,
        );
        assert!(m.starts_with("11 DNS-querying terms"), "{m}");

        let looped = zone_with(&[
            ("TXT", "example.org", "v=spf1 include:_a.example.org -all"),
            ("TXT", "_a.example.org", "v=spf1 include:example.org -all"),
        ]);
        let m = assert_status(
            &looped,
            "zone_spf_lookup_limit",
            "TXT example.org",
            Status::Fail,
        );
        assert!(m.contains("loop"), "{m}");
    }

    #[test]
    fn spf_all() {
        for good in [
            "v=spf1 mx -all",
            "v=spf1 mx ~all",
            "v=spf1 redirect=_spf.elsewhere.net",
        ] {
            let s = zone_with(&[("TXT", "example.org", good)]);
            assert_status(&s, "zone_spf_all_strict", "TXT example.org", Status::Pass);
        }
        for bad in [
            "v=spf1 mx ?all",
            "v=spf1 +all",
            "v=spf1 mx",
            "v=spf1 all -all",
        ] {
            let s = zone_with(&[("TXT", "example.org", bad)]);
            assert_status(&s, "zone_spf_all_strict", "TXT example.org", Status::Fail);
        }
        // A redirect into the snapshot is followed.
        let s = zone_with(&[
            ("TXT", "example.org", "v=spf1 redirect=_spf.example.org"),
            ("TXT", "_spf.example.org", "v=spf1 ip4:192.0.2.1 ?all"),
        ]);
        let m = assert_status(&s, "zone_spf_all_strict", "TXT example.org", Status::Fail);
        assert!(m.contains("redirect=_spf.example.org"), "{m}");
    }

    #[test]
    fn dkim() {
        let txt = zone_with(&[(
            "TXT",
            "google._domainkey.example.org",
            "\"v=DKIM1; k=rsa; \" \"p=MIIBIjANBg+/=\"",
        )]);
        assert_status(&txt, "zone_record_dkim_exists", "example.org", Status::Pass);
        let no_version = zone_with(&[("TXT", "mx._domainkey.example.org", "k=rsa; p=MIGfMA0")]);
        assert_status(
            &no_version,
            "zone_record_dkim_exists",
            "example.org",
            Status::Pass,
        );
        let cname = zone_with(&[(
            "CNAME",
            "s1._domainkey.example.org",
            "s1.domainkey.u1.wl.sendgrid.net",
        )]);
        assert_status(
            &cname,
            "zone_record_dkim_exists",
            "example.org",
            Status::Pass,
        );

        let none = zone_with(&[APEX_SPF, ("TXT", "_domainkey.example.org", "o=~")]);
        let m = assert_status(
            &none,
            "zone_record_dkim_exists",
            "example.org",
            Status::Fail,
        );
        assert!(m.contains("no DKIM record"), "{m}");
        let revoked = zone_with(&[("TXT", "old._domainkey.example.org", "v=DKIM1; p=")]);
        let m = assert_status(
            &revoked,
            "zone_record_dkim_exists",
            "example.org",
            Status::Fail,
        );
        assert!(m.contains("revoked"), "{m}");
    }

    #[test]
    fn dmarc_exists() {
        let pass = zone_with(&[DMARC_OK]);
        assert_status(
            &pass,
            "zone_record_dmarc_exists",
            "example.org",
            Status::Pass,
        );
        let missing = zone_with(&[APEX_SPF, ("TXT", "_dmarc.example.org", "hello")]);
        let m = assert_status(
            &missing,
            "zone_record_dmarc_exists",
            "example.org",
            Status::Fail,
        );
        assert!(m.contains("`hello`"), "{m}");
        let two = zone_with(&[DMARC_OK, ("TXT", "_dmarc.example.org", "v=DMARC1; p=none")]);
        let m = assert_status(
            &two,
            "zone_record_dmarc_exists",
            "example.org",
            Status::Fail,
        );
        assert!(m.starts_with("2 DMARC records"), "{m}");
        let no_p = zone_with(&[("TXT", "_dmarc.example.org", "v=DMARC1; p=block")]);
        let m = assert_status(
            &no_p,
            "zone_record_dmarc_exists",
            "example.org",
            Status::Fail,
        );
        assert!(m.contains("no valid p="), "{m}");
    }

    #[test]
    fn dmarc_enforced() {
        let pass = zone_with(&[(
            "TXT",
            "_dmarc.example.org",
            "v=DMARC1; p=quarantine; pct=50",
        )]);
        let m = assert_status(
            &pass,
            "zone_dmarc_policy_enforced",
            "example.org",
            Status::Pass,
        );
        assert!(m.contains("pct=50"), "{m}");
        let none = zone_with(&[("TXT", "_dmarc.example.org", "v=DMARC1; p=none")]);
        assert_status(
            &none,
            "zone_dmarc_policy_enforced",
            "example.org",
            Status::Fail,
        );
        let pct0 = zone_with(&[("TXT", "_dmarc.example.org", "v=DMARC1; p=reject; pct=0")]);
        assert_status(
            &pct0,
            "zone_dmarc_policy_enforced",
            "example.org",
            Status::Fail,
        );
        let missing = zone_with(&[APEX_SPF]);
        assert_status(
            &missing,
            "zone_dmarc_policy_enforced",
            "example.org",
            Status::Fail,
        );
    }

    #[test]
    fn dmarc_rua() {
        let pass = zone_with(&[DMARC_OK]);
        let m = assert_status(&pass, "zone_dmarc_reporting", "example.org", Status::Pass);
        assert!(m.contains("mailto:d@example.org"), "{m}");
        let none = zone_with(&[("TXT", "_dmarc.example.org", "v=DMARC1; p=reject")]);
        assert_status(&none, "zone_dmarc_reporting", "example.org", Status::Fail);
        let https = zone_with(&[(
            "TXT",
            "_dmarc.example.org",
            "v=DMARC1; p=reject; rua=https://r.example",
        )]);
        let m = assert_status(&https, "zone_dmarc_reporting", "example.org", Status::Fail);
        assert!(m.contains("no mailto:"), "{m}");
    }

    #[test]
    fn dmarc_sp() {
        for good in [
            "v=DMARC1; p=reject",
            "v=DMARC1; p=quarantine; sp=reject",
            "v=DMARC1; p=none; sp=quarantine",
        ] {
            let s = zone_with(&[("TXT", "_dmarc.example.org", good)]);
            assert_status(
                &s,
                "zone_dmarc_subdomain_policy",
                "example.org",
                Status::Pass,
            );
        }
        for bad in [
            "v=DMARC1; p=reject; sp=none",
            "v=DMARC1; p=reject; sp=quarantine",
            "v=DMARC1; p=none",
            "v=DMARC1; p=none; sp=none",
        ] {
            let s = zone_with(&[("TXT", "_dmarc.example.org", bad)]);
            assert_status(
                &s,
                "zone_dmarc_subdomain_policy",
                "example.org",
                Status::Fail,
            );
        }
    }

    #[test]
    fn mx_spf() {
        let pass = zone_with(&[("MX", "example.org", "mx.example.net"), APEX_SPF]);
        assert_status(&pass, "zone_mx_has_spf", "MX example.org", Status::Pass);
        let fail = zone_with(&[APEX_SPF, ("MX", "sub.example.org", "mx.example.net")]);
        let m = assert_status(&fail, "zone_mx_has_spf", "MX sub.example.org", Status::Fail);
        assert!(m.contains("mx.example.net"), "{m}");
    }

    #[test]
    fn null_mx() {
        let null = zone_with(&[("MX", "example.org", ".")]);
        assert_status(
            &null,
            "zone_null_mx_or_spf_for_non_mail",
            "example.org",
            Status::Pass,
        );
        let spf_only = zone_with(&[("TXT", "example.org", "v=spf1 -all")]);
        assert_status(
            &spf_only,
            "zone_null_mx_or_spf_for_non_mail",
            "example.org",
            Status::Pass,
        );
        let nothing = zone_with(&[("A", "example.org", "192.0.2.1")]);
        assert_status(
            &nothing,
            "zone_null_mx_or_spf_for_non_mail",
            "example.org",
            Status::Fail,
        );
        let mixed = zone_with(&[
            ("MX", "example.org", "."),
            ("MX", "example.org", "mx.example.net"),
        ]);
        let m = assert_status(
            &mixed,
            "zone_null_mx_or_spf_for_non_mail",
            "example.org",
            Status::Fail,
        );
        assert!(m.contains("mx.example.net"), "{m}");
    }

    #[test]
    fn demo_findings() {
        let snapshot = demo();
        let s = |check: &str, name: &str| status(&snapshot, check, name).0;
        assert_eq!(
            s("zone_spf_all_strict", "TXT acme-internal.net"),
            Status::Pass
        ); // first: ~all
        let all = run_one(&snapshot, "zone_spf_all_strict");
        assert_eq!(all.iter().filter(|f| f.status == Status::Fail).count(), 1);
        assert_eq!(
            s("zone_record_dmarc_exists", "acme-internal.net"),
            Status::Fail
        );
        assert_eq!(s("zone_record_dmarc_exists", "acme-shop.com"), Status::Pass);
        assert_eq!(s("zone_dmarc_policy_enforced", "acme-api.io"), Status::Fail);
        assert_eq!(s("zone_record_dkim_exists", "acme-api.io"), Status::Pass);
        assert_eq!(
            s("zone_record_dkim_exists", "acme-internal.net"),
            Status::Fail
        );
        let single = run_one(&snapshot, "zone_spf_single_record");
        assert_eq!(
            single.iter().filter(|f| f.status == Status::Fail).count(),
            2
        );
    }
}
