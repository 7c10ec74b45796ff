//! `berth referrers ls REF`: the manifests whose subject is that manifest.

use crate::context::Context;
use crate::error::Result;
use crate::output::{self, Format};
use crate::reference::parse_manifest;
use crate::target::Target;
use crate::transfer::{Endpoint, referrers};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  berth referrers ls localhost:5000/app:v1
  berth referrers ls ghcr.io/acme/app@sha256:<hex> -o json")]
pub struct LsArgs {
    /// REPO:TAG, REPO@DIGEST, oci:DIR:TAG or oci:DIR@DIGEST
    #[arg(value_name = "REFERENCE")]
    pub reference: String,
}

pub async fn ls(ctx: &Context, args: LsArgs) -> Result<u8> {
    let parsed = parse_manifest(&args.reference)?;
    let target = Target::new(&parsed.address, ctx.settings.plain_http);
    let provider = ctx.provider(&target, &[], false).await?;
    let shown = parsed.canonical();
    let fail = |f: crate::provider::Failure| f.into_error(&shown, target.registry());
    let side = Endpoint::connect(provider, target.canonical(), target.registry().to_string())
        .await
        .map_err(fail)?;
    let subject = side
        .provider
        .resolve(&parsed.reference.to_string())
        .await
        .map_err(fail)?
        .digest;
    let found = referrers::list(&side, &subject).await.map_err(fail)?;
    match ctx.settings.output {
        Format::Text => output::lines(found.iter().map(|r| {
            format!(
                "{} {} {}",
                r.digest,
                r.artifact_type.as_deref().unwrap_or(&r.media_type),
                r.size
            )
        })),
        Format::Json => {
            let listed: Vec<serde_json::Value> = found
                .iter()
                .map(|r| {
                    let annotations: serde_json::Map<String, serde_json::Value> = r
                        .annotations
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().into()))
                        .collect();
                    serde_json::json!({
                        "digest": r.digest,
                        "artifact_type": r.artifact_type,
                        "media_type": r.media_type,
                        "size": r.size,
                        "annotations": annotations,
                    })
                })
                .collect();
            output::json(&serde_json::json!({"subject": subject, "referrers": listed}));
        }
    }
    Ok(0)
}
