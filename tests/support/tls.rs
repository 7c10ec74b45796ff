//! Certificates for a registry served over HTTPS, made with the `openssl`
//! CLI (as the token server's are): a CA, and a server certificate it signs.
//!
//! berth speaks plain HTTP to every loopback address, so an HTTPS registry
//! on this machine is reached by the machine's own name or address.

use std::net::{IpAddr, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::process::Command;

use tempfile::TempDir;

pub struct Certificates {
    dir: TempDir,
}

impl Certificates {
    /// A fresh CA and a certificate for `host` (a name or an IP address)
    /// signed by it.
    pub fn for_host(host: &str) -> Certificates {
        let san = match host.parse::<IpAddr>() {
            Ok(_) => format!("subjectAltName=IP:{host}"),
            Err(_) => format!("subjectAltName=DNS:{host}"),
        };
        let dir = tempfile::tempdir().expect("create a certificate directory");
        let path = |file: &str| dir.path().join(file).to_string_lossy().into_owned();
        let (ca, ca_key) = (path("ca.pem"), path("ca.key"));
        new_key_and_certificate("berth test CA", &ca_key, &ca, &[]);
        new_key_and_certificate(
            host,
            &path("server.key"),
            &path("server.pem"),
            &[
                "-CA",
                &ca,
                "-CAkey",
                &ca_key,
                "-addext",
                &san,
                "-addext",
                "basicConstraints=critical,CA:FALSE",
            ],
        );
        Certificates { dir }
    }

    /// A self-signed certificate for `host` that expired in 2020; it is
    /// its own CA.
    pub fn expired_self_signed(host: &str) -> Certificates {
        let dir = tempfile::tempdir().expect("create a certificate directory");
        let path = |file: &str| dir.path().join(file).to_string_lossy().into_owned();
        std::fs::write(dir.path().join("index.txt"), "").expect("write the CA database");
        std::fs::write(dir.path().join("serial"), "01\n").expect("write the serial");
        std::fs::write(
            dir.path().join("ca.cnf"),
            format!(
                "[ca]\ndefault_ca = d\n[d]\ndatabase = {}\nnew_certs_dir = {}\nserial = {}\n\
                 default_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n\
                 [p]\ncommonName = supplied\n",
                path("index.txt"),
                dir.path().display(),
                path("serial")
            ),
        )
        .expect("write the CA config");
        let subject = format!("/CN={host}");
        let san = match host.parse::<IpAddr>() {
            Ok(_) => format!("subjectAltName=IP:{host}"),
            Err(_) => format!("subjectAltName=DNS:{host}"),
        };
        let (key, csr, cert) = (path("server.key"), path("server.csr"), path("server.pem"));
        openssl(&[
            "req",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-subj",
            &subject,
            "-addext",
            &san,
            "-keyout",
            &key,
            "-out",
            &csr,
        ]);
        openssl(&[
            "ca",
            "-batch",
            "-config",
            &path("ca.cnf"),
            "-selfsign",
            "-keyfile",
            &key,
            "-in",
            &csr,
            "-out",
            &cert,
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200102000000Z",
        ]);
        std::fs::copy(&cert, path("ca.pem")).expect("copy the certificate");
        Certificates { dir }
    }

    /// The CA's certificate, for `--ca-file`.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn server_cert(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    pub fn server_key(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }
}

/// A P-256 key and an X.509 certificate for `subject`, self-signed unless
/// `extra` names a CA.
fn new_key_and_certificate(subject: &str, key: &str, cert: &str, extra: &[&str]) {
    let subject = format!("/CN={subject}");
    let mut args = vec![
        "req",
        "-x509",
        "-nodes",
        "-days",
        "2",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-subj",
        &subject,
        "-keyout",
        key,
        "-out",
        cert,
    ];
    args.extend_from_slice(extra);
    openssl(&args);
}

fn openssl(args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl (apt-get install openssl)");
    assert!(
        output.status.success(),
        "openssl {}:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A host berth reaches this machine by but does not count as loopback (so
/// it speaks HTTPS): the machine's name where it resolves, else the address
/// of the interface that carries the default route.
pub fn machine_address() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("read the host name")
        .trim()
        .to_string();
    if (name.as_str(), 0)
        .to_socket_addrs()
        .is_ok_and(|mut a| a.next().is_some())
    {
        return name;
    }
    // Connecting a UDP socket sends nothing; it only picks the route.
    let socket = UdpSocket::bind("0.0.0.0:0").expect("bind a UDP socket");
    socket
        .connect("192.0.2.1:9")
        .and_then(|()| socket.local_addr())
        .map(|addr| addr.ip().to_string())
        .unwrap_or_else(|err| {
            panic!("this machine's name {name:?} does not resolve and it has no routed address ({err}); the HTTPS tests need one")
        })
}
