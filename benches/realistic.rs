//! The realistic benchmark (issue 13: speed where users are). Run it with `bash scripts/bench.sh`
//! (or `cargo bench --bench realistic`; `GA_BENCH_QUICK=1` for a short run).
//!
//! The emulator serves HTTPS (TLS 1.3, session tickets, a session cache) and answers 429 when
//! more than 10 requests arrive in any rolling second; a delaying relay in front of it gives
//! every round trip 50 or 80 ms (and the TCP handshake one round trip). At each RTT it measures,
//! for the release `libgetavatar.so` through its C ABI (loaded with dlopen, so a `warm_up`
//! export is found when the library has one), for the Python binding, for `requests.Session`
//! with the official MAX SDK's retry policy and for `requests.post` per call:
//! the first result from a cold client, a warm call, 50 sequential lookups and a 100-id batch,
//! each with its physical limit (see `limits`), and the emulator's counters per series.
//! Writes target/bench/realistic.json and prints a Markdown table.

use std::ffi::{c_char, c_void, CString};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use getavatar_emulator::{Config, Counters, DelayRelay, Emulator};
use serde_json::{json, Value};

const WINDOW: Duration = Duration::from_secs(1);
const RATE: u32 = 10;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The physical limits, in seconds, for a server `rtt` away that allows `r` arrivals in any
/// window `w` (DNS is 0: the URL holds an IP address; server time is taken as 0).
mod limits {
    use std::time::Duration;

    /// First result from a cold client: TCP (1 RTT) + TLS 1.3 (1 RTT) + the request (1 RTT).
    pub fn first(rtt: Duration) -> f64 {
        3.0 * rtt.as_secs_f64()
    }

    /// A warm call: one round trip.
    pub fn warm(rtt: Duration) -> f64 {
        rtt.as_secs_f64()
    }

    /// The earliest arrival of the n-th request after the first, when request i+1 cannot
    /// arrive before RTT after request i (`sequential`), and never more than r arrive in a
    /// window: t_i = max(t_{i-1} + RTT (sequential only), t_{i-r} + W).
    pub fn last_arrival(n: usize, r: usize, w: f64, rtt: f64, sequential: bool) -> f64 {
        let mut t = vec![0.0f64; n];
        for i in 1..n {
            let mut x = if sequential { t[i - 1] + rtt } else { t[i - 1] };
            if i >= r {
                x = x.max(t[i - r] + w);
            }
            t[i] = x;
        }
        t[n - 1]
    }

    /// n sequential lookups from a cold client: 2.5 RTT to the first arrival (TCP, TLS, half
    /// the request), the arrivals, and half a round trip for the last answer:
    /// 3 RTT + floor((n-1)/r) W + ((n-1) mod r) RTT when r RTT <= W.
    pub fn sequential(n: usize, r: usize, w: Duration, rtt: Duration) -> f64 {
        3.0 * rtt.as_secs_f64() + last_arrival(n, r, w.as_secs_f64(), rtt.as_secs_f64(), true)
    }

    /// A batch of n from a cold client, with any number of connections: 3 RTT + floor((n-1)/r) W.
    pub fn batch(n: usize, r: usize, w: Duration, rtt: Duration) -> f64 {
        3.0 * rtt.as_secs_f64() + last_arrival(n, r, w.as_secs_f64(), rtt.as_secs_f64(), false)
    }
}

type NewFn = unsafe extern "C" fn(*const c_char, *const c_char, *const c_char) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type GetFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> *mut i32;
type BatchFn = unsafe extern "C" fn(*mut c_void, *const *const c_char, i32, *mut *mut i32) -> i32;
type SetStrFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> i32;
type WarmFn = unsafe extern "C" fn(*mut c_void) -> i32;

/// The C ABI of the release library, loaded at run time.
struct Lib {
    new: NewFn,
    free_client: FreeFn,
    get: GetFn,
    batch: BatchFn,
    ca_file: SetStrFn,
    free: FreeFn,
    /// `ga_client_warm_up(client) -> status`, when the library has it.
    warm_up: Option<WarmFn>,
}

impl Lib {
    fn load(path: &std::path::Path) -> Lib {
        let p = CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a path to our own cdylib; symbols are looked up with their C signatures.
        unsafe {
            let h = libc::dlopen(p.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            assert!(!h.is_null(), "cannot load {}", path.display());
            let sym = |name: &str| {
                let n = CString::new(name).unwrap();
                libc::dlsym(h, n.as_ptr())
            };
            let need = |name: &str| {
                let s = sym(name);
                assert!(!s.is_null(), "{name} is missing");
                s
            };
            let warm = ["ga_client_warm_up", "ga_client_warmup", "ga_warm_up"]
                .iter()
                .map(|n| sym(n))
                .find(|s| !s.is_null());
            Lib {
                new: std::mem::transmute::<*mut c_void, NewFn>(need("ga_client_new")),
                free_client: std::mem::transmute::<*mut c_void, FreeFn>(need("ga_client_free")),
                get: std::mem::transmute::<*mut c_void, GetFn>(need("ga_get_avatar")),
                batch: std::mem::transmute::<*mut c_void, BatchFn>(need("ga_get_avatars")),
                ca_file: std::mem::transmute::<*mut c_void, SetStrFn>(need(
                    "ga_client_set_ca_file",
                )),
                free: std::mem::transmute::<*mut c_void, FreeFn>(need("ga_free")),
                warm_up: warm.map(|s| std::mem::transmute::<*mut c_void, WarmFn>(s)),
            }
        }
    }
}

/// A client of the loaded library (default settings: rate limit 10/s, concurrency 4).
struct Client<'a> {
    lib: &'a Lib,
    ptr: *mut c_void,
}

impl<'a> Client<'a> {
    fn new(lib: &'a Lib, url: &str, emu: &Emulator, ca: &str) -> Client<'a> {
        let c = |s: &str| CString::new(s).unwrap();
        let (u, i, t, f) = (c(url), c(&emu.id_instance()), c(&emu.token()), c(ca));
        // SAFETY: valid C strings; the handle is checked and freed in Drop.
        unsafe {
            let ptr = (lib.new)(u.as_ptr(), i.as_ptr(), t.as_ptr());
            assert!(!ptr.is_null());
            assert_eq!((lib.ca_file)(ptr, f.as_ptr()), 0);
            Client { lib, ptr }
        }
    }

    /// One lookup; true when it succeeded.
    fn get(&self, id: &str) -> bool {
        let id = CString::new(id).unwrap();
        // SAFETY: a live client; the result is a GaAvatar whose first field is the status.
        unsafe {
            let a = (self.lib.get)(self.ptr, id.as_ptr());
            let ok = *a == 0;
            (self.lib.free)(a.cast());
            ok
        }
    }

    /// A batch; how many succeeded.
    fn batch(&self, ids: &[String]) -> usize {
        let cs: Vec<CString> = ids
            .iter()
            .map(|s| CString::new(s.as_str()).unwrap())
            .collect();
        let ptrs: Vec<*const c_char> = cs.iter().map(|c| c.as_ptr()).collect();
        let mut out = vec![std::ptr::null_mut(); ids.len()];
        // SAFETY: arrays of ids.len() entries; each result freed once.
        unsafe {
            let st = (self.lib.batch)(self.ptr, ptrs.as_ptr(), ids.len() as i32, out.as_mut_ptr());
            assert_eq!(st, 0);
            out.into_iter()
                .filter(|p| {
                    let ok = !p.is_null() && **p == 0;
                    (self.lib.free)(p.cast());
                    ok
                })
                .count()
        }
    }

    fn warm_up(&self) -> Option<i32> {
        // SAFETY: a live client.
        self.lib.warm_up.map(|f| unsafe { f(self.ptr) })
    }
}

impl Drop for Client<'_> {
    fn drop(&mut self) {
        // SAFETY: created by ga_client_new, freed once.
        unsafe { (self.lib.free_client)(self.ptr) }
    }
}

fn counters_json(c: Counters) -> Value {
    json!({"connections": c.connections, "tls_full": c.tls_full, "tls_resumed": c.tls_resumed,
        "requests": c.requests, "too_many": c.too_many})
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

struct Setup<'a> {
    lib: &'a Lib,
    emu: &'a Emulator,
    url: String,
    ca: String,
    rtt: Duration,
    seq_n: usize,
    batch_n: usize,
    reps: usize,
    /// The idle time before the sporadic call (None: no idle series).
    idle: Option<Duration>,
}

/// Runs one series after resetting the emulator; returns (seconds, ok, counters).
fn series(s: &Setup, f: impl FnOnce() -> (f64, usize)) -> (f64, usize, Counters) {
    s.emu.reset();
    let (secs, ok) = f();
    std::thread::sleep(Duration::from_millis(50)); // let closes and counters settle
    (secs, ok, s.emu.counters())
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{}", 10_000_000 + i)).collect()
}

fn row(secs: f64, limit: f64, ok: usize, n: usize, c: Counters) -> Value {
    json!({"seconds": secs, "limit": limit, "ratio": secs / limit, "ok": ok, "n": n,
        "counters": counters_json(c)})
}

/// The getavatar C ABI series at one RTT.
fn c_series(s: &Setup) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let rtt = s.rtt;
    // First result (cold client, created in the timing) and warm calls on the same client.
    let mut warm = Vec::new();
    let (first, ok, c) = series(s, || {
        let mut firsts = Vec::new();
        let mut ok = 0;
        for _ in 0..s.reps {
            let t = Instant::now();
            let cl = Client::new(s.lib, &s.url, s.emu, &s.ca);
            ok += cl.get("10000000") as usize;
            firsts.push(t.elapsed().as_secs_f64());
            for _ in 0..2 {
                std::thread::sleep(Duration::from_millis(150));
                let t = Instant::now();
                cl.get("10000000");
                warm.push(t.elapsed().as_secs_f64());
            }
        }
        (median(firsts), ok)
    });
    out.insert(
        "first".into(),
        row(first, limits::first(rtt), ok, s.reps, c),
    );
    out.insert(
        "warm".into(),
        row(
            median(warm.clone()),
            limits::warm(rtt),
            warm.len(),
            warm.len(),
            Counters::default(),
        ),
    );
    if s.lib.warm_up.is_some() {
        let (secs, ok, c) = series(s, || {
            let mut v = Vec::new();
            let mut ok = 0;
            for _ in 0..s.reps {
                let cl = Client::new(s.lib, &s.url, s.emu, &s.ca);
                let _ = cl.warm_up();
                let t = Instant::now();
                ok += cl.get("10000000") as usize;
                v.push(t.elapsed().as_secs_f64());
            }
            (median(v), ok)
        });
        out.insert(
            "first_after_warm_up".into(),
            row(secs, limits::warm(rtt), ok, s.reps, c),
        );
    }
    if let Some(idle) = s.idle {
        // A sporadic call: one lookup, `idle` without any, then the timed one.
        let (secs, ok, c) = series(s, || {
            let cl = Client::new(s.lib, &s.url, s.emu, &s.ca);
            cl.get("10000000");
            std::thread::sleep(idle);
            let t = Instant::now();
            let ok = cl.get("10000000") as usize;
            (t.elapsed().as_secs_f64(), ok)
        });
        out.insert("idle".into(), row(secs, limits::warm(rtt), ok, 1, c));
    }
    let (secs, ok, c) = series(s, || {
        let t = Instant::now();
        let cl = Client::new(s.lib, &s.url, s.emu, &s.ca);
        let ok = (0..s.seq_n)
            .filter(|i| cl.get(&format!("{}", 10_000_000 + i)))
            .count();
        (t.elapsed().as_secs_f64(), ok)
    });
    out.insert(
        "sequential".into(),
        row(
            secs,
            limits::sequential(s.seq_n, RATE as usize, WINDOW, rtt),
            ok,
            s.seq_n,
            c,
        ),
    );
    let (secs, ok, c) = series(s, || {
        let list = ids(s.batch_n);
        let t = Instant::now();
        let cl = Client::new(s.lib, &s.url, s.emu, &s.ca);
        let ok = cl.batch(&list);
        (t.elapsed().as_secs_f64(), ok)
    });
    out.insert(
        "batch".into(),
        row(
            secs,
            limits::batch(s.batch_n, RATE as usize, WINDOW, rtt),
            ok,
            s.batch_n,
            c,
        ),
    );
    out
}

/// The Python series (binding, requests.Session with the SDK's policy, requests.post).
fn python_series(s: &Setup) -> Value {
    let py = root().join("target/py-venv/bin/python");
    if !py.exists() {
        return json!({"error": "target/py-venv is missing (run scripts/bench.sh)"});
    }
    let rtt = s.rtt;
    let out = Command::new(py)
        .arg(root().join("benches/bench_realistic.py"))
        .args([
            &s.url,
            &s.emu.plain_url(),
            &s.emu.id_instance(),
            &s.emu.token(),
            &s.ca,
            &s.seq_n.to_string(),
            &s.batch_n.to_string(),
            &s.reps.to_string(),
            &s.idle.map_or(0.0, |d| d.as_secs_f64()).to_string(),
        ])
        .current_dir("/tmp")
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            return json!({"error": String::from_utf8_lossy(&o.stderr).to_string()});
        }
        Err(e) => return json!({"error": e.to_string()}),
    };
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap_or(json!({}));
    // Limits and ratios, computed here with the same formulas.
    let limit = |series: &str| match series {
        "first" => limits::first(rtt),
        "warm" | "first_after_warm_up" | "idle" => limits::warm(rtt),
        "sequential" => limits::sequential(s.seq_n, RATE as usize, WINDOW, rtt),
        _ => limits::batch(s.batch_n, RATE as usize, WINDOW, rtt),
    };
    if let Some(impls) = v.as_object_mut() {
        for (_, series) in impls.iter_mut() {
            let Some(series) = series.as_object_mut() else {
                continue;
            };
            for (name, r) in series.iter_mut() {
                let l = limit(name);
                if let Some(secs) = r.get("seconds").and_then(Value::as_f64) {
                    r["limit"] = json!(l);
                    r["ratio"] = json!(secs / l);
                }
            }
        }
    }
    v
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` runs nothing here
    }
    let quick = std::env::var("GA_BENCH_QUICK").is_ok();
    // scripts/bench.sh names the library as the packages build it (a cdylib on its own).
    let so = std::env::var_os("GA_BENCH_LIBRARY").map_or_else(
        || root().join("target/release/libgetavatar.so"),
        PathBuf::from,
    );
    if !so.exists() {
        eprintln!(
            "realistic: {} is missing (cargo build --release --lib)",
            so.display()
        );
        std::process::exit(2);
    }
    let lib = Lib::load(&so);
    let emu = Emulator::start(Config {
        tls: true,
        rate_limit: RATE,
        ..Config::default()
    })
    .unwrap();
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("emulator-ca.pem");
    std::fs::write(&ca, emu.cert_pem().unwrap()).unwrap();
    let ca = ca.to_string_lossy().into_owned();
    let rtts: &[u64] = if quick { &[50] } else { &[50, 80] };
    let (seq_n, batch_n, reps) = if quick { (20, 30, 2) } else { (50, 100, 3) };
    let mut results = serde_json::Map::new();
    for &ms in rtts {
        let rtt = Duration::from_millis(ms);
        let relay = DelayRelay::start(emu.addr(), rtt).unwrap();
        let setup = Setup {
            lib: &lib,
            emu: &emu,
            url: format!("https://{}", relay.addr()),
            ca: ca.clone(),
            rtt,
            seq_n,
            batch_n,
            reps,
            // Just over ureq's 15 s idle default; once, at the first RTT (it costs 16 s a client).
            idle: (!quick && ms == rtts[0]).then(|| Duration::from_secs(16)),
        };
        eprintln!("realistic: {ms} ms RTT, C ABI");
        let mut r = serde_json::Map::new();
        r.insert("c_abi".into(), Value::Object(c_series(&setup)));
        eprintln!("realistic: {ms} ms RTT, Python");
        if let Some(py) = python_series(&setup).as_object() {
            for (k, v) in py {
                r.insert(k.clone(), v.clone());
            }
        }
        results.insert(format!("{ms}"), Value::Object(r));
    }
    let all = json!({
        "rate_limit": {"requests": RATE, "window_s": WINDOW.as_secs_f64()},
        "sizes": {"seq": seq_n, "batch": batch_n, "reps": reps},
        "warm_up_in_c_abi": lib.warm_up.is_some(),
        "rtt_ms": results,
    });
    std::fs::write(
        dir.join("realistic.json"),
        serde_json::to_string_pretty(&all).unwrap(),
    )
    .unwrap();
    report(&all, seq_n, batch_n);
    eprintln!("wrote {}", dir.join("realistic.json").display());
}

fn report(all: &Value, seq_n: usize, batch_n: usize) {
    println!(
        "\n| RTT | series | implementation | time | physical limit | ratio | ok | connections | TLS full | TLS resumed | 429s |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let names = [
        ("c_abi", "getavatar (C ABI)"),
        ("python_getavatar", "getavatar (Python)"),
        ("requests_session_sdk", "requests.Session, MAX SDK policy"),
        ("requests_post", "requests.post per call"),
    ];
    let series = [
        ("first", "first result (cold)".to_string()),
        (
            "first_after_warm_up",
            "first result after warm-up".to_string(),
        ),
        ("warm", "warm call".to_string()),
        ("idle", "call after 16 s idle".to_string()),
        ("sequential", format!("{seq_n} sequential")),
        ("batch", format!("{batch_n}-id batch")),
    ];
    let empty = serde_json::Map::new();
    let rtts = all["rtt_ms"].as_object().unwrap_or(&empty);
    for (ms, r) in rtts {
        for (key, label) in &series {
            for (imp, imp_label) in names {
                let Some(x) = r.get(imp).and_then(|v| v.get(*key)) else {
                    continue;
                };
                let f = |k: &str| x.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
                let c = |k: &str| {
                    x["counters"]
                        .get(k)
                        .and_then(Value::as_u64)
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "-".into())
                };
                let time = |s: f64| {
                    if s < 1.0 {
                        format!("{:.0} ms", s * 1e3)
                    } else {
                        format!("{s:.2} s")
                    }
                };
                let warm = *key == "warm";
                println!(
                    "| {ms} ms | {label} | {imp_label} | {} | {} | {:.2} x | {}/{} | {} | {} | {} | {} |",
                    time(f("seconds")),
                    time(f("limit")),
                    f("ratio"),
                    f("ok"),
                    f("n"),
                    if warm { "-".into() } else { c("connections") },
                    if warm { "-".into() } else { c("tls_full") },
                    if warm { "-".into() } else { c("tls_resumed") },
                    if warm { "-".into() } else { c("too_many") },
                );
            }
        }
    }
    println!(
        "\nLimits (W = 1 s window, r = 10 per window, DNS = 0 for an IP address): first result = \
         3 RTT (TCP + TLS 1.3 + request); warm call = 1 RTT; n sequential = 3 RTT + \
         floor((n-1)/r) W + ((n-1) mod r) RTT; n-id batch = 3 RTT + floor((n-1)/r) W; \
         a call after idle = 1 RTT (a kept connection)."
    );
}
