//! The module-level functions: `check`, `compliance`, `frameworks`, and the `waf`, `layer0` and
//! `audit` namespaces. Each reads what it is given (files, JS data), calls one core function and
//! converts the result.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cfcp::invariants::{self, rego, waivers, Config};
use cfcp::layer0::{Context, Layer0, Policy};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{json, Value};

use crate::errors::{core_err, Failure};
use crate::report::Report;
use crate::snapshot::{json_of, Snapshot};

/// What `check` runs besides the catalog, and on what.
#[napi(object)]
#[derive(Default)]
pub struct CheckOptions {
    /// A directory of `.rego` policies (custom invariants).
    pub policy_dir: Option<String>,
    /// A waivers file (accepted failures with an expiry).
    pub waivers: Option<String>,
    /// Only these zones.
    pub zones: Option<Vec<String>>,
    /// Also the WAF analysis' findings.
    pub include_waf: Option<bool>,
}

/// The `.rego` files of a directory, in name order, as (file name, text).
fn read_policies(dir: &Path) -> std::result::Result<Vec<(String, String)>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| Failure::io(dir, &e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rego"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| Failure::io(&p, &e))?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}

fn policy_failure(errors: &[cfcp::Error]) -> Failure {
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let source = errors
        .iter()
        .find_map(|e| match e {
            cfcp::Error::InvalidDocument { path, .. } => Some(path.clone()),
            _ => None,
        })
        .unwrap_or_default();
    Failure::new(
        "E_POLICY",
        messages.join("\n"),
        json!({"source": source, "errors": messages}),
    )
}

fn run_check(
    snapshot: &cfcp::snapshot::Snapshot,
    options: CheckOptions,
) -> std::result::Result<CoreReportResult, Failure> {
    let mut config = Config {
        zones: options.zones.unwrap_or_default(),
        now: Some(crate::now()),
        include_waf: options.include_waf.unwrap_or(false),
        ..Config::default()
    };
    if let Some(path) = &options.waivers {
        let text = std::fs::read_to_string(path).map_err(|e| Failure::io(Path::new(path), &e))?;
        config.waivers = waivers::parse(&text).map_err(|e| crate::errors::failure(&e, None))?;
    }
    let Some(dir) = &options.policy_dir else {
        return Ok(invariants::run(snapshot, &config));
    };
    let files = read_policies(Path::new(dir))?;
    let (set, mut errors) = rego::load_policies_lenient(&files);
    let (report, eval_errors) =
        invariants::run_with_policies(snapshot, &config, &set, rego::Limits::default());
    errors.extend(eval_errors);
    // A policy nobody can run must not pass silently: the caller fixes it or drops policyDir.
    if !errors.is_empty() {
        return Err(policy_failure(&errors));
    }
    Ok(report)
}

type CoreReportResult = cfcp::report::Report;

/// Runs the check catalog (and the Rego policies of `policyDir`) on a snapshot.
#[napi]
pub fn check(env: Env, snapshot: &Snapshot, options: Option<CheckOptions>) -> Result<Report> {
    let report =
        run_check(&snapshot.inner, options.unwrap_or_default()).map_err(|f| f.into_napi(&env))?;
    Ok(Report {
        inner: Arc::new(report),
    })
}

/// Per control of a framework (`pci-dss-4.0.1`, `asvs-5.0`, ...): status, evidence and what a
/// snapshot cannot show. `source` is a `Snapshot` (checked first, with `options`) or a `Report`.
#[napi(ts_return_type = "Record<string, any>")]
pub fn compliance(
    env: Env,
    source: Either<&Snapshot, &Report>,
    framework: String,
    options: Option<CheckOptions>,
) -> Result<Value> {
    let Some(framework) = cfcp::compliance::framework(&framework) else {
        return Err(Failure::new(
            "E_CFCP",
            format!(
                "unknown framework {framework:?}; one of {}",
                cfcp::compliance::framework_names().join(", ")
            ),
            json!({"known": cfcp::compliance::framework_names()}),
        )
        .into_napi(&env));
    };
    let report = match source {
        Either::A(snapshot) => Arc::new(
            run_check(&snapshot.inner, options.unwrap_or_default())
                .map_err(|f| f.into_napi(&env))?,
        ),
        Either::B(report) => Arc::clone(&report.inner),
    };
    json_of(&env, &cfcp::compliance::evaluate(framework, &report))
}

/// The compliance frameworks cfcp knows.
#[napi]
pub fn frameworks() -> Vec<String> {
    cfcp::compliance::framework_names()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// A JSON document given either as JS data or as JSON text.
fn document(env: &Env, value: Value, what: &'static str) -> Result<Value> {
    match value {
        Value::String(text) => serde_json::from_str(&text).map_err(|e| {
            core_err(
                env,
                cfcp::Error::InvalidDocument {
                    document: what,
                    path: "$".to_owned(),
                    line: e.line(),
                    column: e.column(),
                    message: e.to_string(),
                },
            )
        }),
        other => Ok(other),
    }
}

fn invalid(env: &Env, document: &'static str, message: String) -> napi::Error {
    core_err(
        env,
        cfcp::Error::InvalidDocument {
            document,
            path: String::new(),
            line: 0,
            column: 0,
            message,
        },
    )
}

/// Checks a Rules-language expression as Cloudflare would; throws `E_EXPRESSION` (with the
/// byte `offset`, `end` and `help`) when it would be rejected. `kind` is `filter` (default) or
/// `value`.
#[napi(namespace = "waf")]
pub fn validate(env: Env, expression: String, kind: Option<String>) -> Result<()> {
    let kind = match kind.as_deref().unwrap_or("filter") {
        "filter" => cfcp::rules::ExpressionKind::Filter,
        "value" => cfcp::rules::ExpressionKind::Value,
        other => {
            return Err(Failure::plain(format!(
                "kind must be \"filter\" or \"value\", not {other:?}"
            ))
            .into_napi(&env))
        }
    };
    cfcp::rules::validate(&expression, kind).map_err(|e| {
        let help = e.help.clone();
        let mut failure = crate::errors::failure(&cfcp::Error::from(e), None);
        failure.details["help"] = json!(help);
        failure.into_napi(&env)
    })
}

/// The WAF analysis of every zone (or one): deployments, rule findings, scores.
#[napi(namespace = "waf", ts_return_type = "Record<string, any>")]
pub fn analyze(env: Env, snapshot: &Snapshot, zone: Option<String>) -> Result<Value> {
    json_of(&env, &cfcp::waf::analyze(&snapshot.inner, zone.as_deref()))
}

/// Which of a zone's rules a request would meet, in Cloudflare's order, and the final action.
/// `request` is an object (or JSON text) of request fields (`http.host`, `ip.src`, ...).
#[napi(namespace = "waf", ts_return_type = "Record<string, any>")]
pub fn simulate(
    env: Env,
    snapshot: &Snapshot,
    zone: String,
    #[napi(ts_arg_type = "Record<string, any> | string")] request: Value,
) -> Result<Value> {
    let value = document(&env, request, "request")?;
    let request: cfcp::rules::Request =
        serde_json::from_value(value).map_err(|e| invalid(&env, "request", e.to_string()))?;
    let lists = cfcp::waf::lists_from_snapshot(&snapshot.inner);
    let trace = cfcp::waf::simulate(&snapshot.inner, &zone, &request, &lists)
        .map_err(|e| core_err(&env, e))?;
    json_of(&env, &trace)
}

/// How a proposal is named and what it does.
#[napi(object)]
#[derive(Default)]
pub struct ProposeOptions {
    /// The list's name (default: one per feed format).
    pub list_name: Option<String>,
    /// Managed challenge instead of block.
    pub challenge: Option<bool>,
}

/// A rule proposal from a threat-intel feed: a list, its items and a custom rule, as API
/// payloads and as Terraform (`hcl`), with a Markdown summary. `format` is the feed's format
/// (`plain`, `spamhaus-drop`, `firehol`, `stix`, `threatfox`, ...).
#[napi(namespace = "waf", ts_return_type = "Record<string, any>")]
pub fn propose(
    env: Env,
    feed_text: String,
    format: String,
    snapshot: Option<&Snapshot>,
    zone: Option<String>,
    options: Option<ProposeOptions>,
) -> Result<Value> {
    use cfcp::intel::{self, FeedFormat, ProposedAction};
    let options = options.unwrap_or_default();
    let format: FeedFormat = format
        .parse()
        .map_err(|message| invalid(&env, "feed format", message))?;
    let now = crate::now();
    let empty;
    let snapshot = match snapshot {
        Some(s) => &*s.inner,
        None => {
            empty = empty_snapshot(now.clone());
            &empty
        }
    };
    let feed = intel::parse_feed(format, &feed_text, now.to_datetime());
    let normalised = intel::normalise(
        &feed.indicators,
        snapshot,
        zone.as_deref(),
        &intel::NormaliseOptions::default(),
    );
    let mut propose_options = intel::ProposeOptions::new(
        options
            .list_name
            .unwrap_or_else(|| intel::ProposeOptions::default_list_name(format).to_owned()),
    );
    if options.challenge.unwrap_or(false) {
        propose_options.action = ProposedAction::ManagedChallenge;
    }
    propose_options.feed = Some(intel::propose::FeedSummary::of(&feed, None));
    let feed_errors: Vec<Value> = feed
        .errors
        .iter()
        .map(|e| json!({"line": e.line, "message": e.message}))
        .collect();
    let proposal = intel::propose(&normalised, snapshot, zone.as_deref(), &propose_options)
        .map_err(|e| core_err(&env, e))?;
    let mut value = json_of(&env, &proposal)?;
    if let Some(map) = value.as_object_mut() {
        map.insert("feed_errors".to_owned(), Value::Array(feed_errors));
    }
    Ok(value)
}

/// A snapshot of nothing, for proposals made without an account to place them in.
fn empty_snapshot(now: cfcp::snapshot::Timestamp) -> cfcp::snapshot::Snapshot {
    cfcp::snapshot::Snapshot::new(
        now,
        cfcp::snapshot::Source {
            kind: cfcp::snapshot::SourceKind::File,
            detail: Default::default(),
            extra: Default::default(),
        },
    )
}

fn layer0_inputs(env: &Env, request: Value, context: Option<Value>) -> Result<(Value, Context)> {
    let request = document(env, request, "layer0 request")?;
    let context_value = match context {
        Some(Value::Null) | None => request.get("context").cloned(),
        Some(c) => Some(document(env, c, "layer0 context")?),
    };
    let context = match context_value {
        Some(value) => Context::from_value(&value)
            .map_err(|message| invalid(env, "layer0 context", message))?,
        None => Context::default(),
    };
    Ok((request, context))
}

/// Layer0's classification of an agent request (a tool call or a query): intent, flags, risk and
/// evidence. `context` is an object (or JSON text) of the session's context; a request may also
/// carry its own `context`.
#[napi(namespace = "layer0", ts_return_type = "Record<string, any>")]
pub fn classify(
    env: Env,
    #[napi(ts_arg_type = "Record<string, any> | string")] request: Value,
    #[napi(ts_arg_type = "Record<string, any> | string | null")] context: Option<Value>,
    snapshot: Option<&Snapshot>,
) -> Result<Value> {
    let (request, context) = layer0_inputs(&env, request, context)?;
    let request = cfcp::layer0::Request::from_value(&request)
        .map_err(|message| invalid(&env, "layer0 request", message))?;
    let classification = cfcp::layer0::classify(&request, &context, snapshot.map(|s| &*s.inner));
    json_of(&env, &classification)
}

/// Which Cedar policy routes the request.
#[napi(object)]
#[derive(Default)]
pub struct RouteOptions {
    /// Cedar text that replaces the default policy.
    pub policy: Option<String>,
    /// Cedar text added to the default policy.
    pub extend_policy: Option<String>,
}

/// Layer0's verdict on an agent request: the classification and the policy's decision
/// (`route`: `allow`, `approve` or `block`). A policy that does not validate throws `E_POLICY`.
#[napi(namespace = "layer0", ts_return_type = "Record<string, any>")]
pub fn route(
    env: Env,
    #[napi(ts_arg_type = "Record<string, any> | string")] request: Value,
    #[napi(ts_arg_type = "Record<string, any> | string | null")] context: Option<Value>,
    snapshot: Option<&Snapshot>,
    options: Option<RouteOptions>,
) -> Result<Value> {
    let (request, context) = layer0_inputs(&env, request, context)?;
    let options = options.unwrap_or_default();
    let policy = match (options.policy, options.extend_policy) {
        (Some(text), _) => Policy::from_cedar(&text, "policy").map_err(|e| core_err(&env, e))?,
        (None, Some(text)) => Policy::default_policy()
            .with_extension(&text, "extendPolicy")
            .map_err(|e| core_err(&env, e))?,
        (None, None) => Policy::default_policy(),
    };
    let verdict = Layer0::new(policy).decide(&request, &context, snapshot.map(|s| &*s.inner));
    let mut value = json_of(&env, &verdict)?;
    let route = json_of(&env, &verdict.route())?;
    if let Some(map) = value.as_object_mut() {
        map.insert("route".to_owned(), route);
    }
    Ok(value)
}

/// How an audit log is verified.
#[napi(object)]
#[derive(Default)]
pub struct VerifyOptions {
    /// The public key file the checkpoints must be signed with.
    pub pubkey: Option<String>,
    /// Fail unless the log ends with a seal.
    pub require_sealed: Option<bool>,
}

/// Verifies an audit log's hash chain and signed checkpoints. A bad log is a result
/// (`ok` false, `problem` set), not an exception; an unreadable file or key throws.
#[napi(namespace = "audit", ts_return_type = "Record<string, any>")]
pub fn verify(env: Env, path: String, options: Option<VerifyOptions>) -> Result<Value> {
    let options = options.unwrap_or_default();
    let expected_key = match &options.pubkey {
        Some(key) => {
            Some(cfcp::audit::load_public_key(Path::new(key)).map_err(|e| core_err(&env, e))?)
        }
        None => None,
    };
    let bytes =
        std::fs::read(&path).map_err(|e| Failure::io(Path::new(&path), &e).into_napi(&env))?;
    let report = cfcp::audit::verify_with(
        &bytes,
        &cfcp::audit::VerifyOptions {
            expected_key,
            require_sealed: options.require_sealed.unwrap_or(false),
        },
    );
    let hex = |key: &cfcp::audit::VerifyingKey| -> String {
        key.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
    };
    let warnings: Vec<Value> = report
        .warnings
        .iter()
        .map(|w| json!({"line": w.line, "seq": w.seq, "message": w.message}))
        .collect();
    Ok(json!({
        "ok": report.ok,
        "entries": report.entries,
        "checkpoints": report.checkpoints,
        "seals": report.seals,
        "head": report.head.to_hex(),
        "lastSeq": report.last_seq,
        "signedThrough": report.signed_through,
        "publicKey": report.public_key.as_ref().map(hex),
        "keyPinned": report.key_pinned,
        "sealed": report.sealed,
        "problem": report.first_problem.as_ref().map(ToString::to_string),
        "warnings": warnings,
    }))
}
