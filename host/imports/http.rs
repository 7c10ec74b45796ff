//! HTTP a plugin asks for: grants, the registry's credentials, retries and
//! the body cap are the client's; the dry run is refused here.

use super::HostContext;
use super::dry_run::is_read;
use crate::model::{HttpRequest, HttpResponse, Method, RegistryError};
use crate::net::{BodyBudget, Request};
use futures_util::StreamExt;
use reqwest::Url;
use reqwest::header::{HeaderName, HeaderValue};

/// Most requests one `send-all` may carry.
const MAX_BATCH: usize = 10_000;

impl HostContext {
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, RegistryError> {
        self.send_within(request, &self.body_budget()).await
    }

    /// What the host holds of the answers to one import call is bounded:
    /// the bodies of a `send-all` share one response size limit.
    fn body_budget(&self) -> BodyBudget {
        BodyBudget::new(self.client.config().max_body)
    }

    async fn send_within(
        &self,
        request: HttpRequest,
        budget: &BodyBudget,
    ) -> Result<HttpResponse, RegistryError> {
        if self.dry_run && !is_read(&request) {
            let url = crate::net::redact::text(&request.url);
            return Err(self.refuse(&format!("{} {url}", request.method.as_str())));
        }
        let request = convert(request)?;
        let response = self
            .client
            .send_with(
                request,
                Some(&self.grants),
                self.auth.as_deref(),
                Some(budget),
            )
            .await?;
        Ok(HttpResponse {
            status: response.status,
            headers: response.header_pairs(),
            body: response.body,
            url: response.url.to_string(),
        })
    }

    /// One result per request, in order; too many requests is an error for
    /// each of them.
    pub async fn send_all(
        &self,
        requests: Vec<HttpRequest>,
    ) -> Vec<Result<HttpResponse, RegistryError>> {
        if requests.len() > MAX_BATCH {
            let refusal = RegistryError::Invalid(format!(
                "send-all takes at most {MAX_BATCH} requests, not {}",
                requests.len()
            ));
            return vec![Err(refusal); requests.len()];
        }
        let budget = self.body_budget();
        futures_util::stream::iter(requests)
            .map(|r| self.send_within(r, &budget))
            .buffered(self.concurrency.max(1))
            .collect()
            .await
    }
}

fn convert(request: HttpRequest) -> Result<Request, RegistryError> {
    let url = Url::parse(&request.url).map_err(|e| {
        let shown = crate::net::redact::text(&request.url);
        RegistryError::Invalid(format!("invalid URL {shown:?}: {e}"))
    })?;
    let method = match request.method {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Put => reqwest::Method::PUT,
        Method::Post => reqwest::Method::POST,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    };
    let mut out = Request::new(method, url).body(request.body);
    for (name, value) in request.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| RegistryError::Invalid(format!("invalid header name {name:?}")))?;
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| RegistryError::Invalid(format!("invalid value for header {name}")))?;
        value.set_sensitive(true);
        out.headers.append(name, value);
    }
    Ok(out)
}
