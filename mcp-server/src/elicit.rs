//! Asking the human through the client (MCP elicitation) to approve a plan whose route is
//! `approve`. The question goes to the client's user interface, not to the agent; a client that
//! cannot ask leaves the plan waiting for `cfcp approve`, as before. Either way the approval is
//! recorded in the audit trail before the plan runs, and only a human's explicit "approve" counts.

use std::time::Duration;

use cfcp::plan::Plan;
use rmcp::model::{ElicitRequestParams, ElicitationAction, ElicitationSchema};
use rmcp::service::ElicitationMode;
use rmcp::{Peer, RoleServer};
use serde_json::Value;

/// How long the human has to answer before the plan goes back to waiting for `cfcp approve`.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);

/// What the human answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The client cannot ask (no form elicitation capability).
    CannotAsk,
    /// The human approved the plan as shown.
    Approved {
        /// Who approved, as the audit trail records it.
        approver: String,
    },
    /// Anything else: declined, cancelled, no answer, or a form sent back without `approve`.
    NotApproved(String),
}

/// Asks the human behind `peer` whether `plan` may run, showing what it does.
pub async fn ask(peer: &Peer<RoleServer>, plan: &Plan, timeout: Duration) -> Answer {
    if !peer
        .supported_elicitation_modes()
        .contains(&ElicitationMode::Form)
    {
        return Answer::CannotAsk;
    }
    let schema = match ElicitationSchema::builder()
        .required_bool_with("approve", |b| {
            b.title("Approve this plan")
                .description("Run the operations shown, now")
                .with_default(false)
        })
        .build()
    {
        Ok(schema) => schema,
        Err(e) => return Answer::NotApproved(format!("the approval form could not be built: {e}")),
    };
    let message = format!(
        "An agent asks cfcp-mcp to run this plan. Layer0 routes it to a human for approval.\n\n{}",
        cfcp::plan::describe(plan)
    );
    let request = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: schema,
    };
    match peer
        .create_elicitation_with_timeout(request, Some(timeout))
        .await
    {
        Ok(result) => match result.action {
            ElicitationAction::Accept => {
                let approved = result
                    .content
                    .as_ref()
                    .and_then(|c| c.get("approve"))
                    .and_then(Value::as_bool)
                    == Some(true);
                if approved {
                    Answer::Approved {
                        approver: approver(peer),
                    }
                } else {
                    Answer::NotApproved("the form came back without approve: true".into())
                }
            }
            ElicitationAction::Decline => Answer::NotApproved("declined".into()),
            ElicitationAction::Cancel => Answer::NotApproved("cancelled".into()),
            other => Answer::NotApproved(format!("answered {other:?}")),
        },
        Err(e) => Answer::NotApproved(format!("no answer ({e})")),
    }
}

/// The approver as recorded: the client that asked its user.
fn approver(peer: &Peer<RoleServer>) -> String {
    let client = peer
        .peer_info()
        .map(|info| info.client_info.name.clone())
        .unwrap_or_else(|| "unknown client".into());
    format!("user of {client} (MCP elicitation)")
}
