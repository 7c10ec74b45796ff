//! Text a plugin hands the host (log lines, error messages, a panic) is
//! shown to the operator: every secret the plugin could know replaced,
//! control characters escaped, and cut to a sane length.

use super::HostContext;

/// Longest plugin-supplied text shown.
const MAX_CHARS: usize = 1000;
/// Shorter values would blank out ordinary words.
const MIN_SECRET: usize = 6;

impl HostContext {
    pub fn redact(&self, text: &str) -> String {
        self.redact_to(text, MAX_CHARS)
    }

    /// `text` without secrets, control characters escaped, and cut to `max`
    /// characters after the secrets are out, so no part of one survives.
    pub fn redact_to(&self, text: &str, max: usize) -> String {
        let secrets: Vec<String> = self
            .secrets()
            .into_iter()
            .filter(|s| s.len() >= MIN_SECRET)
            .collect();
        // Enough of the text that a secret starting before the cut is
        // whole, so no part of one survives the cut.
        let longest = secrets.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        let mut kept: String = text.chars().take(max + longest + 1).collect();
        for secret in &secrets {
            kept = kept.replace(secret.as_str(), "<redacted>");
        }
        crate::text::clean(&kept, max)
    }

    /// What the plugin was given, and the credential it may have handed
    /// the host in place of the operator's (also in `secret_values`).
    fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self.secret_values.clone();
        secrets.extend(self.registry_credential().map(|c| c.secret().to_string()));
        secrets
    }
}
