//! The 0.1.0 import names, served by the host's services (`crate::imports`).

use super::berth::provider::{config, http, log, oci, types};
use super::convert::{self, from_error};
use crate::model;
use crate::runtime::state::State;

type Result<T> = wasmtime::Result<std::result::Result<T, types::Error>>;

impl types::Host for State {}

impl http::Host for State {
    async fn send(&mut self, request: http::Request) -> Result<http::Response> {
        Ok(self
            .host
            .send(from_request(request))
            .await
            .map(to_response)
            .map_err(from_error))
    }

    async fn send_all(
        &mut self,
        requests: Vec<http::Request>,
    ) -> wasmtime::Result<Vec<std::result::Result<http::Response, types::Error>>> {
        let requests = requests.into_iter().map(from_request).collect();
        Ok(self
            .host
            .send_all(requests)
            .await
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
}

impl config::Host for State {
    async fn get_option(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.host.option(&name))
    }

    async fn get_env(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.host.env_var(&name))
    }

    async fn registry_credential(&mut self) -> wasmtime::Result<Option<config::Credential>> {
        Ok(self.host.registry_credential().map(from_credential))
    }
}

fn from_credential(c: crate::auth::Credential) -> config::Credential {
    use crate::auth::Credential;
    match c {
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
    }
}

impl log::Host for State {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        self.host.log(from_level(level), &message);
        Ok(())
    }
}

fn from_level(level: log::Level) -> crate::log::Level {
    use crate::log::Level as L;
    match level {
        log::Level::Error => L::Error,
        log::Level::Warn => L::Warn,
        log::Level::Info => L::Info,
        log::Level::Debug => L::Debug,
        log::Level::Trace => L::Trace,
    }
}
