//! [`Client::execute_plan`]: a plan's operations sent in order, stopping at the first failure,
//! with a report that says exactly which operations applied.
//!
//! No rollback: undoing half a change is itself a change nobody planned or approved. The report
//! names what applied, what failed and what was never sent, so a human (or a new plan) can
//! finish or revert it.

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::{Call, Client};
use crate::plan::{Operation, Plan};

/// An operation that Cloudflare accepted, with its answer (`result`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    /// The operation.
    pub operation: Operation,
    /// Cloudflare's `result` (the record or ruleset as it now is).
    pub result: Value,
}

/// The operation that failed, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failed {
    /// The operation.
    pub operation: Operation,
    /// The error, as text (credentials never appear in it).
    pub error: String,
    /// The HTTP status, when there was one.
    pub status: Option<u16>,
}

/// What executing a plan did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionReport {
    /// The plan.
    pub plan_id: String,
    /// Operations that applied, in order.
    pub applied: Vec<Applied>,
    /// The first operation that failed, if any.
    pub failed: Option<Failed>,
    /// Operations never sent because an earlier one failed.
    pub not_attempted: Vec<Operation>,
}

impl ExecutionReport {
    /// Whether every operation applied.
    pub fn complete(&self) -> bool {
        self.failed.is_none() && self.not_attempted.is_empty()
    }

    /// Whether some but not all operations applied: the zone is between two states.
    pub fn partial(&self) -> bool {
        !self.applied.is_empty() && !self.complete()
    }
}

fn method(name: &str) -> Option<Method> {
    match name {
        "POST" => Some(Method::POST),
        "PUT" => Some(Method::PUT),
        "PATCH" => Some(Method::PATCH),
        "DELETE" => Some(Method::DELETE),
        _ => None,
    }
}

impl Client {
    /// Sends `plan`'s operations in order and stops at the first failure. Checking that the plan
    /// may run (not expired, zone unchanged, approved) is the caller's job, done just before.
    ///
    /// ```no_run
    /// # async fn demo(client: cfcp::api::Client, plan: cfcp::plan::Plan) {
    /// let report = client.execute_plan(&plan).await;
    /// if report.partial() {
    ///     eprintln!("only {} of {} operations applied", report.applied.len(), plan.operations.len());
    /// }
    /// # }
    /// ```
    pub async fn execute_plan(&self, plan: &Plan) -> ExecutionReport {
        let mut report = ExecutionReport {
            plan_id: plan.id.clone(),
            applied: Vec::new(),
            failed: None,
            not_attempted: Vec::new(),
        };
        for operation in &plan.operations {
            if report.failed.is_some() {
                report.not_attempted.push(operation.clone());
                continue;
            }
            match self.execute_operation(operation).await {
                Ok(result) => report.applied.push(Applied {
                    operation: operation.clone(),
                    result,
                }),
                Err(e) => {
                    report.failed = Some(Failed {
                        operation: operation.clone(),
                        status: e.http_status(),
                        error: e.to_string(),
                    })
                }
            }
        }
        report
    }

    /// Sends one planned operation and returns the API's `result` (`null` when it has none).
    /// Callers that audit each step before and after (drift remediation) use this directly.
    pub async fn execute_operation(&self, operation: &Operation) -> crate::Result<Value> {
        let method = method(&operation.method).ok_or_else(|| crate::Error::Config {
            message: format!(
                "plan operation {} {}: not a method plans use",
                operation.method, operation.path
            ),
        })?;
        let call = match &operation.body {
            Some(body) => Call::with_body(method, operation.path.clone(), body)?,
            None => Call {
                idempotent: method != Method::POST,
                method,
                path: operation.path.clone(),
                body: None,
            },
        };
        Ok(self
            .envelope::<Value>(call)
            .await?
            .result
            .unwrap_or(Value::Null))
    }
}
