//! What the Docker Hub credential may do, learned without writing. The
//! registry's token service says what it grants for pulling and pushing;
//! the Hub's tag delete is an API of its own, and an access token's
//! permission travels in the `scope` claim of the Hub token it is exchanged
//! for: `repo:public_read`, `repo:read`, `repo:write`, or `repo:admin`
//! (Read, Write, Delete), which deleting needs.

use crate::Repo;
use crate::hub;
use crate::login::{self, CREDENTIALS_HINT, Kind};
use berth_sdk::{Access, Permissions, Result, oci};

pub fn check(repo: &Repo) -> Result<Permissions> {
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
    let Some(login) = login::find(repo)? else {
        permissions.delete = Access::No;
        permissions.hints.push(format!(
            "removing tags goes through the Hub API, which needs credentials: {CREDENTIALS_HINT}"
        ));
        return Ok(permissions);
    };
    if login.explicit {
        permissions.credential_source = Some(format!("{} ({})", login.source, login.identifier));
    }
    let claims = hub::token_claims(&login)?;
    let scope = claims
        .as_ref()
        .and_then(|c| c.get("scope"))
        .and_then(|s| s.as_str())
        .map(String::from);
    match (login.kind, scope) {
        (Kind::AccessToken, Some(scope)) => {
            let scopes: Vec<&str> = scope.split_whitespace().collect();
            let has = |s: &str| scopes.contains(&s);
            permissions.notes.push(format!(
                "Docker Hub says the access token of {} has the scope {scope}",
                login.identifier
            ));
            permissions.hints.clear();
            permissions.list = Access::Yes;
            permissions.push = if has("repo:write") || has("repo:admin") {
                Access::Yes
            } else {
                permissions.hints.push(
                    "the access token may not push: create one with the \"Read & Write\" permission (or \"Read, Write, Delete\")".into(),
                );
                Access::No
            };
            permissions.delete = if has("repo:admin") {
                Access::Yes
            } else {
                permissions.hints.push(format!(
                    "the access token may not delete tags: the Hub takes tag deletes only from a personal access token with the \"Read, Write, Delete\" permission (an organisation token: a scope that deletes images), or from the account's password; {CREDENTIALS_HINT}"
                ));
                Access::No
            };
        }
        (Kind::AccessToken, None) => {
            permissions.delete = Access::Unknown;
            permissions.notes.push(
                "the Hub's token does not say the access token's permission: only a delete would tell".into(),
            );
        }
        (Kind::Password, _) => {
            if permissions.delete != Access::Yes {
                permissions.delete = Access::Unknown;
            }
            permissions.notes.push(format!(
                "{} logs in with a password: the Hub deletes tags for an account with admin rights on {}, which only a delete would tell",
                login.identifier,
                repo.shown()
            ));
        }
    }
    Ok(permissions)
}
