//! Runs the getAvatar emulator until stopped (Ctrl-C), for trying the library by hand and for
//! tests in other languages.
//!
//! ```text
//! cargo run --example emulator -- [--port N] [--rate-limit N] [--quota N]
//!                                 [--id-instance ID] [--token TOKEN]
//!                                 [--tls] [--ca-out PATH] [--rtt-ms N]
//!                                 [--accept-delay-ms N] [--tls-delay-ms N]
//! ```
//! Prints `GA_API_URL=...`, `GA_ID_INSTANCE=...` and `GA_API_TOKEN_INSTANCE=...` lines (ready
//! for `export`), then `GA_TEST_HTTP_PROXY=...` and `GA_TEST_SOCKS_PROXY=...` (two loopback
//! proxies, HTTP CONNECT and SOCKS5, that demand the user `ga-user` and password `ga-p@ss/1`,
//! percent-encoded in the URLs), then `GA_CONTROL_URL=...` (the plain-HTTP port, for
//! `/__emulator/...`), then `ready`, on standard output.
//!
//! `--tls` serves HTTPS (TLS 1.3, session tickets) with a self-signed certificate, written to
//! `--ca-out` (default: a file in the temporary directory) and printed as `GA_CA_FILE=...`.
//! `--rtt-ms N` puts a delaying relay (N ms per round trip, one more for the TCP handshake) in
//! front: `GA_API_URL` is then the relay's address.

use std::io::Write;

fn main() {
    let mut cfg = getavatar_emulator::Config {
        rate_limit: 10,
        ..Default::default()
    };
    let (mut ca_out, mut rtt) = (None, None);
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
            "--tls" => cfg.tls = true,
            "--ca-out" => ca_out = Some(val()),
            "--rtt-ms" => rtt = Some(ms(&a, val())),
            "--accept-delay-ms" => cfg.accept_delay = ms(&a, val()),
            "--tls-delay-ms" => cfg.tls_delay = ms(&a, val()),
            _ => fail(&format!("unknown argument {a}")),
        }
    }
    let emu = getavatar_emulator::Emulator::start(cfg)
        .unwrap_or_else(|e| fail(&format!("cannot listen: {e}")));
    let relay = rtt.map(|rtt| {
        getavatar_emulator::DelayRelay::start(emu.addr(), rtt)
            .unwrap_or_else(|e| fail(&format!("cannot start the relay: {e}")))
    });
    let scheme = if emu.cert_pem().is_some() {
        "https"
    } else {
        "http"
    };
    let api_url = match &relay {
        Some(r) => format!("{scheme}://{}", r.addr()),
        None => emu.url(),
    };
    let ca_file = emu.cert_pem().map(|pem| {
        let path = ca_out.unwrap_or_else(|| {
            let dir = std::env::temp_dir();
            let name = format!("getavatar-emulator-{}.pem", std::process::id());
            dir.join(name).to_string_lossy().into_owned()
        });
        std::fs::write(&path, pem).unwrap_or_else(|e| fail(&format!("cannot write {path}: {e}")));
        path
    });
    let creds = Some(("ga-user", "ga-p@ss/1"));
    let encoded = Some(("ga-user", "ga-p%40ss%2F1"));
    let start = |k| {
        getavatar_emulator::TestProxy::start(k, creds)
            .unwrap_or_else(|e| fail(&format!("cannot start a proxy: {e}")))
    };
    let http_proxy = start(getavatar_emulator::ProxyKind::HttpConnect);
    let socks_proxy = start(getavatar_emulator::ProxyKind::Socks5);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "GA_API_URL={api_url}");
    let _ = writeln!(out, "GA_ID_INSTANCE={}", emu.id_instance());
    let _ = writeln!(out, "GA_API_TOKEN_INSTANCE={}", emu.token());
    let _ = writeln!(out, "GA_TEST_HTTP_PROXY={}", http_proxy.url_with(encoded));
    let _ = writeln!(out, "GA_TEST_SOCKS_PROXY={}", socks_proxy.url_with(encoded));
    let _ = writeln!(out, "GA_CONTROL_URL={}", emu.plain_url());
    if let Some(path) = &ca_file {
        let _ = writeln!(out, "GA_CA_FILE={path}");
    }
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}

fn ms(flag: &str, v: String) -> std::time::Duration {
    let n: u64 = v
        .parse()
        .unwrap_or_else(|_| fail(&format!("{flag} takes a number of milliseconds")));
    std::time::Duration::from_millis(n)
}

fn fail(msg: &str) -> ! {
    eprintln!("emulator: {msg}");
    std::process::exit(2)
}
