use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn minimal() -> Value {
    json!({
        "format": "cfcp.snapshot/v1",
        "taken_at": "2026-11-01T12:00:00Z",
        "source": {"kind": "api", "detail": "https://api.cloudflare.com/client/v4"},
        "accounts": [],
        "zones": [{
            "zone": {"id": "023e105f4ecef8ad9ca31a8372d0c353", "name": "example.com", "status": "active"},
            "settings": [{"id": "ssl", "value": "strict", "editable": true, "modified_on": null}],
            "dns_records": [
                {"id": "1", "name": "example.com", "type": "A", "content": "192.0.2.1", "proxied": true, "ttl": 1, "comment": null},
                {"id": "2", "name": "example.com", "type": "CAA", "content": "0 issue \"letsencrypt.org\"",
                 "data": {"flags": 0, "tag": "issue", "value": "letsencrypt.org"}, "ttl": 3600}
            ],
            "dnssec": null,
            "rulesets": [],
            "bot_management": null
        }],
        "gaps": [{"zone": "example.com", "account": null, "section": "dnssec", "reason": "403 Authentication error (code 10000)"}]
    })
}

fn load(value: &Value) -> Result<Snapshot> {
    Snapshot::from_json_str(&serde_json::to_string_pretty(value).unwrap())
}

fn schema_error_of(value: &Value) -> (String, String, usize) {
    match load(value) {
        Err(Error::SnapshotSchema {
            path,
            message,
            line,
            ..
        }) => (path, message, line),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn round_trips_to_an_equal_value() {
    let value = minimal();
    let snapshot = load(&value).unwrap();
    assert_eq!(snapshot.to_value(), value);
    assert_eq!(
        serde_json::from_str::<Value>(&snapshot.to_json_pretty()).unwrap(),
        value
    );
}

#[test]
fn keeps_unknown_fields_at_every_level() {
    let mut value = minimal();
    value["future_top_level"] = json!({"x": 1});
    value["zones"][0]["zone"]["cname_suffix"] = json!("cdn.example.net");
    value["zones"][0]["dns_records"][0]["settings"] = json!({"ipv4_only": true});
    value["zones"][0]["future_section"] = json!([1, 2, 3]);
    value["source"]["cfcp_version"] = json!("0.1.0");
    let snapshot = load(&value).unwrap();
    assert_eq!(snapshot.to_value(), value);
}

#[test]
fn dns_records_write_back_byte_for_byte() {
    let mut value = minimal();
    value["zones"][0]["dns_records"][0]["data"] = json!({"flags": 0, "tag": "issue", "value": "ca.example", "x": [1.5, null, {"é": "\"q\""}]});
    value["zones"][0]["dns_records"][0]["meta"] =
        json!({"auto_added": false, "nested": {"z": [], "a": {}}});
    value["zones"][0]["dns_records"][0]["created_on"] = json!("2026-01-01T00:00:00Z");
    let text = load(&value).unwrap().to_json_pretty();
    let again = Snapshot::from_json_str(&text).unwrap();
    assert_eq!(again.to_json_pretty(), text);
    // Members kept as compact text are written exactly as the values they stand for.
    let mut expected = serde_json::to_string_pretty(&again.to_value()).unwrap();
    expected.push('\n');
    assert_eq!(text, expected);
    let record = &again.zones[0].dns_records[0];
    assert_eq!(record.data.get().unwrap().get("tag"), Some(json!("issue")));
    assert_eq!(
        record.extra.get("meta"),
        Some(value["zones"][0]["dns_records"][0]["meta"].clone())
    );
}

#[test]
fn a_dns_record_stays_small() {
    // A snapshot holds millions of records: every 8 bytes here is 8 MB per million.
    assert!(
        std::mem::size_of::<DnsRecord>() <= 232,
        "{}",
        std::mem::size_of::<DnsRecord>()
    );
}

#[test]
fn null_and_absent_stay_distinct() {
    let value = minimal();
    let snapshot = load(&value).unwrap();
    let zone = &snapshot.zones[0];
    assert_eq!(zone.dns_records[0].comment, Field::Null);
    assert_eq!(zone.dns_records[1].comment, Field::Absent);
    assert_eq!(zone.settings[0].modified_on, Field::Null);
}

#[test]
fn unknown_record_types_and_enum_values_load_and_round_trip() {
    let mut value = minimal();
    value["zones"][0]["dns_records"][0]["type"] = json!("DNAME");
    value["zones"][0]["zone"]["status"] = json!("read only");
    value["source"]["kind"] = json!("pulumi-state");
    value["zones"][0]["rulesets"] = json!([{"id": "r", "kind": "zone", "phase": "http_request_quantum",
        "rules": [{"id": "x", "action": "teleport", "expression": "true"}]}]);
    let snapshot = load(&value).unwrap();
    let zone = &snapshot.zones[0];
    assert_eq!(
        zone.dns_records[0].record_type,
        RecordType::Other("DNAME".into())
    );
    assert_eq!(
        zone.zone.status.get(),
        Some(&ZoneStatus::Other("read only".into()))
    );
    assert_eq!(
        snapshot.source.kind,
        SourceKind::Other("pulumi-state".into())
    );
    assert_eq!(
        zone.rulesets[0].rules[0].action.get(),
        Some(&RuleAction::Other("teleport".into()))
    );
    assert_eq!(snapshot.to_value(), value);
}

#[test]
fn every_known_record_type_parses_to_its_variant() {
    for name in RecordType::KNOWN {
        let parsed = RecordType::from(*name);
        assert!(!matches!(parsed, RecordType::Other(_)), "{name}");
        assert_eq!(parsed.as_str(), *name);
    }
}

#[test]
fn wrong_type_names_the_json_path_and_line() {
    let mut value = minimal();
    value["zones"][0]["dns_records"][1]["ttl"] = json!("3600");
    let (path, message, line) = schema_error_of(&value);
    assert_eq!(path, "zones[0].dns_records[1].ttl");
    assert!(message.starts_with("expected integer"), "{message}");
    assert!(line > 1);
    let text = load(&value).unwrap_err().to_string();
    assert!(
        text.starts_with("zones[0].dns_records[1].ttl: expected integer"),
        "{text}"
    );
}

#[test]
fn missing_required_member_names_its_parent() {
    let mut value = minimal();
    value["zones"][0]["dns_records"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let (path, message, _) = schema_error_of(&value);
    assert_eq!(path, "zones[0].dns_records[0]");
    assert!(message.contains("missing field `name`"), "{message}");
}

#[test]
fn bad_timestamp_is_reported_at_taken_at() {
    let mut value = minimal();
    value["taken_at"] = json!("yesterday");
    let (path, message, _) = schema_error_of(&value);
    assert_eq!(path, "taken_at");
    assert!(message.contains("RFC 3339"), "{message}");
}

#[test]
fn unknown_format_is_a_clear_error() {
    let mut value = minimal();
    value["format"] = json!("cfcp.snapshot/v9");
    let err = load(&value).unwrap_err();
    assert!(matches!(err, Error::UnsupportedFormat { .. }), "{err:?}");
    assert!(err.to_string().contains("cfcp.snapshot/v9"));
    assert!(err.to_string().contains(FORMAT_V1));
}

#[test]
fn missing_format_says_it_is_not_a_snapshot() {
    let mut value = minimal();
    value.as_object_mut().unwrap().remove("format");
    assert!(matches!(load(&value), Err(Error::NotASnapshot { .. })));
}

#[test]
fn truncated_json_is_a_syntax_error_with_position() {
    let text = serde_json::to_string_pretty(&minimal()).unwrap();
    let cut = &text[..text.len() / 2];
    match Snapshot::from_json_str(cut) {
        Err(Error::JsonSyntax { line, .. }) => assert!(line > 1),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn non_object_top_level_is_rejected() {
    assert!(matches!(
        Snapshot::from_json_str("[1,2]"),
        Err(Error::SnapshotSchema { .. })
    ));
    assert!(matches!(
        Snapshot::from_json_str(""),
        Err(Error::JsonSyntax { .. })
    ));
    assert!(matches!(
        Snapshot::from_json_slice(b"\xff\xfe"),
        Err(Error::JsonSyntax { .. })
    ));
}

#[test]
fn trailing_garbage_is_rejected() {
    let text = format!("{} x", serde_json::to_string(&minimal()).unwrap());
    assert!(matches!(
        Snapshot::from_json_str(&text),
        Err(Error::JsonSyntax { .. })
    ));
}

#[test]
fn stats_count_sections() {
    let snapshot = load(&minimal()).unwrap();
    let stats = snapshot.stats();
    assert_eq!((stats.zones, stats.dns_records, stats.gaps), (1, 2, 1));
}

#[test]
fn content_differences_ignore_time_and_source_only() {
    let a = load(&minimal()).unwrap();
    let mut changed = minimal();
    changed["taken_at"] = json!("2027-01-01T00:00:00Z");
    changed["source"] = json!({"kind": "file"});
    assert!(a.content_differences(&load(&changed).unwrap()).is_empty());
    changed["zones"][0]["dns_records"][1]["ttl"] = json!(60);
    let diffs = a.content_differences(&load(&changed).unwrap());
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].path, "zones[0].dns_records[1].ttl");
}

#[test]
fn ingress_catch_all_detection() {
    let rule = |v: Value| serde_json::from_value::<IngressRule>(v).unwrap();
    assert!(rule(json!({"service": "http_status:404"})).is_catch_all());
    assert!(
        !rule(json!({"hostname": "a.example.com", "service": "http://localhost"})).is_catch_all()
    );
    assert!(!rule(json!({"path": "^/api", "service": "http://localhost"})).is_catch_all());
}

fn arb_json(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9 ._-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_record() -> impl Strategy<Value = Value> {
    (
        "[a-z]{1,10}\\.example\\.com",
        prop::sample::select(vec![
            "A", "AAAA", "CNAME", "TXT", "CAA", "SRV", "HTTPS", "SVCB", "TLSA", "URI", "NEWTYPE",
        ]),
        prop::option::of(any::<u32>()),
        prop::option::of(any::<bool>()),
        prop::option::of("[ -~]{0,30}"),
        prop::collection::btree_map("[a-z_]{1,8}", arb_json(2), 0..3),
        prop::option::of(arb_json(2)),
    )
        .prop_map(|(name, kind, ttl, proxied, comment, extra, data)| {
            let mut record = serde_json::Map::new();
            for (k, v) in extra {
                record.insert(format!("x_{k}"), v);
            }
            record.insert("name".into(), json!(name));
            record.insert("type".into(), json!(kind));
            if let Some(ttl) = ttl {
                record.insert("ttl".into(), json!(ttl));
            }
            if let Some(proxied) = proxied {
                record.insert("proxied".into(), json!(proxied));
            }
            record.insert("comment".into(), comment.map_or(Value::Null, Value::from));
            if let Some(data) = data {
                record.insert("data".into(), data);
            }
            Value::Object(record)
        })
}

proptest! {
    #[test]
    fn any_valid_snapshot_round_trips(records in prop::collection::vec(arb_record(), 0..8),
                                      extra in arb_json(3)) {
        let mut value = minimal();
        value["zones"][0]["dns_records"] = Value::Array(records);
        value["zones"][0]["zone"]["x_extra"] = extra;
        let snapshot = load(&value).unwrap();
        prop_assert_eq!(snapshot.to_value(), value);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = Snapshot::from_json_str(&text);
    }

    #[test]
    fn corrupting_a_valid_document_never_panics(cut in 0usize..2000, byte in any::<u8>()) {
        let mut bytes = serde_json::to_vec_pretty(&minimal()).unwrap();
        let at = cut % bytes.len();
        bytes[at] = byte;
        let _ = Snapshot::from_json_slice(&bytes);
    }
}
