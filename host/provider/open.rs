//! Opening a provider for a target: its grants, options, credentials and
//! environment, decided here at the host boundary from the catalog entry
//! and the operator's settings, and nothing the plugin says.

use super::Provider;
use crate::auth::{DockerConfig, RegistryAuth};
use crate::catalog::Plugin;
use crate::error::{Error, Result};
use crate::imports::HostContext;
use crate::model::PluginInfo;
use crate::net::{Client, Grants, host_port};
use crate::reference::Repository;
use crate::registry::{Learned, Repo};
use crate::runtime::{Limits, LoadedPlugin};
use crate::settings::Settings;
use crate::target::Target;
use reqwest::Url;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, Semaphore};

/// Everything opening a provider needs.
pub struct Opening<'a> {
    pub plugin: &'a Plugin,
    pub info: PluginInfo,
    pub loaded: Arc<LoadedPlugin>,
    pub target: &'a Target,
    pub client: &'a Client,
    pub settings: &'a Settings,
    pub limits: Limits,
    /// Every write the plugin attempts is refused.
    pub dry_run: bool,
}

pub async fn open(o: Opening<'_>) -> Result<Provider> {
    let plugin = o.plugin;
    let label = format!("{} {}", plugin.name, o.info.version);
    let options = options(o.settings, plugin, &o.info)?;

    let mut grants = Grants::new(&label, &plugin.catalog);
    for host in &plugin.entry.hosts {
        grants.allow(host);
    }
    let mut env = HashMap::new();
    for name in &plugin.entry.env {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.clone(), value);
        }
    }
    if plugin.entry.env.iter().any(|n| n == "AWS_ACCESS_KEY_ID")
        && !env.contains_key("AWS_ACCESS_KEY_ID")
    {
        crate::auth::aws_profile::supply(&mut env, |name| std::env::var(name).ok());
    }
    // An API base URL the operator points the plugin at is granted only
    // when the catalog entry names that option or variable as one.
    for name in &plugin.entry.url_env {
        if let Some(url) = env.get(name) {
            grants.allow_url(url);
        }
    }
    for name in &plugin.entry.url_options {
        if let Some(url) = options.get(name) {
            grants.allow_url(url);
        }
    }

    let (auth, repo, dir) = match o.target {
        Target::Registry { repo, base } => {
            grants.allow(&host_port(base));
            let auth = Arc::new(registry_auth(o.settings, repo, base).await?);
            let oci = Repo {
                client: o.client.clone(),
                auth: auth.clone(),
                grants: Arc::new(grants.clone()),
                base: base.clone(),
                name: repo.path.clone(),
                learned: Arc::new(Learned::default()),
            };
            (Some(auth), Some(Arc::new(oci)), None)
        }
        Target::Layout { dir } => (None, None, Some(dir.clone())),
    };
    let concurrency = usize::from(o.settings.concurrency.max(1));
    // The operator's credential stays a secret after a plugin hands the
    // host another one.
    let operator = auth
        .as_ref()
        .and_then(|a| a.credential())
        .map(|c| c.secret().to_string());
    let secret_values = o
        .info
        .options
        .iter()
        .filter(|opt| opt.secret)
        .filter_map(|opt| options.get(&opt.name).cloned())
        .chain(env.values().cloned())
        .chain(operator)
        .collect();
    let host = Arc::new(HostContext {
        plugin: label,
        client: o.client.clone(),
        grants: Arc::new(grants),
        auth,
        repo,
        options,
        env,
        concurrency,
        secret_values,
        dry_run: o.dry_run,
        refusals: Default::default(),
        log_lines: Default::default(),
    });
    Ok(Provider {
        info: o.info,
        loaded: o.loaded,
        host,
        target: o.target.call_target(),
        limits: o.limits,
        dir,
        idle: Mutex::new(Vec::new()),
        slots: Semaphore::new(concurrency),
    })
}

/// Catalog values, then `BERTH_<PROVIDER>_<NAME>`, then `--opt`; only
/// options the plugin declares.
fn options(
    settings: &Settings,
    plugin: &Plugin,
    info: &PluginInfo,
) -> Result<HashMap<String, String>> {
    let declared = |name: &str| info.options.iter().any(|o| o.name == name);
    let mut options: HashMap<String, String> = plugin
        .entry
        .options
        .iter()
        .filter(|(k, _)| declared(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for option in &info.options {
        if let Ok(value) = std::env::var(option_env_var(&plugin.name, &option.name)) {
            options.insert(option.name.clone(), value);
        }
    }
    for opt in &settings.opts {
        let (name, value) = opt
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("--opt {opt:?} is not NAME=VALUE")))?;
        if !declared(name) {
            let known: Vec<&str> = info.options.iter().map(|o| o.name.as_str()).collect();
            let error = Error::usage(format!("provider {} has no option {name:?}", plugin.name));
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

/// The operator's docker credential for the registry; its source names
/// the entry or helper and the file, for messages and `berth doctor`.
async fn registry_auth(settings: &Settings, repo: &Repository, base: &Url) -> Result<RegistryAuth> {
    let config = DockerConfig::load(settings.docker_config_dir())?;
    let path = config.path().display().to_string();
    Ok(match config.find(&repo.registry).await? {
        Some(found) => RegistryAuth::new(
            base,
            Some(found.credential),
            &format!("{} of docker config {path}", found.origin),
        ),
        None => RegistryAuth::new(base, None, &format!("docker config {path}")),
    })
}

/// `BERTH_<PROVIDER>_<NAME>`: upper case, `-` as `_`.
pub fn option_env_var(provider: &str, option: &str) -> String {
    format!("BERTH_{provider}_{option}")
        .to_ascii_uppercase()
        .replace('-', "_")
}
