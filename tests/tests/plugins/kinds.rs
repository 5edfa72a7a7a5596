//! Every kind through the real GOOD fixture component, and the host imports it uses (kv,
//! config, clock, seeded random, log), as the engine will call them.

use crate::support::*;
use questline::plugins::{
    AchievementDef, CallContext, CardData, CheckInput, CommandInvocation, Difficulty, Intent,
    MemberRun, PluginError, PluginKind, ProgressStep, QuestCategory, QuestDef, QuestProgress,
    RefreshCycle,
};
use questline_tests::fixtures;

const GOOD: &str = "fixture-good";

fn invocation(name: &str) -> CommandInvocation {
    CommandInvocation {
        name: name.into(),
        options: vec![],
        guild: 42,
        channel: 100,
        user: 1,
        roles: vec![],
        at: 0,
        stats: stats(),
    }
}

fn reply_text(result: Result<Vec<Intent>, String>) -> String {
    match result.expect("command ran").as_slice() {
        [Intent::Reply(reply)] => reply.content.clone(),
        other => panic!("unexpected intents {other:?}"),
    }
}

#[test]
fn metadata_and_kind_discovery() {
    let t = host();
    assert_eq!(load_fixture(&t.host, fixtures::GOOD_V1), GOOD);
    let info = t.host.info(GOOD).unwrap();
    assert_eq!(info.version, "1.0.0");
    assert_eq!(info.kinds, PluginKind::ALL.to_vec());
    assert_eq!(info.contract, "0.2.0");
    assert_eq!(t.host.metadata_blocking(GOOD).unwrap(), info);
    for kind in PluginKind::ALL {
        assert_eq!(t.host.plugins_with_kind(kind), vec![GOOD.to_owned()]);
    }
    // A hostile fixture exports only xp-formula: asking it for another kind is refused.
    let bad = load_fixture(&t.host, fixtures::TRAP);
    assert_eq!(
        t.host.plugins_with_kind(PluginKind::CardStyle),
        vec![GOOD.to_owned()]
    );
    let err = t.host.card_styles_blocking(&bad, &ctx()).unwrap_err();
    assert!(matches!(err, PluginError::MissingKind { .. }), "{err:?}");
    let err = t.host.card_styles_blocking("nope", &ctx()).unwrap_err();
    assert!(matches!(err, PluginError::NotLoaded { .. }), "{err:?}");
}

#[test]
fn each_kind_answers() {
    let t = host();
    load_fixture(&t.host, fixtures::GOOD_V1);
    let h = &t.host;
    let c = ctx();

    assert_eq!(
        h.xp_for_activities_blocking(GOOD, &c, &xp_items(5))
            .unwrap(),
        vec![10; 5]
    );
    assert_eq!(h.total_xp_for_level_blocking(GOOD, &c, 7).unwrap(), 700);

    assert_eq!(
        h.quest_requirement_types_blocking(GOOD, &c).unwrap(),
        vec!["fixture_messages"]
    );
    let templates = h
        .quest_templates_blocking(GOOD, &c, RefreshCycle::Weekly, Some(Difficulty::Easy))
        .unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].refresh_cycle, RefreshCycle::Weekly);
    let quest = QuestDef {
        id: 1,
        name: "q".into(),
        description: "d".into(),
        quest_type: QuestCategory::Daily,
        requirement_type: "fixture_messages".into(),
        requirement_value: 3,
        reward_xp: 50,
        reward_multiplier: 1.0,
        refresh_cycle: RefreshCycle::Daily,
        difficulty: Difficulty::Easy,
        expires_at: None,
    };
    let run = |progress, steps: &[u64]| MemberRun {
        current: vec![QuestProgress {
            progress,
            quest_specific_progress: progress,
            completed: false,
        }],
        steps: steps
            .iter()
            .map(|&channel| ProgressStep {
                activity: activity(channel),
                stats: stats(),
            })
            .collect(),
    };
    let progress = h
        .quest_progress_blocking(
            GOOD,
            &c,
            std::slice::from_ref(&quest),
            &[run(0, &[0]), run(2, &[0]), run(0, &[0, 0, 0, 0])],
        )
        .unwrap();
    let outcome = |r: usize| progress[r][0].expect("a message moves the quest");
    assert_eq!(
        (outcome(0).progress.progress, outcome(0).progress.completed),
        (1, false)
    );
    assert_eq!(
        (outcome(1).progress.completed, outcome(1).completed_at),
        (true, Some(0))
    );
    assert_eq!(
        (outcome(2).progress.progress, outcome(2).completed_at),
        (3, Some(2)),
        "the third message of a run completes a 3-message quest; the fourth changes nothing"
    );

    assert_eq!(
        h.achievement_requirement_types_blocking(GOOD, &c).unwrap(),
        vec!["fixture_level"]
    );
    assert_eq!(h.achievement_defaults_blocking(GOOD, &c).unwrap().len(), 1);
    let def = |id, value| AchievementDef {
        id,
        name: "a".into(),
        description: "d".into(),
        requirement_type: "fixture_level".into(),
        requirement_value: value,
        reward_xp: 10,
    };
    let mut member = stats();
    member.level = 3;
    let checked = h
        .achievement_check_blocking(
            GOOD,
            &c,
            &[def(11, 2), def(12, 5), def(13, 1)],
            &[
                CheckInput {
                    user: 1,
                    stats: member,
                    candidates: vec![11, 12],
                },
                // Holds 13 already (not offered) and qualifies for 11.
                CheckInput {
                    user: 2,
                    stats: member,
                    candidates: vec![11],
                },
            ],
        )
        .unwrap();
    assert_eq!(checked, vec![vec![11], vec![11]]);

    assert_eq!(h.card_styles_blocking(GOOD, &c).unwrap(), vec!["fixture"]);
    let card = CardData {
        width: 934,
        height: 282,
        display_name: "<Ann>".into(),
        avatar: None,
        level: 4,
        rank: Some(1),
        xp_into_level: 10,
        level_span: 100,
        total_xp: 410,
        primary_color: "#000000".into(),
        secondary_color: "#111111".into(),
        border_color: "#222222".into(),
        text_color: "#ffffff".into(),
        background: None,
        guild_name: "g".into(),
    };
    let svg = h
        .card_render_blocking(GOOD, &c, "fixture", &card)
        .unwrap()
        .unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("_Ann_ L4"), "{svg}");
    let refused = h.card_render_blocking(GOOD, &c, "other", &card).unwrap();
    assert_eq!(refused, Err("unknown style other".to_owned()));

    let specs = h.command_specs_blocking(GOOD, &c).unwrap();
    assert_eq!(specs[0].name, "fixture-echo");
    assert_eq!(
        h.command_run_blocking(GOOD, &c, &invocation("nope"))
            .unwrap(),
        Err("unknown command nope".to_owned())
    );
}

#[tokio::test]
async fn host_imports_come_from_the_call_context() {
    let t = host();
    load_fixture(&t.host, fixtures::GOOD_V1);
    let call = CallContext {
        guild: 42,
        config_json: r#"{"bonus":5}"#.into(),
        now_ms: 1_234_567,
        seed: 99,
    };
    let run = |ctx: CallContext| {
        let host = t.host.clone();
        async move {
            reply_text(
                host.command_run(GOOD, &ctx, invocation("fixture-echo"))
                    .await
                    .unwrap(),
            )
        }
    };
    let first = run(call.clone()).await;
    assert!(
        first.starts_with("version=1.0.0 uses=1 now=1234567 random="),
        "{first}"
    );
    assert!(first.ends_with(r#"config={"bonus":5}"#), "{first}");
    // kv persists per plugin and guild; the same seed gives the same random draw.
    let second = run(call.clone()).await;
    assert!(second.contains("uses=2"), "{second}");
    let random = |s: &str| {
        s.split("random=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(random(&first), random(&second));
    // Another guild has its own store; an unset config reads as `{}`.
    let other = run(CallContext::new(7, 0, 99)).await;
    assert!(other.contains("uses=1 now=0"), "{other}");
    assert!(other.ends_with("config={}"), "{other}");
}
