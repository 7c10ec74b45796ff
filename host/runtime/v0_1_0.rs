//! Bindings for `berth:provider@0.1.0`. Each supported API version gets its
//! own module; `instance::Bindings` dispatches between them. The host's own
//! code speaks this version's types; later versions map their unchanged
//! interfaces onto them.

wasmtime::component::bindgen!({
    path: "wit/0.1.0",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
});
