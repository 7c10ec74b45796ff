//! Applying one repository's part of a plan: every planned tag resolved
//! again, then the ones still where the plan saw them removed through the
//! safe removal path, each start and end in the journal; then what follows
//! them (attachments, untagged manifests).

use super::journal::Journal;
use super::report::{Changed, Repository};
use super::{Planned, follow, recheck};
use crate::context::Context;
use crate::error::Error;
use crate::model::Capability;
use crate::provider::Provider;
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
    let provider = tags(run, planned, &mut report).await;
    if !planned.attachments.is_empty() || !planned.untagged.is_empty() {
        follow::apply(run, planned, &mut report, provider).await;
    }
    report
}

/// The repository's provider, and its registry.
pub async fn open_provider(run: &Run<'_>, planned: &Planned) -> Result<(Provider, String), Error> {
    let address = parse_repository(&planned.repo)?;
    let target = Target::new(&address, run.ctx.settings.plain_http);
    let needs = [Capability::ListTags, Capability::DeleteTag];
    let provider = run
        .ctx
        .provider_named(&target, &planned.provider, &needs)
        .await?;
    Ok((provider, target.registry().to_string()))
}

/// Fails each of `keys` with `error`, counting it settled.
pub fn fail(run: &Run<'_>, failed: &mut Vec<Failed>, keys: &[&String], error: &Error) {
    failed.extend(keys.iter().map(|key| Failed {
        tag: key.to_string(),
        error: error.message.clone(),
        hints: error.hints.clone(),
    }));
    if let Some(bar) = run.bar {
        bar.inc(keys.len() as u64);
    }
}

/// The planned tags; returns the provider when it was opened.
async fn tags(run: &Run<'_>, planned: &Planned, report: &mut Repository) -> Option<Provider> {
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
        return None;
    }
    let open_tags: Vec<&String> = open.iter().map(|(t, _)| t).collect();
    if crate::interrupt::interrupted() {
        let error = Error::failed("interrupted before removal");
        fail(run, &mut report.removal.failed, &open_tags, &error);
        return None;
    }
    let opened = async {
        let (provider, registry) = open_provider(run, planned).await?;
        let tags = provider.all_tags(&planned.repo, &registry).await?;
        Ok::<_, Error>((provider, tags))
    };
    let (provider, tags) = match opened.await {
        Ok(opened) => opened,
        Err(e) => {
            fail(run, &mut report.removal.failed, &open_tags, &e);
            return None;
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
            recheck::Verdict::Moved(now) => report.changed.push(Changed::Tag {
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
    report
        .changed
        .sort_by_key(|c| position.get(c.key()).copied());
    Some(provider)
}

/// Writes each removal's start and end to the journal and counts it done.
pub struct Journaled<'a> {
    pub repo: &'a str,
    /// Tag (or digest) → the digest its journal entries name: the planned
    /// digest of a tag, the subject of an attachment, a manifest's own.
    pub planned: HashMap<&'a str, &'a str>,
    pub journal: Option<&'a Journal>,
    pub bar: Option<&'a ProgressBar>,
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
