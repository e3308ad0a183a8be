#!/usr/bin/env bash
# Builds the Java binding with the JDK's own tools (no Maven needed, nothing downloaded):
#   bash bindings/java/build.sh OUT_DIR [PREFIX=NATIVE_FILE ...]
# e.g. bash bindings/java/build.sh dist linux-x86-64=target/release/libgetavatar.so \
#          win32-x86-64=.../x64/getavatar.dll win32-x86=.../x86/getavatar.dll
# Makes, in OUT_DIR:
#   getavatar-VERSION.jar          classes (Java 8 bytecode) + each native under PREFIX/ (JNA's
#                                  Platform.RESOURCE_PREFIX layout) + META-INF/LICENSE (and
#                                  META-INF/THIRD-PARTY-NOTICES.md when target/dist has one)
#   getavatar-VERSION-sources.jar  the sources
#   getavatar-VERSION.pom          the pom.xml to publish (JNA its one dependency)
# Needs a JDK (javac, jar) and JNA (/usr/share/java/jna.jar from Debian's libjna-java, or
# JNA_JAR=path).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 OUT_DIR [PREFIX=NATIVE_FILE ...]" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
shift
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
jna=${JNA_JAR:-/usr/share/java/jna.jar}
[ -f "$jna" ] || { echo "build.sh: no JNA jar at $jna (install libjna-java or set JNA_JAR)" >&2; exit 1; }
jna_version=$(unzip -p "$jna" META-INF/MANIFEST.MF | sed -n 's/^Bundle-Version: *\([0-9.]*\).*/\1/p' | tr -d '\r')
[ -n "$jna_version" ] || jna_version=5.13.0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/classes/META-INF"
# Java 8 bytecode (enterprise JVMs are old); every warning is an error.
javac --release 8 -encoding UTF-8 -Xlint:all -Werror -cp "$jna" -d "$work/classes" \
    $(find "$here/src/main/java" -name '*.java' | sort)
for pair in "$@"; do
    prefix=${pair%%=*} file=${pair#*=}
    [ -f "$file" ] || { echo "build.sh: no native file $file for $prefix" >&2; exit 1; }
    case $prefix in
        linux-*) name=libgetavatar.so ;;
        win32-*) name=getavatar.dll ;;
        darwin*) name=libgetavatar.dylib ;;
        *) echo "build.sh: unknown platform prefix $prefix" >&2; exit 1 ;;
    esac
    mkdir -p "$work/classes/$prefix"
    cp "$file" "$work/classes/$prefix/$name"
done
cp "$root/LICENSE" "$work/classes/META-INF/LICENSE"
notices=$root/target/dist/THIRD-PARTY-NOTICES.md
[ -f "$notices" ] && cp "$notices" "$work/classes/META-INF/THIRD-PARTY-NOTICES.md"
cat > "$work/MANIFEST.MF" <<MF
Automatic-Module-Name: io.github.getavatar
Implementation-Title: getavatar
Implementation-Version: $version
Implementation-Vendor: getavatar
MF
# Reproducible: fixed dates inside the jars.
date=2000-01-01T00:00:00Z
jar --create --date="$date" --file "$out/getavatar-$version.jar" --manifest "$work/MANIFEST.MF" -C "$work/classes" .
mkdir -p "$work/sources/META-INF"
cp -r "$here/src/main/java/." "$work/sources/"
cp "$root/LICENSE" "$work/sources/META-INF/LICENSE"
jar --create --date="$date" --file "$out/getavatar-$version-sources.jar" -C "$work/sources" .
sed -e "s/@VERSION@/$version/g" -e "s/@JNA_VERSION@/$jna_version/g" "$here/pom.xml.in" > "$out/getavatar-$version.pom"
echo "java: $out/getavatar-$version.jar ($(cd "$work/classes" && find . -name '*.so' -o -name '*.dll' -o -name '*.dylib' | sed 's|^\./||' | paste -sd ' '))"
