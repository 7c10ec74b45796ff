//! What a credential may do on a repository, as `berth doctor` reports it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Yes,
    No,
    /// Only a write would tell.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permissions {
    pub list: Access,
    pub push: Access,
    pub delete: Access,
    /// Where the provider found the credential, when it chose it itself.
    pub credential_source: Option<String>,
    pub notes: Vec<String>,
    pub hints: Vec<String>,
}
