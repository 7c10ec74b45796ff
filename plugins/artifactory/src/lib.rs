//! JFrog Artifactory, through its Docker registry API (the OCI distribution
//! API).
//!
//! Artifactory is recognised by what it adds to every answer, `/v2/`
//! included: `X-Artifactory-Id` and `X-JFrog-Version` (`Artifactory/7.x`).
//! Everything else is the host's OCI client: tags from
//! `GET /v2/<name>/tags/list`, manifests by `GET`/`PUT`, and a tag removed by
//! the OCI tag delete where the server takes it, else by the throwaway untag
//! (the tag is moved to a manifest of its own, which is then deleted), so no
//! other tag ever goes with it.
//!
//! The repository path is used exactly as given: where the repository key
//! sits in it depends on how Artifactory is reached (a path prefix such as
//! `HOST/docker-local/app`, a subdomain per repository, or a port per
//! repository), and only the operator knows which.

use berth_sdk::{Capability, Info, Probe, Provider, Target, probe_header};

struct Artifactory;

impl Provider for Artifactory {
    fn info() -> Info {
        berth_sdk::info(
            "artifactory",
            env!("CARGO_PKG_VERSION"),
            "JFrog Artifactory through its Docker registry API",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
        ])
        .build()
    }

    fn detect(_target: Target, probe: Option<Probe>) -> u8 {
        detect_headers(
            probe_header(&probe, "x-artifactory-id"),
            probe_header(&probe, "x-jfrog-version"),
        )
    }
}

/// 95 when Artifactory's own headers are there; `X-JFrog-Version` alone
/// could be another JFrog product, which still serves Docker the same way.
fn detect_headers(artifactory_id: Option<&str>, jfrog_version: Option<&str>) -> u8 {
    let id = artifactory_id.is_some_and(|v| !v.trim().is_empty());
    let version = jfrog_version.map(str::trim).unwrap_or_default();
    if id || version.starts_with("Artifactory/") {
        95
    } else if !version.is_empty() {
        70
    } else {
        0
    }
}

berth_sdk::provider!(Artifactory);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(detect_headers(Some("c2f6b4ab1d3e"), None), 95);
        assert_eq!(
            detect_headers(None, Some("Artifactory/7.77.5 77705900")),
            95
        );
        assert_eq!(detect_headers(None, Some("Xray/3.1")), 70);
        assert_eq!(detect_headers(None, None), 0);
        assert_eq!(detect_headers(Some(" "), Some("")), 0);
    }
}
