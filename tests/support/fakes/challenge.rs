//! A registry front that answers everything with 401 and one
//! `WWW-Authenticate` challenge: what a vendor's registry says to a probe.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use tokio::task::JoinHandle;

use super::serve::serve;

pub struct Challenger {
    addr: String,
    task: JoinHandle<()>,
}

impl Challenger {
    pub fn start(challenge: &str) -> Challenger {
        let challenge = challenge.to_string();
        let app = Router::new().fallback(move || {
            let challenge = challenge.clone();
            async move {
                let body =
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, challenge)],
                    body,
                )
                    .into_response()
            }
        });
        let (addr, task) = serve("challenger", |addr| (app, addr.to_string()));
        Challenger { addr, task }
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> String {
        self.addr.clone()
    }
}

impl Drop for Challenger {
    fn drop(&mut self) {
        self.task.abort();
    }
}
