//! The plugin's sandbox: deadline, memory cap, crashes, oversized results,
//! network grants, the filesystem, environment and sockets it does not get.

use super::{NAMED, Server, healthy, misbehave, sandbox};
use std::time::Duration;

#[test]
fn endless_loop_hits_the_deadline() {
    let (sandbox, dir) = sandbox(None);
    let server = Server::start(None);
    let (code, err, elapsed) =
        misbehave(&sandbox, &dir, &format!("{}/x", server.addr), "loop", &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("{NAMED} did not finish within 3 s")),
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
        err.contains(&format!("{NAMED} exceeded its memory limit")),
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
    assert!(err.contains(&format!("{NAMED} crashed")), "{err}");
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
    assert!(err.contains(NAMED), "{err}");
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
