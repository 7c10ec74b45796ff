//! A provider plugin opened for one target: a pool of instances (one per
//! request in flight), results checked before the host trusts them, and
//! failures turned into errors that name the plugin.

mod check;
mod failure;
mod open;
mod select;

pub use failure::Failure;
pub use open::{Target, option_env_var};
pub use select::{Method, Selection, select};

use crate::imports::HostContext;
use crate::runtime::v0_1_0::berth::provider::types as wit;
use crate::runtime::{Instance, Limits, LoadedPlugin, PluginMeta};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Mutex, Semaphore};

/// Most tags one `delete-tags` call carries.
pub const MAX_BATCH: usize = 100;

/// A tag as the host knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tag {
    pub name: String,
    pub digest: Option<String>,
    pub created: Option<String>,
}

pub struct Page {
    pub tags: Vec<Tag>,
    pub next: Option<String>,
}

pub struct Manifest {
    pub digest: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

pub struct Provider {
    pub meta: PluginMeta,
    loaded: Arc<LoadedPlugin>,
    host: Arc<HostContext>,
    target: wit::Target,
    limits: Limits,
    dir: Option<PathBuf>,
    idle: Mutex<Vec<Instance>>,
    slots: Semaphore,
}

impl Provider {
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// `name version`, as messages name a plugin.
    pub fn label(&self) -> String {
        format!("{} {}", self.meta.name, self.meta.version)
    }

    pub fn has(&self, capability: &str) -> bool {
        self.meta.capabilities.iter().any(|c| c == capability)
    }

    /// Runs `f` on an idle instance (or a new one); an instance that failed
    /// is dropped, never reused.
    async fn with_instance<T>(
        &self,
        f: impl AsyncFnOnce(
            &mut Instance,
            &wit::Target,
        ) -> Result<Result<T, wit::Error>, crate::runtime::CallError>,
    ) -> Result<T, Failure> {
        let _slot = self.slots.acquire().await.expect("semaphore open");
        let idle = self.idle.lock().await.pop();
        let mut instance = match idle {
            Some(instance) => instance,
            None => self
                .loaded
                .instantiate(self.host.clone(), self.limits, self.dir.as_deref())
                .await
                .map_err(|e| Failure::Plugin(e.message))?,
        };
        match f(&mut instance, &self.target).await {
            Ok(result) => {
                self.idle.lock().await.push(instance);
                result.map_err(|e| Failure::Registry(self.sanitize(e.into())))
            }
            Err(e) => Err(Failure::Plugin(format!("plugin {} {e}", self.label()))),
        }
    }

    /// A plugin's error message is its own text: keep it short and clean.
    /// Its `\nhint: ` separators stay, so hints remain lines of their own.
    fn sanitize(&self, error: crate::registry::RegistryError) -> crate::registry::RegistryError {
        error.map_message(|m| {
            m.split("\nhint: ")
                .map(|part| self.host.redact(part))
                .collect::<Vec<_>>()
                .join("\nhint: ")
        })
    }

    pub async fn list_tags(&self, cursor: Option<String>) -> Result<Page, Failure> {
        let page = self
            .with_instance(async |i, t| i.list_tags(t, cursor.as_deref()).await)
            .await?;
        check::page(&self.label(), page)
    }

    pub async fn resolve(&self, reference: &str) -> Result<wit::Descriptor, Failure> {
        let d = self
            .with_instance(async |i, t| i.resolve(t, reference).await)
            .await?;
        check::digest(&self.label(), &d.digest)?;
        Ok(d)
    }

    pub async fn get_manifest(&self, reference: &str) -> Result<Manifest, Failure> {
        let m = self
            .with_instance(async |i, t| i.get_manifest(t, reference).await)
            .await?;
        check::manifest(&self.label(), reference, m)
    }

    pub async fn get_blob(&self, digest: &str) -> Result<Vec<u8>, Failure> {
        self.with_instance(async |i, t| i.get_blob(t, digest).await)
            .await
    }

    pub async fn push_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<String, Failure> {
        let digest = self
            .with_instance(async |i, t| i.push_manifest(t, reference, media_type, bytes).await)
            .await?;
        check::digest(&self.label(), &digest)?;
        Ok(digest)
    }

    pub async fn delete_tag(
        &self,
        tag: &str,
        digest: Option<&str>,
        exclusive: bool,
    ) -> Result<(), Failure> {
        let removal = wit::Removal {
            digest: digest.map(String::from),
            exclusive,
        };
        self.with_instance(async |i, t| i.delete_tag(t, tag, &removal).await)
            .await
    }

    /// Whether `delete_tags` removes several tags in one plugin call.
    pub fn batches_removals(&self) -> bool {
        self.loaded.api().has_delete_tags()
    }

    /// Removes `removals` (tag, digest, exclusive), in order, one result
    /// each: in calls of at most [`MAX_BATCH`] to a plugin that has
    /// `delete-tags`, else one `delete-tag` call per tag. Tags a batch
    /// answers `unsupported` are removed one by one.
    pub async fn delete_tags(
        &self,
        removals: &[(&str, Option<&str>, bool)],
    ) -> Vec<Result<(), Failure>> {
        let mut results = Vec::with_capacity(removals.len());
        if !self.batches_removals() {
            for (tag, digest, exclusive) in removals {
                results.push(self.delete_tag(tag, *digest, *exclusive).await);
            }
            return results;
        }
        for chunk in removals.chunks(MAX_BATCH) {
            let entries: Vec<(String, wit::Removal)> = chunk
                .iter()
                .map(|(tag, digest, exclusive)| {
                    let removal = wit::Removal {
                        digest: digest.map(String::from),
                        exclusive: *exclusive,
                    };
                    (tag.to_string(), removal)
                })
                .collect();
            let answered = self
                .with_instance(async |i, t| i.delete_tags(t, &entries).await.map(Ok))
                .await;
            let answers = match answered {
                Ok(answers) if answers.len() == chunk.len() => answers,
                Ok(answers) => {
                    let junk = Failure::Plugin(format!(
                        "plugin {} returned {} results for {} tags",
                        self.label(),
                        answers.len(),
                        chunk.len()
                    ));
                    results.extend(chunk.iter().map(|_| Err(junk.clone())));
                    continue;
                }
                Err(e) => {
                    results.extend(chunk.iter().map(|_| Err(e.clone())));
                    continue;
                }
            };
            for ((tag, digest, exclusive), answer) in chunk.iter().zip(answers) {
                results.push(match answer {
                    Ok(()) => Ok(()),
                    Err(wit::Error::Unsupported(_)) => {
                        self.delete_tag(tag, *digest, *exclusive).await
                    }
                    Err(e) => Err(Failure::Registry(self.sanitize(e.into()))),
                });
            }
        }
        results
    }
}
