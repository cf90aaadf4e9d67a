//! Custom invariants written in Rego, evaluated with [`regorus`].
//!
//! # Convention
//!
//! Every policy file declares a package (any name; `package cfcp.custom.<name>` is the
//! recommended one) and, in any package that has something to report, a partial set rule `deny`:
//!
//! ```rego
//! package cfcp.custom.records
//!
//! deny contains {"id": "dns_record_has_comment", "severity": "low",
//!                "resource": r.id, "zone": z.zone.name,
//!                "msg": sprintf("%s has no comment", [r.name])} if {
//!     some z in input.zones
//!     some r in z.dns_records
//!     not r.comment
//! }
//! ```
//!
//! `input` is the snapshot's JSON (`cfcp.snapshot/v1`, exactly as saved). Each element of a
//! `deny` set becomes one FAIL [`Finding`]:
//!
//! | member | required | becomes |
//! |---|---|---|
//! | `id` | yes, non-empty string | `check_id` |
//! | `severity` | yes: `critical`, `high`, `medium`, `low`, `info` | `severity` (anything else is an error naming the policy) |
//! | `resource` | yes: a string, or an object `{type, id, name, zone}` | `resource` (`type` defaults to `custom`, `name` to the id) |
//! | `msg` | yes, string | `message` |
//! | `zone` | no, string | `resource.zone` |
//! | `title` | no, string | `title` (defaults to the id) |
//! | `remediation` | no: a string, or `{text, terraform, api}` | `remediation` |
//! | `compliance` | no: array or set of strings (`"NIST-800-53r5:SC-8"`) | `compliance` |
//!
//! # Sandbox and limits
//!
//! cfcp's core reads no files, clock or environment, and neither do policies: regorus is built
//! without its `time`, `http`, `opa-runtime` and `uuid` builtins, and [`load_policies`] rejects a
//! policy that names one of them (or `rand.intn`) with the file and line of the call. Other unknown
//! functions are rejected at load time as well (the policy is compiled for regorus's virtual
//! machine when it is loaded).
//!
//! Evaluation runs on regorus's RVM with a deterministic instruction budget
//! ([`Limits::max_instructions`], per package): a policy that exceeds it is an error naming the
//! package, never a hang, and the same snapshot always gives the same answer. There is no
//! wall-clock limit in core (core reads no clock). What the budget does not bound is the work done
//! inside a single builtin call (`net.cidr_expand("10.0.0.0/8")`, a huge `numbers.range`) and
//! memory; policies are trusted configuration, not untrusted input.
//!
//! # Errors
//!
//! Every error is an [`Error::InvalidDocument`] with `document: "policy"`, `path` the policy file
//! and the line and column when regorus gives one. A broken file does not take the others down:
//! [`load_policies_lenient`] loads what it can and returns one error per broken file or package,
//! and [`PolicySet::evaluate_lenient`] does the same per package, so a caller can report them and
//! still run the built-in checks.

use std::collections::BTreeMap;
use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::{Engine, Value};

use super::{Finding, Remediation, Resource, Severity, Status};
use crate::error::{Error, Result};
use crate::snapshot::Snapshot;

/// The document name used in errors.
const DOCUMENT: &str = "policy";

/// Builtins a policy may not call: they read the clock, the network, the environment or a random
/// source. Entries ending in `.` forbid a whole namespace.
const FORBIDDEN_BUILTINS: &[(&str, &str)] = &[
    ("time.", "the clock"),
    ("http.", "the network"),
    ("net.lookup_ip_addr", "the network (DNS)"),
    ("opa.runtime", "the environment"),
    ("rand.", "a random source"),
    ("uuid.", "a random source"),
];

/// How much work one evaluation may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most RVM instructions one package's `deny` may execute on one snapshot.
    pub max_instructions: usize,
}

impl Limits {
    /// The default budget: 200 million instructions per package, enough for a simple rule over a
    /// few million records (a few seconds of work) and far below a runaway policy.
    pub const DEFAULT_MAX_INSTRUCTIONS: usize = 200_000_000;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_instructions: Self::DEFAULT_MAX_INSTRUCTIONS,
        }
    }
}

/// One package's compiled `deny` rule.
#[derive(Debug, Clone)]
struct DenyProgram {
    /// `data.cfcp.custom.x`.
    package: String,
    /// The files that declare the package's `deny`, in load order.
    files: Vec<String>,
    program: Arc<Program>,
}

/// Loaded, compiled policies.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    files: Vec<String>,
    programs: Vec<DenyProgram>,
}

impl PolicySet {
    /// The files that loaded, in the order given.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The packages that define `deny` (`data.cfcp.custom.x`), sorted.
    pub fn packages(&self) -> Vec<&str> {
        self.programs.iter().map(|p| p.package.as_str()).collect()
    }

    /// True when no package defines `deny`.
    pub fn is_empty(&self) -> bool {
        self.programs.is_empty()
    }

    /// Evaluates every package's `deny` on `snapshot`: one FAIL finding per element, sorted by
    /// check id, zone and resource. The first error (a malformed element, a bad severity, the
    /// instruction budget exceeded) fails the whole evaluation; see [`Self::evaluate_lenient`].
    pub fn evaluate(&self, snapshot: &Snapshot, limits: Limits) -> Result<Vec<Finding>> {
        let (findings, mut errors) = self.evaluate_lenient(snapshot, limits);
        match errors.is_empty() {
            true => Ok(findings),
            false => Err(errors.remove(0)),
        }
    }

    /// Like [`Self::evaluate`], but a package that fails contributes an error and no findings,
    /// and the other packages still run.
    pub fn evaluate_lenient(
        &self,
        snapshot: &Snapshot,
        limits: Limits,
    ) -> (Vec<Finding>, Vec<Error>) {
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        if self.programs.is_empty() {
            return (findings, errors);
        }
        let input = Value::from(snapshot.to_value());
        for deny in &self.programs {
            match evaluate_program(deny, &input, limits) {
                Ok(mut found) => findings.append(&mut found),
                Err(error) => errors.push(error),
            }
        }
        findings.sort_by(|a, b| {
            (&a.check_id, &a.resource.zone, &a.resource.id, &a.message).cmp(&(
                &b.check_id,
                &b.resource.zone,
                &b.resource.id,
                &b.message,
            ))
        });
        (findings, errors)
    }
}

/// Loads and compiles `files` (`(path, text)` pairs; the path is only used in errors and must be
/// unique). Any broken file is an error; see [`load_policies_lenient`] to load the rest anyway.
pub fn load_policies(files: &[(String, String)]) -> Result<PolicySet> {
    let (set, mut errors) = load_policies_lenient(files);
    match errors.is_empty() {
        true => Ok(set),
        false => Err(errors.remove(0)),
    }
}

/// Loads what it can: a file that does not parse, calls a forbidden builtin or does not compile
/// contributes an error (naming the file and line) and is left out; the others load.
pub fn load_policies_lenient(files: &[(String, String)]) -> (PolicySet, Vec<Error>) {
    let mut errors = Vec::new();
    let mut engine = Engine::new();
    engine.set_rego_v0(false);
    let mut loaded: Vec<String> = Vec::new();
    // package -> files declaring its deny rule
    let mut deny_packages: BTreeMap<String, Vec<String>> = BTreeMap::new();

    for (path, text) in files {
        if loaded.iter().any(|p| p == path) {
            errors.push(policy_error(
                path,
                0,
                0,
                "the same policy path was given twice",
            ));
            continue;
        }
        if let Some(error) = forbidden_builtin(path, text) {
            errors.push(error);
            continue;
        }
        let package = match engine.add_policy(path.clone(), text.clone()) {
            Ok(package) => package,
            Err(error) => {
                errors.push(regorus_error(path, &error));
                continue;
            }
        };
        loaded.push(path.clone());
        match engine.has_declared_rule_rooted_at(path, "deny") {
            Ok(true) => deny_packages.entry(package).or_default().push(path.clone()),
            Ok(false) => {}
            Err(error) => errors.push(regorus_error(path, &error)),
        }
    }

    let mut programs = Vec::new();
    let mut broken_files: Vec<String> = Vec::new();
    for (package, package_files) in deny_packages {
        let entry = format!("{package}.deny");
        match compile(&mut engine, &entry) {
            Ok(program) => programs.push(DenyProgram {
                package,
                files: package_files,
                program,
            }),
            Err(error) => {
                let fallback = package_files.first().map(String::as_str).unwrap_or("");
                let error = regorus_error(fallback, &error);
                if let Error::InvalidDocument { path, .. } = &error {
                    broken_files.push(path.clone());
                }
                broken_files.extend(package_files);
                errors.push(error);
            }
        }
    }
    loaded.retain(|f| !broken_files.contains(f));
    (
        PolicySet {
            files: loaded,
            programs,
        },
        errors,
    )
}

/// Compiles `entry` for the RVM; the error is regorus's text (with `--> file:line:col`).
fn compile(engine: &mut Engine, entry: &str) -> std::result::Result<Arc<Program>, String> {
    let rule = Arc::<str>::from(entry);
    let compiled = engine
        .compile_with_entrypoint(&rule)
        .map_err(|e| format!("{e:#}"))?;
    Compiler::compile_from_policy(&compiled, &[entry]).map_err(|e| format!("{e:#}"))
}

fn evaluate_program(deny: &DenyProgram, input: &Value, limits: Limits) -> Result<Vec<Finding>> {
    let file = deny.files.first().map(String::as_str).unwrap_or("");
    let entry = format!("{}.deny", deny.package);
    let mut vm = RegoVM::new();
    vm.load_program(Arc::clone(&deny.program));
    vm.set_max_instructions(limits.max_instructions);
    vm.set_input(input.clone());
    let result = vm.execute_entry_point_by_name(&entry).map_err(|error| {
        let text = error.to_string();
        let message = if text.contains("nstruction limit") {
            format!(
                "{}: evaluation stopped after {} instructions (the limit); simplify the policy or raise the limit",
                deny.package, limits.max_instructions
            )
        } else {
            format!("{}: evaluation failed: {}", deny.package, last_error_line(&text))
        };
        let (line, column) = location(&text).map(|l| (l.1, l.2)).unwrap_or((0, 0));
        policy_error(file, line, column, message)
    })?;
    let elements: Vec<&Value> = match &result {
        Value::Undefined | Value::Null => Vec::new(),
        Value::Set(set) => set.iter().collect(),
        Value::Array(array) => array.iter().collect(),
        other => {
            return Err(policy_error(
                file,
                0,
                0,
                format!(
                "{}: `deny` must be a set of objects (`deny contains {{...}} if ...`), found {}",
                deny.package,
                brief(other)
            ),
            ))
        }
    };
    elements
        .into_iter()
        .map(|element| {
            finding(element).map_err(|m| policy_error(file, 0, 0, format!("{}: {m}", deny.package)))
        })
        .collect()
}

/// Turns one `deny` element into a finding, or says what is wrong with it.
fn finding(element: &Value) -> std::result::Result<Finding, String> {
    let Value::Object(object) = element else {
        return Err(format!(
            "every `deny` element must be an object with id, severity, resource and msg, found {}",
            brief(element)
        ));
    };
    let get = |key: &str| object.get(&Value::from(key));
    let string = |key: &str, required: bool| -> std::result::Result<Option<String>, String> {
        match get(key) {
            None | Some(Value::Undefined) if !required => Ok(None),
            None | Some(Value::Undefined) => Err(format!(
                "`deny` element {} has no \"{key}\"",
                brief(element)
            )),
            Some(Value::String(s)) => Ok(Some(s.to_string())),
            Some(Value::Null) if !required => Ok(None),
            Some(other) => Err(format!(
                "\"{key}\" of `deny` element {} must be a string, found {}",
                brief(element),
                brief(other)
            )),
        }
    };

    let id = string("id", true)?.unwrap_or_default();
    if id.trim().is_empty() {
        return Err(format!(
            "`deny` element {} has an empty \"id\"",
            brief(element)
        ));
    }
    let severity_text = string("severity", true)?.unwrap_or_default();
    let severity = Severity::parse(&severity_text).ok_or_else(|| {
        format!("{id}: severity {severity_text:?} is not one of critical, high, medium, low, info")
    })?;
    let message = string("msg", true)?.unwrap_or_default();
    let title = string("title", false)?.unwrap_or_else(|| id.clone());
    let zone = string("zone", false)?;

    let resource = match get("resource") {
        Some(Value::String(s)) => Resource {
            kind: "custom".into(),
            id: s.as_ref().into(),
            name: s.as_ref().into(),
            zone: zone.map(Into::into),
        },
        Some(Value::Object(r)) => {
            let field = |key: &str| match r.get(&Value::from(key)) {
                Some(Value::String(s)) => Some(s.to_string()),
                _ => None,
            };
            let rid = field("id")
                .ok_or_else(|| format!("{id}: \"resource\" object has no string \"id\""))?;
            Resource {
                kind: field("type").map_or("custom".into(), Into::into),
                name: field("name").unwrap_or_else(|| rid.clone()).into(),
                id: rid.into(),
                zone: field("zone").or(zone).map(Into::into),
            }
        }
        None | Some(Value::Undefined) => {
            return Err(format!("{id}: `deny` element has no \"resource\""))
        }
        Some(other) => {
            return Err(format!(
                "{id}: \"resource\" must be a string or an object, found {}",
                brief(other)
            ))
        }
    };

    let remediation = match get("remediation") {
        None | Some(Value::Undefined) | Some(Value::Null) => empty_remediation(),
        Some(Value::String(s)) => Remediation {
            text: s.to_string().into(),
            ..empty_remediation()
        },
        Some(Value::Object(r)) => {
            let field = |key: &str| match r.get(&Value::from(key)) {
                Some(Value::String(s)) => s.to_string(),
                _ => String::new(),
            };
            Remediation {
                text: field("text").into(),
                terraform: field("terraform").into(),
                api: field("api").into(),
            }
        }
        Some(other) => {
            return Err(format!(
                "{id}: \"remediation\" must be a string or {{text, terraform, api}}, found {}",
                brief(other)
            ))
        }
    };

    let compliance = match get("compliance") {
        None | Some(Value::Undefined) | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => strings(&id, items.iter())?,
        Some(Value::Set(items)) => strings(&id, items.iter())?,
        Some(other) => {
            return Err(format!(
                "{id}: \"compliance\" must be an array of strings, found {}",
                brief(other)
            ))
        }
    };

    Ok(Finding {
        check_id: id.into(),
        title: title.into(),
        severity,
        status: Status::Fail,
        resource,
        message,
        remediation,
        compliance: compliance.into_iter().map(Into::into).collect(),
    })
}

fn strings<'a>(
    id: &str,
    items: impl Iterator<Item = &'a Value>,
) -> std::result::Result<Vec<String>, String> {
    items
        .map(|item| match item {
            Value::String(s) => Ok(s.to_string()),
            other => Err(format!(
                "{id}: \"compliance\" must hold strings like \"NIST-800-53r5:SC-8\", found {}",
                brief(other)
            )),
        })
        .collect()
}

fn empty_remediation() -> Remediation {
    Remediation {
        text: "".into(),
        terraform: "".into(),
        api: "".into(),
    }
}

/// A value in a few characters, for error messages.
fn brief(value: &Value) -> String {
    let text = value
        .to_json_str()
        .unwrap_or_else(|_| "<value>".to_owned())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn policy_error(path: &str, line: usize, column: usize, message: impl Into<String>) -> Error {
    Error::InvalidDocument {
        document: DOCUMENT,
        path: path.to_owned(),
        line,
        column,
        message: message.into(),
    }
}

/// Maps a regorus error (whose text carries `--> file:line:col` and `error: ...`) to a policy
/// error at the innermost location it names.
fn regorus_error(fallback_path: &str, error: &dyn std::fmt::Display) -> Error {
    let text = format!("{error:#}");
    let message = last_error_line(&text);
    match location(&text) {
        Some((path, line, column)) => policy_error(&path, line, column, message),
        None => policy_error(fallback_path, 0, 0, message),
    }
}

/// The innermost `--> path:line:col` of a regorus error text.
fn location(text: &str) -> Option<(String, usize, usize)> {
    text.lines().rev().find_map(|line| {
        let rest = line.trim_start().strip_prefix("-->")?.trim();
        let mut parts = rest.rsplitn(3, ':');
        let column = parts.next()?.trim().parse().ok()?;
        let line = parts.next()?.trim().parse().ok()?;
        let path = parts.next()?.to_owned();
        Some((path, line, column))
    })
}

/// The last `error: ...` line of a regorus error text (or the whole text, on one line).
fn last_error_line(text: &str) -> String {
    text.lines()
        .rev()
        .find_map(|line| line.trim_start().strip_prefix("error:"))
        .map(|m| m.trim().to_owned())
        .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Finds a call to a forbidden builtin outside comments and strings.
fn forbidden_builtin(path: &str, text: &str) -> Option<Error> {
    let bytes = text.as_bytes();
    let (mut i, mut line, mut line_start) = (0usize, 1usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line += 1;
                line_start = i + 1;
                i += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    if bytes[i] == b'\n' {
                        line += 1;
                        line_start = i + 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
                {
                    i += 1;
                }
                let preceded_by_dot = start > 0 && bytes[start - 1] == b'.';
                let name = &text[start..i];
                let mut after = i;
                while after < bytes.len() && (bytes[after] == b' ' || bytes[after] == b'\t') {
                    after += 1;
                }
                let is_call = after < bytes.len() && bytes[after] == b'(';
                if is_call && !preceded_by_dot {
                    let hit = FORBIDDEN_BUILTINS.iter().find(|(forbidden, _)| {
                        name == *forbidden
                            || (forbidden.ends_with('.') && name.starts_with(forbidden))
                    });
                    if let Some((_, what)) = hit {
                        return Some(policy_error(
                            path,
                            line,
                            start - line_start + 1,
                            format!(
                                "`{name}` is not available: cfcp policies are pure functions of the \
                                 snapshot and cannot read {what}"
                            ),
                        ));
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
#[path = "rego_tests.rs"]
mod tests;
