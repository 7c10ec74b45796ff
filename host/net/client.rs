//! The process-wide HTTP client: one connection pool, TLS as the operator
//! configured it.

use super::NetError;
use super::limiter::Limiters;
use rustls::pki_types::pem::PemObject;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Per request, connection to last byte.
    pub timeout: Duration,
    /// Largest response body accepted.
    pub max_body: u64,
    /// Retries of a throttled, failed or reset request.
    pub retries: u32,
    /// Longest `Retry-After` honoured; a longer one is returned to the caller.
    pub max_retry_wait: Duration,
    /// The operator's cap on write requests (not GET or HEAD) per second to
    /// any one host (`apply --rate N/s`).
    pub write_rate: Option<f64>,
    pub insecure: bool,
    pub ca_file: Option<PathBuf>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            timeout: Duration::from_secs(30),
            max_body: 64 << 20,
            retries: 4,
            max_retry_wait: Duration::from_secs(60),
            write_rate: None,
            insecure: false,
            ca_file: None,
        }
    }
}

/// Cheap to clone; clones share the connection pool and the rate limiters.
#[derive(Clone)]
pub struct Client {
    pub(super) inner: reqwest::Client,
    pub(super) config: NetConfig,
    pub(super) limiters: Arc<Limiters>,
}

impl Client {
    pub fn new(config: NetConfig) -> Result<Self, NetError> {
        let mut extra_roots = Vec::new();
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read(path).map_err(|e| NetError::Transport {
                url: path.display().to_string(),
                message: format!("cannot read CA file: {e}"),
            })?;
            for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
                extra_roots.push(cert.map_err(|e| NetError::Transport {
                    url: path.display().to_string(),
                    message: format!("not a PEM certificate bundle: {e}"),
                })?);
            }
        }
        let tls =
            super::tls::config(config.insecure, extra_roots).map_err(|e| NetError::Transport {
                url: String::new(),
                message: format!("cannot set up TLS: {e}"),
            })?;
        let builder = reqwest::Client::builder()
            .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .tls_backend_preconfigured(tls);
        let inner = builder.build().map_err(|e| NetError::Transport {
            url: String::new(),
            message: format!("cannot set up HTTP: {e}"),
        })?;
        let limiters = Arc::new(Limiters::new(config.write_rate, config.max_retry_wait));
        Ok(Client {
            inner,
            config,
            limiters,
        })
    }

    pub fn config(&self) -> &NetConfig {
        &self.config
    }
}
