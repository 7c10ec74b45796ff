//! `berth tags ls REPO`: every tag, across all pages.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::provider::{Provider, Tag, Target, select};
use crate::reference::parse_repository;
use std::collections::HashSet;

#[derive(clap::Args)]
pub struct Args {
    /// Repository address: HOST[:PORT]/PATH, a Docker Hub name, or oci:DIR
    #[arg(value_name = "REPO")]
    pub repo: String,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let address = parse_repository(&args.repo)?;
    let target = Target::new(&address, ctx.global.plain_http);
    let selection = select(ctx, &target, true).await?;
    let provider = ctx.open(selection.plugin, &target).await?;
    let tags = list_all(&provider, &target).await?;
    match ctx.global.output {
        Format::Text => output::lines(tags.iter().map(|t| &t.name)),
        Format::Json => output::json(&serde_json::json!({
            "repo": target.canonical(),
            "provider": provider.name(),
            "tags": tags,
        })),
    }
    Ok(0)
}

/// Pages until the last one. A cursor seen before, or a page of nothing but
/// tags already listed, is a loop: an error, never a hang.
pub async fn list_all(provider: &Provider, target: &Target) -> Result<Vec<Tag>> {
    let subject = target.canonical();
    let mut cursors = HashSet::new();
    let mut names = HashSet::new();
    let mut tags = Vec::new();
    let mut cursor = None;
    loop {
        let page = provider
            .list_tags(cursor.clone())
            .await
            .map_err(|f| f.into_error(&subject, target.registry()))?;
        let fresh = page.tags.len();
        let before = tags.len();
        for tag in page.tags {
            if names.insert(tag.name.clone()) {
                tags.push(tag);
            }
        }
        crate::log::debug(&format!("{subject}: {} tags so far", tags.len()));
        let Some(next) = page.next else { break };
        if fresh > 0 && tags.len() == before {
            return Err(loop_error(&subject, "a page repeated tags already listed"));
        }
        if !cursors.insert(next.clone()) {
            return Err(loop_error(
                &subject,
                &format!("the page {next} was sent twice"),
            ));
        }
        cursor = Some(next);
    }
    Ok(tags)
}

fn loop_error(subject: &str, what: &str) -> Error {
    Error::failed(format!(
        "{subject}: the registry's paging loops ({what}); stopped instead of listing forever"
    ))
    .hint("this is a registry bug; the tags listed so far were not printed")
}
