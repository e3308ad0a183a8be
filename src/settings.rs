//! The numeric settings as data: each one's name (as messages show it), range, default and unit,
//! in one table used by the setters ([`crate::Client::set`]), their error messages and
//! `docs/settings.md` (checked against the table by a test).

use crate::error::Error;
use crate::messages::Msg;

/// A numeric setting of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Per-attempt timeout, ms.
    Timeout,
    /// Total time budget of a call, ms: attempts and every wait between them (0 = none).
    Deadline,
    /// Retries after the first attempt.
    MaxRetries,
    /// Requests started per rolling second (0 = off).
    RateLimit,
    /// First retry delay, ms; it doubles on each retry, with jitter.
    Backoff,
    /// How long a successful answer is kept per chat id, s (0 = off).
    CacheTtl,
    /// How long an idle connection is kept for the next call, ms (0 = close after each call).
    IdleTimeout,
    /// Lookups a batch runs at once.
    Concurrency,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The name messages use.
    pub name: &'static str,
    /// The C function that sets it.
    pub c_setter: &'static str,
    /// Smallest value.
    pub min: u32,
    /// Largest value.
    pub max: u32,
    /// The value a new client has.
    pub default: u32,
    /// The unit ("" for a count).
    pub unit: &'static str,
}

const fn spec(
    name: &'static str,
    c_setter: &'static str,
    range: (u32, u32),
    default: u32,
    unit: &'static str,
) -> Spec {
    Spec {
        name,
        c_setter,
        min: range.0,
        max: range.1,
        default,
        unit,
    }
}

impl Setting {
    /// Every setting, in the order the docs list them.
    pub const ALL: [Setting; 8] = [
        Setting::Timeout,
        Setting::Deadline,
        Setting::MaxRetries,
        Setting::RateLimit,
        Setting::Backoff,
        Setting::CacheTtl,
        Setting::IdleTimeout,
        Setting::Concurrency,
    ];

    /// Its row of the table.
    #[rustfmt::skip]
    pub const fn spec(self) -> Spec {
        use Setting::*;
        match self {
            //                  name            C setter                        range           default  unit
            Timeout     => spec("timeout",      "ga_client_set_timeout_ms",      (1, 600_000),   30_000,  "ms"),
            Deadline    => spec("deadline",     "ga_client_set_deadline_ms",     (0, 3_600_000), 120_000, "ms"),
            MaxRetries  => spec("max_retries",  "ga_client_set_max_retries",     (0, 10),        3,       ""),
            RateLimit   => spec("rate_limit",   "ga_client_set_rate_limit",      (0, 1000),      10,      "per second"),
            Backoff     => spec("backoff",      "ga_client_set_backoff_ms",      (0, 60_000),    250,     "ms"),
            CacheTtl    => spec("cache_ttl",    "ga_client_set_cache_ttl",       (0, 86_400),    0,       "s"),
            IdleTimeout => spec("idle_timeout", "ga_client_set_idle_timeout_ms", (0, 3_600_000), 300_000, "ms"),
            Concurrency => spec("concurrency",  "ga_client_set_concurrency",     (1, 64),        4,       ""),
        }
    }

    /// `v` when it is in range; otherwise an error naming the setting, the value and the range.
    pub(crate) fn check(self, v: i64) -> Result<u32, Error> {
        let Spec {
            name,
            min,
            max,
            unit,
            ..
        } = self.spec();
        if v < min as i64 || v > max as i64 {
            let unit = match unit {
                "ms" => Msg::UnitMs.text(),
                "s" => Msg::UnitSeconds.text(),
                "per second" => Msg::UnitPerSecond.text(),
                _ => String::new(),
            };
            return Err(Error::invalid(Msg::OutOfRange {
                name,
                v,
                min,
                max,
                unit,
            }));
        }
        Ok(v as u32)
    }
}

/// The settings a message can tell the caller to change. The core names each with a neutral
/// phrase in parentheses, e.g. "trust its root (CA file setting)"; each binding shows its own
/// name instead: the C layer through `c_names`, Python and VBA by mapping the C names (their
/// tables are checked against this one by tests).
/// Columns: the neutral phrase, the C function, the Python keyword, the VBA procedure, the
/// command-line tool's flag.
#[rustfmt::skip]
pub const SETTING_NAMES: [[&str; 5]; 5] = [
    ["CA file setting",  "ga_client_set_ca_file",     "ca_file=",  "GaSetCaFile",   "--ca-file"],
    ["trust setting",    "ga_client_set_trust",       "trust=",    "GaSetTrust",    "--trust"],
    ["proxy setting",    "ga_client_set_proxy",       "proxy=",    "GaSetProxy",    "--proxy"],
    ["deadline setting", "ga_client_set_deadline_ms", "deadline=", "GaSetDeadline", "--deadline"],
    ["timeout setting",  "ga_client_set_timeout_ms",  "timeout=",  "GaSetTimeout",  "--timeout"],
];

/// The neutral phrases of [`SETTING_NAMES`] as Russian messages say them (the catalogue uses
/// these), in the same order.
const SETTING_PHRASES_RU: [&str; 5] = [
    "настройка CA file",
    "настройка trust",
    "настройка proxy",
    "настройка deadline",
    "настройка timeout",
];

/// `message` with each neutral setting phrase `(X setting)` replaced by the name in `column`
/// of [`SETTING_NAMES`].
fn names_in(message: &str, column: usize) -> std::borrow::Cow<'_, str> {
    if !message.contains(" setting)") && !message.contains("(настройка ") {
        return message.into();
    }
    let mut out = message.to_string();
    for (row, ru) in SETTING_NAMES.iter().zip(SETTING_PHRASES_RU) {
        let name = format!("({})", row[column]);
        out = out.replace(&format!("({})", row[0]), &name);
        out = out.replace(&format!("({ru})"), &name);
    }
    out.into()
}

/// `message` with each neutral setting phrase `(X setting)` replaced by the C function's name:
/// what the C layer hands out (`ga_last_error`, `GaAvatar.error`).
pub(crate) fn c_names(message: &str) -> std::borrow::Cow<'_, str> {
    names_in(message, 1)
}

/// `message` with each neutral setting phrase `(X setting)` replaced by the command-line tool's
/// flag, e.g. "trust its root (--ca-file)": what the CLI prints.
#[doc(hidden)]
pub fn cli_names(message: &str) -> std::borrow::Cow<'_, str> {
    names_in(message, 4)
}

/// The table as Markdown, as `docs/settings.md` holds it.
#[cfg(test)]
fn markdown() -> String {
    let mut out = String::from(
        "# Settings\n\n\
         The numeric settings of a client, from the table in `src/settings.rs` (a test checks that\n\
         this table matches it). A value out of range is `GA_ERR_INVALID_ARGUMENT`, and the previous\n\
         value is kept.\n\n\
         | C setter | range | default | unit |\n|---|---|---|---|\n",
    );
    for s in Setting::ALL {
        let Spec {
            c_setter,
            min,
            max,
            default,
            unit,
            ..
        } = s.spec();
        let unit = if unit.is_empty() { "count" } else { unit };
        out.push_str(&format!(
            "| `{c_setter}` | {min} to {max} | {default} | {unit} |\n"
        ));
    }
    out
}

/// Defaults and ranges of the settings (from the table), and the fixed limits of retrying.
pub mod defaults {
    use super::Setting;

    /// Per-attempt timeout, ms.
    pub const TIMEOUT_MS: u32 = Setting::Timeout.spec().default;
    /// Largest per-attempt timeout, ms.
    pub const MAX_TIMEOUT_MS: u32 = Setting::Timeout.spec().max;
    /// Total time budget of a call, ms (0 = none): two minutes, the worst case of the other
    /// defaults without Retry-After (4 attempts of 30 s), so that no call takes longer.
    pub const DEADLINE_MS: u32 = Setting::Deadline.spec().default;
    /// Retries after the first attempt.
    pub const MAX_RETRIES: u32 = Setting::MaxRetries.spec().default;
    /// Largest number of retries.
    pub const MAX_MAX_RETRIES: u32 = Setting::MaxRetries.spec().max;
    /// Requests started per rolling second (0 = off).
    pub const RATE_LIMIT: u32 = Setting::RateLimit.spec().default;
    /// Largest rate limit.
    pub const MAX_RATE_LIMIT: u32 = Setting::RateLimit.spec().max;
    /// First backoff delay, ms; it doubles on each retry.
    pub const BACKOFF_MS: u32 = Setting::Backoff.spec().default;
    /// Largest first backoff delay, ms.
    pub const MAX_BACKOFF_MS: u32 = Setting::Backoff.spec().max;
    /// Longest single backoff delay, ms.
    pub const BACKOFF_CAP_MS: u64 = 30_000;
    /// Longest Retry-After honoured, s; a longer one ends the call.
    pub const MAX_RETRY_AFTER_S: u64 = 60;
    /// Lookups a batch runs at once.
    pub const CONCURRENCY: u32 = Setting::Concurrency.spec().default;
    /// Longest cache time to live, s (one day).
    pub const MAX_CACHE_TTL_S: u32 = Setting::CacheTtl.spec().max;
    /// Largest batch concurrency.
    pub const MAX_CONCURRENCY: u32 = Setting::Concurrency.spec().max;
    /// How long an idle connection is kept for the next call, ms (5 minutes: a spreadsheet's
    /// sporadic lookups find the connection, and its TLS session, still open).
    pub const IDLE_TIMEOUT_MS: u32 = Setting::IdleTimeout.spec().default;
    /// Longest idle time, ms (one hour).
    pub const MAX_IDLE_TIMEOUT_MS: u32 = Setting::IdleTimeout.spec().max;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_settings_md_matches_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/settings.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        // Notes may follow the table.
        assert!(
            doc.starts_with(&markdown()),
            "docs/settings.md is stale; begin it with this:\n{}",
            markdown()
        );
    }

    #[test]
    fn neutral_setting_phrases_become_c_names() {
        let m = "TLS failure: UnknownIssuer; trust its root (CA file setting), or (trust setting)";
        assert_eq!(
            c_names(m),
            "TLS failure: UnknownIssuer; trust its root (ga_client_set_ca_file), or \
             (ga_client_set_trust)"
        );
        for [neutral, c, ..] in SETTING_NAMES {
            let m = format!("x ({neutral}) y");
            assert_eq!(c_names(&m), format!("x ({c}) y"));
        }
        for [neutral, .., flag] in SETTING_NAMES {
            let m = format!("x ({neutral}) y");
            assert_eq!(cli_names(&m), format!("x ({flag}) y"));
        }
        assert!(matches!(
            c_names("no setting here"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn checks_name_the_setting_range_and_unit() {
        let e = Setting::RateLimit.check(1001).unwrap_err();
        assert_eq!(
            e.message,
            "rate_limit 1001 is out of range: expected 0 to 1000 per second; the previous value is kept"
        );
        let e = Setting::MaxRetries.check(-1).unwrap_err();
        assert!(
            e.message
                .ends_with("expected 0 to 10; the previous value is kept"),
            "{e}"
        );
        for s in Setting::ALL {
            let p = s.spec();
            assert!(p.min <= p.default && p.default <= p.max, "{p:?}");
            assert_eq!(s.check(p.min.into()).unwrap(), p.min);
            assert_eq!(s.check(p.max.into()).unwrap(), p.max);
            assert!(
                s.check(i64::from(p.max) + 1).is_err() && s.check(i64::from(p.min) - 1).is_err()
            );
        }
    }
}
