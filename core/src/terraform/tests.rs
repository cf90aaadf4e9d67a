//! Unit tests of the Terraform loaders: one group per resource type, then the formats, the bad
//! inputs and the round trip through `to_state`.

use serde_json::{json, Value};

use super::*;
use crate::snapshot::SourceKind;

const ZONE: &str = "0da42c8d2132a9ddaf714f9e7c920711";
const ACCOUNT: &str = "f037e56e89293a057740de681ac9abbe";

/// A state v4 with these `(type, name, attributes)` resources, one instance each.
fn state(resources: &[(&str, &str, Value)]) -> Vec<u8> {
    let resources: Vec<Value> = resources
        .iter()
        .map(|(t, n, a)| {
            json!({"mode": "managed", "type": t, "name": n,
                   "provider": "provider[\"registry.terraform.io/cloudflare/cloudflare\"]",
                   "instances": [{"schema_version": 0, "attributes": a}]})
        })
        .collect();
    serde_json::to_vec(
        &json!({"version": 4, "terraform_version": "1.9.5", "serial": 3,
        "lineage": "l", "outputs": {}, "resources": resources}),
    )
    .unwrap()
}

fn load(resources: &[(&str, &str, Value)]) -> Desired {
    load_json(&state(resources), "test.tfstate").expect("loads")
}

fn zone_resource() -> (&'static str, &'static str, Value) {
    (
        "cloudflare_zone",
        "main",
        json!({"id": ZONE, "name": "example.com", "account": {"id": ACCOUNT}, "type": "full",
               "paused": false, "status": "active", "name_servers": ["a.ns.cloudflare.com"]}),
    )
}

fn gap_reason<'a>(
    d: &'a Desired,
    zone: Option<&str>,
    account: Option<&str>,
    section: &str,
) -> Option<&'a str> {
    d.snapshot
        .gaps
        .iter()
        .find(|g| {
            g.section == section && g.zone.as_deref() == zone && g.account.as_deref() == account
        })
        .map(|g| g.reason.as_str())
}

// ---- zones -------------------------------------------------------------------------------------

#[test]
fn a_zone_resource_names_the_zone_and_its_account() {
    let d = load(&[zone_resource()]);
    assert_eq!(d.snapshot.source.kind, SourceKind::TerraformState);
    assert_eq!(d.snapshot.source.extra["terraform_version"], "1.9.5");
    let z = &d.snapshot.zones[0];
    assert_eq!(
        (z.zone.id.as_str(), z.zone.name.as_str()),
        (ZONE, "example.com")
    );
    assert_eq!(z.zone.account.get().unwrap().id.as_deref(), Some(ACCOUNT));
    assert_eq!(d.snapshot.accounts[0].account.id, ACCOUNT);
    assert_eq!(d.resources[0].item.section, "zone");
    assert_eq!(d.resources[0].import_id.as_deref(), Some(ZONE));
    for section in [
        "settings",
        "dns_records",
        "dnssec",
        "rulesets",
        "bot_management",
    ] {
        let reason = gap_reason(&d, Some("example.com"), None, section).unwrap();
        assert!(
            reason.starts_with("not managed by Terraform (no cloudflare_"),
            "{reason}"
        );
    }
    assert!(gap_reason(&d, None, Some(ACCOUNT), "lists").is_some());
    assert!(gap_reason(&d, None, Some(ACCOUNT), "tunnels").is_some());
}

#[test]
fn v4_zone_attributes_become_the_api_shape() {
    let d = load(&[(
        "cloudflare_zone",
        "z",
        json!({"id": ZONE, "zone": "example.org", "account_id": ACCOUNT, "plan": "pro", "jump_start": false}),
    )]);
    let z = &d.snapshot.zones[0].zone;
    assert_eq!(z.name, "example.org");
    assert_eq!(z.plan.get().unwrap()["legacy_id"], "pro");
    assert_eq!(z.account.get().unwrap().id.as_deref(), Some(ACCOUNT));
    assert!(!z.extra.contains_key("jump_start") && !z.extra.contains_key("account_id"));
}

#[test]
fn without_a_zone_resource_the_zone_is_named_by_its_id_and_a_note_says_so() {
    let d = load(&[(
        "cloudflare_zone_setting",
        "ssl",
        json!({"id": "ssl", "zone_id": ZONE, "setting_id": "ssl", "value": "strict"}),
    )]);
    assert_eq!(d.snapshot.zones[0].zone.name, ZONE);
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains(ZONE) && n.contains("named by its id")),
        "{:?}",
        d.notes
    );
    assert!(gap_reason(&d, Some(ZONE), None, "dns_records").is_some());
    assert!(gap_reason(&d, Some(ZONE), None, "settings").is_none());
}

// ---- settings ----------------------------------------------------------------------------------

#[test]
fn zone_settings_keep_their_values_and_types() {
    let d = load(&[
        (
            "cloudflare_zone_setting",
            "ssl",
            json!({"id": "ssl", "zone_id": ZONE, "setting_id": "ssl", "value": "strict", "editable": true}),
        ),
        (
            "cloudflare_zone_setting",
            "ttl",
            json!({"zone_id": ZONE, "setting_id": "browser_cache_ttl", "value": {"type": "number", "value": 14400}}),
        ),
        (
            "cloudflare_zone_setting",
            "hsts",
            json!({"zone_id": ZONE, "setting_id": "security_header",
            "value": {"strict_transport_security": {"enabled": true, "max_age": 86400}}}),
        ),
    ]);
    let z = &d.snapshot.zones[0];
    assert_eq!(z.setting_str("ssl"), Some("strict"));
    assert_eq!(z.setting("ssl").unwrap().editable.copied(), Some(true));
    assert_eq!(z.setting("browser_cache_ttl").unwrap().value, json!(14400));
    assert_eq!(
        z.setting("security_header").unwrap().value["strict_transport_security"]["max_age"],
        86400
    );
    assert_eq!(
        d.resources[1].import_id.as_deref(),
        Some(format!("{ZONE}/browser_cache_ttl").as_str())
    );
}

#[test]
fn a_setting_set_twice_keeps_the_last_and_says_so() {
    let d = load(&[
        (
            "cloudflare_zone_setting",
            "a",
            json!({"zone_id": ZONE, "setting_id": "always_online", "value": "off"}),
        ),
        (
            "cloudflare_zone_setting",
            "b",
            json!({"zone_id": ZONE, "setting_id": "always_online", "value": "on"}),
        ),
    ]);
    let z = &d.snapshot.zones[0];
    assert_eq!(z.settings.len(), 1);
    assert_eq!(z.setting_str("always_online"), Some("on"));
    assert!(d.notes.iter().any(
        |n| n.contains("cloudflare_zone_setting.a") && n.contains("cloudflare_zone_setting.b")
    ));
    assert_eq!(d.resources.len(), 2, "both resources still name the item");
}

#[test]
fn v4_zone_settings_override_expands_into_one_setting_per_attribute() {
    let d = load(&[(
        "cloudflare_zone_settings_override",
        "all",
        json!({"id": ZONE, "zone_id": ZONE, "settings": [{
            "ssl": "full", "min_tls_version": "1.2", "browser_cache_ttl": 14400, "zero_rtt": "on",
            "polish": "", "mobile_redirect": [], "webp": null,
            "minify": [{"css": "on", "html": "off", "js": "on"}],
            "security_header": [{"enabled": true, "max_age": 31536000, "include_subdomains": true, "preload": false, "nosniff": true}]
        }]}),
    )]);
    let z = &d.snapshot.zones[0];
    let ids: Vec<&str> = z.settings.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "ssl",
            "min_tls_version",
            "browser_cache_ttl",
            "0rtt",
            "minify",
            "security_header"
        ]
    );
    assert_eq!(
        z.setting("minify").unwrap().value,
        json!({"css": "on", "html": "off", "js": "on"})
    );
    assert_eq!(
        z.setting("security_header").unwrap().value["strict_transport_security"]["max_age"],
        31536000
    );
    assert!(d
        .resources
        .iter()
        .all(|r| r.address == "cloudflare_zone_settings_override.all"));
    assert_eq!(d.resources.len(), 6);
}

// ---- DNS ---------------------------------------------------------------------------------------

#[test]
fn v5_records_map_to_the_api_shape_with_whole_names() {
    let d = load(&[
        zone_resource(),
        (
            "cloudflare_dns_record",
            "caa",
            json!({"id": "caa1", "zone_id": ZONE, "name": "@", "type": "CAA", "ttl": 1,
            "content": "0 issue letsencrypt.org", "comment": null, "proxied": null,
            "data": {"flags": {"type": "string", "value": "0"}, "tag": "issue", "value": "letsencrypt.org"}}),
        ),
        (
            "cloudflare_dns_record",
            "www",
            json!({"id": "www1", "zone_id": ZONE, "name": "www", "type": "CNAME",
            "content": "example.com", "proxied": true, "ttl": 1, "tags": ["env:prod"]}),
        ),
        (
            "cloudflare_dns_record",
            "new",
            json!({"zone_id": ZONE, "name": "api.example.com", "type": "A", "content": "192.0.2.7"}),
        ),
    ]);
    let records = &d.snapshot.zones[0].dns_records;
    assert_eq!(records[0].name, "example.com");
    assert_eq!(
        records[0].data.get().unwrap().to_value(),
        json!({"flags": 0, "tag": "issue", "value": "letsencrypt.org"})
    );
    assert!(records[0].comment.is_absent(), "null means unset");
    assert_eq!(records[1].name, "www.example.com");
    assert!(records[1].is_proxied());
    assert_eq!(records[1].tags.get().unwrap(), &["env:prod".to_owned()]);
    let refs: Vec<(&str, Option<&str>)> = d.resources[1..]
        .iter()
        .map(|r| (r.item.key.as_str(), r.import_id.as_deref()))
        .collect();
    assert_eq!(refs[0], ("caa1", Some(format!("{ZONE}/caa1").as_str())));
    assert_eq!(
        refs[2],
        ("A api.example.com 192.0.2.7", None),
        "no id yet: keyed by content"
    );
}

#[test]
fn v4_records_rename_value_and_unwrap_the_data_block() {
    let d = load(&[
        (
            "cloudflare_record",
            "mx",
            json!({"id": "r1", "zone_id": ZONE, "name": "@", "hostname": "example.net",
            "type": "MX", "value": "mail.example.net", "priority": 10, "ttl": 3600, "allow_overwrite": false, "data": []}),
        ),
        (
            "cloudflare_record",
            "srv",
            json!({"id": "r2", "zone_id": ZONE, "name": "_sip._tcp", "hostname": "_sip._tcp.example.net",
            "type": "SRV", "data": [{"priority": 5, "weight": 10, "port": 5060, "target": "sip.example.net"}]}),
        ),
    ]);
    let records = &d.snapshot.zones[0].dns_records;
    assert_eq!(
        records[0].name, "example.net",
        "the v4 hostname is the whole name"
    );
    assert_eq!(records[0].content_str(), "mail.example.net");
    assert_eq!(records[0].priority.copied(), Some(10));
    assert!(records[0].data.is_absent());
    assert!(records[0].extra.get("allow_overwrite").is_none());
    assert_eq!(records[1].data.get().unwrap().to_value()["port"], 5060);
    assert_eq!(d.resources[0].resource_type, "cloudflare_record");
}

#[test]
fn a_record_with_a_value_of_the_wrong_type_is_an_error_naming_the_attribute() {
    let err = load_json(
        &state(&[(
            "cloudflare_dns_record",
            "bad",
            json!({"zone_id": ZONE, "name": "a", "type": "A", "ttl": "auto"}),
        )]),
        "s",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("Terraform state: cloudflare_dns_record.bad.ttl:"),
        "{err}"
    );
}

#[test]
fn a_record_without_its_zone_is_skipped_and_listed() {
    let d = load(&[(
        "cloudflare_dns_record",
        "orphan",
        json!({"name": "a", "type": "A", "content": "192.0.2.1"}),
    )]);
    assert!(d.snapshot.zones.is_empty());
    assert_eq!(d.unevaluated[0].address, "cloudflare_dns_record.orphan");
    assert_eq!(d.unevaluated[0].attribute, "zone_id");
    assert!(
        d.unevaluated[0].why.contains("skipped"),
        "{}",
        d.unevaluated[0].why
    );
}

// ---- DNSSEC, bots ------------------------------------------------------------------------------

#[test]
fn dnssec_and_bot_management_are_the_zone_singletons() {
    let d = load(&[
        (
            "cloudflare_zone_dnssec",
            "d",
            json!({"id": ZONE, "zone_id": ZONE, "status": "active", "algorithm": "13", "key_tag": 2371}),
        ),
        (
            "cloudflare_bot_management",
            "b",
            json!({"id": ZONE, "zone_id": ZONE, "fight_mode": true, "enable_js": false,
            "sbfm_definitely_automated": "block", "ai_bots_protection": "block"}),
        ),
    ]);
    let z = &d.snapshot.zones[0];
    assert_eq!(
        z.dnssec.as_ref().unwrap().status.get().unwrap().as_str(),
        "active"
    );
    assert_eq!(z.dnssec.as_ref().unwrap().extra["key_tag"], 2371);
    let bot = z.bot_management.as_ref().unwrap();
    assert_eq!(
        (bot.fight_mode.copied(), bot.enable_js.copied()),
        (Some(true), Some(false))
    );
    assert_eq!(bot.extra["sbfm_definitely_automated"], "block");
    assert!(!bot.extra.contains_key("zone_id") && !bot.extra.contains_key("id"));
}

// ---- rulesets ----------------------------------------------------------------------------------

#[test]
fn zone_rulesets_keep_rules_refs_parameters_and_rate_limits() {
    let d = load(&[(
        "cloudflare_ruleset",
        "rl",
        json!({"id": "rs1", "zone_id": ZONE, "kind": "zone", "phase": "http_ratelimit", "name": "default",
            "rules": [{"id": "r1", "ref": "login_rl", "action": "block", "expression": "http.request.uri.path eq \"/login\"",
                "enabled": true, "action_parameters": null,
                "ratelimit": {"characteristics": ["ip.src", "cf.colo.id"], "period": 60, "requests_per_period": 10, "mitigation_timeout": 600}}]}),
    )]);
    let rs = &d.snapshot.zones[0].rulesets[0];
    let rule = &rs.rules[0];
    assert_eq!(rule.reference.as_deref(), Some("login_rl"));
    assert_eq!(rule.ratelimit.get().unwrap()["requests_per_period"], 10);
    assert!(rule.action_parameters.is_absent());
    assert_eq!(d.resources[0].item.key, "http_ratelimit");
    assert_eq!(
        d.resources[0].import_id.as_deref(),
        Some(format!("zones/{ZONE}/rs1").as_str())
    );
}

#[test]
fn account_rulesets_are_kept_on_the_account() {
    let d = load(&[(
        "cloudflare_ruleset",
        "acct",
        json!({"id": "rs9", "account_id": ACCOUNT, "kind": "root", "phase": "http_request_firewall_custom", "rules": []}),
    )]);
    assert!(d.snapshot.zones.is_empty());
    assert_eq!(d.snapshot.accounts[0].extra["rulesets"][0]["id"], "rs9");
    assert_eq!(d.resources[0].item.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(
        d.resources[0].import_id.as_deref(),
        Some(format!("accounts/{ACCOUNT}/rs9").as_str())
    );
}

#[test]
fn v4_rules_lose_their_block_lists() {
    let d = load(&[(
        "cloudflare_ruleset",
        "v4",
        json!({"id": "rs2", "zone_id": ZONE, "kind": "zone", "phase": "http_request_late_transform", "rules": [
            {"action": "rewrite", "expression": "true", "enabled": true,
             "action_parameters": [{"headers": [{"name": "X-A", "operation": "set", "value": "1"}, {"name": "X-B", "operation": "remove"}]}]},
            {"action": "skip", "expression": "true", "logging": [{"enabled": true}],
             "action_parameters": [{"rules": {"efb7": "r1,r2"}, "phases": ["http_ratelimit"]}]},
            {"action": "execute", "expression": "true",
             "action_parameters": [{"id": "efb7", "overrides": [{"rules": [{"id": "x", "enabled": false}], "categories": []}]}]}]}),
    )]);
    let rules = &d.snapshot.zones[0].rulesets[0].rules;
    assert_eq!(
        rules[0].action_parameters.get().unwrap()["headers"]["X-A"],
        json!({"operation": "set", "value": "1"})
    );
    assert_eq!(
        rules[1].action_parameters.get().unwrap()["rules"]["efb7"],
        json!(["r1", "r2"])
    );
    assert_eq!(
        rules[1].action_parameters.get().unwrap()["phases"],
        json!(["http_ratelimit"])
    );
    assert_eq!(rules[1].extra["logging"], json!({"enabled": true}));
    assert_eq!(
        rules[2].action_parameters.get().unwrap()["overrides"]["rules"][0]["id"],
        "x"
    );
}

// ---- lists -------------------------------------------------------------------------------------

#[test]
fn v5_lists_carry_their_items() {
    let d = load(&[(
        "cloudflare_list",
        "block",
        json!({"id": "l1", "account_id": ACCOUNT, "name": "blocklist", "kind": "ip", "num_items": 2,
            "items": [{"ip": "192.0.2.1", "comment": "a"}, {"ip": "198.51.100.0/24", "comment": null}]}),
    )]);
    let list = &d.snapshot.accounts[0].lists[0];
    assert_eq!(list.list.name.as_deref(), Some("blocklist"));
    assert_eq!(list.items.len(), 2);
    assert_eq!(list.items[1].ip.as_deref(), Some("198.51.100.0/24"));
    assert!(list.items[1].comment.is_absent());
    assert!(gap_reason(&d, None, Some(ACCOUNT), "lists").is_none());
    assert_eq!(
        d.resources[0].import_id.as_deref(),
        Some(format!("{ACCOUNT}/l1").as_str())
    );
}

#[test]
fn v4_list_items_join_their_list() {
    let d = load(&[
        (
            "cloudflare_list",
            "r",
            json!({"id": "l2", "account_id": ACCOUNT, "name": "redirects", "kind": "redirect",
            "item": [{"comment": "old", "value": [{"redirect": [{"source_url": "a.com/", "target_url": "https://b.com",
                "include_subdomains": "enabled", "subpath_matching": "disabled", "status_code": 301}]}]}]}),
        ),
        (
            "cloudflare_list_item",
            "extra",
            json!({"id": "i9", "account_id": ACCOUNT, "list_id": "l2",
            "redirect": [{"source_url": "c.com/", "target_url": "https://d.com"}]}),
        ),
        (
            "cloudflare_list_item",
            "elsewhere",
            json!({"id": "i10", "account_id": ACCOUNT, "list_id": "l3", "asn": 13335}),
        ),
    ]);
    let lists = &d.snapshot.accounts[0].lists;
    let redirect = &lists[0].items[0].extra["redirect"];
    assert_eq!(redirect["include_subdomains"], true);
    assert_eq!(redirect["subpath_matching"], false);
    assert_eq!(lists[0].items[0].comment.as_deref(), Some("old"));
    assert_eq!(lists[0].items[1].extra["redirect"]["source_url"], "c.com/");
    assert_eq!(lists[1].list.id, "l3");
    assert_eq!(lists[1].items[0].asn.copied(), Some(13335));
    assert!(d.notes.iter().any(|n| n.contains("l3")), "{:?}", d.notes);
    assert_eq!(d.resources[1].item.key, "l2/i9");
}

// ---- tunnels -----------------------------------------------------------------------------------

#[test]
fn tunnels_and_their_configuration_in_api_shapes_without_secrets() {
    let d = load(&[
        (
            "cloudflare_zero_trust_tunnel_cloudflared_config",
            "c",
            json!({"account_id": ACCOUNT, "tunnel_id": "t1", "version": 3,
            "config": {"ingress": [{"hostname": "app.example.com", "service": "https://localhost:8443",
                "origin_request": {"no_tls_verify": true, "connect_timeout": 15}}, {"service": "http_status:404"}],
              "origin_request": {"access": {"required": true, "team_name": "t", "aud_tag": ["x"]}},
              "warp_routing": {"enabled": true}}}),
        ),
        (
            "cloudflare_zero_trust_tunnel_cloudflared",
            "t",
            json!({"id": "t1", "account_id": ACCOUNT, "name": "prod",
            "tunnel_secret": "c2VjcmV0", "config_src": "cloudflare", "status": "healthy"}),
        ),
    ]);
    let account = &d.snapshot.accounts[0];
    let t = &account.tunnels[0];
    assert_eq!(t.tunnel.name.as_deref(), Some("prod"));
    assert!(!t.tunnel.extra.contains_key("tunnel_secret"));
    assert!(
        !serde_json::to_string(&d).unwrap().contains("c2VjcmV0"),
        "the secret never reaches the snapshot"
    );
    let ingress = t.ingress();
    assert_eq!(ingress.len(), 2);
    assert_eq!(
        ingress[0].extra["originRequest"],
        json!({"noTLSVerify": true, "connectTimeout": 15})
    );
    assert!(ingress[1].is_catch_all());
    let config = t.configuration.as_ref().unwrap().config.get().unwrap();
    assert_eq!(
        config.extra["originRequest"]["access"],
        json!({"required": true, "teamName": "t", "audTag": ["x"]})
    );
    assert_eq!(config.extra["warp-routing"], json!({"enabled": true}));
    assert!(gap_reason(&d, None, Some(ACCOUNT), "tunnel_connections").is_some());
    assert!(gap_reason(&d, None, Some(ACCOUNT), "tunnels").is_none());
}

#[test]
fn v4_tunnel_config_blocks_and_a_config_without_its_tunnel() {
    let d = load(&[(
        "cloudflare_tunnel_config",
        "c",
        json!({"id": "t2", "account_id": ACCOUNT, "tunnel_id": "t2", "config": [{
            "ingress_rule": [{"hostname": "a.example.com", "service": "http://10.0.0.1", "origin_request": [{"no_tls_verify": false}]},
                             {"service": "http_status:404"}],
            "warp_routing": [{"enabled": false}]}]}),
    )]);
    let t = &d.snapshot.accounts[0].tunnels[0];
    assert_eq!(t.tunnel.id, "t2");
    assert_eq!(t.ingress()[0].hostname.as_deref(), Some("a.example.com"));
    assert_eq!(
        t.ingress()[0].extra["originRequest"],
        json!({"noTLSVerify": false})
    );
    assert!(d
        .notes
        .iter()
        .any(|n| n.contains("t2") && n.contains("not itself a tunnel")));
}

// ---- what is not mapped ------------------------------------------------------------------------

#[test]
fn unknown_types_other_providers_and_data_sources_are_listed_or_counted() {
    let mut doc: Value = serde_json::from_slice(&state(&[
        ("cloudflare_access_application", "app", json!({"id": "a"})),
        ("aws_instance", "web", json!({"id": "i-1"})),
    ]))
    .unwrap();
    doc["resources"][1]["provider"] = json!("provider[\"registry.terraform.io/hashicorp/aws\"]");
    doc["resources"].as_array_mut().unwrap().push(
        json!({"mode": "data", "type": "cloudflare_zone", "name": "z",
        "instances": [{"attributes": {"id": ZONE}}]}),
    );
    let d = load_json(&serde_json::to_vec(&doc).unwrap(), "s").unwrap();
    assert_eq!(d.unknown_resources.len(), 2);
    assert_eq!(
        d.unknown_resources[0].why,
        "resource type not mapped by cfcp"
    );
    assert_eq!(
        d.unknown_resources[1].why,
        "not a Cloudflare resource (provider registry.terraform.io/hashicorp/aws)"
    );
    assert_eq!(d.data_sources_skipped, 1);
    assert!(d.snapshot.zones.is_empty() && d.resources.is_empty());
}

#[test]
fn module_addresses_and_index_keys_are_kept() {
    let doc = json!({"version": 4, "resources": [
        {"module": "module.dns", "mode": "managed", "type": "cloudflare_dns_record", "name": "r", "each": "map",
         "instances": [{"index_key": "www", "attributes": {"id": "1", "zone_id": ZONE, "name": "www.x.com", "type": "A", "content": "192.0.2.1"}},
                       {"index_key": 3, "attributes": {"id": "2", "zone_id": ZONE, "name": "b.x.com", "type": "A", "content": "192.0.2.2"}}]}]});
    let d = load_json(&serde_json::to_vec(&doc).unwrap(), "s").unwrap();
    let addresses: Vec<&str> = d.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(
        addresses,
        [
            "module.dns.cloudflare_dns_record.r[\"www\"]",
            "module.dns.cloudflare_dns_record.r[3]"
        ]
    );
}

// ---- formats -----------------------------------------------------------------------------------

#[test]
fn terraform_show_json_of_a_state_reads_child_modules() {
    let doc = json!({"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {
        "resources": [{"address": "cloudflare_zone_setting.ssl", "mode": "managed", "type": "cloudflare_zone_setting", "name": "ssl",
            "provider_name": "registry.terraform.io/cloudflare/cloudflare", "values": {"zone_id": ZONE, "setting_id": "ssl", "value": "full"}}],
        "child_modules": [{"address": "module.edge", "resources": [
            {"address": "module.edge.cloudflare_bot_management.b", "mode": "managed", "type": "cloudflare_bot_management", "name": "b",
             "values": {"zone_id": ZONE, "fight_mode": true}},
            {"address": "module.edge.data.cloudflare_zone.z", "mode": "data", "type": "cloudflare_zone", "name": "z", "values": {}}],
          "child_modules": [{"address": "module.edge.module.deep", "resources": [
            {"address": "module.edge.module.deep.cloudflare_zone_dnssec.d", "mode": "managed", "type": "cloudflare_zone_dnssec", "name": "d",
             "values": {"zone_id": ZONE, "status": "active"}}]}]}]}}});
    let d = load_json(&serde_json::to_vec(&doc).unwrap(), "show.json").unwrap();
    assert_eq!(d.snapshot.source.kind, SourceKind::TerraformState);
    let z = &d.snapshot.zones[0];
    assert_eq!(z.setting_str("ssl"), Some("full"));
    assert!(z.bot_management.is_some() && z.dnssec.is_some());
    assert_eq!(
        d.resources[2].address,
        "module.edge.module.deep.cloudflare_zone_dnssec.d"
    );
    assert_eq!(d.data_sources_skipped, 1);
}

fn plan() -> Value {
    json!({"format_version": "1.2", "terraform_version": "1.9.0", "timestamp": "2026-11-20T10:00:00Z",
      "planned_values": {"root_module": {"resources": [
        {"address": "cloudflare_dns_record.shop", "mode": "managed", "type": "cloudflare_dns_record", "name": "shop",
         "values": {"id": "rec1", "zone_id": ZONE, "name": "shop.example.com", "type": "A", "content": "192.0.2.10", "proxied": false, "ttl": 1}},
        {"address": "cloudflare_dns_record.new", "mode": "managed", "type": "cloudflare_dns_record", "name": "new",
         "values": {"zone_id": ZONE, "name": "new.example.com", "type": "A", "content": "192.0.2.11", "proxied": true}},
        {"address": "cloudflare_dns_record.later", "mode": "managed", "type": "cloudflare_dns_record", "name": "later",
         "values": {"name": "later.example.com", "type": "CNAME", "content": "x.example.com"}},
        {"address": "cloudflare_ruleset.waf", "mode": "managed", "type": "cloudflare_ruleset", "name": "waf",
         "values": {"zone_id": ZONE, "kind": "zone", "phase": "http_request_firewall_custom",
                    "rules": [{"action": "block", "expression": "ip.src eq 192.0.2.1", "ref": "r1"}]}}]}},
      "resource_changes": [
        {"address": "cloudflare_dns_record.shop", "mode": "managed", "type": "cloudflare_dns_record", "name": "shop",
         "change": {"actions": ["update"], "before": {}, "after": {}, "after_unknown": {"modified_on": true}}},
        {"address": "cloudflare_dns_record.new", "mode": "managed", "type": "cloudflare_dns_record", "name": "new",
         "change": {"actions": ["create"], "after": {}, "after_unknown": {"id": true, "created_on": true}}},
        {"address": "cloudflare_dns_record.later", "mode": "managed", "type": "cloudflare_dns_record", "name": "later",
         "change": {"actions": ["create"], "after": {}, "after_unknown": {"zone_id": true}}},
        {"address": "cloudflare_ruleset.waf", "mode": "managed", "type": "cloudflare_ruleset", "name": "waf",
         "change": {"actions": ["delete", "create"], "after": {}, "after_unknown": {"id": true, "rules": [{"id": true}]}}},
        {"address": "cloudflare_dns_record.old", "mode": "managed", "type": "cloudflare_dns_record", "name": "old",
         "change": {"actions": ["delete"], "before": {"id": "rec0"}, "after": null}}],
      "resource_drift": [{"address": "cloudflare_dns_record.shop", "type": "cloudflare_dns_record", "name": "shop",
         "change": {"actions": ["update"]}}]})
}

#[test]
fn a_plan_becomes_its_planned_state_with_the_unknowns_listed() {
    let d = load_json(&serde_json::to_vec(&plan()).unwrap(), "plan.json").unwrap();
    assert_eq!(d.snapshot.source.kind, SourceKind::TerraformPlan);
    assert_eq!(d.snapshot.taken_at.as_str(), "2026-11-20T10:00:00Z");
    let z = &d.snapshot.zones[0];
    let names: Vec<&str> = z.dns_records.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["shop.example.com", "new.example.com"],
        "deleted and unplaceable records are not in it"
    );
    assert!(!z.dns_records[0].is_proxied());
    assert_eq!(d.planned_deletions[0].address, "cloudflare_dns_record.old");
    let unknown: Vec<(&str, &str)> = d
        .unevaluated
        .iter()
        .map(|u| (u.address.as_str(), u.attribute.as_str()))
        .collect();
    assert!(unknown.contains(&("cloudflare_dns_record.new", "id")));
    assert!(unknown.contains(&("cloudflare_ruleset.waf", "rules[0].id")));
    let later = d
        .unevaluated
        .iter()
        .find(|u| u.address == "cloudflare_dns_record.later" && u.attribute == "zone_id")
        .unwrap();
    assert!(
        later
            .why
            .starts_with("known only after apply; the resource is skipped"),
        "{}",
        later.why
    );
    assert_eq!(
        z.rulesets[0].rules[0].reference.as_deref(),
        Some("r1"),
        "replaced resources are in the plan"
    );
    assert!(d
        .notes
        .iter()
        .any(|n| n.contains("resource_drift") && n.contains("cloudflare_dns_record.shop")));
}

#[test]
fn a_plan_without_planned_values_uses_each_change_after() {
    let mut p = plan();
    p.as_object_mut().unwrap().remove("planned_values");
    p["resource_changes"][0]["change"]["after"] = json!({"id": "rec1", "zone_id": ZONE, "name": "shop.example.com", "type": "A", "content": "192.0.2.10"});
    p["resource_changes"][1]["change"]["after"] =
        json!({"zone_id": ZONE, "name": "n.example.com", "type": "A", "id": "x"});
    let d = load_json(&serde_json::to_vec(&p).unwrap(), "plan.json").unwrap();
    let records = &d.snapshot.zones[0].dns_records;
    assert_eq!(records.len(), 2);
    assert!(
        records[1].id.is_absent(),
        "a value the plan marks unknown is removed even when `after` has one"
    );
}

// ---- bad input ---------------------------------------------------------------------------------

#[test]
fn bad_inputs_are_errors_that_say_what_and_where() {
    let cases: &[(&[u8], &str)] = &[
        (br#"{"version": 3, "modules": []}"#, "state format version 3 is not supported"),
        (br#"{"version": 5, "resources": []}"#, "state format version 5 is not supported"),
        (br#"{"version": 4, "resources": [{"mode": "managed", "type": "cloudflare_zone""#, "not valid JSON at line 1"),
        (br#"[1, 2]"#, "expected a JSON object"),
        (br#"{"hello": "world"}"#, "not a Terraform state or plan"),
        (br#"{"version": 4, "resources": {}}"#, "resources: expected an array"),
        (br#"{"version": 4, "resources": [{"mode": "managed", "name": "x", "instances": []}]}"#, "resources[0].type: expected a string"),
        (br#"{"version": 4, "resources": [{"type": "cloudflare_zone", "name": "x", "instances": [{"attributes_flat": {}}]}]}"#, "Terraform 0.11"),
        (br#"{"version": 4, "resources": [{"type": "cloudflare_zone", "name": "x", "instances": [{"attributes": []}]}]}"#, "resources[0].instances[0].attributes: expected an object"),
        (br#"{"format_version": "1.2", "resource_changes": [{"type": "t", "name": "n", "change": 3}]}"#, "resource_changes[0].change: expected an object"),
    ];
    for (input, expected) in cases {
        let err = load_json(input, "x").expect_err(expected).to_string();
        assert!(
            err.contains(expected),
            "{err:?} should contain {expected:?}"
        );
    }
}

#[test]
fn empty_states_and_plans_load_as_empty_snapshots() {
    for input in [
        &br#"{"version": 4}"#[..],
        br#"{"format_version": "1.0"}"#,
        br#"{"format_version": "1.2", "resource_changes": []}"#,
    ] {
        let d = load_json(input, "x").unwrap();
        assert!(
            d.snapshot.zones.is_empty() && d.snapshot.accounts.is_empty() && d.resources.is_empty()
        );
    }
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Vec<u8> {
        let mut doc: Value = serde_json::from_slice(&super::state(&[
            zone_resource(),
            ("cloudflare_dns_record", "a", json!({"id": "1", "zone_id": ZONE, "name": "a", "type": "CAA",
                "data": {"flags": {"type": "string", "value": "0"}, "tag": "issue", "value": "x"}})),
            ("cloudflare_list", "l", json!({"id": "l", "account_id": ACCOUNT, "items": [{"ip": "192.0.2.1"}]})),
            ("cloudflare_zero_trust_tunnel_cloudflared_config", "c", json!({"account_id": ACCOUNT, "tunnel_id": "t",
                "config": {"ingress": [{"service": "http_status:404", "origin_request": {"no_tls_verify": true}}]}})),
        ]))
        .unwrap();
        doc["resources"].as_array_mut().unwrap().push(json!({"mode": "managed", "type": "cloudflare_ruleset", "name": "r",
            "instances": [{"attributes": {"zone_id": ZONE, "kind": "zone", "phase": "ddos_l7",
                "rules": [{"action": "execute", "action_parameters": [{"id": "x", "overrides": [{"rules": [{"id": "y"}]}]}]}]}}]}));
        serde_json::to_vec(&doc).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn truncated_or_mutated_states_are_loaded_or_refused_without_panicking(
            cut in 0usize..2000, at in 0usize..2000, byte in any::<u8>()
        ) {
            let mut bytes = sample();
            let len = bytes.len();
            bytes[at % len] = byte;
            bytes.truncate(cut.max(1).min(len));
            let _ = load_json(&bytes, "fuzz");
        }

        #[test]
        fn truncated_or_mutated_configurations_are_loaded_or_refused_without_panicking(
            cut in 0usize..1200, at in 0usize..1200, byte in prop::sample::select(b"{}[]()\"=.$#*?:,\n x0".to_vec())
        ) {
            let text = format!(r#"
variable "z" {{ default = "{ZONE}" }}
locals {{ n = {{ a = [1, 2] }} }}
resource "cloudflare_dns_record" "r" {{
  count   = length(local.n.a) > 1 ? 2 : 1
  zone_id = var.z
  name    = "r${{count.index}}"
  type    = "CAA"
  data {{ flags = "0" }}
}}
resource "cloudflare_zero_trust_tunnel_cloudflared_config" "c" {{
  account_id = "{ACCOUNT}"
  tunnel_id  = "t"
  config = {{ ingress = [{{ service = "http_status:404", origin_request = {{ no_tls_verify = true }} }}] }}
  dynamic "x" {{ for_each = [] }}
}}
"#);
            let mut bytes = text.into_bytes();
            let len = bytes.len();
            bytes[at % len] = byte;
            bytes.truncate(cut.max(1).min(len));
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let _ = load_hcl(&[("fuzz.tf".to_owned(), text)]);
        }

        #[test]
        fn any_value_in_any_attribute_is_loaded_or_refused_without_panicking(
            key in prop::sample::select(vec!["name", "type", "ttl", "data", "zone_id", "items", "config", "rules", "id", "value", "settings"]),
            value in prop_oneof![Just(json!(null)), Just(json!(1.5)), Just(json!("")), Just(json!([])),
                                 Just(json!({})), Just(json!([[]])), Just(json!({"type": "string", "value": 3})), Just(json!(-1))]
        ) {
            let mut doc: Value = serde_json::from_slice(&sample()).unwrap();
            for r in doc["resources"].as_array_mut().unwrap() {
                r["instances"][0]["attributes"][key] = value.clone();
            }
            let _ = load_json(&serde_json::to_vec(&doc).unwrap(), "fuzz");
        }
    }
}

// ---- to_state ----------------------------------------------------------------------------------

/// The first path where two JSON values differ.
fn first_difference(a: &Value, b: &Value, path: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let (va, vb) = (
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                );
                if let Some(d) = first_difference(va, vb, format!("{path}.{key}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(va, vb, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} != {b}")),
    }
}

/// The JSON value without `null` members (a state's `null` is "unset", which the loader drops).
fn without_nulls(v: Value) -> Value {
    super::clean::clean(v).unwrap_or(Value::Null)
}

#[test]
fn the_demo_reads_back_from_its_state_as_the_same_account() {
    let demo = crate::snapshot::demo();
    let state = to_state(&demo);
    let d = load_json(state.to_string().as_bytes(), "demo state").unwrap();
    assert!(
        d.unknown_resources.is_empty() && d.unevaluated.is_empty(),
        "{:?} {:?}",
        d.unknown_resources,
        d.unevaluated
    );
    assert_eq!(d.snapshot.zones.len(), demo.zones.len());
    for (back, original) in d.snapshot.zones.iter().zip(&demo.zones) {
        let difference = first_difference(
            &without_nulls(serde_json::to_value(back).unwrap()),
            &without_nulls(serde_json::to_value(original).unwrap()),
            original.zone.name.clone(),
        );
        assert_eq!(difference, None);
    }
    for (back, original) in d.snapshot.accounts.iter().zip(&demo.accounts) {
        assert_eq!(back.account.id, original.account.id);
        assert_eq!(
            without_nulls(serde_json::to_value(&back.lists).unwrap()),
            without_nulls(serde_json::to_value(&original.lists).unwrap())
        );
        assert_eq!(back.tunnels.len(), original.tunnels.len());
        for (t, o) in back.tunnels.iter().zip(&original.tunnels) {
            assert_eq!(
                without_nulls(serde_json::to_value(&t.tunnel).unwrap()),
                without_nulls(serde_json::to_value(&o.tunnel).unwrap())
            );
            assert_eq!(
                without_nulls(serde_json::to_value(&t.configuration).unwrap()),
                without_nulls(serde_json::to_value(&o.configuration).unwrap())
            );
        }
    }
    // Every item is named by exactly one resource, and the names are unique per type.
    let mut addresses: Vec<&str> = d.resources.iter().map(|r| r.address.as_str()).collect();
    let count = addresses.len();
    addresses.sort_unstable();
    addresses.dedup();
    assert_eq!(addresses.len(), count);
    let stats = demo.stats();
    let settings: usize = demo.zones.iter().map(|z| z.settings.len()).sum();
    assert_eq!(
        count,
        stats.zones
            + settings
            + stats.dns_records
            + stats.rulesets
            + stats.lists
            + demo.zones.iter().filter(|z| z.dnssec.is_some()).count()
            + demo
                .zones
                .iter()
                .filter(|z| z.bot_management.is_some())
                .count()
            + stats.tunnels
            + demo
                .accounts
                .iter()
                .flat_map(|a| &a.tunnels)
                .filter(|t| t.configuration.is_some())
                .count()
    );
    // Live-only state is a gap, never an empty list pretending to be the truth.
    assert!(d
        .snapshot
        .gaps
        .iter()
        .any(|g| g.section == "tunnel_connections"));
    assert_eq!(
        to_state(&demo),
        state,
        "the same snapshot gives the same state"
    );
}

#[test]
fn a_state_made_from_a_snapshot_has_no_drift_against_it() {
    let demo = crate::snapshot::demo();
    let d = load_json(to_state(&demo).to_string().as_bytes(), "demo state").unwrap();
    let drift = crate::drift::diff(&d.snapshot, &demo);
    assert!(
        drift.is_empty(),
        "{:?}",
        drift.items.iter().take(3).collect::<Vec<_>>()
    );
    // And it is not blind: one record changed in the state is one drift item.
    let mut state = to_state(&demo);
    let record = state["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["type"] == "cloudflare_dns_record")
        .unwrap();
    record["instances"][0]["attributes"]["content"] = json!("198.51.100.99");
    let d = load_json(state.to_string().as_bytes(), "edited").unwrap();
    assert_eq!(crate::drift::diff(&d.snapshot, &demo).items.len(), 1);
}

// ---- HCL ---------------------------------------------------------------------------------------

fn hcl(files: &[(&str, &str)]) -> Desired {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    load_hcl(&files).expect("loads")
}

#[test]
fn hcl_literals_variables_tfvars_and_locals_are_evaluated() {
    let d = hcl(&[
        (
            "main.tf",
            r#"
variable "zone_id" { type = string }
variable "ttl" { default = 3600 }
locals {
  full   = "${local.prefix}.example.com"
  prefix = "api"
}
resource "cloudflare_dns_record" "api" {
  zone_id = var.zone_id
  name    = local.full
  type    = "A"
  content = "192.0.2.1"
  ttl     = var.ttl
  proxied = var.ttl > 1 ? false : true
}
resource "cloudflare_zone_setting" "ssl" {
  zone_id    = var.zone_id
  setting_id = "ssl"
  value      = "strict"
}
"#,
        ),
        ("terraform.tfvars", &format!("zone_id = \"{ZONE}\"\n")),
    ]);
    assert_eq!(d.snapshot.source.kind.as_str(), "terraform-config");
    assert!(d.unevaluated.is_empty(), "{:?}", d.unevaluated);
    let z = &d.snapshot.zones[0];
    assert_eq!(z.zone.id, ZONE);
    let r = &z.dns_records[0];
    assert_eq!(
        (r.name.as_str(), r.ttl.copied(), r.proxied.copied()),
        ("api.example.com", Some(3600), Some(false))
    );
    assert_eq!(z.setting_str("ssl"), Some("strict"));
}

#[test]
fn hcl_count_and_for_each_make_instances_when_they_are_literal() {
    let d = hcl(&[(
        "main.tf",
        &format!(
            r#"
locals {{ enabled = true }}
variable "hosts" {{ default = {{ "a" = "192.0.2.1", "b" = "192.0.2.2" }} }}
resource "cloudflare_dns_record" "mx" {{
  count    = local.enabled ? 2 : 0
  zone_id  = "{ZONE}"
  name     = "@"
  type     = "MX"
  priority = (count.index + 1) * 10
  content  = "mx${{count.index}}.example.com"
}}
resource "cloudflare_dns_record" "hosts" {{
  for_each = var.hosts
  zone_id  = "{ZONE}"
  name     = each.key
  type     = "A"
  content  = each.value
}}
resource "cloudflare_dns_record" "set" {{
  for_each = toset(["x"])
  zone_id  = "{ZONE}"
  name     = each.key
  type     = "A"
}}
"#
        ),
    )]);
    let addresses: Vec<&str> = d.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(
        addresses,
        [
            "cloudflare_dns_record.mx[0]",
            "cloudflare_dns_record.mx[1]",
            "cloudflare_dns_record.hosts[\"a\"]",
            "cloudflare_dns_record.hosts[\"b\"]",
        ]
    );
    let records = &d.snapshot.zones[0].dns_records;
    assert_eq!(records[1].priority.copied(), Some(20));
    assert_eq!(records[1].content_str(), "mx1.example.com");
    assert_eq!(records[3].content_str(), "192.0.2.2");
    let skipped = &d.unevaluated[0];
    assert_eq!(
        (skipped.address.as_str(), skipped.attribute.as_str()),
        ("cloudflare_dns_record.set", "for_each")
    );
    assert!(
        skipped.why.contains("toset()") && skipped.why.contains("skipped"),
        "{}",
        skipped.why
    );
    assert_eq!(skipped.line, Some(19));
}

#[test]
fn hcl_lists_what_it_cannot_evaluate_with_file_and_line() {
    let d = hcl(&[(
        "edge.tf",
        r#"
variable "zone_id" {}
module "dns" { source = "./dns" }
data "cloudflare_zone" "z" { name = "example.com" }
resource "aws_s3_bucket" "b" { bucket = "x" }
resource "cloudflare_ruleset" "waf" {
  zone_id = "0da42c8d2132a9ddaf714f9e7c920711"
  kind    = "zone"
  phase   = "http_request_firewall_custom"
  rules = [{
    action     = "block"
    expression = "ip.src in ${join(" ", ["a"])}"
  }]
  dynamic "extra" {
    for_each = []
    content {}
  }
}
resource "cloudflare_dns_record" "r" {
  zone_id = var.zone_id
  name    = "a"
  type    = "A"
}
"#,
    )]);
    let list: Vec<(&str, &str, Option<usize>)> = d
        .unevaluated
        .iter()
        .map(|u| (u.address.as_str(), u.attribute.as_str(), u.line))
        .collect();
    assert_eq!(
        list,
        [
            ("module.dns", "*", Some(3)),
            ("cloudflare_ruleset.waf", "rules", Some(6)),
            ("cloudflare_ruleset.waf", "extra", Some(6)),
            ("cloudflare_dns_record.r", "zone_id", Some(19)),
        ]
    );
    assert!(d.unevaluated[1].why.contains("join()"));
    let why = &d.unevaluated[3].why;
    assert!(
        why.starts_with(
            "var.zone_id has no default; set it in a .tfvars file; the resource is skipped"
        ),
        "{why}"
    );
    assert_eq!(d.unevaluated[0].file.as_deref(), Some("edge.tf"));
    assert_eq!(d.data_sources_skipped, 1);
    assert_eq!(d.unknown_resources[0].address, "aws_s3_bucket.b");
    // The ruleset is loaded with what is literal.
    assert_eq!(
        d.snapshot.zones[0].rulesets[0]
            .phase
            .get()
            .unwrap()
            .as_str(),
        "http_request_firewall_custom"
    );
}

#[test]
fn hcl_v4_blocks_become_lists_like_in_a_v4_state() {
    let d = hcl(&[(
        "v4.tf",
        &format!(
            r#"
resource "cloudflare_record" "caa" {{
  zone_id = "{ZONE}"
  name    = "@"
  type    = "CAA"
  data {{
    flags = "0"
    tag   = "issue"
    value = "letsencrypt.org"
  }}
}}
resource "cloudflare_zone_settings_override" "s" {{
  zone_id = "{ZONE}"
  settings {{
    ssl = "strict"
    security_header {{
      enabled = true
      max_age = 600
    }}
  }}
}}
"#
        ),
    )]);
    let z = &d.snapshot.zones[0];
    assert_eq!(z.dns_records[0].data.get().unwrap().to_value()["flags"], 0);
    assert_eq!(z.setting_str("ssl"), Some("strict"));
    assert_eq!(
        z.setting("security_header").unwrap().value["strict_transport_security"]["max_age"],
        600
    );
}

#[test]
fn hcl_that_does_not_parse_names_file_and_line() {
    let err = load_hcl(&[(
        "bad.tf".to_owned(),
        "resource \"a\" \"b\" {\n  x = \n}\n".to_owned(),
    )])
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("Terraform configuration: bad.tf: not valid HCL"),
        "{err}"
    );
    assert!(err.contains("(line 2, column 7)"), "{err}");
}

#[test]
fn hcl_objects_made_in_the_same_configuration_are_referenced_by_name() {
    let d = hcl(&[(
        "main.tf",
        r#"
resource "cloudflare_zone" "main" {
  name    = "example.org"
  account = { id = "f037e56e89293a057740de681ac9abbe" }
}
resource "cloudflare_dns_record" "www" {
  zone_id = cloudflare_zone.main.id
  name    = "www"
  type    = "CNAME"
  content = cloudflare_zone.main.name
}
resource "cloudflare_dns_record" "ns" {
  zone_id = cloudflare_zone.main.id
  name    = "@"
  type    = "TXT"
  content = cloudflare_zone.main.name_servers[0]
}
"#,
    )]);
    let z = &d.snapshot.zones[0];
    assert_eq!(
        (z.zone.id.as_str(), z.zone.name.as_str()),
        ("example.org", "example.org")
    );
    assert!(d
        .notes
        .iter()
        .any(|n| n.contains("cloudflare_zone.main: the zone's id is not known yet")));
    assert_eq!(z.dns_records[0].name, "www.example.org");
    assert_eq!(z.dns_records[0].content_str(), "example.org");
    assert_eq!(z.dns_records[1].name, "example.org");
    let u = &d.unevaluated[0];
    assert_eq!(
        (u.address.as_str(), u.attribute.as_str()),
        ("cloudflare_dns_record.ns", "content")
    );
    assert!(
        u.why.contains("cloudflare_zone.main.name_servers"),
        "{}",
        u.why
    );
}

#[test]
fn exported_hcl_reads_back_as_the_account_it_came_from() {
    let demo = crate::snapshot::demo();
    let export = crate::export::export(&demo, &crate::export::ExportOptions::default());
    let files: Vec<(String, String)> = export
        .files
        .iter()
        .map(|f| (f.name.clone(), f.text.clone()))
        .collect();
    let d = load_hcl(&files).unwrap();
    assert!(d.unevaluated.is_empty(), "{:?}", d.unevaluated);
    assert!(d.unknown_resources.is_empty(), "{:?}", d.unknown_resources);
    // The import blocks give every resource its id back, so nothing stands in by name.
    assert!(
        !d.notes.iter().any(|n| n.contains("is not known yet")),
        "{:?}",
        d.notes
    );
    let loaded: std::collections::HashSet<&str> =
        d.resources.iter().map(|r| r.address.as_str()).collect();
    for r in &export.resources {
        assert!(
            loaded.contains(r.address.as_str()),
            "{} not loaded",
            r.address
        );
    }
    let drift = crate::drift::diff(&d.snapshot, &demo);
    assert!(
        drift.is_empty(),
        "{:?}",
        drift.items.iter().take(3).collect::<Vec<_>>()
    );
}

#[test]
fn hcl_import_blocks_give_resources_their_ids() {
    let d = hcl(&[(
        "main.tf",
        &format!(
            r#"
variable "zone" {{ default = "{ZONE}" }}
resource "cloudflare_zone" "z" {{ name = "example.com" }}
import {{
  to = cloudflare_zone.z
  id = var.zone
}}
resource "cloudflare_dns_record" "www" {{
  zone_id = cloudflare_zone.z.id
  name    = "www"
  type    = "A"
  content = "192.0.2.1"
}}
import {{
  to = cloudflare_dns_record.www
  id = "${{var.zone}}/rec42"
}}
"#
        ),
    )]);
    let z = &d.snapshot.zones[0];
    assert_eq!(
        (z.zone.id.as_str(), z.zone.name.as_str()),
        (ZONE, "example.com")
    );
    assert_eq!(z.dns_records[0].id.as_deref(), Some("rec42"));
    assert_eq!(z.dns_records[0].name, "www.example.com");
    assert_eq!(
        d.resources[1].import_id.as_deref(),
        Some(format!("{ZONE}/rec42").as_str())
    );
}
