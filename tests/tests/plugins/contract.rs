//! The contract's promises to authors and operators, through the real runtime: the semver rule
//! (a plugin built against a later `0.2.x` loads; other versions are refused, see
//! `hostile::wrong_contract_is_rejected_at_load_with_the_version`), declared capabilities
//! (an undeclared import is refused and named; an operator's deny refuses a plugin that uses
//! it), and settings schemas (checked at load, validating settings with the key named).

use std::path::Path;

use questline::plugins::{Capability, PluginError, PluginKind};
use questline_tests::fixtures;
use serde_json::json;

use crate::support::*;

fn load(t: &TestHost, path: &str) -> Result<questline::plugins::PluginInfo, PluginError> {
    let bytes = std::fs::read(path).expect("fixture built");
    t.host.load_bundled_bytes("fixture", &bytes)
}

#[test]
fn a_plugin_built_against_a_later_0_2_release_loads_and_serves() {
    let t = host();
    let info = load(&t, fixtures::FUTURE_MINOR).expect("0.2.9 with additions loads on 0.2.0");
    assert_eq!(info.contract, "0.2.9");
    assert_eq!(info.kinds, vec![PluginKind::XpFormula]);
    // Its exports were found under their 0.2.9 names, and its 0.2.9 import of `config` was
    // linked to the host's 0.2.0 one: it answers with the length of its settings.
    let ctx = questline::plugins::CallContext {
        config_json: r#"{"a":1}"#.into(),
        ..ctx()
    };
    let xp = t
        .host
        .xp_for_activities_blocking(&info.name, &ctx, &xp_items(2))
        .expect("calls work");
    assert_eq!(xp, vec![7, 7]);
}

#[test]
fn an_import_the_plugin_did_not_declare_is_refused_and_named() {
    let t = host();
    let err = load(&t, fixtures::UNDECLARED_KV).unwrap_err();
    assert!(matches!(err, PluginError::Incompatible { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("imports questline:plugin/kv but does not declare it"),
        "{text}"
    );
    assert!(text.contains("const CAPABILITIES"), "{text}");
    assert!(t.host.list().is_empty());
}

#[test]
fn an_operator_can_deny_a_capability_to_one_plugin() {
    // The good fixture imports every host interface; denied kv, it is refused with the way
    // back, and other plugins are not affected.
    let t = host_with(|cfg| {
        cfg.deny.insert(
            "fixture-good".into(),
            vec![Capability::Kv, Capability::Clock],
        );
        cfg.deny
            .insert("fixture-odd-formula".into(), vec![Capability::Kv]);
    });
    let err = load(&t, fixtures::GOOD_V1).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("plugin `fixture-good` uses kv, clock, which the configuration denies it"),
        "{text}"
    );
    assert!(text.contains("[plugins.deny]"), "{text}");
    // Denying something a plugin does not import changes nothing for it.
    let odd = load(&t, fixtures::ODD_FORMULA).expect("odd-formula does not use kv");
    assert_eq!(odd.name, "fixture-odd-formula");
}

#[test]
fn check_shows_the_declared_capabilities_with_their_reasons() {
    let t = host();
    let report = t
        .host
        .check_file(Path::new(fixtures::GOOD_V1))
        .expect("good fixture");
    assert_eq!(
        declared(&report.info),
        [
            (Capability::Log, "logs each batch"),
            (Capability::Kv, "counts its command's uses"),
            (Capability::Config, "echoes its settings"),
            (Capability::Clock, "echoes the time"),
            (Capability::Random, "echoes a random number"),
        ]
    );
    assert_eq!(report.imports, Capability::ALL.to_vec());
    // `plugin list` shows them too.
    t.host
        .load_bundled_bytes("good", &std::fs::read(fixtures::GOOD_V1).unwrap())
        .unwrap();
    let row = t
        .host
        .list()
        .into_iter()
        .find(|r| r.name == "fixture-good")
        .unwrap();
    assert_eq!(row.capabilities, Capability::ALL.to_vec());
}

#[test]
fn a_schema_whose_defaults_do_not_fit_it_is_refused_at_load() {
    let t = host();
    let err = t
        .host
        .check_file(Path::new(fixtures::BAD_SCHEMA))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("plugin `fixture-bad-schema`: its settings-schema's own defaults are not valid settings: `rate`"),
        "{err}"
    );
}

#[test]
fn settings_are_checked_against_the_plugin_schema() {
    let t = host();
    let info = load(&t, fixtures::ODD_FORMULA).expect("loads");
    let schema = t
        .host
        .settings_schema(&info.name)
        .expect("it declares a schema");
    let typo = schema.validate(&json!({"xpp": 5})).unwrap_err().to_string();
    assert!(
        typo.contains("`xpp` is not a setting of this plugin (did you mean `xp`?)"),
        "{typo}"
    );
    let wrong = schema
        .validate(&json!({"xp": "lots"}))
        .unwrap_err()
        .to_string();
    assert!(
        wrong.starts_with("`xp`: ") && wrong.contains("integer"),
        "{wrong}"
    );
    assert!(
        schema
            .validate(&json!({"xp": 5, "flat_curve": true}))
            .is_ok()
    );
    assert_eq!(
        schema.with_defaults(&json!({"flat_curve": true})),
        json!({"flat_curve": true, "xp": 30})
    );
    // A plugin without a schema has none to check against.
    let good = load(&t, fixtures::GOOD_V1).expect("loads");
    assert!(t.host.settings_schema(&good.name).is_none());
}
