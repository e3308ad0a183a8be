//! Reading a CA file: PEM or DER (`.pem`, `.crt`, `.cer`, `.der`: told apart by content, not by
//! name), only certificates, each a valid X.509 certificate. A refusal says what the file held.

use crate::messages::Msg;
use std::io::Read;

use rustls::pki_types::CertificateDer;

use crate::answer::validate;

/// Largest CA file read (a whole system bundle is about 250 KB); a larger file, or a device that
/// never ends, is refused instead of read.
const MAX_BYTES: u64 = 4 << 20;

/// The certificates of the CA file at `path`.
pub(crate) fn read(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = validate::shown(path);
    let held = |what: String| {
        Msg::CaFileHeld {
            path: shown.clone(),
            what,
        }
        .text()
    };
    let bytes = match read_limited(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(held(Msg::CaFileNotRegular.text())),
        Err(e) => {
            return Err(Msg::CaFileUnreadable {
                path: shown.clone(),
                error: e.to_string(),
            }
            .text())
        }
    };
    if bytes.len() as u64 > MAX_BYTES {
        return Err(held(
            Msg::CaFileTooLarge {
                mib: MAX_BYTES >> 20,
            }
            .text(),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(held(Msg::CaFileEmpty.text()));
    }
    let certs = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        from_pem(&bytes).map_err(held)?
    } else if bytes[0] == 0x30 {
        vec![from_der(&bytes).map_err(held)?]
    } else if std::str::from_utf8(&bytes).is_ok() {
        return Err(held(Msg::CaFileText { len: bytes.len() }.text()));
    } else {
        return Err(held(Msg::CaFileBinary { len: bytes.len() }.text()));
    };
    Ok(certs)
}

/// The file's bytes, at most `MAX_BYTES + 1` of them; `None` when `path` is not a regular file
/// (a FIFO would block the open or the read until a writer came, a directory cannot be read).
fn read_limited(path: &str) -> std::io::Result<Option<Vec<u8>>> {
    if !std::fs::metadata(path)?.is_file() {
        return Ok(None);
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Should the path become a FIFO after the check, the open still returns at once.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Checks that `der` is an X.509 certificate rustls can use as a root.
fn checked(der: Vec<u8>) -> Result<CertificateDer<'static>, String> {
    let der = CertificateDer::from(der);
    rustls::RootCertStore::empty()
        .add(der.clone())
        .map(|_| der)
        .map_err(|e| e.to_string())
}

/// A DER file: one certificate, or a refusal naming what it is.
fn from_der(bytes: &[u8]) -> Result<CertificateDer<'static>, String> {
    checked(bytes.to_vec()).map_err(|e| {
        if looks_like_private_key(bytes) {
            Msg::CaFileDerKey.text()
        } else {
            Msg::CaFileBadDer {
                len: bytes.len(),
                error: e,
            }
            .text()
        }
    })
}

/// A DER private key (PKCS#8 or PKCS#1): a SEQUENCE whose first element is the INTEGER version
/// (a certificate's first element is itself a SEQUENCE).
fn looks_like_private_key(der: &[u8]) -> bool {
    let header = match der.get(1) {
        Some(&n) if n < 0x80 => 2,
        Some(&n) if (0x81..=0x84).contains(&n) => 2 + usize::from(n - 0x80),
        _ => return false,
    };
    der.get(header) == Some(&0x02)
}

/// A PEM file: only CERTIFICATE blocks, each valid.
fn from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let text = String::from_utf8_lossy(pem);
    let labels = text.lines().filter_map(|line| {
        line.trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
    });
    let mut has_cert = false;
    for label in labels {
        if label == "CERTIFICATE" {
            has_cert = true;
            continue;
        }
        if label.contains("PRIVATE KEY") && !text.contains("-----BEGIN CERTIFICATE-----") {
            return Err(Msg::CaFilePemKeyOnly {
                label: validate::shown(label),
            }
            .text());
        }
        let what = if label.contains("PRIVATE KEY") {
            Msg::CaFileKeyHint.text()
        } else {
            String::new()
        };
        return Err(Msg::CaFileOtherBlock {
            label: validate::shown(label),
            what,
        }
        .text());
    }
    if !has_cert {
        return Err(Msg::CaFileNoCert.text());
    }
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        let n = certs.len() + 1;
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(
                checked(c.der().to_vec()).map_err(|e| Msg::CaFileBadCert { n, error: e }.text())?,
            ),
            Ok(_) => return Err(Msg::CaFileKeyToo.text()),
            Err(e) => {
                return Err(Msg::CaFileBadPem {
                    error: e.to_string(),
                }
                .text())
            }
        }
    }
    if certs.is_empty() {
        return Err(Msg::CaFileNoCert.text());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> String {
        let dir = std::env::temp_dir().join(format!("ga-ca-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn refused(name: &str, bytes: &[u8]) -> String {
        read(&file(name, bytes)).unwrap_err()
    }

    #[test]
    fn pem_and_der_are_told_apart_by_content() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ca.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der().to_vec();
        // A DER file named .pem and a PEM file named .cer both work.
        assert_eq!(read(&file("der.pem", &der)).unwrap()[0].as_ref(), &der[..]);
        let pem = cert.pem();
        assert_eq!(
            read(&file("pem.cer", pem.as_bytes())).unwrap()[0].as_ref(),
            &der[..]
        );
        let two = format!("{pem}\n{pem}");
        assert_eq!(read(&file("two.crt", two.as_bytes())).unwrap().len(), 2);

        // What a wrong file held.
        let m = refused("key.der", &key.serialize_der());
        assert!(
            m.contains("holds a private key (DER), no certificate"),
            "{m}"
        );
        let m = refused("key.pem", key.serialize_pem().as_bytes());
        assert!(m.contains("holds a private key, no certificate"), "{m}");
        let both = format!("{pem}{}", key.serialize_pem());
        let m = refused("both.pem", both.as_bytes());
        assert!(
            m.contains("PEM \"PRIVATE KEY\" block (a private key"),
            "{m}"
        );
        let m = refused("text.cer", &[b'x'; 312]);
        assert!(m.contains("is not a certificate: 312 bytes of text"), "{m}");
        let m = refused("bin.cer", &[0xff, 0x00, 0x13]);
        assert!(m.contains("3 bytes of binary data"), "{m}");
        let m = refused("empty.pem", b"\n \n");
        assert!(m.contains("is empty"), "{m}");
        let mut cut = der.clone();
        cut.truncate(100);
        let m = refused("cut.der", &cut);
        assert!(
            m.contains("100 bytes of DER data that are not a valid X.509"),
            "{m}"
        );
        let m = read("/nonexistent/ga/root.cer").unwrap_err();
        assert!(
            m.starts_with("cannot read CA file \"/nonexistent/ga/root.cer\""),
            "{m}"
        );
    }

    #[test]
    fn a_large_file_is_not_read_to_the_end() {
        let p = file("big.pem", b"");
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(MAX_BYTES + 4096)
            .unwrap();
        let m = read(&p).unwrap_err();
        assert!(m.contains("larger than 4 MiB"), "{m}");
    }

    #[test]
    fn a_device_or_a_directory_is_not_a_regular_file() {
        let dir = std::env::temp_dir();
        let mut paths = vec![dir.to_str().unwrap().to_string()];
        if std::path::Path::new("/dev/zero").exists() {
            paths.push("/dev/zero".into());
        }
        for p in paths {
            let m = read(&p).unwrap_err();
            assert!(m.contains("is not a regular file"), "{p}: {m}");
        }
    }

    /// A FIFO blocks an open for reading until a writer comes: refused at once instead.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("ga-ca-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("root.pem");
        let _ = std::fs::remove_file(&fifo);
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.to_str().unwrap().to_string();
        std::thread::spawn(move || tx.send(read(&path)).unwrap());
        let got = rx.recv_timeout(std::time::Duration::from_secs(10));
        if got.is_err() {
            // Release the blocked reader (a writer opening, then closing) before failing.
            let _w = std::fs::OpenOptions::new().write(true).open(&fifo);
        }
        let m = got.expect("reading a FIFO blocked").unwrap_err();
        assert!(m.contains("is not a regular file"), "{m}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
