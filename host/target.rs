//! What a command works on: a repository on a registry (with the base URL
//! of its API), or an OCI layout on disk.

use crate::model::CallTarget;
use crate::reference::{Address, Repository};
use reqwest::Url;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub enum Target {
    Registry { repo: Repository, base: Url },
    Layout { dir: PathBuf },
}

impl Target {
    pub fn new(address: &Address, plain_http: bool) -> Self {
        match address {
            Address::Layout(layout) => Target::Layout {
                dir: layout.dir.clone(),
            },
            Address::Registry(repo) => {
                let scheme = if repo.is_loopback() || plain_http {
                    "http"
                } else {
                    "https"
                };
                let base = Url::parse(&format!("{scheme}://{}", repo.api_host()))
                    .expect("a parsed registry is a valid host");
                Target::Registry {
                    repo: repo.clone(),
                    base,
                }
            }
        }
    }

    /// `docker.io/library/nginx`, or `oci:DIR`.
    pub fn canonical(&self) -> String {
        match self {
            Target::Registry { repo, .. } => repo.canonical(),
            Target::Layout { dir } => format!("oci:{}", dir.display()),
        }
    }

    pub fn registry(&self) -> &str {
        match self {
            Target::Registry { repo, .. } => &repo.registry,
            Target::Layout { .. } => "",
        }
    }

    pub fn repository(&self) -> String {
        match self {
            Target::Registry { repo, .. } => repo.path.clone(),
            Target::Layout { dir } => dir.display().to_string(),
        }
    }

    /// The shape a plugin call takes.
    pub fn call_target(&self) -> CallTarget {
        match self {
            Target::Registry { repo, base } => CallTarget {
                registry: repo.registry.clone(),
                repository: repo.path.clone(),
                base_url: base.as_str().trim_end_matches('/').to_string(),
            },
            Target::Layout { dir } => CallTarget {
                registry: String::new(),
                repository: dir.display().to_string(),
                base_url: String::new(),
            },
        }
    }
}
