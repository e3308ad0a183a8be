//! The language of the library's messages (issue 29), through the C ABI against the emulator:
//! `ga_client_set_language` makes a client's messages Russian or English; status names and the
//! server's own text stay as they are; a language it does not know is refused and the old one
//! kept; a batch's workers speak the caller's client's language.

mod common;

use std::ffi::{CStr, CString};

use common::*;
use getavatar::internals::ffi::*;

fn fault(status: u16, body: &str) -> Fault {
    Fault::Status {
        status,
        body: body.to_string(),
        headers: Vec::new(),
    }
}

fn client(emu: &Emulator, lang: &str) -> Handle {
    let h = Handle::for_emu(emu);
    assert_eq!(h.set_retries(0), 0);
    assert_eq!(h.set_language(lang), 0, "{}", last_error());
    h
}

/// Whether `s` has Cyrillic letters.
fn russian(s: &str) -> bool {
    s.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

#[test]
fn a_russian_client_says_it_in_russian_with_the_same_status() {
    let emu = Emulator::start_default().unwrap();
    let (en, ru) = (client(&emu, "en"), client(&emu, "ru"));
    emu.push_fault(fault(401, ""));
    let e = en.get("10000000");
    emu.push_fault(fault(401, ""));
    let r = ru.get("10000000");
    assert_eq!(
        (e.name(), r.name()),
        ("GA_ERR_UNAUTHORIZED".into(), "GA_ERR_UNAUTHORIZED".into())
    );
    assert_eq!((e.http, r.http), (401, 401));
    assert!(
        e.err()
            .starts_with("HTTP 401 Unauthorized: the server rejected apiTokenInstance"),
        "{}",
        e.err()
    );
    assert!(
        r.err()
            .starts_with("HTTP 401 Unauthorized: сервер не принял apiTokenInstance"),
        "{}",
        r.err()
    );
    assert!(
        russian(&last_error()),
        "the last error too: {}",
        last_error()
    );
    // A mistake of the caller's, before anything is sent.
    let bad = ru.get("+7 900 123");
    assert_eq!(bad.name(), "GA_ERR_INVALID_ARGUMENT");
    assert!(bad.err().contains("номер телефона"), "{}", bad.err());
}

#[test]
fn what_the_server_said_is_quoted_as_it_came() {
    let emu = Emulator::start_default().unwrap();
    let ru = client(&emu, "ru");
    let said = "Validation failed: chatId is invalid";
    emu.push_fault(fault(
        400,
        &format!(r#"{{"statusCode":400,"message":"{said}"}}"#),
    ));
    let r = ru.get("10000000");
    assert_eq!(r.name(), "GA_ERR_VALIDATION");
    assert_eq!(
        r.err(),
        format!("сервер отклонил запрос (HTTP 400): {said}")
    );
}

#[test]
fn tags_with_regions_pass_and_unknown_languages_are_refused() {
    let emu = Emulator::start_default().unwrap();
    let h = client(&emu, "ru_RU.UTF-8");
    assert!(russian(h.get("abc").err()));
    for bad in ["de", "russian", "xx-RU"] {
        assert_eq!(
            status_name(h.set_language(bad)),
            "GA_ERR_INVALID_ARGUMENT",
            "{bad}"
        );
        // Said in the client's language, naming the tag; the language is kept.
        let e = last_error();
        assert!(e.contains(&format!("\"{bad}\"")) && russian(&e), "{e}");
        assert!(russian(h.get("abc").err()), "{bad}: language kept");
    }
    assert_eq!(h.set_language("EN"), 0);
    assert!(h
        .get("abc")
        .err()
        .starts_with("chatId \"abc\" is not valid"));
    let null = unsafe { ga_client_set_language(h.0, std::ptr::null()) };
    assert_eq!(status_name(null as i32), "GA_ERR_INVALID_ARGUMENT");
    assert_eq!(last_error(), "language is NULL");
    let ru = CString::new("ru").unwrap();
    let no_client = unsafe { ga_client_set_language(std::ptr::null_mut(), ru.as_ptr()) };
    assert_eq!(status_name(no_client as i32), "GA_ERR_INVALID_ARGUMENT");
}

#[test]
fn an_empty_tag_returns_to_the_process_default() {
    let emu = Emulator::start_default().unwrap();
    let fresh = Handle::for_emu(&emu);
    let h = client(&emu, "ru");
    assert_eq!(h.set_language(""), 0);
    assert_eq!(h.get("abc").err(), fresh.get("abc").err());
}

#[test]
fn batch_workers_speak_the_clients_language() {
    let emu = Emulator::start_default().unwrap();
    let h = client(&emu, "ru");
    assert_eq!(
        unsafe { ga_client_set_concurrency(h.0, 4) },
        GaStatus::GA_OK
    );
    let ids: Vec<String> = (0..12).map(|i| format!("bad{i}")).collect();
    let (st, results) = h.get_many(&ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(st, 0);
    for r in results {
        let err = r.err();
        assert!(err.starts_with("chatId \"bad") && russian(err), "{err}");
    }
}

#[test]
fn ids_a_batch_did_not_send_say_so_in_the_clients_language() {
    // 401 for the first lookup: a failure of the whole instance, so the batch asks no more and
    // says of the other ids that they were not sent, in Russian for a Russian client.
    let emu = Emulator::start_default().unwrap();
    emu.push_fault(fault(401, r#"{"message":"Unauthorized"}"#));
    let h = client(&emu, "ru");
    assert_eq!(
        unsafe { ga_client_set_concurrency(h.0, 1) },
        GaStatus::GA_OK
    );
    let (_, results) = h.get_many(&["10000000", "10000001", "10000002"]);
    let errs: Vec<&str> = results.iter().map(Res::err).collect();
    assert!(!errs[0].contains("не отправлен"), "{errs:?}");
    for e in &errs[1..] {
        assert!(
            e.contains("(не отправлен:") && !e.contains("not sent"),
            "{e}"
        );
    }
}

fn message(lang: Option<&str>, n: i32, name: &str, value: &str, expected: &str) -> String {
    let lang = lang.map(|l| CString::new(l).unwrap());
    let (name, value, expected) = (
        CString::new(name).unwrap(),
        CString::new(value).unwrap(),
        CString::new(expected).unwrap(),
    );
    let p = unsafe {
        ga_message(
            lang.as_ref().map_or(std::ptr::null(), |l| l.as_ptr()),
            n,
            name.as_ptr(),
            value.as_ptr(),
            expected.as_ptr(),
        )
    };
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
}

#[test]
fn a_bindings_own_checks_read_in_the_clients_language() {
    // What Python, Java, Node and .NET say before they call the library comes from it too.
    assert_eq!(
        message(Some("en"), GA_MSG_CLOSED, "getavatar.Client", "", ""),
        "this getavatar.Client is closed"
    );
    assert_eq!(
        message(Some("ru-RU"), GA_MSG_CLOSED, "getavatar.Client", "", ""),
        "этот getavatar.Client закрыт"
    );
    assert_eq!(
        message(
            Some("ru"),
            GA_MSG_NOT_ONE_OF,
            "trust",
            "'x'",
            "\"system\"|\"bundled\""
        ),
        "trust 'x' недопустим: ожидается \"system\" или \"bundled\""
    );
    for n in [
        GA_MSG_CLOSED,
        GA_MSG_WRONG_TYPE,
        GA_MSG_HAS_NUL,
        GA_MSG_LONE_SURROGATE,
        GA_MSG_OUT_OF_RANGE,
        GA_MSG_NOT_ONE_OF,
        GA_MSG_TOO_MANY_IDS,
        GA_MSG_OUT_OF_MEMORY,
        GA_MSG_NOT_SENT,
        GA_MSG_NOT_CONNECTED,
        GA_MSG_NO_ANSWER_IN_TIME,
        GA_MSG_READ_FROM_ENV,
    ] {
        let (en, ru) = (
            message(Some("en"), n, "chatId", "7", "1"),
            message(Some("ru"), n, "chatId", "7", "1"),
        );
        assert!(!russian(&en) && russian(&ru), "{n}: {en} / {ru}");
    }
    // NULL, "" and an unknown tag are the process default (English here: the tests run with
    // GA_LANG unset or "en").
    if std::env::var("GA_LANG").map_or(true, |l| l == "en") && !russian_locale() {
        for lang in [None, Some(""), Some("xx")] {
            assert_eq!(
                message(lang, GA_MSG_HAS_NUL, "chatId", "", ""),
                "chatId must not contain NUL characters"
            );
        }
    }
    assert!(message(Some("en"), 99, "", "", "").contains("no message 99"));
}

fn russian_locale() -> bool {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("ru"))
}

#[test]
fn a_message_leaves_the_last_error_alone_and_null_blanks_are_empty() {
    let bad = unsafe { ga_client_set_language(std::ptr::null_mut(), c"ru".as_ptr()) };
    assert_eq!(bad, GaStatus::GA_ERR_INVALID_ARGUMENT);
    let before = last_error();
    let p = unsafe {
        ga_message(
            std::ptr::null(),
            GA_MSG_OUT_OF_MEMORY,
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert!(!p.is_null());
    assert_eq!(last_error(), before);
    let p = unsafe {
        ga_message(
            c"en".as_ptr(),
            GA_MSG_OUT_OF_RANGE,
            std::ptr::null(),
            c"-1".as_ptr(),
            std::ptr::null(),
        )
    };
    assert_eq!(unsafe { CStr::from_ptr(p) }, c" -1 is out of range");
    // Invalid UTF-8 in a blank is replaced, not refused.
    let p = unsafe {
        ga_message(
            c"en".as_ptr(),
            GA_MSG_HAS_NUL,
            c"a\xffb".as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(
        unsafe { CStr::from_ptr(p) }.to_str().unwrap(),
        "a\u{fffd}b must not contain NUL characters"
    );
}
