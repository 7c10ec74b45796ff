//! Blobs: get (verified) and push (monolithic, skipped when present).

use super::Repo;
use crate::model::RegistryError;
use reqwest::Method;

impl Repo {
    pub async fn get_blob(&self, digest: &str) -> Result<Vec<u8>, RegistryError> {
        let what = format!("GET {}@{digest}", self.name);
        let response = self
            .send(self.request(Method::GET, &format!("blobs/{digest}")))
            .await?;
        if !response.is_success() {
            return Err(RegistryError::from_response(&what, &response));
        }
        if let Err(why) = crate::digest::verify(digest, &response.body) {
            return Err(RegistryError::Invalid(format!("{what}: {why}")));
        }
        Ok(response.body)
    }

    pub async fn push_blob(&self, bytes: Vec<u8>) -> Result<String, RegistryError> {
        let digest = crate::digest::sha256(&bytes);
        let head = self
            .send(self.request(Method::HEAD, &format!("blobs/{digest}")))
            .await?;
        if head.is_success() {
            return Ok(digest);
        }
        let upload = self.start_upload().await?;
        self.finish_upload(upload.at, &digest, bytes).await?;
        Ok(digest)
    }
}

impl Repo {
    /// The blob's size, or `None` when the repository does not have it.
    pub async fn blob_size(&self, digest: &str) -> Result<Option<u64>, RegistryError> {
        let response = self
            .send(self.request(Method::HEAD, &format!("blobs/{digest}")))
            .await?;
        match response.status {
            200..=299 => Ok(Some(
                response
                    .header("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0),
            )),
            404 => Ok(None),
            _ => Err(RegistryError::from_response(
                &format!("HEAD {}@{digest}", self.name),
                &response,
            )),
        }
    }

    /// Mounts `digest` from repository `from` of the same registry; false
    /// when the registry did not (it then opened an upload, which is left to
    /// expire).
    pub async fn mount_blob(&self, digest: &str, from: &str) -> Result<bool, RegistryError> {
        let mut request = self.request(Method::POST, "blobs/uploads/");
        request
            .url
            .query_pairs_mut()
            .append_pair("mount", digest)
            .append_pair("from", from);
        let response = self.send(request).await?;
        match response.status {
            201 => Ok(true),
            202 => Ok(false),
            _ => Err(RegistryError::from_response(
                &format!(
                    "POST {}/blobs/uploads/?mount={digest}&from={from}",
                    self.name
                ),
                &response,
            )),
        }
    }
}
