//! `berth manifest get` and `berth manifest put`.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::Capability;
use crate::output::{self, Format};
use crate::reference::{Reference, parse_manifest};
use crate::target::Target;
use std::io::{Read, Write};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct GetArgs {
    /// REPO:TAG or REPO@DIGEST
    #[arg(value_name = "REFERENCE")]
    pub reference: String,
}

#[derive(clap::Args)]
pub struct PutArgs {
    /// REPO:TAG (or REPO@DIGEST to store without a tag)
    #[arg(value_name = "REFERENCE")]
    pub reference: String,
    /// The manifest file; `-` or nothing reads stdin
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Media type; read from the document's `mediaType` when not given
    #[arg(long, value_name = "TYPE")]
    pub media_type: Option<String>,
}

pub async fn get(ctx: &Context, args: GetArgs) -> Result<u8> {
    let parsed = parse_manifest(&args.reference)?;
    let target = Target::new(&parsed.address, ctx.settings.plain_http);
    let needs = [Capability::GetManifest];
    let provider = ctx.provider(&target, &needs, false).await?;
    let reference = parsed.reference.to_string();
    let manifest = provider
        .get_manifest(&reference)
        .await
        .map_err(|f| f.into_error(&parsed.canonical(), target.registry()))?;
    match ctx.settings.output {
        Format::Text => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&manifest.bytes).and_then(|()| out.flush());
        }
        Format::Json => {
            let document: serde_json::Value =
                serde_json::from_slice(&manifest.bytes).map_err(|e| {
                    Error::failed(format!(
                        "{}: the manifest is not JSON: {e}",
                        parsed.canonical()
                    ))
                })?;
            output::json(&serde_json::json!({
                "digest": manifest.digest,
                "media_type": manifest.media_type,
                "manifest": document,
            }));
        }
    }
    Ok(0)
}

pub async fn put(ctx: &Context, args: PutArgs) -> Result<u8> {
    let parsed = parse_manifest(&args.reference)?;
    let bytes = read_input(args.file.as_ref())?;
    let media_type = match args.media_type {
        Some(t) => t,
        None => media_type(&bytes)?,
    };
    if let Reference::Digest(d) = &parsed.reference {
        crate::digest::verify(d, &bytes).map_err(Error::usage)?;
    }
    let target = Target::new(&parsed.address, ctx.settings.plain_http);
    let needs = [Capability::PushManifest];
    let provider = ctx.provider(&target, &needs, false).await?;
    let digest = provider
        .push_manifest(&parsed.reference.to_string(), &media_type, &bytes)
        .await
        .map_err(|f| f.into_error(&parsed.canonical(), target.registry()))?;
    match ctx.settings.output {
        Format::Text => output::lines([&digest]),
        Format::Json => output::json(&serde_json::json!({ "digest": digest })),
    }
    Ok(0)
}

fn read_input(file: Option<&PathBuf>) -> Result<Vec<u8>> {
    match file {
        Some(path) if path.as_os_str() != "-" => std::fs::read(path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display()))),
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::usage(format!("cannot read stdin: {e}")))?;
            Ok(bytes)
        }
    }
}

/// The document's `mediaType`, else what its shape says it is.
fn media_type(bytes: &[u8]) -> Result<String> {
    let doc: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::usage(format!("the manifest is not valid JSON: {e}")))?;
    if let Some(t) = doc.get("mediaType").and_then(|t| t.as_str()) {
        return Ok(t.to_string());
    }
    if doc.get("manifests").is_some() {
        Ok("application/vnd.oci.image.index.v1+json".into())
    } else if doc.get("config").is_some() {
        Ok("application/vnd.oci.image.manifest.v1+json".into())
    } else {
        Err(Error::usage("cannot tell the manifest's media type").hint("give --media-type"))
    }
}
