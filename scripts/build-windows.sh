#!/usr/bin/env bash
# Builds getavatar.dll for 64-bit and 32-bit Windows and the release zip:
#   bash scripts/build-windows.sh        -> dist/getavatar-VERSION-windows.zip
# (scripts/dist.sh calls it; tests/windows.rs runs the DLLs of this zip under Wine.)
# Needs mingw-w64 and the Rust targets x86_64-pc-windows-gnu and i686-pc-windows-gnu
# (`bash scripts/setup-wine.sh` installs them). The 32-bit DLL exports __stdcall functions under
# their plain names, as 32-bit Excel VBA requires. Each DLL carries a version resource (build.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/windows}
export CARGO_PROFILE_RELEASE_STRIP=symbols
name=getavatar-$version-windows
stage=$CARGO_TARGET_DIR/zip
out=$stage/$name
rm -rf "$out"
have_cli=0
[ -f cli/Cargo.toml ] && have_cli=1

for pair in x86_64-pc-windows-gnu:x64:x86_64-w64-mingw32 i686-pc-windows-gnu:x86:i686-w64-mingw32; do
    IFS=: read -r target dir prefix <<<"$pair"
    # A cdylib alone, as for Linux (scripts/dist.sh): beside the rlib (Cargo.toml's crate-type),
    # cargo silently skips LTO (rust-lang/cargo#9672): a 1.6x larger, slower DLL (docs/performance.md).
    cargo rustc --locked --release --lib --crate-type cdylib --target "$target"
    rel=$CARGO_TARGET_DIR/$target/release
    mkdir -p "$out/$dir"
    "$prefix-strip" -o "$out/$dir/getavatar.dll" "$rel/getavatar.dll"
    # MinGW import library (gcc ... -L x64 -lgetavatar); MSVC users make theirs from the .def.
    cp "$rel/libgetavatar.dll.a" "$out/$dir/libgetavatar.dll.a"
    if [ "$have_cli" = 1 ]; then
        cargo build --locked --release -p getavatar-cli --target "$target"
        "$prefix-strip" -o "$out/$dir/getavatar.exe" "$rel/getavatar.exe"
    fi
done

# Module-definition files for `lib /def:getavatar.def /machine:x64|x86 /out:getavatar.lib`.
# On x86 each name carries its __stdcall decoration (@ + bytes of arguments), so that the import
# library matches what MSVC calls through the header (GA_CALL) and imports the plain name.
python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
header = open("include/getavatar.h", encoding="utf-8").read()
decls = re.findall(r"GA_CALL (ga_\w+)\(([^)]*)\)", header)
def arg_bytes(args):
    args = [a.strip() for a in args.split(",") if a.strip() and a.strip() != "void"]
    return sum(8 if re.search(r"\b(u?int64_t|double)\s+\w+$", a) else 4 for a in args)
for arch, decorate in (("x64", False), ("x86", True)):
    with open(f"{out}/{arch}/getavatar.def", "w", newline="\r\n") as f:
        f.write("LIBRARY getavatar.dll\nEXPORTS\n")
        for name, args in decls:
            f.write(f"    {name}@{arg_bytes(args)}\n" if decorate else f"    {name}\n")
PY
# rustc's x86 import library names the functions without their stdcall decoration, which C code
# compiled against the header (GA_CALL) does not find; dlltool makes one from the .def that does.
i686-w64-mingw32-dlltool -k -d "$out/x86/getavatar.def" -D getavatar.dll -l "$out/x86/libgetavatar.dll.a"

mkdir -p "$out/include"
cp include/getavatar.h include/getavatar.hpp "$out/include/"
cp bindings/vba/GetAvatar.bas "$out/"
cp bindings/vba/README.md "$out/GetAvatar-README.md"
cp LICENSE "$out/LICENSE.txt"
# The licences of the crates compiled in (packaging/THIRD-PARTY-NOTICES.md, checked by dist.sh).
cp packaging/THIRD-PARTY-NOTICES.md "$out/THIRD-PARTY-NOTICES.md"
cli_line="(no command-line program in this build)"
[ "$have_cli" = 1 ] && cli_line="x64\\getavatar.exe and x86\\getavatar.exe: the command-line program (getavatar --help)."
# INSTALL.txt with Windows line endings (Notepad on older Windows shows LF files on one line).
sed -e "s/@VERSION@/$version/" -e "s/@CLI@/${cli_line//\\/\\\\}/" <<'TXT' | sed 's/$/\r/' > "$out/INSTALL.txt"
getavatar @VERSION@ for Windows: GREEN-API getAvatar (MAX) for Excel VBA, C and C++.

Supported: Windows 10, Windows 11 and Windows Server 2016 or newer, 64-bit (x64) and 32-bit (x86)
(the Rust toolchain's floor for these DLLs). Excel 2010 or newer, 32-bit or 64-bit.

Contents
  x64\getavatar.dll, x86\getavatar.dll   the library (file properties show product and version)
  x64\libgetavatar.dll.a, x86\...         MinGW import libraries
  x64\getavatar.def, x86\getavatar.def    module-definition files for MSVC import libraries
  include\getavatar.h, getavatar.hpp      C header and C++ RAII wrapper
  GetAvatar.bas                           Excel VBA module
  GetAvatar-README.md                     the Excel guide (what IT must allow, every function)
  @CLI@
  LICENSE.txt                             MIT
  THIRD-PARTY-NOTICES.md                  the licences of the crates compiled in

Excel
1. Copy the x64 and x86 folders next to your workbook (64-bit Office uses x64\getavatar.dll,
   32-bit Office x86\getavatar.dll; the module picks the right one).
2. In Excel for Windows press Alt+F11, then File > Import File... and choose GetAvatar.bas;
   save the workbook as .xlsm. (Excel for Mac and Excel for the web cannot use it.)
3. Press Alt+F8 and run GaSaveToken: it asks for apiUrl, idInstance and the token and keeps the
   token in Windows Credential Manager (never in the workbook). Then =GaAvatarUrl(A2) next to a
   chat id in A2. Formulas use "," between arguments; where Excel lists with ";" (German,
   French, Russian, ...) type =GaDownloadAvatar(A2; "C:\Avatars\a.jpg") instead.
   A failed lookup shows #N/A; =GaAvatarError(A2, B2) says why. For a whole column run
   GaFillLinks from Alt+F8 (one lookup at a time, progress, Esc stops it).
   Full guide, including what IT must allow: GetAvatar-README.md.
   If the DLL lives elsewhere, run GaSetLibraryPath "C:\path\to\folder" first.

C and C++
include\getavatar.h declares everything; on 32-bit Windows the functions are __stdcall (the
header says so through GA_CALL). Free every GaAvatar* with ga_free and every client with
ga_client_free.
  MinGW:  gcc app.c -I include -L x64 -lgetavatar      (x86 for 32-bit)
  MSVC:   lib /def:x64\getavatar.def /machine:x64 /out:getavatar.lib
          cl app.c /I include getavatar.lib
          (32-bit: lib /def:x86\getavatar.def /machine:x86 /out:getavatar.lib)
Ship getavatar.dll of the matching architecture next to your program.
TXT
mkdir -p dist
rm -f "dist/$name.zip"
(cd "$stage" && zip -qr - "$name") > "dist/$name.zip"
ls -l "$out"/x64/getavatar.dll "$out"/x86/getavatar.dll "dist/$name.zip"
