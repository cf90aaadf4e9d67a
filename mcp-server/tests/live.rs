//! The live backend against the fake Cloudflare API: plan first, confirm, human approval with
//! `cfcp approve`, stale and expired plans, a failure part-way through a plan, the audit trail.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use fake_cloudflare::{FakeConfig, FakeHandle, Faults, DEFAULT_TOKEN};
use serde_json::{json, Value};

const ZONE: &str = "acme-shop.com";
const SCOPES: &str = "dns:read,dns:edit,waf:read,waf:edit,tunnel:read,analytics:read,zone:read";

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    dir: PathBuf,
    /// What the client's user answers when the server asks (MCP elicitation), and the
    /// questions it was asked.
    answer: Option<Value>,
    asked: Vec<Value>,
}

impl Server {
    fn start(fake: &FakeHandle, dir: &Path, extra: &[&str]) -> Server {
        Server::start_asking(fake, dir, extra, None)
    }

    /// A client that declares form elicitation when `answer` is given, and answers with it.
    fn start_asking(
        fake: &FakeHandle,
        dir: &Path,
        extra: &[&str],
        answer: Option<Value>,
    ) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cfcp-mcp"))
            .args(["--zones", ZONE, "--scopes", SCOPES])
            .arg("--audit-log")
            .arg(dir.join("audit.jsonl"))
            .arg("--plans-dir")
            .arg(dir.join("plans"))
            .args(extra)
            .env("CLOUDFLARE_API_TOKEN", DEFAULT_TOKEN)
            .env("CLOUDFLARE_BASE_URL", fake.base_url())
            .env_remove("CLOUDFLARE_ACCOUNT_ID")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut server = Server {
            child,
            stdin,
            stdout,
            next_id: 1,
            dir: dir.to_owned(),
            asked: Vec::new(),
            answer,
        };
        let capabilities = if server.answer.is_some() {
            json!({"elicitation": {}})
        } else {
            json!({})
        };
        let init = server.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": capabilities,
                   "clientInfo": {"name": "cfcp-mcp-live-tests", "version": "0"}}),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "cfcp-mcp", "{init}");
        server.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        server
    }

    fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "server closed stdout"
            );
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["method"] == "elicitation/create" {
                let answer = self
                    .answer
                    .clone()
                    .expect("asked without declaring elicitation");
                self.asked.push(message["params"].clone());
                self.send(json!({"jsonrpc": "2.0", "id": message["id"], "result": answer}));
                continue;
            }
            if message["id"] == id {
                return message;
            }
        }
    }

    /// `tools/call`: (structuredContent, isError).
    fn call(&mut self, tool: &str, arguments: Value) -> (Value, bool) {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        assert!(answer.get("error").is_none(), "protocol error: {answer}");
        let result = &answer["result"];
        (
            result["structuredContent"].clone(),
            result["isError"] == true,
        )
    }

    /// Closes stdin, waits for the exit, and checks the audit log verifies with the key.
    fn finish(mut self) -> Vec<Value> {
        drop(self.stdin.take());
        assert!(self.child.wait().unwrap().success());
        let log = std::fs::read(self.dir.join("audit.jsonl")).unwrap();
        let key = cfcp::audit::load_public_key(&cfcp::audit::public_key_path(
            &self.dir.join("audit.jsonl.key"),
        ))
        .unwrap();
        let report = cfcp::audit::verify(&log, Some(&key));
        assert!(report.ok, "{report:?}");
        String::from_utf8(log)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn fake(faults: Faults) -> FakeHandle {
    FakeHandle::spawn_blocking_thread(FakeConfig::new(cfcp::snapshot::demo()).with_faults(faults))
        .expect("fake Cloudflare starts")
}

fn records_named(fake: &FakeHandle, name: &str) -> usize {
    fake.current_snapshot()
        .zone(ZONE)
        .unwrap()
        .dns_records
        .iter()
        .filter(|r| r.name == name)
        .count()
}

/// The `cfcp` binary beside `cfcp-mcp` (a workspace test run builds it), else built on demand
/// into a target directory of its own (the running `cargo test` holds the lock of this one).
fn cfcp_bin() -> PathBuf {
    let exe = format!("cfcp{}", std::env::consts::EXE_SUFFIX);
    let mcp = PathBuf::from(env!("CARGO_BIN_EXE_cfcp-mcp"));
    let beside = mcp.with_file_name(&exe);
    if beside.exists() {
        return beside;
    }
    let profile_dir = mcp.parent().unwrap();
    let nested = profile_dir.join("nested-cfcp");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-q", "-p", "cfcp-cli", "--bin", "cfcp"])
        .env("CARGO_TARGET_DIR", &nested)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "building cfcp for the approval test");
    nested.join("debug").join(exe)
}

fn create(name: &str) -> Value {
    json!({"action": "create", "zone": ZONE,
           "record": {"type": "A", "name": name, "content": "192.0.2.80", "proxied": true}})
}

fn with_confirm(mut arguments: Value, plan_id: &Value) -> Value {
    arguments["confirm"] = plan_id.clone();
    arguments
}

#[test]
fn an_allowed_dns_create_is_planned_then_lands_on_confirm() {
    let fake = fake(Faults::none());
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&fake, dir.path(), &[]);
    let name = "launch.acme-shop.com";
    let (plan, err) = server.call("dns_record_manage", create("launch"));
    assert!(!err, "{plan}");
    assert_eq!(plan["route"], "allow", "{plan}");
    assert_eq!(plan["operations"][0]["method"], "POST");
    assert_eq!(plan["operations"][0]["body"]["name"], name);
    assert!(plan["expires_at"].is_string());
    assert_eq!(records_named(&fake, name), 0, "planning changes nothing");

    // The plan must be confirmed with the arguments that made it.
    let (other, err) = server.call(
        "dns_record_manage",
        with_confirm(create("other"), &plan["plan_id"]),
    );
    assert!(
        err && other["error"].as_str().unwrap().contains("other arguments"),
        "{other}"
    );

    let (done, err) = server.call(
        "dns_record_manage",
        with_confirm(create("launch"), &plan["plan_id"]),
    );
    assert!(!err, "{done}");
    assert_eq!(done["summary"]["complete"], true, "{done}");
    assert_eq!(done["execution"]["applied"].as_array().unwrap().len(), 1);
    assert!(!done["changes"].as_array().unwrap().is_empty(), "{done}");
    assert_eq!(records_named(&fake, name), 1);

    // Reads see the change; the plan cannot run twice.
    let (got, err) = server.call(
        "dns_record_manage",
        json!({"action": "get", "zone": ZONE, "record": {"name": name}}),
    );
    assert!(!err, "{got}");
    assert!(got.to_string().contains("192.0.2.80"), "{got}");
    let (again, err) = server.call(
        "dns_record_manage",
        with_confirm(create("launch"), &plan["plan_id"]),
    );
    assert!(err, "{again}");
    assert_eq!(records_named(&fake, name), 1);

    let lines = server.finish();
    let outcome = lines
        .iter()
        .find(|l| l["kind"] == "outcome" && l["outcome"]["status"] == "executed")
        .expect("the execution is in the audit trail");
    assert_eq!(
        outcome["outcome"]["execution"]["applied"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_waf_rule_disable_waits_for_cfcp_approve_then_lands() {
    let fake = fake(Faults::none());
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&fake, dir.path(), &[]);
    let zone = cfcp::snapshot::demo();
    let rule = zone
        .zone(ZONE)
        .unwrap()
        .rulesets
        .iter()
        .flat_map(|r| &r.rules)
        .find(|r| r.action.get().map(|a| a.as_str()) == Some("block") && r.is_enabled())
        .unwrap()
        .id
        .get()
        .unwrap()
        .clone();
    let disable = json!({"action": "disable", "zone": ZONE, "rule": {"id": rule}});
    let enabled = |fake: &FakeHandle| {
        fake.current_snapshot()
            .zone(ZONE)
            .unwrap()
            .rulesets
            .iter()
            .flat_map(|r| &r.rules)
            .find(|r| r.id.get() == Some(&rule))
            .unwrap()
            .is_enabled()
    };
    let (plan, err) = server.call("waf_rule_configure", disable.clone());
    assert!(!err, "{plan}");
    assert_eq!(plan["route"], "approve", "{plan}");
    assert!(
        plan["flags"].to_string().contains("security_downgrade"),
        "{plan}"
    );
    let id = plan["plan_id"].as_str().unwrap().to_owned();

    let (waiting, err) = server.call(
        "waf_rule_configure",
        with_confirm(disable.clone(), &plan["plan_id"]),
    );
    assert!(err, "{waiting}");
    assert!(
        waiting["error"].as_str().unwrap().contains("cfcp approve"),
        "{waiting}"
    );
    assert!(enabled(&fake), "nothing ran before the approval");

    let plans = dir.path().join("plans");
    let listed = Command::new(cfcp_bin())
        .args(["approve", "--list", "--plans-dir"])
        .arg(&plans)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains(&id) && text.contains("waiting for approval"),
        "{text}"
    );
    let approved = Command::new(cfcp_bin())
        .args(["approve", &id, "--yes", "--plans-dir"])
        .arg(&plans)
        .output()
        .unwrap();
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    assert!(String::from_utf8_lossy(&approved.stdout).contains("security_downgrade"));

    let (done, err) = server.call(
        "waf_rule_configure",
        with_confirm(disable, &plan["plan_id"]),
    );
    assert!(!err, "{done}");
    assert!(
        !enabled(&fake),
        "the rule is off after the approved plan ran"
    );
    let lines = server.finish();
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "approval" && l["plan_id"] == id.as_str()),
        "the approval is in the server's audit trail"
    );
    let approvals = std::fs::read(plans.join("approvals.jsonl")).unwrap();
    assert!(cfcp::audit::verify(&approvals, None).ok);
}

/// An enabled block rule of the demo zone, and whether it is enabled on the fake.
fn a_block_rule() -> (String, impl Fn(&FakeHandle) -> bool) {
    let demo = cfcp::snapshot::demo();
    let rule = demo
        .zone(ZONE)
        .unwrap()
        .rulesets
        .iter()
        .flat_map(|r| &r.rules)
        .find(|r| r.action.get().map(|a| a.as_str()) == Some("block") && r.is_enabled())
        .unwrap()
        .id
        .get()
        .unwrap()
        .clone();
    let id = rule.clone();
    let enabled = move |fake: &FakeHandle| {
        fake.current_snapshot()
            .zone(ZONE)
            .unwrap()
            .rulesets
            .iter()
            .flat_map(|r| &r.rules)
            .find(|r| r.id.get() == Some(&id))
            .unwrap()
            .is_enabled()
    };
    (rule, enabled)
}

#[test]
fn a_client_that_can_ask_gets_the_humans_approval_through_elicitation() {
    let fake = fake(Faults::none());
    let dir = tempfile::tempdir().unwrap();
    let approve = json!({"action": "accept", "content": {"approve": true}});
    let mut server = Server::start_asking(&fake, dir.path(), &[], Some(approve));
    let (rule, enabled) = a_block_rule();
    let disable = json!({"action": "disable", "zone": ZONE, "rule": {"id": rule}});
    let (plan, err) = server.call("waf_rule_configure", disable.clone());
    assert!(!err && plan["route"] == "approve", "{plan}");
    assert!(server.asked.is_empty(), "making a plan asks nobody");
    let id = plan["plan_id"].as_str().unwrap().to_owned();

    let (done, err) = server.call(
        "waf_rule_configure",
        with_confirm(disable, &plan["plan_id"]),
    );
    assert!(!err, "{done}");
    assert!(!enabled(&fake), "the approved plan ran");
    assert_eq!(server.asked.len(), 1);
    let question = server.asked[0]["message"].as_str().unwrap();
    assert!(
        question.contains(&id) && question.contains("security_downgrade"),
        "{question}"
    );
    assert_eq!(
        server.asked[0]["requestedSchema"]["required"],
        json!(["approve"])
    );
    let lines = server.finish();
    let approval = lines
        .iter()
        .find(|l| l["kind"] == "approval" && l["plan_id"] == id.as_str())
        .expect("the approval is in the audit trail");
    assert!(
        approval["approver"]
            .as_str()
            .unwrap()
            .contains("cfcp-mcp-live-tests"),
        "{approval}"
    );
    let approved_at = lines.iter().position(|l| l["kind"] == "approval").unwrap();
    let executed = lines
        .iter()
        .rposition(|l| l["kind"] == "outcome" && l["outcome"]["status"] == "executed")
        .expect("the execution's outcome is logged");
    assert!(approved_at < executed, "approved before it ran");
}

#[test]
fn a_declined_prompt_leaves_the_plan_waiting_for_cfcp_approve() {
    let fake = fake(Faults::none());
    let dir = tempfile::tempdir().unwrap();
    let mut server =
        Server::start_asking(&fake, dir.path(), &[], Some(json!({"action": "decline"})));
    let (rule, enabled) = a_block_rule();
    let disable = json!({"action": "disable", "zone": ZONE, "rule": {"id": rule}});
    let (plan, _) = server.call("waf_rule_configure", disable.clone());
    let id = plan["plan_id"].as_str().unwrap().to_owned();
    let (refused, err) = server.call(
        "waf_rule_configure",
        with_confirm(disable.clone(), &plan["plan_id"]),
    );
    assert!(err, "{refused}");
    let message = refused["error"].as_str().unwrap();
    assert!(
        message.contains("did not approve") && message.contains("declined"),
        "{message}"
    );
    assert!(enabled(&fake), "nothing ran");

    // A form sent back without approve: true is no approval either.
    server.answer = Some(json!({"action": "accept", "content": {"approve": false}}));
    let (refused, err) = server.call(
        "waf_rule_configure",
        with_confirm(disable.clone(), &plan["plan_id"]),
    );
    assert!(
        err && refused["error"]
            .as_str()
            .unwrap()
            .contains("without approve"),
        "{refused}"
    );
    assert!(enabled(&fake));

    // The plan still waits: a human approves it out of band, and the confirm runs it.
    let approved = Command::new(cfcp_bin())
        .args(["approve", &id, "--yes", "--plans-dir"])
        .arg(dir.path().join("plans"))
        .output()
        .unwrap();
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let (done, err) = server.call(
        "waf_rule_configure",
        with_confirm(disable, &plan["plan_id"]),
    );
    assert!(!err, "{done}");
    assert!(!enabled(&fake));
    assert_eq!(
        server.asked.len(),
        2,
        "an approved plan is not asked about again"
    );
    let lines = server.finish();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["kind"] == "approval_refused" && l["plan_id"] == id.as_str())
            .count(),
        2
    );
}

#[test]
fn a_plan_for_a_zone_that_changed_since_is_refused() {
    let fake = fake(Faults::none());
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&fake, dir.path(), &[]);
    let (first, _) = server.call("dns_record_manage", create("one"));
    let (second, _) = server.call("dns_record_manage", create("two"));
    let (_, err) = server.call(
        "dns_record_manage",
        with_confirm(create("two"), &second["plan_id"]),
    );
    assert!(!err);
    let (stale, err) = server.call(
        "dns_record_manage",
        with_confirm(create("one"), &first["plan_id"]),
    );
    assert!(err, "{stale}");
    assert!(
        stale["error"].as_str().unwrap().contains("changed since"),
        "{stale}"
    );
    assert_eq!(records_named(&fake, "one.acme-shop.com"), 0);
    server.finish();
}

#[test]
fn an_expired_plan_is_refused() {
    let fake = fake(Faults::none());
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&fake, dir.path(), &["--plan-ttl", "1"]);
    let (plan, _) = server.call("dns_record_manage", create("late"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (expired, err) = server.call(
        "dns_record_manage",
        with_confirm(create("late"), &plan["plan_id"]),
    );
    assert!(err, "{expired}");
    assert!(
        expired["error"].as_str().unwrap().contains("expired"),
        "{expired}"
    );
    assert_eq!(records_named(&fake, "late.acme-shop.com"), 0);
    server.finish();
}

#[test]
fn a_failure_part_way_through_names_the_operations_that_applied() {
    let fake = fake(Faults {
        fail_writes_after: Some(1),
        ..Faults::none()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&fake, dir.path(), &[]);
    let mut call = create("first");
    call["records"] = json!([{"type": "A", "name": "second", "content": "192.0.2.81", "proxied": true},
                             {"type": "A", "name": "third", "content": "192.0.2.82", "proxied": true}]);
    let (plan, err) = server.call("dns_record_manage", call.clone());
    assert!(!err, "{plan}");
    assert_eq!(plan["operations"].as_array().unwrap().len(), 3);
    let (report, err) = server.call("dns_record_manage", with_confirm(call, &plan["plan_id"]));
    assert!(err, "{report}");
    let message = report["error"].as_str().unwrap();
    assert!(message.contains("applied 1 of 3"), "{message}");
    assert!(message.contains("first.acme-shop.com"), "{message}");
    let execution = &report["details"]["execution"];
    assert_eq!(
        execution["applied"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    assert!(execution["failed"]["operation"]["summary"]
        .as_str()
        .unwrap()
        .contains("second"));
    assert_eq!(execution["not_attempted"].as_array().unwrap().len(), 1);
    assert_eq!(records_named(&fake, "first.acme-shop.com"), 1);
    assert_eq!(records_named(&fake, "second.acme-shop.com"), 0);
    let lines = server.finish();
    assert!(lines
        .iter()
        .any(|l| l["kind"] == "outcome" && l["outcome"]["status"] == "partial"));
}
