//! Opening a provider for a target: its grants, options, credentials and
//! environment, decided here at the host boundary.

use super::Provider;
use crate::auth::{DockerConfig, RegistryAuth};
use crate::catalog::Plugin;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::imports::HostContext;
use crate::net::{Grants, host_port};
use crate::reference::{Address, Repository};
use crate::registry::{Learned, Repo};
use crate::runtime::v0_1_0::berth::provider::types as wit;
use crate::runtime::{PluginMeta, meta_cache};
use reqwest::Url;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Mutex, Semaphore};

/// What a command works on.
#[derive(Debug, Clone)]
pub enum Target {
    Registry { repo: Repository, base: Url },
    Layout { dir: PathBuf },
}

impl Target {
    pub fn new(address: &Address, plain_http: bool) -> Self {
        match address {
            Address::Layout(layout) => Target::Layout {
                dir: layout.dir.clone(),
            },
            Address::Registry(repo) => {
                let scheme = if repo.is_loopback() || plain_http {
                    "http"
                } else {
                    "https"
                };
                // Docker Hub's API lives on another host than its name.
                let host = if repo.registry == "docker.io" {
                    "registry-1.docker.io"
                } else {
                    repo.registry.as_str()
                };
                let base = Url::parse(&format!("{scheme}://{host}"))
                    .expect("a parsed registry is a valid host");
                Target::Registry {
                    repo: repo.clone(),
                    base,
                }
            }
        }
    }

    /// `docker.io/library/nginx`, or `oci:DIR`.
    pub fn canonical(&self) -> String {
        match self {
            Target::Registry { repo, .. } => repo.canonical(),
            Target::Layout { dir } => format!("oci:{}", dir.display()),
        }
    }

    pub fn registry(&self) -> &str {
        match self {
            Target::Registry { repo, .. } => &repo.registry,
            Target::Layout { .. } => "",
        }
    }

    pub fn repository(&self) -> String {
        match self {
            Target::Registry { repo, .. } => repo.path.clone(),
            Target::Layout { dir } => dir.display().to_string(),
        }
    }

    pub fn wit(&self) -> wit::Target {
        match self {
            Target::Registry { repo, base } => wit::Target {
                registry: repo.registry.clone(),
                repository: repo.path.clone(),
                base_url: base.as_str().trim_end_matches('/').to_string(),
            },
            Target::Layout { dir } => wit::Target {
                registry: String::new(),
                repository: dir.display().to_string(),
                base_url: String::new(),
            },
        }
    }
}

impl Context {
    /// What a plugin says about itself: from the cache, else asked of a
    /// fresh, ungranted instance.
    pub async fn meta(&self, plugin: &Plugin) -> Result<PluginMeta> {
        plugin.usable()?;
        let cached = self
            .cache_dir
            .as_deref()
            .and_then(|dir| meta_cache::load(dir, &plugin.sha256));
        if let Some(meta) = cached {
            return Ok(meta);
        }
        let loaded = self.load(plugin)?;
        let host = Arc::new(HostContext::bare(&plugin.name, self.client.clone()));
        let mut instance = loaded.instantiate(host, self.limits, None).await?;
        let meta = instance
            .info()
            .await
            .map_err(|e| Error::failed(format!("plugin {} {e}", plugin.name)))?;
        if let Some(dir) = &self.cache_dir {
            meta_cache::store(dir, &plugin.sha256, &meta);
        }
        Ok(meta)
    }

    fn load(&self, plugin: &Plugin) -> Result<Arc<crate::runtime::LoadedPlugin>> {
        plugin.usable()?;
        Ok(Arc::new(self.runtime()?.load(
            &plugin.name,
            &plugin.sha256,
            plugin.wasm(),
        )?))
    }

    pub async fn open(&self, plugin: &Plugin, target: &Target) -> Result<Provider> {
        let meta = self.meta(plugin).await?;
        let loaded = self.load(plugin)?;
        let label = format!("{} {}", plugin.name, meta.version);
        let options = self.options(plugin, &meta)?;

        let mut grants = Grants::new(&label, &plugin.catalog);
        for host in &plugin.entry.hosts {
            grants.allow(host);
        }
        let mut env = HashMap::new();
        for name in &plugin.entry.env {
            if let Ok(value) = std::env::var(name) {
                // An API endpoint the operator points a plugin at is granted
                // (`GITHUB_API_URL`, and per-service `AWS_ENDPOINT_URL_ECR`).
                if name.ends_with("_URL") || name.contains("_URL_") {
                    grants.allow_url(&value);
                }
                env.insert(name.clone(), value);
            }
        }
        if plugin.entry.env.iter().any(|n| n == "AWS_ACCESS_KEY_ID")
            && !env.contains_key("AWS_ACCESS_KEY_ID")
        {
            crate::auth::aws_profile::supply(&mut env, |name| std::env::var(name).ok());
        }
        for (name, value) in &options {
            if name.ends_with("url") {
                grants.allow_url(value);
            }
        }

        let (auth, repo, dir) = match target {
            Target::Registry { repo, base } => {
                grants.allow(&host_port(base));
                let auth = Arc::new(self.registry_auth(repo, base).await?);
                let grants = Arc::new(grants.clone());
                let oci = Repo {
                    client: self.client.clone(),
                    auth: auth.clone(),
                    grants,
                    base: base.clone(),
                    name: repo.path.clone(),
                    learned: Arc::new(Learned::default()),
                };
                (Some(auth), Some(Arc::new(oci)), None)
            }
            Target::Layout { dir } => (None, None, Some(dir.clone())),
        };
        let concurrency = usize::from(self.global.concurrency.max(1));
        let secret_values = meta
            .options
            .iter()
            .filter(|o| o.secret)
            .filter_map(|o| options.get(&o.name).cloned())
            .chain(env.values().cloned())
            .collect();
        let host = Arc::new(HostContext {
            plugin: label,
            client: self.client.clone(),
            grants: Arc::new(grants),
            auth,
            repo,
            options,
            env,
            concurrency,
            secret_values,
        });
        Ok(Provider {
            meta,
            loaded,
            host,
            target: target.wit(),
            limits: self.limits,
            dir,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(concurrency),
        })
    }

    /// Catalog values, then `BERTH_<PROVIDER>_<NAME>`, then `--opt`; only
    /// options the plugin declares.
    fn options(&self, plugin: &Plugin, meta: &PluginMeta) -> Result<HashMap<String, String>> {
        let declared = |name: &str| meta.options.iter().any(|o| o.name == name);
        let mut options: HashMap<String, String> = plugin
            .entry
            .options
            .iter()
            .filter(|(k, _)| declared(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for option in &meta.options {
            if let Ok(value) = std::env::var(option_env_var(&plugin.name, &option.name)) {
                options.insert(option.name.clone(), value);
            }
        }
        for opt in &self.global.opts {
            let (name, value) = opt
                .split_once('=')
                .ok_or_else(|| Error::usage(format!("--opt {opt:?} is not NAME=VALUE")))?;
            if !declared(name) {
                let known: Vec<&str> = meta.options.iter().map(|o| o.name.as_str()).collect();
                let error =
                    Error::usage(format!("provider {} has no option {name:?}", plugin.name));
                return Err(if known.is_empty() {
                    error.hint(format!("provider {} takes no options", plugin.name))
                } else {
                    error.hint(format!(
                        "its options: {} (see `berth plugins info {}`)",
                        known.join(", "),
                        plugin.name
                    ))
                });
            }
            options.insert(name.to_string(), value.to_string());
        }
        Ok(options)
    }

    async fn registry_auth(&self, repo: &Repository, base: &Url) -> Result<RegistryAuth> {
        let dir = self.global.docker_config.clone().or_else(|| {
            std::env::var_os("DOCKER_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        let config = DockerConfig::load(dir)?;
        let credential = config.credential(&repo.registry).await?;
        let source = config.path().display().to_string();
        Ok(RegistryAuth::new(base, credential, &source))
    }
}

/// `BERTH_<PROVIDER>_<NAME>`: upper case, `-` as `_`.
pub fn option_env_var(provider: &str, option: &str) -> String {
    format!("BERTH_{provider}_{option}")
        .to_ascii_uppercase()
        .replace('-', "_")
}
