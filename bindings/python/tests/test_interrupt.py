"""Ctrl-C during a call: a child Python process gets SIGINT while the emulator holds the answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")

# The child: makes a client, starts CALL on the main thread (or as the test says), prints the
# CLOCK_MONOTONIC time (shared by all processes) at which KeyboardInterrupt arrived, then uses
# the same client again.
CHILD = textwrap.dedent(
    """
    import os, sys, threading, time
    import getavatar
    url, iid, token, tmp = sys.argv[1:5]
    c = getavatar.Client(url, iid, token, rate_limit=0, backoff=0.001, timeout=8, concurrency=4)
    {setup}
    print("ready", flush=True)
    try:
        r = {call}
        print("returned", repr(r)[:200], flush=True)
    except KeyboardInterrupt:
        print("interrupted", time.monotonic(), flush=True)
    {after}
    a = c.get_avatar("10000000")
    print("again", a.url, flush=True)
    t = time.monotonic()
    c.close()
    print("closed", round(time.monotonic() - t, 3), flush=True)
    print("threads", sorted(t.name for t in threading.enumerate() if t.name.startswith("getavatar")), flush=True)
    """
)

CALLS = {
    "get_avatar": 'c.get_avatar("10000000")',
    "get_avatars": 'c.get_avatars(["10000000", "20000000", "30000000", "40000000", "-10000000000000", "10000000"])',
    "download_avatar": 'c.download_avatar("10000000", os.path.join(tmp, "a.png"))',
    "avatar_bytes": 'c.avatar_bytes("10000000")',
}
# How the emulator holds each call: (fault, requests seen once it holds them).
HOLD = {
    "get_avatar": ({"kind": "never_answer"}, 1),
    "get_avatars": ({"kind": "never_answer", "times": 4}, 4),  # the 4 lookups under way
    "download_avatar": ({"kind": "never_answer", "target": "image"}, 1),
    "avatar_bytes": ({"kind": "never_answer", "target": "image"}, 1),
}


def _start(emu, tmp_path: Path, call: str, setup: str = "", after: str = "") -> subprocess.Popen:
    code = CHILD.format(call=call, setup=setup or "pass", after=after or "pass")
    p = subprocess.Popen(
        [sys.executable, "-c", code, emu.url, emu.id_instance, emu.token, str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "ready", p.stderr.read() if p.stderr else ""
    return p


def _wait_for_requests(emu, n: int, image: bool = False) -> None:
    deadline = time.monotonic() + 10
    while len(emu.images() if image else emu.requests()) < n:
        assert time.monotonic() < deadline, "the call never reached the emulator"
        time.sleep(0.01)
    time.sleep(0.05)  # the call is now waiting for the answer


def _finish(p: subprocess.Popen) -> dict:
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    lines = {}
    for line in out.splitlines():
        k, _, v = line.partition(" ")
        lines[k] = v
    return lines


@pytest.mark.parametrize("name", list(CALLS))
def test_ctrl_c_interrupts_a_call_on_the_main_thread(emu, tmp_path, name):
    fault, n = HOLD[name]
    emu.fault(**fault)
    p = _start(emu, tmp_path, CALLS[name])
    _wait_for_requests(emu, n, image="target" in fault)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    r = _finish(p)
    assert "interrupted" in r, f"the call was not interrupted: {r}"
    took = float(r["interrupted"]) - sent
    assert took < 1.0, f"KeyboardInterrupt came {took:.2f} s after SIGINT"
    # The same client works; nothing of the call is left running (close does not wait for it).
    assert r["again"] == f"{emu.url}/avatars/10000000.png"
    assert float(r["closed"]) < 0.5
    assert r["threads"] == "['getavatar-interrupt']"
    assert not (tmp_path / "a.png").exists()


def test_ctrl_c_when_the_application_owns_the_wakeup_fd(emu, tmp_path):
    # An event loop or the application set signal.set_wakeup_fd: Ctrl-C still stops the call,
    # and the application's fd is left in place.
    setup = "import signal, socket; a, b = socket.socketpair(); b.setblocking(False); signal.set_wakeup_fd(b.fileno())"
    after = 'print("wakeup_kept", signal.set_wakeup_fd(-1) == b.fileno(), flush=True); signal.set_wakeup_fd(b.fileno())'
    emu.fault(kind="never_answer")
    p = _start(emu, tmp_path, CALLS["get_avatar"], setup, after)
    _wait_for_requests(emu, 1)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    r = _finish(p)
    assert "interrupted" in r, r
    assert float(r["interrupted"]) - sent < 1.0
    assert r["wakeup_kept"] == "True"
    assert r["again"] == f"{emu.url}/avatars/10000000.png"
    assert float(r["closed"]) < 0.5
    assert "getavatar-call" not in r["threads"]


def test_ctrl_c_delivered_to_another_thread_still_stops_the_call(emu, tmp_path):
    # The kernel may deliver a process's SIGINT to any thread that does not block it; Python
    # then runs the handler on the main thread as soon as it next looks. It must look while
    # it waits for the call, not only when the call ends (8 s here).
    setup = textwrap.dedent(
        """
        import signal
        def kick():
            while not os.path.exists(os.path.join(tmp, "go")):
                time.sleep(0.01)
            print("sent", time.monotonic(), flush=True)
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        threading.Thread(target=kick, daemon=True).start()
        """
    ).strip()
    emu.fault(kind="never_answer")
    p = _start(emu, tmp_path, CALLS["get_avatar"], setup)
    _wait_for_requests(emu, 1)
    (tmp_path / "go").touch()
    r = _finish(p)
    assert "interrupted" in r, r
    assert float(r["interrupted"]) - float(r["sent"]) < 0.5
    assert r["again"] == f"{emu.url}/avatars/10000000.png"


def test_ctrl_c_stops_the_main_thread_call_only(emu, tmp_path):
    # A call on another thread goes on and gets its answer; the main thread's call is stopped.
    setup = textwrap.dedent(
        """
        other = []
        def work():
            other.append(c.get_avatar("-10000000000000"))
        w = threading.Thread(target=work)
        w.start()
        """
    ).strip()
    after = 'w.join(); print("other", other[0].url, flush=True)'
    emu.fault(kind="delay", ms=1500)  # the other thread's call
    emu.fault(kind="never_answer")  # the main thread's call
    p = _start(emu, tmp_path, CALLS["get_avatar"], setup, after)
    _wait_for_requests(emu, 2)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    r = _finish(p)
    assert "interrupted" in r, r
    assert float(r["interrupted"]) - sent < 1.0
    assert r["other"] == f"{emu.url}/avatars/-10000000000000.png"
    assert r["again"] == f"{emu.url}/avatars/10000000.png"


def _with_handler(emu, tmp_path, handler: str, at_requests, delayed: int = 1):
    """get_avatar in a child whose SIGINT handler is ``handler`` (an expression over ``s``, ``f``,
    ``c`` and the lists ``n`` and ``seen``; it prints both lists afterwards, then the result of
    a next call), with the first ``delayed`` requests held 3 s; a SIGINT once the emulator has
    seen each number of requests in ``at_requests``. Returns the child's lines and the times
    the signals were sent."""
    setup = f"import signal; n = []; seen = []; signal.signal(signal.SIGINT, lambda s, f: {handler})"
    after = 'print("n", len(n), flush=True); print("seen", seen, flush=True); print("next", c.get_avatar("10000000").url, flush=True)'
    emu.fault(kind="delay", ms=3000, times=delayed)
    p = _start(emu, tmp_path, CALLS["get_avatar"], setup, after)
    sent = []
    for count in at_requests:
        _wait_for_requests(emu, count)
        sent.append(time.monotonic())
        p.send_signal(signal.SIGINT)
    return _finish(p), sent


def _returned_normally(r: dict, emu) -> None:
    assert r["returned"].startswith("Avatar(url='" + emu.url + "/avatars/10000000.png'"), r
    assert r["next"] == r["again"] == f"{emu.url}/avatars/10000000.png"


def test_a_sigint_handler_that_returns_lets_the_call_finish(emu, tmp_path):
    # Like an interrupted system call (PEP 475): the handler runs, the call goes on.
    r, _ = _with_handler(emu, tmp_path, "n.append(s)", at_requests=[1])
    _returned_normally(r, emu)
    assert r["n"] == "1"


def test_a_sigint_handler_that_makes_a_call_leaves_the_interrupted_call_sound(emu, tmp_path):
    # The handler's own call must leave the interrupted one sound: it gets its answer (no
    # CancelledError, no cancelled token reused by a later call).
    r, _ = _with_handler(emu, tmp_path, 'seen.append(c.get_avatar("20000000").url)', at_requests=[1])
    _returned_normally(r, emu)
    assert r["seen"] == "['']"


def test_a_second_ctrl_c_in_the_handlers_own_call_leaves_both_calls_sound(emu, tmp_path):
    # The second SIGINT lands in the handler's own call, and that handler returns too: both
    # calls still get their answers (none raises CancelledError).
    handler = 'n.append(s) or (len(n) == 1 and seen.append(c.get_avatar("20000000").url))'
    r, _ = _with_handler(emu, tmp_path, handler, at_requests=[1, 2], delayed=2)
    _returned_normally(r, emu)
    assert (r["n"], r["seen"]) == ("2", "['']")


def test_after_the_handlers_own_call_ctrl_c_still_interrupts_the_call(emu, tmp_path):
    # The handler's call runs and ends inside the interrupted one, without waiting for it; a
    # second Ctrl-C must then still stop that call at once, not when it ends (3 s here). The
    # handler marks when its call is over.
    handler = ('n.append(s) or (signal.default_int_handler(s, f) if len(n) > 1 else '
               '(seen.append(c.get_avatar("20000000").url), open(os.path.join(tmp, "handled"), "w")))')
    setup = f"import signal; n = []; seen = []; signal.signal(signal.SIGINT, lambda s, f: {handler})"
    after = 'print("n", len(n), flush=True); print("seen", seen, flush=True)'
    for ms in (3000, 0, 3000):  # the call, the handler's call, the call again if it is redone
        emu.fault(kind="delay", ms=ms)
    p = _start(emu, tmp_path, CALLS["get_avatar"], setup, after)
    _wait_for_requests(emu, 1)
    first = time.monotonic()
    p.send_signal(signal.SIGINT)
    while not (tmp_path / "handled").exists():
        assert time.monotonic() < first + 10, "the handler's call did not end"
        time.sleep(0.01)
    # The handler's call did not wait for the call it interrupted (held 3 s).
    assert time.monotonic() - first < 1.5
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    r = _finish(p)
    assert "interrupted" in r, r
    assert float(r["interrupted"]) - sent < 1.0
    assert (r["n"], r["seen"], r["again"]) == ("2", "['']", f"{emu.url}/avatars/10000000.png")


def test_calls_off_the_main_thread_go_straight_to_the_library(emu):
    # No wakeup fd, no helper thread for them.
    code = textwrap.dedent(
        """
        import signal, sys, threading, getavatar
        c = getavatar.Client(*sys.argv[1:4], rate_limit=0)
        t = threading.Thread(target=lambda: print(c.get_avatar("10000000").url)); t.start(); t.join()
        print(sorted(t.name for t in threading.enumerate()), signal.set_wakeup_fd(-1))
        """
    )
    out = subprocess.run([sys.executable, "-c", code, emu.url, emu.id_instance, emu.token],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == [f"{emu.url}/avatars/10000000.png", "['MainThread'] -1"]


@pytest.mark.parametrize("wakeup_taken", [False, True], ids=["wakeup_fd_free", "wakeup_fd_taken"])
def test_a_storm_of_ctrl_c_leaves_the_client_consistent(emu, tmp_path, wakeup_taken):
    # SIGINT at random moments of every call kind, for 3 s: each lands somewhere (in C, in
    # the wrapper, between calls); afterwards the client still answers and closes at once.
    code = textwrap.dedent(
        """
        import os, signal, socket, sys, time, getavatar
        c = getavatar.Client(*sys.argv[1:4], rate_limit=0, timeout=5)
        if sys.argv[5] == "1":
            a, b = socket.socketpair(); b.setblocking(False); signal.set_wakeup_fd(b.fileno())
        d = sys.argv[4]
        n = ok = ki = 0
        print("ready", flush=True)
        end = time.monotonic() + 3
        while True:
            try:
                while time.monotonic() < end:
                    n += 1
                    k = n % 4
                    if k == 0: c.get_avatar("10000000")
                    elif k == 1: c.get_avatars(["10000000", "-10000000000000", "20000000"])
                    elif k == 2: c.download_avatar("10000000", os.path.join(d, "a.png"))
                    else: c.avatar_bytes("10000000")
                    ok += 1
                break
            except KeyboardInterrupt:
                ki += 1
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print(ok, ki, c.get_avatar("10000000").url, flush=True)
        t = time.monotonic(); c.close(); print(round(time.monotonic() - t, 3), flush=True)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", code, emu.url, emu.id_instance, emu.token, str(tmp_path),
                          "1" if wakeup_taken else "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    import random
    sent = 0
    end = time.monotonic() + 2.5
    while time.monotonic() < end:
        time.sleep(random.uniform(0.005, 0.04))
        p.send_signal(signal.SIGINT)
        sent += 1
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-2000:]
    counts, closing = out.strip().split("\n")
    ok, ki, url = counts.split()
    assert int(ki) > sent // 2 and int(ok) > 0, (sent, counts)
    assert url == f"{emu.url}/avatars/10000000.png"
    assert float(closing) < 0.5


def _run_child(emu, code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, emu.url, emu.id_instance, emu.token, *args],
                          capture_output=True, text=True, timeout=timeout)


# SIGINT every 0.5-1.5 ms from a thread of the child itself, for `seconds` after `delay`, while
# the main thread makes lookups; then no more signals.
SHOOTER = """
import os, random, signal, sys, threading, time, getavatar
def shoot(seconds, delay):
    time.sleep(delay)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.0005 + random.random() * 0.001)
"""


def test_a_stream_of_signals_whose_handler_makes_calls_never_fails_a_call(emu):
    # A handler's call may start at any step of the interrupted one: neither may fail, nor
    # leave a cancelled token behind for the calls after them (each then raised CancelledError).
    code = """
    c = getavatar.Client(*sys.argv[1:4], rate_limit=0)
    busy = []
    def handler(s, f):
        if not busy:
            busy.append(1)
            try:
                c.get_avatar("20000000")
            finally:
                busy.clear()
    signal.signal(signal.SIGINT, handler)
    t = threading.Thread(target=shoot, args=(2.0, 0)); t.start()
    n = 0
    while t.is_alive():
        c.get_avatar("10000000")  # CancelledError fails the test
        n += 1
    t.join()
    later = [c.get_avatar("10000000").url for _ in range(5)]
    print(n, len(set(later)), later[0], getavatar.Client(*sys.argv[1:4]).get_avatar("10000000").url)
    """
    out = _run_child(emu, SHOOTER + textwrap.dedent(code))
    assert out.returncode == 0, out.stderr[-3000:]
    n, distinct, url, other = out.stdout.split()
    assert int(n) > 0 and distinct == "1"
    assert url == other == f"{emu.url}/avatars/10000000.png"
    assert out.stderr == ""


def test_a_stream_of_ctrl_c_leaves_no_wakeup_fd_installed(emu):
    # A KeyboardInterrupt can surface after any step of a call: none may leave a wakeup fd
    # installed (a version that set one per call once did: a later fork's child then wrote its
    # signals to a closed fd and printed to stderr), and the client must go on working.
    code = """
    c = getavatar.Client(*sys.argv[1:4], rate_limit=0)
    t = threading.Thread(target=shoot, args=(2.0, 0.2)); t.start()  # after start() returned
    ki = 0
    while t.is_alive():
        try:
            try:
                c.get_avatar("10000000")
            except KeyboardInterrupt:
                ki += 1
        except KeyboardInterrupt:
            ki += 1
    t.join()
    while True:  # a last KeyboardInterrupt may still be pending
        try:
            time.sleep(0.2)
            break
        except KeyboardInterrupt:
            ki += 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    url = c.get_avatar("10000000").url
    print(ki, signal.set_wakeup_fd(-1), url)
    """
    out = _run_child(emu, SHOOTER + textwrap.dedent(code))
    assert out.returncode == 0, out.stderr[-3000:]
    ki, fd, url = out.stdout.split()
    assert int(ki) > 0
    assert fd == "-1", "the wakeup fd was left installed"
    assert url == f"{emu.url}/avatars/10000000.png"


def test_a_fork_during_a_main_thread_call_leaves_the_child_no_wakeup_fd(emu):
    # Another thread forks while the main thread's call is under way: the child must have no
    # wakeup fd of ours (a signal there would be written to a closed fd, with a message on
    # stderr, or into a file reusing the number) and working calls.
    emu.fault(kind="delay", ms=1500)
    code = """
    import os, signal, sys, threading, time, warnings, getavatar
    warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() with threads running
    c = getavatar.Client(*sys.argv[1:4], rate_limit=0)
    def fork_soon():
        time.sleep(0.5)
        pid = os.fork()
        if pid == 0:
            fd = signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGINT, lambda s, f: None)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            print("child", fd, c.get_avatar("10000000").url, flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
    t = threading.Thread(target=fork_soon); t.start()
    print("parent", c.get_avatar("10000000").url, flush=True)
    t.join()
    """
    out = _run_child(emu, textwrap.dedent(code))
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().split("\n"))
    assert lines["child"] == f"-1 {emu.url}/avatars/10000000.png"
    assert lines["parent"] == f"{emu.url}/avatars/10000000.png"
    assert out.stderr == ""


@pytest.mark.parametrize("wakeup_taken", [False, True], ids=["wakeup_fd_free", "wakeup_fd_taken"])
def test_a_sigint_handler_that_closes_the_client_ends_the_program(emu, wakeup_taken):
    # close() waits for calls in flight, but a handler runs inside the call it interrupted,
    # on the same thread: waiting for that one hung for good. It now waits for the other
    # threads' calls only, and the interrupted call frees the client as it ends.
    emu.fault(kind="delay", ms=1500)
    code = """
    import os, signal, socket, sys, threading, time, getavatar
    c = getavatar.Client(*sys.argv[1:4], rate_limit=0, max_retries=0)
    if sys.argv[4] == "1":
        a, b = socket.socketpair(); b.setblocking(False); signal.set_wakeup_fd(b.fileno())
    def handler(s, f):
        c.close()
        print("closed", c.closed, flush=True)
        sys.exit(3)
    signal.signal(signal.SIGINT, handler)
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    c.get_avatar("10000000")
    """
    out = _run_child(emu, textwrap.dedent(code), "1" if wakeup_taken else "0", timeout=30)
    assert (out.returncode, out.stdout, out.stderr) == (3, "closed True\n", "")


def test_a_handler_closing_the_client_where_the_call_holds_its_lock_does_not_deadlock(emu):
    # The call's last step holds the client's lock and runs notify_all(), Python code where a
    # signal handler can run; a handler that closes the client there must not wait for the
    # lock its own thread holds. (Here another thread's close() is what makes the call notify.)
    emu.fault(kind="delay", ms=800)
    code = """
    import sys, threading, time, getavatar
    c = getavatar.Client(*sys.argv[1:4], rate_limit=0)
    notify = c._cond.notify_all
    def notify_as_a_handler_interrupts():
        c.close()  # what a handler running here would do
        notify()
    c._cond.notify_all = notify_as_a_handler_interrupts
    closer = threading.Thread(target=lambda: (time.sleep(0.3), c.close()))
    closer.start()
    print(c.get_avatar("10000000").url, flush=True)
    closer.join()
    print(c.closed, c._handle, flush=True)
    """
    out = _run_child(emu, textwrap.dedent(code), timeout=20)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split("\n")[:2] == [f"{emu.url}/avatars/10000000.png", "True None"]
