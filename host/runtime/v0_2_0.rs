//! Bindings for `berth:provider@0.2.0`, which adds `provider.delete-tags`.
//!
//! Its `types`, `http`, `oci`, `config` and `log` interfaces are 0.1.0's
//! under a new package version, so `with` maps them onto the 0.1.0 modules:
//! the provider export speaks the host's types, and [`add_imports`] serves
//! the 0.2.0 import names with the 0.1.0 implementations. Component types
//! are checked structurally when a plugin is linked, so a divergence between
//! the two WIT files refuses the plugin rather than misreading it; the test
//! below keeps the shared interfaces identical.

use super::instance::State;
use super::v0_1_0::berth::provider as shared;
use wasmtime::component::Linker;

wasmtime::component::bindgen!({
    path: "wit/0.2.0",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "berth:provider/types@0.2.0": super::v0_1_0::berth::provider::types,
        "berth:provider/http@0.2.0": super::v0_1_0::berth::provider::http,
        "berth:provider/oci@0.2.0": super::v0_1_0::berth::provider::oci,
        "berth:provider/config@0.2.0": super::v0_1_0::berth::provider::config,
        "berth:provider/log@0.2.0": super::v0_1_0::berth::provider::log,
    },
});

/// Defines the 0.2.0 imports in `linker`. (`Plugin::add_to_linker` would
/// define the mapped modules under their 0.1.0 names, which are already
/// there.)
pub fn add_imports(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    fn get(s: &mut State) -> &mut State {
        s
    }
    shared::types::add_to_linker_instance::<State, State>(
        &mut linker.instance("berth:provider/types@0.2.0")?,
        get,
    )?;
    shared::http::add_to_linker_instance::<State, State>(
        &mut linker.instance("berth:provider/http@0.2.0")?,
        get,
    )?;
    shared::oci::add_to_linker_instance::<State, State>(
        &mut linker.instance("berth:provider/oci@0.2.0")?,
        get,
    )?;
    shared::config::add_to_linker_instance::<State, State>(
        &mut linker.instance("berth:provider/config@0.2.0")?,
        get,
    )?;
    shared::log::add_to_linker_instance::<State, State>(
        &mut linker.instance("berth:provider/log@0.2.0")?,
        get,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The interfaces mapped onto 0.1.0 must read the same in both files.
    #[test]
    fn shared_interfaces_match_0_1_0() {
        let old = include_str!("../../wit/0.1.0/provider.wit");
        let new = include_str!("../../wit/0.2.0/provider.wit");
        for name in ["types", "http", "oci", "config", "log"] {
            assert_eq!(
                interface(old, name),
                interface(new, name),
                "interface {name} differs between 0.1.0 and 0.2.0"
            );
        }
    }

    /// The text of `interface NAME { ... }` up to its closing brace.
    fn interface<'a>(wit: &'a str, name: &str) -> &'a str {
        let start = wit
            .find(&format!("\ninterface {name} {{"))
            .unwrap_or_else(|| panic!("interface {name} present"));
        let end = wit[start..].find("\n}\n").expect("interface closes") + start;
        &wit[start..end]
    }
}
