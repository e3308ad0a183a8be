#!/usr/bin/env bash
# Sanitizer runs (need the nightly toolchain with rust-src; about 5 minutes on 2 cores):
#   bash scripts/sanitize.sh
# 1. ThreadSanitizer over the 16-thread stress test, the batch tests and the download and proxy
#    tests (8 threads downloading to one path; proxy tunnels; std rebuilt with TSan, so its
#    locks are understood): no data race may be reported.
# 2. AddressSanitizer over the C test: libgetavatar.so built with ASan, the C program linked with
#    GCC's ASan runtime, run against the emulator: no invalid access, no leak.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu

echo "== ThreadSanitizer: stress (16 threads x 500 calls), batch, download and proxy tests"
RUSTFLAGS="-Zsanitizer=thread" CARGO_TARGET_DIR=target/tsan TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    cargo +nightly test -Zbuild-std --target "$target" --test stress --test batch --test download \
    --test proxy -- --test-threads=1 \
    --skip a_batch_of_100_uses_the_rate_budget_with_zero_429s
# (That one asserts server-side timing to a few tens of ms, which a 10x TSan slowdown breaks;
# it runs in the normal suite.)

echo "== AddressSanitizer: the C test against an ASan build of libgetavatar.so"
RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=target/asan \
    cargo +nightly build -Zbuild-std --target "$target" --lib
lib=target/asan/$target/debug
cc -std=c99 -g -fsanitize=address -fno-omit-frame-pointer -o "$lib/test_getavatar_asan" tests/c/test_getavatar.c \
    -Iinclude -L"$lib" -Wl,-rpath,"$PWD/$lib" -lgetavatar
cargo build -q --example emulator
emu_ok=$(mktemp); emu_bad=$(mktemp)
target/debug/examples/emulator --rate-limit 0 >"$emu_ok" & pid1=$!
target/debug/examples/emulator --rate-limit 0 >"$emu_bad" & pid2=$!
trap 'kill $pid1 $pid2 2>/dev/null; rm -f "$emu_ok" "$emu_bad"' EXIT
for f in "$emu_ok" "$emu_bad"; do until grep -q ready "$f"; do sleep 0.1; done; done
url_ok=$(sed -n 's/^GA_API_URL=//p' "$emu_ok"); url_bad=$(sed -n 's/^GA_API_URL=//p' "$emu_bad")
id=$(sed -n 's/^GA_ID_INSTANCE=//p' "$emu_ok"); token=$(sed -n 's/^GA_API_TOKEN_INSTANCE=//p' "$emu_ok")
curl -s -X POST "$url_bad/__emulator/faults" -d '{"kind":"status","status":503,"times":100}' >/dev/null
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" "$lib/test_getavatar_asan" "$url_ok" "$url_bad" "$id" "$token"
echo "sanitizers: no race, no invalid access, no leak"
