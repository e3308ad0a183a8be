#!/usr/bin/env bash
# Tests the release artifacts in dist/ as users install them (build them first with
# `bash scripts/dist.sh`; scripts/test.sh does both):
#   bash scripts/test-dist.sh
# C SDK unpacked to a temporary prefix (pkg-config, CMake, static, SONAME/NEEDED, glibc floor,
# CLI); the manylinux wheel in a fresh venv without cargo running the Python suite; auditwheel;
# the sdist built outside the checkout, with and without cargo; the Windows wheels and zip.
# Last line: "dist: N passed, M failed, K skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
rust_version=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
IFS=. read -r major minor _ <<<"${version%%-*}"
sover=$([ "$major" = 0 ] && echo "0.$minor" || echo "$major")
dist=$root/dist
tools=$root/target/dist-tools/bin
tmp=$(mktemp -d)
emu_pid=
cleanup() { [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
passed=0 failed=0 skipped=0
check() { # name command...: one check, its output kept in $tmp/log
    local name=$1; shift
    if "$@" >"$tmp/log" 2>&1; then echo "ok   $name"; passed=$((passed + 1))
    else echo "FAIL $name"; sed 's/^/     | /' "$tmp/log" | tail -n 40; failed=$((failed + 1)); fi
}
skip() { echo "SKIP $1"; skipped=$((skipped + 1)); }

# The emulator, as the tests use it.
cargo build -q --example emulator || exit 1
emulator=$root/target/debug/examples/emulator
mkfifo "$tmp/emu"
"$emulator" --port 0 --rate-limit 0 >"$tmp/emu" &
emu_pid=$!
exec 3<"$tmp/emu"
while read -r line <&3; do
    [ "$line" = ready ] && break
    case $line in GA_API_URL=*|GA_ID_INSTANCE=*|GA_API_TOKEN_INSTANCE=*) export "${line?}";; esac
done
emu_args=("$GA_API_URL" "$GA_ID_INSTANCE" "$GA_API_TOKEN_INSTANCE")
want_out="$version $GA_API_URL/avatars/10000000.png"

# --- Linux C SDK ----------------------------------------------------------------------------------
sdk_name=getavatar-$version-x86_64-linux-gnu
prefix=$tmp/prefix
mkdir -p "$prefix"
tar -C "$prefix" --strip-components=1 -xzf "$dist/$sdk_name.tar.gz"
lib=$prefix/lib/libgetavatar.so.$version
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
runs() { [ "$("$@")" = "$want_out" ]; }

sdk_layout() {
    for f in share/doc/getavatar/LICENSE share/doc/getavatar/README.md include/getavatar/getavatar.h include/getavatar/getavatar.hpp \
        lib/libgetavatar.a "lib/libgetavatar.so.$version" lib/pkgconfig/getavatar.pc \
        lib/cmake/getavatar/getavatarConfig.cmake lib/cmake/getavatar/getavatarConfigVersion.cmake; do
        [ -f "$prefix/$f" ] || { echo "missing $f"; return 1; }
    done
    [ "$(readlink "$prefix/lib/libgetavatar.so.$sover")" = "libgetavatar.so.$version" ] &&
        [ "$(readlink "$prefix/lib/libgetavatar.so")" = "libgetavatar.so.$version" ] &&
        grep -q "glibc 2.17" "$prefix/share/doc/getavatar/README.md" &&
        grep -q "^MIT License" "$prefix/share/doc/getavatar/LICENSE" &&
        # Unpacked into a prefix, only the usual folders appear at its top.
        [ "$(ls -A "$prefix" | sort | paste -sd ' ')" = "bin include lib share" ]
}
check "C SDK: layout (bin include lib share only), links libgetavatar.so{,.$sover} -> .so.$version, LICENSE and README under share/doc/getavatar, README states glibc 2.17" sdk_layout

pc_build() {
    cc -o "$tmp/app" "$root/tests/dist/app.c" $(pkg-config --cflags --libs getavatar) &&
        LD_LIBRARY_PATH=$prefix/lib runs "$tmp/app" "${emu_args[@]}"
}
check "C SDK: a program built with pkg-config --cflags --libs getavatar runs against the emulator" pc_build
check "C SDK: readelf shows SONAME libgetavatar.so.$sover" \
    bash -c "readelf -d '$lib' | grep -q 'Library soname: \[libgetavatar.so.$sover\]'"
check "C SDK: the program's NEEDED entry is libgetavatar.so.$sover" \
    bash -c "readelf -d '$tmp/app' | grep -q 'Shared library: \[libgetavatar.so.$sover\]'"
check "C SDK: getavatar.pc has cargo-c's fields and the static library's Libs.private" \
    bash -c "pkg-config --modversion getavatar | grep -qx '$version' && pkg-config --static --libs getavatar | grep -q -- '-lpthread' && grep -q '^Cflags: -I\${includedir}/getavatar' '$prefix/lib/pkgconfig/getavatar.pc'"

static_build() {
    local libs
    libs=$(pkg-config --static --libs getavatar) || return 1
    cc -o "$tmp/app_static" "$root/tests/dist/app.c" $(pkg-config --cflags getavatar) \
        ${libs/-lgetavatar/$prefix/lib/libgetavatar.a} &&
        ! readelf -d "$tmp/app_static" | grep -q libgetavatar &&
        runs "$tmp/app_static" "${emu_args[@]}"
}
check "C SDK: a static build (libgetavatar.a + Libs.private) runs without the .so" static_build

cmake_build() {
    cmake -S "$root/tests/dist" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
        -DGETAVATAR_WANT="$major.$minor" -DCMAKE_BUILD_TYPE=Release &&
        cmake --build "$tmp/cmake" &&
        runs "$tmp/cmake/app_shared" "${emu_args[@]}" &&
        runs "$tmp/cmake/app_static" "${emu_args[@]}" &&
        ! cmake -S "$root/tests/dist" -B "$tmp/cmake-too-new" -DCMAKE_PREFIX_PATH="$prefix" \
            -DGETAVATAR_WANT="$((major + 1)).0"
}
if command -v cmake >/dev/null; then
    check "C SDK: find_package(getavatar) gives getavatar::getavatar (shared and static) that run; a newer major is refused" cmake_build
else
    [ -n "${CI:-}" ] && { echo "FAIL cmake is required in CI"; failed=$((failed + 1)); } || skip "C SDK: CMake (cmake is not installed)"
fi

glibc_floor() { # file...: no GLIBC_ version newer than 2.17
    local newest
    newest=$(objdump -T "$@" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -n 1)
    echo "newest: $newest"
    [ "$(printf '%s\nGLIBC_2.17\n' "$newest" | sort -V | tail -n 1)" = GLIBC_2.17 ]
}
check "C SDK: objdump -T shows no symbol newer than GLIBC_2.17 (library)" glibc_floor "$lib"
if [ -f cli/Cargo.toml ]; then
    check "C SDK: bin/getavatar runs, and needs nothing newer than GLIBC_2.17" \
        bash -c "'$prefix/bin/getavatar' --version | grep -q '$version' && $(declare -f glibc_floor); glibc_floor '$prefix/bin/getavatar'"
else
    skip "C SDK: command-line program (no cli/ crate in this checkout)"
fi

# --- Python wheels ------------------------------------------------------------------------------------
# A Markdown link a package page cannot follow (relative to the repository).
relative_link='\]\((\.\./|docs/|#?[A-Za-z_./-]+\.md)'
whl_linux=$dist/getavatar-$version-py3-none-manylinux2014_x86_64.whl
whl_win64=$dist/getavatar-$version-py3-none-win_amd64.whl
whl_win32=$dist/getavatar-$version-py3-none-win32.whl
wheel_has() { # wheel tag library format
    local d=$tmp/whl-$2
    rm -rf "$d"; mkdir -p "$d"
    unzip -q "$1" -d "$d" &&
        grep -qx "Tag: py3-none-$2" "$d/getavatar-$version.dist-info/WHEEL" &&
        grep -qx "Root-Is-Purelib: false" "$d/getavatar-$version.dist-info/WHEEL" &&
        [ -f "$d/getavatar/py.typed" ] && [ -f "$d/getavatar-$version.dist-info/licenses/LICENSE" ] &&
        # The package page shows the README: its links are absolute, and the project's URLs are set.
        grep -q "^Project-URL: Documentation, https://" "$d/getavatar-$version.dist-info/METADATA" &&
        ! grep -qE "$relative_link" "$d/getavatar-$version.dist-info/METADATA" &&
        [ "$(find "$d" -name '*.so' -o -name '*.dll' -o -name '*.dylib' | wc -l)" = 1 ] &&
        objdump -f "$d/getavatar/$3" | grep -q "file format $4" &&
        ! objdump -h "$d/getavatar/$3" | grep -qE '\.debug_|\.symtab' &&
        { [ "$4" != elf64-x86-64 ] || ! readelf -S "$d/getavatar/$3" | grep -q '\.symtab'; }
}
check "wheel: manylinux2014_x86_64 tag, one stripped libgetavatar.so, LICENSE" \
    wheel_has "$whl_linux" manylinux2014_x86_64 libgetavatar.so elf64-x86-64
check "wheel: win_amd64 tag, one stripped 64-bit getavatar.dll" \
    wheel_has "$whl_win64" win_amd64 getavatar.dll pei-x86-64
check "wheel: win32 tag, one stripped 32-bit getavatar.dll" \
    wheel_has "$whl_win32" win32 getavatar.dll pei-i386
check "wheel: auditwheel show agrees it is manylinux_2_17_x86_64 (manylinux2014)" \
    bash -c "'$tools/auditwheel' show '$whl_linux' | tr -s ' \n' ' ' | grep -q 'consistent with the following platform tag: \"manylinux_2_17_x86_64\"'"

# PATH without cargo or rustc, for "a user without Rust".
nocargo_path=$(tr ':' '\n' <<<"$PATH" | while read -r d; do
    [ -n "$d" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ] && printf '%s:' "$d"; done)
nocargo_path=${nocargo_path%:}
venv() { python3 -m venv "$1" && "$1/bin/python" -m pip install -q --disable-pip-version-check "pytest>=7"; }
wheel_suite() {
    venv "$tmp/venv-wheel" >/dev/null &&
        PATH=$tmp/venv-wheel/bin:$nocargo_path bash -c '! command -v cargo' &&
        PATH=$tmp/venv-wheel/bin:$nocargo_path "$tmp/venv-wheel/bin/python" -m pip install -q \
            --disable-pip-version-check --no-index --no-deps "$whl_linux" &&
        (cd "$tmp" && PATH=$tmp/venv-wheel/bin:$nocargo_path GETAVATAR_EMULATOR=$emulator \
            GETAVATAR_EXPECT_PACKAGED=1 GETAVATAR_REPO=$root \
            "$tmp/venv-wheel/bin/python" -m pytest -q -p no:cacheprovider "$root/bindings/python/tests")
}
# The Python suite's tests are counted one by one (its own line), not as one check here.
echo "== wheel: installs into a fresh venv with no cargo on PATH; the Python suite against it"
wheel_suite 2>&1 | tee "$tmp/pytest.log"
py_rc=${PIPESTATUS[0]}
summary=$(grep -E '^=*[ ]*[0-9]+ (passed|failed|error)' "$tmp/pytest.log" | tail -n 1)
count() { grep -Eo "[0-9]+ $1" <<<"$summary" | grep -Eo '[0-9]+' || echo 0; }
py_passed=$(count passed) py_failed=$(($(count failed) + $(count error))) py_skipped=$(count skipped)
# A run that failed without a test failing (no venv, install error, collection error) still fails.
[ "$py_rc" != 0 ] && [ "$py_failed" = 0 ] && py_failed=1

# --- sdist ----------------------------------------------------------------------------------------------
sdist=$dist/getavatar-$version.tar.gz
sdist_contents() {
    local list
    list=$(tar -tzf "$sdist")
    for f in setup.py pyproject.toml LICENSE src/getavatar/_native.py rust/Cargo.toml rust/Cargo.lock \
        rust/build.rs rust/cbindgen.toml rust/src/lib.rs rust/src/ffi.rs rust/src/ffi/panic.rs; do
        grep -qx "getavatar-$version/$f" <<<"$list" || { echo "missing $f"; return 1; }
    done
    ! grep -qE '\.(so|dll|dylib)$|/target/' <<<"$list"
}
check "sdist: holds the Rust crate (Cargo.toml, Cargo.lock, src/) and no built library" sdist_contents
mkdir -p "$tmp/elsewhere"
tar -C "$tmp/elsewhere" -xzf "$sdist"
sdist_build() {
    venv "$tmp/venv-sdist" &&
        (cd "$tmp/elsewhere" && CARGO_TARGET_DIR=$root/target/dist/sdist-test \
            "$tmp/venv-sdist/bin/python" -m pip install -q --disable-pip-version-check "./getavatar-$version") &&
        (cd "$tmp" && GETAVATAR_EMULATOR=$emulator GETAVATAR_EXPECT_PACKAGED=1 GETAVATAR_REPO=$root \
            "$tmp/venv-sdist/bin/python" -m pytest -q -p no:cacheprovider "$root/bindings/python/tests" \
            -k "readme or packaged or batch_keeps_order")
}
check "sdist: builds and installs from a folder outside the checkout (with cargo); it works" sdist_build
sdist_no_cargo() {
    python3 -m venv "$tmp/venv-nocargo" || return 1
    local out
    out=$(cd "$tmp/elsewhere" && PATH=$tmp/venv-nocargo/bin:$nocargo_path \
        "$tmp/venv-nocargo/bin/python" -m pip install --disable-pip-version-check "./getavatar-$version" 2>&1)
    local rc=$?
    echo "$out" | tail -n 8
    [ "$rc" != 0 ] && grep -q "needs Rust >= $rust_version" <<<"$out" && grep -q "https://rustup.rs" <<<"$out"
}
check "sdist: without cargo, pip fails naming what to install (Rust >= $rust_version, rustup.rs)" sdist_no_cargo

# --- Windows zip ----------------------------------------------------------------------------------------
zip=$dist/getavatar-$version-windows.zip
wz=$tmp/winzip
mkdir -p "$wz"
unzip -q "$zip" -d "$wz"
w=$wz/getavatar-$version-windows
zip_contents() {
    for f in x64/getavatar.dll x86/getavatar.dll x64/libgetavatar.dll.a x86/libgetavatar.dll.a \
        x64/getavatar.def x86/getavatar.def include/getavatar.h include/getavatar.hpp GetAvatar.bas GetAvatar-README.md \
        LICENSE.txt INSTALL.txt; do
        [ -f "$w/$f" ] || { echo "missing $f"; return 1; }
    done
    objdump -f "$w/x64/getavatar.dll" | grep -q pei-x86-64 && objdump -f "$w/x86/getavatar.dll" | grep -q pei-i386 &&
        cmp "$w/include/getavatar.h" include/getavatar.h && cmp "$w/GetAvatar.bas" bindings/vba/GetAvatar.bas
}
check "zip: both DLLs, import libraries, .def files, .h, .hpp, GetAvatar.bas and its guide, LICENSE, INSTALL.txt" zip_contents
check "zip: INSTALL.txt has Windows line endings and states the supported Windows versions" \
    bash -c "[ \"\$(grep -c \$'\r\$' '$w/INSTALL.txt')\" = \"\$(wc -l < '$w/INSTALL.txt')\" ] && grep -q 'Windows 10' '$w/INSTALL.txt'"
version_resource() {
    for a in x64 x86; do
        strings -el "$w/$a/getavatar.dll" | tr '\n' ' ' |
            grep -q "ProductName getavatar .*ProductVersion $version" || { echo "$a: no version resource"; return 1; }
    done
}
check "zip: both DLLs carry a version resource (product getavatar, version $version)" version_resource
def_matches_exports() {
    for a in x64 x86; do
        local exports defs
        exports=$(objdump -p "$w/$a/getavatar.dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
            sed -n 's/.*\] *\(ga_[a-z_]*\).*/\1/p' | sort)
        defs=$(sed -n 's/^ *\(ga_[a-z_]*\).*/\1/p' "$w/$a/getavatar.def" | tr -d '\r' | sort)
        [ -n "$exports" ] && [ "$exports" = "$defs" ] || { echo "$a: .def and exports differ"; diff <(echo "$exports") <(echo "$defs"); return 1; }
    done
    # x86: each name with its stdcall decoration (MSVC's lib /def makes a matching import library).
    grep -q 'ga_client_new@12' "$w/x86/getavatar.def" && ! grep -q '@' "$w/x64/getavatar.def"
}
check "zip: each .def lists exactly its DLL's exports (x86 with stdcall decoration)" def_matches_exports
if [ -f cli/Cargo.toml ]; then
    check "zip: the command-line program for both architectures" \
        bash -c "objdump -f '$w/x64/getavatar.exe' | grep -q pei-x86-64 && objdump -f '$w/x86/getavatar.exe' | grep -q pei-i386"
else
    skip "zip: command-line program (no cli/ crate in this checkout)"
fi
# --- Java jar (bindings/java/build.sh; bindings/java/test.sh runs its JUnit suite on it) -------------
jar=$dist/getavatar-$version.jar
java_jar() {
    local list f
    list=$(unzip -Z1 "$jar") || return 1
    for f in io/github/getavatar/Client.class linux-x86-64/libgetavatar.so win32-x86-64/getavatar.dll \
        win32-x86/getavatar.dll META-INF/LICENSE; do
        grep -qx "$f" <<<"$list" || { echo "missing $f"; return 1; }
    done
    # The natives are the shipped ones: the C SDK's .so (glibc 2.17), the zip's DLLs.
    cmp <(unzip -p "$jar" linux-x86-64/libgetavatar.so) "$prefix/lib/libgetavatar.so.$version" &&
        cmp <(unzip -p "$jar" win32-x86-64/getavatar.dll) "$w/x64/getavatar.dll" &&
        cmp <(unzip -p "$jar" win32-x86/getavatar.dll) "$w/x86/getavatar.dll" || return 1
    # Java 8 bytecode (class file major version 52).
    [ "$(unzip -p "$jar" io/github/getavatar/Client.class | od -An -j6 -N2 -tu1 | tr -s ' ')" = " 0 52" ] ||
        { echo "Client.class is not Java 8 bytecode"; return 1; }
    # The listing is read whole first: `unzip | grep -q` under pipefail fails when grep's early exit
    # cuts unzip off (SIGPIPE), as it did once in a clean-clone run.
    grep -qx io/github/getavatar/Client.java <<<"$(unzip -Z1 "$dist/getavatar-$version-sources.jar")" &&
        grep -q "<artifactId>jna</artifactId>" "$dist/getavatar-$version.pom" &&
        grep -q "<version>$version</version>" "$dist/getavatar-$version.pom"
}
check "jar: the classes (Java 8), the Linux .so and both DLLs as shipped; sources jar; pom with JNA" java_jar
notices_everywhere() {
    local want=$root/packaging/THIRD-PARTY-NOTICES.md n
    [ -s "$want" ] || { echo "no packaging/THIRD-PARTY-NOTICES.md"; return 1; }
    cmp -s "$want" <(tar -xzOf "$dist/$sdk_name.tar.gz" "$sdk_name/share/doc/getavatar/THIRD-PARTY-NOTICES.md") || { echo "C SDK"; return 1; }
    cmp -s "$want" <(unzip -p "$dist/getavatar-$version-windows.zip" "getavatar-$version-windows/THIRD-PARTY-NOTICES.md") || { echo "zip"; return 1; }
    for n in "$dist"/getavatar-"$version"-py3-none-*.whl; do
        cmp -s "$want" <(unzip -p "$n" getavatar/THIRD-PARTY-NOTICES.md) || { echo "$n"; return 1; }
    done
    cmp -s "$want" <(tar -xzOf "$dist/getavatar-$version.tar.gz" "getavatar-$version/src/getavatar/THIRD-PARTY-NOTICES.md") || { echo "sdist"; return 1; }
    cmp -s "$want" <(unzip -p "$dist/getavatar-$version.jar" META-INF/THIRD-PARTY-NOTICES.md) || { echo "jar"; return 1; }
    cmp -s "$want" <(tar -xzOf "$dist/getavatar-$version.tgz" package/THIRD-PARTY-NOTICES.md) || { echo "npm"; return 1; }
    cmp -s "$want" <(unzip -p "$dist/GetAvatar.$version.nupkg" THIRD-PARTY-NOTICES.md) || { echo "nupkg"; return 1; }
}
# The npm and NuGet package pages show the README: its links are absolute, the project's URLs set.
package_pages() {
    local nuspec pkg readme
    nuspec=$(unzip -p "$dist/GetAvatar.$version.nupkg" GetAvatar.nuspec) || return 1
    grep -q '<projectUrl>https://' <<<"$nuspec" || { echo "nuspec: no projectUrl"; return 1; }
    pkg=$(tar -xzOf "$dist/getavatar-$version.tgz" package/package.json) || return 1
    grep -q '"repository"' <<<"$pkg" && grep -q '"homepage": "https://' <<<"$pkg" ||
        { echo "package.json: no repository or homepage"; return 1; }
    for readme in "$(unzip -p "$dist/GetAvatar.$version.nupkg" README.md)" \
        "$(tar -xzOf "$dist/getavatar-$version.tgz" package/README.md)"; do
        [ -n "$readme" ] || { echo "no README"; return 1; }
        ! grep -qE "$relative_link" <<<"$readme" || { echo "a relative link"; return 1; }
    done
}
check "npm and NuGet package pages: absolute README links, project URLs set" package_pages
check "third-party notices: in the C SDK, the zip, every wheel, the sdist, the jar, the npm package and the nupkg" notices_everywhere
check "SHA256SUMS: every artifact, every checksum right" \
    bash -c "cd '$dist' && [ \"\$(wc -l < SHA256SUMS)\" = 11 ] && sha256sum -c --quiet SHA256SUMS"

echo
echo "python (installed wheel): $py_passed passed, $py_failed failed, $py_skipped skipped"
echo "dist: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$py_failed" = 0 ]
