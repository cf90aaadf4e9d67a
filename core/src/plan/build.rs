//! A tool call → the API operations it makes, checked against the zone's snapshot: records and
//! rules named by id must exist, names are made absolute, WAF expressions must parse.

use serde_json::{json, Map, Value};

use super::{Effect, Operation};
use crate::error::{Error, Result};
use crate::rules::{self, ExpressionKind};
use crate::snapshot::{Phase, Rule, Ruleset, RulesetKind, ZoneSnapshot};

/// The phase `waf_rule_configure` manages: the zone's custom rules.
pub const WAF_PHASE: &str = "http_request_firewall_custom";

/// The DNS record members a plan sends (others in the call are ignored).
const RECORD_MEMBERS: &[&str] = &[
    "type", "name", "content", "ttl", "proxied", "priority", "comment", "tags", "data",
];

/// The rule members a plan sends.
const RULE_MEMBERS: &[&str] = &["expression", "action", "description", "enabled"];

fn bad(path: &str, message: impl Into<String>) -> Error {
    Error::InvalidDocument {
        document: "tool call",
        path: path.to_owned(),
        line: 0,
        column: 0,
        message: message.into(),
    }
}

/// The operations of `tool` called with `arguments` on `zone`.
///
/// ```
/// let snapshot = cfcp::snapshot::demo();
/// let zone = &snapshot.zones[0];
/// let call = serde_json::json!({"action": "create", "zone": zone.zone.name,
///     "rule": {"expression": "ip.src eq 192.0.2.1", "action": "block"}});
/// let ops = cfcp::plan::build::operations(zone, "waf_rule_configure", &call).unwrap();
/// assert_eq!(ops.len(), 1);
/// let broken = serde_json::json!({"action": "create", "zone": zone.zone.name,
///     "rule": {"expression": "ip.src eq", "action": "block"}});
/// assert!(cfcp::plan::build::operations(zone, "waf_rule_configure", &broken).is_err());
/// ```
pub fn operations(zone: &ZoneSnapshot, tool: &str, arguments: &Value) -> Result<Vec<Operation>> {
    let action = arguments["action"].as_str().unwrap_or_default();
    match tool {
        "dns_record_manage" => dns(zone, action, arguments),
        "waf_rule_configure" => waf(zone, action, arguments),
        _ => Err(bad(
            "tool",
            format!("{tool:?} makes no changes, so it has no plan"),
        )),
    }
}

fn zone_path(zone: &ZoneSnapshot) -> String {
    format!("/zones/{}", zone.zone.id)
}

fn pick(from: &Map<String, Value>, members: &[&str]) -> Map<String, Value> {
    members
        .iter()
        .filter_map(|m| from.get(*m).map(|v| ((*m).to_owned(), v.clone())))
        .collect()
}

/// `www`, `@`, `www.example.com` and `www.example.com.` → `www.example.com`.
fn absolute_name(name: &str, zone: &str) -> String {
    let name = name.trim_end_matches('.');
    let zone_l = zone.to_ascii_lowercase();
    let name_l = name.to_ascii_lowercase();
    if name.is_empty() || name == "@" {
        zone.to_owned()
    } else if name_l == zone_l || name_l.ends_with(&format!(".{zone_l}")) {
        name.to_owned()
    } else {
        format!("{name}.{zone}")
    }
}

fn dns(zone: &ZoneSnapshot, action: &str, arguments: &Value) -> Result<Vec<Operation>> {
    let base = format!("{}/dns_records", zone_path(zone));
    let empty = Map::new();
    let record = arguments["record"].as_object().unwrap_or(&empty);
    match action {
        "create" => {
            // `records` adds more creates to one plan; Layer0 caps how many.
            let mut all = vec![(String::from("arguments.record"), record)];
            if let Some(more) = arguments["records"].as_array() {
                for (i, r) in more.iter().enumerate() {
                    let r = r.as_object().ok_or_else(|| {
                        bad(&format!("arguments.records[{i}]"), "expected an object")
                    })?;
                    all.push((format!("arguments.records[{i}]"), r));
                }
            }
            all.into_iter()
                .map(|(at, r)| {
                    for m in ["type", "name", "content"] {
                        if !r.get(m).is_some_and(Value::is_string) {
                            return Err(bad(&format!("{at}.{m}"), "missing (a string)"));
                        }
                    }
                    let mut body = pick(r, RECORD_MEMBERS);
                    let name =
                        absolute_name(r["name"].as_str().unwrap_or_default(), &zone.zone.name);
                    body.insert("name".into(), Value::String(name.clone()));
                    let summary = format!(
                        "create {} {} → {}",
                        r["type"].as_str().unwrap_or_default(),
                        name,
                        r["content"].as_str().unwrap_or_default()
                    );
                    Ok(Operation {
                        method: "POST".into(),
                        path: base.clone(),
                        body: Some(Value::Object(body)),
                        effect: Effect::CreateRecord,
                        summary,
                    })
                })
                .collect()
        }
        "update" | "delete" => {
            let existing = find_record(zone, record)?;
            let id = existing.id.get().cloned().unwrap_or_default();
            let path = format!("{base}/{id}");
            let label = format!("{} {}", existing.record_type.as_str(), existing.name);
            if action == "delete" {
                return Ok(vec![Operation {
                    method: "DELETE".into(),
                    path,
                    body: None,
                    effect: Effect::DeleteRecord { record_id: id },
                    summary: format!("delete {label}"),
                }]);
            }
            let mut body = pick(record, RECORD_MEMBERS);
            if let Some(name) = body.get("name").and_then(Value::as_str) {
                let name = absolute_name(name, &zone.zone.name);
                body.insert("name".into(), Value::String(name));
            }
            if body.is_empty() {
                return Err(bad(
                    "arguments.record",
                    "nothing to change: give at least one of type, name, content, ttl, proxied, priority, comment",
                ));
            }
            let changes: Vec<String> = body.iter().map(|(k, v)| format!("{k}={v}")).collect();
            Ok(vec![Operation {
                method: "PATCH".into(),
                path,
                body: Some(Value::Object(body)),
                effect: Effect::PatchRecord { record_id: id },
                summary: format!("update {label}: {}", changes.join(", ")),
            }])
        }
        other => Err(bad(
            "arguments.action",
            format!("{other:?} changes nothing"),
        )),
    }
}

/// The record a call names: by `id`, or by `name` (and `type`) when that is unambiguous.
fn find_record<'a>(
    zone: &'a ZoneSnapshot,
    record: &Map<String, Value>,
) -> Result<&'a crate::snapshot::DnsRecord> {
    if let Some(id) = record.get("id").and_then(Value::as_str) {
        return zone
            .dns_records
            .iter()
            .find(|r| r.id.get().map(String::as_str) == Some(id))
            .ok_or_else(|| {
                bad(
                    "arguments.record.id",
                    format!(
                        "no DNS record {id:?} in zone {}: list the records first",
                        zone.zone.name
                    ),
                )
            });
    }
    let name = record
        .get("name")
        .and_then(Value::as_str)
        .map(|n| absolute_name(n, &zone.zone.name))
        .ok_or_else(|| {
            bad(
                "arguments.record",
                "needs `id` (or `name`) to say which record",
            )
        })?;
    let record_type = record.get("type").and_then(Value::as_str);
    let matches: Vec<_> = zone
        .dns_records
        .iter()
        .filter(|r| {
            r.name.eq_ignore_ascii_case(&name)
                && record_type.map_or(true, |t| r.record_type.as_str().eq_ignore_ascii_case(t))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(bad(
            "arguments.record.name",
            format!("no DNS record named {name:?} in zone {}", zone.zone.name),
        )),
        many => Err(bad(
            "arguments.record",
            format!(
                "{} records are named {name:?}: give the record's `id`",
                many.len()
            ),
        )),
    }
}

fn check_expression(rule: &Map<String, Value>) -> Result<()> {
    if let Some(expression) = rule.get("expression").and_then(Value::as_str) {
        rules::validate(expression, ExpressionKind::Filter)?;
    }
    Ok(())
}

/// The zone's custom-rules entrypoint, if it has one.
fn entrypoint(zone: &ZoneSnapshot) -> Option<&Ruleset> {
    zone.rulesets.iter().find(|r| {
        r.phase.get() == Some(&Phase::HttpRequestFirewallCustom)
            && r.kind.get().map_or(true, |k| *k == RulesetKind::Zone)
    })
}

fn waf(zone: &ZoneSnapshot, action: &str, arguments: &Value) -> Result<Vec<Operation>> {
    let empty = Map::new();
    let rule = arguments["rule"].as_object().unwrap_or(&empty);
    check_expression(rule)?;
    let base = format!("{}/rulesets", zone_path(zone));
    let mut body = pick(rule, RULE_MEMBERS);
    if action == "create" {
        let label = rule_label(rule);
        return Ok(vec![match entrypoint(zone).and_then(|r| r.id.get()) {
            Some(ruleset_id) => Operation {
                method: "POST".into(),
                path: format!("{base}/{ruleset_id}/rules"),
                body: Some(Value::Object(body)),
                effect: Effect::CreateRule {
                    ruleset_id: ruleset_id.clone(),
                },
                summary: format!("create WAF rule {label}"),
            },
            None => Operation {
                method: "PUT".into(),
                path: format!("{base}/phases/{WAF_PHASE}/entrypoint"),
                body: Some(json!({"rules": [Value::Object(body)]})),
                effect: Effect::PutEntrypoint {
                    phase: WAF_PHASE.into(),
                },
                summary: format!("create the custom rules entrypoint with WAF rule {label}"),
            },
        }]);
    }
    let id = rule.get("id").and_then(Value::as_str).unwrap_or_default();
    let (ruleset, existing) = find_rule(zone, id)?;
    let ruleset_id = ruleset.id.get().cloned().unwrap_or_default();
    let path = format!("{base}/{ruleset_id}/rules/{id}");
    let label = existing
        .description
        .get()
        .map(|d| format!("{d:?} ({id})"))
        .unwrap_or_else(|| id.to_owned());
    let (method, effect, summary) = match action {
        "delete" => (
            "DELETE",
            Effect::DeleteRule {
                ruleset_id,
                rule_id: id.to_owned(),
            },
            format!("delete WAF rule {label}"),
        ),
        "update" | "enable" | "disable" => {
            if action != "update" {
                body.insert("enabled".into(), Value::Bool(action == "enable"));
            }
            if body.is_empty() {
                return Err(bad(
                    "arguments.rule",
                    "nothing to change: give expression, action, description or enabled",
                ));
            }
            // Cloudflare's rule PATCH wants the rule's action and expression even when they
            // do not change.
            let current = serde_json::to_value(existing).unwrap_or_default();
            for m in ["action", "expression"] {
                if !body.contains_key(m) {
                    if let Some(v) = current.get(m).filter(|v| !v.is_null()) {
                        body.insert(m.into(), v.clone());
                    }
                }
            }
            (
                "PATCH",
                Effect::PatchRule {
                    ruleset_id,
                    rule_id: id.to_owned(),
                },
                format!("{action} WAF rule {label}"),
            )
        }
        other => {
            return Err(bad(
                "arguments.action",
                format!("{other:?} changes nothing"),
            ))
        }
    };
    Ok(vec![Operation {
        method: method.into(),
        path,
        body: (method != "DELETE").then(|| Value::Object(body)),
        effect,
        summary,
    }])
}

fn rule_label(rule: &Map<String, Value>) -> String {
    let action = rule.get("action").and_then(Value::as_str).unwrap_or("?");
    match rule.get("description").and_then(Value::as_str) {
        Some(d) => format!("{d:?} ({action})"),
        None => format!(
            "({action}) {}",
            rule.get("expression")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .chars()
                .take(80)
                .collect::<String>()
        ),
    }
}

fn find_rule<'a>(zone: &'a ZoneSnapshot, id: &str) -> Result<(&'a Ruleset, &'a Rule)> {
    zone.rulesets
        .iter()
        .filter(|r| r.kind.get().map_or(true, |k| *k == RulesetKind::Zone))
        .find_map(|rs| {
            rs.rules
                .iter()
                .find(|r| r.id.get().map(String::as_str) == Some(id))
                .map(|r| (rs, r))
        })
        .ok_or_else(|| {
            bad(
                "arguments.rule.id",
                format!(
                    "no rule {id:?} in the rulesets of zone {}: list the rules first",
                    zone.zone.name
                ),
            )
        })
}
