//! WAF: managed rulesets (deployed, not log-only, OWASP threshold), custom rules that block,
//! rate limiting, skip rules that bypass the WAF, and disabled security rules.
//!
//! Everything here reads the zone's phase entrypoint rulesets. Account-level (root) deployments
//! are not part of a cfcp snapshot, so a zone protected only by an account-level WAF deployment
//! is reported as unprotected; the messages say which phase was read.

use serde_json::{Map, Value};

use super::zone_settings::show;
use super::{Check, Eval};
use crate::invariants::{Evaluation, Severity, ZoneContext};
use crate::snapshot::{Phase, Rule, RuleAction, Ruleset};

// The managed ruleset ids are defined once, in `waf`.
use crate::waf::{CLOUDFLARE_MANAGED, FREE_MANAGED, OWASP_ANOMALY_RULE, OWASP_CORE as OWASP};
/// OWASP score thresholds: Low 60, Medium 40, High 25 (lower is more sensitive).
const OWASP_THRESHOLD_LOW: u64 = 60;

const TF_MANAGED: &str = "resource \"cloudflare_ruleset\" \"waf_managed\" {\n  zone_id = \"{zone_id}\"\n  name    = \"default\"\n  kind    = \"zone\"\n  phase   = \"http_request_firewall_managed\"\n  rules = [\n    {\n      action            = \"execute\"\n      expression        = \"true\"\n      description       = \"Cloudflare Managed Ruleset\"\n      enabled           = true\n      action_parameters = { id = \"efb7b8c949ac4650a09736fc376e9aee\" }\n    },\n    {\n      action      = \"execute\"\n      expression  = \"true\"\n      description = \"Cloudflare OWASP Core Ruleset\"\n      enabled     = true\n      action_parameters = {\n        id = \"4814384a9e5d4991b9815dcfc25d2f1f\"\n        overrides = {\n          rules = [{ id = \"6179ae15870a4bb7b2d480d4843b323c\", action = \"block\", score_threshold = 40 }]\n        }\n      }\n    },\n  ]\n}";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "zone_waf_enabled",
        title: "A WAF managed ruleset protects the zone",
        severity: Severity::High,
        resource_type: "zone",
        sections: &["rulesets"],
        description: "Passes when the zone's `http_request_firewall_managed` entrypoint has an enabled \
            `execute` rule of the Cloudflare Managed Ruleset (efb7b8c949ac4650a09736fc376e9aee) or the \
            Cloudflare Free Managed Ruleset (77454fe2d30c4220b5701f6fdfb893ba), or when the legacy `waf` \
            setting is `on`. Fails otherwise; UNKNOWN when neither rulesets nor the legacy setting are in \
            the snapshot. A deployment overridden to log still counts here and is reported by \
            zone_waf_managed_not_log_only.",
        risk: "Without managed rules, known exploits (SQL injection, XSS, RCE payloads, CVE-specific \
            probes for common software) reach the origin unfiltered.",
        remediation: "Deploy the Cloudflare Managed Ruleset (Pro plan and above; the Free Managed Ruleset \
            on Free) in Security > WAF > Managed rules. PUT on the entrypoint replaces its rules: include \
            the existing ones.",
        terraform: TF_MANAGED,
        api: "PUT /zones/{zone_id}/rulesets/phases/http_request_firewall_managed/entrypoint {\"rules\":[{\"action\":\"execute\",\"expression\":\"true\",\"action_parameters\":{\"id\":\"efb7b8c949ac4650a09736fc376e9aee\"}}]}",
        compliance: &["PCI-DSS-4.0.1:6.4.1", "PCI-DSS-4.0.1:6.4.2", "NIST-800-53r5:SC-7", "NIST-800-53r5:SI-4"],
        prowler: Some("improves: Prowler only reads the legacy `waf` zone setting, which stays `off` on \
            zones that use the current WAF (Prowler itself warns of false positives). cfcp passes either \
            the legacy setting or an enabled execute rule of the Cloudflare (or Free) Managed Ruleset in \
            the managed phase."),
        eval: Eval::Zone(waf_enabled),
    },
    Check {
        id: "zone_waf_owasp_ruleset_enabled",
        title: "The Cloudflare OWASP Core Ruleset is deployed",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["rulesets"],
        description: "Passes when `http_request_firewall_managed` has an enabled `execute` rule of the \
            Cloudflare OWASP Core Ruleset (4814384a9e5d4991b9815dcfc25d2f1f); fails otherwise.",
        risk: "The OWASP Core Ruleset scores generic attack patterns (injection, XSS, protocol \
            violations) that signature rules for known CVEs do not cover.",
        remediation: "Deploy the Cloudflare OWASP Core Ruleset (Pro plan and above) with a Medium (40) \
            score threshold and the Block action; tune with paranoia level and exceptions.",
        terraform: TF_MANAGED,
        api: "PUT /zones/{zone_id}/rulesets/phases/http_request_firewall_managed/entrypoint {\"rules\":[{\"action\":\"execute\",\"expression\":\"true\",\"action_parameters\":{\"id\":\"4814384a9e5d4991b9815dcfc25d2f1f\"}}]}",
        compliance: &["PCI-DSS-4.0.1:6.4.1", "PCI-DSS-4.0.1:6.4.2", "NIST-800-53r5:SC-7", "NIST-800-53r5:SI-4"],
        prowler: Some("improves: Prowler matches rulesets whose name contains \"owasp\"; cfcp matches the \
            OWASP ruleset's id in an enabled execute rule, so a renamed, disabled or merely listed \
            ruleset is judged by what actually runs."),
        eval: Eval::Zone(owasp_enabled),
    },
    Check {
        id: "zone_waf_managed_not_log_only",
        title: "Deployed managed rulesets are not overridden to log only",
        severity: Severity::High,
        resource_type: "rule",
        sections: &["rulesets"],
        description: "For every enabled `execute` rule in `http_request_firewall_managed`, fails when \
            `action_parameters.overrides.action` is `log` or `overrides.enabled` is false (every rule of \
            the managed ruleset logs or is off). Passes otherwise; the message counts category and rule \
            overrides set to log or disabled.",
        risk: "A managed ruleset overridden to log looks deployed in every inventory but blocks nothing: \
            attacks are recorded and still reach the origin.",
        remediation: "Remove the ruleset-wide `log` override (or `enabled: false`) once false positives \
            are handled with targeted exceptions (skip rules) or per-rule overrides.",
        terraform: "# in the cloudflare_ruleset for phase http_request_firewall_managed, on the execute rule:\naction_parameters = {\n  id = \"efb7b8c949ac4650a09736fc376e9aee\"\n  # no overrides.action = \"log\" and no overrides.enabled = false\n}",
        api: "PATCH /zones/{zone_id}/rulesets/<entrypoint ruleset id>/rules/{resource_id} {\"action\":\"execute\",\"expression\":\"true\",\"action_parameters\":{\"id\":\"<managed ruleset id>\"}}",
        compliance: &["PCI-DSS-4.0.1:6.4.2", "NIST-800-53r5:SC-7", "NIST-800-53r5:SI-4"],
        prowler: None,
        eval: Eval::Zone(managed_not_log_only),
    },
    Check {
        id: "zone_waf_owasp_threshold",
        title: "The OWASP Core Ruleset blocks at Medium sensitivity or higher",
        severity: Severity::Medium,
        resource_type: "rule",
        sections: &["rulesets"],
        description: "For every enabled `execute` rule of the OWASP Core Ruleset, reads the override of \
            its anomaly-score rule (6179ae15870a4bb7b2d480d4843b323c) and the ruleset-wide overrides. \
            Fails when the effective action is `log`, the anomaly rule is disabled, or `score_threshold` \
            is 60 (Low) or more. Passes for 40 (Medium), 25 (High) or no threshold override (the \
            ruleset default applies).",
        risk: "With the anomaly rule logging or disabled, the OWASP ruleset never acts; with the Low \
            threshold only requests matching many rules at once are stopped, so most single-vector \
            attacks pass.",
        remediation: "Override rule 6179ae15870a4bb7b2d480d4843b323c with action `block` (or \
            `managed_challenge`) and `score_threshold` 40 (Medium) or 25 (High).",
        terraform: TF_MANAGED,
        api: "PATCH /zones/{zone_id}/rulesets/<entrypoint ruleset id>/rules/{resource_id} {\"action\":\"execute\",\"expression\":\"true\",\"action_parameters\":{\"id\":\"4814384a9e5d4991b9815dcfc25d2f1f\",\"overrides\":{\"rules\":[{\"id\":\"6179ae15870a4bb7b2d480d4843b323c\",\"action\":\"block\",\"score_threshold\":40}]}}}",
        compliance: &["PCI-DSS-4.0.1:6.4.2", "NIST-800-53r5:SC-7", "NIST-800-53r5:SI-4"],
        prowler: None,
        eval: Eval::Zone(owasp_threshold),
    },
    Check {
        id: "zone_firewall_blocking_rules_configured",
        title: "Custom WAF rules block or challenge something",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["rulesets"],
        description: "Passes when `http_request_firewall_custom` has at least one enabled rule whose \
            action is `block`, `challenge`, `managed_challenge` or `js_challenge`; fails otherwise \
            (the message counts disabled blocking rules).",
        risk: "Custom rules are where a zone encodes its own access policy (admin paths, countries, \
            abusive networks). Without any that block or challenge, every request the managed rules \
            miss reaches the origin.",
        remediation: "Add custom rules that block or challenge what the application never needs \
            (admin paths from the internet, probes for software not in use, abusive ASNs).",
        terraform: "resource \"cloudflare_ruleset\" \"waf_custom\" {\n  zone_id = \"{zone_id}\"\n  name    = \"default\"\n  kind    = \"zone\"\n  phase   = \"http_request_firewall_custom\"\n  rules = [{\n    action      = \"block\"\n    expression  = \"(http.request.uri.path contains \\\"/.env\\\") or (http.request.uri.path contains \\\"/.git/\\\")\"\n    description = \"Block secret file probes\"\n    enabled     = true\n  }]\n}",
        api: "PUT /zones/{zone_id}/rulesets/phases/http_request_firewall_custom/entrypoint {\"rules\":[{\"action\":\"block\",\"expression\":\"(http.request.uri.path contains \\\"/.env\\\")\",\"description\":\"Block secret file probes\"}]}",
        compliance: &["PCI-DSS-4.0.1:6.4.1", "PCI-DSS-4.0.1:1.4.2", "NIST-800-53r5:SC-7", "NIST-800-53r5:AC-4"],
        prowler: Some("same actions; cfcp counts only enabled rules (a disabled block rule protects \
            nothing) and reads the custom-rules phase of the Rulesets API."),
        eval: Eval::Zone(blocking_rules),
    },
    Check {
        id: "zone_rate_limiting_enabled",
        title: "A rate limiting rule is in force",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["rulesets"],
        description: "Passes when `http_ratelimit` has at least one enabled rule whose action mitigates \
            (anything but `log`); fails otherwise.",
        risk: "Without rate limiting, credential stuffing, brute force, scraping and application-layer \
            floods are limited only by the origin's capacity.",
        remediation: "Add a rate limiting rule for the login and other expensive endpoints (e.g. 100 \
            requests per minute per IP, block for 10 minutes).",
        terraform: "resource \"cloudflare_ruleset\" \"rate_limit\" {\n  zone_id = \"{zone_id}\"\n  name    = \"default\"\n  kind    = \"zone\"\n  phase   = \"http_ratelimit\"\n  rules = [{\n    action      = \"block\"\n    expression  = \"(http.request.uri.path eq \\\"/login\\\")\"\n    description = \"Rate limit login\"\n    enabled     = true\n    ratelimit = {\n      characteristics     = [\"cf.colo.id\", \"ip.src\"]\n      period              = 60\n      requests_per_period = 100\n      mitigation_timeout  = 600\n    }\n  }]\n}",
        api: "PUT /zones/{zone_id}/rulesets/phases/http_ratelimit/entrypoint {\"rules\":[{\"action\":\"block\",\"expression\":\"(http.request.uri.path eq \\\"/login\\\")\",\"ratelimit\":{\"characteristics\":[\"cf.colo.id\",\"ip.src\"],\"period\":60,\"requests_per_period\":100,\"mitigation_timeout\":600}}]}",
        compliance: &["ASVS-4.0.3:11.1.4", "ASVS-5.0.0:2.4.1", "NIST-800-53r5:SC-5"],
        prowler: Some("same, except that a rule whose action is `log` does not count: it limits nothing."),
        eval: Eval::Zone(rate_limiting),
    },
    Check {
        id: "waf_skip_rule_scope",
        title: "Skip rules that bypass WAF protection are narrowly scoped",
        severity: Severity::High,
        resource_type: "rule",
        sections: &["rulesets"],
        description: "For every enabled `skip` rule in `http_request_firewall_custom` and \
            `http_request_firewall_managed`: fails when its expression matches every request (`true`) \
            or depends only on fields the client controls (user agent, referer, cookies, request \
            headers, query string and arguments, body), because anyone can then opt out of what it \
            skips; passes when the expression involves anything else (source IP, ASN, path, host, \
            verified-bot flags, mTLS). Zones without skip rules pass.",
        risk: "A skip on `http.user_agent contains \"PartnerBot\"` lets any attacker who sends that \
            user agent bypass the managed rules, rate limiting or custom rules it skips.",
        remediation: "Scope the skip to something the client cannot forge: the partner's IP list \
            (`ip.src in $partner_ips`), mTLS (`cf.tls_client_auth.cert_verified`), or a verified bot \
            category, plus the paths it needs; skip only the rules that false-positive.",
        terraform: "# in the cloudflare_ruleset for phase http_request_firewall_custom:\n{\n  action      = \"skip\"\n  expression  = \"(ip.src in $partner_ips and starts_with(http.request.uri.path, \\\"/api/partner/\\\"))\"\n  description = \"Partner integration\"\n  action_parameters = { phases = [\"http_request_firewall_managed\"] }\n}",
        api: "PATCH /zones/{zone_id}/rulesets/<entrypoint ruleset id>/rules/{resource_id} {\"action\":\"skip\",\"expression\":\"(ip.src in $partner_ips)\",\"action_parameters\":{\"phases\":[\"http_request_firewall_managed\"]}}",
        compliance: &["PCI-DSS-4.0.1:6.4.2", "NIST-800-53r5:SC-7", "NIST-800-53r5:AC-4"],
        prowler: None,
        eval: Eval::Zone(skip_rule_scope),
    },
    Check {
        id: "waf_security_rule_disabled",
        title: "Security rules are not left disabled",
        severity: Severity::Low,
        resource_type: "rule",
        sections: &["rulesets"],
        description: "Fails for every disabled rule that would protect the zone: custom rules with a \
            block or challenge action, managed-ruleset `execute` rules and rate limiting rules. Zones \
            with none pass.",
        risk: "A disabled rule usually means a mitigation was switched off during an incident or a \
            false-positive hunt and never restored; it documents protection the zone does not have.",
        remediation: "Re-enable the rule after fixing its false positives, or delete it so the \
            configuration says what is really enforced.",
        terraform: "# in the cloudflare_ruleset that holds the rule:\nenabled = true",
        api: "PATCH /zones/{zone_id}/rulesets/<entrypoint ruleset id>/rules/{resource_id} {\"enabled\":true, ...the rule's action and expression}",
        compliance: &["NIST-800-53r5:CM-6"],
        prowler: None,
        eval: Eval::Zone(security_rule_disabled),
    },
];

fn is_blocking(action: Option<&RuleAction>) -> bool {
    matches!(
        action,
        Some(
            RuleAction::Block
                | RuleAction::Challenge
                | RuleAction::ManagedChallenge
                | RuleAction::JsChallenge
        )
    )
}

/// `"description" (id)` for messages.
fn label(rule: &Rule) -> String {
    match (
        rule.description.as_deref().filter(|d| !d.is_empty()),
        rule.id.as_deref(),
    ) {
        (Some(d), Some(id)) => format!("{d:?} ({id})"),
        (Some(d), None) => format!("{d:?}"),
        (None, Some(id)) => format!("rule {id}"),
        (None, None) => "a rule without id".to_owned(),
    }
}

fn action_name(rule: &Rule) -> String {
    rule.action
        .get()
        .map_or_else(|| "no action".to_owned(), |a| a.to_string())
}

/// The ruleset an `execute` rule runs.
fn executes(rule: &Rule) -> Option<&str> {
    if rule.action.get() != Some(&RuleAction::Execute) {
        return None;
    }
    rule.action_parameters
        .get()
        .and_then(|p| p.get("id"))
        .and_then(Value::as_str)
}

fn managed_name(id: &str) -> String {
    match id {
        CLOUDFLARE_MANAGED => "the Cloudflare Managed Ruleset".to_owned(),
        FREE_MANAGED => "the Cloudflare Free Managed Ruleset".to_owned(),
        OWASP => "the Cloudflare OWASP Core Ruleset".to_owned(),
        "c2e184081120413c86c3ab7e14069605" => "the Exposed Credentials Check Ruleset".to_owned(),
        "e22d83c647c64a3eae91b71b499d988e" => "the Sensitive Data Detection Ruleset".to_owned(),
        other => format!("ruleset {other}"),
    }
}

fn overrides(rule: &Rule) -> Option<&Map<String, Value>> {
    rule.action_parameters
        .get()
        .and_then(|p| p.get("overrides"))
        .and_then(Value::as_object)
}

fn entry<'a>(ctx: &ZoneContext<'a>, phase: Phase) -> Option<&'a Ruleset> {
    ctx.zone.ruleset(&phase)
}

fn plan(ctx: &ZoneContext<'_>) -> String {
    ctx.zone
        .zone
        .plan_name()
        .map(|p| format!(" (plan: {p})"))
        .unwrap_or_default()
}

fn waf_enabled(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let managed = entry(ctx, Phase::HttpRequestFirewallManaged);
    let rules = managed.map_or(&[][..], |r| &r.rules[..]);
    let deployments = |enabled: bool| {
        rules
            .iter()
            .filter(|r| r.is_enabled() == enabled)
            .filter(|r| matches!(executes(r), Some(CLOUDFLARE_MANAGED | FREE_MANAGED)))
            .collect::<Vec<_>>()
    };
    if let Some(rule) = deployments(true).first() {
        let target = executes(rule).map(managed_name).unwrap_or_default();
        return out.pass(
            ctx.zone_resource(),
            format!(
                "http_request_firewall_managed executes {target} ({})",
                label(rule)
            ),
        );
    }
    let legacy = ctx.zone.setting("waf").map(|s| &s.value);
    if legacy.and_then(Value::as_str) == Some("on") {
        return out.pass(
            ctx.zone_resource(),
            "the legacy `waf` setting is \"on\" (no managed ruleset deployment in http_request_firewall_managed)",
        );
    }
    let disabled = deployments(false);
    let disabled = if disabled.is_empty() {
        String::new()
    } else {
        format!(
            "; disabled deployment: {}",
            disabled
                .iter()
                .map(|r| label(r))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    match legacy {
        None if ctx.zone.settings.is_empty() => out.unknown(
            ctx.zone_resource(),
            format!(
                "no enabled execute rule of the Cloudflare Managed or Free Managed Ruleset in http_request_firewall_managed{disabled}, and the snapshot has no zone settings to read the legacy `waf` setting from"
            ),
        ),
        _ => out.fail(
            ctx.zone_resource(),
            format!(
                "no enabled execute rule of the Cloudflare Managed or Free Managed Ruleset in http_request_firewall_managed{disabled}, and the legacy `waf` setting is {}{}",
                legacy.map_or_else(|| "absent".to_owned(), show),
                plan(ctx)
            ),
        ),
    }
}

fn owasp_enabled(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let rules = entry(ctx, Phase::HttpRequestFirewallManaged).map_or(&[][..], |r| &r.rules[..]);
    let owasp: Vec<&Rule> = rules
        .iter()
        .filter(|r| executes(r) == Some(OWASP))
        .collect();
    match owasp.iter().find(|r| r.is_enabled()) {
        Some(rule) => out.pass(
            ctx.zone_resource(),
            format!(
                "http_request_firewall_managed executes the OWASP Core Ruleset ({})",
                label(rule)
            ),
        ),
        None if !owasp.is_empty() => out.fail(
            ctx.zone_resource(),
            format!(
                "the OWASP Core Ruleset's execute rule is disabled: {}",
                owasp.iter().map(|r| label(r)).collect::<Vec<_>>().join(", ")
            ),
        ),
        None => out.fail(
            ctx.zone_resource(),
            format!(
                "http_request_firewall_managed has no execute rule of the OWASP Core Ruleset (4814384a9e5d4991b9815dcfc25d2f1f){}",
                plan(ctx)
            ),
        ),
    }
}

/// Counts category and rule overrides that log or disable.
fn weakening_overrides(ov: &Map<String, Value>) -> usize {
    ["categories", "rules"]
        .iter()
        .filter_map(|k| ov.get(*k).and_then(Value::as_array))
        .flatten()
        .filter(|o| {
            o.get("action").and_then(Value::as_str) == Some("log")
                || o.get("enabled").and_then(Value::as_bool) == Some(false)
        })
        .count()
}

fn managed_not_log_only(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(ruleset) = entry(ctx, Phase::HttpRequestFirewallManaged) else {
        return;
    };
    for rule in ruleset.rules.iter().filter(|r| r.is_enabled()) {
        let Some(target) = executes(rule) else {
            continue;
        };
        let name = managed_name(target);
        let resource = ctx.rule_resource(ruleset, rule);
        let ov = overrides(rule);
        let wide_action = ov.and_then(|o| o.get("action")).and_then(Value::as_str);
        let wide_enabled = ov.and_then(|o| o.get("enabled")).and_then(Value::as_bool);
        if wide_action == Some("log") {
            out.fail(
                resource,
                format!(
                    "{} executes {name} with overrides.action \"log\": every rule only logs",
                    label(rule)
                ),
            );
        } else if wide_enabled == Some(false) {
            out.fail(
                resource,
                format!(
                    "{} executes {name} with overrides.enabled false: every rule is off",
                    label(rule)
                ),
            );
        } else {
            let partial = ov.map_or(0, weakening_overrides);
            let note = if partial > 0 {
                format!("; {partial} category/rule overrides log or disable")
            } else {
                String::new()
            };
            out.pass(
                resource,
                format!(
                    "{} executes {name} with its rules' own actions{note}",
                    label(rule)
                ),
            );
        }
    }
}

fn owasp_threshold(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(ruleset) = entry(ctx, Phase::HttpRequestFirewallManaged) else {
        return;
    };
    for rule in ruleset
        .rules
        .iter()
        .filter(|r| r.is_enabled() && executes(r) == Some(OWASP))
    {
        let resource = ctx.rule_resource(ruleset, rule);
        let ov = overrides(rule);
        let anomaly = ov
            .and_then(|o| o.get("rules"))
            .and_then(Value::as_array)
            .and_then(|rules| {
                rules
                    .iter()
                    .find(|r| r.get("id").and_then(Value::as_str) == Some(OWASP_ANOMALY_RULE))
            });
        let pick = |key: &str| {
            anomaly
                .and_then(|a| a.get(key))
                .or_else(|| ov.and_then(|o| o.get(key)))
        };
        let action = pick("action").and_then(Value::as_str);
        let enabled = pick("enabled").and_then(Value::as_bool);
        let threshold = anomaly.and_then(|a| a.get("score_threshold"));
        if action == Some("log") {
            out.fail(
                resource,
                format!(
                    "{}: the OWASP anomaly-score rule's action is \"log\": the ruleset never blocks",
                    label(rule)
                ),
            );
            continue;
        }
        if enabled == Some(false) {
            out.fail(
                resource,
                format!(
                    "{}: the OWASP anomaly-score rule is disabled: the ruleset never acts",
                    label(rule)
                ),
            );
            continue;
        }
        let action = action.map(|a| format!(", action {a}")).unwrap_or_default();
        match threshold {
            None => out.pass(
                resource,
                format!(
                    "{}: no score_threshold override, the ruleset's default threshold applies{action}",
                    label(rule)
                ),
            ),
            Some(t) => match t.as_u64() {
                Some(t) if t >= OWASP_THRESHOLD_LOW => out.fail(
                    resource,
                    format!(
                        "{}: score_threshold is {t} (Low sensitivity){action}: only requests matching many rules are stopped",
                        label(rule)
                    ),
                ),
                Some(t) => out.pass(
                    resource,
                    format!(
                        "{}: score_threshold is {t} ({}){action}",
                        label(rule),
                        if t > 25 { "Medium" } else { "High" }
                    ),
                ),
                None => out.unknown(
                    resource,
                    format!(
                        "{}: score_threshold is {}, not a number",
                        label(rule),
                        show(t)
                    ),
                ),
            },
        }
    }
}

fn blocking_rules(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let rules = entry(ctx, Phase::HttpRequestFirewallCustom).map_or(&[][..], |r| &r.rules[..]);
    let (on, off): (Vec<&Rule>, Vec<&Rule>) = rules
        .iter()
        .filter(|r| is_blocking(r.action.get()))
        .partition(|r| r.is_enabled());
    if let Some(first) = on.first() {
        out.pass(
            ctx.zone_resource(),
            format!(
                "{} enabled custom rule(s) block or challenge, e.g. {} ({})",
                on.len(),
                label(first),
                action_name(first)
            ),
        )
    } else if rules.is_empty() {
        out.fail(
            ctx.zone_resource(),
            "the zone has no custom rules (http_request_firewall_custom)",
        )
    } else {
        out.fail(
            ctx.zone_resource(),
            format!(
                "none of the {} custom rules is an enabled block or challenge rule ({} disabled blocking rule(s))",
                rules.len(),
                off.len()
            ),
        )
    }
}

fn rate_limiting(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let rules = entry(ctx, Phase::HttpRatelimit).map_or(&[][..], |r| &r.rules[..]);
    let active: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.is_enabled() && r.action.get() != Some(&RuleAction::Log))
        .collect();
    if active.is_empty() {
        let detail = if rules.is_empty() {
            "the zone has no rate limiting rules (http_ratelimit)".to_owned()
        } else {
            format!(
                "none of the {} rate limiting rules is enabled with a mitigating action: {}",
                rules.len(),
                rules
                    .iter()
                    .map(|r| format!(
                        "{} ({}{})",
                        label(r),
                        action_name(r),
                        if r.is_enabled() { "" } else { ", disabled" }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.fail(ctx.zone_resource(), detail)
    } else {
        out.pass(
            ctx.zone_resource(),
            format!(
                "{} enabled rate limiting rule(s): {}",
                active.len(),
                active
                    .iter()
                    .map(|r| format!("{} ({})", label(r), action_name(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }
}

/// The fields an expression reads (`http.user_agent`, `ip.src`, ...), skipping string literals,
/// raw strings, numbers, IP addresses and `$list` names. A lexer, not a parser: enough to tell
/// which fields an expression depends on.
fn expression_fields(expr: &str) -> Vec<&str> {
    let bytes = expr.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
    let mut fields = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == b'r' && matches!(bytes.get(i + 1), Some(b'"' | b'#')) {
            let mut j = i + 1;
            let mut hashes = 0;
            while bytes.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if bytes.get(j) == Some(&b'"') {
                let closing: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat(b'#').take(hashes))
                    .collect();
                j += 1;
                while j < bytes.len() && !bytes[j..].starts_with(&closing) {
                    j += 1;
                }
                i = j + closing.len();
            } else {
                i = j;
            }
        } else if c == b'$' {
            i += 1;
            while i < bytes.len() && ident(bytes[i]) {
                i += 1;
            }
        } else if c.is_ascii_digit() {
            while i < bytes.len() && (ident(bytes[i]) || bytes[i] == b':' || bytes[i] == b'/') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && ident(bytes[i]) {
                i += 1;
            }
            let word = &expr[start..i];
            if (word.contains('.') || word == "ssl") && !fields.contains(&word) {
                fields.push(word);
            }
        } else {
            i += 1;
        }
    }
    fields
}

/// Fields whose value the client chooses freely.
fn is_spoofable(field: &str) -> bool {
    const EXACT: &[&str] = &[
        "http.user_agent",
        "http.referer",
        "http.cookie",
        "http.x_forwarded_for",
        "http.request.accepted_languages",
        "http.request.uri",
        "raw.http.request.uri",
        "http.request.full_uri",
        "raw.http.request.full_uri",
    ];
    const PREFIX: &[&str] = &[
        "http.request.headers",
        "http.request.cookies",
        "http.request.uri.query",
        "http.request.uri.args",
        "raw.http.request.uri.query",
        "raw.http.request.uri.args",
        "http.request.body",
    ];
    EXACT.contains(&field)
        || PREFIX.iter().any(|p| {
            field == *p
                || field
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
}

/// What a skip rule's action parameters skip, in words.
fn skipped(rule: &Rule) -> String {
    let Some(p) = rule.action_parameters.get() else {
        return "nothing named (no action_parameters)".to_owned();
    };
    let list = |key: &str| {
        p.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(show).collect::<Vec<_>>().join(", "))
            .filter(|s| !s.is_empty())
    };
    let mut what = Vec::new();
    if p.get("ruleset").and_then(Value::as_str) == Some("current") {
        what.push("the rest of this ruleset".to_owned());
    }
    if let Some(phases) = list("phases") {
        what.push(format!("phases {phases}"));
    }
    if let Some(products) = list("products") {
        what.push(format!("products {products}"));
    }
    if let Some(rulesets) = list("rulesets") {
        what.push(format!("rulesets {rulesets}"));
    }
    if p.get("rules").and_then(Value::as_object).is_some() {
        what.push("specific managed rules".to_owned());
    }
    if what.is_empty() {
        "nothing cfcp recognises".to_owned()
    } else {
        what.join(", ")
    }
}

fn skip_rule_scope(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let mut seen = false;
    for phase in [
        Phase::HttpRequestFirewallCustom,
        Phase::HttpRequestFirewallManaged,
    ] {
        let Some(ruleset) = entry(ctx, phase.clone()) else {
            continue;
        };
        for rule in ruleset
            .rules
            .iter()
            .filter(|r| r.is_enabled() && r.action.get() == Some(&RuleAction::Skip))
        {
            seen = true;
            let resource = ctx.rule_resource(ruleset, rule);
            let what = skipped(rule);
            let Some(expr) = rule.expression.as_deref() else {
                out.unknown(
                    resource,
                    format!(
                        "{} in {phase} skips {what} but has no expression",
                        label(rule)
                    ),
                );
                continue;
            };
            let shown: String = expr.chars().take(200).collect();
            let fields = expression_fields(expr);
            if fields.is_empty() {
                out.fail(
                    resource,
                    format!(
                        "{} in {phase} skips {what} for every request (expression `{shown}`)",
                        label(rule)
                    ),
                );
            } else if fields.iter().all(|f| is_spoofable(f)) {
                out.fail(
                    resource,
                    format!(
                        "{} in {phase} skips {what} based only on client-controlled {} (expression `{shown}`): any client can send that",
                        label(rule),
                        fields.join(", ")
                    ),
                );
            } else {
                let scoped: Vec<&str> = fields.into_iter().filter(|f| !is_spoofable(f)).collect();
                out.pass(
                    resource,
                    format!(
                        "{} in {phase} skips {what}, scoped by {}",
                        label(rule),
                        scoped.join(", ")
                    ),
                );
            }
        }
    }
    if !seen {
        out.pass(
            ctx.zone_resource(),
            "no enabled skip rules in http_request_firewall_custom or http_request_firewall_managed",
        );
    }
}

fn security_rule_disabled(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let mut seen = false;
    for phase in [
        Phase::HttpRequestFirewallCustom,
        Phase::HttpRequestFirewallManaged,
        Phase::HttpRatelimit,
    ] {
        let Some(ruleset) = entry(ctx, phase.clone()) else {
            continue;
        };
        for rule in ruleset.rules.iter().filter(|r| !r.is_enabled()) {
            let what = match phase {
                Phase::HttpRequestFirewallCustom if is_blocking(rule.action.get()) => {
                    format!("custom rule with action {}", action_name(rule))
                }
                Phase::HttpRequestFirewallManaged => match executes(rule) {
                    Some(target) => format!("deployment of {}", managed_name(target)),
                    None => continue,
                },
                Phase::HttpRatelimit => "rate limiting rule".to_owned(),
                _ => continue,
            };
            seen = true;
            out.fail(
                ctx.rule_resource(ruleset, rule),
                format!("{} in {phase} is disabled ({what})", label(rule)),
            );
        }
    }
    if !seen {
        out.pass(
            ctx.zone_resource(),
            "no disabled blocking, managed-ruleset or rate limiting rules",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::zone_settings::test_support::*;
    use super::*;
    use crate::invariants::Status;
    use crate::snapshot::{Field, Snapshot};

    fn rules_mut<'a>(s: &'a mut Snapshot, zone: &str, phase: Phase) -> &'a mut Vec<Rule> {
        let z = zone_mut(s, zone);
        if z.ruleset(&phase).is_none() {
            z.rulesets.push(
                serde_json::from_value(json!({"id": format!("rs-{phase}"), "kind": "zone", "phase": phase.as_str(), "rules": []}))
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        let rs = z
            .rulesets
            .iter_mut()
            .find(|r| r.phase.get() == Some(&phase))
            .unwrap_or_else(|| panic!("no {phase}"));
        &mut rs.rules
    }

    fn rule(v: serde_json::Value) -> Rule {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn fields_of_expressions() {
        assert_eq!(
            expression_fields(
                r#"(http.user_agent contains "ip.src and cf.bot") and not ip.src in $cf.open_proxies"#
            ),
            vec!["http.user_agent", "ip.src"]
        );
        assert_eq!(expression_fields("true"), Vec::<&str>::new());
        assert_eq!(
            expression_fields(
                r##"http.request.uri.path matches r#"^/a"b$"# or ip.src in {10.0.0.0/8 2001:db8::/32}"##
            ),
            vec!["http.request.uri.path", "ip.src"]
        );
        assert_eq!(
            expression_fields(r#"any(http.request.headers["x-partner"][*] == "1") and ssl"#),
            vec!["http.request.headers", "ssl"]
        );
        // Unterminated strings and odd bytes never panic.
        assert_eq!(expression_fields("http.host eq \"é"), vec!["http.host"]);
        assert_eq!(expression_fields("r#\"x"), Vec::<&str>::new());
        assert!(is_spoofable("http.request.headers.values"));
        assert!(!is_spoofable("http.request.uri.path"));
        assert!(!is_spoofable("http.request.headers_x"));
    }

    #[test]
    fn waf_enabled() {
        let id = "zone_waf_enabled";
        expect(
            &demo(),
            id,
            SHOP,
            Status::Pass,
            "executes the Cloudflare Managed Ruleset",
        );
        expect(
            &demo(),
            id,
            INTERNAL,
            Status::Fail,
            "legacy `waf` setting is \"off\" (plan: Free Website)",
        );
        // acme-api.io: managed ruleset deployed (log-only, judged elsewhere).
        expect(
            &demo(),
            id,
            API,
            Status::Pass,
            "executes the Cloudflare Managed Ruleset",
        );
        // The legacy setting alone passes.
        let s = with_setting(INTERNAL, "waf", json!("on"));
        expect(
            &s,
            id,
            INTERNAL,
            Status::Pass,
            "legacy `waf` setting is \"on\"",
        );
        // Free Managed Ruleset passes; disabled deployments are named in the failure.
        let mut s = demo();
        rules_mut(&mut s, INTERNAL, Phase::HttpRequestFirewallManaged).push(rule(json!({"id": "r1", "action": "execute", "expression": "true", "description": "free", "action_parameters": {"id": FREE_MANAGED}, "enabled": false})));
        expect(
            &s,
            id,
            INTERNAL,
            Status::Fail,
            "disabled deployment: \"free\" (r1)",
        );
        rules_mut(&mut s, INTERNAL, Phase::HttpRequestFirewallManaged)[0].enabled =
            Field::Value(true);
        expect(&s, id, INTERNAL, Status::Pass, "Free Managed Ruleset");
        // No settings and no deployment: UNKNOWN.
        let mut s = demo();
        zone_mut(&mut s, INTERNAL).settings.clear();
        expect(&s, id, INTERNAL, Status::Unknown, "no zone settings");
    }

    #[test]
    fn owasp_enabled() {
        let id = "zone_waf_owasp_ruleset_enabled";
        expect(&demo(), id, SHOP, Status::Pass, "OWASP Core Ruleset");
        expect(
            &demo(),
            id,
            API,
            Status::Fail,
            "no execute rule of the OWASP Core Ruleset",
        );
        let mut s = demo();
        rules_mut(&mut s, SHOP, Phase::HttpRequestFirewallManaged)[1].enabled = Field::Value(false);
        expect(&s, id, SHOP, Status::Fail, "is disabled");
    }

    #[test]
    fn managed_not_log_only() {
        let id = "zone_waf_managed_not_log_only";
        expect(
            &demo(),
            id,
            "Execute Cloudflare Managed Ruleset (log only while tuning false positives)",
            Status::Fail,
            "overrides.action \"log\"",
        );
        expect(
            &demo(),
            id,
            "Execute Cloudflare OWASP Core Ruleset (PL2, medium threshold)",
            Status::Pass,
            "2 category/rule overrides",
        );
        let mut s = demo();
        rules_mut(&mut s, SHOP, Phase::HttpRequestFirewallManaged)[0].action_parameters =
            Field::Value(json!({"id": CLOUDFLARE_MANAGED, "overrides": {"enabled": false}}));
        expect(
            &s,
            id,
            "b6c9b598dd2c33a82db7b4b3351a08ef",
            Status::Fail,
            "overrides.enabled false",
        );
        // Zones with no managed phase produce no finding.
        assert!(on(&demo(), id, INTERNAL).is_empty());
    }

    #[test]
    fn owasp_threshold() {
        let id = "zone_waf_owasp_threshold";
        let owasp = "5c10edda4e78334d20078f0a6ec18b24";
        expect(
            &demo(),
            id,
            owasp,
            Status::Pass,
            "score_threshold is 40 (Medium), action block",
        );
        let set_anomaly = |anomaly: serde_json::Value| {
            let mut s = demo();
            rules_mut(&mut s, SHOP, Phase::HttpRequestFirewallManaged)[1].action_parameters =
                Field::Value(json!({"id": OWASP, "overrides": {"rules": [anomaly]}}));
            s
        };
        let s = set_anomaly(
            json!({"id": OWASP_ANOMALY_RULE, "action": "block", "score_threshold": 60}),
        );
        expect(
            &s,
            id,
            owasp,
            Status::Fail,
            "score_threshold is 60 (Low sensitivity)",
        );
        let s =
            set_anomaly(json!({"id": OWASP_ANOMALY_RULE, "action": "log", "score_threshold": 25}));
        expect(&s, id, owasp, Status::Fail, "action is \"log\"");
        let s = set_anomaly(json!({"id": OWASP_ANOMALY_RULE, "enabled": false}));
        expect(&s, id, owasp, Status::Fail, "disabled");
        let s = set_anomaly(json!({"id": OWASP_ANOMALY_RULE, "score_threshold": "low"}));
        expect(&s, id, owasp, Status::Unknown, "\"low\", not a number");
        let s = set_anomaly(json!({"id": "other"}));
        expect(&s, id, owasp, Status::Pass, "default threshold");
        // A ruleset-wide log override makes the anomaly rule log too.
        let mut s = demo();
        rules_mut(&mut s, SHOP, Phase::HttpRequestFirewallManaged)[1].action_parameters =
            Field::Value(json!({"id": OWASP, "overrides": {"action": "log"}}));
        expect(&s, id, owasp, Status::Fail, "\"log\"");
    }

    #[test]
    fn blocking_rules() {
        let id = "zone_firewall_blocking_rules_configured";
        expect(&demo(), id, SHOP, Status::Pass, "5 enabled custom rule(s)");
        expect(&demo(), id, INTERNAL, Status::Fail, "no custom rules");
        let mut s = demo();
        for r in rules_mut(&mut s, API, Phase::HttpRequestFirewallCustom) {
            if is_blocking(r.action.get()) {
                r.enabled = Field::Value(false);
            }
        }
        expect(&s, id, API, Status::Fail, "(4 disabled blocking rule(s))");
    }

    #[test]
    fn rate_limiting() {
        let id = "zone_rate_limiting_enabled";
        expect(
            &demo(),
            id,
            SHOP,
            Status::Pass,
            "\"Rate limit login attempts\"",
        );
        expect(&demo(), id, API, Status::Fail, "no rate limiting rules");
        let mut s = demo();
        rules_mut(&mut s, SHOP, Phase::HttpRatelimit)[0].action = Field::Value(RuleAction::Log);
        expect(&s, id, SHOP, Status::Fail, "(log)");
    }

    #[test]
    fn skip_rule_scope() {
        let id = "waf_skip_rule_scope";
        expect(
            &demo(),
            id,
            "Partner integration: skip WAF and rate limiting",
            Status::Fail,
            "based only on client-controlled http.user_agent",
        );
        expect(
            &demo(),
            id,
            "Let the uptime monitor reach /healthz",
            Status::Pass,
            "scoped by ip.src, http.request.uri.path",
        );
        expect(&demo(), id, INTERNAL, Status::Pass, "no enabled skip rules");
        let mut s = demo();
        rules_mut(&mut s, SHOP, Phase::HttpRequestFirewallManaged).insert(
            0,
            rule(json!({"id": "x1", "action": "skip", "expression": "true", "description": "skip all", "action_parameters": {"ruleset": "current"}})),
        );
        expect(&s, id, "skip all", Status::Fail, "for every request");
    }

    #[test]
    fn security_rule_disabled() {
        let id = "waf_security_rule_disabled";
        expect(
            &demo(),
            id,
            "Block obvious SQLi in query string",
            Status::Fail,
            "is disabled (custom rule with action block)",
        );
        expect(&demo(), id, SHOP, Status::Pass, "no disabled");
    }

    #[test]
    fn a_rulesets_gap_makes_waf_checks_unknown() {
        let mut s = demo();
        s.gaps.push(crate::snapshot::Gap {
            zone: Some(SHOP.into()),
            account: None,
            section: "rulesets".into(),
            reason: "403 Forbidden".into(),
        });
        zone_mut(&mut s, SHOP).rulesets.clear();
        for id in [
            "zone_waf_enabled",
            "zone_waf_owasp_ruleset_enabled",
            "zone_waf_managed_not_log_only",
            "zone_waf_owasp_threshold",
            "zone_firewall_blocking_rules_configured",
            "zone_rate_limiting_enabled",
            "waf_skip_rule_scope",
            "waf_security_rule_disabled",
        ] {
            expect(&s, id, SHOP, Status::Unknown, "403");
        }
    }
}
