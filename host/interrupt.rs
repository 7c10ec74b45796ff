//! Ctrl-C. During removals the first one stops new removals and lets those in
//! flight finish, so the report is still printed; at any other time, or the
//! second time, berth exits at once (nothing is half-changed outside a
//! removal).

use std::sync::atomic::{AtomicBool, Ordering};

static REMOVING: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler; call once from inside the runtime.
pub fn install() {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            if REMOVING.load(Ordering::SeqCst) && !INTERRUPTED.swap(true, Ordering::SeqCst) {
                crate::log::warn(
                    "interrupted: finishing removals in flight, starting no more (Ctrl-C again to quit now)",
                );
            } else {
                crate::output::stderr_line("berth: interrupted");
                std::process::exit(130);
            }
        }
    });
}

/// Marks the span in which Ctrl-C stops gracefully.
pub fn removing(on: bool) {
    REMOVING.store(on, Ordering::SeqCst);
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
