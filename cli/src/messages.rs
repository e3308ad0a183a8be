//! The command-line tool's own messages, in English and Russian (the library's messages come
//! from its catalogue, `src/messages/catalogue.rs`). The language is the process default the
//! library uses: `GA_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, as other tools
//! read it), else English. CSV headers and the `--format` keywords are not messages: they stay
//! the same in every language (machines read them).

use getavatar::Lang;

macro_rules! catalogue {
    ($( $name:ident $({ $($field:ident : $ty:ty),* $(,)? })? => $en:literal, $ru:literal; )*) => {
        /// A message of the tool, with its arguments.
        pub enum Msg<'a> {
            $( $name $({ $($field: $ty),* })?, )*
        }

        impl Msg<'_> {
            /// The text in `lang`.
            #[allow(unused_variables)]
            pub fn text_in(&self, lang: Lang) -> String {
                match (self, lang) {
                    $(
                        (Msg::$name $({ $($field),* })?, Lang::En) => format!($en),
                        (Msg::$name $({ $($field),* })?, Lang::Ru) => format!($ru),
                    )*
                }
            }
        }

        #[cfg(test)]
        const TEMPLATES: &[(&str, &str, &str)] = &[ $( (stringify!($name), $en, $ru), )* ];
    };
}

impl Msg<'_> {
    /// The text in the process's language (or a test's: `internals::LanguageScope`).
    pub fn text(&self) -> String {
        self.text_in(Lang::current())
    }
}

impl From<Msg<'_>> for String {
    fn from(m: Msg<'_>) -> String {
        m.text()
    }
}

catalogue! {
    NoIds =>
        "no chat ids: give them as arguments or --from FILE (see --help)",
        "нет идентификаторов чатов: укажите их аргументами или через --from ФАЙЛ (см. --help)";
    ColumnNeedsFrom =>
        "--column, --header and --no-header go with --from FILE",
        "--column, --header и --no-header используются вместе с --from ФАЙЛ";
    KeepColumnsNeeds =>
        "--keep-columns goes with --from FILE and --format csv",
        "--keep-columns используется вместе с --from ФАЙЛ и --format csv";
    SandboxAt { url: String } => "sandbox: emulator at {url}", "sandbox: эмулятор по адресу {url}";
    DownloadDir { dir: String, error: String } => "--download {dir}: {error}", "--download {dir}: {error}";
    CannotWriteOutput { error: String } =>
        "cannot write the output: {error}",
        "не удаётся записать результат: {error}";
    NoIdsInInput => "getavatar: no chat ids in the input", "getavatar: во входных данных нет идентификаторов чатов";
    AlreadyDone { path: String, rows: usize, failed: usize } =>
        "getavatar: {path} already has all {rows} rows ({failed} failed); nothing to look up",
        "getavatar: в {path} уже есть все {rows} строк (с ошибкой: {failed}); запрашивать нечего";
    Resuming { rows: usize, total: usize, rest: usize } =>
        "getavatar: resuming: {rows} of {total} rows already written, looking up the other {rest}",
        "getavatar: продолжение: уже записано строк {rows} из {total}, запрашиваются остальные {rest}";
    Interrupting =>
        "\ngetavatar: interrupted: stopping the lookups in flight (Ctrl-C again to quit now)",
        "\ngetavatar: прервано: останавливаются текущие запросы (ещё раз Ctrl-C, чтобы выйти сразу)";
    NoCleanCtrlC { error: String } =>
        "getavatar: warning: Ctrl-C will not stop cleanly: {error}",
        "getavatar: предупреждение: Ctrl-C не сможет остановить работу аккуратно: {error}";
    StoppedAt { line: usize, chat_id: String, status: String, http: String, error: String, written: usize, total: usize, hint: String } =>
        "getavatar: stopped at line {line} ({chat_id}): {status}{http}: {error}\ngetavatar: every other lookup would fail the same way, so the run stops here; wrote {written} of {total} rows, the rest were not looked up{hint}",
        "getavatar: остановлено на строке {line} ({chat_id}): {status}{http}: {error}\ngetavatar: все остальные запросы завершились бы так же, поэтому работа остановлена; записано строк {written} из {total}, остальные не запрашивались{hint}";
    FixThenResume =>
        " (fix it, then add --resume to go on from here)",
        " (исправьте причину и добавьте --resume, чтобы продолжить с этого места)";
    InterruptedWrote { written: usize, total: usize, hint: String } =>
        "getavatar: interrupted: wrote {written} of {total} rows; the rest were not looked up{hint}",
        "getavatar: прервано: записано строк {written} из {total}; остальные не запрашивались{hint}";
    AddResume =>
        " (add --resume to go on from here)",
        " (добавьте --resume, чтобы продолжить с этого места)";
    Progress { failed: usize } => "{failed} failed", "с ошибкой: {failed}";
    Paced { rate: f64 } => "paced at {rate}/s", "темп {rate}/с";
    Unpaced => "unpaced", "без ограничения темпа";
    Summary { done: usize, secs: String, failed: usize } =>
        "{done} looked up in {secs} s, {failed} failed",
        "запрошено {done} за {secs} с, с ошибкой: {failed}";
    NotConfigured { missing: String, stored: String } =>
        "not configured: give {missing} (or try --sandbox){stored}",
        "не настроено: укажите {missing} (или попробуйте --sandbox){stored}";
    StoredWindowsOnly =>
        " (a token stored in Windows Credential Manager is read by the Windows build only)",
        " (токен из диспетчера учётных данных Windows читает только сборка для Windows)";
    TokenFileError { path: String, error: String } => "token file {path}: {error}", "файл токена {path}: {error}";
    TokenFileNotFile { path: String } => "token file {path} is not a file", "файл токена {path} - не файл";
    TokenFileTooLarge { path: String, len: u64 } =>
        "token file {path} is {len} bytes; it should hold only the token",
        "файл токена {path} занимает {len} байт; в нём должен быть только токен";
    TokenFileNotText { path: String } =>
        "token file {path} is not text (UTF-8)",
        "файл токена {path} - не текст (UTF-8)";
    TokenFileEmpty { path: String } => "token file {path} is empty", "файл токена {path} пуст";
    TokenFileShared { path: String } =>
        "warning: token file {path} can be read by other users (chmod 600 it)",
        "предупреждение: файл токена {path} могут читать другие пользователи (выполните chmod 600)";
    ReadingTerminal =>
        "getavatar: reading chat ids from the terminal, one per line; end with Ctrl-D (Ctrl-Z then Enter on Windows)",
        "getavatar: идентификаторы чатов читаются с терминала, по одному в строке; завершите ввод Ctrl-D (в Windows Ctrl-Z и Enter)";
    StandardInput => "standard input", "стандартный ввод";
    CannotOpen { path: &'a str, error: String } => "cannot open {path}: {error}", "не удаётся открыть {path}: {error}";
    CannotRead { name: String, error: String } => "cannot read {name}: {error}", "не удаётся прочитать {name}: {error}";
    InputTooLarge { name: String, mib: u64 } => "{name} is larger than {mib} MiB", "{name} больше {mib} МиБ";
    Workbook { name: String } =>
        "{name} is a spreadsheet workbook, not CSV: save it as \"CSV UTF-8\" first",
        "{name} - книга электронной таблицы, а не CSV: сначала сохраните её как \"CSV UTF-8\"";
    NotSeconds { value: String } => "{value} is not a number of seconds", "{value} - не число секунд";
    DeadlineRange => "expected 0 (no limit) to 3600 seconds", "ожидается от 0 (без лимита) до 3600 секунд";
    TimeoutRange => "expected 0.001 to 600 seconds", "ожидается от 0.001 до 600 секунд";
    BadDelimiter { value: String } =>
        "--delimiter {value}: expected one character such as \",\" or \";\", or \"tab\"",
        "--delimiter {value}: ожидается один символ, например \",\" или \";\", или \"tab\"";
    UnclosedQuote { line: u64 } =>
        "line {line}: a cell opens a quote (\") that is never closed, so every row after it would be read as part of that cell; remove the stray quote or close it",
        "строка {line}: ячейка открывает кавычку (\"), которая нигде не закрыта, поэтому все строки после неё читались бы как часть этой ячейки; уберите лишнюю кавычку или закройте её";
    NotCsv { error: String } => "the input is not valid CSV: {error}", "входные данные - не корректный CSV: {error}";
    EmptyCell => "the chat id cell is empty", "ячейка с идентификатором чата пуста";
    ResumeCannotRead { path: String, error: String } =>
        "--resume: cannot read {path}: {error}",
        "--resume: не удаётся прочитать {path}: {error}";
    ResumeLeftAlone { path: String, why: String } =>
        "--resume: {path} is left as it is: {why}",
        "--resume: {path} оставлен как есть: {why}";
    ResumeNoWholeRow =>
        "it holds no row this tool writes (no line end), and does not start as this run's output: is it this input's output?",
        "в нём нет ни одной строки, которую пишет эта программа (нет конца строки), и он не начинается так, как начинается вывод этого запуска: это точно вывод для этих входных данных?";
    ResumeTooManyRows { rows: usize, ids: usize } =>
        "it has {rows} rows, the input only {ids} ids: is it this input's output?",
        "в нём строк: {rows}, а во входных данных идентификаторов только {ids}: это точно вывод для этих входных данных?";
    ResumeRowNotFor { row: usize, line: u64, id: String } =>
        "its row {row} is not for input line {line} ({id}): is it this input's output, with the same --from, --column and flags?",
        "его строка {row} не соответствует строке ввода {line} ({id}): это точно вывод для этих входных данных, с теми же --from, --column и флагами?";
    NoIdShown => "no id", "нет идентификатора";
    ResumeNotARow { row: usize } =>
        "its row {row} is not one this tool writes",
        "его строка {row} - не из тех, что пишет эта программа";
    ResumeOtherHeader =>
        "its header is not this run's columns (another --format, --download, --keep-columns, --delimiter or input?)",
        "его заголовок - не столбцы этого запуска (другие --format, --download, --keep-columns, --delimiter или входные данные?)";
    ResumeNotCsv { error: String } => "it is not CSV: {error}", "это не CSV: {error}";
    OutputIsInput =>
        "--output is the --from file: it would be overwritten",
        "--output - это файл из --from: он был бы перезаписан";
    SandboxNoStart { error: String } =>
        "could not start the sandbox emulator: {error}",
        "не удалось запустить эмулятор для --sandbox: {error}";
    SandboxWindows =>
        "--sandbox is not available in the Windows build; run the emulator elsewhere (cargo run --example emulator) and point GA_API_URL, GA_ID_INSTANCE and GA_API_TOKEN_INSTANCE at it",
        "--sandbox недоступен в сборке для Windows; запустите эмулятор в другом месте (cargo run --example emulator) и укажите его в GA_API_URL, GA_ID_INSTANCE и GA_API_TOKEN_INSTANCE";
    EmulatorCannotListen { error: String } => "cannot listen: {error}", "не удаётся открыть порт: {error}";
    EmulatorDidNotStart => "the emulator did not start", "эмулятор не запустился";
    EmulatorWindows =>
        "the emulator is not available in the Windows build; run `getavatar emulator` on Linux or macOS (or `cargo run --example emulator`) and point GA_API_URL, GA_ID_INSTANCE and GA_API_TOKEN_INSTANCE at it",
        "эмулятор недоступен в сборке для Windows; запустите `getavatar emulator` в Linux или macOS (или `cargo run --example emulator`) и укажите его в GA_API_URL, GA_ID_INSTANCE и GA_API_TOKEN_INSTANCE";
    EmulatorStopIt => "stop it", "остановить";
    RowError { status: String, http: String, error: String } =>
        "error {status}{http}: {error}",
        "ошибка {status}{http}: {error}";
    RowHidden =>
        "no avatar (hidden by the user's privacy settings)",
        "нет аватара (скрыт настройками приватности пользователя)";
    RowNone =>
        "no avatar (none set, or no such account)",
        "нет аватара (не установлен, или такого аккаунта нет)";
    RowSaved { file: String } => "saved {file}", "сохранено в {file}";
    EnvNotUnicode { name: String } =>
        "environment variable {name} is not valid Unicode",
        "переменная окружения {name} - не корректный Unicode";
    Either { a: &'a str, b: &'a str } => "{a} or {b}", "{a} или {b}";
    EtaLeft => "{{eta}} left", "осталось {{eta}}";
    PerSecond => "/s", "/с";
    NoColumn { width: usize, column: usize } =>
        "the row has {width} column(s), no column {column}",
        "в строке столбцов: {width}, столбца {column} нет";
    ColumnFromOne { column: String } =>
        "--column {column}: columns are numbered from 1",
        "--column {column}: столбцы нумеруются с 1";
    ColumnNoHeader { column: String } =>
        "--column {column} names a header column, but --no-header says there is none",
        "--column {column} называет столбец заголовка, но --no-header говорит, что заголовка нет";
    NoSuchColumn { column: String, names: String } =>
        "--column {column}: no such column in the first row ({names})",
        "--column {column}: в первой строке нет такого столбца ({names})";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry has a Russian form that is Russian and names the same arguments (the
    /// library's check of its own catalogue).
    #[test]
    fn every_entry_has_its_russian_form() {
        let problems = getavatar::internals::catalogue_problems(TEMPLATES, &["DownloadDir"]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
