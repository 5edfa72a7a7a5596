//! Typed plugin configuration.
//!
//! The host hands a plugin its guild's configuration as JSON text on every call. Parsing it
//! every call would dominate cheap calls, so parsed values are cached per type, keyed by the
//! raw text: a guild that changes its configuration gets the new value on the next call.
//! A configuration that does not parse is not fatal: the plugin logs a warning and runs on
//! its defaults, so one bad setting never takes XP away from a whole server.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde::de::DeserializeOwned;

/// Cache entries kept before the cache is cleared (a plugin serves a handful of guilds per
/// instance at a time; the bound only stops a long-lived instance from growing forever).
const MAX_CACHED: usize = 64;

type Cache = HashMap<(TypeId, String), Rc<dyn Any>>;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(HashMap::new());
}

/// The current guild's configuration as `T`.
///
/// Missing fields take their serde defaults (use `#[serde(default)]` on the struct); an
/// invalid document logs a warning and yields `T::default()`.
pub fn config<T: DeserializeOwned + Default + 'static>() -> Rc<T> {
    let raw = crate::host::config();
    let key = (TypeId::of::<T>(), raw);
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).cloned())
        && let Ok(value) = hit.downcast::<T>()
    {
        return value;
    }
    let value = Rc::new(config_from_str::<T>(&key.1));
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(key, value.clone() as Rc<dyn Any>);
    });
    value
}

/// Parses `raw` as `T`; on error logs a warning naming the problem and returns the default.
pub fn config_from_str<T: DeserializeOwned + Default>(raw: &str) -> T {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return T::default();
    }
    match serde_json::from_str(trimmed) {
        Ok(value) => value,
        Err(e) => {
            crate::warn!(
                "invalid plugin configuration ({e}); using the defaults. Fix the JSON with \
                 `questline config` and it applies on the next call"
            );
            T::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(default)]
    struct Cfg {
        rate: i64,
    }
    impl Default for Cfg {
        fn default() -> Self {
            Cfg { rate: 7 }
        }
    }

    #[test]
    fn parses_caches_and_follows_changes() {
        testing::reset();
        assert_eq!(config::<Cfg>().rate, 7, "`{{}}` gives the defaults");
        testing::set_config(r#"{"rate": 3}"#);
        let a = config::<Cfg>();
        let b = config::<Cfg>();
        assert_eq!(a.rate, 3);
        assert!(Rc::ptr_eq(&a, &b), "same raw text is not parsed again");
        testing::set_config(r#"{"rate": 4}"#);
        assert_eq!(
            config::<Cfg>().rate,
            4,
            "a changed config applies on the next call"
        );
    }

    #[test]
    fn invalid_json_warns_and_defaults() {
        testing::reset();
        testing::set_config("{not json");
        assert_eq!(*config::<Cfg>(), Cfg::default());
        let logs = testing::logs();
        assert!(
            logs.iter().any(
                |(l, m)| *l == crate::Level::Warn && m.contains("invalid plugin configuration")
            )
        );
        assert_eq!(config_from_str::<Cfg>("  "), Cfg::default());
    }
}
