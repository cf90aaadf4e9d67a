use serde_json::json;

use super::*;
use crate::layer0::{Context, Layer0};
use crate::plan::{apply_to_snapshot, Effect};
use crate::snapshot::{demo, Snapshot};

const PROD: &str = "62d41457-d239-44d4-915c-ead8d787ab3f";

fn req(host: &str, service: &str) -> RouteRequest {
    RouteRequest {
        tunnel: "acme-prod-shop".into(),
        hostname: host.into(),
        service: service.into(),
        ..RouteRequest::default()
    }
}

fn everywhere() -> Context {
    Context {
        zones_allowed: vec!["*".into()],
        ..Context::default()
    }
}

/// The snapshot after the plan: the config on the account, the records on the zone.
fn after(snapshot: &Snapshot, plan: &TunnelPlan) -> Snapshot {
    apply_to_snapshot(snapshot, plan.zone.as_deref().unwrap(), &plan.operations).unwrap()
}

#[test]
fn route_inserts_before_the_catch_all_and_creates_the_cname() {
    let s = demo();
    let plan = plan_route(&s, &req("Blog.acme-shop.com.", "http://localhost:2368")).unwrap();
    assert_eq!(plan.tunnel_id, PROD);
    assert_eq!(plan.zone.as_deref(), Some("acme-shop.com"));
    let kinds: Vec<&str> = plan.operations.iter().map(|o| o.method.as_str()).collect();
    assert_eq!(kinds, ["PUT", "POST"]);
    assert!(plan.operations[0]
        .path
        .ends_with(&format!("/cfd_tunnel/{PROD}/configurations")));
    let body = plan.operations[1].body.clone().unwrap();
    assert_eq!(body["content"], json!(format!("{PROD}.cfargotunnel.com")));
    assert_eq!(body["proxied"], json!(true));
    assert_eq!(body["name"], json!("blog.acme-shop.com"));
    let a = after(&s, &plan);
    let t = a.accounts[0].tunnel(PROD).unwrap();
    let ingress = t.ingress();
    assert_eq!(ingress.len(), 5);
    assert_eq!(ingress[3].hostname.as_deref(), Some("blog.acme-shop.com"));
    assert!(ingress[4].is_catch_all());
    // originRequest of the other rules and the global settings survive the PUT.
    let config = t.configuration.as_ref().unwrap().config.get().unwrap();
    assert!(config.extra.contains_key("originRequest"));
    assert!(ingress[1].extra.contains_key("originRequest"));
    assert_eq!(validate_ingress(ingress), Ok(()));
}

#[test]
fn re_running_a_route_after_the_config_applied_plans_only_the_dns() {
    let s = demo();
    let plan = plan_route(&s, &req("blog.acme-shop.com", "http://localhost:2368")).unwrap();
    let half = apply_to_snapshot(&s, "acme-shop.com", &plan.operations[..1]).unwrap();
    let again = plan_route(&half, &req("blog.acme-shop.com", "http://localhost:2368")).unwrap();
    assert_eq!(again.operations.len(), 1);
    assert_eq!(again.operations[0].effect, Effect::CreateRecord);
    let done = after(&half, &again);
    let nothing = plan_route(&done, &req("blog.acme-shop.com", "http://localhost:2368")).unwrap();
    assert!(nothing.operations.is_empty(), "{:?}", nothing.operations);
}

#[test]
fn route_errors_say_what_and_what_to_do() {
    let s = demo();
    let cases: Vec<(RouteRequest, &str)> = vec![
        (
            RouteRequest {
                tunnel: "nope".into(),
                ..req("x.acme-shop.com", "http://a")
            },
            "known tunnels: acme-prod-shop",
        ),
        (
            RouteRequest {
                tunnel: "acme-legacy-app".into(),
                ..req("x.acme-shop.com", "http://a")
            },
            "is deleted",
        ),
        (
            req("app.acme-shop.com", "http://localhost:9999"),
            "already routed to http://localhost:8080 by ingress rule #1",
        ),
        (req("x.acme-shop.com", "ftp://a"), "accepted forms"),
        (
            req("x.example.org", "http://a"),
            "in no zone of the tunnel's account (zones: acme-shop.com",
        ),
        (
            req("api.acme-shop.com", "http://a"),
            "--replace-address-records",
        ),
        (
            RouteRequest {
                path: Some("([".into()),
                ..req("x.acme-shop.com", "http://a")
            },
            "not a valid regular expression",
        ),
        (req("bad host.acme-shop.com", "http://a"), "not a DNS name"),
    ];
    for (r, text) in cases {
        let err = plan_route(&s, &r).unwrap_err().to_string();
        assert!(err.contains(text), "{r:?}: {err}");
    }
}

#[test]
fn address_records_are_replaced_only_when_told() {
    let s = demo();
    let plan = plan_route(
        &s,
        &RouteRequest {
            replace_address_records: true,
            ..req("api.acme-shop.com", "http://localhost:1")
        },
    )
    .unwrap();
    let kinds: Vec<&str> = plan.operations.iter().map(|o| o.method.as_str()).collect();
    assert_eq!(kinds, ["PUT", "DELETE", "DELETE", "POST"]);
    assert!(plan.destructive);
    let a = after(&s, &plan);
    let z = a.zone("acme-shop.com").unwrap();
    let named: Vec<&str> = z
        .dns_records
        .iter()
        .filter(|r| r.name == "api.acme-shop.com")
        .map(|r| r.record_type.as_str())
        .collect();
    assert_eq!(named, ["CNAME"]);
}

#[test]
fn a_cname_elsewhere_is_repointed_and_a_path_rule_coexists() {
    let s = demo();
    let plan = plan_route(&s, &req("status.acme-shop.com", "http://localhost:3")).unwrap();
    assert_eq!(plan.operations[1].method, "PATCH");
    assert!(plan.notes.iter().any(|n| n.contains("statuspage.io")));
    let with_path = plan_route(
        &s,
        &RouteRequest {
            path: Some("^/api/".into()),
            ..req("app.acme-shop.com", "http://localhost:4")
        },
    )
    .unwrap();
    // The CNAME exists and points at the tunnel: only the ingress changes.
    assert_eq!(with_path.operations.len(), 1);
    // Before the host-wide rule, which would otherwise match its requests first.
    assert_eq!(with_path.ingress[0].path.as_deref(), Some("^/api/"));
    assert_eq!(
        with_path.ingress[1].hostname.as_deref(),
        Some("app.acme-shop.com")
    );
    assert_eq!(with_path.ingress[1].path.as_deref(), None);
}

#[test]
fn a_tunnel_without_catch_all_gets_one() {
    let s = demo();
    let plan = plan_route(
        &s,
        &RouteRequest {
            tunnel: "acme-internal-tools".into(),
            ..req("new.acme-internal.net", "http://10.0.0.1:80")
        },
    )
    .unwrap();
    assert!(plan.ingress.last().unwrap().is_catch_all());
    assert_eq!(
        plan.ingress.last().unwrap().service.as_deref(),
        Some(DEFAULT_CATCH_ALL)
    );
    assert!(plan.notes.iter().any(|n| n.contains("no catch-all")));
}

#[test]
fn unroute_is_the_inverse_of_route() {
    let s = demo();
    let r = req("blog.acme-shop.com", "http://localhost:2368");
    let routed = after(&s, &plan_route(&s, &r).unwrap());
    let plan = plan_unroute(
        &routed,
        &UnrouteRequest {
            tunnel: PROD.into(),
            hostname: r.hostname.clone(),
            path: None,
        },
    )
    .unwrap();
    let kinds: Vec<&str> = plan.operations.iter().map(|o| o.method.as_str()).collect();
    assert_eq!(kinds, ["DELETE", "PUT"]);
    let back = after(&routed, &plan);
    assert!(crate::drift::diff(&s, &back).is_empty());
}

#[test]
fn unroute_keeps_a_cname_that_is_not_the_tunnels() {
    let s = demo();
    let err = plan_unroute(
        &s,
        &UnrouteRequest {
            tunnel: "acme-prod-shop".into(),
            hostname: "nope.acme-shop.com".into(),
            path: None,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("it routes: app.acme-shop.com, admin.acme-shop.com"),
        "{err}"
    );
    // metrics.acme-api.io is routed by acme-internal-tools and its CNAME points there.
    let plan = plan_unroute(
        &s,
        &UnrouteRequest {
            tunnel: "acme-internal-tools".into(),
            hostname: "metrics.acme-api.io".into(),
            path: None,
        },
    );
    // That tunnel has no catch-all: the remaining list is invalid and the error says so.
    assert!(plan.unwrap_err().to_string().contains("catch-all"));
}

#[test]
fn layer0_asks_approval_for_ingress_and_blocks_other_zones() {
    let s = demo();
    let layer0 = Layer0::default();
    let mut plan = plan_route(&s, &req("blog.acme-shop.com", "http://localhost:2368")).unwrap();
    route(&mut plan, &layer0, &everywhere());
    assert_eq!(plan.routing.route, "approve");
    assert!(plan.routing.flags.contains(&"sensitive_record".to_owned()));
    route(
        &mut plan,
        &layer0,
        &Context {
            approved: true,
            ..everywhere()
        },
    );
    assert_eq!(plan.routing.route, "allow");
    let only_api = Context {
        zones_allowed: vec!["acme-api.io".into()],
        approved: true,
        ..Context::default()
    };
    route(&mut plan, &layer0, &only_api);
    assert_eq!(plan.routing.route, "block");
    assert!(plan.routing.flags.contains(&"scope_violation".to_owned()));
    let mut rotate = plan_rotate(&s, PROD).unwrap();
    route(&mut rotate, &layer0, &everywhere());
    assert_eq!(rotate.routing.route, "approve");
    assert!(rotate.routing.flags.contains(&"destructive".to_owned()));
}

#[test]
fn rotation_plan_carries_no_secret_and_the_token_is_redacted() {
    let s = demo();
    let plan = plan_rotate(&s, "acme-prod-shop").unwrap();
    let secret = TunnelSecret::from_bytes(&[42u8; 32]);
    let text = serde_json::to_string(&plan).unwrap();
    assert!(!text.contains(secret.expose()));
    assert!(text.contains(rotate::SECRET_PLACEHOLDER));
    let token = connector_token("d5bd6a0dc435e1bb3c3719751b5143ba", PROD, &secret);
    let logged = crate::audit::redact(
        json!({"note": format!("cloudflared tunnel run --token {}", token.expose()), "tunnel_secret": secret.expose()}),
    );
    let logged = logged.to_string();
    assert!(!logged.contains(token.expose()), "{logged}");
    assert!(!logged.contains(secret.expose()), "{logged}");
    assert_eq!(format!("{token:?} {secret:?}"), "*** ***");
    // And replaying it changes nothing the snapshot holds.
    assert_eq!(
        apply_to_snapshot(&s, "acme-shop.com", &plan.operations).unwrap(),
        s
    );
}

#[test]
fn services_file_round_trips_the_live_account() {
    let live = demo();
    let yaml = "tunnels:\n  acme-prod-shop:\n    app.acme-shop.com: http://localhost:8080\n    admin.acme-shop.com: http://10.0.1.20:3000\n    grafana.acme-shop.com: https://10.0.1.30:3000\n";
    assert!(crate::drift::diff(&desired_from_services(&live, yaml).unwrap(), &live).is_empty());
    let json = r#"{"tunnels": {"62d41457-d239-44d4-915c-ead8d787ab3f": {"app.acme-shop.com": "http://localhost:8080", "admin.acme-shop.com": {"service": "http://10.0.1.20:3000"}, "grafana.acme-shop.com": "https://10.0.1.30:3000"}}}"#;
    assert!(crate::drift::diff(&desired_from_services(&live, json).unwrap(), &live).is_empty());
}

#[test]
fn services_file_drift_reverts_to_the_file() {
    let live = demo();
    let yaml = "tunnels:\n  acme-prod-shop:\n    app.acme-shop.com: http://localhost:8080\n    blog.acme-shop.com:\n      service: http://localhost:2368\n      path: ^/posts\n";
    let desired = desired_from_services(&live, yaml).unwrap();
    let drift = crate::drift::diff(&desired, &live);
    let plan = crate::drift::revert(&drift, &crate::drift::RevertOptions::default());
    let summaries: Vec<&str> = plan
        .steps
        .iter()
        .map(|s| s.operation.summary.as_str())
        .collect();
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("ingress of tunnel acme-prod-shop")),
        "{summaries:?}"
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("recreate") && s.contains("blog.acme-shop.com")),
        "{summaries:?}"
    );
    // admin. and grafana. CNAMEs point at the tunnel but the file drops them.
    assert_eq!(
        plan.steps
            .iter()
            .filter(|s| s.operation.method == "DELETE")
            .count(),
        2,
        "{summaries:?}"
    );
    let ingress = desired.accounts[0].tunnel(PROD).unwrap().ingress().to_vec();
    assert_eq!(ingress.len(), 3);
    assert!(ingress[2].is_catch_all());
}

#[test]
fn services_file_errors_name_the_place() {
    let live = demo();
    let cases = [
        ("tunnels: [", "not valid YAML"),
        ("other: 1", "expected `tunnels:`"),
        ("tunnels:\n  nope:\n    a.acme-shop.com: http://a\n", "tunnels.nope"),
        ("tunnels:\n  acme-prod-shop:\n    a.acme-shop.com: gopher://a\n", "tunnels.acme-prod-shop.a.acme-shop.com"),
        ("tunnels:\n  acme-prod-shop:\n    a.example.org: http://a\n", "in no zone"),
        ("tunnels:\n  acme-prod-shop:\n    api.acme-shop.com: http://a\n", "has an A record"),
        ("tunnels:\n  acme-prod-shop:\n    a.acme-shop.com: {service: http://a, port: 1}\n", "unknown member \"port\""),
        ("tunnels:\n  acme-prod-shop:\n    a.acme-shop.com: http://a\n  acme-internal-tools:\n    a.acme-shop.com: http://b\n", "also routed by tunnel acme-prod-shop"),
    ];
    for (text, want) in cases {
        let err = desired_from_services(&live, text).unwrap_err().to_string();
        assert!(err.contains(want), "{text}: {err}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Whatever is asked, planning never panics, and a plan it makes keeps exactly one
        /// catch-all, last, with the new rule before it.
        #[test]
        fn route_plans_keep_one_catch_all_last(
            tunnel in prop_oneof![Just("acme-prod-shop"), Just("acme-internal-tools"), Just("acme-legacy-app"), Just("x")],
            label in prop_oneof!["[a-z]{1,8}", ".{0,10}", Just("*".to_owned()), Just("app".to_owned())],
            zone in prop_oneof![Just("acme-shop.com"), Just("acme-internal.net"), Just("acme-api.io"), Just("example.org")],
            service in prop_oneof![Just("http://localhost:1".to_owned()), Just("http_status:418".to_owned()), ".{0,16}"],
            path in proptest::option::of(".{0,6}"),
        ) {
            let s = demo();
            let request = RouteRequest {
                tunnel: tunnel.into(),
                hostname: format!("{label}.{zone}"),
                service,
                path,
                replace_address_records: false,
            };
            if let Ok(plan) = plan_route(&s, &request) {
                let catch_alls: Vec<usize> = plan.ingress.iter().enumerate().filter(|(_, r)| r.is_catch_all()).map(|(i, _)| i).collect();
                prop_assert_eq!(catch_alls, vec![plan.ingress.len() - 1]);
                prop_assert!(validate_ingress(&plan.ingress).is_ok());
                let after = after(&s, &plan);
                let t = after.accounts[0].tunnel(&plan.tunnel_id).unwrap();
                prop_assert_eq!(t.ingress(), plan.ingress.as_slice());
                if let Ok(back) = plan_unroute(&after, &UnrouteRequest { tunnel: plan.tunnel_id.clone(), hostname: request.hostname.clone(), path: request.path.clone() }) {
                    prop_assert!(back.ingress.last().is_some_and(|r| r.is_catch_all()));
                }
            }
        }
    }
}
