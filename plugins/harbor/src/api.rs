//! Harbor's API v2.0: the artifact list and the tag delete.

use base64::Engine as _;
use berth_sdk::http::{Request, Response};
use berth_sdk::log::{Level, log};
use berth_sdk::{Error, Result, Tag, TagPage, Target, config};
use serde::Deserialize;

/// Artifacts a page; Harbor allows at most 100.
const PAGE_SIZE: u32 = 100;

/// What to do when Harbor refuses the credentials (a hint line).
const LOGIN: &str = "Harbor's API takes the docker login of the registry (`docker login HOST` \
as a user or a robot account `robot$name`); check --docker-config";

#[derive(Deserialize)]
struct Artifact {
    digest: String,
    #[serde(default)]
    push_time: Option<String>,
    #[serde(default)]
    tags: Option<Vec<ArtifactTag>>,
}

#[derive(Deserialize)]
struct ArtifactTag {
    name: String,
    #[serde(default)]
    push_time: Option<String>,
}

/// `/api/v2.0/projects/<p>/repositories/<r>` for a repository path.
fn repository_url(target: &Target) -> Result<String> {
    let (project, repository) = target.repository.split_once('/').ok_or_else(|| {
        Error::Invalid(format!(
            "Harbor repositories are PROJECT/REPOSITORY; {:?} names no project",
            target.repository
        ))
    })?;
    Ok(format!(
        "{}/api/v2.0/projects/{project}/repositories/{}",
        target.base_url,
        encode_twice(repository)
    ))
}

/// Harbor's encoding of a repository name in a path: `/` as `%252F` (and
/// `%` as `%2525`, though Harbor's names never hold one).
fn encode_twice(repository: &str) -> String {
    repository.replace('%', "%2525").replace('/', "%252F")
}

/// The request with Basic credentials when the operator has some for the
/// registry; anonymous otherwise (public projects are readable).
fn authorized(request: Request) -> Request {
    match config::registry_credential() {
        Some(c) if !c.identity_token => {
            let pair = format!("{}:{}", c.username, c.secret);
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            request.header("authorization", format!("Basic {encoded}"))
        }
        Some(_) => {
            log(
                Level::Info,
                "the docker credential for this registry is an identity token, which Harbor's API \
                 does not take; calling it anonymously",
            );
            request
        }
        None => request,
    }
}

/// One page of artifacts, flattened into their tags.
pub fn list_tags(target: &Target, page: u32) -> Result<TagPage> {
    let url = format!(
        "{}/artifacts?with_tag=true&page={page}&page_size={PAGE_SIZE}",
        repository_url(target)?
    );
    let response = authorized(Request::get(&url).header("accept", "application/json")).send()?;
    if !(200..300).contains(&response.status) {
        return Err(refusal("GET", &response));
    }
    let artifacts: Vec<Artifact> = response.json()?;
    let listed = artifacts.len();
    let mut tags = Vec::new();
    for artifact in artifacts {
        let digest = berth_sdk::is_digest(&artifact.digest).then_some(artifact.digest);
        let pushed = artifact.push_time.as_deref().and_then(rfc3339);
        for tag in artifact.tags.unwrap_or_default() {
            tags.push(Tag {
                digest: digest.clone(),
                created: pushed
                    .clone()
                    .or_else(|| tag.push_time.as_deref().and_then(rfc3339)),
                name: tag.name,
            });
        }
    }
    let more = listed > 0 && (links_next(&response) || total_beyond(&response, page));
    Ok(TagPage {
        tags,
        next: more.then(|| (page + 1).to_string()),
    })
}

/// `DELETE .../artifacts/<reference>/tags/<tag>`: 200 when it is gone.
pub fn delete_tag(target: &Target, reference: &str, tag: &str) -> Result<()> {
    let url = format!(
        "{}/artifacts/{reference}/tags/{tag}",
        repository_url(target)?
    );
    let response = authorized(Request::delete(&url).header("accept", "application/json")).send()?;
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        Err(refusal("DELETE", &response))
    }
}

/// Whether a `Link` header names a next page.
fn links_next(response: &Response) -> bool {
    response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("link"))
        .any(|(_, value)| {
            value.split(',').any(|link| {
                link.split(';').skip(1).any(|param| {
                    let Some((key, value)) = param.split_once('=') else {
                        return false;
                    };
                    key.trim().eq_ignore_ascii_case("rel")
                        && value
                            .trim()
                            .trim_matches('"')
                            .split_ascii_whitespace()
                            .any(|rel| rel.eq_ignore_ascii_case("next"))
                })
            })
        })
}

/// Whether `X-Total-Count` counts more artifacts than the pages so far.
fn total_beyond(response: &Response, page: u32) -> bool {
    response
        .header("x-total-count")
        .and_then(|t| t.trim().parse::<u64>().ok())
        .is_some_and(|total| total > u64::from(page) * u64::from(PAGE_SIZE))
}

/// An error answer, quoting Harbor's `errors`.
fn refusal(method: &str, response: &Response) -> Error {
    let what = format!("{method} {}", path_of(&response.url));
    let said = said(&response.body);
    let message = if said.is_empty() {
        format!("{what}: HTTP {}", response.status)
    } else {
        format!("{what}: HTTP {}: {said}", response.status)
    };
    match response.status {
        401 => Error::Unauthorized(format!("{message}\nhint: {LOGIN}")),
        403 => Error::Forbidden(format!(
            "{message}\nhint: the account needs a project role (or a robot permission) that \
             allows this"
        )),
        // Harbor refuses to change an immutable tag.
        412 => Error::Forbidden(message),
        status => match berth_sdk::from_status(status, response.retry_after(), &[]) {
            Error::NotFound(_) => Error::NotFound(message),
            Error::RateLimited(mut limit) => {
                limit.message = message;
                Error::RateLimited(limit)
            }
            Error::Unsupported(_) => Error::Unsupported(message),
            Error::Invalid(_) => Error::Invalid(message),
            _ => Error::Other(message),
        },
    }
}

/// `CODE: message` of Harbor's `{"errors": [...]}`, else the body's text.
fn said(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    let text = match serde_json::from_slice::<Errors>(body) {
        Ok(e) => e
            .errors
            .into_iter()
            .map(|e| match (e.code, e.message) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (c, m) => c.or(m).unwrap_or_default(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    text.trim().chars().take(300).collect()
}

/// A time Harbor wrote, when it is RFC 3339 and not Go's zero time.
fn rfc3339(text: &str) -> Option<String> {
    let text = text.trim();
    (berth_sdk::time::is_rfc3339(text) && !text.starts_with("0001-")).then(|| text.to_string())
}

/// Path and query of a URL, for messages.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/", |i| &rest[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_are_encoded_twice() {
        assert_eq!(encode_twice("a/b"), "a%252Fb");
        assert_eq!(encode_twice("app"), "app");
        let target = Target {
            registry: "harbor.example".into(),
            repository: "library/team/app".into(),
            base_url: "https://harbor.example".into(),
        };
        assert_eq!(
            repository_url(&target).unwrap(),
            "https://harbor.example/api/v2.0/projects/library/repositories/team%252Fapp"
        );
        let bare = Target {
            repository: "app".into(),
            ..target
        };
        assert!(matches!(repository_url(&bare), Err(Error::Invalid(_))));
    }

    #[test]
    fn times() {
        assert_eq!(
            rfc3339("2023-08-02T06:54:54.380Z").as_deref(),
            Some("2023-08-02T06:54:54.380Z")
        );
        assert_eq!(rfc3339("0001-01-01T00:00:00.000Z"), None);
        assert_eq!(rfc3339("yesterday"), None);
    }

    #[test]
    fn quotes_harbor() {
        let body = br#"{"errors":[{"code":"NOT_FOUND","message":"artifact not found"}]}"#;
        assert_eq!(said(body), "NOT_FOUND: artifact not found");
        assert_eq!(
            said(b"<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }
}
