//! The comparison behind [`super::diff`]: zones and accounts matched by id (then name), each
//! section's resources matched the way Terraform would find them again, attributes compared
//! after [`super::normalise`].

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::normalise::{self, satisfies};
use super::{
    AttributeDiff, Change, Compared, Drift, DriftItem, NotCompared, ResourceKind, Risk, FORMAT_V1,
};
use crate::snapshot::{
    AccountSnapshot, DnsRecord, Field, ListItem, ListSnapshot, Rule, Ruleset, RulesetKind,
    Snapshot, TunnelSnapshot, ZoneSnapshot,
};

/// Besides [`crate::snapshot::COMPUTED_MEMBERS`], members that describe state rather than
/// configuration (a tunnel's connections, a list's counts) or that are matched on, not compared
/// (`ref`): never compared, whatever the desired state says about them.
const NOT_COMPARED: &[&str] = &[
    "account_id",
    "num_items",
    "num_referencing_filters",
    "deleted_at",
    "conns_active_at",
    "conns_inactive_at",
    "connections",
    "status",
    "ref",
];

/// The items of `side` no desired item matched (`used[i]` is false).
fn unused<'a, T>(side: &'a [T], used: &'a [bool]) -> impl Iterator<Item = &'a T> {
    side.iter()
        .zip(used)
        .filter(|(_, u)| !**u)
        .map(|(item, _)| item)
}

fn to_value<T: Serialize>(item: &T) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}

fn without_computed(map: &Map<String, Value>) -> Value {
    Value::Object(
        map.iter()
            .filter(|(k, _)| {
                !crate::snapshot::COMPUTED_MEMBERS.contains(&k.as_str())
                    && !NOT_COMPARED.contains(&k.as_str())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// One side's gaps, looked up by (zone name or id, or account id) and section.
struct Gaps<'a> {
    side: &'static str,
    gaps: &'a [crate::snapshot::Gap],
}

impl Gaps<'_> {
    fn zone(&self, zone: &ZoneSnapshot, section: &str) -> Option<String> {
        self.gaps
            .iter()
            .find(|g| {
                g.section == section
                    && g.zone.as_deref().is_some_and(|z| {
                        z.eq_ignore_ascii_case(&zone.zone.name) || z == zone.zone.id
                    })
            })
            .map(|g| format!("{}: {}", self.side, g.reason))
    }

    fn account(&self, account: &str, section: &str) -> Option<String> {
        self.gaps
            .iter()
            .find(|g| g.section == section && g.account.as_deref() == Some(account))
            .map(|g| format!("{}: {}", self.side, g.reason))
    }
}

struct Out {
    items: Vec<DriftItem>,
    not_compared: Vec<NotCompared>,
    compared: Compared,
}

/// Where the items being compared live.
#[derive(Clone, Copy)]
struct Owner<'a> {
    zone: Option<(&'a str, &'a str)>,
    account: Option<&'a str>,
}

impl Out {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        owner: Owner<'_>,
        kind: ResourceKind,
        import_id: String,
        label: String,
        change: Change,
        attributes: Vec<AttributeDiff>,
        desired: Value,
        live: Value,
    ) {
        self.items.push(DriftItem {
            kind,
            import_id,
            address: None,
            label,
            zone: owner.zone.map(|(name, _)| name.to_owned()),
            zone_id: owner.zone.map(|(_, id)| id.to_owned()),
            account_id: owner.account.map(str::to_owned),
            change,
            attributes,
            desired,
            live,
            risk: Risk::default(),
        });
    }
}

pub(super) fn diff(desired: &Snapshot, live: &Snapshot) -> Drift {
    let mut out = Out {
        items: Vec::new(),
        not_compared: Vec::new(),
        compared: Compared::default(),
    };
    let desired_gaps = Gaps {
        side: "desired",
        gaps: &desired.gaps,
    };
    let live_gaps = Gaps {
        side: "live",
        gaps: &live.gaps,
    };
    let live_by_id: HashMap<&str, &ZoneSnapshot> =
        live.zones.iter().map(|z| (z.zone.id.as_str(), z)).collect();
    let mut matched_live = HashSet::new();
    for dz in &desired.zones {
        let lz = live_by_id.get(dz.zone.id.as_str()).copied().or_else(|| {
            live.zones
                .iter()
                .find(|z| z.zone.name.eq_ignore_ascii_case(&dz.zone.name))
        });
        let Some(lz) = lz else {
            let owner = Owner {
                zone: Some((&dz.zone.name, &dz.zone.id)),
                account: None,
            };
            out.compared.resources += 1;
            out.push(
                owner,
                ResourceKind::Zone,
                dz.zone.id.clone(),
                dz.zone.name.clone(),
                Change::Removed,
                Vec::new(),
                to_value(&dz.zone),
                Value::Null,
            );
            continue;
        };
        matched_live.insert(lz.zone.id.as_str());
        out.compared.zones += 1;
        zone(dz, lz, &desired_gaps, &live_gaps, &mut out);
    }
    out.compared.unmanaged_zones = live
        .zones
        .iter()
        .filter(|z| !matched_live.contains(z.zone.id.as_str()))
        .count();
    for da in &desired.accounts {
        let Some(la) = live.accounts.iter().find(|a| a.account.id == da.account.id) else {
            out.not_compared.push(NotCompared {
                zone: None,
                account: Some(da.account.id.clone()),
                section: "accounts".into(),
                reason: "live: the account is not in the live snapshot".into(),
            });
            continue;
        };
        account(da, la, &desired_gaps, &live_gaps, &mut out);
    }
    Drift {
        format: FORMAT_V1.into(),
        items: out.items,
        not_compared: out.not_compared,
        compared: out.compared,
    }
}

fn zone(dz: &ZoneSnapshot, lz: &ZoneSnapshot, dg: &Gaps, lg: &Gaps, out: &mut Out) {
    // The live zone's name: a desired state read from Terraform may only know the id.
    let name = lz.zone.name.as_str();
    let owner = Owner {
        zone: Some((name, lz.zone.id.as_str())),
        account: None,
    };
    let in_scope = |section: &str, out: &mut Out| {
        let reason = dg.zone(dz, section).or_else(|| lg.zone(lz, section));
        match reason {
            Some(reason) => {
                out.not_compared.push(NotCompared {
                    zone: Some(name.to_owned()),
                    account: None,
                    section: section.to_owned(),
                    reason,
                });
                false
            }
            None => true,
        }
    };
    if let Some(paused) = dz.zone.paused.get() {
        out.compared.resources += 1;
        let live_paused = lz.zone.paused.copied().unwrap_or(false);
        if *paused != live_paused {
            out.push(
                owner,
                ResourceKind::Zone,
                lz.zone.id.clone(),
                name.to_owned(),
                Change::Changed,
                vec![attr("paused", json!(paused), json!(live_paused))],
                to_value(&dz.zone),
                to_value(&lz.zone),
            );
        }
    }
    if in_scope("settings", out) {
        settings(dz, lz, owner, out);
    }
    if in_scope("dns_records", out) {
        records(&dz.dns_records, &lz.dns_records, owner, out);
    }
    if in_scope("dnssec", out) {
        dnssec(dz, lz, owner, out);
    }
    if in_scope("rulesets", out) {
        rulesets(&dz.rulesets, &lz.rulesets, owner, out);
    }
    if in_scope("bot_management", out) {
        bot_management(dz, lz, owner, out);
    }
}

fn attr(path: impl Into<String>, desired: Value, live: Value) -> AttributeDiff {
    AttributeDiff {
        path: path.into(),
        desired,
        live,
    }
}

fn settings(dz: &ZoneSnapshot, lz: &ZoneSnapshot, owner: Owner, out: &mut Out) {
    let zone_id = lz.zone.id.as_str();
    for ds in &dz.settings {
        out.compared.resources += 1;
        let ls = lz.settings.iter().find(|s| s.id == ds.id);
        let live_value = ls.map(|s| s.value.clone()).unwrap_or(Value::Null);
        if ls.is_some() && satisfies(&ds.value, &live_value) {
            continue;
        }
        out.push(
            owner,
            ResourceKind::ZoneSetting,
            format!("{zone_id}/{}", ds.id),
            ds.id.clone(),
            Change::Changed,
            vec![attr("value", ds.value.clone(), live_value)],
            to_value(ds),
            ls.map(to_value).unwrap_or(Value::Null),
        );
    }
}

/// A record's identity for matching without ids: type, name and content, normalised.
fn record_key(r: &DnsRecord, zone: &str) -> (String, String, String) {
    let kind = r.record_type.as_str().to_ascii_uppercase();
    let content = normalise::record_content(&kind, r.content.as_deref().unwrap_or(""), zone);
    (kind, normalise::record_name(&r.name, zone), content)
}

fn record_label(r: &DnsRecord, zone: &str) -> String {
    format!(
        "{} {}",
        r.record_type.as_str(),
        normalise::record_name(&r.name, zone)
    )
}

fn records(desired: &[DnsRecord], live: &[DnsRecord], owner: Owner, out: &mut Out) {
    let (zone, zone_id) = owner.zone.unwrap_or_default();
    let by_id: HashMap<&str, usize> = live
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.id.as_deref().map(|id| (id, i)))
        .collect();
    let mut live_used = vec![false; live.len()];
    let mut pairs: Vec<(usize, Option<usize>)> = Vec::with_capacity(desired.len());
    let mut unmatched = Vec::new();
    for (i, d) in desired.iter().enumerate() {
        match d.id.as_deref().and_then(|id| by_id.get(id)) {
            Some(&l) if !live_used[l] => {
                live_used[l] = true;
                pairs.push((i, Some(l)));
            }
            _ => unmatched.push(i),
        }
    }
    if !unmatched.is_empty() {
        // Records whose id the account does not have: the same type, name and content is the
        // same configuration (recreated, or written without an id). Then, only for records the
        // desired state has no id for (written by hand, or from HCL), the only record of that
        // type and name on both sides; a record with a stale id and other content was deleted,
        // and the look-alike made since is another resource.
        let mut by_key: HashMap<(String, String, String), Vec<usize>> = HashMap::new();
        for (l, r) in live.iter().enumerate().filter(|(l, _)| !live_used[*l]) {
            by_key.entry(record_key(r, zone)).or_default().push(l);
        }
        let mut still = Vec::new();
        for i in unmatched {
            let found = by_key
                .get_mut(&record_key(&desired[i], zone))
                .and_then(|v| (!v.is_empty()).then(|| v.remove(0)));
            match found {
                Some(l) => {
                    live_used[l] = true;
                    pairs.push((i, Some(l)));
                }
                None => still.push(i),
            }
        }
        let type_name = |r: &DnsRecord| {
            let (kind, name, _) = record_key(r, zone);
            (kind, name)
        };
        let mut live_by_name: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (l, r) in live.iter().enumerate().filter(|(l, _)| !live_used[*l]) {
            live_by_name.entry(type_name(r)).or_default().push(l);
        }
        let mut desired_by_name: HashMap<(String, String), usize> = HashMap::new();
        for &i in &still {
            *desired_by_name.entry(type_name(&desired[i])).or_default() += 1;
        }
        for i in still {
            if desired[i].id.get().is_some() {
                pairs.push((i, None));
                continue;
            }
            let key = type_name(&desired[i]);
            let only = match (live_by_name.get(&key), desired_by_name.get(&key)) {
                (Some(ls), Some(1)) if ls.len() == 1 => Some(ls[0]),
                _ => None,
            };
            if let Some(l) = only {
                live_used[l] = true;
            }
            pairs.push((i, only));
        }
        pairs.sort_by_key(|(i, _)| *i);
    }
    for (i, l) in pairs {
        out.compared.resources += 1;
        let d = &desired[i];
        let Some(l) = l else {
            let id = d.id.as_deref().unwrap_or("(new)");
            out.push(
                owner,
                ResourceKind::DnsRecord,
                format!("{zone_id}/{id}"),
                record_label(d, zone),
                Change::Removed,
                Vec::new(),
                to_value(d),
                Value::Null,
            );
            continue;
        };
        let l = &live[l];
        let attributes = record_attributes(d, l, zone);
        if !attributes.is_empty() {
            out.push(
                owner,
                ResourceKind::DnsRecord,
                format!("{zone_id}/{}", l.id.as_deref().unwrap_or_default()),
                record_label(l, zone),
                Change::Changed,
                attributes,
                to_value(d),
                to_value(l),
            );
        }
    }
    for r in unused(live, &live_used) {
        out.compared.resources += 1;
        out.push(
            owner,
            ResourceKind::DnsRecord,
            format!("{zone_id}/{}", r.id.as_deref().unwrap_or_default()),
            record_label(r, zone),
            Change::Added,
            Vec::new(),
            Value::Null,
            to_value(r),
        );
    }
}

/// A member the desired side sets, compared with a `Field::Null` meaning "should not be set".
fn optional_text(path: &str, d: &Field<String>, l: &Field<String>, diffs: &mut Vec<AttributeDiff>) {
    let live = l.as_deref().unwrap_or("");
    let want = match d {
        Field::Absent => return,
        Field::Null => "",
        Field::Value(v) => v.as_str(),
    };
    if want.trim() != live.trim() {
        diffs.push(attr(path, to_value(d), to_value(l)));
    }
}

fn record_attributes(d: &DnsRecord, l: &DnsRecord, zone: &str) -> Vec<AttributeDiff> {
    let mut diffs = Vec::new();
    if d.record_type != l.record_type {
        diffs.push(attr(
            "type",
            json!(d.record_type.as_str()),
            json!(l.record_type.as_str()),
        ));
    }
    // Identical text needs no normalising: the common case, kept free of allocations.
    if d.name != l.name
        && normalise::record_name(&d.name, zone) != normalise::record_name(&l.name, zone)
    {
        diffs.push(attr("name", json!(d.name), json!(l.name)));
    }
    if let Some(content) = d.content.get().filter(|c| l.content.get() != Some(*c)) {
        let kind = d.record_type.as_str();
        let want = normalise::record_content(kind, content, zone);
        let have = normalise::record_content(kind, l.content.as_deref().unwrap_or(""), zone);
        if want != have {
            diffs.push(attr("content", json!(content), to_value(&l.content)));
        }
    }
    let live_proxied = l.proxied.copied().unwrap_or(false);
    let want_proxied = d.proxied.copied();
    if let Some(want) = want_proxied {
        if want != live_proxied {
            diffs.push(attr("proxied", json!(want), json!(live_proxied)));
        }
    }
    if let Some(ttl) = d.ttl.copied() {
        let want = normalise::ttl(ttl, want_proxied.unwrap_or(live_proxied));
        let have = normalise::ttl(l.ttl.copied().unwrap_or(1), live_proxied);
        if want != have {
            diffs.push(attr("ttl", json!(ttl), to_value(&l.ttl)));
        }
    }
    if let Some(priority) = d.priority.copied() {
        if l.priority.copied() != Some(priority) {
            diffs.push(attr("priority", json!(priority), to_value(&l.priority)));
        }
    }
    if let Some(data) = d.data.get().filter(|_| d.data != l.data) {
        let want = data.to_value();
        let have = l
            .data
            .get()
            .map(|raw| raw.to_value())
            .unwrap_or(Value::Null);
        if !satisfies(&want, &have) {
            diffs.push(attr("data", want, have));
        }
    }
    optional_text("comment", &d.comment, &l.comment, &mut diffs);
    if !d.tags.is_absent() && d.tags != l.tags {
        let sorted = |t: &Field<Vec<String>>| {
            let mut v = t.get().cloned().unwrap_or_default();
            v.sort();
            v.dedup();
            v
        };
        if sorted(&d.tags) != sorted(&l.tags) {
            diffs.push(attr("tags", to_value(&d.tags), to_value(&l.tags)));
        }
    }
    diffs
}

fn dnssec_state(status: &str) -> &str {
    match status {
        "active" | "pending" => "active",
        "disabled" | "pending-disabled" => "disabled",
        other => other,
    }
}

fn dnssec(dz: &ZoneSnapshot, lz: &ZoneSnapshot, owner: Owner, out: &mut Out) {
    let Some(want) = dz.dnssec.as_ref().and_then(|d| d.status.get()) else {
        return;
    };
    out.compared.resources += 1;
    let have = lz.dnssec.as_ref().and_then(|d| d.status.get());
    let same = have.is_some_and(|h| dnssec_state(h.as_str()) == dnssec_state(want.as_str()));
    if !same {
        out.push(
            owner,
            ResourceKind::ZoneDnssec,
            lz.zone.id.clone(),
            "dnssec".into(),
            Change::Changed,
            vec![attr(
                "status",
                json!(want.as_str()),
                have.map(|h| json!(h.as_str())).unwrap_or(Value::Null),
            )],
            to_value(&dz.dnssec),
            to_value(&lz.dnssec),
        );
    }
}

fn bot_management(dz: &ZoneSnapshot, lz: &ZoneSnapshot, owner: Owner, out: &mut Out) {
    let Some(want) = &dz.bot_management else {
        return;
    };
    out.compared.resources += 1;
    let want_v = match to_value(want) {
        Value::Object(map) => without_computed(&map),
        other => other,
    };
    let have_v = lz
        .bot_management
        .as_ref()
        .map(to_value)
        .unwrap_or(Value::Null);
    let mut diffs = Vec::new();
    if let (Value::Object(w), h) = (&want_v, &have_v) {
        for (k, v) in w {
            let live = h.get(k).cloned().unwrap_or(Value::Null);
            if !satisfies(v, &live) {
                diffs.push(attr(k.clone(), v.clone(), live));
            }
        }
    }
    if !diffs.is_empty() {
        out.push(
            owner,
            ResourceKind::BotManagement,
            lz.zone.id.clone(),
            "bot_management".into(),
            Change::Changed,
            diffs,
            to_value(want),
            have_v,
        );
    }
}

/// A rule's name in paths: its `ref`, else its description, else its id, else its position.
pub(super) fn rule_label(rule: &Rule, at: usize) -> String {
    rule.reference
        .get()
        .or(rule.description.get().filter(|d| !d.is_empty()))
        .or(rule.id.get())
        .cloned()
        .unwrap_or_else(|| format!("#{}", at + 1))
}

fn ruleset_matches(d: &Ruleset, l: &Ruleset) -> bool {
    if let (Some(a), Some(b)) = (d.id.get(), l.id.get()) {
        if a == b {
            return true;
        }
    }
    let zone_kind = |r: &Ruleset| matches!(r.kind.get(), Some(RulesetKind::Zone) | None);
    if d.phase.get().is_some() && d.phase == l.phase && zone_kind(d) && zone_kind(l) {
        return true;
    }
    d.phase == l.phase && d.name.get().is_some() && d.name == l.name
}

fn rulesets(desired: &[Ruleset], live: &[Ruleset], owner: Owner, out: &mut Out) {
    let (_, zone_id) = owner.zone.unwrap_or_default();
    let mut used = vec![false; live.len()];
    for d in desired {
        out.compared.resources += 1;
        let found = (0..live.len()).find(|&l| !used[l] && ruleset_matches(d, &live[l]));
        let label = d
            .phase
            .get()
            .map(|p| p.as_str().to_owned())
            .or_else(|| d.name.get().cloned())
            .unwrap_or_else(|| "ruleset".into());
        let Some(l) = found else {
            out.push(
                owner,
                ResourceKind::Ruleset,
                format!("zones/{zone_id}/{}", d.id.as_deref().unwrap_or("(new)")),
                label,
                Change::Removed,
                Vec::new(),
                to_value(d),
                Value::Null,
            );
            continue;
        };
        used[l] = true;
        let attributes = rule_attributes(&d.rules, &live[l].rules);
        if !attributes.is_empty() {
            out.push(
                owner,
                ResourceKind::Ruleset,
                format!(
                    "zones/{zone_id}/{}",
                    live[l].id.as_deref().unwrap_or_default()
                ),
                label,
                Change::Changed,
                attributes,
                to_value(d),
                to_value(&live[l]),
            );
        }
    }
    for r in unused(live, &used) {
        // Cloudflare's own managed rulesets are not the account owner's to manage.
        if matches!(r.kind.get(), Some(RulesetKind::Managed)) {
            continue;
        }
        out.compared.resources += 1;
        out.push(
            owner,
            ResourceKind::Ruleset,
            format!("zones/{zone_id}/{}", r.id.as_deref().unwrap_or_default()),
            r.phase
                .get()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "ruleset".into()),
            Change::Added,
            Vec::new(),
            Value::Null,
            to_value(r),
        );
    }
}

fn rule_matches(d: &Rule, l: &Rule) -> u8 {
    if d.id.get().is_some() && d.id == l.id {
        return 4;
    }
    if d.reference.get().is_some() && (d.reference == l.reference || d.reference == l.id) {
        return 3;
    }
    let expr = |r: &Rule| normalise::expression(r.expression.as_deref().unwrap_or(""));
    if d.action == l.action && expr(d) == expr(l) {
        return 2;
    }
    if d.description.get().is_some_and(|t| !t.is_empty()) && d.description == l.description {
        return 1;
    }
    0
}

fn rule_attributes(desired: &[Rule], live: &[Rule]) -> Vec<AttributeDiff> {
    let mut used = vec![false; live.len()];
    let mut pairs: Vec<(usize, Option<usize>)> = Vec::new();
    // Strongest evidence first, so an id match is never taken by a weaker expression match.
    let mut matched = vec![None; desired.len()];
    for strength in (1..=4).rev() {
        for (i, d) in desired.iter().enumerate() {
            if matched[i].is_some() {
                continue;
            }
            if let Some(l) =
                (0..live.len()).find(|&l| !used[l] && rule_matches(d, &live[l]) == strength)
            {
                used[l] = true;
                matched[i] = Some(l);
            }
        }
    }
    for (i, m) in matched.iter().enumerate() {
        pairs.push((i, *m));
    }
    let mut diffs = Vec::new();
    for &(i, l) in &pairs {
        let d = &desired[i];
        let label = rule_label(d, i);
        let Some(l) = l else {
            diffs.push(attr(format!("rules[{label}]"), to_value(d), Value::Null));
            continue;
        };
        let l = &live[l];
        let field = |name: &str, dv: Value, lv: Value, diffs: &mut Vec<AttributeDiff>| {
            diffs.push(attr(format!("rules[{label}].{name}"), dv, lv));
        };
        if !d.action.is_absent() && d.action != l.action {
            field(
                "action",
                to_value(&d.action),
                to_value(&l.action),
                &mut diffs,
            );
        }
        if let Some(e) = d.expression.get() {
            if normalise::expression(e)
                != normalise::expression(l.expression.as_deref().unwrap_or(""))
            {
                field("expression", json!(e), to_value(&l.expression), &mut diffs);
            }
        }
        if d.description.get().is_some() && d.description != l.description {
            field(
                "description",
                to_value(&d.description),
                to_value(&l.description),
                &mut diffs,
            );
        }
        let enabled = |r: &Rule| r.enabled.copied().unwrap_or(true);
        if enabled(d) != enabled(l) {
            field("enabled", json!(enabled(d)), json!(enabled(l)), &mut diffs);
        }
        for (name, dv, lv) in [
            (
                "action_parameters",
                &d.action_parameters,
                &l.action_parameters,
            ),
            ("ratelimit", &d.ratelimit, &l.ratelimit),
        ] {
            if let Some(want) = dv.get() {
                let have = lv.get().cloned().unwrap_or(Value::Null);
                if !satisfies(want, &have) {
                    field(name, want.clone(), have, &mut diffs);
                }
            }
        }
        let (we, he) = (without_computed(&d.extra), without_computed(&l.extra));
        if !satisfies(&we, &he) {
            field("extra", we, he, &mut diffs);
        }
    }
    // Order matters (the first terminating rule wins): compare the matched rules' sequence only,
    // so a rule added or removed elsewhere does not also count as a move.
    let mut in_live: Vec<(usize, usize)> = pairs
        .iter()
        .filter_map(|&(i, l)| l.map(|l| (l, i)))
        .collect();
    let desired_order: Vec<usize> = in_live.iter().map(|(_, i)| *i).collect();
    in_live.sort();
    let live_order: Vec<usize> = in_live.iter().map(|(_, i)| *i).collect();
    if desired_order != live_order {
        let labels = |order: &[usize]| {
            Value::Array(
                order
                    .iter()
                    .map(|&i| json!(rule_label(&desired[i], i)))
                    .collect(),
            )
        };
        diffs.push(attr(
            "rules.order",
            labels(&desired_order),
            labels(&live_order),
        ));
    }
    for (l, r) in live.iter().enumerate().filter(|(l, _)| !used[*l]) {
        diffs.push(attr(
            format!("rules[{}]", rule_label(r, l)),
            Value::Null,
            to_value(r),
        ));
    }
    diffs
}

fn account(da: &AccountSnapshot, la: &AccountSnapshot, dg: &Gaps, lg: &Gaps, out: &mut Out) {
    let id = da.account.id.as_str();
    let owner = Owner {
        zone: None,
        account: Some(id),
    };
    for section in ["tunnels", "lists"] {
        let reason = dg.account(id, section).or_else(|| lg.account(id, section));
        if let Some(reason) = reason {
            out.not_compared.push(NotCompared {
                zone: None,
                account: Some(id.to_owned()),
                section: section.into(),
                reason,
            });
            continue;
        }
        if section == "tunnels" {
            tunnels(&da.tunnels, &la.tunnels, owner, out);
        } else {
            lists(&da.lists, &la.lists, owner, out);
        }
    }
}

fn ingress(t: &TunnelSnapshot) -> Option<Vec<Value>> {
    let config = t.configuration.as_ref()?.config.get()?;
    let rules = config.ingress.get()?;
    Some(
        rules
            .iter()
            .map(|r| {
                json!({
                    "hostname": r.hostname.as_deref().map(str::to_ascii_lowercase),
                    "path": r.path.as_deref().filter(|p| !p.is_empty()),
                    "service": r.service.as_deref().map(|s| s.trim_end_matches('/')),
                })
            })
            .collect(),
    )
}

fn tunnels(desired: &[TunnelSnapshot], live: &[TunnelSnapshot], owner: Owner, out: &mut Out) {
    let account = owner.account.unwrap_or_default();
    let alive: Vec<&TunnelSnapshot> = live
        .iter()
        .filter(|t| t.tunnel.deleted_at.get().is_none())
        .collect();
    let mut used = vec![false; alive.len()];
    // A deleted tunnel is history on both sides, not configuration.
    for d in desired
        .iter()
        .filter(|t| t.tunnel.deleted_at.get().is_none())
    {
        out.compared.resources += 1;
        let name = d.tunnel.name.as_deref().unwrap_or(&d.tunnel.id).to_owned();
        let found = (0..alive.len())
            .find(|&l| !used[l] && alive[l].tunnel.id == d.tunnel.id)
            .or_else(|| {
                (0..alive.len()).find(|&l| {
                    !used[l]
                        && d.tunnel.name.get().is_some()
                        && alive[l].tunnel.name == d.tunnel.name
                })
            });
        let Some(l) = found else {
            out.push(
                owner,
                ResourceKind::Tunnel,
                format!("{account}/{}", d.tunnel.id),
                name,
                Change::Removed,
                Vec::new(),
                to_value(&d.tunnel),
                Value::Null,
            );
            continue;
        };
        used[l] = true;
        let l = alive[l];
        if let Some(want) = ingress(d) {
            let have = ingress(l);
            if have.as_ref() != Some(&want) {
                out.push(
                    owner,
                    ResourceKind::TunnelConfig,
                    format!("{account}/{}", l.tunnel.id),
                    name,
                    Change::Changed,
                    vec![attr(
                        "config.ingress",
                        Value::Array(want),
                        have.map(Value::Array).unwrap_or(Value::Null),
                    )],
                    to_value(&d.configuration),
                    to_value(&l.configuration),
                );
            }
        }
    }
    for t in unused(&alive, &used) {
        out.compared.resources += 1;
        out.push(
            owner,
            ResourceKind::Tunnel,
            format!("{account}/{}", t.tunnel.id),
            t.tunnel.name.as_deref().unwrap_or(&t.tunnel.id).to_owned(),
            Change::Added,
            Vec::new(),
            Value::Null,
            to_value(&t.tunnel),
        );
    }
}

/// A list item's identity: the address (canonical CIDR), ASN, host name or redirect source.
fn item_key(item: &ListItem) -> String {
    if let Some(ip) = item.ip.get() {
        let ip = ip.trim();
        if let Ok(net) = ip.parse::<ipnet::IpNet>() {
            return net.trunc().to_string();
        }
        if let Ok(addr) = ip.parse::<std::net::IpAddr>() {
            return addr.to_string();
        }
        return ip.to_ascii_lowercase();
    }
    if let Some(asn) = item.asn.get() {
        return format!("AS{asn}");
    }
    if let Some(host) = item.extra.get("hostname") {
        let name = host.get("url_hostname").unwrap_or(host);
        return name.as_str().unwrap_or_default().to_ascii_lowercase();
    }
    if let Some(redirect) = item.extra.get("redirect") {
        let source = redirect.get("source_url").unwrap_or(redirect);
        return source.as_str().unwrap_or_default().to_owned();
    }
    String::new()
}

fn lists(desired: &[ListSnapshot], live: &[ListSnapshot], owner: Owner, out: &mut Out) {
    let account = owner.account.unwrap_or_default();
    let mut used = vec![false; live.len()];
    for d in desired {
        out.compared.resources += 1;
        let name = d.list.name.as_deref().unwrap_or(&d.list.id).to_owned();
        let found = (0..live.len())
            .find(|&l| !used[l] && live[l].list.id == d.list.id)
            .or_else(|| {
                (0..live.len()).find(|&l| {
                    !used[l] && d.list.name.get().is_some() && live[l].list.name == d.list.name
                })
            });
        let Some(l) = found else {
            out.push(
                owner,
                ResourceKind::List,
                format!("{account}/{}", d.list.id),
                name,
                Change::Removed,
                Vec::new(),
                to_value(d),
                Value::Null,
            );
            continue;
        };
        used[l] = true;
        let l = &live[l];
        let mut diffs = Vec::new();
        if !d.list.kind.is_absent() && d.list.kind != l.list.kind {
            diffs.push(attr("kind", to_value(&d.list.kind), to_value(&l.list.kind)));
        }
        if let Some(want) = d.list.extra.get("description") {
            let have = l
                .list
                .extra
                .get("description")
                .cloned()
                .unwrap_or(Value::Null);
            let empty_is_none = want.as_str() == Some("") && have.is_null();
            if !satisfies(want, &have) && !empty_is_none {
                diffs.push(attr("description", want.clone(), have));
            }
        }
        let want: HashMap<String, &ListItem> = d.items.iter().map(|i| (item_key(i), i)).collect();
        let have: HashMap<String, &ListItem> = l.items.iter().map(|i| (item_key(i), i)).collect();
        let mut missing: Vec<&String> = want.keys().filter(|k| !have.contains_key(*k)).collect();
        let mut extra: Vec<&String> = have.keys().filter(|k| !want.contains_key(*k)).collect();
        missing.sort();
        extra.sort();
        for k in missing {
            diffs.push(attr(format!("items[{k}]"), to_value(want[k]), Value::Null));
        }
        for k in extra {
            diffs.push(attr(format!("items[{k}]"), Value::Null, to_value(have[k])));
        }
        if !diffs.is_empty() {
            out.push(
                owner,
                ResourceKind::List,
                format!("{account}/{}", l.list.id),
                name,
                Change::Changed,
                diffs,
                to_value(d),
                to_value(l),
            );
        }
    }
    for list in unused(live, &used) {
        out.compared.resources += 1;
        out.push(
            owner,
            ResourceKind::List,
            format!("{account}/{}", list.list.id),
            list.list
                .name
                .as_deref()
                .unwrap_or(&list.list.id)
                .to_owned(),
            Change::Added,
            Vec::new(),
            Value::Null,
            to_value(list),
        );
    }
}
