//! Unit tests and property tests of the Rules-language engine.

use std::net::IpAddr;

use proptest::prelude::*;

use super::*;

fn unlimited() -> ParseOptions {
    ParseOptions {
        max_length: usize::MAX,
        ..ParseOptions::default()
    }
}

fn ok(text: &str) -> Filter {
    parse_filter(text).unwrap_or_else(|e| panic!("{text}: {}", e.render(text)))
}

fn bad(text: &str) -> RulesError {
    match parse_filter(text) {
        Ok(f) => panic!("{text} parsed as {f}"),
        Err(e) => e,
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

// ---- parsing and precedence -----------------------------------------------------------------

#[test]
fn precedence_not_and_xor_or() {
    let filter = ok("ssl or ssl and not ssl xor ssl");
    let Expr::Or(items) = filter.expr() else {
        panic!()
    };
    assert_eq!(items.len(), 2);
    let Expr::Xor(xor) = &items[1] else { panic!() };
    assert!(matches!(&xor[0], Expr::And(and) if matches!(and[1], Expr::Not(..))));
    assert_eq!(filter.to_string(), "ssl or ssl and not ssl xor ssl");
    // Symbols and words are the same operators.
    assert_eq!(
        ok("ssl && !ssl || ssl ^^ ssl"),
        ok("ssl and not ssl or ssl xor ssl")
    );
    // Parentheses that change precedence are kept; redundant ones are dropped.
    assert_eq!(
        ok("(ssl or ssl) and ssl").to_string(),
        "(ssl or ssl) and ssl"
    );
    assert_eq!(
        ok("((ssl and ssl)) or (ssl)").to_string(),
        "ssl and ssl or ssl"
    );
    assert_eq!(ok("not (ssl and ssl)").to_string(), "not (ssl and ssl)");
    // Associative operators are flattened.
    assert_eq!(
        ok("ssl and (ssl and (ssl and ssl))"),
        ok("ssl and ssl and ssl and ssl")
    );
}

#[test]
fn comparison_forms() {
    for (text, canonical) in [
        (r#"http.host == "a""#, r#"http.host eq "a""#),
        (r#"http.host != "a""#, r#"http.host ne "a""#),
        ("cf.waf.score < 1", "cf.waf.score lt 1"),
        ("cf.waf.score <= 1", "cf.waf.score le 1"),
        ("cf.waf.score > 1", "cf.waf.score gt 1"),
        ("cf.waf.score >= 1", "cf.waf.score ge 1"),
        (r#"http.host ~ "a.b""#, r#"http.host matches "a.b""#),
        (
            r#"http.host strict   wildcard "*.a""#,
            r#"http.host strict wildcard "*.a""#,
        ),
        (
            r##"http.host matches r#"a"b"#"##,
            r##"http.host matches r#"a"b"#"##,
        ),
        (r#"http.host eq r"a\b""#, r#"http.host eq "a\\b""#),
        (
            "ip.src in {10.0.0.0/8 ::1 1.1.1.1..1.1.1.9}",
            "ip.src in {10.0.0.0/8 ::1 1.1.1.1..1.1.1.9}",
        ),
        (
            "cf.edge.server_port in {80 8000..8009}",
            "cf.edge.server_port in {80 8000..8009}",
        ),
        ("ip.src in $cf.open_proxies", "ip.src in $cf.open_proxies"),
        ("true", "true"),
        (
            "substring(http.host, -2) eq \"om\"",
            "substring(http.host, -2) eq \"om\"",
        ),
    ] {
        assert_eq!(ok(text).to_string(), canonical, "{text}");
    }
}

#[test]
fn messages_stay_on_one_line() {
    // A string token holding a newline is described with `\n`, so the render is two lines.
    let input = "http.host\"\n\"a\"";
    let err = parse_filter(input).unwrap_err();
    assert!(!err.message.contains('\n'), "{}", err.message);
    assert!(err.message.contains("\\n"), "{}", err.message);
    assert_eq!(err.render(input).lines().count(), 2);
}

#[test]
fn string_escapes() {
    let f = ok(r#"http.host eq "a\"b\\c\x41""#);
    let Expr::Compare(c) = f.expr() else { panic!() };
    assert_eq!(c.rhs.value, Rhs::String("a\"b\\cA".into()));
    // In a regex, escapes other than \" are the regex engine's.
    let f = ok(r#"http.host matches "^a\.b\"c$""#);
    let Expr::Compare(c) = f.expr() else { panic!() };
    assert_eq!(c.rhs.value, Rhs::Regex(r#"^a\.b"c$"#.into()));
    assert!(bad(r#"http.host eq "a\.b""#)
        .message
        .contains("unknown escape"));
}

// ---- type checking --------------------------------------------------------------------------

#[test]
fn functions_and_signatures() {
    for text in [
        r#"lookup_json_string(http.request.body.raw, "a", 0, "b") eq "x""#,
        r#"lookup_json_integer(http.request.body.raw, "n") gt 3"#,
        r#"is_timed_hmac_valid_v0("k", http.request.uri, 100, http.request.timestamp.sec, 8, "s")"#,
        "cidr(ip.src, 24, 64) eq 10.0.0.0",
        "cidr6(ip.src, 64) in {2001:db8::/32}",
        r#"any(url_decode(http.request.uri.args.values[*], "ur")[*] contains "<script")"#,
        r#"len(http.request.headers.names) gt 50"#,
        r#"join(http.request.headers.names, ",") contains "x""#,
        r#"remove_bytes(http.host, "\x2e") eq "examplecom""#,
        r#"concat(http.host, "/", http.request.uri.path) eq "a/b""#,
        r#"any(concat(http.request.headers.names, http.request.uri.args.names)[*] eq "x")"#,
        r#"any(split(http.request.headers["x"][0], ",", 64)[*] eq "a")"#,
        r#"upper(decode_base64(http.request.headers["a"][0])) eq "A""#,
    ] {
        ok(text);
    }
    for (text, needle) in [
        (r#"starts_with("abc", "a")"#, "not a literal"),
        (r#"url_decode(http.host, "x") eq "a""#, "options"),
        ("cidr(ip.src, 33, 64) eq 10.0.0.0", "between 1 and 32"),
        (
            r#"is_timed_hmac_valid_v0(http.host, http.request.uri, 100, http.request.timestamp.sec)"#,
            "literal string",
        ),
        (r#"split(http.host, "", 3)[0] eq "a""#, "cannot be empty"),
        (
            r#"concat(http.host, http.request.headers.names) eq "a""#,
            "argument 2",
        ),
        (
            r#"any(starts_with(http.host, http.request.headers.names[*]))"#,
            "first argument",
        ),
        (r#"lower(http.host, "x") eq "a""#, "takes 1 argument"),
        ("bit_slice(http.host, 0, 1) eq 1", "Magic Firewall"),
        (r#"any(http.host eq "a")"#, "array's elements"),
        (r#"to_string(ssl) eq "true""#, "value) expressions"),
        (
            r#"lookup_json_string(http.request.body.raw, ssl) eq "x""#,
            "String key",
        ),
    ] {
        let e = bad(text);
        assert!(
            e.full_message().contains(needle),
            "{text}: {}",
            e.full_message()
        );
    }
}

#[test]
fn value_expressions() {
    for text in [
        r#"regex_replace(http.request.uri.path, "^/old/(.*)$", "/new/${1}")"#,
        r#"wildcard_replace(http.request.full_uri, "https://*.example.com/*", "https://example.com/${1}/${2}")"#,
        "to_string(cf.bot_management.score)",
        r#"concat("/", to_string(ip.src))"#,
        r#"remove_query_args(http.request.uri.query, "utm_source", "utm_medium")"#,
        r#"encode_base64(http.host, "up")"#,
        "uuidv4(cf.random_seed)",
        r#"http.request.headers["x"][0]"#,
    ] {
        parse_value(text).unwrap_or_else(|e| panic!("{text}: {}", e.render(text)));
    }
    for (text, needle) in [
        ("cf.waf.score", "to_string"),
        ("http.request.headers.names", "join"),
        (
            r#"regex_replace(regex_replace(http.host, "a", "b"), "c", "d")"#,
            "nested",
        ),
        (
            r#"concat(regex_replace(http.host, "a", "b"), regex_replace(http.host, "c", "d"))"#,
            "only once",
        ),
        (
            r#"remove_query_args(http.host, "a")"#,
            "http.request.uri.query",
        ),
        (r#"wildcard_replace(http.host, "a**", "b")"#, "`**`"),
        (
            r#"regex_replace(http.host, "(", "b")"#,
            "regular expression",
        ),
    ] {
        let e = parse_value(text).unwrap_err();
        assert!(
            e.full_message().contains(needle),
            "{text}: {}",
            e.full_message()
        );
    }
}

#[test]
fn operator_types() {
    for (text, needle) in [
        ("ip.src lt 1.2.3.4", "eq, ne and in"),
        (r#"cf.waf.score contains "1""#, "works on strings"),
        (r#"ip.src in {"a"}"#, "only IP addresses"),
        ("http.host in $cf.vpn", "managed IP list"),
        ("cf.waf.score in {1 2.2.2.2}", "only integers"),
        ("http.host in {}", "empty set"),
        (r#"http.host in {"a", "b"}"#, "not commas"),
        (r#"http.host wildcard "a\\b""#, "invalid escape"),
        ("http.host eq http.referer", "is a field"),
        ("ip.src eq 1.2.3", "not a valid IP"),
        ("cf.waf.score eq 1..3", "ranges go in a set"),
        ("cf.waf.score in {5..1}", "starts after it ends"),
        ("ip.src in {1.1.1.1..::1}", "mixes IPv4 and IPv6"),
        (r#"http.request.uri.args[0] eq "a""#, "key in quotes"),
        (r#"http.request.headers.names["a"] eq "a""#, "number"),
        (r#"http.host[0] eq "a""#, "cannot be indexed"),
        (r#"any(http.request.headers.names[*][*] eq "a")"#, "once"),
        (r#""abc" eq "abc""#, "not a literal"),
        ("(ssl) eq 1", "parenthesized"),
        ("ip.src eq \"1.2.3.4\"", "not quoted"),
        ("http.host eq $list", "need `in`"),
        ("$list", "only follow `in`"),
        ("http.host eq \"a\" )", "unmatched `)`"),
        ("(ssl) ssl", "between conditions"),
        ("ssl ssl", "expected a comparison operator"),
    ] {
        let e = bad(text);
        assert!(
            e.full_message().contains(needle),
            "{text}: {}",
            e.full_message()
        );
    }
}

#[test]
fn suggestions() {
    assert_eq!(
        bad(r#"http.hots eq "a""#).help.as_deref(),
        Some("did you mean `http.host`?")
    );
    assert_eq!(
        bad(r#"lowr(http.host) eq "a""#).help.as_deref(),
        Some("did you mean `lower`?")
    );
    assert_eq!(
        bad(r#"http.host eqq "a""#).help.as_deref(),
        Some("did you mean `eq`?")
    );
    assert_eq!(
        bad(r#"http.host CONTAINS "a""#).help.as_deref(),
        Some("operators are lowercase: write `contains`")
    );
    assert_eq!(
        bad("ip.src in $cf.malwar").help.as_deref(),
        Some("did you mean `$cf.malware`?")
    );
}

#[test]
fn error_rendering_points_at_the_problem() {
    let source = "http.host eq \"a\"\n  and ip.src eq \"x\"";
    let err = bad(source);
    assert_eq!(&source[err.offset..err.end], "\"x\"");
    let picture = err.render(source);
    let lines: Vec<&str> = picture.lines().collect();
    assert_eq!(lines[0], "  and ip.src eq \"x\"");
    assert!(
        lines[1].starts_with("                ^^^ ip.src is an IP"),
        "{picture}"
    );
    let converted: crate::Error = err.clone().into();
    assert!(converted.to_string().contains("byte 33"), "{converted}");
}

#[test]
fn introspection() {
    let f = ok(
        r#"cf.threat_score gt 10 and ip.geoip.country eq "CN" and http.host matches "x" and ip.src in $office"#,
    );
    assert!(f.uses_regex());
    assert_eq!(
        f.deprecated_fields(),
        vec![
            ("cf.threat_score", DEPRECATED_FIELDS[0].1),
            ("ip.geoip.country", "ip.src.country")
        ]
    );
    assert!(f.fields().contains("http.host"));
    assert_eq!(
        f.lists().into_iter().cloned().collect::<Vec<_>>(),
        vec![ListRef::Custom("office".into())]
    );
    assert!(!ok("ssl").uses_regex());
    assert_eq!(
        ok(r#"lower(http.host) eq "a""#)
            .functions()
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["lower"]
    );
    let parsed: Filter = "ssl".parse().unwrap();
    assert_eq!(parsed, ok("(ssl)"));
}

// ---- bad input ------------------------------------------------------------------------------

#[test]
fn length_limit() {
    let at_limit = format!(
        "http.host eq \"{}\"",
        "a".repeat(MAX_EXPRESSION_LENGTH - 15)
    );
    assert_eq!(at_limit.chars().count(), MAX_EXPRESSION_LENGTH);
    ok(&at_limit);
    let over = format!(
        "http.host eq \"{}\"",
        "a".repeat(MAX_EXPRESSION_LENGTH - 14)
    );
    let err = bad(&over);
    assert!(err.message.contains("4,097 characters"), "{}", err.message);
    assert_eq!(err.offset, MAX_EXPRESSION_LENGTH);
    // Characters, not bytes: 4,000 two-byte characters are within the limit.
    ok(&format!("http.host eq \"{}\"", "é".repeat(4000)));
}

#[test]
fn one_megabyte_expressions() {
    let big_string = format!("http.host eq \"{}\"", "a".repeat(1 << 20));
    assert!(bad(&big_string).message.contains("1,048,"));
    // Without the length limit the lexer and parser still cope, and the tree stays shallow.
    assert!(parse_filter_with(&big_string, &unlimited()).is_ok());
    let many_terms = vec![r#"http.host eq "a""#; 70_000].join(" or ");
    assert!(many_terms.len() > 1 << 20);
    let filter = parse_filter_with(&many_terms, &unlimited()).unwrap();
    assert!(!filter.matches(&Request::default(), &Lists::default()));
    assert_eq!(filter.to_string().len(), many_terms.len());
    let garbage: String = (0..1 << 20)
        .map(|i| ["(", "\"", "{", "x", " ", "é", "$"][i % 7])
        .collect();
    assert!(parse_filter_with(&garbage, &unlimited()).is_err());
    let long_set = format!("ip.src in {{{}}}", vec!["10.0.0.1"; 120_000].join(" "));
    assert!(parse_filter_with(&long_set, &unlimited()).is_ok());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let parens = format!("{}ssl{}", "(".repeat(10_000), ")".repeat(10_000));
    let err = parse_filter_with(&parens, &unlimited()).unwrap_err();
    assert!(
        err.message.contains("nests more than 256 levels"),
        "{}",
        err.message
    );
    assert_eq!(err.offset, MAX_NESTING_DEPTH);
    // Within the length limit too.
    let err = bad(&format!("{}ssl{}", "(".repeat(2000), ")".repeat(2000)));
    assert!(err.message.contains("nests"));
    let nots = format!("{}ssl", "not ".repeat(10_000));
    assert!(parse_filter_with(&nots, &unlimited())
        .unwrap_err()
        .message
        .contains("nests"));
    let bangs = format!("{}ssl", "!".repeat(10_000));
    assert!(parse_filter_with(&bangs, &unlimited())
        .unwrap_err()
        .message
        .contains("nests"));
    let calls = format!(
        "{}http.host{} eq \"a\"",
        "lower(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(parse_filter_with(&calls, &unlimited())
        .unwrap_err()
        .message
        .contains("nests"));
    let unclosed = "(".repeat(10_000);
    assert!(parse_filter_with(&unclosed, &unlimited()).is_err());
    // The deepest accepted expression parses, checks, prints and evaluates.
    let deepest = format!("{}ssl{}", "(not ".repeat(128), ")".repeat(128));
    let filter = parse_filter_with(&deepest, &unlimited()).unwrap();
    assert!(filter.matches(&Request::default(), &Lists::default()));
    let deep_index = format!("http.host{} eq \"a\"", "[0]".repeat(10_000));
    assert!(parse_filter_with(&deep_index, &unlimited()).is_err());
}

#[test]
fn invalid_utf8_and_nul() {
    let err = parse_filter_bytes(b"http.host eq \"ab\xc3\x28\"").unwrap_err();
    assert_eq!(err.offset, 16);
    assert!(err.message.contains("invalid UTF-8 at byte 16"));
    let err = parse_filter_bytes(b"\xff").unwrap_err();
    assert_eq!(err.offset, 0);
    assert!(parse_filter_bytes(br#"http.host eq "a""#).is_ok());
    for text in ["http.host eq \"a\0b\"", "ssl\0", "\0", "ssl and r#\"\0\"#"] {
        let err = bad(text);
        assert!(err.message.contains("NUL"), "{text:?}: {}", err.message);
        assert_eq!(err.offset, text.find('\0').unwrap());
        let _ = err.render(text);
    }
    assert!(bad("").message.contains("empty"));
    assert!(bad(" \n\t ").message.contains("empty"));
    assert!(bad("ssl \u{1}").message.contains("control character"));
}

// ---- evaluation -----------------------------------------------------------------------------

fn matches(text: &str, request: &Request) -> bool {
    ok(text).matches(request, &Lists::default())
}

#[test]
fn evaluates_documented_examples() {
    let request = Request::get("www.example.com", "/?filter=waf&filter=botm&filter=cdn")
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", "t")
        .header("Cookie", "app=test; other=1");
    assert!(matches(
        r#"all(len(http.request.uri.args["filter"][*])[*] in {3 4})"#,
        &request
    ));
    assert!(!matches(
        r#"all(not len(http.request.uri.args["filter"][*])[*] in {3 4})"#,
        &request
    ));
    assert!(matches(
        r#"len(http.request.uri.args["filter"]) >= 0"#,
        &request
    ));
    assert!(matches(
        r#"not len(http.request.uri.args["order"]) >= 0"#,
        &request
    ));
    assert!(matches(
        r#"len(http.request.uri.args["filter"][1]) == 4"#,
        &request
    ));
    assert!(matches(
        r#"any(http.request.headers["accept"][*] == "application/json")"#,
        &request
    ));
    assert!(!matches(
        r#"any(http.request.headers["accept"][*] == "text/plain")"#,
        &request
    ));
    assert!(matches(
        r#"http.request.headers.names[0] == "Accept""#,
        &request
    ));
    assert!(matches(
        r#"any(lower(http.request.headers.names[*])[*] == "x-csrf-token")"#,
        &request
    ));
    assert!(matches(
        r#"any(http.request.cookies["app"][*] == "test")"#,
        &request
    ));
    assert!(matches(r#"http.cookie contains "other=1""#, &request));
    assert!(matches(
        r#"http.host matches "^(www|store)\.example\.com$""#,
        &request
    ));
    assert!(matches(
        r#"http.request.full_uri wildcard "https://*.EXAMPLE.com/*""#,
        &request
    ));
    assert!(!matches(
        r#"http.request.full_uri strict wildcard "https://*.EXAMPLE.com/*""#,
        &request
    ));
    assert!(matches("ssl and cf.edge.server_port eq 443", &request));
    assert!(!matches(
        r#"http.request.headers.names[9] == "x""#,
        &request
    ));
}

#[test]
fn evaluates_ips_lists_and_missing_values() {
    let mut request = Request::default();
    assert!(!matches("ip.src eq 1.2.3.4", &request));
    assert!(!matches("ip.src ne 1.2.3.4", &request));
    assert!(matches("not ip.src in {1.2.3.0/24}", &request));
    request.client_ip = Some(ip("198.51.100.5"));
    request.asn = 64496;
    assert!(matches(
        "ip.src in {198.51.100.1 198.51.100.3..198.51.100.7}",
        &request
    ));
    assert!(!matches(
        "ip.src in {198.51.100.6..198.51.100.7 2001:db8::/32}",
        &request
    ));
    assert!(matches(
        "ip.src in {198.51.0.0/16} and ip.src ne 198.51.100.6",
        &request
    ));
    assert!(matches("cidr(ip.src, 24, 64) eq 198.51.100.0", &request));
    let mut lists = Lists::default();
    lists
        .add_ips("cf.open_proxies", &["198.51.100.0/24"])
        .unwrap();
    lists.insert(
        "partners",
        ListItems {
            asns: vec![64496],
            ..ListItems::default()
        },
    );
    lists.insert(
        "hosts",
        ListItems {
            hostnames: vec!["*.example.com".into()],
            ..ListItems::default()
        },
    );
    request.host = "api.example.com".into();
    assert!(ok("ip.src in $cf.open_proxies").matches(&request, &lists));
    assert!(!ok("ip.src in $cf.vpn").matches(&request, &lists));
    assert!(ok("ip.src.asnum in $partners").matches(&request, &lists));
    assert!(ok("http.host in $hosts").matches(&request, &lists));
    assert!(!ok("ip.src in $unknown").matches(&request, &lists));
    request.client_ip = Some(ip("2001:db8::1"));
    assert!(matches("ip.src in {2001:db8::/32}", &request));
    assert!(!matches("ip.src in {198.51.0.0/16}", &request));
}

#[test]
fn evaluates_scores_bodies_and_functions() {
    let mut request = Request::get("downloads.example.com", "/A/File.PDF?utm=1&x=2");
    request.method = "POST".into();
    request.body = r#"{"network":{"name":"cloudflare","ids":[7,8]}}"#.into();
    request.waf_score = 15;
    request.bot_score = 2;
    request.country = "CN".into();
    assert!(matches(
        "cf.waf.score lt 20 and cf.bot_management.score lt 30",
        &request
    ));
    assert!(matches(
        r#"ip.geoip.country in {"CN" "RU"} and ip.src.country eq "CN""#,
        &request
    ));
    assert!(matches(
        r#"lookup_json_string(http.request.body.raw, "network", "name") == "cloudflare""#,
        &request
    ));
    assert!(matches(
        r#"lookup_json_integer(http.request.body.raw, "network", "ids", 1) == 8"#,
        &request
    ));
    assert!(!matches(
        r#"lookup_json_string(http.request.body.raw, "missing") == """#,
        &request
    ));
    assert!(matches(
        r#"http.request.uri.path.extension eq "pdf""#,
        &request
    ));
    assert!(matches(
        r#"ends_with(lower(http.request.uri.path), ".pdf")"#,
        &request
    ));
    assert!(matches(
        r#"substring(http.request.uri.path, 0, 2) eq "/A""#,
        &request
    ));
    assert!(matches(
        r#"http.request.uri eq "/A/File.PDF?utm=1&x=2""#,
        &request
    ));
    assert!(matches(
        r#"not is_timed_hmac_valid_v0("k", http.request.uri, 10, http.request.timestamp.sec)"#,
        &request
    ));
    assert!(matches(r#"ssl xor http.host eq "x""#, &request));
    assert!(!matches(
        r#"ssl xor http.host eq "downloads.example.com""#,
        &request
    ));
    request.headers.push((
        "Content-Type".into(),
        "application/x-www-form-urlencoded".into(),
    ));
    request.body = "username=admin&password=x".into();
    assert!(matches(
        r#"any(http.request.body.form["username"][*] == "admin")"#,
        &request
    ));
    request.fields.insert(
        "cf.bot_management.ja3_hash".into(),
        serde_json::json!("abc"),
    );
    request.fields.insert(
        "cf.bot_management.detection_ids".into(),
        serde_json::json!([1, 33554817]),
    );
    assert!(matches(r#"cf.bot_management.ja3_hash eq "abc""#, &request));
    assert!(matches(
        "any(cf.bot_management.detection_ids[*] eq 33554817)",
        &request
    ));
    let value = |text: &str| {
        parse_value(text)
            .unwrap()
            .evaluate(&request, &Lists::default())
    };
    assert_eq!(
        value(r#"regex_replace(http.request.uri.path, "^/A/(.*)$", "/b/${1}")"#).as_deref(),
        Some("/b/File.PDF")
    );
    assert_eq!(
        value(r#"remove_query_args(http.request.uri.query, "utm")"#).as_deref(),
        Some("x=2")
    );
    assert_eq!(
        value(r#"wildcard_replace(http.request.uri.path, "/a/*", "/${1}")"#).as_deref(),
        Some("/File.PDF")
    );
    assert_eq!(value("to_string(cf.waf.score)").as_deref(), Some("15"));
    assert_eq!(value(r#"http.request.headers["missing"][0]"#), None);
    assert_eq!(value("uuidv4(cf.random_seed)"), None);
}

// ---- property tests -------------------------------------------------------------------------

fn sp<T>(value: T) -> Spanned<T> {
    Spanned {
        value,
        span: Span::default(),
    }
}

fn field(name: &str, path: Vec<IndexOp>) -> Value {
    Value::Field {
        name: name.into(),
        path: path.into_iter().map(sp).collect(),
        span: Span::default(),
    }
}

fn call(name: &str, args: Vec<Expr>, path: Vec<IndexOp>) -> Value {
    Value::Call {
        name: name.into(),
        args,
        path: path.into_iter().map(sp).collect(),
        span: Span::default(),
    }
}

fn cmp(lhs: Value, op: CmpOp, rhs: Rhs) -> Expr {
    Expr::Compare(Box::new(Comparison {
        lhs,
        op,
        op_span: Span::default(),
        rhs: sp(rhs),
    }))
}

fn lit(s: &str) -> Expr {
    Expr::Value(Value::Literal(Literal::String(s.into()), Span::default()))
}

fn text() -> impl Strategy<Value = String> {
    "[^\\x00]{0,12}"
}

fn wildcard_text() -> impl Strategy<Value = String> {
    prop::collection::vec("[^\\x00\\\\*]{0,5}", 1..4)
        .prop_map(|parts| parts.join("*"))
        .prop_filter("no **", |p| !p.contains("**"))
}

fn ip_strategy() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u8; 16]>().prop_map(IpAddr::from)
    ]
}

fn string_field() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "http.host",
        "http.request.uri.path",
        "http.user_agent",
        "http.request.method",
        "ip.src.country",
        "raw.http.request.uri",
    ])
}

fn int_field() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "cf.waf.score",
        "cf.bot_management.score",
        "ip.src.asnum",
        "http.response.code",
    ])
}

fn set_item_int() -> impl Strategy<Value = SetItem> {
    prop_oneof![
        any::<i64>().prop_map(SetItem::Int),
        (any::<i64>(), any::<i64>()).prop_map(|(a, b)| SetItem::IntRange(a.min(b), a.max(b))),
    ]
}

fn set_item_ip() -> impl Strategy<Value = SetItem> {
    prop_oneof![
        ip_strategy().prop_map(SetItem::Ip),
        (ip_strategy(), 0u8..=128)
            .prop_map(|(ip, len)| SetItem::Cidr(ip, if ip.is_ipv4() { len % 33 } else { len })),
        (any::<[u8; 4]>(), any::<[u8; 4]>()).prop_map(|(a, b)| {
            let (a, b) = (IpAddr::from(a), IpAddr::from(b));
            SetItem::IpRange(a.min(b), a.max(b))
        }),
    ]
}

fn regex_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        text().prop_map(|t| regex::escape(&t)),
        prop::sample::select(vec![
            r#"a"b"#.to_owned(),
            r##"a"#b"##.to_owned(),
            r"^/api/login\.aspx$".to_owned(),
            r"(?u)\p{Hangul}+".to_owned(),
            r"\\".to_owned(),
            r###"x\"##"###.to_owned(),
            "line\nbreak".to_owned(),
        ]),
    ]
}

/// Well-typed comparisons and Boolean values covering every syntactic form.
fn leaf() -> impl Strategy<Value = Expr> {
    let string_ops = prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Ge,
        CmpOp::Contains,
    ]);
    let int_ops = prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ]);
    let list_name = prop_oneof![
        "[a-z0-9_]{1,12}".prop_map(ListRef::Custom),
        prop::sample::select(MANAGED_LISTS.to_vec()).prop_map(|m| ListRef::Managed(m.to_owned())),
    ];
    prop_oneof![
        (string_field(), string_ops, text()).prop_map(|(f, op, s)| cmp(
            field(f, vec![]),
            op,
            Rhs::String(s)
        )),
        (string_field(), any::<bool>(), wildcard_text()).prop_map(|(f, strict, p)| {
            let op = if strict {
                CmpOp::StrictWildcard
            } else {
                CmpOp::Wildcard
            };
            cmp(field(f, vec![]), op, Rhs::String(p))
        }),
        (string_field(), regex_pattern()).prop_map(|(f, p)| cmp(
            field(f, vec![]),
            CmpOp::Matches,
            Rhs::Regex(p)
        )),
        (string_field(), prop::collection::vec(text(), 1..4)).prop_map(|(f, items)| cmp(
            field(f, vec![]),
            CmpOp::In,
            Rhs::Set(items.into_iter().map(|s| sp(SetItem::String(s))).collect())
        )),
        (int_field(), int_ops, any::<i64>()).prop_map(|(f, op, i)| cmp(
            field(f, vec![]),
            op,
            Rhs::Int(i)
        )),
        (int_field(), prop::collection::vec(set_item_int(), 1..4)).prop_map(|(f, items)| cmp(
            field(f, vec![]),
            CmpOp::In,
            Rhs::Set(items.into_iter().map(sp).collect())
        )),
        (any::<bool>(), ip_strategy()).prop_map(|(eq, ip)| {
            cmp(
                field("ip.src", vec![]),
                if eq { CmpOp::Eq } else { CmpOp::Ne },
                Rhs::Ip(ip),
            )
        }),
        prop::collection::vec(set_item_ip(), 1..4).prop_map(|items| cmp(
            field("ip.src", vec![]),
            CmpOp::In,
            Rhs::Set(items.into_iter().map(sp).collect())
        )),
        list_name.prop_map(|l| cmp(field("ip.src", vec![]), CmpOp::In, Rhs::List(l))),
        prop::sample::select(vec![
            "ssl",
            "cf.bot_management.verified_bot",
            "cf.client.bot"
        ])
        .prop_map(|f| Expr::Value(field(f, vec![]))),
        any::<bool>().prop_map(|b| Expr::Value(Value::Literal(Literal::Bool(b), Span::default()))),
        (string_field(), text()).prop_map(|(f, s)| cmp(
            call("lower", vec![Expr::Value(field(f, vec![]))], vec![]),
            CmpOp::Eq,
            Rhs::String(s)
        )),
        (text(), text()).prop_map(|(key, s)| cmp(
            field(
                "http.request.headers",
                vec![IndexOp::Key(key), IndexOp::Element(0)]
            ),
            CmpOp::Contains,
            Rhs::String(s)
        )),
        (text(), any::<bool>()).prop_map(|(s, all)| Expr::Value(call(
            if all { "all" } else { "any" },
            vec![cmp(
                call(
                    "lower",
                    vec![Expr::Value(field(
                        "http.request.headers.names",
                        vec![IndexOp::Each]
                    ))],
                    vec![IndexOp::Each]
                ),
                CmpOp::Eq,
                Rhs::String(s)
            )],
            vec![]
        ))),
        (text(), any::<i64>()).prop_map(|(key, i)| cmp(
            call(
                "len",
                vec![Expr::Value(field(
                    "http.request.uri.args",
                    vec![IndexOp::Key(key)]
                ))],
                vec![]
            ),
            CmpOp::Ge,
            Rhs::Int(i)
        )),
        (text(), text(), 0i64..5).prop_map(|(key, s, index)| cmp(
            call(
                "lookup_json_string",
                vec![
                    Expr::Value(field("http.request.body.raw", vec![])),
                    lit(&key),
                    Expr::Value(Value::Literal(Literal::Int(index), Span::default()))
                ],
                vec![]
            ),
            CmpOp::Eq,
            Rhs::String(s)
        )),
        text().prop_map(|s| Expr::Value(call(
            "starts_with",
            vec![Expr::Value(field("http.request.uri.path", vec![])), lit(&s)],
            vec![]
        ))),
    ]
}

fn flatten(
    items: Vec<Expr>,
    make: fn(Vec<Expr>) -> Expr,
    unwrap: fn(Expr) -> Result<Vec<Expr>, Expr>,
) -> Expr {
    let mut flat = Vec::new();
    for item in items {
        match unwrap(item) {
            Ok(inner) => flat.extend(inner),
            Err(item) => flat.push(item),
        }
    }
    make(flat)
}

fn filter_tree() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(|e| Expr::Not(Box::new(e), Span::default())),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| flatten(v, Expr::And, |e| {
                match e {
                    Expr::And(v) => Ok(v),
                    e => Err(e),
                }
            })),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| flatten(
                v,
                Expr::Or,
                |e| match e {
                    Expr::Or(v) => Ok(v),
                    e => Err(e),
                }
            )),
            prop::collection::vec(inner, 2..4).prop_map(|v| flatten(v, Expr::Xor, |e| match e {
                Expr::Xor(v) => Ok(v),
                e => Err(e),
            })),
        ]
    })
}

/// Fragments that reach deep into the parser when shuffled.
fn token_soup() -> impl Strategy<Value = String> {
    let fragments = prop::sample::select(vec![
        "(",
        ")",
        "not ",
        "!",
        " and ",
        " && ",
        " or ",
        " || ",
        " xor ",
        " ^^ ",
        "http.host",
        "ip.src",
        "ssl",
        " eq ",
        " == ",
        " != ",
        " < ",
        " in ",
        " contains ",
        " matches ",
        " ~ ",
        " wildcard ",
        " strict wildcard ",
        "\"a\"",
        "r#\"b\"#",
        "\"\\x41\"",
        "\"\\q\"",
        "1",
        "-2",
        "10.0.0.0/8",
        "1..5",
        "::1",
        "{",
        "}",
        "[",
        "]",
        "[*]",
        "[0]",
        "[\"k\"]",
        "any(",
        "lower(",
        "len(",
        "concat(",
        ",",
        "$cf.vpn",
        "$list",
        "true",
        "http.request.headers",
        "http.request.headers.names",
        "cf.waf.score",
        "\"",
        "r#\"",
        "é",
        "\0",
        "=",
        "===",
        "\n",
        "regex_replace(",
        "to_string(",
    ]);
    prop::collection::vec(fragments, 0..24).prop_map(|v| v.concat())
}

/// Requests that reach every branch of the compiled evaluator: IPv4, IPv6 or no client IP,
/// http or https, several Cookie and X-Forwarded-For headers, mixed-case extensions, and fields
/// set by name in `fields` (some with the wrong JSON type, which makes them missing).
fn request_strategy() -> impl Strategy<Value = Request> {
    (
        (
            text(),
            text(),
            text(),
            prop::option::of(ip_strategy()),
            any::<bool>(),
        ),
        (
            prop::collection::vec(text(), 0..3),
            prop::sample::select(vec!["", "a.PHP", "x/b.Html", "noext"]),
            any::<i64>(),
            any::<bool>(),
            prop::sample::select(vec![0usize, 1, 2, 3]),
        ),
    )
        .prop_map(
            |((host, path, ua, ip, https), (cookies, file, score, bot, overrides))| {
                let mut request = Request::get(&host, &format!("/{path}/{file}?q={ua}"))
                    .header("User-Agent", &ua)
                    .header("x-forwarded-for", &host);
                for cookie in &cookies {
                    request = request
                        .header("Cookie", cookie)
                        .header("X-Forwarded-For", cookie);
                }
                request.client_ip = ip;
                request.scheme = if https { "https" } else { "http" }.to_owned();
                request.country = host.chars().take(2).collect();
                request.bot_score = score;
                request.waf_score = score.wrapping_mul(7);
                request.asn = score / 3;
                request.response_code = score % 600;
                request.verified_bot = bot;
                request.body = path;
                if overrides >= 1 {
                    request
                        .fields
                        .insert("http.host".into(), serde_json::json!(ua));
                    request
                        .fields
                        .insert("cf.waf.score".into(), serde_json::json!("not an int"));
                }
                if overrides >= 2 {
                    request
                        .fields
                        .insert("ip.src".into(), serde_json::json!("2001:db8::1"));
                    request.fields.insert("ssl".into(), serde_json::json!(bot));
                }
                if overrides >= 3 {
                    request.fields.insert(
                        "cf.bot_management.verified_bot".into(),
                        serde_json::Value::Null,
                    );
                    request
                        .fields
                        .insert("http.user_agent".into(), serde_json::json!(17));
                }
                request
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printing_then_parsing_gives_the_same_tree(tree in filter_tree()) {
        let printed = tree.to_string();
        let parsed = parse_filter_with(&printed, &unlimited())
            .unwrap_or_else(|e| panic!("{printed}\n{}", e.render(&printed)));
        prop_assert_eq!(parsed.expr(), &tree, "printed: {}", printed);
        // Printing is canonical: the reparsed tree prints the same text.
        prop_assert_eq!(parsed.to_string(), printed);
    }

    #[test]
    fn evaluation_never_panics(tree in filter_tree(), host in text(), path in text(), ip in ip_strategy()) {
        let filter = parse_filter_with(&tree.to_string(), &unlimited()).unwrap();
        let mut request = Request::get(&host, &format!("/{path}")).header("Cookie", &host);
        request.client_ip = Some(ip);
        request.body = path;
        let _ = filter.matches(&request, &Lists::default());
    }

    #[test]
    fn parser_never_panics_on_strings(input in any::<String>()) {
        if let Ok(filter) = parse_filter(&input) {
            prop_assert_eq!(parse_filter_with(&filter.to_string(), &unlimited()).unwrap(), filter);
        }
        if let Err(err) = parse_value(&input) {
            let _ = err.render(&input);
            prop_assert!(err.offset <= input.len() && err.end >= err.offset);
        }
    }

    #[test]
    fn parser_never_panics_on_bytes(input in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Err(err) = parse_filter_bytes(&input) {
            prop_assert!(err.offset <= input.len());
        }
    }

    #[test]
    fn parser_never_panics_on_token_soup(input in token_soup()) {
        match parse_filter(&input) {
            Ok(filter) => {
                let printed = filter.to_string();
                let again = parse_filter_with(&printed, &unlimited())
                    .unwrap_or_else(|e| panic!("{input:?} printed as {printed:?}: {}", e.render(&printed)));
                prop_assert_eq!(again, filter);
            }
            Err(err) => {
                prop_assert!(err.offset <= input.len() && err.end >= err.offset);
                prop_assert_eq!(err.render(&input).lines().count(), 2);
            }
        }
        let _ = parse_value(&input);
    }

    #[test]
    fn direct_path_agrees_with_the_full_path(tree in filter_tree()) {
        super::direct::tests::agrees(&tree.to_string()).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn direct_path_agrees_on_token_soup(input in token_soup()) {
        super::direct::tests::agrees(&input).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn compiled_evaluation_agrees_with_the_tree_walker(tree in filter_tree(), request in request_strategy()) {
        let filter = parse_filter_with(&tree.to_string(), &unlimited()).unwrap();
        let mut lists = Lists::default();
        if let Some(ip) = request.client_ip {
            lists.add_ips("office", &[&ip.to_string()]).unwrap();
        }
        let by_tree = filter.matches_by_tree(&request, &lists);
        prop_assert_eq!(filter.matches(&request, &lists), by_tree, "{}", filter);
        prop_assert_eq!(filter.matches_prepared(&request.prepare(), &lists), by_tree, "prepared: {}", filter);
    }
}
