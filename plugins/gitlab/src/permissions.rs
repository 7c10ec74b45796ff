//! What the credentials may do, learned without writing: the registry's
//! token service says what the docker login may do there, and an access
//! token of the API describes its own scopes
//! (`GET /personal_access_tokens/self`). A job token describes nothing, and
//! GitLab does not let it delete registry tags through the API.

use crate::api::{Api, TOKEN_HINT, Token};
use berth_sdk::{Access, Permissions, Result, Target, config, oci};

pub fn check(target: &Target) -> Result<Permissions> {
    let mut permissions = oci::check_permissions().unwrap_or_else(|e| Permissions {
        list: Access::Unknown,
        push: Access::Unknown,
        delete: Access::Unknown,
        credential_source: None,
        notes: vec![format!(
            "the registry's token service did not say: {}",
            e.message()
        )],
        hints: Vec::new(),
    });
    let Some(api) = Api::from_config(target) else {
        permissions.notes.push(
            "no GitLab API is configured (--opt api-url=..., or CI_API_V4_URL): a registry that takes no tag delete cannot have tags removed".into(),
        );
        return Ok(permissions);
    };
    match &api.token {
        Token::Private(token) => {
            let scopes = api.token_scopes()?;
            let has = |s: &str| scopes.iter().any(|x| x == s);
            let registry = permissions.clone();
            // Tags go by the registry's own delete first, with the docker
            // login; it may be the same token.
            let login_is_token = config::registry_credential().is_none_or(|c| c.secret == *token);
            permissions.credential_source = Some("the access token of option token".into());
            permissions.hints.clear();
            permissions.notes.push(format!(
                "GitLab says the access token has the scopes: {}",
                if scopes.is_empty() {
                    "none".to_string()
                } else {
                    scopes.join(", ")
                }
            ));
            permissions.notes.push(
                "GitLab also wants at least the Developer role on the project to push and delete; only trying would tell".into(),
            );
            let mut hints = Vec::new();
            let mut decide = |known: Access, granted: bool, scope: &str, what: &str| {
                let answer = match known {
                    Access::Unknown if granted => Access::Yes,
                    Access::Unknown if login_is_token => Access::No,
                    Access::Unknown => Access::Unknown,
                    known => known,
                };
                if answer == Access::No {
                    hints.push(format!(
                        "the access token lacks the `{scope}` scope, which {what}; create one with it ({TOKEN_HINT})"
                    ));
                }
                answer
            };
            permissions.list = decide(
                registry.list,
                has("api") || has("read_api") || has("read_registry") || has("write_registry"),
                "read_registry",
                "reading the registry needs",
            );
            permissions.push = decide(
                registry.push,
                has("api") || has("write_registry"),
                "write_registry",
                "pushing needs",
            );
            let by_registry = match registry.delete {
                Access::Yes => Access::Yes,
                _ if has("api") => Access::Yes,
                other => other,
            };
            permissions.delete = decide(
                by_registry,
                has("api"),
                "api",
                "deleting tags through the API needs",
            );
            permissions.hints = hints;
        }
        Token::Job(_) => {
            permissions.credential_source = Some("CI_JOB_TOKEN".into());
            permissions.delete = Access::No;
            permissions.hints.push(format!(
                "CI_JOB_TOKEN may not delete registry tags through the API: {TOKEN_HINT}"
            ));
        }
        Token::None => {
            if permissions.delete != Access::Yes {
                permissions.delete = Access::Unknown;
            }
            permissions.notes.push(
                "no API token: a registry that takes no tag delete leaves removal to the API, which needs one".into(),
            );
        }
    }
    Ok(permissions)
}
