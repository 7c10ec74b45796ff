//! One logical request: grants on every hop, the host's rate limiter, the
//! registry's authentication, bounded retries on throttling, 5xx and resets,
//! and a capped body.

use super::retry::backoff;
use super::{BodyBudget, Client, Grants, NetError, Opened, Request, Response, redact};
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
        self.send_with(request, grants, auth, None).await
    }

    /// Like `send`, and the body is also charged to `budget`, which the
    /// bodies of one plugin call share.
    pub async fn send_with(
        &self,
        request: Request,
        grants: Option<&Grants>,
        auth: Option<&RegistryAuth>,
        budget: Option<&BodyBudget>,
    ) -> Result<Response, NetError> {
        let (response, url, retried) = self.exchange(request, grants, auth).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = self.read_body(&redact::url(&url), response, budget).await?;
        Ok(Response {
            status,
            headers,
            body,
            url,
            retried,
        })
    }

    /// Like `send`, but the body is left to the caller to read as it
    /// arrives (a blob), each part within the request timeout.
    pub async fn open(
        &self,
        request: Request,
        grants: Option<&Grants>,
        auth: Option<&RegistryAuth>,
    ) -> Result<Opened, NetError> {
        let (response, url, _) = self.exchange(request, grants, auth).await?;
        Ok(Opened {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            shown: redact::url(&url),
            url,
            timeout: self.config.timeout,
            response,
        })
    }

    /// The request's final answer, its body unread: after authentication,
    /// bounded retries and redirects. Also says whether an earlier attempt
    /// may have been acted on.
    async fn exchange(
        &self,
        request: Request,
        grants: Option<&Grants>,
        auth: Option<&RegistryAuth>,
    ) -> Result<(reqwest::Response, Url, bool), NetError> {
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
        // Whether an attempt may have been acted on before the one that
        // answered: a lost connection or a 5xx may have been, a 429 was not.
        let mut doubtful = false;
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
            let authorized = sent_headers.contains_key(AUTHORIZATION);
            let shown = redact::url(&url);
            let permit = self
                .limiters
                .get(&super::host_port(&url))
                .acquire(!matches!(method, Method::GET | Method::HEAD))
                .await;
            let started = Instant::now();
            let sent = self.once(&method, &url, sent_headers, &body).await;
            let elapsed = started.elapsed().as_millis();
            let response = match sent {
                Ok(response) => response,
                Err(err) => {
                    drop(permit);
                    log::debug(&format!(
                        "HTTP {method} {shown} failed after {elapsed} ms: {err}"
                    ));
                    if attempt < self.config.retries && is_transient(&err) {
                        tokio::time::sleep(backoff(attempt)).await;
                        attempt += 1;
                        doubtful = true;
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = response.status().as_u16();
            log::debug(&format!("HTTP {method} {shown} -> {status} ({elapsed} ms)"));
            // A throttle pauses every request to the host in the limiter, so
            // the retry below waits there; other failures wait on their own.
            let throttled = permit.answered(status, response.headers(), backoff(attempt));

            if status == 401
                && !challenged
                && let Some(auth) = auth
            {
                let challenges = header_values(response.headers(), WWW_AUTHENTICATE);
                if auth
                    .challenged(self, &method, &url, &challenges, authorized)
                    .await?
                {
                    challenged = true;
                    continue;
                }
            }
            if attempt < self.config.retries {
                let wait = match (status, throttled) {
                    (_, Some(wait)) => Some((wait, false)),
                    (500 | 502 | 503 | 504, None) => Some((backoff(attempt), true)),
                    _ => None,
                };
                if let Some((wait, alone)) = wait.filter(|(w, _)| *w <= self.config.max_retry_wait)
                {
                    log::debug(&format!(
                        "HTTP {status} from {shown}: retrying in {} ms",
                        wait.as_millis()
                    ));
                    if alone {
                        tokio::time::sleep(wait).await;
                    }
                    attempt += 1;
                    doubtful |= status != 429;
                    continue;
                }
            }
            if matches!(status, 301 | 302 | 303 | 307 | 308)
                && let Some(next) = redirect_target(&url, response.headers())
            {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(NetError::Transport {
                        url: shown,
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
            return Ok((response, url, doubtful));
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
                url: redact::url(url),
                secs: timeout.as_secs(),
            }),
            Ok(Err(e)) if refused_certificate(&e) => Err(NetError::Certificate {
                url: redact::url(url),
                message: describe(&e),
            }),
            Ok(Err(e)) => Err(NetError::Transport {
                url: redact::url(url),
                message: describe(&e),
            }),
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// Reads the body within the size cap, the budget if any (charged with
    /// the headers too), and the request timeout, so that a server that
    /// trickles bytes cannot hold berth.
    async fn read_body(
        &self,
        shown: &str,
        mut response: reqwest::Response,
        budget: Option<&BodyBudget>,
    ) -> Result<Vec<u8>, NetError> {
        let limit = self.config.max_body;
        let too_large = |limit, shared| NetError::TooLarge {
            url: shown.to_string(),
            limit,
            shared,
        };
        let announced = response.content_length().unwrap_or(0);
        if announced > limit {
            return Err(too_large(limit, false));
        }
        // The headers are held with the body, and can be as large.
        let head: u64 = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().len() + value.len()) as u64)
            .sum();
        if let Some(budget) = budget
            && announced + head > budget.left()
        {
            return Err(too_large(budget.limit(), true));
        }
        let mut charge = budget.map(BodyBudget::charge);
        if let Some(charge) = &mut charge
            && !charge.take(head)
        {
            return Err(too_large(charge.limit(), true));
        }
        let read = async {
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| NetError::Transport {
                url: shown.to_string(),
                message: describe(&e),
            })? {
                let n = chunk.len() as u64;
                if body.len() as u64 + n > limit {
                    return Err(too_large(limit, false));
                }
                if let Some(charge) = &mut charge
                    && !charge.take(n)
                {
                    return Err(too_large(charge.limit(), true));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        let body = tokio::time::timeout(self.config.timeout, read)
            .await
            .unwrap_or_else(|_| {
                Err(NetError::Timeout {
                    url: shown.to_string(),
                    secs: self.config.timeout.as_secs(),
                })
            })?;
        if let Some(charge) = charge {
            charge.keep();
        }
        Ok(body)
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
pub(super) fn refused_certificate(err: &reqwest::Error) -> bool {
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
pub(super) fn describe(err: &reqwest::Error) -> String {
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

#[cfg(test)]
mod tests {
    use crate::net::test_server::serve;
    use crate::net::{Client, NetConfig, Request};
    use axum::http::StatusCode;
    use reqwest::{Method, Url};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers `first` to the first request, then 200.
    async fn server(first: StatusCode) -> String {
        let calls = Arc::new(AtomicUsize::new(0));
        let app = axum::Router::new().route(
            "/x",
            axum::routing::delete(move || {
                let calls = calls.clone();
                async move {
                    match calls.fetch_add(1, Ordering::SeqCst) {
                        0 => (first, [("retry-after", "0")]),
                        _ => (StatusCode::OK, [("retry-after", "0")]),
                    }
                }
            }),
        );
        serve(app).await
    }

    #[tokio::test]
    async fn only_a_retry_the_server_may_have_acted_on_is_doubtful() {
        let client = Client::new(NetConfig::default()).unwrap();
        for (first, doubtful) in [
            (StatusCode::TOO_MANY_REQUESTS, false),
            (StatusCode::INTERNAL_SERVER_ERROR, true),
            (StatusCode::OK, false),
        ] {
            let url = Url::parse(&format!("{}/x", server(first).await)).unwrap();
            let response = client
                .send(Request::new(Method::DELETE, url), None, None)
                .await
                .unwrap();
            assert_eq!(response.status, 200, "{first}");
            assert_eq!(response.retried, doubtful, "after {first}");
        }
    }
}
