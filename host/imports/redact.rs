//! Text a plugin hands the host (log lines, error messages, a panic) is
//! shown to the operator: every secret the plugin could know replaced,
//! control characters escaped, and cut to a sane length.

use super::HostContext;
use crate::auth::Credential;

/// Longest plugin-supplied text shown.
const MAX_CHARS: usize = 1000;
/// Shorter values would blank out ordinary words.
const MIN_SECRET: usize = 6;

impl HostContext {
    pub fn redact(&self, text: &str) -> String {
        let secrets: Vec<String> = self
            .secrets()
            .into_iter()
            .filter(|s| s.len() >= MIN_SECRET)
            .collect();
        // Enough of the text that a secret starting before the cut is
        // whole, so no part of one survives the cut.
        let longest = secrets.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        let mut kept: String = text.chars().take(MAX_CHARS + longest + 1).collect();
        for secret in &secrets {
            kept = kept.replace(secret.as_str(), "<redacted>");
        }
        crate::text::clean(&kept, MAX_CHARS)
    }

    fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self.secret_values.clone();
        match self.registry_credential() {
            Some(Credential::Basic { password, .. }) => secrets.push(password),
            Some(Credential::IdentityToken { token, .. }) => secrets.push(token),
            None => {}
        }
        secrets
    }
}
