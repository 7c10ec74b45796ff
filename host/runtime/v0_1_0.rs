//! Bindings for `berth:provider@0.1.0`. Each supported API version gets its
//! own module; `instance::Exports` dispatches between them.

wasmtime::component::bindgen!({
    path: "wit/0.1.0",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
});
