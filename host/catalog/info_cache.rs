//! What each plugin's `info` said, kept on disk beside the compiled plugins
//! and keyed by the wasm's sha256 and berth's version (not the engine), so
//! listing plugins needs neither an engine nor an instance.

use crate::log;
use crate::model::PluginInfo;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn path(dir: &Path, sha256: &str) -> PathBuf {
    let key = Sha256::digest(format!("{sha256}\n{}", env!("CARGO_PKG_VERSION")));
    dir.join(format!("{}.info.json", hex::encode(&key[..16])))
}

pub fn load(dir: &Path, sha256: &str) -> Option<PluginInfo> {
    let bytes = std::fs::read(path(dir, sha256)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn store(dir: &Path, sha256: &str, info: &PluginInfo) {
    let path = path(dir, sha256);
    let written = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        // Write then rename, so a concurrent berth never reads a partial file.
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer(&mut file, info)?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(())
    })();
    if let Err(e) = written {
        log::debug(&format!(
            "cannot cache plugin info at {}: {e}",
            path.display()
        ));
    }
}
