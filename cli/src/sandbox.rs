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
    let emu = getavatar_emulator::Emulator::start(cfg)
        .map_err(|e| format!("could not start the sandbox emulator: {e}"))?;
    let (url, id, token) = (emu.url(), emu.id_instance(), emu.token());
    Ok((emu, url, id, token))
}

/// Says that this build has no sandbox.
#[cfg(not(unix))]
pub fn start() -> Result<(Sandbox, String, String, String), String> {
    Err(
        "--sandbox is not available in the Windows build; run the emulator elsewhere \
         (cargo run --example emulator) and point GA_API_URL, GA_ID_INSTANCE and \
         GA_API_TOKEN_INSTANCE at it"
            .into(),
    )
}

/// The sandbox's apiUrl, for the message on stderr.
pub fn url(sandbox: &Sandbox) -> String {
    #[cfg(unix)]
    return sandbox.url();
    #[cfg(not(unix))]
    match *sandbox {}
}
