//! Snapshot → Terraform state (format version 4, provider v5 resource types): the inverse of the
//! loader, so a test (and `cfcp drift`) can check that the same account reads back the same.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use super::origin_request::{rename_keys, to_snake};
use crate::snapshot::{Snapshot, ZoneSnapshot};

/// The provider address written for every resource.
const PROVIDER: &str = "provider[\"registry.terraform.io/cloudflare/cloudflare\"]";

/// A Terraform state (version 4) describing the snapshot with provider v5 resources:
/// `cloudflare_zone`, one `cloudflare_zone_setting` per setting, `cloudflare_dns_record`,
/// `cloudflare_zone_dnssec`, `cloudflare_ruleset`, `cloudflare_bot_management`, `cloudflare_list`
/// (with `items`), `cloudflare_zero_trust_tunnel_cloudflared` and its `_config`.
///
/// Resource names come from the items (`acme_shop_com_www_cname`), made unique per type with a
/// numeric suffix; the same snapshot always gives the same names. Live-only state (tunnel
/// connections) and the account objects themselves are not written.
///
/// ```
/// let demo = cfcp::snapshot::demo();
/// let state = cfcp::terraform::to_state(&demo);
/// assert_eq!(state["version"], 4);
/// let back = cfcp::terraform::load_json(state.to_string().as_bytes(), "demo").unwrap();
/// assert_eq!(back.snapshot.stats().dns_records, demo.stats().dns_records);
/// ```
pub fn to_state(snapshot: &Snapshot) -> Value {
    let mut w = Writer::default();
    for zone in &snapshot.zones {
        write_zone(&mut w, zone);
    }
    for account in &snapshot.accounts {
        let account_id = &account.account.id;
        if let Some(Value::Array(rulesets)) = account.extra.get("rulesets") {
            for ruleset in rulesets {
                let phase = ruleset
                    .get("phase")
                    .and_then(Value::as_str)
                    .unwrap_or("ruleset");
                let mut attrs = object(ruleset);
                attrs.insert("account_id".to_owned(), json!(account_id));
                w.push("cloudflare_ruleset", &format!("account_{phase}"), attrs);
            }
        }
        for list in &account.lists {
            let mut attrs = object(&list.list);
            attrs.insert("account_id".to_owned(), json!(account_id));
            attrs.insert("items".to_owned(), to_value(&list.items));
            let name = list.list.name.as_deref().unwrap_or(&list.list.id);
            w.push("cloudflare_list", name, attrs);
        }
        for tunnel in &account.tunnels {
            let name = tunnel
                .tunnel
                .name
                .as_deref()
                .unwrap_or(&tunnel.tunnel.id)
                .to_owned();
            let mut attrs = object(&tunnel.tunnel);
            attrs.insert("account_id".to_owned(), json!(account_id));
            w.push("cloudflare_zero_trust_tunnel_cloudflared", &name, attrs);
            if let Some(configuration) = &tunnel.configuration {
                let mut attrs = object(configuration);
                attrs.insert("account_id".to_owned(), json!(account_id));
                attrs.insert("tunnel_id".to_owned(), json!(tunnel.tunnel.id));
                if let Some(config) = attrs.remove("config") {
                    attrs.insert("config".to_owned(), provider_tunnel_config(config));
                }
                w.push(
                    "cloudflare_zero_trust_tunnel_cloudflared_config",
                    &name,
                    attrs,
                );
            }
        }
    }
    json!({
        "version": 4,
        "terraform_version": "1.9.0",
        "serial": 1,
        "lineage": "cfcp-to-state",
        "outputs": {},
        "resources": w.resources,
    })
}

fn write_zone(w: &mut Writer, zone: &ZoneSnapshot) {
    let zone_id = &zone.zone.id;
    let zone_name = &zone.zone.name;
    // A zone named by its id is one Terraform did not describe (see the loader): writing it
    // would give its records a zone name to complete theirs with.
    if zone.zone.name != zone.zone.id {
        w.push("cloudflare_zone", zone_name, object(&zone.zone));
    }
    for setting in &zone.settings {
        let mut attrs = object(setting);
        attrs.insert("zone_id".to_owned(), json!(zone_id));
        attrs.insert("setting_id".to_owned(), json!(setting.id));
        w.push(
            "cloudflare_zone_setting",
            &format!("{zone_name}_{}", setting.id),
            attrs,
        );
    }
    for record in &zone.dns_records {
        let mut attrs = object(record);
        attrs.insert("zone_id".to_owned(), json!(zone_id));
        let label = relative(&record.name, zone_name);
        w.push(
            "cloudflare_dns_record",
            &format!("{zone_name}_{label}_{}", record.record_type),
            attrs,
        );
    }
    if let Some(dnssec) = &zone.dnssec {
        let mut attrs = object(dnssec);
        attrs.insert("zone_id".to_owned(), json!(zone_id));
        w.push("cloudflare_zone_dnssec", zone_name, attrs);
    }
    for ruleset in &zone.rulesets {
        let mut attrs = object(ruleset);
        attrs.insert("zone_id".to_owned(), json!(zone_id));
        let phase = ruleset.phase.get().map(|p| p.to_string());
        w.push(
            "cloudflare_ruleset",
            &format!("{zone_name}_{}", phase.as_deref().unwrap_or("ruleset")),
            attrs,
        );
    }
    if let Some(bot) = &zone.bot_management {
        let mut attrs = object(bot);
        attrs.insert("zone_id".to_owned(), json!(zone_id));
        w.push("cloudflare_bot_management", zone_name, attrs);
    }
}

/// `www` for `www.example.com` in `example.com`, `apex` for the zone itself.
fn relative<'a>(name: &'a str, zone: &str) -> &'a str {
    if name.eq_ignore_ascii_case(zone) {
        return "apex";
    }
    match name.len().checked_sub(zone.len() + 1) {
        Some(cut)
            if name.is_char_boundary(cut)
                && name[cut..].starts_with('.')
                && name[cut + 1..].eq_ignore_ascii_case(zone) =>
        {
            &name[..cut]
        }
        _ => name,
    }
}

/// The API's tunnel `config` in the provider's v5 shape (`origin_request`, `warp_routing`).
fn provider_tunnel_config(config: Value) -> Value {
    let Value::Object(c) = config else {
        return config;
    };
    let mut out = Map::new();
    for (key, value) in c {
        match key.as_str() {
            "ingress" => {
                let rules = match value {
                    Value::Array(rules) => rules
                        .into_iter()
                        .map(|rule| match rule {
                            Value::Object(r) => Value::Object(
                                r.into_iter()
                                    .map(|(k, v)| match k.as_str() {
                                        "originRequest" => {
                                            ("origin_request".to_owned(), rename_keys(v, to_snake))
                                        }
                                        _ => (k, v),
                                    })
                                    .collect(),
                            ),
                            other => other,
                        })
                        .collect(),
                    other => vec![other],
                };
                out.insert("ingress".to_owned(), Value::Array(rules));
            }
            "originRequest" => {
                out.insert("origin_request".to_owned(), rename_keys(value, to_snake));
            }
            "warp-routing" => {
                out.insert("warp_routing".to_owned(), value);
            }
            _ => {
                out.insert(key, value);
            }
        }
    }
    Value::Object(out)
}

fn to_value<T: serde::Serialize>(item: &T) -> Value {
    // The snapshot types serialize to JSON objects with string keys: this cannot fail.
    serde_json::to_value(item).unwrap_or(Value::Null)
}

fn object<T: serde::Serialize>(item: &T) -> Map<String, Value> {
    match to_value(item) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[derive(Default)]
struct Writer {
    resources: Vec<Value>,
    used: HashMap<&'static str, HashSet<String>>,
}

impl Writer {
    fn push(&mut self, resource_type: &'static str, wanted: &str, attributes: Map<String, Value>) {
        let used = self.used.entry(resource_type).or_default();
        let base = resource_name(wanted);
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        used.insert(name.clone());
        self.resources.push(json!({
            "mode": "managed",
            "type": resource_type,
            "name": name,
            "provider": PROVIDER,
            "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}],
        }));
    }
}

/// A valid Terraform name: lower-case letters, digits, `_`, starting with a letter or `_`.
fn resource_name(wanted: &str) -> String {
    let mut out = String::with_capacity(wanted.len() + 1);
    for c in wanted.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    match out.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => out,
        Some(_) => format!("_{out}"),
        None => "_".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_identifiers() {
        assert_eq!(
            resource_name("acme-shop.com_www_CNAME"),
            "acme_shop_com_www_cname"
        );
        assert_eq!(resource_name("0rtt"), "_0rtt");
        assert_eq!(resource_name("*.a"), "a");
        assert_eq!(resource_name("..."), "_");
    }

    #[test]
    fn record_labels_are_relative_to_the_zone() {
        assert_eq!(relative("www.example.com", "example.com"), "www");
        assert_eq!(relative("EXAMPLE.com", "example.com"), "apex");
        assert_eq!(relative("other.net", "example.com"), "other.net");
        assert_eq!(relative("xexample.com", "example.com"), "xexample.com");
    }

    #[test]
    fn names_are_unique_per_type_and_stable() {
        let mut w = Writer::default();
        for _ in 0..3 {
            w.push("cloudflare_dns_record", "a.example.com_TXT", Map::new());
        }
        w.push("cloudflare_zone", "a.example.com_TXT", Map::new());
        let names: Vec<&str> = w
            .resources
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "a_example_com_txt",
                "a_example_com_txt_2",
                "a_example_com_txt_3",
                "a_example_com_txt"
            ]
        );
    }
}
