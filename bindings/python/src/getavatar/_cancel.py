"""Cancel tokens, and calls on the main thread that Ctrl-C interrupts.

Python runs signal handlers on the main thread only, between bytecodes: while a C call runs, a
Ctrl-C just waits. So a call on the main thread installs a wakeup socket
(``signal.set_wakeup_fd``) for its duration: Python's own C-level handler writes the signal
number there at once, a watcher thread reads it and cancels the call's token, the library
returns GA_ERR_CANCELLED within about 100 ms, and the handler runs as the call returns
(KeyboardInterrupt for Ctrl-C). The call itself stays on the calling thread: no thread hop, a
few microseconds per call. If the handler returns without raising (a custom SIGINT handler),
the cancelled part is simply redone, as Python retries system calls (PEP 475). A handler may
make calls of its own: such a call runs inside the interrupted one, keeps the wakeup socket
installed and gives the outer call's token back to the watcher when it ends, and the watcher
remembers every token it cancelled, so a second Ctrl-C in the handler's call is not mistaken
for the first.

When the wakeup fd is already taken (by an event loop or the application), the call runs on a
short-lived thread while the main thread waits interruptibly, with the same outcome.

Cost: installing the fd is about 1 µs (Python checks the fd with two system calls); removing it
is almost free. Keeping it installed between calls would save only the removal: a call must
still set it to learn whether someone else took it meanwhile (there is no getter), and a left
installed fd would show through to libraries that check it is free (trio warns), and would
have to be removed before fork children and interpreter exit reuse the descriptor. So each
call installs and removes it. The rest of the path avoids per-call objects and lookups (see
``_calls``).
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import sys
import threading
from typing import Any, List, Optional, Tuple, TypeVar

from . import _native
from ._calls import Call

__all__ = ["take", "give", "drop", "call"]

R = TypeVar("R")

# -- the token pool: tokens not cancelled are reused (a cancelled one stays cancelled) ------

_pool: List[Any] = []
_POOL_MAX = 64


def take() -> Any:
    """A token that is not cancelled."""
    try:
        return _pool.pop()
    except IndexError:
        pass
    t = _native.lib().ga_cancel_new()
    if not t:
        raise MemoryError("getavatar: out of memory")
    return t


def give(token: Any) -> None:
    """Returns a token that was not cancelled to the pool."""
    if len(_pool) < _POOL_MAX:
        _pool.append(token)
    else:
        _native.lib().ga_cancel_free(token)


def drop(token: Any) -> None:
    """Frees a token (one that was cancelled, or any)."""
    _native.lib().ga_cancel_free(token)


@atexit.register
def _drain() -> None:
    while _pool:
        drop(_pool.pop())


# -- main-thread calls ----------------------------------------------------------------------

#: Signals that interrupt a call: Ctrl-C, and termination requests the application handles.
_INTERRUPTING = frozenset(
    int(s) for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGBREAK")) if s is not None
)


class _Watch:
    """The wakeup socket pair and the thread that cancels the main thread's call."""

    def __init__(self) -> None:
        self.reader, self.writer = socket.socketpair()
        self.writer.setblocking(False)
        self.fd = self.writer.fileno()
        self.lock = threading.Lock()
        self.current: Any = None  # the token of the main thread's innermost call
        # Every token the watcher cancelled and whose call has not settled yet: a signal
        # handler may make calls of its own, and a second Ctrl-C may land in one of them.
        # (A list compared by identity: ctypes pointers do not hash.)
        self.hit: List[Any] = []
        threading.Thread(target=self._loop, name="getavatar-interrupt", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                data = self.reader.recv(256)
            except InterruptedError:  # pragma: no cover - recv retries itself (PEP 475)
                continue
            except OSError:
                return
            if not data:
                return
            if _INTERRUPTING.intersection(data):
                with self.lock:
                    if self.current is not None:
                        _native.lib().ga_cancel(self.current)
                        self.hit.append(self.current)

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


_watch: Optional[_Watch] = None
_watch_lock = threading.Lock()


def _get_watch() -> _Watch:
    global _watch
    w = _watch
    if w is None:
        with _watch_lock:
            if _watch is None:
                _watch = _Watch()
            w = _watch
    return w


def _after_fork_in_child() -> None:
    # The watcher thread did not survive the fork and its lock may be held: start afresh.
    global _watch, _watch_lock
    w, _watch, _watch_lock = _watch, None, threading.Lock()
    if w is not None:
        w.close()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

#: Installed without ``warn_on_full_buffer=False`` (parsing that keyword costs a fifth of the
#: call): the watcher drains the socket as bytes arrive, and a call installs it only for its own
#: duration, so its buffer (hundreds of KB) never fills and Python never has to warn.
_set_wakeup_fd = signal.set_wakeup_fd


def call(op: Call[R], handle: Any) -> R:
    """Runs ``op`` for a call on the main thread: Ctrl-C interrupts it (see the module doc)."""
    w = _get_watch()
    fd = w.fd
    try:
        old = _set_wakeup_fd(fd)
    except (ValueError, OSError):  # not the main interpreter's main thread
        return _call_on_thread(op, handle)
    if old != -1 and old != fd:  # taken (an event loop, the application): leave it
        _set_wakeup_fd(old)
        return _call_on_thread(op, handle)
    # A call made by a signal handler runs inside the interrupted one (old == fd): it leaves
    # the wakeup socket installed and the outer call's token current when it ends, so that the
    # outer call, redone, still stops at the next Ctrl-C.
    outer = w.current
    try:
        while True:
            token = take()
            w.current = token
            try:
                op.invoke(handle, token)  # a signal handler's exception surfaces here
            finally:
                with w.lock:
                    w.current = outer
                    hit = any(t is token for t in w.hit)
                    if hit:
                        w.hit = [t for t in w.hit if t is not token]
                if hit:
                    drop(token)
                else:
                    give(token)
            if not (hit and op.cancelled()):
                return op.result()
            # The handlers ran and returned: redo what was cancelled.
            op.retry_cancelled()
    finally:
        op.free()
        if old == -1:
            _set_wakeup_fd(-1)


def _call_on_thread(op: Call[R], handle: Any) -> R:
    """Runs ``op`` on a new thread while this (main) thread waits, interruptibly."""
    token = take()
    finished = threading.Event()  # level-triggered: a wait cut short by a signal loses nothing
    outcome: List[Tuple[bool, Any]] = []

    def work() -> None:
        try:
            outcome.append((True, op.run(handle, token)))
        except BaseException as e:  # handed to the caller
            outcome.append((False, e))
        finally:
            finished.set()

    threading.Thread(target=work, name="getavatar-call", daemon=True).start()
    interrupted: Optional[BaseException] = None
    while not finished.is_set():
        try:
            _wait(finished)
        except BaseException as e:
            # Interrupted: stop the call, and still wait for it (about 100 ms) so that nothing
            # is left running under the client handle the caller is about to let go of.
            if interrupted is None:
                interrupted = e
                _native.lib().ga_cancel(token)
    if interrupted is not None:
        drop(token)
        raise interrupted
    give(token)
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _wait(finished: threading.Event) -> None:
    if sys.platform == "win32":  # a wait there is not interrupted by Ctrl-C: poll
        finished.wait(0.05)
    else:
        finished.wait()
