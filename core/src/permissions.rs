//! What an API token may do, computed from its policies or from probe results (pure, no IO).
//!
//! Input is the `GET /user/tokens/{id}` result (`{id, name, status, expires_on, policies: [{id,
//! effect, resources, permission_groups: [{id, name}]}]}`) or, when the token may not read its
//! own details, one probe per section. Output is what the token can read and change per snapshot
//! section, which cfcp modes it suffices for, and least-privilege warnings.
//!
//! ```
//! use cfcp::permissions::{analyze_policies, Mode, TokenDetails};
//! let details: TokenDetails = serde_json::from_str(r#"{"id":"t","status":"active","policies":[
//!   {"id":"p","effect":"allow","resources":{"com.cloudflare.api.account.zone.*":"*"},
//!    "permission_groups":[{"id":"1","name":"DNS Write"},{"id":"2","name":"Zone Read"}]}]}"#).unwrap();
//! let analysis = analyze_policies(&details.policies, &[Mode::ManageDns]);
//! assert!(analysis.suffices_for(Mode::ManageDns));
//! assert!(!analysis.suffices_for(Mode::ReadOnlyChecks));
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The permission group names cfcp knows (Cloudflare's names; the fake server uses the same).
pub const PERMISSION_GROUPS: &[&str] = &[
    "Zone Read",
    "Zone Write",
    "Zone Settings Read",
    "Zone Settings Write",
    "DNS Read",
    "DNS Write",
    "Zone WAF Read",
    "Zone WAF Write",
    "Bot Management Read",
    "Bot Management Write",
    "Cloudflare Tunnel Read",
    "Cloudflare Tunnel Write",
    "Account Filter Lists Read",
    "Account Filter Lists Edit",
    "Account Settings Read",
    "Account Settings Write",
    "Analytics Read",
    "API Tokens Read",
    "API Tokens Write",
];

/// A part of a snapshot (and of the API) that needs its own permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// `GET /accounts`.
    Accounts,
    /// `GET /zones`.
    Zones,
    /// Zone settings.
    Settings,
    /// DNS records.
    DnsRecords,
    /// DNSSEC.
    Dnssec,
    /// Rulesets (WAF, rate limiting, ...).
    Rulesets,
    /// Bot management.
    BotManagement,
    /// Cloudflare Tunnels.
    Tunnels,
    /// A tunnel's remote configuration.
    TunnelConfiguration,
    /// A tunnel's connectors.
    TunnelConnections,
    /// Rules lists.
    Lists,
    /// Items of a rules list.
    ListItems,
    /// GraphQL analytics.
    Graphql,
}

impl Section {
    /// Every section, in snapshot order.
    pub const ALL: &'static [Section] = &[
        Section::Accounts,
        Section::Zones,
        Section::Settings,
        Section::DnsRecords,
        Section::Dnssec,
        Section::Rulesets,
        Section::BotManagement,
        Section::Tunnels,
        Section::TunnelConfiguration,
        Section::TunnelConnections,
        Section::Lists,
        Section::ListItems,
        Section::Graphql,
    ];

    /// The name used in snapshot gaps (`dns_records`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Accounts => "accounts",
            Section::Zones => "zones",
            Section::Settings => "settings",
            Section::DnsRecords => "dns_records",
            Section::Dnssec => "dnssec",
            Section::Rulesets => "rulesets",
            Section::BotManagement => "bot_management",
            Section::Tunnels => "tunnels",
            Section::TunnelConfiguration => "tunnel_configuration",
            Section::TunnelConnections => "tunnel_connections",
            Section::Lists => "lists",
            Section::ListItems => "list_items",
            Section::Graphql => "graphql",
        }
    }

    /// The permission group needed to read the section.
    pub fn read_permission(self) -> &'static str {
        match self {
            Section::Zones => "Zone Read",
            Section::Settings => "Zone Settings Read",
            Section::DnsRecords | Section::Dnssec => "DNS Read",
            Section::Rulesets => "Zone WAF Read",
            Section::BotManagement => "Bot Management Read",
            Section::Tunnels | Section::TunnelConfiguration | Section::TunnelConnections => {
                "Cloudflare Tunnel Read"
            }
            Section::Lists | Section::ListItems => "Account Filter Lists Read",
            Section::Accounts => "Account Settings Read",
            Section::Graphql => "Analytics Read",
        }
    }

    /// The permission group needed to change the section, if it can be changed.
    pub fn write_permission(self) -> Option<&'static str> {
        match self {
            Section::Zones => Some("Zone Write"),
            Section::Settings => Some("Zone Settings Write"),
            Section::DnsRecords | Section::Dnssec => Some("DNS Write"),
            Section::Rulesets => Some("Zone WAF Write"),
            Section::BotManagement => Some("Bot Management Write"),
            Section::Tunnels | Section::TunnelConfiguration | Section::TunnelConnections => {
                Some("Cloudflare Tunnel Write")
            }
            Section::Lists | Section::ListItems => Some("Account Filter Lists Edit"),
            Section::Accounts => Some("Account Settings Write"),
            Section::Graphql => None,
        }
    }
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What cfcp is used for; each needs some permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Snapshots and checks; changes nothing.
    ReadOnlyChecks,
    /// Change DNS records.
    ManageDns,
    /// Change WAF rulesets.
    ManageWaf,
    /// Change tunnel configurations.
    ManageTunnels,
}

impl Mode {
    /// Every mode.
    pub const ALL: &'static [Mode] = &[
        Mode::ReadOnlyChecks,
        Mode::ManageDns,
        Mode::ManageWaf,
        Mode::ManageTunnels,
    ];

    /// How the CLI names the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadOnlyChecks => "read-only checks",
            Mode::ManageDns => "manage DNS",
            Mode::ManageWaf => "manage WAF",
            Mode::ManageTunnels => "manage tunnels",
        }
    }

    /// Permission groups the mode needs.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Mode::ReadOnlyChecks => &[
                "Zone Read",
                "Zone Settings Read",
                "DNS Read",
                "Zone WAF Read",
                "Bot Management Read",
                "Cloudflare Tunnel Read",
                "Account Filter Lists Read",
            ],
            Mode::ManageDns => &["DNS Write"],
            Mode::ManageWaf => &["Zone WAF Write"],
            Mode::ManageTunnels => &["Cloudflare Tunnel Write"],
        }
    }

    /// Permission groups the mode can use but does without.
    pub fn optional(self) -> &'static [&'static str] {
        match self {
            Mode::ReadOnlyChecks => &["Account Settings Read", "Analytics Read"],
            _ => &[],
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token's details (`GET /user/tokens/{id}`). Never holds the token's secret value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenDetails {
    /// Token id.
    pub id: String,
    /// Token name.
    #[serde(default)]
    pub name: Option<String>,
    /// `active`, `disabled`, `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// Expiry.
    #[serde(default)]
    pub expires_on: Option<String>,
    /// Not valid before.
    #[serde(default)]
    pub not_before: Option<String>,
    /// Policies.
    #[serde(default)]
    pub policies: Vec<Policy>,
    /// Other members (`condition`, `issued_on`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One policy of a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Policy id.
    #[serde(default)]
    pub id: Option<String>,
    /// `allow` or `deny`.
    #[serde(default = "allow")]
    pub effect: String,
    /// Resource key → `"*"` or a nested object of resources.
    #[serde(default)]
    pub resources: Map<String, Value>,
    /// Permission groups granted (or denied).
    #[serde(default)]
    pub permission_groups: Vec<PermissionGroup>,
}

fn allow() -> String {
    "allow".to_owned()
}

/// A permission group reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGroup {
    /// Group id.
    #[serde(default)]
    pub id: Option<String>,
    /// Group name, e.g. `DNS Read`.
    #[serde(default)]
    pub name: String,
}

/// How widely a resource key reaches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Resource {
    /// `com.cloudflare.api.account.*`: every account of the user.
    AllAccounts,
    /// `com.cloudflare.api.account.zone.*` at top level: every zone of every account.
    AllZones,
    /// `com.cloudflare.api.account.<id>`: one whole account (and all its zones).
    Account(String),
    /// `com.cloudflare.api.account.<id>` with `{"com.cloudflare.api.account.zone.*": "*"}`.
    ZonesOfAccount(String),
    /// `com.cloudflare.api.account.zone.<id>`: one zone.
    Zone(String),
    /// Anything else (user resources, ...), kept verbatim.
    Other(String),
}

impl Resource {
    /// Classifies a policy's resources (nested objects included).
    pub fn from_resources(resources: &Map<String, Value>) -> Vec<Resource> {
        let mut out = Vec::new();
        for (key, value) in resources {
            match key.as_str() {
                "com.cloudflare.api.account.*" => out.push(Resource::AllAccounts),
                "com.cloudflare.api.account.zone.*" => out.push(Resource::AllZones),
                k => {
                    if let Some(zone) = k.strip_prefix("com.cloudflare.api.account.zone.") {
                        out.push(Resource::Zone(zone.to_owned()));
                    } else if let Some(account) = k.strip_prefix("com.cloudflare.api.account.") {
                        match value.as_object() {
                            Some(nested) if !nested.is_empty() => {
                                for (inner, _) in nested {
                                    match inner.strip_prefix("com.cloudflare.api.account.zone.") {
                                        Some("*") => {
                                            out.push(Resource::ZonesOfAccount(account.to_owned()))
                                        }
                                        Some(zone) => out.push(Resource::Zone(zone.to_owned())),
                                        None => out.push(Resource::Other(inner.clone())),
                                    }
                                }
                            }
                            _ => out.push(Resource::Account(account.to_owned())),
                        }
                    } else {
                        out.push(Resource::Other(k.to_owned()));
                    }
                }
            }
        }
        out
    }

    fn is_wildcard(&self) -> bool {
        matches!(self, Resource::AllAccounts | Resource::AllZones)
    }

    fn covers(&self, other: &Resource) -> bool {
        match (self, other) {
            (Resource::AllAccounts, _) => true,
            (
                Resource::AllZones,
                Resource::Zone(_) | Resource::ZonesOfAccount(_) | Resource::AllZones,
            ) => true,
            (Resource::Account(a), Resource::Account(b) | Resource::ZonesOfAccount(b)) => a == b,
            (Resource::ZonesOfAccount(a), Resource::ZonesOfAccount(b)) => a == b,
            (a, b) => a == b,
        }
    }
}

/// Yes, no, or cannot tell (probes cannot tell about writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Knowledge {
    /// Granted.
    Yes,
    /// Not granted.
    No,
    /// Could not be determined.
    Unknown,
}

/// What the token may do with one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionAccess {
    /// The section.
    pub section: Section,
    /// Whether it can be read.
    pub read: Knowledge,
    /// Whether it can be changed (`No` for read-only sections).
    pub write: Knowledge,
    /// Why, when a probe decided (e.g. `403 Authentication error (code 10000)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Whether the token suffices for a mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeVerdict {
    /// The mode.
    pub mode: Mode,
    /// Yes, no, or unknown.
    pub sufficient: Knowledge,
    /// Permission groups it lacks (or could not confirm) for the mode.
    pub missing: Vec<String>,
}

/// Where the analysis came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisSource {
    /// The token's policies.
    Policies,
    /// One probe request per section (the token may not read its own details).
    Probes,
}

/// The result of analysing a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionAnalysis {
    /// Policies or probes.
    pub source: AnalysisSource,
    /// Permission groups granted somewhere (after deny policies), sorted.
    pub granted: Vec<String>,
    /// Access per section, in [`Section::ALL`] order.
    pub sections: Vec<SectionAccess>,
    /// Verdict per mode, in [`Mode::ALL`] order.
    pub modes: Vec<ModeVerdict>,
    /// Least-privilege warnings.
    pub warnings: Vec<String>,
}

impl PermissionAnalysis {
    /// True when the token is known to suffice for `mode`.
    pub fn suffices_for(&self, mode: Mode) -> bool {
        self.modes
            .iter()
            .any(|v| v.mode == mode && v.sufficient == Knowledge::Yes)
    }

    /// The access to one section.
    pub fn section(&self, section: Section) -> Option<&SectionAccess> {
        self.sections.iter().find(|s| s.section == section)
    }
}

/// The Read permission a Write/Edit permission implies (`DNS Write` → `DNS Read`).
pub fn implied_read(permission: &str) -> Option<String> {
    permission
        .strip_suffix(" Write")
        .or_else(|| permission.strip_suffix(" Edit"))
        .map(|base| format!("{base} Read"))
}

fn is_write(permission: &str) -> bool {
    permission.ends_with(" Write") || permission.ends_with(" Edit")
}

/// Permission groups that deserve a warning whenever granted (they let a token escalate or
/// touch money and people).
fn is_sensitive(permission: &str) -> bool {
    let p = permission.to_ascii_lowercase();
    p == "account settings write"
        || p == "api tokens write"
        || p.contains("billing")
        || p.contains("member")
        || p.contains("user details")
}

/// Analyses a token's policies. `intended` are the modes the user means to use it for; when
/// empty, the modes the token suffices for are assumed (so warnings name only grants no cfcp mode
/// needs).
pub fn analyze_policies(policies: &[Policy], intended: &[Mode]) -> PermissionAnalysis {
    // Effective grants: for each allow (permission, resource), keep it unless a deny covers it.
    let mut grants: Vec<(String, Resource, Option<String>)> = Vec::new();
    let mut denies: Vec<(String, Resource)> = Vec::new();
    for policy in policies {
        let resources = Resource::from_resources(&policy.resources);
        for group in &policy.permission_groups {
            for resource in &resources {
                if policy.effect.eq_ignore_ascii_case("deny") {
                    denies.push((group.name.clone(), resource.clone()));
                } else {
                    grants.push((group.name.clone(), resource.clone(), policy.id.clone()));
                }
            }
        }
    }
    grants.retain(|(perm, res, _)| !denies.iter().any(|(dp, dr)| dp == perm && dr.covers(res)));

    let mut granted: Vec<String> = Vec::new();
    for (perm, _, _) in &grants {
        granted.push(perm.clone());
        if let Some(read) = implied_read(perm) {
            granted.push(read);
        }
    }
    granted.sort();
    granted.dedup();
    let has = |perm: &str| granted.iter().any(|g| g == perm);

    let sections = Section::ALL
        .iter()
        .map(|&section| SectionAccess {
            section,
            read: if has(section.read_permission()) {
                Knowledge::Yes
            } else {
                Knowledge::No
            },
            write: match section.write_permission() {
                Some(w) if has(w) => Knowledge::Yes,
                _ => Knowledge::No,
            },
            detail: None,
        })
        .collect();

    let modes: Vec<ModeVerdict> = Mode::ALL
        .iter()
        .map(|&mode| {
            let missing: Vec<String> = mode
                .required()
                .iter()
                .filter(|p| !has(p))
                .map(|p| (*p).to_owned())
                .collect();
            let sufficient = if missing.is_empty() {
                Knowledge::Yes
            } else {
                Knowledge::No
            };
            ModeVerdict {
                mode,
                sufficient,
                missing,
            }
        })
        .collect();

    let chosen: Vec<Mode> = if intended.is_empty() {
        modes
            .iter()
            .filter(|v| v.sufficient == Knowledge::Yes)
            .map(|v| v.mode)
            .collect()
    } else {
        intended.to_vec()
    };
    let needed: Vec<&str> = chosen
        .iter()
        .flat_map(|m| m.required().iter().chain(m.optional().iter()).copied())
        .collect();

    let mut warnings = Vec::new();
    let mode_names: Vec<&str> = chosen.iter().map(|m| m.as_str()).collect();
    let modes_text = if mode_names.is_empty() {
        "no cfcp mode".to_owned()
    } else {
        mode_names.join(", ")
    };
    let mut seen: Vec<String> = Vec::new();
    for (perm, _, _) in &grants {
        if seen.contains(perm) {
            continue;
        }
        seen.push(perm.clone());
        if is_sensitive(perm) {
            warnings.push(format!(
                "grants \"{perm}\", which cfcp never needs and which lets the token change accounts, tokens, billing or members; remove it"
            ));
        } else if is_write(perm) && !needed.contains(&perm.as_str()) {
            warnings.push(format!("grants \"{perm}\", which none of the chosen modes ({modes_text}) needs; remove it for least privilege"));
        }
    }
    let mut wide: Vec<(String, String)> = Vec::new();
    for (perm, res, policy) in &grants {
        let scope = match res {
            Resource::AllAccounts => "every account of the user",
            Resource::AllZones => "every zone of every account",
            Resource::Account(_) if is_write(perm) => "a whole account",
            _ => continue,
        };
        let key = (scope.to_owned(), policy.clone().unwrap_or_default());
        if !wide.contains(&key) {
            wide.push(key);
            let policy = policy
                .as_deref()
                .map(|p| format!("policy {p}"))
                .unwrap_or_else(|| "a policy".to_owned());
            let hint = if res.is_wildcard() {
                "scope it to the accounts and zones cfcp should manage"
            } else {
                "scope write permissions to the zones cfcp should manage"
            };
            warnings.push(format!("{policy} applies to {scope}; {hint}"));
        }
    }

    PermissionAnalysis {
        source: AnalysisSource::Policies,
        granted,
        sections,
        modes,
        warnings,
    }
}

/// What one probe request found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// The section answered.
    Readable,
    /// The section answered 401/403 (the reason as in snapshot gaps).
    Denied(String),
    /// The probe could not decide (no zone to probe, 404 on the plan, a transient failure).
    Unknown(String),
}

/// One probe: a cheap GET of a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeResult {
    /// The section probed.
    pub section: Section,
    /// What it found.
    pub outcome: ProbeOutcome,
}

/// Analyses probe results. Probes only tell what can be read, so writes and write modes are
/// `Unknown`; sections without a probe are `Unknown` too.
pub fn analyze_probes(probes: &[ProbeResult], intended: &[Mode]) -> PermissionAnalysis {
    let read_of = |section: Section| -> (Knowledge, Option<String>) {
        // any probe of a section sharing the permission decides
        let perm = section.read_permission();
        let mut verdict = (Knowledge::Unknown, None);
        for probe in probes
            .iter()
            .filter(|p| p.section.read_permission() == perm)
        {
            match &probe.outcome {
                ProbeOutcome::Readable => return (Knowledge::Yes, None),
                ProbeOutcome::Denied(reason) => verdict = (Knowledge::No, Some(reason.clone())),
                ProbeOutcome::Unknown(reason) if verdict.0 == Knowledge::Unknown => {
                    verdict = (Knowledge::Unknown, Some(reason.clone()))
                }
                ProbeOutcome::Unknown(_) => {}
            }
        }
        verdict
    };
    let sections: Vec<SectionAccess> = Section::ALL
        .iter()
        .map(|&section| {
            let (read, detail) = read_of(section);
            let write = if section.write_permission().is_some() {
                Knowledge::Unknown
            } else {
                Knowledge::No
            };
            SectionAccess {
                section,
                read,
                write,
                detail,
            }
        })
        .collect();
    let mut granted: Vec<String> = sections
        .iter()
        .filter(|s| s.read == Knowledge::Yes)
        .map(|s| s.section.read_permission().to_owned())
        .collect();
    granted.sort();
    granted.dedup();

    let modes = Mode::ALL
        .iter()
        .map(|&mode| {
            let mut missing = Vec::new();
            let mut unknown = false;
            for perm in mode.required() {
                let state = Section::ALL
                    .iter()
                    .find(|s| s.read_permission() == *perm)
                    .map(|s| read_of(*s).0)
                    .unwrap_or(Knowledge::Unknown);
                match state {
                    Knowledge::Yes => {}
                    Knowledge::No => missing.push((*perm).to_owned()),
                    Knowledge::Unknown => {
                        unknown = true;
                        missing.push(format!("{perm} (unconfirmed)"));
                    }
                }
            }
            let sufficient = if missing.iter().any(|m| !m.ends_with("(unconfirmed)")) {
                Knowledge::No
            } else if unknown {
                Knowledge::Unknown
            } else {
                Knowledge::Yes
            };
            ModeVerdict {
                mode,
                sufficient,
                missing,
            }
        })
        .collect();

    let mut warnings = vec![
        "the token may not read its own policies (it lacks \"API Tokens Read\"), so write permissions and least privilege could not be checked; read access was probed section by section".to_owned(),
    ];
    if !intended.is_empty() && intended.iter().any(|m| *m != Mode::ReadOnlyChecks) {
        warnings.push(
            "probes cannot confirm write permissions: check the token's policies in the dashboard"
                .to_owned(),
        );
    }
    PermissionAnalysis {
        source: AnalysisSource::Probes,
        granted,
        sections,
        modes,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(effect: &str, resources: Value, groups: &[&str]) -> Policy {
        Policy {
            id: Some(format!("p-{}", groups.join("-"))),
            effect: effect.to_owned(),
            resources: resources.as_object().cloned().unwrap_or_default(),
            permission_groups: groups
                .iter()
                .map(|n| PermissionGroup {
                    id: None,
                    name: (*n).to_owned(),
                })
                .collect(),
        }
    }

    const READ_ONLY: &[&str] = &[
        "Zone Read",
        "Zone Settings Read",
        "DNS Read",
        "Zone WAF Read",
        "Bot Management Read",
        "Cloudflare Tunnel Read",
        "Account Filter Lists Read",
    ];

    fn zone_account_policies(zone_groups: &[&str], account_groups: &[&str]) -> Vec<Policy> {
        vec![
            policy(
                "allow",
                serde_json::json!({"com.cloudflare.api.account.zone.z1": "*"}),
                zone_groups,
            ),
            policy(
                "allow",
                serde_json::json!({"com.cloudflare.api.account.a1": "*"}),
                account_groups,
            ),
        ]
    }

    #[test]
    fn exact_read_only_token_suffices_without_warnings() {
        let policies = zone_account_policies(&READ_ONLY[..5], &READ_ONLY[5..]);
        let a = analyze_policies(&policies, &[Mode::ReadOnlyChecks]);
        assert!(a.suffices_for(Mode::ReadOnlyChecks), "{a:#?}");
        assert!(!a.suffices_for(Mode::ManageDns));
        assert!(a.warnings.is_empty(), "{:?}", a.warnings);
        assert_eq!(
            a.section(Section::DnsRecords).map(|s| s.read),
            Some(Knowledge::Yes)
        );
        assert_eq!(
            a.section(Section::DnsRecords).map(|s| s.write),
            Some(Knowledge::No)
        );
        assert_eq!(
            a.section(Section::Accounts).map(|s| s.read),
            Some(Knowledge::No)
        );
        let dns = a
            .modes
            .iter()
            .find(|m| m.mode == Mode::ManageDns)
            .map(|m| m.missing.clone());
        assert_eq!(dns, Some(vec!["DNS Write".to_owned()]));
    }

    #[test]
    fn write_implies_read() {
        let mut groups = READ_ONLY.to_vec();
        groups.retain(|g| *g != "DNS Read");
        groups.push("DNS Write");
        let policies = zone_account_policies(&groups, &[]);
        let a = analyze_policies(&policies, &[]);
        assert!(a.suffices_for(Mode::ReadOnlyChecks));
        assert!(a.suffices_for(Mode::ManageDns));
        assert_eq!(
            a.section(Section::Dnssec).map(|s| (s.read, s.write)),
            Some((Knowledge::Yes, Knowledge::Yes))
        );
        assert_eq!(
            implied_read("Account Filter Lists Edit").as_deref(),
            Some("Account Filter Lists Read")
        );
        // with no intended modes, a token used for what it suffices for gets no write warning
        assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    }

    #[test]
    fn extra_writes_and_sensitive_grants_warn() {
        let mut groups = READ_ONLY.to_vec();
        groups.push("DNS Write");
        groups.push("Zone Settings Write");
        let mut policies = zone_account_policies(&groups, &["API Tokens Write", "Billing Read"]);
        policies.push(policy(
            "allow",
            serde_json::json!({"com.cloudflare.api.account.*": "*"}),
            &["Analytics Read"],
        ));
        let a = analyze_policies(&policies, &[Mode::ReadOnlyChecks]);
        let text = a.warnings.join("\n");
        assert!(
            text.contains("\"DNS Write\", which none of the chosen modes (read-only checks) needs"),
            "{text}"
        );
        assert!(text.contains("\"Zone Settings Write\""), "{text}");
        assert!(text.contains("\"API Tokens Write\""), "{text}");
        assert!(text.contains("\"Billing Read\""), "{text}");
        assert!(text.contains("every account of the user"), "{text}");
    }

    #[test]
    fn deny_policies_remove_grants() {
        let mut policies = zone_account_policies(READ_ONLY, &[]);
        policies.push(policy(
            "deny",
            serde_json::json!({"com.cloudflare.api.account.zone.*": "*"}),
            &["DNS Read"],
        ));
        let a = analyze_policies(&policies, &[]);
        assert!(!a.suffices_for(Mode::ReadOnlyChecks));
        assert_eq!(
            a.section(Section::DnsRecords).map(|s| s.read),
            Some(Knowledge::No)
        );
        let ro = a
            .modes
            .iter()
            .find(|m| m.mode == Mode::ReadOnlyChecks)
            .map(|m| m.missing.clone());
        assert_eq!(ro, Some(vec!["DNS Read".to_owned()]));
    }

    #[test]
    fn resources_are_classified() {
        let res = serde_json::json!({
            "com.cloudflare.api.account.*": "*",
            "com.cloudflare.api.account.zone.*": "*",
            "com.cloudflare.api.account.zone.z9": "*",
            "com.cloudflare.api.account.a1": "*",
            "com.cloudflare.api.account.a2": {"com.cloudflare.api.account.zone.*": "*"},
            "com.cloudflare.api.user.u1": "*"
        });
        let mut got = Resource::from_resources(res.as_object().unwrap_or(&Map::new()));
        got.sort();
        assert_eq!(
            got,
            vec![
                Resource::AllAccounts,
                Resource::AllZones,
                Resource::Account("a1".into()),
                Resource::ZonesOfAccount("a2".into()),
                Resource::Zone("z9".into()),
                Resource::Other("com.cloudflare.api.user.u1".into()),
            ]
        );
    }

    #[test]
    fn wildcard_zone_write_warns_about_scope() {
        let policies = vec![policy(
            "allow",
            serde_json::json!({"com.cloudflare.api.account.zone.*": "*"}),
            &["DNS Write", "Zone Read"],
        )];
        let a = analyze_policies(&policies, &[Mode::ManageDns]);
        assert!(
            a.warnings
                .iter()
                .any(|w| w.contains("every zone of every account")),
            "{:?}",
            a.warnings
        );
        assert!(
            !a.warnings.iter().any(|w| w.contains("\"DNS Write\"")),
            "{:?}",
            a.warnings
        );
    }

    #[test]
    fn probes_decide_reads_only() {
        let denied = "403 Authentication error (code 10000)".to_owned();
        let mut probes: Vec<ProbeResult> = [
            Section::Zones,
            Section::Settings,
            Section::DnsRecords,
            Section::Rulesets,
            Section::BotManagement,
            Section::Tunnels,
            Section::Lists,
        ]
        .iter()
        .map(|&section| ProbeResult {
            section,
            outcome: ProbeOutcome::Readable,
        })
        .collect();
        let a = analyze_probes(&probes, &[]);
        assert_eq!(a.source, AnalysisSource::Probes);
        assert!(a.suffices_for(Mode::ReadOnlyChecks), "{a:#?}");
        let dns = a
            .modes
            .iter()
            .find(|m| m.mode == Mode::ManageDns)
            .map(|m| m.sufficient);
        assert_eq!(dns, Some(Knowledge::Unknown));
        assert_eq!(
            a.section(Section::Dnssec).map(|s| s.read),
            Some(Knowledge::Yes),
            "same permission as dns_records"
        );
        assert_eq!(
            a.section(Section::Accounts).map(|s| s.read),
            Some(Knowledge::Unknown)
        );

        probes[3].outcome = ProbeOutcome::Denied(denied.clone());
        probes[4].outcome = ProbeOutcome::Unknown("404 on this plan".into());
        let a = analyze_probes(&probes, &[Mode::ManageWaf]);
        let ro = a
            .modes
            .iter()
            .find(|m| m.mode == Mode::ReadOnlyChecks)
            .cloned();
        let ro = ro.map(|m| (m.sufficient, m.missing));
        assert_eq!(
            ro,
            Some((
                Knowledge::No,
                vec![
                    "Zone WAF Read".to_owned(),
                    "Bot Management Read (unconfirmed)".to_owned()
                ]
            ))
        );
        assert_eq!(
            a.section(Section::Rulesets).and_then(|s| s.detail.clone()),
            Some(denied)
        );
        assert!(a.warnings.iter().any(|w| w.contains("write permissions")));
    }

    #[test]
    fn section_names_and_permissions() {
        let names: Vec<&str> = Section::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "accounts",
                "zones",
                "settings",
                "dns_records",
                "dnssec",
                "rulesets",
                "bot_management",
                "tunnels",
                "tunnel_configuration",
                "tunnel_connections",
                "lists",
                "list_items",
                "graphql"
            ]
        );
        for section in Section::ALL {
            assert!(PERMISSION_GROUPS.contains(&section.read_permission()));
            if let Some(w) = section.write_permission() {
                assert!(PERMISSION_GROUPS.contains(&w), "{w}");
            }
        }
        for mode in Mode::ALL {
            for p in mode.required().iter().chain(mode.optional()) {
                assert!(PERMISSION_GROUPS.contains(p), "{p}");
            }
        }
    }
}
