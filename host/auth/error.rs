//! Why a credential could not be had from the docker config or a helper.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Errors never include a credential: not from the file, a helper's response,
/// or a helper's output when that looks like a response.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot find the home directory, where the docker config lives by default")]
    NoHomeDir,
    #[error("failed to read docker config {}: {error}", path.display())]
    Read { path: PathBuf, error: io::Error },
    #[error("failed to parse docker config {}: {error}", path.display())]
    Parse {
        path: PathBuf,
        error: serde_json::Error,
    },
    #[error("invalid `auth` for {key:?} in docker config {}: {reason}", path.display())]
    InvalidAuth {
        path: PathBuf,
        key: String,
        reason: &'static str,
    },
    #[error("credential helper {helper} not found on PATH")]
    HelperNotFound { helper: String },
    #[error("failed to run credential helper {helper}: {error}")]
    HelperSpawn { helper: String, error: io::Error },
    #[error("credential helper {helper} did not finish within {timeout:?}")]
    HelperTimeout {
        helper: String,
        timeout: Duration,
        /// What it was asked about, for the hint.
        server_url: String,
    },
    #[error("credential helper {helper} failed ({status}): {output:?}")]
    HelperFailed {
        helper: String,
        status: ExitStatus,
        /// What the helper printed, trimmed and shortened.
        output: String,
    },
    #[error("credential helper {helper} returned an invalid response: {error}")]
    HelperResponse {
        helper: String,
        error: serde_json::Error,
    },
}

impl ConfigError {
    /// What the operator can do about it.
    pub fn hints(&self) -> Vec<String> {
        match self {
            ConfigError::HelperTimeout {
                helper, server_url, ..
            } => vec![format!(
                "run it by hand to see what it waits for: `echo {server_url} | {helper} get`"
            )],
            ConfigError::HelperFailed { helper, .. }
            | ConfigError::HelperResponse { helper, .. } => {
                vec![format!(
                    "run it by hand to see what it says: `echo <registry> | {helper} get`"
                )]
            }
            ConfigError::HelperNotFound { helper } => vec![format!(
                "install {helper}, or remove it from `credsStore`/`credHelpers` in the docker config"
            )],
            _ => Vec::new(),
        }
    }
}

/// A config file that cannot be read is the operator's input (exit 2); a
/// credential that cannot be had is a failed operation (exit 1).
impl From<ConfigError> for crate::error::Error {
    fn from(error: ConfigError) -> Self {
        let hints = error.hints();
        let base = match error {
            ConfigError::NoHomeDir | ConfigError::Read { .. } | ConfigError::Parse { .. } => {
                crate::error::Error::usage(error.to_string())
            }
            _ => crate::error::Error::failed(error.to_string()),
        };
        hints.into_iter().fold(base, crate::error::Error::hint)
    }
}
