//! Runs the `berth` binary in an isolated environment.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// Variables a run inherits; everything else (`DOCKER_CONFIG`, `BERTH_*`,
/// proxies, the developer's XDG directories) is dropped.
const INHERITED: &[&str] = &["PATH", "TMPDIR", "RUST_BACKTRACE", "LLVM_PROFILE_FILE"];
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// `berth` in a fresh sandbox of its own.
pub fn berth() -> BerthCommand {
    Sandbox::new().berth()
}

/// A home directory, with the XDG directories inside it, that several runs
/// can share (to log in once and then list, or to keep a cache). Runs start
/// in this directory.
#[derive(Clone)]
pub struct Sandbox {
    home: Arc<TempDir>,
    /// `BERTH_CACHE_DIR`, when compiled plugins are kept outside the home.
    plugin_cache: Option<PathBuf>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox {
            home: Arc::new(tempfile::tempdir().expect("create a sandbox")),
            plugin_cache: None,
        }
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::default()
    }

    /// A sandbox whose runs share compiled plugins with every such sandbox,
    /// in this and later test runs: compiling a plugin costs a cold run more
    /// than the rest of it. The cache is keyed by the plugin's bytes and the
    /// engine, so a stale entry is never used.
    pub fn with_compiled_plugins() -> Sandbox {
        Sandbox {
            plugin_cache: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("compiled-plugins")),
            ..Sandbox::default()
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// `XDG_CACHE_HOME`.
    pub fn cache_dir(&self) -> PathBuf {
        self.home().join(".cache")
    }

    /// `XDG_CONFIG_HOME`.
    pub fn config_dir(&self) -> PathBuf {
        self.home().join(".config")
    }

    pub fn berth(&self) -> BerthCommand {
        self.command(env!("CARGO_BIN_EXE_berth"))
    }

    /// Any program in this sandbox's environment.
    pub fn command(&self, program: impl AsRef<OsStr>) -> BerthCommand {
        let mut command = Command::new(program);
        command.env_clear().current_dir(self.home());
        for name in INHERITED {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .env("HOME", self.home())
            .env("XDG_CACHE_HOME", self.cache_dir())
            .env("XDG_CONFIG_HOME", self.config_dir())
            .env("XDG_DATA_HOME", self.home().join(".local/share"))
            .env("XDG_STATE_HOME", self.home().join(".local/state"));
        if let Some(dir) = &self.plugin_cache {
            command.env("BERTH_CACHE_DIR", dir);
        }
        BerthCommand {
            command,
            stdin: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            _sandbox: self.clone(),
        }
    }
}

/// A command to run once.
pub struct BerthCommand {
    command: Command,
    stdin: Vec<u8>,
    timeout: Duration,
    // Keeps the home directory alive until the run is over.
    _sandbox: Sandbox,
}

impl BerthCommand {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> BerthCommand {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> BerthCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> BerthCommand {
        self.command.env(key, value);
        self
    }

    /// Bytes written to standard input, which is otherwise empty.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> BerthCommand {
        self.stdin = bytes.into();
        self
    }

    /// How long the run may take before it is killed and the test fails
    /// (60 s unless set).
    pub fn timeout(mut self, timeout: Duration) -> BerthCommand {
        self.timeout = timeout;
        self
    }

    /// Runs to the end and returns what the run left.
    pub fn run(self) -> Output {
        self.spawn().wait()
    }

    /// Starts the run and returns at once.
    pub fn spawn(mut self) -> Running {
        let program: OsString = self.command.get_program().to_owned();
        let mut child = self
            .command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", program.display()));
        // Pipes are drained on threads so a chatty child never blocks.
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = std::mem::take(&mut self.stdin);
        let writer = thread::spawn(move || {
            // A child that exits without reading closes the pipe; that is fine.
            let _ = stdin.write_all(&input);
        });
        Running {
            stdout: drain(child.stdout.take().expect("stdout is piped")),
            stderr: drain(child.stderr.take().expect("stderr is piped")),
            child,
            writer,
            program,
            started: Instant::now(),
            timeout: self.timeout,
            _sandbox: self._sandbox,
        }
    }
}

/// A run under way.
pub struct Running {
    child: Child,
    writer: thread::JoinHandle<()>,
    stdout: thread::JoinHandle<Vec<u8>>,
    stderr: thread::JoinHandle<Vec<u8>>,
    program: OsString,
    started: Instant,
    /// How long before the run is killed and the test fails.
    timeout: Duration,
    _sandbox: Sandbox,
}

impl Running {
    /// Interrupts the run as Ctrl-C does (SIGINT).
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -INT failed");
    }

    /// Kills the run outright (SIGKILL): nothing of berth runs after it.
    pub fn kill(&self) {
        let status = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -KILL failed");
    }

    /// Waits for the end of the run and returns what it left.
    pub fn wait(mut self) -> Output {
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the child") {
                break status;
            }
            if self.started.elapsed() > self.timeout {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let stderr = self.stderr.join().expect("read stderr");
                panic!(
                    "{} did not finish within {:?}; stderr:\n{}",
                    self.program.display(),
                    self.timeout,
                    String::from_utf8_lossy(&stderr)
                );
            }
            thread::sleep(Duration::from_millis(5));
        };
        self.writer.join().expect("write stdin");
        Output {
            status,
            stdout: self.stdout.join().expect("read stdout"),
            stderr: self.stderr.join().expect("read stderr"),
        }
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// What a run left behind.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The exit code; panics if a signal ended the process.
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("killed by a signal\n{}", self.describe()))
    }

    /// Panics, showing both streams, unless the exit code is 0.
    pub fn success(&self) -> &Output {
        assert!(
            self.status.success(),
            "expected success\n{}",
            self.describe()
        );
        self
    }

    /// Panics, showing both streams, unless the run failed with exit code 1
    /// (what every refusal exits with); returns stderr.
    pub fn failure(&self) -> String {
        assert_eq!(
            self.status.code(),
            Some(1),
            "expected exit 1\n{}",
            self.describe()
        );
        self.stderr_str()
    }

    /// Whether stderr has a `hint:` line that says `needle`.
    pub fn has_hint(&self, needle: &str) -> bool {
        self.stderr_str()
            .lines()
            .any(|l| l.starts_with("hint: ") && l.contains(needle))
    }

    /// Standard output's lines, sorted: listings come in the registry's order.
    pub fn sorted_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.stdout_str().lines().map(String::from).collect();
        lines.sort();
        lines
    }

    /// Standard output parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err})\n{}", self.describe()))
    }

    fn describe(&self) -> String {
        format!(
            "status: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout_str(),
            self.stderr_str()
        )
    }
}
