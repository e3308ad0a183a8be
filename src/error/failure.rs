//! One failed attempt (a lookup's or an image's), before the retry loop decides what to do
//! with it: the status to report, the message, whether another attempt may succeed, and the
//! server's Retry-After.

use std::time::Duration;

use crate::error::status::GaStatus;

/// A failed attempt. `message` may still hold server text: the client scrubs it of the token
/// before it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The status to report.
    pub status: GaStatus,
    /// What to tell the user.
    pub message: String,
    /// Whether another attempt may succeed.
    pub retryable: bool,
    /// The server's Retry-After, when it sent a valid one (only meaningful when retryable).
    pub retry_after: Option<Duration>,
}

impl Failure {
    /// A failure another attempt would not fix.
    pub fn fatal(status: GaStatus, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            retryable: false,
            retry_after: None,
        }
    }

    /// A failure another attempt may fix.
    pub fn transient(status: GaStatus, message: impl Into<String>) -> Failure {
        Failure {
            retryable: true,
            ..Failure::fatal(status, message)
        }
    }

    /// A failure retryable or not as `retryable` says.
    pub fn new(status: GaStatus, message: impl Into<String>, retryable: bool) -> Failure {
        Failure {
            retryable,
            ..Failure::fatal(status, message)
        }
    }

    /// The same failure with the server's Retry-After (kept only when retryable).
    pub fn with_retry_after(self, retry_after: Option<Duration>) -> Failure {
        Failure {
            retry_after: retry_after.filter(|_| self.retryable),
            ..self
        }
    }
}
