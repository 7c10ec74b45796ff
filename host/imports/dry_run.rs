//! Which of a plugin's requests may go out in a dry run: those that cannot
//! change anything. GET and HEAD; POST only to a token endpoint, or as an
//! AWS JSON API call whose operation reads (`List*`, `Describe*`, `Get*`,
//! `BatchGet*`), since such APIs read by POST. Everything else is refused,
//! and recorded for the report: a plugin that writes in a dry run is one
//! the operator should know about.

use super::HostContext;
use crate::model::{HttpRequest, Method, Refused, RegistryError};
use std::sync::Mutex;

/// Distinct refused writes a report names; the rest are only counted.
const SHOWN: usize = 20;

/// The writes refused so far, shared by every instance of one provider.
#[derive(Default)]
pub struct Refusals(Mutex<Refused>);

impl HostContext {
    /// Refuses `what`, a write the plugin attempted in a dry run: the
    /// plugin gets an error, the report a line.
    pub(super) fn refuse(&self, what: &str) -> RegistryError {
        let shown = self.redact(what);
        let mut refused = self.refusals.0.lock().unwrap();
        refused.count += 1;
        if refused.first.len() < SHOWN && !refused.first.contains(&shown) {
            refused.first.push(shown.clone());
        }
        RegistryError::Forbidden(format!("dry run: berth refused the plugin's {shown}"))
    }

    pub fn refused(&self) -> Refused {
        self.refusals.0.lock().unwrap().clone()
    }
}

/// Paths of the token endpoints registries and their APIs use.
const TOKEN_PATHS: &[&str] = &[
    "/oauth2/token",
    "/oauth2/exchange",
    "/v2/auth/token",
    "/v2/users/login",
    "/token",
];

const READ_OPERATIONS: &[&str] = &["List", "Describe", "Get", "BatchGet"];

pub fn is_read(request: &HttpRequest) -> bool {
    match request.method {
        Method::Get | Method::Head => true,
        // An AWS call is judged by its operation alone, wherever it is sent.
        Method::Post => match amz_target(request) {
            Some(target) => is_read_operation(target),
            None => is_token_request(&request.url),
        },
        Method::Put | Method::Patch | Method::Delete => false,
    }
}

fn is_token_request(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let path = url.path().trim_end_matches('/');
    TOKEN_PATHS.iter().any(|t| path.ends_with(t))
}

fn amz_target(request: &HttpRequest) -> Option<&str> {
    request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-target"))
        .map(|(_, target)| target.as_str())
}

fn is_read_operation(target: &str) -> bool {
    target.rsplit_once('.').is_some_and(|(_, operation)| {
        READ_OPERATIONS
            .iter()
            .any(|prefix| operation.starts_with(prefix))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, url: &str, headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method,
            url: url.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn reads_pass_and_writes_do_not() {
        let ecr = "https://api.ecr.eu-west-1.amazonaws.com/";
        let target = |op: &str| format!("AmazonEC2ContainerRegistry_V20150921.{op}");
        assert!(is_read(&request(
            Method::Get,
            "http://r/v2/a/tags/list",
            &[]
        )));
        assert!(is_read(&request(
            Method::Head,
            "http://r/v2/a/manifests/x",
            &[]
        )));
        assert!(is_read(&request(
            Method::Post,
            "https://r.azurecr.io/oauth2/exchange",
            &[]
        )));
        assert!(is_read(&request(
            Method::Post,
            "https://hub.docker.com/v2/auth/token/",
            &[]
        )));
        assert!(is_read(&request(
            Method::Post,
            ecr,
            &[("X-Amz-Target", &target("ListImages"))]
        )));
        assert!(is_read(&request(
            Method::Post,
            ecr,
            &[("x-amz-target", &target("GetAuthorizationToken"))]
        )));
        assert!(!is_read(&request(
            Method::Post,
            ecr,
            &[("X-Amz-Target", &target("BatchDeleteImage"))]
        )));
        assert!(!is_read(&request(
            Method::Post,
            ecr,
            &[("X-Amz-Target", &target("PutImage"))]
        )));
        assert!(!is_read(&request(
            Method::Post,
            "http://r/v2/a/blobs/uploads/",
            &[]
        )));
        assert!(!is_read(&request(
            Method::Delete,
            "http://r/v2/a/manifests/x",
            &[]
        )));
        assert!(!is_read(&request(
            Method::Put,
            "http://r/v2/a/manifests/x",
            &[]
        )));
        assert!(!is_read(&request(
            Method::Patch,
            "http://r/v2/a/blobs/uploads/1",
            &[]
        )));
        // A write operation is not a token request for being sent to one.
        assert!(!is_read(&request(
            Method::Post,
            "https://api.ecr.eu-west-1.amazonaws.com/oauth2/token",
            &[("X-Amz-Target", &target("BatchDeleteImage"))]
        )));
        // A path that merely contains a token path is not one.
        assert!(!is_read(&request(
            Method::Post,
            "http://r/token/delete",
            &[]
        )));
    }
}
