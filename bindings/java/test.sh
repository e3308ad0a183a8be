#!/usr/bin/env bash
# Runs the Java binding's JUnit 5 tests against the emulator, through the jar as a user runs it
# (java -cp getavatar-VERSION.jar:jna.jar ...):
#   bash bindings/java/test.sh                 # builds a jar around the checkout's debug library
#   bash bindings/java/test.sh dist/getavatar-0.1.0.jar   # tests a built jar (dist.sh's)
# The closing line counts the tests: `java: N passed, N failed, N skipped`.
# Needs a JDK 17 (javac, java), JNA (/usr/share/java/jna.jar: libjna-java) and JUnit 5's console
# launcher (/usr/share/java/junit-platform-console-standalone.jar: junit5), as .ci/run installs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
jna=${JNA_JAR:-/usr/share/java/jna.jar}
junit=${JUNIT_CONSOLE_JAR:-/usr/share/java/junit-platform-console-standalone.jar}
work=$root/target/java-test
fail() { echo "java test: $*"; echo "java: 0 passed, 1 failed, 0 skipped"; exit 1; }
for f in "$jna" "$junit"; do [ -f "$f" ] || fail "missing $f (install libjna-java and junit5)"; done
command -v javac >/dev/null || fail "no javac (install openjdk-17-jdk-headless)"
rm -rf "$work"
mkdir -p "$work"

# The library the tests load through jna.library.path/GETAVATAR_LIBRARY (and, without a jar
# argument, the one the test jar carries) and the emulator.
cargo build -q --lib --example emulator || fail "cargo build failed"
so=$work/lib/libgetavatar.so
mkdir -p "$work/lib"
# The debug library without its debug sections: the jar's copy is unpacked at every JVM start.
strip --strip-debug -o "$so" target/debug/libgetavatar.so || fail "strip failed"

if [ $# -ge 1 ]; then
    jar=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    [ -f "$jar" ] || fail "no jar $1"
else
    bash "$here/build.sh" "$work/jar" "linux-x86-64=$so" || fail "build.sh failed"
    jar=$work/jar/getavatar-$version.jar
fi

# The tests see only the jar (and JNA) on their class path, as a user's program does.
mkdir -p "$work/test-classes"
javac -encoding UTF-8 -Xlint:all,-serial -cp "$jar:$jna:$junit" -d "$work/test-classes" \
    $(find "$here/src/test/java" -name '*.java' | sort) || fail "the tests do not compile"

java -Dgetavatar.emulator="$root/target/debug/examples/emulator" \
    -Dgetavatar.repo="$root" -Dgetavatar.version="$version" -Dgetavatar.jar="$jar" \
    -Dgetavatar.jna="$jna" -Dgetavatar.testclasses="$work/test-classes" -Dgetavatar.so="$so" \
    -cp "$jar:$jna:$work/test-classes:$junit" org.junit.platform.console.ConsoleLauncher \
    --disable-banner --details=tree --disable-ansi-colors --scan-classpath "$work/test-classes" \
    2>&1 | tee "$work/junit.log"
rc=${PIPESTATUS[0]}

count() { sed -n "s/^\[ *\([0-9]*\) tests $1 *\].*/\1/p" "$work/junit.log" | tail -n 1; }
passed=$(count successful) failed=$(count failed) skipped=$(count skipped) aborted=$(count aborted)
passed=${passed:-0} failed=${failed:-0} skipped=$((${skipped:-0} + ${aborted:-0}))
# A launcher failure without a failing test (a crash, no tests found) is a failure too.
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
[ "$passed" != 0 ] || { [ "$failed" != 0 ] || failed=1; }
echo "java: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
