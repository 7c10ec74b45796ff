//! `berth detect REPO`: which provider serves it, and how that was decided.

use crate::context::Context;
use crate::error::Result;
use crate::output::{self, Format};
use crate::reference::parse_repository;
use crate::target::Target;

#[derive(clap::Args)]
pub struct Args {
    /// Repository address: HOST[:PORT]/PATH, a Docker Hub name, or oci:DIR
    #[arg(value_name = "REPO")]
    pub repo: String,
    /// Decide without asking the registry
    #[arg(long)]
    pub no_probe: bool,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let address = parse_repository(&args.repo)?;
    let target = Target::new(&address, ctx.settings.plain_http);
    let selection = ctx.select(&target, !args.no_probe).await?;
    match ctx.settings.output {
        Format::Text => output::lines([&selection.plugin.name]),
        Format::Json => output::json(&serde_json::json!({
            "repo": target.canonical(),
            "registry": target.registry(),
            "repository": target.repository(),
            "provider": selection.plugin.name,
            "method": selection.method,
        })),
    }
    Ok(0)
}
