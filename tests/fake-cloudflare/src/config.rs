//! How a fake is set up: its seed snapshot, its tokens and their permissions, and the faults it
//! injects.

use std::time::Duration;

use cfcp::snapshot::{Snapshot, Source, SourceKind, Timestamp};

/// Every permission group the fake knows, with the scope it applies to.
///
/// The names are Cloudflare's permission group names; cfcp's client uses the same table.
pub const PERMISSIONS: &[(&str, Scope)] = &[
    ("Zone Read", Scope::Zone),
    ("Zone Write", Scope::Zone),
    ("Zone Settings Read", Scope::Zone),
    ("Zone Settings Write", Scope::Zone),
    ("DNS Read", Scope::Zone),
    ("DNS Write", Scope::Zone),
    ("Zone WAF Read", Scope::Zone),
    ("Zone WAF Write", Scope::Zone),
    ("Bot Management Read", Scope::Zone),
    ("Bot Management Write", Scope::Zone),
    ("Analytics Read", Scope::Zone),
    ("Cloudflare Tunnel Read", Scope::Account),
    ("Cloudflare Tunnel Write", Scope::Account),
    ("Account Filter Lists Read", Scope::Account),
    ("Account Filter Lists Edit", Scope::Account),
    ("Account Settings Read", Scope::Account),
    ("Account Settings Write", Scope::Account),
    ("API Tokens Read", Scope::User),
    ("API Tokens Write", Scope::User),
];

/// What a permission group applies to (it decides the token policy's `resources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// All zones of the account(s).
    Zone,
    /// The account(s).
    Account,
    /// The user.
    User,
}

/// The scope of a permission group name, `None` when the fake does not know the name.
pub fn permission_scope(name: &str) -> Option<Scope> {
    PERMISSIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
}

/// A bearer token the fake accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSpec {
    /// The secret value sent as `Authorization: Bearer VALUE`. Never logged.
    pub value: String,
    /// Permission group names (see [`PERMISSIONS`]). `X Write`/`X Edit` imply `X Read`.
    pub permissions: Vec<String>,
    /// Token id (32 hex); derived from the position when `None`.
    pub id: Option<String>,
    /// Token name; `fake token N` when `None`.
    pub name: Option<String>,
    /// `active`, `disabled` or `expired`.
    pub status: String,
    /// `expires_on`, if the token expires.
    pub expires_on: Option<String>,
    /// `not_before`, if set.
    pub not_before: Option<String>,
}

impl std::fmt::Debug for TokenSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSpec")
            .field("value", &"<redacted>")
            .field("permissions", &self.permissions)
            .field("id", &self.id)
            .field("status", &self.status)
            .finish()
    }
}

impl TokenSpec {
    /// A token with every permission the fake knows.
    pub fn all(value: impl Into<String>) -> Self {
        let perms = PERMISSIONS.iter().map(|(n, _)| (*n).to_owned()).collect();
        TokenSpec::with_permissions(value, perms)
    }

    /// A token with these permission groups.
    pub fn with_permissions(value: impl Into<String>, permissions: Vec<String>) -> Self {
        TokenSpec {
            value: value.into(),
            permissions,
            id: None,
            name: None,
            status: "active".into(),
            expires_on: None,
            not_before: None,
        }
    }

    /// Parses the `--token` flag: `VALUE=Perm1,Perm2` or `VALUE=all`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (value, perms) = spec
            .split_once('=')
            .ok_or_else(|| "expected VALUE=Permission,Permission or VALUE=all".to_owned())?;
        if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the token value must be non-empty printable text without spaces".into());
        }
        if perms.trim() == "all" {
            return Ok(TokenSpec::all(value));
        }
        let mut list = Vec::new();
        for p in perms.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if permission_scope(p).is_none() {
                let known: Vec<&str> = PERMISSIONS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown permission group {p:?}; known: {}",
                    known.join(", ")
                ));
            }
            list.push(p.to_owned());
        }
        Ok(TokenSpec::with_permissions(value, list))
    }

    /// Whether the token grants `permission` (a write or edit grant implies the read).
    pub fn grants(&self, permission: &str) -> bool {
        grants(&self.permissions, permission)
    }
}

/// Whether a permission list grants `permission`; `X Write` and `X Edit` imply `X Read`.
pub fn grants(permissions: &[String], permission: &str) -> bool {
    permissions.iter().any(|p| {
        p == permission
            || permission
                .strip_suffix(" Read")
                .is_some_and(|base| *p == format!("{base} Write") || *p == format!("{base} Edit"))
    })
}

/// An `X-Auth-Email` + `X-Auth-Key` pair (a global API key: every permission).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySpec {
    /// The account email.
    pub email: String,
    /// The global API key. Never logged.
    pub key: String,
}

impl std::fmt::Debug for ApiKeySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeySpec")
            .field("email", &self.email)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ApiKeySpec {
    /// Parses the `--api-key` flag: `EMAIL:KEY`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (email, key) = spec
            .split_once(':')
            .ok_or_else(|| "expected EMAIL:KEY".to_owned())?;
        if email.is_empty() || key.is_empty() {
            return Err("expected EMAIL:KEY with both parts non-empty".into());
        }
        Ok(ApiKeySpec {
            email: email.into(),
            key: key.into(),
        })
    }
}

/// How a truncated response is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TruncateMode {
    /// Announce the full `Content-Length`, send half the body, then close the connection.
    #[default]
    CloseMidBody,
    /// Send half the body with a matching `Content-Length`: a complete response of broken JSON.
    ShortBody,
}

/// Faults injected into API responses. Counting is over API requests (not `/__fake/...`), from 1.
/// Faults apply before authentication, so tests can count retries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// Sleep this long before answering every request.
    pub latency: Duration,
    /// Every Nth request gets a 5xx: 500, 502 and 503 in turn.
    pub fail_every: Option<u64>,
    /// Requests after the Nth get 429 (with `Retry-After: 1`) ...
    pub too_many_after: Option<u64>,
    /// ... for this many requests (default 1).
    pub too_many_for: u64,
    /// Each request gets 429 with this probability (seeded by [`Faults::seed`]).
    pub too_many_rate: Option<f64>,
    /// Seed of the random faults.
    pub seed: u64,
    /// Every Nth response body is cut in half.
    pub truncate_every: Option<u64>,
    /// How truncated bodies are cut.
    pub truncate_mode: TruncateMode,
    /// Every Nth request's connection is reset without a response.
    pub reset_every: Option<u64>,
    /// Write requests (any method but GET, except `/graphql`) after the Nth write get a 500
    /// without changing anything: a change that fails part-way through.
    pub fail_writes_after: Option<u64>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Faults {
            too_many_for: 1,
            ..Faults::default()
        }
    }
}

/// A sliding-window rate limit over all credentials, like Cloudflare's 1,200 requests per 300 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length.
    pub window: Duration,
}

impl RateLimit {
    /// Cloudflare's default: 1,200 requests per 300 seconds.
    pub fn cloudflare_default() -> Self {
        RateLimit {
            requests: 1200,
            window: Duration::from_secs(300),
        }
    }

    /// Parses `--rate-limit N/SECS`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (n, secs) = spec
            .split_once('/')
            .ok_or_else(|| "expected N/SECS, e.g. 1200/300".to_owned())?;
        let requests: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("bad request count {n:?}"))?;
        let secs: f64 = secs
            .trim()
            .parse()
            .map_err(|_| format!("bad window {secs:?}"))?;
        if requests == 0 || !(secs > 0.0 && secs.is_finite()) {
            return Err("the count and the window must be positive".into());
        }
        Ok(RateLimit {
            requests,
            window: Duration::from_secs_f64(secs),
        })
    }
}

/// Everything a fake is started with.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The account state the fake starts from.
    pub seed: Snapshot,
    /// Bearer tokens. Empty means one token `fake-token` with every permission.
    pub tokens: Vec<TokenSpec>,
    /// `X-Auth-Email` + `X-Auth-Key` pairs (every permission).
    pub api_keys: Vec<ApiKeySpec>,
    /// Injected faults.
    pub faults: Faults,
    /// Enforced rate limit; `None` for none (and no `Ratelimit` headers).
    pub rate_limit: Option<RateLimit>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Log each request to stderr (the binary does).
    pub log_to_stderr: bool,
}

/// The default token's value when no token is configured.
pub const DEFAULT_TOKEN: &str = "fake-token";

impl FakeConfig {
    /// A fake seeded with `seed`, the default token, no faults, no rate limit, any free port.
    pub fn new(seed: Snapshot) -> Self {
        FakeConfig {
            seed,
            tokens: Vec::new(),
            api_keys: Vec::new(),
            faults: Faults::none(),
            rate_limit: None,
            port: 0,
            log_to_stderr: false,
        }
    }

    /// A fake with no accounts and no zones.
    pub fn empty() -> Self {
        let source = Source {
            kind: SourceKind::File,
            detail: cfcp::snapshot::Field::Value("fake-cloudflare empty seed".into()),
            extra: Default::default(),
        };
        let taken_at = Timestamp::parse("2026-01-01T00:00:00Z")
            .unwrap_or_else(|_| Timestamp::from_datetime(time::OffsetDateTime::UNIX_EPOCH));
        FakeConfig::new(Snapshot::new(taken_at, source))
    }

    /// Adds a token.
    pub fn with_token(mut self, token: TokenSpec) -> Self {
        self.tokens.push(token);
        self
    }

    /// Sets the faults.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Sets the rate limit.
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// The tokens in effect (the default token when none is configured).
    pub fn effective_tokens(&self) -> Vec<TokenSpec> {
        if self.tokens.is_empty() && self.api_keys.is_empty() {
            vec![TokenSpec::all(DEFAULT_TOKEN)]
        } else {
            self.tokens.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_token_flags() {
        let t = TokenSpec::parse("abc=DNS Read,Zone Read").unwrap();
        assert_eq!(t.permissions, vec!["DNS Read", "Zone Read"]);
        assert!(t.grants("DNS Read"));
        assert!(!t.grants("DNS Write"));
        let all = TokenSpec::parse("x=all").unwrap();
        assert!(all.grants("Cloudflare Tunnel Write"));
        assert!(TokenSpec::parse("x=DNS Reed").is_err());
        assert!(TokenSpec::parse("novalue").is_err());
        assert!(!format!("{all:?}").contains("\"x\""));
    }

    #[test]
    fn write_implies_read() {
        let p = vec![
            "DNS Write".to_owned(),
            "Account Filter Lists Edit".to_owned(),
        ];
        assert!(grants(&p, "DNS Read"));
        assert!(grants(&p, "Account Filter Lists Read"));
        assert!(!grants(&p, "Zone Read"));
    }

    #[test]
    fn parses_rate_limit() {
        let r = RateLimit::parse("1200/300").unwrap();
        assert_eq!(r.requests, 1200);
        assert_eq!(r.window, Duration::from_secs(300));
        assert!(RateLimit::parse("0/1").is_err());
        assert!(RateLimit::parse("10").is_err());
    }
}
