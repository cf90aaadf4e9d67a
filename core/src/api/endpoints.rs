//! Typed endpoint methods. Each returns the snapshot model's types where it has one, else
//! `serde_json::Value`; request bodies use Cloudflare's field names (checked against the
//! OpenAPI request schemas).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::pagination::per_page;
use super::{encode, with_query, Call, Client};
use crate::error::Result;
use crate::permissions::TokenDetails;
use crate::snapshot::{
    Account, BotManagement, DnsRecord, Dnssec, ListItem, Phase, RulesList, Ruleset, Tunnel,
    TunnelConfiguration, TunnelConnector, Zone, ZoneSetting,
};

/// `GET /user/tokens/verify` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenStatus {
    /// The token's id (not the secret).
    pub id: String,
    /// `active`, `disabled`, `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// Expiry, when set.
    #[serde(default)]
    pub expires_on: Option<String>,
    /// Not valid before, when set.
    #[serde(default)]
    pub not_before: Option<String>,
    /// Other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Filters for `GET /zones`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneFilter {
    /// Exact zone name.
    pub name: Option<String>,
    /// Owning account id.
    pub account_id: Option<String>,
}

/// `POST /zones/{id}/dns_records/batch` body: executed as deletes, patches, puts, posts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DnsBatch {
    /// Records to delete: `{"id": …}` objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletes: Vec<Value>,
    /// Partial updates (each with `id`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Value>,
    /// Full overwrites (each with `id`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub puts: Vec<Value>,
    /// New records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub posts: Vec<Value>,
}

impl DnsBatch {
    /// Adds a delete of record `id`.
    pub fn delete(mut self, id: impl Into<String>) -> Self {
        self.deletes.push(serde_json::json!({ "id": id.into() }));
        self
    }
}

/// `POST /zones/{id}/dns_records/batch` result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DnsBatchResult {
    /// Deleted records.
    #[serde(default)]
    pub deletes: Vec<DnsRecord>,
    /// Patched records.
    #[serde(default)]
    pub patches: Vec<DnsRecord>,
    /// Overwritten records.
    #[serde(default)]
    pub puts: Vec<DnsRecord>,
    /// Created records.
    #[serde(default)]
    pub posts: Vec<DnsRecord>,
}

fn zone_path(zone_id: &str) -> String {
    format!("/zones/{}", encode(zone_id))
}

fn account_path(account_id: &str) -> String {
    format!("/accounts/{}", encode(account_id))
}

impl Client {
    // ---- tokens ------------------------------------------------------------------------------

    /// `GET /user/tokens/verify`, or `/accounts/{id}/tokens/verify` for an account token.
    pub async fn verify(&self, account_id: Option<&str>) -> Result<TokenStatus> {
        let path = match account_id {
            Some(a) => format!("{}/tokens/verify", account_path(a)),
            None => "/user/tokens/verify".to_owned(),
        };
        self.result(Call::get(path)).await
    }

    /// `GET /user/tokens/{id}` (or `/accounts/{account}/tokens/{id}`): the token's policies.
    pub async fn token_details(
        &self,
        account_id: Option<&str>,
        token_id: &str,
    ) -> Result<TokenDetails> {
        let path = match account_id {
            Some(a) => format!("{}/tokens/{}", account_path(a), encode(token_id)),
            None => format!("/user/tokens/{}", encode(token_id)),
        };
        self.result(Call::get(path)).await
    }

    // ---- accounts ----------------------------------------------------------------------------

    /// `GET /accounts`, every page (50 per page).
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        self.pages("/accounts", &[], per_page::ACCOUNTS).await
    }

    /// `GET /accounts/{id}`.
    pub async fn account(&self, account_id: &str) -> Result<Account> {
        self.result(Call::get(account_path(account_id))).await
    }

    // ---- zones -------------------------------------------------------------------------------

    /// `GET /zones`, every page (50 per page), optionally by exact name and/or account.
    pub async fn zones(&self, filter: &ZoneFilter) -> Result<Vec<Zone>> {
        let mut query = Vec::new();
        if let Some(name) = &filter.name {
            query.push(("name", name.as_str()));
        }
        if let Some(account) = &filter.account_id {
            query.push(("account.id", account.as_str()));
        }
        self.pages("/zones", &query, per_page::ZONES).await
    }

    /// `GET /zones/{id}`.
    pub async fn zone(&self, zone_id: &str) -> Result<Zone> {
        self.result(Call::get(zone_path(zone_id))).await
    }

    // ---- zone settings -----------------------------------------------------------------------

    /// `GET /zones/{id}/settings`: every setting in one request.
    pub async fn zone_settings(&self, zone_id: &str) -> Result<Vec<ZoneSetting>> {
        self.result(Call::get(format!("{}/settings", zone_path(zone_id))))
            .await
    }

    /// `GET /zones/{id}/settings/{setting}`.
    pub async fn zone_setting(&self, zone_id: &str, setting_id: &str) -> Result<ZoneSetting> {
        self.result(Call::get(format!(
            "{}/settings/{}",
            zone_path(zone_id),
            encode(setting_id)
        )))
        .await
    }

    /// `PATCH /zones/{id}/settings/{setting}` with `{"value": …}`.
    pub async fn patch_zone_setting(
        &self,
        zone_id: &str,
        setting_id: &str,
        value: &Value,
    ) -> Result<ZoneSetting> {
        let path = format!("{}/settings/{}", zone_path(zone_id), encode(setting_id));
        let body = serde_json::json!({ "value": value });
        self.result(Call::with_body(Method::PATCH, path, &body)?)
            .await
    }

    // ---- DNS records -------------------------------------------------------------------------

    /// `GET /zones/{id}/dns_records`, every page (5,000 per page).
    pub async fn dns_records(&self, zone_id: &str) -> Result<Vec<DnsRecord>> {
        self.pages(
            &format!("{}/dns_records", zone_path(zone_id)),
            &[],
            per_page::DNS_RECORDS,
        )
        .await
    }

    /// `GET /zones/{id}/dns_records/{record}`.
    pub async fn dns_record(&self, zone_id: &str, record_id: &str) -> Result<DnsRecord> {
        self.result(Call::get(format!(
            "{}/dns_records/{}",
            zone_path(zone_id),
            encode(record_id)
        )))
        .await
    }

    /// `POST /zones/{id}/dns_records` (not retried unless it provably did not arrive, or got 429).
    pub async fn create_dns_record(
        &self,
        zone_id: &str,
        record: &(impl Serialize + ?Sized),
    ) -> Result<DnsRecord> {
        let path = format!("{}/dns_records", zone_path(zone_id));
        self.result(Call::with_body(Method::POST, path, record)?)
            .await
    }

    /// `PUT /zones/{id}/dns_records/{record}`: overwrite.
    pub async fn put_dns_record(
        &self,
        zone_id: &str,
        record_id: &str,
        record: &(impl Serialize + ?Sized),
    ) -> Result<DnsRecord> {
        let path = format!("{}/dns_records/{}", zone_path(zone_id), encode(record_id));
        self.result(Call::with_body(Method::PUT, path, record)?)
            .await
    }

    /// `PATCH /zones/{id}/dns_records/{record}`: partial update.
    pub async fn patch_dns_record(
        &self,
        zone_id: &str,
        record_id: &str,
        changes: &(impl Serialize + ?Sized),
    ) -> Result<DnsRecord> {
        let path = format!("{}/dns_records/{}", zone_path(zone_id), encode(record_id));
        self.result(Call::with_body(Method::PATCH, path, changes)?)
            .await
    }

    /// `DELETE /zones/{id}/dns_records/{record}`; returns `{"id": …}`.
    pub async fn delete_dns_record(&self, zone_id: &str, record_id: &str) -> Result<Value> {
        let path = format!("{}/dns_records/{}", zone_path(zone_id), encode(record_id));
        let call = Call {
            method: Method::DELETE,
            path,
            body: None,
            idempotent: true,
        };
        Ok(self
            .envelope::<Value>(call)
            .await?
            .result
            .unwrap_or(Value::Null))
    }

    /// `POST /zones/{id}/dns_records/batch` with `{deletes, patches, puts, posts}`.
    pub async fn batch_dns_records(
        &self,
        zone_id: &str,
        batch: &DnsBatch,
    ) -> Result<DnsBatchResult> {
        let path = format!("{}/dns_records/batch", zone_path(zone_id));
        self.result(Call::with_body(Method::POST, path, batch)?)
            .await
    }

    // ---- DNSSEC ------------------------------------------------------------------------------

    /// `GET /zones/{id}/dnssec`.
    pub async fn dnssec(&self, zone_id: &str) -> Result<Dnssec> {
        self.result(Call::get(format!("{}/dnssec", zone_path(zone_id))))
            .await
    }

    /// `PATCH /zones/{id}/dnssec` (`{"status": "active" | "disabled", …}`).
    pub async fn patch_dnssec(
        &self,
        zone_id: &str,
        changes: &(impl Serialize + ?Sized),
    ) -> Result<Dnssec> {
        let path = format!("{}/dnssec", zone_path(zone_id));
        self.result(Call::with_body(Method::PATCH, path, changes)?)
            .await
    }

    // ---- rulesets ----------------------------------------------------------------------------

    /// `GET /zones/{id}/rulesets` (cursor pages): every ruleset visible in the zone, without rules.
    pub async fn rulesets(&self, zone_id: &str) -> Result<Vec<Ruleset>> {
        self.cursor_pages(&format!("{}/rulesets", zone_path(zone_id)), None)
            .await
    }

    /// `GET /zones/{id}/rulesets/{ruleset}`: one ruleset with its rules.
    pub async fn ruleset(&self, zone_id: &str, ruleset_id: &str) -> Result<Ruleset> {
        self.result(Call::get(format!(
            "{}/rulesets/{}",
            zone_path(zone_id),
            encode(ruleset_id)
        )))
        .await
    }

    /// `GET /zones/{id}/rulesets/phases/{phase}/entrypoint`.
    pub async fn phase_entrypoint(&self, zone_id: &str, phase: &Phase) -> Result<Ruleset> {
        let path = format!(
            "{}/rulesets/phases/{}/entrypoint",
            zone_path(zone_id),
            encode(phase.as_str())
        );
        self.result(Call::get(path)).await
    }

    /// `PUT /zones/{id}/rulesets/phases/{phase}/entrypoint` with `{rules, description?, name?}`.
    pub async fn put_phase_entrypoint(
        &self,
        zone_id: &str,
        phase: &Phase,
        ruleset: &(impl Serialize + ?Sized),
    ) -> Result<Ruleset> {
        let path = format!(
            "{}/rulesets/phases/{}/entrypoint",
            zone_path(zone_id),
            encode(phase.as_str())
        );
        self.result(Call::with_body(Method::PUT, path, ruleset)?)
            .await
    }

    /// `POST /zones/{id}/rulesets/{ruleset}/rules`: appends a rule; returns the whole ruleset.
    pub async fn create_rule(
        &self,
        zone_id: &str,
        ruleset_id: &str,
        rule: &(impl Serialize + ?Sized),
    ) -> Result<Ruleset> {
        let path = format!(
            "{}/rulesets/{}/rules",
            zone_path(zone_id),
            encode(ruleset_id)
        );
        self.result(Call::with_body(Method::POST, path, rule)?)
            .await
    }

    /// `PATCH /zones/{id}/rulesets/{ruleset}/rules/{rule}`; returns the whole ruleset.
    pub async fn update_rule(
        &self,
        zone_id: &str,
        ruleset_id: &str,
        rule_id: &str,
        rule: &(impl Serialize + ?Sized),
    ) -> Result<Ruleset> {
        let path = format!(
            "{}/rulesets/{}/rules/{}",
            zone_path(zone_id),
            encode(ruleset_id),
            encode(rule_id)
        );
        self.result(Call::with_body(Method::PATCH, path, rule)?)
            .await
    }

    /// `DELETE /zones/{id}/rulesets/{ruleset}/rules/{rule}`; returns the whole ruleset.
    pub async fn delete_rule(
        &self,
        zone_id: &str,
        ruleset_id: &str,
        rule_id: &str,
    ) -> Result<Ruleset> {
        let path = format!(
            "{}/rulesets/{}/rules/{}",
            zone_path(zone_id),
            encode(ruleset_id),
            encode(rule_id)
        );
        let call = Call {
            method: Method::DELETE,
            path,
            body: None,
            idempotent: true,
        };
        self.result(call).await
    }

    // ---- Cloudflare Tunnel -------------------------------------------------------------------

    /// `GET /accounts/{id}/cfd_tunnel`, every page (1,000 per page); deleted tunnels included.
    pub async fn tunnels(&self, account_id: &str) -> Result<Vec<Tunnel>> {
        self.pages(
            &format!("{}/cfd_tunnel", account_path(account_id)),
            &[],
            per_page::TUNNELS,
        )
        .await
    }

    /// `GET /accounts/{id}/cfd_tunnel/{tunnel}`.
    pub async fn tunnel(&self, account_id: &str, tunnel_id: &str) -> Result<Tunnel> {
        self.result(Call::get(format!(
            "{}/cfd_tunnel/{}",
            account_path(account_id),
            encode(tunnel_id)
        )))
        .await
    }

    /// `GET /accounts/{id}/cfd_tunnel/{tunnel}/configurations`.
    pub async fn tunnel_configuration(
        &self,
        account_id: &str,
        tunnel_id: &str,
    ) -> Result<TunnelConfiguration> {
        let path = format!(
            "{}/cfd_tunnel/{}/configurations",
            account_path(account_id),
            encode(tunnel_id)
        );
        self.result(Call::get(path)).await
    }

    /// `PUT /accounts/{id}/cfd_tunnel/{tunnel}/configurations` with `{"config": …}`.
    pub async fn put_tunnel_configuration(
        &self,
        account_id: &str,
        tunnel_id: &str,
        config: &(impl Serialize + ?Sized),
    ) -> Result<TunnelConfiguration> {
        let path = format!(
            "{}/cfd_tunnel/{}/configurations",
            account_path(account_id),
            encode(tunnel_id)
        );
        let body = serde_json::json!({ "config": config });
        self.result(Call::with_body(Method::PUT, path, &body)?)
            .await
    }

    /// `GET /accounts/{id}/cfd_tunnel/{tunnel}/connections`: the connectors.
    pub async fn tunnel_connections(
        &self,
        account_id: &str,
        tunnel_id: &str,
    ) -> Result<Vec<TunnelConnector>> {
        let path = format!(
            "{}/cfd_tunnel/{}/connections",
            account_path(account_id),
            encode(tunnel_id)
        );
        Ok(self
            .envelope::<Vec<TunnelConnector>>(Call::get(path))
            .await?
            .result
            .unwrap_or_default())
    }

    // ---- bot management ----------------------------------------------------------------------

    /// `GET /zones/{id}/bot_management`.
    pub async fn bot_management(&self, zone_id: &str) -> Result<BotManagement> {
        self.result(Call::get(format!("{}/bot_management", zone_path(zone_id))))
            .await
    }

    /// `PUT /zones/{id}/bot_management` (`{"fight_mode": true, "enable_js": true, …}`).
    pub async fn put_bot_management(
        &self,
        zone_id: &str,
        config: &(impl Serialize + ?Sized),
    ) -> Result<BotManagement> {
        let path = format!("{}/bot_management", zone_path(zone_id));
        self.result(Call::with_body(Method::PUT, path, config)?)
            .await
    }

    // ---- rules lists -------------------------------------------------------------------------

    /// `GET /accounts/{id}/rules/lists`.
    pub async fn lists(&self, account_id: &str) -> Result<Vec<RulesList>> {
        let path = format!("{}/rules/lists", account_path(account_id));
        Ok(self
            .envelope::<Vec<RulesList>>(Call::get(path))
            .await?
            .result
            .unwrap_or_default())
    }

    /// `GET /accounts/{id}/rules/lists/{list}/items`, every cursor page (500 per page).
    pub async fn list_items(&self, account_id: &str, list_id: &str) -> Result<Vec<ListItem>> {
        let path = format!(
            "{}/rules/lists/{}/items",
            account_path(account_id),
            encode(list_id)
        );
        self.cursor_pages(&path, Some(per_page::LIST_ITEMS)).await
    }

    /// A raw GET of any path below the base URL (for endpoints without a typed method);
    /// returns the envelope's `result` (or `null`).
    pub async fn get_value(&self, path: &str, query: &[(&str, &str)]) -> Result<Value> {
        let q: Vec<(&str, String)> = query.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        let envelope = self
            .envelope::<Value>(Call::get(with_query(path, &q)))
            .await?;
        Ok(envelope.result.unwrap_or(Value::Null))
    }
}

// ---- Cloudflare Tunnel credentials (`cfcp tunnel rotate`) ----------------------------------------

impl Client {
    /// `PATCH /accounts/{id}/cfd_tunnel/{tunnel}` with `{"tunnel_secret": …}`: replaces the
    /// tunnel's secret. Connectors started with the old token can no longer connect. The secret
    /// is only in the request body, never in an error.
    ///
    /// ```no_run
    /// # async fn demo(client: cfcp::api::Client) -> cfcp::Result<()> {
    /// let secret = cfcp::tunnel::TunnelSecret::from_bytes(&[0u8; 32]); // use the OS random source
    /// client.rotate_tunnel_secret("account-id", "tunnel-uuid", &secret).await?;
    /// # Ok(()) }
    /// ```
    pub async fn rotate_tunnel_secret(
        &self,
        account_id: &str,
        tunnel_id: &str,
        secret: &crate::tunnel::TunnelSecret,
    ) -> Result<Tunnel> {
        let path = format!(
            "{}/cfd_tunnel/{}",
            account_path(account_id),
            encode(tunnel_id)
        );
        let body = serde_json::json!({ "tunnel_secret": secret.expose() });
        self.result(Call::with_body(Method::PATCH, path, &body)?)
            .await
    }

    /// `GET /accounts/{id}/cfd_tunnel/{tunnel}/token`: the connector token
    /// (`cloudflared tunnel run --token …`), as a secret type.
    ///
    /// ```no_run
    /// # async fn demo(client: cfcp::api::Client) -> cfcp::Result<()> {
    /// let token = client.tunnel_token("account-id", "tunnel-uuid").await?;
    /// assert_eq!(format!("{token:?}"), "***");
    /// # Ok(()) }
    /// ```
    pub async fn tunnel_token(
        &self,
        account_id: &str,
        tunnel_id: &str,
    ) -> Result<crate::tunnel::ConnectorToken> {
        let path = format!(
            "{}/cfd_tunnel/{}/token",
            account_path(account_id),
            encode(tunnel_id)
        );
        let token: String = self.result(Call::get(path)).await?;
        Ok(crate::tunnel::ConnectorToken::new(token))
    }
}
