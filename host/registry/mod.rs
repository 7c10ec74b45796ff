//! The OCI distribution API, done natively for every provider: one file per
//! operation. Errors quote what the registry said.

mod blob;
mod catalog;
mod error;
mod manifest;
mod permissions;
pub mod referrers;
mod tags;
mod untag;
mod upload;

pub use untag::is_throwaway_of;

use crate::auth::RegistryAuth;
use crate::model::{Manifest, RegistryError};
use crate::net::{Client, Grants, Request, Response};
use reqwest::{Method, Url};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// One repository on one registry, as a plugin's `oci` import sees it.
pub struct Repo {
    pub client: Client,
    pub auth: Arc<RegistryAuth>,
    pub grants: Arc<Grants>,
    /// `http(s)://host[:port]`, no trailing slash.
    pub base: Url,
    pub name: String,
    /// What this run learned about the registry, shared by all instances.
    pub learned: Arc<Learned>,
}

#[derive(Default)]
pub struct Learned {
    /// 0 unknown, 1 the registry deletes tags, 2 it does not.
    pub tag_delete: AtomicU8,
    /// The throwaway manifest's config blob was uploaded: once per
    /// repository, however many removals run at once, because concurrent
    /// uploads of one blob can make distribution refuse a manifest that
    /// names it.
    pub empty_blob: OnceCell<()>,
    /// Where each tag moved to a throwaway was before, to put it back.
    pub moved: Mutex<HashMap<String, Manifest>>,
    /// 0 unknown, 1 the registry serves the referrers API, 2 it does not.
    pub referrers_api: AtomicU8,
    /// The registry refused a streamed `PATCH`: uploads go in chunks.
    pub chunks_only: AtomicBool,
}

impl Repo {
    fn url(&self, tail: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("/v2/{}/{tail}", self.name));
        url
    }

    async fn send(&self, request: Request) -> Result<Response, RegistryError> {
        Ok(self
            .client
            .send(request, Some(&self.grants), Some(&self.auth))
            .await?)
    }

    fn request(&self, method: Method, tail: &str) -> Request {
        Request::new(method, self.url(tail))
    }
}
