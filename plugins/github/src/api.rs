//! The GitHub REST API: base URL, token, the headers every request carries,
//! rate limits, and errors that quote what GitHub said.

use berth_sdk::http::{Method, Request, Response};
use berth_sdk::time;
use berth_sdk::{Error, RateLimit, Result, config};
use serde::Deserialize;
use std::cell::RefCell;
use std::time::Duration;

const DEFAULT_API: &str = "https://api.github.com";
/// The REST API version berth is written against.
pub const API_VERSION: &str = "2022-11-28";
const MEDIA_TYPE: &str = "application/vnd.github+json";
/// Waits for a secondary rate limit answered with 403 (the host retries 429
/// and 503 itself, but not 403).
const RATE_LIMIT_RETRIES: u32 = 3;
const LONGEST_WAIT: u64 = 60;

pub const TOKEN_HINT: &str = "give a GitHub token (read:packages to list; write:packages and \
delete:packages to remove tags): --opt token=TOKEN (BERTH_GITHUB_TOKEN), the GITHUB_TOKEN \
environment variable, or `docker login ghcr.io` with the token as password";

/// Where a token came from, for messages.
#[derive(Clone)]
pub struct Token {
    pub value: String,
    pub source: &'static str,
    /// From the docker config, which the host already uses for the registry.
    pub from_docker_config: bool,
}

/// The token: option `token`, else `GITHUB_TOKEN`, else the password of the
/// registry's docker config entry.
pub fn token() -> Option<Token> {
    if let Some(value) = config::get_option("token").filter(|t| !t.is_empty()) {
        return Some(Token {
            value,
            source: "option token",
            from_docker_config: false,
        });
    }
    if let Some(value) = config::get_env("GITHUB_TOKEN").filter(|t| !t.is_empty()) {
        return Some(Token {
            value,
            source: "GITHUB_TOKEN",
            from_docker_config: false,
        });
    }
    config::registry_credential()
        .filter(|c| !c.identity_token && !c.secret.is_empty())
        .map(|c| Token {
            value: c.secret,
            source: "the docker config",
            from_docker_config: true,
        })
}

/// The API base URL without trailing slash: option `api-url`, else
/// `GITHUB_API_URL`, else api.github.com (GitHub Enterprise Server:
/// `https://HOST/api/v3`).
pub fn base() -> String {
    config::get_option("api-url")
        .filter(|u| !u.is_empty())
        .or_else(|| config::get_env("GITHUB_API_URL").filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_API.to_string())
        .trim_end_matches('/')
        .to_string()
}

pub struct Api {
    pub base: String,
    pub token: Token,
}

thread_local! {
    /// The token's user, once asked.
    static LOGIN: RefCell<Option<(String, Option<String>)>> = const { RefCell::new(None) };
}

impl Api {
    /// The API with a token, or none when no token is available.
    pub fn new() -> Option<Api> {
        Some(Api {
            base: base(),
            token: token()?,
        })
    }

    /// Sends a request with GitHub's headers and the token. A secondary rate
    /// limit answered 403 with a wait of at most a minute is waited out.
    pub fn send(&self, method: Method, url: &str) -> Result<Response> {
        let mut attempt = 0;
        loop {
            let response = Request::new(method, url)
                .header("accept", MEDIA_TYPE)
                .header("x-github-api-version", API_VERSION)
                .bearer(&self.token.value)
                .send()?;
            if response.status == 403
                && attempt < RATE_LIMIT_RETRIES
                && let Some(wait) = rate_limit(&response).flatten()
                && wait <= LONGEST_WAIT
            {
                berth_sdk::log::log(
                    berth_sdk::log::Level::Debug,
                    &format!("GitHub rate limit on {url}: waiting {wait} s"),
                );
                std::thread::sleep(Duration::from_secs(wait));
                attempt += 1;
                continue;
            }
            return Ok(response);
        }
    }

    /// `GET` and parse the JSON answer; errors go through [`Api::error`].
    pub fn get<T: serde::de::DeserializeOwned>(&self, url: &str, what: &str) -> Result<T> {
        let response = self.send(Method::Get, url)?;
        if (200..300).contains(&response.status) {
            response.json()
        } else {
            Err(self.error(what, &response))
        }
    }

    /// The token's user (`GET /user`), asked once per instance; none when
    /// the token may not read it (an installation token, for instance).
    pub fn login(&self) -> Result<Option<String>> {
        let key = format!("{}\n{}", self.base, self.token.value);
        if let Some(login) = LOGIN.with(|l| {
            l.borrow()
                .as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, login)| login.clone())
        }) {
            return Ok(login);
        }
        #[derive(Deserialize)]
        struct User {
            login: String,
        }
        let response = self.send(Method::Get, &format!("{}/user", self.base))?;
        let login = match response.status {
            200..=299 => Some(response.json::<User>()?.login),
            401 => return Err(self.error("GET /user", &response)),
            _ if rate_limit(&response).is_some() => {
                return Err(self.error("GET /user", &response));
            }
            _ => None,
        };
        LOGIN.with(|l| *l.borrow_mut() = Some((key, login.clone())));
        Ok(login)
    }

    /// An error answer to `what`, as the matching error variant.
    pub fn error(&self, what: &str, response: &Response) -> Error {
        let said = said(response);
        let status = response.status;
        if let Some(wait) = rate_limit(response) {
            return Error::RateLimited(RateLimit {
                message: format!("{what}: GitHub API rate limit (HTTP {status}: {said})"),
                retry_after: wait.map(|w| u32::try_from(w).unwrap_or(u32::MAX)),
            });
        }
        match status {
            401 => Error::Unauthorized(format!(
                "{what}: GitHub refused the token from {} (HTTP 401: {said})\nhint: {TOKEN_HINT}",
                self.token.source
            )),
            403 => Error::Forbidden(format!(
                "{what}: HTTP 403: {said}\nhint: the token from {} needs read:packages to list, \
write:packages and delete:packages to remove tags, and admin rights on the package to delete versions",
                self.token.source
            )),
            404 => Error::NotFound(format!("{what}: HTTP 404: {said}")),
            400..=499 => Error::Invalid(format!("{what}: HTTP {status}: {said}")),
            _ => Error::Other(format!("{what}: HTTP {status}: {said}")),
        }
    }
}

/// Whether GitHub throttled the request: `Some(wait in seconds, if known)`.
/// Primary limits say `x-ratelimit-remaining: 0`; secondary limits answer
/// 403 or 429 with `retry-after` or a message saying so.
pub fn rate_limit(response: &Response) -> Option<Option<u64>> {
    if !matches!(response.status, 403 | 429) {
        return None;
    }
    if let Some(seconds) = response.retry_after() {
        return Some(Some(u64::from(seconds)));
    }
    if response.header("x-ratelimit-remaining").map(str::trim) == Some("0") {
        let reset = response
            .header("x-ratelimit-reset")
            .and_then(|r| r.trim().parse::<u64>().ok());
        return Some(reset.map(|r| r.saturating_sub(time::now())));
    }
    if response.status == 429 || said(response).to_ascii_lowercase().contains("rate limit") {
        return Some(None);
    }
    None
}

/// GitHub's `message`, else the body.
pub fn said(response: &Response) -> String {
    #[derive(Deserialize)]
    struct Body {
        message: Option<String>,
    }
    let text = serde_json::from_slice::<Body>(&response.body)
        .ok()
        .and_then(|b| b.message)
        .unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned());
    let text = berth_sdk::quote(&text);
    if text.is_empty() {
        "(no message)".to_string()
    } else {
        text
    }
}
