//! Compiled plugins on disk, keyed by the wasm's sha256, the engine's
//! compatibility hash and berth's version, so a stale artifact is never used.
//! Only berth writes here; a failed read or write just means compiling.

use crate::log;
use sha2::{Digest, Sha256};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use wasmtime::Engine;
use wasmtime::component::Component;

pub struct CompileCache {
    dir: PathBuf,
    engine_key: String,
}

impl CompileCache {
    pub fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("{:016x}-{}", hasher.finish(), env!("CARGO_PKG_VERSION"));
        CompileCache { dir, engine_key }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        let key = Sha256::digest(format!("{sha256}\n{}", self.engine_key));
        self.dir.join(format!("{}.cwasm", hex::encode(&key[..16])))
    }

    pub fn load(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let path = self.path(sha256);
        if !path.exists() {
            return None;
        }
        // SAFETY: artifacts in this directory are written only by `store`
        // below, from components this engine compiled; the key includes the
        // engine's compatibility hash.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => Some(component),
            Err(e) => {
                log::debug(&format!("ignoring cached plugin {}: {e}", path.display()));
                None
            }
        }
    }

    pub fn store(&self, component: &Component, sha256: &str) {
        let path = self.path(sha256);
        let written = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let bytes = component.serialize().map_err(std::io::Error::other)?;
            // Write then rename, so a concurrent berth never maps a partial file.
            let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
            std::io::Write::write_all(&mut file, &bytes)?;
            file.persist(&path).map_err(|e| e.error)?;
            Ok(())
        })();
        if let Err(e) = written {
            log::debug(&format!(
                "cannot cache compiled plugin at {}: {e}",
                path.display()
            ));
        }
    }
}
