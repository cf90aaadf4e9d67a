//! Reading Terraform's JSON: a state file (format version 4), `terraform show -json` of a state,
//! and `terraform show -json` of a plan. Each becomes a list of resource instances with their
//! attributes; [`super::build`] maps them into a snapshot.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::build::{self, Input, Instance};
use super::{Desired, ResourceAddr, Unevaluated};
use crate::error::{Error, Result};
use crate::snapshot::SourceKind;

/// Loads a Terraform state or plan (JSON) into a snapshot of the desired state.
///
/// The format is detected: a state file has `"version": 4`, `terraform show -json` output has
/// `format_version`, and a plan's has `planned_values` or `resource_changes`. Errors name the JSON
/// path of the problem; a state of another format version is refused with what to do.
///
/// ```
/// let err = cfcp::terraform::load_json(br#"{"version": 3, "modules": []}"#, "old.tfstate")
///     .unwrap_err().to_string();
/// assert!(err.contains("state format version 3"), "{err}");
/// let plan = br#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
///   {"address": "cloudflare_zone_setting.ssl", "mode": "managed", "type": "cloudflare_zone_setting",
///    "name": "ssl", "values": {"zone_id": "z1", "setting_id": "ssl", "value": "off"}}]}}}"#;
/// let desired = cfcp::terraform::load_json(plan, "plan.json").unwrap();
/// assert_eq!(desired.snapshot.zones[0].setting_str("ssl"), Some("off"));
/// ```
pub fn load_json(bytes: &[u8], detail: &str) -> Result<Desired> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| Error::JsonSyntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    let Value::Object(root) = doc else {
        return Err(invalid(
            STATE,
            "$",
            "expected a JSON object: a Terraform state file (version 4) or the output of `terraform show -json`",
        ));
    };
    let input = if root.contains_key("format_version") {
        if root.contains_key("planned_values") || root.contains_key("resource_changes") {
            read_plan(&root, detail)?
        } else {
            read_shown_state(&root, detail)?
        }
    } else {
        match root.get("version") {
            Some(v) if v.as_u64() == Some(4) => read_state_v4(&root, detail)?,
            Some(v) => {
                return Err(invalid(
                    STATE,
                    "version",
                    format!(
                        "state format version {v} is not supported: cfcp reads version 4 (Terraform 0.12 and later); \
                         run `terraform state pull` (or `terraform show -json`) with a current Terraform and load its output"
                    ),
                ))
            }
            None => {
                return Err(invalid(
                    STATE,
                    "$",
                    "not a Terraform state or plan: no \"version\" (a state file) or \"format_version\" \
                     (`terraform show -json` output); pass a .tfstate file, `terraform show -json` output, or a directory of .tf files",
                ))
            }
        }
    };
    build::build(input)
}

const STATE: &str = "Terraform state";
const PLAN: &str = "Terraform plan";

fn invalid(document: &'static str, path: impl Into<String>, message: impl Into<String>) -> Error {
    Error::InvalidDocument {
        document,
        path: path.into(),
        line: 0,
        column: 0,
        message: message.into(),
    }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

fn new_input(kind: SourceKind, detail: &str, root: &Map<String, Value>) -> Input {
    let mut source_extra = Map::new();
    for key in ["terraform_version", "serial", "lineage"] {
        if let Some(v) = root.get(key).filter(|v| !v.is_null()) {
            let name = if key == "terraform_version" {
                key.to_owned()
            } else {
                format!("terraform_{key}")
            };
            source_extra.insert(name, v.clone());
        }
    }
    Input::new(kind, detail, source_extra)
}

fn array<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    document: &'static str,
    path: &str,
) -> Result<&'a [Value]> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(invalid(document, join(path, key), "expected an array")),
    }
}

fn object<'a>(
    value: &'a Value,
    document: &'static str,
    path: &str,
) -> Result<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| invalid(document, path, "expected an object"))
}

fn string<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    document: &'static str,
    path: &str,
) -> Result<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(document, join(path, key), "expected a string"))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() || path == "$" {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// `module.a.cloudflare_dns_record.www["k"]`, as Terraform writes addresses.
fn address(module: Option<&str>, rtype: &str, name: &str, index: Option<&Value>) -> String {
    let mut out = String::new();
    if let Some(m) = module.filter(|m| !m.is_empty()) {
        out.push_str(m);
        out.push('.');
    }
    out.push_str(rtype);
    out.push('.');
    out.push_str(name);
    match index {
        Some(Value::Number(n)) => out.push_str(&format!("[{n}]")),
        Some(Value::String(s)) => out.push_str(&format!("[{}]", Value::String(s.clone()))),
        _ => {}
    }
    out
}

fn read_state_v4(root: &Map<String, Value>, detail: &str) -> Result<Input> {
    let mut input = new_input(SourceKind::TerraformState, detail, root);
    for (i, resource) in array(root, "resources", STATE, "$")?.iter().enumerate() {
        let path = format!("resources[{i}]");
        let r = object(resource, STATE, &path)?;
        let rtype = string(r, "type", STATE, &path)?;
        let name = string(r, "name", STATE, &path)?;
        let mode = r.get("mode").and_then(Value::as_str).unwrap_or("managed");
        let module = r.get("module").and_then(Value::as_str);
        let provider = r.get("provider").and_then(Value::as_str).unwrap_or("");
        let instances = array(r, "instances", STATE, &path)?;
        if mode == "data" {
            input.data_sources_skipped += instances.len();
            continue;
        }
        if mode != "managed" {
            return Err(invalid(
                STATE,
                join(&path, "mode"),
                format!("unknown resource mode {mode:?} (expected \"managed\" or \"data\")"),
            ));
        }
        for (j, inst) in instances.iter().enumerate() {
            let ipath = format!("{path}.instances[{j}]");
            let inst = object(inst, STATE, &ipath)?;
            let address = address(module, rtype, name, inst.get("index_key"));
            if inst.get("deposed").is_some_and(|d| !d.is_null()) {
                input.notes.push(format!(
                    "{address}: a deposed instance (left over from a failed replacement) is ignored"
                ));
                continue;
            }
            let attributes = match inst.get("attributes") {
                Some(Value::Object(a)) => a.clone(),
                Some(_) => return Err(invalid(STATE, join(&ipath, "attributes"), "expected an object")),
                None if inst.contains_key("attributes_flat") => {
                    return Err(invalid(
                        STATE,
                        join(&ipath, "attributes_flat"),
                        "flat-map attributes (written by Terraform 0.11) are not supported; refresh the state with Terraform 0.12 or later",
                    ))
                }
                None => return Err(invalid(STATE, &ipath, "instance has no \"attributes\"")),
            };
            input
                .instances
                .push(Instance::new(address, rtype, name, provider, attributes));
        }
    }
    Ok(input)
}

fn read_shown_state(root: &Map<String, Value>, detail: &str) -> Result<Input> {
    let mut input = new_input(SourceKind::TerraformState, detail, root);
    if let Some(values) = root.get("values").filter(|v| !v.is_null()) {
        let values = object(values, STATE, "values")?;
        if let Some(module) = values.get("root_module").filter(|v| !v.is_null()) {
            read_module(module, STATE, "values.root_module", &mut input)?;
        }
    }
    Ok(input)
}

/// A module of `terraform show -json` (`values.root_module`, `planned_values.root_module`) and its
/// child modules, recursively.
fn read_module(
    module: &Value,
    document: &'static str,
    path: &str,
    input: &mut Input,
) -> Result<()> {
    let m = object(module, document, path)?;
    for (i, resource) in array(m, "resources", document, path)?.iter().enumerate() {
        let rpath = format!("{path}.resources[{i}]");
        let r = object(resource, document, &rpath)?;
        let rtype = string(r, "type", document, &rpath)?;
        let name = string(r, "name", document, &rpath)?;
        let mode = r.get("mode").and_then(Value::as_str).unwrap_or("managed");
        if mode == "data" {
            input.data_sources_skipped += 1;
            continue;
        }
        let address = match r.get("address").and_then(Value::as_str) {
            Some(a) => a.to_owned(),
            None => address(
                m.get("address").and_then(Value::as_str),
                rtype,
                name,
                r.get("index"),
            ),
        };
        let provider = r.get("provider_name").and_then(Value::as_str).unwrap_or("");
        let attributes = match r.get("values") {
            Some(Value::Object(v)) => v.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(_) => {
                return Err(invalid(
                    document,
                    join(&rpath, "values"),
                    "expected an object",
                ))
            }
        };
        input
            .instances
            .push(Instance::new(address, rtype, name, provider, attributes));
    }
    for (i, child) in array(m, "child_modules", document, path)?
        .iter()
        .enumerate()
    {
        read_module(
            child,
            document,
            &format!("{path}.child_modules[{i}]"),
            input,
        )?;
    }
    Ok(())
}

fn read_plan(root: &Map<String, Value>, detail: &str) -> Result<Input> {
    let mut input = new_input(SourceKind::TerraformPlan, detail, root);
    input.taken_at = root
        .get("timestamp")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if root.get("errored").and_then(Value::as_bool) == Some(true) {
        input.notes.push(
            "the plan errored: Terraform could not finish planning, so the planned state may be incomplete"
                .to_owned(),
        );
    }
    // What each change leaves unknown until apply, by address.
    let mut after_unknown: HashMap<String, Value> = HashMap::new();
    let changes = array(root, "resource_changes", PLAN, "$")?;
    let mut from_changes = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let path = format!("resource_changes[{i}]");
        let c = object(change, PLAN, &path)?;
        let rtype = string(c, "type", PLAN, &path)?;
        let name = string(c, "name", PLAN, &path)?;
        if c.get("mode").and_then(Value::as_str) == Some("data") {
            continue;
        }
        let addr = match c.get("address").and_then(Value::as_str) {
            Some(a) => a.to_owned(),
            None => address(
                c.get("module_address").and_then(Value::as_str),
                rtype,
                name,
                c.get("index"),
            ),
        };
        let Some(body) = c.get("change").and_then(Value::as_object) else {
            return Err(invalid(PLAN, join(&path, "change"), "expected an object"));
        };
        let actions: Vec<&str> = array(body, "actions", PLAN, &join(&path, "change"))?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if actions.contains(&"delete") && !actions.contains(&"create") {
            input.planned_deletions.push(ResourceAddr {
                resource_type: rtype.to_owned(),
                name: name.to_owned(),
                address: addr,
                why: "the plan deletes it".to_owned(),
            });
            continue;
        }
        if let Some(unknown) = body.get("after_unknown").filter(|v| !v.is_null()) {
            after_unknown.insert(addr.clone(), unknown.clone());
        }
        let provider = c.get("provider_name").and_then(Value::as_str).unwrap_or("");
        let after = body.get("after").and_then(Value::as_object).cloned();
        from_changes.push(Instance::new(
            addr,
            rtype,
            name,
            provider,
            after.unwrap_or_default(),
        ));
    }
    let planned_root = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
        .filter(|v| !v.is_null());
    match planned_root {
        Some(module) => read_module(module, PLAN, "planned_values.root_module", &mut input)?,
        // Without planned values, each change's `after` is the planned state.
        None => input.instances = from_changes,
    }
    for instance in &mut input.instances {
        if let Some(unknown) = after_unknown.get(&instance.address) {
            let mut paths = Vec::new();
            unknown_paths(unknown, String::new(), &mut paths);
            for path in paths.into_iter().rev() {
                remove_path(&mut instance.attributes, &path);
                let top = path.split(['.', '[']).next().unwrap_or(&path).to_owned();
                instance
                    .unknown
                    .entry(top)
                    .or_insert_with(|| "known only after apply".to_owned());
                input.unevaluated.push(Unevaluated {
                    address: instance.address.clone(),
                    attribute: path,
                    why: "known only after apply".to_owned(),
                    file: None,
                    line: None,
                });
            }
        }
    }
    // Unknown paths were collected deepest-last per resource; list them in reading order.
    input.unevaluated.sort_by(|a, b| {
        a.address
            .cmp(&b.address)
            .then(a.attribute.cmp(&b.attribute))
    });
    let drifted: Vec<String> = array(root, "resource_drift", PLAN, "$")?
        .iter()
        .filter_map(|d| d.get("address").and_then(Value::as_str).map(str::to_owned))
        .collect();
    if !drifted.is_empty() {
        input.notes.push(format!(
            "Terraform saw {} resource(s) changed outside Terraform since the last apply (resource_drift): {}",
            drifted.len(),
            drifted.join(", ")
        ));
    }
    Ok(input)
}

/// Paths (`rules[0].id`) where `after_unknown` is `true`.
fn unknown_paths(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Bool(true) => out.push(if prefix.is_empty() {
            "*".to_owned()
        } else {
            prefix
        }),
        Value::Object(map) => {
            for (k, v) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                unknown_paths(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                unknown_paths(v, format!("{prefix}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Removes the member or element at `path` (as written by [`unknown_paths`]), if present.
fn remove_path(attributes: &mut Map<String, Value>, path: &str) {
    let mut segments: Vec<Segment> = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            segments.push(Segment::Key(key.to_owned()));
        }
        for index in rest.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse::<usize>() {
                segments.push(Segment::Index(i));
            }
        }
    }
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut here: Option<&mut Value> = None;
    for seg in parents {
        let next = match (here, seg) {
            (None, Segment::Key(k)) => attributes.get_mut(k),
            (Some(Value::Object(m)), Segment::Key(k)) => m.get_mut(k),
            (Some(Value::Array(a)), Segment::Index(i)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(v) => here = Some(v),
            None => return,
        }
    }
    match (here, last) {
        (None, Segment::Key(k)) => {
            attributes.remove(k);
        }
        (Some(Value::Object(m)), Segment::Key(k)) => {
            m.remove(k);
        }
        (Some(Value::Array(a)), Segment::Index(i)) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

enum Segment {
    Key(String),
    Index(usize),
}
