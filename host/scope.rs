//! What `repos ls` and `plan` take: a registry, optionally narrowed to a
//! path prefix (an organisation, project or group), or an OCI layout, and
//! the repositories it holds.

use crate::context::Context;
use crate::error::Result;
use crate::model::Capability;
use crate::reference::parse_scope;
use crate::target::Target;

/// The repositories of a scope, as `REPO` addresses.
pub struct Listing {
    pub repositories: Vec<String>,
}

/// Parses `REGISTRY[/PREFIX]` or `oci:DIR` (exit 2 when it is neither).
pub fn parse(text: &str, plain_http: bool) -> Result<Target> {
    Ok(Target::new(&parse_scope(text)?, plain_http))
}

/// Every repository of `scope`, across all pages, sorted. A layout holds
/// one repository, itself, once it answers as one.
pub async fn repositories(ctx: &Context, scope: &Target) -> Result<Listing> {
    if let Target::Layout { .. } = scope {
        let provider = ctx.provider(scope, &[Capability::ListTags], true).await?;
        let canonical = scope.canonical();
        provider
            .list_tags(None)
            .await
            .map_err(|f| f.into_error(&canonical, ""))?;
        return Ok(Listing {
            repositories: vec![canonical],
        });
    }
    let provider = ctx
        .provider(scope, &[Capability::ListRepositories], true)
        .await?;
    let registry = scope.registry();
    let label = display(scope);
    let mut repositories: Vec<String> = provider
        .all_repositories(&label, registry)
        .await?
        .into_iter()
        .map(|path| format!("{registry}/{path}"))
        .collect();
    repositories.sort();
    Ok(Listing { repositories })
}

/// `registry` or `registry/prefix`, for messages.
pub fn display(scope: &Target) -> String {
    match scope.repository() {
        prefix if prefix.is_empty() || matches!(scope, Target::Layout { .. }) => {
            scope.canonical().trim_end_matches('/').to_string()
        }
        prefix => format!("{}/{prefix}", scope.registry()),
    }
}
