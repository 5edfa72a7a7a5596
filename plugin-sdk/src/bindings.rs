//! The generated bindings, one `generate!` per world.
//!
//! WHY several invocations: a component must export only the kind interfaces its plugin
//! implements (the host discovers kinds from exports). With `pub_export_macro`, wit-bindgen
//! puts a world's export description (the `component-type` custom section) inside that
//! world's export macro, so a kind's section reaches the component only when the plugin
//! invokes that kind's macro. `base` owns the shared `types` and the host imports; every
//! kind world reuses them through `with`, so there is one Rust type per WIT type.
#![allow(missing_docs, clippy::all)]

/// Host imports, shared types and the `metadata` export.
pub mod base {
    wit_bindgen::generate!({
        path: "../wit",
        world: "questline:plugin/base",
        runtime_path: "::questline_plugin_sdk::__private::wit_bindgen::rt",
        pub_export_macro: true,
        export_macro_name: "export_base",
        default_bindings_module: "::questline_plugin_sdk::bindings::base",
        additional_derives: [PartialEq],
        generate_all,
    });
}

macro_rules! kind_world {
    ($module:ident, $world:literal, $macro_name:literal, $module_path:literal) => {
        #[doc = concat!("Bindings of the `", $world, "` world.")]
        pub mod $module {
            wit_bindgen::generate!({
                path: "../wit",
                world: $world,
                runtime_path: "::questline_plugin_sdk::__private::wit_bindgen::rt",
                pub_export_macro: true,
                export_macro_name: $macro_name,
                default_bindings_module: $module_path,
                additional_derives: [PartialEq],
                with: {
                    "questline:plugin/types@0.2.0": crate::bindings::base::questline::plugin::types,
                },
            });
        }
    };
}

kind_world!(
    xp_formula,
    "questline:plugin/xp-formula-export",
    "export_xp_formula",
    "::questline_plugin_sdk::bindings::xp_formula"
);
kind_world!(
    quest_type,
    "questline:plugin/quest-type-export",
    "export_quest_type",
    "::questline_plugin_sdk::bindings::quest_type"
);
kind_world!(
    achievement_check,
    "questline:plugin/achievement-check-export",
    "export_achievement_check",
    "::questline_plugin_sdk::bindings::achievement_check"
);
kind_world!(
    card_style,
    "questline:plugin/card-style-export",
    "export_card_style",
    "::questline_plugin_sdk::bindings::card_style"
);
kind_world!(
    commands,
    "questline:plugin/commands-export",
    "export_commands",
    "::questline_plugin_sdk::bindings::commands"
);
