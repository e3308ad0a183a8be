//! The C ABI: thin, unsafe, and nothing else. Every export is re-exported here, in the order of
//! the generated header (cbindgen follows the `mod` order below, then source order):
//!
//! | area         | module         | exports                                                 |
//! |--------------|----------------|---------------------------------------------------------|
//! | lifecycle    | `client.rs`    | `ga_client_new*`, `ga_client_warm_up`, `ga_client_free` |
//! | settings     | `settings.rs`  | `ga_client_set_*`, `ga_client_rate`, `ga_client_use_env_proxy` |
//! | lookups      | `lookups.rs`   | `ga_get_avatar*`, `ga_get_avatars*`                     |
//! | downloads    | `downloads.rs` | `ga_download_avatar*`                                   |
//! | cancellation | `cancel.rs`    | `ga_cancel_new`, `ga_cancel`, `ga_cancel_free`          |
//! | memory       | `memory.rs`    | `ga_free`                                               |
//! | errors       | `error.rs`     | `ga_last_error`, `ga_message`, `ga_status_name`, `ga_version` |
//!
//! Private plumbing: `panic.rs` (`ffi_boundary!`, which every export runs its body in, directly
//! or through one helper such as `settings::set_num`; a panic becomes the return type's
//! `PanicValue`), `args.rs` (C string arguments), `avatar.rs` (the result structs and what they
//! say), `block.rs` (the one writer of result blocks) and `alloc.rs` (the registry of live
//! blocks that `ga_free` checks).
//!
//! A new export goes into its area's module, in the place it should take in the header, and is
//! re-exported below; its body runs in `ffi_boundary!`.
//!
//! Every export is `extern "system"`: `__stdcall` on 32-bit Windows (the only convention Excel
//! VBA can call) and the platform's C convention everywhere else. See `build.rs` for how the
//! header says so. Statuses are returned as `GaStatus`, a `#[repr(i32)]` enum: the same ABI as
//! `int32_t`, which is what the header's `GaStatus` is in C before C23.
//!
//! Safety contract of every export (stated in each doc comment in C terms, which is what the
//! header shows): pointer arguments are NULL or valid for the call; strings are NUL-terminated.
#![allow(clippy::missing_safety_doc)]

// The areas, in the header's order: cbindgen follows it, and a comment before each `mod`
// keeps rustfmt from sorting them.
// 1. lifecycle (and the stored token a client can be made from)
mod client;
mod credential;
// 2. settings
mod settings;
// 3. lookups
mod lookups;
// 4. downloads
mod downloads;
// 5. cancellation
mod cancel;
// 6. memory
mod memory;
// 7. errors
pub(crate) mod error;

// Plumbing.
pub(crate) mod alloc;
mod args;
mod avatar;
mod block;
pub(crate) mod panic;

pub(crate) use panic::ffi_boundary;

pub use crate::error::status::GaStatus;
pub use avatar::{GaAvatar, GaAvatarImage};
pub use cancel::{ga_cancel, ga_cancel_free, ga_cancel_new, GaCancel};
pub use client::{
    ga_client_free, ga_client_new, ga_client_new_from_env, ga_client_warm_up, GaClient,
};
pub use credential::{
    ga_client_new_from_credential, ga_credential_delete, ga_credential_prompt, ga_credential_save,
};
pub use downloads::{
    ga_download_avatar, ga_download_avatar_bytes, ga_download_avatar_bytes_cancellable,
    ga_download_avatar_cancellable,
};
pub use error::{
    ga_last_error, ga_message, ga_status_name, ga_version, GaMessage, GA_MSG_CLOSED,
    GA_MSG_HAS_NUL, GA_MSG_LONE_SURROGATE, GA_MSG_NOT_CONNECTED, GA_MSG_NOT_ONE_OF,
    GA_MSG_NOT_SENT, GA_MSG_NO_ANSWER_IN_TIME, GA_MSG_OUT_OF_MEMORY, GA_MSG_OUT_OF_RANGE,
    GA_MSG_READ_FROM_ENV, GA_MSG_TOO_MANY_IDS, GA_MSG_WRONG_TYPE,
};
pub use lookups::{
    ga_get_avatar, ga_get_avatar_cancellable, ga_get_avatars, ga_get_avatars_cancellable,
};
pub use memory::ga_free;
#[doc(hidden)]
pub use panic::panic_inside_export_for_tests;
pub use settings::{
    ga_client_rate, ga_client_set_backoff_ms, ga_client_set_ca_file, ga_client_set_cache_ttl,
    ga_client_set_concurrency, ga_client_set_deadline_ms, ga_client_set_idle_timeout_ms,
    ga_client_set_language, ga_client_set_max_retries, ga_client_set_proxy,
    ga_client_set_rate_limit, ga_client_set_timeout_ms, ga_client_set_trust,
    ga_client_set_user_agent, ga_client_use_env_proxy, GaTrust, GA_TRUST_BUNDLED, GA_TRUST_SYSTEM,
};
