#!/usr/bin/env bash
# The .NET binding's tests, through its NuGet package as a user installs it:
#   bash bindings/dotnet/test.sh [GetAvatar.VERSION.nupkg]
# Without a package it builds a development one (bindings/dotnet/build.sh) around the debug
# library (`cargo build --lib`). The package is checked (layout, netstandard reference, the
# P/Invoke declarations against include/getavatar.h and every native library's exports:
# tests/check_package.py), then unpacked as `dotnet publish -r linux-x64` lays it out (the
# assembly and runtimes/linux-x64/native/libgetavatar.so in the application's folder), and
# tests/Tests.cs, compiled with mcs, runs with mono against the emulator
# (target/debug/examples/emulator, or $GETAVATAR_EMULATOR).
# Closing line: `dotnet: N passed, N failed, N skipped`. Exits non-zero on any failure.
# Windows: there is no Mono for Wine on this machine (Wine's Mono is downloaded from the Wine
# project, not packaged by Debian), so the DLLs are checked by their exports only.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "$1"; echo "dotnet: 0 passed, 1 failed, 0 skipped"; exit 1; }

for tool in mcs mono ikdasm python3; do
    command -v "$tool" >/dev/null || fail "dotnet: $tool not found (apt-get install mono-devel)"
done

nupkg=${1:-}
require=()
if [ -z "$nupkg" ]; then
    (cd "$root" && cargo build -q --lib) || fail "dotnet: cargo build --lib failed"
    bash "$here/build.sh" --out "$root/target/dotnet" --linux-x64 "$root/target/debug/libgetavatar.so" || fail "dotnet: build.sh failed"
    nupkg=$root/target/dotnet/GetAvatar.$version.nupkg
else
    require=(--require-windows)
fi
[ -f "$nupkg" ] || fail "dotnet: $nupkg: no such file"
nupkg=$(cd "$(dirname "$nupkg")" && pwd)/$(basename "$nupkg")

emulator=${GETAVATAR_EMULATOR:-}
if [ -z "$emulator" ]; then
    (cd "$root" && cargo build -q --example emulator) || fail "dotnet: cargo build --example emulator failed"
    emulator=$root/target/debug/examples/emulator
fi

echo "== dotnet: the package ($nupkg)"
python3 "$here/tests/check_package.py" "$nupkg" "$root/include/getavatar.h" "${require[@]}" | tee "$work/package.log"

echo "== dotnet: tests/Tests.cs with mono, against the emulator"
app=$work/app
mkdir -p "$work/pkg" "$app"
(cd "$work/pkg" && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall()' "$nupkg")
cp "$work/pkg/lib/netstandard2.0/GetAvatar.dll" "$work/pkg/lib/netstandard2.0/GetAvatar.xml" "$app/"
cp "$work/pkg/runtimes/linux-x64/native/libgetavatar.so" "$app/"
if mcs -sdk:4.6.1 -langversion:7 -out:"$app/Tests.exe" -r:"$app/GetAvatar.dll" -r:System.Net.dll \
        -r:/usr/lib/mono/4.5/Facades/netstandard.dll "$here/tests/Tests.cs"; then
    (cd "$app" && timeout 600 mono --debug Tests.exe "$emulator") 2>&1 | tee "$work/tests.log"
else
    echo "dotnet: tests/Tests.cs does not compile" | tee "$work/tests.log"
fi

counts() { sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p" "$2" | tail -n 1; }
read -r a_pass a_fail a_skip < <(counts package "$work/package.log"; echo 0 1 0)
read -r t_pass t_fail t_skip < <(counts dotnet "$work/tests.log"; echo 0 1 0)
passed=$((a_pass + t_pass)) failed=$((a_fail + t_fail)) skipped=$((a_skip + t_skip))
echo
echo "dotnet: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
