#!/usr/bin/env bash
# Packs the npm package: dist/getavatar-VERSION.tgz, with the prebuilt libraries
#   prebuilds/linux-x64/libgetavatar.so   (glibc >= 2.17: scripts/dist.sh's Linux build)
#   prebuilds/win32-x64/getavatar.dll     (scripts/build-windows.sh)
#   prebuilds/win32-ia32/getavatar.dll    (the same; __stdcall exports)
#   bash bindings/node/build.sh
# scripts/dist.sh calls it with GETAVATAR_NODE_ALL=1: then every library must be there. Alone,
# a missing Windows DLL is reported and left out. GETAVATAR_NODE_LINUX_LIB names another Linux
# library (e.g. target/release/libgetavatar.so for development). Needs node and npm; koffi is
# not bundled (npm installs it, with its prebuilt binary, when the package is installed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
all=${GETAVATAR_NODE_ALL:-0}
stage=$root/target/node-pkg
out=$root/dist
rm -rf "$stage"
mkdir -p "$stage/lib" "$out"

cp "$here/package.json" "$here/index.js" "$here/index.mjs" "$here/index.d.ts" "$here/README.md" "$stage/"
cp "$here/lib/native.js" "$stage/lib/"
cp "$root/LICENSE" "$stage/LICENSE"
# Third-party licences of what the library links in (made by another part of the release).
[ -f "$root/target/dist/THIRD-PARTY-NOTICES.md" ] && cp "$root/target/dist/THIRD-PARTY-NOTICES.md" "$stage/"
# The package's version is the library's.
node -e '
const fs = require("fs"); const f = process.argv[1];
const p = JSON.parse(fs.readFileSync(f, "utf8")); p.version = process.argv[2]; delete p.devDependencies;
fs.writeFileSync(f, JSON.stringify(p, null, 2) + "\n");' "$stage/package.json" "$version"

missing=()
put() { # platform-arch file source...
    local dir=$1 file=$2; shift 2
    for src in "$@"; do
        if [ -f "$src" ]; then
            mkdir -p "$stage/prebuilds/$dir"
            cp "$src" "$stage/prebuilds/$dir/$file"
            echo "node package: prebuilds/$dir/$file <- ${src#"$root"/}"
            return 0
        fi
    done
    missing+=("$dir ($*)")
}
linux_dist=$root/target/dist/linux/x86_64-unknown-linux-gnu/release/libgetavatar.so
win=${CARGO_TARGET_DIR_WINDOWS:-$root/target/windows}/zip/getavatar-$version-windows
if [ -n "${GETAVATAR_NODE_LINUX_LIB:-}" ]; then
    put linux-x64 libgetavatar.so "$GETAVATAR_NODE_LINUX_LIB"
else
    put linux-x64 libgetavatar.so "$linux_dist"
fi
put win32-x64 getavatar.dll "$win/x64/getavatar.dll"
put win32-ia32 getavatar.dll "$win/x86/getavatar.dll"
if [ "${#missing[@]}" -gt 0 ]; then
    for m in "${missing[@]}"; do echo "*** node package: no library for ${m}"; done
    if [ "$all" = 1 ] || [ ! -d "$stage/prebuilds/linux-x64" ]; then
        echo "node package: libraries missing (run scripts/dist.sh, or set GETAVATAR_NODE_LINUX_LIB)" >&2
        exit 1
    fi
fi

rm -f "$out/getavatar-$version.tgz"
(cd "$stage" && npm pack --silent --pack-destination "$out" >/dev/null)
[ -f "$out/getavatar-$version.tgz" ] || { echo "node package: npm pack made no getavatar-$version.tgz" >&2; exit 1; }
echo "node package: dist/getavatar-$version.tgz ($(tar -tzf "$out/getavatar-$version.tgz" | wc -l) files)"
