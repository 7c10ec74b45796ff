//! What the GitHub token may do with the package, learned without writing:
//! a classic token's scopes come back in `X-OAuth-Scopes` on every API
//! answer (`read:packages`, `write:packages`, `delete:packages`);
//! fine-grained and installation tokens (`GITHUB_TOKEN`) say nothing there,
//! so reading is tried with one versions page and the rest stays unknown.

use crate::api::{Api, TOKEN_HINT};
use crate::package;
use berth_sdk::http::Method;
use berth_sdk::{Access, Error, Permissions, Result, Target, oci};

pub fn check(target: &Target) -> Result<Permissions> {
    let Some(api) = Api::new() else {
        return without_token();
    };
    crate::registry_login(&api)?;
    let response = api.send(Method::Get, &format!("{}/user", api.base))?;
    if response.status == 401 {
        return Err(api.error("GET /user", &response));
    }
    let source = Some(format!("GitHub token from {}", api.token.source));
    let Some(header) = response.header("x-oauth-scopes") else {
        return Ok(unscoped(&api, target, source));
    };
    let scopes: Vec<&str> = header
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let has = |scope: &str| scopes.contains(&scope);
    let read = has("read:packages") || has("write:packages");
    let write = has("write:packages");
    let delete = has("delete:packages");
    let mut hints = Vec::new();
    let mut missing = |granted: bool, scope: &str, what: &str| {
        if granted {
            Access::Yes
        } else {
            hints.push(format!(
                "the token lacks `{scope}`, which {what}: add it to the classic token, or use one that has it"
            ));
            Access::No
        }
    };
    let list = missing(read, "read:packages", "listing package versions needs");
    let push = missing(write, "write:packages", "pushing needs");
    let delete = missing(delete, "delete:packages", "deleting package versions needs");
    Ok(Permissions {
        list,
        push,
        delete,
        credential_source: source,
        notes: vec![
            format!(
                "GitHub says the classic token has the scopes: {}",
                if scopes.is_empty() { "none".to_string() } else { scopes.join(", ") }
            ),
            "deleting also needs the admin role on the package; removing one of several tags of a version moves it to a throwaway first, which needs write:packages".to_string(),
        ],
        hints,
    })
}

/// A token without scopes in the header: a fine-grained or installation
/// token, whose package permissions the API does not show.
fn unscoped(api: &Api, target: &Target, source: Option<String>) -> Permissions {
    let (list, said) = match package::locate(api, target)
        .and_then(|p| package::page(api, &p, &package::first_page(&p)))
    {
        Ok(_) => (
            Access::Yes,
            "a page of package versions was read".to_string(),
        ),
        Err(Error::Forbidden(m)) | Err(Error::Unauthorized(m)) => (Access::No, m),
        Err(e) => (Access::Unknown, e.message().to_string()),
    };
    let mut hints = Vec::new();
    if list == Access::No {
        hints.push(TOKEN_HINT.to_string());
    }
    Permissions {
        list,
        push: Access::Unknown,
        delete: Access::Unknown,
        credential_source: source,
        notes: vec![
            said,
            "the token shows no scopes (a fine-grained token, or GITHUB_TOKEN): only a write would tell whether it may push or delete".to_string(),
            "GITHUB_TOKEN may push and delete when the workflow grants `packages: write` and the package gives the repository's Actions the admin role".to_string(),
        ],
        hints,
    }
}

/// No token: the registry's token service tells about reading; removal goes
/// through the REST API, which needs one.
fn without_token() -> Result<Permissions> {
    let mut permissions = oci::check_permissions()?;
    permissions.delete = Access::No;
    permissions.hints.push(format!(
        "removing tags goes through the GitHub Packages API, which needs a token: {TOKEN_HINT}"
    ));
    Ok(permissions)
}
