//! The token promise (issue 11, part 2): for any server answer and any argument mistake, no
//! message holds 8 or more consecutive characters of the token, in any letter case, raw,
//! percent-encoded (any mix of `%XX` and raw, any case) or split by CR/LF/NUL/space.
//!
//! The input picks a token, a way to write it (raw, other case, percent-encoded, split, cut
//! short), where to put it in a text the fuzzer writes, and where that text goes: a server answer
//! (body, 400 message, HTML title, 466 description, Location, urlAvatar) or an argument
//! (idInstance, chatId, apiUrl, proxy URL, quoted user input). Each message is made in each
//! language (English, Russian).
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use getavatar::internals::image::check_image_url;
use getavatar::internals::proxy::parse_proxy_url;
use getavatar::internals::leak_check::leaks;
use getavatar::internals::{Lang, LanguageScope};
use getavatar::internals::redact::Redactor;
use getavatar::internals::response::{interpret, Failure, Outcome};
use getavatar::internals::validate::{check_chat_id, check_id_instance, parse_api_url};
use libfuzzer_sys::fuzz_target;


/// The token written one of several ways, chosen by `how`.
fn written(token: &str, how: u8, k: u8) -> String {
    let k = (k as usize % 7) + 1;
    match how % 8 {
        0 => token.to_string(),
        1 => token.to_ascii_uppercase(),
        2 => token.bytes().map(|b| format!("%{b:02X}")).collect(),
        3 => token
            .bytes()
            .enumerate()
            .map(|(i, b)| {
                if (i / k) % 2 == 0 {
                    format!("%{b:02x}")
                } else {
                    (b as char).to_ascii_uppercase().to_string()
                }
            })
            .collect(),
        4 | 5 => {
            let sep = ["\r\n", "\0", "\n", " ", "\r"][(how as usize / 8) % 5];
            token
                .as_bytes()
                .chunks(k)
                .map(|c| std::str::from_utf8(c).unwrap_or(""))
                .collect::<Vec<_>>()
                .join(sep)
        }
        6 => token[..token.len().min(8 + k * 3)].to_string(),
        _ => token[token.len().saturating_sub(8 + k)..].to_string(),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (head, rest) = data.split_at(8);
    // A token: 20-64 characters. For argument mistakes (no client, so no redactor knows it) it is
    // token-shaped like GREEN-API's: hex with a letter and a digit. Behind a client any token
    // the library accepts is scrubbed.
    let len = 20 + head[0] as usize % 45;
    let alphabet: &[u8] = if head[1] & 1 == 0 {
        b"0123456789abcdef"
    } else {
        b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._~"
    };
    let seed = rest.iter().fold(head[2] as u64 | 1, |a, &b| {
        a.wrapping_mul(31).wrapping_add(b as u64)
    });
    let mut x = seed;
    let mut token: String = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect();
    token.replace_range(0..2, "a1");
    let hexlike = head[1] & 1 == 0;
    let r = Redactor::new(&token);
    let text = String::from_utf8_lossy(rest);
    let at = text
        .char_indices()
        .nth(head[3] as usize * text.chars().count() / 256)
        .map_or(text.len(), |(i, _)| i);
    let w = written(&token, head[4], head[5]);
    let s = format!("{}{w}{}", &text[..at], &text[at..]);

    // Every message in every language.
    for lang in Lang::ALL {
        let _speak = LanguageScope::enter(lang);
        // A server answer with the token somewhere in it.
        let status = [
            200, 400, 401, 403, 404, 466, 429, 500, 502, 503, 302, 307, 418, 204,
        ][head[6] as usize % 14];
        let json_str = serde_json::Value::String(s.clone()).to_string();
        let body = match head[7] % 6 {
            0 => s.clone(),
            1 => format!(r#"{{"statusCode":400,"message":{json_str}}}"#),
            2 => format!("<html><title>{s}</title></html>"),
            3 => format!(r#"{{"invokeStatus":{{"used":1,"total":2,"description":{json_str}}}}}"#),
            4 => format!(r#"{{"urlAvatar":{json_str},"available":true}}"#),
            _ => format!(r#"{{"statusCode":400,"path":"/waInstance1/getAvatar/{w}","message":"#),
        };
        let now = UNIX_EPOCH + Duration::from_secs(1_795_548_774);
        match interpret(status, Some(&s), Some(&s), body.as_bytes(), now, &r) {
            Outcome::Failure(Failure { message, .. }) => assert!(!leaks(&token, &message), "{message:?}"),
            Outcome::Success(a) => {
                if let Err(m) = check_image_url(&a.url) {
                    // The client scrubs this message too, but it never quotes the link anyway.
                    assert!(!leaks(&token, &m), "{m:?}");
                }
            }
        }

        // An argument in the wrong place, behind a client: its message is scrubbed.
        if let Err(m) = check_chat_id(&s) {
            assert!(!leaks(&token, &r.scrub(&m)), "{m:?}");
        }
        if let Err(m) = parse_proxy_url(&s) {
            assert!(!leaks(&token, &r.scrub(&m)), "{m:?}");
        }

        // Before any client: a value that looks like a token is described, not quoted.
        if hexlike && head[4] % 8 < 6 {
            let mut said = Vec::new();
            said.extend(check_id_instance(&s).err());
            said.extend(check_chat_id(&s).err());
            said.extend(parse_api_url(&s).err());
            for m in said {
                assert!(!leaks(&token, &m), "{s:?}: {m:?}");
            }
        }
    }
});
