use crate::net::{self, Request};
use crate::runtime::State;
use crate::runtime::v0_1_0::berth::provider::http::{
    Host, Method, Request as WitRequest, Response,
};
use crate::runtime::v0_1_0::berth::provider::types::Error;
use futures_util::StreamExt;
use reqwest::Url;
use reqwest::header::{HeaderName, HeaderValue};
use std::sync::Arc;

/// Most requests one `send-all` may carry.
const MAX_BATCH: usize = 10_000;

impl Host for State {
    async fn send(&mut self, request: WitRequest) -> wasmtime::Result<Result<Response, Error>> {
        Ok(send(self.host.clone(), request).await)
    }

    async fn send_all(
        &mut self,
        requests: Vec<WitRequest>,
    ) -> wasmtime::Result<Vec<Result<Response, Error>>> {
        if requests.len() > MAX_BATCH {
            let refusal = Error::Invalid(format!("send-all takes at most {MAX_BATCH} requests"));
            return Ok(vec![Err(refusal); requests.len().min(MAX_BATCH)]);
        }
        let host = self.host.clone();
        let concurrency = host.concurrency.max(1);
        let results = futures_util::stream::iter(requests)
            .map(|r| send(host.clone(), r))
            .buffered(concurrency)
            .collect()
            .await;
        Ok(results)
    }
}

async fn send(
    host: Arc<crate::imports::HostContext>,
    request: WitRequest,
) -> Result<Response, Error> {
    let request = convert(request)?;
    let response = host
        .client
        .send(request, Some(&host.grants), host.auth.as_deref())
        .await?;
    Ok(Response {
        status: response.status,
        headers: response
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: response.body,
        url: response.url.to_string(),
    })
}

fn convert(request: WitRequest) -> Result<Request, Error> {
    let url = Url::parse(&request.url)
        .map_err(|e| Error::Invalid(format!("invalid URL {:?}: {e}", request.url)))?;
    let method = match request.method {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Put => reqwest::Method::PUT,
        Method::Post => reqwest::Method::POST,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    };
    let mut out = net::Request::new(method, url).body(request.body);
    for (name, value) in request.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::Invalid(format!("invalid header name {name:?}")))?;
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| Error::Invalid(format!("invalid value for header {name}")))?;
        value.set_sensitive(true);
        out.headers.append(name, value);
    }
    Ok(out)
}
