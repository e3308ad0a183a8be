//! The token promise under hostile servers and careless callers (issue 11, part 2), through the C
//! ABI against the emulator: no `error`, `ga_last_error()` or link holds 8 or more consecutive
//! characters of the token, in any letter case, raw, percent-encoded or split by CR/LF/NUL.

mod common;

use std::ffi::CString;

use common::*;
use getavatar::internals::ffi::*;
use getavatar::internals::leak_check::{self, leaks};
use getavatar::internals::{Lang, LanguageScope};

/// Every language messages are made in: each test below runs in each (the client's language set
/// with ga_client_set_language; messages made before any client in the thread's language).
const LANGS: [Lang; 2] = Lang::ALL;

fn assert_clean(token: &str, r: &Res) {
    // url_avatar too: an argument mistake never gets as far as a link.
    for s in [r.err(), r.url.as_str(), &last_error()] {
        assert!(!leaks(token, s), "token fragment in {s:?}");
    }
}

fn status(code: u16, body: String, headers: &[(&str, &str)]) -> Fault {
    Fault::Status {
        status: code,
        body,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn client(emu: &Emulator, lang: Lang) -> Handle {
    let h = Handle::for_emu(emu);
    assert_eq!(h.set_retries(0), 0);
    assert_eq!(h.set_language(lang.tag()), 0);
    h
}

#[test]
fn server_answers_never_carry_a_token_fragment() {
    for lang in LANGS {
        server_answers_in(lang);
    }
}

fn server_answers_in(lang: Lang) {
    let emu = Emulator::start_default().unwrap();
    let tok = emu.token();
    let h = client(&emu, lang);
    let pad = |n: usize| "x".repeat(n);
    let enc = leak_check::percent_encoded(&tok, false);
    let mixed = leak_check::mixed_escapes_and_case(&tok);
    let split = leak_check::split_by_controls(&tok, 5);
    let json400 = |m: &str| serde_json::json!({"statusCode": 400, "message": m}).to_string();
    let html = ("Content-Type", "text/html");
    let text = ("Content-Type", "text/plain");
    let portal = format!("http://portal.example/login?next={}{tok}", pad(150));
    let cases = vec![
        (
            "400 message, token at character 455",
            status(400, json400(&format!("{} {tok}", pad(454))), &[]),
        ),
        (
            "400 message, percent-encoded",
            status(400, json400(&format!("path /getAvatar/{enc}")), &[]),
        ),
        (
            "400 message, mixed escapes and case",
            status(400, json400(&format!("path /getAvatar/{mixed}")), &[]),
        ),
        (
            "400 message, split by CR/LF/NUL",
            status(400, json400(&format!("path {split}")), &[]),
        ),
        (
            "400 envelope that is not JSON",
            status(
                400,
                format!(
                    r#"{{"statusCode":400,"error":"{}","path":"/waInstance1/getAvatar/{tok}","message":"x"#,
                    pad(120)
                ),
                &[],
            ),
        ),
        (
            "502 title",
            status(
                502,
                format!("<html><title>{} {tok}</title></html>", pad(179)),
                &[html],
            ),
        ),
        (
            "500 text split by CR/LF/NUL",
            status(500, format!("oops {split}"), &[text]),
        ),
        (
            "503 text percent-encoded",
            status(503, format!("oops {}", enc.to_uppercase()), &[text]),
        ),
        (
            "466 description",
            status(
                466,
                serde_json::json!({"invokeStatus": {"used": 1, "total": 1,
                    "description": format!("{} {tok}", pad(279))}})
                .to_string(),
                &[],
            ),
        ),
        (
            "captive portal Location",
            status(302, String::new(), &[("Location", portal.as_str())]),
        ),
        (
            "401 JSON without message",
            status(
                401,
                format!(
                    r#"{{"error":"{}","path":"/waInstance1/getAvatar/{tok}"}}"#,
                    pad(140)
                ),
                &[],
            ),
        ),
    ];
    let mut leaked = Vec::new();
    for (what, fault) in cases {
        emu.push_fault(fault);
        let r = unsafe { get_with(h.0, CString::new("10000000").unwrap().as_ptr()) };
        assert_ne!(r.status, 0, "{what}");
        if leaks(&tok, r.err()) || leaks(&tok, &last_error()) {
            leaked.push(format!("{lang:?} {what}: {}", r.err()));
        }
    }
    assert!(leaked.is_empty(), "{leaked:#?}");
}

#[test]
fn server_chosen_links_are_not_quoted() {
    for lang in LANGS {
        server_chosen_links_in(lang);
    }
}

fn server_chosen_links_in(lang: Lang) {
    let emu = Emulator::start_default().unwrap();
    let tok = emu.token();
    let h = client(&emu, lang);
    emu.set_avatar("10000000", &format!("ftp:{tok}"), Some(true));
    let path = std::env::temp_dir().join(format!("ga-secrets-{}.jpg", std::process::id()));
    let (c, p) = (
        CString::new("10000000").unwrap(),
        CString::new(path.to_str().unwrap()).unwrap(),
    );
    let r = unsafe { download_with(h.0, c.as_ptr(), p.as_ptr()) };
    assert_eq!(r.name(), "GA_ERR_BAD_RESPONSE", "{r:?}");
    // The link itself is the caller's to see (url_avatar); the message must not repeat it.
    assert!(!leaks(&tok, r.err()), "{}", r.err());
    assert!(!leaks(&tok, &last_error()));
    assert!(!path.exists());
    for c in ['\u{1b}', '\r', '\n'] {
        emu.set_avatar(
            "10000001",
            &format!("https://cdn.example/a{c}b.jpg"),
            Some(true),
        );
        let r = h.get("10000001");
        assert_eq!(r.name(), "GA_ERR_BAD_RESPONSE", "{c:?}: {r:?}");
    }
}

#[test]
fn argument_mistakes_are_described_not_quoted() {
    for lang in LANGS {
        let _speak = LanguageScope::enter(lang);
        argument_mistakes_in(lang);
    }
}

fn argument_mistakes_in(lang: Lang) {
    let emu = Emulator::start_default().unwrap();
    let (url, id, tok) = (emu.url(), emu.id_instance(), emu.token());
    let new = |u: &str, i: &str, t: &str| {
        let (u, i, t) = (
            CString::new(u).unwrap(),
            CString::new(i).unwrap(),
            CString::new(t).unwrap(),
        );
        unsafe { ga_client_new(u.as_ptr(), i.as_ptr(), t.as_ptr()) }
    };
    // ga_client_new(url, TOKEN, ID): swapped.
    assert!(new(&url, &tok, &id).is_null());
    let e = last_error();
    assert!(!leaks(&tok, &e), "{e}");
    let (like, digits) = match lang {
        Lang::En => ("looks like the token", "1-19 digits"),
        Lang::Ru => ("похоже на токен", "от 1 до 19 цифр"),
    };
    assert!(e.contains(like) && e.contains(digits), "{e}");
    // The token where apiUrl goes, or pasted with the method path into apiUrl.
    for u in [tok.clone(), format!("{url}/waInstance{id}/getAvatar/{tok}")] {
        assert!(new(&u, &id, &tok).is_null(), "{u}");
        assert!(!leaks(&tok, &last_error()), "{}", last_error());
    }
    // The token as chat_id (an Excel cell pointing at the wrong column), also split by CR/LF.
    let h = client(&emu, lang);
    for chat in [
        tok.clone(),
        tok.to_uppercase(),
        format!("{}\r\n{}", &tok[..20], &tok[20..]),
    ] {
        let r = unsafe { get_with(h.0, CString::new(chat).unwrap().as_ptr()) };
        assert_eq!(r.name(), "GA_ERR_INVALID_ARGUMENT");
        assert_clean(&tok, &r);
    }
    assert_eq!(emu.request_count(), 0, "nothing was sent");
    // A proxy URL without "@": the "port" is a password.
    let p = CString::new("http://alice:S3cr3tPw9").unwrap();
    assert_ne!(
        unsafe { ga_client_set_proxy(h.0, p.as_ptr()) },
        GaStatus::GA_OK
    );
    assert!(!last_error().contains("S3cr3tPw9"), "{}", last_error());
}

#[test]
fn swapped_environment_variables_are_described() {
    let emu = Emulator::start_default().unwrap();
    let (url, id, tok) = (emu.url(), emu.id_instance(), emu.token());
    // The only test in this binary that reads these variables.
    for lang in LANGS {
        let _speak = LanguageScope::enter(lang);
        let like = match lang {
            Lang::En => "looks like the token",
            Lang::Ru => "похоже на токен",
        };
        for (u, i, t) in [(&url, &tok, &id), (&tok, &id, &url)] {
            std::env::set_var("GA_API_URL", u);
            std::env::set_var("GA_ID_INSTANCE", i);
            std::env::set_var("GA_API_TOKEN_INSTANCE", t);
            let c = ga_client_new_from_env();
            assert!(c.is_null());
            let e = last_error();
            assert!(!leaks(&tok, &e), "{e}");
            assert!(e.contains(like), "{e}");
        }
    }
    std::env::set_var("GA_API_URL", &url);
    std::env::set_var("GA_ID_INSTANCE", &id);
    std::env::set_var("GA_API_TOKEN_INSTANCE", &tok);
    let c = ga_client_new_from_env();
    assert!(!c.is_null(), "{}", last_error());
    unsafe { ga_client_free(c) };
}

#[test]
fn http_is_for_localhost_itself_only() {
    let emu = Emulator::start_default().unwrap();
    let port = emu.addr().port();
    for bad in [
        format!("http://evil.localhost:{port}"),
        format!("http://a.b.localhost:{port}"),
    ] {
        let u = CString::new(bad.clone()).unwrap();
        let (i, t) = (
            CString::new(emu.id_instance()).unwrap(),
            CString::new(emu.token()).unwrap(),
        );
        let c = unsafe { ga_client_new(u.as_ptr(), i.as_ptr(), t.as_ptr()) };
        assert!(c.is_null(), "{bad}");
        assert!(last_error().contains("loopback"), "{}", last_error());
    }
    let h = Handle::new(
        &format!("http://localhost:{port}"),
        &emu.id_instance(),
        &emu.token(),
    );
    assert_eq!(h.get("10000000").name(), "GA_OK");
}

#[test]
fn a_ca_file_holding_something_else_is_refused() {
    let emu = Emulator::start_default().unwrap();
    let h = client(&emu, Lang::En);
    let dir = std::env::temp_dir().join(format!("ga-secrets-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "key.pem",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
            "PRIVATE KEY",
        ),
        (
            "pub.pem",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
            "PUBLIC KEY",
        ),
        (
            "csr.pem",
            "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n",
            "CERTIFICATE REQUEST",
        ),
        (
            "junk.pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "not a valid X.509",
        ),
    ];
    for (name, pem, said) in cases {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        let p = CString::new(path.to_str().unwrap()).unwrap();
        let st = unsafe { ga_client_set_ca_file(h.0, p.as_ptr()) };
        assert_eq!(status_name(st as i32), "GA_ERR_INVALID_ARGUMENT", "{name}");
        assert!(last_error().contains(said), "{name}: {}", last_error());
    }
    // The client still works with its old roots.
    assert_eq!(h.get("10000000").name(), "GA_OK");
    std::fs::remove_dir_all(&dir).unwrap();
}
