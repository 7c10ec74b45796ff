//! A registry's error answer as a [`RegistryError`] that quotes it.

use crate::model::RegistryError;
use crate::net::Response;

impl RegistryError {
    /// An error answer to `what` (e.g. "GET /v2/x/tags/list"): the status
    /// picks the kind, the message quotes the registry's OCI error codes.
    pub fn from_response(what: &str, response: &Response) -> Self {
        let said = oci_errors(&response.body).unwrap_or_else(|| response.said());
        let message = if said.is_empty() {
            format!("{what}: HTTP {}", response.status)
        } else {
            format!("{what}: HTTP {}: {said}", response.status)
        };
        let unsupported = said.contains("UNSUPPORTED");
        match response.status {
            401 => RegistryError::Unauthorized(message),
            403 => RegistryError::Forbidden(message),
            404 => RegistryError::NotFound(message),
            405 | 501 => RegistryError::Unsupported(message),
            400 if unsupported => RegistryError::Unsupported(message),
            429 => RegistryError::RateLimited {
                message,
                retry_after: crate::net::retry_after(&response.headers).map(|d| d.as_secs() as u32),
            },
            400..=499 => RegistryError::Invalid(message),
            _ => RegistryError::Other(message),
        }
    }
}

/// `CODE: message` for each entry of an OCI error body.
fn oci_errors(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    let parts: Vec<String> = body
        .errors
        .into_iter()
        .map(|e| match (e.code, e.message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c,
            (None, Some(m)) => m,
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

impl From<crate::net::NetError> for RegistryError {
    fn from(e: crate::net::NetError) -> Self {
        use crate::net::NetError;
        match e {
            NetError::Denied(m) => RegistryError::Forbidden(m),
            NetError::Auth(m) => RegistryError::Unauthorized(m),
            other => RegistryError::Transport(other.to_string()),
        }
    }
}
