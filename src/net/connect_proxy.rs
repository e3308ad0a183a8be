//! HTTP CONNECT through a proxy, in place of ureq's connector (which keeps only the status of a
//! refusal): the same request (Basic credentials when the proxy URL has them), and a refusal
//! that keeps what the message needs: the status and, for 407, the authentication schemes the
//! proxy offers (`Proxy-Authenticate`), read as tokens only (nothing else the proxy sent).

use ureq::unversioned::transport::{ConnectionDetails, Connector, Either, Transport};
use ureq::{Error, ProxyProtocol};

use crate::messages::Msg;
use crate::net::transport::{TcpConnector, TcpTransport};

/// The largest answer head read from a proxy.
const MAX_HEAD: usize = 16 * 1024;

/// What a 407 refusal's reason text holds before the schemes (see `transport_error`).
pub(crate) const OFFERS: &str = "; Proxy-Authenticate: ";

/// Opens a tunnel through the agent's HTTP proxy, unless the target bypasses it.
#[derive(Debug, Default)]
pub struct ConnectProxy;

impl<In: Transport> Connector<In> for ConnectProxy {
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
        if proxy.protocol() != ProxyProtocol::Http || proxy.is_no_proxy(details.uri) {
            return Ok(None);
        }
        let addrs = details
            .resolver
            .resolve(proxy.uri(), details.config, details.timeout)?;
        let hop = ConnectionDetails {
            uri: proxy.uri(),
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
        let mut t = match Connector::<()>::connect(&TcpConnector, &hop, None)? {
            Some(Either::B(t)) => t,
            _ => return Err(Error::ConnectionFailed),
        };
        let request = connect_request(details, proxy)?;
        let out = t.buffers().output();
        if request.len() > out.len() {
            return Err(Error::ConnectProxyFailed(
                "CONNECT request too large".into(),
            ));
        }
        out[..request.len()].copy_from_slice(request.as_bytes());
        t.transmit_output(request.len(), details.timeout)?;
        let head = read_head(&mut t, details)?;
        check_answer(&head)?;
        Ok(Some(Either::B(t)))
    }
}

/// The proxy did not answer the CONNECT in time: a timeout the message blames on the proxy, not
/// on the host behind it (see `transport_error`).
#[derive(Debug)]
pub(crate) struct ProxySilent;

impl std::fmt::Display for ProxySilent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the proxy did not answer the CONNECT")
    }
}

impl std::error::Error for ProxySilent {}

/// A timeout waiting for the CONNECT answer, marked as the proxy's silence.
fn silent_proxy(e: Error) -> Error {
    match e {
        Error::Timeout(_) => Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            ProxySilent,
        )),
        e => e,
    }
}

/// `CONNECT host:port`, with the User-Agent and, when the proxy URL has them, Basic credentials.
fn connect_request(details: &ConnectionDetails, proxy: &ureq::Proxy) -> Result<String, Error> {
    let uri = details.uri;
    let host = uri.host().ok_or(Error::HostNotFound)?;
    let https = uri.scheme_str() == Some("https");
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let mut r = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if let ureq::config::AutoHeaderValue::Provided(ua) = details.config.user_agent() {
        r.push_str(&format!("User-Agent: {ua}\r\n"));
    }
    r.push_str("Proxy-Connection: Keep-Alive\r\n");
    if proxy.username().is_some() || proxy.password().is_some() {
        let creds = format!(
            "{}:{}",
            proxy.username().unwrap_or_default(),
            proxy.password().unwrap_or_default()
        );
        r.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            base64(creds.as_bytes())
        ));
    }
    r.push_str("\r\n");
    Ok(r)
}

/// Reads the proxy's answer head (up to the empty line), consuming it from the input.
fn read_head(t: &mut TcpTransport, details: &ConnectionDetails) -> Result<String, Error> {
    loop {
        let progress = t.await_input(details.timeout).map_err(silent_proxy)?;
        let input = t.buffers().input();
        if let Some(end) = input.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&input[..end]).into_owned();
            t.buffers().input_consume(end + 4);
            return Ok(head);
        }
        if input.len() > MAX_HEAD {
            return Err(Error::ConnectProxyFailed(
                Msg::ProxyHeadTooLarge { max: MAX_HEAD }.text(),
            ));
        }
        if !progress {
            return Err(Error::ConnectProxyFailed(Msg::ProxyNoResponse.text()));
        }
    }
}

/// Ok for a 2xx answer; otherwise the refusal, as ureq words it ("proxy server responded
/// 407/..."), with the schemes a 407 offers after [`OFFERS`].
fn check_answer(head: &str) -> Result<(), Error> {
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("");
    let code = status.split_whitespace().nth(1).unwrap_or("");
    if code.len() == 3 && code.starts_with('2') && code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::ConnectProxyFailed(Msg::ProxyInvalidStatus.text()));
    }
    // With a status: the failure's message shows "HTTP <code>", not this text (see
    // `transport_error::proxy_failure`), which only carries the code and the schemes.
    let mut reason = format!("proxy server responded {code}");
    if code == "407" {
        let schemes = auth_schemes(lines);
        if !schemes.is_empty() {
            reason.push_str(OFFERS);
            reason.push_str(&schemes.join(", "));
        }
    }
    Err(Error::ConnectProxyFailed(reason))
}

/// The scheme names of the `Proxy-Authenticate` headers among `lines` (each value may hold
/// several challenges: `Basic realm="x", NTLM`): tokens of letters, digits and `-_.`, each
/// once, at most 8.
fn auth_schemes<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("proxy-authenticate") {
            continue;
        }
        for part in value.split(',') {
            let first = part.split_whitespace().next().unwrap_or("");
            let token = !first.is_empty()
                && first.len() <= 32
                && first
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            // `realm="x"` and other parameters hold '=', which no scheme name does.
            if token && !out.iter().any(|s| s.eq_ignore_ascii_case(first)) && out.len() < 8 {
                out.push(first.to_string());
            }
        }
    }
    out
}

/// Standard base64 (RFC 4648).
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_the_status_and_the_offered_schemes_only() {
        assert!(check_answer("HTTP/1.1 200 Connection established").is_ok());
        assert!(check_answer("HTTP/1.0 200 OK\r\nX: y").is_ok());
        let refusal = |h: &str| match check_answer(h) {
            Err(Error::ConnectProxyFailed(r)) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refusal("HTTP/1.1 502 Bad Gateway"),
            "proxy server responded 502"
        );
        assert_eq!(
            refusal(
                "HTTP/1.1 407 Proxy Authentication Required\r\n\
                 Proxy-Authenticate: Negotiate\r\nproxy-authenticate: NTLM\r\n\
                 Proxy-Authenticate: NTLM TlRMTVNTUAACAAAA==, Kerberos\r\nVia: x"
            ),
            "proxy server responded 407; Proxy-Authenticate: Negotiate, NTLM, Kerberos"
        );
        assert_eq!(
            refusal("HTTP/1.1 407 x\r\nProxy-Authenticate: Basic realm=\"a, b=c\", Digest realm=\"q\", nonce=\"1\""),
            "proxy server responded 407; Proxy-Authenticate: Basic, Digest"
        );
        assert_eq!(refusal("HTTP/1.1 407 x"), "proxy server responded 407");
        assert_eq!(
            refusal(
                "HTTP/1.1 407 x\r\nProxy-Authenticate: \u{1b}[31mevil\r\nProxy-Authenticate: a<b"
            ),
            "proxy server responded 407"
        );
        assert_eq!(
            refusal("garbage"),
            "proxy server responded an invalid status"
        );
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
