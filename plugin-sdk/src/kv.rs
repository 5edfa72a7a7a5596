//! The key-value store: raw bytes or JSON values, namespaced by the host per plugin and guild.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::HostKvError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The value is over the host's per-value limit.
    #[error("value too large: the limit is {0} bytes; store less per key")]
    ValueTooLarge(u32),
    /// The key is empty or too long.
    #[error("bad key: keys must be 1 to {0} bytes")]
    BadKey(u32),
    /// The plugin's store for this guild is full.
    #[error("the plugin's store for this guild is full; delete unused keys")]
    QuotaExceeded,
    /// The host could not reach its store.
    #[error("store unavailable ({0}); try again on a later call")]
    Unavailable(String),
    /// The stored bytes are not the JSON the caller expected.
    #[error("stored value is not valid JSON for this type: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<HostKvError> for StoreError {
    fn from(e: HostKvError) -> Self {
        match e {
            HostKvError::ValueTooLarge(n) => StoreError::ValueTooLarge(n),
            HostKvError::BadKey(n) => StoreError::BadKey(n),
            HostKvError::QuotaExceeded => StoreError::QuotaExceeded,
            HostKvError::Unavailable(s) => StoreError::Unavailable(s),
        }
    }
}

/// The raw bytes under `key`, if any.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(crate::host::kv_get(key)?)
}

/// Stores `value` under `key`.
pub fn set(key: &str, value: &[u8]) -> Result<(), StoreError> {
    Ok(crate::host::kv_set(key, value)?)
}

/// Deletes `key` (no error when absent).
pub fn delete(key: &str) -> Result<(), StoreError> {
    Ok(crate::host::kv_delete(key)?)
}

/// The JSON value under `key`, decoded as `T`, if any.
pub fn get_json<T: DeserializeOwned>(key: &str) -> Result<Option<T>, StoreError> {
    match get(key)? {
        Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
        None => Ok(None),
    }
}

/// Stores `value` as JSON under `key`.
pub fn set_json<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value)?;
    set(key, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn json_round_trip_and_errors() {
        testing::reset();
        assert_eq!(get_json::<Vec<i64>>("k").unwrap(), None);
        set_json("k", &vec![1, 2, 3]).unwrap();
        assert_eq!(get_json::<Vec<i64>>("k").unwrap(), Some(vec![1, 2, 3]));
        assert!(matches!(get_json::<String>("k"), Err(StoreError::Json(_))));
        delete("k").unwrap();
        assert_eq!(get("k").unwrap(), None);
        let err = set("", b"x").unwrap_err();
        assert!(matches!(err, StoreError::BadKey(_)));
        assert!(err.to_string().contains("keys must be"));
        let big = vec![0u8; testing::MAX_VALUE_BYTES as usize + 1];
        assert!(matches!(
            set("big", &big),
            Err(StoreError::ValueTooLarge(_))
        ));
    }
}
