//! `berth cleanup REPO`: removes the tags a policy selects, and says why
//! every other tag was kept.

use crate::context::Context;
use crate::decision::{Decision, Extent, decide, following};
use crate::error::{Error, Result};
use crate::in_use::InUse;
use crate::model::Capability;
use crate::policy::{Policy, Rules};
use crate::policy_file::PolicyFile;
use crate::provider::Provider;
use crate::reference::parse_repository;
use crate::removal;
use crate::target::Target;
use regex::Regex;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What `berth help cleanup` says after the options: how a tag is decided,
/// the kept reasons in the order the first that holds is reported, and
/// examples.
const AFTER_HELP: &str = "A tag is deleted only when it is a candidate and no keep rule holds it. \
Every tag not deleted is reported with the first of these reasons that holds, in this order:
  attachment  a signature, SBOM or attestation (sha256-<hex> tags): it goes only with its image
  in-use      its image is among the --in-use references
  keep        it matches a --keep regex
  unmatched   --match does not select it (time and count rules only see what --match selects)
  keep-last   it is among the --keep-last newest
  no-date     its creation time cannot be found, so no time rule deletes it
  newer       it is younger than --older-than

An image goes when no kept tag reaches it any more (directly, through a kept index, or as a
referrer of a kept image). Its attachments (sha256-<hex> tags and manifests whose subject it is)
go with it unless --keep-attachments; those of an image that stays never go. --untagged also
deletes manifests nothing kept reaches, where the provider can list them (oci-layout, ecr, acr,
github, harbor; elsewhere it stops before any change and the hint says why). After a run that
changed something, every kept tag is resolved again and what it reaches is checked
(--no-verify skips this); damage is reported and exits 1.

Run `berth doctor REPO` first: it checks, changing nothing, that the credential may list and delete.

Examples:
  berth cleanup localhost:5000/app --match '^pr-' --older-than 30d --dry-run
  berth cleanup localhost:5000/app --keep-last 10 --keep '^v[0-9]' --report report.json
  kubectl get pods -A -o json | berth cleanup localhost:5000/app --keep-last 5 --in-use -
  berth cleanup oci:./layout --match '^pr-' --untagged --max-delete 100
  berth cleanup ghcr.io/acme/app --match '^pr-' --untagged --dry-run
  berth cleanup localhost:5000/app --policy policy.toml --dry-run";

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Repository address
    #[arg(value_name = "REPO")]
    pub repo: String,
    /// Keep the newest N tags (by creation time) among those --match selects
    #[arg(long, value_name = "N")]
    pub keep_last: Option<usize>,
    /// Keep tags matching REGEX (repeatable)
    #[arg(long, value_name = "REGEX")]
    pub keep: Vec<String>,
    /// Only tags older than DURATION are candidates (e.g. 30d, 12h)
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// Only tags matching REGEX are candidates; `.*` for all
    #[arg(long = "match", value_name = "REGEX")]
    pub matching: Option<String>,
    /// Also delete manifests no kept tag reaches (providers that list manifests)
    #[arg(long)]
    pub untagged: bool,
    /// Leave the signatures, SBOMs and attestations of removed images
    #[arg(long)]
    pub keep_attachments: bool,
    /// Keep images in use: lines REPO:TAG, REPO@DIGEST or sha256:..., or `kubectl get pods -A -o json`
    #[arg(long, value_name = "FILE|-")]
    pub in_use: Option<String>,
    /// Take the rules from a policy file (the rules whose `repos` globs
    /// match REPO) instead of the flags
    #[arg(long, value_name = "FILE", conflicts_with_all = ["keep_last", "keep", "older_than", "matching", "untagged", "keep_attachments"])]
    pub policy: Option<PathBuf>,
    /// Refuse to run when more than N tags would be deleted
    #[arg(long, value_name = "N")]
    pub max_delete: Option<usize>,
    /// Skip checking, after the removals, that every kept tag still works
    #[arg(long)]
    pub no_verify: bool,
    /// Report what would be deleted; send only GET and HEAD requests
    #[arg(long)]
    pub dry_run: bool,
    /// Also write the JSON report to FILE
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let address = parse_repository(&args.repo)?;
    let target = Target::new(&address, ctx.settings.plain_http);
    let policy = match &args.policy {
        Some(path) => from_file(path, &target.canonical(), in_use(&args)?)?,
        None => Rules(vec![policy(&args)?]),
    };
    let needs = [Capability::ListTags, Capability::DeleteTag];
    let provider = ctx.provider(&target, &needs, args.dry_run).await?;
    if policy.untagged() {
        untagged_supported(&provider).await?;
    }
    let repo = target.canonical();
    let concurrency = usize::from(ctx.settings.concurrency);
    let decision = decide(
        &provider,
        &repo,
        target.registry(),
        &policy,
        concurrency,
        false,
    )
    .await?;
    if let Some(max) = args.max_delete
        && decision.delete.len() > max
    {
        let report = planned(&provider, &repo, &decision);
        report.print(ctx.settings.output, false);
        return Err(Error::failed(format!(
            "{repo}: cleanup would delete {} tags, more than --max-delete {max}; nothing was changed",
            decision.delete.len()
        ))
        .hint("check the policy, or raise --max-delete if that many is right"));
    }
    let mut report = if args.dry_run {
        planned(&provider, &repo, &decision)
    } else {
        let options = removal::Options {
            dry_run: false,
            quiet: ctx.settings.quiet,
            concurrency,
        };
        let mut report =
            removal::remove(&provider, &repo, &decision.tags, &decision.delete, &options).await;
        follow(&provider, &policy, &decision, &mut report, concurrency).await;
        report
    };
    report.kept = Some(decision.kept.clone());
    if !args.dry_run && !args.no_verify && provider.has(Capability::GetManifest) {
        let kept: Vec<String> = decision.kept.iter().map(|k| k.tag.clone()).collect();
        report.damaged = Some(crate::verify::verify(&provider, &kept, concurrency).await);
    }
    report.refused = provider.refused_writes();
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&report).expect("report serialises");
        std::fs::write(path, json)
            .map_err(|e| Error::failed(format!("cannot write report {}: {e}", path.display())))?;
    }
    report.print(ctx.settings.output, false);
    Ok(report.exit_code(false))
}

/// `--untagged` needs a provider that lists and deletes manifests; refused
/// before any change elsewhere, with the provider's reason when it gives one.
async fn untagged_supported(provider: &Provider) -> Result<()> {
    let lacks = [Capability::ListManifests, Capability::DeleteManifest]
        .into_iter()
        .find(|c| !provider.has(*c));
    let Some(c) = lacks else {
        return Ok(());
    };
    let error = Error::usage(format!(
        "--untagged needs a provider that can list and delete manifests no tag points at; {} does not declare {c}",
        provider.label()
    ));
    let error = match provider.why_no_manifest_listing().await {
        Some(reason) => error.hint(format!("{}: {reason}", provider.name())),
        None => error,
    };
    Err(error
        .hint("--untagged works with the oci-layout, ecr, acr, gcr, github and harbor providers")
        .hint("drop --untagged here; attachments of removed images still go with them"))
}

/// The report of a run that changes nothing: what the decision says.
fn planned(provider: &Provider, repo: &str, decision: &Decision) -> removal::Report {
    removal::Report {
        repo: repo.to_string(),
        provider: provider.name().to_string(),
        dry_run: true,
        deleted: decision.delete.clone(),
        missing: Vec::new(),
        failed: Vec::new(),
        kept: None,
        attachments: Some(decision.attachments.clone()),
        untagged: Some(decision.untagged.clone()),
        damaged: None,
        refused: provider.refused_writes(),
    }
}

/// Removes what follows the tags that were removed: decided again on what
/// actually went, so a tag that failed keeps its image and attachments.
async fn follow(
    provider: &Provider,
    policy: &Rules,
    decision: &Decision,
    report: &mut removal::Report,
    concurrency: usize,
) {
    let listed: Vec<String> = decision.tags.iter().map(|t| t.name.clone()).collect();
    let deleted: BTreeSet<String> = report.deleted.iter().cloned().collect();
    let in_use = policy.in_use();
    let rules = Extent {
        untagged: policy.untagged(),
        keep_attachments: policy.keep_attachments(),
        in_use: &in_use,
        deletes_manifests: provider.has(Capability::DeleteManifest),
    };
    let following = following(&decision.graph, &listed, &deleted, &rules);
    if following.items.is_empty() || crate::interrupt::interrupted() {
        report.attachments = Some(Vec::new());
        report.untagged = Some(Vec::new());
        return;
    }
    let followed = removal::remove_following(
        provider,
        &decision.graph,
        following.items,
        concurrency,
        &removal::Unrecorded,
    )
    .await;
    let fate = following.fate;
    report.attachments = Some(
        fate.attachments
            .into_iter()
            .filter(|a| followed.removed.contains(&a.removed))
            .collect(),
    );
    report.untagged = Some(
        fate.untagged
            .into_iter()
            .filter(|d| followed.removed.contains(d))
            .collect(),
    );
    report.failed.extend(followed.failed);
}

/// The rules of a policy file that apply to `repo`; none is an error, as
/// a run that could delete nothing was surely not meant. `--in-use` holds
/// for every rule.
fn from_file(path: &std::path::Path, repo: &str, in_use: InUse) -> Result<Rules> {
    let file = PolicyFile::read(path)?;
    let rules = file.rules_for(repo).holding(&in_use);
    if rules.0.is_empty() {
        return Err(Error::usage(format!("no rule of {} applies to {repo}", file.name)).hint(
            "a rule applies when one of its `repos` globs matches the address, e.g. repos = [\"REGISTRY/PATH/*\"]",
        ));
    }
    Ok(rules)
}

fn in_use(args: &Args) -> Result<InUse> {
    match &args.in_use {
        Some(source) => InUse::read(source),
        None => Ok(InUse::default()),
    }
}

/// Checks the whole policy before any request is sent.
fn policy(args: &Args) -> Result<Policy> {
    let regex = |flag: &str, text: &str| {
        Regex::new(text).map_err(|e| Error::usage(format!("invalid {flag} regex {text:?}: {e}")))
    };
    let keep = args
        .keep
        .iter()
        .map(|k| regex("--keep", k))
        .collect::<Result<Vec<_>>>()?;
    let matching = args
        .matching
        .as_deref()
        .map(|m| regex("--match", m))
        .transpose()?;
    let older_than = match &args.older_than {
        Some(text) => {
            let d = crate::duration::parse(text)
                .map_err(|e| Error::usage(format!("--older-than: {e}")))?;
            Some(
                chrono::Duration::from_std(d)
                    .map_err(|_| Error::usage(format!("--older-than {text} is too large")))?,
            )
        }
        None => None,
    };
    if matching.is_none() && args.keep_last.is_none() && older_than.is_none() && !args.untagged {
        return Err(
            Error::usage("no cleanup policy: nothing selects tags to delete")
                .hint("give --keep-last N, --older-than DURATION, --match REGEX or --untagged")
                .hint("to delete every tag not kept, say so with --match '.*'"),
        );
    }
    let in_use = in_use(args)?;
    Ok(Policy {
        keep,
        keep_last: args.keep_last,
        older_than,
        matching,
        untagged: args.untagged,
        keep_attachments: args.keep_attachments,
        in_use,
    })
}
