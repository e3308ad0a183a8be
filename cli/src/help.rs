//! `--help` in the process's language. The English help is clap's, from the doc comments in
//! `args.rs`; the Russian one replaces every text of it from the table below (one entry per
//! argument of every command: a test fails when an argument has none). What clap writes itself
//! (the `Usage:`, `Options:` and `Commands:` headings, `[default: ...]`, the `--help` flag's own
//! line) is replaced too; clap's error messages ("unexpected argument ...") have no such hook and
//! stay English (docs/cli.md says so).

use clap::{Arg, Command, CommandFactory};
use getavatar::Lang;

use crate::args::Args;

/// The command line to parse with: the derived one, its texts in the current language.
pub fn command() -> Command {
    localised(Args::command(), Lang::current())
}

/// `cmd` with its help in `lang`.
fn localised(mut cmd: Command, lang: Lang) -> Command {
    if lang == Lang::En {
        return cmd;
    }
    // Built first, so that clap's own --help, --version and `help` command exist to be changed.
    cmd.build();
    ru_tree(cmd, "")
}

/// `cmd` and its subcommands, at every depth, in Russian: clap's `help` command lists the
/// commands again as subcommands of its own (`getavatar help help`), found by their names.
fn ru_tree(cmd: Command, path: &str) -> Command {
    ru_command(cmd, path).mut_subcommands(|sub| {
        let name = sub.get_name().to_string();
        ru_tree(sub, &name)
    })
}

/// The Russian texts of one command (`path`: "" for the top one, else the subcommand's name).
fn ru_command(mut cmd: Command, path: &str) -> Command {
    // The usage is written into the template, not set with `override_usage`: clap's errors
    // (English, no hook) show clap's own usage line then.
    let usage = cmd
        .render_usage()
        .to_string()
        .trim_start_matches("Usage:")
        .trim_start()
        .replace("[OPTIONS]", "[ПАРАМЕТРЫ]")
        .replace("<COMMAND>", "<КОМАНДА>")
        .replace("[COMMAND]", "[КОМАНДА]")
        // The lines after the first stand under the first: "Usage: " was 7 columns wide.
        .replace("\n       ", "\n               ")
        .replace('{', "{{")
        .replace('}', "}}");
    let mut cmd = cmd.subcommand_help_heading("Команды").help_template(format!(
        "{{before-help}}{{about-with-newline}}\nИспользование: {usage}\n\n{{all-args}}{{after-help}}"
    ));
    if let Some(c) = COMMANDS.iter().find(|c| c.path == path) {
        cmd = cmd.about(c.about);
        cmd = cmd.long_about(c.long_about);
        if let Some(after) = c.after_help {
            cmd = cmd.after_help(after);
        }
    }
    cmd.mut_args(|a| ru_arg(a, path))
}

/// One argument in Russian: its help, heading and value names, and clap's `[default: ...]` and
/// `[possible values: ...]` written by this table's words.
fn ru_arg(a: Arg, path: &str) -> Arg {
    let Some(t) = ARGS
        .iter()
        .find(|t| t.path == path && t.id == a.get_id().as_str())
    else {
        return a;
    };
    let mut notes = Vec::new();
    if a.get_action().takes_values() && !a.is_hide_default_value_set() {
        let defaults: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() {
            notes.push(format!("[по умолчанию: {}]", defaults.join(", ")));
        }
    }
    let values: Vec<String> = a
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    let short_notes = if values.is_empty() || a.is_hide_possible_values_set() {
        notes.clone()
    } else {
        let mut n = notes.clone();
        n.push(format!("[возможные значения: {}]", values.join(", ")));
        n
    };
    // As clap places them: after the text in the short help, a paragraph of their own in the
    // long one.
    let with = |text: &str, notes: &[String], gap: &str| {
        if notes.is_empty() {
            text.to_string()
        } else {
            format!("{text}{gap}{}", notes.join(" "))
        }
    };
    let heading = ru_heading(a.get_help_heading(), a.is_positional());
    let names: Option<Vec<clap::builder::Str>> = a.get_value_names().map(|n| {
        n.iter()
            .map(|n| ru_value_name(n.as_str()).map_or_else(|| n.clone(), Into::into))
            .collect()
    });
    let mut a = a
        .help(with(t.help, &short_notes, " "))
        .help_heading(heading)
        .hide_default_value(true)
        .hide_possible_values(true);
    // The long form lists the values itself; it gets the default only.
    a = match t.long {
        Some(long) => a.long_help(with(long, &notes, "\n\n")),
        None => a.long_help(None::<&'static str>),
    };
    if let Some(names) = names {
        a = a.value_names(names);
    }
    a
}

/// The Russian of a help heading (`None`: clap's "Arguments" or "Options").
fn ru_heading(heading: Option<&str>, positional: bool) -> Option<&'static str> {
    match heading {
        None if positional => Some("Аргументы"),
        None => Some("Параметры"),
        Some("Input") => Some("Ввод"),
        Some("Output") => Some("Вывод"),
        Some("Connection") => Some("Подключение"),
        Some("Settings") => Some("Настройки"),
        Some(_) => None,
    }
}

/// The Russian of a value name (`--output <ФАЙЛ>`); names that are the same in Russian (`N`,
/// `URL`, `CHAT_ID`, the literal values) are kept.
fn ru_value_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "FILE" => "ФАЙЛ",
        "FILE|-" => "ФАЙЛ|-",
        "DIR" => "ПАПКА",
        "NAME_OR_NUMBER" => "ИМЯ_ИЛИ_НОМЕР",
        "CHAR" => "СИМВОЛ",
        "SECONDS" => "СЕКУНДЫ",
        "FORMAT" => "ФОРМАТ",
        _ => return None,
    })
}

/// The Russian texts of a command.
struct CommandTexts {
    path: &'static str,
    about: &'static str,
    long_about: Option<&'static str>,
    after_help: Option<&'static str>,
}

/// The Russian help of an argument: `help` for `-h`, `long` (when it says more) for `--help`.
struct ArgTexts {
    path: &'static str,
    id: &'static str,
    help: &'static str,
    long: Option<&'static str>,
}

const fn arg(path: &'static str, id: &'static str, help: &'static str) -> ArgTexts {
    ArgTexts {
        path,
        id,
        help,
        long: None,
    }
}

const HELP: &str = "Показать справку (подробнее: --help)";
const HELP_LONG: &str = "Показать справку (кратко: -h)";

const COMMANDS: &[CommandTexts] = &[
    CommandTexts {
        path: "",
        about: "Находит ссылки на аватары чатов MAX через метод getAvatar GREEN-API (API v3)",
        long_about: None,
        after_help: Some(AFTER_HELP),
    },
    CommandTexts {
        path: "emulator",
        about: "Запускает локальный эмулятор API, чтобы попробовать без учётной записи: \
                eval \"$(getavatar emulator)\"",
        long_about: Some(
            "Запускает встроенный эмулятор getAvatar GREEN-API в фоне и печатает строки export, \
             которые направляют на него getavatar (и все привязки), чтобы их выполнила оболочка: \
             eval \"$(getavatar emulator)\"; остановить: kill $GA_EMULATOR_PID. Попробуйте \
             10000000, 20000000, 30000000, -10000000000000. Сборки для Linux и других Unix.",
        ),
        after_help: None,
    },
    CommandTexts {
        path: "help",
        about: "Показать эту справку или справку указанной команды",
        long_about: None,
        after_help: None,
    },
];

const ARGS: &[ArgTexts] = &[
    arg(
        "",
        "ids",
        "Идентификаторы чатов: пользователя (цифры, например 10000000) или группы (\"-\" и цифры)",
    ),
    arg(
        "",
        "from",
        "Читает идентификаторы чатов из CSV-файла (\"-\": стандартный ввод), по одному в строке",
    ),
    arg(
        "",
        "column",
        "Столбец с идентификаторами чатов: его имя в заголовке (регистр букв не важен) или номер, \
         начиная с 1. По умолчанию: первый столбец",
    ),
    arg(
        "",
        "delimiter",
        "Разделитель CSV для ввода и для вывода в CSV: \",\" \";\" \"tab\" или другой одиночный \
         символ. По умолчанию: определяется по входным данным",
    ),
    arg(
        "",
        "header",
        "Первая строка - заголовок (по умолчанию: определяется)",
    ),
    arg("", "no_header", "Первая строка - данные, а не заголовок"),
    ArgTexts {
        path: "",
        id: "format",
        help: "Формат вывода",
        long: Some(
            "Формат вывода\n\n\
             Возможные значения:\n\
             - text:  по строке на идентификатор: идентификатор чата, табуляция, затем ссылка (или \
             что произошло вместо неё), словами языка программы\n\
             - csv:   строка заголовка, затем по строке на идентификатор (с разделителем входных \
             данных, чтобы Excel открыл файл); заголовки одинаковы на всех языках\n\
             - jsonl: по объекту JSON в строке; ключи одинаковы на всех языках",
        ),
    },
    arg(
        "",
        "output",
        "Записывает строки в ФАЙЛ, а не на стандартный вывод",
    ),
    arg(
        "",
        "download",
        "Также сохраняет каждую картинку аватара в папку ПАПКА (создаётся, если её нет) под именем \
         CHAT_ID.РАСШИРЕНИЕ с расширением по типу содержимого, записывая файл атомарно; строка \
         результата называет файл",
    ),
    arg(
        "",
        "resume",
        "С -o ФАЙЛ: продолжает прерванный запуск (Ctrl-C, сбой инстанса, пропавшая сеть): \
         оставляет строки, которые уже есть в ФАЙЛе, запрашивает только остальные и дописывает \
         их, так что готовый файл совпадает с тем, что записал бы непрерванный запуск. Полный \
         ФАЙЛ остаётся как есть",
    ),
    arg(
        "",
        "keep_columns",
        "Вывод в CSV: каждая строка - это входная строка (все её ячейки, с разделителем входных \
         данных), а за ней столбцы программы, так что список контактов возвращается с именами",
    ),
    arg(
        "",
        "no_bom",
        "Без метки порядка байтов UTF-8 в начале вывода CSV. По умолчанию она пишется для \
         --format csv в файл (-o), а на стандартный вывод - когда она была во входных данных или \
         они были в UTF-16 или Windows-1251, чтобы Excel прочитал файл как UTF-8",
    ),
    arg(
        "",
        "no_progress",
        "Без индикатора выполнения (он показывается в стандартном потоке ошибок, только когда \
         это терминал)",
    ),
    arg(
        "",
        "api_url",
        "Адрес API из вашей консоли, например https://3100.api.green-api.com \
         [переменная окружения: GA_API_URL]",
    ),
    arg(
        "",
        "id_instance",
        "Идентификатор инстанса [переменная окружения: GA_ID_INSTANCE]",
    ),
    arg(
        "",
        "token_file",
        "Читает токен из ФАЙЛа (в нём только токен; держите файл закрытым от других) \
         [по умолчанию: переменная окружения GA_API_TOKEN_INSTANCE]",
    ),
    arg(
        "",
        "sandbox",
        "Работает со встроенным эмулятором вместо сервера, учётная запись не нужна (попробуйте \
         10000000, 20000000, 30000000, -10000000000000)",
    ),
    arg(
        "",
        "proxy",
        "\"system\" (переменные окружения прокси, затем в Windows свойства браузера; никогда для \
         loopback), \"env\" (только переменные окружения), \"none\" (напрямую) или URL прокси: \
         http://[user:password@]host[:port], socks5://... или socks5h://...",
    ),
    arg(
        "",
        "ca_file",
        "Доверять также сертификатам из этого файла PEM или DER (например, корневому \
         сертификату прокси, проверяющего TLS) в дополнение к хранилищу сертификатов системы; \
         можно указать несколько раз",
    ),
    arg(
        "",
        "trust",
        "Какие корневые сертификаты проверяют сервер: \"system\" (хранилище системы, где обычно \
         и находится корневой сертификат корпоративного прокси, проверяющего TLS) или \"bundled\" \
         (корневые сертификаты Mozilla, встроенные в getavatar)",
    ),
    arg(
        "",
        "rate_limit",
        "Запросов в секунду, общий темп для всех одновременных запросов (0: без ограничения)",
    ),
    arg("", "concurrency", "Сколько запросов выполняется одновременно"),
    arg(
        "",
        "timeout",
        "Тайм-аут каждой попытки в секундах (до 600; можно с дробной частью)",
    ),
    arg(
        "",
        "deadline",
        "Наибольшее время одного запроса в секундах, вместе с попытками и паузами между ними \
         (0: без лимита; до 3600; можно с дробной частью)",
    ),
    arg(
        "",
        "retries",
        "Повторы при временном сбое (тайм-ауты, 429, 5xx, сетевые ошибки)",
    ),
    arg(
        "",
        "cache_ttl",
        "Сколько секунд успешный ответ используется повторно для того же идентификатора чата \
         (0: выключено)",
    ),
    ArgTexts {
        path: "",
        id: "help",
        help: HELP,
        long: Some(HELP_LONG),
    },
    arg("", "version", "Показать версию"),
    arg(
        "emulator",
        "port",
        "Порт для приёма соединений (0: любой свободный)",
    ),
    arg(
        "emulator",
        "rate_limit",
        "Сколько запросов он принимает за скользящую секунду, прежде чем ответить 429, как \
         GREEN-API (0: без ограничения)",
    ),
    arg(
        "emulator",
        "foreground",
        "Вместо этого остаётся на переднем плане до Ctrl-C (строки печатаются всё равно)",
    ),
    ArgTexts {
        path: "emulator",
        id: "help",
        help: HELP,
        long: Some(HELP_LONG),
    },
];

const AFTER_HELP: &str = "\
Настройка (флаги важнее переменных окружения):
  GA_API_URL, GA_ID_INSTANCE       инстанс, из вашей консоли GREEN-API
  GA_API_TOKEN_INSTANCE            токен (или --token-file); флага, который принимал бы сам
                                   токен, нет намеренно: командную строку видят другие пользователи
  HTTPS_PROXY, http_proxy,         прокси, читаются так же, как их читает curl (если --proxy не
  ALL_PROXY, NO_PROXY              говорит иного; в Windows, когда ни одна не задана, - свойства
                                   браузера)
  В Windows, если токен не указан, используется токен инстанса, сохранённый в диспетчере учётных
  данных Windows (getavatar/<idInstance>: GaSaveToken в Excel, getavatar.save_credential в Python
  или cmdkey /generic:getavatar/<idInstance> /user:<idInstance> /pass).

Ввод: идентификаторы чатов аргументами или по одному в строке CSV-файла (--from). Разделитель
(',' ';' или табуляция) определяется по первым строкам, если не указан --delimiter; метка порядка
байтов UTF-8 (\"CSV UTF-8\" в Excel) и текст в UTF-16 понимаются; пустые строки пропускаются.
Первая строка считается заголовком, когда выбранная ячейка не идентификатор чата и не содержит цифр
(или всегда с --column ИМЯ, --header); неверный идентификатор получает свою строку с ошибкой, и
работа продолжается.

Вывод: по строке на идентификатор, в порядке ввода, как только результат известен: line (строка во
входных данных), chat_id, status (GA_OK или GA_ERR_...), http_status, url (пусто: аватара нет),
available (true, false или пусто, если сервер не сказал), file (с --download) и error. Заголовки
CSV, ключи JSON и названия статусов одинаковы на всех языках; строки --format text пишутся на
языке программы.

Сбой инстанса (401 неверный токен, 403, 404, 466 квота исчерпана, сбой сети, TLS или прокси,
тайм-аут без ответа сервера) останавливает работу на первом же, сохраняя готовые строки: с ним
столкнулся бы каждый следующий идентификатор.

Код выхода: 0 все идентификаторы успешны (включая \"нет аватара\"), 1 хотя бы один с ошибкой (или
работа остановлена сбоем инстанса), 2 ошибка использования или настройки (ничего не запрашивалось),
3 не удалось записать результат, 130 прервано (Ctrl-C; готовые строки записаны по порядку). Второй
Ctrl-C завершает работу сразу.

Язык: GA_LANG (en, ru), иначе локаль (LC_ALL, LC_MESSAGES, LANG).

Примеры:
  getavatar --sandbox 10000000 20000000
  getavatar --from ids.csv --column chat_id --format csv -o links.csv
  getavatar --from - --download avatars/ < ids.txt";

#[cfg(test)]
mod tests {
    use super::*;

    fn cyrillic(s: &str) -> bool {
        s.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
    }

    /// Every command and argument (clap's own --help, --version and `help` included) has its
    /// Russian texts, and the table names no argument that is gone.
    #[test]
    fn every_argument_has_its_russian_help() {
        let mut en = Args::command();
        en.build();
        let mut seen = Vec::new();
        let mut commands: Vec<(&str, &Command)> = vec![("", &en)];
        commands.extend(en.get_subcommands().map(|s| (s.get_name(), s)));
        for (path, cmd) in commands {
            assert!(
                COMMANDS.iter().any(|c| c.path == path),
                "command {path:?} has no Russian about"
            );
            if path == "help" {
                continue; // clap's: its one argument names a command
            }
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                assert!(
                    ARGS.iter().any(|t| t.path == path && t.id == id),
                    "{path} {id}: no Russian help (add it to ARGS in cli/src/help.rs)"
                );
                assert!(
                    ru_heading(a.get_help_heading(), a.is_positional()).is_some(),
                    "{path} {id}: heading {:?} has no Russian form",
                    a.get_help_heading()
                );
                seen.push((path, id));
            }
        }
        for t in ARGS {
            assert!(
                seen.contains(&(t.path, t.id)),
                "{} {}: in ARGS but not an argument",
                t.path,
                t.id
            );
            assert!(cyrillic(t.help), "{} {}", t.path, t.id);
        }
        for c in COMMANDS {
            assert!(cyrillic(c.about), "{}", c.path);
        }
    }

    /// The Russian command shows only Russian prose: each argument's help is from the table, and
    /// no English word of clap's remains in either help.
    #[test]
    fn the_russian_help_has_no_english_of_clap() {
        let mut ru = localised(Args::command(), Lang::Ru);
        for long in [false, true] {
            let help = if long {
                ru.render_long_help()
            } else {
                ru.render_help()
            }
            .to_string();
            for english in [
                "Usage",
                "Options",
                "Arguments",
                "Commands",
                "Print help",
                "Print version",
                "[default",
                "possible values",
                "Possible values",
                "OPTIONS",
                "COMMAND>",
            ] {
                assert!(!help.contains(english), "{english} in:\n{help}");
            }
            let sub = ru.find_subcommand_mut("emulator").unwrap();
            let help = if long {
                sub.render_long_help()
            } else {
                sub.render_help()
            }
            .to_string();
            for english in ["Usage", "Options", "Print help", "[default", "OPTIONS"] {
                assert!(!help.contains(english), "{english} in:\n{help}");
            }
            assert!(
                help.contains("Использование: getavatar emulator [ПАРАМЕТРЫ]"),
                "{help}"
            );
        }
    }

    /// `getavatar help help` and `getavatar help emulator` (clap's help command lists the
    /// commands again, as commands of its own) are Russian too.
    #[test]
    fn the_help_commands_own_list_is_russian() {
        for argv in [&["getavatar", "help", "help"][..], &["getavatar", "help"]] {
            let e = localised(Args::command(), Lang::Ru)
                .try_get_matches_from(argv)
                .unwrap_err();
            let help = e.render().to_string();
            for english in [
                "Print this message",
                "Starts a local emulator",
                "[COMMAND]",
                "Usage",
                "Commands",
            ] {
                assert!(!help.contains(english), "{argv:?}: {english} in:\n{help}");
            }
            assert!(cyrillic(&help), "{help}");
        }
    }

    /// Parsing is the same in both languages (only texts change).
    #[test]
    fn the_russian_command_parses_as_the_english_one() {
        use clap::FromArgMatches;
        let argv = [
            "getavatar",
            "--from",
            "ids.csv",
            "--format",
            "csv",
            "--rate-limit",
            "3",
            "-o",
            "out.csv",
        ];
        let parse = |lang| {
            let m = localised(Args::command(), lang)
                .try_get_matches_from(argv)
                .unwrap();
            format!("{:?}", Args::from_arg_matches(&m).unwrap())
        };
        assert_eq!(parse(Lang::Ru), parse(Lang::En));
        let e = localised(Args::command(), Lang::Ru)
            .try_get_matches_from(["getavatar", "--format", "xml"])
            .unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::InvalidValue);
    }
}
