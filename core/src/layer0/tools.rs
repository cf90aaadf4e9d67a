//! The 12 cfcp tools as Layer0 knows them: their names, actions, the intent and token scope of
//! each action, and the shape of their arguments.
//!
//! This table is what makes the classifier structural: a tool call is judged by what its
//! arguments ask the tool to do, not by how its text reads. The MCP server's tool schemas and
//! this table describe the same tools; a test in the MCP server keeps them in step.

use serde_json::{Map, Value};

use super::classification::Intent;
use super::request::json_type;

/// The MCP tool group a tool belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolGroup {
    /// DNS, WAF rules, tunnels, analytics.
    CloudflareSafe,
    /// Analysis, threat intel, compliance, gaps.
    WafIntelligence,
    /// Classification, routing, threat assessment, decision support.
    OracleAnswer,
}

/// One tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// The exact (case-sensitive) name agents call it by.
    pub name: &'static str,
    /// Its group.
    pub group: ToolGroup,
    /// The scope family its reads and writes need (`dns` → `dns:read` / `dns:edit`), if any.
    pub scope: Option<&'static str>,
    /// The `action` argument's values and what each does; empty for tools without `action`.
    pub actions: &'static [(&'static str, Intent)],
}

const DNS_ACTIONS: &[(&str, Intent)] = &[
    ("list", Intent::Read),
    ("get", Intent::Read),
    ("create", Intent::Mutate),
    ("update", Intent::Mutate),
    ("delete", Intent::Destroy),
];

const WAF_ACTIONS: &[(&str, Intent)] = &[
    ("list", Intent::Read),
    ("validate", Intent::Read),
    ("simulate", Intent::Read),
    ("create", Intent::Mutate),
    ("update", Intent::Mutate),
    ("enable", Intent::Mutate),
    ("disable", Intent::Mutate),
    ("delete", Intent::Destroy),
];

/// Every tool cfcp serves, in the order the MCP server lists them.
pub const TOOLS: [Tool; 12] = [
    Tool {
        name: "dns_record_manage",
        group: ToolGroup::CloudflareSafe,
        scope: Some("dns"),
        actions: DNS_ACTIONS,
    },
    Tool {
        name: "waf_rule_configure",
        group: ToolGroup::CloudflareSafe,
        scope: Some("waf"),
        actions: WAF_ACTIONS,
    },
    Tool {
        name: "tunnel_health_check",
        group: ToolGroup::CloudflareSafe,
        scope: Some("tunnel"),
        actions: &[],
    },
    Tool {
        name: "zone_analytics_query",
        group: ToolGroup::CloudflareSafe,
        scope: Some("analytics"),
        actions: &[],
    },
    Tool {
        name: "waf_config_analyze",
        group: ToolGroup::WafIntelligence,
        scope: Some("waf"),
        actions: &[],
    },
    Tool {
        name: "threat_intel_integrate",
        group: ToolGroup::WafIntelligence,
        scope: Some("waf"),
        actions: &[],
    },
    Tool {
        name: "compliance_map_generate",
        group: ToolGroup::WafIntelligence,
        scope: None,
        actions: &[],
    },
    Tool {
        name: "rule_gap_identify",
        group: ToolGroup::WafIntelligence,
        scope: Some("waf"),
        actions: &[],
    },
    Tool {
        name: "security_classify",
        group: ToolGroup::OracleAnswer,
        scope: None,
        actions: &[],
    },
    Tool {
        name: "routing_decide",
        group: ToolGroup::OracleAnswer,
        scope: None,
        actions: &[],
    },
    Tool {
        name: "threat_assess",
        group: ToolGroup::OracleAnswer,
        scope: None,
        actions: &[],
    },
    Tool {
        name: "decision_support",
        group: ToolGroup::OracleAnswer,
        scope: None,
        actions: &[],
    },
];

/// The tool called `name` (exactly: `DNS_Record_Manage` is not `dns_record_manage`).
///
/// ```
/// use cfcp::layer0::tools::tool;
/// assert_eq!(tool("dns_record_manage").unwrap().scope, Some("dns"));
/// assert!(tool("DNS_Record_Manage").is_none());
/// ```
pub fn tool(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

/// The longest expression Cloudflare accepts.
pub const MAX_EXPRESSION_LEN: usize = 4096;

/// A problem with a tool call's arguments: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentProblem {
    /// Path into the arguments, e.g. `arguments.record.ttl`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

/// The JSON types an argument may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Int,
    Bool,
    Obj,
    StrArray,
    /// Any object or string (a classification, a request).
    ObjOrStr,
}

/// Checks a tool call's arguments against the tool's shape: required members by action, member
/// types, enumerations, the expression length limit. Unknown extra members are allowed (newer
/// clients may send more); wrong types never are.
///
/// ```
/// use cfcp::layer0::tools::{check_arguments, tool};
/// let dns = tool("dns_record_manage").unwrap();
/// let bad = serde_json::json!({"action": "create", "zone": "example.com",
///     "record": {"type": "A", "name": "a.example.com", "content": "192.0.2.1", "ttl": "300"}});
/// let problems = check_arguments(dns, &bad);
/// assert_eq!(problems[0].location, "arguments.record.ttl");
/// ```
pub fn check_arguments(tool: &Tool, arguments: &Value) -> Vec<ArgumentProblem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    let Some(args) = arguments.as_object() else {
        c.problem(
            "arguments",
            format!("expected an object, found {}", json_type(arguments)),
        );
        return c.problems;
    };
    let action = if tool.actions.is_empty() {
        None
    } else {
        match args.get("action") {
            Some(Value::String(a)) if tool.actions.iter().any(|(name, _)| name == a) => {
                Some(a.as_str())
            }
            Some(Value::String(a)) => {
                let names: Vec<&str> = tool.actions.iter().map(|(n, _)| *n).collect();
                c.problem(
                    "arguments.action",
                    format!(
                        "unknown action {a:?} (expected one of {})",
                        names.join(", ")
                    ),
                );
                return c.problems;
            }
            Some(other) => {
                c.problem(
                    "arguments.action",
                    format!("expected a string, found {}", json_type(other)),
                );
                return c.problems;
            }
            None => {
                c.problem("arguments.action", "missing (required)".into());
                return c.problems;
            }
        }
    };
    c.ty(args, "", "dry_run", Ty::Bool, false);
    match tool.name {
        "dns_record_manage" => {
            c.ty(args, "", "zone", Ty::Str, true);
            let needs_record = !matches!(action, Some("list"));
            if let Some(record) = c
                .ty(args, "", "record", Ty::Obj, needs_record)
                .and_then(Value::as_object)
            {
                for (name, ty) in [
                    ("type", Ty::Str),
                    ("name", Ty::Str),
                    ("content", Ty::Str),
                    ("id", Ty::Str),
                    ("comment", Ty::Str),
                ] {
                    c.ty(record, "record.", name, ty, false);
                }
                c.ty(record, "record.", "ttl", Ty::Int, false);
                c.ty(record, "record.", "priority", Ty::Int, false);
                c.ty(record, "record.", "proxied", Ty::Bool, false);
                match action {
                    Some("create") => {
                        for name in ["type", "name", "content"] {
                            c.required(record, "record.", name);
                        }
                    }
                    Some("update") => c.required(record, "record.", "id"),
                    Some("get") | Some("delete")
                        if !record.contains_key("id") && !record.contains_key("name") =>
                    {
                        c.problem(
                            "arguments.record",
                            "needs `id` or `name` to say which record".into(),
                        );
                    }
                    _ => {}
                }
            }
        }
        "waf_rule_configure" => {
            c.ty(args, "", "zone", Ty::Str, true);
            let needs_rule = !matches!(action, Some("list"));
            if let Some(rule) = c
                .ty(args, "", "rule", Ty::Obj, needs_rule)
                .and_then(Value::as_object)
            {
                for name in ["expression", "action", "description", "id"] {
                    c.ty(rule, "rule.", name, Ty::Str, false);
                }
                c.ty(rule, "rule.", "enabled", Ty::Bool, false);
                match action {
                    Some("create") => {
                        c.required(rule, "rule.", "expression");
                        c.required(rule, "rule.", "action");
                    }
                    Some("validate") | Some("simulate") => c.required(rule, "rule.", "expression"),
                    Some("update") | Some("enable") | Some("disable") | Some("delete") => {
                        c.required(rule, "rule.", "id")
                    }
                    _ => {}
                }
                if let Some(Value::String(e)) = rule.get("expression") {
                    let chars = e.chars().count();
                    if chars > MAX_EXPRESSION_LEN {
                        c.problem(
                            "arguments.rule.expression",
                            format!("{chars} characters, over Cloudflare's limit of {MAX_EXPRESSION_LEN}: split the rule or use a list"),
                        );
                    }
                }
            }
        }
        "tunnel_health_check" => {
            c.ty(args, "", "account_id", Ty::Str, true);
            c.ty(args, "", "tunnel_id", Ty::Str, false);
        }
        "zone_analytics_query" => {
            c.ty(args, "", "zone", Ty::Str, true);
            c.ty(args, "", "since", Ty::Str, false);
            c.ty(args, "", "until", Ty::Str, false);
            c.ty(args, "", "metrics", Ty::StrArray, false);
        }
        "waf_config_analyze" | "rule_gap_identify" => {
            c.ty(args, "", "zone", Ty::Str, true);
        }
        "compliance_map_generate" => {
            c.ty(args, "", "zone", Ty::Str, true);
            c.ty(args, "", "framework", Ty::Str, false);
        }
        "threat_intel_integrate" => {
            c.ty(args, "", "zone", Ty::Str, true);
            match c.ty(args, "", "mode", Ty::Str, false) {
                Some(Value::String(m)) if m != "propose" && m != "apply" => {
                    c.problem(
                        "arguments.mode",
                        format!("unknown mode {m:?} (expected propose or apply)"),
                    );
                }
                _ => {}
            }
            let feed = c
                .ty(args, "", "feed", Ty::Obj, false)
                .and_then(Value::as_object);
            let indicators = c.ty(args, "", "indicators", Ty::StrArray, false);
            if let Some(feed) = feed {
                c.ty(feed, "feed.", "format", Ty::Str, false);
                c.ty(feed, "feed.", "content", Ty::Str, true);
            }
            if feed.is_none()
                && indicators.is_none()
                && !args.contains_key("feed")
                && !args.contains_key("indicators")
            {
                c.problem("arguments", "needs `feed` or `indicators`".into());
            }
        }
        "security_classify" => {
            c.ty(args, "", "request", Ty::ObjOrStr, true);
        }
        "routing_decide" => {
            c.ty(args, "", "classification", Ty::Obj, true);
            c.ty(args, "", "context", Ty::Obj, false);
        }
        "threat_assess" => {
            c.ty(args, "", "indicator", Ty::Str, true);
        }
        "decision_support" => {
            c.ty(args, "", "question", Ty::Str, true);
            c.ty(args, "", "zone", Ty::Str, false);
        }
        _ => {}
    }
    c.problems
}

struct Checker {
    problems: Vec<ArgumentProblem>,
}

impl Checker {
    fn problem(&mut self, location: &str, message: String) {
        self.problems.push(ArgumentProblem {
            location: location.to_owned(),
            message,
        });
    }

    fn required(&mut self, obj: &Map<String, Value>, prefix: &str, name: &str) {
        if matches!(obj.get(name), None | Some(Value::Null)) {
            self.problem(
                &format!("arguments.{prefix}{name}"),
                "missing (required)".into(),
            );
        }
    }

    /// Checks `obj[name]`'s type; returns the value when it is present and well-typed.
    fn ty<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        prefix: &str,
        name: &str,
        ty: Ty,
        required: bool,
    ) -> Option<&'v Value> {
        let value = match obj.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.problem(
                        &format!("arguments.{prefix}{name}"),
                        "missing (required)".into(),
                    );
                }
                return None;
            }
            Some(v) => v,
        };
        let ok = match ty {
            Ty::Str => value.is_string(),
            Ty::Int => value.is_i64() || value.is_u64(),
            Ty::Bool => value.is_boolean(),
            Ty::Obj => value.is_object(),
            Ty::StrArray => value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
            Ty::ObjOrStr => value.is_object() || value.is_string(),
        };
        if ok {
            Some(value)
        } else {
            let expected = match ty {
                Ty::Str => "a string",
                Ty::Int => "an integer",
                Ty::Bool => "a boolean (true or false)",
                Ty::Obj => "an object",
                Ty::StrArray => "an array of strings",
                Ty::ObjOrStr => "an object or a string",
            };
            let found = match value {
                Value::String(s) => format!("the string {:?}", truncate(s, 40)),
                other => json_type(other).to_owned(),
            };
            self.problem(
                &format!("arguments.{prefix}{name}"),
                format!("expected {expected}, found {found}"),
            );
            None
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(tool_name: &str, args: Value) -> Vec<String> {
        check_arguments(tool(tool_name).unwrap(), &args)
            .into_iter()
            .map(|p| p.location)
            .collect()
    }

    #[test]
    fn well_formed_calls_have_no_problems() {
        assert!(problems(
            "dns_record_manage",
            json!({"action": "list", "zone": "example.com"})
        )
        .is_empty());
        assert!(problems(
            "dns_record_manage",
            json!({"action": "create", "zone": "example.com", "record": {"type": "A", "name": "a", "content": "192.0.2.1", "ttl": 1, "proxied": true}})
        )
        .is_empty());
        assert!(problems(
            "threat_intel_integrate",
            json!({"indicators": ["192.0.2.1"], "zone": "z", "mode": "apply"})
        )
        .is_empty());
        assert!(problems("security_classify", json!({"request": "delete everything"})).is_empty());
    }

    #[test]
    fn wrong_types_missing_fields_and_enums_are_named() {
        assert_eq!(
            problems(
                "dns_record_manage",
                json!({"action": "create", "zone": "z", "record": {"type": "CNAME", "name": "n", "content": "c", "proxied": "yes"}})
            ),
            ["arguments.record.proxied"]
        );
        assert_eq!(
            problems(
                "dns_record_manage",
                json!({"action": "create", "record": {"type": "A", "name": "n", "content": "c"}})
            ),
            ["arguments.zone"]
        );
        assert_eq!(
            problems(
                "waf_rule_configure",
                json!({"action": "create", "zone": "z", "rule": {"action": "block"}})
            ),
            ["arguments.rule.expression"]
        );
        assert_eq!(
            problems("tunnel_health_check", json!({"tunnel_id": "t"})),
            ["arguments.account_id"]
        );
        assert_eq!(
            problems(
                "zone_analytics_query",
                json!({"zone": "z", "metrics": "requests,threats"})
            ),
            ["arguments.metrics"]
        );
        assert_eq!(
            problems(
                "threat_intel_integrate",
                json!({"indicators": ["x"], "zone": "z", "mode": "force"})
            ),
            ["arguments.mode"]
        );
        assert_eq!(
            problems("dns_record_manage", json!({"action": "purge", "zone": "z"})),
            ["arguments.action"]
        );
        assert_eq!(problems("dns_record_manage", json!([1, 2])), ["arguments"]);
    }

    #[test]
    fn expressions_over_the_limit_are_malformed_and_at_the_limit_are_not() {
        let at = "a".repeat(MAX_EXPRESSION_LEN);
        let over = "a".repeat(MAX_EXPRESSION_LEN + 1);
        let call = |e: &str| json!({"action": "validate", "zone": "z", "rule": {"expression": e}});
        assert!(problems("waf_rule_configure", call(&at)).is_empty());
        assert_eq!(
            problems("waf_rule_configure", call(&over)),
            ["arguments.rule.expression"]
        );
    }
}
