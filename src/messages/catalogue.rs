//! The catalogue: every message the library makes, its English form then its Russian form.
//! Arguments are typed fields, named in both forms as `{name}` (format! syntax). An entry
//! without a Russian form does not compile; `messages::tests` checks that each Russian form is
//! Russian and names the same arguments.
//!
//! Arguments that are not the library's own words (server text, operating-system errors, names
//! of settings and variables) are shown as they came in both languages.

use super::Lang;

/// Generates [`Msg`], its text in each language and `TEMPLATES` (for the tests).
macro_rules! catalogue {
    ($(
        $(#[$doc:meta])*
        $name:ident $({ $($field:ident : $ty:ty),* $(,)? })? => $en:literal, $ru:literal;
    )*) => {
        /// A message of the library, with its arguments. `text()` makes it in the current
        /// language.
        #[derive(Debug, Clone)]
        pub(crate) enum Msg<'a> {
            $( $(#[$doc])* $name $({ $($field: $ty),* })?, )*
        }

        impl Msg<'_> {
            /// The text in `lang`.
            #[allow(unused_variables)]
            pub(crate) fn text_in(&self, lang: Lang) -> String {
                match (self, lang) {
                    $(
                        (Msg::$name $({ $($field),* })?, Lang::En) => format!($en),
                        (Msg::$name $({ $($field),* })?, Lang::Ru) => format!($ru),
                    )*
                }
            }
        }

        /// Each entry's name, English form and Russian form.
        #[cfg(test)]
        pub(crate) const TEMPLATES: &[(&str, &str, &str)] = &[ $( (stringify!($name), $en, $ru), )* ];
    };
}

catalogue! {
    // ----- Describing a value that looks like a secret (redact) -----
    /// "letters and digits" (what a secret-like run is made of).
    KindLettersDigits => "letters and digits", "буквы и цифры";
    KindLetters => "letters", "буквы";
    KindDigits => "digits", "цифры";
    /// A masked run inside a text.
    MaskedRun { n: usize, kind: &'a str } => "<{n} {kind}>", "<{n} симв.: {kind}>";
    /// A whole value that looks like a secret.
    SecretLike { n: usize, kind: String } => "{n} characters of {kind}", "строка из {n} симв. ({kind})";
    SecretLikeOther { n: usize, kind: String } =>
        "{n} characters of {kind} and other characters",
        "строка из {n} симв. ({kind} и другие символы)";

    // ----- Settings -----
    LanguageUnknown { tag: String } =>
        "language {tag} is not supported: use \"en\" (English), \"ru\" (Russian) or \"\" (the process default)",
        "язык {tag} не поддерживается: укажите \"en\" (английский), \"ru\" (русский) или \"\" (язык процесса по умолчанию)";

    // ----- Arguments: apiUrl, idInstance, apiTokenInstance, chatId (validate) -----
    ApiUrlHost { url: String, why: String } => "apiUrl {url}: {why}", "apiUrl {url}: {why}";
    ApiUrlHttpNotLoopback { url: String } =>
        "apiUrl {url} uses http://, which is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost); use https://",
        "apiUrl {url} использует http://, а это разрешено только для локальных адресов (127.0.0.0/8, ::1, localhost); используйте https://";
    ApiUrlEmpty =>
        "apiUrl is empty; expected e.g. \"https://3100.api.green-api.com\"",
        "apiUrl пуст; ожидается, например, \"https://3100.api.green-api.com\"";
    ApiUrlTooLong { max: usize } => "apiUrl is longer than {max} bytes", "apiUrl длиннее {max} байт";
    ApiUrlWhiteSpace { url: String } =>
        "apiUrl {url} contains white space; remove spaces and control characters",
        "apiUrl {url} содержит пробельные символы; уберите пробелы и управляющие символы";
    ApiUrlControl { url: String } =>
        "apiUrl {url} contains a control character; remove spaces and control characters",
        "apiUrl {url} содержит управляющий символ; уберите пробелы и управляющие символы";
    ApiUrlNotUrl { url: String } =>
        "apiUrl {url} is not a URL; expected e.g. \"https://3100.api.green-api.com\" (check the order of the arguments)",
        "apiUrl {url} не является URL; ожидается, например, \"https://3100.api.green-api.com\" (проверьте порядок аргументов)";
    ApiUrlLooksLikeToken { what: String } =>
        "apiUrl is {what}: it looks like the token or idInstance, not a URL; expected e.g. \"https://3100.api.green-api.com\" (check the order of the arguments)",
        "apiUrl: {what}; это похоже на токен или idInstance, а не на URL; ожидается, например, \"https://3100.api.green-api.com\" (проверьте порядок аргументов)";
    ApiUrlNoScheme { url: String } =>
        "apiUrl {url} has no scheme; expected e.g. \"https://3100.api.green-api.com\"",
        "в apiUrl {url} нет схемы; ожидается, например, \"https://3100.api.green-api.com\"";
    ApiUrlBadScheme { url: String } =>
        "apiUrl {url} uses an unsupported scheme; use https://",
        "apiUrl {url} использует неподдерживаемую схему; используйте https://";
    ApiUrlQuery { url: String } =>
        "apiUrl {url} must not have a query or fragment (\"?\" or \"#\")",
        "в apiUrl {url} не должно быть запроса или фрагмента (\"?\" или \"#\")";
    ApiUrlCredentials =>
        "apiUrl must not contain user credentials (\"user@host\")",
        "apiUrl не должен содержать учётные данные пользователя (\"user@host\")";
    ApiUrlPathChar { url: String, c: String } =>
        "apiUrl {url} has a character not allowed in a URL path: {c}",
        "в apiUrl {url} есть символ, недопустимый в пути URL: {c}";
    ApiUrlPathSecret { url: String } =>
        "apiUrl {url} has a path that looks like it holds a token or id; apiUrl is only the host from your console, e.g. \"https://3100.api.green-api.com\"",
        "путь в apiUrl {url} похож на токен или идентификатор; apiUrl - это только адрес хоста из вашей консоли, например \"https://3100.api.green-api.com\"";
    HostUnclosedBracket =>
        "an IPv6 address misses its closing \"]\"",
        "у IPv6-адреса нет закрывающей \"]\"";
    HostBadIpv6 =>
        "the IPv6 address in brackets is not valid",
        "IPv6-адрес в скобках недопустим";
    HostAfterBracket => "unexpected text after \"]\"", "лишний текст после \"]\"";
    HostMissing => "the host is missing", "не указан хост";
    HostBadName =>
        "the host name is not valid (letters, digits, \"-\" and dots only)",
        "недопустимое имя хоста (только буквы, цифры, \"-\" и точки)";
    PortBad =>
        "the port must be a number from 1 to 65535",
        "порт должен быть числом от 1 до 65535";
    IdInstanceEmpty =>
        "idInstance is empty; expected the digits from your console, e.g. \"3100000001\"",
        "idInstance пуст; ожидаются цифры из вашей консоли, например \"3100000001\"";
    IdInstanceLooksLikeToken { what: String } =>
        "idInstance is {what}: it looks like the token (apiTokenInstance); idInstance is 1-19 digits, e.g. \"3100000001\" (check the order of the arguments)",
        "idInstance: {what}; это похоже на токен (apiTokenInstance); idInstance - это от 1 до 19 цифр, например \"3100000001\" (проверьте порядок аргументов)";
    IdInstanceBad { id: String } =>
        "idInstance {id} is not valid: expected 1 to 19 digits, e.g. \"3100000001\"",
        "idInstance {id} недопустим: ожидается от 1 до 19 цифр, например \"3100000001\"";
    TokenEmpty =>
        "apiTokenInstance is empty; copy it from your GREEN-API console",
        "apiTokenInstance пуст; скопируйте его из консоли GREEN-API";
    TokenTooLong { max: usize } =>
        "apiTokenInstance is longer than {max} characters",
        "apiTokenInstance длиннее {max} символов";
    TokenBadChar { pos: usize } =>
        "apiTokenInstance has a character at position {pos} that is not allowed (letters, digits, \"-\", \".\", \"_\" and \"~\" only); check for spaces or quotes copied with it",
        "в apiTokenInstance на позиции {pos} недопустимый символ (разрешены только буквы, цифры, \"-\", \".\", \"_\" и \"~\"); проверьте, не скопировались ли вместе с ним пробелы или кавычки";
    ChatIdEmpty =>
        "chatId is empty; accepted formats: user_id, digits such as \"10000000\", or group_id, a minus sign then digits such as \"-10000000000000\"",
        "chatId пуст; допустимые форматы: user_id - цифры, например \"10000000\", или group_id - знак минус и цифры, например \"-10000000000000\"";
    ChatIdLooksLikeToken { what: String } =>
        "chatId is {what}: it looks like a token, not a chat id; accepted formats: user_id, digits such as \"10000000\", or group_id, a minus sign then digits such as \"-10000000000000\"",
        "chatId: {what}; это похоже на токен, а не на идентификатор чата; допустимые форматы: user_id - цифры, например \"10000000\", или group_id - знак минус и цифры, например \"-10000000000000\"";
    ChatIdTooLong { id: String, max: usize } =>
        "chatId {id} is longer than {max} characters; accepted formats: user_id, digits such as \"10000000\", or group_id, a minus sign then digits such as \"-10000000000000\"",
        "chatId {id} длиннее {max} символов; допустимые форматы: user_id - цифры, например \"10000000\", или group_id - знак минус и цифры, например \"-10000000000000\"";
    ChatIdBad { id: String, hint: String } =>
        "chatId {id} is not valid{hint}; accepted formats: user_id, digits such as \"10000000\", or group_id, a minus sign then digits such as \"-10000000000000\"",
        "chatId {id} недопустим{hint}; допустимые форматы: user_id - цифры, например \"10000000\", или group_id - знак минус и цифры, например \"-10000000000000\"";
    ChatIdHintWhatsApp =>
        " (WhatsApp-style ids like \"79001234567@c.us\" are not MAX chat ids)",
        " (идентификаторы в стиле WhatsApp, такие как \"79001234567@c.us\", не являются идентификаторами чатов MAX)";
    ChatIdHintSpaces => " (remove the spaces around it)", " (уберите пробелы вокруг него)";
    ChatIdHintPhone => " (a phone number is not a chat id)", " (номер телефона - это не идентификатор чата)";
}
