//! A registry product that speaks the plain OCI API and says who it is in
//! its response headers (Artifactory): a thin front that forwards to
//! distribution and adds the product's headers to every answer.
//!
//! Artifactory sends `X-JFrog-Version: Artifactory/<version> <revision>`
//! and `X-Artifactory-Id` (and `X-Artifactory-Node-Id`) on its answers.

use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;

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

impl Branded {
    /// Forwards everything to `registry`, adding `headers` to each answer.
    pub fn start(registry: &Registry, headers: &'static [(&'static str, &'static str)]) -> Branded {
        let front = Front::start(registry, None, move |shared, req: Incoming| async move {
            if !(req.path.starts_with("/v2/") || req.path == "/v2") {
                return Err(req);
            }
            let mut response = front::forward(&shared, req).await;
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
