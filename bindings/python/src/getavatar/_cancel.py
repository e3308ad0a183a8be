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
installed and makes the outer call the watcher's current one again when it ends; the watcher
marks the very call whose token it cancelled, so a second Ctrl-C in the handler's call is not
mistaken for the first, and a cancelled token never goes back to the pool.

A signal handler's exception can surface after any call in Python code, also inside a
``finally``; the bookkeeping is ordered so that one cut short leaves nothing wrong behind (at
worst a token not reused), and a wakeup socket left installed by a call cut short that way is
removed by the next call.

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

import _thread
import atexit
import functools
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
        # The main thread's innermost call, as [token]; the watcher appends True when it
        # cancels it. One per call, not a shared record: a signal handler may make calls of
        # its own (a second Ctrl-C may land in one of them), and a call cut short by a signal
        # before it looked leaves nothing behind.
        self.current: Optional[List[Any]] = None
        threading.Thread(target=self._loop, name="getavatar-interrupt", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                data = self.reader.recv(256)
            except InterruptedError:  # pragma: no cover - recv retries itself (PEP 475)
                continue
            except OSError:
                return
            if not data:  # stop() closed the other end
                self.reader.close()
                return
            if _INTERRUPTING.intersection(data):
                with self.lock:
                    # Read once: ga_cancel lets the main thread run, and a signal handler's
                    # call may make another call current meanwhile; the call whose token is
                    # cancelled must be the one marked (else a cancelled token is pooled).
                    call = self.current
                    if call is not None:
                        _native.lib().ga_cancel(call[0])
                        call.append(True)

    def stop(self) -> None:
        """Ends the watcher: its thread reads the end of the socket and closes its side."""
        self.writer.close()

    def close_in_child(self) -> None:
        """After fork(): the thread is not there; closes both sides."""
        self.reader.close()
        self.writer.close()


_watch: Optional[_Watch] = None
_watch_lock = threading.Lock()


def _get_watch() -> _Watch:
    global _watch
    w = _watch
    if w is None:
        # Made outside the lock: a signal handler may run while it is made, and its own call
        # comes here too (holding the lock, that was a deadlock). The first one published wins.
        new = _Watch()
        with _watch_lock:  # nothing in the block can run a handler
            if _watch is None:
                _watch = new
            w = _watch
        if w is not new:
            new.stop()
    return w


def _after_fork_in_child() -> None:
    # The watcher thread did not survive the fork and its lock may be held: start afresh.
    # The wakeup socket may still be installed (another thread forked during a main-thread
    # call): remove it before closing it, or the child's signals would go to a closed fd (or
    # to a file the child opens under that number).
    global _watch, _watch_lock
    w, _watch, _watch_lock = _watch, None, threading.Lock()
    del _active[:]  # the calls of the thread that did not survive
    if w is not None:
        try:
            was = signal.set_wakeup_fd(-1)
            if was not in (-1, w.fd):  # the application's: put it back
                signal.set_wakeup_fd(was)
        except (ValueError, OSError):  # pragma: no cover - not the main interpreter
            pass
        w.close_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

#: The main thread's calls under way, innermost last (a signal handler's call runs inside the
#: call it interrupted): only the outermost one removes the wakeup socket.
_active: List[Call[Any]] = []

#: Installed without ``warn_on_full_buffer=False`` (parsing that keyword costs a fifth of the
#: call): the watcher drains the socket as bytes arrive, and a call installs it only for its own
#: duration, so its buffer (hundreds of KB) never fills and Python never has to warn.
_set_wakeup_fd = signal.set_wakeup_fd


def call(op: Call[R], handle: Any) -> R:
    """Runs ``op`` for a call on the main thread: Ctrl-C interrupts it (see the module doc).

    A signal handler's exception can surface after any call returns, so each step that must
    not be lost is one C-level operation whose effect survives it: the fd found before ours is
    kept by ``list.extend`` (not an assignment after the call), and every ``finally`` starts
    with what it must undo.
    """
    w = _get_watch()
    fd = w.fd
    # The call this one runs inside (when a signal handler makes it), else None.
    outer = w.current
    nested = bool(_active)  # inside another call() of the main thread (a handler's call)
    before: List[int] = []  # the wakeup fd before ours
    back: List[int] = []  # set when the application's fd was given back
    try:
        _active.append(op)
        try:
            before.extend(map(_set_wakeup_fd, (fd,)))
        except (ValueError, OSError):  # not the main interpreter's main thread
            return _call_on_thread(op, handle)
        if before[0] not in (-1, fd):  # taken (an event loop, the application): leave it
            back.extend(map(_set_wakeup_fd, before))
            return _call_on_thread(op, handle)
        return _invoke(op, handle, w, outer)
    finally:
        if op in _active:  # first: a call can only come after it (ops compare by identity)
            _active.remove(op)
        if before:
            was = before[0]
            # Ours to remove: installed by this call, or left installed by an earlier one
            # that a second signal cut short (no call of ours is under way). A call inside
            # another one leaves it for that one, which its redo needs.
            if was == -1 or (was == fd and not nested):
                _set_wakeup_fd(-1)
            elif was != fd and not back:
                _set_wakeup_fd(was)


def _invoke(op: Call[R], handle: Any, w: _Watch, outer: Optional[List[Any]]) -> R:
    """``op`` with a fresh token, as the watcher's current call; redone when cancelled by a
    signal whose handler returned."""
    try:
        while True:
            token = take()
            me = [token]
            try:
                w.current = me
                op.invoke(handle, token)  # a signal handler's exception surfaces here
            finally:
                w.current = outer  # first: nothing can come between the finally and this
                # Wait out a cancel the watcher may have begun with our token (it holds the
                # lock for that); from then on it cannot pick ours. Nothing in the block: a
                # signal handler may run after any call, and its own call takes the lock too.
                # (A second signal while waiting, or in the next lines, can only leak the token.)
                with w.lock:
                    pass
                hit = len(me) > 1
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


def _call_on_thread(op: Call[R], handle: Any) -> R:
    """Runs ``op`` on a new thread while this (main) thread waits, interruptibly.

    Built on ``_thread`` directly, with each step's outcome kept by C code: ``threading``'s
    Thread.start() and Event.wait() can be cut short by a signal handler's exception with
    their own state half changed (a RuntimeError "release unlocked lock", or a thread started
    that nobody waits for, still using the client the caller is about to free)."""
    cancel = _native.lib().ga_cancel
    token = take()
    done = _thread.allocate_lock()
    done.acquire()  # released by the worker as the call ends
    outcome: List[Tuple[bool, Any]] = []

    def work() -> None:
        try:
            outcome.append((True, op.run(handle, token)))
        except BaseException as e:  # handed to the caller
            outcome.append((False, e))
        finally:
            done.release()

    errs: List[BaseException] = []  # what interrupted the wait (the first one is raised)
    started: List[int] = []
    try:
        started.extend(map(_thread.start_new_thread, (work,), ((),)))
    except BaseException as e:
        if not started:  # never ran: the token is still clean
            give(token)
            raise
        errs += (e,)
    # Wait for the worker, whatever signals come: interrupted, stop the call and still wait
    # (about 100 ms), so that nothing is left running under the client handle the caller is
    # about to let go of. An except clause holds no call (a signal's exception could surface
    # after one): the cancel is sent by the next pass, and a second layer catches what
    # surfaces between passes.
    sent: List[None] = []
    got: List[bool] = []  # the last wait's result
    while not (got and got[-1]):
        try:
            while not (got and got[-1]):
                try:
                    if errs and not sent:
                        sent.extend(map(cancel, (token,)))
                    got.extend(map(_wait, (done,)))
                except BaseException as e:
                    errs += (e,)
        except BaseException as e:
            errs += (e,)
    interrupted = errs[0] if errs else None
    if interrupted is not None:
        drop(token)
        raise interrupted
    give(token)
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


#: Waits for a lock the worker releases: True once acquired. Interrupted by signals on POSIX;
#: on Windows a lock wait is not, so it polls.
_wait = (
    functools.partial(_thread.LockType.acquire, timeout=0.05)
    if sys.platform == "win32"
    else _thread.LockType.acquire
)
