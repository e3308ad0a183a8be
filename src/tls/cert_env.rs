//! What is wrong with the variables that point OpenSSL-style programs (and rustls, on Linux and
//! other Unix but macOS) at the system's certificates, `SSL_CERT_FILE` and `SSL_CERT_DIR`, for a
//! message when the system's store cannot be used: a mistyped path is named, as curl names it.

use crate::messages::Msg;

/// A sentence naming the variable and the path that could not be used, or None when neither
/// variable is set (or they look fine). `var` reads the environment.
pub(crate) fn problem(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<String> {
    if cfg!(any(windows, target_os = "macos")) {
        return None; // those stores do not read the variables
    }
    if let Some(f) = var("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        let path = std::path::PathBuf::from(&f);
        let (var, path_shown) = ("SSL_CERT_FILE", path.display().to_string());
        return Some(
            match std::fs::metadata(&path) {
                Err(e) => Msg::CertVarUnreadable {
                    var,
                    path: path_shown,
                    error: e.to_string(),
                },
                Ok(m) if !m.is_file() => Msg::CertVarNotFile {
                    var,
                    path: path_shown,
                },
                Ok(_) => Msg::CertVarNoCert {
                    var,
                    path: path_shown,
                },
            }
            .text(),
        );
    }
    if let Some(d) = var("SSL_CERT_DIR").filter(|v| !v.is_empty()) {
        let (var, path) = (
            "SSL_CERT_DIR",
            std::path::PathBuf::from(&d).display().to_string(),
        );
        return Some(
            match std::fs::metadata(std::path::Path::new(&d)) {
                Err(e) => Msg::CertVarUnreadable {
                    var,
                    path,
                    error: e.to_string(),
                },
                Ok(m) if !m.is_dir() => Msg::CertVarNotFolder { var, path },
                Ok(_) => Msg::CertVarNoCert { var, path },
            }
            .text(),
        );
    }
    None
}

#[cfg(all(test, unix, not(target_os = "macos")))]
mod tests {
    use super::*;

    #[test]
    fn names_the_variable_and_the_path() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        let m = problem(env(&[("SSL_CERT_FILE", "/no/such/ca.pem")])).unwrap();
        assert!(
            m.starts_with("SSL_CERT_FILE names /no/such/ca.pem, which cannot be read ("),
            "{m}"
        );
        let m = problem(env(&[("SSL_CERT_FILE", "/")])).unwrap();
        assert_eq!(m, "SSL_CERT_FILE names /, which is not a file");
        let m = problem(env(&[("SSL_CERT_DIR", "/no/such/dir")])).unwrap();
        assert!(
            m.starts_with("SSL_CERT_DIR names /no/such/dir, which cannot be read"),
            "{m}"
        );
        assert_eq!(problem(env(&[("SSL_CERT_FILE", "")])), None);
        assert_eq!(problem(env(&[])), None);
    }
}
