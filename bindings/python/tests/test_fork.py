"""fork(): multiprocessing with the fork start method and a module-level client used before the
fork. Every worker must get each chat id's own answer (never another chat's), over HTTP and
HTTPS, with the cache off and on; a hang fails the test (timeout) instead of hanging it."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import signal
import threading
from typing import List, Optional, Tuple

import pytest

import getavatar

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="this system has no fork()")

# The module-level client the workers inherit, as an application would have it.
CLIENT: Optional[getavatar.Client] = None

IDS = [str(7_100_000_000 + i) for i in range(200)]


def _lookup(chat_id: str) -> Tuple[str, str]:
    assert CLIENT is not None
    try:
        return chat_id, CLIENT.get_avatar(chat_id).url
    except getavatar.Error as e:
        return chat_id, f"error: {e!r}"


def _own(chat_id: str, got: str) -> bool:
    return got.endswith(f"/avatars/{chat_id}.png")


def _run_pool(emu, url: str, **options) -> None:
    global CLIENT
    emu.config(avatars={i: {"url": "{base}/avatars/" + i + ".png", "available": True} for i in IDS})
    CLIENT = getavatar.Client(url, emu.id_instance, emu.token, rate_limit=0, **options)
    try:
        # Used before the fork: a pooled keep-alive connection (and, with the cache, an entry).
        assert _own(IDS[0], CLIENT.get_avatar(IDS[0]).url)
        # The workers fork now: each inherits that connection (and entry).
        ctx = multiprocessing.get_context("fork")
        pool = ctx.Pool(4)
        # The parent keeps calling from a thread while the workers work.
        stop = threading.Event()
        parent: List[Tuple[str, str]] = []

        def keep_calling() -> None:
            k = 0
            while not stop.is_set():
                parent.append(_lookup(IDS[k % 20]))
                k += 1

        t = threading.Thread(target=keep_calling)
        t.start()
        try:
            results = pool.map_async(_lookup, IDS, chunksize=5).get(timeout=90)
        finally:
            stop.set()
            t.join()
            pool.terminate()
            pool.join()
        wrong = [(i, got) for i, got in results if not _own(i, got)]
        assert not wrong, f"{len(wrong)} of {len(IDS)} answers are not their chat id's own: {wrong[:5]}"
        assert [i for i, _ in results] == IDS
        bad = [(i, got) for i, got in parent if not _own(i, got)]
        assert parent and not bad, f"the parent got {len(bad)} wrong answers: {bad[:5]}"
        assert _own(IDS[7], CLIENT.get_avatar(IDS[7]).url), "the parent still works"
    finally:
        CLIENT.close()
        CLIENT = None


def test_fork_pool_over_http_gets_each_chats_own_answer(emu):
    _run_pool(emu, emu.url)


def test_fork_pool_over_http_with_the_cache_gets_each_chats_own_answer(emu):
    _run_pool(emu, emu.url, cache_ttl=600)


def test_fork_pool_over_https_gets_each_chats_own_answer(emu):
    _run_pool(emu, emu.tls_url, ca_file=emu.tls_ca_file)


def test_fork_pool_over_https_with_the_cache_gets_each_chats_own_answer(emu):
    _run_pool(emu, emu.tls_url, ca_file=emu.tls_ca_file, cache_ttl=600)


def test_a_child_can_close_a_client_other_threads_were_using_at_fork(emu):
    """A call in flight on another thread at fork() does not exist in the child: closing the
    inherited client there must not wait for it."""
    with getavatar.Client(emu.url, emu.id_instance, emu.token, rate_limit=0) as c:
        stop = threading.Event()

        def keep_calling() -> None:
            while not stop.is_set():
                c.get_avatar("10000000")

        threads = [threading.Thread(target=keep_calling) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for _ in range(5):
                pid = os.fork()
                if pid == 0:  # the child: look up, close, and leave at once
                    code = 1
                    try:
                        signal.alarm(20)  # a hang kills the child: the test fails
                        ok = c.get_avatar("10000000").url.endswith("/avatars/10000000.png")
                        c.close()
                        code = 0 if ok else 1
                    finally:
                        os._exit(code)
                _, status = os.waitpid(pid, 0)
                assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status}"
        finally:
            stop.set()
            for t in threads:
                t.join()


def _in_child(work) -> None:
    """Runs ``work()`` in a forked child; the child fails the test by its exit status, a hang
    (alarm after 20 s) included."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.alarm(20)
            code = 0 if work() else 2
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status}"


def test_an_async_client_used_before_fork_works_in_the_child(emu):
    """gunicorn --preload with a module-level AsyncClient that made a call at import: its thread
    pool was copied into the workers counting an idle thread that is not there, and their first
    call hung."""
    c = getavatar.AsyncClient(emu.url, emu.id_instance, emu.token, rate_limit=0)
    url = f"{emu.url}/avatars/10000000.png"
    try:
        assert asyncio.run(c.get_avatar("10000000")).url == url

        def child() -> bool:
            got = asyncio.run(asyncio.wait_for(c.get_avatar("10000000"), 5)).url
            many = asyncio.run(asyncio.wait_for(c.get_avatars(["10000000"] * 8), 5))
            asyncio.run(asyncio.wait_for(c.aclose(), 5))
            return got == url and [a.url for a in many] == [url] * 8  # type: ignore[union-attr]

        _in_child(child)
        assert asyncio.run(c.get_avatar("10000000")).url == url, "the parent still works"
    finally:
        asyncio.run(c.aclose())


def test_a_client_used_on_the_main_thread_before_fork_works_in_the_child(emu):
    """The main thread's calls run on a helper thread (so that Ctrl-C stops them): a child
    forked after one has no such thread and must start its own."""
    with getavatar.Client(emu.url, emu.id_instance, emu.token, rate_limit=0) as c:
        url = f"{emu.url}/avatars/10000000.png"
        assert c.get_avatar("10000000").url == url
        _in_child(lambda: c.get_avatar("10000000").url == url and c.get_avatars(["10000000"])[0].url == url)
        assert c.get_avatar("10000000").url == url


def test_a_fork_in_a_signal_handler_during_a_main_thread_call_does_not_hang_the_child(emu):
    """A main-thread call runs on a helper thread while the main thread waits, so a handler can
    run, and fork, during it (a SIGHUP that forks a copy). The child's main thread then goes
    back to waiting for a helper that fork did not copy: it waited forever. It must get the
    call's answer (the call is made again there)."""
    url = f"{emu.url}/avatars/10000000.png"
    emu.fault(kind="delay", ms=1500)
    r, w = os.pipe()
    with getavatar.Client(emu.url, emu.id_instance, emu.token, rate_limit=0, max_retries=0) as c:
        pid = os.getpid()
        result: List[object] = []
        old = signal.signal(signal.SIGALRM, lambda s, f: result.append(os.fork()))
        got: Optional[getavatar.Avatar] = None
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            got = c.get_avatar("10000000")
        except BaseException:
            if os.getpid() == pid:
                raise
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        if os.getpid() != pid:  # the child: report and leave at once (never back into pytest)
            os.write(w, b"1" if got is not None and got.url == url else b"0")
            os._exit(0)
        os.close(w)
        child = result[0]
        assert isinstance(child, int) and child > 0
        seen = b""
        ready, _, _ = select.select([r], [], [], 10)
        if ready:
            seen = os.read(r, 1)
        os.close(r)
        if not seen:
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        assert got is not None and got.url == url, "the parent's call"
        assert seen == b"1", "the child's call hung (or gave a wrong answer)"
