//! Blobs: get (verified) and push (monolithic, skipped when present).

use super::manifest::sha256_digest;
use super::{RegistryError, Repo};
use crate::net::Request;
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
        if digest.starts_with("sha256:") && sha256_digest(&response.body) != digest {
            return Err(RegistryError::Invalid(format!(
                "{what}: the blob's content does not match its digest"
            )));
        }
        Ok(response.body)
    }

    pub async fn push_blob(&self, bytes: Vec<u8>) -> Result<String, RegistryError> {
        let digest = sha256_digest(&bytes);
        let head = self
            .send(self.request(Method::HEAD, &format!("blobs/{digest}")))
            .await?;
        if head.is_success() {
            return Ok(digest);
        }
        let what = format!("POST {}/blobs/uploads/", self.name);
        let started = self
            .send(self.request(Method::POST, "blobs/uploads/"))
            .await?;
        if started.status != 202 {
            return Err(RegistryError::from_response(&what, &started));
        }
        let location = started
            .header("location")
            .ok_or_else(|| RegistryError::Invalid(format!("{what}: no Location for the upload")))?;
        let mut url = started.url.join(location).map_err(|_| {
            RegistryError::Invalid(format!("{what}: invalid Location {location:?}"))
        })?;
        url.query_pairs_mut().append_pair("digest", &digest);
        let request = Request::new(Method::PUT, url)
            .header("content-type", "application/octet-stream")
            .body(bytes);
        let finished = self.send(request).await?;
        if !finished.is_success() {
            return Err(RegistryError::from_response(
                &format!("PUT {}@{digest}", self.name),
                &finished,
            ));
        }
        Ok(digest)
    }
}
