//! Every message the library makes, in English and Russian: the catalogue (`catalogue`, one
//! entry per message, both forms side by side, typed arguments) and the language a message is
//! made in.
//!
//! The language: each client has one (`Client::set_language`, `ga_client_set_language`); until
//! set it is the process default, from `GA_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`,
//! `LANG`, in POSIX's order, on Unix; the user's UI language on Windows), else English. A
//! client's call makes its messages in the client's language: it marks its thread (and its batch
//! workers) with a [`Scope`] while it runs, and [`Msg`]'s text is made in the language of the
//! innermost scope (the process default outside any).
//!
//! What is not the library's own words stays as it came in every language: the server's
//! `message` text, status names (`GA_ERR_...`), setting and argument names (`apiUrl`, `chatId`),
//! environment variable names and operating-system error texts.

use std::cell::Cell;
use std::sync::OnceLock;

mod binding;
mod catalogue;

pub(crate) use binding::binding_text;
#[cfg(test)]
pub(crate) use binding::BindingCheck;

pub(crate) use catalogue::Msg;
pub(crate) use catalogue::TEMPLATES;

/// The text the TLS connector gives ureq for a host that is not a TLS server name: ureq's error
/// holds only a static string, so it is this constant, and the failure's message says it in the
/// client's language (`Msg::TlsNotAServerName`).
pub(crate) const NOT_A_SERVER_NAME: &str = "not a valid TLS server name";

/// A language messages are made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (the default).
    En,
    /// Russian.
    Ru,
}

impl Lang {
    /// Every language, in the order of the catalogue's forms.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    /// The language a tag names: "en" or "ru", any letter case, with or without a region and an
    /// encoding ("ru-RU", "ru_RU.UTF-8", "en_US"). None for any other tag.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag
            .split(['-', '_', '.', '@'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// The tag of this language: "en" or "ru".
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// The process default: `GA_LANG` when it names a language, else the system's (the locale
    /// on Unix, the user's UI language on Windows), else English. Read once.
    pub fn process_default() -> Lang {
        static DEFAULT: OnceLock<Lang> = OnceLock::new();
        *DEFAULT.get_or_init(|| from_env(|k| std::env::var(k).ok()))
    }

    /// The language of messages made on this thread now: the innermost [`Scope`]'s, else the
    /// process default.
    pub fn current() -> Lang {
        CURRENT
            .try_with(Cell::get)
            .ok()
            .flatten()
            .unwrap_or_else(Lang::process_default)
    }
}

/// The process default from environment variables (`var` reads one), then the system's.
pub(crate) fn from_env(var: impl Fn(&str) -> Option<String>) -> Lang {
    if let Some(l) = var("GA_LANG").as_deref().and_then(Lang::parse) {
        return l;
    }
    system_language(&var).unwrap_or(Lang::En)
}

/// The Unix locale's language for messages: the first of LC_ALL, LC_MESSAGES, LANG that is set
/// and not empty ("C" and "POSIX" are English).
#[cfg(not(windows))]
fn system_language(var: &impl Fn(&str) -> Option<String>) -> Option<Lang> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| var(k))
        .find(|v| !v.is_empty())
        .map(|v| Lang::parse(&v).unwrap_or(Lang::En))
}

/// The user's UI language on Windows.
#[cfg(windows)]
fn system_language(_var: &impl Fn(&str) -> Option<String>) -> Option<Lang> {
    match crate::sys::ui_language::primary_language() {
        0x19 => Some(Lang::Ru),
        _ => Some(Lang::En),
    }
}

/// Whether `message` begins as one of the entries named does, in any language (the text of its
/// form before the first argument): for code that must recognise a message it was handed as
/// text.
pub(crate) fn starts_like(message: &str, entries: &[&str]) -> bool {
    TEMPLATES
        .iter()
        .filter(|(name, _, _)| entries.contains(name))
        .flat_map(|(_, en, ru)| [en, ru])
        .map(|t| t.split('{').next().unwrap_or(""))
        .any(|head| !head.is_empty() && message.starts_with(head))
}

thread_local! {
    /// The language of the innermost scope on this thread, if any.
    static CURRENT: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Makes the messages of this thread in one language while it lives (nested scopes restore the
/// outer one when dropped). A client's call enters its client's language (for the tests and the
/// command-line tool through `internals`: messages made before any client, e.g. by
/// `Client::new`, are in the innermost scope's language).
pub struct Scope(Option<Lang>);

impl Scope {
    /// Enters `lang` on this thread until the scope is dropped.
    pub fn enter(lang: Lang) -> Scope {
        Scope(CURRENT.try_with(|c| c.replace(Some(lang))).ok().flatten())
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

impl Msg<'_> {
    /// The text in the current language (see [`Lang::current`]).
    pub(crate) fn text(&self) -> String {
        self.text_in(Lang::current())
    }
}

impl From<Msg<'_>> for String {
    fn from(m: Msg<'_>) -> String {
        m.text()
    }
}

impl std::fmt::Display for Msg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// What is wrong with a catalogue's entries (`(name, English form, Russian form)`), the
/// library's or the command-line tool's: a form is empty; the Russian form has no Cyrillic
/// letter, unless the entry only joins other messages and names (`same_in_both`: then the two
/// forms are equal); the forms name different arguments (`{name}`). Empty when all is well.
pub fn catalogue_problems(templates: &[(&str, &str, &str)], same_in_both: &[&str]) -> Vec<String> {
    fn args(t: &str) -> Vec<String> {
        let mut v: Vec<String> = t
            .replace("{{", "")
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(a, _)| a.to_string()))
            .collect();
        v.sort();
        v.dedup();
        v
    }
    let mut problems = Vec::new();
    for (name, en, ru) in templates {
        if en.is_empty() || ru.is_empty() {
            problems.push(format!("{name}: a form is empty"));
        }
        if same_in_both.contains(name) {
            if en != ru {
                problems.push(format!("{name}: the forms differ: {en:?} / {ru:?}"));
            }
        } else if !ru.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)) {
            problems.push(format!("{name}: the Russian form is not Russian: {ru:?}"));
        }
        if args(en) != args(ru) {
            problems.push(format!("{name}: the forms name different arguments"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_with_regions_and_encodings() {
        for t in ["ru", "RU", "ru-RU", "ru_RU.UTF-8", "ru_UA@latin"] {
            assert_eq!(Lang::parse(t), Some(Lang::Ru), "{t}");
        }
        for t in ["en", "en_US.UTF-8", "EN-gb"] {
            assert_eq!(Lang::parse(t), Some(Lang::En), "{t}");
        }
        for t in ["", "de", "russian", "C", "r"] {
            assert_eq!(Lang::parse(t), None, "{t}");
        }
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let v: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| v.iter().find(|(n, _)| n == k).map(|(_, x)| x.clone())
    }

    #[test]
    fn ga_lang_wins_over_the_locale() {
        assert_eq!(
            from_env(env(&[("GA_LANG", "ru"), ("LANG", "en_US.UTF-8")])),
            Lang::Ru
        );
        assert_eq!(
            from_env(env(&[("GA_LANG", "en"), ("LC_ALL", "ru_RU.UTF-8")])),
            Lang::En
        );
        // A GA_LANG naming no language falls through to the locale.
        assert_eq!(
            from_env(env(&[("GA_LANG", "xx"), ("LANG", "ru_RU.UTF-8")])),
            Lang::Ru
        );
    }

    #[cfg(not(windows))]
    #[test]
    fn the_locale_in_posix_order() {
        assert_eq!(from_env(env(&[("LANG", "ru_RU.UTF-8")])), Lang::Ru);
        assert_eq!(
            from_env(env(&[("LC_MESSAGES", "ru_RU"), ("LANG", "en_US")])),
            Lang::Ru
        );
        assert_eq!(
            from_env(env(&[("LC_ALL", "C"), ("LC_MESSAGES", "ru_RU")])),
            Lang::En
        );
        assert_eq!(
            from_env(env(&[("LC_ALL", ""), ("LANG", "ru_RU.UTF-8")])),
            Lang::Ru
        );
        assert_eq!(from_env(env(&[])), Lang::En);
    }

    #[test]
    fn scopes_nest_and_restore() {
        let outer = Lang::current();
        {
            let _a = Scope::enter(Lang::Ru);
            assert_eq!(Lang::current(), Lang::Ru);
            {
                let _b = Scope::enter(Lang::En);
                assert_eq!(Lang::current(), Lang::En);
            }
            assert_eq!(Lang::current(), Lang::Ru);
        }
        assert_eq!(Lang::current(), outer);
    }

    /// Entries that only join other messages and names (no words of their own): the same in
    /// both languages.
    const SAME_IN_BOTH: &[&str] = &[
        "ApiUrlHost",
        "QuotaDescription",
        "WithVia",
        "CertStoreError",
    ];

    #[test]
    fn every_entry_has_its_russian_form() {
        assert!(TEMPLATES.len() > 20);
        let problems = catalogue_problems(TEMPLATES, SAME_IN_BOTH);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
