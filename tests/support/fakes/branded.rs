//! A registry product that speaks the plain OCI API and says who it is in
//! its response headers (Artifactory, Nexus): a thin front that forwards to
//! distribution and adds the product's headers to every answer.
//!
//! - Artifactory sends `X-JFrog-Version: Artifactory/<version> <revision>`
//!   and `X-Artifactory-Id` (and `X-Artifactory-Node-Id`) on its answers.
//! - Nexus Repository sends `Server: Nexus/<version> (OSS|PRO)`.
//!
//! A fake may also refuse `DELETE /v2/<name>/manifests/<tag>` outright (400
//! `UNSUPPORTED`), for products whose tag delete berth must never send.

use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::super::Registry;
use super::super::seen::Seen;
use super::front::{self, Front, Incoming};

pub struct Branded {
    front: Front,
}

/// Artifactory 7's headers.
pub const ARTIFACTORY: &[(&str, &str)] = &[
    ("x-jfrog-version", "Artifactory/7.77.5 77705900"),
    (
        "x-artifactory-id",
        "c2f6b4ab1d3e9f0a7b5c8d2e1f4a6b3c9d0e7f12",
    ),
    ("x-artifactory-node-id", "artifactory-primary-0"),
];

/// Nexus Repository 3's header.
pub const NEXUS: &[(&str, &str)] = &[("server", "Nexus/3.68.1-02 (OSS)")];

impl Branded {
    /// Forwards everything to `registry`, adding `headers` to each answer;
    /// with `refuse_tag_delete`, a manifest delete by tag is answered 400.
    pub fn start(
        registry: &Registry,
        headers: &'static [(&'static str, &'static str)],
        refuse_tag_delete: bool,
    ) -> Branded {
        let front = Front::start(registry, None, move |shared, req: Incoming| async move {
            if !(req.path.starts_with("/v2/") || req.path == "/v2") {
                return Err(req);
            }
            let by_tag = req.method == Method::DELETE
                && req
                    .path
                    .rsplit_once("/manifests/")
                    .is_some_and(|(_, r)| !r.starts_with("sha256:") && !r.starts_with("sha512:"));
            let mut response = if refuse_tag_delete && by_tag {
                front::json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"errors": [{"code": "UNSUPPORTED", "message": "the fake refuses a manifest delete by tag"}]}),
                )
            } else {
                let path = if req.query.is_empty() {
                    req.path.clone()
                } else {
                    format!("{}?{}", req.path, req.query)
                };
                let (status, upstream_headers, body) = shared
                    .upstream
                    .forward(req.method, &path, &req.headers, req.body)
                    .await;
                let mut response = (status, body).into_response();
                *response.headers_mut() = upstream_headers;
                response
            };
            brand(&mut response, headers);
            Ok(response)
        });
        Branded { front }
    }

    pub fn addr(&self) -> String {
        self.front.addr()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.front.requests()
    }

    pub fn clear_requests(&self) {
        self.front.clear_requests();
    }
}

fn brand(response: &mut Response, headers: &[(&str, &str)]) {
    for (name, value) in headers {
        response.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
}
