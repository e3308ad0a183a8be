"""The deadline= option and set_deadline() on Client and AsyncClient: a call's total time budget."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Iterator, List

import pytest

import getavatar
from getavatar import AsyncClient, Client


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: List[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % srv.getsockname()[1]
    stop.set()
    t.join()
    for s in held:
        s.close()
    srv.close()


def within(took: float, deadline: float) -> None:
    assert took <= deadline * 1.1, f"took {took:.2f} s, more than {deadline} s + 10 %"


def test_deadline_option_ends_a_black_holed_call(black_hole):
    with Client(black_hole, "1101000001", "0123456789abcdef", timeout=30, deadline=1.5) as c:
        t = time.monotonic()
        with pytest.raises(getavatar.TimeoutError) as ei:
            c.get_avatar("10000000")
        took = time.monotonic() - t
    within(took, 1.5)
    assert took >= 1.4
    assert "deadline of 1.5 s reached" in str(ei.value)
    assert "1 attempt 1.5 s" in str(ei.value)


def test_deadline_option_ends_a_429_storm(emu):
    emu.fault(kind="status", status=429, body='{"message":"Too Many Requests"}', headers={"Retry-After": "1"}, times=20)
    with Client(emu.url, emu.id_instance, emu.token, rate_limit=0, max_retries=10, deadline=2.5) as c:
        t = time.monotonic()
        with pytest.raises(getavatar.TimeoutError) as ei:
            c.get_avatar("10000000")
        took = time.monotonic() - t
    within(took, 2.5)
    assert ei.value.http_status == 429
    assert "the server asked to retry after 1.0 s" in str(ei.value)
    assert len(emu.requests()) == 3


def test_set_deadline_and_its_checks(black_hole):
    with Client(black_hole, "1101000001", "0123456789abcdef", timeout=0.3, max_retries=0, deadline=None) as c:
        # No deadline: the timeout alone ends the attempt.
        with pytest.raises(getavatar.TimeoutError) as ei:
            c.get_avatar("10000000")
        assert "within 300 ms" in str(ei.value)
        c.set_timeout(30)
        c.set_deadline(0.5)
        t = time.monotonic()
        with pytest.raises(getavatar.TimeoutError) as ei:
            c.get_avatar("10000000")
        within(time.monotonic() - t, 0.5)
        assert "deadline of 0.5 s reached" in str(ei.value)
        with pytest.raises(getavatar.InvalidArgumentError):
            c.set_deadline(-1)
        with pytest.raises(getavatar.InvalidArgumentError):
            c.set_deadline(3601)
        with pytest.raises(getavatar.InvalidArgumentTypeError):
            c.set_deadline("10")  # type: ignore[arg-type]
        c.set_deadline(0)
    with pytest.raises(getavatar.InvalidArgumentError):
        Client(black_hole, "1101000001", "0123456789abcdef", deadline=float("nan"))


def test_async_client_deadline(black_hole):
    async def main() -> None:
        async with AsyncClient(black_hole, "1101000001", "0123456789abcdef", deadline=1.0) as c:
            t = time.monotonic()
            with pytest.raises(getavatar.TimeoutError) as ei:
                await c.get_avatar("10000000")
            within(time.monotonic() - t, 1.0)
            assert "deadline of 1 s reached" in str(ei.value)
            c.set_deadline(0.4)
            t = time.monotonic()
            with pytest.raises(getavatar.TimeoutError):
                await c.get_avatar("10000000")
            within(time.monotonic() - t, 0.4)

    asyncio.run(main())
