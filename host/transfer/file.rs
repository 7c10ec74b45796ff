//! Blobs and local files: hashing a file to describe it (push), and saving
//! a blob to a file only once every byte is verified (pull).

use super::endpoint::Endpoint;
use super::progress::Progress;
use super::read::{Read, Source, read};
use super::walk::Entry;
use crate::digest::Hasher;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// The `sha256:` digest and size of a file, read in parts.
pub async fn digest(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Hasher::for_digest("sha256:").expect("sha256 is known");
    let mut buffer = vec![0u8; 256 << 10];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).await?;
        if n == 0 {
            return Ok((hasher.finish(), size));
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
}

/// Writes blob `entry` of `from` to `path`: into a temporary file beside
/// it, renamed over only when the blob verified, so a failed or cut-off
/// pull leaves no file.
pub async fn save(
    from: &Endpoint,
    entry: &Entry,
    path: &Path,
    progress: &Progress,
) -> Result<(), String> {
    let temporary = temporary(path);
    let (tx, mut rx) = mpsc::channel(4);
    let write = async {
        let mut file = tokio::fs::File::create(&temporary).await?;
        while let Some(part) = rx.recv().await {
            let part: bytes::Bytes = part?;
            file.write_all(&part).await?;
        }
        file.sync_all().await
    };
    let (read, written) = tokio::join!(
        read(Source::Side(from), &entry.digest, entry.size, tx, progress),
        write
    );
    let result = match (read, written) {
        (Err(e), _) => Err(e.message()),
        (Ok(_), Err(e)) => Err(format!("cannot write {}: {e}", path.display())),
        (Ok(Read::Stopped), Ok(())) => Err(format!("cannot write {}", path.display())),
        (Ok(Read::Verified), Ok(())) => tokio::fs::rename(&temporary, path)
            .await
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
    };
    if result.is_err() {
        let _ = tokio::fs::remove_file(&temporary).await;
    }
    result
}

/// `.NAME.berth-PID` beside `path`.
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.berth-{}", std::process::id()))
}
