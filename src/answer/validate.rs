//! Input checks and URL building. Everything here runs before any request is made.
//!
//! No message produced here contains the API token, not even one character of it; a value that
//! fails a check and looks like a token (see `redact::secret_like`) is described, not quoted.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// Longest chatId accepted, in characters (group ids are 16 today and "may grow").
pub const MAX_CHAT_ID_LEN: usize = 32;
/// Longest apiTokenInstance accepted (GREEN-API's are 50).
pub const MAX_TOKEN_LEN: usize = 512;
/// Longest apiUrl accepted.
pub const MAX_API_URL_LEN: usize = 2048;

/// A checked `apiUrl`: scheme, authority and a path prefix without `/v3` or trailing slashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiUrl {
    /// `http` or `https`, lowercase.
    pub scheme: &'static str,
    /// Host as written (lowercased); IPv6 literals keep their brackets.
    pub host: String,
    /// Explicit port, if any.
    pub port: Option<u16>,
    /// Path prefix: empty or starting with `/`, never ending in `/` or `/v3`.
    pub prefix: String,
}

impl ApiUrl {
    /// The base every method URL starts with, e.g. `https://3100.api.green-api.com/v3`.
    pub fn base(&self) -> String {
        let mut s = format!("{}://{}", self.scheme, self.host);
        if let Some(p) = self.port {
            let _ = write!(s, ":{p}");
        }
        s.push_str(&self.prefix);
        s.push_str("/v3");
        s
    }

    /// The full getAvatar URL, token included: keep it out of every message.
    pub fn get_avatar_url(&self, id_instance: &str, token: &str) -> String {
        format!("{}/waInstance{id_instance}/getAvatar/{token}", self.base())
    }
}

/// Whether `host` (lowercase, IPv6 in brackets) is a loopback host: a literal address in
/// 127.0.0.0/8 or ::1, or the name `localhost` itself (not `*.localhost`, which any resolver may
/// send anywhere).
pub fn is_loopback_host(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner
            .parse::<std::net::Ipv6Addr>()
            .map(|a| a.is_loopback())
            .unwrap_or(false);
    }
    host.parse::<Ipv4Addr>()
        .map(|a| a.is_loopback())
        .unwrap_or(false)
}

use crate::messages::Msg;
pub(crate) use crate::text::shown;

/// Checks `apiUrl` and splits it. `https://` is required except for loopback hosts.
pub fn parse_api_url(raw: &str) -> Result<ApiUrl, String> {
    let s = raw;
    check_api_url_text(s)?;
    let (scheme, rest) = api_url_scheme(s)?;
    let (authority, path) = api_url_authority(s, rest)?;
    let (host, port) = split_host_port(authority)
        .map_err(|why| String::from(Msg::ApiUrlHost { url: shown(s), why }))?;
    if scheme == "http" && !is_loopback_host(&host) {
        return Err(Msg::ApiUrlHttpNotLoopback { url: shown(s) }.into());
    }
    check_api_url_path(s, path)?;
    Ok(ApiUrl {
        scheme,
        host,
        port,
        prefix: api_url_prefix(path),
    })
}

/// Refuses an empty or too long apiUrl, or one with white space or control characters.
fn check_api_url_text(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(Msg::ApiUrlEmpty.into());
    }
    if s.len() > MAX_API_URL_LEN {
        return Err(Msg::ApiUrlTooLong {
            max: MAX_API_URL_LEN,
        }
        .into());
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        let url = shown(s);
        return Err(if c.is_whitespace() {
            Msg::ApiUrlWhiteSpace { url }
        } else {
            Msg::ApiUrlControl { url }
        }
        .into());
    }
    Ok(())
}

/// The apiUrl's scheme (https or http) and the text after `://`.
fn api_url_scheme(s: &str) -> Result<(&'static str, &str), String> {
    let (scheme, rest) = match s.find("://") {
        Some(i) => (s[..i].to_ascii_lowercase(), &s[i + 3..]),
        None if !s.contains('.') && !s.contains(':') => {
            return Err(crate::redact::secret_like(s)
                .map_or_else(
                    || Msg::ApiUrlNotUrl { url: shown(s) },
                    |what| Msg::ApiUrlLooksLikeToken { what },
                )
                .into());
        }
        None => return Err(Msg::ApiUrlNoScheme { url: shown(s) }.into()),
    };
    let scheme: &'static str = match scheme.as_str() {
        "https" => "https",
        "http" => "http",
        _ => return Err(Msg::ApiUrlBadScheme { url: shown(s) }.into()),
    };
    Ok((scheme, rest))
}

/// Splits the text after the scheme into authority and path, refusing a query, a fragment
/// or user credentials.
fn api_url_authority<'a>(s: &str, rest: &'a str) -> Result<(&'a str, &'a str), String> {
    if rest.contains('?') || rest.contains('#') {
        return Err(Msg::ApiUrlQuery { url: shown(s) }.into());
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        // Never echo it: it may hold a password.
        return Err(Msg::ApiUrlCredentials.into());
    }
    Ok((authority, path))
}

/// Refuses a path with characters not allowed in a URL path, or one that looks like it holds
/// a token or id.
fn check_api_url_path(s: &str, path: &str) -> Result<(), String> {
    for c in path.chars() {
        let ok = c.is_ascii_alphanumeric() || "-._~/%!$&'()*+,;=:@".contains(c);
        if !ok {
            return Err(Msg::ApiUrlPathChar {
                url: shown(s),
                c: c.escape_debug().to_string(),
            }
            .into());
        }
    }
    if crate::redact::secret_like(path).is_some() {
        return Err(Msg::ApiUrlPathSecret { url: shown(s) }.into());
    }
    Ok(())
}

/// The path prefix to put before `/waInstance...`: trailing slashes and a final `/v3` removed.
fn api_url_prefix(path: &str) -> String {
    let mut prefix = path.trim_end_matches('/').to_string();
    if prefix.ends_with("/v3") {
        prefix.truncate(prefix.len() - 3);
        prefix = prefix.trim_end_matches('/').to_string();
    }
    prefix
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    use crate::answer::url::AuthorityError as E;
    let (host, port) = crate::answer::url::split_authority(authority).map_err(|e| match e {
        E::UnclosedBracket => Msg::HostUnclosedBracket.text(),
        E::BadIpv6 => Msg::HostBadIpv6.text(),
        E::AfterBracket => Msg::HostAfterBracket.text(),
    })?;
    if host.is_empty() {
        return Err(Msg::HostMissing.into());
    }
    if !host.starts_with('[') {
        let labels_ok = host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
        if !labels_ok || host.len() > 253 {
            return Err(Msg::HostBadName.into());
        }
    }
    let port = match port {
        None => None,
        Some(p) => Some(crate::answer::url::parse_port(p).ok_or_else(|| Msg::PortBad.text())?),
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// Checks `idInstance`: 1 to 19 ASCII digits.
pub fn check_id_instance(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(Msg::IdInstanceEmpty.into());
    }
    if s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        let letters = s.bytes().any(|b| b.is_ascii_alphabetic());
        if let Some(what) = crate::redact::secret_like(s).filter(|_| letters) {
            return Err(Msg::IdInstanceLooksLikeToken { what }.into());
        }
        return Err(Msg::IdInstanceBad { id: shown(s) }.into());
    }
    Ok(())
}

/// Checks `apiTokenInstance`: non-empty, at most 512 characters, each safe in a URL path
/// (letters, digits, `-`, `.`, `_`, `~`). The message never shows the token.
pub fn check_token(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(Msg::TokenEmpty.into());
    }
    if s.len() > MAX_TOKEN_LEN {
        return Err(Msg::TokenTooLong { max: MAX_TOKEN_LEN }.into());
    }
    if let Some((i, _)) = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || "-._~".contains(*c)))
    {
        let pos = s[..i].chars().count() + 1;
        return Err(Msg::TokenBadChar { pos }.into());
    }
    Ok(())
}

/// Which kind of chat a checked chatId names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    /// A user: digits.
    User,
    /// A group chat: `-` then digits.
    Group,
}

/// Checks `chatId`: a user_id (digits) or group_id (`-` then digits), at most 32 characters.
pub fn check_chat_id(s: &str) -> Result<ChatKind, String> {
    if s.is_empty() {
        return Err(Msg::ChatIdEmpty.into());
    }
    let (kind, digits) = match s.strip_prefix('-') {
        Some(d) => (ChatKind::Group, d),
        None => (ChatKind::User, s),
    };
    // Only text with letters can look like a token (the test is costly: not for every id).
    let letters = s.bytes().any(|b| b.is_ascii_alphabetic());
    if let Some(what) = letters.then(|| crate::redact::secret_like(s)).flatten() {
        return Err(Msg::ChatIdLooksLikeToken { what }.into());
    }
    if s.chars().count() > MAX_CHAT_ID_LEN {
        return Err(Msg::ChatIdTooLong {
            id: shown(s),
            max: MAX_CHAT_ID_LEN,
        }
        .into());
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        let hint = if s.contains('@') {
            Msg::ChatIdHintWhatsApp.text()
        } else if s.trim() != s {
            Msg::ChatIdHintSpaces.text()
        } else if s.starts_with('+') || s.contains(' ') {
            Msg::ChatIdHintPhone.text()
        } else {
            String::new()
        };
        return Err(Msg::ChatIdBad { id: shown(s), hint }.into());
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_building_does_not_double() {
        for raw in [
            "https://3100.api.green-api.com",
            "https://3100.api.green-api.com/",
            "https://3100.api.green-api.com/v3",
            "https://3100.api.green-api.com/v3/",
            "HTTPS://3100.API.green-api.com//",
        ] {
            let u = parse_api_url(raw).unwrap();
            assert_eq!(
                u.get_avatar_url("3100000001", "tok"),
                "https://3100.api.green-api.com/v3/waInstance3100000001/getAvatar/tok",
                "{raw}"
            );
        }
        let u = parse_api_url("https://proxy.example.com/green/v3").unwrap();
        assert_eq!(u.base(), "https://proxy.example.com/green/v3");
        let u = parse_api_url("http://127.0.0.1:8080").unwrap();
        assert_eq!(u.base(), "http://127.0.0.1:8080/v3");
        let u = parse_api_url("http://[::1]:8080/").unwrap();
        assert_eq!(u.base(), "http://[::1]:8080/v3");
        assert!(parse_api_url("http://localhost:1").is_ok());
        // Found while fuzzing: a host named "v3" is a host, not the "/v3" path.
        assert_eq!(parse_api_url("https://v3").unwrap().base(), "https://v3/v3");
        assert_eq!(
            parse_api_url("https://v3/v3").unwrap().base(),
            "https://v3/v3"
        );
        assert!(parse_api_url("http://127.8.9.10").is_ok());
    }

    #[test]
    fn url_rejections_say_why() {
        let cases = [
            ("", "empty"),
            ("3100.api.green-api.com", "no scheme"),
            ("ftp://x.com", "unsupported scheme"),
            ("http://api.green-api.com", "loopback"),
            ("http://10.0.0.1", "loopback"),
            ("https://", "host is missing"),
            ("https://x.com:0", "port"),
            ("https://x.com:99999", "port"),
            ("https://x.com:8a", "port"),
            ("https://x.com?a=1", "query"),
            ("https://user:pw@x.com", "credentials"),
            ("https://x .com", "white space"),
            ("https://x.com/a b", "white space"),
            ("https://[::1", "closing"),
            ("https://[zz]", "IPv6"),
            ("https://ex_ample..com", "host name"),
            ("https://x.com/\u{e9}", "not allowed"),
        ];
        for (raw, want) in cases {
            let e = parse_api_url(raw).unwrap_err();
            assert!(e.contains(want), "{raw:?}: {e}");
        }
        assert!(!parse_api_url("https://user:secretpw@x.com")
            .unwrap_err()
            .contains("secretpw"));
    }

    #[test]
    fn id_instance() {
        assert!(check_id_instance("3100000001").is_ok());
        assert!(check_id_instance("1").is_ok());
        assert!(check_id_instance("1234567890123456789").is_ok());
        for bad in ["", "12345678901234567890", "31a", " 1", "-1", "١٢٣"] {
            assert!(check_id_instance(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn token_messages_never_show_it() {
        let tok = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345";
        assert!(check_token(tok).is_ok());
        let bad = format!("{tok}\"");
        let e = check_token(&bad).unwrap_err();
        assert!(e.contains("position 51"), "{e}");
        assert!(!e.contains(tok));
        assert!(check_token("").is_err());
        assert!(check_token(&"a".repeat(513)).is_err());
        assert!(check_token("a/b").is_err());
        assert!(check_token("a%2F").is_err());
        // Found by the fuzzer (a harness property, not a leak): the message must not depend on
        // the token's characters, whatever words it happens to share with the fixed text.
        for t in ["space :/2q\\@", "quotes\"", "position 7"] {
            let masked: String = t
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                        'x'
                    } else {
                        c
                    }
                })
                .collect();
            assert_eq!(check_token(t), check_token(&masked), "{t}");
        }
    }

    const TOKEN: &str = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345";

    #[test]
    fn argument_mistakes_never_quote_the_token() {
        let enc = crate::leak_check::percent_encoded(TOKEN, true);
        let split = format!("{}\r\n{}\0{}", &TOKEN[..6], &TOKEN[6..13], &TOKEN[13..]);
        let variants = [
            TOKEN.to_string(),
            TOKEN.to_uppercase(),
            format!(" {TOKEN}"),
            format!("{TOKEN}\""),
            enc,
            split,
            format!("https://{TOKEN}"),
            format!("https://x.com/waInstance1/getAvatar/{TOKEN}"),
            format!("http://{TOKEN}.com"),
        ];
        for v in &variants {
            let mut said = vec![
                check_id_instance(v).unwrap_err(),
                check_chat_id(v).unwrap_err(),
                shown(v),
            ];
            said.extend(parse_api_url(v).err());
            for m in said {
                assert!(!crate::leak_check::leaks(TOKEN, &m), "{v:?}: {m}");
            }
        }
        // ga_client_new(url, TOKEN, ID): described, with what idInstance should be.
        let e = check_id_instance(TOKEN).unwrap_err();
        assert!(
            e.contains("50 characters of letters and digits")
                && e.contains("looks like the token")
                && e.contains("1-19 digits"),
            "{e}"
        );
        assert!(check_chat_id(TOKEN)
            .unwrap_err()
            .contains("looks like a token"));
        assert!(parse_api_url(TOKEN)
            .unwrap_err()
            .contains("looks like the token"));
        // Ordinary mistakes are still quoted.
        assert!(check_chat_id("79001234567@c.us")
            .unwrap_err()
            .contains("\"79001234567@c.us\""));
        assert!(check_id_instance("31a").unwrap_err().contains("\"31a\""));
    }

    #[test]
    fn only_localhost_itself_and_loopback_literals_may_use_http() {
        for ok in [
            "http://localhost",
            "http://LOCALHOST:8080",
            "http://127.0.0.1",
            "http://[::1]",
        ] {
            assert!(parse_api_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://evil.localhost",
            "http://a.b.localhost:80",
            "http://localhost.evil.com",
        ] {
            let e = parse_api_url(bad).unwrap_err();
            assert!(e.contains("loopback"), "{bad}: {e}");
        }
        assert!(!is_loopback_host("evil.localhost"));
        assert!(parse_api_url("https://evil.localhost").is_ok());
    }

    #[test]
    fn chat_ids() {
        assert_eq!(check_chat_id("10000000"), Ok(ChatKind::User));
        assert_eq!(check_chat_id("-10000000000000"), Ok(ChatKind::Group));
        assert_eq!(check_chat_id(&"1".repeat(32)), Ok(ChatKind::User));
        assert!(check_chat_id(&"1".repeat(33)).is_err());
        for bad in [
            "",
            "-",
            "--1",
            "+7 900 123-45-67",
            "79001234567@c.us",
            " 100",
            "100 ",
            "1e5",
            "١٢٣",
            "😀",
            "12\u{0}3",
            "0x10",
        ] {
            let e = check_chat_id(bad).unwrap_err();
            assert!(
                e.contains("user_id") && e.contains("group_id"),
                "{bad:?}: {e}"
            );
        }
        assert!(check_chat_id("79001234567@c.us")
            .unwrap_err()
            .contains("WhatsApp"));
        let long = "9".repeat(1 << 20);
        assert!(check_chat_id(&long).unwrap_err().len() < 400);
    }
}
