//! Rules-language validity: every rule's expression parses and type-checks with cfcp's engine
//! (`cfcp::rules`), so a typo cannot leave a rule that never matches or a deploy that fails.

use serde_json::Value;

use super::{Check, Eval};
use crate::invariants::{Evaluation, Severity, ZoneContext};
use crate::rules;

pub(super) const CHECKS: &[Check] = &[Check {
    id: "waf_rule_expression_valid",
    title: "Every rule expression parses and type-checks",
    severity: Severity::High,
    resource_type: "rule",
    sections: &["rulesets"],
    description: "Parses and type-checks each rule's filter expression, and the value expressions of \
        rewrite and redirect rules (URI path and query, header values, target URL), against \
        Cloudflare's field list and function signatures, including the 4,096-character limit. \
        Passes for rules whose expressions are all valid.",
    risk: "Cloudflare rejects an invalid expression when the ruleset is written, so a change made \
        outside the API's validation (a template, a restored backup, a hand-edited state) fails to \
        deploy or leaves the old, wrong rule in place; an ill-typed comparison that slips through \
        never matches, silently switching the protection off.",
    remediation: "Fix the expression at the position shown (the message names the problem and the \
        nearest valid field, operator or function), then validate it with `cfcp waf validate` \
        before deploying.",
    terraform: "resource \"cloudflare_ruleset\" \"custom\" {\n  zone_id = \"{zone_id}\"\n  kind    = \"zone\"\n  phase   = \"http_request_firewall_custom\"\n  rules = [{\n    # fix the expression of rule {resource_id}\n    expression = \"<valid expression>\"\n    action     = \"block\"\n  }]\n}",
    api: "PATCH /zones/{zone_id}/rulesets/<ruleset id>/rules/{resource_id} {\"expression\":\"<valid expression>\"}",
    compliance: &["PCI-DSS-4.0.1:6.4.2", "NIST-800-53r5:CM-6", "NIST-800-53r5:SI-4"],
    prowler: None,
    eval: Eval::Zone(expressions_valid),
}];

fn expressions_valid(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    for ruleset in &ctx.zone.rulesets {
        for rule in &ruleset.rules {
            let resource = ctx.rule_resource(ruleset, rule);
            let mut problems = Vec::new();
            match rule.expression.as_deref() {
                Some(expression) => {
                    if let Err(e) = rules::parse_filter(expression) {
                        problems.push(format!(
                            "expression: {}\n{}",
                            e.full_message(),
                            e.render(expression)
                        ));
                    }
                }
                None => problems.push("the rule has no expression".to_owned()),
            }
            if let Some(params) = rule.action_parameters.get() {
                for (path, text) in value_expressions(params) {
                    if let Err(e) = rules::parse_value(text) {
                        problems.push(format!("{path}: {}\n{}", e.full_message(), e.render(text)));
                    }
                }
            }
            if problems.is_empty() {
                out.pass(resource, "valid");
            } else {
                out.fail(resource, problems.join("\n"));
            }
        }
    }
}

/// The value expressions of rewrite, header-modification and redirect rules, with their paths.
fn value_expressions(params: &Value) -> Vec<(String, &str)> {
    let mut found = Vec::new();
    for part in ["path", "query"] {
        if let Some(e) = params
            .pointer(&format!("/uri/{part}/expression"))
            .and_then(Value::as_str)
        {
            found.push((format!("action_parameters.uri.{part}.expression"), e));
        }
    }
    if let Some(headers) = params.get("headers").and_then(Value::as_object) {
        for (name, header) in headers {
            if let Some(e) = header.get("expression").and_then(Value::as_str) {
                found.push((format!("action_parameters.headers.{name}.expression"), e));
            }
        }
    }
    if let Some(e) = params
        .pointer("/from_value/target_url/expression")
        .and_then(Value::as_str)
    {
        found.push((
            "action_parameters.from_value.target_url.expression".to_owned(),
            e,
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::invariants::{run, Config, Status};
    use crate::snapshot::{demo, Snapshot};

    fn statuses(snapshot: &Snapshot) -> Vec<(String, Status, String)> {
        let config = Config {
            checks: vec!["waf_rule_expression_valid".into()],
            ..Config::default()
        };
        run(snapshot, &config)
            .findings
            .into_iter()
            .map(|f| (f.resource.name.into(), f.status, f.message))
            .collect()
    }

    #[test]
    fn demo_rules_are_valid() {
        let results = statuses(&demo());
        assert!(results.len() >= 10);
        assert!(
            results.iter().all(|(_, s, _)| *s == Status::Pass),
            "{results:?}"
        );
    }

    #[test]
    fn a_typo_fails_with_position_and_suggestion() {
        let mut s = demo();
        let rule = &mut s.zones[0].rulesets[0].rules[1];
        rule.expression = crate::snapshot::Field::Value(
            "(http.request.uri.path contans \"/wp-login.php\")".into(),
        );
        let name = rule.description.get().cloned().unwrap_or_default();
        let results = statuses(&s);
        let (_, status, message) = results.iter().find(|(n, _, _)| *n == name).unwrap();
        assert_eq!(*status, Status::Fail);
        assert!(
            message.contains("contans") && message.contains("contains") && message.contains('^'),
            "{message}"
        );
    }

    #[test]
    fn ill_typed_and_overlong_expressions_fail() {
        for bad in [
            "ip.src eq \"not an ip\"",
            "http.request.uri.path gt 5",
            &format!("http.host eq \"{}\"", "a".repeat(5000)),
        ] {
            let mut s = demo();
            s.zones[0].rulesets[0].rules[1].expression =
                crate::snapshot::Field::Value(bad.to_owned());
            assert!(
                statuses(&s).iter().any(|(_, st, _)| *st == Status::Fail),
                "{bad}"
            );
        }
    }

    #[test]
    fn value_expressions_of_rewrites_are_checked() {
        let mut s = demo();
        s.zones[0].rulesets[0].rules[1].action_parameters = crate::snapshot::Field::Value(json!({
            "uri": {"path": {"expression": "regex_replace(http.request.uri.path, \"^/old/\", \"/new/\")"}},
            "headers": {"x-bad": {"operation": "set", "expression": "lower(http.nosuchfield)"}}
        }));
        let results = statuses(&s);
        let failed: Vec<_> = results
            .iter()
            .filter(|(_, st, _)| *st == Status::Fail)
            .collect();
        assert_eq!(failed.len(), 1, "{results:?}");
        assert!(
            failed[0].2.contains("headers.x-bad.expression") && !failed[0].2.contains("uri.path"),
            "{}",
            failed[0].2
        );
    }

    #[test]
    fn a_rulesets_gap_is_unknown() {
        let mut s = demo();
        s.gaps.push(crate::snapshot::Gap {
            zone: Some("acme-shop.com".into()),
            account: None,
            section: "rulesets".into(),
            reason: "403 Authentication error (code 10000)".into(),
        });
        let config = Config {
            checks: vec!["waf_rule_expression_valid".into()],
            zones: vec!["acme-shop.com".into()],
            ..Config::default()
        };
        let report = run(&s, &config);
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].status, Status::Unknown);
    }
}
