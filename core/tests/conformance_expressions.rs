//! Conformance of `cfcp::rules` against ../shared: the expression corpus (every labelled row must
//! get Cloudflare's verdict) and the field reference (the compiled-in scheme must match it).
//!
//! When ../shared is absent these tests say so loudly and pass: the project's own unit tests
//! cover the engine with fixtures it writes.

use std::path::Path;

use cfcp::rules::{field_type, ExpressionKind, ValidationResult, FIELDS};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/expressions-dev.jsonl"
);
const FIELDS_TSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/cloudflare/fields.tsv"
);

fn read(path: &str) -> Option<String> {
    if !Path::new(path).exists() {
        eprintln!("CONFORMANCE SKIPPED: {path} is absent (../shared is not beside this checkout)");
        return None;
    }
    Some(std::fs::read_to_string(path).expect("readable reference file"))
}

#[test]
fn expression_corpus_verdicts_match_cloudflare() {
    let Some(text) = read(CORPUS) else { return };
    let mut agreed = 0;
    let mut labelled = 0;
    let mut failures = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{CORPUS}:{}: not JSON: {e}", line_no + 1));
        let Some(expected) = row["expected_valid"].as_bool() else {
            continue;
        };
        labelled += 1;
        let expression = row["expression"].as_str().expect("expression");
        let kind: ExpressionKind =
            serde_json::from_value(row["kind"].clone()).expect("kind is filter or value");
        let result = ValidationResult::of(expression, kind);
        if result.valid == expected {
            agreed += 1;
        } else {
            failures.push(format!(
                "{} (line {}): expected valid={expected}, got {:?}\n    {}",
                row["id"],
                line_no + 1,
                result.error,
                expression.chars().take(200).collect::<String>()
            ));
        }
    }
    eprintln!(
        "expression corpus: {agreed}/{labelled} labelled rows agree with Cloudflare's verdict"
    );
    assert!(labelled > 100, "the corpus should have labelled rows");
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
}

#[test]
fn invalid_corpus_rows_have_located_errors() {
    let Some(text) = read(CORPUS) else { return };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        if row["expected_valid"].as_bool() != Some(false) {
            continue;
        }
        let expression = row["expression"].as_str().unwrap();
        let err = cfcp::rules::parse_filter(expression).unwrap_err();
        assert!(
            err.offset <= expression.len(),
            "{}: offset out of range",
            row["id"]
        );
        let picture = err.render(expression);
        assert_eq!(picture.lines().count(), 2, "{}: {picture}", row["id"]);
        assert!(picture.contains('^'));
    }
}

#[test]
fn field_scheme_matches_cloudflare_reference() {
    let Some(text) = read(FIELDS_TSV) else { return };
    let mut lines = text.lines();
    assert_eq!(
        lines.next().map(|h| h.split('\t').next()),
        Some(Some("name"))
    );
    let mut reference = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let mut columns = line.split('\t');
        let name = columns.next().unwrap().to_owned();
        let ty = columns.next().unwrap_or("").trim().to_owned();
        reference.push((name, ty));
    }
    let ours: Vec<(String, String)> = FIELDS
        .iter()
        .map(|(name, ty)| ((*name).to_owned(), ty.to_string()))
        .collect();
    for (name, ty) in &reference {
        let found = field_type(name).map(|t| t.to_string());
        assert_eq!(found.as_deref(), Some(ty.as_str()), "field {name}");
    }
    assert_eq!(
        ours, reference,
        "FIELDS must list the reference's fields in its order"
    );
}
