//! `berth tags rm REPO TAG...`: removes exactly the named tags.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::provider::{Target, select};
use crate::reference::{is_valid_tag, parse_repository};
use crate::removal::{self, Report};
use std::io::Read;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    after_help = "A tag that is not named is never removed or changed, even when it points at \
the same manifest as a named one.\n\nExamples:\n  berth tags rm localhost:5000/app v1 v2\n  \
berth tags ls localhost:5000/app | grep '^pr-' | berth tags rm localhost:5000/app --from-file -"
)]
pub struct Args {
    /// Repository address
    #[arg(value_name = "REPO")]
    pub repo: String,
    /// Tags to remove
    #[arg(value_name = "TAG")]
    pub tags: Vec<String>,
    /// Read more tags from FILE (one per line; `-` is stdin; `#` starts a comment)
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// Report what would be removed; send only GET and HEAD requests
    #[arg(long)]
    pub dry_run: bool,
    /// A named tag that does not exist is not an error
    #[arg(long)]
    pub ignore_missing: bool,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let address = parse_repository(&args.repo)?;
    let mut named = args.tags.clone();
    if let Some(file) = &args.from_file {
        named.extend(read_tags(file)?);
    }
    for tag in &named {
        if !is_valid_tag(tag) {
            return Err(Error::usage(format!("invalid tag {tag:?}")));
        }
    }
    if named.is_empty() {
        return Err(Error::usage("no tags named").hint("name tags after REPO, or give --from-file"));
    }
    let target = Target::new(&address, ctx.global.plain_http);
    let selection = select(ctx, &target, true).await?;
    let provider = ctx.open(selection.plugin, &target).await?;
    let all = super::tags_ls::list_all(&provider, &target).await?;
    let report = remove(ctx, &provider, &target, &all, &named, args.dry_run).await;
    report.print(ctx.global.output, args.ignore_missing);
    Ok(report.exit_code(args.ignore_missing))
}

/// Plans and runs the removal of `named`, reporting in the order named.
pub async fn remove(
    ctx: &Context,
    provider: &crate::provider::Provider,
    target: &Target,
    all: &[crate::provider::Tag],
    named: &[String],
    dry_run: bool,
) -> Report {
    let plan = removal::plan(provider, all, named, dry_run).await;
    let outcome = removal::execute(
        provider,
        &plan,
        dry_run,
        ctx.global.quiet,
        usize::from(ctx.global.concurrency),
    )
    .await;
    let position = |t: &String| named.iter().position(|n| n == t);
    let mut deleted = outcome.deleted;
    deleted.sort_by_key(position);
    let mut failed = outcome.failed;
    failed.sort_by_key(|f| position(&f.tag));
    Report {
        repo: target.canonical(),
        provider: provider.name().to_string(),
        dry_run,
        deleted,
        missing: plan.missing,
        failed,
        kept: None,
    }
}

/// Tags from a file or stdin: one per line, blank lines and `#` comments
/// skipped.
fn read_tags(path: &PathBuf) -> Result<Vec<String>> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::usage(format!("cannot read tags from stdin: {e}")))?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?
    };
    let mut tags = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let tag = line.split('#').next().unwrap_or("").trim();
        if tag.is_empty() {
            continue;
        }
        if !is_valid_tag(tag) {
            return Err(Error::usage(format!(
                "{}:{}: invalid tag {tag:?}",
                path.display(),
                i + 1
            )));
        }
        tags.push(tag.to_string());
    }
    Ok(tags)
}
