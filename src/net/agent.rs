//! The ureq agent getAvatar requests go through: the settings a caller can change (trust,
//! User-Agent, proxy, timeouts) and how an agent is built from them.

use std::time::Duration;

use crate::net::resolver::CachingResolver;
use crate::proxy::ProxyUrl;
use crate::settings::defaults;
use crate::tls::TrustSettings;

/// The resolver agents are built with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ResolverChoice {
    /// `CachingResolver` with this lookup function.
    Caching(crate::net::resolver::Lookup),
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
    /// What certificates are verified against: the system's or the bundled roots, plus CA files.
    pub(crate) trust: TrustSettings,
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
    /// Whether requests to `uri` go through this proxy: not when its bypass rules match, nor
    /// (for a system proxy) when the host is a loopback address (`loopback`).
    pub(crate) fn carries(&self, uri: &ureq::http::Uri) -> bool {
        let loopback = self.from.is_some()
            && uri
                .host()
                .is_some_and(crate::net::loopback::is_loopback_ipv4);
        !self.ureq.is_no_proxy(uri) && !loopback
    }

    /// The proxy as messages show it: no credentials, and where the system named it.
    pub(crate) fn shown(&self) -> String {
        match &self.from {
            Some(from) => crate::messages::Msg::ProxyFrom {
                proxy: self.url.shown(),
                from,
            }
            .text(),
            None => self.url.shown(),
        }
    }
}

impl Default for AgentSettings {
    fn default() -> AgentSettings {
        AgentSettings {
            trust: TrustSettings::default(),
            user_agent: format!("getavatar/{}", env!("CARGO_PKG_VERSION")),
            proxy: None,
            proxy_problem: None,
            timeout_ms: defaults::TIMEOUT_MS,
            idle_timeout_ms: defaults::IDLE_TIMEOUT_MS,
        }
    }
}

/// An agent for getAvatar: no redirects, statuses as responses, our resolver, and our TLS
/// (`tls`: the trust settings, one verifier per agent). Timeouts are
/// agent-level (a request-level config would give every connection a new TLS config, so no
/// session resumption); the connection layer (`transport`) enforces each attempt's deadline.
pub(crate) fn build_agent(
    settings: &AgentSettings,
    resolver: impl ureq::unversioned::resolver::Resolver,
) -> ureq::Agent {
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
        .build();
    ureq::Agent::with_parts(
        config,
        connector(
            settings.proxy.is_some(),
            settings.proxy.as_ref().is_some_and(|p| p.from.is_some()),
            &settings.trust,
        ),
        resolver,
    )
}

/// The connector chain: the guard on links to this machine (`GuardThisMachine`), loopback
/// targets direct when the proxy is the system's (`loopback`), a
/// SOCKS proxy (ureq's, under the attempt's deadline: `socks`), a CONNECT proxy
/// (`connect_proxy`), our TCP, TLS (ours, `tls`: one config and so one verifier and session
/// cache per agent), the per-call wrapper, then the watch on abrupt ends (see `body_end`).
fn connector(
    agent_has_proxy: bool,
    system_proxy: bool,
    trust: &crate::tls::TrustSettings,
) -> impl ureq::unversioned::transport::Connector<(), Out = impl ureq::unversioned::transport::Transport>
{
    use super::transport;
    use ureq::unversioned::transport::Connector as _;
    ().chain(transport::GuardThisMachine { agent_has_proxy })
        .chain(super::loopback::LoopbackDirect(system_proxy))
        .chain(super::socks::Socks::default())
        .chain(super::connect_proxy::ConnectProxy)
        .chain(transport::TcpConnector)
        .chain(crate::tls::TlsConnector::new(trust.clone()))
        .chain(transport::CallConnector { agent_has_proxy })
        .chain(super::body_end::WatchEnds)
}

/// The system proxy never carries loopback addresses (`super::loopback`).
#[cfg(test)]
mod loopback_tests {
    use std::io::{Read, Write};

    use super::{AgentSettings, ProxySetting, ResolverChoice};

    /// An agent whose proxy (a closed port) is the system's (`from`) or explicit.
    fn agent(from: Option<&str>) -> (ureq::Agent, ProxySetting) {
        let url = crate::proxy::parse_proxy_url("http://127.0.0.1:1").unwrap();
        let rules = crate::proxy::rules::loopback_rules();
        let p = ProxySetting {
            ureq: url.to_ureq(&rules).unwrap(),
            url,
            from: from.map(String::from),
        };
        let settings = AgentSettings {
            proxy: Some(p.clone()),
            ..AgentSettings::default()
        };
        (ResolverChoice::Ureq.agent(&settings), p)
    }

    #[test]
    fn a_system_proxy_never_carries_loopback_addresses_and_only_them() {
        // A server on 127.0.0.2 (not the 127.0.0.1 ureq's rules name).
        let l = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
        let url = format!("http://{}/", l.local_addr().unwrap());
        std::thread::spawn(move || {
            for mut s in l.incoming().flatten() {
                let _ = s.read(&mut [0u8; 1024]);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        let (system, p) = agent(Some("environment variable HTTPS_PROXY"));
        let body = system.get(&url).call().unwrap().body_mut().read_to_string();
        assert_eq!(body.unwrap(), "ok", "direct, not through the system proxy");
        for (uri, carried) in [
            (url.as_str(), false),
            ("http://127.0.0.1:9/", false),
            ("http://127.evil.example:9/", true),
            ("http://127.0.0.1.nip.io:9/", true),
            ("http://128.0.0.1:9/", true),
        ] {
            assert_eq!(p.carries(&uri.parse().unwrap()), carried, "{uri}");
        }
        // An explicit proxy carries loopback too (here: refused, the proxy port is closed).
        let (explicit, p) = agent(None);
        assert!(explicit.get(&url).call().is_err());
        assert!(p.carries(&url.parse().unwrap()));
    }
}
