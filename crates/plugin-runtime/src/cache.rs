//! On-disk cache of compiled components. Only files this host wrote are ever deserialized:
//! each artifact is named by the sha256 of the source `.wasm` and the engine's compatibility
//! key, written under a temporary name and renamed into place, and stored with a sidecar
//! checksum that is verified before deserializing, so a truncated or tampered entry is
//! discarded and recompiled rather than trusted.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::error::describe;

/// The SHA-256 of `bytes` as lowercase hex: how plugins are identified (cache keys, `plugin
/// check`, `plugin install --sha256`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The compilation cache in one directory.
pub(crate) struct CompileCache {
    dir: PathBuf,
    compat: String,
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from a cached artifact.
    Hit,
    /// Compiled now (and cached when the directory is writable).
    Compiled,
}

impl CompileCache {
    pub(crate) fn new(dir: PathBuf, compat: String) -> Self {
        Self { dir, compat }
    }

    fn paths(&self, wasm_sha: &str) -> (PathBuf, PathBuf) {
        let artifact = self.dir.join(format!("{wasm_sha}-{}.cwasm", self.compat));
        let mut sum = artifact.clone().into_os_string();
        sum.push(".sha256");
        (artifact, PathBuf::from(sum))
    }

    /// Returns the compiled component for `wasm`, from the cache when a valid entry exists.
    /// Compile errors are returned as text (the caller words them for the operator).
    pub(crate) fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        wasm_sha: &str,
    ) -> Result<(Component, CacheOutcome), String> {
        let (artifact, sum) = self.paths(wasm_sha);
        if let Some(component) = self.try_cached(engine, &artifact, &sum) {
            return Ok((component, CacheOutcome::Hit));
        }
        let serialized = engine
            .precompile_component(wasm)
            .map_err(|e| describe(&e))?;
        if let Err(err) = self.store(&artifact, &sum, &serialized) {
            tracing::warn!(dir = %self.dir.display(), error = %err, "cannot write the plugin compile cache; continuing without it");
        }
        // SAFETY: `serialized` was produced just now by this engine's own compiler.
        let component =
            unsafe { Component::deserialize(engine, &serialized) }.map_err(|e| describe(&e))?;
        Ok((component, CacheOutcome::Compiled))
    }

    fn try_cached(&self, engine: &Engine, artifact: &Path, sum: &Path) -> Option<Component> {
        let bytes = std::fs::read(artifact).ok()?;
        let expected = std::fs::read_to_string(sum).ok();
        if expected.as_deref().map(str::trim) != Some(sha256_hex(&bytes).as_str()) {
            tracing::warn!(path = %artifact.display(), "discarding a corrupt plugin cache entry");
            discard(artifact, sum);
            return None;
        }
        // SAFETY: the file is one this host wrote (its name carries the engine compatibility
        // key and its checksum matches the sidecar written with it); operator-supplied
        // precompiled files are never read from this directory's names.
        match unsafe { Component::deserialize(engine, &bytes) } {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(path = %artifact.display(), error = %describe(&err), "discarding an unusable plugin cache entry");
                discard(artifact, sum);
                None
            }
        }
    }

    fn store(&self, artifact: &Path, sum: &Path, serialized: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(serialized)?;
        tmp.as_file().sync_all()?;
        let mut sum_tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        sum_tmp.write_all(sha256_hex(serialized).as_bytes())?;
        sum_tmp.as_file().sync_all()?;
        // The checksum lands first: an artifact without a matching checksum is never used.
        sum_tmp.persist(sum).map_err(|e| e.error)?;
        tmp.persist(artifact).map_err(|e| e.error)?;
        Ok(())
    }
}

fn discard(artifact: &Path, sum: &Path) {
    let _ = std::fs::remove_file(artifact);
    let _ = std::fs::remove_file(sum);
}
