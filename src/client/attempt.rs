//! One attempt: a getAvatar POST or an image GET, sent once and read into a result or a
//! [`Failure`] (the retry loop in `client` decides what to do with a failure).

use crate::messages::Msg;
use std::time::{Duration, SystemTime};

use super::{host_of, Client};
use crate::answer::image::{self, Image, MAX_IMAGE, MAX_IMAGE_REDIRECTS};
use crate::answer::response::{self, Avatar, Outcome, MAX_BODY};
use crate::error::failure::Failure;
use crate::error::status::GaStatus;
use crate::error::transport_error;

impl Client {
    /// One POST of getAvatar.
    pub(super) fn attempt(&self, body: &str) -> (Result<Avatar, Failure>, u16) {
        if let Some(f) = self.proxy_problem() {
            return (Err(f), 0);
        }
        let timeout = self.timeout();
        let agent = self.agent();
        let request = match &self.uri {
            Some(uri) => agent.post(uri.clone()),
            None => agent.post(&self.url),
        };
        let json = ureq::http::HeaderValue::from_static("application/json");
        let sent = request
            .header(ureq::http::header::CONTENT_TYPE, json)
            .send(body);
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => return (Err(self.transport_failure(e, &self.url, timeout, false)), 0),
        };
        let http_status = resp.status().as_u16();
        // Only a failure reads these (a 200 has no use for them).
        let (retry_after, location) = match http_status {
            200 => (None, None),
            _ => (header(&resp, "retry-after"), header(&resp, "location")),
        };
        let read = read_body(&mut resp);
        let r = match read {
            Ok(bytes) => match response::interpret(
                http_status,
                retry_after.as_deref(),
                location.as_deref(),
                &bytes,
                SystemTime::now(),
                &self.redactor,
            ) {
                Outcome::Success(a) => Ok(a),
                Outcome::Failure(f) => Err(f),
            },
            Err(ureq::Error::BodyExceedsLimit(_)) => Err(Failure::fatal(
                GaStatus::GA_ERR_BAD_RESPONSE,
                Msg::AnswerTooLarge { max: MAX_BODY },
            )),
            Err(e) => Err(self.transport_failure(e, &self.url, timeout, true)),
        };
        (r, http_status)
    }

    /// One GET of an avatar image.
    pub(super) fn image_attempt(&self, url: &str, host: &str) -> (Result<Image, Failure>, u16) {
        if let Some(f) = self.proxy_problem() {
            return (Err(f), 0);
        }
        if !self.api_on_loopback() {
            // A link the server chose may not reach into the user's own machine.
            crate::net::transport::refuse_this_machine();
        }
        let timeout = self.timeout();
        let sent = self
            .agent()
            .get(url)
            .config()
            .max_redirects(MAX_IMAGE_REDIRECTS)
            .build()
            .header("Accept", "image/*")
            .call();
        let mut resp = match sent {
            Ok(r) => r,
            Err(ureq::Error::TooManyRedirects) => {
                let m = Msg::TooManyRedirects {
                    host,
                    max: MAX_IMAGE_REDIRECTS as usize,
                };
                return (Err(Failure::fatal(GaStatus::GA_ERR_BAD_RESPONSE, m)), 0);
            }
            Err(e) => return (Err(self.transport_failure(e, url, timeout, false)), 0),
        };
        let status = resp.status().as_u16();
        let (ct, len) = (
            header(&resp, "content-type"),
            header(&resp, "content-length"),
        );
        let retry_after = header(&resp, "retry-after")
            .and_then(|v| response::parse_retry_after(&v, SystemTime::now()));
        let content_type =
            match image::check_image_head(host, status, ct.as_deref(), len.as_deref()) {
                Ok(t) => t,
                Err(f) => return (Err(f.with_retry_after(retry_after)), status),
            };
        let cx = (url, host, timeout);
        let r = self.read_image(&mut resp, cx, len.as_deref());
        (r.map(|data| Image { data, content_type }), status)
    }

    /// Reads an image body (after its head was checked): at most 16 MiB, not empty, not cut
    /// short. `cx` is the image's URL, host and the attempt's timeout; `len` its Content-Length.
    fn read_image(
        &self,
        resp: &mut ureq::http::Response<ureq::Body>,
        (url, host, timeout): (&str, &str, Duration),
        len: Option<&str>,
    ) -> Result<Vec<u8>, Failure> {
        let ends = crate::net::body_end::abrupt_ends();
        let read = resp
            .body_mut()
            .with_config()
            .limit(MAX_IMAGE as u64)
            .read_to_vec();
        let cut = crate::net::body_end::abrupt_ends() != ends;
        match read {
            Ok(data) => image::check_image_body(host, data.len(), cut).map(|()| data),
            Err(ureq::Error::Io(e))
                if e.kind() == std::io::ErrorKind::UnexpectedEof && len.is_some() =>
            {
                let m = image::short_body_message(host, len.unwrap_or(""));
                Err(Failure::transient(GaStatus::GA_ERR_NETWORK, m))
            }
            Err(ureq::Error::BodyExceedsLimit(_)) => Err(Failure::fatal(
                GaStatus::GA_ERR_BAD_RESPONSE,
                Msg::ImageTooLarge {
                    host,
                    max: MAX_IMAGE,
                },
            )),
            Err(e) => Err(self.transport_failure(e, url, timeout, true)),
        }
    }

    /// Whether apiUrl's host is a loopback name or address (the emulator, tests, a local
    /// gateway): only then may avatar links point at this machine.
    fn api_on_loopback(&self) -> bool {
        self.url
            .parse::<ureq::http::Uri>()
            .ok()
            .and_then(|u| u.host().map(str::to_ascii_lowercase))
            .is_some_and(|h| crate::answer::validate::is_loopback_host(&h))
    }

    /// The proxy carrying requests to `url`, as messages show it, if any.
    fn proxy_for(&self, url: &str) -> Option<String> {
        self.state()
            .settings
            .read(|settings| match &settings.proxy {
                Some(p) => {
                    let bypass = url
                        .parse::<ureq::http::Uri>()
                        .map(|u| !p.carries(&u))
                        .unwrap_or(false);
                    (!bypass).then(|| p.shown())
                }
                None => None,
            })
    }

    /// A failed request as a message naming the host of `url` (never the URL itself: the
    /// getAvatar URL holds the token).
    pub(super) fn transport_failure(
        &self,
        e: ureq::Error,
        url: &str,
        timeout: Duration,
        in_body: bool,
    ) -> Failure {
        let cx = transport_error::Context {
            host: host_of(url),
            proxy: self.proxy_for(url),
            is_api: url == self.url,
            timeout,
            in_body,
        };
        transport_error::classify(e, &cx)
    }
}

/// Reads a getAvatar answer (at most `MAX_BODY` bytes) into a buffer sized for a usual one, so
/// that it takes one read and the one that finds the end (not a probe and a regrowth first).
fn read_body(resp: &mut ureq::http::Response<ureq::Body>) -> Result<Vec<u8>, ureq::Error> {
    use std::io::Read;
    let mut reader = resp
        .body_mut()
        .with_config()
        .limit(MAX_BODY as u64)
        .reader();
    let mut bytes = Vec::with_capacity(1024);
    reader.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A response header's value as text, if present and visible ASCII.
fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
