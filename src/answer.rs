//! What goes out and what comes back: checking the caller's arguments (`validate`), parsing URLs
//! (`url`), reading the API's answers (`response`, with `success` for the usual 200) and avatar
//! images (`image`).

pub(crate) mod success;
pub(crate) mod url;
// Public for the CLI, the fuzz targets and the tests, through `crate::internals`.
pub mod image;
pub mod response;
pub mod validate;
