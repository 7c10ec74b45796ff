//! Authentication to one registry: the scheme learned from its challenge,
//! the credential, and bearer tokens cached by realm, service and scope.

use super::challenge::{self, Challenge};
use super::{Credential, scope};
use crate::net::{Client, NetError, Request, host_port};
use base64::Engine as _;
use reqwest::header::HeaderValue;
use reqwest::{Method, Url};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
enum Scheme {
    /// No challenge seen yet: requests go out anonymously.
    Unknown,
    Basic,
    Bearer {
        realm: String,
        service: String,
    },
}

pub struct RegistryAuth {
    /// `host[:port]` of the registry's API.
    host: String,
    credential: RwLock<Option<Credential>>,
    /// Where the credential came from, for messages.
    source: RwLock<String>,
    scheme: RwLock<Scheme>,
    /// The scope a challenge named for a path outside the OCI API (a
    /// vendor API on the registry host), which the path does not tell.
    path_scopes: RwLock<HashMap<String, String>>,
    /// One lock so that concurrent requests wait for one token fetch.
    tokens: tokio::sync::Mutex<HashMap<String, (HeaderValue, Instant)>>,
}

impl RegistryAuth {
    pub fn new(api: &Url, credential: Option<Credential>, source: &str) -> Self {
        RegistryAuth {
            host: host_port(api),
            credential: RwLock::new(credential),
            source: RwLock::new(source.to_string()),
            scheme: RwLock::new(Scheme::Unknown),
            path_scopes: RwLock::new(HashMap::new()),
            tokens: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn credential(&self) -> Option<Credential> {
        self.credential.read().unwrap().clone()
    }

    /// Replaces the credential (a provider obtained one itself); cached
    /// tokens belonged to the old one.
    pub fn set_credential(&self, credential: Credential, source: &str) {
        *self.credential.write().unwrap() = Some(credential);
        *self.source.write().unwrap() = source.to_string();
        if let Ok(mut tokens) = self.tokens.try_lock() {
            tokens.clear();
        }
    }

    /// Whether requests to `url` get this registry's credentials.
    pub fn serves(&self, url: &Url) -> bool {
        host_port(url) == self.host
    }

    /// The `Authorization` value for a request, when the scheme is known.
    pub async fn authorization(
        &self,
        client: &Client,
        method: &Method,
        url: &Url,
    ) -> Result<Option<HeaderValue>, NetError> {
        let scheme = self.scheme.read().unwrap().clone();
        match scheme {
            Scheme::Unknown => Ok(None),
            Scheme::Basic => Ok(self.basic()),
            Scheme::Bearer { realm, service } => {
                let scope = scope::for_request(method, url)
                    .or_else(|| self.path_scopes.read().unwrap().get(url.path()).cloned());
                self.token(client, &realm, &service, scope.as_deref(), false)
                    .await
                    .map(Some)
            }
        }
    }

    /// Learns from a 401's challenges; true when the request is worth sending
    /// again with credentials.
    pub async fn challenged(
        &self,
        client: &Client,
        method: &Method,
        url: &Url,
        headers: &[String],
    ) -> Result<bool, NetError> {
        let values: Vec<&str> = headers.iter().map(String::as_str).collect();
        let challenges = challenge::parse(&values);
        let bearer = challenges.iter().find(|c| c.scheme == "bearer");
        if let Some(bearer) = bearer.and_then(|c| c.param("realm").map(|r| (c, r))) {
            let (c, realm): (&Challenge, &str) = bearer;
            let service = c.param("service").unwrap_or("").to_string();
            *self.scheme.write().unwrap() = Scheme::Bearer {
                realm: realm.to_string(),
                service: service.clone(),
            };
            // The server's own scope wins: it says what this request needs.
            let scope = c
                .param("scope")
                .map(String::from)
                .or_else(|| scope::for_request(method, url));
            if let Some(scope) = &scope
                && scope::for_request(method, url).is_none()
            {
                self.path_scopes
                    .write()
                    .unwrap()
                    .insert(url.path().to_string(), scope.clone());
            }
            self.token(client, realm, &service, scope.as_deref(), true)
                .await?;
            return Ok(true);
        }
        if challenges.iter().any(|c| c.scheme == "basic") && self.basic().is_some() {
            let was_basic = matches!(*self.scheme.read().unwrap(), Scheme::Basic);
            *self.scheme.write().unwrap() = Scheme::Basic;
            return Ok(!was_basic);
        }
        Ok(false)
    }

    fn basic(&self) -> Option<HeaderValue> {
        match &*self.credential.read().unwrap() {
            Some(Credential::Basic { username, password }) => basic_header(username, password).ok(),
            _ => None,
        }
    }

    async fn token(
        &self,
        client: &Client,
        realm: &str,
        service: &str,
        scope: Option<&str>,
        refresh: bool,
    ) -> Result<HeaderValue, NetError> {
        let key = format!("{realm}\n{service}\n{}", scope.unwrap_or(""));
        let mut tokens = self.tokens.lock().await;
        if !refresh
            && let Some((token, expires)) = tokens.get(&key)
            && Instant::now() < *expires
        {
            return Ok(token.clone());
        }
        let (token, ttl) = self.fetch_token(client, realm, service, scope).await?;
        let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            NetError::Auth(format!("token service {realm} returned a malformed token"))
        })?;
        // Renew a little early so a token does not expire in flight.
        let expires = Instant::now() + ttl.saturating_sub(Duration::from_secs(10));
        tokens.insert(key, (value.clone(), expires));
        Ok(value)
    }

    async fn fetch_token(
        &self,
        client: &Client,
        realm: &str,
        service: &str,
        scope: Option<&str>,
    ) -> Result<(String, Duration), NetError> {
        let mut url = Url::parse(realm).map_err(|_| {
            NetError::Auth(format!(
                "registry {} sent an invalid token realm {realm:?}",
                self.host
            ))
        })?;
        let credential = self.credential();
        if credential.is_some() && url.scheme() == "http" && !is_loopback(&url) {
            return Err(NetError::Auth(format!(
                "refusing to send credentials for {} over plain HTTP to {realm}",
                self.host
            )));
        }
        let request = match &credential {
            Some(Credential::IdentityToken { token, .. }) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.append_pair("grant_type", "refresh_token")
                    .append_pair("refresh_token", token)
                    .append_pair("service", service)
                    .append_pair("client_id", "berth");
                if let Some(scope) = scope {
                    form.append_pair("scope", scope);
                }
                Request::new(Method::POST, url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form.finish().into_bytes())
            }
            other => {
                {
                    let mut query = url.query_pairs_mut();
                    if !service.is_empty() {
                        query.append_pair("service", service);
                    }
                    if let Some(scope) = scope {
                        query.append_pair("scope", scope);
                    }
                }
                let mut request = Request::new(Method::GET, url);
                if let Some(Credential::Basic { username, password }) = other
                    && let Ok(value) = basic_header(username, password)
                {
                    request
                        .headers
                        .insert(reqwest::header::AUTHORIZATION, value);
                }
                request
            }
        };
        // Boxed: sending may itself need a token, so the future is recursive.
        let response = Box::pin(client.send(request, None, None)).await?;
        if !response.is_success() {
            let source = self.source.read().unwrap().clone();
            let who = if credential.is_some() {
                format!("the credentials from {source}")
            } else {
                "anonymous access (no credentials found)".to_string()
            };
            return Err(NetError::Auth(format!(
                "token service {realm} refused {who} for {}: HTTP {} {}",
                self.host,
                response.status,
                response.said()
            )));
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            token: Option<String>,
            access_token: Option<String>,
            expires_in: Option<u64>,
        }
        let parsed: TokenResponse = serde_json::from_slice(&response.body).map_err(|e| {
            NetError::Auth(format!(
                "token service {realm} answered with unexpected JSON: {e}"
            ))
        })?;
        let token = parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| NetError::Auth(format!("token service {realm} returned no token")))?;
        // The token specification's default lifetime is 60 seconds.
        Ok((
            token,
            Duration::from_secs(parsed.expires_in.unwrap_or(60).max(10)),
        ))
    }
}

fn basic_header(username: &str, password: &str) -> Result<HeaderValue, ()> {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| ())?;
    value.set_sensitive(true);
    Ok(value)
}

fn is_loopback(url: &Url) -> bool {
    url.host_str()
        .is_some_and(berth_parse::loopback::is_loopback)
}
