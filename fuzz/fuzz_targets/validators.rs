//! Input validators and redaction. Never panics; whatever parse_api_url accepts builds a URL that
//! ureq's URI parser accepts; check_chat_id accepts exactly `-?[0-9]{1,}` up to 32 characters;
//! a rejected token's message does not depend on its characters; scrubbed text never contains
//! the token; a proxy URL's credentials appear neither in its error message nor in how it is
//! shown.
#![no_main]

use getavatar::internals::proxy::parse_proxy_url;
use getavatar::internals::redact::{Redactor, REDACTED};
use getavatar::internals::validate::{check_chat_id, check_id_instance, check_token, parse_api_url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mid = s.char_indices().nth(s.chars().count() / 2).map_or(s.len(), |(i, _)| i);
    let (a, b) = s.split_at(mid);
    if let Ok(u) = parse_api_url(s) {
        let full = u.get_avatar_url("3100000001", "abc-DEF_0.9~");
        let parsed: Result<ureq::http::Uri, _> = full.parse();
        assert!(parsed.is_ok(), "{full:?}");
        // The method path is appended exactly once after exactly one "/v3" that we add (a
        // trailing "/v3" the user wrote is not doubled; the rest of their path is theirs).
        assert!(full.ends_with("/v3/waInstance3100000001/getAvatar/abc-DEF_0.9~"), "{full}");
        // A "/v3" (or "/v3/") the user adds is never doubled: same base with or without it.
        let trimmed = s.trim_end_matches('/');
        if !trimmed.ends_with("/v3") && !trimmed.contains(['?', '#']) && trimmed.contains("://") {
            for with in [format!("{trimmed}/v3"), format!("{trimmed}/v3/")] {
                if let Ok(w) = parse_api_url(&with) {
                    assert_eq!(w.base(), u.base(), "{s:?} vs {with:?}");
                }
            }
        }
    }
    let chat_ok = check_chat_id(s).is_ok();
    let digits = s.strip_prefix('-').unwrap_or(s);
    let want = !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) && s.len() <= 32;
    assert_eq!(chat_ok, want, "{s:?}");
    let _ = check_id_instance(s);
    // Credentials: `a` as the user info of a proxy URL. When `a` is a run of letters and digits
    // that nothing else in the input (in any letter case: host names are lowercased) or in the
    // fixed message texts contains (8 or more, with a digit), it must not appear in whatever the
    // parser says.
    if a.len() >= 8
        && a.bytes().all(|c| c.is_ascii_alphanumeric())
        && a.bytes().any(|c| c.is_ascii_digit())
        && !b.to_ascii_lowercase().contains(&a.to_ascii_lowercase())
    {
        for scheme in ["http://", "socks5://", ""] {
            let raw = format!("{scheme}u:{a}@{b}");
            let said = match parse_proxy_url(&raw) {
                Ok(p) => format!("{} {p:?}", p.shown()),
                Err(m) => m,
            };
            assert!(!said.contains(a), "{raw:?}: {said}");
        }
    }
    if check_token(a).is_ok() {
        // A rejected token's message says nothing about its characters: masking every allowed
        // character gives the very same message.
        let token = format!("{a} {b}");
        if let Err(m) = check_token(&token) {
            let masked: String = token
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "-._~".contains(c) { 'x' } else { c })
                .collect();
            assert_eq!(Err(m), check_token(&masked), "{token:?}");
        }
        let scrubbed = Redactor::new(a).scrub(b);
        if !REDACTED.to_ascii_lowercase().contains(&a.to_ascii_lowercase()) {
            assert!(!scrubbed.to_ascii_lowercase().contains(&a.to_ascii_lowercase()), "{a:?} in {scrubbed:?}");
        }
    }
});
