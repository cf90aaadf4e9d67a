//! The Layer0 router: a Cedar policy turns a [`Classification`] into a [`Route`].
//!
//! The policy is data, not code. [`DEFAULT_POLICY`] is `corpus/layer0-policy.md` in Cedar; users
//! replace it ([`Policy::from_cedar`]) or add to it ([`Policy::with_extension`]). Every policy is
//! validated against [`SCHEMA`] when it is loaded, so a typo is a load-time error with Cedar's own
//! message and position, never a request that silently evaluates to something else.
//!
//! # How a request is put to Cedar
//!
//! | Cedar | from |
//! |---|---|
//! | principal `Agent::"<account id>"` | the context's account (`"unknown"` when it names none) |
//! | action `Action::"read"`, `"mutate"` or `"destroy"` | the classification's intent: a tool nobody has heard of still evaluates |
//! | resource `Zone::"<zone>"`, else `Account::"<account id>"` | the zone the request is about |
//! | context | the classification: `kind`, `tool`, `operation`, `intent`, `flags`, `risk`, `approved`, `dry_run`, `mode`, `zone`, `account` |
//!
//! # How the answer becomes a route
//!
//! Outcomes come from each policy's `@route` annotation: `forbid`s carry `@route("block")` or
//! `@route("approve")`, `permit`s `@route("allow")` (or nothing). Any applicable block forbid
//! gives [`Route::Block`]; else any approve forbid gives [`Route::Approve`]; else a permit that
//! applies gives [`Route::Allow`]. Anything else fails closed to [`Route::Block`] with a reason
//! that says why: no permit applies, a policy could not be evaluated, or the request could not
//! be built. `@id` names a policy in decisions, `@reason` gives its human text; no other
//! annotation is accepted (a typo such as `@rout` would otherwise change nothing, silently).
//!
//! Parsing, renaming, validation and the lookup from policy id to route are done once, at load;
//! [`Policy::route`] builds one Cedar request and runs the authorizer, or returns the decision it
//! made before for exactly the same Cedar input (a bounded memo: Cedar's own value building
//! dominates the cost, and decisions are pure functions of their input).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use cedar_policy as cedar;
use miette::Diagnostic;
use serde::{Deserialize, Serialize};

use super::{Classification, Context, Flag, Intent, Request, Route};
use crate::error::{Error, Result};

/// The default routing policy (Cedar source).
pub const DEFAULT_POLICY: &str = include_str!("default.cedar");

/// The schema every routing policy is validated against (Cedar schema syntax).
pub const SCHEMA: &str = include_str!("default.cedarschema");

/// The source name of [`DEFAULT_POLICY`] in errors and generated policy ids.
pub const DEFAULT_SOURCE_NAME: &str = "default.cedar";

/// The annotations a routing policy may carry.
pub const ANNOTATIONS: [&str; 3] = ["id", "route", "reason"];

/// The context attributes of [`SCHEMA`], for error messages.
const SCHEMA_CONTEXT: &str = "kind, tool, operation, intent, mode, zone, account (String), flags (Set<String>), risk (Long), approved, dry_run (Bool)";

/// How many of Cedar's errors one load error lists (the rest are counted).
const MAX_LISTED_ERRORS: usize = 10;

/// What the router decided, and why.
///
/// ```
/// use cfcp::layer0::{Classification, Context, Flag, Policy, Request, Route};
/// let request = Request::from_value(&serde_json::json!({"kind": "query", "text": "hi"})).unwrap();
/// let mut c = Classification::default();
/// c.flags.insert(Flag::PromptInjection);
/// let d = Policy::default_policy().route(&c, &request, &Context::default());
/// assert_eq!(d.route, Route::Block);
/// assert_eq!(d.policies, ["block.prompt_injection"]);
/// assert_eq!(d.reasons, ["block: prompt_injection"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allow, approve or block.
    pub route: Route,
    /// Ids of the policies that determined the route, in policy order (for a fail-closed block,
    /// those that could not be evaluated, or none).
    pub policies: Vec<String>,
    /// Human text, one per determining policy, e.g. `block: prompt_injection`.
    pub reasons: Vec<String>,
}

impl Decision {
    fn fail_closed(policies: Vec<String>, reasons: Vec<String>) -> Decision {
        Decision {
            route: Route::Block,
            policies,
            reasons,
        }
    }
}

/// What the loader knows about one policy, so routing needs no annotation lookups.
#[derive(Debug, Clone)]
struct Meta {
    /// Position in the loaded policy (default first, then the extension), for stable ordering.
    order: usize,
    route: Route,
    /// `"<route>: <reason>"`.
    reason: String,
}

/// The entity types and actions of [`SCHEMA`], built once.
struct Vocabulary {
    agent: cedar::EntityTypeName,
    zone: cedar::EntityTypeName,
    account: cedar::EntityTypeName,
    read: cedar::EntityUid,
    mutate: cedar::EntityUid,
    destroy: cedar::EntityUid,
}

struct Inner {
    set: cedar::PolicySet,
    schema: cedar::Schema,
    meta: HashMap<cedar::PolicyId, Meta>,
    /// Policy ids in order.
    ids: Vec<String>,
    /// The source names this policy was loaded from.
    sources: Vec<String>,
    vocabulary: Vocabulary,
    authorizer: cedar::Authorizer,
    entities: cedar::Entities,
    memo: Memo,
}

/// A validated routing policy: a Cedar policy set checked against [`SCHEMA`]. Cheap to clone
/// and safe to share between threads.
///
/// ```
/// use cfcp::layer0::{Classification, Context, Flag, Policy, Request, Route};
/// let policy = Policy::default_policy();
/// let request = Request::from_value(&serde_json::json!({
///     "kind": "tool_call", "tool": "dns_record_manage",
///     "arguments": {"action": "delete", "zone": "example.com"}
/// })).unwrap();
/// let mut c = Classification::default();
/// c.flags.insert(Flag::Destructive);
/// let mut ctx = Context::default();
/// assert_eq!(policy.route(&c, &request, &ctx).route, Route::Approve);
/// ctx.approved = true;
/// assert_eq!(policy.route(&c, &request, &ctx).route, Route::Allow);
/// ```
#[derive(Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("sources", &self.inner.sources)
            .field("policies", &self.inner.ids)
            .finish()
    }
}

impl Policy {
    /// The built-in default policy ([`DEFAULT_POLICY`]), loaded and validated once per process.
    ///
    /// ```
    /// let p = cfcp::layer0::Policy::default_policy();
    /// assert!(p.policy_ids().iter().any(|id| id == "block.prompt_injection"));
    /// ```
    pub fn default_policy() -> Policy {
        static DEFAULT: OnceLock<Policy> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                // The default is compiled in and covered by tests; failing here is a build defect,
                // not bad input.
                Policy::load(&[(DEFAULT_POLICY, DEFAULT_SOURCE_NAME)])
                    .unwrap_or_else(|e| panic!("the built-in Layer0 policy is invalid: {e}"))
            })
            .clone()
    }

    /// Loads a policy that replaces the default. It is refused, with Cedar's message and the
    /// line and column, when it does not parse, fails validation against [`SCHEMA`], uses an
    /// annotation other than [`ANNOTATIONS`] or a `@route` that does not fit its effect, repeats
    /// an `@id`, is a template, or holds no policy at all.
    ///
    /// ```
    /// use cfcp::layer0::Policy;
    /// let p = Policy::from_cedar(
    ///     r#"@id("all") permit (principal, action, resource);"#, "mine.cedar").unwrap();
    /// assert_eq!(p.policy_ids(), ["all"]);
    /// let err = Policy::from_cedar("permit (principal, action, resource) when { context.nope };", "bad.cedar")
    ///     .unwrap_err().to_string();
    /// assert!(err.starts_with("bad.cedar: ") && err.contains("nope"), "{err}");
    /// ```
    pub fn from_cedar(text: &str, source_name: &str) -> Result<Policy> {
        Policy::load(&[(text, source_name)])
    }

    /// This policy plus the user's: the extension's forbids can only make routes stricter, its
    /// permits can allow what nothing forbids. The same checks as [`Policy::from_cedar`] apply,
    /// and an `@id` the policy already has is refused.
    ///
    /// ```
    /// use cfcp::layer0::{Classification, Context, Policy, Request, Route};
    /// let p = Policy::default_policy().with_extension(
    ///     r#"@id("no-purge") @route("block") @reason("cache purges are done by hand")
    ///        forbid (principal, action, resource) when { context.tool == "cache_purge" };"#,
    ///     "site.cedar").unwrap();
    /// let request = Request::from_value(&serde_json::json!({"kind": "tool_call", "tool": "cache_purge"})).unwrap();
    /// let c = Classification { tool: Some("cache_purge".into()), ..Default::default() };
    /// let d = p.route(&c, &request, &Context::default());
    /// assert_eq!((d.route, d.reasons), (Route::Block, vec!["block: cache purges are done by hand".to_string()]));
    /// ```
    pub fn with_extension(&self, text: &str, source_name: &str) -> Result<Policy> {
        let inner = &*self.inner;
        let taken = inner.ids.iter().map(String::as_str).collect();
        let loaded = load_source(text, source_name, &inner.schema, inner.ids.len(), &taken)?;
        let mut parts = Parts {
            set: inner.set.clone(),
            meta: inner.meta.clone(),
            ids: inner.ids.clone(),
            sources: inner.sources.clone(),
        };
        parts.add(loaded, source_name)?;
        Ok(parts.assemble(inner.schema.clone()))
    }

    /// The ids of the loaded policies, in order (an `@id`, or `<source>#<n>` for the n-th
    /// policy of a source without one).
    pub fn policy_ids(&self) -> &[String] {
        &self.inner.ids
    }

    /// The source names this policy was loaded from, in order.
    pub fn sources(&self) -> &[String] {
        &self.inner.sources
    }

    /// Routes a classified request. Never fails: whatever goes wrong is a [`Route::Block`] whose
    /// reason says why (fail closed).
    pub fn route(&self, c: &Classification, request: &Request, ctx: &Context) -> Decision {
        let input = Input::new(c, request, ctx);
        let key = input.key();
        if let Some(d) = key.as_ref().and_then(|k| self.inner.memo.get(k)) {
            return d;
        }
        let d = self.inner.decide(&input);
        if let Some(k) = key {
            self.inner.memo.insert(k, &d);
        }
        d
    }

    /// Loads sources in order, each checked on its own (so an error's line and column are in
    /// that source's text), into one policy.
    fn load(sources: &[(&str, &str)]) -> Result<Policy> {
        let schema = schema()?;
        let mut parts = Parts {
            set: cedar::PolicySet::new(),
            meta: HashMap::new(),
            ids: Vec::new(),
            sources: Vec::new(),
        };
        for (text, source_name) in sources {
            let taken = parts.ids.iter().map(String::as_str).collect();
            let loaded = load_source(text, source_name, &schema, parts.ids.len(), &taken)?;
            parts.add(loaded, source_name)?;
        }
        Ok(parts.assemble(schema))
    }
}

/// A policy being put together from its sources.
struct Parts {
    set: cedar::PolicySet,
    meta: HashMap<cedar::PolicyId, Meta>,
    ids: Vec<String>,
    sources: Vec<String>,
}

impl Parts {
    fn add(&mut self, loaded: Loaded, source_name: &str) -> Result<()> {
        for (policy, m) in loaded.policies {
            self.ids.push(policy.id().to_string());
            self.meta.insert(policy.id().clone(), m);
            self.set
                .add(policy)
                .map_err(|e| policy_error(source_name, e.to_string()))?;
        }
        self.sources.push(source_name.to_owned());
        Ok(())
    }

    fn assemble(self, schema: cedar::Schema) -> Policy {
        Policy {
            inner: Arc::new(Inner {
                set: self.set,
                schema,
                meta: self.meta,
                ids: self.ids,
                sources: self.sources,
                vocabulary: vocabulary(),
                authorizer: cedar::Authorizer::new(),
                entities: cedar::Entities::empty(),
                memo: Memo::default(),
            }),
        }
    }
}

impl Inner {
    /// The route of a request, from Cedar.
    fn decide(&self, input: &Input) -> Decision {
        let cedar_request = match self.cedar_request(input, None) {
            Ok(r) => r,
            Err(why) => {
                return Decision::fail_closed(
                    Vec::new(),
                    vec![format!(
                        "block: the request could not be put to the policy ({why}); failing closed"
                    )],
                )
            }
        };
        let response = self
            .authorizer
            .is_authorized(&cedar_request, &self.set, &self.entities);
        let diagnostics = response.diagnostics();

        // Cedar skips a policy it cannot evaluate; a skipped forbid would fail open.
        let mut errors: Vec<(usize, String, String)> = diagnostics
            .errors()
            .map(|e| {
                let cedar::AuthorizationError::PolicyEvaluationError(e) = e;
                let id = e.policy_id();
                (
                    self.order_of(id),
                    id.to_string(),
                    format!(
                        "block: policy {:?} could not be evaluated ({}); failing closed",
                        id.to_string(),
                        e.inner()
                    ),
                )
            })
            .collect();
        if !errors.is_empty() {
            errors.sort();
            let (policies, reasons) = errors.into_iter().map(|(_, id, r)| (id, r)).unzip();
            return Decision::fail_closed(policies, reasons);
        }

        let mut determining: Vec<(&Meta, &cedar::PolicyId)> = diagnostics
            .reason()
            .filter_map(|id| self.meta.get(id).map(|m| (m, id)))
            .collect();
        determining.sort_by_key(|(m, _)| m.order);
        let route = match response.decision() {
            cedar::Decision::Allow => Route::Allow,
            cedar::Decision::Deny if determining.is_empty() => {
                return Decision::fail_closed(
                    Vec::new(),
                    vec!["block: no permit policy allows this request; failing closed".into()],
                )
            }
            cedar::Decision::Deny => {
                if determining.iter().any(|(m, _)| m.route == Route::Block) {
                    Route::Block
                } else {
                    Route::Approve
                }
            }
        };
        let (policies, reasons) = determining
            .into_iter()
            .filter(|(m, _)| m.route == route)
            .map(|(m, id)| (id.to_string(), m.reason.clone()))
            .unzip();
        Decision {
            route,
            policies,
            reasons,
        }
    }

    fn order_of(&self, id: &cedar::PolicyId) -> usize {
        self.meta.get(id).map_or(usize::MAX, |m| m.order)
    }

    /// The Cedar request for a classified request (see the module docs for the mapping).
    ///
    /// Every request has the same shape (the same attributes, of the same types, whatever the
    /// values), so checking it against the schema each time would only repeat, for a quarter of
    /// the cost of a decision, what a test checks once for every intent and resource type.
    fn cedar_request(
        &self,
        input: &Input,
        schema: Option<&cedar::Schema>,
    ) -> std::result::Result<cedar::Request, String> {
        use cedar::RestrictedExpression as X;
        let v = &self.vocabulary;
        let principal = cedar::EntityUid::from_type_name_and_id(
            v.agent.clone(),
            cedar::EntityId::new(input.principal),
        );
        let action = match input.intent {
            Intent::Read => v.read.clone(),
            Intent::Mutate => v.mutate.clone(),
            Intent::Destroy => v.destroy.clone(),
        };
        let resource = if input.zone.is_empty() {
            cedar::EntityUid::from_type_name_and_id(
                v.account.clone(),
                cedar::EntityId::new(input.account),
            )
        } else {
            cedar::EntityUid::from_type_name_and_id(
                v.zone.clone(),
                cedar::EntityId::new(input.zone),
            )
        };
        let string = |s: &str| X::new_string(s.to_owned());
        let context = cedar::Context::from_pairs([
            ("kind".to_owned(), string(input.kind)),
            ("tool".to_owned(), string(input.tool)),
            ("operation".to_owned(), string(input.operation)),
            ("intent".to_owned(), string(input.intent.as_str())),
            (
                "flags".to_owned(),
                X::new_set(input.flags.iter().map(|f| string(f.as_str()))),
            ),
            ("risk".to_owned(), X::new_long(i64::from(input.risk))),
            ("approved".to_owned(), X::new_bool(input.approved)),
            ("dry_run".to_owned(), X::new_bool(input.dry_run)),
            ("mode".to_owned(), string(input.mode)),
            ("zone".to_owned(), string(input.zone)),
            ("account".to_owned(), string(input.account)),
        ])
        .map_err(|e| e.to_string())?;
        cedar::Request::new(principal, action, resource, context, schema).map_err(|e| e.to_string())
    }
}

/// Everything a request puts to Cedar, and nothing else: the memo's key is made of it.
struct Input<'a> {
    principal: &'a str,
    intent: Intent,
    kind: &'a str,
    tool: &'a str,
    operation: &'a str,
    flags: &'a BTreeSet<Flag>,
    risk: u8,
    approved: bool,
    dry_run: bool,
    mode: &'a str,
    zone: &'a str,
    account: &'a str,
}

impl<'a> Input<'a> {
    fn new(c: &'a Classification, request: &'a Request, ctx: &'a Context) -> Input<'a> {
        let account = ctx.account_id.as_deref().unwrap_or("");
        Input {
            principal: if account.is_empty() {
                "unknown"
            } else {
                account
            },
            intent: c.intent,
            kind: request.kind.as_str(),
            tool: c.tool.as_deref().or(request.tool.as_deref()).unwrap_or(""),
            operation: c.action.as_deref().unwrap_or(""),
            flags: &c.flags,
            risk: c.risk,
            approved: ctx.approved,
            dry_run: c.dry_run,
            mode: c.mode.as_deref().unwrap_or(""),
            zone: c.zone.as_deref().unwrap_or(""),
            account,
        }
    }

    /// A key that differs whenever any field differs (strings are length-prefixed), or `None`
    /// for inputs too long to be worth remembering.
    fn key(&self) -> Option<String> {
        let strings = [
            self.principal,
            self.kind,
            self.tool,
            self.operation,
            self.mode,
            self.zone,
            self.account,
        ];
        let length: usize = strings.iter().map(|s| s.len() + 4).sum();
        if length > MEMO_MAX_KEY_BYTES {
            return None;
        }
        let mut key = String::with_capacity(length + 24);
        for s in strings {
            let _ = write!(key, "{}:{s}", s.len());
        }
        let flags = Flag::ALL
            .iter()
            .enumerate()
            .filter(|(_, f)| self.flags.contains(f))
            .fold(0u32, |bits, (i, _)| bits | 1 << i);
        let _ = write!(
            key,
            "{}/{flags}/{}/{}/{}",
            self.intent.as_str(),
            self.risk,
            u8::from(self.approved),
            u8::from(self.dry_run)
        );
        Some(key)
    }
}

/// How many decisions a policy remembers before it starts over.
const MEMO_CAPACITY: usize = 4096;

/// Inputs whose strings are longer than this are not remembered (a 10 MB tool name should not
/// stay in memory).
const MEMO_MAX_KEY_BYTES: usize = 1024;

/// Decisions already made. Building a Cedar request and running the authorizer costs tens of
/// microseconds, mostly in Cedar's own value construction; the same tool, flags and approval
/// recur constantly. A decision is a pure function of its [`Input`] (the entity store is empty
/// and Cedar's functions are pure), so a remembered one is exactly what Cedar would say again.
#[derive(Default)]
struct Memo {
    decisions: RwLock<HashMap<String, Decision>>,
}

impl Memo {
    fn get(&self, key: &str) -> Option<Decision> {
        let map = self
            .decisions
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(key).cloned()
    }

    fn insert(&self, key: String, decision: &Decision) {
        let mut map = self
            .decisions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        // Starting over, rather than evicting, keeps a flood of one-off inputs from costing
        // more than the Cedar call they would cost anyway.
        if map.len() >= MEMO_CAPACITY {
            map.clear();
        }
        map.insert(key, decision.clone());
    }
}

fn vocabulary() -> Vocabulary {
    // Names fixed by SCHEMA; a test loads the schema and routes with every one of them.
    let ty = |name: &str| {
        cedar::EntityTypeName::from_str(name)
            .unwrap_or_else(|e| panic!("entity type {name:?} is not a Cedar name: {e}"))
    };
    let action = |name: &str| {
        cedar::EntityUid::from_type_name_and_id(ty("Action"), cedar::EntityId::new(name))
    };
    Vocabulary {
        agent: ty("Agent"),
        zone: ty("Zone"),
        account: ty("Account"),
        read: action("read"),
        mutate: action("mutate"),
        destroy: action("destroy"),
    }
}

/// [`SCHEMA`], parsed once per process.
fn schema() -> Result<cedar::Schema> {
    static SCHEMA_PARSED: OnceLock<std::result::Result<cedar::Schema, String>> = OnceLock::new();
    SCHEMA_PARSED
        .get_or_init(|| {
            cedar::Schema::from_cedarschema_str(SCHEMA)
                .map(|(schema, _warnings)| schema)
                .map_err(|e| cedar_messages(SCHEMA, std::iter::once(&e as &dyn Diagnostic)))
        })
        .clone()
        .map_err(|message| policy_error("default.cedarschema", message))
}

/// One source's policies, renamed to their final ids, with what routing needs to know.
struct Loaded {
    policies: Vec<(cedar::Policy, Meta)>,
}

/// Parses, checks the annotations of, renames and validates one source.
fn load_source(
    text: &str,
    source_name: &str,
    schema: &cedar::Schema,
    first_order: usize,
    taken: &HashSet<&str>,
) -> Result<Loaded> {
    let parsed = cedar::PolicySet::from_str(text).map_err(|e| {
        policy_error(
            source_name,
            format!(
                "does not parse: {}; fix the Cedar syntax and load it again",
                cedar_messages(text, e.iter().map(|e| e as &dyn Diagnostic))
            ),
        )
    })?;
    if parsed.templates().next().is_some() {
        return Err(policy_error(
            source_name,
            "holds a template (a policy with ?principal or ?resource slots); routing policies must be static: write the entity in place of the slot".into(),
        ));
    }
    // PolicySet::from_str names the n-th policy `policy<n>`: that number is source order.
    let mut in_order: Vec<(usize, &cedar::Policy)> = parsed
        .policies()
        .map(|p| {
            let n = p
                .id()
                .to_string()
                .strip_prefix("policy")
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX);
            (n, p)
        })
        .collect();
    if in_order.is_empty() {
        return Err(policy_error(
            source_name,
            "holds no policy; an empty routing policy would block every request".into(),
        ));
    }
    in_order.sort_by_key(|(n, _)| *n);

    let mut seen: HashSet<String> = HashSet::new();
    let mut renamed = cedar::PolicySet::new();
    let mut policies = Vec::with_capacity(in_order.len());
    // Each policy's text is a slice of the source, in order: find it after the previous one.
    let mut cursor = 0;
    for (ordinal, (_, p)) in in_order.into_iter().enumerate() {
        let own = p.to_string();
        let offset = text.get(cursor..).and_then(|rest| rest.find(own.as_str()));
        let place = Place {
            ordinal: ordinal + 1,
            line_column: offset.map(|o| line_column(text, cursor + o)),
        };
        if let Some(o) = offset {
            cursor += o + own.len();
        }
        let (id, route, reason) = read_annotations(p, &place, source_name)?;
        if taken.contains(id.as_str()) || !seen.insert(id.clone()) {
            return Err(policy_error(
                source_name,
                format!(
                    "{}: @id({id:?}) is already used by another policy; give each policy its own @id",
                    place.describe(p)
                ),
            ));
        }
        let p = p.new_id(cedar::PolicyId::new(&id));
        renamed
            .add(p.clone())
            .map_err(|e| policy_error(source_name, e.to_string()))?;
        policies.push((
            p,
            Meta {
                order: first_order + ordinal,
                route,
                reason: format!("{route}: {}", reason.unwrap_or(&id)),
            },
        ));
    }

    let validation =
        cedar::Validator::new(schema.clone()).validate(&renamed, cedar::ValidationMode::Strict);
    if !validation.validation_passed() {
        return Err(policy_error(
            source_name,
            format!(
                "fails validation against the Layer0 schema: {}; fix the policy and load it again (the schema: principal Agent; actions read, mutate, destroy; resource Zone or Account; context {SCHEMA_CONTEXT})",
                cedar_messages(
                    text,
                    validation.validation_errors().map(|e| e as &dyn Diagnostic)
                )
            ),
        ));
    }
    Ok(Loaded { policies })
}

/// A policy's id, route and `@reason` from its annotations, refusing what cfcp cannot read.
fn read_annotations<'p>(
    p: &'p cedar::Policy,
    place: &Place,
    source_name: &str,
) -> Result<(String, Route, Option<&'p str>)> {
    let refuse = |what: String| policy_error(source_name, format!("{}: {what}", place.describe(p)));
    if let Some((key, _)) = p.annotations().find(|(k, _)| !ANNOTATIONS.contains(k)) {
        return Err(refuse(format!(
            "unknown annotation @{key}; a routing policy may carry only @id, @route and @reason"
        )));
    }
    let id = match p.annotation("id") {
        Some(id) if id.trim().is_empty() => {
            return Err(refuse("@id is empty; name the policy".into()))
        }
        Some(id) => id.to_owned(),
        None => format!("{source_name}#{}", place.ordinal),
    };
    let route = match (p.effect(), p.annotation("route")) {
        (cedar::Effect::Forbid, Some("block")) => Route::Block,
        (cedar::Effect::Forbid, Some("approve")) => Route::Approve,
        (cedar::Effect::Permit, None | Some("allow")) => Route::Allow,
        (cedar::Effect::Forbid, None) => {
            return Err(refuse(
                "a forbid needs @route(\"block\") or @route(\"approve\") to say what it does"
                    .into(),
            ))
        }
        (effect, Some(other)) => {
            let expected = match effect {
                cedar::Effect::Forbid => "\"block\" or \"approve\"",
                cedar::Effect::Permit => "\"allow\" (or no @route)",
            };
            return Err(refuse(format!(
                "@route({other:?}) is not a route for a {effect}; expected {expected}"
            )));
        }
    };
    Ok((id, route, p.annotation("reason")))
}

/// Where a policy is in its source.
struct Place {
    /// 1-based position among the source's policies.
    ordinal: usize,
    /// Line and column of its first character, when its text was found.
    line_column: Option<(usize, usize)>,
}

impl Place {
    /// `policy "<id>" (line L, column C)`, for messages about one policy.
    fn describe(&self, p: &cedar::Policy) -> String {
        let name = p.annotation("id").map_or_else(
            || format!("policy #{}", self.ordinal),
            |id| format!("policy {id:?}"),
        );
        match self.line_column {
            Some((line, column)) => format!("{name} (line {line}, column {column})"),
            None => name,
        }
    }
}

/// Cedar's messages, each with its line and column in `text` and its help, joined by `; `.
fn cedar_messages<'e>(text: &str, errors: impl Iterator<Item = &'e dyn Diagnostic>) -> String {
    let mut parts = Vec::new();
    let mut more = 0;
    for e in errors {
        if parts.len() == MAX_LISTED_ERRORS {
            more += 1;
            continue;
        }
        let mut part = String::new();
        let offset = e
            .labels()
            .and_then(|mut labels| labels.next())
            .map(|l| l.offset());
        if let Some(offset) = offset {
            let (line, column) = line_column(text, offset);
            part.push_str(&format!("line {line}, column {column}: "));
        }
        part.push_str(&e.to_string());
        if let Some(help) = e.help() {
            part.push_str(&format!(" (help: {help})"));
        }
        parts.push(part);
    }
    if more > 0 {
        parts.push(format!("and {more} more"));
    }
    parts.join("; ")
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn policy_error(source_name: &str, message: String) -> Error {
    Error::Policy {
        source_name: source_name.to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests;
