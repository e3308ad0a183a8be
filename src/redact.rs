//! Keeps the API token out of every string the library produces.
//!
//! Two tools: [`Redactor::scrub`] removes every fragment (8 or more characters) of a known token,
//! and [`mask_secret_like`] / [`secret_like`] hide text that looks like *a* token when no token is
//! known yet (an argument in the wrong place). Both read text the way a person would: through
//! `%XX` escapes, control characters (CR, LF, NUL...), white space and the `\r`-style escapes
//! messages use for control characters, in any letter case.

use crate::messages::Msg;

/// Holds the token and scrubs it from text. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct Redactor {
    /// The token's bytes, ASCII-lowercased; matching is done in this form.
    lower: Vec<u8>,
    sam: SuffixAutomaton,
    /// Every run of `MIN_FRAGMENT` bytes of `lower`, as a number, sorted (empty for a shorter
    /// token): plain text holds a fragment exactly when one of its runs is among them.
    runs: Vec<u64>,
    /// The ASCII characters of `lower`, bit by bit.
    chars: u128,
}

/// What stands in for the token in messages.
pub const REDACTED: &str = "<apiTokenInstance>";

/// Fragments of the token at least this long are removed (shorter tokens: the whole token).
pub const MIN_FRAGMENT: usize = 8;

impl Redactor {
    /// A redactor for this token (expected ASCII, as `check_token` enforces).
    pub fn new(token: &str) -> Redactor {
        let lower = token.to_ascii_lowercase().into_bytes();
        let mut runs: Vec<u64> = lower.windows(MIN_FRAGMENT).map(run).collect();
        runs.sort_unstable();
        let chars = lower
            .iter()
            .filter(|b| b.is_ascii())
            .fold(0, |m, &b| m | 1u128 << b);
        Redactor {
            chars,
            sam: SuffixAutomaton::new(&lower),
            lower,
            runs,
        }
    }

    /// Whether `text` holds a run that [`scrub`](Self::scrub) would replace.
    pub fn finds(&self, text: &str) -> bool {
        self.finds_plain(text)
            .unwrap_or_else(|| self.scrub(text) != text)
    }

    /// [`finds`](Self::finds) for visible ASCII without escapes (a usual link, in every
    /// lookup's answer), which is its own units: only its runs of 8 bytes of the token's
    /// characters are looked up. None for other text, or a token shorter than 8.
    fn finds_plain(&self, text: &str) -> Option<bool> {
        if self.runs.is_empty() {
            return None;
        }
        let (mut window, mut streak) = (0u64, 0usize);
        let mut found = false;
        for b in text.bytes() {
            if !b.is_ascii_graphic() || b == b'%' || b == b'\\' {
                return None;
            }
            let c = b.to_ascii_lowercase();
            window = window << 8 | u64::from(c);
            streak = if self.chars >> c & 1 == 1 {
                streak + 1
            } else {
                0
            };
            found |= streak >= MIN_FRAGMENT && self.runs.binary_search(&window).is_ok();
        }
        Some(found)
    }

    /// `text` with every run of 8 or more characters that is part of the token (in any letter
    /// case, percent-encoded or not, split by control characters or white space) replaced by
    /// `<apiTokenInstance>`. A token shorter than 8 characters is removed where it occurs whole.
    pub fn scrub(&self, text: &str) -> String {
        if self.lower.is_empty() {
            return text.to_string();
        }
        let min = MIN_FRAGMENT.min(self.lower.len());
        let units = units(text);
        // covered[k]: unit k belongs to a run of >= min token characters.
        let mut covered = vec![false; units.len()];
        let (mut state, mut len) = (0usize, 0usize);
        let mut seen: Vec<usize> = Vec::new(); // indices of non-transparent units so far
        let mut marked_upto = 0; // positions in `seen` below this are already marked
        for (k, u) in units.iter().enumerate() {
            let Some(c) = u.ch else { continue };
            (state, len) = self.sam.step(state, len, c);
            seen.push(k);
            if len >= min {
                let from = (seen.len() - len).max(marked_upto);
                for &idx in &seen[from..] {
                    covered[idx] = true;
                }
                marked_upto = seen.len();
            }
        }
        // Transparent units between two covered ones are covered too.
        let mut last: Option<usize> = None;
        for k in 0..units.len() {
            if covered[k] {
                if let Some(l) = last {
                    covered[l + 1..k].iter_mut().for_each(|c| *c = true);
                }
                last = Some(k);
            } else if units[k].ch.is_some() {
                last = None;
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut k = 0;
        while k < units.len() {
            if covered[k] {
                out.push_str(REDACTED);
                while k < units.len() && covered[k] {
                    k += 1;
                }
            } else {
                out.push_str(&text[units[k].start..units[k].end]);
                k += 1;
            }
        }
        out
    }
}

/// `MIN_FRAGMENT` bytes as one number.
fn run(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |n, &b| n << 8 | u64::from(b))
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(<apiTokenInstance>)")
    }
}

/// One piece of text as read for matching: a character (lowercased ASCII, or 0xFF for anything
/// that cannot be part of a token) or, `ch == None`, a piece read through (a control character,
/// white space, an escape such as `\r`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unit {
    pub ch: Option<u8>,
    pub start: usize,
    pub end: usize,
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits `text` into units: `%XX` is the character it encodes, control characters and white
/// space (also percent-encoded) and the escapes `\r`, `\n`, `\t`, `\0`, `\u{...}` are read
/// through; other non-ASCII characters are opaque.
pub(crate) fn units(text: &str) -> Vec<Unit> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let see = |c: u8| {
        if c.is_ascii_control() || c.is_ascii_whitespace() {
            None
        } else if c.is_ascii() {
            Some(c.to_ascii_lowercase())
        } else {
            Some(0xFF)
        }
    };
    while i < b.len() {
        let (ch, n) = match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => (see(h << 4 | l), 3),
                _ => (Some(b'%'), 1),
            },
            b'\\' => match b.get(i + 1) {
                Some(b'r' | b'n' | b't' | b'0') => (None, 2),
                Some(b'u') if b.get(i + 2) == Some(&b'{') => {
                    match b[i + 3..].iter().take(7).position(|&c| c == b'}') {
                        Some(p) if b[i + 3..i + 3 + p].iter().all(|c| c.is_ascii_hexdigit()) => {
                            (None, p + 4)
                        }
                        _ => (Some(b'\\'), 1),
                    }
                }
                _ => (Some(b'\\'), 1),
            },
            c if c.is_ascii() => (see(c), 1),
            _ => {
                let c = text[i..].chars().next().unwrap_or('\u{fffd}');
                let t = c.is_whitespace() || c.is_control() || c == '\u{feff}' || c == '\u{200b}';
                (if t { None } else { Some(0xFF) }, c.len_utf8())
            }
        };
        out.push(Unit {
            ch,
            start: i,
            end: i + n,
        });
        i += n;
    }
    out
}

/// Text that looks like a secret: a run of ASCII letters and digits (read through `%XX`, control
/// characters, white space and `\r`-style escapes) of 20 or more, or of 8 or more holding both
/// letters and digits. Tokens (GREEN-API's are 50 hex digits) always do.
fn secret_runs(text: &str) -> Vec<(usize, usize, usize, bool, bool)> {
    // (start byte, end byte, length, has letter, has digit) of each such run.
    let mut runs = Vec::new();
    let mut cur: Option<(usize, usize, usize, bool, bool)> = None;
    let mut flush = |cur: &mut Option<(usize, usize, usize, bool, bool)>| {
        if let Some(r) = cur.take() {
            if r.2 >= 20 || (r.2 >= MIN_FRAGMENT && r.3 && r.4) {
                runs.push(r);
            }
        }
    };
    for u in units(text) {
        match u.ch {
            Some(c) if c.is_ascii_alphanumeric() => {
                let r = cur.get_or_insert((u.start, u.end, 0, false, false));
                r.1 = u.end;
                r.2 += 1;
                r.3 |= c.is_ascii_alphabetic();
                r.4 |= c.is_ascii_digit();
            }
            Some(_) => flush(&mut cur),
            None => {}
        }
    }
    flush(&mut cur);
    runs
}

fn kind_of(letters: bool, digits: bool) -> Msg<'static> {
    match (letters, digits) {
        (true, true) => Msg::KindLettersDigits,
        (true, false) => Msg::KindLetters,
        _ => Msg::KindDigits,
    }
}

/// `text` with each run that looks like a secret replaced by a description of it, e.g.
/// `<50 letters and digits>`.
pub fn mask_secret_like(text: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (s, e, n, l, d) in secret_runs(text) {
        out.push_str(&text[last..s]);
        out.push_str(
            &Msg::MaskedRun {
                n,
                kind: &kind_of(l, d).text(),
            }
            .text(),
        );
        last = e;
    }
    out.push_str(&text[last..]);
    out
}

/// When `text` holds something that looks like a secret, a description of the whole value to
/// use in its place, e.g. `50 characters of letters and digits`.
pub fn secret_like(text: &str) -> Option<String> {
    if secret_runs(text).is_empty() {
        return None;
    }
    let n = text.chars().count();
    let l = text.chars().any(|c| c.is_ascii_alphabetic());
    let d = text.chars().any(|c| c.is_ascii_digit());
    let other = text.chars().any(|c| !c.is_ascii_alphanumeric());
    let kind = kind_of(l, d).text();
    Some(if other {
        Msg::SecretLikeOther { n, kind }.text()
    } else {
        Msg::SecretLike { n, kind }.text()
    })
}

/// A suffix automaton of the token: tells, character by character, the longest piece of the text
/// ending here that is a substring of the token, in time linear in the text.
#[derive(Clone)]
struct SuffixAutomaton {
    next: Vec<Vec<(u8, u32)>>,
    link: Vec<usize>,
    len: Vec<usize>,
}

impl SuffixAutomaton {
    fn new(s: &[u8]) -> SuffixAutomaton {
        let mut a = SuffixAutomaton {
            next: vec![Vec::new()],
            link: vec![usize::MAX],
            len: vec![0],
        };
        let mut last = 0;
        for &c in s {
            let cur = a.add(a.len[last] + 1, usize::MAX);
            let mut p = last;
            while p != usize::MAX && a.go(p, c).is_none() {
                a.next[p].push((c, cur as u32));
                p = a.link[p];
            }
            if p == usize::MAX {
                a.link[cur] = 0;
            } else {
                let q = a.go(p, c).unwrap_or(0);
                if a.len[p] + 1 == a.len[q] {
                    a.link[cur] = q;
                } else {
                    let clone = a.add(a.len[p] + 1, a.link[q]);
                    a.next[clone] = a.next[q].clone();
                    while p != usize::MAX && a.go(p, c) == Some(q) {
                        if let Some(t) = a.next[p].iter_mut().find(|t| t.0 == c) {
                            t.1 = clone as u32;
                        }
                        p = a.link[p];
                    }
                    a.link[q] = clone;
                    a.link[cur] = clone;
                }
            }
            last = cur;
        }
        a
    }

    fn add(&mut self, len: usize, link: usize) -> usize {
        self.next.push(Vec::new());
        self.link.push(link);
        self.len.push(len);
        self.len.len() - 1
    }

    fn go(&self, state: usize, c: u8) -> Option<usize> {
        self.next[state]
            .iter()
            .find(|t| t.0 == c)
            .map(|t| t.1 as usize)
    }

    /// From (state, matched length), reads `c`: the new state and matched length.
    fn step(&self, mut state: usize, mut len: usize, c: u8) -> (usize, usize) {
        loop {
            if let Some(n) = self.go(state, c) {
                return (n, len + 1);
            }
            if state == 0 {
                return (0, 0);
            }
            state = self.link[state];
            len = self.len[state];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345";

    fn leaks(text: &str) -> bool {
        crate::leak_check::leaks(TOKEN, text)
    }

    #[test]
    fn finds_what_scrub_replaces() {
        let r = Redactor::new(TOKEN);
        let frag = &TOKEN[5..13];
        let enc = crate::leak_check::percent_encoded(frag, false);
        for t in [
            String::new(),
            format!("https://x.example/{frag}"),
            format!("https://x.example/{}", frag.to_ascii_uppercase()),
            format!("https://x.example/{}", &frag[..7]),
            format!("https://x.example/{enc}"),
            format!("a {} b", &frag[..4]) + "\r\n" + &frag[4..],
            format!("https://x.example/é{frag}"),
            format!("https://x.example/{}-{}", &frag[..4], &frag[4..]),
            "http://127.0.0.1:4000/avatars/10000000.png".into(),
        ] {
            assert_eq!(r.finds(&t), r.scrub(&t) != t, "{t}");
        }
    }

    #[test]
    fn finds_agrees_with_scrub_on_random_tokens_and_texts() {
        // Tokens of 1 to 60 characters (hex, other letters in both cases, -._~), texts made
        // mostly of their characters, with separators, escapes and non-ASCII between.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let alphabet: Vec<char> = "0123456789abcdefABCDEFxyzXYZ-._~".chars().collect();
        let extra = ["/", "%41", "%2", "\\r", " ", "é", "\u{7f}", "?", "="];
        for _ in 0..3000 {
            let token: String = (0..1 + next(60))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let r = Redactor::new(&token);
            let tc: Vec<char> = token.chars().collect();
            let mut text = String::new();
            for _ in 0..next(40) {
                match next(4) {
                    0 => text.push_str(extra[next(extra.len())]),
                    1 => text.push(alphabet[next(alphabet.len())]),
                    _ => {
                        let from = next(tc.len());
                        let len = 1 + next(12);
                        for &c in tc.iter().skip(from).take(len) {
                            text.push(if next(2) == 0 {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            });
                        }
                    }
                }
            }
            assert_eq!(r.finds(&text), r.scrub(&text) != text, "{token:?} {text:?}");
        }
    }

    #[test]
    fn scrubs_every_case_and_occurrence() {
        let r = Redactor::new("abc123def");
        assert_eq!(
            r.scrub("/waInstance1/getAvatar/abc123def and ABC123DEF, abc123de"),
            "/waInstance1/getAvatar/<apiTokenInstance> and <apiTokenInstance>, <apiTokenInstance>"
        );
        assert_eq!(
            r.scrub("ünïcode abc123defabc123def"),
            "ünïcode <apiTokenInstance>"
        );
        assert_eq!(r.scrub(""), "");
        assert_eq!(r.scrub("abc123d"), "abc123d");
        assert!(!format!("{r:?}").contains("abc123def"));
    }

    #[test]
    fn scrubs_fragments_encodings_and_splits() {
        let r = Redactor::new(TOKEN);
        let enc = crate::leak_check::percent_encoded(TOKEN, true);
        let mixed: String = TOKEN
            .bytes()
            .enumerate()
            .map(|(i, b)| {
                if i % 3 == 0 {
                    format!("%{b:02x}")
                } else {
                    (b as char).to_ascii_uppercase().to_string()
                }
            })
            .collect();
        let split: String = TOKEN
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n\0");
        let escaped = split.escape_debug().to_string();
        let spaced = split.replace(['\r', '\n', '\0'], " ");
        for t in [
            TOKEN.to_string(),
            TOKEN[..44].to_string(),
            TOKEN[20..28].to_string(),
            TOKEN.to_uppercase(),
            enc,
            mixed,
            split,
            escaped,
            spaced,
            format!("x{}…", &TOKEN[..30]),
        ] {
            let s = r.scrub(&format!("before {t} after"));
            assert!(!leaks(&s), "{t:?} -> {s:?}");
            assert!(s.starts_with("before ") && s.ends_with(" after"), "{s:?}");
        }
        // Seven characters are not a fragment; unrelated text stays.
        assert_eq!(r.scrub("d75b3a6 and 12345"), "d75b3a6 and 12345");
        assert_eq!(r.scrub("%zz %4 \\u{zz}"), "%zz %4 \\u{zz}");
    }

    #[test]
    fn secret_like_values_are_described() {
        assert_eq!(
            secret_like(TOKEN).as_deref(),
            Some("50 characters of letters and digits")
        );
        assert!(secret_like("79001234567@c.us").is_none());
        assert!(secret_like("https://3100.api.green-api.com").is_none());
        assert!(secret_like(&"1".repeat(40)).is_some());
        assert_eq!(
            mask_secret_like(&format!("ftp:{TOKEN}")),
            "ftp:<50 letters and digits>"
        );
        let split = format!("{}\r\n{}", &TOKEN[..4], &TOKEN[4..12]);
        assert!(!mask_secret_like(&split).contains(&TOKEN[4..12]));
    }
}
