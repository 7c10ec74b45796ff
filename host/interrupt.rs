//! Ctrl-C. During removals the first one stops new removals and lets those in
//! flight finish, so the report is still printed; at any other time, or the
//! second time, berth exits at once (nothing is half-changed outside a
//! removal).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Spans of removals under way: repositories of a plan are removed at once.
static REMOVING: AtomicUsize = AtomicUsize::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler; call once from inside the runtime.
pub fn install() {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            if REMOVING.load(Ordering::SeqCst) > 0 && !INTERRUPTED.swap(true, Ordering::SeqCst) {
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

/// Marks the start (`true`) and end of a span in which Ctrl-C stops
/// gracefully; spans may overlap.
pub fn removing(on: bool) {
    if on {
        REMOVING.fetch_add(1, Ordering::SeqCst);
    } else {
        REMOVING.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
