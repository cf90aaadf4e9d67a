//! Findings in bulk: a report of a large account holds hundreds of thousands of findings, and
//! making each one's strings through napi costs several times the check itself. So
//! `report.findings` gets only what identifies each finding, as columns (typed arrays and a small
//! table of checks), and `cfcp.js` wraps each row in a `Finding` whose message, resource,
//! remediation and compliance references come from `Report::finding_detail` when first read:
//! the same design as the Python binding's `Finding` handles.

use std::collections::HashMap;

use cfcp::invariants::{Finding, Status};
use napi::bindgen_prelude::{Uint32Array, Uint8Array};
use napi_derive::napi;

/// Status codes in `FindingColumns::status` (cfcp.js holds the same list).
const STATUSES: [&str; 4] = ["PASS", "FAIL", "MUTED", "UNKNOWN"];
/// Severity codes in `FindingColumns::severity` (cfcp.js holds the same list).
const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

/// Internal (cfcp.js reads it): the findings of a report (all, or the FAIL ones) as columns.
#[napi(object)]
pub struct FindingColumns {
    /// Distinct check ids; `check[k]` indexes this and `titles`.
    pub check_ids: Vec<String>,
    pub titles: Vec<String>,
    pub check: Uint32Array,
    pub severity: Uint8Array,
    pub status: Uint8Array,
    /// Each row's index in the report (for `Report::finding_detail`).
    pub index: Uint32Array,
}

fn code(list: &[&str], value: &str) -> u8 {
    list.iter()
        .position(|v| *v == value)
        .and_then(|p| u8::try_from(p).ok())
        .unwrap_or(u8::MAX)
}

/// The columns of `findings` (all, or the FAIL ones).
pub fn columns(findings: &[Finding], only_failures: bool) -> FindingColumns {
    // Check ids are borrowed from the catalog, so one address per check: looked up by address,
    // not by hashing the text (custom Rego checks own their ids and just repeat in the table).
    let mut checks: HashMap<(usize, usize), u32> = HashMap::new();
    let mut columns = FindingColumns {
        check_ids: Vec::new(),
        titles: Vec::new(),
        check: Uint32Array::new(Vec::new()),
        severity: Uint8Array::new(Vec::new()),
        status: Uint8Array::new(Vec::new()),
        index: Uint32Array::new(Vec::new()),
    };
    let (mut check, mut severity, mut status, mut index) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, f) in findings.iter().enumerate() {
        if only_failures && f.status != Status::Fail {
            continue;
        }
        let key = (f.check_id.as_ptr() as usize, f.check_id.len());
        let next = u32::try_from(columns.check_ids.len()).unwrap_or(u32::MAX);
        let k = *checks.entry(key).or_insert_with(|| {
            columns.check_ids.push(f.check_id.to_string());
            columns.titles.push(f.title.to_string());
            next
        });
        check.push(k);
        severity.push(code(&SEVERITIES, f.severity.as_str()));
        status.push(code(&STATUSES, f.status.as_str()));
        index.push(u32::try_from(i).unwrap_or(u32::MAX));
    }
    columns.check = Uint32Array::new(check);
    columns.severity = Uint8Array::new(severity);
    columns.status = Uint8Array::new(status);
    columns.index = Uint32Array::new(index);
    columns
}

/// The resource a finding is about.
#[napi(object)]
pub struct FindingResource {
    /// `zone`, `dns_record`, `tunnel`, ...
    #[napi(js_name = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
    /// The zone it belongs to (null for account-level resources).
    #[napi(ts_type = "string | null")]
    pub zone: Option<String>,
}

/// How to fix a finding.
#[napi(object)]
pub struct Remediation {
    pub text: String,
    /// A Terraform snippet (empty when there is none).
    pub terraform: String,
    /// The API call that fixes it (empty when there is none).
    pub api: String,
}

/// Internal (cfcp.js reads it): the rest of a finding, fetched when first asked for.
#[napi(object)]
pub struct FindingDetail {
    pub message: String,
    pub resource: FindingResource,
    pub remediation: Remediation,
    pub compliance: Vec<String>,
}

/// The detail of one finding.
pub fn detail(f: &Finding) -> FindingDetail {
    FindingDetail {
        message: f.message.to_string(),
        resource: FindingResource {
            kind: f.resource.kind.to_string(),
            id: f.resource.id.to_string(),
            name: f.resource.name.to_string(),
            zone: f.resource.zone.as_deref().map(str::to_owned),
        },
        remediation: Remediation {
            text: f.remediation.text.to_string(),
            terraform: f.remediation.terraform.to_string(),
            api: f.remediation.api.to_string(),
        },
        compliance: f.compliance.iter().map(|c| c.to_string()).collect(),
    }
}
