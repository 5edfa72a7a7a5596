//! The eight tables of the data model (`docs/schema.md`), with exactly its table and
//! column names.
//!
//! Deliberate widenings over the original data model, because real data outgrows them:
//! - every `id` is `BIGSERIAL`/`BIGINT` (quests get a new row per reset, so ids grow forever);
//! - XP, `requirement_value`, `reward_xp`, progress and every activity counter are `BIGINT`
//!   (a busy member's voice seconds or a large guild's XP totals exceed 2^31 within years);
//! - `level` stays 32-bit (it is derived from XP by a plugin curve and is small).
//!
//! Constraints the data model implies but does not state are added here: one `levels` and one
//! `cards` row per member, one grant per achievement and member, one progress row per member
//! and quest instance (a reset creates a new `quests` row, so old progress stays attached to
//! the old instance), foreign keys with `ON DELETE CASCADE` (deleting a definition deletes its
//! progress/grants), CHECKs on every closed enumeration and on non-negative counters.
//! `cooldowns` is JSONB on PostgreSQL and JSON text on SQLite.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Levels {
    Table,
    Id,
    GuildId,
    UserId,
    Xp,
    Level,
    Messages,
    VoiceTimeSeconds,
    TotalMessages,
    TotalReactions,
    CommandsUsed,
    LastMessageTime,
}

#[derive(DeriveIden, Clone, Copy)]
enum Quests {
    Table,
    Id,
    GuildId,
    Name,
    Description,
    QuestType,
    RequirementType,
    RequirementValue,
    RewardXp,
    RewardMultiplier,
    Active,
    RefreshCycle,
    Difficulty,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserQuests {
    Table,
    Id,
    GuildId,
    UserId,
    QuestId,
    Progress,
    QuestSpecificProgress,
    Completed,
    CompletedAt,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ServerConfig {
    Table,
    GuildId,
    XpRate,
    LevelUpMessage,
    LevelUpChannel,
    QuestChannel,
    AchievementChannel,
    QuestResetHour,
    QuestResetDay,
    Cooldowns,
}

#[derive(DeriveIden, Clone, Copy)]
enum Achievements {
    Table,
    Id,
    GuildId,
    Name,
    Description,
    RequirementType,
    RequirementValue,
    RewardXp,
    BadgeUrl,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserAchievements {
    Table,
    Id,
    GuildId,
    UserId,
    AchievementId,
    EarnedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Cards {
    Table,
    GuildId,
    UserId,
    BackgroundUrl,
    PrimaryColor,
    SecondaryColor,
    BorderColor,
    TextColor,
    CardStyle,
}

#[derive(DeriveIden, Clone, Copy)]
enum Roles {
    Table,
    Id,
    GuildId,
    RoleId,
    Level,
    IsStacked,
}

/// The closed set of quest requirement counters; plugin-defined requirements must be
/// namespaced `plugin:<name>` so they cannot collide with a built-in counter.
const QUEST_REQUIREMENTS: [&str; 4] = [
    "total_messages",
    "total_reactions",
    "voice_time_seconds",
    "commands_used",
];

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn counter(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

fn opt_text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().to_owned()
}

fn non_negative<T: IntoIden + Copy + 'static>(cols: &[T]) -> Vec<SimpleExpr> {
    cols.iter().map(|c| Expr::col(*c).gte(0)).collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // levels
        let mut t = Table::create();
        t.table(Levels::Table)
            .col(id(Levels::Id))
            .col(text(Levels::GuildId))
            .col(text(Levels::UserId))
            .col(counter(Levels::Xp))
            .col(
                ColumnDef::new(Levels::Level)
                    .integer()
                    .not_null()
                    .default(0),
            )
            .col(counter(Levels::Messages))
            .col(counter(Levels::VoiceTimeSeconds))
            .col(counter(Levels::TotalMessages))
            .col(counter(Levels::TotalReactions))
            .col(counter(Levels::CommandsUsed))
            .col(ts(Levels::LastMessageTime).null());
        for c in non_negative(&[
            Levels::Xp,
            Levels::Level,
            Levels::Messages,
            Levels::VoiceTimeSeconds,
            Levels::TotalMessages,
            Levels::TotalReactions,
            Levels::CommandsUsed,
        ]) {
            t.check(c);
        }
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_levels_guild_user")
                    .table(Levels::Table)
                    .col(Levels::GuildId)
                    .col(Levels::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_levels_guild_xp")
                    .table(Levels::Table)
                    .col(Levels::GuildId)
                    .col((Levels::Xp, IndexOrder::Desc))
                    .to_owned(),
            )
            .await?;

        // quests
        let mut t = Table::create();
        t.table(Quests::Table)
            .col(id(Quests::Id))
            .col(text(Quests::GuildId))
            .col(text(Quests::Name))
            .col(
                ColumnDef::new(Quests::Description)
                    .text()
                    .not_null()
                    .default(""),
            )
            .col(text(Quests::QuestType))
            .col(text(Quests::RequirementType))
            .col(counter(Quests::RequirementValue))
            .col(counter(Quests::RewardXp))
            .col(
                ColumnDef::new(Quests::RewardMultiplier)
                    .double()
                    .not_null()
                    .default(1.0),
            )
            .col(
                ColumnDef::new(Quests::Active)
                    .boolean()
                    .not_null()
                    .default(true),
            )
            .col(
                ColumnDef::new(Quests::RefreshCycle)
                    .text()
                    .not_null()
                    .default("once"),
            )
            .col(
                ColumnDef::new(Quests::Difficulty)
                    .text()
                    .not_null()
                    .default("medium"),
            )
            .col(ts(Quests::CreatedAt).not_null())
            .check(Expr::col(Quests::QuestType).is_in([
                "daily",
                "weekly",
                "special",
                "event",
                "challenge",
            ]))
            .check(
                Expr::col(Quests::RequirementType)
                    .is_in(QUEST_REQUIREMENTS)
                    .or(Expr::col(Quests::RequirementType).like("plugin:%")),
            )
            .check(Expr::col(Quests::RefreshCycle).is_in(["daily", "weekly", "monthly", "once"]))
            .check(Expr::col(Quests::Difficulty).is_in(["easy", "medium", "hard"]))
            .check(Expr::col(Quests::RewardMultiplier).gte(0.0));
        for c in non_negative(&[Quests::RequirementValue, Quests::RewardXp]) {
            t.check(c);
        }
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_quests_guild_active")
                    .table(Quests::Table)
                    .col(Quests::GuildId)
                    .col(Quests::Active)
                    .col(Quests::QuestType)
                    .to_owned(),
            )
            .await?;

        // user_quests
        let mut t = Table::create();
        t.table(UserQuests::Table)
            .col(id(UserQuests::Id))
            .col(text(UserQuests::GuildId))
            .col(text(UserQuests::UserId))
            .col(ColumnDef::new(UserQuests::QuestId).big_integer().not_null())
            .col(counter(UserQuests::Progress))
            .col(counter(UserQuests::QuestSpecificProgress))
            .col(
                ColumnDef::new(UserQuests::Completed)
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(ts(UserQuests::CompletedAt).null())
            .col(ts(UserQuests::ExpiresAt).null())
            .foreign_key(
                ForeignKey::create()
                    .name("fk_user_quests_quest")
                    .from(UserQuests::Table, UserQuests::QuestId)
                    .to(Quests::Table, Quests::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            );
        for c in non_negative(&[UserQuests::Progress, UserQuests::QuestSpecificProgress]) {
            t.check(c);
        }
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_user_quests_member_quest")
                    .table(UserQuests::Table)
                    .col(UserQuests::GuildId)
                    .col(UserQuests::UserId)
                    .col(UserQuests::QuestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_user_quests_quest")
                    .table(UserQuests::Table)
                    .col(UserQuests::QuestId)
                    .to_owned(),
            )
            .await?;

        // server_config
        let mut cooldowns = ColumnDef::new(ServerConfig::Cooldowns);
        match manager.get_database_backend() {
            DbBackend::Postgres => cooldowns.json_binary(),
            _ => cooldowns.text(),
        };
        manager
            .create_table(
                Table::create()
                    .table(ServerConfig::Table)
                    .col(
                        ColumnDef::new(ServerConfig::GuildId)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ServerConfig::XpRate)
                            .double()
                            .not_null()
                            .default(1.0),
                    )
                    .col(opt_text(ServerConfig::LevelUpMessage))
                    .col(opt_text(ServerConfig::LevelUpChannel))
                    .col(opt_text(ServerConfig::QuestChannel))
                    .col(opt_text(ServerConfig::AchievementChannel))
                    .col(
                        ColumnDef::new(ServerConfig::QuestResetHour)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(ServerConfig::QuestResetDay)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(cooldowns.null())
                    .check(Expr::col(ServerConfig::XpRate).gte(0.0))
                    .check(Expr::col(ServerConfig::QuestResetHour).between(0, 23))
                    .check(Expr::col(ServerConfig::QuestResetDay).between(0, 6))
                    .to_owned(),
            )
            .await?;

        // achievements
        manager
            .create_table(
                Table::create()
                    .table(Achievements::Table)
                    .col(id(Achievements::Id))
                    .col(text(Achievements::GuildId))
                    .col(text(Achievements::Name))
                    .col(
                        ColumnDef::new(Achievements::Description)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .col(text(Achievements::RequirementType))
                    .col(counter(Achievements::RequirementValue))
                    .col(counter(Achievements::RewardXp))
                    .col(opt_text(Achievements::BadgeUrl))
                    .col(ts(Achievements::CreatedAt).not_null())
                    .check(Expr::col(Achievements::RequirementValue).gte(0))
                    .check(Expr::col(Achievements::RewardXp).gte(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_achievements_guild")
                    .table(Achievements::Table)
                    .col(Achievements::GuildId)
                    .to_owned(),
            )
            .await?;

        // user_achievements
        manager
            .create_table(
                Table::create()
                    .table(UserAchievements::Table)
                    .col(id(UserAchievements::Id))
                    .col(text(UserAchievements::GuildId))
                    .col(text(UserAchievements::UserId))
                    .col(
                        ColumnDef::new(UserAchievements::AchievementId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ts(UserAchievements::EarnedAt).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_achievements_achievement")
                            .from(UserAchievements::Table, UserAchievements::AchievementId)
                            .to(Achievements::Table, Achievements::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_user_achievements_member_achievement")
                    .table(UserAchievements::Table)
                    .col(UserAchievements::GuildId)
                    .col(UserAchievements::UserId)
                    .col(UserAchievements::AchievementId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_user_achievements_achievement")
                    .table(UserAchievements::Table)
                    .col(UserAchievements::AchievementId)
                    .to_owned(),
            )
            .await?;

        // cards: no id of their own; the member is the key.
        manager
            .create_table(
                Table::create()
                    .table(Cards::Table)
                    .col(text(Cards::GuildId))
                    .col(text(Cards::UserId))
                    .col(opt_text(Cards::BackgroundUrl))
                    .col(opt_text(Cards::PrimaryColor))
                    .col(opt_text(Cards::SecondaryColor))
                    .col(opt_text(Cards::BorderColor))
                    .col(opt_text(Cards::TextColor))
                    .col(opt_text(Cards::CardStyle))
                    .primary_key(Index::create().col(Cards::GuildId).col(Cards::UserId))
                    .to_owned(),
            )
            .await?;

        // roles
        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(id(Roles::Id))
                    .col(text(Roles::GuildId))
                    .col(text(Roles::RoleId))
                    .col(ColumnDef::new(Roles::Level).integer().not_null())
                    .col(
                        ColumnDef::new(Roles::IsStacked)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .check(Expr::col(Roles::Level).gte(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_roles_guild_role")
                    .table(Roles::Table)
                    .col(Roles::GuildId)
                    .col(Roles::RoleId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_roles_guild_level")
                    .table(Roles::Table)
                    .col(Roles::GuildId)
                    .col(Roles::Level)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents (foreign keys).
        for table in [
            UserAchievements::Table.into_iden(),
            Achievements::Table.into_iden(),
            UserQuests::Table.into_iden(),
            Quests::Table.into_iden(),
            Levels::Table.into_iden(),
            ServerConfig::Table.into_iden(),
            Cards::Table.into_iden(),
            Roles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
