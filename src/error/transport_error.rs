//! What a failed request (a ureq error: no usable answer arrived) means for the user: the status,
//! a message naming the host and the proxy (never the URL: the getAvatar URL holds the token),
//! and whether another attempt may help. Pure: it looks only at the error and its [`Context`].

use std::io::ErrorKind as K;
use std::time::Duration;

use crate::error::failure::Failure;
use crate::error::status::GaStatus;
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
            .map(|p| format!(" (via proxy {p})"))
            .unwrap_or_default()
    }

    fn during(&self) -> &'static str {
        if self.in_body {
            "while reading the answer"
        } else {
            "before an answer arrived"
        }
    }

    /// A proxy that never answered the CONNECT for this host: the silent party is the proxy.
    fn proxy_silent(&self) -> Failure {
        let (host, ms) = (self.host, self.timeout.as_millis());
        let p = self.proxy.as_deref().unwrap_or("in use");
        Failure::transient(
            GaStatus::GA_ERR_TIMEOUT,
            format!(
                "the proxy {p} did not answer the CONNECT to {host} within {ms} ms (proxy setting)"
            ),
        )
    }

    /// No connection within the timeout (the host, or the proxy, never answered the connection
    /// request: a dead network, a firewall that drops packets): no request was sent.
    fn connect_timed_out(&self) -> Failure {
        let (host, ms) = (self.host, self.timeout.as_millis());
        let m = match &self.proxy {
            Some(p) => format!("could not connect to the proxy {p} within {ms} ms (for {host})"),
            None => format!("could not connect to {host} within {ms} ms"),
        };
        Failure::transient(GaStatus::GA_ERR_TIMEOUT, m)
    }

    fn timed_out(&self) -> Failure {
        let (host, ms, via) = (self.host, self.timeout.as_millis(), self.via());
        Failure::transient(
            GaStatus::GA_ERR_TIMEOUT,
            format!("no complete answer from {host} within {ms} ms{via}"),
        )
    }
}

/// How the message of a timeout that met no server begins (a connection never made, a proxy
/// that never answered): every other request of the client would meet it too.
pub(crate) const NEVER_REACHED: [&str; 2] = ["could not connect to ", "the proxy "];

/// The failure a ureq error stands for.
pub(crate) fn classify(e: ureq::Error, cx: &Context) -> Failure {
    let (host, via, during) = (cx.host, cx.via(), cx.during());
    let network = GaStatus::GA_ERR_NETWORK;
    let bad = GaStatus::GA_ERR_BAD_RESPONSE;
    match e {
        ureq::Error::Timeout(ureq::Timeout::Connect) if !cx.in_body => cx.connect_timed_out(),
        ureq::Error::Timeout(_) => cx.timed_out(),
        ureq::Error::Io(io) => io_failure(io, cx),
        ureq::Error::HostNotFound => {
            Failure::transient(network, format!("could not resolve host {host} (DNS){via}"))
        }
        ureq::Error::ConnectionFailed => {
            Failure::transient(network, format!("could not connect to {host}{via}"))
        }
        ureq::Error::ConnectProxyFailed(reason) => proxy_failure(&reason, cx),
        ureq::Error::Protocol(p) => Failure::fatal(
            bad,
            format!("the server's answer is not valid HTTP/1.1 ({p})"),
        ),
        ureq::Error::LargeResponseHeader(..) => Failure::fatal(
            bad,
            "the server's response headers are larger than 64 KiB; refused",
        ),
        ureq::Error::Tls(t) => Failure::fatal(network, format!("TLS failure with {host}: {t}")),
        ureq::Error::Rustls(t) => Failure::fatal(network, format!("TLS failure with {host}: {t}")),
        other => Failure::transient(
            network,
            format!("request to {host} failed {during}: {other}{via}"),
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
            Some(p) => {
                return Failure::transient(
                    network,
                    format!("connection to the proxy {p} refused (is it running, and is the proxy URL right?)"),
                )
            }
            None if cx.is_api => format!(
                "connection to {host} refused (is the server running and apiUrl right?)"
            ),
            None => format!("connection to {host} refused"),
        },
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            format!("connection to {host} closed by the server {during}")
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
                format!(
                    "the proxy {} refused the user name or password: check the credentials in the proxy URL",
                    cx.proxy.as_deref().unwrap_or_default()
                ),
            )
        }
        _ => {
            let inner = io.get_ref();
            if let Some(n) = inner.and_then(|i| i.downcast_ref::<crate::net::transport::ThisMachine>()) {
                return Failure::fatal(GaStatus::GA_ERR_BAD_RESPONSE, n.to_string());
            }
            if let Some(n) = inner.and_then(|i| i.downcast_ref::<NotLoopback>()) {
                return Failure::fatal(network, format!("{n}{via}"));
            }
            if let Some(n) = inner.and_then(|i| i.downcast_ref::<crate::tls::NoTrust>()) {
                return Failure::fatal(network, format!("TLS with {host}: {n}"));
            }
            if let Some(t) = inner.and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Failure::fatal(network, tls_message(host, t));
            }
            format!("network error talking to {host} {during}: {io}")
        }
    };
    Failure::transient(network, format!("{what}{via}"))
}

/// A proxy that would not open a tunnel; 407 (credentials wanted or refused) is not retried.
fn proxy_failure(reason: &str, cx: &Context) -> Failure {
    let p = cx.proxy.as_deref().unwrap_or("in use");
    let host = cx.host;
    let code = proxy_status(reason);
    if code == "407" {
        if let Some(m) = unsupported_auth(reason, p, host) {
            return Failure::fatal(GaStatus::GA_ERR_NETWORK, m);
        }
        return Failure::fatal(
            GaStatus::GA_ERR_NETWORK,
            format!(
                "the proxy {p} wants a user name and password, or refused the ones given (HTTP 407): check the credentials in the proxy URL"
            ),
        );
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
        ": it is not allowed through; ask whoever runs the proxy to let it through"
    } else {
        ""
    };
    Failure::new(
        GaStatus::GA_ERR_NETWORK,
        format!("the proxy {p} would not open a tunnel to {host} ({why}){hint}"),
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
    Some(format!(
        "the proxy {p} asks for {schemes} authentication (HTTP 407), which getavatar cannot do \
         (it sends a user name and password by Basic authentication only): ask your IT \
         department to allow Basic authentication on the proxy, or to let {host} through \
         without authentication; if the proxy also accepts Basic, give user:password@ in the \
         proxy URL (proxy setting)"
    ))
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
            "; if a proxy re-signs TLS or the server has a private root, trust its root (CA file setting)"
        }
        _ => "",
    };
    format!("TLS failure with {host}: {e}{hint}")
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
