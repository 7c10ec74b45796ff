//! Keeping and forgetting a registry's credential the way `docker login`
//! and `docker logout` do: through the helper the config names for the
//! registry (`credHelpers`, else `credsStore`), else in `config.json`'s
//! `auths`. The file keeps every other key, and is replaced atomically
//! with the permissions it had (0600 when new).

use super::docker_config::{DockerConfig, Helper, registry_host, server_url};
use super::{Credential, helper};
use crate::error::{Error, Result};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a credential was kept, or forgotten.
pub enum Place {
    Helper(Helper),
    /// The `auths` entry of this key in this file.
    Auths {
        key: String,
        file: PathBuf,
    },
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Helper(h) => write!(f, "{}", super::docker_config::Origin::Helper(h.clone())),
            Place::Auths { key, file } => {
                write!(f, "auths entry {key:?} of docker config {}", file.display())
            }
        }
    }
}

/// Keeps `credential` for `registry` (a canonical `host[:port]`).
pub async fn keep(config: &DockerConfig, registry: &str, credential: &Credential) -> Result<Place> {
    let url = server_url(registry);
    if let Some(helper) = config.helper(registry) {
        helper::store(&helper.name, &url, credential, config.path_var()).await?;
        return Ok(Place::Helper(helper));
    }
    let file = config.path().to_path_buf();
    let mut document = read(&file)?;
    let auths = auths(&mut document, &file)?;
    // Other keys naming the same registry would shadow or outlive this one.
    auths.retain(|key, _| registry_host(key) != registry_host(registry));
    auths.insert(url.clone(), entry(credential));
    write(&file, &document)?;
    Ok(Place::Auths { key: url, file })
}

/// Forgets what is kept for `registry`: in its helper and in `auths`.
/// Returns where something was forgotten.
pub async fn forget(config: &DockerConfig, registry: &str) -> Result<Vec<Place>> {
    let mut forgotten = Vec::new();
    if let Some(helper) = config.helper(registry) {
        helper::erase(&helper.name, &server_url(registry), config.path_var()).await?;
        forgotten.push(Place::Helper(helper));
    }
    let file = config.path().to_path_buf();
    if !file.exists() {
        return Ok(forgotten);
    }
    let mut document = read(&file)?;
    let auths = auths(&mut document, &file)?;
    let keys: Vec<String> = auths
        .keys()
        .filter(|key| registry_host(key) == registry_host(registry))
        .cloned()
        .collect();
    if keys.is_empty() {
        return Ok(forgotten);
    }
    for key in &keys {
        auths.remove(key);
    }
    write(&file, &document)?;
    forgotten.extend(keys.into_iter().map(|key| Place::Auths {
        key,
        file: file.clone(),
    }));
    Ok(forgotten)
}

/// The entry `docker login` writes.
fn entry(credential: &Credential) -> Value {
    let engine = base64::engine::general_purpose::STANDARD;
    match credential {
        Credential::Basic { username, password } => {
            serde_json::json!({"auth": engine.encode(format!("{username}:{password}"))})
        }
        Credential::IdentityToken { username, token } => serde_json::json!({
            "auth": engine.encode(format!("{}:", username.as_deref().unwrap_or(""))),
            "identitytoken": token,
        }),
    }
}

/// The whole file as JSON; a missing or blank file is an empty object.
fn read(file: &Path) -> Result<Value> {
    let bytes = match fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(Error::usage(format!(
                "cannot read docker config {}: {e}",
                file.display()
            )));
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::usage(format!(
            "cannot parse docker config {}: {e}",
            file.display()
        ))
    })
}

fn auths<'a>(document: &'a mut Value, file: &Path) -> Result<&'a mut Map<String, Value>> {
    let not_object = || {
        Error::usage(format!(
            "docker config {} is not a JSON object with an `auths` object",
            file.display()
        ))
    };
    let top = document.as_object_mut().ok_or_else(not_object)?;
    top.entry("auths")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(not_object)
}

/// Replaces `file` with `document` at once: written beside it, given its
/// permissions, flushed to disk, then renamed over it. A symbolic link is
/// followed, so the file it names is replaced and the link stays.
fn write(file: &Path, document: &Value) -> Result<()> {
    let failed = |what: &str, e: std::io::Error| {
        Error::failed(format!(
            "cannot {what} docker config {}: {e}",
            file.display()
        ))
    };
    let target = fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(|e| failed("create the directory of", e))?;
    let mode = fs::metadata(&target).ok().map(|m| m.permissions());
    let mut temporary =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| failed("write beside", e))?;
    let mut bytes = serde_json::to_vec_pretty(document).expect("JSON values serialise");
    bytes.push(b'\n');
    temporary
        .write_all(&bytes)
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(|e| failed("write", e))?;
    let permissions = mode.unwrap_or_else(private);
    fs::set_permissions(temporary.path(), permissions).map_err(|e| failed("set the mode of", e))?;
    temporary
        .persist(&target)
        .map_err(|e| failed("replace", e.error))?;
    Ok(())
}

#[cfg(unix)]
fn private() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o600)
}

#[cfg(not(unix))]
fn private() -> fs::Permissions {
    tempfile::NamedTempFile::new()
        .and_then(|f| f.as_file().metadata())
        .map(|m| m.permissions())
        .expect("a temporary file has permissions")
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(dir: &Path) -> DockerConfig {
        DockerConfig::load_with_path_env(Some(dir.to_path_buf()), None).unwrap()
    }

    fn basic(user: &str, password: &str) -> Credential {
        Credential::Basic {
            username: user.into(),
            password: password.into(),
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn auths_gets_the_entry_and_every_other_key_and_the_mode_stay() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.json");
        let before = json!({
            "auths": {
                "other.example": {"auth": "b3RoZXI6cHc="},
                "https://r.example:5000/v1/": {"auth": "b2xkOm9sZA=="},
            },
            "psFormat": "table {{.ID}}",
            "proxies": {"default": {"httpProxy": "http://proxy:3128"}},
        });
        fs::write(&file, before.to_string()).unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
        let place = keep(&config(dir.path()), "r.example:5000", &basic("alice", "pw"))
            .await
            .unwrap();
        assert!(matches!(place, Place::Auths { ref key, .. } if key == "r.example:5000"));
        let after: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
        assert_eq!(after["psFormat"], before["psFormat"]);
        assert_eq!(after["proxies"], before["proxies"]);
        assert_eq!(
            after["auths"]["other.example"],
            before["auths"]["other.example"]
        );
        assert_eq!(after["auths"]["r.example:5000"]["auth"], "YWxpY2U6cHc=");
        // The stale alias of the same registry is gone.
        assert!(after["auths"].get("https://r.example:5000/v1/").is_none());
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o640
        );

        let gone = forget(&config(dir.path()), "r.example:5000").await.unwrap();
        assert_eq!(gone.len(), 1);
        let after: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
        assert!(after["auths"].get("r.example:5000").is_none());
        assert_eq!(
            after["auths"]["other.example"],
            before["auths"]["other.example"]
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_file_is_private_and_docker_hub_uses_its_index_url() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let docker = dir.path().join("new");
        keep(&config(&docker), "docker.io", &basic("bob", "pw"))
            .await
            .unwrap();
        let file = docker.join("config.json");
        let after: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
        assert!(after["auths"]["https://index.docker.io/v1/"]["auth"].is_string());
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let found = config(&docker).find("docker.io").await.unwrap().unwrap();
        assert_eq!(found.credential, basic("bob", "pw"));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_linked_config_is_replaced_where_it_lives() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        fs::write(&real, r#"{"auths":{}}"#).unwrap();
        let docker = dir.path().join("docker");
        fs::create_dir(&docker).unwrap();
        std::os::unix::fs::symlink(&real, docker.join("config.json")).unwrap();
        keep(&config(&docker), "r.example", &basic("a", "b"))
            .await
            .unwrap();
        assert!(
            fs::symlink_metadata(docker.join("config.json"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::read_to_string(&real).unwrap().contains("r.example"));
    }
}
