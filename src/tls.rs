//! TLS under ureq: what a client trusts ([`Trust`], plus the roots of CA files, which add to it)
//! and the connector that wraps connections in rustls with one config per agent (so one
//! verifier, built on the first TLS connection, and one session cache for resumption).
//!
//! ureq's own connector offers the platform verifier or a given set of roots, not both; a CA
//! file must add to what the system trusts, so this connector builds the rustls config itself
//! (and checks CA files beside the system's verifier: [`SystemOrCaFiles`]).

use crate::messages::Msg;
use std::fmt;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme, StreamOwned,
};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};
use ureq::Error;

/// Whose roots certificates are verified against; CA files add to either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trust {
    /// The operating system's verifier and store (the default): the Windows certificate store
    /// and its policies, the macOS keychain, on Linux the system bundle (`SSL_CERT_FILE`,
    /// `SSL_CERT_DIR`).
    #[default]
    System,
    /// The web roots bundled in the library (webpki-roots), whatever the system trusts.
    Bundled,
}

/// What a client trusts: the choice of roots and the extra roots of CA files.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustSettings {
    pub(crate) trust: Trust,
    /// Certificates of CA files, trusted in addition.
    pub(crate) extra: Vec<CertificateDer<'static>>,
}

/// No verifier could be made (e.g. a system without any CA certificate): said at connect time.
#[derive(Debug)]
pub(crate) struct NoTrust(pub(crate) String);

impl fmt::Display for NoTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoTrust {}

/// The verifier for `t`.
fn verifier(t: &TrustSettings) -> Result<Arc<dyn ServerCertVerifier>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    match t.trust {
        Trust::System => {
            let system = match rustls_platform_verifier::Verifier::new(provider.clone()) {
                Ok(v) => v,
                // No usable store (e.g. no CA certificate at all): the CA files still count.
                Err(_) if !t.extra.is_empty() => {
                    return Ok(webpki(RootCertStore::empty(), &t.extra, provider)?)
                }
                Err(e) => {
                    let why = crate::tls::cert_env::problem(|k| std::env::var_os(k))
                        .map(|problem| Msg::CertStoreVarHint { problem }.text())
                        .unwrap_or_else(|| {
                            Msg::CertStoreError {
                                error: e.to_string(),
                            }
                            .text()
                        });
                    return Err(Msg::CertStoreUnusable { why }.text());
                }
            };
            let extra = if t.extra.is_empty() {
                None
            } else {
                Some(webpki(RootCertStore::empty(), &t.extra, provider)?)
            };
            Ok(Arc::new(SystemOrCaFiles {
                system: Arc::new(system),
                extra,
            }))
        }
        Trust::Bundled => {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            Ok(webpki(roots, &t.extra, provider)?)
        }
    }
}

/// A rustls verifier trusting `roots` and `extra`.
fn webpki(
    mut roots: RootCertStore,
    extra: &[CertificateDer<'static>],
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    roots.add_parsable_certificates(extra.iter().cloned());
    WebPkiServerVerifier::builder_with_provider(roots.into(), provider)
        .build()
        .map_err(|e| {
            Msg::RootsUnusable {
                error: e.to_string(),
            }
            .text()
        })
}

/// The system's verifier, and CA files beside it: a chain the system accepts is accepted; a
/// chain the system refuses is accepted when it verifies against a CA file's root (every check:
/// signatures, names, dates, usage), unless the system refused it as revoked or explicitly
/// distrusted ([`final_refusal`]): those decisions of the administrator stand.
///
/// The refusals a CA file settles are not only "unknown issuer": a company root renewed under
/// the same name, the old one still in the system store, makes the system's verifier (on Linux,
/// webpki over the system bundle) pick the old root by name and fail with `BadSignature`; so does
/// a self-signed test certificate named like one the system already trusts (Debian's
/// `ssl-cert` snakeoil certificate, `CN=localhost`).
///
/// rustls-platform-verifier can add roots itself, but on Windows it does so with a chain engine
/// whose exclusive root store (`hExclusiveRoot`, Windows 7+) Wine 8 refuses ("Invalid
/// parameter"); checking CA files with rustls's verifier behaves the same everywhere.
#[derive(Debug)]
struct SystemOrCaFiles {
    system: Arc<dyn ServerCertVerifier>,
    extra: Option<Arc<WebPkiServerVerifier>>,
}

/// `TRUST_E_EXPLICIT_DISTRUST` (0x800B0111, the certificate or its root is in the Disallowed
/// store) as Rust's `io::Error` shows it: rustls-platform-verifier's Windows verifier reports it
/// as `CertificateError::Other` with that text.
const TRUST_E_EXPLICIT_DISTRUST: &str = "(os error -2146762479)";

/// Whether the system's refusal is final, whatever a CA file says: the certificate (or one of
/// its chain) is revoked (Windows `CRYPT_E_REVOKED`, a CRL) or explicitly distrusted.
fn final_refusal(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Revoked) => true,
        rustls::Error::InvalidCertificate(CertificateError::Other(o)) => o
            .to_string()
            .trim_end()
            .ends_with(TRUST_E_EXPLICIT_DISTRUST),
        _ => false,
    }
}

impl ServerCertVerifier for SystemOrCaFiles {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let by_system =
            self.system
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        let (Err(system_error), Some(extra)) = (&by_system, &self.extra) else {
            return by_system;
        };
        if final_refusal(system_error) {
            return by_system;
        }
        match extra.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Ok(v) => Ok(v),
            // The chain led to a CA file's root and failed later (e.g. another host name), or
            // the certificate itself is unusable (expired): that is the problem to report.
            Err(e)
                if !matches!(
                    e,
                    rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
                ) =>
            {
                Err(e)
            }
            // The chain leads to no CA file's root: the system's word.
            Err(_) => Err(system_error.clone()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.system.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.system.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.system.supported_verify_schemes()
    }
}

/// A rustls client config for `t`: TLS 1.3 and 1.2, ring, no client certificate.
fn client_config(t: &TrustSettings) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| e.to_string())?
        .dangerous() // a verifier of our choice; it verifies (there is no switch to skip that)
        .with_custom_certificate_verifier(verifier(t)?)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Wraps connections to https URLs in TLS. The config is built on the first TLS connection and
/// kept (an agent is rebuilt, with a new connector, when a setting changes).
pub(crate) struct TlsConnector {
    trust: TrustSettings,
    config: Mutex<Option<Arc<ClientConfig>>>,
}

impl TlsConnector {
    pub(crate) fn new(trust: TrustSettings) -> TlsConnector {
        TlsConnector {
            trust,
            config: Mutex::new(None),
        }
    }

    fn config(&self) -> Result<Arc<ClientConfig>, Error> {
        let mut slot = self.config.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let c =
            client_config(&self.trust).map_err(|m| Error::Io(std::io::Error::other(NoTrust(m))))?;
        *slot = Some(c.clone());
        Ok(c)
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("trust", &self.trust.trust)
            .finish_non_exhaustive()
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let name = ServerName::try_from(host)
            .map_err(|_| Error::Tls(crate::messages::NOT_A_SERVER_NAME))?
            .to_owned();
        let mut conn = ClientConnection::new(self.config()?, name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        let stream = StreamOwned { conn, sock };
        Ok(Some(Either::B(TlsTransport { buffers, stream })))
    }
}

/// A TLS connection.
pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTransport").finish_non_exhaustive()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    /// Whether the connection may carry a request: nothing waits to be read on it. Bytes on the
    /// socket are read as TLS records: data (a late or unrequested answer) or the server's close
    /// drops the connection; records that are not data (TLS 1.3 session tickets, which a
    /// warm-up leaves unread) keep it. Plaintext rustls already decrypted and nobody asked for
    /// drops it too.
    fn is_open(&mut self) -> bool {
        if !self.buffers.input().is_empty() {
            return false;
        }
        // A few rounds (a record split over packets takes one more).
        for _ in 0..4 {
            match self.stream.conn.process_new_packets() {
                Ok(io) if io.plaintext_bytes_to_read() == 0 && !io.peer_has_closed() => {}
                _ => return false,
            }
            let StreamOwned { conn, sock } = &mut self.stream;
            let unread = !sock.get_mut().buffers().input().is_empty();
            if !unread && sock.get_mut().is_open() {
                return true;
            }
            // Something waits on the socket, or the server closed it: bytes are read at once;
            // the rest of a record split over packets is waited for a short while.
            sock.set_timeout(crate::net::transport::exact(crate::net::transport::SLICE));
            match conn.read_tls(sock) {
                Ok(1..) => {}
                _ => return false,
            }
        }
        false
    }

    fn is_tls(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

    /// A system verifier that refuses every chain with one error (or accepts every chain).
    #[derive(Debug)]
    struct FakeSystem(Result<(), rustls::Error>);

    impl ServerCertVerifier for FakeSystem {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            self.0.clone().map(|()| ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            unreachable!("only certificates are verified here")
        }

        fn verify_tls13_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            unreachable!("only certificates are verified here")
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            Vec::new()
        }
    }

    /// A root named `name` (the CA file's) and a certificate for `ca.test` it signed.
    fn root_and_leaf(name: &str) -> (CertificateDer<'static>, CertificateDer<'static>) {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, name);
        let root = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let leaf = CertificateParams::new(vec!["ca.test".to_string()]).unwrap();
        let leaf = leaf
            .signed_by(&KeyPair::generate().unwrap(), &root)
            .unwrap();
        (root.der().clone(), leaf.der().clone())
    }

    /// The combined verifier's answer for the leaf at `host`, the system answering `system`.
    fn verify(system: Result<(), rustls::Error>, host: &str) -> Result<(), rustls::Error> {
        let (root, leaf) = root_and_leaf("CA file root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let v = SystemOrCaFiles {
            system: Arc::new(FakeSystem(system)),
            extra: Some(webpki(RootCertStore::empty(), &[root], provider).unwrap()),
        };
        let name = ServerName::try_from(host.to_string()).unwrap();
        v.verify_server_cert(&leaf, &[], &name, &[], UnixTime::now())
            .map(|_| ())
    }

    fn cert_error(e: CertificateError) -> Result<(), rustls::Error> {
        Err(rustls::Error::InvalidCertificate(e))
    }

    /// A Windows error as rustls-platform-verifier reports one it does not map.
    fn windows_error(text: &str) -> Result<(), rustls::Error> {
        let e = std::io::Error::other(text.to_string());
        cert_error(CertificateError::Other(rustls::OtherError(Arc::new(e))))
    }

    #[test]
    fn an_unknown_issuer_is_rescued_by_a_ca_file_root() {
        assert_eq!(
            verify(cert_error(CertificateError::UnknownIssuer), "ca.test"),
            Ok(())
        );
    }

    #[test]
    fn a_windows_partial_chain_is_rescued_by_a_ca_file_root() {
        let partial = windows_error(
            "A certificate chain could not be built to a trusted root authority. \
             (os error -2146762486)",
        );
        assert_eq!(verify(partial, "ca.test"), Ok(()));
    }

    #[test]
    fn a_revoked_certificate_stays_refused() {
        assert_eq!(
            verify(cert_error(CertificateError::Revoked), "ca.test"),
            cert_error(CertificateError::Revoked)
        );
    }

    #[test]
    fn an_explicit_distrust_stays_refused() {
        // TRUST_E_EXPLICIT_DISTRUST (0x800B0111): the root or the certificate is in the
        // Disallowed store.
        let distrust = windows_error(
            "The certificate was explicitly marked as untrusted by the user. \
             (os error -2146762479)",
        );
        let got = verify(distrust, "ca.test").unwrap_err();
        assert!(got.to_string().contains("(os error -2146762479)"), "{got}");
    }

    #[test]
    fn any_other_system_refusal_of_a_chain_to_a_ca_file_root_is_overruled() {
        // A renewed root under the same name: the system picks the old one and says
        // BadSignature; any other refusal the CA file's verifier does not share goes the same
        // way (the chain verifies against the CA file, every check included).
        for e in [
            CertificateError::BadSignature,
            CertificateError::NotValidForName,
            CertificateError::Expired,
            CertificateError::InvalidPurpose,
        ] {
            assert_eq!(verify(cert_error(e.clone()), "ca.test"), Ok(()), "{e:?}");
        }
        let policy = windows_error("Some policy (os error -2146762488)");
        assert_eq!(verify(policy, "ca.test"), Ok(()));
    }

    #[test]
    fn a_system_refusal_of_a_chain_to_no_ca_file_root_stands() {
        let (_, leaf) = root_and_leaf("CA file root");
        let (other_root, _) = root_and_leaf("CA file root"); // same name, another key
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let v = SystemOrCaFiles {
            system: Arc::new(FakeSystem(cert_error(CertificateError::BadSignature))),
            extra: Some(webpki(RootCertStore::empty(), &[other_root], provider).unwrap()),
        };
        let name = ServerName::try_from("ca.test").unwrap();
        let got = v.verify_server_cert(&leaf, &[], &name, &[], UnixTime::now());
        assert!(
            matches!(
                got,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::BadSignature
                ))
            ),
            "{got:?}"
        );
    }

    #[test]
    fn a_ca_file_root_for_another_host_says_so() {
        let got = verify(cert_error(CertificateError::UnknownIssuer), "other.test");
        assert!(
            matches!(
                got,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                ))
            ),
            "{got:?}"
        );
    }

    #[test]
    fn a_chain_to_no_known_root_keeps_the_system_error() {
        let (_, leaf) = root_and_leaf("a root in no file");
        let (other_root, _) = root_and_leaf("CA file root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let v = SystemOrCaFiles {
            system: Arc::new(FakeSystem(cert_error(CertificateError::UnknownIssuer))),
            extra: Some(webpki(RootCertStore::empty(), &[other_root], provider).unwrap()),
        };
        let name = ServerName::try_from("ca.test").unwrap();
        let got = v.verify_server_cert(&leaf, &[], &name, &[], UnixTime::now());
        assert!(
            matches!(
                got,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::UnknownIssuer
                ))
            ),
            "{got:?}"
        );
    }

    #[test]
    fn a_system_acceptance_stands() {
        assert_eq!(verify(Ok(()), "other.test"), Ok(()));
    }
}

pub(crate) mod ca_file;
pub(crate) mod cert_env;
