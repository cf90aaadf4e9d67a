//! Whether a plan may run: the route decides, and an `approve` route needs a human's approval
//! recorded out of band (`cfcp approve PLAN_ID`) or given in the client's own prompt (MCP
//! elicitation, [`crate::elicit`]). Nothing the agent sends can approve: the only input is the
//! approval file in the plan directory, bound to the plan's zone fingerprint.

use cfcp::plan::{Approval, Plan};

use crate::plans::PlanStore;

/// What stands between a plan and its execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clearance {
    /// The route is `allow`: nobody has to approve.
    NotNeeded,
    /// A human approved this plan (as it is).
    Approved(Approval),
    /// The route is `approve` and no approval is recorded yet.
    Waiting,
    /// The route never runs (`block`, or unknown).
    Never(String),
}

/// The clearance of `plan` given what `store` holds.
pub fn clearance(store: &PlanStore, plan: &Plan) -> Result<Clearance, String> {
    match plan.routing.route.as_str() {
        "allow" => Ok(Clearance::NotNeeded),
        "approve" => Ok(match store.approval(&plan.id)? {
            Some(a)
                if a.plan_id == plan.id && a.snapshot_fingerprint == plan.snapshot_fingerprint =>
            {
                Clearance::Approved(a)
            }
            _ => Clearance::Waiting,
        }),
        other => Ok(Clearance::Never(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_matching_approval_file_clears_an_approve_route() {
        let dir = tempfile::tempdir().unwrap();
        let store = PlanStore::open(dir.path()).unwrap();
        let snapshot = cfcp::snapshot::demo();
        let arguments = serde_json::json!({"action": "create", "zone": snapshot.zones[0].zone.name,
            "record": {"type": "TXT", "name": "t", "content": "x"}});
        let mut plan = Plan::new(
            &snapshot,
            cfcp::plan::PlanRequest {
                tool: "dns_record_manage",
                arguments: &arguments,
                routing: cfcp::plan::Routing {
                    route: "approve".into(),
                    ..Default::default()
                },
                now: snapshot.taken_at.to_datetime(),
                ttl: cfcp::plan::DEFAULT_TTL,
                nonce: None,
            },
        )
        .unwrap();
        assert_eq!(clearance(&store, &plan).unwrap(), Clearance::Waiting);
        let mut approval = Approval {
            plan_id: plan.id.clone(),
            snapshot_fingerprint: "other".into(),
            approver: "alice".into(),
            approved_at: snapshot.taken_at.clone(),
            audit_log: "a.jsonl".into(),
            audit_seq: 1,
        };
        let path = dir.path().join(cfcp::plan::approval_file_name(&plan.id));
        std::fs::write(&path, serde_json::to_vec(&approval).unwrap()).unwrap();
        assert_eq!(clearance(&store, &plan).unwrap(), Clearance::Waiting);
        approval.snapshot_fingerprint = plan.snapshot_fingerprint.clone();
        std::fs::write(&path, serde_json::to_vec(&approval).unwrap()).unwrap();
        assert_eq!(
            clearance(&store, &plan).unwrap(),
            Clearance::Approved(approval)
        );
        plan.routing.route = "allow".into();
        assert_eq!(clearance(&store, &plan).unwrap(), Clearance::NotNeeded);
        plan.routing.route = "block".into();
        assert!(matches!(
            clearance(&store, &plan).unwrap(),
            Clearance::Never(_)
        ));
    }
}
