//! An HTTPS proxy, as berth meets one through `HTTPS_PROXY`, that for one
//! host name ends the TLS itself, with a certificate for that name from a
//! CA of its own, and hands the plain requests to a server of ours. That
//! is how a test reaches a vendor's real host name (ECR's
//! `<account>.dkr.ecr.<region>.amazonaws.com`) over HTTPS on loopback.
//! A `CONNECT` to any other host is refused.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::runtime;
use super::tls::Certificates;

/// The most a `CONNECT` request's head may take.
const MAX_HEAD: usize = 8 << 10;

pub struct Tunnel {
    addr: SocketAddr,
    certs: Certificates,
    task: JoinHandle<()>,
}

impl Tunnel {
    /// Ends TLS for `host` (port 443) and sends what it carries to
    /// `upstream`, a plain HTTP server.
    pub fn start(host: &str, upstream: SocketAddr) -> Tunnel {
        let certs = Certificates::for_host(host);
        let acceptor = TlsAcceptor::from(Arc::new(server_config(&certs)));
        let listener = runtime()
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the tunnel");
        let addr = listener.local_addr().expect("local address");
        let expected = format!("{host}:443");
        let task = runtime().spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, expected) = (acceptor.clone(), expected.clone());
                tokio::spawn(async move {
                    // A client that hangs up mid-way ends only its tunnel.
                    let _ = carry(stream, &acceptor, &expected, upstream).await;
                });
            }
        });
        Tunnel { addr, certs, task }
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The CA that signed the host's certificate, for `BERTH_CA_FILE`.
    pub fn ca(&self) -> PathBuf {
        self.certs.ca()
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn server_config(certs: &Certificates) -> rustls::ServerConfig {
    let chain = CertificateDer::pem_file_iter(certs.server_cert())
        .expect("read the server certificate")
        .collect::<Result<Vec<_>, _>>()
        .expect("a PEM certificate");
    let key = PrivateKeyDer::from_pem_file(certs.server_key()).expect("read the server key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("a server certificate and its key")
}

/// Answers one `CONNECT`, then carries the TLS it opens to `upstream` as
/// plain bytes.
async fn carry(
    mut stream: TcpStream,
    acceptor: &TlsAcceptor,
    expected: &str,
    upstream: SocketAddr,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > MAX_HEAD || stream.read_u8().await.map(|b| head.push(b)).is_err() {
            return Ok(());
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.split_whitespace();
    if (words.next(), words.next()) != (Some("CONNECT"), Some(expected)) {
        let refused = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n";
        return stream.write_all(refused).await;
    }
    stream
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    let mut tls = acceptor.accept(stream).await?;
    let mut plain = TcpStream::connect(upstream).await?;
    tokio::io::copy_bidirectional(&mut tls, &mut plain).await?;
    Ok(())
}
