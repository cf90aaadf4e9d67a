//! The tools as MCP lists them: names from `cfcp::layer0::tools`, JSON Schemas of their inputs,
//! annotations and descriptions. Layer0's argument checker and these schemas describe the same
//! shapes; a test keeps the required members in step.

use std::sync::Arc;

use cfcp::layer0::tools::{ToolGroup, TOOLS};
use rmcp::model::{Tool, ToolAnnotations};
use serde_json::{json, Map, Value};

/// A tool group's name on the command line (`--tools`).
pub fn group_name(group: ToolGroup) -> &'static str {
    match group {
        ToolGroup::CloudflareSafe => "cloudflare_safe",
        ToolGroup::WafIntelligence => "waf_intelligence",
        ToolGroup::OracleAnswer => "oracle_answer",
    }
}

/// The group called `name`.
pub fn group(name: &str) -> Option<ToolGroup> {
    [
        ToolGroup::CloudflareSafe,
        ToolGroup::WafIntelligence,
        ToolGroup::OracleAnswer,
    ]
    .into_iter()
    .find(|g| group_name(*g) == name)
}

fn page_props() -> Value {
    json!({
        "cursor": {"type": "string", "description": "next_cursor of the previous page; omit for the first page"},
        "limit": {"type": "integer", "minimum": 1, "maximum": cfcp::tools::page::MAX_LIMIT, "default": cfcp::tools::page::DEFAULT_LIMIT}
    })
}

fn object(properties: Value, required: &[&str]) -> Value {
    let mut props = properties;
    if let (Value::Object(p), Value::Object(page)) = (&mut props, page_props()) {
        p.extend(page);
    }
    json!({"type": "object", "properties": props, "required": required})
}

/// The input schema of a tool.
pub fn input_schema(name: &str) -> Value {
    let zone = json!({"type": "string", "description": "zone name, e.g. example.com"});
    let dry_run = json!({"type": "boolean", "description": "plan only, change nothing"});
    match name {
        "dns_record_manage" => object(
            json!({
                "action": {"type": "string", "enum": ["list", "get", "create", "update", "delete"]},
                "zone": zone, "dry_run": dry_run,
                "record": {"type": "object", "description": "filter for list; which record for get/update/delete; the record for create", "properties": {
                    "id": {"type": "string"}, "type": {"type": "string", "description": "A, AAAA, CNAME, TXT, MX, ..."},
                    "name": {"type": "string"}, "content": {"type": "string"}, "ttl": {"type": "integer"},
                    "priority": {"type": "integer"}, "proxied": {"type": "boolean"}, "comment": {"type": "string"}}}
            }),
            &["action", "zone"],
        ),
        "waf_rule_configure" => object(
            json!({
                "action": {"type": "string", "enum": ["list", "validate", "simulate", "create", "update", "enable", "disable", "delete"]},
                "zone": zone, "dry_run": dry_run,
                "rule": {"type": "object", "properties": {
                    "id": {"type": "string"}, "expression": {"type": "string", "maxLength": cfcp::layer0::tools::MAX_EXPRESSION_LEN},
                    "action": {"type": "string", "description": "block, managed_challenge, skip, log, ..."},
                    "description": {"type": "string"}, "enabled": {"type": "boolean"}}},
                "request": {"type": "object", "description": "simulate: the HTTP request {method, host, path, client_ip, headers, ...}"}
            }),
            &["action", "zone"],
        ),
        "tunnel_health_check" => object(
            json!({"account_id": {"type": "string"}, "tunnel_id": {"type": "string", "description": "only this tunnel"}}),
            &["account_id"],
        ),
        "zone_analytics_query" => object(
            json!({"zone": zone, "since": {"type": "string", "format": "date-time"}, "until": {"type": "string", "format": "date-time"},
                   "metrics": {"type": "array", "items": {"type": "string"}}}),
            &["zone"],
        ),
        "waf_config_analyze" | "rule_gap_identify" => object(json!({"zone": zone}), &["zone"]),
        "compliance_map_generate" => object(
            json!({"zone": zone, "framework": {"type": "string", "enum": cfcp::compliance::framework_names(),
                   "default": cfcp::tools::offline::DEFAULT_FRAMEWORK}}),
            &["zone"],
        ),
        "threat_intel_integrate" => object(
            json!({"zone": zone, "mode": {"type": "string", "enum": ["propose", "apply"], "default": "propose"},
                   "indicators": {"type": "array", "items": {"type": "string"}, "description": "IPs, CIDRs"},
                   "feed": {"type": "object", "properties": {"format": {"type": "string"}, "content": {"type": "string"}}, "required": ["content"]},
                   "dry_run": dry_run}),
            &["zone"],
        ),
        "security_classify" => object(
            json!({"request": {"type": ["object", "string"], "description": "a tool call {kind, tool, arguments} or the text of a request"}}),
            &["request"],
        ),
        "routing_decide" => object(
            json!({"classification": {"type": "object", "description": "as security_classify returns it"},
                   "context": {"type": "object", "description": "narrow the server's context (zones_allowed, scopes)"}}),
            &["classification"],
        ),
        "threat_assess" => object(
            json!({"indicator": {"type": "string", "description": "IP, CIDR, ASN (AS14061), country, domain, URL or request sample"},
                   "zone": zone}),
            &["indicator"],
        ),
        "decision_support" => object(
            json!({"question": {"type": "string"}, "zone": zone}),
            &["question"],
        ),
        _ => json!({"type": "object"}),
    }
}

fn description(name: &str) -> &'static str {
    match name {
        "dns_record_manage" => "List or get a zone's DNS records (paged: pass next_cursor as cursor; filter with record.type/name/id). create/update/delete are planned and routed by Layer0; a mass or wildcard delete is blocked. TXT values and comments that carry injected instructions come back quarantined.",
        "waf_rule_configure" => "List a zone's WAF/custom rules (paged), validate a Rules-language expression, or simulate a rule against an HTTP request and the zone's rules. create/update/enable/disable/delete change rules and go through Layer0 (disabling protection needs approval).",
        "tunnel_health_check" => "Cloudflare Tunnels of an account: status, connectors and connections, ingress hostnames, and whether each hostname's DNS record routes to the tunnel.",
        "zone_analytics_query" => "Summarised zone analytics over a range: requests, threats, top countries/IPs/paths, status codes, WAF rule hits. Needs the live backend.",
        "waf_config_analyze" => "Analyse a zone's WAF configuration: lint every rule, review managed rules and rate limits, a score with findings and fixes.",
        "threat_intel_integrate" => "Turn threat-intel indicators (or a feed) into a Cloudflare IP list and a blocking rule: mode=propose returns the API requests and Terraform; mode=apply needs approval and the live backend.",
        "compliance_map_generate" => "Map a zone's checks to a compliance framework's controls (PCI DSS 4.0.1, ASVS, NIST 800-53): pass/fail per control with the evidence.",
        "rule_gap_identify" => "Which threat classes a zone's rules cover (SQLi, XSS, credential stuffing, bots, ...) and a proposed rule for every gap.",
        "security_classify" => "Classify a request with Layer0: intent, flags with evidence, risk 0-100, and the route (allow/approve/block) the policy gives it.",
        "routing_decide" => "Route a Layer0 classification through the active policy: allow, approve or block, with the deciding policies and reasons.",
        "threat_assess" => "Assess one indicator (IP, network, ASN, country, domain, URL, request sample): intel matches, lists and rules naming it, what each zone does with it, a threat level and a recommendation.",
        "decision_support" => "A recommendation for a security question (\"which zone should I fix first?\", \"should I turn on Under Attack mode?\"): options with evidence and risk, and what is unknown.",
        _ => "",
    }
}

/// (readOnly, destructive, idempotent): what the tool can do, whatever the backend.
fn effects(name: &str) -> (bool, bool, bool) {
    match name {
        "dns_record_manage" | "waf_rule_configure" => (false, true, false),
        // Apply adds a list and a rule; it removes nothing.
        "threat_intel_integrate" => (false, false, false),
        _ => (true, false, true),
    }
}

/// The MCP description of `name`; `live` when the backend is a live account (the open world).
pub fn tool(name: &'static str, live: bool) -> Tool {
    let schema = match input_schema(name) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let (read_only, destructive, idempotent) = effects(name);
    let snapshot_only = !matches!(
        name,
        "dns_record_manage"
            | "waf_rule_configure"
            | "tunnel_health_check"
            | "zone_analytics_query"
            | "threat_intel_integrate"
    );
    let annotations = ToolAnnotations::new()
        .read_only(read_only)
        .destructive(destructive)
        .idempotent(idempotent)
        .open_world(live && !snapshot_only);
    Tool::new(name, description(name), Arc::new(schema)).annotate(annotations)
}

/// The tools of the selected groups, in cfcp's order.
pub fn tools(groups: &[cfcp::layer0::tools::ToolGroup], live: bool) -> Vec<Tool> {
    TOOLS
        .iter()
        .filter(|t| groups.contains(&t.group))
        .map(|t| tool(t.name, live))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cfcp::layer0::tools::{check_arguments, tool as layer0_tool};

    #[test]
    fn every_tool_has_a_description_and_an_object_schema() {
        for t in TOOLS {
            assert!(!description(t.name).is_empty(), "{}", t.name);
            assert_eq!(input_schema(t.name)["type"], "object", "{}", t.name);
        }
    }

    /// A call with only the schema's required members is one Layer0's checker does not call
    /// missing anything top-level: the two descriptions agree on what is required.
    #[test]
    fn schema_required_members_match_layer0() {
        for t in TOOLS {
            let schema = input_schema(t.name);
            let mut args = Map::new();
            for name in schema["required"].as_array().unwrap() {
                let name = name.as_str().unwrap();
                let ty = &schema["properties"][name]["type"];
                let value = match ty.as_str() {
                    Some("object") => json!({}),
                    _ if name == "action" => schema["properties"]["action"]["enum"][0].clone(),
                    _ => json!("x"),
                };
                args.insert(name.to_owned(), value);
            }
            let problems = check_arguments(layer0_tool(t.name).unwrap(), &Value::Object(args));
            let missing: Vec<_> = problems
                .iter()
                .filter(|p| {
                    p.message.starts_with("missing") && p.location.matches('.').count() == 1
                })
                .collect();
            assert!(missing.is_empty(), "{}: {missing:?}", t.name);
        }
    }

    #[test]
    fn only_tools_that_change_things_are_not_read_only() {
        let writers: Vec<_> = TOOLS
            .iter()
            .filter(|t| !effects(t.name).0)
            .map(|t| t.name)
            .collect();
        assert_eq!(
            writers,
            [
                "dns_record_manage",
                "waf_rule_configure",
                "threat_intel_integrate"
            ]
        );
    }
}
