//! Commands that move files, through the real serenity client against the fake Discord:
//! `/import` fetches the attached export from the (fake) CDN on 127.0.0.1 and writes it,
//! `/export` answers with the guild as a JSON attachment, and `/gdpr` gives a member their
//! own data or erases it.

use std::time::Duration;

use questline_tests::fake_discord::harness::{TestBot, start_bot_with, test_config};
use questline_tests::fake_discord::spec::{Spec, check_discord_rules};
use questline_tests::fake_discord::{ALICE, APP_ID, BOB, Call, FakeDiscord, GUILD, events};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);
const ADMIN: u64 = 0x20;
const MEMBER: u64 = 0x400 | 0x800;
const EPHEMERAL: u64 = 1 << 6;
const CAROL: u64 = 200_000_000_000_000_003;

fn check_all(fake: &FakeDiscord) {
    let spec = Spec::load();
    for call in fake.calls().iter().filter(|c| c.method != "GET") {
        spec.check(call).unwrap_or_else(|e| panic!("{e}"));
        check_discord_rules(call).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// What the bot answered: the first callback, and the edited-in answer when it deferred.
struct Answer {
    first: Call,
    last: Call,
}

impl Answer {
    fn text(&self) -> String {
        self.last.content().unwrap_or_default()
    }

    fn ephemeral(&self) -> bool {
        let f = self
            .first
            .json
            .as_ref()
            .and_then(|j| j.pointer("/data/flags"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        f & EPHEMERAL == EPHEMERAL
    }

    fn file(&self) -> Option<Value> {
        let f = self.last.files.iter().find(|f| f.field == "files[0]")?;
        Some(serde_json::from_slice(&f.bytes).expect("the attached file is JSON"))
    }
}

/// Dispatches `interaction` (id `id`) and waits for the answer, following a deferral.
async fn answer(fake: &FakeDiscord, id: u64, interaction: Value) -> Answer {
    fake.dispatch("INTERACTION_CREATE", interaction);
    let cb = format!("/interactions/{id}/token-{id}/callback");
    let first = fake
        .wait_for("the interaction callback", WAIT, |c| {
            c.method == "POST" && c.path == cb
        })
        .await;
    let deferred = first.json.as_ref().is_some_and(|j| j["type"] == json!(5));
    let last = if deferred {
        let edit = format!("/webhooks/{APP_ID}/token-{id}/messages/@original");
        fake.wait_for("the deferred answer", WAIT, |c| {
            c.method == "PATCH" && c.path == edit
        })
        .await
    } else {
        first.clone()
    };
    Answer { first, last }
}

async fn run(
    fake: &FakeDiscord,
    user: u64,
    command: &str,
    options: Vec<Value>,
    permissions: u64,
) -> Answer {
    let id = fake.id();
    let i = events::interaction(id, user, "someone", command, options, permissions);
    answer(fake, id, i).await
}

/// `/import format:<format> file:<name> [mode]`, the file served by the fake CDN.
async fn import(
    fake: &FakeDiscord,
    permissions: u64,
    format: &str,
    name: &str,
    bytes: Vec<u8>,
    mode: Option<&str>,
) -> Answer {
    let size = bytes.len();
    let url = fake.serve_file(name, bytes);
    let id = fake.id();
    let file_id = fake.id();
    let mut options = vec![
        events::opt("format", 3, json!(format)),
        events::opt("file", 11, json!(file_id.to_string())),
    ];
    if let Some(m) = mode {
        options.push(events::opt("mode", 3, json!(m)));
    }
    let i = events::resolve_attachment(
        events::interaction(id, ALICE, "alice", "import", options, permissions),
        file_id,
        name,
        &url,
        size,
    );
    answer(fake, id, i).await
}

async fn xp_of(t: &TestBot, user: u64) -> Option<i64> {
    t.bot
        .db
        .get_user_level(GUILD, user)
        .await
        .expect("read level")
        .map(|m| m.xp)
}

fn fetched(fake: &FakeDiscord, name: &str) -> usize {
    fake.calls()
        .iter()
        .filter(|c| c.method == "GET" && c.path == format!("/attachments/{name}"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_export_and_a_members_own_data() {
    let fake = FakeDiscord::start().await;
    // No generated quests (a "use N commands" quest would add its reward to the XP this
    // test checks exactly).
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&fake, dir.path());
    config.engine.quests = questline::engine::QuestCounts {
        daily: 0,
        weekly: 0,
        monthly: 0,
    };
    let t = start_bot_with(&fake, config, dir).await;
    // No default achievements: XP here must come from what the test does (a default one,
    // e.g. "use 10 commands", would add its reward).
    t.bot
        .db
        .create_achievement(
            GUILD,
            "Unreachable",
            "",
            "level",
            1_000_000,
            0,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let mee6 = serde_json::to_vec(&json!({
        "players": [
            {"id": ALICE.to_string(), "xp": 1200, "message_count": 80},
            {"id": BOB.to_string(), "xp": "300"},
            {"id": "not-a-member", "xp": 5}
        ],
        "role_rewards": []
    }))
    .unwrap();

    // A member without Manage Server is refused before anything is downloaded.
    let refused = import(&fake, MEMBER, "mee6", "refused.json", mee6.clone(), None).await;
    assert!(
        refused.text().contains("Manage Server"),
        "{}",
        refused.text()
    );
    assert!(refused.ephemeral());
    assert_eq!(fetched(&fake, "refused.json"), 0, "fetched for a non-admin");

    // An admin's import is fetched from the CDN and written.
    let done = import(&fake, ADMIN, "mee6", "mee6.json", mee6.clone(), None).await;
    let text = done.text();
    assert!(done.ephemeral());
    assert!(text.contains("imported 2 members"), "{text}");
    assert!(text.contains("skipped 1 rows"), "{text}");
    assert_eq!(fetched(&fake, "mee6.json"), 1);
    assert_eq!(xp_of(&t, ALICE).await, Some(1200));
    assert_eq!(xp_of(&t, BOB).await, Some(300));

    // Importing again needs a mode now that members exist; `add` adds.
    let ask = import(&fake, ADMIN, "mee6", "again.json", mee6.clone(), None).await;
    assert!(
        ask.text().contains("overwrite") && ask.text().contains("add"),
        "{}",
        ask.text()
    );
    assert_eq!(fetched(&fake, "again.json"), 0);
    import(&fake, ADMIN, "mee6", "add.json", mee6.clone(), Some("add")).await;
    assert_eq!(xp_of(&t, ALICE).await, Some(2400));

    // A broken file or the wrong format changes nothing and says why.
    let broken = import(
        &fake,
        ADMIN,
        "polaris",
        "broken.json",
        b"{\"users\": [".to_vec(),
        Some("overwrite"),
    )
    .await;
    assert!(
        broken.text().contains("not valid JSON"),
        "{}",
        broken.text()
    );
    assert!(broken.ephemeral());
    let wrong = import(
        &fake,
        ADMIN,
        "experienced",
        "wrong.json",
        mee6.clone(),
        Some("overwrite"),
    )
    .await;
    assert!(
        wrong.text().contains("not a experienced export")
            || wrong.text().contains("was not imported"),
        "{}",
        wrong.text()
    );
    assert_eq!(
        xp_of(&t, ALICE).await,
        Some(2400),
        "a refused file changed XP"
    );
    // A file above the limit (by its declared size) is not downloaded.
    let url = fake.serve_file("huge.json", b"{}".to_vec());
    let id = fake.id();
    let i = events::resolve_attachment(
        events::interaction(
            id,
            ALICE,
            "alice",
            "import",
            vec![
                events::opt("format", 3, json!("mee6")),
                events::opt("file", 11, json!("77")),
            ],
            ADMIN,
        ),
        77,
        "huge.json",
        &url,
        200 * 1024 * 1024,
    );
    let huge = answer(&fake, id, i).await;
    assert!(huge.text().contains("questline import"), "{}", huge.text());
    assert_eq!(fetched(&fake, "huge.json"), 0);

    // /export: the guild as JSON, for admins only.
    let no = run(&fake, BOB, "export", vec![], MEMBER).await;
    assert!(no.text().contains("Manage Server") && no.file().is_none());
    let export = run(&fake, ALICE, "export", vec![], ADMIN).await;
    assert!(export.ephemeral());
    let doc = export.file().expect("an attached export");
    assert_eq!(doc["guild"], json!(GUILD.to_string()));
    let mut members: Vec<(String, i64)> = doc["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"].as_str().unwrap().to_string(),
                m["xp"].as_i64().unwrap(),
            )
        })
        .collect();
    members.sort();
    assert_eq!(
        members,
        vec![(ALICE.to_string(), 2400), (BOB.to_string(), 600)]
    );

    // /gdpr: Bob gets his own data, nobody else's; deleting needs confirmation.
    let mine = run(
        &fake,
        BOB,
        "gdpr",
        vec![events::sub("download", vec![])],
        MEMBER,
    )
    .await;
    assert!(mine.ephemeral());
    let data = mine.file().expect("an attached data file");
    assert_eq!(data["user_id"], json!(BOB.to_string()));
    assert_eq!(data["levels"]["xp"], json!(600));
    let unconfirmed = run(
        &fake,
        BOB,
        "gdpr",
        vec![events::sub(
            "delete",
            vec![events::opt("confirm", 5, json!(false))],
        )],
        MEMBER,
    )
    .await;
    assert!(
        unconfirmed.text().contains("confirm:True"),
        "{}",
        unconfirmed.text()
    );
    assert_eq!(xp_of(&t, BOB).await, Some(600));
    let erased = run(
        &fake,
        BOB,
        "gdpr",
        vec![events::sub(
            "delete",
            vec![events::opt("confirm", 5, json!(true))],
        )],
        MEMBER,
    )
    .await;
    assert!(erased.text().contains("Erased"), "{}", erased.text());
    assert_eq!(xp_of(&t, BOB).await, None, "Bob's data survived");
    assert_eq!(
        xp_of(&t, ALICE).await,
        Some(2400),
        "someone else's data was erased"
    );
    let nothing = run(
        &fake,
        CAROL,
        "gdpr",
        vec![events::sub("download", vec![])],
        MEMBER,
    )
    .await;
    assert_eq!(nothing.file().expect("file")["levels"], Value::Null);
    check_all(&fake);
    t.bot.shutdown().await;
}
