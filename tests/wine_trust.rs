//! Under Wine, x64 and x86: the DLL trusts what the Windows certificate store trusts, with no CA
//! file. tests/wine/trust.c looks up an HTTPS server whose private root is in no store (refused:
//! UnknownIssuer, the message naming ga_client_set_ca_file), adds the root to the ROOT store
//! (CertAddEncodedCertificateToSystemStoreW), and looks up again (answered); GA_TRUST_BUNDLED
//! then ignores the store.
//!
//! Wine 8's revocation check fails for a certificate without a CRL distribution point (real
//! Windows lets that pass as "revocation offline"), so the server certificate names one on
//! loopback, where the test serves a CRL signed by the root. Each architecture gets a new root
//! and a new CRL address (no cache from the previous run applies). The prefix is this test's own
//! (`wine-prefix-trust`): the test writes to its certificate store.

mod common;
#[path = "common/pki.rs"]
mod pki;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use common::wine::*;
use pki::{HttpsServer, Pki};

#[test]
fn the_windows_root_store_is_trusted_by_default_under_wine() {
    if !wine_available("the_windows_root_store_is_trusted_by_default_under_wine") {
        return;
    }
    let r = root();
    let dist = release_dlls("wine-trust");
    let work = r.join("target/wine-trust");
    let prefix = prefix("wine-prefix-trust");
    // A clean store: the roots earlier runs added go (Windows builds chains by subject name, so
    // an old root of the same name would stand in the way). This prefix is the test's own.
    let roots = r"HKCU\Software\Microsoft\SystemCertificates\Root\Certificates";
    let _ = wine(&prefix).args(["reg", "delete", roots, "/f"]).output();
    // And no CRL cached from an earlier run.
    if let Ok(users) = std::fs::read_dir(prefix.join("drive_c/users")) {
        for u in users.flatten() {
            for cache in [
                "AppData/LocalLow/Microsoft/CryptnetUrlCache",
                "AppData/Local/Microsoft/Windows/INetCache",
            ] {
                let _ = std::fs::remove_dir_all(u.path().join(cache));
            }
        }
    }
    let run_id = format!("{}-{}", std::process::id(), unique());
    for (arch, gcc, _) in ARCHES {
        let crl = Arc::new(Mutex::new(Vec::new()));
        let (crl_port, crl_hits) = pki::serve_bytes(crl.clone());
        let pki = Pki::new_rsa(
            &format!("getavatar Wine test root {arch} {run_id}"),
            Some(&format!("http://127.0.0.1:{crl_port}/ca.crl")),
        );
        *crl.lock().unwrap() = pki.crl_der.clone();
        // The server sends its root too: with only its own certificate Wine 8 finds no issuer,
        // and its SSL policy lets such a partial chain pass (seen: the lookup succeeded with
        // the root in no store); a complete chain to an unknown root is refused as on Windows.
        let srv = HttpsServer::start_full_chain(&pki, "W");
        // A second server, whose root only a CA file holds.
        let other = Pki::new_rsa(
            &format!("getavatar Wine CA-file root {arch} {run_id}"),
            Some(&format!("http://127.0.0.1:{crl_port}/ca.crl")),
        );
        let srv2 = HttpsServer::start_full_chain(&other, "W");

        let dir = work.join(arch);
        dll_folder(&dist, arch, gcc, &dir);
        let der = dir.join("root.der");
        std::fs::write(&der, &pki.root_der).unwrap();
        let der2 = dir.join("proxy-root.cer");
        std::fs::write(&der2, &other.root_der).unwrap();
        let include = format!("-I{}", r.join("include").display());
        let lib = format!("-L{}", dist.join(arch).display());
        let exe = compile_exe(
            gcc,
            "trust.c",
            &dir,
            "trust.exe",
            &[&include, &lib, "-lgetavatar", "-lcrypt32"],
        );
        let run_exe = |args: &[String]| {
            let out = wine(&prefix).arg(&exe).args(args).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            assert!(
                out.status.success() && text.trim_end().ends_with("OK"),
                "{arch} {args:?}: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            text
        };
        let before = run_exe(&[srv.url(), "before".into(), windows_path(&der)]);
        assert_eq!(srv.served.load(Ordering::SeqCst), 0, "{arch}: {before}");
        let text = run_exe(&[srv.url(), "after".into(), srv2.url(), windows_path(&der2)]);
        // Three answers (store, system again, beside the CA file); refused handshakes sent nothing.
        assert_eq!(srv.served.load(Ordering::SeqCst), 3, "{arch}: {text}");
        assert_eq!(srv2.served.load(Ordering::SeqCst), 1, "{arch}: {text}");
        // 64-bit Wine checked revocation against the CRL the root signed (32-bit Wine 8 was seen
        // not to fetch it, and to accept the chain all the same).
        let hits = crl_hits.load(Ordering::SeqCst);
        eprintln!("{arch}: CRL fetched {hits} time(s)\n{before}{text}");
        assert!(arch != "x64" || hits >= 1, "{arch}: CRL never fetched");
    }
}

/// A number that differs between runs.
fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}
