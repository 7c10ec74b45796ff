//! A plugin's log lines: filtered by `-v`/`-q`, redacted, named, and cut
//! off after a flood.

use super::HostContext;
use crate::log::Level;
use std::cmp::Ordering as Cmp;
use std::sync::atomic::Ordering;

/// Most lines one plugin logs in a run; past them, one line says so.
const MAX_LINES: usize = 1000;

impl HostContext {
    pub fn log(&self, level: Level, message: &str) {
        if !crate::log::enabled(level) {
            return;
        }
        match self
            .log_lines
            .fetch_add(1, Ordering::Relaxed)
            .cmp(&MAX_LINES)
        {
            Cmp::Less => {
                let clean = self.redact(message);
                crate::log::write(level, &format!("plugin {}: {clean}", self.plugin));
            }
            Cmp::Equal => crate::log::warn(&format!(
                "plugin {} logged {MAX_LINES} lines; its further log lines are not shown",
                self.plugin
            )),
            Cmp::Greater => {}
        }
    }
}
