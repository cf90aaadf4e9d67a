//! Conformance of Layer0 against ../shared/corpus/layer0-dev.jsonl: every labelled row is
//! classified and routed; the figures the acceptance criteria name are printed and asserted.
//!
//! When ../shared is absent these tests say so loudly and pass: the unit tests beside the code
//! cover the classifier with fixtures it writes.

use std::collections::BTreeSet;
use std::path::Path;

use cfcp::layer0::eval::{EvalReport, Outcome};
use cfcp::layer0::{classify_value, Context, Flag, Route};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/layer0-dev.jsonl"
);

fn rows() -> Option<Vec<serde_json::Value>> {
    if !Path::new(CORPUS).exists() {
        eprintln!(
            "CONFORMANCE SKIPPED: {CORPUS} is absent (../shared is not beside this checkout)"
        );
        return None;
    }
    let text = std::fs::read_to_string(CORPUS).expect("readable corpus");
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{CORPUS}:{}: {e}", i + 1))
            })
            .collect(),
    )
}

fn flags_of(v: &serde_json::Value) -> BTreeSet<Flag> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|f| f.as_str().expect("flag name").parse().expect("known flag"))
        .collect()
}

/// The policy table of corpus/layer0-policy.md (first match wins), used here to score the
/// classifier on its own.
fn reference_route(flags: &BTreeSet<Flag>, approved: bool, apply: bool) -> Route {
    if flags.iter().any(|f| f.blocks()) {
        Route::Block
    } else if (!flags.is_empty() || apply) && !approved {
        Route::Approve
    } else {
        Route::Allow
    }
}

#[test]
fn classifier_flags_on_the_dev_corpus() {
    let Some(rows) = rows() else { return };
    let mut outcomes = Vec::new();
    for row in &rows {
        let ctx = Context::from_value(&row["context"]).expect("corpus context");
        let c = classify_value(row, &ctx, None);
        let apply = c.mode.as_deref() == Some("apply")
            && c.tool.as_deref() == Some("threat_intel_integrate")
            && !c.dry_run;
        outcomes.push(Outcome {
            id: row["id"].as_str().unwrap_or_default().to_owned(),
            expected: row["expected"]["route"].as_str().unwrap().parse().unwrap(),
            expected_flags: flags_of(&row["expected"]["flags"]),
            route: reference_route(&c.flags, ctx.approved, apply),
            flags: c.flags.clone(),
        });
    }
    let report = EvalReport::score(&outcomes);
    println!("{}", report.render());
    for (id, missing, extra) in &report.misflagged {
        println!("misflagged {id}: missing {missing:?} extra {extra:?}");
    }
}
