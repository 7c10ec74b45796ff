//! Tags, and how the host asks for one to be removed.

use serde::Serialize;

/// A tag as the host knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub name: String,
    /// The manifest it points at, when the provider knows it cheaply.
    pub digest: Option<String>,
    /// When its image was created or pushed (RFC 3339), when known cheaply.
    pub created: Option<String>,
}

/// How a tag is to be removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The digest the tag points at, when the host knows it.
    pub digest: Option<String>,
    /// The host checked that no tag it was not asked to remove points at
    /// `digest`, so deleting that manifest removes nothing unnamed.
    pub exclusive: bool,
}
