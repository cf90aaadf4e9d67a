use super::*;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn tokens_are_compared_whole_and_short_ones_refused() {
    let token = BearerToken::parse(&format!("  {TOKEN}\n")).unwrap();
    assert!(token.accepts(Some(&format!("Bearer {TOKEN}"))));
    assert!(token.accepts(Some(&format!("bearer {TOKEN}"))));
    assert!(!token.accepts(Some(&format!("Bearer {TOKEN}x"))));
    assert!(!token.accepts(Some(&format!("Bearer {}", &TOKEN[1..]))));
    assert!(!token.accepts(Some(&format!("Basic {TOKEN}"))));
    assert!(!token.accepts(Some(TOKEN)));
    assert!(!token.accepts(None));
    assert!(BearerToken::parse("short").is_err());
    assert!(BearerToken::parse("0123456789 abcdef0123").is_err());
    assert_eq!(format!("{token:?}"), "BearerToken(***)");
}

#[test]
fn host_must_be_the_bound_loopback_authority() {
    let rule = HostRule::Loopback(8787);
    for ok in [
        "127.0.0.1:8787",
        "localhost:8787",
        "LOCALHOST:8787",
        "[::1]:8787",
    ] {
        assert!(rule.allows(ok), "{ok}");
    }
    for bad in [
        "evil.example:8787",
        "127.0.0.1:8788",
        "127.0.0.1",
        "localhost.evil.example:8787",
        "[::1]",
        "",
        "127.0.0.1:x",
    ] {
        assert!(!rule.allows(bad), "{bad}");
    }
    assert!(HostRule::Loopback(80).allows("localhost"));
    assert!(HostRule::Any.allows("mcp.example.com"));
}

#[test]
fn origins_are_loopback_or_listed() {
    let listed = vec!["https://app.example.com".to_owned()];
    assert!(origin_allowed(None, &[]));
    for ok in [
        "http://localhost:6274",
        "http://127.0.0.1",
        "https://[::1]:443",
        "https://app.example.com/",
        "HTTPS://APP.EXAMPLE.COM",
    ] {
        assert!(origin_allowed(Some(ok), &listed), "{ok}");
    }
    for bad in [
        "https://evil.example",
        "http://localhost.evil.example",
        "http://localhost@evil.example",
        "null",
        "file://localhost",
        "https://app.example.com:8443",
    ] {
        assert!(!origin_allowed(Some(bad), &listed), "{bad}");
    }
}

#[test]
fn rate_limits_parse_with_a_default_burst() {
    assert_eq!(
        RateLimit::parse("20/s").unwrap(),
        RateLimit {
            per_second: 20.0,
            burst: 40.0
        }
    );
    assert_eq!(RateLimit::parse("0.5/s:3").unwrap().burst, 3.0);
    for bad in ["20", "0/s", "-1/s", "x/s", "5/s:0", "NaN/s", "inf/s"] {
        assert!(RateLimit::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn bucket_spends_its_burst_then_refills_at_the_rate() {
    let limit = RateLimit {
        per_second: 10.0,
        burst: 3.0,
    };
    let start = Instant::now();
    let mut bucket = TokenBucket::full(limit, start);
    for _ in 0..3 {
        assert!(bucket.take(limit, start).is_ok());
    }
    let wait = bucket.take(limit, start).unwrap_err();
    assert!(wait > Duration::from_millis(90) && wait <= Duration::from_millis(100));
    assert!(bucket
        .take(limit, start + Duration::from_millis(100))
        .is_ok());
    assert!(bucket
        .take(limit, start + Duration::from_millis(100))
        .is_err());
    // A long pause refills to the burst, not beyond.
    let later = start + Duration::from_secs(60);
    for _ in 0..3 {
        assert!(bucket.take(limit, later).is_ok());
    }
    assert!(bucket.take(limit, later).is_err());
}

#[test]
fn clients_have_their_own_buckets() {
    let limit = RateLimit {
        per_second: 1.0,
        burst: 1.0,
    };
    let now = Instant::now();
    let mut limits = ClientLimits::new(limit);
    let a = std::net::IpAddr::from([127, 0, 0, 1]);
    let b = std::net::IpAddr::from([127, 0, 0, 2]);
    assert!(limits.take(true, a, now).is_ok());
    assert!(limits.take(true, a, now).is_err());
    assert!(limits.take(false, a, now).is_ok());
    assert!(limits.take(true, b, now).is_ok());
}
