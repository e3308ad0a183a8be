//! Proxy settings: checking a proxy URL (credentials never appear in a message), reading the
//! standard environment variables, and turning `NO_PROXY` into the rules ureq applies per host.

use crate::answer::url::split_scheme;
use crate::messages::Msg;
use crate::text::mask_credentials;

/// How a proxy is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyScheme {
    /// `http://`: HTTP CONNECT.
    Http,
    /// `socks5://` (or `socks://`): SOCKS5, the client resolves the target.
    Socks5,
    /// `socks5h://`: SOCKS5, the proxy resolves the target.
    Socks5h,
}

impl ProxyScheme {
    /// The scheme as URLs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyScheme::Http => "http",
            ProxyScheme::Socks5 => "socks5",
            ProxyScheme::Socks5h => "socks5h",
        }
    }

    /// The port used when the URL names none.
    fn default_port(self) -> u16 {
        match self {
            ProxyScheme::Http => 80,
            _ => 1080,
        }
    }
}

impl std::fmt::Display for ProxyScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A checked proxy URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    /// How the proxy is spoken to.
    pub scheme: ProxyScheme,
    /// Host name or IP literal (IPv6 in brackets).
    pub host: String,
    /// Port (default 80 for http, 1080 for socks5).
    pub port: u16,
    /// Decoded user name, if any.
    pub user: Option<String>,
    /// Decoded password, if any.
    pub password: Option<String>,
}

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl ProxyUrl {
    /// The URL as messages show it: `scheme://host:port`, with `***@` where credentials are.
    pub fn shown(&self) -> String {
        let creds = if self.user.is_some() || self.password.is_some() {
            "***@"
        } else {
            ""
        };
        format!("{}://{creds}{}:{}", self.scheme, self.host, self.port)
    }

    /// The ureq proxy for this URL; `no_proxy` are ureq NO_PROXY expressions.
    pub(crate) fn to_ureq(&self, no_proxy: &[String]) -> Result<ureq::Proxy, String> {
        let proto = match self.scheme {
            ProxyScheme::Http => ureq::ProxyProtocol::Http,
            ProxyScheme::Socks5 => ureq::ProxyProtocol::Socks5,
            ProxyScheme::Socks5h => ureq::ProxyProtocol::Socks5h,
        };
        let mut b = ureq::Proxy::builder(proto).host(&self.host).port(self.port);
        if let Some(u) = &self.user {
            b = b.username(u);
        }
        if let Some(p) = &self.password {
            b = b.password(p);
        }
        for e in no_proxy {
            b = b.no_proxy(e);
        }
        b.build().map_err(|_| {
            Msg::ProxyNotValidAddress {
                proxy: self.shown(),
            }
            .text()
        })
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Percent-decodes user info; None when it is not valid percent-encoded UTF-8.
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex(*b.get(i + 1)?)?;
            let lo = hex(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `user[:password]`, each percent-decoded; None when one is not valid percent-encoded UTF-8.
fn decode_userinfo(ui: &str) -> Option<(Option<String>, Option<String>)> {
    let (u, p) = match ui.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (ui, None),
    };
    let p = match p {
        Some(p) => Some(decode(p)?),
        None => None,
    };
    Some((Some(decode(u)?), p))
}

/// Checks a proxy URL: `http://[user:password@]host[:port]`, `socks5://...` or `socks5h://...`
/// (no scheme means http). User name and password are percent-decoded. Messages never contain
/// the credentials.
pub fn parse_proxy_url(raw: &str) -> Result<ProxyUrl, String> {
    check_proxy_text(raw)?;
    let (scheme, rest) = proxy_scheme(raw)?;
    let (userinfo, hostport) = proxy_authority(raw, rest)?;
    let (user, password) = proxy_credentials(raw, userinfo)?;
    let (host, port) = proxy_host_port(raw, hostport)?;
    let port = proxy_port(raw, scheme, port, userinfo.is_some())?;
    check_socks_credentials(raw, scheme, &user, &password)?;
    Ok(ProxyUrl {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
        user,
        password,
    })
}

/// What a proxy URL means, for error messages.
fn expected() -> String {
    Msg::ProxyExpected.text()
}

/// The proxy URL as an error message may show it: credentials masked, then quoted.
fn shown_proxy(raw: &str) -> String {
    crate::answer::validate::shown(&mask_credentials(raw))
}

/// Refuses a proxy URL that is too long or holds spaces or control characters.
fn check_proxy_text(raw: &str) -> Result<(), String> {
    if raw.len() > crate::answer::validate::MAX_API_URL_LEN {
        return Err(Msg::ProxyUrlTooLong {
            len: raw.len(),
            max: crate::answer::validate::MAX_API_URL_LEN,
            expected: expected(),
        }
        .text());
    }
    if raw.trim() != raw || raw.chars().any(|c| c.is_control() || c == ' ') {
        return Err(Msg::ProxyUrlSpaces {
            url: shown_proxy(raw),
            expected: expected(),
        }
        .text());
    }
    Ok(())
}

/// The proxy's scheme (http when none is given) and the text after `scheme://`.
fn proxy_scheme(raw: &str) -> Result<(ProxyScheme, &str), String> {
    let (scheme, rest) = match split_scheme(raw) {
        (Some(s), rest) => (s.to_ascii_lowercase(), rest),
        (None, rest) => ("http".to_string(), rest),
    };
    let scheme = match scheme.as_str() {
        "http" => ProxyScheme::Http,
        "socks5" | "socks" => ProxyScheme::Socks5,
        "socks5h" => ProxyScheme::Socks5h,
        "https" => {
            return Err(Msg::ProxyHttps {
                url: shown_proxy(raw),
            }
            .text())
        }
        other => {
            return Err(Msg::ProxyScheme {
                url: shown_proxy(raw),
                scheme: crate::answer::validate::shown(other),
                expected: expected(),
            }
            .text())
        }
    };
    Ok((scheme, rest))
}

/// Splits the authority into its optional user info and `host[:port]`, refusing a path,
/// query or fragment.
fn proxy_authority<'a>(raw: &str, rest: &'a str) -> Result<(Option<&'a str>, &'a str), String> {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !(tail.is_empty() || tail == "/") {
        return Err(Msg::ProxyPath {
            url: shown_proxy(raw),
            expected: expected(),
        }
        .text());
    }
    Ok(match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    })
}

/// The decoded user name and password from the user info, if any.
type Credentials = (Option<String>, Option<String>);

/// Decodes the user info into a user name and password.
fn proxy_credentials(raw: &str, userinfo: Option<&str>) -> Result<Credentials, String> {
    match userinfo {
        None => Ok((None, None)),
        Some(ui) => decode_userinfo(ui).ok_or_else(|| {
            Msg::ProxyCredentialsEncoding {
                url: shown_proxy(raw),
            }
            .text()
        }),
    }
}

/// Splits `host[:port]` and checks the host.
fn proxy_host_port<'a>(raw: &str, hostport: &'a str) -> Result<(&'a str, Option<&'a str>), String> {
    use crate::answer::url::AuthorityError as E;
    let (host, port) = crate::answer::url::split_authority(hostport).map_err(|e| match e {
        E::UnclosedBracket => Msg::ProxyUnclosedBracket {
            url: shown_proxy(raw),
        }
        .text(),
        E::BadIpv6 => Msg::ProxyBadIpv6 {
            url: shown_proxy(raw),
        }
        .text(),
        E::AfterBracket => Msg::ProxyAfterBracket {
            url: shown_proxy(raw),
        }
        .text(),
    })?;
    if host.is_empty()
        || !host.starts_with('[')
            && !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(Msg::ProxyNoHost {
            url: shown_proxy(raw),
            expected: expected(),
        }
        .text());
    }
    Ok((host, port))
}

/// The port number: the scheme's default when none is given; a bad port without user info
/// gets a hint about where a password goes.
fn proxy_port(
    raw: &str,
    scheme: ProxyScheme,
    port: Option<&str>,
    has_userinfo: bool,
) -> Result<u16, String> {
    let Some(p) = port else {
        return Ok(scheme.default_port());
    };
    crate::answer::url::parse_port(p).ok_or_else(|| {
        let hint = if !has_userinfo && !p.bytes().all(|b| b.is_ascii_digit()) {
            Msg::ProxyPortHint.text()
        } else {
            String::new()
        };
        Msg::ProxyBadPort {
            url: shown_proxy(raw),
            hint,
        }
        .text()
    })
}

/// Refuses SOCKS5 credentials longer than the protocol's 255 bytes.
fn check_socks_credentials(
    raw: &str,
    scheme: ProxyScheme,
    user: &Option<String>,
    password: &Option<String>,
) -> Result<(), String> {
    if scheme != ProxyScheme::Http {
        let too_long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > 255);
        if too_long(user) || too_long(password) {
            return Err(Msg::ProxySocksCredentials {
                url: shown_proxy(raw),
            }
            .text());
        }
    }
    Ok(())
}

/// The proxy the environment asks for, read as curl does: for an https apiUrl `HTTPS_PROXY`
/// then `https_proxy`, for http `http_proxy`; then `ALL_PROXY`, `all_proxy`. Empty values are
/// skipped. Returns the variable's name and value.
pub fn proxy_from_env(
    https: bool,
    get: impl Fn(&str) -> Option<String>,
) -> Option<(&'static str, String)> {
    let names: &[&'static str] = if https {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["http_proxy", "ALL_PROXY", "all_proxy"]
    };
    names
        .iter()
        .find_map(|n| get(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
}

/// The ureq NO_PROXY expressions for a `NO_PROXY` value, with curl's meaning: `*` matches
/// every host; `example.com`, `.example.com` and `*.example.com` each match example.com and
/// every name under it; IP literals match exactly. Entries with a port or CIDR mask are
/// skipped (not supported).
pub fn no_proxy_rules(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        if e == "*" {
            return vec!["*".to_string()];
        }
        let e = e.trim_start_matches("*.").trim_start_matches('.');
        if e.is_empty() || e.contains('/') {
            continue;
        }
        let e = e.to_ascii_lowercase();
        if e.parse::<std::net::Ipv6Addr>().is_ok() {
            out.push(format!("[{e}]"));
        } else if e.starts_with('[') || e.parse::<std::net::Ipv4Addr>().is_ok() {
            out.push(e);
        } else if !e.contains(':') {
            out.push(format!(".{e}"));
            out.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_and_never_show_credentials() {
        let p = parse_proxy_url("http://us%40er:p%3Ass@Proxy.Corp:3128/").unwrap();
        assert_eq!(
            (p.scheme.as_str(), p.host.as_str(), p.port),
            ("http", "proxy.corp", 3128)
        );
        assert_eq!(p.user.as_deref(), Some("us@er"));
        assert_eq!(p.password.as_deref(), Some("p:ss"));
        assert_eq!(p.shown(), "http://***@proxy.corp:3128");
        assert_eq!(format!("{p:?}"), "http://***@proxy.corp:3128");
        let p = parse_proxy_url("socks5://u:pw@[::1]").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("[::1]", 1080));
        assert_eq!(
            parse_proxy_url("10.0.0.1:8080").unwrap().scheme,
            ProxyScheme::Http
        );
        assert_eq!(
            parse_proxy_url("socks5h://h").unwrap().scheme,
            ProxyScheme::Socks5h
        );
        for (bad, says) in [
            ("ftp://secretuser:secretpass@h:1", "scheme"),
            ("https://secretuser:secretpass@h:1", "https:// proxies"),
            ("http://secretuser:secretpass@h:0", "invalid port"),
            ("http://secretuser:secretpass@h:99999", "invalid port"),
            ("http://secretuser:secretpass@h:1x", "invalid port"),
            ("http://secretuser:secretpass@:1", "no valid host"),
            ("http://secretuser:secretpass@h/path", "path"),
            ("http://secretuser:secretpass@h?q", "path"),
            ("http://secretuser:secret%ZZpass@h", "percent-encoded"),
            ("http://secretuser:secret%FFpass@h", "percent-encoded"),
            ("http://secretuser:secretpass@[::1", "unclosed"),
            ("http://secretuser:secretpass@[zz]:1", "IPv6"),
            ("http://secretuser:secret/pass@h", "percent-encode"),
            ("http://secretuser:secretpass@h o", "spaces"),
            ("http://secretuser:secretpass@h\n", "control"),
            ("", "no valid host"),
        ] {
            let m = parse_proxy_url(bad).unwrap_err();
            assert!(m.contains(says), "{bad:?}: {m}");
            assert!(
                !m.contains("secretuser") && !m.contains("secretpass"),
                "{bad:?}: {m}"
            );
        }
        assert!(parse_proxy_url(&"7".repeat(2049))
            .unwrap_err()
            .contains("2049 bytes long"));
        let long = format!("socks5://u:{}@h", "p".repeat(256));
        assert!(parse_proxy_url(&long).unwrap_err().contains("255"));
        assert!(parse_proxy_url(&long.replace("socks5", "http")).is_ok());
    }

    #[test]
    fn masking_keeps_only_scheme_and_host() {
        assert_eq!(mask_credentials("http://a:b@h:1/x"), "http://***@h:1/x");
        assert_eq!(mask_credentials("a:b@c@h"), "***@h");
        assert_eq!(mask_credentials("http://h:1"), "http://h:1");
        assert_eq!(mask_credentials("http://u:pa/ss@h"), "http://***@h");
        assert_eq!(mask_credentials("http://h/a@b"), "http://***@b");
        // A "://" inside the credentials is not a scheme.
        assert_eq!(mask_credentials("u:pa://ss@h"), "***@h");
        assert!(!parse_proxy_url("u:secret9x://q@h")
            .unwrap_err()
            .contains("secret9x"));
    }

    #[test]
    fn a_password_without_at_is_not_shown_as_a_port() {
        assert_eq!(mask_credentials("http://alice:S3cr3t"), "http://alice:***");
        assert_eq!(mask_credentials("alice:S3cr3t/x"), "alice:***");
        assert_eq!(mask_credentials("socks5://[::1]:pw"), "socks5://[::1]:***");
        assert_eq!(mask_credentials("http://h:8080/"), "http://h:8080/");
        for raw in [
            "http://alice:S3cr3t",
            "alice:S3cr3t",
            "socks5h://alice:S3cr3t/",
            "http://alice:s3cr3t?x",
            "http://[::1]:S3cr3t",
        ] {
            let e = parse_proxy_url(raw).unwrap_err();
            assert!(!e.to_lowercase().contains("s3cr3t"), "{raw}: {e}");
        }
        let e = parse_proxy_url("http://alice:S3cr3t").unwrap_err();
        assert!(e.contains("user:password@host"), "{e}");
    }

    #[test]
    fn environment_is_read_in_curls_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let all = env(&[
            ("HTTPS_PROXY", "http://a:1"),
            ("https_proxy", "http://b:1"),
            ("ALL_PROXY", "socks5://c:1"),
            ("http_proxy", "http://d:1"),
            ("HTTP_PROXY", "http://e:1"),
        ]);
        assert_eq!(proxy_from_env(true, all).unwrap().0, "HTTPS_PROXY");
        assert_eq!(proxy_from_env(false, all).unwrap().0, "http_proxy");
        let some = env(&[("HTTPS_PROXY", " "), ("all_proxy", "socks5://c:1")]);
        assert_eq!(proxy_from_env(true, some).unwrap().0, "all_proxy");
        let upper_http_only = env(&[("HTTP_PROXY", "http://e:1")]);
        assert_eq!(proxy_from_env(false, upper_http_only), None);
        assert_eq!(proxy_from_env(true, env(&[])), None);
    }

    #[test]
    fn no_proxy_entries_follow_curl() {
        assert_eq!(
            no_proxy_rules(
                " example.com, .corp.local,*.x.org,10.1.2.3,::1,[::2],h:80,10.0.0.0/8,,"
            ),
            [
                ".example.com",
                "example.com",
                ".corp.local",
                "corp.local",
                ".x.org",
                "x.org",
                "10.1.2.3",
                "[::1]",
                "[::2]"
            ]
        );
        assert_eq!(no_proxy_rules("a.com,*"), ["*"]);
        let p = parse_proxy_url("http://127.0.0.1:9")
            .unwrap()
            .to_ureq(&no_proxy_rules("example.com,127.0.0.2,::1"))
            .unwrap();
        for (uri, bypass) in [
            ("https://example.com/x", true),
            ("https://api.example.com/x", true),
            ("https://EXAMPLE.com/x", true),
            ("https://notexample.com/x", false),
            ("http://127.0.0.2:1/", true),
            ("http://127.0.0.1:1/", false),
            ("http://[::1]:1/", true),
        ] {
            let u: ureq::http::Uri = uri.parse().unwrap();
            assert_eq!(p.is_no_proxy(&u), bypass, "{uri}");
        }
    }
}

pub(crate) mod rules;
pub(crate) mod system_proxy;
