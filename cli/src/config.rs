//! Turns flags and environment variables into a configured client (or the sandbox's).

use std::path::Path;

use getavatar::Client;

use crate::args::Args;
use crate::messages::Msg;

/// A token file larger than this is not a token file.
const MAX_TOKEN_FILE: u64 = 4096;

/// A configured client, and the sandbox emulator it talks to when there is one (kept alive as
/// long as the client is used).
pub struct Configured {
    pub client: Client,
    pub sandbox: Option<crate::sandbox::Sandbox>,
}

/// The client the flags and environment describe. The error is a message for the user; it never
/// holds the token.
pub fn client(args: &Args) -> Result<Configured, String> {
    let (url, id, token, sandbox) = if args.sandbox {
        let (emu, url, id, token) = crate::sandbox::start()?;
        (url, id, Token::Given(token), Some(emu))
    } else {
        let (url, id, token) = credentials(args, |k| std::env::var(k))?;
        (url, id, token, None)
    };
    let client = match &token {
        Token::Given(t) => Client::new(&url, &id, t),
        Token::Stored => Client::from_credential(&url, &id),
    }
    .map_err(|e| getavatar::internals::cli_names(&e.message).into_owned())?;
    settings(&client, args)?;
    Ok(Configured { client, sandbox })
}

/// Where the token comes from.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// A token file or the environment.
    Given(String),
    /// Windows Credential Manager's `getavatar/<idInstance>` (Windows only: elsewhere a missing
    /// token is an error).
    Stored,
}

/// apiUrl, idInstance and the token, from the flags or else the environment (`var`); on
/// Windows, a token given neither way is the one stored for the instance.
fn credentials(
    args: &Args,
    var: impl Fn(&str) -> Result<String, std::env::VarError>,
) -> Result<(String, String, Token), String> {
    let from_env = |name: &str| match var(name) {
        Ok(v) if !v.is_empty() => Ok(Some(v)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Msg::EnvNotUnicode {
            name: name.to_string(),
        }
        .text()),
    };
    let url = match &args.api_url {
        Some(u) => Some(u.clone()),
        None => from_env("GA_API_URL")?,
    };
    let id = match &args.id_instance {
        Some(i) => Some(i.clone()),
        None => from_env("GA_ID_INSTANCE")?,
    };
    let token = match &args.token_file {
        Some(p) => Some(read_token_file(p)?),
        None => from_env("GA_API_TOKEN_INSTANCE")?,
    };
    match (url, id, token) {
        (Some(u), Some(i), Some(t)) => Ok((u, i, Token::Given(t))),
        (Some(u), Some(i), None) if cfg!(windows) => Ok((u, i, Token::Stored)),
        (u, i, t) => {
            let missing: Vec<String> = [
                (u.is_none(), "--api-url", "GA_API_URL"),
                (i.is_none(), "--id-instance", "GA_ID_INSTANCE"),
                (t.is_none(), "--token-file", "GA_API_TOKEN_INSTANCE"),
            ]
            .into_iter()
            .filter(|(m, _, _)| *m)
            .map(|(_, a, b)| Msg::Either { a, b }.text())
            .collect();
            let stored = if cfg!(windows) {
                String::new()
            } else {
                Msg::StoredWindowsOnly.text()
            };
            Err(Msg::NotConfigured {
                missing: missing.join(", "),
                stored,
            }
            .text())
        }
    }
}

/// The token in `path`: the file's text without surrounding whitespace (a trailing newline is
/// fine) or byte order mark. Messages name the file, never its content.
fn read_token_file(path: &Path) -> Result<String, String> {
    let shown = path.display().to_string();
    let failed = |e: std::io::Error| {
        Msg::TokenFileError {
            path: shown.clone(),
            error: e.to_string(),
        }
        .text()
    };
    let meta = std::fs::metadata(path).map_err(failed)?;
    if !meta.is_file() {
        return Err(Msg::TokenFileNotFile { path: shown }.text());
    }
    if meta.len() > MAX_TOKEN_FILE {
        return Err(Msg::TokenFileTooLarge {
            path: shown,
            len: meta.len(),
        }
        .text());
    }
    warn_if_shared(path, &meta);
    let bytes = std::fs::read(path).map_err(failed)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Msg::TokenFileNotText {
            path: shown.clone(),
        }
        .text()
    })?;
    let token = text.trim_start_matches('\u{feff}').trim();
    if token.is_empty() {
        return Err(Msg::TokenFileEmpty { path: shown }.text());
    }
    Ok(token.to_string())
}

/// Warns when other users may read the token file.
#[cfg(unix)]
fn warn_if_shared(path: &Path, meta: &std::fs::Metadata) {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o077 != 0 {
        let path = path.display().to_string();
        eprintln!("{}", Msg::TokenFileShared { path }.text());
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_: &Path, _: &std::fs::Metadata) {}

/// Applies the settings flags to `client`.
fn settings(client: &Client, args: &Args) -> Result<(), String> {
    let e = |e: getavatar::Error| getavatar::internals::cli_names(&e.message).into_owned();
    client.set_rate_limit(args.rate_limit.into()).map_err(e)?;
    client.set_concurrency(args.concurrency.into()).map_err(e)?;
    client
        .set_timeout(std::time::Duration::from_millis(args.timeout.into()))
        .map_err(e)?;
    client
        .set_deadline(std::time::Duration::from_millis(args.deadline.into()))
        .map_err(e)?;
    client.set_trust(match args.trust.as_str() {
        "bundled" => getavatar::Trust::Bundled,
        _ => getavatar::Trust::System,
    });
    client.set_max_retries(args.retries.into()).map_err(e)?;
    client
        .set_cache_ttl(std::time::Duration::from_secs(args.cache_ttl.into()))
        .map_err(e)?;
    client
        .set_user_agent(&format!("getavatar-cli/{}", env!("CARGO_PKG_VERSION")))
        .map_err(e)?;
    for ca in &args.ca_file {
        client.add_ca_file(ca).map_err(e)?;
    }
    match args.proxy.as_str() {
        // The sandbox emulator runs in this process, on loopback: never through a proxy.
        "env" if args.sandbox => Ok(()),
        // A new client already uses the system's proxy.
        "system" => Ok(()),
        "env" => client.use_env_proxy().map(drop).map_err(e),
        "none" => client.set_proxy("").map_err(e),
        url => client
            .set_proxy(url)
            .map_err(|err| format!("--proxy: {}", getavatar::internals::cli_names(&err.message))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(a: &[&str]) -> Args {
        Args::parse_from(std::iter::once("getavatar").chain(a.iter().copied()))
    }

    #[test]
    fn flags_win_over_the_environment_and_missing_ones_are_named() {
        let _en = getavatar::internals::LanguageScope::enter(getavatar::Lang::En);
        let env = |k: &str| match k {
            "GA_API_URL" => Ok("https://env.example".to_string()),
            "GA_ID_INSTANCE" => Ok(String::new()),
            _ => Err(std::env::VarError::NotPresent),
        };
        let err = credentials(&args(&["1"]), env).unwrap_err();
        assert!(
            err.contains("--id-instance or GA_ID_INSTANCE, --token-file or GA_API_TOKEN_INSTANCE")
                && !err.contains("GA_API_URL"),
            "{err}"
        );
        let env = |k: &str| Ok(format!("env-{k}"));
        let (u, i, t) = credentials(&args(&["--api-url", "https://flag", "1"]), env).unwrap();
        assert_eq!(
            (u.as_str(), i.as_str(), t),
            (
                "https://flag",
                "env-GA_ID_INSTANCE",
                Token::Given("env-GA_API_TOKEN_INSTANCE".into())
            )
        );
        // Only the token missing: on Windows the stored one, elsewhere an error that says so.
        let env = |k: &str| match k {
            "GA_API_TOKEN_INSTANCE" => Err(std::env::VarError::NotPresent),
            _ => Ok(format!("env-{k}")),
        };
        let r = credentials(&args(&["1"]), env);
        if cfg!(windows) {
            assert_eq!(r.unwrap().2, Token::Stored);
        } else {
            let err = r.unwrap_err();
            assert!(err.contains("read by the Windows build only"), "{err}");
        }
    }

    #[test]
    fn token_files_are_trimmed_and_never_quoted() {
        let _en = getavatar::internals::LanguageScope::enter(getavatar::Lang::En);
        let dir = std::env::temp_dir().join(format!("ga-cli-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("token");
        std::fs::write(&p, "\u{feff}secretsecret0123\r\n").unwrap();
        assert_eq!(read_token_file(&p).unwrap(), "secretsecret0123");
        std::fs::write(&p, " \n").unwrap();
        assert!(read_token_file(&p).unwrap_err().contains("is empty"));
        std::fs::write(&p, vec![b'a'; 5000]).unwrap();
        let e = read_token_file(&p).unwrap_err();
        assert!(e.contains("5000 bytes") && !e.contains("aaaaaaaa"), "{e}");
        std::fs::write(&p, b"secret\xffsecretsecret").unwrap();
        let e = read_token_file(&p).unwrap_err();
        assert!(
            e.contains("not text") && !e.contains("secret\u{fffd}"),
            "{e}"
        );
        assert!(read_token_file(&dir).unwrap_err().contains("not a file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
