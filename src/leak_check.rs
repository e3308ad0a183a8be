//! The test oracle for the token promise: whether a text leaks a fragment of the token. Written
//! apart from the redactor (it shares no code with `redact`), so that it checks it. Used by the
//! unit tests, the integration tests and the fuzz target; not part of the API.

/// Whether `text` holds 8 consecutive characters of `token`, in any letter case, once `%XX`
/// escapes are decoded and control characters, white space and `\r`-, `\u{..}`-style escapes are
/// dropped.
pub fn leaks(token: &str, text: &str) -> bool {
    let b = text.as_bytes();
    let mut plain = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let h = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(x), Some(y)) = (h(b[i + 1]), h(b[i + 2])) {
                plain.push((x * 16 + y) as u8);
                i += 3;
                continue;
            }
        }
        if b[i] == b'\\' && i + 1 < b.len() {
            if b"rnt0".contains(&b[i + 1]) {
                i += 2;
                continue;
            }
            if b[i + 1] == b'u' && b.get(i + 2) == Some(&b'{') {
                if let Some(p) = b[i + 3..].iter().position(|&c| c == b'}') {
                    if p <= 6 && b[i + 3..i + 3 + p].iter().all(u8::is_ascii_hexdigit) {
                        i += p + 4;
                        continue;
                    }
                }
            }
        }
        plain.push(b[i]);
        i += 1;
    }
    let plain: Vec<u8> = String::from_utf8_lossy(&plain)
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
        .into_bytes();
    let t = token.to_ascii_lowercase();
    let frags: std::collections::HashSet<&[u8]> = t.as_bytes().windows(8).collect();
    plain.windows(8).any(|p| frags.contains(p))
}

/// The token (or a fragment of it) percent-encoded, every byte, with upper- or lowercase hex
/// digits: one of the spellings a hostile server may use to slip it past a filter.
pub fn percent_encoded(token: &str, upper: bool) -> String {
    token
        .bytes()
        .map(|b| match upper {
            true => format!("%{b:02X}"),
            false => format!("%{b:02x}"),
        })
        .collect()
}

/// Every other byte percent-encoded, the rest in upper case: mixed escapes and case.
pub fn mixed_escapes_and_case(token: &str) -> String {
    token
        .bytes()
        .enumerate()
        .map(|(i, b)| match i % 2 {
            0 => format!("%{b:02X}"),
            _ => (b as char).to_ascii_uppercase().to_string(),
        })
        .collect()
}

/// The token cut into pieces of `n` bytes joined by CR, LF and NUL.
pub fn split_by_controls(token: &str, n: usize) -> String {
    token
        .as_bytes()
        .chunks(n)
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join("\r\n\0")
}
