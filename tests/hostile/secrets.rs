//! Redaction on every way out: what the plugin logs and returns, its panic
//! message, the junk it returns, and request URLs at `-vv`.

use super::{NAMED, Server, hostile, log_in, misbehave, sandbox};

const PASSWORD: &str = "operator-password-123";
const KEY: &str = "option-secret-456";

/// Nothing of `secrets` on either stream.
fn assert_hidden(out: &crate::support::Output, secrets: &[&str]) {
    for secret in secrets {
        for (name, stream) in [("stdout", out.stdout_str()), ("stderr", out.stderr_str())] {
            assert!(!stream.contains(secret), "{secret} on {name}: {stream}");
        }
    }
}

#[test]
fn the_target_secret_is_redacted_from_what_the_plugin_says() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    log_in(&sandbox, &target.addr, PASSWORD);
    let (code, err, _) = misbehave(
        &sandbox,
        &dir,
        &format!("{}/x", target.addr),
        "leak",
        &["-v"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("the secret is <redacted>"), "{err}");
    assert!(err.contains("leaking <redacted>"), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
}

#[test]
fn a_panic_message_loses_the_credential_and_secret_options() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    log_in(&sandbox, &target.addr, PASSWORD);
    // The plugin reads the operator's credential, hands the host another,
    // and panics with the first and with its secret option.
    let out = hostile(sandbox.berth(), &dir, "panic-secret")
        .args(["--opt", &format!("key={KEY}"), "-vv"])
        .args(["tags", "ls", &format!("{}/x", target.addr)])
        .run();
    let err = out.failure();
    assert!(err.contains(&format!("{NAMED} crashed")), "{err}");
    assert!(
        err.contains("credential <redacted> key <redacted>"),
        "{err}"
    );
    assert_hidden(&out, &[PASSWORD, KEY]);
}

#[test]
fn junk_that_carries_a_secret_is_redacted_in_the_error() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    log_in(&sandbox, &target.addr, PASSWORD);
    let out = hostile(sandbox.berth(), &dir, "secret-tag")
        .args(["--opt", &format!("key={KEY}")])
        .args(["tags", "ls", &format!("{}/x", target.addr)])
        .run();
    let err = out.failure();
    assert!(
        err.contains("returned an invalid tag name \"leak <redacted> <redacted>\""),
        "{err}"
    );
    assert_hidden(&out, &[PASSWORD, KEY]);
}

#[test]
fn a_token_in_a_request_url_is_redacted_at_vv() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let out = hostile(sandbox.berth(), &dir, "token-url")
        .args(["--opt", &format!("key={KEY}"), "-vv"])
        .args(["tags", "ls", &format!("{}/x", target.addr)])
        .run();
    out.success();
    let err = out.stderr_str();
    // The host's own log of the request, and the plugin's of the answer.
    assert!(
        err.contains(&format!(
            "HTTP GET http://{}/v2/?access_token=<redacted> -> 200",
            target.addr
        )),
        "{err}"
    );
    assert!(err.contains("asked http://"), "{err}");
    assert_hidden(&out, &[KEY]);
    assert!(
        target.seen().iter().any(|l| l.contains(KEY)),
        "the request itself carried the token"
    );
}
