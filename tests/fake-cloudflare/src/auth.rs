//! Credentials: bearer tokens and API keys, their permissions, and the token objects the token
//! endpoints return. Credentials are identified in logs by a label (`token#1`), never by value.

use axum::http::HeaderMap;
use serde_json::{json, Value};

use crate::config::{grants, permission_scope, ApiKeySpec, Scope, TokenSpec, PERMISSIONS};
use crate::envelope::{codes, ApiError};
use crate::util;

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The bearer token at this index of the configured tokens.
    Token(usize),
    /// The API key at this index.
    ApiKey(usize),
}

/// The configured credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Bearer tokens.
    pub tokens: Vec<TokenSpec>,
    /// API keys.
    pub api_keys: Vec<ApiKeySpec>,
}

/// What the request carried, before it was checked (for the log label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// No credentials.
    None,
    /// A credential this fake knows.
    Known(Principal),
    /// A credential this fake does not know (or a malformed header).
    Unknown,
}

impl Presented {
    /// The label for the request log: `token#1`, `api-key#1`, `anonymous`, `unknown-credential`.
    pub fn label(&self) -> String {
        match self {
            Presented::None => "anonymous".into(),
            Presented::Known(Principal::Token(i)) => format!("token#{}", i + 1),
            Presented::Known(Principal::ApiKey(i)) => format!("api-key#{}", i + 1),
            Presented::Unknown => "unknown-credential".into(),
        }
    }
}

impl Credentials {
    /// The id of token `index` (configured or derived from its position).
    pub fn token_id(&self, index: usize) -> String {
        self.tokens
            .get(index)
            .and_then(|t| t.id.clone())
            .unwrap_or_else(|| util::stable_id(&format!("fake-cloudflare token {index}")))
    }

    /// Identifies the credentials in the headers. `verify` selects the verify endpoints' errors.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        verify: bool,
    ) -> (Presented, Result<Principal, ApiError>) {
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap_or("\u{fffd}").to_owned())
        };
        if let Some(auth) = header("authorization") {
            let token = auth.strip_prefix("Bearer ").map(str::trim);
            let Some(token) =
                token.filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_graphic()))
            else {
                let err = ApiError::new(400, codes::INVALID_HEADERS, "Invalid request headers")
                    .chain(
                        codes::INVALID_AUTHORIZATION_FORMAT,
                        "Invalid format for Authorization header",
                    );
                return (Presented::Unknown, Err(err));
            };
            return match self.tokens.iter().position(|t| t.value == token) {
                Some(i) => {
                    let status = self.tokens[i].status.as_str();
                    if status != "active" && !verify {
                        (
                            Presented::Known(Principal::Token(i)),
                            Err(invalid_token(false)),
                        )
                    } else {
                        (
                            Presented::Known(Principal::Token(i)),
                            Ok(Principal::Token(i)),
                        )
                    }
                }
                None => (Presented::Unknown, Err(invalid_token(verify))),
            };
        }
        match (header("x-auth-email"), header("x-auth-key")) {
            (None, None) => (
                Presented::None,
                Err(ApiError::new(
                    400,
                    codes::MISSING_AUTH,
                    "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
                )),
            ),
            (Some(_), None) => (
                Presented::Unknown,
                Err(ApiError::new(
                    400,
                    codes::MISSING_AUTH,
                    "Missing X-Auth-Key header",
                )),
            ),
            (None, Some(_)) => (
                Presented::Unknown,
                Err(ApiError::new(
                    400,
                    codes::MISSING_AUTH,
                    "Missing X-Auth-Email header",
                )),
            ),
            (Some(email), Some(key)) => {
                match self
                    .api_keys
                    .iter()
                    .position(|k| k.email == email && k.key == key)
                {
                    Some(i) if verify => (
                        Presented::Known(Principal::ApiKey(i)),
                        Err(ApiError::new(
                            400,
                            codes::MISSING_AUTHORIZATION_HEADER,
                            "Missing \"Authorization\" header",
                        )),
                    ),
                    Some(i) => (
                        Presented::Known(Principal::ApiKey(i)),
                        Ok(Principal::ApiKey(i)),
                    ),
                    None => (
                        Presented::Unknown,
                        Err(ApiError::new(
                            403,
                            codes::UNKNOWN_API_KEY,
                            "Unknown X-Auth-Key or X-Auth-Email",
                        )),
                    ),
                }
            }
        }
    }

    /// Whether the principal holds `permission`. API keys hold every permission.
    pub fn allows(&self, who: &Principal, permission: &str) -> bool {
        match who {
            Principal::ApiKey(_) => true,
            Principal::Token(i) => self
                .tokens
                .get(*i)
                .is_some_and(|t| grants(&t.permissions, permission)),
        }
    }

    /// The token object as `GET /user/tokens/{id}` returns it.
    pub fn token_object(&self, index: usize, account_ids: &[String]) -> Option<Value> {
        let t = self.tokens.get(index)?;
        let id = self.token_id(index);
        let mut policies = Vec::new();
        for (scope, resources) in [
            (
                Scope::Zone,
                json!({"com.cloudflare.api.account.zone.*": "*"}),
            ),
            (
                Scope::Account,
                Value::Object(
                    account_ids
                        .iter()
                        .map(|a| (format!("com.cloudflare.api.account.{a}"), json!("*")))
                        .collect(),
                ),
            ),
            (
                Scope::User,
                json!({ format!("com.cloudflare.api.user.{}", util::stable_id("fake user")): "*" }),
            ),
        ] {
            let groups: Vec<Value> = t
                .permissions
                .iter()
                .filter(|p| permission_scope(p) == Some(scope))
                .map(|p| json!({"id": permission_group_id(p), "name": p}))
                .collect();
            if !groups.is_empty() {
                policies.push(json!({
                    "id": util::stable_id(&format!("{id} policy {scope:?}")),
                    "effect": "allow",
                    "resources": resources,
                    "permission_groups": groups,
                }));
            }
        }
        let mut obj = json!({
            "id": id,
            "name": t.name.clone().unwrap_or_else(|| format!("fake token {}", index + 1)),
            "status": t.status,
            "issued_on": "2026-01-01T00:00:00Z",
            "modified_on": "2026-01-01T00:00:00Z",
            "policies": policies,
            "condition": {},
        });
        if let Some(e) = &t.expires_on {
            obj["expires_on"] = json!(e);
        }
        if let Some(n) = &t.not_before {
            obj["not_before"] = json!(n);
        }
        Some(obj)
    }

    /// The verify result: `{"id","status"}` plus `expires_on` / `not_before` when set.
    pub fn verify_object(&self, index: usize) -> Value {
        let t = &self.tokens[index];
        let mut obj = json!({"id": self.token_id(index), "status": t.status});
        if let Some(e) = &t.expires_on {
            obj["expires_on"] = json!(e);
        }
        if let Some(n) = &t.not_before {
            obj["not_before"] = json!(n);
        }
        obj
    }
}

fn invalid_token(verify: bool) -> ApiError {
    if verify {
        ApiError::new(401, codes::INVALID_API_TOKEN, "Invalid API Token")
    } else {
        ApiError::new(403, codes::INVALID_ACCESS_TOKEN, "Invalid access token")
    }
}

/// The (fake, stable) id of a permission group.
pub fn permission_group_id(name: &str) -> String {
    util::stable_id(&format!("permission group {name}"))
}

/// Every permission group as `{id, name, scopes}` (for `GET /user/tokens/permission_groups`).
pub fn permission_groups() -> Value {
    Value::Array(
        PERMISSIONS
            .iter()
            .map(|(name, scope)| {
                let scope = match scope {
                    Scope::Zone => "com.cloudflare.api.account.zone",
                    Scope::Account => "com.cloudflare.api.account",
                    Scope::User => "com.cloudflare.api.user",
                };
                json!({"id": permission_group_id(name), "name": name, "scopes": [scope]})
            })
            .collect(),
    )
}
