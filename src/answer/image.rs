//! Avatar images: checking the link and the answer's head, and writing a file atomically.
//! Pure or file-only: the HTTP part is in `client`.

use crate::messages::Msg;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::failure::Failure;
use crate::error::status::GaStatus;

/// Largest image downloaded, in bytes (16 MiB); a larger one is `GA_ERR_BAD_RESPONSE`.
pub const MAX_IMAGE: usize = 16 << 20;

/// Redirects followed when fetching an image (the getAvatar call itself follows none).
pub const MAX_IMAGE_REDIRECTS: u32 = 3;

/// A downloaded image.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    /// The bytes, at most [`MAX_IMAGE`].
    pub data: Vec<u8>,
    /// The media type the server sent, lowercase, without parameters, e.g. `image/jpeg`.
    pub content_type: String,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("content_type", &self.content_type)
            .field("len", &self.data.len())
            .finish()
    }
}

/// Checks the link getAvatar returned before fetching it: `http://` or `https://` with a host.
pub fn check_image_url(url: &str) -> Result<(), String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return Err(Msg::ImageLinkNotHttp {
            link: link_summary(url),
        }
        .text());
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if rest[..host_end].is_empty() || url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(Msg::ImageLinkBad {
            link: link_summary(url),
        }
        .text());
    }
    Ok(())
}

/// How a message names a link the server chose: its scheme and length, never the rest (it may
/// hold anything, the token included).
fn link_summary(url: &str) -> String {
    let n = url.chars().count();
    match url.split_once(':') {
        Some((s, _))
            // At most 7 characters: too short to be a fragment of the token.
            if (1..=7).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b)) =>
        {
            Msg::LinkSummaryScheme { scheme: s, n }.text()
        }
        _ => Msg::LinkSummary { n }.text(),
    }
}

/// The media type of a Content-Type value: lowercase, parameters dropped.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// What is wrong with an image answer's head, if anything.
/// `host` names the image server in messages.
pub fn check_image_head(
    host: &str,
    status: u16,
    content_type: Option<&str>,
    content_length: Option<&str>,
) -> Result<String, Failure> {
    check_image_status(host, status)?;
    let media = image_media_type(host, content_type)?;
    check_image_length(host, content_length)?;
    Ok(media)
}

/// What is wrong with an image answer's status, if anything.
fn check_image_status(host: &str, status: u16) -> Result<(), Failure> {
    match status {
        200 => Ok(()),
        429 => Err(Failure::new(
            GaStatus::GA_ERR_RATE_LIMITED,
            Msg::Image429 { host },
            true,
        )),
        499..=599 => Err(Failure::new(
            GaStatus::GA_ERR_SERVER,
            Msg::ImageStatus {
                host,
                status,
                hint: String::new(),
            },
            !matches!(status, 501 | 505),
        )),
        300..=399 => Err(Failure::new(
            GaStatus::GA_ERR_BAD_RESPONSE,
            Msg::ImageRedirectNoLocation { host, status },
            false,
        )),
        _ => {
            let hint = if matches!(status, 403 | 404 | 410) {
                Msg::ImageExpiredHint.text()
            } else {
                String::new()
            };
            Err(Failure::new(
                GaStatus::GA_ERR_BAD_RESPONSE,
                Msg::ImageStatus { host, status, hint },
                false,
            ))
        }
    }
}

/// The answer's `image/...` media type, or why it is not an image.
fn image_media_type(host: &str, content_type: Option<&str>) -> Result<String, Failure> {
    let media = content_type.map(media_type).unwrap_or_default();
    let sub = media.strip_prefix("image/").unwrap_or("");
    if sub.is_empty() || !sub.bytes().all(|b| b.is_ascii_graphic()) {
        let said = if media.is_empty() {
            Msg::NoContentType.text()
        } else {
            Msg::ContentType {
                media: crate::answer::validate::shown(&media),
            }
            .text()
        };
        return Err(Failure::new(
            GaStatus::GA_ERR_BAD_RESPONSE,
            Msg::NotAnImage { host, said },
            false,
        ));
    }
    Ok(media)
}

/// Refuses an image whose announced Content-Length is over the size limit.
fn check_image_length(host: &str, content_length: Option<&str>) -> Result<(), Failure> {
    if let Some(n) = content_length.and_then(|v| v.trim().parse::<u64>().ok()) {
        if n > MAX_IMAGE as u64 {
            return Err(Failure::new(
                GaStatus::GA_ERR_BAD_RESPONSE,
                Msg::ImageOverLimit {
                    host,
                    n,
                    max: MAX_IMAGE,
                },
                false,
            ));
        }
    }
    Ok(())
}

/// What is wrong with an image body that was read to its end, if anything. `cut` says the connection ended with a reset (or, over TLS, without
/// `close_notify`) while it was read. A body whose Content-Length was not reached never gets
/// here: ureq fails the read (see [`short_body_message`]).
pub fn check_image_body(host: &str, len: usize, cut: bool) -> Result<(), Failure> {
    if cut {
        return Err(Failure::new(
            GaStatus::GA_ERR_NETWORK,
            Msg::ImageReset { host, len },
            true,
        ));
    }
    if len == 0 {
        return Err(Failure::new(
            GaStatus::GA_ERR_BAD_RESPONSE,
            Msg::ImageEmpty { host },
            false,
        ));
    }
    Ok(())
}

/// The message for an image whose connection closed before its Content-Length was reached.
pub fn short_body_message(host: &str, content_length: &str) -> String {
    Msg::ImageShort {
        host,
        len: crate::answer::validate::shown(content_length.trim()),
    }
    .text()
}

/// Longest download path accepted, in bytes (Windows' extended-length limit).
pub const MAX_PATH_LEN: usize = 32_767;

/// Checks a download path before anything is fetched: not empty, not too long, names a file
/// (not a folder, nor a symbolic link to one), and is not something other than a regular file
/// (a device, FIFO or socket is refused, never replaced). A symbolic link is fine: the download
/// replaces the link itself (see [`write_atomically`]).
pub fn check_download_path(path: &str) -> Result<(), String> {
    let p = Path::new(path);
    if path.is_empty() {
        return Err(Msg::PathEmpty.text());
    }
    if path.len() > MAX_PATH_LEN {
        return Err(Msg::PathTooLong {
            len: path.len(),
            max: MAX_PATH_LEN,
        }
        .text());
    }
    if p.file_name().is_none() || path.ends_with('/') || path.ends_with('\\') || p.is_dir() {
        return Err(Msg::PathFolder {
            path: crate::answer::validate::shown(path),
        }
        .text());
    }
    check_replaceable(p)
}

/// Refuses a path that exists and is neither a regular file nor a symbolic link.
fn check_replaceable(p: &Path) -> Result<(), String> {
    let Ok(meta) = std::fs::symlink_metadata(p) else {
        return Ok(()); // Missing (or not reachable: writing will say why).
    };
    let t = meta.file_type();
    if t.is_file() || t.is_symlink() {
        return Ok(());
    }
    let what = kind_of(&t).text();
    Err(Msg::PathSpecial {
        path: crate::answer::validate::shown(&p.to_string_lossy()),
        what,
    }
    .text())
}

/// "cannot write the avatar image to PATH: ERROR".
fn cannot_write(shown: &str, e: std::io::Error) -> String {
    Msg::CannotWriteTo {
        path: shown.to_string(),
        error: e.to_string(),
    }
    .text()
}

/// Names a file type that is not a regular file or link, for messages.
fn kind_of(t: &std::fs::FileType) -> Msg<'static> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return Msg::FileCharDevice;
        }
        if t.is_block_device() {
            return Msg::FileBlockDevice;
        }
        if t.is_fifo() {
            return Msg::FileFifo;
        }
        if t.is_socket() {
            return Msg::FileSocket;
        }
    }
    if t.is_dir() {
        return Msg::FileFolder;
    }
    Msg::FileSpecial
}

/// Tries at most this many random temporary names before giving up (a collision is already
/// a 1 in 2^64 event).
const TEMP_TRIES: u32 = 16;

/// A random 64-bit number: std's randomly keyed hasher (seeded from the OS per thread) over the
/// process id, the time, a counter and the thread (the address of a thread-local: unlike
/// `std::thread::current()`, it allocates nothing that would outlive the thread and show as
/// "possibly lost" under valgrind). No extra crate.
fn random_u64() -> u64 {
    use std::hash::BuildHasher;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static THREAD: u8 = const { 0 };
    }
    let thread = THREAD.with(|t| t as *const u8 as usize);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::collections::hash_map::RandomState::new().hash_one((
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed),
        thread,
    ))
}

/// A temporary file in `dir`, created exclusively (never an existing file) under a random name of
/// fixed length (32 bytes, whatever the target's name), with the given permission bits on Unix.
fn create_temp(
    dir: &Path,
    #[allow(unused_variables)] mode: Option<u32>,
) -> std::io::Result<(std::fs::File, PathBuf)> {
    let mut tries = 0;
    loop {
        let tmp = dir.join(format!(".getavatar-{:016x}.part", random_u64()));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        if let Some(m) = mode {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(m);
        }
        match opts.open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < TEMP_TRIES => {
                tries += 1
            }
            Err(e) => return Err(e),
        }
    }
}

/// The permission bits to give the new file: an existing regular file's (Unix); None for a new
/// file (then the usual 0666 & ~umask) or a symbolic link (replaced by a new file).
fn kept_mode(target: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::symlink_metadata(target).ok()?;
        m.file_type()
            .is_file()
            .then(|| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = target;
        None
    }
}

/// Writes `data` to `path` atomically: into a new temporary file in the same folder (created
/// exclusively under a random name), flushed to disk, then renamed over `path`. An existing
/// file keeps its permission bits (Unix); a symbolic link at `path` is replaced by the file (what
/// it pointed to is not touched); anything else that is not a regular file is refused. On failure
/// the temporary file (and only it: the library never removes a file it did not create) is
/// removed and `path` is left as it was. The message names the path and the system's reason.
pub fn write_atomically(path: &str, data: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let target = Path::new(path);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let shown = crate::answer::validate::shown(path);
    check_replaceable(target).map_err(|why| Msg::CannotWrite { why }.text())?;
    let mode = kept_mode(target);
    let (mut f, tmp) = create_temp(&dir, mode).map_err(|e| cannot_write(&shown, e))?;
    let written = (|| {
        f.write_all(data)?;
        #[cfg(unix)]
        if let Some(m) = mode {
            // The umask may have cleared bits at creation: set them exactly.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(m))?;
        }
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, target)
    })();
    match written {
        Ok(()) => {
            sync_dir(&dir);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(cannot_write(&shown, e))
        }
    }
}

/// Flushes a folder's entries (the rename) to disk, where the system allows it; best effort.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_links_must_be_http_urls() {
        assert!(check_image_url("https://cdn.example/a.jpg?x=1").is_ok());
        assert!(check_image_url("HTTP://127.0.0.1:5/a.png").is_ok());
        for bad in [
            "",
            "ftp://x/a",
            "file:///etc/passwd",
            "https://",
            "https:///a",
            "http://a b",
            "javascript:x",
        ] {
            let m = check_image_url(bad).unwrap_err();
            assert!(m.contains("not downloaded"), "{bad:?}: {m}");
        }
        // A server-chosen link is never quoted beyond a short scheme.
        let token = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345";
        for bad in [
            format!("ftp:{token}"),
            format!("{token}:x"),
            format!("https://x/{token}\u{1b}"),
            format!("https:// {token}"),
        ] {
            let m = check_image_url(&bad).unwrap_err();
            assert!(!crate::leak_check::leaks(token, &m), "{m}");
        }
        assert!(check_image_url(&format!("ftp:{token}"))
            .unwrap_err()
            .contains("\"ftp:...\""));
    }

    #[test]
    fn heads_need_200_an_image_type_and_a_sane_length() {
        assert_eq!(
            check_image_head("h", 200, Some("Image/JPEG; q=1"), Some("10")).unwrap(),
            "image/jpeg"
        );
        let e =
            |s, ct: Option<&str>, len: Option<&str>| check_image_head("h", s, ct, len).unwrap_err();
        assert_eq!(
            e(200, Some("text/html"), None).status,
            GaStatus::GA_ERR_BAD_RESPONSE
        );
        assert!(e(200, Some("text/html"), None)
            .message
            .contains("Content-Type \"text/html\", not an image"));
        assert!(e(200, None, None).message.contains("no Content-Type"));
        assert!(e(200, Some("image/"), None)
            .message
            .contains("not an image"));
        assert!(e(200, Some("image/png"), Some("16777217"))
            .message
            .contains("16777217 bytes"));
        assert!(check_image_head("h", 200, Some("image/png"), Some("16777216")).is_ok());
        assert_eq!(
            e(503, None, None),
            Failure::transient(GaStatus::GA_ERR_SERVER, "the image server h answered 503")
        );
        assert!(e(429, None, None).retryable);
        let gone = e(404, None, None);
        assert!(
            !gone.retryable && gone.message.contains("look the avatar up again"),
            "{gone:?}"
        );
        assert!(!e(302, None, None).retryable);
    }

    #[test]
    fn atomic_writes_replace_or_leave_nothing() {
        let dir = std::env::temp_dir().join(format!("ga-img-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.png");
        let ps = p.to_str().unwrap();
        std::fs::write(&p, b"old").unwrap();
        write_atomically(ps, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        let missing = dir.join("no/such/a.png");
        let m = write_atomically(missing.to_str().unwrap(), b"x").unwrap_err();
        assert!(m.contains("cannot write the avatar image to"), "{m}");
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            [std::ffi::OsString::from("a.png")],
            "no temporary file is left"
        );
        assert!(check_download_path(dir.to_str().unwrap())
            .unwrap_err()
            .contains("folder"));
        assert!(check_download_path("").is_err());
        assert!(check_download_path("x/").is_err());
        assert!(check_download_path(ps).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
