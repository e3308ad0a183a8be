"""Ctrl-C for calls made on the main thread: the one mechanism, all of it here.

Python runs signal handlers on the main thread only, between bytecodes: while a C call runs
there, Ctrl-C waits for it. So a call made on the main thread runs as a `Job` on a helper
thread, and the main thread waits for it on a lock, a wait that signals interrupt:

- a handler that returns (a custom SIGINT handler) lets the wait, and the call, go on;
- a handler that raises (KeyboardInterrupt, SystemExit) stops the job (it cancels the job's
  token: the library returns within about 100 ms), waits for it, and lets the exception out.

A handler may make calls itself: such a call runs on the helper one level deeper (helper d runs
the calls made while d calls of the main thread are under way), so it never waits for the call
it interrupted, and a second Ctrl-C stops it. Calls made on other threads go straight to the
library (no handler runs there); AsyncClient runs its calls as Jobs on its own threads and stops
one when its task is cancelled. The wakeup fd (signal.set_wakeup_fd) is never touched: it stays
the event loop's or the application's.

A job's states, changed under its lock:
  QUEUED   made, perhaps handed to a thread; no token yet.
  RUNNING  a thread runs it with a fresh token, which `stop()` cancels.
  DONE     `outcome` holds its result or exception; the token is freed; `done` is released.
  DROPPED  stopped while QUEUED: it never runs.
Per process: `_helpers[d]`, the queue helper d serves; `_current`, the main thread's innermost
job. A forked child starts with neither (the helper threads are not copied into it).

Why a signal cannot break this: a handler's exception can surface after any step on the main
thread, but never on a helper. So the helper takes every step that must not be lost: it makes
and frees the token, holds the client for the call (close() waits for it, see _client) and sets
DONE last. The main thread only waits and stops, both of which may be repeated: a further signal
while it stops a job makes it stop and wait again. At worst (a signal cutting that loop itself
short, or a helper's start) a job ends uncancelled on its helper, or a helper thread idles for
good; nothing is ever freed under a running call.
"""

from __future__ import annotations

import _thread
import os
import threading
from queue import SimpleQueue
from typing import Any, Callable, Generic, List, Optional, Tuple, TypeVar

from . import _native

__all__ = ["Job", "call", "on_main_thread"]

R = TypeVar("R")
QUEUED, RUNNING, DONE, DROPPED = "queued", "running", "done", "dropped"
#: The main thread's wait also wakes this often (seconds): a signal delivered to another thread,
#: or any on Windows (where a lock wait is not interrupted), is handled within this time.
POLL = 0.05


class Job(Generic[R]):
    """``fn(token)`` run on another thread; the thread waiting for it can stop it."""

    __slots__ = ("fn", "depth", "lock", "state", "token", "outcome", "done")

    def __init__(self, fn: Callable[[Any], R], depth: int = 0) -> None:
        self.fn, self.depth = fn, depth
        self.lock = _thread.allocate_lock()
        self.state: str = QUEUED
        self.token: Any = None
        self.outcome: Optional[Tuple[bool, Any]] = None
        self.done = _thread.allocate_lock()
        self.done.acquire()  # released as the job ends

    def run(self) -> None:
        """Runs the job, on a thread where no signal handler runs (a helper, a pool's thread)."""
        lib = _native.lib()
        token = lib.ga_cancel_new()
        with self.lock:
            if self.state is QUEUED:
                self.state, self.token = RUNNING, token
        if self.state is RUNNING:  # else DROPPED: only this thread changes it from here on
            outcome: Tuple[bool, Any]
            try:
                outcome = (True, self.fn(token)) if token else (False, MemoryError("getavatar: out of memory"))
            except BaseException as e:  # handed to the waiting thread
                outcome = (False, e)
            with self.lock:
                self.state, self.token, self.outcome = DONE, None, outcome
        lib.ga_cancel_free(token)
        self.done.release()

    def stop(self) -> None:
        """The job never starts, or its token is cancelled (it ends within about 100 ms)."""
        with self.lock:
            if self.state is QUEUED:
                self.state = DROPPED
            elif self.state is RUNNING:
                _native.lib().ga_cancel(self.token)

    def wait(self) -> None:
        """Waits until DONE; on the main thread, signal handlers run meanwhile."""
        while self.outcome is None:
            self.done.acquire(True, POLL)

    def result(self) -> R:
        """The call's value, or its exception raised (once DONE)."""
        assert self.outcome is not None
        ok, value = self.outcome
        if ok:
            return value  # type: ignore[no-any-return]
        raise value


_helpers: List["SimpleQueue[Job[Any]]"] = []
_current: Optional[Job[Any]] = None
_main = threading.main_thread().ident


def on_main_thread() -> bool:
    """Whether this is the thread signal handlers run on (after fork(), the forking one)."""
    return _thread.get_ident() == _main


def call(fn: Callable[[Any], R]) -> R:
    """``fn(token)`` for the main thread: on a helper, stopped by Ctrl-C (see the module doc)."""
    global _current
    outer = _current
    job = Job(fn, outer.depth + 1 if outer is not None and outer.outcome is None else 0)
    try:
        _current = job
        _helper(job.depth).put(job)
        job.wait()
    except BaseException:
        while True:  # stop it and wait for it, whatever further signals come; the first is raised
            try:
                job.stop()
                if job.state is not DROPPED:
                    job.wait()
                break
            except BaseException:
                pass
        raise
    finally:
        _current = outer
    return job.result()


def _helper(depth: int) -> "SimpleQueue[Job[Any]]":
    while len(_helpers) <= depth:  # started on first use, listed once it serves
        queue: "SimpleQueue[Job[Any]]" = SimpleQueue()
        threading.Thread(target=_serve, args=(queue,), name="getavatar-interrupt", daemon=True).start()
        _helpers.append(queue)
    return _helpers[depth]


def _serve(queue: "SimpleQueue[Job[Any]]") -> None:
    while True:
        queue.get().run()


def _after_fork_in_child() -> None:
    global _main, _current
    _main, _current = _thread.get_ident(), None
    del _helpers[:]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
