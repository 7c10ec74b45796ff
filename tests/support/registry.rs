//! A real CNCF distribution registry (`docker-registry serve`) on a loopback port.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use super::Seeder;
use super::server::{Launch, Server};
use super::tls::Certificates;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// How to configure the registry.
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// `storage.delete.enabled`.
    pub delete_enabled: bool,
    /// The `auth.token` section; `None` serves everyone anonymously.
    pub token_auth: Option<TokenAuth>,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            delete_enabled: true,
            token_auth: None,
        }
    }
}

/// The `auth.token` section of the distribution configuration.
#[derive(Clone, Debug)]
pub struct TokenAuth {
    pub realm: String,
    pub service: String,
    pub issuer: String,
    /// PEM file holding the certificate that signs the tokens.
    pub root_cert_bundle: PathBuf,
}

/// A running registry; the process is killed when this is dropped.
pub struct Registry {
    server: Server,
    // Storage, configuration and log; removed after the server is gone.
    dir: TempDir,
}

impl Registry {
    pub fn start(options: RegistryOptions) -> Registry {
        let dir = registry_dir();
        let storage = dir.path().join("storage");
        Registry::launch(dir, |port| config_yaml(&options, &storage, port, None))
    }

    /// A second registry serving this one's storage over HTTPS with `certs`:
    /// seed through `self` (plain HTTP), reach the twin by the name the
    /// certificate is for.
    pub fn tls_twin(&self, certs: &Certificates) -> Registry {
        let storage = self.dir.path().join("storage");
        let options = RegistryOptions::default();
        Registry::launch(registry_dir(), |port| {
            config_yaml(&options, &storage, port, Some(certs))
        })
    }

    fn launch(dir: TempDir, config: impl Fn(u16) -> String) -> Registry {
        let config_file = dir.path().join("config.yml");
        let launch = Launch {
            program: "docker-registry",
            install: "run `.ci/run` or `apt-get install docker-registry`",
            log: dir.path().join("registry.log"),
            probe: "/v2/",
            // An HTTPS registry answers this plain request with 400.
            ready: |status| matches!(status, 200 | 400 | 401),
            ready_within: STARTUP_TIMEOUT,
        };
        let server = launch.start(|port| {
            fs::write(&config_file, config(port)).expect("write registry config");
            let mut command = Command::new("docker-registry");
            command.arg("serve").arg(&config_file);
            command
        });
        Registry { server, dir }
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// `127.0.0.1:PORT`, the form image references use.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.server.port)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Makes `names` repositories in the storage, empty but listed by
    /// `/v2/_catalog`: thousands in a moment, where pushing takes minutes.
    pub fn make_empty_repositories(&self, names: &[String]) {
        let root = self
            .dir
            .path()
            .join("storage/docker/registry/v2/repositories");
        for name in names {
            for part in ["_layers", "_manifests", "_uploads"] {
                fs::create_dir_all(root.join(name).join(part)).expect("repository directory");
            }
        }
    }

    /// The registry's own record of every manifest in each repository, tagged
    /// or not: what a vendor's database knows and its API lists.
    pub fn revisions(&self) -> Revisions {
        Revisions(
            self.dir
                .path()
                .join("storage/docker/registry/v2/repositories"),
        )
    }

    /// A seeder talking to this registry anonymously.
    pub fn seeder(&self) -> Seeder {
        Seeder::new(&self.url())
    }
}

/// Reads distribution's revision links: one per manifest a repository holds,
/// removed when the manifest is deleted.
#[derive(Clone, Debug)]
pub struct Revisions(PathBuf);

impl Revisions {
    /// The digests of every manifest in `repository`, sorted; empty when it
    /// does not exist.
    pub fn list(&self, repository: &str) -> Vec<String> {
        let dir = self.0.join(repository).join("_manifests/revisions/sha256");
        let mut digests: Vec<String> = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().join("link").is_file())
            .map(|entry| format!("sha256:{}", entry.file_name().to_string_lossy()))
            .collect();
        digests.sort();
        digests
    }
}

/// Storage is thousands of tiny files: on tmpfs seeding runs about three
/// times faster and removal is instant. /dev/shm is used only with room to
/// spare, as containers often give it just 64 MiB.
fn registry_dir() -> TempDir {
    let mut builder = tempfile::Builder::new();
    builder.prefix("berth-registry-");
    let shm = Path::new("/dev/shm");
    let roomy = rustix::fs::statvfs(shm).is_ok_and(|s| s.f_bavail * s.f_frsize >= 1 << 30);
    if roomy && let Ok(dir) = builder.tempdir_in(shm) {
        return dir;
    }
    builder.tempdir().expect("create a registry directory")
}

fn config_yaml(
    options: &RegistryOptions,
    storage: &Path,
    port: u16,
    tls: Option<&Certificates>,
) -> String {
    // JSON strings are valid YAML scalars and quote any path safely.
    let quote = |s: &str| serde_json::to_string(s).expect("quote a string");
    let mut yaml = format!(
        "version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: {delete}
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {bind}:{port}
",
        root = quote(&storage.to_string_lossy()),
        delete = options.delete_enabled,
        // An HTTPS twin is reached by the machine's name, which may resolve
        // to any of its addresses.
        bind = if tls.is_some() {
            "0.0.0.0"
        } else {
            "127.0.0.1"
        },
    );
    if let Some(certs) = tls {
        yaml += &format!(
            "  tls:
    certificate: {cert}
    key: {key}
",
            cert = quote(&certs.server_cert().to_string_lossy()),
            key = quote(&certs.server_key().to_string_lossy()),
        );
    }
    if let Some(auth) = &options.token_auth {
        yaml += &format!(
            "auth:
  token:
    realm: {realm}
    service: {service}
    issuer: {issuer}
    rootcertbundle: {bundle}
",
            realm = quote(&auth.realm),
            service = quote(&auth.service),
            issuer = quote(&auth.issuer),
            bundle = quote(&auth.root_cert_bundle.to_string_lossy()),
        );
    }
    yaml
}
