"""The library's calls as small objects shared by Client and AsyncClient.

Each call checks and encodes its arguments when made, then ``invoke`` runs the C function with a
cancel token; its result pointer lands in the object from C itself (``list.extend`` over
``starmap``: no Python bytecode runs between the C call returning and the pointer being kept,
so a KeyboardInterrupt raised right after the call cannot lose it). ``result`` turns it into
Python and ``free`` releases whatever is still held (the caller always calls it, last); both run
on the thread that invoked (the library's last error is per thread).

A lookup is the call made most, thousands of times a second on loopback: ``Lookup`` keeps its
path short (no lookups by name, one small object, the Avatar built without the dataclass's
slower __init__), since each microsecond here is a visible share of a 30 µs call.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from itertools import starmap
from typing import Any, Generic, List, Optional, Sequence, Tuple, TypeVar, Union

from . import _native
from ._errors import Error, InvalidArgumentError, InvalidArgumentTypeError, from_status

__all__ = ["Avatar", "AvatarImage", "Call", "Lookup", "Download", "ImageBytes", "Batch"]

R = TypeVar("R")
CANCELLED = 14


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


def path_arg(name: str, value: object) -> bytes:
    """A file system path (str, bytes or os.PathLike) as UTF-8."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    return utf8(name, value)


def utf8(name: str, value: object) -> bytes:
    if not isinstance(value, str):
        raise InvalidArgumentTypeError(f"{name} must be a str, not {type(value).__name__}", 1, 0)
    if "\0" in value:
        raise InvalidArgumentError(f"{name} must not contain NUL characters", 1, 0)
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:  # lone surrogates
        raise InvalidArgumentError(f"{name} is not valid Unicode text ({e.reason})", 1, 0) from None


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


def _status(ptr: Optional[int]) -> int:
    return int(_native.GaAvatar.from_address(ptr).status) if ptr else 0


class Call(Generic[R]):
    """One library call: ``invoke`` (again after ``retry_cancelled``), then ``result``; ``free`` always."""

    __slots__ = ()

    def invoke(self, handle: Any, token: Any) -> None:
        raise NotImplementedError

    def cancelled(self) -> bool:
        """Whether (part of) the result says GA_ERR_CANCELLED."""
        raise NotImplementedError

    def retry_cancelled(self) -> None:
        """Frees the cancelled results so the next ``invoke`` redoes just those."""
        raise NotImplementedError

    def result(self) -> R:
        """The Python result (or its error raised); ``free`` follows."""
        raise NotImplementedError

    def free(self) -> None:
        """Frees whatever the call still holds; idempotent."""
        raise NotImplementedError

    def run(self, handle: Any, token: Any) -> R:
        try:
            self.invoke(handle, token)
            return self.result()
        finally:
            self.free()


class _Single(Call[R]):
    """A call returning one result block (GaAvatar* or GaAvatarImage*)."""

    __slots__ = ("args", "box")
    fn_name = ""

    def __init__(self, *args: bytes) -> None:
        self.args = args
        self.box: List[Optional[int]] = []

    def invoke(self, handle: Any, token: Any) -> None:
        fn = getattr(_native.lib(), self.fn_name)
        self.box.extend(starmap(fn, ((handle, *self.args, token),)))

    def cancelled(self) -> bool:
        return bool(self.box) and _status(self.box[0]) == CANCELLED

    def retry_cancelled(self) -> None:
        self.free()

    def free(self) -> None:
        box = self.box
        if box:
            self.box = []
            for ptr in box:
                if ptr:
                    _native.lib().ga_free(ptr)

    def _ptr(self) -> int:
        ptr = self.box[0]
        if not ptr:
            raise MemoryError("getavatar: out of memory")
        return ptr


class Lookup(_Single[Avatar]):
    """``ga_get_avatar_cancellable``: the call every lookup makes, so its path is the shortest."""

    __slots__ = ()

    def __init__(self, chat_id: object) -> None:
        if type(chat_id) is str and chat_id.isascii() and "\0" not in chat_id:
            self.args = (chat_id.encode(),)  # what utf8() returns, checked inline
        else:
            self.args = (utf8("chat_id", chat_id),)
        self.box = []

    def invoke(self, handle: Any, token: Any) -> None:
        self.box.extend(starmap(_native.lib().ga_get_avatar_cancellable, ((handle, self.args[0], token),)))

    def result(self) -> Avatar:
        r = convert(_native.GaAvatar.from_address(self._ptr()))
        if isinstance(r, Error):
            raise r
        return r


class Download(Lookup):
    """``ga_download_avatar_cancellable``: a lookup's result, invoked as any single call."""

    __slots__ = ()
    fn_name = "ga_download_avatar_cancellable"
    invoke = _Single.invoke

    def __init__(self, chat_id: object, path: object) -> None:
        _Single.__init__(self, utf8("chat_id", chat_id), path_arg("path", path))


class ImageBytes(_Single[AvatarImage]):
    __slots__ = ()
    fn_name = "ga_download_avatar_bytes_cancellable"

    def __init__(self, chat_id: object) -> None:
        super().__init__(utf8("chat_id", chat_id))

    def result(self) -> AvatarImage:
        a = _native.GaAvatarImage.from_address(self._ptr())
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

    def __init__(self, chat_ids: Sequence[object]) -> None:
        if isinstance(chat_ids, (str, bytes)):
            raise InvalidArgumentTypeError("chat_ids must be a sequence of str, not a single string", 1, 0)
        ids = list(chat_ids)
        n = len(ids)
        if n >= 2**31:
            raise InvalidArgumentError("too many chat ids in one batch", 1, 0)
        self.n = n
        self.encoded: List[Optional[bytes]] = []
        self.early: List[Optional[Error]] = []
        for cid in ids:
            try:
                self.encoded.append(utf8("chat_id", cid))
                self.early.append(None)
            except Error as e:
                self.encoded.append(None)  # NULL: the library fills the slot; the Python error wins
                self.early.append(e)
        self.out = (ctypes.c_void_p * n)()
        self.status = 0
        #: The slots the next invoke fills (None: all of them).
        self.todo: Optional[List[int]] = None
        #: A partial call's own result array, until its pointers are moved into ``out``.
        self.part: Optional[Tuple[List[int], "ctypes.Array[ctypes.c_void_p]"]] = None

    def invoke(self, handle: Any, token: Any) -> None:
        fn = _native.lib().ga_get_avatars_cancellable
        if self.todo is None:
            arr = (ctypes.c_char_p * self.n)(*self.encoded)
            self.status = fn(handle, arr, self.n, self.out, token)
            return
        todo = self.todo
        arr = (ctypes.c_char_p * len(todo))(*(self.encoded[i] for i in todo))
        part = (ctypes.c_void_p * len(todo))()
        self.part = (todo, part)
        self.status = fn(handle, arr, len(todo), part, token)
        for j, i in enumerate(todo):
            self.out[i], part[j] = part[j], None
        self.part = None
        self.todo = None

    def cancelled(self) -> bool:
        return any(_status(p) == CANCELLED for p in self.out)

    def retry_cancelled(self) -> None:
        l = _native.lib()
        todo = []
        for i in range(self.n):
            if _status(self.out[i]) == CANCELLED:
                l.ga_free(self.out[i])
                self.out[i] = None
                todo.append(i)
        self.todo = todo

    def result(self) -> List[Union[Avatar, Error]]:
        try:
            out = self.out
            if self.status != 0 and not any(out):
                raise from_status(self.status, last_error())
            results: List[Union[Avatar, Error]] = []
            for i in range(self.n):
                ptr = out[i]
                early = self.early[i]
                if early is not None:
                    results.append(early)
                elif not ptr:
                    results.append(MemoryError("getavatar: out of memory"))  # type: ignore[arg-type]
                else:
                    results.append(convert(_native.GaAvatar.from_address(ptr)))
            return results
        finally:
            self.free()

    def free(self) -> None:
        l = _native.lib()
        seen = set()
        arrays: List[Any] = [self.out] + ([self.part[1]] if self.part else [])
        for arr in arrays:
            for i in range(len(arr)):
                p = arr[i]
                if p and p not in seen:
                    seen.add(p)
                    l.ga_free(p)
                arr[i] = None
        self.part = None

