//! What a client trusts by default (the system's store: on Linux the bundle `SSL_CERT_FILE`
//! names), CA files adding to it (PEM or DER), and the bundled web roots as the explicit choice.
//! The system store is read at the first TLS connection and `SSL_CERT_FILE` is process-wide, so
//! each case runs in a child process (this test binary again, with the variable set) that talks
//! to servers the parent runs.

mod common;
#[path = "common/pki.rs"]
mod pki;

use std::ffi::CString;
use std::path::PathBuf;
use std::process::Command;

use common::*;
use getavatar::internals::ffi::{
    ga_client_set_ca_file, ga_client_set_trust, GaStatus, GA_TRUST_BUNDLED, GA_TRUST_SYSTEM,
};
use pki::{HttpsServer, Pki};

const CHILD: &str = "GA_TRUST_TEST_CHILD";

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the parent"))
}

/// Runs this binary's test `name` in a child process with `env` (and no other SSL_CERT_*).
fn run_child(name: &str, env: &[(&str, String)]) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "child {name} failed:\n{text}"
    );
}

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ga-trust-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(d: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let p = d.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

fn client(url: &str) -> Handle {
    let h = Handle::new(url, "3100000001", "trusttoken123");
    assert_eq!(h.set_retries(0), 0);
    h
}

fn add_ca_file(h: &Handle, path: &str) -> GaStatus {
    let p = CString::new(path).unwrap();
    unsafe { ga_client_set_ca_file(h.0, p.as_ptr()) }
}

fn set_trust(h: &Handle, t: i32) -> GaStatus {
    unsafe { ga_client_set_trust(h.0, t) }
}

fn assert_ok(r: &Res, tag: &str) {
    assert_eq!(
        (r.status, r.url.as_str()),
        (0, format!("https://i.oneme.ru/i?r={tag}").as_str()),
        "{}",
        r.err()
    );
}

fn assert_unknown_issuer(r: &Res) {
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{}", r.err());
    assert!(
        r.err().contains("UnknownIssuer")
            && r.err().contains("trust its root (ga_client_set_ca_file)"),
        "names the problem and the C setting: {}",
        r.err()
    );
}

#[test]
fn a_root_only_in_ssl_cert_file_is_trusted_by_default() {
    let a = Pki::new("getavatar test root A", None);
    let srv = HttpsServer::start(&a, "A");
    let d = dir("default");
    let a_pem = write(&d, "a.pem", a.root_pem.as_bytes());
    // Without it in the store, the same server is refused, and the message names the setting.
    if !in_child() {
        assert_unknown_issuer(&client(&srv.url()).get("10000000"));
        assert_eq!(srv.served.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
    run_child(
        "child_system_store_is_the_default",
        &[("SSL_CERT_FILE", a_pem), ("GA_T_A", srv.url())],
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn child_system_store_is_the_default() {
    if !in_child() {
        return;
    }
    let c = client(&var("GA_T_A"));
    assert_ok(&c.get("10000000"), "A");
    // The bundled web roots do not hold the private root.
    assert_eq!(set_trust(&c, GA_TRUST_BUNDLED), GaStatus::GA_OK);
    assert_unknown_issuer(&c.get("10000000"));
    assert_eq!(set_trust(&c, GA_TRUST_SYSTEM), GaStatus::GA_OK);
    assert_ok(&c.get("10000000"), "A");
    // Another value is refused and changes nothing.
    assert_eq!(set_trust(&c, 2), GaStatus::GA_ERR_INVALID_ARGUMENT);
    assert!(
        last_error().contains("trust 2 is not valid"),
        "{}",
        last_error()
    );
    assert_eq!(
        unsafe { ga_client_set_trust(std::ptr::null_mut(), GA_TRUST_SYSTEM) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    assert_ok(&c.get("10000000"), "A");
}

#[test]
fn a_ca_file_adds_to_the_system_store() {
    let (a, b) = (
        Pki::new("getavatar test root A", None),
        Pki::new("getavatar test root B", None),
    );
    let (srv_a, srv_b) = (HttpsServer::start(&a, "A"), HttpsServer::start(&b, "B"));
    let d = dir("adds");
    let env = [
        ("SSL_CERT_FILE", write(&d, "a.pem", a.root_pem.as_bytes())),
        ("GA_T_A", srv_a.url()),
        ("GA_T_B", srv_b.url()),
        // The Windows export wizard's default: DER, named .cer.
        ("GA_T_B_DER", write(&d, "b.cer", &b.root_der)),
        ("GA_T_B_PEM", write(&d, "b.crt", b.root_pem.as_bytes())),
    ];
    run_child("child_ca_files_add", &env);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn child_ca_files_add() {
    if !in_child() {
        return;
    }
    for file in [var("GA_T_B_DER"), var("GA_T_B_PEM")] {
        // B's root is only in the CA file.
        let b = client(&var("GA_T_B"));
        assert_unknown_issuer(&b.get("10000000"));
        assert_eq!(add_ca_file(&b, &file), GaStatus::GA_OK, "{}", last_error());
        assert_ok(&b.get("10000000"), "B");
        // A's root is only in the system store: a CA file for B leaves it trusted.
        let a = client(&var("GA_T_A"));
        assert_eq!(add_ca_file(&a, &file), GaStatus::GA_OK, "{}", last_error());
        assert_ok(&a.get("10000000"), "A");
        // With the bundled roots the CA file still adds, and the system store is out.
        for h in [&a, &b] {
            assert_eq!(set_trust(h, GA_TRUST_BUNDLED), GaStatus::GA_OK);
        }
        assert_ok(&b.get("10000000"), "B");
        assert_unknown_issuer(&a.get("10000000"));
    }
}

#[test]
fn a_wrong_ca_file_says_what_it_held() {
    let a = Pki::new("getavatar test root A", None);
    let d = dir("wrong");
    let key = rcgen::KeyPair::generate().unwrap();
    let c = client("https://localhost:1");
    for (name, bytes, want) in [
        (
            "key.pem",
            key.serialize_pem().into_bytes(),
            "holds a private key, no certificate",
        ),
        (
            "key.der",
            key.serialize_der(),
            "holds a private key (DER), no certificate",
        ),
        (
            "notes.cer",
            vec![b'x'; 312],
            "is not a certificate: 312 bytes of text",
        ),
        ("empty.crt", Vec::new(), "is empty"),
        (
            "crl.der",
            a.crl_der.clone(),
            "bytes of DER data that are not a valid X.509 certificate",
        ),
    ] {
        let p = write(&d, name, &bytes);
        assert_eq!(
            add_ca_file(&c, &p),
            GaStatus::GA_ERR_INVALID_ARGUMENT,
            "{name}"
        );
        let e = last_error();
        assert!(e.contains(want) && e.contains(name), "{name}: {e}");
    }
    let missing = d.join("missing.cer");
    assert_eq!(
        add_ca_file(&c, missing.to_str().unwrap()),
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    assert!(
        last_error().contains("cannot read CA file"),
        "{}",
        last_error()
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_empty_system_store_is_said_and_ca_files_still_count() {
    let a = Pki::new("getavatar test root A", None);
    let srv = HttpsServer::start(&a, "A");
    let d = dir("empty");
    let env = [
        ("SSL_CERT_FILE", write(&d, "none.pem", b"")),
        ("GA_T_A", srv.url()),
        ("GA_T_A_PEM", write(&d, "a.pem", a.root_pem.as_bytes())),
    ];
    run_child("child_empty_store", &env);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn child_empty_store() {
    if !in_child() {
        return;
    }
    let c = client(&var("GA_T_A"));
    let r = c.get("10000000");
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{}", r.err());
    assert!(
        r.err()
            .contains("the system's certificate store cannot be used: SSL_CERT_FILE names ")
            && r.err()
                .contains("none.pem, which holds no usable certificate; fix or unset")
            && r.err().contains("bundled web roots (ga_client_set_trust)")
            && r.err().contains("trust a root (ga_client_set_ca_file)"),
        "{}",
        r.err()
    );
    assert_eq!(add_ca_file(&c, &var("GA_T_A_PEM")), GaStatus::GA_OK);
    assert_ok(&c.get("10000000"), "A");
}

#[test]
fn a_mistyped_ssl_cert_file_is_named_with_its_path() {
    let a = Pki::new("getavatar test root A", None);
    let srv = HttpsServer::start(&a, "A");
    let env = [
        (
            "SSL_CERT_FILE",
            "/nonexistent-ga/certs/ca-bundel.crt".to_string(),
        ),
        ("GA_T_A", srv.url()),
    ];
    run_child("child_mistyped_ssl_cert_file", &env);
}

#[test]
fn child_mistyped_ssl_cert_file() {
    if !in_child() {
        return;
    }
    let c = client(&var("GA_T_A"));
    let r = c.get("10000000");
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{}", r.err());
    assert!(
        r.err().contains(
            "the system's certificate store cannot be used: SSL_CERT_FILE names \
             /nonexistent-ga/certs/ca-bundel.crt, which cannot be read (No such file or directory"
        ) && r.err().contains(
            "fix or unset the variable, or choose the bundled web roots (ga_client_set_trust)"
        ),
        "{}",
        r.err()
    );
}

#[test]
fn a_renewed_root_given_as_ca_file_is_trusted_beside_the_old_one() {
    // Issue 23: an office renews its root under the same name; the old root stays in the system
    // store (here the bundle SSL_CERT_FILE names), the new one is given as the CA file. The
    // system's verifier picks the old root by name and refuses the chain (BadSignature); the CA
    // file must settle it.
    let old = Pki::new("getavatar company root", None);
    let new = Pki::new("getavatar company root", None);
    assert_ne!(old.root_der, new.root_der);
    let srv = HttpsServer::start(&new, "NEW");
    let d = dir("renewed");
    let env = [
        (
            "SSL_CERT_FILE",
            write(&d, "old.pem", old.root_pem.as_bytes()),
        ),
        ("GA_T_NEW", srv.url()),
        (
            "GA_T_NEW_PEM",
            write(&d, "new.pem", new.root_pem.as_bytes()),
        ),
        (
            "GA_T_OLD_PEM",
            write(&d, "old-file.pem", old.root_pem.as_bytes()),
        ),
    ];
    run_child("child_renewed_root", &env);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn child_renewed_root() {
    if !in_child() {
        return;
    }
    // Without the CA file: refused, as the system's verifier says.
    let c = client(&var("GA_T_NEW"));
    let r = c.get("10000000");
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{}", r.err());
    assert!(r.err().contains("BadSignature"), "{}", r.err());
    // The old root as CA file changes nothing: the chain does not verify against it.
    assert_eq!(add_ca_file(&c, &var("GA_T_OLD_PEM")), GaStatus::GA_OK);
    let r = c.get("10000000");
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{}", r.err());
    assert!(r.err().contains("BadSignature"), "{}", r.err());
    // The new root as CA file: trusted.
    let c = client(&var("GA_T_NEW"));
    assert_eq!(add_ca_file(&c, &var("GA_T_NEW_PEM")), GaStatus::GA_OK);
    assert_ok(&c.get("10000000"), "NEW");
    assert_ok(&c.get("10000000"), "NEW");
}
