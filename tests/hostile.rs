//! A real misbehaving component (plugins/fixtures/hostile) must end in a
//! clear error naming it, within the deadline, leak nothing, and leave
//! berth working.

use crate::support::{Registry, RegistryOptions, Sandbox};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A bare HTTP server: `/redirect` sends the client to `peer`, `/slow`
/// trickles a byte a second, anything else is `200 {}`. It records the
/// request lines and headers it saw.
struct Server {
    addr: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(peer: Option<String>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                let peer = peer.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut head = Vec::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        head.push(line.trim_end().to_string());
                    }
                    let first = head.first().cloned().unwrap_or_default();
                    log.lock().unwrap().extend(head);
                    let mut stream = stream;
                    if first.contains(" /redirect ") {
                        let to = peer.unwrap_or_default();
                        let _ = write!(
                            stream,
                            "HTTP/1.1 302 Found\r\nLocation: {to}/v2/\r\nContent-Length: 0\r\n\r\n"
                        );
                    } else if first.contains(" /slow ") {
                        let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
                        for _ in 0..1000 {
                            if stream.write_all(b"x").and_then(|_| stream.flush()).is_err() {
                                break;
                            }
                            std::thread::sleep(Duration::from_secs(1));
                        }
                    } else {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
                        );
                    }
                });
            }
        });
        Server { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn hostile_wasm() -> Vec<u8> {
    crate::support::built_plugin("berth_plugin_hostile.wasm")
}

/// A sandbox whose plugin directory holds the hostile plugin, optionally
/// with a catalog entry for it.
fn sandbox(catalog: Option<&str>) -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hostile.wasm"), hostile_wasm()).unwrap();
    if let Some(catalog) = catalog {
        std::fs::write(dir.join("plugin-registry.toml"), catalog).unwrap();
    }
    (sandbox, dir.to_str().unwrap().to_string())
}

/// Runs the hostile plugin in `mode` against `repo`; returns stderr and the
/// exit code, and checks that berth still works afterwards.
fn misbehave(
    sandbox: &Sandbox,
    dir: &str,
    repo: &str,
    mode: &str,
    extra: &[&str],
) -> (i32, String, Duration) {
    let started = Instant::now();
    let out = sandbox
        .berth()
        .args([
            "--plugin-dir",
            dir,
            "--provider",
            "hostile",
            "--plugin-timeout",
            "3s",
            "--timeout",
            "2s",
        ])
        .args(["--opt", &format!("mode={mode}")])
        .args(extra)
        .args(["tags", "ls", repo])
        .timeout(Duration::from_secs(60))
        .run();
    let elapsed = started.elapsed();
    let stderr = out.stderr_str();
    assert!(stderr.contains("berth: error: "), "{mode}: {stderr}");
    assert!(
        !stderr.contains("panicked at"),
        "{mode}: the host panicked: {stderr}"
    );
    (out.code(), stderr, elapsed)
}

fn healthy(sandbox: &Sandbox, dir: &str) {
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().seed_tags("ok", 2);
    let out = sandbox
        .berth()
        .args([
            "--plugin-dir",
            dir,
            "tags",
            "ls",
            &format!("{}/ok", registry.addr()),
        ])
        .run();
    assert_eq!(out.success().stdout_str().lines().count(), 2);
}

#[test]
fn endless_loop_hits_the_deadline() {
    let (sandbox, dir) = sandbox(None);
    let server = Server::start(None);
    let (code, err, elapsed) =
        misbehave(&sandbox, &dir, &format!("{}/x", server.addr), "loop", &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("plugin hostile 0.1.0 did not finish within 3 s"),
        "{err}"
    );
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    healthy(&sandbox, &dir);
}

#[test]
fn unbounded_memory_hits_the_cap() {
    let (sandbox, dir) = sandbox(None);
    let server = Server::start(None);
    let (code, err, _) = misbehave(&sandbox, &dir, &format!("{}/x", server.addr), "memory", &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("plugin hostile 0.1.0 exceeded its memory limit"),
        "{err}"
    );
    healthy(&sandbox, &dir);
}

#[test]
fn panic_is_reported_with_its_message() {
    let (sandbox, dir) = sandbox(None);
    let server = Server::start(None);
    let (code, err, _) = misbehave(&sandbox, &dir, &format!("{}/x", server.addr), "panic", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("plugin hostile 0.1.0 crashed"), "{err}");
    assert!(err.contains("panics on purpose"), "{err}");
    healthy(&sandbox, &dir);
}

#[test]
fn oversized_results_are_refused() {
    let (sandbox, dir) = sandbox(None);
    let server = Server::start(None);
    let repo = format!("{}/x", server.addr);
    // Ten million tags do not fit in the plugin's memory.
    let (code, err, _) = misbehave(&sandbox, &dir, &repo, "huge-page", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("plugin hostile 0.1.0"), "{err}");
    let (code, err, _) = misbehave(&sandbox, &dir, &repo, "many-tags", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("returned a page of 200000 tags"), "{err}");
    let (code, err, _) = misbehave(&sandbox, &dir, &repo, "huge-string", &[]);
    assert_eq!(code, 1);
    assert!(
        err.len() < 4000,
        "a 100 MB message is cut: {} bytes",
        err.len()
    );
    let (code, err, _) = misbehave(&sandbox, &dir, &repo, "bad-tag", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("returned an invalid tag name"), "{err}");
    assert!(!err.contains('\u{1b}'), "no terminal escapes pass through");
    healthy(&sandbox, &dir);
}

#[test]
fn hosts_not_granted_are_refused_directly_and_through_redirects() {
    let peer = Server::start(None);
    let target = Server::start(Some(peer.url()));
    let (sandbox, dir) = sandbox(None);
    let repo = format!("{}/x", target.addr);
    let peer_opt = format!("peer={}", peer.url());
    let (code, err, _) = misbehave(&sandbox, &dir, &repo, "peer", &["--opt", &peer_opt]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("may not reach {}", peer.addr)),
        "{err}"
    );
    assert!(
        err.contains("plugin-registry.toml"),
        "the error names where to grant it: {err}"
    );
    let (code, err, _) = misbehave(&sandbox, &dir, &repo, "redirect", &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("may not reach {}", peer.addr)),
        "{err}"
    );
    assert!(
        peer.seen().is_empty(),
        "the peer was never contacted: {:?}",
        peer.seen()
    );
    assert!(target.seen().iter().any(|l| l.starts_with("GET /redirect")));
}

#[test]
fn another_registrys_credentials_are_never_sent() {
    let peer = Server::start(None);
    let target = Server::start(None);
    // The peer is granted, so the request goes out; it must carry nothing.
    let catalog = format!(
        "[[plugin]]\nname = \"hostile\"\nfile = \"hostile.wasm\"\nhosts = [\"{}\"]\n",
        peer.addr
    );
    let (sandbox, dir) = sandbox(Some(&catalog));
    let config = sandbox.home().join(".docker");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.json"),
        serde_json::json!({"auths": {
            peer.addr.clone(): {"username": "peer-user", "password": "peer-password-123"},
            target.addr.clone(): {"username": "me", "password": "target-password-456"},
        }})
        .to_string(),
    )
    .unwrap();
    let out = sandbox
        .berth()
        .args([
            "--plugin-dir",
            &dir,
            "--provider",
            "hostile",
            "--opt",
            "mode=peer",
        ])
        .args([
            "--opt",
            &format!("peer={}", peer.url()),
            "-vv",
            "tags",
            "ls",
            &format!("{}/x", target.addr),
        ])
        .run();
    out.success();
    let seen = peer.seen();
    assert!(seen.iter().any(|l| l.starts_with("GET /v2/")), "{seen:?}");
    assert!(
        !seen
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("authorization")),
        "{seen:?}"
    );
    assert!(
        !out.stderr_str().contains("password"),
        "{}",
        out.stderr_str()
    );
}

#[test]
fn the_target_secret_is_redacted_from_what_the_plugin_says() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let config = sandbox.home().join(".docker");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.json"),
        serde_json::json!({"auths": {target.addr.clone(): {"username": "me", "password": "target-password-456"}}}).to_string(),
    )
    .unwrap();
    let (code, err, _) = misbehave(
        &sandbox,
        &dir,
        &format!("{}/x", target.addr),
        "leak",
        &["-v"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("<redacted>"), "{err}");
    assert!(!err.contains("target-password-456"), "{err}");
}

#[test]
fn no_filesystem_environment_or_sockets() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let repo = format!("{}/x", target.addr);
    let (_, err, _) = misbehave(&sandbox, &dir, &repo, "fs", &[]);
    assert!(err.contains("fs: refused"), "{err}");
    let out = sandbox
        .berth()
        .env("SECRET_SAUCE", "ketchup")
        .args([
            "--plugin-dir",
            &dir,
            "--provider",
            "hostile",
            "--opt",
            "mode=env",
            "tags",
            "ls",
            &repo,
        ])
        .run();
    assert!(
        out.stderr_str().contains("env: 0 variables"),
        "{}",
        out.stderr_str()
    );
    let peer = format!("peer={}", target.url());
    let (_, err, _) = misbehave(&sandbox, &dir, &repo, "socket", &["--opt", &peer]);
    assert!(err.contains("socket: refused"), "{err}");
    assert_eq!(
        target.seen().len(),
        0,
        "no connection reached the server: {:?}",
        target.seen()
    );
}

#[test]
fn trickling_server_ends_within_the_deadline() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let (code, err, elapsed) = misbehave(
        &sandbox,
        &dir,
        &format!("{}/x", target.addr),
        "trickle",
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("no answer within 2 s") || err.contains("did not finish within 3 s"),
        "{err}"
    );
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    healthy(&sandbox, &dir);
}
