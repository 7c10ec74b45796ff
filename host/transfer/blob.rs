//! One blob from source to destination: skipped when the destination has
//! it (one `HEAD`), mounted when both sides are repositories of one
//! registry, else streamed with bounded memory, verified, and committed.
//! A throttled or broken stream starts over, a few times.

use super::endpoint::Endpoint;
use super::progress::Progress;
use super::read::{Read, Source, read};
use super::walk::Entry;
use super::write::{commit, receive};
use crate::model::RegistryError;
use crate::provider::Failure;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OnceCell, mpsc};

/// Parts in flight between the read and the write of one blob.
const PARTS_IN_FLIGHT: usize = 4;
/// Tries of one stream, the first included.
const ATTEMPTS: u32 = 4;

/// What happened to a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// Sent, this many bytes.
    Uploaded(u64),
    Mounted,
    /// The destination had it, or another copy of this run sent it.
    Skipped,
}

/// The blobs of one run: each moved once however many manifests share it.
#[derive(Default)]
pub struct Blobs {
    moved: Mutex<HashMap<String, Arc<OnceCell<Moved>>>>,
}

impl Blobs {
    /// Moves `entry` unless this run already did: then `Skipped`.
    pub async fn copy(
        &self,
        from: &Endpoint,
        to: &Endpoint,
        entry: &Entry,
        progress: &Progress,
    ) -> Result<Moved, Failure> {
        let cell = self
            .moved
            .lock()
            .unwrap()
            .entry(entry.digest.clone())
            .or_default()
            .clone();
        let mut mine = false;
        let moved = cell
            .get_or_try_init(|| {
                mine = true;
                upload(Source::Side(from), to, entry, progress)
            })
            .await?;
        Ok(if mine { *moved } else { Moved::Skipped })
    }
}

/// Sends `entry` from `source` unless `to` has it (one `HEAD`) or can
/// mount it from the source's repository.
pub async fn upload(
    source: Source<'_>,
    to: &Endpoint,
    entry: &Entry,
    progress: &Progress,
) -> Result<Moved, Failure> {
    progress.expect(entry.size);
    let moved = if to.blob_size(&entry.digest).await?.is_some() {
        Moved::Skipped
    } else if let Source::Side(from) = source
        && mounted(from, to, &entry.digest).await
    {
        Moved::Mounted
    } else {
        return send(source, to, entry, progress).await;
    };
    progress.advance(entry.size);
    Ok(moved)
}

/// Whether `to` mounted `digest` from `from`, another repository of its
/// registry. A refused mount is not an error: the blob is sent instead.
async fn mounted(from: &Endpoint, to: &Endpoint, digest: &str) -> bool {
    let (Some(repo), Some(source)) = (&to.registry, to.mount_source(from)) else {
        return false;
    };
    match repo.mount_blob(digest, source).await {
        Ok(mounted) => mounted,
        Err(e) => {
            crate::log::debug(&format!("mounting {digest} failed: {e}"));
            false
        }
    }
}

/// Streams `entry` from `source` to `to`, starting over a few times when
/// throttled or cut off.
async fn send(
    source: Source<'_>,
    to: &Endpoint,
    entry: &Entry,
    progress: &Progress,
) -> Result<Moved, Failure> {
    let digest = entry.digest.as_str();
    let mut attempt = 0;
    loop {
        let before = progress.position();
        match stream(source, to, entry, progress).await {
            Ok(()) => return Ok(Moved::Uploaded(entry.size)),
            Err(e) if attempt + 1 < ATTEMPTS && worth_retrying(&e) => {
                let wait = match &e {
                    Failure::Registry(RegistryError::RateLimited {
                        retry_after: Some(secs),
                        ..
                    }) => Duration::from_secs(u64::from(*secs)),
                    _ => crate::net::backoff(attempt),
                };
                crate::log::debug(&format!(
                    "blob {digest}: {}; starting over in {} ms",
                    e.message(),
                    wait.as_millis()
                ));
                progress.rewind(progress.position().saturating_sub(before));
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads and writes at once through a bounded channel; commits only when
/// the read verified every byte and the write took them all.
async fn stream(
    source: Source<'_>,
    to: &Endpoint,
    entry: &Entry,
    progress: &Progress,
) -> Result<(), Failure> {
    let (tx, rx) = mpsc::channel(PARTS_IN_FLIGHT);
    let (read, written) = tokio::join!(
        read(source, &entry.digest, entry.size, tx, progress),
        receive(to, &entry.digest, entry.size, rx)
    );
    match (read?, written) {
        (Read::Verified, Ok(pending)) => commit(to, &entry.digest, pending).await,
        (_, Err(e)) => Err(e),
        (Read::Stopped, Ok(_)) => Err(Failure::Plugin(format!(
            "blob {}: the upload stopped taking bytes",
            entry.digest
        ))),
    }
}

/// Throttling, transport errors and server errors may pass; a blob that
/// failed verification or was refused will not.
fn worth_retrying(e: &Failure) -> bool {
    matches!(
        e,
        Failure::Registry(
            RegistryError::RateLimited { .. }
                | RegistryError::Transport(_)
                | RegistryError::Other(_)
        )
    )
}
