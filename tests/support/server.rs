//! A server process the tests start on a free loopback port: its output goes
//! to a log, it is started again on another port when its port was taken
//! meanwhile, and it is ready once a plain `GET` gets the answer it should.

use std::fs::{self, File};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How to start one kind of server and tell that it is up.
pub struct Launch<'a> {
    /// The program's name, in panics.
    pub program: &'a str,
    /// What to do when the program is missing.
    pub install: &'a str,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    /// The path of the readiness `GET`, and whether a status means ready.
    pub probe: &'a str,
    pub ready: fn(u16) -> bool,
    pub ready_within: Duration,
}

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Launch<'_> {
    /// Starts `command(port)` on a free port and waits until it is ready.
    pub fn start(&self, command: impl Fn(u16) -> Command) -> Server {
        // The port is free when chosen but may be taken before the server
        // binds it, so a collision is retried with another port.
        for _ in 0..5 {
            let port = free_port();
            let mut child = self.spawn(command(port));
            if self.wait_ready(&mut child, port) {
                return Server { child, port };
            }
        }
        panic!("{} found no free port in 5 attempts", self.program);
    }

    fn spawn(&self, mut command: Command) -> Child {
        let log = File::create(&self.log).expect("create a server log");
        let spawned = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .spawn();
        match spawned {
            Ok(child) => child,
            Err(err) if err.kind() == ErrorKind::NotFound => {
                panic!("`{}` is not installed; {}", self.program, self.install)
            }
            Err(err) => panic!("cannot start {}: {err}", self.program),
        }
    }

    /// False when the port was taken meanwhile (the child has then exited);
    /// any other failure panics with the log.
    fn wait_ready(&self, child: &mut Child, port: u16) -> bool {
        let log = || fs::read_to_string(&self.log).unwrap_or_default();
        let deadline = Instant::now() + self.ready_within;
        loop {
            if let Some(status) = child.try_wait().expect("poll a server") {
                let log = log();
                if log.to_ascii_lowercase().contains("address already in use") {
                    return false;
                }
                panic!("{} exited with {status}:\n{log}", self.program);
            }
            if status(port, self.probe).is_some_and(self.ready) {
                return true;
            }
            if Instant::now() > deadline {
                stop(child);
                panic!(
                    "{} did not answer GET {} within {:?}:\n{}",
                    self.program,
                    self.probe,
                    self.ready_within,
                    log()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// The status of `GET path`, or `None` while nothing answers. A raw request
/// keeps start-up free of the async runtime.
fn status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let _ = stream.shutdown(Shutdown::Write);
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    if !head.starts_with(b"HTTP/") {
        return None;
    }
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
