//! `/rank` draws the member's `/card background`: fetched by the bot through its checked image
//! client (here from a loopback server the test config allows), and the card changes with it.

use std::time::Duration;

use crate::card_support::{Reply, picture, serve};
use questline_tests::fake_discord::harness::start_bot_fetching_loopback_images;
use questline_tests::fake_discord::{ALICE, FakeDiscord, GENERAL, GUILD, events};
use serde_json::json;

/// View Channel and Send Messages: a member, not an admin.
const MEMBER: u64 = 0x400 | 0x800;
const WAIT: Duration = Duration::from_secs(20);

/// Runs `/rank` and returns the PNG it edits in.
async fn rank_png(fake: &FakeDiscord) -> Vec<u8> {
    let id = fake.id();
    fake.dispatch(
        "INTERACTION_CREATE",
        events::interaction(id, ALICE, "alice", "rank", vec![], MEMBER),
    );
    let edit = fake
        .wait_for("the rank card", WAIT, |c| {
            c.method == "PATCH" && c.path.ends_with(&format!("/token-{id}/messages/@original"))
        })
        .await;
    edit.files
        .iter()
        .find(|f| f.field == "files[0]")
        .expect("files[0] part")
        .bytes
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rank_draws_the_members_card_background() {
    let images = serve(|_| Reply::Body(200, picture(64, 32, [220, 20, 20]))).await;
    let fake = FakeDiscord::start().await;
    let t = start_bot_fetching_loopback_images(&fake).await;
    fake.dispatch(
        "MESSAGE_CREATE",
        events::message(fake.id(), GENERAL, ALICE, "alice", "hi"),
    );
    let deadline = std::time::Instant::now() + WAIT;
    while t
        .bot
        .db
        .get_user_level(GUILD, ALICE)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        assert!(std::time::Instant::now() < deadline, "no XP recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let plain = rank_png(&fake).await;
    assert_eq!(images.hits(), 0, "no background set, nothing fetched");

    let id = fake.id();
    fake.dispatch(
        "INTERACTION_CREATE",
        events::interaction(
            id,
            ALICE,
            "alice",
            "card",
            vec![events::sub(
                "background",
                vec![events::opt("url", 3, json!(images.url("/bg.png")))],
            )],
            MEMBER,
        ),
    );
    fake.wait_for("the /card answer", WAIT, |c| {
        c.method == "POST"
            && c.path == format!("/interactions/{id}/token-{id}/callback")
            && c.json
                .as_ref()
                .is_some_and(|j| j.to_string().contains("background"))
    })
    .await;

    let drawn = rank_png(&fake).await;
    assert!(images.hits() >= 1, "the background was not fetched");
    let (a, b) = (
        image::load_from_memory(&plain).expect("png").to_rgba8(),
        image::load_from_memory(&drawn).expect("png").to_rgba8(),
    );
    assert_eq!(a.dimensions(), b.dimensions());
    let differing = a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
    assert!(
        differing > (a.width() * a.height() / 10) as usize,
        "the card barely changed with a background ({differing} pixels)"
    );
    t.bot.shutdown().await;
}
