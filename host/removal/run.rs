//! Running a plan: units in parallel up to `--concurrency`, a progress bar on
//! a terminal, and Ctrl-C stopping new removals while in-flight ones finish.

use super::plan::{Plan, Unit};
use super::report::Failed;
use crate::provider::Provider;
use futures_util::StreamExt;
use std::io::IsTerminal;

pub struct Outcome {
    pub deleted: Vec<String>,
    pub failed: Vec<Failed>,
}

/// Removes what `plan` says; with `dry_run`, only says what would go.
pub async fn execute(
    provider: &Provider,
    plan: &Plan,
    dry_run: bool,
    quiet: bool,
    concurrency: usize,
) -> Outcome {
    if dry_run {
        return Outcome {
            deleted: plan.units.iter().flat_map(|u| u.tags.clone()).collect(),
            failed: Vec::new(),
        };
    }
    let total: u64 = plan.units.iter().map(|u| u.tags.len() as u64).sum();
    let bar = progress(total, quiet);
    crate::interrupt::removing(true);
    let results: Vec<(Vec<String>, Vec<Failed>)> = futures_util::stream::iter(&plan.units)
        .map(|unit| {
            let bar = bar.clone();
            async move {
                let result = if crate::interrupt::interrupted() {
                    (
                        Vec::new(),
                        unit.tags
                            .iter()
                            .map(|t| failed(t, "interrupted before removal", Vec::new()))
                            .collect(),
                    )
                } else {
                    remove(provider, unit).await
                };
                if let Some(bar) = &bar {
                    bar.inc(unit.tags.len() as u64);
                }
                result
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    crate::interrupt::removing(false);
    if let Some(bar) = bar {
        bar.finish_and_clear();
        crate::output::set_progress(None);
    }
    let mut outcome = Outcome {
        deleted: Vec::new(),
        failed: Vec::new(),
    };
    for (deleted, failed) in results {
        outcome.deleted.extend(deleted);
        outcome.failed.extend(failed);
    }
    outcome
}

/// One unit: its tags in order. After the first tag of an exclusive unit,
/// the others may already be gone with the manifest; that is what was asked.
async fn remove(provider: &Provider, unit: &Unit) -> (Vec<String>, Vec<Failed>) {
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    for (i, tag) in unit.tags.iter().enumerate() {
        match provider
            .delete_tag(tag, unit.digest.as_deref(), unit.exclusive)
            .await
        {
            Ok(()) => deleted.push(tag.clone()),
            Err(e) if i > 0 && unit.exclusive && e.is_not_found() => deleted.push(tag.clone()),
            Err(e) => failures.push(failed(tag, &e.message(), e.hints())),
        }
    }
    (deleted, failures)
}

fn failed(tag: &str, error: &str, hints: Vec<String>) -> Failed {
    Failed {
        tag: tag.to_string(),
        error: error.to_string(),
        hints,
    }
}

/// A bar on stderr when it is a terminal and `-q` was not given.
fn progress(total: u64, quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || total < 2 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} tags removed ({per_sec}, {eta} left)",
        )
        .expect("valid template"),
    );
    crate::output::set_progress(Some(bar.clone()));
    Some(bar)
}
