//! SARIF 2.1.0 rendering of a [`Report`], for GitHub code scanning and other SARIF viewers.
//!
//! One log with one run. `tool.driver` is `cfcp` with one `reportingDescriptor` (rule) per check
//! that appears in the report, sorted by id (so `ruleIndex` is stable). Each rule carries the
//! check's title, description and risk (from the catalog; custom checks fall back to the title),
//! the remediation as `help` (text and Markdown with the Terraform snippet and API call), and
//! `properties.tags` (`security` plus the compliance references), `properties.security-severity`
//! (GitHub's ranking: critical 9.5, high 8.0, medium 5.5, low 3.0, info 0.0) and
//! `properties.precision` (`very-high` for catalog checks, which read exact configuration;
//! `medium` for custom policies).
//!
//! Results, in report order:
//!
//! * **FAIL**: `level` `error` (critical, high), `warning` (medium) or `note` (low, info).
//! * **MUTED**: the same result with `suppressions: [{kind: "external", justification}]`, the
//!   justification being the waiver's text; viewers show it as suppressed rather than open.
//! * **UNKNOWN**: a result with `kind: "review"` and `level: "none"`. The check could not decide
//!   (its input section is unreadable or missing), so a person must look. A result (rather than a
//!   tool notification) keeps the rule, the resource and the fingerprint, so an UNKNOWN that later
//!   turns into FAIL or PASS is tracked as the same alert.
//! * **PASS** findings are not emitted (they are in the JSON report).
//!
//! Each result has a logical location (the resource: `name`, `fullyQualifiedName` `zone/name`,
//! `kind` `resource`) and, because GitHub code scanning needs a physical location, a
//! `physicalLocation` at line 1 of [`SarifOptions::artifact_uri`] (the snapshot file) or, when
//! that is not set (a live account), of `cloudflare/<zone>` (`cloudflare/account` for
//! account-level resources). `partialFingerprints["cfcp/v1"]` is a 64-bit FNV-1a hash of check id
//! and resource id, stable across runs.

use serde_json::{json, Map, Value};

use super::Report;
use crate::invariants::{catalog, Finding, Severity, Status};

/// The `$schema` the log declares.
pub const SARIF_SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of cfcp's partial fingerprint.
pub const FINGERPRINT_KEY: &str = "cfcp/v1";

/// How [`render`] describes the tool and locates results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SarifOptions {
    /// cfcp's version, `tool.driver.semanticVersion` (the CLI passes its `CARGO_PKG_VERSION`).
    pub tool_version: String,
    /// `tool.driver.informationUri`, omitted when `None`.
    pub information_uri: Option<String>,
    /// The file every result points at (the snapshot path, relative to the repository root for
    /// GitHub). `None` (a live account): `cloudflare/<zone>` per result.
    pub artifact_uri: Option<String>,
}

/// GitHub's `security-severity` score for a severity.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// The SARIF `level` of a failure of this severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// 64-bit FNV-1a of `check_id`, a NUL and `resource_id`, as 16 lowercase hex digits. Stable
/// across runs, platforms and cfcp versions (it is part of the output contract).
pub fn fingerprint(check_id: &str, resource_id: &str) -> String {
    let mut input = Vec::with_capacity(check_id.len() + 1 + resource_id.len());
    input.extend_from_slice(check_id.as_bytes());
    input.push(0);
    input.extend_from_slice(resource_id.as_bytes());
    format!("{:016x}", fnv1a64(&input))
}

/// 64-bit FNV-1a.
fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// Where a finding's resource lives, as a path: `zone/name` (just `zone` for the zone itself),
/// `account/name` for account-level resources.
pub(crate) fn qualified_name(finding: &Finding) -> String {
    let r = &finding.resource;
    match r.zone.as_deref() {
        Some(zone) if zone == r.name => zone.to_owned(),
        Some(zone) => format!("{zone}/{}", r.name),
        None => format!("account/{}", r.name),
    }
}

/// The artifact a result points at: the given file, or `cloudflare/<zone>`.
pub(crate) fn artifact_for(finding: &Finding, artifact: Option<&str>) -> String {
    match artifact {
        Some(path) => path.to_owned(),
        None => format!(
            "cloudflare/{}",
            finding.resource.zone.as_deref().unwrap_or("account")
        ),
    }
}

/// `text` as a URI reference: backslashes become slashes, and every byte outside RFC 3986's
/// unreserved, sub-delimiter, `:`, `@`, `/` and `%` characters is percent-encoded.
pub(crate) fn uri_reference(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.replace('\\', "/").bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `ZoneSslStrict` for `zone_ssl_strict`: SARIF's `name` is an identifier-like label.
fn camel(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The waiver text in a muted finding's message (`... [waived until D: reason]`), or a generic
/// justification.
fn justification(message: &str) -> String {
    message
        .rfind("[waived ")
        .map(|start| message[start + 1..].trim_end_matches(']').to_owned())
        .unwrap_or_else(|| "waived by a cfcp waiver".to_owned())
}

fn rule(finding: &Finding) -> Value {
    let check = catalog::get(&finding.check_id);
    let full = match check {
        Some(c) => format!("{} {}", c.description, c.risk),
        None => finding.title.to_string(),
    };
    let r = &finding.remediation;
    // A rule's help is generic: the catalog's templates (`{zone_id}` placeholders) rather than one
    // resource's filled-in snippet.
    let (terraform, api) = match check {
        Some(c) => (c.terraform, c.api),
        None => (r.terraform.as_str(), r.api.as_str()),
    };
    let mut markdown = format!("**{}**\n\n{}\n", finding.title, r.text);
    if !terraform.trim().is_empty() {
        markdown.push_str(&format!(
            "\nTerraform (cloudflare provider v5):\n\n```hcl\n{}\n```\n",
            terraform.trim_end()
        ));
    }
    if !api.trim().is_empty() {
        markdown.push_str(&format!("\nAPI:\n\n```\n{}\n```\n", api.trim_end()));
    }
    let mut tags = vec![Value::from("security")];
    tags.extend(finding.compliance.iter().map(|c| Value::from(&**c)));
    json!({
        "id": finding.check_id,
        "name": camel(&finding.check_id),
        "shortDescription": { "text": finding.title },
        "fullDescription": { "text": full },
        "help": { "text": r.text, "markdown": markdown },
        "defaultConfiguration": { "level": level(finding.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(finding.severity),
            "precision": if check.is_some() { "very-high" } else { "medium" },
            "severity": finding.severity.as_str(),
        }
    })
}

fn result(finding: &Finding, rule_index: usize, options: &SarifOptions) -> Value {
    let r = &finding.resource;
    let uri = uri_reference(&artifact_for(finding, options.artifact_uri.as_deref()));
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(finding.check_id));
    result.insert("ruleIndex".into(), json!(rule_index));
    match finding.status {
        Status::Unknown => {
            result.insert("kind".into(), json!("review"));
            result.insert("level".into(), json!("none"));
        }
        _ => {
            result.insert("level".into(), json!(level(finding.severity)));
        }
    }
    result.insert(
        "message".into(),
        json!({ "text": format!("{} ({} {}): {}", finding.title, r.kind, r.name, finding.message) }),
    );
    result.insert(
        "locations".into(),
        json!([{
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": { "startLine": 1 }
            },
            "logicalLocations": [{
                "name": r.name,
                "fullyQualifiedName": qualified_name(finding),
                "kind": "resource"
            }]
        }]),
    );
    result.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: fingerprint(&finding.check_id, &r.id) }),
    );
    if finding.status == Status::Muted {
        result.insert(
            "suppressions".into(),
            json!([{ "kind": "external", "justification": justification(&finding.message) }]),
        );
    }
    result.insert(
        "properties".into(),
        json!({
            "status": finding.status.as_str(),
            "severity": finding.severity.as_str(),
            "resource": { "type": r.kind, "id": r.id, "name": r.name, "zone": r.zone },
        }),
    );
    Value::Object(result)
}

/// The SARIF log of a report, serialised on demand: the results are built one at a time as they
/// are written, so that [`write`] never holds them all (a large account's log is several times
/// the size of its report).
struct Log<'a> {
    report: &'a Report,
    options: &'a SarifOptions,
    /// One rule per check that appears in the report (PASS included: the rule was applied),
    /// sorted by id; the first finding of a check describes it.
    firsts: Vec<&'a Finding>,
}

impl<'a> Log<'a> {
    fn new(report: &'a Report, options: &'a SarifOptions) -> Self {
        let mut firsts: Vec<&Finding> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for f in &report.findings {
            if seen.insert(&*f.check_id) {
                firsts.push(f);
            }
        }
        firsts.sort_by(|a, b| a.check_id.cmp(&b.check_id));
        Log {
            report,
            options,
            firsts,
        }
    }

    fn driver(&self) -> Value {
        let mut driver = Map::new();
        driver.insert("name".into(), json!("cfcp"));
        if let Some(uri) = &self.options.information_uri {
            driver.insert("informationUri".into(), json!(uri));
        }
        if !self.options.tool_version.is_empty() {
            driver.insert("semanticVersion".into(), json!(self.options.tool_version));
        }
        let rules = self.firsts.iter().map(|f| rule(f)).collect();
        driver.insert("rules".into(), Value::Array(rules));
        Value::Object(driver)
    }
}

/// The `results` array of a [`Log`], produced while it is written.
struct Results<'l, 'a>(&'l Log<'a>);

impl serde::Serialize for Results<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let log = self.0;
        let index_of = |id: &str| {
            log.firsts
                .binary_search_by(|f| (*f.check_id).cmp(id))
                .unwrap_or(0)
        };
        serializer.collect_seq(
            log.report
                .findings
                .iter()
                .filter(|f| f.status != Status::Pass)
                .map(|f| result(f, index_of(&f.check_id), log.options)),
        )
    }
}

/// One run of a [`Log`]: cfcp's tool description, the results, the report's summary.
struct Run<'l, 'a>(&'l Log<'a>);

impl serde::Serialize for Run<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let log = self.0;
        let mut run = serializer.serialize_map(Some(4))?;
        run.serialize_entry("tool", &json!({ "driver": log.driver() }))?;
        run.serialize_entry("results", &Results(log))?;
        run.serialize_entry("columnKind", "unicodeCodePoints")?;
        run.serialize_entry(
            "properties",
            &json!({
                "cfcp/report": log.report.format,
                "summary": log.report.summary,
            }),
        )?;
        run.end()
    }
}

impl serde::Serialize for Log<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut log = serializer.serialize_map(Some(3))?;
        log.serialize_entry("$schema", SARIF_SCHEMA_URI)?;
        log.serialize_entry("version", "2.1.0")?;
        log.serialize_entry("runs", &[Run(self)])?;
        log.end()
    }
}

/// The SARIF log as a JSON value.
pub fn to_value(report: &Report, options: &SarifOptions) -> Value {
    serde_json::to_value(Log::new(report, options)).unwrap_or_default()
}

/// Renders `report` as a SARIF 2.1.0 log (pretty JSON, ends with a newline). Pure.
pub fn render(report: &Report, options: &SarifOptions) -> String {
    let mut text = Vec::new();
    // Writing to a `Vec` cannot fail, and serde_json writes UTF-8.
    let _ = write(report, options, &mut text);
    String::from_utf8(text).unwrap_or_default()
}

/// Writes [`render`]'s text to `out` as it goes, building one result at a time, so that the log
/// of millions of findings is never held in memory.
///
/// ```
/// use cfcp::report::sarif::{self, SarifOptions};
/// let report = cfcp::invariants::run(&cfcp::snapshot::demo(), &Default::default());
/// let options = SarifOptions::default();
/// let mut out = Vec::new();
/// sarif::write(&report, &options, &mut out).unwrap();
/// let log: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(log, sarif::to_value(&report, &options));
/// ```
pub fn write<W: std::io::Write>(
    report: &Report,
    options: &SarifOptions,
    out: W,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut out, &Log::new(report, options))?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{demo, empty, finding, mixed};

    fn options() -> SarifOptions {
        SarifOptions {
            tool_version: "0.1.0".into(),
            information_uri: None,
            artifact_uri: Some("examples/snapshots/demo.json".into()),
        }
    }

    fn results(log: &Value) -> &Vec<Value> {
        log["runs"][0]["results"].as_array().unwrap()
    }

    #[test]
    fn fingerprint_is_fnv1a_and_stable() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
        assert_eq!(fingerprint("", "").len(), 16);
        assert_eq!(
            fingerprint("zone_ssl_strict", "abc"),
            fingerprint("zone_ssl_strict", "abc")
        );
        assert_ne!(fingerprint("ab", "c"), fingerprint("a", "bc"));
        // Pinned: changing the hash would reopen every alert in code scanning.
        assert_eq!(
            fingerprint("zone_ssl_strict", "671c33b0bdcb94de9caf6dfba4345b08"),
            "bbf677e9e80f8b08"
        );
    }

    #[test]
    fn demo_log_has_rules_results_and_locations() {
        let log = to_value(&demo(), &options());
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SARIF_SCHEMA_URI);
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "cfcp");
        assert_eq!(driver["semanticVersion"], "0.1.0");
        let rules = driver["rules"].as_array().unwrap();
        let ssl = rules.iter().find(|r| r["id"] == "zone_ssl_strict").unwrap();
        assert_eq!(ssl["properties"]["security-severity"], "8.0");
        assert_eq!(ssl["defaultConfiguration"]["level"], "error");
        assert!(ssl["help"]["markdown"].as_str().unwrap().contains("```hcl"));
        let tags = ssl["properties"]["tags"].as_array().unwrap();
        assert!(tags.contains(&json!("security")) && tags.contains(&json!("PCI-DSS-4.0.1:4.2.1")));

        let fails = demo().failures().count();
        assert_eq!(
            results(&log).len(),
            demo()
                .findings
                .iter()
                .filter(|f| f.status != Status::Pass)
                .count()
        );
        assert!(fails > 0);
        let r = results(&log)
            .iter()
            .find(|r| {
                r["locations"][0]["logicalLocations"][0]["name"] == "acme-internal.net"
                    && r["ruleId"] == "zone_ssl_strict"
            })
            .unwrap();
        assert_eq!(r["level"], "error");
        assert_eq!(
            rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "zone_ssl_strict"
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "examples/snapshots/demo.json"
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        assert_eq!(r["partialFingerprints"]["cfcp/v1"], "bbf677e9e80f8b08");
    }

    #[test]
    fn statuses_map_to_levels_suppressions_and_review() {
        let log = to_value(&mixed(), &SarifOptions::default());
        let by_rule = |id: &str| {
            results(&log)
                .iter()
                .find(|r| r["ruleId"] == id)
                .unwrap()
                .clone()
        };
        assert_eq!(by_rule("dns_record_no_internal_ip")["level"], "error");
        assert_eq!(by_rule("dns_record_proxied")["level"], "warning");
        let unknown = by_rule("zone_dnssec_enabled");
        assert_eq!(
            (unknown["kind"].clone(), unknown["level"].clone()),
            (json!("review"), json!("none"))
        );
        let muted = by_rule("zone_hsts_enabled");
        assert_eq!(muted["suppressions"][0]["kind"], "external");
        assert_eq!(
            muted["suppressions"][0]["justification"],
            "waived until 2099-01-01: legacy clients"
        );
        // PASS is not a result; a rule that only passed is still described.
        assert_eq!(results(&log).len(), 6);
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len(),
            6
        );
        // Live: per-zone artifacts; account-level resources under cloudflare/account.
        let tunnel = by_rule("tunnel_healthy");
        assert_eq!(
            tunnel["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "cloudflare/account"
        );
        assert_eq!(
            tunnel["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "account/office-tunnel"
        );
        let proxied = by_rule("dns_record_proxied");
        assert_eq!(
            proxied["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "cloudflare/bad.net"
        );
        assert_eq!(
            proxied["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "bad.net/www.bad.net"
        );
        // No informationUri or version when not given.
        assert!(log["runs"][0]["tool"]["driver"]
            .get("informationUri")
            .is_none());
    }

    #[test]
    fn rule_indexes_point_at_their_rules() {
        let log = to_value(&mixed(), &SarifOptions::default());
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        for r in results(&log) {
            assert_eq!(
                rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
                r["ruleId"]
            );
        }
    }

    #[test]
    fn empty_report_is_a_log_with_no_results() {
        let log = to_value(&empty(), &options());
        assert_eq!(results(&log).len(), 0);
        assert_eq!(log["runs"][0]["tool"]["driver"]["rules"], json!([]));
    }

    #[test]
    fn uris_are_encoded_and_text_is_json_escaped() {
        assert_eq!(
            uri_reference("snap shots\\demo.json"),
            "snap%20shots/demo.json"
        );
        assert_eq!(uri_reference("a/b-c_d.json"), "a/b-c_d.json");
        assert_eq!(uri_reference("zé<>\"#?"), "z%C3%A9%3C%3E%22%23%3F");
        let report = Report::new(
            1,
            vec![finding(
                "c",
                Severity::Low,
                Status::Fail,
                Some("z.com"),
                "a\"b\n\x01",
                "m \"q\" \x1b",
            )],
        );
        let text = render(&report, &options());
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            results(&back)[0]["locations"][0]["logicalLocations"][0]["name"],
            "a\"b\n\x01"
        );
    }

    #[test]
    fn camel_case_names() {
        assert_eq!(camel("zone_ssl_strict"), "ZoneSslStrict");
        assert_eq!(camel("zone_tls_1_3_enabled"), "ZoneTls13Enabled");
        assert_eq!(camel(""), "");
    }

    #[test]
    fn deterministic() {
        assert_eq!(render(&demo(), &options()), render(&demo(), &options()));
        assert!(render(&demo(), &options()).ends_with("}\n"));
    }
}
