//! What every command shares, made once per process and only when first
//! needed: the settings, the HTTP client, the WebAssembly runtime, the
//! plugin catalog, and opening a provider for a target.

use crate::catalog::{self, Catalog, Plugin, info_cache};
use crate::error::{Error, Result};
use crate::imports::HostContext;
use crate::model::{Capability, PluginInfo, Probe};
use crate::net::{Client, NetConfig};
use crate::provider::{self, Provider, Selection};
use crate::runtime::{Limits, LoadedPlugin, Runtime};
use crate::settings::Settings;
use crate::target::Target;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tokio::sync::OnceCell;

pub struct Context {
    pub settings: Settings,
    pub client: Client,
    /// Made on first use: listing plugins or printing help needs no engine.
    runtime: OnceLock<Arc<Runtime>>,
    catalog: OnceCell<Catalog>,
    cache_dir: Option<PathBuf>,
    pub limits: Limits,
}

impl Context {
    pub fn new(settings: Settings) -> Result<Self> {
        let client = Client::new(NetConfig {
            timeout: settings.timeout,
            insecure: settings.insecure,
            ca_file: settings.ca_file.clone(),
            ..NetConfig::default()
        })
        .map_err(|e| Error::usage(e.to_string()))?;
        let limits = Limits {
            deadline: settings.plugin_timeout,
            ..Limits::default()
        };
        Ok(Context {
            settings,
            client,
            runtime: OnceLock::new(),
            catalog: OnceCell::new(),
            cache_dir: cache_dir(),
            limits,
        })
    }

    pub fn runtime(&self) -> Result<&Arc<Runtime>> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime);
        }
        let runtime = Runtime::new(self.cache_dir.clone())?;
        Ok(self.runtime.get_or_init(|| runtime))
    }

    /// The built-in plugins and the drop-ins, each drop-in named.
    pub async fn catalog(&self) -> Result<&Catalog> {
        self.catalog
            .get_or_try_init(|| async {
                let mut drop_ins = catalog::read_drop_ins(&self.settings.plugin_dirs)?;
                for plugin in drop_ins
                    .iter_mut()
                    .filter(|p| !p.listed && p.refused.is_none())
                {
                    let declared = self.info(plugin).await.map(|info| info.name.clone());
                    match declared {
                        Ok(name) => plugin.name = name,
                        Err(e) => crate::log::warn(&format!(
                            "{}: {}; named by its file",
                            plugin.source.describe(),
                            e.message
                        )),
                    }
                }
                Catalog::assemble(drop_ins)
            })
            .await
    }

    /// The plugin compiled (or loaded from the compile cache), once.
    pub async fn loaded(&self, plugin: &Plugin) -> Result<Arc<LoadedPlugin>> {
        plugin.usable()?;
        let loaded = plugin
            .loaded
            .get_or_try_init(|| async {
                let runtime = self.runtime()?;
                LoadedPlugin::load(runtime, &plugin.name, &plugin.sha256, plugin.wasm())
                    .map(Arc::new)
            })
            .await?;
        Ok(loaded.clone())
    }

    /// What a plugin says about itself: from the on-disk cache, else asked
    /// of a fresh instance that is granted nothing, checked, and cached. A
    /// catalog entry that names another API version refuses the plugin.
    pub async fn info<'a>(&self, plugin: &'a Plugin) -> Result<&'a PluginInfo> {
        plugin.usable()?;
        let info = plugin
            .info
            .get_or_try_init(|| async {
                let cached = self
                    .cache_dir
                    .as_deref()
                    .and_then(|dir| info_cache::load(dir, &plugin.sha256));
                if let Some(info) = cached {
                    return Ok::<_, Error>(info);
                }
                let loaded = self.loaded(plugin).await?;
                let host = Arc::new(HostContext::bare(&plugin.name, self.client.clone()));
                let mut instance = loaded.instantiate(host.clone(), self.limits, None).await?;
                let said = instance
                    .info()
                    .await
                    .map_err(|e| Error::failed(format!("plugin {} {e}", plugin.name)))?;
                let who = provider::check::Who {
                    label: plugin.name.clone(),
                    host: &host,
                };
                let info =
                    provider::check::info(&who, said).map_err(|f| Error::failed(f.message()))?;
                if let Some(dir) = &self.cache_dir {
                    info_cache::store(dir, &plugin.sha256, &info);
                }
                Ok(info)
            })
            .await?;
        match &plugin.entry.api {
            Some(api) if *api != info.api => Err(Error::failed(format!(
                "plugin {} refused: {} says it is built for API {api}, but it is built for {}",
                plugin.name, plugin.catalog, info.api
            ))
            .hint(format!("correct `api` of its entry in {}", plugin.catalog))),
            _ => Ok(info),
        }
    }

    /// Which provider serves `target` (see `provider::select`).
    pub async fn select(&self, target: &Target, probe: bool) -> Result<Selection<'_>> {
        let catalog = self.catalog().await?;
        let forced = self.settings.provider.as_str();
        let detect = async |plugin: &Plugin, probe: &Probe| -> Result<u8> {
            let loaded = self.loaded(plugin).await?;
            let host = Arc::new(HostContext::bare(&plugin.name, self.client.clone()));
            let mut instance = loaded.instantiate(host, self.limits, None).await?;
            instance
                .detect(&target.call_target(), Some(probe))
                .await
                .map_err(|e| Error::failed(format!("plugin {} {e}", plugin.name)))
        };
        provider::select(catalog, &self.client, target, forced, probe, detect).await
    }

    /// Opens the provider `plugin` for `target`, refusing before any
    /// request when it lacks one of the capabilities `needs`.
    pub async fn open(
        &self,
        plugin: &Plugin,
        target: &Target,
        needs: &[Capability],
        dry_run: bool,
    ) -> Result<Provider> {
        self.open_with(plugin, target, needs, dry_run, &self.settings)
            .await
    }

    async fn open_with(
        &self,
        plugin: &Plugin,
        target: &Target,
        needs: &[Capability],
        dry_run: bool,
        settings: &Settings,
    ) -> Result<Provider> {
        let info = self.info(plugin).await?.clone();
        if let Some(missing) = needs.iter().find(|c| !info.has(**c)) {
            return Err(Error::failed(format!(
                "plugin {} {} cannot do this: it does not declare the {missing} capability",
                info.name, info.version
            ))
            .hint(format!(
                "`berth plugins info {}` lists what it can do",
                plugin.name
            )));
        }
        let loaded = self.loaded(plugin).await?;
        provider::open(provider::Opening {
            plugin,
            info,
            loaded,
            target,
            client: &self.client,
            settings,
            limits: self.limits,
            dry_run,
        })
        .await
    }

    /// Selects and opens the provider for `target` in one step, as most
    /// commands do.
    pub async fn provider(
        &self,
        target: &Target,
        needs: &[Capability],
        dry_run: bool,
    ) -> Result<Provider> {
        let selection = self.select(target, true).await?;
        self.open(selection.plugin, target, needs, dry_run).await
    }

    /// Like `provider`, for one side of a command with two: `--provider`
    /// and `--opt` are the registry's, so a layout side is served by the
    /// layout provider, without them.
    pub async fn side_provider(&self, target: &Target, needs: &[Capability]) -> Result<Provider> {
        if !matches!(target, Target::Layout { .. }) {
            return self.provider(target, needs, false).await;
        }
        let plugin = self.catalog().await?.require("oci-layout")?;
        let mut settings = self.settings.clone();
        settings.opts.clear();
        self.open_with(plugin, target, needs, false, &settings)
            .await
    }
}

/// `BERTH_CACHE_DIR`, else the user's cache directory; none disables caching.
fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("BERTH_CACHE_DIR") {
        Some(dir) if dir.is_empty() => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => dirs::cache_dir().map(|d| d.join("berth").join("plugins")),
    }
}
