//! Structural classification of tool calls: what the arguments ask the tool to do to the zone.
//!
//! Text is judged elsewhere ([`super::text`]); here only the call's shape and meaning count:
//! the tool and action, argument types, scope and zone, counts, and what the change does to the
//! zone's security (unproxying a record that serves traffic, switching a WAF rule off, a skip
//! rule that matches everybody, touching mail/DNS-delegation/certificate records).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::breadth::broad_reason;
use super::classification::{Classification, Evidence, Flag, Intent};
use super::request::{Context, Request};
use super::tools::{check_arguments, tool, Tool};
use crate::snapshot::Snapshot;

/// More than this many records or rules in one request is a mass change.
pub const MASS_CHANGE_LIMIT: usize = 10;

fn ev(
    flag: Flag,
    rule: &'static str,
    location: impl Into<String>,
    detail: impl Into<String>,
) -> Evidence {
    Evidence {
        flag,
        rule: Cow::Borrowed(rule),
        location: location.into(),
        span: None,
        detail: detail.into(),
    }
}

/// Classifies a tool call's structure into `out` (intent, action, zone, dry run, mode and the
/// structural flags).
pub(crate) fn classify_tool_call(
    request: &Request,
    ctx: &Context,
    snapshot: Option<&Snapshot>,
    out: &mut Classification,
) {
    let name = request.tool.as_deref().unwrap_or_default();
    let empty = Map::new();
    let args = request.arguments.as_object().unwrap_or(&empty);
    out.tool = Some(name.to_owned());
    out.zone = args.get("zone").and_then(Value::as_str).map(str::to_owned);
    out.dry_run = args
        .get("dry_run")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match tool(name) {
        Some(t) => known_tool(t, args, &request.arguments, ctx, snapshot, out),
        None => unknown_tool(name, args, ctx, out),
    }
}

fn known_tool(
    t: &Tool,
    args: &Map<String, Value>,
    raw: &Value,
    ctx: &Context,
    snapshot: Option<&Snapshot>,
    out: &mut Classification,
) {
    for problem in check_arguments(t, raw) {
        out.flag(ev(
            Flag::Malformed,
            "arguments.shape",
            problem.location,
            problem.message,
        ));
    }
    let action = args.get("action").and_then(Value::as_str);
    out.action = action.map(str::to_owned);
    out.intent = action
        .and_then(|a| t.actions.iter().find(|(n, _)| *n == a))
        .map(|(_, intent)| *intent)
        .unwrap_or(Intent::Read);
    out.mode = args.get("mode").and_then(Value::as_str).map(str::to_owned);
    if t.name == "threat_intel_integrate" && out.mode.as_deref() == Some("apply") {
        out.intent = Intent::Mutate;
    }
    if out.dry_run {
        out.intent = Intent::Read;
    }

    // Scope: the zone, the account, and the token's scope for what the call does.
    if let Some(zone) = out.zone.clone() {
        if !ctx.zone_allowed(&zone) {
            out.flag(ev(
                Flag::ScopeViolation,
                "scope.zone_not_allowed",
                "arguments.zone",
                format!(
                    "zone {zone:?} is not in the allowed zones ({})",
                    ctx.zones_allowed.join(", ")
                ),
            ));
        }
    }
    if let (Some(asked), Some(own)) = (
        args.get("account_id").and_then(Value::as_str),
        ctx.account_id.as_deref(),
    ) {
        if !asked.eq_ignore_ascii_case(own) {
            out.flag(ev(
                Flag::ScopeViolation,
                "scope.account_mismatch",
                "arguments.account_id",
                format!("account {asked} is not the agent's account {own}"),
            ));
        }
    }
    if let Some(family) = t.scope {
        let needed = if out.intent == Intent::Read {
            "read"
        } else {
            "edit"
        };
        let scope = format!("{family}:{needed}");
        if !ctx.has_scope(&scope) {
            out.flag(ev(
                Flag::ScopeViolation,
                "scope.missing_token_scope",
                "context.scopes",
                format!(
                    "{} {} needs the {scope} scope, which the token does not have",
                    t.name,
                    action.unwrap_or("call")
                ),
            ));
        }
    }
    if out.dry_run {
        // A dry run changes nothing: what it would do is not a downgrade, a deletion or a
        // sensitive change yet.
        return;
    }
    match t.name {
        "dns_record_manage" => dns(args, action, snapshot, out),
        "waf_rule_configure" => waf(args, action, out),
        _ => {}
    }
}

/// `name` is `*`, `all`, or a bulk selector.
fn is_wildcard(value: Option<&Value>) -> bool {
    matches!(
        value.and_then(Value::as_str).map(str::trim),
        Some("*" | "all" | "ALL" | "*.*")
    ) || value
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with("*."))
}

/// The number of items an array-valued bulk member (`records`, `ids`, `rules`) carries.
fn bulk_count(args: &Map<String, Value>, members: &[&str]) -> Option<(String, usize)> {
    members.iter().find_map(|m| {
        args.get(*m)
            .and_then(Value::as_array)
            .map(|a| (format!("arguments.{m}"), a.len()))
    })
}

fn dns(
    args: &Map<String, Value>,
    action: Option<&str>,
    snapshot: Option<&Snapshot>,
    out: &mut Classification,
) {
    let Some(action) = action.filter(|a| matches!(*a, "create" | "update" | "delete")) else {
        return;
    };
    if let Some((location, n)) = bulk_count(args, &["records", "ids"]) {
        if n > MASS_CHANGE_LIMIT {
            out.flag(ev(
                Flag::MassChange,
                "mass.bulk_records",
                location,
                format!("{action} of {n} records in one request (limit {MASS_CHANGE_LIMIT})"),
            ));
            return;
        }
    }
    let empty = Map::new();
    let record = args
        .get("record")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if ["name", "type", "id"]
        .iter()
        .any(|k| is_wildcard(record.get(*k)))
    {
        out.flag(ev(
            Flag::MassChange,
            "mass.wildcard_records",
            "arguments.record",
            format!("a wildcard {action} matches every record of the zone"),
        ));
        return;
    }
    let zone = out.zone.clone().unwrap_or_default();
    let existing =
        snapshot.and_then(|s| existing_record(s, &zone, record.get("id").and_then(Value::as_str)));
    let record_type = record
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .or_else(|| existing.as_ref().map(|e| e.record_type.clone()))
        .unwrap_or_default();
    let name = record
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| existing.as_ref().map(|e| e.name.clone()))
        .unwrap_or_default();
    let content = record
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();

    if action == "delete" {
        out.flag(ev(
            Flag::Destructive,
            "dns.delete_record",
            "arguments.record",
            format!("deletes the {record_type} record {name}"),
        ));
    }
    if let Some(why) = sensitive_record(&record_type, &name, content, &zone) {
        out.flag(ev(
            Flag::SensitiveRecord,
            "dns.sensitive_record",
            "arguments.record",
            format!("{action} of {why}"),
        ));
    }
    if action == "update"
        && record.get("proxied").and_then(Value::as_bool) == Some(false)
        && matches!(record_type.as_str(), "A" | "AAAA" | "CNAME")
    {
        let was_proxied = existing.as_ref().and_then(|e| e.proxied);
        if was_proxied != Some(false) {
            let known = if was_proxied == Some(true) {
                "is proxied now"
            } else {
                "may serve proxied traffic"
            };
            out.flag(ev(
                Flag::SecurityDowngrade,
                "dns.unproxy_serving_record",
                "arguments.record.proxied",
                format!("turns the proxy off for {record_type} {name}, which {known}: its origin address is exposed and WAF/DDoS protection no longer applies"),
            ));
        }
    }
}

/// What the snapshot knows about a record.
struct ExistingRecord {
    record_type: String,
    name: String,
    proxied: Option<bool>,
}

fn existing_record(snapshot: &Snapshot, zone: &str, id: Option<&str>) -> Option<ExistingRecord> {
    let id = id?;
    let z = snapshot
        .zones
        .iter()
        .find(|z| z.zone.name.eq_ignore_ascii_case(zone))?;
    let r = z
        .dns_records
        .iter()
        .find(|r| r.id.get().map(String::as_str) == Some(id))?;
    Some(ExistingRecord {
        record_type: r.record_type.as_str().to_ascii_uppercase(),
        name: r.name.to_string(),
        proxied: r.proxied.get().copied(),
    })
}

/// Why a record is sensitive (mail, delegation, certificates, the apex address), if it is.
///
/// ```
/// use cfcp::layer0::structural::sensitive_record;
/// assert!(sensitive_record("MX", "example.com", "", "example.com").is_some());
/// assert!(sensitive_record("TXT", "s1._domainkey.example.com", "", "example.com").is_some());
/// assert!(sensitive_record("A", "@", "192.0.2.1", "example.com").is_some());
/// assert!(sensitive_record("A", "www.example.com", "192.0.2.1", "example.com").is_none());
/// assert!(sensitive_record("TXT", "_acme-challenge.example.com", "token", "example.com").is_none());
/// ```
pub fn sensitive_record(
    record_type: &str,
    name: &str,
    content: &str,
    zone: &str,
) -> Option<String> {
    let name_l = name.trim_end_matches('.').to_ascii_lowercase();
    let apex = name_l.is_empty()
        || name_l == "@"
        || (!zone.is_empty() && name_l == zone.trim_end_matches('.').to_ascii_lowercase());
    let content_l = content.trim_start_matches('"').to_ascii_lowercase();
    match record_type {
        "NS" => Some(format!("the NS record {name} (delegation)")),
        "MX" => Some(format!("the MX record {name} (mail routing)")),
        "CAA" => Some(format!(
            "the CAA record {name} (who may issue certificates)"
        )),
        "TXT"
            if name_l.starts_with("_dmarc.")
                || name_l == "_dmarc"
                || content_l.starts_with("v=dmarc1") =>
        {
            Some(format!("the DMARC record {name}"))
        }
        "TXT"
            if name_l.contains("._domainkey")
                || name_l.starts_with("_domainkey")
                || content_l.starts_with("v=dkim1") =>
        {
            Some(format!("the DKIM record {name}"))
        }
        "TXT" if content_l.starts_with("v=spf1") => Some(format!("the SPF record {name}")),
        "A" | "AAAA" if apex => Some(format!("the apex {record_type} record {name}")),
        _ => None,
    }
}

fn waf(args: &Map<String, Value>, action: Option<&str>, out: &mut Classification) {
    let Some(action) =
        action.filter(|a| matches!(*a, "create" | "update" | "enable" | "disable" | "delete"))
    else {
        return;
    };
    let empty = Map::new();
    let rule = args
        .get("rule")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let label = rule
        .get("description")
        .and_then(Value::as_str)
        .or_else(|| rule.get("id").and_then(Value::as_str))
        .unwrap_or("the rule")
        .chars()
        .take(80)
        .collect::<String>();
    let disabling = action == "disable"
        || (action == "update" && rule.get("enabled").and_then(Value::as_bool) == Some(false));
    let bulk = bulk_count(args, &["rules", "ids"]).filter(|(_, n)| *n > MASS_CHANGE_LIMIT);
    if (matches!(action, "delete" | "disable" | "update") && is_wildcard(rule.get("id")))
        || bulk.is_some()
    {
        let location = bulk
            .map(|(l, _)| l)
            .unwrap_or_else(|| "arguments.rule.id".into());
        out.flag(ev(
            Flag::MassChange,
            "mass.all_waf_rules",
            location,
            format!("{action} of every WAF rule of the zone"),
        ));
        if action != "enable" {
            out.flag(ev(
                Flag::SecurityDowngrade,
                "waf.rules_off",
                "arguments.rule",
                "switches the zone's WAF rules off",
            ));
        }
        return;
    }
    if action == "delete" {
        out.flag(ev(
            Flag::Destructive,
            "waf.delete_rule",
            "arguments.rule",
            format!("deletes the WAF rule {label:?}"),
        ));
        out.flag(ev(
            Flag::SecurityDowngrade,
            "waf.delete_rule",
            "arguments.rule",
            format!("removes the protection of {label:?}"),
        ));
    }
    if disabling {
        out.flag(ev(
            Flag::SecurityDowngrade,
            "waf.disable_rule",
            "arguments.rule.enabled",
            format!("switches the WAF rule {label:?} off"),
        ));
    }
    if action == "update" && rule.get("action").and_then(Value::as_str) == Some("log") {
        out.flag(ev(
            Flag::SecurityDowngrade,
            "waf.rule_to_log",
            "arguments.rule.action",
            format!("turns the WAF rule {label:?} into a log-only rule: it stops enforcing"),
        ));
    }
    if matches!(action, "create" | "update") {
        let rule_action = rule
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if matches!(rule_action, "skip" | "allow" | "bypass") {
            if let Some(reason) = rule
                .get("expression")
                .and_then(Value::as_str)
                .and_then(broad_reason)
            {
                out.flag(ev(
                    Flag::SecurityDowngrade,
                    "waf.broad_skip",
                    "arguments.rule.expression",
                    format!("a {rule_action} rule whose condition matches broadly: {reason}"),
                ));
            }
        }
    }
}

/// Settings whose change to these values weakens a zone.
///
/// ```
/// use cfcp::layer0::structural::setting_downgrade;
/// assert!(setting_downgrade("ssl", "flexible").is_some());
/// assert!(setting_downgrade("min_tls_version", "1.1").is_some());
/// assert!(setting_downgrade("min_tls_version", "1.2").is_none());
/// assert!(setting_downgrade("ssl", "strict").is_none());
/// ```
pub fn setting_downgrade(setting: &str, value: &str) -> Option<String> {
    let v = value.trim().to_ascii_lowercase();
    let weak = match setting {
        "ssl" => matches!(v.as_str(), "off" | "flexible"),
        "min_tls_version" => matches!(v.as_str(), "1.0" | "1.1"),
        "security_level" => matches!(v.as_str(), "off" | "essentially_off"),
        "always_use_https"
        | "automatic_https_rewrites"
        | "waf"
        | "browser_check"
        | "tls_1_3"
        | "hsts"
        | "bot_fight_mode"
        | "fight_mode" => {
            matches!(v.as_str(), "off" | "false" | "disabled")
        }
        "dnssec" => matches!(v.as_str(), "off" | "disabled" | "false"),
        "development_mode" => v == "on",
        _ => false,
    };
    weak.then(|| format!("sets {setting} to {value}"))
}

/// Tools cfcp does not serve. They are blocked anyway; the flags say what else they would do,
/// so the audit trail shows what an agent attempted.
fn unknown_tool(name: &str, args: &Map<String, Value>, ctx: &Context, out: &mut Classification) {
    let known: Vec<&str> = super::tools::TOOLS.iter().map(|t| t.name).collect();
    let hint = known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map(|k| format!(" (tool names are case-sensitive: did you mean {k}?)"))
        .unwrap_or_default();
    out.flag(ev(
        Flag::UnknownTool,
        "tool.unknown",
        "tool",
        format!("{name:?} is not a cfcp tool{hint}"),
    ));
    out.intent = Intent::Mutate;
    // A raw API call: judge the setting it would change.
    let method = args
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_uppercase();
    if method == "GET" {
        out.intent = Intent::Read;
    }
    if let Some(path) = args.get("path").and_then(Value::as_str) {
        if method == "DELETE" {
            out.intent = Intent::Destroy;
        }
        if let Some(setting) = path
            .split("/settings/")
            .nth(1)
            .map(|s| s.trim_end_matches('/'))
        {
            let value = args.get("body").and_then(|b| b.get("value"));
            let value = match value {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(b)) => {
                    if *b {
                        "on".into()
                    } else {
                        "off".into()
                    }
                }
                Some(other) => other.to_string(),
                None => String::new(),
            };
            if let Some(why) = setting_downgrade(setting, &value) {
                out.flag(ev(
                    Flag::SecurityDowngrade,
                    "settings.downgrade",
                    "arguments.body.value",
                    why,
                ));
            }
        }
    }
    // Data sent to an address the operator did not configure.
    for key in ["url", "webhook", "endpoint", "callback", "webhook_url"] {
        if let Some(url) = args.get(key).and_then(Value::as_str) {
            if let Some(host) = url_host(url) {
                if !ctx.zone_allowed(host) && !is_allowed_subdomain(ctx, host) {
                    out.flag(ev(
                        Flag::SecretExfiltration,
                        "exfiltration.external_url",
                        format!("arguments.{key}"),
                        format!("sends data to {host}, an address outside the allowed zones"),
                    ));
                }
            }
        }
    }
}

/// The host of an `http(s)://` URL.
pub(crate) fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?;
    Some(host.split(':').next().unwrap_or(host)).filter(|h| !h.is_empty())
}

/// Whether `host` is inside one of the allowed zones.
pub(crate) fn is_allowed_subdomain(ctx: &Context, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    ctx.zones_allowed.iter().any(|z| {
        let z = z.trim_end_matches('.').to_ascii_lowercase();
        z == "*" || host == z || host.ends_with(&format!(".{z}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer0::RequestKind;
    use serde_json::json;

    fn ctx() -> Context {
        Context {
            zones_allowed: vec!["example.com".into()],
            account_id: Some("acc".into()),
            scopes: [
                "dns:read",
                "dns:edit",
                "waf:read",
                "waf:edit",
                "tunnel:read",
            ]
            .map(String::from)
            .to_vec(),
            approved: false,
        }
    }

    fn flags(tool: &str, args: Value) -> Vec<Flag> {
        flags_with(tool, args, &ctx(), None)
    }

    fn flags_with(
        tool: &str,
        args: Value,
        ctx: &Context,
        snapshot: Option<&Snapshot>,
    ) -> Vec<Flag> {
        let request = Request {
            kind: RequestKind::ToolCall,
            tool: Some(tool.into()),
            arguments: args,
            text: None,
        };
        let mut out = Classification::default();
        classify_tool_call(&request, ctx, snapshot, &mut out);
        out.flags.into_iter().collect()
    }

    #[test]
    fn dns_semantics() {
        let z = "example.com";
        assert_eq!(
            flags("dns_record_manage", json!({"action": "list", "zone": z})),
            []
        );
        assert_eq!(
            flags(
                "dns_record_manage",
                json!({"action": "delete", "zone": z, "record": {"id": "1", "type": "CNAME", "name": "old.example.com"}})
            ),
            [Flag::Destructive]
        );
        assert_eq!(
            flags(
                "dns_record_manage",
                json!({"action": "delete", "zone": z, "record": {"id": "1", "type": "MX", "name": "example.com"}})
            ),
            [Flag::Destructive, Flag::SensitiveRecord]
        );
        assert_eq!(
            flags(
                "dns_record_manage",
                json!({"action": "delete", "zone": z, "record": {"type": "*", "name": "*"}})
            ),
            [Flag::MassChange]
        );
        assert_eq!(
            flags(
                "dns_record_manage",
                json!({"action": "update", "zone": z, "record": {"id": "1", "type": "A", "name": "api.example.com", "content": "192.0.2.1", "proxied": false}})
            ),
            [Flag::SecurityDowngrade]
        );
        assert_eq!(
            flags(
                "dns_record_manage",
                json!({"action": "create", "zone": z, "record": {"type": "A", "name": "v6.example.com", "content": "192.0.2.1", "proxied": true}})
            ),
            []
        );
        // A dry run of a sensitive change changes nothing.
        assert_eq!(
            flags(
                "dns_record_manage",
                json!({"action": "create", "zone": z, "dry_run": true, "record": {"type": "MX", "name": "example.com", "content": "mx"}})
            ),
            []
        );
        let ids: Vec<String> = (0..11).map(|i| i.to_string()).collect();
        assert_eq!(
            flags(
                "dns_record_manage",
                json!({"action": "delete", "zone": z, "ids": ids, "record": {"id": "0"}})
            ),
            [Flag::MassChange]
        );
    }

    #[test]
    fn unproxying_a_record_the_snapshot_shows_unproxied_is_no_downgrade() {
        let snapshot = crate::snapshot::demo();
        let zone = &snapshot.zones[0];
        let unproxied = zone
            .dns_records
            .iter()
            .find(|r| {
                r.record_type.as_str() == "A"
                    && r.proxied.get() == Some(&false)
                    && r.id.get().is_some()
            })
            .expect("the demo has an unproxied A record");
        let mut c = ctx();
        c.zones_allowed = vec!["*".into()];
        let args = |id: &str| json!({"action": "update", "zone": zone.zone.name.to_string(), "record": {"id": id, "type": "A", "name": "x", "content": "192.0.2.1", "proxied": false}});
        let id = unproxied.id.get().unwrap().to_string();
        assert_eq!(
            flags_with("dns_record_manage", args(&id), &c, Some(&snapshot)),
            []
        );
        assert_eq!(
            flags_with(
                "dns_record_manage",
                args("not-in-snapshot"),
                &c,
                Some(&snapshot)
            ),
            [Flag::SecurityDowngrade]
        );
    }

    #[test]
    fn waf_semantics() {
        let z = "example.com";
        let rule = |action: &str, expression: &str| json!({"action": "create", "zone": z, "rule": {"expression": expression, "action": action}});
        assert_eq!(
            flags("waf_rule_configure", rule("skip", "true")),
            [Flag::SecurityDowngrade]
        );
        assert_eq!(
            flags(
                "waf_rule_configure",
                rule("allow", r#"(ip.src.country eq "US")"#)
            ),
            [Flag::SecurityDowngrade]
        );
        assert_eq!(
            flags(
                "waf_rule_configure",
                rule(
                    "skip",
                    r#"(ip.src eq 192.0.2.1 and http.request.uri.path eq "/healthz")"#
                )
            ),
            []
        );
        assert_eq!(flags("waf_rule_configure", rule("block", "true")), []);
        assert_eq!(
            flags(
                "waf_rule_configure",
                json!({"action": "disable", "zone": z, "rule": {"id": "1"}})
            ),
            [Flag::SecurityDowngrade]
        );
        assert_eq!(
            flags(
                "waf_rule_configure",
                json!({"action": "delete", "zone": z, "rule": {"id": "1"}})
            ),
            [Flag::SecurityDowngrade, Flag::Destructive]
        );
        assert_eq!(
            flags(
                "waf_rule_configure",
                json!({"action": "disable", "zone": z, "rule": {"id": "*"}})
            ),
            [Flag::MassChange, Flag::SecurityDowngrade]
        );
        assert_eq!(
            flags(
                "waf_rule_configure",
                json!({"action": "enable", "zone": z, "rule": {"id": "1"}})
            ),
            []
        );
        assert_eq!(
            flags(
                "waf_rule_configure",
                json!({"action": "update", "zone": z, "rule": {"id": "1", "action": "log"}})
            ),
            [Flag::SecurityDowngrade]
        );
        assert_eq!(
            flags(
                "waf_rule_configure",
                rule("log", r#"(http.user_agent contains "curl")"#)
            ),
            []
        );
    }

    #[test]
    fn scope_zone_account_and_token() {
        assert_eq!(
            flags(
                "dns_record_manage",
                json!({"action": "list", "zone": "other.org"})
            ),
            [Flag::ScopeViolation]
        );
        assert_eq!(
            flags("tunnel_health_check", json!({"account_id": "someone-else"})),
            [Flag::ScopeViolation]
        );
        assert_eq!(
            flags("tunnel_health_check", json!({"account_id": "ACC"})),
            []
        );
        let mut read_only = ctx();
        read_only.scopes = vec!["dns:read".into()];
        let create = json!({"action": "create", "zone": "example.com", "record": {"type": "A", "name": "a.example.com", "content": "192.0.2.1", "proxied": true}});
        assert_eq!(
            flags_with("dns_record_manage", create, &read_only, None),
            [Flag::ScopeViolation]
        );
    }

    #[test]
    fn unknown_tools_are_flagged_with_what_they_would_do() {
        assert_eq!(flags("DNS_Record_Manage", json!({})), [Flag::UnknownTool]);
        assert_eq!(
            flags(
                "cloudflare_api_raw",
                json!({"method": "PATCH", "path": "/zones/1/settings/ssl", "body": {"value": "off"}})
            ),
            [Flag::SecurityDowngrade, Flag::UnknownTool]
        );
        assert_eq!(
            flags(
                "http_post",
                json!({"url": "https://webhook.site/x", "body": {}})
            ),
            [Flag::SecretExfiltration, Flag::UnknownTool]
        );
        assert_eq!(
            flags("http_post", json!({"url": "https://api.example.com/hook"})),
            [Flag::UnknownTool]
        );
    }
}
