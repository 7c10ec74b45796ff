//! Manifests: what a reference resolves to, the bytes as stored, a
//! repository's listing of them, and referrers.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

/// A manifest exactly as the registry stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub digest: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// One manifest of a repository, tagged or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    pub digest: String,
    pub tags: Vec<String>,
    pub media_type: Option<String>,
    pub subject: Option<String>,
    pub created: Option<String>,
    /// `media_type` and `subject` are exactly what the manifest holds.
    pub described: bool,
}

/// A manifest whose `subject` is another: a signature, SBOM, attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referrer {
    pub digest: String,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub size: u64,
    pub annotations: Vec<(String, String)>,
}
