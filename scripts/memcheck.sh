#!/usr/bin/env bash
# valgrind over the Python binding's tests (the C test runs under valgrind in `cargo test`):
#   bash scripts/memcheck.sh        (about 2 minutes; needs target/py-venv from scripts/test.sh)
# It runs the checkout's library and package. Python's allocator is switched to malloc
# (PYTHONMALLOC=malloc) so valgrind sees every block; blocks CPython itself allocates and keeps
# until exit are suppressed by tests/python.supp (only blocks whose allocating frame is in the
# python binary). Fails on: any byte definitely or indirectly lost, and any memory error whose
# stack goes through libgetavatar. (CPython's interpreter and GC raise "uninitialised value"
# reports under valgrind without its own suppression file; they are listed, not counted.)
# The fork tests are left out: they run TLS, whose ring assembly valgrind reports as reading
# uninitialised memory (a known false positive), in forked children; so is the TLS trust test
# (trust_messages) for the same reason.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null 2>&1; then
    if [ -n "${CI:-}" ]; then echo "memcheck: valgrind is required in CI"; exit 1; fi
    echo "*** SKIPPED: valgrind is not installed; the Python memcheck did not run (apt-get install valgrind)"
    exit 0
fi
cargo build -q --release --lib || exit 1
log=target/memcheck-python.log
GETAVATAR_LIBRARY=$PWD/target/release/libgetavatar.so PYTHONPATH=$PWD/bindings/python/src PYTHONMALLOC=malloc \
    valgrind --leak-check=full --show-leak-kinds=definite,indirect \
    --suppressions=tests/python.supp --num-callers=40 --log-file="$log" \
    target/py-venv/bin/python -m pytest -q -p no:cacheprovider bindings/python/tests \
    -k "not no_leak and not gil and not threads and not close_waits and not library_not_found and not readme and not library_is_the_packaged and not fork and not trust_messages"
tests=$?
grep -E "definitely lost|indirectly lost|ERROR SUMMARY" "$log"
fail=0
if grep -Eq "(definitely|indirectly) lost: [1-9]" "$log"; then
    echo "memcheck: bytes lost; see $log"; fail=1
fi
# Any error record (blank-line separated) with a getavatar frame.
if awk 'BEGIN{RS="==[0-9]+== \n"} /(Invalid|uninitialised|Mismatched|lost in)/ && /libgetavatar|getavatar::/ {found=1} END{exit !found}' "$log"; then
    echo "memcheck: a memory error goes through libgetavatar; see $log"; fail=1
fi
[ "$tests" -eq 0 ] || { echo "memcheck: the tests failed under valgrind"; fail=1; }
[ "$fail" -eq 0 ] && echo "memcheck: no leak and no memory error in getavatar"
exit "$fail"
