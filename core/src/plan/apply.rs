//! [`apply_to_snapshot`]: the account as it would be after a plan's operations, computed from
//! the snapshot alone. New records and rules get ids `planned-N` (Cloudflare picks the real ones).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{Effect, Operation};
use crate::error::{Error, Result};
use crate::snapshot::{Field, Phase, Ruleset, RulesetKind, Snapshot};

fn bad(message: String) -> Error {
    Error::InvalidDocument {
        document: "plan",
        path: "operations".into(),
        line: 0,
        column: 0,
        message,
    }
}

/// `value` with `changes` merged in, read back as `T` (the typed model checks the result).
fn merged<T: Serialize + DeserializeOwned>(value: &T, changes: &Map<String, Value>) -> Result<T> {
    let mut v = serde_json::to_value(value).map_err(|e| bad(e.to_string()))?;
    if let Value::Object(map) = &mut v {
        for (k, c) in changes {
            map.insert(k.clone(), c.clone());
        }
    }
    serde_json::from_value(v).map_err(|e| bad(format!("the change does not fit the model: {e}")))
}

fn with_id(body: &Option<Value>, id: String) -> Map<String, Value> {
    let mut map = body
        .as_ref()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    map.insert("id".into(), Value::String(id));
    map
}

fn decode<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T> {
    serde_json::from_value(Value::Object(map))
        .map_err(|e| bad(format!("the change does not fit the model: {e}")))
}

/// `snapshot` with `operations` applied to zone `zone`. Fails when an operation names a record or
/// rule the zone does not have, or makes something the snapshot model cannot hold.
///
/// ```
/// use cfcp::plan::{apply_to_snapshot, Effect, Operation};
/// let snapshot = cfcp::snapshot::demo();
/// let zone = snapshot.zones[0].zone.name.clone();
/// let create = Operation { method: "POST".into(), path: String::new(), effect: Effect::CreateRecord,
///     body: Some(serde_json::json!({"type": "A", "name": "n.example", "content": "192.0.2.9"})),
///     summary: String::new() };
/// let after = apply_to_snapshot(&snapshot, &zone, &[create]).unwrap();
/// assert_eq!(after.zones[0].dns_records.len(), snapshot.zones[0].dns_records.len() + 1);
/// ```
pub fn apply_to_snapshot(
    snapshot: &Snapshot,
    zone: &str,
    operations: &[Operation],
) -> Result<Snapshot> {
    snapshot.zone_or_unknown(zone)?;
    let mut after = snapshot.clone();
    let Some(z) = after
        .zones
        .iter_mut()
        .find(|z| z.zone.name.eq_ignore_ascii_case(zone))
    else {
        // Not reached: the zone was found in `snapshot` just above.
        return Ok(after);
    };
    for (n, op) in operations.iter().enumerate() {
        let planned = format!("planned-{}", n + 1);
        let changes = op
            .body
            .as_ref()
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        match &op.effect {
            Effect::CreateRecord => z.dns_records.push(decode(with_id(&op.body, planned))?),
            Effect::PatchRecord { record_id } | Effect::DeleteRecord { record_id } => {
                let at = z
                    .dns_records
                    .iter()
                    .position(|r| r.id.get() == Some(record_id))
                    .ok_or_else(|| bad(format!("no DNS record {record_id:?} in {zone}")))?;
                if matches!(op.effect, Effect::DeleteRecord { .. }) {
                    z.dns_records.remove(at);
                } else {
                    z.dns_records[at] = merged(&z.dns_records[at], &changes)?;
                }
            }
            Effect::CreateRule { ruleset_id } => {
                let rs = z
                    .rulesets
                    .iter_mut()
                    .find(|r| r.id.get() == Some(ruleset_id))
                    .ok_or_else(|| bad(format!("no ruleset {ruleset_id:?} in {zone}")))?;
                rs.rules.push(decode(with_id(&op.body, planned))?);
            }
            Effect::PutEntrypoint { phase } => {
                let mut rules = Vec::new();
                for (i, rule) in changes
                    .get("rules")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                {
                    let body = Some(rule);
                    rules.push(decode(with_id(&body, format!("{planned}-{i}")))?);
                }
                let phase: Phase = serde_json::from_value(Value::String(phase.clone()))
                    .map_err(|e| bad(e.to_string()))?;
                z.rulesets.retain(|r| r.phase.get() != Some(&phase));
                z.rulesets.push(Ruleset {
                    id: Field::Value(planned),
                    name: Field::Value("default".into()),
                    kind: Field::Value(RulesetKind::Zone),
                    phase: Field::Value(phase),
                    version: Field::Absent,
                    rules,
                    extra: Map::new(),
                });
            }
            Effect::PatchRule {
                ruleset_id,
                rule_id,
            }
            | Effect::DeleteRule {
                ruleset_id,
                rule_id,
            } => {
                let rs = z
                    .rulesets
                    .iter_mut()
                    .find(|r| r.id.get() == Some(ruleset_id))
                    .ok_or_else(|| bad(format!("no ruleset {ruleset_id:?} in {zone}")))?;
                let at = rs
                    .rules
                    .iter()
                    .position(|r| r.id.get() == Some(rule_id))
                    .ok_or_else(|| bad(format!("no rule {rule_id:?} in ruleset {ruleset_id}")))?;
                if matches!(op.effect, Effect::DeleteRule { .. }) {
                    rs.rules.remove(at);
                } else {
                    rs.rules[at] = merged(&rs.rules[at], &changes)?;
                }
            }
            Effect::PatchSetting { setting_id } => {
                let value = changes.get("value").cloned().unwrap_or(Value::Null);
                match z.settings.iter_mut().find(|s| s.id == *setting_id) {
                    Some(setting) => setting.value = value,
                    None => {
                        let mut body = Map::new();
                        body.insert("id".into(), Value::String(setting_id.clone()));
                        body.insert("value".into(), value);
                        z.settings.push(decode(body)?);
                    }
                }
            }
            Effect::PatchDnssec => {
                let mut dnssec = z
                    .dnssec
                    .as_ref()
                    .map(|d| serde_json::to_value(d).unwrap_or(Value::Null))
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default();
                dnssec.extend(changes);
                z.dnssec = Some(decode(dnssec)?);
            }
            Effect::PutBotManagement => z.bot_management = Some(decode(changes)?),
            Effect::PutTunnelConfig { tunnel_id } => {
                let config = changes.get("config").cloned().unwrap_or(Value::Null);
                let tunnel = after
                    .accounts
                    .iter_mut()
                    .flat_map(|a| a.tunnels.iter_mut())
                    .find(|t| t.tunnel.id == *tunnel_id)
                    .ok_or_else(|| bad(format!("no tunnel {tunnel_id:?} in the snapshot")))?;
                let mut body = Map::new();
                body.insert("tunnel_id".into(), Value::String(tunnel_id.clone()));
                body.insert("config".into(), config);
                tunnel.configuration = Some(decode(body)?);
            }
            Effect::RotateTunnelSecret { tunnel_id } => {
                if !after
                    .accounts
                    .iter()
                    .flat_map(|a| &a.tunnels)
                    .any(|t| t.tunnel.id == *tunnel_id)
                {
                    return Err(bad(format!("no tunnel {tunnel_id:?} in the snapshot")));
                }
            }
        }
    }
    Ok(after)
}
