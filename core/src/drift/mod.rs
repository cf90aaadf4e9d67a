//! Drift: where the live account differs from its desired state (Terraform's, or any snapshot).
//!
//! [`diff`] compares two snapshots resource by resource, the way Terraform addresses them
//! (import ids such as `<zone_id>/<record_id>`), after normalising what Cloudflare normalises
//! ([`normalise`]): the same configuration never shows drift. [`assess`] then rates each item's
//! risk with Layer0's structural judgements and the invariants the drift newly fails, and
//! [`revert`] turns the drift into ordered API operations that put the desired state back.
//!
//! Scope: only what the desired state describes. A zone the desired snapshot does not have is
//! not compared; a section it records as a gap (`not managed by Terraform`) is listed in
//! [`Drift::not_compared`], as is a section the live snapshot could not read. Within a managed
//! section, a live item the desired state does not have is drift of kind [`Change::Added`]
//! (made outside Terraform). Zone settings are compared one by one: only the settings the desired
//! state sets.
//!
//! ```
//! use cfcp::drift::{diff, Change};
//! let desired = cfcp::snapshot::demo();
//! let mut live = desired.clone();
//! assert!(diff(&desired, &live).items.is_empty());
//! let record = &mut live.zones[0].dns_records[0];
//! record.proxied = cfcp::snapshot::Field::Value(!record.proxied.copied().unwrap_or(false));
//! let drift = diff(&desired, &live);
//! assert_eq!(drift.items.len(), 1);
//! assert_eq!(drift.items[0].change, Change::Changed);
//! assert_eq!(drift.items[0].attributes[0].path, "proxied");
//! ```

mod address;
pub(crate) mod compare;
pub mod normalise;
pub mod render;
mod revert;
mod risk;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::snapshot::Snapshot;

pub use address::name_by_terraform;
pub use revert::{
    highest_risk, revert, route, RevertOptions, RevertPlan, RevertStep, Unrevertable,
};
pub use risk::assess;

/// The format string of the drift report contract.
pub const FORMAT_V1: &str = "cfcp.drift/v1";

/// The differences between a desired and a live snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// Always [`FORMAT_V1`].
    pub format: String,
    /// One item per drifted resource, in snapshot order (zones, then accounts).
    pub items: Vec<DriftItem>,
    /// Sections that were not compared, and why.
    pub not_compared: Vec<NotCompared>,
    /// How much was compared.
    pub compared: Compared,
}

/// The kind of resource, named after the provider v5 resource type without `cloudflare_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A zone.
    Zone,
    /// One zone setting (`cloudflare_zone_setting`).
    ZoneSetting,
    /// A DNS record.
    DnsRecord,
    /// A zone's DNSSEC.
    ZoneDnssec,
    /// A ruleset with its rules.
    Ruleset,
    /// A zone's bot management.
    BotManagement,
    /// A Cloudflare Tunnel (`cloudflare_zero_trust_tunnel_cloudflared`).
    Tunnel,
    /// A tunnel's ingress configuration (`cloudflare_zero_trust_tunnel_cloudflared_config`).
    TunnelConfig,
    /// A rules list with its items.
    List,
}

impl ResourceKind {
    /// The provider v5 resource type.
    ///
    /// ```
    /// assert_eq!(cfcp::drift::ResourceKind::DnsRecord.terraform_type(), "cloudflare_dns_record");
    /// ```
    pub fn terraform_type(self) -> &'static str {
        match self {
            ResourceKind::Zone => "cloudflare_zone",
            ResourceKind::ZoneSetting => "cloudflare_zone_setting",
            ResourceKind::DnsRecord => "cloudflare_dns_record",
            ResourceKind::ZoneDnssec => "cloudflare_zone_dnssec",
            ResourceKind::Ruleset => "cloudflare_ruleset",
            ResourceKind::BotManagement => "cloudflare_bot_management",
            ResourceKind::Tunnel => "cloudflare_zero_trust_tunnel_cloudflared",
            ResourceKind::TunnelConfig => "cloudflare_zero_trust_tunnel_cloudflared_config",
            ResourceKind::List => "cloudflare_list",
        }
    }

    /// The snapshot section the resource lives in (what gaps name).
    pub fn section(self) -> &'static str {
        match self {
            ResourceKind::Zone => "zones",
            ResourceKind::ZoneSetting => "settings",
            ResourceKind::DnsRecord => "dns_records",
            ResourceKind::ZoneDnssec => "dnssec",
            ResourceKind::Ruleset => "rulesets",
            ResourceKind::BotManagement => "bot_management",
            ResourceKind::Tunnel | ResourceKind::TunnelConfig => "tunnels",
            ResourceKind::List => "lists",
        }
    }
}

/// Which way a resource drifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Live has it, the desired state does not: made outside Terraform.
    Added,
    /// The desired state has it, live does not: deleted outside Terraform.
    Removed,
    /// Both have it, with different attributes.
    Changed,
}

impl Change {
    /// `added`, `removed`, `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// One attribute that differs: its path inside the resource and both values (`null` when a side
/// does not have it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeDiff {
    /// `proxied`, `content`, `value`, `rules[block-bad-bots].action`, `items[+]`, ...
    pub path: String,
    /// What the desired state says.
    pub desired: Value,
    /// What the account has.
    pub live: Value,
}

/// How risky a drift item is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Cosmetic (comments, tags) or not yet assessed.
    #[default]
    Info,
    /// A change with no security meaning found.
    Low,
    /// Touches something sensitive (mail, delegation, certificates, a tunnel's routing).
    Medium,
    /// Weakens the account: a security downgrade, or a high-severity invariant newly failing.
    High,
    /// A critical invariant newly failing.
    Critical,
}

impl RiskLevel {
    /// `info` … `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Info => "info",
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
            RiskLevel::Critical => "critical",
        }
    }
}

/// The risk of one drift item and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    /// The level ([`assess`] sets it; [`diff`] leaves `info`).
    pub level: RiskLevel,
    /// Layer0's flags for what the drift did (`security_downgrade`, `sensitive_record`,
    /// `destructive`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Why, in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Invariants failing live that do not fail in the desired state, on this resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
}

/// One drifted resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftItem {
    /// What kind of resource.
    pub kind: ResourceKind,
    /// Its Terraform import id (`<zone_id>/<record_id>`, `zones/<zone_id>/<ruleset_id>`, ...).
    pub import_id: String,
    /// Its Terraform address, when the desired state came from Terraform and named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A human label (`A www.example.com`, `ssl`, `http_request_firewall_custom`).
    pub label: String,
    /// The zone's name, for zone resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The zone's id, for zone resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    /// The account's id, for account resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Added, removed or changed.
    pub change: Change,
    /// The attributes that differ (empty for added and removed resources).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeDiff>,
    /// The desired resource in the API's shape (`null` when added).
    pub desired: Value,
    /// The live resource in the API's shape (`null` when removed).
    pub live: Value,
    /// How risky it is.
    pub risk: Risk,
}

/// A section that was not compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotCompared {
    /// The zone's name, for zone sections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The account's id, for account sections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The section (`dns_records`, `rulesets`, ...).
    pub section: String,
    /// Why: the gap's reason, prefixed by the side (`desired: …`, `live: …`).
    pub reason: String,
}

/// Counts of what was compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compared {
    /// Zones present in both.
    pub zones: usize,
    /// Resources compared (desired and live-only ones).
    pub resources: usize,
    /// Live zones the desired state does not describe (not compared).
    pub unmanaged_zones: usize,
}

impl Drift {
    /// Items at or above `level`.
    pub fn at_least(&self, level: RiskLevel) -> impl Iterator<Item = &DriftItem> {
        self.items.iter().filter(move |i| i.risk.level >= level)
    }

    /// Counts of items by change.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |c: Change| self.items.iter().filter(|i| i.change == c).count();
        (
            count(Change::Added),
            count(Change::Removed),
            count(Change::Changed),
        )
    }

    /// Whether nothing drifted.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Reads a drift report (`cfcp.drift/v1`) back, e.g. one a binding handed out as a dict;
    /// the error names the JSON path that does not fit.
    ///
    /// ```
    /// let s = cfcp::snapshot::demo();
    /// let drift = cfcp::drift::diff(&s, &s);
    /// let back = cfcp::drift::Drift::from_value(serde_json::to_value(&drift).unwrap()).unwrap();
    /// assert_eq!(back, drift);
    /// let err = cfcp::drift::Drift::from_value(serde_json::json!({"format": "cfcp.drift/v1", "items": 3})).unwrap_err();
    /// assert!(err.to_string().contains("items"));
    /// ```
    pub fn from_value(value: Value) -> crate::Result<Drift> {
        serde_path_to_error::deserialize(value).map_err(|e| crate::Error::InvalidDocument {
            document: "drift",
            path: e.path().to_string(),
            line: 0,
            column: 0,
            message: e.inner().to_string(),
        })
    }
}

/// Compares `desired` with `live`: every drifted resource with the attributes that differ.
/// Pure and deterministic; risks are left at `info` until [`assess`].
pub fn diff(desired: &Snapshot, live: &Snapshot) -> Drift {
    compare::diff(desired, live)
}
