//! Authentication to one registry: the scheme learned from its challenge,
//! the credential, and bearer tokens cached by realm, service and scope.

use super::challenge::{self, Challenge};
use super::{Credential, scope};
use crate::log;
use crate::net::{Client, NetError, Request, host_port, redact};
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

/// How a registry asks for credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// No challenge seen: it has asked for none yet.
    Unchallenged,
    Basic,
    Bearer,
}

pub struct RegistryAuth {
    /// `host[:port]` of the registry's API.
    host: String,
    /// Whether the registry is reached over plain HTTP (loopback or
    /// `--plain-http`): only then may its token realm be plain HTTP too.
    plain_http: bool,
    held: RwLock<Held>,
    scheme: RwLock<Scheme>,
    /// The scope a challenge named for a path outside the OCI API (a
    /// vendor API on the registry host), which the path does not tell.
    path_scopes: RwLock<HashMap<String, String>>,
    /// One lock so that concurrent requests wait for one token fetch.
    tokens: tokio::sync::Mutex<HashMap<String, Token>>,
}

/// The credential, where it came from (for messages), and its generation,
/// which every change bumps: a cached token is good only for the
/// generation it was fetched with.
struct Held {
    credential: Option<Credential>,
    source: String,
    generation: u64,
}

struct Token {
    value: HeaderValue,
    expires: Instant,
    generation: u64,
}

impl RegistryAuth {
    pub fn new(api: &Url, credential: Option<Credential>, source: &str) -> Self {
        RegistryAuth {
            host: host_port(api),
            plain_http: api.scheme() == "http",
            held: RwLock::new(Held {
                credential,
                source: source.to_string(),
                generation: 0,
            }),
            scheme: RwLock::new(Scheme::Unknown),
            path_scopes: RwLock::new(HashMap::new()),
            tokens: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn credential(&self) -> Option<Credential> {
        self.held.read().unwrap().credential.clone()
    }

    /// Where the credential came from, for messages.
    pub fn source(&self) -> String {
        self.held.read().unwrap().source.clone()
    }

    /// What the registry's challenges asked for so far.
    pub fn kind(&self) -> AuthKind {
        match *self.scheme.read().unwrap() {
            Scheme::Unknown => AuthKind::Unchallenged,
            Scheme::Basic => AuthKind::Basic,
            Scheme::Bearer { .. } => AuthKind::Bearer,
        }
    }

    /// A token for `scope`, fetched now with the credential held and not
    /// cached for requests: `berth doctor` reads what it grants. `None`
    /// when no challenge asked for bearer tokens.
    pub async fn fresh_token(
        &self,
        client: &Client,
        scope: &str,
    ) -> Result<Option<String>, NetError> {
        let Scheme::Bearer { realm, service } = self.scheme.read().unwrap().clone() else {
            return Ok(None);
        };
        let credential = self.credential();
        let (token, _) = self
            .fetch_token(client, &realm, &service, Some(scope), credential.as_ref())
            .await?;
        Ok(Some(token))
    }

    /// Replaces the credential (a provider obtained one itself). Tokens
    /// cached for the old one are never used again, even those a fetch in
    /// flight is about to store.
    pub fn set_credential(&self, credential: Credential, source: &str) {
        let mut held = self.held.write().unwrap();
        held.credential = Some(credential);
        held.source = source.to_string();
        held.generation += 1;
    }

    /// Whether requests to `url` get this registry's credentials: the
    /// registry's host and port, and never plain HTTP to a registry
    /// reached over HTTPS.
    pub fn serves(&self, url: &Url) -> bool {
        host_port(url) == self.host && (self.plain_http || url.scheme() == "https")
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
                let challenged = self.path_scopes.read().unwrap().get(url.path()).cloned();
                let scope = match (scope::for_request(method, url), challenged) {
                    (Some(scope), _) => Some(scope),
                    (None, Some(scope)) => Some(scope).filter(|s| !s.is_empty()),
                    // `/v2/` itself takes a token without scope.
                    (None, None) if url.path().starts_with("/v2") => None,
                    // A vendor API on the registry's host gets a token only
                    // once its own challenge asked for one.
                    (None, None) => return Ok(None),
                };
                self.token(client, &realm, &service, scope.as_deref(), false)
                    .await
                    .map(Some)
            }
        }
    }

    /// Learns from a 401's challenges; true when the request is worth sending
    /// again with credentials. `authorized`: it carried an `Authorization`.
    pub async fn challenged(
        &self,
        client: &Client,
        method: &Method,
        url: &Url,
        headers: &[String],
        authorized: bool,
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
            // Outside the registry API only a challenge says a path wants a
            // token: remembered, with its scope (empty when it named none).
            if scope::for_request(method, url).is_none() {
                self.path_scopes
                    .write()
                    .unwrap()
                    .insert(url.path().to_string(), scope.clone().unwrap_or_default());
            }
            self.token(client, realm, &service, scope.as_deref(), true)
                .await?;
            return Ok(true);
        }
        if challenges.iter().any(|c| c.scheme == "basic") && self.basic().is_some() {
            *self.scheme.write().unwrap() = Scheme::Basic;
            // Requests sent together before the scheme was known each go
            // again with the credential; one that carried it was refused.
            return Ok(!authorized);
        }
        Ok(false)
    }

    /// The realm a challenge named, if berth may ask it for tokens: HTTPS,
    /// or plain HTTP only for a registry itself reached over plain HTTP.
    fn realm_url(&self, realm: &str) -> Result<Url, NetError> {
        let shown = redact::text(realm);
        let url = Url::parse(realm).map_err(|_| {
            NetError::Auth(format!(
                "registry {} sent an invalid token realm {shown:?}",
                self.host
            ))
        })?;
        match url.scheme() {
            "https" => Ok(url),
            "http" if self.plain_http => Ok(url),
            "http" => Err(NetError::Auth(format!(
                "registry {} is reached over HTTPS but its token realm {shown} is plain HTTP; refusing to ask it for tokens\nhint: the registry must name an https:// realm in its Bearer challenge; berth asks plain HTTP realms only of registries it reaches over plain HTTP (loopback or --plain-http)",
                self.host
            ))),
            other => Err(NetError::Auth(format!(
                "registry {} names a token realm {shown} with the unsupported scheme {other:?}",
                self.host
            ))),
        }
    }

    fn basic(&self) -> Option<HeaderValue> {
        match &self.held.read().unwrap().credential {
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
        let (credential, generation) = {
            let held = self.held.read().unwrap();
            (held.credential.clone(), held.generation)
        };
        if !refresh
            && let Some(token) = tokens.get(&key)
            && token.generation == generation
            && Instant::now() < token.expires
        {
            return Ok(token.value.clone());
        }
        let (token, ttl) = self
            .fetch_token(client, realm, service, scope, credential.as_ref())
            .await?;
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            NetError::Auth(format!(
                "token service {} returned a malformed token",
                redact::text(realm)
            ))
        })?;
        value.set_sensitive(true);
        // Renew a little early so a token does not expire in flight.
        let expires = Instant::now() + ttl.saturating_sub(Duration::from_secs(10));
        tokens.insert(
            key,
            Token {
                value: value.clone(),
                expires,
                generation,
            },
        );
        Ok(value)
    }

    async fn fetch_token(
        &self,
        client: &Client,
        realm: &str,
        service: &str,
        scope: Option<&str>,
        credential: Option<&Credential>,
    ) -> Result<(String, Duration), NetError> {
        let mut url = self.realm_url(realm)?;
        let shown = redact::url(&url);
        log::info(&format!(
            "token for {} from {shown} (scope {})",
            self.host,
            scope.unwrap_or("none")
        ));
        let request = match credential {
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
            let source = self.held.read().unwrap().source.clone();
            let who = if credential.is_some() {
                format!("the credentials from {source}")
            } else {
                "anonymous access (no credentials found)".to_string()
            };
            return Err(NetError::Auth(format!(
                "token service {shown} refused {who} for {}: HTTP {} {}",
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
                "token service {shown} answered with unexpected JSON: {e}"
            ))
        })?;
        let token = parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| NetError::Auth(format!("token service {shown} returned no token")))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::test_server::serve;
    use crate::net::{NetConfig, Request};
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::routing::get;
    use std::sync::{Arc, Mutex};

    /// Who asked the token service, in order: the Basic user, if any.
    type Seen = Arc<Mutex<Vec<Option<String>>>>;

    /// A token service at `/token` answering `t1`, `t2`, ... (the first
    /// after `first_delay`), and `/api`, a non-registry API that answers
    /// every request 401 with a Bearer challenge naming that service.
    async fn token_service(first_delay: Duration) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let token = move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                let user = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok()?.strip_prefix("Basic "))
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    .and_then(|b| String::from_utf8(b).ok())
                    .map(|pair| pair.split(':').next().unwrap_or_default().to_string());
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(user);
                    log.len()
                };
                if n == 1 {
                    tokio::time::sleep(first_delay).await;
                }
                axum::Json(serde_json::json!({"token": format!("t{n}"), "expires_in": 300}))
            }
        };
        // The realm is this server itself, whatever port it got.
        let api = |headers: HeaderMap| async move {
            let host = headers.get(header::HOST).unwrap().to_str().unwrap();
            let challenge = format!("Bearer realm=\"http://{host}/token\",service=\"api\"");
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, challenge)],
            )
        };
        let app = axum::Router::new()
            .route("/token", get(token))
            .route("/api", get(api));
        (serve(app).await, seen)
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn basic(user: &str) -> Credential {
        Credential::Basic {
            username: user.into(),
            password: format!("{user}-password"),
        }
    }

    fn client() -> Client {
        Client::new(NetConfig::default()).unwrap()
    }

    fn challenge(realm: &str) -> Vec<String> {
        vec![format!("Bearer realm=\"{realm}\",service=\"reg\"")]
    }

    /// The registry's bearer token for pulling `app`.
    async fn bearer(auth: &RegistryAuth, client: &Client) -> String {
        let pull = url("http://127.0.0.1:1/v2/app/tags/list");
        let value = auth
            .authorization(client, &Method::GET, &pull)
            .await
            .unwrap()
            .unwrap();
        value.to_str().unwrap().to_string()
    }

    async fn challenged(
        auth: &RegistryAuth,
        client: &Client,
        realm: &str,
    ) -> Result<bool, NetError> {
        let pull = url("http://127.0.0.1:1/v2/app/tags/list");
        auth.challenged(client, &Method::GET, &pull, &challenge(realm), false)
            .await
    }

    #[tokio::test]
    async fn a_new_credential_drops_cached_tokens_even_while_they_are_locked() {
        let (base, seen) = token_service(Duration::ZERO).await;
        let client = client();
        let auth = RegistryAuth::new(&url("http://127.0.0.1:1/"), Some(basic("old")), "config");
        assert!(
            challenged(&auth, &client, &format!("{base}/token"))
                .await
                .unwrap()
        );
        assert_eq!(bearer(&auth, &client).await, "Bearer t1", "cached");
        {
            // A token fetch for another request holds the cache.
            let _busy = auth.tokens.lock().await;
            auth.set_credential(basic("new"), "plugin ecr");
        }
        assert_eq!(bearer(&auth, &client).await, "Bearer t2");
        assert_eq!(
            *seen.lock().unwrap(),
            [Some("old".to_string()), Some("new".to_string())]
        );
    }

    #[tokio::test]
    async fn a_token_fetched_with_the_old_credential_is_not_kept_for_the_new() {
        let (base, seen) = token_service(Duration::from_millis(300)).await;
        let client = client();
        let auth = Arc::new(RegistryAuth::new(
            &url("http://127.0.0.1:1/"),
            Some(basic("old")),
            "config",
        ));
        let realm = format!("{base}/token");
        let fetching = {
            let (auth, client) = (auth.clone(), client.clone());
            tokio::spawn(async move { challenged(&auth, &client, &realm).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        auth.set_credential(basic("new"), "plugin ecr");
        assert!(fetching.await.unwrap().unwrap());
        assert_eq!(bearer(&auth, &client).await, "Bearer t2");
        assert_eq!(seen.lock().unwrap()[1].as_deref(), Some("new"));
    }

    #[tokio::test]
    async fn an_https_registry_never_asks_a_plain_http_realm() {
        let (base, seen) = token_service(Duration::ZERO).await;
        let client = client();
        let realm = format!("{base}/token?access_token=s3cret");
        for credential in [Some(basic("alice")), None] {
            let auth = RegistryAuth::new(&url("https://127.0.0.1:5443/"), credential, "config");
            let err = challenged(&auth, &client, &realm).await.unwrap_err();
            let message = err.to_string();
            assert!(message.contains("registry 127.0.0.1:5443"), "{message}");
            assert!(
                message.contains(&format!("{base}/token?access_token=<redacted>")),
                "{message}"
            );
            assert!(!message.contains("s3cret"), "{message}");
            assert!(message.contains("\nhint: "), "{message}");
        }
        assert!(seen.lock().unwrap().is_empty(), "the realm was never asked");
    }

    #[tokio::test]
    async fn a_plain_http_registry_may_use_a_plain_http_realm_on_another_port() {
        let (base, seen) = token_service(Duration::ZERO).await;
        let client = client();
        let realm = format!("{base}/token");
        for registry in ["http://127.0.0.1:1/", "http://registry.internal:5000/"] {
            let auth = RegistryAuth::new(&url(registry), Some(basic("alice")), "config");
            assert!(
                challenged(&auth, &client, &realm).await.unwrap(),
                "{registry}"
            );
        }
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn realms_of_other_schemes_are_refused() {
        let client = client();
        let auth = RegistryAuth::new(&url("http://127.0.0.1:1/"), Some(basic("a")), "config");
        for realm in ["ftp://127.0.0.1/token", "file:///etc/passwd", "not a url"] {
            let err = challenged(&auth, &client, realm).await.unwrap_err();
            assert!(matches!(err, NetError::Auth(_)), "{realm}: {err}");
        }
    }

    /// Requests sent at once before the registry's scheme was known each
    /// get their 401, and each goes again with the Basic credential; one
    /// that carried the credential and got a 401 does not.
    #[tokio::test]
    async fn every_request_raced_to_a_basic_challenge_retries_once() {
        let client = client();
        let auth = RegistryAuth::new(&url("http://127.0.0.1:1/"), Some(basic("a")), "config");
        let pull = url("http://127.0.0.1:1/v2/app/blobs/sha256:00");
        let basic = [r#"Basic realm="https://r.example/",service="r""#.to_string()];
        for _ in 0..2 {
            let retry = auth.challenged(&client, &Method::HEAD, &pull, &basic, false);
            assert!(retry.await.unwrap());
        }
        let refused = auth.challenged(&client, &Method::HEAD, &pull, &basic, true);
        assert!(!refused.await.unwrap());
    }

    #[test]
    fn credentials_go_to_the_registry_only_and_never_over_a_downgrade() {
        let tls = RegistryAuth::new(&url("https://r.example/"), None, "config");
        assert!(tls.serves(&url("https://r.example/v2/")));
        assert!(!tls.serves(&url("http://r.example/v2/")));
        assert!(!tls.serves(&url("https://r.example:8443/v2/")));
        assert!(!tls.serves(&url("https://other.example/v2/")));
        let plain = RegistryAuth::new(&url("http://127.0.0.1:5000/"), None, "config");
        assert!(plain.serves(&url("http://127.0.0.1:5000/v2/")));
        assert!(!plain.serves(&url("http://127.0.0.1:5001/v2/")));
    }

    /// A plugin may reach a non-registry API that challenges like a
    /// registry: its realm is never asked, with or without credentials.
    #[tokio::test]
    async fn a_challenge_from_another_host_is_never_answered() {
        let (base, seen) = token_service(Duration::ZERO).await;
        let client = client();
        let auth = RegistryAuth::new(&url("http://127.0.0.1:1/"), Some(basic("alice")), "config");
        let request = Request::new(Method::GET, url(&format!("{base}/api")));
        let response = client.send(request, None, Some(&auth)).await.unwrap();
        assert_eq!(response.status, 401);
        assert!(seen.lock().unwrap().is_empty());
    }
}
