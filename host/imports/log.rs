//! A plugin's log lines: filtered by `-v`/`-q`, redacted, and named.

use super::HostContext;
use crate::log::Level;

impl HostContext {
    pub fn log(&self, level: Level, message: &str) {
        if crate::log::enabled(level) {
            let clean = self.redact(message);
            crate::log::write(level, &format!("plugin {}: {clean}", self.plugin));
        }
    }
}
