//! The 12 tools run against a snapshot (the offline backend): every read answers from the
//! snapshot, every change and live-only query is refused with [`UNAVAILABLE_OFFLINE`].
//!
//! The caller (the MCP server, later the CLI) has already had the call routed by Layer0 and
//! logged; this module only answers it. Results are JSON with a `summary` first and lists cut
//! into pages ([`super::page`]); untrusted text is still raw here: the caller quarantines it.

use serde_json::{json, Map, Value};

use super::page::paginate;
use crate::layer0::tools::{check_arguments, tool};
use crate::layer0::{Classification, Context, Layer0, Request, RequestKind};
use crate::snapshot::Snapshot;
use crate::{compliance, intel, invariants, oracle, rules, waf};

/// The refusal of a change (or a live-only query) by the offline backend.
pub const UNAVAILABLE_OFFLINE: &str =
    "unavailable offline: start cfcp-mcp with CLOUDFLARE_API_TOKEN for live changes";

/// The compliance framework used when the call names none.
pub const DEFAULT_FRAMEWORK: &str = "pci-dss-4.0.1";

/// What the offline backend needs besides the call.
pub struct Backend<'a> {
    /// The account as the snapshot saw it (already cut to the allowed zones).
    pub snapshot: &'a Snapshot,
    /// Layer0, for `security_classify` and `routing_decide`.
    pub layer0: &'a Layer0,
    /// The server's context (zones, account, scopes).
    pub context: &'a Context,
    /// "Now", from the caller (core reads no clock).
    pub now: time::OffsetDateTime,
}

/// Runs `name` with `arguments`; `Err` is the message of a tool error the agent should read.
///
/// ```
/// use cfcp::layer0::{Context, Layer0};
/// use cfcp::tools::offline::{call, Backend, UNAVAILABLE_OFFLINE};
/// let snapshot = cfcp::snapshot::demo();
/// let zone = snapshot.zones[0].zone.name.clone();
/// let backend = Backend { snapshot: &snapshot, layer0: &Layer0::default(),
///                         context: &Context::default(), now: snapshot.taken_at.to_datetime() };
/// let list = call(&backend, "dns_record_manage", &serde_json::json!({"action": "list", "zone": zone, "limit": 1})).unwrap();
/// assert_eq!(list["summary"]["page"]["returned"], 1);
/// let create = serde_json::json!({"action": "create", "zone": zone,
///     "record": {"type": "A", "name": "x", "content": "192.0.2.1"}});
/// assert_eq!(call(&backend, "dns_record_manage", &create).unwrap_err(), UNAVAILABLE_OFFLINE);
/// ```
pub fn call(backend: &Backend<'_>, name: &str, arguments: &Value) -> Result<Value, String> {
    let Some(spec) = tool(name) else {
        return Err(format!(
            "unknown tool {name:?}: call tools/list for the tools this server offers"
        ));
    };
    let problems = check_arguments(spec, arguments);
    if !problems.is_empty() {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.location, p.message))
            .collect();
        return Err(format!("invalid arguments: {}", lines.join("; ")));
    }
    let action = arguments["action"].as_str().unwrap_or_default();
    match name {
        "dns_record_manage" => match action {
            "list" | "get" => dns_read(backend, arguments, action),
            _ => Err(UNAVAILABLE_OFFLINE.to_owned()),
        },
        "waf_rule_configure" => match action {
            "list" => waf_list(backend, arguments),
            "validate" => waf_validate(arguments),
            "simulate" => waf_simulate(backend, arguments),
            _ => Err(UNAVAILABLE_OFFLINE.to_owned()),
        },
        "tunnel_health_check" => tunnel_health(backend, arguments),
        "zone_analytics_query" => Err(UNAVAILABLE_OFFLINE.to_owned()),
        "waf_config_analyze" => {
            let zone = known_zone(backend, arguments)?;
            let analysis = waf::analyze(backend.snapshot, Some(zone));
            Ok(to_value(&analysis))
        }
        "rule_gap_identify" => {
            let zone = known_zone(backend, arguments)?;
            let report = waf::gaps::gaps(backend.snapshot, Some(zone), &Default::default());
            Ok(to_value(&report))
        }
        "compliance_map_generate" => compliance_map(backend, arguments),
        "threat_intel_integrate" => threat_intel(backend, arguments),
        "security_classify" => {
            let request = match &arguments["request"] {
                Value::String(text) => json!({"kind": "query", "text": text}),
                other => other.clone(),
            };
            Ok(to_value(&backend.layer0.decide(
                &request,
                backend.context,
                Some(backend.snapshot),
            )))
        }
        "routing_decide" => routing(backend, arguments),
        "threat_assess" => {
            let inputs = oracle::ThreatInputs {
                snapshot: Some(backend.snapshot),
                zone: arguments["zone"].as_str(),
                now: Some(backend.now),
                ..Default::default()
            };
            let indicator = arguments["indicator"].as_str().unwrap_or_default();
            Ok(to_value(&oracle::threat_assess(indicator, &inputs)))
        }
        "decision_support" => {
            let mut inputs = oracle::DecisionInputs::new(Some(backend.snapshot));
            inputs.now = Some(backend.now);
            let question = arguments["question"].as_str().unwrap_or_default();
            Ok(to_value(&oracle::decision_support(question, &inputs)))
        }
        _ => Err(format!("tool {name:?} has no offline implementation")),
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| json!({"error": e.to_string()}))
}

fn known_zone<'a>(backend: &Backend<'_>, arguments: &'a Value) -> Result<&'a str, String> {
    let zone = arguments["zone"].as_str().unwrap_or_default();
    if backend.snapshot.zone(zone).is_some() {
        Ok(zone)
    } else {
        let names: Vec<&str> = backend
            .snapshot
            .zones
            .iter()
            .map(|z| z.zone.name.as_str())
            .collect();
        Err(format!(
            "arguments.zone: {zone:?} is not a zone this server serves (zones: {})",
            names.join(", ")
        ))
    }
}

fn dns_read(backend: &Backend<'_>, arguments: &Value, action: &str) -> Result<Value, String> {
    let zone = known_zone(backend, arguments)?;
    let z = backend.snapshot.zone(zone).ok_or("zone vanished")?;
    let filter = &arguments["record"];
    let wanted = |field: &str, actual: &str| {
        filter[field]
            .as_str()
            .map_or(true, |w| w.eq_ignore_ascii_case(actual))
    };
    let records: Vec<Value> = z
        .dns_records
        .iter()
        .filter(|r| {
            wanted("type", r.record_type.as_str())
                && wanted("name", &r.name)
                && wanted("id", r.id.get().map(String::as_str).unwrap_or_default())
        })
        .map(to_value)
        .collect();
    if action == "get" && records.is_empty() {
        return Err(format!("no record in {zone} matches {filter}"));
    }
    let page = paginate(records, arguments)?;
    Ok(json!({"summary": {"zone": zone, "page": page.summary()}, "records": page.items}))
}

fn waf_list(backend: &Backend<'_>, arguments: &Value) -> Result<Value, String> {
    let zone = known_zone(backend, arguments)?;
    let z = backend.snapshot.zone(zone).ok_or("zone vanished")?;
    let rules: Vec<Value> = z
        .rulesets
        .iter()
        .flat_map(|ruleset| {
            let phase = to_value(&ruleset.phase);
            ruleset.rules.iter().map(move |rule| {
                let mut v = to_value(rule);
                if let Value::Object(map) = &mut v {
                    map.insert("phase".into(), phase.clone());
                }
                v
            })
        })
        .collect();
    let page = paginate(rules, arguments)?;
    Ok(json!({"summary": {"zone": zone, "page": page.summary()}, "rules": page.items}))
}

fn waf_validate(arguments: &Value) -> Result<Value, String> {
    let expression = arguments["rule"]["expression"].as_str().unwrap_or_default();
    Ok(
        match rules::validate(expression, rules::ExpressionKind::Filter) {
            Ok(()) => json!({"valid": true}),
            Err(e) => json!({"valid": false, "error": e.to_string()}),
        },
    )
}

fn waf_simulate(backend: &Backend<'_>, arguments: &Value) -> Result<Value, String> {
    let zone = known_zone(backend, arguments)?;
    let request: rules::Request = match arguments.get("request") {
        None | Some(Value::Null) => {
            return Err("arguments.request: missing (the HTTP request to simulate: {\"method\",\"host\",\"path\",\"client_ip\",\"headers\",...})".into())
        }
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("arguments.request: {e}"))?,
    };
    let expression = arguments["rule"]["expression"].as_str().unwrap_or_default();
    let filter =
        rules::parse_filter(expression).map_err(|e| format!("arguments.rule.expression: {e}"))?;
    let lists = waf::lists_from_snapshot(backend.snapshot);
    let trace =
        waf::simulate(backend.snapshot, zone, &request, &lists).map_err(|e| e.to_string())?;
    Ok(json!({
        "summary": {"rule_matches": filter.matches(&request, &lists),
                    "zone_final_action": to_value(&trace.final_action)},
        "zone_trace": to_value(&trace),
    }))
}

fn tunnel_health(backend: &Backend<'_>, arguments: &Value) -> Result<Value, String> {
    let account_id = arguments["account_id"].as_str().unwrap_or_default();
    let account = backend.snapshot.account(account_id).ok_or_else(|| {
        format!("arguments.account_id: no account {account_id:?} in the snapshot")
    })?;
    let only = arguments["tunnel_id"].as_str();
    let tunnels: Vec<Value> = account
        .tunnels
        .iter()
        .filter(|t| only.map_or(true, |id| id == t.tunnel.id))
        .map(|t| {
            let target = format!("{}.cfargotunnel.com", t.tunnel.id);
            let connections: usize = t
                .connections
                .iter()
                .map(|c| c.conns.get().map(Vec::len).unwrap_or(0))
                .sum();
            let routes: Vec<Value> = t
                .ingress()
                .iter()
                .filter_map(|rule| rule.hostname.get())
                .map(|hostname| {
                    let record = backend
                        .snapshot
                        .zones
                        .iter()
                        .flat_map(|z| &z.dns_records)
                        .find(|r| r.name.eq_ignore_ascii_case(hostname));
                    let dns = match record {
                        None => "missing",
                        Some(r) if r.content_str().eq_ignore_ascii_case(&target) => "consistent",
                        Some(_) => "points_elsewhere",
                    };
                    json!({"hostname": hostname, "dns": dns})
                })
                .collect();
            json!({
                "id": t.tunnel.id,
                "name": t.tunnel.name.get(),
                "status": to_value(&t.tunnel.status),
                "connectors": t.connections.len(),
                "connections": connections,
                "configured": t.configuration.is_some(),
                "routes": routes,
            })
        })
        .collect();
    if let (Some(id), true) = (only, tunnels.is_empty()) {
        return Err(format!(
            "arguments.tunnel_id: no tunnel {id:?} in account {account_id}"
        ));
    }
    let page = paginate(tunnels, arguments)?;
    Ok(
        json!({"summary": {"account_id": account_id, "page": page.summary()}, "tunnels": page.items}),
    )
}

fn compliance_map(backend: &Backend<'_>, arguments: &Value) -> Result<Value, String> {
    let zone = known_zone(backend, arguments)?;
    let name = arguments["framework"].as_str().unwrap_or(DEFAULT_FRAMEWORK);
    let framework = compliance::framework(name).ok_or_else(|| {
        format!(
            "arguments.framework: unknown framework {name:?} (one of {})",
            compliance::framework_names().join(", ")
        )
    })?;
    let config = invariants::Config {
        zones: vec![zone.to_owned()],
        now: Some(crate::snapshot::Timestamp::from_datetime(backend.now)),
        include_waf: true,
        ..Default::default()
    };
    let report = invariants::run(backend.snapshot, &config);
    Ok(to_value(&compliance::evaluate(framework, &report)))
}

fn threat_intel(backend: &Backend<'_>, arguments: &Value) -> Result<Value, String> {
    if arguments["mode"].as_str() == Some("apply") {
        return Err(UNAVAILABLE_OFFLINE.to_owned());
    }
    let zone = known_zone(backend, arguments)?;
    let (format, text) = match (&arguments["feed"], &arguments["indicators"]) {
        (Value::Object(feed), _) => {
            let format: intel::FeedFormat = feed
                .get("format")
                .and_then(Value::as_str)
                .unwrap_or("plain")
                .parse()
                .map_err(|e| format!("arguments.feed.format: {e}"))?;
            (
                format,
                feed["content"].as_str().unwrap_or_default().to_owned(),
            )
        }
        (_, Value::Array(items)) => {
            let lines: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (intel::FeedFormat::Plain, lines.join("\n"))
        }
        _ => return Err("arguments: needs `feed` or `indicators`".into()),
    };
    let feed = intel::parse_feed(format, &text, backend.now);
    let normalised = intel::normalise(
        &feed.indicators,
        backend.snapshot,
        Some(zone),
        &Default::default(),
    );
    let options = intel::ProposeOptions::new(intel::ProposeOptions::default_list_name(format));
    let proposal = intel::propose(&normalised, backend.snapshot, Some(zone), &options)
        .map_err(|e| e.to_string())?;
    let unreadable: Vec<Value> = feed
        .errors
        .iter()
        .take(20)
        .map(|e| json!({"line": e.line, "message": e.message}))
        .collect();
    Ok(json!({
        "summary": {"mode": "propose", "zone": zone, "indicators": feed.indicators.len(),
                    "unreadable_lines": feed.error_count, "api_requests": proposal.requests.len(),
                    "warnings": proposal.warnings},
        "unreadable": unreadable,
        "requests": to_value(&proposal.requests),
        "hcl": proposal.hcl,
        "summary_markdown": proposal.summary_markdown,
    }))
}

fn routing(backend: &Backend<'_>, arguments: &Value) -> Result<Value, String> {
    const HINT: &str = "pass a classification as security_classify returns it";
    let classification: Classification =
        serde_json::from_value(arguments["classification"].clone())
            .map_err(|e| format!("arguments.classification: {e} ({HINT})"))?;
    let context = match arguments.get("context") {
        None | Some(Value::Null) => backend.context.clone(),
        Some(v) => {
            let mut ctx = Context::from_value(v).map_err(|e| format!("arguments.context: {e}"))?;
            // The caller may narrow the server's context, never widen it or approve itself.
            ctx.approved = false;
            ctx.zones_allowed.retain(|z| {
                backend.context.zones_allowed.is_empty() || backend.context.zone_allowed(z)
            });
            ctx.scopes.retain(|s| backend.context.has_scope(s));
            ctx
        }
    };
    let request = Request {
        kind: RequestKind::ToolCall,
        tool: classification.tool.clone(),
        arguments: Value::Object(Map::new()),
        text: None,
    };
    let decision = backend
        .layer0
        .policy()
        .route(&classification, &request, &context);
    Ok(to_value(&decision))
}

#[cfg(test)]
mod tests;
