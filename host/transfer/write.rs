//! Writing a blob to a side from the parts `read` sends, and committing it
//! only after the read verified every byte.

use super::endpoint::Endpoint;
use crate::provider::Failure;
use bytes::Bytes;
use reqwest::Url;
use tokio::sync::mpsc;

/// A blob this size or smaller is held and sent in one request, which can
/// be retried; a larger one streams.
const SMALL: u64 = 1 << 20;

pub type Parts = mpsc::Receiver<Result<Bytes, std::io::Error>>;

/// A blob received but not committed yet.
pub enum Pending {
    /// A small blob's bytes, for a registry.
    Held(Vec<u8>),
    /// An upload session on a registry that has every byte.
    Uploaded(Url),
    /// A store that was given `written` bytes.
    Stored { written: u64 },
}

/// Takes every part of blob `digest` of `size` bytes into `side`.
pub async fn receive(
    side: &Endpoint,
    digest: &str,
    size: u64,
    mut parts: Parts,
) -> Result<Pending, Failure> {
    let broken = |e: std::io::Error| {
        Failure::Registry(crate::model::RegistryError::Invalid(format!(
            "blob {digest}: {e}"
        )))
    };
    let Some(repo) = &side.registry else {
        let mut written = 0u64;
        while let Some(part) = parts.recv().await {
            let part = part.map_err(broken)?;
            side.provider
                .write_blob(digest, written, &part, false)
                .await?;
            written += part.len() as u64;
        }
        return Ok(Pending::Stored { written });
    };
    if size <= SMALL {
        let mut held = Vec::with_capacity(size as usize);
        while let Some(part) = parts.recv().await {
            held.extend_from_slice(&part.map_err(broken)?);
        }
        return Ok(Pending::Held(held));
    }
    let at = repo.start_upload().await.map_err(Failure::Registry)?;
    let stream = futures_util::stream::unfold(parts, |mut parts| async move {
        parts.recv().await.map(|part| (part, parts))
    });
    let at = repo
        .upload_stream(at, size, reqwest::Body::wrap_stream(stream))
        .await
        .map_err(Failure::Registry)?;
    Ok(Pending::Uploaded(at))
}

/// Makes a verified blob visible at `side`.
pub async fn commit(side: &Endpoint, digest: &str, pending: Pending) -> Result<(), Failure> {
    match (pending, &side.registry) {
        (Pending::Held(bytes), Some(repo)) => {
            let at = repo.start_upload().await.map_err(Failure::Registry)?;
            repo.finish_upload(at, digest, bytes)
                .await
                .map_err(Failure::Registry)
        }
        (Pending::Uploaded(at), Some(repo)) => repo
            .finish_upload(at, digest, Vec::new())
            .await
            .map_err(Failure::Registry),
        (Pending::Stored { written }, None) => {
            side.provider.write_blob(digest, written, &[], true).await
        }
        _ => unreachable!("a blob is committed to the side that received it"),
    }
}
