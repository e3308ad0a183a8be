//! What a failed request (a ureq error: no usable answer arrived) means for the user: the status,
//! a message naming the host and the proxy (never the URL: the getAvatar URL holds the token),
//! and whether another attempt may help. Pure: it looks only at the error and its [`Context`].

use std::io::ErrorKind as K;
use std::time::Duration;

use crate::error::failure::Failure;
use crate::error::status::GaStatus;
use crate::messages::Msg;
use crate::net::resolver::NotLoopback;

/// What the request was, for the message.
pub(crate) struct Context<'a> {
    /// `host[:port]` of the URL requested.
    pub host: &'a str,
    /// The proxy carrying the request, as messages show it (no credentials), if any.
    pub proxy: Option<String>,
    /// Whether the URL is apiUrl's (a refused connection then hints at apiUrl).
    pub is_api: bool,
    /// The per-attempt timeout.
    pub timeout: Duration,
    /// Whether the answer's head had arrived (the body was being read).
    pub in_body: bool,
}

impl Context<'_> {
    /// " (via proxy P)" when a proxy carries the request.
    fn via(&self) -> String {
        self.proxy
            .as_ref()
            .map(|proxy| Msg::ViaProxy { proxy }.text())
            .unwrap_or_default()
    }

    fn during(&self) -> String {
        if self.in_body {
            Msg::WhileReading.text()
        } else {
            Msg::BeforeAnswer.text()
        }
    }

    /// " within N ms": the per-attempt timeout.
    fn within(&self) -> String {
        Msg::Within {
            ms: self.timeout.as_millis(),
        }
        .text()
    }

    /// A proxy that never answered the CONNECT for this host: the silent party is the proxy.
    fn proxy_silent(&self) -> Failure {
        let in_use = Msg::ProxyInUse.text();
        let proxy = self.proxy.as_deref().unwrap_or(&in_use);
        let (host, within) = (self.host, self.within());
        Failure::transient(
            GaStatus::GA_ERR_TIMEOUT,
            Msg::ProxySilent {
                proxy,
                host,
                within,
            },
        )
    }

    /// No connection within the timeout (the host, or the proxy, never answered the connection
    /// request: a dead network, a firewall that drops packets): no request was sent.
    fn connect_timed_out(&self) -> Failure {
        let (host, within) = (self.host, self.within());
        let m = match &self.proxy {
            Some(proxy) => Msg::ConnectProxyTimeout {
                proxy,
                host,
                within,
            },
            None => Msg::ConnectTimeout { host, within },
        };
        Failure::transient(GaStatus::GA_ERR_TIMEOUT, m)
    }

    fn timed_out(&self) -> Failure {
        let (host, within, via) = (self.host, self.within(), self.via());
        Failure::transient(
            GaStatus::GA_ERR_TIMEOUT,
            Msg::NoCompleteAnswer { host, within, via },
        )
    }
}

/// Whether `message` is that of a timeout that met no server (a connection never made, a proxy
/// that never answered), in any language: every other request of the client would meet it too.
pub(crate) fn never_reached(message: &str) -> bool {
    crate::messages::starts_like(
        message,
        &["ConnectTimeout", "ConnectProxyTimeout", "ProxySilent"],
    )
}

/// The failure a ureq error stands for.
pub(crate) fn classify(e: ureq::Error, cx: &Context) -> Failure {
    let (host, via, during) = (cx.host, cx.via(), cx.during());
    let network = GaStatus::GA_ERR_NETWORK;
    let bad = GaStatus::GA_ERR_BAD_RESPONSE;
    match e {
        ureq::Error::Timeout(ureq::Timeout::Connect) if !cx.in_body => cx.connect_timed_out(),
        ureq::Error::Timeout(_) => cx.timed_out(),
        ureq::Error::Io(io) => io_failure(io, cx),
        ureq::Error::HostNotFound => Failure::transient(network, Msg::DnsFailed { host, via }),
        ureq::Error::ConnectionFailed => {
            Failure::transient(network, Msg::ConnectFailed { host, via })
        }
        ureq::Error::ConnectProxyFailed(reason) => proxy_failure(&reason, cx),
        ureq::Error::Protocol(p) => Failure::fatal(
            bad,
            Msg::NotHttp {
                error: p.to_string(),
            },
        ),
        ureq::Error::LargeResponseHeader(..) => Failure::fatal(bad, Msg::HeadersTooLarge),
        ureq::Error::Tls(t) if t == crate::messages::NOT_A_SERVER_NAME => Failure::fatal(
            network,
            tls_failure(host, Msg::TlsNotAServerName.text(), ""),
        ),
        ureq::Error::Tls(t) => Failure::fatal(network, tls_failure(host, t.to_string(), "")),
        ureq::Error::Rustls(t) => Failure::fatal(network, tls_failure(host, t.to_string(), "")),
        other => Failure::transient(
            network,
            Msg::RequestFailed {
                host,
                during,
                error: other.to_string(),
                via,
            },
        ),
    }
}

/// A failed socket operation (connect, read, write), or an error our resolver or TLS wrapped in
/// one.
fn io_failure(io: std::io::Error, cx: &Context) -> Failure {
    let (host, via, during) = (cx.host, cx.via(), cx.during());
    let network = GaStatus::GA_ERR_NETWORK;
    let what = match io.kind() {
        K::ConnectionRefused => match &cx.proxy {
            Some(proxy) => {
                return Failure::transient(network, Msg::ProxyRefusedConnection { proxy })
            }
            None if cx.is_api => Msg::RefusedApi { host }.text(),
            None => Msg::Refused { host }.text(),
        },
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            Msg::ClosedByServer { host, during }.text()
        }
        K::TimedOut
            if io
                .get_ref()
                .is_some_and(|i| i.is::<crate::net::connect_proxy::ProxySilent>()) =>
        {
            return cx.proxy_silent()
        }
        K::TimedOut | K::WouldBlock => return cx.timed_out(),
        K::PermissionDenied if cx.proxy.is_some() => {
            return Failure::fatal(
                network,
                Msg::ProxyBadCredentials {
                    proxy: cx.proxy.as_deref().unwrap_or_default(),
                },
            )
        }
        _ => {
            let inner = io.get_ref();
            if let Some(n) =
                inner.and_then(|i| i.downcast_ref::<crate::net::transport::ThisMachine>())
            {
                return Failure::fatal(GaStatus::GA_ERR_BAD_RESPONSE, n.to_string());
            }
            if let Some(n) = inner.and_then(|i| i.downcast_ref::<NotLoopback>()) {
                return Failure::fatal(
                    network,
                    Msg::WithVia {
                        what: n.to_string(),
                        via,
                    },
                );
            }
            if let Some(n) = inner.and_then(|i| i.downcast_ref::<crate::tls::NoTrust>()) {
                return Failure::fatal(
                    network,
                    Msg::TlsWith {
                        host,
                        why: n.to_string(),
                    },
                );
            }
            if let Some(t) = inner.and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Failure::fatal(network, tls_message(host, t));
            }
            Msg::NetworkError {
                host,
                during,
                error: io.to_string(),
            }
            .text()
        }
    };
    Failure::transient(network, Msg::WithVia { what, via })
}

/// A proxy that would not open a tunnel; 407 (credentials wanted or refused) is not retried.
fn proxy_failure(reason: &str, cx: &Context) -> Failure {
    let in_use = Msg::ProxyInUse.text();
    let p = cx.proxy.as_deref().unwrap_or(&in_use);
    let host = cx.host;
    let code = proxy_status(reason);
    if code == "407" {
        if let Some(m) = unsupported_auth(reason, p, host) {
            return Failure::fatal(GaStatus::GA_ERR_NETWORK, m);
        }
        return Failure::fatal(GaStatus::GA_ERR_NETWORK, Msg::Proxy407 { proxy: p });
    }
    let why = if code.is_empty() {
        reason.to_string()
    } else {
        format!("HTTP {code}")
    };
    // A refusal (403: the proxy's policy forbids the host; another 4xx) is final; a 5xx (the
    // proxy could not reach the host), a 408 or a 429 may pass on another try.
    let refused = code.starts_with('4') && code != "408" && code != "429";
    let hint = if code == "403" {
        Msg::ProxyNotAllowedHint.text()
    } else {
        String::new()
    };
    Failure::new(
        GaStatus::GA_ERR_NETWORK,
        Msg::ProxyNoTunnel {
            proxy: p,
            host,
            why,
            hint,
        },
        !refused,
    )
}

/// For a 407 whose proxy offers only schemes getavatar cannot answer (NTLM, Negotiate,
/// Digest...: it sends Basic only), the message saying which and what to do.
fn unsupported_auth(reason: &str, p: &str, host: &str) -> Option<String> {
    let (_, schemes) = reason.split_once(crate::net::connect_proxy::OFFERS)?;
    if schemes.split(", ").any(|s| s.eq_ignore_ascii_case("basic")) {
        return None;
    }
    Some(
        Msg::ProxyAuthUnsupported {
            proxy: p,
            schemes,
            host,
        }
        .text(),
    )
}

/// The HTTP status in ureq's reason text ("proxy server responded 407/..."): the first run of
/// exactly three digits, or "" when there is none.
fn proxy_status(reason: &str) -> &str {
    reason
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| s.len() == 3)
        .unwrap_or("")
}

/// A TLS failure, with a hint when the certificate's issuer is unknown (a re-signing proxy).
fn tls_message(host: &str, e: &rustls::Error) -> String {
    let hint = match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
            Msg::TlsUnknownIssuerHint.text()
        }
        _ => String::new(),
    };
    tls_failure(host, e.to_string(), &hint)
}

/// "TLS failure with HOST: ERROR" (the TLS library's text as it came), then `hint`.
fn tls_failure(host: &str, error: String, hint: &str) -> String {
    Msg::TlsFailure {
        host,
        error,
        hint: hint.to_string(),
    }
    .text()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(proxy: Option<&str>, is_api: bool, in_body: bool) -> Context<'static> {
        Context {
            host: "h.example:443",
            proxy: proxy.map(str::to_string),
            is_api,
            timeout: Duration::from_millis(1500),
            in_body,
        }
    }

    fn direct() -> Context<'static> {
        cx(None, true, false)
    }

    fn io(kind: K) -> ureq::Error {
        ureq::Error::Io(std::io::Error::from(kind))
    }

    fn check(f: &Failure, status: GaStatus, retryable: bool, text: &str) {
        assert_eq!((f.status, f.retryable), (status, retryable), "{f:?}");
        assert!(f.message.contains(text), "{:?} lacks {text:?}", f.message);
        assert_eq!(f.retry_after, None);
    }

    const NET: GaStatus = GaStatus::GA_ERR_NETWORK;

    #[test]
    fn timeouts_name_host_time_and_proxy() {
        let t = GaStatus::GA_ERR_TIMEOUT;
        let via = cx(Some("http://p:3128"), true, false);
        let f = classify(ureq::Error::Timeout(ureq::Timeout::Global), &via);
        check(
            &f,
            t,
            true,
            "no complete answer from h.example:443 within 1500 ms (via proxy http://p:3128)",
        );
        check(
            &classify(io(K::TimedOut), &direct()),
            t,
            true,
            "within 1500 ms",
        );
        check(
            &classify(io(K::WouldBlock), &direct()),
            t,
            true,
            "within 1500 ms",
        );
    }

    #[test]
    fn refused_connections_hint_at_apiurl_or_the_proxy() {
        let api = classify(io(K::ConnectionRefused), &direct());
        check(
            &api,
            NET,
            true,
            "refused (is the server running and apiUrl right?)",
        );
        let image = classify(io(K::ConnectionRefused), &cx(None, false, false));
        check(&image, NET, true, "connection to h.example:443 refused");
        assert!(!image.message.contains("apiUrl"), "{image:?}");
        let p = classify(
            io(K::ConnectionRefused),
            &cx(Some("socks5://p:1080"), true, false),
        );
        check(
            &p,
            NET,
            true,
            "connection to the proxy socks5://p:1080 refused",
        );
    }

    #[test]
    fn closed_connections_say_when() {
        for kind in [
            K::ConnectionReset,
            K::ConnectionAborted,
            K::BrokenPipe,
            K::UnexpectedEof,
        ] {
            let before = classify(io(kind), &direct());
            check(
                &before,
                NET,
                true,
                "closed by the server before an answer arrived",
            );
            let during = classify(io(kind), &cx(None, true, true));
            check(
                &during,
                NET,
                true,
                "closed by the server while reading the answer",
            );
        }
        let other = classify(io(K::AddrNotAvailable), &cx(Some("http://p:1"), true, true));
        check(
            &other,
            NET,
            true,
            "network error talking to h.example:443 while reading the answer",
        );
        assert!(
            other.message.ends_with("(via proxy http://p:1)"),
            "{other:?}"
        );
    }

    #[test]
    fn proxy_credentials_are_not_retried() {
        let denied = classify(
            io(K::PermissionDenied),
            &cx(Some("socks5://p:1080"), true, false),
        );
        check(
            &denied,
            NET,
            false,
            "the proxy socks5://p:1080 refused the user name or password",
        );
        let no_proxy = classify(io(K::PermissionDenied), &direct());
        check(
            &no_proxy,
            NET,
            true,
            "network error talking to h.example:443",
        );
        let reason = "proxy server responded 407/Proxy Authentication Required".to_string();
        let f = classify(
            ureq::Error::ConnectProxyFailed(reason),
            &cx(Some("http://p:3128"), true, false),
        );
        check(
            &f,
            NET,
            false,
            "the proxy http://p:3128 wants a user name and password",
        );
    }

    #[test]
    fn a_proxy_wanting_only_ntlm_or_negotiate_says_so_and_what_to_do() {
        let p = cx(Some("http://p:3128"), true, false);
        let e = |r: &str| classify(ureq::Error::ConnectProxyFailed(r.into()), &p);
        let f = e("proxy server responded 407; Proxy-Authenticate: Negotiate, NTLM");
        check(
            &f,
            NET,
            false,
            "the proxy http://p:3128 asks for Negotiate, NTLM authentication (HTTP 407), which getavatar cannot do",
        );
        for part in [
            "allow Basic authentication",
            "let h.example:443 through",
            "user:password@",
            "(proxy setting)",
        ] {
            assert!(f.message.contains(part), "{part}: {}", f.message);
        }
        // Basic among them: the credentials message.
        let f = e("proxy server responded 407; Proxy-Authenticate: NTLM, basic");
        check(&f, NET, false, "the proxy http://p:3128 wants a user name");
    }

    #[test]
    fn other_proxy_refusals_show_the_status_or_the_reason() {
        let p = cx(Some("http://p:3128"), true, false);
        let e = |r: &str| classify(ureq::Error::ConnectProxyFailed(r.into()), &p);
        check(
            &e("proxy server responded 502/Bad Gateway"),
            NET,
            true,
            "would not open a tunnel to h.example:443 (HTTP 502)",
        );
        check(&e("no status line"), NET, true, "(no status line)");
        assert_eq!(proxy_status("responded 4071"), "");
        assert_eq!(proxy_status("HTTP/1.1 403 Forbidden"), "403");
        let unnamed = classify(ureq::Error::ConnectProxyFailed("x".into()), &direct());
        check(
            &unnamed,
            NET,
            true,
            "the proxy in use would not open a tunnel",
        );
    }

    #[test]
    fn dns_connect_and_unknown_errors_are_retried() {
        let via = cx(Some("http://p:3128"), true, false);
        check(
            &classify(ureq::Error::HostNotFound, &via),
            NET,
            true,
            "could not resolve host h.example:443 (DNS) (via proxy http://p:3128)",
        );
        check(
            &classify(ureq::Error::ConnectionFailed, &direct()),
            NET,
            true,
            "could not connect to h.example:443",
        );
        check(
            &classify(ureq::Error::BodyStalled, &cx(None, true, true)),
            NET,
            true,
            "request to h.example:443 failed while reading the answer",
        );
    }

    #[test]
    fn bad_answers_and_tls_are_not_retried() {
        let big = classify(ureq::Error::LargeResponseHeader(70_000, 65_536), &direct());
        check(
            &big,
            GaStatus::GA_ERR_BAD_RESPONSE,
            false,
            "larger than 64 KiB",
        );
        check(
            &classify(ureq::Error::Tls("bad record"), &direct()),
            NET,
            false,
            "TLS failure with h.example:443: bad record",
        );
        let bad_name = ureq::Error::Tls(crate::messages::NOT_A_SERVER_NAME);
        check(
            &classify(bad_name, &direct()),
            NET,
            false,
            "TLS failure with h.example:443: not a valid TLS server name",
        );
        let ru = {
            let _ru = crate::messages::Scope::enter(crate::messages::Lang::Ru);
            classify(
                ureq::Error::Tls(crate::messages::NOT_A_SERVER_NAME),
                &direct(),
            )
        };
        check(
            &ru,
            NET,
            false,
            "ошибка TLS с h.example:443: недопустимое имя TLS-сервера",
        );
        let unknown = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = classify(
            ureq::Error::Io(std::io::Error::other(unknown.clone())),
            &direct(),
        );
        check(&wrapped, NET, false, "trust its root (CA file setting)");
        let direct_tls = classify(ureq::Error::Rustls(unknown), &direct());
        check(&direct_tls, NET, false, "TLS failure with h.example:443");
        let expired = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let m = classify(ureq::Error::Io(std::io::Error::other(expired)), &direct()).message;
        assert!(!m.contains("CA file setting"), "{m}");
    }

    #[test]
    fn a_localhost_name_resolving_elsewhere_is_refused_for_good() {
        let n = NotLoopback("the name localhost resolves to 203.0.113.9".into());
        let f = classify(
            ureq::Error::Io(std::io::Error::other(n)),
            &cx(Some("http://p:1"), true, false),
        );
        check(
            &f,
            NET,
            false,
            "the name localhost resolves to 203.0.113.9 (via proxy http://p:1)",
        );
    }
}
