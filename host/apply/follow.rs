//! Applying what follows a repository's planned tags: the attachments and
//! untagged manifests the plan names. Each is removed only when the
//! decision, made again after the tags went (listed and read afresh, the
//! planned tags that went standing at their planned digests), still removes
//! it: an attachment whose image now stays, or a manifest that now has a tag
//! or that something kept reaches, is reported `changed` and left. With
//! `--untagged` in the plan, the manifests of its removed tags go too once
//! nothing reaches them, as they do in `cleanup`.

use super::Planned;
use super::report::{Changed, Repository};
use super::repository::{Journaled, Run, fail, open_provider};
use crate::decision::{Attachment, Extent, following, settle};
use crate::error::Error;
use crate::graph::Needs;
use crate::in_use::InUse;
use crate::model::Capability;
use crate::provider::Provider;
use std::collections::{BTreeSet, HashMap};

/// One planned removal: its key (attachment tag, referrer or manifest
/// digest) and the digest its journal entries name.
struct Open<'a> {
    key: &'a String,
    journal: &'a String,
    /// The subject, for an attachment.
    subject: Option<&'a String>,
}

pub async fn apply(
    run: &Run<'_>,
    planned: &Planned,
    report: &mut Repository,
    provider: Option<Provider>,
) {
    let repo = planned.repo.as_str();
    let finished =
        |key: &str, journal: &str| run.journal.is_some_and(|j| j.finished(repo, key, journal));
    let began = |o: &Open| run.journal.is_some_and(|j| j.began(repo, o.key, o.journal));
    let mut attachments = Vec::new();
    let mut untagged = Vec::new();
    let mut open = Vec::new();
    for (removed, subject) in &planned.attachments {
        match finished(removed, subject) {
            true => attachments.push(attachment(removed, subject)),
            false => open.push(Open {
                key: removed,
                journal: subject,
                subject: Some(subject),
            }),
        }
    }
    for digest in &planned.untagged {
        match finished(digest, digest) {
            true => untagged.push(digest.clone()),
            false => open.push(Open {
                key: digest,
                journal: digest,
                subject: None,
            }),
        }
    }
    if let Some(bar) = run.bar {
        bar.inc((attachments.len() + untagged.len()) as u64);
    }
    let mut outcome = Outcome {
        attachments,
        untagged,
    };
    if !open.is_empty() {
        decide_and_remove(run, planned, report, provider, &open, &began, &mut outcome).await;
    }
    report.removal.attachments = Some(outcome.attachments);
    report.removal.untagged = Some(outcome.untagged);
}

struct Outcome {
    attachments: Vec<Attachment>,
    untagged: Vec<String>,
}

impl Outcome {
    /// Counts `o` removed, by this run or by the one that began it.
    fn removed(&mut self, o: &Open) {
        match o.subject {
            Some(subject) => self.attachments.push(attachment(o.key, subject)),
            None => self.untagged.push(o.key.clone()),
        }
    }
}

async fn decide_and_remove(
    run: &Run<'_>,
    planned: &Planned,
    report: &mut Repository,
    provider: Option<Provider>,
    open: &[Open<'_>],
    began: &dyn Fn(&Open) -> bool,
    outcome: &mut Outcome,
) {
    let keys: Vec<&String> = open.iter().map(|o| o.key).collect();
    let failed = &mut report.removal.failed;
    if crate::interrupt::interrupted() {
        let error = Error::failed("interrupted before removal");
        return fail(run, failed, &keys, &error);
    }
    let provider = match provider {
        Some(provider) => provider,
        None => match open_provider(run, planned).await {
            Ok((provider, _)) => provider,
            Err(e) => return fail(run, failed, &keys, &e),
        },
    };
    let lists_manifests = [Capability::ListManifests, Capability::DeleteManifest]
        .iter()
        .all(|c| provider.has(*c));
    let untagged_mode = !planned.untagged.is_empty() && lists_manifests;
    if !planned.untagged.is_empty() && !lists_manifests {
        let error = Error::failed(format!(
            "{} cannot list and delete manifests no tag points at",
            provider.label()
        ));
        let untagged: Vec<&String> = open
            .iter()
            .filter(|o| o.subject.is_none())
            .map(|o| o.key)
            .collect();
        fail(run, failed, &untagged, &error);
    }
    let open: Vec<&Open> = open
        .iter()
        .filter(|o| o.subject.is_some() || untagged_mode)
        .collect();
    if open.is_empty() {
        return;
    }
    let keys: Vec<&String> = open.iter().map(|o| o.key).collect();

    // The repository as it is now.
    let address = match crate::reference::parse_repository(&planned.repo) {
        Ok(address) => address,
        Err(e) => return fail(run, failed, &keys, &e.into()),
    };
    let target = crate::target::Target::new(&address, run.ctx.settings.plain_http);
    let registry = target.registry();
    let tags = match provider.all_tags(&planned.repo, registry).await {
        Ok(tags) => tags,
        Err(e) => return fail(run, failed, &keys, &e),
    };
    let needs = Needs {
        every_manifest: untagged_mode,
        contents: untagged_mode,
        blobs: false,
    };
    let concurrency = run.concurrency;
    let mut graph = match crate::graph::build(&provider, &tags, &needs, concurrency).await {
        Ok(graph) => graph,
        Err(e) => return fail(run, failed, &keys, &e.into_error(&planned.repo, registry)),
    };
    let mut listed: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
    let now_listed: BTreeSet<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    // The planned tags that went (this run, an earlier one, or someone
    // else), at their planned digests: what they reached is judged as
    // `cleanup` judges what its removed tags reached.
    let went: BTreeSet<&str> = report
        .removal
        .deleted
        .iter()
        .chain(&report.removal.missing)
        .map(String::as_str)
        .collect();
    let mut deleted = BTreeSet::new();
    for (tag, digest) in &planned.delete {
        if went.contains(tag.as_str()) && !now_listed.contains(tag.as_str()) {
            graph.tags.insert(tag.clone(), digest.clone());
            listed.push(tag.clone());
            deleted.insert(tag.clone());
            // A listing of every manifest may no longer name one whose
            // tag went (a layout drops the entry, its blob stays): it is
            // judged, and deleted, as `cleanup` would.
            if graph.complete {
                graph.nodes.entry(digest.clone()).or_default();
            }
        }
    }
    let in_use = InUse::default();
    let rules = Extent {
        untagged: untagged_mode,
        // A plan that removes no attachment may have been made to keep
        // them: what they reach then stays.
        keep_attachments: planned.attachments.is_empty(),
        in_use: &in_use,
        deletes_manifests: provider.has(Capability::DeleteManifest),
    };
    settle(
        &provider,
        &mut graph,
        &listed,
        &deleted,
        &rules,
        concurrency,
    )
    .await;
    let following = following(&graph, &listed, &deleted, &rules);

    // What the plan names and the decision still removes; with
    // `--untagged`, also the manifests of the tags it names, once those
    // went.
    let names: BTreeSet<&str> = planned
        .delete
        .iter()
        .map(|(t, _)| t.as_str())
        .chain(planned.attachments.iter().map(|(a, _)| a.as_str()))
        .collect();
    let leftovers: BTreeSet<&str> = following
        .fate
        .leftovers
        .iter()
        .map(String::as_str)
        .filter(|d| graph.tags_on(d).all(|t| names.contains(t)))
        .collect();
    let named: BTreeSet<&str> = keys.iter().map(|k| k.as_str()).collect();
    let items: Vec<_> = following
        .items
        .into_iter()
        .filter(|i| named.contains(i.key()) || leftovers.contains(i.key()))
        .collect();
    let removing: BTreeSet<String> = items.iter().map(|i| i.key().to_string()).collect();

    // The others: gone already, held by a planned tag that failed, or
    // changed.
    let failed_tags: BTreeSet<&str> = report
        .removal
        .failed
        .iter()
        .map(|f| f.tag.as_str())
        .collect();
    let held: BTreeSet<&str> = planned
        .delete
        .iter()
        .filter(|(t, _)| failed_tags.contains(t.as_str()))
        .map(|(_, d)| d.as_str())
        .collect();
    let mut settled = 0;
    let mut held_back = Vec::new();
    for o in open.iter().filter(|o| !removing.contains(o.key)) {
        settled += 1;
        if o.subject.is_some_and(|s| held.contains(s.as_str())) {
            held_back.push(o.key.clone());
        } else if present(&provider, &graph, &now_listed, o).await {
            report.changed.push(match o.subject {
                Some(subject) => Changed::Attachment {
                    attachment: o.key.clone(),
                    subject: subject.clone(),
                },
                None => Changed::Untagged {
                    untagged: o.key.clone(),
                },
            });
        } else if began(o) {
            outcome.removed(o);
        } else {
            report.removal.missing.push(o.key.clone());
        }
    }
    report
        .removal
        .failed
        .extend(held_back.into_iter().map(|key| crate::removal::Failed {
            tag: key,
            error: "not removed: the removal of its image's tag failed".into(),
            hints: Vec::new(),
        }));
    if let Some(bar) = run.bar {
        bar.inc(settled);
    }
    if items.is_empty() {
        return;
    }
    let mut journal_digests: HashMap<&str, &str> = open
        .iter()
        .map(|o| (o.key.as_str(), o.journal.as_str()))
        .collect();
    journal_digests.extend(leftovers.iter().map(|d| (*d, *d)));
    // The bar counts planned removals only, not the manifests of removed
    // tags: counted below.
    let record = Journaled {
        repo: &planned.repo,
        planned: journal_digests,
        journal: run.journal,
        bar: None,
    };
    let followed =
        crate::removal::remove_following(&provider, &graph, items, concurrency, &record).await;
    for o in open
        .iter()
        .filter(|o| followed.removed.contains(o.key.as_str()))
    {
        outcome.removed(o);
    }
    if let Some(bar) = run.bar {
        let failures = followed.failed.iter().map(|f| f.tag.as_str());
        let settled = followed.removed.iter().map(String::as_str).chain(failures);
        bar.inc(settled.filter(|k| named.contains(k)).count() as u64);
    }
    report.removal.failed.extend(followed.failed);
}

/// Whether a planned removal is still in the repository.
async fn present(
    provider: &Provider,
    graph: &crate::graph::Graph,
    listed: &BTreeSet<&str>,
    o: &Open<'_>,
) -> bool {
    if !crate::reference::is_valid_digest(o.key) {
        return listed.contains(o.key.as_str());
    }
    if graph.complete {
        return graph.nodes.contains_key(o.key.as_str());
    }
    // A referrer of an image that stays is not in the graph: ask.
    !matches!(provider.resolve(o.key).await, Err(e) if e.is_not_found())
}

fn attachment(removed: &str, subject: &str) -> Attachment {
    Attachment {
        removed: removed.to_string(),
        subject: subject.to_string(),
    }
}
