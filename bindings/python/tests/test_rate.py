"""Client.rate: the pace the client learned from the server's 429s (issue 28), read-only."""

from __future__ import annotations

import pytest

import getavatar
from getavatar import Client


def test_rate_follows_the_rate_limit_and_learns_from_429(emu) -> None:  # type: ignore[no-untyped-def]
    with Client(emu.url, emu.id_instance, emu.token) as c:
        assert c.rate == 10.0
        c.set_rate_limit(0)
        assert c.rate == 0.0
        c.set_rate_limit(10)
        # The server allows 3 a second: a batch of 8 learns it, no id fails (no retries at all).
        emu.config(rate_limit=3)
        c.set_max_retries(0)
        results = c.get_avatars([str(10_000_000 + i) for i in range(8)])
        assert [r for r in results if isinstance(r, getavatar.Error)] == []
        assert c.rate == 3.0, [(round(r["at_ms"]), r["status"]) for r in emu.requests()]
        with pytest.raises(AttributeError):
            c.rate = 5.0  # type: ignore[misc]
    with pytest.raises(getavatar.InvalidArgumentError, match="closed"):
        c.rate
