//! Manifests: resolve (`HEAD`), get, put and delete.

use super::Repo;
use crate::model::{Descriptor, Manifest, RegistryError};
use reqwest::Method;

/// Every manifest kind berth reads; registries pick what they stored.
pub const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, \
application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.artifact.manifest.v1+json";

impl Repo {
    pub async fn resolve(&self, reference: &str) -> Result<Descriptor, RegistryError> {
        let what = format!("HEAD {}:{reference}", self.name);
        let request = self
            .request(Method::HEAD, &format!("manifests/{reference}"))
            .header("accept", MANIFEST_TYPES);
        let response = self.send(request).await?;
        if !response.is_success() {
            return Err(RegistryError::from_response(&what, &response));
        }
        match response.header("docker-content-digest") {
            Some(digest) => Ok(Descriptor {
                media_type: response
                    .header("content-type")
                    .unwrap_or_default()
                    .to_string(),
                digest: digest.to_string(),
                size: response
                    .header("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0),
            }),
            // Some registries omit the digest on HEAD; the bytes tell.
            None => self.get_manifest(reference).await.map(|m| Descriptor {
                size: m.bytes.len() as u64,
                media_type: m.media_type,
                digest: m.digest,
            }),
        }
    }

    pub async fn get_manifest(&self, reference: &str) -> Result<Manifest, RegistryError> {
        let what = format!("GET {}:{reference}", self.name);
        let request = self
            .request(Method::GET, &format!("manifests/{reference}"))
            .header("accept", MANIFEST_TYPES);
        let response = self.send(request).await?;
        if !response.is_success() {
            return Err(RegistryError::from_response(&what, &response));
        }
        // Asked by digest, the bytes must have it, whatever its algorithm.
        let digest = if reference.contains(':') {
            crate::digest::verify(reference, &response.body)
                .map_err(|why| RegistryError::Invalid(format!("{what}: {why}")))?;
            reference.to_string()
        } else {
            crate::digest::sha256(&response.body)
        };
        let media_type = response
            .header("content-type")
            .map(|t| t.split(';').next().unwrap_or(t).trim().to_string())
            .filter(|t| !t.is_empty())
            .or_else(|| media_type_of(&response.body))
            .unwrap_or_default();
        Ok(Manifest {
            digest,
            media_type,
            bytes: response.body,
        })
    }

    pub async fn push_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, RegistryError> {
        let what = format!("PUT {}:{reference}", self.name);
        let digest = if reference.contains(':') {
            crate::digest::verify(reference, &bytes)
                .map_err(|why| RegistryError::Invalid(format!("{what}: {why}")))?;
            reference.to_string()
        } else {
            crate::digest::sha256(&bytes)
        };
        let request = self
            .request(Method::PUT, &format!("manifests/{reference}"))
            .header("content-type", media_type)
            .body(bytes);
        let response = self.send(request).await?;
        if !response.is_success() {
            return Err(RegistryError::from_response(&what, &response));
        }
        if let Some(stored) = response.header("docker-content-digest")
            && stored != digest
        {
            return Err(RegistryError::Invalid(format!(
                "{what}: the registry stored {stored}, not the {digest} that was sent"
            )));
        }
        Ok(digest)
    }

    pub async fn delete_manifest(&self, reference: &str) -> Result<(), RegistryError> {
        let what = format!("DELETE {}:{reference}", self.name);
        let response = self
            .send(self.request(Method::DELETE, &format!("manifests/{reference}")))
            .await?;
        if response.is_success() {
            Ok(())
        } else {
            Err(RegistryError::from_response(&what, &response))
        }
    }
}

/// The `mediaType` field of a manifest document.
pub fn media_type_of(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<Typed>(bytes).ok()?.media_type
}
