//! Ingress lists validated as cloudflared validates them before it accepts a configuration:
//! every rule has a valid service, a valid hostname and path regex, hostnames (with their path)
//! are unique, and exactly one catch-all exists and it is the last rule.

use crate::snapshot::IngressRule;

use super::service::{check_service, is_dns_name, ACCEPTED_FORMS};

/// The catch-all cfcp adds when a tunnel has none (cloudflared's own default answer).
pub const DEFAULT_CATCH_ALL: &str = "http_status:404";

/// What is wrong with an ingress list, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressError {
    /// The rule's position (1-based), 0 for the list as a whole.
    pub rule: usize,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for IngressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.rule == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "ingress rule #{}: {}", self.rule, self.message)
        }
    }
}

/// A path regex compiled with a size limit, so a hostile pattern cannot take the memory.
pub(crate) fn check_path(path: &str) -> Result<(), String> {
    regex::RegexBuilder::new(path)
        .size_limit(1 << 20)
        .build()
        .map(|_| ())
        .map_err(|e| format!("path {path:?} is not a valid regular expression: {e}"))
}

/// The hostname and path that identify a rule, normalised for comparison.
pub(crate) fn rule_key(rule: &IngressRule) -> (String, String) {
    (
        normalise_host(rule.hostname.as_deref().unwrap_or_default()),
        rule.path.as_deref().unwrap_or_default().to_owned(),
    )
}

/// Lowercased, without a trailing dot.
pub(crate) fn normalise_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Checks an ingress list (see the module docs).
///
/// ```
/// use cfcp::snapshot::IngressRule;
/// use cfcp::tunnel::validate_ingress;
/// let rule = |host: Option<&str>, service: &str| -> IngressRule {
///     serde_json::from_value(match host {
///         Some(h) => serde_json::json!({"hostname": h, "service": service}),
///         None => serde_json::json!({"service": service}),
///     }).unwrap()
/// };
/// assert!(validate_ingress(&[rule(Some("a.example.com"), "http://localhost:80"), rule(None, "http_status:404")]).is_ok());
/// let err = validate_ingress(&[rule(None, "http_status:404"), rule(Some("a.example.com"), "http://x")]).unwrap_err();
/// assert!(err.to_string().contains("catch-all"));
/// ```
pub fn validate_ingress(rules: &[IngressRule]) -> Result<(), IngressError> {
    let whole = |message: String| IngressError { rule: 0, message };
    if rules.is_empty() {
        return Err(whole(format!(
            "the ingress list is empty: it needs at least a catch-all rule (service {DEFAULT_CATCH_ALL})"
        )));
    }
    let mut seen: Vec<(String, String)> = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let at = |message: String| IngressError {
            rule: i + 1,
            message,
        };
        let service = rule.service.as_deref().unwrap_or_default();
        check_service(service).map_err(|m| at(format!("{m}; accepted forms: {ACCEPTED_FORMS}")))?;
        let host = rule.hostname.as_deref().unwrap_or_default();
        if !(host.is_empty() || host == "*" || is_dns_name(host, true)) {
            return Err(at(format!(
                "hostname {host:?} is not a DNS name (a leading \"*.\" is the only wildcard allowed)"
            )));
        }
        if let Some(path) = rule.path.as_deref().filter(|p| !p.is_empty()) {
            check_path(path).map_err(at)?;
        }
        let last = i + 1 == rules.len();
        if rule.is_catch_all() {
            if !last {
                return Err(at(format!(
                    "a catch-all rule (no hostname, no path) must be the last rule: rules after it, from #{}, would never match",
                    i + 2
                )));
            }
        } else if last {
            return Err(at(format!(
                "the last rule must be a catch-all (no hostname, no path), e.g. service {DEFAULT_CATCH_ALL}"
            )));
        }
        let key = rule_key(rule);
        if !rule.is_catch_all() {
            if let Some(first) = seen.iter().position(|k| *k == key) {
                return Err(at(format!(
                    "hostname {:?}{} is already routed by rule #{}: remove one of them",
                    key.0,
                    if key.1.is_empty() {
                        String::new()
                    } else {
                        format!(" with path {:?}", key.1)
                    },
                    first + 1
                )));
            }
        }
        seen.push(key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn rule(host: Option<&str>, path: Option<&str>, service: &str) -> IngressRule {
        let mut v = json!({ "service": service });
        if let Some(h) = host {
            v["hostname"] = json!(h);
        }
        if let Some(p) = path {
            v["path"] = json!(p);
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn accepts_a_valid_list() {
        let rules = [
            rule(Some("a.example.com"), None, "http://localhost:80"),
            rule(Some("a.example.com"), Some("^/api"), "http://localhost:81"),
            rule(Some("*.example.com"), None, "hello_world"),
            rule(None, None, "http_status:404"),
        ];
        assert_eq!(validate_ingress(&rules), Ok(()));
    }

    #[test]
    fn names_the_rule_and_the_fix() {
        let cases: Vec<(Vec<IngressRule>, usize, &str)> = vec![
            (vec![], 0, "empty"),
            (
                vec![rule(Some("a.example.com"), None, "http://x")],
                1,
                "last rule must be a catch-all",
            ),
            (
                vec![
                    rule(None, None, "http_status:404"),
                    rule(None, None, "http_status:503"),
                ],
                1,
                "must be the last rule",
            ),
            (
                vec![
                    rule(Some("A.example.com"), None, "http://x"),
                    rule(Some("a.example.com."), None, "http://y"),
                    rule(None, None, "http_status:404"),
                ],
                2,
                "already routed by rule #1",
            ),
            (
                vec![
                    rule(Some("a.example.com"), None, "ftp://x"),
                    rule(None, None, "http_status:404"),
                ],
                1,
                "accepted forms",
            ),
            (
                vec![
                    rule(Some("a.example.com"), Some("(["), "http://x"),
                    rule(None, None, "http_status:404"),
                ],
                1,
                "not a valid regular expression",
            ),
            (
                vec![
                    rule(Some("a b.example.com"), None, "http://x"),
                    rule(None, None, "http_status:404"),
                ],
                1,
                "not a DNS name",
            ),
        ];
        for (rules, at, text) in cases {
            let err = validate_ingress(&rules).unwrap_err();
            assert_eq!(err.rule, at, "{err}");
            assert!(err.to_string().contains(text), "{err}");
        }
    }

    fn arbitrary_rule() -> impl Strategy<Value = IngressRule> {
        let host = prop_oneof![
            Just(None),
            Just(Some("*".to_owned())),
            "[a-c]{1,2}\\.example\\.com".prop_map(Some),
            ".{0,12}".prop_map(Some),
        ];
        let path = prop_oneof![
            Just(None),
            Just(Some(String::new())),
            ".{0,8}".prop_map(Some)
        ];
        let service = prop_oneof![
            Just("http://localhost:8080".to_owned()),
            Just("http_status:404".to_owned()),
            Just("hello_world".to_owned()),
            ".{0,24}",
        ];
        (host, path, service).prop_map(|(h, p, s)| rule(h.as_deref(), p.as_deref(), &s))
    }

    proptest! {
        #[test]
        fn never_panics_and_valid_lists_end_in_their_only_catch_all(
            rules in proptest::collection::vec(arbitrary_rule(), 0..8)
        ) {
            if validate_ingress(&rules).is_ok() {
                let catch_alls: Vec<usize> = rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.is_catch_all())
                    .map(|(i, _)| i)
                    .collect();
                prop_assert_eq!(catch_alls, vec![rules.len() - 1]);
            }
        }
    }
}
