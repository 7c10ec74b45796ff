//! Finding plugins: the built-ins, then every plugin directory, each with
//! the `plugin-registry.toml` beside it. A drop-in is named by its catalog
//! entry, else by what its `info` declares (its file name only when it
//! cannot say); one with a built-in's name replaces it, two drop-ins that
//! claim one name are both refused, and a pinned file whose sha256 differs
//! is refused.

mod builtin;
pub mod info_cache;

use berth_parse::catalog as entry;
pub use berth_parse::catalog::{Entry, Probe};

use crate::error::{Error, Result};
use crate::model::PluginInfo;
use crate::runtime::LoadedPlugin;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::OnceCell;

pub const CATALOG_FILE: &str = "plugin-registry.toml";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Builtin,
    File(PathBuf),
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Builtin => "builtin".into(),
            Source::File(path) => path.display().to_string(),
        }
    }
}

pub struct Plugin {
    pub name: String,
    pub source: Source,
    pub sha256: String,
    wasm: Wasm,
    /// What the catalog says; empty grants for an unlisted drop-in.
    pub entry: Entry,
    /// The catalog that describes (or would describe) this plugin.
    pub catalog: String,
    /// Why berth will not run this plugin, if it will not.
    pub refused: Option<String>,
    /// Whether a catalog entry names it (built-ins and listed drop-ins).
    pub listed: bool,
    /// Compiled once per run, on first use.
    pub loaded: OnceCell<Arc<LoadedPlugin>>,
    /// What its `info` said, once per run.
    pub info: OnceCell<PluginInfo>,
}

enum Wasm {
    Static(&'static [u8]),
    Owned(Vec<u8>),
}

impl Plugin {
    pub fn wasm(&self) -> &[u8] {
        match &self.wasm {
            Wasm::Static(bytes) => bytes,
            Wasm::Owned(bytes) => bytes,
        }
    }

    pub fn is_pinned(&self) -> bool {
        self.entry.sha256.is_some()
    }

    /// An error for using a refused plugin.
    pub fn usable(&self) -> Result<&Self> {
        match &self.refused {
            None => Ok(self),
            Some(why) => Err(Error::failed(format!("plugin {} refused: {why}", self.name)).hint(format!(
                "if the new file is trusted, update its sha256 in {}; `berth plugins verify` checks every pin",
                self.catalog
            ))),
        }
    }

    /// The patterns that select this plugin by address.
    pub fn matches_host(&self, host: &str) -> bool {
        self.entry.patterns.iter().any(|p| p.is_match(host))
    }
}

pub struct Catalog {
    /// In precedence order, one per name.
    pub plugins: Vec<Plugin>,
}

impl Catalog {
    /// The drop-ins in `dirs` (earlier first) and then the built-ins, a
    /// drop-in replacing the built-in of its name. `drop_ins` have their
    /// final names (see [`read_drop_ins`]).
    pub fn assemble(drop_ins: Vec<Plugin>) -> Result<Catalog> {
        let mut plugins: Vec<Plugin> = Vec::new();
        for mut plugin in drop_ins {
            match plugins.iter_mut().find(|p| p.name == plugin.name) {
                Some(first) => {
                    let why = format!(
                        "{} and {} both claim the name {}",
                        first.source.describe(),
                        plugin.source.describe(),
                        plugin.name
                    );
                    first.refused.get_or_insert_with(|| why.clone());
                    plugin.refused.get_or_insert(why);
                    // Kept apart so that both are listed and refused.
                    plugins.push(plugin);
                }
                None => plugins.push(plugin),
            }
        }
        for mut plugin in builtins()? {
            match plugins.iter_mut().find(|p| p.name == plugin.name) {
                // A replacement is found where the built-in was, with its
                // address patterns but none of its grants.
                Some(replacement) if replacement.entry.patterns.is_empty() => {
                    replacement.entry.patterns = std::mem::take(&mut plugin.entry.patterns);
                }
                Some(_) => {}
                None => plugins.push(plugin),
            }
        }
        Ok(Catalog { plugins })
    }

    pub fn get(&self, name: &str) -> Option<&Plugin> {
        self.plugins.iter().find(|p| p.name == name)
    }

    /// The plugin named `name`, or a usage error listing the known ones.
    pub fn require(&self, name: &str) -> Result<&Plugin> {
        self.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.plugins.iter().map(|p| p.name.as_str()).collect();
            Error::usage(format!("unknown provider {name:?}"))
                .hint(format!("known providers: {}", known.join(", ")))
                .hint("drop-in plugins are found in --plugin-dir / BERTH_PLUGIN_DIR")
        })
    }
}

/// The built-in catalog's patterns are checked by a test, not on every run.
fn builtins() -> Result<Vec<Plugin>> {
    let entries = entry::parse(builtin::CATALOG, Path::new("built-in plugin-registry.toml"))?;
    Ok(entries
        .into_iter()
        .filter_map(|entry| {
            let b = builtin::PLUGINS.iter().find(|b| b.file == entry.file)?;
            Some((b, entry))
        })
        .map(|(b, entry)| Plugin {
            name: entry.name.clone(),
            source: Source::Builtin,
            sha256: b.sha256.to_string(),
            wasm: Wasm::Static(b.wasm),
            entry,
            catalog: "the built-in plugin-registry.toml".into(),
            refused: None,
            listed: true,
            loaded: OnceCell::new(),
            info: OnceCell::new(),
        })
        .collect())
}

/// Every drop-in of `dirs`, in order. A file its directory's catalog lists
/// is named there; the others are named by their file stem until
/// [`Plugin::listed`] says their `info` must name them.
pub fn read_drop_ins(dirs: &[PathBuf]) -> Result<Vec<Plugin>> {
    let mut plugins = Vec::new();
    for dir in dirs {
        plugins.extend(load_dir(dir)?);
    }
    Ok(plugins)
}

fn load_dir(dir: &Path) -> Result<Vec<Plugin>> {
    let listing = std::fs::read_dir(dir).map_err(|e| {
        Error::usage(format!(
            "cannot read plugin directory {}: {e}",
            dir.display()
        ))
    })?;
    let catalog_path = dir.join(CATALOG_FILE);
    let entries = match std::fs::read_to_string(&catalog_path) {
        Ok(text) => {
            let entries = entry::parse(&text, &catalog_path)?;
            entry::check_patterns(&entries, &catalog_path)?;
            entries
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(Error::usage(format!(
                "cannot read {}: {e}",
                catalog_path.display()
            )));
        }
    };
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    files.sort();
    let mut plugins = Vec::new();
    for path in files {
        let file_name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let listed = entries.iter().find(|e| e.file == file_name).cloned();
        let bytes = std::fs::read(&path)
            .map_err(|e| Error::failed(format!("cannot read plugin {}: {e}", path.display())))?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let is_listed = listed.is_some();
        let entry = listed.unwrap_or_else(|| Entry {
            name: path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string(),
            file: file_name.clone(),
            ..Entry::default()
        });
        let refused = entry
            .sha256
            .as_ref()
            .filter(|pin| !pin.eq_ignore_ascii_case(&sha256))
            .map(|pin| {
                format!(
                    "{} has sha256 {sha256}, but {} pins {pin}",
                    path.display(),
                    catalog_path.display()
                )
            });
        plugins.push(Plugin {
            name: entry.name.clone(),
            source: Source::File(path),
            sha256,
            wasm: Wasm::Owned(bytes),
            entry,
            catalog: catalog_path.display().to_string(),
            refused,
            listed: is_listed,
            loaded: OnceCell::new(),
            info: OnceCell::new(),
        });
    }
    Ok(plugins)
}

/// Catalog entries whose file is missing: `plugins verify` reports them.
pub fn missing_files(dirs: &[PathBuf]) -> Vec<String> {
    let mut missing = Vec::new();
    for dir in dirs {
        let path = dir.join(CATALOG_FILE);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(entries) = entry::parse(&text, &path) else {
            continue;
        };
        for e in entries {
            if !dir.join(&e.file).exists() {
                missing.push(format!(
                    "{}: plugin {} names {}, which does not exist",
                    path.display(),
                    e.name,
                    e.file
                ));
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_patterns_compile() {
        let path = Path::new("plugin-registry.toml");
        let entries = entry::parse(builtin::CATALOG, path).unwrap();
        entry::check_patterns(&entries, path).unwrap();
        assert!(entries.iter().any(|e| !e.patterns.is_empty()));
    }

    #[test]
    fn builtin_addresses_pick_their_plugin() {
        let catalog = Catalog::assemble(Vec::new()).unwrap();
        let pick = |host: &str| {
            catalog
                .plugins
                .iter()
                .find(|p| p.matches_host(host))
                .map(|p| p.name.as_str())
        };
        assert_eq!(
            pick("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some("ecr")
        );
        assert_eq!(pick("12345.dkr.ecr.eu-west-1.amazonaws.com"), None);
        assert_eq!(pick("ghcr.io"), Some("github"));
        assert_eq!(pick("localhost:5000"), None);
    }
}
