//! `--sandbox`: the bundled emulator, started in this process. Unix builds only: the emulator's
//! TLS front and fault injection use Unix socket calls; on Windows `--sandbox` says so.

/// A running sandbox emulator (kept alive as long as the client uses it).
#[cfg(unix)]
pub type Sandbox = getavatar_emulator::Emulator;

/// No sandbox on this platform: a value of this type cannot exist.
#[cfg(not(unix))]
pub enum Sandbox {}

/// Starts the emulator: the sandbox, its apiUrl, idInstance and token.
#[cfg(unix)]
pub fn start() -> Result<(Sandbox, String, String, String), String> {
    let cfg = getavatar_emulator::Config {
        rate_limit: 10,
        ..Default::default()
    };
    let emu = getavatar_emulator::Emulator::start(cfg).map_err(|e| {
        crate::messages::Msg::SandboxNoStart {
            error: e.to_string(),
        }
        .text()
    })?;
    let (url, id, token) = (emu.url(), emu.id_instance(), emu.token());
    Ok((emu, url, id, token))
}

/// Says that this build has no sandbox.
#[cfg(not(unix))]
pub fn start() -> Result<(Sandbox, String, String, String), String> {
    Err(crate::messages::Msg::SandboxWindows.text())
}

/// The sandbox's apiUrl, for the message on stderr.
pub fn url(sandbox: &Sandbox) -> String {
    #[cfg(unix)]
    return sandbox.url();
    #[cfg(not(unix))]
    match *sandbox {}
}

/// `getavatar emulator`: starts the emulator on `port` (0: a free one) answering at most
/// `rate_limit` requests per second, prints `export` lines for a shell to `eval`, and keeps it
/// running: in a background process of its own (its id in `GA_EMULATOR_PID`; this process exits
/// once the lines are printed, so `eval "$(getavatar emulator)"` returns), or with `foreground`
/// in this one until it is stopped.
#[cfg(unix)]
pub fn serve(port: u16, rate_limit: u32, foreground: bool) -> Result<(), String> {
    use std::io::{Read, Write};
    let start = || {
        let cfg = getavatar_emulator::Config {
            rate_limit,
            port,
            ..Default::default()
        };
        getavatar_emulator::Emulator::start(cfg).map_err(|e| {
            crate::messages::Msg::EmulatorCannotListen {
                error: e.to_string(),
            }
            .text()
        })
    };
    // Shell text (a shell evals it); only the comment follows the language.
    let stop_it = crate::messages::Msg::EmulatorStopIt.text();
    let lines = |emu: &getavatar_emulator::Emulator, pid: u32| {
        format!(
            "export GA_API_URL='{}'\nexport GA_ID_INSTANCE='{}'\nexport GA_API_TOKEN_INSTANCE='{}'\n\
             export GA_EMULATOR_PID={pid}  # {stop_it}: kill $GA_EMULATOR_PID\n",
            emu.url(),
            emu.id_instance(),
            emu.token()
        )
    };
    if foreground {
        let emu = start()?;
        let mut out = std::io::stdout();
        let _ = out.write_all(lines(&emu, std::process::id()).as_bytes());
        let _ = out.flush();
        loop {
            std::thread::park();
        }
    }
    // Before any thread exists: a child forked now is a whole process. It reports through a
    // pipe (the lines, or why it could not start) and the parent prints that and exits.
    let mut fds = [0; 2];
    // SAFETY: fds is an array of two ints, as pipe() wants.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: this process has one thread (nothing was started yet), so the child may run Rust.
    match unsafe { libc::fork() } {
        -1 => Err(format!("fork: {}", std::io::Error::last_os_error())),
        0 => {
            // SAFETY: fds[1] is this process's write end; the others are plain fd calls.
            let mut report = unsafe {
                libc::close(fds[0]);
                libc::setsid();
                <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[1])
            };
            let emu = match start() {
                Ok(e) => e,
                Err(m) => {
                    let _ = report.write_all(format!("error: {m}").as_bytes());
                    std::process::exit(1);
                }
            };
            let _ = report.write_all(lines(&emu, std::process::id()).as_bytes());
            drop(report);
            // Away from the terminal and the shell's pipe: stdin, stdout, stderr to /dev/null.
            if let Ok(null) = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")
            {
                use std::os::fd::AsRawFd;
                for fd in 0..3 {
                    // SAFETY: dup2 onto the standard descriptors.
                    unsafe { libc::dup2(null.as_raw_fd(), fd) };
                }
            }
            loop {
                std::thread::park();
            }
        }
        _child => {
            // SAFETY: fds[0] is this process's read end.
            let mut from_child = unsafe {
                libc::close(fds[1]);
                <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[0])
            };
            let mut said = String::new();
            let _ = from_child.read_to_string(&mut said);
            if let Some(m) = said.strip_prefix("error: ") {
                return Err(m.to_string());
            }
            if said.is_empty() {
                return Err(crate::messages::Msg::EmulatorDidNotStart.text());
            }
            print!("{said}");
            Ok(())
        }
    }
}

/// No emulator in this build.
#[cfg(not(unix))]
pub fn serve(_port: u16, _rate_limit: u32, _foreground: bool) -> Result<(), String> {
    Err(crate::messages::Msg::EmulatorWindows.text())
}
