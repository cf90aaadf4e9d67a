//! Threat intel → proposals, end to end: feed fixtures (hand-written, in tests/data/intel/) are
//! parsed, normalised against the demo snapshot and turned into proposals whose rule expression
//! the Rules-language engine accepts and whose HCL parses back with `hcl-rs`.

use cfcp::intel::propose::FeedSummary;
use cfcp::intel::{
    normalise, parse_feed, propose, DropReason, FeedFormat, NormaliseOptions, ParsedFeed, Proposal,
    ProposeOptions,
};
use cfcp::snapshot::{Field, Snapshot};
use hcl::{Block, Body, Expression};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2026-11-01 12:00 UTC);

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/intel/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn nets(proposal: &Proposal) -> Vec<String> {
    proposal
        .items_payload
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ip"].as_str().unwrap().to_string())
        .collect()
}

/// The block `resource "<kind>" "<name>"`.
fn resource<'a>(body: &'a Body, kind: &str) -> &'a Block {
    body.blocks()
        .find(|b| {
            b.identifier() == "resource" && b.labels().first().map(|l| l.as_str()) == Some(kind)
        })
        .unwrap_or_else(|| panic!("no resource {kind}"))
}

fn attribute<'a>(block: &'a Block, key: &str) -> &'a Expression {
    block
        .body()
        .attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr())
        .unwrap_or_else(|| panic!("no attribute {key}"))
}

fn string(expr: &Expression) -> &str {
    match expr {
        Expression::String(s) => s,
        other => panic!("not a plain string: {other:?}"),
    }
}

fn array(expr: &Expression) -> &[Expression] {
    match expr {
        Expression::Array(items) => items,
        other => panic!("not an array: {other:?}"),
    }
}

fn object_string<'a>(expr: &'a Expression, key: &str) -> &'a str {
    let Expression::Object(object) = expr else {
        panic!("not an object: {expr:?}")
    };
    object
        .iter()
        .find(|(k, _)| k.to_string() == key)
        .map(|(_, v)| string(v))
        .unwrap_or_else(|| panic!("no {key} in {expr:?}"))
}

/// What every proposal must satisfy: a valid list name, an expression the engine accepts, and
/// HCL that parses back with the list's items and the zone's rules in it.
fn assert_valid(proposal: &Proposal, zone_rules_before: usize) -> Body {
    let expression = proposal.rule_payload["expression"].as_str().unwrap();
    let filter = cfcp::rules::parse_filter(expression).expect("the engine accepts the rule");
    assert_eq!(
        filter.lists().iter().map(|l| l.name()).collect::<Vec<_>>(),
        std::slice::from_ref(&proposal.list_name)
    );
    assert!(proposal
        .list_name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));

    let body: Body = hcl::from_str(&proposal.hcl)
        .unwrap_or_else(|e| panic!("HCL does not parse: {e}\n{}", proposal.hcl));
    let list = resource(&body, "cloudflare_list");
    assert_eq!(string(attribute(list, "name")), proposal.list_name);
    assert_eq!(string(attribute(list, "kind")), "ip");
    let items = array(attribute(list, "items"));
    let hcl_ips: Vec<&str> = items.iter().map(|i| object_string(i, "ip")).collect();
    assert_eq!(hcl_ips, nets(proposal));

    if let Some(entrypoint) = &proposal.entrypoint_payload {
        let rules = entrypoint["rules"].as_array().unwrap();
        assert_eq!(rules.len(), zone_rules_before + 1);
        let ruleset = resource(&body, "cloudflare_ruleset");
        assert_eq!(
            string(attribute(ruleset, "phase")),
            "http_request_firewall_custom"
        );
        assert_eq!(string(attribute(ruleset, "kind")), "zone");
        let hcl_rules = array(attribute(ruleset, "rules"));
        assert_eq!(hcl_rules.len(), rules.len());
        let position = proposal.rule_position.unwrap();
        assert_eq!(
            object_string(&hcl_rules[position], "expression"),
            expression
        );
        assert_eq!(
            object_string(&hcl_rules[position], "action"),
            proposal.rule_payload["action"].as_str().unwrap()
        );
        // Every existing rule's expression is kept, in order.
        let expressions: Vec<&str> = hcl_rules
            .iter()
            .map(|r| object_string(r, "expression"))
            .collect();
        let api: Vec<&str> = rules
            .iter()
            .map(|r| r["expression"].as_str().unwrap())
            .collect();
        assert_eq!(expressions, api);
    }
    body
}

fn run(
    format: FeedFormat,
    file: &str,
    snapshot: &Snapshot,
    zone: Option<&str>,
) -> (ParsedFeed, cfcp::intel::Normalised, Proposal) {
    let feed = parse_feed(format, &fixture(file), NOW);
    let normalised = normalise(
        &feed.indicators,
        snapshot,
        zone,
        &NormaliseOptions::default(),
    );
    let mut options = ProposeOptions::new(ProposeOptions::default_list_name(format));
    options.feed = Some(FeedSummary::of(&feed, Some(file)));
    let proposal = propose(&normalised, snapshot, zone, &options).unwrap();
    (feed, normalised, proposal)
}

fn custom_rules(snapshot: &Snapshot, zone: &str) -> usize {
    snapshot
        .zone(zone)
        .and_then(|z| z.ruleset(&cfcp::snapshot::Phase::HttpRequestFirewallCustom))
        .map_or(0, |r| r.rules.len())
}

#[test]
fn stix_bundle_gives_a_valid_proposal() {
    let demo = cfcp::snapshot::demo();
    let (feed, normalised, proposal) = run(
        FeedFormat::Stix,
        "stix_bundle.json",
        &demo,
        Some("acme-api.io"),
    );

    // Parsing: expired, revoked, not-yet-valid, non-STIX and hash comparisons skipped; AND rejected.
    assert_eq!(feed.indicators.len(), 9, "{:#?}", feed.indicators);
    assert_eq!(feed.skipped, 5);
    assert_eq!(feed.skip_reasons["expired (valid_until)"], 1);
    assert_eq!(feed.skip_reasons["revoked"], 1);
    assert_eq!(feed.skip_reasons["not yet valid (valid_from)"], 1);
    assert_eq!(feed.skip_reasons["pattern_type sigma"], 1);
    assert_eq!(
        feed.skip_reasons["unsupported observable file:hashes.'SHA-256'"],
        1
    );
    assert_eq!(feed.error_count, 1);
    assert!(feed.errors[0].message.contains("indicator--6b9d2c1a"));
    assert!(feed.errors[0].message.contains("AND"));
    let text = fixture("stix_bundle.json");
    let expected_line = text
        .lines()
        .position(|l| l.contains("indicator--6b9d2c1a"))
        .unwrap()
        + 1;
    assert_eq!(feed.errors[0].line, expected_line);
    let expired = feed
        .indicators
        .iter()
        .any(|i| i.value.to_string() == "185.220.101.4");
    assert!(!expired, "an expired indicator was used");
    assert_eq!(feed.counts_by_kind()["domain"], 1);
    assert_eq!(feed.counts_by_kind()["url"], 1);

    // Normalising: documentation and Cloudflare addresses dropped, the two /25s aggregated.
    assert_eq!(
        nets(&proposal),
        [
            "45.155.205.0/24",
            "91.92.109.14",
            "194.26.29.0/24",
            "2a0e:1c80:7::/48"
        ]
    );
    let reasons: Vec<DropReason> = normalised.dropped.iter().map(|d| d.reason).collect();
    assert_eq!(reasons, [DropReason::Documentation, DropReason::Cloudflare]);
    assert_eq!(normalised.stats.non_ip["domain"], 1);
    assert_eq!(
        proposal.items_payload[1]["comment"],
        "Cobalt Strike team server"
    );
    assert_eq!(
        proposal.items_payload[0]["comment"],
        "Bulletproof hosting ranges (+1 aggregated)"
    );

    // The proposal: the rule goes first on acme-api.io (no IP allowlist before it).
    assert_eq!(proposal.rule_position, Some(0));
    assert_eq!(proposal.list_payload["name"], "stix_indicators");
    assert_eq!(proposal.list_payload["kind"], "ip");
    assert_eq!(proposal.rule_payload["action"], "block");
    assert_eq!(proposal.rule_payload["enabled"], true);
    let body = assert_valid(&proposal, custom_rules(&demo, "acme-api.io"));
    let import = body
        .blocks()
        .find(|b| b.identifier() == "import")
        .expect("import block");
    assert!(string(attribute(import, "id")).starts_with("zones/"));
    assert!(proposal
        .summary_markdown
        .contains("| **new list items** | **4**"));
    assert!(proposal
        .summary_markdown
        .contains("| bad lines (reported with line numbers) | 1 |"));
}

#[test]
fn spamhaus_drop_text_gives_a_valid_proposal() {
    let demo = cfcp::snapshot::demo();
    let (feed, normalised, proposal) = run(
        FeedFormat::SpamhausDrop,
        "spamhaus_drop.txt",
        &demo,
        Some("acme-shop.com"),
    );
    assert_eq!(feed.indicators.len(), 13);
    assert_eq!(feed.error_count, 1);
    assert_eq!(feed.errors[0].line, 12);
    assert_eq!(
        feed.errors[0].text,
        "<html><body>503 Service Unavailable</body></html>"
    );
    assert_eq!(
        nets(&proposal),
        [
            "1.10.16.0/20",
            "1.19.0.0/16",
            "1.32.128.0/18",
            "2.56.192.0/22",
            "2.57.122.0/24",
            "5.134.128.0/19",
            "5.183.60.0/22",
            "23.151.228.0/24",
            "31.24.81.0/24",
            "45.155.205.0/24",
            "91.92.109.0/24"
        ]
    );
    assert_eq!(normalised.dropped.len(), 1);
    assert_eq!(normalised.dropped[0].reason, DropReason::Private);
    assert_eq!(normalised.dropped[0].line, 17);
    assert_eq!(normalised.stats.aggregated_from, 12);
    assert_eq!(normalised.stats.aggregated_to, 11);
    assert_eq!(proposal.items_payload[0]["comment"], "SBL256894");
    // acme-shop.com starts with a skip rule on ip.src: the block rule goes after it.
    assert_eq!(proposal.rule_position, Some(1));
    assert_valid(&proposal, custom_rules(&demo, "acme-shop.com"));
    assert_eq!(
        proposal.requests[0].path,
        "/accounts/d5bd6a0dc435e1bb3c3719751b5143ba/rules/lists"
    );
    assert!(proposal.requests[1]
        .path
        .ends_with("/rules/lists/{list_id}/items"));
    assert!(proposal.requests[2].path.starts_with("/zones/"));
}

#[test]
fn spamhaus_drop_json_lines_and_the_zone_without_rulesets() {
    let demo = cfcp::snapshot::demo();
    let (feed, _, proposal) = run(
        FeedFormat::SpamhausDrop,
        "spamhaus_drop.jsonl",
        &demo,
        Some("acme-internal.net"),
    );
    assert_eq!(feed.indicators.len(), 5);
    assert_eq!(feed.skip_reasons["metadata"], 1);
    assert_eq!(feed.error_count, 0);
    assert_eq!(proposal.rule_position, Some(0));
    let body = assert_valid(&proposal, 0);
    // No entrypoint yet: nothing to import.
    assert!(body.blocks().all(|b| b.identifier() != "import"));
    assert!(nets(&proposal).contains(&"2a06:5280::/29".to_string()));
}

#[test]
fn other_formats_give_valid_proposals() {
    let demo = cfcp::snapshot::demo();
    let (feed, _, proposal) = run(
        FeedFormat::Tor,
        "tor_exit_addresses.txt",
        &demo,
        Some("acme-api.io"),
    );
    assert_eq!(feed.indicators.len(), 3);
    assert_eq!(
        nets(&proposal),
        ["162.247.74.201", "185.220.101.33", "185.220.101.34"]
    );
    assert_valid(&proposal, custom_rules(&demo, "acme-api.io"));
    let (_, _, proposal) = run(FeedFormat::Feodo, "feodo_ipblocklist.csv", &demo, None);
    assert_eq!(proposal.items_payload.as_array().unwrap().len(), 3);
    assert!(proposal.entrypoint_payload.is_none());
    assert_valid(&proposal, 0);
}

#[test]
fn what_the_zone_already_blocks_is_left_out() {
    let mut snapshot = cfcp::snapshot::demo();
    // Put real-looking public networks in the demo's blocklist, which acme-api.io blocks with
    // `(ip.src in $acme_blocklist)` and acme-shop.com too.
    let items = &mut snapshot.accounts[0].lists[0].items;
    items[0].ip = Field::Value("45.155.205.0/23".to_string());
    items[1].ip = Field::Value("1.10.16.7".to_string());
    let (_, normalised, proposal) = run(
        FeedFormat::SpamhausDrop,
        "spamhaus_drop.txt",
        &snapshot,
        Some("acme-api.io"),
    );
    // 45.155.205.0/24 sits inside 45.155.205.0/23; 1.10.16.0/20 only partly covered: kept.
    assert_eq!(normalised.covered, 1);
    assert!(!nets(&proposal).contains(&"45.155.205.0/24".to_string()));
    assert!(nets(&proposal).contains(&"1.10.16.0/20".to_string()));
    assert!(normalised.covered_by[0].contains("$acme_blocklist"));
    assert!(proposal
        .summary_markdown
        .contains("| already blocked by the zone | 1 |"));

    // A disabled rule does not count.
    let zone = snapshot
        .zones
        .iter_mut()
        .find(|z| z.zone.name == "acme-api.io")
        .unwrap();
    for ruleset in &mut zone.rulesets {
        for rule in &mut ruleset.rules {
            if rule.expression.as_deref() == Some("(ip.src in $acme_blocklist)") {
                rule.enabled = Field::Value(false);
            }
        }
    }
    let feed = parse_feed(FeedFormat::SpamhausDrop, &fixture("spamhaus_drop.txt"), NOW);
    let normalised = normalise(
        &feed.indicators,
        &snapshot,
        Some("acme-api.io"),
        &NormaliseOptions::default(),
    );
    assert_eq!(normalised.covered, 0);
}

#[test]
fn garbage_lines_are_counted_with_line_numbers() {
    let text = "45.155.205.7\n\u{0}\u{0}\u{0}\nGET / HTTP/1.1\n\n91.92.109.0/24\n1.2.3\n";
    let feed = parse_feed(FeedFormat::Plain, text, NOW);
    assert_eq!(feed.indicators.len(), 2);
    assert_eq!(feed.error_count, 3);
    let lines: Vec<usize> = feed.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 3, 6]);
    // Every format survives garbage without panicking.
    let garbage = "\u{feff}{\"x\": [1, 2\n,,,\"\n\u{0}\nExitNode\n[ipv4-addr:value = \n";
    for format in FeedFormat::ALL {
        let feed = parse_feed(format, garbage, NOW);
        assert!(feed.error_count > 0, "{format}");
        assert!(feed.indicators.is_empty(), "{format}");
    }
}

#[test]
fn expired_stix_indicators_depend_on_now() {
    let text = fixture("stix_bundle.json");
    let before = parse_feed(FeedFormat::Stix, &text, datetime!(2026-08-15 00:00 UTC));
    let after = parse_feed(FeedFormat::Stix, &text, NOW);
    let has = |feed: &ParsedFeed| {
        feed.indicators
            .iter()
            .any(|i| i.value.to_string() == "185.220.101.4")
    };
    assert!(has(&before));
    assert!(!has(&after));
    // In August the October indicators were not valid yet.
    assert!(before.skip_reasons["not yet valid (valid_from)"] >= 5);
}

#[test]
fn two_halves_aggregate_into_one() {
    let feed = parse_feed(
        FeedFormat::Plain,
        "23.151.228.128/25\n23.151.228.0/25\n",
        NOW,
    );
    let out = normalise(
        &feed.indicators,
        &cfcp::snapshot::demo(),
        None,
        &NormaliseOptions::default(),
    );
    assert_eq!(out.nets(), ["23.151.228.0/24".parse().unwrap()]);
    assert_eq!(out.items[0].sources, 2);
}

/// A 100,000-line feed: 49,950 pairs of /25 halves of distinct, non-adjacent /24s (the halves far
/// apart in the file) and 100 garbage lines. Checks results, not time; prints the time taken
/// (run with `--release -- --nocapture` for the figure).
#[test]
fn a_100k_line_feed_aggregates() {
    const PAIRS: u32 = 49_950;
    let base: u32 = 20 << 24;
    let mut lines: Vec<String> = Vec::with_capacity(100_000);
    let slash24 = |k: u32| std::net::Ipv4Addr::from(base + (k * 3) * 256);
    for k in 0..PAIRS {
        lines.push(format!("{}/25", slash24(k)));
    }
    for k in (0..PAIRS).rev() {
        lines.push(format!(
            "{}/25",
            std::net::Ipv4Addr::from(u32::from(slash24(k)) + 128)
        ));
    }
    for i in 0..100 {
        lines.insert(i * 1000 + 500, format!("garbage line {i}"));
    }
    assert_eq!(lines.len(), 100_000);
    let text = lines.join("\n");

    let started = std::time::Instant::now();
    let feed = parse_feed(FeedFormat::Plain, &text, NOW);
    let out = normalise(
        &feed.indicators,
        &cfcp::snapshot::demo(),
        None,
        &NormaliseOptions {
            max_items: Some(100_000),
            ..NormaliseOptions::default()
        },
    );
    let elapsed = started.elapsed();
    println!("parse + normalise of 100,000 lines: {elapsed:?}");

    assert_eq!(feed.indicators.len(), 99_900);
    assert_eq!(feed.error_count, 100);
    assert_eq!(feed.errors[0].line, 501);
    assert_eq!(out.stats.aggregated_from, 99_900);
    assert_eq!(out.items.len(), PAIRS as usize);
    assert!(out
        .items
        .iter()
        .all(|i| i.net.prefix_len() == 24 && i.sources == 2));
    assert_eq!(out.items[0].net.to_string(), "20.0.0.0/24");
    assert_eq!(out.items[1].net.to_string(), "20.0.3.0/24");

    // With the default budget (10,000 less the demo's 6 items) the rest is reported truncated.
    let limited = normalise(
        &feed.indicators,
        &cfcp::snapshot::demo(),
        None,
        &NormaliseOptions::default(),
    );
    assert_eq!(limited.items.len(), 9_994);
    assert_eq!(limited.truncated, PAIRS as usize - 9_994);
}
