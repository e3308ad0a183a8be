//! A system proxy never carries a request to a loopback address: this connector, first in the
//! chain, connects directly to a target whose host is an IPv4 address in 127.0.0.0/8 when the
//! agent's proxy is the system's. ureq's bypass rules cannot say "127.0.0.0/8" exactly (see
//! `rules::loopback_rules`); an explicit proxy carries loopback too.

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
