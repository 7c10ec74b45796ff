//! Writing a blob to a side from the parts `read` sends, and committing it
//! only after the read verified every byte.

use super::endpoint::Endpoint;
use crate::model::RegistryError;
use crate::provider::Failure;
use crate::registry::Repo;
use bytes::Bytes;
use reqwest::Url;
use tokio::sync::mpsc;

/// A blob this size or smaller is held and sent in one request, which can
/// be retried; a larger one streams.
const SMALL: u64 = 1 << 20;
/// A chunk, where a registry takes uploads only in chunks: the memory one
/// blob's upload holds.
const CHUNK: u64 = 4 << 20;
/// The most a registry may ask a chunk to hold (`OCI-Chunk-Min-Length`);
/// more would be more memory than a copy may take.
const MAX_CHUNK: u64 = 64 << 20;

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
    let Some(repo) = &side.registry else {
        let mut written = 0u64;
        while let Some(part) = parts.recv().await {
            let part = part.map_err(|e| broken(digest, &e))?;
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
            held.extend_from_slice(&part.map_err(|e| broken(digest, &e))?);
        }
        return Ok(Pending::Held(held));
    }
    if repo.takes_chunks_only() {
        return in_chunks(repo, digest, parts).await;
    }
    let at = repo.start_upload().await.map_err(Failure::Registry)?.at;
    let stream = futures_util::stream::unfold(parts, |mut parts| async move {
        parts.recv().await.map(|part| (part, parts))
    });
    let at = repo
        .upload_stream(at, size, reqwest::Body::wrap_stream(stream))
        .await
        .map_err(Failure::Registry)?;
    Ok(Pending::Uploaded(at))
}

/// Sends the parts in chunks of at least the registry's minimum, each with
/// its `Content-Range`, to where the registry said the last one should go.
/// Holds one chunk at a time.
async fn in_chunks(repo: &Repo, digest: &str, mut parts: Parts) -> Result<Pending, Failure> {
    let upload = repo.start_upload().await.map_err(Failure::Registry)?;
    let chunk = upload.min_chunk.unwrap_or(0).max(CHUNK);
    if chunk > MAX_CHUNK {
        return Err(Failure::Registry(RegistryError::Unsupported(format!(
            "blob {digest}: the registry wants chunks of at least {chunk} bytes; berth sends at most {MAX_CHUNK}"
        ))));
    }
    let (mut at, mut offset) = (upload.at, 0u64);
    let mut held: Vec<u8> = Vec::with_capacity(chunk as usize);
    loop {
        let part = parts.recv().await;
        if let Some(part) = &part {
            let part = part.as_ref().map_err(|e| broken(digest, e))?;
            held.extend_from_slice(part);
        }
        let last = part.is_none();
        if (held.len() as u64) >= chunk || (last && !held.is_empty()) {
            let sent = std::mem::replace(&mut held, Vec::with_capacity(chunk as usize));
            let length = sent.len() as u64;
            at = repo
                .upload_chunk(at, offset, sent)
                .await
                .map_err(Failure::Registry)?;
            offset += length;
        }
        if last {
            return Ok(Pending::Uploaded(at));
        }
    }
}

/// Makes a verified blob visible at `side`.
pub async fn commit(side: &Endpoint, digest: &str, pending: Pending) -> Result<(), Failure> {
    match (pending, &side.registry) {
        (Pending::Held(bytes), Some(repo)) => {
            let at = repo.start_upload().await.map_err(Failure::Registry)?.at;
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

/// A blob whose bytes could not be read on their way.
fn broken(digest: &str, e: &std::io::Error) -> Failure {
    Failure::Registry(RegistryError::Invalid(format!("blob {digest}: {e}")))
}
