//! `berth tags rm REPO TAG...`: removes exactly the named tags.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::Capability;
use crate::reference::{is_valid_tag, parse_repository};
use crate::removal;
use crate::target::Target;
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
    let target = Target::new(&address, ctx.settings.plain_http);
    let needs = [Capability::ListTags, Capability::DeleteTag];
    let provider = ctx.provider(&target, &needs, args.dry_run).await?;
    let repo = target.canonical();
    let all = provider.all_tags(&repo, target.registry()).await?;
    let options = removal::Options {
        dry_run: args.dry_run,
        quiet: ctx.settings.quiet,
        concurrency: usize::from(ctx.settings.concurrency),
    };
    let report = removal::remove(&provider, &repo, &all, &named, &options).await;
    report.print(ctx.settings.output, args.ignore_missing);
    Ok(report.exit_code(args.ignore_missing))
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
