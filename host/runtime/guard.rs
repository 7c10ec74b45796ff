//! Running one plugin call to completion, its deadline, or a trap, and
//! saying which in words fit for the operator's terminal.

use super::limits::Limits;
use super::state::MemoryExceeded;
use crate::imports::HostContext;
use std::time::Duration;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// Why a call produced no result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("did not finish within {} s", .0.as_secs_f32())]
    Deadline(Duration),
    #[error("exceeded its memory limit of {} MiB", .0 >> 20)]
    Memory(usize),
    #[error("crashed: {0}")]
    Trap(String),
}

/// The trap the epoch callback raises at the deadline.
#[derive(Debug)]
pub(super) struct DeadlineExceeded;

impl std::fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deadline exceeded")
    }
}

impl std::error::Error for DeadlineExceeded {}

pub(super) async fn guard<T>(
    limits: Limits,
    stderr: &MemoryOutputPipe,
    host: &HostContext,
    call: impl Future<Output = wasmtime::Result<T>>,
) -> Result<T, CallError> {
    // The epoch callback stops wasm code; this stops a call parked in an import.
    let outcome = tokio::time::timeout(limits.deadline + Duration::from_secs(1), call).await;
    match outcome {
        Err(_) => Err(CallError::Deadline(limits.deadline)),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(classify(e, limits, stderr, host)),
    }
}

fn classify(
    e: wasmtime::Error,
    limits: Limits,
    stderr: &MemoryOutputPipe,
    host: &HostContext,
) -> CallError {
    if e.downcast_ref::<DeadlineExceeded>().is_some() {
        return CallError::Deadline(limits.deadline);
    }
    if e.downcast_ref::<MemoryExceeded>().is_some() {
        return CallError::Memory(limits.memory);
    }
    // A Rust panic prints the message after its "panicked at" line, then a
    // note about backtraces. It is the plugin's text: redacted and cleaned.
    let said = String::from_utf8_lossy(&stderr.contents()).to_string();
    let said = said
        .lines()
        .rfind(|l| !l.trim().is_empty() && !l.starts_with("note: "))
        .map(|l| host.redact(l));
    let trap = e
        .downcast_ref::<wasmtime::Trap>()
        .map(|t| t.to_string())
        .unwrap_or_else(|| host.redact(&format!("{e}")));
    match said {
        Some(said) => CallError::Trap(format!("{trap} ({said})")),
        None => CallError::Trap(trap),
    }
}
