"""The ctypes prototypes `getavatar._native` declares, checked against include/getavatar.h.

ctypes trusts its prototypes: a wrong `argtypes` or `restype` is not an error but a truncated
pointer, a misread return or a corrupted stack (32-bit stdcall). So every declared function must
exist in the header with the same number of arguments, and each argument and the result must
agree in size, signedness and pointer-ness (through every level of indirection); every `ga_*`
function the package calls must be declared. The prototypes checked are the ctypes objects
themselves (a fresh handle passed through `_native._declare`), not a reading of the source.
The header comes from the checkout ($GETAVATAR_REPO when the suite runs against a wheel).
"""

from __future__ import annotations

import ast
import ctypes
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from getavatar import _native

REPO = Path(os.environ.get("GETAVATAR_REPO", Path(__file__).resolve().parents[3]))

CType = Tuple[str, int]  # (base type without const, levels of '*'): ("char", 2) is char **
Proto = Tuple[CType, List[CType]]

# Status-returning exports may be int32_t or the GaStatus enum (int32_t-backed, see the header);
# GaTrust and GaMessage are typedefs of int32_t.
INT32 = {"int32_t", "GaStatus", "enum GaStatus", "GaTrust", "GaMessage"}
SIZE = {"size_t", "uintptr_t"}
SIGNED_CODES, UNSIGNED_CODES = "bhilq", "BHILQ"


def _c_type(text: str, named: bool) -> CType:
    tokens = [t for t in re.sub(r"\*", " * ", text).split() if t != "const"]
    if named:  # drop the parameter's name
        assert tokens and re.fullmatch(r"[A-Za-z_]\w*", tokens[-1]), text
        tokens = tokens[:-1]
    depth = tokens.count("*")
    base = " ".join(t for t in tokens if t != "*")
    assert base and tokens[: len(tokens) - depth] == base.split(), f"cannot read C type {text!r}"
    return base, depth


def parse_header(text: str) -> Dict[str, Proto]:
    """name -> (return type, parameter types) of every `GA_CALL ga_*` declaration."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    out: Dict[str, Proto] = {}
    for stmt in re.split(r"[;{}]", text):
        m = re.fullmatch(r"\s*(.+?)\s*\bGA_CALL\s+(ga_\w+)\s*\((.*)\)\s*", stmt, flags=re.S)
        if not m:
            continue
        ret, name, args = m.groups()
        params = [] if args.strip() == "void" else [_c_type(a, named=True) for a in args.split(",")]
        assert name not in out, f"{name} declared twice"
        out[name] = (_c_type(ret, named=False), params)
    return out


def _is_pointer(t: Any) -> bool:
    return isinstance(t, type) and (
        issubclass(t, ctypes._Pointer) or issubclass(t, (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_wchar_p))
    )


def _integer(t: Any) -> Optional[Tuple[int, bool]]:
    """(size, signed) of a ctypes integer type, else None."""
    code = getattr(t, "_type_", None) if isinstance(t, type) and issubclass(t, ctypes._SimpleCData) else None
    if isinstance(code, str) and code in SIGNED_CODES + UNSIGNED_CODES:
        return ctypes.sizeof(t), code in SIGNED_CODES
    return None


def mismatch(c: CType, py: Any) -> Optional[str]:
    """Why the ctypes type `py` (None = void) cannot stand for the C type `c`; None if it can."""
    base, depth = c
    shown = getattr(py, "__name__", repr(py))
    if depth > 0:
        if not _is_pointer(py):
            return f"C {base} {'*' * depth} is a pointer, ctypes {shown} is not"
        if py is ctypes.c_void_p or (base == "void" and depth == 1):
            return None  # an untyped pointer on either side
        if py is ctypes.c_char_p:
            return None if c == ("char", 1) else f"c_char_p is char *, C has {base} {'*' * depth}"
        if py is ctypes.c_wchar_p:
            return "c_wchar_p: the API has no wide strings"
        inner = mismatch((base, depth - 1), py._type_)
        return None if inner is None else f"pointee: {inner}"
    if base == "void":
        return None if py is None else f"C returns void, ctypes expects {shown}"
    if _is_pointer(py):
        return f"ctypes {shown} is a pointer, C {base} is not"
    if base in INT32:
        return None if _integer(py) == (4, True) else f"C {base} is a signed 32-bit integer, ctypes {shown} is not"
    if base in SIZE:
        want = (ctypes.sizeof(ctypes.c_void_p), False)
        return None if _integer(py) == want else f"C {base} is an unsigned pointer-sized integer, ctypes {shown} is not"
    if base == "double":
        return None if py is ctypes.c_double else f"C double, ctypes {shown}"
    if base == "char":
        return None if py in (ctypes.c_char, ctypes.c_byte, ctypes.c_ubyte) else f"C char, ctypes {shown}"
    struct = base[len("struct "):] if base.startswith("struct ") else base
    if struct.startswith("Ga") and re.fullmatch(r"\w+", struct):
        if isinstance(py, type) and issubclass(py, ctypes.Structure) and py.__name__.lstrip("_") == struct:
            return None
        return f"C struct {struct}, ctypes {shown} (a Structure named {struct} or _{struct} expected)"
    return f"C type {base!r} is unknown to this test: teach mismatch() its size"


def check(name: str, c: Proto, argtypes: Any, restype: Any) -> List[str]:
    ret, params = c
    if argtypes is None:
        return [f"{name}: no argtypes (ctypes would guess, truncating pointers)"]
    if len(argtypes) != len(params):
        return [f"{name}: {len(argtypes)} argtypes, the header has {len(params)} parameters"]
    errors = []
    for i, (p, a) in enumerate(zip(params, argtypes)):
        why = mismatch(p, a)
        if why:
            errors.append(f"{name} argument {i + 1}: {why}")
    why = mismatch(ret, restype)
    return errors + ([f"{name} result: {why}"] if why else [])


@pytest.fixture(scope="module")
def header() -> Dict[str, Proto]:
    path = REPO / "include" / "getavatar.h"
    assert path.is_file(), f"{path} not found: set GETAVATAR_REPO to the checkout"
    return parse_header(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def declared() -> Dict[str, Any]:
    """The functions `_native._declare` gives prototypes to, on a fresh handle of the library."""
    fresh = _native._loader()(str(_native.library_path()))
    _native._declare(fresh)
    return {n: f for n, f in vars(fresh).items() if n.startswith("ga_")}


def _used_by_package() -> Dict[str, str]:
    """Every `ga_*` name the package's code calls: `lib.ga_x` attributes and "ga_x" strings
    (setters are called by name); docstrings are sentences, so they never match whole."""
    used: Dict[str, str] = {}
    for src in sorted(Path(_native.__file__).parent.glob("*.py")):
        if src.name == "_errors.py":
            continue  # names settings in messages (SETTING_NAMES), calls nothing
        for node in ast.walk(ast.parse(src.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                word = node.attr
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                word = node.value
            else:
                continue
            if re.fullmatch(r"ga_\w+", word):
                used.setdefault(word, f"{src.name}:{node.lineno}")
    return used


def test_the_header_reader_finds_every_export_and_its_types(header):
    assert len(header) >= 25, sorted(header)
    text = (REPO / "include" / "getavatar.h").read_text(encoding="utf-8")
    assert len(header) == len(re.findall(r"\bGA_CALL ga_\w+\(", text))
    assert header["ga_client_new"] == (("struct GaClient", 1), [("char", 1)] * 3)
    (base, depth), params = header["ga_get_avatars"]
    assert base in INT32 and depth == 0, header["ga_get_avatars"]
    assert params == [("struct GaClient", 1), ("char", 2), ("int32_t", 0), ("struct GaAvatar", 2)]
    assert header["ga_version"] == (("char", 1), [])
    assert header["ga_free"] == (("void", 0), [("void", 1)])


def test_every_prototype_matches_the_header(header, declared):
    assert len(declared) >= 20, sorted(declared)
    errors = [f"{n}: not in the header" for n in declared if n not in header]
    for name, f in sorted(declared.items()):
        if name in header:
            errors += check(name, header[name], f.argtypes, f.restype)
    assert not errors, "\n".join(errors)


def test_every_export_the_package_calls_is_declared_and_in_the_header(header, declared):
    used = _used_by_package()
    assert {"ga_client_new", "ga_get_avatar", "ga_free", "ga_client_set_timeout_ms"} <= set(used), used
    missing = {n: at for n, at in used.items() if n not in header or n not in declared}
    assert not missing, f"called but not in the header or without a prototype in _native: {missing}"


def test_enum_status_returns_are_read_as_32_bit_integers():
    h = parse_header(
        "enum GaStatus GA_CALL ga_a(struct GaClient *client, int32_t ms);\n"
        "GaStatus GA_CALL ga_b(void);\n"
        "const char *GA_CALL ga_c(GaStatus status);\n"
    )
    assert h == {
        "ga_a": (("enum GaStatus", 0), [("struct GaClient", 1), ("int32_t", 0)]),
        "ga_b": (("GaStatus", 0), []),
        "ga_c": (("char", 1), [("GaStatus", 0)]),
    }
    client = type("_GaClient", (ctypes.Structure,), {})
    assert check("ga_a", h["ga_a"], (ctypes.POINTER(client), ctypes.c_int32), ctypes.c_int32) == []
    assert check("ga_b", h["ga_b"], (), ctypes.c_int) == []
    assert check("ga_c", h["ga_c"], (ctypes.c_int32,), ctypes.c_void_p) == []


class _GaClient(ctypes.Structure):
    pass


class _GaCancel(ctypes.Structure):
    pass


@pytest.mark.parametrize(
    "c, py",
    [
        (("int32_t", 0), ctypes.c_int64),  # too wide
        (("int32_t", 0), ctypes.c_uint32),  # unsigned
        (("int32_t", 0), ctypes.c_int16),
        (("int32_t", 0), ctypes.c_double),
        (("int32_t", 0), ctypes.c_void_p),  # a pointer for a number
        (("int32_t", 0), None),  # a status dropped
        (("GaStatus", 0), ctypes.c_int8),
        (("size_t", 0), ctypes.c_int32),
        (("void", 0), ctypes.c_int32),
        (("char", 1), ctypes.c_int32),  # a number for a pointer
        (("char", 1), ctypes.c_wchar_p),
        (("char", 1), ctypes.POINTER(ctypes.c_int32)),
        (("char", 2), ctypes.c_char_p),  # one level short
        (("char", 2), ctypes.POINTER(ctypes.c_int32)),
        (("struct GaAvatar", 2), ctypes.POINTER(ctypes.c_int32)),
        (("struct GaClient", 1), ctypes.POINTER(_GaCancel)),  # the wrong handle
        (("struct GaClient", 1), ctypes.POINTER(ctypes.c_int32)),
        (("int64_t", 0), ctypes.c_int64),  # a type the test does not know
    ],
)
def test_a_wrong_type_is_rejected(c: CType, py: Any) -> None:
    assert mismatch(c, py) is not None


def test_wrong_prototypes_are_rejected_whole():
    c = (("int32_t", 0), [("struct GaClient", 1), ("int32_t", 0)])
    ok = (ctypes.POINTER(_GaClient), ctypes.c_int32)
    assert check("f", c, ok, ctypes.c_int32) == []
    assert check("f", c, ok[:1], ctypes.c_int32)  # an argument missing
    assert check("f", c, ok + (ctypes.c_int32,), ctypes.c_int32)  # one too many
    assert check("f", c, None, ctypes.c_int32)  # never declared
    assert check("f", c, ok, ctypes.c_void_p)  # result
