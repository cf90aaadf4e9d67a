//! Whether a skip/allow rule's condition matches broadly: `true`, a /8 or larger, a whole
//! country, any path, or only what the client itself sends.
//!
//! The policy asks for approval before such a rule goes in, because it switches security off
//! for far more traffic than an exception should. A condition is *narrow* when one of its
//! conjuncts pins the traffic down (a source address or small network, an exact path, a list,
//! a host); otherwise the first broad conjunct is the reason.

use crate::rules::parse_filter;
use crate::rules::{CmpOp, Expr, Literal, Rhs, SetItem, Value};
use crate::waf::client_controlled;

/// Why a filter expression matches broadly, or `None` when it is narrow or does not parse
/// (an expression that does not parse is judged by the argument checks, not here).
///
/// ```
/// use cfcp::layer0::breadth::broad_reason;
/// assert!(broad_reason("true").is_some());
/// assert!(broad_reason(r#"(ip.src.country eq "US")"#).is_some());
/// assert!(broad_reason("(ip.src in {10.0.0.0/8})").is_some());
/// assert!(broad_reason(r#"(ip.src eq 192.0.2.15 and http.request.uri.path eq "/healthz")"#).is_none());
/// ```
pub fn broad_reason(expression: &str) -> Option<String> {
    let filter = parse_filter(expression).ok()?;
    breadth(filter.expr()).err()
}

/// `Ok(())` when the condition is narrow, `Err(reason)` when it is broad.
fn breadth(e: &Expr) -> Result<(), String> {
    match e {
        Expr::And(parts) => {
            let mut first = None;
            for part in parts {
                match breadth(part) {
                    Ok(()) => return Ok(()),
                    Err(r) => {
                        first.get_or_insert(r);
                    }
                }
            }
            Err(first.unwrap_or_else(|| "an empty condition".into()))
        }
        Expr::Or(parts) | Expr::Xor(parts) => parts.iter().try_for_each(breadth),
        Expr::Not(..) => Err("a negated condition matches everything it does not name".into()),
        Expr::Value(Value::Literal(Literal::Bool(true), _)) => {
            Err("`true` matches every request".into())
        }
        Expr::Value(Value::Literal(..)) => Ok(()),
        Expr::Value(Value::Field { name, .. }) if name == "ssl" => {
            Err("`ssl` matches all HTTPS traffic".into())
        }
        Expr::Value(Value::Field { .. }) => Ok(()),
        Expr::Value(Value::Call { name, args, .. }) => call_breadth(name, args),
        Expr::Compare(c) => {
            let field = match &c.lhs {
                Value::Field { name, .. } => name.as_str(),
                Value::Call { name, args, .. } => {
                    // `lower(http.host) eq "x"` pins as much as the field inside would.
                    return match args.first() {
                        Some(Expr::Value(Value::Field { name: inner, .. })) => {
                            compare_breadth(inner, c.op, &c.rhs.value)
                        }
                        _ => call_breadth(name, args),
                    };
                }
                Value::Literal(..) => return Ok(()),
            };
            compare_breadth(field, c.op, &c.rhs.value)
        }
    }
}

fn call_breadth(name: &str, args: &[Expr]) -> Result<(), String> {
    let literal = args.iter().find_map(|a| match a {
        Expr::Value(Value::Literal(Literal::String(s), _)) => Some(s.as_str()),
        _ => None,
    });
    match (name, literal) {
        ("starts_with", Some(prefix)) if prefix.len() <= 1 => {
            Err(format!("starts_with(…, {prefix:?}) matches any path"))
        }
        ("ends_with", Some("")) => Err("ends_with(…, \"\") matches everything".into()),
        _ => Ok(()),
    }
}

fn compare_breadth(field: &str, op: CmpOp, rhs: &Rhs) -> Result<(), String> {
    if op == CmpOp::Ne {
        return Err(format!("`{field} ne …` matches everything but one value"));
    }
    if field == "ip.src" {
        return match rhs {
            Rhs::Set(items) => items.iter().try_for_each(|item| match &item.value {
                SetItem::Cidr(addr, len)
                    if (addr.is_ipv4() && *len <= 8) || (addr.is_ipv6() && *len <= 32) =>
                {
                    Err(format!("{addr}/{len} is a network of /8 or larger"))
                }
                _ => Ok(()),
            }),
            _ => Ok(()),
        };
    }
    if field.starts_with("ip.src.country")
        || field.starts_with("ip.src.continent")
        || field.starts_with("ip.geoip.country")
        || field.starts_with("ip.geoip.continent")
        || field.starts_with("ip.src.subdivision")
    {
        return Err(format!("`{field}` matches a whole country or region"));
    }
    if matches!(
        field,
        "http.request.uri.path"
            | "http.request.uri"
            | "http.request.full_uri"
            | "raw.http.request.uri.path"
    ) {
        let pattern = match rhs {
            Rhs::String(s) | Rhs::Regex(s) => s.as_str(),
            _ => return Ok(()),
        };
        let any_path = match op {
            CmpOp::Eq => pattern.is_empty(),
            CmpOp::Contains => pattern.is_empty() || pattern == "/",
            CmpOp::Wildcard | CmpOp::StrictWildcard => {
                pattern.trim_start_matches('/').chars().all(|c| c == '*')
            }
            CmpOp::Matches => matches!(pattern, "" | ".*" | "^/" | "^/.*" | "/" | ".+" | "^.*$"),
            _ => false,
        };
        return if any_path {
            Err(format!(
                "`{field} {} {pattern:?}` matches any path",
                op.as_str()
            ))
        } else {
            Ok(())
        };
    }
    if client_controlled(field) {
        return Err(format!(
            "`{field}` is chosen by the client: anyone can match it"
        ));
    }
    if matches!(op, CmpOp::Lt | CmpOp::Le)
        && (field.contains("score") || field == "cf.threat_score")
    {
        return Err(format!("`{field}` below a threshold matches most traffic"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::broad_reason;

    #[test]
    fn broad_conditions_say_why() {
        for (expr, why) in [
            ("true", "every request"),
            ("(ip.src in {0.0.0.0/0})", "/8 or larger"),
            ("(ip.src in {10.0.0.0/8})", "/8 or larger"),
            (r#"(ip.src.country eq "DE")"#, "country"),
            (r#"(http.request.uri.path wildcard "/*")"#, "any path"),
            (r#"(http.user_agent contains "UptimeRobot")"#, "client"),
            ("not (ip.src in {192.0.2.0/24})", "negated"),
            (
                r#"(ip.src eq 192.0.2.1) or (ip.src.country in {"FR" "IT"})"#,
                "country",
            ),
        ] {
            let reason = broad_reason(expr).unwrap_or_else(|| panic!("{expr} should be broad"));
            assert!(reason.contains(why), "{expr}: {reason}");
        }
    }

    #[test]
    fn narrow_conditions_pass() {
        for expr in [
            r#"(ip.src eq 192.0.2.15 and http.request.uri.path eq "/healthz")"#,
            "(ip.src in {10.1.0.0/16 192.0.2.7})",
            r#"(http.request.uri.path eq "/api/webhook")"#,
            r#"(ip.src.country eq "US" and http.request.uri.path eq "/status")"#,
            "(ip.src in $office_ips)",
            r#"(http.host eq "status.example.com")"#,
            "not a valid expression ((",
        ] {
            assert_eq!(broad_reason(expr), None, "{expr}");
        }
    }
}
