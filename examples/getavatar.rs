//! Prints the avatar link of a MAX user or group chat.
//!
//! ```text
//! GA_API_URL=https://3100.api.green-api.com GA_ID_INSTANCE=3100000001 \
//! GA_API_TOKEN_INSTANCE=... cargo run --release --example getavatar -- 10000000
//! cargo run --release --example getavatar -- --sandbox 10000000
//! ```
//! `--sandbox` runs against the bundled emulator, so it works with no account.
//! Exit status: 0 found (or no avatar), 1 the lookup failed, 2 usage or configuration error.

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: getavatar [--sandbox] CHAT_ID\n\
         \n\
         Prints the avatar link of CHAT_ID (a user id such as 10000000, or a group id such as\n\
         -10000000000000). Reads GA_API_URL, GA_ID_INSTANCE and GA_API_TOKEN_INSTANCE; with\n\
         --sandbox, talks to a local emulator instead (try 10000000, 20000000, 30000000)."
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut sandbox = false;
    let mut chat_id = None;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--sandbox" => sandbox = true,
            "-h" | "--help" => return usage(),
            _ if chat_id.is_none() => chat_id = Some(a),
            _ => return usage(),
        }
    }
    let Some(chat_id) = chat_id else {
        return usage();
    };

    let _emulator;
    let (url, id, token) = if sandbox {
        let cfg = getavatar_emulator::Config {
            rate_limit: 10,
            ..Default::default()
        };
        let emu = match getavatar_emulator::Emulator::start(cfg) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: could not start the sandbox emulator: {e}");
                return ExitCode::from(2);
            }
        };
        let v = (emu.url(), emu.id_instance(), emu.token());
        eprintln!("sandbox: emulator at {}", v.0);
        _emulator = emu;
        v
    } else {
        let var = |name: &str| std::env::var(name).map_err(|_| name.to_string());
        match (
            var("GA_API_URL"),
            var("GA_ID_INSTANCE"),
            var("GA_API_TOKEN_INSTANCE"),
        ) {
            (Ok(u), Ok(i), Ok(t)) => (u, i, t),
            (u, i, t) => {
                let missing: Vec<String> =
                    [u.err(), i.err(), t.err()].into_iter().flatten().collect();
                eprintln!("error: set {} (or use --sandbox)", missing.join(", "));
                return ExitCode::from(2);
            }
        }
    };

    let client = match getavatar::Client::new(&url, &id, &token) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match client.get_avatar(&chat_id) {
        Ok(a) => {
            if a.url.is_empty() {
                let why = match a.available {
                    Some(false) => "hidden by the user's privacy settings",
                    _ => "none set, or no such account",
                };
                eprintln!("no avatar: {why}");
            }
            println!("{}", a.url);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: {} (HTTP {}): {}",
                e.status, e.http_status, e.message
            );
            ExitCode::from(1)
        }
    }
}
