//! What one plugin call may use.

use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time for one call, including the HTTP it waits on.
    pub deadline: Duration,
    /// Linear memory of one instance, in bytes.
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(120),
            memory: 256 << 20,
        }
    }
}
