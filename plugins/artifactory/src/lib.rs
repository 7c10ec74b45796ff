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

use berth_sdk::{Capability, Info, Provider};

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
            Capability::ListRepositories,
        ])
        .build()
    }
}

berth_sdk::provider!(Artifactory);
