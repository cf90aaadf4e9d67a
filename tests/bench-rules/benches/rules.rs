//! `cargo xtask bench rules`: cfcp's Rules-language engine (`cfcp::rules`) side by side with
//! `wirefilter-engine` 0.6.1, Cloudflare's engine as published on crates.io in 2019.
//!
//! Corpus: `../shared/corpus/expressions-dev.jsonl` beside the checkout (or `--corpus FILE`);
//! when absent, the rule expressions of `examples/snapshots/demo.json`, and the output says so.
//!
//! wirefilter 0.6.1 gets a scheme with every scalar field of cfcp's field table (String and
//! Bytes as `Bytes`, Int as `Int` (32-bit there), Boolean as `Bool`, IP as `Ip`); it has no
//! arrays, maps, functions, lists, `wildcard`, raw strings or value expressions, so the
//! expressions using them are "not parseable by wirefilter". Both engines evaluate against the
//! same request: wirefilter's `ExecutionContext` is filled with the values cfcp's
//! `Request::field` gives for that request, and cfcp's `PreparedRequest` is made from it, both
//! once, outside the timed loop (the like-for-like figure); a second line builds both contexts
//! inside the loop, once per pass over the filters, and a third times cfcp's `Filter::matches`
//! straight on the `Request`.
//!
//! Measured (release build, median of several rounds, every result passed to `black_box`):
//! 1. parse + type-check throughput on the common subset (filters both engines accept), for
//!    wirefilter both `Scheme::parse` alone and `parse` + `compile` (cfcp's `parse_filter`
//!    gives an executable filter, so the second is the like-for-like figure);
//! 2. evaluation throughput on the common subset against the fixed request (context set once;
//!    context built per pass; cfcp's `Filter::matches` on the bare request);
//! 3. cfcp alone on the whole corpus (every row, valid or not, parsed as its kind; every valid
//!    row evaluated);
//! 4. `cfcp::waf::analyze` of a zone with 1,000 custom rules (shadowing included) and
//!    `cfcp::intel` parsing + aggregation of a 100,000-line IP feed (each under 1 s).
//!
//! Flags: `--corpus FILE`, `--subset regex|plain` (keep only the common expressions with or
//! without a regex), `--only ID` (keep one common expression), `--rounds N` (default 7), `--round-ms MS` (default 150), and
//! `--profile parse|eval|eval-direct|parse-wf|eval-wf` (one engine alone on the common subset
//! for 5 s or `--passes N`, to run under `perf record`, or under `valgrind --tool=callgrind` to
//! count instructions per pass, which do not depend on the machine's load), `--profile each` /
//! `--profile each-parse` (each common expression's evaluation / parse time in both engines).

use std::hint::black_box;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cfcp::rules::{
    parse_filter, parse_value, ExpressionKind, FieldType, FieldValue, Filter, Lists, Request,
    ValueExpr, FIELDS,
};

/// One expression of the corpus.
struct Row {
    id: String,
    kind: ExpressionKind,
    expression: String,
}

struct Options {
    corpus: Option<PathBuf>,
    profile: Option<String>,
    subset: Option<String>,
    rounds: usize,
    round: Duration,
    passes: Option<usize>,
    only: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        corpus: None,
        profile: None,
        subset: None,
        rounds: 7,
        round: Duration::from_millis(150),
        passes: None,
        only: None,
    };
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--corpus" => options.corpus = Some(PathBuf::from(value()?)),
            "--profile" => options.profile = Some(value()?),
            "--subset" => options.subset = Some(value()?),
            "--rounds" => {
                options.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?;
                options.rounds = options.rounds.max(1);
            }
            "--only" => options.only = Some(value()?),
            "--passes" => {
                options.passes = Some(value()?.parse().map_err(|e| format!("--passes: {e}"))?);
            }
            "--round-ms" => {
                let ms: u64 = value()?.parse().map_err(|e| format!("--round-ms: {e}"))?;
                options.round = Duration::from_millis(ms.max(1));
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus rows and a line saying where they came from.
fn load_corpus(explicit: Option<&Path>) -> Result<(Vec<Row>, String), String> {
    let shared = manifest_dir().join("../../../shared/corpus/expressions-dev.jsonl");
    let path = explicit.map(Path::to_owned).unwrap_or(shared);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let mut rows = Vec::new();
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let json: serde_json::Value = serde_json::from_str(line)
                    .map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
                let expression = json["expression"].as_str().ok_or(format!(
                    "{}:{}: no expression",
                    path.display(),
                    n + 1
                ))?;
                let kind = match json["kind"].as_str() {
                    Some("value") => ExpressionKind::Value,
                    _ => ExpressionKind::Filter,
                };
                rows.push(Row {
                    id: json["id"].as_str().unwrap_or("?").to_owned(),
                    kind,
                    expression: expression.to_owned(),
                });
            }
            let source = format!("{} ({} expressions)", path.display(), rows.len());
            Ok((rows, source))
        }
        Err(e) if explicit.is_some() => Err(format!("{}: {e}", path.display())),
        Err(e) => {
            let demo = manifest_dir().join("../../examples/snapshots/demo.json");
            let text =
                std::fs::read_to_string(&demo).map_err(|e| format!("{}: {e}", demo.display()))?;
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", demo.display()))?;
            let mut rows = Vec::new();
            collect_expressions(&json, &mut rows);
            let source = format!(
                "FALLBACK: {} is absent ({e}); using the {} rule expressions of {}",
                path.display(),
                rows.len(),
                demo.display()
            );
            Ok((rows, source))
        }
    }
}

/// Every `"expression": "..."` member in a snapshot, as filters.
fn collect_expressions(json: &serde_json::Value, rows: &mut Vec<Row>) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expression", serde_json::Value::String(text)) => rows.push(Row {
                        id: format!("demo-{:03}", rows.len() + 1),
                        kind: ExpressionKind::Filter,
                        expression: text.clone(),
                    }),
                    _ => collect_expressions(value, rows),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_expressions(v, rows)),
        _ => {}
    }
}

/// The request both engines evaluate against.
fn request() -> Request {
    let mut request = Request::get("www.example.com", "/login?action=lookup_price&filter=abc")
        .header(
            "User-Agent",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:66.0) Gecko/20100101 Firefox/66.0",
        )
        .header("Referer", "https://www.example.net/")
        .header("Content-Type", "application/json")
        .header("Cookie", "app=test; auth_session=1");
    request.method = "POST".to_owned();
    request.body = r#"{"network":{"name":"cloudflare"},"action":"lookup_price"}"#.to_owned();
    request.client_ip = "203.0.113.1".parse().ok();
    request.country = "US".to_owned();
    request.continent = "NA".to_owned();
    request.asn = 64496;
    request.bot_score = 25;
    request.waf_score = 35;
    request.response_code = 403;
    request.timestamp_sec = 1_780_000_000;
    request
}

/// A field value in the form wirefilter takes.
enum WfValue {
    Bytes(String),
    Int(i32),
    Bool(bool),
    Ip(IpAddr),
}

/// wirefilter's scheme (every scalar cfcp field whose value the request has) and the values.
fn wirefilter_scheme(request: &Request) -> (wirefilter::Scheme, Vec<(&'static str, WfValue)>) {
    let mut scheme = wirefilter::Scheme::new();
    let mut values = Vec::new();
    for &(name, ty) in FIELDS {
        let wf_type = match ty {
            FieldType::String | FieldType::Bytes => wirefilter::Type::Bytes,
            FieldType::Int => wirefilter::Type::Int,
            FieldType::Bool => wirefilter::Type::Bool,
            FieldType::Ip => wirefilter::Type::Ip,
            FieldType::Array(_) | FieldType::Map(_) => continue,
        };
        // wirefilter panics when a filter reads a field without a value: leave such fields out.
        let value = match request.field(name) {
            Some(FieldValue::String(s)) => WfValue::Bytes(s),
            Some(FieldValue::Int(i)) => {
                WfValue::Int(i32::try_from(i).unwrap_or(if i < 0 { i32::MIN } else { i32::MAX }))
            }
            Some(FieldValue::Bool(b)) => WfValue::Bool(b),
            Some(FieldValue::Ip(ip)) => WfValue::Ip(ip),
            _ => continue,
        };
        if scheme.add_field(name.to_owned(), wf_type).is_ok() {
            values.push((name, value));
        }
    }
    (scheme, values)
}

fn wirefilter_context<'s>(
    scheme: &'s wirefilter::Scheme,
    values: &'s [(&'static str, WfValue)],
) -> Result<wirefilter::ExecutionContext<'s>, String> {
    let mut ctx = wirefilter::ExecutionContext::new(scheme);
    for (name, value) in values {
        let set = match value {
            WfValue::Bytes(s) => ctx.set_field_value(name, s.as_str()),
            WfValue::Int(i) => ctx.set_field_value(name, *i),
            WfValue::Bool(b) => ctx.set_field_value(name, *b),
            WfValue::Ip(ip) => ctx.set_field_value(name, *ip),
        };
        set.map_err(|e| format!("wirefilter: {name}: {e}"))?;
    }
    Ok(ctx)
}

/// How many calls of `work` fill about `round`.
fn calibrate(round: Duration, work: &mut impl FnMut()) -> u64 {
    let started = Instant::now();
    let mut calls = 0u64;
    while started.elapsed() < round / 4 || calls == 0 {
        work();
        calls += 1;
    }
    let per_call = started.elapsed().as_secs_f64() / calls as f64;
    ((round.as_secs_f64() / per_call).ceil() as u64).max(1)
}

/// Items per second of one timed round of `iterations` calls.
fn timed(iterations: u64, items: usize, work: &mut impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        work();
    }
    (iterations as f64 * items as f64) / started.elapsed().as_secs_f64()
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// Runs `work` (which processes `items` items per call) for `rounds` rounds of about `round`
/// each; returns the median throughput in items per second.
fn measure(rounds: usize, round: Duration, items: usize, mut work: impl FnMut()) -> f64 {
    let iterations = calibrate(round, &mut work);
    median(
        (0..rounds)
            .map(|_| timed(iterations, items, &mut work))
            .collect(),
    )
}

/// [`measure`] for two contenders, their rounds interleaved so that a machine busy with
/// something else slows both alike.
fn measure_pair(
    rounds: usize,
    round: Duration,
    items: usize,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (f64, f64) {
    let (ia, ib) = (calibrate(round, &mut a), calibrate(round, &mut b));
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ra.push(timed(ia, items, &mut a));
        rb.push(timed(ib, items, &mut b));
    }
    (median(ra), median(rb))
}

fn rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:>8.2} M/s", per_second / 1e6)
    } else {
        format!("{:>8.1} k/s", per_second / 1e3)
    }
}

/// One expression both engines accept, compiled by each.
struct Common<'a, 's> {
    row: &'a Row,
    ours: Filter,
    theirs: wirefilter::Filter<'s>,
}

fn main() -> Result<(), String> {
    let total = Instant::now();
    let options = options()?;
    let (rows, source) = load_corpus(options.corpus.as_deref())?;
    let (rounds, round) = (options.rounds, options.round);
    println!("cargo xtask bench rules: cfcp::rules vs wirefilter-engine 0.6.1");
    println!("corpus: {source}");
    println!(
        "method: release build, median of {rounds} rounds of ~{} ms, results black_boxed",
        round.as_millis()
    );

    let request = request();
    let lists = Lists::default();
    let (scheme, values) = wirefilter_scheme(&request);
    let ctx = wirefilter_context(&scheme, &values)?;

    // Who parses what.
    let mut ours_filters: Vec<(&Row, Filter)> = Vec::new();
    let mut ours_values: Vec<(&Row, ValueExpr)> = Vec::new();
    let mut ours_rejected = 0;
    let mut wf_accepted = 0;
    let mut common: Vec<Common> = Vec::new();
    let mut only_wirefilter = Vec::new();
    for row in &rows {
        let wf_ast = match row.kind {
            ExpressionKind::Filter => scheme.parse(&row.expression).ok(),
            ExpressionKind::Value => None,
        };
        let wf_ok = wf_ast.is_some();
        wf_accepted += usize::from(wf_ok);
        match row.kind {
            ExpressionKind::Filter => match parse_filter(&row.expression) {
                Ok(filter) => {
                    if let Some(ast) = wf_ast {
                        common.push(Common {
                            row,
                            ours: filter.clone(),
                            theirs: ast.compile(),
                        });
                    }
                    ours_filters.push((row, filter));
                }
                Err(_) => {
                    ours_rejected += 1;
                    if wf_ok {
                        only_wirefilter.push(row.id.as_str());
                    }
                }
            },
            ExpressionKind::Value => match parse_value(&row.expression) {
                Ok(value) => ours_values.push((row, value)),
                Err(_) => ours_rejected += 1,
            },
        }
    }
    let ours_accepted = ours_filters.len() + ours_values.len();
    println!(
        "parsed: cfcp {ours_accepted}/{} ({} filters, {} value expressions; {ours_rejected} rejected), \
         wirefilter {wf_accepted}/{}, both (common subset) {}",
        rows.len(),
        ours_filters.len(),
        ours_values.len(),
        rows.len(),
        common.len()
    );
    println!(
        "accepted by cfcp, not parseable by wirefilter: {}",
        ours_accepted - common.len()
    );
    if !only_wirefilter.is_empty() {
        println!(
            "accepted by wirefilter, rejected by cfcp (excluded from the common subset): {}",
            only_wirefilter.join(", ")
        );
    }
    if common.is_empty() {
        return Err("no expression is accepted by both engines; nothing to compare".to_owned());
    }

    // Both engines must agree on the request before their speed means anything, and cfcp's
    // three ways of evaluating must agree with each other.
    let prepared = request.prepare();
    let mut disagreements = Vec::new();
    let mut matching = 0;
    for c in &common {
        let ours = c.ours.matches(&request, &lists);
        let theirs = c
            .theirs
            .execute(&ctx)
            .map_err(|e| format!("wirefilter: {e}"))?;
        matching += usize::from(ours);
        if ours != theirs || ours != c.ours.matches_prepared(&prepared, &lists) {
            disagreements.push(c.row.id.as_str());
        }
    }
    println!(
        "evaluation: {matching}/{} common filters match the request; engines disagree on {}{}",
        common.len(),
        disagreements.len(),
        if disagreements.is_empty() {
            String::new()
        } else {
            format!(" ({})", disagreements.join(", "))
        }
    );

    match options.subset.as_deref() {
        None => {}
        Some(which @ ("regex" | "plain")) => {
            common.retain(|c| (which == "regex") == c.ours.uses_regex());
            println!("--subset {which}: {} common expressions kept", common.len());
        }
        Some(other) => return Err(format!("--subset {other:?}: expected regex or plain")),
    }
    if let Some(id) = options.only.as_deref() {
        common.retain(|c| c.row.id == id);
        println!("--only {id}: {} common expressions kept", common.len());
    }
    let n = common.len();
    if let Some(what) = options.profile.as_deref() {
        if what == "each" {
            for c in &common {
                let (ours, theirs) = measure_pair(
                    5,
                    Duration::from_millis(40),
                    1,
                    || {
                        black_box(c.ours.matches_prepared(black_box(&prepared), &lists));
                    },
                    || {
                        let _ = black_box(c.theirs.execute(black_box(&ctx)));
                    },
                );
                println!(
                    "{:<8} eval {:>7.1} ns vs {:>7.1} ns  {:.2}x  {}",
                    c.row.id,
                    1e9 / ours,
                    1e9 / theirs,
                    ours / theirs,
                    c.row.expression.replace('\n', " ")
                );
            }
            return Ok(());
        }
        if what == "each-parse" {
            for c in &common {
                let (ours, theirs) = measure_pair(
                    5,
                    Duration::from_millis(40),
                    1,
                    || {
                        let _ = black_box(parse_filter(black_box(&c.row.expression)));
                    },
                    || {
                        let _ = black_box(scheme.parse(black_box(&c.row.expression)));
                    },
                );
                println!(
                    "{:<8} parse {:>8.2} us vs {:>8.2} us  {:.2}x  {}",
                    c.row.id,
                    1e6 / ours,
                    1e6 / theirs,
                    ours / theirs,
                    c.row.expression.replace('\n', " ")
                );
            }
            return Ok(());
        }
        return profile(
            what,
            options.passes,
            &common,
            &scheme,
            &ctx,
            &request,
            &lists,
        );
    }

    // 1. Parse + type-check, common subset.
    let (parse_ours, parse_wf) = measure_pair(
        rounds,
        round,
        n,
        || {
            for c in &common {
                let _ = black_box(parse_filter(black_box(&c.row.expression)));
            }
        },
        || {
            for c in &common {
                let _ = black_box(scheme.parse(black_box(&c.row.expression)));
            }
        },
    );
    let (parse_ours_2, parse_compile_wf) = measure_pair(
        rounds,
        round,
        n,
        || {
            for c in &common {
                let _ = black_box(parse_filter(black_box(&c.row.expression)));
            }
        },
        || {
            for c in &common {
                if let Ok(ast) = scheme.parse(black_box(&c.row.expression)) {
                    black_box(ast.compile());
                }
            }
        },
    );

    // 2. Evaluation, common subset, against a request whose field values were set once outside
    // the timed loop: wirefilter's `ExecutionContext`, cfcp's `PreparedRequest`.
    let (eval_ours, eval_wf) = measure_pair(
        rounds,
        round,
        n,
        || {
            for c in &common {
                black_box(c.ours.matches_prepared(black_box(&prepared), &lists));
            }
        },
        || {
            for c in &common {
                let _ = black_box(c.theirs.execute(black_box(&ctx)));
            }
        },
    );
    // 2b. The same with the context built inside the timed loop, once per pass over the filters
    // (wirefilter: an `ExecutionContext` filled from the values; cfcp: `Request::prepare`).
    let (eval_setup_ours, eval_setup_wf) = measure_pair(
        rounds,
        round,
        n,
        || {
            let prepared = black_box(&request).prepare();
            for c in &common {
                black_box(c.ours.matches_prepared(&prepared, &lists));
            }
        },
        || {
            if let Ok(ctx) = wirefilter_context(&scheme, black_box(&values)) {
                for c in &common {
                    let _ = black_box(c.theirs.execute(&ctx));
                }
            }
        },
    );
    // 2c. cfcp's `Filter::matches` straight on the `Request` (each field worked out as read).
    let eval_direct = measure(rounds, round, n, || {
        for c in &common {
            black_box(c.ours.matches(black_box(&request), &lists));
        }
    });

    // 3. cfcp alone, whole corpus.
    let full_parse = measure(rounds, round, rows.len(), || {
        for row in &rows {
            match row.kind {
                ExpressionKind::Filter => {
                    let _ = black_box(parse_filter(black_box(&row.expression)));
                }
                ExpressionKind::Value => {
                    let _ = black_box(parse_value(black_box(&row.expression)));
                }
            }
        }
    });
    let full_eval = measure(rounds, round, ours_accepted, || {
        for (_, filter) in &ours_filters {
            black_box(filter.matches(black_box(&request), &lists));
        }
        for (_, value) in &ours_values {
            black_box(value.evaluate(black_box(&request), &lists));
        }
    });

    println!();
    println!(
        "| {:<52} | {:>5} | {:>12} | {:>12} | {:>11} |",
        "measurement", "exprs", "cfcp", "wirefilter", "cfcp/wf"
    );
    println!(
        "|{:-<54}|{:->7}|{:->14}|{:->14}|{:->13}|",
        "", "", "", "", ""
    );
    let line = |name: &str, n: usize, ours: f64, theirs: Option<f64>| {
        let (wf, ratio) = match theirs {
            Some(t) => (rate(t), format!("{:>10.2}x", ours / t)),
            None => ("—".to_owned(), "—".to_owned()),
        };
        println!(
            "| {name:<52} | {n:>5} | {:>12} | {wf:>12} | {ratio:>11} |",
            rate(ours)
        );
    };
    line(
        "parse + type-check (wf: Scheme::parse), common",
        n,
        parse_ours,
        Some(parse_wf),
    );
    line(
        "parse + type-check (wf: parse + compile), common",
        n,
        parse_ours_2,
        Some(parse_compile_wf),
    );
    line(
        "evaluate, context set once (like for like), common",
        n,
        eval_ours,
        Some(eval_wf),
    );
    line(
        "evaluate, context built per pass of all, common",
        n,
        eval_setup_ours,
        Some(eval_setup_wf),
    );
    line(
        "evaluate, Filter::matches on the Request, common",
        n,
        eval_direct,
        None,
    );
    line(
        "parse + type-check, whole corpus (cfcp only)",
        rows.len(),
        full_parse,
        None,
    );
    line(
        "evaluate, every valid expression (cfcp only)",
        ours_accepted,
        full_eval,
        None,
    );
    println!();
    let verdict = |what: &str, ratio: f64| {
        println!(
            "{what}: cfcp/wirefilter = {ratio:.2}x -> {}",
            if ratio >= 1.0 {
                "OK (at least as fast)"
            } else {
                "SLOWER than wirefilter"
            }
        );
    };
    verdict(
        "parse + type-check (against Scheme::parse alone)",
        parse_ours / parse_wf,
    );
    verdict("evaluation (context set once)", eval_ours / eval_wf);

    println!();
    waf_line()?;
    intel_line();
    println!();
    println!("total benchmark time {:.1?}", total.elapsed());
    Ok(())
}

/// Profiling aid (`--profile parse|eval|parse-wf|eval-wf|eval-direct`): one engine alone on
/// the common subset for 5 seconds (or `--passes N` passes), for `perf record`, or for counting
/// instructions per pass (`valgrind --tool=callgrind` with two pass counts), which unlike time
/// does not depend on what else the machine runs. `eval` and `eval-wf` run against the context
/// set once.
fn profile<'s>(
    what: &str,
    passes_wanted: Option<usize>,
    common: &[Common<'_, 's>],
    scheme: &'s wirefilter::Scheme,
    ctx: &wirefilter::ExecutionContext<'s>,
    request: &Request,
    lists: &Lists,
) -> Result<(), String> {
    let prepared = request.prepare();
    let started = Instant::now();
    let mut passes = 0usize;
    while match passes_wanted {
        Some(wanted) => passes < wanted,
        None => started.elapsed() < Duration::from_secs(5),
    } {
        for c in common {
            match what {
                "parse" => {
                    let _ = black_box(parse_filter(black_box(&c.row.expression)));
                }
                "parse-wf" => {
                    let _ = black_box(scheme.parse(black_box(&c.row.expression)));
                }
                "eval" => {
                    black_box(c.ours.matches_prepared(black_box(&prepared), lists));
                }
                "eval-direct" => {
                    black_box(c.ours.matches(black_box(request), lists));
                }
                "eval-wf" => {
                    let _ = black_box(c.theirs.execute(black_box(ctx)));
                }
                other => {
                    return Err(format!(
                        "--profile {other:?}: expected parse, parse-wf, eval, eval-wf, eval-direct, each or each-parse"
                    ))
                }
            }
        }
        passes += 1;
    }
    println!(
        "{what}: {passes} passes over {} expressions in {:.1?}",
        common.len(),
        started.elapsed()
    );
    Ok(())
}

/// Median wall time of `runs` calls of `work` (at least one), and the last result.
fn time_runs<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut run = || {
        let started = Instant::now();
        let out = black_box(work());
        (started.elapsed(), out)
    };
    let (first, mut last) = run();
    let mut times = vec![first];
    for _ in 1..runs {
        let (time, out) = run();
        times.push(time);
        last = out;
    }
    times.sort();
    (times[times.len() / 2], last)
}

/// A snapshot with one Enterprise zone holding 1,000 custom rules: /24 blocks and addresses
/// inside them (shadowed), path prefixes and sets under them (shadowed), exact duplicates,
/// log-only host rules, ASN sets, user-agent and attack-score rules.
fn thousand_rule_snapshot() -> Result<cfcp::snapshot::Snapshot, String> {
    let mut rules = Vec::new();
    for i in 0..1000u32 {
        let (expression, action) = match i % 10 {
            0 => (
                format!("ip.src in {{10.{}.{}.0/24}}", i / 256 % 256, i % 256),
                "block",
            ),
            1 => (
                format!(
                    "ip.src in {{10.{}.{}.7}} and http.request.method eq \"POST\"",
                    (i - 1) / 256 % 256,
                    (i - 1) % 256
                ),
                "block",
            ),
            2 => (
                format!("starts_with(http.request.uri.path, \"/p{i}/\")"),
                "managed_challenge",
            ),
            3 => (
                format!(
                    "http.request.uri.path in {{\"/p{0}/a\" \"/p{0}/b\"}}",
                    i - 1
                ),
                "block",
            ),
            4 => (
                format!("ip.src eq 172.16.{}.{}", i / 256 % 256, i % 256),
                "block",
            ),
            5 => (
                format!("ip.src eq 172.16.{}.{}", (i - 1) / 256 % 256, (i - 1) % 256),
                "block",
            ),
            6 => (format!("http.host eq \"h{i}.example\" and ssl"), "log"),
            7 => (
                format!("ip.src.asnum in {{{} {}}}", 64_000 + i, 65_000 + i),
                "block",
            ),
            8 => (format!("ip.src.asnum eq {}", 63_000 + i), "block"),
            _ => (
                format!("http.user_agent contains \"bot-{i}-\" and cf.waf.score lt 20"),
                "block",
            ),
        };
        rules.push(
            serde_json::json!({"id": format!("r{i}"), "action": action, "expression": expression}),
        );
    }
    let value = serde_json::json!({
        "format": "cfcp.snapshot/v1", "taken_at": "2026-11-01T12:00:00Z",
        "source": {"kind": "file"}, "gaps": [], "accounts": [],
        "zones": [{"zone": {"id": "z1", "name": "big.example", "plan": {"name": "Enterprise Website"}},
            "rulesets": [{"id": "custom", "phase": "http_request_firewall_custom", "rules": rules}]}]
    });
    cfcp::snapshot::Snapshot::from_json_str(&value.to_string()).map_err(|e| e.to_string())
}

/// `cfcp::waf::analyze` of a zone with 1,000 custom rules (target: under 1 s).
fn waf_line() -> Result<(), String> {
    let snapshot = thousand_rule_snapshot()?;
    let (time, analysis) = time_runs(5, || cfcp::waf::analyze(&snapshot, None));
    let findings: usize = analysis.zones.iter().map(|z| z.findings.len()).sum();
    let shadowed: usize = analysis
        .zones
        .iter()
        .flat_map(|z| &z.findings)
        .filter(|f| f.check_id == "waf_rule_shadowed")
        .count();
    println!(
        "waf::analyze, zone with 1,000 custom rules: {:.1} ms (median of 5; {findings} findings, \
         {shadowed} shadowed rules) -> {}",
        time.as_secs_f64() * 1e3,
        if time < Duration::from_secs(1) {
            "OK (< 1 s)"
        } else {
            "OVER 1 s"
        }
    );
    Ok(())
}

/// `cfcp::intel` parse + normalise (aggregation) of a 100,000-line plain IP feed: 99,900 /25
/// halves that aggregate pairwise into /24s, and 100 garbage lines (target: under 1 s).
fn intel_line() {
    use cfcp::intel::{normalise, parse_feed, FeedFormat, NormaliseOptions};
    const PAIRS: u32 = 49_950;
    let base: u32 = 20 << 24;
    let slash24 = |k: u32| std::net::Ipv4Addr::from(base + (k * 3) * 256);
    let mut lines: Vec<String> = Vec::with_capacity(100_000);
    lines.extend((0..PAIRS).map(|k| format!("{}/25", slash24(k))));
    lines.extend((0..PAIRS).rev().map(|k| {
        format!(
            "{}/25",
            std::net::Ipv4Addr::from(u32::from(slash24(k)) + 128)
        )
    }));
    for i in 0..100 {
        lines.insert(i * 1000 + 500, format!("garbage line {i}"));
    }
    let text = lines.join("\n");
    let snapshot = cfcp::snapshot::demo();
    let now = time::macros::datetime!(2026-11-01 12:00 UTC);
    let options = NormaliseOptions {
        max_items: Some(100_000),
        ..NormaliseOptions::default()
    };
    let (time, (errors, items)) = time_runs(5, || {
        let feed = parse_feed(FeedFormat::Plain, &text, now);
        let out = normalise(&feed.indicators, &snapshot, None, &options);
        (feed.error_count, out.items.len())
    });
    println!(
        "intel parse + aggregate, 100,000-line IP feed: {:.1} ms (median of 5; {} lines -> {items} \
         networks, {errors} bad lines) -> {}",
        time.as_secs_f64() * 1e3,
        lines.len(),
        if time < Duration::from_secs(1) { "OK (< 1 s)" } else { "OVER 1 s" }
    );
}
