use super::*;
use crate::drift::diff;
use crate::snapshot::{demo, Field};

fn parse_all(export: &Export) {
    for file in &export.files {
        if let Err(e) = ::hcl::from_str::<::hcl::Body>(&file.text) {
            panic!("{} does not parse: {e}\n{}", file.name, file.text);
        }
    }
}

fn body(export: &Export, name: &str) -> ::hcl::Body {
    let file = export.files.iter().find(|f| f.name == name).unwrap();
    ::hcl::from_str(&file.text).unwrap()
}

/// Every resource block of a body: (type, name, attributes as JSON).
fn blocks(body: &::hcl::Body, kind: &str) -> Vec<(String, String, Value)> {
    body.blocks()
        .filter(|b| b.identifier() == kind)
        .map(|b| {
            let labels: Vec<String> = b.labels().iter().map(|l| l.as_str().to_owned()).collect();
            let attrs: Map<String, Value> = b
                .body()
                .attributes()
                .map(|a| {
                    let v: Value = ::hcl::from_str::<Value>(&format!("x = {}", a.expr()))
                        .ok()
                        .and_then(|v| v.get("x").cloned())
                        .unwrap_or(Value::Null);
                    (a.key().to_owned(), v)
                })
                .collect();
            (
                labels.first().cloned().unwrap_or_default(),
                labels.get(1).cloned().unwrap_or_default(),
                Value::Object(attrs),
            )
        })
        .collect()
}

#[test]
fn the_demo_account_exports_as_parseable_hcl_with_one_import_per_resource() {
    let s = demo();
    let out = export(&s, &ExportOptions::default());
    parse_all(&out);
    let imports = body(&out, "imports.tf");
    let import_blocks = imports
        .blocks()
        .filter(|b| b.identifier() == "import")
        .count();
    assert_eq!(import_blocks, out.resources.len());
    let mut addresses: Vec<&str> = out.resources.iter().map(|r| r.address.as_str()).collect();
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), out.resources.len(), "addresses are unique");
    // Every record with an id, every editable setting, every zone-owned ruleset.
    let records: usize = s.zones.iter().map(|z| z.dns_records.len()).sum();
    let settings: usize = s
        .zones
        .iter()
        .flat_map(|z| &z.settings)
        .filter(|st| st.editable.copied() != Some(false))
        .count();
    let count = |kind: &str| {
        out.resources
            .iter()
            .filter(|r| r.address.starts_with(&format!("{kind}.")))
            .count()
    };
    assert_eq!(count("cloudflare_dns_record"), records);
    assert_eq!(count("cloudflare_zone_setting"), settings);
    assert_eq!(count("cloudflare_zone"), s.zones.len());
    assert_eq!(count("cloudflare_zone_dnssec"), s.zones.len());
    let live_tunnels = s.accounts[0]
        .tunnels
        .iter()
        .filter(|t| t.tunnel.deleted_at.get().is_none())
        .count();
    assert_eq!(
        count("cloudflare_zero_trust_tunnel_cloudflared"),
        live_tunnels
    );
    assert_eq!(count("cloudflare_list"), s.accounts[0].lists.len());
}

#[test]
fn resources_carry_the_v5_attributes() {
    let s = demo();
    let out = export(
        &s,
        &ExportOptions {
            zones: vec!["acme-shop.com".into()],
            skip_accounts: true,
        },
    );
    assert!(out.files.iter().all(|f| !f.name.starts_with("account_")));
    let shop = body(&out, "acme-shop.com.tf");
    let records = blocks(&shop, "resource")
        .into_iter()
        .filter(|(t, _, _)| t == "cloudflare_dns_record")
        .collect::<Vec<_>>();
    let apex = records
        .iter()
        .find(|(_, n, _)| n == "acme_shop_com_a_apex")
        .unwrap();
    assert_eq!(apex.2["proxied"], json!(true));
    assert_eq!(apex.2["content"], json!("203.0.113.10"));
    assert_eq!(apex.2["zone_id"], json!("b7413d53f51c03ab509a501d0e86d7df"));
    let rulesets: Vec<_> = blocks(&shop, "resource")
        .into_iter()
        .filter(|(t, _, _)| t == "cloudflare_ruleset")
        .collect();
    let custom = rulesets
        .iter()
        .find(|(_, _, a)| a["phase"] == "http_request_firewall_custom")
        .unwrap();
    let rules = custom.2["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 7);
    assert!(rules
        .iter()
        .all(|r| r["ref"].is_string() && r["expression"].is_string()));
    let ssl = blocks(&shop, "resource")
        .into_iter()
        .find(|(t, _, a)| t == "cloudflare_zone_setting" && a["setting_id"] == "ssl")
        .unwrap();
    assert!(ssl.2["value"].is_string());
}

#[test]
fn adopt_writes_only_the_drift() {
    let desired = demo();
    let mut live = desired.clone();
    let mut extra = live.zones[0].dns_records[0].clone();
    extra.id = Field::Value("made-in-dashboard".into());
    extra.name = "dash.acme-shop.com".into();
    live.zones[0].dns_records.push(extra);
    live.zones[0].dns_records[1].ttl = Field::Value(300);
    live.zones[0].dns_records[1].proxied = Field::Value(false);
    live.zones[0].dns_records.remove(2);
    let mut drift = diff(&desired, &live);
    let removed = drift
        .items
        .iter_mut()
        .find(|i| i.change == Change::Removed)
        .unwrap();
    removed.address = Some("cloudflare_dns_record.www".into());
    let code = adopt(&drift);
    parse_all(&code);
    assert_eq!(code.resources.len(), 2, "{:?}", code.resources);
    let imports = body(&code, "imports.tf");
    let imported: Vec<_> = imports
        .blocks()
        .filter(|b| b.identifier() == "import")
        .collect();
    assert_eq!(imported.len(), 1, "only the new record is imported");
    let removed = body(&code, "removed.tf");
    assert_eq!(
        removed
            .blocks()
            .filter(|b| b.identifier() == "removed")
            .count(),
        1
    );
    let zone = code
        .files
        .iter()
        .find(|f| f.name == "acme-shop.com.tf")
        .unwrap();
    assert!(
        zone.text
            .contains("# replaces the block for b7413d53f51c03ab509a501d0e86d7df/"),
        "{}",
        zone.text
    );
    assert!(zone.text.contains("ttl = 300"), "{}", zone.text);
}
