//! Routing and the endpoint handlers of `/client/v4`.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method};
use serde_json::{json, Map, Value};

use crate::auth::{permission_groups, Credentials, Presented, Principal};
use crate::envelope::{codes, ApiError, ApiOk, ApiResult};
use crate::state::{State, ZoneState};
use crate::util::{self, now_rfc3339};
use crate::validate::{self, PHASES};

/// Managed rulesets the fake can name (id, name).
pub const MANAGED_RULESETS: &[(&str, &str)] = &[
    (
        "efb7b8c949ac4650a09736fc376e9aee",
        "Cloudflare Managed Ruleset",
    ),
    (
        "4814384a9e5d4991b9815dcfc25d2f1f",
        "Cloudflare OWASP Core Ruleset",
    ),
    (
        "c2e184081120413c86c3ab7e14069605",
        "Cloudflare Exposed Credentials Check Ruleset",
    ),
    (
        "77454fe2d30c4220b5701f6fdfb893ba",
        "Cloudflare Free Managed Ruleset",
    ),
    (
        "e22d83c647c64a3eae91b71b499d988e",
        "Cloudflare Sensitive Data Detection",
    ),
    ("4d21379b4f9f4bb088e0729962c8b3cf", "DDoS L7 ruleset"),
];

/// Largest `per_page` per endpoint (larger values are clamped, as Cloudflare does).
pub mod max_per_page {
    /// `GET /zones`.
    pub const ZONES: usize = 50;
    /// `GET /accounts`.
    pub const ACCOUNTS: usize = 50;
    /// `GET /zones/{id}/dns_records`.
    pub const DNS_RECORDS: usize = 5000;
    /// `GET /accounts/{id}/cfd_tunnel`.
    pub const TUNNELS: usize = 1000;
    /// `GET /zones/{id}/rulesets` (cursor).
    pub const RULESETS: usize = 50;
    /// `GET .../rules/lists/{id}/items` (cursor).
    pub const LIST_ITEMS: usize = 500;
}

/// A request as the handlers see it.
pub struct Request<'a> {
    /// HTTP method.
    pub method: &'a Method,
    /// Path below `/client/v4` (e.g. `/zones/abc`).
    pub path: &'a str,
    /// Decoded query parameters (last value wins).
    pub query: HashMap<String, String>,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// Raw body.
    pub body: &'a [u8],
}

/// Parses a query string into a map (percent-decoding, `+` as space).
pub fn parse_query(query: Option<&str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k), percent_decode(v));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The routes of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    UserTokenVerify,
    UserTokens,
    UserPermissionGroups,
    UserToken(String),
    AccountTokenVerify(String),
    AccountToken(String, String),
    Accounts,
    Account(String),
    Tunnels(String),
    Tunnel(String, String),
    TunnelConfig(String, String),
    TunnelConnections(String, String),
    TunnelToken(String, String),
    Lists(String),
    List(String, String),
    ListItems(String, String),
    ListOperation(String, String),
    Zones,
    Zone(String),
    Settings(String),
    Setting(String, String),
    DnsRecords(String),
    DnsBatch(String),
    DnsRecord(String, String),
    Dnssec(String),
    Rulesets(String),
    Entrypoint(String, String),
    Ruleset(String, String),
    Rules(String, String),
    Rule(String, String, String),
    BotManagement(String),
    Graphql,
}

fn parse_route(path: &str) -> Option<Route> {
    let segs: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let o = |x: &str| x.to_owned();
    Some(match s.as_slice() {
        ["user", "tokens", "verify"] => Route::UserTokenVerify,
        ["user", "tokens"] => Route::UserTokens,
        ["user", "tokens", "permission_groups"] => Route::UserPermissionGroups,
        ["user", "tokens", id] => Route::UserToken(o(id)),
        ["accounts"] => Route::Accounts,
        ["accounts", a] => Route::Account(o(a)),
        ["accounts", a, "tokens", "verify"] => Route::AccountTokenVerify(o(a)),
        ["accounts", a, "tokens", id] => Route::AccountToken(o(a), o(id)),
        ["accounts", a, "cfd_tunnel"] => Route::Tunnels(o(a)),
        ["accounts", a, "cfd_tunnel", t] => Route::Tunnel(o(a), o(t)),
        ["accounts", a, "cfd_tunnel", t, "configurations"] => Route::TunnelConfig(o(a), o(t)),
        ["accounts", a, "cfd_tunnel", t, "connections"] => Route::TunnelConnections(o(a), o(t)),
        ["accounts", a, "cfd_tunnel", t, "token"] => Route::TunnelToken(o(a), o(t)),
        ["accounts", a, "rules", "lists"] => Route::Lists(o(a)),
        ["accounts", a, "rules", "lists", "bulk_operations", op] => {
            Route::ListOperation(o(a), o(op))
        }
        ["accounts", a, "rules", "lists", l] => Route::List(o(a), o(l)),
        ["accounts", a, "rules", "lists", l, "items"] => Route::ListItems(o(a), o(l)),
        ["zones"] => Route::Zones,
        ["zones", z] => Route::Zone(o(z)),
        ["zones", z, "settings"] => Route::Settings(o(z)),
        ["zones", z, "settings", id] => Route::Setting(o(z), o(id)),
        ["zones", z, "dns_records"] => Route::DnsRecords(o(z)),
        ["zones", z, "dns_records", "batch"] => Route::DnsBatch(o(z)),
        ["zones", z, "dns_records", r] => Route::DnsRecord(o(z), o(r)),
        ["zones", z, "dnssec"] => Route::Dnssec(o(z)),
        ["zones", z, "rulesets"] => Route::Rulesets(o(z)),
        ["zones", z, "rulesets", "phases", p, "entrypoint"] => Route::Entrypoint(o(z), o(p)),
        ["zones", z, "rulesets", rs] => Route::Ruleset(o(z), o(rs)),
        ["zones", z, "rulesets", rs, "rules"] => Route::Rules(o(z), o(rs)),
        ["zones", z, "rulesets", rs, "rules", r] => Route::Rule(o(z), o(rs), o(r)),
        ["zones", z, "bot_management"] => Route::BotManagement(o(z)),
        ["graphql"] => Route::Graphql,
        _ => return None,
    })
}

fn methods(route: &Route) -> &'static [Method] {
    use Route::*;
    const GET: &[Method] = &[Method::GET];
    match route {
        TunnelConfig(..) | Entrypoint(..) | BotManagement(_) => &[Method::GET, Method::PUT],
        Tunnel(..) => &[Method::GET, Method::PATCH],
        Setting(..) | Dnssec(_) => &[Method::GET, Method::PATCH],
        DnsRecords(_) | ListItems(..) => &[Method::GET, Method::POST],
        DnsRecord(..) => &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE],
        DnsBatch(_) | Rules(..) | Graphql => &[Method::POST],
        Rule(..) => &[Method::PATCH, Method::DELETE],
        _ => GET,
    }
}

/// The permission a route needs (`None`: any valid credential).
fn permission(route: &Route, method: &Method) -> Option<&'static str> {
    use Route::*;
    let write = *method != Method::GET;
    let pick = |r: &'static str, w: &'static str| Some(if write { w } else { r });
    match route {
        UserTokenVerify | AccountTokenVerify(_) => None,
        UserTokens | UserPermissionGroups | UserToken(_) | AccountToken(..) => {
            Some("API Tokens Read")
        }
        Accounts | Account(_) => Some("Account Settings Read"),
        Tunnels(_) | Tunnel(..) | TunnelConfig(..) | TunnelConnections(..) | TunnelToken(..) => {
            pick("Cloudflare Tunnel Read", "Cloudflare Tunnel Write")
        }
        Lists(_) | List(..) | ListItems(..) | ListOperation(..) => {
            pick("Account Filter Lists Read", "Account Filter Lists Edit")
        }
        Zones | Zone(_) => pick("Zone Read", "Zone Write"),
        Settings(_) | Setting(..) => pick("Zone Settings Read", "Zone Settings Write"),
        DnsRecords(_) | DnsBatch(_) | DnsRecord(..) | Dnssec(_) => pick("DNS Read", "DNS Write"),
        Rulesets(_) | Entrypoint(..) | Ruleset(..) | Rules(..) | Rule(..) => {
            pick("Zone WAF Read", "Zone WAF Write")
        }
        BotManagement(_) => pick("Bot Management Read", "Bot Management Write"),
        Graphql => None,
    }
}

/// Handles one API request (below `/client/v4`): authentication, permission, the endpoint.
pub fn handle(state: &mut State, creds: &Credentials, req: &Request<'_>) -> (Presented, ApiResult) {
    let route = parse_route(req.path);
    let verify = matches!(
        route,
        Some(Route::UserTokenVerify) | Some(Route::AccountTokenVerify(_))
    );
    let (presented, who) = creds.authenticate(req.headers, verify);
    let who = match who {
        Ok(w) => w,
        Err(e) => return (presented, Err(e)),
    };
    let Some(route) = route else {
        return (presented, Err(ApiError::no_route()));
    };
    if !methods(&route).contains(req.method) {
        let e = ApiError::new(
            405,
            codes::METHOD_NOT_ALLOWED,
            format!("Method {} not available for that URI.", req.method),
        );
        return (presented, Err(e));
    }
    if let Some(p) = permission(&route, req.method) {
        if !creds.allows(&who, p) {
            return (presented, Err(ApiError::forbidden()));
        }
    }
    let result = dispatch(state, creds, &who, route, req);
    (presented, result)
}

fn dispatch(
    state: &mut State,
    creds: &Credentials,
    who: &Principal,
    route: Route,
    req: &Request<'_>,
) -> ApiResult {
    use Route::*;
    let m = req.method.clone();
    let q = &req.query;
    match route {
        UserTokenVerify | AccountTokenVerify(_) => {
            if let AccountTokenVerify(a) = &route {
                account_exists(state, a, req.path)?;
            }
            match who {
                Principal::Token(i) => {
                    let mut ok = ApiOk::new(creds.verify_object(*i));
                    ok.messages.push(json!({"code": 10000, "message": "This API Token is valid and active", "type": null}));
                    Ok(ok)
                }
                Principal::ApiKey(_) => Err(ApiError::new(
                    400,
                    codes::MISSING_AUTHORIZATION_HEADER,
                    "Missing \"Authorization\" header",
                )),
            }
        }
        UserTokens => {
            let accounts = account_ids(state);
            let all: Vec<Value> = (0..creds.tokens.len())
                .filter_map(|i| creds.token_object(i, &accounts))
                .collect();
            paginate(&all, q, 20, 50)
        }
        UserPermissionGroups => Ok(ApiOk::new(permission_groups())),
        UserToken(id) => token_by_id(state, creds, &id, req.path),
        AccountToken(a, id) => {
            account_exists(state, &a, req.path)?;
            token_by_id(state, creds, &id, req.path)
        }
        Accounts => {
            forbidden(state, "", "accounts")?;
            let mut all: Vec<Value> = state.accounts.iter().map(|a| a.account.clone()).collect();
            if let Some(name) = q.get("name") {
                all.retain(|a| {
                    a.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| name_matches(n, name))
                });
            }
            paginate(&all, q, 20, max_per_page::ACCOUNTS)
        }
        Account(a) => {
            let acc = account_exists(state, &a, req.path)?;
            Ok(ApiOk::new(acc.account.clone()))
        }
        Tunnels(a) => tunnels_list(state, &a, req),
        Tunnel(a, t) if m == Method::PATCH => tunnel_patch(state, &a, &t, req),
        Tunnel(a, t) => {
            let (ai, ti) = tunnel_index(state, &a, &t, req.path)?;
            Ok(ApiOk::new(state.accounts[ai].tunnels[ti].tunnel.clone()))
        }
        TunnelToken(a, t) => tunnel_token(state, &a, &t, req),
        TunnelConfig(a, t) => tunnel_config(state, &a, &t, req),
        TunnelConnections(a, t) => {
            let (ai, ti) = tunnel_index(state, &a, &t, req.path)?;
            forbidden(state, &a, "tunnel_connections")?;
            Ok(ApiOk::new(Value::Array(
                state.accounts[ai].tunnels[ti].connections.clone(),
            )))
        }
        Lists(a) => {
            let acc = account_exists(state, &a, req.path)?;
            forbidden(state, &a, "lists")?;
            let lists: Vec<Value> = acc.lists.iter().map(|l| l.list.clone()).collect();
            Ok(ApiOk::new(Value::Array(lists)))
        }
        List(a, l) => {
            let (ai, li) = list_index(state, &a, &l, req.path)?;
            Ok(ApiOk::new(state.accounts[ai].lists[li].list.clone()))
        }
        ListItems(a, l) => list_items(state, &a, &l, req),
        ListOperation(a, op) => {
            account_exists(state, &a, req.path)?;
            state
                .operations
                .get(&op)
                .cloned()
                .map(ApiOk::new)
                .ok_or_else(|| ApiError::new(404, codes::LIST_NOT_FOUND, "operation not found"))
        }
        Zones => zones_list(state, q),
        Zone(z) => {
            let zone = zone_ref(state, &z, req.path)?;
            Ok(ApiOk::new(zone.zone.clone()))
        }
        Settings(z) => {
            let zone = zone_ref(state, &z, req.path)?;
            forbidden(state, &zone.name, "settings")?;
            Ok(ApiOk::new(Value::Array(zone.settings.clone())))
        }
        Setting(z, id) => setting(state, &z, &id, req),
        DnsRecords(z) if m == Method::GET => dns_list(state, &z, req),
        DnsRecords(z) => dns_create(state, &z, req),
        DnsBatch(z) => dns_batch(state, &z, req),
        DnsRecord(z, r) => dns_record(state, &z, &r, req),
        Dnssec(z) => dnssec(state, &z, req),
        Rulesets(z) => rulesets_list(state, &z, req),
        Entrypoint(z, phase) => entrypoint(state, &z, &phase, req),
        Ruleset(z, rs) => ruleset_get(state, &z, &rs, req),
        Rules(z, rs) => rule_create(state, &z, &rs, req),
        Rule(z, rs, r) => rule_change(state, &z, &rs, &r, req),
        BotManagement(z) => bot_management(state, &z, req),
        Graphql => crate::graphql::handle(state, creds, who, req.body),
    }
}

// ---------------------------------------------------------------- helpers

fn account_ids(state: &State) -> Vec<String> {
    state.accounts.iter().map(|a| a.id.clone()).collect()
}

fn token_by_id(state: &State, creds: &Credentials, id: &str, path: &str) -> ApiResult {
    let accounts = account_ids(state);
    (0..creds.tokens.len())
        .find(|i| creds.token_id(*i) == id)
        .and_then(|i| creds.token_object(i, &accounts))
        .map(ApiOk::new)
        .ok_or_else(|| ApiError::could_not_route(&format!("/client/v4{path}"), !util::is_hex32(id)))
}

fn name_matches(actual: &str, filter: &str) -> bool {
    let a = actual.to_ascii_lowercase();
    let f = filter.to_ascii_lowercase();
    if let Some(x) = f.strip_prefix("contains:") {
        a.contains(x)
    } else if let Some(x) = f.strip_prefix("starts_with:") {
        a.starts_with(x)
    } else if let Some(x) = f.strip_prefix("ends_with:") {
        a.ends_with(x)
    } else if let Some(x) = f.strip_prefix("equal:") {
        a == x
    } else {
        a == f
    }
}

fn route_path(path: &str) -> String {
    format!("/client/v4{path}")
}

fn zone_ref<'s>(state: &'s State, z: &str, path: &str) -> Result<&'s ZoneState, ApiError> {
    state
        .zone(z)
        .ok_or_else(|| ApiError::could_not_route(&route_path(path), !util::is_hex32(z)))
}

fn zone_mut<'s>(state: &'s mut State, z: &str, path: &str) -> Result<&'s mut ZoneState, ApiError> {
    let malformed = !util::is_hex32(z);
    state
        .zone_mut(z)
        .ok_or_else(|| ApiError::could_not_route(&route_path(path), malformed))
}

fn account_exists<'s>(
    state: &'s State,
    a: &str,
    path: &str,
) -> Result<&'s crate::state::AccountState, ApiError> {
    state
        .account(a)
        .ok_or_else(|| ApiError::could_not_route(&route_path(path), !util::is_hex32(a)))
}

fn forbidden(state: &State, owner: &str, section: &str) -> Result<(), ApiError> {
    if state.is_forbidden(owner, section) {
        Err(ApiError::forbidden())
    } else {
        Ok(())
    }
}

fn body_json(req: &Request<'_>) -> Result<Value, ApiError> {
    validate::parse_body(req.body)
}

fn parse_usize(q: &HashMap<String, String>, key: &str) -> Result<Option<usize>, ApiError> {
    match q.get(key) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v.parse::<usize>().map(Some).map_err(|_| {
            ApiError::new(
                400,
                codes::VALIDATION,
                format!("Invalid value for {key}: must be a positive integer"),
            )
        }),
    }
}

/// Page-based pagination with Cloudflare's `result_info`; `per_page` above `max` is clamped.
pub fn paginate(
    items: &[Value],
    q: &HashMap<String, String>,
    default: usize,
    max: usize,
) -> ApiResult {
    let per_page = parse_usize(q, "per_page")?.unwrap_or(default).clamp(1, max);
    let page = parse_usize(q, "page")?.unwrap_or(1).max(1);
    let start = (page - 1).saturating_mul(per_page).min(items.len());
    let end = start.saturating_add(per_page).min(items.len());
    let slice = items[start..end].to_vec();
    let total = items.len();
    let info = json!({
        "page": page,
        "per_page": per_page,
        "count": slice.len(),
        "total_count": total,
        "total_pages": total.div_ceil(per_page),
    });
    Ok(ApiOk::paged(Value::Array(slice), info))
}

fn cursor_window(
    q: &HashMap<String, String>,
    default: usize,
    max: usize,
    len: usize,
) -> Result<(usize, usize, Option<String>), ApiError> {
    let per_page = parse_usize(q, "per_page")?.unwrap_or(default).clamp(1, max);
    let start = match q.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => util::decode_cursor(c)
            .filter(|o| *o <= len)
            .ok_or_else(|| ApiError::new(400, codes::VALIDATION, "invalid cursor"))?,
    };
    let end = start.saturating_add(per_page).min(len);
    let next = (end < len).then(|| util::encode_cursor(end));
    Ok((start, end, next))
}

// ---------------------------------------------------------------- zones

fn zones_list(state: &State, q: &HashMap<String, String>) -> ApiResult {
    forbidden(state, "", "zones")?;
    let mut all: Vec<&ZoneState> = state.zones.iter().collect();
    if let Some(name) = q.get("name") {
        all.retain(|z| name_matches(&z.name, name));
    }
    if let Some(acc) = q.get("account.id") {
        all.retain(|z| z.account_id() == Some(acc.as_str()));
    }
    if let Some(acc) = q.get("account.name") {
        all.retain(|z| {
            z.zone
                .get("account")
                .and_then(|a| a.get("name"))
                .and_then(Value::as_str)
                .is_some_and(|n| name_matches(n, acc))
        });
    }
    if let Some(status) = q.get("status") {
        all.retain(|z| z.zone.get("status").and_then(Value::as_str) == Some(status.as_str()));
    }
    let values: Vec<Value> = all.iter().map(|z| z.zone.clone()).collect();
    paginate(&values, q, 20, max_per_page::ZONES)
}

fn setting(state: &mut State, z: &str, id: &str, req: &Request<'_>) -> ApiResult {
    let zone = zone_ref(state, z, req.path)?;
    forbidden(state, &zone.name, "settings")?;
    let unknown = || {
        ApiError::new(
            400,
            codes::UNKNOWN_SETTING,
            "Unrecognized zone setting name",
        )
    };
    let idx = zone
        .settings
        .iter()
        .position(|s| s.get("id").and_then(Value::as_str) == Some(id))
        .ok_or_else(unknown)?;
    if *req.method == Method::GET {
        return Ok(ApiOk::new(zone.settings[idx].clone()));
    }
    let body = body_json(req)?;
    let current = &zone.settings[idx];
    if current.get("editable") == Some(&Value::Bool(false)) {
        return Err(ApiError::new(
            400,
            codes::SETTING_NOT_EDITABLE,
            format!("The setting {id} is not editable on this zone"),
        ));
    }
    let value = validate::setting_patch(id, &body, current)?;
    let zone = zone_mut(state, z, req.path)?;
    let s = &mut zone.settings[idx];
    s["value"] = value;
    if s.get("modified_on").is_some() {
        s["modified_on"] = json!(now_rfc3339());
    } else if let Some(obj) = s.as_object_mut() {
        obj.insert("modified_on".into(), json!(now_rfc3339()));
    }
    Ok(ApiOk::new(s.clone()))
}

// ---------------------------------------------------------------- DNS

fn dns_list(state: &State, z: &str, req: &Request<'_>) -> ApiResult {
    let zone = zone_ref(state, z, req.path)?;
    forbidden(state, &zone.name, "dns_records")?;
    let q = &req.query;
    let get = |k: &str, alt: &str| q.get(k).or_else(|| q.get(alt)).map(String::as_str);
    let rtype = get("type", "type");
    let name = get("name", "name.exact");
    let content = get("content", "content.exact");
    let proxied = get("proxied", "proxied");
    let filtered = rtype.is_some() || name.is_some() || content.is_some() || proxied.is_some();
    if !filtered {
        return paginate(&zone.dns_records, q, 100, max_per_page::DNS_RECORDS);
    }
    let matches: Vec<Value> = zone
        .dns_records
        .iter()
        .filter(|r| {
            let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
            rtype.is_none_or_eq(|t| s("type").eq_ignore_ascii_case(t))
                && name.is_none_or_eq(|n| s("name").eq_ignore_ascii_case(n.trim_end_matches('.')))
                && content.is_none_or_eq(|c| s("content") == c)
                && proxied.is_none_or_eq(|p| {
                    r.get("proxied")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                        .to_string()
                        == p
                })
        })
        .cloned()
        .collect();
    paginate(&matches, q, 100, max_per_page::DNS_RECORDS)
}

trait OptExt {
    fn is_none_or_eq(&self, f: impl Fn(&str) -> bool) -> bool;
}

impl OptExt for Option<&str> {
    fn is_none_or_eq(&self, f: impl Fn(&str) -> bool) -> bool {
        match self {
            None => true,
            Some(v) => f(v),
        }
    }
}

fn is_data_type(t: &str) -> bool {
    !matches!(
        t,
        "A" | "AAAA" | "CNAME" | "TXT" | "MX" | "NS" | "PTR" | "OPENPGPKEY"
    )
}

/// Checks a record about to be stored against the zone's others (`self_id` excluded).
fn check_conflicts(
    records: &[Value],
    rec: &Map<String, Value>,
    self_id: Option<&str>,
) -> Result<(), ApiError> {
    let s =
        |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let rtype = s(rec, "type");
    let name = s(rec, "name").to_ascii_lowercase();
    for other in records {
        let Some(o) = other.as_object() else { continue };
        if self_id.is_some() && o.get("id").and_then(Value::as_str) == self_id {
            continue;
        }
        if s(o, "name").to_ascii_lowercase() != name {
            continue;
        }
        let otype = s(o, "type");
        let same_value = if is_data_type(&rtype) {
            o.get("data") == rec.get("data")
        } else {
            s(o, "content").eq_ignore_ascii_case(&s(rec, "content"))
        };
        if otype == rtype && same_value {
            return Err(ApiError::new(
                400,
                codes::IDENTICAL_RECORD,
                "An identical record already exists.",
            ));
        }
        let address = |t: &str| matches!(t, "A" | "AAAA" | "CNAME");
        if (rtype == "CNAME" && address(&otype)) || (otype == "CNAME" && address(&rtype)) {
            return Err(ApiError::new(
                400,
                codes::CNAME_CONFLICT,
                "An A, AAAA, or CNAME record with that host already exists.",
            ));
        }
        if rtype == "CNAME" || otype == "CNAME" {
            return Err(ApiError::new(
                400,
                codes::RECORD_EXISTS,
                "Record already exists.",
            ));
        }
    }
    Ok(())
}

/// Builds the stored record from validated members, keeping identity from `existing`.
fn build_record(members: Map<String, Value>, existing: Option<&Value>) -> Value {
    let now = now_rfc3339();
    let rtype = members
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut r = Map::new();
    let keep = |k: &str| existing.and_then(|e| e.get(k)).cloned();
    r.insert(
        "id".into(),
        keep("id").unwrap_or_else(|| json!(util::new_id())),
    );
    r.insert(
        "name".into(),
        members.get("name").cloned().unwrap_or(Value::Null),
    );
    r.insert("type".into(), json!(rtype));
    r.insert(
        "content".into(),
        members.get("content").cloned().unwrap_or(json!("")),
    );
    r.insert(
        "proxiable".into(),
        json!(validate::PROXIABLE_TYPES.contains(&rtype.as_str())),
    );
    r.insert(
        "proxied".into(),
        members.get("proxied").cloned().unwrap_or(json!(false)),
    );
    r.insert(
        "ttl".into(),
        members.get("ttl").cloned().unwrap_or(json!(1)),
    );
    if let Some(p) = members.get("priority").filter(|p| !p.is_null()) {
        r.insert("priority".into(), p.clone());
    }
    if let Some(d) = members.get("data").filter(|d| !d.is_null()) {
        r.insert("data".into(), d.clone());
    }
    r.insert(
        "settings".into(),
        members
            .get("settings")
            .cloned()
            .unwrap_or_else(|| json!({})),
    );
    r.insert(
        "meta".into(),
        keep("meta").unwrap_or_else(|| json!({"auto_added": false, "managed_by_apps": false, "managed_by_argo_tunnel": false})),
    );
    r.insert(
        "comment".into(),
        members.get("comment").cloned().unwrap_or(Value::Null),
    );
    let tags = match members.get("tags") {
        Some(Value::Array(t)) => Value::Array(t.clone()),
        _ => json!([]),
    };
    r.insert("tags".into(), tags);
    r.insert(
        "created_on".into(),
        keep("created_on").unwrap_or_else(|| json!(now)),
    );
    r.insert("modified_on".into(), json!(now));
    Value::Object(r)
}

/// One DNS write applied to a record list (used by the single endpoints and by batch).
enum DnsOp<'a> {
    Create(&'a Value),
    Put(&'a str, &'a Value),
    Patch(&'a str, &'a Value),
    Delete(&'a str),
}

fn apply_dns(
    records: &mut Vec<Value>,
    zone_name: &str,
    enterprise: bool,
    op: DnsOp<'_>,
) -> Result<Value, ApiError> {
    let not_found = || ApiError::new(404, codes::RECORD_NOT_FOUND, "Record does not exist.");
    let find = |records: &[Value], id: &str| {
        records
            .iter()
            .position(|r| r.get("id").and_then(Value::as_str) == Some(id))
    };
    match op {
        DnsOp::Create(body) => {
            let input = validate::dns_record(validate::object(body)?, zone_name, enterprise)?;
            check_conflicts(records, &input.members, None)?;
            let rec = build_record(input.members, None);
            records.push(rec.clone());
            Ok(rec)
        }
        DnsOp::Put(id, body) => {
            let i = find(records, id).ok_or_else(not_found)?;
            let input = validate::dns_record(validate::object(body)?, zone_name, enterprise)?;
            check_conflicts(records, &input.members, Some(id))?;
            let rec = build_record(input.members, Some(&records[i]));
            records[i] = rec.clone();
            Ok(rec)
        }
        DnsOp::Patch(id, body) => {
            let i = find(records, id).ok_or_else(not_found)?;
            let patch = validate::object(body)?;
            let mut merged = records[i].as_object().cloned().unwrap_or_default();
            // A type change drops the old value members unless the patch sends new ones.
            if patch
                .get("type")
                .is_some_and(|t| Some(t) != merged.get("type"))
            {
                merged.remove("data");
                merged.remove("priority");
                if patch.get("data").is_some() {
                    merged.remove("content");
                }
            }
            for (k, v) in patch {
                merged.insert(k.clone(), v.clone());
            }
            if patch.contains_key("data") && !patch.contains_key("content") {
                merged.remove("content");
            }
            let input = validate::dns_record(&merged, zone_name, enterprise)?;
            check_conflicts(records, &input.members, Some(id))?;
            let rec = build_record(input.members, Some(&records[i]));
            records[i] = rec.clone();
            Ok(rec)
        }
        DnsOp::Delete(id) => {
            let i = find(records, id).ok_or_else(not_found)?;
            Ok(records.remove(i))
        }
    }
}

fn dns_create(state: &mut State, z: &str, req: &Request<'_>) -> ApiResult {
    let body = body_json(req)?;
    let zone = zone_mut(state, z, req.path)?;
    let (name, ent) = (zone.name.clone(), zone.is_enterprise());
    apply_dns(&mut zone.dns_records, &name, ent, DnsOp::Create(&body)).map(ApiOk::new)
}

fn dns_record(state: &mut State, z: &str, r: &str, req: &Request<'_>) -> ApiResult {
    let zone = zone_mut(state, z, req.path)?;
    let (name, ent) = (zone.name.clone(), zone.is_enterprise());
    let not_found = || ApiError::new(404, codes::RECORD_NOT_FOUND, "Record does not exist.");
    match *req.method {
        Method::GET => {
            let i = zone.record_index(r).ok_or_else(not_found)?;
            Ok(ApiOk::new(zone.dns_records[i].clone()))
        }
        Method::DELETE => {
            apply_dns(&mut zone.dns_records, &name, ent, DnsOp::Delete(r))?;
            Ok(ApiOk::new(json!({ "id": r })))
        }
        Method::PUT => {
            zone.record_index(r).ok_or_else(not_found)?;
            let body = body_json(req)?;
            apply_dns(&mut zone.dns_records, &name, ent, DnsOp::Put(r, &body)).map(ApiOk::new)
        }
        _ => {
            zone.record_index(r).ok_or_else(not_found)?;
            let body = body_json(req)?;
            apply_dns(&mut zone.dns_records, &name, ent, DnsOp::Patch(r, &body)).map(ApiOk::new)
        }
    }
}

fn dns_batch(state: &mut State, z: &str, req: &Request<'_>) -> ApiResult {
    let body = body_json(req)?;
    let obj = validate::object(&body)?;
    let zone = zone_mut(state, z, req.path)?;
    let (name, ent) = (zone.name.clone(), zone.is_enterprise());
    let mut records = zone.dns_records.clone();
    let list = |key: &str| -> Result<Vec<Value>, ApiError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(ApiError::invalid_body(format!(
                "Request body is invalid: {key} must be an array"
            ))),
        }
    };
    let id_of = |v: &Value, key: &str, i: usize| -> Result<String, ApiError> {
        v.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::dns_validation(
                    validate::dns_codes::MEMBER_TYPE,
                    format!("{key}[{i}]: id is required"),
                )
            })
    };
    let mut out = Map::new();
    let mut deleted = Vec::new();
    for (i, d) in list("deletes")?.iter().enumerate() {
        let id = id_of(d, "deletes", i)?;
        deleted.push(apply_dns(&mut records, &name, ent, DnsOp::Delete(&id))?);
    }
    out.insert("deletes".into(), Value::Array(deleted));
    let mut patched = Vec::new();
    for (i, p) in list("patches")?.iter().enumerate() {
        let id = id_of(p, "patches", i)?;
        let mut body = p.clone();
        if let Some(o) = body.as_object_mut() {
            o.remove("id");
        }
        patched.push(apply_dns(
            &mut records,
            &name,
            ent,
            DnsOp::Patch(&id, &body),
        )?);
    }
    out.insert("patches".into(), Value::Array(patched));
    let mut put = Vec::new();
    for (i, p) in list("puts")?.iter().enumerate() {
        let id = id_of(p, "puts", i)?;
        put.push(apply_dns(&mut records, &name, ent, DnsOp::Put(&id, p))?);
    }
    out.insert("puts".into(), Value::Array(put));
    let mut posted = Vec::new();
    for p in list("posts")? {
        posted.push(apply_dns(&mut records, &name, ent, DnsOp::Create(&p))?);
    }
    out.insert("posts".into(), Value::Array(posted));
    zone.dns_records = records;
    Ok(ApiOk::new(Value::Object(out)))
}

fn default_dnssec() -> Value {
    json!({
        "algorithm": null, "digest": null, "digest_algorithm": null, "digest_type": null,
        "dnssec_multi_signer": false, "dnssec_presigned": false, "dnssec_use_nsec3": false,
        "ds": null, "flags": null, "key_tag": null, "key_type": null,
        "modified_on": null, "public_key": null, "status": "disabled"
    })
}

fn dnssec(state: &mut State, z: &str, req: &Request<'_>) -> ApiResult {
    let zone = zone_ref(state, z, req.path)?;
    forbidden(state, &zone.name, "dnssec")?;
    if *req.method == Method::GET {
        let v = if zone.dnssec.is_null() {
            default_dnssec()
        } else {
            zone.dnssec.clone()
        };
        return Ok(ApiOk::new(v));
    }
    let body = body_json(req)?;
    let changes = validate::dnssec_patch(&body)?;
    let zone = zone_mut(state, z, req.path)?;
    if zone.dnssec.is_null() {
        zone.dnssec = default_dnssec();
    }
    let d = &mut zone.dnssec;
    for (k, v) in changes {
        if k == "status" {
            let cur = d
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("disabled")
                .to_owned();
            let next = match (v.as_str(), cur.as_str()) {
                (Some("active"), "active") | (Some("active"), "pending") => cur.clone(),
                (Some("active"), _) => "pending".to_owned(),
                _ => "disabled".to_owned(),
            };
            d["status"] = json!(next);
        } else {
            d[k.as_str()] = v;
        }
    }
    d["modified_on"] = json!(now_rfc3339());
    Ok(ApiOk::new(d.clone()))
}

fn bot_management(state: &mut State, z: &str, req: &Request<'_>) -> ApiResult {
    let zone = zone_ref(state, z, req.path)?;
    forbidden(state, &zone.name, "bot_management")?;
    let default = || json!({"enable_js": false, "fight_mode": false, "using_latest_model": true});
    if *req.method == Method::GET {
        let v = if zone.bot_management.is_null() {
            default()
        } else {
            zone.bot_management.clone()
        };
        return Ok(ApiOk::new(v));
    }
    let body = body_json(req)?;
    let changes = validate::bot_management(&body)?;
    let zone = zone_mut(state, z, req.path)?;
    if zone.bot_management.is_null() {
        zone.bot_management = default();
    }
    for (k, v) in changes {
        zone.bot_management[k.as_str()] = v;
    }
    Ok(ApiOk::new(zone.bot_management.clone()))
}

// ---------------------------------------------------------------- rulesets

fn managed_name(id: &str) -> String {
    MANAGED_RULESETS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, n)| (*n).to_owned())
        .unwrap_or_else(|| format!("Managed ruleset {id}"))
}

fn managed_summary(id: &str, phase: &str) -> Value {
    json!({
        "id": id,
        "name": managed_name(id),
        "description": format!("{} (fake-cloudflare summary)", managed_name(id)),
        "kind": "managed",
        "version": "1",
        "last_updated": "2026-01-01T00:00:00Z",
        "phase": phase,
    })
}

/// The managed rulesets a zone's execute rules deploy: `(id, phase)` in first-seen order.
fn referenced_managed(zone: &ZoneState) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for rs in &zone.rulesets {
        let phase = rs
            .get("phase")
            .and_then(Value::as_str)
            .unwrap_or("http_request_firewall_managed");
        for rule in rs
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if rule.get("action").and_then(Value::as_str) != Some("execute") {
                continue;
            }
            if let Some(id) = rule
                .get("action_parameters")
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
            {
                if !out.iter().any(|(i, _)| i == id) && zone.ruleset_index(id).is_none() {
                    out.push((id.to_owned(), phase.to_owned()));
                }
            }
        }
    }
    out
}

fn summary(rs: &Value) -> Value {
    let mut s = rs.as_object().cloned().unwrap_or_default();
    s.remove("rules");
    Value::Object(s)
}

fn rulesets_list(state: &State, z: &str, req: &Request<'_>) -> ApiResult {
    let zone = zone_ref(state, z, req.path)?;
    forbidden(state, &zone.name, "rulesets")?;
    let mut all: Vec<Value> = zone.rulesets.iter().map(summary).collect();
    all.extend(
        referenced_managed(zone)
            .iter()
            .map(|(id, phase)| managed_summary(id, phase)),
    );
    let (start, end, next) = cursor_window(
        &req.query,
        max_per_page::RULESETS,
        max_per_page::RULESETS,
        all.len(),
    )?;
    let page = Value::Array(all[start..end].to_vec());
    match next {
        Some(c) => Ok(ApiOk::paged(page, json!({ "cursor": c }))),
        None => Ok(ApiOk::new(page)),
    }
}

fn bump(version: Option<&Value>) -> String {
    let n = version
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_i64().map(|i| i.to_string()))
        })
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    (n + 1).to_string()
}

/// Stores a client-sent rule: keeps `id`/`version` of the rule it replaces, fills the members
/// Cloudflare adds.
fn store_rule(input: &Value, previous: Option<&Value>) -> Value {
    let mut r = input.as_object().cloned().unwrap_or_default();
    r.remove("position");
    let id = previous
        .and_then(|p| p.get("id").cloned())
        .or_else(|| r.get("id").cloned())
        .unwrap_or_else(|| json!(util::new_id()));
    let version = match previous {
        Some(p) => bump(p.get("version")),
        None => "1".to_owned(),
    };
    let mut out = Map::new();
    out.insert("id".into(), id.clone());
    out.insert("version".into(), json!(version));
    for (k, v) in r {
        if k != "id" && k != "version" && k != "last_updated" {
            out.insert(k, v);
        }
    }
    out.insert("last_updated".into(), json!(now_rfc3339()));
    if !out.contains_key("ref") {
        out.insert(
            "ref".into(),
            previous.and_then(|p| p.get("ref").cloned()).unwrap_or(id),
        );
    }
    if !out.contains_key("enabled") {
        out.insert("enabled".into(), json!(true));
    }
    Value::Object(out)
}

fn touch_ruleset(rs: &mut Value) {
    let v = bump(rs.get("version"));
    rs["version"] = json!(v);
    rs["last_updated"] = json!(now_rfc3339());
}

fn check_phase(phase: &str) -> Result<(), ApiError> {
    if PHASES.contains(&phase) {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            codes::RULESET_VALIDATION,
            format!("'{phase}' is not a valid value for phase because it's not one of the allowed phases"),
        ))
    }
}

fn entrypoint(state: &mut State, z: &str, phase: &str, req: &Request<'_>) -> ApiResult {
    let zone = zone_ref(state, z, req.path)?;
    forbidden(state, &zone.name, "rulesets")?;
    check_phase(phase)?;
    if *req.method == Method::GET {
        return zone
            .entrypoint_index(phase)
            .map(|i| ApiOk::new(zone.rulesets[i].clone()))
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    codes::RULESET_NOT_FOUND,
                    format!("could not find entrypoint ruleset in the {phase} phase"),
                )
            });
    }
    let body = body_json(req)?;
    validate::ruleset_put(&body, phase)?;
    let zone = zone_mut(state, z, req.path)?;
    let existing = zone.entrypoint_index(phase);
    let old_rules: Vec<Value> = existing
        .and_then(|i| {
            zone.rulesets[i]
                .get("rules")
                .and_then(Value::as_array)
                .cloned()
        })
        .unwrap_or_default();
    let rules: Vec<Value> = body
        .get("rules")
        .and_then(Value::as_array)
        .map(|rules| {
            rules
                .iter()
                .map(|r| {
                    let prev = r.get("id").and_then(Value::as_str).and_then(|id| {
                        old_rules
                            .iter()
                            .find(|o| o.get("id").and_then(Value::as_str) == Some(id))
                    });
                    store_rule(r, prev)
                })
                .collect()
        })
        .unwrap_or_default();
    let rs = match existing {
        Some(i) => {
            let rs = &mut zone.rulesets[i];
            rs["rules"] = Value::Array(rules);
            for member in ["name", "description"] {
                if let Some(v) = body.get(member) {
                    rs[member] = v.clone();
                }
            }
            touch_ruleset(rs);
            rs.clone()
        }
        None => {
            let rs = json!({
                "id": util::new_id(),
                "name": body.get("name").cloned().unwrap_or(json!("default")),
                "description": body.get("description").cloned().unwrap_or(json!("")),
                "kind": "zone",
                "version": "1",
                "rules": rules,
                "last_updated": now_rfc3339(),
                "phase": phase,
            });
            zone.rulesets.push(rs.clone());
            rs
        }
    };
    Ok(ApiOk::new(rs))
}

fn ruleset_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        codes::RULESET_NOT_FOUND,
        format!("could not find ruleset {id}"),
    )
}

fn ruleset_get(state: &State, z: &str, rs: &str, req: &Request<'_>) -> ApiResult {
    let zone = zone_ref(state, z, req.path)?;
    forbidden(state, &zone.name, "rulesets")?;
    if let Some(i) = zone.ruleset_index(rs) {
        return Ok(ApiOk::new(zone.rulesets[i].clone()));
    }
    if let Some((id, phase)) = referenced_managed(zone).into_iter().find(|(i, _)| i == rs) {
        let mut s = managed_summary(&id, &phase);
        s["rules"] = json!([]);
        return Ok(ApiOk::new(s));
    }
    Err(ruleset_not_found(rs))
}

fn writable_ruleset<'s>(
    state: &'s mut State,
    z: &str,
    rs: &str,
    req: &Request<'_>,
) -> Result<&'s mut Value, ApiError> {
    let zone = zone_ref(state, z, req.path)?;
    forbidden(state, &zone.name, "rulesets")?;
    if zone.ruleset_index(rs).is_none() {
        if referenced_managed(zone).iter().any(|(i, _)| i == rs) {
            return Err(ApiError::new(
                400,
                codes::RULESET_VALIDATION,
                "managed rulesets cannot be modified",
            ));
        }
        return Err(ruleset_not_found(rs));
    }
    let zone = zone_mut(state, z, req.path)?;
    let i = zone
        .ruleset_index(rs)
        .ok_or_else(|| ruleset_not_found(rs))?;
    Ok(&mut zone.rulesets[i])
}

/// Where `position` puts a rule among `len` rules (Cloudflare's `index` is 1-based).
fn position(pos: Option<&Value>, rules: &[Value], len: usize) -> Result<usize, ApiError> {
    let Some(pos) = pos else { return Ok(len) };
    let find = |id: &str| {
        rules
            .iter()
            .position(|r| r.get("id").and_then(Value::as_str) == Some(id))
    };
    let bad = |m: &str| ApiError::ruleset_validation("/position", m.to_owned());
    if let Some(b) = pos.get("before") {
        return match b.as_str() {
            Some("") => Ok(0),
            Some(id) => find(id).ok_or_else(|| bad("position.before names no rule of the ruleset")),
            None => Err(bad("position.before must be a string")),
        };
    }
    if let Some(a) = pos.get("after") {
        return match a.as_str() {
            Some("") => Ok(len),
            Some(id) => find(id)
                .map(|i| i + 1)
                .ok_or_else(|| bad("position.after names no rule of the ruleset")),
            None => Err(bad("position.after must be a string")),
        };
    }
    if let Some(i) = pos.get("index") {
        return match i.as_u64() {
            Some(i) if i >= 1 => Ok(((i - 1) as usize).min(len)),
            _ => Err(bad("position.index must be a positive integer")),
        };
    }
    Ok(len)
}

fn rule_create(state: &mut State, z: &str, rs: &str, req: &Request<'_>) -> ApiResult {
    let body = body_json(req)?;
    let ruleset = writable_ruleset(state, z, rs, req)?;
    let phase = ruleset
        .get("phase")
        .and_then(Value::as_str)
        .map(str::to_owned);
    validate::rule(&body, "", phase.as_deref(), false)?;
    let mut rules = ruleset
        .get("rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let at = position(body.get("position"), &rules, rules.len())?;
    let mut input = body.clone();
    if let Some(o) = input.as_object_mut() {
        o.remove("id");
    }
    rules.insert(at, store_rule(&input, None));
    ruleset["rules"] = Value::Array(rules);
    touch_ruleset(ruleset);
    Ok(ApiOk::new(ruleset.clone()))
}

fn rule_change(
    state: &mut State,
    z: &str,
    rs: &str,
    rule_id: &str,
    req: &Request<'_>,
) -> ApiResult {
    let body = if *req.method == Method::PATCH {
        Some(body_json(req)?)
    } else {
        None
    };
    let ruleset = writable_ruleset(state, z, rs, req)?;
    let phase = ruleset
        .get("phase")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut rules = ruleset
        .get("rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let i = rules
        .iter()
        .position(|r| r.get("id").and_then(Value::as_str) == Some(rule_id))
        .ok_or_else(|| {
            ApiError::new(
                404,
                codes::RULESET_NOT_FOUND,
                format!("could not find rule {rule_id}"),
            )
        })?;
    match body {
        None => {
            rules.remove(i);
        }
        Some(body) => {
            validate::rule(&body, "", phase.as_deref(), true)?;
            let mut merged = rules[i].as_object().cloned().unwrap_or_default();
            for (k, v) in body.as_object().into_iter().flatten() {
                if k != "id" && k != "position" {
                    merged.insert(k.clone(), v.clone());
                }
            }
            let merged = Value::Object(merged);
            validate::rule(&merged, "", phase.as_deref(), false)?;
            let stored = store_rule(&merged, Some(&rules[i]));
            rules.remove(i);
            let at = position(body.get("position"), &rules, i.min(rules.len()))?;
            rules.insert(at.min(rules.len()), stored);
        }
    }
    ruleset["rules"] = Value::Array(rules);
    touch_ruleset(ruleset);
    Ok(ApiOk::new(ruleset.clone()))
}

// ---------------------------------------------------------------- tunnels

fn tunnels_list(state: &State, a: &str, req: &Request<'_>) -> ApiResult {
    let acc = account_exists(state, a, req.path)?;
    forbidden(state, a, "tunnels")?;
    let q = &req.query;
    let mut all: Vec<&Value> = acc.tunnels.iter().map(|t| &t.tunnel).collect();
    if let Some(d) = q.get("is_deleted") {
        let want = d == "true";
        all.retain(|t| t.get("deleted_at").is_some_and(|v| !v.is_null()) == want);
    }
    if let Some(n) = q.get("name") {
        all.retain(|t| t.get("name").and_then(Value::as_str) == Some(n.as_str()));
    }
    if let Some(u) = q.get("uuid") {
        all.retain(|t| t.get("id").and_then(Value::as_str) == Some(u.as_str()));
    }
    if let Some(s) = q.get("status") {
        all.retain(|t| t.get("status").and_then(Value::as_str) == Some(s.as_str()));
    }
    let values: Vec<Value> = all.into_iter().cloned().collect();
    paginate(&values, q, 20, max_per_page::TUNNELS)
}

fn tunnel_index(state: &State, a: &str, t: &str, path: &str) -> Result<(usize, usize), ApiError> {
    account_exists(state, a, path)?;
    forbidden(state, a, "tunnels")?;
    let ai = state.accounts.iter().position(|x| x.id == a).unwrap_or(0);
    let ti = state.accounts[ai]
        .tunnels
        .iter()
        .position(|x| x.id().eq_ignore_ascii_case(t))
        .ok_or_else(|| {
            ApiError::new(
                404,
                codes::TUNNEL_NOT_FOUND,
                format!("Tunnel not found: {t}"),
            )
        })?;
    Ok((ai, ti))
}

/// `PATCH /accounts/{a}/cfd_tunnel/{t}`: `name` and `tunnel_secret` (base64 of at least 32
/// bytes). The secret is kept apart from the tunnel object: Cloudflare never returns it.
fn tunnel_patch(state: &mut State, a: &str, t: &str, req: &Request<'_>) -> ApiResult {
    let (ai, ti) = tunnel_index(state, a, t, req.path)?;
    let body = body_json(req)?;
    let bad = |m: &str| ApiError::new(400, codes::TUNNEL_CONFIG_INVALID, m.to_owned());
    let obj = body
        .as_object()
        .ok_or_else(|| bad("Validation failed: the body must be an object"))?;
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "tunnel_secret"))
    {
        return Err(bad(&format!("Validation failed: unknown field {k}")));
    }
    let tunnel = &mut state.accounts[ai].tunnels[ti];
    if let Some(secret) = obj.get("tunnel_secret") {
        let ok = secret
            .as_str()
            .and_then(cfcp::tunnel::TunnelSecret::from_base64)
            .ok_or_else(|| {
                bad("Validation failed: tunnel_secret must be base64 of at least 32 bytes")
            })?;
        tunnel.secret = Some(ok.expose().to_owned());
    }
    if let Some(name) = obj.get("name") {
        let name = name
            .as_str()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad("Validation failed: name must be a non-empty string"))?;
        if let Some(o) = tunnel.tunnel.as_object_mut() {
            o.insert("name".into(), json!(name));
        }
    }
    Ok(ApiOk::new(tunnel.tunnel.clone()))
}

/// `GET /accounts/{a}/cfd_tunnel/{t}/token`: base64 of `{"a","t","s"}`.
fn tunnel_token(state: &State, a: &str, t: &str, req: &Request<'_>) -> ApiResult {
    let (ai, ti) = tunnel_index(state, a, t, req.path)?;
    let tunnel = &state.accounts[ai].tunnels[ti];
    let secret = match &tunnel.secret {
        Some(s) => cfcp::tunnel::TunnelSecret::from_base64(s),
        None => {
            // Before any rotation: a stable secret derived from the id.
            let mut bytes = [0u8; 32];
            for (b, c) in bytes.iter_mut().zip(tunnel.id().bytes()) {
                *b = c;
            }
            Some(cfcp::tunnel::TunnelSecret::from_bytes(&bytes))
        }
    }
    .ok_or_else(|| {
        ApiError::new(
            500,
            codes::TUNNEL_CONFIG_INVALID,
            "stored secret unreadable",
        )
    })?;
    let token = cfcp::tunnel::connector_token(a, tunnel.id(), &secret);
    Ok(ApiOk::new(json!(token.expose())))
}

fn tunnel_config(state: &mut State, a: &str, t: &str, req: &Request<'_>) -> ApiResult {
    let (ai, ti) = tunnel_index(state, a, t, req.path)?;
    forbidden(state, a, "tunnel_configuration")?;
    let tunnel = &mut state.accounts[ai].tunnels[ti];
    if *req.method == Method::GET {
        if tunnel.configuration.is_null() {
            return Err(ApiError::new(
                404,
                codes::TUNNEL_NOT_FOUND,
                format!("Configuration for tunnel {t} not found"),
            ));
        }
        return Ok(ApiOk::new(tunnel.configuration.clone()));
    }
    let body = body_json(req)?;
    let config = validate::tunnel_configuration(&body)?;
    let mut conf = tunnel
        .configuration
        .as_object()
        .cloned()
        .unwrap_or_default();
    let version = conf
        .get("version")
        .and_then(Value::as_i64)
        .map_or(0, |v| v + 1);
    let id = tunnel.id().to_owned();
    conf.insert("tunnel_id".into(), json!(id));
    conf.insert("version".into(), json!(version));
    conf.insert("config".into(), config);
    conf.insert("source".into(), json!("cloudflare"));
    conf.insert("created_at".into(), json!(now_rfc3339()));
    tunnel.configuration = Value::Object(conf);
    if let Some(o) = tunnel.tunnel.as_object_mut() {
        if o.contains_key("remote_config") {
            o.insert("remote_config".into(), json!(true));
        }
    }
    Ok(ApiOk::new(tunnel.configuration.clone()))
}

// ---------------------------------------------------------------- lists

fn list_index(state: &State, a: &str, l: &str, path: &str) -> Result<(usize, usize), ApiError> {
    account_exists(state, a, path)?;
    forbidden(state, a, "lists")?;
    let ai = state.accounts.iter().position(|x| x.id == a).unwrap_or(0);
    let li = state.accounts[ai]
        .lists
        .iter()
        .position(|x| x.id() == l)
        .ok_or_else(|| ApiError::new(404, codes::LIST_NOT_FOUND, "list not found"))?;
    Ok((ai, li))
}

fn list_items(state: &mut State, a: &str, l: &str, req: &Request<'_>) -> ApiResult {
    let (ai, li) = list_index(state, a, l, req.path)?;
    forbidden(state, a, "list_items")?;
    if *req.method == Method::GET {
        let list = &state.accounts[ai].lists[li];
        let (start, end, next) =
            cursor_window(&req.query, 25, max_per_page::LIST_ITEMS, list.items.len())?;
        let page = Value::Array(list.items[start..end].to_vec());
        let info = match next {
            Some(c) => json!({"cursors": {"before": util::encode_cursor(start), "after": c}}),
            None => json!({"cursors": {"before": util::encode_cursor(start)}}),
        };
        return Ok(ApiOk::paged(page, info));
    }
    let body = body_json(req)?;
    let kind = state.accounts[ai].lists[li]
        .list
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("ip")
        .to_owned();
    let items = validate::list_items(&body, &kind)?;
    let now = now_rfc3339();
    let list = &mut state.accounts[ai].lists[li];
    for mut item in items {
        let mut m = Map::new();
        m.insert("id".into(), json!(util::new_id()));
        m.append(&mut item);
        m.insert("created_on".into(), json!(now));
        m.insert("modified_on".into(), json!(now));
        list.items.push(Value::Object(m));
    }
    let count = list.items.len();
    if let Some(o) = list.list.as_object_mut() {
        if o.contains_key("num_items") {
            o.insert("num_items".into(), json!(count));
        }
        if o.contains_key("modified_on") {
            o.insert("modified_on".into(), json!(now));
        }
    }
    let op = util::new_id();
    state.operations.insert(
        op.clone(),
        json!({"id": op, "status": "completed", "completed": now}),
    );
    Ok(ApiOk::new(json!({ "operation_id": op })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_queries() {
        assert_eq!(
            parse_route("/zones/abc/dns_records/batch"),
            Some(Route::DnsBatch("abc".into()))
        );
        assert_eq!(
            parse_route("/zones/z/rulesets/phases/http_ratelimit/entrypoint"),
            Some(Route::Entrypoint("z".into(), "http_ratelimit".into()))
        );
        assert_eq!(parse_route("/nope"), None);
        let q = parse_query(Some("name=a%2Eb&per_page=5&x=a+b&bad=%zz&t=%4"));
        assert_eq!(q["name"], "a.b");
        assert_eq!(q["x"], "a b");
        assert_eq!(q["bad"], "%zz");
        assert_eq!(q["t"], "%4");
        assert_eq!(bump(Some(&json!("9"))), "10");
        assert_eq!(bump(None), "1");
    }

    #[test]
    fn pagination_clamps() {
        let items: Vec<Value> = (0..120).map(|i| json!(i)).collect();
        let q = parse_query(Some("per_page=100&page=2"));
        let ok = paginate(&items, &q, 20, 50).unwrap();
        assert_eq!(ok.result_info.as_ref().unwrap()["per_page"], 50);
        assert_eq!(ok.result.as_array().unwrap()[0], 50);
        assert_eq!(ok.result_info.unwrap()["total_pages"], 3);
        assert!(paginate(&items, &parse_query(Some("page=x")), 20, 50).is_err());
    }
}
