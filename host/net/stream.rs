//! Bodies too large to hold: a response read part by part, and a request
//! whose body is a stream. Memory stays bounded whatever the blob's size.

use super::send::describe;
use super::{Client, Grants, NetError, Response, redact};
use crate::auth::RegistryAuth;
use crate::log;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use reqwest::{Method, Url};
use std::time::Duration;

/// An answer whose body has not been read yet.
pub struct Opened {
    pub status: u16,
    pub headers: HeaderMap,
    /// The URL that answered, after redirects.
    pub url: Url,
    pub shown: String,
    pub timeout: Duration,
    pub response: reqwest::Response,
}

impl Opened {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The next part of the body, `None` at its end. A server that sends
    /// nothing for a whole request timeout is given up on.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, NetError> {
        match tokio::time::timeout(self.timeout, self.response.chunk()).await {
            Err(_) => Err(NetError::Timeout {
                url: self.shown.clone(),
                secs: self.timeout.as_secs(),
            }),
            Ok(Err(e)) => Err(NetError::Transport {
                url: self.shown.clone(),
                message: describe(&e),
            }),
            Ok(Ok(chunk)) => Ok(chunk),
        }
    }

    /// The whole (small) body, for an error answer.
    pub async fn into_response(mut self) -> Response {
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = self.chunk().await {
            if body.len() + chunk.len() > 64 << 10 {
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Response {
            status: self.status,
            headers: self.headers,
            body,
            url: self.url,
            retried: false,
        }
    }
}

impl Client {
    /// Sends `body`, a stream that can be sent once: one attempt, no
    /// redirect followed. A throttled answer still pauses the host's other
    /// requests; the caller decides whether to start over.
    pub async fn send_stream(
        &self,
        method: Method,
        url: Url,
        headers: HeaderMap,
        body: reqwest::Body,
        grants: Option<&Grants>,
        auth: Option<&RegistryAuth>,
    ) -> Result<Response, NetError> {
        if let Some(grants) = grants {
            grants.check(&url)?;
        }
        let mut sent_headers = headers;
        if let Some(auth) = auth.filter(|a| a.serves(&url))
            && let Some(value) = auth.authorization(self, &method, &url).await?
        {
            sent_headers.insert(AUTHORIZATION, value);
        }
        let shown = redact::url(&url);
        let permit = self
            .limiters
            .get(&super::host_port(&url))
            .acquire(true)
            .await;
        let sent = self
            .inner
            .request(method.clone(), url.clone())
            .headers(sent_headers)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                drop(permit);
                log::debug(&format!("HTTP {method} {shown} failed: {}", describe(&e)));
                return Err(NetError::Transport {
                    url: shown,
                    message: describe(&e),
                });
            }
        };
        let status = response.status().as_u16();
        log::debug(&format!("HTTP {method} {shown} -> {status}"));
        permit.answered(status, response.headers(), super::retry::backoff(0));
        let opened = Opened {
            status,
            headers: response.headers().clone(),
            url,
            shown,
            timeout: self.config.timeout,
            response,
        };
        Ok(opened.into_response().await)
    }
}
