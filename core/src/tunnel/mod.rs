//! Cloudflare Tunnel service routing, pure: the seed's DNS/tunnel flow (service definition →
//! tunnel config → DNS routing → health → rotation) as plans.
//!
//! | module | what |
//! |---|---|
//! | [`service`] | an ingress rule's origin service, checked as cloudflared checks it |
//! | [`ingress`] | a whole ingress list validated (one catch-all, last; unique hostnames) |
//! | [`route`](mod@route) | [`plan_route`], [`plan_unroute`], and Layer0's [`route`](fn@route) |
//! | [`rotate`] | [`plan_rotate`], the tunnel secret and the connector token (secret types) |
//! | [`services`] | the declarative services file → a desired snapshot for `cfcp drift` |
//! | [`health`] | whether a tunnel's connections are up |
//!
//! The CLI (`cfcp tunnel`) reads the account, calls these, asks for approval, sends the
//! operations through `cfcp::api` and audits them; nothing here does IO or reads the clock.

pub mod health;
pub mod ingress;
pub mod rotate;
pub mod route;
pub mod service;
pub mod services;

use serde::Serialize;

use crate::plan::{Operation, Routing};
use crate::snapshot::{IngressRule, TunnelSnapshot, ZoneSnapshot};

pub use health::{connection_health, ConnectionHealth};
pub use ingress::{validate_ingress, IngressError, DEFAULT_CATCH_ALL};
pub use rotate::{connector_token, plan_rotate, ConnectorToken, TunnelSecret};
pub use route::{cname_target, plan_route, plan_unroute, route, RouteRequest, UnrouteRequest};
pub use service::{check_service, ACCEPTED_FORMS};
pub use services::{desired_from_services, is_services_file, ServicesFile};

/// A tunnel found in a snapshot, with its account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Located<'a> {
    pub account_id: &'a str,
    pub tunnel: &'a TunnelSnapshot,
}

/// What a `cfcp tunnel` command would do: the API operations in the order they must run, the
/// ingress as it will be, and Layer0's route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TunnelPlan {
    /// `route`, `unroute` or `rotate`.
    pub action: String,
    /// The tunnel's account.
    pub account_id: String,
    /// The tunnel's UUID.
    pub tunnel_id: String,
    /// Its name (the UUID when it has none).
    pub tunnel_name: String,
    /// The public hostname (route, unroute).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The rule's path regex, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The hostname's zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    /// The ingress after the plan (route, unroute).
    pub ingress: Vec<IngressRule>,
    /// The API requests, in order (empty: nothing to do).
    pub operations: Vec<Operation>,
    /// What the plan found and left alone, for humans.
    pub notes: Vec<String>,
    /// Whether it removes something (a route, a record, working credentials).
    pub destructive: bool,
    /// Layer0's decision ([`route`](fn@route) fills it).
    pub routing: Routing,
}

/// A route plan (the same shape serves every tunnel command).
pub type RoutePlan = TunnelPlan;

impl TunnelPlan {
    fn new(
        action: &str,
        located: &Located<'_>,
        hostname: Option<String>,
        zone: Option<&ZoneSnapshot>,
    ) -> TunnelPlan {
        let t = &located.tunnel.tunnel;
        TunnelPlan {
            action: action.to_owned(),
            account_id: located.account_id.to_owned(),
            tunnel_id: t.id.clone(),
            tunnel_name: t.name.as_deref().unwrap_or(&t.id).to_owned(),
            hostname,
            path: None,
            zone: zone.map(|z| z.zone.name.clone()),
            zone_id: zone.map(|z| z.zone.id.clone()),
            ingress: Vec::new(),
            operations: Vec::new(),
            notes: Vec::new(),
            destructive: false,
            routing: Routing::default(),
        }
    }

    /// How to undo the operations `applied` (a prefix of [`TunnelPlan::operations`]) after a
    /// failure: one line per applied operation, last first.
    ///
    /// ```
    /// use cfcp::tunnel::{plan_route, RouteRequest};
    /// let plan = plan_route(&cfcp::snapshot::demo(), &RouteRequest { tunnel: "acme-prod-shop".into(),
    ///     hostname: "blog.acme-shop.com".into(), service: "http://localhost:2368".into(),
    ///     ..RouteRequest::default() }).unwrap();
    /// assert!(plan.undo(1)[0].contains("cfcp tunnel unroute"));
    /// ```
    pub fn undo(&self, applied: usize) -> Vec<String> {
        let host = self.hostname.as_deref().unwrap_or_default();
        let path = self
            .path
            .as_deref()
            .map(|p| format!(" --path '{p}'"))
            .unwrap_or_default();
        self.operations
            .iter()
            .take(applied)
            .rev()
            .map(|op| match (&op.effect, self.action.as_str()) {
                (crate::plan::Effect::PutTunnelConfig { .. }, "route") => format!(
                    "{}: undo with `cfcp tunnel unroute --tunnel {} --hostname {host}{path}`",
                    op.summary, self.tunnel_id
                ),
                (crate::plan::Effect::PutTunnelConfig { .. }, _) => format!(
                    "{}: undo with `cfcp tunnel route --tunnel {} --hostname {host}{path} --service <the service it had>`",
                    op.summary, self.tunnel_id
                ),
                _ => format!(
                    "{}: undo by restoring the DNS record ({} {}) in the dashboard or with Terraform",
                    op.summary, op.method, op.path
                ),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
