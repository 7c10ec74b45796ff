//! What one plugin call is about, and what detection shows a plugin.

/// The repository a plugin call is about, in the shape every API version
/// passes it: for a layout on disk, `registry` and `base_url` are empty and
/// `repository` is the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTarget {
    pub registry: String,
    pub repository: String,
    /// `http(s)://host[:port]`, no trailing slash.
    pub base_url: String,
}

/// The registry's answer to `GET /v2/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}
