//! The ureq agent getAvatar requests go through: the settings a caller can change (trusted
//! roots, User-Agent, proxy, timeouts), how an agent is built from them, and reading a CA file.

use std::time::Duration;

use crate::client::defaults;
use crate::proxy::ProxyUrl;
use crate::resolver::CachingResolver;
use crate::validate;

/// The certificates of the PEM file at `path`: only `CERTIFICATE` blocks, each a valid X.509
/// certificate; any other block is refused with its label.
pub(crate) fn read_ca_file(path: &str) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let shown = validate::shown(path);
    let pem = std::fs::read(path).map_err(|e| format!("cannot read CA file {shown}: {e}"))?;
    let text = String::from_utf8_lossy(&pem);
    for line in text.lines() {
        let label = line
            .trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"));
        if let Some(label) = label.filter(|l| *l != "CERTIFICATE") {
            let what = if label.contains("PRIVATE KEY") {
                " (a private key: keep it secret, a CA file needs only the certificate)"
            } else {
                ""
            };
            return Err(format!(
                "CA file {shown} holds a PEM {} block{what}, not a certificate; a CA file holds \
                 only \"BEGIN CERTIFICATE\" blocks",
                validate::shown(label)
            ));
        }
    }
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => {
                let der = rustls::pki_types::CertificateDer::from(c.der().to_vec());
                if let Err(e) = rustls::RootCertStore::empty().add(der) {
                    return Err(format!(
                        "CA file {shown}: certificate {} is not a valid X.509 certificate ({e})",
                        certs.len() + 1
                    ));
                }
                certs.push(c)
            }
            Ok(_) => {
                return Err(format!(
                    "CA file {shown} holds a private key, not a certificate"
                ))
            }
            Err(e) => return Err(format!("CA file {shown} is not valid PEM: {e}")),
        }
    }
    if certs.is_empty() {
        return Err(format!(
            "CA file {shown} holds no certificate (expected PEM \"BEGIN CERTIFICATE\")"
        ));
    }
    Ok(certs)
}

/// The resolver agents are built with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ResolverChoice {
    /// `CachingResolver` with this lookup function.
    Caching(crate::resolver::Lookup),
    /// ureq's default (for a benchmark).
    Ureq,
}

impl ResolverChoice {
    pub(crate) fn agent(self, settings: &AgentSettings) -> ureq::Agent {
        match self {
            ResolverChoice::Caching(lookup) => {
                build_agent(settings, CachingResolver::using(lookup))
            }
            ResolverChoice::Ureq => build_agent(
                settings,
                ureq::unversioned::resolver::DefaultResolver::default(),
            ),
        }
    }
}

/// The settings an agent is built from that a caller can change.
#[derive(Clone)]
pub(crate) struct AgentSettings {
    /// Trusted roots from CA files; empty means the bundled web roots.
    pub(crate) roots: Vec<ureq::tls::Certificate<'static>>,
    pub(crate) user_agent: String,
    pub(crate) proxy: Option<ProxySetting>,
    /// Why the system's proxy setting cannot be used (lookups fail with it), if so.
    pub(crate) proxy_problem: Option<String>,
    /// Timeout for DNS and SOCKS proxies (the connection layer enforces the rest).
    pub(crate) timeout_ms: u32,
    /// How long idle connections are kept.
    pub(crate) idle_timeout_ms: u32,
}

/// A proxy in use: the checked URL (for messages), ureq's form of it (with NO_PROXY rules), and
/// where the system named it (None for an explicit setting).
#[derive(Clone)]
pub(crate) struct ProxySetting {
    pub(crate) url: ProxyUrl,
    pub(crate) ureq: ureq::Proxy,
    pub(crate) from: Option<String>,
}

impl ProxySetting {
    /// The proxy as messages show it: no credentials, and where the system named it.
    pub(crate) fn shown(&self) -> String {
        match &self.from {
            Some(f) => format!("{} from {f}", self.url.shown()),
            None => self.url.shown(),
        }
    }
}

impl Default for AgentSettings {
    fn default() -> AgentSettings {
        AgentSettings {
            roots: Vec::new(),
            user_agent: format!("getavatar/{}", env!("CARGO_PKG_VERSION")),
            proxy: None,
            proxy_problem: None,
            timeout_ms: defaults::TIMEOUT_MS,
            idle_timeout_ms: defaults::IDLE_TIMEOUT_MS,
        }
    }
}

/// An agent for getAvatar: no redirects, statuses as responses, our resolver, and either the
/// bundled web roots or, when CA files were given, exactly their certificates. Timeouts are
/// agent-level (a request-level config would give every connection a new TLS config, so no
/// session resumption); the connection layer (`transport`) enforces each attempt's deadline.
pub(crate) fn build_agent(
    settings: &AgentSettings,
    resolver: impl ureq::unversioned::resolver::Resolver,
) -> ureq::Agent {
    let mut tls = ureq::tls::TlsConfig::builder();
    if !settings.roots.is_empty() {
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&settings.roots));
    }
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(settings.user_agent.as_str())
        .accept("application/json")
        .max_response_header_size(64 * 1024)
        .max_idle_connections_per_host(64)
        .max_idle_age(Duration::from_millis(settings.idle_timeout_ms.into()))
        .timeout_resolve(Some(Duration::from_millis(settings.timeout_ms.into())))
        .timeout_connect(Some(Duration::from_millis(settings.timeout_ms.into())))
        .proxy(settings.proxy.as_ref().map(|p| p.ureq.clone()))
        .tls_config(tls.build())
        .build();
    ureq::Agent::with_parts(
        config,
        crate::transport::connector(settings.proxy.is_some()),
        resolver,
    )
}
