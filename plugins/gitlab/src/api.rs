//! GitLab's API v4: listing a group's or project's registry repositories,
//! finding one's id and deleting one tag.

use berth_sdk::http::{Request, Response, encode_component, path_and_query};
use berth_sdk::{Error, RepositoryPage, Result, Target, config};
use serde::Deserialize;

/// Repositories a page; GitLab allows at most 100.
const PER_PAGE: u32 = 100;
/// Pages of repositories read before giving up (10,000 repositories).
const MAX_PAGES: u32 = 100;

/// What to do when the API refuses the token (a hint line).
pub const TOKEN_HINT: &str = "set an access token with the `api` scope (personal, group or project \
token, Developer role or higher) with --opt token=... or BERTH_GITLAB_TOKEN";

/// How requests to the API prove who they are.
pub enum Token {
    /// `--opt token` / `BERTH_GITLAB_TOKEN`: `PRIVATE-TOKEN`.
    Private(String),
    /// `CI_JOB_TOKEN`: `JOB-TOKEN`.
    Job(String),
    None,
}

pub struct Api {
    /// `https://gitlab.example.com/api/v4`, no trailing slash.
    pub base: String,
    pub token: Token,
}

#[derive(Deserialize)]
struct Repository {
    id: u64,
    path: String,
}

impl Api {
    /// The API base and token the operator set; `None` when no base is
    /// known.
    pub fn from_config(target: &Target) -> Option<Api> {
        let base = config::get_option("api-url")
            .or_else(|| config::get_env("CI_API_V4_URL"))
            .filter(|b| !b.trim().is_empty())
            .or_else(|| {
                matches!(
                    target.registry.as_str(),
                    "registry.gitlab.com" | "gitlab.com"
                )
                .then(|| "https://gitlab.com/api/v4".to_string())
            })?;
        let token = match (
            config::get_option("token").filter(|t| !t.is_empty()),
            config::get_env("CI_JOB_TOKEN").filter(|t| !t.is_empty()),
        ) {
            (Some(t), _) => Token::Private(t),
            (None, Some(t)) => Token::Job(t),
            (None, None) => Token::None,
        };
        Some(Api {
            base: base.trim().trim_end_matches('/').to_string(),
            token,
        })
    }

    /// The scopes of the access token in use
    /// (`GET /personal_access_tokens/self`, which personal, group and project
    /// access tokens answer).
    pub fn token_scopes(&self) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Described {
            #[serde(default)]
            scopes: Vec<String>,
        }
        let url = format!("{}/personal_access_tokens/self", self.base);
        let response = self
            .authorized(Request::get(&url).header("accept", "application/json"))?
            .send()?;
        if !(200..300).contains(&response.status) {
            return Err(self.refusal("GET", &response));
        }
        Ok(response.json::<Described>()?.scopes)
    }

    fn authorized(&self, request: Request) -> Result<Request> {
        match &self.token {
            Token::Private(t) => Ok(request.header("private-token", t.as_str())),
            Token::Job(t) => Ok(request.header("job-token", t.as_str())),
            Token::None => Err(Error::Unauthorized(format!(
                "the registry takes no tag delete, and GitLab's API ({}) needs a token to delete \
                 one\nhint: {TOKEN_HINT}; in a CI job CI_JOB_TOKEN is used when set",
                self.base
            ))),
        }
    }

    /// `DELETE /projects/:id/registry/repositories/:repository_id/tags/:tag_name`.
    pub fn delete_tag(&self, repository: &str, tag: &str) -> Result<()> {
        let (project, id) = self.find(repository)?;
        let url = format!(
            "{}/projects/{}/registry/repositories/{id}/tags/{}",
            self.base,
            encode_component(&project),
            encode_component(tag)
        );
        let response = self
            .authorized(Request::delete(&url).header("accept", "application/json"))?
            .send()?;
        if (200..300).contains(&response.status) {
            Ok(())
        } else {
            Err(self.refusal("DELETE", &response))
        }
    }

    /// One page of the registry repositories under `prefix`: a group's
    /// (`GET /groups/:id/registry/repositories`, every project of it), else,
    /// when no group has that path, a project's
    /// (`GET /projects/:id/registry/repositories`). The cursor is
    /// `group:N` or `project:N`, the page GitLab's `X-Next-Page` named.
    pub fn list_repositories(&self, prefix: &str, cursor: Option<&str>) -> Result<RepositoryPage> {
        let (kind, page) = match cursor {
            None => ("groups", 1),
            Some(c) => {
                let parsed = c.split_once(':').and_then(|(kind, page)| {
                    let kind = match kind {
                        "group" => "groups",
                        "project" => "projects",
                        _ => return None,
                    };
                    Some((kind, page.parse::<u32>().ok().filter(|p| *p > 1)?))
                });
                parsed.ok_or_else(|| Error::Invalid(format!("invalid page cursor {c:?}")))?
            }
        };
        let url = |kind: &str| {
            format!(
                "{}/{kind}/{}/registry/repositories?per_page={PER_PAGE}&page={page}",
                self.base,
                encode_component(prefix)
            )
        };
        let mut kind = kind;
        let mut response = self.read(&url(kind))?;
        if response.status == 404 && kind == "groups" && page == 1 {
            kind = "projects";
            response = self.read(&url(kind))?;
        }
        if response.status == 404 {
            return Err(Error::NotFound(format!(
                "GitLab has no group or project {prefix} ({})",
                self.base
            )));
        }
        if !(200..300).contains(&response.status) {
            return Err(self.refusal("GET", &response));
        }
        let listed: Vec<Repository> = response.json()?;
        let next = response
            .header("x-next-page")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .filter(|n| *n > page && !listed.is_empty())
            .map(|n| format!("{}:{n}", kind.trim_end_matches('s')));
        Ok(RepositoryPage {
            repositories: listed
                .into_iter()
                .map(|r| r.path)
                .filter(|p| berth_sdk::is_under(p, prefix))
                .collect(),
            next,
        })
    }

    /// A GET of the API, with the token when there is one (a public group
    /// or project answers without).
    fn read(&self, url: &str) -> Result<Response> {
        let request = Request::get(url).header("accept", "application/json");
        let request = match &self.token {
            Token::None => request,
            _ => self.authorized(request)?,
        };
        request.send()
    }

    /// The project that holds the registry repository `path`, and the
    /// repository's id. A project path is at least `namespace/project`; the
    /// repository is the project's own (same path) or one under it, so the
    /// longest prefixes are tried first.
    fn find(&self, path: &str) -> Result<(String, u64)> {
        let segments: Vec<&str> = path.split('/').collect();
        for len in (2..=segments.len()).rev() {
            let project = segments[..len].join("/");
            if let Some(id) = self.repository_id(&project, path)? {
                return Ok((project, id));
            }
        }
        Err(Error::NotFound(format!(
            "GitLab's API lists no registry repository {path} in any project it could be in \
             ({})",
            self.base
        )))
    }

    /// `GET /projects/:id/registry/repositories`, every page: the id of
    /// `path`, `None` when the project does not exist or lacks it.
    fn repository_id(&self, project: &str, path: &str) -> Result<Option<u64>> {
        let mut page = 1;
        while page <= MAX_PAGES {
            let url = format!(
                "{}/projects/{}/registry/repositories?per_page={PER_PAGE}&page={page}",
                self.base,
                encode_component(project)
            );
            let response = self
                .authorized(Request::get(&url).header("accept", "application/json"))?
                .send()?;
            if response.status == 404 {
                return Ok(None);
            }
            if !(200..300).contains(&response.status) {
                return Err(self.refusal("GET", &response));
            }
            let repositories: Vec<Repository> = response.json()?;
            if let Some(r) = repositories.iter().find(|r| r.path == path) {
                return Ok(Some(r.id));
            }
            match response
                .header("x-next-page")
                .and_then(|n| n.trim().parse::<u32>().ok())
            {
                Some(next) if next > page && !repositories.is_empty() => page = next,
                _ => return Ok(None),
            }
        }
        Err(Error::Invalid(format!(
            "GitLab's API kept paging project {project}'s registry repositories past {MAX_PAGES} pages"
        )))
    }

    /// An error answer, quoting GitLab's `message` or `error`.
    fn refusal(&self, method: &str, response: &Response) -> Error {
        let what = format!("{method} {}", path_and_query(&response.url));
        let job = matches!(self.token, Token::Job(_));
        with_token_hint(response.error(&what, &said(&response.body)), job)
    }
}

/// Whether the credential in use is the CI job token (`CI_JOB_TOKEN` is set
/// and no token option is).
pub fn using_job_token() -> bool {
    config::get_option("token").is_none_or(|t| t.is_empty())
        && config::get_env("CI_JOB_TOKEN").is_some_and(|t| !t.is_empty())
}

/// A refusal to delete says which token can, however it came (from the
/// registry or the API): a job token often may not delete.
pub fn with_token_hint(error: Error, job_token: bool) -> Error {
    let hint = if job_token {
        format!("CI_JOB_TOKEN often may not delete registry tags; {TOKEN_HINT}")
    } else {
        TOKEN_HINT.to_string()
    };
    match error {
        Error::Unauthorized(m) if !m.contains("\nhint: ") => {
            Error::Unauthorized(format!("{m}\nhint: {hint}"))
        }
        Error::Forbidden(m) if !m.contains("\nhint: ") => {
            Error::Forbidden(format!("{m}\nhint: {hint}"))
        }
        other => other,
    }
}

/// `{"message": ...}` or `{"error": ...}` of a GitLab answer, else its text.
fn said(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => match v.get("message").or_else(|| v.get("error")) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => v.to_string(),
        },
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    berth_sdk::quote(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_gitlab() {
        assert_eq!(
            said(br#"{"message":"404 Tag Not Found"}"#),
            "404 Tag Not Found"
        );
        assert_eq!(
            said(br#"{"error":"insufficient_scope"}"#),
            "insufficient_scope"
        );
        assert_eq!(
            said(br#"{"message":{"name":["is invalid"]}}"#),
            r#"{"name":["is invalid"]}"#
        );
        assert_eq!(said(b"Bad gateway"), "Bad gateway");
    }
}
