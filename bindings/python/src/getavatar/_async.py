"""AsyncClient: Client's calls as coroutines, run on the client's own threads."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import functools
import os
import re
import threading
from typing import Any, AsyncIterator, Deque, List, Optional, Sequence, TypeVar, Union

from . import _interrupt, _native
from ._calls import Avatar, AvatarImage, Batch, Call, Download, ImageBytes, Lookup, id_iterator
from ._client import ClientBase
from ._errors import (
    Error,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    QuotaExceededError,
    TimeoutError,
    UnauthorizedError,
)

__all__ = ["AsyncClient"]

R = TypeVar("R")

#: Calls one AsyncClient runs at once; more wait in its queue (where cancelling costs nothing).
MAX_THREADS = 64


class AsyncClient(ClientBase):
    """A getAvatar client for asyncio: the options, settings and methods of :class:`Client`,
    with the calls awaitable.

    Each call runs on a thread of the client's own pool (at most 64 at once; the event loop
    never waits for the network). Cancelling the task that awaits a call (``task.cancel()``,
    ``asyncio.wait_for``/``asyncio.timeout``, a failing ``TaskGroup``) cancels the lookup in
    the library: the task gets ``asyncio.CancelledError`` within about 100 ms, once the
    library has stopped, and the client stays usable. Settings (``set_timeout`` ...) are plain
    methods: they never touch the network. Close it with ``await aclose()`` or ``async with``.
    """

    _kind = "AsyncClient"

    _pool: Optional[concurrent.futures.ThreadPoolExecutor] = None

    # -- calls ------------------------------------------------------------------------------

    async def get_avatar(self, chat_id: str) -> Avatar:
        """The avatar of ``chat_id``, like :meth:`Client.get_avatar`."""
        return await self._call(Lookup(chat_id, self._lang))

    async def get_avatars(self, chat_ids: Sequence[str]) -> List[Union[Avatar, Error]]:
        """One entry per id, in order, like :meth:`Client.get_avatars` (errors returned in place).

        The library runs ``concurrency`` lookups at once; cancelling stops them all.
        """
        op = Batch(chat_ids, self._lang)
        if op.n == 0:
            return []
        return await self._call(op)

    async def iter_avatars(self, chat_ids: Sequence[str]) -> AsyncIterator[Union[Avatar, Error]]:
        """Yields one entry per id *in input order*, each as soon as it and those before it are
        done, while up to ``concurrency`` lookups run ahead: ``zip(chat_ids, results)`` pairs
        them. Entries are an :class:`Avatar` or the id's :class:`getavatar.Error` (not raised).
        Leaving the loop early (``break``, an exception, cancellation) cancels the lookups
        still running.
        """
        ids = iter(list(id_iterator(chat_ids, self._lang)))  # refused as get_avatars refuses
        running: Deque["asyncio.Future[Union[Avatar, Error]]"] = collections.deque()
        halt: List[Error] = []  # the first failure of the whole instance met, as get_avatars
        try:
            while True:
                while len(running) < self._concurrency:
                    cid = next(ids, _END)
                    if cid is _END:
                        break
                    running.append(asyncio.ensure_future(self._one(cid, halt)))
                if not running:
                    return
                result = await running[0]  # stays in `running` until done, for the cleanup below
                running.popleft()
                yield result
        finally:
            for t in running:
                t.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def _one(self, chat_id: object, halt: List[Error]) -> Union[Avatar, Error]:
        # After a failure of the whole instance, a well-formed id is not asked (as the library's
        # batch does); a malformed one still gets its own error (the library sends nothing).
        if halt and isinstance(chat_id, str) and _WELL_FORMED.fullmatch(chat_id):
            e = halt[0]
            return type(e)(_native.message(self._lang, _native.MSG_NOT_SENT, "", e.message), e.status, e.http_status)
        try:
            return await self._call(Lookup(chat_id, self._lang))
        except Error as e:
            if not halt and _instance_level(e):
                halt.append(e)
            return e

    async def download_avatar(self, chat_id: str, path: Union[str, "os.PathLike[str]"]) -> Avatar:
        """Saves the avatar image of ``chat_id`` to ``path`` atomically, like :meth:`Client.download_avatar`."""
        return await self._call(Download(chat_id, path, self._lang))

    async def avatar_bytes(self, chat_id: str) -> AvatarImage:
        """The avatar image of ``chat_id`` in memory, like :meth:`Client.avatar_bytes`."""
        return await self._call(ImageBytes(chat_id, self._lang))

    async def warm_up(self) -> None:
        """Opens the connection ahead of the first lookup, like :meth:`Client.warm_up`, on the
        client's thread pool (the event loop does not wait for the network)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor(), self._set, "ga_client_warm_up")

    async def _call(self, op: Call[R]) -> R:
        use = self._use()
        handle = use.__enter__()  # the client cannot be freed until the call is done
        job = _interrupt.Job(functools.partial(op.run, handle))  # stopped as the task is cancelled
        try:
            future = self._executor().submit(job.run)
        except BaseException:
            use.__exit__()
            raise
        future.add_done_callback(lambda _f: use.__exit__())
        waiting = asyncio.wrap_future(future)
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # Drop the call if no thread has started it; else stop the library's work and wait
            # for that (about 100 ms); then let the task be cancelled.
            if not future.cancel():
                job.stop()
                await _finish(waiting)
            raise
        return job.result()

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        pool = self._pool
        if pool is None:
            with self._cond:
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="getavatar")
                pool = self._pool
        return pool

    # -- lifetime ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Frees the client, once the calls in flight are done (without blocking the loop); idempotent."""
        with self._cond:
            idle = self._busy == 0
        if idle:
            self._close()
        else:  # close() waits for them: on a thread of its own
            loop = asyncio.get_running_loop()
            waiting: "asyncio.Future[None]" = loop.create_future()

            def closed() -> None:
                if not waiting.done():
                    waiting.set_result(None)

            def close() -> None:
                try:
                    self._close()
                finally:
                    try:
                        loop.call_soon_threadsafe(closed)
                    except RuntimeError:  # the loop is gone
                        pass

            threading.Thread(target=close, name="getavatar-close", daemon=True).start()
            await _finish(waiting)
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    def _after_fork_in_child(self) -> None:
        # The pool's threads were not copied, but its count of idle ones was: it would never
        # start a thread for the next call (which then hung). The child makes a pool of its own.
        super()._after_fork_in_child()
        self._pool = None

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        super().__del__()
        pool = self._pool
        if pool is not None:
            pool.shutdown(wait=False)


#: A chat id the library would send (digits, an optional leading "-", at most 32 characters).
_WELL_FORMED = re.compile(r"-?[0-9]{1,31}|[0-9]{32}")


def _instance_level(e: Error) -> bool:
    """The library's rule (``Error::is_instance_level``): a failure every lookup of the instance
    meets (a wrong token, an unknown instance, the quota used up, the network; a timeout only
    when no server was reached)."""
    if isinstance(e, (UnauthorizedError, ForbiddenError, NotFoundError, QuotaExceededError)):
        return True
    if isinstance(e, NetworkError):  # not an answer cut short after its status line arrived
        return e.http_status == 0
    if isinstance(e, TimeoutError):
        last = e.message.split("; the last attempt: ", 1)[-1]
        return last.startswith(("could not connect to ", "the proxy "))
    return False


class _End:
    pass


_END: Any = _End()


async def _finish(waiting: "asyncio.Future[Any]") -> None:
    """Waits for ``waiting`` even if cancelled meanwhile (then cancelled once it is done)."""
    cancelled = False
    while not waiting.done():
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            if waiting.done():
                break
            cancelled = True
        except BaseException:
            if waiting.done():
                break
            raise
    if cancelled:
        raise asyncio.CancelledError
