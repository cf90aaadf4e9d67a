//! [`Client::snapshot`]: read whole accounts and zones with the fewest requests possible.
//!
//! Requests made, and nothing more ([`minimum_requests`] computes the count):
//! * `GET /accounts` (pages of 50), and `GET /zones` (pages of 50) or `GET /zones?name=` once per
//!   named zone, or `GET /zones?account.id=` (pages) per named account;
//! * per zone: bulk settings (1), DNS records (pages of 5,000), DNSSEC (1), the rulesets list
//!   (cursor pages), one phase-entrypoint GET per ruleset of kind `zone` in that list, and bot
//!   management (1);
//! * per account: tunnels (pages of 1,000), then per tunnel not deleted its configuration (only
//!   when `remote_config` is true) and its connections (1); rules lists (1), then each list's
//!   items (cursor pages of 500).
//!
//! Everything runs concurrently within the client's limiter; output order is the API's order.
//! A section answering 403 becomes a [`Gap`] (its value stays empty or null) and the snapshot
//! completes; so does a 404 on DNSSEC or bot management (plans without them). Any other
//! persistent failure fails the snapshot with an error naming the zone or account and section.

use futures_util::future::{join, try_join, try_join_all};
use serde_json::{Map, Value};

use super::pagination::{pages_needed, per_page};
use super::{Client, ZoneFilter};
use crate::error::{ApiContext, ApiMessage, Error, Result};
use crate::permissions::Section;
use crate::snapshot::{
    Account, AccountSnapshot, Field, Gap, ListSnapshot, RulesetKind, Snapshot, Source, SourceKind,
    Timestamp, Tunnel, TunnelSnapshot, Zone, ZoneSnapshot,
};

/// What to snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotScope {
    /// Zone names; empty means every zone visible (of the named accounts, if any).
    pub zones: Vec<String>,
    /// Account ids; empty means every account visible or, when zones are named, the accounts
    /// owning them.
    pub accounts: Vec<String>,
}

impl SnapshotScope {
    /// Everything the token can see.
    pub fn all() -> Self {
        SnapshotScope::default()
    }
}

/// Progress callbacks for a snapshot (the CLI drives a progress bar with them). Every method
/// has a no-op default.
pub trait SnapshotProgress: Send + Sync {
    /// The zones to read are known.
    fn zones_found(&self, _count: usize) {}
    /// The accounts to read are known.
    fn accounts_found(&self, _count: usize) {}
    /// A zone is complete.
    fn zone_done(&self, _name: &str) {}
    /// An account is complete.
    fn account_done(&self, _id: &str) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl SnapshotProgress for NoProgress {}

/// A section's value, or the gap recorded instead.
type Read<T> = std::result::Result<T, Gap>;

fn is_gap(error: &Error, not_found_is_gap: bool) -> bool {
    match error {
        // Wrong credentials altogether are an error, not a gap: a snapshot made only of gaps would
        // pass for an empty account.
        Error::Authentication { .. } => !error.is_credential_failure(),
        Error::NotFound { .. } => not_found_is_gap,
        _ => false,
    }
}

/// Turns a permission failure into a gap, and names zone/account/section on other errors.
fn absorb<T>(
    result: Result<T>,
    zone: Option<&str>,
    account: Option<&str>,
    section: Section,
    not_found_is_gap: bool,
) -> Result<Read<T>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(e) if is_gap(&e, not_found_is_gap) => Ok(Err(Gap {
            zone: zone.map(str::to_owned),
            account: account.map(str::to_owned),
            section: section.as_str().to_owned(),
            reason: e.gap_reason(),
        })),
        Err(e) => Err(e.in_section(zone, account, section.as_str())),
    }
}

fn split<T>(read: Read<T>, gaps: &mut Vec<Gap>) -> Option<T> {
    match read {
        Ok(value) => Some(value),
        Err(gap) => {
            gaps.push(gap);
            None
        }
    }
}

fn not_visible(
    path: String,
    zone: Option<&str>,
    account: Option<&str>,
    section: Section,
    what: String,
) -> Error {
    Error::NotFound {
        status: 200,
        errors: vec![ApiMessage {
            code: 0,
            message: what,
        }],
        context: Box::new(ApiContext {
            method: "GET".to_owned(),
            path,
            zone: zone.map(str::to_owned),
            account: account.map(str::to_owned),
            section: Some(section.as_str().to_owned()),
        }),
    }
}

/// True when the tunnel is configured from the dashboard/API (has a remote configuration).
pub(crate) fn has_remote_config(tunnel: &Tunnel) -> bool {
    tunnel
        .extra
        .get("remote_config")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || tunnel.extra.get("config_src").and_then(Value::as_str) == Some("cloudflare")
}

fn zone_owner(zone: &Zone) -> Option<Account> {
    let owner = zone.account.get()?;
    let id = owner.id.get()?.clone();
    Some(Account {
        id,
        name: owner.name.clone(),
        extra: Map::new(),
    })
}

impl Client {
    /// Takes a snapshot of `scope` at `taken_at` (the caller's clock; core reads none).
    pub async fn snapshot(
        &self,
        scope: &SnapshotScope,
        taken_at: Timestamp,
        progress: &dyn SnapshotProgress,
    ) -> Result<Snapshot> {
        let source = Source {
            kind: SourceKind::Api,
            detail: Field::Value(self.base_url().to_owned()),
            extra: Map::new(),
        };
        let mut snapshot = Snapshot::new(taken_at, source);
        let mut gaps = Vec::new();

        let accounts_read =
            async { absorb(self.accounts().await, None, None, Section::Accounts, false) };
        let (visible, zones) = join(accounts_read, self.scope_zones(scope)).await;
        let (zones, zone_gaps) = zones?;
        let accounts = self.select_accounts(scope, visible?, &zones, &mut gaps)?;
        gaps.extend(zone_gaps);
        progress.zones_found(zones.len());
        progress.accounts_found(accounts.len());

        let zone_reads = try_join_all(
            zones
                .into_iter()
                .map(|zone| self.zone_snapshot(zone, progress)),
        );
        let account_reads = try_join_all(
            accounts
                .into_iter()
                .map(|account| self.account_snapshot(account, progress)),
        );
        let (zone_results, account_results) = try_join(zone_reads, account_reads).await?;
        for (zone, zone_gaps) in zone_results {
            snapshot.zones.push(zone);
            gaps.extend(zone_gaps);
        }
        for (account, account_gaps) in account_results {
            snapshot.accounts.push(account);
            gaps.extend(account_gaps);
        }
        snapshot.gaps = gaps;
        Ok(snapshot)
    }

    /// The zones in scope, in API order (or the order the names were given).
    async fn scope_zones(&self, scope: &SnapshotScope) -> Result<(Vec<Zone>, Vec<Gap>)> {
        let mut gaps = Vec::new();
        let mut zones = Vec::new();
        if !scope.zones.is_empty() {
            let reads = try_join_all(scope.zones.iter().map(|name| async move {
                let filter = ZoneFilter { name: Some(name.clone()), account_id: None };
                let read = absorb(self.zones(&filter).await, Some(name), None, Section::Zones, false)?;
                match read {
                    Ok(found) => {
                        let pick = found
                            .iter()
                            .position(|z| z.name.eq_ignore_ascii_case(name))
                            .or(if found.is_empty() { None } else { Some(0) });
                        match pick {
                            Some(i) => Ok(Ok(found.into_iter().nth(i))),
                            None => Err(not_visible(
                                format!("/zones?name={}", super::encode(name)),
                                Some(name),
                                None,
                                Section::Zones,
                                format!("no zone named {name} is visible to this token; check the name and the token's zone resources"),
                            )),
                        }
                    }
                    Err(gap) => Ok(Err(gap)),
                }
            }))
            .await?;
            for read in reads {
                if let Some(Some(zone)) = split(read, &mut gaps) {
                    zones.push(zone);
                }
            }
        } else if !scope.accounts.is_empty() {
            let reads = try_join_all(scope.accounts.iter().map(|account| async move {
                let filter = ZoneFilter {
                    name: None,
                    account_id: Some(account.clone()),
                };
                absorb(
                    self.zones(&filter).await,
                    None,
                    Some(account),
                    Section::Zones,
                    false,
                )
            }))
            .await?;
            for read in reads {
                zones.extend(split(read, &mut gaps).unwrap_or_default());
            }
        } else {
            let read = absorb(
                self.zones(&ZoneFilter::default()).await,
                None,
                None,
                Section::Zones,
                false,
            )?;
            zones = split(read, &mut gaps).unwrap_or_default();
        }
        Ok((zones, gaps))
    }

    fn select_accounts(
        &self,
        scope: &SnapshotScope,
        visible: Read<Vec<Account>>,
        zones: &[Zone],
        gaps: &mut Vec<Gap>,
    ) -> Result<Vec<Account>> {
        let owners: Vec<Account> = {
            let mut owners: Vec<Account> = Vec::new();
            for owner in zones.iter().filter_map(zone_owner) {
                if !owners.iter().any(|o| o.id == owner.id) {
                    owners.push(owner);
                }
            }
            owners
        };
        let bare = |id: &str| Account {
            id: id.to_owned(),
            name: Field::Absent,
            extra: Map::new(),
        };
        match visible {
            Ok(list) => {
                if !scope.accounts.is_empty() {
                    scope
                        .accounts
                        .iter()
                        .map(|id| {
                            list.iter().find(|a| a.id == *id).cloned().ok_or_else(|| {
                                not_visible(
                                    "/accounts".to_owned(),
                                    None,
                                    Some(id),
                                    Section::Accounts,
                                    format!("account {id} is not visible to this token; check the id and the token's account resources"),
                                )
                            })
                        })
                        .collect()
                } else if !scope.zones.is_empty() {
                    let mut selected: Vec<Account> = list
                        .iter()
                        .filter(|a| owners.iter().any(|o| o.id == a.id))
                        .cloned()
                        .collect();
                    for owner in owners {
                        if !selected.iter().any(|a| a.id == owner.id) {
                            selected.push(owner);
                        }
                    }
                    Ok(selected)
                } else {
                    Ok(list)
                }
            }
            Err(gap) => {
                gaps.push(gap);
                if !scope.accounts.is_empty() {
                    Ok(scope.accounts.iter().map(|id| bare(id)).collect())
                } else {
                    Ok(owners)
                }
            }
        }
    }

    async fn zone_snapshot(
        &self,
        zone: Zone,
        progress: &dyn SnapshotProgress,
    ) -> Result<(ZoneSnapshot, Vec<Gap>)> {
        let name = Some(zone.name.as_str());
        let id = zone.id.as_str();
        let settings = async {
            absorb(
                self.zone_settings(id).await,
                name,
                None,
                Section::Settings,
                false,
            )
        };
        let dns = async {
            absorb(
                self.dns_records(id).await,
                name,
                None,
                Section::DnsRecords,
                false,
            )
        };
        let dnssec = async { absorb(self.dnssec(id).await, name, None, Section::Dnssec, true) };
        let rulesets = async {
            absorb(
                self.zone_entrypoints(id).await,
                name,
                None,
                Section::Rulesets,
                false,
            )
        };
        let bots = async {
            absorb(
                self.bot_management(id).await,
                name,
                None,
                Section::BotManagement,
                true,
            )
        };
        let (settings, dns, dnssec, rulesets, bots) =
            tokio::try_join!(settings, dns, dnssec, rulesets, bots)?;
        let mut gaps = Vec::new();
        let snapshot = ZoneSnapshot {
            settings: split(settings, &mut gaps).unwrap_or_default(),
            dns_records: split(dns, &mut gaps).unwrap_or_default(),
            dnssec: split(dnssec, &mut gaps),
            rulesets: split(rulesets, &mut gaps).unwrap_or_default(),
            bot_management: split(bots, &mut gaps),
            extra: Map::new(),
            zone,
        };
        progress.zone_done(&snapshot.zone.name);
        Ok((snapshot, gaps))
    }

    /// The zone's phase entrypoints: the rulesets list, then one GET per ruleset of kind `zone`.
    async fn zone_entrypoints(&self, zone_id: &str) -> Result<Vec<crate::snapshot::Ruleset>> {
        let listed = self.rulesets(zone_id).await?;
        let phases: Vec<_> = listed
            .into_iter()
            .filter(|r| r.kind.get() == Some(&RulesetKind::Zone))
            .filter_map(|r| r.phase.get().cloned())
            .collect();
        try_join_all(
            phases
                .iter()
                .map(|phase| self.phase_entrypoint(zone_id, phase)),
        )
        .await
    }

    async fn account_snapshot(
        &self,
        account: Account,
        progress: &dyn SnapshotProgress,
    ) -> Result<(AccountSnapshot, Vec<Gap>)> {
        let id = account.id.as_str();
        let tunnels = async {
            let read = absorb(
                self.tunnels(id).await,
                None,
                Some(id),
                Section::Tunnels,
                false,
            )?;
            match read {
                Ok(tunnels) => {
                    let all =
                        try_join_all(tunnels.into_iter().map(|t| self.tunnel_snapshot(id, t)))
                            .await?;
                    Ok::<_, Error>(Ok(all))
                }
                Err(gap) => Ok(Err(gap)),
            }
        };
        let lists = async {
            let read = absorb(self.lists(id).await, None, Some(id), Section::Lists, false)?;
            match read {
                Ok(lists) => {
                    let all = try_join_all(lists.into_iter().map(|list| async move {
                        let items = absorb(
                            self.list_items(id, &list.id).await,
                            None,
                            Some(id),
                            Section::ListItems,
                            false,
                        )?;
                        Ok::<_, Error>((list, items))
                    }))
                    .await?;
                    Ok::<_, Error>(Ok(all))
                }
                Err(gap) => Ok(Err(gap)),
            }
        };
        let (tunnels, lists) = try_join(tunnels, lists).await?;
        let mut gaps = Vec::new();
        let mut snapshot = AccountSnapshot {
            account,
            tunnels: Vec::new(),
            lists: Vec::new(),
            extra: Map::new(),
        };
        for (tunnel, tunnel_gaps) in split(tunnels, &mut gaps).unwrap_or_default() {
            snapshot.tunnels.push(tunnel);
            gaps.extend(tunnel_gaps);
        }
        for (list, items) in split(lists, &mut gaps).unwrap_or_default() {
            let items = split(items, &mut gaps).unwrap_or_default();
            snapshot.lists.push(ListSnapshot {
                list,
                items,
                extra: Map::new(),
            });
        }
        progress.account_done(&snapshot.account.id);
        Ok((snapshot, gaps))
    }

    async fn tunnel_snapshot(
        &self,
        account_id: &str,
        tunnel: Tunnel,
    ) -> Result<(TunnelSnapshot, Vec<Gap>)> {
        let mut gaps = Vec::new();
        if tunnel.is_deleted() {
            return Ok((
                TunnelSnapshot {
                    tunnel,
                    configuration: None,
                    connections: Vec::new(),
                    extra: Map::new(),
                },
                gaps,
            ));
        }
        let account = Some(account_id);
        let configuration = async {
            if has_remote_config(&tunnel) {
                let read = self.tunnel_configuration(account_id, &tunnel.id).await;
                absorb(read, None, account, Section::TunnelConfiguration, false)
                    .map(|r| r.map(Some))
            } else {
                Ok(Ok(None))
            }
        };
        let connections = async {
            let read = self.tunnel_connections(account_id, &tunnel.id).await;
            absorb(read, None, account, Section::TunnelConnections, false)
        };
        let (configuration, connections) = try_join(configuration, connections).await?;
        let configuration = split(configuration, &mut gaps).flatten();
        let connections = split(connections, &mut gaps).unwrap_or_default();
        Ok((
            TunnelSnapshot {
                tunnel,
                configuration,
                connections,
                extra: Map::new(),
            },
            gaps,
        ))
    }
}

/// The fewest requests [`Client::snapshot`] can make to produce `snapshot` for `scope`
/// (pure). Tests and the benchmark assert `client.requests_sent() == minimum_requests(..)`.
///
/// Assumptions, all true of Cloudflare and of the fake server: page-based listings report
/// `total_pages` (so a full last page costs no extra request); the rulesets list and each list's
/// items beyond 500 fit the cursor pages counted; an unfiltered scope's `accounts` are all the
/// visible accounts (a filtered scope counts the pages its selected accounts need, a lower bound
/// when the token sees more than 50 accounts).
pub fn minimum_requests(snapshot: &Snapshot, scope: &SnapshotScope) -> u64 {
    let gap = |zone: Option<&str>, account: Option<&str>, section: Section| {
        snapshot.gaps.iter().any(|g| {
            g.zone.as_deref() == zone
                && g.account.as_deref() == account
                && g.section == section.as_str()
        })
    };
    let mut total = 0u64;
    // accounts list
    total += if gap(None, None, Section::Accounts) {
        1
    } else {
        pages_needed(snapshot.accounts.len(), per_page::ACCOUNTS)
    };
    // zones
    if !scope.zones.is_empty() {
        total += scope.zones.len() as u64;
    } else if !scope.accounts.is_empty() {
        for account in &scope.accounts {
            total += if gap(None, Some(account), Section::Zones) {
                1
            } else {
                let n = snapshot
                    .zones
                    .iter()
                    .filter(|z| z.zone.account.get().and_then(|a| a.id.get()) == Some(account))
                    .count();
                pages_needed(n, per_page::ZONES)
            };
        }
    } else {
        total += if gap(None, None, Section::Zones) {
            1
        } else {
            pages_needed(snapshot.zones.len(), per_page::ZONES)
        };
    }
    for zone in &snapshot.zones {
        let name = Some(zone.zone.name.as_str());
        total += 1; // settings
        total += if gap(name, None, Section::DnsRecords) {
            1
        } else {
            pages_needed(zone.dns_records.len(), per_page::DNS_RECORDS)
        };
        total += 1; // dnssec
        total += 1 + if gap(name, None, Section::Rulesets) {
            0
        } else {
            zone.rulesets.len() as u64
        };
        total += 1; // bot management
    }
    for account in &snapshot.accounts {
        let id = Some(account.account.id.as_str());
        if gap(None, id, Section::Tunnels) {
            total += 1;
        } else {
            total += pages_needed(account.tunnels.len(), per_page::TUNNELS);
            for tunnel in account.tunnels.iter().filter(|t| !t.tunnel.is_deleted()) {
                total += 1 + u64::from(has_remote_config(&tunnel.tunnel));
            }
        }
        if gap(None, id, Section::Lists) {
            total += 1;
        } else {
            total += 1;
            for list in &account.lists {
                total += pages_needed(list.items.len(), per_page::LIST_ITEMS);
            }
        }
    }
    total
}
