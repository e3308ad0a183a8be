//! The texts of the checks a binding makes itself before it calls the library (a closed client,
//! an argument of the wrong type, a NUL inside a string...), so every binding says them in the
//! library's words and in its client's language: the C ABI's `ga_message`.

use super::{Lang, Msg};

/// A check a binding makes itself. The numbers are the C ABI's `GA_MSG_*` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum BindingCheck {
    /// "this {name} is closed".
    Closed = 1,
    /// "{name} must be {expected}, not {value}" (`expected` and `value` are type names).
    WrongType = 2,
    /// "{name} must not contain NUL characters".
    HasNul = 3,
    /// "{name} is not valid Unicode text (a lone surrogate at index {value})".
    LoneSurrogate = 4,
    /// "{name} {value} is out of range", then ": expected {expected}" when `expected` is given.
    OutOfRange = 5,
    /// "{name} {value} is not valid: expected {expected}"; `expected` lists the choices
    /// separated by `|`, joined with the language's "or".
    NotOneOf = 6,
    /// "{value} chat ids in one batch: at most {expected}".
    TooManyIds = 7,
    /// "getavatar: out of memory".
    OutOfMemory = 8,
    /// "{value} (not sent: an earlier lookup of this batch met this failure...)": `value` is
    /// that failure's message (a batch made by the binding, as the library's says it).
    NotSent = 9,
    /// "could not connect to the server" (a warm-up whose own message the binding cannot read:
    /// it failed on another thread).
    NotConnected = 10,
    /// "could not reach the server within the timeout" (the same, for `GA_ERR_TIMEOUT`).
    NoAnswerInTime = 11,
    /// "{value} reads {name} from the environment; do not pass it" (`value`: the function).
    ReadFromEnv = 12,
}

impl BindingCheck {
    /// Every check, in number order.
    pub const ALL: [BindingCheck; 12] = [
        BindingCheck::Closed,
        BindingCheck::WrongType,
        BindingCheck::HasNul,
        BindingCheck::LoneSurrogate,
        BindingCheck::OutOfRange,
        BindingCheck::NotOneOf,
        BindingCheck::TooManyIds,
        BindingCheck::OutOfMemory,
        BindingCheck::NotSent,
        BindingCheck::NotConnected,
        BindingCheck::NoAnswerInTime,
        BindingCheck::ReadFromEnv,
    ];

    /// The check numbered `n`, if there is one.
    pub fn from_i32(n: i32) -> Option<BindingCheck> {
        BindingCheck::ALL.into_iter().find(|c| *c as i32 == n)
    }
}

/// The text of check number `n` in `lang`, its blanks filled with `name`, `value` and
/// `expected` (an unused one is ignored). A number that names no check gets a text that says so.
pub fn binding_text(lang: Lang, n: i32, name: &str, value: &str, expected: &str) -> String {
    let Some(check) = BindingCheck::from_i32(n) else {
        return Msg::BindingUnknown { n }.text_in(lang);
    };
    // The value the caller gave, as the binding quoted it (out of range, not one of).
    let given = given(lang, value);
    let msg = match check {
        BindingCheck::Closed => Msg::BindingClosed { name },
        BindingCheck::WrongType => Msg::BindingWrongType {
            name,
            expected,
            value,
        },
        BindingCheck::HasNul => Msg::BindingHasNul { name },
        BindingCheck::LoneSurrogate => Msg::BindingLoneSurrogate { name, value },
        BindingCheck::OutOfRange if expected.is_empty() => Msg::BindingOutOfRange {
            name,
            value: &given,
        },
        BindingCheck::OutOfRange => Msg::BindingOutOfRangeExpected {
            name,
            value: &given,
            expected,
        },
        BindingCheck::NotOneOf => Msg::BindingNotOneOf {
            name,
            value: &given,
            expected: one_of(lang, expected),
        },
        BindingCheck::TooManyIds => Msg::BindingTooManyIds { value, expected },
        BindingCheck::OutOfMemory => Msg::BindingOutOfMemory,
        BindingCheck::NotSent => Msg::NotSent { message: value },
        BindingCheck::NotConnected => Msg::BindingNotConnected,
        BindingCheck::NoAnswerInTime => Msg::BindingNoAnswerInTime,
        BindingCheck::ReadFromEnv => Msg::BindingReadFromEnv { name, value },
    };
    msg.text_in(lang)
}

/// A value the caller gave a binding (`trust`, a number out of range), already quoted by the
/// binding as its language writes it (Python's repr, JSON), as a message may show it, in `lang`
/// (`text::shown_as_quoted`): a token passed there by mistake must not reach the message (the
/// binding cannot tell, the library cannot scrub what it was never given as the token), and a
/// value of megabytes gives a short message.
fn given(lang: Lang, value: &str) -> String {
    let _in = super::Scope::enter(lang);
    crate::text::shown_as_quoted(value)
}

/// `a|b|c` as "a, b or c" in `lang`.
fn one_of(lang: Lang, choices: &str) -> String {
    let mut all: Vec<&str> = choices.split('|').collect();
    let last = all.pop().unwrap_or_default();
    if all.is_empty() {
        return last.to_string();
    }
    Msg::BindingOr {
        a: all.join(", "),
        b: last.to_string(),
    }
    .text_in(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_reads_in_both_languages() {
        let en = |n| binding_text(Lang::En, n, "trust", "'x'", "\"system\"|\"bundled\"");
        let ru = |n| binding_text(Lang::Ru, n, "trust", "'x'", "\"system\"|\"bundled\"");
        assert_eq!(
            en(6),
            "trust 'x' is not valid: expected \"system\" or \"bundled\""
        );
        assert_eq!(
            ru(6),
            "trust 'x' недопустим: ожидается \"system\" или \"bundled\""
        );
        assert_eq!(en(1), "this trust is closed");
        for c in BindingCheck::ALL {
            let (e, r) = (en(c as i32), ru(c as i32));
            assert_ne!(e, r, "{c:?}");
            assert!(r.chars().any(|ch| ('а'..='я').contains(&ch)), "{c:?}: {r}");
        }
    }

    #[test]
    fn blanks_and_choices() {
        let t = |n, v, x| binding_text(Lang::En, n, "timeout", v, x);
        assert_eq!(t(5, "-1", ""), "timeout -1 is out of range");
        assert_eq!(
            t(5, "-1", "0..86400"),
            "timeout -1 is out of range: expected 0..86400"
        );
        assert_eq!(
            t(6, "7", "a|b|c"),
            "timeout 7 is not valid: expected a, b or c"
        );
        assert_eq!(t(6, "7", "a"), "timeout 7 is not valid: expected a");
        assert_eq!(
            binding_text(Lang::En, 7, "", "3000000000", "2147483647"),
            "3000000000 chat ids in one batch: at most 2147483647"
        );
    }

    #[test]
    fn a_value_the_caller_gave_is_quoted_as_the_library_quotes_input() {
        // A binding quotes what it was given (Python's repr of a trust, Node's JSON of it): a
        // token passed there by mistake must not reach the message, in any case or escaped,
        // and a value of megabytes gives a short message.
        let token = "d75b3a66374942c5b3c019c698abc2067e151558acbd451234";
        let enc: String = token.bytes().map(|b| format!("%{b:02X}")).collect();
        for v in [
            format!("'{token}'"),
            format!("\"{}\"", token.to_uppercase()),
            format!("'{}\\r\\n{}'", &token[..25], &token[25..]),
            format!("'{enc}'"),
        ] {
            for lang in Lang::ALL {
                for (n, x) in [(6, "\"system\"|\"bundled\""), (5, ""), (5, "0..600")] {
                    let t = binding_text(lang, n, "trust", &v, x);
                    assert!(!crate::leak_check::leaks(token, &t), "{lang:?} {n}: {t}");
                }
            }
        }
        let huge = format!("'{}'", "ab, ".repeat(5 << 20));
        let t = binding_text(Lang::En, 6, "trust", &huge, "\"system\"|\"bundled\"");
        assert_eq!(
            t,
            "trust 'ab, ab, ab, ab, ab, ab, ab, ab, ab, ab,… is not valid: expected \"system\" or \"bundled\""
        );
        // Numbers read as they were given, a short value whole.
        let t = |n, v: &str| binding_text(Lang::En, n, "timeout", v, "");
        assert_eq!(
            t(5, "1.2345678901234567e+19"),
            "timeout 1.2345678901234567e+19 is out of range"
        );
        assert_eq!(t(5, "-2147483649"), "timeout -2147483649 is out of range");
        assert_eq!(t(5, "PT-1S"), "timeout PT-1S is out of range");
        assert_eq!(t(5, "PT2400000H"), "timeout PT2400000H is out of range");
        assert_eq!(
            t(5, "-00:00:00.0050000"),
            "timeout -00:00:00.0050000 is out of range"
        );
        assert!(
            t(5, "PD75B3A66374942C5B3C019C698ABC2067E151558").contains("<41 letters and digits>")
        );
        assert_eq!(
            binding_text(Lang::En, 6, "trust", "'system '", "a|b"),
            "trust 'system ' is not valid: expected a or b"
        );
        // The mask is said in the message's language.
        let ru = binding_text(Lang::Ru, 6, "trust", &format!("'{token}'"), "a|b");
        assert!(ru.contains("<50 симв.: буквы и цифры>"), "{ru}");
    }

    #[test]
    fn a_number_without_a_check_says_so() {
        for n in [0, 13, -1, i32::MAX, i32::MIN] {
            assert!(BindingCheck::from_i32(n).is_none());
            let t = binding_text(Lang::En, n, "x", "y", "z");
            assert_eq!(
                t,
                format!("getavatar has no message {n} (is the library older than the binding?)")
            );
        }
    }
}
