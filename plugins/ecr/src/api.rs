//! The ECR API: AWS JSON 1.1 over `POST /`, SigV4-signed, with throttled
//! calls retried here (ECR throttles with HTTP 400, which the host does not
//! retry) and error answers mapped to berth's errors.

use crate::address::{self, EcrHost, Endpoint};
use crate::sigv4::{self, Credentials, Signing};
use berth_sdk::http::{Request, Response};
use berth_sdk::log::{Level, log};
use berth_sdk::{Error, RateLimit, Result, Target, config};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// Retries of a throttled call before giving up with `rate-limited`.
const THROTTLE_RETRIES: u32 = 4;

pub const CREDENTIALS_HINT: &str = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
(plus AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE naming a profile \
in ~/.aws/credentials (or AWS_SHARED_CREDENTIALS_FILE)";

/// One repository's ECR API.
pub struct Api {
    endpoint: Endpoint,
    region: String,
    credentials: Credentials,
    /// The account from the registry host; `None` means the credentials'
    /// own account (when the provider was chosen for another host).
    pub registry_id: Option<String>,
    pub repository: String,
}

impl Api {
    pub fn for_target(target: &Target) -> Result<Api> {
        let host = EcrHost::parse(&target.registry);
        let region = match &host {
            Some(host) => host.region.clone(),
            None => env("AWS_REGION")
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "{} is not an ECR registry host, so its AWS region is unknown\nhint: set AWS_REGION",
                        target.registry
                    ))
                })?,
        };
        let endpoint = match env("AWS_ENDPOINT_URL_ECR").or_else(|| env("AWS_ENDPOINT_URL")) {
            Some(url) => Endpoint::parse(&url).map_err(|e| {
                Error::Invalid(format!(
                    "the ECR endpoint from AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL: {e}"
                ))
            })?,
            None => {
                let (fips, china) = host.as_ref().map_or((false, false), |h| (h.fips, h.china));
                Endpoint::parse(&address::default_endpoint(&region, fips, china))
                    .map_err(Error::Invalid)?
            }
        };
        Ok(Api {
            endpoint,
            region,
            credentials: credentials()?,
            registry_id: host.map(|h| h.registry_id),
            repository: target.repository.clone(),
        })
    }

    /// A request body naming this repository (and registry, when known).
    pub fn body(&self) -> Value {
        let mut body = serde_json::json!({ "repositoryName": self.repository });
        if let Some(id) = &self.registry_id {
            body["registryId"] = Value::String(id.clone());
        }
        body
    }

    /// Calls `operation`, retrying throttled answers with a bounded backoff.
    pub fn call<T: DeserializeOwned>(&self, operation: &str, body: &Value) -> Result<T> {
        let bytes = serde_json::to_vec(body).expect("serialisable body");
        let mut attempt = 0;
        loop {
            let response = self.request(operation, &bytes).send()?;
            match self.answer(operation, &response) {
                Err(Error::RateLimited(limit)) if attempt < THROTTLE_RETRIES => {
                    let wait = backoff(attempt);
                    log(
                        Level::Debug,
                        &format!(
                            "ECR {operation} throttled ({}); retrying in {} ms",
                            limit.message,
                            wait.as_millis()
                        ),
                    );
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }

    /// Calls `operation` once per body, concurrently; a throttled call is
    /// tried again on its own.
    pub fn call_all<T: DeserializeOwned>(
        &self,
        operation: &str,
        bodies: &[Value],
    ) -> Vec<Result<T>> {
        let requests = bodies
            .iter()
            .map(|b| {
                self.request(
                    operation,
                    &serde_json::to_vec(b).expect("serialisable body"),
                )
            })
            .collect();
        berth_sdk::http::send_all(requests)
            .into_iter()
            .zip(bodies)
            .map(
                |(sent, body)| match sent.and_then(|r| self.answer(operation, &r)) {
                    Err(Error::RateLimited(_)) => self.call(operation, body),
                    other => other,
                },
            )
            .collect()
    }

    fn request(&self, operation: &str, body: &[u8]) -> Request {
        let amz_date = crate::time::amz_date_now();
        let target = format!("{TARGET_PREFIX}.{operation}");
        let mut headers = vec![
            ("content-type".to_string(), CONTENT_TYPE.to_string()),
            ("host".to_string(), self.endpoint.host.clone()),
            ("x-amz-date".to_string(), amz_date.clone()),
            ("x-amz-target".to_string(), target),
        ];
        if let Some(token) = &self.credentials.session_token {
            headers.push(("x-amz-security-token".to_string(), token.clone()));
        }
        let authorization = sigv4::authorization(
            &self.credentials,
            &Signing {
                method: "POST",
                path: &self.endpoint.path,
                headers: &headers,
                payload: body,
                region: &self.region,
                service: "ecr",
                amz_date: &amz_date,
            },
        );
        // The HTTP client sets `host` itself, to the same value.
        let mut request = Request::post(self.endpoint.url.clone());
        for (name, value) in headers.into_iter().filter(|(n, _)| n != "host") {
            request = request.header(&name, value);
        }
        request
            .header("authorization", authorization)
            .body(body.to_vec())
    }

    fn answer<T: DeserializeOwned>(&self, operation: &str, response: &Response) -> Result<T> {
        if (200..300).contains(&response.status) {
            serde_json::from_slice(&response.body).map_err(|e| {
                Error::Invalid(format!(
                    "ECR {operation} answered with unexpected JSON ({e}) from {}",
                    response.url
                ))
            })
        } else {
            Err(api_error(operation, response))
        }
    }
}

fn env(name: &str) -> Option<String> {
    config::get_env(name).filter(|v| !v.trim().is_empty())
}

fn credentials() -> Result<Credentials> {
    match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Credentials {
            access_key_id: access_key_id.trim().to_string(),
            secret_access_key: secret_access_key.trim().to_string(),
            session_token: env("AWS_SESSION_TOKEN").map(|t| t.trim().to_string()),
        }),
        (Some(_), None) => Err(Error::Unauthorized(format!(
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not\nhint: {CREDENTIALS_HINT}"
        ))),
        _ => Err(Error::Unauthorized(format!(
            "no AWS credentials for the ECR API\nhint: {CREDENTIALS_HINT}"
        ))),
    }
}

/// 200 ms, 400 ms, 800 ms, 1.6 s, plus up to a quarter more.
fn backoff(attempt: u32) -> Duration {
    let base = 200u64 << attempt.min(4);
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()) % (base / 4 + 1))
        .unwrap_or(0);
    Duration::from_millis(base + jitter)
}

/// The error type of an AWS JSON answer: `__type` (which may carry a
/// `namespace#` prefix) or the `x-amzn-ErrorType` header (which may carry a
/// `:url` suffix), and its message.
pub fn error_type(response: &Response) -> (Option<String>, Option<String>) {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let kind = body["__type"]
        .as_str()
        .or_else(|| response.header("x-amzn-errortype"))
        .map(|t| {
            let t = t.rsplit('#').next().unwrap_or(t);
            t.split(':').next().unwrap_or(t).trim().to_string()
        })
        .filter(|t| !t.is_empty());
    let message = body["message"]
        .as_str()
        .or_else(|| body["Message"].as_str())
        .map(|m| m.chars().take(300).collect());
    (kind, message)
}

pub fn is_throttling(kind: &str) -> bool {
    matches!(
        kind,
        "ThrottlingException"
            | "ThrottledException"
            | "Throttling"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "RequestThrottled"
            | "RequestThrottledException"
    )
}

/// Maps an error answer to berth's errors, quoting what ECR said.
pub fn api_error(operation: &str, response: &Response) -> Error {
    let (kind, message) = error_type(response);
    let said = match (&kind, &message) {
        (Some(k), Some(m)) => format!("{k}: {m}"),
        (Some(k), None) => k.clone(),
        (None, _) => {
            return berth_sdk::from_status(response.status, response.retry_after(), &response.body)
                .prefixed(&format!("ECR {operation}"));
        }
    };
    let message = format!("ECR {operation}: HTTP {}: {said}", response.status);
    let kind = kind.unwrap_or_default();
    match kind.as_str() {
        k if is_throttling(k) || response.status == 429 => Error::RateLimited(RateLimit {
            message,
            retry_after: response.retry_after(),
        }),
        "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "InvalidClientTokenId"
        | "MissingAuthenticationToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch" => Error::Unauthorized(format!(
            "{message}\nhint: check the AWS credentials ({CREDENTIALS_HINT}); temporary ones expire"
        )),
        "AccessDeniedException" => Error::Forbidden(format!(
            "{message}\nhint: the AWS identity needs ecr:{operation} on this repository"
        )),
        "RepositoryNotFoundException" | "ImageNotFoundException" | "RegistryNotFoundException" => {
            Error::NotFound(message)
        }
        "UnsupportedImageTypeException" => Error::Unsupported(message),
        "ImageTagAlreadyExistsException" => Error::Forbidden(message),
        _ if response.status >= 500 => Error::Other(message),
        _ => Error::Invalid(message),
    }
}

/// Prefixing the message of an error from `from_status`.
trait Prefixed {
    fn prefixed(self, prefix: &str) -> Error;
}

impl Prefixed for Error {
    fn prefixed(self, prefix: &str) -> Error {
        let with = |m: String| format!("{prefix}: {m}");
        match self {
            Error::Unauthorized(m) => Error::Unauthorized(with(m)),
            Error::Forbidden(m) => Error::Forbidden(with(m)),
            Error::NotFound(m) => Error::NotFound(with(m)),
            Error::Unsupported(m) => Error::Unsupported(with(m)),
            Error::RateLimited(r) => Error::RateLimited(RateLimit {
                message: with(r.message),
                retry_after: r.retry_after,
            }),
            Error::Invalid(m) => Error::Invalid(with(m)),
            Error::Transport(m) => Error::Transport(with(m)),
            Error::Other(m) => Error::Other(with(m)),
        }
    }
}
