//! Result codes shared by the Rust core and the C ABI.

/// What a call did. `GaAvatar.status` and every setter return one of these numbers.
/// Numbers are fixed forever; a retired number is never reused.
#[repr(i32)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GaStatus {
    /// Success.
    GA_OK = 0,
    /// A NULL pointer, invalid UTF-8, malformed URL, bad idInstance/token/chatId or out-of-range option.
    GA_ERR_INVALID_ARGUMENT = 1,
    /// The server rejected the request with 400 (its message is in the error text).
    GA_ERR_VALIDATION = 2,
    /// 401: the server rejected apiTokenInstance.
    GA_ERR_UNAUTHORIZED = 3,
    /// 403: unknown idInstance, or the host does not serve this instance.
    GA_ERR_FORBIDDEN = 4,
    /// 404: no getAvatar method at this address (check apiUrl).
    GA_ERR_NOT_FOUND = 5,
    /// 429 on every attempt, or a Retry-After longer than 60 s.
    GA_ERR_RATE_LIMITED = 6,
    /// 466: the plan's quota is used up.
    GA_ERR_QUOTA_EXCEEDED = 7,
    /// 5xx or 499 on every attempt (501 and 505 at once).
    GA_ERR_SERVER = 8,
    /// No complete answer within the timeout on every attempt.
    GA_ERR_TIMEOUT = 9,
    /// DNS failure, connection refused or reset, TLS failure.
    GA_ERR_NETWORK = 10,
    /// Unparseable or oversized body, missing urlAvatar, redirect, unexpected status.
    GA_ERR_BAD_RESPONSE = 11,
    /// A bug in getavatar (a caught panic); please report it.
    GA_ERR_INTERNAL = 12,
    /// The downloaded avatar image could not be written to the file (missing folder, no
    /// permission, disk full); nothing was left at the path.
    GA_ERR_IO = 13,
    /// The call was cancelled with `ga_cancel`.
    GA_ERR_CANCELLED = 14,
}

impl GaStatus {
    /// Every status, in number order.
    pub fn all() -> [GaStatus; 15] {
        [
            GaStatus::GA_OK,
            GaStatus::GA_ERR_INVALID_ARGUMENT,
            GaStatus::GA_ERR_VALIDATION,
            GaStatus::GA_ERR_UNAUTHORIZED,
            GaStatus::GA_ERR_FORBIDDEN,
            GaStatus::GA_ERR_NOT_FOUND,
            GaStatus::GA_ERR_RATE_LIMITED,
            GaStatus::GA_ERR_QUOTA_EXCEEDED,
            GaStatus::GA_ERR_SERVER,
            GaStatus::GA_ERR_TIMEOUT,
            GaStatus::GA_ERR_NETWORK,
            GaStatus::GA_ERR_BAD_RESPONSE,
            GaStatus::GA_ERR_INTERNAL,
            GaStatus::GA_ERR_IO,
            GaStatus::GA_ERR_CANCELLED,
        ]
    }

    /// The status for a number, if it is one.
    pub fn from_i32(n: i32) -> Option<GaStatus> {
        GaStatus::all().get(usize::try_from(n).ok()?).copied()
    }

    /// The C name with a NUL terminator, e.g. `"GA_ERR_TIMEOUT\0"`.
    pub(crate) fn name_nul(self) -> &'static str {
        match self {
            GaStatus::GA_OK => "GA_OK\0",
            GaStatus::GA_ERR_INVALID_ARGUMENT => "GA_ERR_INVALID_ARGUMENT\0",
            GaStatus::GA_ERR_VALIDATION => "GA_ERR_VALIDATION\0",
            GaStatus::GA_ERR_UNAUTHORIZED => "GA_ERR_UNAUTHORIZED\0",
            GaStatus::GA_ERR_FORBIDDEN => "GA_ERR_FORBIDDEN\0",
            GaStatus::GA_ERR_NOT_FOUND => "GA_ERR_NOT_FOUND\0",
            GaStatus::GA_ERR_RATE_LIMITED => "GA_ERR_RATE_LIMITED\0",
            GaStatus::GA_ERR_QUOTA_EXCEEDED => "GA_ERR_QUOTA_EXCEEDED\0",
            GaStatus::GA_ERR_SERVER => "GA_ERR_SERVER\0",
            GaStatus::GA_ERR_TIMEOUT => "GA_ERR_TIMEOUT\0",
            GaStatus::GA_ERR_NETWORK => "GA_ERR_NETWORK\0",
            GaStatus::GA_ERR_BAD_RESPONSE => "GA_ERR_BAD_RESPONSE\0",
            GaStatus::GA_ERR_INTERNAL => "GA_ERR_INTERNAL\0",
            GaStatus::GA_ERR_IO => "GA_ERR_IO\0",
            GaStatus::GA_ERR_CANCELLED => "GA_ERR_CANCELLED\0",
        }
    }

    /// The C name, e.g. `"GA_ERR_TIMEOUT"`.
    pub fn name(self) -> &'static str {
        let s = self.name_nul();
        &s[..s.len() - 1]
    }
}

impl std::fmt::Display for GaStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_round_trip() {
        for (i, s) in GaStatus::all().iter().enumerate() {
            assert_eq!(*s as i32, i as i32);
            assert_eq!(GaStatus::from_i32(i as i32), Some(*s));
            assert!(s.name().starts_with("GA_"));
            assert!(!s.name().contains('\0'));
        }
        assert_eq!(GaStatus::from_i32(13), Some(GaStatus::GA_ERR_IO));
        assert_eq!(GaStatus::from_i32(14), Some(GaStatus::GA_ERR_CANCELLED));
        assert_eq!(GaStatus::from_i32(15), None);
        assert_eq!(GaStatus::from_i32(-1), None);
        assert_eq!(GaStatus::GA_ERR_TIMEOUT.name(), "GA_ERR_TIMEOUT");
    }
}
