use crate::runtime::State;
use crate::runtime::v0_1_0::berth::provider::log::{Host, Level};

impl Host for State {
    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            Level::Error => crate::log::Level::Error,
            Level::Warn => crate::log::Level::Warn,
            Level::Info => crate::log::Level::Info,
            Level::Debug => crate::log::Level::Debug,
            Level::Trace => crate::log::Level::Trace,
        };
        if crate::log::enabled(level) {
            let clean = self.host.redact(&message);
            crate::log::write(level, &format!("plugin {}: {clean}", self.host.plugin));
        }
        Ok(())
    }
}
