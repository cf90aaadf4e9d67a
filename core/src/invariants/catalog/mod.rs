//! The check catalog: one file per area, each exporting a `CHECKS` table.
//!
//! A [`Check`] is data (id, title, severity, documentation, remediation, compliance references)
//! plus one pure function. Adding a check means adding an entry to an area's table and a test with
//! a snapshot where it fails and one where it passes.

mod bots;
mod dns;
mod email;
mod expressions;
mod tls;
mod tunnels;
mod waf;
mod zone_settings;

use super::{AccountContext, Evaluation, Severity, ZoneContext};

/// One invariant.
#[derive(Debug)]
pub struct Check {
    /// Stable id; Prowler's id where Prowler has the same check.
    pub id: &'static str,
    /// One line, stated as the desired state ("SSL/TLS mode is Full (strict)").
    pub title: &'static str,
    /// Severity of a failure.
    pub severity: Severity,
    /// The resource type its findings are about (`zone`, `dns_record`, `tunnel`, `rule`, ...).
    pub resource_type: &'static str,
    /// The snapshot sections it reads (`settings`, `dns_records`, `dnssec`, `rulesets`,
    /// `bot_management`, `tunnels`, `tunnel_configuration`, `tunnel_connections`, `lists`). When
    /// one is in the snapshot's gaps, the check reports UNKNOWN instead of running.
    pub sections: &'static [&'static str],
    /// What it checks and what passes.
    pub description: &'static str,
    /// Why it matters.
    pub risk: &'static str,
    /// How to fix it, in words.
    pub remediation: &'static str,
    /// Terraform (cloudflare provider v5) that fixes it. Placeholders: `{zone_id}`, `{zone_name}`,
    /// `{account_id}`, `{resource_id}`, `{resource_name}`.
    pub terraform: &'static str,
    /// The API call that fixes it (same placeholders).
    pub api: &'static str,
    /// Compliance references, `FRAMEWORK:requirement` with real requirement ids:
    /// `PCI-DSS-4.0.1:4.2.1`, `ASVS-4.0.3:9.1.1`, `ASVS-5.0.0:12.1.1`, `NIST-800-53r5:SC-8`.
    pub compliance: &'static [&'static str],
    /// How it relates to Prowler's check of the same id, when there is one: "same" or what
    /// differs and why.
    pub prowler: Option<&'static str>,
    /// The function.
    pub eval: Eval,
}

/// A check's function and the level it runs at.
#[derive(Debug, Clone, Copy)]
pub enum Eval {
    /// Runs once per zone.
    Zone(fn(&ZoneContext<'_>, &mut Evaluation)),
    /// Runs once per account.
    Account(fn(&AccountContext<'_>, &mut Evaluation)),
}

/// Every check, in report order.
pub fn all() -> impl Iterator<Item = &'static Check> {
    [
        tls::CHECKS,
        zone_settings::CHECKS,
        dns::CHECKS,
        email::CHECKS,
        waf::CHECKS,
        expressions::CHECKS,
        bots::CHECKS,
        tunnels::CHECKS,
    ]
    .into_iter()
    .flatten()
}

/// The check with this id.
pub fn get(id: &str) -> Option<&'static Check> {
    all().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for check in all() {
            assert!(seen.insert(check.id), "duplicate id {}", check.id);
            assert!(
                check
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                check.id
            );
        }
    }

    #[test]
    fn every_check_is_documented() {
        for c in all() {
            for (what, text) in [
                ("title", c.title),
                ("description", c.description),
                ("risk", c.risk),
                ("remediation", c.remediation),
            ] {
                assert!(text.len() >= 10, "{}: {what} is too short", c.id);
            }
            assert!(
                !c.compliance.is_empty() || c.severity == Severity::Info,
                "{}: no compliance references",
                c.id
            );
            for r in c.compliance {
                let (framework, id) = r
                    .split_once(':')
                    .unwrap_or_else(|| panic!("{}: bad reference {r}", c.id));
                assert!(
                    ["PCI-DSS-4.0.1", "ASVS-4.0.3", "ASVS-5.0.0", "NIST-800-53r5"]
                        .contains(&framework),
                    "{}: {r}",
                    c.id
                );
                assert!(!id.is_empty());
            }
        }
    }
}
