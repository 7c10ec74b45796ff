//! Blob uploads: open a session, send the bytes (one streamed `PATCH`, or
//! chunks with `Content-Range` where a registry refuses that), and commit
//! with `PUT ?digest=` only once the caller has verified them, so a blob
//! that fails verification is never committed.

use super::Repo;
use crate::model::RegistryError;
use crate::net::{Opened, Request};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use std::sync::atomic::Ordering;

/// An open upload session.
pub struct Upload {
    /// Where its next bytes go.
    pub at: Url,
    /// `OCI-Chunk-Min-Length`: the least a chunk but the last may hold.
    pub min_chunk: Option<u64>,
}

impl Repo {
    /// Opens an upload session.
    pub async fn start_upload(&self) -> Result<Upload, RegistryError> {
        let what = format!("POST {}/blobs/uploads/", self.name);
        let started = self
            .send(self.request(Method::POST, "blobs/uploads/"))
            .await?;
        if started.status != 202 {
            return Err(RegistryError::from_response(&what, &started));
        }
        Ok(Upload {
            at: location(&what, &started.url, started.header("location"))?,
            min_chunk: started
                .header("oci-chunk-min-length")
                .and_then(|v| v.trim().parse().ok()),
        })
    }

    /// Whether this registry refused a streamed `PATCH` in this run, so
    /// uploads go in chunks.
    pub fn takes_chunks_only(&self) -> bool {
        self.learned.chunks_only.load(Ordering::Relaxed)
    }

    /// Sends a whole blob of `size` bytes as one streamed `PATCH`; the URL
    /// to commit it at. The stream cannot be sent twice, so a throttled or
    /// failed answer is returned for the caller to start over; a refusal of
    /// the streamed form itself (400, 411 or 416, as the distribution spec
    /// allows) is learned, so the next try goes in chunks.
    pub async fn upload_stream(
        &self,
        at: Url,
        size: u64,
        body: reqwest::Body,
    ) -> Result<Url, RegistryError> {
        let what = format!("PATCH {}/blobs/uploads/", self.name);
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(CONTENT_LENGTH, HeaderValue::from(size));
        let response = self
            .client
            .send_stream(
                Method::PATCH,
                at,
                headers,
                body,
                Some(&self.grants),
                Some(&self.auth),
            )
            .await?;
        if matches!(response.status, 400 | 411 | 416) {
            self.learned.chunks_only.store(true, Ordering::Relaxed);
            let refused = RegistryError::from_response(&what, &response);
            return Err(RegistryError::Other(format!(
                "{}; sending in chunks instead",
                refused.message()
            )));
        }
        if response.status != 202 && response.status != 204 {
            return Err(RegistryError::from_response(&what, &response));
        }
        location(&what, &response.url, response.header("location"))
    }

    /// Sends `bytes` as the chunk at `offset` of the upload at `at`; where
    /// the next chunk goes (the registry's `Location`). A `Range` answer
    /// that does not end where this chunk did is an error.
    pub async fn upload_chunk(
        &self,
        at: Url,
        offset: u64,
        bytes: Vec<u8>,
    ) -> Result<Url, RegistryError> {
        let end = offset + bytes.len() as u64 - 1;
        let what = format!("PATCH {}/blobs/uploads/ bytes {offset}-{end}", self.name);
        let request = Request::new(Method::PATCH, at)
            .header("content-type", "application/octet-stream")
            .header("content-range", &format!("{offset}-{end}"))
            .body(bytes);
        let response = self.send(request).await?;
        if response.status != 202 {
            return Err(RegistryError::from_response(&what, &response));
        }
        let range = response.header("range").map(str::trim);
        let took = range.and_then(|r| r.rsplit_once('-')?.1.parse::<u64>().ok());
        if range.is_some() && took != Some(end) {
            return Err(RegistryError::Invalid(format!(
                "{what}: the registry answered Range {:?}",
                range.unwrap_or_default()
            )));
        }
        location(&what, &response.url, response.header("location"))
    }

    /// Commits the upload at `at` as `digest`, sending `bytes` with it (the
    /// whole of a small blob, or nothing after `upload_stream`).
    pub async fn finish_upload(
        &self,
        mut at: Url,
        digest: &str,
        bytes: Vec<u8>,
    ) -> Result<(), RegistryError> {
        at.query_pairs_mut().append_pair("digest", digest);
        let request = Request::new(Method::PUT, at)
            .header("content-type", "application/octet-stream")
            .body(bytes);
        let finished = self.send(request).await?;
        if !finished.is_success() {
            return Err(RegistryError::from_response(
                &format!("PUT {}@{digest}", self.name),
                &finished,
            ));
        }
        Ok(())
    }

    /// Opens blob `digest` for reading as it arrives.
    pub async fn open_blob(&self, digest: &str) -> Result<Opened, RegistryError> {
        let request = self.request(Method::GET, &format!("blobs/{digest}"));
        let opened = self
            .client
            .open(request, Some(&self.grants), Some(&self.auth))
            .await?;
        if opened.is_success() {
            return Ok(opened);
        }
        let what = format!("GET {}@{digest}", self.name);
        Err(RegistryError::from_response(
            &what,
            &opened.into_response().await,
        ))
    }
}

/// Where an upload continues: the `Location` the registry gave, resolved
/// against the URL that answered.
fn location(what: &str, answered: &Url, location: Option<&str>) -> Result<Url, RegistryError> {
    let location = location
        .ok_or_else(|| RegistryError::Invalid(format!("{what}: no Location for the upload")))?;
    answered
        .join(location)
        .map_err(|_| RegistryError::Invalid(format!("{what}: invalid Location {location:?}")))
}
