//! What berth prints: results on stdout (text or JSON), errors and logs on
//! stderr, one line each.

use crate::error::Error;
use serde::Serialize;
use std::io::Write;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// A progress bar currently drawn on stderr; log lines are printed above it.
static PROGRESS: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

pub fn set_progress(bar: Option<indicatif::ProgressBar>) {
    *PROGRESS.lock().unwrap() = bar;
}

/// A bar of `total` drawn with `template` on stderr, when `wanted` and
/// stderr is a terminal; log lines are printed above it.
pub fn progress_bar(total: u64, template: &str, wanted: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !wanted || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(indicatif::ProgressStyle::with_template(template).expect("valid template"));
    set_progress(Some(bar.clone()));
    Some(bar)
}

pub fn stderr_line(line: &str) {
    let bar = PROGRESS.lock().unwrap().clone();
    match bar {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// `berth: error: MESSAGE` and its `hint:` lines.
pub fn error(err: &Error) {
    stderr_line(&format!("berth: error: {}", err.message));
    for hint in &err.hints {
        stderr_line(&format!("hint: {hint}"));
    }
}

pub fn json(value: &impl Serialize) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = serde_json::to_writer(&mut out, value);
    let _ = out.write_all(b"\n");
}

pub fn lines<I: IntoIterator<Item = S>, S: AsRef<str>>(lines: I) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in lines {
        if writeln!(out, "{}", line.as_ref()).is_err() {
            return;
        }
    }
    let _ = out.flush();
}
