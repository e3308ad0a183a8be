//! A private PKI for the trust tests: a root, a server certificate for `localhost` it signed (with
//! a CRL distribution point, which Wine's revocation check needs), the CRL, an HTTPS server
//! answering getAvatar with that certificate, and a plain HTTP server for the CRL.
//! Included with `#[path = "common/pki.rs"] mod pki;`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    CrlDistributionPoint, DnType, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, SerialNumber,
};

/// A root and a server it signed.
pub struct Pki {
    pub root_der: Vec<u8>,
    pub root_pem: String,
    pub crl_der: Vec<u8>,
    server_der: Vec<u8>,
    server_key: Vec<u8>,
}

impl Pki {
    /// A root named `name`; the server certificate (for `localhost`) names `crl_url` as its CRL
    /// distribution point when given.
    pub fn new(name: &str, crl_url: Option<&str>) -> Pki {
        Pki::with_keys(name, crl_url, KeyPair::generate)
    }

    /// The same with RSA keys (made by `openssl`; ring cannot make them): Wine 8's crypt32
    /// fails to verify some ECDSA signatures (TRUST_E_CERT_SIGNATURE, 0x80096004).
    pub fn new_rsa(name: &str, crl_url: Option<&str>) -> Pki {
        Pki::with_keys(name, crl_url, || {
            let out = std::process::Command::new("openssl")
                .args([
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                ])
                .output()
                .expect("openssl (apt install openssl)");
            assert!(out.status.success(), "openssl genpkey failed");
            KeyPair::from_pem(&String::from_utf8(out.stdout).unwrap())
        })
    }

    fn with_keys(
        name: &str,
        crl_url: Option<&str>,
        key: impl Fn() -> Result<KeyPair, rcgen::Error>,
    ) -> Pki {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, name);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca.not_before = rcgen::date_time_ymd(2020, 1, 1);
        ca.not_after = rcgen::date_time_ymd(2045, 1, 1);
        let root = CertifiedIssuer::self_signed(ca, key().unwrap()).unwrap();

        let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, format!("{name} server"));
        leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(2044, 1, 1);
        leaf.serial_number = Some(SerialNumber::from(2u64));
        if let Some(u) = crl_url {
            leaf.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![u.to_string()],
            }];
        }
        let leaf_key = key().unwrap();
        let server = leaf.signed_by(&leaf_key, &root).unwrap();

        let crl = CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2025, 1, 1),
            next_update: rcgen::date_time_ymd(2044, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: vec![],
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&root)
        .unwrap();
        Pki {
            root_der: root.der().to_vec(),
            root_pem: root.pem(),
            crl_der: crl.der().to_vec(),
            server_der: server.der().to_vec(),
            server_key: leaf_key.serialize_der(),
        }
    }
}

/// An HTTPS getAvatar server on 127.0.0.1 (reach it as `localhost`) and how many requests it
/// answered.
pub struct HttpsServer {
    pub port: u16,
    pub served: Arc<AtomicUsize>,
}

impl HttpsServer {
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// Sends only its own certificate, as most servers do.
    pub fn start(pki: &Pki, tag: &str) -> HttpsServer {
        HttpsServer::start_with(pki, tag, false)
    }

    /// Sends the root too (as many TLS-inspecting proxies do).
    pub fn start_full_chain(pki: &Pki, tag: &str) -> HttpsServer {
        HttpsServer::start_with(pki, tag, true)
    }

    fn start_with(pki: &Pki, tag: &str, with_root: bool) -> HttpsServer {
        let mut chain = vec![pki.server_der.clone().into()];
        if with_root {
            chain.push(pki.root_der.clone().into());
        }
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(pki.server_key.clone().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap(),
        );
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = Arc::new(AtomicUsize::new(0));
        let (count, tag) = (served.clone(), tag.to_string());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (config, count, tag) = (config.clone(), count.clone(), tag.clone());
                std::thread::spawn(move || serve(config, stream, &count, &tag));
            }
        });
        HttpsServer { port, served }
    }
}

fn serve(
    config: Arc<rustls::ServerConfig>,
    stream: std::net::TcpStream,
    count: &AtomicUsize,
    tag: &str,
) {
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let mut reader = BufReader::new(&mut tls);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return; // the client gave up (certificate refused)
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    let answer = format!(r#"{{"urlAvatar":"https://i.oneme.ru/i?r={tag}","available":true}}"#);
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{answer}",
        answer.len()
    );
    count.fetch_add(1, Ordering::SeqCst);
    let _ = tls.write_all(resp.as_bytes());
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// A plain HTTP server on 127.0.0.1 answering every request with `body`; returns its port and
/// how many requests it answered.
pub fn serve_bytes(body: Arc<std::sync::Mutex<Vec<u8>>>) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let count = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let body = body.lock().unwrap().clone();
            count.fetch_add(1, Ordering::SeqCst);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (port, hits)
}
