//! What a human is shown before approving a plan, and what the audit trail records when they
//! do: the same for `cfcp approve` on a terminal and for `cfcp-mcp` asking through the client.

use serde_json::json;

use super::Plan;
use crate::audit::Record;

/// The plan as a human reads it: tool, zone, route and flags, the reasons, the exact API
/// operations, the invariants it would newly fail, and when it expires.
///
/// ```
/// let plan: cfcp::plan::Plan = serde_json::from_value(serde_json::json!({
///     "id": "plan-0123456789abcdef", "tool": "dns_record_manage",
///     "arguments": {"action": "delete", "zone": "example.com"}, "zone": "example.com",
///     "zone_id": "z",
///     "operations": [{"method": "DELETE", "path": "/zones/z/dns_records/r", "summary": "delete www A",
///                     "effect": {"kind": "delete_record", "record_id": "r"}}],
///     "routing": {"route": "approve", "flags": ["destructive"], "reasons": ["deletes a record"]},
///     "invariants_newly_failing": [], "snapshot_fingerprint": "f", "created_at": "2026-11-29T00:00:00Z",
///     "expires_at": "2026-11-29T01:00:00Z"
/// })).unwrap();
/// let text = cfcp::plan::describe(&plan);
/// assert!(text.contains("route: approve (flags: destructive)"));
/// assert!(text.contains("DELETE /zones/z/dns_records/r"));
/// ```
pub fn describe(plan: &Plan) -> String {
    let mut out = format!(
        "plan {}: {} {} on {}\nroute: {}{}\n",
        plan.id,
        plan.tool,
        plan.arguments["action"].as_str().unwrap_or_default(),
        plan.zone,
        plan.routing.route,
        if plan.routing.flags.is_empty() {
            String::new()
        } else {
            format!(" (flags: {})", plan.routing.flags.join(", "))
        }
    );
    for reason in &plan.routing.reasons {
        out.push_str(&format!("  reason: {reason}\n"));
    }
    out.push_str("operations:\n");
    for op in &plan.operations {
        out.push_str(&format!("  {} {}  # {}\n", op.method, op.path, op.summary));
        if let Some(body) = &op.body {
            out.push_str(&format!("    {body}\n"));
        }
    }
    if plan.invariants_newly_failing.is_empty() {
        out.push_str("invariants newly failing: none\n");
    } else {
        out.push_str("invariants newly failing:\n");
        for f in &plan.invariants_newly_failing {
            out.push_str(&format!(
                "  [{}] {} {}: {}\n",
                f.severity, f.check_id, f.resource, f.message
            ));
        }
    }
    out.push_str(&format!("expires: {}\n", plan.expires_at));
    out
}

/// The audit record of a human approving `plan` (kind `approval`): who, the plan's tool, zone,
/// route, flags, operations and zone fingerprint, so the trail alone says what was approved.
pub fn approval_record(plan: &Plan, approver: &str) -> Record {
    let fields = json!({"plan_id": plan.id, "approver": approver, "tool": plan.tool,
                        "zone": plan.zone, "route": plan.routing.route,
                        "flags": plan.routing.flags, "operations": plan.operations,
                        "snapshot_fingerprint": plan.snapshot_fingerprint});
    Record::Other {
        kind: "approval".into(),
        fields: fields.as_object().cloned().unwrap_or_default(),
    }
}
