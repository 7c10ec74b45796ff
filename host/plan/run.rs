//! Planning many repositories: each is decided as `cleanup --dry-run`
//! decides it (reads only), several at once, and spooled as it finishes.

use super::document::{Attachment, Kept, Removal, RepoPlan};
use super::spool::Spool;
use crate::catalog::Plugin;
use crate::context::Context;
use crate::decision::decide;
use crate::error::{Error, Result};
use crate::in_use::InUse;
use crate::model::Capability;
use crate::policy::Rules;
use crate::policy_file::PolicyFile;
use crate::provider::Provider;
use crate::reference::parse_repository;
use crate::target::Target;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::io::Write;

pub struct Options {
    /// Repositories planned at once.
    pub concurrency: usize,
    pub quiet: bool,
    /// Images that stay whatever the rules say (`--in-use`).
    pub in_use: InUse,
}

/// What a planning run did, besides the plan it wrote.
pub struct Outcome {
    pub repositories: usize,
    pub removals: usize,
    pub bytes_freed: u64,
    /// One error per repository that could not be planned.
    pub failures: Vec<Error>,
}

/// Plans `repos` (canonical addresses, each covered by a rule of `file`)
/// and writes the plan to `out`, sorted. A repository that fails is left
/// out of the plan and reported in the outcome.
pub async fn run(
    ctx: &Context,
    repos: &[String],
    file: &PolicyFile,
    created: &str,
    out: impl Write,
    options: &Options,
) -> Result<Outcome> {
    let targets = repos
        .iter()
        .map(|r| Ok(Target::new(&parse_repository(r)?, ctx.settings.plain_http)))
        .collect::<Result<Vec<_>>>()?;
    let plugins = providers(ctx, &targets).await?;
    // Within a repository, requests run one at a time once there are
    // enough repositories to fill `concurrency`, so at most about that many
    // are in flight.
    let inner = (options.concurrency / repos.len().max(1)).max(1);
    let bar = progress(repos.len() as u64, options.quiet);
    let mut spool = Spool::new().map_err(spool_error)?;
    let mut outcome = Outcome {
        repositories: 0,
        removals: 0,
        bytes_freed: 0,
        failures: Vec::new(),
    };
    let mut planned = futures_util::stream::iter(&targets)
        .map(|target| {
            let plugin = plugins[target.registry()];
            let rules = file.rules_for(&target.canonical()).holding(&options.in_use);
            async move { plan_one(ctx, plugin, target, rules, inner).await }
        })
        .buffer_unordered(options.concurrency.max(1));
    while let Some(result) = planned.next().await {
        match result {
            Ok(repo) => {
                outcome.repositories += 1;
                outcome.removals += repo.removals();
                outcome.bytes_freed += repo.bytes_freed;
                spool.push(&repo).map_err(spool_error)?;
            }
            Err(e) => outcome.failures.push(e),
        }
        if let Some(bar) = &bar {
            bar.inc(1);
            bar.set_message(outcome.removals.to_string());
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
        crate::output::set_progress(None);
    }
    spool
        .write_plan(out, created)
        .map_err(|e| Error::failed(format!("cannot write the plan: {e}")))?;
    Ok(outcome)
}

/// The provider of each registry, selected once (detection may probe).
async fn providers<'a>(
    ctx: &'a Context,
    targets: &[Target],
) -> Result<HashMap<String, &'a Plugin>> {
    let mut chosen: HashMap<String, &Plugin> = HashMap::new();
    for target in targets {
        if !chosen.contains_key(target.registry()) {
            let plugin = ctx.select(target, true).await?.plugin;
            chosen.insert(target.registry().to_string(), plugin);
        }
    }
    Ok(chosen)
}

/// Decides one repository and records the digest of every tag to delete.
async fn plan_one(
    ctx: &Context,
    plugin: &Plugin,
    target: &Target,
    rules: Rules,
    concurrency: usize,
) -> Result<RepoPlan> {
    let repo = target.canonical();
    let provider = ctx
        .open(plugin, target, &[Capability::ListTags], true)
        .await?;
    let decision = decide(
        &provider,
        &repo,
        target.registry(),
        &rules,
        concurrency,
        true,
    )
    .await?;
    let bytes_freed = decision.bytes_freed;
    // The graph knows the digest of every tag it resolved.
    let listed: HashMap<&str, Option<&String>> = decision
        .tags
        .iter()
        .map(|t| {
            let digest = t.digest.as_ref().or(decision.graph.tags.get(&t.name));
            (t.name.as_str(), digest)
        })
        .collect();
    let resolved: Vec<Result<Option<Removal>>> = futures_util::stream::iter(&decision.delete)
        .map(|tag| digest_of(&provider, &repo, target, tag, listed.get(tag.as_str())))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut plan = RepoPlan {
        repo: repo.clone(),
        provider: provider.name().to_string(),
        delete: resolved
            .into_iter()
            .filter_map(Result::transpose)
            .collect::<Result<_>>()?,
        kept: decision
            .kept
            .into_iter()
            .map(|k| Kept {
                tag: k.tag,
                reason: k.reason.to_string(),
            })
            .collect(),
        attachments: decision
            .attachments
            .into_iter()
            .map(|a| Attachment {
                removed: a.removed,
                subject: a.subject,
            })
            .collect(),
        untagged: decision.untagged,
        bytes_freed,
    };
    plan.sort();
    Ok(plan)
}

/// The digest a tag to delete points at: as listed, else resolved. A tag
/// gone since the listing is no longer to delete.
async fn digest_of(
    provider: &Provider,
    repo: &str,
    target: &Target,
    tag: &str,
    listed: Option<&Option<&String>>,
) -> Result<Option<Removal>> {
    let digest = match listed.copied().flatten() {
        Some(digest) => digest.clone(),
        None => match provider.resolve(tag).await {
            Ok(descriptor) => descriptor.digest,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.into_error(&format!("{repo}:{tag}"), target.registry())),
        },
    };
    Ok(Some(Removal {
        tag: tag.to_string(),
        digest,
    }))
}

fn spool_error(e: std::io::Error) -> Error {
    Error::failed(format!("cannot spool the plan to a temporary file: {e}"))
        .hint("set TMPDIR to a directory with free space")
}

/// Repositories planned of all, removals found and time left, unless `-q`.
fn progress(total: u64, quiet: bool) -> Option<indicatif::ProgressBar> {
    let bar = crate::output::progress_bar(
        total,
        "{bar:40} {pos}/{len} repositories planned, {msg} removals found ({eta} left)",
        !quiet && total >= 2,
    )?;
    bar.set_message("0");
    Some(bar)
}
