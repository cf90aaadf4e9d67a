//! Bots: Bot Fight Mode (Free), Super Bot Fight Mode (Pro and Business), AI crawlers.
//!
//! `GET /zones/{id}/bot_management` answers with the fields of the zone's plan: `fight_mode` on
//! Free; `sbfm_definitely_automated`, `sbfm_likely_automated`, `sbfm_verified_bots` (Super Bot Fight
//! Mode) on Pro and Business. Enterprise Bot Management acts through bot-score rules, which these
//! checks do not evaluate.

use serde_json::Value;

use super::zone_settings::show;
use super::{Check, Eval};
use crate::invariants::{Evaluation, Severity, ZoneContext};
use crate::snapshot::BotManagement;

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "zone_bot_fight_mode_enabled",
        title: "Bot Fight Mode (or Super Bot Fight Mode) challenges automated traffic",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["bot_management"],
        description: "Reads the zone's bot management configuration. Passes when `fight_mode` is true \
            (Bot Fight Mode, Free plan) or, on zones with Super Bot Fight Mode fields (Pro and Business), \
            when `sbfm_definitely_automated` is `block` or `managed_challenge`. Fails when `fight_mode` \
            is false and Super Bot Fight Mode lets definitely automated traffic through (or is absent).",
        risk: "Without bot mitigation, scrapers, credential-stuffing tools and vulnerability scanners \
            reach the origin at full speed.",
        remediation: "Turn Bot Fight Mode on (Free), or set Super Bot Fight Mode's Definitely automated \
            traffic to Block or Managed Challenge (Pro and Business), under Security > Bots.",
        terraform: "resource \"cloudflare_bot_management\" \"{zone_name}\" {\n  zone_id = \"{zone_id}\"\n  fight_mode = true                              # Free plan\n  # sbfm_definitely_automated = \"managed_challenge\" # Pro and Business\n  # sbfm_likely_automated     = \"managed_challenge\"\n  # sbfm_verified_bots        = \"allow\"\n}",
        api: "PUT /zones/{zone_id}/bot_management {\"fight_mode\":true}  (Pro/Business: {\"sbfm_definitely_automated\":\"managed_challenge\"})",
        compliance: &["ASVS-4.0.3:11.1.4", "ASVS-5.0.0:2.4.1", "NIST-800-53r5:SI-4", "NIST-800-53r5:SC-5"],
        prowler: Some("improves: Prowler reads only `fight_mode`, which is false on every Pro and \
            Business zone that uses Super Bot Fight Mode instead; cfcp also passes such zones when \
            definitely automated traffic is blocked or challenged. An Enterprise zone with neither \
            field is UNKNOWN (Bot Management works through bot-score rules)."),
        eval: Eval::Zone(bot_fight_mode),
    },
    Check {
        id: "bot_sbfm_definitely_automated_blocked",
        title: "Super Bot Fight Mode blocks or challenges definitely automated traffic",
        severity: Severity::Medium,
        resource_type: "zone",
        sections: &["bot_management"],
        description: "Only for zones whose bot management configuration has `sbfm_definitely_automated` \
            (Super Bot Fight Mode). Passes for `block` and `managed_challenge`; fails for `allow`. The \
            message also gives `sbfm_likely_automated` and `sbfm_verified_bots`.",
        risk: "With `allow`, traffic Cloudflare is certain comes from bots (headless browsers, \
            scripts, scanners) reaches the origin although the plan pays for stopping it.",
        remediation: "Set Definitely automated traffic to Block or Managed Challenge (and Likely \
            automated to Managed Challenge on Business), allowing verified bots.",
        terraform: "resource \"cloudflare_bot_management\" \"{zone_name}\" {\n  zone_id                   = \"{zone_id}\"\n  sbfm_definitely_automated = \"block\"\n  sbfm_likely_automated     = \"managed_challenge\"\n  sbfm_verified_bots        = \"allow\"\n}",
        api: "PUT /zones/{zone_id}/bot_management {\"sbfm_definitely_automated\":\"block\",\"sbfm_likely_automated\":\"managed_challenge\",\"sbfm_verified_bots\":\"allow\"}",
        compliance: &["ASVS-4.0.3:11.1.4", "ASVS-5.0.0:2.4.1", "NIST-800-53r5:SI-4"],
        prowler: None,
        eval: Eval::Zone(sbfm_definitely_automated),
    },
    Check {
        id: "bot_management_ai_bots_blocked",
        title: "AI crawlers are blocked",
        severity: Severity::Info,
        resource_type: "zone",
        sections: &["bot_management"],
        description: "Reads `ai_bots_protection`. Passes for `block` (and `only_on_ad_pages`, noted); \
            fails for `disabled`.",
        risk: "AI training crawlers copy the site's content; whether that is acceptable is a business \
            decision, so this is informational.",
        remediation: "Set Block AI bots to Block (Security > Bots) if the content should not be used \
            for AI training.",
        terraform: "resource \"cloudflare_bot_management\" \"{zone_name}\" {\n  zone_id            = \"{zone_id}\"\n  ai_bots_protection = \"block\"\n}",
        api: "PUT /zones/{zone_id}/bot_management {\"ai_bots_protection\":\"block\"}",
        compliance: &[],
        prowler: None,
        eval: Eval::Zone(ai_bots),
    },
];

fn config<'a>(ctx: &ZoneContext<'a>, out: &mut Evaluation) -> Option<&'a BotManagement> {
    let bm = ctx.zone.bot_management.as_ref();
    if bm.is_none() {
        out.unknown(
            ctx.zone_resource(),
            "the snapshot has no bot management configuration for the zone",
        );
    }
    bm
}

fn text<'a>(bm: &'a BotManagement, key: &str) -> Option<&'a Value> {
    bm.extra.get(key).filter(|v| !v.is_null())
}

fn sbfm_summary(bm: &BotManagement) -> String {
    [
        "sbfm_definitely_automated",
        "sbfm_likely_automated",
        "sbfm_verified_bots",
    ]
    .iter()
    .filter_map(|k| text(bm, k).map(|v| format!("{k} {}", show(v))))
    .collect::<Vec<_>>()
    .join(", ")
}

fn bot_fight_mode(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(bm) = config(ctx, out) else {
        return;
    };
    if bm.fight_mode.copied() == Some(true) {
        return out.pass(
            ctx.zone_resource(),
            "Bot Fight Mode is on (`fight_mode` true)",
        );
    }
    let fight = bm
        .fight_mode
        .copied()
        .map_or("absent".to_owned(), |b| b.to_string());
    match text(bm, "sbfm_definitely_automated").map(|v| (v, v.as_str())) {
        Some((_, Some(action @ ("block" | "managed_challenge")))) => out.pass(
            ctx.zone_resource(),
            format!(
                "Super Bot Fight Mode {action}s definitely automated traffic ({})",
                sbfm_summary(bm)
            ),
        ),
        Some((_, Some("allow"))) => out.fail(
            ctx.zone_resource(),
            format!(
                "`fight_mode` is {fight} and Super Bot Fight Mode allows definitely automated traffic ({})",
                sbfm_summary(bm)
            ),
        ),
        Some((v, _)) => out.unknown(
            ctx.zone_resource(),
            format!(
                "`fight_mode` is {fight} and `sbfm_definitely_automated` is {}, a value cfcp does not recognise",
                show(v)
            ),
        ),
        None if bm.fight_mode.copied() == Some(false)
            && !ctx
                .zone
                .zone
                .plan_name()
                .is_some_and(|p| p.contains("Enterprise")) =>
        {
            out.fail(
                ctx.zone_resource(),
                "Bot Fight Mode is off (`fight_mode` false) and the zone has no Super Bot Fight Mode configuration",
            )
        }
        None => out.unknown(
            ctx.zone_resource(),
            format!(
                "`fight_mode` is {fight} and there is no Super Bot Fight Mode configuration; an Enterprise zone mitigates bots through bot-score rules, which this check does not read"
            ),
        ),
    }
}

fn sbfm_definitely_automated(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(bm) = config(ctx, out) else {
        return;
    };
    // Not applicable to zones without Super Bot Fight Mode (Free: see zone_bot_fight_mode_enabled).
    let Some(value) = text(bm, "sbfm_definitely_automated") else {
        return;
    };
    match value.as_str() {
        Some("block" | "managed_challenge") => {
            out.pass(ctx.zone_resource(), sbfm_summary(bm))
        }
        Some("allow") => out.fail(
            ctx.zone_resource(),
            format!(
                "definitely automated traffic is allowed ({})",
                sbfm_summary(bm)
            ),
        ),
        _ => out.unknown(
            ctx.zone_resource(),
            format!(
                "`sbfm_definitely_automated` is {}, a value cfcp does not recognise (expected allow, block or managed_challenge)",
                show(value)
            ),
        ),
    }
}

fn ai_bots(ctx: &ZoneContext<'_>, out: &mut Evaluation) {
    let Some(bm) = config(ctx, out) else {
        return;
    };
    let Some(value) = text(bm, "ai_bots_protection") else {
        return out.unknown(
            ctx.zone_resource(),
            "the bot management configuration has no `ai_bots_protection`",
        );
    };
    match value.as_str() {
        Some("block") => out.pass(ctx.zone_resource(), "`ai_bots_protection` is \"block\""),
        Some("only_on_ad_pages") => out.pass(
            ctx.zone_resource(),
            "`ai_bots_protection` is \"only_on_ad_pages\": AI crawlers are blocked on pages with ads only",
        ),
        Some("disabled") => out.fail(
            ctx.zone_resource(),
            "`ai_bots_protection` is \"disabled\": AI crawlers are not blocked",
        ),
        _ => out.unknown(
            ctx.zone_resource(),
            format!(
                "`ai_bots_protection` is {}, a value cfcp does not recognise",
                show(value)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::zone_settings::test_support::*;
    use crate::invariants::Status;
    use crate::snapshot::Field;

    #[test]
    fn bot_fight_mode() {
        let id = "zone_bot_fight_mode_enabled";
        expect(&demo(), id, SHOP, Status::Pass, "`fight_mode` true");
        expect(
            &demo(),
            id,
            INTERNAL,
            Status::Fail,
            "no Super Bot Fight Mode",
        );
        expect(
            &demo(),
            id,
            API,
            Status::Fail,
            "allows definitely automated traffic (sbfm_definitely_automated \"allow\"",
        );
        // Super Bot Fight Mode blocking passes although fight_mode is false.
        let mut s = demo();
        if let Some(bm) = zone_mut(&mut s, API).bot_management.as_mut() {
            bm.extra.insert(
                "sbfm_definitely_automated".into(),
                json!("managed_challenge"),
            );
        }
        expect(
            &s,
            id,
            API,
            Status::Pass,
            "managed_challenges definitely automated",
        );
        // Enterprise without either: UNKNOWN.
        let mut s = demo();
        let z = zone_mut(&mut s, INTERNAL);
        z.zone.plan = Field::Value(json!({"name": "Enterprise Website"}));
        expect(&s, id, INTERNAL, Status::Unknown, "bot-score rules");
        let mut s = demo();
        if let Some(bm) = zone_mut(&mut s, API).bot_management.as_mut() {
            bm.extra
                .insert("sbfm_definitely_automated".into(), json!(42));
        }
        expect(&s, id, API, Status::Unknown, "42");
    }

    #[test]
    fn sbfm_definitely_automated() {
        let id = "bot_sbfm_definitely_automated_blocked";
        expect(
            &demo(),
            id,
            API,
            Status::Fail,
            "definitely automated traffic is allowed",
        );
        expect(
            &demo(),
            id,
            SHOP,
            Status::Pass,
            "sbfm_definitely_automated \"block\"",
        );
        // Free zone without SBFM fields: not applicable.
        assert!(on(&demo(), id, INTERNAL).is_empty());
    }

    #[test]
    fn ai_bots() {
        let id = "bot_management_ai_bots_blocked";
        expect(&demo(), id, SHOP, Status::Pass, "\"block\"");
        expect(&demo(), id, API, Status::Fail, "\"disabled\"");
    }

    #[test]
    fn missing_bot_management_is_unknown() {
        let mut s = demo();
        zone_mut(&mut s, SHOP).bot_management = None;
        for id in [
            "zone_bot_fight_mode_enabled",
            "bot_sbfm_definitely_automated_blocked",
            "bot_management_ai_bots_blocked",
        ] {
            expect(&s, id, SHOP, Status::Unknown, "not in the snapshot");
        }
        let mut s = demo();
        s.gaps.push(crate::snapshot::Gap {
            zone: Some(SHOP.into()),
            account: None,
            section: "bot_management".into(),
            reason: "403 Forbidden".into(),
        });
        expect(
            &s,
            "zone_bot_fight_mode_enabled",
            SHOP,
            Status::Unknown,
            "403",
        );
    }
}
