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

use berth_sdk::{
    Capability, Descriptor, Error, Info, Manifest, Provider, Removal, Result, TagPage, Target, oci,
};

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
        ])
        .build()
    }

    fn list_tags(_target: Target, cursor: Option<String>) -> Result<TagPage> {
        oci::list_tags(cursor.as_deref()).map_err(explained)
    }

    fn resolve(_target: Target, reference: String) -> Result<Descriptor> {
        oci::resolve(&reference).map_err(explained)
    }

    fn get_manifest(_target: Target, reference: String) -> Result<Manifest> {
        oci::get_manifest(&reference).map_err(explained)
    }

    fn get_blob(_target: Target, digest: String) -> Result<Vec<u8>> {
        oci::get_blob(&digest).map_err(explained)
    }

    fn push_manifest(
        _target: Target,
        reference: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<String> {
        oci::push_manifest(&reference, &media_type, &bytes).map_err(explained)
    }

    /// A digest delete only when the host says nothing else shares the
    /// manifest; otherwise the host's untag, which never touches another tag.
    fn delete_tag(_target: Target, tag: String, removal: Removal) -> Result<()> {
        if let (true, Some(digest)) = (removal.exclusive, removal.digest.as_deref()) {
            match oci::delete_manifest(digest) {
                Err(Error::Unsupported(_)) => {}
                done => return done.map_err(explained),
            }
        }
        oci::untag(&tag).map_err(explained)
    }
}

/// Adds how to log in to a refusal of the credentials.
fn explained(e: Error) -> Error {
    match e {
        Error::Unauthorized(m) => Error::Unauthorized(format!("{m}\nhint: {LOGIN}")),
        other => other,
    }
}

berth_sdk::provider!(Yandex);
