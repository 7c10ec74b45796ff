//! Quay's API v1: the tag list, the tag delete and a namespace's
//! repositories.

use berth_sdk::http::{Request, Response, path_and_query};
use berth_sdk::{Error, RepositoryPage, Result, Tag, TagPage, Target};
use serde::Deserialize;

/// How to give berth a token (a hint line).
pub const TOKEN_HINT: &str = "set the OAuth access token of a Quay application with \
`--opt token=TOKEN` or BERTH_QUAY_TOKEN (repo:read to list, repo:write to delete)";

/// Tags a page; Quay allows at most 100.
const LIMIT: u32 = 100;

#[derive(Deserialize)]
struct Page {
    tags: Vec<Entry>,
    #[serde(default)]
    has_additional: bool,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    #[serde(default)]
    manifest_digest: Option<String>,
    /// Seconds since 1970 when the tag started pointing at its manifest.
    #[serde(default)]
    start_ts: Option<i64>,
}

fn repository_url(target: &Target) -> String {
    format!(
        "{}/api/v1/repository/{}",
        target.base_url, target.repository
    )
}

/// One page of active tags, with digests and dates.
pub fn list_tags(target: &Target, token: Option<&str>, page: u32) -> Result<TagPage> {
    let url = format!(
        "{}/tag/?onlyActiveTags=true&limit={LIMIT}&page={page}",
        repository_url(target)
    );
    let response = get(&url, token)?;
    let listed: Page = response.json()?;
    let tags = listed
        .tags
        .into_iter()
        .map(|entry| Tag {
            digest: entry.manifest_digest.filter(|d| berth_sdk::is_digest(d)),
            created: entry.start_ts.and_then(rfc3339),
            name: entry.name,
        })
        .collect();
    Ok(TagPage {
        tags,
        next: listed.has_additional.then(|| (page + 1).to_string()),
    })
}

#[derive(Deserialize)]
struct Repositories {
    repositories: Vec<RepositoryEntry>,
    #[serde(default)]
    next_page: Option<String>,
}

#[derive(Deserialize)]
struct RepositoryEntry {
    namespace: String,
    name: String,
}

/// One page of a namespace's repositories
/// (`GET /api/v1/repository?namespace=<ns>`), `next_page` as the cursor;
/// only those under the prefix.
pub fn list_repositories(
    target: &Target,
    token: Option<&str>,
    cursor: Option<&str>,
) -> Result<RepositoryPage> {
    let prefix = target.repository.as_str();
    let Some(namespace) = prefix.split('/').next().filter(|n| !n.is_empty()) else {
        return Err(Error::Invalid(format!(
            "Quay lists repositories by namespace; give {}/NAMESPACE",
            target.registry
        )));
    };
    let mut url = format!(
        "{}/api/v1/repository?namespace={namespace}",
        target.base_url
    );
    if let Some(cursor) = cursor {
        url.push_str("&next_page=");
        url.push_str(&berth_sdk::http::encode_component(cursor));
    }
    let response = get(&url, token)?;
    let listed: Repositories = response.json()?;
    let repositories = listed
        .repositories
        .into_iter()
        .map(|r| format!("{}/{}", r.namespace, r.name))
        .filter(|r| berth_sdk::is_under(r, prefix))
        .collect();
    Ok(RepositoryPage {
        repositories,
        next: listed.next_page.filter(|p| !p.is_empty()),
    })
}

/// `DELETE .../tag/<tag>`: 204 when it is gone.
pub fn delete_tag(target: &Target, token: &str, tag: &str) -> Result<()> {
    let url = format!("{}/tag/{tag}", repository_url(target));
    let response = Request::delete(&url)
        .header("accept", "application/json")
        .bearer(token)
        .send()?;
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        Err(refusal("DELETE", &response, true))
    }
}

/// A GET of the API, with the token when there is one; any answer but a
/// success is the registry's refusal.
fn get(url: &str, token: Option<&str>) -> Result<Response> {
    let mut request = Request::get(url).header("accept", "application/json");
    if let Some(token) = token {
        request = request.bearer(token);
    }
    let response = request.send()?;
    if !(200..300).contains(&response.status) {
        return Err(refusal("GET", &response, token.is_some()));
    }
    Ok(response)
}

/// An error answer, quoting Quay, with what to do about credentials.
fn refusal(method: &str, response: &Response, had_token: bool) -> Error {
    let what = format!("{method} {}", path_and_query(&response.url));
    match (response.error(&what, &said(&response.body)), had_token) {
        (Error::Unauthorized(m) | Error::Forbidden(m), false) => Error::Unauthorized(format!(
            "{m}; the repository is not readable without a token \
             (--opt token=TOKEN or BERTH_QUAY_TOKEN)\nhint: {TOKEN_HINT}"
        )),
        (Error::Unauthorized(m), true) => Error::Unauthorized(format!(
            "{m}; Quay refused the token (--opt token or BERTH_QUAY_TOKEN)\nhint: {TOKEN_HINT}"
        )),
        (Error::Forbidden(m), true) => Error::Forbidden(format!(
            "{m}; the token may not do this\nhint: the token needs repo:read to list \
             and repo:write to delete tags"
        )),
        (other, _) => other,
    }
}

/// Quay's error document (`error_message`, `detail`, `message`), else the
/// body's text, shortened.
fn said(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ApiError {
        error_message: Option<String>,
        detail: Option<String>,
        message: Option<String>,
        error: Option<String>,
    }
    let text = match serde_json::from_slice::<ApiError>(body) {
        Ok(e) => e
            .error_message
            .or(e.detail)
            .or(e.message)
            .or(e.error)
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    berth_sdk::quote(&text)
}

fn rfc3339(seconds: i64) -> Option<String> {
    (seconds > 0)
        .then(|| berth_sdk::time::from_unix(seconds as f64))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_start_ts() {
        assert_eq!(rfc3339(1717680780).as_deref(), Some("2024-06-06T13:33:00Z"));
        assert_eq!(rfc3339(0), None);
        assert_eq!(rfc3339(-5), None);
    }

    #[test]
    fn quotes_quay() {
        let body = br#"{"detail": "Not Found", "error_message": "Not Found", "error_type": "not_found", "status": 404}"#;
        assert_eq!(said(body), "Not Found");
        assert_eq!(said(b"  Too many requests \n"), "Too many requests");
    }

    #[test]
    fn parses_a_page() {
        let body = br#"{"tags": [{"name": "test-two", "reversion": false, "start_ts": 1717680780,
            "manifest_digest": "sha256:57583a1b9c0a7509d3417387b4f43acf80d08cdcf5266ac87987be3f8f919d5d",
            "is_manifest_list": false, "size": 2275314, "last_modified": "Thu, 06 Jun 2024 13:33:00 -0000"}],
            "page": 1, "has_additional": true}"#;
        let page: Page = serde_json::from_slice(body).unwrap();
        assert!(page.has_additional);
        assert_eq!(page.tags[0].start_ts, Some(1717680780));
        assert!(berth_sdk::is_digest(
            page.tags[0].manifest_digest.as_deref().unwrap()
        ));
    }
}
