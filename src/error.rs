//! What a failure is: the statuses of the C ABI (`status`), what a failed attempt was
//! (`failure`), and how transport errors are classified (`transport_error`).

pub(crate) mod failure;
pub(crate) mod quiet_panics;
pub(crate) mod status;
pub(crate) mod transport_error;
