//! Reading a blob from a side, part by part, into a bounded channel, each
//! part hashed on the way. The stream ends cleanly only when every byte
//! matched the digest; otherwise it ends with an error, which aborts the
//! upload reading it.

use super::endpoint::Endpoint;
use super::progress::Progress;
use crate::digest::Hasher;
use crate::model::RegistryError;
use crate::provider::Failure;
use bytes::Bytes;
use std::path::Path;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

/// The most a plugin is asked for in one `read-blob` call, and the most
/// read from a file at once.
const STORE_PART: u32 = 512 << 10;

/// Where a blob's bytes come from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Side(&'a Endpoint),
    File(&'a Path),
    /// Bytes in hand (an empty config).
    Bytes(&'a [u8]),
}

impl Source<'_> {
    fn shown(&self) -> String {
        match self {
            Source::Side(side) => side.shown.clone(),
            Source::File(path) => path.display().to_string(),
            Source::Bytes(_) => "memory".to_string(),
        }
    }
}

/// A blob opened for reading.
enum Opened<'a> {
    Registry(Box<crate::net::Opened>),
    /// Read through the plugin, part by part.
    Store(&'a Endpoint),
    File(tokio::fs::File),
    /// What is left of bytes in hand.
    Bytes(Option<Bytes>),
}

pub type Parts = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// How a read ended without error.
pub enum Read {
    /// Every byte was sent and matched the digest.
    Verified,
    /// The writer stopped taking parts (it failed, and says why).
    Stopped,
}

/// Sends blob `digest` of `size` bytes from `source` into `parts`,
/// checking length and digest.
pub async fn read(
    source: Source<'_>,
    digest: &str,
    size: u64,
    parts: Parts,
    progress: &Progress,
) -> Result<Read, Failure> {
    let shown = source.shown();
    let invalid = |why: String| {
        Failure::Registry(RegistryError::Invalid(format!(
            "blob {digest} from {shown}: {why}"
        )))
    };
    let mut hasher = Hasher::for_digest(digest).map_err(invalid)?;
    let mut sent = 0u64;
    let mut opened = match source {
        Source::Side(side) => match &side.registry {
            Some(repo) => Opened::Registry(Box::new(
                repo.open_blob(digest).await.map_err(Failure::Registry)?,
            )),
            None => Opened::Store(side),
        },
        Source::File(path) => Opened::File(
            tokio::fs::File::open(path)
                .await
                .map_err(|e| invalid(e.to_string()))?,
        ),
        Source::Bytes(bytes) => Opened::Bytes(Some(Bytes::copy_from_slice(bytes))),
    };
    loop {
        let part = match &mut opened {
            Opened::Registry(opened) => opened
                .chunk()
                .await
                .map_err(|e| Failure::Registry(e.into()))?,
            Opened::File(file) => {
                let mut buffer = Vec::with_capacity(STORE_PART as usize);
                let n = (&mut *file)
                    .take(u64::from(STORE_PART))
                    .read_to_end(&mut buffer)
                    .await
                    .map_err(|e| invalid(e.to_string()))?;
                (n > 0).then(|| Bytes::from(buffer))
            }
            Opened::Bytes(left) => left.take(),
            Opened::Store(_) if sent >= size => None,
            Opened::Store(side) => {
                let want = (size - sent).min(u64::from(STORE_PART)) as u32;
                let bytes = side.provider.read_blob(digest, sent, want).await?;
                if bytes.is_empty() {
                    return Err(invalid(format!("it ended after {sent} of {size} bytes")));
                }
                Some(Bytes::from(bytes))
            }
        };
        let Some(part) = part else { break };
        sent += part.len() as u64;
        if sent > size {
            let _ = parts.try_send(Err(aborted()));
            return Err(invalid(format!("it is longer than its {size} bytes")));
        }
        hasher.update(&part);
        progress.advance(part.len() as u64);
        if parts.send(Ok(part)).await.is_err() {
            return Ok(Read::Stopped);
        }
    }
    let actual = hasher.finish();
    let why = if sent != size {
        Some(format!("it has {sent} bytes, not {size}"))
    } else if actual != digest {
        Some(format!("the content's digest is {actual}"))
    } else {
        None
    };
    match why {
        Some(why) => {
            let _ = parts.try_send(Err(aborted()));
            Err(invalid(why))
        }
        None => Ok(Read::Verified),
    }
}

fn aborted() -> std::io::Error {
    std::io::Error::other("the blob failed verification")
}
