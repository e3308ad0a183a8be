#!/usr/bin/env bash
# The speed benchmarks: bash scripts/bench.sh   (GA_BENCH_QUICK=1 for a short run, under 2 minutes)
# 1. Loopback (benches/getavatar.rs): per-call cost against wrk -t1 -c1, Python references, RSS,
#    system calls per call (strace -c -f) for the C ABI and wrk, stripped library sizes.
# 2. Realistic (benches/realistic.rs): HTTPS through a delaying relay at 50 and 80 ms RTT with a
#    server that answers 429 over 10 arrivals in any rolling second; see docs/performance.md.
# 3. Pacing (benches/pacing.rs): a cold client against a server that allows 10, 5, 3 or 1 requests
#    a second: failed rows, extra requests, time against n / rate (about 6 minutes).
# Installs what it needs (wrk, strace; requests into target/py-venv) idempotently. Writes
# target/bench/result.json, target/bench/realistic.json and target/bench/pacing.json and prints
# the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v strace >/dev/null || need+=(strace)
command -v strip >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need[@]}" >/dev/null \
    || echo "note: could not install ${need[*]}; those measurements will be missing"
fi
venv=target/py-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check requests
# The library as the packages build it: a cdylib alone (`cargo build` makes it beside the rlib,
# and then cargo silently skips LTO, rust-lang/cargo#9672: 1.2x larger and slower; docs/performance.md).
CARGO_TARGET_DIR=target/shipped cargo rustc --locked --release --lib --crate-type cdylib
export GA_BENCH_LIBRARY=$PWD/target/shipped/release/libgetavatar.so
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
cargo bench --bench getavatar
cargo bench --bench realistic
cargo bench --bench pacing
