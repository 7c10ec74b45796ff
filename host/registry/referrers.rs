//! The manifests that refer to another (their `subject`): the OCI 1.1
//! referrers API, else the index under the fallback tag `sha256-<hex>`,
//! which clients maintain where the registry has no such API.

use super::Repo;
use crate::model::{Referrer, RegistryError};
use crate::net::Request;
use reqwest::Method;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const UNKNOWN: u8 = 0;
const SERVED: u8 = 1;
const NOT_SERVED: u8 = 2;
/// More pages than a referrers listing has; a loop stops here.
const MAX_PAGES: usize = 1000;

/// The tag under which clients keep the referrers of `digest` on a registry
/// without the referrers API: `sha256:<hex>` → `sha256-<hex>`.
pub fn fallback_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

#[derive(Deserialize)]
struct Index {
    manifests: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    media_type: String,
    digest: String,
    size: u64,
    artifact_type: Option<String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

impl Repo {
    /// Whether the registry serves the referrers API, once a lookup found out.
    pub fn learned_referrers_api(&self) -> Option<bool> {
        match self.learned.referrers_api.load(Ordering::Relaxed) {
            SERVED => Some(true),
            NOT_SERVED => Some(false),
            UNKNOWN | 3.. => None,
        }
    }

    pub async fn referrers(&self, digest: &str) -> Result<Vec<Referrer>, RegistryError> {
        if self.learned.referrers_api.load(Ordering::Relaxed) != NOT_SERVED
            && let Some(found) = self.referrers_api(digest).await?
        {
            self.learned.referrers_api.store(SERVED, Ordering::Relaxed);
            return Ok(found);
        }
        self.learned
            .referrers_api
            .store(NOT_SERVED, Ordering::Relaxed);
        match self.get_manifest(&fallback_tag(digest)).await {
            Ok(index) => parse(
                &format!("{}:{}", self.name, fallback_tag(digest)),
                &index.bytes,
            ),
            Err(RegistryError::NotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Whether the registry serves the referrers API, asked (about
    /// `digest`) unless this run already knows: where it does not, clients
    /// keep the fallback tag.
    pub async fn has_referrers_api(&self, digest: &str) -> Result<bool, RegistryError> {
        if let Some(known) = self.learned_referrers_api() {
            return Ok(known);
        }
        let served = self.referrers_api(digest).await?.is_some();
        let learned = if served { SERVED } else { NOT_SERVED };
        self.learned.referrers_api.store(learned, Ordering::Relaxed);
        Ok(served)
    }

    /// Every page of `GET /v2/<name>/referrers/<digest>`; `None` when the
    /// registry has no such API (it answers 404, which the API never does).
    async fn referrers_api(&self, digest: &str) -> Result<Option<Vec<Referrer>>, RegistryError> {
        let mut url = self.url(&format!("referrers/{digest}"));
        let mut found = Vec::new();
        for _ in 0..MAX_PAGES {
            let what = format!("GET {}/referrers/{digest}", self.name);
            let request = Request::new(Method::GET, url.clone()).header("accept", INDEX);
            let response = self.send(request).await?;
            if response.status == 404 && found.is_empty() {
                return Ok(None);
            }
            if !response.is_success() {
                return Err(RegistryError::from_response(&what, &response));
            }
            found.extend(parse(&what, &response.body)?);
            let links = response.header_all("link");
            match crate::link::next_link(&links, &response.url) {
                Some(next) if next != url => url = next,
                _ => return Ok(Some(found)),
            }
        }
        Err(RegistryError::Invalid(format!(
            "GET {}/referrers/{digest}: more than {MAX_PAGES} pages",
            self.name
        )))
    }
}

pub fn parse(what: &str, bytes: &[u8]) -> Result<Vec<Referrer>, RegistryError> {
    let index: Index = serde_json::from_slice(bytes).map_err(|e| {
        RegistryError::Invalid(format!("{what}: not an image index of referrers: {e}"))
    })?;
    Ok(index
        .manifests
        .into_iter()
        .map(|e| Referrer {
            digest: e.digest,
            media_type: e.media_type,
            artifact_type: e.artifact_type,
            size: e.size,
            annotations: e.annotations.into_iter().collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_tags_replace_the_colon() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(fallback_tag(&digest), format!("sha256-{}", "a".repeat(64)));
    }

    #[test]
    fn referrers_come_from_an_index() {
        let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:1","size":7,
             "artifactType":"application/spdx+json","annotations":{"b":"2","a":"1"}}]}"#;
        let found = parse("x", index).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].artifact_type.as_deref(),
            Some("application/spdx+json")
        );
        assert_eq!(
            found[0].annotations,
            [("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert!(parse("x", br#"{"schemaVersion":2}"#).is_err());
    }
}
