//! Credentials and the secret types that hold them.
//!
//! The token never shows in `Debug` output, has no `Display`, and is only read when the client
//! builds a request header. Core never reads the environment: [`Credentials::from_lookup`] takes a
//! lookup closure, and the CLI passes `|name| std::env::var(name).ok()`.

use crate::error::{Error, Result};

/// A secret string. `Debug` prints `Secret(***)`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call only where it must go on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A Cloudflare API token. `Debug` prints `ApiToken(***)`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(Secret);

impl ApiToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        ApiToken(Secret::new(token))
    }

    /// The token itself. Call only where it must go on the wire.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken(***)")
    }
}

/// How the client authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// An API token, sent as `Authorization: Bearer …` (recommended).
    Token(ApiToken),
    /// A global API key with the account's e-mail (`X-Auth-Email` + `X-Auth-Key`; legacy).
    Key {
        /// The user's e-mail address.
        email: String,
        /// The global API key.
        key: Secret,
    },
}

/// Environment variable holding an API token.
pub const ENV_API_TOKEN: &str = "CLOUDFLARE_API_TOKEN";
/// Environment variable holding the e-mail for a global API key.
pub const ENV_EMAIL: &str = "CLOUDFLARE_EMAIL";
/// Environment variable holding a global API key.
pub const ENV_API_KEY: &str = "CLOUDFLARE_API_KEY";
/// Environment variable overriding the base URL (the official SDKs' name).
pub const ENV_BASE_URL: &str = "CLOUDFLARE_BASE_URL";

impl Credentials {
    /// An API token.
    pub fn token(token: impl Into<String>) -> Self {
        Credentials::Token(ApiToken::new(token))
    }

    /// Reads credentials through `lookup` (the CLI passes `|n| std::env::var(n).ok()`):
    /// `CLOUDFLARE_API_TOKEN`, else `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if let Some(token) = get(ENV_API_TOKEN) {
            return Ok(Credentials::token(token));
        }
        match (get(ENV_EMAIL), get(ENV_API_KEY)) {
            (Some(email), Some(key)) => Ok(Credentials::Key { email, key: Secret::new(key) }),
            (None, Some(_)) => Err(Error::Config {
                message: format!("{ENV_API_KEY} is set but {ENV_EMAIL} is not; set both, or set {ENV_API_TOKEN} instead"),
            }),
            _ => Err(Error::Config {
                message: format!(
                    "no Cloudflare credentials: set {ENV_API_TOKEN} (recommended; create one at dash.cloudflare.com → My Profile → API Tokens) or {ENV_EMAIL} and {ENV_API_KEY}"
                ),
            }),
        }
    }

    /// True for an API token (only tokens can be verified and inspected).
    pub fn is_token(&self) -> bool {
        matches!(self, Credentials::Token(_))
    }

    pub(crate) fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Credentials::Token(token) => request.bearer_auth(token.expose()),
            Credentials::Key { email, key } => request
                .header("X-Auth-Email", email.as_str())
                .header("X-Auth-Key", key.expose()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let marker = "tok_MARKER_1234567890";
        let token = ApiToken::new(marker);
        assert_eq!(format!("{token:?}"), "ApiToken(***)");
        assert_eq!(format!("{:?}", Secret::new(marker)), "Secret(***)");
        let creds = Credentials::token(marker);
        let shown = format!("{creds:?} {creds:#?}");
        assert!(!shown.contains(marker), "{shown}");
        assert!(shown.contains("ApiToken(***)"));
        let key = Credentials::Key {
            email: "a@b.c".into(),
            key: Secret::new(marker),
        };
        assert!(!format!("{key:?}").contains(marker));
    }

    #[test]
    fn from_lookup_prefers_token_then_key() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let creds = Credentials::from_lookup(env(&[(ENV_API_TOKEN, "t"), (ENV_API_KEY, "k")]));
        assert!(matches!(creds, Ok(Credentials::Token(_))));
        let creds = Credentials::from_lookup(env(&[(ENV_EMAIL, "a@b.c"), (ENV_API_KEY, "k")]));
        assert!(matches!(creds, Ok(Credentials::Key { .. })));
        let err = Credentials::from_lookup(env(&[(ENV_API_TOKEN, "  ")])).unwrap_err();
        assert!(err.to_string().contains(ENV_API_TOKEN), "{err}");
        let err = Credentials::from_lookup(env(&[(ENV_API_KEY, "k")])).unwrap_err();
        assert!(err.to_string().contains(ENV_EMAIL), "{err}");
    }
}
