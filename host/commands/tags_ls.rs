//! `berth tags ls REPO`: every tag, across all pages. Text is printed page
//! by page as it arrives; JSON is one document, printed when it is whole.

use crate::context::Context;
use crate::error::Result;
use crate::model::Capability;
use crate::output::{self, Format};
use crate::reference::parse_repository;
use crate::target::Target;
use std::io::Write;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  berth tags ls localhost:5000/app\n  \
berth tags ls ghcr.io/acme/app -o json")]
pub struct Args {
    /// Repository address: HOST[:PORT]/PATH, a Docker Hub name, or oci:DIR
    #[arg(value_name = "REPO")]
    pub repo: String,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let address = parse_repository(&args.repo)?;
    let target = Target::new(&address, ctx.settings.plain_http);
    let provider = ctx
        .provider(&target, &[Capability::ListTags], false)
        .await?;
    let subject = target.canonical();
    match ctx.settings.output {
        Format::Text => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            provider
                .each_tag_page(&subject, target.registry(), |page| {
                    // A closed pipe (`| head`) is not worth an error.
                    for tag in page {
                        let _ = writeln!(out, "{}", tag.name);
                    }
                    let _ = out.flush();
                })
                .await?;
        }
        Format::Json => {
            let tags = provider.all_tags(&subject, target.registry()).await?;
            output::json(&serde_json::json!({
                "repo": subject,
                "provider": provider.name(),
                "tags": tags,
            }));
        }
    }
    Ok(0)
}
