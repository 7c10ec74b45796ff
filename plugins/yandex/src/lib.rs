//! Yandex Cloud Container Registry, `cr.yandex`. It speaks the OCI
//! distribution API, so every operation is the host's OCI client: a tag is
//! removed by the OCI tag delete where the registry takes it, else by moving
//! it to a throwaway manifest and deleting that, and a manifest is deleted by
//! digest only when the host has checked that no other tag points at it.
//!
//! Credentials come from docker's config like any registry's: `docker login
//! cr.yandex` with the user `oauth` (an OAuth token), `iam` (an IAM token) or
//! `json_key` (a service account's authorized key), or the `yc` credential
//! helper. A refusal of them says so, in a hint.

use berth_sdk::{Capability, Error, Info, Provider, Target};

struct Yandex;

/// What to do when the registry refuses the credentials (a hint line).
const LOGIN: &str = "Yandex Container Registry takes docker credentials: \
`docker login cr.yandex` as the user `oauth` (OAuth token), `iam` (IAM token) or \
`json_key` (service account key file), or `yc container registry configure-docker`";

impl Provider for Yandex {
    fn info() -> Info {
        berth_sdk::info(
            "yandex",
            env!("CARGO_PKG_VERSION"),
            "Yandex Cloud Container Registry (cr.yandex)",
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

    /// Every operation is the SDK's default; a refusal of the credentials
    /// says how to log in.
    fn explain(_target: &Target, error: Error) -> Error {
        error.with_login_hint(LOGIN)
    }
}

berth_sdk::provider!(Yandex);
