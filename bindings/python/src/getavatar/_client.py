"""The Client class: a thin, safe wrapper over one GaClient handle."""

from __future__ import annotations

import math
import os
import threading
import weakref
from typing import Any, List, Optional, Sequence, Type, TypeVar, Union

from . import _interrupt, _native
from ._calls import Avatar, AvatarImage, Batch, Call, Download, ImageBytes, Lookup, last_error as _last_error
from ._calls import refusal as _refusal
from ._calls import utf8 as _utf8
from ._errors import Error, InvalidArgumentError, from_status

__all__ = ["Avatar", "AvatarImage", "Client", "delete_credential", "save_credential"]

R = TypeVar("R")
C = TypeVar("C", bound="ClientBase")


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


class ClientBase:
    """What Client and AsyncClient share: the options, the settings, the handle's lifetime."""

    _kind = "Client"

    def __init__(
        self,
        api_url: str,
        id_instance: Union[str, int],
        api_token_instance: str,
        *,
        timeout: float = 30.0,
        deadline: Optional[float] = 120.0,
        max_retries: int = 3,
        rate_limit: int = 10,
        backoff: Optional[float] = None,
        concurrency: int = 4,
        ca_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        trust: str = "system",
        cache_ttl: int = 0,
        user_agent: Optional[str] = None,
        proxy: Optional[str] = None,
        idle_timeout: Optional[float] = None,
        language: Optional[str] = None,
        _from_credential: bool = False,
        _from_env: bool = False,
    ) -> None:
        self._handle: Any = None
        self._busy = 0  # calls in flight
        self._main_busy = 0  # of them, those the main thread made (see _close)
        self._free_pending = False  # close() returned first: the last call frees the handle
        self._closed = True
        # Under the condition close() waits on; reentrant, as a signal handler may run while the
        # main thread holds it (notify_all is Python code) and close the client.
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        # The language of the binding's own errors (None: the process default, as the library's),
        # set by set_language; the constructor's own arguments are checked in `language` before
        # the library has read it.
        self._lang: Optional[str] = None
        lang = language if isinstance(language, str) else None
        id_instance = _id_text(id_instance)
        l = _native.lib()
        if _from_env:
            handle = l.ga_client_new_from_env()
        elif _from_credential:
            handle = l.ga_client_new_from_credential(
                _utf8("api_url", api_url, lang), _utf8("id_instance", id_instance, lang)
            )
        else:
            handle = l.ga_client_new(
                _utf8("api_url", api_url, lang),
                _utf8("id_instance", id_instance, lang),
                _utf8("api_token_instance", api_token_instance, lang),
            )
        if not handle:
            raise InvalidArgumentError(_last_error(), 1, 0)
        self._handle = handle
        self._closed = False
        _live.add(self)
        self._api_url = api_url
        self._id_instance = id_instance
        self._concurrency = 4
        try:
            # First, so that a mistake in the other options is said in this language.
            if language is not None:
                self.set_language(language)
            self._set("ga_client_set_timeout_ms", _seconds_to_ms("timeout", timeout, lang=self._lang))
            self.set_deadline(deadline)
            self._set("ga_client_set_max_retries", _whole("max_retries", max_retries, self._lang))
            self._set("ga_client_set_rate_limit", _whole("rate_limit", rate_limit, self._lang))
            self.set_concurrency(concurrency)
            self._set("ga_client_set_cache_ttl", _whole("cache_ttl", cache_ttl, self._lang))
            if user_agent is not None:
                self.set_user_agent(user_agent)
            if trust != "system":
                self.set_trust(trust)
            if ca_file is not None:
                self.set_ca_file(ca_file)
            if proxy == "env":
                self.use_env_proxy()
            elif proxy is not None:
                self.set_proxy(proxy)
            if backoff is not None:
                self._set("ga_client_set_backoff_ms", _seconds_to_ms("backoff", backoff, allow_zero=True, lang=self._lang))
            if idle_timeout is not None:
                self.set_idle_timeout(idle_timeout)
        except BaseException:
            self._close()
            raise

    @classmethod
    def from_credential(cls: Type[C], api_url: str, id_instance: Union[str, int], **options: Any) -> C:
        """A client whose token is read from the Windows Credential Manager (the generic
        credential ``getavatar/<id_instance>``; see :func:`getavatar.save_credential`). Raises
        :class:`InvalidArgumentError` saying how to store it when there is none, and on other
        platforms ("available on Windows only"). Options as for :class:`Client`."""
        return cls(api_url, id_instance, "", _from_credential=True, **options)

    @classmethod
    def from_env(cls: Type[C], **options: Any) -> C:
        """A client from ``GA_API_URL``, ``GA_ID_INSTANCE`` and ``GA_API_TOKEN_INSTANCE``."""
        # The library reads the variables itself (ga_client_new_from_env); these two are only
        # what repr() shows.
        url, id_instance = os.environ.get("GA_API_URL", ""), os.environ.get("GA_ID_INSTANCE", "")
        return cls(url, id_instance, "", _from_env=True, **options)

    # -- settings ---------------------------------------------------------------------------

    def _set(self, fn: str, *value: Union[int, bytes]) -> None:
        with self._use() as h:
            st = getattr(_native.lib(), fn)(h, *value)
            if st != 0:
                raise from_status(st, _last_error())

    def set_timeout(self, seconds: float) -> None:
        """Timeout per attempt, in seconds (0.001 to 600)."""
        self._set("ga_client_set_timeout_ms", _seconds_to_ms("timeout", seconds, lang=self._lang))

    def set_deadline(self, seconds: Optional[float]) -> None:
        """Total time budget of each call, in seconds (0.001 to 3600; ``None`` or 0 = none):
        every attempt, backoff, Retry-After and rate-limit wait counts. A call that would pass it
        raises :class:`TimeoutError` saying the budget and what used it. In ``get_avatars`` each
        id has its own budget."""
        ms = 0 if seconds is None else _seconds_to_ms("deadline", seconds, allow_zero=True, lang=self._lang)
        self._set("ga_client_set_deadline_ms", ms)

    def set_max_retries(self, retries: int) -> None:
        """Retries of transient failures (0 to 10)."""
        self._set("ga_client_set_max_retries", _whole("max_retries", retries, self._lang))

    def set_rate_limit(self, per_second: int) -> None:
        """Most requests started per rolling second (0 to 1000; 0 = no ceiling): a ceiling, the
        client paces itself lower when the server answers 429 (see :attr:`rate`)."""
        self._set("ga_client_set_rate_limit", _whole("rate_limit", per_second, self._lang))

    @property
    def rate(self) -> float:
        """The pace the client keeps now, in requests a second (read-only): the rate limit, or
        less when the server answered 429 (it learns the instance's real rate and comes back up
        step by step, never above the rate limit); 0.0 when it does not pace (rate limit 0 and
        no 429 yet)."""
        with self._use() as h:
            return float(_native.lib().ga_client_rate(h))

    def set_ca_file(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Also trusts the certificates in the CA file ``path`` (PEM or DER), in addition to ``trust``."""
        self._set("ga_client_set_ca_file", _utf8("ca_file", os.fspath(path) if isinstance(path, os.PathLike) else path, self._lang))

    def set_trust(self, trust: str) -> None:
        """Whose roots certificates are verified against: ``"system"`` (the operating system's
        store, the default) or ``"bundled"`` (the web roots bundled in the library)."""
        values = {"system": 0, "bundled": 1}
        if not isinstance(trust, str):
            raise _refusal(self._lang, _native.MSG_WRONG_TYPE, "trust", type(trust).__name__, "str")
        if trust not in values:
            raise _refusal(self._lang, _native.MSG_NOT_ONE_OF, "trust", repr(trust), '"system"|"bundled"')
        self._set("ga_client_set_trust", values[trust])

    def set_user_agent(self, user_agent: str) -> None:
        """The User-Agent header (1 to 256 printable ASCII characters)."""
        self._set("ga_client_set_user_agent", _utf8("user_agent", user_agent, self._lang))

    def set_language(self, language: Optional[str]) -> None:
        """The language of the library's messages (exception messages, ``Error`` results):
        ``"en"`` or ``"ru"`` (any case, a region allowed: ``"ru_RU"``); ``None`` returns to the
        process default (``GA_LANG``, else the locale: ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; on
        Windows the user's UI language; else English). Exception types and status names are the
        same in every language. Another value raises :class:`InvalidArgumentError`, and the
        language is kept."""
        if language is not None and not isinstance(language, str):
            raise _refusal(self._lang, _native.MSG_WRONG_TYPE, "language", type(language).__name__, "str | None")
        self._set("ga_client_set_language", _utf8("language", language or "", self._lang))
        self._lang = language or None

    def set_cache_ttl(self, seconds: int) -> None:
        """Seconds successful answers are kept (0 to 86400; 0 = off). Empties the cache."""
        self._set("ga_client_set_cache_ttl", _whole("cache_ttl", seconds, self._lang))

    def set_proxy(self, url: Optional[str]) -> None:
        """Chooses the proxy for every request (lookups and image downloads).

        ``None`` or ``"system"`` (the default): the proxy the system names, read now: the
        environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``... as curl reads them) and, on
        Windows, the Internet Options (including a PAC script). ``"direct"`` or ``""``: no proxy,
        whatever the system says. Otherwise ``"http://[user:password@]host[:port]"`` (HTTP
        CONNECT), ``"socks5://..."`` (names resolved here) or ``"socks5h://..."`` (names
        resolved by the proxy); percent-encode special characters in the user name and password,
        which never appear in messages.
        """
        self._set("ga_client_set_proxy", _utf8("proxy", "system" if url is None else url, self._lang))

    def use_env_proxy(self) -> None:
        """Pins the proxy the environment names now, as an explicit setting.

        ``HTTPS_PROXY``/``https_proxy`` for an https api_url (``http_proxy`` for http), then
        ``ALL_PROXY``/``all_proxy``; hosts in ``NO_PROXY``/``no_proxy`` are reached directly.
        No variable set: requests go direct. Unlike the default (``"system"``), it ignores
        Windows' Internet Options and sends loopback hosts through the proxy too.
        """
        self._set("ga_client_use_env_proxy")

    def set_idle_timeout(self, seconds: float) -> None:
        """Seconds an idle connection is kept for the next call (0 to 3600; default 300; 0 = a
        new connection per call). Open connections are dropped."""
        self._set("ga_client_set_idle_timeout_ms", _seconds_to_ms("idle_timeout", seconds, allow_zero=True, lang=self._lang))

    def set_concurrency(self, n: int) -> None:
        """Lookups ``get_avatars`` runs at once (1 to 64)."""
        self._set("ga_client_set_concurrency", _whole("concurrency", n, self._lang))
        self._concurrency = n

    # -- lifetime ---------------------------------------------------------------------------

    class _Use:
        """Holds the client for one call: close() waits for it, the handle stays valid."""

        def __init__(self, client: "ClientBase", main: bool) -> None:
            self.c, self.main = client, main

        def __enter__(self) -> Any:
            c = self.c
            with c._cond:
                if c._closed:
                    raise _refusal(c._lang, _native.MSG_CLOSED, f"getavatar.{c._kind}")
                c._busy += 1
                c._main_busy += self.main
                return c._handle

        def __exit__(self, *exc: object) -> None:
            """The call ended: the last one wakes close(), or frees the handle if close() returned first."""
            c, handle = self.c, None
            with c._cond:
                c._busy -= 1
                c._main_busy -= self.main
                if c._closed and c._busy == 0:
                    c._cond.notify_all()
                    if c._free_pending:
                        handle, c._handle, c._free_pending = c._handle, None, False
            if handle:
                _native.lib().ga_client_free(handle)

    def _use(self, main: Optional[bool] = None) -> "ClientBase._Use":
        """For one call; ``main``: made by the main thread (by default: this is it)."""
        return ClientBase._Use(self, _interrupt.on_main_thread() if main is None else main)

    @property
    def closed(self) -> bool:
        """Whether the client was closed."""
        return self._closed

    def _close(self) -> None:
        """Frees the client. Waits for calls in flight on other threads; idempotent.

        A signal handler runs on the main thread while the call it interrupted waits: when it
        closes the client, close() waits for the other threads' calls only and leaves the free
        to the last call to end (the interrupted one may go on: the handle stays valid)."""
        cond = getattr(self, "_cond", None)
        if cond is None:
            return
        main = _interrupt.on_main_thread()
        with cond:
            if self._closed:
                return
            self._closed = True
            own = self._main_busy if main else 0
            while self._busy > own:
                cond.wait(0.05)  # also polls: a notify cut short by a signal is not lost
            if self._busy:
                self._free_pending = True
                return
            handle, self._handle = self._handle, None
        if handle:
            _native.lib().ga_client_free(handle)

    def __del__(self) -> None:
        try:
            self._close()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<getavatar.{self._kind} api_url={getattr(self, '_api_url', '?')!r} id_instance={getattr(self, '_id_instance', '?')!r}{state}>"

    def __reduce__(self) -> Any:
        raise TypeError(
            f"a getavatar.{self._kind} cannot be pickled or copied: it belongs to the process that made it "
            "(its connections, rate limit and cache live there). Make one client per worker process instead, "
            "e.g. in the pool's initializer or a module-level function the worker calls first"
        )

    def _after_fork_in_child(self) -> None:
        """In a forked child: no call is in flight (their threads were not copied)."""
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._busy = self._main_busy = 0
        if self._free_pending:  # closed while calls ran: none runs here
            handle, self._handle, self._free_pending = self._handle, None, False
            if handle:
                _native.lib().ga_client_free(handle)


class Client(ClientBase):
    """A getAvatar client for one GREEN-API instance.

    Safe to share between threads; the network call releases the GIL. Close it with ``close()``
    or a ``with`` block; a closed client raises :class:`getavatar.Error`.

    :param api_url: the host from your console, e.g. ``"https://3100.api.green-api.com"``.
    :param id_instance: idInstance (a str of digits, or an int).
    :param api_token_instance: apiTokenInstance (never shown by ``repr`` or in messages).
    :param timeout: seconds per attempt (default 30).
    :param deadline: total seconds per call, every attempt and wait included (default 120;
        ``None`` or 0 = none); see :meth:`set_deadline`.
    :param max_retries: retries of transient failures (default 3).
    :param rate_limit: most requests started per rolling second, shared by all threads (default
        10; 0 = off).
    :param backoff: first retry delay in seconds (default 0.25), doubling with jitter.
    :param concurrency: lookups ``get_avatars`` runs at once (default 4, at most 64).
    :param user_agent: the User-Agent header (default ``getavatar/VERSION``).
    :param cache_ttl: seconds successful answers are kept per chat id (default 0 = off); errors
        are never kept.
    :param trust: whose roots TLS certificates are verified against: ``"system"`` (default: the
        operating system's store, where companies install their proxy's root) or ``"bundled"``
        (the web roots bundled in the library). Certificates are always verified.
    :param ca_file: a CA file (PEM or DER) whose certificates are trusted in addition (e.g. a
        corporate proxy's root).
    :param proxy: the proxy for every request (see :meth:`set_proxy`): ``None`` (default) the
        system's (the environment, and on Windows the Internet Options and PAC), ``"direct"``
        none, or ``"http://user:password@host:port"``, ``"socks5://..."``, ``"socks5h://..."``;
        ``"env"`` pins the environment's (see :meth:`use_env_proxy`).
    :param idle_timeout: seconds an idle connection is kept for the next call (default 300;
        0 = a new connection per call).
    :param language: the language of the library's messages, ``"en"`` or ``"ru"`` (default
        ``None``: the process default, from ``GA_LANG``, else the locale, else English); see
        :meth:`set_language`.
    """

    def warm_up(self) -> None:
        """Opens the connection to the server (DNS, TCP, TLS) now, so that the first lookup
        costs one round trip. Sends no request and uses no rate-limit slot. Raises
        :class:`NetworkError` or :class:`TimeoutError` when the server cannot be reached (the
        client stays usable; lookups connect as usual)."""
        self._set("ga_client_warm_up")

    # -- calls ------------------------------------------------------------------------------

    def get_avatars(self, chat_ids: Sequence[str]) -> List[Union[Avatar, Error]]:
        """Looks up many chat ids at once (see ``concurrency``), keeping to the rate limit.

        Returns one entry per id, in order: an :class:`Avatar`, or the :class:`getavatar.Error`
        for that id (returned, not raised), so one bad id never fails the rest.
        """
        op = Batch(chat_ids, self._lang)
        if op.n == 0:
            return []
        return self._call(op)

    def get_avatar(self, chat_id: str) -> Avatar:
        """The avatar of ``chat_id``: a user id (``"10000000"``) or group id (``"-10000000000000"``).

        Raises a :class:`getavatar.Error` subclass on failure.
        """
        return self._call(Lookup(chat_id, self._lang))

    def download_avatar(self, chat_id: str, path: Union[str, "os.PathLike[str]"]) -> Avatar:
        """Looks up ``chat_id`` and saves its avatar image to ``path``, atomically.

        The image is written to a temporary file beside ``path`` and renamed over it, so
        ``path`` never holds half an image and a failure leaves it as it was. When the chat has
        no avatar, nothing is written and the returned :class:`Avatar` has ``url == ""``.
        An existing file keeps its permission bits; a symbolic link at ``path`` is replaced.
        Raises :class:`getavatar.FileError` (an ``OSError``) when the file cannot be written,
        :class:`getavatar.InvalidArgumentError` when ``path`` is a folder or an existing
        device, FIFO or socket (before anything is sent), :class:`getavatar.BadResponseError`
        when the link does not answer with an image of 1 byte to 16 MiB,
        :class:`getavatar.NetworkError` when the image arrives cut short, or the lookup's errors.
        """
        return self._call(Download(chat_id, path, self._lang))

    def avatar_bytes(self, chat_id: str) -> AvatarImage:
        """Looks up ``chat_id`` and downloads its avatar image into memory.

        Returns an :class:`AvatarImage`; its ``data`` is None when the chat has no avatar.
        Raises like :meth:`download_avatar` (except ``FileError``).
        """
        return self._call(ImageBytes(chat_id, self._lang))

    def _call(self, op: Call[R]) -> R:
        # On the main thread the call runs where Ctrl-C can stop it (see _interrupt); elsewhere
        # it goes straight to the library (signal handlers only ever run on the main thread).
        if _interrupt.on_main_thread():
            return _interrupt.call(lambda token: self._run(op, token, True))
        return self._run(op, None, False)

    def _run(self, op: Call[R], token: Any, main: bool) -> R:
        with self._use(main) as handle:
            return op.run(handle, token)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the client. Waits for calls in flight on other threads; idempotent."""
        self._close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# After fork() the child has only the forking thread: give every client a fresh lock and no
# calls in flight there (the library gives the child fresh connections and cache itself).
_live: "weakref.WeakSet[ClientBase]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for c in list(_live):
        c._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _whole(name: str, v: object, lang: Optional[str]) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _refusal(lang, _native.MSG_WRONG_TYPE, name, type(v).__name__, "int")
    if not -(2**31) <= v < 2**31:
        raise _refusal(lang, _native.MSG_OUT_OF_RANGE, name, _number_text(v))
    return v


def _number_text(v: Union[int, float]) -> str:
    """``v`` as Python writes it; an int too long for that (Python refuses to write one of more
    than 4300 digits: ValueError) as its power of two, e.g. ``≈2**16609``."""
    if isinstance(v, int) and v.bit_length() > 1000:
        return f"{'≈-' if v < 0 else '≈'}2**{v.bit_length() - 1}"
    return repr(v)


#: The seconds each setting takes (the library's milliseconds): what a refusal here names.
_SECONDS = {"timeout": "0.001..600", "deadline": "0..3600", "backoff": "0..60", "idle_timeout": "0..3600"}


def _seconds_to_ms(name: str, v: object, allow_zero: bool = False, *, lang: Optional[str]) -> int:
    """Seconds (an int or a float) as whole milliseconds, rounded up. What cannot become
    milliseconds (negative, NaN, infinite, huge) is refused here naming the setting's own range
    (``_SECONDS``); the library checks the rest."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _refusal(lang, _native.MSG_WRONG_TYPE, name, type(v).__name__, "int | float")
    # An int is compared as it is (math.isnan would turn a huge one into a float: OverflowError).
    if (isinstance(v, float) and math.isnan(v)) or v < 0 or (v == 0 and not allow_zero) or v > 2_000_000:
        raise _refusal(lang, _native.MSG_OUT_OF_RANGE, name, _number_text(v), _SECONDS[name])
    return max(0 if allow_zero else 1, int(math.ceil(v * 1000)))
