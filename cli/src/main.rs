//! `getavatar`: avatar links (and pictures) of MAX chats through GREEN-API's getAvatar, for one
//! id or a CSV of thousands. See `docs/cli.md` and `getavatar --help`.

mod args;
mod config;
mod help;
mod input;
mod lookup;
mod messages;
mod output;
mod progress;
mod resume;
mod runner;
mod sandbox;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clap::FromArgMatches;

use args::Args;
use input::Job;
use messages::Msg;
use output::Writer;
use progress::Progress;
use runner::Stop;

/// Exit statuses (documented in `--help` and docs/cli.md).
const EXIT_SOME_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_OUTPUT: u8 = 3;
const EXIT_INTERRUPTED: u8 = 130;

/// Held while a row is written, so that a second Ctrl-C never cuts one in half.
static WRITING: Mutex<()> = Mutex::new(());

fn main() -> ExitCode {
    // The derived command line, its help in the process's language (help.rs).
    let matches = help::command()
        .try_get_matches()
        .unwrap_or_else(|e| exit_clap(e));
    let args = Args::from_arg_matches(&matches)
        .unwrap_or_else(|e| exit_clap(e.format(&mut help::command())));
    if let Some(args::Command::Emulator {
        port,
        rate_limit,
        foreground,
    }) = args.command
    {
        return match sandbox::serve(port, rate_limit, foreground) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("getavatar emulator: {message}");
                ExitCode::from(EXIT_USAGE)
            }
        };
    }
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("getavatar: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Exits as clap does for `e` (help and version on standard output, exit 0), but a mistake's
/// text has each argument that looks like a secret masked as the library masks input: clap
/// quotes the value it refuses ("invalid value '...' for '--timeout'"), and the token may have
/// been pasted there.
fn exit_clap(e: clap::Error) -> ! {
    if !e.use_stderr() {
        e.exit();
    }
    let mut text = e.render().to_string();
    for arg in std::env::args_os().skip(1) {
        let arg = arg.to_string_lossy();
        let value = arg.split_once('=').map_or(&*arg, |(_, v)| v);
        for part in [&*arg, value] {
            let masked = getavatar::internals::redact::mask_secret_like(part);
            if masked != part {
                text = text.replace(part, &masked);
            }
        }
    }
    eprint!("{text}");
    std::process::exit(e.exit_code());
}

/// Everything after parsing. An `Err` is a usage or configuration error (nothing looked up).
fn run(args: &Args) -> Result<ExitCode, String> {
    let delimiter = args
        .delimiter
        .as_deref()
        .map(input::parse_delimiter)
        .transpose()?;
    if args.from.is_none() {
        if args.ids.is_empty() {
            return Err(Msg::NoIds.text());
        }
        if args.column.is_some() || args.header || args.no_header {
            return Err(Msg::ColumnNeedsFrom.text());
        }
    }
    if args.keep_columns && (args.from.is_none() || args.format != args::Format::Csv) {
        return Err(Msg::KeepColumnsNeeds.text());
    }
    let configured = config::client(args)?;
    if let Some(emu) = &configured.sandbox {
        eprintln!(
            "{}",
            Msg::SandboxAt {
                url: sandbox::url(emu).to_string()
            }
            .text()
        );
    }
    let input = read_jobs(args, delimiter)?;
    if let Some(dir) = &args.download {
        std::fs::create_dir_all(dir).map_err(|e| {
            Msg::DownloadDir {
                dir: dir.display().to_string(),
                error: e.to_string(),
            }
            .text()
        })?;
    }
    let layout = output::Layout {
        format: args.format,
        delimiter: input.delimiter,
        with_file: args.download.is_some(),
        kept: args
            .keep_columns
            .then(|| (input.width, input.header.clone())),
    };
    let (out, done) = open_output(args, &layout, &input.jobs)?;
    // Excel reads a CSV file without the mark in the system's ANSI code page.
    let bom = args.format == args::Format::Csv
        && !args.no_bom
        && (args.output.is_some() || input.excel_encoding);
    let mut writer = Writer::new(out, layout, done.fresh, bom).map_err(|e| {
        Msg::CannotWriteOutput {
            error: e.to_string(),
        }
        .text()
    })?;
    let jobs = &input.jobs[done.rows..];
    if input.jobs.is_empty() {
        eprintln!("{}", Msg::NoIdsInInput.text());
        return Ok(ExitCode::SUCCESS);
    }
    if jobs.is_empty() {
        let path = args
            .output
            .as_deref()
            .unwrap_or(Path::new(""))
            .display()
            .to_string();
        let (rows, failed) = (done.rows, done.failed);
        eprintln!("{}", Msg::AlreadyDone { path, rows, failed }.text());
        return Ok(if done.failed > 0 {
            ExitCode::from(EXIT_SOME_FAILED)
        } else {
            ExitCode::SUCCESS
        });
    }
    if done.rows > 0 {
        let (rows, total, rest) = (done.rows, input.jobs.len(), jobs.len());
        eprintln!("{}", Msg::Resuming { rows, total, rest }.text());
    }
    Ok(look_up(args, &configured.client, jobs, &done, &mut writer))
}

/// The jobs, the delimiter for CSV output (the input's, so Excel opens both alike), and what
/// `--keep-columns` and the byte order mark need to know of the input.
fn read_jobs(args: &Args, delimiter: Option<u8>) -> Result<input::CsvInput, String> {
    let Some(from) = &args.from else {
        return Ok(input::CsvInput {
            jobs: input::from_args(&args.ids),
            delimiter: delimiter.unwrap_or(b','),
            header: None,
            width: 0,
            excel_encoding: false,
        });
    };
    let data = input::read_source(from)?;
    let opts = input::CsvOptions {
        column: args.column.clone(),
        delimiter,
        header: match (args.header, args.no_header) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    };
    input::read_csv(&data, &opts)
}

/// Standard output, or the `--output` file (never the input file itself), and what it already
/// holds: with `--resume`, the rows of an earlier run (the file is then appended to, after any
/// part row at its end is cut); otherwise nothing (the file is created or emptied).
fn open_output(
    args: &Args,
    layout: &output::Layout,
    jobs: &[Job],
) -> Result<(Box<dyn Write + Send>, resume::Done), String> {
    let fresh = resume::Done {
        rows: 0,
        failed: 0,
        keep: 0,
        fresh: true,
    };
    let Some(path) = &args.output else {
        return Ok((Box::new(std::io::BufWriter::new(std::io::stdout())), fresh));
    };
    if let Some(from) = args.from.as_deref().filter(|f| *f != "-") {
        let same = std::fs::canonicalize(from).ok() == std::fs::canonicalize(path).ok()
            && std::fs::canonicalize(path).is_ok();
        if same || same_file(Path::new(from), path) {
            return Err(Msg::OutputIsInput.text());
        }
    }
    let shown = path.display();
    if args.resume && path.exists() {
        let data = std::fs::read(path).map_err(|e| {
            Msg::ResumeCannotRead {
                path: shown.to_string(),
                error: e.to_string(),
            }
            .text()
        })?;
        let done = resume::read(&data, layout, jobs).map_err(|why| {
            Msg::ResumeLeftAlone {
                path: shown.to_string(),
                why,
            }
            .text()
        })?;
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| {
                use std::io::Seek;
                f.set_len(done.keep)?;
                f.seek(std::io::SeekFrom::End(0))?;
                Ok(f)
            })
            .map_err(|e| format!("--output {shown}: {e}"))?;
        return Ok((Box::new(std::io::BufWriter::new(f)), done));
    }
    let f = std::fs::File::create(path).map_err(|e| format!("--output {shown}: {e}"))?;
    Ok((Box::new(std::io::BufWriter::new(f)), fresh))
}

/// Whether two paths name one file (another hard link to it too; Unix: device and inode).
#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> bool {
    false
}

/// Looks every job up, writes the rows, and says how it went.
fn look_up(
    args: &Args,
    client: &getavatar::Client,
    jobs: &[Job],
    done: &resume::Done,
    writer: &mut Writer,
) -> ExitCode {
    let stop = Arc::new(Stop::default());
    let presses = AtomicUsize::new(0);
    let on_interrupt = {
        let stop = Arc::clone(&stop);
        move || {
            if presses.fetch_add(1, Ordering::SeqCst) == 0 {
                stop.request();
                eprintln!("{}", Msg::Interrupting.text());
            } else {
                let _writing = WRITING.lock();
                std::process::exit(EXIT_INTERRUPTED.into());
            }
        }
    };
    if let Err(e) = ctrlc::set_handler(on_interrupt) {
        eprintln!(
            "{}",
            Msg::NoCleanCtrlC {
                error: e.to_string()
            }
            .text()
        );
    }
    let progress = Progress::new(jobs.len(), !args.no_progress);
    let failed = AtomicUsize::new(0);
    let download = args.download.as_deref();
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let (summary, written) = runner::run(
        jobs.len(),
        args.concurrency as usize,
        &stop,
        |i| {
            let row = lookup::row_for(client, &jobs[i], download, stop.token());
            let f = failed.fetch_add(usize::from(row.failed()), Ordering::SeqCst);
            progress.step(f + usize::from(row.failed()), client.rate());
            row
        },
        |row| {
            let _writing = WRITING.lock();
            if to_terminal {
                progress.suspend(|| writer.write(row))
            } else {
                writer.write(row)
            }
        },
    );
    progress.finish(summary.written, summary.failed, client.rate());
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let error = e.to_string();
            eprintln!("getavatar: {}", Msg::CannotWriteOutput { error }.text());
        }
        return ExitCode::from(EXIT_OUTPUT);
    }
    if let Some(r) = stop.halted_by() {
        let http = match r.http_status {
            h if h == 0 || r.error.contains(&format!("HTTP {h}")) => String::new(),
            h => format!(" (HTTP {h})"),
        };
        let hint = if args.output.is_some() {
            Msg::FixThenResume.text()
        } else {
            String::new()
        };
        let m = Msg::StoppedAt {
            line: r.line as usize,
            chat_id: r.chat_id.to_string(),
            status: r.status.to_string(),
            http,
            error: r.error.to_string(),
            written: done.rows + summary.written,
            total: done.rows + jobs.len(),
            hint,
        };
        eprintln!("{}", m.text());
        return ExitCode::from(EXIT_SOME_FAILED);
    }
    if stop.requested() && summary.written < jobs.len() {
        let hint = if args.output.is_some() {
            Msg::AddResume.text()
        } else {
            String::new()
        };
        let (written, total) = (done.rows + summary.written, done.rows + jobs.len());
        eprintln!(
            "{}",
            Msg::InterruptedWrote {
                written,
                total,
                hint
            }
            .text()
        );
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    if done.failed + summary.failed > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}
