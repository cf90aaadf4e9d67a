//! `Snapshot`: the account at one instant, shared (not copied) by everything that reads it.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::errors::{failure, Failure};

/// A cfcp snapshot (`cfcp.snapshot/v1`).
#[napi]
pub struct Snapshot {
    pub(crate) inner: Arc<cfcp::snapshot::Snapshot>,
}

/// Counts of what a snapshot holds.
#[napi(object)]
pub struct SnapshotStats {
    pub accounts: u32,
    pub zones: u32,
    pub dns_records: u32,
    pub rulesets: u32,
    pub rules: u32,
    pub tunnels: u32,
    pub lists: u32,
    pub gaps: u32,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Snapshot {
    pub fn new(snapshot: cfcp::snapshot::Snapshot) -> Self {
        Snapshot {
            inner: Arc::new(snapshot),
        }
    }
}

/// Serialises a core value into JSON-shaped JS data.
pub fn json_of<T: serde::Serialize>(env: &Env, value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| {
        Failure::plain(format!("cfcp could not convert a result to JS: {e}")).into_napi(env)
    })
}

#[napi]
impl Snapshot {
    /// Reads a snapshot file; parse errors throw `E_SNAPSHOT` with `path` set to the file.
    #[napi(factory)]
    pub fn load(env: Env, path: String) -> Result<Snapshot> {
        let bytes = std::fs::read(&path)
            .map_err(|e| Failure::io(std::path::Path::new(&path), &e).into_napi(&env))?;
        cfcp::snapshot::Snapshot::from_json_slice(&bytes)
            .map(Snapshot::new)
            .map_err(|e| failure(&e, Some(&path)).into_napi(&env))
    }

    /// Parses snapshot JSON text.
    #[napi(factory)]
    pub fn from_json(env: Env, text: String) -> Result<Snapshot> {
        cfcp::snapshot::Snapshot::from_json_str(&text)
            .map(Snapshot::new)
            .map_err(|e| failure(&e, None).into_napi(&env))
    }

    /// The desired state Terraform describes, from a state (format 4) or `terraform show -json`
    /// of a state or a plan (the planned values): sections Terraform does not manage are gaps.
    #[napi(factory)]
    pub fn from_terraform(env: Env, text: String, detail: Option<String>) -> Result<Snapshot> {
        cfcp::terraform::load_json(text.as_bytes(), detail.as_deref().unwrap_or("terraform"))
            .map(|desired| Snapshot::new(desired.snapshot))
            .map_err(|e| failure(&e, None).into_napi(&env))
    }

    /// The bundled demo account (good and bad configuration), for trying cfcp without a token.
    #[napi(factory)]
    pub fn demo() -> Snapshot {
        Snapshot::new(cfcp::snapshot::demo())
    }

    /// The snapshot as pretty JSON; loading it again gives an equal snapshot.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json_pretty()
    }

    /// The snapshot as JS data (objects and arrays, Cloudflare's field names).
    #[napi(ts_return_type = "Record<string, any>")]
    pub fn to_object(&self, env: Env) -> Result<Value> {
        json_of(&env, &*self.inner)
    }

    /// `cfcp.snapshot/v1`.
    #[napi(getter)]
    pub fn format(&self) -> String {
        self.inner.format.clone()
    }

    /// When the snapshot was taken (RFC 3339).
    #[napi(getter)]
    pub fn taken_at(&self) -> String {
        self.inner.taken_at.as_str().to_owned()
    }

    /// The zones, each as an object in Cloudflare's shapes (`zone`, `settings`, `dns_records`, ...).
    #[napi(getter, ts_return_type = "Array<Record<string, any>>")]
    pub fn zones(&self, env: Env) -> Result<Vec<Value>> {
        self.inner.zones.iter().map(|z| json_of(&env, z)).collect()
    }

    /// The zone names, in snapshot order.
    #[napi(getter)]
    pub fn zone_names(&self) -> Vec<String> {
        self.inner
            .zones
            .iter()
            .map(|z| z.zone.name.clone())
            .collect()
    }

    /// Sections that could not be read, and why.
    #[napi(getter, ts_return_type = "Array<Record<string, any>>")]
    pub fn gaps(&self, env: Env) -> Result<Value> {
        json_of(&env, &self.inner.gaps)
    }

    /// Counts: accounts, zones, DNS records, rulesets, rules, tunnels, lists, gaps.
    #[napi(getter)]
    pub fn stats(&self) -> SnapshotStats {
        let s = self.inner.stats();
        SnapshotStats {
            accounts: count(s.accounts),
            zones: count(s.zones),
            dns_records: count(s.dns_records),
            rulesets: count(s.rulesets),
            rules: count(s.rules),
            tunnels: count(s.tunnels),
            lists: count(s.lists),
            gaps: count(s.gaps),
        }
    }

    /// Whether two snapshots hold the same account state (same contents, same JSON).
    #[napi]
    pub fn equals(&self, other: &Snapshot) -> bool {
        *self.inner == *other.inner
    }

    /// `<cfcp.Snapshot takenAt=... zones=N dnsRecords=N gaps=N>`.
    #[napi(js_name = "toString")]
    pub fn to_display(&self) -> String {
        let s = self.inner.stats();
        format!(
            "<cfcp.Snapshot takenAt={} zones={} dnsRecords={} gaps={}>",
            self.inner.taken_at.as_str(),
            s.zones,
            s.dns_records,
            s.gaps
        )
    }
}
