#!/usr/bin/env bash
# Tests the npm package as a user installs it: packs it (build.sh; or takes GETAVATAR_NODE_TGZ),
# `npm install`s the tgz into an empty folder (koffi comes from npm; no Rust, no compiler), and
# runs there `node --test` against the emulator, then `tsc --strict` over a TypeScript usage file
# against the installed index.d.ts (one check).
#   bash bindings/node/test.sh
# Needs node 20 and npm, and bindings/node/node_modules (`npm install` there: TypeScript and
# @types/node; .ci/run does it). Last line: "node: N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "$1"; echo "node: 0 passed, 1 failed, 0 skipped"; exit 1; }

command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are needed"
tgz=${GETAVATAR_NODE_TGZ:-}
if [ -z "$tgz" ]; then
    bash "$here/build.sh" || fail "bindings/node/build.sh failed"
    tgz=$root/dist/getavatar-$version.tgz
fi
[ -f "$tgz" ] || fail "no $tgz"
if [ -z "${GETAVATAR_EMULATOR:-}" ]; then
    (cd "$root" && cargo build -q --example emulator) || fail "the emulator did not build"
    export GETAVATAR_EMULATOR=$root/target/debug/examples/emulator
fi

app=$tmp/app
mkdir -p "$app"
(cd "$app" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "$tgz") || fail "npm install of $tgz failed"
cp -r "$here/test" "$app/test"
unset GETAVATAR_LIBRARY
echo "== node --test (package installed from $(basename "$tgz"))"
(cd "$app" && GETAVATAR_HEADER=$root/include/getavatar.h node --test --test-reporter=tap \
    test/*.test.js test/*.test.mjs) > "$tmp/tap" 2>&1
rc=$?
grep -E '^(not )?ok |^# (Subtest|200 concurrent)|^# (tests|pass|fail|skipped|cancelled) ' "$tmp/tap" | grep -v '^# Subtest' | sed 's/^/  /'
if [ "$rc" != 0 ]; then sed -n '/^not ok/,/^ok/p' "$tmp/tap" | head -n 120; fi
num() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$tmp/tap" | tail -n 1; }
passed=$(num pass) failed=$(num fail) skipped=$(num skipped) cancelled=$(num cancelled)
passed=${passed:-0} failed=$(( ${failed:-0} + ${cancelled:-0} )) skipped=${skipped:-0}
[ "$rc" != 0 ] && [ "$failed" = 0 ] && failed=1

echo "== tsc --strict over test/ts/usage.ts against the installed index.d.ts"
tsc=$here/node_modules/.bin/tsc
if [ -x "$tsc" ] && [ -d "$here/node_modules/@types/node" ]; then
    mkdir -p "$app/node_modules/@types"
    ln -s "$here/node_modules/@types/node" "$app/node_modules/@types/node"
    if (cd "$app/test/ts" && "$tsc" -p tsconfig.json); then echo "  ok tsc --strict"; passed=$((passed + 1))
    else echo "  FAIL tsc --strict"; failed=$((failed + 1)); fi
else
    echo "  SKIP: no TypeScript in bindings/node/node_modules (cd bindings/node && npm install)"
    skipped=$((skipped + 1))
fi
echo "node: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
