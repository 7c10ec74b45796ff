//! Any registry that speaks the OCI distribution API. Everything is the
//! SDK's default: the host's native OCI client, with deletion by digest only
//! when no other tag shares the manifest, and the safe untag otherwise.

use berth_sdk::{Capability, Info, Provider};

struct Oci;

impl Provider for Oci {
    fn info() -> Info {
        berth_sdk::info(
            "default",
            env!("CARGO_PKG_VERSION"),
            "Any registry that speaks the OCI distribution API",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
            Capability::DeleteManifest,
            Capability::ListRepositories,
        ])
        .build()
    }
}

berth_sdk::provider!(Oci);
