//! The one door to the library's internals for the command-line tool, the fuzz targets and the
//! tests: the C ABI as Rust functions (`ffi`), the answer readers, the redactor, the leak oracle,
//! proxy URLs, the settings' defaults and the check of a message catalogue. Not part of the
//! API: anything here may change in any release.

pub use crate::answer::{image, response, validate};
pub use crate::messages::{catalogue_problems, Lang, Scope as LanguageScope};
pub use crate::settings::{cli_names, defaults};

/// The exported C functions and types, callable from Rust (the tests call them as C does).
pub mod ffi {
    pub use crate::ffi::*;
}

/// The test oracle for leaks of the token, and its hostile spellings.
pub mod leak_check {
    pub use crate::leak_check::*;
}

/// Proxy URLs.
pub mod proxy {
    pub use crate::proxy::*;
}

/// Keeping the token out of messages.
pub mod redact {
    pub use crate::redact::*;
}
