//! Logging to stderr, filtered by `-v`/`-q`. Messages never carry secrets:
//! callers log redacted values only.

use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
    Trace = 4,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);

/// `-q` shows errors only, the default adds warnings, each `-v` one level more.
pub fn set_verbosity(verbose: u8, quiet: bool) {
    let level = if quiet {
        Level::Error as u8
    } else {
        (Level::Warn as u8 + verbose).min(Level::Trace as u8)
    };
    LEVEL.store(level, Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

pub fn write(level: Level, message: &str) {
    if enabled(level) {
        let tag = match level {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        };
        crate::output::stderr_line(&format!("berth: {tag}: {message}"));
    }
}

pub fn warn(message: &str) {
    write(Level::Warn, message);
}

pub fn info(message: &str) {
    write(Level::Info, message);
}

pub fn debug(message: &str) {
    write(Level::Debug, message);
}
