//! Tunnel-secret rotation: [`plan_rotate`], the secret and the connector token as secret types.
//!
//! The new secret is made by the caller from the OS random source (core reads no randomness);
//! it appears in the plan only as a placeholder, so the plan can be printed and audited. The
//! connector token (`cloudflared tunnel run --token …`) is base64 of `{"a","t","s"}`, which
//! `cfcp::audit::redact` recognises and masks.

use std::fmt;

use base64::Engine as _;
use serde_json::json;

use super::route::find_tunnel;
use super::TunnelPlan;
use crate::error::Result;
use crate::plan::{Effect, Operation};
use crate::snapshot::Snapshot;

/// What the plan shows in place of the secret it will send.
pub const SECRET_PLACEHOLDER: &str = "<32 random bytes, base64, made when applied>";

/// A tunnel secret: 32 random bytes, base64. No `Display`; `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct TunnelSecret(String);

impl TunnelSecret {
    /// The secret for these bytes (the caller takes them from the OS random source).
    ///
    /// ```
    /// let s = cfcp::tunnel::TunnelSecret::from_bytes(&[7u8; 32]);
    /// assert_eq!(s.expose().len(), 44);
    /// assert_eq!(format!("{s:?}"), "***");
    /// ```
    pub fn from_bytes(bytes: &[u8; 32]) -> TunnelSecret {
        TunnelSecret(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// A secret given as base64 text (standard alphabet), if it decodes to at least 32 bytes.
    ///
    /// ```
    /// use cfcp::tunnel::TunnelSecret;
    /// let s = TunnelSecret::from_bytes(&[9u8; 32]);
    /// assert_eq!(TunnelSecret::from_base64(s.expose()), Some(s));
    /// assert_eq!(TunnelSecret::from_base64("c2hvcnQ="), None);
    /// ```
    pub fn from_base64(text: &str) -> Option<TunnelSecret> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?;
        (bytes.len() >= 32).then(|| TunnelSecret(text.to_owned()))
    }

    /// The base64 text, to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TunnelSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A connector token. No `Display`; `Debug` prints `***`: print it on purpose, with
/// [`ConnectorToken::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectorToken(String);

impl ConnectorToken {
    /// Wraps a token the API returned.
    pub fn new(token: String) -> ConnectorToken {
        ConnectorToken(token)
    }

    /// The token text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ConnectorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The connector token for a tunnel and secret, as Cloudflare makes it.
///
/// ```
/// use cfcp::tunnel::{connector_token, TunnelSecret};
/// let token = connector_token("acct", "62d41457-d239-44d4-915c-ead8d787ab3f", &TunnelSecret::from_bytes(&[1u8; 32]));
/// let masked = cfcp::audit::redact::redact_str(&format!("run --token {}", token.expose())).unwrap();
/// assert!(!masked.contains(token.expose()));
/// ```
pub fn connector_token(
    account_tag: &str,
    tunnel_id: &str,
    secret: &TunnelSecret,
) -> ConnectorToken {
    let body = json!({"a": account_tag, "t": tunnel_id, "s": secret.expose()});
    ConnectorToken(base64::engine::general_purpose::STANDARD.encode(body.to_string()))
}

/// Plans replacing the tunnel's secret (`PATCH /accounts/{a}/cfd_tunnel/{t}` with
/// `tunnel_secret`): connectors started with the old token can no longer connect, so the plan
/// is destructive and always needs approval.
///
/// ```
/// let plan = cfcp::tunnel::plan_rotate(&cfcp::snapshot::demo(), "acme-prod-shop").unwrap();
/// assert_eq!(plan.operations.len(), 1);
/// assert_eq!(plan.operations[0].method, "PATCH");
/// assert!(plan.destructive);
/// ```
pub fn plan_rotate(snapshot: &Snapshot, name_or_id: &str) -> Result<TunnelPlan> {
    let located = find_tunnel(snapshot, name_or_id, "tunnel rotate")?;
    let mut plan = TunnelPlan::new("rotate", &located, None, None);
    plan.destructive = true;
    let id = &located.tunnel.tunnel.id;
    plan.operations.push(Operation {
        method: "PATCH".into(),
        path: format!("/accounts/{}/cfd_tunnel/{id}", located.account_id),
        body: Some(json!({ "tunnel_secret": SECRET_PLACEHOLDER })),
        effect: Effect::RotateTunnelSecret {
            tunnel_id: id.clone(),
        },
        summary: format!("replace the secret of tunnel {}", plan.tunnel_name),
    });
    plan.notes.push(
        "every cloudflared started with the old token must be restarted with the new one".into(),
    );
    plan.ingress = located.tunnel.ingress().to_vec();
    Ok(plan)
}
