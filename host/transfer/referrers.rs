//! Referrers on either side: found through the provider (the referrers
//! API, else the fallback tag), and indexed at a destination without the
//! API by updating the fallback tag's index, as clients do.

use super::endpoint::Endpoint;
use crate::model::{Referrer, RegistryError};
use crate::provider::Failure;
use crate::registry::referrers::{fallback_tag, parse};

const INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// The manifests whose subject is `digest` at `side`.
pub async fn list(side: &Endpoint, digest: &str) -> Result<Vec<Referrer>, Failure> {
    if side.registry.is_some() {
        return side.provider.list_referrers(digest).await;
    }
    fallback(side, digest).await
}

/// The entries of the fallback tag's index; none when it is absent.
async fn fallback(side: &Endpoint, digest: &str) -> Result<Vec<Referrer>, Failure> {
    let tag = fallback_tag(digest);
    match side.provider.get_manifest(&tag).await {
        Ok(index) => {
            parse(&format!("{}:{tag}", side.shown), &index.bytes).map_err(Failure::Registry)
        }
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Makes `referrers` (already pushed) findable from `subject` at `side`:
/// nothing to do where the registry serves the referrers API; else each
/// one missing from the fallback tag's index is added to it. Returns
/// whether the index was written.
pub async fn index(
    side: &Endpoint,
    subject: &str,
    referrers: &[Referrer],
) -> Result<bool, Failure> {
    if let Some(repo) = &side.registry
        && repo
            .has_referrers_api(subject)
            .await
            .map_err(Failure::Registry)?
    {
        return Ok(false);
    }
    let mut listed = fallback(side, subject).await?;
    let before = listed.len();
    for referrer in referrers {
        if !listed.iter().any(|r| r.digest == referrer.digest) {
            listed.push(referrer.clone());
        }
    }
    if listed.len() == before {
        return Ok(false);
    }
    let bytes =
        document(&listed).map_err(|e| Failure::Registry(RegistryError::Invalid(e.to_string())))?;
    side.provider
        .push_manifest(&fallback_tag(subject), INDEX, &bytes)
        .await?;
    Ok(true)
}

/// The image index listing `referrers`.
fn document(referrers: &[Referrer]) -> serde_json::Result<Vec<u8>> {
    let manifests: Vec<serde_json::Value> = referrers
        .iter()
        .map(|r| {
            let mut entry = serde_json::json!({
                "mediaType": r.media_type,
                "digest": r.digest,
                "size": r.size,
            });
            if let Some(t) = &r.artifact_type {
                entry["artifactType"] = t.clone().into();
            }
            if !r.annotations.is_empty() {
                let annotations: serde_json::Map<String, serde_json::Value> = r
                    .annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().into()))
                    .collect();
                entry["annotations"] = annotations.into();
            }
            entry
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": manifests,
    }))
}
