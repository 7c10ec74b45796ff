//! The Docker Hub API: a short-lived bearer token from `POST /v2/auth/token`,
//! a namespace's repositories, the tag listing, and the tag delete.

use crate::Repo;
use crate::login::{self, CREDENTIALS_HINT, Kind, Login};
use berth_sdk::http::{Method, Request, Response, path_and_query};
use berth_sdk::time;
use berth_sdk::{Error, RateLimit, RepositoryPage, Result, Tag, TagPage, config};
use serde::Deserialize;
use std::cell::RefCell;

const DEFAULT_API: &str = "https://hub.docker.com";
/// The Hub's largest page.
const PAGE_SIZE: u32 = 100;
/// Access tokens live ten minutes; one is renewed after nine.
const TOKEN_LIFETIME: u64 = 9 * 60;

/// The API base URL, without trailing slash.
fn api() -> String {
    config::get_option("hub-api-url")
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_API.to_string())
        .trim_end_matches('/')
        .to_string()
}

struct Cached {
    /// API, identifier and secret the token was issued for.
    key: String,
    token: String,
    issued: u64,
}

thread_local! {
    static TOKEN: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

fn cache_key(api: &str, login: &Login) -> String {
    format!("{api}\n{}\n{}", login.identifier, login.secret)
}

/// A bearer token for `login`, reused while it is fresh.
fn access_token(api: &str, login: &Login) -> Result<String> {
    let key = cache_key(api, login);
    let cached = TOKEN.with(|t| {
        t.borrow()
            .as_ref()
            .filter(|c| c.key == key && time::now().saturating_sub(c.issued) < TOKEN_LIFETIME)
            .map(|c| c.token.clone())
    });
    if let Some(token) = cached {
        return Ok(token);
    }
    let url = format!("{api}/v2/auth/token");
    let response = Request::post(&url)
        .header("accept", "application/json")
        .json(&serde_json::json!({
            "identifier": login.identifier,
            "secret": login.secret,
        }))
        .send()?;
    match response.status {
        200..=299 => {}
        401 | 403 => {
            return Err(Error::Unauthorized(format!(
                "Docker Hub refused the credentials of {} from {} (POST /v2/auth/token: HTTP {}: {})\nhint: {CREDENTIALS_HINT}",
                login.identifier,
                login.source,
                response.status,
                said(&response)
            )));
        }
        _ => return Err(unexpected("POST /v2/auth/token", &response)),
    }
    #[derive(Deserialize)]
    struct Issued {
        access_token: Option<String>,
    }
    let token = response
        .json::<Issued>()?
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Invalid(format!("{url} answered without an access_token")))?;
    TOKEN.with(|t| {
        *t.borrow_mut() = Some(Cached {
            key,
            token: token.clone(),
            issued: time::now(),
        })
    });
    Ok(token)
}

/// The claims of the Hub's access token for `login`: its payload, read and
/// not verified (the Hub verifies it on every request). `None` when the
/// token is not a JWT.
pub fn token_claims(login: &Login) -> Result<Option<serde_json::Value>> {
    use base64::Engine as _;
    let token = access_token(&api(), login)?;
    let payload = token.split('.').nth(1).and_then(|p| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p.trim_end_matches('='))
            .ok()
    });
    Ok(payload.and_then(|p| serde_json::from_slice(&p).ok()))
}

fn forget_token() {
    TOKEN.with(|t| *t.borrow_mut() = None);
}

/// Sends a request to the API, with a bearer token when there is a login.
/// A token refused as expired is renewed once.
fn send(method: Method, url: &str, login: Option<&Login>, api: &str) -> Result<Response> {
    for attempt in 0..2 {
        let mut request = Request::new(method, url).header("accept", "application/json");
        if let Some(login) = login {
            request = request.bearer(&access_token(api, login)?);
        }
        let response = request.send()?;
        if response.status == 401 && login.is_some() && attempt == 0 {
            forget_token();
            continue;
        }
        return Ok(response);
    }
    unreachable!("the loop returns on its second pass")
}

#[derive(Deserialize)]
struct Page {
    next: Option<String>,
    #[serde(default)]
    results: Vec<HubTag>,
}

#[derive(Deserialize)]
struct HubTag {
    name: String,
    digest: Option<String>,
    last_updated: Option<String>,
    tag_last_pushed: Option<String>,
}

/// One page of `GET /v2/namespaces/<ns>/repositories/<repo>/tags`; the
/// cursor is the page's `next` link.
pub fn list_tags(repo: &Repo, cursor: Option<String>) -> Result<TagPage> {
    let api = api();
    let url = match cursor {
        Some(next) if next.starts_with(&format!("{api}/")) => next,
        Some(next) => return Err(Error::Invalid(format!("unexpected page cursor {next:?}"))),
        None => format!(
            "{api}/v2/namespaces/{}/repositories/{}/tags?page_size={PAGE_SIZE}&page=1",
            repo.namespace, repo.name
        ),
    };
    let login = login::find(repo)?;
    let response = send(Method::Get, &url, login.as_ref(), &api)?;
    let what = format!("listing the tags of {} on Docker Hub", repo.shown());
    match response.status {
        200..=299 => {}
        404 => {
            return Err(Error::NotFound(format!(
                "Docker Hub has no repository {} (HTTP 404: {})",
                repo.shown(),
                said(&response)
            )));
        }
        401 | 403 => return Err(refused(&what, &response, login.as_ref())),
        _ => return Err(unexpected(&what, &response)),
    }
    let page: Page = response.json()?;
    let tags = page
        .results
        .into_iter()
        .map(|t| Tag {
            digest: t.digest.filter(|d| berth_sdk::is_digest(d)),
            created: t
                .tag_last_pushed
                .filter(|c| time::is_rfc3339(c))
                .or(t.last_updated.filter(|c| time::is_rfc3339(c))),
            name: t.name,
        })
        .collect();
    Ok(TagPage {
        tags,
        next: page
            .next
            .filter(|n| !n.is_empty())
            .map(|n| rebase(&n, &api)),
    })
}

#[derive(Deserialize)]
struct RepositoriesPage {
    next: Option<String>,
    #[serde(default)]
    results: Vec<HubRepository>,
}

#[derive(Deserialize)]
struct HubRepository {
    name: String,
    namespace: String,
}

/// One page of `GET /v2/namespaces/<ns>/repositories`, those under
/// `prefix` (`ns` or `ns/name`); the cursor is the page's `next` link.
pub fn list_repositories(
    namespace: &str,
    prefix: &str,
    cursor: Option<String>,
) -> Result<RepositoryPage> {
    let api = api();
    let url = match cursor {
        Some(next) if next.starts_with(&format!("{api}/")) => next,
        Some(next) => return Err(Error::Invalid(format!("unexpected page cursor {next:?}"))),
        None => {
            format!("{api}/v2/namespaces/{namespace}/repositories?page_size={PAGE_SIZE}&page=1")
        }
    };
    let owner = Repo {
        namespace: namespace.to_string(),
        name: String::new(),
    };
    let login = login::find(&owner)?;
    let response = send(Method::Get, &url, login.as_ref(), &api)?;
    let what = format!("listing the repositories of {namespace} on Docker Hub");
    match response.status {
        200..=299 => {}
        404 => {
            return Err(Error::NotFound(format!(
                "Docker Hub has no namespace {namespace} (HTTP 404: {})",
                said(&response)
            )));
        }
        401 | 403 => return Err(refused(&what, &response, login.as_ref())),
        _ => return Err(unexpected(&what, &response)),
    }
    let page: RepositoriesPage = response.json()?;
    Ok(RepositoryPage {
        repositories: page
            .results
            .into_iter()
            .map(|r| format!("{}/{}", r.namespace, r.name))
            .filter(|r| berth_sdk::is_under(r, prefix))
            .collect(),
        next: page
            .next
            .filter(|n| !n.is_empty())
            .map(|n| rebase(&n, &api)),
    })
}

/// `DELETE /v2/repositories/<ns>/<repo>/tags/<tag>/`: the Hub untags, and
/// keeps the image while other tags or digests refer to it.
pub fn delete_tag(repo: &Repo, tag: &str) -> Result<()> {
    let api = api();
    let Some(login) = login::find(repo)? else {
        return Err(Error::Unauthorized(format!(
            "removing tags from Docker Hub needs credentials, and none were found\nhint: {CREDENTIALS_HINT}"
        )));
    };
    let url = format!(
        "{api}/v2/repositories/{}/{}/tags/{tag}/",
        repo.namespace, repo.name
    );
    let response = send(Method::Delete, &url, Some(&login), &api)?;
    let what = format!("removing tag {tag} from {} on Docker Hub", repo.shown());
    match response.status {
        200..=299 => Ok(()),
        404 => Err(Error::NotFound(format!(
            "Docker Hub has no tag {tag} in {} (HTTP 404: {})",
            repo.shown(),
            said(&response)
        ))),
        403 => Err(Error::Forbidden(delete_refused(
            repo, tag, &login, &response,
        ))),
        401 => Err(refused(&what, &response, Some(&login))),
        _ => Err(unexpected(&what, &response)),
    }
}

/// Why a delete was refused, and what would be allowed to do it.
fn delete_refused(repo: &Repo, tag: &str, login: &Login, response: &Response) -> String {
    let head = format!(
        "Docker Hub refused to remove tag {tag} from {} for {} (credentials from {}; HTTP 403: {})",
        repo.shown(),
        login.identifier,
        login.source,
        said(response)
    );
    match login.kind {
        Kind::AccessToken => format!(
            "{head}\nhint: a personal access token deletes tags only with the \"Read, Write, Delete\" \
permission, an organisation access token only with a scope that allows deleting images in \
this repository; create such a token, or use --opt username=NAME --opt password=PASSWORD"
        ),
        Kind::Password => format!(
            "{head}\nhint: the account needs admin rights on {} to delete tags",
            repo.shown()
        ),
    }
}

/// A 401 or 403 to a request that is not a delete.
fn refused(what: &str, response: &Response, login: Option<&Login>) -> Error {
    let who = match login {
        Some(login) => format!("{} (credentials from {})", login.identifier, login.source),
        None => "anonymous access (no credentials found)".to_string(),
    };
    Error::Unauthorized(format!(
        "{what}: Docker Hub refused {who}: HTTP {}: {}\nhint: {CREDENTIALS_HINT}",
        response.status,
        said(response)
    ))
}

fn unexpected(what: &str, response: &Response) -> Error {
    let message = format!(
        "{what}: Docker Hub answered HTTP {}: {}",
        response.status,
        said(response)
    );
    match response.status {
        429 => Error::RateLimited(RateLimit {
            message,
            retry_after: retry_after(response),
        }),
        400..=499 => Error::Invalid(message),
        _ => Error::Other(message),
    }
}

/// Seconds to wait: `Retry-After` (seconds), or the Hub's `X-Retry-After`
/// (a Unix time).
fn retry_after(response: &Response) -> Option<u32> {
    if let Some(seconds) = response.retry_after() {
        return Some(seconds);
    }
    let until: u64 = response.header("x-retry-after")?.trim().parse().ok()?;
    Some(u32::try_from(until.saturating_sub(time::now())).unwrap_or(u32::MAX))
}

/// What the Hub said: its `detail` or `message`, else the body.
fn said(response: &Response) -> String {
    #[derive(Deserialize)]
    struct Body {
        detail: Option<String>,
        message: Option<String>,
    }
    let parsed = serde_json::from_slice::<Body>(&response.body)
        .ok()
        .and_then(|b| b.detail.or(b.message))
        .filter(|s| !s.is_empty());
    let text = parsed.unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned());
    let text = berth_sdk::quote(&text);
    if text.is_empty() {
        "(no message)".to_string()
    } else {
        text
    }
}

/// The Hub's `next` links are absolute; one that names another origin than
/// the configured API (a proxy in front of the Hub) is taken to the API.
fn rebase(next: &str, api: &str) -> String {
    if next.starts_with(&format!("{api}/")) {
        return next.to_string();
    }
    format!("{api}{}", path_and_query(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_stay_on_the_configured_api() {
        let api = "http://127.0.0.1:8080";
        let own = "http://127.0.0.1:8080/v2/namespaces/a/repositories/b/tags?page=2";
        assert_eq!(rebase(own, api), own);
        assert_eq!(
            rebase(
                "https://hub.docker.com/v2/namespaces/a/repositories/b/tags?page=2",
                api
            ),
            own
        );
    }

    #[test]
    fn digests() {
        assert!(berth_sdk::is_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!berth_sdk::is_digest("sha256:abc"));
        assert!(!berth_sdk::is_digest(""));
    }
}
