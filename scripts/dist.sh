#!/usr/bin/env bash
# Builds every release artifact into dist/, with SHA256SUMS:
#   bash scripts/dist.sh
#   getavatar-VERSION-x86_64-linux-gnu.tar.gz   C SDK (glibc >= 2.17): .so + SONAME links, .a,
#                                              headers, pkg-config, CMake package, CLI
#   getavatar-VERSION-py3-none-manylinux2014_x86_64.whl, ...-win_amd64.whl, ...-win32.whl
#   getavatar-VERSION.tar.gz                    Python sdist with the Rust crate inside
#   getavatar-VERSION-windows.zip               DLLs, import libraries, .def, headers, VBA, CLI
#   GetAvatar.VERSION.nupkg                     .NET (netstandard2.0) with the Linux and Windows libraries
#   getavatar-VERSION.tgz                       npm package (Node), prebuilt linux-x64, win32-x64, win32-ia32
#   getavatar-VERSION.jar, ...-sources.jar, getavatar-VERSION.pom   Java (JNA): the Linux .so and
#                                              both DLLs inside, the pom.xml to publish
# Needs what `.ci/run` installs: mingw-w64 and the Windows Rust targets (scripts/setup-wine.sh)
# and Python 3 with venv; the Python tools (ziglang, cargo-zigbuild, setuptools-rust, auditwheel,
# build) go into target/dist-tools from packaging/dist-requirements.txt.
# Layout and names follow cargo-c (`cargo cinstall`): see docs/install.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
description=$(sed -n 's/^description = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
IFS=. read -r major minor patch <<<"${version%%-*}"
# cargo-c's SONAME rule: 0.0.z -> 0.0.z, 0.y.z -> 0.y, x.y.z -> x.
if [ "$major" = 0 ] && [ "$minor" = 0 ]; then sover=0.0.$patch
elif [ "$major" = 0 ]; then sover=0.$minor
else sover=$major; fi
glibc=2.17
zig_target=x86_64-unknown-linux-gnu.$glibc
# Release artifacts carry no symbol table (the exports stay in the dynamic table).
export CARGO_PROFILE_RELEASE_STRIP=symbols
out=$root/dist
build=$root/target/dist
mkdir -p "$out" "$build"
rm -rf "$out"/getavatar-"$version"* "$out"/getavatar-*.whl "$out/SHA256SUMS"

# --- tools ------------------------------------------------------------------------------------
tools=$root/target/dist-tools
reqs=$root/packaging/dist-requirements.txt
if ! cmp -s "$reqs" "$tools/requirements.txt" 2>/dev/null; then
    echo "== dist: Python build tools into $tools"
    [ -x "$tools/bin/python" ] || python3 -m venv "$tools"
    "$tools/bin/python" -m pip install -q --disable-pip-version-check -r "$reqs"
    cp "$reqs" "$tools/requirements.txt"
fi
export PATH=$tools/bin:$PATH

# The third-party notices every artifact carries: current for Cargo.lock, or no build.
bash scripts/notices.sh --check
cp packaging/THIRD-PARTY-NOTICES.md "$build/THIRD-PARTY-NOTICES.md"

have_cli=0
[ -f cli/Cargo.toml ] && have_cli=1
[ "$have_cli" = 1 ] || echo "*** dist: no cli/ crate in this checkout: the artifacts hold no command-line program"

# --- Linux C SDK --------------------------------------------------------------------------------
echo "== dist: Linux library (glibc >= $glibc, SONAME libgetavatar.so.$sover) and static library"
export CARGO_TARGET_DIR=$build/linux
log=$build/linux-build.log
# cargo-c's way: one `cargo rustc` for both library kinds, the SONAME as a link argument of the
# cdylib only, the static library's system libraries from rustc's native-static-libs note.
cargo-zigbuild rustc --locked --release --lib --target "$zig_target" \
    --crate-type cdylib --crate-type staticlib \
    -- -C "link-arg=-Wl,-soname,libgetavatar.so.$sover" --print native-static-libs 2>&1 | tee "$log"
libs_private=$(sed -n 's/.*note: native-static-libs: //p' "$log" | tail -n 1)
[ -n "$libs_private" ] || { echo "dist: rustc printed no native-static-libs"; exit 1; }
rel=$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release
if [ "$have_cli" = 1 ]; then
    cargo-zigbuild zigbuild --locked --release -p getavatar-cli --target "$zig_target"
fi

name=getavatar-$version-x86_64-linux-gnu
sdk=$build/$name
rm -rf "$sdk"
mkdir -p "$sdk/lib/pkgconfig" "$sdk/lib/cmake/getavatar" "$sdk/include/getavatar" "$sdk/bin" \
    "$sdk/share/doc/getavatar"
install -m 755 "$rel/libgetavatar.so" "$sdk/lib/libgetavatar.so.$version"
ln -s "libgetavatar.so.$version" "$sdk/lib/libgetavatar.so.$sover"
ln -s "libgetavatar.so.$version" "$sdk/lib/libgetavatar.so"
install -m 644 "$rel/libgetavatar.a" "$sdk/lib/libgetavatar.a"
# The static archive keeps its symbol table; only debug sections go.
strip --strip-debug "$sdk/lib/libgetavatar.a"
install -m 644 include/getavatar.h include/getavatar.hpp "$sdk/include/getavatar/"
[ "$have_cli" = 1 ] && install -m 755 "$rel/getavatar" "$sdk/bin/getavatar"
rmdir "$sdk/bin" 2>/dev/null || true
cmake_libs=$(tr ' ' '\n' <<<"$libs_private" | sed -n 's/^-l//p' | paste -sd ';')
subst() {
    sed -e "s|@VERSION@|$version|g" -e "s|@SOVER@|$sover|g" -e "s|@DESCRIPTION@|$description|g" \
        -e "s|@LIBS_PRIVATE@|$libs_private|g" -e "s|@CMAKE_LIBS_PRIVATE@|$cmake_libs|g" \
        -e "s|@VERSION_MAJOR@|$major|g" -e "s|@VERSION_MINOR@|$minor|g" "$1"
}
subst packaging/linux/getavatar.pc.in > "$sdk/lib/pkgconfig/getavatar.pc"
subst packaging/linux/getavatarConfig.cmake.in > "$sdk/lib/cmake/getavatar/getavatarConfig.cmake"
subst packaging/linux/getavatarConfigVersion.cmake.in > "$sdk/lib/cmake/getavatar/getavatarConfigVersion.cmake"
# Documents under share/doc/getavatar: unpacked into a prefix (/usr/local), the SDK leaves no
# README or LICENSE at the prefix's top.
subst packaging/linux/README.md > "$sdk/share/doc/getavatar/README.md"
cp LICENSE "$sdk/share/doc/getavatar/LICENSE"
cp "$build/THIRD-PARTY-NOTICES.md" "$sdk/share/doc/getavatar/THIRD-PARTY-NOTICES.md"
tar --owner=0 --group=0 --numeric-owner -C "$build" -czf "$out/$name.tar.gz" "$name"

# --- Windows zip ----------------------------------------------------------------------------------
echo "== dist: Windows DLLs and zip"
unset CARGO_TARGET_DIR
bash scripts/build-windows.sh

# --- Java: the jar with the natives above (JNA's layout), the sources jar, the pom -----------------
echo "== dist: Java jar (bindings/java/build.sh)"
win=$root/target/windows/zip/getavatar-$version-windows
bash bindings/java/build.sh "$out" "linux-x86-64=$sdk/lib/libgetavatar.so.$version" \
    "win32-x86-64=$win/x64/getavatar.dll" "win32-x86=$win/x86/getavatar.dll"

# --- Python: sdist, then the wheels built from it -------------------------------------------------
echo "== dist: Python sdist (with the Rust crate) and wheels"
stage=$build/python
rm -rf "$stage"
mkdir -p "$stage"
tar -C bindings/python --exclude=build --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude='*.so' --exclude='*.dll' --exclude='*.dylib' -cf - . | tar -C "$stage" -xf -
cp LICENSE "$stage/LICENSE"
cp "$build/THIRD-PARTY-NOTICES.md" "$stage/src/getavatar/THIRD-PARTY-NOTICES.md"
# The crate as `cargo package` makes it: workspace-only parts (path dev-dependencies, members)
# are dropped from its Cargo.toml, and Cargo.lock rides along.
CARGO_TARGET_DIR=$build/package cargo package --locked --no-verify --allow-dirty -q -p getavatar
mkdir -p "$stage/rust"
tar -C "$stage/rust" --strip-components=1 -xzf "$build/package/package/getavatar-$version.crate"
# Its own workspace: unpacked inside another cargo workspace (this checkout's, a user's), the
# crate still builds on its own.
printf '\n[workspace]\n' >> "$stage/rust/Cargo.toml"
python -m build -q --no-isolation --sdist --outdir "$out" "$stage" >/dev/null

wheels=$build/wheels
rm -rf "$wheels"
mkdir -p "$wheels"
# Each wheel builds in the target directory of the same target above, so the dependencies
# compiled there are reused (only the getavatar crate is compiled again, by setuptools-rust).
wheel() { # target plat-name target-dir [cargo]
    rm -rf "$stage/build"
    CARGO_BUILD_TARGET=$1 CARGO=${4:-cargo} GETAVATAR_REAL_CARGO=$(command -v cargo) \
        CARGO_TARGET_DIR=$3 \
        python -m build -q --no-isolation --wheel --outdir "$wheels" \
        "-C--build-option=--plat-name=$2" "$stage" >/dev/null
}
wheel x86_64-unknown-linux-gnu manylinux2014_x86_64 "$build/linux" "$root/packaging/cargo-zig-2.17"
wheel x86_64-pc-windows-gnu win_amd64 "$root/target/windows"
wheel i686-pc-windows-gnu win32 "$root/target/windows"
# auditwheel must agree that the Linux wheel is manylinux2014 (it also refuses a wheel whose
# library needs anything outside the manylinux2014 set).
auditwheel show "$wheels"/getavatar-"$version"-py3-none-manylinux2014_x86_64.whl | tee "$build/auditwheel.txt"
grep -q 'manylinux_2_17_x86_64' "$build/auditwheel.txt" || { echo "dist: auditwheel disagrees"; exit 1; }
cp "$wheels"/*.whl "$out/"

# --- .NET: the NuGet package (bindings/dotnet/build.sh; needs mono-devel) -----------------------
echo "== dist: .NET package GetAvatar.$version.nupkg"
rm -f "$out"/GetAvatar.*.nupkg
win=$root/target/windows/zip/getavatar-$version-windows
notices=()
[ -f "$build/THIRD-PARTY-NOTICES.md" ] && notices=(--notices "$build/THIRD-PARTY-NOTICES.md")
bash bindings/dotnet/build.sh --out "$out" --linux-x64 "$sdk/lib/libgetavatar.so.$version" \
    --win-x64 "$win/x64/getavatar.dll" --win-x86 "$win/x86/getavatar.dll" "${notices[@]}"


# --- Node: the npm package with the Linux and Windows libraries above -----------------------------
echo "== dist: npm package (bindings/node/build.sh)"
GETAVATAR_NODE_ALL=1 bash bindings/node/build.sh

(cd "$out" && sha256sum getavatar-"$version"* GetAvatar."$version".nupkg > SHA256SUMS)
echo "== dist: $out"
(cd "$out" && ls -l --time-style=+ getavatar-"$version"* GetAvatar."$version".nupkg SHA256SUMS | awk '{print $5, $6}')
