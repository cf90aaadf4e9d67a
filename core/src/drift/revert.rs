//! [`revert`]: the API operations that put the desired state back, in a safe order, with the
//! delete threshold checked before anything could run.
//!
//! Order: creates first (a record replaced outside Terraform is recreated before the stray one is
//! deleted, so the name never resolves to nothing), then settings, DNSSEC, bot management and
//! whole rulesets (a ruleset is written in one `PUT` of its entrypoint, so rules land in
//! position), then record patches, then deletes. Each step keeps its drift item's import id, so a
//! partial apply can say exactly which resources are back.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Change, Drift, DriftItem, ResourceKind, RiskLevel};
use crate::layer0::{
    Classification, Context, Evidence, Flag, Intent, Layer0, Request, RequestKind,
};
use crate::plan::{Effect, Operation, Routing};

/// Limits on what a revert may delete (like octorules' delete threshold).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RevertOptions {
    /// Refuse when more than this many resources would be deleted.
    pub max_delete: usize,
    /// Refuse when more than this percentage of the compared resources would be deleted.
    pub max_delete_percent: f64,
}

impl Default for RevertOptions {
    fn default() -> Self {
        RevertOptions {
            max_delete: 10,
            max_delete_percent: 25.0,
        }
    }
}

/// One operation of a revert, with the drift item it undoes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevertStep {
    /// The drift item's import id.
    pub import_id: String,
    /// Its kind.
    pub kind: ResourceKind,
    /// The zone's name, for zone resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The API request.
    pub operation: Operation,
    /// How many live resources it deletes (a `DELETE`, or rules a ruleset `PUT` drops).
    pub deletes: usize,
    /// The risk of the operation itself (restoring a weaker desired state is a downgrade too).
    pub flags: Vec<String>,
    /// Layer0's route for it ([`route`] fills it; empty until then).
    #[serde(default)]
    pub routing: Routing,
}

/// A drift item cfcp does not revert by itself, and what to do instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unrevertable {
    /// The drift item's import id.
    pub import_id: String,
    /// Its kind.
    pub kind: ResourceKind,
    /// Why, and what to do.
    pub reason: String,
}

/// The operations that revert a drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevertPlan {
    /// The steps, in the order they must run.
    pub steps: Vec<RevertStep>,
    /// Items left for a human (or `terraform apply`).
    pub unrevertable: Vec<Unrevertable>,
    /// Resources the steps delete.
    pub deletes: usize,
    /// Resources the drift compared (the base of the percentage threshold).
    pub compared: usize,
    /// Why the plan must not run (a threshold), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// The operations that make live what `drift`'s desired side says, checked against `options`.
///
/// ```
/// use cfcp::drift::{diff, revert, RevertOptions};
/// let desired = cfcp::snapshot::demo();
/// let mut live = desired.clone();
/// live.zones[0].dns_records[0].ttl = cfcp::snapshot::Field::Value(120);
/// live.zones[0].dns_records[0].proxied = cfcp::snapshot::Field::Value(false);
/// let plan = revert(&diff(&desired, &live), &RevertOptions::default());
/// assert_eq!(plan.steps.len(), 1);
/// assert_eq!(plan.steps[0].operation.method, "PATCH");
/// assert!(plan.refused.is_none());
/// ```
pub fn revert(drift: &Drift, options: &RevertOptions) -> RevertPlan {
    let mut steps = Vec::new();
    let mut unrevertable = Vec::new();
    for item in &drift.items {
        match step(item) {
            Ok(Some(s)) => steps.push(s),
            Ok(None) => {}
            Err(reason) => unrevertable.push(Unrevertable {
                import_id: item.import_id.clone(),
                kind: item.kind,
                reason,
            }),
        }
    }
    steps.sort_by_key(|s| stage(&s.operation));
    let deletes: usize = steps.iter().map(|s| s.deletes).sum();
    let compared = drift.compared.resources.max(1);
    let percent = deletes as f64 * 100.0 / compared as f64;
    let refused = if deletes > options.max_delete {
        Some(format!(
            "the revert would delete {deletes} resources, more than the limit of {} (raise it with --max-delete if that is intended)",
            options.max_delete
        ))
    } else if deletes > 0 && percent > options.max_delete_percent {
        Some(format!(
            "the revert would delete {deletes} of {compared} resources ({percent:.1}%), more than the limit of {}%",
            options.max_delete_percent
        ))
    } else {
        None
    };
    RevertPlan {
        steps,
        unrevertable,
        deletes,
        compared: drift.compared.resources,
        refused,
    }
}

/// Creates, then zone-wide restores, then patches, then deletes.
fn stage(op: &Operation) -> u8 {
    match (&op.effect, op.method.as_str()) {
        (Effect::CreateRecord, _) => 0,
        (_, "PUT") => 1,
        (Effect::PatchSetting { .. } | Effect::PatchDnssec, _) => 1,
        (_, "DELETE") => 3,
        _ => 2,
    }
}

fn body_of(desired: &Value) -> Value {
    match desired {
        Value::Object(map) => Value::Object(crate::snapshot::configured_members(map)),
        other => other.clone(),
    }
}

fn id_of(v: &Value) -> Option<&str> {
    v.get("id").and_then(Value::as_str)
}

fn step(item: &DriftItem) -> Result<Option<RevertStep>, String> {
    let zone_id = item.zone_id.as_deref().unwrap_or_default();
    let mut flags = Vec::new();
    let mut deletes = 0;
    let operation = match (item.kind, item.change) {
        (ResourceKind::DnsRecord, Change::Changed) => {
            let id = id_of(&item.live).ok_or("the live record has no id")?;
            let mut body = body_of(&item.desired);
            if let Value::Object(map) = &mut body {
                // The TTL goes with `proxied`: Cloudflare resets it when a record is proxied.
                let proxied = item.attributes.iter().any(|a| a.path == "proxied");
                map.retain(|k, _| {
                    item.attributes.iter().any(|a| a.path == *k)
                        || k == "type"
                        || k == "name"
                        || (proxied && k == "ttl")
                });
            }
            if item.attributes.iter().any(|a| a.path == "proxied" && a.desired == Value::Bool(false)) {
                flags.push("security_downgrade".to_owned());
            }
            Operation {
                method: "PATCH".into(),
                path: format!("/zones/{zone_id}/dns_records/{id}"),
                body: Some(body),
                effect: Effect::PatchRecord { record_id: id.to_owned() },
                summary: format!("restore {} ({})", item.label, paths(item)),
            }
        }
        (ResourceKind::DnsRecord, Change::Removed) => Operation {
            method: "POST".into(),
            path: format!("/zones/{zone_id}/dns_records"),
            body: Some(body_of(&item.desired)),
            effect: Effect::CreateRecord,
            summary: format!("recreate {}", item.label),
        },
        (ResourceKind::DnsRecord, Change::Added) => {
            let id = id_of(&item.live).ok_or("the live record has no id")?;
            deletes = 1;
            flags.push("destructive".to_owned());
            Operation {
                method: "DELETE".into(),
                path: format!("/zones/{zone_id}/dns_records/{id}"),
                body: None,
                effect: Effect::DeleteRecord { record_id: id.to_owned() },
                summary: format!("delete {} (made outside Terraform)", item.label),
            }
        }
        (ResourceKind::ZoneSetting, _) => {
            let value = item.desired.get("value").cloned().unwrap_or(Value::Null);
            let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
            if crate::layer0::structural::setting_downgrade(&item.label, &text).is_some() {
                flags.push("security_downgrade".to_owned());
            }
            Operation {
                method: "PATCH".into(),
                path: format!("/zones/{zone_id}/settings/{}", item.label),
                body: Some(json!({ "value": value })),
                effect: Effect::PatchSetting { setting_id: item.label.clone() },
                summary: format!("set {} to {text}", item.label),
            }
        }
        (ResourceKind::ZoneDnssec, _) => {
            let status = item.desired.get("status").and_then(Value::as_str).unwrap_or("active");
            let status = if matches!(status, "disabled" | "pending-disabled") { "disabled" } else { "active" };
            if status == "disabled" {
                flags.push("security_downgrade".to_owned());
            }
            Operation {
                method: "PATCH".into(),
                path: format!("/zones/{zone_id}/dnssec"),
                body: Some(json!({ "status": status })),
                effect: Effect::PatchDnssec,
                summary: format!("set DNSSEC {status}"),
            }
        }
        (ResourceKind::BotManagement, _) => Operation {
            method: "PUT".into(),
            path: format!("/zones/{zone_id}/bot_management"),
            body: Some(body_of(&item.desired)),
            effect: Effect::PutBotManagement,
            summary: format!("restore bot management ({})", paths(item)),
        },
        (ResourceKind::Ruleset, change) => {
            let side = if change == Change::Added { &item.live } else { &item.desired };
            let phase = side.get("phase").and_then(Value::as_str).ok_or(
                "a ruleset without a phase: revert it with terraform apply",
            )?;
            if side.get("kind").and_then(Value::as_str).is_some_and(|k| k != "zone") {
                return Err(format!(
                    "a {} ruleset is not a zone entrypoint: revert it with terraform apply",
                    side["kind"].as_str().unwrap_or_default()
                ));
            }
            let live_rules = item.live.get("rules").and_then(Value::as_array).cloned().unwrap_or_default();
            let rules: Vec<Value> = if change == Change::Added {
                Vec::new()
            } else {
                entrypoint_rules(&item.desired, &live_rules)
            };
            let kept: Vec<&str> = rules.iter().filter_map(id_of).collect();
            deletes = live_rules
                .iter()
                .filter(|r| id_of(r).is_some_and(|id| !kept.contains(&id)))
                .count();
            if item.risk.flags.iter().all(|f| f != "security_downgrade") && deletes > 0 {
                flags.push("destructive".to_owned());
            }
            Operation {
                method: "PUT".into(),
                path: format!("/zones/{zone_id}/rulesets/phases/{phase}/entrypoint"),
                body: Some(json!({ "rules": rules })),
                effect: Effect::PutEntrypoint { phase: phase.to_owned() },
                summary: format!("write the {phase} rules as desired ({})", paths(item)),
            }
        }
        (ResourceKind::TunnelConfig, _) => {
            let account = item.account_id.as_deref().unwrap_or_default();
            let tunnel = item.import_id.rsplit('/').next().unwrap_or_default();
            let config = item.desired.get("config").cloned().ok_or("the desired tunnel has no configuration")?;
            Operation {
                method: "PUT".into(),
                path: format!("/accounts/{account}/cfd_tunnel/{tunnel}/configurations"),
                body: Some(json!({ "config": config })),
                effect: Effect::PutTunnelConfig { tunnel_id: tunnel.to_owned() },
                summary: format!("restore the ingress of tunnel {}", item.label),
            }
        }
        (ResourceKind::Zone, Change::Removed) => {
            return Err("the zone is gone: re-adding a zone (and its nameserver change) is for terraform apply".into())
        }
        (ResourceKind::Zone, _) => return Err("pausing or resuming a zone is left to terraform apply".into()),
        (ResourceKind::Tunnel, _) => {
            return Err("creating or deleting a tunnel changes its credentials: use terraform apply (or `cfcp tunnel`)".into())
        }
        (ResourceKind::List, _) => {
            return Err("list items are reverted by terraform apply (cfcp does not rewrite lists yet)".into())
        }
    };
    // Mail, delegation, certificates and a tunnel's ingress decide where traffic and trust go:
    // a human looks at those, as Layer0 asks for when an agent touches them.
    let sensitive = match item.kind {
        ResourceKind::TunnelConfig => true,
        ResourceKind::DnsRecord => [&item.desired, &item.live].iter().any(|side| {
            let text = |k: &str| side.get(k).and_then(Value::as_str).unwrap_or_default();
            !side.is_null()
                && crate::layer0::structural::sensitive_record(
                    text("type"),
                    text("name"),
                    text("content"),
                    item.zone.as_deref().unwrap_or_default(),
                )
                .is_some()
        }),
        _ => false,
    };
    if sensitive {
        flags.push("sensitive_record".to_owned());
    }
    Ok(Some(RevertStep {
        import_id: item.import_id.clone(),
        kind: item.kind,
        zone: item.zone.clone(),
        operation,
        deletes,
        flags,
        routing: Routing::default(),
    }))
}

/// The desired rules as an entrypoint `PUT` body: computed members dropped, a rule's id kept when
/// the live ruleset still has that rule (so it is updated in place, not recreated).
fn entrypoint_rules(desired: &Value, live_rules: &[Value]) -> Vec<Value> {
    let live_ids: Vec<&str> = live_rules.iter().filter_map(id_of).collect();
    desired
        .get("rules")
        .and_then(Value::as_array)
        .map(|rules| {
            rules
                .iter()
                .map(|r| {
                    let mut body = body_of(r);
                    if let (Some(id), Value::Object(map)) = (id_of(r), &mut body) {
                        if live_ids.contains(&id) {
                            map.insert("id".into(), json!(id));
                        }
                    }
                    body
                })
                .collect()
        })
        .unwrap_or_default()
}

fn paths(item: &DriftItem) -> String {
    let names: Vec<&str> = item
        .attributes
        .iter()
        .map(|a| a.path.as_str())
        .take(4)
        .collect();
    let more = item.attributes.len().saturating_sub(4);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// Routes every step through Layer0 as the mutation it is: its flags (a downgrade or a delete
/// needs approval), its zone against `ctx`'s allowed zones, and the plan's size (more than
/// [`crate::layer0::structural::MASS_CHANGE_LIMIT`] deletes is a mass change and is blocked
/// unless the caller raised the threshold and approves).
///
/// ```
/// use cfcp::drift::{diff, revert, route, RevertOptions};
/// use cfcp::layer0::{Context, Layer0};
/// let desired = cfcp::snapshot::demo();
/// let mut live = desired.clone();
/// let rec = live.zones[0].dns_records.iter_mut()
///     .find(|r| r.proxied.copied() == Some(true) && r.name.starts_with("api.")).unwrap();
/// rec.proxied = cfcp::snapshot::Field::Value(false);
/// let mut plan = revert(&diff(&desired, &live), &RevertOptions::default());
/// let operator = Context { zones_allowed: vec!["*".into()], ..Context::default() };
/// route(&mut plan, &Layer0::default(), &operator);
/// assert_eq!(plan.steps[0].routing.route, "allow");
/// ```
pub fn route(plan: &mut RevertPlan, layer0: &Layer0, ctx: &Context) {
    let request = Request {
        kind: RequestKind::ToolCall,
        tool: Some("cfcp_remediate".into()),
        arguments: Value::Null,
        text: None,
    };
    let mass = plan.deletes > crate::layer0::structural::MASS_CHANGE_LIMIT;
    for step in &mut plan.steps {
        let mut c = Classification {
            intent: if step.operation.method == "DELETE" {
                Intent::Destroy
            } else {
                Intent::Mutate
            },
            tool: Some("cfcp_remediate".into()),
            action: Some(step.operation.method.to_ascii_lowercase()),
            zone: step.zone.clone(),
            ..Classification::default()
        };
        let mut flag = |flag: Flag, rule: &'static str, detail: String| {
            c.flag(Evidence {
                flag,
                rule: std::borrow::Cow::Borrowed(rule),
                location: step.import_id.clone(),
                span: None,
                detail,
            })
        };
        for f in &step.flags {
            match f.as_str() {
                "security_downgrade" => flag(
                    Flag::SecurityDowngrade,
                    "drift.revert_downgrade",
                    format!("{} restores a weaker desired state", step.operation.summary),
                ),
                "destructive" => flag(
                    Flag::Destructive,
                    "drift.revert_delete",
                    format!(
                        "{} deletes {} resource(s)",
                        step.operation.summary, step.deletes
                    ),
                ),
                "sensitive_record" => flag(
                    Flag::SensitiveRecord,
                    "drift.revert_sensitive",
                    format!(
                        "{} changes mail, delegation, certificate or tunnel routing",
                        step.operation.summary
                    ),
                ),
                _ => {}
            }
        }
        if mass && step.deletes > 0 {
            flag(
                Flag::MassChange,
                "drift.mass_delete",
                format!("the revert deletes {} resources", plan.deletes),
            );
        }
        if let Some(zone) = &step.zone {
            if !ctx.zone_allowed(zone) {
                flag(
                    Flag::ScopeViolation,
                    "drift.zone_scope",
                    format!("{zone} is outside the allowed zones"),
                );
            }
        }
        let verdict = layer0.decide_classified(c, &request, ctx);
        step.routing = Routing::from_verdict(&verdict);
    }
}

/// The highest risk among the drift items a plan's steps revert.
pub fn highest_risk(drift: &Drift) -> RiskLevel {
    drift
        .items
        .iter()
        .map(|i| i.risk.level)
        .max()
        .unwrap_or_default()
}
