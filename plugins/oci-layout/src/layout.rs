//! The layout on disk. The host preopens the layout directory as `/layout`
//! and grants nothing else; every path opened here is `/layout/` followed by
//! a fixed name or the path of a checked digest.

use crate::{digest, index};
use berth_sdk::{Error, Result, Target};
use serde_json::Value;
use std::collections::hash_map::RandomState;
use std::fs::{self, File};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ROOT: &str = "/layout";
const MARKER: &str = "oci-layout";
const INDEX: &str = "index.json";
const LOCK: &str = "index.json.lock";
const LOCK_WAIT: Duration = Duration::from_secs(10);
const LOCK_RETRY: Duration = Duration::from_millis(20);

fn path(relative: &str) -> String {
    format!("{ROOT}/{relative}")
}

/// An opened layout: one whose `oci-layout` file says version 1.
pub struct Layout {
    /// The directory as the user wrote it, for messages only.
    shown: String,
}

impl Layout {
    pub fn open(target: &Target) -> Result<Self> {
        if !target.registry.is_empty() {
            return Err(Error::Unsupported(format!(
                "{}/{} is a registry; the oci-layout provider serves oci:DIR addresses",
                target.registry, target.repository
            )));
        }
        let trimmed = target.repository.trim_end_matches('/');
        let shown = if trimmed.is_empty() {
            target.repository.clone()
        } else {
            trimmed.to_string()
        };
        let layout = Layout { shown };
        let marker = match fs::read(path(MARKER)) {
            Ok(bytes) => bytes,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::IsADirectory) => {
                return Err(Error::NotFound(format!(
                    "{} is not an OCI image layout (no oci-layout file)",
                    layout.shown
                )));
            }
            Err(e) => return Err(layout.io(MARKER, e)),
        };
        let version = serde_json::from_slice::<Value>(&marker)
            .ok()
            .and_then(|v| v.get("imageLayoutVersion")?.as_str().map(str::to_string))
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "{}/{MARKER} has no imageLayoutVersion",
                    layout.shown
                ))
            })?;
        if !version.starts_with("1.") {
            return Err(Error::Unsupported(format!(
                "{}/{MARKER}: image layout version {version} (only 1.x is supported)",
                layout.shown
            )));
        }
        Ok(layout)
    }

    /// Opens the layout, first making one in a directory that holds
    /// nothing else (a copy's destination). Several writers may make it at
    /// once: the index is written under the lock, the marker last.
    pub fn create(target: &Target) -> Result<Self> {
        match Self::open(target) {
            Err(Error::NotFound(why)) => {
                let ours = fs::read_dir(ROOT)
                    .map(|entries| {
                        // A layout's own files, or another writer's
                        // temporary ones for them.
                        entries.filter_map(|e| e.ok()).all(|e| {
                            let name = e.file_name().to_string_lossy().into_owned();
                            name == "blobs" || name.starts_with(INDEX) || name.starts_with(MARKER)
                        })
                    })
                    .unwrap_or(false);
                if !ours {
                    return Err(Error::NotFound(why));
                }
                let layout = Layout {
                    shown: target.repository.clone(),
                };
                layout.update_index(|_| Ok(()))?;
                layout.write_atomic(MARKER, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
                Self::open(target)
            }
            opened => opened,
        }
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn io(&self, relative: &str, e: io::Error) -> Error {
        let message = format!("{}/{relative}: {e}", self.shown);
        match e.kind() {
            ErrorKind::NotFound => Error::NotFound(message),
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
                Error::Forbidden(message)
            }
            _ => Error::Other(message),
        }
    }

    fn bad_index(&self, e: String) -> Error {
        Error::Invalid(format!("{}/{INDEX}: {e}", self.shown))
    }

    /// `index.json`, which a layout must have.
    pub fn index(&self) -> Result<Value> {
        let bytes = match fs::read(path(INDEX)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::Invalid(format!("{} has no {INDEX}", self.shown)));
            }
            Err(e) => return Err(self.io(INDEX, e)),
        };
        index::parse(&bytes).map_err(|e| self.bad_index(e))
    }

    /// Whether `index.json` may be written, learned by opening it for
    /// writing without creating or truncating it: nothing changes.
    pub fn index_writable(&self) -> Result<bool> {
        match fs::OpenOptions::new().write(true).open(path(INDEX)) {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.io(INDEX, e)),
        }
    }

    pub fn entries<'a>(&self, index: &'a Value) -> Result<Vec<index::Entry<'a>>> {
        index::entries(index).map_err(|e| self.bad_index(e))
    }

    /// Changes `index.json` under the layout's lock and replaces it whole.
    /// Nothing is written when `change` fails. A layout without an index
    /// starts from an empty one.
    ///
    /// The host runs several instances at once, and other tools or berth
    /// processes may share the layout, so an unlocked read-modify-write could
    /// lose another writer's update. WASI has no advisory file locks; creating
    /// a file with `create_new` is a single exclusive create on the host's
    /// filesystem, so exactly one writer holds `index.json.lock` at a time.
    /// Readers take no lock: the index is replaced by rename, so they see the
    /// old or the new one, never a mix.
    pub fn update_index<T>(&self, change: impl FnOnce(&mut Value) -> Result<T>) -> Result<T> {
        let _lock = self.lock()?;
        let mut index = match fs::read(path(INDEX)) {
            Ok(bytes) => index::parse(&bytes).map_err(|e| self.bad_index(e))?,
            Err(e) if e.kind() == ErrorKind::NotFound => index::empty(),
            Err(e) => return Err(self.io(INDEX, e)),
        };
        let result = change(&mut index)?;
        self.write_atomic(INDEX, &index::to_bytes(&index))?;
        Ok(result)
    }

    fn lock(&self) -> Result<Lock<'_>> {
        let start = Instant::now();
        loop {
            match File::create_new(path(LOCK)) {
                Ok(_) => return Ok(Lock(self)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if start.elapsed() >= LOCK_WAIT {
                        return Err(Error::Other(format!(
                            "layout is locked: {}/{LOCK} is still there after {} s; if nothing \
                             else is changing the layout, a crashed writer left it: remove it",
                            self.shown,
                            LOCK_WAIT.as_secs()
                        )));
                    }
                    std::thread::sleep(LOCK_RETRY);
                }
                Err(e) => return Err(self.io(LOCK, e)),
            }
        }
    }

    fn blob_path(&self, digest: &str) -> Result<String> {
        digest::blob_path(digest).ok_or_else(|| {
            let shown: String = digest.chars().take(80).collect();
            Error::Invalid(format!(
                "invalid digest {shown:?}: expected sha256: and 64 lowercase hex digits, \
                 or sha512: and 128"
            ))
        })
    }

    /// The size of a blob, `None` when the layout lacks it.
    pub fn blob_size(&self, digest: &str) -> Result<Option<u64>> {
        let relative = self.blob_path(digest)?;
        match fs::metadata(path(&relative)) {
            Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(&relative, e)),
        }
    }

    /// Removes a blob; false when the layout lacked it.
    pub fn remove_blob(&self, digest: &str) -> Result<bool> {
        let relative = self.blob_path(digest)?;
        match fs::remove_file(path(&relative)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io(&relative, e)),
        }
    }

    /// A blob's bytes, checked against its digest.
    pub fn blob(&self, digest: &str) -> Result<Vec<u8>> {
        let relative = self.blob_path(digest)?;
        let bytes = match fs::read(path(&relative)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::NotFound(format!(
                    "blob {digest} is not in {}",
                    self.shown
                )));
            }
            Err(e) => return Err(self.io(&relative, e)),
        };
        if !digest::matches(digest, &bytes) {
            return Err(Error::Invalid(format!(
                "{}/{relative} is corrupt: its content does not match its digest",
                self.shown
            )));
        }
        Ok(bytes)
    }

    /// Up to `length` bytes of a blob from `offset`; fewer at its end.
    pub fn read_part(&self, digest: &str, offset: u64, length: u32) -> Result<Vec<u8>> {
        let relative = self.blob_path(digest)?;
        let mut file = match File::open(path(&relative)) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::NotFound(format!(
                    "blob {digest} is not in {}",
                    self.shown
                )));
            }
            Err(e) => return Err(self.io(&relative, e)),
        };
        let mut bytes = Vec::with_capacity(length as usize);
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.take(u64::from(length)).read_to_end(&mut bytes))
            .map_err(|e| self.io(&relative, e))?;
        Ok(bytes)
    }

    /// Appends the part at `offset` of an upload of `digest`, kept in a file
    /// beside the blob's place; the `last` call checks the whole upload
    /// against the digest and only then renames it into place. An upload
    /// that is abandoned or fails the check is never seen as the blob.
    pub fn write_part(&self, digest: &str, offset: u64, bytes: &[u8], last: bool) -> Result<()> {
        let relative = self.blob_path(digest)?;
        let upload = format!("{relative}.upload");
        let parent = relative.rsplit_once('/').map_or("blobs", |(dir, _)| dir);
        fs::create_dir_all(path(parent)).map_err(|e| self.io(parent, e))?;
        let opened = if offset == 0 {
            File::create(path(&upload))
        } else {
            fs::OpenOptions::new().append(true).open(path(&upload))
        };
        let mut file = opened.map_err(|e| self.io(&upload, e))?;
        let at = file.metadata().map_err(|e| self.io(&upload, e))?.len();
        if at != offset {
            return Err(Error::Invalid(format!(
                "the upload of {digest} to {} has {at} bytes, not the {offset} this part follows",
                self.shown
            )));
        }
        file.write_all(bytes).map_err(|e| self.io(&upload, e))?;
        if !last {
            return Ok(());
        }
        file.sync_all().map_err(|e| self.io(&upload, e))?;
        drop(file);
        let verified = File::open(path(&upload))
            .and_then(|file| digest::reader_matches(digest, file))
            .map_err(|e| self.io(&upload, e))?;
        if !verified {
            let _ = fs::remove_file(path(&upload));
            return Err(Error::Invalid(format!(
                "the bytes written for blob {digest} do not match its digest; nothing was stored"
            )));
        }
        fs::rename(path(&upload), path(&relative)).map_err(|e| self.io(&relative, e))
    }

    /// Stores bytes as a sha256 blob unless the layout has them; returns the
    /// digest. A blob of the wrong size is a leftover of a torn write by
    /// another tool and is replaced.
    pub fn write_blob(&self, bytes: &[u8]) -> Result<String> {
        let digest = digest::sha256(bytes);
        if self.blob_size(&digest)? == Some(bytes.len() as u64) {
            return Ok(digest);
        }
        fs::create_dir_all(path("blobs/sha256")).map_err(|e| self.io("blobs/sha256", e))?;
        self.write_atomic(&self.blob_path(&digest)?, bytes)?;
        Ok(digest)
    }

    /// Writes a file beside its final place and renames it over, so a crash
    /// or a concurrent reader never meets a half-written file. The temporary
    /// name is unique, so writers of the same blob do not collide.
    fn write_atomic(&self, relative: &str, bytes: &[u8]) -> Result<()> {
        let temporary = format!("{relative}.{}.tmp", unique());
        let written = File::create_new(path(&temporary))
            .and_then(|mut file| {
                file.write_all(bytes)?;
                file.sync_all()
            })
            .and_then(|()| fs::rename(path(&temporary), path(relative)));
        written.map_err(|e| {
            let _ = fs::remove_file(path(&temporary));
            self.io(relative, e)
        })
    }
}

/// Holds `index.json.lock`; removing the file releases it.
struct Lock<'a>(&'a Layout);

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_file(path(LOCK)) {
            berth_sdk::log::log(
                berth_sdk::log::Level::Warn,
                &format!(
                    "could not remove {}/{LOCK} ({e}); other writers wait for it until it is removed",
                    self.0.shown
                ),
            );
        }
    }
}

/// 64 random bits from the seed WASI supplies, mixed with the clock.
fn unique() -> String {
    let mut hasher = RandomState::new().build_hasher();
    let now = SystemTime::now().duration_since(UNIX_EPOCH);
    hasher.write_u128(now.map_or(0, |d| d.as_nanos()));
    format!("{:016x}", hasher.finish())
}
