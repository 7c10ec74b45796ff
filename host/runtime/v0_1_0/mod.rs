//! `berth:provider@0.1.0`: its bindings, and its conversions to and from the
//! host's types (`convert`), for the plugin's imports (`imports`) and exports
//! (`provider`). 0.2.0 shares its interfaces.

pub(crate) mod convert;
mod imports;
pub(crate) mod provider;

wasmtime::component::bindgen!({
    path: "wit/0.1.0",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
});

use super::state::State;
use wasmtime::component::Linker;

pub fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    Plugin::add_to_linker::<State, State>(linker, |s| s)
}
