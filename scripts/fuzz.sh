#!/usr/bin/env bash
# Fuzzing (not part of CI): replays fuzz/regressions, then runs each target for SECS seconds on one
# core (-jobs=1). Usage: bash scripts/fuzz.sh [SECS] [TARGET...]; default 600 s each of
# response, validators and secrets. Needs the nightly toolchain; installs cargo-fuzz if missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(response validators secrets)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cd "$root/fuzz"
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    shopt -s nullglob
    regressions=("$root"/fuzz/regressions/"$t"-*)
    shopt -u nullglob
    if [ ${#regressions[@]} -gt 0 ]; then
        echo "== $t: replaying ${#regressions[@]} regression input(s)"
        cargo +nightly fuzz run "$t" "${regressions[@]}" -- -runs=0
    fi
    echo "== $t: fuzzing for $secs s"
    cargo +nightly fuzz run "$t" "corpus/$t" -- -jobs=1 -max_total_time="$secs" -print_final_stats=1 \
        2>&1 | tee "$root/target/fuzz-$t.log" | grep -E '^(Done|stat::|==[0-9]+==|SUMMARY|.*panicked)' || true
    grep -q '^Done' "$root/target/fuzz-$t.log" || { echo "$t: fuzzing failed, see target/fuzz-$t.log"; exit 1; }
done
