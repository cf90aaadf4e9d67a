//! Pagination stop rules (pure).
//!
//! Page-based endpoints are walked `page=1, 2, …` with the largest `per_page` each accepts; the
//! walk stops as soon as the answer proves there is nothing more, so a listing costs the minimum
//! number of requests. Cursor-based endpoints follow `result_info.cursor` (rulesets) or
//! `result_info.cursors.after` (list items).

use super::envelope::ResultInfo;

/// Largest page sizes Cloudflare accepts per endpoint.
pub mod per_page {
    /// `GET /zones`.
    pub const ZONES: u32 = 50;
    /// `GET /accounts`.
    pub const ACCOUNTS: u32 = 50;
    /// `GET /zones/{id}/dns_records`.
    pub const DNS_RECORDS: u32 = 5000;
    /// `GET /accounts/{id}/cfd_tunnel`.
    pub const TUNNELS: u32 = 1000;
    /// `GET /accounts/{id}/rules/lists/{id}/items` (cursor-based).
    pub const LIST_ITEMS: u32 = 500;
}

/// Hard ceiling on pages walked, so a server that never says "last page" cannot loop us forever.
pub const MAX_PAGES: u64 = 100_000;

/// Whether `page` (1-based), which returned `got` items for a request of `requested` per page,
/// was the last one.
///
/// In order: an empty page is the last; `result_info.total_pages` decides when present;
/// otherwise a page shorter than the server's `result_info.per_page` (or, when the server does
/// not say, shorter than the requested page size) is the last.
pub fn is_last_page(page: u64, requested: u32, got: usize, info: Option<&ResultInfo>) -> bool {
    let got = got as u64;
    if got == 0 {
        return true;
    }
    if let Some(info) = info {
        if let Some(total_pages) = info.total_pages {
            return page >= total_pages;
        }
        if let Some(server_per_page) = info.per_page.filter(|p| *p > 0) {
            return got < server_per_page;
        }
        if let (Some(total), Some(server_page)) = (info.total_count, info.page) {
            let per = info.per_page.unwrap_or(u64::from(requested)).max(1);
            return server_page.saturating_mul(per) >= total;
        }
    }
    got < u64::from(requested)
}

/// The cursor of the next page, if any: `result_info.cursors.after`, else `result_info.cursor`.
/// An empty page, or a cursor equal to the one just used, ends the walk.
pub fn next_cursor(info: Option<&ResultInfo>, got: usize, current: Option<&str>) -> Option<String> {
    if got == 0 {
        return None;
    }
    let info = info?;
    let next = info
        .cursors
        .as_ref()
        .and_then(|c| c.after.clone())
        .or_else(|| info.cursor.clone())
        .filter(|c| !c.is_empty())?;
    if Some(next.as_str()) == current {
        return None;
    }
    Some(next)
}

/// Requests needed to list `items` with pages of `per_page` (at least one).
pub fn pages_needed(items: usize, per_page: u32) -> u64 {
    let per = u64::from(per_page.max(1));
    (items as u64).div_ceil(per).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::envelope::Cursors;

    fn info(page: u64, per: u64, total_pages: Option<u64>) -> ResultInfo {
        ResultInfo {
            page: Some(page),
            per_page: Some(per),
            total_pages,
            ..ResultInfo::default()
        }
    }

    #[test]
    fn total_pages_decides_when_present() {
        assert!(!is_last_page(1, 3, 3, Some(&info(1, 3, Some(2)))));
        assert!(is_last_page(2, 3, 2, Some(&info(2, 3, Some(2)))));
        // a full page that total_pages says is the last: no extra request
        assert!(is_last_page(1, 50, 50, Some(&info(1, 50, Some(1)))));
    }

    #[test]
    fn short_or_empty_page_stops() {
        assert!(is_last_page(1, 50, 0, Some(&info(1, 50, Some(9)))));
        assert!(is_last_page(3, 50, 0, None));
        assert!(is_last_page(1, 50, 49, None));
        assert!(!is_last_page(1, 50, 50, None));
        let no_total = info(1, 50, None);
        assert!(is_last_page(1, 50, 12, Some(&no_total)));
        assert!(!is_last_page(1, 50, 50, Some(&no_total)));
    }

    #[test]
    fn server_capped_page_size_is_respected() {
        // asked for 5000, the server caps at 100: a full page of 100 is not the last
        assert!(!is_last_page(1, 5000, 100, Some(&info(1, 100, None))));
        assert!(is_last_page(2, 5000, 40, Some(&info(2, 100, None))));
    }

    #[test]
    fn total_count_is_used_without_total_pages_or_per_page() {
        let i = ResultInfo {
            page: Some(2),
            total_count: Some(100),
            ..ResultInfo::default()
        };
        assert!(is_last_page(2, 50, 50, Some(&i)));
        let i = ResultInfo {
            page: Some(1),
            total_count: Some(100),
            ..ResultInfo::default()
        };
        assert!(!is_last_page(1, 50, 50, Some(&i)));
    }

    #[test]
    fn cursor_rules() {
        let after = ResultInfo {
            cursors: Some(Cursors {
                after: Some("c2".into()),
                before: None,
            }),
            ..ResultInfo::default()
        };
        assert_eq!(next_cursor(Some(&after), 500, None).as_deref(), Some("c2"));
        assert_eq!(
            next_cursor(Some(&after), 500, Some("c2")),
            None,
            "repeated cursor ends"
        );
        assert_eq!(next_cursor(Some(&after), 0, None), None, "empty page ends");
        let cursor = ResultInfo {
            cursor: Some("n".into()),
            ..ResultInfo::default()
        };
        assert_eq!(next_cursor(Some(&cursor), 1, None).as_deref(), Some("n"));
        let empty = ResultInfo {
            cursor: Some(String::new()),
            ..ResultInfo::default()
        };
        assert_eq!(next_cursor(Some(&empty), 1, None), None);
        assert_eq!(next_cursor(None, 1, None), None);
    }

    #[test]
    fn pages_needed_is_at_least_one() {
        assert_eq!(pages_needed(0, 50), 1);
        assert_eq!(pages_needed(50, 50), 1);
        assert_eq!(pages_needed(51, 50), 2);
        assert_eq!(pages_needed(10_001, 5000), 3);
    }
}
