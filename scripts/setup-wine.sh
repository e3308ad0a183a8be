#!/usr/bin/env bash
# Installs what the Windows/VBA tests need, idempotently (run as root; .ci/run calls it):
#   mingw-w64 (both linkers), wine + wine64, xvfb (a display for dialogs), the Rust targets
#   x86_64/i686-pc-windows-gnu, and
#   32-bit Wine DLLs: Debian's wine32 does not install from the mirror, so libwine:i386 is
#   unpacked into $GETAVATAR_WINE32 (default /opt/getavatar-wine32) and Wine runs 32-bit programs
#   in WoW64 mode with WINEDLLPATH pointing at it (tests/windows.rs does that).
set -uo pipefail
wine32=${GETAVATAR_WINE32:-/opt/getavatar-wine32}

updated=0
apt_update() {
    [ "$updated" = 1 ] && return 0
    # One stale index (seen: an i386 one, "Mirror sync in progress?") must not stop the rest.
    apt-get update || echo "warning: apt-get update reported errors; continuing with the indexes it got"
    updated=1
}

need=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(mingw-w64)
command -v i686-w64-mingw32-gcc >/dev/null 2>&1 || need+=(mingw-w64)
command -v wine >/dev/null 2>&1 || need+=(wine wine64)
command -v zip >/dev/null 2>&1 || need+=(zip)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
# A virtual display for the test of Windows' credential dialog (tests/credential_dialog.rs).
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb xauth)
if [ "${#need[@]}" -gt 0 ]; then
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" || exit 1
fi

installed=$(rustup target list --installed 2>/dev/null)
for t in x86_64-pc-windows-gnu i686-pc-windows-gnu; do
    grep -qx "$t" <<<"$installed" || rustup target add "$t" || exit 1
done

if [ ! -d "$wine32/usr/lib/i386-linux-gnu/wine/i386-windows" ]; then
    dpkg --print-foreign-architectures | grep -qx i386 || { dpkg --add-architecture i386; updated=0; }
    apt_update
    tmp=$(mktemp -d)
    chmod 755 "$tmp"
    # The i386 index is the one seen stale ("Mirror sync in progress?"): retry with a fresh update.
    got=0
    for attempt in 1 2 3; do
        if (cd "$tmp" && apt-get download "libwine:i386"); then got=1; break; fi
        echo "warning: apt-get download libwine:i386 failed (attempt $attempt); refreshing the indexes"
        sleep $((attempt * 10))
        updated=0
        apt_update
    done
    [ "$got" = 1 ] || { echo "error: cannot download libwine:i386"; exit 1; }
    mkdir -p "$wine32"
    dpkg-deb -x "$tmp"/libwine_*_i386.deb "$wine32" || exit 1
    rm -rf "$tmp"
fi
ln -sfn /usr/lib/x86_64-linux-gnu/wine/x86_64-unix "$wine32/usr/lib/i386-linux-gnu/wine/x86_64-unix"
echo "wine setup: $(wine --version), 32-bit DLLs in $wine32/usr/lib/i386-linux-gnu/wine"
