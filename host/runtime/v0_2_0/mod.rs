//! `berth:provider@0.2.0`: 0.1.0's interfaces under a new package version,
//! plus `provider.delete-tags`. `with` maps the shared interfaces onto the
//! 0.1.0 bindings, so their conversions and import implementations are
//! 0.1.0's; component types are checked structurally when a plugin is
//! linked, so a divergence between the two WIT files refuses the plugin
//! rather than misreading it, and the test below keeps them identical.

use super::state::State;
use super::v0_1_0::berth::provider as shared;
use super::v0_1_0::provider::exports_0_1;
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

/// Defines the 0.2.0 import names. (`Plugin::add_to_linker` would define
/// the mapped modules under their 0.1.0 names, which are already there.)
pub fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
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

exports_0_1!(
    Plugin,
    "0.2.0",
    async fn delete_tags(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        tags: &[(String, Removal)],
    ) -> wasmtime::Result<Vec<Result<(), crate::model::RegistryError>>> {
        let tags: Vec<_> = tags
            .iter()
            .map(|(tag, removal)| (tag.clone(), convert::removal(removal)))
            .collect();
        let results = self
            .berth_provider_provider()
            .call_delete_tags(store, &convert::target(target), &tags)
            .await?;
        Ok(results
            .into_iter()
            .map(|r| r.map_err(convert::into_error))
            .collect())
    }
);

#[cfg(test)]
mod tests {
    /// The interfaces mapped onto 0.1.0 must read the same in both files.
    #[test]
    fn shared_interfaces_match_0_1_0() {
        let old = include_str!("../../../wit/0.1.0/provider.wit");
        let new = include_str!("../../../wit/0.2.0/provider.wit");
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
