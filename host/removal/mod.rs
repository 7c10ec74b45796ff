//! Removing named tags and nothing else: plan which removals may delete a
//! manifest by digest, run them concurrently with progress and Ctrl-C
//! handling, and report per tag.

mod follow;
mod plan;
mod report;
mod run;

pub use follow::{Item, remove as remove_following};
pub use plan::plan;
pub use report::{Damaged, Kept, Report};
pub use run::execute;

use crate::model::Tag;
use crate::provider::Provider;

/// How a removal runs.
pub struct Options {
    pub dry_run: bool,
    pub quiet: bool,
    pub concurrency: usize,
}

/// Plans and runs the removal of `named` from `repo`, whose tags are `all`,
/// reporting in the order named.
pub async fn remove(
    provider: &Provider,
    repo: &str,
    all: &[Tag],
    named: &[String],
    options: &Options,
) -> Report {
    let plan = plan(provider, all, named, options.dry_run).await;
    let outcome = execute(
        provider,
        &plan,
        options.dry_run,
        options.quiet,
        options.concurrency,
    )
    .await;
    let position = |t: &String| named.iter().position(|n| n == t);
    let mut deleted = outcome.deleted;
    deleted.sort_by_key(position);
    let mut failed = outcome.failed;
    failed.sort_by_key(|f| position(&f.tag));
    Report {
        repo: repo.to_string(),
        provider: provider.name().to_string(),
        dry_run: options.dry_run,
        deleted,
        missing: plan.missing,
        failed,
        kept: None,
        attachments: None,
        untagged: None,
        damaged: None,
        refused: provider.refused_writes(),
    }
}
