//! Applying one repository's part of a plan: every planned tag resolved
//! again, then the ones still where the plan saw them removed through the
//! safe removal path, each start and end in the journal.

use super::journal::Journal;
use super::report::{Changed, Repository};
use super::{Planned, recheck};
use crate::context::Context;
use crate::model::Capability;
use crate::reference::parse_repository;
use crate::removal::{self, Failed, Record};
use crate::target::Target;
use indicatif::ProgressBar;
use std::collections::HashMap;

pub struct Run<'a> {
    pub ctx: &'a Context,
    pub journal: Option<&'a Journal>,
    pub bar: Option<&'a ProgressBar>,
    pub concurrency: usize,
}

pub async fn apply(run: &Run<'_>, planned: &Planned) -> Repository {
    let mut report = Repository {
        removal: removal::Report {
            repo: planned.repo.clone(),
            provider: planned.provider.clone(),
            dry_run: false,
            deleted: Vec::new(),
            missing: Vec::new(),
            failed: Vec::new(),
            kept: None,
            attachments: None,
            untagged: None,
            damaged: None,
            refused: Default::default(),
        },
        changed: Vec::new(),
    };
    // Finished by an earlier run with this journal: not even looked up.
    let (finished, open): (Vec<_>, Vec<_>) = planned.delete.iter().partition(|(tag, digest)| {
        run.journal
            .is_some_and(|j| j.finished(&planned.repo, tag, digest))
    });
    report
        .removal
        .deleted
        .extend(finished.iter().map(|(t, _)| t.clone()));
    if let Some(bar) = run.bar {
        bar.inc(finished.len() as u64);
    }
    if open.is_empty() {
        return report;
    }
    let fail_all = |report: &mut Repository, error: &crate::error::Error| {
        report
            .removal
            .failed
            .extend(open.iter().map(|(tag, _)| Failed {
                tag: tag.clone(),
                error: error.message.clone(),
                hints: error.hints.clone(),
            }));
        if let Some(bar) = run.bar {
            bar.inc(open.len() as u64);
        }
    };
    if crate::interrupt::interrupted() {
        fail_all(
            &mut report,
            &crate::error::Error::failed("interrupted before removal"),
        );
        return report;
    }
    let opened = async {
        let address = parse_repository(&planned.repo)?;
        let target = Target::new(&address, run.ctx.settings.plain_http);
        let needs = [Capability::ListTags, Capability::DeleteTag];
        let provider = run
            .ctx
            .provider_named(&target, &planned.provider, &needs)
            .await?;
        let tags = provider.all_tags(&planned.repo, target.registry()).await?;
        Ok::<_, crate::error::Error>((provider, tags))
    };
    let (provider, tags) = match opened.await {
        Ok(opened) => opened,
        Err(e) => {
            fail_all(&mut report, &e);
            return report;
        }
    };
    report.removal.provider = provider.name().to_string();

    let checked = recheck::check(&provider, &tags, &open, run.concurrency).await;
    let began = |tag: &str, digest: &str| {
        run.journal
            .is_some_and(|j| j.began(&planned.repo, tag, digest))
    };
    let mut remove = Vec::new();
    let mut settled = 0;
    for ((tag, digest), verdict) in open.iter().zip(checked) {
        match verdict {
            recheck::Verdict::Remove => {
                remove.push(tag.clone());
                continue;
            }
            // Gone after an earlier run began removing it: that run did.
            recheck::Verdict::Gone if began(tag, digest) => {
                report.removal.deleted.push(tag.clone())
            }
            recheck::Verdict::Gone => report.removal.missing.push(tag.clone()),
            recheck::Verdict::Moved(now) => report.changed.push(Changed {
                tag: tag.clone(),
                planned: digest.clone(),
                now,
            }),
            recheck::Verdict::Failed(f) => report.removal.failed.push(Failed {
                tag: tag.clone(),
                error: f.message(),
                hints: f.hints(),
            }),
        }
        settled += 1;
    }
    if let Some(bar) = run.bar {
        bar.inc(settled);
    }
    if !remove.is_empty() {
        let record = Journaled {
            repo: &planned.repo,
            planned: open.iter().map(|(t, d)| (t.as_str(), d.as_str())).collect(),
            journal: run.journal,
            bar: run.bar,
        };
        let options = removal::Options {
            dry_run: false,
            quiet: true,
            concurrency: run.concurrency,
        };
        let done =
            removal::remove_recorded(&provider, &planned.repo, &tags, &remove, &options, &record)
                .await;
        if let Some(bar) = run.bar {
            bar.inc(done.failed.len() as u64);
        }
        report.removal.deleted.extend(done.deleted);
        report.removal.missing.extend(done.missing);
        report.removal.failed.extend(done.failed);
    }
    // In the plan's order, whichever run or path settled them.
    let position: HashMap<&str, usize> = planned
        .delete
        .iter()
        .enumerate()
        .map(|(i, (t, _))| (t.as_str(), i))
        .collect();
    let at = |t: &String| position.get(t.as_str()).copied();
    report.removal.deleted.sort_by_key(at);
    report.removal.missing.sort_by_key(at);
    report.removal.failed.sort_by_key(|f| at(&f.tag));
    report.changed.sort_by_key(|c| at(&c.tag));
    report
}

/// Writes each removal's start and end to the journal and counts it done.
struct Journaled<'a> {
    repo: &'a str,
    /// Tag → the digest the plan names.
    planned: HashMap<&'a str, &'a str>,
    journal: Option<&'a Journal>,
    bar: Option<&'a ProgressBar>,
}

impl Journaled<'_> {
    fn pairs<'t>(&'t self, tags: &'t [String]) -> Vec<(&'t str, &'t str)> {
        tags.iter()
            .map(|t| {
                (
                    t.as_str(),
                    self.planned.get(t.as_str()).copied().unwrap_or(""),
                )
            })
            .collect()
    }
}

impl Record for Journaled<'_> {
    fn starting(&self, tags: &[String]) -> Result<(), String> {
        match self.journal {
            Some(journal) => journal.start(self.repo, &self.pairs(tags)),
            None => Ok(()),
        }
    }

    fn finished(&self, tags: &[String]) {
        if let Some(journal) = self.journal
            && let Err(e) = journal.done(self.repo, &self.pairs(tags))
        {
            // The removal happened; a rerun finds the tag gone after its
            // recorded start and counts it removed all the same.
            crate::log::warn(&e);
        }
        if let Some(bar) = self.bar {
            bar.inc(tags.len() as u64);
        }
    }
}
