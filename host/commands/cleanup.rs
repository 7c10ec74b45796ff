//! `berth cleanup REPO`: removes the tags a policy selects, and says why
//! every other tag was kept.

use crate::context::Context;
use crate::decision::decide;
use crate::error::{Error, Result};
use crate::model::Capability;
use crate::policy::{Policy, Rules};
use crate::policy_file::PolicyFile;
use crate::reference::parse_repository;
use crate::removal;
use crate::target::Target;
use regex::Regex;
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

Run `berth doctor REPO` first: it checks, changing nothing, that the credential may list and delete.

Examples:
  berth cleanup localhost:5000/app --match '^pr-' --older-than 30d --dry-run
  berth cleanup localhost:5000/app --keep-last 10 --keep '^v[0-9]' --report report.json
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
    /// Take the rules from a policy file (the rules whose repos globs match
    /// REPO) instead of the flags
    #[arg(long, value_name = "FILE", conflicts_with_all = ["keep_last", "keep", "older_than", "matching"])]
    pub policy: Option<PathBuf>,
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
        Some(path) => from_file(path, &target.canonical())?,
        None => Rules(vec![policy(&args)?]),
    };
    let needs = [Capability::ListTags, Capability::DeleteTag];
    let provider = ctx.provider(&target, &needs, args.dry_run).await?;
    let repo = target.canonical();
    let concurrency = usize::from(ctx.settings.concurrency);
    let decision = decide(&provider, &repo, target.registry(), &policy, concurrency).await?;
    let mut report = if decision.delete.is_empty() {
        removal::Report {
            repo,
            provider: provider.name().to_string(),
            dry_run: args.dry_run,
            deleted: Vec::new(),
            missing: Vec::new(),
            failed: Vec::new(),
            kept: None,
            refused: provider.refused_writes(),
        }
    } else {
        let options = removal::Options {
            dry_run: args.dry_run,
            quiet: ctx.settings.quiet,
            concurrency,
        };
        removal::remove(&provider, &repo, &decision.tags, &decision.delete, &options).await
    };
    report.kept = Some(decision.kept);
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&report).expect("report serialises");
        std::fs::write(path, json)
            .map_err(|e| Error::failed(format!("cannot write report {}: {e}", path.display())))?;
    }
    report.print(ctx.settings.output, false);
    Ok(report.exit_code(false))
}

/// The rules of a policy file that apply to `repo`; none is an error, as
/// a run that could delete nothing was surely not meant.
fn from_file(path: &std::path::Path, repo: &str) -> Result<Rules> {
    let file = PolicyFile::read(path)?;
    let rules = file.rules_for(repo);
    if rules.0.is_empty() {
        return Err(Error::usage(format!(
            "no rule of {} applies to {repo}",
            file.name
        ))
        .hint("a rule applies when one of its `repos` globs matches the address, e.g. repos = [\"REGISTRY/PATH/*\"]"));
    }
    Ok(rules)
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
    if matching.is_none() && args.keep_last.is_none() && older_than.is_none() {
        return Err(
            Error::usage("no cleanup policy: nothing selects tags to delete")
                .hint("give --keep-last N, --older-than DURATION or --match REGEX")
                .hint("to delete every tag not kept, say so with --match '.*'"),
        );
    }
    Ok(Policy {
        keep,
        keep_last: args.keep_last,
        older_than,
        matching,
    })
}
