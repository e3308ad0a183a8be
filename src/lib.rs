//! getavatar: GREEN-API's getAvatar method (MAX, v3) for C, C++, Python (ctypes) and Excel VBA.
//!
//! The safe core (`validate`, `redact`, `ratelimit`, `resolver`, `response`, `cache`, `image`,
//! `proxy`, `client`, `credential`) does the work; `ffi` is the thin C ABI over it. Rust users can use [`Client`] directly.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

// The core, by role. Each folder module's doc says what it holds.
mod answer;
mod cache;
mod cancel;
mod client;
mod deadline;
mod error;
// The C ABI. Its doc comments are written for the C header (cbindgen copies them verbatim), not
// rustdoc.
#[allow(
    rustdoc::broken_intra_doc_links,
    rustdoc::private_intra_doc_links,
    rustdoc::bare_urls
)]
mod ffi;
#[doc(hidden)]
pub mod internals;
mod leak_check;
mod messages;
mod net;
mod proxy;
mod ratelimit;
mod redact;
mod settings;
mod sys;
mod text;
mod tls;

pub use answer::image::Image;
pub use answer::response::Avatar;
pub use cancel::Cancel;
pub use client::Client;
pub use error::status::GaStatus;
pub use error::Error;
pub use messages::Lang;
pub use settings::{Setting, SETTING_NAMES};
pub use sys::credential;
pub use tls::Trust;
