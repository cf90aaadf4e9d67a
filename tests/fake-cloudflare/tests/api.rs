//! Endpoints, pagination, statefulness, error envelopes and GraphQL shapes.

mod common;

use common::*;
use fake_cloudflare::{FakeConfig, TokenSpec};
use serde_json::{json, Value};

#[tokio::test]
async fn a_snapshot_read_through_the_api_equals_the_seed() {
    let seed = fake_cloudflare::synthetic::account(4, 120, 3);
    let fake = start(FakeConfig::new(seed.clone()).with_token(TokenSpec::all(TOKEN))).await;
    let head = json!({"format": seed.format, "taken_at": seed.taken_at, "source": seed.source, "gaps": []});
    let read = snapshot_through_api(&fake, &head).await;
    let read =
        cfcp::snapshot::Snapshot::from_json_str(&read.to_string()).expect("a valid snapshot");
    let diffs = read.content_differences(&seed);
    assert!(diffs.is_empty(), "differences: {diffs:?}");
    assert_eq!(fake.current_snapshot(), seed);
}

#[tokio::test]
async fn the_demo_snapshot_round_trips_through_the_api() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/snapshots/demo.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("SKIPPED: {} not found", path.display());
        return;
    };
    let seed = cfcp::snapshot::Snapshot::from_json_str(&text).expect("demo.json loads");
    let fake = start(FakeConfig::new(seed.clone()).with_token(TokenSpec::all(TOKEN))).await;
    let head = json!({"format": seed.format, "taken_at": seed.taken_at, "source": seed.source, "gaps": seed.gaps});
    let read = snapshot_through_api(&fake, &head).await;
    let read =
        cfcp::snapshot::Snapshot::from_json_str(&read.to_string()).expect("a valid snapshot");
    let diffs = read.content_differences(&seed);
    assert!(diffs.is_empty(), "differences: {diffs:?}");
}

#[tokio::test]
async fn page_pagination_clamps_per_page_like_cloudflare() {
    let fake = start(
        FakeConfig::new(fake_cloudflare::synthetic::account(60, 2, 5))
            .with_token(TokenSpec::all(TOKEN)),
    )
    .await;
    let a = get(&fake, "/zones?per_page=1000").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.result().as_array().unwrap().len(), 50);
    assert_eq!(
        a.body["result_info"],
        json!({"page": 1, "per_page": 50, "count": 50, "total_count": 60, "total_pages": 2})
    );
    let b = get(&fake, "/zones?per_page=50&page=2").await;
    assert_eq!(b.result().as_array().unwrap().len(), 10);
    let c = get(&fake, "/zones?per_page=50&page=3").await;
    assert_eq!(c.result(), &json!([]));
    let name = a.result()[7]["name"].as_str().unwrap().to_owned();
    let one = get(&fake, &format!("/zones?name={name}")).await;
    assert_eq!(one.result().as_array().unwrap().len(), 1);
    assert_eq!(one.result()[0]["name"], name.as_str());
    let acc = a.result()[0]["account"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&fake, &format!("/zones?account.id={acc}&per_page=5"))
            .await
            .body["result_info"]["total_count"],
        60
    );
    assert_eq!(
        get(&fake, "/zones?status=pending").await.body["result_info"]["total_count"],
        0
    );
    assert_eq!(get(&fake, "/zones?page=abc").await.status, 400);
}

#[tokio::test]
async fn dns_pagination_and_filters() {
    let fake = start(
        FakeConfig::new(fake_cloudflare::synthetic::account(1, 5100, 9))
            .with_token(TokenSpec::all(TOKEN)),
    )
    .await;
    let z = first_zone(&fake).await;
    let a = get(&fake, &format!("/zones/{z}/dns_records?per_page=100000")).await;
    assert_eq!(a.body["result_info"]["per_page"], 5000);
    assert_eq!(a.result().as_array().unwrap().len(), 5000);
    assert_eq!(a.body["result_info"]["total_pages"], 2);
    let b = get(
        &fake,
        &format!("/zones/{z}/dns_records?per_page=5000&page=2"),
    )
    .await;
    assert_eq!(b.result().as_array().unwrap().len(), 100);
    let default = get(&fake, &format!("/zones/{z}/dns_records")).await;
    assert_eq!(default.body["result_info"]["per_page"], 100);
    let mx = get(
        &fake,
        &format!("/zones/{z}/dns_records?type=MX&per_page=5000"),
    )
    .await;
    assert!(mx
        .result()
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["type"] == "MX"));
    assert!(!mx.result().as_array().unwrap().is_empty());
    let name = a.result()[0]["name"].as_str().unwrap().to_owned();
    let by_name = get(&fake, &format!("/zones/{z}/dns_records?name={name}")).await;
    assert!(by_name
        .result()
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["name"] == name.as_str()));
    assert_eq!(
        by_name.body["result_info"]["total_count"].as_u64().unwrap() as usize,
        by_name.result().as_array().unwrap().len()
    );
}

#[tokio::test]
async fn cursor_pagination_for_rulesets_and_list_items() {
    let fake = start_small().await;
    let z = first_zone(&fake).await;
    // 3 entrypoints + 2 managed rulesets the execute rules deploy.
    let all = get(&fake, &format!("/zones/{z}/rulesets")).await;
    assert_eq!(all.result().as_array().unwrap().len(), 5);
    assert!(
        all.body.get("result_info").is_none(),
        "no cursor when nothing more: {}",
        all.body
    );
    assert!(all
        .result()
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("rules").is_none()));
    let kinds: Vec<&str> = all
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["zone", "zone", "zone", "managed", "managed"]);
    assert_eq!(all.result()[3]["name"], "Cloudflare Managed Ruleset");
    let mut seen = Vec::new();
    let mut cursor = None::<String>;
    loop {
        let q = match &cursor {
            Some(c) => format!("/zones/{z}/rulesets?per_page=2&cursor={c}"),
            None => format!("/zones/{z}/rulesets?per_page=2"),
        };
        let a = get(&fake, &q).await;
        seen.extend(
            a.result()
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].clone()),
        );
        match a.body["result_info"]["cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(
        get(&fake, &format!("/zones/{z}/rulesets?cursor=garbage"))
            .await
            .status,
        400
    );

    let account = get(&fake, "/accounts").await.result()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lists = get(&fake, &format!("/accounts/{account}/rules/lists")).await;
    assert!(lists.body.get("result_info").is_none());
    let list = lists.result()[0]["id"].as_str().unwrap().to_owned();
    let base = format!("/accounts/{account}/rules/lists/{list}/items");
    let first = get(&fake, &format!("{base}?per_page=7")).await;
    assert_eq!(first.result().as_array().unwrap().len(), 7);
    let after = first.body["result_info"]["cursors"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut total = 7;
    let mut next = Some(after);
    while let Some(c) = next {
        let a = get(&fake, &format!("{base}?per_page=7&cursor={c}")).await;
        total += a.result().as_array().unwrap().len();
        next = a.body["result_info"]["cursors"]["after"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(total, 20);
    let clamped = get(&fake, &format!("{base}?per_page=100000")).await;
    assert_eq!(clamped.result().as_array().unwrap().len(), 20);
    assert!(clamped.body["result_info"]["cursors"]
        .get("after")
        .is_none());
}

#[tokio::test]
async fn dns_writes_change_later_reads() {
    let fake = start_small().await;
    let z = first_zone(&fake).await;
    let before = get(&fake, &format!("/zones/{z}/dns_records?per_page=5000"))
        .await
        .body["result_info"]["total_count"]
        .as_u64()
        .unwrap();
    let created = send(
        &fake,
        "POST",
        &format!("/zones/{z}/dns_records"),
        json!({"type":"A","name":"fresh","content":"192.0.2.50","ttl":300,"comment":"new"}),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.result()["id"].as_str().unwrap().to_owned();
    let zone_name = get(&fake, &format!("/zones/{z}")).await.result()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(created.result()["name"], format!("fresh.{zone_name}"));
    let listed = get(&fake, &format!("/zones/{z}/dns_records?per_page=5000")).await;
    assert_eq!(
        listed.body["result_info"]["total_count"].as_u64().unwrap(),
        before + 1
    );
    assert!(listed
        .result()
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id.as_str()));

    let dup = send(
        &fake,
        "POST",
        &format!("/zones/{z}/dns_records"),
        json!({"type":"A","name":"fresh","content":"192.0.2.50","ttl":300}),
    )
    .await;
    assert_eq!((dup.status, dup.code()), (400, 81058));
    let cname = send(
        &fake,
        "POST",
        &format!("/zones/{z}/dns_records"),
        json!({"type":"CNAME","name":"fresh","content":"elsewhere.example.net"}),
    )
    .await;
    assert_eq!((cname.status, cname.code()), (400, 81053));

    let patched = send(
        &fake,
        "PATCH",
        &format!("/zones/{z}/dns_records/{id}"),
        json!({"content":"192.0.2.51"}),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.result()["content"], "192.0.2.51");
    assert_eq!(patched.result()["comment"], "new");
    let put = send(
        &fake,
        "PUT",
        &format!("/zones/{z}/dns_records/{id}"),
        json!({"type":"AAAA","name":"fresh","content":"2001:db8::51","proxied":true}),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.result()["id"], id.as_str());
    assert_eq!(put.result()["comment"], Value::Null);
    let one = get(&fake, &format!("/zones/{z}/dns_records/{id}")).await;
    assert_eq!(one.result()["type"], "AAAA");
    let deleted = call(
        &fake,
        Some(TOKEN),
        "DELETE",
        &format!("/zones/{z}/dns_records/{id}"),
        None,
    )
    .await;
    assert_eq!(deleted.result(), &json!({"id": id}));
    let gone = get(&fake, &format!("/zones/{z}/dns_records/{id}")).await;
    assert_eq!((gone.status, gone.code()), (404, 81044));
    assert_eq!(
        fake.current_snapshot().zones[0].dns_records.len() as u64,
        before
    );
}

#[tokio::test]
async fn batch_is_ordered_and_all_or_nothing() {
    let fake = start_small().await;
    let z = first_zone(&fake).await;
    let records = get(&fake, &format!("/zones/{z}/dns_records?per_page=5000"))
        .await
        .result()
        .clone();
    let a_records: Vec<&Value> = records
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "A")
        .collect();
    let (del, pat, put) = (
        a_records[0]["id"].clone(),
        a_records[1]["id"].clone(),
        a_records[2]["id"].clone(),
    );
    let count = records.as_array().unwrap().len();

    let failing = send(
        &fake,
        "POST",
        &format!("/zones/{z}/dns_records/batch"),
        json!({
            "deletes": [{"id": del}],
            "posts": [{"type": "A", "name": "batch-bad", "content": "not-an-ip"}],
        }),
    )
    .await;
    assert_eq!(failing.status, 400);
    assert_eq!(
        get(
            &fake,
            &format!("/zones/{z}/dns_records/{}", del.as_str().unwrap())
        )
        .await
        .status,
        200,
        "nothing applied"
    );

    let ok = send(&fake, "POST", &format!("/zones/{z}/dns_records/batch"), json!({
        "deletes": [{"id": del}],
        "patches": [{"id": pat, "comment": "patched in batch"}],
        "puts": [{"id": put, "type": "A", "name": "batch-put", "content": "192.0.2.77", "ttl": 600}],
        "posts": [{"type": "TXT", "name": "batch-post", "content": "\"hello\""}],
    })).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let r = ok.result();
    assert_eq!(r["deletes"][0]["id"], del);
    assert_eq!(r["patches"][0]["comment"], "patched in batch");
    assert_eq!(r["puts"][0]["content"], "192.0.2.77");
    assert_eq!(r["posts"][0]["type"], "TXT");
    let after = get(&fake, &format!("/zones/{z}/dns_records?per_page=5000")).await;
    assert_eq!(after.result().as_array().unwrap().len(), count);
}

#[tokio::test]
async fn settings_dnssec_bot_management_writes() {
    let fake = start_small().await;
    let z = first_zone(&fake).await;
    let bulk = get(&fake, &format!("/zones/{z}/settings")).await;
    assert!(bulk.result().as_array().unwrap().len() >= 40);
    let ssl = send(
        &fake,
        "PATCH",
        &format!("/zones/{z}/settings/ssl"),
        json!({"value": "strict"}),
    )
    .await;
    assert_eq!(ssl.status, 200, "{}", ssl.body);
    assert_eq!(
        get(&fake, &format!("/zones/{z}/settings/ssl"))
            .await
            .result()["value"],
        "strict"
    );
    let bulk = get(&fake, &format!("/zones/{z}/settings")).await;
    assert!(bulk
        .result()
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "ssl" && s["value"] == "strict"));
    let bad = send(
        &fake,
        "PATCH",
        &format!("/zones/{z}/settings/ssl"),
        json!({"value": "very-strict"}),
    )
    .await;
    assert_eq!((bad.status, bad.code()), (400, 1007));
    let missing = send(
        &fake,
        "PATCH",
        &format!("/zones/{z}/settings/ssl"),
        json!({}),
    )
    .await;
    assert_eq!(missing.status, 400);
    let unknown = send(
        &fake,
        "PATCH",
        &format!("/zones/{z}/settings/no_such_setting"),
        json!({"value": "on"}),
    )
    .await;
    assert_eq!((unknown.status, unknown.code()), (400, 1006));
    let locked = send(
        &fake,
        "PATCH",
        &format!("/zones/{z}/settings/advanced_ddos"),
        json!({"value": "off"}),
    )
    .await;
    assert_eq!((locked.status, locked.code()), (400, 1008));

    let d = send(
        &fake,
        "PATCH",
        &format!("/zones/{z}/dnssec"),
        json!({"status": "disabled", "dnssec_use_nsec3": true}),
    )
    .await;
    assert_eq!(d.status, 200, "{}", d.body);
    let d = get(&fake, &format!("/zones/{z}/dnssec")).await;
    assert_eq!(
        (
            d.result()["status"].as_str(),
            d.result()["dnssec_use_nsec3"].as_bool()
        ),
        (Some("disabled"), Some(true))
    );
    let d = send(
        &fake,
        "PATCH",
        &format!("/zones/{z}/dnssec"),
        json!({"status": "active"}),
    )
    .await;
    assert_eq!(d.result()["status"], "pending");
    assert_eq!(
        send(
            &fake,
            "PATCH",
            &format!("/zones/{z}/dnssec"),
            json!({"status": "on"})
        )
        .await
        .status,
        400
    );

    let b = send(
        &fake,
        "PUT",
        &format!("/zones/{z}/bot_management"),
        json!({"fight_mode": true, "enable_js": false}),
    )
    .await;
    assert_eq!(b.status, 200, "{}", b.body);
    let b = get(&fake, &format!("/zones/{z}/bot_management")).await;
    assert_eq!(
        (
            b.result()["fight_mode"].as_bool(),
            b.result()["enable_js"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(
        send(
            &fake,
            "PUT",
            &format!("/zones/{z}/bot_management"),
            json!({"fight_mode": "yes"})
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn ruleset_writes_bump_versions() {
    let fake = start_small().await;
    let z = first_zone(&fake).await;
    let ep = format!("/zones/{z}/rulesets/phases/http_request_firewall_custom/entrypoint");
    let before = get(&fake, &ep).await.result().clone();
    let v0: u64 = before["version"].as_str().unwrap().parse().unwrap();
    let rs = before["id"].as_str().unwrap().to_owned();

    let created = send(
        &fake,
        "POST",
        &format!("/zones/{z}/rulesets/{rs}/rules"),
        json!({"action":"block","expression":"ip.src eq 192.0.2.1","description":"one"}),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.result()["version"], (v0 + 1).to_string());
    let rules = created.result()["rules"].as_array().unwrap().clone();
    let new_rule = rules.last().unwrap().clone();
    assert_eq!(new_rule["enabled"], true);
    assert_eq!(new_rule["version"], "1");
    let rid = new_rule["id"].as_str().unwrap().to_owned();

    let first = send(
        &fake,
        "POST",
        &format!("/zones/{z}/rulesets/{rs}/rules"),
        json!({"action":"log","expression":"true","position":{"index":1}}),
    )
    .await;
    assert_eq!(first.result()["rules"][0]["action"], "log");

    let patched = send(
        &fake,
        "PATCH",
        &format!("/zones/{z}/rulesets/{rs}/rules/{rid}"),
        json!({"enabled": false}),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let rule = patched.result()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rid.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            rule["enabled"].as_bool(),
            rule["version"].as_str(),
            rule["action"].as_str()
        ),
        (Some(false), Some("2"), Some("block"))
    );
    assert_eq!(patched.result()["version"], (v0 + 3).to_string());

    let deleted = call(
        &fake,
        Some(TOKEN),
        "DELETE",
        &format!("/zones/{z}/rulesets/{rs}/rules/{rid}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, 200);
    assert!(!deleted.result()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == rid.as_str()));
    assert_eq!(
        get(&fake, &ep).await.result()["version"],
        (v0 + 4).to_string()
    );
    let missing = call(
        &fake,
        Some(TOKEN),
        "DELETE",
        &format!("/zones/{z}/rulesets/{rs}/rules/{rid}"),
        None,
    )
    .await;
    assert_eq!(missing.status, 404);

    let put = send(
        &fake,
        "PUT",
        &ep,
        json!({"rules": [{"action":"managed_challenge","expression":"cf.threat_score gt 5"}]}),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.result()["rules"].as_array().unwrap().len(), 1);
    assert_eq!(put.result()["version"], (v0 + 5).to_string());

    // A phase without an entrypoint: 404 with code 10003, then PUT creates it.
    let late = format!("/zones/{z}/rulesets/phases/http_request_late_transform/entrypoint");
    let miss = get(&fake, &late).await;
    assert_eq!((miss.status, miss.code()), (404, 10003));
    assert_eq!(
        miss.body["errors"][0]["message"],
        "could not find entrypoint ruleset in the http_request_late_transform phase"
    );
    let made = send(&fake, "PUT", &late, json!({"rules": []})).await;
    assert_eq!(
        (made.status, made.result()["kind"].as_str()),
        (200, Some("zone"))
    );
    assert_eq!(get(&fake, &late).await.status, 200);
    assert_eq!(
        get(
            &fake,
            &format!("/zones/{z}/rulesets/phases/not_a_phase/entrypoint")
        )
        .await
        .status,
        400
    );

    let bad = send(
        &fake,
        "PUT",
        &ep,
        json!({"rules": [{"action":"explode","expression":"true"}]}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body["errors"][0]["source"]["pointer"],
        "/rules/0/action"
    );
    let managed = send(
        &fake,
        "POST",
        &format!("/zones/{z}/rulesets/efb7b8c949ac4650a09736fc376e9aee/rules"),
        json!({"action":"block","expression":"true"}),
    )
    .await;
    assert_eq!(managed.status, 400);
    assert_eq!(
        get(
            &fake,
            &format!("/zones/{z}/rulesets/efb7b8c949ac4650a09736fc376e9aee")
        )
        .await
        .result()["kind"],
        "managed"
    );
    assert_eq!(
        get(&fake, &format!("/zones/{z}/rulesets/{rs}"))
            .await
            .result()["id"],
        rs.as_str()
    );
}

#[tokio::test]
async fn tunnels_and_lists() {
    let fake = start_small().await;
    let account = get(&fake, "/accounts").await.result()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tunnels = get(
        &fake,
        &format!("/accounts/{account}/cfd_tunnel?per_page=5000"),
    )
    .await;
    assert_eq!(tunnels.body["result_info"]["per_page"], 1000);
    assert_eq!(tunnels.result().as_array().unwrap().len(), 3);
    assert_eq!(
        get(
            &fake,
            &format!("/accounts/{account}/cfd_tunnel?is_deleted=true")
        )
        .await
        .result(),
        &json!([])
    );
    let t = tunnels.result()[0]["id"].as_str().unwrap().to_owned();
    let conf_path = format!("/accounts/{account}/cfd_tunnel/{t}/configurations");
    let before = get(&fake, &conf_path).await.result()["version"]
        .as_i64()
        .unwrap();
    let put = send(&fake, "PUT", &conf_path, json!({"config": {"ingress": [{"hostname": "x.example.com", "service": "http://localhost:1"}, {"service": "http_status:404"}]}})).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.result()["version"].as_i64(), Some(before + 1));
    assert_eq!(
        get(&fake, &conf_path).await.result()["config"]["ingress"][0]["hostname"],
        "x.example.com"
    );
    let no_catch_all = send(&fake, "PUT", &conf_path, json!({"config": {"ingress": [{"hostname": "x.example.com", "service": "http://localhost:1"}]}})).await;
    assert_eq!(no_catch_all.status, 400);
    let conns = get(
        &fake,
        &format!("/accounts/{account}/cfd_tunnel/{t}/connections"),
    )
    .await;
    assert!(conns.result().is_array());
    assert_eq!(
        get(
            &fake,
            &format!("/accounts/{account}/cfd_tunnel/00000000-0000-4000-8000-000000000000")
        )
        .await
        .status,
        404
    );

    let list = get(&fake, &format!("/accounts/{account}/rules/lists"))
        .await
        .result()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = format!("/accounts/{account}/rules/lists/{list}/items");
    let added = send(
        &fake,
        "POST",
        &items,
        json!([{"ip": "192.0.2.0/24", "comment": "new"}, {"ip": "2001:db8::/48"}]),
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let op = added.result()["operation_id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(
            &fake,
            &format!("/accounts/{account}/rules/lists/bulk_operations/{op}")
        )
        .await
        .result()["status"],
        "completed"
    );
    let all = get(&fake, &format!("{items}?per_page=500")).await;
    assert_eq!(all.result().as_array().unwrap().len(), 22);
    assert_eq!(
        get(&fake, &format!("/accounts/{account}/rules/lists/{list}"))
            .await
            .result()["num_items"],
        22
    );
    assert_eq!(
        send(&fake, "POST", &items, json!([{"ip": "10.0.0.0/2"}]))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn tokens_verify_and_details() {
    let fake = start(
        FakeConfig::new(fake_cloudflare::synthetic::account(1, 1, 1))
            .with_token(TokenSpec::all(TOKEN))
            .with_token(TokenSpec::with_permissions(
                "narrow-token",
                vec!["DNS Read".into(), "Cloudflare Tunnel Write".into()],
            )),
    )
    .await;
    let v = get(&fake, "/user/tokens/verify").await;
    assert_eq!(v.status, 200);
    assert_eq!(v.result()["status"], "active");
    let narrow = call(
        &fake,
        Some("narrow-token"),
        "GET",
        "/user/tokens/verify",
        None,
    )
    .await;
    let id = narrow.result()["id"].as_str().unwrap().to_owned();
    let account = get(&fake, "/accounts").await.result()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        call(
            &fake,
            Some("narrow-token"),
            "GET",
            &format!("/accounts/{account}/tokens/verify"),
            None
        )
        .await
        .status,
        200
    );
    let details = get(&fake, &format!("/user/tokens/{id}")).await;
    assert_eq!(details.status, 200, "{}", details.body);
    let policies = details.result()["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 2);
    assert_eq!(policies[0]["effect"], "allow");
    assert_eq!(
        policies[0]["resources"],
        json!({"com.cloudflare.api.account.zone.*": "*"})
    );
    assert_eq!(policies[0]["permission_groups"][0]["name"], "DNS Read");
    assert!(policies[1]["resources"]
        .get(format!("com.cloudflare.api.account.{account}"))
        .is_some());
    assert_eq!(
        get(&fake, &format!("/accounts/{account}/tokens/{id}"))
            .await
            .status,
        200
    );
    // The narrow token lacks API Tokens Read.
    assert_eq!(
        call(
            &fake,
            Some("narrow-token"),
            "GET",
            &format!("/user/tokens/{id}"),
            None
        )
        .await
        .status,
        403
    );
    let bad = call(&fake, Some("nope"), "GET", "/user/tokens/verify", None).await;
    assert_eq!((bad.status, bad.code()), (401, 1000));
}

#[tokio::test]
async fn errors_use_cloudflare_envelopes() {
    let fake = start_small().await;
    let none = call(&fake, None, "GET", "/zones", None).await;
    assert_eq!((none.status, none.code()), (400, 9106));
    assert_eq!(none.body["success"], false);
    assert_eq!(none.body["result"], Value::Null);
    let unknown = call(&fake, Some("who-is-this"), "GET", "/zones", None).await;
    assert_eq!((unknown.status, unknown.code()), (403, 9109));
    let route = get(&fake, "/no/such/thing").await;
    assert_eq!((route.status, route.code()), (404, 7000));
    let malformed = get(&fake, "/zones/not-an-id/dns_records").await;
    assert_eq!((malformed.status, malformed.code()), (400, 7003));
    assert_eq!(malformed.body["errors"][1]["code"], 7000);
    let absent = get(&fake, "/zones/0123456789abcdef0123456789abcdef").await;
    assert_eq!((absent.status, absent.code()), (404, 7003));
    let method = call(&fake, Some(TOKEN), "DELETE", "/zones", None).await;
    assert_eq!((method.status, method.code()), (405, 7001));
    let z = first_zone(&fake).await;
    let garbage = call(
        &fake,
        Some(TOKEN),
        "POST",
        &format!("/zones/{z}/dns_records"),
        None,
    )
    .await;
    assert_eq!(garbage.status, 400);
    let url = format!("{}/zones/{z}/dns_records", fake.base_url());
    let raw = client()
        .post(url)
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let body: Value = raw.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], 9207);
    let invalid = send(
        &fake,
        "POST",
        &format!("/zones/{z}/dns_records"),
        json!({"type":"A","name":"x","content":"999.1.1.1"}),
    )
    .await;
    assert_eq!((invalid.status, invalid.code()), (400, 1004));
    assert_eq!(invalid.body["errors"][0]["error_chain"][0]["code"], 9005);
    let header = client()
        .get(format!("{}/zones", fake.base_url()))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(header.status().as_u16(), 400);
    let body: Value = header.json().await.unwrap();
    assert_eq!(
        (
            body["errors"][0]["code"].as_i64(),
            body["errors"][0]["error_chain"][0]["code"].as_i64()
        ),
        (Some(6003), Some(6111))
    );
}

#[tokio::test]
async fn api_keys_authenticate_with_every_permission() {
    let mut cfg = FakeConfig::new(fake_cloudflare::synthetic::account(1, 3, 1));
    cfg.api_keys
        .push(fake_cloudflare::ApiKeySpec::parse("ops@example.com:0123456789abcdef").unwrap());
    let fake = start(cfg).await;
    let url = format!("{}/zones", fake.base_url());
    let ok = client()
        .get(&url)
        .header("x-auth-email", "ops@example.com")
        .header("x-auth-key", "0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let wrong = client()
        .get(&url)
        .header("x-auth-email", "ops@example.com")
        .header("x-auth-key", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 403);
    let half = client()
        .get(&url)
        .header("x-auth-email", "ops@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(half.status().as_u16(), 400);
    // With only API keys configured, the default token is not accepted.
    assert_eq!(
        call(
            &fake,
            Some(fake_cloudflare::DEFAULT_TOKEN),
            "GET",
            "/zones",
            None
        )
        .await
        .status,
        403
    );
    assert_eq!(fake.requests()[0].credential, "api-key#1");
}

#[tokio::test]
async fn graphql_shapes() {
    let fake = start_small().await;
    let zones = get(&fake, "/zones").await;
    let z = zones.result()[0]["id"].as_str().unwrap().to_owned();
    let query = "query Q($zoneTag: string, $since: Date!) { viewer { zones(filter: {zoneTag: $zoneTag}) { \
        daily: httpRequests1dGroups(limit: 7, filter: {date_geq: $since}) { dimensions { date } sum { requests threats } } \
        httpRequestsAdaptiveGroups(limit: 10) { count dimensions { clientCountryName edgeResponseStatus } } \
        firewallEventsAdaptiveGroups(limit: 50) { count dimensions { ruleId action } } \
        dnsAnalyticsAdaptiveGroups(limit: 10) { count dimensions { queryName queryType responseCode } } } } }";
    let body = json!({"query": query, "variables": {"zoneTag": z, "since": "2026-01-01"}});
    let a = call(&fake, Some(TOKEN), "POST", "/graphql", Some(body.clone())).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["errors"], Value::Null);
    let zone = &a.body["data"]["viewer"]["zones"][0];
    assert_eq!(zone["daily"].as_array().unwrap().len(), 7);
    assert!(zone["daily"][0]["sum"]["requests"].as_u64().unwrap() > 0);
    assert!(zone["daily"][0]["dimensions"]["date"].is_string());
    assert!(zone["httpRequestsAdaptiveGroups"][0]["count"].is_u64());
    let fw = zone["firewallEventsAdaptiveGroups"].as_array().unwrap();
    let rule_ids: Vec<&str> = fw
        .iter()
        .map(|r| r["dimensions"]["ruleId"].as_str().unwrap())
        .collect();
    let custom = get(
        &fake,
        &format!("/zones/{z}/rulesets/phases/http_request_firewall_custom/entrypoint"),
    )
    .await;
    assert!(rule_ids.contains(&custom.result()["rules"][0]["id"].as_str().unwrap()));
    assert!(zone["dnsAnalyticsAdaptiveGroups"][0]["dimensions"]["queryType"].is_string());
    // Deterministic.
    let again = call(&fake, Some(TOKEN), "POST", "/graphql", Some(body)).await;
    assert_eq!(again.body, a.body);
    // Unknown dataset.
    let unknown = call(&fake, Some(TOKEN), "POST", "/graphql", Some(json!({"query": format!("{{ viewer {{ zones(filter: {{zoneTag: \"{z}\"}}) {{ bogusGroups {{ count }} }} }} }}")}))).await;
    assert_eq!(unknown.body["data"], Value::Null);
    assert!(unknown.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("unknown field"));
    // Zone tags in the query text, several zones.
    let z2 = zones.result()[1]["id"].as_str().unwrap();
    let q = format!("{{ viewer {{ zones(filter: {{zoneTag_in: [\"{z}\", \"{z2}\"]}}) {{ httpRequests1dGroups(limit: 1) {{ sum {{ requests }} }} }} }} }}");
    let two = call(
        &fake,
        Some(TOKEN),
        "POST",
        "/graphql",
        Some(json!({"query": q})),
    )
    .await;
    assert_eq!(
        two.body["data"]["viewer"]["zones"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
