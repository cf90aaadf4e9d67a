//! Turn normalised intel into a proposal: a Cloudflare IP list, a custom rule that blocks it, the
//! same as Terraform HCL, and a summary for a merge request. Nothing is applied here.
//!
//! * **API payloads**, exactly as Cloudflare's API takes them: `POST
//!   /accounts/{account_id}/rules/lists` (`{name, kind: "ip", description}`), `POST
//!   /accounts/{account_id}/rules/lists/{list_id}/items` (`[{ip, comment}]`, an asynchronous bulk
//!   operation), and `PUT /zones/{zone_id}/rulesets/phases/http_request_firewall_custom/entrypoint`
//!   with **every existing rule of the entrypoint kept as the snapshot has it** and the new rule
//!   inserted. When a list of that name exists, it is reused (no create request; the items are
//!   appended to it); when an enabled rule already matches `ip.src in $name`, no rule is added.
//! * **Where the rule goes:** after the leading `skip` rules that test `ip.src` (IP allowlists,
//!   which should keep winning), before everything else, so that no later skip rule can let a
//!   known-bad address through.
//! * **HCL** for the cloudflare provider v5: a `cloudflare_list` with its `items` inline (v5's
//!   `items` attribute is authoritative for the list's contents, so separate `cloudflare_list_item`
//!   resources are not used: the two would fight), and a `cloudflare_ruleset` for the zone's
//!   `http_request_firewall_custom` entrypoint holding the existing rules and the new one, with an
//!   `import` block when the entrypoint already exists (a ruleset resource owns the whole phase).

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::normalise::{already_blocked, resolve_account, DropReason, Normalised};
use super::{hcl, FeedFormat, ParsedFeed};
use crate::error::{Error, Result};
use crate::rules::{parse_filter, ListRef};
use crate::snapshot::{ListKind, Phase, Rule, RuleAction, Snapshot, ZoneSnapshot};

/// Longest list name Cloudflare accepts.
pub const MAX_LIST_NAME: usize = 50;

/// Longest item comment written (longer comments are clipped).
const MAX_COMMENT: usize = 200;

/// Rule attributes the provider's `cloudflare_ruleset` accepts (v5); read-only members (`id`,
/// `version`, `last_updated`, `categories`) stay out of the HCL.
const HCL_RULE_ATTRIBUTES: &[&str] = &[
    "action",
    "expression",
    "description",
    "enabled",
    "action_parameters",
    "ratelimit",
    "logging",
    "exposed_credential_check",
    "ref",
];

/// What the proposed rule does to matching requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposedAction {
    /// Block the request.
    #[default]
    Block,
    /// Managed challenge (a softer start for noisy feeds such as Tor exits).
    ManagedChallenge,
}

impl ProposedAction {
    /// Cloudflare's action name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProposedAction::Block => "block",
            ProposedAction::ManagedChallenge => "managed_challenge",
        }
    }
}

impl std::str::FromStr for ProposedAction {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "block" => Ok(ProposedAction::Block),
            "managed_challenge" | "challenge" => Ok(ProposedAction::ManagedChallenge),
            _ => Err(format!(
                "unknown action {text:?}: expected block or managed_challenge"
            )),
        }
    }
}

/// Where the indicators came from, for comments and the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeedSummary {
    /// A name for the source (`Spamhaus DROP (drop_v4.json)`).
    pub source: String,
    /// Lines read.
    pub lines: usize,
    /// Bad lines.
    pub errors: usize,
    /// Entries deliberately skipped (expired, revoked, hashes, ...).
    pub skipped: usize,
}

impl FeedSummary {
    /// The summary of a parsed feed; `source` names it (a file name), or the format's title is
    /// used.
    pub fn of(feed: &ParsedFeed, source: Option<&str>) -> Self {
        let title = feed.format.title();
        FeedSummary {
            source: match source {
                Some(s) => format!("{title} ({s})"),
                None => title.to_string(),
            },
            lines: feed.lines,
            errors: feed.error_count,
            skipped: feed.skipped,
        }
    }
}

/// Options for [`propose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposeOptions {
    /// The list's name (`$name` in expressions): `^[a-z0-9_]+$`, at most 50 characters.
    pub list_name: String,
    /// The rule's action.
    pub action: ProposedAction,
    /// The list's and rule's description; a default naming the source is used when `None`.
    pub description: Option<String>,
    /// The feed, for comments and the summary.
    pub feed: Option<FeedSummary>,
}

impl ProposeOptions {
    /// Block with a list of this name, default descriptions.
    pub fn new(list_name: impl Into<String>) -> Self {
        ProposeOptions {
            list_name: list_name.into(),
            action: ProposedAction::Block,
            description: None,
            feed: None,
        }
    }

    /// The list name a feed format suggests (`spamhaus_drop`, `tor_exits`, ...).
    pub fn default_list_name(format: FeedFormat) -> &'static str {
        match format {
            FeedFormat::Plain => "intel_blocklist",
            FeedFormat::SpamhausDrop => "spamhaus_drop",
            FeedFormat::Firehol => "firehol_blocklist",
            FeedFormat::Tor => "tor_exits",
            FeedFormat::Feodo => "feodo_c2",
            FeedFormat::ThreatFox => "threatfox_iocs",
            FeedFormat::Csv => "intel_blocklist",
            FeedFormat::Stix => "stix_indicators",
        }
    }
}

/// One API call of the proposal, in the order to make them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiRequest {
    /// HTTP method.
    pub method: &'static str,
    /// Path under `https://api.cloudflare.com/client/v4`; `{list_id}` is the id the list's
    /// creation returns.
    pub path: String,
    /// The JSON body.
    pub body: Value,
    /// What it does.
    pub note: String,
}

/// A proposal: what to create, as API payloads and as HCL, with a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// The list's name.
    pub list_name: String,
    /// The account the list belongs to, when the snapshot tells.
    pub account_id: Option<String>,
    /// The zone the rule is for.
    pub zone_name: Option<String>,
    /// Body of `POST /accounts/{account_id}/rules/lists`: `{name, kind, description}`.
    pub list_payload: Value,
    /// The id of an existing list of that name, which is reused instead of created.
    pub existing_list_id: Option<String>,
    /// Body of `POST /accounts/{account_id}/rules/lists/{list_id}/items`: `[{ip, comment}]`.
    pub items_payload: Value,
    /// The custom rule: `{action, expression, description, enabled}`.
    pub rule_payload: Value,
    /// Body of `PUT /zones/{zone_id}/rulesets/phases/http_request_firewall_custom/entrypoint`:
    /// the existing rules with the new one inserted. `None` without a zone, or when a rule
    /// already uses the list.
    pub entrypoint_payload: Option<Value>,
    /// Where the new rule goes in the entrypoint (0-based).
    pub rule_position: Option<usize>,
    /// The API calls, in order.
    pub requests: Vec<ApiRequest>,
    /// Terraform HCL (cloudflare provider v5).
    pub hcl: String,
    /// A Markdown summary for a merge request.
    pub summary_markdown: String,
    /// Things a reviewer should know (plan limits, reused lists, ...).
    pub warnings: Vec<String>,
}

impl Proposal {
    /// True when there is nothing new to block.
    pub fn is_empty(&self) -> bool {
        self.items_payload.as_array().map_or(true, Vec::is_empty)
    }
}

/// Checks a list name against Cloudflare's rules (`^[a-z0-9_]+$`, at most 50 characters).
///
/// ```
/// assert!(cfcp::intel::propose::check_list_name("spamhaus_drop").is_ok());
/// assert!(cfcp::intel::propose::check_list_name("Spamhaus-DROP").is_err());
/// ```
pub fn check_list_name(name: &str) -> Result<()> {
    let problem = if name.is_empty() {
        Some("is empty".to_string())
    } else if name.len() > MAX_LIST_NAME {
        Some(format!(
            "is {} characters long; at most {MAX_LIST_NAME}",
            name.len()
        ))
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Some("may only hold lower-case letters, digits and `_` (^[a-z0-9_]+$)".to_string())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(Error::InvalidDocument {
            document: "intel proposal",
            path: "list_name".to_string(),
            line: 0,
            column: 0,
            message: format!("the list name {name:?} {problem}"),
        }),
        None => Ok(()),
    }
}

/// Builds the proposal for `normalised` on `zone` (`None`: the list only, for the account).
///
/// Errors: an invalid list name, an unknown zone, a list of that name that is not an IP list,
/// or a rule expression the Rules-language engine rejects.
pub fn propose(
    normalised: &Normalised,
    snapshot: &Snapshot,
    zone: Option<&str>,
    options: &ProposeOptions,
) -> Result<Proposal> {
    let name = options.list_name.as_str();
    check_list_name(name)?;
    let zone_snapshot = match zone {
        Some(z) => Some(snapshot.zone(z).ok_or_else(|| Error::InvalidDocument {
            document: "snapshot",
            path: "zones".to_string(),
            line: 0,
            column: 0,
            message: format!(
                "no zone named {z:?} in the snapshot (zones: {})",
                snapshot
                    .zones
                    .iter()
                    .map(|z| z.zone.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?),
        None => None,
    };
    let account = resolve_account(snapshot, zone_snapshot);
    let account_id = account.map(|a| a.account.id.clone());
    let mut warnings = Vec::new();

    let existing = account.and_then(|a| a.list(name));
    if let Some(list) = existing {
        match list.list.kind.get() {
            Some(ListKind::Ip) | None => warnings.push(format!(
                "a list named `{name}` exists (id {}): the items are added to it rather than to a new list",
                list.list.id
            )),
            Some(other) => {
                return Err(Error::InvalidDocument {
                    document: "intel proposal",
                    path: "list_name".to_string(),
                    line: 0,
                    column: 0,
                    message: format!(
                        "a list named {name:?} exists and is a {} list, not an IP list; choose another name",
                        other.as_str()
                    ),
                })
            }
        }
    }
    if existing.is_none() {
        if let Some(a) = account {
            let plans: Vec<&str> = snapshot
                .zones
                .iter()
                .filter(|z| {
                    z.zone.account.get().and_then(|x| x.id.as_deref()) == Some(&a.account.id)
                })
                .filter_map(|z| z.zone.plan_name())
                .collect();
            let max_lists = plans.iter().map(|p| lists_allowed(p)).max().unwrap_or(1);
            if a.lists.len() >= max_lists {
                warnings.push(format!(
                    "the account already has {} list(s) and its best plan ({}) allows {max_lists}: creating another may be refused",
                    a.lists.len(),
                    plans.join(", ")
                ));
            }
        }
    }

    let source = options
        .feed
        .as_ref()
        .map_or("threat intel", |f| f.source.as_str());
    let description = options
        .description
        .clone()
        .unwrap_or_else(|| format!("Blocked by cfcp from {source}"));

    let expression = format!("(ip.src in ${name})");
    if let Err(err) = parse_filter(&expression) {
        return Err(err.into());
    }

    let list_payload = json!({"name": name, "kind": "ip", "description": description});
    let items: Vec<Value> = normalised
        .items
        .iter()
        .map(|item| {
            let mut comment = item.comment.clone().unwrap_or_else(|| source.to_string());
            if item.sources > 1 {
                comment = format!("{comment} (+{} aggregated)", item.sources - 1);
            }
            json!({"ip": item.ip_text(), "comment": clip(&comment)})
        })
        .collect();
    let items_payload = Value::Array(items);
    let rule_payload = json!({
        "action": options.action.as_str(),
        "expression": expression,
        "description": description,
        "enabled": true,
    });

    // The zone's custom entrypoint, with the new rule inserted unless one already uses the list.
    let ruleset = zone_snapshot.and_then(|z| z.ruleset(&Phase::HttpRequestFirewallCustom));
    let existing_rules: &[Rule] = ruleset.map_or(&[], |r| r.rules.as_slice());
    let already_used = existing_rules
        .iter()
        .any(|r| r.is_enabled() && uses_list(r, name));
    if already_used {
        warnings.push(format!(
            "an enabled custom rule already matches `ip.src in ${name}`: no rule is added"
        ));
    }
    let (entrypoint_payload, rule_position) = match zone_snapshot {
        Some(_) if !already_used => {
            let position = insertion_point(existing_rules);
            let mut rules: Vec<Value> = existing_rules
                .iter()
                .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                .collect();
            rules.insert(position, rule_payload.clone());
            (Some(json!({ "rules": rules })), Some(position))
        }
        _ => (None, None),
    };

    let account_path = account_id.as_deref().unwrap_or("{account_id}");
    let mut requests = Vec::new();
    let list_id = match existing {
        Some(list) => list.list.id.clone(),
        None => {
            requests.push(ApiRequest {
                method: "POST",
                path: format!("/accounts/{account_path}/rules/lists"),
                body: list_payload.clone(),
                note: format!("create the IP list `{name}`; its id is {{list_id}} below"),
            });
            "{list_id}".to_string()
        }
    };
    requests.push(ApiRequest {
        method: "POST",
        path: format!("/accounts/{account_path}/rules/lists/{list_id}/items"),
        body: items_payload.clone(),
        note: format!(
            "add {} items (a bulk operation: poll GET /accounts/{account_path}/rules/lists/bulk_operations/{{operation_id}})",
            normalised.items.len()
        ),
    });
    if let (Some(z), Some(body)) = (zone_snapshot, &entrypoint_payload) {
        requests.push(ApiRequest {
            method: "PUT",
            path: format!(
                "/zones/{}/rulesets/phases/http_request_firewall_custom/entrypoint",
                z.zone.id
            ),
            body: body.clone(),
            note: format!(
                "add the rule to {}'s custom rules, keeping the {} existing rules",
                z.zone.name,
                existing_rules.len()
            ),
        });
    }

    let hcl = render_hcl(
        name,
        account_id.as_deref(),
        &list_payload,
        &items_payload,
        zone_snapshot,
        entrypoint_payload.as_ref(),
        source,
    );
    let mut proposal = Proposal {
        list_name: name.to_string(),
        account_id,
        zone_name: zone_snapshot.map(|z| z.zone.name.clone()),
        list_payload,
        existing_list_id: existing.map(|l| l.list.id.clone()),
        items_payload,
        rule_payload,
        entrypoint_payload,
        rule_position,
        requests,
        hcl,
        summary_markdown: String::new(),
        warnings,
    };
    proposal.summary_markdown = summary(
        &proposal,
        normalised,
        options,
        existing_rules.len(),
        snapshot,
        zone,
    );
    Ok(proposal)
}

/// Custom lists allowed per plan (Free 1, Pro and Business 10, Enterprise 1,000).
fn lists_allowed(plan: &str) -> usize {
    let plan = plan.to_ascii_lowercase();
    if plan.contains("enterprise") {
        1000
    } else if plan.contains("pro") || plan.contains("business") {
        10
    } else {
        1
    }
}

fn uses_list(rule: &Rule, name: &str) -> bool {
    rule.expression
        .as_deref()
        .and_then(|e| parse_filter(e).ok())
        .is_some_and(|f| f.lists().contains(&ListRef::Custom(name.to_string())))
}

/// After the leading `skip` rules that test `ip.src` (allowlists).
fn insertion_point(rules: &[Rule]) -> usize {
    rules
        .iter()
        .take_while(|r| {
            r.action.get() == Some(&RuleAction::Skip)
                && r.expression
                    .as_deref()
                    .and_then(|e| parse_filter(e).ok())
                    .is_some_and(|f| f.fields().contains("ip.src"))
        })
        .count()
}

fn clip(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(MAX_COMMENT) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

fn render_hcl(
    name: &str,
    account_id: Option<&str>,
    list_payload: &Value,
    items_payload: &Value,
    zone: Option<&ZoneSnapshot>,
    entrypoint: Option<&Value>,
    source: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Proposed by cfcp from {}. Review before applying; nothing has been applied.",
        source.replace('\n', " ")
    );
    let _ = writeln!(out, "# Cloudflare Terraform provider v5.\n");
    let account = match account_id {
        Some(id) => hcl::string(id),
        None => {
            let _ = writeln!(
                out,
                "variable \"cloudflare_account_id\" {{\n  description = \"Cloudflare account ID\"\n  type        = string\n}}\n"
            );
            "var.cloudflare_account_id".to_string()
        }
    };
    let list_resource = hcl::identifier(name);
    let _ = writeln!(
        out,
        "resource \"cloudflare_list\" {} {{",
        hcl::string(&list_resource)
    );
    let _ = writeln!(out, "  account_id  = {account}");
    let _ = writeln!(out, "  name        = {}", hcl::string(name));
    let _ = writeln!(out, "  kind        = \"ip\"");
    let description = list_payload["description"].as_str().unwrap_or("");
    let _ = writeln!(out, "  description = {}", hcl::string(description));
    let _ = writeln!(out, "  items = [");
    for item in items_payload.as_array().map_or(&[][..], Vec::as_slice) {
        let _ = writeln!(
            out,
            "    {{ ip = {}, comment = {} }},",
            hcl::string(item["ip"].as_str().unwrap_or("")),
            hcl::string(item["comment"].as_str().unwrap_or(""))
        );
    }
    let _ = writeln!(out, "  ]\n}}");

    let (Some(zone), Some(entrypoint)) = (zone, entrypoint) else {
        return out;
    };
    let existing = zone.ruleset(&Phase::HttpRequestFirewallCustom);
    let resource = hcl::identifier(&format!("{}_custom_rules", zone.zone.name));
    if let Some(id) = existing.and_then(|r| r.id.as_deref()) {
        let _ = writeln!(
            out,
            "\n# The zone already has this entrypoint: import it so Terraform manages it in place.\nimport {{\n  to = cloudflare_ruleset.{resource}\n  id = {}\n}}",
            hcl::string(&format!("zones/{}/{id}", zone.zone.id))
        );
    }
    let ruleset_name = existing
        .and_then(|r| r.name.as_deref())
        .unwrap_or("default");
    let _ = writeln!(
        out,
        "\nresource \"cloudflare_ruleset\" {} {{",
        hcl::string(&resource)
    );
    let _ = writeln!(out, "  zone_id = {}", hcl::string(&zone.zone.id));
    let _ = writeln!(out, "  name    = {}", hcl::string(ruleset_name));
    let _ = writeln!(out, "  kind    = \"zone\"");
    let _ = writeln!(out, "  phase   = \"http_request_firewall_custom\"");
    let rules: Vec<Value> = entrypoint["rules"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|rule| {
            let kept: Map<String, Value> = rule
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| HCL_RULE_ATTRIBUTES.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            Value::Object(kept)
        })
        .collect();
    let _ = writeln!(out, "  rules = {}", hcl::value(&Value::Array(rules), 1));
    let _ = writeln!(
        out,
        "\n  depends_on = [cloudflare_list.{list_resource}]\n}}"
    );
    out
}

fn md(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn summary(
    proposal: &Proposal,
    normalised: &Normalised,
    options: &ProposeOptions,
    existing_rules: usize,
    snapshot: &Snapshot,
    zone: Option<&str>,
) -> String {
    let s = &normalised.stats;
    let name = &proposal.list_name;
    let source = options
        .feed
        .as_ref()
        .map_or("threat intel", |f| f.source.as_str());
    let mut out = String::new();
    let target = proposal
        .zone_name
        .as_deref()
        .map_or_else(|| "the account".to_string(), |z| format!("`{z}`"));
    let _ = writeln!(
        out,
        "## {} {} network(s) from {} on {target}\n",
        if options.action == ProposedAction::Block {
            "Block"
        } else {
            "Challenge"
        },
        normalised.items.len(),
        md(source)
    );
    let _ = writeln!(out, "| step | count |\n|---|---:|");
    if let Some(feed) = &options.feed {
        let _ = writeln!(out, "| feed lines | {} |", feed.lines);
        let _ = writeln!(
            out,
            "| bad lines (reported with line numbers) | {} |",
            feed.errors
        );
        let _ = writeln!(
            out,
            "| skipped (expired, revoked, unsupported, metadata) | {} |",
            feed.skipped
        );
    }
    let _ = writeln!(out, "| indicators parsed | {} |", s.indicators);
    let non_ip: usize = s.non_ip.values().sum();
    let _ = writeln!(
        out,
        "| not IPs (domains, URLs, ASNs, countries; not used) | {non_ip} |"
    );
    let _ = writeln!(out, "| IP / CIDR indicators | {} |", s.ip_indicators);
    let _ = writeln!(
        out,
        "| dropped (reserved, bogon, Cloudflare, allowlisted, too wide) | {} |",
        s.excluded + s.too_wide
    );
    let _ = writeln!(out, "| kept with reserved parts cut out | {} |", s.trimmed);
    let _ = writeln!(out, "| IPv6 widened to /64 | {} |", s.widened);
    let _ = writeln!(
        out,
        "| aggregated | {} → {} |",
        s.aggregated_from, s.aggregated_to
    );
    let _ = writeln!(out, "| already blocked by the zone | {} |", s.covered);
    let _ = writeln!(
        out,
        "| over the item limit ({}) | {} |",
        s.item_limit, s.truncated
    );
    let _ = writeln!(
        out,
        "| **new list items** | **{}** ({} IPv4 addresses, {} IPv6 /64s) |\n",
        normalised.items.len(),
        s.ipv4_addresses,
        s.ipv6_64s
    );

    if !normalised.dropped.is_empty() {
        let mut by_reason: std::collections::BTreeMap<DropReason, usize> = Default::default();
        for d in &normalised.dropped {
            *by_reason.entry(d.reason).or_default() += 1;
        }
        let _ = writeln!(out, "### Left out\n\n| reason | networks |\n|---|---:|");
        for (reason, n) in by_reason {
            let _ = writeln!(out, "| {reason} | {n} |");
        }
        out.push('\n');
    }

    if !normalised.items.is_empty() {
        let mut widest: Vec<&super::Item> = normalised.items.iter().collect();
        widest.sort_by_key(|i| (i.net.prefix_len(), i.line));
        let _ = writeln!(
            out,
            "### Widest prefixes\n\n| prefix | feed line | comment |\n|---|---:|---|"
        );
        for item in widest.iter().take(10) {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                item.net,
                item.line,
                md(item.comment.as_deref().unwrap_or(""))
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "### What this creates\n");
    match &proposal.existing_list_id {
        Some(id) => {
            let _ = writeln!(
                out,
                "1. Adds {} items to the existing IP list `${name}` (id `{id}`).",
                normalised.items.len()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "1. An IP list `${name}` in account `{}` with {} items.",
                proposal.account_id.as_deref().unwrap_or("{account_id}"),
                normalised.items.len()
            );
        }
    }
    match (proposal.rule_position, &proposal.zone_name) {
        (Some(position), Some(zone_name)) => {
            let _ = writeln!(
                out,
                "2. A custom rule on `{zone_name}`: `{}` when `{}`, at position {} of {}; the {existing_rules} existing rules are kept unchanged.",
                options.action.as_str(),
                proposal.rule_payload["expression"].as_str().unwrap_or(""),
                position + 1,
                existing_rules + 1
            );
        }
        (None, Some(zone_name)) => {
            let _ = writeln!(
                out,
                "2. No new rule on `{zone_name}`: a rule already uses `${name}`."
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "2. No rule (no zone given): reference `${name}` from a custom rule to use it."
            );
        }
    }
    let (_, covered_by) = already_blocked(snapshot, zone);
    if !covered_by.is_empty() {
        let _ = writeln!(
            out,
            "\nAlready-blocked networks were looked for in: {}.",
            md(&covered_by.join("; "))
        );
    }
    for warning in &proposal.warnings {
        let _ = writeln!(out, "\n> **Note:** {}", md(warning));
    }
    let _ = writeln!(
        out,
        "\nNothing has been applied. Apply with Terraform (the HCL in this change) or the API requests in the proposal, in order."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::{normalise, Indicator, IndicatorValue, NormaliseOptions};

    fn normalised(texts: &[&str], snapshot: &Snapshot, zone: Option<&str>) -> Normalised {
        let indicators: Vec<Indicator> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Indicator {
                value: IndicatorValue::Cidr(t.parse().unwrap()),
                line: i + 1,
                comment: None,
            })
            .collect();
        normalise(&indicators, snapshot, zone, &NormaliseOptions::default())
    }

    #[test]
    fn list_names_are_checked() {
        let demo = crate::snapshot::demo();
        let n = normalised(&["45.155.205.0/24"], &demo, None);
        for bad in ["", "Bad", "bad-name", "spaced name", &"x".repeat(51)] {
            let err = propose(&n, &demo, None, &ProposeOptions::new(bad)).unwrap_err();
            assert!(err.to_string().contains("list_name"), "{err}");
        }
        assert!(
            propose(&n, &demo, Some("nope.example"), &ProposeOptions::new("x"))
                .unwrap_err()
                .to_string()
                .contains("no zone named")
        );
    }

    #[test]
    fn the_rule_goes_after_ip_allowlists_and_keeps_every_rule() {
        let demo = crate::snapshot::demo();
        let n = normalised(&["45.155.205.0/24"], &demo, Some("acme-shop.com"));
        let p = propose(
            &n,
            &demo,
            Some("acme-shop.com"),
            &ProposeOptions::new("bad_ips"),
        )
        .unwrap();
        // acme-shop.com starts with a skip rule on ip.src (health checks).
        assert_eq!(p.rule_position, Some(1));
        let rules = p.entrypoint_payload.as_ref().unwrap()["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), 8);
        assert_eq!(rules[1]["expression"], "(ip.src in $bad_ips)");
        let original = demo
            .zone("acme-shop.com")
            .unwrap()
            .ruleset(&Phase::HttpRequestFirewallCustom)
            .unwrap();
        let kept: Vec<&Value> = rules
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .map(|(_, r)| r)
            .collect();
        for (rule, value) in original.rules.iter().zip(kept) {
            assert_eq!(&serde_json::to_value(rule).unwrap(), value);
        }
        assert_eq!(p.requests.len(), 3);
        assert_eq!(p.requests[2].method, "PUT");
    }

    #[test]
    fn an_existing_list_is_reused_and_an_existing_rule_not_duplicated() {
        let demo = crate::snapshot::demo();
        let n = normalised(&["45.155.205.0/24"], &demo, Some("acme-api.io"));
        let p = propose(
            &n,
            &demo,
            Some("acme-api.io"),
            &ProposeOptions::new("acme_blocklist"),
        )
        .unwrap();
        assert_eq!(
            p.existing_list_id.as_deref(),
            Some("1b34f44bb51d3e8a02d9a234165f9e35")
        );
        assert!(p.entrypoint_payload.is_none());
        assert_eq!(p.requests.len(), 1);
        assert!(p.requests[0]
            .path
            .ends_with("/rules/lists/1b34f44bb51d3e8a02d9a234165f9e35/items"));
        assert_eq!(p.warnings.len(), 2);
        assert!(!p.hcl.contains("cloudflare_ruleset"));
    }

    #[test]
    fn managed_challenge_and_no_zone() {
        let demo = crate::snapshot::demo();
        let n = normalised(&["185.220.101.0/24"], &demo, None);
        let mut options = ProposeOptions::new("tor_exits");
        options.action = "managed-challenge".parse().unwrap();
        let p = propose(&n, &demo, None, &options).unwrap();
        assert_eq!(p.rule_payload["action"], "managed_challenge");
        assert!(p.entrypoint_payload.is_none());
        assert_eq!(p.requests.len(), 2);
        assert!(p.summary_markdown.contains("No rule (no zone given)"));
        assert!(!p.is_empty());
    }

    #[test]
    fn plan_list_limits_are_warned_about() {
        let mut demo = crate::snapshot::demo();
        let n = normalised(&["45.155.205.0/24"], &demo, None);
        let p = propose(&n, &demo, None, &ProposeOptions::new("new_list")).unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        for zone in &mut demo.zones {
            zone.zone.plan = crate::snapshot::Field::Value(json!({"name": "Free Website"}));
        }
        let p = propose(&n, &demo, None, &ProposeOptions::new("new_list")).unwrap();
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("allows 1"));
        assert!(p.summary_markdown.contains("allows 1"));
    }

    #[test]
    fn a_list_of_another_kind_is_an_error() {
        let mut demo = crate::snapshot::demo();
        demo.accounts[0].lists[0].list.kind = crate::snapshot::Field::Value(ListKind::Asn);
        let n = normalised(&["45.155.205.0/24"], &demo, None);
        let err = propose(&n, &demo, None, &ProposeOptions::new("acme_blocklist")).unwrap_err();
        assert!(err.to_string().contains("asn list"), "{err}");
    }

    #[test]
    fn item_comments_and_addresses() {
        let demo = crate::snapshot::demo();
        let n = normalised(
            &["45.155.205.7/32", "45.155.206.0/25", "45.155.206.128/25"],
            &demo,
            None,
        );
        let p = propose(&n, &demo, None, &ProposeOptions::new("x")).unwrap();
        assert_eq!(
            p.items_payload,
            json!([
                {"ip": "45.155.205.7", "comment": "threat intel"},
                {"ip": "45.155.206.0/24", "comment": "threat intel (+1 aggregated)"}
            ])
        );
    }
}
