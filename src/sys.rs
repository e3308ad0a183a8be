//! Where the library calls the operating system (with `ffi`, the only `unsafe` code): fork
//! detection (`fork`), keeping the library loaded under its helper threads (`pin`), a look at a
//! socket without waiting (`socket`), and on
//! Windows the Credential Manager (`credential`), its dialog (`credential_prompt`) and WinHTTP's
//! proxy settings and PAC scripts (`winhttp`), and the user's UI language (`ui_language`).

pub mod credential;
pub(crate) mod credential_prompt;
pub(crate) mod fork;
pub(crate) mod pin;
pub(crate) mod socket;
#[cfg(windows)]
pub(crate) mod ui_language;
#[cfg(windows)]
pub(crate) mod winhttp;
