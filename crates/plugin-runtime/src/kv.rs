//! The key-value store plugins see through the `kv` import, namespaced by plugin and guild.
//! The runtime checks key and value sizes before a store is asked; stores enforce the key
//! quota, since only they know how many keys exist. The database-backed store lives with the
//! engine; [`MemoryKv`] serves tests and the console.

use std::collections::HashMap;
use std::sync::Mutex;

/// Longest key a plugin may use, in bytes.
pub const KV_MAX_KEY_BYTES: usize = 128;
/// Largest value a plugin may store, in bytes.
pub const KV_MAX_VALUE_BYTES: usize = 64 * 1024;
/// Keys one plugin may hold in one guild.
pub const KV_MAX_KEYS: usize = 1_000;

/// Why a key-value operation failed; mirrors the contract's `kv-error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error("value is over the {0}-byte limit")]
    ValueTooLarge(u32),
    #[error("key is empty or over the {0}-byte limit")]
    BadKey(u32),
    #[error("the plugin's store for this guild is full ({KV_MAX_KEYS} keys)")]
    QuotaExceeded,
    #[error("key-value store unavailable: {0}")]
    Unavailable(String),
}

/// A store for plugin key-value data. Calls are synchronous because plugin calls run on
/// blocking threads; a database-backed store may block on its runtime handle.
pub trait KvStore: Send + Sync {
    fn get(&self, plugin: &str, guild: u64, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Must refuse a new key with [`KvError::QuotaExceeded`] once [`KV_MAX_KEYS`] exist.
    fn set(&self, plugin: &str, guild: u64, key: &str, value: Vec<u8>) -> Result<(), KvError>;
    fn delete(&self, plugin: &str, guild: u64, key: &str) -> Result<(), KvError>;
}

/// Checks a key against the contract's limits.
pub(crate) fn check_key(key: &str) -> Result<(), KvError> {
    if key.is_empty() || key.len() > KV_MAX_KEY_BYTES {
        return Err(KvError::BadKey(KV_MAX_KEY_BYTES as u32));
    }
    Ok(())
}

/// Checks a value against the contract's limits.
pub(crate) fn check_value(value: &[u8]) -> Result<(), KvError> {
    if value.len() > KV_MAX_VALUE_BYTES {
        return Err(KvError::ValueTooLarge(KV_MAX_VALUE_BYTES as u32));
    }
    Ok(())
}

type Namespace = (String, u64);
type Data = HashMap<Namespace, HashMap<String, Vec<u8>>>;

/// An in-memory [`KvStore`] (lost on restart).
#[derive(Debug, Default)]
pub struct MemoryKv {
    data: Mutex<Data>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Data>, KvError> {
        self.data
            .lock()
            .map_err(|_| KvError::Unavailable("in-memory store poisoned".into()))
    }
}

impl KvStore for MemoryKv {
    fn get(&self, plugin: &str, guild: u64, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let data = self.lock()?;
        Ok(data
            .get(&(plugin.to_owned(), guild))
            .and_then(|ns| ns.get(key))
            .cloned())
    }

    fn set(&self, plugin: &str, guild: u64, key: &str, value: Vec<u8>) -> Result<(), KvError> {
        check_key(key)?;
        check_value(&value)?;
        let mut data = self.lock()?;
        let ns = data.entry((plugin.to_owned(), guild)).or_default();
        if !ns.contains_key(key) && ns.len() >= KV_MAX_KEYS {
            return Err(KvError::QuotaExceeded);
        }
        ns.insert(key.to_owned(), value);
        Ok(())
    }

    fn delete(&self, plugin: &str, guild: u64, key: &str) -> Result<(), KvError> {
        let mut data = self.lock()?;
        if let Some(ns) = data.get_mut(&(plugin.to_owned(), guild)) {
            ns.remove(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_kv_namespaces_and_quota() {
        let kv = MemoryKv::new();
        kv.set("a", 1, "k", b"v".to_vec()).unwrap();
        assert_eq!(kv.get("a", 1, "k").unwrap(), Some(b"v".to_vec()));
        assert_eq!(kv.get("a", 2, "k").unwrap(), None);
        assert_eq!(kv.get("b", 1, "k").unwrap(), None);
        for i in 1..KV_MAX_KEYS {
            kv.set("a", 1, &format!("k{i}"), vec![]).unwrap();
        }
        assert_eq!(
            kv.set("a", 1, "one-more", vec![]),
            Err(KvError::QuotaExceeded)
        );
        // Overwriting an existing key is not a new key.
        kv.set("a", 1, "k", b"w".to_vec()).unwrap();
        kv.delete("a", 1, "k").unwrap();
        assert_eq!(kv.get("a", 1, "k").unwrap(), None);
        assert_eq!(
            kv.set("a", 1, &"x".repeat(KV_MAX_KEY_BYTES + 1), vec![]),
            Err(KvError::BadKey(KV_MAX_KEY_BYTES as u32))
        );
        assert_eq!(
            kv.set("a", 1, "big", vec![0; KV_MAX_VALUE_BYTES + 1]),
            Err(KvError::ValueTooLarge(KV_MAX_VALUE_BYTES as u32))
        );
    }
}
