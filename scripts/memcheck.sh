#!/usr/bin/env bash
# valgrind over the Python binding's tests (the C test runs under valgrind in `cargo test`):
#   bash scripts/memcheck.sh        (about 3-5 minutes; needs target/py-venv from scripts/test.sh)
# Python's own allocator is switched to malloc (PYTHONMALLOC=malloc) so valgrind sees every
# block; what CPython itself keeps until exit is suppressed by tests/python.supp (documented
# there). Zero bytes definitely or indirectly lost in getavatar is the bar.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
log=target/memcheck-python.log
PYTHONMALLOC=malloc valgrind --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    --suppressions=tests/python.supp --num-callers=30 --log-file="$log" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider bindings/python/tests \
    -k "not rss and not gil and not threads and not close_waits and not library_not_found and not readme"
status=$?
grep -E "definitely lost|indirectly lost|ERROR SUMMARY" "$log"
if grep -q "getavatar" <(grep -A30 "definitely lost in\|indirectly lost in" "$log"); then
    echo "memcheck: a leak goes through getavatar; see $log"; exit 1
fi
exit $status
