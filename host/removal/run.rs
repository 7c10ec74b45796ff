//! Running a plan: units in parallel up to `--concurrency`, a progress bar on
//! a terminal, and Ctrl-C stopping new removals while in-flight ones finish.

use super::plan::{Plan, Unit};
use super::report::Failed;
use crate::model::Removal;
use crate::provider::{MAX_BATCH, Provider};
use futures_util::StreamExt;

pub struct Outcome {
    pub deleted: Vec<String>,
    pub failed: Vec<Failed>,
}

/// Told of each removal as it starts and ends, e.g. to keep a journal.
pub trait Record: Sync {
    /// Before `tags` are removed; an error leaves them in place, failed.
    fn starting(&self, tags: &[String]) -> Result<(), String>;
    /// After the registry confirmed the removal of `tags`.
    fn finished(&self, tags: &[String]);
}

/// Records nothing.
pub struct Unrecorded;

impl Record for Unrecorded {
    fn starting(&self, _: &[String]) -> Result<(), String> {
        Ok(())
    }

    fn finished(&self, _: &[String]) {}
}

/// Removes what `plan` says; with `dry_run`, only says what would go.
pub async fn execute(
    provider: &Provider,
    plan: &Plan,
    dry_run: bool,
    quiet: bool,
    concurrency: usize,
    record: &dyn Record,
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
    let results: Vec<(Vec<String>, Vec<Failed>)> =
        futures_util::stream::iter(batches(&plan.units, provider.batches_removals()))
            .map(|units| {
                let bar = bar.clone();
                async move {
                    let tags: Vec<String> =
                        units.iter().flat_map(|u| u.tags.iter().cloned()).collect();
                    let unsent = |why: &str| {
                        let failures = tags.iter().map(|t| failed(t, why, Vec::new())).collect();
                        (Vec::new(), failures)
                    };
                    let result = if crate::interrupt::interrupted() {
                        unsent("interrupted before removal")
                    } else if let Err(why) = record.starting(&tags) {
                        unsent(&why)
                    } else {
                        let (deleted, failures) = remove(provider, &units).await;
                        record.finished(&deleted);
                        (deleted, failures)
                    };
                    if let Some(bar) = &bar {
                        bar.inc(units.iter().map(|u| u.tags.len() as u64).sum());
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

/// What one task removes: a unit, or for a provider that batches, whole
/// units packed up to a batch's size (a larger unit goes alone), so that a
/// unit's tags stay in order within one task.
fn batches(units: &[Unit], batch: bool) -> Vec<Vec<&Unit>> {
    if !batch {
        return units.iter().map(|u| vec![u]).collect();
    }
    let mut batches: Vec<Vec<&Unit>> = Vec::new();
    let mut size = 0;
    for unit in units {
        match batches.last_mut() {
            Some(last) if size + unit.tags.len() <= MAX_BATCH => last.push(unit),
            _ => {
                batches.push(vec![unit]);
                size = 0;
            }
        }
        size += unit.tags.len();
    }
    batches
}

/// Units, each its tags in order. After the first tag of an exclusive unit,
/// the others may already be gone with the manifest; that is what was asked.
async fn remove(provider: &Provider, units: &[&Unit]) -> (Vec<String>, Vec<Failed>) {
    let entries: Vec<(&Unit, usize, &String)> = units
        .iter()
        .flat_map(|u| u.tags.iter().enumerate().map(move |(i, t)| (*u, i, t)))
        .collect();
    let removals: Vec<(String, Removal)> = entries
        .iter()
        .map(|(u, _, t)| {
            let removal = Removal {
                digest: u.digest.clone(),
                exclusive: u.exclusive,
            };
            (t.to_string(), removal)
        })
        .collect();
    let results = provider.delete_tags(&removals).await;
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    for ((unit, i, tag), result) in entries.into_iter().zip(results) {
        match result {
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

/// Tags removed of all, rate and time left, unless `-q`.
fn progress(total: u64, quiet: bool) -> Option<indicatif::ProgressBar> {
    crate::output::progress_bar(
        total,
        "{bar:40} {pos}/{len} tags removed ({per_sec}, {eta} left)",
        !quiet && total >= 2,
    )
}
