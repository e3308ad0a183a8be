//! A name resolver for ureq that does no work for IP literals and caches host lookups.
//!
//! ureq's default resolver runs on every request, before the connection pool is consulted, and
//! spawns a thread per lookup whenever a timeout is set: about 30 µs a call on a reused loopback
//! connection, and a real DNS query per call for a host name. This one answers IP literals at once,
//! keeps successful lookups for [`TTL`] (at most [`MAX_ENTRIES`] hosts), and still honours the
//! request's timeout on a cache miss.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;
use ureq::Error;

/// How long a successful lookup is reused.
pub const TTL: Duration = Duration::from_secs(60);
/// How many hosts are kept.
pub const MAX_ENTRIES: usize = 64;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct CachingResolver {
    cache: Mutex<HashMap<String, (Instant, Vec<SocketAddr>)>>,
}

impl CachingResolver {
    fn fill(&self, addrs: impl Iterator<Item = SocketAddr>) -> Result<ResolvedSocketAddrs, Error> {
        let mut out = self.empty();
        for a in addrs.take(16) {
            out.push(a);
        }
        if out.is_empty() {
            Err(Error::HostNotFound)
        } else {
            Ok(out)
        }
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let authority = uri
            .authority()
            .ok_or_else(|| Error::BadUri("no host".into()))?;
        let port = match (authority.port_u16(), uri.scheme_str()) {
            (Some(p), _) => p,
            (None, Some("https")) => 443,
            (None, Some("http")) => 80,
            (None, Some("socks5" | "socks5h" | "socks4" | "socks4a")) => 1080,
            _ => return Err(Error::BadUri("unknown scheme".into())),
        };
        let host = authority.host();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.fill(std::iter::once(SocketAddr::new(ip, port)));
        }
        let key = format!("{host}:{port}");
        {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, addrs)) = cache.get(&key) {
                if at.elapsed() < TTL {
                    return self.fill(config.ip_family().keep_wanted(addrs.clone().into_iter()));
                }
            }
        }
        let found: Vec<SocketAddr> = if timeout.after.is_not_happening() {
            key.to_socket_addrs()?.collect()
        } else {
            let (tx, rx) = mpsc::sync_channel(1);
            let k = key.clone();
            std::thread::spawn(move || {
                let _ = tx.send(k.to_socket_addrs().map(|i| i.collect::<Vec<_>>()));
            });
            match rx.recv_timeout(*timeout.after) {
                Ok(r) => r?,
                Err(mpsc::RecvTimeoutError::Timeout) => return Err(Error::Timeout(timeout.reason)),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(Error::HostNotFound),
            }
        };
        if found.is_empty() {
            return Err(Error::HostNotFound);
        }
        {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= MAX_ENTRIES && !cache.contains_key(&key) {
                let now = Instant::now();
                cache.retain(|_, (at, _)| now.duration_since(*at) < TTL);
                if cache.len() >= MAX_ENTRIES {
                    cache.clear();
                }
            }
            cache.insert(key, (Instant::now(), found.clone()));
        }
        self.fill(config.ip_family().keep_wanted(found.into_iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration as UDuration;

    fn nt() -> NextTimeout {
        NextTimeout {
            after: UDuration::Exact(Duration::from_secs(5)),
            ..NextTimeout::default()
        }
    }

    #[test]
    fn literals_and_cache() {
        let r = CachingResolver::default();
        let cfg = Config::default();
        let a = r
            .resolve(&"http://127.0.0.1:8080/x".parse().unwrap(), &cfg, nt())
            .unwrap();
        assert_eq!(a[0], "127.0.0.1:8080".parse().unwrap());
        let a = r
            .resolve(&"https://[::1]/x".parse().unwrap(), &cfg, nt())
            .unwrap();
        assert_eq!(a[0], "[::1]:443".parse().unwrap());
        assert!(
            r.cache.lock().unwrap().is_empty(),
            "literals are not looked up"
        );
        let a = r
            .resolve(&"http://localhost:9/x".parse().unwrap(), &cfg, nt())
            .unwrap();
        assert!(a.iter().all(|s| s.ip().is_loopback() && s.port() == 9));
        assert_eq!(r.cache.lock().unwrap().len(), 1);
        let b = r
            .resolve(&"http://localhost:9/x".parse().unwrap(), &cfg, nt())
            .unwrap();
        assert_eq!(&a[..], &b[..]);
    }
}
