//! AWS credentials from the shared credentials file (`~/.aws/credentials`,
//! or `AWS_SHARED_CREDENTIALS_FILE`), profile `AWS_PROFILE` or `default`.
//! Handed only to a plugin whose catalog entry grants `AWS_ACCESS_KEY_ID`,
//! and only when the environment does not set it.

use std::collections::HashMap;
use std::path::PathBuf;

/// Fills `env` with `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN` from the profile, when the file has it. `var` reads
/// the process environment (a parameter so tests need not change it).
pub fn supply(env: &mut HashMap<String, String>, var: impl Fn(&str) -> Option<String>) {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let named = var("AWS_PROFILE");
    let profile = named.clone().unwrap_or_else(|| "default".into());
    let Some(path) = var("AWS_SHARED_CREDENTIALS_FILE")
        .map(|p| expand_home(&p))
        .or_else(|| dirs::home_dir().map(|h| h.join(".aws").join("credentials")))
    else {
        return;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            if named.is_some() || path.exists() {
                crate::log::warn(&format!(
                    "cannot read AWS credentials from {}: {e}",
                    path.display()
                ));
            }
            return;
        }
    };
    let Some(keys) = profile_keys(&text, &profile) else {
        if named.is_some() {
            crate::log::warn(&format!(
                "AWS profile {profile:?} is not in {}",
                path.display()
            ));
        }
        return;
    };
    let (Some(id), Some(secret)) = (
        keys.get("aws_access_key_id"),
        keys.get("aws_secret_access_key"),
    ) else {
        crate::log::warn(&format!(
            "AWS profile {profile:?} in {} has no aws_access_key_id and aws_secret_access_key \
             (other credential sources are not supported)",
            path.display()
        ));
        return;
    };
    crate::log::debug(&format!(
        "AWS credentials from profile {profile:?} in {}",
        path.display()
    ));
    env.insert("AWS_ACCESS_KEY_ID".into(), id.clone());
    env.insert("AWS_SECRET_ACCESS_KEY".into(), secret.clone());
    match keys.get("aws_session_token") {
        Some(token) => env.insert("AWS_SESSION_TOKEN".into(), token.clone()),
        // A token from the environment belongs to other keys.
        None => env.remove("AWS_SESSION_TOKEN"),
    };
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// The keys (lower case) of section `[profile]` of an INI text, as the AWS
/// tools read it: `#` and `;` start comment lines (never inline: secrets may
/// contain them), `key = value` or `key: value` pairs, and indented lines
/// continue a nested value (skipped). A repeated section adds to the first;
/// a later key wins.
pub fn profile_keys(text: &str, profile: &str) -> Option<HashMap<String, String>> {
    let mut found: Option<HashMap<String, String>> = None;
    let mut inside = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[') {
            let name = section.split(']').next().unwrap_or("").trim();
            inside = name == profile;
            if inside && found.is_none() {
                found = Some(HashMap::new());
            }
            continue;
        }
        // Continuation lines of a nested value.
        if raw.starts_with([' ', '\t']) {
            continue;
        }
        if !inside {
            continue;
        }
        let Some(i) = line.find(['=', ':']) else {
            continue;
        };
        let (key, value) = (line[..i].trim(), line[i + 1..].trim());
        if let Some(keys) = found.as_mut() {
            keys.insert(key.to_ascii_lowercase(), value.to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# shared credentials
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key=secret/with+chars#and=more

[ci]
; a comment
AWS_ACCESS_KEY_ID = AKIDCI
aws_secret_access_key: ci-secret ; not a comment
aws_session_token = token==
s3 =
  max_concurrent_requests = 20
region = eu-west-1

[empty]
";

    #[test]
    fn default_and_named_profiles() {
        let default = profile_keys(FILE, "default").unwrap();
        assert_eq!(default["aws_access_key_id"], "AKIDDEFAULT");
        assert_eq!(
            default["aws_secret_access_key"],
            "secret/with+chars#and=more"
        );
        let ci = profile_keys(FILE, "ci").unwrap();
        assert_eq!(ci["aws_access_key_id"], "AKIDCI");
        assert_eq!(ci["aws_session_token"], "token==");
        assert_eq!(ci["region"], "eu-west-1");
        assert!(!ci.contains_key("max_concurrent_requests"));
        assert!(profile_keys(FILE, "empty").unwrap().is_empty());
        assert!(profile_keys(FILE, "missing").is_none());
        // `[profile ci]` is the config file's form, not the credentials file's.
        assert!(profile_keys("[profile ci]\naws_access_key_id = x\n", "ci").is_none());
    }

    fn supplied(
        text: &str,
        vars: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> HashMap<String, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, text).unwrap();
        let path = path.display().to_string();
        let mut vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        vars.insert("AWS_SHARED_CREDENTIALS_FILE".into(), path);
        let mut out = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        supply(&mut out, |name| vars.get(name).cloned());
        out
    }

    #[test]
    fn supplies_the_selected_profile() {
        let env = supplied(FILE, &[("AWS_PROFILE", "ci")], &[]);
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIDCI");
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "ci-secret ; not a comment");
        assert_eq!(env["AWS_SESSION_TOKEN"], "token==");
        let env = supplied(FILE, &[], &[("AWS_SESSION_TOKEN", "stale")]);
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIDDEFAULT");
        assert!(!env.contains_key("AWS_SESSION_TOKEN"));
        let env = supplied(FILE, &[("AWS_PROFILE", "nope")], &[]);
        assert!(env.is_empty());
        let env = supplied(FILE, &[("AWS_PROFILE", "empty")], &[]);
        assert!(env.is_empty());
    }
}
