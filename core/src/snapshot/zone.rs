//! Zone-level objects, in the shapes Cloudflare's API returns them.
//!
//! Each struct types the members cfcp uses and keeps every other member in `extra`, so a snapshot
//! written back is the JSON the API sent.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field::Field;
use super::open_enum::open_enum;
use super::raw::{RawJson, RawMembers};

/// One zone and everything cfcp reads about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneSnapshot {
    /// The zone object as `GET /zones` returns it.
    pub zone: Zone,
    /// The zone's settings as `GET /zones/{id}/settings` returns them.
    #[serde(default)]
    pub settings: Vec<ZoneSetting>,
    /// Every DNS record of the zone.
    #[serde(default)]
    pub dns_records: Vec<DnsRecord>,
    /// DNSSEC state; `None` when it could not be read (see the snapshot's gaps).
    #[serde(default)]
    pub dnssec: Option<Dnssec>,
    /// The zone's phase entrypoint rulesets.
    #[serde(default)]
    pub rulesets: Vec<Ruleset>,
    /// Bot management configuration; `None` when it could not be read.
    #[serde(default)]
    pub bot_management: Option<BotManagement>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ZoneSnapshot {
    /// The setting with this id (`"ssl"`, `"min_tls_version"`, ...), if the snapshot has it.
    pub fn setting(&self, id: &str) -> Option<&ZoneSetting> {
        self.settings.iter().find(|s| s.id == id)
    }

    /// A setting's value when it is a string (`"on"`, `"strict"`, `"1.2"`).
    pub fn setting_str(&self, id: &str) -> Option<&str> {
        self.setting(id).and_then(|s| s.value.as_str())
    }

    /// The entrypoint ruleset of a phase, if the zone has one.
    pub fn ruleset(&self, phase: &Phase) -> Option<&Ruleset> {
        self.rulesets.iter().find(|r| r.phase.get() == Some(phase))
    }
}

/// A zone object (`GET /zones`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    /// Zone identifier (32 hex characters).
    pub id: String,
    /// The domain name.
    pub name: String,
    /// Activation status.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<ZoneStatus>,
    /// Whether Cloudflare's proxy is paused for the zone.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub paused: Field<bool>,
    /// Zone type: `full`, `partial`, `secondary`, `internal`.
    #[serde(rename = "type", default, skip_serializing_if = "Field::is_absent")]
    pub zone_type: Field<String>,
    /// The owning account (`{"id", "name"}`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub account: Field<ZoneAccount>,
    /// The plan object (`{"id", "name", "legacy_id", ...}`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub plan: Field<Value>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Zone {
    /// The plan's name (`"Free Website"`, `"Enterprise Website"`), if present.
    pub fn plan_name(&self) -> Option<&str> {
        self.plan
            .get()
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
    }
}

/// The `account` member of a zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneAccount {
    /// Account identifier.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// Account name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

open_enum! {
    /// A zone's activation status.
    pub enum ZoneStatus {
        /// Nameservers point at Cloudflare.
        Active = "active",
        /// Waiting for nameserver change.
        Pending = "pending",
        /// Created, not yet set up.
        Initializing = "initializing",
        /// Moved away.
        Moved = "moved",
        /// Deleted.
        Deleted = "deleted",
        /// Deactivated.
        Deactivated = "deactivated",
    }
}

/// One zone setting (`{"id", "value", "editable", "modified_on"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneSetting {
    /// Setting id, e.g. `"ssl"`.
    pub id: String,
    /// Its value: a string for most settings, an object for some (`security_header`), a number for
    /// others (`challenge_ttl`).
    pub value: Value,
    /// Whether the plan lets the setting be changed.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub editable: Field<bool>,
    /// Last change.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub modified_on: Field<String>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A DNS record (`GET /zones/{id}/dns_records`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// Record identifier.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// Fully qualified record name.
    pub name: String,
    /// Record type.
    #[serde(rename = "type")]
    pub record_type: RecordType,
    /// Record content; for structured types Cloudflare also sends `data`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub content: Field<String>,
    /// Whether traffic goes through Cloudflare's proxy.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub proxied: Field<bool>,
    /// Whether the record could be proxied.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub proxiable: Field<bool>,
    /// Time to live in seconds; `1` means automatic.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub ttl: Field<u32>,
    /// Priority (MX, SRV, URI).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub priority: Field<u16>,
    /// Structured content (CAA, SRV, HTTPS, SVCB, TLSA, URI, LOC, ...), as compact JSON.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub data: Field<RawJson>,
    /// Free-text comment.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub comment: Field<String>,
    /// Tags (`name:value`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub tags: Field<Vec<String>>,
    /// Members this version of cfcp does not know, as compact JSON: records are the bulk of a
    /// snapshot, and a `Map` of them would cost more than the record itself.
    #[serde(flatten)]
    pub extra: RawMembers,
}

impl DnsRecord {
    /// True when the record is proxied through Cloudflare.
    pub fn is_proxied(&self) -> bool {
        self.proxied.copied().unwrap_or(false)
    }

    /// The record content, or `""` when Cloudflare sent none.
    pub fn content_str(&self) -> &str {
        self.content.as_deref().unwrap_or("")
    }
}

open_enum! {
    /// A DNS record type.
    pub enum RecordType {
        /// IPv4 address.
        A = "A",
        /// IPv6 address.
        Aaaa = "AAAA",
        /// Certification Authority Authorization.
        Caa = "CAA",
        /// Certificate.
        Cert = "CERT",
        /// Canonical name.
        Cname = "CNAME",
        /// DNSKEY.
        Dnskey = "DNSKEY",
        /// Delegation signer.
        Ds = "DS",
        /// HTTPS service binding.
        Https = "HTTPS",
        /// Location.
        Loc = "LOC",
        /// Mail exchanger.
        Mx = "MX",
        /// Naming authority pointer.
        Naptr = "NAPTR",
        /// Name server.
        Ns = "NS",
        /// OpenPGP key.
        Openpgpkey = "OPENPGPKEY",
        /// Pointer.
        Ptr = "PTR",
        /// S/MIME certificate association.
        Smimea = "SMIMEA",
        /// Service locator.
        Srv = "SRV",
        /// SSH fingerprint.
        Sshfp = "SSHFP",
        /// General service binding.
        Svcb = "SVCB",
        /// TLS authentication.
        Tlsa = "TLSA",
        /// Text.
        Txt = "TXT",
        /// URI.
        Uri = "URI",
    }
}

/// DNSSEC state (`GET /zones/{id}/dnssec`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dnssec {
    /// `active`, `pending`, `disabled`, ...
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<DnssecStatus>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

open_enum! {
    /// DNSSEC status.
    pub enum DnssecStatus {
        /// Signed and the DS is at the registrar.
        Active = "active",
        /// Waiting for the DS record.
        Pending = "pending",
        /// Being disabled.
        PendingDisabled = "pending-disabled",
        /// Off.
        Disabled = "disabled",
        /// Failed.
        Error = "error",
    }
}

/// A ruleset (a phase entrypoint when `kind` is `zone`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ruleset {
    /// Ruleset identifier.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// `zone`, `root`, `custom`, `managed`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub kind: Field<RulesetKind>,
    /// The phase the ruleset runs in.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub phase: Field<Phase>,
    /// Version string.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub version: Field<String>,
    /// The rules, in evaluation order.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

open_enum! {
    /// Ruleset kind.
    pub enum RulesetKind {
        /// A zone's phase entrypoint.
        Zone = "zone",
        /// An account's phase entrypoint.
        Root = "root",
        /// A custom ruleset.
        Custom = "custom",
        /// A managed ruleset.
        Managed = "managed",
    }
}

open_enum! {
    /// A ruleset phase.
    pub enum Phase {
        /// Custom rules (WAF).
        HttpRequestFirewallCustom = "http_request_firewall_custom",
        /// Managed rules (WAF).
        HttpRequestFirewallManaged = "http_request_firewall_managed",
        /// Rate limiting rules.
        HttpRatelimit = "http_ratelimit",
        /// Exposed-credentials / sensitive-data managed rules on responses.
        HttpResponseFirewallManaged = "http_response_firewall_managed",
        /// DDoS L7 overrides.
        DdosL7 = "ddos_l7",
        /// Bot management / super bot fight mode.
        HttpRequestSbfm = "http_request_sbfm",
        /// Configuration rules.
        HttpConfigSettings = "http_config_settings",
        /// Single redirects.
        HttpRequestDynamicRedirect = "http_request_dynamic_redirect",
        /// URL rewrites.
        HttpRequestTransform = "http_request_transform",
        /// Request header modification.
        HttpRequestLateTransform = "http_request_late_transform",
        /// Response header modification.
        HttpResponseHeadersTransform = "http_response_headers_transform",
        /// Origin rules.
        HttpRequestOrigin = "http_request_origin",
        /// Cache rules.
        HttpRequestCacheSettings = "http_request_cache_settings",
        /// Custom error rules.
        HttpCustomErrors = "http_custom_errors",
        /// Compression rules.
        HttpResponseCompression = "http_response_compression",
        /// Bulk redirects.
        HttpRequestRedirect = "http_request_redirect",
        /// Log custom fields.
        HttpLogCustomFields = "http_log_custom_fields",
    }
}

/// One rule of a ruleset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Rule identifier.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// What the rule does when it matches.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub action: Field<RuleAction>,
    /// The Rules-language expression.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub expression: Field<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    /// Whether the rule is on; Cloudflare treats a missing value as on.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub enabled: Field<bool>,
    /// Action parameters (the ruleset to execute, overrides, skip targets, response, ...).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub action_parameters: Field<Value>,
    /// Rate limiting parameters (rules in `http_ratelimit`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub ratelimit: Field<Value>,
    /// The rule's stable reference.
    #[serde(rename = "ref", default, skip_serializing_if = "Field::is_absent")]
    pub reference: Field<String>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Rule {
    /// Whether the rule is on (Cloudflare's default for a missing `enabled` is true).
    pub fn is_enabled(&self) -> bool {
        self.enabled.copied().unwrap_or(true)
    }
}

open_enum! {
    /// A rule action.
    pub enum RuleAction {
        /// Block the request.
        Block = "block",
        /// Managed challenge.
        ManagedChallenge = "managed_challenge",
        /// JavaScript challenge.
        JsChallenge = "js_challenge",
        /// Interactive challenge.
        Challenge = "challenge",
        /// Log only.
        Log = "log",
        /// Skip other rules or phases.
        Skip = "skip",
        /// Execute another ruleset (managed rules).
        Execute = "execute",
        /// Rewrite the request.
        Rewrite = "rewrite",
        /// Redirect.
        Redirect = "redirect",
        /// Route to another origin.
        Route = "route",
        /// Change configuration settings.
        SetConfig = "set_config",
        /// Cache settings.
        SetCacheSettings = "set_cache_settings",
        /// Serve a custom error.
        ServeError = "serve_error",
        /// Score (OWASP anomaly scoring).
        Score = "score",
        /// Compress response.
        CompressResponse = "compress_response",
        /// Log custom field.
        LogCustomField = "log_custom_field",
        /// DDoS dynamic mitigation.
        DdosDynamic = "ddos_dynamic",
        /// Force connection close.
        ForceConnectionClose = "force_connection_close",
    }
}

/// Bot management configuration (`GET /zones/{id}/bot_management`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotManagement {
    /// Bot Fight Mode.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub fight_mode: Field<bool>,
    /// JavaScript detections.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub enable_js: Field<bool>,
    /// Members this version of cfcp does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
