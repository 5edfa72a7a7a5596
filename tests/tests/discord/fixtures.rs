//! The fake Discord's fixtures must be what serenity 0.12.5 accepts: an event that lacks a
//! required field silently becomes `GatewayEvent::Unknown`-like (`Event::Unknown`) and the
//! bot's handler never runs. Each fixture, and each event the scenario builders make from
//! them, is deserialized here as serenity does it.

use questline_tests::fake_discord::events::{self, FIXTURES};
use serde_json::{Value, json};
use serenity::all::{Event, GatewayEvent, Message};

fn frame(t: &str, d: Value) -> Value {
    json!({"op": 0, "s": 1, "t": t, "d": d})
}

fn dispatch(name: &str, v: Value) -> Event {
    let text = v.to_string();
    let ev: GatewayEvent = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{name} does not deserialize as a GatewayEvent: {e}"));
    match ev {
        GatewayEvent::Dispatch(_, event) => {
            assert!(
                !matches!(event, Event::Unknown(_)),
                "{name} fell back to Event::Unknown: serenity would never call the handler"
            );
            event
        }
        other => panic!("{name} is not a dispatch: {other:?}"),
    }
}

#[test]
fn every_gateway_fixture_is_a_known_event() {
    let mut checked = 0;
    for (name, text) in FIXTURES {
        let v: Value = serde_json::from_str(text).expect("fixture is JSON");
        if v.get("op").is_some() {
            dispatch(name, v);
            checked += 1;
        } else {
            serde_json::from_value::<Message>(v)
                .unwrap_or_else(|e| panic!("{name} is not a serenity Message: {e}"));
        }
    }
    assert_eq!(checked, FIXTURES.len() - 1);
}

#[test]
fn scenario_events_are_known_events() {
    let cases = [
        ("READY", events::ready()),
        ("GUILD_CREATE", events::guild_create()),
        (
            "MESSAGE_CREATE",
            events::message(1, 2, 3, "carol", "hello there"),
        ),
        ("MESSAGE_CREATE", events::bot_message(1, 2, 3)),
        ("MESSAGE_CREATE", events::dm_message(1, 3)),
        ("MESSAGE_CREATE", events::webhook_message(1, 2)),
        ("MESSAGE_REACTION_ADD", events::reaction(3, "carol", 1)),
        (
            "VOICE_STATE_UPDATE",
            events::voice(3, "carol", Some(4), true),
        ),
        ("VOICE_STATE_UPDATE", events::voice(3, "carol", None, false)),
        ("GUILD_MEMBER_REMOVE", events::member_remove(3, "carol")),
        (
            "INTERACTION_CREATE",
            events::resolve_attachment(
                events::interaction(
                    10,
                    3,
                    "carol",
                    "import",
                    vec![
                        events::opt("format", 3, json!("mee6")),
                        events::opt("file", 11, json!("77")),
                    ],
                    0x20,
                ),
                77,
                "mee6.json",
                "http://127.0.0.1:1/attachments/mee6.json",
                12,
            ),
        ),
        (
            "INTERACTION_CREATE",
            events::resolve_users(
                events::interaction(
                    9,
                    3,
                    "carol",
                    "xp",
                    vec![events::sub(
                        "add",
                        vec![
                            events::opt("member", 6, json!("4")),
                            events::opt("amount", 4, json!(10)),
                        ],
                    )],
                    0x20,
                ),
                &[(4, "dave")],
            ),
        ),
    ];
    for (t, d) in cases {
        let event = dispatch(t, frame(t, d));
        if let Event::InteractionCreate(i) = &event {
            let cmd = i.interaction.as_command().expect("a command interaction");
            if cmd.data.name == "import" {
                assert_eq!(
                    cmd.data.resolved.attachments.len(),
                    1,
                    "the file is resolved"
                );
                continue;
            }
            assert_eq!(cmd.data.name, "xp");
            assert!(cmd.member.as_ref().and_then(|m| m.permissions).is_some());
        }
        if let Event::MessageCreate(m) = &event
            && m.message.guild_id.is_some()
        {
            assert!(
                m.message.member.is_some(),
                "guild messages carry the member"
            );
        }
    }
}

#[test]
fn the_rest_message_object_deserializes() {
    let m: Message = serde_json::from_value(events::message_object()).expect("Message");
    assert!(m.author.bot);
}
