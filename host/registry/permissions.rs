//! What the operator's credential may do on a repository, learned without
//! writing: a registry with a token service is asked for
//! `repository:<name>:pull,push,delete` and the token it returns says what
//! it granted; elsewhere a tag listing tells whether reading works, and
//! only a write would tell the rest.

use super::Repo;
use crate::auth::{AuthKind, claims};
use crate::model::{Access, Permissions, RegistryError};
use crate::net::Request;
use reqwest::Method;

impl Repo {
    pub async fn permissions(&self) -> Result<Permissions, RegistryError> {
        // Sent with the credential, so the registry's challenge teaches the
        // authentication its scheme (and a refused credential shows here).
        let mut base = self.base.clone();
        base.set_path("/v2/");
        let answer = self.send(Request::new(Method::GET, base)).await?;
        if answer.status == 401 {
            return Err(RegistryError::from_response("GET /v2/", &answer));
        }
        match self.auth.kind() {
            AuthKind::Bearer => self.by_token().await,
            AuthKind::Basic => Ok(self
                .by_listing("the registry takes Basic credentials")
                .await),
            AuthKind::Unchallenged => Ok(self
                .by_listing("the registry asked for no credentials")
                .await),
        }
    }

    /// What the token service grants when asked for everything.
    async fn by_token(&self) -> Result<Permissions, RegistryError> {
        let scope = format!("repository:{}:pull,push,delete", self.name);
        let token = self.auth.fresh_token(&self.client, &scope).await?;
        let Some(actions) = token.and_then(|t| claims::repository_actions(&t, &self.name)) else {
            return Ok(self
                .by_listing("the token service's tokens do not say what they grant")
                .await);
        };
        let granted = |action: &str| {
            if actions.iter().any(|a| a == action || a == "*") {
                Access::Yes
            } else {
                Access::No
            }
        };
        let shown = if actions.is_empty() {
            "nothing".to_string()
        } else {
            actions.join(",")
        };
        let mut permissions = Permissions {
            list: granted("pull"),
            push: granted("push"),
            delete: granted("delete"),
            credential_source: None,
            notes: vec![format!(
                "the token service granted {shown} on repository {} when asked for pull,push,delete",
                self.name
            )],
            hints: Vec::new(),
        };
        let who = if self.auth.credential().is_some() {
            "this credential"
        } else {
            "anonymous access (no credential was found)"
        };
        for (access, action) in [
            (permissions.list, "pull"),
            (permissions.push, "push"),
            (permissions.delete, "delete"),
        ] {
            if access == Access::No {
                permissions.hints.push(format!(
                    "{who} lacks `{action}` on repository:{}: have the registry's administrator grant it, or log in as an account that has it (`berth login {}`)",
                    self.name,
                    self.auth.host()
                ));
            }
        }
        Ok(permissions)
    }

    /// Reading tried with one tag listing; writing left unknown.
    async fn by_listing(&self, why: &str) -> Permissions {
        let mut url = self.url("tags/list");
        url.set_query(Some("n=1"));
        let (list, said) = match self.send(Request::new(Method::GET, url)).await {
            Ok(r) if r.is_success() => (Access::Yes, "a tag listing succeeded".to_string()),
            Ok(r) if r.status == 404 => (
                Access::Unknown,
                format!(
                    "the registry says repository {} does not exist (HTTP 404)",
                    self.name
                ),
            ),
            Ok(r) if matches!(r.status, 401 | 403) => (
                Access::No,
                format!("a tag listing was refused (HTTP {})", r.status),
            ),
            Ok(r) => (
                Access::Unknown,
                format!("a tag listing answered HTTP {}", r.status),
            ),
            Err(e) => (Access::Unknown, format!("a tag listing failed: {e}")),
        };
        let mut hints = Vec::new();
        if list == Access::No {
            hints.push(format!(
                "the credential may not read {}: log in as an account that may (`berth login {}`)",
                self.name,
                self.auth.host()
            ));
        }
        Permissions {
            list,
            push: Access::Unknown,
            delete: Access::Unknown,
            credential_source: None,
            notes: vec![
                said,
                format!("{why}: only a write would tell whether pushing and deleting are allowed"),
            ],
            hints,
        }
    }
}
