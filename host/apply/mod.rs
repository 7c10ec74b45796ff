//! Executing a plan (`berth apply`): the repositories of one shard, several
//! at once, each planned tag checked again just before its removal, every
//! removal through the safe removal path and, with a journal, recorded so
//! that a rerun resumes where an interrupted run stopped.

mod follow;
mod journal;
mod recheck;
mod report;
mod repository;
mod shard;

pub use journal::Journal;
pub use report::Report;
pub use shard::Shard;

use crate::context::Context;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One repository's removals as the plan names them.
pub struct Planned {
    pub repo: String,
    pub provider: String,
    /// `(tag, digest it pointed at when planned)`.
    pub delete: Vec<(String, String)>,
    /// `(attachment tag or referrer digest, subject digest)`.
    pub attachments: Vec<(String, String)>,
    /// Manifests without a tag, by digest.
    pub untagged: Vec<String>,
}

pub struct Options {
    pub shard: Shard,
    pub journal: Option<Journal>,
    pub quiet: bool,
    pub concurrency: usize,
}

/// Repositories worked on at once; each also runs its removals in
/// parallel, and the rate limiter paces them all per registry.
const REPOSITORIES_AT_ONCE: usize = 8;

/// Applies the repositories of `plan` in `options.shard`.
pub async fn apply(ctx: &Context, plan: &[Planned], options: &Options) -> Report {
    let mine: Vec<&Planned> = plan
        .iter()
        .filter(|p| options.shard.takes(&p.repo))
        .collect();
    let total = mine
        .iter()
        .map(|p| (p.delete.len() + p.attachments.len() + p.untagged.len()) as u64)
        .sum();
    let bar = progress(total, mine.len(), options.quiet);
    let run = repository::Run {
        ctx,
        journal: options.journal.as_ref(),
        bar: bar.as_ref(),
        concurrency: options.concurrency,
    };
    let left = AtomicUsize::new(mine.len());
    crate::interrupt::removing(true);
    let repositories: Vec<_> = futures_util::stream::iter(mine)
        .map(|planned| {
            let (run, left) = (&run, &left);
            async move {
                let done = repository::apply(run, planned).await;
                let left = left.fetch_sub(1, Ordering::Relaxed) - 1;
                if let Some(bar) = run.bar {
                    bar.set_message(format!("{left} repositories left"));
                }
                done
            }
        })
        .buffered(REPOSITORIES_AT_ONCE.min(options.concurrency.max(1)))
        .collect()
        .await;
    crate::interrupt::removing(false);
    if let Some(bar) = bar {
        bar.finish_and_clear();
        crate::output::set_progress(None);
    }
    Report::new(options.shard.to_string(), repositories)
}

/// A bar on stderr when it is a terminal and `-q` was not given: planned
/// removals settled of all, repositories left, rate and time left.
fn progress(total: u64, repositories: usize, quiet: bool) -> Option<indicatif::ProgressBar> {
    let bar = crate::output::progress_bar(
        total,
        "{bar:40} {pos}/{len} planned removals, {msg} ({per_sec}, {eta} left)",
        !quiet && total > 0,
    )?;
    bar.set_message(format!("{repositories} repositories left"));
    Some(bar)
}
