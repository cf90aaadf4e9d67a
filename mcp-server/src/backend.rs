//! The live backend: a Cloudflare account through `cfcp::api`. Reads answer from a snapshot
//! taken at start and refreshed per zone after each change; mutations are plan-first:
//!
//! 1. a call without `confirm` returns the [`Plan`] (operations, route, flags, invariants newly
//!    failing, expiry) and stores it in the plan directory;
//! 2. a call with `confirm: PLAN_ID` (and the same arguments) executes it only when the plan
//!    exists, has not expired, the zone is unchanged since (re-read now) and the route is
//!    `allow` or a human recorded an approval with `cfcp approve PLAN_ID` (never an argument);
//! 3. after executing: the zone is re-read, the invariants re-run, and the reply says what
//!    changed, what newly fails and exactly which operations applied.

use std::sync::{Arc, RwLock};

use cfcp::api::{Client, NoProgress, SnapshotScope, TimeRange};
use cfcp::layer0::Verdict;
use cfcp::plan::{self, Plan, PlanRequest, Routing};
use cfcp::snapshot::{Snapshot, Timestamp};
use serde_json::{json, Value};

use crate::approval::{clearance, Clearance};
use crate::error::McpError;
use crate::gate::{Gate, Reply};
use crate::plans::PlanStore;

/// The live account behind a gate.
pub struct Live {
    client: Client,
    scope: SnapshotScope,
    current: RwLock<Arc<Snapshot>>,
    store: PlanStore,
    runtime: tokio::runtime::Handle,
    ttl: time::Duration,
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// The snapshot of `scope`, cut to `zones` when given.
pub async fn take_snapshot(client: &Client, scope: &SnapshotScope) -> cfcp::Result<Snapshot> {
    client
        .snapshot(scope, Timestamp::from_datetime(now()), &NoProgress)
        .await
}

/// A live backend waiting for its snapshot to be cut to the allowed zones.
pub struct LiveParts {
    client: Client,
    scope: SnapshotScope,
    store: PlanStore,
    ttl: time::Duration,
}

impl LiveParts {
    /// The backend over `snapshot` (cut to the allowed zones).
    pub fn finish(self, snapshot: Snapshot) -> Live {
        Live::new(self.client, self.scope, snapshot, self.store, self.ttl)
    }
}

/// Connects to the account the environment names (`CLOUDFLARE_API_TOKEN`,
/// `CLOUDFLARE_BASE_URL`, `CLOUDFLARE_ACCOUNT_ID`) and snapshots the `--zones` (all when none).
/// Runs inside the server's (multi-threaded) runtime.
pub fn connect(args: &crate::Args) -> Result<(Snapshot, LiveParts), McpError> {
    let client = Client::builder()
        .from_lookup(|name| std::env::var(name).ok())?
        .build()?;
    let scope = SnapshotScope {
        zones: args.zones.clone(),
        accounts: std::env::var("CLOUDFLARE_ACCOUNT_ID")
            .ok()
            .filter(|a| !a.trim().is_empty())
            .into_iter()
            .collect(),
    };
    let dir = args.plans_dir.clone().unwrap_or_else(|| {
        let mut name = args.audit_log.clone().into_os_string();
        name.push(".plans");
        std::path::PathBuf::from(name)
    });
    let store = PlanStore::open(&dir).map_err(|source| McpError::Io { path: dir, source })?;
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|e| McpError::Usage(format!("the live backend needs the runtime: {e}")))?;
    let snapshot = tokio::task::block_in_place(|| handle.block_on(take_snapshot(&client, &scope)))?;
    Ok((
        snapshot,
        LiveParts {
            client,
            scope,
            store,
            ttl: time::Duration::seconds(i64::from(args.plan_ttl)),
        },
    ))
}

impl Live {
    /// A live backend over `snapshot` (already taken and cut to the allowed zones).
    pub fn new(
        client: Client,
        scope: SnapshotScope,
        snapshot: Snapshot,
        store: PlanStore,
        ttl: time::Duration,
    ) -> Live {
        Live {
            client,
            scope,
            current: RwLock::new(Arc::new(snapshot)),
            store,
            runtime: tokio::runtime::Handle::current(),
            ttl,
        }
    }

    /// Plan `id`, when it exists, has not expired and waits for a human's approval.
    pub fn awaiting_approval(&self, id: &str) -> Option<Plan> {
        let plan = self.store.load(id).ok()??;
        let waiting = matches!(clearance(&self.store, &plan), Ok(Clearance::Waiting));
        (waiting && !plan.is_expired(now())).then_some(plan)
    }

    /// The plan directory.
    pub fn store(&self) -> &PlanStore {
        &self.store
    }

    /// The account as last read.
    pub fn current(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| h.block_on(future))
            }
            _ => self.runtime.block_on(future),
        }
    }

    /// Re-reads zone `zone` and puts it (and its account) into the current snapshot; returns
    /// the fresh snapshot.
    fn refresh(&self, zone: &str) -> Result<Arc<Snapshot>, String> {
        let scope = SnapshotScope {
            zones: vec![zone.to_owned()],
            accounts: self.scope.accounts.clone(),
        };
        let fresh = self
            .block_on(take_snapshot(&self.client, &scope))
            .map_err(|e| format!("re-reading zone {zone} failed: {e}"))?;
        let mut guard = self.current.write().unwrap_or_else(|p| p.into_inner());
        let mut next = (**guard).clone();
        for z in fresh.zones {
            match next
                .zones
                .iter_mut()
                .find(|c| c.zone.name.eq_ignore_ascii_case(&z.zone.name))
            {
                Some(slot) => *slot = z,
                None => next.zones.push(z),
            }
        }
        for a in fresh.accounts {
            match next
                .accounts
                .iter_mut()
                .find(|c| c.account.id == a.account.id)
            {
                Some(slot) => *slot = a,
                None => next.accounts.push(a),
            }
        }
        next.gaps.retain(|g| {
            !g.zone
                .as_deref()
                .is_some_and(|z| z.eq_ignore_ascii_case(zone))
        });
        next.gaps.extend(fresh.gaps);
        next.taken_at = fresh.taken_at;
        let next = Arc::new(next);
        *guard = Arc::clone(&next);
        Ok(next)
    }

    /// Answers the calls only the live backend can: mutations and analytics. `None` leaves
    /// the call to the snapshot tools.
    pub fn handle(
        &self,
        gate: &Gate,
        tool: &str,
        arguments: &Value,
        verdict: &Verdict,
        details: &Value,
    ) -> Option<(Reply, &'static str)> {
        let action = arguments["action"].as_str().unwrap_or_default();
        if tool == "zone_analytics_query" {
            return Some(match self.analytics(arguments) {
                Ok(content) => (Reply::ok(content), "ok"),
                Err(message) => (Reply::error(message, details.clone()), "error"),
            });
        }
        if !plan::is_mutation(tool, action) {
            return None;
        }
        let problems = cfcp::layer0::tools::tool(tool)
            .map(|t| cfcp::layer0::tools::check_arguments(t, arguments))
            .unwrap_or_default();
        if !problems.is_empty() {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.location, p.message))
                .collect();
            return Some((
                Reply::error(
                    format!("invalid arguments: {}", lines.join("; ")),
                    details.clone(),
                ),
                "error",
            ));
        }
        Some(match arguments.get("confirm") {
            None | Some(Value::Null) => self.propose(tool, arguments, verdict, details),
            Some(Value::String(id)) => self.confirm(gate, tool, arguments, id, details),
            Some(_) => (
                Reply::error(
                    "arguments.confirm: expected the plan_id string a previous call returned"
                        .into(),
                    details.clone(),
                ),
                "error",
            ),
        })
    }

    fn propose(
        &self,
        tool: &str,
        arguments: &Value,
        verdict: &Verdict,
        details: &Value,
    ) -> (Reply, &'static str) {
        let snapshot = self.current();
        let at = now();
        let nonce = at.unix_timestamp_nanos().to_string();
        let request = PlanRequest {
            tool,
            arguments,
            routing: Routing::from_verdict(verdict),
            now: at,
            ttl: self.ttl,
            nonce: Some(&nonce),
        };
        let plan = match Plan::new(&snapshot, request) {
            Ok(p) => p,
            Err(e) => return (Reply::error(e.to_string(), details.clone()), "error"),
        };
        if let Err(e) = self.store.save(&plan) {
            return (Reply::error(e, details.clone()), "error");
        }
        let next = if plan.routing.route == "allow" {
            format!(
                "to execute: call {tool} again with the same arguments and \"confirm\": \"{}\" before {}",
                plan.id, plan.expires_at
            )
        } else {
            format!(
                "needs a human's approval: ask the user to run `cfcp approve {} --plans-dir {}`, then call {tool} again with the same arguments and \"confirm\": \"{}\"",
                plan.id,
                self.store.dir().display(),
                plan.id
            )
        };
        (
            Reply::ok(json!({
                "summary": {"plan_id": plan.id, "zone": plan.zone, "operations": plan.operations.len(),
                            "route": plan.routing.route, "newly_failing": plan.invariants_newly_failing.len(),
                            "expires_at": plan.expires_at, "next": next},
                "plan_id": plan.id,
                "operations": plan.operations,
                "route": plan.routing.route,
                "flags": plan.routing.flags,
                "reasons": plan.routing.reasons,
                "invariants_newly_failing": plan.invariants_newly_failing,
                "expires_at": plan.expires_at,
            })),
            "planned",
        )
    }

    fn confirm(
        &self,
        gate: &Gate,
        tool: &str,
        arguments: &Value,
        id: &str,
        details: &Value,
    ) -> (Reply, &'static str) {
        let refuse = |message: String, status: &'static str| {
            (
                Reply::error(message, json!({"plan_id": id, "layer0": details})),
                status,
            )
        };
        let plan = match self.store.load(id) {
            Ok(Some(p)) => p,
            Ok(None) => {
                return refuse(
                    format!("no plan {id:?}: it was never made, already executed, or removed; call without confirm for a new plan"),
                    "refused",
                )
            }
            Err(e) => return refuse(e, "refused"),
        };
        let mut asked = arguments.clone();
        if let Value::Object(m) = &mut asked {
            m.remove("confirm");
        }
        if plan.tool != tool || plan.arguments != asked {
            return refuse(
                format!("plan {id} was made for other arguments: confirm it with exactly the arguments of the call that made it"),
                "refused",
            );
        }
        if plan.is_expired(now()) {
            return refuse(
                format!(
                    "plan {id} expired at {}: call without confirm for a new plan",
                    plan.expires_at
                ),
                "expired",
            );
        }
        let approval = match clearance(&self.store, &plan) {
            Ok(Clearance::NotNeeded) => None,
            Ok(Clearance::Approved(a)) => Some(a),
            Ok(Clearance::Waiting) => {
                return refuse(
                    format!(
                        "waiting for approval: run `cfcp approve {id} --plans-dir {}` (a human, outside this conversation), then confirm again",
                        self.store.dir().display()
                    ),
                    "awaiting_approval",
                )
            }
            Ok(Clearance::Never(route)) => {
                return refuse(format!("plan {id} has route {route}: it cannot run"), "refused")
            }
            Err(e) => return refuse(e, "refused"),
        };
        let before = match self.refresh(&plan.zone) {
            Ok(s) => s,
            Err(e) => return refuse(e, "error"),
        };
        let unchanged = before
            .zone(&plan.zone)
            .map(plan::fingerprint)
            .is_some_and(|f| f == plan.snapshot_fingerprint);
        if !unchanged {
            return refuse(
                format!("zone {} changed since plan {id} was made: call without confirm for a new plan against the zone as it is now", plan.zone),
                "stale",
            );
        }
        if let Some(a) = &approval {
            let record = cfcp::audit::Record::Other {
                kind: "approval".into(),
                fields: json!({"plan_id": id, "approver": a.approver, "approved_at": a.approved_at,
                               "approval_log": a.audit_log, "approval_seq": a.audit_seq})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            };
            if let Err(e) = gate.append(record) {
                return refuse(
                    format!("the approval could not be logged, nothing ran: {e}"),
                    "error",
                );
            }
        }
        let report = self.block_on(self.client.execute_plan(&plan));
        self.store.retire(id);
        let after = self.refresh(&plan.zone);
        let (changes, newly_failing, reread) = match &after {
            Ok(after) => {
                let cut_before = plan::diff::zone_only(&before, &plan.zone);
                let cut_after = plan::diff::zone_only(after, &plan.zone);
                let changes: Vec<String> = cut_before
                    .content_differences(&cut_after)
                    .iter()
                    .map(|d| d.to_string())
                    .collect();
                (
                    changes,
                    plan::newly_failing(&cut_before, &cut_after, &plan.zone),
                    Value::Null,
                )
            }
            Err(e) => (Vec::new(), Vec::new(), Value::String(e.clone())),
        };
        let applied: Vec<&str> = report
            .applied
            .iter()
            .map(|a| a.operation.summary.as_str())
            .collect();
        let content = json!({
            "summary": {"plan_id": id, "complete": report.complete(), "partial": report.partial(),
                        "applied": report.applied.len(), "operations": plan.operations.len(),
                        "newly_failing": newly_failing.len(), "changes": changes.len()},
            "execution": report,
            "changes": changes,
            "invariants_newly_failing": newly_failing,
            "reread_error": reread,
        });
        if report.complete() {
            (Reply::ok(content), "executed")
        } else {
            let failed = report
                .failed
                .as_ref()
                .map(|f| format!("{} failed: {}", f.operation.summary, f.error))
                .unwrap_or_default();
            let message =
                format!(
                "plan {id} stopped: {failed}; applied {} of {} operations ({}); not attempted: {}",
                report.applied.len(),
                plan.operations.len(),
                if applied.is_empty() { "none".to_owned() } else { applied.join("; ") },
                report.not_attempted.len()
            );
            (
                Reply::error(message, content),
                if report.partial() {
                    "partial"
                } else {
                    "failed"
                },
            )
        }
    }

    fn analytics(&self, arguments: &Value) -> Result<Value, String> {
        let snapshot = self.current();
        let name = arguments["zone"].as_str().unwrap_or_default();
        let zone = snapshot.zone_or_unknown(name).map_err(|e| e.to_string())?;
        let parse = |member: &str, default: time::OffsetDateTime| -> Result<Timestamp, String> {
            match arguments[member].as_str() {
                Some(t) => Timestamp::parse(t).map_err(|e| format!("arguments.{member}: {e}")),
                None => Ok(Timestamp::from_datetime(default)),
            }
        };
        let end = now();
        let range = TimeRange {
            since: parse("since", end - time::Duration::days(1))?,
            until: parse("until", end)?,
        };
        let id = zone.zone.id.clone();
        let (traffic, rules, dns) = self.block_on(async {
            futures_join(
                self.client.http_traffic(&id, &range, 10),
                self.client.firewall_events_by_rule(&id, &range, 50),
                self.client.dns_analytics(&id, &range),
            )
            .await
        });
        let traffic = traffic.map_err(|e| e.to_string())?;
        let rules = rules.map_err(|e| e.to_string())?;
        let dns = dns.map_err(|e| e.to_string())?;
        let custom: Vec<(String, String)> = zone
            .rulesets
            .iter()
            .flat_map(|r| &r.rules)
            .filter_map(|r| {
                Some((
                    r.id.get()?.clone(),
                    r.description.get().cloned().unwrap_or_default(),
                ))
            })
            .collect();
        let without_hits: Vec<Value> = custom
            .iter()
            .filter(|(id, _)| !rules.iter().any(|e| &e.rule_id == id))
            .map(|(id, d)| json!({"id": id, "description": d}))
            .collect();
        Ok(json!({
            "summary": {"zone": zone.zone.name, "since": range.since, "until": range.until,
                        "requests": traffic.requests, "dns_queries": dns.queries,
                        "rules_with_hits": rules.len(), "rules_without_hits": without_hits.len()},
            "traffic": traffic,
            "waf_rule_hits": rules,
            "rules_without_hits": without_hits,
            "dns": dns,
        }))
    }
}

async fn futures_join<A, B, C>(
    a: impl std::future::Future<Output = A>,
    b: impl std::future::Future<Output = B>,
    c: impl std::future::Future<Output = C>,
) -> (A, B, C) {
    tokio::join!(a, b, c)
}

/// Adds the `confirm` member to the input schemas of the tools that make plans.
pub fn with_confirm(mut tools: Vec<rmcp::model::Tool>) -> Vec<rmcp::model::Tool> {
    for tool in &mut tools {
        if matches!(&*tool.name, "dns_record_manage" | "waf_rule_configure") {
            let mut schema = (*tool.input_schema).clone();
            if let Some(Value::Object(props)) = schema.get_mut("properties") {
                props.insert(
                    "confirm".into(),
                    json!({"type": "string", "description": "the plan_id a previous call (same arguments, no confirm) returned: executes that plan"}),
                );
                if tool.name == "dns_record_manage" {
                    props.insert(
                        "records".into(),
                        json!({"type": "array", "items": {"type": "object"}, "description": "create: more records in the same plan"}),
                    );
                }
            }
            tool.input_schema = Arc::new(schema);
        }
    }
    tools
}
