//! Drift for people: a terminal listing and a Markdown table for merge-request comments. The JSON
//! form is the [`super::Drift`] value itself (`cfcp.drift/v1`).

use std::fmt::Write;

use serde_json::Value;

use super::{Change, Drift, DriftItem};

/// A value on one line, long ones cut.
fn short(v: &Value) -> String {
    let text = match v {
        Value::Null => "(none)".to_owned(),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if text.chars().count() > 100 {
        let cut: String = text.chars().take(97).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn place(item: &DriftItem) -> &str {
    item.zone
        .as_deref()
        .or(item.account_id.as_deref())
        .unwrap_or("-")
}

fn headline(drift: &Drift) -> String {
    let (added, removed, changed) = drift.counts();
    format!(
        "{} drifted ({added} added outside Terraform, {removed} removed, {changed} changed); {} resources compared in {} zones",
        plural(drift.items.len(), "resource"),
        drift.compared.resources,
        drift.compared.zones
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The drift as text for a terminal: one block per item, riskiest first.
///
/// ```
/// let s = cfcp::snapshot::demo();
/// let text = cfcp::drift::render::text(&cfcp::drift::diff(&s, &s));
/// assert!(text.starts_with("No drift"));
/// ```
pub fn text(drift: &Drift) -> String {
    let mut out = String::new();
    if drift.items.is_empty() {
        let _ = writeln!(
            out,
            "No drift: {} resources compared in {} zones.",
            drift.compared.resources, drift.compared.zones
        );
    } else {
        let _ = writeln!(out, "Drift: {}", headline(drift));
        let mut items: Vec<&DriftItem> = drift.items.iter().collect();
        items.sort_by_key(|i| std::cmp::Reverse(i.risk.level));
        for item in items {
            let _ = writeln!(
                out,
                "\n{:<8} {:<8} {} {} in {} ({})",
                item.risk.level.as_str().to_ascii_uppercase(),
                item.change.as_str(),
                item.kind.terraform_type(),
                item.label,
                place(item),
                item.address.as_deref().unwrap_or(&item.import_id)
            );
            for a in &item.attributes {
                let _ = writeln!(
                    out,
                    "    {}: {} -> {}",
                    a.path,
                    short(&a.desired),
                    short(&a.live)
                );
            }
            for reason in &item.risk.reasons {
                let _ = writeln!(out, "    why: {reason}");
            }
        }
    }
    for n in &drift.not_compared {
        let _ = writeln!(
            out,
            "not compared: {} {} ({})",
            n.zone.as_deref().or(n.account.as_deref()).unwrap_or("-"),
            n.section,
            n.reason
        );
    }
    if drift.compared.unmanaged_zones > 0 {
        let _ = writeln!(
            out,
            "{} in the account not described by the desired state (not compared)",
            plural(drift.compared.unmanaged_zones, "zone")
        );
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The drift as a Markdown table (risk, change, resource, attributes), for merge requests.
///
/// ```
/// let desired = cfcp::snapshot::demo();
/// let mut live = desired.clone();
/// live.zones[0].dns_records.remove(0);
/// let md = cfcp::drift::render::markdown(&cfcp::drift::diff(&desired, &live));
/// assert!(md.contains("| removed |"));
/// ```
pub fn markdown(drift: &Drift) -> String {
    let mut out = String::from("### cfcp drift\n\n");
    if drift.items.is_empty() {
        let _ = writeln!(
            out,
            "No drift: {} resources compared in {} zones.",
            drift.compared.resources, drift.compared.zones
        );
        return out;
    }
    let _ = writeln!(out, "{}\n", headline(drift));
    out.push_str("| risk | change | resource | where | differences |\n|---|---|---|---|---|\n");
    for item in &drift.items {
        let diffs: Vec<String> = item
            .attributes
            .iter()
            .map(|a| format!("`{}`: {} → {}", a.path, short(&a.desired), short(&a.live)))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | `{}` {} | {} | {} |",
            item.risk.level.as_str(),
            match item.change {
                Change::Added => "added",
                Change::Removed => "removed",
                Change::Changed => "changed",
            },
            item.kind.terraform_type(),
            cell(&item.label),
            cell(place(item)),
            cell(&diffs.join("<br>"))
        );
    }
    out
}
