use crate::runtime::State;
use crate::runtime::v0_1_0::berth::provider::log::{Host, Level};

/// Longest line a plugin may log; the rest is cut.
const MAX_LINE: usize = 2000;

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
            // No terminal escapes or fake extra lines from a plugin.
            let clean: String = message
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(MAX_LINE)
                .collect();
            crate::log::write(level, &format!("plugin {}: {clean}", self.host.plugin));
        }
        Ok(())
    }
}
