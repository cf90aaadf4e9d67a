//! The analytics the oracle helpers read: per zone, what `cfcp::api`'s GraphQL queries return
//! ([`TrafficSummary`], [`DailyTraffic`], [`FirewallRuleEvents`], [`DnsAnalytics`]), and the few
//! figures derived from them (threat share, request spike, hits per rule).
//!
//! The caller fetches these (or loads them from a file) and passes them in: the oracle reads no
//! network and no clock.

use serde::{Deserialize, Serialize};

pub use crate::api::{DailyTraffic, DnsAnalytics, FirewallRuleEvents, TopCount, TrafficSummary};

/// Analytics for some zones over one time range.
///
/// Every member is optional in JSON, so a front end can pass what it could read:
///
/// ```
/// let analytics: cfcp::oracle::Analytics = serde_json::from_str(r#"{
///   "since": "2026-10-25T00:00:00Z", "until": "2026-11-01T00:00:00Z",
///   "zones": [{"zone": "acme-api.io", "daily": [
///     {"date": "2026-10-31", "requests": 1000, "threats": 400, "cached_requests": 0,
///      "bytes": 0, "countries": [], "statuses": []}]}]
/// }"#).unwrap();
/// let zone = analytics.zone("acme-api.io").unwrap();
/// assert_eq!(zone.threat_share(), Some(0.4));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Analytics {
    /// Start of the range (RFC 3339), as the caller queried it.
    pub since: Option<String>,
    /// End of the range (RFC 3339).
    pub until: Option<String>,
    /// One entry per zone.
    pub zones: Vec<ZoneAnalytics>,
}

impl Analytics {
    /// The analytics of a zone, by name (case-insensitive).
    pub fn zone(&self, name: &str) -> Option<&ZoneAnalytics> {
        self.zones
            .iter()
            .find(|z| z.zone.eq_ignore_ascii_case(name))
    }
}

/// What the GraphQL analytics say about one zone. Absent parts were not read.
///
/// ```
/// let z: cfcp::oracle::ZoneAnalytics = serde_json::from_value(serde_json::json!({
///   "zone": "a.example", "daily": [
///     {"date": "2026-10-30", "requests": 100, "threats": 1, "cached_requests": 0, "bytes": 0,
///      "countries": [], "statuses": []},
///     {"date": "2026-10-31", "requests": 500, "threats": 250, "cached_requests": 0, "bytes": 0,
///      "countries": [], "statuses": [{"status": 526, "requests": 7}]}]
/// })).unwrap();
/// assert_eq!(z.spike(), Some(5.0));
/// assert_eq!(z.daily_totals(), Some((600, 251)));
/// assert_eq!(z.status_requests(526), Some(7));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ZoneAnalytics {
    /// The zone's name.
    pub zone: String,
    /// `httpRequestsAdaptiveGroups`: totals and top countries, IPs and paths.
    pub traffic: Option<TrafficSummary>,
    /// `httpRequests1dGroups`: one entry per day, oldest first.
    pub daily: Vec<DailyTraffic>,
    /// `firewallEventsAdaptiveGroups`: events per rule and action.
    pub firewall_events: Vec<FirewallRuleEvents>,
    /// `dnsAnalyticsAdaptiveGroups`.
    pub dns: Option<DnsAnalytics>,
}

/// Below this many requests a threat share or a spike says little.
pub const MIN_REQUESTS_FOR_RATIOS: u64 = 100;

impl ZoneAnalytics {
    /// Requests and threats summed over the daily entries; `None` when there are none.
    pub fn daily_totals(&self) -> Option<(u64, u64)> {
        if self.daily.is_empty() {
            return None;
        }
        Some(self.daily.iter().fold((0u64, 0u64), |(r, t), d| {
            (r.saturating_add(d.requests), t.saturating_add(d.threats))
        }))
    }

    /// Requests in the range: the adaptive total when read, else the daily sum.
    pub fn requests(&self) -> Option<u64> {
        self.traffic
            .as_ref()
            .map(|t| t.requests)
            .or_else(|| self.daily_totals().map(|(r, _)| r))
    }

    /// Threats divided by requests over the daily entries (0.0–1.0); `None` without daily data
    /// or with no requests.
    pub fn threat_share(&self) -> Option<f64> {
        let (requests, threats) = self.daily_totals()?;
        (requests > 0).then(|| threats.min(requests) as f64 / requests as f64)
    }

    /// The last day's requests divided by the mean of the days before it; `None` with fewer
    /// than two days or an empty baseline. A value of 3 means three times the usual traffic.
    pub fn spike(&self) -> Option<f64> {
        let (last, before) = self.daily.split_last()?;
        if before.is_empty() {
            return None;
        }
        let baseline = before.iter().map(|d| d.requests as f64).sum::<f64>() / before.len() as f64;
        (baseline > 0.0).then(|| last.requests as f64 / baseline)
    }

    /// Requests with this edge status over the range (adaptive statuses, else daily).
    pub fn status_requests(&self, status: u16) -> Option<u64> {
        if let Some(t) = &self.traffic {
            if !t.statuses.is_empty() {
                return Some(
                    t.statuses
                        .iter()
                        .filter(|s| s.status == status)
                        .fold(0u64, |n, s| n.saturating_add(s.requests)),
                );
            }
        }
        if self.daily.is_empty() {
            return None;
        }
        Some(
            self.daily
                .iter()
                .flat_map(|d| &d.statuses)
                .filter(|s| s.status == status)
                .fold(0u64, |n, s| n.saturating_add(s.requests)),
        )
    }

    /// Firewall events of a rule (any action).
    pub fn rule_events(&self, rule_id: &str) -> u64 {
        self.firewall_events
            .iter()
            .filter(|e| e.rule_id == rule_id)
            .fold(0u64, |n, e| n.saturating_add(e.count))
    }

    /// Requests and threats of a country over the daily entries.
    pub fn country_daily(&self, country: &str) -> Option<(u64, u64)> {
        let mut found = None;
        for c in self.daily.iter().flat_map(|d| &d.countries) {
            if c.country.eq_ignore_ascii_case(country) {
                let (r, t) = found.unwrap_or((0u64, 0u64));
                found = Some((r.saturating_add(c.requests), t.saturating_add(c.threats)));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CountryCount, StatusCount};

    fn day(date: &str, requests: u64, threats: u64) -> DailyTraffic {
        DailyTraffic {
            date: date.to_owned(),
            requests,
            threats,
            cached_requests: 0,
            bytes: 0,
            countries: vec![CountryCount {
                country: "NL".to_owned(),
                requests: requests / 2,
                threats,
            }],
            statuses: vec![StatusCount {
                status: 526,
                requests: 3,
            }],
        }
    }

    #[test]
    fn ratios_come_from_the_daily_entries() {
        let z = ZoneAnalytics {
            zone: "a.example".to_owned(),
            daily: vec![
                day("2026-10-30", 100, 0),
                day("2026-10-31", 300, 10),
                day("2026-11-01", 800, 290),
            ],
            ..ZoneAnalytics::default()
        };
        assert_eq!(z.daily_totals(), Some((1200, 300)));
        assert_eq!(z.threat_share(), Some(0.25));
        assert_eq!(z.spike(), Some(4.0));
        assert_eq!(z.requests(), Some(1200));
        assert_eq!(z.status_requests(526), Some(9));
        assert_eq!(z.country_daily("nl"), Some((600, 300)));
        assert_eq!(z.country_daily("US"), None);
    }

    #[test]
    fn huge_counts_saturate_instead_of_overflowing() {
        let z = ZoneAnalytics {
            daily: vec![
                day("2026-10-31", u64::MAX, u64::MAX),
                day("2026-11-01", u64::MAX, 1),
            ],
            ..ZoneAnalytics::default()
        };
        assert_eq!(z.daily_totals(), Some((u64::MAX, u64::MAX)));
        assert_eq!(z.status_requests(526), Some(6));
        assert_eq!(z.threat_share(), Some(1.0));
        assert_eq!(z.country_daily("NL").map(|(_, t)| t), Some(u64::MAX));
    }

    #[test]
    fn missing_data_gives_none_not_zero() {
        let z = ZoneAnalytics::default();
        assert_eq!(
            (
                z.threat_share(),
                z.spike(),
                z.requests(),
                z.status_requests(500)
            ),
            (None, None, None, None)
        );
        let one_day = ZoneAnalytics {
            daily: vec![day("2026-11-01", 0, 0)],
            ..ZoneAnalytics::default()
        };
        assert_eq!((one_day.threat_share(), one_day.spike()), (None, None));
    }
}
