//! Avatar image downloads through the C ABI, end to end against the emulator: to a file
//! (atomically) and into memory, with redirects, content types, size limits, transient and
//! permanent image failures, file-system errors and bad arguments.

mod common;

use std::ffi::CString;
use std::path::{Path, PathBuf};

use common::*;
use getavatar::internals::ffi::{ga_download_avatar, ga_download_avatar_bytes};
use getavatar::internals::ffi::{ga_free, GaStatus};

const MIB16: usize = 16 << 20;

/// A fresh, empty folder for one test.
fn folder(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ga-dl-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The names in a folder, sorted: proves no temporary file was left behind.
fn names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn status_fault(status: u16, body: &str, headers: &[(&str, &str)]) -> Fault {
    Fault::Status {
        status,
        body: body.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[test]
fn download_writes_the_image_and_replaces_an_old_file() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("write");
    let p = d.join("a.png");
    std::fs::write(&p, b"an older picture").unwrap();
    let r = h.download("10000000", s(&p));
    assert_eq!(
        (r.name().as_str(), r.http, r.available),
        ("GA_OK", 200, 1),
        "{r:?}"
    );
    assert_eq!(r.url, format!("{}/avatars/10000000.png", e.url()));
    assert_eq!(std::fs::read(&p).unwrap(), AVATAR_PNG);
    assert_eq!(names(&d), ["a.png"]);
    assert_eq!(e.request_count(), 1);
    let imgs = e.image_requests();
    assert_eq!(imgs.len(), 1);
    assert_eq!(
        (imgs[0].method.as_str(), imgs[0].path.as_str()),
        ("GET", "/avatars/10000000.png")
    );
    // A group id.
    let r = h.download("-10000000000000", s(&d.join("g.png")));
    assert_eq!(r.name(), "GA_OK");
    assert_eq!(names(&d), ["a.png", "g.png"]);
}

#[test]
fn no_avatar_is_ok_and_writes_nothing() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("none");
    let p = d.join("none.png");
    for id in ["20000000", "30000000"] {
        let r = h.download(id, s(&p));
        assert_eq!((r.name().as_str(), r.url.as_str()), ("GA_OK", ""), "{r:?}");
        assert!(!p.exists(), "no file for {id}");
        let b = h.download_bytes(id);
        assert_eq!((b.res.name().as_str(), b.data.as_deref()), ("GA_OK", None));
    }
    assert_eq!(
        h.download("30000000", s(&p)).available,
        0,
        "hidden by privacy"
    );
    // An existing file is left as it is.
    std::fs::write(&p, b"keep").unwrap();
    assert_eq!(h.download("20000000", s(&p)).name(), "GA_OK");
    assert_eq!(std::fs::read(&p).unwrap(), b"keep");
    assert!(e.image_requests().is_empty());
}

#[test]
fn bytes_come_with_their_length_and_content_type() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let b = h.download_bytes("10000000");
    assert_eq!(b.res.name(), "GA_OK");
    assert_eq!(b.data.as_deref(), Some(AVATAR_PNG));
    assert_eq!(b.content_type, "image/png");
    assert_eq!(b.res.available, 1);
    e.set_avatar("50000000", "{base}/avatars/50000000.jpg", None);
    let b = h.download_bytes("50000000");
    assert_eq!(
        (b.content_type.as_str(), b.res.available),
        ("image/jpeg", -1)
    );
    // Parameters are dropped and the type lowercased.
    e.push_image_fault(status_fault(
        200,
        "GIF89a",
        &[("Content-Type", "Image/GIF; charset=binary")],
    ));
    let b = h.download_bytes("10000000");
    assert_eq!(
        (b.content_type.as_str(), b.data.as_deref()),
        ("image/gif", Some(&b"GIF89a"[..]))
    );
    // An empty image is not an image.
    e.push_image_fault(status_fault(200, "", &[("Content-Type", "image/png")]));
    let b = h.download_bytes("10000000");
    assert_eq!(
        (b.res.name().as_str(), b.data.as_deref()),
        ("GA_ERR_BAD_RESPONSE", None)
    );
}

#[test]
fn at_most_three_redirects_are_followed() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("redirects");
    e.set_avatar("50000000", "{base}/hop/3/avatars/50000000.png", Some(true));
    let r = h.download("50000000", s(&d.join("3.png")));
    assert_eq!(r.name(), "GA_OK", "{r:?}");
    assert_eq!(std::fs::read(d.join("3.png")).unwrap(), AVATAR_PNG);
    assert_eq!(e.image_requests().len(), 4, "three hops and the image");
    e.reset();
    e.set_avatar("50000000", "{base}/hop/4/avatars/50000000.png", Some(true));
    let r = h.download("50000000", s(&d.join("4.png")));
    assert_eq!(r.name(), "GA_ERR_BAD_RESPONSE");
    assert!(r.err().contains("redirected more than 3 times"), "{r:?}");
    assert_eq!(
        r.url,
        format!("{}/hop/4/avatars/50000000.png", e.url()),
        "the link is kept"
    );
    assert_eq!(
        e.image_requests().len(),
        4,
        "the fourth redirect is not followed"
    );
    assert_eq!(names(&d), ["3.png"]);
    // The lookup itself still follows none.
    e.push_fault(Fault::Redirect(format!("{}/avatars/x.png", e.url())));
    assert_eq!(
        h.download("10000000", s(&d.join("x.png"))).name(),
        "GA_ERR_BAD_RESPONSE"
    );
}

#[test]
fn only_images_are_accepted() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("types");
    let p = d.join("a.png");
    std::fs::write(&p, b"old").unwrap();
    for (fault, says) in [
        (
            status_fault(200, "<html>login</html>", &[("Content-Type", "text/html")]),
            "\"text/html\", not an image",
        ),
        (
            status_fault(200, "{}", &[]),
            "\"application/json\", not an image",
        ),
        (
            status_fault(200, "x", &[("Content-Type", "")]),
            "no Content-Type",
        ),
        (
            status_fault(200, "x", &[("Content-Type", "image/")]),
            "not an image",
        ),
    ] {
        e.push_image_fault(fault);
        let r = h.download("10000000", s(&p));
        assert_eq!(
            (r.name().as_str(), r.http),
            ("GA_ERR_BAD_RESPONSE", 200),
            "{says}: {r:?}"
        );
        assert!(r.err().contains(says), "{says}: {r:?}");
        assert!(
            r.err().contains("127.0.0.1"),
            "names the image server: {r:?}"
        );
        assert_eq!(
            std::fs::read(&p).unwrap(),
            b"old",
            "{says}: the old file is untouched"
        );
        assert_eq!(names(&d), ["a.png"]);
    }
    assert_eq!(e.image_requests().len(), 4, "a wrong type is not retried");
}

#[test]
fn images_are_capped_at_16_mib() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("size");
    e.push_image_fault(Fault::HugeBody(MIB16));
    let b = h.download_bytes("10000000");
    assert_eq!(
        (b.res.name().as_str(), b.data.as_ref().map(Vec::len)),
        ("GA_OK", Some(MIB16))
    );
    e.push_image_fault(Fault::HugeBody(MIB16 + 1));
    let r = h.download("10000000", s(&d.join("big.png")));
    assert_eq!(r.name(), "GA_ERR_BAD_RESPONSE");
    assert!(
        r.err()
            .contains("16777217 bytes, more than the 16777216 byte (16 MiB) limit"),
        "{r:?}"
    );
    // Without a Content-Length the body is cut off at the limit.
    e.push_image_fault(Fault::HugeChunked(MIB16 + 1));
    let b = h.download_bytes("10000000");
    assert_eq!(b.res.name(), "GA_ERR_BAD_RESPONSE");
    assert!(
        b.res.err().contains("larger than 16777216 bytes (16 MiB)"),
        "{:?}",
        b.res
    );
    e.push_image_fault(Fault::HugeChunked(1000));
    assert_eq!(
        h.download_bytes("10000000").data.map(|v| v.len()),
        Some(1000)
    );
    assert!(names(&d).is_empty());
}

#[test]
fn transient_image_failures_are_retried_without_a_new_lookup() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("transient");
    e.push_image_fault(status_fault(503, "busy", &[("Content-Type", "text/plain")]));
    e.push_image_fault(Fault::ResetMidBody);
    let r = h.download("10000000", s(&d.join("a.png")));
    assert_eq!(r.name(), "GA_OK", "{r:?}");
    assert_eq!(std::fs::read(d.join("a.png")).unwrap(), AVATAR_PNG);
    assert_eq!((e.request_count(), e.image_requests().len()), (1, 3));
    // Retries run out: the last failure is reported, with the link.
    assert_eq!(h.set_retries(1), 0);
    for f in [Fault::TruncatedBody, Fault::ResetBeforeStatus] {
        e.push_image_fault(f);
    }
    let r = h.download("10000000", s(&d.join("b.png")));
    assert_eq!((r.name().as_str(), r.http), ("GA_ERR_NETWORK", 0), "{r:?}");
    assert!(r.err().contains("gave up after 2 attempts"), "{r:?}");
    assert!(!r.url.is_empty());
    assert_eq!(names(&d), ["a.png"]);
    e.push_image_fault(status_fault(501, "", &[]));
    let n = e.image_requests().len();
    let r = h.download("10000000", s(&d.join("c.png")));
    assert_eq!((r.name().as_str(), r.http), ("GA_ERR_SERVER", 501));
    assert_eq!(e.image_requests().len(), n + 1, "501 is not retried");
}

#[test]
fn a_dead_link_is_reported_and_dropped_from_the_cache() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    assert_eq!(
        unsafe { getavatar::internals::ffi::ga_client_set_cache_ttl(h.0, 600) },
        GaStatus::GA_OK
    );
    e.push_image_fault(status_fault(404, "gone", &[("Content-Type", "text/plain")]));
    let b = h.download_bytes("10000000");
    assert_eq!(
        (b.res.name().as_str(), b.res.http),
        ("GA_ERR_BAD_RESPONSE", 404)
    );
    assert!(
        b.res.err().contains("look the avatar up again"),
        "{:?}",
        b.res
    );
    assert_eq!(e.image_requests().len(), 1, "404 is not retried");
    // The next call looks the avatar up again instead of reusing the dead link.
    assert_eq!(h.download_bytes("10000000").res.name(), "GA_OK");
    assert_eq!(e.request_count(), 2);
    // A good answer is cached as usual: no third lookup.
    assert_eq!(h.download_bytes("10000000").res.name(), "GA_OK");
    assert_eq!(e.request_count(), 2);
}

#[test]
fn lookup_failures_come_first_and_write_nothing() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("lookup");
    e.push_fault(status_fault(401, "", &[]));
    let r = h.download("10000000", s(&d.join("a.png")));
    assert_eq!(
        (r.name().as_str(), r.url.as_str(), r.available),
        ("GA_ERR_UNAUTHORIZED", "", -1)
    );
    let r = h.download("not a chat id", s(&d.join("a.png")));
    assert_eq!(r.name(), "GA_ERR_INVALID_ARGUMENT");
    // A link that is not http(s) is a bad answer of the lookup itself: not handed over.
    e.set_avatar("50000000", "ftp://files.example/a.png", Some(true));
    let b = h.download_bytes("50000000");
    assert_eq!(b.res.name(), "GA_ERR_BAD_RESPONSE");
    assert!(
        b.res
            .err()
            .contains("not an http(s) link (scheme \"ftp:\")"),
        "{:?}",
        b.res
    );
    assert_eq!(b.res.url, "");
    assert!(names(&d).is_empty() && e.image_requests().is_empty());
}

#[test]
fn a_url_avatar_that_is_not_a_web_link_is_a_bad_answer() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    for (link, scheme) in [
        (
            "javascript:alert(document.cookie)",
            "scheme \"javascript:\"",
        ),
        ("JavaScript:alert(1)", "scheme \"javascript:\""),
        ("file:///etc/passwd", "scheme \"file:\""),
        ("data:image/png;base64,iVBORw0KGgo=", "scheme \"data:\""),
        ("/avatars/1.png", "no scheme"),
        ("httpx://x/a.png", "scheme \"httpx:\""),
    ] {
        e.set_avatar("50000000", link, Some(true));
        let r = h.get("50000000");
        assert_eq!(r.name(), "GA_ERR_BAD_RESPONSE", "{link}: {r:?}");
        assert_eq!((r.url.as_str(), r.available), ("", -1), "{link}");
        assert!(
            r.err().contains(&format!("not an http(s) link ({scheme})")),
            "{r:?}"
        );
        assert!(
            !r.err().contains("alert") && !r.err().contains("passwd"),
            "{r:?}"
        );
    }
    for link in ["https://x.example/a.png", "HTTP://127.0.0.1/a.png", ""] {
        e.set_avatar("50000000", link, Some(true));
        let r = h.get("50000000");
        assert_eq!(
            (r.name().as_str(), r.url.as_str()),
            ("GA_OK", link),
            "{r:?}"
        );
    }
}

#[test]
fn file_system_errors_are_ga_err_io_and_leave_nothing() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("io");
    let p = d.join("no-such-folder").join("a.png");
    let r = h.download("10000000", s(&p));
    assert_eq!((r.name().as_str(), r.http), ("GA_ERR_IO", 200), "{r:?}");
    assert!(
        r.err().contains("cannot write the avatar image to") && r.err().contains("no-such-folder"),
        "{r:?}"
    );
    assert!(!r.url.is_empty(), "the link is kept");
    assert!(names(&d).is_empty());
    // A read-only folder (unless running as root, which may write anyway).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = d.join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let probe = ro.join("probe");
        if std::fs::write(&probe, b"").is_err() {
            let r = h.download("10000000", s(&ro.join("a.png")));
            assert_eq!(r.name(), "GA_ERR_IO", "{r:?}");
            assert!(names(&ro).is_empty());
        } else {
            let _ = std::fs::remove_file(&probe);
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn bad_arguments_send_nothing() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("args");
    let id = CString::new("10000000").unwrap();
    let path = CString::new(s(&d.join("a.png"))).unwrap();
    let r = unsafe { download_with(h.0, id.as_ptr(), std::ptr::null()) };
    assert_eq!(
        (r.name().as_str(), r.err()),
        ("GA_ERR_INVALID_ARGUMENT", "path is NULL")
    );
    let r = unsafe { download_with(h.0, std::ptr::null(), path.as_ptr()) };
    assert_eq!(r.err(), "chat_id is NULL");
    let r = unsafe { download_with(std::ptr::null_mut(), id.as_ptr(), path.as_ptr()) };
    assert_eq!(r.err(), "client is NULL");
    let bad = CString::new(vec![b'a', 0xff, b'b']).unwrap();
    let r = unsafe { download_with(h.0, id.as_ptr(), bad.as_ptr()) };
    assert!(r.err().contains("path is not valid UTF-8"), "{r:?}");
    for p in ["", s(&d)] {
        let r = h.download("10000000", p);
        assert_eq!(r.name(), "GA_ERR_INVALID_ARGUMENT", "{p:?}");
    }
    assert!(h
        .download("10000000", s(&d))
        .err()
        .contains("names a folder"));
    unsafe {
        let a = ga_download_avatar_bytes(std::ptr::null_mut(), std::ptr::null());
        assert_eq!((*a).status, 1);
        assert!((*a).data.is_null());
        ga_free(a.cast());
        let a = ga_download_avatar(h.0, std::ptr::null(), std::ptr::null());
        assert_eq!((*a).status, 1);
        ga_free(a.cast());
    }
    assert_eq!((e.request_count(), e.image_requests().len()), (0, 0));
    assert!(names(&d).is_empty());
}

#[test]
fn concurrent_downloads_to_one_path_always_leave_a_whole_image() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("race");
    let p = d.join("same.png");
    std::thread::scope(|sc| {
        for t in 0..8 {
            let (h, p, e) = (&h, &p, &e);
            sc.spawn(move || {
                for i in 0..10 {
                    if t == 0 && i % 2 == 0 {
                        // Slow bodies keep several temporary files open at once.
                        e.push_image_fault(Fault::SlowBody(std::time::Duration::from_millis(20)));
                    }
                    let r = h.download("10000000", s(p));
                    assert_eq!(r.name(), "GA_OK", "{r:?}");
                    assert_eq!(std::fs::read(p).unwrap(), AVATAR_PNG, "never half an image");
                }
            });
        }
    });
    assert_eq!(names(&d), ["same.png"]);
    assert_eq!(e.image_requests().len(), 80);
}

/// A file's bytes and (on Unix) permission bits.
fn read_with_mode(p: &Path) -> (Vec<u8>, u32) {
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    };
    #[cfg(not(unix))]
    let mode = 0;
    (std::fs::read(p).unwrap(), mode)
}

#[test]
fn empty_short_and_reset_images_fail_and_keep_the_old_file() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    assert_eq!(h.set_retries(0), 0);
    let d = folder("cut");
    let p = d.join("a.png");
    std::fs::write(&p, b"an older picture").unwrap();
    let cases = [
        (
            status_fault(200, "", &[("Content-Type", "image/jpeg")]),
            "GA_ERR_BAD_RESPONSE",
            "is empty (0 bytes)",
        ),
        (
            Fault::CloseDelimited {
                bytes: Some(0),
                reset: false,
            },
            "GA_ERR_BAD_RESPONSE",
            "is empty (0 bytes)",
        ),
        // Content-Length 100 bytes more than is sent, then a clean close.
        (
            Fault::TruncatedBody,
            "GA_ERR_NETWORK",
            "(its Content-Length)",
        ),
        (Fault::ResetMidBody, "GA_ERR_NETWORK", ""),
        // No Content-Length: the body runs until the close, which is a reset here.
        (
            Fault::CloseDelimited {
                bytes: Some(20),
                reset: true,
            },
            "GA_ERR_NETWORK",
            "was reset after",
        ),
        (
            Fault::CloseDelimited {
                bytes: None,
                reset: true,
            },
            "GA_ERR_NETWORK",
            "was reset after",
        ),
    ];
    for (fault, status, says) in cases {
        let shown = format!("{fault:?}");
        e.push_image_fault(fault.clone());
        let r = h.download("10000000", s(&p));
        assert_eq!(r.name(), status, "{shown}: {r:?}");
        // A reset that arrives before the client read the head is reported as a closed
        // connection: the status is the same.
        let early = r.err().contains("closed by the server");
        assert!(r.err().contains(says) || early, "{shown}: {r:?}");
        assert!(!r.url.is_empty(), "the link is kept");
        assert_eq!(std::fs::read(&p).unwrap(), b"an older picture", "{shown}");
        assert_eq!(names(&d), ["a.png"], "{shown}: no temporary file left");
        e.push_image_fault(fault);
        let b = h.download_bytes("10000000");
        assert_eq!((b.res.name().as_str(), b.data), (status, None), "{shown}");
    }
    // A close-delimited body that ends with a clean close is whole as far as anyone can tell.
    e.push_image_fault(Fault::CloseDelimited {
        bytes: None,
        reset: false,
    });
    assert_eq!(h.download("10000000", s(&p)).name(), "GA_OK");
    assert_eq!(std::fs::read(&p).unwrap(), AVATAR_PNG);
}

#[test]
fn a_cut_image_is_retried_like_other_transient_failures() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("cut-retry");
    e.push_image_fault(Fault::CloseDelimited {
        bytes: Some(20),
        reset: true,
    });
    let r = h.download("10000000", s(&d.join("a.png")));
    assert_eq!(r.name(), "GA_OK", "{r:?}");
    assert_eq!(std::fs::read(d.join("a.png")).unwrap(), AVATAR_PNG);
    assert_eq!(e.image_requests().len(), 2);
}

#[test]
fn temporary_files_never_touch_files_the_library_did_not_create() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("foreign-temp");
    // Every name the old scheme (.NAME.PID-N.part) could have used in this process.
    let pid = std::process::id();
    let foreign: Vec<String> = (0..2000)
        .map(|n| format!(".a.png.{pid}-{n}.part"))
        .collect();
    for f in &foreign {
        std::fs::write(d.join(f), b"not getavatar's").unwrap();
    }
    for _ in 0..3 {
        let r = h.download("10000000", s(&d.join("a.png")));
        assert_eq!(r.name(), "GA_OK", "{r:?}");
    }
    assert_eq!(std::fs::read(d.join("a.png")).unwrap(), AVATAR_PNG);
    for f in &foreign {
        assert_eq!(std::fs::read(d.join(f)).unwrap(), b"not getavatar's", "{f}");
    }
    assert_eq!(names(&d).len(), foreign.len() + 1);
}

#[test]
fn many_concurrent_downloads_into_one_folder_all_succeed() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("crowd");
    std::thread::scope(|sc| {
        for t in 0..16 {
            let (h, d) = (&h, &d);
            sc.spawn(move || {
                for i in 0..8 {
                    let p = d.join(format!("{t}-{i}.png"));
                    let r = h.download("10000000", s(&p));
                    assert_eq!(r.name(), "GA_OK", "{r:?}");
                }
            });
        }
    });
    let mut want: Vec<String> = (0..16)
        .flat_map(|t| (0..8).map(move |i| format!("{t}-{i}.png")))
        .collect();
    want.sort();
    assert_eq!(names(&d), want, "every file, and no temporary one");
}

#[test]
fn the_longest_legal_file_names_work() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("long");
    for n in [244, 255] {
        let name = format!("{}.png", "n".repeat(n - 4));
        let p = d.join(&name);
        let r = h.download("10000000", s(&p));
        assert_eq!(r.name(), "GA_OK", "{n} bytes: {r:?}");
        assert_eq!(std::fs::read(&p).unwrap(), AVATAR_PNG);
        std::fs::write(&p, b"old").unwrap();
        assert_eq!(h.download("10000000", s(&p)).name(), "GA_OK", "replaced");
        assert_eq!(std::fs::read(&p).unwrap(), AVATAR_PNG);
    }
    assert_eq!(names(&d).len(), 2);
}

#[cfg(unix)]
#[test]
fn destinations_that_are_not_regular_files_are_refused_before_anything_is_fetched() {
    use std::os::unix::fs::FileTypeExt;
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("special");
    let fifo = d.join("fifo.png");
    let c = CString::new(s(&fifo)).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let sock = d.join("sock.png");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let mut cases = vec![(fifo, "a FIFO"), (sock, "a socket")];
    // A character device: one made here (like /dev/null: 1,3) when running as root, where the
    // old code would have replaced it; /dev/null itself otherwise (nobody else can replace it).
    let dev = d.join("null.png");
    let c = CString::new(s(&dev)).unwrap();
    let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    if made == 0 {
        cases.push((dev, "a character device"));
    } else {
        cases.push((PathBuf::from("/dev/null"), "a character device"));
    }
    for (p, what) in &cases {
        let kind = |p: &Path| std::fs::symlink_metadata(p).unwrap().file_type();
        let before = kind(p);
        let r = h.download("10000000", s(p));
        assert_eq!(r.name(), "GA_ERR_INVALID_ARGUMENT", "{what}: {r:?}");
        assert!(
            r.err().contains(&format!("is {what}")) && r.err().contains("not a regular file"),
            "{what}: {r:?}"
        );
        let after = kind(p);
        assert!(!after.is_file() && before == after, "{what} left alone");
        assert!(
            after.is_fifo() || after.is_socket() || after.is_char_device(),
            "{what}"
        );
    }
    assert_eq!((e.request_count(), e.image_requests().len()), (0, 0));
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_replaced_not_written_through() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("links");
    let target = d.join("target.png");
    std::fs::write(&target, b"the link's target").unwrap();
    let link = d.join("link.png");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dangling = d.join("dangling.png");
    std::os::unix::fs::symlink(d.join("nowhere"), &dangling).unwrap();
    for l in [&link, &dangling] {
        let r = h.download("10000000", s(l));
        assert_eq!(r.name(), "GA_OK", "{r:?}");
        let m = std::fs::symlink_metadata(l).unwrap();
        assert!(m.file_type().is_file(), "the link became the image");
        assert_eq!(std::fs::read(l).unwrap(), AVATAR_PNG);
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"the link's target");
    assert!(!d.join("nowhere").exists());
    // A link to a folder names a folder.
    let to_dir = d.join("to-dir");
    std::os::unix::fs::symlink(&d, &to_dir).unwrap();
    assert_eq!(
        h.download("10000000", s(&to_dir)).name(),
        "GA_ERR_INVALID_ARGUMENT"
    );
}

#[cfg(unix)]
#[test]
fn an_existing_file_keeps_its_permission_bits_and_a_new_one_gets_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let d = folder("modes");
    for mode in [0o600, 0o640, 0o444, 0o755] {
        let p = d.join(format!("{mode:o}.png"));
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        let r = h.download("10000000", s(&p));
        assert_eq!(r.name(), "GA_OK", "{r:?}");
        assert_eq!(read_with_mode(&p), (AVATAR_PNG.to_vec(), mode), "{mode:o}");
    }
    // A new file: 0666 less the umask (read without changing it: other tests run alongside).
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(umask) = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
    {
        let p = d.join("new.png");
        assert_eq!(h.download("10000000", s(&p)).name(), "GA_OK");
        assert_eq!(read_with_mode(&p).1, 0o666 & !umask);
    }
}

/// An HTTPS image server on 127.0.0.1 that answers every request with a close-delimited
/// `image/png` (no Content-Length) and then closes with TLS `close_notify` when `notify`, or by
/// dropping the TCP connection without it. Returns its port and certificate (PEM).
fn tls_close_delimited_server(notify: bool) -> (u16, String) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::Arc;
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let pem = cert.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut reader = BufReader::new(&mut tls);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut out =
                    b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n"
                        .to_vec();
                out.extend_from_slice(AVATAR_PNG);
                let _ = tls.write_all(&out);
                if notify {
                    tls.conn.send_close_notify();
                }
                let _ = tls.flush();
                let _ = tls.sock.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (port, pem)
}

#[test]
fn over_tls_a_close_delimited_image_needs_close_notify() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    assert_eq!(h.set_retries(0), 0);
    let d = folder("tls-close");
    let p = d.join("a.png");
    std::fs::write(&p, b"old").unwrap();
    for notify in [false, true] {
        let (port, pem) = tls_close_delimited_server(notify);
        let ca = d.join(format!("ca-{notify}.pem"));
        std::fs::write(&ca, pem).unwrap();
        let ca = CString::new(s(&ca)).unwrap();
        assert_eq!(
            unsafe { getavatar::internals::ffi::ga_client_set_ca_file(h.0, ca.as_ptr()) },
            GaStatus::GA_OK
        );
        e.set_avatar(
            "50000000",
            &format!("https://127.0.0.1:{port}/a.png"),
            Some(true),
        );
        let r = h.download("50000000", s(&p));
        if notify {
            assert_eq!(r.name(), "GA_OK", "{r:?}");
            assert_eq!(std::fs::read(&p).unwrap(), AVATAR_PNG);
        } else {
            assert_eq!(r.name(), "GA_ERR_NETWORK", "{r:?}");
            assert_eq!(std::fs::read(&p).unwrap(), b"old", "the old file is kept");
        }
    }
}

/// An image server behind a "load balancer" that closes a kept connection after a redirect:
/// `GET /img/start` answers `302` to `/img/final` without `Connection: close`, then the
/// connection is closed, at once (`close_at_once`) or when the next request on it has arrived
/// (unanswered). `/img/final` on a new connection is the image. Its port and the requests seen,
/// as `(connection number, path, answered)`.
#[allow(clippy::type_complexity)]
fn closes_after_redirect_server(
    close_at_once: bool,
) -> (
    u16,
    std::sync::Arc<std::sync::Mutex<Vec<(usize, String, bool)>>>,
) {
    use std::io::{BufRead, BufReader, Write};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut redirected = false;
                loop {
                    let mut first = String::new();
                    if reader.read_line(&mut first).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                    }
                    let path = first.split(' ').nth(1).unwrap_or("").to_string();
                    if redirected {
                        log.lock().unwrap().push((n, path, false));
                        return; // closed, unanswered
                    }
                    log.lock().unwrap().push((n, path.clone(), true));
                    if path == "/img/start" {
                        let _ = stream.write_all(
                            b"HTTP/1.1 302 Found\r\nLocation: /img/final\r\nContent-Length: 0\r\n\r\n",
                        );
                        redirected = true;
                        if close_at_once {
                            let _ = stream.shutdown(std::net::Shutdown::Both);
                            return;
                        }
                    } else {
                        let mut out = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\r\n",
                            AVATAR_PNG.len()
                        )
                        .into_bytes();
                        out.extend_from_slice(AVATAR_PNG);
                        let _ = stream.write_all(&out);
                    }
                }
            });
        }
    });
    (port, seen)
}

#[test]
fn an_image_redirect_is_followed_when_the_server_closes_after_the_302() {
    // Issue 23: the next hop went out on the closed connection and was not resent. It is now
    // resent once, every hop on a new connection, without counting as a retry.
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    assert_eq!(h.set_retries(0), 0);
    let d = folder("redirect-close");
    let p = d.join("a.png");
    for close_at_once in [false, true] {
        let (port, seen) = closes_after_redirect_server(close_at_once);
        e.set_avatar(
            "50000001",
            &format!("http://127.0.0.1:{port}/img/start"),
            Some(true),
        );
        let _ = std::fs::remove_file(&p);
        let r = h.download("50000001", s(&p));
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            r.name(),
            "GA_OK",
            "close at once {close_at_once}: {r:?} {seen:?}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), AVATAR_PNG);
        assert!(
            seen.iter()
                .any(|(_, path, answered)| path == "/img/final" && *answered),
            "{seen:?}"
        );
        // The bytes too.
        let img = h.download_bytes("50000001");
        assert_eq!(img.res.name(), "GA_OK", "{:?}", img.res);
        assert_eq!(img.data.as_deref(), Some(AVATAR_PNG));
    }
}
