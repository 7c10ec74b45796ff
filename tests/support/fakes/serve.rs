//! Where a fake runs: a free loopback port, served from the shared runtime.

use std::net::SocketAddr;

use axum::Router;
use tokio::task::JoinHandle;

use super::super::runtime;

/// Binds a free loopback port and serves the app `build` makes for that
/// address (a fake often names itself in its answers). Returns what `build`
/// returns beside the app, and the task to abort when the fake stops.
pub fn serve<T>(
    what: &'static str,
    build: impl FnOnce(SocketAddr) -> (Router, T),
) -> (T, JoinHandle<()>) {
    let listener = runtime()
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap_or_else(|err| panic!("bind the {what}: {err}"));
    let addr = listener.local_addr().expect("local address");
    let (app, built) = build(addr);
    let task = runtime().spawn(async move {
        axum::serve(listener, app)
            .await
            .unwrap_or_else(|err| panic!("serve the {what}: {err}"));
    });
    (built, task)
}
