//! Why a provider call failed, and how that reads to the user.

use crate::error::Error;
use crate::model::RegistryError;

/// Most hints taken from one plugin error, and the longest of each: a
/// plugin must not flood the terminal.
const MAX_HINTS: usize = 5;
const HINT_CHARS: usize = 300;

#[derive(Debug, Clone)]
pub enum Failure {
    /// The registry (or the plugin on its behalf) reported an error.
    Registry(RegistryError),
    /// The plugin itself misbehaved: crashed, overran, or returned junk.
    Plugin(String),
}

impl Failure {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Failure::Registry(RegistryError::NotFound(_)))
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Registry(e) => describe(e),
            Failure::Plugin(m) => m.clone(),
        }
    }

    /// What the plugin said to do about it.
    pub fn hints(&self) -> Vec<String> {
        match self {
            Failure::Registry(e) => split_hints(e.message()).1,
            Failure::Plugin(_) => Vec::new(),
        }
    }

    /// An error for `subject` (the address being worked on), with hints.
    pub fn into_error(self, subject: &str, registry: &str) -> Error {
        let error = Error::failed(format!("{subject}: {}", self.message()));
        // What the plugin says to do replaces the generic hints.
        if let Failure::Registry(e) = &self {
            let (_, hints) = split_hints(e.message());
            if !hints.is_empty() {
                return hints.into_iter().fold(error, Error::hint);
            }
        }
        match self {
            Failure::Registry(RegistryError::Unauthorized(_)) => error
                .hint(format!("log in with `docker login {registry}`, or point --docker-config at a config.json that has credentials for it"))
                .hint("provider options such as tokens are listed by `berth plugins info NAME`"),
            Failure::Registry(RegistryError::Forbidden(m)) if m.contains("dry run: berth refused") => {
                error.hint("the plugin tried to change the registry in a dry run, which berth never allows; its author should know")
            }
            Failure::Registry(RegistryError::Forbidden(m)) if m.contains("not granted") => {
                error.hint("grant the host in the plugin's plugin-registry.toml entry (`hosts = [...]`), if you trust the plugin")
            }
            Failure::Registry(RegistryError::Forbidden(_)) => {
                error.hint("the credentials are valid but lack permission for this")
            }
            Failure::Registry(RegistryError::RateLimited { retry_after: Some(s), .. }) => {
                error.hint(format!("the registry asks to wait {s} s; try again later or lower --concurrency"))
            }
            Failure::Registry(RegistryError::RateLimited { .. }) => error.hint("lower --concurrency or try again later"),
            Failure::Registry(RegistryError::Transport(m)) if m.contains("certificate") => error
                .hint("if the registry's certificate comes from a private CA, pass that CA with --ca-file FILE (or BERTH_CA_FILE)")
                .hint("--insecure skips certificate checks altogether"),
            Failure::Registry(RegistryError::Transport(_)) => {
                error.hint("check the address and the network; loopback registries use HTTP, others HTTPS unless --plain-http")
            }
            _ => error,
        }
    }
}

/// A plugin's message may end in hints, each after a line break and
/// `hint: `; they are cut off the message, at most [`MAX_HINTS`] of them,
/// one line each, control characters escaped.
fn split_hints(message: &str) -> (&str, Vec<String>) {
    let mut parts = message.split("\nhint: ");
    let message = parts.next().unwrap_or_default();
    let hints = parts
        .map(|h| crate::text::clean(h.trim(), HINT_CHARS))
        .filter(|h| !h.is_empty())
        .take(MAX_HINTS)
        .collect();
    (message, hints)
}

fn describe(e: &RegistryError) -> String {
    let m = split_hints(e.message()).0;
    match e {
        RegistryError::NotFound(_) => format!("not found ({m})"),
        RegistryError::Unauthorized(_) => format!("unauthorized ({m})"),
        RegistryError::Forbidden(_) => format!("forbidden ({m})"),
        RegistryError::Unsupported(_) => format!("unsupported ({m})"),
        RegistryError::RateLimited { .. } => format!("rate limited ({m})"),
        RegistryError::Invalid(_) => format!("invalid answer ({m})"),
        RegistryError::Transport(_) | RegistryError::Other(_) => m.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_hints_replace_the_generic_ones() {
        let failure = Failure::Registry(RegistryError::Unauthorized(
            "no credentials\nhint: set TOKEN\nhint: or X\u{1b}[31m".into(),
        ));
        assert_eq!(failure.message(), "unauthorized (no credentials)");
        let error = failure.into_error("r/app", "r");
        assert_eq!(error.message, "r/app: unauthorized (no credentials)");
        assert_eq!(error.hints, ["set TOKEN", "or X\\u{1b}[31m"]);
        let plain =
            Failure::Registry(RegistryError::Unauthorized("no".into())).into_error("r/app", "r");
        assert!(plain.hints[0].contains("docker login r"));
    }

    #[test]
    fn hints_are_capped_in_number_and_length() {
        let flood = format!("no\n{}", "hint: x\n".repeat(50_000));
        let long = format!("no\nhint: {}", "y".repeat(10_000));
        let failure = Failure::Registry(RegistryError::Other(flood + &long));
        let error = failure.into_error("r/app", "r");
        assert_eq!(error.hints.len(), MAX_HINTS);
        let failure = Failure::Registry(RegistryError::Other(long));
        let error = failure.into_error("r/app", "r");
        assert_eq!(error.hints[0].chars().count(), HINT_CHARS + 1);
    }

    #[test]
    fn an_untrusted_certificate_points_at_ca_file() {
        let error = Failure::Registry(RegistryError::Transport(
            "cannot connect: invalid peer certificate: UnknownIssuer".into(),
        ))
        .into_error("r/app", "r");
        assert!(error.hints[0].contains("--ca-file"), "{:?}", error.hints);
        assert!(error.hints[1].contains("--insecure"), "{:?}", error.hints);
    }
}
