//! A system proxy never carries a request to a loopback address: this connector, first in the
//! chain, connects directly to a target whose host is an IPv4 address in 127.0.0.0/8 when the
//! agent's proxy is the system's. ureq's bypass rules cannot say "127.0.0.0/8" exactly (see
//! `system_proxy::loopback_rules`); an explicit proxy carries loopback too.

use ureq::unversioned::transport::{ConnectionDetails, Connector, Either, Transport};
use ureq::Error;

use crate::net::transport::{TcpConnector, TcpTransport};

/// Connects loopback targets directly when `0` (the agent's proxy is a system proxy).
#[derive(Debug, Default)]
pub struct LoopbackDirect(pub bool);

/// Whether `host` (as a URL holds it) is an IPv4 address in 127.0.0.0/8.
pub(crate) fn is_loopback_ipv4(host: &str) -> bool {
    host.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|a| a.is_loopback())
}

impl<In: Transport> Connector<In> for LoopbackDirect {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if let Some(t) = chained {
            return Ok(Some(Either::A(t)));
        }
        let Some(proxy) = details.config.proxy() else {
            return Ok(None);
        };
        let host = details.uri.host().unwrap_or("");
        if !self.0 || proxy.is_no_proxy(details.uri) || !is_loopback_ipv4(host) {
            return Ok(None);
        }
        // ureq resolved nothing (the proxy would have): the host is an address.
        let addrs = details
            .resolver
            .resolve(details.uri, details.config, details.timeout)?;
        let direct = ConnectionDetails {
            uri: details.uri,
            addrs,
            config: details.config,
            request_level: details.request_level,
            resolver: details.resolver,
            now: details.now,
            timeout: details.timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: details.register_shutdown.clone(),
        };
        match Connector::<()>::connect(&TcpConnector, &direct, None)? {
            Some(Either::B(t)) => Ok(Some(Either::B(t))),
            _ => Err(Error::ConnectionFailed),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use crate::net::agent::{AgentSettings, ProxySetting, ResolverChoice};

    /// An agent whose proxy (a closed port) is the system's (`from`) or explicit.
    fn agent(from: Option<&str>) -> (ureq::Agent, ProxySetting) {
        let url = crate::proxy::parse_proxy_url("http://127.0.0.1:1").unwrap();
        let rules = crate::proxy::system_proxy::loopback_rules();
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
