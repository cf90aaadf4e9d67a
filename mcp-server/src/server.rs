//! The MCP face of the gate: `tools/list` and `tools/call` over rmcp.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Value};

use crate::gate::{Gate, Reply};

/// The server: the gate and the listed tools.
#[derive(Clone)]
pub struct CfcpServer {
    gate: Arc<Gate>,
    live: bool,
}

impl CfcpServer {
    /// A server answering through `gate`.
    pub fn new(gate: Arc<Gate>, live: bool) -> CfcpServer {
        CfcpServer { gate, live }
    }

    /// The tools it lists.
    pub fn tools(&self) -> Vec<rmcp::model::Tool> {
        let tools = crate::catalog::tools(&self.gate.groups, self.live);
        if self.live {
            crate::backend::with_confirm(tools)
        } else {
            tools
        }
    }
}

impl CfcpServer {
    /// One call through the gate, off the async runtime (the gate blocks on files and HTTP).
    async fn run(&self, name: &str, arguments: Value) -> Result<Reply, ErrorData> {
        let gate = Arc::clone(&self.gate);
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || gate.call(&name, arguments))
            .await
            .map_err(|e| ErrorData::internal_error(format!("tool call failed: {e}"), None))?
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }
}

impl ServerHandler for CfcpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("cfcp-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "cfcp: Cloudflare DNS, WAF, tunnels and security analysis. Every call is classified by Layer0 and logged to a tamper-evident audit trail before it runs; blocked or approval-needing calls come back as tool errors that say why. Lists are paged (cursor/limit).",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request
            .arguments
            .map(Value::Object)
            .unwrap_or_else(|| Value::Object(Default::default()));
        let name = request.name.to_string();
        let mut reply = self.run(&name, arguments.clone()).await?;
        // A confirmed plan that waits for a human: ask them through the client, if it can.
        let waiting = match arguments.get("confirm").and_then(Value::as_str) {
            Some(id) if reply.is_error => self.gate.awaiting_approval(id),
            _ => None,
        };
        if let Some(plan) = waiting {
            match crate::elicit::ask(&context.peer, &plan, crate::elicit::ANSWER_TIMEOUT).await {
                crate::elicit::Answer::CannotAsk => {}
                crate::elicit::Answer::Approved { approver } => {
                    match self.gate.record_approval(&plan, &approver) {
                        Ok(()) => reply = self.run(&name, arguments).await?,
                        Err(e) => {
                            reply = Reply::error(
                                format!("plan {} was approved but the approval could not be recorded, nothing ran: {e}", plan.id),
                                json!({"plan_id": plan.id}),
                            )
                        }
                    }
                }
                crate::elicit::Answer::NotApproved(answer) => {
                    self.gate
                        .record_not_approved(&plan, &answer)
                        .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
                    reply = Reply::error(
                        format!("the user did not approve plan {} when asked ({answer}); it still waits: a human may approve it later with `cfcp approve {}`, then confirm again", plan.id, plan.id),
                        json!({"plan_id": plan.id, "answer": answer}),
                    );
                }
            }
        }
        let result = if reply.is_error {
            let text = reply.content["error"]
                .as_str()
                .unwrap_or("tool error")
                .to_owned();
            let mut r = CallToolResult::structured_error(reply.content);
            r.content = vec![ContentBlock::text(text)];
            r
        } else {
            CallToolResult::structured(reply.content)
        };
        Ok(result.into())
    }
}
