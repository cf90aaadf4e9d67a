//! Account-level objects: the account, its Cloudflare Tunnels and its rules lists.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field::Field;
use super::open_enum::open_enum;

/// One account and what cfcp reads about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    /// The account object as `GET /accounts` returns it.
    pub account: Account,
    /// Cloudflare Tunnels (`cfd_tunnel`), with configuration and connections.
    #[serde(default)]
    pub tunnels: Vec<TunnelSnapshot>,
    /// Rules lists (IP, ASN, hostname, redirect) with their items.
    #[serde(default)]
    pub lists: Vec<ListSnapshot>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AccountSnapshot {
    /// The tunnel with this id (deleted tunnels included).
    pub fn tunnel(&self, id: &str) -> Option<&TunnelSnapshot> {
        self.tunnels
            .iter()
            .find(|t| t.tunnel.id.eq_ignore_ascii_case(id))
    }

    /// The list with this name (`$name` in expressions refers to it).
    pub fn list(&self, name: &str) -> Option<&ListSnapshot> {
        self.lists
            .iter()
            .find(|l| l.list.name.as_deref() == Some(name))
    }
}

/// An account object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Account identifier.
    pub id: String,
    /// Account name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tunnel with its remote configuration and live connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunnelSnapshot {
    /// The `cfd_tunnel` object.
    pub tunnel: Tunnel,
    /// `GET .../cfd_tunnel/{id}/configurations` result; `None` for locally configured or deleted
    /// tunnels.
    #[serde(default)]
    pub configuration: Option<TunnelConfiguration>,
    /// `GET .../cfd_tunnel/{id}/connections` result: the connectors (cloudflared instances).
    #[serde(default)]
    pub connections: Vec<TunnelConnector>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TunnelSnapshot {
    /// The configured ingress rules (empty when the tunnel has no remote configuration).
    pub fn ingress(&self) -> &[IngressRule] {
        self.configuration
            .as_ref()
            .and_then(|c| c.config.get())
            .and_then(|c| c.ingress.get())
            .map_or(&[], Vec::as_slice)
    }
}

/// A `cfd_tunnel` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tunnel {
    /// Tunnel UUID.
    pub id: String,
    /// Name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// `inactive`, `degraded`, `healthy`, `down`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<TunnelStatus>,
    /// When the tunnel was deleted; deleted tunnels still appear in listings.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub deleted_at: Field<String>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Tunnel {
    /// True when the tunnel has been deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.get().is_some()
    }
}

open_enum! {
    /// Tunnel health.
    pub enum TunnelStatus {
        /// Never connected, or no connectors.
        Inactive = "inactive",
        /// Some connections down.
        Degraded = "degraded",
        /// All connections up.
        Healthy = "healthy",
        /// No connections.
        Down = "down",
    }
}

/// A tunnel's remote configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunnelConfiguration {
    /// The tunnel this belongs to.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub tunnel_id: Field<String>,
    /// Configuration version.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub version: Field<i64>,
    /// The configuration itself.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub config: Field<TunnelConfig>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `config` member of a tunnel configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunnelConfig {
    /// Ingress rules, in match order; the last should be a catch-all.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub ingress: Field<Vec<IngressRule>>,
    /// Members this version of cfcp does not know (`originRequest`, `warp-routing`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One ingress rule of a tunnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngressRule {
    /// Public hostname matched; absent on a catch-all.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub hostname: Field<String>,
    /// Path regex matched.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub path: Field<String>,
    /// Origin service (`https://localhost:8000`, `http_status:404`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub service: Field<String>,
    /// Members this version of cfcp does not know (`originRequest`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IngressRule {
    /// A rule matching every request: no hostname (or `*`) and no path.
    pub fn is_catch_all(&self) -> bool {
        let any_host = matches!(self.hostname.as_deref(), None | Some("") | Some("*"));
        let any_path = matches!(self.path.as_deref(), None | Some(""));
        any_host && any_path
    }
}

/// A connector (one cloudflared instance) as the connections endpoint returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunnelConnector {
    /// Connector id.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// Its connections to Cloudflare's edge.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub conns: Field<Vec<TunnelConnection>>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One connection between a connector and a Cloudflare data centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunnelConnection {
    /// Data centre code.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub colo_name: Field<String>,
    /// Whether the connection is about to reconnect.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub is_pending_reconnect: Field<bool>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A rules list and its items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListSnapshot {
    /// The list object.
    pub list: RulesList,
    /// Its items.
    #[serde(default)]
    pub items: Vec<ListItem>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A rules list object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesList {
    /// List identifier.
    pub id: String,
    /// Name used as `$name` in expressions.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// `ip`, `asn`, `hostname`, `redirect`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub kind: Field<ListKind>,
    /// Item count as Cloudflare reports it.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub num_items: Field<u64>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

open_enum! {
    /// Kind of a rules list.
    pub enum ListKind {
        /// IP addresses and CIDRs.
        Ip = "ip",
        /// Autonomous system numbers.
        Asn = "asn",
        /// Hostnames.
        Hostname = "hostname",
        /// Bulk redirects.
        Redirect = "redirect",
    }
}

/// One item of a rules list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListItem {
    /// Item identifier.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// IP address or CIDR (IP lists).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub ip: Field<String>,
    /// ASN (ASN lists).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub asn: Field<u64>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub comment: Field<String>,
    /// Members this version of cfcp does not know (`hostname`, `redirect`, timestamps).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
