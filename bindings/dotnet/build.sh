#!/usr/bin/env bash
# Builds the NuGet package of the .NET binding with Mono's C# compiler (no .NET SDK, no NuGet
# server: a .nupkg is a zip):
#   bash bindings/dotnet/build.sh --out DIR --linux-x64 libgetavatar.so \
#        [--win-x64 getavatar.dll] [--win-x86 getavatar.dll] [--notices THIRD-PARTY-NOTICES.md]
#   -> DIR/GetAvatar.VERSION.nupkg
# scripts/dist.sh passes all three native libraries; bindings/dotnet/test.sh may pass only the
# Linux one (a development package).
#
# The assembly: mcs compiles src/*.cs against Mono's .NET Framework 4.6.1 reference profile
# (C# 7, XML docs), then build/Retarget.cs (Mono.Cecil, shipped with mono-devel) moves every
# framework type reference to `netstandard` 2.0.0.0, checking each type against the .NET
# Standard 2.0 facade: the result references netstandard only, as an SDK-built netstandard2.0
# library does, and the build fails if the code uses anything .NET Standard 2.0 lacks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
out="" linux="" winx64="" winx86="" notices=""
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2 ;;
        --linux-x64) linux=$2 ;;
        --win-x64) winx64=$2 ;;
        --win-x86) winx86=$2 ;;
        --notices) notices=$2 ;;
        *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$out" ] && [ -n "$linux" ] || { echo "usage: build.sh --out DIR --linux-x64 SO [--win-x64 DLL] [--win-x86 DLL] [--notices FILE]" >&2; exit 2; }
for f in "$linux" $winx64 $winx86 $notices; do [ -f "$f" ] || { echo "build.sh: $f: no such file" >&2; exit 1; }; done
command -v mcs >/dev/null || { echo "build.sh: mcs not found (apt-get install mono-devel)" >&2; exit 1; }

facade=/usr/lib/mono/4.7.2-api/Facades/netstandard.dll
cecil=$(ls -d /usr/lib/mono/gac/Mono.Cecil/0.11*/Mono.Cecil.dll 2>/dev/null | head -n 1)
[ -f "$facade" ] && [ -n "$cecil" ] || { echo "build.sh: Mono's netstandard facade or Mono.Cecil 0.11 missing (mono-devel)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/obj" "$work/pkg/lib/netstandard2.0"

IFS=. read -r major minor patch <<<"${version%%-*}"
cat > "$work/obj/AssemblyInfo.cs" <<CS
using System.Reflection;
[assembly: AssemblyTitle("GetAvatar")]
[assembly: AssemblyDescription("GREEN-API getAvatar (MAX, v3) for .NET over the getavatar C library")]
[assembly: AssemblyProduct("getavatar")]
[assembly: AssemblyCopyright("Copyright (c) 2026 the getavatar authors; MIT License")]
[assembly: AssemblyVersion("$major.$minor.$patch.0")]
[assembly: AssemblyFileVersion("$major.$minor.$patch.0")]
[assembly: AssemblyInformationalVersion("$version")]
[assembly: System.Runtime.Versioning.TargetFramework(".NETStandard,Version=v2.0", FrameworkDisplayName = "")]
CS

mcs -sdk:4.6.1 -langversion:7 -target:library -optimize+ -warnaserror+ \
    -out:"$work/obj/GetAvatar.dll" -doc:"$work/pkg/lib/netstandard2.0/GetAvatar.xml" \
    "$here"/src/*.cs "$work/obj/AssemblyInfo.cs"
mcs -sdk:4.6.1 -out:"$work/obj/Retarget.exe" -r:"$cecil" "$here/build/Retarget.cs"
mono "$work/obj/Retarget.exe" "$work/obj/GetAvatar.dll" "$work/pkg/lib/netstandard2.0/GetAvatar.dll" "$facade"

native() { # rid file name
    [ -n "$2" ] || return 0
    mkdir -p "$work/pkg/runtimes/$1/native"
    cp "$2" "$work/pkg/runtimes/$1/native/$3"
}
native linux-x64 "$linux" libgetavatar.so
native win-x64 "$winx64" getavatar.dll
native win-x86 "$winx86" getavatar.dll
cp "$here/README.md" "$work/pkg/README.md"
cp "$root/LICENSE" "$work/pkg/LICENSE.txt"
[ -z "$notices" ] || cp "$notices" "$work/pkg/THIRD-PARTY-NOTICES.md"

cat > "$work/pkg/GetAvatar.nuspec" <<XML
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="5.10">
    <id>GetAvatar</id>
    <version>$version</version>
    <title>GetAvatar</title>
    <authors>the getavatar authors</authors>
    <description>GREEN-API getAvatar (MAX, API v3) for .NET: GetAvatarClient with async calls and CancellationToken, batches and image downloads, over the getavatar native library (included for linux-x64, win-x64 and win-x86).</description>
    <license type="expression">MIT</license>
    <readme>README.md</readme>
    <projectUrl>https://github.com/getavatar/getavatar</projectUrl>
    <repository type="git" url="https://github.com/getavatar/getavatar.git" />
    <tags>green-api max avatar getavatar</tags>
    <dependencies>
      <group targetFramework=".NETStandard2.0" />
    </dependencies>
  </metadata>
</package>
XML

# The OPC parts NuGet writes: content types, the package relationships, core properties.
python3 - "$work/pkg" "$out/GetAvatar.$version.nupkg" "$version" <<'PY'
import os, sys, zipfile, hashlib
pkg, dest, version = sys.argv[1:]
psmdcp = "package/services/metadata/core-properties/%s.psmdcp" % hashlib.sha1(version.encode()).hexdigest()[:32]
files = {}
for d, _, names in os.walk(pkg):
    for n in names:
        p = os.path.join(d, n)
        files[os.path.relpath(p, pkg).replace(os.sep, "/")] = open(p, "rb").read()
exts = sorted({n.rsplit(".", 1)[1] for n in files if "." in n.rsplit("/", 1)[-1]} - {"rels", "psmdcp"})
files["[Content_Types].xml"] = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />'
    '<Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />'
    + "".join('<Default Extension="%s" ContentType="application/octet" />' % e for e in exts)
    + "</Types>").encode()
files["_rels/.rels"] = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/GetAvatar.nuspec" Id="R0" />'
    '<Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/%s" Id="R1" />'
    "</Relationships>" % psmdcp).encode()
files[psmdcp] = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">'
    "<dc:creator>the getavatar authors</dc:creator><dc:identifier>GetAvatar</dc:identifier>"
    "<version>%s</version><keywords>green-api max avatar getavatar</keywords>"
    "<lastModifiedBy>bindings/dotnet/build.sh</lastModifiedBy></coreProperties>" % version).encode()
tmp = dest + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(files):
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, files[name])
os.replace(tmp, dest)
PY
echo "== dotnet: $out/GetAvatar.$version.nupkg"
