//! Text for messages: user input quoted safely ([`shown`], [`shown_as_quoted`]), server text
//! made printable ([`clean`]), and proxy URLs with their credentials hidden
//! ([`mask_credentials`]). The token itself is scrubbed by `redact`.

use crate::answer::url::split_scheme;

/// Characters of user input a message quotes; what is longer is cut there, with "…".
const SHOWN: usize = 40;

/// The first 4096 characters of user input with what looks like a secret replaced by a
/// description of it (`<50 letters and digits>`): cut first (a 1 MiB argument gives a short
/// message), but well after [`SHOWN`] characters so that a run that looks like a secret is seen
/// whole before it is masked.
fn masked_head(s: &str) -> String {
    let head: String = s.chars().take(4096).collect();
    crate::redact::mask_secret_like(&head)
}

/// User input quoted for a message: what looks like a secret replaced by a description of it
/// (`<50 letters and digits>`), escaped, and cut after 40 characters.
pub(crate) fn shown(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in masked_head(s).chars().enumerate() {
        if i == SHOWN {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    format!("\"{out}\"")
}

/// User input a caller already quoted as its language writes it (a binding's `repr` or JSON of
/// a value it was given), as a message may show it: masked and cut as [`shown`] does, not
/// escaped or quoted again. A number (`-1`, `1.5e+19`, `inf`) or an ISO-8601 duration (Java's
/// `PT2400000H`) is shown as written (no token has that form), cut the same way.
pub(crate) fn shown_as_quoted(s: &str) -> String {
    let head = if number_like(s) {
        s.chars().take(4096).collect()
    } else {
        masked_head(s)
    };
    let mut out: String = head.chars().take(SHOWN).collect();
    if head.chars().nth(SHOWN).is_some() || s.chars().nth(4096).is_some() {
        out.push('…');
    }
    out
}

/// A number or an ISO-8601 duration (see [`shown_as_quoted`]).
fn number_like(value: &str) -> bool {
    let v = value.trim();
    if v.parse::<f64>().is_ok() {
        return true;
    }
    let d = v.strip_prefix('-').unwrap_or(v);
    d.starts_with('P')
        && d.chars()
            .all(|c| c.is_ascii_digit() || "PTYMWDHS.,-".contains(c))
}

/// Printable text: control characters become spaces, runs of space fold, at most `max` chars.
pub(crate) fn clean(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut n = 0;
    let mut space = false;
    for c in text.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if space || out.is_empty() {
                continue;
            }
            space = true;
        } else {
            space = false;
        }
        if n == max {
            out.push('…');
            break;
        }
        out.push(c);
        n += 1;
    }
    out.trim_end().to_string()
}

/// Replaces what sits between `scheme://` and the last `@` with `***`, so that a message can quote
/// a proxy URL without its credentials (even unescaped `/` or `@` in a password stay hidden).
/// Without `@`, whatever follows the host's `:` is hidden unless it is a port number: in
/// `http://alice:S3cr3t` the "port" is a password.
pub(crate) fn mask_credentials(raw: &str) -> String {
    let (scheme, rest) = match split_scheme(raw) {
        (Some(s), rest) => (&raw[..s.len() + 3], rest),
        (None, rest) => ("", rest),
    };
    if let Some(at) = rest.rfind('@') {
        return format!("{scheme}***{}", &rest[at..]);
    }
    let host_end = if rest.starts_with('[') {
        rest.find(']').map_or(rest.len(), |i| i + 1)
    } else {
        rest.find([':', '/', '?', '#']).unwrap_or(rest.len())
    };
    let after = &rest[host_end..];
    match after.strip_prefix(':') {
        Some(p) => {
            let port_end = p.find(['/', '?', '#']).unwrap_or(p.len());
            if p[..port_end].bytes().all(|b| b.is_ascii_digit()) {
                raw.to_string()
            } else {
                format!("{scheme}{}:***", &rest[..host_end])
            }
        }
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_is_short_and_printable() {
        assert_eq!(clean(b"a\r\n\tb  c\0", 100), "a b c");
        assert_eq!(clean(&[b'x'; 5000], 10).chars().count(), 11);
        assert_eq!(clean(&[0xff, 0xfe], 10), "\u{fffd}\u{fffd}");
    }
}
