//! One logical request: grants on every hop, the registry's authentication,
//! bounded retries on throttling, 5xx and resets, and a capped body.

use super::retry::{backoff, retry_after};
use super::{Client, Grants, NetError, Request, Response};
use crate::auth::RegistryAuth;
use crate::log;
use reqwest::header::{AUTHORIZATION, HeaderMap, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, Url};
use std::time::Instant;

const MAX_REDIRECTS: u32 = 10;

impl Client {
    /// Sends `request`. `grants` limits where it may go (none for berth's own
    /// requests); `auth` answers the target registry's challenges.
    pub async fn send(
        &self,
        request: Request,
        grants: Option<&Grants>,
        auth: Option<&RegistryAuth>,
    ) -> Result<Response, NetError> {
        let Request {
            mut method,
            mut url,
            mut headers,
            mut body,
        } = request;
        let origin = super::host_port(&url);
        let own_authorization = headers.contains_key(AUTHORIZATION);
        let mut attempt = 0;
        let mut redirects = 0;
        let mut challenged = false;
        loop {
            if let Some(grants) = grants {
                grants.check(&url)?;
            }
            let auth = auth.filter(|a| !own_authorization && a.serves(&url));
            let mut sent_headers = headers.clone();
            if let Some(auth) = auth
                && let Some(value) = auth.authorization(self, &method, &url).await?
            {
                sent_headers.insert(AUTHORIZATION, value);
            }
            let started = Instant::now();
            let sent = self.once(&method, &url, sent_headers, &body).await;
            let elapsed = started.elapsed().as_millis();
            let response = match sent {
                Ok(response) => response,
                Err(err) => {
                    log::debug(&format!(
                        "HTTP {method} {url} failed after {elapsed} ms: {err}"
                    ));
                    if attempt < self.config.retries && is_transient(&err) {
                        tokio::time::sleep(backoff(attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = response.status().as_u16();
            log::debug(&format!("HTTP {method} {url} -> {status} ({elapsed} ms)"));

            if status == 401
                && !challenged
                && let Some(auth) = auth
            {
                let challenges = header_values(response.headers(), WWW_AUTHENTICATE);
                if auth.challenged(self, &method, &url, &challenges).await? {
                    challenged = true;
                    continue;
                }
            }
            if attempt < self.config.retries {
                let wait = match status {
                    429 | 503 => Some(retry_after(response.headers()).unwrap_or(backoff(attempt))),
                    500 | 502 | 504 => Some(backoff(attempt)),
                    _ => None,
                };
                if let Some(wait) = wait.filter(|w| *w <= self.config.max_retry_wait) {
                    log::debug(&format!(
                        "HTTP {status} from {url}: retrying in {} ms",
                        wait.as_millis()
                    ));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
            }
            if matches!(status, 301 | 302 | 303 | 307 | 308)
                && let Some(next) = redirect_target(&url, response.headers())
            {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(NetError::Transport {
                        url: url.to_string(),
                        message: format!("more than {MAX_REDIRECTS} redirects"),
                    });
                }
                if status == 303 || (status != 307 && status != 308 && method == Method::POST) {
                    method = Method::GET;
                    body.clear();
                }
                if super::host_port(&next) != origin {
                    strip_credentials(&mut headers);
                }
                url = next;
                continue;
            }
            let headers = response.headers().clone();
            let body = self.read_body(&url, response).await?;
            return Ok(Response {
                status,
                headers,
                body,
                url,
                retried: attempt > 0,
            });
        }
    }

    async fn once(
        &self,
        method: &Method,
        url: &Url,
        headers: HeaderMap,
        body: &[u8],
    ) -> Result<reqwest::Response, NetError> {
        let mut request = self
            .inner
            .request(method.clone(), url.clone())
            .headers(headers);
        if !body.is_empty() || matches!(*method, Method::PUT | Method::POST | Method::PATCH) {
            request = request.body(body.to_vec());
        }
        let timeout = self.config.timeout;
        match tokio::time::timeout(timeout, request.send()).await {
            Err(_) => Err(NetError::Timeout {
                url: url.to_string(),
                secs: timeout.as_secs(),
            }),
            Ok(Err(e)) if refused_certificate(&e) => Err(NetError::Certificate {
                url: url.to_string(),
                message: describe(&e),
            }),
            Ok(Err(e)) => Err(NetError::Transport {
                url: url.to_string(),
                message: describe(&e),
            }),
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// Reads the body within the size cap and the request timeout, so a server
    /// that trickles bytes cannot hold berth.
    async fn read_body(
        &self,
        url: &Url,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, NetError> {
        let limit = self.config.max_body;
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(NetError::TooLarge {
                url: url.to_string(),
                limit,
            });
        }
        let read = async {
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| NetError::Transport {
                url: url.to_string(),
                message: describe(&e),
            })? {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err(NetError::TooLarge {
                        url: url.to_string(),
                        limit,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        tokio::time::timeout(self.config.timeout, read)
            .await
            .unwrap_or_else(|_| {
                Err(NetError::Timeout {
                    url: url.to_string(),
                    secs: self.config.timeout.as_secs(),
                })
            })
    }
}

fn header_values(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok().map(String::from))
        .collect()
}

fn redirect_target(url: &Url, headers: &HeaderMap) -> Option<Url> {
    let location = headers.get(LOCATION)?.to_str().ok()?;
    url.join(location).ok()
}

/// A plugin's own credentials go only to the host it addressed.
fn strip_credentials(headers: &mut HeaderMap) {
    for name in [
        "authorization",
        "proxy-authorization",
        "cookie",
        "private-token",
        "job-token",
        "x-api-key",
    ] {
        headers.remove(name);
    }
}

fn is_transient(err: &NetError) -> bool {
    matches!(err, NetError::Transport { .. } | NetError::Timeout { .. })
}

/// Whether TLS verification refused the server's certificate.
fn refused_certificate(err: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        // rustls's error arrives wrapped in io::Errors, whose `source` skips
        // what they wrap; `get_ref` does not.
        cause = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

/// The innermost cause reads best ("connection refused", "certificate ...").
fn describe(err: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = err;
    while let Some(next) = source.source() {
        source = next;
    }
    let inner = source.to_string();
    if err.is_connect() {
        format!("cannot connect: {inner}")
    } else {
        inner
    }
}
