//! Parsing what a person types into `questline console`.
//!
//! The console is a local guild: each line is either a member speaking (`alice: hello`), a
//! slash command (`/rank alice`), or a console directive starting with `:` (`:voice carol join`,
//! `:advance 1d`). Parsing is separate from running so every form is unit-tested and a typo
//! gets a precise message instead of being taken as chat.

use std::time::Duration;

/// One parsed console line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleInput {
    /// `NAME: text`: the member posts a message.
    Message { member: String, text: String },
    /// `:react NAME`: the member reacts to the latest message.
    React { member: String },
    /// `:voice NAME join|leave|mute|unmute|deafen|undeafen`.
    Voice { member: String, state: VoiceState },
    /// `/NAME [args...]`: a slash command, run as the member named by `--as NAME` or the
    /// first argument when it is a member (`/rank alice`).
    Command { name: String, args: Vec<String> },
    /// `:advance 1d` / `2h` / `30m` / `45s` (combinable: `1d2h`): moves the console clock.
    Advance(Duration),
    /// `:purge-caches`: empties the repository's caches (after editing the database by
    /// hand, say).
    PurgeCaches,
    /// `:help`.
    Help,
    /// `:quit` or `:exit`.
    Quit,
    /// An empty line or a `#` comment.
    Nothing,
}

/// Voice state changes, as in Discord's VOICE_STATE_UPDATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiceState {
    Join,
    Leave,
    Mute,
    Unmute,
    Deafen,
    Undeafen,
}

/// Why a line could not be understood; the message says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("unknown directive `:{0}`; type :help for the list")]
    UnknownDirective(String),
    #[error("`:{directive}` needs {what}, e.g. `{example}`")]
    MissingArgument {
        directive: &'static str,
        what: &'static str,
        example: &'static str,
    },
    #[error("bad duration `{0}`: use a number followed by d, h, m or s, e.g. `1d`, `90m`, `1h30m`")]
    BadDuration(String),
    #[error("bad voice state `{0}`: use join, leave, mute, unmute, deafen or undeafen")]
    BadVoiceState(String),
    #[error(
        "member names are 1-32 letters, digits, `_`, `-` or `.`; got `{0}` (type `alice: hello` to speak as alice)"
    )]
    BadMemberName(String),
    #[error("a message needs text after the colon, e.g. `alice: hello world`")]
    EmptyMessage,
    #[error("not understood: `{0}`; speak as a member with `name: text`, or type :help")]
    NotUnderstood(String),
}

/// The console's help text.
pub const HELP: &str = "\
  alice: hello world        alice posts a message
  :react bob                bob reacts to the latest message
  :voice carol join         voice: join | leave | mute | unmute | deafen | undeafen
  :advance 1d               move the clock (d, h, m, s; e.g. 1h30m)
  /rank [alice]             rank card and stats
  /leaderboard [week] [2]   the leaderboard: all (levels), week, month or season; a page
  /seasons [name]           the running season, past ones, or one's final standings
  /season start Winter ends=30d top=3 reset
                            admin: start a season (all but the name optional); /season end
  /quests [alice]           active quests and progress
  /achievements [alice]     achievements earned
  /xp add alice 500 [why]   admin: add | remove | set XP, or `/xp reset alice` (audited)
  /daily alice              a plugin's command, run as alice (options follow, in order)
  :purge-caches             empty the database caches (after editing the database by hand)
  :help                     this list
  :quit                     leave the console";

/// Parses one line.
pub fn parse(line: &str) -> Result<ConsoleInput, InputError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(ConsoleInput::Nothing);
    }
    if let Some(rest) = line.strip_prefix(':') {
        return parse_directive(rest);
    }
    if let Some(rest) = line.strip_prefix('/') {
        let mut words = rest.split_whitespace().map(str::to_owned);
        let name = words.next().unwrap_or_default().to_lowercase();
        if name.is_empty() {
            return Err(InputError::NotUnderstood(line.to_owned()));
        }
        return Ok(ConsoleInput::Command {
            name,
            args: words.collect(),
        });
    }
    if let Some((member, text)) = line.split_once(':') {
        let member = member.trim();
        if member.contains(char::is_whitespace) {
            return Err(InputError::NotUnderstood(line.to_owned()));
        }
        let member = member_name(member)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(InputError::EmptyMessage);
        }
        return Ok(ConsoleInput::Message {
            member,
            text: text.to_owned(),
        });
    }
    Err(InputError::NotUnderstood(line.to_owned()))
}

fn parse_directive(rest: &str) -> Result<ConsoleInput, InputError> {
    let mut words = rest.split_whitespace();
    let directive = words.next().unwrap_or_default().to_lowercase();
    match directive.as_str() {
        "help" | "h" | "?" => Ok(ConsoleInput::Help),
        "quit" | "exit" | "q" => Ok(ConsoleInput::Quit),
        "purge-caches" => Ok(ConsoleInput::PurgeCaches),
        "advance" => {
            let spec = words.next().ok_or(InputError::MissingArgument {
                directive: "advance",
                what: "a duration",
                example: ":advance 1d",
            })?;
            questline_text::parse_duration(spec)
                .map(ConsoleInput::Advance)
                .map_err(|_| InputError::BadDuration(spec.to_owned()))
        }
        "react" => {
            let member = words.next().ok_or(InputError::MissingArgument {
                directive: "react",
                what: "a member",
                example: ":react bob",
            })?;
            Ok(ConsoleInput::React {
                member: member_name(member)?,
            })
        }
        "voice" => {
            let missing = InputError::MissingArgument {
                directive: "voice",
                what: "a member and a state",
                example: ":voice carol join",
            };
            let member = words.next().ok_or(missing.clone())?;
            let state = words.next().ok_or(missing)?;
            Ok(ConsoleInput::Voice {
                member: member_name(member)?,
                state: parse_voice_state(state)?,
            })
        }
        other => Err(InputError::UnknownDirective(other.to_owned())),
    }
}

fn member_name(raw: &str) -> Result<String, InputError> {
    let ok = !raw.is_empty()
        && raw.len() <= 32
        && raw
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(raw.to_lowercase())
    } else {
        Err(InputError::BadMemberName(raw.to_owned()))
    }
}

fn parse_voice_state(raw: &str) -> Result<VoiceState, InputError> {
    Ok(match raw.to_lowercase().as_str() {
        "join" => VoiceState::Join,
        "leave" => VoiceState::Leave,
        "mute" => VoiceState::Mute,
        "unmute" => VoiceState::Unmute,
        "deafen" => VoiceState::Deafen,
        "undeafen" => VoiceState::Undeafen,
        _ => return Err(InputError::BadVoiceState(raw.to_owned())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_commands_and_directives() {
        assert_eq!(
            parse("Alice: hello world"),
            Ok(ConsoleInput::Message {
                member: "alice".into(),
                text: "hello world".into()
            })
        );
        assert_eq!(
            parse("/rank alice"),
            Ok(ConsoleInput::Command {
                name: "rank".into(),
                args: vec!["alice".into()]
            })
        );
        assert_eq!(
            parse(":voice carol join"),
            Ok(ConsoleInput::Voice {
                member: "carol".into(),
                state: VoiceState::Join
            })
        );
        assert_eq!(
            parse(":advance 1d2h"),
            Ok(ConsoleInput::Advance(Duration::from_secs(93_600)))
        );
        assert_eq!(parse("  # note"), Ok(ConsoleInput::Nothing));
        assert_eq!(parse(":q"), Ok(ConsoleInput::Quit));
        assert_eq!(parse(":purge-caches"), Ok(ConsoleInput::PurgeCaches));
    }

    #[test]
    fn mistakes_get_precise_errors() {
        assert_eq!(parse("alice:   "), Err(InputError::EmptyMessage));
        assert_eq!(
            parse(":advance 1y"),
            Err(InputError::BadDuration("1y".into()))
        );
        assert_eq!(
            parse(":advance 10"),
            Err(InputError::BadDuration("10".into()))
        );
        assert!(matches!(
            parse(":voice carol"),
            Err(InputError::MissingArgument { .. })
        ));
        assert_eq!(
            parse(":voice carol dance"),
            Err(InputError::BadVoiceState("dance".into()))
        );
        assert!(matches!(
            parse("hello there"),
            Err(InputError::NotUnderstood(_))
        ));
        assert!(matches!(
            parse("two words: hi"),
            Err(InputError::NotUnderstood(_))
        ));
        assert_eq!(
            parse(":dance"),
            Err(InputError::UnknownDirective("dance".into()))
        );
        assert!(matches!(
            parse(":advance 99999999999999999999d"),
            Err(InputError::BadDuration(_))
        ));
    }
}
