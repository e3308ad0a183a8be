//! What a failure is: [`Error`], what every call returns on failure; the statuses of the C ABI
//! (`status`); what a failed attempt was (`failure`); how transport errors are classified
//! (`transport_error`); and the panic marker that keeps caught panics quiet (`quiet_panics`).

use status::GaStatus;

pub(crate) mod failure;
pub(crate) mod quiet_panics;
pub(crate) mod status;
pub(crate) mod transport_error;

/// A failed call: the status, the last HTTP status seen (0 when none) and a message that never
/// contains the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub status: GaStatus,
    /// The status of the last response whose headers arrived; 0 when none did.
    pub http_status: u16,
    /// A human-readable explanation, token redacted.
    pub message: String,
}

impl Error {
    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error {
            status: GaStatus::GA_ERR_INVALID_ARGUMENT,
            http_status: 0,
            message: message.into(),
        }
    }
}

impl Error {
    /// Whether every lookup of this client would meet this failure, whatever the chat id: a
    /// rejected token (401), an unknown instance (403), no getAvatar method at apiUrl (404),
    /// the quota used up (466), a network failure after the retries (DNS, a refused
    /// connection, TLS, a proxy), or a timeout that reached no server (no connection made, a
    /// proxy that never answered). A batch stops asking at the first one (see
    /// `Client::get_avatars`). The failures of one id (a bad id, a 400, a slow answer, 429,
    /// 5xx, a bad answer, an answer cut short after its status line arrived) are not.
    pub fn is_instance_level(&self) -> bool {
        use GaStatus::*;
        match self.status {
            GA_ERR_UNAUTHORIZED | GA_ERR_FORBIDDEN | GA_ERR_NOT_FOUND | GA_ERR_QUOTA_EXCEEDED => {
                true
            }
            // Not once the server answered (a status line arrived, then the connection was cut
            // or reset): it was reached, and that answer was this lookup's.
            GA_ERR_NETWORK => self.http_status == 0,
            // Only when no server was reached: a connection never made (a dead network, packets
            // dropped) or a proxy that never answered. A slow answer may be that id's alone.
            GA_ERR_TIMEOUT => {
                // The last attempt's failure in a deadline message (its own text comes first:
                // any server text is after it).
                let m = self.message.as_str();
                let last = crate::messages::Lang::ALL
                    .iter()
                    .find_map(|l| {
                        let sep = crate::messages::Msg::LastAttempt {
                            text: String::new(),
                        };
                        m.split_once(sep.text_in(*l).as_str()).map(|(_, t)| t)
                    })
                    .unwrap_or(m);
                crate::error::transport_error::never_reached(last)
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deadline message whose last attempt reached no server is a failure of the whole
    /// instance (a batch stops asking), in either language; a slow answer is not.
    #[test]
    fn a_timeout_that_reached_no_server_is_instance_level_in_both_languages() {
        use crate::messages::{Lang, Msg, Scope};
        use status::GaStatus;
        for lang in Lang::ALL {
            let _s = Scope::enter(lang);
            let within = Msg::Within { ms: 100 }.text();
            let connect = Msg::ConnectTimeout {
                host: "h:443",
                within: within.clone(),
            }
            .text();
            let proxy = Msg::ProxySilent {
                proxy: "http://p:1",
                host: "h:443",
                within: within.clone(),
            }
            .text();
            let slow = Msg::NoCompleteAnswer {
                host: "h:443",
                within,
                via: String::new(),
            }
            .text();
            let e = |message: String| Error {
                status: GaStatus::GA_ERR_TIMEOUT,
                http_status: 0,
                message,
            };
            let deadline = Msg::DeadlineReached {
                limit: "1 s".into(),
                why: String::new(),
                usage: Msg::NoAttemptMade.text(),
            }
            .text();
            let after =
                |m: &str| format!("{deadline}{}", Msg::LastAttempt { text: m.into() }.text());
            for m in [&connect, &proxy] {
                assert!(e(m.clone()).is_instance_level(), "{lang:?}: {m}");
                assert!(e(after(m)).is_instance_level(), "{lang:?}: {}", after(m));
            }
            assert!(!e(slow.clone()).is_instance_level(), "{lang:?}: {slow}");
            assert!(!e(after(&slow)).is_instance_level(), "{lang:?}");
        }
    }
}
