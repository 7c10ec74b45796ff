//! A Docker token server that distribution 2.8 trusts, and a registry wired to it.
//!
//! Tokens are RS256 JWTs whose header carries the signing certificate in `x5c`;
//! the same self-signed certificate is the registry's `rootcertbundle`.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::task::JoinHandle;

use super::{Registry, RegistryOptions, Seeder, TokenAuth, runtime};

const SERVICE: &str = "berth-test-registry";
const ISSUER: &str = "berth-test-token-issuer";

/// An account of the token server.
#[derive(Clone, Debug)]
pub struct User {
    name: String,
    password: String,
    actions: Vec<String>,
}

impl User {
    /// A user granted every action it asks for.
    pub fn new(name: &str, password: &str) -> User {
        User {
            name: name.into(),
            password: password.into(),
            actions: vec!["*".into()],
        }
    }

    /// A user granted only `pull`.
    pub fn read_only(name: &str, password: &str) -> User {
        User::new(name, password).actions(&["pull"])
    }

    /// What requests without credentials are granted (only `pull` unless
    /// changed with `actions`). Without it they get tokens granting nothing.
    pub fn anonymous() -> User {
        User::read_only("", "")
    }

    /// The actions this user may be granted; `*` grants all.
    pub fn actions(mut self, actions: &[&str]) -> User {
        self.actions = actions.iter().map(|a| a.to_string()).collect();
        self
    }

    fn grants(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a == "*" || a == action)
    }
}

/// One request the token server received. Secrets are never kept.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Whether an `Authorization` header was sent.
    pub has_auth: bool,
    /// The user named by Basic auth, the form, or the refresh token.
    pub user: Option<String>,
    /// `grant_type` of the OAuth2 form; `None` for GET.
    pub grant_type: Option<String>,
    pub scopes: Vec<String>,
    pub status: u16,
}

/// A running token server; it stops when dropped.
pub struct TokenServer {
    url: String,
    state: Arc<TokenState>,
    cert_dir: TempDir,
    task: JoinHandle<()>,
}

impl TokenServer {
    pub fn start(users: impl IntoIterator<Item = User>) -> TokenServer {
        let key = signing_key();
        let cert_dir = tempfile::tempdir().expect("create a certificate directory");
        fs::write(cert_dir.path().join("root.pem"), &key.cert_pem).expect("write root bundle");
        let state = Arc::new(TokenState {
            users: users.into_iter().collect(),
            expires_in: AtomicU64::new(300),
            requests: Mutex::default(),
            refresh_tokens: Mutex::default(),
            key: EncodingKey::from_rsa_pem(&key.key_pem).expect("load the signing key"),
            x5c: key.cert_der_base64.clone(),
        });
        let app = Router::new()
            .route("/token", get(get_token).post(post_token))
            .fallback(not_found)
            .with_state(state.clone());
        let listener = runtime()
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind the token server");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let task = runtime().spawn(async move {
            axum::serve(listener, app).await.expect("serve tokens");
        });
        TokenServer {
            url,
            state,
            cert_dir,
            task,
        }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The `realm` registries point clients at.
    pub fn realm(&self) -> String {
        format!("{}/token", self.url)
    }

    /// The registry's `auth.token` section trusting this server.
    pub fn auth_config(&self) -> TokenAuth {
        TokenAuth {
            realm: self.realm(),
            service: SERVICE.into(),
            issuer: ISSUER.into(),
            root_cert_bundle: self.cert_path(),
        }
    }

    /// The PEM certificate that verifies the tokens.
    pub fn cert_path(&self) -> PathBuf {
        self.cert_dir.path().join("root.pem")
    }

    /// Lifetime of tokens issued from now on. The registry accepts tokens for
    /// 60 s past `exp`, so a short lifetime tests the client's cache only.
    pub fn set_expires_in(&self, seconds: u64) {
        self.state.expires_in.store(seconds, Ordering::Relaxed);
    }

    /// A token granting exactly `scopes` (e.g. `repository:app:pull`),
    /// issued without a request, so it appears in no log.
    pub fn mint(&self, scopes: &[&str]) -> String {
        self.state.mint(
            "minted",
            scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
        )
    }

    pub fn requests(&self) -> Vec<TokenRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn clear_requests(&self) {
        self.state.requests.lock().unwrap().clear();
    }

    /// A function minting a token for one scope, for the seeder.
    pub(super) fn minter(&self) -> impl Fn(&str) -> String + Send + Sync + 'static {
        let state = self.state.clone();
        move |scope| state.mint("seeder", Scope::parse(scope).into_iter().collect())
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A registry that requires tokens from its own token server.
pub struct TokenRegistry {
    pub token: TokenServer,
    pub registry: Registry,
}

impl TokenRegistry {
    pub fn start(users: impl IntoIterator<Item = User>) -> TokenRegistry {
        TokenRegistry::with_options(users, RegistryOptions::default())
    }

    /// Like `start`; `options.token_auth` is replaced by this server's.
    pub fn with_options(
        users: impl IntoIterator<Item = User>,
        options: RegistryOptions,
    ) -> TokenRegistry {
        let token = TokenServer::start(users);
        let options = RegistryOptions {
            token_auth: Some(token.auth_config()),
            ..options
        };
        let registry = Registry::start(options);
        TokenRegistry { token, registry }
    }

    /// A seeder with full access whose tokens are minted in process, so
    /// seeding leaves the token server's request log untouched.
    pub fn seeder(&self) -> Seeder {
        Seeder::new(&self.registry.url()).with_minter(self.token.minter())
    }
}

struct TokenState {
    users: Vec<User>,
    expires_in: AtomicU64,
    requests: Mutex<Vec<TokenRequest>>,
    /// Refresh token → user name.
    refresh_tokens: Mutex<HashMap<String, String>>,
    key: EncodingKey,
    x5c: String,
}

impl TokenState {
    fn user(&self, name: &str, password: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| !u.name.is_empty() && u.name == name && u.password == password)
    }

    fn anonymous(&self) -> Option<&User> {
        self.users.iter().find(|u| u.name.is_empty())
    }

    /// Grants of `user` (or of anonymous when `None`) within `scopes`.
    fn grant(&self, user: Option<&User>, scopes: &[Scope]) -> Vec<Scope> {
        let Some(user) = user.or(self.anonymous()) else {
            return Vec::new();
        };
        scopes
            .iter()
            .map(|s| Scope {
                kind: s.kind.clone(),
                name: s.name.clone(),
                actions: s
                    .actions
                    .iter()
                    .filter(|a| user.grants(a))
                    .cloned()
                    .collect(),
            })
            .filter(|s| !s.actions.is_empty())
            .collect()
    }

    fn mint(&self, subject: &str, access: Vec<Scope>) -> String {
        let now = unix_now();
        let claims = Claims {
            iss: ISSUER,
            sub: subject,
            aud: SERVICE,
            exp: now + self.expires_in.load(Ordering::Relaxed),
            nbf: now,
            iat: now,
            jti: unique_id(),
            access,
        };
        let header = Header {
            x5c: Some(vec![self.x5c.clone()]),
            ..Header::new(Algorithm::RS256)
        };
        jsonwebtoken::encode(&header, &claims, &self.key).expect("sign a token")
    }

    fn new_refresh_token(&self, user: &str) -> String {
        let token = format!("refresh-{}", unique_id());
        self.refresh_tokens
            .lock()
            .unwrap()
            .insert(token.clone(), user.into());
        token
    }

    fn token_response(
        &self,
        subject: &str,
        access: Vec<Scope>,
        refresh: Option<String>,
    ) -> Response {
        let mut body = json!({
            "token": self.mint(subject, access),
            "expires_in": self.expires_in.load(Ordering::Relaxed),
            "issued_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        body["access_token"] = body["token"].clone();
        if let Some(refresh) = refresh {
            body["refresh_token"] = Value::String(refresh);
        }
        Json(body).into_response()
    }

    fn record(&self, request: TokenRequest) {
        self.requests.lock().unwrap().push(request);
    }
}

/// One entry of the `access` claim, parsed from a `type:name:actions` scope.
#[derive(Clone, Debug, Serialize)]
struct Scope {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    actions: Vec<String>,
}

impl Scope {
    /// Names may contain `:` (a registry host with a port), so the type ends
    /// at the first colon and the actions start after the last.
    fn parse(scope: &str) -> Option<Scope> {
        let (kind, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        Some(Scope {
            kind: kind.into(),
            name: name.into(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect(),
        })
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    // A string rather than a list: distribution 2.8 only accepts a string.
    aud: &'a str,
    exp: u64,
    nbf: u64,
    iat: u64,
    jti: String,
    access: Vec<Scope>,
}

async fn get_token(State(state): State<Arc<TokenState>>, uri: Uri, headers: HeaderMap) -> Response {
    let query = uri.query().unwrap_or_default();
    let params = form_pairs(query.as_bytes());
    let scopes = scopes(&params);
    let basic = basic_auth(&headers);
    let (response, user) = match &basic {
        Some(Some((name, password))) => match state.user(name, password) {
            Some(user) => {
                let refresh = (param(&params, "offline_token") == Some("true"))
                    .then(|| state.new_refresh_token(name));
                let access = state.grant(Some(user), &parsed(&scopes));
                (
                    state.token_response(name, access, refresh),
                    Some(name.clone()),
                )
            }
            None => (unauthorized(), Some(name.clone())),
        },
        Some(None) => (unauthorized(), None),
        None => (
            state.token_response("", state.grant(None, &parsed(&scopes)), None),
            None,
        ),
    };
    state.record(TokenRequest {
        method: "GET".into(),
        path: uri.path().into(),
        query: query.into(),
        has_auth: headers.contains_key(header::AUTHORIZATION),
        user,
        grant_type: None,
        scopes,
        status: response.status().as_u16(),
    });
    response
}

async fn post_token(
    State(state): State<Arc<TokenState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = form_pairs(&body);
    let scopes = scopes(&params);
    let grant_type = param(&params, "grant_type").map(String::from);
    let (response, user) = match grant_type.as_deref() {
        Some("password") => {
            let name = param(&params, "username").unwrap_or_default();
            let password = param(&params, "password").unwrap_or_default();
            match state.user(name, password) {
                Some(user) => {
                    // As in the Docker OAuth2 spec: refresh tokens only on request.
                    let refresh = (param(&params, "access_type") == Some("offline"))
                        .then(|| state.new_refresh_token(name));
                    let access = state.grant(Some(user), &parsed(&scopes));
                    (
                        state.token_response(name, access, refresh),
                        Some(name.to_string()),
                    )
                }
                None => (unauthorized(), Some(name.to_string())),
            }
        }
        Some("refresh_token") => {
            let refresh = param(&params, "refresh_token").unwrap_or_default();
            let owner = state.refresh_tokens.lock().unwrap().get(refresh).cloned();
            match owner
                .as_deref()
                .and_then(|name| state.users.iter().find(|u| u.name == name))
            {
                Some(user) => {
                    let access = state.grant(Some(user), &parsed(&scopes));
                    let response = state.token_response(&user.name, access, Some(refresh.into()));
                    (response, owner)
                }
                None => (unauthorized(), None),
            }
        }
        _ => {
            let body = json!({"error": "unsupported_grant_type"});
            ((StatusCode::BAD_REQUEST, Json(body)).into_response(), None)
        }
    };
    state.record(TokenRequest {
        method: "POST".into(),
        path: uri.path().into(),
        query: uri.query().unwrap_or_default().into(),
        has_auth: headers.contains_key(header::AUTHORIZATION),
        user,
        grant_type,
        scopes,
        status: response.status().as_u16(),
    });
    response
}

async fn not_found(
    State(state): State<Arc<TokenState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> StatusCode {
    state.record(TokenRequest {
        method: method.to_string(),
        path: uri.path().into(),
        query: uri.query().unwrap_or_default().into(),
        has_auth: headers.contains_key(header::AUTHORIZATION),
        user: None,
        grant_type: None,
        scopes: Vec::new(),
        status: 404,
    });
    StatusCode::NOT_FOUND
}

fn unauthorized() -> Response {
    let body = json!({"details": "incorrect username or password"});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

fn form_pairs(input: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(input).into_owned().collect()
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Every requested scope: `scope` may repeat and, in the OAuth2 form, holds
/// several scopes separated by spaces.
fn scopes(params: &[(String, String)]) -> Vec<String> {
    params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split_whitespace().map(String::from))
        .collect()
}

fn parsed(scopes: &[String]) -> Vec<Scope> {
    scopes.iter().filter_map(|s| Scope::parse(s)).collect()
}

/// `None` without an `Authorization` header, `Some(None)` when it is not
/// valid Basic auth.
fn basic_auth(headers: &HeaderMap) -> Option<Option<(String, String)>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some((|| {
        let encoded = value.to_str().ok()?.strip_prefix("Basic ")?;
        let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
        let (name, password) = decoded.split_once(':')?;
        Some((name.to_string(), password.to_string()))
    })())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

struct SigningKey {
    key_pem: Vec<u8>,
    cert_pem: Vec<u8>,
    /// The certificate's DER in standard base64, as `x5c` wants it.
    cert_der_base64: String,
}

/// One RSA key and self-signed certificate per test process: generating them
/// costs far more than anything else here. The `openssl` CLI comes with
/// Debian's ca-certificates, so it is always there.
fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("create a key directory");
        let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
        let output = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
            ])
            .args(["-subj", "/CN=berth test token issuer", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("run openssl (apt-get install openssl)");
        assert!(
            output.status.success(),
            "openssl could not create the token certificate:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let cert_pem = fs::read(&cert).expect("read the certificate");
        SigningKey {
            key_pem: fs::read(&key).expect("read the key"),
            cert_der_base64: pem_body(&cert_pem),
            cert_pem,
        }
    })
}

/// A PEM body is the DER in standard base64 split into lines.
fn pem_body(pem: &[u8]) -> String {
    let text = std::str::from_utf8(pem).expect("PEM is ASCII");
    text.lines().filter(|l| !l.starts_with("-----")).collect()
}
