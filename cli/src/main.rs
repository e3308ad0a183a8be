//! `getavatar`: avatar links (and pictures) of MAX chats through GREEN-API's getAvatar, for one
//! id or a CSV of thousands. See `docs/cli.md` and `getavatar --help`.

mod args;
mod config;
mod input;
mod lookup;
mod output;
mod progress;
mod runner;
mod sandbox;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clap::Parser;

use args::Args;
use input::Job;
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
    let args = Args::parse();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("getavatar: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
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
            return Err("no chat ids: give them as arguments or --from FILE (see --help)".into());
        }
        if args.column.is_some() || args.header || args.no_header {
            return Err("--column, --header and --no-header go with --from FILE".into());
        }
    }
    let configured = config::client(args)?;
    if let Some(emu) = &configured.sandbox {
        eprintln!("sandbox: emulator at {}", sandbox::url(emu));
    }
    let (jobs, delimiter) = read_jobs(args, delimiter)?;
    if let Some(dir) = &args.download {
        std::fs::create_dir_all(dir).map_err(|e| format!("--download {}: {e}", dir.display()))?;
    }
    let out = open_output(args)?;
    let mut writer = Writer::new(out, args.format, delimiter, args.download.is_some())
        .map_err(|e| format!("cannot write the output: {e}"))?;
    if jobs.is_empty() {
        eprintln!("getavatar: no chat ids in the input");
        return Ok(ExitCode::SUCCESS);
    }
    Ok(look_up(args, &configured.client, &jobs, &mut writer))
}

/// The jobs, and the delimiter for CSV output (the input's, so Excel opens both alike).
fn read_jobs(args: &Args, delimiter: Option<u8>) -> Result<(Vec<Job>, u8), String> {
    let Some(from) = &args.from else {
        return Ok((input::from_args(&args.ids), delimiter.unwrap_or(b',')));
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
    let csv = input::read_csv(&data, &opts)?;
    Ok((csv.jobs, csv.delimiter))
}

/// Standard output, or the `--output` file (never the input file itself).
fn open_output(args: &Args) -> Result<Box<dyn Write + Send>, String> {
    let Some(path) = &args.output else {
        return Ok(Box::new(std::io::BufWriter::new(std::io::stdout())));
    };
    if let Some(from) = args.from.as_deref().filter(|f| *f != "-") {
        let same = std::fs::canonicalize(from).ok() == std::fs::canonicalize(path).ok()
            && std::fs::canonicalize(path).is_ok();
        if same {
            return Err("--output is the --from file: it would be overwritten".into());
        }
    }
    let f = std::fs::File::create(path).map_err(|e| format!("--output {}: {e}", path.display()))?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}

/// Looks every job up, writes the rows, and says how it went.
fn look_up(args: &Args, client: &getavatar::Client, jobs: &[Job], writer: &mut Writer) -> ExitCode {
    let stop = Arc::new(Stop::default());
    let presses = AtomicUsize::new(0);
    let on_interrupt = {
        let stop = Arc::clone(&stop);
        move || {
            if presses.fetch_add(1, Ordering::SeqCst) == 0 {
                stop.request();
                eprintln!(
                    "\ngetavatar: interrupted: stopping the lookups in flight (Ctrl-C again to quit now)"
                );
            } else {
                let _writing = WRITING.lock();
                std::process::exit(EXIT_INTERRUPTED.into());
            }
        }
    };
    if let Err(e) = ctrlc::set_handler(on_interrupt) {
        eprintln!("getavatar: warning: Ctrl-C will not stop cleanly: {e}");
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
            eprintln!("getavatar: cannot write the output: {e}");
        }
        return ExitCode::from(EXIT_OUTPUT);
    }
    if stop.requested() && summary.written < jobs.len() {
        eprintln!(
            "getavatar: interrupted: wrote {} of {} rows; the rest were not looked up",
            summary.written,
            jobs.len()
        );
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    if summary.failed > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}
