//! One id to one row: the lookup and, with `--download`, the picture saved atomically.

use std::path::Path;

use getavatar::{Cancel, Client, Error, GaStatus};

use crate::input::Job;
use crate::output::Row;

/// Looks up `job` (and saves its picture into `download` when given) as a row. A lookup stopped
/// by `cancel` gives a `GA_ERR_CANCELLED` row, and no picture is fetched after a cancel.
pub fn row_for(client: &Client, job: &Job, download: Option<&Path>, cancel: &Cancel) -> Row {
    let id = match &job.id {
        Ok(id) => id,
        Err(why) => {
            return Row {
                line: job.line,
                chat_id: String::new(),
                status: GaStatus::GA_ERR_INVALID_ARGUMENT,
                http_status: 0,
                url: String::new(),
                available: None,
                file: None,
                error: why.clone(),
                stops_run: false,
                kept: job.cells.clone(),
            }
        }
    };
    let mut row = Row {
        line: job.line,
        chat_id: id.clone(),
        status: GaStatus::GA_OK,
        http_status: 200,
        url: String::new(),
        available: None,
        file: None,
        error: String::new(),
        stops_run: false,
        kept: job.cells.clone(),
    };
    let failed = |row: &mut Row, e: Error| {
        row.status = e.status;
        row.http_status = e.http_status;
        // Settings named by this tool's flags ("(--ca-file)", not "(CA file setting)").
        row.error = getavatar::internals::cli_names(&e.message).into_owned();
    };
    match client.get_avatar_cancellable(id, cancel) {
        Ok(a) => {
            row.url = a.url;
            row.available = a.available;
        }
        Err(e) => {
            if e.status == GaStatus::GA_ERR_INVALID_ARGUMENT {
                // The library describes a token-like id instead of quoting it: so does the row
                // (the token in the id column, an export with the credentials).
                row.chat_id = getavatar::internals::redact::mask_secret_like(&row.chat_id);
            }
            // Only the lookup's: a failed picture download is the image host's, not the
            // instance's.
            row.stops_run = e.is_instance_level();
            failed(&mut row, e);
            return row;
        }
    }
    if let (Some(dir), false) = (download, row.url.is_empty()) {
        if cancel.is_cancelled() {
            row.status = GaStatus::GA_ERR_CANCELLED;
            return row;
        }
        match save(client, dir, id, &row.url) {
            Ok(file) => row.file = Some(file),
            Err(e) => failed(&mut row, e),
        }
    }
    row
}

/// Fetches the picture at `url` and writes it atomically to `DIR/CHAT_ID.EXT` (the extension
/// from its content type). Returns the path written.
///
/// Not `Client::download_avatar`: that needs the file name before the content type is known,
/// and would look the id up again. The writing is the library's, as there.
fn save(client: &Client, dir: &Path, chat_id: &str, url: &str) -> Result<String, Error> {
    let img = client.fetch_image(url)?;
    // chat_id passed the library's check: digits with an optional leading '-'.
    let path = dir.join(format!("{chat_id}.{}", extension(&img.content_type)));
    let shown = path.to_string_lossy().into_owned();
    getavatar::internals::image::write_atomically(&shown, &img.data).map_err(|message| Error {
        status: GaStatus::GA_ERR_IO,
        http_status: 200,
        message,
    })?;
    Ok(shown)
}

/// A file extension for an image media type (`image/jpeg` -> `jpg`); an unknown type gives its
/// subtype's letters and digits (at most 10), or `img`.
pub fn extension(media_type: &str) -> String {
    let sub = media_type.strip_prefix("image/").unwrap_or("");
    let known = match sub {
        "jpeg" | "jpg" | "pjpeg" => "jpg",
        "png" | "x-png" | "apng" => "png",
        "svg+xml" => "svg",
        "x-icon" | "vnd.microsoft.icon" => "ico",
        "tiff" => "tif",
        "x-ms-bmp" => "bmp",
        _ => "",
    };
    if !known.is_empty() {
        return known.into();
    }
    let sub = sub.strip_prefix("x-").unwrap_or(sub);
    let clean: String = sub
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .take(10)
        .collect();
    if clean.is_empty() {
        "img".into()
    } else {
        clean.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::extension;

    #[test]
    fn extensions_come_from_the_type_and_never_escape_the_folder() {
        for (t, e) in [
            ("image/jpeg", "jpg"),
            ("image/png", "png"),
            ("image/webp", "webp"),
            ("image/gif", "gif"),
            ("image/svg+xml", "svg"),
            ("image/x-icon", "ico"),
            ("image/HEIC", "heic"),
            ("image/../../etc/passwd", "img"),
            ("image/a/b", "a"),
            ("image/averyveryverylongtype", "averyveryv"),
            ("image/", "img"),
            ("text/html", "img"),
        ] {
            assert_eq!(extension(t), e, "{t}");
        }
    }
}
