//! Conformance of Layer0 against ../shared/corpus/layer0-dev.jsonl: every labelled row is
//! classified and routed by the default Cedar policy; the figures the acceptance criteria name
//! are printed and asserted (route accuracy ≥ 97 %, block recall ≥ 98 %, false blocks ≤ 1 %).
//!
//! When ../shared is absent these tests say so loudly and pass: the project's own labelled rows
//! (tests/data/layer0-own.jsonl, written independently of the corpus) still run below.

use std::path::Path;

use cfcp::layer0::engine::evaluate_rows;
use cfcp::layer0::Layer0;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/layer0-dev.jsonl"
);
const OWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/layer0-own.jsonl");

fn assert_acceptance(name: &str, text: &str) {
    let (report, _) = evaluate_rows(text, &Layer0::default(), None).expect("well-formed rows");
    println!("== {name}\n{}", report.render());
    for (id, missing, extra) in &report.misflagged {
        println!("misflagged {id}: missing {missing:?} extra {extra:?}");
    }
    assert!(
        report.accuracy() >= 0.97,
        "{name}: route accuracy {:.4} < 0.97",
        report.accuracy()
    );
    assert!(
        report.block_recall() >= 0.98,
        "{name}: block recall {:.4} < 0.98",
        report.block_recall()
    );
    assert!(
        report.false_block_rate() <= 0.01,
        "{name}: false-block rate {:.4} > 0.01",
        report.false_block_rate()
    );
}

#[test]
fn dev_corpus_meets_the_acceptance_figures() {
    if !Path::new(CORPUS).exists() {
        eprintln!(
            "CONFORMANCE SKIPPED: {CORPUS} is absent (../shared is not beside this checkout)"
        );
        return;
    }
    assert_acceptance(
        "layer0-dev.jsonl",
        &std::fs::read_to_string(CORPUS).expect("readable corpus"),
    );
}

#[test]
fn own_rows_meet_the_acceptance_figures() {
    assert_acceptance(
        "layer0-own.jsonl",
        &std::fs::read_to_string(OWN).expect("tests/data/layer0-own.jsonl"),
    );
}
