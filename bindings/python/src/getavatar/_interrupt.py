"""Ctrl-C stops a call made on the main thread: the one mechanism, all of it here.

Signal handlers run on the main thread only, between bytecodes: a C call there would hold
Ctrl-C back. So a main-thread call runs as a `Job` on a helper thread while the main thread
waits on a lock, which signals interrupt. A handler that returns lets the call go on; one that
raises (KeyboardInterrupt) stops the job (cancels its token: the library returns within about
100 ms), waits for it and lets the exception out. A handler's own call runs on the next helper
(helper d serves the calls made while d main-thread calls are under way), so it never waits for
the one it interrupted. Other threads' calls go straight to the library; AsyncClient runs Jobs
on its pool. The wakeup fd (signal.set_wakeup_fd) is left to the application.

A job's states, changed under its lock:
  QUEUED   made, perhaps handed to a thread; no token yet.
  RUNNING  a thread runs it with a fresh token, which `stop()` cancels.
  DONE     `outcome` holds its value or exception; then the token is freed, `done` released.
  DROPPED  stopped while QUEUED: it never runs.
Per process: `_helpers[d]`, helper d's queue, and `_current`, the main thread's innermost job;
a forked child starts with neither (threads are not copied by fork). A job a child's main thread
still waits for (a handler forked during the call) is made afresh and QUEUED again there.

A handler's exception can surface after any step of the main thread, never on a helper. So the
helper takes each step that must not be lost (the token, holding the client, DONE last); the
main thread only waits and stops, and repeats both if another signal cuts them short. At worst
(a signal cutting that retry, or a helper's start, short) a job ends uncancelled or a helper
thread idles unused; nothing is ever freed under a running call.
"""

from __future__ import annotations

import _thread
import os
import threading
from queue import SimpleQueue
from typing import Any, Callable, Generic, List, Optional, Tuple, TypeVar

from . import _native

R = TypeVar("R")
QUEUED, RUNNING, DONE, DROPPED = "queued", "running", "done", "dropped"
#: Seconds between the main thread's own checks for a signal that did not interrupt its wait
#: (delivered to another thread, or on Windows, where a lock wait is not interrupted).
POLL = 0.05


class Job(Generic[R]):
    """``fn(token)`` run on another thread; the thread waiting for it can stop it."""

    __slots__ = ("fn", "depth", "lock", "state", "token", "outcome", "done", "pid")

    def __init__(self, fn: Callable[[Any], R], depth: int = 0) -> None:
        self.fn, self.depth = fn, depth
        self._fresh()

    def _fresh(self) -> None:
        self.state, self.token, self.pid = QUEUED, None, os.getpid()
        self.lock = _thread.allocate_lock()
        self.outcome: Optional[Tuple[bool, Any]] = None
        self.done = _thread.allocate_lock()
        self.done.acquire()  # released as the job ends

    def run(self) -> None:
        """Runs the job, on a thread where no signal handler runs (a helper, a pool's thread)."""
        lib = _native.lib()
        token = lib.ga_cancel_new()  # NULL (out of memory): the call is not cancellable
        with self.lock:
            if self.state is QUEUED:
                self.state, self.token = RUNNING, token
        if self.state is RUNNING:  # else DROPPED; only this thread changes it from here on
            outcome: Tuple[bool, Any]
            try:
                outcome = (True, self.fn(token))
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
        """Waits until DONE; on the main thread, signal handlers run meanwhile. A handler that
        forked leaves the child waiting for a thread fork did not copy: the job runs again there."""
        while self.outcome is None:
            if self.pid != os.getpid() and self.state is not DROPPED:
                self._fresh()
                _helper(self.depth).put(self)
            self.done.acquire(True, POLL)

    def result(self) -> R:
        """The call's value, or its exception raised (once DONE)."""
        assert self.outcome is not None
        if self.outcome[0]:
            return self.outcome[1]  # type: ignore[no-any-return]
        raise self.outcome[1]


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
