//! A bar counting blob bytes, drawn on stderr only when it is a terminal.

#[derive(Clone, Default)]
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// A bar unless `quiet` or stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        Progress(crate::output::progress_bar(
            0,
            "{bar:40} {bytes}/{total_bytes} copied ({bytes_per_sec})",
            !quiet,
        ))
    }

    /// `bytes` more to go.
    pub fn expect(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.inc_length(bytes);
        }
    }

    pub fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(bytes);
        }
    }

    pub fn position(&self) -> u64 {
        self.0.as_ref().map_or(0, indicatif::ProgressBar::position)
    }

    /// Bytes counted by an attempt that is started over.
    pub fn rewind(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(bar.position().saturating_sub(bytes));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
            crate::output::set_progress(None);
        }
    }
}
