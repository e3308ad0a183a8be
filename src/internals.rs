//! The one door to the library's internals for the command-line tool, the fuzz targets and the
//! tests. Not part of the API: anything here may change in any release.

pub use crate::answer::{image, response, validate};
pub use crate::messages::{Lang, Scope as LanguageScope};
pub use crate::settings::{cli_names, defaults};
pub use crate::{client, leak_check, proxy, redact};
