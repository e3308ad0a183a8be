"""Finds and loads the getavatar shared library and declares every function it exports."""

from __future__ import annotations

import ctypes
import os
import struct
import sys
import threading
from pathlib import Path
from typing import List, Optional

__all__ = ["GaAvatar", "GaAvatarImage", "GaCancelPtr", "LibraryNotFoundError", "lib", "library_path"]


class LibraryNotFoundError(OSError):
    """The getavatar shared library could not be found or loaded."""


class GaAvatar(ctypes.Structure):
    """Mirror of `GaAvatar` in getavatar.h, read in place over the library's block.

    The strings are ``c_char_p`` fields: reading one copies it into ``bytes`` (None for NULL),
    faster than ``string_at``; the block itself stays the library's, freed with ``ga_free``.
    (Functions that return library-owned strings still declare ``c_void_p``, see _declare.)
    """

    _fields_ = [
        ("status", ctypes.c_int32),
        ("http_status", ctypes.c_int32),
        ("available", ctypes.c_int32),
        ("url_avatar", ctypes.c_char_p),
        ("error", ctypes.c_char_p),
    ]


class GaAvatarImage(ctypes.Structure):
    """Mirror of `GaAvatarImage` in getavatar.h: GaAvatar's fields, then the image."""

    _fields_ = GaAvatar._fields_ + [
        ("data", ctypes.c_void_p),
        ("size", ctypes.c_size_t),
        ("content_type", ctypes.c_char_p),
    ]


class _GaClient(ctypes.Structure):
    """Opaque `GaClient`."""


GaClientPtr = ctypes.POINTER(_GaClient)


class _GaCancel(ctypes.Structure):
    """Opaque `GaCancel` (a cancel token)."""


GaCancelPtr = ctypes.POINTER(_GaCancel)


def _file_name() -> str:
    if sys.platform == "win32":
        return "getavatar.dll"
    if sys.platform == "darwin":
        return "libgetavatar.dylib"
    return "libgetavatar.so"


def _candidates() -> List[Path]:
    """Where to look, in order: $GETAVATAR_LIBRARY, the package, a checkout's target dirs."""
    env = os.environ.get("GETAVATAR_LIBRARY")
    if env:
        # An explicit choice wins and is the only place tried: a silent fallback would hide a typo.
        return [Path(env)]
    here = Path(__file__).resolve().parent
    found = [here / _file_name()]
    for d in here.parents:
        if (d / "Cargo.toml").is_file() and (d / "bindings" / "python").is_dir():
            found += [d / "target" / "release" / _file_name(), d / "target" / "debug" / _file_name()]
            break
    return found


def _loader() -> "type[ctypes.CDLL]":
    """The ctypes class that calls the library's convention: the 32-bit Windows DLL exports
    __stdcall functions (for Excel VBA), which only WinDLL calls correctly (CDLL would leave the
    arguments on the stack and corrupt it); everywhere else the C convention, CDLL."""
    if sys.platform == "win32" and struct.calcsize("P") == 4:
        return ctypes.WinDLL  # type: ignore[attr-defined,no-any-return]
    return ctypes.CDLL


def _load() -> "tuple[ctypes.CDLL, Path]":
    tried = []
    loader = _loader()
    for path in _candidates():
        if not path.is_file():
            tried.append(f"{path} (not found)")
            continue
        try:
            if sys.platform == "win32":
                os.add_dll_directory(str(path.parent))  # type: ignore[attr-defined]
            return loader(str(path)), path
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise LibraryNotFoundError(
        "cannot load the getavatar library; tried:\n  "
        + "\n  ".join(tried)
        + "\nInstall a wheel (`pip install getavatar`), build it with "
        "`cargo build --release`, or set GETAVATAR_LIBRARY to the library's full path."
    )


def _declare(l: ctypes.CDLL) -> None:
    c_char_p, c_void_p, i32 = ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int32
    sigs = {
        # Library-owned strings come back as c_void_p (copied with string_at), never c_char_p.
        "ga_client_new": ([c_char_p, c_char_p, c_char_p], GaClientPtr),
        "ga_client_free": ([GaClientPtr], None),
        "ga_get_avatar": ([GaClientPtr, c_char_p], c_void_p),
        "ga_free": ([c_void_p], None),
        "ga_last_error": ([], c_void_p),
        "ga_status_name": ([i32], c_void_p),
        "ga_version": ([], c_void_p),
        "ga_client_set_timeout_ms": ([GaClientPtr, i32], i32),
        "ga_client_set_deadline_ms": ([GaClientPtr, i32], i32),
        "ga_client_set_max_retries": ([GaClientPtr, i32], i32),
        "ga_client_set_rate_limit": ([GaClientPtr, i32], i32),
        "ga_client_rate": ([GaClientPtr], ctypes.c_double),
        "ga_client_set_backoff_ms": ([GaClientPtr, i32], i32),
        "ga_client_set_concurrency": ([GaClientPtr, i32], i32),
        "ga_client_set_ca_file": ([GaClientPtr, c_char_p], i32),
        "ga_client_set_trust": ([GaClientPtr, i32], i32),
        "ga_client_set_cache_ttl": ([GaClientPtr, i32], i32),
        "ga_client_set_user_agent": ([GaClientPtr, c_char_p], i32),
        "ga_client_set_language": ([GaClientPtr, c_char_p], i32),
        "ga_client_new_from_env": ([], GaClientPtr),
        "ga_get_avatars": ([GaClientPtr, ctypes.POINTER(c_char_p), i32, ctypes.POINTER(c_void_p)], i32),
        "ga_client_set_proxy": ([GaClientPtr, c_char_p], i32),
        "ga_client_use_env_proxy": ([GaClientPtr], i32),
        "ga_download_avatar": ([GaClientPtr, c_char_p, c_char_p], c_void_p),
        "ga_download_avatar_bytes": ([GaClientPtr, c_char_p], c_void_p),
        "ga_client_set_idle_timeout_ms": ([GaClientPtr, i32], i32),
        "ga_client_warm_up": ([GaClientPtr], i32),
        "ga_cancel_new": ([], GaCancelPtr),
        "ga_cancel": ([GaCancelPtr], None),
        "ga_cancel_free": ([GaCancelPtr], None),
        "ga_get_avatar_cancellable": ([GaClientPtr, c_char_p, GaCancelPtr], c_void_p),
        "ga_get_avatars_cancellable": (
            [GaClientPtr, ctypes.POINTER(c_char_p), i32, ctypes.POINTER(c_void_p), GaCancelPtr],
            i32,
        ),
        "ga_download_avatar_cancellable": ([GaClientPtr, c_char_p, c_char_p, GaCancelPtr], c_void_p),
        "ga_download_avatar_bytes_cancellable": ([GaClientPtr, c_char_p, GaCancelPtr], c_void_p),
        "ga_client_new_from_credential": ([c_char_p, c_char_p], GaClientPtr),
        "ga_credential_save": ([c_char_p, c_char_p], i32),
        "ga_credential_delete": ([c_char_p], i32),
        "ga_message": ([c_char_p, i32, c_char_p, c_char_p, c_char_p], c_void_p),
    }
    for name, (args, res) in sigs.items():
        f = getattr(l, name)
        f.argtypes = args
        f.restype = res


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_path: Optional[Path] = None


def lib() -> ctypes.CDLL:
    """The loaded library, with every prototype declared (loaded on first use)."""
    global _lib, _path
    if _lib is None:
        with _lock:
            if _lib is None:
                l, p = _load()
                _declare(l)
                _path, _lib = p, l
    return _lib


def library_path() -> Path:
    """The file the library was loaded from."""
    lib()
    assert _path is not None
    return _path


def text(ptr: Optional[int]) -> str:
    """Copies a library-owned UTF-8 string (not freed here)."""
    if not ptr:
        return ""
    return ctypes.string_at(ptr).decode("utf-8", errors="replace")


# The checks the binding makes itself, whose text ga_message gives (GA_MSG_* in the header).
MSG_CLOSED, MSG_WRONG_TYPE, MSG_HAS_NUL, MSG_LONE_SURROGATE = 1, 2, 3, 4
MSG_OUT_OF_RANGE, MSG_NOT_ONE_OF, MSG_TOO_MANY_IDS, MSG_OUT_OF_MEMORY, MSG_NOT_SENT = 5, 6, 7, 8, 9


def message(lang: Optional[str], n: int, name: str = "", value: str = "", expected: str = "") -> str:
    """The library's text for a check this binding makes itself, in ``lang`` (a client's
    language tag; None: the process default), so it reads as the library's own messages do."""

    def c(s: Optional[str]) -> Optional[bytes]:
        return None if s is None else s.replace("\0", "\ufffd").encode("utf-8", "replace")

    return text(lib().ga_message(c(lang), n, c(name), c(value), c(expected)))


def decode(b: Optional[bytes]) -> str:
    """A string field of a result block (already copied by ctypes) as text."""
    return b.decode("utf-8", "replace") if b else ""
