//! `berth repos ls REGISTRY[/PREFIX]`: every repository of a registry, or
//! of an organisation, project or group in it, each printed as a `REPO`.

use crate::context::Context;
use crate::error::Result;
use crate::output::{self, Format};
use crate::scope;

#[derive(clap::Args)]
#[command(
    after_help = "Text output is one REGISTRY/REPOSITORY per line, each usable as REPO; \
the catalog (/v2/_catalog) is read where the registry serves it, else the provider's own API \
(ECR, GitHub, Harbor, Quay, Docker Hub's namespaces, GitLab's groups and projects).

Examples:
  berth repos ls localhost:5000
  berth repos ls ghcr.io/acme
  berth repos ls docker.io/acme --opt username=acme --opt token=dckr_pat_...
  berth repos ls registry.gitlab.com/acme --opt token=glpat-...
  berth repos ls 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team -o json"
)]
pub struct Args {
    /// A registry host, optionally with a path prefix (organisation,
    /// project or group), or oci:DIR
    #[arg(value_name = "REGISTRY[/PREFIX]")]
    pub scope: String,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let target = scope::parse(&args.scope, ctx.settings.plain_http)?;
    let listing = scope::repositories(ctx, &target).await?;
    match ctx.settings.output {
        Format::Text => output::lines(&listing.repositories),
        Format::Json => output::json(&listing.repositories),
    }
    Ok(0)
}
