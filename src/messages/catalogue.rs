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

    // ----- The server's answer (response) -----
    /// ` to {where}` after a redirect (where: the server's Location, quoted as it came).
    RedirectTo { place: String } => " to {place}", " на {place}";
    Redirect { status: u16, to: String } =>
        "the server answered with a redirect (HTTP {status}){to}, which getavatar does not follow; check apiUrl",
        "сервер ответил перенаправлением (HTTP {status}){to}, а getavatar не следует перенаправлениям; проверьте apiUrl";
    ServerCannotHandle { status: u16, reason: &'a str, said: String } =>
        "HTTP {status} {reason}: the server cannot handle this request{said}",
        "HTTP {status} {reason}: сервер не может обработать этот запрос{said}";
    UnexpectedStatus { status: u16, said: String } =>
        "unexpected HTTP status {status}{said}",
        "неожиданный HTTP-статус {status}{said}";
    /// The server's own text, quoted as it came.
    ServerSaid { text: String } => " (server said: {text})", " (ответ сервера: {text})";
    Rejected400With { text: String } =>
        "the server rejected the request (HTTP 400): {text}",
        "сервер отклонил запрос (HTTP 400): {text}";
    Rejected400 { said: String } =>
        "the server rejected the request (HTTP 400){said}",
        "сервер отклонил запрос (HTTP 400){said}";
    Unauthorized401 { said: String } =>
        "HTTP 401 Unauthorized: the server rejected apiTokenInstance; check the token in your GREEN-API console{said}",
        "HTTP 401 Unauthorized: сервер не принял apiTokenInstance; проверьте токен в консоли GREEN-API{said}";
    Forbidden403 { said: String } =>
        "HTTP 403 Forbidden: the server refused this instance; check idInstance and that apiUrl is the host your console shows for it{said}",
        "HTTP 403 Forbidden: сервер отказал этому инстансу; проверьте idInstance и то, что apiUrl - тот хост, который консоль показывает для него{said}";
    NotFound404 { said: String } =>
        "HTTP 404 Not Found: no getAvatar method at this address; check apiUrl (e.g. \"https://3100.api.green-api.com\"){said}",
        "HTTP 404 Not Found: по этому адресу нет метода getAvatar; проверьте apiUrl (например, \"https://3100.api.green-api.com\"){said}";
    TooMany429 =>
        "HTTP 429 Too Many Requests: the instance's request rate was exceeded (getAvatar allows about 10 requests a second per instance, shared by every program using it)",
        "HTTP 429 Too Many Requests: превышена частота запросов инстанса (getAvatar допускает около 10 запросов в секунду на инстанс, общих для всех использующих его программ)";
    TemporaryServerError { status: u16, reason: &'a str, said: String } =>
        "HTTP {status} {reason}: a temporary server error{said}",
        "HTTP {status} {reason}: временная ошибка сервера{said}";
    UrlAvatarControl { code: u32 } =>
        "the server's urlAvatar contains a control character (U+{code:04X}); refused",
        "urlAvatar от сервера содержит управляющий символ (U+{code:04X}); отклонено";
    UrlAvatarToken =>
        "the server's urlAvatar contains the instance's apiTokenInstance; refused",
        "urlAvatar от сервера содержит apiTokenInstance инстанса; отклонено";
    UrlAvatarNotWeb { scheme: String } =>
        "the server's urlAvatar is not an http(s) link ({scheme}); refused",
        "urlAvatar от сервера - не http(s)-ссылка ({scheme}); отклонено";
    SchemeNamed { scheme: String } => "scheme \"{scheme}:\"", "схема \"{scheme}:\"";
    NoScheme => "no scheme", "нет схемы";
    AnswerNotJson { error: String } =>
        "the server's answer (HTTP 200) is not valid JSON: {error}",
        "ответ сервера (HTTP 200) - не корректный JSON: {error}";
    AnswerNotObject { kind: String } =>
        "the server's answer (HTTP 200) is JSON {kind}, not an object",
        "ответ сервера (HTTP 200) - JSON {kind}, а не объект";
    UrlAvatarNotString { kind: String } =>
        "the server's answer (HTTP 200) has urlAvatar as {kind}, not a string",
        "в ответе сервера (HTTP 200) urlAvatar - {kind}, а не строка";
    NoUrlAvatar =>
        "the server's answer (HTTP 200) has no urlAvatar",
        "в ответе сервера (HTTP 200) нет urlAvatar";
    JsonNull => "null", "null (пусто)";
    JsonBool => "a boolean", "логическое значение";
    JsonNumber => "a number", "число";
    JsonString => "a string", "строка";
    JsonArray => "an array", "массив";
    JsonObject => "an object", "объект";
    Quota466 =>
        "HTTP 466: the instance's quota for this method is used up; see your plan in the GREEN-API console",
        "HTTP 466: квота инстанса на этот метод исчерпана; проверьте тариф в консоли GREEN-API";
    QuotaUsed { used: u64, total: u64 } => " (used {used} of {total})", " (использовано {used} из {total})";
    /// `: ` then the server's description, as it came.
    QuotaDescription { text: String } => ": {text}", ": {text}";
    BodyNotJson { len: usize } =>
        "a body of {len} bytes that is not valid JSON",
        "тело ответа размером {len} байт, не являющееся корректным JSON";
    HtmlPage => "an HTML page", "HTML-страница";

    // ----- Network failures (transport_error) -----
    /// ` (via proxy P)` after a message, when a proxy carries the request.
    ViaProxy { proxy: &'a str } => " (via proxy {proxy})", " (через прокси {proxy})";
    WhileReading => "while reading the answer", "во время чтения ответа";
    BeforeAnswer => "before an answer arrived", "до получения ответа";
    /// ` within N ms` in a timeout's message (a deadline message leaves it out).
    Within { ms: u128 } => " within {ms} ms", " за {ms} мс";
    /// A proxy that never answered the CONNECT (a timeout that reached no server: its form
    /// begins with text that `Error::is_instance_level` recognises, see NEVER_REACHED).
    ProxySilent { proxy: &'a str, host: &'a str, within: String } =>
        "the proxy {proxy} did not answer the CONNECT to {host}{within} (proxy setting)",
        "прокси {proxy} не ответил на CONNECT к {host}{within} (настройка proxy)";
    /// No connection to the proxy within the timeout (reached no server).
    ConnectProxyTimeout { proxy: &'a str, host: &'a str, within: String } =>
        "could not connect to the proxy {proxy}{within} (for {host})",
        "не удалось подключиться к прокси {proxy}{within} (для {host})";
    /// No connection within the timeout (reached no server).
    ConnectTimeout { host: &'a str, within: String } =>
        "could not connect to {host}{within}",
        "не удалось подключиться к {host}{within}";
    NoCompleteAnswer { host: &'a str, within: String, via: String } =>
        "no complete answer from {host}{within}{via}",
        "нет полного ответа от {host}{within}{via}";
    ProxyInUse => "in use", "(используемый)";
    DnsFailed { host: &'a str, via: String } =>
        "could not resolve host {host} (DNS){via}",
        "не удалось найти хост {host} (DNS){via}";
    ConnectFailed { host: &'a str, via: String } =>
        "could not connect to {host}{via}",
        "не удалось подключиться к {host}{via}";
    NotHttp { error: String } =>
        "the server's answer is not valid HTTP/1.1 ({error})",
        "ответ сервера - не корректный HTTP/1.1 ({error})";
    HeadersTooLarge =>
        "the server's response headers are larger than 64 KiB; refused",
        "заголовки ответа сервера больше 64 КиБ; отклонено";
    /// A TLS failure; `error` is the TLS library's text, as it came.
    TlsFailure { host: &'a str, error: String, hint: String } =>
        "TLS failure with {host}: {error}{hint}",
        "ошибка TLS с {host}: {error}{hint}";
    /// The host of a link cannot be a TLS server name (ureq carries only a static text: see
    /// `messages::NOT_A_SERVER_NAME`).
    TlsNotAServerName => "not a valid TLS server name", "недопустимое имя TLS-сервера";
    TlsUnknownIssuerHint =>
        "; if a proxy re-signs TLS or the server has a private root, trust its root (CA file setting)",
        "; если прокси переподписывает TLS или у сервера свой корневой сертификат, добавьте доверие к нему (настройка CA file)";
    TlsWith { host: &'a str, why: String } => "TLS with {host}: {why}", "TLS с {host}: {why}";
    RequestFailed { host: &'a str, during: String, error: String, via: String } =>
        "request to {host} failed {during}: {error}{via}",
        "запрос к {host} не удался {during}: {error}{via}";
    ProxyRefusedConnection { proxy: &'a str } =>
        "connection to the proxy {proxy} refused (is it running, and is the proxy URL right?)",
        "прокси {proxy} отверг подключение (запущен ли он и верен ли URL прокси?)";
    RefusedApi { host: &'a str } =>
        "connection to {host} refused (is the server running and apiUrl right?)",
        "{host} отверг подключение (запущен ли сервер и верен ли apiUrl?)";
    Refused { host: &'a str } => "connection to {host} refused", "{host} отверг подключение";
    ClosedByServer { host: &'a str, during: String } =>
        "connection to {host} closed by the server {during}",
        "сервер {host} закрыл соединение {during}";
    ProxyBadCredentials { proxy: &'a str } =>
        "the proxy {proxy} refused the user name or password: check the credentials in the proxy URL",
        "прокси {proxy} не принял имя пользователя или пароль: проверьте учётные данные в URL прокси";
    /// Joins a message and ` (via proxy P)`.
    WithVia { what: String, via: String } => "{what}{via}", "{what}{via}";
    /// An operating-system error text, as it came.
    NetworkError { host: &'a str, during: String, error: String } =>
        "network error talking to {host} {during}: {error}",
        "сетевая ошибка при обмене с {host} {during}: {error}";
    Proxy407 { proxy: &'a str } =>
        "the proxy {proxy} wants a user name and password, or refused the ones given (HTTP 407): check the credentials in the proxy URL",
        "прокси {proxy} требует имя пользователя и пароль или не принял указанные (HTTP 407): проверьте учётные данные в URL прокси";
    ProxyNotAllowedHint =>
        ": it is not allowed through; ask whoever runs the proxy to let it through",
        ": доступ к нему через прокси запрещён; попросите администратора прокси разрешить его";
    ProxyNoTunnel { proxy: &'a str, host: &'a str, why: String, hint: String } =>
        "the proxy {proxy} would not open a tunnel to {host} ({why}){hint}",
        "прокси {proxy} не открыл туннель к {host} ({why}){hint}";
    ProxyAuthUnsupported { proxy: &'a str, schemes: &'a str, host: &'a str } =>
        "the proxy {proxy} asks for {schemes} authentication (HTTP 407), which getavatar cannot do (it sends a user name and password by Basic authentication only): ask your IT department to allow Basic authentication on the proxy, or to let {host} through without authentication; if the proxy also accepts Basic, give user:password@ in the proxy URL (proxy setting)",
        "прокси {proxy} требует аутентификацию {schemes} (HTTP 407), которую getavatar не поддерживает (он передаёт имя пользователя и пароль только по схеме Basic): попросите ИТ-отдел разрешить на прокси аутентификацию Basic или пропускать {host} без аутентификации; если прокси принимает и Basic, укажите user:password@ в URL прокси (настройка proxy)";

    // ----- Deadlines and retries (deadline, client) -----
    Seconds { v: String } => "{v} s", "{v} с";
    Millis { ms: u128 } => "{ms} ms", "{ms} мс";
    AheadRetryAfter { wait: String, left: String } =>
        " the server asked to retry after {wait}, more than the {left} left;",
        " сервер попросил повторить через {wait}, а осталось только {left};";
    AheadBackoff { wait: String, left: String } =>
        " the next backoff of {wait} is more than the {left} left;",
        " следующая пауза {wait} больше оставшихся {left};";
    AheadRateLimit { wait: String, left: String } =>
        " the next rate-limit slot is {wait} away, more than the {left} left;",
        " следующий слот лимита запросов через {wait}, а осталось только {left};";
    DeadlineReached { limit: String, why: String, usage: String } =>
        "deadline of {limit} reached (deadline setting):{why} {usage}",
        "исчерпан лимит времени {limit} (настройка deadline):{why} {usage}";
    NoAttemptMade => "no attempt made", "ни одной попытки";
    OneAttempt { time: String } => "1 attempt {time}", "1 попытка, {time}";
    Attempts { n: u32, time: String } => "{n} attempts {time}", "попыток: {n}, {time}";
    UsedBackoff { time: String } => "backoff {time}", "паузы {time}";
    UsedRetryAfter { time: String } => "Retry-After wait {time}", "ожидание Retry-After {time}";
    UsedRateWait { time: String } => "rate-limit wait {time}", "ожидание лимита запросов {time}";
    /// `; the last attempt: ` then what it met (`Error::is_instance_level` splits on it).
    LastAttempt { text: String } => "; the last attempt: {text}", "; последняя попытка: {text}";
    RetryAfterTooLong { secs: u64, max: u64 } =>
        "; the server asks to retry after {secs} s (longer than the {max} s getavatar waits): try again then",
        "; сервер просит повторить через {secs} с (дольше {max} с, которые ждёт getavatar): повторите тогда";
    GaveUp { tries: u32 } => " (gave up after {tries} attempts)", " (попыток сделано: {tries}, больше не пытаемся)";
    EnvNotUnicode { name: &'a str } =>
        "environment variable {name} is not valid Unicode",
        "переменная окружения {name} - не корректный Unicode";
    EnvNotSet { names: String } =>
        "environment variable(s) not set: {names}",
        "не заданы переменные окружения: {names}";
    FromEnv { names: String, error: String } =>
        "from the environment ({names}): {error}",
        "из переменных окружения ({names}): {error}";
    OomBatchStart { count: usize } =>
        "out of memory for a batch of {count} chat ids; nothing was sent",
        "не хватило памяти для пакета из {count} идентификаторов чатов; ничего не отправлено";
    BatchLostResult => "batch worker lost a result", "поток пакетной обработки потерял результат";

    // ----- Downloads, settings and C arguments (attempt, connection, settings, ffi) -----
    AnswerTooLarge { max: usize } =>
        "the server's answer is larger than {max} bytes; refused",
        "ответ сервера больше {max} байт; отклонено";
    TooManyRedirects { host: &'a str, max: usize } =>
        "the avatar link on {host} redirected more than {max} times; not downloaded",
        "ссылка на аватар на {host} перенаправила больше {max} раз; не загружено";
    ImageTooLarge { host: &'a str, max: usize } =>
        "the avatar image on {host} is larger than {max} bytes (16 MiB); not downloaded",
        "изображение аватара на {host} больше {max} байт (16 МиБ); не загружено";
    UserAgentBad { ua: String } =>
        "user agent {ua} is not valid: 1 to 256 printable ASCII characters",
        "user agent {ua} недопустим: от 1 до 256 печатных символов ASCII";
    InEnvVar { name: &'a str, error: String } =>
        "environment variable {name}: {error}",
        "переменная окружения {name}: {error}";
    SystemProxyUnusable { error: String } =>
        "the system proxy cannot be used: {error}",
        "системный прокси использовать нельзя: {error}";
    OutOfRange { name: &'a str, v: i64, min: u32, max: u32, unit: String } =>
        "{name} {v} is out of range: expected {min} to {max}{unit}; the previous value is kept",
        "{name} {v} вне допустимого диапазона: ожидается от {min} до {max}{unit}; прежнее значение сохранено";
    UnitMs => " ms", " мс";
    UnitSeconds => " s", " с";
    UnitPerSecond => " per second", " в секунду";
    ArgNull { name: &'a str } => "{name} is NULL", "{name} равен NULL";
    ArgNotUtf8 { name: &'a str, offset: usize } =>
        "{name} is not valid UTF-8 (bad byte at offset {offset}); pass UTF-8 text",
        "{name} - не корректный UTF-8 (неверный байт на смещении {offset}); передавайте текст в UTF-8";
    TrustBad { v: i64 } =>
        "trust {v} is not valid: expected GA_TRUST_SYSTEM (0) or GA_TRUST_BUNDLED (1); the previous value is kept",
        "trust {v} недопустим: ожидается GA_TRUST_SYSTEM (0) или GA_TRUST_BUNDLED (1); прежнее значение сохранено";
    CountNegative { count: String } => "count {count} is negative", "count {count} отрицателен";
    OomCancel =>
        "out of memory while making a cancel token",
        "не хватило памяти для создания маркера отмены";
    OomBatch =>
        "out of memory while storing batch results",
        "не хватило памяти для сохранения результатов пакета";
    Internal =>
        "internal error in getavatar (please report it)",
        "внутренняя ошибка getavatar (пожалуйста, сообщите о ней)";
    /// A caught panic; `what` is the panic's own text.
    InternalPanic { what: String } =>
        "internal error in getavatar (please report it): {what}",
        "внутренняя ошибка getavatar (пожалуйста, сообщите о ней): {what}";
    UnknownPanic => "unknown panic", "неизвестная паника";

    // ----- Checks a binding makes itself (binding, `ga_message`) -----
    BindingClosed { name: &'a str } => "this {name} is closed", "этот {name} закрыт";
    BindingWrongType { name: &'a str, expected: &'a str, value: &'a str } =>
        "{name} must be {expected}, not {value}",
        "{name} должен иметь тип {expected}, а не {value}";
    BindingHasNul { name: &'a str } =>
        "{name} must not contain NUL characters",
        "{name} не должен содержать символов NUL";
    BindingLoneSurrogate { name: &'a str, value: &'a str } =>
        "{name} is not valid Unicode text (a lone surrogate at index {value})",
        "{name} - не корректный текст Unicode (одиночный суррогат на позиции {value})";
    BindingOutOfRange { name: &'a str, value: &'a str } =>
        "{name} {value} is out of range",
        "{name} {value} вне допустимого диапазона";
    BindingOutOfRangeExpected { name: &'a str, value: &'a str, expected: &'a str } =>
        "{name} {value} is out of range: expected {expected}",
        "{name} {value} вне допустимого диапазона: ожидается {expected}";
    BindingNotOneOf { name: &'a str, value: &'a str, expected: String } =>
        "{name} {value} is not valid: expected {expected}",
        "{name} {value} недопустим: ожидается {expected}";
    /// Joins the choices of `BindingNotOneOf`: "a or b".
    BindingOr { a: String, b: String } => "{a} or {b}", "{a} или {b}";
    BindingTooManyIds { value: &'a str, expected: &'a str } =>
        "{value} chat ids in one batch: at most {expected}",
        "идентификаторов чатов в одном пакете: {value}; допустимо не больше {expected}";
    BindingOutOfMemory => "getavatar: out of memory", "getavatar: не хватает памяти";
    BindingNotConnected => "could not connect to the server", "не удалось подключиться к серверу";
    BindingNoAnswerInTime =>
        "could not reach the server within the timeout",
        "не удалось связаться с сервером за отведённое время";
    BindingReadFromEnv { name: &'a str, value: &'a str } =>
        "{value} reads {name} from the environment; do not pass it",
        "{value} берёт {name} из окружения; не передавайте его";
    /// A batch's id not asked after a failure of the whole instance (`message` is that failure's).
    NotSent { message: &'a str } =>
        "{message} (not sent: an earlier lookup of this batch met this failure, which every lookup of the instance meets)",
        "{message} (не отправлен: более ранний запрос этого пакета получил эту ошибку, а её получает каждый запрос инстанса)";
    BindingUnknown { n: i32 } =>
        "getavatar has no message {n} (is the library older than the binding?)",
        "в getavatar нет сообщения {n} (библиотека старше привязки?)";

    // ----- Avatar images and files (image) -----
    ImageLinkNotHttp { link: String } =>
        "the avatar link {link} is not an http(s) URL; not downloaded",
        "ссылка на аватар {link} - не http(s)-URL; не загружено";
    ImageLinkBad { link: String } =>
        "the avatar link {link} is not a valid URL (no host, or a space or control character); not downloaded",
        "ссылка на аватар {link} - некорректный URL (нет хоста, или есть пробел или управляющий символ); не загружено";
    LinkSummaryScheme { scheme: &'a str, n: usize } =>
        "(\"{scheme}:...\", {n} characters)",
        "(\"{scheme}:...\", символов: {n})";
    LinkSummary { n: usize } => "({n} characters)", "(символов: {n})";
    Image429 { host: &'a str } =>
        "the image server {host} answered 429 Too Many Requests",
        "сервер изображений {host} ответил 429 Too Many Requests";
    ImageStatus { host: &'a str, status: u16, hint: String } =>
        "the image server {host} answered {status}{hint}",
        "сервер изображений {host} ответил {status}{hint}";
    ImageRedirectNoLocation { host: &'a str, status: u16 } =>
        "the image server {host} answered {status} without a usable Location",
        "сервер изображений {host} ответил {status} без пригодного Location";
    ImageExpiredHint =>
        " (the link may have expired: look the avatar up again)",
        " (возможно, срок действия ссылки истёк: запросите аватар заново)";
    NoContentType => "no Content-Type", "без Content-Type";
    ContentType { media: String } => "Content-Type {media}", "с Content-Type {media}";
    NotAnImage { host: &'a str, said: String } =>
        "the avatar link on {host} answered with {said}, not an image; not downloaded",
        "ссылка на аватар на {host} ответила {said}, а не изображением; не загружено";
    ImageOverLimit { host: &'a str, n: u64, max: usize } =>
        "the avatar image on {host} is {n} bytes, more than the {max} byte (16 MiB) limit; not downloaded",
        "изображение аватара на {host} занимает {n} байт, больше предела в {max} байт (16 МиБ); не загружено";
    ImageReset { host: &'a str, len: usize } =>
        "the connection to {host} was reset after {len} bytes of the avatar image, before it was complete; not downloaded",
        "соединение с {host} было сброшено после {len} байт изображения аватара, до его конца; не загружено";
    ImageEmpty { host: &'a str } =>
        "the avatar image on {host} is empty (0 bytes); not downloaded",
        "изображение аватара на {host} пустое (0 байт); не загружено";
    ImageShort { host: &'a str, len: String } =>
        "the connection to {host} closed before the {len} bytes of the avatar image (its Content-Length) arrived; not downloaded",
        "соединение с {host} закрылось до того, как пришли {len} байт изображения аватара (его Content-Length); не загружено";
    PathEmpty => "path is empty", "путь (path) пуст";
    PathTooLong { len: usize, max: usize } =>
        "path is {len} bytes long, more than {max}",
        "путь (path) длиной {len} байт, больше {max}";
    PathFolder { path: String } =>
        "path {path} names a folder, not a file",
        "путь {path} указывает на папку, а не на файл";
    PathSpecial { path: String, what: String } =>
        "path {path} is {what}, not a regular file: getavatar only creates or replaces regular files",
        "путь {path} - это {what}, а не обычный файл: getavatar создаёт и заменяет только обычные файлы";
    #[cfg_attr(not(unix), allow(dead_code))]
    FileCharDevice => "a character device", "символьное устройство";
    #[cfg_attr(not(unix), allow(dead_code))]
    FileBlockDevice => "a block device", "блочное устройство";
    #[cfg_attr(not(unix), allow(dead_code))]
    FileFifo => "a FIFO (named pipe)", "FIFO (именованный канал)";
    #[cfg_attr(not(unix), allow(dead_code))]
    FileSocket => "a socket", "сокет";
    FileFolder => "a folder", "папка";
    FileSpecial => "a special file", "специальный файл";
    CannotWrite { why: String } =>
        "cannot write the avatar image: {why}",
        "не удаётся записать изображение аватара: {why}";
    /// `error` is the operating system's text, as it came.
    CannotWriteTo { path: String, error: String } =>
        "cannot write the avatar image to {path}: {error}",
        "не удаётся записать изображение аватара в {path}: {error}";

    // ----- Proxies (proxy, proxy/rules, proxy/system_proxy, sys/winhttp) -----
    ProxyNotValidAddress { proxy: String } =>
        "proxy {proxy} is not a valid proxy address",
        "прокси {proxy} - недопустимый адрес прокси";
    /// What a proxy URL looks like (ends several messages).
    ProxyExpected =>
        "expected http://[user:password@]host[:port], socks5://... or socks5h://...",
        "ожидается http://[user:password@]host[:port], socks5://... или socks5h://...";
    ProxyUrlTooLong { len: usize, max: usize, expected: String } =>
        "proxy URL is {len} bytes long, more than {max}; {expected}",
        "URL прокси длиной {len} байт, больше {max}; {expected}";
    ProxyUrlSpaces { url: String, expected: String } =>
        "proxy URL {url} contains spaces or control characters; {expected}",
        "URL прокси {url} содержит пробелы или управляющие символы; {expected}";
    ProxyHttps { url: String } =>
        "proxy URL {url}: https:// proxies are not supported; use http:// (the tunnel to an https apiUrl is still TLS from end to end)",
        "URL прокси {url}: прокси https:// не поддерживаются; используйте http:// (туннель к https-адресу apiUrl всё равно защищён TLS от начала до конца)";
    ProxyScheme { url: String, scheme: String, expected: String } =>
        "proxy URL {url} has scheme {scheme}; {expected}",
        "у URL прокси {url} схема {scheme}; {expected}";
    ProxyPath { url: String, expected: String } =>
        "proxy URL {url} has a path, query or fragment (percent-encode / ? # @ in a user name or password); {expected}",
        "в URL прокси {url} есть путь, запрос или фрагмент (символы / ? # @ в имени пользователя или пароле кодируйте через %); {expected}";
    ProxyCredentialsEncoding { url: String } =>
        "proxy URL {url}: the user name or password is not valid percent-encoded UTF-8",
        "URL прокси {url}: имя пользователя или пароль - не корректный UTF-8 в %-кодировке";
    ProxyUnclosedBracket { url: String } => "proxy URL {url} has an unclosed [", "в URL прокси {url} не закрыта [";
    ProxyBadIpv6 { url: String } => "proxy URL {url} has an invalid IPv6 address", "в URL прокси {url} недопустимый IPv6-адрес";
    ProxyAfterBracket { url: String } => "proxy URL {url} is malformed after ]", "URL прокси {url} искажён после ]";
    ProxyNoHost { url: String, expected: String } =>
        "proxy URL {url} has no valid host; {expected}",
        "в URL прокси {url} нет допустимого хоста; {expected}";
    ProxyPortHint =>
        "; a user name and password go before an \"@\": http://user:password@host:port",
        "; имя пользователя и пароль пишутся перед \"@\": http://user:password@host:port";
    ProxyBadPort { url: String, hint: String } =>
        "proxy URL {url} has an invalid port (expected 1 to 65535){hint}",
        "в URL прокси {url} недопустимый порт (ожидается от 1 до 65535){hint}";
    ProxySocksCredentials { url: String } =>
        "proxy URL {url}: SOCKS5 user names and passwords are at most 255 bytes",
        "URL прокси {url}: имя пользователя и пароль SOCKS5 - не длиннее 255 байт";
    /// How the caller gets past a system proxy that cannot be used.
    ProxyWayOut =>
        "set a proxy URL, or \"direct\" to connect without a proxy (proxy setting)",
        "укажите URL прокси или \"direct\", чтобы подключаться без прокси (настройка proxy)";
    SystemProxyNamesUnusable { what: String, proxy: String, host: &'a str, way_out: String } =>
        "the system proxy cannot be used: {what} names the proxy {proxy} for {host}, which getavatar cannot use (it reaches proxies by plain HTTP CONNECT or SOCKS5, not HTTPS or SOCKS4); {way_out}",
        "системный прокси использовать нельзя: {what} указывает для {host} прокси {proxy}, с которым getavatar работать не может (он подключается к прокси только через HTTP CONNECT или SOCKS5, не HTTPS и не SOCKS4); {way_out}";
    SystemProxyEnvBad { name: &'a str, error: String, way_out: String } =>
        "the system proxy cannot be used: environment variable {name}: {error}; {way_out}",
        "системный прокси использовать нельзя: переменная окружения {name}: {error}; {way_out}";
    /// Where a proxy setting came from.
    FromEnvVar { name: &'a str } => "environment variable {name}", "переменная окружения {name}";
    #[cfg_attr(not(windows), allow(dead_code))]
    FromPacScript { url: String } =>
        "the PAC script {url} (Windows Internet Options)",
        "PAC-сценарий {url} (свойства обозревателя Windows)";
    #[cfg_attr(not(windows), allow(dead_code))]
    FromPacAuto =>
        "the auto-detected PAC script (Windows Internet Options)",
        "автоматически найденный PAC-сценарий (свойства обозревателя Windows)";
    #[cfg_attr(not(windows), allow(dead_code))]
    FromInternetOptions => "Windows Internet Options", "свойства обозревателя Windows";

    // ----- TLS trust and CA files (tls, tls/ca_file, tls/cert_env) -----
    CertStoreVarHint { problem: String } =>
        ": {problem}; fix or unset the variable, or",
        ": {problem}; исправьте или удалите переменную, либо";
    /// `error` is the platform verifier's text, as it came.
    CertStoreError { error: String } => " ({error});", " ({error});";
    CertStoreUnusable { why: String } =>
        "the system's certificate store cannot be used{why} choose the bundled web roots (trust setting) or trust a root (CA file setting)",
        "хранилище сертификатов системы использовать нельзя{why} выберите встроенные корневые сертификаты (настройка trust) или добавьте доверенный корневой сертификат (настройка CA file)";
    RootsUnusable { error: String } =>
        "the trusted roots cannot be used ({error})",
        "доверенные корневые сертификаты использовать нельзя ({error})";
    /// "CA file PATH " then what it holds or is.
    CaFileHeld { path: String, what: String } => "CA file {path} {what}", "CA-файл {path} {what}";
    CaFileNotRegular =>
        "is not a regular file (a directory, a pipe or a device): name the certificate file itself",
        "- не обычный файл (папка, канал или устройство): укажите сам файл сертификата";
    CaFileUnreadable { path: String, error: String } =>
        "cannot read CA file {path}: {error}",
        "не удаётся прочитать CA-файл {path}: {error}";
    CaFileTooLarge { mib: u64 } =>
        "is larger than {mib} MiB: not a certificate file",
        "больше {mib} МиБ: это не файл сертификатов";
    CaFileEmpty => "is empty (no certificate)", "пуст (нет сертификата)";
    CaFileText { len: usize } =>
        "is not a certificate: {len} bytes of text, neither PEM (\"-----BEGIN CERTIFICATE-----\") nor DER",
        "- не сертификат: {len} байт текста, ни PEM (\"-----BEGIN CERTIFICATE-----\"), ни DER";
    CaFileBinary { len: usize } =>
        "is not a certificate: {len} bytes of binary data, neither PEM nor DER",
        "- не сертификат: {len} байт двоичных данных, ни PEM, ни DER";
    CaFileDerKey =>
        "holds a private key (DER), no certificate: keep it secret, a CA file needs only the certificate",
        "содержит закрытый ключ (DER), а не сертификат: храните его в секрете, CA-файлу нужен только сертификат";
    CaFileBadDer { len: usize, error: String } =>
        "holds {len} bytes of DER data that are not a valid X.509 certificate ({error})",
        "содержит {len} байт данных DER, которые не являются корректным сертификатом X.509 ({error})";
    CaFilePemKeyOnly { label: String } =>
        "holds a private key, no certificate (a PEM {label} block: keep it secret, a CA file needs only the certificate)",
        "содержит закрытый ключ, а не сертификат (блок PEM {label}: храните его в секрете, CA-файлу нужен только сертификат)";
    CaFileKeyHint =>
        " (a private key: keep it secret, a CA file needs only the certificate)",
        " (закрытый ключ: храните его в секрете, CA-файлу нужен только сертификат)";
    CaFileOtherBlock { label: String, what: String } =>
        "holds a PEM {label} block{what}, not only certificates; a CA file holds only \"BEGIN CERTIFICATE\" blocks",
        "содержит блок PEM {label}{what}, а не только сертификаты; в CA-файле должны быть только блоки \"BEGIN CERTIFICATE\"";
    CaFileNoCert =>
        "holds no certificate (expected \"-----BEGIN CERTIFICATE-----\")",
        "не содержит сертификата (ожидается \"-----BEGIN CERTIFICATE-----\")";
    CaFileBadCert { n: usize, error: String } =>
        "certificate {n} is not a valid X.509 certificate ({error})",
        "сертификат {n} - не корректный сертификат X.509 ({error})";
    CaFileKeyToo => "holds a private key, not only certificates", "содержит закрытый ключ, а не только сертификаты";
    CaFileBadPem { error: String } => "is not valid PEM: {error}", "- не корректный PEM: {error}";
    CertVarUnreadable { var: &'a str, path: String, error: String } =>
        "{var} names {path}, which cannot be read ({error})",
        "{var} указывает на {path}, который нельзя прочитать ({error})";
    CertVarNotFile { var: &'a str, path: String } =>
        "{var} names {path}, which is not a file",
        "{var} указывает на {path}, который не является файлом";
    CertVarNotFolder { var: &'a str, path: String } =>
        "{var} names {path}, which is not a folder",
        "{var} указывает на {path}, который не является папкой";
    CertVarNoCert { var: &'a str, path: String } =>
        "{var} names {path}, which holds no usable certificate",
        "{var} указывает на {path}, где нет пригодного сертификата";

    // ----- Name lookups, this machine, cancels (resolver, transport, client) -----
    NotLoopback { host: &'a str, ip: String } =>
        "the name {host} resolves to {ip}, which is not a loopback address: refused, nothing was sent (a localhost name must resolve to 127.0.0.0/8 or ::1; over http:// the token would travel in clear text)",
        "имя {host} указывает на {ip}, а это не локальный (loopback) адрес: отклонено, ничего не отправлено (имя localhost должно указывать на 127.0.0.0/8 или ::1; по http:// токен передавался бы открытым текстом)";
    TooManyLookups =>
        "too many host name lookups waiting (is DNS answering?)",
        "слишком много ожидающих запросов имён хостов (отвечает ли DNS?)";
    /// `error` is the operating system's text, as it came.
    NoLookupThread { error: String } =>
        "cannot start a thread to look the host up: {error}",
        "не удаётся запустить поток для поиска хоста: {error}";
    ThisMachine =>
        "the avatar link (or a redirect it led to) points at this machine (a loopback address) while apiUrl is not on loopback: refused, nothing was sent (a link the server chose may not reach into the user's own machine)",
        "ссылка на аватар (или перенаправление с неё) указывает на этот компьютер (локальный адрес), хотя apiUrl не локальный: отклонено, ничего не отправлено (ссылка, выбранная сервером, не должна вести на компьютер пользователя)";
    Cancelled => "the call was cancelled", "вызов отменён";
    /// A proxy and where the system named it.
    ProxyFrom { proxy: String, from: &'a str } => "{proxy} from {from}", "{proxy} из {from}";

    // ----- The stored credential (sys/credential, sys/credential_prompt) -----
    CredentialUnsupported =>
        "the stored credential is available on Windows only; use ga_client_new or the environment (GA_API_URL, GA_ID_INSTANCE, GA_API_TOKEN_INSTANCE)",
        "сохранённые учётные данные доступны только в Windows; используйте ga_client_new или переменные окружения (GA_API_URL, GA_ID_INSTANCE, GA_API_TOKEN_INSTANCE)";
    NoTokenStored { id: &'a str, target: String } =>
        "no API token stored for idInstance {id} (Windows Credential Manager, generic credential \"{target}\"): store it once with GaSaveToken (Excel), getavatar.save_credential (Python), ga_credential_save (C), or `cmdkey /generic:{target} /user:{id} /pass`",
        "для idInstance {id} не сохранён API-токен (диспетчер учётных данных Windows, общие учётные данные \"{target}\"): сохраните его один раз с помощью GaSaveToken (Excel), getavatar.save_credential (Python), ga_credential_save (C) или `cmdkey /generic:{target} /user:{id} /pass`";
    StoredTokenOf { target: String, error: String } =>
        "the stored token of {target}: {error}",
        "сохранённый токен {target}: {error}";
    /// `error` is the operating system's text, as it came.
    #[cfg_attr(not(windows), allow(dead_code))]
    CredentialOsError { what: String, target: &'a str, error: String } =>
        "Windows Credential Manager: {what} \"{target}\" failed: {error}",
        "диспетчер учётных данных Windows: {what} \"{target}\" - ошибка: {error}";
    #[cfg_attr(not(windows), allow(dead_code))]
    CredStoring => "storing", "сохранение";
    #[cfg_attr(not(windows), allow(dead_code))]
    CredReading => "reading", "чтение";
    #[cfg_attr(not(windows), allow(dead_code))]
    CredDeleting => "deleting", "удаление";
    #[cfg_attr(not(windows), allow(dead_code))]
    CredentialNotUtf16 { target: &'a str } =>
        "the stored credential \"{target}\" is not UTF-16 text; store the token again",
        "сохранённые учётные данные \"{target}\" - не текст UTF-16; сохраните токен заново";
    TokenNotStored { error: String } =>
        "the token typed was not stored: {error}",
        "введённый токен не сохранён: {error}";
    NoDialog { why: String } =>
        "no credential dialog could be shown ({why}); nothing was stored",
        "не удалось показать окно ввода учётных данных ({why}); ничего не сохранено";
    #[cfg_attr(not(windows), allow(dead_code))]
    NoCredUi =>
        "credui.dll or CredUIPromptForCredentialsW is not available",
        "credui.dll или CredUIPromptForCredentialsW недоступны";
    #[cfg_attr(not(windows), allow(dead_code))]
    DialogPrompt { id: &'a str, target: String } =>
        "Type the apiTokenInstance of idInstance {id} (from your GREEN-API console) as the password. It is kept in Windows Credential Manager as {target}, never in a workbook.",
        "Введите apiTokenInstance для idInstance {id} (из консоли GREEN-API) в поле пароля. Он хранится в диспетчере учётных данных Windows как {target}, а не в книге Excel.";
    #[cfg_attr(not(windows), allow(dead_code))]
    NothingTyped =>
        "no token was typed in the credential dialog; nothing was stored",
        "в окне учётных данных не введён токен; ничего не сохранено";
    #[cfg_attr(not(windows), allow(dead_code))]
    DialogNotShown =>
        "it returned no token: it may not have been shown",
        "окно не вернуло токен: возможно, оно не было показано";
    #[cfg_attr(not(windows), allow(dead_code))]
    TypedNotText =>
        "the token typed is not valid text; nothing was stored",
        "введённый токен - некорректный текст; ничего не сохранено";
    #[cfg_attr(not(windows), allow(dead_code))]
    DialogCancelled =>
        "the credential dialog was cancelled; nothing was stored",
        "ввод учётных данных отменён; ничего не сохранено";
    #[cfg_attr(windows, allow(dead_code))]
    WindowsOnly => "it is available on Windows only", "оно доступно только в Windows";

    // ----- A proxy's answer to CONNECT, when it has no status to show (net/connect_proxy) -----
    ProxyHeadTooLarge { max: usize } =>
        "proxy server's answer head is larger than {max} bytes",
        "заголовок ответа прокси-сервера больше {max} байт";
    ProxyNoResponse => "proxy server did not respond", "прокси-сервер не ответил";
    ProxyInvalidStatus =>
        "proxy server responded an invalid status",
        "прокси-сервер ответил недопустимым статусом";

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
