//! A berth provider for {{name}}.
//!
//! Every operation defaults to the host's OCI client (paging, credentials,
//! the safe untag); override the ones your registry does differently.

use berth_sdk::{Capability, Info, Probe, Provider, Target};

struct Plugin;

impl Provider for Plugin {
    fn info() -> Info {
        berth_sdk::info("{{name}}", env!("CARGO_PKG_VERSION"), "Registry provider for {{name}}")
            .capabilities(&[
                Capability::ListTags,
                Capability::DeleteTag,
                Capability::GetManifest,
                Capability::PushManifest,
            ])
            .secret_option("token", "API token, if the registry's own API needs one")
            .build()
    }

    /// Claims a registry whose `GET /v2/` answer carries a telling header.
    /// berth asks only when no catalog lists this plugin, or its entry says
    /// `probe = true` (header rules in the entry decide without asking).
    fn detect(_target: Target, probe: Option<Probe>) -> u8 {
        match berth_sdk::probe_header(&probe, "x-{{name}}-registry") {
            Some(_) => 90,
            None => 0,
        }
    }
}

berth_sdk::provider!(Plugin);
