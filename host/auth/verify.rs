//! Whether a registry takes a credential: one `GET /v2/` with it, answering
//! the registry's challenge (Basic, or a token from its token service).

use super::{Credential, RegistryAuth};
use crate::net::{Client, NetError, Request, redact};
use reqwest::{Method, Url};

/// Why a credential was not taken.
pub enum Refusal {
    /// The registry or its token service said no.
    Refused(String),
    /// No answer that tells: unreachable, or an unexpected status.
    Unknown(String),
}

pub async fn verify(client: &Client, base: &Url, credential: Credential) -> Result<(), Refusal> {
    let auth = RegistryAuth::new(base, Some(credential), "berth login");
    let mut url = base.clone();
    url.set_path("/v2/");
    let shown = redact::url(&url);
    match client
        .send(Request::new(Method::GET, url), None, Some(&auth))
        .await
    {
        Ok(r) if r.is_success() => Ok(()),
        Ok(r) if matches!(r.status, 401 | 403) => Err(Refusal::Refused(format!(
            "GET {shown} answered HTTP {}: {}",
            r.status,
            r.said()
        ))),
        Ok(r) => Err(Refusal::Unknown(format!(
            "GET {shown} answered HTTP {}: {}",
            r.status,
            r.said()
        ))),
        Err(NetError::Auth(m)) => Err(Refusal::Refused(m)),
        Err(e) => Err(Refusal::Unknown(e.to_string())),
    }
}
