//! `.tf` files → desired state: the literal `cloudflare_*` resources, for a repository without
//! state at hand. Variables with a default (or a value in a `.tfvars` file) and locals built from
//! them are evaluated, as are `count` and `for_each` when they come down to literals; whatever
//! else a value needs (functions, other resources, modules, data sources, dynamic blocks) is listed
//! in [`super::Desired::unevaluated`] with the file and line.

use hcl::eval::{Context, Evaluate};
use hcl::expr::{Expression, Operation, TraversalOperator};
use hcl::{Block, Body, Structure, Template};
use serde_json::{Map, Value};

use super::build::{self, Input, Instance};
use super::{Desired, ResourceAddr, Unevaluated};
use crate::error::{Error, Result};
use crate::snapshot::SourceKind;

const DOCUMENT: &str = "Terraform configuration";

/// Loads the `cloudflare_*` resources of `.tf` files (`files` are `(file name, text)`; names
/// ending in `.tfvars` give variable values, as `terraform.tfvars` and `*.auto.tfvars` do).
///
/// `import { to = ..., id = ... }` blocks give the resources they name their ids (a zone's id, a
/// record's from `<zone_id>/<record_id>`, ...). Zones, tunnels and lists without one have no id
/// before apply: their name stands in for it, both in the snapshot and in references
/// (`zone_id = cloudflare_zone.main.id`), and a note says so.
///
/// A resource whose key attributes (zone or account id, record name and type) are not known is
/// skipped, and the `unevaluated` entry says which attribute and why; a resource with other unknown
/// attributes is loaded with the rest. `source.kind` is `terraform-config`. A file that does not
/// parse is an error naming the file, line and column.
///
/// ```
/// let tf = r#"
/// variable "zone_id" { default = "0da42c8d2132a9ddaf714f9e7c920711" }
/// locals { prefix = "app" }
/// resource "cloudflare_dns_record" "app" {
///   zone_id = var.zone_id
///   name    = "${local.prefix}.example.com"
///   type    = "CNAME"
///   content = cloudflare_zero_trust_tunnel_cloudflared.main.cname
///   proxied = true
/// }"#;
/// let desired = cfcp::terraform::load_hcl(&[("main.tf".into(), tf.into())]).unwrap();
/// let record = &desired.snapshot.zones[0].dns_records[0];
/// assert_eq!(record.name, "app.example.com");
/// assert!(record.content.get().is_none());
/// let why = &desired.unevaluated[0];
/// assert_eq!((why.attribute.as_str(), why.line), ("content", Some(4)));
/// assert!(why.why.contains("cloudflare_zero_trust_tunnel_cloudflared.main"), "{}", why.why);
/// ```
pub fn load_hcl(files: &[(String, String)]) -> Result<Desired> {
    let mut parsed = Vec::new();
    for (name, text) in files {
        let body = hcl::parse(text).map_err(|e| parse_error(name, e))?;
        parsed.push((name.as_str(), text.as_str(), body));
    }
    let detail = files
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut input = Input::new(
        SourceKind::Other("terraform-config".to_owned()),
        &detail,
        Map::new(),
    );
    let mut scope = Scope::new(&parsed, &mut input);
    scope.read_imports(&parsed);
    scope.stand_in_ids(&parsed);
    for (file, text, body) in &parsed {
        if file.ends_with(".tfvars") {
            continue;
        }
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            match (block.identifier.as_str(), labels.as_slice()) {
                ("resource", [rtype, name]) => {
                    let line = find_line(text, &["resource", rtype, name]);
                    scope.resource(block, rtype, name, file, line, &mut input);
                }
                ("data", [_, _]) => input.data_sources_skipped += 1,
                ("module", [name]) => {
                    let line = find_line(text, &["module", name]);
                    input.unevaluated.push(Unevaluated {
                        address: format!("module.{name}"),
                        attribute: "*".to_owned(),
                        why: "modules are not evaluated: the module's resources are not loaded (load the state or a plan instead)".to_owned(),
                        file: Some((*file).to_owned()),
                        line,
                    });
                }
                _ => {}
            }
        }
    }
    build::build(input)
}

fn parse_error(file: &str, e: hcl::Error) -> Error {
    let (line, column, message) = match &e {
        hcl::Error::Parse(p) => (
            p.location().line(),
            p.location().column(),
            p.message().to_owned(),
        ),
        other => (0, 0, other.to_string()),
    };
    Error::InvalidDocument {
        document: DOCUMENT,
        path: file.to_owned(),
        line,
        column,
        message: format!("not valid HCL: {message}"),
    }
}

/// The 1-based line of the first block header made of these words (`resource "a" "b" {`).
fn find_line(text: &str, words: &[&str]) -> Option<usize> {
    text.lines()
        .position(|line| {
            let mut parts = line
                .split(|c: char| c.is_whitespace() || c == '"' || c == '{')
                .filter(|p| !p.is_empty());
            words.iter().all(|w| parts.next() == Some(w))
        })
        .map(|i| i + 1)
}

/// Variables and locals known for evaluation.
struct Scope {
    vars: hcl::Map<String, hcl::Value>,
    locals: hcl::Map<String, hcl::Value>,
    /// Locals that could not be evaluated, and why.
    unresolved: std::collections::HashMap<String, String>,
    /// Zones, tunnels and lists by type and name, with their name standing in for the id they get
    /// at apply: `cloudflare_zone.main.id` then places the records of a zone made in the same
    /// configuration (the loader identifies such objects by name too).
    stand_ins: hcl::Map<String, hcl::Value>,
    /// `import { to = ADDRESS, id = "..." }`: the ids of resources that already exist.
    imports: std::collections::HashMap<String, String>,
}

/// The object id in a resource's import id (`<zone_id>/<record_id>` → the record id), for the
/// types whose id the snapshot keeps.
fn id_from_import(resource_type: &str, import_id: &str) -> Option<String> {
    let last = import_id.rsplit('/').next().filter(|s| !s.is_empty())?;
    match resource_type {
        "cloudflare_zone" => Some(import_id.to_owned()),
        "cloudflare_dns_record"
        | "cloudflare_record"
        | "cloudflare_list"
        | "cloudflare_list_item"
        | "cloudflare_ruleset"
        | "cloudflare_zero_trust_tunnel_cloudflared"
        | "cloudflare_tunnel" => Some(last.to_owned()),
        _ => None,
    }
}

/// `cloudflare_zone.main` or `cloudflare_dns_record.r["k"]` out of an `import` block's `to`.
fn address_of(expr: &Expression) -> Option<String> {
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let mut out = root.as_str().to_owned();
    for op in &t.operators {
        match op {
            TraversalOperator::GetAttr(a) => {
                out.push('.');
                out.push_str(a.as_str());
            }
            TraversalOperator::Index(Expression::Number(n)) => out.push_str(&format!("[{n}]")),
            TraversalOperator::Index(Expression::String(k)) => {
                out.push_str(&format!("[{}]", Value::String(k.clone())))
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The types whose name stands in for their id (the loader does the same when the id is absent).
const NAMED_BY_NAME: &[(&str, &str)] = &[
    ("cloudflare_zone", "name"),
    ("cloudflare_zone", "zone"),
    ("cloudflare_zero_trust_tunnel_cloudflared", "name"),
    ("cloudflare_tunnel", "name"),
    ("cloudflare_list", "name"),
];

impl Scope {
    fn new(parsed: &[(&str, &str, Body)], input: &mut Input) -> Self {
        let empty = Context::new();
        let mut vars = hcl::Map::new();
        for (file, _, body) in parsed.iter().filter(|(f, _, _)| !f.ends_with(".tfvars")) {
            for block in body
                .blocks()
                .filter(|b| b.identifier.as_str() == "variable")
            {
                let Some(name) = block.labels.first().map(|l| l.as_str().to_owned()) else {
                    continue;
                };
                let default = block
                    .body
                    .attributes()
                    .find(|a| a.key.as_str() == "default");
                match default.map(|a| a.expr.evaluate(&empty)) {
                    Some(Ok(v)) => {
                        vars.insert(name, v);
                    }
                    Some(Err(e)) => input.notes.push(format!(
                        "{file}: var.{name}: its default is not a literal ({e})"
                    )),
                    None => {}
                }
            }
        }
        for (file, _, body) in parsed.iter().filter(|(f, _, _)| f.ends_with(".tfvars")) {
            for attr in body.attributes() {
                match attr.expr.evaluate(&empty) {
                    Ok(v) => {
                        vars.insert(attr.key.as_str().to_owned(), v);
                    }
                    Err(e) => input.notes.push(format!(
                        "{file}: {}: not a literal value ({e})",
                        attr.key.as_str()
                    )),
                }
            }
        }
        let mut scope = Scope {
            vars,
            locals: hcl::Map::new(),
            unresolved: std::collections::HashMap::new(),
            stand_ins: hcl::Map::new(),
            imports: std::collections::HashMap::new(),
        };
        // Locals may use each other in any order: evaluate until nothing more resolves.
        let mut pending: Vec<(&str, &hcl::Attribute)> = parsed
            .iter()
            .filter(|(f, _, _)| !f.ends_with(".tfvars"))
            .flat_map(|(file, _, body)| {
                body.blocks()
                    .filter(|b| b.identifier.as_str() == "locals")
                    .flat_map(move |b| b.body.attributes().map(move |a| (*file, a)))
            })
            .collect();
        loop {
            let before = pending.len();
            let ctx = scope.context();
            let mut resolved = Vec::new();
            pending.retain(|(_, attr)| match attr.expr.evaluate(&ctx) {
                Ok(v) => {
                    resolved.push((attr.key.as_str().to_owned(), v));
                    false
                }
                Err(_) => true,
            });
            drop(ctx);
            scope.locals.extend(resolved);
            if pending.len() == before || pending.is_empty() {
                break;
            }
        }
        // In dependency order, so a local built on another names the root cause.
        let mut progress = true;
        while progress {
            progress = false;
            for (_, attr) in &pending {
                let key = attr.key.as_str();
                if scope.unresolved.contains_key(key) {
                    continue;
                }
                if let Some(why) = scope.first_unknown(&attr.expr) {
                    scope.unresolved.insert(key.to_owned(), why);
                    progress = true;
                }
            }
        }
        for (file, attr) in pending {
            input.notes.push(format!(
                "{file}: local.{} is not evaluated ({})",
                attr.key.as_str(),
                scope.why(&attr.expr)
            ));
        }
        scope
    }

    fn context(&self) -> Context<'_> {
        let mut ctx = Context::new();
        ctx.declare_var("var", hcl::Value::Object(self.vars.clone()));
        ctx.declare_var("local", hcl::Value::Object(self.locals.clone()));
        for (rtype, by_name) in &self.stand_ins {
            ctx.declare_var(rtype.as_str(), by_name.clone());
        }
        ctx
    }

    /// Reads the `import` blocks whose target and id are known.
    fn read_imports(&mut self, parsed: &[(&str, &str, Body)]) {
        let ctx = self.context();
        let mut found = Vec::new();
        for (_, _, body) in parsed.iter().filter(|(f, _, _)| !f.ends_with(".tfvars")) {
            for block in body.blocks().filter(|b| b.identifier.as_str() == "import") {
                let attr = |key: &str| block.body.attributes().find(|a| a.key.as_str() == key);
                let to = attr("to").and_then(|a| address_of(&a.expr));
                let id = attr("id").and_then(|a| a.expr.evaluate(&ctx).ok());
                if let (Some(to), Some(hcl::Value::String(id))) = (to, id) {
                    found.push((to, id));
                }
            }
        }
        drop(ctx);
        self.imports.extend(found);
    }

    /// Fills [`Scope::stand_ins`] from the single-instance zones, tunnels and lists whose name is
    /// known: their imported id, or else their name stands in for the id.
    fn stand_in_ids(&mut self, parsed: &[(&str, &str, Body)]) {
        let mut found: Vec<(String, String, String, String)> = Vec::new();
        {
            let ctx = self.context();
            for (file, _, body) in parsed {
                if file.ends_with(".tfvars") {
                    continue;
                }
                for block in body
                    .blocks()
                    .filter(|b| b.identifier.as_str() == "resource")
                {
                    let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
                    let [rtype, name] = labels.as_slice() else {
                        continue;
                    };
                    let attr = |key: &str| block.body.attributes().find(|a| a.key.as_str() == key);
                    if attr("count").is_some() || attr("for_each").is_some() {
                        continue;
                    }
                    let value = NAMED_BY_NAME
                        .iter()
                        .filter(|(t, _)| t == rtype)
                        .find_map(|(_, key)| attr(key).and_then(|a| a.expr.evaluate(&ctx).ok()));
                    if let Some(hcl::Value::String(value)) = value {
                        let id = self
                            .imports
                            .get(&format!("{rtype}.{name}"))
                            .and_then(|i| id_from_import(rtype, i))
                            .unwrap_or_else(|| value.clone());
                        found.push(((*rtype).to_owned(), (*name).to_owned(), id, value));
                    }
                }
            }
        }
        for (rtype, name, id, value) in found {
            let mut object = hcl::Map::new();
            object.insert("id".to_owned(), hcl::Value::from(id));
            object.insert("name".to_owned(), hcl::Value::from(value));
            let by_name = self
                .stand_ins
                .entry(rtype)
                .or_insert_with(|| hcl::Value::Object(hcl::Map::new()));
            if let hcl::Value::Object(map) = by_name {
                map.insert(name, hcl::Value::Object(object));
            }
        }
    }

    fn resource(
        &self,
        block: &Block,
        rtype: &str,
        name: &str,
        file: &str,
        line: Option<usize>,
        input: &mut Input,
    ) {
        let base = format!("{rtype}.{name}");
        if !build::is_mapped(rtype) {
            // Not loaded, so its expressions are not worth listing.
            let why = if rtype.starts_with("cloudflare_") {
                "resource type not mapped by cfcp"
            } else {
                "not a Cloudflare resource"
            };
            input.unknown_resources.push(ResourceAddr {
                resource_type: rtype.to_owned(),
                name: name.to_owned(),
                address: base,
                why: why.to_owned(),
            });
            return;
        }
        let skip = |attribute: &str, why: String, input: &mut Input| {
            input.unevaluated.push(Unevaluated {
                address: base.clone(),
                attribute: attribute.to_owned(),
                why,
                file: Some(file.to_owned()),
                line,
            });
        };
        let meta = |key: &str| block.body.attributes().find(|a| a.key.as_str() == key);
        let ctx = self.context();
        // Each instance: its address suffix and the `count`/`each` it sees.
        let mut instances: Vec<(String, Option<(&str, hcl::Value)>)> = Vec::new();
        if let Some(count) = meta("count") {
            match count.expr.evaluate(&ctx) {
                Ok(hcl::Value::Number(n)) if n.as_u64().is_some() => {
                    for i in 0..n.as_u64().unwrap_or(0) {
                        let mut obj = hcl::Map::new();
                        obj.insert("index".to_owned(), hcl::Value::from(i));
                        instances
                            .push((format!("[{i}]"), Some(("count", hcl::Value::Object(obj)))));
                    }
                }
                _ => {
                    let why = format!(
                        "count is not evaluated ({}); the resource is skipped (how many instances is unknown)",
                        self.why(&count.expr)
                    );
                    return skip("count", why, input);
                }
            }
        } else if let Some(for_each) = meta("for_each") {
            let pairs: Option<Vec<(String, hcl::Value)>> = match for_each.expr.evaluate(&ctx) {
                Ok(hcl::Value::Object(map)) => Some(map.into_iter().collect()),
                Ok(hcl::Value::Array(items)) => items
                    .into_iter()
                    .map(|v| v.as_str().map(|s| (s.to_owned(), v.clone())))
                    .collect(),
                _ => None,
            };
            let Some(pairs) = pairs else {
                let why = format!(
                    "for_each is not evaluated ({}); the resource is skipped (its instances are unknown)",
                    self.why(&for_each.expr)
                );
                return skip("for_each", why, input);
            };
            for (key, value) in pairs {
                let mut obj = hcl::Map::new();
                obj.insert("key".to_owned(), hcl::Value::from(key.clone()));
                obj.insert("value".to_owned(), value);
                let suffix = format!("[{}]", Value::String(key));
                instances.push((suffix, Some(("each", hcl::Value::Object(obj)))));
            }
        } else {
            instances.push((String::new(), None));
        }
        for (suffix, iteration) in instances {
            let mut ctx = self.context();
            if let Some((var, value)) = iteration {
                ctx.declare_var(var, value);
            }
            let address = format!("{base}{suffix}");
            let mut instance = Instance::new(address, rtype, name, "", Map::new());
            instance.file = Some(file.to_owned());
            instance.line = line;
            let mut unevaluated = Vec::new();
            instance.attributes = self.body(&block.body, &ctx, "", &mut unevaluated);
            if !instance.attributes.contains_key("id") {
                let imported = self.imports.get(&instance.address);
                if let Some(id) = imported.and_then(|i| id_from_import(rtype, i)) {
                    instance
                        .attributes
                        .insert("id".to_owned(), Value::String(id));
                }
            }
            for (attribute, why) in unevaluated {
                let top = attribute
                    .split(['.', '['])
                    .next()
                    .unwrap_or(&attribute)
                    .to_owned();
                instance.unknown.entry(top).or_insert_with(|| why.clone());
                input.unevaluated.push(Unevaluated {
                    address: instance.address.clone(),
                    attribute,
                    why,
                    file: Some(file.to_owned()),
                    line,
                });
            }
            input.instances.push(instance);
        }
    }

    /// A resource body (or a nested block's) as JSON attributes; what cannot be evaluated goes to
    /// `unevaluated` as (attribute path, why).
    fn body(
        &self,
        body: &Body,
        ctx: &Context,
        prefix: &str,
        unevaluated: &mut Vec<(String, String)>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let key = attr.key.as_str();
                    if prefix.is_empty()
                        && matches!(key, "count" | "for_each" | "provider" | "depends_on")
                    {
                        continue;
                    }
                    let path = join(prefix, key);
                    match attr.expr.evaluate(ctx) {
                        Ok(v) => {
                            out.insert(
                                key.to_owned(),
                                serde_json::to_value(&v).unwrap_or(Value::Null),
                            );
                        }
                        Err(_) => unevaluated.push((path, self.why(&attr.expr))),
                    }
                }
                Structure::Block(block) => {
                    let key = block.identifier.as_str();
                    match key {
                        "lifecycle" | "provisioner" | "connection" | "timeouts" => {}
                        "dynamic" => {
                            let label = block.labels.first().map(|l| l.as_str()).unwrap_or("?");
                            unevaluated.push((
                                join(prefix, label),
                                "dynamic blocks are not evaluated".to_owned(),
                            ));
                        }
                        _ => {
                            // v4 nested blocks: a list with one object per block, as in the state.
                            let path = join(prefix, key);
                            let inner = self.body(&block.body, ctx, &path, unevaluated);
                            match out
                                .entry(key.to_owned())
                                .or_insert_with(|| Value::Array(Vec::new()))
                            {
                                Value::Array(items) => items.push(Value::Object(inner)),
                                other => *other = Value::Array(vec![Value::Object(inner)]),
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Why an expression cannot be evaluated, naming the first thing in it cfcp does not know.
    fn why(&self, expr: &Expression) -> String {
        self.first_unknown(expr)
            .unwrap_or_else(|| "an expression cfcp does not evaluate".to_owned())
    }

    fn first_unknown(&self, expr: &Expression) -> Option<String> {
        match expr {
            Expression::FuncCall(call) => Some(format!(
                "calls {}(), and functions are not evaluated",
                call.name
            )),
            Expression::Variable(v) => Some(self.reference(v.as_str(), &[])),
            Expression::Traversal(t) => {
                let attrs: Vec<&str> = t
                    .operators
                    .iter()
                    .map_while(|op| match op {
                        TraversalOperator::GetAttr(a) => Some(a.as_str()),
                        _ => None,
                    })
                    .collect();
                match &t.expr {
                    Expression::Variable(v) => {
                        let root = v.as_str();
                        let known = match root {
                            "var" => attrs.first().is_some_and(|a| self.vars.contains_key(*a)),
                            "local" => attrs.first().is_some_and(|a| self.locals.contains_key(*a)),
                            _ => false,
                        };
                        if known {
                            None
                        } else {
                            Some(self.reference(root, &attrs))
                        }
                    }
                    other => self.first_unknown(other),
                }
            }
            Expression::TemplateExpr(t) => {
                let template = Template::from_expr(t).ok()?;
                template.elements().iter().find_map(|e| match e {
                    hcl::template::Element::Interpolation(i) => self.first_unknown(&i.expr),
                    _ => None,
                })
            }
            Expression::Array(items) => items.iter().find_map(|e| self.first_unknown(e)),
            Expression::Object(obj) => obj.values().find_map(|e| self.first_unknown(e)),
            Expression::Parenthesis(e) => self.first_unknown(e),
            Expression::Conditional(c) => [&c.cond_expr, &c.true_expr, &c.false_expr]
                .into_iter()
                .find_map(|e| self.first_unknown(e)),
            Expression::Operation(op) => match op.as_ref() {
                Operation::Unary(u) => self.first_unknown(&u.expr),
                Operation::Binary(b) => self
                    .first_unknown(&b.lhs_expr)
                    .or_else(|| self.first_unknown(&b.rhs_expr)),
            },
            Expression::ForExpr(f) => self.first_unknown(&f.collection_expr),
            _ => None,
        }
    }

    fn reference(&self, root: &str, attrs: &[&str]) -> String {
        let first = attrs.first().copied().unwrap_or("?");
        match root {
            "var" => format!("var.{first} has no default; set it in a .tfvars file"),
            "local" => match self.unresolved.get(first) {
                Some(why) => format!("local.{first} is not evaluated: {why}"),
                None => format!("local.{first} is not evaluated"),
            },
            "each" | "count" => format!("{root}.{first} outside for_each/count"),
            "module" => format!("references the output of module.{first}"),
            "data" => format!(
                "references data source data.{}",
                attrs.iter().take(2).copied().collect::<Vec<_>>().join(".")
            ),
            "path" | "terraform" | "self" => format!("references {root}.{first}"),
            resource_type => format!(
                "references another resource ({resource_type}.{}), known only after apply",
                attrs.iter().take(2).copied().collect::<Vec<_>>().join(".")
            ),
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}
