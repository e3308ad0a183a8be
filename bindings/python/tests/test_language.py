"""The language of the library's messages in Python (issue 29): ``language="ru"`` on Client and
AsyncClient, ``set_language``, the process default from ``GA_LANG``; exception types and the
server's own text are the same in every language."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import List

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


def _refusal(call) -> getavatar.Error:
    with pytest.raises(getavatar.InvalidArgumentError) as e:
        call()
    return e.value


def test_the_bindings_own_checks_speak_the_clients_language(emu):
    # What the binding checks before it calls the library (a type, a NUL, a lone surrogate, a
    # range, a choice, a closed client) is said in the library's words, in the client's language,
    # with the same exception types as in English.
    ru = Client(emu.url, emu.id_instance, emu.token, language="ru")
    en = Client(emu.url, emu.id_instance, emu.token, language="en")
    checks = [
        (lambda c: c.get_avatar(5), getavatar.InvalidArgumentTypeError,
         "chat_id must be str, not int", "chat_id должен иметь тип str, а не int"),
        (lambda c: c.get_avatar("1\0"), getavatar.InvalidArgumentError,
         "chat_id must not contain NUL characters", "chat_id не должен содержать символов NUL"),
        (lambda c: c.get_avatar("1\ud800"), getavatar.InvalidArgumentError,
         "chat_id is not valid Unicode text (a lone surrogate at index 1)",
         "chat_id - не корректный текст Unicode (одиночный суррогат на позиции 1)"),
        (lambda c: c.set_max_retries(2**40), getavatar.InvalidArgumentError,
         f"max_retries {2**40} is out of range", f"max_retries {2**40} вне допустимого диапазона"),
        (lambda c: c.set_timeout(-1), getavatar.InvalidArgumentError,
         "timeout -1 is out of range: expected 0.001..600",
         "timeout -1 вне допустимого диапазона: ожидается 0.001..600"),
        (lambda c: c.set_trust("all"), getavatar.InvalidArgumentError,
         "trust 'all' is not valid: expected \"system\" or \"bundled\"",
         "trust 'all' недопустим: ожидается \"system\" или \"bundled\""),
        (lambda c: c.get_avatars("10000000"), getavatar.InvalidArgumentTypeError,
         "chat_ids must be Sequence[str], not str", "chat_ids должен иметь тип Sequence[str], а не str"),
    ]
    try:
        for call, cls, english, russian_text in checks:
            r, e = _refusal(lambda: call(ru)), _refusal(lambda: call(en))
            assert type(r) is type(e) is cls, (r, e)
            assert (str(e), str(r)) == (english, russian_text)
            assert r.status == e.status == 1 and r.status_name == "GA_ERR_INVALID_ARGUMENT"
        # A batch's bad entry is returned in the client's language too.
        assert str(ru.get_avatars([5])[0]) == "chat_id должен иметь тип str, а не int"
    finally:
        ru.close()
        en.close()
    assert str(_refusal(lambda: ru.get_avatar("1"))) == "этот getavatar.Client закрыт"
    assert str(_refusal(lambda: en.get_avatar("1"))) == "this getavatar.Client is closed"


def test_the_constructor_checks_its_arguments_in_the_language_it_was_given(emu):
    e = _refusal(lambda: Client(emu.url, 5.5, emu.token, language="ru"))  # type: ignore[arg-type]
    assert str(e) == "id_instance должен иметь тип str, а не float", str(e)
    e = _refusal(lambda: AsyncClient(emu.url, emu.id_instance, emu.token, timeout="3", language="ru"))  # type: ignore[arg-type]
    assert str(e) == "timeout должен иметь тип int | float, а не str", str(e)


def test_ids_iter_avatars_did_not_send_say_so_in_the_clients_language(emu):
    async def main() -> list:
        async with AsyncClient(emu.url, emu.id_instance, emu.token, max_retries=0, concurrency=1, language="ru") as c:
            emu.fault(kind="status", status=401, body="")
            return [x async for x in c.iter_avatars(["10000000", "10000001"])]

    first, second = asyncio.run(main())
    assert isinstance(second, getavatar.UnauthorizedError)
    assert str(second) == f"{first} (не отправлен: более ранний запрос этого пакета получил эту ошибку, а её получает каждый запрос инстанса)"


@pytest.mark.parametrize("setter", ["set_timeout", "set_deadline", "set_idle_timeout"])
def test_the_range_a_seconds_refusal_names_is_the_settings_own(emu, setter):
    # set_timeout(-1) named a range ("(0..2000000]") the setting does not take: a user who went
    # by it met another refusal. The ends of the range named are accepted.
    with Client(emu.url, emu.id_instance, emu.token, language="en") as c:
        with pytest.raises(getavatar.InvalidArgumentError) as e:
            getattr(c, setter)(-1)
        lo, hi = str(e.value).rsplit("expected ", 1)[1].strip("()[]").split("..")
        for end in (lo, hi):
            getattr(c, setter)(float(end))


def test_an_int_too_long_to_print_is_refused_as_out_of_range(emu):
    # Python will not write an int of more than 4300 digits (ValueError), nor make a float of it
    # (OverflowError): the refusal is still the binding's InvalidArgumentError, naming its size.
    with Client(emu.url, emu.id_instance, emu.token, language="ru") as c:
        for call in (c.set_max_retries, c.set_rate_limit, c.set_timeout, c.set_deadline, c.set_idle_timeout):
            for v in (10**5000, -(10**5000)):
                with pytest.raises(getavatar.InvalidArgumentError) as e:
                    call(v)
                assert "2**16609" in str(e.value) and russian(str(e.value)), str(e.value)


def test_a_single_int_for_chat_ids_is_the_bindings_type_error(emu):
    # get_avatars(10000000) (one id, not a list) raised Python's bare TypeError, "'int' object is
    # not iterable", in English and not a getavatar.Error, where a str gets the binding's own.
    async def refusals(a: AsyncClient, v: object) -> List[BaseException]:
        out: List[BaseException] = []
        try:
            async for _ in a.iter_avatars(v):  # type: ignore[arg-type]
                pass
        except BaseException as e:
            out.append(e)
        try:
            await a.get_avatars(v)  # type: ignore[arg-type]
        except BaseException as e:
            out.append(e)
        return out

    with Client(emu.url, emu.id_instance, emu.token, language="ru") as c:
        a = AsyncClient(emu.url, emu.id_instance, emu.token, language="ru")
        try:
            for v in (10000000, None):
                with pytest.raises(getavatar.InvalidArgumentTypeError) as e:
                    c.get_avatars(v)  # type: ignore[arg-type]
                errors = [e.value] + asyncio.run(refusals(a, v))
                assert len(errors) == 3
                for err in errors:
                    assert isinstance(err, getavatar.InvalidArgumentTypeError), repr(err)
                    assert str(err) == f"chat_ids должен иметь тип Sequence[str], а не {type(v).__name__}"
        finally:
            asyncio.run(a.aclose())
    assert emu.requests() == []
