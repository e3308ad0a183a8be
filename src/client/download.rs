//! Downloads: a lookup, then the image its link names, kept in memory or saved to a file.

use super::{host_of, Client, Error};
use crate::answer::image::{self, Image};
use crate::answer::response::Avatar;
use crate::cancel::Cancel;
use crate::deadline::Budget;
use crate::error::status::GaStatus;

/// What a download came to.
#[derive(Debug)]
pub(crate) enum Download {
    /// The lookup (or the check of the path before it) failed: there is no answer.
    NoAnswer(Error),
    /// The lookup answered; then the image (None when there is no avatar), or why fetching or
    /// saving it failed.
    Answered {
        /// The lookup's answer.
        avatar: Avatar,
        /// The image, None when there is none, or the image's failure.
        image: Result<Option<Image>, Error>,
    },
}

impl Download {
    /// The lookup's answer (None when there is none).
    pub(crate) fn avatar(&self) -> Option<&Avatar> {
        match self {
            Download::NoAnswer(_) => None,
            Download::Answered { avatar, .. } => Some(avatar),
        }
    }

    /// The image (None when there is no avatar), or why the download failed.
    pub(crate) fn image(&self) -> Result<Option<&Image>, &Error> {
        match self {
            Download::NoAnswer(e) => Err(e),
            Download::Answered { image, .. } => image.as_ref().map(Option::as_ref),
        }
    }

    /// The answer and the image, or the first failure.
    pub(crate) fn into_result(self) -> Result<(Avatar, Option<Image>), Error> {
        match self {
            Download::NoAnswer(e) => Err(e),
            Download::Answered { avatar, image } => image.map(|i| (avatar, i)),
        }
    }

    /// A download that failed before any answer (a bad argument).
    pub(crate) fn failed(e: Error) -> Download {
        Download::NoAnswer(e)
    }
}

impl Client {
    /// Fetches the image at `url` (a link from getAvatar): GET, at most 3 redirects, an `image/*`
    /// Content-Type and at most 16 MiB required. Transient failures are retried like lookups, but
    /// image requests do not count against the rate limit (they go to the image server).
    pub fn fetch_image(&self, url: &str) -> Result<Image, Error> {
        let _lang = self.speak();
        self.fetch_image_with(url, None, &mut self.budget())
    }

    /// `fetch_image`, cancellable when a token is given, within `budget`.
    pub(super) fn fetch_image_with(
        &self,
        url: &str,
        cancel: Option<&Cancel>,
        budget: &mut Budget,
    ) -> Result<Image, Error> {
        image::check_image_url(url).map_err(|m| Error {
            status: GaStatus::GA_ERR_BAD_RESPONSE,
            http_status: 200,
            message: self.redactor.scrub(&m),
        })?;
        let host = host_of(url).to_string();
        self.retrying(false, cancel, budget, || self.image_attempt(url, &host))
    }

    /// Looks up `chat_id` and fetches its avatar image: `(answer, None)` when there is no avatar.
    pub fn avatar_image(&self, chat_id: &str) -> Result<(Avatar, Option<Image>), Error> {
        let _lang = self.speak();
        self.download(chat_id, None, None).into_result()
    }

    /// `avatar_image` that `cancel` can stop (see `get_avatar_cancellable`).
    pub fn avatar_image_cancellable(
        &self,
        chat_id: &str,
        cancel: &Cancel,
    ) -> Result<(Avatar, Option<Image>), Error> {
        let _lang = self.speak();
        self.download(chat_id, None, Some(cancel)).into_result()
    }

    /// Looks up `chat_id` and writes its avatar image to `path` atomically (a temporary file in
    /// the same folder, then a rename; nothing half-written is left on failure). When there is no
    /// avatar nothing is written and the answer (with an empty link) is returned.
    pub fn download_avatar(&self, chat_id: &str, path: &str) -> Result<Avatar, Error> {
        let _lang = self.speak();
        let d = self.download(chat_id, Some(path), None);
        d.into_result().map(|(a, _)| a)
    }

    /// `download_avatar` that `cancel` can stop (see `get_avatar_cancellable`); a cancelled
    /// download leaves `path` as it was.
    pub fn download_avatar_cancellable(
        &self,
        chat_id: &str,
        path: &str,
        cancel: &Cancel,
    ) -> Result<Avatar, Error> {
        let _lang = self.speak();
        let d = self.download(chat_id, Some(path), Some(cancel));
        d.into_result().map(|(a, _)| a)
    }

    /// The steps of every download: checks `path` (when saving), looks up `chat_id`, fetches the
    /// image (None when there is no avatar) and, with `path`, saves it there atomically (a failure
    /// there is `GA_ERR_IO`). When the link no longer works (403, 404, 410), `chat_id` is dropped
    /// from the cache so the next call looks it up again. The lookup and the image share one
    /// budget (the deadline setting).
    pub(crate) fn download(
        &self,
        chat_id: &str,
        path: Option<&str>,
        cancel: Option<&Cancel>,
    ) -> Download {
        let _lang = self.speak();
        let checked = match path {
            Some(p) => image::check_download_path(p).map_err(|m| self.invalid(m)),
            None => Ok(()),
        };
        let mut budget = self.budget();
        let avatar = match checked.and_then(|()| self.lookup_within(chat_id, cancel, &mut budget)) {
            Ok(a) => a,
            Err(e) => return Download::NoAnswer(e),
        };
        if avatar.url.is_empty() {
            let image = Ok(None);
            return Download::Answered { avatar, image };
        }
        let img = self
            .fetch_image_with(&avatar.url, cancel, &mut budget)
            .inspect_err(|e| {
                if matches!(e.http_status, 403 | 404 | 410) {
                    self.state().cache.remove(chat_id);
                }
            });
        let image = match (path, img) {
            (Some(p), Ok(img)) => self.save(p, img).map(Some),
            (_, img) => img.map(Some),
        };
        Download::Answered { avatar, image }
    }

    /// Writes `img` to `path` atomically; a failure is `GA_ERR_IO`.
    fn save(&self, path: &str, img: Image) -> Result<Image, Error> {
        match image::write_atomically(path, &img.data) {
            Ok(()) => Ok(img),
            Err(m) => Err(Error {
                status: GaStatus::GA_ERR_IO,
                http_status: 200,
                message: self.redactor.scrub(&m),
            }),
        }
    }
}
