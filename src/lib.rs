//! getavatar: GREEN-API's getAvatar method (MAX, v3) for C, C++, Python (ctypes) and Excel VBA.
//!
//! The safe core (`validate`, `redact`, `ratelimit`, `resolver`, `response`, `cache`, `image`,
//! `proxy`, `client`) does the work; `ffi` is the thin C ABI over it. Rust users can use [`Client`] directly.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod agent;
mod body_end;
pub mod cache;
pub mod cancel;
pub mod client;
mod failure;
pub mod ffi;
mod fork;
pub mod image;
pub mod proxy;
pub mod ratelimit;
pub mod redact;
pub mod resolver;
pub mod response;
mod settings;
pub mod status;
mod text;
pub mod transport;
mod transport_error;
mod url;
pub mod validate;

pub use cancel::Cancel;
pub use client::{Client, Error};
pub use image::Image;
pub use response::Avatar;
pub use settings::Setting;
pub use status::GaStatus;
