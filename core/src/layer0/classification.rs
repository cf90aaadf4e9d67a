//! What the classifier says about a request: intent, flags with evidence, and a risk score.
//!
//! These types are the contract between the classifier, the router (which only sees a
//! [`Classification`]) and the audit trail (which stores it as JSON).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A policy condition a request meets. The names are those of `corpus/layer0-policy.md`.
///
/// ```
/// use cfcp::layer0::Flag;
/// assert_eq!(Flag::PromptInjection.as_str(), "prompt_injection");
/// assert_eq!("mass_change".parse::<Flag>(), Ok(Flag::MassChange));
/// assert!(Flag::MassChange.blocks() && !Flag::Destructive.blocks());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Instructions aimed at the agent/model inside a query, an argument string or a tool output.
    PromptInjection,
    /// Asks to reveal, send or embed secrets, carries a secret-looking value, or sends data to
    /// an outside address.
    SecretExfiltration,
    /// A zone outside the allow-list, another account, or a mutation without its edit scope.
    ScopeViolation,
    /// More than 10 records/rules at once, an "all"/wildcard delete, or every WAF rule of a zone.
    MassChange,
    /// Weakens a zone's security (unproxy, SSL off, old TLS, DNSSEC off, WAF rule off, ...).
    SecurityDowngrade,
    /// Deletes one record, rule, tunnel or list.
    Destructive,
    /// A tool that is not one of the 12 cfcp tools.
    UnknownTool,
    /// Missing required fields, wrong types, an expression over 4,096 characters.
    Malformed,
    /// Apex A/AAAA, NS, MX, SPF/DKIM/DMARC TXT, CAA, or tunnel ingress.
    SensitiveRecord,
}

impl Flag {
    /// Every flag, in the order the policy lists them.
    pub const ALL: [Flag; 9] = [
        Flag::PromptInjection,
        Flag::SecretExfiltration,
        Flag::ScopeViolation,
        Flag::MassChange,
        Flag::UnknownTool,
        Flag::Malformed,
        Flag::SecurityDowngrade,
        Flag::Destructive,
        Flag::SensitiveRecord,
    ];

    /// The flag's name as it appears in JSON and in Cedar policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::PromptInjection => "prompt_injection",
            Flag::SecretExfiltration => "secret_exfiltration",
            Flag::ScopeViolation => "scope_violation",
            Flag::MassChange => "mass_change",
            Flag::SecurityDowngrade => "security_downgrade",
            Flag::Destructive => "destructive",
            Flag::UnknownTool => "unknown_tool",
            Flag::Malformed => "malformed",
            Flag::SensitiveRecord => "sensitive_record",
        }
    }

    /// Whether the default policy blocks a request with this flag (the others ask for approval).
    pub fn blocks(self) -> bool {
        !matches!(
            self,
            Flag::SecurityDowngrade | Flag::Destructive | Flag::SensitiveRecord
        )
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Flag {
    type Err = String;
    fn from_str(s: &str) -> Result<Flag, String> {
        Flag::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown flag {s:?}"))
    }
}

/// What the request would do to the account.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Reads only (including dry runs, validation, simulation, analysis).
    #[default]
    Read,
    /// Creates or changes something.
    Mutate,
    /// Deletes something.
    Destroy,
}

impl Intent {
    /// The intent's name as it appears in JSON and in Cedar policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Read => "read",
            Intent::Mutate => "mutate",
            Intent::Destroy => "destroy",
        }
    }
}

/// A byte range `[start, end)` within the string named by [`Evidence::location`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// Why a flag was raised: which rule saw what, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The flag this evidence supports.
    pub flag: Flag,
    /// The detector rule's stable id, e.g. `injection.override_instructions` or
    /// `dns.unproxy_serving_record`.
    pub rule: Cow<'static, str>,
    /// Where: `text` for a query or tool output, or a path into the arguments such as
    /// `arguments.record.content`; `tool` for the tool name, `context` for the context.
    pub location: String,
    /// The byte range in that string, when the evidence is a piece of text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// A human-readable explanation (never the secret itself: secrets are shown masked).
    pub detail: String,
}

/// The classifier's verdict on one request. Plain data: the router decides on it alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Classification {
    /// Read, mutate or destroy.
    pub intent: Intent,
    /// Every policy condition the request meets (not only the one that decides its route).
    pub flags: BTreeSet<Flag>,
    /// 0 (harmless) to 100 (certainly harmful); monotone in the flags.
    pub risk: u8,
    /// One or more entries per flag.
    pub evidence: Vec<Evidence>,
    /// The tool, for tool calls and tool outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The tool's `action` argument (`create`, `delete`, ...) or, for a query, the action the
    /// text asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The zone the request is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// `dry_run: true`, or a query that asks only for a plan or an explanation.
    #[serde(default)]
    pub dry_run: bool,
    /// `threat_intel_integrate`'s `mode` (`propose` or `apply`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

impl Classification {
    /// Adds a flag with its evidence.
    pub fn flag(&mut self, evidence: Evidence) {
        self.flags.insert(evidence.flag);
        self.evidence.push(evidence);
    }

    /// Whether the flag is raised.
    pub fn has(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }
}

/// What may happen to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Execute it.
    Allow,
    /// A human must approve it first.
    Approve,
    /// Refuse it (for a tool output: quarantine the content).
    Block,
}

impl Route {
    /// Every route, mildest first.
    pub const ALL: [Route; 3] = [Route::Allow, Route::Approve, Route::Block];

    /// The route's name as it appears in JSON and in the corpus.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Allow => "allow",
            Route::Approve => "approve",
            Route::Block => "block",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Route {
    type Err = String;
    fn from_str(s: &str) -> Result<Route, String> {
        Route::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown route {s:?} (expected allow, approve or block)"))
    }
}
