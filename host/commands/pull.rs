//! `berth pull REF [-d DIR]`: the titled files of an artifact, verified.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::reference::parse_manifest;
use crate::target::Target;
use crate::transfer::{Endpoint, Progress, SOURCE_NEEDS, artifact, refs, save};
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  berth pull localhost:5000/charts/app:1.2.3 -d charts/
  berth pull ghcr.io/acme/app@sha256:<hex> --force")]
pub struct Args {
    /// REPO:TAG, REPO@DIGEST, oci:DIR:TAG or oci:DIR@DIGEST
    #[arg(value_name = "REFERENCE")]
    pub reference: String,
    /// Where the files go
    #[arg(short = 'd', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files that exist
    #[arg(long)]
    pub force: bool,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let parsed = parse_manifest(&args.reference)?;
    let target = Target::new(&parsed.address, ctx.settings.plain_http);
    let provider = ctx.provider(&target, &SOURCE_NEEDS, false).await?;
    let shown = parsed.canonical();
    let from = Endpoint::connect(provider, target.canonical(), target.registry().to_string())
        .await
        .map_err(|f| f.into_error(&shown, target.registry()))?;
    let reference = parsed.reference.to_string();
    let manifest = from
        .provider
        .get_manifest(&reference)
        .await
        .map_err(|f| f.into_error(&shown, target.registry()))?;
    let layers = refs(&manifest.bytes)
        .map_err(|why| Error::failed(format!("{shown}: {why}")))?
        .blobs;
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| Error::failed(format!("cannot create {}: {e}", args.dir.display())))?;

    let progress = Progress::new(ctx.settings.quiet);
    let mut written = Vec::new();
    let mut failed = 0;
    for layer in &layers {
        let title = match artifact::title(layer) {
            None => continue,
            Some(Ok(title)) => title,
            Some(Err(why)) => {
                output::error(&Error::failed(format!("{shown}: {why}; not written")));
                failed += 1;
                continue;
            }
        };
        let path = args.dir.join(title);
        if path.exists() && !args.force {
            output::error(
                &Error::failed(format!("{} exists; not overwritten", path.display()))
                    .hint("give --force to overwrite it"),
            );
            failed += 1;
            continue;
        }
        progress.expect(layer.size);
        match save(&from, layer, &path, &progress).await {
            Ok(()) => written.push(path.display().to_string()),
            Err(why) => {
                output::error(&Error::failed(format!("{shown}: {why}")));
                failed += 1;
            }
        }
    }
    progress.finish();
    match ctx.settings.output {
        Format::Text => output::lines(&written),
        Format::Json => output::json(&serde_json::json!({
            "digest": manifest.digest,
            "written": written,
        })),
    }
    Ok(if failed > 0 { 1 } else { 0 })
}
