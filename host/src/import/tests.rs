//! Parsing tests: tolerant of real-world mess, strict about what is not the format.

use super::*;

fn plan(format: Format, json: &str) -> ImportPlan {
    parse(format, json.as_bytes()).expect("parses")
}

#[test]
fn mee6_players_rewards_and_messy_rows() {
    let p = plan(
        Format::Mee6,
        r#"{
          "guild": {"id": "1"}, "player": null, "xp_per_message": [15, 25], "xp_rate": 1,
          "page": 0, "banner_url": null,
          "players": [
            {"id": "111", "username": "a", "level": 5, "xp": 1200, "message_count": 80,
             "detailed_xp": [50, 255, 1200], "avatar": "x", "guild_id": "1"},
            {"id": 222, "xp": "300"},
            {"id": "333", "detailed_xp": [0, 100, 4675]},
            {"id": "abc", "xp": 5},
            {"id": "444", "xp": -3},
            {"id": "555"},
            "not an object",
            {"id": "111", "xp": 9}
          ],
          "role_rewards": [
            {"rank": 5, "role": {"id": "9001", "name": "Active", "color": 0}},
            {"role_id": "9002", "rank": "10"},
            {"rank": 3}
          ]
        }"#,
    );
    let ids: Vec<(u64, i64)> = p.members.iter().map(|m| (m.user_id, m.xp)).collect();
    assert_eq!(ids, [(111, 1200), (222, 300), (333, 4675)]);
    assert_eq!(p.members[0].counters.map(|c| c.messages), Some(80));
    let roles: Vec<(u64, i32)> = p.roles.iter().map(|r| (r.role_id, r.level)).collect();
    assert_eq!(roles, [(9001, 5), (9002, 10)]);
    let reasons: Vec<String> = p
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.row, s.reason))
        .collect();
    assert_eq!(reasons.len(), 6, "{reasons:#?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("players[3]") && r.contains("`abc`")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("players[4]") && r.contains("negative")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("players[5]") && r.contains("no xp")),
        "{reasons:#?}"
    );
    assert!(
        reasons.iter().any(|r| r.starts_with("role_rewards[2]")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("member 111") && r.contains("more than once")),
        "{reasons:#?}"
    );
}

#[test]
fn mee6_list_of_pages() {
    let p = plan(
        Format::Mee6,
        r#"[{"page": 0, "players": [{"id": "1", "xp": 10}]}, {"page": 1, "players": [{"id": "2", "xp": 20}]}, {"page": 2, "players": []}]"#,
    );
    assert_eq!(p.members.len(), 2);
}

#[test]
fn polaris_both_shapes() {
    let p = plan(
        Format::Polaris,
        r#"{"users": {"10": {"xp": 500, "cooldown": 1700000000000}, "11": {"xp": "42", "hidden": true}, "x": {"xp": 1}}, "settings": {"enabled": true}}"#,
    );
    assert_eq!(p.members.len(), 2);
    let hidden = p.members.iter().find(|m| m.user_id == 11).expect("11");
    assert_eq!((hidden.xp, hidden.hidden), (42, Some(true)));
    assert_eq!(p.skipped.len(), 1);
    assert!(
        !p.notes.is_empty(),
        "settings are mentioned as not imported"
    );
    let bare = plan(Format::Polaris, r#"{"10": {"xp": 1}, "12": 7}"#);
    assert_eq!(bare.members.len(), 2);
}

#[test]
fn experienced_list() {
    let p = plan(
        Format::Experienced,
        r#"[{"id": "1", "xp": 10, "extra": true}, {"id": "2", "xp": 2.0}, {"xp": 3}]"#,
    );
    assert_eq!(p.members.len(), 2);
    assert_eq!(p.skipped[0].row, "[2]");
}

#[test]
fn whole_file_errors_say_what_is_wrong() {
    let err = parse(Format::Experienced, b"{\"id\": 1}").expect_err("object, not list");
    assert!(
        err.to_string().contains("not a experienced export")
            || err.to_string().contains("experienced"),
        "{err}"
    );
    let err = parse(Format::Mee6, b"[1, 2").expect_err("truncated");
    assert!(matches!(err, ImportError::Json(_)), "{err}");
    let err = parse(Format::Mee6, br#"{"guild": {}}"#).expect_err("no players");
    assert!(err.to_string().contains("players"), "{err}");
    let err = parse(Format::Experienced, br#"[{"id": "x", "xp": 1}]"#).expect_err("nothing valid");
    assert!(matches!(err, ImportError::Empty { skipped: 1 }), "{err}");
    let err = parse(Format::Questline, br#"{"format": "other", "members": []}"#).expect_err("tag");
    assert!(err.to_string().contains("questline-export"), "{err}");
}

#[test]
fn byte_order_mark_is_ignored() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(br#"[{"id": "1", "xp": 1}]"#);
    assert_eq!(
        parse(Format::Experienced, &bytes)
            .expect("parses")
            .members
            .len(),
        1
    );
}
