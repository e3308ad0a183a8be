"""The Client class: a thin, safe wrapper over one GaClient handle."""

from __future__ import annotations

import ctypes
import math
import os
import threading
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Union

from . import _native
from ._errors import Error, InvalidArgumentError, InvalidArgumentTypeError, from_status

__all__ = ["Avatar", "AvatarImage", "Client", "delete_credential", "save_credential"]


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


def _path(name: str, value: object) -> bytes:
    """A file system path (str or os.PathLike) as UTF-8."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    return _utf8(name, value)


def _utf8(name: str, value: object) -> bytes:
    if not isinstance(value, str):
        raise InvalidArgumentTypeError(f"{name} must be a str, not {type(value).__name__}", 1, 0)
    if "\0" in value:
        raise InvalidArgumentError(f"{name} must not contain NUL characters", 1, 0)
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:  # lone surrogates
        raise InvalidArgumentError(f"{name} is not valid Unicode text ({e.reason})", 1, 0) from None


def _id_text(id_instance: Any) -> Any:
    """idInstance as text (an int is accepted); other types are refused by _utf8."""
    if isinstance(id_instance, int) and not isinstance(id_instance, bool):
        return str(id_instance)
    return id_instance


def save_credential(id_instance: Union[str, int], api_token_instance: str) -> None:
    """Stores the token of an instance in the Windows Credential Manager (generic credential
    ``getavatar/<id_instance>``, replacing a stored one). Both are checked first; the token is
    never shown. Raises :class:`InvalidArgumentError` (bad argument, store refused, not Windows)."""
    id_b = _utf8("id_instance", _id_text(id_instance))
    token_b = _utf8("api_token_instance", api_token_instance)
    st = _native.lib().ga_credential_save(id_b, token_b)
    if st != 0:
        raise from_status(st, _last_error())


def delete_credential(id_instance: Union[str, int]) -> None:
    """Deletes the stored token of an instance. Raises :class:`InvalidArgumentError` when none is
    stored, and on other platforms."""
    st = _native.lib().ga_credential_delete(_utf8("id_instance", _id_text(id_instance)))
    if st != 0:
        raise from_status(st, _last_error())


def _last_error() -> str:
    return _native.text(_native.lib().ga_last_error())


class Client:
    """A getAvatar client for one GREEN-API instance.

    Safe to share between threads; the network call releases the GIL. Close it with ``close()``
    or a ``with`` block; a closed client raises :class:`getavatar.Error`.

    :param api_url: the host from your console, e.g. ``"https://3100.api.green-api.com"``.
    :param id_instance: idInstance (a str of digits, or an int).
    :param api_token_instance: apiTokenInstance (never shown by ``repr`` or in messages).
    :param timeout: seconds per attempt (default 30).
    :param max_retries: retries of transient failures (default 3).
    :param rate_limit: most requests started per rolling second, shared by all threads (default
        10; 0 = off).
    :param backoff: first retry delay in seconds (default 0.25), doubling with jitter.
    :param concurrency: lookups ``get_avatars`` runs at once (default 4, at most 64).
    :param user_agent: the User-Agent header (default ``getavatar/VERSION``).
    :param cache_ttl: seconds successful answers are kept per chat id (default 0 = off); errors
        are never kept.
    :param ca_file: a PEM file whose certificates are trusted for TLS in place of the bundled
        web roots (e.g. a corporate proxy's root). Certificates are always verified.
    :param proxy: a proxy for every request: ``"http://user:password@host:port"``,
        ``"socks5://..."`` or ``"socks5h://..."`` (see :meth:`set_proxy`); ``"env"`` uses the
        environment (see :meth:`use_env_proxy`). Default: none, even if the environment sets one.
    """

    def __init__(
        self,
        api_url: str,
        id_instance: Union[str, int],
        api_token_instance: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        rate_limit: int = 10,
        backoff: Optional[float] = None,
        concurrency: int = 4,
        ca_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        cache_ttl: int = 0,
        user_agent: Optional[str] = None,
        proxy: Optional[str] = None,
    ) -> None:
        self._handle: Any = None
        self._busy = 0
        self._closed = True
        self._cond = threading.Condition()
        id_instance = _id_text(id_instance)
        url_b = _utf8("api_url", api_url)
        id_b = _utf8("id_instance", id_instance)
        token_b = _utf8("api_token_instance", api_token_instance)
        handle = _native.lib().ga_client_new(url_b, id_b, token_b)
        if not handle:
            raise InvalidArgumentError(_last_error(), 1, 0)
        self._adopt(handle, api_url, id_instance, timeout=timeout, max_retries=max_retries,
                    rate_limit=rate_limit, backoff=backoff, concurrency=concurrency, ca_file=ca_file,
                    cache_ttl=cache_ttl, user_agent=user_agent, proxy=proxy)

    def _adopt(
        self,
        handle: Any,
        api_url: str,
        id_instance: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        rate_limit: int = 10,
        backoff: Optional[float] = None,
        concurrency: int = 4,
        ca_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        cache_ttl: int = 0,
        user_agent: Optional[str] = None,
        proxy: Optional[str] = None,
    ) -> None:
        """Owns a new handle and applies the options (closing it if one is refused)."""
        self._handle = handle
        self._closed = False
        self._api_url = api_url
        self._id_instance = id_instance
        try:
            self._set("ga_client_set_timeout_ms", _seconds_to_ms("timeout", timeout))
            self._set("ga_client_set_max_retries", _whole("max_retries", max_retries))
            self._set("ga_client_set_rate_limit", _whole("rate_limit", rate_limit))
            self._set("ga_client_set_concurrency", _whole("concurrency", concurrency))
            self._set("ga_client_set_cache_ttl", _whole("cache_ttl", cache_ttl))
            if user_agent is not None:
                self.set_user_agent(user_agent)
            if ca_file is not None:
                self.set_ca_file(ca_file)
            if proxy == "env":
                self.use_env_proxy()
            elif proxy is not None:
                self.set_proxy(proxy)
            if backoff is not None:
                self._set("ga_client_set_backoff_ms", _seconds_to_ms("backoff", backoff, allow_zero=True))
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_credential(cls, api_url: str, id_instance: Union[str, int], **options: Any) -> "Client":
        """A client whose token is read from the Windows Credential Manager (the generic
        credential ``getavatar/<id_instance>``; see :func:`getavatar.save_credential`). Raises
        :class:`InvalidArgumentError` saying how to store it when there is none, and on other
        platforms ("available on Windows only"). Options as for :class:`Client`."""
        id_instance = _id_text(id_instance)
        url_b = _utf8("api_url", api_url)
        id_b = _utf8("id_instance", id_instance)
        client = cls.__new__(cls)
        client._handle = None
        client._busy = 0
        client._closed = True
        client._cond = threading.Condition()
        handle = _native.lib().ga_client_new_from_credential(url_b, id_b)
        if not handle:
            raise InvalidArgumentError(_last_error(), 1, 0)
        client._adopt(handle, api_url, id_instance, **options)
        return client

    @classmethod
    def from_env(cls, **options: Any) -> "Client":
        """A client from ``GA_API_URL``, ``GA_ID_INSTANCE`` and ``GA_API_TOKEN_INSTANCE``."""
        names = ("GA_API_URL", "GA_ID_INSTANCE", "GA_API_TOKEN_INSTANCE")
        missing = [n for n in names if not os.environ.get(n)]
        if missing:
            raise InvalidArgumentError("environment variable(s) not set: " + ", ".join(missing), 1, 0)
        return cls(*(os.environ[n] for n in names), **options)

    # -- settings ---------------------------------------------------------------------------

    def _set(self, fn: str, *value: Union[int, bytes]) -> None:
        with self._use() as h:
            st = getattr(_native.lib(), fn)(h, *value)
            if st != 0:
                raise from_status(st, _last_error())

    def set_timeout(self, seconds: float) -> None:
        """Timeout per attempt, in seconds (0.001 to 600)."""
        self._set("ga_client_set_timeout_ms", _seconds_to_ms("timeout", seconds))

    def set_max_retries(self, retries: int) -> None:
        """Retries of transient failures (0 to 10)."""
        self._set("ga_client_set_max_retries", _whole("max_retries", retries))

    def set_rate_limit(self, per_second: int) -> None:
        """Most requests started per rolling second (0 to 1000; 0 = off)."""
        self._set("ga_client_set_rate_limit", _whole("rate_limit", per_second))

    def set_ca_file(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Trusts the certificates in the PEM file ``path`` for TLS, in place of the bundled roots."""
        self._set("ga_client_set_ca_file", _utf8("ca_file", os.fspath(path) if isinstance(path, os.PathLike) else path))

    def set_user_agent(self, user_agent: str) -> None:
        """The User-Agent header (1 to 256 printable ASCII characters)."""
        self._set("ga_client_set_user_agent", _utf8("user_agent", user_agent))

    def set_cache_ttl(self, seconds: int) -> None:
        """Seconds successful answers are kept (0 to 86400; 0 = off). Empties the cache."""
        self._set("ga_client_set_cache_ttl", _whole("cache_ttl", seconds))

    def set_proxy(self, url: Optional[str]) -> None:
        """Sends every request (lookups and image downloads) through a proxy.

        ``url`` is ``"http://[user:password@]host[:port]"`` (HTTP CONNECT),
        ``"socks5://..."`` (names resolved here) or ``"socks5h://..."`` (names resolved by the
        proxy); percent-encode special characters in the user name and password, which never
        appear in messages. ``None`` or ``""`` turns the proxy off.
        """
        self._set("ga_client_set_proxy", _utf8("proxy", "" if url is None else url))

    def use_env_proxy(self) -> None:
        """Uses the proxy the environment names, read now as curl reads it.

        ``HTTPS_PROXY``/``https_proxy`` for an https api_url (``http_proxy`` for http), then
        ``ALL_PROXY``/``all_proxy``; hosts in ``NO_PROXY``/``no_proxy`` are reached directly.
        No variable set: requests go direct.
        """
        self._set("ga_client_use_env_proxy")

    def set_concurrency(self, n: int) -> None:
        """Lookups ``get_avatars`` runs at once (1 to 64)."""
        self._set("ga_client_set_concurrency", _whole("concurrency", n))

    # -- calls ------------------------------------------------------------------------------

    def get_avatars(self, chat_ids: Sequence[str]) -> List[Union[Avatar, Error]]:
        """Looks up many chat ids at once (see ``concurrency``), keeping to the rate limit.

        Returns one entry per id, in order: an :class:`Avatar`, or the :class:`getavatar.Error`
        for that id (returned, not raised), so one bad id never fails the rest.
        """
        if isinstance(chat_ids, (str, bytes)):
            raise InvalidArgumentTypeError("chat_ids must be a sequence of str, not a single string", 1, 0)
        ids = list(chat_ids)
        n = len(ids)
        if n == 0:
            return []
        if n >= 2**31:
            raise InvalidArgumentError("too many chat ids in one batch", 1, 0)
        encoded: List[Optional[bytes]] = []
        early: List[Optional[Error]] = []
        for cid in ids:
            try:
                encoded.append(_utf8("chat_id", cid))
                early.append(None)
            except Error as e:
                encoded.append(None)  # NULL: the library fills the slot; the Python error wins
                early.append(e)
        arr = (ctypes.c_char_p * n)(*encoded)
        out = (ctypes.c_void_p * n)()
        l = _native.lib()
        with self._use() as h:
            st = l.ga_get_avatars(h, arr, n, out)
        results: List[Union[Avatar, Error]] = []
        try:
            if st != 0 and not any(out):
                raise from_status(st, _last_error())
            for i in range(n):
                ptr = out[i]
                if early[i] is not None:
                    results.append(early[i])  # type: ignore[arg-type]
                elif not ptr:
                    results.append(MemoryError("getavatar: out of memory"))  # type: ignore[arg-type]
                else:
                    results.append(_convert(_native.GaAvatar.from_address(ptr)))
        finally:
            for i in range(n):
                if out[i]:
                    l.ga_free(out[i])
        return results

    def get_avatar(self, chat_id: str) -> Avatar:
        """The avatar of ``chat_id``: a user id (``"10000000"``) or group id (``"-10000000000000"``).

        Raises a :class:`getavatar.Error` subclass on failure.
        """
        chat = _utf8("chat_id", chat_id)
        with self._use() as h:
            ptr = _native.lib().ga_get_avatar(h, chat)  # ctypes releases the GIL during the call
        return _take(ptr)

    def download_avatar(self, chat_id: str, path: Union[str, "os.PathLike[str]"]) -> Avatar:
        """Looks up ``chat_id`` and saves its avatar image to ``path``, atomically.

        The image is written to a temporary file beside ``path`` and renamed over it, so
        ``path`` never holds half an image and a failure leaves it as it was. When the chat has
        no avatar, nothing is written and the returned :class:`Avatar` has ``url == ""``.
        Raises :class:`getavatar.FileError` (an ``OSError``) when the file cannot be written,
        :class:`getavatar.BadResponseError` when the link does not answer with an image of at
        most 16 MiB, or the lookup's errors.
        """
        chat = _utf8("chat_id", chat_id)
        where = _path("path", path)
        with self._use() as h:
            ptr = _native.lib().ga_download_avatar(h, chat, where)
        return _take(ptr)

    def avatar_bytes(self, chat_id: str) -> AvatarImage:
        """Looks up ``chat_id`` and downloads its avatar image into memory.

        Returns an :class:`AvatarImage`; its ``data`` is None when the chat has no avatar.
        Raises like :meth:`download_avatar` (except ``FileError``).
        """
        chat = _utf8("chat_id", chat_id)
        l = _native.lib()
        with self._use() as h:
            ptr = l.ga_download_avatar_bytes(h, chat)
        if not ptr:
            raise MemoryError("getavatar: out of memory")
        try:
            a = _native.GaAvatarImage.from_address(ptr)
            if a.status != 0:
                raise from_status(a.status, _native.text(a.error), a.http_status)
            data = ctypes.string_at(a.data, a.size) if a.data else None
            img = AvatarImage(
                _native.text(a.url_avatar),
                None if a.available < 0 else bool(a.available),
                data,
                _native.text(a.content_type),
            )
        finally:
            l.ga_free(ptr)
        return img

    # -- lifetime ---------------------------------------------------------------------------

    class _Use:
        def __init__(self, client: "Client") -> None:
            self.c = client

        def __enter__(self) -> Any:
            c = self.c
            with c._cond:
                if c._closed:
                    raise InvalidArgumentError("this getavatar.Client is closed", 1, 0)
                c._busy += 1
                return c._handle

        def __exit__(self, *exc: object) -> None:
            c = self.c
            with c._cond:
                c._busy -= 1
                if c._busy == 0:
                    c._cond.notify_all()

    def _use(self) -> "Client._Use":
        return Client._Use(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Frees the client. Waits for calls in flight on other threads; idempotent."""
        cond = getattr(self, "_cond", None)
        if cond is None:
            return
        with cond:
            if self._closed:
                return
            self._closed = True
            while self._busy:
                cond.wait()
            handle, self._handle = self._handle, None
        if handle:
            _native.lib().ga_client_free(handle)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<getavatar.Client api_url={getattr(self, '_api_url', '?')!r} id_instance={getattr(self, '_id_instance', '?')!r}{state}>"


def _take(ptr: Optional[int]) -> Avatar:
    """Copies and frees a GaAvatar* from a call; raises its error."""
    if not ptr:
        raise MemoryError("getavatar: out of memory")
    try:
        r = _convert(_native.GaAvatar.from_address(ptr))
    finally:
        _native.lib().ga_free(ptr)
    if isinstance(r, Error):
        raise r
    return r


def _convert(a: "_native.GaAvatar") -> Union[Avatar, Error]:
    """Copies a GaAvatar (the caller frees it)."""
    if a.status != 0:
        return from_status(a.status, _native.text(a.error), a.http_status)
    available = None if a.available < 0 else bool(a.available)
    return Avatar(_native.text(a.url_avatar), available, a.http_status)


def _whole(name: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise InvalidArgumentTypeError(f"{name} must be an int, not {type(v).__name__}", 1, 0)
    if not -(2**31) <= v < 2**31:
        raise InvalidArgumentError(f"{name} {v} is out of range", 1, 0)
    return v


def _seconds_to_ms(name: str, v: object, allow_zero: bool = False) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InvalidArgumentTypeError(f"{name} must be a number of seconds, not {type(v).__name__}", 1, 0)
    if math.isnan(v) or v < 0 or (v == 0 and not allow_zero) or v > 2_000_000:
        raise InvalidArgumentError(f"{name} {v!r} s is out of range", 1, 0)
    return max(0 if allow_zero else 1, int(math.ceil(v * 1000)))
