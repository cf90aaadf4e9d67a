//! [`assess`]: how risky each drift item is, judged twice: by what the drift did (Layer0's
//! structural judgements: a record grey-clouded, a setting weakened, a WAF rule switched off) and
//! by the invariants it newly fails (failing live, not failing in the desired state).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{Change, Drift, DriftItem, ResourceKind, RiskLevel};
use crate::invariants::{self, Config, Severity, Status};
use crate::layer0::breadth::broad_reason;
use crate::layer0::structural::{sensitive_record, setting_downgrade};
use crate::snapshot::Snapshot;

const DOWNGRADE: &str = "security_downgrade";
const SENSITIVE: &str = "sensitive_record";
const DESTRUCTIVE: &str = "destructive";

/// Actions that stop a request; turning one into anything else stops enforcing.
const ENFORCING: &[&str] = &["block", "challenge", "managed_challenge", "js_challenge"];

/// Sets every item's [`super::Risk`]: Layer0's flags and reasons for what the drift did, the
/// invariants newly failing on the resource, and the level (the highest of both).
///
/// ```
/// use cfcp::drift::{assess, diff, RiskLevel};
/// let desired = cfcp::snapshot::demo();
/// let mut live = desired.clone();
/// let record = live.zones[0].dns_records.iter_mut()
///     .find(|r| r.proxied.copied() == Some(true) && r.name.starts_with("api.")).unwrap();
/// record.proxied = cfcp::snapshot::Field::Value(false);
/// let mut drift = diff(&desired, &live);
/// assess(&mut drift, &desired, &live);
/// assert_eq!(drift.items[0].risk.level, RiskLevel::High);
/// assert_eq!(drift.items[0].risk.flags, ["security_downgrade"]);
/// ```
pub fn assess(drift: &mut Drift, desired: &Snapshot, live: &Snapshot) {
    for item in &mut drift.items {
        structural(item);
    }
    newly_failing(drift, desired, live);
    for item in &mut drift.items {
        item.risk.flags.sort();
        item.risk.flags.dedup();
        item.risk.checks.sort();
        item.risk.checks.dedup();
    }
}

fn raise(item: &mut DriftItem, level: RiskLevel, flag: Option<&str>, reason: String) {
    item.risk.level = item.risk.level.max(level);
    if let Some(flag) = flag {
        item.risk.flags.push(flag.to_owned());
    }
    item.risk.reasons.push(reason);
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn structural(item: &mut DriftItem) {
    // Anything that drifted is at least low; only cosmetic members stay informational.
    let cosmetic = item.change == Change::Changed
        && item
            .attributes
            .iter()
            .all(|a| matches!(a.path.as_str(), "comment" | "tags" | "description"));
    item.risk.level = if cosmetic {
        RiskLevel::Info
    } else {
        RiskLevel::Low
    };
    match item.kind {
        ResourceKind::DnsRecord => record(item),
        ResourceKind::ZoneSetting => {
            let value = match &item.live["value"] {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                other => other.to_string(),
            };
            if let Some(why) = setting_downgrade(&item.label, &value) {
                raise(
                    item,
                    RiskLevel::High,
                    Some(DOWNGRADE),
                    format!("live {why}"),
                );
            }
        }
        ResourceKind::ZoneDnssec => {
            let live = item.attributes.first().map(|a| a.live.clone());
            if live.as_ref().and_then(Value::as_str).unwrap_or("disabled") != "active" {
                raise(
                    item,
                    RiskLevel::High,
                    Some(DOWNGRADE),
                    "DNSSEC was switched off outside Terraform".into(),
                );
            }
        }
        ResourceKind::BotManagement => {
            let weakened: Vec<String> = item
                .attributes
                .iter()
                .filter_map(|a| setting_downgrade(&a.path, &a.live.to_string()))
                .collect();
            for why in weakened {
                raise(
                    item,
                    RiskLevel::High,
                    Some(DOWNGRADE),
                    format!("live {why}"),
                );
            }
        }
        ResourceKind::Ruleset => ruleset(item),
        ResourceKind::Tunnel | ResourceKind::TunnelConfig => raise(
            item,
            RiskLevel::Medium,
            None,
            "changes which origin services are reachable through a tunnel".into(),
        ),
        ResourceKind::Zone => {
            if item.change == Change::Removed {
                raise(
                    item,
                    RiskLevel::High,
                    Some(DESTRUCTIVE),
                    "the zone is gone from the account".into(),
                );
            } else {
                raise(
                    item,
                    RiskLevel::Medium,
                    None,
                    "the zone was paused or resumed".into(),
                );
            }
        }
        ResourceKind::List => {
            if item.change == Change::Removed {
                raise(
                    item,
                    RiskLevel::Medium,
                    Some(DESTRUCTIVE),
                    "a list rules may refer to was deleted".into(),
                );
            }
        }
    }
}

fn record(item: &mut DriftItem) {
    let side = if item.change == Change::Removed {
        item.desired.clone()
    } else {
        item.live.clone()
    };
    let zone = item.zone.clone().unwrap_or_default();
    if let Some(what) = sensitive_record(
        text(&side, "type"),
        text(&side, "name"),
        text(&side, "content"),
        &zone,
    ) {
        let verb = match item.change {
            Change::Added => "added",
            Change::Removed => "deleted",
            Change::Changed => "changed",
        };
        raise(
            item,
            RiskLevel::Medium,
            Some(SENSITIVE),
            format!("{what} {verb} outside Terraform"),
        );
    }
    let unproxied = item.attributes.iter().any(|a| {
        a.path == "proxied" && a.desired == Value::Bool(true) && a.live == Value::Bool(false)
    });
    if unproxied {
        raise(
            item,
            RiskLevel::High,
            Some(DOWNGRADE),
            "grey-clouded outside Terraform: the origin's address is public and the WAF no longer sees its traffic".into(),
        );
    }
    if item.change == Change::Removed {
        raise(
            item,
            RiskLevel::Low,
            Some(DESTRUCTIVE),
            "deleted outside Terraform".into(),
        );
    }
}

fn ruleset(item: &mut DriftItem) {
    if item.change == Change::Removed {
        raise(
            item,
            RiskLevel::High,
            Some(DOWNGRADE),
            format!("the {} ruleset was deleted outside Terraform", item.label),
        );
        return;
    }
    let mut found = Vec::new();
    let added_rules: Vec<Value> = match item.change {
        Change::Added => item.live["rules"].as_array().cloned().unwrap_or_default(),
        _ => item
            .attributes
            .iter()
            .filter(|a| {
                a.desired.is_null() && a.path.starts_with("rules[") && !a.path.contains("].")
            })
            .map(|a| a.live.clone())
            .collect(),
    };
    for rule in &added_rules {
        let action = text(rule, "action");
        if matches!(action, "skip" | "allow" | "bypass") {
            if let Some(why) = broad_reason(text(rule, "expression")) {
                found.push(format!(
                    "a {action} rule added outside Terraform matches broadly: {why}"
                ));
            }
        }
    }
    for a in &item.attributes {
        if a.path.ends_with("].enabled")
            && a.desired == Value::Bool(true)
            && a.live == Value::Bool(false)
        {
            found.push(format!("{} was switched off", rule_of(&a.path)));
        } else if a.path.ends_with("].action") {
            let (want, have) = (
                a.desired.as_str().unwrap_or_default(),
                a.live.as_str().unwrap_or_default(),
            );
            if ENFORCING.contains(&want) && !ENFORCING.contains(&have) {
                found.push(format!(
                    "{} went from {want} to {have}: it stops enforcing",
                    rule_of(&a.path)
                ));
            }
        } else if a.path.starts_with("rules[") && !a.path.contains("].") && a.live.is_null() {
            found.push(format!("{} was deleted", rule_of(&a.path)));
        }
    }
    for why in found {
        raise(item, RiskLevel::High, Some(DOWNGRADE), why);
    }
}

fn rule_of(path: &str) -> String {
    let inner = path
        .strip_prefix("rules[")
        .and_then(|p| p.split_once(']'))
        .map(|(label, _)| label)
        .unwrap_or(path);
    format!("the rule {inner:?}")
}

fn level_of(severity: Severity) -> RiskLevel {
    match severity {
        Severity::Critical => RiskLevel::Critical,
        Severity::High => RiskLevel::High,
        Severity::Medium => RiskLevel::Medium,
        Severity::Low => RiskLevel::Low,
        Severity::Info => RiskLevel::Info,
    }
}

/// The ids a drift item's live side carries: the resource's own and, for rulesets, its rules'.
fn live_ids(item: &DriftItem) -> Vec<String> {
    let mut ids: Vec<String> = item
        .live
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .into_iter()
        .collect();
    if let Some(rules) = item.live.get("rules").and_then(Value::as_array) {
        ids.extend(
            rules
                .iter()
                .filter_map(|r| r.get("id").and_then(Value::as_str))
                .map(str::to_owned),
        );
    }
    ids
}

fn newly_failing(drift: &mut Drift, desired: &Snapshot, live: &Snapshot) {
    if drift.items.is_empty() {
        return;
    }
    // Only the zones with drift; a desired state read from Terraform may name a zone by its id.
    let mut zones: Vec<String> = drift
        .items
        .iter()
        .flat_map(|i| [i.zone.clone(), i.zone_id.clone()])
        .flatten()
        .collect();
    zones.sort();
    zones.dedup();
    if zones.is_empty() {
        // Account resources only: a name no zone has keeps the zone checks from running.
        zones.push(String::from("\u{0}"));
    }
    let config = Config {
        zones,
        ..Config::default()
    };
    let key = |f: &invariants::Finding| (f.check_id.to_string(), f.resource.id.to_string());
    let failing_before: HashSet<(String, String)> = invariants::run(desired, &config)
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(key)
        .collect();
    let mut by_resource: HashMap<String, Vec<(String, Severity, String)>> = HashMap::new();
    let mut by_zone: HashMap<String, Vec<(String, Severity, String)>> = HashMap::new();
    for f in invariants::run(live, &config).findings {
        if f.status != Status::Fail || failing_before.contains(&key(&f)) {
            continue;
        }
        let entry = (f.check_id.to_string(), f.severity, f.message.clone());
        if f.resource.kind == "zone" {
            by_zone
                .entry(f.resource.id.to_string())
                .or_default()
                .push(entry);
        } else {
            by_resource
                .entry(f.resource.id.to_string())
                .or_default()
                .push(entry);
        }
    }
    for item in &mut drift.items {
        let mut found: Vec<(String, Severity, String)> = live_ids(item)
            .iter()
            .filter_map(|id| by_resource.get(id))
            .flatten()
            .cloned()
            .collect();
        if matches!(
            item.kind,
            ResourceKind::ZoneSetting | ResourceKind::ZoneDnssec | ResourceKind::BotManagement
        ) {
            found.extend(zone_wide(item, live, &by_zone));
        }
        for (check, severity, message) in found {
            item.risk.level = item.risk.level.max(level_of(severity));
            item.risk.checks.push(check.clone());
            item.risk
                .reasons
                .push(format!("{check} now fails: {message}"));
        }
    }
}

/// Zone-wide findings this item causes: failing live, and not failing once only this item is put
/// back the way the desired state has it. (A desired state read from Terraform often sets a few
/// settings; comparing whole zones would blame this item for settings nobody manages.)
fn zone_wide(
    item: &DriftItem,
    live: &Snapshot,
    by_zone: &HashMap<String, Vec<(String, Severity, String)>>,
) -> Vec<(String, Severity, String)> {
    let Some(zone_id) = item.zone_id.as_deref() else {
        return Vec::new();
    };
    let Some(candidates) = by_zone.get(zone_id) else {
        return Vec::new();
    };
    let Some(zone) = live.zones.iter().find(|z| z.zone.id == zone_id) else {
        return Vec::new();
    };
    let mut one = Snapshot {
        zones: vec![zone.clone()],
        ..Snapshot::new(live.taken_at.clone(), live.source.clone())
    };
    one.accounts = live.accounts.clone();
    let z = &mut one.zones[0];
    match item.kind {
        ResourceKind::ZoneSetting => {
            let value = item.desired.get("value").cloned().unwrap_or(Value::Null);
            match z.settings.iter_mut().find(|s| s.id == item.label) {
                Some(s) => s.value = value,
                None => match serde_json::from_value(item.desired.clone()) {
                    Ok(setting) => z.settings.push(setting),
                    Err(_) => return Vec::new(),
                },
            }
        }
        ResourceKind::ZoneDnssec => match serde_json::from_value(item.desired.clone()) {
            Ok(dnssec) => z.dnssec = dnssec,
            Err(_) => return Vec::new(),
        },
        ResourceKind::BotManagement => match serde_json::from_value(item.desired.clone()) {
            Ok(bots) => z.bot_management = bots,
            Err(_) => return Vec::new(),
        },
        _ => return Vec::new(),
    }
    let config = Config {
        zones: vec![zone.zone.name.clone()],
        ..Config::default()
    };
    let still_failing: HashSet<String> = invariants::run(&one, &config)
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.resource.kind == "zone")
        .map(|f| f.check_id.to_string())
        .collect();
    candidates
        .iter()
        .filter(|(check, _, _)| !still_failing.contains(check))
        .cloned()
        .collect()
}
