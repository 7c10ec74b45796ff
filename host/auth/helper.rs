//! Docker's credential helper protocol: `docker-credential-NAME get`
//! reads a server URL on stdin and prints `{"ServerURL", "Username",
//! "Secret"}`; `store` reads that JSON; `erase` reads a server URL. Helpers
//! are looked up in, and run with, a given search path, under a deadline.

use super::credential::{Credential, Secret};
use super::error::ConfigError;
use serde::Deserialize;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// Generous, since a credential helper may wait for the user to unlock a
/// keychain, but bounded so that a wedged helper cannot hang berth.
pub const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

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
pub async fn ask_helper(
    name: &str,
    server_url: &str,
    path_var: Option<&OsStr>,
    timeout: Duration,
) -> Result<Option<Credential>, ConfigError> {
    let (program, output) = run(name, "get", server_url, server_url, path_var, timeout).await?;
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

/// Has helper `name` keep `credential` for `server_url`.
pub async fn store(
    name: &str,
    server_url: &str,
    credential: &Credential,
    path_var: Option<&OsStr>,
) -> Result<(), ConfigError> {
    let (username, secret) = match credential {
        Credential::Basic { username, password } => (username.as_str(), password.as_str()),
        Credential::IdentityToken { token, .. } => (TOKEN_USERNAME, token.as_str()),
    };
    let input = serde_json::json!({
        "ServerURL": server_url,
        "Username": username,
        "Secret": secret,
    })
    .to_string();
    let (program, output) =
        run(name, "store", &input, server_url, path_var, HELPER_TIMEOUT).await?;
    succeeded(program, output)
}

/// Has helper `name` forget what it keeps for `server_url`; a helper that
/// keeps nothing for it is not an error.
pub async fn erase(
    name: &str,
    server_url: &str,
    path_var: Option<&OsStr>,
) -> Result<(), ConfigError> {
    let (program, output) = run(
        name,
        "erase",
        server_url,
        server_url,
        path_var,
        HELPER_TIMEOUT,
    )
    .await?;
    if String::from_utf8_lossy(&output.stdout).trim() == HELPER_NOT_FOUND {
        return Ok(());
    }
    succeeded(program, output)
}

fn succeeded(program: String, output: Output) -> Result<(), ConfigError> {
    if output.status.success() {
        return Ok(());
    }
    Err(ConfigError::HelperFailed {
        helper: program,
        status: output.status,
        output: quotable(
            &String::from_utf8_lossy(&output.stdout),
            &String::from_utf8_lossy(&output.stderr),
        ),
    })
}

/// Finds helper `name` and runs it with `action`, `input` on its stdin;
/// returns its program name and what it did.
async fn run(
    name: &str,
    action: &str,
    input: &str,
    server_url: &str,
    path_var: Option<&OsStr>,
    timeout: Duration,
) -> Result<(String, Output), ConfigError> {
    let program = format!("docker-credential-{name}");
    let not_found = || ConfigError::HelperNotFound {
        helper: program.clone(),
    };
    let path_var = path_var.ok_or_else(not_found)?;
    let executable = find_executable(&program, path_var).ok_or_else(not_found)?;
    let talk = Talk {
        program: &program,
        executable: &executable,
        path_var,
        action,
        input,
        server_url,
    };
    let output = run_helper(talk, timeout).await?;
    Ok((program, output))
}

/// One run of a helper.
struct Talk<'a> {
    program: &'a str,
    executable: &'a Path,
    path_var: &'a OsStr,
    action: &'a str,
    input: &'a str,
    /// What it is asked about, for the hint of a timeout.
    server_url: &'a str,
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

/// Runs the helper with its action and input on stdin. A helper still
/// running at `timeout` is killed and then waited for, so that it leaves no
/// zombie behind.
async fn run_helper(talk: Talk<'_>, timeout: Duration) -> Result<Output, ConfigError> {
    let Talk {
        program,
        executable,
        path_var,
        action,
        input,
        server_url,
    } = talk;
    let spawn_error = |error| ConfigError::HelperSpawn {
        helper: program.to_owned(),
        error,
    };
    let mut child = Command::new(executable)
        .arg(action)
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
            let _ = stdin.write_all(input.as_bytes()).await;
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
