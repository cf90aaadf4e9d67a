//! The gate every tool call passes: Layer0 decides, the decision is logged **before** anything
//! runs, only an allowed call runs, untrusted text in its result is quarantined, and the outcome
//! is logged after.

use std::sync::{Arc, Mutex};

use cfcp::audit::{AuditLog, Decision};
use cfcp::layer0::tools::ToolGroup;
use cfcp::layer0::{Context, Layer0, Route, Verdict};
use cfcp::snapshot::Snapshot;
use cfcp::tools::{offline, quarantine};
use serde_json::{json, Value};

use crate::error::McpError;

/// Results larger than this are replaced by their summary and a hint to narrow the call.
pub const MAX_RESULT_BYTES: usize = 128 * 1024;

/// What a call answers: a structured result, or a tool error the agent reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The structured content (an object), also for errors (`{"error": ...}`).
    pub content: Value,
    /// A tool error.
    pub is_error: bool,
}

impl Reply {
    /// A result.
    pub(crate) fn ok(content: Value) -> Reply {
        Reply {
            content,
            is_error: false,
        }
    }

    /// A tool error saying `message`, with `details`.
    pub(crate) fn error(message: String, details: Value) -> Reply {
        Reply {
            content: json!({"error": message, "details": details}),
            is_error: true,
        }
    }
}

/// Everything a call needs: the backend, Layer0, the context and the audit log.
/// When the audit log is fsynced (`--audit-fsync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// After every line (the default): nothing decided is ever lost.
    Every,
    /// Before and after a call that changes the account (one carrying `confirm`), and at
    /// checkpoints: a crash may lose the latest read-only records, never a change's.
    Mutations,
    /// After every N lines, and at checkpoints.
    Batch(u64),
}

impl FsyncPolicy {
    /// `every`, `mutations` or a number of lines.
    ///
    /// The audit options it stands for are [`FsyncPolicy::fsync_every`].
    pub fn parse(text: &str) -> Result<FsyncPolicy, String> {
        match text {
            "every" => Ok(FsyncPolicy::Every),
            "mutations" => Ok(FsyncPolicy::Mutations),
            n => match n.parse::<u64>() {
                Ok(n) if n >= 1 => Ok(FsyncPolicy::Batch(n)),
                _ => Err(format!(
                    "{text:?}: expected every, mutations or a number of lines (1 or more)"
                )),
            },
        }
    }

    /// The writer's `fsync_every` (0: only when the gate asks, and at checkpoints).
    pub fn fsync_every(self) -> u64 {
        match self {
            FsyncPolicy::Every => 1,
            FsyncPolicy::Mutations => 0,
            FsyncPolicy::Batch(n) => n,
        }
    }
}

/// Whether a call may change the account: only a confirmed plan runs operations.
fn may_change(arguments: &Value) -> bool {
    arguments.get("confirm").is_some()
}

pub struct Gate {
    pub snapshot: Arc<Snapshot>,
    pub layer0: Layer0,
    pub context: Context,
    pub groups: Vec<ToolGroup>,
    audit: Mutex<Option<AuditLog>>,
    /// The live account, when there is one (reads then answer from its fresh snapshot).
    live: Option<crate::backend::Live>,
    /// Fsync before and after calls that may change the account (`--audit-fsync mutations`).
    sync_changes: bool,
}

impl Gate {
    /// A gate over `snapshot` (already cut to the allowed zones) logging to `audit`.
    pub fn new(
        snapshot: Snapshot,
        layer0: Layer0,
        context: Context,
        groups: Vec<ToolGroup>,
        audit: AuditLog,
    ) -> Gate {
        Gate {
            snapshot: Arc::new(snapshot),
            layer0,
            context,
            groups,
            audit: Mutex::new(Some(audit)),
            live: None,
            sync_changes: false,
        }
    }

    /// Fsyncs the log before a call that may change the account runs and after its outcome,
    /// whatever the writer's own batching (for [`FsyncPolicy::Mutations`]).
    pub fn sync_changes(mut self, on: bool) -> Gate {
        self.sync_changes = on;
        self
    }

    /// This gate over a live account: mutations become plans, reads see each change.
    pub fn with_live(mut self, live: crate::backend::Live) -> Gate {
        self.live = Some(live);
        self
    }

    /// Whether the backend is a live account.
    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// The account as last read: the live backend's fresh snapshot, else the file's (shared,
    /// not copied: a call reads it while a mutation may replace it).
    pub fn current(&self) -> Arc<Snapshot> {
        match &self.live {
            Some(live) => live.current(),
            None => Arc::clone(&self.snapshot),
        }
    }

    /// Appends another record (an approval) to the audit log; returns its `seq`.
    pub(crate) fn append(&self, record: cfcp::audit::Record) -> Result<u64, McpError> {
        self.with_log(|log| {
            log.append(time::OffsetDateTime::now_utc(), record)
                .map(|receipt| receipt.seq)
        })
    }

    /// Plan `id` if it waits for a human's approval (live backend only).
    pub fn awaiting_approval(&self, id: &str) -> Option<cfcp::plan::Plan> {
        self.live.as_ref()?.awaiting_approval(id)
    }

    /// Records that `approver` (a human answering the client's prompt) approved `plan`: the
    /// audit record first, then the approval the backend checks before executing. Nothing is
    /// approved unless both are written.
    pub fn record_approval(&self, plan: &cfcp::plan::Plan, approver: &str) -> Result<(), String> {
        let live = self
            .live
            .as_ref()
            .ok_or("approvals need the live backend")?;
        let seq = self
            .append(cfcp::plan::approval_record(plan, approver))
            .map_err(|e| format!("the approval could not be logged: {e}"))?;
        let audit_log = self
            .with_log(|log| Ok(log.path().display().to_string()))
            .map_err(|e| e.to_string())?;
        live.store().record_approval(&cfcp::plan::Approval {
            plan_id: plan.id.clone(),
            snapshot_fingerprint: plan.snapshot_fingerprint.clone(),
            approver: approver.to_owned(),
            approved_at: cfcp::snapshot::Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
            audit_log,
            audit_seq: seq,
        })
    }

    /// Records that the human asked about `plan` did not approve it (`answer`: declined,
    /// cancelled, no answer).
    pub fn record_not_approved(
        &self,
        plan: &cfcp::plan::Plan,
        answer: &str,
    ) -> Result<(), McpError> {
        let fields =
            json!({"plan_id": plan.id, "answer": answer, "tool": plan.tool, "zone": plan.zone});
        self.append(cfcp::audit::Record::Other {
            kind: "approval_refused".into(),
            fields: fields.as_object().cloned().unwrap_or_default(),
        })
        .map(|_| ())
    }

    /// Seals the audit log (a proper close); later calls fail with a tool error.
    pub fn close(&self) -> Result<(), McpError> {
        let log = self
            .audit
            .lock()
            .map_err(|_| McpError::AuditPoisoned)?
            .take();
        if let Some(log) = log {
            log.close(time::OffsetDateTime::now_utc())?;
        }
        Ok(())
    }

    fn with_log<T>(&self, f: impl FnOnce(&AuditLog) -> cfcp::Result<T>) -> Result<T, McpError> {
        let guard = self.audit.lock().map_err(|_| McpError::AuditPoisoned)?;
        let log = guard.as_ref().ok_or(McpError::AuditClosed)?;
        Ok(f(log)?)
    }

    /// Runs one call through the gate. Only a failing audit log is an `Err`: nothing runs
    /// unlogged.
    pub fn call(&self, tool: &str, arguments: Value) -> Result<Reply, McpError> {
        let request = json!({"kind": "tool_call", "tool": tool, "arguments": arguments});
        let snapshot = self.current();
        let verdict = self.layer0.decide(&request, &self.context, Some(&snapshot));
        let now = time::OffsetDateTime::now_utc();
        let receipt = self.with_log(|log| {
            log.decision(
                now,
                Decision {
                    request: request.clone(),
                    classification: serde_json::to_value(&verdict.classification).unwrap_or(Value::Null),
                    route: json!({"route": verdict.route().as_str(), "policies": verdict.decision.policies,
                                  "reasons": verdict.decision.reasons}),
                    approver: Value::Null,
                },
            )
        })?;
        let durable = self.sync_changes && may_change(&request["arguments"]);
        if durable {
            // The decision is on disk before anything is sent to Cloudflare.
            self.with_log(|log| log.sync())?;
        }
        let (reply, status) = self.run(tool, &request["arguments"], &verdict, &snapshot);
        let mut outcome = json!({"status": status, "is_error": reply.is_error,
                             "quarantined": reply.content.get("quarantined").map(|q| q.as_array().map_or(0, Vec::len))});
        // What a plan did goes into the trail with its outcome, partial failures included.
        for member in ["plan_id", "execution"] {
            if let Some(v) = reply
                .content
                .get(member)
                .or_else(|| reply.content["details"].get(member))
            {
                outcome[member] = v.clone();
            }
        }
        self.with_log(|log| log.outcome(time::OffsetDateTime::now_utc(), receipt.seq, outcome))?;
        if durable {
            self.with_log(|log| log.sync())?;
        }
        Ok(reply)
    }

    fn run(
        &self,
        tool: &str,
        arguments: &Value,
        verdict: &Verdict,
        snapshot: &Snapshot,
    ) -> (Reply, &'static str) {
        let flags: Vec<&str> = verdict
            .classification
            .flags
            .iter()
            .map(|f| f.as_str())
            .collect();
        let evidence: Vec<Value> = verdict
            .classification
            .evidence
            .iter()
            .map(|e| json!({"flag": e.flag.as_str(), "location": e.location, "detail": e.detail}))
            .collect();
        let details = json!({"route": verdict.route().as_str(), "flags": flags,
                             "reasons": verdict.decision.reasons, "evidence": evidence});
        match verdict.route() {
            Route::Block => {
                let why: Vec<String> = verdict
                    .classification
                    .evidence
                    .iter()
                    .map(|e| format!("{} at {}: {}", e.flag.as_str(), e.location, e.detail))
                    .collect();
                let message = format!(
                    "blocked by Layer0 (flags: {}): {}",
                    flags.join(", "),
                    why.join("; ")
                );
                return (Reply::error(message, details), "blocked");
            }
            _ if self.live.is_some() && !enabled(&self.groups, tool) => {}
            _ => {
                if let Some(handled) = self
                    .live
                    .as_ref()
                    .and_then(|live| live.handle(self, tool, arguments, verdict, &details))
                {
                    return handled;
                }
            }
        }
        match verdict.route() {
            Route::Approve => {
                let message = format!(
                    "needs a human's approval (flags: {}; {}); approving plans is not available in this version of cfcp-mcp: ask the user to make this change",
                    flags.join(", "),
                    verdict.decision.reasons.join(", ")
                );
                return (Reply::error(message, details), "awaiting_approval");
            }
            Route::Allow | Route::Block => {}
        }
        if !enabled(&self.groups, tool) {
            return (
                Reply::error(
                    format!("tool {tool:?} is not enabled on this server (see --tools)"),
                    details,
                ),
                "not_enabled",
            );
        }
        let backend = offline::Backend {
            snapshot,
            layer0: &self.layer0,
            context: &self.context,
            now: time::OffsetDateTime::now_utc(),
        };
        match offline::call(&backend, tool, arguments) {
            Err(message) => (Reply::error(message, details), "error"),
            Ok(mut content) => {
                let withheld =
                    quarantine::quarantine(&mut content, tool, &self.layer0, &self.context);
                let mut content = bound(content);
                if let (Value::Object(map), false) = (&mut content, withheld.is_empty()) {
                    map.insert(
                        "quarantined".into(),
                        serde_json::to_value(&withheld).unwrap_or_default(),
                    );
                }
                (
                    Reply {
                        content,
                        is_error: false,
                    },
                    "ok",
                )
            }
        }
    }
}

fn enabled(groups: &[ToolGroup], tool: &str) -> bool {
    cfcp::layer0::tools::tool(tool).is_some_and(|t| groups.contains(&t.group))
}

/// Keeps a result within [`MAX_RESULT_BYTES`]: an oversized one becomes its summary.
fn bound(content: Value) -> Value {
    let content = match content {
        Value::Object(_) => content,
        other => json!({"result": other}),
    };
    let size = serde_json::to_string(&content).map_or(0, |s| s.len());
    if size <= MAX_RESULT_BYTES {
        return content;
    }
    let keys: Vec<&String> = content
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    json!({
        "summary": content.get("summary").cloned().unwrap_or(Value::Null),
        "truncated": {"bytes": size, "limit": MAX_RESULT_BYTES, "members": keys,
                      "hint": "narrow the call (one zone, a smaller limit, a filter)"}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_results_keep_their_summary_and_say_so() {
        let big = json!({"summary": {"total": 1}, "items": "x".repeat(MAX_RESULT_BYTES + 1)});
        let bounded = bound(big);
        assert_eq!(bounded["summary"]["total"], 1);
        assert!(bounded["truncated"]["bytes"].as_u64().unwrap() > MAX_RESULT_BYTES as u64);
        let small = json!({"summary": {}, "items": [1, 2]});
        assert_eq!(bound(small.clone()), small);
    }

    #[test]
    fn fsync_policies_parse() {
        assert_eq!(FsyncPolicy::parse("every"), Ok(FsyncPolicy::Every));
        assert_eq!(FsyncPolicy::parse("mutations"), Ok(FsyncPolicy::Mutations));
        assert_eq!(FsyncPolicy::parse("10"), Ok(FsyncPolicy::Batch(10)));
        assert_eq!(FsyncPolicy::Batch(10).fsync_every(), 10);
        assert_eq!(FsyncPolicy::Mutations.fsync_every(), 0);
        for bad in ["0", "never", "-1", ""] {
            assert!(FsyncPolicy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn with_mutations_only_a_change_leaves_the_log_synced() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = cfcp::snapshot::demo();
        let zone = snapshot.zones[0].zone.name.clone();
        let key = cfcp::audit::load_or_generate(&dir.path().join("audit.key")).unwrap();
        let options = cfcp::audit::AuditOptions {
            fsync_every: FsyncPolicy::Mutations.fsync_every(),
            ..Default::default()
        };
        let log = AuditLog::open(
            dir.path().join("audit.jsonl"),
            key.key,
            options,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
        let context = Context {
            zones_allowed: vec![zone.clone()],
            ..Default::default()
        };
        let groups = cfcp::layer0::tools::TOOLS.iter().map(|t| t.group).collect();
        let gate = Gate::new(snapshot, Layer0::default(), context, groups, log).sync_changes(true);
        let unsynced = |gate: &Gate| gate.with_log(|log| log.unsynced()).unwrap();
        gate.call("dns_record_manage", json!({"action": "list", "zone": zone}))
            .unwrap();
        assert_eq!(
            unsynced(&gate),
            2,
            "a read's decision and outcome wait for a batch"
        );
        let confirm = json!({"action": "create", "zone": zone, "confirm": "plan-0123456789abcdef",
                             "record": {"type": "A", "name": "x", "content": "192.0.2.1"}});
        gate.call("dns_record_manage", confirm).unwrap();
        assert_eq!(unsynced(&gate), 0, "a change's records are on disk");
    }
}
