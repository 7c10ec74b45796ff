//! `berth cp SRC DST`: an image, index or artifact with everything it
//! references, from one registry or layout to another.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::Capability;
use crate::output::{self, Format};
use crate::reference::{Address, Reference, parse_manifest, parse_repository};
use crate::target::Target;
use crate::transfer::{
    Copied, Copier, DESTINATION_NEEDS, Endpoint, Options, Platform, Progress, SOURCE_NEEDS,
};
use futures_util::StreamExt;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  berth cp docker.io/library/nginx:1.27 localhost:5000/nginx:1.27
  berth cp ghcr.io/acme/app:v1 localhost:5000/app --platform linux/arm64
  berth cp localhost:5000/app:v1 oci:./app-layout:v1 --referrers
  berth cp localhost:5000/app localhost:5001/app --all-tags --concurrency 4
  berth cp ghcr.io/acme/app:v1 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1")]
pub struct Args {
    /// REPO:TAG, REPO@DIGEST, oci:DIR:TAG or oci:DIR@DIGEST (a repository with --all-tags)
    #[arg(value_name = "SRC")]
    pub source: String,
    /// REPO:TAG, REPO (keeps the source tag) or oci:DIR[:TAG]
    #[arg(value_name = "DST")]
    pub destination: String,
    /// Copy only this platform's image out of an index, and tag it
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Also copy the manifests that refer to what is copied (signatures, SBOMs)
    #[arg(long)]
    pub referrers: bool,
    /// Copy every tag of the source repository
    #[arg(long)]
    pub all_tags: bool,
    /// Refuse to move a destination tag that points elsewhere
    #[arg(long, conflicts_with = "force")]
    pub no_clobber: bool,
    /// Move a destination tag that points elsewhere (the default)
    #[arg(long)]
    pub force: bool,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let platform = match &args.platform {
        Some(p) => Some(Platform::parse(p).ok_or_else(|| {
            Error::usage(format!("--platform {p:?} is not OS/ARCH[/VARIANT]"))
                .hint("for example --platform linux/amd64 or --platform linux/arm64/v8")
        })?),
        None => None,
    };
    let (source, reference) = if args.all_tags {
        (parse_repository(&args.source)?, None)
    } else {
        let parsed = parse_manifest(&args.source)?;
        (parsed.address, Some(parsed.reference))
    };
    let (destination, tag) = if args.all_tags {
        (parse_repository(&args.destination)?, None)
    } else {
        destination(&args.destination)?
    };
    let from_target = Target::new(&source, ctx.settings.plain_http);
    let to_target = Target::new(&destination, ctx.settings.plain_http);
    let mut source_needs = SOURCE_NEEDS.to_vec();
    if args.all_tags {
        source_needs.push(Capability::ListTags);
    }
    // Both sides are checked before either is asked anything.
    let from = ctx.side_provider(&from_target, &source_needs).await?;
    let to = ctx.side_provider(&to_target, &DESTINATION_NEEDS).await?;
    // A layout is made where the directory does not exist yet.
    if let Target::Layout { dir } = &to_target {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    let from = connect(from, &from_target).await?;
    let to = connect(to, &to_target).await?;
    let options = Options {
        platform,
        referrers: args.referrers,
        no_clobber: args.no_clobber,
    };
    let concurrency = usize::from(ctx.settings.concurrency.max(1));
    let progress = Progress::new(ctx.settings.quiet);
    let copier = Copier::new(&from, &to, options, concurrency, progress.clone());

    let jobs: Vec<(String, Option<String>)> = match reference {
        Some(reference) => {
            let tag = tag.or(match &reference {
                Reference::Tag(t) => Some(t.clone()),
                Reference::Digest(_) => None,
            });
            vec![(reference.to_string(), tag)]
        }
        None => {
            let tags = from
                .provider
                .all_tags(&from.shown, from_target.registry())
                .await?;
            tags.into_iter()
                .map(|t| (t.name.clone(), Some(t.name)))
                .collect()
        }
    };
    let results: Vec<Result<Copied>> = futures_util::stream::iter(&jobs)
        .map(|(reference, tag)| {
            let copier = &copier;
            let from = &from;
            let to = &to;
            async move {
                let mut copied = copier.copy(reference, tag.as_deref()).await?;
                copied.source = named(&from.shown, reference);
                copied.destination = named(&to.shown, tag.as_deref().unwrap_or(&copied.digest));
                Ok(copied)
            }
        })
        .buffered(if args.all_tags { concurrency } else { 1 })
        .collect()
        .await;
    progress.finish();

    let mut failed = None;
    let mut done = Vec::new();
    for result in results {
        match result {
            Ok(copied) => done.push(copied),
            Err(e) if !args.all_tags => return Err(e),
            Err(e) => {
                output::error(&e);
                failed = Some(e);
            }
        }
    }
    match ctx.settings.output {
        Format::Text => output::lines(done.iter().map(text)),
        Format::Json if args.all_tags => output::json(&done),
        Format::Json => output::json(&done[0]),
    }
    Ok(if failed.is_some() { 1 } else { 0 })
}

/// `DST` as `REPO[:TAG]` or `REPO@DIGEST`: the address and the tag to set.
fn destination(given: &str) -> Result<(Address, Option<String>)> {
    if let Ok(address) = parse_repository(given) {
        return Ok((address, None));
    }
    let parsed = parse_manifest(given)?;
    match parsed.reference {
        Reference::Tag(tag) => Ok((parsed.address, Some(tag))),
        Reference::Digest(_) => Err(Error::usage(format!(
            "{given:?}: a destination is REPO:TAG or REPO, never a digest"
        ))
        .hint("the copy keeps the source's digest; name a tag or just the repository")),
    }
}

async fn connect(provider: crate::provider::Provider, target: &Target) -> Result<Endpoint> {
    let shown = target.canonical();
    Endpoint::connect(provider, shown.clone(), target.registry().to_string())
        .await
        .map_err(|f| f.into_error(&shown, target.registry()))
}

/// `REPO:TAG` or `REPO@DIGEST`.
fn named(repo: &str, reference: &str) -> String {
    if reference.contains(':') {
        format!("{repo}@{reference}")
    } else {
        format!("{repo}:{reference}")
    }
}

fn text(copied: &Copied) -> String {
    let mut line = format!(
        "copied {} -> {} {}",
        copied.source, copied.destination, copied.digest
    );
    if let (Some(platform), Some(index)) = (&copied.platform, &copied.index_digest) {
        line.push_str(&format!(
            " ({platform} of index {index}: the digest changed)"
        ));
    }
    if copied.unchanged {
        line.push_str(" (unchanged)");
    }
    line
}
