//! What a run is for (`--for`), and which permissions that needs.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// `tags ls`, `manifest get`, `plan`
    List,
    /// `manifest put`, `push`, `cp` to the repository
    Push,
    /// `tags rm`
    Delete,
    /// `cleanup`, `apply`
    Cleanup,
}

/// One thing a credential may or may not do on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ability {
    List,
    Push,
    Delete,
}

impl Ability {
    pub fn name(self) -> &'static str {
        match self {
            Ability::List => "list",
            Ability::Push => "push",
            Ability::Delete => "delete",
        }
    }
}

impl Purpose {
    /// Removing tags reads them first.
    pub fn needs(self) -> &'static [Ability] {
        match self {
            Purpose::List => &[Ability::List],
            Purpose::Push => &[Ability::Push],
            Purpose::Delete | Purpose::Cleanup => &[Ability::List, Ability::Delete],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Purpose::List => "list",
            Purpose::Push => "push",
            Purpose::Delete => "delete",
            Purpose::Cleanup => "cleanup",
        }
    }
}
