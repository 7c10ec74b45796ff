//! Registry credentials from Docker's `config.json`, resolved the way the
//! Docker CLI resolves them, so that a `docker login` also works for berth.
//!
//! Credential helpers follow Docker's protocol: `docker-credential-NAME get`
//! reads a server URL on stdin and prints
//! `{"ServerURL": .., "Username": .., "Secret": ..}`.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use berth_parse::docker_hub;
use serde::Deserialize;
use serde::de::{self, Deserializer, Unexpected, Visitor};

/// The server URL `docker login` stores Docker Hub credentials under.
const DOCKER_HUB_SERVER_URL: &str = "https://index.docker.io/v1/";

/// Docker always pads `auth`, but some other tools do not; accepting both
/// costs nothing.
const AUTH_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Basic {
        username: String,
        password: String,
    },
    /// An OAuth2 refresh token (docker `identitytoken`, or a helper's `<token>` user).
    IdentityToken {
        username: Option<String>,
        token: String,
    },
}

impl Credential {
    /// The part that must never be shown: the password or the token.
    pub fn secret(&self) -> &str {
        match self {
            Self::Basic { password, .. } => password,
            Self::IdentityToken { token, .. } => token,
        }
    }
}

// Credentials end up in logs through `{:?}`, so the secret parts are left out.
impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &Redacted)
                .finish(),
            Self::IdentityToken { username, .. } => f
                .debug_struct("IdentityToken")
                .field("username", username)
                .field("token", &Redacted)
                .finish(),
        }
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A secret read from the config file or a helper's response. Neither its
/// `Debug` output nor a failure to deserialise it shows the value.
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Redacted.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Through `deserialize_any`, a mistyped scalar reaches the visitor
        // below; serde_json's own type errors would quote its value.
        deserializer.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

impl SecretVisitor {
    fn withheld<E: de::Error>(&self, kind: &'static str) -> E {
        E::invalid_type(Unexpected::Other(kind), self)
    }
}

impl Visitor<'_> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Secret, E> {
        Ok(Secret(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Secret, E> {
        Ok(Secret(value))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
        Err(self.withheld("boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
        Err(self.withheld("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
        Err(self.withheld("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
        Err(self.withheld("number"))
    }
}

/// The parts of `config.json` that concern credentials; other keys are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ConfigFile {
    auths: BTreeMap<String, AuthEntry>,
    creds_store: Option<String>,
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AuthEntry {
    /// Base64 of `username:password`.
    auth: Option<Secret>,
    username: Option<String>,
    password: Option<Secret>,
    identitytoken: Option<Secret>,
}

impl AuthEntry {
    /// The entry's credential; the error is why `auth` cannot be decoded.
    fn credential(&self) -> Result<Option<Credential>, &'static str> {
        // As in Docker, a decodable `auth` overrides `username`/`password`.
        let (username, password) = match non_empty(self.auth.as_ref()) {
            Some(auth) => {
                let (username, password) = decode_auth(auth)?;
                (Some(username), Some(password))
            }
            None => (
                self.username.clone().filter(|name| !name.is_empty()),
                non_empty(self.password.as_ref()).map(str::to_owned),
            ),
        };
        if let Some(token) = non_empty(self.identitytoken.as_ref()) {
            return Ok(Some(Credential::IdentityToken {
                username,
                token: token.to_owned(),
            }));
        }
        if username.is_none() && password.is_none() {
            return Ok(None);
        }
        Ok(Some(Credential::Basic {
            username: username.unwrap_or_default(),
            password: password.unwrap_or_default(),
        }))
    }
}

fn non_empty(secret: Option<&Secret>) -> Option<&str> {
    secret
        .map(|secret| secret.0.as_str())
        .filter(|value| !value.is_empty())
}

/// Splits a base64 `username:password`; the password may itself contain `:`.
/// Errors describe the problem without echoing any of the input.
fn decode_auth(auth: &str) -> Result<(String, String), &'static str> {
    let bytes = AUTH_BASE64.decode(auth).map_err(|error| match error {
        base64::DecodeError::InvalidByte(..) => "not valid base64 (invalid character)",
        base64::DecodeError::InvalidLength(_) => "not valid base64 (invalid length)",
        base64::DecodeError::InvalidLastSymbol(..) => "not valid base64 (invalid last character)",
        base64::DecodeError::InvalidPadding => "not valid base64 (invalid padding)",
    })?;
    let text = String::from_utf8(bytes).map_err(|_| "decodes to something other than UTF-8")?;
    let (username, password) = text
        .split_once(':')
        .ok_or("does not decode to `username:password`")?;
    Ok((username.to_owned(), password.to_owned()))
}

/// Reduces a registry name or config key such as `https://host:port/v1/` to
/// its lowercase `host[:port]`, folding Docker Hub's aliases into `docker.io`.
fn registry_host(key: &str) -> String {
    let without_scheme = key.split_once("://").map_or(key, |(_, rest)| rest);
    let host = without_scheme
        .split_once('/')
        .map_or(without_scheme, |(host, _)| host)
        .to_ascii_lowercase();
    if docker_hub::is_docker_hub(&host) {
        docker_hub::NAME.to_owned()
    } else {
        host
    }
}

/// Errors never include a credential: not from the file, a helper's response,
/// or a helper's output when that looks like a response.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot find the home directory, where the docker config lives by default")]
    NoHomeDir,
    #[error("failed to read docker config {}: {error}", path.display())]
    Read { path: PathBuf, error: io::Error },
    #[error("failed to parse docker config {}: {error}", path.display())]
    Parse {
        path: PathBuf,
        error: serde_json::Error,
    },
    #[error("invalid `auth` for {key:?} in docker config {}: {reason}", path.display())]
    InvalidAuth {
        path: PathBuf,
        key: String,
        reason: &'static str,
    },
    #[error("credential helper {helper} not found on PATH")]
    HelperNotFound { helper: String },
    #[error("failed to run credential helper {helper}: {error}")]
    HelperSpawn { helper: String, error: io::Error },
    #[error("credential helper {helper} did not finish within {timeout:?}")]
    HelperTimeout {
        helper: String,
        timeout: Duration,
        /// What it was asked about, for the hint.
        server_url: String,
    },
    #[error("credential helper {helper} failed ({status}): {output:?}")]
    HelperFailed {
        helper: String,
        status: ExitStatus,
        /// What the helper printed, trimmed and shortened.
        output: String,
    },
    #[error("credential helper {helper} returned an invalid response: {error}")]
    HelperResponse {
        helper: String,
        error: serde_json::Error,
    },
}

impl ConfigError {
    /// What the operator can do about it.
    pub fn hints(&self) -> Vec<String> {
        match self {
            ConfigError::HelperTimeout {
                helper, server_url, ..
            } => vec![format!(
                "run it by hand to see what it waits for: `echo {server_url} | {helper} get`"
            )],
            ConfigError::HelperFailed { helper, .. }
            | ConfigError::HelperResponse { helper, .. } => {
                vec![format!(
                    "run it by hand to see what it says: `echo <registry> | {helper} get`"
                )]
            }
            ConfigError::HelperNotFound { helper } => vec![format!(
                "install {helper}, or remove it from `credsStore`/`credHelpers` in the docker config"
            )],
            _ => Vec::new(),
        }
    }
}

/// A config file that cannot be read is the operator's input (exit 2); a
/// credential that cannot be had is a failed operation (exit 1).
impl From<ConfigError> for crate::error::Error {
    fn from(error: ConfigError) -> Self {
        let hints = error.hints();
        let base = match error {
            ConfigError::NoHomeDir | ConfigError::Read { .. } | ConfigError::Parse { .. } => {
                crate::error::Error::usage(error.to_string())
            }
            _ => crate::error::Error::failed(error.to_string()),
        };
        hints.into_iter().fold(base, crate::error::Error::hint)
    }
}

/// Docker's client configuration, as far as registry credentials go.
#[derive(Debug)]
pub struct DockerConfig {
    path: PathBuf,
    file: ConfigFile,
    /// Where credential helpers are looked up, and the `PATH` they run with.
    path_var: Option<OsString>,
}

impl DockerConfig {
    /// Loads `config.json` from `dir`, or from `~/.docker` when `dir` is
    /// `None`. A missing file is an empty configuration.
    pub fn load(dir: Option<PathBuf>) -> Result<DockerConfig, ConfigError> {
        Self::load_with_path_env(dir, std::env::var_os("PATH"))
    }

    /// Like [`DockerConfig::load`], but credential helpers are looked up in,
    /// and run with, the search path `path_var` instead of the process's `PATH`.
    pub fn load_with_path_env(
        dir: Option<PathBuf>,
        path_var: Option<OsString>,
    ) -> Result<DockerConfig, ConfigError> {
        let dir = match dir {
            Some(dir) => dir,
            None => dirs::home_dir()
                .ok_or(ConfigError::NoHomeDir)?
                .join(".docker"),
        };
        let path = dir.join("config.json");
        let file = match fs::read(&path) {
            // Docker also takes an empty file for an empty configuration.
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => ConfigFile::default(),
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| ConfigError::Parse {
                path: path.clone(),
                error,
            })?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => ConfigFile::default(),
            Err(error) => return Err(ConfigError::Read { path, error }),
        };
        Ok(DockerConfig {
            path,
            file,
            path_var,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credential for `registry`, a canonical `host[:port]` (Docker Hub
    /// as `docker.io`).
    ///
    /// As in the Docker CLI, a credential helper (`credHelpers` for this
    /// registry, else `credsStore`) takes precedence over `auths`; a helper
    /// holding nothing for the registry defers to `auths`.
    pub async fn credential(&self, registry: &str) -> Result<Option<Credential>, ConfigError> {
        let host = registry_host(registry);
        if let Some(name) = self.helper_for(&host) {
            let server_url = if host == docker_hub::NAME {
                DOCKER_HUB_SERVER_URL
            } else {
                &host
            };
            let found =
                ask_helper(name, server_url, self.path_var.as_deref(), HELPER_TIMEOUT).await?;
            if found.is_some() {
                return Ok(found);
            }
        }
        self.auths_credential(&host)
    }

    /// Docker treats an empty helper name as no helper.
    fn helper_for(&self, host: &str) -> Option<&str> {
        self.file
            .cred_helpers
            .iter()
            .find(|(key, name)| !name.is_empty() && registry_host(key) == host)
            .map(|(_, name)| name.as_str())
            .or(self
                .file
                .creds_store
                .as_deref()
                .filter(|name| !name.is_empty()))
    }

    /// Several keys may name the same registry (`docker.io` and
    /// `https://index.docker.io/v1/`); the first, in key order, that holds a
    /// credential wins.
    fn auths_credential(&self, host: &str) -> Result<Option<Credential>, ConfigError> {
        for (key, entry) in &self.file.auths {
            if registry_host(key) != host {
                continue;
            }
            let found = entry
                .credential()
                .map_err(|reason| ConfigError::InvalidAuth {
                    path: self.path.clone(),
                    key: key.clone(),
                    reason,
                })?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}

/// Generous, since a credential helper may wait for the user to unlock a
/// keychain, but bounded so that a wedged helper cannot hang berth.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// What a helper prints, exiting unsuccessfully, when it holds no credential.
const HELPER_NOT_FOUND: &str = "credentials not found in native keychain";
/// The username with which a helper marks its secret as an identity token.
const TOKEN_USERNAME: &str = "<token>";
/// Longest helper output quoted in an error, in characters.
const MAX_QUOTED_OUTPUT: usize = 500;

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret")]
    secret: Secret,
}

/// Asks helper `name` for the credential stored for `server_url`; `Ok(None)`
/// means it holds none. The helper is looked up in, and runs with, the search
/// path `path_var`.
async fn ask_helper(
    name: &str,
    server_url: &str,
    path_var: Option<&OsStr>,
    timeout: Duration,
) -> Result<Option<Credential>, ConfigError> {
    let program = format!("docker-credential-{name}");
    let not_found = || ConfigError::HelperNotFound {
        helper: program.clone(),
    };
    let path_var = path_var.ok_or_else(not_found)?;
    let executable = find_executable(&program, path_var).ok_or_else(not_found)?;
    let output = run_helper(&program, &executable, path_var, server_url, timeout).await?;

    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        if stdout.trim() == HELPER_NOT_FOUND {
            return Ok(None);
        }
        return Err(ConfigError::HelperFailed {
            helper: program,
            status: output.status,
            output: quotable(&stdout, &String::from_utf8_lossy(&output.stderr)),
        });
    }
    let HelperReply {
        username,
        secret: Secret(secret),
    } = serde_json::from_slice(&output.stdout).map_err(|error| ConfigError::HelperResponse {
        helper: program,
        error,
    })?;
    Ok(if secret.is_empty() {
        None
    } else if username == TOKEN_USERNAME {
        Some(Credential::IdentityToken {
            username: None,
            token: secret,
        })
    } else {
        Some(Credential::Basic {
            username,
            password: secret,
        })
    })
}

/// Looks `program` up in `path_var` as a shell would, except that an empty
/// entry does not stand for the current directory.
fn find_executable(program: &str, path_var: &OsStr) -> Option<PathBuf> {
    // With a separator, the name would reach outside the PATH directories.
    if program.contains(std::path::is_separator) {
        return None;
    }
    let file_name = format!("{program}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(path_var)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(&file_name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Runs `executable get` with `server_url` on its stdin. A helper still
/// running at `timeout` is killed and then waited for, so that it leaves no
/// zombie behind.
async fn run_helper(
    program: &str,
    executable: &Path,
    path_var: &OsStr,
    server_url: &str,
    timeout: Duration,
) -> Result<Output, ConfigError> {
    let spawn_error = |error| ConfigError::HelperSpawn {
        helper: program.to_owned(),
        error,
    };
    let mut child = Command::new(executable)
        .arg("get")
        .env("PATH", path_var)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Should berth itself give up on the helper (Ctrl-C), it goes too.
        .kill_on_drop(true)
        .spawn()
        .map_err(spawn_error)?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let feed = async {
        if let Some(mut stdin) = stdin {
            // A helper that exits without reading closes the pipe early; its
            // exit status and output say more than the failed write would.
            let _ = stdin.write_all(server_url.as_bytes()).await;
        }
    };
    // Both pipes are drained while the helper runs, so that neither can fill
    // up and stall it; something it started may hold them open after it
    // exits, which the deadline covers too.
    let talk = async {
        let ((), stdout, stderr, status) =
            tokio::join!(feed, read_all(stdout), read_all(stderr), child.wait());
        Ok(Output {
            status: status?,
            stdout,
            stderr,
        })
    };
    match tokio::time::timeout(timeout, talk).await {
        Ok(output) => output.map_err(spawn_error),
        Err(_) => {
            // `kill` also waits for the process to end.
            let _ = child.kill().await;
            Err(ConfigError::HelperTimeout {
                helper: program.to_owned(),
                timeout,
                server_url: server_url.to_owned(),
            })
        }
    }
}

/// A read error keeps what arrived so far; the exit status decides.
async fn read_all(pipe: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let mut output = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut output).await;
    }
    output
}

/// A failing helper's output, fit for an error message. Helpers report
/// errors on stdout, tools they run on stderr, so both are kept; anything
/// that looks like a credential response is withheld.
fn quotable(stdout: &str, stderr: &str) -> String {
    let text = [stdout, stderr]
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            if serde_json::from_str::<serde_json::Value>(part).is_ok_and(|value| value.is_object())
            {
                "<JSON output withheld>"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    match text.char_indices().nth(MAX_QUOTED_OUTPUT) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    use serde_json::{Value, json};
    use tempfile::TempDir;

    const SECRET: &str = "hunter2-do-not-print";

    fn config_dir(config: &str) -> TempDir {
        let dir = TempDir::new().unwrap();
        fs::write(dir.path().join("config.json"), config).unwrap();
        dir
    }

    fn load(dir: &TempDir) -> DockerConfig {
        DockerConfig::load_with_path_env(Some(dir.path().to_owned()), None).unwrap()
    }

    fn load_error(dir: &TempDir) -> ConfigError {
        DockerConfig::load_with_path_env(Some(dir.path().to_owned()), None).unwrap_err()
    }

    /// The credential for `registry` from a config whose only `auths` entry is `key`.
    async fn lookup(
        key: &str,
        entry: Value,
        registry: &str,
    ) -> Result<Option<Credential>, ConfigError> {
        let dir = config_dir(&json!({ "auths": { key: entry } }).to_string());
        load(&dir).credential(registry).await
    }

    fn basic(username: &str, password: &str) -> Credential {
        Credential::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        }
    }

    fn assert_secret_free(error: &ConfigError) {
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(SECRET), "secret leaked: {text}");
        }
    }

    #[tokio::test]
    async fn missing_file_is_an_empty_config() {
        let dir = TempDir::new().unwrap();
        let config = load(&dir);
        assert_eq!(config.path(), dir.path().join("config.json"));
        assert_eq!(config.credential("docker.io").await.unwrap(), None);
    }

    #[tokio::test]
    async fn blank_file_is_an_empty_config() {
        let dir = config_dir(" \n");
        assert_eq!(load(&dir).credential("docker.io").await.unwrap(), None);
    }

    #[test]
    fn default_location_is_dot_docker_in_home() {
        let expected = dirs::home_dir()
            .unwrap()
            .join(".docker")
            .join("config.json");
        // The real file may hold anything, but any outcome names the path.
        match DockerConfig::load(None) {
            Ok(config) => assert_eq!(config.path(), expected),
            Err(error) => assert!(error.to_string().contains(&*expected.to_string_lossy())),
        }
    }

    #[tokio::test]
    async fn auth_decodes_to_username_and_password() {
        let entry = json!({ "auth": STANDARD.encode("bob:pa:ss") });
        let found = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap();
        assert_eq!(found, Some(basic("bob", "pa:ss")));
    }

    #[tokio::test]
    async fn auth_without_padding_is_accepted() {
        let entry = json!({ "auth": STANDARD_NO_PAD.encode("bob:pw") });
        let found = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap();
        assert_eq!(found, Some(basic("bob", "pw")));
    }

    #[tokio::test]
    async fn auth_takes_precedence_over_username_and_password() {
        let entry = json!({
            "auth": STANDARD.encode("bob:from-auth"),
            "username": "alice",
            "password": "from-fields",
        });
        let found = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap();
        assert_eq!(found, Some(basic("bob", "from-auth")));
    }

    #[tokio::test]
    async fn username_and_password_fields() {
        let entry = json!({ "username": "alice", "password": "pw", "email": "a@example.com" });
        let found = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap();
        assert_eq!(found, Some(basic("alice", "pw")));
    }

    #[tokio::test]
    async fn identity_token_with_username_from_auth() {
        let entry = json!({ "auth": STANDARD.encode("bob:"), "identitytoken": "refresh" });
        let found = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap();
        let expected = Credential::IdentityToken {
            username: Some("bob".to_owned()),
            token: "refresh".to_owned(),
        };
        assert_eq!(found, Some(expected));
    }

    #[tokio::test]
    async fn identity_token_alone() {
        let entry = json!({ "identitytoken": "refresh" });
        let found = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap();
        let expected = Credential::IdentityToken {
            username: None,
            token: "refresh".to_owned(),
        };
        assert_eq!(found, Some(expected));
    }

    #[tokio::test]
    async fn entry_without_credentials_is_none() {
        let entry = json!({ "auth": "", "email": "a@example.com" });
        let found = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap();
        assert_eq!(found, None);
    }

    #[tokio::test]
    async fn keys_match_with_scheme_path_and_case_ignored() {
        let cases = [
            ("registry.example.com", "registry.example.com"),
            ("https://registry.example.com/v1/", "registry.example.com"),
            ("https://registry.example.com", "registry.example.com"),
            (
                "http://registry.example.com:5000",
                "registry.example.com:5000",
            ),
            (
                "http://registry.example.com:5000/v2/",
                "registry.example.com:5000",
            ),
            ("localhost:5000", "localhost:5000"),
            ("HTTPS://Registry.Example.COM/v1/", "registry.example.com"),
        ];
        for (key, registry) in cases {
            let entry = json!({ "auth": STANDARD.encode("bob:pw") });
            let found = lookup(key, entry, registry).await.unwrap();
            assert_eq!(found, Some(basic("bob", "pw")), "key {key} for {registry}");
        }
    }

    #[tokio::test]
    async fn keys_for_other_registries_do_not_match() {
        let cases = [
            ("registry.example.com", "registry.example.com:5000"),
            ("registry.example.com:5000", "registry.example.com"),
            ("https://other.example.com/v1/", "registry.example.com"),
            ("https://index.docker.io/v1/", "quay.io"),
        ];
        for (key, registry) in cases {
            let entry = json!({ "auth": STANDARD.encode("bob:pw") });
            assert_eq!(
                lookup(key, entry, registry).await.unwrap(),
                None,
                "key {key} for {registry}"
            );
        }
    }

    #[tokio::test]
    async fn docker_hub_keys_match_docker_io() {
        let keys = [
            "https://index.docker.io/v1/",
            "index.docker.io",
            "registry-1.docker.io",
            "docker.io",
        ];
        for key in keys {
            let entry = json!({ "auth": STANDARD.encode("bob:pw") });
            let found = lookup(key, entry, "docker.io").await.unwrap();
            assert_eq!(found, Some(basic("bob", "pw")), "key {key}");
        }
    }

    #[tokio::test]
    async fn first_matching_key_with_a_credential_wins() {
        // `docker login` with a credsStore leaves an empty entry behind.
        let config = json!({ "auths": {
            "https://index.docker.io/v1/": {},
            "index.docker.io": { "auth": STANDARD.encode("bob:pw") },
            "registry-1.docker.io": { "auth": STANDARD.encode("eve:other") },
        }});
        let dir = config_dir(&config.to_string());
        assert_eq!(
            load(&dir).credential("docker.io").await.unwrap(),
            Some(basic("bob", "pw"))
        );
    }

    #[tokio::test]
    async fn invalid_base64_is_an_error_naming_key_and_file() {
        let dir = config_dir(
            &json!({ "auths": { "registry.example.com": { "auth": SECRET } } }).to_string(),
        );
        let error = load(&dir)
            .credential("registry.example.com")
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, ConfigError::InvalidAuth { .. }),
            "{error:?}"
        );
        assert!(message.contains("\"registry.example.com\""), "{message}");
        assert!(
            message.contains(&*dir.path().join("config.json").to_string_lossy()),
            "{message}"
        );
        assert!(
            message.contains("not valid base64 (invalid character)"),
            "{message}"
        );
        assert_secret_free(&error);
    }

    #[tokio::test]
    async fn truncated_base64_is_an_error() {
        let auth = STANDARD.encode(format!("bob:{SECRET}"));
        let entry = json!({ "auth": &auth[..auth.len() - 3] });
        let error = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap_err();
        assert!(error.to_string().contains("not valid base64"), "{error}");
        assert_secret_free(&error);
    }

    #[tokio::test]
    async fn auth_without_colon_is_an_error() {
        let entry = json!({ "auth": STANDARD.encode(SECRET) });
        let error = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap_err();
        assert!(error.to_string().contains("`username:password`"), "{error}");
        assert_secret_free(&error);
    }

    #[tokio::test]
    async fn auth_that_is_not_utf8_is_an_error() {
        let entry = json!({ "auth": STANDARD.encode(b"bob:\xff\xfe") });
        let error = lookup("registry.example.com", entry, "registry.example.com")
            .await
            .unwrap_err();
        assert!(error.to_string().contains("UTF-8"), "{error}");
    }

    #[tokio::test]
    async fn bad_auth_for_another_registry_does_not_matter() {
        let config = json!({ "auths": {
            "broken.example.com": { "auth": "!!!" },
            "registry.example.com": { "auth": STANDARD.encode("bob:pw") },
        }});
        let dir = config_dir(&config.to_string());
        let found = load(&dir).credential("registry.example.com").await.unwrap();
        assert_eq!(found, Some(basic("bob", "pw")));
    }

    #[test]
    fn malformed_json_is_an_error_naming_the_file() {
        let dir = config_dir("{\n  \"auths\": {\n    \"docker.io\": {\"auth\": \"x\"}\n");
        let error = load_error(&dir);
        let message = error.to_string();
        assert!(matches!(error, ConfigError::Parse { .. }), "{error:?}");
        assert!(
            message.contains(&*dir.path().join("config.json").to_string_lossy()),
            "{message}"
        );
        assert!(
            message.contains("EOF while parsing an object at line 4"),
            "{message}"
        );
    }

    #[test]
    fn mistyped_secret_is_an_error_without_its_value() {
        for field in ["auth", "password", "identitytoken"] {
            let dir = config_dir(&format!(
                r#"{{"auths": {{"docker.io": {{"{field}": 987654321}}}}}}"#
            ));
            let message = load_error(&dir).to_string();
            assert!(
                message.contains("invalid type: number, expected a string"),
                "{message}"
            );
            assert!(!message.contains("987654321"), "{message}");
        }
    }

    #[test]
    fn unreadable_config_is_an_error_naming_the_file() {
        let dir = TempDir::new().unwrap();
        fs::create_dir(dir.path().join("config.json")).unwrap();
        let error = load_error(&dir);
        assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .contains(&*dir.path().join("config.json").to_string_lossy())
        );
    }

    #[tokio::test]
    async fn debug_output_redacts_secrets() {
        let credential = basic("bob", SECRET);
        assert_eq!(
            format!("{credential:?}"),
            r#"Basic { username: "bob", password: <redacted> }"#
        );
        let token = Credential::IdentityToken {
            username: Some("bob".to_owned()),
            token: SECRET.to_owned(),
        };
        assert_eq!(
            format!("{token:?}"),
            r#"IdentityToken { username: Some("bob"), token: <redacted> }"#
        );

        let config = json!({ "auths": {
            "a.example.com": { "auth": STANDARD.encode(format!("bob:{SECRET}")) },
            "b.example.com": { "username": "bob", "password": SECRET, "identitytoken": SECRET },
        }});
        let dir = config_dir(&config.to_string());
        let debug = format!("{:?}", load(&dir));
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(
            !debug.contains(&STANDARD.encode(format!("bob:{SECRET}"))),
            "{debug}"
        );
    }

    /// Helpers are shell scripts, so these tests need a Unix system.
    #[cfg(unix)]
    mod helpers {
        use super::*;

        use std::os::unix::fs::PermissionsExt;
        use std::time::Instant;

        /// A helper that answers with its input as the username.
        const ECHO_URL: &str = r#"read -r url
printf '{"ServerURL":"%s","Username":"%s","Secret":"from-helper"}' "$url" "$url""#;
        const NOT_FOUND: &str = "echo 'credentials not found in native keychain'; exit 1";

        /// A config in one temp dir whose helpers live in another.
        struct Setup {
            _config: TempDir,
            helpers: TempDir,
            config: DockerConfig,
        }

        fn setup(config: Value) -> Setup {
            let config_dir = config_dir(&config.to_string());
            let helpers = TempDir::new().unwrap();
            let config = DockerConfig::load_with_path_env(
                Some(config_dir.path().to_owned()),
                Some(helpers.path().as_os_str().to_owned()),
            )
            .unwrap();
            Setup {
                _config: config_dir,
                helpers,
                config,
            }
        }

        impl Setup {
            fn helper(&self, name: &str, script: &str) -> &Self {
                install_helper(self.helpers.path(), name, script);
                self
            }
        }

        /// Installs `docker-credential-NAME` in `dir`, running `script` with `/bin/sh`.
        fn install_helper(dir: &Path, name: &str, script: &str) {
            install(dir, name, &format!("#!/bin/sh\n{script}\n"), 0o755);
        }

        fn install(dir: &Path, name: &str, contents: &str, mode: u32) {
            // The file is written by `cp`, not by this process: a child forked
            // meanwhile by a concurrent test would inherit a descriptor open for
            // writing, and exec of the helper would fail with "text file busy".
            let draft = dir.join(format!("{name}.draft"));
            fs::write(&draft, contents).unwrap();
            let target = dir.join(format!("docker-credential-{name}"));
            let copied = std::process::Command::new("cp")
                .arg(&draft)
                .arg(&target)
                .status()
                .unwrap();
            assert!(copied.success());
            fs::set_permissions(&target, fs::Permissions::from_mode(mode)).unwrap();
        }

        fn helper_dir(script: &str) -> TempDir {
            let dir = TempDir::new().unwrap();
            install_helper(dir.path(), "test", script);
            dir
        }

        async fn get_from(
            dir: &TempDir,
            server_url: &str,
        ) -> Result<Option<Credential>, ConfigError> {
            ask_helper(
                "test",
                server_url,
                Some(dir.path().as_os_str()),
                HELPER_TIMEOUT,
            )
            .await
        }

        async fn get_from_within(
            dir: &TempDir,
            timeout: Duration,
        ) -> Result<Option<Credential>, ConfigError> {
            ask_helper(
                "test",
                "registry.example.com",
                Some(dir.path().as_os_str()),
                timeout,
            )
            .await
        }

        #[tokio::test]
        async fn creds_store_takes_precedence_over_auths() {
            let setup = setup(json!({
                "credsStore": "store",
                "auths": { "registry.example.com": { "auth": STANDARD.encode("bob:pw") } },
            }));
            setup.helper("store", ECHO_URL);
            let found = setup
                .config
                .credential("registry.example.com")
                .await
                .unwrap();
            assert_eq!(found, Some(basic("registry.example.com", "from-helper")));
        }

        #[tokio::test]
        async fn creds_store_without_entry_falls_back_to_auths() {
            let setup = setup(json!({
                "credsStore": "store",
                "auths": { "registry.example.com": { "auth": STANDARD.encode("bob:pw") } },
            }));
            setup.helper("store", NOT_FOUND);
            let found = setup
                .config
                .credential("registry.example.com")
                .await
                .unwrap();
            assert_eq!(found, Some(basic("bob", "pw")));
            assert_eq!(
                setup.config.credential("other.example.com").await.unwrap(),
                None
            );
        }

        #[tokio::test]
        async fn cred_helpers_take_precedence_over_creds_store() {
            let setup = setup(json!({
                "credsStore": "store",
                "credHelpers": {
                    "https://registry.example.com/v1/": "per-registry",
                    "empty.example.com": "",
                },
            }));
            setup
                .helper("per-registry", ECHO_URL)
                .helper("store", r#"printf '{"Username":"store","Secret":"s"}'"#);
            let found = setup
                .config
                .credential("registry.example.com")
                .await
                .unwrap();
            assert_eq!(found, Some(basic("registry.example.com", "from-helper")));
            for registry in ["other.example.com", "empty.example.com"] {
                let found = setup.config.credential(registry).await.unwrap();
                assert_eq!(found, Some(basic("store", "s")), "{registry}");
            }
        }

        #[tokio::test]
        async fn cred_helper_without_entry_falls_back_to_auths() {
            let setup = setup(json!({
                "credHelpers": { "registry.example.com": "per-registry" },
                "auths": { "registry.example.com": { "username": "bob", "password": "pw" } },
            }));
            setup.helper("per-registry", NOT_FOUND);
            let found = setup
                .config
                .credential("registry.example.com")
                .await
                .unwrap();
            assert_eq!(found, Some(basic("bob", "pw")));
        }

        #[tokio::test]
        async fn docker_hub_helpers_get_the_index_url() {
            let setup = setup(json!({ "credHelpers": { "index.docker.io": "hub" } }));
            setup.helper("hub", ECHO_URL);
            let found = setup.config.credential("docker.io").await.unwrap();
            assert_eq!(
                found,
                Some(basic("https://index.docker.io/v1/", "from-helper"))
            );
        }

        #[tokio::test]
        async fn helper_token_user_is_an_identity_token() {
            let setup = setup(json!({ "credsStore": "store" }));
            setup.helper(
                "store",
                r#"printf '{"Username":"<token>","Secret":"refresh"}'"#,
            );
            let expected = Credential::IdentityToken {
                username: None,
                token: "refresh".to_owned(),
            };
            assert_eq!(
                setup.config.credential("docker.io").await.unwrap(),
                Some(expected)
            );
        }

        #[tokio::test]
        async fn missing_helper_is_an_error() {
            let setup = setup(json!({ "credsStore": "absent" }));
            let error = setup.config.credential("docker.io").await.unwrap_err();
            assert_eq!(
                error.to_string(),
                "credential helper docker-credential-absent not found on PATH"
            );
        }

        #[tokio::test]
        async fn failing_helper_is_an_error() {
            let setup = setup(json!({ "credsStore": "store" }));
            setup.helper("store", "echo 'keychain is locked'; exit 3");
            let error = setup.config.credential("docker.io").await.unwrap_err();
            assert_eq!(
                error.to_string(),
                r#"credential helper docker-credential-store failed (exit status: 3): "keychain is locked""#
            );
        }

        // The helper protocol itself, without a config file.

        #[tokio::test]
        async fn sends_server_url_on_stdin_and_parses_the_response() {
            let dir = helper_dir(
                r#"[ "$1" = get ] || exit 9
    read -r url
    printf '{"ServerURL":"%s","Username":"%s","Secret":"pw"}' "$url" "$url""#,
            );
            let found = get_from(&dir, "registry.example.com:5000").await.unwrap();
            assert_eq!(found, Some(basic("registry.example.com:5000", "pw")));
        }

        #[tokio::test]
        async fn runs_with_the_given_search_path() {
            let dir = helper_dir(r#"printf '{"Username":"%s","Secret":"pw"}' "$PATH""#);
            let found = get_from(&dir, "registry.example.com").await.unwrap();
            assert_eq!(found, Some(basic(&dir.path().to_string_lossy(), "pw")));
        }

        #[tokio::test]
        async fn token_username_marks_an_identity_token() {
            let dir =
                helper_dir(r#"printf '{"ServerURL":"x","Username":"<token>","Secret":"refresh"}'"#);
            let expected = Credential::IdentityToken {
                username: None,
                token: "refresh".to_owned(),
            };
            assert_eq!(
                get_from(&dir, "registry.example.com").await.unwrap(),
                Some(expected)
            );
        }

        #[tokio::test]
        async fn not_found_answer_is_no_credential() {
            let dir = helper_dir("echo 'credentials not found in native keychain'; exit 1");
            assert_eq!(get_from(&dir, "registry.example.com").await.unwrap(), None);
        }

        #[tokio::test]
        async fn empty_secret_is_no_credential() {
            let dir = helper_dir(r#"printf '{"Username":"","Secret":""}'"#);
            assert_eq!(get_from(&dir, "registry.example.com").await.unwrap(), None);
        }

        #[tokio::test]
        async fn failure_quotes_stdout_and_stderr() {
            let dir =
                helper_dir("echo '  not logged in '; echo 'gpg: decryption failed' >&2; exit 1");
            let error = get_from(&dir, "registry.example.com").await.unwrap_err();
            assert_eq!(
                error.to_string(),
                r#"credential helper docker-credential-test failed (exit status: 1): "not logged in; gpg: decryption failed""#
            );
        }

        #[tokio::test]
        async fn failure_withholds_a_credential_response() {
            let dir = helper_dir(&format!(
                r#"printf '{{"Username":"bob","Secret":"{SECRET}"}}'; echo 'store is read-only' >&2; exit 1"#
            ));
            let error = get_from(&dir, "registry.example.com").await.unwrap_err();
            assert!(
                error
                    .to_string()
                    .ends_with(r#": "<JSON output withheld>; store is read-only""#),
                "{error}"
            );
            assert_secret_free(&error);
        }

        #[tokio::test]
        async fn failure_without_output() {
            let dir = helper_dir("exit 2");
            let error = get_from(&dir, "registry.example.com").await.unwrap_err();
            assert!(
                error.to_string().ends_with(r#"(exit status: 2): """#),
                "{error}"
            );
        }

        #[tokio::test]
        async fn long_failure_output_is_shortened() {
            let dir = helper_dir(
                "i=0; while [ $i -lt 100 ]; do printf 'abcdefghij'; i=$((i+1)); done; exit 1",
            );
            let ConfigError::HelperFailed { output, .. } = get_from(&dir, "x").await.unwrap_err()
            else {
                panic!("expected a helper failure");
            };
            assert_eq!(output, format!("{}...", "abcdefghij".repeat(50)));
        }

        #[tokio::test]
        async fn invalid_response_is_an_error_without_the_secret() {
            for response in [
                format!("Username=bob Secret={SECRET}"),
                r#"{"Username":"bob","Secret":7654321}"#.to_owned(),
                r#"{"Username":"bob"}"#.to_owned(),
            ] {
                let dir = helper_dir(&format!("printf '%s' '{response}'"));
                let error = get_from(&dir, "registry.example.com").await.unwrap_err();
                let message = error.to_string();
                assert!(
                    message.starts_with(
                        "credential helper docker-credential-test returned an invalid response: "
                    ),
                    "{message}"
                );
                assert!(!message.contains("7654321"), "{message}");
                assert_secret_free(&error);
            }
        }

        #[tokio::test]
        async fn without_search_path_no_helper_is_found() {
            let error = ask_helper("test", "registry.example.com", None, HELPER_TIMEOUT)
                .await
                .unwrap_err();
            assert_eq!(
                error.to_string(),
                "credential helper docker-credential-test not found on PATH"
            );
        }

        #[tokio::test]
        async fn non_executable_file_is_not_a_helper() {
            let dir = TempDir::new().unwrap();
            install(dir.path(), "test", "#!/bin/sh\nexit 0\n", 0o644);
            let error = get_from(&dir, "registry.example.com").await.unwrap_err();
            assert!(
                matches!(error, ConfigError::HelperNotFound { .. }),
                "{error:?}"
            );
        }

        #[tokio::test]
        async fn helper_name_cannot_leave_the_search_path() {
            let dir = TempDir::new().unwrap();
            let nested = dir.path().join("docker-credential-x");
            fs::create_dir(&nested).unwrap();
            install_helper(&nested, "test", r#"printf '{"Username":"u","Secret":"s"}'"#);
            let error = ask_helper(
                "x/docker-credential-test",
                "registry.example.com",
                Some(dir.path().as_os_str()),
                HELPER_TIMEOUT,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(error, ConfigError::HelperNotFound { .. }),
                "{error:?}"
            );
        }

        #[tokio::test]
        async fn later_search_path_entries_are_tried() {
            let empty = TempDir::new().unwrap();
            let dir = helper_dir(r#"printf '{"Username":"u","Secret":"s"}'"#);
            let path_var = std::env::join_paths([empty.path(), dir.path()]).unwrap();
            let found = ask_helper(
                "test",
                "registry.example.com",
                Some(&path_var),
                HELPER_TIMEOUT,
            )
            .await
            .unwrap();
            assert_eq!(found, Some(basic("u", "s")));
        }

        #[tokio::test]
        async fn helper_that_cannot_start_is_an_error() {
            let dir = TempDir::new().unwrap();
            install(dir.path(), "test", "#!/nonexistent/interpreter\n", 0o755);
            let error = get_from(&dir, "registry.example.com").await.unwrap_err();
            assert!(
                matches!(error, ConfigError::HelperSpawn { .. }),
                "{error:?}"
            );
            assert!(
                error
                    .to_string()
                    .starts_with("failed to run credential helper docker-credential-test: "),
                "{error}"
            );
        }

        #[tokio::test]
        async fn slow_helper_is_killed_after_the_timeout() {
            let dir = helper_dir("while :; do :; done");
            let started = Instant::now();
            let error = ask_helper(
                "test",
                "registry.example.com",
                Some(dir.path().as_os_str()),
                Duration::from_millis(200),
            )
            .await
            .unwrap_err();
            assert!(started.elapsed() < Duration::from_secs(10));
            assert_eq!(
                error.to_string(),
                "credential helper docker-credential-test did not finish within 200ms"
            );
            assert_eq!(
                error.hints(),
                [
                    "run it by hand to see what it waits for: `echo registry.example.com | docker-credential-test get`"
                ]
            );
        }

        /// The helper is gone once the error is returned: killed, and waited
        /// for, so not even a zombie is left.
        #[tokio::test]
        async fn a_hung_helper_leaves_no_process_behind() {
            let dir = helper_dir("echo $$ > \"${0%/*}/pid\"; exec /bin/sleep 600");
            let error = get_from_within(&dir, Duration::from_millis(500))
                .await
                .unwrap_err();
            assert!(
                matches!(error, ConfigError::HelperTimeout { .. }),
                "{error:?}"
            );
            let pid = fs::read_to_string(dir.path().join("pid")).unwrap();
            let proc_entry = Path::new("/proc").join(pid.trim());
            assert!(!proc_entry.exists(), "helper {} is still there", pid.trim());
        }

        /// Waiting for a helper leaves the runtime's one thread free for
        /// other work.
        #[tokio::test(flavor = "current_thread")]
        async fn waiting_for_a_helper_does_not_block_the_runtime() {
            let dir = helper_dir("/bin/sleep 1; printf '{\"Username\":\"u\",\"Secret\":\"s\"}'");
            let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
            let counter = ticks.clone();
            let ticker = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
            let found = get_from(&dir, "registry.example.com").await.unwrap();
            ticker.abort();
            assert_eq!(found, Some(basic("u", "s")));
            let ticks = ticks.load(std::sync::atomic::Ordering::Relaxed);
            assert!(ticks >= 20, "the runtime ran {ticks} ticks in a second");
        }

        #[test]
        fn errors_become_berth_errors_with_hints() {
            let timeout = crate::error::Error::from(ConfigError::HelperTimeout {
                helper: "docker-credential-x".into(),
                timeout: Duration::from_secs(30),
                server_url: "r.example".into(),
            });
            assert_eq!(timeout.exit_code(), 1);
            assert_eq!(
                timeout.message,
                "credential helper docker-credential-x did not finish within 30s"
            );
            assert_eq!(timeout.hints.len(), 1);
            let parse = crate::error::Error::from(ConfigError::NoHomeDir);
            assert_eq!(parse.exit_code(), 2);
        }
    }
}
