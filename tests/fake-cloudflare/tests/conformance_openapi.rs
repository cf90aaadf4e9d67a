//! Conformance of the fake's request validation with Cloudflare's request schemas
//! (`../shared/cloudflare/openapi-requests.json`, generated from Cloudflare's OpenAPI spec).
//!
//! For a table of valid and invalid sample bodies per write operation, the fake's verdict (2xx or
//! 400) is compared with validation against the operation's `inputSchema` (the body merged with
//! the path parameters, as the schema lists them side by side).
//!
//! Most samples must get the same verdict from both. Two kinds of divergence are deliberate and
//! listed case by case, each with its reason, and each is checked to still be a divergence (so a
//! schema update that closes one fails the test and the table gets updated):
//! - `Stricter`: the schema accepts, the fake (like Cloudflare's API) rejects: semantic checks a
//!   JSON Schema does not express (an A record's content must be an IPv4 address, TTL ranges, the
//!   catch-all ingress rule, expression length, ...).
//! - `Lenient`: the schema rejects, the fake (like Cloudflare's API) accepts: artifacts of the
//!   generated schema, which marks response-only or defaulted members as required (a rule's
//!   `version`/`last_updated`, a DNS record's `ttl`, every member of a DNS PATCH, an ingress rule's
//!   `hostname`).

use std::path::PathBuf;

use fake_cloudflare::{FakeCloudflare, FakeConfig, TokenSpec};
use serde_json::{json, Map, Value};

const TOKEN: &str = "conformance-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Schema and fake agree.
    Agree,
    /// Schema accepts, fake rejects (semantic rule).
    Stricter,
    /// Schema rejects, fake accepts (schema artifact).
    Lenient,
}

/// Ids of objects in the seeded fake, for path parameters.
#[derive(Debug, Clone)]
struct Ids {
    zone: String,
    record: String,
    ruleset: String,
    rule: String,
    account: String,
    tunnel: String,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    DnsCreate,
    DnsPut,
    DnsPatch,
    DnsBatch,
    SettingPatch,
    DnssecPatch,
    BotPut,
    EntrypointPut,
    RuleCreate,
    RulePatch,
    TunnelConfigPut,
}

impl Op {
    fn key(self) -> &'static str {
        match self {
            Op::DnsCreate => "POST /zones/{zone_id}/dns_records",
            Op::DnsPut => "PUT /zones/{zone_id}/dns_records/{dns_record_id}",
            Op::DnsPatch => "PATCH /zones/{zone_id}/dns_records/{dns_record_id}",
            Op::DnsBatch => "POST /zones/{zone_id}/dns_records/batch",
            Op::SettingPatch => "PATCH /zones/{zone_id}/settings/{setting_id}",
            Op::DnssecPatch => "PATCH /zones/{zone_id}/dnssec",
            Op::BotPut => "PUT /zones/{zone_id}/bot_management",
            Op::EntrypointPut => {
                "PUT /{accounts_or_zones}/{account_or_zone_id}/rulesets/phases/{ruleset_phase}/entrypoint"
            }
            Op::RuleCreate => "POST /{accounts_or_zones}/{account_or_zone_id}/rulesets/{ruleset_id}/rules",
            Op::RulePatch => "PATCH /{accounts_or_zones}/{account_or_zone_id}/rulesets/{ruleset_id}/rules/{rule_id}",
            Op::TunnelConfigPut => "PUT /accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
        }
    }

    /// (HTTP method, path below /client/v4, path parameters as the schema names them).
    fn request(self, ids: &Ids) -> (&'static str, String, Map<String, Value>) {
        let mut p = Map::new();
        let z = &ids.zone;
        let (method, path) = match self {
            Op::DnsCreate => ("POST", format!("/zones/{z}/dns_records")),
            Op::DnsPut | Op::DnsPatch => {
                p.insert("dns_record_id".into(), json!(ids.record));
                let m = if matches!(self, Op::DnsPut) {
                    "PUT"
                } else {
                    "PATCH"
                };
                (m, format!("/zones/{z}/dns_records/{}", ids.record))
            }
            Op::DnsBatch => ("POST", format!("/zones/{z}/dns_records/batch")),
            Op::SettingPatch => {
                p.insert("setting_id".into(), json!("ssl"));
                ("PATCH", format!("/zones/{z}/settings/ssl"))
            }
            Op::DnssecPatch => ("PATCH", format!("/zones/{z}/dnssec")),
            Op::BotPut => ("PUT", format!("/zones/{z}/bot_management")),
            Op::EntrypointPut => {
                p.insert(
                    "ruleset_phase".into(),
                    json!("http_request_firewall_custom"),
                );
                (
                    "PUT",
                    format!("/zones/{z}/rulesets/phases/http_request_firewall_custom/entrypoint"),
                )
            }
            Op::RuleCreate => {
                p.insert("ruleset_id".into(), json!(ids.ruleset));
                ("POST", format!("/zones/{z}/rulesets/{}/rules", ids.ruleset))
            }
            Op::RulePatch => {
                p.insert("ruleset_id".into(), json!(ids.ruleset));
                p.insert("rule_id".into(), json!(ids.rule));
                (
                    "PATCH",
                    format!("/zones/{z}/rulesets/{}/rules/{}", ids.ruleset, ids.rule),
                )
            }
            Op::TunnelConfigPut => {
                p.insert("account_id".into(), json!(ids.account));
                p.insert("tunnel_id".into(), json!(ids.tunnel));
                (
                    "PUT",
                    format!(
                        "/accounts/{}/cfd_tunnel/{}/configurations",
                        ids.account, ids.tunnel
                    ),
                )
            }
        };
        if !matches!(self, Op::TunnelConfigPut) {
            p.insert("zone_id".into(), json!(ids.zone));
        }
        (method, path, p)
    }
}

struct Case {
    op: Op,
    name: &'static str,
    body: Value,
    expect: Expect,
    /// The verdict both give (for `Agree`), or the fake's (otherwise).
    fake_accepts: bool,
}

fn case(op: Op, name: &'static str, expect: Expect, fake_accepts: bool, body: Value) -> Case {
    Case {
        op,
        name,
        body,
        expect,
        fake_accepts,
    }
}

fn cases(ids: &Ids) -> Vec<Case> {
    use Expect::*;
    use Op::*;
    let rid = ids.record.clone();
    vec![
        // ---- DNS create
        case(
            DnsCreate,
            "A record",
            Agree,
            true,
            json!({"type":"A","name":"c1","content":"192.0.2.1","ttl":300}),
        ),
        case(
            DnsCreate,
            "AAAA proxied auto ttl",
            Agree,
            true,
            json!({"type":"AAAA","name":"c2","content":"2001:db8::1","ttl":1,"proxied":true}),
        ),
        case(
            DnsCreate,
            "CNAME with tags and comment",
            Agree,
            true,
            json!({"type":"CNAME","name":"c3","content":"target.example.net","ttl":3600,"tags":["env:prod"],"comment":"hi"}),
        ),
        case(
            DnsCreate,
            "MX with priority",
            Agree,
            true,
            json!({"type":"MX","name":"c4","content":"mx.example.net","ttl":300,"priority":10}),
        ),
        case(
            DnsCreate,
            "TXT",
            Agree,
            true,
            json!({"type":"TXT","name":"c5","content":"\"v=spf1 -all\"","ttl":300}),
        ),
        case(
            DnsCreate,
            "CAA with data",
            Agree,
            true,
            json!({"type":"CAA","name":"c6","ttl":300,"data":{"flags":0,"tag":"issue","value":"letsencrypt.org"}}),
        ),
        case(
            DnsCreate,
            "SRV with data",
            Agree,
            true,
            json!({"type":"SRV","name":"_sip._tcp.c7","ttl":300,"data":{"priority":10,"weight":5,"port":5060,"target":"sip.example.net"}}),
        ),
        case(
            DnsCreate,
            "unknown type",
            Agree,
            false,
            json!({"type":"BOGUS","name":"c8","content":"x","ttl":300}),
        ),
        case(
            DnsCreate,
            "missing type",
            Agree,
            false,
            json!({"name":"c9","content":"192.0.2.1","ttl":300}),
        ),
        case(
            DnsCreate,
            "missing name",
            Agree,
            false,
            json!({"type":"A","content":"192.0.2.1","ttl":300}),
        ),
        case(
            DnsCreate,
            "name not a string",
            Agree,
            false,
            json!({"type":"A","name":42,"content":"192.0.2.1","ttl":300}),
        ),
        case(
            DnsCreate,
            "ttl as a string",
            Agree,
            false,
            json!({"type":"A","name":"c10","content":"192.0.2.1","ttl":"300"}),
        ),
        case(
            DnsCreate,
            "proxied not a boolean",
            Agree,
            false,
            json!({"type":"A","name":"c11","content":"192.0.2.1","ttl":300,"proxied":"yes"}),
        ),
        case(
            DnsCreate,
            "tags not an array",
            Agree,
            false,
            json!({"type":"A","name":"c12","content":"192.0.2.1","ttl":300,"tags":"env:prod"}),
        ),
        case(
            DnsCreate,
            "comment not a string",
            Agree,
            false,
            json!({"type":"A","name":"c13","content":"192.0.2.1","ttl":300,"comment":5}),
        ),
        case(
            DnsCreate,
            "A content not an IPv4 address",
            Stricter,
            false,
            json!({"type":"A","name":"c14","content":"not-an-ip","ttl":300}),
        ),
        case(
            DnsCreate,
            "AAAA content is IPv4",
            Stricter,
            false,
            json!({"type":"AAAA","name":"c15","content":"192.0.2.1","ttl":300}),
        ),
        case(
            DnsCreate,
            "A without content",
            Stricter,
            false,
            json!({"type":"A","name":"c16","ttl":300}),
        ),
        case(
            DnsCreate,
            "ttl below the minimum",
            Stricter,
            false,
            json!({"type":"A","name":"c17","content":"192.0.2.1","ttl":5}),
        ),
        case(
            DnsCreate,
            "ttl above a day",
            Stricter,
            false,
            json!({"type":"A","name":"c18","content":"192.0.2.1","ttl":100000}),
        ),
        case(
            DnsCreate,
            "proxied TXT",
            Stricter,
            false,
            json!({"type":"TXT","name":"c19","content":"x","ttl":1,"proxied":true}),
        ),
        case(
            DnsCreate,
            "MX without priority",
            Stricter,
            false,
            json!({"type":"MX","name":"c20","content":"mx.example.net","ttl":300}),
        ),
        case(
            DnsCreate,
            "CAA without data",
            Stricter,
            false,
            json!({"type":"CAA","name":"c21","ttl":300}),
        ),
        case(
            DnsCreate,
            "missing ttl (defaults to automatic)",
            Lenient,
            true,
            json!({"type":"A","name":"c22","content":"192.0.2.22"}),
        ),
        // ---- DNS PUT
        case(
            DnsPut,
            "full replacement",
            Agree,
            true,
            json!({"type":"A","name":"p1","content":"192.0.2.31","ttl":600}),
        ),
        case(
            DnsPut,
            "unknown type",
            Agree,
            false,
            json!({"type":"NOPE","name":"p2","content":"x","ttl":600}),
        ),
        case(
            DnsPut,
            "A content not an address",
            Stricter,
            false,
            json!({"type":"A","name":"p3","content":"example.com","ttl":600}),
        ),
        case(
            DnsPut,
            "missing ttl",
            Lenient,
            true,
            json!({"type":"A","name":"p4","content":"192.0.2.34"}),
        ),
        // ---- DNS PATCH
        case(
            DnsPatch,
            "complete patch",
            Agree,
            true,
            json!({"type":"A","name":"q1","content":"192.0.2.41","ttl":120}),
        ),
        case(
            DnsPatch,
            "ttl not a number",
            Agree,
            false,
            json!({"type":"A","name":"q2","content":"192.0.2.42","ttl":"auto"}),
        ),
        case(
            DnsPatch,
            "proxied TXT",
            Stricter,
            false,
            json!({"type":"TXT","name":"q3","content":"x","ttl":1,"proxied":true}),
        ),
        case(
            DnsPatch,
            "partial patch (comment only)",
            Lenient,
            true,
            json!({"comment":"patched"}),
        ),
        // ---- DNS batch
        case(
            DnsBatch,
            "delete and post",
            Agree,
            true,
            json!({"deletes":[{"id": rid}],"posts":[{"type":"A","name":"b1","content":"192.0.2.51","ttl":300}]}),
        ),
        case(DnsBatch, "empty batch", Agree, true, json!({})),
        case(
            DnsBatch,
            "delete without id",
            Agree,
            false,
            json!({"deletes":[{}]}),
        ),
        case(
            DnsBatch,
            "posts not an array",
            Agree,
            false,
            json!({"posts":"A"}),
        ),
        case(
            DnsBatch,
            "post with a bad address",
            Stricter,
            false,
            json!({"posts":[{"type":"A","name":"b2","content":"300.1.1.1","ttl":300}]}),
        ),
        case(
            DnsBatch,
            "post without ttl",
            Lenient,
            true,
            json!({"posts":[{"type":"A","name":"b3","content":"192.0.2.53"}]}),
        ),
        case(
            DnsBatch,
            "partial patch",
            Lenient,
            true,
            json!({"patches":[{"id": rid, "comment":"batch"}]}),
        ),
        // ---- zone setting PATCH (ssl)
        case(
            SettingPatch,
            "valid value",
            Agree,
            true,
            json!({"value":"strict"}),
        ),
        case(SettingPatch, "value missing", Stricter, false, json!({})),
        case(
            SettingPatch,
            "value outside the setting's values",
            Stricter,
            false,
            json!({"value":"very-strict"}),
        ),
        // ---- DNSSEC PATCH
        case(
            DnssecPatch,
            "activate",
            Agree,
            true,
            json!({"status":"active"}),
        ),
        case(
            DnssecPatch,
            "flags",
            Agree,
            true,
            json!({"dnssec_use_nsec3":true,"dnssec_multi_signer":false}),
        ),
        case(DnssecPatch, "empty body", Agree, true, json!({})),
        case(
            DnssecPatch,
            "unknown status",
            Agree,
            false,
            json!({"status":"on"}),
        ),
        case(
            DnssecPatch,
            "flag not a boolean",
            Agree,
            false,
            json!({"dnssec_presigned":"yes"}),
        ),
        // ---- bot management PUT
        case(
            BotPut,
            "bot fight mode",
            Agree,
            true,
            json!({"fight_mode":true,"enable_js":true}),
        ),
        case(
            BotPut,
            "super bot fight mode",
            Agree,
            true,
            json!({"sbfm_definitely_automated":"block","sbfm_verified_bots":"allow","optimize_wordpress":false}),
        ),
        case(
            BotPut,
            "unknown AI bots value",
            Agree,
            false,
            json!({"ai_bots_protection":"sometimes"}),
        ),
        case(
            BotPut,
            "enable_js not a boolean",
            Agree,
            false,
            json!({"enable_js":"yes"}),
        ),
        case(
            BotPut,
            "fight_mode not a boolean",
            Stricter,
            false,
            json!({"fight_mode":"yes"}),
        ),
        // ---- entrypoint PUT
        case(EntrypointPut, "no rules", Agree, true, json!({"rules":[]})),
        case(
            EntrypointPut,
            "rule with every member the schema wants",
            Agree,
            true,
            json!({"rules":[{"action":"block","expression":"ip.src eq 192.0.2.1","description":"x","enabled":true,"version":"1","last_updated":"2026-01-01T00:00:00Z"}]}),
        ),
        case(
            EntrypointPut,
            "unknown action",
            Agree,
            false,
            json!({"rules":[{"action":"explode","expression":"true","version":"1","last_updated":"2026-01-01T00:00:00Z"}]}),
        ),
        case(
            EntrypointPut,
            "expression not a string",
            Agree,
            false,
            json!({"rules":[{"action":"block","expression":42,"version":"1","last_updated":"2026-01-01T00:00:00Z"}]}),
        ),
        case(
            EntrypointPut,
            "rules not an array",
            Agree,
            false,
            json!({"rules":{"action":"block"}}),
        ),
        case(
            EntrypointPut,
            "expression over 4096 characters",
            Stricter,
            false,
            json!({"rules":[{"action":"block","expression":format!("ip.src eq 192.0.2.1{}", " or ip.src eq 192.0.2.1".repeat(200)),"version":"1","last_updated":"2026-01-01T00:00:00Z"}]}),
        ),
        case(
            EntrypointPut,
            "rule as clients send it (no version)",
            Lenient,
            true,
            json!({"rules":[{"action":"block","expression":"ip.src eq 192.0.2.1","description":"x","enabled":true}]}),
        ),
        // ---- rule POST
        case(
            RuleCreate,
            "block rule",
            Agree,
            true,
            json!({"action":"block","expression":"ip.src eq 192.0.2.1","description":"x","enabled":true}),
        ),
        case(
            RuleCreate,
            "skip rule at the front",
            Agree,
            true,
            json!({"action":"skip","expression":"true","action_parameters":{"ruleset":"current"},"position":{"index":1}}),
        ),
        case(
            RuleCreate,
            "unknown action",
            Agree,
            false,
            json!({"action":"explode","expression":"true"}),
        ),
        case(
            RuleCreate,
            "enabled not a boolean",
            Agree,
            false,
            json!({"action":"block","expression":"true","enabled":"yes"}),
        ),
        case(
            RuleCreate,
            "expression not a string",
            Agree,
            false,
            json!({"action":"log","expression":7}),
        ),
        case(
            RuleCreate,
            "no expression",
            Stricter,
            false,
            json!({"action":"block"}),
        ),
        case(
            RuleCreate,
            "execute without a ruleset id",
            Agree,
            false,
            json!({"action":"execute","expression":"true","action_parameters":{}}),
        ),
        // ---- rule PATCH
        case(RulePatch, "disable", Agree, true, json!({"enabled":false})),
        case(
            RulePatch,
            "new expression",
            Agree,
            true,
            json!({"expression":"ip.src eq 192.0.2.9"}),
        ),
        case(
            RulePatch,
            "unknown action",
            Agree,
            false,
            json!({"action":"explode"}),
        ),
        case(
            RulePatch,
            "empty expression",
            Stricter,
            false,
            json!({"expression":""}),
        ),
        // ---- tunnel configuration PUT
        case(
            TunnelConfigPut,
            "ingress with an explicit empty catch-all hostname",
            Agree,
            true,
            json!({"config":{"ingress":[{"hostname":"a.example.com","service":"http://localhost:8080"},{"hostname":"","service":"http_status:404"}]}}),
        ),
        case(
            TunnelConfigPut,
            "config not an object",
            Agree,
            false,
            json!({"config":"x"}),
        ),
        case(
            TunnelConfigPut,
            "ingress not an array",
            Agree,
            false,
            json!({"config":{"ingress":{"service":"x"}}}),
        ),
        case(
            TunnelConfigPut,
            "ingress rule without service",
            Agree,
            false,
            json!({"config":{"ingress":[{"hostname":"a.example.com"},{"hostname":"","service":"http_status:404"}]}}),
        ),
        case(
            TunnelConfigPut,
            "no catch-all last",
            Stricter,
            false,
            json!({"config":{"ingress":[{"hostname":"a.example.com","service":"http://localhost:8080"}]}}),
        ),
        case(TunnelConfigPut, "no config", Stricter, false, json!({})),
        case(
            TunnelConfigPut,
            "catch-all without hostname, as cloudflared writes it",
            Lenient,
            true,
            json!({"config":{"ingress":[{"hostname":"a.example.com","service":"http://localhost:8080"},{"service":"http_status:404"}]}}),
        ),
    ]
}

/// `shared/` sits beside the checkout (`<checkout>/../shared`); the crate is two levels down.
fn shared_file() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../../../shared/cloudflare/openapi-requests.json"),
        manifest.join("../../shared/cloudflare/openapi-requests.json"),
    ];
    candidates
        .iter()
        .find(|p| p.exists())
        .unwrap_or(&candidates[0])
        .clone()
}

fn seed() -> cfcp::snapshot::Snapshot {
    fake_cloudflare::synthetic::account(1, 24, 77)
}

fn ids(seed: &cfcp::snapshot::Snapshot) -> Ids {
    let zone = &seed.zones[0];
    let record = zone
        .dns_records
        .iter()
        .find(|r| r.record_type.as_str() == "A")
        .and_then(|r| r.id.get().cloned())
        .expect("an A record");
    let custom = zone
        .rulesets
        .iter()
        .find(|r| r.phase.get().map(|p| p.as_str()) == Some("http_request_firewall_custom"))
        .expect("a custom ruleset");
    let account = &seed.accounts[0];
    Ids {
        zone: zone.zone.id.clone(),
        record,
        ruleset: custom.id.get().cloned().expect("ruleset id"),
        rule: custom.rules[0].id.get().cloned().expect("rule id"),
        account: account.account.id.clone(),
        tunnel: account.tunnels[0].tunnel.id.clone(),
    }
}

#[tokio::test]
async fn fake_validation_matches_the_openapi_request_schemas() {
    let path = shared_file();
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("CONFORMANCE SKIPPED: ../shared not found at {} — the fake's request validation was NOT checked against Cloudflare's OpenAPI schemas", path.display());
        return;
    };
    let spec: Value = serde_json::from_str(&text).expect("openapi-requests.json is JSON");
    let seed = seed();
    let ids = ids(&seed);
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    let mut counts = [0usize; 3];
    for c in cases(&ids) {
        let schema = &spec["operations"][c.op.key()]["inputSchema"];
        assert!(schema.is_object(), "no inputSchema for {}", c.op.key());
        let validator = jsonschema::validator_for(schema).expect("the schema compiles");
        let (method, url_path, params) = c.op.request(&ids);
        let mut instance = c
            .body
            .as_object()
            .cloned()
            .expect("sample bodies are objects");
        instance.extend(params);
        let schema_accepts = validator.is_valid(&Value::Object(instance));

        // A fresh fake per case, so samples do not interact (duplicates, deleted records).
        let fake =
            FakeCloudflare::start(FakeConfig::new(seed.clone()).with_token(TokenSpec::all(TOKEN)))
                .await
                .expect("the fake starts");
        let resp = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{url_path}", fake.base_url()),
            )
            .bearer_auth(TOKEN)
            .json(&c.body)
            .send()
            .await
            .expect("answered");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        fake.shutdown();
        let fake_accepts = match status {
            200..=299 => true,
            400 => false,
            other => {
                failures.push(format!(
                    "{} / {}: unexpected HTTP {other}: {body}",
                    c.op.key(),
                    c.name
                ));
                continue;
            }
        };
        let label = format!("{} / {}", c.op.key(), c.name);
        if fake_accepts != c.fake_accepts {
            failures.push(format!(
                "{label}: the fake {} it: {body}",
                if fake_accepts { "accepted" } else { "rejected" }
            ));
        }
        let schema_expected = match c.expect {
            Expect::Agree => c.fake_accepts,
            Expect::Stricter => true,
            Expect::Lenient => false,
        };
        if schema_accepts != schema_expected {
            failures.push(format!(
                "{label}: the schema {} it (expected {:?})",
                if schema_accepts { "accepts" } else { "rejects" },
                c.expect
            ));
        }
        counts[c.expect as usize] += 1;
    }
    eprintln!(
        "conformance: {} samples agree with the schema, {} stricter (semantic rules), {} lenient (schema artifacts)",
        counts[0], counts[1], counts[2]
    );
    assert!(
        failures.is_empty(),
        "{} conformance failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
