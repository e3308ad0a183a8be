//! The command line: every flag, its default and its help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use getavatar::internals::defaults;

use crate::messages::Msg;

/// How result rows are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per id: the chat id, a tab, then the link (or what happened instead).
    Text,
    /// A header row, then one row per id (the input's delimiter, so Excel opens it).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

const AFTER_HELP: &str = "\
Configuration (flags win over the environment):
  GA_API_URL, GA_ID_INSTANCE       the instance, from your GREEN-API console
  GA_API_TOKEN_INSTANCE            the token (or --token-file); there is deliberately no flag that
                                   takes the token itself, since other users can read a command line
  HTTPS_PROXY, http_proxy,         proxies, read as curl reads them (unless --proxy says otherwise;
  ALL_PROXY, NO_PROXY              on Windows, when none is set, the Internet Options)
  On Windows, with no token given, the token stored in Windows Credential Manager for the
  instance (getavatar/<idInstance>: GaSaveToken in Excel, getavatar.save_credential in Python, or
  cmdkey /generic:getavatar/<idInstance> /user:<idInstance> /pass) is used.

Input: chat ids as arguments, or one per row of a CSV file (--from). The delimiter (',' ';' or
tab) is detected from the first rows unless --delimiter is given; a UTF-8 byte order mark (Excel's
\"CSV UTF-8\") and UTF-16 text are understood; blank rows are skipped. The first row is taken as a
header when its chosen cell is neither a chat id nor holds any digit (or always with --column NAME,
--header); a bad id is reported on its own row and the run goes on.

Output: one row per id, in input order, as soon as it is known: line (in the input), chat_id,
status (GA_OK or GA_ERR_...), http_status, url (empty: no avatar), available (true, false, or
empty when the server did not say), file (with --download) and error.

A failure of the instance (401 wrong token, 403, 404, 466 quota used up, a network, TLS or proxy
failure, a timeout that reached no server) stops the run at the first one, keeping the rows done:
every other id would meet it.

Exit status: 0 every id succeeded (including \"no avatar\"), 1 at least one id failed (or the run
stopped at a failure of the instance), 2 usage or configuration error (nothing looked up), 3 the
output could not be written, 130 interrupted (Ctrl-C; the rows finished so far are written, in
order). Ctrl-C twice quits at once.

Language: GA_LANG (en, ru), else the locale (LC_ALL, LC_MESSAGES, LANG). CSV headers, JSON keys
and status names are the same in every language; --format text rows follow it.

Examples:
  getavatar --sandbox 10000000 20000000
  getavatar --from ids.csv --column chat_id --format csv -o links.csv
  getavatar --from - --download avatars/ < ids.txt";

/// Looks up avatar links of MAX chats through GREEN-API's getAvatar (API v3).
#[derive(Parser, Debug)]
#[command(
    name = "getavatar",
    version,
    after_help = AFTER_HELP,
    allow_negative_numbers = true,
    args_conflicts_with_subcommands = true,
    max_term_width = 100
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Chat ids: a user id (digits, e.g. 10000000) or a group id ("-" then digits).
    #[arg(value_name = "CHAT_ID", conflicts_with = "from")]
    pub ids: Vec<String>,

    /// Reads the chat ids from a CSV file ("-": standard input), one per row.
    #[arg(long, value_name = "FILE|-", help_heading = "Input")]
    pub from: Option<String>,

    /// The column holding the chat ids: its header name (any letter case) or its number from 1.
    /// Default: the first column.
    #[arg(long, value_name = "NAME_OR_NUMBER", help_heading = "Input")]
    pub column: Option<String>,

    /// The CSV delimiter, for input and CSV output: "," ";" "tab" or another single character.
    /// Default: detected from the input.
    #[arg(long, value_name = "CHAR", help_heading = "Input")]
    pub delimiter: Option<String>,

    /// The first row is a header (default: detected).
    #[arg(long, conflicts_with = "no_header", help_heading = "Input")]
    pub header: bool,

    /// The first row is data, not a header.
    #[arg(long, help_heading = "Input")]
    pub no_header: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = "Output")]
    pub format: Format,

    /// Writes the rows to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,

    /// Also saves each avatar picture in DIR (created if missing), as CHAT_ID.EXT with the
    /// extension from its content type, written atomically; the row names the file.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub download: Option<PathBuf>,

    /// With -o FILE: goes on from a run that was cut short (Ctrl-C, a failure of the instance, a
    /// lost network): keeps the rows FILE already has, looks up only the rest and appends them,
    /// so the finished file is the one an uncut run writes. A complete FILE is left as it is.
    #[arg(long, requires = "output", help_heading = "Output")]
    pub resume: bool,

    /// CSV output: each row is the input row (all its cells, in the input's delimiter) followed
    /// by the tool's columns, so a contact list comes back with its names.
    #[arg(long, help_heading = "Output")]
    pub keep_columns: bool,

    /// No UTF-8 byte order mark at the start of CSV output. Default: written for --format csv to
    /// a file (-o), or to standard output when the input had one or was UTF-16 or Windows-1251,
    /// so that Excel reads the file as UTF-8.
    #[arg(long, help_heading = "Output")]
    pub no_bom: bool,

    /// No progress bar (it is shown on standard error only when that is a terminal).
    #[arg(long, help_heading = "Output")]
    pub no_progress: bool,

    /// The API host from your console, e.g. https://3100.api.green-api.com [env: GA_API_URL]
    #[arg(long, value_name = "URL", help_heading = "Connection")]
    pub api_url: Option<String>,

    /// The instance id [env: GA_ID_INSTANCE]
    #[arg(long, value_name = "ID", help_heading = "Connection")]
    pub id_instance: Option<String>,

    /// Reads the token from FILE (its only content; keep it private)
    /// [default: env GA_API_TOKEN_INSTANCE]
    #[arg(long, value_name = "FILE", help_heading = "Connection")]
    pub token_file: Option<PathBuf>,

    /// Talks to a built-in emulator instead, no account needed (try 10000000, 20000000,
    /// 30000000, -10000000000000).
    #[arg(long, conflicts_with_all = ["api_url", "id_instance", "token_file"], help_heading = "Connection")]
    pub sandbox: bool,

    /// "system" (the proxy environment variables, then on Windows the Internet Options; never
    /// for loopback), "env" (the environment variables only), "none" (direct), or a proxy URL:
    /// http://[user:password@]host[:port], socks5://... or socks5h://...
    #[arg(
        long,
        value_name = "URL|system|env|none",
        default_value = "system",
        help_heading = "Connection"
    )]
    pub proxy: String,

    /// Also trusts the certificates in this PEM or DER file (e.g. a TLS-inspecting proxy's root),
    /// in addition to the system's certificate store; may be repeated.
    #[arg(long, value_name = "FILE", help_heading = "Connection")]
    pub ca_file: Vec<String>,

    /// Which root certificates verify the server: "system" (the system's store, where a company's
    /// TLS-inspecting proxy root usually is) or "bundled" (Mozilla's roots built into getavatar).
    #[arg(long, value_name = "system|bundled", default_value = "system",
          value_parser = ["system", "bundled"], help_heading = "Connection")]
    pub trust: String,

    /// Requests started per second, shared by all concurrent lookups (0: no limit).
    #[arg(long, value_name = "N", default_value_t = defaults::RATE_LIMIT,
          value_parser = clap::value_parser!(u32).range(0..=defaults::MAX_RATE_LIMIT as i64),
          help_heading = "Settings")]
    pub rate_limit: u32,

    /// Lookups in flight at once.
    #[arg(long, value_name = "N", default_value_t = defaults::CONCURRENCY,
          value_parser = clap::value_parser!(u32).range(1..=defaults::MAX_CONCURRENCY as i64),
          help_heading = "Settings")]
    pub concurrency: u32,

    /// Timeout of each attempt, in seconds (up to 600; fractions allowed).
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_timeout,
          help_heading = "Settings")]
    pub timeout: u32,

    /// Most time one lookup may take, in seconds, attempts and waits between them included
    /// (0: no limit; up to 3600; fractions allowed).
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = parse_deadline,
          help_heading = "Settings")]
    pub deadline: u32,

    /// Retries of a transient failure (timeouts, 429, 5xx, network errors).
    #[arg(long, value_name = "N", default_value_t = defaults::MAX_RETRIES,
          value_parser = clap::value_parser!(u32).range(0..=defaults::MAX_MAX_RETRIES as i64),
          help_heading = "Settings")]
    pub retries: u32,

    /// Seconds a successful answer is reused for a repeated chat id (0: off).
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::MAX_CACHE_TTL_S,
          value_parser = clap::value_parser!(u32).range(0..=defaults::MAX_CACHE_TTL_S as i64),
          help_heading = "Settings")]
    pub cache_ttl: u32,
}

/// Commands other than a lookup.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Starts a local emulator of the API, for trying without an account: eval "$(getavatar emulator)"
    ///
    /// Starts the built-in emulator of GREEN-API's getAvatar in the background and prints the
    /// export lines that point getavatar (and every binding) at it, for a shell to run:
    /// eval "$(getavatar emulator)"; stop it with kill $GA_EMULATOR_PID. Try 10000000,
    /// 20000000, 30000000, -10000000000000. Linux and other Unix builds.
    Emulator {
        /// The port to listen on (default: a free one).
        #[arg(long, value_name = "N", default_value_t = 0)]
        port: u16,
        /// Requests it accepts per rolling second before answering 429, as GREEN-API does
        /// (0: no limit).
        #[arg(long, value_name = "N", default_value_t = 10)]
        rate_limit: u32,
        /// Stays in the foreground until Ctrl-C instead (the lines are printed all the same).
        #[arg(long)]
        foreground: bool,
    },
}

/// `--deadline` in seconds (decimals allowed) as milliseconds, 0 (none) to 3600 s.
fn parse_deadline(s: &str) -> Result<u32, String> {
    let secs: f64 = s.trim().parse().map_err(|_| {
        Msg::NotSeconds {
            value: format!("{s:?}"),
        }
        .text()
    })?;
    let ms = (secs * 1000.0).round();
    if !(0.0..=3_600_000.0).contains(&ms) {
        return Err(Msg::DeadlineRange.text());
    }
    Ok(ms as u32)
}

/// `--timeout` in seconds (decimals allowed) as milliseconds, 1 ms to 600 s.
fn parse_timeout(s: &str) -> Result<u32, String> {
    let secs: f64 = s.trim().parse().map_err(|_| {
        Msg::NotSeconds {
            value: format!("{s:?}"),
        }
        .text()
    })?;
    let ms = (secs * 1000.0).round();
    if !(1.0..=defaults::MAX_TIMEOUT_MS as f64).contains(&ms) {
        return Err(Msg::TimeoutRange.text());
    }
    Ok(ms as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn timeouts_are_seconds_with_fractions() {
        assert_eq!(parse_timeout("2.5"), Ok(2500));
        assert_eq!(parse_timeout("600"), Ok(600_000));
        for bad in ["0", "-1", "601", "NaN", "inf", "x", ""] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_deadline("0"), Ok(0));
        assert_eq!(parse_deadline("1.5"), Ok(1500));
        assert_eq!(parse_deadline("3600"), Ok(3_600_000));
        for bad in ["-1", "3601", "NaN", "x"] {
            assert!(parse_deadline(bad).is_err(), "{bad}");
        }
    }
}
