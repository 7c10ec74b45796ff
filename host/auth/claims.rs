//! What a registry's bearer token grants, read from its `access` claim.
//!
//! Docker token services issue JWTs whose payload lists, per resource, the
//! actions granted: `{"access":[{"type":"repository","name":"app",
//! "actions":["pull","push"]}]}`. berth only reports what a token says, so
//! the signature is not checked: the registry checks it on every request.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// Largest token whose payload is read: real ones are a few kilobytes.
const MAX_TOKEN: usize = 64 * 1024;

/// The actions a token grants on repository `name`: `None` when the token is
/// not a JWT with an `access` claim (an opaque token says nothing), an empty
/// list when it grants nothing there. `*` is returned as is.
pub fn repository_actions(token: &str, name: &str) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct Claims {
        access: Option<Vec<Access>>,
    }
    #[derive(Deserialize)]
    struct Access {
        #[serde(rename = "type")]
        kind: String,
        name: String,
        #[serde(default)]
        actions: Vec<String>,
    }
    let claims: Claims = serde_json::from_slice(&payload(token)?).ok()?;
    let mut actions: Vec<String> = claims
        .access?
        .into_iter()
        .filter(|a| a.kind == "repository" && a.name == name)
        .flat_map(|a| a.actions)
        .collect();
    actions.sort();
    actions.dedup();
    Some(actions)
}

/// The decoded middle part of a JWT.
fn payload(token: &str) -> Option<Vec<u8>> {
    if token.len() > MAX_TOKEN {
        return None;
    }
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    // Some issuers pad; the URL-safe alphabet is the JWT's.
    URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwt(claims: serde_json::Value) -> String {
        let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.c2lnbmF0dXJl",
            part(json!({"alg": "RS256", "typ": "JWT"})),
            part(claims)
        )
    }

    #[test]
    fn reads_the_actions_granted_on_one_repository() {
        let token = jwt(json!({"access": [
            {"type": "repository", "name": "other", "actions": ["delete"]},
            {"type": "repository", "name": "team/app", "actions": ["pull", "push"]},
            {"type": "registry", "name": "catalog", "actions": ["*"]},
        ]}));
        assert_eq!(
            repository_actions(&token, "team/app"),
            Some(vec!["pull".to_string(), "push".to_string()])
        );
        assert_eq!(repository_actions(&token, "team"), Some(Vec::new()));
    }

    #[test]
    fn a_token_without_access_says_nothing() {
        assert_eq!(repository_actions(&jwt(json!({"sub": "alice"})), "a"), None);
        assert_eq!(repository_actions("fake-token-7", "a"), None);
        assert_eq!(repository_actions("a.b.c.d", "a"), None);
        assert_eq!(repository_actions("a.!!!.c", "a"), None);
        // No access granted at all: an empty claim, or none for the name.
        assert_eq!(
            repository_actions(&jwt(json!({"access": []})), "a"),
            Some(Vec::new())
        );
    }
}
