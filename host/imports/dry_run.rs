//! Which of a plugin's requests may go out in a dry run: those that cannot
//! change anything. GET and HEAD; POST only to a token endpoint, or as an
//! AWS JSON API call whose operation reads (`List*`, `Describe*`, `Get*`,
//! `BatchGet*`), since such APIs read by POST. Everything else is refused.

use crate::model::{HttpRequest, Method};

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
        Method::Post => is_token_request(&request.url) || is_aws_read(request),
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

fn is_aws_read(request: &HttpRequest) -> bool {
    request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-target"))
        .and_then(|(_, target)| target.rsplit_once('.'))
        .is_some_and(|(_, operation)| {
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
        // A path that merely contains a token path is not one.
        assert!(!is_read(&request(
            Method::Post,
            "http://r/token/delete",
            &[]
        )));
    }
}
