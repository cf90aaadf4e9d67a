//! The plan directory: plans the server made (`plan-….json`) and the approvals `cfcp approve`
//! recorded (`plan-….approval.json`), shared with other processes through the file system.

use std::path::{Path, PathBuf};

use cfcp::plan::{approval_file_name, plan_file_name, Approval, Plan};

/// Plans and approvals in one directory.
#[derive(Debug, Clone)]
pub struct PlanStore {
    dir: PathBuf,
}

impl PlanStore {
    /// The store in `dir` (created when missing).
    pub fn open(dir: &Path) -> std::io::Result<PlanStore> {
        std::fs::create_dir_all(dir)?;
        Ok(PlanStore {
            dir: dir.to_owned(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `plan` (temporary file, then rename: never a partial plan).
    pub fn save(&self, plan: &Plan) -> Result<(), String> {
        let text = serde_json::to_string_pretty(plan).map_err(|e| e.to_string())?;
        let path = self.dir.join(plan_file_name(&plan.id));
        let tmp = self.dir.join(format!(".{}.tmp", plan_file_name(&plan.id)));
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot store the plan in {}: {e}", self.dir.display()))
    }

    /// The plan `id`, if stored. Ids that are not plan ids never reach the file system.
    pub fn load(&self, id: &str) -> Result<Option<Plan>, String> {
        if !Plan::is_valid_id(id) {
            return Err(format!(
                "arguments.confirm: {id:?} is not a plan id (plan- and 16 hex digits)"
            ));
        }
        let path = self.dir.join(plan_file_name(id));
        read(&path)?
            .map(|b| serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", path.display())))
            .transpose()
    }

    /// The approval of plan `id`, if one was recorded.
    pub fn approval(&self, id: &str) -> Result<Option<Approval>, String> {
        if !Plan::is_valid_id(id) {
            return Ok(None);
        }
        let path = self.dir.join(approval_file_name(id));
        read(&path)?
            .map(|b| serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", path.display())))
            .transpose()
    }

    /// Records `approval` (temporary file, then rename), where [`crate::approval::clearance`]
    /// looks for it.
    pub fn record_approval(&self, approval: &Approval) -> Result<(), String> {
        if !Plan::is_valid_id(&approval.plan_id) {
            return Err(format!("{:?} is not a plan id", approval.plan_id));
        }
        let text = serde_json::to_string_pretty(approval).map_err(|e| e.to_string())?;
        let name = approval_file_name(&approval.plan_id);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, self.dir.join(&name)))
            .map_err(|e| format!("cannot record the approval in {}: {e}", self.dir.display()))
    }

    /// Removes an executed plan (and its approval) so it cannot run twice.
    pub fn retire(&self, id: &str) {
        if Plan::is_valid_id(id) {
            let _ = std::fs::remove_file(self.dir.join(plan_file_name(id)));
            let _ = std::fs::remove_file(self.dir.join(approval_file_name(id)));
        }
    }
}

fn read(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_round_trip_and_bad_ids_never_touch_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = PlanStore::open(&dir.path().join("plans")).unwrap();
        let snapshot = cfcp::snapshot::demo();
        let arguments = serde_json::json!({"action": "create", "zone": snapshot.zones[0].zone.name,
            "record": {"type": "TXT", "name": "t", "content": "x"}});
        let plan = Plan::new(
            &snapshot,
            cfcp::plan::PlanRequest {
                tool: "dns_record_manage",
                arguments: &arguments,
                routing: Default::default(),
                now: snapshot.taken_at.to_datetime(),
                ttl: cfcp::plan::DEFAULT_TTL,
                nonce: None,
            },
        )
        .unwrap();
        assert_eq!(store.load(&plan.id).unwrap(), None);
        store.save(&plan).unwrap();
        assert_eq!(store.load(&plan.id).unwrap(), Some(plan.clone()));
        assert_eq!(store.approval(&plan.id).unwrap(), None);
        assert!(store.load("../../etc/passwd").is_err());
        store.retire(&plan.id);
        assert_eq!(store.load(&plan.id).unwrap(), None);
    }
}
