//! Turning bytes into a checked, ready plugin: format check, compile (through the cache),
//! link against the contract, find the exported kinds, ask the plugin who it is and check its
//! answer. Everything here runs off the hot path; nothing is registered until it all passed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, InstancePre};

use super::bindings::{achievement_check, card_style, commands, metadata, quest_type, xp_formula};
use super::breaker::Breaker;
use super::cache::{CacheOutcome, sha256_hex};
use super::capability::{Capability, CapabilityUse, MAX_WHY_BYTES};
use super::error::{PluginError, describe};
use super::invoke::classify;
use super::kind::{MAX_LEVEL, PluginInfo, PluginKind, PluginSource, valid_plugin_name};
use super::pool::{KindIndices, Pool, instantiate};
use super::runtime::Runtime;
use super::settings::SettingsSchema;
use super::state::{CallContext, HostState};

/// The contract this host implements. Plugins built against any `0.2.x` load: within a minor
/// release the contract only grows (new interfaces, new functions), so a plugin built against
/// a later `0.2.y` loads as long as it only uses what this host has. Other versions are
/// refused with how to rebuild. The rule is written for authors in `docs/plugins.md`.
pub const CONTRACT: &str = "0.2.0";
/// The contract's minor series, as authors see it in messages.
const SERIES: &str = "0.2.x";
/// The SDK and release series that build against this contract.
const SDK_SERIES: &str = "0.2";
const PACKAGE: &str = "questline:plugin";

/// A plugin that passed every load check.
pub(crate) struct LoadedPlugin {
    pub(crate) info: PluginInfo,
    pub(crate) source: PluginSource,
    pub(crate) sha256: String,
    pub(crate) pre: InstancePre<HostState>,
    pub(crate) indices: KindIndices,
    pub(crate) pool: Pool,
    pub(crate) breaker: Breaker,
    pub(crate) name: Arc<str>,
    /// Its compiled settings schema, if it declares one.
    pub(crate) settings: Option<Arc<SettingsSchema>>,
}

/// What a load measured (for `plugin check` and the benchmark).
#[derive(Debug, Clone, Copy)]
pub struct LoadStats {
    pub cache: CacheOutcome,
    pub compile: Duration,
    pub total: Duration,
}

fn incompatible(reason: impl Into<String>) -> PluginError {
    PluginError::Incompatible {
        reason: reason.into(),
    }
}

/// Recognises the binary format before handing bytes to the compiler, for a clearer reason.
fn check_format(bytes: &[u8]) -> Result<(), PluginError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(incompatible(
            "not a WebAssembly file (build the plugin with `cargo build --target wasm32-wasip2`)",
        ));
    }
    if bytes[4..8] == [1, 0, 0, 0] {
        return Err(incompatible(
            "a core WebAssembly module, not a component (build with `--target wasm32-wasip2`, \
             or wrap it with `wasm-tools component new`)",
        ));
    }
    Ok(())
}

/// Versions of our package a component mentions, for a reason that names the mismatch.
fn contract_versions(component: &Component, engine: &wasmtime::Engine) -> Vec<String> {
    let ty = component.component_type();
    let mut versions: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name)
        .chain(ty.exports(engine).map(|(name, _)| name))
        .filter_map(|name| {
            name.strip_prefix(PACKAGE)?
                .split_once('@')
                .map(|(_, v)| v.to_owned())
        })
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

fn compatible_contract(version: &str) -> bool {
    let mut parts = version.split('.');
    matches!((parts.next(), parts.next()), (Some("0"), Some("2")))
        && parts.next().is_some_and(|p| p.parse::<u32>().is_ok())
        && parts.next().is_none()
}

fn wrong_contract_reason(component: &Component, engine: &wasmtime::Engine, detail: &str) -> String {
    let versions = contract_versions(component, engine);
    let foreign: Vec<_> = versions
        .iter()
        .filter(|v| !compatible_contract(v))
        .collect();
    if !foreign.is_empty() {
        let list: Vec<_> = foreign.iter().map(|v| v.as_str()).collect();
        return format!(
            "built against contract {PACKAGE}@{}, but this host implements {PACKAGE}@{CONTRACT} \
             and loads {SERIES} only; {}",
            list.join(", "),
            rebuild_hint()
        );
    }
    detail.to_owned()
}

/// Loads and checks a plugin from its bytes.
pub(crate) fn load(
    rt: &Runtime,
    bytes: &[u8],
    source: PluginSource,
) -> Result<(LoadedPlugin, LoadStats), PluginError> {
    let started = Instant::now();
    check_format(bytes)?;
    let sha256 = sha256_hex(bytes);
    let compile_started = Instant::now();
    let (component, cache) = rt
        .cache
        .load(&rt.engine, bytes, &sha256)
        .map_err(|e| incompatible(format!("not a valid WebAssembly component: {e}")))?;
    let compile = compile_started.elapsed();

    let pre = rt.linker.instantiate_pre(&component).map_err(|e| {
        let detail = format!(
            "its imports do not match what this host provides ({PACKAGE}@{CONTRACT} and \
             restricted WASI): {}",
            describe(&e)
        );
        incompatible(wrong_contract_reason(&component, &rt.engine, &detail))
    })?;

    let metadata = metadata::GuestIndices::new(&pre).map_err(|e| {
        let detail = format!(
            "it does not export {PACKAGE}/metadata@{CONTRACT} ({}); every plugin must",
            describe(&e)
        );
        incompatible(wrong_contract_reason(&component, &rt.engine, &detail))
    })?;
    let indices = KindIndices {
        metadata,
        xp_formula: xp_formula::GuestIndices::new(&pre).ok(),
        quest_type: quest_type::GuestIndices::new(&pre).ok(),
        achievement_check: achievement_check::GuestIndices::new(&pre).ok(),
        card_style: card_style::GuestIndices::new(&pre).ok(),
        commands: commands::GuestIndices::new(&pre).ok(),
    };

    // Ask the plugin who it is, under the same limits as any call.
    let placeholder: Arc<str> = Arc::from(match &source {
        PluginSource::Bundled => "bundled plugin".to_owned(),
        PluginSource::File(path) => path.display().to_string(),
    });
    let mut slot = instantiate(
        &pre,
        &indices,
        rt.new_state(placeholder.clone()),
        rt.cfg.call_timeout_ms,
    )
    .map_err(|e| incompatible(format!("it cannot be instantiated: {}", describe(&e))))?;
    slot.store.data_mut().begin_call(&CallContext::default());
    // Held while the wasm below runs (the epoch ticks only meanwhile).
    let _running = slot.store.data_mut().arm(rt.cfg.call_timeout_ms);
    slot.store.set_epoch_deadline(1);
    let info = slot
        .exports
        .metadata
        .call_info(&mut slot.store)
        .map_err(|e| {
            let err = classify(&placeholder, &rt.cfg, slot.store.data(), e);
            incompatible(format!("its metadata call failed: {err}"))
        })?;
    let info = check_info(info, &indices)?;
    let imported = imported_capabilities(pre.component(), &rt.engine);
    check_capabilities(&info, &imported, &rt.cfg.deny)?;
    let settings = match &info.settings_schema {
        Some(text) => Some(Arc::new(SettingsSchema::compile(text).map_err(
            |reason| {
                incompatible(format!(
                    "plugin `{}`: {reason} (fix the schema its metadata returns)",
                    info.name
                ))
            },
        )?)),
        None => None,
    };
    if let Some(curve) = &slot.exports.xp_formula {
        check_curve(&mut slot.store, curve, rt.cfg.call_timeout_ms).map_err(|reason| {
            incompatible(format!(
                "its level curve is unusable: {reason} (total-xp-for-level must answer 0 for \
                 level 0 and strictly more for every level up to {MAX_LEVEL})"
            ))
        })?;
    }
    let name: Arc<str> = Arc::from(info.name.as_str());
    // The probing instance was tagged with a placeholder name; discard it rather than let
    // later calls log under the wrong name.
    drop(slot);

    let plugin = LoadedPlugin {
        name,
        info,
        source,
        sha256,
        pre,
        indices,
        pool: Pool::new(rt.cfg.pool_size),
        breaker: Breaker::new(
            rt.cfg.breaker_failures,
            Duration::from_secs(rt.cfg.breaker_cooldown_secs),
        ),
        settings,
    };
    Ok((
        plugin,
        LoadStats {
            cache,
            compile,
            total: started.elapsed(),
        },
    ))
}

/// Asks an xp-formula for its whole curve, each level under the call limit, and checks it is
/// usable: 0 at level 0, strictly increasing up to [`MAX_LEVEL`] (or until it reaches
/// `i64::MAX`). A formula that fails here would fail every guild's level table at run time,
/// so it is refused at load and, on a hot reload, the working version keeps serving.
fn check_curve(
    store: &mut wasmtime::Store<HostState>,
    curve: &xp_formula::Guest,
    limit_ms: u64,
) -> Result<(), String> {
    let mut previous: Option<i64> = None;
    for level in 0..=MAX_LEVEL {
        store.data_mut().begin_call(&CallContext::default());
        // Held while the wasm below runs (the epoch ticks only meanwhile).
        let _running = store.data_mut().arm(limit_ms);
        store.set_epoch_deadline(1);
        let total = curve
            .call_total_xp_for_level(&mut *store, level)
            .map_err(|e| format!("level {level}: {}", describe(&e)))?;
        match previous {
            None if total != 0 => return Err(format!("level 0 needs {total} XP")),
            Some(prev) if total <= prev => {
                return Err(format!(
                    "level {level} needs {total} XP, level {} needed {prev}",
                    level - 1
                ));
            }
            _ => {}
        }
        if total == i64::MAX {
            break;
        }
        previous = Some(total);
    }
    Ok(())
}

/// What the sandbox gives a plugin that imports these interfaces: they link, so the plugin
/// loads, but every call is refused. `plugin check` lists them so an operator knows what a
/// dropped-in file would try and fail to do. (Every Rust or JavaScript component imports
/// `wasi:filesystem` and `wasi:cli/environment` for its standard library's start-up; those
/// find no directory and an empty environment, and are not listed.)
const SANDBOXED: &[(&str, &str)] = &[("wasi:sockets/", "no network: every socket call is refused")];

/// The component's imports that the sandbox denies, with what happens to them.
pub(crate) fn sandboxed_imports(plugin: &LoadedPlugin) -> Vec<(String, &'static str)> {
    let engine = plugin.pre.engine();
    plugin
        .pre
        .component()
        .component_type()
        .imports(engine)
        .filter_map(|(name, _)| {
            SANDBOXED
                .iter()
                .find(|(prefix, _)| name.starts_with(prefix))
                .map(|(_, what)| (name.to_owned(), *what))
        })
        .collect()
}

/// The contract's host interfaces the component imports (`kv`, `config`, ...), in the order
/// of [`Capability::ALL`]: what a dropped-in file will do besides answering its calls.
pub(crate) fn imported_capabilities(
    component: &Component,
    engine: &wasmtime::Engine,
) -> Vec<Capability> {
    let imported: Vec<Capability> = component
        .component_type()
        .imports(engine)
        .filter_map(|(name, _)| Capability::of_import(name, PACKAGE))
        .collect();
    Capability::ALL
        .into_iter()
        .filter(|c| imported.contains(c))
        .collect()
}

/// What to tell an author whose plugin targets another contract version.
fn rebuild_hint() -> String {
    format!(
        "rebuild it against {PACKAGE}@{CONTRACT}: with questline-plugin-sdk {SDK_SERIES} in \
         Rust, or from the `wit/` directory of a Questline {SDK_SERIES} release in other \
         languages"
    )
}

/// Every host interface the component imports must be declared (so what operators read is
/// true) and not denied to it by the operator (`[plugins.deny]`).
fn check_capabilities(
    info: &PluginInfo,
    imported: &[Capability],
    deny: &std::collections::BTreeMap<String, Vec<Capability>>,
) -> Result<(), PluginError> {
    let name = &info.name;
    let declared = |c: &Capability| info.capabilities.iter().any(|u| u.capability == *c);
    let undeclared: Vec<&str> = imported
        .iter()
        .filter(|c| !declared(c))
        .map(|c| c.as_str())
        .collect();
    if let Some(first) = undeclared.first() {
        return Err(incompatible(format!(
            "plugin `{name}` imports {PACKAGE}/{} but does not declare {} in its metadata \
             capabilities; declare each with why it is needed (Rust SDK: `const CAPABILITIES`) \
             or stop using {first}",
            undeclared.join(", "),
            if undeclared.len() == 1 { "it" } else { "them" },
        )));
    }
    if let Some(denied) = deny.get(name.as_str()) {
        let hit: Vec<&str> = imported
            .iter()
            .filter(|c| denied.contains(c))
            .map(|c| c.as_str())
            .collect();
        if !hit.is_empty() {
            return Err(incompatible(format!(
                "plugin `{name}` uses {}, which the configuration denies it (`[plugins.deny]`); \
                 remove {} from `{name}`'s list there to load it",
                hit.join(", "),
                if hit.len() == 1 { "it" } else { "them" },
            )));
        }
    }
    Ok(())
}

fn exported_kinds(indices: &KindIndices) -> Vec<PluginKind> {
    let mut kinds = Vec::new();
    if indices.xp_formula.is_some() {
        kinds.push(PluginKind::XpFormula);
    }
    if indices.quest_type.is_some() {
        kinds.push(PluginKind::QuestType);
    }
    if indices.achievement_check.is_some() {
        kinds.push(PluginKind::AchievementCheck);
    }
    if indices.card_style.is_some() {
        kinds.push(PluginKind::CardStyle);
    }
    if indices.commands.is_some() {
        kinds.push(PluginKind::Commands);
    }
    kinds
}

/// Checks what the plugin says about itself against what it exports.
fn check_info(
    info: metadata::PluginInfo,
    indices: &KindIndices,
) -> Result<PluginInfo, PluginError> {
    let name = info.name;
    if !valid_plugin_name(&name) {
        return Err(incompatible(format!(
            "its name `{}` is invalid: use 1-64 lowercase letters, digits and `-`",
            name.chars().take(80).collect::<String>()
        )));
    }
    if !compatible_contract(&info.contract) {
        return Err(incompatible(format!(
            "plugin `{name}` declares contract {}, but this host implements {CONTRACT} and \
             loads {SERIES} only; {}",
            info.contract.chars().take(40).collect::<String>(),
            rebuild_hint()
        )));
    }
    for (field, value, max) in [
        ("version", &info.version, 64),
        ("description", &info.description, 1024),
    ] {
        if value.len() > max {
            return Err(incompatible(format!(
                "plugin `{name}`: its {field} is over {max} bytes"
            )));
        }
    }
    let mut declared: Vec<PluginKind> = info.kinds.into_iter().map(PluginKind::from).collect();
    declared.sort();
    declared.dedup();
    if declared.is_empty() {
        return Err(incompatible(format!(
            "plugin `{name}` declares no kinds; declare at least one and export its interface"
        )));
    }
    let exported = exported_kinds(indices);
    let missing: Vec<_> = declared.iter().filter(|k| !exported.contains(k)).collect();
    if !missing.is_empty() {
        let list: Vec<_> = missing.iter().map(|k| k.as_str()).collect();
        return Err(incompatible(format!(
            "plugin `{name}` declares {} but does not export the matching interface \
             ({PACKAGE}/<kind>@{CONTRACT}); missing exports",
            list.join(", ")
        )));
    }
    let undeclared: Vec<_> = exported.iter().filter(|k| !declared.contains(k)).collect();
    if !undeclared.is_empty() {
        let list: Vec<_> = undeclared.iter().map(|k| k.as_str()).collect();
        return Err(incompatible(format!(
            "plugin `{name}` exports {} without declaring it in its metadata kinds",
            list.join(", ")
        )));
    }
    let mut capabilities: Vec<CapabilityUse> = Vec::new();
    for item in info.capabilities {
        let capability = Capability::from(item.capability);
        if capabilities.iter().any(|c| c.capability == capability) {
            return Err(incompatible(format!(
                "plugin `{name}` declares the capability {capability} twice; list each once"
            )));
        }
        let why = item.why.trim();
        if why.is_empty() || why.len() > MAX_WHY_BYTES {
            return Err(incompatible(format!(
                "plugin `{name}` must say why it uses {capability} in 1-{MAX_WHY_BYTES} bytes \
                 (operators read it before they install the plugin)"
            )));
        }
        capabilities.push(CapabilityUse {
            capability,
            why: why.to_owned(),
        });
    }
    capabilities.sort_by_key(|c| c.capability);
    Ok(PluginInfo {
        name,
        version: info.version,
        description: info.description,
        kinds: declared,
        contract: info.contract,
        capabilities,
        settings_schema: info.settings_schema,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_versions_are_semver_compatible_within_0_2() {
        assert!(compatible_contract(CONTRACT));
        assert!(compatible_contract("0.2.0"));
        assert!(compatible_contract("0.2.9"));
        assert!(!compatible_contract("0.1.0"));
        assert!(!compatible_contract("0.3.0"));
        assert!(!compatible_contract("1.2.0"));
        assert!(!compatible_contract("0.2"));
        assert!(!compatible_contract("0.2.x"));
        assert!(
            rebuild_hint().contains("questline-plugin-sdk 0.2"),
            "{}",
            rebuild_hint()
        );
    }

    #[test]
    fn format_check_names_the_problem() {
        let err = check_format(b"hello world").unwrap_err().to_string();
        assert!(err.contains("not a WebAssembly file"), "{err}");
        let err = check_format(b"\0asm\x01\0\0\0").unwrap_err().to_string();
        assert!(err.contains("core WebAssembly module"), "{err}");
        assert!(check_format(b"\0asm\x0d\0\x01\0").is_ok());
    }
}
