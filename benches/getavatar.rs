//! The speed benchmark (issue: per-call cost near the loopback floor). Run it with
//! `bash scripts/bench.sh` (or `cargo bench --bench getavatar`). It starts the emulator in a
//! child process (or uses GA_BENCH_URL/GA_BENCH_ID/GA_BENCH_TOKEN for another server), and
//! measures, in one run so that ratios are fair:
//!   - wrk -t1 -c1 (the floor for one connection) and wrk -t2 -c8, when wrk is installed;
//!   - sequential calls through the C ABI, with the caching resolver and with ureq's default one;
//!   - the batch API with 8 workers and the rate limit off;
//!   - the Python binding and Python references (http.client, requests), when available;
//!   - RSS over 100,000 calls and the peak RSS of a process making 10,000, client creation time,
//!     and the stripped library sizes;
//!   - system calls per call (strace -c -f) for the C ABI and for wrk -t1 -c1, when strace is
//!     installed.
//!
//! The sequential series run twice when the machine has two CPUs or more: the emulator is pinned
//! to one CPU and the client (wrk, the C ABI, Rust, Python) to **another** one, as a server
//! elsewhere never shares the client's CPU (the loopback targets are judged here), then to the
//! **same** one, where every microsecond of client CPU shows (a CPU-cost view). Unpinned runs
//! swing by 30 % on a small VM as the scheduler moves the two processes around; pinned ones
//! repeat. Each series reports the median and the mean per call (1 / calls per second, the same
//! definition for wrk and for us).
//!
//! It prints a table with ratios against the targets and writes target/bench/result.json.

use std::ffi::{c_char, CString};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use getavatar::internals::ffi::*;
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Clone)]
struct Server {
    url: String,
    id: String,
    token: String,
}

impl Server {
    fn path(&self) -> String {
        format!("/v3/waInstance{}/getAvatar/{}", self.id, self.token)
    }
}

fn stats(mut lat: Vec<Duration>, total: Duration) -> Value {
    lat.sort();
    let n = lat.len();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    json!({
        "n": n,
        "median_us": us(lat[n / 2]),
        "p99_us": us(lat[n * 99 / 100]),
        "mean_us": us(total) / n as f64,
        "rps": n as f64 / total.as_secs_f64(),
    })
}

unsafe fn one(c: *mut GaClient, id: *const c_char) {
    let a: *mut GaAvatar = unsafe { ga_get_avatar(c, id) };
    assert_eq!(unsafe { (*a).status }, 0, "benchmark call failed");
    unsafe { ga_free(a.cast()) };
}

fn new_client(s: &Server) -> *mut GaClient {
    let (u, i, t) = (
        CString::new(s.url.as_str()).unwrap(),
        CString::new(s.id.as_str()).unwrap(),
        CString::new(s.token.as_str()).unwrap(),
    );
    let c = unsafe { ga_client_new(u.as_ptr(), i.as_ptr(), t.as_ptr()) };
    assert!(!c.is_null());
    unsafe { ga_client_set_rate_limit(c, 0) };
    c
}

/// Sequential calls through the C ABI for `dur` (after 1,000 to warm up), as wrk runs for its
/// duration.
fn c_sequential(s: &Server, dur: Duration) -> Value {
    let c = new_client(s);
    let id = c"10000000";
    for _ in 0..1000 {
        unsafe { one(c, id.as_ptr()) };
    }
    let v = timed(dur, || unsafe { one(c, id.as_ptr()) });
    unsafe { ga_client_free(c) };
    v
}

/// Calls `call` for `dur`; the statistics of its latencies.
fn timed(dur: Duration, mut call: impl FnMut()) -> Value {
    let mut lat = Vec::with_capacity(100_000);
    let t0 = Instant::now();
    loop {
        let a = Instant::now();
        call();
        let b = Instant::now();
        lat.push(b - a);
        if b - t0 >= dur {
            break;
        }
    }
    stats(lat, t0.elapsed())
}

/// Sequential calls through the safe Rust API for `dur`, with the caching resolver or (for
/// comparison) ureq's default one.
fn rust_sequential(s: &Server, dur: Duration, ureq_resolver: bool) -> Value {
    let c = if ureq_resolver {
        getavatar::Client::new_with_ureq_resolver(&s.url, &s.id, &s.token)
    } else {
        getavatar::Client::new(&s.url, &s.id, &s.token)
    }
    .unwrap();
    c.set_rate_limit(0).unwrap();
    for _ in 0..1000 {
        c.get_avatar("10000000").unwrap();
    }
    timed(dur, || {
        c.get_avatar("10000000").unwrap();
    })
}

/// The batch API, 8 workers, rate limit off.
fn batch(s: &Server, n: usize) -> Value {
    let c = new_client(s);
    unsafe { ga_client_set_concurrency(c, 8) };
    let id = c"10000000";
    let ids: Vec<*const c_char> = vec![id.as_ptr(); n];
    let mut out: Vec<*mut GaAvatar> = vec![std::ptr::null_mut(); n];
    let mut warm = vec![std::ptr::null_mut(); 64];
    unsafe { ga_get_avatars(c, ids.as_ptr(), 64, warm.as_mut_ptr()) };
    warm.into_iter().for_each(|p| unsafe { ga_free(p.cast()) });
    let t0 = Instant::now();
    let st = unsafe { ga_get_avatars(c, ids.as_ptr(), n as i32, out.as_mut_ptr()) };
    let total = t0.elapsed();
    assert_eq!(st, GaStatus::GA_OK);
    let ok = out.iter().filter(|p| unsafe { (***p).status } == 0).count();
    out.into_iter().for_each(|p| unsafe { ga_free(p.cast()) });
    unsafe { ga_client_free(c) };
    json!({"n": n, "ok": ok, "rps": n as f64 / total.as_secs_f64(), "seconds": total.as_secs_f64()})
}

fn client_creation(s: &Server) -> Value {
    let n = 200;
    let t0 = Instant::now();
    for _ in 0..n {
        let c = new_client(s);
        unsafe { ga_client_free(c) };
    }
    json!({"n": n, "mean_us": t0.elapsed().as_secs_f64() * 1e6 / n as f64})
}

fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Child mode: makes `n` calls, reporting RSS along the way (its own process: clean numbers).
fn rss_child(s: &Server, n: usize) {
    let c = new_client(s);
    let id = c"10000000";
    let mut points = vec![];
    for i in 1..=n {
        unsafe { one(c, id.as_ptr()) };
        if i == 1000 || i == 10_000 || i % 25_000 == 0 {
            points.push(json!({"calls": i, "rss_kib": status_kib("VmRSS:"), "hwm_kib": status_kib("VmHWM:")}));
        }
    }
    unsafe { ga_client_free(c) };
    println!("{}", json!({"points": points}));
}

/// Child mode: makes `n` sequential calls through the C ABI (for strace).
fn calls_child(s: &Server, n: usize) {
    let c = new_client(s);
    let id = c"10000000";
    for _ in 0..n {
        unsafe { one(c, id.as_ptr()) };
    }
    unsafe { ga_client_free(c) };
}

/// Runs `cmd` under `strace -f -c`; returns (system calls in total, its standard output).
fn strace_count(cmd: &mut Command) -> Option<(u64, String)> {
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).ok()?;
    let file = dir.join(format!("strace-{}.txt", std::process::id()));
    let prog = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let out = Command::new("strace")
        .args(["-f", "-c", "-o"])
        .arg(&file)
        .arg(prog)
        .args(args)
        .output()
        .ok()?;
    let text = std::fs::read_to_string(&file).ok()?;
    let _ = std::fs::remove_file(&file);
    let total = text
        .lines()
        .find(|l| l.trim_end().ends_with(" total"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())?;
    Some((total, String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// System calls per call: the C ABI (the difference between 2,200 and 200 calls, so that
/// start-up does not count) and wrk -t1 -c1 (total over its requests).
fn syscalls(s: &Server) -> Option<Value> {
    Command::new("strace").arg("-V").output().ok()?;
    let exe = std::env::current_exe().ok()?;
    let run = |n: usize| {
        strace_count(Command::new(&exe).args(["--calls", &s.url, &s.id, &s.token, &n.to_string()]))
    };
    let (small, big) = (run(200)?.0, run(2200)?.0);
    let c_abi = (big as f64 - small as f64) / 2000.0;
    let mut v = json!({"c_abi_per_call": c_abi});
    let lua = root().join("target/bench/post.lua");
    if Command::new("wrk").arg("--version").output().is_ok() && lua.exists() {
        let (total, out) = strace_count(
            Command::new("wrk")
                .args(["-t1", "-c1", "-d2s", "-s"])
                .arg(&lua)
                .arg(format!("{}{}", s.url, s.path())),
        )?;
        let requests: Option<f64> = out
            .lines()
            .find(|l| l.contains("requests in"))
            .and_then(|l| l.split_whitespace().next()?.parse().ok());
        if let Some(r) = requests.filter(|r| *r > 0.0) {
            v["wrk_t1_c1_per_request"] = json!(total as f64 / r);
        }
    }
    Some(v)
}

/// The CPUs this process may run on (empty where affinity is not available).
fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) == 0 {
            return (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect();
        }
    }
    Vec::new()
}

/// Moves this thread to `cpus` (the processes it starts inherit them).
fn set_cpus(cpus: &[usize]) {
    #[cfg(target_os = "linux")]
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        cpus.iter().for_each(|&c| libc::CPU_SET(c, &mut set));
        libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpus;
}

/// Runs `f` on `cpu` (None: where it is), then moves back.
fn on_cpu<T>(cpu: Option<usize>, f: impl FnOnce() -> T) -> T {
    let before = allowed_cpus();
    if let Some(c) = cpu {
        set_cpus(&[c]);
    }
    let r = f();
    if cpu.is_some() && !before.is_empty() {
        set_cpus(&before);
    }
    r
}

/// Where the sequential series run, given the server's CPU: (key, the client's CPU).
fn placements(server_cpu: Option<usize>) -> Vec<(&'static str, Option<usize>)> {
    let cpus = allowed_cpus();
    match server_cpu {
        None => vec![("unpinned", None)],
        Some(s) => {
            let other = cpus.iter().copied().find(|&c| c != s);
            let mut v = vec![];
            if let Some(o) = other {
                v.push(("other_cpu", Some(o)));
            }
            v.push(("same_cpu", Some(s)));
            v
        }
    }
}

/// The sequential series against `server` with the client on `cpu`, in `rounds` rounds: each
/// runs every series once for `secs`, starting one series later than the round before, so that
/// a drift of the machine (a VM's wake-up latency changes by a third from minute to minute) or
/// what a series leaves behind hits all of them alike.
fn sequential(server: &Server, cpu: Option<usize>, secs: u32, rounds: usize) -> Value {
    on_cpu(cpu, || {
        let each = (0..rounds)
            .map(|k| sequential_round(server, secs, k))
            .collect::<Vec<_>>();
        aggregate(&each)
    })
}

/// The series of one round, by name.
type Series = serde_json::Map<String, Value>;

fn sequential_round(server: &Server, secs: u32, k: usize) -> Series {
    let dur = Duration::from_secs(secs.into());
    let mut p = serde_json::Map::new();
    let series: [&dyn Fn(&mut Series); 4] = [
        &|p| {
            if let Some(v) = wrk(server, 1, 1, secs) {
                p.insert("wrk_t1_c1".into(), v);
            }
        },
        &|p| {
            p.insert("c_sequential".into(), c_sequential(server, dur));
        },
        &|p| {
            p.insert(
                "rust_sequential_caching_resolver".into(),
                rust_sequential(server, dur, false),
            );
            // A reference for the caching resolver only: a shorter run will do.
            p.insert(
                "rust_sequential_ureq_default_resolver".into(),
                rust_sequential(server, dur / 4, true),
            );
        },
        &|p| {
            if let Some(v) = python(server, secs) {
                for (k, v) in v.as_object().unwrap() {
                    p.insert(k.clone(), v.clone());
                }
            }
        },
    ];
    for i in 0..series.len() {
        series[(i + k) % series.len()](&mut p);
    }
    p
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Per series: the median over the rounds of each statistic, and of its ratio to wrk -t1 -c1
/// in the same round (`x_wrk_median`, `x_wrk_mean`); the rounds themselves under `rounds`.
fn aggregate(rounds: &[Series]) -> Value {
    let stat = |r: &Series, k: &str, s: &str| r.get(k)?.get(s)?.as_f64();
    let mut out = serde_json::Map::new();
    let keys: Vec<String> = rounds
        .first()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default();
    for key in keys {
        let mut series = serde_json::Map::new();
        for s in ["median_us", "mean_us", "p99_us", "rps"] {
            if let Some(m) = median(rounds.iter().filter_map(|r| stat(r, &key, s)).collect()) {
                series.insert(s.into(), json!(m));
            }
        }
        for (s, name) in [("median_us", "x_wrk_median"), ("mean_us", "x_wrk_mean")] {
            let ratios = rounds
                .iter()
                .filter_map(|r| Some(stat(r, &key, s)? / stat(r, "wrk_t1_c1", s)?))
                .collect();
            if let Some(m) = median(ratios) {
                series.insert(name.into(), json!(m));
            }
        }
        out.insert(key, Value::Object(series));
    }
    out.insert("rounds".into(), json!(rounds));
    Value::Object(out)
}

fn spawn_self(args: &[&str]) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wrk(s: &Server, threads: u32, conns: u32, secs: u32) -> Option<Value> {
    Command::new("wrk").arg("--version").output().ok()?;
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).ok()?;
    let lua = dir.join("post.lua");
    std::fs::write(&lua, "wrk.method = \"POST\"\nwrk.body = '{\"chatId\":\"10000000\"}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n").ok()?;
    let out = Command::new("wrk")
        .args([
            format!("-t{threads}"),
            format!("-c{conns}"),
            format!("-d{secs}s"),
            "--latency".into(),
            "-s".into(),
        ])
        .arg(&lua)
        .arg(format!("{}{}", s.url, s.path()))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let unit = |v: &str| -> Option<f64> {
        let (num, mult) = if let Some(x) = v.strip_suffix("us") {
            (x, 1.0)
        } else if let Some(x) = v.strip_suffix("ms") {
            (x, 1000.0)
        } else if let Some(x) = v.strip_suffix('s') {
            (x, 1e6)
        } else {
            return None;
        };
        num.parse::<f64>().ok().map(|n| n * mult)
    };
    let median = text
        .lines()
        .find(|l| l.trim_start().starts_with("50%"))
        .and_then(|l| unit(l.split_whitespace().nth(1)?));
    let p99 = text
        .lines()
        .find(|l| l.trim_start().starts_with("99%"))
        .and_then(|l| unit(l.split_whitespace().nth(1)?));
    let rps = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok());
    let mean = rps.filter(|r| *r > 0.0).map(|r| conns as f64 * 1e6 / r);
    Some(
        json!({"threads": threads, "connections": conns, "median_us": median, "p99_us": p99, "mean_us": mean, "rps": rps}),
    )
}

fn python(s: &Server, secs: u32) -> Option<Value> {
    let py = root().join("target/py-venv/bin/python");
    if !py.exists() {
        return None;
    }
    let out = Command::new(py)
        .arg(root().join("benches/bench_python.py"))
        .args([&s.url, &s.id, &s.token, &secs.to_string()])
        .current_dir("/tmp")
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "python benchmark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

fn stripped_size(path: &PathBuf, strip: &str) -> Option<u64> {
    if !path.exists() {
        return None;
    }
    let tmp = std::env::temp_dir().join(format!("ga-bench-strip-{}", std::process::id()));
    let ok = Command::new(strip)
        .arg("-o")
        .arg(&tmp)
        .arg(path)
        .status()
        .ok()?
        .success();
    let size = if ok {
        std::fs::metadata(&tmp).ok().map(|m| m.len())
    } else {
        None
    };
    let _ = std::fs::remove_file(&tmp);
    size
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        let emu = getavatar_emulator::Emulator::start_default().unwrap();
        println!("{} {} {}", emu.url(), emu.id_instance(), emu.token());
        std::io::stdout().flush().unwrap();
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line); // until the parent closes our stdin
        return;
    }
    if args.get(1).map(String::as_str) == Some("--calls") {
        let s = Server {
            url: args[2].clone(),
            id: args[3].clone(),
            token: args[4].clone(),
        };
        calls_child(&s, args[5].parse().unwrap());
        return;
    }
    if args.get(1).map(String::as_str) == Some("--rss") {
        let s = Server {
            url: args[2].clone(),
            id: args[3].clone(),
            token: args[4].clone(),
        };
        rss_child(&s, args[5].parse().unwrap());
        return;
    }

    let quick = std::env::var("GA_BENCH_QUICK").is_ok();
    let n: usize = if quick { 3000 } else { 20_000 };
    let mut child = None;
    // The emulator gets the first CPU to itself when there are two or more (see the module doc).
    let cpus = allowed_cpus();
    let own_server = std::env::var("GA_BENCH_URL").is_err();
    let server_cpu = (own_server && cpus.len() >= 2).then(|| cpus[0]);
    let server = match (
        std::env::var("GA_BENCH_URL"),
        std::env::var("GA_BENCH_ID"),
        std::env::var("GA_BENCH_TOKEN"),
    ) {
        (Ok(url), Ok(id), Ok(token)) => Server { url, id, token },
        _ => {
            let mut c = on_cpu(server_cpu, || spawn_self(&["--serve"]));
            let mut line = String::new();
            BufReader::new(c.stdout.as_mut().unwrap())
                .read_line(&mut line)
                .unwrap();
            let mut it = line.split_whitespace().map(str::to_string);
            let s = Server {
                url: it.next().unwrap(),
                id: it.next().unwrap(),
                token: it.next().unwrap(),
            };
            child = Some(c);
            s
        }
    };
    eprintln!(
        "benchmarking against {}: sequential series in rounds of 1 s each, a batch of {n} ids",
        server.url
    );

    let mut r = serde_json::Map::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    r.insert(
        "machine".into(),
        json!({"cpu": cpu, "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "os": std::env::consts::OS}),
    );
    let secs = if quick { 2 } else { 5 };
    let rounds = if quick { 4 } else { 8 };
    let mut seq = serde_json::Map::new();
    for (key, cpu) in placements(server_cpu) {
        eprintln!("sequential series, {key} (server on {server_cpu:?}, client on {cpu:?})");
        seq.insert(key.into(), sequential(&server, cpu, 1, rounds));
    }
    r.insert("sequential".into(), Value::Object(seq));
    if let Some(v) = wrk(&server, 2, 8, secs) {
        r.insert("wrk_t2_c8".into(), v);
    }
    r.insert("batch_c8".into(), batch(&server, n));
    r.insert("client_creation".into(), client_creation(&server));
    let calls = if quick { 20_000 } else { 100_000 };
    let out = spawn_self(&[
        "--rss",
        &server.url,
        &server.id,
        &server.token,
        &calls.to_string(),
    ])
    .wait_with_output()
    .unwrap();
    if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout) {
        r.insert("rss".into(), v);
    }
    if let Some(v) = syscalls(&server) {
        r.insert("syscalls".into(), v);
    }
    // scripts/bench.sh names the library as the packages build it (a cdylib on its own).
    let so = std::env::var_os("GA_BENCH_LIBRARY").map_or_else(
        || root().join("target/release/libgetavatar.so"),
        PathBuf::from,
    );
    let version = env!("CARGO_PKG_VERSION");
    // The stripped DLLs of the Windows zip, staged by scripts/build-windows.sh.
    let dll = |arch: &str| {
        let zip = format!("target/windows/zip/getavatar-{version}-windows/{arch}/getavatar.dll");
        std::fs::metadata(root().join(zip)).ok().map(|m| m.len())
    };
    r.insert(
        "sizes_bytes".into(),
        json!({
            "libgetavatar.so (stripped)": stripped_size(&so, "strip"),
            "getavatar.dll x64 (zip)": dll("x64"),
            "getavatar.dll x86 (zip)": dll("x86"),
        }),
    );
    if let Some(mut c) = child.take() {
        drop(c.stdin.take());
        let _ = c.wait();
    }
    report(&Value::Object(r.clone()));
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("result.json"),
        serde_json::to_string_pretty(&Value::Object(r)).unwrap(),
    )
    .unwrap();
    eprintln!("wrote {}", dir.join("result.json").display());
}

fn report(r: &Value) {
    let f = |path: &[&str]| -> Option<f64> {
        let mut v = r;
        for p in path {
            v = v.get(p)?;
        }
        v.as_f64()
    };
    let seq = r
        .get("sequential")
        .and_then(|v| v.as_object())
        .cloned()
        .unwrap_or_default();
    for (placement, series) in &seq {
        print_sequential(placement, series);
    }
    println!("\n| series | median µs | p99 µs | calls/s |");
    println!("|---|---:|---:|---:|");
    for (name, key) in [
        ("wrk -t2 -c8", "wrk_t2_c8"),
        ("batch, 8 workers, rate limit off", "batch_c8"),
    ] {
        if r.get(key).is_some() {
            let cell = |k: &str| {
                f(&[key, k])
                    .map(|v| format!("{v:.0}"))
                    .unwrap_or_else(|| "-".into())
            };
            println!(
                "| {name} | {} | {} | {} |",
                cell("median_us"),
                cell("p99_us"),
                cell("rps")
            );
        }
    }
    println!("\n| target | measured | verdict |");
    println!("|---|---|---|");
    let row = |what: &str, got: Option<f64>, ok: fn(f64) -> bool, fmt: &dyn Fn(f64) -> String| {
        match got {
            Some(g) => println!(
                "| {what} | {} | {} |",
                fmt(g),
                if ok(g) { "met" } else { "NOT met" }
            ),
            None => println!("| {what} | not measured | - |"),
        }
    };
    let x = |g: f64| format!("{g:.2} x");
    // The targets are judged with the client and the server on different CPUs (see the module
    // documentation); the same-CPU rows show the CPU-cost view beside them.
    for (placement, series) in &seq {
        let ratio = |key: &str, stat: &str| series.get(key)?.get(stat)?.as_f64();
        for stat in ["x_wrk_median", "x_wrk_mean"] {
            let by = stat.trim_start_matches("x_wrk_");
            row(
                &format!("C sequential <= 1.15 x wrk -t1 -c1 ({placement}, {by})"),
                ratio("c_sequential", stat),
                |g| g <= 1.15,
                &x,
            );
            row(
                &format!("Python sequential <= 1.3 x wrk -t1 -c1 ({placement}, {by})"),
                ratio("python_getavatar", stat),
                |g| g <= 1.3,
                &x,
            );
            // What any ctypes binding can reach: when this misses 1.3, so must the binding.
            row(
                &format!(
                    "Python ctypes floor (the bare call) <= 1.3 x wrk -t1 -c1 ({placement}, {by})"
                ),
                ratio("python_ctypes_floor", stat),
                |g| g <= 1.3,
                &x,
            );
        }
    }
    let first = seq.values().next().cloned().unwrap_or_default();
    row(
        "Python >= 5 x faster than requests keep-alive",
        first["python_requests_keepalive"]["median_us"]
            .as_f64()
            .and_then(|q| Some(q / first["python_getavatar"]["median_us"].as_f64()?)),
        |g| g >= 5.0,
        &x,
    );
    row(
        "batch c8 >= 70 % of wrk -t2 -c8",
        f(&["wrk_t2_c8", "rps"]).and_then(|w| Some(f(&["batch_c8", "rps"])? / w)),
        |g| g >= 0.7,
        &|g| format!("{:.0} %", g * 100.0),
    );
    row(
        "caching resolver saves per call vs ureq's default",
        first["rust_sequential_ureq_default_resolver"]["median_us"]
            .as_f64()
            .and_then(|d| {
                Some(d - first["rust_sequential_caching_resolver"]["median_us"].as_f64()?)
            }),
        |g| g > 0.0,
        &|g| format!("{g:.0} µs"),
    );
    let pts = r
        .get("rss")
        .and_then(|v| v.get("points"))
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    let at = |calls: u64| {
        pts.iter()
            .find(|p| p["calls"].as_u64() == Some(calls))
            .and_then(|p| p["rss_kib"].as_f64())
    };
    let last = pts.last().and_then(|p| p["rss_kib"].as_f64());
    row(
        "RSS flat from 10,000 to the last call (growth < 1 MiB)",
        at(10_000).and_then(|a| Some(last? - a)),
        |g| g < 1024.0,
        &|g| format!("{g:+.0} KiB"),
    );
    let hwm10k = pts
        .iter()
        .find(|p| p["calls"].as_u64() == Some(10_000))
        .and_then(|p| p["hwm_kib"].as_f64());
    row(
        "peak RSS after 10,000 calls < 20 MiB",
        hwm10k,
        |g| g < 20.0 * 1024.0,
        &|g| format!("{:.1} MiB", g / 1024.0),
    );
    row(
        "client creation < 1 ms",
        f(&["client_creation", "mean_us"]),
        |g| g < 1000.0,
        &|g| format!("{g:.0} µs"),
    );
    for (k, v) in r
        .get("sizes_bytes")
        .and_then(|v| v.as_object())
        .cloned()
        .unwrap_or_default()
    {
        row(
            &format!("{k} < 2 MiB"),
            v.as_f64(),
            |g| g < 2.0 * 1024.0 * 1024.0,
            &|g| format!("{:.2} MiB ({g:.0} bytes)", g / 1048576.0),
        );
    }
    match f(&["syscalls", "c_abi_per_call"]) {
        Some(c) => {
            let w = f(&["syscalls", "wrk_t1_c1_per_request"])
                .map(|w| format!("{w:.1}"))
                .unwrap_or_else(|| "-".into());
            println!(
                "\nSystem calls per loopback call (strace -c -f): C ABI {c:.1}, wrk -t1 -c1 {w}"
            );
        }
        None => println!("\nSystem calls per call: not measured (apt-get install strace)"),
    }
}

/// The sequential series of one placement, each as a ratio to wrk -t1 -c1 of the same run.
fn print_sequential(placement: &str, series: &Value) {
    let what = match placement {
        "other_cpu" => "client and server on different CPUs",
        "same_cpu" => "client on the server's CPU (CPU-cost view)",
        _ => "unpinned",
    };
    let rounds = series["rounds"].as_array().map_or(0, Vec::len);
    println!(
        "\nSequential, one connection: {what} (medians over {rounds} rounds; ratios to wrk of the same round)"
    );
    println!("| series | median µs | mean µs | p99 µs | calls/s | x wrk (median) | x wrk (mean) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let get = |key: &str, stat: &str| series.get(key)?.get(stat)?.as_f64();
    for (name, key) in [
        ("wrk -t1 -c1 (floor, one connection)", "wrk_t1_c1"),
        ("C ABI sequential", "c_sequential"),
        (
            "Rust API, caching resolver",
            "rust_sequential_caching_resolver",
        ),
        (
            "Rust API, ureq's default resolver",
            "rust_sequential_ureq_default_resolver",
        ),
        ("Python binding sequential", "python_getavatar"),
        (
            "Python ctypes floor (ga_get_avatar + ga_free, bare)",
            "python_ctypes_floor",
        ),
        (
            "Python http.client keep-alive",
            "python_http_client_keepalive",
        ),
        (
            "Python requests.Session keep-alive",
            "python_requests_keepalive",
        ),
        (
            "Python requests, Connection: close (official SDK)",
            "python_requests_close",
        ),
    ] {
        if series.get(key).is_none() {
            continue;
        }
        let cell = |stat: &str| get(key, stat).map_or("-".into(), |v| format!("{v:.0}"));
        let ratio = |stat: &str| get(key, stat).map_or("-".into(), |v| format!("{v:.2}"));
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            cell("median_us"),
            cell("mean_us"),
            cell("p99_us"),
            cell("rps"),
            ratio("x_wrk_median"),
            ratio("x_wrk_mean")
        );
    }
}
