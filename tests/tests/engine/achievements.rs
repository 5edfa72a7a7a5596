//! Achievements with the real `core-achievements` plugin: defaults seeded for a new guild,
//! each earned once, reward XP in the same transaction.

use crate::support::*;
use chrono::Duration;
use questline::engine::Effect;

both_backends! {
    async fn achievements_are_earned_once_with_their_reward(t) {
        let start = at("2026-01-05T10:00:00Z");
        let mut h = Harness::new(&t, engine_config(), start).await;
        h.batch(vec![msg(7, 1, start)]).await;
        let defs = h.db.list_achievements(GUILD).await.expect("defaults seeded");
        assert!(defs.len() >= 10, "core-achievements defaults: {}", defs.len());
        let first_words = defs.iter().find(|a| a.name == "First Words").expect("First Words");
        let earned = h.db.get_user_achievements(GUILD, 7).await.expect("earned");
        assert_eq!(earned.iter().map(|(_, a)| a.id).collect::<Vec<_>>(), vec![first_words.id]);
        let xp = h.xp(7).await;
        assert!((15 + first_words.reward_xp..=25 + first_words.reward_xp).contains(&xp), "reward applied: {xp}");
        let effects = h.effects();
        let grants: Vec<i64> = effects.iter().filter_map(|e| match e {
            Effect::AchievementEarned { achievement_id, .. } => Some(*achievement_id),
            _ => None,
        }).collect();
        assert_eq!(grants, vec![first_words.id]);
        // More messages, replays, a second engine: never again.
        for i in 0..5 {
            h.batch(vec![msg(7, 10 + i, start + Duration::seconds(61 * (i as i64 + 1))), msg(7, 1, start)]).await;
        }
        let mut other = Harness::with(h.db.clone(), h.plugins.clone(), engine_config(), start);
        other.batch(vec![msg(7, 99, start + Duration::seconds(1000))]).await;
        let again: Vec<Effect> = h.effects().into_iter().chain(other.effects()).filter(|e| matches!(e, Effect::AchievementEarned { .. })).collect();
        assert!(again.is_empty(), "{again:?}");
        assert_eq!(h.db.get_user_achievements(GUILD, 7).await.expect("earned").len(), 1);
    }
}
