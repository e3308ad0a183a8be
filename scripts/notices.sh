#!/usr/bin/env bash
# The third-party notices every artifact carries (packaging/THIRD-PARTY-NOTICES.md), from
# Cargo.lock, by cargo-about (installed from crates.io when missing: `cargo install cargo-about
# --locked --features cli`):
#   bash scripts/notices.sh           rewrite the file
#   bash scripts/notices.sh --check   fail when a crate the library or the CLI compiles in is not
#                                     in it (no cargo-about needed: scripts/dist.sh runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
notices=packaging/THIRD-PARTY-NOTICES.md
# name version of every crate the library and the CLI compile in, for the shipped targets.
shipped() {
    local t tree all=""
    for t in x86_64-unknown-linux-gnu x86_64-pc-windows-gnu i686-pc-windows-gnu; do
        # A target whose tree cannot be read fails the check (its crates would go unchecked).
        tree=$(cargo tree --locked -p getavatar -p getavatar-cli -e normal --target "$t" --prefix none \
            --format '{p}' 2>&1) || { echo "notices: cargo tree for $t failed: $tree" >&2; return 1; }
        all+="$tree"$'\n'
    done
    sed -n 's/^\([A-Za-z0-9_-]*\) v\([^ ]*\).*/\1 \2/p' <<<"$all" |
        grep -v -E '^getavatar(-cli|-emulator)? ' | sort -u
}
if [ "${1:-}" = --check ]; then
    [ -f "$notices" ] || { echo "notices: $notices is missing: run bash scripts/notices.sh"; exit 1; }
    crates=$(shipped) || exit 1
    missing=$(while read -r name version; do
        grep -q "\b$name $version\b" "$notices" || echo "$name $version"
    done <<<"$crates")
    if [ -n "$missing" ]; then
        echo "notices: $notices lacks crates compiled in (run bash scripts/notices.sh):"
        echo "$missing" | sed 's/^/  /'
        exit 1
    fi
    echo "notices: $notices names all $(wc -l <<<"$crates") crates compiled in"
    exit 0
fi
command -v cargo-about >/dev/null 2>&1 || cargo install --locked cargo-about --features cli
cargo about generate --locked -c packaging/notices/about.toml -m Cargo.toml --workspace \
    packaging/notices/about.hbs > "$notices.tmp"
mv "$notices.tmp" "$notices"
bash "$0" --check
