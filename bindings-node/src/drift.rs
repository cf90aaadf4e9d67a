//! `drift.*`: drift between a desired and a live snapshot, its revert plan, and Terraform code
//! (`drift.exportTerraform` for a whole account, `drift.adopt` for a drift). Plain objects in the
//! shapes of the `cfcp.drift/v1` report.

use napi::{Env, Result};
use napi_derive::napi;
use serde_json::Value;

use crate::errors::core_err;
use crate::snapshot::{json_of, Snapshot};

fn read_drift(env: &Env, value: Value) -> Result<cfcp::drift::Drift> {
    let value = match value {
        Value::String(text) => serde_json::from_str(&text).map_err(|e| {
            core_err(
                env,
                cfcp::Error::InvalidDocument {
                    document: "drift",
                    path: "$".to_owned(),
                    line: e.line(),
                    column: e.column(),
                    message: e.to_string(),
                },
            )
        })?,
        other => other,
    };
    cfcp::drift::Drift::from_value(value).map_err(|e| core_err(env, e))
}

/// Options of `drift.diff`.
#[napi(object)]
#[derive(Default)]
pub struct DiffOptions {
    /// Rate each item's risk (default true).
    pub assess: Option<bool>,
}

/// The drift of `live` against `desired` (`cfcp.drift/v1`), with each item's risk.
#[napi(namespace = "drift", ts_return_type = "Record<string, any>")]
pub fn diff(
    env: Env,
    desired: &Snapshot,
    live: &Snapshot,
    options: Option<DiffOptions>,
) -> Result<Value> {
    let mut drift = cfcp::drift::diff(&desired.inner, &live.inner);
    if options.unwrap_or_default().assess.unwrap_or(true) {
        cfcp::drift::assess(&mut drift, &desired.inner, &live.inner);
    }
    json_of(&env, &drift)
}

/// Options of `drift.revert`.
#[napi(object)]
#[derive(Default)]
pub struct RevertOptions {
    /// Refuse when more than this many resources would be deleted (default 10).
    pub max_delete: Option<u32>,
    /// Refuse when more than this percentage would be deleted (default 25).
    pub max_delete_percent: Option<f64>,
    /// The zones the caller may change (default: all); others are blocked by Layer0.
    pub zones: Option<Vec<String>>,
}

/// The ordered API operations that revert `drift`, each routed by Layer0, with the delete
/// threshold checked.
#[napi(namespace = "drift", ts_return_type = "Record<string, any>")]
pub fn revert(
    env: Env,
    #[napi(ts_arg_type = "Record<string, any> | string")] drift: Value,
    options: Option<RevertOptions>,
) -> Result<Value> {
    let drift = read_drift(&env, drift)?;
    let options = options.unwrap_or_default();
    let defaults = cfcp::drift::RevertOptions::default();
    let limits = cfcp::drift::RevertOptions {
        max_delete: options
            .max_delete
            .map_or(defaults.max_delete, |n| n as usize),
        max_delete_percent: options
            .max_delete_percent
            .unwrap_or(defaults.max_delete_percent),
    };
    let mut plan = cfcp::drift::revert(&drift, &limits);
    let ctx = cfcp::layer0::Context {
        zones_allowed: options.zones.unwrap_or_else(|| vec!["*".into()]),
        ..Default::default()
    };
    cfcp::drift::route(&mut plan, &cfcp::layer0::Layer0::default(), &ctx);
    json_of(&env, &plan)
}

/// `drift` for people: `format` is `text` (default) or `markdown`.
#[napi(namespace = "drift")]
pub fn render(
    env: Env,
    #[napi(ts_arg_type = "Record<string, any> | string")] drift: Value,
    format: Option<String>,
) -> Result<String> {
    let drift = read_drift(&env, drift)?;
    match format.as_deref().unwrap_or("text") {
        "text" => Ok(cfcp::drift::render::text(&drift)),
        "markdown" => Ok(cfcp::drift::render::markdown(&drift)),
        other => Err(napi::Error::new(
            napi::Status::InvalidArg,
            format!("unknown format {other:?}: text or markdown"),
        )),
    }
}

/// Terraform code (provider v5) that adopts `drift`: `{files: [{name, text}], resources,
/// skipped}`.
#[napi(namespace = "drift", ts_return_type = "Record<string, any>")]
pub fn adopt(
    env: Env,
    #[napi(ts_arg_type = "Record<string, any> | string")] drift: Value,
) -> Result<Value> {
    let drift = read_drift(&env, drift)?;
    json_of(&env, &cfcp::export::adopt(&drift))
}

/// Options of `drift.exportTerraform`.
#[napi(object)]
#[derive(Default)]
pub struct ExportOptions {
    /// Only these zones (by name).
    pub zones: Option<Vec<String>>,
    /// Leave out tunnels and lists.
    pub skip_accounts: Option<bool>,
}

/// The account (or some zones) as Terraform code (provider v5) with import blocks.
#[napi(namespace = "drift", ts_return_type = "Record<string, any>")]
pub fn export_terraform(
    env: Env,
    snapshot: &Snapshot,
    options: Option<ExportOptions>,
) -> Result<Value> {
    let options = options.unwrap_or_default();
    let options = cfcp::export::ExportOptions {
        zones: options.zones.unwrap_or_default(),
        skip_accounts: options.skip_accounts.unwrap_or(false),
    };
    json_of(&env, &cfcp::export::export(&snapshot.inner, &options))
}
