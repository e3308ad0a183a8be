"""The library's calls as small objects shared by Client and AsyncClient.

Each call checks and encodes its arguments when made; ``run(handle, token)`` then calls the C
function (with a cancel token, or None: not cancellable), turns its result into Python and frees
it. ``run`` runs wholly on one thread (the library's last error is per thread) where no signal
handler runs: a helper for the main thread's calls (see _interrupt), else the caller's own.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from typing import Any, Generic, Iterator, List, Optional, Sequence, TypeVar, Union

from . import _native
from ._errors import Error, InvalidArgumentError, InvalidArgumentTypeError, from_status

__all__ = ["Avatar", "AvatarImage", "Call", "Lookup", "Download", "ImageBytes", "Batch"]

R = TypeVar("R")


@dataclass(frozen=True)
class Avatar:
    """An avatar lookup's answer."""

    #: The avatar link; ``""`` when there is none (not set, no such account, or hidden).
    url: str
    #: True available, False hidden by privacy settings, None when the server did not say.
    available: Optional[bool]
    #: The HTTP status of the answer (200).
    http_status: int = 200


@dataclass(frozen=True)
class AvatarImage:
    """An avatar lookup's answer with the image itself (see :meth:`Client.avatar_bytes`)."""

    #: The avatar link; ``""`` when there is none (then ``data`` is None).
    url: str
    #: True available, False hidden by privacy settings, None when the server did not say.
    available: Optional[bool]
    #: The image (at most 16 MiB), or None when the chat has no avatar.
    data: Optional[bytes]
    #: Its media type, e.g. ``"image/jpeg"``; ``""`` when there is no image.
    content_type: str

    def __repr__(self) -> str:
        size = "None" if self.data is None else f"<{len(self.data)} bytes>"
        return f"AvatarImage(url={self.url!r}, available={self.available!r}, data={size}, content_type={self.content_type!r})"


def path_arg(name: str, value: object, lang: Optional[str] = None) -> bytes:
    """A file system path (str, bytes or os.PathLike) as UTF-8."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    return utf8(name, value, lang)


def utf8(name: str, value: object, lang: Optional[str] = None) -> bytes:
    """``value`` (a str) as UTF-8, or the library's error for it in ``lang`` (see ``refusal``)."""
    if not isinstance(value, str):
        raise refusal(lang, _native.MSG_WRONG_TYPE, name, type(value).__name__, "str")
    if "\0" in value:
        raise refusal(lang, _native.MSG_HAS_NUL, name)
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:  # lone surrogates
        raise refusal(lang, _native.MSG_LONE_SURROGATE, name, str(e.start)) from None


def id_iterator(chat_ids: object, lang: Optional[str]) -> Iterator[object]:
    """An iterator over ``chat_ids``. A single string (``get_avatars("10000000")``) and what is
    not iterable (``get_avatars(10000000)``) are refused with the binding's
    ``InvalidArgumentTypeError``, not Python's bare ``TypeError``."""
    if isinstance(chat_ids, (str, bytes)):
        raise refusal(lang, _native.MSG_WRONG_TYPE, "chat_ids", type(chat_ids).__name__, "Sequence[str]")
    try:
        it: Iterator[object] = iter(chat_ids)  # type: ignore[call-overload]
        return it
    except TypeError:
        raise refusal(lang, _native.MSG_WRONG_TYPE, "chat_ids", type(chat_ids).__name__, "Sequence[str]") from None


def refusal(lang: Optional[str], n: int, name: str = "", value: str = "", expected: str = "") -> Error:
    """The error for a check this binding makes itself (``_native.MSG_*``), its text the
    library's in ``lang`` (a client's language; None: the process default):
    ``InvalidArgumentTypeError`` for a wrong type, else ``InvalidArgumentError``."""
    cls = InvalidArgumentTypeError if n == _native.MSG_WRONG_TYPE else InvalidArgumentError
    return cls(_native.message(lang, n, name, value, expected), 1, 0)


def out_of_memory(lang: Optional[str]) -> MemoryError:
    """A MemoryError with the library's text (English if even that cannot be had)."""
    try:
        return MemoryError(_native.message(lang, _native.MSG_OUT_OF_MEMORY))
    except MemoryError:
        return MemoryError("getavatar: out of memory")


def last_error() -> str:
    return _native.text(_native.lib().ga_last_error())


def convert(a: "_native.GaAvatar") -> Union[Avatar, Error]:
    """Copies a GaAvatar (the caller frees it)."""
    if a.status != 0:
        return from_status(a.status, _native.decode(a.error), a.http_status)
    available = a.available
    # Avatar(url, available, http_status), built as the frozen dataclass's own __init__ does
    # (every lookup makes one: this takes half the time of calling that __init__).
    r: Avatar = _new(Avatar)
    d = r.__dict__
    d["url"] = _native.decode(a.url_avatar)
    d["available"] = None if available < 0 else available != 0
    d["http_status"] = a.http_status
    return r


_new = object.__new__


class Call(Generic[R]):
    """One library call, made by ``run``."""

    __slots__ = ()

    def run(self, handle: Any, token: Any) -> R:
        """Makes the call (``token``: a cancel token, or None) and returns its result (or raises)."""
        raise NotImplementedError


class _Single(Call[R]):
    """A call returning one result block (GaAvatar* or GaAvatarImage*), freed by ``run``;
    ``lang``: the client's language, for the binding's own errors."""

    __slots__ = ("args", "lang")
    fn_name = ""

    def __init__(self, lang: Optional[str], *args: bytes) -> None:
        self.lang = lang
        self.args = args

    def run(self, handle: Any, token: Any) -> R:
        l = _native.lib()
        ptr = getattr(l, self.fn_name)(handle, *self.args, token)
        if not ptr:
            raise out_of_memory(self.lang)
        try:
            return self.result(ptr)
        finally:
            l.ga_free(ptr)

    def result(self, ptr: int) -> R:
        raise NotImplementedError


class Lookup(_Single[Avatar]):
    """``ga_get_avatar_cancellable``: the call made most."""

    __slots__ = ()
    fn_name = "ga_get_avatar_cancellable"

    def __init__(self, chat_id: object, lang: Optional[str] = None) -> None:
        self.lang = lang
        if type(chat_id) is str and chat_id.isascii() and "\0" not in chat_id:
            self.args = (chat_id.encode(),)  # what utf8() returns, checked inline
        else:
            self.args = (utf8("chat_id", chat_id, lang),)

    def result(self, ptr: int) -> Avatar:
        r = convert(_native.GaAvatar.from_address(ptr))
        if isinstance(r, Error):
            raise r
        return r


class Download(Lookup):
    """``ga_download_avatar_cancellable``: a lookup's result."""

    __slots__ = ()
    fn_name = "ga_download_avatar_cancellable"

    def __init__(self, chat_id: object, path: object, lang: Optional[str] = None) -> None:
        _Single.__init__(self, lang, utf8("chat_id", chat_id, lang), path_arg("path", path, lang))


class ImageBytes(_Single[AvatarImage]):
    __slots__ = ()
    fn_name = "ga_download_avatar_bytes_cancellable"

    def __init__(self, chat_id: object, lang: Optional[str] = None) -> None:
        super().__init__(lang, utf8("chat_id", chat_id, lang))

    def result(self, ptr: int) -> AvatarImage:
        a = _native.GaAvatarImage.from_address(ptr)
        if a.status != 0:
            raise from_status(a.status, _native.decode(a.error), a.http_status)
        data = ctypes.string_at(a.data, a.size) if a.data else None
        return AvatarImage(
            _native.decode(a.url_avatar),
            None if a.available < 0 else bool(a.available),
            data,
            _native.decode(a.content_type),
        )


class Batch(Call[List[Union[Avatar, Error]]]):
    """``ga_get_avatars_cancellable``: one result per id, in order; errors in place."""

    def __init__(self, chat_ids: Sequence[object], lang: Optional[str] = None) -> None:
        self.lang = lang
        ids = list(id_iterator(chat_ids, lang))
        n = len(ids)
        if n >= 2**31:
            raise refusal(lang, _native.MSG_TOO_MANY_IDS, "", str(n), str(2**31 - 1))
        self.n = n
        self.encoded: List[Optional[bytes]] = []
        self.early: List[Optional[Error]] = []
        for cid in ids:
            try:
                self.encoded.append(utf8("chat_id", cid, lang))
                self.early.append(None)
            except Error as e:
                self.encoded.append(None)  # NULL: the library fills the slot; the Python error wins
                self.early.append(e)

    def run(self, handle: Any, token: Any) -> List[Union[Avatar, Error]]:
        l = _native.lib()
        out = (ctypes.c_void_p * self.n)()
        try:
            ids = (ctypes.c_char_p * self.n)(*self.encoded)
            status = l.ga_get_avatars_cancellable(handle, ids, self.n, out, token)
            if status != 0 and not any(out):
                raise from_status(status, last_error())
            results: List[Union[Avatar, Error]] = []
            for ptr, early in zip(out, self.early):
                if early is not None:
                    results.append(early)
                elif not ptr:
                    results.append(out_of_memory(self.lang))  # type: ignore[arg-type]
                else:
                    results.append(convert(_native.GaAvatar.from_address(ptr)))
            return results
        finally:
            for ptr in out:
                if ptr:
                    l.ga_free(ptr)
