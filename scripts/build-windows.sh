#!/usr/bin/env bash
# Builds getavatar.dll for 64-bit and 32-bit Windows and the release zip:
#   bash scripts/build-windows.sh        -> dist/getavatar-VERSION-windows.zip
# Needs mingw-w64 and the Rust targets x86_64-pc-windows-gnu and i686-pc-windows-gnu
# (`bash scripts/setup-wine.sh` installs them). The 32-bit DLL exports __stdcall functions under
# their plain names, as 32-bit Excel VBA requires.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/windows}
out=dist/getavatar-$version-windows

for pair in x86_64-pc-windows-gnu:x64:x86_64-w64-mingw32 i686-pc-windows-gnu:x86:i686-w64-mingw32; do
    IFS=: read -r target dir prefix <<<"$pair"
    cargo build --release --lib --target "$target"
    mkdir -p "$out/$dir"
    "$prefix-strip" -o "$out/$dir/getavatar.dll" "$CARGO_TARGET_DIR/$target/release/getavatar.dll"
done
mkdir -p "$out/include"
cp include/getavatar.h "$out/include/"
cp bindings/vba/GetAvatar.bas "$out/"
cp bindings/vba/README.md "$out/GetAvatar-README.md"
sed "s/@VERSION@/$version/" > "$out/INSTALL.txt" <<'TXT'
getavatar @VERSION@ for Windows: GREEN-API getAvatar (MAX) for Excel VBA, C and C++.

Excel
1. Copy the x64 and x86 folders next to your workbook (64-bit Office uses x64\getavatar.dll,
   32-bit Office x86\getavatar.dll; the module picks the right one).
2. In Excel press Alt+F11, then File > Import File... and choose GetAvatar.bas.
3. Press Alt+F8 and run GaSaveToken: it asks for apiUrl, idInstance and the token and keeps the
   token in Windows Credential Manager (never in the workbook). Then =GaAvatarUrl(A2) next to a
   chat id in A2. Formulas use "," between arguments; where Excel lists with ";" (German,
   French, Russian, ...) type =GaDownloadAvatar(A2; "C:\Avatars\a.jpg") instead.
   Full guide, including what IT must allow: GetAvatar-README.md.
   Errors show as text such as "#GA_ERR_RATE_LIMITED: ...", never as an Excel error.
   If the DLL lives elsewhere, run GaSetLibraryPath "C:\path\to\folder" first.

C and C++
include\getavatar.h declares everything; link against the DLL of your architecture. On 32-bit
Windows the functions are __stdcall (the header says so through GA_CALL). Free every GaAvatar*
with ga_free and every client with ga_client_free.
TXT
rm -f "$out.zip"
name=${out#dist/}
(cd dist && zip -qr "$name.zip" "$name")
ls -l "$out"/x64/getavatar.dll "$out"/x86/getavatar.dll "$out.zip"
