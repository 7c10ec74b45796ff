//! Registry failures in the shape of the WIT `error` variant.

use crate::net::{NetError, Response};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    Unsupported(String),
    RateLimited {
        message: String,
        retry_after: Option<u32>,
    },
    Invalid(String),
    Transport(String),
    Other(String),
}

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

    /// The same kind of error with its message rewritten.
    pub fn map_message(self, f: impl FnOnce(&str) -> String) -> Self {
        match self {
            RegistryError::Unauthorized(m) => RegistryError::Unauthorized(f(&m)),
            RegistryError::Forbidden(m) => RegistryError::Forbidden(f(&m)),
            RegistryError::NotFound(m) => RegistryError::NotFound(f(&m)),
            RegistryError::Unsupported(m) => RegistryError::Unsupported(f(&m)),
            RegistryError::RateLimited {
                message,
                retry_after,
            } => RegistryError::RateLimited {
                message: f(&message),
                retry_after,
            },
            RegistryError::Invalid(m) => RegistryError::Invalid(f(&m)),
            RegistryError::Transport(m) => RegistryError::Transport(f(&m)),
            RegistryError::Other(m) => RegistryError::Other(f(&m)),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            RegistryError::Unauthorized(m)
            | RegistryError::Forbidden(m)
            | RegistryError::NotFound(m)
            | RegistryError::Unsupported(m)
            | RegistryError::Invalid(m)
            | RegistryError::Transport(m)
            | RegistryError::Other(m) => m,
            RegistryError::RateLimited { message, .. } => message,
        }
    }
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl From<NetError> for RegistryError {
    fn from(e: NetError) -> Self {
        match e {
            NetError::Denied(m) => RegistryError::Forbidden(m),
            NetError::Auth(m) => RegistryError::Unauthorized(m),
            other => RegistryError::Transport(other.to_string()),
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
