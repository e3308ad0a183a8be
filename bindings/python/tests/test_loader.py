"""Which ctypes class loads the library: WinDLL (stdcall) for the 32-bit Windows DLL only."""

from __future__ import annotations

import ctypes
import struct
import sys

import pytest

from getavatar import _native


class _WinDLL(ctypes.CDLL):
    """Stands in for ctypes.WinDLL, which exists on Windows only."""


@pytest.mark.parametrize(
    "platform, pointer_size, want",
    [
        ("win32", 4, "WinDLL"),  # 32-bit Python on Windows: the DLL's functions are __stdcall
        ("win32", 8, "CDLL"),  # 64-bit Windows has one convention
        ("linux", 8, "CDLL"),
        ("linux", 4, "CDLL"),  # 32-bit Linux: cdecl
        ("darwin", 8, "CDLL"),
    ],
)
def test_loader_matches_the_calling_convention(monkeypatch, platform, pointer_size, want):
    real_calcsize = struct.calcsize
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(struct, "calcsize", lambda fmt: pointer_size if fmt == "P" else real_calcsize(fmt))
    monkeypatch.setattr(ctypes, "WinDLL", _WinDLL, raising=False)
    got = _native._loader()
    assert got is {"WinDLL": _WinDLL, "CDLL": ctypes.CDLL}[want]
