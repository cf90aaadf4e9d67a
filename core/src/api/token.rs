//! `cfcp verify-token`: who the token is and what it may do.

use serde::Serialize;
use serde_json::Value;

use super::Client;
use crate::error::{Error, Result};
use crate::permissions::{
    analyze_policies, analyze_probes, Mode, PermissionAnalysis, Policy, ProbeOutcome, ProbeResult,
    Section,
};

/// A user token or an account-owned token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "account", rename_all = "snake_case")]
pub enum TokenKind {
    /// `/user/tokens/...`.
    User,
    /// `/accounts/{id}/tokens/...`.
    Account(String),
}

/// Everything `cfcp verify-token` shows. Never holds the token's secret value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenReport {
    /// The token's id.
    pub id: String,
    /// User or account token.
    pub kind: TokenKind,
    /// The token's name, when its details were readable.
    pub name: Option<String>,
    /// `active`, `disabled`, `expired`.
    pub status: Option<String>,
    /// Expiry, when set.
    pub expires_on: Option<String>,
    /// Not valid before, when set.
    pub not_before: Option<String>,
    /// The policies, when the token may read its own details.
    pub policies: Option<Vec<Policy>>,
    /// Why the details could not be read (e.g. `403 Authentication error (code 10000)`); the
    /// analysis then comes from probes.
    pub details_error: Option<String>,
    /// The probes made (empty when the policies were readable).
    pub probes: Vec<ProbeResult>,
    /// What the token can read and change, modes and warnings.
    pub analysis: PermissionAnalysis,
}

fn outcome(result: Result<Value>) -> Result<ProbeOutcome> {
    match result {
        Ok(_) => Ok(ProbeOutcome::Readable),
        Err(e @ Error::Authentication { status: 401, .. }) => Err(e),
        Err(e @ Error::Authentication { .. }) => Ok(ProbeOutcome::Denied(e.gap_reason())),
        Err(e) if e.http_status().is_some() => Ok(ProbeOutcome::Unknown(e.gap_reason())),
        Err(e) => Ok(ProbeOutcome::Unknown(e.to_string())),
    }
}

fn first_id(list: &Value) -> Option<String> {
    list.as_array()?
        .first()?
        .get("id")?
        .as_str()
        .map(str::to_owned)
}

impl Client {
    /// Verifies the token and analyses its permissions for the `intended` modes (empty: the modes
    /// it suffices for). `account_id` selects an account-owned token. When the token may not read
    /// its own details, falls back to [`Client::probe_sections`].
    pub async fn verify_token(
        &self,
        account_id: Option<&str>,
        intended: &[Mode],
    ) -> Result<TokenReport> {
        if !self.inner.credentials.is_token() {
            return Err(Error::Config {
                message: "verify-token needs an API token (CLOUDFLARE_API_TOKEN); a global API key has every permission of its user, which is far more than cfcp needs".to_owned(),
            });
        }
        let status = self.verify(account_id).await?;
        let kind = account_id.map_or(TokenKind::User, |a| TokenKind::Account(a.to_owned()));
        let mut report = TokenReport {
            id: status.id.clone(),
            kind,
            name: None,
            status: status.status.clone(),
            expires_on: status.expires_on.clone(),
            not_before: status.not_before.clone(),
            policies: None,
            details_error: None,
            probes: Vec::new(),
            analysis: analyze_probes(&[], intended),
        };
        match self.token_details(account_id, &status.id).await {
            Ok(details) => {
                report.name = details.name;
                report.status = details.status.or(report.status);
                report.expires_on = details.expires_on.or(report.expires_on);
                report.analysis = analyze_policies(&details.policies, intended);
                report.policies = Some(details.policies);
            }
            Err(e @ Error::Authentication { status: 401, .. }) => return Err(e),
            Err(e @ (Error::Authentication { .. } | Error::NotFound { .. })) => {
                report.details_error = Some(format!(
                    "{}: the token may not read its own details (it needs \"API Tokens Read\"); permissions were probed instead",
                    e.gap_reason()
                ));
                report.probes = self.probe_sections(account_id).await?;
                report.analysis = analyze_probes(&report.probes, intended);
            }
            Err(e) => return Err(e),
        }
        Ok(report)
    }

    /// One cheap GET per permission: which sections the token can read. Uses the first visible
    /// zone and account (or `account_id`).
    pub async fn probe_sections(&self, account_id: Option<&str>) -> Result<Vec<ProbeResult>> {
        let mut probes = Vec::new();
        let five = [("per_page", "5")];
        let zones = self.get_value("/zones", &five).await;
        let zone = zones.as_ref().ok().and_then(first_id);
        let zone_account = zones
            .as_ref()
            .ok()
            .and_then(|z| z.pointer("/0/account/id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        probes.push(ProbeResult {
            section: Section::Zones,
            outcome: outcome(zones)?,
        });
        let accounts = self.get_value("/accounts", &five).await;
        let listed_account = accounts.as_ref().ok().and_then(first_id);
        probes.push(ProbeResult {
            section: Section::Accounts,
            outcome: outcome(accounts)?,
        });

        let zone_sections = [
            (Section::Settings, "settings/ssl", false),
            (Section::DnsRecords, "dns_records", true),
            (Section::Rulesets, "rulesets", false),
            (Section::BotManagement, "bot_management", false),
        ];
        for (section, tail, paged) in zone_sections {
            let outcome = match &zone {
                Some(z) => {
                    let path = format!("/zones/{}/{tail}", super::encode(z));
                    outcome(self.get_value(&path, if paged { &five } else { &[] }).await)?
                }
                None => ProbeOutcome::Unknown("no zone visible to probe with".to_owned()),
            };
            probes.push(ProbeResult { section, outcome });
        }
        let account = account_id
            .map(str::to_owned)
            .or(zone_account)
            .or(listed_account);
        for (section, tail, paged) in [
            (Section::Tunnels, "cfd_tunnel", true),
            (Section::Lists, "rules/lists", false),
        ] {
            let outcome = match &account {
                Some(a) => {
                    let path = format!("/accounts/{}/{tail}", super::encode(a));
                    outcome(self.get_value(&path, if paged { &five } else { &[] }).await)?
                }
                None => ProbeOutcome::Unknown("no account visible to probe with".to_owned()),
            };
            probes.push(ProbeResult { section, outcome });
        }
        Ok(probes)
    }
}
