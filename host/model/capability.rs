//! What a provider can do. The host refuses a command that needs a
//! capability its provider did not declare, before any request.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    ListTags,
    /// `list-tags` fills `created`.
    TagDates,
    DeleteTag,
    /// `delete-tags` removes several tags in one call.
    DeleteTags,
    GetManifest,
    PushManifest,
    PullBlobs,
    PushBlobs,
    ListManifests,
    DeleteManifest,
    ListRepositories,
    Permissions,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::ListTags => "list-tags",
            Capability::TagDates => "tag-dates",
            Capability::DeleteTag => "delete-tag",
            Capability::DeleteTags => "delete-tags",
            Capability::GetManifest => "get-manifest",
            Capability::PushManifest => "push-manifest",
            Capability::PullBlobs => "pull-blobs",
            Capability::PushBlobs => "push-blobs",
            Capability::ListManifests => "list-manifests",
            Capability::DeleteManifest => "delete-manifest",
            Capability::ListRepositories => "list-repositories",
            Capability::Permissions => "permissions",
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
