#!/usr/bin/env bash
# Runs every test of the project: the README's test command.
#   bash scripts/test.sh
# Needs: Rust, a C compiler, valgrind, Python 3 with venv, cmake, pkg-config, mingw-w64, Wine, Mono
# (`.ci/run` installs what is missing). Builds the release artifacts first (scripts/dist.sh):
# the Wine tests run the zip's DLLs and the Python suite runs against the installed wheel.
# The last line counts each test once: cargo's tests, the Python tests (against the wheel), the
# artifact checks, the Python memcheck run (one check; it re-runs Python tests under valgrind) and
# mypy --strict over the Python package (one check), and each other binding's own suite on its
# dist package as a user installs it (bindings/NAME/test.sh: .NET with Mono, Node with node --test
# and tsc --strict, Java with JUnit), each closing with "NAME: N passed, N failed, N skipped".
# A test that could not run (e.g. Wine missing outside CI) is counted as skipped, not passed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0

echo "== release artifacts: scripts/dist.sh"
if ! bash scripts/dist.sh 2>&1 | tee "$logs/dist-build.log"; then
    echo "scripts/dist.sh failed"; echo; echo "all: 0 passed, 1 failed, 0 skipped (the release build failed)"; exit 1
fi

echo "== cargo test: Rust core, C ABI, C program (plain and under valgrind), header, Wine, examples"
: > "$logs/skipped"
GETAVATAR_DIST_BUILT=1 GETAVATAR_SKIPPED_FILE=$logs/skipped \
    cargo test --no-fail-fast --workspace --lib --bins --tests --examples 2>&1 | tee "$logs/cargo.log"
cargo_rc=${PIPESTATUS[0]}

echo "== the artifacts as users install them (scripts/test-dist.sh), with the Python suite"
bash scripts/test-dist.sh 2>&1 | tee "$logs/dist.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1


echo "== valgrind over the Python binding's tests (checkout's package and library)"
venv=$root/target/py-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "pytest>=7"
bash scripts/memcheck.sh 2>&1 | tee "$logs/memcheck.log"
mc=${PIPESTATUS[0]}

echo "== Python binding: mypy --strict"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "mypy>=1.5"
"$venv/bin/python" -m mypy --strict --no-incremental bindings/python/src/getavatar 2>&1 | tee "$logs/mypy.log"
my=${PIPESTATUS[0]}

# The other bindings, each on its dist package as a user installs it.
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
bindings=()
binding() { # name command...
    local name=$1; shift
    echo "== $name binding: $*"
    "$@" 2>&1 | tee "$logs/$name.log"
    bindings+=("$name")
}
binding dotnet bash bindings/dotnet/test.sh "$root/dist/GetAvatar.$version.nupkg"
binding node env GETAVATAR_NODE_TGZ="$root/dist/getavatar-$version.tgz" bash bindings/node/test.sh
# The jar carries the Windows DLLs: their exports are checked against the Java interface.
binding java env GETAVATAR_REQUIRE_DLLS=1 bash bindings/java/test.sh "$root/dist/getavatar-$version.jar"

# cargo: one "test result:" line per test binary.
read -r c_pass c_fail c_ign < <(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' "$logs/cargo.log" |
    awk '{p+=$1; f+=$2; i+=$3} END {print p+0, f+0, i+0}')
c_skip=$(grep -c . "$logs/skipped")
# A test that recorded a skip returned normally, so cargo counted it as passed.
c_pass=$((c_pass - c_skip)) c_skip=$((c_skip + c_ign))
# cargo failed without a failing test (a build error): that is a failure too.
[ "$cargo_rc" != 0 ] && [ "$c_fail" = 0 ] && c_fail=1
line() { sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p" "$2" | tail -n 1; }
read -r p_pass p_fail p_skip < <(line 'python (installed wheel)' "$logs/dist.log"; echo 0 1 0)
read -r d_pass d_fail d_skip < <(line dist "$logs/dist.log"; echo 0 1 0)
if grep -q '^\*\*\* SKIPPED' "$logs/memcheck.log"; then m_pass=0 m_fail=0 m_skip=1
elif [ "$mc" = 0 ]; then m_pass=1 m_fail=0 m_skip=0
else m_pass=0 m_fail=1 m_skip=0; fi
if [ "$my" = 0 ]; then y_pass=1 y_fail=0; else y_pass=0 y_fail=1; fi
b_pass=0 b_fail=0 b_skip=0 b_text=""
for b in "${bindings[@]}"; do
    read -r x y z < <(line "$b" "$logs/$b.log"; echo 0 1 0)
    b_pass=$((b_pass + x)) b_fail=$((b_fail + y)) b_skip=$((b_skip + z)) b_text="$b_text, $b $x/$y/$z"
done

echo
if [ -s "$logs/skipped" ]; then echo "skipped:"; sed 's/^/  /' "$logs/skipped"; fi
passed=$((c_pass + p_pass + d_pass + m_pass + y_pass + b_pass))
failed=$((c_fail + p_fail + d_fail + m_fail + y_fail + b_fail))
skipped=$((c_skip + p_skip + d_skip + m_skip + b_skip))
[ "$failed" = 0 ] || status=1
echo "all: $passed passed, $failed failed, $skipped skipped (cargo $c_pass/$c_fail/$c_skip, python $p_pass/$p_fail/$p_skip, artifacts $d_pass/$d_fail/$d_skip, memcheck $m_pass/$m_fail/$m_skip, mypy $y_pass/$y_fail/0$b_text)"
exit "$status"
