"""The language of the library's messages in Python (issue 29): ``language="ru"`` on Client and
AsyncClient, ``set_language``, the process default from ``GA_LANG``; exception types and the
server's own text are the same in every language."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

import getavatar
from getavatar import AsyncClient, Client


def russian(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def test_language_option_makes_messages_russian_with_the_same_exception(emu):
    with Client(emu.url, emu.id_instance, emu.token, max_retries=0, language="ru") as ru, \
            Client(emu.url, emu.id_instance, emu.token, max_retries=0, language="en") as en:
        emu.fault(kind="status", status=401, body="")
        with pytest.raises(getavatar.UnauthorizedError) as r:
            ru.get_avatar("10000000")
        emu.fault(kind="status", status=401, body="")
        with pytest.raises(getavatar.UnauthorizedError) as e:
            en.get_avatar("10000000")
        assert str(r.value).startswith("HTTP 401 Unauthorized: сервер не принял apiTokenInstance"), str(r.value)
        assert str(e.value).startswith("HTTP 401 Unauthorized: the server rejected apiTokenInstance"), str(e.value)
        assert (r.value.status, r.value.http_status) == (e.value.status, e.value.http_status)
        # A batch returns its errors in the client's language too.
        results = ru.get_avatars(["abc", "+7 900"])
        assert all(isinstance(x, getavatar.InvalidArgumentError) and russian(str(x)) for x in results), results


def test_the_servers_own_text_is_quoted_as_it_came(emu):
    said = "Validation failed: chatId is invalid"
    with Client(emu.url, emu.id_instance, emu.token, max_retries=0, language="ru") as c:
        emu.fault(kind="status", status=400, body=json.dumps({"statusCode": 400, "message": said}))
        with pytest.raises(getavatar.ValidationError) as e:
            c.get_avatar("10000000")
        assert str(e.value) == f"сервер отклонил запрос (HTTP 400): {said}"


def test_set_language_switches_refuses_unknown_and_none_returns_to_the_default(emu):
    with Client(emu.url, emu.id_instance, emu.token) as default, Client(emu.url, emu.id_instance, emu.token) as c:
        c.set_language("ru_RU")
        with pytest.raises(getavatar.InvalidArgumentError) as e:
            c.get_avatar("abc")
        assert russian(str(e.value))
        with pytest.raises(getavatar.InvalidArgumentError) as e:
            c.set_language("de")
        assert '"de"' in str(e.value) and russian(str(e.value)), str(e.value)
        with pytest.raises(getavatar.InvalidArgumentError):
            c.set_language(5)  # type: ignore[arg-type]
        c.set_language(None)

        def message(client: Client) -> str:
            with pytest.raises(getavatar.InvalidArgumentError) as e:
                client.get_avatar("abc")
            return str(e.value)

        assert message(c) == message(default)


def test_a_bad_language_option_fails_the_constructor(emu):
    with pytest.raises(getavatar.InvalidArgumentError) as e:
        Client(emu.url, emu.id_instance, emu.token, language="klingon")
    assert '"klingon"' in str(e.value)


def test_async_client_takes_the_option(emu):
    async def main() -> str:
        async with AsyncClient(emu.url, emu.id_instance, emu.token, language="ru") as c:
            try:
                await c.get_avatar("abc")
            except getavatar.InvalidArgumentError as e:
                return str(e)
        return ""

    assert russian(asyncio.run(main()))


def test_ga_lang_sets_the_process_default(emu):
    # A fresh interpreter: the default is read once per process.
    code = (
        "import getavatar, sys\n"
        "try:\n"
        "    getavatar.Client(sys.argv[1], sys.argv[2], sys.argv[3]).get_avatar('abc')\n"
        "except getavatar.InvalidArgumentError as e:\n"
        "    print(e)\n"
    )
    out = {}
    for lang in ("ru", "en"):
        env = dict(os.environ, GA_LANG=lang, PYTHONIOENCODING="utf-8")
        out[lang] = subprocess.run(
            [sys.executable, "-c", code, emu.url, emu.id_instance, emu.token],
            env=env, capture_output=True, text=True, encoding="utf-8", check=True,
        ).stdout
    assert russian(out["ru"]) and out["en"].startswith('chatId "abc" is not valid'), out
