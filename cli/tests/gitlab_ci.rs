//! The GitLab CI template (examples/gitlab-ci/): the YAML's job structure, its check script run
//! with the built `cfcp` against the demo snapshot (reports validated against GitLab's Code Quality
//! format and parsed as XML), the live mode against the fake Cloudflare API, and comment-mr.sh
//! against a fake GitLab notes API on 127.0.0.1.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use cfcp::snapshot::{Snapshot, DEMO_SNAPSHOT_JSON};
use fake_cloudflare::{FakeConfig, FakeHandle};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The template and its scripts

fn template_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/gitlab-ci")
}

fn template() -> Value {
    let text = std::fs::read_to_string(template_dir().join("cfcp.gitlab-ci.yml")).unwrap();
    serde_norway::from_str(&text).expect("the template is YAML")
}

/// The hidden job that holds everything.
fn hidden_job() -> Value {
    template()[".cfcp-check"].clone()
}

/// The artifact paths the template declares as Code Quality and JUnit reports.
fn declared_reports() -> (String, String) {
    let reports = &hidden_job()["artifacts"]["reports"];
    (
        reports["codequality"].as_str().unwrap().to_owned(),
        reports["junit"].as_str().unwrap().to_owned(),
    )
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The directory of the built `cfcp`, to put on PATH the way an image does.
fn cfcp_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_cfcp"))
        .parent()
        .unwrap()
        .to_owned()
}

fn path_with_cfcp() -> std::ffi::OsString {
    let mut dirs = vec![cfcp_dir()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap()
}

/// A `sh` command in `dir` with no CI, Cloudflare or template variable inherited from the
/// environment the tests run in, and the built `cfcp` on PATH.
fn shell(dir: &Path) -> Command {
    let mut cmd = Command::new("sh");
    cmd.current_dir(dir).env("PATH", path_with_cfcp());
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("CI_")
            || name.starts_with("CFCP_")
            || name.starts_with("CLOUDFLARE_")
            || name == "GITLAB_CI"
        {
            cmd.env_remove(name);
        }
    }
    cmd
}

fn run_check_script(dir: &Path, env: &[(&str, &str)]) -> Output {
    shell(dir)
        .arg(template_dir().join("cfcp-check.sh"))
        .envs(env.iter().copied())
        .output()
        .expect("sh runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn log(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// A temporary project checkout holding the demo snapshot at `cloudflare/snapshot.json`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("cloudflare")).unwrap();
    std::fs::write(
        dir.path().join("cloudflare/snapshot.json"),
        DEMO_SNAPSHOT_JSON,
    )
    .unwrap();
    dir
}

/// The `cfcp.report/v1` report of the demo, straight from the CLI: what the renderings must say.
fn demo_report() -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cfcp"))
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CLOUDFLARE_API_KEY")
        .args(["check", "--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).expect("the JSON report")
}

fn count_status(report: &Value, status: &str) -> usize {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == status)
        .count()
}

// ---------------------------------------------------------------------------------------------
// Validators: GitLab's Code Quality format (JSON Schema) and XML well-formedness

fn code_quality_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(template_dir().join("gl-code-quality-report.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, report: &Value) -> Vec<String> {
    validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

#[test]
fn the_code_quality_schema_rejects_what_gitlab_would_not_read() {
    let validator = code_quality_validator();
    let issue = serde_json::json!({
        "description": "d", "check_name": "c", "fingerprint": "f", "severity": "major",
        "location": {"path": "p.json", "lines": {"begin": 1}}
    });
    assert!(schema_errors(&validator, &Value::Array(vec![issue.clone()])).is_empty());
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: [Breakage; 5] = [
        ("a cfcp severity", |i| i["severity"] = "high".into()),
        ("line 0", |i| i["location"]["lines"]["begin"] = 0.into()),
        ("no fingerprint", |i| {
            i.as_object_mut().unwrap().remove("fingerprint");
        }),
        ("no lines", |i| {
            i["location"].as_object_mut().unwrap().remove("lines");
        }),
        ("a numeric description", |i| i["description"] = 1.into()),
    ];
    for (what, breakage) in breakages {
        let mut broken = issue.clone();
        breakage(&mut broken);
        assert!(
            !schema_errors(&validator, &Value::Array(vec![broken])).is_empty(),
            "{what} was accepted"
        );
    }
    assert!(
        !schema_errors(&validator, &issue).is_empty(),
        "an object, not an array"
    );
}

/// One XML element: name, attributes, children.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: BTreeMap<String, String>,
    children: Vec<Element>,
}

impl Element {
    fn descendants<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        for child in &self.children {
            if child.name == name {
                out.push(child);
            }
            child.descendants(name, out);
        }
    }

    fn all(&self, name: &str) -> Vec<&Element> {
        let mut out = Vec::new();
        self.descendants(name, &mut out);
        out
    }

    fn number(&self, attribute: &str) -> usize {
        self.attributes[attribute].parse().unwrap()
    }
}

/// Decodes character data, rejecting a bare `&` or `<` and unknown entities.
fn xml_unescape(raw: &str, at: usize) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '<']) {
        out.push_str(&rest[..i]);
        if rest.as_bytes()[i] == b'<' {
            return Err(format!("a raw '<' in text near byte {at}"));
        }
        let end = rest[i..]
            .find(';')
            .ok_or_else(|| format!("an unterminated entity near byte {at}"))?;
        let entity = &rest[i + 1..i + end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16)
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse()
                } else {
                    return Err(format!("an unknown entity &{entity}; near byte {at}"));
                };
                code.ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("a bad character reference &{entity}; near {at}"))?
            }
        };
        out.push(c);
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_alphanumeric() || "_:.-".contains(c))
}

/// A strict parser for the XML subset JUnit files use (declaration, comments, elements, attributes,
/// text, entities): returns the root element or why the text is not well-formed.
fn parse_xml(xml: &str) -> Result<Element, String> {
    let mut rest = xml.trim_start_matches('\u{feff}');
    if let Some(decl) = rest.strip_prefix("<?xml") {
        let end = decl.find("?>").ok_or("an unterminated XML declaration")?;
        rest = &decl[end + 2..];
    }
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let at = xml.len() - rest.len();
        let Some(lt) = rest.find('<') else {
            if !rest.trim().is_empty() {
                return Err(format!("text after the root element near byte {at}"));
            }
            break;
        };
        let data = &rest[..lt];
        xml_unescape(data, at)?;
        if stack.len() == 1 && !data.trim().is_empty() {
            return Err(format!("text outside the root element near byte {at}"));
        }
        rest = &rest[lt..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            let end = comment.find("-->").ok_or("an unterminated comment")?;
            rest = &comment[end + 3..];
            continue;
        }
        let gt = rest
            .find('>')
            .ok_or_else(|| format!("an unterminated tag near byte {at}"))?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let element = stack.pop().filter(|_| !stack.is_empty());
            match element {
                Some(element) if element.name == name.trim_end() => {
                    stack.last_mut().unwrap().children.push(element)
                }
                _ => return Err(format!("a stray end tag </{name}> near byte {at}")),
            }
            continue;
        }
        let (tag, empty) = match tag.strip_suffix('/') {
            Some(tag) => (tag, true),
            None => (tag, false),
        };
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let mut element = Element {
            name: tag[..name_end].to_owned(),
            ..Element::default()
        };
        if !is_name(&element.name) {
            return Err(format!("a bad element name {:?} near {at}", element.name));
        }
        let mut attrs = tag[name_end..].trim();
        while !attrs.is_empty() {
            let eq = attrs
                .find('=')
                .ok_or_else(|| format!("an attribute without a value near {at}"))?;
            let name = attrs[..eq].trim();
            let value = attrs[eq + 1..].trim_start();
            let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'');
            let quote = quote.ok_or_else(|| format!("an unquoted attribute {name} near {at}"))?;
            let close = value[1..]
                .find(quote)
                .ok_or_else(|| format!("an unterminated attribute {name} near {at}"))?;
            if !is_name(name) {
                return Err(format!("a bad attribute name {name:?} near {at}"));
            }
            let decoded = xml_unescape(&value[1..1 + close], at)?;
            if element
                .attributes
                .insert(name.to_owned(), decoded)
                .is_some()
            {
                return Err(format!("a duplicate attribute {name} near {at}"));
            }
            let after = &value[close + 2..];
            if !after.is_empty() && !after.starts_with(char::is_whitespace) {
                return Err(format!("no space after attribute {name} near {at}"));
            }
            attrs = after.trim_start();
        }
        if stack.len() == 1 && !stack[0].children.is_empty() {
            return Err(format!("a second root element near byte {at}"));
        }
        if empty {
            stack.last_mut().unwrap().children.push(element);
        } else {
            stack.push(element);
        }
    }
    if stack.len() != 1 {
        return Err(format!("<{}> is never closed", stack.last().unwrap().name));
    }
    let mut document = stack.pop().unwrap();
    match document.children.len() {
        1 => Ok(document.children.remove(0)),
        n => Err(format!("{n} root elements")),
    }
}

#[test]
fn the_xml_checker_rejects_what_is_not_well_formed() {
    assert!(parse_xml("<?xml version=\"1.0\"?>\n<a x=\"1 &amp; 2\"><b/>t&#x41;</a>\n").is_ok());
    for bad in [
        "<a><b></a></b>",
        "<a x=\"1\" x=\"2\"/>",
        "<a x=1/>",
        "<a>&nbsp;</a>",
        "<a>1 & 2</a>",
        "<a/><b/>",
        "<a>",
        "text<a/>",
    ] {
        assert!(parse_xml(bad).is_err(), "accepted {bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The template's structure

#[test]
fn template_declares_a_hidden_job_a_ready_job_and_the_variables() {
    let doc = template();
    let jobs = doc.as_object().unwrap();
    assert!(jobs.contains_key(".cfcp-check"), "the hidden job to extend");
    assert_eq!(doc["cfcp-check"]["extends"], ".cfcp-check");
    assert!(
        !jobs.contains_key("variables"),
        "no global variables: they would leak into the including pipeline's jobs"
    );
    let job = hidden_job();
    let variables = job["variables"].as_object().unwrap();
    for name in [
        "CFCP_SNAPSHOT",
        "CFCP_FAIL_ON",
        "CFCP_POLICY_DIR",
        "CFCP_WAIVERS",
        "CFCP_VERSION",
        "CFCP_SCRIPTS_DIR",
        "CFCP_IMAGE",
    ] {
        assert!(variables.contains_key(name), "missing variable {name}");
    }
    for secret in ["CLOUDFLARE_API_TOKEN", "CFCP_GITLAB_TOKEN"] {
        assert!(
            !variables.contains_key(secret),
            "{secret} belongs in masked CI/CD variables, not in YAML"
        );
    }
    assert_eq!(job["image"], "$CFCP_IMAGE");
    // The job runs the scripts, which exist beside the template and are POSIX sh.
    let script = strings(&job["script"]).join("\n");
    assert!(script.contains("cfcp-check.sh"), "{script}");
    for name in ["cfcp-check.sh", "comment-mr.sh"] {
        let path = template_dir().join(name);
        let out = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    }
}

#[test]
fn template_reports_code_quality_and_junit_and_keeps_them_on_failure() {
    let job = hidden_job();
    let artifacts = &job["artifacts"];
    assert_eq!(
        artifacts["when"], "always",
        "a failing check must still publish its reports"
    );
    let (codequality, junit) = declared_reports();
    let paths = strings(&artifacts["paths"]);
    for report in [&codequality, &junit, &"cfcp-summary.md".to_owned()] {
        assert!(paths.contains(report), "{report} is not kept: {paths:?}");
    }
    // The script names the same files: what it writes is what GitLab collects.
    let script = std::fs::read_to_string(template_dir().join("cfcp-check.sh")).unwrap();
    assert!(script.contains(&format!("codequality={codequality}\n")));
    assert!(script.contains(&format!("junit={junit}\n")));
}

#[test]
fn template_runs_for_merge_requests_the_default_branch_and_schedules() {
    let rules: Vec<String> = hidden_job()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["if"].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "$CI_PIPELINE_SOURCE == \"merge_request_event\"",
        "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
        "$CI_PIPELINE_SOURCE == \"schedule\"",
    ] {
        assert!(
            rules.iter().any(|r| r == expected),
            "no rule {expected}: {rules:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The check script

#[test]
fn check_script_writes_valid_code_quality_junit_and_markdown_for_the_demo() {
    let dir = project();
    let out = run_check_script(
        dir.path(),
        &[
            ("CFCP_SNAPSHOT", "cloudflare/snapshot.json"),
            ("CFCP_FAIL_ON", "none"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    let report = demo_report();
    let (failed, unknown) = (
        count_status(&report, "FAIL"),
        count_status(&report, "UNKNOWN"),
    );
    assert!(failed > 0, "the demo has failures to report");
    let (codequality, junit) = declared_reports();

    // Code Quality: the format, unique fingerprints, one issue per FAIL or UNKNOWN finding.
    let issues: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(&codequality)).unwrap()).unwrap();
    let errors = schema_errors(&code_quality_validator(), &issues);
    assert!(errors.is_empty(), "{errors:#?}");
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), failed + unknown);
    let fingerprints: HashSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");
    assert!(issues
        .iter()
        .all(|i| i["location"]["path"] == "cloudflare/snapshot.json"));
    let info_unknown = issues
        .iter()
        .filter(|i| i["description"].as_str().unwrap().starts_with("UNKNOWN: "))
        .count();
    assert_eq!(info_unknown, unknown);

    // JUnit: well-formed, a test case per finding, a failure per FAIL, counts that add up.
    let xml = std::fs::read_to_string(dir.path().join(&junit)).unwrap();
    let root = parse_xml(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(root.name, "testsuites");
    let cases = root.all("testcase");
    assert_eq!(cases.len(), report["findings"].as_array().unwrap().len());
    assert_eq!(root.number("tests"), cases.len());
    assert_eq!(root.all("failure").len(), failed);
    assert_eq!(root.number("failures"), failed);
    for suite in root.all("testsuite") {
        assert_eq!(suite.number("tests"), suite.all("testcase").len());
        assert_eq!(suite.number("failures"), suite.all("failure").len());
    }

    // The Markdown summary is what the job log shows.
    let summary = std::fs::read_to_string(dir.path().join("cfcp-summary.md")).unwrap();
    assert!(summary.starts_with("### cfcp check"), "{summary}");
    assert!(summary.contains("zone_ssl_strict"));
    assert!(text(&out.stdout).contains(summary.trim_end()));
    assert!(
        !dir.path().join("cfcp-snapshot.json").exists(),
        "a snapshot file means no live snapshot"
    );
}

#[test]
fn check_script_fails_the_job_by_fail_on_after_writing_every_report() {
    let report = demo_report();
    let fails_at = |levels: &[&str]| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["status"] == "FAIL" && levels.contains(&f["severity"].as_str().unwrap()))
    };
    let (codequality, junit) = declared_reports();
    for (fail_on, levels) in [
        ("critical", &["critical"][..]),
        ("high", &["critical", "high"][..]),
        ("", &["critical", "high"][..]), // the template's default
    ] {
        let dir = project();
        let out = run_check_script(
            dir.path(),
            &[
                ("CFCP_SNAPSHOT", "cloudflare/snapshot.json"),
                ("CFCP_FAIL_ON", fail_on),
            ],
        );
        let expected = i32::from(fails_at(levels));
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{fail_on}: {}",
            log(&out)
        );
        for file in [&codequality, &junit, &"cfcp-summary.md".to_owned()] {
            assert!(
                dir.path().join(file).is_file(),
                "{file} with fail-on {fail_on:?}"
            );
        }
    }
}

#[test]
fn check_script_passes_policies_waivers_and_zones_to_cfcp() {
    let dir = project();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/policies/require-owner-tag-on-exposed-records.rego"),
        dir.path().join("policies/owner.rego"),
    )
    .unwrap();
    let waived = "zone_ssl_strict";
    std::fs::write(
        dir.path().join("waivers.json"),
        format!(
            r#"[{{"check_id":"{waived}","resource":"acme-internal.net","reason":"migrating","expires":"2099-01-01"}}]"#
        ),
    )
    .unwrap();
    let out = run_check_script(
        dir.path(),
        &[
            ("CFCP_SNAPSHOT", "cloudflare/snapshot.json"),
            ("CFCP_FAIL_ON", "none"),
            ("CFCP_POLICY_DIR", "policies"),
            ("CFCP_WAIVERS", "waivers.json"),
            ("CFCP_ZONES", "acme-internal.net"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    let (codequality, junit) = declared_reports();
    let xml = std::fs::read_to_string(dir.path().join(junit)).unwrap();
    let root = parse_xml(&xml).unwrap();
    let suites: Vec<&str> = root
        .all("testsuite")
        .iter()
        .map(|s| s.attributes["name"].as_str())
        .collect();
    assert!(
        suites.contains(&"acme-internal.net")
            && suites
                .iter()
                .all(|s| *s == "acme-internal.net" || *s == "account"),
        "only the selected zone (and the account) is checked: {suites:?}"
    );
    let policy_id = "dns_record_exposed_has_owner";
    assert!(
        xml.contains(&format!("classname=\"cfcp.{policy_id}\"")),
        "the Rego policy ran"
    );
    let issues: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(codequality)).unwrap()).unwrap();
    let issues = issues.as_array().unwrap();
    assert!(issues.iter().any(|i| i["check_name"] == policy_id));
    assert!(
        !issues.iter().any(|i| i["check_name"] == waived),
        "the waived failure is not an issue"
    );
    assert!(
        demo_report()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check_id"] == waived && f["status"] == "FAIL"),
        "without the waiver {waived} fails"
    );
    let summary = std::fs::read_to_string(dir.path().join("cfcp-summary.md")).unwrap();
    assert!(
        summary.contains("muted (waived)") && summary.contains(&format!("`{waived}`")),
        "waived findings are listed: {summary}"
    );
}

#[test]
fn check_script_without_input_exits_2_and_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_check_script(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", log(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("CFCP_SNAPSHOT") && err.contains("CLOUDFLARE_API_TOKEN"),
        "{err}"
    );

    let out = run_check_script(dir.path(), &[("CFCP_SNAPSHOT", "missing.json")]);
    assert_eq!(out.status.code(), Some(2), "{}", log(&out));
    assert!(text(&out.stderr).contains("missing.json"));

    let out = run_check_script(
        dir.path(),
        &[("CFCP_SNAPSHOT", "demo"), ("CFCP_FAIL_ON", "sometimes")],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad CFCP_FAIL_ON: {}",
        log(&out)
    );
}

#[test]
fn check_script_demo_mode_ignores_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_check_script(
        dir.path(),
        &[
            ("CFCP_SNAPSHOT", "demo"),
            ("CFCP_FAIL_ON", "none"),
            ("CLOUDFLARE_API_TOKEN", "never-used"),
            ("CLOUDFLARE_BASE_URL", "http://127.0.0.1:9/client/v4"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    let (codequality, _) = declared_reports();
    let issues: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(codequality)).unwrap()).unwrap();
    assert_eq!(
        issues[0]["location"]["path"], "examples/snapshots/demo.json",
        "the bundled demo's path"
    );
}

#[test]
fn check_script_live_mode_reads_the_account_once_and_keeps_the_snapshot() {
    let fake = |_: ()| {
        FakeHandle::spawn_blocking_thread(FakeConfig::new(
            Snapshot::from_json_str(DEMO_SNAPSHOT_JSON).unwrap(),
        ))
        .unwrap()
    };
    // What one `cfcp snapshot` of the zone costs.
    let once = fake(());
    let url = once.base_url();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cfcp"))
        .env("CLOUDFLARE_API_TOKEN", "fake-token")
        .env("CLOUDFLARE_BASE_URL", &url)
        .args(["snapshot", "--zone", "acme-api.io", "-o"])
        .arg(dir.path().join("one.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", log(&out));
    let one_snapshot = once.request_count();

    let live = fake(());
    let url = live.base_url();
    let out = run_check_script(
        dir.path(),
        &[
            ("CLOUDFLARE_API_TOKEN", "fake-token"),
            ("CLOUDFLARE_BASE_URL", url.as_str()),
            ("CFCP_ZONES", "acme-api.io"),
            ("CFCP_FAIL_ON", "none"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    assert_eq!(
        live.request_count(),
        one_snapshot,
        "one snapshot, three renderings"
    );
    let snapshot =
        Snapshot::from_json_slice(&std::fs::read(dir.path().join("cfcp-snapshot.json")).unwrap())
            .expect("the checked snapshot is kept");
    let zones: Vec<&str> = snapshot
        .zones
        .iter()
        .map(|z| z.zone.name.as_str())
        .collect();
    assert_eq!(zones, ["acme-api.io"]);
    let (codequality, _) = declared_reports();
    let issues: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(codequality)).unwrap()).unwrap();
    assert!(issues
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["location"]["path"] == "cfcp-snapshot.json"));
    let all = format!(
        "{}{}",
        log(&out),
        std::fs::read_to_string(dir.path().join("cfcp-summary.md")).unwrap()
    );
    assert!(!all.contains("fake-token"), "the token never shows");

    // A token the API refuses: exit 2, and no report pretends the account is fine.
    let out = run_check_script(
        dir.path(),
        &[
            ("CLOUDFLARE_API_TOKEN", "not-a-token-the-fake-knows"),
            ("CLOUDFLARE_BASE_URL", url.as_str()),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", log(&out));
    assert!(text(&out.stderr).contains("live snapshot failed"));
}

// ---------------------------------------------------------------------------------------------
// The merge-request comment, against a fake GitLab API

/// One request the fake GitLab received.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    target: String,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Received {
    /// The `body` member of a form-encoded request body.
    fn form_body(&self) -> String {
        self.body
            .split('&')
            .find_map(|pair| pair.strip_prefix("body="))
            .map(percent_decode)
            .unwrap_or_default()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

type Responder = dyn Fn(&Received) -> (u16, String) + Send + Sync;

/// A one-thread HTTP/1.1 server on 127.0.0.1:0 that records requests and answers with `respond`.
struct FakeGitlab {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeGitlab {
    fn start(respond: impl Fn(&Received) -> (u16, String) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api/v4", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        let respond: Arc<Responder> = Arc::new(respond);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(request) = serve(stream, &*respond) {
                    log.lock().unwrap().push(request);
                }
            }
        });
        FakeGitlab { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, respond: &Responder) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let mut writer = stream;
    if headers
        .get("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let request = Received {
        method,
        target,
        headers,
        body: String::from_utf8(body).ok()?,
    };
    let (status, answer) = respond(&request);
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
    writer.write_all(response.as_bytes()).ok()?;
    Some(request)
}

fn curl_missing() -> bool {
    let found = Command::new("curl").arg("--version").output();
    if found.is_ok_and(|o| o.status.success()) {
        return false;
    }
    eprintln!(
        "SKIPPED: curl absent: comment-mr.sh needs it; the merge-request comment was NOT tested"
    );
    true
}

const NOTES: &str = "/api/v4/projects/42/merge_requests/7/notes";
const BOT: u64 = 1001;

/// The CI variables of a merge-request pipeline talking to `gitlab`.
fn mr_env(gitlab: &FakeGitlab) -> Vec<(&'static str, String)> {
    vec![
        ("CI_API_V4_URL", gitlab.url.clone()),
        ("CI_PROJECT_ID", "42".to_owned()),
        ("CI_MERGE_REQUEST_IID", "7".to_owned()),
        (
            "CI_PIPELINE_URL",
            "https://gitlab.example/p/-/pipelines/9".to_owned(),
        ),
        ("CI_PIPELINE_IID", "9".to_owned()),
        ("CFCP_GITLAB_TOKEN", "glpat-test-token".to_owned()),
    ]
}

/// GitLab's notes list: a note by someone else quoting the marker, then the bot's earlier summary.
fn existing_notes() -> String {
    serde_json::json!([
        {"id": 500, "type": null, "body": "LGTM", "author": {"id": 3, "username": "alice"}, "system": false},
        {"id": 501, "type": null, "body": "quoting: <!-- cfcp-gitlab-ci-summary -->", "author": {"id": 4, "username": "bob"}, "system": false},
        {"id": 502, "type": null, "body": "<!-- cfcp-gitlab-ci-summary -->\n### cfcp check\nold", "author": {"id": BOT, "username": "project_42_bot"}, "system": false},
    ])
    .to_string()
}

fn gitlab_with(notes: String, post_status: u16) -> FakeGitlab {
    FakeGitlab::start(move |r| {
        let path = r.target.split('?').next().unwrap_or_default();
        match (r.method.as_str(), path) {
            ("GET", "/api/v4/user") => (
                200,
                format!(r#"{{"id":{BOT},"username":"project_42_bot"}}"#),
            ),
            ("GET", NOTES) => (200, notes.clone()),
            ("POST", NOTES) => (post_status, r#"{"id":900}"#.to_owned()),
            ("PUT", p) if p.starts_with(NOTES) => (200, r#"{"id":502}"#.to_owned()),
            _ => (404, r#"{"message":"404 Not Found"}"#.to_owned()),
        }
    })
}

fn run_comment(dir: &Path, gitlab: &FakeGitlab, file: &str) -> Output {
    shell(dir)
        .arg(template_dir().join("comment-mr.sh"))
        .arg(file)
        .envs(mr_env(gitlab))
        .output()
        .unwrap()
}

fn summary_file(dir: &Path) -> String {
    let markdown = "### cfcp check\n\n| severity | check |\n|---|---|\n| 🔴 critical | zone_ssl_strict & more |\n";
    std::fs::write(dir.join("cfcp-summary.md"), markdown).unwrap();
    markdown.to_owned()
}

#[test]
fn comment_posts_a_new_note_with_the_summary() {
    if curl_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let markdown = summary_file(dir.path());
    let gitlab = gitlab_with("[]".to_owned(), 201);
    let out = run_comment(dir.path(), &gitlab, "cfcp-summary.md");
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    let received = gitlab.received();
    let post = received
        .iter()
        .find(|r| r.method == "POST")
        .unwrap_or_else(|| panic!("no POST: {received:#?}"));
    assert_eq!(post.target, NOTES);
    assert!(
        received.iter().all(|r| r.headers.get("private-token").map(String::as_str) == Some("glpat-test-token")),
        "every request authenticates: {received:#?}"
    );
    assert!(post.headers["content-type"].starts_with("application/x-www-form-urlencoded"));
    let body = post.form_body();
    assert!(
        body.starts_with("<!-- cfcp-gitlab-ci-summary -->\n"),
        "{body}"
    );
    assert!(
        body.contains(&markdown),
        "the summary, byte for byte: {body}"
    );
    assert!(
        body.contains("[#9](https://gitlab.example/p/-/pipelines/9)"),
        "{body}"
    );
    assert!(!received.iter().any(|r| r.method == "PUT"));
    assert!(
        !text(&out.stdout).contains("glpat-test-token")
            && !text(&out.stderr).contains("glpat-test-token")
    );
}

#[test]
fn comment_updates_its_own_earlier_note_not_a_quote_by_someone_else() {
    if curl_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let markdown = summary_file(dir.path());
    let gitlab = gitlab_with(existing_notes(), 201);
    let out = run_comment(dir.path(), &gitlab, "cfcp-summary.md");
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    let received = gitlab.received();
    let writes: Vec<&Received> = received.iter().filter(|r| r.method != "GET").collect();
    assert_eq!(writes.len(), 1, "{received:#?}");
    assert_eq!(writes[0].method, "PUT");
    assert_eq!(writes[0].target, format!("{NOTES}/502"));
    assert!(writes[0].form_body().contains(&markdown));
}

#[test]
fn comment_fails_when_gitlab_refuses_and_says_so() {
    if curl_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    summary_file(dir.path());
    let gitlab = gitlab_with("[]".to_owned(), 403);
    let out = run_comment(dir.path(), &gitlab, "cfcp-summary.md");
    assert_eq!(out.status.code(), Some(1), "{}", log(&out));
    assert!(text(&out.stderr).contains("HTTP 403"), "{}", log(&out));

    let out = shell(dir.path())
        .arg(template_dir().join("comment-mr.sh"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "no CI variables: {}", log(&out));
    assert!(text(&out.stderr).contains("CI_API_V4_URL"));
}

#[test]
fn check_script_in_a_merge_request_comments_and_still_fails_by_fail_on() {
    if curl_missing() {
        return;
    }
    let dir = project();
    let gitlab = gitlab_with("[]".to_owned(), 201);
    let mut env: Vec<(&str, String)> = mr_env(&gitlab);
    env.push(("CFCP_SNAPSHOT", "cloudflare/snapshot.json".to_owned()));
    env.push(("CFCP_FAIL_ON", "info".to_owned()));
    let out = shell(dir.path())
        .arg(template_dir().join("cfcp-check.sh"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the demo fails: {}", log(&out));
    let summary = std::fs::read_to_string(dir.path().join("cfcp-summary.md")).unwrap();
    let post = gitlab
        .received()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("the summary was posted");
    assert!(post.form_body().contains(&summary));

    // A comment that fails is a warning; the job's result stays the check's.
    let refusing = gitlab_with("[]".to_owned(), 500);
    let mut env: Vec<(&str, String)> = mr_env(&refusing);
    env.push(("CFCP_SNAPSHOT", "cloudflare/snapshot.json".to_owned()));
    env.push(("CFCP_FAIL_ON", "none".to_owned()));
    let out = shell(dir.path())
        .arg(template_dir().join("cfcp-check.sh"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", log(&out));
    assert!(
        text(&out.stderr).contains("could not comment"),
        "{}",
        log(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// The job as GitLab runs it

/// Runs the hidden job's `before_script` and `script` in one shell, as the runner does, with the
/// template's variables, overridden by `project` (project CI/CD variables win over YAML).
fn run_job(dir: &Path, project: &[(&str, &str)]) -> Output {
    let job = hidden_job();
    let mut cmd = shell(dir);
    for (name, value) in job["variables"].as_object().unwrap() {
        cmd.env(name, value.as_str().unwrap());
    }
    cmd.env("CI_PROJECT_DIR", dir);
    cmd.envs(project.iter().copied());
    let lines: Vec<String> = ["before_script", "script"]
        .iter()
        .flat_map(|part| strings(&job[part]))
        .collect();
    cmd.arg("-ec").arg(lines.join("\n")).output().unwrap()
}

#[test]
fn the_job_runs_with_cfcp_in_the_image_and_fails_clearly_without_it() {
    let dir = project();
    let scripts = template_dir().canonicalize().unwrap();
    let scripts = scripts.to_str().unwrap();
    let out = run_job(
        dir.path(),
        &[
            ("CFCP_SCRIPTS_DIR", scripts),
            ("CFCP_SNAPSHOT", "cloudflare/snapshot.json"),
        ],
    );
    let report = demo_report();
    let high = report["findings"].as_array().unwrap().iter().any(|f| {
        f["status"] == "FAIL" && matches!(f["severity"].as_str(), Some("critical" | "high"))
    });
    assert_eq!(out.status.code(), Some(i32::from(high)), "{}", log(&out));
    assert!(text(&out.stdout).contains("cfcp: "), "{}", log(&out));
    let (codequality, junit) = declared_reports();
    assert!(dir.path().join(codequality).is_file() && dir.path().join(junit).is_file());

    // An image without cfcp and no repository to build it from: exit 2 with what to set.
    let out = shell(dir.path())
        .env("PATH", "/usr/bin:/bin")
        .env("CFCP_SCRIPTS_DIR", scripts)
        .env("CFCP_GIT_URL", "")
        .env("CFCP_VERSION", "main")
        .arg("-ec")
        .arg(strings(&hidden_job()["before_script"]).join("\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", log(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("CFCP_IMAGE") && err.contains("CFCP_GIT_URL"),
        "{err}"
    );
}
