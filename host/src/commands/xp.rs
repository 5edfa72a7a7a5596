//! Manual XP changes (`/xp`, plugin XP grants) through [`Engine::adjust_xp`]: applied and
//! audited in one transaction, reward roles granted (or removed per the guild's demotion
//! setting) by the engine's effects after the commit.
//!
//! [`Engine::adjust_xp`]: crate::engine::Engine::adjust_xp

use super::Commands;
use super::types::CommandError;
use crate::db::XpOutcome;
use crate::engine::EngineError;
pub use crate::engine::{MAX_MANUAL_XP, XpChange};

/// Applies `change` to `user` in `guild` on behalf of `actor`; returns the XP and levels
/// before and after. Out-of-range amounts are the member's mistake, said plainly.
pub async fn adjust(
    c: &Commands,
    guild: u64,
    user: u64,
    change: XpChange,
    actor: u64,
    reason: Option<String>,
) -> Result<XpOutcome, CommandError> {
    let engine = c.engine.get().await;
    let engine = engine.as_ref().ok_or(CommandError::Closed)?;
    match engine.adjust_xp(guild, user, change, actor, reason).await {
        Ok(done) => Ok(done.outcome),
        Err(EngineError::InvalidInput(msg)) => Err(CommandError::Usage(msg)),
        Err(EngineError::Db(crate::db::DbError::Invalid { field, reason })) => {
            Err(CommandError::Usage(format!("{field}: {reason}")))
        }
        Err(e) => Err(CommandError::Engine(e)),
    }
}
