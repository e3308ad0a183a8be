//! The parts of a URL that apiUrl and proxy URLs share: the scheme, and the host and port of
//! the authority (IPv6 literals in brackets). Each caller words its own messages.

/// Why an authority could not be split into host and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthorityError {
    /// `[` without its `]`.
    UnclosedBracket,
    /// What is in brackets is not an IPv6 address.
    BadIpv6,
    /// Something other than `:port` follows the `]`.
    AfterBracket,
}

/// `(Some(scheme), rest)` when `raw` starts with `scheme://` and the scheme is made of the
/// characters a scheme may hold (so a `://` inside a password is never taken for one).
pub(crate) fn split_scheme(raw: &str) -> (Option<&str>, &str) {
    match raw.find("://") {
        Some(i)
            if i > 0
                && raw[..i]
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"+.-".contains(&c)) =>
        {
            (Some(&raw[..i]), &raw[i + 3..])
        }
        _ => (None, raw),
    }
}

/// Splits `host[:port]` or `[ipv6][:port]`: the host (brackets kept) and the port text, if
/// any (unchecked: see [`parse_port`]). The host may be empty.
pub(crate) fn split_authority(authority: &str) -> Result<(&str, Option<&str>), AuthorityError> {
    if !authority.starts_with('[') {
        return Ok(match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        });
    }
    let end = authority.find(']').ok_or(AuthorityError::UnclosedBracket)?;
    let host = &authority[..=end];
    if host[1..end].parse::<std::net::Ipv6Addr>().is_err() {
        return Err(AuthorityError::BadIpv6);
    }
    match &authority[end + 1..] {
        "" => Ok((host, None)),
        after => match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(p))),
            None => Err(AuthorityError::AfterBracket),
        },
    }
}

/// A port number: digits only, 1 to 65535.
pub(crate) fn parse_port(p: &str) -> Option<u16> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AuthorityError::*;

    #[test]
    fn authorities_split_into_host_and_port() {
        assert_eq!(
            split_authority("h.example:8080"),
            Ok(("h.example", Some("8080")))
        );
        assert_eq!(split_authority("h"), Ok(("h", None)));
        assert_eq!(split_authority(":1"), Ok(("", Some("1"))));
        assert_eq!(split_authority("[::1]"), Ok(("[::1]", None)));
        assert_eq!(split_authority("[::1]:"), Ok(("[::1]", Some(""))));
        assert_eq!(
            split_authority("[fe80::2]:443"),
            Ok(("[fe80::2]", Some("443")))
        );
        assert_eq!(split_authority("[::1"), Err(UnclosedBracket));
        assert_eq!(split_authority("[zz]:1"), Err(BadIpv6));
        assert_eq!(split_authority("[::1]x"), Err(AfterBracket));
    }

    #[test]
    fn ports_are_digits_from_1_to_65535() {
        assert_eq!(parse_port("1"), Some(1));
        assert_eq!(parse_port("65535"), Some(65535));
        for bad in ["", "0", "65536", "+80", "8o", " 80", "-1"] {
            assert_eq!(parse_port(bad), None, "{bad}");
        }
    }

    #[test]
    fn schemes_are_only_taken_from_scheme_characters() {
        assert_eq!(split_scheme("socks5h://h"), (Some("socks5h"), "h"));
        assert_eq!(split_scheme("h:1"), (None, "h:1"));
        assert_eq!(split_scheme("://h"), (None, "://h"));
        assert_eq!(split_scheme("u:p@ss://h"), (None, "u:p@ss://h"));
    }
}
