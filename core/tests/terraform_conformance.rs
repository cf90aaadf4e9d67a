//! Conformance of `cfcp::terraform` with real Terraform files: every `*.tfstate` and `*.tf` under
//! `../shared/terraform` (state files and HCL from Cloudflare's tf-migrate test data) loads, with
//! the contents those files really have.

use std::path::{Path, PathBuf};

use cfcp::snapshot::ZoneSnapshot;
use cfcp::terraform::{load_hcl, load_json, Desired};
use serde_json::json;

const ZONE: &str = "0da42c8d2132a9ddaf714f9e7c920711";
const ACCOUNT: &str = "f037e56e89293a057740de681ac9abbe";

fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/terraform");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: ../shared absent ({} not found); the Terraform conformance tests did not run",
            dir.display()
        );
        None
    }
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

fn state(dir: &Path, name: &str) -> Desired {
    let path = dir.join(name);
    load_json(&std::fs::read(&path).unwrap(), name)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `.tf` file with the variables its tests pass on the command line, as a `.tfvars`.
fn config(dir: &Path, name: &str, with_vars: bool) -> Desired {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let mut files = vec![(name.to_owned(), text)];
    if with_vars {
        files.push((
            "test.auto.tfvars".to_owned(),
            format!("cloudflare_zone_id = \"{ZONE}\"\ncloudflare_account_id = \"{ACCOUNT}\"\ncloudflare_domain = \"cf-tf-test.com\"\n"),
        ));
    }
    load_hcl(&files).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn only_zone(d: &Desired) -> &ZoneSnapshot {
    assert_eq!(d.snapshot.zones.len(), 1);
    &d.snapshot.zones[0]
}

#[test]
fn every_state_and_configuration_loads() {
    let Some(dir) = shared() else { return };
    let states = files(&dir, "tfstate");
    let configs = files(&dir, "tf");
    assert!(
        states.len() >= 4 && configs.len() >= 7,
        "{states:?} {configs:?}"
    );
    for path in states {
        let d = load_json(&std::fs::read(&path).unwrap(), "x")
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            d.unknown_resources.is_empty(),
            "{}: {:?}",
            path.display(),
            d.unknown_resources
        );
        // Every loaded resource names an item that exists in the snapshot's scope.
        for r in &d.resources {
            assert!(
                r.item.zone_id.is_some() || r.item.account_id.is_some(),
                "{r:?}"
            );
        }
        // Round trip: the snapshot written back as a state reads back the same.
        let again = load_json(
            cfcp::terraform::to_state(&d.snapshot)
                .to_string()
                .as_bytes(),
            "x",
        )
        .unwrap();
        assert_eq!(again.snapshot.zones, d.snapshot.zones, "{}", path.display());
        for (a, b) in again.snapshot.accounts.iter().zip(&d.snapshot.accounts) {
            assert_eq!(a.lists, b.lists, "{}", path.display());
        }
        let drift = cfcp::drift::diff(&again.snapshot, &d.snapshot);
        assert!(drift.is_empty(), "{}: {:?}", path.display(), drift.items);
    }
    for path in configs {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        load_hcl(&[(name, text)]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn dns_record_state_has_its_nine_records_with_caa_data() {
    let Some(dir) = shared() else { return };
    let d = state(&dir, "dns_record_expected.tfstate");
    let z = only_zone(&d);
    assert_eq!(z.zone.id, ZONE);
    assert_eq!(z.zone.name, ZONE, "no cloudflare_zone: named by its id");
    assert_eq!(z.dns_records.len(), 9);
    let types: Vec<String> = z
        .dns_records
        .iter()
        .map(|r| r.record_type.to_string())
        .collect();
    assert_eq!(
        types,
        [
            "A",
            "MX",
            "CAA",
            "CAA",
            "SRV",
            "URI",
            "CNAME",
            "TXT",
            "OPENPGPKEY"
        ]
    );
    let caa = &z.dns_records[2];
    assert_eq!(
        caa.data.get().unwrap().to_value(),
        json!({"flags": 0, "tag": "issue", "value": "ca.cf-tf-test.com"})
    );
    assert_eq!(caa.content_str(), "0 issue ca.cf-tf-test.com");
    assert_eq!(
        z.dns_records[3].data.get().unwrap().to_value()["flags"],
        128
    );
    assert_eq!(
        z.dns_records[4].data.get().unwrap().to_value()["port"],
        5060
    );
    assert_eq!(z.dns_records[1].priority.copied(), Some(10));
    assert_eq!(z.dns_records[0].proxied.copied(), Some(true));
    assert_eq!(
        d.resources[2].import_id.as_deref(),
        Some(format!("{ZONE}/caa-record-id").as_str())
    );
    assert_eq!(d.resources[2].address, "cloudflare_dns_record.example_caa");
    let gaps: Vec<&str> = d.snapshot.gaps.iter().map(|g| g.section.as_str()).collect();
    assert_eq!(gaps, ["settings", "dnssec", "rulesets", "bot_management"]);
}

#[test]
fn list_state_has_every_kind_of_item() {
    let Some(dir) = shared() else { return };
    let d = state(&dir, "list_expected.tfstate");
    let account = &d.snapshot.accounts[0];
    assert_eq!(account.account.id, "abc123");
    let counts: Vec<(&str, usize)> = account
        .lists
        .iter()
        .map(|l| (l.list.name.as_deref().unwrap(), l.items.len()))
        .collect();
    assert_eq!(
        counts,
        [
            ("cftftest-ip-list", 3),
            ("cftftest-asn-list", 3),
            ("cftftest-hostname-list", 3),
            ("cftftest-redirect-list", 3),
            ("cftftest-empty", 0),
            ("cftftest-cidr", 3),
            ("cftftest-ipv6", 2),
            ("cftftest-parent", 1),
            ("cftftest-lifecycle", 1),
        ]
    );
    assert_eq!(account.lists[0].items[0].ip.as_deref(), Some("1.1.1.1"));
    assert_eq!(account.lists[1].items[1].asn.copied(), Some(13335));
    assert_eq!(
        account.lists[2].items[1].extra["hostname"]["url_hostname"],
        "test.example.com"
    );
    let redirect = &account.lists[3].items[2].extra["redirect"];
    assert_eq!(
        (
            redirect["status_code"].as_u64(),
            redirect["subpath_matching"].as_bool()
        ),
        (Some(307), Some(true))
    );
    assert_eq!(account.lists[0].list.num_items.copied(), Some(3));
    assert!(d
        .snapshot
        .gaps
        .iter()
        .any(|g| g.section == "tunnels" && g.account.as_deref() == Some("abc123")));
    assert!(!d.snapshot.gaps.iter().any(|g| g.section == "lists"));
}

#[test]
fn bot_management_state_is_the_zone_configuration() {
    let Some(dir) = shared() else { return };
    let d = state(&dir, "bot_management_expected.tfstate");
    let bot = only_zone(&d).bot_management.as_ref().unwrap();
    assert_eq!(bot.enable_js.copied(), Some(true));
    assert!(bot.fight_mode.is_absent());
    assert_eq!(bot.extra["sbfm_definitely_automated"], "block");
    assert_eq!(bot.extra["ai_bots_protection"], "disabled");
    assert_eq!(bot.extra["auto_update_model"], true);
}

#[test]
fn v4_zone_settings_override_without_settings_sets_nothing_and_says_so() {
    let Some(dir) = shared() else { return };
    let d = state(&dir, "zone_setting_input.tfstate");
    // The five overrides carry only ids: the expansion yields no setting, and each is noted.
    assert!(d.snapshot.zones.is_empty() && d.resources.is_empty());
    let noted: Vec<&String> = d
        .notes
        .iter()
        .filter(|n| n.contains("sets no zone setting"))
        .collect();
    assert_eq!(noted.len(), 5, "{:?}", d.notes);
    assert!(noted[0].starts_with("cloudflare_zone_settings_override.minimal"));
}

#[test]
fn dns_record_configuration_evaluates_variables_count_and_for_each() {
    let Some(dir) = shared() else { return };
    let d = config(&dir, "dns_record.tf", true);
    assert!(d.unevaluated.is_empty(), "{:?}", d.unevaluated);
    let z = only_zone(&d);
    assert_eq!(z.dns_records.len(), 23);
    let by_address = |address: &str| {
        let i = d
            .resources
            .iter()
            .position(|r| r.address == address)
            .unwrap_or_else(|| panic!("{address}"));
        &z.dns_records[i]
    };
    let caa = by_address("cloudflare_dns_record.example_caa");
    assert_eq!(
        caa.data.get().unwrap().to_value(),
        json!({"flags": 0, "tag": "issue", "value": "ca.cf-tf-test.com"})
    );
    let mx = by_address("cloudflare_dns_record.backup_mx[2]");
    assert_eq!(
        (mx.content_str(), mx.priority.copied(), mx.ttl.copied()),
        ("mx4.cf-tf-test.com", Some(40), Some(3600))
    );
    let stat = by_address("cloudflare_dns_record.subdomain_a_records[\"static\"]");
    assert_eq!(
        (stat.proxied.copied(), stat.ttl.copied()),
        (Some(false), Some(3600))
    );
    let dmarc = by_address("cloudflare_dns_record.security_txt_records[\"_dmarc\"]");
    assert!(dmarc.content_str().starts_with("v=DMARC1; p=quarantine"));
    assert_eq!(
        by_address("cloudflare_dns_record.conditional_value")
            .record_type
            .to_string(),
        "AAAA"
    );
    assert_eq!(
        by_address("cloudflare_dns_record.cname_to_a").content_str(),
        "example.cf-tf-test.com"
    );
    assert_eq!(
        by_address("cloudflare_dns_record.tagged_record")
            .comment
            .as_deref(),
        Some("This is a test record for e2e migration testing")
    );
}

#[test]
fn without_variable_values_records_are_skipped_and_each_says_why() {
    let Some(dir) = shared() else { return };
    let d = config(&dir, "dns_record.tf", false);
    assert!(d.snapshot.zones.is_empty());
    assert_eq!(d.unevaluated.len(), 23);
    for u in &d.unevaluated {
        assert_eq!(u.attribute, "zone_id", "{u:?}");
        assert!(
            u.why
                .contains("var.cloudflare_zone_id has no default; set it in a .tfvars file"),
            "{u:?}"
        );
        assert!(
            u.why
                .ends_with("the resource is skipped (cfcp needs zone_id to place it)"),
            "{u:?}"
        );
        assert_eq!(u.file.as_deref(), Some("dns_record.tf"));
        assert!(u.line.is_some());
    }
}

#[test]
fn configuration_patterns_list_what_is_not_evaluated() {
    let Some(dir) = shared() else { return };
    let listed = |d: &Desired| -> Vec<(String, String)> {
        d.unevaluated
            .iter()
            .map(|u| (u.address.clone(), u.attribute.clone()))
            .collect()
    };
    let bots = config(&dir, "bot_management.tf", true);
    assert_eq!(
        listed(&bots),
        [(
            "cloudflare_bot_management.set_example".to_owned(),
            "for_each".to_owned()
        )]
    );
    assert!(bots.unevaluated[0].why.contains("toset()"));
    // 5 (map) + 4 (count) + 1 (conditional) + 8 single: 18 instances, one zone singleton.
    assert_eq!(bots.resources.len(), 18);
    let bot = only_zone(&bots).bot_management.as_ref().unwrap();
    assert_eq!(
        bot.extra["sbfm_definitely_automated"], "managed_challenge",
        "the last one is kept"
    );
    assert!(bots
        .notes
        .iter()
        .any(|n| n.contains("bot management is set by both")));

    let lists = config(&dir, "list.tf", true);
    assert_eq!(
        listed(&lists),
        [(
            "cloudflare_list.hostname_list".to_owned(),
            "items".to_owned()
        )]
    );
    assert!(lists.unevaluated[0].why.contains("concat()"));
    // `cloudflare_list.redirect_parent.name` is the other list's literal name.
    assert!(lists.snapshot.accounts[0]
        .list("cftftest_list_redirect_parent_child")
        .is_some());
    assert_eq!(lists.snapshot.accounts[0].lists.len(), 10);
    let asn = lists.snapshot.accounts[0]
        .list("cftftest_list_asn_list")
        .unwrap();
    assert_eq!(
        asn.items.len(),
        3,
        "a for expression over a variable's default is evaluated"
    );
    assert_eq!(asn.items[2].comment.as_deref(), Some("Akamai ASN"));

    let settings = config(&dir, "zone_setting.tf", true);
    assert_eq!(
        listed(&settings),
        [(
            "cloudflare_zone_setting.with_functions_browser_cache_ttl".to_owned(),
            "value".to_owned()
        )]
    );
    let z = only_zone(&settings);
    assert_eq!(z.settings.len(), 16);
    assert_eq!(z.setting_str("ssl"), Some("flexible"));
    assert_eq!(z.setting("challenge_ttl").unwrap().value, json!(1800));
    assert_eq!(
        z.setting("security_header").unwrap().value["strict_transport_security"]["max_age"],
        86400
    );
    assert!(
        z.setting("browser_check").is_none(),
        "count = 0 makes no instance"
    );
    assert!(z.setting("rocket_loader").is_some(), "count = 1 makes one");

    let rulesets = config(&dir, "ruleset.tf", true);
    assert!(
        rulesets.unevaluated.is_empty(),
        "{:?}",
        rulesets.unevaluated
    );
    let z = only_zone(&rulesets);
    assert_eq!(z.rulesets.len(), 9);
    let waf = z
        .rulesets
        .iter()
        .find(|r| r.name.as_deref() == Some("cftftest-waf-skip"))
        .unwrap();
    assert_eq!(waf.rules.len(), 5);
    assert_eq!(
        waf.rules[2].action_parameters.get().unwrap()["rules"]["4814384a9e5d4991b9815dcfc25d2f1f"],
        json!(["6179ae15870a4bb7b2d480d4843b323c"])
    );
    let origin = z
        .rulesets
        .iter()
        .find(|r| r.name.as_deref() == Some("cftftest-origin-sni"))
        .unwrap();
    assert_eq!(
        origin.rules[0].expression.as_deref(),
        Some("(http.host eq \"api.cf-tf-test.com\")")
    );

    let tunnels = config(&dir, "zero_trust_tunnel_cloudflared_config.tf", true);
    let unknown: Vec<&str> = tunnels
        .unknown_resources
        .iter()
        .map(|u| u.address.as_str())
        .collect();
    assert_eq!(
        unknown,
        [
            "cloudflare_zero_trust_tunnel_cloudflared_route.ref_opt1",
            "cloudflare_zero_trust_tunnel_cloudflared_route.ref_opt2"
        ]
    );
    // Each config's `tunnel_id = cloudflare_zero_trust_tunnel_cloudflared.<x>.id`: the tunnel's
    // name stands in for the id it gets at apply, so the configuration lands on its tunnel.
    assert!(
        !tunnels
            .unevaluated
            .iter()
            .any(|u| u.attribute == "tunnel_id"),
        "{:?}",
        tunnels.unevaluated
    );
    let comprehensive = tunnels.snapshot.accounts[0]
        .tunnel("cftftest-comprehensive-tunnel-config")
        .unwrap();
    let ingress = comprehensive.ingress();
    assert_eq!(ingress.len(), 3);
    assert_eq!(ingress[0].path.as_deref(), Some("/api"));
    assert_eq!(ingress[0].extra["originRequest"]["connectTimeout"], 15);
    assert!(ingress[2].is_catch_all());
    let tunnel_config = comprehensive
        .configuration
        .as_ref()
        .unwrap()
        .config
        .get()
        .unwrap();
    assert_eq!(
        tunnel_config.extra["originRequest"]["access"],
        json!({"required": true, "teamName": "my-team", "audTag": ["abc123"]})
    );
    assert!(tunnels
        .unevaluated
        .iter()
        .any(|u| u.attribute == "tunnel_secret" && u.why.contains("base64encode()")));
    assert_eq!(tunnels.snapshot.accounts[0].tunnels.len(), 5);

    let dnssec = config(&dir, "zone_dnssec.tf", true);
    assert_eq!(dnssec.resources.len(), 4);
    assert!(only_zone(&dnssec).dnssec.is_some());
}
