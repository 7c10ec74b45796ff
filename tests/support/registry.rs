//! A real CNCF distribution registry (`docker-registry serve`) on a loopback port.

use std::fs::{self, File};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::Seeder;
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
    child: Child,
    port: u16,
    // Storage, configuration and log; removed after the child is gone.
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
        // The port is free when chosen but may be taken before the registry
        // binds it, so a collision is retried with another port.
        for _ in 0..5 {
            let port = free_port();
            let mut child = spawn(&dir, &config(port));
            if wait_ready(&mut child, port, &dir) {
                return Registry { child, port, dir };
            }
        }
        panic!("docker-registry found no free port in 5 attempts");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`, the form image references use.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// A seeder talking to this registry anonymously.
    pub fn seeder(&self) -> Seeder {
        Seeder::new(&self.url())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

fn spawn(dir: &TempDir, yaml: &str) -> Child {
    let config = dir.path().join("config.yml");
    fs::write(&config, yaml).expect("write registry config");
    let log = File::create(dir.path().join("registry.log")).expect("create registry log");
    let spawned = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log handle"))
        .stderr(log)
        .spawn();
    match spawned {
        Ok(child) => child,
        Err(err) if err.kind() == ErrorKind::NotFound => panic!(
            "`docker-registry` is not installed; run `.ci/run` or `apt-get install docker-registry`"
        ),
        Err(err) => panic!("cannot start docker-registry: {err}"),
    }
}

/// Waits until `GET /v2/` answers. False when the port was taken meanwhile
/// (the child has then exited); any other failure panics with the log.
fn wait_ready(child: &mut Child, port: u16, dir: &TempDir) -> bool {
    let log = || fs::read_to_string(dir.path().join("registry.log")).unwrap_or_default();
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("poll docker-registry") {
            let log = log();
            if log.contains("address already in use") {
                return false;
            }
            panic!("docker-registry exited with {status}:\n{log}");
        }
        // An HTTPS registry answers this plain request with 400.
        if matches!(probe_v2(port), Some(200 | 400 | 401)) {
            return true;
        }
        if Instant::now() > deadline {
            stop(child);
            panic!(
                "docker-registry did not answer GET /v2/ within {STARTUP_TIMEOUT:?}:\n{}",
                log()
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
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

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// The status of `GET /v2/`, or `None` while nothing answers. A raw request
/// keeps startup free of the async runtime.
fn probe_v2(port: u16) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let request = format!("GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let _ = stream.shutdown(Shutdown::Write);
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
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
