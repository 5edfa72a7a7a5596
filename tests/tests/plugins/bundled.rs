//! The bundled plugins load through the real runtime, and the MEE6 curve matches the
//! published table (through the compiled `mee6-xp` component).

use crate::support::*;
use questline::plugins::{PluginKind, PluginSource, PluginState};

#[test]
fn every_bundled_plugin_loads() {
    let t = host();
    let failures = t.host.load_bundled(questline::bundled::BUNDLED);
    assert!(failures.is_empty(), "{failures:?}");
    let rows = t.host.list();
    assert_eq!(rows.len(), questline::bundled::BUNDLED.len());
    for row in &rows {
        assert_eq!(row.source, PluginSource::Bundled);
        assert_eq!(row.state, PluginState::Loaded, "{row:?}");
    }
    for kind in PluginKind::ALL {
        assert!(
            !t.host.plugins_with_kind(kind).is_empty(),
            "no bundled {kind} plugin"
        );
    }
}

#[test]
fn mee6_curve_matches_the_published_table() {
    let t = host();
    assert!(t.host.load_bundled(questline::bundled::BUNDLED).is_empty());
    for (level, total) in [(0, 0), (1, 100), (2, 255), (10, 4_675), (100, 1_899_250)] {
        assert_eq!(
            t.host
                .total_xp_for_level_blocking("mee6-xp", &ctx(), level)
                .unwrap(),
            total,
            "level {level}"
        );
    }
}
