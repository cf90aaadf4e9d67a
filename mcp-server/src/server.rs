//! The MCP face of the gate: `tools/list` and `tools/call` over rmcp.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use crate::gate::Gate;

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
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request
            .arguments
            .map(Value::Object)
            .unwrap_or_else(|| Value::Object(Default::default()));
        let gate = Arc::clone(&self.gate);
        let name = request.name.to_string();
        let reply = tokio::task::spawn_blocking(move || gate.call(&name, arguments))
            .await
            .map_err(|e| ErrorData::internal_error(format!("tool call failed: {e}"), None))?
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
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
