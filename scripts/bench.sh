#!/usr/bin/env bash
# The speed benchmark: bash scripts/bench.sh   (GA_BENCH_QUICK=1 for a short run)
# Uses wrk and Python's requests as references when present (apt-get install wrk; the script puts
# requests into target/py-venv). Writes target/bench/result.json and prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check requests
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
cargo build --release --lib
command -v wrk >/dev/null || echo "note: wrk is not installed; the floor will not be measured (apt-get install wrk)"
cargo bench --bench getavatar
