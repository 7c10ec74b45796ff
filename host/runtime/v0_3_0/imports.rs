//! The 0.3.0 import names, served by the host's services (`crate::imports`).

use super::berth::provider::{config, http, log, oci, types};
use super::convert::{self, from_error};
use crate::model;
use crate::runtime::state::State;

type Result<T> = wasmtime::Result<std::result::Result<T, types::Error>>;

impl types::Host for State {}

impl http::Host for State {
    async fn send(&mut self, request: http::Request) -> Result<http::Response> {
        let response = self.host.send(from_request(request)).await;
        Ok(response.map(to_response).map_err(from_error))
    }

    async fn send_all(
        &mut self,
        requests: Vec<http::Request>,
    ) -> wasmtime::Result<Vec<std::result::Result<http::Response, types::Error>>> {
        let requests = requests.into_iter().map(from_request).collect();
        let responses = self.host.send_all(requests).await;
        Ok(responses
            .into_iter()
            .map(|r| r.map(to_response).map_err(from_error))
            .collect())
    }
}

fn from_request(r: http::Request) -> model::HttpRequest {
    use model::Method as M;
    model::HttpRequest {
        method: match r.method {
            http::Method::Get => M::Get,
            http::Method::Head => M::Head,
            http::Method::Put => M::Put,
            http::Method::Post => M::Post,
            http::Method::Patch => M::Patch,
            http::Method::Delete => M::Delete,
        },
        url: r.url,
        headers: r.headers,
        body: r.body,
    }
}

fn to_response(r: model::HttpResponse) -> http::Response {
    http::Response {
        status: r.status,
        headers: r.headers,
        body: r.body,
        url: r.url,
    }
}

impl oci::Host for State {
    async fn list_tags(&mut self, cursor: Option<String>) -> Result<types::TagPage> {
        let page = self.host.oci().list_tags(cursor.as_deref()).await;
        Ok(page.map(convert::from_tag_page).map_err(from_error))
    }

    async fn resolve(&mut self, reference: String) -> Result<types::Descriptor> {
        let d = self.host.oci().resolve(&reference).await;
        Ok(d.map(convert::from_descriptor).map_err(from_error))
    }

    async fn get_manifest(&mut self, reference: String) -> Result<types::Manifest> {
        let m = self.host.oci().get_manifest(&reference).await;
        Ok(m.map(convert::from_manifest).map_err(from_error))
    }

    async fn get_blob(&mut self, digest: String) -> Result<Vec<u8>> {
        Ok(self.host.oci().get_blob(&digest).await.map_err(from_error))
    }

    async fn push_blob(&mut self, bytes: Vec<u8>) -> Result<String> {
        Ok(self.host.oci().push_blob(bytes).await.map_err(from_error))
    }

    async fn push_manifest(
        &mut self,
        reference: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<String> {
        let oci = self.host.oci();
        let pushed = oci.push_manifest(&reference, &media_type, bytes).await;
        Ok(pushed.map_err(from_error))
    }

    async fn delete_manifest(&mut self, reference: String) -> Result<()> {
        let deleted = self.host.oci().delete_manifest(&reference).await;
        Ok(deleted.map_err(from_error))
    }

    async fn untag(&mut self, tag: String) -> Result<()> {
        Ok(self.host.oci().untag(&tag).await.map_err(from_error))
    }

    async fn use_credential(&mut self, username: String, secret: String) -> wasmtime::Result<()> {
        self.host.oci().use_credential(username, secret);
        Ok(())
    }

    async fn blob_size(&mut self, digest: String) -> Result<Option<u64>> {
        Ok(self.host.oci().blob_size(&digest).await.map_err(from_error))
    }

    async fn mount_blob(&mut self, digest: String, from: String) -> Result<bool> {
        let mounted = self.host.oci().mount_blob(&digest, &from).await;
        Ok(mounted.map_err(from_error))
    }

    async fn referrers(&mut self, digest: String) -> Result<Vec<types::Referrer>> {
        let found = self.host.oci().referrers(&digest).await;
        Ok(found
            .map(|r| r.into_iter().map(convert::from_referrer).collect())
            .map_err(from_error))
    }

    async fn list_repositories(&mut self, cursor: Option<String>) -> Result<types::RepositoryPage> {
        let page = self.host.oci().list_repositories(cursor.as_deref()).await;
        Ok(page.map(convert::from_repository_page).map_err(from_error))
    }

    async fn move_to_throwaway(&mut self, tag: String) -> Result<String> {
        let moved = self.host.oci().move_to_throwaway(&tag).await;
        Ok(moved.map_err(from_error))
    }

    async fn put_back(&mut self, tag: String) -> Result<()> {
        Ok(self.host.oci().put_back(&tag).await.map_err(from_error))
    }

    async fn check_permissions(&mut self) -> Result<types::Permissions> {
        let found = self.host.oci().permissions().await;
        Ok(found.map(convert::from_permissions).map_err(from_error))
    }
}

impl config::Host for State {
    async fn get_option(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.host.option(&name))
    }

    async fn get_env(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.host.env_var(&name))
    }

    async fn registry_credential(&mut self) -> wasmtime::Result<Option<config::Credential>> {
        use crate::auth::Credential;
        Ok(self.host.registry_credential().map(|c| match c {
            Credential::Basic { username, password } => config::Credential {
                username,
                secret: password,
                identity_token: false,
            },
            Credential::IdentityToken { username, token } => config::Credential {
                username: username.unwrap_or_default(),
                secret: token,
                identity_token: true,
            },
        }))
    }

    async fn dry_run(&mut self) -> wasmtime::Result<bool> {
        Ok(self.host.dry_run)
    }
}

impl log::Host for State {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        use crate::log::Level as L;
        let level = match level {
            log::Level::Error => L::Error,
            log::Level::Warn => L::Warn,
            log::Level::Info => L::Info,
            log::Level::Debug => L::Debug,
            log::Level::Trace => L::Trace,
        };
        self.host.log(level, &message);
        Ok(())
    }
}
