//! A provider plugin opened for one target: a pool of instances (one per
//! request in flight), capabilities checked before any call, results
//! checked before the host trusts them, and failures turned into errors that
//! name the plugin.

pub mod check;
mod failure;
mod listing;
mod open;
mod select;

pub use failure::Failure;
pub use open::{Opening, open, option_env_var};
pub use select::{Method, Selection, select};

use crate::imports::HostContext;
use crate::model::{
    CallTarget, Capability, Descriptor, Manifest, ManifestEntry, Page, Permissions, PluginInfo,
    Referrer, Refused, RegistryError, Removal, Tag,
};
use crate::runtime::{Call, Instance, Limits, LoadedPlugin};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Mutex, Semaphore};

/// Most tags one `delete-tags` call carries.
pub const MAX_BATCH: usize = 100;
/// The longest reason a plugin gives for lacking a capability.
const REASON_CHARS: usize = 300;

pub struct Provider {
    pub info: PluginInfo,
    loaded: Arc<LoadedPlugin>,
    host: Arc<HostContext>,
    target: CallTarget,
    limits: Limits,
    dir: Option<PathBuf>,
    idle: Mutex<Vec<Instance>>,
    slots: Semaphore,
}

impl Provider {
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// `name version`, as messages name a plugin.
    pub fn label(&self) -> String {
        format!("{} {}", self.info.name, self.info.version)
    }

    /// Whose results are checked, for `check`.
    fn who(&self) -> check::Who<'_> {
        check::Who {
            label: self.label(),
            host: &self.host,
        }
    }

    /// The writes refused in a dry run so far.
    pub fn refused_writes(&self) -> Refused {
        self.host.refused()
    }

    pub fn has(&self, capability: Capability) -> bool {
        self.info.has(capability)
    }

    /// The host's connection to the target registry's OCI API, for blob
    /// transfers it does itself; `None` for a layout.
    pub fn registry(&self) -> Option<&Arc<crate::registry::Repo>> {
        self.host.repo.as_ref()
    }

    /// Refuses, before any request, a call the plugin did not declare.
    fn require(&self, capability: Capability) -> Result<(), Failure> {
        if self.has(capability) {
            Ok(())
        } else {
            Err(Failure::Plugin(format!(
                "plugin {} does not declare the {capability} capability",
                self.label()
            )))
        }
    }

    /// Runs `f` on an idle instance (or a new one); an instance that failed
    /// is dropped, never reused.
    async fn with_instance<T>(
        &self,
        f: impl AsyncFnOnce(&mut Instance, &CallTarget) -> Call<T>,
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
                result.map_err(|e| Failure::Registry(self.sanitize(e)))
            }
            Err(e) => Err(Failure::Plugin(format!("plugin {} {e}", self.label()))),
        }
    }

    /// A plugin's error message is its own text: keep it short and clean.
    /// Its `\nhint: ` separators stay, so hints remain lines of their own.
    fn sanitize(&self, error: RegistryError) -> RegistryError {
        error.map_message(|m| {
            m.split("\nhint: ")
                .map(|part| self.host.redact(part))
                .collect::<Vec<_>>()
                .join("\nhint: ")
        })
    }

    pub async fn list_tags(&self, cursor: Option<String>) -> Result<Page<Tag>, Failure> {
        self.require(Capability::ListTags)?;
        let page = self
            .with_instance(async |i, t| i.list_tags(t, cursor.as_deref()).await)
            .await?;
        check::tag_page(&self.who(), page)
    }

    pub async fn resolve(&self, reference: &str) -> Result<Descriptor, Failure> {
        let d = self
            .with_instance(async |i, t| i.resolve(t, reference).await)
            .await?;
        check::descriptor(&self.who(), reference, d)
    }

    pub async fn get_manifest(&self, reference: &str) -> Result<Manifest, Failure> {
        self.require(Capability::GetManifest)?;
        let m = self
            .with_instance(async |i, t| i.get_manifest(t, reference).await)
            .await?;
        check::manifest(&self.who(), reference, m)
    }

    pub async fn get_blob(&self, digest: &str) -> Result<Vec<u8>, Failure> {
        let bytes = self
            .with_instance(async |i, t| i.get_blob(t, digest).await)
            .await?;
        check::blob(&self.who(), digest, bytes)
    }

    pub async fn push_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<String, Failure> {
        self.require(Capability::PushManifest)?;
        let digest = self
            .with_instance(async |i, t| i.push_manifest(t, reference, media_type, bytes).await)
            .await?;
        check::digest(&self.who(), &digest)?;
        if let Err(why) = crate::digest::verify(&digest, bytes) {
            return Err(Failure::Plugin(format!(
                "plugin {} said it stored {reference} as {digest}, but {why}",
                self.label()
            )));
        }
        Ok(digest)
    }

    pub async fn delete_tag(&self, tag: &str, removal: &Removal) -> Result<(), Failure> {
        self.require(Capability::DeleteTag)?;
        self.with_instance(async |i, t| i.delete_tag(t, tag, removal).await)
            .await
    }

    /// Whether `delete_tags` removes several tags in one plugin call.
    pub fn batches_removals(&self) -> bool {
        self.loaded.api().always_batches() || self.has(Capability::DeleteTags)
    }

    /// Removes `removals`, in order, one result each: in calls of at most
    /// [`MAX_BATCH`] to a plugin that has `delete-tags`, else one
    /// `delete-tag` call per tag. Tags a batch answers `unsupported` are
    /// removed one by one.
    pub async fn delete_tags(&self, removals: &[(String, Removal)]) -> Vec<Result<(), Failure>> {
        if let Err(e) = self.require(Capability::DeleteTag) {
            return removals.iter().map(|_| Err(e.clone())).collect();
        }
        let mut results = Vec::with_capacity(removals.len());
        if !self.batches_removals() {
            for (tag, removal) in removals {
                results.push(self.delete_tag(tag, removal).await);
            }
            return results;
        }
        for chunk in removals.chunks(MAX_BATCH) {
            let answered = self
                .with_instance(async |i, t| i.delete_tags(t, chunk).await.map(Ok))
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
            for ((tag, removal), answer) in chunk.iter().zip(answers) {
                results.push(match answer {
                    Ok(()) => Ok(()),
                    Err(RegistryError::Unsupported(_)) => self.delete_tag(tag, removal).await,
                    Err(e) => Err(Failure::Registry(self.sanitize(e))),
                });
            }
        }
        results
    }

    /// Readies the registry's OCI API for the host's own transfers.
    pub async fn connect(&self) -> Result<(), Failure> {
        self.with_instance(async |i, t| i.connect(t).await).await
    }

    pub async fn blob_size(&self, digest: &str) -> Result<Option<u64>, Failure> {
        self.with_instance(async |i, t| i.blob_size(t, digest).await)
            .await
    }

    /// Part of a blob from a store that is not an OCI API; the caller
    /// verifies the whole blob's digest.
    pub async fn read_blob(
        &self,
        digest: &str,
        offset: u64,
        length: u32,
    ) -> Result<Vec<u8>, Failure> {
        self.require(Capability::PullBlobs)?;
        let bytes = self
            .with_instance(async |i, t| i.read_blob(t, digest, offset, length).await)
            .await?;
        if bytes.len() > length as usize {
            return Err(Failure::Plugin(format!(
                "plugin {} returned {} bytes of blob {digest} when asked for {length}",
                self.label(),
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    pub async fn write_blob(
        &self,
        digest: &str,
        offset: u64,
        bytes: &[u8],
        last: bool,
    ) -> Result<(), Failure> {
        self.require(Capability::PushBlobs)?;
        self.with_instance(async |i, t| i.write_blob(t, digest, offset, bytes, last).await)
            .await
    }

    pub async fn list_manifests(
        &self,
        cursor: Option<String>,
    ) -> Result<Page<ManifestEntry>, Failure> {
        self.require(Capability::ListManifests)?;
        let page = self
            .with_instance(async |i, t| i.list_manifests(t, cursor.as_deref()).await)
            .await?;
        check::manifest_page(&self.who(), page)
    }

    /// Why the registry cannot list manifests, in the plugin's words: a
    /// provider without the capability answers `list-manifests` with
    /// `unsupported` and its reason, sending nothing. The first line, made
    /// safe; none when the plugin declares the capability or gives no reason.
    pub async fn why_no_manifest_listing(&self) -> Option<String> {
        if self.has(Capability::ListManifests) {
            return None;
        }
        let answer = self
            .with_instance(async |i, t| i.list_manifests(t, None).await)
            .await;
        match answer {
            Err(Failure::Registry(RegistryError::Unsupported(reason))) => {
                let line = reason.lines().next().unwrap_or_default().trim();
                Some(crate::text::clean(line, REASON_CHARS)).filter(|r| !r.is_empty())
            }
            _ => None,
        }
    }

    pub async fn delete_manifest(&self, digest: &str) -> Result<(), Failure> {
        self.require(Capability::DeleteManifest)?;
        self.with_instance(async |i, t| i.delete_manifest(t, digest).await)
            .await
    }

    pub async fn list_referrers(&self, digest: &str) -> Result<Vec<Referrer>, Failure> {
        let found = self
            .with_instance(async |i, t| i.list_referrers(t, digest).await)
            .await?;
        check::referrers(&self.who(), found)
    }

    pub async fn list_repositories(&self, cursor: Option<String>) -> Result<Page<String>, Failure> {
        self.require(Capability::ListRepositories)?;
        let page = self
            .with_instance(async |i, t| i.list_repositories(t, cursor.as_deref()).await)
            .await?;
        check::repository_page(&self.who(), page)
    }

    pub async fn permissions(&self) -> Result<Permissions, Failure> {
        let found = self
            .with_instance(async |i, t| i.permissions(t).await)
            .await?;
        Ok(check::permissions(&self.who(), found))
    }
}
