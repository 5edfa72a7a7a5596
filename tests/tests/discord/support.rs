//! What the Discord tests share: running a slash command as a member, reading the answer's
//! flags, waiting for XP, and checking every call against Discord's spec and rules.

use std::time::Duration;

use questline_tests::fake_discord::harness::TestBot;
use questline_tests::fake_discord::spec::{Spec, check_discord_rules};
use questline_tests::fake_discord::{ALICE, BOB, Call, FakeDiscord, GUILD, events};
use serde_json::Value;

pub const WAIT: Duration = Duration::from_secs(30);
/// Manage Server.
pub const ADMIN: u64 = 0x20;
/// View Channel and Send Messages: a member, not an admin.
pub const MEMBER: u64 = 0x400 | 0x800;
pub const EPHEMERAL: u64 = 1 << 6;

/// Every call so far follows Discord's spec and rules.
pub fn check_all(fake: &FakeDiscord) {
    let spec = Spec::load();
    let calls = fake.calls();
    assert!(!calls.is_empty());
    for call in &calls {
        if call.method == "GET" {
            continue;
        }
        spec.check(call).unwrap_or_else(|e| panic!("{e}"));
        check_discord_rules(call).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Runs `/command` as `user` (named `name`, holding `permissions`) and returns the
/// interaction callback the bot sent. Alice and Bob are resolved for user options.
pub async fn run_command(
    fake: &FakeDiscord,
    user: u64,
    name: &str,
    command: &str,
    options: Vec<Value>,
    permissions: u64,
) -> Call {
    let id = fake.id();
    let interaction = events::resolve_users(
        events::interaction(id, user, name, command, options, permissions),
        &[(ALICE, "alice"), (BOB, "bob")],
    );
    fake.dispatch("INTERACTION_CREATE", interaction);
    let path = format!("/interactions/{id}/token-{id}/callback");
    fake.wait_for(&format!("the answer to /{command}"), WAIT, |c| {
        c.method == "POST" && c.path == path
    })
    .await
}

/// The answer's message flags (64: only the invoker sees it).
pub fn flags(call: &Call) -> u64 {
    call.json
        .as_ref()
        .and_then(|j| j.pointer("/data/flags"))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

pub async fn xp_of(t: &TestBot, user: u64) -> i64 {
    t.bot
        .db
        .get_user_level(GUILD, user)
        .await
        .expect("read level")
        .map_or(0, |m| m.xp)
}

/// Waits until `user` has XP (the gateway event was handled and its batch committed).
pub async fn wait_xp(t: &TestBot, user: u64) -> i64 {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        t.bot.settle().await.unwrap();
        let xp = xp_of(t, user).await;
        if xp > 0 {
            return xp;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{user} never got XP"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
