//! Runs the getAvatar emulator until stopped (Ctrl-C), for trying the library by hand and for
//! tests in other languages.
//!
//! ```text
//! cargo run --example emulator -- [--port N] [--rate-limit N] [--quota N]
//!                                 [--id-instance ID] [--token TOKEN]
//! ```
//! Prints `GA_API_URL=...`, `GA_ID_INSTANCE=...` and `GA_API_TOKEN_INSTANCE=...` lines (ready
//! for `export`), then `GA_TEST_HTTP_PROXY=...` and `GA_TEST_SOCKS_PROXY=...` (two loopback
//! proxies, HTTP CONNECT and SOCKS5, that demand the user `ga-user` and password `ga-p@ss/1`,
//! percent-encoded in the URLs), then `ready`, on standard output.

use std::io::Write;

fn main() {
    let mut cfg = getavatar_emulator::Config {
        rate_limit: 10,
        ..Default::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| fail(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--port" => {
                cfg.port = val()
                    .parse()
                    .unwrap_or_else(|_| fail("--port takes a number"))
            }
            "--rate-limit" => {
                cfg.rate_limit = val()
                    .parse()
                    .unwrap_or_else(|_| fail("--rate-limit takes a number"))
            }
            "--quota" => {
                cfg.quota = Some(
                    val()
                        .parse()
                        .unwrap_or_else(|_| fail("--quota takes a number")),
                )
            }
            "--id-instance" => cfg.id_instance = val(),
            "--token" => cfg.token = val(),
            _ => fail(&format!("unknown argument {a}")),
        }
    }
    let emu = getavatar_emulator::Emulator::start(cfg)
        .unwrap_or_else(|e| fail(&format!("cannot listen: {e}")));
    let creds = Some(("ga-user", "ga-p@ss/1"));
    let encoded = Some(("ga-user", "ga-p%40ss%2F1"));
    let start = |k| {
        getavatar_emulator::TestProxy::start(k, creds)
            .unwrap_or_else(|e| fail(&format!("cannot start a proxy: {e}")))
    };
    let http_proxy = start(getavatar_emulator::ProxyKind::HttpConnect);
    let socks_proxy = start(getavatar_emulator::ProxyKind::Socks5);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "GA_API_URL={}", emu.url());
    let _ = writeln!(out, "GA_ID_INSTANCE={}", emu.id_instance());
    let _ = writeln!(out, "GA_API_TOKEN_INSTANCE={}", emu.token());
    let _ = writeln!(out, "GA_TEST_HTTP_PROXY={}", http_proxy.url_with(encoded));
    let _ = writeln!(out, "GA_TEST_SOCKS_PROXY={}", socks_proxy.url_with(encoded));
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("emulator: {msg}");
    std::process::exit(2)
}
