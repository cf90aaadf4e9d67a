//! Plans: what a mutating tool call would do, computed before anything is done.
//!
//! A [`Plan`] is the exact list of API [`Operation`]s (method, path, body) a call to
//! `dns_record_manage` (create/update/delete) or `waf_rule_configure`
//! (create/update/enable/disable/delete) makes, with Layer0's route and flags, the invariants
//! the change would newly fail, and the fingerprint of the zone it was made against. Front ends
//! show the plan, store it, and execute it only when confirmed (`cfcp::api::execute_plan`);
//! a zone whose fingerprint changed since invalidates the plan.
//!
//! | module | what |
//! |---|---|
//! | [`build`] | a tool call + the zone's snapshot → operations (validates ids and expressions) |
//! | [`apply`] | [`apply_to_snapshot`]: the snapshot as it would be after the plan (pure) |
//! | [`diff`] | the zone's fingerprint and the invariants newly failing |
//!
//! Pure: `now`, the route and any nonce come from the caller.

pub mod apply;
mod approval;
pub mod build;
pub mod diff;

#[cfg(test)]
mod tests;

pub use approval::{approval_record, describe};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::layer0::Verdict;
use crate::snapshot::{Snapshot, Timestamp};

pub use apply::apply_to_snapshot;
pub use diff::{fingerprint, newly_failing, NewFailure};

/// How long a plan stays valid when the caller does not say.
pub const DEFAULT_TTL: time::Duration = time::Duration::minutes(15);

/// The tools (and actions) that make plans.
///
/// ```
/// assert!(cfcp::plan::is_mutation("dns_record_manage", "create"));
/// assert!(!cfcp::plan::is_mutation("dns_record_manage", "list"));
/// assert!(cfcp::plan::is_mutation("waf_rule_configure", "disable"));
/// ```
pub fn is_mutation(tool: &str, action: &str) -> bool {
    match tool {
        "dns_record_manage" => matches!(action, "create" | "update" | "delete"),
        "waf_rule_configure" => {
            matches!(
                action,
                "create" | "update" | "enable" | "disable" | "delete"
            )
        }
        _ => false,
    }
}

/// What a typed operation does to the zone, so [`apply_to_snapshot`] can replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// A new DNS record (the body).
    CreateRecord,
    /// Members of record `record_id` changed (the body).
    PatchRecord {
        /// The record.
        record_id: String,
    },
    /// Record `record_id` removed.
    DeleteRecord {
        /// The record.
        record_id: String,
    },
    /// A rule (the body) appended to ruleset `ruleset_id`.
    CreateRule {
        /// The phase entrypoint ruleset.
        ruleset_id: String,
    },
    /// The phase's entrypoint ruleset created with the body's rules (the zone had none).
    PutEntrypoint {
        /// The phase (`http_request_firewall_custom`).
        phase: String,
    },
    /// Members of rule `rule_id` changed (the body).
    PatchRule {
        /// Its ruleset.
        ruleset_id: String,
        /// The rule.
        rule_id: String,
    },
    /// Rule `rule_id` removed.
    DeleteRule {
        /// Its ruleset.
        ruleset_id: String,
        /// The rule.
        rule_id: String,
    },
    /// Zone setting `setting_id` set to the body's `value` (drift reverts).
    PatchSetting {
        /// The setting (`ssl`, `min_tls_version`, ...).
        setting_id: String,
    },
    /// The zone's DNSSEC status set to the body's `status` (drift reverts).
    PatchDnssec,
    /// The zone's bot management replaced by the body (drift reverts).
    PutBotManagement,
    /// Tunnel `tunnel_id`'s configuration replaced by the body's `config` (drift reverts).
    PutTunnelConfig {
        /// The tunnel.
        tunnel_id: String,
    },
    /// Tunnel `tunnel_id`'s secret replaced (`cfcp tunnel rotate`; the snapshot holds no secret).
    RotateTunnelSecret {
        /// The tunnel.
        tunnel_id: String,
    },
}

/// One API request of a plan, exactly as it will be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// `POST`, `PATCH`, `PUT`, `DELETE`.
    pub method: String,
    /// The path below the API base URL (`/zones/{id}/dns_records`).
    pub path: String,
    /// The JSON body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// What it does, for [`apply_to_snapshot`].
    pub effect: Effect,
    /// One line for humans (`create A www.example.com → 192.0.2.1`).
    pub summary: String,
}

/// Layer0's decision about the call, as the plan records it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    /// `allow`, `approve` or `block`.
    pub route: String,
    /// The classifier's flags (`security_downgrade`, ...).
    pub flags: Vec<String>,
    /// The policy's reasons.
    pub reasons: Vec<String>,
}

impl Routing {
    /// The routing a Layer0 verdict describes.
    pub fn from_verdict(verdict: &Verdict) -> Routing {
        Routing {
            route: verdict.route().as_str().to_owned(),
            flags: verdict
                .classification
                .flags
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect(),
            reasons: verdict.decision.reasons.clone(),
        }
    }
}

/// A mutation, planned: everything needed to show it, approve it and execute it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// `plan-` and 16 hex digits: a hash of the call, the zone's fingerprint, the time and the
    /// caller's nonce.
    pub id: String,
    /// The tool called.
    pub tool: String,
    /// Its arguments (without `confirm`).
    pub arguments: Value,
    /// The zone's name.
    pub zone: String,
    /// The zone's id.
    pub zone_id: String,
    /// The API requests, in order.
    pub operations: Vec<Operation>,
    /// Layer0's route and flags.
    pub routing: Routing,
    /// Invariants that pass (or are not failing) now and would fail after the change.
    pub invariants_newly_failing: Vec<NewFailure>,
    /// [`fingerprint`] of the zone the plan was made against.
    pub snapshot_fingerprint: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops being executable.
    pub expires_at: Timestamp,
}

/// What [`Plan::new`] needs besides the snapshot.
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    /// The tool.
    pub tool: &'a str,
    /// Its arguments (a `confirm` member is ignored).
    pub arguments: &'a Value,
    /// Layer0's decision on the call.
    pub routing: Routing,
    /// "Now".
    pub now: time::OffsetDateTime,
    /// How long the plan stays valid.
    pub ttl: time::Duration,
    /// Makes the id unique when the same call is planned twice in the same second (optional).
    pub nonce: Option<&'a str>,
}

impl Plan {
    /// Plans `request` against `snapshot`: the operations, the invariants the change would
    /// newly fail and the zone's fingerprint. Errors are the agent's to read (unknown zone,
    /// record or rule, an invalid expression with its offset).
    ///
    /// ```
    /// use cfcp::plan::{Plan, PlanRequest, Routing, DEFAULT_TTL};
    /// let snapshot = cfcp::snapshot::demo();
    /// let zone = snapshot.zones[0].zone.name.clone();
    /// let arguments = serde_json::json!({"action": "create", "zone": zone,
    ///     "record": {"type": "A", "name": "new", "content": "192.0.2.7", "proxied": true}});
    /// let plan = Plan::new(&snapshot, PlanRequest { tool: "dns_record_manage", arguments: &arguments,
    ///     routing: Routing::default(), now: snapshot.taken_at.to_datetime(), ttl: DEFAULT_TTL, nonce: None }).unwrap();
    /// assert_eq!(plan.operations[0].method, "POST");
    /// assert!(plan.id.starts_with("plan-"));
    /// ```
    pub fn new(snapshot: &Snapshot, request: PlanRequest<'_>) -> Result<Plan> {
        let mut arguments = request.arguments.clone();
        if let Value::Object(map) = &mut arguments {
            map.remove("confirm");
        }
        let zone_name = arguments["zone"].as_str().unwrap_or_default();
        let zone = snapshot.zone_or_unknown(zone_name)?;
        let operations = build::operations(zone, request.tool, &arguments)?;
        let snapshot_fingerprint = fingerprint(zone);
        let zone_only = diff::zone_only(snapshot, &zone.zone.name);
        let after = apply_to_snapshot(&zone_only, &zone.zone.name, &operations)?;
        let invariants_newly_failing = newly_failing(&zone_only, &after, &zone.zone.name);
        let created_at = Timestamp::from_datetime(request.now);
        let expires_at = Timestamp::from_datetime(request.now + request.ttl);
        let mut hasher = Sha256::new();
        for part in [
            request.tool,
            &crate::audit::canonical_json(&arguments),
            &snapshot_fingerprint,
            created_at.as_str(),
            request.nonce.unwrap_or_default(),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let id = format!("plan-{}", &hex::encode(hasher.finalize())[..16]);
        Ok(Plan {
            id,
            tool: request.tool.to_owned(),
            zone: zone.zone.name.clone(),
            zone_id: zone.zone.id.clone(),
            arguments,
            operations,
            routing: request.routing,
            invariants_newly_failing,
            snapshot_fingerprint,
            created_at,
            expires_at,
        })
    }

    /// Whether the plan can no longer be executed at `now`.
    pub fn is_expired(&self, now: time::OffsetDateTime) -> bool {
        now >= self.expires_at.to_datetime()
    }

    /// Whether `id` has the shape of a plan id (`plan-` + 16 lowercase hex): front ends check it
    /// before using an id in a file name.
    ///
    /// ```
    /// assert!(cfcp::plan::Plan::is_valid_id("plan-0123456789abcdef"));
    /// assert!(!cfcp::plan::Plan::is_valid_id("plan-../../etc/passwd"));
    /// ```
    pub fn is_valid_id(id: &str) -> bool {
        id.strip_prefix("plan-").is_some_and(|h| {
            h.len() == 16
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }
}

/// A human's approval of a plan, recorded by `cfcp approve` in the plan directory (as
/// [`approval_file_name`]) and in its audit trail. The server executes an approve-route plan
/// only when this file exists for it: approval never comes from the agent's own arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The plan approved.
    pub plan_id: String,
    /// The plan's zone fingerprint as the approver saw it (a changed plan is not approved).
    pub snapshot_fingerprint: String,
    /// Who approved (the OS user running `cfcp approve`).
    pub approver: String,
    /// When.
    pub approved_at: Timestamp,
    /// The audit log the approval was recorded in, and its record's `seq`.
    pub audit_log: String,
    /// The approval record's `seq` in that log.
    pub audit_seq: u64,
}

/// The file a plan is stored in, inside the plan directory.
///
/// ```
/// assert_eq!(cfcp::plan::plan_file_name("plan-0123456789abcdef"), "plan-0123456789abcdef.json");
/// ```
pub fn plan_file_name(id: &str) -> String {
    format!("{id}.json")
}

/// The file a plan's approval is stored in, inside the plan directory.
///
/// ```
/// assert_eq!(cfcp::plan::approval_file_name("plan-0123456789abcdef"), "plan-0123456789abcdef.approval.json");
/// ```
pub fn approval_file_name(id: &str) -> String {
    format!("{id}.approval.json")
}
