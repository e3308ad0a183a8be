"""Checks a GetAvatar .nupkg as NuGet and the runtimes read it, without running .NET:

- layout: the nuspec (id, version, the netstandard2.0 group), lib/netstandard2.0/GetAvatar.dll and
  its XML docs, [Content_Types].xml and _rels/.rels, and each runtimes/RID/native library;
- the assembly references only netstandard 2.0.0.0 (a netstandard2.0 library);
- the assembly's P/Invoke declarations against include/getavatar.h (every one is a function of
  the header, with the same number of arguments and the same kind of each: pointer or 32-bit
  integer, return value included; all with the platform convention, `winapi`, which is
  GA_CALL: stdcall on 32-bit Windows) and against the exports of every native library in the
  package (the Linux .so and both Windows DLLs: an export missing from one is an
  EntryPointNotFoundException on that platform only).

    python3 check_package.py PACKAGE.nupkg HEADER [--require-windows]
Prints one line per check and `package: N passed, N failed, N skipped`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

results = {"passed": 0, "failed": 0, "skipped": 0}


def check(name: str, problems: list, skip: str = "") -> None:
    if skip:
        results["skipped"] += 1
        print(f"SKIP {name}: {skip}")
    elif problems:
        results["failed"] += 1
        print(f"FAIL {name}:\n  " + "\n  ".join(problems))
    else:
        results["passed"] += 1
        print(f"PASS {name}")


def header_functions(text: str) -> dict:
    """name -> (return kind, [argument kinds]) from the header's prototypes."""
    # The header's 32-bit integer types (GaStatus, GaTrust, GaMessage...): `typedef int32_t X;`.
    ints = {"int32_t"} | set(re.findall(r"^typedef int32_t (\w+);", text, re.M))
    funcs = {}
    for m in re.finditer(r"^([^\n;/*][^\n;]*?)\s*GA_CALL (ga_\w+)\(([^)]*)\)", text, re.M):
        ret, name, args = m.group(1), m.group(2), m.group(3)
        kinds = [c_kind(a, ints) for a in args.split(",") if a.strip() and a.strip() != "void"]
        funcs[name] = (c_kind(ret + " x", ints), kinds)
    return funcs


def c_kind(decl: str, ints: set) -> str:
    decl = " ".join(decl.split())
    if "*" in decl:
        return "ptr"
    if decl.startswith("void"):
        return "void"
    if re.match(r"(const )?(%s)\b" % "|".join(sorted(ints)), decl):
        return "i32"
    if re.match(r"(const )?double\b", decl):
        return "f64"
    return "?" + decl


def il_kind(t: str) -> str:
    t = re.sub(r"\[(in|out)\]\s*", "", t.strip())
    if t in ("native int", "uint8[]", "native int[]", "class GetAvatar.GaClientHandle"):
        return "ptr"
    if t == "int32":
        return "i32"
    if t == "float64":
        return "f64"
    if t == "void":
        return "void"
    return "?" + t


def assembly_imports(il: str) -> dict:
    """name -> (convention, library, return kind, [argument kinds]) of each pinvokeimpl method."""
    out = {}
    flat = " ".join(il.split())
    for m in re.finditer(r'pinvokeimpl\("([^"]+)" ([^)]*)\) (.*?) (\w+)\(([^)]*)\) cil managed', flat):
        lib, attrs, ret, name, params = m.groups()
        conv = [a for a in attrs.split() if a in ("winapi", "cdecl", "stdcall", "thiscall", "fastcall")]
        args = []
        for p in [p.strip() for p in params.split(",") if p.strip()]:
            args.append(il_kind(p.rsplit(" ", 1)[0]))
        out[name] = (conv[0] if conv else "winapi", lib, il_kind(ret), args)
    return out


def exports(path: Path) -> set:
    if path.suffix == ".so":
        text = subprocess.run(["nm", "-D", "--defined-only", str(path)], check=True, capture_output=True, text=True).stdout
        return {l.split()[-1] for l in text.splitlines() if len(l.split()) == 3 and l.split()[1] == "T"}
    text = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", str(path)], check=True, capture_output=True, text=True).stdout
    table = text.split("[Ordinal/Name Pointer] Table", 1)[-1] if "[Ordinal/Name Pointer] Table" in text else ""
    return set(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)\s*$", table, re.M))


def main() -> int:
    nupkg, header = Path(sys.argv[1]), Path(sys.argv[2])
    require_windows = "--require-windows" in sys.argv
    z = zipfile.ZipFile(nupkg)
    names = set(z.namelist())
    work = Path(tempfile.mkdtemp())
    z.extractall(work)

    problems = []
    for need in ("GetAvatar.nuspec", "[Content_Types].xml", "_rels/.rels", "lib/netstandard2.0/GetAvatar.dll",
                 "lib/netstandard2.0/GetAvatar.xml", "README.md", "runtimes/linux-x64/native/libgetavatar.so"):
        if need not in names:
            problems.append(f"{need} missing")
    natives = {"linux-x64": "runtimes/linux-x64/native/libgetavatar.so",
               "win-x64": "runtimes/win-x64/native/getavatar.dll",
               "win-x86": "runtimes/win-x86/native/getavatar.dll"}
    if require_windows:
        problems += [f"{p} missing" for rid, p in natives.items() if rid != "linux-x64" and p not in names]
    if "GetAvatar.nuspec" in names:
        ns = {"n": "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"}
        meta = ET.fromstring(z.read("GetAvatar.nuspec")).find("n:metadata", ns)
        if meta is None or meta.findtext("n:id", namespaces=ns) != "GetAvatar":
            problems.append("nuspec id is not GetAvatar")
        elif not nupkg.name == f"GetAvatar.{meta.findtext('n:version', namespaces=ns)}.nupkg":
            problems.append(f"{nupkg.name} does not match the nuspec version")
        groups = [g.get("targetFramework") for g in ET.fromstring(z.read("GetAvatar.nuspec")).iter("{%s}group" % ns["n"])]
        if groups != [".NETStandard2.0"]:
            problems.append(f"dependency groups {groups}")
    if "[Content_Types].xml" in names:
        ct = z.read("[Content_Types].xml").decode()
        for ext in ("rels", "nuspec", "dll", "xml", "so"):
            if f'Extension="{ext}"' not in ct:
                problems.append(f"[Content_Types].xml lacks {ext}")
    check("package_layout", problems)

    dll = work / "lib/netstandard2.0/GetAvatar.dll"
    il = subprocess.run(["ikdasm", str(dll)], check=True, capture_output=True, text=True).stdout
    refs = re.findall(r"\.assembly extern (\S+)\s*\{[^}]*?\.ver (\d+:\d+:\d+:\d+)", il, re.S)
    check("assembly_references_netstandard_2_0_only", [] if refs == [("netstandard", "2:0:0:0")] else [f"references {refs}"])

    funcs = header_functions(header.read_text(encoding="utf-8"))
    imports = {k: v for k, v in assembly_imports(il).items() if v[1] == "getavatar"}
    problems = []
    if len(funcs) < 30:
        problems.append(f"read only {len(funcs)} prototypes from {header}")
    if len(imports) < 25:
        problems.append(f"found only {len(imports)} getavatar imports in the assembly")
    for name, (conv, _lib, ret, args) in sorted(imports.items()):
        if name not in funcs:
            problems.append(f"{name}: not in the header")
            continue
        cret, cargs = funcs[name]
        if conv != "winapi":
            problems.append(f"{name}: convention {conv}, not winapi (GA_CALL)")
        if (ret, args) != (cret, cargs):
            problems.append(f"{name}: C# ({ret}; {', '.join(args)}) vs header ({cret}; {', '.join(cargs)})")
    check("declarations_match_header", problems)

    for rid, path in natives.items():
        if path not in names:
            check(f"exports_{rid}", [], skip=f"{path} not in this package")
            continue
        have = exports(work / path)
        missing = sorted(set(imports) - have)
        check(f"exports_{rid}", [f"{path} does not export {', '.join(missing)}"] if missing else [])
    print(f"package: {results['passed']} passed, {results['failed']} failed, {results['skipped']} skipped")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
