//! Terraform's desired state as a snapshot: what the Terraform configuration says the account
//! should be, in the same shapes as what the API says it is, so the invariants can judge a plan
//! before it is applied and drift can compare the two.
//!
//! Three inputs, one result ([`Desired`]):
//! - [`load_json`]: a state file (format version 4), `terraform show -json` of a state, or
//!   `terraform show -json` of a plan (the planned state; values known only after apply are left
//!   out and listed in [`Desired::unevaluated`]);
//! - [`load_hcl`]: the literal `cloudflare_*` resources of `.tf` files, for a repository without
//!   state at hand (variables with defaults, `.tfvars` and literal locals are evaluated; the rest
//!   is listed in [`Desired::unevaluated`]);
//! - [`to_state`]: the inverse, a state (version 4, provider v5 resource types) describing a
//!   snapshot.
//!
//! Nothing is silently dropped: resource types cfcp does not map are in
//! [`Desired::unknown_resources`], and sections Terraform does not describe become snapshot gaps
//! (`not managed by Terraform (...)`), so the invariants report them UNKNOWN rather than judging an
//! empty list.
//!
//! ```
//! let state = br#"{"version": 4, "terraform_version": "1.9.0", "resources": [
//!   {"mode": "managed", "type": "cloudflare_dns_record", "name": "www",
//!    "provider": "provider[\"registry.terraform.io/cloudflare/cloudflare\"]",
//!    "instances": [{"attributes": {"id": "r1", "zone_id": "z1", "name": "www.example.com",
//!      "type": "A", "content": "192.0.2.1", "proxied": true, "ttl": 1, "comment": null}}]}]}"#;
//! let desired = cfcp::terraform::load_json(state, "terraform.tfstate").unwrap();
//! let zone = &desired.snapshot.zones[0];
//! assert_eq!(zone.dns_records[0].content_str(), "192.0.2.1");
//! assert_eq!(desired.resources[0].import_id.as_deref(), Some("z1/r1"));
//! // Terraform says nothing about this zone's settings: a gap, not an empty list.
//! assert!(desired.snapshot.gaps.iter().any(|g| g.section == "settings"));
//! ```

mod build;
mod clean;
mod hcl;
mod json;
mod origin_request;
mod to_state;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::snapshot::Snapshot;

pub use hcl::load_hcl;
pub use json::load_json;
pub use to_state::to_state;

/// What Terraform says the account should be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Desired {
    /// The desired state as a snapshot (`source.kind` terraform-state or terraform-plan).
    pub snapshot: Snapshot,
    /// Every loaded resource instance and the snapshot item it became, in input order.
    pub resources: Vec<ResourceRef>,
    /// Resources the loader does not map (other Cloudflare resource types, other providers).
    pub unknown_resources: Vec<ResourceAddr>,
    /// Attributes (or whole resources) whose value is not known: unknown until apply in a plan,
    /// or an HCL expression cfcp does not evaluate.
    pub unevaluated: Vec<Unevaluated>,
    /// Resources a plan deletes (they are not in the snapshot).
    #[serde(default)]
    pub planned_deletions: Vec<ResourceAddr>,
    /// Data-source instances (`mode: data`), skipped: they describe nothing Terraform manages.
    #[serde(default)]
    pub data_sources_skipped: usize,
    /// Remarks on how the input was read: zones named by id, duplicates, drift Terraform saw.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A Terraform resource instance, by type, name and address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAddr {
    /// Resource type (`cloudflare_access_application`).
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Resource name (`app`).
    pub name: String,
    /// Full address (`module.edge.cloudflare_access_application.app["x"]`).
    pub address: String,
    /// Why it is listed here (`resource type not mapped by cfcp`).
    pub why: String,
}

/// A value the loader could not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unevaluated {
    /// The resource's address (or `var.x`, `module.y` for things outside resources).
    pub address: String,
    /// The attribute path (`content`, `rules[0].expression`), or `*` for the whole resource.
    pub attribute: String,
    /// Why (`known only after apply`, `references cloudflare_zone.main.id`), and what became of
    /// the resource when it was skipped.
    pub why: String,
    /// The `.tf` file, for HCL input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line of the resource block in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// One loaded resource instance and the snapshot item it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// Terraform address (`cloudflare_dns_record.www`).
    pub address: String,
    /// Resource type as written in the input (v4 names kept: `cloudflare_record`).
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The snapshot item.
    pub item: SnapshotItem,
    /// The id `terraform import` takes for it (`<zone_id>/<record_id>`), when the ids are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
}

/// Where an item lives in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapshotItem {
    /// The zone id, for zone-level items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    /// The account id, for account-level items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// `zone`, `settings`, `dns_records`, `dnssec`, `rulesets`, `bot_management`, `lists`,
    /// `list_items`, `tunnels`, `tunnel_configuration`.
    pub section: String,
    /// The item in its section: a record or list id (or `TYPE name content` for a record without
    /// id), a setting id, a ruleset's phase (or id), a tunnel id, a list id + `/` + item key.
    pub key: String,
}

impl Desired {
    /// The resources that became items of this zone.
    ///
    /// ```
    /// let demo = cfcp::snapshot::demo();
    /// let desired = cfcp::terraform::load_json(
    ///     cfcp::terraform::to_state(&demo).to_string().as_bytes(), "demo").unwrap();
    /// let zone_id = &demo.zones[0].zone.id;
    /// assert!(desired.resources_of_zone(zone_id).count() > 10);
    /// ```
    pub fn resources_of_zone<'a>(
        &'a self,
        zone_id: &'a str,
    ) -> impl Iterator<Item = &'a ResourceRef> {
        self.resources
            .iter()
            .filter(move |r| r.item.zone_id.as_deref() == Some(zone_id))
    }
}
