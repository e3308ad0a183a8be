//! The pacing benchmark (issue 28: at the limit whatever the limit is). Run it with
//! `bash scripts/bench.sh` (or `cargo bench --bench pacing`; `GA_BENCH_QUICK=1` for 5 a
//! second only; `GA_PACING_RATES=5,3` and `GA_PACING_RTTS=50,80` pick the cases).
//!
//! The emulator (HTTPS, as in the realistic benchmark) answers 429 when more than `r` getAvatar
//! requests arrive in any rolling second (every arrival counts, a 429 too), r = 10, 5, 3 and 1; a
//! delaying relay in front of it gives every round trip 50 ms (the 10 a second case also at 80 ms). For each, a **cold** client with
//! the default settings (rate limit 10, concurrency 4, 3 retries), through the C ABI, looks up 100
//! ids one after another (sequential) and in one `ga_get_avatars` (batch). Measured: failed rows
//! (goal 0), requests the server saw beyond the ids (goal at most 10 %), 429 answers, the time
//! against n / r (goal at most 1.10x) and against the physical limit of the realistic benchmark
//! (3 round trips, then r arrivals a second) and the rate the client settled at (`ga_client_rate`).
//! Writes target/bench/pacing.json and prints a Markdown table.

use std::ffi::{c_char, CString};
use std::time::{Duration, Instant};

use getavatar::internals::ffi::*;
use getavatar_emulator::{Config, DelayRelay, Emulator};
use serde_json::json;

const N: usize = 100;

/// A cold client for the relay in front of the emulator, with the default settings (and the
/// emulator's certificate trusted).
struct Client(*mut GaClient);

impl Client {
    fn new(url: &str, emu: &Emulator, ca: &str) -> Client {
        let c = |s: &str| CString::new(s).unwrap();
        let (u, i, t, f) = (c(url), c(&emu.id_instance()), c(&emu.token()), c(ca));
        // SAFETY: valid C strings; the handle is checked and freed in Drop.
        let p = unsafe { ga_client_new(u.as_ptr(), i.as_ptr(), t.as_ptr()) };
        assert!(!p.is_null());
        assert_eq!(
            unsafe { ga_client_set_ca_file(p, f.as_ptr()) },
            GaStatus::GA_OK
        );
        Client(p)
    }

    /// Looks the ids up one after another; how many succeeded.
    fn sequential(&self, ids: &[CString]) -> usize {
        ids.iter()
            .filter(|id| {
                // SAFETY: a live client; the result is freed once.
                unsafe {
                    let a = ga_get_avatar(self.0, id.as_ptr());
                    let ok = (*a).status == 0;
                    ga_free(a.cast());
                    ok
                }
            })
            .count()
    }

    /// One batch; how many succeeded.
    fn batch(&self, ids: &[CString]) -> usize {
        let ptrs: Vec<*const c_char> = ids.iter().map(|c| c.as_ptr()).collect();
        let mut out = vec![std::ptr::null_mut(); ids.len()];
        // SAFETY: arrays of ids.len() entries; each result freed once.
        unsafe {
            let st = ga_get_avatars(self.0, ptrs.as_ptr(), ids.len() as i32, out.as_mut_ptr());
            assert_eq!(st, GaStatus::GA_OK);
            out.into_iter()
                .filter(|&p| {
                    let ok = !p.is_null() && (*p).status == 0;
                    ga_free(p.cast());
                    ok
                })
                .count()
        }
    }

    fn rate(&self) -> f64 {
        // SAFETY: a live client.
        unsafe { ga_client_rate(self.0) }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: made by ga_client_new, freed once.
        unsafe { ga_client_free(self.0) }
    }
}

/// The earliest arrival of the n-th request after the first when no more than r arrive in any
/// second and, `sequential`, each waits for the answer before (as in benches/realistic.rs); with
/// the 3 round trips of TCP, TLS and the first request, the physical limit of a cold run.
fn last_arrival(n: usize, r: usize, rtt: f64, sequential: bool) -> f64 {
    let mut t = vec![0.0f64; n];
    for i in 1..n {
        let mut x = if sequential { t[i - 1] + rtt } else { t[i - 1] };
        if i >= r {
            x = x.max(t[i - r] + 1.0);
        }
        t[i] = x;
    }
    t[n - 1]
}

fn list(var: &str, default: &[u64]) -> Vec<u64> {
    std::env::var(var).map_or_else(
        |_| default.to_vec(),
        |v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` runs nothing here
    }
    let quick = std::env::var("GA_BENCH_QUICK").is_ok();
    let rates = list("GA_PACING_RATES", if quick { &[5] } else { &[10, 5, 3, 1] });
    let rtts = list("GA_PACING_RTTS", if quick { &[50] } else { &[50, 80] });
    // HTTPS, as in the realistic benchmark: the relay's TCP handshake happens before the first
    // request is written (with plain HTTP it would hold a new connection's first request one
    // extra round trip, bunching it up with the next ones at the server).
    let emu = Emulator::start(Config {
        tls: true,
        ..Config::default()
    })
    .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("pacing-ca.pem");
    std::fs::write(&ca, emu.cert_pem().unwrap()).unwrap();
    let ca = ca.to_string_lossy().into_owned();
    let ids: Vec<CString> = (0..N)
        .map(|i| CString::new(format!("{}", 10_000_000 + i)).unwrap())
        .collect();
    let mut rows = Vec::new();
    for &ms in &rtts {
        let relay = DelayRelay::start(emu.addr(), Duration::from_millis(ms)).unwrap();
        let url = format!("https://{}", relay.addr());
        for &r in &rates {
            // The slower cases only at the first RTT (the 1 a second one takes 100 s a run).
            if ms != rtts[0] && r != 10 {
                continue;
            }
            for mode in ["sequential", "batch"] {
                emu.reset();
                emu.set_rate_limit(r as u32);
                std::thread::sleep(Duration::from_millis(1100)); // the server's window empties
                let c = Client::new(&url, &emu, &ca);
                let t0 = Instant::now();
                let ok = match mode {
                    "sequential" => c.sequential(&ids),
                    _ => c.batch(&ids),
                };
                let secs = t0.elapsed().as_secs_f64();
                std::thread::sleep(Duration::from_millis(50));
                let k = emu.counters();
                let ideal = N as f64 / r as f64;
                let rtt = ms as f64 / 1000.0;
                let limit = 3.0 * rtt + last_arrival(N, r as usize, rtt, mode == "sequential");
                let row = json!({"rtt_ms": ms, "server_rate": r, "mode": mode, "n": N,
                    "seconds": secs, "n_over_rate": ideal, "ratio": secs / ideal, "ok": ok,
                    "physical_limit": limit, "vs_limit": secs / limit,
                    "failed": N - ok, "requests": k.requests, "too_many": k.too_many,
                    "extra_pct": 100.0 * (k.requests as f64 - N as f64) / N as f64,
                    "settled_rate": c.rate()});
                eprintln!("pacing: {row}");
                rows.push(row);
            }
        }
    }
    let all = json!({"n": N, "rows": rows});
    let path = dir.join("pacing.json");
    std::fs::write(&path, serde_json::to_string_pretty(&all).unwrap()).unwrap();
    println!("| RTT | server allows | mode | time | n / rate | ratio | vs physical limit | failed rows | requests (extra) | 429s | settled at |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
        println!(
            "| {} ms | {}/s | {} | {:.2} s | {:.1} s | {:.2}x | {:.2}x | {} | {} ({:+.0} %) | {} | {}/s |",
            r["rtt_ms"],
            r["server_rate"],
            r["mode"].as_str().unwrap_or(""),
            f("seconds"),
            f("n_over_rate"),
            f("ratio"),
            f("vs_limit"),
            r["failed"],
            r["requests"],
            f("extra_pct"),
            r["too_many"],
            f("settled_rate")
        );
    }
    eprintln!("wrote {}", path.display());
}
