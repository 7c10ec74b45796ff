//! `berth:provider@0.3.0`: its bindings, and its conversions to and from the
//! host's types (`convert`), for the plugin's imports (`imports`) and exports
//! (`provider`).

mod convert;
mod imports;
mod provider;

wasmtime::component::bindgen!({
    path: "wit/0.3.0",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
});

use super::state::State;
use wasmtime::component::Linker;

pub fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    Plugin::add_to_linker::<State, State>(linker, |s| s)
}
