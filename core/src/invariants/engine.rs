//! The run loop: every selected check on every selected zone and account, gaps turned into
//! UNKNOWN, waivers applied, a summary computed.

use std::sync::Arc;

use super::catalog::{self, Check, Eval};
use super::context::{AccountContext, Evaluation, SnapshotIndex, ZoneContext};
use super::{waivers, Config, Finding, Remediation, Resource, SharedStr, Status, Text};
use crate::report::Report;
use crate::snapshot::{Gap, Snapshot, ZoneSnapshot};

/// Runs the catalog on `snapshot`. Pure and deterministic: findings come zone by zone (snapshot
/// order), check by check (catalog order), then account by account.
pub fn run(snapshot: &Snapshot, config: &Config) -> Report {
    let (checks, findings) = collect(snapshot, config);
    finish(snapshot, config, checks, findings)
}

/// Like [`run`], with the custom Rego invariants of `policies` evaluated too. Waivers and the zone
/// filter apply to the custom findings as to the built-in ones. A policy package that fails to
/// evaluate is returned as an error and contributes nothing; the rest of the report is complete.
pub fn run_with_policies(
    snapshot: &Snapshot,
    config: &Config,
    policies: &super::rego::PolicySet,
    limits: super::rego::Limits,
) -> (Report, Vec<crate::Error>) {
    let (checks, mut findings) = collect(snapshot, config);
    let (custom, errors) = policies.evaluate_lenient(snapshot, limits);
    let custom_checks: std::collections::BTreeSet<String> =
        custom.iter().map(|f| f.check_id.to_string()).collect();
    findings.extend(custom.into_iter().filter(|f| {
        config.selects_check(&f.check_id)
            && f.resource
                .zone
                .as_deref()
                .map_or(true, |z| config.selects_zone(z))
    }));
    (
        finish(snapshot, config, checks + custom_checks.len(), findings),
        errors,
    )
}

fn finish(
    snapshot: &Snapshot,
    config: &Config,
    checks: usize,
    mut findings: Vec<Finding>,
) -> Report {
    let expired = waivers::apply(&config.waivers, config.now(snapshot), &mut findings);
    findings.extend(expired);
    Report::new(checks, findings)
}

/// The built-in findings, in engine order, and the number of checks that ran.
fn collect(snapshot: &Snapshot, config: &Config) -> (usize, Vec<Finding>) {
    let index = SnapshotIndex::build(snapshot);
    // Each check's references, made once per run and shared by all its findings.
    let checks: Vec<(&Check, Arc<[Text]>)> = catalog::all()
        .filter(|c| config.selects_check(c.id))
        .map(|c| (c, c.compliance.iter().map(|r| Text::Borrowed(r)).collect()))
        .collect();
    let no_code = SharedStr::default();
    let mut findings = Vec::new();

    for zone in snapshot
        .zones
        .iter()
        .filter(|z| config.selects_zone(&z.zone.name))
    {
        let ctx = ZoneContext::new(snapshot, zone, &index);
        let place = Place {
            zone_id: &zone.zone.id,
            zone_name: &zone.zone.name,
            account_id: account_of(zone),
        };
        for (check, compliance) in &checks {
            let Eval::Zone(eval) = check.eval else {
                continue;
            };
            let mut out = Evaluation::default();
            match unreadable_zone_section(snapshot, zone, check) {
                Some(why) => out.unknown(ctx.zone_resource(), why),
                None => eval(&ctx, &mut out),
            }
            let mut make = FindingMaker::new(check, compliance, place, &no_code);
            findings.extend(
                out.results
                    .into_iter()
                    .map(|(status, resource, message)| make.finding(status, resource, message)),
            );
        }
    }

    // Account-level checks only run on a whole-account view: a zone filter does not hide tunnels.
    for account in &snapshot.accounts {
        let ctx = AccountContext {
            snapshot,
            account,
            index: &index,
        };
        let place = Place {
            zone_id: "",
            zone_name: "",
            account_id: &account.account.id,
        };
        for (check, compliance) in &checks {
            let Eval::Account(eval) = check.eval else {
                continue;
            };
            let mut out = Evaluation::default();
            match unreadable_account_section(snapshot, &account.account.id, check) {
                Some(why) => out.unknown(ctx.account_resource(), why),
                None => eval(&ctx, &mut out),
            }
            let mut make = FindingMaker::new(check, compliance, place, &no_code);
            findings.extend(
                out.results
                    .into_iter()
                    .map(|(status, resource, message)| make.finding(status, resource, message)),
            );
        }
    }

    let mut count = checks.len();
    if config.include_waf {
        // The WAF analysis and the gap report speak the same finding language; they run once per
        // snapshot (not per zone) because they look across phases and rulesets.
        let mut waf = crate::waf::analyze(snapshot, None).findings();
        waf.extend(crate::waf::gaps::gap_findings(
            snapshot,
            &crate::waf::gaps::GapPolicy::default(),
        ));
        let waf_checks: std::collections::BTreeSet<String> =
            waf.iter().map(|f| f.check_id.to_string()).collect();
        count += waf_checks.len();
        findings.extend(waf.into_iter().filter(|f| {
            config.selects_check(&f.check_id)
                && f.resource
                    .zone
                    .as_deref()
                    .map_or(true, |z| config.selects_zone(z))
        }));
    }
    (count, findings)
}

/// Where a check ran: what its fix templates' `{zone_id}`, `{zone_name}` and `{account_id}` become.
#[derive(Clone, Copy)]
struct Place<'a> {
    zone_id: &'a str,
    zone_name: &'a str,
    account_id: &'a str,
}

/// Turns one check's results at one place into findings. The catalog's text is borrowed, the
/// references shared, and a fix template that names nothing narrower than the place (no
/// `{resource_id}` or `{resource_name}`) is filled once and shared by all the failures there.
struct FindingMaker<'a> {
    check: &'static Check,
    compliance: &'a Arc<[Text]>,
    place: Place<'a>,
    no_code: &'a SharedStr,
    terraform: Option<SharedStr>,
    api: Option<SharedStr>,
}

impl<'a> FindingMaker<'a> {
    fn new(
        check: &'static Check,
        compliance: &'a Arc<[Text]>,
        place: Place<'a>,
        no_code: &'a SharedStr,
    ) -> Self {
        FindingMaker {
            check,
            compliance,
            place,
            no_code,
            terraform: None,
            api: None,
        }
    }

    fn finding(&mut self, status: Status, resource: Resource, message: String) -> Finding {
        let check = self.check;
        // A passing resource needs no fix: leave the per-resource code out (it is most of a
        // finding's size), keep the advice.
        let (terraform, api) = if status == Status::Pass {
            (self.no_code.clone(), self.no_code.clone())
        } else {
            (
                fill(&mut self.terraform, check.terraform, &resource, self.place),
                fill(&mut self.api, check.api, &resource, self.place),
            )
        };
        Finding {
            check_id: Text::Borrowed(check.id),
            title: Text::Borrowed(check.title),
            severity: check.severity,
            status,
            remediation: Remediation {
                text: Text::Borrowed(check.remediation),
                terraform,
                api,
            },
            compliance: Arc::clone(self.compliance),
            resource,
            message,
        }
    }
}

/// `template` filled for `resource` at `place`; from `cache` when it does not name the resource.
fn fill(
    cache: &mut Option<SharedStr>,
    template: &str,
    resource: &Resource,
    place: Place<'_>,
) -> SharedStr {
    let fill = || fill_template(template, resource, place).into();
    if template.contains("{resource_id}") || template.contains("{resource_name}") {
        fill()
    } else {
        cache.get_or_insert_with(fill).clone()
    }
}

fn account_of(zone: &ZoneSnapshot) -> &str {
    zone.zone
        .account
        .get()
        .and_then(|a| a.id.as_deref())
        .unwrap_or("")
}

fn gap_reason<'a>(
    gaps: &'a [Gap],
    zone: Option<&str>,
    account: Option<&str>,
    section: &str,
) -> Option<&'a Gap> {
    gaps.iter().find(|g| {
        g.section == section
            && (zone.is_none() || g.zone.as_deref() == zone)
            && (account.is_none() || g.account.as_deref() == account)
    })
}

fn unreadable_zone_section(
    snapshot: &Snapshot,
    zone: &ZoneSnapshot,
    check: &Check,
) -> Option<String> {
    for section in check.sections {
        if let Some(gap) = gap_reason(&snapshot.gaps, Some(&zone.zone.name), None, section) {
            return Some(format!(
                "cannot evaluate: {section} of {} could not be read ({})",
                zone.zone.name, gap.reason
            ));
        }
        let missing = match *section {
            "dnssec" => zone.dnssec.is_none(),
            "bot_management" => zone.bot_management.is_none(),
            _ => false,
        };
        if missing {
            return Some(format!(
                "cannot evaluate: {section} of {} is not in the snapshot",
                zone.zone.name
            ));
        }
    }
    None
}

fn unreadable_account_section(snapshot: &Snapshot, account: &str, check: &Check) -> Option<String> {
    check.sections.iter().find_map(|section| {
        gap_reason(&snapshot.gaps, None, Some(account), section).map(|gap| {
            format!(
                "cannot evaluate: {section} of account {account} could not be read ({})",
                gap.reason
            )
        })
    })
}

/// Substitutes `{zone_id}`, `{zone_name}`, `{account_id}`, `{resource_id}` and `{resource_name}` in
/// one pass; other braces are kept (Terraform and JSON have plenty).
fn fill_template(template: &str, resource: &Resource, place: Place<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let value = [
            ("{zone_id}", place.zone_id),
            ("{zone_name}", place.zone_name),
            ("{account_id}", place.account_id),
            ("{resource_id}", resource.id.as_str()),
            ("{resource_name}", resource.name.as_str()),
        ]
        .into_iter()
        .find(|(key, _)| tail.starts_with(key));
        match value {
            Some((key, value)) => {
                out.push_str(value);
                rest = &tail[key.len()..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
