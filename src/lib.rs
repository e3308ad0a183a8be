//! getavatar: GREEN-API's getAvatar method (MAX, v3) for C, C++, Python (ctypes) and Excel VBA.
//!
//! The safe core (`validate`, `redact`, `ratelimit`, `resolver`, `response`, `cache`, `image`,
//! `proxy`, `client`, `credential`) does the work; `ffi` is the thin C ABI over it. Rust users can use [`Client`] directly.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod agent;
mod body_end;
mod ca_file;
mod cache;
mod cancel;
mod cert_env;
#[doc(hidden)]
pub mod client;
mod connect_proxy;
pub mod credential;
mod credential_prompt;
mod deadline;
mod failure;
// Its doc comments are written for the C header (cbindgen copies them verbatim), not rustdoc.
#[doc(hidden)]
#[allow(
    rustdoc::broken_intra_doc_links,
    rustdoc::private_intra_doc_links,
    rustdoc::bare_urls
)]
pub mod ffi;
mod fork;
#[doc(hidden)]
pub mod image;
#[doc(hidden)]
pub mod leak_check;
mod loopback;
#[doc(hidden)]
pub mod proxy;
mod quiet_panics;
mod ratelimit;
#[doc(hidden)]
pub mod redact;
mod resolver;
#[doc(hidden)]
pub mod response;
mod settings;
mod socks;
mod status;
mod success;
mod system_proxy;
mod text;
mod tls;
mod transport;
mod transport_error;
mod url;
#[doc(hidden)]
pub mod validate;
#[cfg(windows)]
mod winhttp;

pub use cancel::Cancel;
pub use client::{Client, Error};
pub use image::Image;
pub use response::Avatar;
pub use settings::{cli_names, Setting, SETTING_NAMES};
pub use status::GaStatus;
pub use tls::Trust;
