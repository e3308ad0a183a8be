//! The user's UI language on Windows (`GetUserDefaultUILanguage`): the process default of the
//! messages' language when `GA_LANG` is not set (see `messages::Lang::process_default`).

/// The primary language of the user's UI language (a LANGID's low 10 bits), e.g. 0x19 for
/// Russian, 0x09 for English.
#[cfg(windows)]
pub(crate) fn primary_language() -> u16 {
    #[link(name = "kernel32")]
    extern "system" {
        fn GetUserDefaultUILanguage() -> u16;
    }
    // SAFETY: takes no argument, returns a LANGID.
    let id = unsafe { GetUserDefaultUILanguage() };
    id & 0x3ff
}
