//! Scoring Layer0 against labelled rows (the format of `corpus/layer0-dev.jsonl`): the
//! confusion matrix, per-route precision and recall, per-flag precision and recall, and the
//! figures the acceptance criteria name (accuracy, block recall, false-block rate).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::classification::{Flag, Route};

/// What a row should get and what it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The row's id.
    pub id: String,
    /// The labelled route.
    pub expected: Route,
    /// The labelled flags.
    pub expected_flags: BTreeSet<Flag>,
    /// The route Layer0 gave.
    pub route: Route,
    /// The flags Layer0 raised.
    pub flags: BTreeSet<Flag>,
}

/// Precision and recall of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Score {
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    pub fn_: usize,
}

impl Score {
    /// tp / (tp + fp); 1 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    /// tp / (tp + fn); 1 when nothing was expected.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// The evaluation of a set of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EvalReport {
    /// Rows scored.
    pub rows: usize,
    /// `confusion[expected][got]`, indexed allow, approve, block.
    pub confusion: [[usize; 3]; 3],
    /// Per route.
    pub routes: BTreeMap<Route, Score>,
    /// Per flag.
    pub flags: BTreeMap<Flag, Score>,
    /// Rows whose route differs from the label: (id, expected, got).
    pub misrouted: Vec<(String, Route, Route)>,
    /// Rows whose flags differ from the label: (id, missing, extra).
    pub misflagged: Vec<(String, Vec<Flag>, Vec<Flag>)>,
}

fn index(route: Route) -> usize {
    match route {
        Route::Allow => 0,
        Route::Approve => 1,
        Route::Block => 2,
    }
}

impl EvalReport {
    /// Scores outcomes.
    ///
    /// ```
    /// use cfcp::layer0::eval::{EvalReport, Outcome};
    /// use cfcp::layer0::Route;
    /// let row = |id: &str, expected, route| Outcome { id: id.into(), expected, route,
    ///     expected_flags: Default::default(), flags: Default::default() };
    /// let r = EvalReport::score(&[row("a", Route::Block, Route::Block), row("b", Route::Allow, Route::Block)]);
    /// assert_eq!(r.accuracy(), 0.5);
    /// assert_eq!(r.block_recall(), 1.0);
    /// assert_eq!(r.false_block_rate(), 1.0);
    /// ```
    pub fn score(outcomes: &[Outcome]) -> EvalReport {
        let mut r = EvalReport {
            rows: outcomes.len(),
            ..EvalReport::default()
        };
        for route in Route::ALL {
            r.routes.insert(route, Score::default());
        }
        for flag in Flag::ALL {
            r.flags.insert(flag, Score::default());
        }
        for o in outcomes {
            r.confusion[index(o.expected)][index(o.route)] += 1;
            if o.expected == o.route {
                r.routes.get_mut(&o.route).expect("every route").tp += 1;
            } else {
                r.routes.get_mut(&o.route).expect("every route").fp += 1;
                r.routes.get_mut(&o.expected).expect("every route").fn_ += 1;
                r.misrouted.push((o.id.clone(), o.expected, o.route));
            }
            for flag in Flag::ALL {
                let s = r.flags.get_mut(&flag).expect("every flag");
                match (o.expected_flags.contains(&flag), o.flags.contains(&flag)) {
                    (true, true) => s.tp += 1,
                    (false, true) => s.fp += 1,
                    (true, false) => s.fn_ += 1,
                    (false, false) => {}
                }
            }
            if o.expected_flags != o.flags {
                let missing = o.expected_flags.difference(&o.flags).copied().collect();
                let extra = o.flags.difference(&o.expected_flags).copied().collect();
                r.misflagged.push((o.id.clone(), missing, extra));
            }
        }
        r
    }

    /// Share of rows routed as labelled.
    pub fn accuracy(&self) -> f64 {
        ratio((0..3).map(|i| self.confusion[i][i]).sum(), self.rows)
    }

    /// Share of block-labelled rows that were blocked.
    pub fn block_recall(&self) -> f64 {
        self.routes[&Route::Block].recall()
    }

    /// Share of allow-labelled rows that were blocked.
    pub fn false_block_rate(&self) -> f64 {
        let allow = self.confusion[0];
        let total: usize = allow.iter().sum();
        if total == 0 {
            0.0
        } else {
            allow[2] as f64 / total as f64
        }
    }

    /// The report as text: the matrix, per-route and per-flag scores, the misrouted ids and a
    /// last line `accuracy=… block_recall=… false_block_rate=…`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "rows: {}", self.rows);
        let _ = writeln!(s, "confusion (rows: expected, columns: got)");
        let _ = writeln!(
            s,
            "{:>10} {:>8} {:>8} {:>8}",
            "", "allow", "approve", "block"
        );
        for route in Route::ALL {
            let row = self.confusion[index(route)];
            let _ = writeln!(
                s,
                "{:>10} {:>8} {:>8} {:>8}",
                route.as_str(),
                row[0],
                row[1],
                row[2]
            );
        }
        let _ = writeln!(s, "\nper route     precision  recall");
        for (route, score) in &self.routes {
            let _ = writeln!(
                s,
                "{:<12} {:>10.3} {:>7.3}",
                route.as_str(),
                score.precision(),
                score.recall()
            );
        }
        let _ = writeln!(s, "\nper flag               precision  recall   tp  fp  fn");
        for (flag, score) in &self.flags {
            let _ = writeln!(
                s,
                "{:<22} {:>9.3} {:>7.3} {:>4} {:>3} {:>3}",
                flag.as_str(),
                score.precision(),
                score.recall(),
                score.tp,
                score.fp,
                score.fn_
            );
        }
        if self.misrouted.is_empty() {
            let _ = writeln!(s, "\nmisrouted: none");
        } else {
            let _ = writeln!(s, "\nmisrouted ({}):", self.misrouted.len());
            for (id, expected, got) in &self.misrouted {
                let _ = writeln!(s, "  {id}: expected {expected}, got {got}");
            }
        }
        let _ = writeln!(
            s,
            "accuracy={:.4} block_recall={:.4} false_block_rate={:.4}",
            self.accuracy(),
            self.block_recall(),
            self.false_block_rate()
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(id: &str, expected: Route, route: Route, ef: &[Flag], f: &[Flag]) -> Outcome {
        Outcome {
            id: id.into(),
            expected,
            route,
            expected_flags: ef.iter().copied().collect(),
            flags: f.iter().copied().collect(),
        }
    }

    #[test]
    fn scores_routes_and_flags() {
        let r = EvalReport::score(&[
            o(
                "1",
                Route::Block,
                Route::Block,
                &[Flag::MassChange],
                &[Flag::MassChange],
            ),
            o(
                "2",
                Route::Block,
                Route::Approve,
                &[Flag::MassChange],
                &[Flag::Destructive],
            ),
            o("3", Route::Allow, Route::Allow, &[], &[]),
            o(
                "4",
                Route::Allow,
                Route::Approve,
                &[],
                &[Flag::SensitiveRecord],
            ),
        ]);
        assert_eq!(r.accuracy(), 0.5);
        assert_eq!(r.block_recall(), 0.5);
        assert_eq!(r.false_block_rate(), 0.0);
        assert_eq!(
            r.flags[&Flag::MassChange],
            Score {
                tp: 1,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(r.misrouted.len(), 2);
        let text = r.render();
        assert!(text
            .lines()
            .last()
            .unwrap()
            .starts_with("accuracy=0.5000 block_recall=0.5000 false_block_rate=0.0000"));
        assert!(text.contains("2: expected block, got approve"));
    }
}
