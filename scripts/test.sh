#!/usr/bin/env bash
# Runs every test of the project: the README's test command.
#   bash scripts/test.sh
# Needs: Rust, a C compiler, valgrind (`.ci/run` installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== cargo test: Rust core, C ABI, C program (plain and under valgrind), header, examples"
cargo test --workspace --lib --bins --tests --examples 2>&1 | tee "$log"

passed=$(grep -Eo 'test result: [a-z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
echo
echo "all: $passed passed, $failed failed"
