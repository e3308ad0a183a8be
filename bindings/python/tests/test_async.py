"""AsyncClient against the emulator, with plain asyncio.run."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

import getavatar
from getavatar import AsyncClient, Avatar, AvatarImage

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def aclient(emu, **kw) -> AsyncClient:
    kw.setdefault("rate_limit", 0)
    kw.setdefault("backoff", 0.001)
    return AsyncClient(emu.url, emu.id_instance, emu.token, **kw)


def run(coro):
    return asyncio.run(coro)


IDS = ["10000000", "20000000", "30000000", "40000000", "-10000000000000"]


def expected(emu, cid):
    return {
        "10000000": Avatar(f"{emu.url}/avatars/10000000.png", True, 200),
        "20000000": Avatar("", True, 200),
        "30000000": Avatar("", False, 200),
        "-10000000000000": Avatar(f"{emu.url}/avatars/-10000000000000.png", True, 200),
    }.get(cid)


def test_gather_of_many_lookups_keeps_order(emu):
    ids = [IDS[i % len(IDS)] for i in range(60)]

    async def main():
        async with aclient(emu) as c:
            return await asyncio.gather(*(c.get_avatar(i) for i in ids))

    got = run(main())
    for cid, a in zip(ids, got):
        if cid == "40000000":
            assert a.available is None and a.url
        else:
            assert a == expected(emu, cid)
    assert sorted(r["chat_id"] for r in emu.requests()) == sorted(ids)


def test_batch_and_iterator_in_order_with_errors_in_place(emu):
    ids = ["10000000", "bad", None, "30000000", "-10000000000000"]

    async def main():
        async with aclient(emu, concurrency=2) as c:
            batch = await c.get_avatars(ids)
            streamed = [r async for r in c.iter_avatars(ids)]
            assert await c.get_avatars([]) == []
            assert [r async for r in c.iter_avatars([])] == []
            with pytest.raises(TypeError):
                await c.get_avatars("10000000")
            return batch, streamed

    batch, streamed = run(main())
    for got in (batch, streamed):
        assert len(got) == 5
        assert got[0] == expected(emu, "10000000")
        assert isinstance(got[1], getavatar.InvalidArgumentError)
        assert isinstance(got[2], getavatar.InvalidArgumentTypeError)
        assert got[3] == expected(emu, "30000000") and got[4] == expected(emu, "-10000000000000")


def test_the_loop_keeps_running_during_a_slow_call(emu):
    emu.fault(kind="delay", ms=800)

    async def main():
        ticks = 0
        async with aclient(emu) as c:
            call = asyncio.ensure_future(c.get_avatar("10000000"))
            while not call.done():
                ticks += 1
                await asyncio.sleep(0.01)
            return ticks, call.result()

    ticks, a = run(main())
    assert a == expected(emu, "10000000")
    assert ticks > 20, f"the loop ran only {ticks} times during an 800 ms call"


def test_wait_for_timeout_cancels_the_lookup_in_the_library(emu):
    emu.fault(kind="never_answer")  # held until the client goes away (timeout 20 s)

    async def main():
        c = aclient(emu, timeout=20)
        t = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.get_avatar("10000000"), 0.3)
        took = time.monotonic() - t
        # The library stopped: nothing is in flight, so closing does not wait for anything.
        busy = c._busy
        again = await c.get_avatar("10000000")
        t = time.monotonic()
        await c.aclose()
        return took, busy, again, time.monotonic() - t

    took, busy, again, closing = run(main())
    assert took < 1.5, f"wait_for took {took:.2f} s"
    assert busy == 0
    assert again == expected(emu, "10000000")
    assert closing < 0.5


def test_task_cancel_and_task_group(emu, tmp_path: Path):
    emu.fault(kind="never_answer", times=3)

    async def main():
        async with aclient(emu, timeout=20) as c:
            task = asyncio.ensure_future(c.get_avatars(["10000000", "-10000000000000"]))
            await asyncio.sleep(0.3)
            t = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert task.cancelled() and time.monotonic() - t < 1.0
            if sys.version_info >= (3, 11):
                async def fail_soon():
                    await asyncio.sleep(0.3)
                    raise ValueError("boom")

                t = time.monotonic()
                with pytest.raises(BaseException) as e:
                    async with asyncio.TaskGroup() as tg:  # type: ignore[attr-defined]
                        tg.create_task(c.download_avatar("10000000", tmp_path / "a.png"))
                        tg.create_task(fail_soon())
                assert isinstance(e.value.exceptions[0], ValueError)
                assert time.monotonic() - t < 1.5
            assert c._busy == 0
            return await c.get_avatar("10000000")

    assert run(main()) == expected(emu, "10000000")
    assert not (tmp_path / "a.png").exists()


def test_leaving_the_iterator_early_cancels_the_rest(emu):
    # Every request is held, whichever reaches the server first (under load the first id's is
    # not always first); wait_for cancels the iteration.
    emu.fault(kind="never_answer", times=4)

    async def main():
        async with aclient(emu, timeout=20, concurrency=4) as c:
            emu_ids = ["-10000000000000"] + ["10000000"] * 3
            t = time.monotonic()
            it = c.iter_avatars(emu_ids)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(it.__anext__(), 0.3)
            await it.aclose()
            assert time.monotonic() - t < 1.5
            assert c._busy == 0
            emu.reset()  # faults left for requests the cancel stopped before they were sent
            return [r async for r in c.iter_avatars(["20000000"])]

    assert run(main()) == [expected(emu, "20000000")]


def test_errors_are_the_client_classes(emu):
    emu.fault(kind="status", status=404)

    async def main():
        c = aclient(emu)
        with pytest.raises(getavatar.NotFoundError) as e:
            await c.get_avatar("10000000")
        assert e.value.http_status == 404 and emu.token not in str(e.value)
        with pytest.raises(getavatar.InvalidArgumentError):
            await c.get_avatar("bad")
        with pytest.raises(getavatar.InvalidArgumentTypeError):
            await c.avatar_bytes(None)  # type: ignore[arg-type]
        with pytest.raises(getavatar.InvalidArgumentError):
            c.set_timeout(0)
        c.set_timeout(5)
        assert emu.token not in repr(c) and "AsyncClient" in repr(c)
        await c.aclose()
        await c.aclose()  # idempotent
        assert c.closed and "closed" in repr(c)
        with pytest.raises(getavatar.Error, match="AsyncClient is closed"):
            await c.get_avatar("10000000")

    run(main())
    with pytest.raises(getavatar.InvalidArgumentError, match="idInstance"):
        AsyncClient("https://x.com", "abc", "t")


def test_downloads(emu, tmp_path: Path):
    async def main():
        async with aclient(emu) as c:
            a = await c.download_avatar("10000000", tmp_path / "a.png")
            img = await c.avatar_bytes("-10000000000000")
            none = await c.avatar_bytes("20000000")
            return a, img, none

    a, img, none = run(main())
    assert a == expected(emu, "10000000")
    assert (tmp_path / "a.png").read_bytes().startswith(PNG_MAGIC)
    assert img.data is not None and img.data.startswith(PNG_MAGIC) and img.content_type == "image/png"
    assert none == AvatarImage("", True, None, "")


def test_aclose_waits_for_calls_in_flight(emu):
    emu.fault(kind="delay", ms=500)

    async def main():
        c = aclient(emu)
        call = asyncio.ensure_future(c.get_avatar("10000000"))
        await asyncio.sleep(0.1)
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.ensure_future(tick())
        await c.aclose()  # must not free the handle under the running call, nor block the loop
        ticker.cancel()
        return await call, ticks

    a, ticks = run(main())
    assert a == expected(emu, "10000000")
    assert ticks > 10


def test_one_client_across_event_loops(emu):
    c = aclient(emu)
    assert run(c.get_avatar("10000000")) == expected(emu, "10000000")
    assert run(c.get_avatar("20000000")) == expected(emu, "20000000")
    run(c.aclose())


def test_readme_async_example_runs_against_the_emulator(emu):
    import os
    import subprocess

    repo = Path(os.environ.get("GETAVATAR_REPO", Path(__file__).resolve().parents[3]))
    text = (repo / "README.md").read_text(encoding="utf-8")
    start = text.index("```python\nimport asyncio, getavatar")
    code = text[start + len("```python\n"): text.index("```", start + 10)]
    env = dict(os.environ, GA_API_URL=emu.url, GA_ID_INSTANCE=emu.id_instance, GA_API_TOKEN_INSTANCE=emu.token)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == repr([f"{emu.url}/avatars/10000000.png", f"{emu.url}/avatars/-10000000000000.png"])


def test_warm_up_and_idle_timeout_are_there_too(emu):
    async def main() -> None:
        async with aclient(emu, idle_timeout=60) as c:
            await c.warm_up()
            assert emu.requests() == [], "warm-up sends no request"
            c.set_idle_timeout(0)
            assert await c.get_avatar("10000000") == expected(emu, "10000000")

    run(main())


def test_iter_avatars_stops_asking_after_a_failure_of_the_instance(emu):
    # Issue 32: every binding's batch, after a failure of the whole instance (a wrong token
    # here), gives the ids not yet asked that failure at once instead of a request each; row
    # failures (a bad id) still go on, in order.
    ids = ["10000000"] * 30 + ["bad"]

    async def main():
        async with AsyncClient(emu.url, emu.id_instance, "f" * 50, rate_limit=0, concurrency=2) as c:
            return [r async for r in c.iter_avatars(ids)]

    got = run(main())
    assert len(got) == len(ids)
    assert all(isinstance(x, getavatar.UnauthorizedError) for x in got[:-1]), got
    assert isinstance(got[-1], getavatar.InvalidArgumentError), got[-1]
    assert len(emu.requests()) <= 2, len(emu.requests())
    assert "not sent" in str(got[-2])
