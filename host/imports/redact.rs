//! Text a plugin hands the host (log lines, error messages) is shown to the
//! operator: cut to a sane length, stripped of terminal control characters,
//! and with every secret the plugin was given replaced.

use super::HostContext;
use crate::auth::Credential;

/// Longest plugin-supplied text shown.
const MAX_CHARS: usize = 1000;

impl HostContext {
    pub fn redact(&self, text: &str) -> String {
        let mut clean: String = text
            .chars()
            .take(MAX_CHARS)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if text.chars().nth(MAX_CHARS).is_some() {
            clean.push('…');
        }
        for secret in self.secrets() {
            // Short values would blank out ordinary words.
            if secret.len() >= 6 {
                clean = clean.replace(&secret, "<redacted>");
            }
        }
        clean
    }

    fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self.secret_values.clone();
        match self.auth.as_ref().and_then(|a| a.credential()) {
            Some(Credential::Basic { password, .. }) => secrets.push(password),
            Some(Credential::IdentityToken { token, .. }) => secrets.push(token),
            None => {}
        }
        secrets
    }
}
