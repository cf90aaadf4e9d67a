//! Request-body validation: the fake rejects what Cloudflare rejects for the fields cfcp sends.
//!
//! Checks follow Cloudflare's documented behaviour and the request schemas in
//! `shared/cloudflare/openapi-requests.json` (the conformance test compares the two). Where the
//! generated schema is stricter than the real API (it marks response-only members such as a rule's
//! `version` as required, and `ttl` as required on DNS writes) the fake follows the real API.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{json, Map, Value};

use crate::envelope::{codes, ApiError};
use crate::util;

/// DNS record types Cloudflare accepts on writes.
pub const RECORD_TYPES: &[&str] = &[
    "A",
    "AAAA",
    "CAA",
    "CERT",
    "CNAME",
    "DNSKEY",
    "DS",
    "HTTPS",
    "LOC",
    "MX",
    "NAPTR",
    "NS",
    "OPENPGPKEY",
    "PTR",
    "SMIMEA",
    "SRV",
    "SSHFP",
    "SVCB",
    "TLSA",
    "TXT",
    "URI",
];

/// Types whose value is in `content`.
const CONTENT_TYPES: &[&str] = &["A", "AAAA", "CNAME", "TXT", "MX", "NS", "PTR", "OPENPGPKEY"];

/// Types whose value is in the structured `data` member.
const DATA_TYPES: &[&str] = &[
    "CAA", "CERT", "DNSKEY", "DS", "HTTPS", "LOC", "NAPTR", "SMIMEA", "SRV", "SSHFP", "SVCB",
    "TLSA", "URI",
];

/// Types that can go through Cloudflare's proxy.
pub const PROXIABLE_TYPES: &[&str] = &["A", "AAAA", "CNAME"];

/// DNS 9000-range codes used in `error_chain` (under 1004 `DNS Validation Error`).
pub mod dns_codes {
    /// Unknown or missing record type.
    pub const TYPE: u32 = 9000;
    /// Proxied set on a type that cannot be proxied.
    pub const NOT_PROXIABLE: u32 = 9004;
    /// A or AAAA content that is not an IP address of that family.
    pub const BAD_ADDRESS: u32 = 9005;
    /// Missing or invalid content / data for the type.
    pub const CONTENT: u32 = 9007;
    /// Missing or invalid name.
    pub const NAME: u32 = 9020;
    /// TTL out of range.
    pub const TTL: u32 = 9021;
    /// Missing or invalid priority.
    pub const PRIORITY: u32 = 9100;
    /// A member of the wrong JSON type.
    pub const MEMBER_TYPE: u32 = 9101;
}

/// Ruleset phases Cloudflare knows (the path parameter's enum).
pub const PHASES: &[&str] = &[
    "ddos_l4",
    "ddos_l7",
    "http_config_settings",
    "http_custom_errors",
    "http_log_custom_fields",
    "http_ratelimit",
    "http_request_cache_settings",
    "http_request_dynamic_redirect",
    "http_request_firewall_custom",
    "http_request_firewall_managed",
    "http_request_late_transform",
    "http_request_origin",
    "http_request_redirect",
    "http_request_sanitize",
    "http_request_sbfm",
    "http_request_transform",
    "http_response_compression",
    "http_response_firewall_managed",
    "http_response_headers_transform",
    "magic_transit",
    "magic_transit_ids_managed",
    "magic_transit_managed",
    "magic_transit_ratelimit",
];

/// Rule actions Cloudflare knows.
pub const ACTIONS: &[&str] = &[
    "block",
    "challenge",
    "compress_response",
    "ddos_dynamic",
    "execute",
    "force_connection_close",
    "js_challenge",
    "log",
    "log_custom_field",
    "managed_challenge",
    "redirect",
    "rewrite",
    "route",
    "score",
    "serve_error",
    "set_cache_settings",
    "set_config",
    "skip",
];

/// Maximum length of a rule expression.
pub const MAX_EXPRESSION_LEN: usize = 4096;

/// Rate limiting periods Cloudflare accepts.
pub const RATELIMIT_PERIODS: &[i64] = &[10, 60, 120, 300, 600, 3600];

/// Parses a JSON request body; an empty or malformed body is a 400.
pub fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_body(
            "Request body is invalid: empty body",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::invalid_body(format!("Request body is invalid: malformed JSON ({e})"))
    })
}

/// The body as an object, or a 400.
pub fn object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.as_object()
        .ok_or_else(|| ApiError::invalid_body("Request body is invalid: expected a JSON object"))
}

fn dns(code: u32, message: impl Into<String>) -> ApiError {
    ApiError::dns_validation(code, message)
}

/// What a DNS write carries, after validation: the record members Cloudflare stores.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordInput {
    /// Record members (`name`, `type`, `content`, `ttl`, ...), normalized.
    pub members: Map<String, Value>,
}

/// Members of a record a client may write.
const WRITABLE: &[&str] = &[
    "name", "type", "content", "ttl", "proxied", "priority", "data", "comment", "tags", "settings",
];

/// Validates a DNS record write (create, PUT, or a PATCH already merged onto the stored record)
/// for a zone named `zone_name`; returns the normalized writable members.
pub fn dns_record(
    body: &Map<String, Value>,
    zone_name: &str,
    enterprise: bool,
) -> Result<RecordInput, ApiError> {
    let mut m = Map::new();
    for key in WRITABLE {
        if let Some(v) = body.get(*key) {
            m.insert((*key).to_owned(), v.clone());
        }
    }
    let rtype = match m.get("type") {
        Some(Value::String(t)) if RECORD_TYPES.contains(&t.as_str()) => t.clone(),
        Some(Value::String(t)) => {
            return Err(dns(
                dns_codes::TYPE,
                format!("DNS record type \"{t}\" is invalid."),
            ))
        }
        Some(_) => return Err(dns(dns_codes::TYPE, "type must be a string")),
        None => return Err(dns(dns_codes::TYPE, "DNS record type is required.")),
    };
    let name = match m.get("name") {
        Some(Value::String(n)) if !n.trim().is_empty() => normalize_name(n.trim(), zone_name),
        Some(Value::String(_)) | None => return Err(dns(dns_codes::NAME, "DNS name is invalid.")),
        Some(_) => return Err(dns(dns_codes::NAME, "name must be a string")),
    };
    if name.len() > 255
        || name
            .split('.')
            .any(|label| label.is_empty() || label.len() > 63)
    {
        return Err(dns(dns_codes::NAME, "DNS name is invalid."));
    }
    m.insert("name".into(), Value::String(name.clone()));

    // ttl: 1 (automatic) or 60..86400 (30.. on Enterprise). Missing means automatic.
    let min_ttl = if enterprise { 30 } else { 60 };
    match m.get("ttl") {
        None => {
            m.insert("ttl".into(), json!(1));
        }
        Some(Value::Number(n)) => {
            let ttl = n.as_i64().filter(|_| n.is_i64() || n.is_u64());
            match ttl {
                Some(1) => {}
                Some(t) if (min_ttl..=86400).contains(&t) => {}
                _ => {
                    return Err(dns(
                        dns_codes::TTL,
                        format!("Invalid TTL. Must be between {min_ttl} and 86400 seconds, or 1 for Automatic."),
                    ))
                }
            }
        }
        Some(_) => return Err(dns(dns_codes::MEMBER_TYPE, "ttl must be a number")),
    }

    let proxiable = PROXIABLE_TYPES.contains(&rtype.as_str());
    match m.get("proxied") {
        None | Some(Value::Null) => {
            m.insert("proxied".into(), Value::Bool(false));
        }
        Some(Value::Bool(true)) if !proxiable => {
            return Err(dns(
                dns_codes::NOT_PROXIABLE,
                format!("{rtype} records cannot be proxied."),
            ))
        }
        Some(Value::Bool(_)) => {}
        Some(_) => return Err(dns(dns_codes::MEMBER_TYPE, "proxied must be a boolean")),
    }
    if m.get("proxied") == Some(&Value::Bool(true)) {
        // Proxied records always have an automatic TTL.
        m.insert("ttl".into(), json!(1));
    }

    match m.get("comment") {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(_) => return Err(dns(dns_codes::MEMBER_TYPE, "comment must be a string")),
    }
    match m.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tags)) if tags.iter().all(Value::is_string) => {}
        Some(_) => {
            return Err(dns(
                dns_codes::MEMBER_TYPE,
                "tags must be an array of strings",
            ))
        }
    }
    match m.get("settings") {
        None | Some(Value::Object(_)) => {}
        Some(_) => return Err(dns(dns_codes::MEMBER_TYPE, "settings must be an object")),
    }
    match m.get("priority") {
        None | Some(Value::Null) => {
            if rtype == "MX" || rtype == "URI" {
                return Err(dns(
                    dns_codes::PRIORITY,
                    format!("priority is required for {rtype} records."),
                ));
            }
        }
        Some(Value::Number(n)) if n.as_u64().is_some_and(|p| p <= 65535) => {}
        Some(_) => {
            return Err(dns(
                dns_codes::PRIORITY,
                "priority must be an integer between 0 and 65535.",
            ))
        }
    }

    let content = m.get("content").cloned();
    match &content {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(_) => return Err(dns(dns_codes::MEMBER_TYPE, "content must be a string")),
    }
    let content_str = content.as_ref().and_then(Value::as_str).unwrap_or("");
    if CONTENT_TYPES.contains(&rtype.as_str()) {
        if content_str.is_empty() {
            return Err(dns(
                dns_codes::CONTENT,
                format!("Content for {rtype} record is invalid."),
            ));
        }
        match rtype.as_str() {
            "A" if content_str.parse::<Ipv4Addr>().is_err() => {
                return Err(dns(
                    dns_codes::BAD_ADDRESS,
                    "Content for A record is invalid. Must be a valid IPv4 address",
                ))
            }
            "AAAA" if content_str.parse::<Ipv6Addr>().is_err() => {
                return Err(dns(
                    dns_codes::BAD_ADDRESS,
                    "Content for AAAA record is invalid. Must be a valid IPv6 address",
                ))
            }
            "CNAME"
                if content_str
                    .trim_end_matches('.')
                    .eq_ignore_ascii_case(&name) =>
            {
                return Err(dns(
                    dns_codes::CONTENT,
                    "CNAME content cannot reference itself.",
                ))
            }
            "TXT" if content_str.len() > 4096 => {
                return Err(dns(
                    dns_codes::CONTENT,
                    "Content for TXT record is too long.",
                ))
            }
            _ => {}
        }
        m.remove("data");
    } else if DATA_TYPES.contains(&rtype.as_str()) {
        match m.get("data") {
            Some(Value::Object(d)) if !d.is_empty() => {
                let derived = content_from_data(&rtype, d);
                m.insert("content".into(), Value::String(derived));
            }
            Some(Value::Object(_)) | None | Some(Value::Null) => {
                return Err(dns(
                    dns_codes::CONTENT,
                    format!("Data for {rtype} record is required."),
                ))
            }
            Some(_) => return Err(dns(dns_codes::MEMBER_TYPE, "data must be an object")),
        }
    }
    Ok(RecordInput { members: m })
}

/// Expands `@` and relative names to the zone, as Cloudflare does, and lower-cases nothing
/// (Cloudflare keeps the case it is sent).
pub fn normalize_name(name: &str, zone_name: &str) -> String {
    let name = name.trim_end_matches('.');
    if name == "@" || zone_name.is_empty() {
        return if name == "@" {
            zone_name.to_owned()
        } else {
            name.to_owned()
        };
    }
    let lower = name.to_ascii_lowercase();
    let zone = zone_name.to_ascii_lowercase();
    if lower == zone || lower.ends_with(&format!(".{zone}")) {
        name.to_owned()
    } else {
        format!("{name}.{zone_name}")
    }
}

/// The presentation-format content Cloudflare derives from `data`.
pub fn content_from_data(rtype: &str, d: &Map<String, Value>) -> String {
    let s = |k: &str| -> String {
        match d.get(k) {
            Some(Value::String(v)) => v.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        }
    };
    match rtype {
        "CAA" => format!("{} {} \"{}\"", s("flags"), s("tag"), s("value")),
        "SRV" => format!("{} {} {}", s("weight"), s("port"), s("target")),
        "URI" => format!("{} \"{}\"", s("weight"), s("target")),
        "HTTPS" | "SVCB" => format!("{} {} {}", s("priority"), s("target"), s("value")),
        "TLSA" | "SMIMEA" => format!(
            "{} {} {} {}",
            s("usage"),
            s("selector"),
            s("matching_type"),
            s("certificate")
        ),
        "SSHFP" => format!("{} {} {}", s("algorithm"), s("type"), s("fingerprint")),
        "DS" => format!(
            "{} {} {} {}",
            s("key_tag"),
            s("algorithm"),
            s("digest_type"),
            s("digest")
        ),
        "DNSKEY" => format!(
            "{} {} {} {}",
            s("flags"),
            s("protocol"),
            s("algorithm"),
            s("public_key")
        ),
        _ => d
            .values()
            .map(|v| match v {
                Value::String(t) => t.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
    .trim()
    .to_owned()
}

/// String settings whose values are a closed set.
fn setting_enum(id: &str) -> Option<&'static [&'static str]> {
    Some(match id {
        "ssl" => &["off", "flexible", "full", "strict"],
        "min_tls_version" => &["1.0", "1.1", "1.2", "1.3"],
        "security_level" => &[
            "off",
            "essentially_off",
            "low",
            "medium",
            "high",
            "under_attack",
        ],
        "tls_1_3" => &["on", "off", "zrt"],
        "cache_level" => &["aggressive", "basic", "simplified"],
        "polish" => &["off", "lossless", "lossy"],
        "ssl_recommender" => return None,
        _ => return None,
    })
}

/// Validates a setting PATCH body against the current setting object; returns the new value.
pub fn setting_patch(id: &str, body: &Value, current: &Value) -> Result<Value, ApiError> {
    let invalid = || {
        ApiError::new(
            400,
            codes::INVALID_SETTING_VALUE,
            format!("Invalid value for zone setting {id}"),
        )
    };
    let obj = object(body)?;
    let value = obj.get("value").ok_or_else(invalid)?;
    let old = current.get("value").unwrap_or(&Value::Null);
    if let Some(allowed) = setting_enum(id) {
        return match value.as_str() {
            Some(v) if allowed.contains(&v) => Ok(value.clone()),
            _ => Err(invalid()),
        };
    }
    let ok = match old {
        Value::String(o) if o == "on" || o == "off" => {
            matches!(value.as_str(), Some("on") | Some("off"))
        }
        Value::String(_) => value.is_string(),
        Value::Number(_) => value.is_number(),
        Value::Bool(_) => value.is_boolean(),
        Value::Array(_) => value.is_array(),
        Value::Object(_) => value.is_object(),
        Value::Null => !value.is_null(),
    };
    if ok {
        Ok(value.clone())
    } else {
        Err(invalid())
    }
}

fn generic(message: impl Into<String>) -> ApiError {
    ApiError::new(400, codes::VALIDATION, message)
}

/// Validates a DNSSEC PATCH body; returns the members to apply.
pub fn dnssec_patch(body: &Value) -> Result<Map<String, Value>, ApiError> {
    let obj = object(body)?;
    let mut out = Map::new();
    for (k, v) in obj {
        match k.as_str() {
            "status" => match v.as_str() {
                Some("active") | Some("disabled") => {
                    out.insert(k.clone(), v.clone());
                }
                _ => return Err(generic("status must be \"active\" or \"disabled\"")),
            },
            "dnssec_multi_signer" | "dnssec_presigned" | "dnssec_use_nsec3" => {
                if !v.is_boolean() {
                    return Err(generic(format!("{k} must be a boolean")));
                }
                out.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Bot management members and what they accept (`None`: boolean; `Some`: one of the strings).
const BOT_FIELDS: &[(&str, Option<&[&str]>)] = &[
    (
        "ai_bots_protection",
        Some(&["block", "disabled", "only_on_ad_pages"]),
    ),
    ("cf_robots_variant", Some(&["off", "policy_only"])),
    ("crawler_protection", Some(&["enabled", "disabled"])),
    ("enable_js", None),
    ("fight_mode", None),
    ("is_robots_txt_managed", None),
    ("optimize_wordpress", None),
    (
        "sbfm_definitely_automated",
        Some(&["allow", "block", "managed_challenge"]),
    ),
    (
        "sbfm_likely_automated",
        Some(&["allow", "block", "managed_challenge"]),
    ),
    ("sbfm_static_resource_protection", None),
    ("sbfm_verified_bots", Some(&["allow", "block"])),
    ("auto_update_model", None),
    ("bm_cookie_enabled", None),
    ("suppress_session_score", None),
];

/// Validates a bot management PUT body; returns the members to apply.
pub fn bot_management(body: &Value) -> Result<Map<String, Value>, ApiError> {
    let obj = object(body)?;
    let mut out = Map::new();
    for (k, v) in obj {
        let Some((_, allowed)) = BOT_FIELDS.iter().find(|(n, _)| n == k) else {
            continue;
        };
        let ok = match allowed {
            None => v.is_boolean(),
            Some(values) => v.as_str().is_some_and(|s| values.contains(&s)),
        };
        if !ok {
            return Err(generic(format!("Invalid value for {k}")));
        }
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
}

/// Validates one rule of a ruleset write; `pointer` locates it in the body (`/rules/3`).
/// With `partial`, missing members are allowed (a rule PATCH).
pub fn rule(
    rule: &Value,
    pointer: &str,
    phase: Option<&str>,
    partial: bool,
) -> Result<(), ApiError> {
    let err = |member: &str, message: String| {
        ApiError::ruleset_validation(&format!("{pointer}{member}"), message)
    };
    let obj = rule
        .as_object()
        .ok_or_else(|| err("", "a rule must be a JSON object".into()))?;
    match obj.get("action") {
        Some(Value::String(a)) if ACTIONS.contains(&a.as_str()) => {}
        Some(Value::String(a)) => {
            return Err(err(
                "/action",
                format!(
                "'{a}' is not a valid value for action because it's not one of the allowed actions"
            ),
            ))
        }
        Some(_) => return Err(err("/action", "action must be a string".into())),
        None if partial => {}
        None => return Err(err("/action", "action is required".into())),
    }
    match obj.get("expression") {
        Some(Value::String(e)) if e.trim().is_empty() => {
            return Err(err(
                "/expression",
                "the expression must not be empty".into(),
            ))
        }
        Some(Value::String(e)) if e.chars().count() > MAX_EXPRESSION_LEN => {
            return Err(err(
                "/expression",
                format!(
                    "the expression is longer than the maximum of {MAX_EXPRESSION_LEN} characters"
                ),
            ))
        }
        Some(Value::String(_)) => {}
        Some(_) => return Err(err("/expression", "expression must be a string".into())),
        None if partial => {}
        None => return Err(err("/expression", "expression is required".into())),
    }
    for (member, check, what) in [
        (
            "enabled",
            Value::is_boolean as fn(&Value) -> bool,
            "a boolean",
        ),
        ("description", Value::is_string, "a string"),
        ("ref", Value::is_string, "a string"),
        ("action_parameters", Value::is_object, "an object"),
        ("ratelimit", Value::is_object, "an object"),
        ("logging", Value::is_object, "an object"),
    ] {
        if let Some(v) = obj.get(member) {
            if !check(v) {
                return Err(err(
                    &format!("/{member}"),
                    format!("{member} must be {what}"),
                ));
            }
        }
    }
    if obj.get("action").and_then(Value::as_str) == Some("execute") {
        let id = obj
            .get("action_parameters")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str);
        if id.map_or(true, str::is_empty) {
            return Err(err(
                "/action_parameters/id",
                "an execute rule needs the id of the ruleset to execute".into(),
            ));
        }
    }
    if let Some(rl) = obj.get("ratelimit") {
        if let Some(period) = rl.get("period") {
            if !period
                .as_i64()
                .is_some_and(|p| RATELIMIT_PERIODS.contains(&p))
            {
                return Err(err(
                    "/ratelimit/period",
                    "period must be one of 10, 60, 120, 300, 600, 3600".into(),
                ));
            }
        } else {
            return Err(err("/ratelimit/period", "period is required".into()));
        }
        match rl.get("characteristics") {
            Some(Value::Array(c)) if c.iter().all(Value::is_string) => {
                if !c.iter().any(|x| x.as_str() == Some("cf.colo.id")) {
                    return Err(err(
                        "/ratelimit/characteristics",
                        "characteristics must include cf.colo.id".into(),
                    ));
                }
            }
            _ => {
                return Err(err(
                    "/ratelimit/characteristics",
                    "characteristics must be an array of strings".into(),
                ))
            }
        }
    } else if phase == Some("http_ratelimit") && !partial {
        return Err(err(
            "/ratelimit",
            "rules in the http_ratelimit phase need ratelimit".into(),
        ));
    }
    Ok(())
}

/// Validates a ruleset write (entrypoint PUT): `rules` array and optional name/description.
pub fn ruleset_put(body: &Value, phase: &str) -> Result<(), ApiError> {
    let obj = object(body)?;
    for member in ["name", "description"] {
        if let Some(v) = obj.get(member) {
            if !v.is_string() {
                return Err(ApiError::ruleset_validation(
                    &format!("/{member}"),
                    format!("{member} must be a string"),
                ));
            }
        }
    }
    match obj.get("rules") {
        None => Ok(()),
        Some(Value::Array(rules)) => {
            for (i, r) in rules.iter().enumerate() {
                rule(r, &format!("/rules/{i}"), Some(phase), false)?;
            }
            Ok(())
        }
        Some(_) => Err(ApiError::ruleset_validation(
            "/rules",
            "rules must be an array",
        )),
    }
}

/// Validates a tunnel configuration PUT body.
pub fn tunnel_configuration(body: &Value) -> Result<Value, ApiError> {
    let bad = |m: String| ApiError::new(400, codes::TUNNEL_CONFIG_INVALID, m);
    let obj = object(body)?;
    let config = match obj.get("config") {
        Some(Value::Object(c)) => c,
        Some(_) => return Err(bad("Validation failed: config must be an object".into())),
        None => return Err(bad("Validation failed: config is required".into())),
    };
    if let Some(or) = config.get("originRequest") {
        if !or.is_object() {
            return Err(bad(
                "Validation failed: originRequest must be an object".into()
            ));
        }
    }
    match config.get("ingress") {
        None => {}
        Some(Value::Array(rules)) => {
            if rules.is_empty() {
                return Err(bad(
                    "Validation failed: at least one ingress rule is required".into(),
                ));
            }
            for (i, r) in rules.iter().enumerate() {
                let Some(r) = r.as_object() else {
                    return Err(bad(format!(
                        "Validation failed: ingress rule #{} must be an object",
                        i + 1
                    )));
                };
                if !r
                    .get("service")
                    .is_some_and(|s| s.as_str().is_some_and(|s| !s.is_empty()))
                {
                    return Err(bad(format!(
                        "Validation failed: ingress rule #{} needs a service",
                        i + 1
                    )));
                }
                for member in ["hostname", "path"] {
                    if r.get(member).is_some_and(|v| !v.is_string()) {
                        return Err(bad(format!(
                            "Validation failed: ingress rule #{} {member} must be a string",
                            i + 1
                        )));
                    }
                }
                if r.get("originRequest").is_some_and(|v| !v.is_object()) {
                    return Err(bad(format!(
                        "Validation failed: ingress rule #{} originRequest must be an object",
                        i + 1
                    )));
                }
            }
            if let Some(Value::Object(last)) = rules.last() {
                let host = last.get("hostname").and_then(Value::as_str).unwrap_or("");
                let path = last.get("path").and_then(Value::as_str).unwrap_or("");
                if !(host.is_empty() || host == "*") || !path.is_empty() {
                    return Err(bad(
                        "Validation failed: The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)"
                            .into(),
                    ));
                }
            }
        }
        Some(_) => return Err(bad("Validation failed: ingress must be an array".into())),
    }
    Ok(Value::Object(config.clone()))
}

/// Validates the items of a list-items POST for a list of `kind`.
pub fn list_items(body: &Value, kind: &str) -> Result<Vec<Map<String, Value>>, ApiError> {
    let bad = |m: String| ApiError::new(400, codes::LIST_ITEM_INVALID, m);
    let items = body.as_array().ok_or_else(|| {
        ApiError::invalid_body("Request body is invalid: expected an array of list items")
    })?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            return Err(bad(format!("item {i}: expected an object")));
        };
        let mut m = Map::new();
        match kind {
            "ip" => {
                let ip = obj
                    .get("ip")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("item {i}: ip is required")))?;
                if !valid_list_ip(ip) {
                    return Err(bad(format!("item {i}: {ip:?} is not a valid IP address or CIDR (IPv4 /8-/32, IPv6 /4-/64)")));
                }
                m.insert("ip".into(), json!(ip));
            }
            "asn" => {
                let asn = obj
                    .get("asn")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad(format!("item {i}: asn must be a number")))?;
                m.insert("asn".into(), json!(asn));
            }
            "hostname" => {
                let h = obj
                    .get("hostname")
                    .filter(|h| h.is_object())
                    .ok_or_else(|| bad(format!("item {i}: hostname must be an object")))?;
                m.insert("hostname".into(), h.clone());
            }
            "redirect" => {
                let r = obj
                    .get("redirect")
                    .filter(|r| r.is_object())
                    .ok_or_else(|| bad(format!("item {i}: redirect must be an object")))?;
                m.insert("redirect".into(), r.clone());
            }
            other => return Err(bad(format!("lists of kind {other:?} cannot take items"))),
        }
        match obj.get("comment") {
            None => {}
            Some(Value::String(c)) => {
                m.insert("comment".into(), json!(c));
            }
            Some(_) => return Err(bad(format!("item {i}: comment must be a string"))),
        }
        out.push(m);
    }
    Ok(out)
}

/// An IP address or CIDR that IP lists accept.
pub fn valid_list_ip(text: &str) -> bool {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => match p.parse::<u8>() {
            Ok(p) => (a, Some(p)),
            Err(_) => return false,
        },
        None => (text, None),
    };
    if addr.parse::<Ipv4Addr>().is_ok() {
        prefix.map_or(true, |p| (8..=32).contains(&p))
    } else if addr.parse::<Ipv6Addr>().is_ok() {
        prefix.map_or(true, |p| (4..=64).contains(&p))
    } else {
        false
    }
}

/// A Cloudflare identifier or a UUID.
pub fn looks_like_id(id: &str) -> bool {
    util::is_hex32(id) || util::is_uuid(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(v: Value) -> Result<RecordInput, ApiError> {
        dns_record(v.as_object().unwrap(), "example.com", false)
    }

    #[test]
    fn dns_records() {
        let ok = rec(json!({"type":"A","name":"www","content":"192.0.2.1","ttl":300})).unwrap();
        assert_eq!(ok.members["name"], "www.example.com");
        assert_eq!(ok.members["proxied"], false);
        assert_eq!(
            rec(json!({"type":"A","name":"@","content":"192.0.2.1"}))
                .unwrap()
                .members["ttl"],
            1
        );
        let e = rec(json!({"type":"A","name":"www","content":"nope"})).unwrap_err();
        assert_eq!(e.errors[0].code, codes::DNS_VALIDATION);
        assert_eq!(e.errors[0].chain[0].code, dns_codes::BAD_ADDRESS);
        assert!(rec(json!({"type":"AAAA","name":"x","content":"192.0.2.1"})).is_err());
        assert!(rec(json!({"type":"TXT","name":"x","content":"v","proxied":true})).is_err());
        assert!(rec(json!({"type":"A","name":"x","content":"192.0.2.1","ttl":5})).is_err());
        assert!(dns_record(
            json!({"type":"A","name":"x","content":"192.0.2.1","ttl":30})
                .as_object()
                .unwrap(),
            "example.com",
            true
        )
        .is_ok());
        assert!(rec(json!({"type":"MX","name":"x","content":"mx.example.com"})).is_err());
        assert!(
            rec(json!({"type":"MX","name":"x","content":"mx.example.com","priority":10})).is_ok()
        );
        assert!(rec(json!({"type":"CAA","name":"x"})).is_err());
        let caa = rec(json!({"type":"CAA","name":"x","data":{"flags":0,"tag":"issue","value":"letsencrypt.org"}})).unwrap();
        assert_eq!(caa.members["content"], "0 issue \"letsencrypt.org\"");
        assert!(rec(json!({"type":"BOGUS","name":"x","content":"y"})).is_err());
        assert!(rec(json!({"type":"A","name":"","content":"192.0.2.1"})).is_err());
        assert!(rec(json!({"type":"A","name":"x","content":"192.0.2.1","tags":[1]})).is_err());
        let proxied =
            rec(json!({"type":"A","name":"x","content":"192.0.2.1","proxied":true,"ttl":300}))
                .unwrap();
        assert_eq!(proxied.members["ttl"], 1);
    }

    #[test]
    fn rules_and_rulesets() {
        assert!(rule(
            &json!({"action":"block","expression":"ip.src eq 192.0.2.1"}),
            "/rules/0",
            None,
            false
        )
        .is_ok());
        let e = rule(
            &json!({"action":"explode","expression":"true"}),
            "/rules/0",
            None,
            false,
        )
        .unwrap_err();
        assert_eq!(e.errors[0].pointer.as_deref(), Some("/rules/0/action"));
        assert!(rule(
            &json!({"action":"block","expression":"x".repeat(4097)}),
            "",
            None,
            false
        )
        .is_err());
        assert!(rule(
            &json!({"action":"execute","expression":"true"}),
            "",
            None,
            false
        )
        .is_err());
        assert!(rule(&json!({"action":"block","expression":"true","ratelimit":{"period":60,"characteristics":["ip.src"]}}), "", None, false).is_err());
        assert!(rule(
            &json!({"action":"block","expression":"true"}),
            "",
            Some("http_ratelimit"),
            false
        )
        .is_err());
        assert!(rule(&json!({"enabled":false}), "", None, true).is_ok());
        assert!(ruleset_put(&json!({"rules":"x"}), "http_request_firewall_custom").is_err());
    }

    #[test]
    fn tunnels_settings_lists() {
        assert!(tunnel_configuration(&json!({"config":{"ingress":[{"hostname":"a.example.com","service":"http://localhost:80"},{"service":"http_status:404"}]}})).is_ok());
        assert!(tunnel_configuration(&json!({"config":{"ingress":[{"hostname":"a.example.com","service":"http://localhost:80"}]}})).is_err());
        assert!(tunnel_configuration(&json!({})).is_err());
        let cur = json!({"id":"ssl","value":"full"});
        assert!(setting_patch("ssl", &json!({"value":"strict"}), &cur).is_ok());
        assert!(setting_patch("ssl", &json!({"value":"bogus"}), &cur).is_err());
        assert!(setting_patch("ssl", &json!({}), &cur).is_err());
        let onoff = json!({"id":"always_use_https","value":"off"});
        assert!(setting_patch("always_use_https", &json!({"value":"maybe"}), &onoff).is_err());
        assert!(valid_list_ip("192.0.2.0/24"));
        assert!(!valid_list_ip("192.0.2.0/4"));
        assert!(valid_list_ip("2001:db8::/48"));
        assert!(!valid_list_ip("2001:db8::/96"));
        assert!(list_items(&json!([{"ip":"192.0.2.1","comment":"x"}]), "ip").is_ok());
        assert!(list_items(&json!([{"ip":"nope"}]), "ip").is_err());
        assert!(dnssec_patch(&json!({"status":"on"})).is_err());
        assert!(bot_management(&json!({"fight_mode":"yes"})).is_err());
        assert!(bot_management(&json!({"fight_mode":true,"ai_bots_protection":"block"})).is_ok());
    }
}
