#!/usr/bin/env bash
# Runs every test of the project: the README's test command.
#   bash scripts/test.sh
# Needs: Rust, a C compiler, valgrind, Python 3 with venv (`.ci/run` installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== cargo test: Rust core, C ABI, C program (plain and under valgrind), header, examples"
cargo test --workspace --lib --bins --tests --examples 2>&1 | tee -a "$log"

echo "== Python binding: pip install ./bindings/python into target/py-venv, then pytest"
venv=$root/target/py-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "pytest>=7" "mypy>=1.5"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
# Run from outside the checkout so the installed package (with its own library) is the one tested.
(cd /tmp && GETAVATAR_EXPECT_PACKAGED=1 GETAVATAR_REPO="$root" \
    "$venv/bin/python" -m pytest -p no:cacheprovider "$root/bindings/python/tests") 2>&1 | tee -a "$log"

echo "== Python binding: mypy --strict"
"$venv/bin/python" -m mypy --strict --no-incremental bindings/python/src/getavatar 2>&1 | tee -a "$log"

echo "== valgrind over the Python binding's tests"
bash scripts/memcheck.sh 2>&1 | tee -a "$log"

passed=$(grep -Eo '(test result: [a-z]+\. )?[0-9]+ passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo
echo "all: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
